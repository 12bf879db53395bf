//! Shuffle filter (id 2; spec IV.A.2.l filter table): byte `j` of every element is stored in
//! the `j`-th plane. Client data: element size. Trailing bytes (length not a multiple of the
//! element size) are stored unshuffled.

/// Undoes the shuffle.
pub fn decode(data: &[u8], size: usize) -> Result<Vec<u8>, h5kit_core::Error> {
    Ok(transpose(data, size, false))
}

/// Shuffles (the inverse of [`decode`]).
pub fn encode(data: &[u8], size: usize) -> Vec<u8> {
    transpose(data, size, true)
}

fn transpose(data: &[u8], size: usize, forward: bool) -> Vec<u8> {
    if size <= 1 || data.len() < size {
        return data.to_vec();
    }
    let n = data.len() / size;
    let body = n * size;
    let mut out = vec![0u8; data.len()];
    let (src, tail) = data.split_at(body);
    let (dst, out_tail) = out.split_at_mut(body);
    match (size, forward) {
        (2, false) => unshuffle::<2>(src, dst, n),
        (4, false) => unshuffle::<4>(src, dst, n),
        (8, false) => unshuffle::<8>(src, dst, n),
        (2, true) => shuffle::<2>(src, dst, n),
        (4, true) => shuffle::<4>(src, dst, n),
        (8, true) => shuffle::<8>(src, dst, n),
        _ => {
            for j in 0..size {
                let (p_src, p_dst): (&[u8], &mut [u8]) = (src, &mut *dst);
                if forward {
                    let plane = &mut p_dst[j * n..(j + 1) * n];
                    for (o, e) in plane.iter_mut().zip(p_src.chunks_exact(size)) {
                        *o = e.get(j).copied().unwrap_or(0);
                    }
                } else {
                    let plane = &p_src[j * n..(j + 1) * n];
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
    out
}

/// Elements of `S` bytes gathered from `S` planes of `n` bytes (`src.len() == dst.len() == S * n`).
fn unshuffle<const S: usize>(src: &[u8], dst: &mut [u8], n: usize) {
    let mut planes: [&[u8]; S] = [&[]; S];
    for (j, p) in planes.iter_mut().enumerate() {
        *p = src.get(j * n..(j + 1) * n).unwrap_or(&[]);
    }
    if planes.iter().any(|p| p.len() != n) {
        return;
    }
    for (i, e) in dst.chunks_exact_mut(S).enumerate().take(n) {
        let mut v = [0u8; S];
        for j in 0..S {
            v[j] = planes[j][i];
        }
        e.copy_from_slice(&v);
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
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn known_layout_and_tail() {
        let data = [1u8, 2, 3, 4, 5, 6, 7];
        let s = super::encode(&data, 3);
        assert_eq!(s, [1, 4, 2, 5, 3, 6, 7]);
        assert_eq!(super::decode(&s, 3).unwrap(), data);
        assert_eq!(super::decode(&[1, 2], 4).unwrap(), [1, 2]);
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
