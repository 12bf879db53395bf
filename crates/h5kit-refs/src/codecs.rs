//! HDF5 filter pipelines (spec IV.A.2.l "The Data Storage - Filter Pipeline Message") as
//! Zarr v2 `filters` lists of numcodecs codecs. Zarr applies the list in order when writing
//! and undoes it in reverse when reading, as libhdf5 does with a pipeline.
//!
//! | HDF5 filter | codec |
//! |---|---|
//! | deflate (1) | `{"id": "zlib", "level": L}` |
//! | shuffle (2), first filter | `{"id": "shuffle", "elementsize": N}` |
//! | Fletcher-32 (3) | `{"id": "fletcher32"}` (numcodecs checks and strips the checksum) |
//! | zstd (32015) | `{"id": "zstd", "level": L}` |
//! | LZ4 (32004) | `{"id": "imagecodecs_lz4h5"}` (imagecodecs: the HDF5 LZ4 filter's framing) |
//! | bitshuffle (32008), no compression | `{"id": "imagecodecs_bitshuffle", "itemsize": N, "blocksize": B}` |
//! | bitshuffle (32008) + LZ4 | `imagecodecs_lz4h5` after `imagecodecs_bitshuffle`, when every chunk qualifies ([`check_bitshuffle_lz4`]) |
//!
//! The imagecodecs codecs are registered with numcodecs by
//! `imagecodecs.numcodecs.register_codecs()` (pip `imagecodecs`).

use h5kit::snapshot::Dataset;
use h5kit::ChunkLocation;
use serde_json::{json, Value};

/// HDF5's filter ids used here.
pub const DEFLATE: u16 = 1;
pub const SHUFFLE: u16 = 2;
pub const FLETCHER32: u16 = 3;
pub const LZ4: u16 = 32004;
pub const BITSHUFFLE: u16 = 32008;
pub const ZSTD: u16 = 32015;

/// The bitshuffle filter's compression (`cd_values[4]`) when it has LZ4 blocks.
const BSHUF_LZ4: u32 = 2;

/// What the pipeline of a dataset needs from [`check_bitshuffle_lz4`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BitshuffleLz4 {
    /// Element size the filter shuffles (`cd_values[2]`).
    pub itemsize: u64,
}

/// The numcodecs filter list of `d`'s pipeline (None: no filters), whether chunks must pass
/// [`check_bitshuffle_lz4`], or why the pipeline has no codecs.
pub(crate) fn filters(d: &Dataset) -> Result<(Option<Vec<Value>>, Option<BitshuffleLz4>), String> {
    let Some(p) = d.filters() else { return Ok((None, None)) };
    if p.filters.is_empty() {
        return Ok((None, None));
    }
    let mut out = Vec::new();
    let mut check = None;
    let n = p.filters.len();
    for (i, f) in p.filters.iter().enumerate() {
        let cd = |k: usize| f.client_data.get(k).copied();
        match f.id {
            DEFLATE => out.push(json!({"id": "zlib", "level": cd(0).unwrap_or(6)})),
            SHUFFLE if !out.is_empty() => {
                return Err("shuffle after another filter (numcodecs' shuffle needs whole elements; HDF5 copies the remainder)".into())
            }
            SHUFFLE => out.push(json!({"id": "shuffle", "elementsize": cd(0).unwrap_or(d.datatype().size)})),
            FLETCHER32 => out.push(json!({"id": "fletcher32"})),
            ZSTD => out.push(json!({"id": "zstd", "level": cd(0).unwrap_or(0)})),
            LZ4 => out.push(json!({"id": "imagecodecs_lz4h5"})),
            BITSHUFFLE => {
                // cd_values: [major, minor, element size, block size (elements, 0 = default),
                // compression (0 none, 2 LZ4, 3 zstd), zstd level]
                let itemsize = cd(2).unwrap_or(d.datatype().size);
                let blocksize = cd(3).unwrap_or(0);
                out.push(json!({"id": "imagecodecs_bitshuffle", "itemsize": itemsize, "blocksize": blocksize}));
                match cd(4).unwrap_or(0) {
                    0 => {}
                    BSHUF_LZ4 if i + 1 == n => {
                        out.push(json!({"id": "imagecodecs_lz4h5"}));
                        check = Some(BitshuffleLz4 { itemsize: u64::from(itemsize.max(1)) });
                    }
                    BSHUF_LZ4 => return Err("bitshuffle+LZ4 followed by another filter (its LZ4 block framing cannot be checked)".into()),
                    3 => return Err("bitshuffle+zstd (bitshuffle's zstd block framing: no numcodecs or imagecodecs codec)".into()),
                    c => return Err(format!("bitshuffle with compression {} (unknown)", c)),
                }
            }
            4 => return Err("szip filter (no numcodecs codec verified)".into()),
            5 => return Err("n-bit filter (no numcodecs codec)".into()),
            6 => return Err("scale-offset filter (no numcodecs codec)".into()),
            id => return Err(format!("filter {} has no numcodecs codec", id)),
        }
    }
    Ok((Some(out), check))
}

fn be(b: &[u8], at: usize, n: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(n)?)?;
    Some(s.iter().fold(0u64, |v, &x| v << 8 | u64::from(x)))
}

/// Whether a stored bitshuffle+LZ4 chunk decodes with `imagecodecs_lz4h5` then
/// `imagecodecs_bitshuffle`. The bitshuffle filter writes a 12-byte header (uncompressed
/// size u64 BE, block size in bytes u32 BE) and then each block bitshuffled and LZ4-compressed
/// with a u32 BE length, which is the LZ4 filter's framing, except that (a) the elements past
/// the last multiple of 8 are appended raw with no length (lz4h5 would read them as a block)
/// and (b) a block whose compressed length equals its size is still compressed (lz4h5 copies
/// such a block raw). Err names the case.
pub(crate) fn check_bitshuffle_lz4(stored: &[u8], c: &ChunkLocation, b: BitshuffleLz4) -> Result<(), String> {
    let bad = |why: &str| Err(format!("bitshuffle+LZ4 chunk {:?}: {}", c.scaled_offset, why));
    let (Some(total), Some(block)) = (be(stored, 0, 8), be(stored, 8, 4)) else { return bad("shorter than its header") };
    if total % (8 * b.itemsize) != 0 {
        return bad("element count not a multiple of 8 (bitshuffle stores the last elements raw after the LZ4 blocks; imagecodecs_lz4h5 cannot skip them)");
    }
    if block == 0 {
        return bad("block size 0 in its header");
    }
    let (mut pos, mut left) = (12usize, total);
    while left > 0 {
        let this = block.min(left);
        let Some(csize) = be(stored, pos, 4) else { return bad("truncated block length") };
        if csize == this {
            return bad("an LZ4 block as long as its data (imagecodecs_lz4h5 would copy it raw)");
        }
        pos = match usize::try_from(csize).ok().and_then(|n| pos.checked_add(4)?.checked_add(n)) {
            Some(p) if p <= stored.len() => p,
            _ => return bad("block past the chunk's end"),
        };
        left -= this;
    }
    if pos != stored.len() {
        return bad("bytes after the last LZ4 block");
    }
    Ok(())
}
