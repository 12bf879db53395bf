//! Deflate filter (id 1): a zlib stream (RFC 1950). Client data: the compression level.


use h5kit_core::{Error, Limits, Result};

/// Inflates a zlib stream; the output is bounded by `limits.max_alloc`.
pub fn decode(data: &[u8], limits: &Limits, at: u64) -> Result<Vec<u8>> {
    decode_sized(data, 0, limits, at)
}

/// Inflates a zlib stream expected to give `expected` bytes (the unfiltered chunk size; 0 if
/// unknown): the output buffer is allocated once at that size and inflated into directly.
/// Longer output is still accepted (bounded by `limits.max_alloc`).
pub fn decode_sized(data: &[u8], expected: usize, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    decode_into(data, &mut out, expected, limits, at)?;
    Ok(out)
}

/// As [`decode_sized`], into `out` (cleared first; its allocation is reused when large
/// enough, so a caller decoding many chunks can recycle one buffer).
pub fn decode_into(data: &[u8], out: &mut Vec<u8>, expected: usize, limits: &Limits, at: u64) -> Result<()> {
    decode_with(&mut flate2::Decompress::new(true), data, out, expected, limits, at)
}

/// As [`decode_into`], with the inflate state `z` (reset first): a caller inflating many
/// chunks keeps one state, whose window and tables are then allocated once.
pub fn decode_with(z: &mut flate2::Decompress, data: &[u8], out: &mut Vec<u8>, expected: usize, limits: &Limits, at: u64) -> Result<()> {
    use flate2::{FlushDecompress, Status};
    z.reset(true);
    let max = usize::try_from(limits.max_alloc).unwrap_or(usize::MAX);
    let first = if expected > 0 {
        (expected as u64).min(limits.max_alloc) as usize
    } else {
        (data.len() as u64).saturating_mul(4).min(limits.max_alloc).min(1 << 26) as usize
    };
    out.clear();
    out.reserve(first.max(64));
    let corrupt = |e: &dyn std::fmt::Display| Error::format(at, format!("deflate: corrupt zlib stream: {}", e));
    loop {
        let consumed = usize::try_from(z.total_in()).unwrap_or(usize::MAX);
        let input = data.get(consumed..).unwrap_or(&[]);
        let before = (z.total_in(), z.total_out());
        let status = z.decompress_vec(input, out, FlushDecompress::Finish).map_err(|e| corrupt(&e))?;
        if status == Status::StreamEnd {
            break;
        }
        if out.len() >= max {
            return Err(Error::limit(at, format!("deflate output exceeds the limit of {} bytes", limits.max_alloc)));
        }
        if out.len() == out.capacity() {
            let more = out.capacity().max(64).min(max - out.len());
            out.reserve(more);
        } else if (z.total_in(), z.total_out()) == before {
            return Err(corrupt(&"stream ends early"));
        }
    }
    if out.len() > max {
        return Err(Error::limit(at, format!("deflate output exceeds the limit of {} bytes", limits.max_alloc)));
    }
    Ok(())
}

/// Deflates with zlib framing at `level` (0-9).
pub fn encode(data: &[u8], level: u32) -> Result<Vec<u8>> {
    use flate2::{Compress, Compression, FlushCompress, Status};
    let mut z = Compress::new(Compression::new(level.min(9)), true);
    // zlib's compressBound: the output fits at once for any input, so one call normally does it.
    let n = data.len();
    let bound = n.saturating_add(n >> 12).saturating_add(n >> 14).saturating_add(n >> 25).saturating_add(64);
    let mut out = Vec::with_capacity(bound);
    loop {
        let consumed = usize::try_from(z.total_in()).unwrap_or(usize::MAX);
        let rest = data.get(consumed..).unwrap_or(&[]);
        match z.compress_vec(rest, &mut out, FlushCompress::Finish) {
            Ok(Status::StreamEnd) => return Ok(out),
            Ok(_) => out.reserve(out.capacity().max(4096)),
            Err(e) => return Err(Error::io(std::io::Error::other(e), "deflate")),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_limits_and_garbage() {
        let data = vec![7u8; 10_000];
        let z = encode(&data, 9).unwrap();
        assert_eq!(decode(&z, &Limits::default(), 0).unwrap(), data);
        let small = Limits { max_alloc: 100, ..Limits::default() };
        assert_eq!(decode(&z, &small, 5).unwrap_err().kind, h5kit_core::ErrorKind::Limit);
        assert_eq!(decode(&[1, 2, 3, 4], &Limits::default(), 5).unwrap_err().kind, h5kit_core::ErrorKind::Format);
        // Expected size too small, right, or unknown: the same bytes.
        for expected in [0, 10, 9_999, 10_000, 20_000] {
            assert_eq!(decode_sized(&z, expected, &Limits::default(), 0).unwrap(), data);
        }
        // A truncated stream is an error, not a loop.
        assert_eq!(decode_sized(&z[..z.len() - 3], 10_000, &Limits::default(), 9).unwrap_err().kind, h5kit_core::ErrorKind::Format);
        // One state reused: each stream decodes alike, also after a corrupt one.
        let other: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let z2 = encode(&other, 4).unwrap();
        let mut state = flate2::Decompress::new(true);
        let mut out = Vec::new();
        for (input, want) in [(&z, Some(&data)), (&z2, Some(&other)), (&z2[..100].to_vec(), None), (&z, Some(&data))] {
            let r = decode_with(&mut state, input, &mut out, want.map_or(0, |w| w.len()), &Limits::default(), 0);
            match want {
                Some(w) => assert_eq!((r.unwrap(), &out), ((), w)),
                None => assert!(r.is_err()),
            }
        }
    }
}
