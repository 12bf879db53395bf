//! Finding one link of a symbol-table group by name (spec III.A.1, type-0 nodes; III.B,
//! symbol table nodes) without reading the whole table: a descent along one path of the
//! group's v1 B-tree, as libhdf5's `H5G__node_found` does. Child `i` of a node holds the
//! names `n` with `key[i] < n <= key[i+1]` (keys are local-heap offsets of names; byte-wise
//! comparison, like `strcmp`). Reading a file over a network, this costs O(depth) node reads
//! and one symbol table node instead of every node of the group.

use h5kit_core::{Context, Result};
use h5kit_superblock::SymbolTableEntry;

use super::{check_child_level, read_group_node, read_symbol_table_node};
use crate::util::Walk;

/// The entry named `name` in the group whose type-0 v1 B-tree is at `btree_address`;
/// `name_at` gives the name at a local-heap offset.
pub fn find_group_entry<'h>(
    ctx: Context,
    btree_address: u64,
    name: &[u8],
    name_at: &dyn Fn(u64) -> Result<&'h [u8]>,
) -> Result<Option<SymbolTableEntry>> {
    let mut w = Walk::new(&ctx);
    let mut address = btree_address;
    let mut parent_level: Option<u8> = None;
    let mut depth = 0u32;
    loop {
        w.visit(address, "v1 B-tree node")?;
        ctx.limits.check_depth(depth, address, "v1 B-tree")?;
        let node = read_group_node(ctx, address)?;
        if let Some(pl) = parent_level {
            check_child_level(pl, node.level, address)?;
        }
        // The first child whose right key is >= name (binary search: keys ascend).
        let n = node.children.len();
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let right = match node.keys.get(mid + 1) {
                Some(&k) => name_at(k)?,
                None => return Ok(None),
            };
            if name <= right {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        if lo >= n {
            return Ok(None);
        }
        if let Some(&k) = node.keys.get(lo) {
            // Names equal to the left key belong to the previous child (absent when lo = 0).
            if lo == 0 && name <= name_at(k)? {
                return Ok(None);
            }
        }
        let Some(&child) = node.children.get(lo) else { return Ok(None) };
        if node.level == 0 {
            w.visit(child, "symbol table node")?;
            for e in read_symbol_table_node(ctx, child)? {
                if name_at(e.link_name_offset)? == name {
                    return Ok(Some(e));
                }
            }
            return Ok(None);
        }
        parent_level = Some(node.level);
        address = child;
        depth += 1;
    }
}
