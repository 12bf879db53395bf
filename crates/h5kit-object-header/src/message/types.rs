//! Decoded header messages (spec IV.A.2). These types are the shared vocabulary of h5kit:
//! the dataset layer, the public crate and the CLI all speak them.

/// Byte order of an atomic datatype (datatype message bit field bit 0; VAX for floats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    LittleEndian,
    BigEndian,
    /// VAX mixed-endian floats (bit 0 and bit 6 both set).
    Vax,
}

/// String padding (datatype bit field bits 0-3 for strings): null-terminated, null-padded,
/// space-padded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StringPadding {
    NullTerminate,
    NullPad,
    SpacePad,
}

/// Character set of strings and link names: ASCII or UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CharacterSet {
    Ascii,
    Utf8,
}

/// Mantissa normalization of a float (bits 4-5 of the float bit field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MantissaNorm {
    None,
    MsbSet,
    Implied,
}

/// Kind of reference (datatype class 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// `H5R_OBJECT1`: an object address (datatype versions 1-3).
    Object,
    /// `H5R_DATASET_REGION1`: a global heap ID of a region (datatype versions 1-3).
    DatasetRegion,
    /// Revised references (datatype version 4+): `H5R_OBJECT2`.
    Object2,
    /// `H5R_DATASET_REGION2`.
    DatasetRegion2,
    /// `H5R_ATTR`.
    Attribute,
}

/// A member of a compound datatype.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompoundMember {
    pub name: String,
    pub byte_offset: u64,
    pub datatype: Datatype,
}

/// The class and class-specific properties of a datatype.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeClass {
    /// Class 0.
    Integer { order: ByteOrder, signed: bool, bit_offset: u16, precision: u16, pad_lo: bool, pad_hi: bool },
    /// Class 1.
    Float {
        order: ByteOrder,
        bit_offset: u16,
        precision: u16,
        pad_lo: bool,
        pad_hi: bool,
        pad_internal: bool,
        mantissa_norm: MantissaNorm,
        sign_location: u8,
        exponent_location: u8,
        exponent_size: u8,
        mantissa_location: u8,
        mantissa_size: u8,
        exponent_bias: u32,
    },
    /// Class 2.
    Time { order: ByteOrder, precision: u16 },
    /// Class 3: fixed-length string of `Datatype::size` bytes.
    String { padding: StringPadding, charset: CharacterSet },
    /// Class 4.
    Bitfield { order: ByteOrder, bit_offset: u16, precision: u16, pad_lo: bool, pad_hi: bool },
    /// Class 5.
    Opaque { tag: String },
    /// Class 6.
    Compound { members: Vec<CompoundMember> },
    /// Class 7.
    Reference { kind: ReferenceKind },
    /// Class 8: base type and (name, value bytes in the base type's encoding) pairs.
    Enum { base: Box<Datatype>, members: Vec<(String, Vec<u8>)> },
    /// Class 9, type 0: a variable-length sequence of `base`.
    VarLenSequence { base: Box<Datatype> },
    /// Class 9, type 1: a variable-length string.
    VarLenString { padding: StringPadding, charset: CharacterSet, base: Box<Datatype> },
    /// Class 10.
    Array { dims: Vec<u32>, base: Box<Datatype> },
    /// Class 11 (datatype version 5, HDF5 2.0): complex number of two `base` floats.
    Complex { base: Box<Datatype> },
}

/// A datatype (spec IV.A.2.d "The Datatype Message").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Datatype {
    /// Datatype message version (1-5).
    pub version: u8,
    /// Size in bytes of one element.
    pub size: u32,
    pub class: TypeClass,
}

/// Dataspace kind (spec IV.A.2.b; version 2 has the explicit type field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataspaceKind {
    Scalar,
    Simple,
    Null,
}

/// "Unlimited" in a maximum dimension.
pub const UNLIMITED: u64 = u64::MAX;

/// A dataspace (spec IV.A.2.b "The Dataspace Message").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dataspace {
    pub version: u8,
    pub kind: DataspaceKind,
    /// Current dimension sizes (empty for scalar and null).
    pub dims: Vec<u64>,
    /// Maximum sizes when present ([`UNLIMITED`] for unlimited).
    pub max_dims: Option<Vec<u64>>,
}

impl Dataspace {
    /// Number of elements (1 for scalar, 0 for null); `None` on overflow.
    pub fn element_count(&self) -> Option<u64> {
        match self.kind {
            DataspaceKind::Null => Some(0),
            DataspaceKind::Scalar => Some(1),
            DataspaceKind::Simple => self.dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d)),
        }
    }
}

/// How chunks of a chunked dataset are indexed (spec IV.A.2.i, layout version 4, and VII).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChunkIndex {
    /// Layout versions 1-3: a v1 B-tree of type 1 (raw data chunks).
    BTreeV1 { address: Option<u64> },
    /// Index type 1: a single chunk; `filtered` holds (size, filter mask) when filters apply.
    SingleChunk { address: Option<u64>, filtered: Option<(u64, u32)> },
    /// Index type 2: implicit (chunks at consecutive addresses).
    Implicit { address: Option<u64> },
    /// Index type 3: fixed array.
    FixedArray { address: Option<u64>, page_bits: u8 },
    /// Index type 4: extensible array.
    ExtensibleArray {
        address: Option<u64>,
        max_bits: u8,
        index_elements: u8,
        min_pointers: u8,
        min_elements: u8,
        page_bits: u8,
    },
    /// Index type 5: v2 B-tree (record type 10 unfiltered, 11 filtered).
    BTreeV2 { address: Option<u64>, node_size: u32, split_percent: u8, merge_percent: u8 },
}

/// Layout of a dataset's raw data (spec IV.A.2.i "The Data Layout Message").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Raw data inside the header.
    Compact { data: Vec<u8> },
    /// One block at `address` of `size` bytes (`None`: never allocated).
    Contiguous { address: Option<u64>, size: u64 },
    /// Chunked. `chunk_dims` has the dataset's rank (the element-size dimension that layout
    /// versions 1-3 store last is removed and kept in `element_size`).
    Chunked {
        chunk_dims: Vec<u64>,
        element_size: u32,
        index: ChunkIndex,
        /// Layout v4 flags: bit 0 "do not filter partial edge chunks".
        flags: u8,
    },
    /// Virtual dataset: mappings in the global heap.
    Virtual { heap_address: Option<u64>, heap_index: u32 },
}

/// The layout message: its version and content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LayoutMessage {
    pub version: u8,
    pub layout: Layout,
    /// Layout versions 1-2, compact and contiguous: the dimension sizes stored in the message
    /// (libhdf5 stores the dataset's dimensions; for contiguous storage their product is the
    /// size). Empty otherwise; when empty, the encoder stores the size as one dimension.
    pub stored_dims: Vec<u64>,
}

/// One filter of a pipeline (spec IV.A.2.l "The Data Storage - Filter Pipeline Message").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Filter {
    pub id: u16,
    pub name: Option<String>,
    /// Bit 0: optional filter.
    pub flags: u16,
    pub client_data: Vec<u32>,
}

/// The filter pipeline message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FilterPipeline {
    pub version: u8,
    pub filters: Vec<Filter>,
}

/// Space allocation time (fill value message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AllocTime {
    Early,
    Late,
    Incremental,
}

/// Fill value write time (fill value message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FillTime {
    OnAlloc,
    Never,
    IfSet,
}

/// The fill value message (spec IV.A.2.f), or the old one (IV.A.2.e) with version 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FillValue {
    /// 0 for the old fill value message, else 1-3.
    pub version: u8,
    pub alloc_time: AllocTime,
    pub fill_time: FillTime,
    /// Whether a fill value is defined (version 1-2 "fill value defined"; version 3 flag bit 5).
    pub defined: bool,
    /// The fill value bytes when present in the message.
    pub value: Option<Vec<u8>>,
}

/// Where a link points (spec IV.A.2.g "The Link Message").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkTarget {
    Hard { address: u64 },
    Soft { path: String },
    External { file: String, path: String },
    /// Other user-defined link types (id >= 64): raw data.
    UserDefined { link_type: u8, data: Vec<u8> },
}

/// A link message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkMessage {
    pub name: String,
    pub charset: CharacterSet,
    pub creation_order: Option<u64>,
    pub target: LinkTarget,
}

/// The link info message (spec IV.A.2.c).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkInfo {
    /// Present when creation order is tracked.
    pub max_creation_index: Option<u64>,
    pub fractal_heap_address: Option<u64>,
    pub name_index_address: Option<u64>,
    /// Flags bit 1: creation order is indexed (the index address field is then present, and
    /// undefined while the storage is compact).
    pub index_creation_order: bool,
    pub creation_order_index_address: Option<u64>,
}

/// The group info message (spec IV.A.2.k).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct GroupInfo {
    pub max_compact: Option<u16>,
    pub min_dense: Option<u16>,
    pub estimated_entries: Option<u16>,
    pub estimated_name_length: Option<u16>,
}

/// The symbol table message (spec IV.A.2.r).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SymbolTable {
    pub btree_address: u64,
    pub local_heap_address: u64,
}

/// The attribute message (spec IV.A.2.m).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttributeMessage {
    pub version: u8,
    pub name: String,
    pub charset: CharacterSet,
    /// The datatype, or a reference to a committed datatype when shared.
    pub datatype: MaybeShared<Datatype>,
    pub dataspace: MaybeShared<Dataspace>,
    /// Raw data: element count x datatype size bytes.
    pub data: Vec<u8>,
}

/// The attribute info message (spec IV.A.2.v).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttributeInfo {
    pub max_creation_index: Option<u16>,
    pub fractal_heap_address: Option<u64>,
    pub name_index_address: Option<u64>,
    /// Flags bit 1: creation order is indexed (the index address field is then present, and
    /// undefined while the storage is compact).
    pub index_creation_order: bool,
    pub creation_order_index_address: Option<u64>,
}

/// One entry of the external data files message (spec IV.A.2.h).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalFile {
    /// Offset of the name in the local heap.
    pub name_offset: u64,
    pub file_offset: u64,
    pub size: u64,
}

/// The external data files message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalFiles {
    /// "Allocated Slots": entries room was made for (at least `files.len()`; libhdf5
    /// allocates in steps of 16).
    pub allocated: u16,
    pub heap_address: u64,
    pub files: Vec<ExternalFile>,
}

/// Where a shared message really lives (spec IV.A.2, "shared message" encoding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SharedLocation {
    /// In another object header (a committed datatype): its address.
    ObjectHeader { address: u64 },
    /// In the shared object header message heap (SOHM fractal heap): the 8-byte heap ID.
    SharedHeap { heap_id: [u8; 8] },
}

/// A message that is either stored in place or shared elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MaybeShared<T> {
    Inline(T),
    Shared(SharedLocation),
}

/// A decoded header message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Message {
    /// 0x0000
    Nil,
    /// 0x0001
    Dataspace(MaybeShared<Dataspace>),
    /// 0x0002
    LinkInfo(LinkInfo),
    /// 0x0003
    Datatype(MaybeShared<Datatype>),
    /// 0x0004
    FillValueOld(FillValue),
    /// 0x0005
    FillValue(MaybeShared<FillValue>),
    /// 0x0006
    Link(LinkMessage),
    /// 0x0007
    ExternalFiles(ExternalFiles),
    /// 0x0008
    Layout(LayoutMessage),
    /// 0x0009
    Bogus,
    /// 0x000A
    GroupInfo(GroupInfo),
    /// 0x000B
    FilterPipeline(MaybeShared<FilterPipeline>),
    /// 0x000C
    Attribute(MaybeShared<AttributeMessage>),
    /// 0x000D
    Comment(String),
    /// 0x000E (seconds since the epoch, from the old ASCII form)
    ModificationTimeOld(u64),
    /// 0x000F: shared message table address and number of indexes.
    SharedMessageTable { version: u8, table_address: u64, index_count: u8 },
    /// 0x0010: continuation block address and length.
    Continuation { address: u64, length: u64 },
    /// 0x0011
    SymbolTable(SymbolTable),
    /// 0x0012 (seconds since the epoch)
    ModificationTime(u32),
    /// 0x0013: group leaf/internal K, chunk internal K.
    BTreeKValues { group_internal_k: u16, group_leaf_k: u16, chunk_internal_k: u16 },
    /// 0x0014: driver id and raw info.
    DriverInfo { id: String, data: Vec<u8> },
    /// 0x0015
    AttributeInfo(AttributeInfo),
    /// 0x0016
    ReferenceCount(u32),
    /// 0x0017: raw, not interpreted.
    FileSpaceInfo(Vec<u8>),
    /// A message type this library does not know: type id and raw bytes.
    Unknown { type_id: u16, data: Vec<u8> },
}
