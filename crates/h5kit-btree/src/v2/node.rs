//! Version 2 B-tree nodes (spec III.A.2): internal nodes ("BTIN": records and one more child
//! pointer than records) and leaf nodes ("BTLF": records only), checksummed. A node occupies
//! "Node Size" bytes; libhdf5 zeroes the bytes after the checksum, and so does [`Node::encode`].

use h5kit_core::{Error, Reader, Result, Writer};

use super::{BTreeV2, ChunkParams, Record, NODE_OVERHEAD};
use crate::element::verify_trailing_checksum;

/// A child pointer of an internal node: "Child Node Pointer", "Number of Records for Child
/// Node" and "Total Number of Records for Child Node" (stored only in nodes of level > 1; for
/// level 1 it equals `nrec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildPointer {
    pub address: u64,
    pub nrec: u64,
    pub total_records: u64,
}

/// One node: `level` 0 is a leaf ("BTLF"), higher levels internal ("BTIN") with
/// `records.len() + 1` children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub level: u16,
    pub records: Vec<Record>,
    pub children: Vec<ChildPointer>,
}

impl Node {
    /// Bytes a node of `level` with `nrec` records uses, checksum included (at most the node
    /// size).
    pub fn used_size(hdr: &BTreeV2, level: u16, nrec: u64) -> Result<u64> {
        let info = hdr.node_info(level).ok_or_else(|| Error::format(0, format!("v2 B-tree has no level {}", level)))?;
        if nrec > info.max_nrec {
            return Err(Error::format(0, format!("v2 B-tree node claims {} records, at most {} fit", nrec, info.max_nrec)));
        }
        let ptrs = if level == 0 { 0 } else { (nrec + 1) * hdr.child_pointer_size(level) as u64 };
        let len = NODE_OVERHEAD + nrec * hdr.record_size as u64 + ptrs;
        if len > hdr.node_size as u64 {
            return Err(Error::format(0, format!("v2 B-tree node content of {} bytes exceeds the node size {}", len, hdr.node_size)));
        }
        Ok(len)
    }

    /// Decodes the node of `level` holding `nrec` records (checksum verified).
    pub fn decode(r: &mut Reader, hdr: &BTreeV2, level: u16, nrec: u64, chunk: Option<ChunkParams>) -> Result<Node> {
        let at = r.address();
        let start = r.position();
        Self::used_size(hdr, level, nrec).map_err(|e| e.at(at))?;
        let (sig, what): (&[u8; 4], &str) =
            if level == 0 { (b"BTLF", "v2 B-tree leaf node") } else { (b"BTIN", "v2 B-tree internal node") };
        r.signature(sig, what)?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(at, format!("{} version {} (expected 0)", what, version)));
        }
        let t = r.u8()?;
        if t != hdr.record_type {
            return Err(Error::format(at, format!("{} has type {}, the header says {}", what, t, hdr.record_type)));
        }
        let mut records = Vec::with_capacity(nrec as usize);
        for _ in 0..nrec {
            let mut rr = r.split(hdr.record_size as usize)?;
            records.push(Record::decode(hdr.record_type, &mut rr, chunk)?);
        }
        let mut children = Vec::new();
        if level > 0 {
            let total_size = hdr.total_records_size(level);
            for _ in 0..=nrec {
                let pa = r.address();
                let address = r.address_field()?.ok_or_else(|| Error::format(pa, "v2 B-tree child address is undefined"))?;
                let n = r.uint(hdr.max_nrec_size())?;
                let total_records = if level > 1 { r.uint(total_size)? } else { n };
                children.push(ChildPointer { address, nrec: n, total_records });
            }
        }
        verify_trailing_checksum(r, start, at, what)?;
        Ok(Node { level, records, children })
    }

    /// Encodes the whole node: "Node Size" bytes, zero after the checksum.
    pub fn encode(&self, w: &mut Writer, hdr: &BTreeV2, chunk: Option<ChunkParams>) -> Result<()> {
        let nrec = self.records.len() as u64;
        let used = Self::used_size(hdr, self.level, nrec).map_err(|e| Error::usage(e.message))?;
        let expected_children = if self.level == 0 { 0 } else { self.records.len() + 1 };
        if self.children.len() != expected_children {
            return Err(Error::usage(format!(
                "v2 B-tree node of level {} with {} records has {} children",
                self.level,
                nrec,
                self.children.len()
            )));
        }
        let start = w.position();
        w.signature(if self.level == 0 { b"BTLF" } else { b"BTIN" });
        w.u8(0);
        w.u8(hdr.record_type);
        for rec in &self.records {
            rec.encode(w, hdr.record_type, hdr.record_size as usize, chunk)?;
        }
        let total_size = hdr.total_records_size(self.level);
        for c in &self.children {
            w.offset(c.address)?;
            w.uint(c.nrec, hdr.max_nrec_size())?;
            if self.level > 1 {
                w.uint(c.total_records, total_size)?;
            }
        }
        w.checksum_from(start);
        w.zeros((hdr.node_size as u64).saturating_sub(used) as usize);
        Ok(())
    }

    /// Bytes of a node: "Node Size".
    pub fn encoded_size(hdr: &BTreeV2) -> u64 {
        hdr.node_size as u64
    }
}
