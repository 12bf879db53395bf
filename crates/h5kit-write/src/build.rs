//! The serializer: a two-phase layout of the in-memory model into file bytes.
//!
//! Phase 1 computes the size of every structure and reserves its address range, in this
//! order: superblock (II.A), global heap collections (III.E), all object headers (IV.A.1),
//! then per object the group structures (local heap III.D, v1 B-tree nodes III.A.1, symbol
//! table nodes III.B), raw data, chunks and chunk indexes (VII). Global heaps and object
//! headers come first so that raw data holding heap IDs or object references is final before
//! chunks are filtered (their filtered size depends on their content).
//! Phase 2 encodes every structure into its range, the superblock last. Every encoder writes
//! addresses with the full "Size of Offsets", so sizes do not depend on address values.

use crate::enc::{self, round_up, Buf, LinkBody};
use crate::parallel::{run_in_order, worker_count, PARALLEL_MIN_BYTES};
use crate::{FileWriter, Kind, LayoutKind, Link, LibVer, Obj, Values};
use h5kit_core::{lookup3, Error, Result, UNDEFINED_ADDRESS};
use h5kit_object_header::{AllocTime, FillTime, FillValue, UNLIMITED};
use std::borrow::Cow;
/// The serializer's maps are keyed by internal object ids and block tags, never by input from
/// outside: SipHash's flooding resistance buys nothing there and cost ~10% of a flush of many
/// small objects. FxHash's multiply-rotate step instead.
type HashMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl IdHasher {
    #[inline]
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}
use std::io::Write;

/// Group B-tree node K ("Group Internal Node K"): 2K children per node.
const GROUP_K: usize = 16;
/// Symbol table node capacity is 2 x "Group Leaf Node K".
const GROUP_LEAF_K: usize = 4;
/// Chunk B-tree K (libhdf5 default, not stored in superblock 0).
const CHUNK_K: usize = 32;
/// libhdf5's end-of-free-list marker in local heaps (`H5HL_FREE_NULL`).
const LHEAP_FREE_NULL: u64 = 1;
/// Minimum global heap collection size (`H5HG_MINSIZE`).
const GCOL_MIN: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Block {
    GCol(usize),
    Ohdr(usize),
    LHeap(usize),
    /// Group B-tree node: object, level, index in level.
    GNode(usize, usize, usize),
    Snod(usize, usize),
    Data(usize),
    Chunk(usize, usize),
    /// Chunk B-tree node: object, level, index in level.
    CNode(usize, usize, usize),
    FaHdr(usize),
    FaData(usize),
    /// Extensible array: header, index block, secondary block (super block number), data
    /// block (super block number, data block in it).
    EaHdr(usize),
    EaIblock(usize),
    EaSblock(usize, usize),
    EaDblock(usize, usize, u64),
    /// v2 B-tree chunk index: header and root leaf.
    CBt2Hdr(usize),
    CBt2Leaf(usize),
    /// Dense link or attribute storage: fractal heap header, its root direct block, v2
    /// B-tree (name index) header and its root leaf.
    FHeap(usize, Store),
    FDblock(usize, Store),
    Bt2Hdr(usize, Store),
    Bt2Leaf(usize, Store),
}

/// What a dense storage holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Store {
    Links,
    Attrs,
}

/// Dense storage layout (latest format, more than 8 links / attributes, or attributes too
/// large for the object header).
struct Dense {
    /// Size of the fractal heap's root direct block (= starting block size).
    block_size: u64,
    /// "Maximum Direct Block Size" and "Maximum Size of Managed Objects".
    max_direct: u64,
    max_managed: u32,
    /// Heap ID length: 7 for links, 8 for attributes (libhdf5's values).
    id_len: usize,
    /// v2 B-tree node size (all records fit in the root leaf).
    node_size: u32,
    /// Per link / attribute (in creation order): name, offset in the heap, message size.
    objects: Vec<(String, u64, u64)>,
}

impl Dense {
    /// Bytes of the length field of heap IDs: min(bytes of the max direct block offset,
    /// bytes to encode the max managed object size) — libhdf5's `heap_len_size`.
    fn len_size(&self) -> usize {
        let dir = (63 - self.max_direct.max(1).leading_zeros() as usize).div_ceil(8);
        let man = (31 - self.max_managed.max(1).leading_zeros() as usize) / 8 + 1;
        dir.min(man)
    }

    /// Managed-object heap ID: version/type byte 0, 4-byte offset, length.
    fn heap_id(&self, off: u64, len: u64) -> Vec<u8> {
        let mut b = Buf::new();
        b.u8(0);
        b.uint(off, 4);
        b.uint(len, self.len_size());
        b.v.resize(self.id_len, 0);
        b.v
    }
}

/// Fractal heap parameters for dense storage (libhdf5's defaults for groups/attributes).
const FH_WIDTH: u16 = 4;
const FH_MAX_DIRECT: u64 = 65536;
/// Largest root direct block written (dense storage needing more is an error / stays compact).
const FH_MAX_BLOCK: u64 = 1 << 20;
const FH_MAX_HEAP_BITS: u16 = 32;
const FH_MAX_MANAGED: u32 = 4096;
/// Direct block prefix: signature, version, heap header address, block offset (4 bytes).
const FH_DBLOCK_PREFIX: u64 = 4 + 1 + 8 + 4;
/// v2 B-tree records: link name index (type 5) = name hash + 7-byte heap ID; attribute name
/// index (type 8) = 8-byte heap ID, message flags, creation order, name hash.
const BT2_LINK_RECORD: usize = 4 + 7;
const BT2_ATTR_RECORD: usize = 8 + 1 + 4 + 4;

/// How a chunked dataset indexes its chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Index {
    BTreeV1,
    Single,
    FixedArray,
    ExtArray,
    BTreeV2,
}

/// Extensible array creation parameters (libhdf5's chunk index defaults): max bits, index
/// block elements, secondary block min data pointers, data block min elements, page bits.
const EA_MAX_BITS: u8 = 32;
const EA_IDX_ELMTS: u64 = 4;
const EA_SBLK_MIN_PTRS: u64 = 4;
const EA_DBLK_MIN_ELMTS: u64 = 16;
const EA_PAGE_BITS: u8 = 10;
/// Super blocks whose data blocks are addressed from the index block (2 log2(min ptrs)).
const EA_IBLOCK_SBLKS: usize = 4;
/// v2 B-tree chunk index node size (libhdf5 default; raised so all records fit the root).
const BT2_CHUNK_NODE: u32 = 2048;

/// Super block `u` of an extensible array: data blocks, elements per data block, first
/// element index (after the index block's elements), first data block number.
fn ea_sblk(u: usize) -> (u64, u64, u64, u64) {
    let mut start_idx = 0u64;
    let mut start_dblk = 0u64;
    for k in 0..u {
        let nd = 1u64 << (k / 2);
        let ne = (1u64 << (k.div_ceil(2))) * EA_DBLK_MIN_ELMTS;
        start_idx += nd * ne;
        start_dblk += nd;
    }
    (1u64 << (u / 2), (1u64 << u.div_ceil(2)) * EA_DBLK_MIN_ELMTS, start_idx, start_dblk)
}

/// Number of super blocks: 1 + max bits - log2(data block min elements).
const EA_NSBLKS: usize = 1 + EA_MAX_BITS as usize - 4;

/// Where the extensible array stores element `idx`: `None` = the index block, else (super
/// block, data block within it, element within the data block).
fn ea_locate(idx: u64) -> Option<(usize, u64, u64)> {
    if idx < EA_IDX_ELMTS {
        return None;
    }
    let j = idx - EA_IDX_ELMTS;
    let u = (63 - (j / EA_DBLK_MIN_ELMTS + 1).leading_zeros()) as usize;
    let (_, ne, start, _) = ea_sblk(u);
    let local = j - start;
    Some((u, local / ne, local % ne))
}

struct Chunk {
    /// Scaled (chunk grid) coordinates.
    scaled: Vec<u64>,
    data: Vec<u8>,
    mask: u32,
}

#[derive(Default)]
struct Prepared<'a> {
    /// Contiguous and compact raw data: borrowed from the model when no heap ID or reference
    /// has to be resolved into it (no copy of the caller's data).
    raw: Cow<'a, [u8]>,
    chunks: Vec<Chunk>,
    /// Extensible array index: element index -> chunk, allocated secondary blocks and data
    /// blocks (computed once).
    ea_slots: HashMap<u64, usize>,
    ea_sblks: Vec<usize>,
    ea_dblks: Vec<(usize, u64)>,
}

/// Symbol table layout of an old-style group.
struct SymTab {
    /// Link indices sorted by name.
    sorted: Vec<usize>,
    heap: Vec<u8>,
    name_off: Vec<u64>,
    soft_off: Vec<Option<u64>>,
    nsnods: usize,
    levels: Vec<usize>,
}

/// Owner of element values: object id and attribute index (`None`: the dataset's data).
type Owner = (usize, Option<usize>);
/// Global heap ID of one variable-length element: element count, collection, object index.
type HeapRef = (u32, usize, u16);

struct Plan<'a> {
    w: &'a FileWriter,
    latest: bool,
    order: Vec<usize>,
    refcount: HashMap<usize, u32>,
    addr: HashMap<Block, u64>,
    gcols: Vec<Vec<Vec<u8>>>,
    /// Global heap objects holding region references (collection, object index - 1): the
    /// target dataset and region, encoded when object header addresses are known.
    gregions: HashMap<(usize, usize), (String, crate::Region)>,
    /// Global heap objects holding sequences of object references (collection, object
    /// index - 1): the target paths, encoded when object header addresses are known.
    grefs: HashMap<(usize, usize), Vec<Option<String>>>,
    vl: HashMap<Owner, Vec<HeapRef>>,
    prepared: HashMap<usize, Prepared<'a>>,
    symtabs: HashMap<usize, SymTab>,
    dense: HashMap<(usize, Store), Dense>,
}

/// Serializes the writer's model into a complete file image in memory.
pub fn serialize(w: &FileWriter) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    serialize_into(w, &mut v)?;
    Ok(v)
}

/// Serializes the writer's model, streaming the file image to `out`.
pub fn serialize_into<W: Write>(w: &FileWriter, out: &mut W) -> Result<()> {
    let latest = w.libver == LibVer::Latest;
    let mut p = Plan {
        w,
        latest,
        order: Vec::new(),
        refcount: HashMap::default(),
        addr: HashMap::default(),
        gcols: Vec::new(),
        gregions: HashMap::default(),
        grefs: HashMap::default(),
        vl: HashMap::default(),
        prepared: HashMap::default(),
        symtabs: HashMap::default(),
        dense: HashMap::default(),
    };
    p.collect_objects();
    p.collect_vlen()?;
    for &id in &p.order.clone() {
        if p.uses_symtab(id) {
            let st = p.symtab(id)?;
            p.symtabs.insert(id, st);
        } else if let Some(d) = p.dense_plan(id, Store::Links)? {
            p.dense.insert((id, Store::Links), d);
        }
        if let Some(d) = p.dense_plan(id, Store::Attrs)? {
            p.dense.insert((id, Store::Attrs), d);
        }
    }
    let mut cursor: u64 = if latest { 48 } else { 96 };
    let mut alloc = |addr: &mut HashMap<Block, u64>, b: Block, size: usize| {
        let a = round_up(cursor as usize, 8) as u64;
        addr.insert(b, a);
        cursor = a + size as u64;
    };
    let sizes: Vec<usize> = p.gcols.iter().map(|c| gcol_size(c)).collect();
    for (i, size) in sizes.into_iter().enumerate() {
        alloc(&mut p.addr, Block::GCol(i), size);
    }
    for &id in &p.order {
        let size = p.ohdr(id)?.len();
        alloc(&mut p.addr, Block::Ohdr(id), size);
    }
    p.prepare_datasets()?;
    let mut others = Vec::new();
    for &id in &p.order {
        others.extend(p.aux_blocks(id)?);
    }
    for &b in &others {
        let size = p.block_size(b)?;
        alloc(&mut p.addr, b, size);
    }
    let eof = cursor;
    // Phase 2: every structure in address order (the order they were allocated in), the
    // superblock first since the end-of-file address is known; gaps are zero padding.
    let mut sink = Sink { out, pos: 0 };
    let sb = p.superblock(eof)?;
    sink.put(0, &sb)?;
    for i in 0..p.gcols.len() {
        let b = p.gcol(i);
        sink.put(p.at(Block::GCol(i)), &b)?;
    }
    for &id in &p.order {
        let b = p.ohdr(id)?;
        sink.put(p.at(Block::Ohdr(id)), &b)?;
    }
    for &b in &others {
        match b {
            Block::Data(id) => {
                let raw = p.prepared.get(&id).map(|x| &*x.raw).unwrap_or(&[]);
                sink.put(p.at(b), raw)?;
            }
            Block::Chunk(id, i) => {
                let data = p.prepared.get(&id).and_then(|x| x.chunks.get(i)).map(|c| c.data.as_slice()).unwrap_or(&[]);
                sink.put(p.at(b), data)?;
            }
            _ => {
                let bytes = p.encode_block(b)?;
                sink.put(p.at(b), &bytes)?;
            }
        }
    }
    if sink.pos != eof {
        sink.pad_to(eof)?;
    }
    Ok(())
}

/// Sequential writer of the file image: structures arrive in increasing address order.
struct Sink<'w, W: Write> {
    out: &'w mut W,
    pos: u64,
}

impl<W: Write> Sink<'_, W> {
    fn pad_to(&mut self, addr: u64) -> Result<()> {
        if addr < self.pos {
            return Err(Error::format(addr, "internal error: structures out of address order"));
        }
        // A static block: a local `[0u8; 4096]` was a 4 KiB memset on every call (every block).
        static ZEROS: [u8; 4096] = [0u8; 4096];
        while self.pos < addr {
            let n = (addr - self.pos).min(ZEROS.len() as u64) as usize;
            self.out.write_all(ZEROS.get(..n).unwrap_or(&[])).map_err(|e| Error::io(e, "writing the file"))?;
            self.pos += n as u64;
        }
        Ok(())
    }

    fn put(&mut self, addr: u64, bytes: &[u8]) -> Result<()> {
        self.pad_to(addr)?;
        self.out.write_all(bytes).map_err(|e| Error::io(e, "writing the file"))?;
        self.pos += bytes.len() as u64;
        Ok(())
    }
}

use crate::edit::selection_bytes;

fn gcol_size(objs: &[Vec<u8>]) -> usize {
    let used: usize = 16 + objs.iter().map(|o| 16 + round_up(o.len(), 8)).sum::<usize>();
    used.max(GCOL_MIN)
}

impl<'a> Plan<'a> {
    fn at(&self, b: Block) -> u64 {
        self.addr.get(&b).copied().unwrap_or(0)
    }

    fn obj(&self, id: usize) -> Result<&'a Obj> {
        self.w.objs.get(id).ok_or_else(|| Error::usage("internal error: dangling object id"))
    }

    /// Objects reachable from the root through hard links, depth first; link counts.
    fn collect_objects(&mut self) {
        let mut seen = vec![false; self.w.objs.len()];
        let mut stack = vec![0usize];
        self.refcount.insert(0, 1);
        if let Some(s) = seen.get_mut(0) {
            *s = true;
        }
        while let Some(id) = stack.pop() {
            self.order.push(id);
            if let Some(Obj { kind: Kind::Group { links, .. }, .. }) = self.w.objs.get(id) {
                for e in links.iter().rev() {
                    if let Link::Hard(t) = e.link {
                        *self.refcount.entry(t).or_insert(0) += 1;
                        if let Some(s) = seen.get_mut(t) {
                            if !*s {
                                *s = true;
                                stack.push(t);
                            }
                        }
                    }
                }
            }
        }
        // Children were pushed in reverse so the depth-first order follows link order.
        // Committed datatypes count one reference per user, and stay in the file while used.
        let mut users: Vec<usize> = Vec::new();
        for &id in &self.order {
            if let Some(o) = self.w.objs.get(id) {
                if let Kind::Dataset(d) = &o.kind {
                    users.extend(d.committed);
                }
                users.extend(o.attrs.iter().filter_map(|a| a.committed));
            }
        }
        for t in users {
            *self.refcount.entry(t).or_insert(0) += 1;
            if let Some(s) = seen.get_mut(t) {
                if !*s {
                    *s = true;
                    self.order.push(t);
                }
            }
        }
    }

    /// Shared message (spec IV.A.2, "Shared Message" version 2 / 3) pointing at the object
    /// header of committed datatype `t`.
    fn shared_datatype(&self, t: usize) -> Vec<u8> {
        let mut b = Buf::new();
        b.u8(if self.latest { 3 } else { 2 });
        b.u8(2);
        b.u64(self.at(Block::Ohdr(t)));
        b.v
    }

    /// Puts every variable-length element into global heap collections.
    fn collect_vlen(&mut self) -> Result<()> {
        // Owner, (base element size, is a string) of each piece (cycling), pieces.
        type VlOwner<'b> = (Owner, Vec<(u32, bool)>, &'b Vec<Option<Vec<u8>>>);
        let mut owners: Vec<VlOwner<'a>> = Vec::new();
        for &id in &self.order {
            let o = self.obj(id)?;
            let mut add = |key: Owner, dt: &crate::Datatype, vals: &'a Values| -> Result<()> {
                match vals {
                    Values::Vlen(v) | Values::Mixed { pieces: v, .. } => {
                        let bases = enc::vl_slots(dt)?.into_iter().map(|(_, b, st)| (b, st)).collect();
                        owners.push((key, bases, v));
                    }
                    _ => {}
                }
                Ok(())
            };
            if let Kind::Dataset(d) = &o.kind {
                add((id, None), &d.dt, &d.vals)?;
            }
            for (i, a) in o.attrs.iter().enumerate() {
                add((id, Some(i)), &a.dt, &a.vals)?;
            }
        }
        let mut used = 16usize;
        for (key, bases, elems) in owners {
            let mut ids = Vec::with_capacity(elems.len());
            for (k, e) in elems.iter().enumerate() {
                let (base, string) = bases.get(k % bases.len().max(1)).copied().unwrap_or((1, false));
                // Never written: null heap ID. Empty sequences are null too, but an empty
                // string gets a zero-size heap object (libhdf5 tells "" from NULL that way).
                let e = match e {
                    Some(e) if !e.is_empty() || string => e,
                    _ => {
                        ids.push((0u32, usize::MAX, 0u16));
                        continue;
                    }
                };
                let base = base.max(1) as usize;
                if e.len() % base != 0 {
                    return Err(Error::usage("variable-length sequence bytes are not a whole number of base elements"));
                }
                let count = u32::try_from(e.len() / base).map_err(|_| Error::usage("variable-length element too long"))?;
                let size = 16 + round_up(e.len(), 8);
                let full = self.gcols.last().map(|c| c.len() >= 0xfffe || used + size > GCOL_MIN).unwrap_or(true);
                if full {
                    self.gcols.push(Vec::new());
                    used = 16;
                }
                let coll = self.gcols.len() - 1;
                if let Some(c) = self.gcols.last_mut() {
                    c.push(e.clone());
                    ids.push((count, coll, c.len() as u16));
                }
                used += size;
            }
            self.vl.insert(key, ids);
        }
        // Sequences of object references: one heap object of 8-byte addresses each.
        let mut seqs: Vec<(Owner, &'a Vec<Vec<Option<String>>>)> = Vec::new();
        for &id in &self.order {
            let o = self.obj(id)?;
            if let Kind::Dataset(d) = &o.kind {
                if let Values::VlenRefs(r) = &d.vals {
                    seqs.push(((id, None), r));
                }
            }
            for (i, a) in o.attrs.iter().enumerate() {
                if let Values::VlenRefs(r) = &a.vals {
                    seqs.push(((id, Some(i)), r));
                }
            }
        }
        for (key, elems) in seqs {
            let mut ids = Vec::with_capacity(elems.len());
            for refs in elems {
                if refs.is_empty() {
                    ids.push((0u32, usize::MAX, 0u16));
                    continue;
                }
                let count = u32::try_from(refs.len()).map_err(|_| Error::usage("variable-length element too long"))?;
                let len = refs.len().checked_mul(8).ok_or_else(|| Error::usage("variable-length element too long"))?;
                let size = 16 + round_up(len, 8);
                let full = self.gcols.last().map(|c| c.len() >= 0xfffe || used + size > GCOL_MIN).unwrap_or(true);
                if full {
                    self.gcols.push(Vec::new());
                    used = 16;
                }
                let coll = self.gcols.len() - 1;
                if let Some(c) = self.gcols.last_mut() {
                    c.push(vec![0u8; len]);
                    self.grefs.insert((coll, c.len() - 1), refs.clone());
                    ids.push((count, coll, c.len() as u16));
                }
                used += size;
            }
            self.vl.insert(key, ids);
        }
        // Region references: one heap object each (object address + serialized selection).
        type RegionRefs<'b> = &'b Vec<Option<(String, crate::Region)>>;
        let mut regions: Vec<(Owner, RegionRefs<'a>)> = Vec::new();
        for &id in &self.order {
            let o = self.obj(id)?;
            if let Kind::Dataset(d) = &o.kind {
                if let Values::Regions(r) = &d.vals {
                    regions.push(((id, None), r));
                }
            }
            for (i, a) in o.attrs.iter().enumerate() {
                if let Values::Regions(r) = &a.vals {
                    regions.push(((id, Some(i)), r));
                }
            }
        }
        for (key, refs) in regions {
            let mut ids = Vec::with_capacity(refs.len());
            for r in refs {
                let Some((path, region)) = r else {
                    ids.push((0u32, usize::MAX, 0u16));
                    continue;
                };
                let len = 8 + selection_bytes(region).len();
                let size = 16 + round_up(len, 8);
                let full = self.gcols.last().map(|c| c.len() >= 0xfffe || used + size > GCOL_MIN).unwrap_or(true);
                if full {
                    self.gcols.push(Vec::new());
                    used = 16;
                }
                let coll = self.gcols.len() - 1;
                if let Some(c) = self.gcols.last_mut() {
                    c.push(vec![0u8; len]);
                    self.gregions.insert((coll, c.len() - 1), (path.clone(), region.clone()));
                    ids.push((len as u32, coll, c.len() as u16));
                }
                used += size;
            }
            self.vl.insert(key, ids);
        }
        Ok(())
    }

    /// Global heap collection (spec III.E "Disk Format: Level 1E - Global Heap").
    fn gcol(&self, i: usize) -> Vec<u8> {
        let objs = self.gcols.get(i).map(|v| v.as_slice()).unwrap_or(&[]);
        let size = gcol_size(objs);
        let mut b = Buf::new();
        b.bytes(b"GCOL");
        b.u8(1);
        b.zeros(3);
        b.u64(size as u64);
        for (k, o) in objs.iter().enumerate() {
            b.u16(k as u16 + 1);
            b.u16(0);
            b.u32(0);
            b.u64(o.len() as u64);
            match self.gregions.get(&(i, k)) {
                Some((path, region)) => {
                    // Region reference: target object header address + selection (same size).
                    let target = self.w.resolve(path).ok().filter(|t| self.refcount.contains_key(t));
                    b.u64(target.map(|t| self.at(Block::Ohdr(t))).unwrap_or(UNDEFINED_ADDRESS));
                    b.bytes(&selection_bytes(region));
                }
                None => match self.grefs.get(&(i, k)) {
                    Some(refs) => {
                        for r in refs {
                            let target = r.as_ref().and_then(|p| self.w.resolve(p).ok()).filter(|t| self.refcount.contains_key(t));
                            b.u64(target.map(|t| self.at(Block::Ohdr(t))).unwrap_or(0));
                        }
                    }
                    None => b.bytes(o),
                },
            }
            b.pad_to(8);
        }
        let free = size - b.len();
        if free >= 16 {
            b.u16(0);
            b.u16(0);
            b.u32(0);
            b.u64(free as u64);
        }
        b.v.resize(size, 0);
        b.v
    }

    fn uses_symtab(&self, id: usize) -> bool {
        if self.latest {
            return false;
        }
        match self.w.objs.get(id).map(|o| &o.kind) {
            Some(Kind::Group { links, .. }) => !links.iter().any(|e| matches!(e.link, Link::External(..))),
            _ => false,
        }
    }

    fn symtab(&self, id: usize) -> Result<SymTab> {
        let links = match &self.obj(id)?.kind {
            Kind::Group { links, .. } => links,
            _ => return Err(Error::usage("internal error: not a group")),
        };
        let mut sorted: Vec<usize> = (0..links.len()).collect();
        sorted.sort_by_key(|&i| links.get(i).map(|e| e.name.as_bytes()));
        let mut heap = Buf::new();
        heap.zeros(8);
        let mut name_off = Vec::new();
        let mut soft_off = Vec::new();
        for e in sorted.iter().filter_map(|&i| links.get(i)) {
            name_off.push(heap.len() as u64);
            heap.bytes(e.name.as_bytes());
            heap.u8(0);
            heap.pad_to(8);
            if let Link::Soft(t) = &e.link {
                soft_off.push(Some(heap.len() as u64));
                heap.bytes(t.as_bytes());
                heap.u8(0);
                heap.pad_to(8);
            } else {
                soft_off.push(None);
            }
        }
        let nsnods = sorted.len().div_ceil(2 * GROUP_LEAF_K);
        let levels = btree_levels(nsnods, 2 * GROUP_K);
        Ok(SymTab { sorted, heap: heap.v, name_off, soft_off, nsnods, levels })
    }

    fn libver_latest_index(&self, d: &crate::Ds) -> Index {
        if !self.latest {
            return Index::BTreeV1;
        }
        let shape = d.shape.clone().unwrap_or_default();
        let max = d.maxshape.clone().unwrap_or_else(|| shape.clone());
        let unlimited = max.iter().filter(|&&m| m == UNLIMITED).count();
        let nchunks = crate::sat_prod(&Self::chunk_grid(d));
        if unlimited == 1 {
            // libhdf5 indexes extensible arrays over the current chunk counts; when a fixed
            // dimension can still grow (or the array needs paged data blocks) the v1 B-tree
            // index (layout version 3, valid in every file) is used instead.
            let others_fixed = max.iter().zip(&shape).all(|(&m, &s)| m == UNLIMITED || m == s);
            // Super blocks from 13 on have paged data blocks (more than 2^10 elements).
            let unpaged_limit = ea_sblk(13).2 + EA_IDX_ELMTS;
            if others_fixed && nchunks <= unpaged_limit {
                return Index::ExtArray;
            }
            return Index::BTreeV1;
        }
        if unlimited > 1 {
            if nchunks <= 0xffff {
                return Index::BTreeV2;
            }
            return Index::BTreeV1;
        }
        let chunks = d.chunks.clone().unwrap_or_default();
        if chunks == max {
            Index::Single
        } else if Self::fa_entries(d).1 <= 1 << 28 {
            Index::FixedArray
        } else {
            Index::BTreeV1
        }
    }

    /// Encodes element values (heap IDs, references resolved) into raw bytes.
    fn raw_values(&self, key: (usize, Option<usize>), vals: &'a Values) -> Result<Cow<'a, [u8]>> {
        let heap_id = |b: &mut Buf, (count, coll, idx): HeapRef| {
            b.u32(count);
            b.u64(if coll == usize::MAX { 0 } else { self.at(Block::GCol(coll)) });
            b.u32(idx as u32);
        };
        match vals {
            Values::Mixed { fixed, nslots, .. } => {
                let dt = match key {
                    (id, None) => match &self.obj(id)?.kind {
                        Kind::Dataset(d) => &d.dt,
                        _ => return Err(Error::usage("internal error: values owner")),
                    },
                    (id, Some(i)) => &self.obj(id)?.attrs.get(i).ok_or_else(|| Error::usage("internal error: attribute"))?.dt,
                };
                let slots = enc::vl_slots(dt)?;
                let size = dt.size as usize;
                let mut out = fixed.clone();
                let ids = self.vl.get(&key).map(|v| v.as_slice()).unwrap_or(&[]);
                for (k, &r) in ids.iter().enumerate() {
                    let (e, t) = (k / (*nslots).max(1), k % (*nslots).max(1));
                    let off = e * size + slots.get(t).map(|s| s.0 as usize).unwrap_or(0);
                    let mut b = Buf::new();
                    heap_id(&mut b, r);
                    if let Some(dst) = out.get_mut(off..off + 16) {
                        dst.copy_from_slice(&b.v);
                    }
                }
                Ok(Cow::Owned(out))
            }
            Values::Fixed(v) => Ok(Cow::Borrowed(v.as_slice())),
            Values::FixedRefs { fixed, refs, nslots } => {
                let dt = match key {
                    (id, None) => match &self.obj(id)?.kind {
                        Kind::Dataset(d) => &d.dt,
                        _ => return Err(Error::usage("internal error: values owner")),
                    },
                    (id, Some(i)) => &self.obj(id)?.attrs.get(i).ok_or_else(|| Error::usage("internal error: attribute"))?.dt,
                };
                let slots = enc::ref_slots(dt)?;
                let size = dt.size as usize;
                let mut out = fixed.clone();
                for (k, r) in refs.iter().enumerate() {
                    let (e, t) = (k / (*nslots).max(1), k % (*nslots).max(1));
                    let off = e * size + slots.get(t).map(|s| *s as usize).unwrap_or(0);
                    let target = r.as_ref().and_then(|p| self.w.resolve(p).ok()).filter(|t| self.refcount.contains_key(t));
                    let addr = target.map(|t| self.at(Block::Ohdr(t))).unwrap_or(0);
                    if let Some(dst) = out.get_mut(off..off + 8) {
                        dst.copy_from_slice(&addr.to_le_bytes());
                    }
                }
                Ok(Cow::Owned(out))
            }
            Values::Vlen(_) | Values::VlenRefs(_) => {
                let ids = self.vl.get(&key).map(|v| v.as_slice()).unwrap_or(&[]);
                let mut b = Buf::new();
                for &r in ids {
                    heap_id(&mut b, r);
                }
                Ok(Cow::Owned(b.v))
            }
            Values::Regions(r) => {
                for (path, _) in r.iter().flatten() {
                    let id = self.w.resolve(path).map_err(|e| e.context("region reference"))?;
                    match self.w.objs.get(id).map(|o| &o.kind) {
                        Some(Kind::Dataset(_)) if self.refcount.contains_key(&id) => {}
                        _ => return Err(Error::not_found(format!("region reference to {}: no such dataset in the file", path))),
                    }
                }
                let ids = self.vl.get(&key).map(|v| v.as_slice()).unwrap_or(&[]);
                let mut b = Buf::new();
                for &(_, coll, idx) in ids {
                    b.u64(if coll == usize::MAX { 0 } else { self.at(Block::GCol(coll)) });
                    b.u32(idx as u32);
                }
                Ok(Cow::Owned(b.v))
            }
            Values::Refs(r) => {
                let mut b = Buf::new();
                for t in r {
                    match t {
                        None => b.u64(0),
                        Some(path) => {
                            let id = self.w.resolve(path).map_err(|e| e.context("object reference"))?;
                            if !self.refcount.contains_key(&id) {
                                return Err(Error::not_found(format!("object reference to {}: object not in the file", path)));
                            }
                            b.u64(self.at(Block::Ohdr(id)));
                        }
                    }
                }
                Ok(Cow::Owned(b.v))
            }
        }
    }

    fn prepare_datasets(&mut self) -> Result<()> {
        for &id in &self.order {
            let o = self.obj(id)?;
            let d = match &o.kind {
                Kind::Dataset(d) => d,
                _ => continue,
            };
            let raw = self.raw_values((id, None), &d.vals)?;
            let mut prep = Prepared::default();
            if d.layout == LayoutKind::Chunked {
                if d.written {
                    prep.chunks = self.make_chunks(d, &raw)?;
                }
                if self.libver_latest_index(d) == Index::ExtArray {
                    prep.ea_slots = Self::compute_ea_slots(d, &prep.chunks);
                    let mut dblks: Vec<(usize, u64)> =
                        prep.ea_slots.keys().filter_map(|&i| ea_locate(i)).map(|(u, k, _)| (u, k)).collect();
                    dblks.sort();
                    dblks.dedup();
                    let mut sblks: Vec<usize> = dblks.iter().map(|&(u, _)| u).filter(|&u| u >= EA_IBLOCK_SBLKS).collect();
                    sblks.dedup();
                    prep.ea_sblks = sblks;
                    prep.ea_dblks = dblks;
                }
            } else {
                prep.raw = raw;
            }
            self.prepared.insert(id, prep);
        }
        Ok(())
    }

    /// Every chunk of a written chunked dataset, in chunk-grid (row-major) order: gathered
    /// from the row-major `raw` data (edge chunks padded with the fill value) and run through
    /// the filter pipeline ([`crate::filters::encode_chunk`]). Filtered chunks are encoded on
    /// up to [`worker_count`] threads; each worker holds one unfiltered chunk at a time and the
    /// results are put back in grid order, so the file is the same whatever the thread count.
    fn make_chunks(&self, d: &crate::Ds, raw: &[u8]) -> Result<Vec<Chunk>> {
        let shape = d.shape.clone().unwrap_or_default();
        let cdims = d.chunks.clone().unwrap_or_default();
        let esize = d.dt.size as usize;
        let grid: Vec<u64> = shape.iter().zip(&cdims).map(|(s, c)| s.div_ceil(*c)).collect();
        let nchunks: u64 = crate::sat_prod(&grid);
        let per_chunk: u64 = crate::sat_prod(&cdims);
        let chunk_bytes = usize::try_from(per_chunk.saturating_mul(esize as u64)).map_err(|_| Error::usage("chunk too large"))?;
        if chunk_bytes > u32::MAX as usize {
            return Err(Error::usage("chunk too large (4 GiB maximum)"));
        }
        let nchunks = usize::try_from(nchunks).map_err(|_| Error::usage("too many chunks"))?;
        let fill: Vec<u8> = match &d.fill {
            Some(f) => f.repeat(per_chunk as usize),
            None => vec![0u8; chunk_bytes],
        };
        // Chunk `i` of the grid: its scaled coordinates and its encoded bytes.
        let chunk_at = |i: usize| -> Result<Chunk> {
            let scaled = unravel(i as u64, &grid);
            let start: Vec<u64> = scaled.iter().zip(&cdims).map(|(s, c)| s * c).collect();
            let count: Vec<u64> = start.iter().zip(&shape).zip(&cdims).map(|((st, sh), c)| (*c).min(sh - st)).collect();
            let buf = if count == cdims {
                // A whole chunk: its rows appended (no fill pass over bytes overwritten next).
                let mut buf = Vec::with_capacity(chunk_bytes);
                gather_box(raw, &shape, &start, &count, esize, &mut buf);
                buf
            } else {
                // An edge chunk: the fill value, then the valid part copied over it.
                let mut buf = fill.clone();
                crate::copy_box(raw, &shape, &start, &mut buf, &cdims, &vec![0; cdims.len()], &count, esize);
                buf
            };
            let (data, mask) = crate::filters::encode_chunk(d, buf)?;
            // (chunk sizes are 32-bit in chunk indexes)
            if data.len() > u32::MAX as usize {
                return Err(Error::usage("filtered chunk larger than 4 GiB"));
            }
            Ok(Chunk { scaled, data, mask })
        };
        // Unfiltered chunks are copies: not worth threads. Small datasets neither.
        let parallel = d.filtered() && nchunks > 1 && raw.len() >= PARALLEL_MIN_BYTES;
        let workers = if parallel { worker_count(self.w.threads, nchunks) } else { 1 };
        run_in_order(nchunks, workers, chunk_at)
    }

    /// Blocks other than object headers that belong to object `id`.
    fn aux_blocks(&self, id: usize) -> Result<Vec<Block>> {
        let mut v = Vec::new();
        if let Some(st) = self.symtabs.get(&id) {
            v.push(Block::LHeap(id));
            for (level, &n) in st.levels.iter().enumerate().rev() {
                for i in 0..n {
                    v.push(Block::GNode(id, level, i));
                }
            }
            for s in 0..st.nsnods {
                v.push(Block::Snod(id, s));
            }
            return Ok(v);
        }
        for store in [Store::Links, Store::Attrs] {
            if self.dense.contains_key(&(id, store)) {
                v.extend([
                    Block::FHeap(id, store),
                    Block::FDblock(id, store),
                    Block::Bt2Hdr(id, store),
                    Block::Bt2Leaf(id, store),
                ]);
            }
        }
        if self.dense.contains_key(&(id, Store::Links)) {
            return Ok(v);
        }
        let d = match &self.obj(id)?.kind {
            Kind::Dataset(d) => d,
            _ => return Ok(v),
        };
        let prep = self.prepared.get(&id);
        match d.layout {
            LayoutKind::Compact => {}
            LayoutKind::Contiguous => {
                if d.written && prep.map(|p| !p.raw.is_empty()).unwrap_or(false) {
                    v.push(Block::Data(id));
                }
            }
            LayoutKind::Chunked => {
                let n = prep.map(|p| p.chunks.len()).unwrap_or(0);
                if n == 0 {
                    return Ok(v);
                }
                match self.libver_latest_index(d) {
                    Index::BTreeV1 => {
                        for (level, &k) in btree_levels(n, 2 * CHUNK_K).iter().enumerate().rev() {
                            for i in 0..k {
                                v.push(Block::CNode(id, level, i));
                            }
                        }
                    }
                    Index::FixedArray => {
                        v.push(Block::FaHdr(id));
                        v.push(Block::FaData(id));
                    }
                    Index::ExtArray => {
                        v.push(Block::EaHdr(id));
                        v.push(Block::EaIblock(id));
                        let (sblks, dblks) = self.ea_blocks(id, d);
                        v.extend(sblks.into_iter().map(|u| Block::EaSblock(id, u)));
                        v.extend(dblks.into_iter().map(|(u, k)| Block::EaDblock(id, u, k)));
                    }
                    Index::BTreeV2 => {
                        v.push(Block::CBt2Hdr(id));
                        v.push(Block::CBt2Leaf(id));
                    }
                    Index::Single => {}
                }
                for i in 0..n {
                    v.push(Block::Chunk(id, i));
                }
            }
        }
        Ok(v)
    }

    fn block_size(&self, b: Block) -> Result<usize> {
        match b {
            Block::Data(id) => Ok(self.prepared.get(&id).map(|p| p.raw.len()).unwrap_or(0)),
            Block::Chunk(id, i) => Ok(self.prepared.get(&id).and_then(|p| p.chunks.get(i)).map(|c| c.data.len()).unwrap_or(0)),
            _ => Ok(self.encode_block(b)?.len()),
        }
    }

    fn encode_block(&self, b: Block) -> Result<Vec<u8>> {
        match b {
            Block::Data(id) => Ok(self.prepared.get(&id).map(|p| p.raw.to_vec()).unwrap_or_default()),
            Block::Chunk(id, i) => {
                Ok(self.prepared.get(&id).and_then(|p| p.chunks.get(i)).map(|c| c.data.clone()).unwrap_or_default())
            }
            Block::LHeap(id) => self.local_heap(id),
            Block::GNode(id, level, i) => self.group_node(id, level, i),
            Block::Snod(id, s) => self.snod(id, s),
            Block::CNode(id, level, i) => self.chunk_node(id, level, i),
            Block::FaHdr(id) => self.fa_header(id),
            Block::FaData(id) => self.fa_data(id),
            Block::GCol(i) => Ok(self.gcol(i)),
            Block::EaHdr(id) => self.ea_header(id),
            Block::EaIblock(id) => self.ea_iblock(id),
            Block::EaSblock(id, u) => self.ea_sblock(id, u),
            Block::EaDblock(id, u, k) => self.ea_dblock(id, u, k),
            Block::CBt2Hdr(id) => self.cbt2_header(id),
            Block::CBt2Leaf(id) => self.cbt2_leaf(id),
            Block::FHeap(id, st) => self.fheap_header(id, st),
            Block::FDblock(id, st) => self.fheap_dblock(id, st),
            Block::Bt2Hdr(id, st) => self.bt2_header(id, st),
            Block::Bt2Leaf(id, st) => self.bt2_leaf(id, st),
            Block::Ohdr(id) => self.ohdr(id),
        }
    }

    /// Local heap (spec III.D): header then data segment.
    fn local_heap(&self, id: usize) -> Result<Vec<u8>> {
        let st = self.symtabs.get(&id).ok_or_else(|| Error::usage("internal error: no symbol table"))?;
        let mut b = Buf::new();
        b.bytes(b"HEAP");
        b.u8(0);
        b.zeros(3);
        b.u64(st.heap.len() as u64);
        b.u64(LHEAP_FREE_NULL);
        b.u64(self.at(Block::LHeap(id)) + 32);
        b.bytes(&st.heap);
        Ok(b.v)
    }

    fn links(&self, id: usize) -> Result<&'a Vec<crate::LinkEntry>> {
        match &self.obj(id)?.kind {
            Kind::Group { links, .. } => Ok(links),
            _ => Err(Error::usage("internal error: not a group")),
        }
    }

    /// Symbol table entry (spec III.C) of link `li` of group `id`.
    fn symbol_entry(&self, b: &mut Buf, id: usize, st: &SymTab, pos: usize) -> Result<()> {
        let links = self.links(id)?;
        let li = st.sorted.get(pos).copied().unwrap_or(0);
        let e = links.get(li).ok_or_else(|| Error::usage("internal error: link index"))?;
        b.u64(st.name_off.get(pos).copied().unwrap_or(0));
        match &e.link {
            Link::Hard(t) => {
                b.u64(self.at(Block::Ohdr(*t)));
                if let Some(cst) = self.symtabs.get(t) {
                    b.u32(1);
                    b.u32(0);
                    b.u64(self.at(Block::GNode(*t, cst.levels.len() - 1, 0)));
                    b.u64(self.at(Block::LHeap(*t)));
                } else {
                    b.u32(0);
                    b.u32(0);
                    b.zeros(16);
                }
            }
            Link::Soft(_) => {
                b.u64(UNDEFINED_ADDRESS);
                b.u32(2);
                b.u32(0);
                b.u32(st.soft_off.get(pos).copied().flatten().unwrap_or(0) as u32);
                b.zeros(12);
            }
            Link::External(..) => return Err(Error::usage("internal error: external link in a symbol table")),
        }
        Ok(())
    }

    /// Symbol table node (spec III.B "Group Symbol Table Nodes"), 2K entries reserved.
    fn snod(&self, id: usize, s: usize) -> Result<Vec<u8>> {
        let st = self.symtabs.get(&id).ok_or_else(|| Error::usage("internal error: no symbol table"))?;
        let cap = 2 * GROUP_LEAF_K;
        let first = s * cap;
        let n = (st.sorted.len() - first).min(cap);
        let mut b = Buf::new();
        b.bytes(b"SNOD");
        b.u8(1);
        b.u8(0);
        b.u16(n as u16);
        for pos in first..first + n {
            self.symbol_entry(&mut b, id, st, pos)?;
        }
        b.zeros((cap - n) * 40);
        Ok(b.v)
    }

    /// Group B-tree node (spec III.A.1, node type 0): keys are heap offsets of names.
    fn group_node(&self, id: usize, level: usize, i: usize) -> Result<Vec<u8>> {
        let st = self.symtabs.get(&id).ok_or_else(|| Error::usage("internal error: no symbol table"))?;
        let fan = 2 * GROUP_K;
        let cap_leaf = 2 * GROUP_LEAF_K;
        // Descendant SNOD range of this node and its children.
        let span = fan.pow(level as u32 + 1);
        let first = i * span;
        let last = ((i + 1) * span).min(st.nsnods);
        let child_span = span / fan;
        let nchildren = if st.nsnods == 0 { 0 } else { (last - first).div_ceil(child_span) };
        let left_key = |snod: usize| -> u64 {
            if snod == 0 {
                0
            } else {
                st.name_off.get(snod * cap_leaf - 1).copied().unwrap_or(0)
            }
        };
        let right_key = |snod: usize| -> u64 {
            let end = ((snod + 1) * cap_leaf).min(st.sorted.len());
            st.name_off.get(end.saturating_sub(1)).copied().unwrap_or(0)
        };
        let count = st.levels.get(level).copied().unwrap_or(1);
        let mut b = Buf::new();
        b.bytes(b"TREE");
        b.u8(0);
        b.u8(level as u8);
        b.u16(nchildren as u16);
        b.addr(if i > 0 { Some(self.at(Block::GNode(id, level, i - 1))) } else { None });
        b.addr(if i + 1 < count { Some(self.at(Block::GNode(id, level, i + 1))) } else { None });
        for c in 0..nchildren {
            let snod = first + c * child_span;
            b.u64(left_key(snod));
            if level == 0 {
                b.u64(self.at(Block::Snod(id, snod)));
            } else {
                b.u64(self.at(Block::GNode(id, level - 1, i * fan + c)));
            }
        }
        b.u64(if nchildren > 0 { right_key(last - 1) } else { 0 });
        // Reserve the whole node: 2K children and 2K+1 keys.
        b.zeros((fan - nchildren) * 16);
        Ok(b.v)
    }

    fn dataset(&self, id: usize) -> Result<&'a crate::Ds> {
        match &self.obj(id)?.kind {
            Kind::Dataset(d) => Ok(d),
            _ => Err(Error::usage("internal error: not a dataset")),
        }
    }

    fn chunk_key(&self, b: &mut Buf, d: &crate::Ds, nbytes: u32, mask: u32, scaled: &[u64], plus: u64) {
        b.u32(nbytes);
        b.u32(mask);
        let cdims = d.chunks.as_deref().unwrap_or(&[]);
        for (s, c) in scaled.iter().zip(cdims) {
            b.u64((s + plus) * c);
        }
        b.u64(plus * d.dt.size as u64);
    }

    /// Chunk B-tree node (spec III.A.1, node type 1): keys are chunk size, filter mask and
    /// chunk offsets (with a trailing element-size dimension).
    fn chunk_node(&self, id: usize, level: usize, i: usize) -> Result<Vec<u8>> {
        let d = self.dataset(id)?;
        let chunks = self.prepared.get(&id).map(|p| p.chunks.as_slice()).unwrap_or(&[]);
        let n = chunks.len();
        let fan = 2 * CHUNK_K;
        let levels = btree_levels(n, fan);
        let count = levels.get(level).copied().unwrap_or(1);
        let span = fan.pow(level as u32 + 1);
        let first = i * span;
        let last = ((i + 1) * span).min(n);
        let child_span = span / fan;
        let nchildren = (last - first).div_ceil(child_span);
        let rank = d.shape.as_ref().map(|s| s.len()).unwrap_or(0);
        let key_size = 8 + 8 * (rank + 1);
        let mut b = Buf::new();
        b.bytes(b"TREE");
        b.u8(1);
        b.u8(level as u8);
        b.u16(nchildren as u16);
        b.addr(if i > 0 { Some(self.at(Block::CNode(id, level, i - 1))) } else { None });
        b.addr(if i + 1 < count { Some(self.at(Block::CNode(id, level, i + 1))) } else { None });
        for c in 0..nchildren {
            let k = first + c * child_span;
            let ch = chunks.get(k).ok_or_else(|| Error::usage("internal error: chunk index"))?;
            self.chunk_key(&mut b, d, ch.data.len() as u32, ch.mask, &ch.scaled, 0);
            if level == 0 {
                b.u64(self.at(Block::Chunk(id, k)));
            } else {
                b.u64(self.at(Block::CNode(id, level - 1, i * fan + c)));
            }
        }
        let lastc = chunks.get(last.saturating_sub(1)).ok_or_else(|| Error::usage("internal error: chunk index"))?;
        self.chunk_key(&mut b, d, 0, 0, &lastc.scaled, 1);
        b.zeros((fan - nchildren) * (key_size + 8));
        Ok(b.v)
    }

    /// Chunk counts per dimension over the current shape.
    fn chunk_grid(d: &crate::Ds) -> Vec<u64> {
        let shape = d.shape.as_deref().unwrap_or(&[]);
        let cdims = d.chunks.as_deref().unwrap_or(&[]);
        shape.iter().zip(cdims).map(|(s, c)| s.div_ceil((*c).max(1))).collect()
    }

    /// Size of one chunk index entry: address, and for filtered chunks the chunk size and
    /// filter mask.
    fn chunk_entry_size(d: &crate::Ds) -> usize {
        if d.filtered() {
            8 + Self::chunk_size_len(d) + 4
        } else {
            8
        }
    }

    fn chunk_entry(&self, b: &mut Buf, id: usize, d: &crate::Ds, k: Option<usize>) {
        let chunks = self.prepared.get(&id).map(|p| p.chunks.as_slice()).unwrap_or(&[]);
        match k.and_then(|k| chunks.get(k).map(|c| (k, c))) {
            Some((k, c)) => {
                b.u64(self.at(Block::Chunk(id, k)));
                if d.filtered() {
                    b.uint(c.data.len() as u64, Self::chunk_size_len(d));
                    b.u32(c.mask);
                }
            }
            None => {
                b.u64(UNDEFINED_ADDRESS);
                if d.filtered() {
                    b.uint(0, Self::chunk_size_len(d));
                    b.u32(0);
                }
            }
        }
    }

    /// Extensible array element index of every chunk: the scaled coordinates with the
    /// unlimited dimension moved first ("swizzled"), linearized row-major.
    fn compute_ea_slots(d: &crate::Ds, chunks: &[Chunk]) -> HashMap<u64, usize> {
        let grid = Self::chunk_grid(d);
        let max = d.maxshape.as_deref().unwrap_or(&[]);
        let ud = max.iter().position(|&m| m == UNLIMITED).unwrap_or(0);
        let swz = |v: &[u64]| -> Vec<u64> {
            let mut out = Vec::with_capacity(v.len());
            out.extend(v.get(ud).copied());
            out.extend(v.iter().enumerate().filter(|(i, _)| *i != ud).map(|(_, x)| *x));
            out
        };
        let gst = crate::strides(&swz(&grid));
        chunks
            .iter()
            .enumerate()
            .map(|(k, c)| (swz(&c.scaled).iter().zip(&gst).map(|(a, b)| a * b).sum::<u64>(), k))
            .collect()
    }

    fn ea_slots(&self, id: usize, _d: &crate::Ds) -> &HashMap<u64, usize> {
        static EMPTY: std::sync::OnceLock<HashMap<u64, usize>> = std::sync::OnceLock::new();
        match self.prepared.get(&id) {
            Some(p) => &p.ea_slots,
            None => EMPTY.get_or_init(HashMap::default),
        }
    }

    /// Allocated secondary blocks (super block numbers >= 4) and data blocks.
    fn ea_blocks(&self, id: usize, _d: &crate::Ds) -> (Vec<usize>, Vec<(usize, u64)>) {
        match self.prepared.get(&id) {
            Some(p) => (p.ea_sblks.clone(), p.ea_dblks.clone()),
            None => (Vec::new(), Vec::new()),
        }
    }

    /// Extensible array header (spec VII.D, EAHD).
    fn ea_header(&self, id: usize) -> Result<Vec<u8>> {
        let d = self.dataset(id)?;
        let slots = self.ea_slots(id, d);
        let (sblks, dblks) = self.ea_blocks(id, d);
        let mut sblk_size = 0u64;
        for &u in &sblks {
            sblk_size += self.ea_sblock(id, u)?.len() as u64;
        }
        let mut dblk_size = 0u64;
        let mut realized = EA_IDX_ELMTS;
        for &(u, k) in &dblks {
            dblk_size += self.ea_dblock(id, u, k)?.len() as u64;
            realized += ea_sblk(u).1;
        }
        let max_idx = slots.keys().max().map(|m| m + 1).unwrap_or(0);
        let mut b = Buf::new();
        b.bytes(b"EAHD");
        b.u8(0);
        b.u8(d.filtered() as u8);
        b.u8(Self::chunk_entry_size(d) as u8);
        b.u8(EA_MAX_BITS);
        b.u8(EA_IDX_ELMTS as u8);
        b.u8(EA_DBLK_MIN_ELMTS as u8);
        b.u8(EA_SBLK_MIN_PTRS as u8);
        b.u8(EA_PAGE_BITS);
        b.u64(sblks.len() as u64);
        b.u64(sblk_size);
        b.u64(dblks.len() as u64);
        b.u64(dblk_size);
        b.u64(max_idx);
        b.u64(realized);
        b.u64(self.at(Block::EaIblock(id)));
        let c = lookup3(&b.v, 0);
        b.u32(c);
        Ok(b.v)
    }

    /// Extensible array index block (EAIB): the first elements, the data block addresses of
    /// the first super blocks, then secondary block addresses.
    fn ea_iblock(&self, id: usize) -> Result<Vec<u8>> {
        let d = self.dataset(id)?;
        let slots = self.ea_slots(id, d);
        let (sblks, dblks) = self.ea_blocks(id, d);
        let mut b = Buf::new();
        b.bytes(b"EAIB");
        b.u8(0);
        b.u8(d.filtered() as u8);
        b.u64(self.at(Block::EaHdr(id)));
        for i in 0..EA_IDX_ELMTS {
            self.chunk_entry(&mut b, id, d, slots.get(&i).copied());
        }
        for u in 0..EA_IBLOCK_SBLKS {
            let (nd, _, _, _) = ea_sblk(u);
            for k in 0..nd {
                let a = dblks.contains(&(u, k)).then(|| self.at(Block::EaDblock(id, u, k)));
                b.addr(a);
            }
        }
        for u in EA_IBLOCK_SBLKS..EA_NSBLKS {
            b.addr(sblks.contains(&u).then(|| self.at(Block::EaSblock(id, u))));
        }
        let c = lookup3(&b.v, 0);
        b.u32(c);
        Ok(b.v)
    }

    /// Extensible array secondary block (EASB) of super block `u` (data blocks unpaged).
    fn ea_sblock(&self, id: usize, u: usize) -> Result<Vec<u8>> {
        let d = self.dataset(id)?;
        let (_, dblks) = self.ea_blocks(id, d);
        let (nd, _, start, _) = ea_sblk(u);
        let mut b = Buf::new();
        b.bytes(b"EASB");
        b.u8(0);
        b.u8(d.filtered() as u8);
        b.u64(self.at(Block::EaHdr(id)));
        b.u32(start as u32);
        for k in 0..nd {
            b.addr(dblks.contains(&(u, k)).then(|| self.at(Block::EaDblock(id, u, k))));
        }
        let c = lookup3(&b.v, 0);
        b.u32(c);
        Ok(b.v)
    }

    /// Extensible array data block (EADB) `k` of super block `u`.
    fn ea_dblock(&self, id: usize, u: usize, k: u64) -> Result<Vec<u8>> {
        let d = self.dataset(id)?;
        let slots = self.ea_slots(id, d);
        let (_, ne, start, _) = ea_sblk(u);
        let first = start + k * ne;
        let mut b = Buf::new();
        b.bytes(b"EADB");
        b.u8(0);
        b.u8(d.filtered() as u8);
        b.u64(self.at(Block::EaHdr(id)));
        b.u32(first as u32);
        for e in 0..ne {
            self.chunk_entry(&mut b, id, d, slots.get(&(EA_IDX_ELMTS + first + e)).copied());
        }
        let c = lookup3(&b.v, 0);
        b.u32(c);
        Ok(b.v)
    }

    fn cbt2_record_size(d: &crate::Ds) -> usize {
        Self::chunk_entry_size(d) + 8 * d.shape.as_ref().map(|s| s.len()).unwrap_or(0)
    }

    fn cbt2_node_size(&self, d: &crate::Ds) -> u32 {
        let n = usize::try_from(crate::sat_prod(&Self::chunk_grid(d))).unwrap_or(usize::MAX);
        let need = n.saturating_mul(Self::cbt2_record_size(d)).saturating_add(10);
        let mut size = BT2_CHUNK_NODE;
        while (size as usize) < need {
            size = size.saturating_mul(2);
        }
        size
    }

    /// v2 B-tree header (spec III.A.2, BTHD) of a chunk index (record type 10 or 11).
    fn cbt2_header(&self, id: usize) -> Result<Vec<u8>> {
        let d = self.dataset(id)?;
        let n = self.prepared.get(&id).map(|p| p.chunks.len()).unwrap_or(0) as u64;
        let mut b = Buf::new();
        b.bytes(b"BTHD");
        b.u8(0);
        b.u8(if d.filtered() { 11 } else { 10 });
        b.u32(self.cbt2_node_size(d));
        b.u16(Self::cbt2_record_size(d) as u16);
        b.u16(0);
        b.u8(100);
        b.u8(40);
        b.u64(self.at(Block::CBt2Leaf(id)));
        b.u16(n as u16);
        b.u64(n);
        let c = lookup3(&b.v, 0);
        b.u32(c);
        Ok(b.v)
    }

    /// v2 B-tree leaf of a chunk index: records (address, [size, mask,] scaled offsets) in
    /// scaled-coordinate order.
    fn cbt2_leaf(&self, id: usize) -> Result<Vec<u8>> {
        let d = self.dataset(id)?;
        let chunks = self.prepared.get(&id).map(|p| p.chunks.as_slice()).unwrap_or(&[]);
        let mut b = Buf::new();
        b.bytes(b"BTLF");
        b.u8(0);
        b.u8(if d.filtered() { 11 } else { 10 });
        // Chunks are generated in row-major scaled order, which is the record order.
        for (k, c) in chunks.iter().enumerate() {
            self.chunk_entry(&mut b, id, d, Some(k));
            for s in &c.scaled {
                b.u64(*s);
            }
        }
        let cs = lookup3(&b.v, 0);
        b.u32(cs);
        b.v.resize(self.cbt2_node_size(d) as usize, 0);
        Ok(b.v)
    }

    /// Link message body of link `e` (hard link addresses from the plan).
    fn link_body(&self, e: &crate::LinkEntry) -> LinkBody {
        match &e.link {
            Link::Hard(t) => LinkBody::Hard(self.at(Block::Ohdr(*t))),
            Link::Soft(s) => LinkBody::Soft(s.clone()),
            Link::External(f, p) => LinkBody::External(f.clone(), p.clone()),
        }
    }

    /// The messages a dense storage holds, encoded with the current addresses: link messages
    /// (with creation order) or attribute messages.
    fn dense_messages(&self, id: usize, store: Store) -> Result<Vec<(String, Vec<u8>)>> {
        let o = self.obj(id)?;
        match store {
            Store::Links => {
                let links = match &o.kind {
                    Kind::Group { links, .. } => links,
                    _ => return Ok(Vec::new()),
                };
                Ok(links
                    .iter()
                    .map(|e| {
                        let mut b = Buf::new();
                        enc::encode_link(&mut b, &e.name, Some(e.corder), &self.link_body(e));
                        (e.name.clone(), b.v)
                    })
                    .collect())
            }
            Store::Attrs => {
                let mut v = Vec::with_capacity(o.attrs.len());
                for (i, a) in o.attrs.iter().enumerate() {
                    v.push((a.name.clone(), self.attr_message(id, i)?));
                }
                Ok(v)
            }
        }
    }

    /// Dense storage layout: latest format, more than 8 links (groups) or more than 8
    /// attributes / an attribute too large for a header message. Everything goes into one
    /// root direct block of at most 1 MiB; links that do not fit stay compact.
    fn dense_plan(&self, id: usize, store: Store) -> Result<Option<Dense>> {
        if !self.latest {
            return Ok(None);
        }
        let msgs = self.dense_messages(id, store)?;
        let too_big = msgs.iter().any(|(_, m)| m.len() > 0xffff);
        if !(msgs.len() > 8 || (store == Store::Attrs && too_big)) || msgs.len() > 0xffff {
            return Ok(None);
        }
        let mut objects = Vec::with_capacity(msgs.len());
        let mut off = FH_DBLOCK_PREFIX;
        let mut largest = 0u64;
        for (name, m) in &msgs {
            let len = m.len() as u64;
            objects.push((name.clone(), off, len));
            largest = largest.max(len);
            off += len;
        }
        let mut block_size = 512u64;
        while block_size < off {
            block_size *= 2;
        }
        let fits = block_size <= FH_MAX_BLOCK && (store == Store::Attrs || (largest <= FH_MAX_MANAGED as u64 && block_size <= FH_MAX_DIRECT));
        if !fits {
            if store == Store::Attrs {
                return Err(Error::usage("attributes of one object exceed 1 MiB (dense attribute storage limit)"));
            }
            return Ok(None);
        }
        let max_direct = block_size.max(FH_MAX_DIRECT);
        let max_managed = if largest <= FH_MAX_MANAGED as u64 { FH_MAX_MANAGED } else { max_direct as u32 };
        let (id_len, rec) = match store {
            Store::Links => (7, BT2_LINK_RECORD),
            Store::Attrs => (8, BT2_ATTR_RECORD),
        };
        let need = 10 + rec * msgs.len();
        let mut node_size = 512u32;
        while (node_size as usize) < need {
            node_size = node_size.saturating_mul(2);
        }
        Ok(Some(Dense { block_size, max_direct, max_managed, id_len, node_size, objects }))
    }

    fn dense(&self, id: usize, store: Store) -> Result<&Dense> {
        self.dense.get(&(id, store)).ok_or_else(|| Error::usage("internal error: no dense storage"))
    }

    /// Fractal heap header (spec III.G "Fractal Heap Header"): the root is one direct block.
    fn fheap_header(&self, id: usize, store: Store) -> Result<Vec<u8>> {
        let d = self.dense(id, store)?;
        let used: u64 = d.objects.iter().map(|o| o.2).sum();
        let mut b = Buf::new();
        b.bytes(b"FRHP");
        b.u8(0);
        b.u16(d.id_len as u16); // heap ID length
        b.u16(0); // I/O filters' encoded length
        b.u8(0); // flags: direct blocks not checksummed
        b.u32(d.max_managed);
        b.u64(0); // next huge object ID
        b.addr(None); // huge objects B-tree
        b.u64(d.block_size - FH_DBLOCK_PREFIX - used); // free space in managed blocks
        b.addr(None); // free space manager
        b.u64(d.block_size); // managed space
        b.u64(d.block_size); // allocated managed space
        b.u64(d.block_size); // direct block allocation iterator offset
        b.u64(d.objects.len() as u64); // managed objects
        b.u64(0); // size of huge objects
        b.u64(0); // number of huge objects
        b.u64(0); // size of tiny objects
        b.u64(0); // number of tiny objects
        b.u16(FH_WIDTH);
        b.u64(d.block_size); // starting block size
        b.u64(d.max_direct);
        b.u16(FH_MAX_HEAP_BITS);
        b.u16(1); // starting rows in root indirect block
        b.u64(self.at(Block::FDblock(id, store)));
        b.u16(0); // current rows: 0 = root is a direct block
        let c = lookup3(&b.v, 0);
        b.u32(c);
        Ok(b.v)
    }

    /// Fractal heap direct block (FHDB) holding the link or attribute messages.
    fn fheap_dblock(&self, id: usize, store: Store) -> Result<Vec<u8>> {
        let d = self.dense(id, store)?;
        let msgs = self.dense_messages(id, store)?;
        let mut b = Buf::new();
        b.bytes(b"FHDB");
        b.u8(0);
        b.u64(self.at(Block::FHeap(id, store)));
        b.u32(0); // block offset (max heap size 32 bits: 4 bytes)
        for ((_, m), (_, off, len)) in msgs.iter().zip(&d.objects) {
            if m.len() as u64 != *len || b.len() as u64 != *off {
                return Err(Error::usage("internal error: dense message size changed"));
            }
            b.bytes(m);
        }
        b.v.resize(d.block_size as usize, 0);
        Ok(b.v)
    }

    /// v2 B-tree header (spec III.A.2, BTHD) of a name index (record type 5 or 8).
    fn bt2_header(&self, id: usize, store: Store) -> Result<Vec<u8>> {
        let d = self.dense(id, store)?;
        let n = d.objects.len() as u64;
        let (ty, rec) = match store {
            Store::Links => (5u8, BT2_LINK_RECORD),
            Store::Attrs => (8, BT2_ATTR_RECORD),
        };
        let mut b = Buf::new();
        b.bytes(b"BTHD");
        b.u8(0);
        b.u8(ty);
        b.u32(d.node_size);
        b.u16(rec as u16);
        b.u16(0); // depth
        b.u8(100); // split percent
        b.u8(40); // merge percent
        b.u64(self.at(Block::Bt2Leaf(id, store)));
        b.u16(n as u16);
        b.u64(n);
        let c = lookup3(&b.v, 0);
        b.u32(c);
        Ok(b.v)
    }

    /// v2 B-tree leaf (BTLF): records sorted by name hash (then name), reserved to the node
    /// size.
    fn bt2_leaf(&self, id: usize, store: Store) -> Result<Vec<u8>> {
        let d = self.dense(id, store)?;
        let mut recs: Vec<(u32, &str, Vec<u8>)> = d
            .objects
            .iter()
            .map(|(name, off, len)| (lookup3(name.as_bytes(), 0), name.as_str(), d.heap_id(*off, *len)))
            .collect();
        recs.sort();
        let mut b = Buf::new();
        b.bytes(b"BTLF");
        b.u8(0);
        b.u8(if store == Store::Links { 5 } else { 8 });
        for (h, _, hid) in &recs {
            match store {
                Store::Links => {
                    b.u32(*h);
                    b.bytes(hid);
                }
                Store::Attrs => {
                    b.bytes(hid);
                    b.u8(0); // message flags
                    b.u32(0); // creation order (not tracked)
                    b.u32(*h);
                }
            }
        }
        let c = lookup3(&b.v, 0);
        b.u32(c);
        b.v.resize(d.node_size as usize, 0);
        Ok(b.v)
    }

    /// Chunk size field length of filtered fixed array / single chunk entries (libhdf5:
    /// 1 + (log2(chunk bytes) + 8) / 8, at most 8).
    fn chunk_size_len(d: &crate::Ds) -> usize {
        let n: u64 = crate::sat_prod(d.chunks.as_deref().unwrap_or(&[])).saturating_mul(d.dt.size as u64);
        let log2 = 63 - n.max(1).leading_zeros() as usize;
        (1 + (log2 + 8) / 8).min(8)
    }

    fn fa_page_bits(n: u64) -> u8 {
        let mut bits = 10u8;
        while (1u64 << bits) < n && bits < 32 {
            bits += 1;
        }
        bits
    }

    fn fa_entries(d: &crate::Ds) -> (Vec<u64>, u64) {
        let max = d.maxshape.clone().or_else(|| d.shape.clone()).unwrap_or_default();
        let cdims = d.chunks.as_deref().unwrap_or(&[]);
        let grid: Vec<u64> = max.iter().zip(cdims).map(|(m, c)| m.div_ceil(*c)).collect();
        let n = crate::sat_prod(&grid);
        (grid, n)
    }

    /// Fixed array header (spec VII.C "The Fixed Array Index", FAHD).
    fn fa_header(&self, id: usize) -> Result<Vec<u8>> {
        let d = self.dataset(id)?;
        let (_, n) = Self::fa_entries(d);
        let filtered = d.filtered();
        let esize = if filtered { 8 + Self::chunk_size_len(d) + 4 } else { 8 };
        let mut b = Buf::new();
        b.bytes(b"FAHD");
        b.u8(0);
        b.u8(filtered as u8);
        b.u8(esize as u8);
        b.u8(Self::fa_page_bits(n));
        b.u64(n);
        b.u64(self.at(Block::FaData(id)));
        let c = lookup3(&b.v, 0);
        b.u32(c);
        Ok(b.v)
    }

    /// Fixed array data block (FADB), unpaged (page bits cover every entry).
    fn fa_data(&self, id: usize) -> Result<Vec<u8>> {
        let d = self.dataset(id)?;
        let (grid, n) = Self::fa_entries(d);
        let filtered = d.filtered();
        let csl = Self::chunk_size_len(d);
        let mut slots: Vec<Option<usize>> = vec![None; usize::try_from(n).map_err(|_| Error::usage("too many chunks"))?];
        let chunks = self.prepared.get(&id).map(|p| p.chunks.as_slice()).unwrap_or(&[]);
        let gst = crate::strides(&grid);
        for (k, ch) in chunks.iter().enumerate() {
            let lin: u64 = ch.scaled.iter().zip(&gst).map(|(a, b)| a * b).sum();
            if let Some(s) = slots.get_mut(lin as usize) {
                *s = Some(k);
            }
        }
        let mut b = Buf::new();
        b.bytes(b"FADB");
        b.u8(0);
        b.u8(filtered as u8);
        b.u64(self.at(Block::FaHdr(id)));
        for s in slots {
            match s {
                Some(k) => {
                    b.u64(self.at(Block::Chunk(id, k)));
                    if filtered {
                        let ch = chunks.get(k).map(|c| (c.data.len(), c.mask)).unwrap_or((0, 0));
                        b.uint(ch.0 as u64, csl);
                        b.u32(ch.1);
                    }
                }
                None => {
                    b.u64(UNDEFINED_ADDRESS);
                    if filtered {
                        b.uint(0, csl);
                        b.u32(0);
                    }
                }
            }
        }
        let c = lookup3(&b.v, 0);
        b.u32(c);
        Ok(b.v)
    }

    /// Header messages of object `id`: (type, flags, body).
    fn messages(&self, id: usize) -> Result<Vec<(u16, u8, Vec<u8>)>> {
        let o = self.obj(id)?;
        let latest = self.latest;
        let mut m: Vec<(u16, u8, Vec<u8>)> = Vec::new();
        match &o.kind {
            Kind::Group { links, next_corder } => {
                if let Some(st) = self.symtabs.get(&id) {
                    let mut b = Buf::new();
                    b.u64(self.at(Block::GNode(id, st.levels.len() - 1, 0)));
                    b.u64(self.at(Block::LHeap(id)));
                    m.push((0x11, 0, b.v));
                } else if self.dense.contains_key(&(id, Store::Links)) {
                    let mut b = Buf::new();
                    let (heap, index) = (self.at(Block::FHeap(id, Store::Links)), self.at(Block::Bt2Hdr(id, Store::Links)));
                    enc::encode_link_info(&mut b, Some(*next_corder), Some(heap), Some(index));
                    m.push((0x02, 0, b.v));
                    let mut b = Buf::new();
                    enc::encode_group_info(&mut b, None);
                    m.push((0x0A, 0, b.v));
                } else {
                    let mut b = Buf::new();
                    enc::encode_link_info(&mut b, if latest { Some(*next_corder) } else { None }, None, None);
                    m.push((0x02, 0, b.v));
                    let mut b = Buf::new();
                    let phase = if links.len() > 8 {
                        let n = u16::try_from(links.len()).map_err(|_| Error::usage("too many links in one group (65535 maximum)"))?;
                        Some((n, 6))
                    } else {
                        None
                    };
                    enc::encode_group_info(&mut b, phase);
                    m.push((0x0A, 0, b.v));
                    for e in links {
                        let body = self.link_body(e);
                        let mut b = Buf::new();
                        enc::encode_link(&mut b, &e.name, if latest { Some(e.corder) } else { None }, &body);
                        m.push((0x06, 0, b.v));
                    }
                }
            }
            Kind::Datatype(dt) => {
                let mut b = Buf::new();
                enc::encode_datatype(&mut b, dt, enc::datatype_version(dt, latest))?;
                m.push((0x03, 5, b.v));
            }
            Kind::Dataset(d) => {
                let mut b = Buf::new();
                if d.null {
                    enc::encode_null_dataspace(&mut b);
                } else {
                    enc::encode_dataspace(&mut b, d.shape.as_deref(), Some(d.maxshape.as_deref().or(d.shape.as_deref()).unwrap_or(&[])), latest);
                }
                m.push((0x01, 0, b.v));
                match d.committed {
                    Some(t) => m.push((0x03, 3, self.shared_datatype(t))),
                    None => {
                        let mut b = Buf::new();
                        enc::encode_datatype(&mut b, &d.dt, enc::datatype_version(&d.dt, latest))?;
                        m.push((0x03, 1, b.v));
                    }
                }
                let alloc_time = match d.layout {
                    LayoutKind::Compact => AllocTime::Early,
                    LayoutKind::Contiguous => AllocTime::Late,
                    LayoutKind::Chunked => AllocTime::Incremental,
                };
                let fill_time = if enc::is_vlen(&d.dt) { FillTime::OnAlloc } else { FillTime::IfSet };
                let fill = FillValue { version: 2, alloc_time, fill_time, defined: true, value: d.fill.clone() };
                let mut b = Buf::new();
                enc::encode_fill(&mut b, &fill, latest);
                m.push((0x05, 1, b.v));
                if d.filtered() {
                    let mut b = Buf::new();
                    enc::encode_filters(&mut b, &d.pipeline, latest);
                    m.push((0x0B, 1, b.v));
                }
                m.push((0x08, 0, self.layout_message(id, d)?));
            }
        }
        if self.dense.contains_key(&(id, Store::Attrs)) {
            // Attribute info message (spec IV.A.2.v), version 0, creation order not tracked.
            let mut b = Buf::new();
            b.u8(0);
            b.u8(0);
            b.u64(self.at(Block::FHeap(id, Store::Attrs)));
            b.u64(self.at(Block::Bt2Hdr(id, Store::Attrs)));
            m.push((0x15, 0, b.v));
        } else {
            if latest {
                // libhdf5 puts an Attribute Info message (addresses undefined: compact storage)
                // in every version 2 header, and counts a v2 header's attributes from it only
                // (H5Oget_info: without it `num_attrs` is 0 and h5diff sees no attributes).
                let mut b = Buf::new();
                b.u8(0);
                b.u8(0);
                b.u64(UNDEFINED_ADDRESS);
                b.u64(UNDEFINED_ADDRESS);
                m.push((0x15, 0, b.v));
            }
            for i in 0..o.attrs.len() {
                m.push((0x0C, 0, self.attr_message(id, i)?));
            }
        }
        let rc = self.refcount.get(&id).copied().unwrap_or(1);
        if latest && rc > 1 {
            let mut b = Buf::new();
            b.u8(0);
            b.u32(rc);
            m.push((0x16, 0, b.v));
        }
        Ok(m)
    }

    /// Attribute message of attribute `i` of object `id`.
    fn attr_message(&self, id: usize, i: usize) -> Result<Vec<u8>> {
        let a = self.obj(id)?.attrs.get(i).ok_or_else(|| Error::usage("internal error: attribute index"))?;
        let latest = self.latest;
        let dt = match a.committed {
            Some(t) => self.shared_datatype(t),
            None => {
                let mut dt = Buf::new();
                enc::encode_datatype(&mut dt, &a.dt, enc::datatype_version(&a.dt, latest))?;
                dt.v
            }
        };
        let mut ds = Buf::new();
        if a.null {
            enc::encode_null_dataspace(&mut ds);
        } else {
            enc::encode_dataspace(&mut ds, a.shape.as_deref(), a.shape.as_deref(), latest);
        }
        let data = self.raw_values((id, Some(i)), &a.vals)?;
        let mut b = Buf::new();
        enc::encode_attribute(&mut b, &a.name, &dt, &ds.v, &data, latest, a.committed.is_some())?;
        Ok(b.v)
    }

    /// Data layout message (spec IV.A.2.i): version 3, or 4 for latest-format chunk indexes.
    fn layout_message(&self, id: usize, d: &crate::Ds) -> Result<Vec<u8>> {
        let prep = self.prepared.get(&id);
        let mut b = Buf::new();
        match d.layout {
            LayoutKind::Compact => {
                let raw = match prep {
                    Some(p) => p.raw.clone(),
                    None => Cow::Owned(vec![0u8; self.raw_len(d)?]),
                };
                let n = u16::try_from(raw.len()).map_err(|_| Error::usage("compact dataset larger than 64 KiB"))?;
                b.u8(3);
                b.u8(0);
                b.u16(n);
                b.bytes(&raw);
            }
            LayoutKind::Contiguous => {
                b.u8(3);
                b.u8(1);
                let written = d.written && prep.map(|p| !p.raw.is_empty()).unwrap_or(true);
                b.addr(if written { Some(self.at(Block::Data(id))) } else { None });
                b.u64(self.raw_len(d)? as u64);
            }
            LayoutKind::Chunked => {
                let n = prep.map(|p| p.chunks.len()).unwrap_or(0);
                let cdims = d.chunks.as_deref().unwrap_or(&[]);
                let mut dims: Vec<u64> = cdims.to_vec();
                dims.push(d.dt.size as u64);
                let index = self.libver_latest_index(d);
                if index == Index::BTreeV1 {
                    b.u8(3);
                    b.u8(2);
                    b.u8(dims.len() as u8);
                    let levels = btree_levels(n, 2 * CHUNK_K);
                    b.addr(if n > 0 { Some(self.at(Block::CNode(id, levels.len() - 1, 0))) } else { None });
                    for x in dims {
                        b.u32(x as u32);
                    }
                } else {
                    b.u8(4);
                    b.u8(2);
                    // Flags: bit 1 SINGLE_INDEX_WITH_FILTER announces the filtered chunk's
                    // size and mask in the index information.
                    b.u8(if matches!(index, Index::Single) && d.filtered() { 2 } else { 0 });
                    b.u8(dims.len() as u8);
                    let w = enc::bytes_needed(dims.iter().copied().max().unwrap_or(1));
                    b.u8(w as u8);
                    for x in dims {
                        b.uint(x, w);
                    }
                    match index {
                        Index::Single => {
                            b.u8(1);
                            if d.filtered() {
                                let c = prep.and_then(|p| p.chunks.first());
                                b.u64(c.map(|c| c.data.len() as u64).unwrap_or(0));
                                b.u32(c.map(|c| c.mask).unwrap_or(0));
                            }
                            b.addr(if n > 0 { Some(self.at(Block::Chunk(id, 0))) } else { None });
                        }
                        Index::ExtArray => {
                            b.u8(4);
                            b.u8(EA_MAX_BITS);
                            b.u8(EA_IDX_ELMTS as u8);
                            b.u8(EA_SBLK_MIN_PTRS as u8);
                            b.u8(EA_DBLK_MIN_ELMTS as u8);
                            b.u8(EA_PAGE_BITS);
                            b.addr(if n > 0 { Some(self.at(Block::EaHdr(id))) } else { None });
                        }
                        Index::BTreeV2 => {
                            b.u8(5);
                            b.u32(self.cbt2_node_size(d));
                            b.u8(100);
                            b.u8(40);
                            b.addr(if n > 0 { Some(self.at(Block::CBt2Hdr(id))) } else { None });
                        }
                        _ => {
                            let (_, entries) = Self::fa_entries(d);
                            b.u8(3);
                            b.u8(Self::fa_page_bits(entries));
                            b.addr(if n > 0 { Some(self.at(Block::FaHdr(id))) } else { None });
                        }
                    }
                }
            }
        }
        Ok(b.v)
    }

    fn raw_len(&self, d: &crate::Ds) -> Result<usize> {
        let n = if d.null { 0 } else { crate::element_count(d.shape.as_deref())? };
        n.checked_mul(d.dt.size as usize).ok_or_else(|| Error::usage("dataset too large"))
    }

    /// Object header (spec IV.A.1): version 1 prefix (earliest) or version 2 with checksum.
    fn ohdr(&self, id: usize) -> Result<Vec<u8>> {
        let msgs = self.messages(id)?;
        let rc = self.refcount.get(&id).copied().unwrap_or(1);
        // One buffer of the final size: prefix, then the messages written straight into it.
        if self.latest {
            let mut body_len = 0usize;
            for (_, _, data) in &msgs {
                u16::try_from(data.len()).map_err(|_| Error::usage("header message larger than 64 KiB"))?;
                body_len += 4 + data.len();
            }
            let (code, w) = match body_len {
                0..=0xff => (0u8, 1usize),
                0x100..=0xffff => (1, 2),
                _ => (2, 4),
            };
            let mut b = Buf { v: Vec::with_capacity(6 + w + body_len + 4) };
            b.bytes(b"OHDR");
            b.u8(2);
            b.u8(code);
            b.uint(body_len as u64, w);
            for (t, flags, data) in &msgs {
                b.u8(*t as u8);
                b.u16(data.len() as u16);
                b.u8(*flags);
                b.bytes(data);
            }
            let c = lookup3(&b.v, 0);
            b.u32(c);
            Ok(b.v)
        } else {
            let mut body_len = 0usize;
            for (_, _, data) in &msgs {
                let padded = round_up(data.len(), 8);
                u16::try_from(padded).map_err(|_| Error::usage("header message larger than 64 KiB"))?;
                body_len += 8 + padded;
            }
            let mut b = Buf { v: Vec::with_capacity(16 + body_len) };
            b.u8(1);
            b.u8(0);
            b.u16(u16::try_from(msgs.len()).map_err(|_| Error::usage("too many header messages (65535 maximum)"))?);
            b.u32(rc);
            b.u32(u32::try_from(body_len).map_err(|_| Error::usage("object header too large"))?);
            b.u32(0);
            for (t, flags, data) in &msgs {
                let padded = round_up(data.len(), 8);
                b.u16(*t);
                b.u16(padded as u16);
                b.u8(*flags);
                b.zeros(3);
                b.bytes(data);
                b.zeros(padded - data.len());
            }
            Ok(b.v)
        }
    }

    /// Superblock (spec II.A): version 0 with the root symbol table entry, or version 3.
    fn superblock(&self, eof: u64) -> Result<Vec<u8>> {
        let mut b = Buf::new();
        b.bytes(b"\x89HDF\r\n\x1a\n");
        let root = self.at(Block::Ohdr(0));
        if self.latest {
            b.u8(3);
            b.u8(8);
            b.u8(8);
            b.u8(0);
            b.u64(0);
            b.u64(UNDEFINED_ADDRESS);
            b.u64(eof);
            b.u64(root);
            let c = lookup3(&b.v, 0);
            b.u32(c);
        } else {
            b.bytes(&[0, 0, 0, 0, 0, 8, 8, 0]);
            b.u16(GROUP_LEAF_K as u16);
            b.u16(GROUP_K as u16);
            b.u32(0);
            b.u64(0);
            b.u64(UNDEFINED_ADDRESS);
            b.u64(eof);
            b.u64(UNDEFINED_ADDRESS);
            b.u64(0);
            b.u64(root);
            if let Some(st) = self.symtabs.get(&0) {
                b.u32(1);
                b.u32(0);
                b.u64(self.at(Block::GNode(0, st.levels.len() - 1, 0)));
                b.u64(self.at(Block::LHeap(0)));
            } else {
                b.u32(0);
                b.u32(0);
                b.zeros(16);
            }
        }
        Ok(b.v)
    }
}

/// Scaled coordinates of the `i`-th cell of `grid` in row-major order.
fn unravel(mut i: u64, grid: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; grid.len()];
    for (o, &g) in out.iter_mut().zip(grid).rev() {
        let g = g.max(1);
        *o = i % g;
        i /= g;
    }
    out
}

/// Appends the box `count` at `start` of the row-major array `src` (of `shape`, `esize`-byte
/// elements) to `out`, packed: runs of the last dimension, merged where the box spans whole
/// trailing dimensions. Rows outside `src` are skipped (callers check extents).
fn gather_box(src: &[u8], shape: &[u64], start: &[u64], count: &[u64], esize: usize, out: &mut Vec<u8>) {
    let rank = count.len();
    if count.contains(&0) {
        return;
    }
    // Trailing dimensions the box covers entirely are one contiguous run per outer index.
    let mut inner = rank;
    while inner > 1 && count.get(inner - 1) == shape.get(inner - 1) {
        inner -= 1;
    }
    // Dimensions inner-1.. form one run; the outer ones (0..inner-1) are iterated.
    let outer = inner.saturating_sub(1);
    let run_elems: u64 = count.iter().skip(outer).product();
    let run = run_elems as usize * esize;
    let st = crate::strides(shape);
    let mut idx = vec![0u64; outer];
    loop {
        let mut so = 0u64;
        for (d, &stride) in st.iter().enumerate() {
            let i = if d < outer { idx.get(d).copied().unwrap_or(0) } else { 0 };
            so += (start.get(d).copied().unwrap_or(0) + i) * stride;
        }
        let so = so as usize * esize;
        if let Some(s) = src.get(so..so + run) {
            out.extend_from_slice(s);
        }
        if !crate::next_index(&mut idx, count) {
            return;
        }
    }
}

/// Node counts per level (leaf level first) of a v1 B-tree over `n` children with `fan`
/// children per node; an empty tree is one empty leaf node.
fn btree_levels(n: usize, fan: usize) -> Vec<usize> {
    let mut levels = vec![n.div_ceil(fan).max(1)];
    while let Some(&last) = levels.last() {
        if last <= 1 {
            break;
        }
        levels.push(last.div_ceil(fan));
    }
    levels
}
