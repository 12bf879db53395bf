//! A faster whole-dataset read for chunked datasets whose fill value is zero (the common case),
//! used by the JavaScript API. Same steps as `h5kit_dataset::read_all` (chunk index through
//! [`h5kit_dataset::chunk_locations`], filters through [`h5kit_dataset::decode_pipeline`],
//! spec IV.A.2.i "The Data Storage - Layout Message" and IV.A.2.l "Filter Pipeline"), but the
//! output starts as `vec![0; n]` instead of a byte-wise cycle of the fill pattern, which costs
//! more than inflating on wasm (400 ms for 64 MiB). Remove once h5kit-dataset fills quickly.

use h5kit::{Dataset, DataspaceKind, Layout};
use h5kit_core::{Context, Error, Result};

fn overflow(what: &str) -> Error {
    Error::format(0, format!("{} overflows", what))
}

/// The dataset's raw bytes, or `None` when this path does not apply (not chunked, non-zero
/// fill value, null or scalar dataspace): then use `Dataset::read_raw`.
pub fn read_all_chunked(ctx: Context, ds: &Dataset) -> Result<Option<Vec<u8>>> {
    let Layout::Chunked { chunk_dims, flags, .. } = &ds.layout().layout else { return Ok(None) };
    let space = ds.dataspace();
    if space.kind != DataspaceKind::Simple || space.dims.is_empty() || chunk_dims.len() != space.dims.len() {
        return Ok(None);
    }
    if let Some(v) = ds.fill_value().and_then(|f| f.value.as_ref()) {
        if v.iter().any(|b| *b != 0) {
            return Ok(None);
        }
    }
    let es = ds.datatype().size as usize;
    if es == 0 {
        return Ok(None);
    }
    let dims = &space.dims;
    let rank = dims.len();
    let count = space.element_count().ok_or_else(|| overflow("dataspace element count"))?;
    let total = count.checked_mul(es as u64).ok_or_else(|| overflow("dataset size"))?;
    let n = ctx.limits.check_alloc(total, 0, "dataset")?;
    let mut out = vec![0u8; n];
    let empty = h5kit::FilterPipeline::default();
    let filters = ds.filters().unwrap_or(&empty);
    let filtered = !filters.filters.is_empty();
    let full = chunk_dims
        .iter()
        .try_fold(es as u64, |a, &d| a.checked_mul(d))
        .ok_or_else(|| overflow("chunk size"))?;
    let no_edge_filter = flags & 1 != 0;
    // Deflate alone (filter 1), chunks spanning whole rows: inflate straight into the output.
    let deflate_only = filters.filters.len() == 1 && filters.filters.first().is_some_and(|f| f.id == 1);
    let whole_rows = chunk_dims[1..] == dims[1..];
    for c in h5kit_dataset::chunk_locations(ctx, ds.layout(), space, es, filtered)? {
        if c.offsets.len() != rank {
            return Err(Error::format(c.address, "chunk rank differs from the dataspace rank"));
        }
        let edge = c.offsets.iter().zip(chunk_dims).zip(dims).any(|((o, cd), d)| o.saturating_add(*cd) > *d);
        if deflate_only && whole_rows && !edge && c.filter_mask == 0 && inflate_into(ctx, &c, &mut out, dims, es, full)? {
            continue;
        }
        let apply = filtered && !(no_edge_filter && edge);
        let stored = if apply { c.size } else { full };
        let raw = ctx.read(c.address, stored, "chunk")?.into_owned();
        let data = if apply { h5kit_dataset::decode_pipeline(filters, c.filter_mask, raw, es, ctx.limits, c.address)? } else { raw };
        if (data.len() as u64) < full {
            return Err(Error::format(c.address, format!("chunk decoded to {} bytes, expected {}", data.len(), full)));
        }
        place(&mut out, dims, chunk_dims, &c.offsets, &data, es).map_err(|e| e.at(c.address))?;
    }
    Ok(Some(out))
}

/// Inflates chunk `c` (a zlib stream; the chunk spans whole rows and lies inside the dataset)
/// straight into its place in `out`. `Ok(false)` when it does not decode to exactly `full`
/// bytes or the stream is damaged: the general path then decodes it and reports.
fn inflate_into(ctx: Context, c: &h5kit_dataset::ChunkLocation, out: &mut [u8], dims: &[u64], es: usize, full: u64) -> Result<bool> {
    if c.offsets[1..].iter().any(|o| *o != 0) {
        return Ok(false);
    }
    let row: u64 = dims[1..].iter().try_fold(es as u64, |a, &d| a.checked_mul(d)).ok_or_else(|| overflow("row"))?;
    let start = c.offsets[0].checked_mul(row).ok_or_else(|| overflow("chunk offset"))?;
    let end = start.checked_add(full).ok_or_else(|| overflow("chunk end"))?;
    let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else { return Ok(false) };
    let Some(dst) = out.get_mut(start..end) else { return Ok(false) };
    let src = ctx.read(c.address, c.size, "chunk")?;
    let mut z = flate2::Decompress::new(true);
    match z.decompress(&src, dst, flate2::FlushDecompress::Finish) {
        Ok(flate2::Status::StreamEnd) if z.total_out() == full => Ok(true),
        _ => Ok(false),
    }
}

/// Copies the part of a decoded chunk (row-major, `chunk_dims`, first element at `offsets`)
/// that lies inside the dataset (`dims`) into the row-major output.
fn place(out: &mut [u8], dims: &[u64], chunk_dims: &[u64], offsets: &[u64], chunk: &[u8], es: usize) -> Result<()> {
    let rank = dims.len();
    let mut ext = Vec::with_capacity(rank);
    for r in 0..rank {
        let o = offsets[r];
        if o >= dims[r] {
            return Ok(()); // entirely outside (a chunk left over after shrinking)
        }
        ext.push(chunk_dims[r].min(dims[r] - o));
    }
    let run = usize::try_from(ext[rank - 1]).map_err(|_| overflow("run"))?.checked_mul(es).ok_or_else(|| overflow("run"))?;
    let rows = ext[..rank - 1].iter().try_fold(1u64, |a, &e| a.checked_mul(e)).ok_or_else(|| overflow("rows"))?;
    let mut idx = vec![0u64; rank];
    for row in 0..rows {
        let mut rem = row;
        for r in (0..rank - 1).rev() {
            idx[r] = rem % ext[r];
            rem /= ext[r];
        }
        let (mut s_lin, mut d_lin) = (0u64, 0u64);
        for r in 0..rank {
            s_lin = s_lin.checked_mul(chunk_dims[r]).and_then(|v| v.checked_add(idx[r])).ok_or_else(|| overflow("offset"))?;
            let g = offsets[r].checked_add(idx[r]).ok_or_else(|| overflow("offset"))?;
            d_lin = d_lin.checked_mul(dims[r]).and_then(|v| v.checked_add(g)).ok_or_else(|| overflow("offset"))?;
        }
        let s = usize::try_from(s_lin).ok().and_then(|v| v.checked_mul(es)).ok_or_else(|| overflow("offset"))?;
        let d = usize::try_from(d_lin).ok().and_then(|v| v.checked_mul(es)).ok_or_else(|| overflow("offset"))?;
        let from = chunk.get(s..s.saturating_add(run)).ok_or_else(|| Error::format(0, "decoded chunk too short"))?;
        out.get_mut(d..d.saturating_add(run)).ok_or_else(|| overflow("output offset"))?.copy_from_slice(from);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use h5kit::{File, Object};

    /// Every chunked dataset of the interop files: the fast path gives exactly what
    /// `Dataset::read_raw` gives (which is checked against h5dump in h5kit's tests).
    #[test]
    fn matches_read_raw_on_interop_files() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/interop/jhdf");
        let mut checked = 0;
        for name in [
            "test_compressed_chunked_datasets_earliest.hdf5",
            "test_compressed_chunked_datasets_latest.hdf5",
            "test_chunked_datasets_earliest.hdf5",
            "test_chunked_datasets_latest.hdf5",
            "chunked_v4_datasets.hdf5",
            "fixed_array_paged_datasets.hdf5",
            "implicit_index_datasets.hdf5",
            "test_byteshuffle_compressed_datasets_latest.hdf5",
            "test_fill_value_latest.hdf5",
            "fletcher32_datasets_latest.hdf5",
        ] {
            let path = format!("{}/{}", dir, name);
            let data = std::fs::read(&path).unwrap();
            let f = File::from_bytes(data.clone()).unwrap();
            let storage = h5kit_core::MemStorage::new(data);
            let limits = h5kit::Limits::default();
            let sb = f.superblock();
            let ctx = Context::new(&storage, sb.sizes, &limits, sb.base_address);
            let mut stack = vec![f.root().unwrap()];
            while let Some(g) = stack.pop() {
                for l in g.links().unwrap() {
                    let h5kit::LinkTarget::Hard { address } = l.target else { continue };
                    let p = if g.path() == "/" { format!("/{}", l.name) } else { format!("{}/{}", g.path(), l.name) };
                    match f.object_at(address, &p) {
                        Ok(Object::Group(c)) => stack.push(c),
                        Ok(Object::Dataset(d)) => {
                            let slow = d.read_raw();
                            match read_all_chunked(ctx, &d) {
                                Ok(Some(fast)) => {
                                    assert_eq!(fast, slow.unwrap(), "{} {}", name, p);
                                    checked += 1;
                                }
                                Ok(None) => {}
                                Err(e) => assert!(slow.is_err(), "{} {}: fast path failed ({}) where read_raw works", name, p, e),
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        assert!(checked >= 40, "only {} datasets went through the fast path", checked);
    }

    /// Deflate chunks spanning whole rows are inflated in place (2-D, with an edge chunk and a
    /// 1-D dataset), and agree with the general path.
    #[cfg(feature = "write")]
    #[test]
    fn inflate_in_place_matches_read_raw() {
        use h5kit_write::{dtype, DatasetSpec, FileWriter, LibVer};
        let mut w = FileWriter::in_memory(LibVer::Latest);
        let mut spec = DatasetSpec::new(dtype::float64(), &[10, 6]);
        spec.chunks = Some(vec![3, 6]);
        spec.deflate = Some(4);
        w.create_dataset("/m", spec).unwrap();
        let vals: Vec<u8> = (0..60).flat_map(|i| (i as f64 * 0.25).to_le_bytes()).collect();
        w.write_dataset("/m", &vals).unwrap();
        let mut spec = DatasetSpec::new(dtype::int(4, true), &[1000]);
        spec.chunks = Some(vec![256]);
        spec.deflate = Some(1);
        w.create_dataset("/v", spec).unwrap();
        let ints: Vec<u8> = (0..1000i32).flat_map(|i| (i * 3 - 7).to_le_bytes()).collect();
        w.write_dataset("/v", &ints).unwrap();
        let bytes = w.to_bytes().unwrap();
        let f = File::from_bytes(bytes.clone()).unwrap();
        let storage = h5kit_core::MemStorage::new(bytes);
        let limits = h5kit::Limits::default();
        let ctx = Context::new(&storage, f.superblock().sizes, &limits, f.superblock().base_address);
        for (p, want) in [("/m", &vals), ("/v", &ints)] {
            let Object::Dataset(d) = f.object(p).unwrap() else { panic!("{} is not a dataset", p) };
            assert_eq!(&read_all_chunked(ctx, &d).unwrap().unwrap(), want, "{}", p);
            assert_eq!(&d.read_raw().unwrap(), want, "{}", p);
        }
    }
}
