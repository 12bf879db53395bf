//! The filter pipeline (spec IV.A.2.l "The Data Storage - Filter Pipeline Message"): the
//! decoders of every filter h5kit reads, as pure functions over chunk bytes, and the encoders
//! the writer applies ([`encode_pipeline`]: deflate, shuffle, Fletcher-32, n-bit,
//! scale-offset, szip, LZF, LZ4, bitshuffle, zstd).
//!
//! Filters are applied on read in reverse pipeline order; a filter whose bit is set in the
//! chunk's filter mask was skipped when the chunk was written and is skipped again.
//!
//! The decoders run on hostile bytes (fuzzed): no slice indexing in this module.
#![deny(clippy::indexing_slicing)]

mod bits;
pub mod bitshuffle;
pub mod deflate;
pub mod fletcher32;
pub mod lz4;
pub mod lzf;
pub mod nbit;
pub mod scaleoffset;
pub mod shuffle;
pub mod szip;
pub mod zstd;

use h5kit_core::{Error, Limits, Result};
pub use h5kit_object_header::{Datatype, Filter, FilterPipeline};

/// Filter identifiers (spec IV.A.2.l, "Filter Identification Value", and the registered
/// third-party filters).
pub const DEFLATE: u16 = 1;
pub const SHUFFLE: u16 = 2;
pub const FLETCHER32: u16 = 3;
pub const SZIP: u16 = 4;
pub const NBIT: u16 = 5;
pub const SCALEOFFSET: u16 = 6;
pub const LZF: u16 = 32000;
pub const LZ4: u16 = 32004;
pub const BITSHUFFLE: u16 = 32008;
pub const ZSTD: u16 = 32015;

/// The conventional name of a filter id, for messages.
pub fn filter_name(id: u16) -> &'static str {
    match id {
        DEFLATE => "deflate",
        SHUFFLE => "shuffle",
        FLETCHER32 => "fletcher32",
        SZIP => "szip",
        NBIT => "nbit",
        SCALEOFFSET => "scaleoffset",
        LZF => "lzf",
        LZ4 => "lz4",
        BITSHUFFLE => "bitshuffle",
        ZSTD => "zstd",
        32001 => "blosc",
        32013 => "zfp",
        32017 => "sz",
        32026 => "blosc2",
        _ => "unknown",
    }
}

/// The name libhdf5 or the plugin registers for a filter (stored in version 1 pipeline
/// messages, and for ids >= 256 in version 2; h5dump prints it as the COMMENT).
pub fn registered_name(id: u16) -> Option<&'static str> {
    Some(match id {
        DEFLATE => "deflate",
        SHUFFLE => "shuffle",
        FLETCHER32 => "fletcher32",
        SZIP => "szip",
        NBIT => "nbit",
        SCALEOFFSET => "scaleoffset",
        LZF => "lzf",
        LZ4 => "HDF5 lz4 filter; see https://github.com/HDFGroup/hdf5_plugins/blob/master/docs/RegisteredFilterPlugins.md",
        BITSHUFFLE => "bitshuffle; see https://github.com/kiyo-masui/bitshuffle",
        ZSTD => "HDF5 zstd filter; see https://github.com/HDFGroup/hdf5_plugins/blob/master/docs/RegisteredFilterPlugins.md",
        _ => return None,
    })
}

/// Undoes the filters of `filters` on one chunk, in reverse order, skipping those whose bit is
/// set in `filter_mask`. `element_size` is the dataset's datatype size; `chunk_address` names
/// the chunk in errors.
pub fn decode_pipeline(
    filters: &FilterPipeline,
    filter_mask: u32,
    data: Vec<u8>,
    element_size: usize,
    limits: &Limits,
    chunk_address: u64,
) -> Result<Vec<u8>> {
    decode_pipeline_sized(filters, filter_mask, data, element_size, 0, limits, chunk_address)
}

/// As [`decode_pipeline`], knowing the unfiltered chunk size (`expected`, a hint; 0 if
/// unknown) so that inflating allocates its output once.
pub fn decode_pipeline_sized(
    filters: &FilterPipeline,
    filter_mask: u32,
    data: Vec<u8>,
    element_size: usize,
    expected: usize,
    limits: &Limits,
    chunk_address: u64,
) -> Result<Vec<u8>> {
    let mut data = data;
    if filters.filters.len() > 32 {
        return Err(Error::format(chunk_address, format!("filter pipeline of {} filters (at most 32)", filters.filters.len())));
    }
    for (i, f) in filters.filters.iter().enumerate().rev() {
        if filter_mask & (1u32 << i) != 0 {
            continue;
        }
        data = decode_filter_sized(f, data, element_size, expected, limits, chunk_address)
            .map_err(|e| e.at(chunk_address).context(format!("chunk at address {}", chunk_address)))?;
    }
    Ok(data)
}

/// Undoes one filter.
pub fn decode_filter(f: &Filter, data: Vec<u8>, element_size: usize, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    decode_filter_sized(f, data, element_size, 0, limits, at)
}

fn decode_filter_sized(f: &Filter, data: Vec<u8>, element_size: usize, expected: usize, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let cd = f.client_data.as_slice();
    match f.id {
        DEFLATE => deflate::decode_sized(&data, expected, limits, at),
        SHUFFLE => shuffle::decode(&data, shuffle_size(cd, element_size)),
        FLETCHER32 => fletcher32::decode(data, at),
        NBIT => nbit::decode(&data, cd, limits, at),
        SZIP => szip::decode(&data, cd, limits, at),
        SCALEOFFSET => scaleoffset::decode(&data, cd, limits, at),
        LZF => lzf::decode(&data, cd, limits, at),
        LZ4 => lz4::decode(&data, limits, at),
        BITSHUFFLE => bitshuffle::decode(&data, cd, element_size, limits, at),
        ZSTD => zstd::decode(&data, limits, at),
        id => Err(Error::unsupported(
            at,
            format!(
                "filter {} ({}) is not supported",
                id,
                f.name.clone().unwrap_or_else(|| filter_name(id).to_string())
            ),
        )),
    }
}

/// Whether h5kit can apply filter `id` when writing.
pub fn can_encode(id: u16) -> bool {
    matches!(id, DEFLATE | SHUFFLE | FLETCHER32 | NBIT | SCALEOFFSET | SZIP | LZF | LZ4 | BITSHUFFLE | ZSTD)
}

/// Bit 0 of a filter's flags (spec IV.A.2.l): the filter is optional, a failure to apply it
/// is not an error.
pub const FLAG_OPTIONAL: u16 = 1;

/// Applies one filter on write. `Ok(None)`: the filter declines this chunk (LZF when the
/// data does not shrink), as a filter callback returning 0 does in libhdf5.
pub fn encode_filter(f: &Filter, data: Vec<u8>, element_size: usize) -> Result<Option<Vec<u8>>> {
    if f.id == FLETCHER32 {
        return Ok(Some(fletcher32::encode(data)));
    }
    encode_ref(f, &data, element_size)
}

/// [`encode_filter`] for the filters that write a new buffer (all but Fletcher-32, which
/// appends to its input).
fn encode_ref(f: &Filter, data: &[u8], element_size: usize) -> Result<Option<Vec<u8>>> {
    let cd = f.client_data.as_slice();
    Ok(Some(match f.id {
        DEFLATE => deflate::encode(data, cd.first().copied().unwrap_or(6))?,
        SHUFFLE => shuffle::encode(data, shuffle_size(cd, element_size)),
        FLETCHER32 => fletcher32::encode(data.to_vec()),
        NBIT => nbit::encode(data, cd, 0)?,
        SCALEOFFSET => scaleoffset::encode(data, cd, 0)?,
        SZIP => return szip::encode(data, cd),
        LZF => return Ok(lzf::encode(data)),
        LZ4 => lz4::encode(data, cd.first().copied().unwrap_or(0) as usize)?,
        BITSHUFFLE => bitshuffle::encode(data, cd, element_size)?,
        ZSTD => zstd::encode(data, cd.first().copied().unwrap_or(3)),
        id => {
            return Err(Error::unsupported(
                0,
                format!(
                    "cannot write filter {} ({})",
                    id,
                    f.name.clone().unwrap_or_else(|| filter_name(id).to_string())
                ),
            ))
        }
    }))
}

/// Applies `filters` to one chunk in pipeline order, as libhdf5's `H5Z_pipeline` does on
/// write: a filter that fails (declines the chunk, or that h5kit cannot apply) is an error
/// unless it is optional ([`FLAG_OPTIONAL`]); an optional one is then skipped and its bit `i`
/// set in the returned filter mask (the chunk's "Filter Mask" in the chunk index). The input
/// of a filter is kept until its output exists (no copy of the chunk per filter).
pub fn encode_pipeline(filters: &FilterPipeline, data: Vec<u8>, element_size: usize) -> Result<(Vec<u8>, u32)> {
    if filters.filters.len() > 32 {
        return Err(Error::unsupported(0, format!("filter pipeline of {} filters (at most 32)", filters.filters.len())));
    }
    let mut data = data;
    let mut mask = 0u32;
    for (i, f) in filters.filters.iter().enumerate() {
        let optional = f.flags & FLAG_OPTIONAL != 0;
        let out = if f.id == FLETCHER32 { Ok(Some(fletcher32::encode(std::mem::take(&mut data)))) } else { encode_ref(f, &data, element_size) };
        match out {
            Ok(Some(out)) => data = out,
            Ok(None) | Err(_) if optional => mask |= 1u32 << i,
            Ok(None) => {
                return Err(Error::unsupported(0, format!("filter {} ({}) failed on a chunk", f.id, filter_name(f.id))));
            }
            Err(e) => return Err(e),
        }
    }
    Ok((data, mask))
}

/// Fills the client data a filter's "set local" callback derives from the dataset (the
/// values libhdf5 and the plugins store when a dataset is created), keeping the others:
/// shuffle = [element size]; LZF = [4, 0x0105, chunk bytes]; bitshuffle = [major, minor,
/// element size, block, compression, level] (version 0.4 unless given); n-bit and
/// scale-offset = their full description of the datatype ([`nbit::set_local`],
/// [`scaleoffset::set_local`]; an error for other datatypes). `chunk_elems`: elements in one
/// chunk; `fill`: the dataset's fill value (scale-offset records it; `None` = 0). szip needs
/// the chunk's shape: see [`set_local_chunk`].
pub fn set_local(f: &Filter, dt: &Datatype, chunk_elems: u64, fill: Option<&[u8]>) -> Result<Filter> {
    set_local_chunk(f, dt, &[chunk_elems], fill)
}

/// [`set_local`] knowing the chunk dimensions (`chunk`): szip = [options mask, pixels per
/// block, bits per pixel, pixels per scanline] as libhdf5's `H5Z__set_local_szip` computes
/// them from the user's [mask, pixels per block] ([`szip::set_local`]).
pub fn set_local_chunk(f: &Filter, dt: &Datatype, chunk: &[u64], fill: Option<&[u8]>) -> Result<Filter> {
    let chunk_elems = chunk.iter().fold(1u64, |a, &d| a.saturating_mul(d));
    let mut f = f.clone();
    let es = dt.size;
    let chunk_bytes = chunk_elems.saturating_mul(u64::from(es));
    let cd = &mut f.client_data;
    let unsupported = |what: &str| Error::unsupported(0, format!("{} cannot encode this datatype (integers and floats only)", what));
    match f.id {
        SHUFFLE => *cd = vec![es],
        LZF => {
            let (v, lv) = (cd.first().copied().unwrap_or(lzf::FILTER_VERSION), cd.get(1).copied().unwrap_or(lzf::LZF_VERSION));
            *cd = vec![v, lv, u32::try_from(chunk_bytes).unwrap_or(0)];
        }
        BITSHUFFLE => {
            if cd.len() < 3 {
                cd.resize(3, 0);
                if let Some(minor) = cd.get_mut(1) {
                    *minor = 4;
                }
            }
            if let Some(e) = cd.get_mut(2) {
                *e = es;
            }
        }
        NBIT => match nbit::set_local(dt, chunk_elems) {
            Some(v) => *cd = v,
            // A description given with the filter (copied from a file: compound, array, ...)
            // is kept; only the element count follows the chunk shape.
            None if cd.len() >= 5 => {
                if let Some(n) = cd.get_mut(2) {
                    *n = u32::try_from(chunk_elems).unwrap_or(0);
                }
            }
            None => return Err(unsupported("n-bit")),
        },
        SCALEOFFSET => *cd = scaleoffset::set_local(cd, dt, chunk_elems, fill).ok_or_else(|| unsupported("scale-offset"))?,
        SZIP => *cd = szip::set_local(cd, dt, chunk)?,
        _ => {}
    }
    Ok(f)
}

fn shuffle_size(cd: &[u32], element_size: usize) -> usize {
    cd.first().map(|&s| s as usize).filter(|&s| s > 0).unwrap_or(element_size)
}

/// Checks an output size claimed by a compressed stream against the limits.
pub(crate) fn check_size(limits: &Limits, size: u64, at: u64, what: &str) -> Result<usize> {
    limits.check_alloc(size, at, what)
}

/// Big-endian u32 / u64 at `pos` (filter framings of the LZ4 and bitshuffle plugins).
pub(crate) fn be_u32(data: &[u8], pos: usize, at: u64, what: &str) -> Result<u32> {
    pos.checked_add(4)
        .and_then(|end| data.get(pos..end))
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| Error::format(at, format!("{} truncated", what)))
}
pub(crate) fn be_u64(data: &[u8], pos: usize, at: u64, what: &str) -> Result<u64> {
    pos.checked_add(8)
        .and_then(|end| data.get(pos..end))
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| Error::format(at, format!("{} truncated", what)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn filter(id: u16, cd: &[u32]) -> Filter {
        Filter { id, name: None, flags: 0, client_data: cd.to_vec() }
    }

    #[test]
    fn roundtrip_shuffle_deflate_fletcher() {
        let pipe = FilterPipeline {
            version: 2,
            filters: vec![filter(SHUFFLE, &[4]), filter(DEFLATE, &[6]), filter(FLETCHER32, &[])],
        };
        let data: Vec<u8> = (0..1000u32).flat_map(|v| v.to_le_bytes()).collect();
        let (enc, mask) = encode_pipeline(&pipe, data.clone(), 4).unwrap();
        assert_eq!(mask, 0);
        assert!(enc.len() < data.len());
        let dec = decode_pipeline(&pipe, 0, enc.clone(), 4, &Limits::default(), 1234).unwrap();
        assert_eq!(dec, data);
        // Corrupt one byte: Fletcher-32 catches it and names the chunk address.
        let mut bad = enc;
        bad[10] ^= 0x40;
        let e = decode_pipeline(&pipe, 0, bad, 4, &Limits::default(), 1234).unwrap_err();
        assert_eq!(e.offset, Some(1234));
        assert!(e.to_string().contains("1234"), "{}", e);
    }

    #[test]
    fn mask_skips_filters() {
        let pipe = FilterPipeline { version: 2, filters: vec![filter(SHUFFLE, &[2]), filter(DEFLATE, &[6])] };
        let data: Vec<u8> = (0..100u16).flat_map(|v| v.to_le_bytes()).collect();
        let shuffled = shuffle::encode(&data, 2);
        // Deflate (bit 1) was skipped when writing: only shuffle applies.
        assert_eq!(decode_pipeline(&pipe, 0b10, shuffled, 2, &Limits::default(), 0).unwrap(), data);
        assert_eq!(decode_pipeline(&pipe, 0b11, data.clone(), 2, &Limits::default(), 0).unwrap(), data);
    }

    #[test]
    fn unknown_filters_are_unsupported() {
        for (id, name) in [(32001, "blosc"), (40000, "unknown")] {
            let pipe = FilterPipeline { version: 2, filters: vec![filter(id, &[])] };
            let e = decode_pipeline(&pipe, 0, vec![1, 2, 3], 1, &Limits::default(), 77).unwrap_err();
            assert_eq!(e.kind, h5kit_core::ErrorKind::Unsupported);
            assert!(e.message.contains(&id.to_string()) && e.message.contains(name), "{}", e);
        }
        let named = FilterPipeline {
            version: 1,
            filters: vec![Filter { id: 307, name: Some("bzip2".into()), flags: 1, client_data: vec![] }],
        };
        let e = decode_pipeline(&named, 0, vec![], 1, &Limits::default(), 0).unwrap_err();
        assert!(e.message.contains("307") && e.message.contains("bzip2"), "{}", e);
    }

    #[test]
    fn optional_filters_that_fail_set_the_mask() {
        let lzf = Filter { id: LZF, name: None, flags: FLAG_OPTIONAL, client_data: vec![4, 261, 16] };
        let noise: Vec<u8> = (0..16u8).map(|i| i.wrapping_mul(73) ^ 0x5a).collect();
        // LZF declines incompressible data: skipped (bit 1), Fletcher-32 still applied.
        let pipe = FilterPipeline { version: 2, filters: vec![filter(SHUFFLE, &[2]), lzf.clone(), filter(FLETCHER32, &[])] };
        let (enc, mask) = encode_pipeline(&pipe, noise.clone(), 2).unwrap();
        assert_eq!(mask, 0b010);
        assert_eq!(enc.len(), 20);
        assert_eq!(decode_pipeline(&pipe, mask, enc, 2, &Limits::default(), 0).unwrap(), noise);
        // Compressible data: all three applied.
        let zeros = vec![0u8; 1000];
        let (enc, mask) = encode_pipeline(&pipe, zeros.clone(), 2).unwrap();
        assert_eq!(mask, 0);
        assert!(enc.len() < 100);
        assert_eq!(decode_pipeline(&pipe, mask, enc, 2, &Limits::default(), 0).unwrap(), zeros);
        // The same filter made mandatory: an error. An optional unknown filter is skipped.
        let strict = FilterPipeline { version: 2, filters: vec![Filter { flags: 0, ..lzf }] };
        assert!(encode_pipeline(&strict, noise.clone(), 1).is_err());
        let unknown = FilterPipeline { version: 2, filters: vec![Filter { id: 32001, name: None, flags: 1, client_data: vec![] }] };
        assert_eq!(encode_pipeline(&unknown, noise.clone(), 1).unwrap(), (noise.clone(), 1));
        assert!(encode_pipeline(&FilterPipeline { version: 2, filters: vec![filter(32001, &[])] }, noise, 1).is_err());
    }

    #[test]
    fn every_encoder_roundtrips_through_the_pipeline() {
        let data: Vec<u8> = (0..4000u32).flat_map(|i| ((i / 5) as u16).to_le_bytes()).collect();
        for f in [
            filter(DEFLATE, &[9]),
            filter(SHUFFLE, &[2]),
            filter(FLETCHER32, &[]),
            filter(LZF, &[4, 261, 8000]),
            filter(LZ4, &[0]),
            filter(LZ4, &[100]),
            filter(BITSHUFFLE, &[0, 4, 2, 0, 2]),
            filter(BITSHUFFLE, &[0, 4, 2, 0, 0]),
            filter(BITSHUFFLE, &[0, 4, 2, 0, 3, 3]),
            filter(ZSTD, &[5]),
            filter(SZIP, &[169, 8, 16, 40]),
            filter(SZIP, &[141, 32, 16, 4000]),
        ] {
            let pipe = FilterPipeline { version: 2, filters: vec![f.clone()] };
            let (enc, mask) = encode_pipeline(&pipe, data.clone(), 2).unwrap();
            assert_eq!(mask, 0, "{:?}", f);
            assert_eq!(decode_pipeline(&pipe, 0, enc, 2, &Limits::default(), 0).unwrap(), data, "{:?}", f);
            assert!(can_encode(f.id));
        }
        assert!(can_encode(SZIP) && can_encode(NBIT) && !can_encode(32001));
    }

    #[test]
    fn set_local_fills_dataset_values() {
        use h5kit_object_header::{ByteOrder, TypeClass};
        let int = |size: u32| Datatype {
            version: 1,
            size,
            class: TypeClass::Integer { order: ByteOrder::LittleEndian, signed: true, bit_offset: 0, precision: (size * 8) as u16, pad_lo: false, pad_hi: false },
        };
        let sl = |f: Filter, size: u32, elems: u64| set_local(&f, &int(size), elems, None).unwrap().client_data;
        assert_eq!(sl(filter(SHUFFLE, &[]), 8, 100), [8]);
        assert_eq!(sl(filter(LZF, &[]), 8, 100), [4, 261, 800]);
        assert_eq!(sl(filter(LZF, &[4, 261, 5]), 4, 100), [4, 261, 400]);
        assert_eq!(sl(filter(BITSHUFFLE, &[]), 4, 100), [0, 4, 4]);
        assert_eq!(sl(filter(BITSHUFFLE, &[0, 4, 0, 0, 2]), 2, 200), [0, 4, 2, 0, 2]);
        assert_eq!(sl(filter(ZSTD, &[5]), 2, 200), [5]);
        // As libhdf5 writes them (filters.h5: nbit_i32_p12_o4 and so_i32 have other types).
        assert_eq!(sl(filter(NBIT, &[]), 4, 40), [8, 1, 40, 1, 4, 0, 32, 0]);
        assert_eq!(sl(filter(SCALEOFFSET, &[2, 0]), 4, 40), [2, 0, 40, 0, 4, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let s = Datatype { version: 1, size: 16, class: TypeClass::Opaque { tag: String::new() } };
        assert!(set_local(&filter(NBIT, &[]), &s, 4, None).is_err());
        // A description copied from a file (filters.h5 nbit_compound) is kept, the element
        // count follows the chunk.
        let compound = [21, 0, 16, 3, 16, 3, 0, 1, 4, 0, 10, 2, 4, 4, 4, 8, 1, 8, 0, 64, 0];
        let mut want = compound.to_vec();
        want[2] = 8;
        assert_eq!(set_local(&filter(NBIT, &compound), &s, 8, None).unwrap().client_data, want);
        // Floats: sign 0 as libhdf5 writes it (filters.h5 so_f32_d2).
        let f32 = Datatype {
            version: 1,
            size: 4,
            class: TypeClass::Float {
                order: ByteOrder::LittleEndian,
                bit_offset: 0,
                precision: 32,
                pad_lo: false,
                pad_hi: false,
                pad_internal: false,
                mantissa_norm: h5kit_object_header::MantissaNorm::Implied,
                sign_location: 31,
                exponent_location: 23,
                exponent_size: 8,
                mantissa_location: 0,
                mantissa_size: 23,
                exponent_bias: 127,
            },
        };
        let cd = set_local(&filter(SCALEOFFSET, &[0, 2]), &f32, 50, None).unwrap().client_data;
        assert_eq!(cd, [0, 2, 50, 1, 4, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
}
