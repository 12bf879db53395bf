//! References written in place (spec IV.A.2.d datatype class 7 "Reference"; III.E "Global
//! Heap"; VIII.A "Dataspace Selection"), as libhdf5 1.10 writes `H5R_OBJECT1` and
//! `H5R_DATASET_REGION1` values:
//! - an object reference is the target's object header address (8 bytes; 0 is null);
//! - a dataset region reference is a global heap ID (collection address, object index: 12
//!   bytes; all zeros is null) of an object holding the target dataset's header address and
//!   the serialized selection ([`selection_bytes`]).
//!
//! Targets are resolved when written; since the editor never moves an object header, the
//! addresses stay valid for the life of the file (the in-memory model resolved them at each
//! serialization instead).

use h5kit_core::{Error, Result, Writer};
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{Dataspace, DataspaceKind, Datatype, ReferenceKind, TypeClass};

use super::Editor;
use crate::Region;

/// Dataspace selection (spec VIII.A) of a region reference: "all" (type 3, version 1) or a
/// version 1 hyperslab (type 2: 32-bit start and inclusive end offsets per block).
pub(crate) fn selection_bytes(region: &Region) -> Vec<u8> {
    let mut b = Vec::new();
    let u32le = |v: u32, b: &mut Vec<u8>| b.extend_from_slice(&v.to_le_bytes());
    match region {
        Region::All => {
            u32le(3, &mut b);
            u32le(1, &mut b);
            b.extend_from_slice(&[0; 8]);
        }
        Region::Blocks(blocks) => {
            let rank = blocks.first().map(|(s, _)| s.len()).unwrap_or(0);
            u32le(2, &mut b);
            u32le(1, &mut b);
            u32le(0, &mut b);
            u32le((8 + blocks.len() * rank * 8) as u32, &mut b);
            u32le(rank as u32, &mut b);
            u32le(blocks.len() as u32, &mut b);
            for (start, count) in blocks {
                for &s in start {
                    u32le(s as u32, &mut b);
                }
                for (&s, &c) in start.iter().zip(count) {
                    u32le(s.saturating_add(c.max(1) - 1) as u32, &mut b);
                }
            }
        }
    }
    b
}

/// Checks the blocks of region references: start and count of one rank, counts above 0,
/// ends below 2^32 (the version 1 hyperslab encoding).
pub(crate) fn check_regions<'a>(regions: impl Iterator<Item = &'a Region>) -> Result<()> {
    for r in regions {
        if let Region::Blocks(blocks) = r {
            let bad = |(s, c): &(Vec<u64>, Vec<u64>)| {
                s.len() != c.len() || c.contains(&0) || s.iter().zip(c).any(|(a, b)| a.checked_add(*b).is_none_or(|e| e > u32::MAX as u64))
            };
            if blocks.is_empty() || blocks.iter().any(bad) {
                return Err(Error::usage("region blocks need start and count of the same rank, counts > 0, ends below 2^32"));
            }
        }
    }
    Ok(())
}

fn is_kind(dt: &Datatype, want: ReferenceKind) -> bool {
    matches!(&dt.class, TypeClass::Reference { kind } if *kind == want)
}

impl Editor {
    /// The stored bytes of object references to `targets` (`None`: null).
    fn object_reference_bytes(&mut self, targets: &[Option<&str>]) -> Result<Vec<u8>> {
        let mut w = Writer::new(0, self.sizes);
        for t in targets {
            match t {
                None => w.offset(0)?,
                Some(p) => {
                    let a = self.resolve(p).map_err(|e| e.context(format!("object reference to {}", p)))?;
                    w.offset(a)?;
                }
            }
        }
        Ok(w.into_inner())
    }

    /// The stored bytes of region references (`None`: null): each region a global heap object.
    fn region_reference_bytes(&mut self, targets: &[Option<(&str, Region)>]) -> Result<Vec<u8>> {
        check_regions(targets.iter().flatten().map(|(_, r)| r))?;
        // Every target checked before anything goes to the heap.
        let mut resolved = Vec::with_capacity(targets.len());
        for t in targets {
            resolved.push(match t {
                None => None,
                Some((p, region)) => {
                    let a = self.resolve(p).map_err(|e| e.context(format!("region reference to {}", p)))?;
                    if self.header(a)?.find(msg_type::LAYOUT).is_none() {
                        return Err(Error::not_found(format!("region reference to {}: not a dataset", p)));
                    }
                    Some((a, region))
                }
            });
        }
        let mut w = Writer::new(0, self.sizes);
        for r in resolved {
            match r {
                None => {
                    w.offset(0)?;
                    w.u32(0);
                }
                Some((a, region)) => {
                    let mut obj = Writer::new(0, self.sizes);
                    obj.offset(a)?;
                    obj.bytes(&selection_bytes(region));
                    let (collection, index) = self.global_heap_insert(&obj.into_inner())?;
                    w.offset(collection)?;
                    w.u32(u32::from(index));
                }
            }
        }
        Ok(w.into_inner())
    }

    /// Writes object references into the whole dataset at `path` (datatype `H5T_STD_REF_OBJ`).
    pub fn write_references(&mut self, path: &str, targets: &[Option<&str>]) -> Result<()> {
        let dt = self.dataset_datatype(path)?;
        if !is_kind(&dt, ReferenceKind::Object) {
            return Err(Error::usage(format!("{}: not an object reference dataset", path)));
        }
        let n = self.dataset_element_count(path)?;
        if targets.len() as u64 != n {
            return Err(Error::usage(format!("{}: shape mismatch: {} references for {} elements", path, targets.len(), n)));
        }
        let bytes = self.object_reference_bytes(targets)?;
        self.write_dataset_bytes(path, &bytes)
    }

    /// Writes dataset region references into the whole dataset at `path` (datatype
    /// `H5T_STD_REF_DSETREG`).
    pub fn write_region_references(&mut self, path: &str, targets: &[Option<(&str, Region)>]) -> Result<()> {
        let dt = self.dataset_datatype(path)?;
        if !is_kind(&dt, ReferenceKind::DatasetRegion) {
            return Err(Error::usage(format!("{}: not a region reference dataset", path)));
        }
        let n = self.dataset_element_count(path)?;
        if targets.len() as u64 != n {
            return Err(Error::usage(format!("{}: shape mismatch: {} references for {} elements", path, targets.len(), n)));
        }
        let bytes = self.region_reference_bytes(targets)?;
        self.write_dataset_bytes(path, &bytes)
    }

    /// Creates or replaces an attribute of object references (`shape` `None`: scalar).
    pub fn set_reference_attribute(&mut self, object_path: &str, name: &str, shape: Option<&[u64]>, targets: &[Option<&str>]) -> Result<()> {
        let n = shape.map(crate::sat_prod).unwrap_or(1);
        if targets.len() as u64 != n {
            return Err(Error::usage(format!("attribute {:?}: {} references for {} elements", name, targets.len(), n)).in_object(object_path));
        }
        self.resolve(object_path)?;
        let bytes = self.object_reference_bytes(targets)?;
        self.put_attribute(object_path, name, crate::dtype::object_reference(), shape, bytes)
    }

    /// Creates or replaces an attribute of dataset region references (`shape` `None`: scalar).
    pub fn set_region_reference_attribute(
        &mut self,
        object_path: &str,
        name: &str,
        shape: Option<&[u64]>,
        targets: &[Option<(&str, Region)>],
    ) -> Result<()> {
        let n = shape.map(crate::sat_prod).unwrap_or(1);
        if targets.len() as u64 != n {
            return Err(Error::usage(format!("attribute {:?}: {} references for {} elements", name, targets.len(), n)).in_object(object_path));
        }
        self.resolve(object_path)?;
        let bytes = self.region_reference_bytes(targets)?;
        let dataspace = Dataspace {
            version: 1,
            kind: if shape.is_some() { DataspaceKind::Simple } else { DataspaceKind::Scalar },
            dims: shape.map(|s| s.to_vec()).unwrap_or_default(),
            max_dims: None,
        };
        self.put_attribute_space(object_path, name, crate::dtype::region_reference(), dataspace, bytes)
    }
}
