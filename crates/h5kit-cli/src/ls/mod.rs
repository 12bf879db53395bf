//! `h5 ls [-r] [-v] [-d] [-l]`: h5ls 1.10.8's listing (one line per link: escaped name padded
//! to 24 columns, then the object kind and dataspace; links reached twice say `same as`).
//! `-v` adds each object's attributes, location, link count, storage, filters and type
//! ([`verbose`]); `-d` the values of datasets and attributes ([`data`]).

mod data;
mod escape;
mod refs;
pub(crate) mod header;
mod types;
mod verbose;

use std::collections::HashMap;
use std::path::Path;

use h5kit::{File, LinkTarget, Object};
use h5kit::snapshot::Group;

use crate::dump::dataspace::ls_dataspace_text;
use crate::dump::sorted_links;

/// `h5 ls` options (h5ls's spelling).
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `-r`: list groups recursively.
    pub recursive: bool,
    /// `-v`: verbose (addresses, storage, filters, types, attributes).
    pub verbose: bool,
    /// `-d`: dataset values.
    pub data: bool,
    /// `-l`: label members of compound datasets.
    pub label: bool,
    /// `-w N`: columns for `-d` values (h5ls's default 80; 0: one element a line).
    pub width: Option<usize>,
}

impl Options {
    fn style(&self) -> data::Style {
        let width = self.width.unwrap_or(80);
        data::Style { label: self.label, width }
    }
}

fn line(out: &mut String, name: &str, desc: &str) {
    let n = escape::string(name, true);
    let pad = 24usize.saturating_sub(n.chars().count());
    out.push_str(&n);
    out.push_str(&" ".repeat(pad));
    out.push(' ');
    out.push_str(desc);
    out.push('\n');
}

struct Lister {
    file: File,
    headers: header::Headers,
    seen: HashMap<u64, (String, &'static str)>,
    out: String,
    opts: Options,
    /// Set when an object could not be read: h5ls lists nothing after it.
    stopped: bool,
    /// Every object's path (for `-d` of references), made on first use.
    paths: Option<HashMap<u64, String>>,
}

impl Lister {
    fn describe(&mut self, obj: &Object) -> String {
        match obj {
            Object::Group(_) => "Group".to_string(),
            // libhdf5 1.10.8 cannot open these (newer message versions).
            Object::Dataset(d) if !crate::dump::dataset_opens_in_1_10(&self.file, d) => "Dataset *ERROR*".to_string(),
            Object::Dataset(d) if self.opts.verbose => format!("Dataset {}", verbose::dataset_dims(d.dataspace(), true)),
            Object::Dataset(d) => format!("Dataset {}", ls_dataspace_text(d.dataspace())),
            Object::Datatype(t) if !crate::dump::datatype_ok_for_1_10(t.datatype()) => "Type *ERROR*".to_string(),
            Object::Datatype(_) => "Type".to_string(),
        }
    }

    /// The lines after the name line: -v details, -d data.
    fn details(&mut self, obj: &Object, desc: &str) {
        if desc.ends_with("*ERROR*") {
            return;
        }
        let attrs = obj.attributes();
        if self.opts.verbose {
            let mut attrs = attrs.unwrap_or_default();
            attrs.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
            for a in &attrs {
                verbose::attribute_head(&mut self.out, a);
                if self.opts.data {
                    let paths = self.paths.get_or_insert_with(|| refs::object_paths(&self.file));
                    data::attribute(&mut self.out, &self.file, a, self.opts.style(), paths);
                }
            }
            let info = self.headers.info(obj.address());
            let comment = obj.comment();
            verbose::common(&mut self.out, obj.address(), &info, comment.as_deref());
        }
        match obj {
            Object::Dataset(d) => {
                if self.opts.verbose {
                    verbose::dataset(&mut self.out, d);
                }
                if self.opts.data {
                    let paths = self.paths.get_or_insert_with(|| refs::object_paths(&self.file));
                    data::dataset(&mut self.out, &self.file, d, self.opts.style(), paths);
                }
            }
            Object::Datatype(t) if self.opts.verbose => {
                let text = types::type_text(&types::memory_type(t.datatype()), Some(t.address()), 15);
                self.out.push_str(&format!("    {:<10} {}\n", "Type:", text));
            }
            _ => {}
        }
    }

    fn list(&mut self, group: &Group, prefix: &str, depth: u32) {
        if depth > 256 {
            return;
        }
        let links = match sorted_links(group) {
            Ok(l) => l,
            Err(_) => {
                self.stopped = true;
                return;
            }
        };
        let recursive = self.opts.recursive;
        for l in links {
            if self.stopped {
                return;
            }
            let path = format!("{}/{}", prefix, l.name);
            // Without -r, h5ls names the root group's members without the leading slash.
            let shown = if recursive { path.clone() } else { l.name.clone() };
            match &l.target {
                LinkTarget::Hard { address } => {
                    if let Some((first, kind)) = self.seen.get(address) {
                        let text = format!("{}, same as {}", kind, escape::string(first, true));
                        line(&mut self.out, &shown, &text);
                        continue;
                    }
                    match self.file.object_at(*address, &path) {
                        Ok(obj) => {
                            let kind = match obj {
                                Object::Group(_) => "Group",
                                Object::Dataset(_) => "Dataset",
                                Object::Datatype(_) => "Type",
                            };
                            self.seen.insert(*address, (path.clone(), kind));
                            let desc = self.describe(&obj);
                            line(&mut self.out, &shown, &desc);
                            self.details(&obj, &desc);
                            if let (Object::Group(g), true) = (&obj, recursive) {
                                self.list(g, &path, depth + 1);
                            }
                        }
                        Err(_) => {
                            // libhdf5's link iteration stops at an object it cannot read.
                            self.stopped = true;
                            return;
                        }
                    }
                }
                LinkTarget::Soft { path: t } => line(&mut self.out, &shown, &format!("Soft Link {{{}}}", t)),
                LinkTarget::External { file, path: p } => {
                    let sep = if p.starts_with('/') { "/" } else { "//" };
                    line(&mut self.out, &shown, &format!("External Link {{{}{}{}}}", file, sep, p))
                }
                LinkTarget::UserDefined { link_type, .. } => {
                    line(&mut self.out, &shown, &format!("UD Link {{type {}}}", link_type))
                }
            }
        }
    }
}

/// Runs `h5ls [-r] [-v] [-d] [-l]` on `path`; returns stdout text and exit status.
pub fn run(path: &Path, display_name: &str, opts: &Options) -> (String, i32) {
    let fail = || {
        eprintln!("{}: unable to open file", display_name);
        (String::new(), 1)
    };
    // As h5 dump: reads past DUMP_MAX_READ fail ("Unable to print data") instead of letting a
    // file that claims gigabytes of elements take the machine's memory.
    let limits = h5kit::Limits { max_alloc: crate::dump::DUMP_MAX_READ, ..h5kit::Limits::default() };
    let Ok(file) = File::open_with_limits(path, limits) else { return fail() };
    if crate::dump::refused_by_1_10(path, &file) {
        return fail();
    }
    let Ok(root) = file.root() else { return fail() };
    let headers = header::Headers::open(path, &file);
    let mut l = Lister { file, headers, seen: HashMap::new(), out: String::new(), opts: *opts, stopped: false, paths: None };
    if opts.verbose {
        l.out.push_str(&format!("Opened \"{}\" with sec2 driver.\n", display_name));
    }
    l.seen.insert(root.address(), ("/".to_string(), "Group"));
    if opts.recursive {
        line(&mut l.out, "/", "Group");
        l.details(&Object::Group(root.clone()), "Group");
    }
    l.list(&root, "", 0);
    (l.out, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_and_escapes() {
        let mut out = String::new();
        line(&mut out, "/", "Group");
        line(&mut out, "/datasets_group/float/float32", "Dataset {21}");
        line(&mut out, "/Level 1", "Group");
        // As printed by h5ls -r on jhdf/test_file.hdf5.
        assert_eq!(
            out,
            concat!(
                "/                        Group\n",
                "/datasets_group/float/float32 Dataset {21}\n",
                "/Level\\ 1                Group\n"
            )
        );
    }
}
