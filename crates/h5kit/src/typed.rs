//! Typed reads: dataset and attribute values as `Vec<T>` with their shape, converted from the
//! file's datatype the way libhdf5's hard conversions do (byte order swapped; integers and
//! floats of any size converted; out-of-range values clipped); compounds, enums and arrays
//! through [`H5Type::decode`] (spec IV.A.2.d; `#[derive(H5Type)]`, see `derive.rs`).

use h5kit_core::{Error, ErrorKind, Result};
use h5kit_object_header::{ByteOrder, Datatype, TypeClass};

/// An n-dimensional array read from a file: values in row-major order and the shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Array<T> {
    /// The values, row-major.
    pub data: Vec<T>,
    /// The shape (empty for a scalar).
    pub shape: Vec<u64>,
}

impl<T> Array<T> {
    /// The number of values.
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// The values, without the shape.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }
}

#[cfg(feature = "ndarray")]
impl<T> Array<T> {
    /// The values as an n-dimensional `ndarray` array of the dataset's shape (feature
    /// `ndarray`).
    pub fn into_ndarray(self) -> Result<ndarray::ArrayD<T>> {
        let shape: Vec<usize> = self
            .shape
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| Error::usage("dimension too large for this platform")))
            .collect::<Result<_>>()?;
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), self.data)
            .map_err(|e| Error::usage(format!("shape does not match the values: {}", e)))
    }
}

/// A Rust type HDF5 data converts to: the numbers (`i8`..`u64`, `f32`, `f64`), fixed-size
/// arrays of them, `String` (variable-length or fixed-length strings), [`crate::VarLen`]
/// (variable-length sequences), [`crate::FixedString`], and the structs and C-like enums of
/// `#[derive(H5Type)]` (compounds and enums, converted member by member by name, as libhdf5
/// converts compounds).
///
/// ```
/// # use h5kit::{File, H5Type, VarLen};
/// #[derive(Clone, Debug, PartialEq, H5Type)]
/// struct Sample { id: u32, name: String, values: VarLen<f64> }
///
/// let f = File::builder().in_memory()?;
/// let data = [Sample { id: 1, name: "first".into(), values: VarLen(vec![0.5, 1.5]) }];
/// let ds = f.new_dataset::<Sample>().with_data(&data).create("samples")?;
/// assert_eq!(ds.read::<Sample>()?.data, data);
/// # Ok::<(), h5kit::Error>(())
/// ```
pub trait H5Type: Clone + Send + Sync + 'static {
    /// Name for error messages.
    const NAME: &'static str;
    /// A zero value (buffers are filled with it before they are read into).
    fn zero() -> Self;
    /// An integer converted to this type (clipped to its range), `None` when numbers do not
    /// convert to it (compounds).
    fn from_i128(v: i128) -> Option<Self> {
        let _ = v;
        None
    }
    /// A float converted to this type, `None` when numbers do not convert to it.
    fn from_f64(v: f64) -> Option<Self> {
        let _ = v;
        None
    }
    /// Whether data of `dt` is laid out exactly as this type in memory (then reads need no
    /// conversion and land straight in the result through [`H5Type::as_bytes_mut`]).
    fn is_native(dt: &Datatype) -> bool {
        let _ = dt;
        false
    }
    /// The memory of `data` as bytes, for the types whose every bit pattern is a value (the
    /// numbers): reads of the native layout copy straight into it.
    #[doc(hidden)]
    fn as_bytes_mut(data: &mut [Self]) -> Option<&mut [u8]> {
        let _ = data;
        None
    }
    /// `bytes` as values of this type without a copy, when it is a number type and they are
    /// aligned (zero-copy views).
    #[doc(hidden)]
    fn cast_bytes(bytes: &[u8]) -> Option<&[Self]> {
        let _ = bytes;
        None
    }
    /// Elements of `datatype` (raw, in the file's encoding) converted to this type.
    fn decode(raw: &[u8], datatype: &Datatype) -> Result<Vec<Self>> {
        convert_numbers(raw, datatype)
    }
    /// As [`H5Type::decode`], with `heap` resolving the variable-length elements inside the
    /// data (their bytes live in the file's global heap): what reads from a file call.
    #[doc(hidden)]
    fn decode_with(raw: &[u8], datatype: &Datatype, heap: &crate::vlen::Heap<'_>) -> Result<Vec<Self>> {
        let _ = heap;
        Self::decode(raw, datatype)
    }
}

/// `data`'s memory as bytes (native reads); an error for types without a byte view, which
/// never claim a native layout.
pub(crate) fn bytes_mut<T: H5Type>(data: &mut [T]) -> Result<&mut [u8]> {
    T::as_bytes_mut(data).ok_or_else(|| Error::usage(format!("{} has no byte representation to read into", T::NAME)))
}

/// Whether `dt` is a little-endian integer of `size` bytes using all its bits.
fn native_int(dt: &Datatype, size: usize, is_signed: bool) -> bool {
    cfg!(target_endian = "little")
        && dt.size as usize == size
        && matches!(dt.class, TypeClass::Integer { order: ByteOrder::LittleEndian, signed, bit_offset: 0, precision, .. }
            if signed == is_signed && precision as usize == 8 * size)
}

/// Whether `dt` is the IEEE little-endian float of `size` bytes (4 or 8).
fn native_float(dt: &Datatype, size: usize) -> bool {
    cfg!(target_endian = "little")
        && dt.ieee_float_size().map(|s| s as usize) == Some(size)
        && matches!(dt.class, TypeClass::Float { order: ByteOrder::LittleEndian, .. })
}

macro_rules! int_type {
    ($($t:ty),*) => {$(
        impl H5Type for $t {
            const NAME: &'static str = stringify!($t);
            fn zero() -> Self {
                0
            }
            fn from_i128(v: i128) -> Option<Self> {
                Some(v.clamp(<$t>::MIN as i128, <$t>::MAX as i128) as $t)
            }
            fn from_f64(v: f64) -> Option<Self> {
                // `as` saturates and maps NaN to 0, as libhdf5's float-to-int conversion does.
                Some(v as $t)
            }
            fn is_native(dt: &Datatype) -> bool {
                native_int(dt, std::mem::size_of::<$t>(), <$t>::MIN != 0)
            }
            fn as_bytes_mut(data: &mut [Self]) -> Option<&mut [u8]> {
                Some(bytemuck::cast_slice_mut(data))
            }
            fn cast_bytes(bytes: &[u8]) -> Option<&[Self]> {
                bytemuck::try_cast_slice(bytes).ok()
            }
        }
    )*};
}
int_type!(i8, u8, i16, u16, i32, u32, i64, u64);

impl H5Type for f32 {
    const NAME: &'static str = "f32";
    fn zero() -> Self {
        0.0
    }
    fn from_i128(v: i128) -> Option<Self> {
        Some(v as f32)
    }
    fn from_f64(v: f64) -> Option<Self> {
        Some(v as f32)
    }
    fn is_native(dt: &Datatype) -> bool {
        native_float(dt, 4)
    }
    fn as_bytes_mut(data: &mut [Self]) -> Option<&mut [u8]> {
        Some(bytemuck::cast_slice_mut(data))
    }
    fn cast_bytes(bytes: &[u8]) -> Option<&[Self]> {
        bytemuck::try_cast_slice(bytes).ok()
    }
}
impl H5Type for f64 {
    const NAME: &'static str = "f64";
    fn zero() -> Self {
        0.0
    }
    fn from_i128(v: i128) -> Option<Self> {
        Some(v as f64)
    }
    fn from_f64(v: f64) -> Option<Self> {
        Some(v)
    }
    fn is_native(dt: &Datatype) -> bool {
        native_float(dt, 8)
    }
    fn as_bytes_mut(data: &mut [Self]) -> Option<&mut [u8]> {
        Some(bytemuck::cast_slice_mut(data))
    }
    fn cast_bytes(bytes: &[u8]) -> Option<&[Self]> {
        bytemuck::try_cast_slice(bytes).ok()
    }
}

fn ordered(bytes: &[u8], order: ByteOrder) -> [u8; 16] {
    let mut le = [0u8; 16];
    match order {
        ByteOrder::BigEndian => {
            for (d, b) in le.iter_mut().zip(bytes.iter().rev()) {
                *d = *b;
            }
        }
        _ => {
            for (d, b) in le.iter_mut().zip(bytes) {
                *d = *b;
            }
        }
    }
    le
}

/// Decodes an IEEE-style float of any layout (half, single, double, and the custom layouts
/// the float bit field describes) to f64.
fn decode_float(le: &[u8; 16], size: usize, cls: &TypeClass) -> Option<f64> {
    let TypeClass::Float {
        bit_offset,
        precision,
        sign_location,
        exponent_location,
        exponent_size,
        mantissa_location,
        mantissa_size,
        exponent_bias,
        mantissa_norm,
        ..
    } = cls
    else {
        return None;
    };
    if size > 16 {
        return None;
    }
    let bits = u128::from_le_bytes(*le);
    if size == 4 && *precision == 32 && *exponent_size == 8 && *mantissa_size == 23 && *bit_offset == 0 {
        return Some(f32::from_bits(bits as u32) as f64);
    }
    if size == 8 && *precision == 64 && *exponent_size == 11 && *mantissa_size == 52 && *bit_offset == 0 {
        return Some(f64::from_bits(bits as u64));
    }
    let field = |loc: u8, len: u8| -> u128 {
        if len == 0 || len >= 128 {
            return 0;
        }
        (bits >> loc) & ((1u128 << len) - 1)
    };
    let sign = field(*sign_location, 1);
    let exp = field(*exponent_location, *exponent_size) as i64;
    let mant = field(*mantissa_location, *mantissa_size);
    let max_exp = if *exponent_size >= 63 { i64::MAX } else { (1i64 << exponent_size) - 1 };
    let mant_scale = 2f64.powi(-(*mantissa_size as i32));
    let bias = *exponent_bias as i64;
    let implied = matches!(mantissa_norm, h5kit_object_header::MantissaNorm::Implied);
    let value = if exp == max_exp && implied {
        if mant == 0 {
            f64::INFINITY
        } else {
            // libhdf5's soft conversion (H5T__conv_f_f) writes a NaN with every mantissa bit
            // set; the sign is applied below.
            f64::from_bits(0x7fff_ffff_ffff_ffff)
        }
    } else if exp == 0 {
        (mant as f64) * mant_scale * 2f64.powi((1 - bias) as i32)
    } else {
        let lead = if implied { 1.0 } else { 0.0 };
        (lead + (mant as f64) * mant_scale) * 2f64.powi((exp - bias) as i32)
    };
    Some(if sign == 1 { -value } else { value })
}

/// Converts raw elements of `datatype` to `T` (through [`H5Type::decode`]).
pub(crate) fn convert<T: H5Type>(raw: &[u8], datatype: &Datatype) -> Result<Vec<T>> {
    T::decode(raw, datatype)
}

/// Converts raw elements of `datatype`, read from `file`, to `T`: variable-length members
/// are resolved in the file's global heap.
pub(crate) fn convert_in<T: H5Type>(file: &crate::file::FileInner, raw: &[u8], datatype: &Datatype) -> Result<Vec<T>> {
    let resolve = |slot: &[u8], dt: &Datatype| -> Result<Vec<u8>> {
        crate::vlen::vlen_elements(file, slot, dt)?.pop().ok_or_else(|| Error::format(0, "variable-length element missing"))
    };
    T::decode_with(raw, datatype, &crate::vlen::Heap::new(&resolve))
}

/// Converts raw numeric elements (integers, bitfields, floats, enums by value) of `datatype`
/// to `T`: the default [`H5Type::decode`].
pub fn convert_numbers<T: H5Type>(raw: &[u8], datatype: &Datatype) -> Result<Vec<T>> {
    let size = datatype.size as usize;
    if size == 0 {
        return Ok(Vec::new());
    }
    let unsupported =
        || Error::new(ErrorKind::Usage, format!("cannot convert HDF5 {} data to {}", crate::handle::type_name(datatype), T::NAME));
    let mut out = Vec::with_capacity(raw.len() / size);
    match &datatype.class {
        TypeClass::Integer { .. } | TypeClass::Bitfield { .. } if size <= 16 => {
            let (order, signed, precision, bit_offset) = match &datatype.class {
                TypeClass::Integer { order, signed, precision, bit_offset, .. } => (*order, *signed, *precision, *bit_offset),
                TypeClass::Bitfield { order, precision, bit_offset, .. } => (*order, false, *precision, *bit_offset),
                _ => return Err(unsupported()),
            };
            let prec = (precision as u32).clamp(1, 128);
            let off = (bit_offset as u32).min(127);
            let mask = if prec >= 128 { u128::MAX } else { (1u128 << prec) - 1 };
            for chunk in raw.chunks_exact(size) {
                let v = (u128::from_le_bytes(ordered(chunk, order)) >> off) & mask;
                let value = if signed && prec < 128 && (v >> (prec - 1)) & 1 == 1 {
                    (v | !mask) as i128
                } else if v > i128::MAX as u128 {
                    i128::MAX
                } else {
                    v as i128
                };
                out.push(T::from_i128(value).ok_or_else(unsupported)?);
            }
        }
        TypeClass::Float { order, .. } if size <= 16 => {
            for chunk in raw.chunks_exact(size) {
                let le = ordered(chunk, *order);
                let v = decode_float(&le, size, &datatype.class).ok_or_else(unsupported)?;
                out.push(T::from_f64(v).ok_or_else(unsupported)?);
            }
        }
        TypeClass::Enum { base, .. } => return convert_numbers(raw, base),
        _ => return Err(unsupported()),
    }
    Ok(out)
}

/// A Rust type written with its own HDF5 datatype (numbers little-endian, like h5py's native
/// types; strings variable-length UTF-8; [`crate::VarLen`] variable-length sequences; the
/// structs and enums of `#[derive(H5Type)]` compounds and enums).
#[cfg(feature = "write")]
pub trait H5Write: Clone {
    /// Name for error messages.
    const NAME: &'static str;
    /// The HDF5 datatype of this type.
    fn datatype() -> Datatype;
    /// The value, for conversion to another numeric datatype; `None` for types that are not
    /// numbers (compounds, enums, arrays: written only as their own datatype).
    fn number(&self) -> Option<crate::typed_write::Number> {
        None
    }
    /// Appends the little-endian bytes of `self` (variable-length parts: zero bytes of their
    /// slot's size; their contents come from [`H5Write::put_vlen`]).
    fn put(&self, out: &mut Vec<u8>);
    /// Appends the bytes of each variable-length part of `self` (strings: the UTF-8 bytes;
    /// sequences: the elements' bytes), in the order of the datatype's members.
    #[doc(hidden)]
    fn put_vlen(&self, pieces: &mut Vec<Vec<u8>>) {
        let _ = pieces;
    }
    /// `data`'s memory when it already is the little-endian encoding `put` appends (the
    /// numeric types on little-endian hosts), so that it is written without a conversion pass.
    #[doc(hidden)]
    fn as_le_bytes(data: &[Self]) -> Option<&[u8]>
    where
        Self: Sized,
    {
        let _ = data;
        None
    }
}

/// `data`'s memory as bytes, on little-endian hosts (the numeric types are `Pod`).
#[cfg(feature = "write")]
fn le_memory<T: bytemuck::Pod>(data: &[T]) -> Option<&[u8]> {
    if cfg!(target_endian = "little") {
        Some(bytemuck::cast_slice(data))
    } else {
        None
    }
}

#[cfg(feature = "write")]
macro_rules! write_int {
    ($($t:ty, $size:expr, $signed:expr);*) => {$(
        impl H5Write for $t {
            const NAME: &'static str = stringify!($t);
            fn datatype() -> Datatype {
                h5kit_write::dtype::int($size, $signed)
            }
            fn number(&self) -> Option<crate::typed_write::Number> {
                Some(crate::typed_write::Number::Int(i128::from(*self)))
            }
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn as_le_bytes(data: &[Self]) -> Option<&[u8]> {
                le_memory(data)
            }
        }
    )*};
}
#[cfg(feature = "write")]
write_int!(i8, 1, true; u8, 1, false; i16, 2, true; u16, 2, false; i32, 4, true; u32, 4, false; i64, 8, true; u64, 8, false);

#[cfg(feature = "write")]
impl H5Write for f32 {
    const NAME: &'static str = "f32";
    fn number(&self) -> Option<crate::typed_write::Number> {
        Some(crate::typed_write::Number::Float(f64::from(*self)))
    }
    fn datatype() -> Datatype {
        h5kit_write::dtype::float32()
    }
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn as_le_bytes(data: &[Self]) -> Option<&[u8]> {
        le_memory(data)
    }
}
#[cfg(feature = "write")]
impl H5Write for f64 {
    const NAME: &'static str = "f64";
    fn number(&self) -> Option<crate::typed_write::Number> {
        Some(crate::typed_write::Number::Float(*self))
    }
    fn datatype() -> Datatype {
        h5kit_write::dtype::float64()
    }
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn as_le_bytes(data: &[Self]) -> Option<&[u8]> {
        le_memory(data)
    }
}

/// The little-endian bytes of `data`, borrowed where `data` already is that encoding.
#[cfg(feature = "write")]
pub(crate) fn as_bytes<T: H5Write>(data: &[T]) -> std::borrow::Cow<'_, [u8]> {
    match T::as_le_bytes(data) {
        Some(b) => std::borrow::Cow::Borrowed(b),
        None => std::borrow::Cow::Owned(to_bytes(data)),
    }
}

/// The little-endian bytes of `data` (one copy: a memcpy where `data` already is that
/// encoding).
#[cfg(feature = "write")]
pub(crate) fn to_bytes<T: H5Write>(data: &[T]) -> Vec<u8> {
    if let Some(b) = T::as_le_bytes(data) {
        return b.to_vec();
    }
    let dt = T::datatype();
    if h5kit_write::enc::is_vlen(&dt) {
        // The writer's encoding of variable-length data: per element its fixed bytes (none
        // for a string or sequence itself), then each variable-length part as a u32 byte
        // count and the bytes.
        let whole = matches!(dt.class, TypeClass::VarLenString { .. } | TypeClass::VarLenSequence { .. });
        let mut out = Vec::new();
        let mut pieces = Vec::new();
        for v in data {
            if !whole {
                v.put(&mut out);
            }
            pieces.clear();
            v.put_vlen(&mut pieces);
            for p in &pieces {
                out.extend_from_slice(&u32::try_from(p.len()).unwrap_or(u32::MAX).to_le_bytes());
                out.extend_from_slice(p);
            }
        }
        return out;
    }
    let mut out = Vec::with_capacity(std::mem::size_of_val(data));
    for v in data {
        v.put(&mut out);
    }
    out
}

/// The (real, imaginary) parts of complex elements: the Complex class (spec IV.A.2.d class 11,
/// "Version 4.0 / HDF5 2.0 addition": two floats of the base type, real first) or a compound
/// of two floating-point members (h5py's `{r, i}` and similar).
pub(crate) fn convert_complex<T: H5Type>(raw: &[u8], datatype: &Datatype) -> Result<Vec<(T, T)>> {
    let size = datatype.size as usize;
    let unsupported = || {
        Error::new(ErrorKind::Usage, format!("cannot read HDF5 {} data as complex {}", crate::handle::type_name(datatype), T::NAME))
    };
    let (base_re, off_re, base_im, off_im) = match &datatype.class {
        TypeClass::Complex { base } => {
            let b = base.size as usize;
            if b.checked_mul(2) != Some(size) {
                return Err(unsupported());
            }
            (base.as_ref(), 0usize, base.as_ref(), b)
        }
        TypeClass::Compound { members } if members.len() == 2 => {
            let (Some(r), Some(i)) = (members.first(), members.get(1)) else { return Err(unsupported()) };
            let is_float = |d: &Datatype| matches!(d.class, TypeClass::Float { .. });
            if !is_float(&r.datatype) || !is_float(&i.datatype) {
                return Err(unsupported());
            }
            let off = |o: u64| usize::try_from(o).map_err(|_| unsupported());
            (&r.datatype, off(r.byte_offset)?, &i.datatype, off(i.byte_offset)?)
        }
        _ => return Err(unsupported()),
    };
    if size == 0 {
        return Ok(Vec::new());
    }
    let part = |e: &[u8], off: usize, base: &Datatype| -> Result<T> {
        let n = base.size as usize;
        let bytes = off.checked_add(n).and_then(|end| e.get(off..end)).ok_or_else(unsupported)?;
        convert::<T>(bytes, base)?.into_iter().next().ok_or_else(unsupported)
    };
    let mut out = Vec::with_capacity(raw.len() / size);
    for e in raw.chunks_exact(size) {
        out.push((part(e, off_re, base_re)?, part(e, off_im, base_im)?));
    }
    Ok(out)
}

impl crate::snapshot::Dataset {
    /// Every element as (real, imaginary), converted to `T` (`f32` or `f64`): for the Complex
    /// datatype class of HDF5 2.0 and for compounds of two floats (h5py's complex numbers).
    pub fn read_complex<T: H5Type>(&self) -> Result<Vec<(T, T)>> {
        let raw = self.read_raw()?;
        convert_complex(&raw, self.datatype()).map_err(|e| e.in_object(self.path().to_string()))
    }
}

/// Converts raw numeric elements of `from` into the encoding of `to` (standard integers of
/// 1-8 bytes or IEEE single/double, either byte order), as libhdf5's conversion does for a
/// virtual dataset whose sources have another numeric type (clamped integers, truncated
/// floats, rounded int-to-float).
pub(crate) fn convert_to_type(raw: &[u8], from: &Datatype, to: &Datatype) -> Result<Vec<u8>> {
    let unsupported =
        || Error::new(ErrorKind::Unsupported, format!("no conversion from {} to {}", crate::handle::type_name(from), crate::handle::type_name(to)));
    macro_rules! enc {
        ($t:ty) => {
            convert::<$t>(raw, from)?.into_iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()
        };
    }
    let size = to.size as usize;
    let (mut out, order) = match &to.class {
        TypeClass::Integer { order, signed, precision, bit_offset: 0, .. } if usize::from(*precision) == size * 8 => {
            let out = match (signed, size) {
                (true, 1) => enc!(i8),
                (false, 1) => enc!(u8),
                (true, 2) => enc!(i16),
                (false, 2) => enc!(u16),
                (true, 4) => enc!(i32),
                (false, 4) => enc!(u32),
                (true, 8) => enc!(i64),
                (false, 8) => enc!(u64),
                _ => return Err(unsupported()),
            };
            (out, *order)
        }
        TypeClass::Float { order, precision: 32, exponent_size: 8, mantissa_size: 23, bit_offset: 0, .. } if size == 4 => {
            (enc!(f32), *order)
        }
        TypeClass::Float { order, precision: 64, exponent_size: 11, mantissa_size: 52, bit_offset: 0, .. } if size == 8 => {
            (enc!(f64), *order)
        }
        _ => return Err(unsupported()),
    };
    if order == ByteOrder::BigEndian {
        for e in out.chunks_mut(size) {
            e.reverse();
        }
    }
    Ok(out)
}
