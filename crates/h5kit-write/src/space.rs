//! File space of a file being edited: where new structures go.
//!
//! The file's allocated space ends at the "end of allocated space" (the superblock's "End of
//! File Address", spec II.A); new space is taken from ranges freed by superseded structures
//! first (best fit), at the end otherwise. As libhdf5's free-space manager does for a file
//! opened for writing, freed ranges are tracked in memory only (libhdf5 persists them only
//! with a non-default file space strategy; see spec-notes/writer.md).
//!
//! Crash consistency: a range freed while a flush is being prepared may still be what the
//! committed file points at, so it becomes reusable only after [`FileSpace::commit`], called
//! once the flush has switched every pointer away from it.

use std::collections::{BTreeMap, BTreeSet};

use h5kit_core::{Error, Result};

/// Free ranges and the end of allocated space.
#[derive(Debug, Clone, Default)]
pub struct FileSpace {
    /// End of allocated space: the next allocation at the end starts here.
    eoa: u64,
    /// Free ranges by address (start -> length), coalesced: no two touch.
    by_address: BTreeMap<u64, u64>,
    /// The same ranges by (length, start), for best fit.
    by_size: BTreeSet<(u64, u64)>,
    /// Freed since the last commit: not reusable yet.
    pending: Vec<(u64, u64)>,
}

impl FileSpace {
    /// Space of a file whose allocated space ends at `eoa`, with nothing free.
    pub fn new(eoa: u64) -> FileSpace {
        FileSpace { eoa, ..FileSpace::default() }
    }

    /// End of allocated space.
    pub fn eoa(&self) -> u64 {
        self.eoa
    }

    /// Bytes free for reuse now (not counting ranges pending a commit).
    pub fn free_bytes(&self) -> u64 {
        self.by_address.values().sum()
    }

    /// `len` bytes of new space (`len` > 0): the smallest free range that holds it, else at
    /// the end of allocated space.
    pub fn allocate(&mut self, len: u64) -> Result<u64> {
        if len == 0 {
            return Err(Error::usage("internal error: allocation of 0 bytes"));
        }
        if let Some(&(size, start)) = self.by_size.range((len, 0)..).next() {
            self.remove_free(start, size);
            if size > len {
                self.insert_free(start + len, size - len);
            }
            return Ok(start);
        }
        let start = self.eoa;
        self.eoa = start
            .checked_add(len)
            .ok_or_else(|| Error::usage(format!("allocation of {} bytes at {} overflows the address space", len, start)))?;
        Ok(start)
    }

    /// `len` bytes at the end of allocated space, never from freed ranges (for structures that
    /// must stay at the end, or when the caller wants file order).
    pub fn allocate_at_end(&mut self, len: u64) -> Result<u64> {
        let start = self.eoa;
        self.eoa = start
            .checked_add(len)
            .ok_or_else(|| Error::usage(format!("allocation of {} bytes at {} overflows the address space", len, start)))?;
        Ok(start)
    }

    /// Grows the range `[start, start + old_len)` to `new_len` in place when the space after
    /// it is free now or is the end of allocated space; returns whether it did.
    pub fn extend(&mut self, start: u64, old_len: u64, new_len: u64) -> bool {
        let Some(end) = start.checked_add(old_len) else { return false };
        let Some(more) = new_len.checked_sub(old_len) else { return false };
        if more == 0 {
            return true;
        }
        if end == self.eoa {
            return match self.eoa.checked_add(more) {
                Some(e) => {
                    self.eoa = e;
                    true
                }
                None => false,
            };
        }
        match self.by_address.get(&end).copied() {
            Some(size) if size >= more => {
                self.remove_free(end, size);
                if size > more {
                    self.insert_free(end + more, size - more);
                }
                true
            }
            _ => false,
        }
    }

    /// Marks `[start, start + len)` free; reusable after the next [`FileSpace::commit`].
    pub fn free(&mut self, start: u64, len: u64) {
        if len > 0 {
            self.pending.push((start, len));
        }
    }

    /// The flush that freed the pending ranges has committed: they become reusable. A free
    /// range that ends at the end of allocated space is given back (the end moves down).
    pub fn commit(&mut self) {
        for (start, len) in std::mem::take(&mut self.pending) {
            self.release(start, len);
        }
        while let Some((&start, &len)) = self.by_address.iter().next_back() {
            if start.checked_add(len) != Some(self.eoa) {
                break;
            }
            self.remove_free(start, len);
            self.eoa = start;
        }
    }

    /// The flush that freed the pending ranges has committed, but they stay allocated for
    /// good: concurrent readers (SWMR) may still read the structures there.
    pub fn forget_pending(&mut self) {
        self.pending.clear();
    }

    /// Adds a range to the free lists, merged with its neighbours.
    fn release(&mut self, mut start: u64, mut len: u64) {
        if let Some((&prev, &plen)) = self.by_address.range(..=start).next_back() {
            if prev.saturating_add(plen) >= start {
                // Overlap or touch: merge (an overlap is a double free; keep the union).
                let end = start.saturating_add(len).max(prev.saturating_add(plen));
                self.remove_free(prev, plen);
                start = prev;
                len = end - prev;
            }
        }
        while let Some((&next, &nlen)) = self.by_address.range(start..).next() {
            if next > start.saturating_add(len) {
                break;
            }
            let end = start.saturating_add(len).max(next.saturating_add(nlen));
            self.remove_free(next, nlen);
            len = end - start;
        }
        self.insert_free(start, len);
    }

    fn insert_free(&mut self, start: u64, len: u64) {
        self.by_address.insert(start, len);
        self.by_size.insert((len, start));
    }

    fn remove_free(&mut self, start: u64, len: u64) {
        self.by_address.remove(&start);
        self.by_size.remove(&(len, start));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_freed_in_swmr_mode_is_never_reused() {
        let mut s = FileSpace::new(100);
        let a = s.allocate(40).unwrap();
        s.free(a, 40);
        s.forget_pending();
        s.commit();
        assert_eq!(s.free_bytes(), 0);
        assert_eq!(s.allocate(40).unwrap(), 140);
        assert_eq!(s.eoa(), 180);
    }

    #[test]
    fn freed_space_is_reused_only_after_commit_best_fit_first() {
        let mut s = FileSpace::new(1000);
        assert_eq!(s.allocate(100).unwrap(), 1000);
        assert_eq!(s.allocate(50).unwrap(), 1100);
        assert_eq!(s.allocate(10).unwrap(), 1150);
        s.free(1000, 100);
        s.free(1150 - 50, 50);
        // Not yet committed: new space comes from the end.
        assert_eq!(s.allocate(20).unwrap(), 1160);
        s.commit();
        // 1000..1150 merged (the two frees touch).
        assert_eq!(s.free_bytes(), 150);
        assert_eq!(s.allocate(150).unwrap(), 1000);
        assert_eq!(s.free_bytes(), 0);
    }

    #[test]
    fn best_fit_picks_the_smallest_range_that_holds() {
        let mut s = FileSpace::new(0);
        for _ in 0..5 {
            s.allocate(100).unwrap();
        }
        s.free(0, 100);
        s.free(200, 40);
        s.commit();
        assert_eq!(s.allocate(30).unwrap(), 200);
        assert_eq!(s.allocate(10).unwrap(), 230);
        assert_eq!(s.allocate(60).unwrap(), 0);
        assert_eq!(s.free_bytes(), 40);
        assert_eq!(s.allocate(41).unwrap(), 500);
    }

    #[test]
    fn the_end_moves_down_over_a_free_tail() {
        let mut s = FileSpace::new(0);
        s.allocate(10).unwrap();
        let b = s.allocate(10).unwrap();
        let c = s.allocate(10).unwrap();
        s.free(c, 10);
        s.free(b, 10);
        s.commit();
        assert_eq!(s.eoa(), 10);
        assert_eq!(s.free_bytes(), 0);
    }

    #[test]
    fn extend_in_place_at_the_end_or_into_free_space() {
        let mut s = FileSpace::new(0);
        let a = s.allocate(10).unwrap();
        assert!(s.extend(a, 10, 30));
        assert_eq!(s.eoa(), 30);
        let b = s.allocate(10).unwrap();
        s.allocate(10).unwrap();
        assert!(!s.extend(a, 30, 31));
        s.free(b, 10);
        s.commit();
        assert!(s.extend(a, 30, 35));
        assert_eq!(s.free_bytes(), 5);
        assert!(!s.extend(a, 35, 41));
        assert_eq!(s.allocate(5).unwrap(), 35);
    }

    #[test]
    fn double_free_and_zero_sizes_do_not_corrupt_the_lists() {
        let mut s = FileSpace::new(0);
        s.allocate(100).unwrap();
        s.allocate(1).unwrap();
        s.free(10, 20);
        s.free(15, 20);
        s.free(0, 0);
        s.commit();
        assert_eq!(s.free_bytes(), 25);
        assert!(s.allocate(0).is_err());
        assert!(s.allocate_at_end(u64::MAX).is_err());
    }
}
