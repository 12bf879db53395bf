//! What `#[derive(H5Type)]` (crate `h5kit-derive`) expands to calls: compound members found by
//! name (spec IV.A.2.d "The Datatype Message", class 6 Compound: members by name, byte offset
//! and datatype), enum values mapped to member names (class 8 Enumeration), and fixed-size
//! arrays (class 10 Array). Reading converts member by member by name, as libhdf5 converts
//! compounds, so a file's member order, offsets and padding may differ from the struct's.
//! Not part of the API: the names may change with the derive.

use h5kit_core::{Error, Result};
use h5kit_object_header::{Datatype, TypeClass};

pub use crate::typed::H5Type;
#[cfg(feature = "write")]
pub use crate::typed::H5Write;
pub use h5kit_core::Result as H5Result;
pub use h5kit_object_header::Datatype as H5Datatype;
pub use crate::vlen::Heap as H5Heap;
#[cfg(feature = "write")]
pub use h5kit_write::dtype;

/// The (offset, datatype) of each of `names` in the compound `dt`; an error naming the Rust
/// type when `dt` is not a compound or lacks a member.
pub fn members<'a>(dt: &'a Datatype, type_name: &str, names: &[&str]) -> Result<Vec<(usize, &'a Datatype)>> {
    let TypeClass::Compound { members } = &dt.class else {
        return Err(Error::usage(format!("cannot convert HDF5 {} data to {}: not a compound", crate::handle::type_name(dt), type_name)));
    };
    names
        .iter()
        .map(|n| {
            let m = members.iter().find(|m| m.name == *n).ok_or_else(|| {
                Error::usage(format!("cannot convert HDF5 {} data to {}: no member named {:?}", crate::handle::type_name(dt), type_name, n))
            })?;
            let off = usize::try_from(m.byte_offset).map_err(|_| Error::usage("member offset too large"))?;
            Ok((off, &m.datatype))
        })
        .collect()
}

/// `f` applied to each element of `raw` (elements of `dt`'s size).
pub fn each_element<T>(raw: &[u8], dt: &Datatype, mut f: impl FnMut(&[u8]) -> Result<T>) -> Result<Vec<T>> {
    let size = dt.size as usize;
    if size == 0 {
        return Ok(Vec::new());
    }
    raw.chunks_exact(size).map(&mut f).collect()
}

/// Member `i` of `members` decoded from the element `e` as `F` (variable-length members
/// resolved through `heap`).
pub fn field<F: H5Type>(e: &[u8], members: &[(usize, &Datatype)], i: usize, heap: &H5Heap<'_>) -> Result<F> {
    let (off, dt) = members.get(i).ok_or_else(|| Error::usage("member index out of range"))?;
    let bytes = off
        .checked_add(dt.size as usize)
        .and_then(|end| e.get(*off..end))
        .ok_or_else(|| Error::format(0, format!("compound member at offset {} runs past the element of {} bytes", off, e.len())))?;
    F::decode_with(bytes, dt, heap)?.into_iter().next().ok_or_else(|| Error::usage(format!("empty member of type {}", F::NAME)))
}

/// The member name of each enum value in `raw` (elements of the enum `dt`).
pub fn enum_names<'a>(raw: &[u8], dt: &'a Datatype, type_name: &str) -> Result<Vec<&'a str>> {
    let TypeClass::Enum { members, .. } = &dt.class else {
        return Err(Error::usage(format!("cannot convert HDF5 {} data to {}: not an enum", crate::handle::type_name(dt), type_name)));
    };
    each_element(raw, dt, |e| {
        members
            .iter()
            .find(|(_, v)| v.as_slice() == e)
            .map(|(n, _)| n.as_str())
            .ok_or_else(|| Error::format(0, format!("enum value {:?} is none of the members of {}", e, crate::handle::type_name(dt))))
    })
}

/// The error for an enum member name the Rust enum has no variant for.
pub fn unknown_variant(name: &str, type_name: &str) -> Error {
    Error::usage(format!("enum member {:?} has no variant in {}", name, type_name))
}

impl<T: H5Type, const N: usize> H5Type for [T; N] {
    const NAME: &'static str = "array";
    fn zero() -> Self {
        std::array::from_fn(|_| T::zero())
    }
    fn decode(raw: &[u8], dt: &Datatype) -> Result<Vec<Self>> {
        Self::decode_with(raw, dt, &H5Heap::none())
    }
    fn decode_with(raw: &[u8], dt: &Datatype, heap: &H5Heap<'_>) -> Result<Vec<Self>> {
        let TypeClass::Array { base, dims } = &dt.class else {
            return Err(Error::usage(format!("cannot convert HDF5 {} data to an array of {} {}", crate::handle::type_name(dt), N, T::NAME)));
        };
        if dims.iter().map(|&d| d as usize).product::<usize>() != N {
            return Err(Error::usage(format!("cannot convert HDF5 {} data to an array of {} {}", crate::handle::type_name(dt), N, T::NAME)));
        }
        let values = T::decode_with(raw, base, heap)?;
        Ok(values
            .chunks_exact(N.max(1))
            .map(|c| {
                let mut it = c.iter().cloned();
                std::array::from_fn(|_| it.next().unwrap_or_else(T::zero))
            })
            .collect())
    }
}

#[cfg(feature = "write")]
impl<T: H5Write, const N: usize> H5Write for [T; N] {
    const NAME: &'static str = "array";
    fn datatype() -> Datatype {
        dtype::array(T::datatype(), &[N as u32])
    }
    fn put(&self, out: &mut Vec<u8>) {
        for v in self {
            v.put(out);
        }
    }
    fn put_vlen(&self, pieces: &mut Vec<Vec<u8>>) {
        for v in self {
            v.put_vlen(pieces);
        }
    }
}
