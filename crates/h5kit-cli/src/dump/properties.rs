//! `h5dump -p`: dataset creation properties (DDL `<dataset_properties>`): storage layout
//! (spec IV.A.2.i "The Data Layout Message"), filters (IV.A.2.l "The Data Storage - Filter
//! Pipeline Message"), fill value and allocation time (IV.A.2.f "The Data Storage - Fill
//! Value Message").

use h5kit::{AllocTime, DataspaceKind, Datatype, FillTime, FillValue, Filter, Layout, TypeClass};
use h5kit::snapshot::Dataset;

use super::printer::Printer;

use h5kit::File;

use super::data::value_text;

/// Address h5dump prints for unallocated contiguous storage (`HADDR_UNDEF`).
const HADDR_UNDEF: u64 = u64::MAX;

/// Writes the filter lines (`COMPRESSION DEFLATE { LEVEL 4 }`, ...).
pub fn print_filter(p: &mut Printer, f: &Filter) {
    let cd = |i: usize| f.client_data.get(i).copied().unwrap_or(0) as i32;
    match f.id {
        1 => p.put(&format!("COMPRESSION DEFLATE {{ LEVEL {} }}", cd(0))),
        2 => p.put("PREPROCESSING SHUFFLE"),
        3 => p.put("CHECKSUM FLETCHER32"),
        4 => {
            let mask = cd(0) as u32;
            p.put("COMPRESSION SZIP {");
            p.indent += 1;
            p.put(&format!("PIXELS_PER_BLOCK {}", cd(1)));
            if mask & 2 != 0 {
                p.put("MODE HARDWARE");
            } else if mask & 1 != 0 {
                p.put("MODE K13");
            }
            if mask & 4 != 0 {
                p.put("CODING ENTROPY");
            } else if mask & 32 != 0 {
                p.put("CODING NEAREST NEIGHBOUR");
            }
            if mask & 8 != 0 {
                p.put("BYTE_ORDER LSB");
            } else if mask & 16 != 0 {
                p.put("BYTE_ORDER MSB");
            }
            if mask & 128 != 0 {
                p.put("HEADER RAW");
            }
            p.indent -= 1;
            p.put("}");
        }
        5 => p.put("COMPRESSION NBIT"),
        6 => p.put(&format!("COMPRESSION SCALEOFFSET {{ MIN BITS {} }}", cd(0))),
        id => {
            p.put("USER_DEFINED_FILTER {");
            p.indent += 1;
            p.put(&format!("FILTER_ID {}", id));
            if let Some(name) = f.name.as_deref().filter(|n| !n.is_empty()) {
                p.put(&format!("COMMENT {}", name));
            }
            if !f.client_data.is_empty() {
                let mut s = String::from("PARAMS { ");
                for v in f.client_data.iter().take(20) {
                    s.push_str(&format!("{} ", *v as i32));
                }
                s.push('}');
                p.put(&s);
            }
            p.indent -= 1;
            p.put("}");
        }
    }
}

fn fill_status(fv: Option<&FillValue>) -> FillStatus<'_> {
    match fv {
        None => FillStatus::Undefined,
        Some(f) => match f.value.as_deref() {
            Some(v) if !v.is_empty() => FillStatus::User(v),
            _ if f.version == 0 || f.defined => FillStatus::Default,
            _ if f.version >= 3 => FillStatus::Default,
            _ => FillStatus::Undefined,
        },
    }
}

enum FillStatus<'a> {
    Undefined,
    Default,
    User(&'a [u8]),
}

/// Size of one element as libhdf5 reports it for `H5Dget_type`: variable-length strings are
/// `char*` (8 bytes) and sequences `hvl_t` (16 bytes) in memory; compounds change by the same
/// amounts as their members.
pub fn memory_size(dt: &Datatype) -> u64 {
    match &dt.class {
        TypeClass::VarLenString { .. } => 8,
        TypeClass::VarLenSequence { .. } => 16,
        TypeClass::Array { dims, base } => {
            dims.iter().fold(memory_size(base), |a, &d| a.saturating_mul(u64::from(d)))
        }
        TypeClass::Compound { members } => {
            let mut size = i128::from(dt.size);
            for m in members {
                size += i128::from(memory_size(&m.datatype)) - i128::from(m.datatype.size);
            }
            u64::try_from(size.max(0)).unwrap_or(0)
        }
        _ => u64::from(dt.size),
    }
}

/// Writes STORAGE_LAYOUT, FILTERS, FILLVALUE and ALLOCATION_TIME blocks for a dataset.
/// `float_format`: `-m FMT`, which h5dump also applies to the fill value.
pub fn print_dcpl(p: &mut Printer, file: &File, ds: &Dataset, float_format: Option<&super::printf::FloatFormat>) {
    let storage_size = ds.storage_size().unwrap_or(0);
    let filters: Vec<Filter> = ds.filters().map(|f| f.filters.clone()).unwrap_or_default();
    let layout = &ds.layout().layout;
    p.put("STORAGE_LAYOUT {");
    p.indent += 1;
    let mut is_virtual = false;
    match layout {
        Layout::Chunked { chunk_dims, .. } => {
            let dims: Vec<String> = chunk_dims.iter().map(|d| d.to_string()).collect();
            p.put(&format!("CHUNKED ( {} )", dims.join(", ")));
            let space = ds.dataspace();
            if !filters.is_empty() && space.kind == DataspaceKind::Simple && !space.dims.is_empty() {
                let n = space.dims.iter().fold(1u64, |a, &d| a.saturating_mul(d));
                let uncomp = n.saturating_mul(memory_size(ds.datatype()));
                let ratio = if storage_size != 0 { uncomp as f64 / storage_size as f64 } else { 0.0 };
                p.put(&format!("SIZE {} ({:.3}:1 COMPRESSION)", storage_size, ratio));
            } else {
                p.put(&format!("SIZE {}", storage_size));
            }
        }
        Layout::Compact { .. } => {
            p.put("COMPACT");
            p.put(&format!("SIZE {}", storage_size));
        }
        Layout::Contiguous { .. } if ds.external_files().is_some_and(|x| !x.files.is_empty()) => {
            p.put("CONTIGUOUS");
            p.put("EXTERNAL {");
            p.indent += 1;
            let names = ds.external_file_names().unwrap_or_default();
            if let Some(x) = ds.external_files() {
                for (i, f) in x.files.iter().enumerate() {
                    let name = names.get(i).cloned().unwrap_or_default();
                    p.put(&format!("FILENAME {} SIZE {} OFFSET {}", name, f.size, f.file_offset as i64));
                }
            }
            p.indent -= 1;
            p.put("}");
        }
        Layout::Contiguous { .. } => {
            p.put("CONTIGUOUS");
            p.put(&format!("SIZE {}", storage_size));
            p.put(&format!("OFFSET {}", ds.data_offset().unwrap_or(HADDR_UNDEF)));
        }
        Layout::Virtual { .. } => {
            is_virtual = true;
            if let Some((_, maps)) = super::vds::mappings(file, ds.layout()) {
                super::vds::print_mappings(p, &maps);
            }
        }
    }
    p.indent -= 1;
    p.put("}");
    if !is_virtual {
        p.put("FILTERS {");
        p.indent += 1;
        if filters.is_empty() {
            p.put("NONE");
        }
        for f in &filters {
            print_filter(p, f);
        }
        p.indent -= 1;
        p.put("}");
    }
    let fv = ds.fill_value();
    p.put("FILLVALUE {");
    p.indent += 1;
    let fill_time = match fv.map(|f| f.fill_time) {
        Some(FillTime::OnAlloc) => "H5D_FILL_TIME_ALLOC",
        Some(FillTime::Never) => "H5D_FILL_TIME_NEVER",
        _ => "H5D_FILL_TIME_IFSET",
    };
    p.put(&format!("FILL_TIME {}", fill_time));
    match fill_status(fv) {
        FillStatus::Undefined => p.put("VALUE  H5D_FILL_VALUE_UNDEFINED"),
        FillStatus::Default => p.put("VALUE  H5D_FILL_VALUE_DEFAULT"),
        FillStatus::User(v) => {
            let text = value_text(file, ds.datatype(), v, p.indent, float_format);
            p.put(&format!("VALUE  {}", text));
        }
    }
    p.indent -= 1;
    p.put("}");
    if !is_virtual {
        let at = match fv.filter(|f| f.version > 0).map(|f| f.alloc_time) {
            Some(a) => a,
            None => match layout {
                Layout::Chunked { .. } => AllocTime::Incremental,
                Layout::Compact { .. } => AllocTime::Early,
                _ => AllocTime::Late,
            },
        };
        p.put("ALLOCATION_TIME {");
        p.indent += 1;
        p.put(match at {
            AllocTime::Early => "H5D_ALLOC_TIME_EARLY",
            AllocTime::Incremental => "H5D_ALLOC_TIME_INCR",
            AllocTime::Late => "H5D_ALLOC_TIME_LATE",
        });
        p.indent -= 1;
        p.put("}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_filter_block() {
        // jhdf/test_compressed_chunked_datasets_latest.hdf5, "float32lzf", h5dump -p.
        let f = Filter { id: 32000, name: Some("lzf".into()), flags: 1, client_data: vec![4, 261, 8] };
        let mut p = Printer::new();
        print_filter(&mut p, &f);
        assert_eq!(
            p.into_output(),
            "USER_DEFINED_FILTER {\n   FILTER_ID 32000\n   COMMENT lzf\n   PARAMS { 4 261 8 }\n}\n"
        );
        let mut p = Printer::new();
        print_filter(&mut p, &Filter { id: 1, name: None, flags: 0, client_data: vec![4] });
        print_filter(&mut p, &Filter { id: 2, name: None, flags: 0, client_data: vec![4] });
        assert_eq!(p.into_output(), "COMPRESSION DEFLATE { LEVEL 4 }\nPREPROCESSING SHUFFLE\n");
    }
}
