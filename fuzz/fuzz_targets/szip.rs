//! The szip decoder (crate `h5kit-szip`: the CCSDS 121.0-B adaptive entropy decoder, libaec's
//! szlib layer and the HDF5 filter framing) on any bytes: never a panic, output bounded by
//! the size asked for. Then the encoder on the same bytes as samples, decoded back.
//!
//! Input: byte 0 bits per sample (1-32), byte 1 block size index (8/16/32/64), byte 2 the
//! reference sample interval (1-256), byte 3 the flags, bytes 4-5 the output size asked
//! (u16 LE), then the stream.
#![no_main]
use h5kit_szip::{decode, decode_upto, encode, hdf5, Params};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let p = Params {
        bits_per_sample: u32::from(data[0] % 32) + 1,
        block_size: [8, 16, 32, 64][usize::from(data[1] % 4)],
        rsi: u32::from(data[2]) + 1,
        flags: u32::from(data[3] & 0x3f),
    };
    let want = usize::from(u16::from_le_bytes([data[4], data[5]]));
    let stream = &data[6..];
    if let Ok(out) = decode(&p, stream, want) {
        assert_eq!(out.len(), want);
    }
    if let Ok(out) = decode_upto(&p, stream, want) {
        assert!(out.len() <= want);
    }
    // The HDF5 filter: client data from the first bytes, the chunk after them.
    let cd = [u32::from(data[3]), u32::from(data[1] & 0x3e).max(2), u32::from(data[0] % 65), u32::from(data[2]) * 4 + 1];
    if let Ok(out) = hdf5::decode_chunk(&cd, stream, 1 << 20) {
        assert!(out.len() <= 1 << 20);
    }
    // Round trip of the stream bytes as samples (without signed/3-byte/restricted quirks of
    // out-of-range samples: plain unsigned samples of whole bytes).
    let q = Params { bits_per_sample: 8 * (1 + u32::from(data[0] % 4)), flags: p.flags & (4 | 8), ..p };
    let bytes = match q.bits_per_sample { 8 => 1, 16 => 2, _ => 4 };
    let n = stream.len() / bytes * bytes;
    let q = if q.bits_per_sample == 24 { Params { bits_per_sample: 32, ..q } } else { q };
    if let Ok(enc) = encode(&q, &stream[..n]) {
        assert_eq!(decode(&q, &enc, n).ok().as_deref(), Some(&stream[..n]));
    }
});
