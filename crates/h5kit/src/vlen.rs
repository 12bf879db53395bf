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
