//! Local heap (spec III.D "Disk Format: Level 1D - Local Heaps"): a header ("HEAP") and a data
//! segment holding NUL-terminated names (group link names, symbolic link values).

use h5kit_core::{Context, Error, Reader, Result};

/// A local heap: its header fields and its data segment bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalHeap {
    /// Address of the heap header.
    pub address: u64,
    /// "Offset to Head of Free-list" (`None` when undefined).
    pub free_list_offset: Option<u64>,
    /// "Address of Data Segment".
    pub data_address: u64,
    data: Vec<u8>,
}

impl LocalHeap {
    /// Reads the heap header at `address` and its whole data segment.
    pub fn read(ctx: Context, address: u64) -> Result<LocalHeap> {
        let l = ctx.sizes.length as u64;
        let o = ctx.sizes.offset as u64;
        let len = 8 + 2 * l + o;
        let head = ctx.read(address, len, "local heap header")?;
        let mut r = Reader::new(&head, address, ctx.sizes);
        r.signature(b"HEAP", "local heap")?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(address, format!("local heap version {} (expected 0)", version)));
        }
        r.skip(3)?;
        let size = r.length()?;
        let free = r.length()?;
        let free_list_offset = if l < 8 && free == (1u64 << (8 * l)) - 1 || free == u64::MAX { None } else { Some(free) };
        let at = r.address();
        let data_address =
            r.address_field()?.ok_or_else(|| Error::format(at, "local heap data segment address is undefined"))?;
        if size > ctx.end_of_file() {
            return Err(Error::format(address, format!("local heap data segment of {} bytes is larger than the file", size)));
        }
        let data = ctx.read(data_address, size, "local heap data segment")?.into_owned();
        Ok(LocalHeap { address, free_list_offset, data_address, data })
    }

    /// The NUL-terminated string at `offset` in the data segment (NUL excluded).
    pub fn string_at(&self, offset: u64) -> Result<&[u8]> {
        let start = usize::try_from(offset).ok().filter(|&s| s < self.data.len()).ok_or_else(|| {
            Error::format(
                self.data_address,
                format!("local heap offset {} is outside the data segment of {} bytes", offset, self.data.len()),
            )
        })?;
        let rest = self.data.get(start..).unwrap_or_default();
        match rest.iter().position(|&b| b == 0) {
            Some(n) => Ok(rest.get(..n).unwrap_or_default()),
            None => Err(Error::format(
                self.data_address.saturating_add(offset),
                format!("local heap string at offset {} has no NUL terminator", offset),
            )),
        }
    }

    /// The data segment bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}
