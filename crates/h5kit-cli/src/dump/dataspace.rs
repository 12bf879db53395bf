//! h5dump's dataspace text (DDL `<dataspace>`; spec IV.A.2.b "The Dataspace Message").

use h5kit::{Dataspace, DataspaceKind, UNLIMITED};

/// `SCALAR`, `NULL` or `SIMPLE { ( 2, 3 ) / ( 2, H5S_UNLIMITED ) }`.
pub fn dataspace_text(ds: &Dataspace) -> String {
    match ds.kind {
        DataspaceKind::Scalar => "SCALAR".to_string(),
        DataspaceKind::Null => "NULL".to_string(),
        DataspaceKind::Simple => {
            let cur: Vec<String> = ds.dims.iter().map(|d| d.to_string()).collect();
            let max: Vec<String> = match &ds.max_dims {
                Some(m) => m
                    .iter()
                    .map(|&d| if d == UNLIMITED { "H5S_UNLIMITED".to_string() } else { d.to_string() })
                    .collect(),
                None => cur.clone(),
            };
            format!("SIMPLE {{ ( {} ) / ( {} ) }}", cur.join(", "), max.join(", "))
        }
    }
}

/// h5ls's `{2/Inf, 3}` form (without braces for scalar/null: `SCALAR`, `NULL`).
pub fn ls_dataspace_text(ds: &Dataspace) -> String {
    match ds.kind {
        DataspaceKind::Scalar => "{SCALAR}".to_string(),
        DataspaceKind::Null => "{NULL}".to_string(),
        DataspaceKind::Simple => {
            let mut parts = Vec::new();
            for (i, d) in ds.dims.iter().enumerate() {
                let max = ds.max_dims.as_ref().and_then(|m| m.get(i).copied()).unwrap_or(*d);
                if max == UNLIMITED {
                    parts.push(format!("{}/Inf", d));
                } else if max != *d {
                    parts.push(format!("{}/{}", d, max));
                } else {
                    parts.push(d.to_string());
                }
            }
            format!("{{{}}}", parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple(dims: Vec<u64>, max: Option<Vec<u64>>) -> Dataspace {
        Dataspace { version: 1, kind: DataspaceKind::Simple, dims, max_dims: max }
    }

    #[test]
    fn h5dump_forms() {
        // As printed by h5dump 1.10.8 for jhdf/test_file.hdf5 and pyfive/btreev2.hdf5.
        assert_eq!(dataspace_text(&simple(vec![2, 5, 100], None)), "SIMPLE { ( 2, 5, 100 ) / ( 2, 5, 100 ) }");
        assert_eq!(
            dataspace_text(&simple(vec![5, 3], Some(vec![UNLIMITED, 3]))),
            "SIMPLE { ( 5, 3 ) / ( H5S_UNLIMITED, 3 ) }"
        );
        let scalar = Dataspace { version: 1, kind: DataspaceKind::Scalar, dims: vec![], max_dims: None };
        assert_eq!(dataspace_text(&scalar), "SCALAR");
    }

    #[test]
    fn h5ls_forms() {
        assert_eq!(ls_dataspace_text(&simple(vec![5, 3], Some(vec![UNLIMITED, UNLIMITED]))), "{5/Inf, 3/Inf}");
        assert_eq!(ls_dataspace_text(&simple(vec![10], Some(vec![100000000000]))), "{10/100000000000}");
        assert_eq!(ls_dataspace_text(&simple(vec![21], None)), "{21}");
    }
}
