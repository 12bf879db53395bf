//! Prints the decoded messages of one object header: `dump_header FILE ADDRESS`.
//! (A debugging aid to compare with `h5debug FILE ADDRESS`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_core::{Context, Limits, MemStorage, Sizes};
use h5kit_object_header::ObjectHeader;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&args[1]).unwrap();
    let address: u64 = args[2].parse().unwrap();
    let mut at = 0usize;
    while data.get(at..at + 8) != Some(b"\x89HDF\r\n\x1a\n".as_slice()) {
        at = if at == 0 { 512 } else { at * 2 };
        assert!(at < data.len(), "no superblock");
    }
    let version = data[at + 8];
    let (o, l) = if version <= 1 { (data[at + 13], data[at + 14]) } else { (data[at + 9], data[at + 10]) };
    let sizes = Sizes::new(o, l).unwrap();
    let storage = MemStorage::new(data.clone());
    let limits = Limits::default();
    let ctx = Context::new(&storage, sizes, &limits, at as u64);
    let h = ObjectHeader::read(ctx, address).unwrap();
    println!(
        "version {} flags {:#x} refcount {} times {:?} phase {:?}",
        h.version, h.flags, h.reference_count, h.times, h.attribute_phase_change
    );
    for m in &h.messages {
        println!(
            "-- type {:#06x} flags {:#04x} order {:?} at {} size {}",
            m.type_id,
            m.flags,
            m.creation_order,
            m.address,
            m.data.len()
        );
        match m.decode(sizes) {
            Ok(msg) => println!("   {:?}", msg),
            Err(e) => println!("   ERROR {}", e),
        }
    }
}
