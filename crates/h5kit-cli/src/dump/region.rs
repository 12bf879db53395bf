//! Dataset region references (spec VIII.C "Reference Encoding (Backward Compatibility)",
//! H5R_DATASET_REGION1): a global heap ID whose object holds the referenced dataset's address
//! and a serialized dataspace selection (spec "Dataspace Selection", in the same chapter).

use h5kit_core::{Reader, Sizes};

/// A decoded selection, as h5dump lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    None,
    All,
    /// Points, each with `rank` coordinates.
    Points(Vec<Vec<u64>>),
    /// Blocks as (start, end) coordinates, inclusive.
    Blocks(Vec<(Vec<u64>, Vec<u64>)>),
    /// A regular hyperslab: (start, stride, count, block) per dimension.
    Regular(Vec<(u64, u64, u64, u64)>),
}

/// Upper bound on listed points/blocks (hostile files).
const MAX_ITEMS: u64 = 1 << 20;

fn uint(r: &mut Reader, n: usize) -> h5kit::Result<u64> {
    r.uint(n)
}

/// Decodes a region reference heap object: (dataset address, selection).
pub fn decode_region(data: &[u8], sizes: Sizes, at: u64) -> h5kit::Result<(u64, Selection)> {
    let mut r = Reader::new(data, at, sizes);
    let address = r.offset()?;
    let sel = decode_selection(&mut r)?;
    Ok((address, sel))
}

/// Decodes one serialized dataspace selection.
pub fn decode_selection(r: &mut Reader) -> h5kit::Result<Selection> {
    let mut modern = false;
    decode_selection_v(r, &mut modern)
}

/// Like [`decode_selection`]; sets `modern` when the encoding is one libhdf5 1.10 does not
/// know (hyperslab version 3, points version 2: HDF5 1.12+).
pub fn decode_selection_v(r: &mut Reader, modern: &mut bool) -> h5kit::Result<Selection> {
    let sel_type = r.u32()?;
    let sel = match sel_type {
        0 => {
            let _version = r.u32()?;
            let _reserved = r.bytes(8)?;
            Selection::None
        }
        3 => {
            let _version = r.u32()?;
            let _reserved = r.bytes(8)?;
            Selection::All
        }
        1 => {
            let version = r.u32()?;
            let (enc, rank, n) = match version {
                1 => {
                    let _reserved = r.u32()?;
                    let _length = r.u32()?;
                    let rank = u64::from(r.u32()?);
                    let n = u64::from(r.u32()?);
                    (4usize, rank, n)
                }
                2 => {
                    *modern = true;
                    let enc = usize::from(r.u8()?);
                    let rank = u64::from(r.u32()?);
                    let n = uint(r, enc)?;
                    (enc, rank, n)
                }
                v => return Err(r.error(format!("unknown point selection version {}", v))),
            };
            if n.saturating_mul(rank.max(1)) > MAX_ITEMS || rank > 32 {
                return Err(r.error("point selection too large"));
            }
            let mut pts = Vec::new();
            for _ in 0..n {
                let mut c = Vec::new();
                for _ in 0..rank {
                    c.push(uint(r, enc)?);
                }
                pts.push(c);
            }
            Selection::Points(pts)
        }
        2 => {
            let version = r.u32()?;
            match version {
                1 => {
                    let _reserved = r.u32()?;
                    let _length = r.u32()?;
                    let rank = u64::from(r.u32()?);
                    let n = u64::from(r.u32()?);
                    blocks_list(r, 4, rank, n)?
                }
                2 => {
                    let _flags = r.u8()?;
                    let _length = r.u32()?;
                    let rank = u64::from(r.u32()?);
                    regular(r, 8, rank)?
                }
                3 => {
                    *modern = true;
                    let flags = r.u8()?;
                    let enc = usize::from(r.u8()?);
                    let rank = u64::from(r.u32()?);
                    if flags & 1 != 0 {
                        regular(r, enc, rank)?
                    } else {
                        let n = uint(r, enc)?;
                        blocks_list(r, enc, rank, n)?
                    }
                }
                v => return Err(r.error(format!("unknown hyperslab selection version {}", v))),
            }
        }
        t => return Err(r.error(format!("unknown selection type {}", t))),
    };
    Ok(sel)
}

/// libhdf5's view of a block list: a regular hyperslab when the blocks form a full grid of
/// equal, evenly spaced blocks (`H5Sis_regular_hyperslab`), else irregular.
pub fn normalize(sel: Selection) -> Selection {
    let Selection::Blocks(blocks) = &sel else { return sel };
    let Some((first_s, _)) = blocks.first() else { return sel };
    let rank = first_s.len();
    let mut dims = Vec::new();
    for d in 0..rank {
        let mut pairs: Vec<(u64, u64)> = blocks
            .iter()
            .filter_map(|(s, e)| Some((*s.get(d)?, *e.get(d)?)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let Some(&(s0, e0)) = pairs.first() else { return sel };
        let block = e0.saturating_sub(s0).saturating_add(1);
        if pairs.iter().any(|&(s, e)| e.saturating_sub(s).saturating_add(1) != block) {
            return sel;
        }
        let stride = match pairs.get(1) {
            Some(&(s1, _)) => s1.saturating_sub(s0),
            None => 1,
        };
        for (k, &(s, _)) in pairs.iter().enumerate() {
            if s != s0.saturating_add(stride.saturating_mul(k as u64)) {
                return sel;
            }
        }
        dims.push((s0, stride, pairs.len() as u64, block));
    }
    let grid = dims.iter().try_fold(1u64, |a, d| a.checked_mul(d.2));
    if grid != Some(blocks.len() as u64) {
        return sel;
    }
    Selection::Regular(dims)
}

fn blocks_list(r: &mut Reader, enc: usize, rank: u64, n: u64) -> h5kit::Result<Selection> {
    if n.saturating_mul(rank.max(1)) > MAX_ITEMS || rank > 32 {
        return Err(r.error("hyperslab selection too large"));
    }
    let mut blocks = Vec::new();
    for _ in 0..n {
        let mut s = Vec::new();
        let mut e = Vec::new();
        for _ in 0..rank {
            s.push(uint(r, enc)?);
        }
        for _ in 0..rank {
            e.push(uint(r, enc)?);
        }
        blocks.push((s, e));
    }
    Ok(normalize(Selection::Blocks(blocks)))
}

fn regular(r: &mut Reader, enc: usize, rank: u64) -> h5kit::Result<Selection> {
    if rank > 32 {
        return Err(r.error("hyperslab rank too large"));
    }
    let mut dims = Vec::new();
    for _ in 0..rank {
        let start = uint(r, enc)?;
        let stride = uint(r, enc)?;
        let count = uint(r, enc)?;
        let block = uint(r, enc)?;
        dims.push((start, stride, count, block));
    }
    Ok(Selection::Regular(dims))
}

/// The blocks of a regular hyperslab, row-major.
pub fn expand_regular(dims: &[(u64, u64, u64, u64)]) -> Option<Vec<(Vec<u64>, Vec<u64>)>> {
    let total = dims.iter().try_fold(1u64, |a, d| a.checked_mul(d.2)).unwrap_or(u64::MAX);
    if total > MAX_ITEMS {
        return None;
    }
    let mut blocks = Vec::new();
    for k in 0..total {
        let mut rem = k;
        let mut idx = vec![0u64; dims.len()];
        for (i, d) in dims.iter().enumerate().rev() {
            let c = d.2.max(1);
            if let Some(slot) = idx.get_mut(i) {
                *slot = rem % c;
            }
            rem /= c;
        }
        let mut s = Vec::new();
        let mut e = Vec::new();
        for (d, &i) in dims.iter().zip(idx.iter()) {
            let st = d.0.saturating_add(i.saturating_mul(d.1));
            s.push(st);
            e.push(st.saturating_add(d.3).saturating_sub(1));
        }
        blocks.push((s, e));
    }
    Some(blocks)
}

pub fn coords(c: &[u64]) -> String {
    let parts: Vec<String> = c.iter().map(|v| v.to_string()).collect();
    format!("({})", parts.join(","))
}

/// h5dump's `REGION_TYPE ...` line (without indentation), uncut.
#[cfg(test)]
pub fn region_line(sel: &Selection) -> String {
    match sel {
        Selection::Regular(d) => match expand_regular(d) {
            Some(b) => region_line(&Selection::Blocks(b)),
            None => String::new(),
        },
        Selection::Blocks(b) => {
            let parts: Vec<String> = b.iter().map(|(s, e)| format!("{}-{}", coords(s), coords(e))).collect();
            format!("REGION_TYPE BLOCK  {}", parts.join(", "))
        }
        Selection::Points(p) => {
            let parts: Vec<String> = p.iter().map(|c| coords(c)).collect();
            format!("REGION_TYPE POINT  {}", parts.join(", "))
        }
        Selection::All | Selection::None => String::new(),
    }
}

/// [`region_line`] cut as h5dump 1.10.8 cuts it at 80 columns: the blocks or points are
/// sections `(..)-(..),` (a comma after all but the last; each after the first starts with a
/// space); a section after the first that would reach past column 79 (with the element
/// suffix's one space) starts a new line at the same indentation. `indent`: the columns before
/// the `REGION_TYPE` text.
pub fn region_lines(sel: &Selection, indent: usize) -> Vec<String> {
    let (head, items): (&str, Vec<String>) = match sel {
        Selection::Regular(d) => match expand_regular(d) {
            Some(b) => return region_lines(&Selection::Blocks(b), indent),
            None => return Vec::new(),
        },
        Selection::Blocks(b) => ("REGION_TYPE BLOCK  ", b.iter().map(|(s, e)| format!("{}-{}", coords(s), coords(e))).collect()),
        Selection::Points(p) => ("REGION_TYPE POINT  ", p.iter().map(|c| coords(c)).collect()),
        Selection::All | Selection::None => return Vec::new(),
    };
    let mut lines = Vec::new();
    let mut cur = head.to_string();
    let mut col = indent + head.len();
    let n = items.len();
    for (k, it) in items.iter().enumerate() {
        let comma = if k + 1 < n { "," } else { "" };
        let section = if k == 0 { format!("{}{}", it, comma) } else { format!(" {}{}", it, comma) };
        if k > 0 && col + section.len() + 1 > 80 {
            lines.push(std::mem::take(&mut cur));
            col = indent;
        }
        col += section.len();
        cur.push_str(&section);
    }
    lines.push(cur);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_region_lines_wrap_as_h5dump() {
        // tests/data/parity/regions.h5 "strided", at indentation 12 (h5dump 1.10.8).
        let b = |r: u64, c: u64| (vec![r, c], vec![r, c]);
        let sel = Selection::Blocks(vec![b(0, 1), b(0, 4), b(2, 1), b(2, 4), b(4, 1), b(4, 4)]);
        assert_eq!(
            region_lines(&sel, 12),
            ["REGION_TYPE BLOCK  (0,1)-(0,1), (0,4)-(0,4), (2,1)-(2,1),", " (2,4)-(2,4), (4,1)-(4,1), (4,4)-(4,4)"]
        );
        let short = Selection::Blocks(vec![b(0, 1), b(0, 4)]);
        assert_eq!(region_lines(&short, 12), [region_line(&short)]);
    }

    #[test]
    fn version1_blocks() {
        // Address 912, hyperslab v1 with two 1-D blocks (0)-(0) and (2)-(2), as in
        // pyfive/references.hdf5 ("REGION_TYPE BLOCK  (0)-(0), (2)-(2)").
        let mut d = Vec::new();
        d.extend_from_slice(&912u64.to_le_bytes());
        for v in [2u32, 1, 0, 24, 1, 2, 0, 0, 2, 2] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        let (addr, sel) = decode_region(&d, Sizes { offset: 8, length: 8 }, 0).expect("decodes");
        assert_eq!(addr, 912);
        assert_eq!(region_line(&sel), "REGION_TYPE BLOCK  (0)-(0), (2)-(2)");
    }

    #[test]
    fn truncated_is_an_error() {
        assert!(decode_region(&[1, 2, 3], Sizes { offset: 8, length: 8 }, 0).is_err());
    }
}
