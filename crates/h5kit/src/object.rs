//! Objects: groups, datasets and committed datatypes, read from their object headers
//! (spec IV.A), with shared messages resolved (IV.A.2, III.I).

use std::sync::Arc;

use h5kit_core::{Error, Result};
use h5kit_object_header::{
    decode_message, AttributeMessage, Dataspace, Datatype, ExternalFiles, FillValue, FilterPipeline, LayoutMessage,
    MaybeShared, Message, ObjectHeader, RawMessage, SharedLocation,
};

use crate::attribute::{self, Attribute};
use crate::file::FileInner;

/// Message type ids (spec IV.A.2).
pub(crate) mod msg_type {
    pub const DATASPACE: u16 = 0x0001;
    pub const DATATYPE: u16 = 0x0003;
    pub const FILL_VALUE: u16 = 0x0005;
    pub const FILTER_PIPELINE: u16 = 0x000B;
    pub const ATTRIBUTE: u16 = 0x000C;
    pub const COMMENT: u16 = 0x000D;
    pub const MODIFICATION_TIME_OLD: u16 = 0x000E;
    pub const MODIFICATION_TIME: u16 = 0x0012;
}

/// What every object has: its file, path, header address and decoded messages.
///
/// Messages are decoded when the object is opened, except those that opening does not need
/// (as libhdf5 decodes a message when an operation reads it): attribute messages are kept
/// raw and decoded by [`ObjectCore::attribute_messages`] (so a damaged attribute makes
/// `attributes()` an error while the object's data still reads); a damaged comment or
/// modification time is recorded in `deferred` and only hides that message.
#[derive(Clone)]
pub(crate) struct ObjectCore {
    pub file: Arc<FileInner>,
    pub path: String,
    pub address: u64,
    pub messages: Vec<Message>,
    /// Attribute messages (type 0x000C), undecoded, in header order.
    pub raw_attributes: Vec<RawMessage>,
    /// Messages that opening does not need and that failed to decode: (type, error).
    pub deferred: Vec<(u16, Error)>,
}

impl ObjectCore {
    pub fn load(file: Arc<FileInner>, address: u64, path: String) -> Result<ObjectCore> {
        let ctx = file.ctx();
        let header = ObjectHeader::read(ctx, address).map_err(|e| e.in_object(path.clone()))?;
        let mut messages = Vec::with_capacity(header.messages.len());
        let mut raw_attributes = Vec::new();
        let mut deferred = Vec::new();
        for raw in header.messages {
            if let Some(e) = h5kit_object_header::refuse_unknown(&raw, false) {
                return Err(e.in_object(path));
            }
            match raw.type_id {
                msg_type::ATTRIBUTE => raw_attributes.push(raw),
                t @ (msg_type::COMMENT | msg_type::MODIFICATION_TIME | msg_type::MODIFICATION_TIME_OLD) => match raw.decode(file.sizes()) {
                    Ok(m) => messages.push(m),
                    Err(e) => deferred.push((t, e.in_object(path.clone()))),
                },
                _ => messages.push(raw.decode(file.sizes()).map_err(|e| e.in_object(path.clone()))?),
            }
        }
        Ok(ObjectCore { file, path, address, messages, raw_attributes, deferred })
    }

    /// The object's attribute messages (compact storage), decoded now, in header order; the
    /// first that does not decode is the error.
    pub fn attribute_messages(&self) -> Result<Vec<MaybeShared<AttributeMessage>>> {
        let mut out = Vec::with_capacity(self.raw_attributes.len());
        for raw in &self.raw_attributes {
            match raw.decode(self.file.sizes()).map_err(|e| e.in_object(self.path.clone()))? {
                Message::Attribute(a) => out.push(a),
                _ => return Err(self.error("attribute message decodes to another type")),
            }
        }
        Ok(out)
    }

    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::format(self.address, message).in_object(self.path.clone())
    }

    /// The comment message's text; `None` also when it does not decode (see `deferred`).
    pub fn comment(&self) -> Option<String> {
        if self.deferred.iter().any(|(t, _)| *t == msg_type::COMMENT) {
            return None;
        }
        self.messages.iter().find_map(|m| match m {
            Message::Comment(c) => Some(c.clone()),
            _ => None,
        })
    }

    /// The body of a shared message, decoded as message `type_id`.
    pub fn resolve_shared(&self, type_id: u16, location: &SharedLocation) -> Result<Message> {
        resolve_shared(&self.file, type_id, location).map_err(|e| e.in_object(self.path.clone()))
    }
}

/// Resolves a shared message: from a committed object's header or the SOHM heap.
pub(crate) fn resolve_shared(file: &FileInner, type_id: u16, location: &SharedLocation) -> Result<Message> {
    let ctx = file.ctx();
    match location {
        SharedLocation::ObjectHeader { address } => {
            let header = ObjectHeader::read(ctx, *address)?;
            for raw in &header.messages {
                if raw.type_id == type_id {
                    return raw.decode(file.sizes());
                }
            }
            Err(Error::format(*address, format!("shared message of type {:#06x} not found in object header", type_id)))
        }
        SharedLocation::SharedHeap { heap_id } => {
            let table = file
                .sohm
                .as_ref()
                .ok_or_else(|| Error::format(0, "message stored in the shared message heap, but the file has no shared message table"))?;
            let body = table.message_body(ctx, type_id, heap_id)?;
            decode_message(type_id, 0, &body, 0, file.sizes())
        }
    }
}

/// A datatype, resolved; with the committed datatype's address when it is shared.
pub(crate) fn resolve_datatype(file: &FileInner, dt: &MaybeShared<Datatype>) -> Result<(Datatype, Option<u64>)> {
    match dt {
        MaybeShared::Inline(t) => Ok((t.clone(), None)),
        MaybeShared::Shared(loc) => {
            let committed = match loc {
                SharedLocation::ObjectHeader { address } => Some(*address),
                SharedLocation::SharedHeap { .. } => None,
            };
            match resolve_shared(file, msg_type::DATATYPE, loc)? {
                Message::Datatype(MaybeShared::Inline(t)) => Ok((t, committed)),
                _ => Err(Error::format(0, "shared datatype does not resolve to a datatype message")),
            }
        }
    }
}

pub(crate) fn resolve_dataspace(file: &FileInner, ds: &MaybeShared<Dataspace>) -> Result<Dataspace> {
    match ds {
        MaybeShared::Inline(s) => Ok(s.clone()),
        MaybeShared::Shared(loc) => match resolve_shared(file, msg_type::DATASPACE, loc)? {
            Message::Dataspace(MaybeShared::Inline(s)) => Ok(s),
            _ => Err(Error::format(0, "shared dataspace does not resolve to a dataspace message")),
        },
    }
}

/// Any object a link can point to.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // objects are few and short-lived; matching by value reads best
pub enum Object {
    /// A group.
    Group(Group),
    /// A dataset.
    Dataset(Dataset),
    /// A committed (named) datatype.
    Datatype(NamedDatatype),
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Object::Group(_) => "Group",
            Object::Dataset(_) => "Dataset",
            Object::Datatype(_) => "Datatype",
        };
        write!(f, "{}({:?} at {})", kind, self.path(), self.address())
    }
}

impl Object {
    pub(crate) fn open(file: Arc<FileInner>, address: u64, path: String) -> Result<Object> {
        let core = ObjectCore::load(file, address, path)?;
        let has = |f: &dyn Fn(&Message) -> bool| core.messages.iter().any(f);
        if has(&|m| matches!(m, Message::Layout(_))) {
            return Ok(Object::Dataset(Dataset::new(core)?));
        }
        let is_group = has(&|m| {
            matches!(m, Message::SymbolTable(_) | Message::LinkInfo(_) | Message::Link(_) | Message::GroupInfo(_))
        });
        if !is_group && has(&|m| matches!(m, Message::Datatype(_))) {
            return Ok(Object::Datatype(NamedDatatype::new(core)?));
        }
        Ok(Object::Group(Group { core, links: Default::default() }))
    }

    fn core(&self) -> &ObjectCore {
        match self {
            Object::Group(g) => &g.core,
            Object::Dataset(d) => &d.core,
            Object::Datatype(t) => &t.core,
        }
    }
    /// Address of the object header (the object's identity).
    pub fn address(&self) -> u64 {
        self.core().address
    }
    /// The path it was opened by.
    pub fn path(&self) -> &str {
        &self.core().path
    }
    /// The object's attributes (compact and dense), in the order they are stored.
    pub fn attributes(&self) -> Result<Vec<Attribute>> {
        attribute::read_attributes(self.core())
    }
    /// The object comment message, if any.
    pub fn comment(&self) -> Option<String> {
        self.core().comment()
    }
}

/// A group.
#[derive(Clone)]
pub struct Group {
    pub(crate) core: ObjectCore,
    /// The links, read once (a group handle is a snapshot of the file).
    pub(crate) links: Arc<std::sync::OnceLock<Vec<crate::Link>>>,
}

impl Group {
    /// The path the group was opened by.
    pub fn path(&self) -> &str {
        &self.core.path
    }
    /// The address of the group's object header.
    pub fn address(&self) -> u64 {
        self.core.address
    }
    /// The group's attributes, in the order they are stored.
    pub fn attributes(&self) -> Result<Vec<Attribute>> {
        attribute::read_attributes(&self.core)
    }
    /// The group's comment (h5dump's `COMMENT`), if it has one.
    pub fn comment(&self) -> Option<String> {
        self.core.comment()
    }
}

/// A committed (named) datatype.
#[derive(Clone)]
pub struct NamedDatatype {
    pub(crate) core: ObjectCore,
    datatype: Datatype,
}

impl NamedDatatype {
    fn new(core: ObjectCore) -> Result<Self> {
        let dt = core
            .messages
            .iter()
            .find_map(|m| match m {
                Message::Datatype(d) => Some(d.clone()),
                _ => None,
            })
            .ok_or_else(|| core.error("committed datatype has no datatype message"))?;
        let (datatype, _) = resolve_datatype(&core.file, &dt).map_err(|e| e.in_object(core.path.clone()))?;
        Ok(NamedDatatype { core, datatype })
    }
    /// The path the datatype was opened by.
    pub fn path(&self) -> &str {
        &self.core.path
    }
    /// The address of the datatype's object header.
    pub fn address(&self) -> u64 {
        self.core.address
    }
    /// The committed datatype.
    pub fn datatype(&self) -> &Datatype {
        &self.datatype
    }
    /// The datatype's attributes, in the order they are stored.
    pub fn attributes(&self) -> Result<Vec<Attribute>> {
        attribute::read_attributes(&self.core)
    }
}

/// A dataset: datatype, dataspace, layout, filters, fill value, and its data.
#[derive(Clone)]
pub struct Dataset {
    pub(crate) core: ObjectCore,
    datatype: Datatype,
    committed_datatype: Option<u64>,
    dataspace: Dataspace,
    layout: LayoutMessage,
    filters: Option<FilterPipeline>,
    fill_value: Option<FillValue>,
    external: Option<ExternalFiles>,
    /// The chunk index, walked once, and recently decoded chunks (shared by clones).
    chunks: Arc<ChunkState>,
}

#[derive(Default)]
struct ChunkState {
    map: std::sync::OnceLock<Arc<h5kit_dataset::ChunkMap>>,
    cache: h5kit_dataset::ChunkCache,
}

impl Dataset {
    fn new(core: ObjectCore) -> Result<Self> {
        let file = core.file.clone();
        let mut datatype = None;
        let mut dataspace = None;
        let mut layout = None;
        let mut filters = None;
        let mut fill_new = None;
        let mut fill_old = None;
        let mut external = None;
        let path = core.path.clone();
        let ctx_err = |e: Error| e.in_object(path.clone());
        for m in &core.messages {
            match m {
                Message::Datatype(d) => datatype = Some(resolve_datatype(&file, d).map_err(ctx_err)?),
                Message::Dataspace(s) => dataspace = Some(resolve_dataspace(&file, s).map_err(ctx_err)?),
                Message::Layout(l) => layout = Some(l.clone()),
                Message::FilterPipeline(p) => {
                    filters = Some(match p {
                        MaybeShared::Inline(p) => p.clone(),
                        MaybeShared::Shared(loc) => match core.resolve_shared(msg_type::FILTER_PIPELINE, loc)? {
                            Message::FilterPipeline(MaybeShared::Inline(p)) => p,
                            _ => return Err(core.error("shared filter pipeline does not resolve")),
                        },
                    })
                }
                Message::FillValue(f) => {
                    fill_new = Some(match f {
                        MaybeShared::Inline(f) => f.clone(),
                        MaybeShared::Shared(loc) => match core.resolve_shared(msg_type::FILL_VALUE, loc)? {
                            Message::FillValue(MaybeShared::Inline(f)) => f,
                            _ => return Err(core.error("shared fill value does not resolve")),
                        },
                    })
                }
                Message::FillValueOld(f) => fill_old = Some(f.clone()),
                Message::ExternalFiles(x) => external = Some(x.clone()),
                _ => {}
            }
        }
        let (datatype, committed_datatype) = datatype.ok_or_else(|| core.error("dataset has no datatype message"))?;
        let dataspace = dataspace.ok_or_else(|| core.error("dataset has no dataspace message"))?;
        let layout = layout.ok_or_else(|| core.error("dataset has no layout message"))?;
        let mut ds = Dataset {
            core,
            datatype,
            committed_datatype,
            dataspace,
            layout,
            filters,
            fill_value: fill_new.or(fill_old),
            external,
            chunks: Arc::new(ChunkState::default()),
        };
        // A virtual dataset with unlimited mappings has the extent its sources give (vds.rs).
        if let Some(dims) = crate::vds::current_extent(&ds) {
            ds.dataspace.dims = dims;
        }
        Ok(ds)
    }

    /// The path the dataset was opened by.
    pub fn path(&self) -> &str {
        &self.core.path
    }
    /// The address of the dataset's object header.
    pub fn address(&self) -> u64 {
        self.core.address
    }
    /// The datatype of the elements as stored.
    pub fn datatype(&self) -> &Datatype {
        &self.datatype
    }
    /// Address of the committed datatype this dataset uses, if any.
    pub fn committed_datatype(&self) -> Option<u64> {
        self.committed_datatype
    }
    /// The dataspace: dimensions and maximum dimensions.
    pub fn dataspace(&self) -> &Dataspace {
        &self.dataspace
    }
    /// Current dimension sizes.
    pub fn shape(&self) -> &[u64] {
        &self.dataspace.dims
    }
    /// The layout message: compact, contiguous, chunked or virtual storage.
    pub fn layout(&self) -> &LayoutMessage {
        &self.layout
    }
    /// The filter pipeline, if the data is filtered.
    pub fn filters(&self) -> Option<&FilterPipeline> {
        self.filters.as_ref()
    }
    /// The fill value message, if the dataset has one.
    pub fn fill_value(&self) -> Option<&FillValue> {
        self.fill_value.as_ref()
    }
    /// The external files the raw data lives in, if any.
    pub fn external_files(&self) -> Option<&ExternalFiles> {
        self.external.as_ref()
    }
    /// The dataset's attributes, in the order they are stored.
    pub fn attributes(&self) -> Result<Vec<Attribute>> {
        attribute::read_attributes(&self.core)
    }
    /// The dataset's comment (h5dump's `COMMENT`), if it has one.
    pub fn comment(&self) -> Option<String> {
        self.core.comment()
    }
}

impl Dataset {
    /// All elements, row-major, in the file's datatype encoding (variable-length elements are
    /// global heap references; see [`crate::File::global_heap_object`]).
    pub fn read_raw(&self) -> Result<Vec<u8>> {
        if matches!(self.layout.layout, h5kit_object_header::Layout::Virtual { .. }) {
            return crate::vds::read_all(self).map_err(|e| e.in_object(self.core.path.clone()));
        }
        let file = &self.core.file;
        let ctx = file.ctx();
        let empty = FilterPipeline::default();
        let names = self.external.as_ref().map(|x| self.external_file_paths(x)).transpose()?;
        let external = self.external.as_ref().zip(names.as_deref());
        h5kit_dataset::read_all(
            ctx,
            &self.layout,
            &self.dataspace,
            self.datatype.size as usize,
            self.filters.as_ref().unwrap_or(&empty),
            self.fill_value.as_ref(),
            external,
        )
        .map_err(|e| e.in_object(self.core.path.clone()))
    }

    /// The chunk index walked once (built on first use).
    fn chunk_map(&self) -> Result<Arc<h5kit_dataset::ChunkMap>> {
        if let Some(m) = self.chunks.map.get() {
            return Ok(m.clone());
        }
        let filtered = self.filters.as_ref().map(|f| !f.filters.is_empty()).unwrap_or(false);
        let map = Arc::new(h5kit_dataset::ChunkMap::build(
            self.core.file.ctx(),
            &self.layout,
            &self.dataspace,
            self.datatype.size as usize,
            filtered,
        )?);
        Ok(self.chunks.map.get_or_init(|| map).clone())
    }

    /// Capacity in bytes of this dataset's cache of decoded chunks, used by
    /// [`Dataset::read_raw_selection`] and [`Dataset::read_slice`] (default
    /// [`h5kit_dataset::DEFAULT_CHUNK_CACHE_BYTES`]; shared by clones of this handle).
    pub fn chunk_cache_bytes(&self) -> usize {
        self.chunks.cache.capacity()
    }

    /// Sets the capacity of the decoded-chunk cache (like libhdf5's `H5Pset_chunk_cache`
    /// `rdcc_nbytes`; 0 disables it). A chunk larger than the capacity is never cached.
    pub fn set_chunk_cache_bytes(&self, bytes: usize) {
        self.chunks.cache.set_capacity(bytes);
    }

    /// Paths of the external raw data files (spec IV.A.2.h), names from the local heap,
    /// resolved against the HDF5 file's directory when relative.
    fn external_file_paths(&self, x: &ExternalFiles) -> Result<Vec<String>> {
        let names = self.external_names(x)?;
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let resolved = match &self.core.file.dir {
                Some(dir) if std::path::Path::new(&name).is_relative() => dir.join(&name).display().to_string(),
                _ => name,
            };
            out.push(resolved);
        }
        Ok(out)
    }

    /// Names of the external raw data files as stored in the file (spec IV.A.2.h "External
    /// Data Files Message": offsets into a local heap), empty when the data is in this file.
    pub fn external_file_names(&self) -> Result<Vec<String>> {
        match &self.external {
            Some(x) => self.external_names(x).map_err(|e| e.in_object(self.core.path.clone())),
            None => Ok(Vec::new()),
        }
    }

    fn external_names(&self, x: &ExternalFiles) -> Result<Vec<String>> {
        let heap = h5kit_heap::LocalHeap::read(self.core.file.ctx(), x.heap_address)?;
        x.files.iter().map(|f| Ok(String::from_utf8_lossy(heap.string_at(f.name_offset)?).into_owned())).collect()
    }

    /// The elements of a hyperslab, row-major over the selection's shape, in the file's
    /// datatype encoding. Only the chunks the selection's bounding box intersects are read.
    pub fn read_raw_selection(&self, selection: &crate::Hyperslab) -> Result<Vec<u8>> {
        let err = |e: Error| e.in_object(self.core.path.clone());
        let rank = self.dataspace.dims.len();
        let ok_rank = [&selection.start, &selection.stride, &selection.count, &selection.block].iter().all(|v| v.len() == rank);
        if !ok_rank {
            return Err(err(Error::usage(format!("selection rank differs from the dataset rank {}", rank))));
        }
        if matches!(self.layout.layout, h5kit_object_header::Layout::Virtual { .. }) {
            return crate::vds::read_selection(self, selection).map_err(err);
        }
        let (start, count) =
            selection.bounding_box().ok_or_else(|| err(Error::usage("hyperslab blocks overlap or overflow")))?;
        let es = self.datatype.size as usize;
        let empty = FilterPipeline::default();
        let names = self.external.as_ref().map(|x| self.external_file_paths(x)).transpose()?;
        let external = self.external.as_ref().zip(names.as_deref());
        let filters = self.filters.as_ref().unwrap_or(&empty);
        let ctx = self.core.file.ctx();
        let block = if external.is_none() && matches!(self.layout.layout, h5kit_object_header::Layout::Chunked { .. }) {
            let map = self.chunk_map().map_err(err)?;
            h5kit_dataset::read_block_mapped(
                ctx,
                &self.layout,
                &self.dataspace,
                es,
                filters,
                self.fill_value.as_ref(),
                &map,
                Some(&self.chunks.cache),
                &start,
                &count,
            )
        } else {
            h5kit_dataset::read_block(ctx, &self.layout, &self.dataspace, es, filters, self.fill_value.as_ref(), external, &start, &count)
        }
        .map_err(err)?;
        if selection.is_box() {
            return Ok(block);
        }
        // Pick the selected points out of the bounding box.
        let offs: Vec<Vec<u64>> = (0..rank).map(|d| selection.offsets_in_box(d)).collect();
        let total: usize = offs.iter().map(|v| v.len()).product();
        let mut out = Vec::with_capacity(total * es);
        let mut idx = vec![0usize; rank];
        // `offs`, `idx` and `count` all have `rank` entries (checked above), and `idx[d]` stays
        // below `offs[d].len()` (the odometer wraps it): the indexing below is in bounds.
        #[allow(clippy::indexing_slicing)]
        for _ in 0..total {
            let mut lin = 0u64;
            for d in 0..rank {
                lin = lin * count[d] + offs[d][idx[d]];
            }
            let o = lin as usize * es;
            out.extend_from_slice(block.get(o..o + es).ok_or_else(|| err(Error::format(0, "selection outside block")))?);
            for d in (0..rank).rev() {
                idx[d] += 1;
                if idx[d] < offs[d].len() {
                    break;
                }
                idx[d] = 0;
            }
        }
        Ok(out)
    }

    /// A hyperslab converted to `T`, with the selection's shape.
    pub fn read_slice<T: crate::H5Type>(&self, selection: &crate::Hyperslab) -> Result<crate::Array<T>> {
        let raw = self.read_raw_selection(selection)?;
        // The file's type is T's own layout: one copy of the bytes, no per-element decode.
        let size = std::mem::size_of::<T>();
        if T::is_native(&self.datatype) && size > 0 && raw.len() % size == 0 {
            let mut data = vec![T::zero(); raw.len() / size];
            crate::typed::bytes_mut(&mut data)?.copy_from_slice(&raw);
            return Ok(crate::Array { data, shape: selection.shape() });
        }
        let data = crate::typed::convert_in(&self.core.file, &raw, &self.datatype).map_err(|e| e.in_object(self.core.path.clone()))?;
        self.check_count(data.len(), selection.shape().iter().try_fold(1u64, |a, &d| a.checked_mul(d)))?;
        Ok(crate::Array { data, shape: selection.shape() })
    }

    /// All elements converted to `T` (numeric classes), with the dataset's shape.
    pub fn read<T: crate::H5Type>(&self) -> Result<crate::Array<T>> {
        // The file's type is T's own layout: read straight into the result.
        if T::is_native(&self.datatype) && !matches!(self.layout.layout, h5kit_object_header::Layout::Virtual { .. }) {
            let err = |e: Error| e.in_object(self.core.path.clone());
            let n = self.dataspace.element_count().ok_or_else(|| err(Error::format(0, "element count overflows")))?;
            let bytes = n.checked_mul(std::mem::size_of::<T>() as u64).ok_or_else(|| err(Error::format(0, "size overflows")))?;
            let n = self.core.file.limits.check_alloc(bytes, 0, "dataset read").map_err(err)? / std::mem::size_of::<T>().max(1);
            let mut data = vec![T::zero(); n];
            self.read_native_into(&mut data)?;
            return Ok(crate::Array { data, shape: self.dataspace.dims.clone() });
        }
        let raw = self.read_raw()?;
        let data = crate::typed::convert_in(&self.core.file, &raw, &self.datatype).map_err(|e| e.in_object(self.core.path.clone()))?;
        self.check_count(data.len(), self.dataspace.element_count())?;
        Ok(crate::Array { data, shape: self.dataspace.dims.clone() })
    }

    /// A conversion gave `got` elements where the dataspace or selection has `want` (a
    /// damaged datatype, such as one of size 0, can make them differ): an error, never a
    /// result whose length contradicts its shape.
    fn check_count(&self, got: usize, want: Option<u64>) -> Result<()> {
        if want != Some(got as u64) {
            return Err(Error::format(self.core.address, format!("{} elements decoded where the dataspace has {:?}", got, want))
                .in_object(self.core.path.clone()));
        }
        Ok(())
    }

    /// All elements converted to `T`, row-major, into the caller's buffer, which must hold
    /// exactly the dataset's element count (h5py's `read_direct`). Reusing one buffer for
    /// many reads saves the allocation and the page faults of a new one; when the file's
    /// type is laid out as `T` the values land in `out` with one copy (contiguous data) or
    /// straight from the decoded chunks.
    pub fn read_into<T: crate::H5Type>(&self, out: &mut [T]) -> Result<()> {
        let err = |e: Error| e.in_object(self.core.path.clone());
        let n = self.dataspace.element_count().ok_or_else(|| err(Error::format(0, "element count overflows")))?;
        if out.len() as u64 != n {
            return Err(err(Error::usage(format!("read_into: buffer of {} elements for a dataset of {}", out.len(), n))));
        }
        if T::is_native(&self.datatype) && !matches!(self.layout.layout, h5kit_object_header::Layout::Virtual { .. }) {
            return self.read_native_into(out);
        }
        let raw = self.read_raw()?;
        let data: Vec<T> = crate::typed::convert_in(&self.core.file, &raw, &self.datatype).map_err(err)?;
        self.check_count(data.len(), Some(n))?;
        out.clone_from_slice(&data);
        Ok(())
    }

    /// The elements into `out` (sized for them) when the file's type is `T`'s own layout.
    fn read_native_into<T: crate::H5Type>(&self, out: &mut [T]) -> Result<()> {
        let empty = FilterPipeline::default();
        let names = self.external.as_ref().map(|x| self.external_file_paths(x)).transpose()?;
        let external = self.external.as_ref().zip(names.as_deref());
        h5kit_dataset::read_all_into(
            self.core.file.ctx(),
            &self.layout,
            &self.dataspace,
            self.datatype.size as usize,
            self.filters.as_ref().unwrap_or(&empty),
            self.fill_value.as_ref(),
            external,
            crate::typed::bytes_mut(out)?,
        )
        .map_err(|e| e.in_object(self.core.path.clone()))
    }

    /// All elements as `T`, with the dataset's shape, borrowed from the file without a copy
    /// when it can be: contiguous storage already allocated, the file's datatype laid out
    /// exactly as `T`, the file memory-mapped ([`crate::File::open_mapped`]) or in memory,
    /// and the data aligned for `T`
    /// (see [`crate::ArrayView::is_borrowed`]). Otherwise the values are read as
    /// [`Dataset::read`] reads them. The fastest way to look at a large contiguous dataset.
    ///
    /// ```no_run
    /// # use h5kit::{File, Object};
    /// let file = File::open_mapped("data.h5")?;
    /// if let Object::Dataset(ds) = file.object("/x")? {
    ///     let view = ds.read_view::<f64>()?;
    ///     println!("{:?}: sum {}, copied: {}", view.shape(), view.iter().sum::<f64>(), !view.is_borrowed());
    /// }
    /// # Ok::<(), h5kit::Error>(())
    /// ```
    pub fn read_view<T: crate::H5Type>(&self) -> Result<crate::ArrayView<T>> {
        if let h5kit_object_header::Layout::Contiguous { address: Some(address), size } = self.layout.layout {
            let n = self.dataspace.element_count().and_then(|n| usize::try_from(n).ok());
            let bytes = n.and_then(|n| n.checked_mul(std::mem::size_of::<T>()));
            let file = &self.core.file;
            let start = file.superblock.base_address.checked_add(address);
            if let (true, None, Some(n), Some(bytes), Some(start)) =
                (T::is_native(&self.datatype), &self.external, n, bytes, start)
            {
                if n > 0 && bytes as u64 <= size {
                    if let Some(view) = crate::ArrayView::borrowed(file.clone(), start, n, self.dataspace.dims.clone()) {
                        return Ok(view);
                    }
                }
            }
        }
        Ok(crate::ArrayView::owned(self.read::<T>()?))
    }

    /// Bytes of storage allocated for the raw data (h5dump -p's `SIZE`).
    pub fn storage_size(&self) -> Result<u64> {
        h5kit_dataset::storage_size(self.core.file.ctx(), &self.layout, &self.dataspace, self.datatype.size as usize)
            .map_err(|e| e.in_object(self.core.path.clone()))
    }

    /// Address of contiguous raw data (h5dump -p's `OFFSET`), if allocated.
    pub fn data_offset(&self) -> Option<u64> {
        match &self.layout.layout {
            h5kit_object_header::Layout::Contiguous { address, .. } => *address,
            _ => None,
        }
    }
}

impl crate::Attribute {
    /// The value converted to `T` (numeric classes), with the attribute's shape.
    pub fn read<T: crate::H5Type>(&self) -> Result<crate::Array<T>> {
        let data = crate::typed::convert_in(&self.file.0, &self.data, &self.datatype)?;
        Ok(crate::Array { data, shape: self.dataspace.dims.clone() })
    }
}

impl Dataset {
    /// Every element as a string (fixed-length strings without their padding, or
    /// variable-length strings).
    pub fn read_strings(&self) -> Result<Vec<String>> {
        let raw = self.read_raw()?;
        crate::vlen::strings(&self.core.file, &raw, &self.datatype).map_err(|e| e.in_object(self.core.path.clone()))
    }

    /// Every element of a variable-length dataset: its bytes (strings: the characters;
    /// sequences: the base elements' bytes).
    pub fn read_vlen(&self) -> Result<Vec<Vec<u8>>> {
        let raw = self.read_raw()?;
        crate::vlen::vlen_elements(&self.core.file, &raw, &self.datatype).map_err(|e| e.in_object(self.core.path.clone()))
    }
}
