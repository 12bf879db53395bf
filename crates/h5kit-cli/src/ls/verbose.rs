//! `h5ls -v`: the lines after an object's name line: attributes (name, dataspace, type),
//! `Location:`, `Links:`, `Modified:`, `Comment:`, and for datasets `Chunks:`, `Storage:`,
//! `Filter-N:` and `Type:` (h5ls 1.10.8's `list_obj`, `list_attr`, `dataset_list2`).

use h5kit::{Attribute, Dataspace, DataspaceKind, Filter, Layout, TypeClass, UNLIMITED};
use h5kit::snapshot::Dataset;

use super::escape;
use super::header::{time_text, HeaderInfo};
use super::types::{memory_type, type_text};

/// The `{dims/max, ...}` after a dataset's name (`max` always shown with -v).
pub fn dataset_dims(ds: &Dataspace, verbose: bool) -> String {
    let mut s = String::from("{");
    for (i, d) in ds.dims.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&d.to_string());
        let max = ds.max_dims.as_ref().and_then(|m| m.get(i)).copied().unwrap_or(*d);
        if max == UNLIMITED {
            s.push_str("/Inf");
        } else if max != *d || verbose {
            s.push_str(&format!("/{}", max));
        }
    }
    match ds.kind {
        DataspaceKind::Scalar => s.push_str("SCALAR"),
        DataspaceKind::Null => s.push_str("NULL"),
        DataspaceKind::Simple => {}
    }
    s.push('}');
    s
}

/// `    Attribute: NAME {dims}` and its `Type:` line.
pub fn attribute_head(out: &mut String, a: &Attribute) {
    out.push_str("    Attribute: ");
    out.push_str(&escape::string(&a.name, true));
    match a.dataspace.kind {
        DataspaceKind::Scalar => out.push_str(" scalar\n"),
        DataspaceKind::Null => out.push_str(" null\n"),
        DataspaceKind::Simple => {
            let d: Vec<String> = a.dataspace.dims.iter().map(|d| d.to_string()).collect();
            out.push_str(&format!(" {{{}}}\n", d.join(", ")));
        }
    }
    out.push_str("        Type:      ");
    out.push_str(&type_text(&memory_type(&a.datatype), a.committed_datatype, 15));
    out.push('\n');
}

/// `Location:`, `Links:`, `Modified:` and `Comment:`.
pub fn common(out: &mut String, address: u64, info: &HeaderInfo, comment: Option<&str>) {
    out.push_str(&format!("    {:<10} 1:{}\n", "Location:", address));
    out.push_str(&format!("    {:<10} {}\n", "Links:", info.links));
    if info.mtime > 0 {
        out.push_str(&format!("    {:<10} {}\n", "Modified:", time_text(info.mtime)));
    }
    if let Some(c) = comment.filter(|c| !c.is_empty()) {
        out.push_str(&format!("    {:<10} \"{}\"\n", "Comment:", escape::string(c, false)));
    }
}

/// The name libhdf5 reports for a filter: the pipeline's own name, else the built-in
/// filter's, else `method`.
fn filter_name(f: &Filter) -> &str {
    if let Some(n) = f.name.as_deref().filter(|n| !n.is_empty()) {
        return n;
    }
    match f.id {
        1 => "deflate",
        2 => "shuffle",
        3 => "fletcher32",
        4 => "szip",
        5 => "nbit",
        6 => "scaleoffset",
        _ => "method",
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A dataset's `Chunks:`, `Storage:`, `Filter-N:` and `Type:` lines.
pub fn dataset(out: &mut String, d: &Dataset) {
    let dt = &memory_type(d.datatype());
    let elem = u64::from(dt.size);
    if let Layout::Chunked { chunk_dims, .. } = &d.layout().layout {
        let dims: Vec<String> = chunk_dims.iter().map(|c| c.to_string()).collect();
        let total = chunk_dims.iter().fold(elem, |a, c| a.saturating_mul(*c));
        out.push_str(&format!("    {:<10} {{{}}} {} bytes\n", "Chunks:", dims.join(", "), total));
    }
    let ds = d.dataspace();
    let npoints: u64 = match ds.kind {
        DataspaceKind::Scalar => 1,
        DataspaceKind::Null => 0,
        DataspaceKind::Simple => ds.dims.iter().product(),
    };
    let total = npoints.saturating_mul(elem);
    out.push_str(&format!("    {:<10} ", "Storage:"));
    match &dt.class {
        // h5ls 1.10.8 says this of every reference type too.
        TypeClass::VarLenSequence { .. } | TypeClass::Reference { .. } => out.push_str("information not available"),
        _ => {
            let used = d.storage_size().unwrap_or(0);
            out.push_str(&format!("{} logical byte{}, {} allocated byte{}", total, plural(total), used, plural(used)));
            if used > 0 {
                out.push_str(&format!(", {:.2}% utilization", total as f64 * 100.0 / used as f64));
            }
        }
    }
    out.push('\n');
    if let Some(p) = d.filters() {
        for (i, f) in p.filters.iter().enumerate() {
            let cd: Vec<String> = f.client_data.iter().map(|c| c.to_string()).collect();
            let opt = if f.flags & 1 != 0 { "OPT" } else { "" };
            let label = format!("Filter-{}:", i);
            out.push_str(&format!("    {:<10} {}-{} {} {{{}}}\n", label, filter_name(f), f.id, opt, cd.join(", ")));
        }
    }
    out.push_str(&format!("    {:<10} {}\n", "Type:", type_text(dt, d.committed_datatype(), 15)));
}
