//! `h5ls -d` of reference-typed datasets and attributes: h5ls dereferences each element.
//! An object reference prints `GROUP-1:96 ""` (kind, file number, address, an empty path)
//! and a `DATA {}` block with the target dataset's values; a region reference prints the
//! target dataset's path, the selection (`REGION_TYPE BLOCK  Blk0: (0)-(0), ...`), its
//! datatype and dataspace; a null reference prints `NULL`. A blank line follows the block.

use std::collections::HashMap;

use h5kit::{ByteOrder, DataspaceKind, File, Object, ReferenceKind};

use crate::dump::region::{coords, decode_region, expand_regular, Selection};
use crate::dump::values::read_uint;

/// Every object's first path (depth first, links by name), for region references.
pub fn object_paths(file: &File) -> HashMap<u64, String> {
    fn walk(file: &File, g: &h5kit::snapshot::Group, prefix: &str, out: &mut HashMap<u64, String>, depth: u32) {
        if depth > 256 {
            return;
        }
        let Ok(links) = crate::dump::sorted_links(g) else { return };
        for l in links {
            let h5kit::LinkTarget::Hard { address } = l.target else { continue };
            let path = format!("{}/{}", prefix, l.name);
            if out.contains_key(&address) {
                continue;
            }
            out.insert(address, path.clone());
            if let Ok(Object::Group(child)) = file.object_at(address, &path) {
                walk(file, &child, &path, out, depth + 1);
            }
        }
    }
    let mut out = HashMap::new();
    if let Ok(root) = file.root() {
        out.insert(root.address(), "/".to_string());
        walk(file, &root, "", &mut out, 0);
    }
    out
}

/// h5ls's selection line (`ls_dataformat`'s `Blk%lu: ` and `Pt%lu: ` prefixes).
fn region_line(sel: &Selection) -> Option<String> {
    Some(match sel {
        Selection::Regular(d) => return region_line(&Selection::Blocks(expand_regular(d)?)),
        Selection::Blocks(b) => {
            let parts: Vec<String> =
                b.iter().enumerate().map(|(i, (s, e))| format!("Blk{}: {}-{}", i, coords(s), coords(e))).collect();
            format!("REGION_TYPE BLOCK  {}", parts.join(", "))
        }
        Selection::Points(p) => {
            let parts: Vec<String> = p.iter().enumerate().map(|(i, c)| format!("Pt{}: {}", i, coords(c))).collect();
            format!("REGION_TYPE POINT  {}", parts.join(", "))
        }
        Selection::All | Selection::None => return None,
    })
}

/// What dereferencing needs: the file, every object's path, and a renderer of a dataset's
/// values behind a prefix of the given width.
pub struct Deref<'a> {
    pub file: &'a File,
    pub paths: &'a HashMap<u64, String>,
    pub values: &'a dyn Fn(&h5kit::snapshot::Dataset, usize) -> Result<String, ()>,
}

/// Writes the reference elements of `raw` (`size` bytes each) behind `p` columns; Err when
/// one cannot be shown.
pub fn block(out: &mut String, de: &Deref, kind: ReferenceKind, raw: &[u8], size: usize, p: usize) -> Result<(), ()> {
    let (file, paths, values) = (de.file, de.paths, de.values);
    let pad = |n: usize| " ".repeat(n);
    let sizes = file.superblock().sizes;
    for (i, bytes) in raw.chunks(size.max(1)).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&pad(p));
        if bytes.iter().all(|&b| b == 0) {
            out.push_str("NULL");
            continue;
        }
        match kind {
            ReferenceKind::Object => {
                let addr = read_uint(bytes, ByteOrder::LittleEndian);
                let path = paths.get(&addr).cloned().unwrap_or_default();
                let obj = file.object_at(addr, &path).map_err(|_| ())?;
                let name = match obj {
                    Object::Group(_) => "GROUP",
                    Object::Dataset(_) => "DATASET",
                    Object::Datatype(_) => "DATATYPE",
                };
                out.push_str(&format!("{}-1:{} \"\"\n{}DATA {{", name, addr, pad(p + 3)));
                if let Object::Dataset(d) = &obj {
                    let ds = d.dataspace();
                    let n: u64 = match ds.kind {
                        DataspaceKind::Null => 0,
                        DataspaceKind::Scalar => 1,
                        DataspaceKind::Simple => ds.dims.iter().product(),
                    };
                    if n > 0 {
                        let text = values(d, p + 6)?;
                        out.push('\n');
                        out.push_str(text.trim_end_matches('\n'));
                    }
                }
                out.push_str(&format!("\n{}}}", pad(p + 3)));
            }
            ReferenceKind::DatasetRegion => {
                let osize = usize::from(sizes.offset);
                let addr = read_uint(bytes.get(..osize).ok_or(())?, ByteOrder::LittleEndian);
                let index = read_uint(bytes.get(osize..osize + 4).ok_or(())?, ByteOrder::LittleEndian) as u32;
                let heap = file.global_heap_object(addr, index).map_err(|_| ())?;
                let (target, sel) = decode_region(&heap, sizes, addr).map_err(|_| ())?;
                let path = paths.get(&target).cloned().ok_or(())?;
                let Ok(Object::Dataset(d)) = file.object_at(target, &path) else { return Err(()) };
                let mut pr = crate::dump::printer::Printer::new();
                crate::dump::datatype::print_datatype(&mut pr, d.datatype());
                let dtype = pr.into_output();
                if dtype.trim_end().contains('\n') {
                    return Err(());
                }
                out.push_str(&format!("DATASET \"{}\" {{\n", path));
                if let Some(line) = region_line(&sel) {
                    out.push_str(&format!("{}{}\n", pad(p + 3), line));
                }
                out.push_str(&format!("{}DATATYPE  {}\n", pad(p + 3), dtype.trim()));
                let space = crate::dump::dataspace::dataspace_text(d.dataspace());
                out.push_str(&format!("{}DATASPACE  {}\n{}}}", pad(p + 3), space, pad(p)));
            }
            _ => return Err(()),
        }
    }
    out.push_str("\n\n");
    Ok(())
}
