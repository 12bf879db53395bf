//! Maps keyed by file address for the editor's caches searched on every operation (object
//! headers, datasets): a hash map with a multiplicative hash of the address, cheaper than an
//! ordered map's descent for thousands of objects. Where the order matters (the flush), the
//! keys are sorted first.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map from file addresses to `V`.
pub(crate) type AddrMap<V> = HashMap<u64, V, BuildHasherDefault<AddrHasher>>;

/// Hashes one `u64`: the high and low halves of its 128-bit product with an odd constant,
/// folded (every bit of the address reaches the low bits the table indexes by).
#[derive(Default)]
pub(crate) struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used for u64 keys; kept correct for any other key.
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, x: u64) {
        let p = u128::from(self.0 ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = (p as u64) ^ ((p >> 64) as u64);
    }
}

/// The keys of `map` in address order.
pub(crate) fn sorted_keys<V>(map: &AddrMap<V>, keep: impl Fn(&V) -> bool) -> Vec<u64> {
    let mut keys: Vec<u64> = map.iter().filter(|(_, v)| keep(v)).map(|(&k, _)| k).collect();
    keys.sort_unstable();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_found_and_sorted() {
        let mut m: AddrMap<u64> = AddrMap::default();
        for a in (0..10_000u64).map(|i| i * 272 + 96) {
            m.insert(a, a / 2);
        }
        assert_eq!(m.get(&(5 * 272 + 96)), Some(&((5 * 272 + 96) / 2)));
        assert_eq!(m.get(&97), None);
        let keys = sorted_keys(&m, |v| v % 2 == 0);
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(keys.len(), m.values().filter(|v| *v % 2 == 0).count());
    }
}
