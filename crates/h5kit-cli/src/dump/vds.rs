//! Virtual dataset mappings for `h5dump -p` (spec III.E "Global Heap Block for Virtual
//! Dataset", versions 0 and 1; selections as in spec VIII "Dataspace Selection").

use h5kit::{File, Layout, LayoutMessage};
use h5kit_core::Reader;

use super::printer::Printer;
use super::region::{coords, decode_selection, Selection};

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
        let source = decode_selection(&mut r).ok()?;
        let virtual_sel = decode_selection(&mut r).ok()?;
        out.push(Mapping { file: file_name, dataset, source, virtual_sel });
    }
    Some((version, out))
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
                let v: Vec<u64> = d.iter().map(f).collect();
                coords(&v)
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
        p.put(&format!("DATASET \"{}\"", m.dataset));
        print_selection(p, &m.source);
        p.indent -= 1;
        p.put("}");
        p.indent -= 1;
        p.put("}");
    }
}
