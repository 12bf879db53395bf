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
