//! The objects of a file in h5py's visiting order, for tools that list or export every
//! object once (`h5 dump --json`, kerchunk manifests): each object reachable from a group by
//! hard links (spec IV.A.2.g "The Link Message", III.C symbol tables), under the first path a
//! depth-first walk meets, the links of each group in creation order when the group tracks it,
//! else by name.

use std::collections::HashSet;

use h5kit_object_header::LinkTarget;

use crate::object::{Group, Object};
use crate::{File, Link, Result};

/// Deepest group nesting walked (deeper groups are left out; a loop is cut by the first-path
/// rule already).
const MAX_DEPTH: u32 = 256;

/// A group's links as h5py lists them: in creation order when every link has one, else by
/// the bytes of their names.
pub fn ordered_links(g: &Group) -> Result<Vec<Link>> {
    let mut links = g.links()?;
    if !links.is_empty() && links.iter().all(|l| l.creation_order.is_some()) {
        links.sort_by_key(|l| l.creation_order);
    } else {
        links.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    }
    Ok(links)
}

/// `root` (as "/") and every object below it, each once under its first path, depth first in
/// [`ordered_links`] order. Best effort, as a listing tool wants it: a group whose links cannot
/// be read and an object that cannot be opened are left out, the walk goes on.
pub fn objects(file: &File, root: &Group) -> Vec<(String, Object)> {
    fn walk(file: &File, g: &Group, path: &str, seen: &mut HashSet<u64>, out: &mut Vec<(String, Object)>, depth: u32) {
        if depth > MAX_DEPTH {
            return;
        }
        let Ok(links) = ordered_links(g) else { return };
        for l in links {
            let LinkTarget::Hard { address } = l.target else { continue };
            let child = if path == "/" { format!("/{}", l.name) } else { format!("{}/{}", path, l.name) };
            if !seen.insert(address) {
                continue;
            }
            if let Ok(obj) = file.object_at(address, &child) {
                let sub = if let Object::Group(cg) = &obj { Some(cg.clone()) } else { None };
                out.push((child.clone(), obj));
                if let Some(cg) = sub {
                    walk(file, &cg, &child, seen, out, depth + 1);
                }
            }
        }
    }
    let mut out = vec![("/".to_string(), Object::Group(root.clone()))];
    let mut seen = HashSet::from([root.address()]);
    walk(file, root, "/", &mut seen, &mut out, 0);
    out
}
