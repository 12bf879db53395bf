//! What one reader of many chunks reuses from chunk to chunk. Each chunk is stored filtered
//! (spec IV.A.2.l "The Data Storage - Filter Pipeline Message"), so each one read is copied
//! out of the file and inflated: the buffer the stored bytes are read into, and the inflate
//! state, are kept. Without them every chunk costs a zeroed allocation of its stored size and
//! a new inflate state (window and tables).

/// Buffers reused across chunk decodes. Not shared between threads: each decoding thread, and
/// each [`crate::ChunkCache`], holds its own.
#[derive(Default)]
pub struct ChunkScratch {
    /// Stored bytes of the last chunk read from a file that is not in memory: grown to the
    /// largest chunk read, never cleared (see [`h5kit_core::Storage::bytes_reusing`]).
    pub(crate) stored: Vec<u8>,
    /// A decoded chunk's buffer, handed back for the next decode by readers that copy each
    /// chunk out before decoding the next.
    pub(crate) decoded: Vec<u8>,
    /// The inflate state, created on the first deflate chunk.
    inflate: Option<flate2::Decompress>,
}

impl ChunkScratch {
    /// The inflate state (reset by [`crate::filter::deflate::decode_with`] before each use).
    pub(crate) fn inflate(&mut self) -> &mut flate2::Decompress {
        self.inflate.get_or_insert_with(|| flate2::Decompress::new(true))
    }

    /// Bytes held by the buffers (the inflate state's own allocation not counted).
    pub fn held(&self) -> usize {
        self.stored.capacity().saturating_add(self.decoded.capacity())
    }
}

impl std::fmt::Debug for ChunkScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkScratch").field("stored", &self.stored.len()).field("decoded", &self.decoded.len()).field("inflate", &self.inflate.is_some()).finish()
    }
}
