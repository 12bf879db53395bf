//! Virtual dataset mappings for `h5dump -p` (spec III.E "Global Heap Block for Virtual
//! Dataset", versions 0 and 1; selections as in spec VIII "Dataspace Selection").

use h5kit::{File, Layout, LayoutMessage};
use h5kit_core::Reader;

use super::printer::Printer;
use super::region::{coords, decode_selection_v, Selection};

/// One mapping: source file, source dataset, source and virtual selections.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub file: String,
    pub dataset: String,
    pub source: Selection,
    pub virtual_sel: Selection,
}

/// Upper bound on mappings listed (hostile files).
const MAX_MAPPINGS: u64 = 1 << 16;

/// Decodes the mapping block of a virtual layout: (block version, mappings).
pub fn mappings(file: &File, layout: &LayoutMessage) -> Option<(u8, Vec<Mapping>)> {
    mappings_v(file, layout).map(|(v, m, _)| (v, m))
}

/// Like [`mappings`], also saying whether a selection uses an encoding newer than 1.10's.
pub fn mappings_v(file: &File, layout: &LayoutMessage) -> Option<(u8, Vec<Mapping>, bool)> {
    let mut modern = false;
    let Layout::Virtual { heap_address: Some(addr), heap_index } = &layout.layout else { return None };
    let data = file.global_heap_object(*addr, *heap_index).ok()?;
    let sizes = file.superblock().sizes;
    let mut r = Reader::new(&data, *addr, sizes);
    let version = r.u8().ok()?;
    let n = r.length().ok()?;
    if n > MAX_MAPPINGS {
        return None;
    }
    let mut out: Vec<Mapping> = Vec::new();
    for _ in 0..n {
        let flags = if version >= 1 { r.u8().ok()? } else { 0 };
        let file_name = if flags & 4 != 0 {
            ".".to_string()
        } else if flags & 1 != 0 {
            let i = usize::try_from(r.length().ok()?).ok()?;
            out.get(i)?.file.clone()
        } else {
            String::from_utf8_lossy(r.cstr().ok()?).into_owned()
        };
        let dataset = if flags & 2 != 0 {
            let i = usize::try_from(r.length().ok()?).ok()?;
            out.get(i)?.dataset.clone()
        } else {
            String::from_utf8_lossy(r.cstr().ok()?).into_owned()
        };
        let source = decode_selection_v(&mut r, &mut modern).ok()?;
        let virtual_sel = decode_selection_v(&mut r, &mut modern).ok()?;
        out.push(Mapping { file: file_name, dataset, source, virtual_sel });
    }
    Some((version, out, modern))
}

fn print_selection(p: &mut Printer, sel: &Selection) {
    match sel {
        Selection::All => p.put("SELECTION ALL"),
        Selection::None => p.put("SELECTION NONE"),
        Selection::Points(pts) => {
            let parts: Vec<String> = pts.iter().map(|c| coords(c)).collect();
            p.put(&format!("SELECTION POINT {{ {} }}", parts.join(", ")));
        }
        Selection::Regular(d) => {
            p.put("SELECTION REGULAR_HYPERSLAB { ");
            p.indent += 1;
            let col = |f: fn(&(u64, u64, u64, u64)) -> u64| -> String {
                let v: Vec<String> = d
                    .iter()
                    .map(f)
                    .map(|x| if x == u64::MAX { "H5S_UNLIMITED".to_string() } else { x.to_string() })
                    .collect();
                format!("({})", v.join(","))
            };
            p.put(&format!("START {}", col(|x| x.0)));
            p.put(&format!("STRIDE {}", col(|x| x.1)));
            p.put(&format!("COUNT {}", col(|x| x.2)));
            p.put(&format!("BLOCK {}", col(|x| x.3)));
            p.indent -= 1;
            p.put("}");
        }
        Selection::Blocks(b) if b.len() == 1 => {
            // libhdf5 sees a single block as a regular hyperslab.
            if let Some((s, e)) = b.first() {
                let d: Vec<(u64, u64, u64, u64)> =
                    s.iter().zip(e.iter()).map(|(&a, &z)| (a, 1, 1, z.saturating_sub(a).saturating_add(1))).collect();
                print_selection(p, &Selection::Regular(d));
            }
        }
        Selection::Blocks(b) => {
            p.put("SELECTION IRREGULAR_HYPERSLAB { ");
            p.indent += 1;
            let parts: Vec<String> = b.iter().map(|(s, e)| format!("{}-{}", coords(s), coords(e))).collect();
            p.put(&parts.join(", "));
            p.indent -= 1;
            p.put("}");
        }
    }
}

/// Writes the `MAPPING n { VIRTUAL {...} SOURCE {...} }` blocks.
pub fn print_mappings(p: &mut Printer, maps: &[Mapping]) {
    for (i, m) in maps.iter().enumerate() {
        p.put(&format!("MAPPING {} {{ ", i));
        p.indent += 1;
        p.put("VIRTUAL {");
        p.indent += 1;
        print_selection(p, &m.virtual_sel);
        p.indent -= 1;
        p.put("}");
        p.put("SOURCE {");
        p.indent += 1;
        p.put(&format!("FILE \"{}\"", m.file));
        let ds_line = format!("DATASET \"{}\"", m.dataset);
        // For an empty source selection h5dump 1.10.8 prints "Unknown Selection" after
        // repeating the pending DATASET text on the same line.
        if m.source == Selection::None {
            p.put(&format!("{}{}Unknown Selection", ds_line, ds_line));
        } else {
            p.put(&ds_line);
            print_selection(p, &m.source);
        }
        p.indent -= 1;
        p.put("}");
        p.indent -= 1;
        p.put("}");
    }
}

/// Row-major list of the points a selection picks in a dataspace of `dims` (bounded).
fn selected_points(sel: &Selection, dims: &[u64]) -> Option<Vec<Vec<u64>>> {
    const MAX_POINTS: usize = 1 << 24;
    let product = |sets: Vec<Vec<u64>>| -> Option<Vec<Vec<u64>>> {
        let total = sets.iter().try_fold(1usize, |a, s| a.checked_mul(s.len()))?;
        if total > MAX_POINTS {
            return None;
        }
        let mut out = Vec::with_capacity(total);
        for k in 0..total {
            let mut rem = k;
            let mut c = vec![0u64; sets.len()];
            for (i, s) in sets.iter().enumerate().rev() {
                let n = s.len().max(1);
                if let (Some(slot), Some(v)) = (c.get_mut(i), s.get(rem % n)) {
                    *slot = *v;
                }
                rem /= n;
            }
            out.push(c);
        }
        Some(out)
    };
    match sel {
        Selection::None => Some(Vec::new()),
        Selection::All => product(dims.iter().map(|&d| (0..d.min(MAX_POINTS as u64)).collect()).collect()),
        Selection::Points(p) => Some(p.clone()),
        Selection::Regular(d) => {
            let mut sets = Vec::new();
            for (k, &(start, stride, count, block)) in d.iter().enumerate() {
                // Only points inside the extent exist (unlimited counts/blocks are clipped).
                let extent = dims.get(k).copied().unwrap_or(0);
                let mut v = Vec::new();
                let mut i = 0u64;
                while i < count {
                    let b0 = start.saturating_add(i.saturating_mul(stride));
                    if b0 >= extent {
                        break;
                    }
                    let mut j = 0u64;
                    while j < block && b0.saturating_add(j) < extent {
                        v.push(b0 + j);
                        j += 1;
                    }
                    if v.len() > MAX_POINTS {
                        return None;
                    }
                    if stride == 0 {
                        break;
                    }
                    i += 1;
                }
                v.sort_unstable();
                v.dedup();
                sets.push(v);
            }
            product(sets)
        }
        Selection::Blocks(b) => {
            let mut all = Vec::new();
            for (s, e) in b {
                let sets: Vec<Vec<u64>> = s
                    .iter()
                    .zip(e.iter())
                    .map(|(&a, &z)| (a..=z.max(a)).take(MAX_POINTS).collect())
                    .collect();
                all.extend(product(sets)?);
                if all.len() > MAX_POINTS {
                    return None;
                }
            }
            all.sort();
            all.dedup();
            Some(all)
        }
    }
}

fn linear(c: &[u64], dims: &[u64]) -> Option<usize> {
    let mut idx: u64 = 0;
    for (&x, &d) in c.iter().zip(dims.iter()) {
        if x >= d {
            return None;
        }
        idx = idx.checked_mul(d)?.checked_add(x)?;
    }
    usize::try_from(idx).ok()
}

/// Reads a virtual dataset the way libhdf5 presents it: mapped source elements, the fill
/// value (or zeros) elsewhere. `base_dir` resolves source file names; `.` is this file.
pub fn read_virtual(file: &File, base_dir: &std::path::Path, ds: &h5kit::snapshot::Dataset) -> Option<Vec<u8>> {
    let (_, maps) = mappings(file, ds.layout())?;
    let size = ds.datatype().size as usize;
    let dims = ds.dataspace().dims.clone();
    let count = usize::try_from(ds.dataspace().element_count()?).ok()?;
    let total = count.checked_mul(size)?;
    if total > 1 << 30 {
        return None;
    }
    let fill: Vec<u8> = ds
        .fill_value()
        .and_then(|f| f.value.clone())
        .filter(|v| v.len() == size)
        .unwrap_or_else(|| vec![0u8; size]);
    let mut out = Vec::with_capacity(total);
    for _ in 0..count {
        out.extend_from_slice(&fill);
    }
    let mut expanded: Vec<Mapping> = Vec::new();
    for m in &maps {
        // printf-style names (`%b`) with an unlimited virtual count: block k comes from the
        // source named with k, while such sources exist and the block is inside the extent.
        let printf = m.file.contains("%b") || m.dataset.contains("%b");
        let unlimited_dim = match &m.virtual_sel {
            Selection::Regular(d) => d.iter().position(|x| x.2 == u64::MAX),
            _ => None,
        };
        match (printf, unlimited_dim, &m.virtual_sel) {
            (true, Some(u), Selection::Regular(d)) => {
                let extent = dims.get(u).copied().unwrap_or(0);
                for k in 0..MAX_MAPPINGS {
                    let Some(&(start, stride, _, block)) = d.get(u) else { break };
                    let b0 = start.saturating_add(k.saturating_mul(stride));
                    if b0 >= extent || (k > 0 && stride == 0) {
                        break;
                    }
                    let mut dk = d.clone();
                    if let Some(slot) = dk.get_mut(u) {
                        *slot = (b0, 1, 1, block);
                    }
                    let name = |t: &str| t.replace("%b", &k.to_string());
                    expanded.push(Mapping {
                        file: name(&m.file),
                        dataset: name(&m.dataset),
                        source: m.source.clone(),
                        virtual_sel: Selection::Regular(dk),
                    });
                }
            }
            _ => expanded.push(m.clone()),
        }
    }
    for m in &expanded {
        let src_file = if m.file == "." {
            file.clone()
        } else {
            let p = base_dir.join(&m.file);
            match File::open(&p).or_else(|_| File::open(&m.file)) {
                Ok(f) => f,
                Err(_) => continue,
            }
        };
        let Ok(h5kit::Object::Dataset(src)) = src_file.root().and_then(|r| r.open(&m.dataset)) else { continue };
        let Ok(src_data) = src.read_raw() else { continue };
        let src_dims = src.dataspace().dims.clone();
        let Some(src_pts) = selected_points(&m.source, &src_dims) else { continue };
        let Some(dst_pts) = selected_points(&m.virtual_sel, &dims) else { continue };
        for (sp, dp) in src_pts.iter().zip(dst_pts.iter()) {
            let (Some(si), Some(di)) = (linear(sp, &src_dims), linear(dp, &dims)) else { continue };
            let (Some(s0), Some(d0)) = (si.checked_mul(size), di.checked_mul(size)) else { continue };
            if let (Some(src_b), Some(dst_b)) = (src_data.get(s0..s0 + size), out.get_mut(d0..d0 + size)) {
                dst_b.copy_from_slice(src_b);
            }
        }
    }
    Some(out)
}
