//! SWMR writing (libhdf5's single writer / multiple readers; spec II.A, superblock version 3,
//! "File Consistency Flags": bit 0 write access, bit 2 SWMR write access).
//!
//! [`Editor::start_swmr_write`] (h5py's `f.swmr_mode = True`, libhdf5's `H5Fstart_swmr_write`)
//! flushes everything, then marks the superblock with both flags in one write; from then on a
//! reader (libhdf5 with `H5F_ACC_SWMR_READ`, or h5kit's `File::open_swmr`) may read the file at
//! any moment. What makes that safe is the editor's commit order (spec-notes/writer.md): raw
//! data first, then the new chunk index in new space, then the object header (dataspace extent
//! and the layout message's index address) in place, one write whose checksum tells a reader
//! that caught it half-written to read again. In SWMR mode space freed by a superseded
//! structure is never reused ([`crate::space::FileSpace::forget_pending`]): a reader holding
//! the previous header reads the previous index, which must stay intact. The flags are cleared
//! by [`Editor::end_swmr_write`] at close, the last write. See spec-notes/swmr.md.

use h5kit_core::{Error, Result};
use h5kit_superblock::Superblock;

use super::Editor;

/// Superblock v3 status flag: the file is open for write access.
pub const WRITE_ACCESS: u32 = 0x1;
/// Superblock v3 status flag: the file is open for SWMR write access.
pub const SWMR_WRITE_ACCESS: u32 = 0x4;

/// Refuses to edit a file whose superblock says a writer has it open (libhdf5 refuses the same
/// way: "file is already open for write"); a file left so by a crashed writer is cleared by
/// `h5 clear -s`.
pub(crate) fn refuse_marked(sb: &Superblock) -> Result<()> {
    let flags = sb.file_consistency_flags & (WRITE_ACCESS | SWMR_WRITE_ACCESS);
    if sb.version >= 3 && flags != 0 {
        return Err(Error::usage(format!(
            "file is already open for write (superblock status flags {:#x}{}); if no program is writing it \
             (a writer was killed), clear them with `h5 clear -s FILE`",
            flags,
            if flags & SWMR_WRITE_ACCESS != 0 { ", SWMR write" } else { "" }
        ))
        .at(sb.superblock_address));
    }
    Ok(())
}

impl Editor {
    /// Starts SWMR writing: flushes every change, then sets the superblock's write and SWMR
    /// write flags (one write). Files of the latest format only (superblock version 3, as
    /// libhdf5 requires). Calling it again does nothing.
    pub fn start_swmr_write(&mut self) -> Result<()> {
        if self.swmr {
            return Ok(());
        }
        if self.sb.version < 3 {
            return Err(Error::usage(format!(
                "SWMR writing needs a file of the latest format (superblock version 3); this one has version {} \
                 (create it with LibVer::Latest, h5py's libver='latest')",
                self.sb.version
            )));
        }
        self.flush()?;
        self.sb.file_consistency_flags |= WRITE_ACCESS | SWMR_WRITE_ACCESS;
        self.write_superblock()?;
        self.swmr = true;
        Ok(())
    }

    /// Whether the file is being written in SWMR mode.
    pub fn is_swmr(&self) -> bool {
        self.swmr
    }

    /// Ends SWMR writing (at close): flushes, then clears the status flags as the last write.
    pub fn end_swmr_write(&mut self) -> Result<()> {
        if !self.swmr {
            return Ok(());
        }
        self.flush()?;
        self.sb.file_consistency_flags &= !(WRITE_ACCESS | SWMR_WRITE_ACCESS);
        self.write_superblock()?;
        self.swmr = false;
        Ok(())
    }
}
