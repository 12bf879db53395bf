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
    for j in 0..size {
        for i in 0..n {
            let (plane, elem) = (j * n + i, i * size + j);
            if forward {
                out[plane] = data[elem];
            } else {
                out[elem] = data[plane];
            }
        }
    }
    out[body..].copy_from_slice(&data[body..]);
    out
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
}
