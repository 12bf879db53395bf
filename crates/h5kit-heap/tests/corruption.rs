//! Hostile input: byte-level corruptions of real files must give errors, never panics
//! (tests run in debug mode, so arithmetic overflow would panic too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use h5kit_btree::v2::{BTreeV2, ChunkParams};
use h5kit_btree::{extensible_array, fixed_array, v1};
use h5kit_core::{Context, Limits, MemStorage, Sizes};
use h5kit_heap::{FractalHeap, GlobalHeapCollection, LocalHeap};

/// xorshift64*: deterministic pseudo-random numbers.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Runs `parse` on `iterations` corrupted copies of `bytes`, each with a few bytes changed in
/// `[lo, hi)`.
fn fuzz(bytes: &[u8], lo: usize, hi: usize, iterations: usize, seed: u64, parse: &dyn Fn(Context)) {
    let mut rng = Rng(seed);
    let limits = Limits { max_alloc: 16 << 20, max_depth: 32, max_items: 1 << 20 };
    let hi = hi.min(bytes.len());
    for _ in 0..iterations {
        let mut data = bytes.to_vec();
        let n = 1 + rng.next() % 4;
        for _ in 0..n {
            let pos = lo + (rng.next() as usize) % (hi - lo);
            let v = rng.next();
            data[pos] = match v % 4 {
                0 => 0xff,
                1 => 0,
                _ => (v >> 8) as u8,
            };
        }
        let storage = MemStorage::new(data);
        let ctx = Context::new(&storage, Sizes::new(8, 8).unwrap(), &limits, 0);
        parse(ctx);
    }
}

fn file(rel: &str) -> Vec<u8> {
    std::fs::read(common::interop(rel)).unwrap()
}

#[test]
fn v1_groups_and_local_heaps() {
    let bytes = file("jhdf/test_large_group_earliest.hdf5");
    // The B-tree nodes, symbol table nodes and the heap live in the first ~90 KB.
    fuzz(&bytes, 0, 90_000, 400, 1, &|ctx| {
        if let Ok(heap) = LocalHeap::read(ctx, 1384) {
            if let Ok(entries) = v1::read_group_entries(ctx, 840) {
                for e in entries {
                    let _ = heap.string_at(e.link_name_offset);
                }
            }
        }
        let _ = v1::read_group_entries(ctx, 136);
    });
    // Focused on the root of the big tree and its first leaf.
    fuzz(&bytes, 840, 840 + 544, 300, 2, &|ctx| {
        let _ = v1::read_group_entries(ctx, 840);
    });
}

#[test]
fn v1_chunk_trees() {
    let bytes = file("jhdf/test_chunked_datasets_earliest.hdf5");
    fuzz(&bytes, 28_008, 28_008 + 2096, 300, 3, &|ctx| {
        let _ = v1::read_chunk_records(ctx, 28008, 1);
        let _ = v1::find_chunk(ctx, 28008, 1, &[50]);
    });
}

#[test]
fn dense_groups() {
    let bytes = file("jhdf/test_large_group_latest.hdf5");
    let parse = |ctx: Context| {
        let (Ok(heap), Ok(bt)) = (FractalHeap::open(ctx, 1870), BTreeV2::open(ctx, 5232)) else { return };
        let _ = bt.for_each(ctx, None, &mut |r| {
            if let h5kit_btree::v2::Record::LinkName { heap_id, .. } = r {
                let _ = heap.read_object(ctx, &heap_id);
            }
            Ok(true)
        });
        let _ = heap.direct_blocks(ctx);
    };
    // Whole metadata (checksums make most corruptions fail early).
    fuzz(&bytes, 0, bytes.len(), 60, 4, &parse);
    // Managed object IDs inside the B-tree leaves are checksummed; corrupt heap ID bytes
    // directly by parsing random IDs instead.
    let storage = MemStorage::new(bytes.clone());
    let limits = Limits::default();
    let ctx = Context::new(&storage, Sizes::new(8, 8).unwrap(), &limits, 0);
    let heap = FractalHeap::open(ctx, 1870).unwrap();
    let mut rng = Rng(5);
    for _ in 0..500 {
        let v = rng.next().to_le_bytes();
        let mut id = [0u8; 7];
        id.copy_from_slice(&v[..7]);
        id[0] &= 0x3f;
        let _ = heap.read_object(ctx, &id);
    }
}

#[test]
fn chunk_indexes() {
    let bytes = file("jhdf/chunked_v4_datasets.hdf5");
    fuzz(&bytes, 22_350, 22_350 + 2000, 200, 6, &|ctx| {
        let _ = extensible_array::read_chunks(ctx, 22350, false, 0);
    });
    fuzz(&bytes, 392_109, 392_109 + 4000, 200, 7, &|ctx| {
        if let Ok(bt) = BTreeV2::open(ctx, 392109) {
            let _ = bt.records(ctx, Some(ChunkParams { rank: 3, chunk_size_len: 0 }));
        }
    });
    let bytes = file("jhdf/fixed_array_paged_datasets.hdf5");
    fuzz(&bytes, 25_131, 25_131 + 200, 200, 8, &|ctx| {
        let _ = fixed_array::read_chunks(ctx, 25131, false, 0);
    });
}

#[test]
fn global_heap() {
    let bytes = file("jhdf/test_vlen_datasets_latest.hdf5");
    fuzz(&bytes, 2096, 2096 + 4096, 500, 9, &|ctx| {
        if let Ok(c) = GlobalHeapCollection::read(ctx, 2096) {
            let _ = c.object(3);
        }
    });
}
