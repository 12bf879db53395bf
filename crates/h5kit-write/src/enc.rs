//! Byte-level encoders for header messages (spec IV.A.2 "Disk Format: Level 2A2 - Data Object
//! Header Messages"). Every encoder is address-independent in size: addresses are always written
//! with the full "Size of Offsets" (8 bytes), so a structure encoded with placeholder addresses
//! has the same size as the final one.

use h5kit_core::{Error, Result, UNDEFINED_ADDRESS};
use h5kit_object_header::{
    ByteOrder, CharacterSet, Datatype, FillValue, Filter, FilterPipeline, MantissaNorm, ReferenceKind, StringPadding,
    TypeClass, AllocTime, FillTime,
};

/// Growable little-endian output buffer.
#[derive(Default, Debug, Clone)]
pub struct Buf {
    pub v: Vec<u8>,
}

impl Buf {
    pub fn new() -> Self {
        // Most header messages fit: one allocation instead of a chain of small reallocations.
        Buf { v: Vec::with_capacity(96) }
    }
    pub fn u8(&mut self, x: u8) {
        self.v.push(x);
    }
    pub fn u16(&mut self, x: u16) {
        self.v.extend_from_slice(&x.to_le_bytes());
    }
    pub fn u32(&mut self, x: u32) {
        self.v.extend_from_slice(&x.to_le_bytes());
    }
    pub fn u64(&mut self, x: u64) {
        self.v.extend_from_slice(&x.to_le_bytes());
    }
    /// Unsigned integer of `n` bytes (1..=8).
    pub fn uint(&mut self, x: u64, n: usize) {
        let b = x.to_le_bytes();
        for i in 0..n {
            self.v.push(b.get(i).copied().unwrap_or(0));
        }
    }
    /// An address ("Size of Offsets" = 8); `None` is the undefined address.
    pub fn addr(&mut self, a: Option<u64>) {
        self.u64(a.unwrap_or(UNDEFINED_ADDRESS));
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.v.extend_from_slice(b);
    }
    pub fn zeros(&mut self, n: usize) {
        self.v.resize(self.v.len() + n, 0);
    }
    /// Pads with zeros to a multiple of `n` bytes (relative to the buffer start).
    pub fn pad_to(&mut self, n: usize) {
        let r = self.v.len() % n;
        if r != 0 {
            self.zeros(n - r);
        }
    }
    pub fn len(&self) -> usize {
        self.v.len()
    }
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }
}

pub fn round_up(x: usize, n: usize) -> usize {
    x.div_ceil(n) * n
}

/// Number of bytes needed to store `x` (at least 1).
pub fn bytes_needed(x: u64) -> usize {
    let bits = 64 - x.leading_zeros() as usize;
    bits.div_ceil(8).max(1)
}

fn order_bit(o: ByteOrder) -> u32 {
    match o {
        ByteOrder::LittleEndian => 0,
        ByteOrder::BigEndian => 1,
        ByteOrder::Vax => 1 | (1 << 6),
    }
}

fn pad_bits(p: StringPadding) -> u32 {
    match p {
        StringPadding::NullTerminate => 0,
        StringPadding::NullPad => 1,
        StringPadding::SpacePad => 2,
    }
}

fn cset_bits(c: CharacterSet) -> u32 {
    match c {
        CharacterSet::Ascii => 0,
        CharacterSet::Utf8 => 1,
    }
}

/// Whether a datatype tree contains an array class (needs datatype version 2+).
fn contains(dt: &Datatype, pred: &dyn Fn(&TypeClass) -> bool) -> bool {
    if pred(&dt.class) {
        return true;
    }
    match &dt.class {
        TypeClass::Compound { members } => members.iter().any(|m| contains(&m.datatype, pred)),
        TypeClass::Enum { base, .. }
        | TypeClass::VarLenSequence { base }
        | TypeClass::VarLenString { base, .. }
        | TypeClass::Array { base, .. }
        | TypeClass::Complex { base } => contains(base, pred),
        _ => false,
    }
}

/// Datatype message version used for a whole datatype tree: libhdf5 gives every member the
/// version of its container. Earliest: 1, or 2 when an array is inside. Latest: 3 for
/// compound/enum/array trees (packed member names), else 1.
pub fn datatype_version(dt: &Datatype, latest: bool) -> u8 {
    let has_array = contains(dt, &|c| matches!(c, TypeClass::Array { .. }));
    if latest {
        let complex = contains(dt, &|c| {
            matches!(c, TypeClass::Array { .. } | TypeClass::Compound { .. } | TypeClass::Enum { .. })
        });
        if complex {
            return 3;
        }
        return 1;
    }
    if has_array {
        2
    } else {
        1
    }
}

/// Whether any part of the datatype is variable-length (stored in the global heap).
pub fn is_vlen(dt: &Datatype) -> bool {
    contains(dt, &|c| matches!(c, TypeClass::VarLenSequence { .. } | TypeClass::VarLenString { .. }))
}

/// Variable-length slots inside a fixed-size element (a compound or array containing
/// variable-length members): (byte offset in the element, base element size, is a string).
/// A top-level variable-length type has the single slot (0, base size, ..).
/// Byte offsets of the object references (`H5R_OBJECT1`, 8 bytes) inside compound/array
/// elements, in member order (a top-level reference type has none: it is not nested).
pub fn ref_slots(dt: &Datatype) -> Result<Vec<u64>> {
    fn walk(dt: &Datatype, base: u64, out: &mut Vec<u64>) -> Result<()> {
        match &dt.class {
            TypeClass::Reference { kind: h5kit_object_header::ReferenceKind::Object } => out.push(base),
            TypeClass::Compound { members } => {
                for m in members {
                    walk(&m.datatype, base.saturating_add(m.byte_offset), out)?;
                }
            }
            TypeClass::Array { dims, base: b } => {
                let mut inner = Vec::new();
                walk(b, 0, &mut inner)?;
                if inner.is_empty() {
                    return Ok(());
                }
                let n = dims.iter().fold(1u64, |a, &d| a.saturating_mul(d as u64));
                if n.saturating_mul(inner.len() as u64) > 1 << 20 {
                    return Err(Error::usage("too many reference slots in an array datatype"));
                }
                for i in 0..n {
                    for &o in &inner {
                        out.push(base.saturating_add(i.saturating_mul(b.size as u64)).saturating_add(o));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
    let mut out = Vec::new();
    if matches!(dt.class, TypeClass::Compound { .. } | TypeClass::Array { .. }) {
        walk(dt, 0, &mut out)?;
    }
    Ok(out)
}

pub fn vl_slots(dt: &Datatype) -> Result<Vec<(u64, u32, bool)>> {
    Ok(match &dt.class {
        TypeClass::VarLenString { .. } => vec![(0, 1, true)],
        TypeClass::VarLenSequence { base } => {
            if is_vlen(base) {
                return Err(Error::new(
                    h5kit_core::ErrorKind::Unsupported,
                    "variable-length sequences of variable-length data cannot be written",
                ));
            }
            vec![(0, base.size.max(1), false)]
        }
        TypeClass::Compound { members } => {
            let mut v = Vec::new();
            for m in members {
                for (o, b, st) in vl_slots(&m.datatype)? {
                    v.push((m.byte_offset.saturating_add(o), b, st));
                }
            }
            v
        }
        TypeClass::Array { dims, base } => {
            let inner = vl_slots(base)?;
            if inner.is_empty() {
                return Ok(inner);
            }
            let n = dims.iter().fold(1u64, |a, &d| a.saturating_mul(d as u64));
            if n.saturating_mul(inner.len() as u64) > 1 << 20 {
                return Err(Error::usage("too many variable-length slots in an array datatype"));
            }
            let mut v = Vec::new();
            for i in 0..n {
                for &(o, b, st) in &inner {
                    v.push((i * base.size as u64 + o, b, st));
                }
            }
            v
        }
        _ => Vec::new(),
    })
}

/// Whether any part of the datatype is a reference.
pub fn has_reference(dt: &Datatype) -> bool {
    contains(dt, &|c| matches!(c, TypeClass::Reference { .. }))
}

/// Encodes a datatype message (spec IV.A.2.d "The Datatype Message") with message version `ver`.
pub fn encode_datatype(b: &mut Buf, dt: &Datatype, ver: u8) -> Result<()> {
    let (class, bits): (u8, u32) = match &dt.class {
        TypeClass::Integer { order, signed, pad_lo, pad_hi, .. } => {
            (0, order_bit(*order) | (*pad_lo as u32) << 1 | (*pad_hi as u32) << 2 | (*signed as u32) << 3)
        }
        TypeClass::Float {
            order, pad_lo, pad_hi, pad_internal, mantissa_norm, sign_location, ..
        } => {
            let norm = match mantissa_norm {
                MantissaNorm::None => 0,
                MantissaNorm::MsbSet => 1,
                MantissaNorm::Implied => 2,
            };
            (
                1,
                order_bit(*order)
                    | (*pad_lo as u32) << 1
                    | (*pad_hi as u32) << 2
                    | (*pad_internal as u32) << 3
                    | norm << 4
                    | (*sign_location as u32) << 8,
            )
        }
        TypeClass::Time { order, .. } => (2, order_bit(*order)),
        TypeClass::String { padding, charset } => (3, pad_bits(*padding) | cset_bits(*charset) << 4),
        TypeClass::Bitfield { order, pad_lo, pad_hi, .. } => {
            (4, order_bit(*order) | (*pad_lo as u32) << 1 | (*pad_hi as u32) << 2)
        }
        TypeClass::Opaque { tag } => {
            let padded = round_up(tag.len() + 1, 8);
            if padded > 255 {
                return Err(Error::usage("opaque tag too long (max 254 bytes)"));
            }
            (5, padded as u32)
        }
        TypeClass::Compound { members } => {
            if members.len() > 0xffff {
                return Err(Error::usage("too many compound members"));
            }
            (6, members.len() as u32)
        }
        TypeClass::Reference { kind } => {
            let t = match kind {
                ReferenceKind::Object => 0,
                ReferenceKind::DatasetRegion => 1,
                _ => return Err(Error::usage("only object and region references (H5R_OBJECT1) can be written")),
            };
            (7, t)
        }
        TypeClass::Enum { members, .. } => {
            if members.len() > 0xffff {
                return Err(Error::usage("too many enum members"));
            }
            (8, members.len() as u32)
        }
        TypeClass::VarLenSequence { .. } => (9, 0),
        TypeClass::VarLenString { padding, charset, .. } => (9, 1 | pad_bits(*padding) << 4 | cset_bits(*charset) << 8),
        TypeClass::Array { .. } => {
            if ver < 2 {
                return Err(Error::usage("array datatypes need datatype version 2"));
            }
            (10, 0)
        }
        TypeClass::Complex { .. } => return Err(Error::usage("complex datatypes (HDF5 2.0) cannot be written")),
    };
    b.u8((ver << 4) | class);
    b.u8((bits & 0xff) as u8);
    b.u8(((bits >> 8) & 0xff) as u8);
    b.u8(((bits >> 16) & 0xff) as u8);
    b.u32(dt.size);
    match &dt.class {
        TypeClass::Integer { bit_offset, precision, .. } | TypeClass::Bitfield { bit_offset, precision, .. } => {
            b.u16(*bit_offset);
            b.u16(*precision);
        }
        TypeClass::Float {
            bit_offset,
            precision,
            exponent_location,
            exponent_size,
            mantissa_location,
            mantissa_size,
            exponent_bias,
            ..
        } => {
            b.u16(*bit_offset);
            b.u16(*precision);
            b.u8(*exponent_location);
            b.u8(*exponent_size);
            b.u8(*mantissa_location);
            b.u8(*mantissa_size);
            b.u32(*exponent_bias);
        }
        TypeClass::Time { precision, .. } => b.u16(*precision),
        TypeClass::String { .. } | TypeClass::Reference { .. } => {}
        TypeClass::Opaque { tag } => {
            let start = b.len();
            b.bytes(tag.as_bytes());
            b.u8(0);
            let want = round_up(tag.len() + 1, 8);
            b.zeros(want - (b.len() - start));
        }
        TypeClass::Compound { members } => {
            for m in members {
                if ver >= 3 {
                    b.bytes(m.name.as_bytes());
                    b.u8(0);
                    b.uint(m.byte_offset, compound_offset_len(dt.size));
                } else {
                    let start = b.len();
                    b.bytes(m.name.as_bytes());
                    b.u8(0);
                    let want = round_up(m.name.len() + 1, 8);
                    b.zeros(want - (b.len() - start));
                    let off = u32::try_from(m.byte_offset).map_err(|_| Error::usage("compound member offset too large"))?;
                    b.u32(off);
                    if ver == 1 {
                        b.u8(0); // dimensionality (array members use the array class)
                        b.zeros(3);
                        b.u32(0); // dimension permutation
                        b.u32(0);
                        b.zeros(16);
                    }
                }
                encode_datatype(b, &m.datatype, ver)?;
            }
        }
        TypeClass::Enum { base, members } => {
            encode_datatype(b, base, ver)?;
            for (name, _) in members {
                let start = b.len();
                b.bytes(name.as_bytes());
                b.u8(0);
                if ver < 3 {
                    let want = round_up(name.len() + 1, 8);
                    b.zeros(want - (b.len() - start));
                }
            }
            for (_, value) in members {
                if value.len() != base.size as usize {
                    return Err(Error::usage("enum value size differs from its base type size"));
                }
                b.bytes(value);
            }
        }
        TypeClass::VarLenSequence { base } | TypeClass::VarLenString { base, .. } => encode_datatype(b, base, ver)?,
        TypeClass::Array { dims, base } => {
            if dims.len() > 255 {
                return Err(Error::usage("array rank too large"));
            }
            b.u8(dims.len() as u8);
            if ver < 3 {
                b.zeros(3);
            }
            for d in dims {
                b.u32(*d);
            }
            if ver < 3 {
                for i in 0..dims.len() {
                    b.u32(i as u32);
                }
            }
            encode_datatype(b, base, ver)?;
        }
        TypeClass::Complex { .. } => {}
    }
    Ok(())
}

/// Size of the member byte offset field of a version 3 compound (spec: "the size of the
/// offset field is the minimum number of bytes to encode the compound's size").
fn compound_offset_len(size: u32) -> usize {
    if size < 1 << 8 {
        1
    } else if size < 1 << 16 {
        2
    } else if size < 1 << 24 {
        3
    } else {
        4
    }
}

/// Dataspace message (spec IV.A.2.b). `dims == None` is scalar. Version 1 (earliest) or 2.
/// A null dataspace (`H5S_NULL`): version 2 (version 1 cannot express it; libhdf5 writes
/// version 2 in earliest-format files too), rank 0, no flags, type 2.
pub fn encode_null_dataspace(b: &mut Buf) {
    b.u8(2);
    b.u8(0);
    b.u8(0);
    b.u8(2);
}

pub fn encode_dataspace(b: &mut Buf, dims: Option<&[u64]>, max: Option<&[u64]>, latest: bool) {
    let rank = dims.map(|d| d.len()).unwrap_or(0) as u8;
    let has_max = dims.is_some() && max.is_some();
    if latest {
        b.u8(2);
        b.u8(rank);
        b.u8(has_max as u8);
        b.u8(if dims.is_some() { 1 } else { 0 });
    } else {
        b.u8(1);
        b.u8(rank);
        b.u8(has_max as u8);
        b.u8(0);
        b.u32(0);
    }
    if let Some(d) = dims {
        for x in d {
            b.u64(*x);
        }
        if let Some(m) = max {
            for x in m {
                b.u64(*x);
            }
        }
    }
}

/// Fill value message (spec IV.A.2.f), version 2 (earliest) or 3 (latest).
pub fn encode_fill(b: &mut Buf, f: &FillValue, latest: bool) {
    let alloc = match f.alloc_time {
        AllocTime::Early => 1u8,
        AllocTime::Late => 2,
        AllocTime::Incremental => 3,
    };
    let ft = match f.fill_time {
        FillTime::OnAlloc => 0u8,
        FillTime::Never => 1,
        FillTime::IfSet => 2,
    };
    if latest {
        b.u8(3);
        let mut flags = alloc | (ft << 2);
        if f.value.is_some() {
            flags |= 1 << 5;
        }
        b.u8(flags);
        if let Some(v) = &f.value {
            b.u32(v.len() as u32);
            b.bytes(v);
        }
    } else {
        b.u8(2);
        b.u8(alloc);
        b.u8(ft);
        b.u8(f.defined as u8);
        if f.defined {
            let v = f.value.as_deref().unwrap_or(&[]);
            b.u32(v.len() as u32);
            b.bytes(v);
        }
    }
}

/// Filter pipeline message (spec IV.A.2.l), version 1 (earliest, names padded) or 2.
pub fn encode_filters(b: &mut Buf, p: &FilterPipeline, latest: bool) {
    b.u8(if latest { 2 } else { 1 });
    b.u8(p.filters.len() as u8);
    if !latest {
        b.zeros(6);
    }
    for f in &p.filters {
        encode_filter(b, f, latest);
    }
}

fn encode_filter(b: &mut Buf, f: &Filter, latest: bool) {
    b.u16(f.id);
    let name = f.name.as_deref().unwrap_or("");
    let with_name = !latest || f.id >= 256;
    let name_len = if with_name && !name.is_empty() { round_up(name.len() + 1, 8) } else { 0 };
    if with_name {
        b.u16(name_len as u16);
    }
    b.u16(f.flags);
    b.u16(f.client_data.len() as u16);
    if name_len > 0 {
        let start = b.len();
        b.bytes(name.as_bytes());
        b.u8(0);
        b.zeros(name_len - (b.len() - start));
    }
    for c in &f.client_data {
        b.u32(*c);
    }
    if !latest && f.client_data.len() % 2 == 1 {
        b.u32(0);
    }
}

/// Attribute message (spec IV.A.2.m): version 1 (earliest, fields padded to 8), version 2
/// (earliest with a committed datatype: flag bit 0, no padding) or 3 (latest, with the name's
/// character set).
pub fn encode_attribute(
    b: &mut Buf,
    name: &str,
    dt: &[u8],
    ds: &[u8],
    data: &[u8],
    latest: bool,
    shared_type: bool,
) -> Result<()> {
    let nlen = u16::try_from(name.len() + 1).map_err(|_| Error::usage("attribute name too long"))?;
    let dlen = u16::try_from(dt.len()).map_err(|_| Error::usage("attribute datatype too large"))?;
    let slen = u16::try_from(ds.len()).map_err(|_| Error::usage("attribute dataspace too large"))?;
    if latest || shared_type {
        b.u8(if latest { 3 } else { 2 });
        b.u8(shared_type as u8);
        b.u16(nlen);
        b.u16(dlen);
        b.u16(slen);
        if latest {
            b.u8(if name.is_ascii() { 0 } else { 1 });
        }
        b.bytes(name.as_bytes());
        b.u8(0);
        b.bytes(dt);
        b.bytes(ds);
    } else {
        b.u8(1);
        b.u8(0);
        b.u16(nlen);
        b.u16(dlen);
        b.u16(slen);
        let s = b.len();
        b.bytes(name.as_bytes());
        b.u8(0);
        b.zeros(round_up(name.len() + 1, 8) - (b.len() - s));
        b.bytes(dt);
        b.zeros(round_up(dt.len(), 8) - dt.len());
        b.bytes(ds);
        b.zeros(round_up(ds.len(), 8) - ds.len());
    }
    b.bytes(data);
    Ok(())
}

/// Link message (spec IV.A.2.g), version 1.
pub fn encode_link(b: &mut Buf, name: &str, creation_order: Option<u64>, target: &LinkBody) {
    b.u8(1);
    let n = name.len() as u64;
    let len_bytes = bytes_needed(n);
    let len_code: u8 = match len_bytes {
        1 => 0,
        2 => 1,
        3 | 4 => 2,
        _ => 3,
    };
    let mut flags = len_code;
    let link_type = match target {
        LinkBody::Hard(_) => 0u8,
        LinkBody::Soft(_) => 1,
        LinkBody::External(..) => 64,
    };
    if link_type != 0 {
        flags |= 1 << 3;
    }
    if creation_order.is_some() {
        flags |= 1 << 2;
    }
    if !name.is_ascii() {
        flags |= 1 << 4;
    }
    b.u8(flags);
    if link_type != 0 {
        b.u8(link_type);
    }
    if let Some(c) = creation_order {
        b.u64(c);
    }
    if !name.is_ascii() {
        b.u8(1);
    }
    b.uint(n, [1usize, 2, 4, 8].get(usize::from(len_code)).copied().unwrap_or(8));
    b.bytes(name.as_bytes());
    match target {
        LinkBody::Hard(a) => b.u64(*a),
        LinkBody::Soft(p) => {
            b.u16(p.len() as u16);
            b.bytes(p.as_bytes());
        }
        LinkBody::External(file, path) => {
            b.u16((file.len() + path.len() + 3) as u16);
            b.u8(0);
            b.bytes(file.as_bytes());
            b.u8(0);
            b.bytes(path.as_bytes());
            b.u8(0);
        }
    }
}

/// The target of an encoded link.
pub enum LinkBody {
    Hard(u64),
    Soft(String),
    External(String, String),
}

/// Link info message (spec IV.A.2.c), version 0.
pub fn encode_link_info(b: &mut Buf, max_creation: Option<u64>, heap: Option<u64>, name_index: Option<u64>) {
    b.u8(0);
    b.u8(if max_creation.is_some() { 1 } else { 0 });
    if let Some(m) = max_creation {
        b.u64(m);
    }
    b.addr(heap);
    b.addr(name_index);
}

/// Group info message (spec IV.A.2.k), version 0; link phase change values when given.
pub fn encode_group_info(b: &mut Buf, phase: Option<(u16, u16)>) {
    b.u8(0);
    match phase {
        Some((max_compact, min_dense)) => {
            b.u8(1);
            b.u16(max_compact);
            b.u16(min_dense);
        }
        None => b.u8(0),
    }
}

/// Pipeline of the standard filters in h5py order (shuffle, deflate, fletcher32).
pub fn standard_pipeline(shuffle: bool, deflate: Option<u8>, fletcher32: bool, elem_size: u32) -> FilterPipeline {
    let mut filters = Vec::new();
    if shuffle {
        filters.push(Filter { id: 2, name: Some("shuffle".into()), flags: 1, client_data: vec![elem_size] });
    }
    if let Some(level) = deflate {
        filters.push(Filter { id: 1, name: Some("deflate".into()), flags: 1, client_data: vec![level as u32] });
    }
    if fletcher32 {
        filters.push(Filter { id: 3, name: Some("fletcher32".into()), flags: 0, client_data: vec![] });
    }
    FilterPipeline { version: 1, filters }
}
