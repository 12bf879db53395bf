//! Superblock extensions the editor keeps valid (spec II.C "Superblock Extension", an object
//! header of messages about the file; IV.A.2.x "File Space Info", IV.A.2.t "B-tree 'K'
//! Values").
//!
//! The extension is left as it is; a file is edited in place only when nothing in it
//! depends on where the editor allocates or how it builds structures:
//! - a file space info message (version 1) whose strategy is not paged aggregation (pages
//!   need page-aligned allocation). Persisted free-space managers are left alone: the editor
//!   allocates past the end of the file or from space it freed itself, never from their
//!   sections, so what they list stays free. The message's "EOA before free-space
//!   allocation" then differs from the end of file the editor writes, which is how libhdf5
//!   recognizes a file changed by a library that does not persist free space: it drops the
//!   managers (their space is lost, nothing is corrupted; test
//!   `superblock_extension_with_file_space_info_is_edited_in_place`, where libhdf5 edits the
//!   file afterwards);
//! - B-tree 'K' values equal to the defaults the editor builds v1 B-trees with.
//!
//! Anything else (shared object header message tables, driver info, cache images, other
//! file space info) is refused with `Unsupported` before a change.

use h5kit_core::{Reader, Result};
use h5kit_object_header::message::msg_type;
use h5kit_object_header::Message;

use super::{unsupported, Editor};

/// libhdf5's `H5F_FSPACE_STRATEGY_PAGE`.
const STRATEGY_PAGE: u8 = 1;

impl Editor {
    /// Checks the superblock extension at `x` (see the module notes).
    pub(super) fn check_extension(&mut self, x: u64) -> Result<()> {
        let sizes = self.sizes;
        let messages = self.header(x)?.header.messages.clone();
        for m in &messages {
            match m.type_id {
                msg_type::NIL | msg_type::CONTINUATION => {}
                msg_type::FILE_SPACE_INFO => {
                    let mut r = Reader::new(&m.data, m.address, sizes);
                    let version = r.u8()?;
                    let strategy = r.u8()?;
                    r.u8()?;
                    r.length()?;
                    r.length()?;
                    r.u16()?;
                    r.offset()?;
                    if version != 1 || strategy == STRATEGY_PAGE {
                        return Err(unsupported(format!(
                            "editing files with file space info version {} strategy {} (paged aggregation) in place",
                            version, strategy
                        )));
                    }
                }
                msg_type::BTREE_K_VALUES => match m.decode(sizes)? {
                    Message::BTreeKValues { group_internal_k: 16, group_leaf_k: 4, chunk_internal_k: 32 } => {}
                    _ => return Err(unsupported("editing files with B-tree 'K' values other than the defaults in place")),
                },
                t => {
                    // Named as libhdf5 names them (spec IV.A.2, superblock extension messages).
                    let what = match t {
                        0x000f => "a shared message table (SOHM)",
                        0x0014 => "driver info",
                        0x0018 => "a metadata cache image",
                        _ => "a message",
                    };
                    return Err(unsupported(format!("editing files whose superblock extension holds {} (message type {:#x}) in place", what, t)));
                }
            }
        }
        // Read only: the editor never rewrites the extension.
        self.headers.remove(&x);
        Ok(())
    }
}
