//! Shuffle filter (id 2; spec IV.A.2.l filter table): byte `j` of every element is stored in
//! the `j`-th plane. Client data: element size. Trailing bytes (length not a multiple of the
//! element size) are stored unshuffled.

/// Undoes the shuffle.
pub fn decode(data: &[u8], size: usize) -> Result<Vec<u8>, h5kit_core::Error> {
    Ok(transpose(data, size, false))
}

/// Undoes the shuffle into `out`, which must be as long as `data` (a caller placing the
/// elements straight into its destination saves an allocation and a copy).
pub fn decode_into(data: &[u8], size: usize, out: &mut [u8]) -> Result<(), h5kit_core::Error> {
    if out.len() != data.len() {
        return Err(h5kit_core::Error::usage(format!("shuffle: {} bytes into a buffer of {}", data.len(), out.len())));
    }
    transpose_into(data, size, false, out);
    Ok(())
}

/// Shuffles (the inverse of [`decode`]).
pub fn encode(data: &[u8], size: usize) -> Vec<u8> {
    transpose(data, size, true)
}

fn transpose(data: &[u8], size: usize, forward: bool) -> Vec<u8> {
    if size <= 1 || data.len() < size {
        return data.to_vec();
    }
    let mut out = vec![0u8; data.len()];
    transpose_into(data, size, forward, &mut out);
    out
}

/// [`transpose`] into `out` (`out.len() == data.len()`).
fn transpose_into(data: &[u8], size: usize, forward: bool, out: &mut [u8]) {
    if size <= 1 || data.len() < size || out.len() != data.len() {
        if out.len() == data.len() {
            out.copy_from_slice(data);
        }
        return;
    }
    let n = data.len() / size;
    let body = n * size;
    let (src, tail) = data.split_at(body);
    let (dst, out_tail) = out.split_at_mut(body);
    match (size, forward) {
        (2, false) => unshuffle::<2>(src, dst, n),
        (4, false) => unshuffle::<4>(src, dst, n),
        (8, false) => unshuffle8(src, dst, n),
        (2, true) => shuffle::<2>(src, dst, n),
        (4, true) => shuffle::<4>(src, dst, n),
        (8, true) => shuffle8(src, dst, n),
        _ => {
            for j in 0..size {
                let (p_src, p_dst): (&[u8], &mut [u8]) = (src, &mut *dst);
                if forward {
                    let Some(plane) = p_dst.get_mut(j * n..(j + 1) * n) else { continue };
                    for (o, e) in plane.iter_mut().zip(p_src.chunks_exact(size)) {
                        *o = e.get(j).copied().unwrap_or(0);
                    }
                } else {
                    let Some(plane) = p_src.get(j * n..(j + 1) * n) else { continue };
                    for (e, &b) in p_dst.chunks_exact_mut(size).zip(plane) {
                        if let Some(o) = e.get_mut(j) {
                            *o = b;
                        }
                    }
                }
            }
        }
    }
    out_tail.copy_from_slice(tail);
}

/// Elements of `S` bytes gathered from `S` planes of `n` bytes (`src.len() == dst.len() == S * n`).
/// Works on tiles of 32 elements (fixed sizes, so the compiler unrolls and vectorises).
fn unshuffle<const S: usize>(src: &[u8], dst: &mut [u8], n: usize) {
    const B: usize = 32;
    if n == 0 || src.len() != S * n || dst.len() != S * n {
        return;
    }
    let mut planes: [&[u8]; S] = [&[]; S];
    for (p, chunk) in planes.iter_mut().zip(src.chunks_exact(n)) {
        *p = chunk;
    }
    let tiles = n / B;
    for (t, out) in dst.chunks_exact_mut(B * S).enumerate().take(tiles) {
        let mut tile = [[0u8; S]; B];
        for (j, plane) in planes.iter().enumerate() {
            let Some(run) = plane.get(t * B..t * B + B) else { return };
            let run: &[u8; B] = match run.try_into() {
                Ok(r) => r,
                Err(_) => return,
            };
            for (e, &b) in tile.iter_mut().zip(run) {
                if let Some(o) = e.get_mut(j) {
                    *o = b;
                }
            }
        }
        for (o, e) in out.chunks_exact_mut(S).zip(&tile) {
            o.copy_from_slice(e);
        }
    }
    for i in tiles * B..n {
        for (j, plane) in planes.iter().enumerate() {
            if let (Some(o), Some(&b)) = (dst.get_mut(i * S + j), plane.get(i)) {
                *o = b;
            }
        }
    }
}

/// [`unshuffle`] for 8-byte elements: 8 elements at a time as an 8x8 byte matrix (one
/// `u64` per plane) transposed with three rounds of masked swaps.
fn unshuffle8(src: &[u8], dst: &mut [u8], n: usize) {
    if n == 0 || src.len() != 8 * n || dst.len() != 8 * n {
        return;
    }
    let mut planes: [&[u8]; 8] = [&[]; 8];
    for (p, chunk) in planes.iter_mut().zip(src.chunks_exact(n)) {
        *p = chunk;
    }
    let tiles = n / 8;
    for (t, out) in dst.chunks_exact_mut(64).enumerate().take(tiles) {
        let mut x = [0u64; 8];
        for (xj, plane) in x.iter_mut().zip(&planes) {
            let mut b = [0u8; 8];
            if let Some(run) = plane.get(t * 8..t * 8 + 8) {
                b.copy_from_slice(run);
            }
            *xj = u64::from_le_bytes(b);
        }
        transpose8(&mut x);
        for (o, xk) in out.chunks_exact_mut(8).zip(&x) {
            o.copy_from_slice(&xk.to_le_bytes());
        }
    }
    for i in tiles * 8..n {
        for (j, plane) in planes.iter().enumerate() {
            if let (Some(o), Some(&b)) = (dst.get_mut(i * 8 + j), plane.get(i)) {
                *o = b;
            }
        }
    }
}

/// One round of the 8x8 byte transpose: exchanges the `mask`ed bytes of words `j` and `k`.
#[inline(always)]
fn swap_step(x: &mut [u64; 8], j: usize, k: usize, shift: u32, mask: u64) {
    if let (Some(&a), Some(&b)) = (x.get(j), x.get(k)) {
        let v = ((a >> shift) ^ b) & mask;
        if let Some(p) = x.get_mut(j) {
            *p = a ^ (v << shift);
        }
        if let Some(q) = x.get_mut(k) {
            *q = b ^ v;
        }
    }
}

/// [`shuffle`] for 8-byte elements: the 8x8 byte transpose of [`unshuffle8`] (a transpose is its
/// own inverse), 8 elements in, one `u64` out to each plane.
fn shuffle8(src: &[u8], dst: &mut [u8], n: usize) {
    if n == 0 || src.len() != 8 * n || dst.len() != 8 * n {
        return;
    }
    let mut planes: Vec<&mut [u8]> = dst.chunks_exact_mut(n).collect();
    let tiles = n / 8;
    for (t, block) in src.chunks_exact(64).enumerate().take(tiles) {
        let mut x = [0u64; 8];
        for (xk, e) in x.iter_mut().zip(block.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(e);
            *xk = u64::from_le_bytes(b);
        }
        transpose8(&mut x);
        for (plane, xj) in planes.iter_mut().zip(&x) {
            if let Some(run) = plane.get_mut(t * 8..t * 8 + 8) {
                run.copy_from_slice(&xj.to_le_bytes());
            }
        }
    }
    for i in tiles * 8..n {
        for (j, plane) in planes.iter_mut().enumerate() {
            if let (Some(o), Some(&b)) = (plane.get_mut(i), src.get(i * 8 + j)) {
                *o = b;
            }
        }
    }
}

/// Transposes the 8x8 byte matrix held as 8 little-endian words (three rounds of masked swaps).
#[inline(always)]
fn transpose8(x: &mut [u64; 8]) {
    for j in 0..4 {
        swap_step(x, j, j + 4, 32, 0x0000_0000_FFFF_FFFF);
    }
    for j in [0, 1, 4, 5] {
        swap_step(x, j, j + 2, 16, 0x0000_FFFF_0000_FFFF);
    }
    for j in [0, 2, 4, 6] {
        swap_step(x, j, j + 1, 8, 0x00FF_00FF_00FF_00FF);
    }
}

/// Elements of `S` bytes scattered into `S` planes of `n` bytes.
fn shuffle<const S: usize>(src: &[u8], dst: &mut [u8], n: usize) {
    if n == 0 || dst.len() != S * n {
        return;
    }
    let mut planes: Vec<&mut [u8]> = dst.chunks_exact_mut(n).collect();
    for (i, e) in src.chunks_exact(S).enumerate().take(n) {
        for (p, &b) in planes.iter_mut().zip(e) {
            if let Some(o) = p.get_mut(i) {
                *o = b;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    #[test]
    fn known_layout_and_tail() {
        let data = [1u8, 2, 3, 4, 5, 6, 7];
        let s = super::encode(&data, 3);
        assert_eq!(s, [1, 4, 2, 5, 3, 6, 7]);
        assert_eq!(super::decode(&s, 3).unwrap(), data);
        assert_eq!(super::decode(&[1, 2], 4).unwrap(), [1, 2]);
        let mut out = [0u8; 7];
        super::decode_into(&s, 3, &mut out).unwrap();
        assert_eq!(out, data);
        assert!(super::decode_into(&s, 3, &mut [0u8; 6]).is_err());
    }

    #[test]
    fn specialised_sizes_match_the_definition() {
        for size in [2usize, 3, 4, 5, 8] {
            let data: Vec<u8> = (0..(size * 37 + size - 1) as u32).map(|i| (i * 7 + 3) as u8).collect();
            let n = data.len() / size;
            let s = super::encode(&data, size);
            for i in 0..n {
                for j in 0..size {
                    assert_eq!(s[j * n + i], data[i * size + j], "size {} element {} byte {}", size, i, j);
                }
            }
            assert_eq!(&s[n * size..], &data[n * size..]);
            assert_eq!(super::decode(&s, size).unwrap(), data);
        }
    }
}
