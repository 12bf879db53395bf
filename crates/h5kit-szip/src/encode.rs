//! The Adaptive Entropy Coder (CCSDS 121.0-B-3 sections 3 to 5), choosing per block what
//! libaec 1.0.6's encoder chooses, so that the bytes equal `aec_buffer_encode`'s.
//!
//! The input is cut into reference sample intervals (RSI) of `rsi` blocks of `block_size`
//! samples. With preprocessing, each interval starts with its first sample sent verbatim (the
//! reference sample) and the others are replaced by the mapped prediction error against the
//! previous sample (section 4). Each block is then sent as one coded data set: a run of
//! all-zero blocks (ending at a non-zero block, at the end of a 64-block segment or of the
//! interval; "remainder of segment" when more than 4 reach such an end), the second extension
//! option (pairs), a split-sample option with the Rice parameter k (found by libaec's search
//! from the previous block's k), or uncompressed; the shortest wins, ties as libaec breaks them.
//! A last, partial interval is padded with its last sample and only its blocks holding input
//! are coded. The stream ends with zero bits to a byte boundary.

use crate::bits::BitWriter;
use crate::{Layout, Params, Result};

/// Encodes `input` (whole samples of the parameters' byte size; trailing bytes that do not
/// fill a sample are ignored, as libaec ignores them) as a raw AEC stream.
pub fn encode(params: &Params, input: &[u8]) -> Result<Vec<u8>> {
    let l = Layout::new(params)?;
    let n = input.len() / l.bytes;
    let rsi_samples = l.rsi * l.bs;
    let mut st = State {
        l,
        w: BitWriter::with_capacity(input.len() / 2 + 16),
        k: 0,
        kmax: (1u32 << l.id_len).saturating_sub(3),
        raw: vec![0u32; rsi_samples],
        d: vec![0u32; rsi_samples],
    };
    let mut pos = 0usize;
    while pos < n {
        let take = rsi_samples.min(n - pos);
        let src = input.get(pos * l.bytes..(pos + take) * l.bytes).unwrap_or(&[]);
        read_samples(&l, src, &mut st.raw);
        let last = st.raw.get(take.wrapping_sub(1)).copied().unwrap_or(0);
        for x in st.raw.iter_mut().skip(take) {
            *x = last;
        }
        st.encode_interval(take.div_ceil(l.bs));
        pos += take;
    }
    Ok(st.w.finish_nonempty())
}

impl BitWriter {
    /// libaec writes one (zero) byte for an empty input.
    fn finish_nonempty(self) -> Vec<u8> {
        let mut out = self.finish();
        if out.is_empty() {
            out.push(0);
        }
        out
    }
}

/// Unpacks samples of `l.bytes` bytes into `dst` (as many as `src` holds).
fn read_samples(l: &Layout, src: &[u8], dst: &mut [u32]) {
    let b = l.bytes;
    for (x, s) in dst.iter_mut().zip(src.chunks_exact(b)) {
        let mut v = 0u32;
        if l.msb {
            for &byte in s {
                v = (v << 8) | u32::from(byte);
            }
        } else {
            for &byte in s.iter().rev() {
                v = (v << 8) | u32::from(byte);
            }
        }
        *x = v;
    }
}

struct State {
    l: Layout,
    w: BitWriter,
    /// The Rice parameter of the last block (where the next search starts).
    k: u32,
    kmax: u32,
    raw: Vec<u32>,
    d: Vec<u32>,
}

/// A pending run of zero blocks.
struct ZeroRun {
    blocks: u32,
    /// The run reaches the end of a segment or interval with more than 4 blocks: coded as
    /// "remainder of segment".
    ros: bool,
    /// Whether the run's first block holds the interval's reference sample.
    with_ref: bool,
}

impl State {
    /// Codes the first `blocks` blocks of the interval held in `raw`.
    fn encode_interval(&mut self, blocks: usize) {
        let l = self.l;
        let ref_sample = self.raw.first().copied().unwrap_or(0);
        if l.pp {
            self.preprocess();
        } else {
            self.d.copy_from_slice(&self.raw);
        }
        let mut run: Option<ZeroRun> = None;
        for b in 0..blocks {
            let with_ref = l.pp && b == 0;
            let last = b + 1 == blocks;
            let block_end = (b + 1) * l.bs;
            let zero = self.d.get(b * l.bs..block_end).is_some_and(|s| s.iter().all(|&v| v == 0));
            if zero {
                let r = run.get_or_insert(ZeroRun { blocks: 0, ros: false, with_ref });
                r.blocks += 1;
                if last || (b + 1) % 64 == 0 {
                    r.ros = r.blocks > 4;
                    self.zero_run(r, ref_sample);
                    run = None;
                    if last {
                        self.pad_rsi();
                    }
                }
                continue;
            }
            if let Some(r) = run.take() {
                self.zero_run(&r, ref_sample);
            }
            self.block(b, with_ref, ref_sample);
            if last {
                self.pad_rsi();
            }
        }
    }

    fn pad_rsi(&mut self) {
        if self.l.pad_rsi {
            self.w.align();
        }
    }

    /// Unit-delay prediction and the mapping of prediction errors (CCSDS 121.0-B-3 4.3), as
    /// libaec computes it (wrapping 32-bit arithmetic).
    fn preprocess(&mut self) {
        let l = self.l;
        let xmax = l.xmax() as u32;
        if let Some(d0) = self.d.first_mut() {
            *d0 = 0;
        }
        if l.signed {
            let m = 1u32 << (l.bps - 1);
            let xmax = xmax as i32;
            let xmin = !xmax;
            let ext = |v: u32| (v ^ m).wrapping_sub(m) as i32;
            for (d, w) in self.d.iter_mut().skip(1).zip(self.raw.windows(2)) {
                let (x0, x1) = match w {
                    [a, b] => (ext(*a), ext(*b)),
                    _ => continue,
                };
                *d = if x1 < x0 {
                    let dd = x0.wrapping_sub(x1) as u32;
                    if dd <= xmax.wrapping_sub(x0) as u32 {
                        (2u32.wrapping_mul(dd)).wrapping_sub(1)
                    } else {
                        xmax.wrapping_sub(x1) as u32
                    }
                } else {
                    let dd = x1.wrapping_sub(x0) as u32;
                    if dd <= x0.wrapping_sub(xmin) as u32 {
                        2u32.wrapping_mul(dd)
                    } else {
                        x1.wrapping_sub(xmin) as u32
                    }
                };
            }
        } else {
            for (d, w) in self.d.iter_mut().skip(1).zip(self.raw.windows(2)) {
                let (x0, x1) = match w {
                    [a, b] => (*a, *b),
                    _ => continue,
                };
                *d = if x1 >= x0 {
                    let dd = x1 - x0;
                    if dd <= x0 {
                        2u32.wrapping_mul(dd)
                    } else {
                        x1
                    }
                } else {
                    let dd = x0 - x1;
                    if dd <= xmax.wrapping_sub(x0) {
                        (2u32.wrapping_mul(dd)).wrapping_sub(1)
                    } else {
                        xmax.wrapping_sub(x1)
                    }
                };
            }
        }
    }

    /// A zero-block coded data set: identifier 0 and a 0 bit, the reference sample when the
    /// run began the interval, then the block count (FS of count-1 up to 4, 4 for ROS, count
    /// from 5 on).
    fn zero_run(&mut self, r: &ZeroRun, ref_sample: u32) {
        let l = self.l;
        self.w.put(0, l.id_len + 1);
        if r.with_ref {
            self.w.put(ref_sample, l.bps);
        }
        let fs = if r.ros {
            4
        } else if r.blocks >= 5 {
            r.blocks
        } else {
            r.blocks - 1
        };
        self.w.fs(fs);
    }

    /// Codes non-zero block `b` of the interval with the shortest option.
    fn block(&mut self, b: usize, with_ref: bool, ref_sample: u32) {
        let l = self.l;
        let start = b * l.bs;
        let block: &[u32] = self.d.get(start..start + l.bs).unwrap_or(&[]);
        let r = usize::from(with_ref);
        let uncomp_len = (l.bs - r) as u64 * u64::from(l.bps);
        let split_len = if l.id_len > 1 { assess_split(block, r, &mut self.k, self.kmax) } else { u64::from(u32::MAX) };
        let se_len = assess_se(block, uncomp_len);
        let w = &mut self.w;
        if split_len < uncomp_len && split_len < se_len {
            // Split-sample option k: identifier k+1, FS of each sample's high part, then the
            // k low bits of each.
            let k = self.k;
            w.put(k + 1, l.id_len);
            if with_ref {
                w.put(ref_sample, l.bps);
            }
            let body = block.get(r..).unwrap_or(&[]);
            for &v in body {
                w.fs(v >> k);
            }
            if k > 0 {
                for &v in body {
                    w.put(v, k);
                }
            }
        } else if split_len >= uncomp_len && uncomp_len <= se_len {
            w.put(l.id_uncomp(), l.id_len);
            if with_ref {
                w.put(ref_sample, l.bps);
            }
            for &v in block.get(r..).unwrap_or(&[]) {
                w.put(v, l.bps);
            }
        } else {
            // Second extension: identifier 0, a 1 bit, then per pair (the reference block's
            // first pair takes 0 for its first value) the FS of beta(beta+1)/2 + second.
            w.put(1, l.id_len + 1);
            if with_ref {
                w.put(ref_sample, l.bps);
            }
            for p in block.chunks_exact(2) {
                if let [a, c] = p {
                    // 32-bit wrapping arithmetic, as libaec's.
                    let s = a.wrapping_add(*c);
                    w.fs((s.wrapping_mul(s.wrapping_add(1)) / 2).wrapping_add(*c));
                }
            }
        }
    }
}

/// Bits of a block's split-sample coding with the best k (without the identifier and the
/// reference sample), found as libaec finds it: from the previous block's k upwards while the
/// length shrinks, else downwards; `k` is updated. The sum is truncated to 32 bits as libaec's.
fn assess_split(block: &[u32], r: usize, k_state: &mut u32, kmax: u32) -> u64 {
    let this_bs = (block.len() - r) as u64;
    let fs_len = |k: u32| block.iter().map(|&v| u64::from(v >> k)).sum::<u64>();
    let mut len_min = u64::MAX;
    let mut k = *k_state;
    let mut k_min = k;
    let mut no_turn = k == 0;
    let mut up = true;
    loop {
        let fs = fs_len(k);
        let len = fs + this_bs * u64::from(k + 1);
        if len < len_min {
            if len_min < u64::MAX {
                no_turn = true;
            }
            len_min = len;
            k_min = k;
            if up {
                if fs < this_bs || k >= kmax {
                    if no_turn {
                        break;
                    }
                    k = k_state.saturating_sub(1);
                    up = false;
                    no_turn = true;
                } else {
                    k += 1;
                }
            } else {
                if fs >= this_bs || k == 0 {
                    break;
                }
                k -= 1;
            }
        } else {
            if no_turn {
                break;
            }
            k = k_state.saturating_sub(1);
            up = false;
            no_turn = true;
        }
    }
    *k_state = k_min;
    u64::from(len_min as u32)
}

/// Bits of a block's second-extension coding (with the extra identifier bit), or `u32::MAX`
/// once over `limit` (the uncompressed length).
fn assess_se(block: &[u32], limit: u64) -> u64 {
    let mut len = 1u64;
    for p in block.chunks_exact(2) {
        if let [a, b] = p {
            let d = u64::from(*a) + u64::from(*b);
            // Wrapping as libaec's 64-bit arithmetic (only 32-bit samples get near).
            len = len.wrapping_add(d.wrapping_mul(d + 1) / 2).wrapping_add(u64::from(*b) + 1);
            if len > limit {
                return u64::from(u32::MAX);
            }
        }
    }
    len
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::flags;

    #[test]
    fn empty_input_is_one_zero_byte() {
        let p = Params { bits_per_sample: 8, block_size: 8, rsi: 2, flags: flags::DATA_PREPROCESS };
        assert_eq!(encode(&p, &[]).unwrap(), [0]);
    }

    #[test]
    fn constant_data_is_a_zero_run() {
        // 16 equal bytes, one interval of 2 blocks, preprocessing: zero run with reference
        // sample 7, 2 blocks (FS of 1): 000 0 00000111 01, padded.
        let p = Params { bits_per_sample: 8, block_size: 8, rsi: 2, flags: flags::DATA_PREPROCESS };
        assert_eq!(encode(&p, &[7; 16]).unwrap(), [0b0000_0000, 0b0111_0100]);
    }
}
