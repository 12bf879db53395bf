//! Link inserts into old-style groups: rebuilding every v1 group of the corpus by inserting
//! its entries in local heap order (the order their names were added) gives libhdf5's tree
//! and symbol table nodes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::{HashMap, HashSet};

use h5kit_btree::v1::{self, insert_symbol, GroupInsertParams, Node, SymbolTableNode};
use h5kit_core::{Context, Error, Reader};
use h5kit_superblock::{ScratchPad, Superblock, SymbolTableEntry};

const ROOT: u64 = 1 << 40;

struct Mem {
    tree: HashMap<u64, Node<u64>>,
    snods: HashMap<u64, SymbolTableNode>,
    next: u64,
}

/// The local heap's data segment address.
fn heap_data(ctx: Context, heap: u64) -> u64 {
    let o = ctx.sizes.offset as u64;
    let l = ctx.sizes.length as u64;
    let data = ctx.read(heap, 8 + 2 * l + o, "").unwrap();
    assert_eq!(&data[..4], b"HEAP");
    let mut r = Reader::new(&data[8 + 2 * l as usize..], 0, ctx.sizes);
    r.offset().unwrap()
}

fn name_at(ctx: Context, data: u64, off: u64) -> Vec<u8> {
    let bytes = ctx.read_upto(data + off, 4096, "").unwrap();
    bytes.iter().take_while(|&&b| b != 0).copied().collect()
}

/// Compares the rebuilt group with the file's; `Err` describes the first difference.
fn same(ctx: Context, m: &Mem, fa: u64, ma: u64, map: &mut HashMap<u64, u64>) -> Result<(), String> {
    let f = v1::read_group_node(ctx, fa).unwrap();
    let n = &m.tree[&ma];
    map.insert(ma, fa);
    if (f.level, &f.keys, f.children.len()) != (n.level, &n.keys, n.children.len()) {
        return Err(format!("node {}: level/keys {:?} {:?} vs {:?} {:?}", fa, f.level, f.keys, n.level, n.keys));
    }
    for (&fc, &mc) in f.children.iter().zip(&n.children) {
        if f.level > 0 {
            same(ctx, m, fc, mc, map)?;
        } else {
            let entries = v1::read_symbol_table_node(ctx, fc).unwrap();
            if entries != m.snods[&mc].entries {
                return Err(format!("symbol table node {} differs", fc));
            }
        }
    }
    Ok(())
}

#[test]
fn rebuilding_corpus_groups_by_inserts_gives_libhdf5s_groups() {
    let (mut identical, mut multi_node, mut differ) = (0, 0, Vec::new());
    for path in common::corpus_files() {
        let bytes = std::fs::read(&path).unwrap();
        let storage = h5kit_core::MemStorage::new(bytes);
        let Ok(sb) = Superblock::read(&storage) else { continue };
        let Some(root) = sb.root_group_entry else { continue };
        let limits = h5kit_core::Limits::default();
        let ctx = sb.context(&storage, &limits);
        let p = GroupInsertParams::new(sb.group_internal_k, sb.group_leaf_k, ctx.sizes);
        let mut todo = vec![root];
        let mut seen = HashSet::new();
        while let Some(e) = todo.pop() {
            let ScratchPad::Group { btree_address, local_heap_address } = e.scratch else { continue };
            if !seen.insert(btree_address) {
                continue;
            }
            let Ok(mut entries) = v1::read_group_entries(ctx, btree_address) else { continue };
            todo.extend(entries.iter().copied());
            let data = heap_data(ctx, local_heap_address);
            entries.sort_by_key(|e: &SymbolTableEntry| e.link_name_offset);
            let mut m = Mem { tree: HashMap::new(), snods: HashMap::new(), next: ROOT + 4096 };
            m.tree.insert(ROOT, Node { address: ROOT, node_type: 0, level: 0, left_sibling: None, right_sibling: None, keys: vec![0], children: vec![] });
            for e in &entries {
                let name = name_at(ctx, data, e.link_name_offset);
                let name_of = |off: u64| -> Result<Vec<u8>, Error> { Ok(name_at(ctx, data, off)) };
                let (tree, snods, next) = (&m.tree, &m.snods, &mut m.next);
                let out = insert_symbol(
                    ROOT,
                    *e,
                    &name,
                    &name_of,
                    &p,
                    &mut |a| Ok(tree[&a].clone()),
                    &mut |a| Ok(snods[&a].clone()),
                    &mut |n| {
                        let a = *next;
                        *next += n;
                        Ok(a)
                    },
                )
                .unwrap();
                for n in out.tree_nodes {
                    m.tree.insert(n.address, n);
                }
                for (a, n) in out.symbol_nodes {
                    m.snods.insert(a, n);
                }
            }
            if entries.is_empty() {
                continue;
            }
            let mut map = HashMap::new();
            match same(ctx, &m, btree_address, ROOT, &mut map) {
                Ok(()) => {
                    // Sibling links agree under the address mapping.
                    for (ma, fa) in &map {
                        let f = v1::read_group_node(ctx, *fa).unwrap();
                        let n = &m.tree[ma];
                        assert_eq!(f.left_sibling, n.left_sibling.map(|a| map[&a]));
                        assert_eq!(f.right_sibling, n.right_sibling.map(|a| map[&a]));
                    }
                    identical += 1;
                    multi_node += usize::from(map.len() > 1 || m.snods.len() > 1);
                }
                Err(d) => differ.push(format!("{} group at {}: {}", path.display(), btree_address, d)),
            }
        }
    }
    println!("v1 groups rebuilt identically: {} ({} with several nodes); differing: {:#?}", identical, multi_node, differ);
    assert!(identical > 20 && multi_node > 0);
    assert!(differ.is_empty());
}
