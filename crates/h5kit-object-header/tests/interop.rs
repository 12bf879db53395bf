//! Object headers of the libhdf5-written interop files (`tests/data/interop`): every object
//! listed in `tests/data/interop_headers.txt` (file, object header address, path, from
//! `h5ls -r -v`) is read and all its messages decoded; selected messages are checked field by
//! field against h5dump/h5debug output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use h5kit_core::{Context, Limits, MemStorage, Sizes, Storage};
use h5kit_object_header::*;

mod common;
use common::INTEROP;

/// A whole file in memory with its superblock's sizes (superblock v0-3 sizes read directly:
/// these tests must not depend on the superblock crate).
pub struct TestFile {
    pub storage: MemStorage,
    pub sizes: Sizes,
    pub base: u64,
    pub limits: Limits,
}

impl TestFile {
    pub fn open(rel: &str) -> TestFile {
        Self::open_path(&format!("{}{}", INTEROP, rel))
    }
    /// A fixture of this crate (`tests/data/NAME`).
    pub fn fixture(name: &str) -> TestFile {
        Self::open_path(&format!("{}/tests/data/{}", env!("CARGO_MANIFEST_DIR"), name))
    }
    pub fn open_path(rel: &str) -> TestFile {
        let data = std::fs::read(rel).unwrap_or_else(|e| panic!("{}: {}", rel, e));
        // Signature at 0, 512, 1024, ...
        let mut at = 0usize;
        while data.get(at..at + 8) != Some(b"\x89HDF\r\n\x1a\n".as_slice()) {
            at = if at == 0 { 512 } else { at * 2 };
            assert!(at < data.len(), "{}: no superblock", rel);
        }
        let version = data[at + 8];
        let (offset, length) = if version <= 1 { (data[at + 13], data[at + 14]) } else { (data[at + 9], data[at + 10]) };
        TestFile { storage: MemStorage::new(data), sizes: Sizes::new(offset, length).unwrap(), base: at as u64, limits: Limits::default() }
    }
    pub fn ctx(&self) -> Context<'_> {
        Context::new(&self.storage, self.sizes, &self.limits, self.base)
    }
    pub fn header(&self, address: u64) -> ObjectHeader {
        ObjectHeader::read(self.ctx(), address).unwrap_or_else(|e| panic!("header at {}: {}", address, e))
    }
}

fn listed() -> Vec<(String, u64, String)> {
    let text = include_str!("data/interop_headers.txt");
    text.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?.to_string(), it.next()?.parse().ok()?, it.next()?.to_string()))
        })
        .collect()
}

#[test]
fn every_interop_object_header_decodes() {
    let mut files: HashMap<String, TestFile> = HashMap::new();
    let mut failures = Vec::new();
    let mut count = 0;
    for (file, address, path) in listed() {
        let f = files.entry(file.clone()).or_insert_with(|| TestFile::open(&file));
        count += 1;
        match ObjectHeader::read(f.ctx(), address) {
            Ok(h) => {
                for m in &h.messages {
                    if let Err(e) = m.decode(f.sizes) {
                        failures.push(format!("{} {} ({}): message {:#x}: {}", file, path, address, m.type_id, e));
                    }
                }
            }
            Err(e) => failures.push(format!("{} {} ({}): {}", file, path, address, e)),
        }
    }
    assert!(count > 2000, "only {} objects listed", count);
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

fn heap_id(m: &Message) -> [u8; 8] {
    match m {
        Message::Dataspace(MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }))
        | Message::Datatype(MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }))
        | Message::FillValue(MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }))
        | Message::FilterPipeline(MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }))
        | Message::Attribute(MaybeShared::Shared(SharedLocation::SharedHeap { heap_id })) => *heap_id,
        other => panic!("not in the shared message heap: {:?}", other),
    }
}

fn i32le() -> Datatype {
    Datatype {
        version: 1,
        size: 4,
        class: TypeClass::Integer { order: ByteOrder::LittleEndian, signed: true, bit_offset: 0, precision: 32, pad_lo: false, pad_hi: false },
    }
}

/// `tests/data/sohm.h5` (made by `gen_sohm.py` with libhdf5 2.0): two SOHM indexes, every
/// shareable message of /d1 stored in the shared message heaps. Expected values from
/// `h5debug sohm.h5 97` and `h5dump -p -A sohm.h5`.
#[test]
fn shared_message_table_and_heap() {
    let f = TestFile::fixture("sohm.h5");
    let sizes = f.sizes;
    // Superblock extension (superblock v2 "Superblock Extension Address" 48).
    let ext = f.header(48);
    let msgs = ext.decode_all(sizes).unwrap();
    assert_eq!(msgs, vec![Message::SharedMessageTable { version: 0, table_address: 97, index_count: 2 }]);
    let table = SharedMessageTable::read(f.ctx(), 97, 2).unwrap();
    assert_eq!(
        table.indexes,
        vec![
            SharedMessageIndex {
                version: 0,
                index_type: 0,
                message_type_flags: 0x000a,
                min_message_size: 1,
                list_cutoff: 50,
                btree_cutoff: 40,
                message_count: 6,
                index_address: Some(592),
                heap_address: Some(1450),
            },
            SharedMessageIndex {
                version: 0,
                index_type: 0,
                message_type_flags: 0x1820,
                min_message_size: 1,
                list_cutoff: 50,
                btree_cutoff: 40,
                message_count: 6,
                index_address: Some(1596),
                heap_address: Some(2454),
            },
        ]
    );
    assert_eq!(table.index_for(msg_type::DATATYPE).map(|i| i.heap_address), Some(Some(1450)));
    assert_eq!(table.index_for(msg_type::ATTRIBUTE).map(|i| i.heap_address), Some(Some(2454)));
    assert!(table.index_for(msg_type::LINK).is_none());

    let h = f.header(9476);
    assert_eq!((h.version, h.flags), (2, 0x05));
    let resolve = |type_id: u16, m: &Message| {
        let body = table.message_body(f.ctx(), type_id, &heap_id(m)).unwrap();
        decode_message(type_id, 0, &body, 0, sizes).unwrap()
    };
    let decoded = h.decode_all(sizes).unwrap();
    let mut attrs = Vec::new();
    for (raw, m) in h.messages.iter().zip(&decoded) {
        match raw.type_id {
            msg_type::DATASPACE => assert_eq!(
                resolve(raw.type_id, m),
                Message::Dataspace(MaybeShared::Inline(Dataspace {
                    version: 2,
                    kind: DataspaceKind::Simple,
                    dims: vec![3, 4],
                    max_dims: Some(vec![3, 4])
                }))
            ),
            msg_type::DATATYPE => assert_eq!(resolve(raw.type_id, m), Message::Datatype(MaybeShared::Inline(i32le()))),
            msg_type::FILL_VALUE => assert_eq!(
                resolve(raw.type_id, m),
                Message::FillValue(MaybeShared::Inline(FillValue {
                    version: 3,
                    alloc_time: AllocTime::Incremental,
                    fill_time: FillTime::IfSet,
                    defined: true,
                    value: Some(vec![7, 0, 0, 0])
                }))
            ),
            msg_type::FILTER_PIPELINE => assert_eq!(
                resolve(raw.type_id, m),
                Message::FilterPipeline(MaybeShared::Inline(FilterPipeline {
                    version: 2,
                    filters: vec![Filter { id: 1, name: None, flags: 1, client_data: vec![4] }]
                }))
            ),
            msg_type::ATTRIBUTE => match resolve(raw.type_id, m) {
                Message::Attribute(MaybeShared::Inline(a)) => attrs.push(a),
                other => panic!("{:?}", other),
            },
            _ => {}
        }
    }
    assert_eq!(attrs.len(), 2);
    // The attributes' own datatypes and dataspaces are shared too (a tiny heap object for the
    // scalar dataspace of "name").
    let units = &attrs[0];
    assert_eq!(units.name, "units");
    let dt = match &units.datatype {
        MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }) => table.message_body(f.ctx(), msg_type::DATATYPE, heap_id).unwrap(),
        other => panic!("{:?}", other),
    };
    let dt = Datatype::decode(&mut h5kit_core::Reader::new(&dt, 0, sizes)).unwrap();
    assert_eq!(dt.size, 8);
    assert!(matches!(dt.class, TypeClass::Float { order: ByteOrder::LittleEndian, precision: 64, exponent_bias: 1023, .. }));
    assert_eq!(units.data, [1.5f64.to_le_bytes(), 2.5f64.to_le_bytes()].concat());
    let name = &attrs[1];
    assert_eq!(name.name, "name");
    let ds = match &name.dataspace {
        MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }) => {
            assert_eq!(heap_id[0] & 0x30, 0x20, "tiny heap object");
            table.message_body(f.ctx(), msg_type::DATASPACE, heap_id).unwrap()
        }
        other => panic!("{:?}", other),
    };
    let ds = Dataspace::decode(&mut h5kit_core::Reader::new(&ds, 0, sizes)).unwrap();
    assert_eq!(ds.kind, DataspaceKind::Scalar);
    let dt = match &name.datatype {
        MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }) => table.message_body(f.ctx(), msg_type::DATATYPE, heap_id).unwrap(),
        other => panic!("{:?}", other),
    };
    let dt = Datatype::decode(&mut h5kit_core::Reader::new(&dt, 0, sizes)).unwrap();
    assert!(matches!(dt.class, TypeClass::VarLenString { padding: StringPadding::NullTerminate, charset: CharacterSet::Ascii, .. }));
    // A message type no index tracks.
    assert!(table.message_body(f.ctx(), msg_type::LINK, &[0; 8]).is_err());
}

/// h5dump's DDL for a datatype (hdf5-tools 1.10.8 `h5tools_print_datatype`), whitespace-free.
fn ddl_type(t: &Datatype) -> String {
    let order = |o: &ByteOrder| match o {
        ByteOrder::LittleEndian => "LE",
        ByteOrder::BigEndian => "BE",
        ByteOrder::Vax => "VAX",
    };
    let bits = t.size * 8;
    match &t.class {
        TypeClass::Integer { order: o, signed, bit_offset: 0, precision, pad_lo: false, pad_hi: false } if u32::from(*precision) == bits => {
            format!("H5T_STD_{}{}{}", if *signed { "I" } else { "U" }, bits, order(o))
        }
        TypeClass::Bitfield { order: o, bit_offset: 0, precision, .. } if u32::from(*precision) == bits => format!("H5T_STD_B{}{}", bits, order(o)),
        TypeClass::Float { order: o, precision, exponent_location, exponent_size, mantissa_location, mantissa_size, exponent_bias, sign_location, .. }
            if (t.size, *precision, *exponent_location, *exponent_size, *mantissa_location, *mantissa_size, *exponent_bias, *sign_location)
                == (4, 32, 23, 8, 0, 23, 127, 31)
                || (t.size, *precision, *exponent_location, *exponent_size, *mantissa_location, *mantissa_size, *exponent_bias, *sign_location)
                    == (8, 64, 52, 11, 0, 52, 1023, 63) =>
        {
            format!("H5T_IEEE_F{}{}", bits, order(o))
        }
        TypeClass::Float { order: o, precision, .. } => format!(
            "{}-bit{}floating-point{}-bitprecision",
            bits,
            if *o == ByteOrder::BigEndian { "big-endian" } else { "little-endian" },
            precision
        ),
        TypeClass::String { padding, charset } => ddl_string(&t.size.to_string(), padding, charset),
        TypeClass::VarLenString { padding, charset, .. } => ddl_string("H5T_VARIABLE", padding, charset),
        TypeClass::VarLenSequence { base } => format!("H5T_VLEN{{{}}}", ddl_type(base)),
        TypeClass::Compound { members } => {
            let m: Vec<String> = members.iter().map(|m| format!("{}\"{}\";", ddl_type(&m.datatype), m.name)).collect();
            format!("H5T_COMPOUND{{{}}}", m.concat())
        }
        TypeClass::Enum { base, members } => {
            let signed = matches!(base.class, TypeClass::Integer { signed: true, .. });
            let be = matches!(base.class, TypeClass::Integer { order: ByteOrder::BigEndian, .. });
            let m: Vec<String> = members
                .iter()
                .map(|(n, v)| {
                    let mut b = v.clone();
                    if be {
                        b.reverse();
                    }
                    let mut x: u64 = 0;
                    for (i, byte) in b.iter().enumerate() {
                        x |= u64::from(*byte) << (8 * i);
                    }
                    let val = if signed && !b.is_empty() && b.len() < 8 && b[b.len() - 1] & 0x80 != 0 {
                        (x as i64 - (1i64 << (8 * b.len()))).to_string()
                    } else if signed {
                        (x as i64).to_string()
                    } else {
                        x.to_string()
                    };
                    format!("\"{}\"{};", n, val)
                })
                .collect();
            format!("H5T_ENUM{{{};{}}}", ddl_type(base), m.concat())
        }
        TypeClass::Reference { kind } => format!(
            "H5T_REFERENCE{{{}}}",
            match kind {
                ReferenceKind::Object => "H5T_STD_REF_OBJECT",
                ReferenceKind::DatasetRegion => "H5T_STD_REF_DSETREG",
                _ => "H5T_STD_REF",
            }
        ),
        TypeClass::Opaque { tag } => format!("H5T_OPAQUE{{OPAQUE_TAG\"{}\";}}", tag),
        TypeClass::Array { dims, base } => {
            let d: Vec<String> = dims.iter().map(|d| format!("[{}]", d)).collect();
            format!("H5T_ARRAY{{{}{}}}", d.concat(), ddl_type(base))
        }
        TypeClass::Time { .. } => "H5T_TIME".into(),
        TypeClass::Integer { .. } | TypeClass::Bitfield { .. } => format!("non-standard {:?}", t),
        TypeClass::Complex { .. } => "H5T_COMPLEX".into(),
    }
}

fn ddl_string(size: &str, padding: &StringPadding, charset: &CharacterSet) -> String {
    format!(
        "H5T_STRING{{STRSIZE{};STRPAD{};CSET{};CTYPEH5T_C_S1;}}",
        size,
        match padding {
            StringPadding::NullTerminate => "H5T_STR_NULLTERM",
            StringPadding::NullPad => "H5T_STR_NULLPAD",
            StringPadding::SpacePad => "H5T_STR_SPACEPAD",
        },
        match charset {
            CharacterSet::Ascii => "H5T_CSET_ASCII",
            CharacterSet::Utf8 => "H5T_CSET_UTF8",
        }
    )
}

fn ddl_space(s: &Dataspace) -> String {
    match s.kind {
        DataspaceKind::Scalar => "SCALAR".into(),
        DataspaceKind::Null => "NULL".into(),
        DataspaceKind::Simple => {
            let dims: Vec<String> = s.dims.iter().map(|d| d.to_string()).collect();
            let max: Vec<String> = s
                .max_dims
                .as_ref()
                .unwrap_or(&s.dims)
                .iter()
                .map(|&d| if d == UNLIMITED { "H5S_UNLIMITED".to_string() } else { d.to_string() })
                .collect();
            format!("SIMPLE{{({})/({})}}", dims.join(","), max.join(","))
        }
    }
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Every dataset's and every compactly stored attribute's datatype and dataspace, rendered as
/// h5dump prints them, equals h5dump's output (`tests/data/ddl_expected.tsv`, made by
/// `gen_ddl.py`). Committed datatypes print as their path; `"/#ADDR"` names the address.
#[test]
fn datatypes_and_dataspaces_match_h5dump() {
    let mut addresses: HashMap<(String, String), u64> = HashMap::new();
    for (file, address, path) in listed() {
        addresses.insert((file, path), address);
    }
    let mut files: HashMap<String, TestFile> = HashMap::new();
    let mut failures = Vec::new();
    let (mut datasets, mut attributes, mut committed) = (0, 0, 0);
    for line in include_str!("data/ddl_expected.tsv").lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, path, attr, want_type, want_space] = cols[..] else { panic!("bad line {}", line) };
        let Some(&address) = addresses.get(&(file.to_string(), path.to_string())) else { continue };
        let f = files.entry(file.to_string()).or_insert_with(|| TestFile::open(file));
        let h = f.header(address);
        let msgs = h.decode_all(f.sizes).unwrap();
        let (dt, ds) = if attr == "-" {
            let dt = msgs.iter().find_map(|m| if let Message::Datatype(t) = m { Some(t.clone()) } else { None });
            let ds = msgs.iter().find_map(|m| if let Message::Dataspace(s) = m { Some(s.clone()) } else { None });
            datasets += 1;
            (dt.unwrap(), ds.unwrap())
        } else {
            let Some(a) = msgs.iter().find_map(|m| match m {
                Message::Attribute(MaybeShared::Inline(a)) if a.name == attr => Some(a.clone()),
                _ => None,
            }) else {
                continue; // dense attribute storage: not in the header
            };
            attributes += 1;
            (a.datatype, a.dataspace)
        };
        let got_type = match &dt {
            MaybeShared::Inline(t) => ddl_type(t),
            MaybeShared::Shared(SharedLocation::ObjectHeader { address: a }) => {
                committed += 1;
                let name = want_type.trim_matches('"');
                let target = if let Some(n) = name.strip_prefix("/#") {
                    n.parse::<u64>().ok()
                } else {
                    addresses.get(&(file.to_string(), name.to_string())).copied()
                };
                if target == Some(*a) {
                    squash(want_type)
                } else {
                    format!("committed datatype at {}", a)
                }
            }
            MaybeShared::Shared(other) => format!("{:?}", other),
        };
        if got_type != squash(want_type) {
            failures.push(format!("{} {} {}: datatype\n   got  {}\n   want {}", file, path, attr, got_type, squash(want_type)));
        }
        let got_space = match &ds {
            MaybeShared::Inline(s) => ddl_space(s),
            other => format!("{:?}", other),
        };
        if got_space != squash(want_space) {
            failures.push(format!("{} {} {}: dataspace\n   got  {}\n   want {}", file, path, attr, got_space, squash(want_space)));
        }
    }
    assert!(datasets > 2500 && attributes > 300 && committed >= 4, "{} datasets, {} attributes, {} committed", datasets, attributes, committed);
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

fn ddl_layout(l: &Layout) -> String {
    match l {
        // h5dump prints the allocated storage size: 0 while the address is undefined.
        Layout::Contiguous { address, size } => {
            format!("CONTIGUOUS SIZE {} OFFSET {}", if address.is_some() { *size } else { 0 }, address.unwrap_or(u64::MAX))
        }
        Layout::Compact { data } => format!("COMPACT SIZE {}", data.len()),
        Layout::Chunked { chunk_dims, .. } => {
            format!("CHUNKED ( {} )", chunk_dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "))
        }
        Layout::Virtual { .. } => "VIRTUAL".into(),
    }
}

fn ddl_filters(p: &FilterPipeline) -> String {
    if p.filters.is_empty() {
        return "NONE".into();
    }
    let parts: Vec<String> = p
        .filters
        .iter()
        .map(|f| match f.id {
            1 => format!("COMPRESSION DEFLATE {{ LEVEL {} }}", f.client_data.first().copied().unwrap_or(0)),
            2 => "PREPROCESSING SHUFFLE".into(),
            3 => "CHECKSUM FLETCHER32".into(),
            _ => {
                let mut s = format!("USER_DEFINED_FILTER {{ FILTER_ID {}", f.id);
                if let Some(n) = &f.name {
                    s += &format!(" COMMENT {}", n);
                }
                if !f.client_data.is_empty() {
                    let v: Vec<String> = f.client_data.iter().map(|v| v.to_string()).collect();
                    s += &format!(" PARAMS {{ {} }}", v.join(" "));
                }
                s + " }"
            }
        })
        .collect();
    parts.join(" ")
}

/// Numeric fill values: (integer text) or (float value) in the dataset's datatype.
fn fill_matches(t: &Datatype, bytes: &[u8], want: &str) -> Option<bool> {
    let mut b = bytes.to_vec();
    match &t.class {
        TypeClass::Integer { order, signed, .. } => {
            if *order == ByteOrder::BigEndian {
                b.reverse();
            }
            let mut x: u128 = 0;
            for (i, byte) in b.iter().enumerate() {
                x |= u128::from(*byte) << (8 * i);
            }
            let n = b.len() as u32 * 8;
            let v: i128 = if *signed && n > 0 && x >> (n - 1) & 1 == 1 { x as i128 - (1i128 << n) } else { x as i128 };
            Some(v.to_string() == want)
        }
        TypeClass::Float { order, .. } => {
            if *order == ByteOrder::BigEndian {
                b.reverse();
            }
            let v = match b.len() {
                4 => f64::from(f32::from_le_bytes(b.try_into().ok()?)),
                8 => f64::from_le_bytes(b.try_into().ok()?),
                _ => return None,
            };
            let w: f64 = want.parse().ok()?;
            Some((v - w).abs() <= 1e-5 * w.abs().max(1e-30))
        }
        _ => None,
    }
}

/// Layout, filter pipeline and fill value messages of every interop dataset against
/// `h5dump -p` (`tests/data/props_expected.tsv`, made by `gen_props.py`).
#[test]
fn layouts_filters_fill_values_match_h5dump() {
    let mut addresses: HashMap<(String, String), u64> = HashMap::new();
    for (file, address, path) in listed() {
        addresses.insert((file, path), address);
    }
    let mut files: HashMap<String, TestFile> = HashMap::new();
    let mut failures = Vec::new();
    let (mut n, mut fills, mut values) = (0, 0, 0);
    for line in include_str!("data/props_expected.tsv").lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, path, want_layout, want_filters, want_time, want_value, want_alloc] = cols[..] else { panic!("bad line {}", line) };
        let Some(&address) = addresses.get(&(file.to_string(), path.to_string())) else { continue };
        let f = files.entry(file.to_string()).or_insert_with(|| TestFile::open(file));
        let msgs = f.header(address).decode_all(f.sizes).unwrap();
        n += 1;
        let mut fail = |what: &str, got: String, want: &str| {
            if got != want {
                failures.push(format!("{} {}: {}\n   got  {}\n   want {}", file, path, what, got, want));
            }
        };
        let layout = msgs.iter().find_map(|m| if let Message::Layout(l) = m { Some(l.layout.clone()) } else { None }).unwrap();
        let mut got_layout = ddl_layout(&layout);
        if let (Layout::Contiguous { address: Some(a), .. }, true) = (&layout, f.base != 0) {
            // h5dump prints absolute offsets.
            got_layout = got_layout.replace(&format!("OFFSET {}", a), &format!("OFFSET {}", a + f.base));
        }
        fail("layout", got_layout, want_layout);
        let pipeline = msgs
            .iter()
            .find_map(|m| if let Message::FilterPipeline(MaybeShared::Inline(p)) = m { Some(p.clone()) } else { None })
            .unwrap_or_default();
        fail("filters", ddl_filters(&pipeline), want_filters);
        let fill = msgs.iter().find_map(|m| if let Message::FillValue(MaybeShared::Inline(v)) = m { Some(v.clone()) } else { None });
        let Some(fill) = fill else { continue };
        fills += 1;
        let time = match fill.fill_time {
            FillTime::OnAlloc => "H5D_FILL_TIME_ALLOC",
            FillTime::Never => "H5D_FILL_TIME_NEVER",
            FillTime::IfSet => "H5D_FILL_TIME_IFSET",
        };
        fail("fill time", time.into(), want_time);
        let alloc = match fill.alloc_time {
            AllocTime::Early => "H5D_ALLOC_TIME_EARLY",
            AllocTime::Late => "H5D_ALLOC_TIME_LATE",
            AllocTime::Incremental => "H5D_ALLOC_TIME_INCR",
        };
        fail("allocation time", alloc.into(), want_alloc);
        match (&fill.defined, &fill.value) {
            (false, _) => fail("fill value", "H5D_FILL_VALUE_UNDEFINED".into(), want_value),
            (true, None) => fail("fill value", "H5D_FILL_VALUE_DEFAULT".into(), want_value),
            (true, Some(bytes)) => {
                let dt = msgs.iter().find_map(|m| if let Message::Datatype(MaybeShared::Inline(t)) = m { Some(t.clone()) } else { None });
                if let Some(ok) = dt.and_then(|t| fill_matches(&t, bytes, want_value)) {
                    values += 1;
                    if !ok {
                        failures.push(format!("{} {}: fill value {:?}, want {}", file, path, bytes, want_value));
                    }
                }
            }
        }
    }
    assert!(n > 2400 && fills > 2400 && values > 30, "{} datasets, {} fill messages, {} values", n, fills, values);
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()).collect()
}

/// The raw data of every compactly stored fixed-size attribute equals what libhdf5 reads
/// (`tests/data/attr_data.tsv`, made with h5py by `gen_attr_data.py`): checks the version 1
/// padding rules and the data size computation.
#[test]
fn attribute_data_matches_libhdf5() {
    let mut addresses: HashMap<(String, String), u64> = HashMap::new();
    for (file, address, path) in listed() {
        addresses.insert((file, path), address);
    }
    let mut files: HashMap<String, TestFile> = HashMap::new();
    let mut failures = Vec::new();
    let (mut checked, mut v1) = (0, 0);
    for line in include_str!("data/attr_data.tsv").lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, path, name, hex] = cols[..] else { panic!("bad line {}", line) };
        let Some(&address) = addresses.get(&(file.to_string(), path.to_string())) else { continue };
        let f = files.entry(file.to_string()).or_insert_with(|| TestFile::open(file));
        let msgs = f.header(address).decode_all(f.sizes).unwrap();
        let Some(a) = msgs.iter().find_map(|m| match m {
            Message::Attribute(MaybeShared::Inline(a)) if a.name == name => Some(a.clone()),
            _ => None,
        }) else {
            continue;
        };
        checked += 1;
        if a.version == 1 {
            v1 += 1;
        }
        let want = unhex(hex);
        let inline = matches!((&a.datatype, &a.dataspace), (MaybeShared::Inline(_), MaybeShared::Inline(_)));
        let got = if inline { a.data.clone() } else { a.data.get(..want.len()).unwrap_or(&a.data).to_vec() };
        if got != want {
            failures.push(format!("{} {} {}: {} bytes, want {}", file, path, name, got.len(), want.len()));
        }
    }
    assert!(checked > 200 && v1 > 100, "{} attributes checked, {} version 1", checked, v1);
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// Random corruption of the first object header of every interop file (and the bytes after
/// it): reading and decoding never panics (debug build: overflow checks on).
#[test]
fn mutated_interop_headers_never_panic() {
    let mut seed = 0x9e37_79b9u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let mut seen = std::collections::HashSet::new();
    let mut runs = 0;
    for (file, address, _) in listed() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let f = TestFile::open(&file);
        let orig = f.storage.as_slice().unwrap().to_vec();
        for _ in 0..150 {
            let mut d = orig.clone();
            for _ in 0..1 + next() % 4 {
                let at = f.base + address + u64::from(next() % 256);
                if let Some(b) = d.get_mut(at as usize) {
                    *b = (next() & 0xff) as u8;
                }
            }
            let storage = MemStorage::new(d);
            let ctx = Context::new(&storage, f.sizes, &f.limits, f.base);
            if let Ok(h) = ObjectHeader::read(ctx, address) {
                let _ = h.decode_all(f.sizes);
            }
            runs += 1;
        }
        // Version 2 checksums reject most of the above: mutate message bodies directly too.
        for m in &f.header(address).messages {
            for _ in 0..40 {
                let mut raw = m.clone();
                for _ in 0..1 + next() % 3 {
                    if raw.data.is_empty() {
                        break;
                    }
                    let i = next() as usize % raw.data.len();
                    raw.data[i] = (next() & 0xff) as u8;
                }
                if next() % 4 == 0 {
                    let keep = next() as usize % (raw.data.len() + 1);
                    raw.data.truncate(keep);
                }
                let _ = raw.decode(f.sizes);
                runs += 1;
            }
        }
    }
    assert!(runs > 10_000);
}

/// Every message of every listed interop header, with random byte changes and truncations,
/// decodes to a value or an error (never a panic).
#[test]
fn mutated_messages_of_all_headers_never_panic() {
    let mut seed = 0x2545_f491u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let mut files: HashMap<String, TestFile> = HashMap::new();
    let mut runs = 0u64;
    for (file, address, _) in listed() {
        let f = files.entry(file.clone()).or_insert_with(|| TestFile::open(&file));
        for m in &f.header(address).messages {
            for _ in 0..8 {
                let mut raw = m.clone();
                if !raw.data.is_empty() {
                    let i = next() as usize % raw.data.len();
                    raw.data[i] = (next() & 0xff) as u8;
                }
                if next() % 3 == 0 {
                    let keep = next() as usize % (raw.data.len() + 1);
                    raw.data.truncate(keep);
                }
                let _ = raw.decode(f.sizes);
                runs += 1;
            }
        }
    }
    assert!(runs > 100_000, "{}", runs);
}
