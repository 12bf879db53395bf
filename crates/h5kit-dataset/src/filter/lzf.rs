//! LZF filter (id 32000, h5py's `lzf_filter.c`): one LZF stream (liblzf format).
//! Client data: filter version, LZF version, chunk size in bytes (the expected output size).
//!
//! LZF stream: a control byte `c`; `c < 32`: `c + 1` literal bytes follow; otherwise a back
//! reference of length `(c >> 5) + 2` (length field 7: add the next byte) at distance
//! `((c & 31) << 8) + next byte + 1`.

use h5kit_core::{Error, Limits, Result};

/// Client data h5py's `set_local` writes: filter version 4, LZF version 0x0105.
pub const FILTER_VERSION: u32 = 4;
pub const LZF_VERSION: u32 = 0x0105;

/// Decompresses one LZF stream.
pub fn decode(data: &[u8], client_data: &[u32], limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let hint = client_data.get(2).copied().unwrap_or(0) as u64;
    let cap = if hint > 0 { hint } else { (data.len() as u64).saturating_mul(2) };
    let mut out: Vec<u8> = Vec::with_capacity(super::check_size(limits, cap.min(limits.max_alloc), at, "LZF output")?);
    let bad = |msg: &str| Error::format(at, format!("LZF: {}", msg));
    let mut rest = data;
    while let Some((&ctrl, tail)) = rest.split_first() {
        let ctrl = usize::from(ctrl);
        rest = tail;
        if ctrl < 32 {
            let n = ctrl + 1;
            if rest.len() < n {
                return Err(bad("literal run past the end of the input"));
            }
            let (lit, tail) = rest.split_at(n);
            out.extend_from_slice(lit);
            rest = tail;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                let (&extra, tail) = rest.split_first().ok_or_else(|| bad("truncated back reference"))?;
                len += usize::from(extra);
                rest = tail;
            }
            let (&low, tail) = rest.split_first().ok_or_else(|| bad("truncated back reference"))?;
            rest = tail;
            let dist = ((ctrl & 0x1f) << 8) + usize::from(low) + 1;
            let start = out.len().checked_sub(dist).ok_or_else(|| bad("back reference before the start of the output"))?;
            // Overlapping copy, byte by byte (the source may be the bytes being written).
            for k in start..start + len + 2 {
                let b = out.get(k).copied().ok_or_else(|| bad("back reference past the output"))?;
                out.push(b);
            }
        }
        if out.len() as u64 > limits.max_alloc {
            return Err(Error::limit(at, format!("LZF output exceeds the limit of {} bytes", limits.max_alloc)));
        }
    }
    Ok(out)
}

const HLOG: u32 = 14;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);
const MAX_LIT: usize = 1 << 5;

fn hash3(b: &[u8]) -> usize {
    let v = b.iter().take(3).fold(0u32, |a, &x| (a << 8) | u32::from(x));
    (v.wrapping_mul(2_654_435_761) >> (32 - HLOG)) as usize
}

fn push_literals(out: &mut Vec<u8>, lit: &[u8]) {
    for run in lit.chunks(MAX_LIT) {
        // run.len() is 1..=32: the control byte is len - 1 (< 32).
        out.push((run.len() - 1) as u8);
        out.extend_from_slice(run);
    }
}

/// Compresses into one LZF stream (liblzf's format: greedy matches found through a hash of 3
/// bytes, distances below 8 KiB, lengths up to 264). Returns `None` when the stream would be
/// larger than the input: h5py's filter then fails, and libhdf5 stores the chunk unfiltered
/// with the filter's mask bit set (LZF is an optional filter).
pub fn encode(data: &[u8]) -> Option<Vec<u8>> {
    if data.is_empty() {
        return None;
    }
    let n = data.len();
    let mut out = Vec::with_capacity(n + n / 32 + 1);
    let mut table = vec![0usize; 1 << HLOG];
    let mut lit_start = 0usize;
    let mut i = 0usize;
    while i + 3 <= n {
        let Some(cur) = data.get(i..) else { break };
        let h = hash3(cur);
        let Some(slot) = table.get_mut(h) else { break };
        let cand = *slot;
        *slot = i + 1;
        if cand > 0 {
            let r = cand - 1;
            let off = i - r - 1;
            if off < MAX_OFF {
                let Some(prev) = data.get(r..) else { break };
                let len = prev.iter().zip(cur).take(MAX_REF.min(n - i)).take_while(|(a, b)| a == b).count();
                if len >= 3 {
                    push_literals(&mut out, data.get(lit_start..i).unwrap_or(&[]));
                    let l = len - 2;
                    let hi = (off >> 8) as u8;
                    if l < 7 {
                        out.push(((l as u8) << 5) | hi);
                    } else {
                        out.push((7 << 5) | hi);
                        out.push((l - 7) as u8);
                    }
                    out.push((off & 0xff) as u8);
                    // Index the positions inside the match (better later matches).
                    for p in i + 1..(i + len).min(n.saturating_sub(2)) {
                        if let Some(t) = data.get(p..).and_then(|s| table.get_mut(hash3(s))) {
                            *t = p + 1;
                        }
                    }
                    i += len;
                    lit_start = i;
                    if out.len() > n {
                        return None;
                    }
                    continue;
                }
            }
        }
        i += 1;
    }
    push_literals(&mut out, data.get(lit_start..).unwrap_or(&[]));
    if out.len() > n {
        return None;
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
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

    #[test]
    fn encode_roundtrip_and_incompressible() {
        // A run of one byte: literal 'x' then references at distance 1.
        let e = encode(&[b'x'; 20]).unwrap();
        assert_eq!(e, [0, b'x', 7 << 5, 10, 0]);
        let text = b"the quick brown fox jumps over the lazy dog; the quick brown fox jumps again".repeat(50);
        let mut long = vec![0u8; 100_000];
        for (i, b) in long.iter_mut().enumerate() {
            *b = ((i / 3) % 251) as u8;
        }
        for data in [text.clone(), long, (0..=255u8).collect::<Vec<_>>().repeat(40), b"abcabcabc".to_vec()] {
            let e = encode(&data).unwrap();
            assert!(e.len() <= data.len());
            assert_eq!(decode(&e, &[], &Limits::default(), 0).unwrap(), data);
        }
        assert!(encode(&text).unwrap().len() < text.len() / 10);
        // Incompressible input: no stream (the filter fails, the chunk is stored raw).
        let mut x = 12345u32;
        let noise: Vec<u8> = (0..1000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        assert_eq!(encode(&noise), None);
        assert_eq!(encode(&[]), None);
    }
}
