//! Write-then-read round trip (issue #6): an `Arbitrary` description of a file (a tree of
//! groups, datasets, attributes, soft and hard links; libver earliest or latest) is built with
//! the public write API in memory, the bytes are read back with `File::from_bytes`, and every
//! object, attribute, link and value must equal what was written (exact bytes).
//!
//! A description the writer rejects ends in a clean `Err` (nothing to check). An accepted file
//! that fails to read back, reads back different, or any panic is a finding: the panic
//! message carries the `Debug` of the description (the reproducer; `cargo fuzz fmt roundtrip
//! FILE` prints it too).
#![no_main]
use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use h5kit::write::{dtype, DatasetSpec, LayoutKind, LibVer};
use h5kit::{
    ByteOrder, CharacterSet, DataspaceKind, Datatype, File, Hyperslab, Layout, LinkTarget, Object, StringPadding,
    TypeClass, UNLIMITED,
};
use libfuzzer_sys::fuzz_target;

// ---- the description (what the fuzzer drives) ----

#[derive(Arbitrary, Debug)]
struct Desc {
    latest: bool,
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Group { parent: u8, name: String },
    Dataset { parent: u8, name: String, ds: DsDesc },
    Attr { object: u8, name: String, attr: AttrDesc },
    SoftLink { parent: u8, name: String, target: SoftTarget },
    HardLink { parent: u8, name: String, object: u8 },
    /// Up to 63 groups at once (dense link storage, B-tree splits of symbol-table groups).
    ManyGroups { parent: u8, count: u8 },
    /// Up to 63 small attributes at once (dense attribute storage).
    ManyAttrs { object: u8, count: u8, seed: u64 },
}

#[derive(Arbitrary, Debug)]
enum SoftTarget {
    /// The path of an object of the file.
    Object(u8),
    /// Any path (may dangle).
    Path(String),
}

#[derive(Arbitrary, Debug, Clone)]
enum Scalar {
    Int { size: u8, signed: bool, big_endian: bool },
    Float { size: u8, big_endian: bool },
    FixedString { len: u8, padding: u8, utf8: bool },
}

#[derive(Arbitrary, Debug)]
enum Dt {
    Scalar(Scalar),
    VlenString { utf8: bool },
    Compound(Vec<(String, Member)>),
}

#[derive(Arbitrary, Debug)]
enum Member {
    Scalar(Scalar),
    VlenString { utf8: bool },
}

#[derive(Arbitrary, Debug)]
enum MaxDim {
    Same,
    Unlimited,
    Plus(u8),
}

#[derive(Arbitrary, Debug)]
struct DsDesc {
    dt: Dt,
    /// Rank = length (at most 3; rank 0 = scalar), each size 0-8.
    dims: Vec<u8>,
    /// 0: default, 1: compact, 2: contiguous, 3: chunked.
    layout: u8,
    chunks: Option<Vec<u8>>,
    maxshape: Option<Vec<MaxDim>>,
    deflate: Option<u8>,
    shuffle: bool,
    fletcher32: bool,
    /// Seed of the fill value bytes (fixed-size types only).
    fill: Option<u64>,
    /// Seed of the whole-dataset write.
    write: Option<u64>,
    /// Resize (chunked datasets) then write_slice.
    then: Option<SliceWrite>,
}

#[derive(Arbitrary, Debug)]
struct SliceWrite {
    new_dims: Vec<u8>,
    start: Vec<u8>,
    count: Vec<u8>,
    seed: u64,
}

#[derive(Arbitrary, Debug)]
struct AttrDesc {
    dt: Dt,
    /// `None`: scalar; else rank = length (at most 2), each size 0-8.
    dims: Option<Vec<u8>>,
    seed: u64,
    /// Variable-length string scalars: through `set_attr_str`.
    as_str: bool,
}

// ---- bounded, deterministic helpers ----

const MAX_OPS: usize = 24;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// A short string without NULs, sometimes with multi-byte characters.
    fn text(&mut self) -> Vec<u8> {
        let n = (self.next() % 7) as usize;
        let mut s = String::new();
        for _ in 0..n {
            let r = self.next();
            match r % 5 {
                0 => s.push('é'),
                1 => s.push('語'),
                _ => s.push(char::from(b' ' + (r >> 8) as u8 % 95)),
            }
        }
        s.into_bytes()
    }
}

/// At most `max` characters; NULs and odd Unicode are kept: the writer must refuse a name with
/// a NUL (HDF5 names are C strings) or round-trip it (found by this target, fixed in c359754).
fn short(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// A link name: `/` would make a path and `.`/empty are not names; everything else (odd
/// Unicode) is kept, and the writer must either reject it or round-trip it.
fn link_name(s: &str) -> String {
    let s: String = short(s, 12).chars().map(|c| if c == '/' { '_' } else { c }).collect();
    match s.as_str() {
        "" => "e".into(),
        "." => "dot".into(),
        ".." => "dotdot".into(),
        _ => s,
    }
}

fn scalar_dt(s: &Scalar) -> Datatype {
    let order = |be: bool| if be { ByteOrder::BigEndian } else { ByteOrder::LittleEndian };
    match *s {
        Scalar::Int { size, signed, big_endian } => dtype::int_order(1 << (size % 4), signed, order(big_endian)),
        Scalar::Float { size, big_endian } => match size % 3 {
            0 => dtype::float16(),
            1 => dtype::float_order(4, order(big_endian)),
            _ => dtype::float_order(8, order(big_endian)),
        },
        Scalar::FixedString { len, padding, utf8 } => {
            let padding = match padding % 3 {
                0 => StringPadding::NullTerminate,
                1 => StringPadding::NullPad,
                _ => StringPadding::SpacePad,
            };
            let cs = if utf8 { CharacterSet::Utf8 } else { CharacterSet::Ascii };
            dtype::fixed_string(u32::from(len % 16) + 1, padding, cs)
        }
    }
}

/// How an element is encoded: fixed bytes, one variable-length string, or fixed bytes with
/// variable-length string slots (16-byte heap IDs in the file) at these byte offsets.
#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Fixed,
    Vlen,
    Mixed(Vec<usize>),
}

fn vlen_dt(utf8: bool) -> Datatype {
    dtype::vlen_string_cs(if utf8 { CharacterSet::Utf8 } else { CharacterSet::Ascii })
}

/// The datatype and how its elements are encoded.
fn datatype(dt: &Dt) -> (Datatype, Kind) {
    match dt {
        Dt::Scalar(s) => (scalar_dt(s), Kind::Fixed),
        Dt::VlenString { utf8 } => (vlen_dt(*utf8), Kind::Vlen),
        Dt::Compound(members) => {
            let mut off = 0u64;
            let mut names: Vec<String> = Vec::new();
            let mut out = Vec::new();
            let mut slots = Vec::new();
            for (i, (name, m)) in members.iter().take(4).enumerate() {
                let mut n = short(name, 8);
                if n.is_empty() || names.contains(&n) {
                    n = format!("{}m{}", n, i);
                }
                names.push(n.clone());
                let d = match m {
                    Member::Scalar(s) => scalar_dt(s),
                    Member::VlenString { utf8 } => {
                        slots.push(off as usize);
                        vlen_dt(*utf8)
                    }
                };
                let size = u64::from(d.size);
                out.push((n, off, d));
                off += size;
            }
            let members = out.iter().map(|(n, o, d)| (n.as_str(), *o, d.clone())).collect();
            let kind = if slots.is_empty() { Kind::Fixed } else { Kind::Mixed(slots) };
            (dtype::compound(off as u32, members), kind)
        }
    }
}

fn dims_of(v: &[u8], rank_max: usize, size_max: u8) -> Vec<u64> {
    v.iter().take(rank_max).map(|&d| u64::from(d % (size_max + 1))).collect()
}

fn count(shape: &[u64]) -> usize {
    shape.iter().product::<u64>() as usize
}

/// Element values: fixed-size bytes, or one entry per variable-length element (`None`:
/// never written).
#[derive(Clone, Debug, PartialEq)]
enum Vals {
    Fixed(Vec<u8>),
    Vlen(Vec<Option<Vec<u8>>>),
    /// Element bytes (slots zero) and, element-major, one piece per slot.
    Mixed { fixed: Vec<u8>, pieces: Vec<Option<Vec<u8>>>, nslots: usize },
}

fn make_vals(kind: &Kind, size: usize, n: usize, rng: &mut Rng) -> Vals {
    match kind {
        Kind::Vlen => Vals::Vlen((0..n).map(|_| Some(rng.text())).collect()),
        Kind::Fixed => Vals::Fixed(rng.bytes(n * size)),
        Kind::Mixed(slots) => {
            let mut fixed = rng.bytes(n * size);
            for e in 0..n {
                for &o in slots {
                    fixed[e * size + o..e * size + o + 16].fill(0);
                }
            }
            let pieces = (0..n * slots.len()).map(|_| Some(rng.text())).collect();
            Vals::Mixed { fixed, pieces, nslots: slots.len() }
        }
    }
}

/// Values of `n` elements never written: the fill value (or zeros), null strings.
fn empty_vals(kind: &Kind, size: usize, n: usize, fill: Option<&[u8]>) -> Vals {
    match kind {
        Kind::Vlen => Vals::Vlen(vec![None; n]),
        Kind::Fixed => match fill {
            Some(f) => Vals::Fixed(f.repeat(n)),
            None => Vals::Fixed(vec![0; n * size]),
        },
        Kind::Mixed(slots) => Vals::Mixed { fixed: vec![0; n * size], pieces: vec![None; n * slots.len()], nslots: slots.len() },
    }
}

/// `dst[j] = src[i]` (element indices).
fn copy_elem(dst: &mut Vals, j: usize, src: &Vals, i: usize, size: usize) {
    match (dst, src) {
        (Vals::Fixed(d), Vals::Fixed(s)) => d[j * size..(j + 1) * size].copy_from_slice(&s[i * size..(i + 1) * size]),
        (Vals::Vlen(d), Vals::Vlen(s)) => d[j] = s[i].clone(),
        (Vals::Mixed { fixed: d, pieces: dp, nslots }, Vals::Mixed { fixed: s, pieces: sp, .. }) => {
            d[j * size..(j + 1) * size].copy_from_slice(&s[i * size..(i + 1) * size]);
            for t in 0..*nslots {
                dp[j * *nslots + t] = sp[i * *nslots + t].clone();
            }
        }
        _ => unreachable!("values of different kinds"),
    }
}

/// The raw-byte API encoding (variable-length: u32 length + bytes per element).
fn encode(v: &Vals) -> Vec<u8> {
    match v {
        Vals::Fixed(b) => b.clone(),
        Vals::Vlen(items) => {
            let mut out = Vec::new();
            for s in items {
                let s = s.as_deref().unwrap_or_default();
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s);
            }
            out
        }
        Vals::Mixed { fixed, pieces, nslots } => {
            let size = if pieces.is_empty() { 0 } else { fixed.len() / (pieces.len() / nslots) };
            let mut out = Vec::new();
            for (e, ps) in pieces.chunks(*nslots).enumerate() {
                out.extend_from_slice(&fixed[e * size..(e + 1) * size]);
                for p in ps {
                    let p = p.as_deref().unwrap_or_default();
                    out.extend_from_slice(&(p.len() as u32).to_le_bytes());
                    out.extend_from_slice(p);
                }
            }
            out
        }
    }
}

/// Row-major linear index of every element of the box `start`/`count` of `shape`, in the
/// box's own row-major order.
fn box_indices(shape: &[u64], start: &[u64], cnt: &[u64]) -> Vec<usize> {
    let n = count(cnt);
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0u64; cnt.len()];
    for _ in 0..n {
        let mut lin = 0u64;
        for d in 0..shape.len() {
            lin = lin * shape[d] + start[d] + idx[d];
        }
        out.push(lin as usize);
        for d in (0..cnt.len()).rev() {
            idx[d] += 1;
            if idx[d] < cnt[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

// ---- the model of what was written ----

#[derive(Debug)]
enum LinkM {
    Hard(usize),
    Soft(String),
}

#[derive(Debug)]
struct DsM {
    dt: Datatype,
    scalar: bool,
    shape: Vec<u64>,
    maxshape: Vec<u64>,
    layout: LayoutKind,
    chunks: Option<Vec<u64>>,
    filters: Vec<u16>,
    fill: Option<Vec<u8>>,
    vals: Vals,
    /// A box to read back with `read_raw_selection`.
    slice: Option<(Vec<u64>, Vec<u64>)>,
}

#[derive(Debug)]
enum KindM {
    Group(Vec<(String, LinkM)>),
    Dataset(Box<DsM>),
}

#[derive(Debug)]
struct AttrM {
    dt: Datatype,
    dims: Option<Vec<u64>>,
    vals: Vals,
    as_str: bool,
}

#[derive(Debug)]
struct ObjM {
    path: String,
    kind: KindM,
    attrs: Vec<(String, AttrM)>,
}

struct Model {
    objs: Vec<ObjM>,
}

impl Model {
    fn groups(&self) -> Vec<usize> {
        (0..self.objs.len()).filter(|&i| matches!(self.objs[i].kind, KindM::Group(_))).collect()
    }
    fn group_for(&self, sel: u8) -> usize {
        let g = self.groups();
        g[sel as usize % g.len()]
    }
    /// A name not used in group `g` yet, and the new object's path.
    fn new_name(&self, g: usize, name: &str) -> (String, String) {
        let KindM::Group(links) = &self.objs[g].kind else { unreachable!() };
        let mut n = link_name(name);
        let mut k = 0;
        while links.iter().any(|(l, _)| *l == n) {
            k += 1;
            n = format!("{}~{}", link_name(name), k);
        }
        let path = if self.objs[g].path == "/" { format!("/{}", n) } else { format!("{}/{}", self.objs[g].path, n) };
        (n, path)
    }
    fn add_link(&mut self, g: usize, name: String, l: LinkM) {
        if let KindM::Group(links) = &mut self.objs[g].kind {
            links.push((name, l));
        }
    }
}

// ---- building ----

fn apply(file: &File, m: &mut Model, op: &Op) -> h5kit::Result<()> {
    match op {
        Op::Group { parent, name } => add_group(file, m, m.group_for(*parent), name)?,
        Op::Dataset { parent, name, ds } => {
            let g = m.group_for(*parent);
            let (n, path) = m.new_name(g, name);
            let d = build_dataset(file, &path, ds)?;
            m.objs.push(ObjM { path, kind: KindM::Dataset(Box::new(d)), attrs: Vec::new() });
            let id = m.objs.len() - 1;
            m.add_link(g, n, LinkM::Hard(id));
        }
        Op::Attr { object, name, attr } => {
            let o = *object as usize % m.objs.len();
            let name = short(name, 12);
            let a = build_attr(file, &m.objs[o].path, &name, attr)?;
            let attrs = &mut m.objs[o].attrs;
            match attrs.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = a,
                None => attrs.push((name, a)),
            }
        }
        Op::SoftLink { parent, name, target } => {
            let g = m.group_for(*parent);
            let (n, path) = m.new_name(g, name);
            let t = match target {
                SoftTarget::Object(o) => m.objs[*o as usize % m.objs.len()].path.clone(),
                SoftTarget::Path(p) => short(p, 20),
            };
            file.create_soft_link(&path, &t)?;
            m.add_link(g, n, LinkM::Soft(t));
        }
        Op::ManyGroups { parent, count } => {
            let g = m.group_for(*parent);
            for i in 0..count % 64 {
                add_group(file, m, g, &format!("g{}", i))?;
            }
        }
        Op::ManyAttrs { object, count, seed } => {
            for i in 0..count % 64 {
                let attr = AttrDesc {
                    dt: Dt::Scalar(Scalar::Int { size: i, signed: true, big_endian: i % 3 == 0 }),
                    dims: if i % 2 == 0 { None } else { Some(vec![i % 5]) },
                    seed: seed.wrapping_add(u64::from(i)),
                    as_str: false,
                };
                apply(file, m, &Op::Attr { object: *object, name: format!("a{}", i), attr })?;
            }
        }
        Op::HardLink { parent, name, object } => {
            let g = m.group_for(*parent);
            let (n, path) = m.new_name(g, name);
            let o = *object as usize % m.objs.len();
            file.create_hard_link(&path, &m.objs[o].path)?;
            m.add_link(g, n, LinkM::Hard(o));
        }
    }
    Ok(())
}

fn add_group(file: &File, m: &mut Model, g: usize, name: &str) -> h5kit::Result<()> {
    let (n, path) = m.new_name(g, name);
    file.create_group(&path)?;
    m.objs.push(ObjM { path, kind: KindM::Group(Vec::new()), attrs: Vec::new() });
    let id = m.objs.len() - 1;
    m.add_link(g, n, LinkM::Hard(id));
    Ok(())
}

fn build_dataset(file: &File, path: &str, ds: &DsDesc) -> h5kit::Result<DsM> {
    let (dt, kind) = datatype(&ds.dt);
    let size = dt.size as usize;
    let shape = dims_of(&ds.dims, 3, 8);
    let scalar = shape.is_empty();
    let mut spec = if scalar { DatasetSpec::scalar(dt.clone()) } else { DatasetSpec::new(dt.clone(), &shape) };
    spec.layout = match ds.layout % 4 {
        1 => Some(LayoutKind::Compact),
        2 => Some(LayoutKind::Contiguous),
        3 => Some(LayoutKind::Chunked),
        _ => None,
    };
    spec.chunks = ds.chunks.as_ref().map(|c| c.iter().take(3).map(|&x| u64::from(x % 9)).collect());
    spec.maxshape = ds.maxshape.as_ref().map(|mx| {
        shape
            .iter()
            .enumerate()
            .map(|(i, &n)| match mx.get(i) {
                Some(MaxDim::Unlimited) => UNLIMITED,
                Some(MaxDim::Plus(k)) => n + u64::from(k % 9),
                _ => n,
            })
            .collect()
    });
    spec.deflate = ds.deflate.map(|l| l % 10);
    spec.shuffle = ds.shuffle;
    spec.fletcher32 = ds.fletcher32;
    let fill = match ds.fill {
        Some(seed) if kind == Kind::Fixed => Some(Rng(seed).bytes(size)),
        _ => None,
    };
    spec.fill_value = fill.clone();
    let filtered = spec.deflate.is_some() || spec.shuffle || spec.fletcher32;
    let maxshape = spec.maxshape.clone().unwrap_or_else(|| shape.clone());
    let layout = match spec.layout {
        Some(l) => l,
        None if spec.chunks.is_some() || maxshape != shape || filtered => LayoutKind::Chunked,
        None => LayoutKind::Contiguous,
    };
    let mut filters = Vec::new();
    if spec.shuffle {
        filters.push(2);
    }
    if spec.deflate.is_some() {
        filters.push(1);
    }
    if spec.fletcher32 {
        filters.push(3);
    }
    let chunks = spec.chunks.clone();
    file.create_dataset(path, spec)?;

    let n = count(&shape);
    let empty = |n: usize| empty_vals(&kind, size, n, fill.as_deref());
    let mut vals = empty(n);
    if let Some(seed) = ds.write {
        vals = make_vals(&kind, size, n, &mut Rng(seed));
        file.write_raw(path, &encode(&vals))?;
    }
    let mut shape_now = shape.clone();
    let mut slice = None;
    if let Some(sw) = &ds.then {
        if scalar {
            return Ok(DsM { dt, scalar, shape, maxshape, layout, chunks, filters, fill, vals, slice });
        }
        if layout == LayoutKind::Chunked && !sw.new_dims.is_empty() {
            let new: Vec<u64> = (0..shape.len())
                .map(|d| {
                    let want = u64::from(sw.new_dims.get(d).copied().unwrap_or(0) % 17);
                    if maxshape[d] == UNLIMITED { want } else { want.min(maxshape[d]) }
                })
                .collect();
            file.resize(path, &new)?;
            let mut nv = empty(count(&new));
            let common: Vec<u64> = shape.iter().zip(&new).map(|(a, b)| (*a).min(*b)).collect();
            let zero = vec![0u64; shape.len()];
            let from = box_indices(&shape, &zero, &common);
            let to = box_indices(&new, &zero, &common);
            for (&i, &j) in from.iter().zip(&to) {
                copy_elem(&mut nv, j, &vals, i, size);
            }
            vals = nv;
            shape_now = new;
        }
        let start: Vec<u64> =
            (0..shape_now.len()).map(|d| u64::from(sw.start.get(d).copied().unwrap_or(0)) % (shape_now[d] + 1)).collect();
        let cnt: Vec<u64> = (0..shape_now.len())
            .map(|d| u64::from(sw.count.get(d).copied().unwrap_or(1)) % (shape_now[d] - start[d] + 1))
            .collect();
        let src = make_vals(&kind, size, count(&cnt), &mut Rng(sw.seed));
        file.write_slice::<u8>(path, &start, &cnt, &encode(&src))?;
        let to = box_indices(&shape_now, &start, &cnt);
        for (i, &j) in to.iter().enumerate() {
            copy_elem(&mut vals, j, &src, i, size);
        }
        slice = Some((start, cnt));
    }
    Ok(DsM { dt, scalar, shape: shape_now, maxshape, layout, chunks, filters, fill, vals, slice })
}

fn build_attr(file: &File, object: &str, name: &str, a: &AttrDesc) -> h5kit::Result<AttrM> {
    let (dt, kind) = datatype(&a.dt);
    // Rank 0 is the scalar dataspace (h5py's shape `()`).
    let dims = a.dims.as_ref().map(|d| dims_of(d, 2, 8)).filter(|d| !d.is_empty());
    let n = dims.as_deref().map(count).unwrap_or(1);
    let mut rng = Rng(a.seed);
    if kind == Kind::Vlen && a.as_str && dims.is_none() {
        let text = String::from_utf8(rng.text()).unwrap_or_default();
        file.set_attr_str(object, name, &text)?;
        // h5py's `attrs[name] = "text"`: always a UTF-8 variable-length string.
        let dt = dtype::vlen_string();
        return Ok(AttrM { dt, dims, vals: Vals::Vlen(vec![Some(text.into_bytes())]), as_str: true });
    }
    let vals = make_vals(&kind, dt.size as usize, n, &mut rng);
    file.set_attr_raw(object, name, dt.clone(), dims.as_deref(), &encode(&vals))?;
    Ok(AttrM { dt, dims, vals, as_str: false })
}

// ---- checking ----

/// A datatype without its message versions (an encoding choice of the format level: the
/// latest format writes compounds as version 3).
fn norm(dt: &Datatype) -> Datatype {
    let mut d = dt.clone();
    d.version = 0;
    match &mut d.class {
        TypeClass::Compound { members } => {
            for m in members {
                m.datatype = norm(&m.datatype);
            }
        }
        TypeClass::VarLenString { base, .. } | TypeClass::VarLenSequence { base } => **base = norm(base),
        _ => {}
    }
    d
}

fn vlen_items(v: &Vals) -> Vec<Vec<u8>> {
    match v {
        Vals::Vlen(items) => items.iter().map(|s| s.clone().unwrap_or_default()).collect(),
        _ => Vec::new(),
    }
}

/// Compares raw element bytes read back (variable-length slots are global heap IDs: length
/// u32, collection address, object index u32) with written mixed values.
fn check_mixed(file: &File, got: &[u8], v: &Vals, dt: &Datatype) -> Result<(), String> {
    let Vals::Mixed { fixed, pieces, nslots } = v else { return Err("not mixed values".into()) };
    let size = dt.size as usize;
    let slots: Vec<usize> = match &dt.class {
        TypeClass::Compound { members } => members
            .iter()
            .filter(|m| matches!(m.datatype.class, TypeClass::VarLenString { .. }))
            .map(|m| m.byte_offset as usize)
            .collect(),
        _ => Vec::new(),
    };
    if got.len() != fixed.len() {
        return Err(format!("{} bytes read, {} written", got.len(), fixed.len()));
    }
    let osize = usize::from(file.superblock().sizes.offset);
    let n = if size == 0 { 0 } else { fixed.len() / size };
    for e in 0..n {
        let mut g = got[e * size..(e + 1) * size].to_vec();
        for (t, &o) in slots.iter().enumerate() {
            let id = &g[o..o + 16];
            let len = u32::from_le_bytes(id[0..4].try_into().unwrap()) as usize;
            let mut a = [0u8; 8];
            a[..osize].copy_from_slice(&id[4..4 + osize]);
            let addr = u64::from_le_bytes(a);
            let index = u32::from_le_bytes(id[4 + osize..8 + osize].try_into().unwrap());
            let s = if addr == 0 && len == 0 {
                Vec::new()
            } else {
                let mut obj = file
                    .global_heap_object(addr, index)
                    .map_err(|err| format!("element {} slot {}: global heap object {}/{}: {}", e, t, addr, index, err))?;
                obj.truncate(len);
                obj
            };
            let want = pieces[e * nslots + t].clone().unwrap_or_default();
            if s != want {
                return Err(format!("element {} slot {}: {:?}, written {:?}", e, t, s, want));
            }
            g[o..o + 16].fill(0);
        }
        if g[..] != fixed[e * size..(e + 1) * size] {
            return Err(format!("element {}: bytes {:?}, written {:?}", e, g, &fixed[e * size..(e + 1) * size]));
        }
    }
    Ok(())
}

fn verify(file: &File, m: &Model) -> Result<(), String> {
    let addr = |path: &str| -> Result<u64, String> {
        match file.object(path).map_err(|e| format!("opening {}: {}", path, e))? {
            Object::Group(g) => Ok(g.address()),
            Object::Dataset(d) => Ok(d.address()),
            Object::Datatype(t) => Ok(t.address()),
        }
    };
    for o in &m.objs {
        let obj = file.object(&o.path).map_err(|e| format!("opening {}: {}", o.path, e))?;
        let attrs = match (&o.kind, &obj) {
            (KindM::Group(links), Object::Group(g)) => {
                let got = g.links().map_err(|e| format!("{}: links: {}", o.path, e))?;
                let got: BTreeMap<&str, &LinkTarget> = got.iter().map(|l| (l.name.as_str(), &l.target)).collect();
                if got.len() != links.len() {
                    return Err(format!("{}: {} links read, {} written: {:?}", o.path, got.len(), links.len(), got.keys()));
                }
                for (name, l) in links {
                    let t = got.get(name.as_str()).ok_or_else(|| format!("{}: link {:?} missing", o.path, name))?;
                    match (l, t) {
                        (LinkM::Hard(id), LinkTarget::Hard { address }) => {
                            let want = addr(&m.objs[*id].path)?;
                            if *address != want {
                                return Err(format!("{}: hard link {:?} -> {} (want {})", o.path, name, address, want));
                            }
                        }
                        (LinkM::Soft(p), LinkTarget::Soft { path }) if p == path => {}
                        _ => return Err(format!("{}: link {:?} is {:?}, written {:?}", o.path, name, t, l)),
                    }
                }
                g.attributes()
            }
            (KindM::Dataset(d), Object::Dataset(ds)) => {
                check_dataset(file, &o.path, d, ds)?;
                ds.attributes()
            }
            _ => return Err(format!("{}: wrong object kind {:?}", o.path, obj)),
        }
        .map_err(|e| format!("{}: attributes: {}", o.path, e))?;
        if attrs.len() != o.attrs.len() {
            let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
            return Err(format!("{}: {} attributes read ({:?}), {} written", o.path, attrs.len(), names, o.attrs.len()));
        }
        for (name, a) in &o.attrs {
            let got = attrs
                .iter()
                .find(|g| g.name == *name)
                .ok_or_else(|| format!("{}: attribute {:?} missing", o.path, name))?;
            let at = format!("{}: attribute {:?}", o.path, name);
            if norm(&got.datatype) != norm(&a.dt) {
                return Err(format!("{}: datatype {:?}, written {:?}", at, got.datatype, a.dt));
            }
            match &a.dims {
                None if got.dataspace.kind == DataspaceKind::Scalar => {}
                Some(d) if got.dataspace.kind == DataspaceKind::Simple && got.dataspace.dims == *d => {}
                _ => return Err(format!("{}: dataspace {:?}, written dims {:?}", at, got.dataspace, a.dims)),
            }
            match &a.vals {
                Vals::Fixed(b) if got.data != *b => {
                    return Err(format!("{}: data {:?}, written {:?}", at, got.data, b));
                }
                Vals::Fixed(_) => {}
                m @ Vals::Mixed { .. } => {
                    check_mixed(file, &got.data, m, &a.dt).map_err(|e| format!("{}: {}", at, e))?;
                }
                v @ Vals::Vlen(_) => {
                    let want = vlen_items(v);
                    let items = got.read_vlen().map_err(|e| format!("{}: read_vlen: {}", at, e))?;
                    if items != want {
                        return Err(format!("{}: values {:?}, written {:?}", at, items, want));
                    }
                    if a.as_str {
                        let s = got.read_strings().map_err(|e| format!("{}: read_strings: {}", at, e))?;
                        let w: Vec<String> = want.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect();
                        if s != w {
                            return Err(format!("{}: strings {:?}, written {:?}", at, s, w));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn check_dataset(file: &File, path: &str, d: &DsM, ds: &h5kit::snapshot::Dataset) -> Result<(), String> {
    if norm(ds.datatype()) != norm(&d.dt) {
        return Err(format!("{}: datatype {:?}, written {:?}", path, ds.datatype(), d.dt));
    }
    let sp = ds.dataspace();
    let kind = if d.scalar { DataspaceKind::Scalar } else { DataspaceKind::Simple };
    if sp.kind != kind || sp.dims != d.shape {
        return Err(format!("{}: dataspace {:?}, written shape {:?}", path, sp, d.shape));
    }
    if !d.scalar && sp.max_dims.clone().unwrap_or_else(|| sp.dims.clone()) != d.maxshape {
        return Err(format!("{}: maxshape {:?}, written {:?}", path, sp.max_dims, d.maxshape));
    }
    let got_filters: Vec<u16> = ds.filters().map(|f| f.filters.iter().map(|f| f.id).collect()).unwrap_or_default();
    if got_filters != d.filters {
        return Err(format!("{}: filters {:?}, written {:?}", path, got_filters, d.filters));
    }
    match (&ds.layout().layout, d.layout) {
        (Layout::Compact { .. }, LayoutKind::Compact) | (Layout::Contiguous { .. }, LayoutKind::Contiguous) => {}
        (Layout::Chunked { chunk_dims, .. }, LayoutKind::Chunked) => {
            if let Some(c) = &d.chunks {
                if chunk_dims != c {
                    return Err(format!("{}: chunk dims {:?}, written {:?}", path, chunk_dims, c));
                }
            }
            // Every listed chunk is a distinct grid cell inside the dataset's extent (chunks
            // are written for the current shape), with consistent offsets.
            let chunks = ds.chunk_locations().map_err(|e| format!("{}: chunk_locations: {}", path, e))?;
            let mut seen = std::collections::HashSet::new();
            for c in &chunks {
                let ok = c.scaled_offset.len() == d.shape.len()
                    && c.scaled_offset.iter().zip(chunk_dims).zip(&c.offset).all(|((s, cd), o)| s * cd == *o)
                    && c.offset.iter().zip(&d.shape).all(|(o, n)| o < n)
                    && c.size > 0
                    && seen.insert(c.scaled_offset.clone());
                if !ok {
                    return Err(format!("{}: chunk {:?} of {:?} (chunks {:?})", path, c, d.shape, chunk_dims));
                }
            }
        }
        (l, k) => return Err(format!("{}: layout {:?}, written {:?}", path, l, k)),
    }
    if let Some(f) = &d.fill {
        let got = ds.fill_value().and_then(|f| f.value.clone());
        if got.as_ref() != Some(f) {
            return Err(format!("{}: fill value {:?}, written {:?}", path, got, f));
        }
    }
    let size = d.dt.size as usize;
    match &d.vals {
        Vals::Fixed(want) => {
            let got = ds.read_raw().map_err(|e| format!("{}: read_raw: {}", path, e))?;
            if got != *want {
                return Err(format!("{}: data {:?}, written {:?}", path, got, want));
            }
            if let Some((start, cnt)) = &d.slice {
                let sel = ds
                    .read_raw_selection(&Hyperslab::new(start, cnt))
                    .map_err(|e| format!("{}: read_raw_selection: {}", path, e))?;
                let mut w = Vec::new();
                for j in box_indices(&d.shape, start, cnt) {
                    w.extend_from_slice(&want[j * size..(j + 1) * size]);
                }
                if sel != w {
                    return Err(format!("{}: selection {:?}/{:?} read {:?}, written {:?}", path, start, cnt, sel, w));
                }
            }
        }
        m @ Vals::Mixed { .. } => {
            let got = ds.read_raw().map_err(|e| format!("{}: read_raw: {}", path, e))?;
            check_mixed(file, &got, m, &d.dt).map_err(|e| format!("{}: {}", path, e))?;
        }
        v @ Vals::Vlen(_) => {
            let want = vlen_items(v);
            let got = ds.read_vlen().map_err(|e| format!("{}: read_vlen: {}", path, e))?;
            if got != want {
                return Err(format!("{}: values {:?}, written {:?}", path, got, want));
            }
        }
    }
    Ok(())
}

fn run(desc: &Desc) {
    let libver = if desc.latest { LibVer::Latest } else { LibVer::Earliest };
    let Ok(file) = File::create_in_memory(libver) else { return };
    let mut m = Model { objs: vec![ObjM { path: "/".into(), kind: KindM::Group(Vec::new()), attrs: Vec::new() }] };
    for op in desc.ops.iter().take(MAX_OPS) {
        if apply(&file, &mut m, op).is_err() {
            return; // the writer rejected the description: a clean end
        }
    }
    let Ok(bytes) = file.to_bytes() else { return };
    let back = match File::from_bytes(bytes) {
        Ok(f) => f,
        Err(e) => panic!("written file does not open: {}\nreproducer: {:#?}", e, desc),
    };
    if let Err(msg) = verify(&back, &m) {
        panic!("round trip mismatch: {}\nreproducer: {:#?}", msg, desc);
    }
}

fuzz_target!(|desc: Desc| run(&desc));
