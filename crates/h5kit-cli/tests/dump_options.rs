//! `h5 dump -m FMT` (printf float format) and `-r` (1-byte integers as characters) compared
//! byte for byte with h5dump 1.10.8 output captured into `tests/golden_options/`.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

const INTEROP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/interop/jhdf");
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden_options");

/// (golden file, arguments after `dump`), as given to h5dump.
const CASES: &[(&str, &[&str])] = &[
    ("m_f32_3f.ddl", &["-m", "%.3f", "-d", "/datasets_group/float/float32", "test_file.hdf5"]),
    ("m_3d_e.ddl", &["-m", "%e", "-d", "/nD_Datasets/3D_float32", "test_file.hdf5"]),
    ("m_f64_10g.ddl", &["-m", "%.10g", "-d", "/datasets_group/float/float64", "test_file.hdf5"]),
    ("m_3d_52f_w60.ddl", &["-m", "%5.2f", "-w", "60", "-d", "/nD_Datasets/3D_float32", "test_file.hdf5"]),
    ("m_attr_E.ddl", &["--format=%+08.2E", "test_attribute_latest.hdf5"]),
    ("m_special_G.ddl", &["-m", "%G", "float_special_values_latest.hdf5"]),
    // h5dump applies -m to fill values too (`VALUE  123.46`).
    ("m_fill_p.ddl", &["-p", "-m", "%.2f", "test_fill_value_latest.hdf5"]),
    ("m_int_unaffected.ddl", &["-m", "%.3f", "-d", "/nD_Datasets/3D_int32", "test_file.hdf5"]),
];

/// `-r`/`--string`: 1-byte integers as characters.
const CHAR_CASES: &[(&str, &[&str])] = &[
    ("r_int8.ddl", &["-r", "-d", "/datasets_group/int/int8", "test_file.hdf5"]),
    ("r_2d.ddl", &["-r", "-d", "/int/int8", "fletcher32_datasets_latest.hdf5"]),
    ("r_2d_w12.ddl", &["-r", "-w", "12", "-d", "/int/int8", "fletcher32_datasets_latest.hdf5"]),
    ("r_2d_y.ddl", &["--string", "-y", "-d", "/int/int8", "fletcher32_datasets_latest.hdf5"]),
    ("r_u8_text.ddl", &["-r", "-d", "/42571/Config/CurrentSettings.ini", "isssue-523.hdf5"]),
    ("r_m_int8.ddl", &["-r", "-m", "%.2f", "-d", "/datasets_group/int/int8", "test_file.hdf5"]),
    ("r_attr_file.ddl", &["-r", "test_large_attribute.hdf5"]),
    ("r_test_file.ddl", &["-r", "test_file.hdf5"]),
];

fn run_cases(cases: &[(&str, &[&str])]) {
    assert!(Path::new(INTEROP).join("test_file.hdf5").exists(), "{} is missing", INTEROP);
    let mut failures = Vec::new();
    for (golden, args) in cases {
        let expected = std::fs::read(Path::new(GOLDEN).join(golden)).expect("golden file");
        let out = Command::new(env!("CARGO_BIN_EXE_h5"))
            .arg("dump")
            .args(*args)
            .current_dir(INTEROP)
            .output()
            .expect("run h5");
        if out.stdout != expected {
            failures.push(format!(
                "{} ({}):\n--- got ---\n{}",
                golden,
                args.join(" "),
                String::from_utf8_lossy(&out.stdout).lines().take(40).collect::<Vec<_>>().join("\n")
            ));
        }
    }
    h5kit_testkit::oracle::compared("h5dump-recorded", cases.len() as u64);
    assert!(failures.is_empty(), "{} case(s) differ from h5dump:\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn float_format_like_h5dump() {
    run_cases(CASES);
}

#[test]
fn one_byte_integers_as_characters_like_h5dump() {
    run_cases(CHAR_CASES);
}
