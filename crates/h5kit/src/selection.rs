//! Hyperslab selections (spec VIII.A "Dataspace Encoding" describes them; h5py's slicing is
//! the model): `start`, `stride`, `count` and `block` per dimension.

/// One selected range per dimension: `count` blocks of `block` elements, `stride` apart,
/// from `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hyperslab {
    /// First element in each dimension.
    pub start: Vec<u64>,
    /// Distance between the starts of blocks, per dimension.
    pub stride: Vec<u64>,
    /// Number of blocks per dimension.
    pub count: Vec<u64>,
    /// Size of each block per dimension.
    pub block: Vec<u64>,
}

impl Hyperslab {
    /// A contiguous box: `count[d]` elements from `start[d]`.
    pub fn new(start: &[u64], count: &[u64]) -> Hyperslab {
        Hyperslab { start: start.to_vec(), stride: vec![1; start.len()], count: count.to_vec(), block: vec![1; start.len()] }
    }
    /// The shape of the selection (count x block per dimension).
    pub fn shape(&self) -> Vec<u64> {
        self.count.iter().zip(&self.block).map(|(c, b)| c.saturating_mul(*b)).collect()
    }
    /// Whether the selection is one contiguous box.
    pub fn is_box(&self) -> bool {
        self.count.iter().zip(&self.block).zip(&self.stride).all(|((c, b), s)| *c <= 1 || *b == 1 && *s == 1 || *s == *b)
    }
    /// The box `(start, count)` covering the selection.
    pub fn bounding_box(&self) -> Option<(Vec<u64>, Vec<u64>)> {
        let mut count = Vec::with_capacity(self.start.len());
        for d in 0..self.start.len() {
            let (c, s, b) = (*self.count.get(d)?, (*self.stride.get(d)?).max(1), *self.block.get(d)?);
            if b > s && c > 1 {
                return None; // overlapping blocks
            }
            count.push(if c == 0 { 0 } else { (c - 1).checked_mul(s)?.checked_add(b)? });
        }
        Some((self.start.clone(), count))
    }
    /// The selected coordinates along dimension `d`, relative to the bounding box.
    pub(crate) fn offsets_in_box(&self, d: usize) -> Vec<u64> {
        let at = |v: &[u64]| v.get(d).copied().unwrap_or(0);
        let (c, s, b) = (at(&self.count), at(&self.stride).max(1), at(&self.block));
        let mut v = Vec::new();
        for i in 0..c {
            for j in 0..b {
                v.push(i * s + j);
            }
        }
        v
    }
}
