//! Driver information block (spec II.B "Disk Format: Level 0B - File Driver Info"), version 0.
//!
//! The block is kept raw ([`DriverInfo::data`]); [`DriverInfo::family_member_size`] decodes the
//! one field of the family driver ("NCSAfami"), the multi driver ("NCSAmult") layout is left to
//! callers that support it.

use h5kit_core::{Context, Error, Reader, Result};

/// A driver information block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverInfo {
    /// "Driver Identification": 8 ASCII characters, e.g. "NCSAmult", "NCSAfami".
    pub driver_id: String,
    /// "Driver Information": driver-defined bytes ("Driver Information Size" of them).
    pub data: Vec<u8>,
}

impl DriverInfo {
    /// For the family driver: "Size of Member File" (8 bytes little-endian).
    pub fn family_member_size(&self) -> Option<u64> {
        if !self.driver_id.starts_with("NCSAfami") {
            return None;
        }
        let b: [u8; 8] = self.data.get(..8)?.try_into().ok()?;
        Some(u64::from_le_bytes(b))
    }
}

/// Reads the driver information block at HDF5 address `address`.
pub fn read_driver_info(ctx: Context, address: u64) -> Result<DriverInfo> {
    let head = ctx.read(address, 16, "driver information block")?;
    let mut r = Reader::new(&head, address, ctx.sizes);
    let version = r.u8()?;
    if version != 0 {
        return Err(Error::unsupported(address, format!("driver information block version {}", version)));
    }
    r.skip(3)?;
    let size = r.u32()?;
    let id = r.array::<8>()?;
    let driver_id: String = id.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '?' }).collect();
    let data_at = address
        .checked_add(16)
        .ok_or_else(|| Error::format(address, "driver information block address overflows"))?;
    let data = ctx.read(data_at, u64::from(size), "driver information")?.into_owned();
    Ok(DriverInfo { driver_id, data })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use h5kit_core::{Limits, MemStorage, Sizes};

    #[test]
    fn family_block() {
        let mut b = vec![0u8; 32];
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(&8u32.to_le_bytes());
        b.extend_from_slice(b"NCSAfami");
        b.extend_from_slice(&1_000_000u64.to_le_bytes());
        let st = MemStorage::new(b);
        let limits = Limits::default();
        let ctx = Context::new(&st, Sizes::default(), &limits, 0);
        let d = read_driver_info(ctx, 32).unwrap();
        assert_eq!(d.driver_id, "NCSAfami");
        assert_eq!(d.family_member_size(), Some(1_000_000));
        // truncated data
        assert!(read_driver_info(ctx, 33).is_err());
        assert!(read_driver_info(ctx, u64::MAX - 3).is_err());
    }
}
