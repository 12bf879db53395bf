//! `h5 repack` in bounded memory (issue 14): the copy is written by the on-disk writer
//! ([`Editor`]) while the source is read dataset by dataset, chunk by chunk.
//!
//! - Chunks whose chunk shape, datatype and filter pipeline do not change are copied as the
//!   chunk index records them (spec IV.A.2.i, VII): stored bytes + filter mask, read with
//!   positioned reads and entered in the copy's index by a direct chunk write, never
//!   decompressed ([`Editor::write_chunk_raw`]).
//! - Other data goes in boxes aligned to the copy's chunk grid (whole chunks, so the
//!   editor's chunk cache is never used), at most [`BOX_BYTES`] (a contiguous copy:
//!   [`CONTIGUOUS_BOX_BYTES`]) unless one chunk is larger,
//!   read with the reader's hyperslab read and written with [`Editor::write_slice`] (filtered
//!   on every core there).
//! - Chunks the source never allocated are not read or written (boxes that no allocated
//!   source chunk touches are skipped); a contiguous dataset never written is not copied.
//!
//! The source is read without its memory map (every read a positioned read), so the pages of
//! a large input never count in the process's resident memory. An object the editor cannot
//! create ([`super::target`]) fails the copy with `Unsupported`, naming it.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;

use h5kit_core::{Error, FileStorage, Limits, Result, WritableFile, WritableStorage};
use h5kit_object_header::{DataspaceKind, FilterPipeline, Layout};
use h5kit_write::edit::Editor;
use h5kit_write::LibVer;

use super::target::Dst;
use super::{Copier, RepackOptions, RepackReport};
use crate::chunks::ChunkLocation;
use crate::file::File;
use crate::object::Dataset;
use crate::selection::Hyperslab;

/// Bytes of data read and written at a time when data is rewritten into a chunked copy (the
/// chunks of one box are filtered in parallel); a box is never smaller than one chunk of the
/// copy. Buffers of 32 MiB or more come from `mmap` (glibc's largest threshold) and fault in
/// anew for every box.
pub const BOX_BYTES: u64 = 16 << 20;

/// Box budget when the copy is not chunked (contiguous): its boxes are written by one
/// positioned write each, and large writes were throttled far more by the kernel's dirty
/// page balancing than libhdf5's 1 MiB writes (measured: 16 MiB writes 6-9 s for 1 GiB,
/// h5repack 1.3 s).
pub const CONTIGUOUS_BOX_BYTES: u64 = 1 << 20;

/// Copies the file at `input` to `output` (h5repack's job) with the options `opts`, in the
/// `libver` format, streamed by the on-disk writer (see spec-notes/repack.md); an object it
/// cannot create fails the copy with `Unsupported`, naming it.
pub fn repack_file(input: impl AsRef<Path>, output: impl AsRef<Path>, opts: &RepackOptions, libver: LibVer) -> Result<RepackReport> {
    let (input, output) = (input.as_ref(), output.as_ref());
    if let (Ok(a), Ok(b)) = (std::fs::canonicalize(input), std::fs::canonicalize(output)) {
        if a == b {
            return Err(Error::usage(format!("input and output are the same file: {}", input.display())));
        }
    }
    let src = open_unmapped(input)?;
    stream_copy(&src, output, opts, libver)
}

/// Whether `e` says the earliest format cannot hold the copy (an attribute over 64 KiB needs
/// dense attribute storage, which needs the latest format): h5repack fails there; `h5 repack`
/// then writes the latest format.
pub fn needs_latest_format(e: &Error) -> bool {
    let s = e.to_string();
    s.contains("larger than 64 KiB") || s.contains("files of the earliest format cannot store it")
}

/// Opens `path` for reading without mapping it (external raw data files are found beside it).
fn open_unmapped(path: &Path) -> Result<File> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(e, format!("cannot open {}", path.display())))?;
    let mut f = File::from_storage(Box::new(FileStorage::from_file_unmapped(file)?), path.display().to_string(), Limits::default())?;
    if let Some(inner) = Arc::get_mut(&mut f.inner) {
        inner.dir = path.parent().map(|p| p.to_path_buf());
    }
    Ok(f)
}

/// The copy by the on-disk writer: every object first, references once their targets exist,
/// then the data of the datasets without references.
fn stream_copy(src: &File, output: &Path, opts: &RepackOptions, libver: LibVer) -> Result<RepackReport> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(output)
        .map_err(|e| Error::io(e, format!("cannot create {}", output.display())))?;
    let storage: Arc<dyn WritableStorage> = Arc::new(WritableFile::from_file(file)?);
    let mut ed = Editor::create_format(storage, Limits::default(), libver)?;
    let mut c = Copier::new(src, Dst { ed: &mut ed }, opts)?;
    c.copy_all()?;
    let pending = std::mem::take(&mut c.pending);
    let mut report = std::mem::take(&mut c.report);
    drop(c);
    for (path, d) in &pending {
        copy_data(&mut ed, path, d, &mut report)?;
    }
    ed.flush()?;
    Ok(report)
}

/// Whether two pipelines encode chunks alike: the same filters, flags and client data.
fn same_filters(src: Option<&FilterPipeline>, dst: &FilterPipeline) -> bool {
    let a = src.map(|p| p.filters.as_slice()).unwrap_or(&[]);
    a.len() == dst.filters.len()
        && a.iter().zip(&dst.filters).all(|(x, y)| x.id == y.id && x.flags == y.flags && x.client_data == y.client_data)
}

/// Copies the data of `d` into the dataset at `path` of `ed` (created from `d`'s properties,
/// changed or not by the options).
fn copy_data(ed: &mut Editor, path: &str, d: &Dataset, report: &mut RepackReport) -> Result<()> {
    let space = d.dataspace();
    if space.kind == DataspaceKind::Scalar || space.dims.is_empty() {
        return ed.write_dataset(path, &d.read_raw()?);
    }
    let dims = space.dims.clone();
    if dims.contains(&0) {
        return Ok(());
    }
    let external = d.external_files().is_some();
    let out = ed.chunk_layout(path)?;
    let out_chunk = out.as_ref().map(|(c, _)| c.clone());
    match &d.layout().layout {
        Layout::Contiguous { address: None, .. } if !external => Ok(()),
        Layout::Chunked { chunk_dims, flags, .. } if !external => {
            // Chunks past the extent (left by a shrink) are not part of the data.
            let located: Vec<ChunkLocation> =
                d.chunk_locations()?.into_iter().filter(|c| c.offset.iter().zip(&dims).all(|(o, x)| o < x)).collect();
            // Layout flag bit 0 (version 4): partial edge chunks stored unfiltered, which the
            // copy's layout does not say (the editor always filters them).
            let raw = matches!(&out, Some((c, p)) if c == chunk_dims && flags & 1 == 0 && same_filters(d.filters(), p));
            if raw {
                for c in &located {
                    let bytes = d.read_chunk_stored(c)?;
                    ed.write_chunk_raw(path, &c.offset, c.filter_mask, &bytes)?;
                    report.raw_chunks += 1;
                }
                return Ok(());
            }
            report.rewritten += 1;
            let boxes = copy_boxes(&dims, out_chunk.as_deref(), u64::from(d.datatype().size));
            let touched = boxes_touched(&dims, &boxes, chunk_dims, &located);
            let allocated: HashSet<&[u64]> = located.iter().map(|c| c.scaled_offset.as_slice()).collect();
            let esize = d.datatype().size as usize;
            for index in touched {
                let (start, count) = box_at(&dims, &boxes, &index);
                let data = d.read_raw_selection(&Hyperslab::new(&start, &count))?;
                // A box partly covered by the source's chunks: only the copy's chunks that
                // some allocated source chunk touches are written.
                let needed = match &out {
                    Some((oc, _)) => needed_chunks(&dims, &start, &count, oc, chunk_dims, &allocated),
                    None => None,
                };
                match needed {
                    None => ed.write_slice(path, &start, &count, &data)?,
                    Some(parts) => {
                        for (s, n) in parts {
                            let at: Vec<u64> = s.iter().zip(&start).map(|(a, b)| a - b).collect();
                            let part = sub_box(&data, &count, &at, &n, esize)?;
                            ed.write_slice(path, &s, &n, &part)?;
                        }
                    }
                }
            }
            Ok(())
        }
        _ => {
            report.rewritten += 1;
            let boxes = copy_boxes(&dims, out_chunk.as_deref(), u64::from(d.datatype().size));
            let counts: Vec<u64> = dims.iter().zip(&boxes).map(|(x, b)| x.div_ceil(*b)).collect();
            let mut index = vec![0u64; dims.len()];
            loop {
                copy_box(ed, path, d, &dims, &boxes, &index)?;
                if !next_index(&mut index, &counts) {
                    return Ok(());
                }
            }
        }
    }
}

/// Start and count of box `index` of `boxes`-shaped boxes, clipped to `dims`.
fn box_at(dims: &[u64], boxes: &[u64], index: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let start: Vec<u64> = index.iter().zip(boxes).map(|(i, b)| i * b).collect();
    let count: Vec<u64> = start.iter().zip(boxes).zip(dims).map(|((s, b), x)| (*b).min(x - s)).collect();
    (start, count)
}

/// Reads box `index` (of `boxes`-shaped boxes, clipped to `dims`) from `d` and writes it.
fn copy_box(ed: &mut Editor, path: &str, d: &Dataset, dims: &[u64], boxes: &[u64], index: &[u64]) -> Result<()> {
    let (start, count) = box_at(dims, boxes, index);
    let data = d.read_raw_selection(&Hyperslab::new(&start, &count))?;
    ed.write_slice(path, &start, &count, &data)
}

/// The chunks of the copy (chunk shape `out`) inside the box `start`/`count` (aligned to
/// them) that some allocated source chunk (scaled offsets in `allocated`, chunk shape `src`)
/// touches, as (start, count) clipped to `dims`; `None` when every one is.
fn needed_chunks(
    dims: &[u64],
    start: &[u64],
    count: &[u64],
    out: &[u64],
    src: &[u64],
    allocated: &HashSet<&[u64]>,
) -> Option<Vec<(Vec<u64>, Vec<u64>)>> {
    let first: Vec<u64> = start.iter().zip(out).map(|(s, c)| s / c).collect();
    let span: Vec<u64> = start.iter().zip(count).zip(out).zip(&first).map(|(((s, n), c), f)| (s + n - 1) / c - f + 1).collect();
    let mut parts = Vec::new();
    let mut all = true;
    let mut idx = vec![0u64; span.len()];
    loop {
        let cs: Vec<u64> = first.iter().zip(&idx).zip(out).map(|((f, i), c)| (f + i) * c).collect();
        let cn: Vec<u64> = cs.iter().zip(out).zip(dims).map(|((s, c), x)| (*c).min(x - s)).collect();
        if touches(&cs, &cn, src, allocated) {
            parts.push((cs, cn));
        } else {
            all = false;
        }
        if !next_index(&mut idx, &span) {
            break;
        }
    }
    if all {
        None
    } else {
        Some(parts)
    }
}

/// Whether an allocated source chunk (shape `src`) overlaps the box `start`/`count`.
fn touches(start: &[u64], count: &[u64], src: &[u64], allocated: &HashSet<&[u64]>) -> bool {
    let first: Vec<u64> = start.iter().zip(src).map(|(s, c)| s / c).collect();
    let span: Vec<u64> = start.iter().zip(count).zip(src).zip(&first).map(|(((s, n), c), f)| (s + n - 1) / c - f + 1).collect();
    let cells = span.iter().fold(1u64, |a, &x| a.saturating_mul(x));
    if cells > allocated.len() as u64 {
        // Fewer allocated chunks than cells: test each allocated chunk.
        return allocated.iter().any(|a| {
            a.iter().zip(&first).zip(&span).all(|((&i, &f), &n)| i >= f && i < f + n)
        });
    }
    let mut idx = vec![0u64; span.len()];
    loop {
        let cell: Vec<u64> = first.iter().zip(&idx).map(|(f, i)| f + i).collect();
        if allocated.contains(cell.as_slice()) {
            return true;
        }
        if !next_index(&mut idx, &span) {
            return false;
        }
    }
}

/// The box `at`/`n` of `data` (row-major elements of `esize` bytes, shape `shape`), packed.
fn sub_box(data: &[u8], shape: &[u64], at: &[u64], n: &[u64], esize: usize) -> Result<Vec<u8>> {
    let Some((&run, outer)) = n.split_last() else { return Ok(data.to_vec()) };
    let run = run as usize * esize;
    let mut strides = vec![0u64; shape.len()];
    let mut acc = 1u64;
    for (st, &x) in strides.iter_mut().zip(shape).rev() {
        *st = acc;
        acc = acc.saturating_mul(x);
    }
    let mut out = Vec::with_capacity(n.iter().product::<u64>() as usize * esize);
    let mut idx = vec![0u64; outer.len()];
    loop {
        let off: u64 = at.iter().zip(&strides).enumerate().map(|(d, (a, st))| (a + idx.get(d).copied().unwrap_or(0)) * st).sum();
        let o = off as usize * esize;
        out.extend_from_slice(data.get(o..o + run).ok_or_else(|| Error::usage("internal error: box outside the data read"))?);
        if outer.is_empty() || !next_index(&mut idx, outer) {
            return Ok(out);
        }
    }
}

/// The shape of the boxes data is copied in: whole `unit`s (the copy's chunk; ones when it
/// is not chunked), grown from the last dimension to the first up to [`BOX_BYTES`] (the last
/// dimensions whole before an earlier one grows: h5repack's "strip mine" order).
/// The box shape for a copy chunked as `out_chunk` (`None`: contiguous).
fn copy_boxes(dims: &[u64], out_chunk: Option<&[u64]>, element_size: u64) -> Vec<u64> {
    match out_chunk {
        Some(c) => box_shape(dims, c, element_size),
        None => box_shape_within(dims, &vec![1; dims.len()], element_size, CONTIGUOUS_BOX_BYTES),
    }
}

pub(crate) fn box_shape(dims: &[u64], unit: &[u64], element_size: u64) -> Vec<u64> {
    box_shape_within(dims, unit, element_size, BOX_BYTES)
}

fn box_shape_within(dims: &[u64], unit: &[u64], element_size: u64, budget: u64) -> Vec<u64> {
    let mut out: Vec<u64> = unit.iter().map(|&u| u.max(1)).collect();
    let mut bytes = out.iter().fold(element_size.max(1), |a, &u| a.saturating_mul(u));
    for (o, &x) in out.iter_mut().zip(dims).rev() {
        let units = x.div_ceil(*o).max(1);
        let k = (budget / bytes).clamp(1, units);
        *o = o.saturating_mul(k);
        bytes = bytes.saturating_mul(k);
        if k < units {
            break;
        }
    }
    out
}

/// The boxes (indexes in the box grid, row-major) that some allocated source chunk touches.
fn boxes_touched(dims: &[u64], boxes: &[u64], chunk: &[u64], located: &[ChunkLocation]) -> BTreeSet<Vec<u64>> {
    let mut out = BTreeSet::new();
    let mut seen_first: HashSet<Vec<u64>> = HashSet::new();
    for c in located {
        let first: Vec<u64> = c.offset.iter().zip(boxes).map(|(o, b)| o / b).collect();
        let last: Vec<u64> = c
            .offset
            .iter()
            .zip(chunk)
            .zip(dims)
            .zip(boxes)
            .map(|(((o, k), x), b)| (o.saturating_add(*k).min(*x).max(o + 1) - 1) / b)
            .collect();
        if first == last {
            if seen_first.insert(first.clone()) {
                out.insert(first);
            }
            continue;
        }
        let span: Vec<u64> = first.iter().zip(&last).map(|(f, l)| l - f + 1).collect();
        let mut idx = vec![0u64; span.len()];
        loop {
            out.insert(first.iter().zip(&idx).map(|(f, i)| f + i).collect());
            if !next_index(&mut idx, &span) {
                break;
            }
        }
    }
    out
}

/// Advances `idx` row-major within `counts`; false after the last index.
fn next_index(idx: &mut [u64], counts: &[u64]) -> bool {
    for (i, &c) in idx.iter_mut().zip(counts).rev() {
        *i += 1;
        if *i < c {
            return true;
        }
        *i = 0;
    }
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn boxes_are_whole_chunks_up_to_the_budget() {
        // 16384 x 8192 float64, chunks 256 x 512 (1 MiB): 256 rows of whole columns, 16 MiB.
        assert_eq!(box_shape(&[16384, 8192], &[256, 512], 8), [256, 8192]);
        assert_eq!(copy_boxes(&[16384, 8192], Some(&[256, 512]), 8), [256, 8192]);
        // Contiguous copy: rows of 64 KiB, 16 of them (1 MiB).
        assert_eq!(copy_boxes(&[16384, 8192], None, 8), [16, 8192]);
        // One chunk larger than the budget: one chunk.
        assert_eq!(box_shape(&[100, 10_000_000], &[2, 5_000_000], 8), [2, 5_000_000]);
        // A last dimension too long for the budget: part of it, the others stay one unit.
        assert_eq!(box_shape(&[3, 100_000_000], &[1, 1000], 1), [1, 16_777_000]);
        assert_eq!(box_shape(&[10], &[4], 4), [12]);
    }

    #[test]
    fn parts_of_a_sparse_box() {
        // Box 0..12 x 0..4 of the copy's 4 x 2 chunks; source chunks of 3 x 4, (0, 0) and
        // (3, 0) allocated: rows 0..3 and 9..12 of the box are touched by them.
        let allocated: Vec<Vec<u64>> = vec![vec![0, 0], vec![3, 0]];
        let set: HashSet<&[u64]> = allocated.iter().map(|v| v.as_slice()).collect();
        let parts = needed_chunks(&[12, 4], &[0, 0], &[12, 4], &[4, 2], &[3, 4], &set).unwrap();
        assert_eq!(
            parts,
            [(vec![0, 0], vec![4, 2]), (vec![0, 2], vec![4, 2]), (vec![8, 0], vec![4, 2]), (vec![8, 2], vec![4, 2])]
        );
        let set_all: Vec<Vec<u64>> = (0..4).map(|i| vec![i, 0]).collect();
        let set_all: HashSet<&[u64]> = set_all.iter().map(|v| v.as_slice()).collect();
        assert!(needed_chunks(&[12, 4], &[0, 0], &[12, 4], &[4, 2], &[3, 4], &set_all).is_none());
        // Sub-box extraction: elements 0..12*4 as bytes, rows 8..12, columns 2..4.
        let data: Vec<u8> = (0..48).collect();
        assert_eq!(sub_box(&data, &[12, 4], &[8, 2], &[4, 2], 1).unwrap(), [34, 35, 38, 39, 42, 43, 46, 47]);
        let data2: Vec<u8> = (0..24).collect();
        assert_eq!(sub_box(&data2, &[12], &[3], &[2], 2).unwrap(), [6, 7, 8, 9]);
    }

    #[test]
    fn only_boxes_with_allocated_chunks() {
        let loc = |offset: Vec<u64>| ChunkLocation { scaled_offset: vec![], offset, address: 0, size: 0, filter_mask: 0 };
        // Source chunks of 10 along a dimension of 100, boxes of 25: chunk 20..30 touches
        // boxes 0 and 1, chunk 90..100 box 3; box 2 stays unwritten.
        let got = boxes_touched(&[100], &[25], &[10], &[loc(vec![20]), loc(vec![90]), loc(vec![0])]);
        assert_eq!(got.into_iter().collect::<Vec<_>>(), [vec![0], vec![1], vec![3]]);
        // An edge chunk reaching past the extent.
        let got = boxes_touched(&[95, 4], &[50, 4], &[10, 4], &[loc(vec![90, 0])]);
        assert_eq!(got.into_iter().collect::<Vec<_>>(), [vec![1, 0]]);
    }
}
