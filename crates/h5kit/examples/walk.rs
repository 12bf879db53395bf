//! Walks every object of a file and prints its path, kind, datatype and shape.
//!
//! `cargo run -p h5kit --example walk -- FILE`

use std::collections::HashSet;

use h5kit::{File, LinkTarget, Object};

fn walk(file: &File, obj: &Object, seen: &mut HashSet<u64>) -> h5kit::Result<()> {
    let attrs = obj.attributes()?;
    match obj {
        Object::Group(g) => {
            println!("{} group ({} attributes)", g.path(), attrs.len());
            let mut links = g.links()?;
            links.sort_by(|a, b| a.name.cmp(&b.name));
            for link in links {
                match &link.target {
                    LinkTarget::Hard { address } => {
                        if !seen.insert(*address) {
                            println!("{}/{} hard link to an object seen before", g.path(), link.name);
                            continue;
                        }
                        let path = if g.path() == "/" { format!("/{}", link.name) } else { format!("{}/{}", g.path(), link.name) };
                        match file.object_at(*address, &path) {
                            Ok(child) => {
                                if let Err(e) = walk(file, &child, seen) {
                                    println!("{}/{} ERROR {}", g.path(), link.name, e);
                                }
                            }
                            Err(e) => println!("{}/{} ERROR {}", g.path(), link.name, e),
                        }
                    }
                    other => println!("{}/{} {:?}", g.path(), link.name, other),
                }
            }
        }
        Object::Dataset(d) => {
            let data = d.read_raw();
            println!(
                "{} dataset class {} {:?} {} ({} attributes) data: {}",
                d.path(),
                format!("{:?}", d.datatype().class).split([' ', '{']).next().unwrap_or(""),
                d.shape(),
                d.datatype().size,
                attrs.len(),
                match &data {
                    Ok(v) => format!("{} bytes", v.len()),
                    Err(e) => format!("ERROR {}", e),
                }
            );
        }
        Object::Datatype(t) => println!("{} datatype size {}", t.path(), t.datatype().size),
    }
    Ok(())
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let result = File::open(&path).and_then(|f| {
        let root = Object::Group(f.root()?);
        let mut seen = HashSet::new();
        seen.insert(root.address());
        walk(&f, &root, &mut seen)
    });
    if let Err(e) = result {
        eprintln!("error: {}", e);
        std::process::exit(1);
    }
}
