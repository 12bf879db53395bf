//! Chunk indexes of the latest format grow by what a flush changes (issues 14 and 18): rows
//! appended with a flush after each to datasets with an extensible array index (one unlimited
//! dimension) and a v2 B-tree index (two), in SWMR mode (freed space is never reused, so the
//! file grows by exactly what each flush allocates). Each flush's growth stays within the
//! structures on the changed path (spec VII.D: index block, the level's secondary block, one
//! data block; III.A.2: a node per level plus a split sibling, and the header), computed from
//! the index geometry, far below the whole index; h5py and h5dump read every value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(all(unix, not(target_family = "wasm")))]

use std::path::{Path, PathBuf};
use std::process::Command;

use h5kit::write::LibVer;
use h5kit::{File, Mode, Object};
use h5kit_btree::extensible_array::{ExtensibleArrayHeader, ExtensibleArrayLocation, Geometry};
use h5kit_btree::v2::BTreeV2;
use h5kit_core::Sizes;
use h5kit_testkit::{oracle, say};

fn tmp(name: &str) -> PathBuf {
    h5kit_testkit::temp_path("index-growth", name)
}

fn len(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().len()
}

fn python(script: &str, file: &Path, what: &str) -> Option<String> {
    if !oracle::check(oracle::H5PY, 1, what) {
        return None;
    }
    let out = Command::new("python3").args(["-c", script]).arg(file).output().unwrap();
    assert!(out.status.success(), "h5py failed: {}", String::from_utf8_lossy(&out.stderr));
    oracle::compared(oracle::H5PY, 1);
    Some(String::from_utf8(out.stdout).unwrap())
}

/// The geometry of the extensible array libhdf5 (and the editor) give a dataset of one
/// unlimited dimension (`H5D_EARRAY_*`), unfiltered chunks, 8-byte addresses.
fn ea_geometry() -> Geometry {
    ExtensibleArrayHeader {
        address: 0,
        client_id: 0,
        element_size: 8,
        max_nelmts_bits: 32,
        index_block_elements: 4,
        data_block_min_elements: 16,
        secondary_block_min_data_ptrs: 4,
        max_data_block_page_nelmts_bits: 10,
        num_secondary_blocks: 0,
        secondary_block_size: 0,
        num_data_blocks: 0,
        data_block_size: 0,
        max_index_set: 0,
        num_elements: 0,
        index_block_address: None,
    }
    .geometry()
    .unwrap()
}

/// Bytes a flush that sets element `i` may allocate for the array: the index block, the
/// secondary block of `i`'s level (if it has one) and `i`'s data block with its pages.
fn ea_path_bytes(g: &Geometry, i: u64) -> u64 {
    let s = Sizes::default();
    let ib = g.index_block_size(s);
    match g.locate(i).unwrap() {
        ExtensibleArrayLocation::IndexBlock { .. } => ib,
        ExtensibleArrayLocation::DirectDataBlock { block, .. } => ib + g.data_block_alloc_size(s, block.nelmts),
        ExtensibleArrayLocation::SecondaryDataBlock { block, .. } => {
            ib + g.secondary_block_size(s, block.level) + g.data_block_alloc_size(s, block.nelmts)
        }
    }
}

/// Bytes of the whole array holding elements `0..n` (header, index block, every secondary
/// block and data block on the way): what a flush wrote before.
fn ea_whole_bytes(g: &Geometry, n: u64) -> u64 {
    let s = Sizes::default();
    let mut total = ExtensibleArrayHeader::encoded_size(s) + g.index_block_size(s);
    let mut next = g.index_block_elements;
    for (level, info) in g.levels.iter().enumerate() {
        if next >= n {
            break;
        }
        let level_elems = info.ndblks * info.dblk_nelmts;
        let used = n.min(next + level_elems) - next;
        total += used.div_ceil(info.dblk_nelmts) * g.data_block_alloc_size(s, info.dblk_nelmts);
        if level as u32 >= g.iblock_nsblks {
            total += g.secondary_block_size(s, level as u32);
        }
        next += level_elems;
    }
    total
}

/// A latest-format file in SWMR mode with `/ea` (f64 rows of 3, one unlimited dimension,
/// chunks of one row: an extensible array) and `/bt` (i64 rows of 4, two unlimited
/// dimensions, chunks of one row: a v2 B-tree); `rows` appended one per flush. The growth of
/// the file at each flush.
fn append_rows(p: &Path, first: u64, rows: u64) -> Vec<u64> {
    let f = File::open_with(p, Mode::Truncate, LibVer::Latest).unwrap();
    f.new_dataset::<f64>().shape([0, 3]).maxshape([None, Some(3)]).chunk([1, 3]).create("ea").unwrap();
    f.new_dataset::<i64>().shape([0, 4]).maxshape([None, None]).chunk([1, 4]).create("bt").unwrap();
    f.start_swmr_write().unwrap();
    let mut growth = Vec::new();
    let mut n = 0u64;
    let mut step = |f: &File, to: u64| {
        let from = n;
        let k = to - from;
        f.resize("/ea", &[to, 3]).unwrap();
        let ea: Vec<f64> = (from..to).flat_map(|i| (0..3).map(move |j| ea_value(i, j))).collect();
        f.write_slice("/ea", &[from, 0], &[k, 3], &ea).unwrap();
        f.resize("/bt", &[to, 4]).unwrap();
        let bt: Vec<i64> = (from..to).flat_map(|i| (0..4).map(move |j| bt_value(i, j))).collect();
        f.write_slice("/bt", &[from, 0], &[k, 4], &bt).unwrap();
        let before = len(p);
        f.flush().unwrap();
        n = to;
        len(p) - before
    };
    if first > 0 {
        step(&f, first);
    }
    for r in first..first + rows {
        growth.push(step(&f, r + 1));
    }
    f.close().unwrap();
    growth
}

fn ea_value(i: u64, j: u64) -> f64 {
    i as f64 * 3.0 + j as f64 + 0.25
}

fn bt_value(i: u64, j: u64) -> i64 {
    (i * 4 + j) as i64 * 7 + 1
}

/// h5kit and h5py read every value of both datasets (`n` rows).
fn check_values(p: &Path, n: u64) {
    let f = File::open(p).unwrap();
    match f.object("/ea").unwrap() {
        Object::Dataset(d) => {
            assert_eq!(d.shape(), &[n, 3]);
            let want: Vec<f64> = (0..n).flat_map(|i| (0..3).map(move |j| ea_value(i, j))).collect();
            assert!(d.read::<f64>().unwrap().data == want, "h5kit reads other values from /ea");
        }
        o => panic!("{:?}", o),
    }
    match f.object("/bt").unwrap() {
        Object::Dataset(d) => {
            assert_eq!(d.shape(), &[n, 4]);
            let want: Vec<i64> = (0..n).flat_map(|i| (0..4).map(move |j| bt_value(i, j))).collect();
            assert!(d.read::<i64>().unwrap().data == want, "h5kit reads other values from /bt");
        }
        o => panic!("{:?}", o),
    }
    let script = "import sys,h5py,numpy as np
f=h5py.File(sys.argv[1],'r')
ea=f['ea'][...]; bt=f['bt'][...]
n=ea.shape[0]
i=np.arange(n)
want_ea=(i[:,None]*3.0+np.arange(3)[None,:]+0.25)
want_bt=((i[:,None]*4+np.arange(4)[None,:])*7+1).astype('i8')
print(n, bt.shape[0], bool(np.array_equal(ea,want_ea)), bool(np.array_equal(bt,want_bt)))";
    if let Some(out) = python(script, p, "h5py reads datasets grown one row per flush") {
        assert_eq!(out.trim(), format!("{} {} True True", n, n), "h5py: {}", out);
    }
    if oracle::check(oracle::H5DUMP, 2, "h5dump of the last rows of datasets grown one row per flush") {
        let last = n - 1;
        let dump = |path: &str, cols: u64| {
            let out = Command::new("h5dump")
                .args(["-d", path, "-s", &format!("{},0", last), "-c", &format!("1,{}", cols), "-y", "-w", "0"])
                .arg(p)
                .output()
                .unwrap();
            assert!(out.status.success(), "h5dump: {}", String::from_utf8_lossy(&out.stderr));
            oracle::compared(oracle::H5DUMP, 1);
            String::from_utf8(out.stdout).unwrap()
        };
        let text = dump("/bt", 4);
        let want: Vec<String> = (0..4).map(|j| bt_value(last, j).to_string()).collect();
        assert!(text.contains(&want.join(", ")), "h5dump of /bt's last row: {}", text);
        let text = dump("/ea", 3);
        let want: Vec<String> = (0..3).map(|j| ea_value(last, j).to_string()).collect();
        assert!(text.contains(&want.join(", ")), "h5dump of /ea's last row: {}", text);
    }
}

#[test]
fn appending_a_row_per_flush_grows_the_file_by_the_changed_index_path() {
    let p = tmp("rows.h5");
    let rows = 1000u64;
    let growth = append_rows(&p, 0, rows);
    check_values(&p, rows);
    let g = ea_geometry();
    let s = Sizes::default();
    // The v2 B-tree: 24-byte records (address, two scaled offsets), 2048-byte nodes.
    let bt = BTreeV2::new(0, s, 10, 2048, 8 + 2 * 8, 100, 40).unwrap();
    let leaf = bt.max_records(0).unwrap();
    assert!(rows > leaf && rows < leaf * leaf, "{} rows make a tree of depth 1", rows);
    let bt_path = 3 * 2048 + BTreeV2::encoded_size(s);
    let (ea_chunk, bt_chunk) = (3 * 8, 4 * 8);
    let mut worst = 0u64;
    for (i, &grew) in growth.iter().enumerate() {
        let i = i as u64;
        let bound = ea_chunk + ea_path_bytes(&g, i) + bt_chunk + bt_path;
        assert!(grew <= bound, "flush {} grew the file by {} bytes, more than the changed paths' {}", i, grew, bound);
        worst = worst.max(grew);
    }
    // What writing both indexes whole at the last flush would cost.
    let leaves = rows.div_ceil(leaf);
    let whole = ea_whole_bytes(&g, rows) + (leaves + 1) * 2048 + BTreeV2::encoded_size(s);
    let tail: u64 = growth.iter().rev().take(100).sum::<u64>() / 100;
    say(&format!("{} flushes of one row each: file {} bytes, last 100 flushes {} bytes each on average (largest {}), whole indexes {} bytes", rows, len(&p), tail, worst, whole));
    assert!(tail * 3 < whole, "a flush costs {} bytes, the whole indexes {}", tail, whole);
    // libhdf5 appends to the indexes the editor grew (it checks every block it reads and
    // updates the array's counts and the tree's nodes), then h5kit and h5py read it all.
    let more = "import sys,h5py,numpy as np
f=h5py.File(sys.argv[1],'a')
ea=f['ea']; bt=f['bt']; n=ea.shape[0]
for i in range(n,n+40):
    ea.resize((i+1,3)); ea[i]=i*3.0+np.arange(3)+0.25
    bt.resize((i+1,4)); bt[i]=(i*4+np.arange(4))*7+1
    f.flush()
f.close()
print('ok')";
    if let Some(out) = python(more, &p, "libhdf5 appends to indexes the editor grew") {
        assert_eq!(out.trim(), "ok");
        check_values(&p, rows + 40);
    }
}

/// Past 131,060 chunks the array's data blocks are paged (2,048 elements in pages of 1,024):
/// a flush moves the one paged block it changes (its initialized pages), a page no bitmap
/// marked yet is written in place.
#[test]
fn paged_extensible_array_blocks_grow_by_one_block_per_flush() {
    let g = ea_geometry();
    let first = g.index_block_elements + g.levels[..13].iter().map(|l| l.ndblks * l.dblk_nelmts).sum::<u64>();
    assert_eq!(first, 131_060);
    assert!(g.npages(g.levels[13].dblk_nelmts) == 2);
    let p = tmp("paged.h5");
    let f = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
    f.new_dataset::<i32>().shape([0]).maxshape([None]).chunk([1]).create("p").unwrap();
    f.start_swmr_write().unwrap();
    let value = |i: u64| (i % 1_000_003) as i32 + 1;
    let mut n = 0u64;
    let mut growth = Vec::new();
    // Up to the paged level in one flush, then into its first block's second page and on
    // into the next block, a row per flush.
    for to in std::iter::once(first + 1000).chain(first + 1001..first + 2100) {
        f.resize("/p", &[to]).unwrap();
        let v: Vec<i32> = (n..to).map(value).collect();
        f.write_slice("/p", &[n], &[to - n], &v).unwrap();
        let before = len(&p);
        f.flush().unwrap();
        growth.push((n, len(&p) - before));
        n = to;
    }
    f.close().unwrap();
    let mut worst = 0;
    for &(from, grew) in &growth[1..] {
        let bound = 4 + ea_path_bytes(&g, from);
        assert!(grew <= bound, "flush from row {} grew the file by {} bytes, more than the changed path's {}", from, grew, bound);
        worst = worst.max(grew);
    }
    let whole = ea_whole_bytes(&g, n);
    say(&format!("paged array, {} chunks: a flush grows the file by at most {} bytes, the whole index is {} bytes", n, worst, whole));
    assert!(worst * 50 < whole, "a flush costs {} bytes, the whole index {}", worst, whole);
    let ff = File::open(&p).unwrap();
    match ff.object("/p").unwrap() {
        Object::Dataset(d) => assert!(d.read::<i32>().unwrap().data == (0..n).map(value).collect::<Vec<_>>()),
        o => panic!("{:?}", o),
    }
    let script = "import sys,h5py,numpy as np
d=h5py.File(sys.argv[1],'r')['p'][...]
i=np.arange(d.shape[0])
print(d.shape[0], bool(np.array_equal(d,(i%1000003+1).astype('i4'))))";
    if let Some(out) = python(script, &p, "h5py reads a paged extensible array grown a row per flush") {
        assert_eq!(out.trim(), format!("{} True", n));
    }
}

/// Measurement (not a check): 1,000 appends of one 16-float row, a flush after each, to a
/// latest-format dataset of one unlimited dimension (an extensible array), with chunks of 1,024
/// rows (the bench's `append_flush`: one chunk, the index unchanged after the first flush),
/// of one row (a chunk more per flush) and gzip chunks of 64 rows (the last chunk moves at
/// each flush); time and file size, then h5py (`libver='latest'`) doing the same.
/// `cargo test -p h5kit --release --test index_growth -- --ignored --nocapture`
#[test]
#[ignore]
fn measure_append_flush_latest() {
    for (name, chunk, gzip) in [("rows1024", 1024u64, false), ("rows1", 1, false), ("gzip64", 64, true)] {
        for swmr in [false, true] {
            let p = tmp(&format!("af_{}_{}.h5", name, swmr));
            let t = std::time::Instant::now();
            let f = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
            let b = f.new_dataset::<f32>().shape([0, 16]).maxshape([None, Some(16)]).chunk([chunk, 16]);
            let b = if gzip { b.deflate(4) } else { b };
            b.create("log").unwrap();
            if swmr {
                f.start_swmr_write().unwrap();
            }
            let row: Vec<f32> = (0..16).map(|k| k as f32).collect();
            for i in 0..1000u64 {
                f.resize("/log", &[i + 1, 16]).unwrap();
                f.write_slice("/log", &[i, 0], &[1, 16], &row).unwrap();
                f.flush().unwrap();
            }
            f.close().unwrap();
            say(&format!("h5kit {} swmr={}: {:.3} s, file {} bytes", name, swmr, t.elapsed().as_secs_f64(), len(&p)));
        }
    }
    let script = "import sys,time,h5py,numpy as np
for name,chunk,gz in (('rows1024',1024,False),('rows1',1,False),('gzip64',64,True)):
    for swmr in (False,True):
        p=sys.argv[1]+'_'+name+str(swmr)+'.h5'
        t=time.time()
        f=h5py.File(p,'w',libver='latest')
        d=f.create_dataset('log',shape=(0,16),maxshape=(None,16),chunks=(chunk,16),dtype='f4',compression='gzip' if gz else None,compression_opts=4 if gz else None)
        if swmr: f.swmr_mode=True
        row=np.arange(16,dtype='f4')
        for i in range(1000):
            d.resize((i+1,16)); d[i]=row; f.flush()
        f.close()
        import os
        print('h5py',name,'swmr=%s'%swmr,'%.3f s'%(time.time()-t),'file',os.path.getsize(p),'bytes')";
    if let Some(out) = python(script, &tmp("af_h5py"), "h5py doing the same appends") {
        say(&out);
    }
}
