//! `h5 clear [-s] FILE...`: libhdf5's `h5clear -s` ([`h5kit::swmr::clear_status_flags`]):
//! clears the superblock's status flags (spec II.A, version 3 "File Consistency Flags": write
//! and SWMR write access) that a writer killed before closing leaves set, and that make
//! libhdf5 refuse the file ("file is already open for write"). One line per file says what
//! was cleared; errors go to stderr and the exit status is 1. `h5 dump` and `h5 ls` note such
//! files on stderr ([`note_marked`]).

use std::path::Path;

use crate::cli::ClearArgs;

/// For `h5 dump` and `h5 ls`: a note on stderr when `file`'s superblock says a writer has it
/// open (status flags set: a SWMR writer at work, or a writer killed before closing): they
/// refuse it as h5dump/h5ls 1.10.8 do ("unable to open file"), and this says why and what to
/// do (h5kit's library reads such a file as it is).
pub fn note_marked(file: &str) {
    let Ok(f) = h5kit::File::open(Path::new(file)) else { return };
    let sb = f.superblock();
    let flags = sb.file_consistency_flags & 0x5;
    if sb.version >= 3 && flags != 0 {
        eprintln!(
            "h5: note: {} is marked open for {}writing (superblock status flags {:#x}): a writer has it open or was killed \
             before closing; libhdf5 refuses to open it until `h5 clear -s {}` (only if no program is writing it)",
            file,
            if flags & 0x4 != 0 { "SWMR " } else { "" },
            flags,
            file
        );
    }
}

pub fn run(args: &ClearArgs) -> i32 {
    // `-s` is the only operation: given or not, it is what runs.
    let _ = args.status;
    let mut status = 0;
    for f in &args.files {
        match h5kit::swmr::clear_status_flags(f) {
            Ok(0) => println!("{}: no status flags set", f),
            Ok(flags) => println!("{}: cleared status flags {:#x}", f, flags),
            Err(e) => {
                eprintln!("h5 clear error: {}: {}", f, e);
                status = 1;
            }
        }
    }
    status
}
