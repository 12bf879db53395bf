//! Committed (named) datatypes edited in place (spec IV.A.2.d "The Datatype Message", IV.A.2
//! "Shared Messages", IV.A.1 reference count).
//!
//! A committed datatype is an object whose header holds one datatype message (flags
//! constant + "do not share", as libhdf5 writes it: 0x05). A dataset of that type holds a
//! shared datatype message (flags constant + shared, 0x03; body version 2, type 2, the type's
//! header address: `encode_shared`), and the type's reference count counts it as a link
//! (libhdf5's `H5O__shared_link_adj`): it goes up when the dataset is created (before the
//! dataset is linked: a crash leaves a count too high, never too low) and down when the
//! dataset is freed ([`super::delete`]).

use h5kit_core::{Error, Result};
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{Datatype, MaybeShared, Message, SharedLocation};

use super::{unsupported, Editor};

/// Header message flags of a committed datatype's own datatype message (constant, do not
/// share) and of a dataset's shared datatype message (constant, shared), as libhdf5 sets them.
pub(super) const COMMITTED_TYPE_FLAGS: u8 = 0x05;
pub(super) const SHARED_TYPE_FLAGS: u8 = 0x03;

impl Editor {
    /// Commits `datatype` under `path` (h5py's `f[name] = numpy.dtype(...)`, libhdf5's
    /// `H5Tcommit2`): a new object holding the datatype message.
    pub fn commit_datatype(&mut self, path: &str, datatype: Datatype) -> Result<()> {
        crate::check_datatype_names(&datatype)?;
        let (parent, name) = self.parent_for_new(path)?;
        let h = self.new_header(&[Message::Datatype(MaybeShared::Inline(datatype))])?;
        if let Some(m) = self.headers.get_mut(&h).and_then(|e| e.header.messages.iter_mut().find(|m| m.type_id == msg_type::DATATYPE)) {
            m.flags = COMMITTED_TYPE_FLAGS;
        }
        self.insert_link(parent, name.as_bytes(), h)
    }

    /// The committed datatype at `path`: its header address and datatype.
    pub(super) fn committed_type(&mut self, path: &str) -> Result<(u64, Datatype)> {
        let t = self.resolve(path)?;
        let sizes = self.sizes;
        let hdr = self.header(t)?;
        let not_type = [msg_type::LAYOUT, msg_type::SYMBOL_TABLE, msg_type::LINK_INFO, msg_type::DATASPACE];
        if not_type.iter().any(|&m| hdr.find(m).is_some()) {
            return Err(Error::usage(format!("{}: not a committed datatype", path)));
        }
        match hdr.first(msg_type::DATATYPE, sizes)? {
            Some(Message::Datatype(MaybeShared::Inline(dt))) => Ok((t, dt)),
            _ => Err(Error::usage(format!("{}: not a committed datatype", path))),
        }
    }

    /// The datatype a dataset's datatype message stands for (a shared one read from the
    /// committed datatype's header).
    pub(super) fn resolve_datatype(&mut self, message: MaybeShared<Datatype>) -> Result<Datatype> {
        match message {
            MaybeShared::Inline(dt) => Ok(dt),
            MaybeShared::Shared(SharedLocation::ObjectHeader { address }) => {
                let sizes = self.sizes;
                match self.header(address)?.first(msg_type::DATATYPE, sizes)? {
                    Some(Message::Datatype(MaybeShared::Inline(dt))) => Ok(dt),
                    _ => Err(Error::format(address, "shared datatype message pointing at an object without a datatype")),
                }
            }
            MaybeShared::Shared(SharedLocation::SharedHeap { .. }) => Err(unsupported("datatypes in the shared message heap")),
        }
    }

    /// One more object uses the committed datatype at `t`: its reference count goes up (a
    /// version 1 count in a committed header is written at once, as a second hard link's).
    pub(super) fn add_type_reference(&mut self, t: u64) -> Result<()> {
        let n = self.reference_count(t)?;
        let n = n.checked_add(1).ok_or_else(|| Error::usage("committed datatype used by too many objects"))?;
        let fresh = self.is_fresh(t);
        let sizes = self.sizes;
        let hdr = self.header(t)?;
        let v1 = hdr.header.version == 1;
        hdr.set_reference_count(n, sizes)?;
        if v1 && !fresh {
            // Version 1 prefix: version, reserved, message count (2), reference count (4).
            self.write_now(t + 4, &n.to_le_bytes())?;
        }
        Ok(())
    }
}
