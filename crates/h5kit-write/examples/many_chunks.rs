//! A resizable dataset with many small chunks (extensible array index in the latest format).
#![allow(clippy::unwrap_used)]
use h5kit_write::{dtype, DatasetSpec, FileWriter, LibVer, UNLIMITED};

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "many_chunks.h5".into());
    let n: u64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let mut w = FileWriter::create(&path, LibVer::Latest).unwrap();
    let mut spec = DatasetSpec::new(dtype::int(4, true), &[n]);
    spec.maxshape = Some(vec![UNLIMITED]);
    spec.chunks = Some(vec![1]);
    w.create_dataset("d", spec).unwrap();
    let data: Vec<u8> = (0..n as i32).flat_map(|i| i.to_le_bytes()).collect();
    w.write_dataset("d", &data).unwrap();
    w.close().unwrap();
}
