//! `h5 clear [-s] FILE...`: libhdf5's `h5clear -s` ([`h5kit::swmr::clear_status_flags`]):
//! clears the superblock's status flags (spec II.A, version 3 "File Consistency Flags": write
//! and SWMR write access) that a writer killed before closing leaves set, and that make
//! libhdf5 refuse the file ("file is already open for write"). One line per file says what
//! was cleared; errors go to stderr and the exit status is 1.

use crate::cli::ClearArgs;

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
