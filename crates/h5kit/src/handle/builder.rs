//! The dataset builder (h5py's `create_dataset` keywords, the `hdf5` crate's
//! `new_dataset::<T>()...create(name)`): every option is checked before anything is written,
//! so a mistake leaves the file as it was. What is created is a dataspace (spec IV.A.2.b), a
//! datatype (IV.A.2.d), a layout (IV.A.2.i), a filter pipeline (IV.A.2.l) and a fill value
//! (IV.A.2.f), through [`crate::write::DatasetSpec`].

use std::marker::PhantomData;

use h5kit_core::{Error, Result};
use h5kit_object_header::{Datatype, Filter, UNLIMITED};
use h5kit_write::{DatasetSpec, LayoutKind};

use crate::handle::{Dataset, Group};
use crate::typed::H5Write;

/// A dataset about to be created; from [`Group::new_dataset`] or [`crate::File::new_dataset`].
/// Finish with [`DatasetBuilder::create`].
#[must_use = "a dataset builder does nothing until `create` is called"]
pub struct DatasetBuilder<'d, T: H5Write> {
    group: Group,
    datatype: Option<Datatype>,
    shape: Option<Vec<u64>>,
    maxshape: Option<Vec<Option<u64>>>,
    chunk: Option<Vec<u64>>,
    layout: Option<LayoutKind>,
    deflate: Option<u8>,
    shuffle: bool,
    fletcher32: bool,
    filters: Vec<Filter>,
    fill_value: Option<T>,
    data: Option<&'d [T]>,
    _t: PhantomData<T>,
}

impl<T: H5Write> std::fmt::Debug for DatasetBuilder<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasetBuilder")
            .field("group", &self.group.path())
            .field("type", &T::NAME)
            .field("shape", &self.shape)
            .field("maxshape", &self.maxshape)
            .field("chunk", &self.chunk)
            .finish()
    }
}

impl<T: H5Write + 'static> DatasetBuilder<'static, T> {
    pub(crate) fn new(group: Group) -> Self {
        DatasetBuilder {
            group,
            datatype: None,
            shape: None,
            maxshape: None,
            chunk: None,
            layout: None,
            deflate: None,
            shuffle: false,
            fletcher32: false,
            filters: Vec::new(),
            fill_value: None,
            data: None,
            _t: PhantomData,
        }
    }
}

impl<'d, T: H5Write> DatasetBuilder<'d, T> {
    /// Dimension sizes; `[]` makes a scalar. Without it, the shape of the data given to
    /// [`DatasetBuilder::with_data`] (one dimension).
    pub fn shape(mut self, shape: impl AsRef<[u64]>) -> Self {
        self.shape = Some(shape.as_ref().to_vec());
        self
    }

    /// Maximum sizes, `None` for unlimited (h5py's `maxshape`); makes the dataset chunked.
    pub fn maxshape(mut self, maxshape: impl AsRef<[Option<u64>]>) -> Self {
        self.maxshape = Some(maxshape.as_ref().to_vec());
        self
    }

    /// Chunk shape (h5py's `chunks`); without it, chunked datasets get h5py's guess.
    pub fn chunk(mut self, chunk: impl AsRef<[u64]>) -> Self {
        self.chunk = Some(chunk.as_ref().to_vec());
        self
    }

    /// The storage layout; by default chunked when chunks, a maximum shape or filters are
    /// given, contiguous otherwise.
    pub fn layout(mut self, layout: LayoutKind) -> Self {
        self.layout = Some(layout);
        self
    }

    /// Gzip compression at `level` (0-9; h5py's `compression="gzip", compression_opts=level`).
    pub fn deflate(mut self, level: u8) -> Self {
        self.deflate = Some(level);
        self
    }

    /// The shuffle filter before compression (h5py's `shuffle=True`).
    pub fn shuffle(mut self) -> Self {
        self.shuffle = true;
        self
    }

    /// Fletcher-32 checksums of the chunks (h5py's `fletcher32=True`).
    pub fn fletcher32(mut self) -> Self {
        self.fletcher32 = true;
        self
    }

    /// Any filter, appended to the pipeline (filter id, flags, client data; not together
    /// with `deflate`/`shuffle`/`fletcher32`).
    pub fn filter(mut self, id: u16, flags: u16, client_data: &[u32]) -> Self {
        self.filters.push(Filter { id, name: None, flags, client_data: client_data.to_vec() });
        self
    }

    /// The value unwritten elements read as (h5py's `fillvalue`).
    pub fn fill_value(mut self, value: T) -> Self {
        self.fill_value = Some(value);
        self
    }

    /// The file datatype, when not `T`'s own (h5py's `dtype=`): values are converted to it
    /// as libhdf5 converts.
    pub fn dtype(mut self, datatype: Datatype) -> Self {
        self.datatype = Some(datatype);
        self
    }

    /// The initial values (h5py's `data=`), row-major; sets the shape when none is given.
    pub fn with_data<'e>(self, data: &'e [T]) -> DatasetBuilder<'e, T> {
        DatasetBuilder {
            group: self.group,
            datatype: self.datatype,
            shape: self.shape,
            maxshape: self.maxshape,
            chunk: self.chunk,
            layout: self.layout,
            deflate: self.deflate,
            shuffle: self.shuffle,
            fletcher32: self.fletcher32,
            filters: self.filters,
            fill_value: self.fill_value,
            data: Some(data),
            _t: PhantomData,
        }
    }

    /// The dataset description, checked: every mistake h5py reports before creating
    /// anything is reported here.
    fn spec(&self) -> Result<(DatasetSpec, Option<Vec<u8>>)> {
        let shape = match (&self.shape, self.data) {
            (Some(s), _) => s.clone(),
            (None, Some(d)) => vec![d.len() as u64],
            (None, None) => return Err(Error::usage("no shape: call .shape(..) or .with_data(..)")),
        };
        let n = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d)).ok_or_else(|| Error::usage(format!("shape {:?} has too many elements", shape)))?;
        if let Some(d) = self.data {
            if d.len() as u64 != n {
                return Err(Error::usage(format!("{} values given for shape {:?} ({} elements)", d.len(), shape, n)));
            }
        }
        let maxshape = match &self.maxshape {
            None => None,
            Some(m) => {
                if m.len() != shape.len() {
                    return Err(Error::usage(format!("maxshape {} has {} dimensions, shape {:?} has {}", fmt_max(m), m.len(), shape, shape.len())));
                }
                for (i, (&s, &mx)) in shape.iter().zip(m).enumerate() {
                    if matches!(mx, Some(mx) if mx < s) {
                        return Err(Error::usage(format!("maxshape {} is smaller than shape {:?} in dimension {}", fmt_max(m), shape, i)));
                    }
                }
                Some(m.iter().map(|d| d.unwrap_or(UNLIMITED)).collect::<Vec<u64>>())
            }
        };
        if let Some(c) = &self.chunk {
            if c.len() != shape.len() {
                return Err(Error::usage(format!("chunk shape {:?} has {} dimensions, shape {:?} has {}", c, c.len(), shape, shape.len())));
            }
            if c.contains(&0) {
                return Err(Error::usage(format!("chunk shape {:?} has a dimension of 0", c)));
            }
            let limit = maxshape.as_ref().unwrap_or(&shape);
            if c.iter().zip(limit).any(|(&c, &l)| l != UNLIMITED && c > l) {
                return Err(Error::usage(format!(
                    "chunk shape {:?} is larger than the {} {:?} in some dimension",
                    c,
                    if maxshape.is_some() { "maximum shape" } else { "shape" },
                    limit
                )));
            }
        }
        if let Some(l) = self.deflate {
            if l > 9 {
                return Err(Error::usage(format!("deflate level {} is not in 0..=9", l)));
            }
        }
        let shorthand = self.deflate.is_some() || self.shuffle || self.fletcher32;
        if shorthand && !self.filters.is_empty() {
            return Err(Error::usage("filter(..) cannot be combined with deflate/shuffle/fletcher32: give the whole pipeline with filter(..)"));
        }
        // As h5py: chunks, a maximum shape or any filter make the dataset chunked.
        let needs_chunks = self.chunk.is_some() || maxshape.is_some() || shorthand || !self.filters.is_empty();
        if needs_chunks && matches!(self.layout, Some(LayoutKind::Contiguous | LayoutKind::Compact)) {
            return Err(Error::usage("chunks, a maximum shape or filters need the chunked layout"));
        }
        if shape.is_empty() && (self.chunk.is_some() || self.maxshape.is_some() || shorthand) {
            return Err(Error::usage("a scalar dataset cannot be chunked, resizable or filtered"));
        }
        let datatype = self.datatype.clone().unwrap_or_else(T::datatype);
        let encode = |v: &[T]| crate::typed_write::encode_as(v, &datatype).map(|b| b.into_owned());
        let fill_value = self.fill_value.as_ref().map(|v| encode(std::slice::from_ref(v))).transpose()?;
        let data = self.data.map(encode).transpose()?;
        let spec = DatasetSpec {
            datatype,
            shape: if shape.is_empty() { None } else { Some(shape) },
            maxshape,
            chunks: self.chunk.clone(),
            layout: self.layout.or(if needs_chunks { Some(LayoutKind::Chunked) } else { None }),
            deflate: self.deflate,
            shuffle: self.shuffle,
            fletcher32: self.fletcher32,
            filters: self.filters.clone(),
            fill_value,
            committed_type: None,
        };
        Ok((spec, data))
    }

    /// Creates the dataset `name` (relative to the group, or absolute; missing intermediate
    /// groups are created) and writes the data given, if any. Every option is checked first:
    /// on a mistake, nothing is written.
    pub fn create(self, name: &str) -> Result<Dataset> {
        let path = crate::handle::join(self.group.path(), name)?;
        let (spec, data) = self.spec().map_err(|e| e.context("creating a dataset").in_object(path.clone()))?;
        let file = self.group.file();
        file.create_dataset(&path, spec).map_err(|e| e.in_object(path.clone()))?;
        if let Some(bytes) = data {
            file.write_raw(&path, &bytes).map_err(|e| e.in_object(path.clone()))?;
        }
        Ok(Dataset::at(file.clone(), path))
    }
}

fn fmt_max(m: &[Option<u64>]) -> String {
    let parts: Vec<String> = m.iter().map(|d| d.map_or("None".to_string(), |d| d.to_string())).collect();
    format!("({})", parts.join(", "))
}
