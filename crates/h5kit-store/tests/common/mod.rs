//! Test helpers: an HTTP/1.1 server on 127.0.0.1 (std::net, one thread per connection,
//! keep-alive) serving in-memory files with `Range` support and counting the requests and
//! body bytes it sends; files made by h5py in a temporary directory.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Shared {
    files: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    requests: AtomicU64,
    bytes: AtomicU64,
    /// Answer 200 with the whole file, ignoring `Range` (a server without range support).
    ignore_range: AtomicBool,
    /// Close the connection after every reply.
    close_always: AtomicBool,
    /// "METHOD range" of every request.
    log: Mutex<Vec<String>>,
    /// Milliseconds each reply waits (a network's latency), requests being served now, and
    /// the most at once.
    delay_ms: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

pub struct RangeServer {
    port: u16,
    shared: Arc<Shared>,
}

impl RangeServer {
    pub fn start() -> RangeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve(conn, &s));
            }
        });
        RangeServer { port, shared }
    }

    pub fn add(&self, name: &str, data: Vec<u8>) {
        self.shared.files.lock().unwrap().insert(format!("/{}", name), Arc::new(data));
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{}", self.port, name)
    }

    /// (requests, body bytes) since the last call.
    pub fn take_counts(&self) -> (u64, u64) {
        (self.shared.requests.swap(0, Ordering::SeqCst), self.shared.bytes.swap(0, Ordering::SeqCst))
    }

    /// "METHOD range" of each request since the last call.
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.shared.log.lock().unwrap())
    }

    /// Each reply waits `ms` milliseconds.
    pub fn set_delay_ms(&self, ms: u64) {
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// The most requests served at once since the last call.
    pub fn take_max_in_flight(&self) -> u64 {
        self.shared.max_in_flight.swap(0, Ordering::SeqCst)
    }

    pub fn set_ignore_range(&self, on: bool) {
        self.shared.ignore_range.store(on, Ordering::SeqCst);
    }

    pub fn set_close_always(&self, on: bool) {
        self.shared.close_always.store(on, Ordering::SeqCst);
    }
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` (the first range of a list) against a file of `len`
/// bytes: `Some(Ok(start..end))`, `Some(Err(()))` when not satisfiable, `None` when absent or
/// not understood (the whole file is sent).
fn parse_range(v: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = v.trim().strip_prefix("bytes=")?.split(',').next()?.trim();
    let (a, b) = spec.split_once('-')?;
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        return Some(if n == 0 || len == 0 { Err(()) } else { Ok((len.saturating_sub(n), len)) });
    }
    let a: u64 = a.parse().ok()?;
    let end = if b.is_empty() { len } else { b.parse::<u64>().ok()?.saturating_add(1).min(len) };
    Some(if a >= len || end <= a { Err(()) } else { Ok((a, end)) })
}

fn serve(conn: TcpStream, s: &Shared) {
    // Head and body are two writes: without this, Nagle's algorithm and delayed ACKs add
    // ~40 ms to replies.
    let _ = conn.set_nodelay(true);
    let mut w = conn.try_clone().unwrap();
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("/").to_string());
        let mut range = None;
        let mut close = false;
        let mut body_len = 0u64;
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "range" => range = Some(v.trim().to_string()),
                    "connection" => close = v.trim().eq_ignore_ascii_case("close"),
                    "content-length" => body_len = v.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        if body_len > 0 {
            let _ = std::io::copy(&mut (&mut r).take(body_len), &mut std::io::sink());
        }
        close |= s.close_always.load(Ordering::SeqCst);
        s.requests.fetch_add(1, Ordering::SeqCst);
        s.log.lock().unwrap().push(format!("{} {}", method, range.as_deref().unwrap_or("-")));
        let path = target.split('?').next().unwrap_or("").to_string();
        let file = s.files.lock().unwrap().get(&path).cloned();
        let conn_hdr = if close { "close" } else { "keep-alive" };
        let (status, extra, body): (&str, String, &[u8]) = match &file {
            None => ("404 Not Found", String::new(), b"not found"),
            Some(data) => {
                let len = data.len() as u64;
                let ranged = if s.ignore_range.load(Ordering::SeqCst) { None } else { range.as_deref().and_then(|v| parse_range(v, len)) };
                match ranged {
                    None => ("200 OK", "Accept-Ranges: bytes\r\n".to_string(), &data[..]),
                    Some(Err(())) => ("416 Range Not Satisfiable", format!("Content-Range: bytes */{}\r\n", len), &[][..]),
                    Some(Ok((a, e))) => (
                        "206 Partial Content",
                        format!("Accept-Ranges: bytes\r\nContent-Range: bytes {}-{}/{}\r\n", a, e - 1, len),
                        &data[a as usize..e as usize],
                    ),
                }
            }
        };
        let head = format!(
            "HTTP/1.1 {}\r\n{}Content-Length: {}\r\nConnection: {}\r\n\r\n",
            status,
            extra,
            body.len(),
            conn_hdr
        );
        let now = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        s.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let delay = s.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            std::thread::sleep(std::time::Duration::from_millis(delay));
        }
        s.in_flight.fetch_sub(1, Ordering::SeqCst);
        let send_body = method != "HEAD";
        // Counted before sending: the client may be done before this thread runs again.
        if send_body {
            s.bytes.fetch_add(body.len() as u64, Ordering::SeqCst);
        }
        if w.write_all(head.as_bytes()).is_err() || (send_body && w.write_all(body).is_err()) {
            return;
        }
        if close {
            return;
        }
    }
}

/// A fresh temporary directory for one test.
pub fn temp_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("h5kit-store-{}-{}", std::process::id(), test));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs a Python script (arguments after it), returns its stdout; panics with stderr on failure.
pub fn python(script: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("python3").arg("-c").arg(script).args(args).output().unwrap();
    if !out.status.success() {
        panic!("python failed: {}\n{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    }
    String::from_utf8(out.stdout).unwrap()
}

/// Every object path of `file` reachable by hard links (depth-first, name order; at most 5,000).
pub fn walk(file: &h5kit::File) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec!["/".to_string()];
    while let Some(p) = stack.pop() {
        let Ok(h5kit::Object::Group(g)) = file.object(&p) else { continue };
        for k in g.keys().unwrap() {
            let child = if p == "/" { format!("/{}", k) } else { format!("{}/{}", p, k) };
            if out.len() < 5000 {
                out.push(child.clone());
                stack.push(child);
            }
        }
    }
    out
}
