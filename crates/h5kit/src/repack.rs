//! Copying a whole file (what `h5 repack` does, and opening a file in `r+`/`a` mode where the
//! on-disk writer cannot edit it): every group, dataset, attribute and link, read with the
//! reader and created again with a writer. [`repack_file`] writes through the on-disk writer
//! ([`h5kit_write::edit::Editor`]): raw data streamed in bounded pieces, chunks whose layout
//! and filters do not change copied as stored bytes (`repack/stream.rs`); files holding objects the
//! editor cannot create yet go through the in-memory model ([`copy_file`],
//! [`h5kit_write::FileWriter`]). See spec-notes/repack.md.

mod options;
mod stream;
mod target;
mod values;

use std::collections::{HashMap, HashSet};

use h5kit_core::{Error, ErrorKind, Result};
use h5kit_dataset::filter;
use h5kit_object_header::{DataspaceKind, Datatype, Layout, LinkTarget, UNLIMITED};
use h5kit_write::{DatasetSpec, FileWriter, LayoutKind, Region};

pub use options::{h5repack_chunk, LayoutOption, RepackOptions};
pub use stream::{needs_latest_format, repack_file};
pub use values::canonical_values;
use options::MAX_COMPACT_DSIZE;
use target::Dst;
use values::{
    decode_region, is_object_reference, is_region_reference, is_vlen, is_vlen_of_refs, to_writer, vlen_to_writer,
};

use crate::attribute::Attribute;
use crate::file::File;
use crate::object::{Dataset, Object};

/// Temporary link name of an anonymous committed datatype while it is copied.
const ANONYMOUS_TYPE_PREFIX: &str = "\u{1}h5kit-anonymous-datatype-";

/// What the copy could not carry over exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepackReport {
    /// Objects copied.
    pub objects: usize,
    /// Human-readable notes, e.g. a filter the writer cannot apply.
    pub warnings: Vec<String>,
    /// [`repack_file`]: why the copy went through the in-memory model (`None`: streamed by
    /// the on-disk writer).
    pub model: Option<String>,
    /// [`repack_file`]: chunks copied as stored bytes, and datasets whose data was read and
    /// written again (in bounded pieces).
    pub raw_chunks: u64,
    /// Datasets whose data was read and written again.
    pub rewritten: u64,
}

fn child_path(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{}", name)
    } else {
        format!("{}/{}", parent, name)
    }
}

struct Copier<'a> {
    src: &'a File,
    dst: Dst<'a>,
    opts: &'a RepackOptions,
    /// First path each object was created at (hard links to it become hard links).
    created: HashMap<u64, String>,
    /// Every object's first path in a depth-first walk in name order (reference targets).
    paths: HashMap<u64, String>,
    report: RepackReport,
    /// Groups created in the writer (by `create_group` or as intermediate groups of a
    /// datatype committed ahead of its turn).
    dst_groups: HashSet<String>,
    /// Groups the writer created implicitly, not yet visited by `copy_group`.
    premade: HashSet<String>,
    /// Temporary links of anonymous committed datatypes, removed at the end.
    anonymous: Vec<String>,
    /// On-disk writer: datasets created whose data is copied once every object exists (an
    /// object the editor cannot create is then met before any data is copied).
    pending: Vec<(String, Dataset)>,
}

impl<'a> Copier<'a> {
    fn reference_paths(&self, raw: &[u8]) -> Vec<Option<String>> {
        let w = self.src.superblock().sizes.offset as usize;
        raw.chunks_exact(w.max(1))
            .map(|c| {
                let mut a = [0u8; 8];
                for (d, s) in a.iter_mut().zip(c) {
                    *d = *s;
                }
                let addr = u64::from_le_bytes(a);
                if addr == 0 {
                    None
                } else {
                    self.paths.get(&addr).cloned()
                }
            })
            .collect()
    }

    /// The writer path of the committed datatype at `address`, committing it first (with
    /// its attributes) when it has not been copied yet; types without a link are committed
    /// anonymously.
    fn committed_path(&mut self, address: Option<u64>) -> Result<Option<String>> {
        let Some(address) = address else { return Ok(None) };
        if let Some(p) = self.created.get(&address) {
            return Ok(Some(p.clone()));
        }
        let path = match self.paths.get(&address) {
            Some(p) => p.clone(),
            None => {
                // An anonymous committed datatype (no link; h5dump shows it as "#address"):
                // committed under a temporary name, unlinked when the copy ends, kept in the
                // file by its users as h5repack keeps it.
                let p = format!("/{}{}", ANONYMOUS_TYPE_PREFIX, address);
                self.anonymous.push(p.clone());
                p
            }
        };
        let Object::Datatype(t) = self.src.object_at(address, &path)? else {
            return Ok(None);
        };
        // Intermediate groups the writer creates now: `copy_group` must not create them again.
        let mut prefix = String::new();
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        for part in parts.iter().take(parts.len().saturating_sub(1)) {
            prefix = child_path(if prefix.is_empty() { "/" } else { &prefix }, part);
            if self.dst_groups.insert(prefix.clone()) {
                self.premade.insert(prefix.clone());
            }
        }
        self.created.insert(address, path.clone());
        self.report.objects += 1;
        self.dst.commit_datatype(&path, t.datatype().clone())?;
        self.copy_attributes(&path, t.attributes()?)?;
        Ok(Some(path))
    }

    /// Targets of the object references nested in compound/array elements (slot order of
    /// [`h5kit_write::enc::ref_slots`]); `None` when the type has none.
    fn nested_refs(&self, dt: &Datatype, raw: &[u8]) -> Result<Option<Vec<Option<String>>>> {
        if h5kit_write::enc::is_vlen(dt) {
            return Ok(None);
        }
        let slots = h5kit_write::enc::ref_slots(dt)?;
        let size = dt.size as usize;
        if slots.is_empty() || size == 0 {
            return Ok(None);
        }
        let mut out = Vec::new();
        for elem in raw.chunks_exact(size) {
            for &o in &slots {
                let o = usize::try_from(o).unwrap_or(usize::MAX);
                let bytes = o.checked_add(8).and_then(|end| elem.get(o..end)).unwrap_or(&[]);
                out.push(self.reference_paths(bytes).into_iter().next().flatten());
            }
        }
        Ok(Some(out))
    }

    /// Region references (12-byte global heap IDs) as writer targets: path and region.
    fn region_targets(&mut self, raw: &[u8], what: &str) -> Result<Vec<Option<(String, Region)>>> {
        let w = self.src.superblock().sizes.offset as usize;
        let mut out = Vec::new();
        for c in raw.chunks_exact(w.saturating_add(4).max(1)) {
            let mut a = [0u8; 8];
            for (d, s) in a.iter_mut().zip(c.iter().take(w)) {
                *d = *s;
            }
            let coll = u64::from_le_bytes(a);
            let idx = c.get(w..w + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes).unwrap_or(0);
            if coll == 0 {
                out.push(None);
                continue;
            }
            let obj = self.src.global_heap_object(coll, idx)?;
            match decode_region(&obj, w) {
                Some((addr, region)) => match self.paths.get(&addr) {
                    Some(p) => out.push(Some((p.clone(), region))),
                    None => out.push(None),
                },
                None => {
                    self.report.warnings.push(format!("{}: region reference with a selection kind not copied (null)", what));
                    out.push(None);
                }
            }
        }
        Ok(out)
    }

    fn copy_attributes(&mut self, path: &str, attrs: Vec<Attribute>) -> Result<()> {
        for mut a in attrs {
            let committed = self.committed_path(a.committed_datatype)?;
            let shape: Option<Vec<u64>> = match a.dataspace.kind {
                DataspaceKind::Scalar => None,
                DataspaceKind::Simple => Some(a.dataspace.dims.clone()),
                DataspaceKind::Null => {
                    self.dst.set_null_attribute(path, &a.name, a.datatype.clone(), committed.as_deref())?;
                    continue;
                }
            };
            // libhdf5 ignores bytes past the elements (some writers pad attribute data).
            let n = shape.as_deref().unwrap_or(&[]).iter().fold(1u64, |x, &d| x.saturating_mul(d));
            let want = n.saturating_mul(a.datatype.size as u64);
            if (a.data.len() as u64) > want {
                a.data.truncate(usize::try_from(want).unwrap_or(usize::MAX));
            }
            if is_region_reference(&a.datatype) {
                let t = self.region_targets(&a.data, path)?;
                let refs: Vec<Option<(&str, Region)>> = t.iter().map(|x| x.as_ref().map(|(p, r)| (p.as_str(), r.clone()))).collect();
                self.dst.set_region_reference_attribute(path, &a.name, shape.as_deref(), &refs)?;
                continue;
            }
            if is_vlen_of_refs(&a.datatype) {
                let lists: Vec<Vec<Option<String>>> = a.read_vlen()?.iter().map(|e| self.reference_paths(e)).collect();
                let refs: Vec<Vec<Option<&str>>> = lists.iter().map(|l| l.iter().map(|t| t.as_deref()).collect()).collect();
                self.dst.set_vlen_reference_attribute(path, &a.name, shape.as_deref(), &refs)?;
                continue;
            }
            if is_object_reference(&a.datatype) {
                let targets = self.reference_paths(&a.data);
                let refs: Vec<Option<&str>> = targets.iter().map(|t| t.as_deref()).collect();
                self.dst.set_reference_attribute(path, &a.name, shape.as_deref(), &refs)?;
                continue;
            }
            if committed.is_none() {
                if let Some(refs) = self.nested_refs(&a.datatype, &a.data)? {
                    let refs: Vec<Option<&str>> = refs.iter().map(|t| t.as_deref()).collect();
                    self.dst.set_attribute_with_refs(path, &a.name, a.datatype.clone(), shape.as_deref(), &a.data, &refs)?;
                    continue;
                }
            }
            let data = to_writer(self.src, &a.datatype, &a.data, || a.read_vlen())?;
            match committed {
                Some(t) => self.dst.set_attribute_committed(path, &a.name, &t, shape.as_deref(), &data)?,
                None => self.dst.set_attribute(path, &a.name, a.datatype.clone(), shape.as_deref(), &data)?,
            }
        }
        Ok(())
    }

    fn dataset_spec(&mut self, d: &Dataset) -> Result<DatasetSpec> {
        let space = d.dataspace();
        let mut spec = match space.kind {
            DataspaceKind::Scalar => DatasetSpec::scalar(d.datatype().clone()),
            DataspaceKind::Simple => DatasetSpec::new(d.datatype().clone(), &space.dims),
            DataspaceKind::Null => DatasetSpec::scalar(d.datatype().clone()),
        };
        spec.committed_type = self.committed_path(d.committed_datatype())?;
        if let Some(m) = &space.max_dims {
            if m != &space.dims {
                spec.maxshape = Some(m.clone());
            }
        }
        match &d.layout().layout {
            Layout::Compact { .. } => spec.layout = Some(LayoutKind::Compact),
            Layout::Contiguous { .. } => spec.layout = Some(LayoutKind::Contiguous),
            Layout::Chunked { chunk_dims, .. } => {
                spec.layout = Some(LayoutKind::Chunked);
                spec.chunks = Some(chunk_dims.clone());
            }
            Layout::Virtual { .. } => {
                self.report.warnings.push(format!("{}: virtual dataset written as contiguous", d.path()));
                spec.layout = Some(LayoutKind::Contiguous);
            }
        }
        if let Some(fv) = d.fill_value() {
            if let Some(v) = &fv.value {
                if v.len() == d.datatype().size as usize && !is_vlen(d.datatype()) {
                    spec.fill_value = Some(v.clone());
                }
            }
        }
        // The source's pipeline as it is (ids, names, flags, client data), less the filters
        // the writer cannot apply.
        let mut filters = Vec::new();
        for f in d.filters().map(|p| p.filters.as_slice()).unwrap_or(&[]) {
            if filter::can_encode(f.id) {
                filters.push(f.clone());
            } else {
                self.report.warnings.push(format!(
                    "{}: filter {} ({}) is not written by h5kit; data stored without it",
                    d.path(),
                    f.id,
                    f.name.clone().unwrap_or_else(|| filter::filter_name(f.id).to_string())
                ));
            }
        }
        let dims = spec.shape.clone().unwrap_or_default();
        if dims.is_empty() {
            // Scalar datasets cannot be chunked: h5repack leaves them unfiltered, in their layout.
            filters.clear();
            if spec.layout == Some(LayoutKind::Chunked) {
                spec.layout = Some(LayoutKind::Contiguous);
                spec.chunks = None;
            }
        }
        spec.filters = filters;
        let unlimited = spec.maxshape.as_ref().map(|m| m.contains(&UNLIMITED)).unwrap_or(false);
        if (!spec.filters.is_empty() || unlimited) && spec.layout != Some(LayoutKind::Chunked) {
            spec.layout = Some(LayoutKind::Chunked);
            spec.chunks = Some(h5repack_chunk(&dims, u64::from(d.datatype().size)));
        }
        Ok(spec)
    }

    /// The source's `spec` changed by the options (h5repack -f / -l; named objects first), as
    /// h5repack's `apply_filters` changes the creation properties: option filters replace the
    /// source's (`NONE`: none); filters without a chunk layout get h5repack's chunk; `CONTI`
    /// drops the filters and an unlimited maximum shape; `COMPA` keeps the filters (so that
    /// filtered datasets stay as they are, as in h5repack where the creation then fails).
    fn with_options(&self, d: &Dataset, orig: &DatasetSpec) -> Result<DatasetSpec> {
        let mut spec = orig.clone();
        let dims = spec.shape.clone().unwrap_or_default();
        if dims.is_empty() {
            return Ok(spec);
        }
        let key = d.path().trim_start_matches('/');
        let named_filters = self.opts.object_filters.get(key);
        let opt_filters = named_filters.or(self.opts.filters.as_ref());
        let named_layout = self.opts.object_layouts.get(key);
        let opt_layout = named_layout.or(self.opts.layout.as_ref());
        if let (Some((LayoutKind::Contiguous | LayoutKind::Compact, _)), Some(f)) = (named_layout, named_filters) {
            if !f.is_empty() {
                return Err(Error::usage(format!("{}: filters need a chunked layout", d.path())));
            }
        }
        if let Some(f) = opt_filters {
            spec.filters = f.clone();
        }
        match opt_layout {
            Some((LayoutKind::Chunked, Some(c))) => {
                spec.layout = Some(LayoutKind::Chunked);
                spec.chunks = Some(c.clone());
            }
            Some((LayoutKind::Contiguous, _)) => {
                spec.filters.clear();
                spec.layout = Some(LayoutKind::Contiguous);
                spec.chunks = None;
                spec.maxshape = None;
            }
            Some((LayoutKind::Compact, _)) => {
                spec.layout = Some(LayoutKind::Compact);
                spec.chunks = None;
                let bytes = dims.iter().fold(1u64, |a, &x| a.saturating_mul(x)).saturating_mul(u64::from(d.datatype().size));
                if bytes <= MAX_COMPACT_DSIZE {
                    spec.maxshape = None;
                }
            }
            _ => {}
        }
        if !spec.filters.is_empty() && opt_layout.is_none() && spec.layout != Some(LayoutKind::Chunked) {
            spec.layout = Some(LayoutKind::Chunked);
            spec.chunks = Some(h5repack_chunk(&dims, u64::from(d.datatype().size)));
        }
        Ok(spec)
    }

    /// Whether libhdf5 would refuse to create a dataset of `spec` (h5repack then creates it
    /// with the source's properties): compact data over 64512 bytes; the writer checks the
    /// rest (chunk rank and size, filters or unlimited sizes without chunks).
    fn too_big_for_compact(spec: &DatasetSpec) -> bool {
        let n = spec.shape.iter().flatten().fold(1u64, |a, &x| a.saturating_mul(x));
        spec.layout == Some(LayoutKind::Compact) && n.saturating_mul(u64::from(spec.datatype.size)) > MAX_COMPACT_DSIZE
    }

    fn copy_dataset(&mut self, path: &str, d: &Dataset) -> Result<()> {
        let orig = self.dataset_spec(d)?;
        if d.dataspace().kind == DataspaceKind::Null {
            self.dst.create_null_dataset(path, orig)?;
            return self.copy_attributes(path, d.attributes()?);
        }
        let spec = self.with_options(d, &orig)?;
        if spec == orig {
            self.dst.create_dataset(path, spec)?;
        } else {
            // As h5repack: properties the library refuses (chunk rank or size, compact too
            // large or filtered) fall back to the source's.
            let refused = if Self::too_big_for_compact(&spec) { Err(Error::usage("compact data too large")) } else { self.dst.create_dataset(path, spec) };
            if let Err(e) = refused {
                if self.dst.gave_up().is_some() {
                    return Err(e);
                }
                self.report.warnings.push(format!("{}: options not applied ({}); source properties kept", d.path(), e));
                self.dst.create_dataset(path, orig)?;
            }
        }
        let dt = d.datatype();
        if matches!(self.dst, Dst::Editor { .. }) && !is_vlen(dt) && !h5kit_write::enc::is_vlen(dt) && !is_object_reference(dt) && !is_region_reference(dt) && !is_vlen_of_refs(dt) {
            // Fixed-size values without references: streamed once every object exists.
            self.pending.push((path.to_string(), d.clone()));
        } else if is_object_reference(dt) {
            let raw = d.read_raw()?;
            let targets = self.reference_paths(&raw);
            let refs: Vec<Option<&str>> = targets.iter().map(|t| t.as_deref()).collect();
            self.dst.write_references(path, &refs)?;
        } else if is_region_reference(dt) {
            let raw = d.read_raw()?;
            let t = self.region_targets(&raw, path)?;
            let refs: Vec<Option<(&str, Region)>> = t.iter().map(|x| x.as_ref().map(|(p, r)| (p.as_str(), r.clone()))).collect();
            self.dst.write_region_references(path, &refs)?;
        } else if is_vlen_of_refs(dt) {
            let lists: Vec<Vec<Option<String>>> = d.read_vlen()?.iter().map(|e| self.reference_paths(e)).collect();
            let refs: Vec<Vec<Option<&str>>> = lists.iter().map(|l| l.iter().map(|t| t.as_deref()).collect()).collect();
            self.dst.write_vlen_references(path, &refs)?;
        } else if is_vlen(dt) {
            self.dst.write_dataset(path, &vlen_to_writer(d.read_vlen()?))?;
        } else {
            let raw = d.read_raw()?;
            match self.nested_refs(dt, &raw)? {
                Some(refs) => {
                    let refs: Vec<Option<&str>> = refs.iter().map(|t| t.as_deref()).collect();
                    self.dst.write_dataset_with_refs(path, &raw, &refs)?;
                }
                // Fixed-size values: the bytes read become the writer's (no copy).
                None if !h5kit_write::enc::is_vlen(dt) => self.dst.write_dataset_owned(path, raw)?,
                None => self.dst.write_dataset(path, &to_writer(self.src, dt, &raw, || d.read_vlen())?)?,
            }
        }
        self.copy_attributes(path, d.attributes()?)
    }

    /// First pass: every object's first path (depth first, links in name order).
    fn collect_paths(&mut self, obj: &Object, seen: &mut HashSet<u64>) -> Result<()> {
        if let Object::Group(g) = obj {
            let mut links = g.links()?;
            links.sort_by(|a, b| a.name.cmp(&b.name));
            for l in links {
                if let LinkTarget::Hard { address } = l.target {
                    let p = child_path(g.path(), &l.name);
                    if seen.insert(address) {
                        self.paths.insert(address, p.clone());
                        let child = self.src.object_at(address, &p)?;
                        self.collect_paths(&child, seen)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn copy_group(&mut self, g: &crate::snapshot::Group) -> Result<()> {
        let mut links = g.links()?;
        // Creation order where tracked (it is what the writer records), else name order.
        if links.iter().all(|l| l.creation_order.is_some()) {
            links.sort_by_key(|l| l.creation_order);
        } else {
            links.sort_by(|a, b| a.name.cmp(&b.name));
        }
        for l in links {
            let p = child_path(g.path(), &l.name);
            match &l.target {
                LinkTarget::Hard { address } => {
                    if let Some(first) = self.created.get(address) {
                        let first = first.clone();
                        if first == p {
                            continue; // committed ahead of its turn
                        }
                        self.dst.create_hard_link(&p, &first)?;
                        continue;
                    }
                    self.created.insert(*address, p.clone());
                    self.report.objects += 1;
                    match self.src.object_at(*address, &p)? {
                        Object::Group(child) => {
                            if !self.premade.remove(&p) {
                                self.dst.create_group(&p)?;
                                self.dst_groups.insert(p.clone());
                            }
                            self.copy_attributes(&p, child.attributes()?)?;
                            self.copy_group(&child)?;
                        }
                        Object::Dataset(d) => {
                            if let Err(e) = self.copy_dataset(&p, &d) {
                                if e.kind == ErrorKind::Unsupported && self.dst.gave_up().is_none() {
                                    self.report.warnings.push(format!("{}: not copied: {}", p, e));
                                } else {
                                    return Err(e);
                                }
                            }
                        }
                        Object::Datatype(t) => {
                            self.dst.commit_datatype(&p, t.datatype().clone())?;
                            self.copy_attributes(&p, t.attributes()?)?;
                        }
                    }
                }
                LinkTarget::Soft { path } => self.dst.create_soft_link(&p, path)?,
                LinkTarget::External { file, path } => self.dst.create_external_link(&p, file, path)?,
                LinkTarget::UserDefined { link_type, .. } => {
                    self.report.warnings.push(format!("{}: user-defined link type {} not copied", p, link_type))
                }
            }
        }
        Ok(())
    }
}

/// Copies every object, attribute and link of `src` into the in-memory model `dst`.
pub fn copy_file(src: &File, dst: &mut FileWriter, opts: &RepackOptions) -> Result<RepackReport> {
    let mut c = Copier::new(src, Dst::Model(dst), opts)?;
    c.copy_all()?;
    Ok(c.report)
}

impl<'a> Copier<'a> {
    fn new(src: &'a File, dst: Dst<'a>, opts: &'a RepackOptions) -> Result<Copier<'a>> {
        let root = src.root()?;
        // As h5repack: objects named in the options must exist (of any kind).
        for name in opts.object_filters.keys().chain(opts.object_layouts.keys()) {
            if !root.contains(name) {
                return Err(Error::usage(format!("object {:?} named in the options not found", name)));
            }
        }
        Ok(Copier {
            src,
            dst,
            opts,
            created: HashMap::new(),
            paths: HashMap::new(),
            report: RepackReport::default(),
            dst_groups: HashSet::new(),
            premade: HashSet::new(),
            anonymous: Vec::new(),
            pending: Vec::new(),
        })
    }

    /// Every object, attribute and link (the data of `pending` datasets excepted).
    fn copy_all(&mut self) -> Result<()> {
        let root = self.src.root()?;
        self.created.insert(root.address(), "/".to_string());
        self.paths.insert(root.address(), "/".to_string());
        let mut seen = HashSet::new();
        seen.insert(root.address());
        self.collect_paths(&Object::Group(root.clone()), &mut seen)?;
        self.copy_attributes("/", root.attributes()?)?;
        self.copy_group(&root)?;
        for p in std::mem::take(&mut self.anonymous) {
            self.dst.delete_link(&p)?;
        }
        Ok(())
    }
}
