//! Writes a 1000 x 1000 float64 dataset (chunked, shuffle + deflate) and a contiguous copy.
#![allow(clippy::unwrap_used)]
use h5kit_write::{dtype, DatasetSpec, FileWriter, LibVer};

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "big.h5".into());
    let mut w = FileWriter::create(&path, LibVer::Latest).unwrap();
    let data: Vec<u8> = (0..1_000_000).flat_map(|i| (i as f64).sin().to_le_bytes()).collect();
    let mut spec = DatasetSpec::new(dtype::float64(), &[1000, 1000]);
    spec.deflate = Some(4);
    spec.shuffle = true;
    w.create_dataset("chunked", spec).unwrap();
    w.write_dataset("chunked", &data).unwrap();
    w.create_dataset("contiguous", DatasetSpec::new(dtype::float64(), &[1000, 1000])).unwrap();
    w.write_dataset("contiguous", &data).unwrap();
    w.close().unwrap();
}
