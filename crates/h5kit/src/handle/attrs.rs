//! The attributes of an object as a mapping (h5py's `AttributeManager`): names, typed reads
//! through one generic `get`, and one generic `set` for scalars, slices, arrays and strings.
//! Attributes are read as the snapshot layer reads them (spec IV.A.2.m "The Attribute
//! Message", IV.A.2.v "The Attribute Info Message" for dense storage), from the file as it is
//! at each call.

use h5kit_core::{Error, ErrorKind, Result};
#[cfg(feature = "write")]
use h5kit_object_header::Datatype;

use crate::attribute::Attribute;
use crate::file::File;
use crate::handle::resolve;
use crate::typed::{Array, H5Type};

/// The attributes of a group, dataset or committed datatype: a live handle.
///
/// ```no_run
/// let f = h5kit::File::create("attrs.h5")?;
/// let a = f.attrs();
/// a.set("title", "Inventory")?;       // variable-length UTF-8 string
/// a.set("version", 3i64)?;            // scalar
/// a.set("origin", [1.5f64, -2.0])?;   // 1-D array
/// let v: i64 = a.get("version")?;
/// let o: Vec<f64> = a.get("origin")?;
/// assert_eq!(a.get_string("title")?, "Inventory");
/// assert_eq!(a.keys()?, ["origin", "title", "version"]);
/// a.delete("origin")?;
/// # Ok::<(), h5kit::Error>(())
/// ```
#[derive(Clone)]
pub struct Attrs {
    file: File,
    path: String,
}

impl std::fmt::Debug for Attrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Attrs({:?} in {})", self.path, self.file.inner.name)
    }
}

/// A Rust value an attribute converts to ([`Attrs::get`]): a numeric scalar (the attribute
/// must have one element), `Vec<T>` or [`Array<T>`] of numbers, `String` (one string) or
/// `Vec<String>`.
pub trait FromAttr: Sized {
    /// The value of `attribute`, converted; `Err` when it does not convert.
    fn from_attr(attribute: &Attribute) -> Result<Self>;
}

fn one<T>(mut v: Vec<T>, a: &Attribute) -> Result<T> {
    if v.len() != 1 {
        return Err(Error::usage(format!("attribute {:?} has {} elements (shape {:?}), not one", a.name, v.len(), a.dataspace.dims)));
    }
    v.pop().ok_or_else(|| Error::usage("empty attribute"))
}

macro_rules! scalar_from_attr {
    ($($t:ty),*) => {$(
        impl FromAttr for $t {
            fn from_attr(a: &Attribute) -> Result<Self> {
                one(a.read::<$t>()?.data, a)
            }
        }
    )*};
}
scalar_from_attr!(i8, u8, i16, u16, i32, u32, i64, u64, f32, f64);

impl<T: H5Type> FromAttr for Vec<T> {
    fn from_attr(a: &Attribute) -> Result<Self> {
        Ok(a.read::<T>()?.data)
    }
}

impl<T: H5Type> FromAttr for Array<T> {
    fn from_attr(a: &Attribute) -> Result<Self> {
        a.read::<T>()
    }
}

impl FromAttr for String {
    fn from_attr(a: &Attribute) -> Result<Self> {
        one(a.read_strings()?, a)
    }
}


impl Attrs {
    pub(crate) fn at(file: File, path: String) -> Attrs {
        Attrs { file, path }
    }

    /// Path of the object the attributes belong to.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Every attribute as read now (the snapshot layer: datatype, dataspace, raw bytes), in
    /// storage order.
    pub fn list(&self) -> Result<Vec<Attribute>> {
        crate::handle::retry(&self.file, || resolve(&self.file, &self.path)?.attributes())
    }

    /// Names, in name order (h5py's `attrs.keys()`).
    pub fn keys(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self.list()?.into_iter().map(|a| a.name).collect();
        names.sort();
        Ok(names)
    }

    /// Number of attributes.
    pub fn len(&self) -> Result<usize> {
        Ok(self.list()?.len())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Whether an attribute `name` exists (h5py's `name in attrs`).
    pub fn contains(&self, name: &str) -> Result<bool> {
        Ok(self.list()?.iter().any(|a| a.name == name))
    }

    /// The attribute `name` as read now; an error (not found) when missing.
    pub fn attribute(&self, name: &str) -> Result<Attribute> {
        self.list()?
            .into_iter()
            .find(|a| a.name == name)
            .ok_or_else(|| Error::not_found(format!("no attribute named {:?}", name)).in_object(self.path.clone()))
    }

    /// The attribute `name` converted to `V` (see [`FromAttr`]): `let n: i64 =
    /// attrs.get("count")?`, `attrs.get::<Vec<f64>>("origin")?`.
    pub fn get<V: FromAttr>(&self, name: &str) -> Result<V> {
        let a = self.attribute(name)?;
        V::from_attr(&a).map_err(|e| e.context(format!("attribute {:?}", name)).in_object(self.path.clone()))
    }

    /// As [`Attrs::get`], `None` when there is no such attribute.
    pub fn get_opt<V: FromAttr>(&self, name: &str) -> Result<Option<V>> {
        match self.get(name) {
            Err(e) if e.kind == ErrorKind::NotFound && !self.contains(name)? => Ok(None),
            r => r.map(Some),
        }
    }

    /// A string attribute's value (one string, fixed or variable length).
    pub fn get_string(&self, name: &str) -> Result<String> {
        self.get(name)
    }

    /// Every string of a string attribute.
    pub fn get_strings(&self, name: &str) -> Result<Vec<String>> {
        self.get(name)
    }
}

/// What [`Attrs::set`] stores.
#[cfg(feature = "write")]
#[derive(Debug, Clone, PartialEq)]
pub enum AttrData {
    /// Values in `datatype`'s encoding; `shape` `None` for a scalar.
    Raw {
        /// The datatype of the values.
        datatype: Datatype,
        /// The shape; `None` for a scalar.
        shape: Option<Vec<u64>>,
        /// The values in the writer's encoding (variable-length parts as a `u32` byte count
        /// and the bytes after each element).
        bytes: Vec<u8>,
    },
    /// A variable-length UTF-8 string (h5py's `attrs[name] = "text"`).
    String(String),
}

/// A Rust value [`Attrs::set`] stores: numbers (a scalar), `&str` and `String` (one
/// variable-length string), and slices, `Vec`s, arrays and [`Array`]s of any
/// [`crate::H5Write`] type (numbers, `String`s, [`crate::VarLen`]s, derived compounds and
/// enums).
#[cfg(feature = "write")]
pub trait AttrValue {
    /// The datatype, shape and bytes to store.
    fn attr_data(&self) -> AttrData;
}

#[cfg(feature = "write")]
macro_rules! scalar_attr_value {
    ($($t:ty),*) => {$(
        impl AttrValue for $t {
            fn attr_data(&self) -> AttrData {
                AttrData::Raw { datatype: <$t as crate::H5Write>::datatype(), shape: None, bytes: crate::typed::to_bytes(std::slice::from_ref(self)) }
            }
        }
    )*};
}
#[cfg(feature = "write")]
scalar_attr_value!(i8, u8, i16, u16, i32, u32, i64, u64, f32, f64);

#[cfg(feature = "write")]
impl<T: crate::H5Write> AttrValue for [T] {
    fn attr_data(&self) -> AttrData {
        AttrData::Raw { datatype: T::datatype(), shape: Some(vec![self.len() as u64]), bytes: crate::typed::to_bytes(self) }
    }
}

#[cfg(feature = "write")]
impl<T: crate::H5Write, const N: usize> AttrValue for [T; N] {
    fn attr_data(&self) -> AttrData {
        self.as_slice().attr_data()
    }
}

#[cfg(feature = "write")]
impl<T: crate::H5Write> AttrValue for Vec<T> {
    fn attr_data(&self) -> AttrData {
        self.as_slice().attr_data()
    }
}

#[cfg(feature = "write")]
impl<T: crate::H5Write> AttrValue for Array<T> {
    fn attr_data(&self) -> AttrData {
        AttrData::Raw { datatype: T::datatype(), shape: Some(self.shape.clone()), bytes: crate::typed::to_bytes(&self.data) }
    }
}

#[cfg(feature = "write")]
impl AttrValue for str {
    fn attr_data(&self) -> AttrData {
        AttrData::String(self.to_string())
    }
}

#[cfg(feature = "write")]
impl AttrValue for String {
    fn attr_data(&self) -> AttrData {
        AttrData::String(self.clone())
    }
}

#[cfg(feature = "write")]
impl<V: AttrValue + ?Sized> AttrValue for &V {
    fn attr_data(&self) -> AttrData {
        (**self).attr_data()
    }
}

#[cfg(feature = "write")]
impl Attrs {
    /// Creates or replaces the attribute `name` (h5py's `attrs[name] = value`): numbers are
    /// stored with their own datatype (`i64` as `H5T_STD_I64LE`, ...), strings as
    /// variable-length UTF-8.
    pub fn set(&self, name: &str, value: impl AttrValue) -> Result<()> {
        let r = match value.attr_data() {
            AttrData::Raw { datatype, shape, bytes } => self.file.set_attr_raw(&self.path, name, datatype, shape.as_deref(), &bytes),
            AttrData::String(s) => self.file.set_attr_str(&self.path, name, &s),
        };
        r.map_err(|e| e.context(format!("setting attribute {:?}", name)).in_object(self.path.clone()))
    }

    /// Removes the attribute `name` (h5py's `del attrs[name]`); an error when missing.
    pub fn delete(&self, name: &str) -> Result<()> {
        if !self.contains(name)? {
            return Err(Error::not_found(format!("no attribute named {:?}", name)).in_object(self.path.clone()));
        }
        self.file.delete_attr(&self.path, name).map_err(|e| e.in_object(self.path.clone()))
    }
}
