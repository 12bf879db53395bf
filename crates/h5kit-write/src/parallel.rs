//! Work spread over threads: the filter pipeline over many chunks. A thread that cannot be
//! started means fewer threads (down to the calling thread alone), never a panic; on
//! WebAssembly everything runs on the calling thread.

use h5kit_core::Result;

/// Filtered data smaller than this is encoded on the calling thread (thread start-up would
/// cost more than it saves).
pub(crate) const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// Threads encoding `jobs` chunks: `requested` or the number of
/// cores, at most `jobs` and 64; always 1 on WebAssembly.
pub(crate) fn worker_count(requested: Option<usize>, jobs: usize) -> usize {
    #[cfg(target_family = "wasm")]
    {
        let _ = (requested, jobs);
        1
    }
    #[cfg(not(target_family = "wasm"))]
    {
        let cores = requested.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
        cores.min(jobs).clamp(1, 64)
    }
}

/// `f(0)`, ..., `f(n - 1)` in that order, computed on `workers` threads (each takes the next
/// index in turn; results are placed by index). The error of the lowest failing index is
/// returned, as a sequential run would; after a failure the workers stop taking new indices.
pub(crate) fn run_in_order<T: Send>(n: usize, workers: usize, f: impl Fn(usize) -> Result<T> + Sync) -> Result<Vec<T>> {
    #[cfg(not(target_family = "wasm"))]
    if workers > 1 {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let work = || {
            let mut done = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let r = f(i);
                if r.is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
                done.push((i, r));
            }
            done
        };
        let parts: Vec<Vec<(usize, Result<T>)>> = std::thread::scope(|scope| {
            // The calling thread is one of the workers; a thread the system refuses to start
            // is one worker fewer.
            let handles: Vec<_> =
                (1..workers).filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok()).collect();
            let mut parts = vec![work()];
            parts.extend(handles.into_iter().map(|h| h.join().unwrap_or_default()));
            parts
        });
        let mut slots: Vec<Option<Result<T>>> = Vec::new();
        slots.resize_with(n, || None);
        for (i, r) in parts.into_iter().flatten() {
            if let Some(s) = slots.get_mut(i) {
                *s = Some(r);
            }
        }
        let mut out = Vec::with_capacity(n);
        for s in slots {
            match s {
                Some(r) => out.push(r?),
                // Not computed: an earlier index failed (returned above) or a worker died.
                None => return Err(h5kit_core::Error::usage("internal error: a chunk encoder thread stopped")),
            }
        }
        return Ok(out);
    }
    let _ = workers;
    (0..n).map(f).collect()
}

