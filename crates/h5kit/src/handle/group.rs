//! Groups as live handles (h5py's `Group`): navigation by path, membership, creation,
//! deletion, links, and the depth-first visit of everything below. Links are read as the
//! snapshot layer reads them (spec IV.A.2.g "The Link Message", IV.A.2.r "The Symbol Table
//! Message"; [`crate::Link`]), from the file as it is at each call.

use std::collections::HashSet;
use std::sync::Arc;

use h5kit_core::{Error, ErrorKind, Result};
use h5kit_object_header::LinkTarget;

use crate::file::{File, FileInner};
use crate::handle::{base_name, join, resolve, Attrs, Dataset};
use crate::object::Object;

/// A group of an open file: a live handle (see the [module docs](crate::handle)).
///
/// ```no_run
/// let f = h5kit::File::create("groups.h5")?;
/// let g = f.create_group("a/b")?;          // intermediate groups are created
/// assert_eq!(g.path(), "/a/b");
/// let a = f.group("a")?;
/// assert_eq!(a.keys()?, ["b"]);
/// f.group("a/b")?.create_group("c")?;
/// assert!(a.contains("b/c"));              // `a` sees the change
/// # Ok::<(), h5kit::Error>(())
/// ```
#[derive(Clone)]
pub struct Group {
    file: File,
    path: String,
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Group({:?} in {})", self.path, self.file.inner.name)
    }
}

/// Any object a link leads to, as a live handle; or where a link leads when it is not
/// followed (external links, dangling soft links).
#[derive(Debug, Clone)]
pub enum Node {
    /// A group.
    Group(Group),
    /// A dataset.
    Dataset(Dataset),
    /// A committed (named) datatype, by path; its snapshot is [`File::object`]'s.
    Datatype(String),
    /// A link that does not lead to an object of this file: external, user-defined, or a
    /// soft link whose target does not exist.
    Link(LinkTarget),
}

impl Node {
    /// The group, if this is one.
    pub fn as_group(&self) -> Option<&Group> {
        match self {
            Node::Group(g) => Some(g),
            _ => None,
        }
    }
    /// The dataset, if this is one.
    pub fn as_dataset(&self) -> Option<&Dataset> {
        match self {
            Node::Dataset(d) => Some(d),
            _ => None,
        }
    }
    fn of(file: &File, object: Object, path: String) -> Node {
        match object {
            Object::Group(_) => Node::Group(Group::at(file.clone(), path)),
            Object::Dataset(_) => Node::Dataset(Dataset::at(file.clone(), path)),
            Object::Datatype(_) => Node::Datatype(path),
        }
    }
}

fn kind_of(o: &Object) -> &'static str {
    match o {
        Object::Group(_) => "a group",
        Object::Dataset(_) => "a dataset",
        Object::Datatype(_) => "a committed datatype",
    }
}

impl Group {
    pub(crate) fn at(file: File, path: String) -> Group {
        Group { file, path }
    }

    /// Absolute path (`/` for the root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The last component of the path (`/` for the root).
    pub fn name(&self) -> &str {
        base_name(&self.path)
    }

    /// The file this group belongs to.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Absolute path of `name` (relative to this group, or absolute).
    fn abs(&self, name: &str) -> Result<String> {
        join(&self.path, name).map_err(|e| e.in_object(self.path.clone()))
    }

    /// This group, read from the file as it is now (the snapshot layer: links with their
    /// targets, creation order, the object header address).
    pub fn snapshot(&self) -> Result<crate::snapshot::Group> {
        match resolve(&self.file, &self.path)? {
            Object::Group(g) => Ok(g),
            o => Err(Error::usage(format!("{} is {}, not a group", self.path, kind_of(&o))).in_object(self.path.clone())),
        }
    }

    /// The group at `name` (relative to this group, or absolute; `/` separates components).
    pub fn group(&self, name: &str) -> Result<Group> {
        let path = self.abs(name)?;
        match resolve(&self.file, &path)? {
            Object::Group(_) => Ok(Group::at(self.file.clone(), path)),
            o => Err(Error::usage(format!("{} is {}, not a group", path, kind_of(&o))).in_object(path)),
        }
    }

    /// The dataset at `name` (relative to this group, or absolute).
    pub fn dataset(&self, name: &str) -> Result<Dataset> {
        let path = self.abs(name)?;
        match resolve(&self.file, &path)? {
            Object::Dataset(_) => Ok(Dataset::at(self.file.clone(), path)),
            o => Err(Error::usage(format!("{} is {}, not a dataset", path, kind_of(&o))).in_object(path)),
        }
    }

    /// The object at `name`, whatever it is.
    pub fn node(&self, name: &str) -> Result<Node> {
        let path = self.abs(name)?;
        let o = resolve(&self.file, &path)?;
        Ok(Node::of(&self.file, o, path))
    }

    /// Names of the links, in name order (h5py's `keys()`).
    pub fn keys(&self) -> Result<Vec<String>> {
        crate::handle::retry(&self.file, || self.snapshot()?.keys())
    }

    /// Number of links (h5py's `len(group)`).
    pub fn len(&self) -> Result<usize> {
        Ok(self.snapshot()?.links()?.len())
    }

    /// Whether the group has no links.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Whether `name` (relative or absolute, with `/`) leads to an object (h5py's `name in
    /// group`: false for a dangling soft link).
    pub fn contains(&self, name: &str) -> bool {
        self.abs(name).and_then(|p| resolve(&self.file, &p)).is_ok()
    }

    /// The link `name` of this group itself (one component), not followed: hard, soft or
    /// external (h5py's `get(name, getlink=True)`); `None` when there is none.
    pub fn link_target(&self, name: &str) -> Result<Option<LinkTarget>> {
        Ok(self.snapshot()?.link(name)?.map(|l| l.target))
    }

    /// Every (name, object) of this group, in name order (h5py's `items()`); links that lead
    /// nowhere in this file are [`Node::Link`].
    pub fn items(&self) -> Result<Vec<(String, Node)>> {
        let snap = self.snapshot()?;
        let mut links = snap.links()?;
        links.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out = Vec::with_capacity(links.len());
        for l in links {
            let path = self.abs(&l.name)?;
            let node = match &l.target {
                LinkTarget::Hard { address } => Node::of(&self.file, Object::open(snap.core.file.clone(), *address, path.clone())?, path),
                LinkTarget::Soft { .. } => match snap.open(&l.name) {
                    Ok(o) => Node::of(&self.file, o, path),
                    Err(e) if e.kind == ErrorKind::NotFound => Node::Link(l.target.clone()),
                    Err(e) => return Err(e),
                },
                _ => Node::Link(l.target.clone()),
            };
            out.push((l.name, node));
        }
        Ok(out)
    }

    /// The objects of this group, in name order (h5py's `values()`).
    pub fn values(&self) -> Result<Vec<Node>> {
        Ok(self.items()?.into_iter().map(|(_, n)| n).collect())
    }

    /// Every object below this group, each once (an object with several hard links under
    /// the first name met), depth first with the links of each group in name order: h5py's
    /// `visititems`. `f` gets the path relative to this group and the object; soft and
    /// external links are not followed. An error from `f` stops the walk and is returned.
    ///
    /// ```no_run
    /// let f = h5kit::File::open("data.h5")?;
    /// f.visit(|name, node| {
    ///     println!("{} {}", name, if node.as_group().is_some() { "group" } else { "" });
    ///     Ok(())
    /// })?;
    /// # Ok::<(), h5kit::Error>(())
    /// ```
    pub fn visit(&self, mut f: impl FnMut(&str, &Node) -> Result<()>) -> Result<()> {
        let snap = self.snapshot()?;
        let file = snap.core.file.clone();
        let mut seen = HashSet::from([snap.address()]);
        self.visit_inner(&file, &snap, "", &mut seen, 0, &mut f)
    }

    fn visit_inner(
        &self,
        file: &Arc<FileInner>,
        group: &crate::snapshot::Group,
        prefix: &str,
        seen: &mut HashSet<u64>,
        depth: u32,
        f: &mut dyn FnMut(&str, &Node) -> Result<()>,
    ) -> Result<()> {
        file.limits.check_depth(depth, group.address(), "group nesting")?;
        let mut links = group.links()?;
        links.sort_by(|a, b| a.name.cmp(&b.name));
        for l in links {
            let LinkTarget::Hard { address } = l.target else { continue };
            if !seen.insert(address) {
                continue;
            }
            let rel = if prefix.is_empty() { l.name.clone() } else { format!("{}/{}", prefix, l.name) };
            let path = self.abs(&rel)?;
            let object = Object::open(file.clone(), address, path.clone())?;
            let child = match &object {
                Object::Group(g) => Some(g.clone()),
                _ => None,
            };
            f(&rel, &Node::of(&self.file, object, path))?;
            if let Some(g) = child {
                self.visit_inner(file, &g, &rel, seen, depth + 1, f)?;
            }
        }
        Ok(())
    }

    /// The attributes of this group (h5py's `group.attrs`).
    pub fn attrs(&self) -> Attrs {
        Attrs::at(self.file.clone(), self.path.clone())
    }
}

#[cfg(feature = "write")]
impl Group {
    /// Creates the group `name` (relative or absolute; missing intermediate groups are
    /// created) and returns it (h5py's `create_group`). An error if the name exists.
    pub fn create_group(&self, name: &str) -> Result<Group> {
        let path = self.abs(name)?;
        self.file.create_group(&path).map_err(|e| e.in_object(path.clone()))
    }

    /// The group `name`, created when missing; an error when something else has that name
    /// (h5py's `require_group`).
    pub fn require_group(&self, name: &str) -> Result<Group> {
        match self.group(name) {
            Err(e) if e.kind == ErrorKind::NotFound => self.create_group(name),
            r => r,
        }
    }

    /// A builder of a new dataset of `T` values in this group (h5py's `create_dataset`):
    /// shape, maximum shape, chunks, filters, fill value, initial data.
    ///
    /// ```no_run
    /// let f = h5kit::File::create("log.h5")?;
    /// let log = f.group("/")?
    ///     .new_dataset::<f64>()
    ///     .shape([0, 3])
    ///     .maxshape([None, Some(3)])
    ///     .chunk([64, 3])
    ///     .deflate(4)
    ///     .create("log")?;
    /// log.resize([1, 3])?;
    /// log.write_slice([0..1, 0..3], &[1.0, 2.0, 3.0])?;
    /// # Ok::<(), h5kit::Error>(())
    /// ```
    pub fn new_dataset<T: crate::H5Write + 'static>(&self) -> crate::handle::DatasetBuilder<'static, T> {
        crate::handle::DatasetBuilder::new(self.clone())
    }

    /// The dataset `name` if it exists with `shape` and a datatype `T`'s values convert to
    /// without loss (numpy's safe casting, as h5py's `require_dataset` checks), else a new
    /// contiguous dataset of `T` and `shape`. An error when the name holds something else.
    pub fn require_dataset<T: crate::H5Write + 'static>(&self, name: &str, shape: &[u64]) -> Result<Dataset> {
        let ds = match self.dataset(name) {
            Err(e) if e.kind == ErrorKind::NotFound => return self.new_dataset::<T>().shape(shape).create(name),
            r => r?,
        };
        let have = ds.shape()?;
        if have != shape {
            return Err(Error::usage(format!("shapes are incompatible: existing {:?}, requested {:?}", have, shape)).in_object(ds.path().to_string()));
        }
        let dt = ds.dtype()?;
        if !crate::handle::dtype_name::can_cast(&T::datatype(), &dt) {
            return Err(Error::usage(format!(
                "datatypes are incompatible: existing {}, requested {} ({})",
                crate::handle::type_name(&dt),
                crate::handle::type_name(&T::datatype()),
                T::NAME
            ))
            .in_object(ds.path().to_string()));
        }
        Ok(ds)
    }

    /// Removes the link `name` (h5py's `del group[name]`); the object goes when no other hard
    /// link leads to it.
    pub fn delete(&self, name: &str) -> Result<()> {
        let path = self.abs(name)?;
        self.file.delete(&path).map_err(|e| e.in_object(path.clone()))
    }

    /// Creates a soft link `name` to the path `target` (h5py's `group[name] =
    /// h5py.SoftLink(target)`); the target need not exist.
    pub fn link_soft(&self, target: &str, name: &str) -> Result<()> {
        let path = self.abs(name)?;
        self.file.create_soft_link(&path, target).map_err(|e| e.in_object(path.clone()))
    }

    /// Creates an external link `name` to `target` in the file `file_name` (h5py's
    /// `h5py.ExternalLink(file_name, target)`).
    pub fn link_external(&self, file_name: &str, target: &str, name: &str) -> Result<()> {
        let path = self.abs(name)?;
        self.file.create_external_link(&path, file_name, target).map_err(|e| e.in_object(path.clone()))
    }

    /// Creates a hard link `name` to the existing object `target` (relative to this group
    /// or absolute; h5py's `group[name] = obj`).
    pub fn link_hard(&self, target: &str, name: &str) -> Result<()> {
        let path = self.abs(name)?;
        let existing = self.abs(target)?;
        self.file.create_hard_link(&path, &existing).map_err(|e| e.in_object(path.clone()))
    }

    /// Moves the link `from` to `to` (both relative to this group, or absolute; h5py's
    /// `move`): the object, or the soft/external link, is then reached by `to` only.
    pub fn move_link(&self, from: &str, to: &str) -> Result<()> {
        let src = self.abs(from)?;
        let dst = self.abs(to)?;
        if self.file.contains(&dst) {
            return Err(Error::usage(format!("unable to move {} to {}: the destination exists", src, dst)).in_object(dst));
        }
        let parent = parent_of(&src);
        let target = Group::at(self.file.clone(), parent).link_target(base_name(&src))?;
        match target {
            None => return Err(Error::not_found(format!("no link named {:?} to move", src)).in_object(src)),
            Some(LinkTarget::Hard { .. }) => self.file.create_hard_link(&dst, &src)?,
            Some(LinkTarget::Soft { path }) => self.file.create_soft_link(&dst, &path)?,
            Some(LinkTarget::External { file, path }) => self.file.create_external_link(&dst, &file, &path)?,
            Some(LinkTarget::UserDefined { link_type, .. }) => {
                return Err(Error::new(ErrorKind::Unsupported, format!("cannot move a user-defined link (type {})", link_type)).in_object(src))
            }
        }
        self.file.delete(&src)
    }
}

/// The parent of an absolute path (`/` for top-level names).
#[cfg(feature = "write")]
fn parent_of(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => path.get(..i).unwrap_or("/").to_string(),
    }
}
