//! The I/O filter pipeline of a fractal heap (encoded as a Filter Pipeline message, spec
//! IV.A.2.l "The Data Storage - Filter Pipeline Message", versions 1 and 2): decoded just
//! enough to undo deflate, shuffle and Fletcher32 on direct blocks and huge objects.

use std::io::Read;

use h5kit_core::{Error, Limits, Reader, Result, Sizes};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub id: u16,
    pub flags: u16,
    pub client_data: Vec<u32>,
}

/// Decodes the filter pipeline message bytes at file address `at`.
pub fn decode_pipeline(bytes: &[u8], at: u64, sizes: Sizes) -> Result<Vec<Filter>> {
    let mut r = Reader::new(bytes, at, sizes);
    let version = r.u8()?;
    let n = r.u8()?;
    if version == 1 {
        r.skip(6)?;
    } else if version != 2 {
        return Err(Error::format(at, format!("filter pipeline version {} is not 1 or 2", version)));
    }
    let mut out = Vec::new();
    for _ in 0..n {
        let id = r.u16()?;
        let name_len = if version == 1 || id >= 256 { r.u16()? as usize } else { 0 };
        let flags = r.u16()?;
        let nvalues = r.u16()? as usize;
        if version == 1 {
            // The name is padded to a multiple of eight (name_len already is).
            r.skip(name_len)?;
        } else {
            r.skip(name_len)?;
        }
        let mut client_data = Vec::with_capacity(nvalues.min(r.remaining() / 4));
        for _ in 0..nvalues {
            client_data.push(r.u32()?);
        }
        if version == 1 && nvalues % 2 == 1 {
            r.skip(4.min(r.remaining()))?;
        }
        out.push(Filter { id, flags, client_data });
    }
    Ok(out)
}

/// Undoes the pipeline on `data` (filters applied in reverse order, skipping those whose bit is
/// set in `mask`). `at` is the file address of the filtered bytes (for errors).
pub fn unfilter(filters: &[Filter], mask: u32, data: Vec<u8>, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let mut data = data;
    for (i, f) in filters.iter().enumerate().rev() {
        if i < 32 && mask & (1u32 << i) != 0 {
            continue;
        }
        data = match f.id {
            1 => inflate(&data, limits, at)?,
            2 => unshuffle(&data, f.client_data.first().copied().unwrap_or(1) as usize),
            3 => {
                // Fletcher32: drop the 4-byte checksum at the end.
                let n = data.len().checked_sub(4).ok_or_else(|| Error::format(at, "Fletcher32 data shorter than its checksum"))?;
                data.truncate(n);
                data
            }
            other => {
                return Err(Error::unsupported(at, format!("fractal heap filter {} is not supported", other)));
            }
        };
    }
    Ok(data)
}

fn inflate(data: &[u8], limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let max = limits.max_alloc;
    let mut dec = flate2::read::ZlibDecoder::new(data).take(max.saturating_add(1));
    dec.read_to_end(&mut out).map_err(|e| Error::format(at, format!("deflate data is corrupt: {}", e)))?;
    if out.len() as u64 > max {
        return Err(Error::limit(at, format!("inflated block exceeds {} bytes", max)));
    }
    Ok(out)
}

fn unshuffle(data: &[u8], size: usize) -> Vec<u8> {
    if size <= 1 || data.len() < size {
        return data.to_vec();
    }
    let n = data.len() / size;
    let mut out = data.to_vec();
    for (j, chunk) in out.chunks_exact_mut(size).enumerate() {
        for (b, v) in chunk.iter_mut().enumerate() {
            if let Some(&s) = data.get(b * n + j) {
                *v = s;
            }
        }
    }
    out
}
