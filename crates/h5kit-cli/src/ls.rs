//! `h5 ls -r`: h5ls's listing (one line per link: escaped path padded to 24 columns, then the
//! object kind and dataspace; links reached twice say `same as`).

use std::collections::HashMap;
use std::path::Path;

use h5kit::{File, Group, LinkTarget, Object};

use crate::dump::dataspace::ls_dataspace_text;
use crate::dump::sorted_links;

/// h5ls's escaping of names (space, backslash and control characters).
fn escape_name(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b' ' => out.push_str("\\ "),
            b'\\' => out.push_str("\\\\"),
            0x21..=0x7e => out.push(b as char),
            b => out.push_str(&format!("\\{:03o}", b)),
        }
    }
    out
}

fn line(out: &mut String, name: &str, desc: &str) {
    let n = escape_name(name);
    let pad = 24usize.saturating_sub(n.chars().count());
    out.push_str(&n);
    out.push_str(&" ".repeat(pad));
    out.push(' ');
    out.push_str(desc);
    out.push('\n');
}

struct Lister {
    file: File,
    seen: HashMap<u64, (String, &'static str)>,
    out: String,
    recursive: bool,
    /// Set when an object could not be read: h5ls lists nothing after it.
    stopped: bool,
}

impl Lister {
    fn describe(&mut self, obj: &Object) -> String {
        match obj {
            Object::Group(_) => "Group".to_string(),
            // libhdf5 1.10.8 cannot open these (newer message versions).
            Object::Dataset(d) if !crate::dump::dataset_opens_in_1_10(&self.file, d) => "Dataset *ERROR*".to_string(),
            Object::Dataset(d) => format!("Dataset {}", ls_dataspace_text(d.dataspace())),
            Object::Datatype(t) if !crate::dump::datatype_ok_for_1_10(t.datatype()) => "Type *ERROR*".to_string(),
            Object::Datatype(_) => "Type".to_string(),
        }
    }

    fn list(&mut self, group: &Group, prefix: &str, depth: u32) -> bool {
        let mut ok = true;
        if depth > 256 {
            return ok;
        }
        let links = match sorted_links(group) {
            Ok(l) => l,
            Err(_) => {
                self.stopped = true;
                return false;
            }
        };
        for l in links {
            if self.stopped {
                return false;
            }
            let path = format!("{}/{}", prefix, l.name);
            // Without -r, h5ls names the root group's members without the leading slash.
            let shown = if self.recursive { path.clone() } else { l.name.clone() };
            match &l.target {
                LinkTarget::Hard { address } => {
                    if let Some((first, kind)) = self.seen.get(address) {
                        let text = format!("{}, same as {}", kind, escape_name(first));
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
                            if let (Object::Group(g), true) = (&obj, self.recursive) {
                                ok &= self.list(g, &path, depth + 1);
                            }
                        }
                        Err(_) => {
                            // libhdf5's link iteration stops at an object it cannot read.
                            self.stopped = true;
                            return false;
                        }
                    }
                }
                LinkTarget::Soft { path: t } => line(&mut self.out, &shown, &format!("Soft Link {{{}}}", t)),
                LinkTarget::External { file, path: p } => {
                    {
                    let sep = if p.starts_with('/') { "/" } else { "//" };
                    line(&mut self.out, &shown, &format!("External Link {{{}{}{}}}", file, sep, p))
                }
                }
                LinkTarget::UserDefined { link_type, .. } => {
                    line(&mut self.out, &shown, &format!("UD Link {{type {}}}", link_type))
                }
            }
        }
        ok
    }
}

/// Runs `h5ls [-r]` on `path`; returns stdout text and exit status.
pub fn run(path: &Path, display_name: &str, recursive: bool) -> (String, i32) {
    let fail = || {
        eprintln!("{}: unable to open file", display_name);
        (String::new(), 1)
    };
    let Ok(file) = File::open(path) else { return fail() };
    if crate::dump::refused_by_1_10(path, &file) {
        return fail();
    }
    let Ok(root) = file.root() else { return fail() };
    let mut l = Lister { file, seen: HashMap::new(), out: String::new(), recursive, stopped: false };
    l.seen.insert(root.address(), ("/".to_string(), "Group"));
    if recursive {
        line(&mut l.out, "/", "Group");
    }
    let ok = l.list(&root, "", 0);
    let _ = ok;
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
