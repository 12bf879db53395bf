//! h5ls's `print_string`: quotes, backslashes and C escapes (`\n`, `\t`, ...) escaped,
//! other non-printing bytes as three-digit octal, spaces escaped in names.

/// `s` escaped as h5ls prints it; `escape_spaces` for object names (`Level\ 1`).
pub fn string(s: &str, escape_spaces: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b' ' if escape_spaces => out.push_str("\\ "),
            0x20..=0x7e => out.push(b as char),
            b => out.push_str(&format!("\\{:03o}", b)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        assert_eq!(super::string("a b\"\n\u{e9}", true), "a\\ b\\\"\\n\\303\\251");
        assert_eq!(super::string("a b", false), "a b");
    }
}
