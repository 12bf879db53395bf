//! The dataspace message (spec IV.A.2.b "The Dataspace Message"), versions 1 and 2.
//!
//! Version 1 has no type field: rank 0 is a scalar dataspace, otherwise simple (libhdf5 never
//! wrote null dataspaces in version 1). Version 2 has the explicit type (0 scalar, 1 simple,
//! 2 null). Dimension sizes are "Size of Lengths" wide; a maximum of all ones is unlimited.

use h5kit_core::{Error, Reader, Result, Sizes, Writer};

use super::types::{Dataspace, DataspaceKind, UNLIMITED};

/// Highest rank libhdf5 accepts (`H5S_MAX_RANK`).
pub const MAX_RANK: usize = 32;

impl Dataspace {
    /// Decodes a dataspace message body.
    pub fn decode(r: &mut Reader) -> Result<Dataspace> {
        let at = r.address();
        let version = r.u8()?;
        let rank = r.u8()? as usize;
        let flags = r.u8()?;
        let kind = match version {
            1 => {
                r.skip(1)?; // reserved
                r.skip(4)?; // reserved
                if rank == 0 {
                    DataspaceKind::Scalar
                } else {
                    DataspaceKind::Simple
                }
            }
            2 => match r.u8()? {
                0 => DataspaceKind::Scalar,
                1 => DataspaceKind::Simple,
                2 => DataspaceKind::Null,
                t => return Err(Error::format(at, format!("unknown dataspace type {}", t))),
            },
            v => return Err(Error::format(at, format!("unknown dataspace message version {}", v))),
        };
        if rank > MAX_RANK {
            return Err(Error::format(at, format!("dataspace rank {} exceeds {}", rank, MAX_RANK)));
        }
        if kind != DataspaceKind::Simple && rank != 0 {
            return Err(Error::format(at, format!("{:?} dataspace with rank {}", kind, rank)));
        }
        let width = r.sizes().length;
        let all_ones = if width >= 8 { u64::MAX } else { (1u64 << (8 * u32::from(width))) - 1 };
        let mut dims = Vec::with_capacity(rank);
        for _ in 0..rank {
            dims.push(r.length()?);
        }
        let max_dims = if flags & 0x01 != 0 {
            let mut m = Vec::with_capacity(rank);
            for _ in 0..rank {
                let v = r.length()?;
                m.push(if v == all_ones { UNLIMITED } else { v });
            }
            Some(m)
        } else {
            None
        };
        if let Some(m) = &max_dims {
            // libhdf5 refuses a dataspace whose current size exceeds its maximum.
            if let Some((i, (d, mx))) = dims.iter().zip(m).enumerate().find(|(_, (d, mx))| **mx != UNLIMITED && *d > *mx) {
                return Err(Error::format(
                    at,
                    format!("dataspace dimension {} has size {} above its maximum {}", i, d, mx),
                ));
            }
        }
        if version == 1 && flags & 0x02 != 0 {
            // Permutation indices: never implemented by libhdf5; skipped.
            for _ in 0..rank {
                r.length()?;
            }
        }
        Ok(Dataspace { version, kind, dims, max_dims })
    }

    /// Encodes a dataspace message body (versions 1 and 2). A null dataspace has no version 1
    /// encoding; dimensions must fit "Size of Lengths" ([`UNLIMITED`] is written as all ones).
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        let rank = self.dims.len();
        if rank > MAX_RANK {
            return Err(Error::usage(format!("dataspace rank {} exceeds {}", rank, MAX_RANK)));
        }
        if self.kind != DataspaceKind::Simple && rank != 0 {
            return Err(Error::usage(format!("{:?} dataspace with {} dimensions", self.kind, rank)));
        }
        if let Some(m) = &self.max_dims {
            if m.len() != rank {
                return Err(Error::usage(format!("dataspace rank {} with {} maximum dimensions", rank, m.len())));
            }
        }
        let flags = u8::from(self.max_dims.is_some());
        w.u8(self.version);
        w.u8(rank as u8);
        w.u8(flags);
        match (self.version, self.kind) {
            (1, DataspaceKind::Null) => return Err(Error::usage("a null dataspace has no version 1 encoding")),
            (1, _) => w.zeros(5),
            (2, DataspaceKind::Scalar) => w.u8(0),
            (2, DataspaceKind::Simple) => w.u8(1),
            (2, DataspaceKind::Null) => w.u8(2),
            (v, _) => return Err(Error::usage(format!("unknown dataspace message version {}", v))),
        }
        for &d in &self.dims {
            w.length(d)?;
        }
        let width = w.sizes().length;
        let all_ones = if width >= 8 { u64::MAX } else { (1u64 << (8 * u32::from(width))) - 1 };
        for &m in self.max_dims.iter().flatten() {
            w.length(if m == UNLIMITED { all_ones } else { m })?;
        }
        Ok(())
    }

    /// Size of [`Dataspace::encode`]'s output.
    pub fn encoded_size(&self, sizes: Sizes) -> usize {
        let n = self.dims.len() * if self.max_dims.is_some() { 2 } else { 1 };
        let prefix = if self.version == 1 { 8 } else { 4 };
        prefix + n * usize::from(sizes.length)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use h5kit_core::Sizes;

    #[test]
    fn v2_null_scalar_simple() {
        let s = Sizes::default();
        let d = Dataspace::decode(&mut Reader::new(&[2, 0, 0, 2], 0, s)).unwrap();
        assert_eq!(d.kind, DataspaceKind::Null);
        assert_eq!(d.element_count(), Some(0));
        let d = Dataspace::decode(&mut Reader::new(&[2, 0, 0, 0], 0, s)).unwrap();
        assert_eq!(d.kind, DataspaceKind::Scalar);
        let mut b = vec![2, 1, 1, 1];
        b.extend_from_slice(&5u64.to_le_bytes());
        b.extend_from_slice(&u64::MAX.to_le_bytes());
        let d = Dataspace::decode(&mut Reader::new(&b, 0, s)).unwrap();
        assert_eq!(d.dims, vec![5]);
        assert_eq!(d.max_dims, Some(vec![UNLIMITED]));
        assert!(Dataspace::decode(&mut Reader::new(&[2, 200, 0, 1], 0, s)).is_err());
        assert!(Dataspace::decode(&mut Reader::new(&[2, 2, 0, 1, 0], 0, s)).is_err());
    }
}
