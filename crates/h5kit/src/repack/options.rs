//! h5repack's `-f` and `-l` options (`h5repack_filters.c`, `h5repack_parse.c`): which
//! filters and layout each copied dataset gets. See spec-notes/repack.md.

use std::collections::BTreeMap;

use h5kit_core::{Error, ErrorKind, Result};
use h5kit_dataset::filter;
use h5kit_object_header::Filter;
use h5kit_write::LayoutKind;

/// h5repack's buffer size (`H5TOOLS_BUFSIZE`, 32 MiB): the chunk it gives a dataset that
/// gets filters without a chunk shape is at most this large.
const TOOLS_BUFSIZE: u64 = 32 * 1024 * 1024;

/// h5repack's largest compact dataset (`MAX_COMPACT_DSIZE`: 64 KiB less 1 KiB of header).
pub(super) const MAX_COMPACT_DSIZE: u64 = 64512;

/// A layout option: the layout and, for `CHUNK=`, the chunk shape.
pub type LayoutOption = (LayoutKind, Option<Vec<u64>>);

/// What to change while copying (h5repack's `-f` and `-l`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepackOptions {
    /// `-f FILTER` without object names: every dataset's pipeline is replaced by these
    /// filters, in order (`Some(vec![])`: `NONE`, no filters).
    pub filters: Option<Vec<Filter>>,
    /// `-f OBJ[,OBJ...]:FILTER`: pipelines of named datasets (paths without the leading '/'),
    /// replacing the source's.
    pub object_filters: BTreeMap<String, Vec<Filter>>,
    /// `-l LAYOUT` without object names: `CONTI` (filters dropped), `COMPA` (unfiltered
    /// datasets under 64512 bytes), `CHUNK=AxB` (datasets of that rank).
    pub layout: Option<LayoutOption>,
    /// `-l OBJ[,OBJ...]:LAYOUT`: layouts of named datasets.
    pub object_layouts: BTreeMap<String, LayoutOption>,
}

/// Splits h5repack's `OBJ,OBJ:VALUE` into the object names (without a leading '/') and the
/// value; no ':' means every object.
fn split_objects(arg: &str) -> (Vec<String>, &str) {
    match arg.rsplit_once(':') {
        Some((objs, value)) => {
            let names = objs.split(',').map(|o| o.trim().trim_start_matches('/').to_string()).filter(|o| !o.is_empty()).collect();
            (names, value)
        }
        None => (Vec::new(), arg),
    }
}

fn numbers(arg: &str, list: &str) -> Result<Vec<u32>> {
    list.split(',')
        .map(|v| v.trim().parse::<u32>().map_err(|_| Error::usage(format!("-f {}: {:?} is not a number", arg, v))))
        .collect()
}

/// One h5repack filter name as a pipeline entry (`None`: `NONE`). The flags are those
/// libhdf5's `H5Pset_deflate`/`H5Pset_shuffle` (optional) and `H5Pset_fletcher32`
/// (mandatory) use.
fn parse_one_filter(arg: &str, value: &str) -> Result<Option<Filter>> {
    let (name, params) = match value.split_once('=') {
        Some((n, p)) => (n.trim().to_ascii_uppercase(), Some(p.trim())),
        None => (value.trim().to_ascii_uppercase(), None),
    };
    let filter = |id: u16, flags: u16, client_data: Vec<u32>| Filter { id, name: None, flags, client_data };
    Ok(Some(match (name.as_str(), params) {
        ("GZIP", Some(level)) => {
            let l: u32 = level.parse().map_err(|_| Error::usage(format!("-f {}: GZIP level 1-9 expected", arg)))?;
            if l > 9 {
                return Err(Error::usage(format!("-f {}: GZIP level 1-9 expected", arg)));
            }
            filter(filter::DEFLATE, 1, vec![l])
        }
        ("SHUF", None) => filter(filter::SHUFFLE, 1, vec![]),
        ("FLET", None) => filter(filter::FLETCHER32, 0, vec![]),
        ("NONE", None) => return Ok(None),
        ("UD", Some(list)) => {
            let v = numbers(arg, list)?;
            let &[id, flags, count, ref values @ ..] = v.as_slice() else {
                return Err(Error::usage(format!("-f {}: UD=filter_number,filter_flag,cd_value_count,value1[,...] expected", arg)));
            };
            let id = u16::try_from(id).map_err(|_| Error::usage(format!("-f {}: filter number {} too large", arg, id)))?;
            if flags > 1 || count as usize != values.len() || values.is_empty() {
                return Err(Error::usage(format!("-f {}: filter flag 0/1 and {} client data values expected", arg, count)));
            }
            if !filter::can_encode(id) && flags == 0 {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("-f {}: filter {} ({}) cannot be applied by h5kit", arg, id, filter::filter_name(id)),
                ));
            }
            filter(id, flags as u16, values.to_vec())
        }
        // H5Pset_nbit: mandatory; H5Pset_scaleoffset: optional, cd = [scale type, factor].
        ("NBIT", None) => filter(filter::NBIT, 0, vec![]),
        ("SOFF", Some(p)) => {
            let (factor, kind) = p
                .split_once(',')
                .ok_or_else(|| Error::usage(format!("-f {}: SOFF=scale_factor,IN|DS expected", arg)))?;
            let factor: i32 = factor.trim().parse().map_err(|_| Error::usage(format!("-f {}: SOFF=scale_factor,IN|DS expected", arg)))?;
            let scale_type = match kind.trim().to_ascii_uppercase().as_str() {
                "IN" => 2,
                "DS" => 0,
                _ => return Err(Error::usage(format!("-f {}: scale type IN or DS expected", arg))),
            };
            filter(filter::SCALEOFFSET, 1, vec![scale_type, factor as u32])
        }
        ("SZIP" | "NBIT" | "SOFF", _) => {
            return Err(Error::new(ErrorKind::Unsupported, format!("-f {}: filter {} is not supported by h5kit", arg, name)))
        }
        _ => return Err(Error::usage(format!("-f {}: GZIP=n, SHUF, FLET, UD=..., NONE expected", arg))),
    }))
}

impl RepackOptions {
    /// Applies one h5repack `-f` argument: `[OBJ,OBJ...:]FILTER` with FILTER one of
    /// `GZIP=level` (0-9), `SHUF`, `FLET`, `NBIT`, `SOFF=factor,IN|DS` (integers encoded;
    /// floats keep the optional filter, skipped), `UD=id,flags,count,values...` (filters h5kit
    /// can apply, or optional ones), `NONE`. Filters accumulate in the order given; `NONE` only
    /// removes the source's filters. As h5repack, filters for all objects and for named
    /// objects cannot be mixed.
    pub fn parse_filter(&mut self, arg: &str) -> Result<()> {
        let (objects, value) = split_objects(arg);
        let f = parse_one_filter(arg, value)?;
        if objects.is_empty() {
            if !self.object_filters.is_empty() {
                return Err(Error::usage(format!("-f {}: filters for all objects and for named objects cannot be mixed", arg)));
            }
            self.filters.get_or_insert_with(Vec::new).extend(f);
        } else {
            if self.filters.is_some() {
                return Err(Error::usage(format!("-f {}: filters for all objects and for named objects cannot be mixed", arg)));
            }
            for o in objects {
                self.object_filters.entry(o).or_default().extend(f.clone());
            }
        }
        Ok(())
    }

    /// Applies one h5repack `-l` argument: `[OBJ,OBJ...:]LAYOUT` with LAYOUT one of
    /// `CHUNK=10x20`, `CONTI`, `COMPA`.
    pub fn parse_layout(&mut self, arg: &str) -> Result<()> {
        let (objects, value) = split_objects(arg);
        let upper = value.trim().to_ascii_uppercase();
        let layout = match upper.split_once('=') {
            Some(("CHUNK", dims)) => {
                let dims: std::result::Result<Vec<u64>, _> = dims.split(['x', 'X']).map(|d| d.trim().parse::<u64>()).collect();
                let dims = dims.map_err(|_| Error::usage(format!("-l {}: CHUNK=AxB... expected", arg)))?;
                if dims.is_empty() || dims.contains(&0) || dims.len() > 32 {
                    return Err(Error::usage(format!("-l {}: chunk dimensions must be positive", arg)));
                }
                (LayoutKind::Chunked, Some(dims))
            }
            None if upper == "CONTI" => (LayoutKind::Contiguous, None),
            None if upper == "COMPA" => (LayoutKind::Compact, None),
            _ => return Err(Error::usage(format!("-l {}: CHUNK=AxB, CONTI or COMPA expected", arg))),
        };
        if objects.is_empty() {
            self.layout = Some(layout);
        } else {
            for o in objects {
                self.object_layouts.insert(o, layout.clone());
            }
        }
        Ok(())
    }
}

/// h5repack's chunk for a dataset it filters that has none: the dataset's shape, the leading
/// dimensions cut so that a chunk is at most 32 MiB (its "strip mine" hyperslab).
pub fn h5repack_chunk(dims: &[u64], elem_size: u64) -> Vec<u64> {
    let mut out = vec![1u64; dims.len()];
    let mut nbytes = elem_size.max(1);
    for (o, &d) in out.iter_mut().zip(dims).rev() {
        let size = (TOOLS_BUFSIZE / nbytes).max(1);
        *o = d.min(size).max(1);
        nbytes = nbytes.saturating_mul(*o);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn parses_h5repack_options() {
        let mut o = RepackOptions::default();
        o.parse_filter("GZIP=6").unwrap();
        o.parse_filter("shuf").unwrap();
        o.parse_filter("NONE").unwrap();
        let ids: Vec<(u16, u16, Vec<u32>)> = o.filters.clone().unwrap().into_iter().map(|f| (f.id, f.flags, f.client_data)).collect();
        assert_eq!(ids, [(1, 1, vec![6]), (2, 1, vec![])]);
        assert!(o.parse_filter("a:FLET").is_err(), "all-object and per-object filters mixed");
        assert!(o.parse_filter("GZIP=10").is_err());
        assert!(o.parse_filter("SZIP=8,NN").is_err());
        let mut o = RepackOptions::default();
        o.parse_filter("NBIT").unwrap();
        o.parse_filter("SOFF=3,in").unwrap();
        o.parse_filter("SOFF=-2,DS").unwrap();
        let got: Vec<(u16, u16, Vec<u32>)> = o.filters.clone().unwrap().into_iter().map(|f| (f.id, f.flags, f.client_data)).collect();
        assert_eq!(got, [(5, 0, vec![]), (6, 1, vec![2, 3]), (6, 1, vec![0, (-2i32) as u32])]);
        assert!(o.parse_filter("SOFF=3").is_err() && o.parse_filter("SOFF=3,XX").is_err());
        let mut o = RepackOptions::default();
        o.parse_filter("/a,g/d:UD=32004,1,1,0").unwrap();
        o.parse_filter("a:FLET").unwrap();
        o.parse_filter("b:NONE").unwrap();
        assert_eq!(o.object_filters["a"].iter().map(|f| f.id).collect::<Vec<_>>(), [32004, 3]);
        assert_eq!(o.object_filters["g/d"][0].client_data, [0]);
        assert!(o.object_filters["b"].is_empty());
        assert!(o.parse_filter("UD=32004,1,2,0").is_err(), "count differs from the values");
        assert!(o.parse_filter("x:UD=307,0,1,9").is_err(), "mandatory bzip2: cannot be applied");
        assert!(o.parse_filter("x:UD=307,1,1,9").is_ok(), "optional: written, skipped on chunks");
        o.parse_layout("CHUNK=10x20").unwrap();
        assert_eq!(o.layout, Some((LayoutKind::Chunked, Some(vec![10, 20]))));
        o.parse_layout("CONTI").unwrap();
        assert_eq!(o.layout, Some((LayoutKind::Contiguous, None)));
        o.parse_layout("/b,c:COMPA").unwrap();
        assert_eq!(o.object_layouts["c"], (LayoutKind::Compact, None));
        assert!(o.parse_layout("CHUNK=0x3").is_err());
        assert!(o.parse_layout("a:CHUNKY").is_err());
    }

    #[test]
    fn chunk_like_h5repack() {
        // h5repack -f big:GZIP=1 on a 3000 x 3000 float64 dataset: CHUNKED ( 1398, 3000 ).
        assert_eq!(h5repack_chunk(&[3000, 3000], 8), [1398, 3000]);
        assert_eq!(h5repack_chunk(&[1000], 8), [1000]);
        assert_eq!(h5repack_chunk(&[10, 5_000_000, 2], 8), [1, 2_097_152, 2]);
    }
}
