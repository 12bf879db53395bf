//! Every filter decoder of `h5kit_dataset::filter` (spec IV.A.2.l "The Data Storage - Filter
//! Pipeline Message"; filters deflate, shuffle, Fletcher-32, N-bit, scale-offset, LZF, LZ4,
//! bitshuffle, Zstandard) and the pipeline message itself.
//!
//! Input: byte 0 selects the filter, byte 1 the element size, byte 2 the number of client
//! data values (mod 16), then those values (u32 LE), then the chunk bytes.
#![no_main]
use h5kit_core::Reader;
use h5kit_object_header::{Filter, FilterPipeline};
use libfuzzer_sys::fuzz_target;

const IDS: [u16; 10] = [1, 2, 3, 4, 5, 32000, 32004, 32008, 32015, 7];

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let id = IDS[data[0] as usize % IDS.len()];
    let element_size = data[1] as usize;
    let n = (data[2] % 16) as usize;
    let mut r = Reader::new(&data[3..], 0, Default::default());
    let mut client_data = Vec::with_capacity(n);
    for _ in 0..n {
        match r.u32() {
            Ok(v) => client_data.push(v),
            Err(_) => return,
        }
    }
    let chunk = r.rest().to_vec();
    let limits = h5kit_fuzz::limits();
    let f = Filter { id, name: None, flags: 0, client_data };
    let _ = h5kit_dataset::filter::decode_filter(&f, chunk.clone(), element_size, &limits, 0);
    // Two-filter pipeline (shuffle after the chosen one) with every mask.
    let pipeline = FilterPipeline {
        version: 2,
        filters: vec![f, Filter { id: 2, name: None, flags: 0, client_data: vec![] }],
    };
    let mask = (data[0] >> 4) as u32 & 3;
    let _ = h5kit_dataset::filter::decode_pipeline(&pipeline, mask, chunk, element_size, &limits, 0);
    // The pipeline message.
    let _ = FilterPipeline::decode(&mut Reader::new(&data[1..], 0, Default::default()));
});
