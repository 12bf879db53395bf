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

// The compressor is liblzf's `lzf_compress` as h5py builds it (lzfP.h: HLOG 17, ULTRA_FAST,
// hash table zeroed), so that chunks come out byte for byte as h5py writes them.
const HLOG: u32 = 17;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// liblzf's hash slot (ULTRA_FAST `IDX`) of the 3 bytes in the low 24 bits of `h`.
fn idx(h: u32) -> usize {
    ((h >> (24 - HLOG)).wrapping_sub(h) as usize) & (HSIZE - 1)
}

/// Compresses into one LZF stream exactly as h5py's filter does (liblzf's `lzf_compress`
/// with an output buffer the size of the input). Returns `None` when liblzf gives up (the
/// stream would not fit in the input's size): h5py's filter then fails, and libhdf5 stores
/// the chunk unfiltered with the filter's mask bit set (LZF is an optional filter).
pub fn encode(data: &[u8]) -> Option<Vec<u8>> {
    let n = data.len();
    if n == 0 {
        return None;
    }
    let out_end = n;
    // Positions written stay below out_end + 1 (checked before each write below).
    let mut out = vec![0u8; n + 2];
    let mut table = vec![0usize; HSIZE]; // position + 1; 0 = empty
    let at = |i: usize| data.get(i).copied().unwrap_or(0);
    fn put(out: &mut [u8], i: usize, v: u8) -> Option<()> {
        *out.get_mut(i)? = v;
        Some(())
    }
    /// Appends one literal byte to the current run; a full run (MAX_LIT) gets its length
    /// byte and a new run starts.
    fn literal(out: &mut [u8], op: &mut usize, lit: &mut usize, v: u8) -> Option<()> {
        *lit += 1;
        put(out, *op, v)?;
        *op += 1;
        if *lit == MAX_LIT {
            put(out, *op - *lit - 1, (*lit - 1) as u8)?;
            *lit = 0;
            *op += 1;
        }
        Some(())
    }
    let mut lit = 0usize;
    let mut op = 1usize; // start run
    let mut ip = 0usize;
    let mut hval = (u32::from(at(0)) << 8) | u32::from(at(1));
    while ip + 2 < n {
        hval = (hval << 8) | u32::from(at(ip + 2));
        let slot = table.get_mut(idx(hval))?;
        let cand = *slot;
        *slot = ip + 1;
        let r = cand.wrapping_sub(1);
        let is_match = cand > 1 // ref > in_data: position 0 is never a reference
            && r < ip
            && ip - r - 1 < MAX_OFF
            && ip + 4 < n
            && at(r) == at(ip)
            && at(r + 1) == at(ip + 1)
            && at(r + 2) == at(ip + 2);
        if is_match {
            let off = ip - r - 1;
            let mut len = 2usize;
            let maxlen = (n - ip - len).min(MAX_REF);
            if op + 4 >= out_end && op - usize::from(lit == 0) + 4 >= out_end {
                return None;
            }
            put(&mut out, op - lit - 1, lit.wrapping_sub(1) as u8)?; // stop run
            op -= usize::from(lit == 0); // undo run if length is zero
            // liblzf compares 16 bytes unrolled first when maxlen > 16 (it may then run past
            // maxlen, up to index 18), then byte by byte up to maxlen.
            let mut done = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if at(r + len) != at(ip + len) {
                        done = true;
                        break;
                    }
                }
            }
            if !done {
                loop {
                    len += 1;
                    if !(len < maxlen && at(r + len) == at(ip + len)) {
                        break;
                    }
                }
            }
            len -= 2; // octets - 1
            ip += 1;
            if len < 7 {
                put(&mut out, op, ((off >> 8) + (len << 5)) as u8)?;
                op += 1;
            } else {
                put(&mut out, op, ((off >> 8) + (7 << 5)) as u8)?;
                put(&mut out, op + 1, (len - 7) as u8)?;
                op += 2;
            }
            put(&mut out, op, (off & 0xff) as u8)?;
            op += 2; // the offset byte, then start a run
            lit = 0;
            ip += len + 1;
            if ip + 2 >= n {
                break;
            }
            // ULTRA_FAST: hash only the position before the next one.
            ip -= 1;
            hval = (u32::from(at(ip)) << 8) | u32::from(at(ip + 1));
            hval = (hval << 8) | u32::from(at(ip + 2));
            *table.get_mut(idx(hval))? = ip + 1;
            ip += 1;
        } else {
            if op >= out_end {
                return None;
            }
            literal(&mut out, &mut op, &mut lit, at(ip))?;
            ip += 1;
        }
    }
    if op + 3 > out_end {
        return None;
    }
    while ip < n {
        literal(&mut out, &mut op, &mut lit, at(ip))?;
        ip += 1;
    }
    put(&mut out, op - lit - 1, lit.wrapping_sub(1) as u8)?; // end run
    op -= usize::from(lit == 0);
    out.truncate(op);
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
        // A run of one byte: position 0 is never a reference (liblzf's `ref > in_data`), so
        // two literals, then 16 bytes at distance 1 (16 = 2 + 7 + 7), then 2 literals.
        let e = encode(&[b'x'; 20]).unwrap();
        assert_eq!(e, [1, b'x', b'x', 7 << 5, 7, 0, 1, b'x', b'x']);
        assert_eq!(decode(&e, &[], &Limits::default(), 0).unwrap(), vec![b'x'; 20]);
        // Too short to shrink: liblzf gives up.
        assert_eq!(encode(b"abcabcabc"), None);
        let text = b"the quick brown fox jumps over the lazy dog; the quick brown fox jumps again".repeat(50);
        let mut long = vec![0u8; 100_000];
        for (i, b) in long.iter_mut().enumerate() {
            *b = ((i / 3) % 251) as u8;
        }
        for data in [text.clone(), long, (0..=255u8).collect::<Vec<_>>().repeat(40), b"abcabcabcabcabc".to_vec()] {
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
