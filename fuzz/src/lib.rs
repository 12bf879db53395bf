//! Shared helpers of the h5kit fuzz targets: limits, the whole-file walk (with a transcript,
//! so two storages can be compared), a storage that serves bytes through `read_at` only, and
//! structure-target plumbing (choosing Sizes, finding signatures in a file image).

use std::collections::HashSet;
use std::fmt::Write;

use h5kit::{File, Limits, LinkTarget, Object, TypeClass};
use h5kit_core::{Context, MemStorage, Result, Sizes, Storage};

/// Conservative limits: a fuzz input can claim anything.
pub fn limits() -> Limits {
    Limits { max_alloc: 64 << 20, max_depth: 32, max_items: 1 << 16 }
}

/// Datasets larger than this are not read by the walk.
pub const MAX_READ_BYTES: u64 = 1 << 20;
/// Objects visited per walk at most.
pub const MAX_OBJECTS: usize = 2_000;
/// Soft/external links resolved per group at most: each resolution lists the group's links
/// again (`Group::open` is linear in the group size), so resolving all of them is quadratic.
pub const MAX_RESOLVED_PER_GROUP: usize = 16;

/// A storage that has no slice: every byte arrives through [`Storage::read_at`], as from a
/// file read piecewise or a remote range request.
pub struct ReadAtStorage {
    data: Vec<u8>,
}

impl ReadAtStorage {
    pub fn new(data: Vec<u8>) -> Self {
        ReadAtStorage { data }
    }
}

impl Storage for ReadAtStorage {
    fn len(&self) -> u64 {
        self.data.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let start = usize::try_from(offset).ok();
        let end = start.and_then(|s| s.checked_add(buf.len()));
        match (start, end) {
            (Some(s), Some(e)) if e <= self.data.len() => {
                buf.copy_from_slice(&self.data[s..e]);
                Ok(())
            }
            _ => Err(h5kit_core::Error::format(
                offset,
                format!("{} bytes at address {} run past the end of the file ({} bytes)", buf.len(), offset, self.data.len()),
            )),
        }
    }
}

/// Opens `storage` and walks everything reachable; returns a transcript of what was seen
/// (names, kinds, shapes, data lengths and checksums, and every error message).
pub fn walk_storage(storage: Box<dyn Storage>) -> String {
    let mut out = String::new();
    let file = match File::from_storage(storage, "<fuzz>".into(), limits()) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(out, "open: {}", e);
            return out;
        }
    };
    let root = match file.root() {
        Ok(r) => Object::Group(r),
        Err(e) => {
            let _ = writeln!(out, "root: {}", e);
            match file.object_at(file.superblock().root_object_header_address, "/") {
                Ok(o) => o,
                Err(e) => {
                    let _ = writeln!(out, "root object: {}", e);
                    return out;
                }
            }
        }
    };
    let mut w = Walk { file: &file, seen: HashSet::new(), objects: 0, out };
    w.seen.insert(root.address());
    w.object(&root, 0);
    w.out
}

/// Opens bytes from memory and walks them.
pub fn walk_bytes(data: &[u8]) -> String {
    walk_storage(Box::new(MemStorage::new(data.to_vec())))
}

fn digest(data: &[u8]) -> u32 {
    h5kit_core::lookup3(data, 0)
}

struct Walk<'a> {
    file: &'a File,
    seen: HashSet<u64>,
    objects: usize,
    out: String,
}

impl Walk<'_> {
    fn log<T>(&mut self, what: &str, r: &Result<T>, ok: impl FnOnce(&T) -> String) {
        let line = match r {
            Ok(v) => format!("{}: {}", what, ok(v)),
            Err(e) => format!("{}: ERR {}", what, e),
        };
        self.out.push_str(&line);
        self.out.push('\n');
    }

    fn object(&mut self, obj: &Object, depth: u32) {
        self.objects += 1;
        let path = obj.path().to_string();
        let _ = writeln!(self.out, "{:?} comment {:?}", obj, obj.comment());
        let attrs = obj.attributes();
        self.log(&format!("{} attributes", path), &attrs, |a| format!("{}", a.len()));
        if let Ok(attrs) = attrs {
            for a in &attrs {
                let _ = writeln!(self.out, "  attr {:?} {:?} {:?} {} bytes #{:08x}", a.name, a.datatype, a.dataspace, a.data.len(), digest(&a.data));
                let v = a.read::<f64>();
                self.log("  attr f64", &v, |v| format!("{}", v.len()));
                let v = a.read_strings();
                self.log("  attr strings", &v, |v| format!("{:?}", v));
                let v = a.read_vlen();
                self.log("  attr vlen", &v, |v| format!("{}", v.len()));
                self.vlen(&a.datatype.class, &a.data);
            }
        }
        match obj {
            Object::Group(g) => {
                let links = g.links();
                self.log(&format!("{} links", path), &links, |l| format!("{}", l.len()));
                let Ok(links) = links else { return };
                let mut resolved = 0;
                for link in links {
                    if self.objects >= MAX_OBJECTS {
                        return;
                    }
                    let _ = writeln!(self.out, "  link {:?} {:?}", link.name, link.target);
                    match &link.target {
                        LinkTarget::Hard { address } => {
                            if !self.seen.insert(*address) || depth > 64 {
                                continue;
                            }
                            let child_path = format!("{}/{}", g.path().trim_end_matches('/'), link.name);
                            match self.file.object_at(*address, &child_path) {
                                Ok(child) => self.object(&child, depth + 1),
                                Err(e) => {
                                    let _ = writeln!(self.out, "  open {}: ERR {}", child_path, e);
                                }
                            }
                        }
                        _ if resolved >= MAX_RESOLVED_PER_GROUP => {}
                        _ => {
                            resolved += 1;
                            match g.open(&link.name) {
                                Ok(child) => {
                                    if self.seen.insert(child.address()) && depth <= 64 {
                                        self.object(&child, depth + 1);
                                    }
                                }
                                Err(e) => {
                                    let _ = writeln!(self.out, "  open {}: ERR {}", link.name, e);
                                }
                            }
                        }
                    }
                }
            }
            Object::Dataset(d) => {
                let _ = writeln!(self.out, "  dataset {:?} {:?} {:?} {:?}", d.datatype(), d.dataspace(), d.layout(), d.filters());
                let s = d.storage_size();
                self.log("  storage_size", &s, |s| s.to_string());
                let m = d.virtual_mappings();
                self.log("  virtual", &m, |m| format!("{}", m.len()));
                let size = d.dataspace().element_count().and_then(|n| n.checked_mul(d.datatype().size as u64));
                if matches!(size, Some(s) if s <= MAX_READ_BYTES) {
                    let raw = d.read_raw();
                    self.log("  read_raw", &raw, |r| format!("{} bytes #{:08x}", r.len(), digest(r)));
                    if let Ok(raw) = raw {
                        self.vlen(&d.datatype().class, &raw);
                    }
                    let v = d.read_strings();
                    self.log("  strings", &v, |v| format!("{:?}", v));
                    let v = d.read_vlen();
                    self.log("  vlen", &v, |v| format!("{}", v.len()));
                    // Zero-copy reads: the same values as `read`, borrowed or not.
                    let view = d.read_view::<f64>();
                    self.log("  view", &view, |v| format!("{} values #{:08x}", v.len(), digest(bytemuck::cast_slice(v))));
                    if let (Ok(view), Ok(read)) = (&view, d.read::<f64>()) {
                        let mut buf = vec![0f64; read.data.len()];
                        let into = d.read_into(&mut buf);
                        let same = into.is_ok() && bytemuck::cast_slice::<f64, u8>(&buf) == bytemuck::cast_slice::<f64, u8>(&read.data);
                        assert!(same, "read_into differs from read: {} ({:?})", d.path(), into.err());
                        let same = bytemuck::cast_slice::<f64, u8>(view) == bytemuck::cast_slice::<f64, u8>(&read.data);
                        if !same || view.shape() != read.shape.as_slice() {
                            let first = view.iter().zip(&read.data).position(|(a, b)| a.to_bits() != b.to_bits());
                            panic!(
                                "read_view differs from read: {} (borrowed {}, shapes {:?} / {:?}, lengths {} / {}, first difference at {:?}: {:?} / {:?}, layout {:?})",
                                d.path(), view.is_borrowed(), view.shape(), read.shape, view.len(), read.data.len(), first,
                                first.and_then(|i| view.get(i)), first.and_then(|i| read.data.get(i)), d.layout()
                            );
                        }
                    }
                    let dims = d.shape().to_vec();
                    if !dims.is_empty() {
                        let start: Vec<u64> = dims.iter().map(|&n| n / 2).collect();
                        let count: Vec<u64> = dims.iter().map(|&n| n - n / 2).collect();
                        let sel = d.read_raw_selection(&h5kit::Hyperslab::new(&start, &count));
                        self.log("  selection", &sel, |r| format!("{} bytes #{:08x}", r.len(), digest(r)));
                    }
                }
            }
            Object::Datatype(t) => {
                let _ = writeln!(self.out, "  datatype {:?}", t.datatype());
            }
        }
    }

    /// Follows the first few variable-length references into the global heap.
    fn vlen(&mut self, class: &TypeClass, data: &[u8]) {
        if !matches!(class, TypeClass::VarLenSequence { .. } | TypeClass::VarLenString { .. }) {
            return;
        }
        let o = self.file.superblock().sizes.offset as usize;
        for chunk in data.chunks_exact(8 + o).take(4) {
            let mut addr = [0u8; 8];
            let (Some(a), Some(i)) = (chunk.get(4..4 + o), chunk.get(4 + o..8 + o)) else { continue };
            addr[..o].copy_from_slice(a);
            let index = u32::from_le_bytes([i[0], i[1], i[2], i[3]]);
            let r = self.file.global_heap_object(u64::from_le_bytes(addr), index);
            self.log("  vlen", &r, |v| format!("{} bytes", v.len()));
        }
    }
}

/// Sizes chosen by a selector byte (the common ones first).
pub fn sizes_from(selector: u8) -> Sizes {
    match selector % 6 {
        0 | 1 => Sizes { offset: 8, length: 8 },
        2 => Sizes { offset: 4, length: 4 },
        3 => Sizes { offset: 4, length: 8 },
        4 => Sizes { offset: 8, length: 4 },
        _ => Sizes { offset: 2, length: 2 },
    }
}

/// The Sizes of the superblock of `image` if it has one, else `sizes_from(selector)`.
pub fn sizes_of(image: &[u8], selector: u8) -> (Sizes, u64) {
    let storage = MemStorage::new(image.to_vec());
    match h5kit_superblock::Superblock::read(&storage) {
        Ok(sb) => (sb.sizes, sb.base_address),
        Err(_) => (sizes_from(selector), 0),
    }
}

/// Up to `max` positions of `sig` in `image` (always including 0 first).
pub fn positions(image: &[u8], sig: &[u8; 4], max: usize) -> Vec<u64> {
    let mut out = vec![0u64];
    let mut i = 0;
    while out.len() < max {
        let Some(p) = image.get(i..).and_then(|s| s.windows(4).position(|w| w == sig)) else { break };
        let at = i + p;
        if at != 0 {
            out.push(at as u64);
        }
        i = at + 1;
    }
    out
}

/// Runs `f` on a context over `image`: Sizes from the superblock when it parses (addresses
/// then relative to the base address), otherwise from `selector` (base 0).
pub fn with_context(image: &[u8], selector: u8, f: impl FnOnce(Context, u64)) {
    let (sizes, base) = sizes_of(image, selector);
    let storage = MemStorage::new(image.to_vec());
    let limits = limits();
    let ctx = Context::new(&storage, sizes, &limits, base);
    f(ctx, base)
}

/// Structure-target driver: input byte 0 selects Sizes (when the image has no superblock),
/// the rest is a file image; `parse` runs at address 0 and at each occurrence of `sig`.
pub fn structure_target(data: &[u8], sig: &[u8; 4], parse: impl Fn(Context, u64, u8)) {
    let Some((&selector, image)) = data.split_first() else { return };
    with_context(image, selector, |ctx, base| {
        for abs in positions(image, sig, 16) {
            let Some(address) = abs.checked_sub(base) else { continue };
            parse(ctx, address, selector);
        }
    });
}
