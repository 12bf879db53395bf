//! Ranged storage for the browser: the block cache of [`h5kit_core::ranged`] (shared with the
//! object-store storage of h5kit-store), re-exported here, fed by JavaScript through the
//! asynchronous protocol of [`CacheHandle::take_missing`] / [`CacheHandle::supply`].

pub use h5kit_core::ranged::*;

#[cfg(test)]
mod tests {
    use super::*;
    use h5kit_core::{Error, Result};

    /// The retry protocol the JS layer runs: on failure, supply what is missing and retry.
    fn run_async<T>(h: &CacheHandle, data: &[u8], mut op: impl FnMut() -> Result<T>) -> (T, u32) {
        h.begin_operation().unwrap();
        let mut rounds = 0;
        loop {
            match op() {
                Ok(v) => return (v, rounds),
                Err(e) => {
                    let missing = h.take_missing().unwrap();
                    assert!(!missing.is_empty(), "failed without missing blocks: {}", e);
                    rounds += 1;
                    for (o, l) in missing {
                        h.supply(o, &data[o as usize..(o + l) as usize]).unwrap();
                    }
                }
            }
        }
    }

    #[test]
    fn opens_and_reads_an_interop_file_through_the_async_protocol() {
        let path = crate::interop_path("jhdf/test_file.hdf5");
        let data = std::fs::read(path).unwrap();
        let len = data.len() as u64;
        let cfg = CacheConfig { block_size: 1024, max_blocks: 8, max_readahead: 1 << 16, ..CacheConfig::default() };
        let h = RangedStorage::new(len, Box::new(SuppliedOnly), cfg).handle();
        let (file, rounds) = run_async(&h, &data, || {
            let st = RangedStorage::with_handle(&h, Box::new(SuppliedOnly));
            h5kit::File::from_storage(Box::new(st), "t".into(), h5kit::Limits::default())
        });
        assert!(rounds >= 1);
        let (keys, _) = run_async(&h, &data, || file.root()?.keys());
        assert_eq!(keys, vec!["datasets_group", "links_group", "nD_Datasets"]);
        // Missing blocks while opening the children propagate (they are not "broken links").
        let (listing, _) = run_async(&h, &data, || crate::inspect::list(&file, "/datasets_group/int"));
        assert_eq!(listing.matches(r#""kind":"dataset""#).count(), 3, "{}", listing);
        // h5dump -d /datasets_group/float/float32 test_file.hdf5: -10, -9, ... 10
        let (values, _) = run_async(&h, &data, || match file.object("/datasets_group/float/float32")? {
            h5kit::Object::Dataset(d) => d.read::<f64>(),
            _ => Err(Error::usage("not a dataset")),
        });
        assert_eq!(values.data.len(), 21);
        assert_eq!(values.data[0], -10.0);
        assert_eq!(values.data[20], 10.0);
        let st = h.stats().unwrap();
        assert!(st.bytes_fetched <= len, "fetched {} of {}", st.bytes_fetched, len);
    }
}
