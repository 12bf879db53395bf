//! Byte-identical re-encoding on real files: every local heap, global heap collection and
//! fractal heap (header, indirect and direct blocks) found in the corpus is decoded, encoded
//! and compared with the bytes in the file.
//!
//! Structures are found by their signatures ("HEAP", "GCOL", "FRHP") at every byte position
//! past the superblock; a hit that does not decode (a signature inside raw data, a stale copy)
//! is counted apart. Fractal heap blocks are reached from their header. Exceptions, compared
//! modulo a region: global heap free space past the header of object 0 (libhdf5 may leave it
//! uninitialised; we write zeros), and filtered direct blocks, compared after unfiltering
//! (re-compressing is not expected to give the same bytes).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use h5kit_core::{Limits, MemStorage, Reader, Writer};
use h5kit_heap::{DirectBlock, FractalHeap, GlobalHeapCollection, IndirectBlock, LocalHeap, LocalHeapHeader};
use h5kit_superblock::Superblock;

fn find_all(bytes: &[u8], sig: &[u8; 4], from: usize) -> Vec<usize> {
    bytes.windows(4).enumerate().skip(from).filter(|(_, w)| *w == sig).map(|(i, _)| i).collect()
}

#[derive(Default)]
struct Counts(BTreeMap<&'static str, usize>);
impl Counts {
    fn add(&mut self, k: &'static str) {
        *self.0.entry(k).or_default() += 1;
    }
    fn get(&self, k: &str) -> usize {
        self.0.get(k).copied().unwrap_or(0)
    }
}

#[test]
fn every_corpus_heap_reencodes_byte_for_byte() {
    let mut c = Counts::default();
    let limits = Limits::default();
    // This crate's own test files (deep, filtered, SOHM heaps) too.
    // and a file with 4-byte offsets and lengths (superblock v1, a userblock).
    let mut own: Vec<_> = std::fs::read_dir(format!("{}/tests/data", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "hdf5"))
        .collect();
    own.push(format!("{}/../h5kit-superblock/tests/data/v1_sizes4.h5", env!("CARGO_MANIFEST_DIR")).into());
    for path in common::corpus().into_iter().chain(own) {
        let name = path.display().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let st = MemStorage::new(bytes.clone());
        let Ok(sb) = Superblock::read(&st) else { continue };
        c.add("files");
        let ctx = sb.context(&st, &limits);
        let sizes = sb.sizes;
        let base = sb.effective_base_address() as usize;
        let at = |addr: u64, len: u64| &bytes[base + addr as usize..base + (addr + len) as usize];

        // Local heaps.
        for p in find_all(&bytes, b"HEAP", base) {
            let addr = (p - base) as u64;
            let Ok(heap) = LocalHeap::read(ctx, addr) else {
                c.add("HEAP signature, not decodable");
                continue;
            };
            let mut w = Writer::new(addr, sizes);
            heap.encode_header(&mut w).unwrap();
            assert_eq!(w.as_slice(), at(addr, LocalHeapHeader::encoded_size(sizes)), "{}: local heap header at {}", name, addr);
            let back = LocalHeapHeader::decode(&mut Reader::new(w.as_slice(), addr, sizes)).unwrap();
            assert_eq!(back, heap.header());
            let mut w = Writer::new(heap.data_address, sizes);
            heap.encode_data(&mut w);
            assert_eq!(w.as_slice(), at(heap.data_address, heap.data().len() as u64), "{}: local heap data at {}", name, addr);
            let free = heap.free_blocks(sizes).unwrap_or_else(|e| panic!("{}: local heap at {}: {}", name, addr, e));
            let l = 2 * sizes.length as usize;
            let dirty = free.iter().any(|b| heap.data()[b.offset as usize + l..(b.offset + b.size) as usize].iter().any(|&x| x != 0));
            if dirty {
                c.add("HEAP with non-zero bytes inside free blocks (kept as is)");
            }
            if heap.data_address == addr + LocalHeapHeader::padded_size(sizes) {
                c.add("HEAP data segment right after the padded header");
            }
            if sizes.length == 4 {
                c.add("HEAP with 4-byte lengths");
            }
            c.add("HEAP local heap (header + data segment)");
        }

        // Global heap collections.
        for p in find_all(&bytes, b"GCOL", base) {
            let addr = (p - base) as u64;
            let Ok(col) = GlobalHeapCollection::read(ctx, addr) else {
                c.add("GCOL signature, not decodable");
                continue;
            };
            let mut w = Writer::new(addr, sizes);
            col.encode(&mut w).unwrap();
            assert_eq!(w.position() as u64, col.size);
            let on_disk = &bytes[p..(p + col.size as usize).min(bytes.len())];
            let free = col.free_space(sizes).unwrap();
            let objhdr = 8 + sizes.length as u64;
            // Exactly up to the end of object 0's header; the free space after it modulo.
            let exact = if free >= objhdr { col.size - free + objhdr } else { col.size } as usize;
            let exact = exact.min(on_disk.len());
            assert_eq!(&w.as_slice()[..exact], &on_disk[..exact], "{}: global heap collection at {}", name, addr);
            assert_eq!(GlobalHeapCollection::decode(w.as_slice(), addr, sizes).unwrap(), col);
            if on_disk.len() < col.size as usize {
                c.add("GCOL collection whose tail is past the end of the file (compared up to the end)");
            }
            if on_disk[exact..] != w.as_slice()[exact..on_disk.len()] {
                c.add("GCOL with non-zero bytes in the free space (compared modulo)");
            }
            // Rebuilt by inserts in file order: same indexes, same layout.
            let mut rebuilt = GlobalHeapCollection::new(addr, col.size, sizes).unwrap();
            for o in &col.objects {
                let i = rebuilt.insert(&o.data, sizes).unwrap();
                rebuilt.objects.last_mut().unwrap().reference_count = o.reference_count;
                if i != Some(o.index) {
                    break;
                }
            }
            if rebuilt == col {
                c.add("GCOL rebuilt by inserts in file order (same indexes and layout)");
            } else {
                eprintln!("{}: collection at {}: indexes {:?}", name, addr, col.objects.iter().map(|o| o.index).collect::<Vec<_>>());
                c.add("GCOL not rebuilt by inserts in file order (indexes not 1..n)");
            }
            c.add("GCOL global heap collection");
        }

        // Fractal heaps: header, then every block reached from it.
        let mut reached = std::collections::HashSet::new();
        for p in find_all(&bytes, b"FRHP", base) {
            let addr = (p - base) as u64;
            let Ok(heap) = FractalHeap::open(ctx, addr) else {
                c.add("FRHP signature, not decodable");
                continue;
            };
            let mut w = Writer::new(addr, sizes);
            heap.encode(&mut w).unwrap();
            assert_eq!(w.as_slice(), at(addr, heap.encoded_size()), "{}: fractal heap header at {}", name, addr);
            assert_eq!(FractalHeap::decode(w.as_slice(), addr, sizes).unwrap(), heap);
            c.add("FRHP fractal heap header");
            if heap.root_block_address.is_some() && heap.current_root_rows == 0 {
                // What new_root_direct_block sets, as libhdf5 does.
                let b = heap.starting_block_size;
                assert_eq!(
                    (heap.managed_space, heap.allocated_managed_space, heap.direct_block_allocation_iterator_offset),
                    (b, b, 0),
                    "{}: root direct block heap at {}",
                    name,
                    addr
                );
                c.add("FRHP root direct block: managed/allocated space = starting block size, iterator 0");
            }
            if !heap.filters.is_empty() {
                c.add("FRHP with I/O filters");
            }
            let (direct, indirect) = heap.blocks(ctx).unwrap_or_else(|e| panic!("{}: heap at {}: {}", name, addr, e));
            for ib in indirect {
                let mut w = Writer::new(ib.address, sizes);
                ib.encode(&heap, &mut w).unwrap();
                let n = IndirectBlock::encoded_size(&heap, ib.nrows).unwrap();
                assert_eq!(w.as_slice(), at(ib.address, n), "{}: indirect block at {}", name, ib.address);
                assert_eq!(IndirectBlock::decode(w.as_slice(), ib.address, &heap, ib.nrows).unwrap(), ib);
                reached.insert(ib.address);
                c.add("FHIB fractal heap indirect block");
            }
            for (daddr, off, size, filtered) in direct {
                let image = heap.read_direct_block(ctx, daddr, off, size, filtered).unwrap();
                let block = DirectBlock::decode(&image, daddr, &heap).unwrap();
                let mut w = Writer::new(daddr, sizes);
                block.encode(&heap, &mut w).unwrap();
                assert_eq!(w.as_slice(), &image[..], "{}: direct block at {}", name, daddr);
                assert_eq!(DirectBlock::decode(w.as_slice(), daddr, &heap).unwrap(), block);
                reached.insert(daddr);
                if filtered.is_some() && !heap.filters.is_empty() {
                    c.add("FHDB filtered direct block (compared unfiltered)");
                } else {
                    assert_eq!(w.as_slice(), at(daddr, size), "{}: direct block at {}", name, daddr);
                    c.add("FHDB fractal heap direct block");
                }
                // The appending allocator's assumption: a root direct block's free space is its
                // zero-filled tail.
                if heap.current_root_rows == 0 && filtered.is_none() {
                    let pos = heap.root_direct_block_free_position().unwrap() as usize;
                    if image[pos..].iter().all(|&b| b == 0) {
                        c.add("FHDB root direct block whose free space is a zero tail");
                    } else {
                        c.add("FHDB root direct block with data past the free position");
                    }
                }
            }
        }
        for sig in [b"FHDB", b"FHIB"] {
            for p in find_all(&bytes, sig, base) {
                if !reached.contains(&((p - base) as u64)) {
                    c.add(if sig == b"FHDB" { "FHDB signature not reached from a header" } else { "FHIB signature not reached from a header" });
                }
            }
        }
    }
    for (k, v) in &c.0 {
        eprintln!("{:>6}  {}", v, k);
    }
    assert!(c.get("files") >= 135);
    assert!(c.get("HEAP local heap (header + data segment)") >= 50);
    assert!(c.get("GCOL global heap collection") >= 10);
    assert!(c.get("FRHP fractal heap header") >= 10);
    assert!(c.get("FHDB fractal heap direct block") >= 10);
    assert!(c.get("FHIB fractal heap indirect block") >= 1);
    assert!(c.get("FHDB filtered direct block (compared unfiltered)") >= 1);
    assert!(c.get("HEAP with 4-byte lengths") >= 1);
}
