//! 1-D datasets as Apache Arrow arrays (feature `arrow`): [`crate::Dataset::read_arrow`] and
//! [`crate::Dataset::read_arrow_slice`]. The HDF5 datatype (spec IV.A.2.d "The Datatype
//! Message") decides the Arrow type ([`data_type`]):
//!
//! | HDF5 (class)                              | Arrow                                          |
//! |-------------------------------------------|------------------------------------------------|
//! | integer (0), 1/2/4/8 bytes, any order     | `Int8`..`Int64`, `UInt8`..`UInt64`             |
//! | integer of another size up to 8 bytes     | the next wider integer                         |
//! | float (1): 2 or 4 bytes / 8 bytes         | `Float32` / `Float64`                          |
//! | fixed-length string (3), variable-length string (9) | `Utf8` (`Binary` when not UTF-8, below) |
//! | enum (8)                                  | `Dictionary(Int32, Utf8)`: the member names    |
//! | compound (6)                              | `Struct` of the members (recursively)          |
//!
//! Strings lose their padding as libhdf5 reads them (null-terminated: up to the first NUL;
//! null-padded: trailing NULs; space-padded: trailing spaces). A string array whose bytes are
//! not all UTF-8 comes back as `Binary` (the bytes as stored), so nothing is replaced. An
//! enum value that is none of the members' is null in the dictionary array. Every other
//! class (time, bitfield, opaque, reference, variable-length sequence, array, complex) is an
//! [`ErrorKind::Unsupported`] error naming the type and the dataset's path.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::types::{
    ArrowPrimitiveType, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type,
    UInt8Type,
};
use arrow_array::{Array, ArrayRef, BinaryArray, DictionaryArray, Int32Array, PrimitiveArray, StringArray, StructArray};
use arrow_schema::{DataType, Field, Fields};
use h5kit_core::{Error, ErrorKind, Result};
use h5kit_object_header::{Datatype, TypeClass};

use crate::file::FileInner;
use crate::handle::{type_name, Dataset};
use crate::selection::Hyperslab;
use crate::typed::H5Type;

/// The Arrow type [`Dataset::read_arrow`] gives for data of `dt` (strings: `Utf8`, which a
/// read turns into `Binary` when the bytes are not UTF-8). An [`ErrorKind::Unsupported`]
/// error names a datatype with no Arrow counterpart here.
pub fn data_type(dt: &Datatype) -> Result<DataType> {
    Ok(match &dt.class {
        TypeClass::Integer { signed, .. } => match (dt.size, signed) {
            (1, true) => DataType::Int8,
            (1, false) => DataType::UInt8,
            (2, true) => DataType::Int16,
            (2, false) => DataType::UInt16,
            (3..=4, true) => DataType::Int32,
            (3..=4, false) => DataType::UInt32,
            (5..=8, true) => DataType::Int64,
            (5..=8, false) => DataType::UInt64,
            _ => return Err(unsupported(dt)),
        },
        TypeClass::Float { .. } => match dt.size {
            2 | 4 => DataType::Float32,
            8 => DataType::Float64,
            _ => return Err(unsupported(dt)),
        },
        TypeClass::String { .. } | TypeClass::VarLenString { .. } => DataType::Utf8,
        TypeClass::Enum { .. } => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        TypeClass::Compound { members } => {
            let fields: Result<Vec<Field>> =
                members.iter().map(|m| Ok(Field::new(m.name.clone(), data_type(&m.datatype)?, nullable(&m.datatype)))).collect();
            DataType::Struct(Fields::from(fields?))
        }
        _ => return Err(unsupported(dt)),
    })
}

/// Whether arrays of `dt` can hold nulls (enums: a value that is no member's), as a struct
/// member's field says.
pub fn nullable(dt: &Datatype) -> bool {
    matches!(dt.class, TypeClass::Enum { .. })
}

fn unsupported(dt: &Datatype) -> Error {
    Error::new(ErrorKind::Unsupported, format!("no Arrow type for HDF5 {}", type_name(dt)))
}

impl Dataset {
    /// Every element of this 1-D dataset as an Arrow array (feature `arrow`; the types are
    /// in the [`crate::arrow`] module docs).
    ///
    /// ```no_run
    /// let f = h5kit::File::open("table.h5")?;
    /// let x = f.dataset("/x")?.read_arrow()?; // e.g. a Float64Array
    /// println!("{} rows of {}", x.len(), x.data_type());
    /// # Ok::<(), h5kit::Error>(())
    /// ```
    pub fn read_arrow(&self) -> Result<ArrayRef> {
        let n = self.rows()?;
        self.read_arrow_slice(0, n)
    }

    /// Elements `start..start + len` of this 1-D dataset as an Arrow array (one partition of
    /// a table): only the chunks they fall in are read.
    pub fn read_arrow_slice(&self, start: u64, len: u64) -> Result<ArrayRef> {
        let n = self.rows()?;
        let end = start.checked_add(len).filter(|&e| e <= n).ok_or_else(|| {
            Error::usage(format!("read_arrow_slice: rows {}..{}+{} outside the dataset's {} rows", start, start, len, n)).in_object(self.path())
        })?;
        let snap = self.snapshot()?;
        let dt = snap.datatype();
        data_type(dt).map_err(|e| e.in_object(self.path()))?;
        let raw = if len == 0 { Vec::new() } else { snap.read_raw_selection(&Hyperslab::new(&[start], &[end - start]))? };
        let file = self.file().current()?;
        decode(&file, &raw, dt).map_err(|e| e.in_object(self.path()))
    }

    /// The length of a 1-D dataset; an error for other ranks.
    fn rows(&self) -> Result<u64> {
        match self.shape()?.as_slice() {
            [n] => Ok(*n),
            s => Err(Error::usage(format!("read_arrow: a dataset of shape {:?}; only 1-D datasets are columns", s)).in_object(self.path())),
        }
    }
}

/// Elements of `dt` in the file's encoding (`raw`, a whole number of them) as an Arrow array.
pub(crate) fn decode(file: &FileInner, raw: &[u8], dt: &Datatype) -> Result<ArrayRef> {
    match (&dt.class, data_type(dt)?) {
        (_, DataType::Int8) => primitive::<Int8Type>(raw, dt),
        (_, DataType::UInt8) => primitive::<UInt8Type>(raw, dt),
        (_, DataType::Int16) => primitive::<Int16Type>(raw, dt),
        (_, DataType::UInt16) => primitive::<UInt16Type>(raw, dt),
        (_, DataType::Int32) => primitive::<Int32Type>(raw, dt),
        (_, DataType::UInt32) => primitive::<UInt32Type>(raw, dt),
        (_, DataType::Int64) => primitive::<Int64Type>(raw, dt),
        (_, DataType::UInt64) => primitive::<UInt64Type>(raw, dt),
        (_, DataType::Float32) => primitive::<Float32Type>(raw, dt),
        (_, DataType::Float64) => primitive::<Float64Type>(raw, dt),
        (TypeClass::String { padding, .. }, _) => {
            let size = dt.size as usize;
            if size == 0 {
                return Err(Error::format(0, "fixed-length string datatype of size 0"));
            }
            strings(raw.chunks_exact(size).map(|c| crate::vlen::unpad(c, *padding)))
        }
        (TypeClass::VarLenString { .. }, _) => {
            let values = crate::vlen::vlen_elements(file, raw, dt)?;
            strings(values.iter().map(|v| v.as_slice()))
        }
        (TypeClass::Enum { base, members }, _) => enumeration(raw, dt, base, members),
        (TypeClass::Compound { members }, _) => {
            let size = dt.size as usize;
            if size == 0 {
                return Err(Error::format(0, "compound datatype of size 0"));
            }
            let rows = raw.len() / size;
            let mut fields = Vec::with_capacity(members.len());
            let mut arrays = Vec::with_capacity(members.len());
            for m in members {
                let (off, msize) = (m.byte_offset as usize, m.datatype.size as usize);
                if off.checked_add(msize).is_none_or(|e| e > size) {
                    return Err(Error::format(0, format!("compound member {:?} ends past the element's {} bytes", m.name, size)));
                }
                let mut bytes = Vec::with_capacity(rows * msize);
                for row in raw.chunks_exact(size) {
                    bytes.extend_from_slice(row.get(off..off + msize).unwrap_or_default());
                }
                let a = decode(file, &bytes, &m.datatype)?;
                fields.push(Field::new(m.name.clone(), a.data_type().clone(), nullable(&m.datatype)));
                arrays.push(a);
            }
            if members.is_empty() {
                return Ok(Arc::new(StructArray::new_empty_fields(rows, None)));
            }
            let s = StructArray::try_new(Fields::from(fields), arrays, None)
                .map_err(|e| Error::format(0, format!("building the struct array: {}", e)))?;
            Ok(Arc::new(s))
        }
        _ => Err(unsupported(dt)),
    }
}

/// Numbers of `dt` converted to `A`'s native type (one copy when the file's encoding is it).
fn primitive<A: ArrowPrimitiveType>(raw: &[u8], dt: &Datatype) -> Result<ArrayRef>
where
    A::Native: H5Type,
{
    let size = std::mem::size_of::<A::Native>();
    let values: Vec<A::Native> = if <A::Native as H5Type>::is_native(dt) && raw.len().is_multiple_of(size) {
        let mut v = vec![<A::Native as H5Type>::zero(); raw.len() / size];
        crate::typed::bytes_mut(&mut v)?.copy_from_slice(raw);
        v
    } else {
        crate::typed::convert_numbers::<A::Native>(raw, dt)?
    };
    Ok(Arc::new(PrimitiveArray::<A>::new(values.into(), None)))
}

/// A `Utf8` array when every value is UTF-8, else a `Binary` array of the bytes.
fn strings<'a>(values: impl Iterator<Item = &'a [u8]> + Clone) -> Result<ArrayRef> {
    if values.clone().all(|v| std::str::from_utf8(v).is_ok()) {
        let strs = values.map(|v| std::str::from_utf8(v).unwrap_or_default());
        Ok(Arc::new(StringArray::from_iter_values(strs)))
    } else {
        Ok(Arc::new(BinaryArray::from_iter_values(values)))
    }
}

/// Enum values as dictionary keys into the member names (a value matching no member: null).
fn enumeration(raw: &[u8], dt: &Datatype, base: &Datatype, members: &[(String, Vec<u8>)]) -> Result<ArrayRef> {
    let size = dt.size as usize;
    if size == 0 || base.size != dt.size {
        return Err(Error::format(0, format!("enum of {} bytes over a base type of {}", dt.size, base.size)));
    }
    let index: HashMap<&[u8], i32> = members.iter().enumerate().map(|(i, (_, v))| (v.as_slice(), i as i32)).collect();
    let keys: Int32Array = raw.chunks_exact(size).map(|v| index.get(v).copied()).collect();
    let names = StringArray::from_iter_values(members.iter().map(|(n, _)| n.as_str()));
    let d = DictionaryArray::<Int32Type>::try_new(keys, Arc::new(names))
        .map_err(|e| Error::format(0, format!("building the dictionary array: {}", e)))?;
    Ok(Arc::new(d))
}
