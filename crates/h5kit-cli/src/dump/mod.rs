//! `h5 dump`: h5dump 1.10.8's DDL output (grammar: HDF5 DDL BNF 2.0).
//!
//! A first pass walks the file like h5dump's object tables (links in name order, depth
//! first, each object once) to learn the first path of every object and the committed
//! datatypes; the second pass prints.

pub mod chunks;
pub mod data;
pub mod dataspace;
pub mod datatype;
pub mod printer;
pub mod printf;
pub mod properties;
pub mod region;
pub mod vds;

#[cfg(test)]
mod tests;
pub mod values;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use h5kit::{Attribute, File, Link, LinkTarget, NamedDatatype, Object};
use h5kit::snapshot::{Dataset, Group};

use dataspace::dataspace_text;
use datatype::{is_compound, print_datatype};
use printer::Printer;

/// What to print.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `-H`: header only, no data.
    pub header_only: bool,
    /// `-A`: header and attribute data, no dataset data.
    pub attrs_only: bool,
    /// `-p`: dataset creation properties.
    pub properties: bool,
    /// `-n`: list of contents.
    pub contents: bool,
    /// `-d PATH` (`'d'`), `-g PATH` (`'g'`), `-a PATH` (`'a'`) selections, in command-line
    /// order.
    pub objects: Vec<(char, String)>,
    /// Columns: `-w N` (the parser turns N <= 0 into 65535), 0 after `-m` (h5dump then
    /// starts a new line at every element).
    pub width: Option<usize>,
    /// `-y`: no array indices in data.
    pub no_index: bool,
    /// `-e`: escape non-printing characters in strings.
    pub escape: bool,
    /// `-m FMT`: printf format for floating-point values.
    pub float_format: Option<printf::FloatFormat>,
    /// `-r`: 1-byte integers printed as characters.
    pub as_chars: bool,
}

impl Options {
    fn dataset_data(&self) -> bool {
        !self.header_only && !self.attrs_only
    }
    fn attribute_data(&self) -> bool {
        !self.header_only
    }
}

/// A committed datatype seen in the first pass.
#[derive(Debug, Clone)]
struct TypeEntry {
    address: u64,
    name: String,
    /// Reached by a link (else only used by a dataset: printed as `#address` in the root).
    recorded: bool,
}

/// h5dump's object tables for one file.
#[derive(Debug, Default)]
struct Tables {
    groups: HashMap<u64, String>,
    datasets: HashMap<u64, String>,
    types: Vec<TypeEntry>,
    /// `-n` lines, in visit order.
    contents: Vec<String>,
    /// An object h5dump's initial traversal could not open (it then prints nothing).
    broken: bool,
    displayed: HashSet<u64>,
}

impl Tables {
    fn type_name(&self, address: u64) -> Option<String> {
        self.types.iter().find(|t| t.address == address).map(|t| {
            if t.recorded {
                t.name.clone()
            } else {
                format!("/#{}", t.address)
            }
        })
    }

    fn first_path(&self, address: u64) -> Option<&String> {
        self.groups
            .get(&address)
            .or_else(|| self.datasets.get(&address))
            .or_else(|| self.types.iter().find(|t| t.address == address && t.recorded).map(|t| &t.name))
    }

    fn build(file: &File) -> Tables {
        let mut t = Tables::default();
        if let Ok(root) = file.root() {
            t.groups.insert(root.address(), "/".to_string());
            t.contents.push(format!(" {:<10} {}", "group", "/"));
            t.visit(file, &root, "", 0);
        }
        t
    }

    fn seen(&self, address: u64) -> bool {
        self.groups.contains_key(&address)
            || self.datasets.contains_key(&address)
            || self.types.iter().any(|e| e.address == address && e.recorded)
    }

    fn visit(&mut self, file: &File, group: &Group, prefix: &str, depth: u32) {
        if depth > 256 {
            return;
        }
        let Ok(links) = sorted_links(group) else {
            self.broken = true;
            return;
        };
        for link in links {
            let path = format!("{}/{}", prefix, link.name);
            match &link.target {
                LinkTarget::Hard { address } => {
                    if self.seen(*address) {
                        let first = self.first_path(*address).cloned().unwrap_or_default();
                        let kind = if self.groups.contains_key(address) {
                            "group"
                        } else if self.datasets.contains_key(address) {
                            "dataset"
                        } else {
                            "datatype"
                        };
                        self.contents.push(format!(" {:<10} {} -> {}", kind, path, first));
                        continue;
                    }
                    match file.object_at(*address, &path) {
                        Ok(Object::Group(g)) => {
                            self.groups.insert(*address, path.clone());
                            self.contents.push(format!(" {:<10} {}", "group", path));
                            self.visit(file, &g, &path, depth + 1);
                        }
                        Ok(Object::Dataset(d)) => {
                            if !dataset_opens_in_1_10(file, &d) {
                                self.broken = true;
                            }
                            self.datasets.insert(*address, path.clone());
                            self.contents.push(format!(" {:<10} {}", "dataset", path));
                            if let Some(ta) = d.committed_datatype() {
                                if !self.types.iter().any(|e| e.address == ta) {
                                    self.types.push(TypeEntry { address: ta, name: path.clone(), recorded: false });
                                }
                            }
                        }
                        Ok(Object::Datatype(_)) => {
                            self.contents.push(format!(" {:<10} {}", "datatype", path));
                            match self.types.iter_mut().find(|e| e.address == *address) {
                                Some(e) => {
                                    e.name = path.clone();
                                    e.recorded = true;
                                }
                                None => self.types.push(TypeEntry { address: *address, name: path.clone(), recorded: true }),
                            }
                        }
                        Err(_) => {
                            self.broken = true;
                            self.contents.push(format!(" {:<10} {}", "unknown object type", path))
                        }
                    }
                }
                LinkTarget::Soft { path: target } => self.contents.push(format!(" {:<10} {} -> {}", "link", path, target)),
                LinkTarget::External { file: f, path: p } => {
                    self.contents.push(format!(" {:<10} {} -> {} {}", "ext link", path, f, p))
                }
                LinkTarget::UserDefined { .. } => {
                    self.contents.push(format!(" {:<10} {} -> ???", "unknown type of UD link", path))
                }
            }
        }
    }
}

/// Whether libhdf5 1.10.8 can decode a datatype message of this version (it knows 1-3).
pub fn datatype_ok_for_1_10(dt: &h5kit::Datatype) -> bool {
    dt.version <= 3
}

/// Whether libhdf5 1.10.8 can open this dataset (datatype message 1-3, layout message 1-4).
pub fn dataset_ok_for_1_10(d: &Dataset) -> bool {
    datatype_ok_for_1_10(d.datatype()) && d.layout().version <= 4
}

/// [`dataset_ok_for_1_10`], and for virtual datasets a version 0 mapping block (version 1,
/// HDF5 2.0, is unknown to 1.10.8).
pub fn dataset_opens_in_1_10(file: &File, d: &Dataset) -> bool {
    if !dataset_ok_for_1_10(d) {
        return false;
    }
    if matches!(d.layout().layout, h5kit::Layout::Virtual { .. }) {
        return vds::mappings_v(file, d.layout()).is_some_and(|(v, _, modern)| v == 0 && !modern);
    }
    true
}

/// Files libhdf5 1.10.8 will not open although they parse: a version-3 superblock marked as
/// open for writing (file consistency flags bit 0), or an end-of-file address beyond the
/// file's size (truncated file).
pub fn refused_by_1_10(path: &Path, file: &File) -> bool {
    let sb = file.superblock();
    if sb.version >= 3 && sb.file_consistency_flags & 0x1 != 0 {
        return true;
    }
    match std::fs::metadata(path) {
        Ok(m) => sb.end_of_file_address > m.len(),
        Err(_) => false,
    }
}

/// Links sorted by name, byte-wise (h5dump's default `H5_INDEX_NAME` increasing order).
pub fn sorted_links(group: &Group) -> h5kit::Result<Vec<Link>> {
    let mut links = group.links()?;
    links.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    Ok(links)
}

fn sorted_attributes(mut attrs: Vec<Attribute>) -> Vec<Attribute> {
    attrs.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    attrs
}

/// One open file and its tables.
struct FileState {
    file: File,
    tables: Tables,
    path: PathBuf,
}

/// The dumper: output, options, error status.
pub struct Dumper<'o> {
    opts: &'o Options,
    p: Printer,
    /// Set when something could not be read (exit status 1).
    pub failed: bool,
    /// Files reached by external links, by canonical path (index 0: the main file).
    files: Vec<FileState>,
    ref_cache: HashMap<usize, std::rc::Rc<data::RefPaths>>,
}

impl<'o> Dumper<'o> {
    fn new(opts: &'o Options, file: File, path: PathBuf) -> Self {
        let tables = Tables::build(&file);
        Dumper { opts, p: Printer::new(), failed: false, files: vec![FileState { file, tables, path }], ref_cache: HashMap::new() }
    }

    /// Kind and first path of every object of file `fi` (for object references).
    fn refs(&mut self, fi: usize) -> std::rc::Rc<data::RefPaths> {
        if let Some(r) = self.ref_cache.get(&fi) {
            return r.clone();
        }
        let mut m = data::RefPaths::new();
        if let Some(f) = self.files.get(fi) {
            for (a, p) in &f.tables.groups {
                m.insert(*a, ("GROUP", p.clone()));
            }
            for (a, p) in &f.tables.datasets {
                m.insert(*a, ("DATASET", p.clone()));
            }
            for t in f.tables.types.iter().filter(|t| t.recorded) {
                m.insert(t.address, ("DATATYPE", t.name.clone()));
            }
        }
        let r = std::rc::Rc::new(m);
        self.ref_cache.insert(fi, r.clone());
        r
    }

    fn data_opts(&self) -> data::DataOptions {
        data::DataOptions {
            width: self.opts.width,
            no_index: self.opts.no_index,
            escape: self.opts.escape,
            float_format: self.opts.float_format.clone(),
            as_chars: self.opts.as_chars,
        }
    }

    fn error(&mut self, msg: &str) {
        eprintln!("h5dump error: {}", msg);
        self.failed = true;
    }

    fn print_type_ref(&mut self, fi: usize, dt: &h5kit::Datatype, committed: Option<u64>) {
        if let Some(addr) = committed {
            let name = self.files.get(fi).and_then(|f| f.tables.type_name(addr));
            match name {
                Some(n) => {
                    self.p.push(&format!("\"{}\"", n));
                    return;
                }
                None => {
                    // Committed datatype not reachable: h5dump reports it, prints the type.
                }
            }
        }
        print_datatype(&mut self.p, dt);
    }

    fn dump_attribute(&mut self, fi: usize, a: &Attribute, owner: &str) {
        self.p.put(&format!("ATTRIBUTE \"{}\" {{", a.name));
        self.p.indent += 1;
        self.p.push("DATATYPE  ");
        self.print_type_ref(fi, &a.datatype, a.committed_datatype);
        self.p.line();
        self.p.put(&format!("DATASPACE  {}", dataspace_text(&a.dataspace)));
        if self.opts.attribute_data() {
            let file = self.files.get(fi).map(|f| f.file.clone());
            if let Some(file) = file {
                let refs = self.refs(fi);
                let dopts = self.data_opts();
                let ok = data::print_data_opts(&mut self.p, &file, &refs, &a.datatype, &a.dataspace, &a.data, dopts);
                if !ok {
                    self.failed = true;
                }
            }
        }
        let _ = owner;
        self.p.indent -= 1;
        self.p.put("}");
    }

    /// `-a /path/to/object/attr`: the attribute named by the last component.
    fn dump_attribute_path(&mut self, path: &str) {
        let (obj_path, name) = match path.rfind('/') {
            Some(i) => (path.get(..i).unwrap_or(""), path.get(i + 1..).unwrap_or("")),
            None => ("", path),
        };
        let obj_path = if obj_path.is_empty() { "/" } else { obj_path };
        let file = self.files.first().map(|f| f.file.clone());
        let attr = file.and_then(|f| f.root().and_then(|r| r.open(obj_path)).ok()).and_then(|o| {
            o.attributes().ok().and_then(|list| list.into_iter().find(|a| a.name == name))
        });
        match attr {
            Some(a) if datatype_ok_for_1_10(&a.datatype) => self.dump_attribute(0, &a, obj_path),
            _ => {
                self.p.put(&format!("ATTRIBUTE \"{}\" {{", name));
                self.p.put("}");
                self.error(&format!("unable to open attribute \"{}\"", name));
            }
        }
    }

    fn dump_attributes(&mut self, fi: usize, attrs: h5kit::Result<Vec<Attribute>>, owner: &str) {
        match attrs {
            Ok(list) if list.iter().any(|a| !datatype_ok_for_1_10(&a.datatype)) => {
                // libhdf5 1.10.8 fails to decode the attribute messages: none are shown.
                eprintln!("h5dump error: error getting attribute information");
                self.failed = true;
            }
            Ok(list) => {
                for a in sorted_attributes(list) {
                    self.dump_attribute(fi, &a, owner);
                }
            }
            Err(e) => self.error(&format!("unable to read attributes of \"{}\": {}", owner, e)),
        }
    }

    fn dump_named_datatype(&mut self, fi: usize, t: &NamedDatatype, name: &str) {
        self.p.push(&format!("DATATYPE \"{}\" ", name));
        let first = self.files.get(fi).and_then(|f| f.tables.type_name(t.address()));
        let already = self.files.get(fi).is_some_and(|f| f.tables.displayed.contains(&t.address()));
        if already {
            self.p.push(&format!("HARDLINK \"{}\"", first.unwrap_or_default()));
            self.p.line();
            return;
        }
        if let Some(f) = self.files.get_mut(fi) {
            f.tables.displayed.insert(t.address());
        }
        print_datatype(&mut self.p, t.datatype());
        if !is_compound(t.datatype()) {
            self.p.push(";");
        }
        self.p.line();
        self.p.indent += 1;
        self.dump_attributes(fi, t.attributes(), t.path());
        self.p.indent -= 1;
    }

    fn dump_dataset(&mut self, fi: usize, d: &Dataset, name: &str) {
        let already = self.files.get(fi).is_some_and(|f| f.tables.displayed.contains(&d.address()));
        self.p.put(&format!("DATASET \"{}\" {{", name));
        if !already {
            if let Some(c) = d.comment() {
                self.p.put(&format!("COMMENT \"{}\"", c));
            }
        }
        self.p.indent += 1;
        if already {
            let first = self.files.get(fi).and_then(|f| f.tables.first_path(d.address()).cloned()).unwrap_or_default();
            self.p.put(&format!("HARDLINK \"{}\"", first));
            self.p.indent -= 1;
            self.p.put("}");
            return;
        }
        if let Some(f) = self.files.get_mut(fi) {
            f.tables.displayed.insert(d.address());
        }
        if std::env::var_os("H5_DEBUG").is_some() {
            eprintln!(
                "{}: datatype v{} layout v{} filters {:?} fill {:?}",
                d.path(),
                d.datatype().version,
                d.layout().version,
                d.filters().map(|f| f.version),
                d.fill_value().map(|f| f.version)
            );
        }
        self.p.push("DATATYPE  ");
        self.print_type_ref(fi, d.datatype(), d.committed_datatype());
        self.p.line();
        self.p.put(&format!("DATASPACE  {}", dataspace_text(d.dataspace())));
        if self.opts.properties {
            if let Some(f) = self.files.get(fi) {
                let file = f.file.clone();
                properties::print_dcpl(&mut self.p, &file, d, self.opts.float_format.as_ref());
            }
        }
        if self.opts.dataset_data() {
            let file = self.files.get(fi).map(|f| f.file.clone());
            if let Some(file) = file {
                let path = self.files.get(fi).map(|f| f.path.clone()).unwrap_or_default();
                let unreadable = !chunks::readable_by_h5dump(d);
                let raw = if unreadable {
                    Err(h5kit::Error::unsupported(d.address(), "filter not available to h5dump"))
                } else if matches!(d.layout().layout, h5kit::Layout::Virtual { .. }) {
                    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
                    vds::read_virtual(&file, &base, d)
                        .ok_or_else(|| h5kit::Error::unsupported(d.address(), "virtual dataset not readable"))
                } else {
                    d.read_raw()
                };
                match raw {
                    Ok(raw) => {
                        let refs = self.refs(fi);
                        let dopts = self.data_opts();
                        if !data::print_data_opts(&mut self.p, &file, &refs, d.datatype(), d.dataspace(), &raw, dopts) {
                            self.failed = true;
                        }
                    }
                    Err(e) => {
                        self.p.put("DATA {");
                        self.p.put("}");
                        if std::env::var_os("H5_DEBUG").is_some() {
                            eprintln!("{}: {}", d.path(), e);
                        }
                        self.error("unable to print data");
                    }
                }
            }
        }
        self.dump_attributes(fi, d.attributes(), d.path());
        self.p.indent -= 1;
        self.p.put("}");
    }

    fn dump_group(&mut self, fi: usize, g: &Group, name: &str, is_root: bool) {
        self.p.put(&format!("GROUP \"{}\" {{", name));
        self.p.indent += 1;
        if is_root {
            let anon: Vec<u64> = self
                .files
                .get(fi)
                .map(|f| f.tables.types.iter().filter(|t| !t.recorded).map(|t| t.address).collect())
                .unwrap_or_default();
            for addr in anon {
                let file = self.files.get(fi).map(|f| f.file.clone());
                let Some(file) = file else { continue };
                match file.object_at(addr, &format!("/#{}", addr)) {
                    Ok(Object::Datatype(t)) => self.dump_named_datatype(fi, &t, &format!("#{}", addr)),
                    _ => self.error(&format!("unable to open committed datatype at {}", addr)),
                }
            }
        }
        if let Some(c) = g.comment() {
            self.p.put(&format!("COMMENT \"{}\"", c));
        }
        let already = self.files.get(fi).is_some_and(|f| f.tables.displayed.contains(&g.address()));
        if already {
            let first = self.files.get(fi).and_then(|f| f.tables.first_path(g.address()).cloned()).unwrap_or_default();
            self.p.put(&format!("HARDLINK \"{}\"", first));
        } else {
            if let Some(f) = self.files.get_mut(fi) {
                f.tables.displayed.insert(g.address());
            }
            self.dump_attributes(fi, g.attributes(), g.path());
            match sorted_links(g) {
                Ok(links) => {
                    for l in links {
                        self.dump_link(fi, g, &l);
                    }
                }
                Err(e) => self.error(&format!("unable to list links of \"{}\": {}", g.path(), e)),
            }
        }
        self.p.indent -= 1;
        self.p.put("}");
    }

    fn dump_link(&mut self, fi: usize, parent: &Group, l: &Link) {
        let child_path = if parent.path() == "/" { format!("/{}", l.name) } else { format!("{}/{}", parent.path(), l.name) };
        match &l.target {
            LinkTarget::Hard { address } => {
                let file = self.files.get(fi).map(|f| f.file.clone());
                let Some(file) = file else { return };
                match file.object_at(*address, &child_path) {
                    Ok(Object::Group(g)) => self.dump_group(fi, &g, &l.name, false),
                    Ok(Object::Dataset(d)) => self.dump_dataset(fi, &d, &l.name),
                    Ok(Object::Datatype(t)) => self.dump_named_datatype(fi, &t, &l.name),
                    Err(e) => self.error(&format!("unable to open object \"{}\": {}", child_path, e)),
                }
            }
            LinkTarget::Soft { path } => {
                self.p.put(&format!("SOFTLINK \"{}\" {{", l.name));
                self.p.indent += 1;
                self.p.put(&format!("LINKTARGET \"{}\"", path));
                self.p.indent -= 1;
                self.p.put("}");
            }
            LinkTarget::External { file, path } => {
                self.p.put(&format!("EXTERNAL_LINK \"{}\" {{", l.name));
                self.p.indent += 1;
                self.p.put(&format!("TARGETFILE \"{}\"", file));
                self.p.put(&format!("TARGETPATH \"{}\"", path));
                self.dump_external(fi, file, path);
                self.p.indent -= 1;
                self.p.put("}");
            }
            LinkTarget::UserDefined { link_type, .. } => {
                self.p.put(&format!("USERDEFINED_LINK \"{}\" {{", l.name));
                self.p.indent += 1;
                self.p.put(&format!("LINKCLASS {}", link_type));
                self.p.indent -= 1;
                self.p.put("}");
            }
        }
    }

    /// Follows an external link into its file (h5dump's `dump_extlink`): the target is printed
    /// one level deeper, named by its path; never back into the main file.
    fn dump_external(&mut self, fi: usize, target_file: &str, target_path: &str) {
        let base_dir = self.files.get(fi).and_then(|f| f.path.parent().map(Path::to_path_buf)).unwrap_or_default();
        let candidates = [PathBuf::from(target_file), base_dir.join(target_file)];
        let Some(found) = candidates.iter().find(|c| c.is_file()) else { return };
        let canon = std::fs::canonicalize(found).unwrap_or_else(|_| found.clone());
        let idx = match self.files.iter().position(|f| std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone()) == canon) {
            Some(i) => i,
            None => {
                let Ok(file) = File::open(found) else { return };
                let tables = Tables::build(&file);
                self.files.push(FileState { file, tables, path: found.clone() });
                self.files.len() - 1
            }
        };
        if idx == 0 {
            return;
        }
        let file = match self.files.get(idx) {
            Some(f) => f.file.clone(),
            None => return,
        };
        let Ok(obj) = file.root().and_then(|r| r.open(target_path)) else { return };
        self.p.indent += 1;
        match obj {
            Object::Group(g) => self.dump_group(idx, &g, target_path, false),
            Object::Dataset(d) => self.dump_dataset(idx, &d, target_path),
            Object::Datatype(t) => self.dump_named_datatype(idx, &t, target_path),
        }
        self.p.indent -= 1;
    }
}

/// The most one dataset or attribute read may allocate in `h5 dump` (512 MiB).
pub const DUMP_MAX_READ: u64 = 512 << 20;

/// Runs `h5dump` on `path` (displayed as `display_name`): returns stdout text and exit status.
/// With `streaming`, output is written to stdout as it is produced and only the rest is
/// returned.
pub fn run_with(path: &Path, display_name: &str, opts: &Options, streaming: bool) -> (String, i32) {
    // A dataset's bytes are held in memory while its DATA block is printed: reads past
    // DUMP_MAX_READ fail with a clear error ("unable to print data") instead of letting a
    // file that claims gigabytes of elements take the machine's memory.
    let limits = h5kit::Limits { max_alloc: DUMP_MAX_READ, ..h5kit::Limits::default() };
    let file = match File::open_with_limits(path, limits) {
        Ok(f) => f,
        Err(_) => {
            eprintln!("h5dump error: unable to open file \"{}\"", display_name);
            return (String::new(), 1);
        }
    };
    if refused_by_1_10(path, &file) {
        eprintln!("h5dump error: unable to open file \"{}\"", display_name);
        return (String::new(), 1);
    }
    let mut d = Dumper::new(opts, file.clone(), path.to_path_buf());
    if d.files.first().is_some_and(|f| f.tables.broken) {
        eprintln!("h5dump error: internal error (file ../../../../../tools/src/h5dump/h5dump.c:line 1430)");
        return (String::new(), 1);
    }
    d.p.streaming = streaming;
    d.p.put(&format!("HDF5 \"{}\" {{", display_name));
    if opts.contents {
        d.p.put("FILE_CONTENTS {");
        let mut lines: Vec<String> = Vec::new();
        if let Some(f) = d.files.first() {
            for t in f.tables.types.iter().filter(|t| !t.recorded) {
                lines.push(format!(" {:<10} /#{}", "datatype", t.address));
            }
            lines.extend(f.tables.contents.iter().cloned());
        }
        for l in lines {
            d.p.put(&l);
        }
        d.p.put(" }");
    } else if !opts.objects.is_empty() {
        for (kind, p) in &opts.objects {
            match kind {
                'g' => match file.root().and_then(|r| r.open(p)) {
                    Ok(Object::Group(grp)) => d.dump_group(0, &grp, p, p == "/"),
                    _ => d.error(&format!("unable to open group \"{}\"", p)),
                },
                'a' => d.dump_attribute_path(p),
                _ => match file.root().and_then(|r| r.open(p)) {
                    Ok(Object::Dataset(ds)) => d.dump_dataset(0, &ds, p),
                    _ => d.error(&format!("unable to get link info from \"{}\"", p)),
                },
            }
        }
    } else {
        match file.root() {
            Ok(root) => d.dump_group(0, &root, "/", true),
            Err(_) => {
                eprintln!("h5dump error: unable to open file \"{}\"", display_name);
                return (String::new(), 1);
            }
        }
    }
    let status = i32::from(d.failed);
    let mut out = d.p.into_output();
    out.push('}');
    out.push('\n');
    (out, status)
}
