//! Jenkins lookup3 `hashlittle`, the checksum of HDF5 metadata (spec I: "Jenkins' lookup3
//! algorithm"; libhdf5 computes it with an initial value of 0).

use crate::{Error, Result};

#[inline]
fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

#[inline]
fn finish(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

/// The little-endian word of the first (up to) four bytes of `bytes`, zero-padded.
fn word(bytes: &[u8]) -> u32 {
    let mut w = [0u8; 4];
    for (d, s) in w.iter_mut().zip(bytes) {
        *d = *s;
    }
    u32::from_le_bytes(w)
}

/// Bytes from `start` on (empty past the end).
fn from(bytes: &[u8], start: usize) -> &[u8] {
    bytes.get(start..).unwrap_or(&[])
}

/// lookup3 `hashlittle(key, len, initval)`.
pub fn lookup3(key: &[u8], initval: u32) -> u32 {
    let init = 0xdead_beefu32.wrapping_add(key.len() as u32).wrapping_add(initval);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut k = key;
    while k.len() > 12 {
        a = a.wrapping_add(word(k));
        b = b.wrapping_add(word(from(k, 4)));
        c = c.wrapping_add(word(from(k, 8)));
        mix(&mut a, &mut b, &mut c);
        k = from(k, 12);
    }
    if k.is_empty() {
        return c;
    }
    a = a.wrapping_add(word(k));
    if k.len() > 4 {
        b = b.wrapping_add(word(from(k, 4)));
    }
    if k.len() > 8 {
        c = c.wrapping_add(word(from(k, 8)));
    }
    finish(&mut a, &mut b, &mut c);
    c
}

/// Checks the 4-byte checksum stored right after `data` (which starts at file address `at`).
///
/// Fuzz builds (`--cfg fuzzing`, set by cargo-fuzz) accept any checksum, so that mutated
/// inputs reach the parsers behind the checksums instead of stopping at the check.
pub fn verify_checksum(data: &[u8], stored: u32, at: u64, what: &str) -> Result<()> {
    if cfg!(fuzzing) {
        return Ok(());
    }
    let computed = lookup3(data, 0);
    if computed != stored {
        return Err(Error::format(
            at,
            format!("{} checksum mismatch: stored {:#010x}, computed {:#010x}", what, stored, computed),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_vectors() {
        // Vectors from lookup3's own self-test driver.
        assert_eq!(lookup3(b"", 0), 0xdeadbeef);
        assert_eq!(lookup3(b"", 0xdeadbeef), 0xbd5b7dde);
        assert_eq!(lookup3(b"Four score and seven years ago", 0), 0x17770551);
        assert_eq!(lookup3(b"Four score and seven years ago", 1), 0xcd628161);
    }
}
