//! The two [`RangeSource`]s of this crate: an `object_store` object (any store: local files,
//! memory, or a caller's S3/GCS/Azure store) and an `http://` URL (src/http.rs). Both fetch
//! several ranges concurrently, at most `max_in_flight` at once.

use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use h5kit_core::ranged::RangeSource;
use h5kit_core::{Error, ErrorKind, Result};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};

use crate::http::HttpClient;
use crate::stats::Counters;

fn store_err(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Io, format!("object store {}: {}: {}", path, what, e))
}

/// Copies `data` into `buf`, failing if the store returned another length.
fn fill(buf: &mut [u8], data: &[u8], offset: u64, what: &dyn std::fmt::Display) -> Result<()> {
    if data.len() != buf.len() {
        return Err(Error::new(
            ErrorKind::Io,
            format!("{}: asked for {} bytes at {}, got {}", what, buf.len(), offset, data.len()),
        )
        .at(offset));
    }
    buf.copy_from_slice(data);
    Ok(())
}

/// Byte ranges of one object in an [`ObjectStore`]. The store's futures run on the calling
/// thread (`futures_executor::block_on`): no tokio runtime is needed (object_store's local
/// store reads inline without one, and uses `spawn_blocking` inside one).
#[derive(Debug)]
pub struct ObjectSource {
    store: Arc<dyn ObjectStore>,
    path: Path,
    max_in_flight: usize,
    counters: Arc<Counters>,
}

impl ObjectSource {
    pub fn new(store: Arc<dyn ObjectStore>, path: Path, max_in_flight: usize, counters: Arc<Counters>) -> ObjectSource {
        ObjectSource { store, path, max_in_flight: max_in_flight.max(1), counters }
    }

    /// The object's size and its first `n` bytes (fewer if it is shorter), in one request.
    pub async fn first_block_async(&self, n: u64) -> Result<(u64, Vec<u8>)> {
        let opts = GetOptions { range: Some(GetRange::Bounded(0..n.max(1))), ..Default::default() };
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let r = self.store.get_opts(&self.path, opts).await.map_err(|e| store_err(&self.path, "reading the first block", e))?;
        let size = r.meta.size;
        let data = r.bytes().await.map_err(|e| store_err(&self.path, "reading the first block", e))?;
        self.counters.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok((size, data.to_vec()))
    }

    /// As [`Self::first_block_async`], on the calling thread.
    pub fn first_block(&self, n: u64) -> Result<(u64, Vec<u8>)> {
        futures_executor::block_on(self.first_block_async(n))
    }

    async fn get(&self, range: Range<u64>) -> Result<bytes::Bytes> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let what = format!("reading bytes {}..{}", range.start, range.end);
        let data = self.store.get_range(&self.path, range).await.map_err(|e| store_err(&self.path, &what, e))?;
        self.counters.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok(data)
    }
}

impl RangeSource for ObjectSource {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<bool> {
        let end = offset.saturating_add(buf.len() as u64);
        let data = futures_executor::block_on(self.get(offset..end))?;
        fill(buf, &data, offset, &self.path)?;
        Ok(true)
    }

    fn read_many(&self, requests: &mut [(u64, &mut [u8])]) -> Result<bool> {
        let ranges: Vec<Range<u64>> = requests.iter().map(|(o, b)| *o..o.saturating_add(b.len() as u64)).collect();
        let fetched: Vec<bytes::Bytes> = futures_executor::block_on(
            stream::iter(ranges.into_iter().map(|r| self.get(r))).buffered(self.max_in_flight).try_collect(),
        )?;
        for ((offset, buf), data) in requests.iter_mut().zip(&fetched) {
            fill(buf, data, *offset, &self.path)?;
        }
        Ok(true)
    }
}

/// Byte ranges of an `http://` URL; concurrent ranges on up to `max_in_flight` threads, each
/// with its own keep-alive connection.
#[derive(Debug)]
pub struct HttpSource {
    client: HttpClient,
    max_in_flight: usize,
}

impl HttpSource {
    pub fn new(client: HttpClient, max_in_flight: usize) -> HttpSource {
        HttpSource { client, max_in_flight: max_in_flight.max(1) }
    }

    /// The object's size and its first `n` bytes (fewer if it is shorter), in one request
    /// (the size comes from `Content-Range`: no `HEAD`).
    pub fn first_block(&self, n: u64) -> Result<(u64, Vec<u8>)> {
        let r = self.client.get_range(0, n.max(1))?;
        let total = r.total.ok_or_else(|| {
            Error::new(ErrorKind::Io, format!("{}: the server did not tell the object's size (Content-Range: bytes a-b/*)", self.client.url()))
        })?;
        Ok((total, r.data))
    }
}

impl RangeSource for HttpSource {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<bool> {
        let r = self.client.get_range(offset, offset.saturating_add(buf.len() as u64))?;
        fill(buf, &r.data, offset, self.client.url())?;
        Ok(true)
    }

    fn read_many(&self, requests: &mut [(u64, &mut [u8])]) -> Result<bool> {
        let workers = self.max_in_flight.min(requests.len());
        if workers <= 1 {
            for (offset, buf) in requests.iter_mut() {
                self.read(*offset, buf)?;
            }
            return Ok(true);
        }
        let queue = Mutex::new(requests.iter_mut());
        let first_error: Mutex<Option<Error>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let next = queue.lock().ok().and_then(|mut q| q.next());
                    let Some((offset, buf)) = next else { break };
                    if let Err(e) = self.read(*offset, buf) {
                        if let Ok(mut slot) = first_error.lock() {
                            slot.get_or_insert(e);
                        }
                        break;
                    }
                });
            }
        });
        match first_error.into_inner() {
            Ok(Some(e)) => Err(e),
            Ok(None) => Ok(true),
            Err(_) => Err(Error::usage("an HTTP fetching thread failed")),
        }
    }
}
