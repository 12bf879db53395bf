//! Line printer modelled on h5dump's rendering: text accumulates in a buffer and is written
//! as one line, prefixed by three spaces per indentation level, when a line is complete.

/// Indentation unit of h5dump (`COL`).
pub const COL: usize = 3;

/// Accumulates h5dump-style output.
#[derive(Debug, Default, Clone)]
pub struct Printer {
    out: String,
    buf: String,
    /// Current indentation level (each level is [`COL`] spaces).
    pub indent: usize,
    /// Write completed output to stdout as it grows (large dumps).
    pub streaming: bool,
}

impl Printer {
    pub fn new() -> Self {
        Printer::default()
    }

    /// Appends text to the pending line.
    pub fn push(&mut self, s: &str) {
        self.buf.push_str(s);
    }

    /// Writes the pending line at the current indentation.
    pub fn line(&mut self) {
        for _ in 0..self.indent * COL {
            self.out.push(' ');
        }
        self.out.push_str(&self.buf);
        self.out.push('\n');
        self.buf.clear();
        self.maybe_flush();
    }

    fn maybe_flush(&mut self) {
        if self.streaming && self.out.len() >= 1 << 16 {
            use std::io::Write;
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            let _ = lock.write_all(self.out.as_bytes());
            self.out.clear();
        }
    }

    /// Writes `s` as a whole line (after any pending text).
    pub fn put(&mut self, s: &str) {
        self.push(s);
        self.line();
    }

    /// Writes `s` and a newline as is (no indentation).
    pub fn raw_line(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
        self.maybe_flush();
    }

    pub fn into_output(mut self) -> String {
        if !self.buf.is_empty() {
            self.line();
        }
        self.out
    }
}
