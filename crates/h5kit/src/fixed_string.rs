//! Fixed-length strings as element values (spec IV.A.2.d, datatype class 3 String: a fixed
//! size, a padding type and a character set): h5py's `S<n>` dtype, usable as a dataset or
//! attribute element and as a `#[derive(H5Type)]` member.

use h5kit_core::{Error, Result};
use h5kit_object_header::{Datatype, TypeClass};

use crate::typed::H5Type;

/// A string of at most `N` bytes stored in `N` bytes, null-padded (h5py's `S<N>`).
///
/// ```
/// let s = h5kit::FixedString::<8>::new("apple")?;
/// assert_eq!(s.as_str(), "apple");
/// assert!(h5kit::FixedString::<4>::new("banana").is_err());
/// # Ok::<(), h5kit::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedString<const N: usize>([u8; N]);

impl<const N: usize> FixedString<N> {
    /// `s`, null-padded to `N` bytes; an error when it is longer.
    pub fn new(s: &str) -> Result<Self> {
        let b = s.as_bytes();
        let mut out = [0u8; N];
        out.get_mut(..b.len())
            .ok_or_else(|| Error::usage(format!("{:?} is {} bytes, longer than a FixedString<{}>", s, b.len(), N)))?
            .copy_from_slice(b);
        Ok(FixedString(out))
    }

    /// The bytes before the padding.
    pub fn as_bytes(&self) -> &[u8] {
        crate::vlen::unpad(&self.0, h5kit_object_header::StringPadding::NullPad)
    }

    /// The text (invalid UTF-8 replaced, as h5py's `.decode(errors="replace")`).
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }
}

impl<const N: usize> std::fmt::Debug for FixedString<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl<const N: usize> std::fmt::Display for FixedString<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl<const N: usize> H5Type for FixedString<N> {
    const NAME: &'static str = "FixedString";
    fn zero() -> Self {
        FixedString([0; N])
    }
    /// From fixed-length strings of any size and padding: the text without its padding,
    /// truncated to `N` bytes when longer (as libhdf5's string conversion truncates).
    fn decode(raw: &[u8], dt: &Datatype) -> Result<Vec<Self>> {
        let TypeClass::String { padding, .. } = &dt.class else {
            return Err(Error::usage(format!("cannot convert HDF5 {} data to FixedString<{}>", crate::handle::type_name(dt), N)));
        };
        crate::__derive::each_element(raw, dt, |e| {
            let text = crate::vlen::unpad(e, *padding);
            let mut out = [0u8; N];
            let n = text.len().min(N);
            if let (Some(dst), Some(src)) = (out.get_mut(..n), text.get(..n)) {
                dst.copy_from_slice(src);
            }
            Ok(FixedString(out))
        })
    }
}

#[cfg(feature = "write")]
impl<const N: usize> crate::H5Write for FixedString<N> {
    const NAME: &'static str = "FixedString";
    fn datatype() -> Datatype {
        h5kit_write::dtype::fixed_string(N as u32, h5kit_object_header::StringPadding::NullPad, h5kit_object_header::CharacterSet::Ascii)
    }
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}
