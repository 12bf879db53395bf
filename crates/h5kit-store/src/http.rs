//! A minimal HTTP/1.1 client on `std::net` for ranged reads of one object: plain `http://`,
//! `GET` with `Range: bytes=a-b` (RFC 9110 section 14), keep-alive connections reused from a
//! small pool, `Content-Length` and chunked bodies. No TLS (that would bring C or a large
//! dependency tree): `https://` URLs are refused with a clear error.
//!
//! A server that ignores `Range` (status 200) still works: the body is streamed and only the
//! wanted bytes are kept (memory stays bounded by the request).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use h5kit_core::{Error, ErrorKind, Result};

use crate::stats::Counters;

/// Longest status line + headers accepted.
const MAX_HEAD: usize = 64 * 1024;

/// An `http://host[:port]/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub target: String,
}

impl HttpUrl {
    /// Parses `http://host[:port][/path][?query]` (IPv6 hosts in brackets).
    pub fn parse(url: &str) -> Result<HttpUrl> {
        let bad = |why: &str| Error::usage(format!("URL {:?}: {}", url, why));
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => return Err(bad(&format!("scheme {:?} is not supported (plain http:// only)", scheme))),
            None => return Err(bad("no scheme (expected http://host/path)")),
        };
        let (authority, target) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let target = if target.starts_with('?') { format!("/{}", target) } else { target.to_string() };
        if authority.contains('@') {
            return Err(bad("credentials in the URL are not supported"));
        }
        let (host, port) = if let Some(r) = authority.strip_prefix('[') {
            let (h, after) = r.split_once(']').ok_or_else(|| bad("unclosed IPv6 bracket"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse::<u16>().map_err(|_| bad("bad port"))?,
                None if after.is_empty() => 80,
                None => return Err(bad("junk after the IPv6 host")),
            };
            (format!("[{}]", h), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse::<u16>().map_err(|_| bad("bad port"))?),
                None => (authority.to_string(), 80),
            }
        };
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("bad host"));
        }
        if target.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("spaces or control characters in the path (percent-encode them)"));
        }
        Ok(HttpUrl { host, port, target })
    }

    fn host_header(&self) -> String {
        if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl std::fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}{}", self.host_header(), self.target)
    }
}

/// What one ranged `GET` returned.
#[derive(Debug)]
pub struct RangeReply {
    /// The bytes `start..end` asked for (fewer only if the object ends first).
    pub data: Vec<u8>,
    /// The object's size, when the server said it (`Content-Range: bytes a-b/SIZE`, or the
    /// length of a 200 reply).
    pub total: Option<u64>,
}

/// Ranged reads of one URL over pooled keep-alive connections. Thread-safe: concurrent
/// requests each take (or open) their own connection.
#[derive(Debug)]
pub struct HttpClient {
    url: HttpUrl,
    pool: Mutex<Vec<BufReader<TcpStream>>>,
    timeout: Duration,
    counters: Arc<Counters>,
}

fn io_err(url: &HttpUrl, what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Io, format!("{}: {}: {}", url, what, e))
}

impl HttpClient {
    pub fn new(url: HttpUrl, timeout: Duration, counters: Arc<Counters>) -> HttpClient {
        HttpClient { url, pool: Mutex::new(Vec::new()), timeout, counters }
    }

    pub fn url(&self) -> &HttpUrl {
        &self.url
    }

    fn connect(&self) -> Result<BufReader<TcpStream>> {
        let addrs = (self.url.host.trim_start_matches('[').trim_end_matches(']'), self.url.port)
            .to_socket_addrs()
            .map_err(|e| io_err(&self.url, "resolving the host", e))?;
        let mut last = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, self.timeout) {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    s.set_read_timeout(Some(self.timeout)).map_err(|e| io_err(&self.url, "socket", e))?;
                    s.set_write_timeout(Some(self.timeout)).map_err(|e| io_err(&self.url, "socket", e))?;
                    return Ok(BufReader::with_capacity(64 * 1024, s));
                }
                Err(e) => last = Some(e),
            }
        }
        Err(io_err(&self.url, "connecting", last.map_or("no address".to_string(), |e| e.to_string())))
    }

    /// `GET` of bytes `start..end` (`end` exclusive, `end > start`).
    pub fn get_range(&self, start: u64, end: u64) -> Result<RangeReply> {
        if end <= start {
            return Err(Error::usage(format!("{}: empty range {}..{}", self.url, start, end)));
        }
        // A pooled connection the server closed meanwhile fails at once: retry once on a new one.
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        let reused = pooled.is_some();
        let conn = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        match self.exchange(conn, start, end) {
            Ok(r) => Ok(r),
            Err(Failure::Stale(_)) if reused => match self.exchange(self.connect()?, start, end) {
                Ok(r) => Ok(r),
                Err(Failure::Stale(e) | Failure::Fatal(e)) => Err(e),
            },
            Err(Failure::Stale(e) | Failure::Fatal(e)) => Err(e),
        }
    }

    fn exchange(&self, mut conn: BufReader<TcpStream>, start: u64, end: u64) -> std::result::Result<RangeReply, Failure> {
        let req = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nRange: bytes={}-{}\r\nAccept-Encoding: identity\r\nUser-Agent: h5kit-store\r\n\r\n",
            self.url.target,
            self.url.host_header(),
            start,
            end - 1
        );
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = conn.get_mut().write_all(req.as_bytes()) {
            return Err(Failure::Stale(io_err(&self.url, "sending the request", e)));
        }
        let head = read_head(&mut conn).map_err(|e| match e {
            HeadError::Closed => Failure::Stale(io_err(&self.url, "reading the reply", "connection closed")),
            HeadError::Bad(m) => Failure::Fatal(io_err(&self.url, "reading the reply", m)),
        })?;
        let fatal = |m: String| Failure::Fatal(io_err(&self.url, &format!("GET bytes {}-{}", start, end - 1), m));
        let (skip, total) = match head.status {
            206 => {
                let (a, b, total) = head.content_range.ok_or_else(|| fatal("206 reply without Content-Range".into()))?;
                if a != start || b < a || b >= end {
                    return Err(fatal(format!("asked for bytes {}-{}, got {}-{}", start, end - 1, a, b)));
                }
                (0, total)
            }
            200 => (start, head.content_length),
            416 => return Err(fatal(format!("range not satisfiable (object size {:?})", head.content_range.map(|r| r.2)))),
            s => return Err(fatal(format!("HTTP status {} {}", s, head.reason))),
        };
        let want = end - start;
        let mut data = Vec::with_capacity(usize::try_from(want.min(1 << 26)).unwrap_or(0));
        let mut pos = 0u64;
        let mut keep = |chunk: &[u8]| {
            let lo = skip.saturating_sub(pos);
            let hi = (skip + want).saturating_sub(pos).min(chunk.len() as u64);
            if lo < hi {
                if let Some(s) = chunk.get(lo as usize..hi as usize) {
                    data.extend_from_slice(s);
                }
            }
            pos += chunk.len() as u64;
        };
        let body = if head.chunked {
            read_chunked(&mut conn, &mut keep)
        } else if let Some(n) = head.content_length {
            if head.status == 206 && n > want {
                return Err(fatal(format!("206 reply of {} bytes for a range of {}", n, want)));
            }
            read_exact_streamed(&mut conn, n, &mut keep)
        } else {
            return Err(fatal("reply without Content-Length or chunked encoding".into()));
        };
        let got = body.map_err(|e| fatal(format!("reading the body: {}", e)))?;
        self.counters.bytes.fetch_add(got, Ordering::Relaxed);
        if !head.close {
            if let Ok(mut p) = self.pool.lock() {
                p.push(conn);
            }
        }
        Ok(RangeReply { data, total })
    }
}

enum Failure {
    /// The connection was closed before a reply (a reused keep-alive connection): retry.
    Stale(Error),
    Fatal(Error),
}

enum HeadError {
    Closed,
    Bad(String),
}

struct Head {
    status: u16,
    reason: String,
    content_length: Option<u64>,
    /// `Content-Range: bytes a-b/total` (total `None` for `*`).
    content_range: Option<(u64, u64, Option<u64>)>,
    chunked: bool,
    close: bool,
}

fn read_line(conn: &mut impl BufRead, budget: &mut usize) -> std::result::Result<String, HeadError> {
    let mut line = Vec::new();
    let n = conn.take(*budget as u64 + 1).read_until(b'\n', &mut line).map_err(|e| HeadError::Bad(e.to_string()))?;
    if n == 0 {
        return Err(HeadError::Closed);
    }
    if n > *budget {
        return Err(HeadError::Bad(format!("reply header over {} bytes", MAX_HEAD)));
    }
    *budget -= n;
    let s = String::from_utf8_lossy(&line);
    Ok(s.trim_end_matches(['\r', '\n']).to_string())
}

fn read_head(conn: &mut impl BufRead) -> std::result::Result<Head, HeadError> {
    let mut budget = MAX_HEAD;
    let status_line = read_line(conn, &mut budget)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(HeadError::Bad(format!("not an HTTP/1.x status line: {:?}", status_line)));
    }
    let status = parts.next().and_then(|s| s.parse::<u16>().ok()).ok_or_else(|| HeadError::Bad(format!("bad status line {:?}", status_line)))?;
    let reason = parts.next().unwrap_or("").to_string();
    let mut head = Head { status, reason, content_length: None, content_range: None, chunked: false, close: version == "HTTP/1.0" };
    loop {
        let line = read_line(conn, &mut budget).map_err(|e| match e {
            HeadError::Closed => HeadError::Bad("connection closed inside the reply header".into()),
            e => e,
        })?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                head.content_length = Some(value.parse().map_err(|_| HeadError::Bad(format!("bad Content-Length {:?}", value)))?)
            }
            "content-range" => head.content_range = Some(parse_content_range(value).ok_or_else(|| HeadError::Bad(format!("bad Content-Range {:?}", value)))?),
            "transfer-encoding" => head.chunked = value.to_ascii_lowercase().split(',').any(|t| t.trim() == "chunked"),
            "connection" => {
                let v = value.to_ascii_lowercase();
                if v.split(',').any(|t| t.trim() == "close") {
                    head.close = true;
                } else if v.split(',').any(|t| t.trim() == "keep-alive") {
                    head.close = false;
                }
            }
            _ => {}
        }
    }
    Ok(head)
}

/// `bytes a-b/total` or `bytes a-b/*`.
fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = v.strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let total = if total.trim() == "*" { None } else { Some(total.trim().parse().ok()?) };
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?, total))
}

/// Reads exactly `n` body bytes in pieces handed to `keep`; returns `n`.
fn read_exact_streamed(conn: &mut impl Read, n: u64, keep: &mut impl FnMut(&[u8])) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = n;
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        let got = conn.read(buf.get_mut(..want).unwrap_or_default())?;
        if got == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("body ended {} bytes short", left)));
        }
        keep(buf.get(..got).unwrap_or_default());
        left -= got as u64;
    }
    Ok(n)
}

/// Reads a chunked body (RFC 9112 section 7.1), trailers skipped; returns the data bytes.
fn read_chunked(conn: &mut impl BufRead, keep: &mut impl FnMut(&[u8])) -> std::io::Result<u64> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let mut total = 0u64;
    loop {
        let mut budget = MAX_HEAD;
        let line = read_line(conn, &mut budget).map_err(|_| bad("bad chunk size line"))?;
        let size = u64::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            loop {
                let t = read_line(conn, &mut budget).map_err(|_| bad("bad trailer"))?;
                if t.is_empty() {
                    return Ok(total);
                }
            }
        }
        total += read_exact_streamed(conn, size, keep)?;
        let crlf = read_line(conn, &mut budget).map_err(|_| bad("missing CRLF after a chunk"))?;
        if !crlf.is_empty() {
            return Err(bad("junk after a chunk"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let u = HttpUrl::parse("http://127.0.0.1:8080/a/b.h5?x=1").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.target.as_str()), ("127.0.0.1", 8080, "/a/b.h5?x=1"));
        let u = HttpUrl::parse("HTTP://example.org").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.target.as_str()), ("example.org", 80, "/"));
        let u = HttpUrl::parse("http://[::1]:9/f").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("[::1]", 9));
        assert!(HttpUrl::parse("https://x/y").unwrap_err().to_string().contains("plain http"));
        assert!(HttpUrl::parse("x/y").is_err());
        assert!(HttpUrl::parse("http://x:99999/").is_err());
        assert!(HttpUrl::parse("http://x/a b").is_err());
    }

    #[test]
    fn parses_reply_heads_and_bodies() {
        let raw = b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 10-19/100\r\nContent-Length: 10\r\n\r\n0123456789";
        let mut r = BufReader::new(&raw[..]);
        let h = read_head(&mut r).ok().unwrap();
        assert_eq!((h.status, h.content_length, h.content_range, h.close), (206, Some(10), Some((10, 19, Some(100))), false));
        let mut got = Vec::new();
        assert_eq!(read_exact_streamed(&mut r, 10, &mut |c| got.extend_from_slice(c)).unwrap(), 10);
        assert_eq!(got, b"0123456789");
        let chunked = b"4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\nT: 1\r\n\r\n";
        let mut got = Vec::new();
        assert_eq!(read_chunked(&mut BufReader::new(&chunked[..]), &mut |c| got.extend_from_slice(c)).unwrap(), 7);
        assert_eq!(got, b"abcdefg");
        assert!(read_chunked(&mut BufReader::new(&b"zz\r\n"[..]), &mut |_| ()).is_err());
        assert!(read_exact_streamed(&mut BufReader::new(&b"abc"[..]), 5, &mut |_| ()).is_err());
        assert!(matches!(read_head(&mut BufReader::new(&b"SSH-2.0\r\n\r\n"[..])), Err(HeadError::Bad(_))));
        assert!(matches!(read_head(&mut BufReader::new(&b""[..])), Err(HeadError::Closed)));
        assert_eq!(parse_content_range("bytes 0-0/*"), Some((0, 0, None)));
        assert_eq!(parse_content_range("items 0-0/1"), None);
    }
}
