//! Strings and variable-length data: fixed-length strings with their padding
//! (spec IV.A.2.d, class 3), and variable-length sequences and strings whose elements live in
//! global heap collections (class 9, III.E "Global Heap").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use h5kit_core::{Error, ErrorKind, Reader, Result};
use h5kit_heap::{GlobalHeapCollection, GlobalHeapId};
use h5kit_object_header::{Datatype, StringPadding, TypeClass};

use crate::file::FileInner;

/// A small cache of global heap collections, so reading many strings reads each collection
/// once.
#[derive(Default)]
pub(crate) struct GlobalHeapCache {
    map: Mutex<HashMap<u64, Arc<GlobalHeapCollection>>>,
}

const CACHE_ENTRIES: usize = 64;

impl GlobalHeapCache {
    pub fn get(&self, file: &FileInner, address: u64) -> Result<Arc<GlobalHeapCollection>> {
        if let Ok(map) = self.map.lock() {
            if let Some(c) = map.get(&address) {
                return Ok(c.clone());
            }
        }
        let c = Arc::new(GlobalHeapCollection::read(file.ctx(), address)?);
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= CACHE_ENTRIES {
                map.clear();
            }
            map.insert(address, c.clone());
        }
        Ok(c)
    }
}

/// Strips a fixed-length string's padding as libhdf5 does when reading it.
pub(crate) fn unpad(bytes: &[u8], padding: StringPadding) -> &[u8] {
    match padding {
        StringPadding::NullTerminate => match bytes.iter().position(|&b| b == 0) {
            Some(n) => bytes.get(..n).unwrap_or(bytes),
            None => bytes,
        },
        StringPadding::NullPad => {
            let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            bytes.get(..end).unwrap_or(bytes)
        }
        StringPadding::SpacePad => {
            let end = bytes.iter().rposition(|&b| b != b' ' && b != 0).map_or(0, |i| i + 1);
            bytes.get(..end).unwrap_or(bytes)
        }
    }
}

/// The bytes of each variable-length element of `raw` (class 9 data): for strings the
/// characters, for sequences the base elements' bytes.
pub(crate) fn vlen_elements(file: &FileInner, raw: &[u8], datatype: &Datatype) -> Result<Vec<Vec<u8>>> {
    let base_size = match &datatype.class {
        TypeClass::VarLenString { .. } => 1u64,
        TypeClass::VarLenSequence { base } => base.size as u64,
        _ => return Err(Error::usage("not a variable-length datatype")),
    };
    let elem = 4 + file.sizes().offset as usize + 4;
    if datatype.size as usize != elem {
        return Err(Error::format(0, format!("variable-length element of {} bytes, expected {}", datatype.size, elem)));
    }
    let mut out = Vec::with_capacity(raw.len() / elem);
    let mut r = Reader::new(raw, 0, file.sizes());
    while r.remaining() >= elem {
        let count = r.u32()? as u64;
        let id = GlobalHeapId::decode(&mut r)?;
        let Some(addr) = id.collection_address else {
            out.push(Vec::new());
            continue;
        };
        if count == 0 || addr == 0 {
            out.push(Vec::new());
            continue;
        }
        let collection = file.gheap.get(file, addr)?;
        let obj = collection.object(id.index)?;
        let want = count.saturating_mul(base_size);
        let n = usize::try_from(want).unwrap_or(usize::MAX).min(obj.len());
        out.push(obj.get(..n).unwrap_or(obj).to_vec());
    }
    Ok(out)
}

/// Every element of `raw` as a string: fixed-length strings (padding removed) and
/// variable-length strings. Bytes that are not UTF-8 are replaced (U+FFFD).
pub(crate) fn strings(file: &FileInner, raw: &[u8], datatype: &Datatype) -> Result<Vec<String>> {
    match &datatype.class {
        TypeClass::String { padding, .. } => {
            let size = datatype.size as usize;
            if size == 0 {
                return Ok(Vec::new());
            }
            Ok(raw.chunks_exact(size).map(|c| String::from_utf8_lossy(unpad(c, *padding)).into_owned()).collect())
        }
        TypeClass::VarLenString { .. } => {
            Ok(vlen_elements(file, raw, datatype)?.into_iter().map(|b| String::from_utf8_lossy(&b).into_owned()).collect())
        }
        _ => Err(Error::new(ErrorKind::Usage, "the datatype is not a string")),
    }
}

/// What resolves a variable-length element inside data being decoded: given the element's
/// bytes in the file (count and global heap ID) and its datatype, its contents. Reads from a
/// file pass one that reads the file's global heap; [`Heap::none`] fails.
pub struct Heap<'a>(Option<&'a Resolve<'a>>);

/// Reads a variable-length element's contents from its bytes in the file.
type Resolve<'a> = dyn Fn(&[u8], &Datatype) -> Result<Vec<u8>> + 'a;

impl<'a> Heap<'a> {
    pub(crate) fn new(resolve: &'a Resolve<'a>) -> Heap<'a> {
        Heap(Some(resolve))
    }
    /// No file: variable-length elements cannot be resolved.
    pub fn none() -> Heap<'static> {
        Heap(None)
    }
    /// The contents of the variable-length element `slot` of datatype `dt`.
    pub fn get(&self, slot: &[u8], dt: &Datatype) -> Result<Vec<u8>> {
        match self.0 {
            Some(f) => f(slot, dt),
            None => Err(Error::usage("variable-length data can only be decoded as it is read from its file")),
        }
    }
}

/// A variable-length sequence (HDF5 class 9, h5py's `h5py.vlen_dtype(T)`): as a dataset's
/// element type or a member of a `#[derive(H5Type)]` struct, each element holds any number of
/// `T` (numbers, fixed-size arrays, derived types without variable-length members).
///
/// ```
/// use h5kit::{File, VarLen};
/// let f = File::builder().in_memory()?;
/// let rows = [VarLen(vec![1i32, 2, 3]), VarLen(vec![]), VarLen(vec![7])];
/// let ds = f.new_dataset::<VarLen<i32>>().with_data(&rows).create("ragged")?;
/// assert_eq!(ds.read::<VarLen<i32>>()?.data, rows);
/// # Ok::<(), h5kit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VarLen<T>(pub Vec<T>);

impl<T> VarLen<T> {
    /// The elements.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }
    /// The elements, owned.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T> From<Vec<T>> for VarLen<T> {
    fn from(v: Vec<T>) -> Self {
        VarLen(v)
    }
}

/// Each element of `raw` (elements of `dt`) through `f`.
fn each<T>(raw: &[u8], dt: &Datatype, mut f: impl FnMut(&[u8]) -> Result<T>) -> Result<Vec<T>> {
    let size = dt.size as usize;
    if size == 0 {
        return Ok(Vec::new());
    }
    raw.chunks_exact(size).map(&mut f).collect()
}

impl<T: crate::H5Type> crate::H5Type for VarLen<T> {
    const NAME: &'static str = "VarLen";
    fn zero() -> Self {
        VarLen(Vec::new())
    }
    fn decode(raw: &[u8], datatype: &Datatype) -> Result<Vec<Self>> {
        Self::decode_with(raw, datatype, &Heap::none())
    }
    fn decode_with(raw: &[u8], datatype: &Datatype, heap: &Heap<'_>) -> Result<Vec<Self>> {
        let TypeClass::VarLenSequence { base } = &datatype.class else {
            return Err(Error::usage(format!("cannot convert HDF5 {} data to VarLen<{}>", crate::handle::type_name(datatype), T::NAME)));
        };
        each(raw, datatype, |e| Ok(VarLen(T::decode_with(&heap.get(e, datatype)?, base, heap)?)))
    }
}

impl crate::H5Type for String {
    const NAME: &'static str = "String";
    fn zero() -> Self {
        String::new()
    }
    fn decode(raw: &[u8], datatype: &Datatype) -> Result<Vec<Self>> {
        Self::decode_with(raw, datatype, &Heap::none())
    }
    /// Variable-length strings, and fixed-length strings without their padding; bytes that
    /// are not UTF-8 are replaced (U+FFFD).
    fn decode_with(raw: &[u8], datatype: &Datatype, heap: &Heap<'_>) -> Result<Vec<Self>> {
        match &datatype.class {
            TypeClass::String { padding, .. } => each(raw, datatype, |e| Ok(String::from_utf8_lossy(unpad(e, *padding)).into_owned())),
            TypeClass::VarLenString { .. } => each(raw, datatype, |e| Ok(String::from_utf8_lossy(&heap.get(e, datatype)?).into_owned())),
            _ => Err(Error::usage(format!("cannot convert HDF5 {} data to String", crate::handle::type_name(datatype)))),
        }
    }
}

#[cfg(feature = "write")]
impl<T: crate::H5Write> crate::H5Write for VarLen<T> {
    const NAME: &'static str = "VarLen";
    fn datatype() -> Datatype {
        h5kit_write::dtype::vlen_sequence(T::datatype())
    }
    fn put(&self, out: &mut Vec<u8>) {
        out.resize(out.len() + Self::datatype().size as usize, 0);
    }
    fn put_vlen(&self, pieces: &mut Vec<Vec<u8>>) {
        let mut bytes = Vec::new();
        for v in &self.0 {
            v.put(&mut bytes);
        }
        pieces.push(bytes);
    }
}

/// `String` is written as a variable-length UTF-8 string (h5py's `str`).
#[cfg(feature = "write")]
impl crate::H5Write for String {
    const NAME: &'static str = "String";
    fn datatype() -> Datatype {
        h5kit_write::dtype::vlen_string()
    }
    fn put(&self, out: &mut Vec<u8>) {
        out.resize(out.len() + Self::datatype().size as usize, 0);
    }
    fn put_vlen(&self, pieces: &mut Vec<Vec<u8>>) {
        pieces.push(self.as_bytes().to_vec());
    }
}
