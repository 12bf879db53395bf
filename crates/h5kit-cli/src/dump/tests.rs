//! Whole-file checks against h5dump 1.10.8's output (run from the file's directory with the
//! bare name, the expected text pasted from h5dump).

use std::path::PathBuf;

use super::{run_with, Options};

fn interop(dir: &str, name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/interop")).join(dir).join(name)
}

fn check(dir: &str, name: &str, opts: &Options, expected: &str, status: i32) {
    let path = interop(dir, name);
    if !path.exists() {
        eprintln!("skipping: {} not found", path.display());
        return;
    }
    let (out, st) = run_with(&path, name, opts, false);
    assert_eq!(out, expected, "{}", name);
    assert_eq!(st, status, "{}", name);
}

#[test]
fn ext_full() {
    check("jhdf", "test_file_ext.hdf5", &Options::default(), r#"HDF5 "test_file_ext.hdf5" {
GROUP "/" {
   DATASET "external_dataset" {
      DATATYPE  H5T_IEEE_F32LE
      DATASPACE  SIMPLE { ( 21 ) / ( 21 ) }
      DATA {
      (0): -10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7,
      (18): 8, 9, 10
      }
   }
}
}
"#, 0);
}

#[test]
fn references_full() {
    check("pyfive", "references.hdf5", &Options::default(), r#"HDF5 "references.hdf5" {
GROUP "/" {
   ATTRIBUTE "dataset1_reference" {
      DATATYPE  H5T_REFERENCE { H5T_STD_REF_OBJECT }
      DATASPACE  SCALAR
      DATA {
         DATASET 912 "/dataset1"
            DATA {
            (0): 0, 1, 2, 3
            }
      }
   }
   ATTRIBUTE "dataset1_region_reference" {
      DATATYPE  H5T_REFERENCE { H5T_STD_REF_DSETREG }
      DATASPACE  SCALAR
      DATA {
         DATASET "/dataset1" {
            REGION_TYPE BLOCK  (0)-(0), (2)-(2)
            DATATYPE  H5T_STD_I32LE
            DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }
         }
      }
   }
   ATTRIBUTE "group1_reference" {
      DATATYPE  H5T_REFERENCE { H5T_STD_REF_OBJECT }
      DATASPACE  SCALAR
      DATA {
         GROUP 1512 "/group1"
            DATA {
            }
      }
   }
   ATTRIBUTE "root_attr" {
      DATATYPE  H5T_STD_I64LE
      DATASPACE  SCALAR
      DATA {
      (0): 123
      }
   }
   ATTRIBUTE "root_group_reference" {
      DATATYPE  H5T_REFERENCE { H5T_STD_REF_OBJECT }
      DATASPACE  SCALAR
      DATA {
         GROUP 96 "/"
            DATA {
            }
      }
   }
   ATTRIBUTE "vlen_refs" {
      DATATYPE  H5T_VLEN { H5T_REFERENCE { H5T_STD_REF_OBJECT }}
      DATASPACE  SIMPLE { ( 2 ) / ( 2 ) }
      DATA {
      (0): (GROUP 96 "/"), (DATASET 912 "/dataset1", GROUP 1512 "/group1")
      }
   }
   DATASET "chunked_ref_dataset" {
      DATATYPE  H5T_REFERENCE { H5T_STD_REF_OBJECT }
      DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }
      DATA {
         GROUP 96 "/"
            DATA {
            }
         DATASET 912 "/dataset1"
            DATA {
            (0): 0, 1, 2, 3
            }
         GROUP 1512 "/group1"
            DATA {
            }
         NULL
      }
   }
   DATASET "chunked_regionref_dataset" {
      DATATYPE  H5T_REFERENCE { H5T_STD_REF_DSETREG }
      DATASPACE  SIMPLE { ( 2 ) / ( 2 ) }
      DATA {
         DATASET "/dataset1" {
            REGION_TYPE BLOCK  (0)-(0), (2)-(2)
            DATATYPE  H5T_STD_I32LE
            DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }
         }
         NULL
      }
   }
   DATASET "dataset1" {
      DATATYPE  H5T_STD_I32LE
      DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }
      DATA {
      (0): 0, 1, 2, 3
      }
      ATTRIBUTE "dset_attr" {
         DATATYPE  H5T_STD_I64LE
         DATASPACE  SCALAR
         DATA {
         (0): 456
         }
      }
   }
   GROUP "group1" {
      ATTRIBUTE "group_attr" {
         DATATYPE  H5T_STD_I64LE
         DATASPACE  SCALAR
         DATA {
         (0): 789
         }
      }
   }
   DATASET "ref_dataset" {
      DATATYPE  H5T_REFERENCE { H5T_STD_REF_OBJECT }
      DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }
      DATA {
         GROUP 96 "/"
            DATA {
            }
         DATASET 912 "/dataset1"
            DATA {
            (0): 0, 1, 2, 3
            }
         GROUP 1512 "/group1"
            DATA {
            }
         NULL
      }
   }
   DATASET "regionref_dataset" {
      DATATYPE  H5T_REFERENCE { H5T_STD_REF_DSETREG }
      DATASPACE  SIMPLE { ( 2 ) / ( 2 ) }
      DATA {
         DATASET "/dataset1" {
            REGION_TYPE BLOCK  (0)-(0), (2)-(2)
            DATATYPE  H5T_STD_I32LE
            DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }
         }
         NULL
      }
   }
}
}
"#, 0);
}

#[test]
fn committed_contents() {
    check("jhdf", "committed_datatypes.hdf5", &Options { contents: true, ..Options::default() }, r#"HDF5 "committed_datatypes.hdf5" {
FILE_CONTENTS {
 group      /
 datatype   /float32_LE
 datatype   /float64_BE
 datatype   /int32_BE
 datatype   /int32_LE
 }
}
"#, 0);
}

#[test]
fn enum_full() {
    check("jhdf", "test_enum_datasets_latest.hdf5", &Options::default(), r#"HDF5 "test_enum_datasets_latest.hdf5" {
GROUP "/" {
   DATASET "2d_enum_uint16_data" {
      DATATYPE  H5T_ENUM {
         H5T_STD_U16LE;
         "BLUE"             2;
         "GREEN"            1;
         "RED"              0;
         "YELLOW"           3;
      }
      DATASPACE  SIMPLE { ( 2, 2 ) / ( 2, 2 ) }
      DATA {
      (0,0): RED, GREEN,
      (1,0): BLUE, YELLOW
      }
   }
   DATASET "2d_enum_uint32_data" {
      DATATYPE  H5T_ENUM {
         H5T_STD_U32LE;
         "BLUE"             2;
         "GREEN"            1;
         "RED"              0;
         "YELLOW"           3;
      }
      DATASPACE  SIMPLE { ( 2, 2 ) / ( 2, 2 ) }
      DATA {
      (0,0): RED, GREEN,
      (1,0): BLUE, YELLOW
      }
   }
   DATASET "2d_enum_uint64_data" {
      DATATYPE  H5T_ENUM {
         H5T_STD_U64LE;
         "BLUE"             2;
         "GREEN"            1;
         "RED"              0;
         "YELLOW"           3;
      }
      DATASPACE  SIMPLE { ( 2, 2 ) / ( 2, 2 ) }
      DATA {
      (0,0): RED, GREEN,
      (1,0): BLUE, YELLOW
      }
   }
   DATASET "2d_enum_uint8_data" {
      DATATYPE  H5T_ENUM {
         H5T_STD_U8LE;
         "BLUE"             2;
         "GREEN"            1;
         "RED"              0;
         "YELLOW"           3;
      }
      DATASPACE  SIMPLE { ( 2, 2 ) / ( 2, 2 ) }
      DATA {
      (0,0): RED, GREEN,
      (1,0): BLUE, YELLOW
      }
   }
   DATASET "enum_uint16_data" {
      DATATYPE  H5T_ENUM {
         H5T_STD_U16LE;
         "BLUE"             2;
         "GREEN"            1;
         "RED"              0;
         "YELLOW"           3;
      }
      DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }
      DATA {
      (0): RED, GREEN, BLUE, YELLOW
      }
   }
   DATASET "enum_uint32_data" {
      DATATYPE  H5T_ENUM {
         H5T_STD_U32LE;
         "BLUE"             2;
         "GREEN"            1;
         "RED"              0;
         "YELLOW"           3;
      }
      DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }
      DATA {
      (0): RED, GREEN, BLUE, YELLOW
      }
   }
   DATASET "enum_uint64_data" {
      DATATYPE  H5T_ENUM {
         H5T_STD_U64LE;
         "BLUE"             2;
         "GREEN"            1;
         "RED"              0;
         "YELLOW"           3;
      }
      DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }
      DATA {
      (0): RED, GREEN, BLUE, YELLOW
      }
   }
   DATASET "enum_uint8_data" {
      DATATYPE  H5T_ENUM {
         H5T_STD_U8LE;
         "BLUE"             2;
         "GREEN"            1;
         "RED"              0;
         "YELLOW"           3;
      }
      DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }
      DATA {
      (0): RED, GREEN, BLUE, YELLOW
      }
   }
}
}
"#, 0);
}

#[test]
fn test_file_header() {
    check("jhdf", "test_file.hdf5", &Options { header_only: true, ..Options::default() }, r#"HDF5 "test_file.hdf5" {
GROUP "/" {
   GROUP "datasets_group" {
      ATTRIBUTE "float_attr" {
         DATATYPE  H5T_IEEE_F64LE
         DATASPACE  SCALAR
      }
      ATTRIBUTE "int_attr" {
         DATATYPE  H5T_STD_I64LE
         DATASPACE  SCALAR
      }
      ATTRIBUTE "string_attr" {
         DATATYPE  H5T_STRING {
            STRSIZE H5T_VARIABLE;
            STRPAD H5T_STR_NULLTERM;
            CSET H5T_CSET_UTF8;
            CTYPE H5T_C_S1;
         }
         DATASPACE  SCALAR
      }
      GROUP "float" {
         DATASET "float32" {
            DATATYPE  H5T_IEEE_F32LE
            DATASPACE  SIMPLE { ( 21 ) / ( 21 ) }
         }
         DATASET "float64" {
            DATATYPE  H5T_IEEE_F64LE
            DATASPACE  SIMPLE { ( 21 ) / ( 21 ) }
         }
      }
      GROUP "int" {
         DATASET "int16" {
            DATATYPE  H5T_STD_I16LE
            DATASPACE  SIMPLE { ( 21 ) / ( 21 ) }
         }
         DATASET "int32" {
            DATATYPE  H5T_STD_I32LE
            DATASPACE  SIMPLE { ( 21 ) / ( 21 ) }
         }
         DATASET "int8" {
            DATATYPE  H5T_STD_I8LE
            DATASPACE  SIMPLE { ( 21 ) / ( 21 ) }
         }
      }
   }
   GROUP "links_group" {
      SOFTLINK "broken_soft_link" {
         LINKTARGET "/datasets_group/int/missing_dataset"
      }
      EXTERNAL_LINK "external_link" {
         TARGETFILE "test_file_ext.hdf5"
         TARGETPATH "/external_dataset"
            DATASET "/external_dataset" {
               DATATYPE  H5T_IEEE_F32LE
               DATASPACE  SIMPLE { ( 21 ) / ( 21 ) }
            }
      }
      EXTERNAL_LINK "external_link_to_missing_file" {
         TARGETFILE "missing_file.hdf5"
         TARGETPATH "/external_dataset"
      }
      DATASET "hard_link_to_int8" {
         HARDLINK "/datasets_group/int/int8"
      }
      SOFTLINK "soft_link_to_group" {
         LINKTARGET "/datasets_group/int"
      }
      SOFTLINK "soft_link_to_int8" {
         LINKTARGET "/datasets_group/int/int8"
      }
   }
   GROUP "nD_Datasets" {
      DATASET "3D_float32" {
         DATATYPE  H5T_IEEE_F32LE
         DATASPACE  SIMPLE { ( 2, 5, 100 ) / ( 2, 5, 100 ) }
      }
      DATASET "3D_int32" {
         DATATYPE  H5T_STD_I32LE
         DATASPACE  SIMPLE { ( 2, 5, 100 ) / ( 2, 5, 100 ) }
      }
   }
}
}
"#, 0);
}

#[test]
fn compressed_properties() {
    check("jhdf", "test_compressed_chunked_datasets_latest.hdf5", &Options { header_only: true, properties: true, ..Options::default() }, r#"HDF5 "test_compressed_chunked_datasets_latest.hdf5" {
GROUP "/" {
   GROUP "float" {
      DATASET "float32" {
         DATATYPE  H5T_IEEE_F32LE
         DATASPACE  SIMPLE { ( 7, 5 ) / ( 7, 5 ) }
         STORAGE_LAYOUT {
            CHUNKED ( 2, 1 )
            SIZE 307 (0.456:1 COMPRESSION)
         }
         FILTERS {
            COMPRESSION DEFLATE { LEVEL 4 }
         }
         FILLVALUE {
            FILL_TIME H5D_FILL_TIME_ALLOC
            VALUE  H5D_FILL_VALUE_DEFAULT
         }
         ALLOCATION_TIME {
            H5D_ALLOC_TIME_INCR
         }
      }
      DATASET "float32lzf" {
         DATATYPE  H5T_IEEE_F32LE
         DATASPACE  SIMPLE { ( 7, 5 ) / ( 7, 5 ) }
         STORAGE_LAYOUT {
            CHUNKED ( 2, 1 )
            SIZE 160 (0.875:1 COMPRESSION)
         }
         FILTERS {
            USER_DEFINED_FILTER {
               FILTER_ID 32000
               COMMENT lzf
               PARAMS { 4 261 8 }
            }
         }
         FILLVALUE {
            FILL_TIME H5D_FILL_TIME_ALLOC
            VALUE  H5D_FILL_VALUE_DEFAULT
         }
         ALLOCATION_TIME {
            H5D_ALLOC_TIME_INCR
         }
      }
      DATASET "float64" {
         DATATYPE  H5T_IEEE_F64LE
         DATASPACE  SIMPLE { ( 7, 5 ) / ( 7, 5 ) }
         STORAGE_LAYOUT {
            CHUNKED ( 3, 4 )
            SIZE 171 (1.637:1 COMPRESSION)
         }
         FILTERS {
            COMPRESSION DEFLATE { LEVEL 9 }
         }
         FILLVALUE {
            FILL_TIME H5D_FILL_TIME_ALLOC
            VALUE  H5D_FILL_VALUE_DEFAULT
         }
         ALLOCATION_TIME {
            H5D_ALLOC_TIME_INCR
         }
      }
      DATASET "float64lzf" {
         DATATYPE  H5T_IEEE_F64LE
         DATASPACE  SIMPLE { ( 7, 5 ) / ( 7, 5 ) }
         STORAGE_LAYOUT {
            CHUNKED ( 3, 4 )
            SIZE 203 (1.379:1 COMPRESSION)
         }
         FILTERS {
            USER_DEFINED_FILTER {
               FILTER_ID 32000
               COMMENT lzf
               PARAMS { 4 261 96 }
            }
         }
         FILLVALUE {
            FILL_TIME H5D_FILL_TIME_ALLOC
            VALUE  H5D_FILL_VALUE_DEFAULT
         }
         ALLOCATION_TIME {
            H5D_ALLOC_TIME_INCR
         }
      }
   }
   GROUP "int" {
      DATASET "int16" {
         DATATYPE  H5T_STD_I16LE
         DATASPACE  SIMPLE { ( 7, 5 ) / ( 7, 5 ) }
         STORAGE_LAYOUT {
            CHUNKED ( 1, 1 )
            SIZE 350 (0.200:1 COMPRESSION)
         }
         FILTERS {
            COMPRESSION DEFLATE { LEVEL 1 }
         }
         FILLVALUE {
            FILL_TIME H5D_FILL_TIME_ALLOC
            VALUE  H5D_FILL_VALUE_DEFAULT
         }
         ALLOCATION_TIME {
            H5D_ALLOC_TIME_INCR
         }
      }
      DATASET "int16lzf" {
         DATATYPE  H5T_STD_I16LE
         DATASPACE  SIMPLE { ( 7, 5 ) / ( 7, 5 ) }
         STORAGE_LAYOUT {
            CHUNKED ( 1, 1 )
            SIZE 70 (1.000:1 COMPRESSION)
         }
         FILTERS {
            USER_DEFINED_FILTER {
               FILTER_ID 32000
               COMMENT lzf
               PARAMS { 4 261 2 }
            }
         }
         FILLVALUE {
            FILL_TIME H5D_FILL_TIME_ALLOC
            VALUE  H5D_FILL_VALUE_DEFAULT
         }
         ALLOCATION_TIME {
            H5D_ALLOC_TIME_INCR
         }
      }
      DATASET "int32" {
         DATATYPE  H5T_STD_I32LE
         DATASPACE  SIMPLE { ( 7, 5 ) / ( 7, 5 ) }
         STORAGE_LAYOUT {
            CHUNKED ( 1, 3 )
            SIZE 224 (0.625:1 COMPRESSION)
         }
         FILTERS {
            COMPRESSION DEFLATE { LEVEL 7 }
         }
         FILLVALUE {
            FILL_TIME H5D_FILL_TIME_ALLOC
            VALUE  H5D_FILL_VALUE_DEFAULT
         }
         ALLOCATION_TIME {
            H5D_ALLOC_TIME_INCR
         }
      }
      DATASET "int32lzf" {
         DATATYPE  H5T_STD_I32LE
         DATASPACE  SIMPLE { ( 7, 5 ) / ( 7, 5 ) }
         STORAGE_LAYOUT {
            CHUNKED ( 1, 3 )
            SIZE 168 (0.833:1 COMPRESSION)
         }
         FILTERS {
            USER_DEFINED_FILTER {
               FILTER_ID 32000
               COMMENT lzf
               PARAMS { 4 261 12 }
            }
         }
         FILLVALUE {
            FILL_TIME H5D_FILL_TIME_ALLOC
            VALUE  H5D_FILL_VALUE_DEFAULT
         }
         ALLOCATION_TIME {
            H5D_ALLOC_TIME_INCR
         }
      }
      DATASET "int8" {
         DATATYPE  H5T_STD_I8LE
         DATASPACE  SIMPLE { ( 7, 5 ) / ( 7, 5 ) }
         STORAGE_LAYOUT {
            CHUNKED ( 5, 3 )
            SIZE 77 (0.455:1 COMPRESSION)
         }
         FILTERS {
            COMPRESSION DEFLATE { LEVEL 4 }
         }
         FILLVALUE {
            FILL_TIME H5D_FILL_TIME_ALLOC
            VALUE  H5D_FILL_VALUE_DEFAULT
         }
         ALLOCATION_TIME {
            H5D_ALLOC_TIME_INCR
         }
      }
      DATASET "int8lzf" {
         DATATYPE  H5T_STD_I8LE
         DATASPACE  SIMPLE { ( 7, 5 ) / ( 7, 5 ) }
         STORAGE_LAYOUT {
            CHUNKED ( 5, 3 )
            SIZE 55 (0.636:1 COMPRESSION)
         }
         FILTERS {
            USER_DEFINED_FILTER {
               FILTER_ID 32000
               COMMENT lzf
               PARAMS { 4 261 15 }
            }
         }
         FILLVALUE {
            FILL_TIME H5D_FILL_TIME_ALLOC
            VALUE  H5D_FILL_VALUE_DEFAULT
         }
         ALLOCATION_TIME {
            H5D_ALLOC_TIME_INCR
         }
      }
   }
}
}
"#, 0);
}
