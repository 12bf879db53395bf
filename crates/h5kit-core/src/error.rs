//! The one error type of h5kit: what failed, the file offset and object path where known.

use std::fmt;

/// Broad category of an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The operating system or storage failed.
    Io,
    /// The bytes do not follow the HDF5 format.
    Format,
    /// Valid HDF5 that this library does not implement (yet).
    Unsupported,
    /// A size the file claims exceeds a [`crate::Limits`] bound.
    Limit,
    /// The caller asked for something impossible (wrong mode, wrong shape, name exists...).
    Usage,
    /// A named object, attribute or link does not exist.
    NotFound,
}

/// An error with its context: kind, message, file offset and object path where known.
///
/// `Display` and `Debug` print the same line (what failed, the object path, the file
/// offset), so `fn main() -> Result<()>` reports an error readably:
/// `not found: no object named "x" in / (object /x)`.
#[derive(Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// File address (relative to the base address) where the problem was found.
    pub offset: Option<u64>,
    /// Path of the object being read, e.g. `/group/dataset`.
    pub path: Option<String>,
    /// The operating system's error, for I/O errors ([`std::error::Error::source`]).
    source: Option<std::sync::Arc<std::io::Error>>,
}

/// Errors compare by kind, message, offset and path (not by their source).
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message && self.offset == other.offset && self.path == other.path
    }
}
impl Eq for Error {}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), offset: None, path: None, source: None }
    }
    /// A format error at a file offset.
    pub fn format(offset: u64, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Format, message).at(offset)
    }
    /// An unsupported-feature error at a file offset.
    pub fn unsupported(offset: u64, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Unsupported, message).at(offset)
    }
    /// A limit error at a file offset.
    pub fn limit(offset: u64, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Limit, message).at(offset)
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotFound, message)
    }
    /// An I/O error; `err` stays available as the [`std::error::Error::source`].
    pub fn io(err: std::io::Error, message: impl Into<String>) -> Self {
        let mut e = Error::new(ErrorKind::Io, format!("{}: {}", message.into(), err));
        e.source = Some(std::sync::Arc::new(err));
        e
    }
    /// Sets the offset if none is set yet (the innermost offset wins).
    pub fn at(mut self, offset: u64) -> Self {
        if self.offset.is_none() {
            self.offset = Some(offset);
        }
        self
    }
    /// Sets the object path if none is set yet (the innermost path wins).
    pub fn in_object(mut self, path: impl Into<String>) -> Self {
        if self.path.is_none() {
            self.path = Some(path.into());
        }
        self
    }
    /// Prefixes the message with context, e.g. "reading fractal heap: ".
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{}: {}", what, self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ErrorKind::Io => "I/O error",
            ErrorKind::Format => "bad format",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Limit => "limit exceeded",
            ErrorKind::Usage => "usage error",
            ErrorKind::NotFound => "not found",
        };
        write!(f, "{}: {}", kind, self.message)?;
        if let Some(p) = &self.path {
            write!(f, " (object {})", p)?;
        }
        if let Some(o) = self.offset {
            write!(f, " (at file offset {})", o)?;
        }
        Ok(())
    }
}

/// The same line as `Display`: `fn main() -> Result<()>` prints errors with `Debug`.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        let mut out = Error::new(ErrorKind::Io, e.to_string());
        out.source = Some(std::sync::Arc::new(e));
        out
    }
}
