//! What the crash tests (`crash_edits.rs`, `crash_edits_latest.rs`) share: reading a file left
//! by a killed writer whole, where nothing may fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit::{File, Object};

/// Reads an attribute's values (variable-length strings from the global heap).
fn read_attribute(a: &h5kit::Attribute, object: &str, round: u64) {
    if matches!(a.datatype.class, h5kit::TypeClass::VarLenString { .. }) {
        a.read_strings().unwrap_or_else(|e| panic!("round {}: attribute {} of {}: {}", round, a.name, object, e));
    }
}

/// Reads every dataset and attribute of the file (nothing may fail).
pub fn read_all(f: &File, round: u64) {
    let mut todo = vec!["/".to_string()];
    while let Some(p) = todo.pop() {
        match f.object(&p).unwrap_or_else(|e| panic!("round {}: {}: {}", round, p, e)) {
            Object::Group(g) => {
                for a in g.attributes().unwrap() {
                    read_attribute(&a, &p, round);
                }
                for l in g.links().unwrap() {
                    if matches!(l.target, h5kit::LinkTarget::Hard { .. }) {
                        todo.push(format!("{}/{}", p.trim_end_matches('/'), l.name));
                    }
                }
            }
            Object::Dataset(d) => {
                d.read_raw().unwrap_or_else(|e| panic!("round {}: {}: {}", round, p, e));
                if matches!(d.datatype().class, h5kit::TypeClass::VarLenString { .. }) {
                    d.read_strings().unwrap_or_else(|e| panic!("round {}: {}: {}", round, p, e));
                }
                for a in d.attributes().unwrap() {
                    read_attribute(&a, &p, round);
                }
            }
            _ => {}
        }
    }
}

/// The compound of the committed types the types edit makes: a i32 at 0, b f64 at 4.
fn pair_type() -> h5kit::Datatype {
    use h5kit::write::dtype;
    dtype::compound(12, vec![("a", 0, dtype::int(4, true)), ("b", 4, dtype::float64())])
}

fn pair_bytes(step: u64) -> Vec<u8> {
    [(step as i32, step as f64 + 0.25), (-(step as i32), -0.5)].iter().flat_map(|(a, b)| a.to_le_bytes().into_iter().chain(b.to_le_bytes())).collect()
}

/// The edit of the datatypes beyond numbers (issue 14): a committed datatype and a dataset of
/// it, object references to both, an attribute of a compound with a variable-length string
/// member, a null attribute.
#[allow(dead_code)]
pub fn types_edit(f: &File, step: u64) {
    use h5kit::write::{dtype, DatasetSpec};
    let (t, ct, r) = (format!("/t{}", step), format!("/ct{}", step), format!("/r{}", step));
    f.commit_datatype(&t, pair_type()).unwrap();
    f.create_dataset(&ct, DatasetSpec { committed_type: Some(t.clone()), ..DatasetSpec::new(dtype::int(1, false), &[2]) }).unwrap();
    f.write_raw(&ct, &pair_bytes(step)).unwrap();
    f.create_dataset(&r, DatasetSpec::new(dtype::object_reference(), &[2])).unwrap();
    f.write_references(&r, &[Some(&ct), Some(&t)]).unwrap();
    let vc = dtype::compound(20, vec![("id", 0, dtype::int(4, true)), ("name", 4, dtype::vlen_string())]);
    let name = format!("name {}", step);
    let mut raw = (step as i32).to_le_bytes().to_vec();
    raw.extend_from_slice(&[0; 16]);
    raw.extend_from_slice(&(name.len() as u32).to_le_bytes());
    raw.extend_from_slice(name.as_bytes());
    f.set_attr_raw(&ct, "vc", vc, Some(&[1]), &raw).unwrap();
    f.set_attr_null(&ct, "none", dtype::float32()).unwrap();
}

/// Checks [`types_edit`]'s objects and values.
#[allow(dead_code)]
pub fn types_check(f: &File, step: u64, at: &str) {
    let Ok(Object::Datatype(t)) = f.object(&format!("/t{}", step)) else { panic!("{}: /t{} is no committed datatype", at, step) };
    let Ok(Object::Dataset(ct)) = f.object(&format!("/ct{}", step)) else { panic!("{}: no /ct{}", at, step) };
    assert_eq!(ct.committed_datatype(), Some(t.address()), "{}", at);
    assert_eq!(ct.read_raw().unwrap(), pair_bytes(step), "{}", at);
    let Ok(Object::Dataset(r)) = f.object(&format!("/r{}", step)) else { panic!("{}: no /r{}", at, step) };
    let want: Vec<u8> = [ct.address(), t.address()].iter().flat_map(|a| a.to_le_bytes()).collect();
    assert_eq!(r.read_raw().unwrap(), want, "{}", at);
    let attrs = ct.attributes().unwrap();
    let vc = attrs.iter().find(|a| a.name == "vc").unwrap_or_else(|| panic!("{}: no attribute vc", at));
    assert_eq!(vc.data.get(..4), Some(&(step as i32).to_le_bytes()[..]), "{}", at);
    let id = vc.data.get(4..20).unwrap_or_else(|| panic!("{}", at));
    let collection = u64::from_le_bytes(id[4..12].try_into().unwrap());
    let index = u32::from_le_bytes(id[12..16].try_into().unwrap());
    assert_eq!(f.global_heap_object(collection, index).unwrap(), format!("name {}", step).into_bytes(), "{}", at);
    let none = attrs.iter().find(|a| a.name == "none").unwrap_or_else(|| panic!("{}: no attribute none", at));
    assert_eq!(none.dataspace.kind, h5kit::DataspaceKind::Null, "{}", at);
}

/// The shrink edit's dataset (64 values 0..64, shrunk to 20, grown back to 30): after a flush
/// of the edit, 0..20 then the fill value 0; before it, either that or still 0..64.
pub fn check_shrunk(got: &[i32], flushed: bool, at: &str) {
    let mut shrunk: Vec<i32> = (0..20).collect();
    shrunk.extend([0; 10]);
    if flushed {
        assert_eq!(got, &shrunk[..], "{}: shrunk to 20 then grown to 30", at);
    } else if got != &shrunk[..] {
        assert_eq!(got, &(0..64).collect::<Vec<i32>>()[..], "{}", at);
    }
}
