//! LZF filter (id 32000, h5py's `lzf_filter.c`): one LZF stream (liblzf format).
//! Client data: filter version, LZF version, chunk size in bytes (the expected output size).
//!
//! LZF stream: a control byte `c`; `c < 32`: `c + 1` literal bytes follow; otherwise a back
//! reference of length `(c >> 5) + 2` (length field 7: add the next byte) at distance
//! `((c & 31) << 8) + next byte + 1`.

use h5kit_core::{Error, Limits, Result};

/// Decompresses one LZF stream.
pub fn decode(data: &[u8], client_data: &[u32], limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let hint = client_data.get(2).copied().unwrap_or(0) as u64;
    let cap = if hint > 0 { hint } else { data.len() as u64 * 2 };
    let mut out: Vec<u8> = Vec::with_capacity(super::check_size(limits, cap.min(limits.max_alloc), at, "LZF output")?);
    let bad = |msg: &str| Error::format(at, format!("LZF: {}", msg));
    let mut i = 0usize;
    while i < data.len() {
        let ctrl = data[i] as usize;
        i += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            let lit = data.get(i..i + n).ok_or_else(|| bad("literal run past the end of the input"))?;
            out.extend_from_slice(lit);
            i += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *data.get(i).ok_or_else(|| bad("truncated back reference"))? as usize;
                i += 1;
            }
            let low = *data.get(i).ok_or_else(|| bad("truncated back reference"))? as usize;
            i += 1;
            let dist = ((ctrl & 0x1f) << 8) + low + 1;
            let start = out.len().checked_sub(dist).ok_or_else(|| bad("back reference before the start of the output"))?;
            for k in 0..len + 2 {
                let b = out[start + k];
                out.push(b);
            }
        }
        if out.len() as u64 > limits.max_alloc {
            return Err(Error::limit(at, format!("LZF output exceeds the limit of {} bytes", limits.max_alloc)));
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_overlapping_refs() {
        // "abc" literal, then a reference of length 2 + 4 = 6 at distance 3 -> "abcabcabc".
        let stream = [2u8, b'a', b'b', b'c', (4 << 5) as u8, 2];
        assert_eq!(decode(&stream, &[], &Limits::default(), 0).unwrap(), b"abcabcabc");
        // Long reference: length field 7 + extra 10 = 17, +2 = 19 copies of 'x'.
        let stream = [0u8, b'x', 7 << 5, 10, 0];
        assert_eq!(decode(&stream, &[], &Limits::default(), 0).unwrap(), vec![b'x'; 20]);
        assert!(decode(&[32, 5], &[], &Limits::default(), 0).is_err());
        assert!(decode(&[5, 1], &[], &Limits::default(), 0).is_err());
        assert!(decode(&[0, 1, 7 << 5], &[], &Limits::default(), 0).is_err());
    }
}
