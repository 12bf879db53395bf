//! Driver information block (spec II.B "Disk Format: Level 0B - File Driver Info"), version 0.
//!
//! The block is kept raw ([`DriverInfo::data`]); [`DriverInfo::family_member_size`] decodes the
//! one field of the family driver ("NCSAfami"), the multi driver ("NCSAmult") layout is left to
//! callers that support it. [`DriverInfo::decode`] and [`DriverInfo::encode`] sit side by side.

use h5kit_core::{Context, Error, Reader, Result, Writer};

/// Bytes before the driver information: version, reserved, size, identification.
const PREFIX_SIZE: u64 = 16;

/// A driver information block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverInfo {
    /// "Driver Identification": 8 ASCII characters, e.g. "NCSAmult", "NCSAfami" (bytes that are
    /// not printable ASCII are decoded as '?').
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

    /// Decodes the whole block (version 0) at the reader's position.
    pub fn decode(r: &mut Reader) -> Result<DriverInfo> {
        let at = r.address();
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::unsupported(at, format!("driver information block version {}", version)));
        }
        r.skip(3)?;
        let size = r.u32()?;
        let id = r.array::<8>()?;
        let driver_id: String =
            id.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '?' }).collect();
        let data = r.bytes(size as usize)?.to_vec();
        Ok(DriverInfo { driver_id, data })
    }

    /// Encoded size: 16 bytes of prefix and the driver information.
    pub fn encoded_size(&self) -> u64 {
        PREFIX_SIZE + self.data.len() as u64
    }

    /// Encodes the block (version 0). The identification must be 8 printable ASCII characters.
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        let id: [u8; 8] = self
            .driver_id
            .as_bytes()
            .try_into()
            .ok()
            .filter(|id: &[u8; 8]| id.iter().all(|&b| b.is_ascii_graphic() || b == b' '))
            .ok_or_else(|| Error::usage(format!("driver identification {:?} is not 8 ASCII characters", self.driver_id)))?;
        let size = u32::try_from(self.data.len())
            .map_err(|_| Error::usage(format!("driver information of {} bytes does not fit in 32 bits", self.data.len())))?;
        w.u8(0);
        w.zeros(3);
        w.u32(size);
        w.bytes(&id);
        w.bytes(&self.data);
        Ok(())
    }
}

/// Reads the driver information block at HDF5 address `address`.
pub fn read_driver_info(ctx: Context, address: u64) -> Result<DriverInfo> {
    let head = ctx.read(address, PREFIX_SIZE, "driver information block")?;
    let size = head.get(4..8).and_then(|s| <[u8; 4]>::try_from(s).ok()).map(u32::from_le_bytes).unwrap_or(0);
    let all = ctx.read(address, PREFIX_SIZE + u64::from(size), "driver information")?;
    DriverInfo::decode(&mut Reader::new(&all, address, ctx.sizes))
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
        let st = MemStorage::new(b.clone());
        let limits = Limits::default();
        let ctx = Context::new(&st, Sizes::default(), &limits, 0);
        let d = read_driver_info(ctx, 32).unwrap();
        assert_eq!(d.driver_id, "NCSAfami");
        assert_eq!(d.family_member_size(), Some(1_000_000));
        // Re-encoded byte for byte.
        let mut w = Writer::new(32, Sizes::default());
        d.encode(&mut w).unwrap();
        assert_eq!(w.as_slice(), &b[32..]);
        assert_eq!(d.encoded_size(), 24);
        // truncated data
        assert!(read_driver_info(ctx, 33).is_err());
        assert!(read_driver_info(ctx, u64::MAX - 3).is_err());
    }

    #[test]
    fn unencodable_identification() {
        let mut w = Writer::new(0, Sizes::default());
        for id in ["NCSA", "NCSAfamily", "NCSA?\u{e9}mi"] {
            assert!(DriverInfo { driver_id: id.into(), data: vec![] }.encode(&mut w).is_err(), "{}", id);
        }
        assert!(w.is_empty());
    }
}
