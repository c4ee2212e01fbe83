//! Content lines of vCard 3.0 (RFC 2425/2426) and iCalendar (RFC 5545):
//! value escaping, parameter quoting and folding at 75 octets.

/// Escapes a TEXT value: `\` `;` `,` get a backslash, every line break
/// (CRLF, CR or LF) becomes `\n`, and other control characters (except
/// tab), which the formats do not allow, are dropped.
pub(crate) fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value: control characters and `"` (which cannot be
/// escaped in a parameter) are dropped; the value is quoted when it holds
/// `:`, `;` or `,`.
pub(crate) fn param_value(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|&c| c != '"' && (!c.is_control() || c == '\t'))
        .collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// Appends `line` folded to lines of at most 75 octets (continuations start
/// with one space), never splitting a UTF-8 character, with CRLF ends.
pub(crate) fn push_folded(out: &mut String, line: &str) {
    const MAX: usize = 75;
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > MAX {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// Builds a vCard or iCalendar object line by line.
#[derive(Debug, Default)]
pub struct Lines {
    out: String,
}

impl Lines {
    /// A line whose value is written as is (already escaped or structured).
    pub fn raw(&mut self, name: &str, value: &str) {
        push_folded(&mut self.out, &format!("{name}:{value}"));
    }

    /// A TEXT property, escaped; nothing when the value is empty.
    pub fn text(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            self.raw(name, &escape_text(v));
        }
    }

    /// The text written so far.
    pub fn finish(self) -> String {
        self.out
    }
}

/// Standard base64 (RFC 4648, with padding), unbroken: the content-line
/// folding splits it.
pub fn base64(data: &[u8]) -> String {
    encodify::base64::STANDARD.encode(data)
}

/// Base64 in MIME's lines of 76 characters, CRLF between them (none after
/// the last: the boundary that follows brings its own).
pub(crate) fn base64_lines(data: &[u8]) -> Vec<u8> {
    let engine = encodify::base64::MIME;
    let mut out = Vec::with_capacity(engine.encoded_len(data.len()));
    engine.encode_append(data, &mut out);
    if out.ends_with(b"\r\n") {
        out.truncate(out.len() - 2);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escaping() {
        assert_eq!(escape_text(r"a\b;c,d:e"), r"a\\b\;c\,d:e");
        assert_eq!(escape_text("l1\r\nl2\nl3\rl4"), r"l1\nl2\nl3\nl4");
        assert_eq!(escape_text("tab\there\u{0}\u{7}"), "tab\there");
        assert_eq!(escape_text("日本語"), "日本語");
    }

    #[test]
    fn parameter_values() {
        assert_eq!(param_value("Jane Doe"), "Jane Doe");
        assert_eq!(param_value("Doe, Jane"), "\"Doe, Jane\"");
        assert_eq!(param_value("say \"hi\":x"), "\"say hi:x\"");
    }

    #[test]
    fn folding_at_75_octets() {
        let mut out = String::new();
        push_folded(&mut out, &"a".repeat(75));
        assert_eq!(out, format!("{}\r\n", "a".repeat(75)));

        let mut out = String::new();
        push_folded(&mut out, &"a".repeat(200));
        let lines: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].len(), 75);
        assert_eq!(lines[1], format!(" {}", "a".repeat(74)));
        assert_eq!(lines[2], format!(" {}", "a".repeat(51)));

        // Three-byte characters: never split, no line over 75 octets.
        let mut out = String::new();
        let text = format!("SUMMARY:{}", "日".repeat(60));
        push_folded(&mut out, &text);
        for l in out.trim_end_matches("\r\n").split("\r\n") {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, text);
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, enc) in cases {
            assert_eq!(base64(plain.as_bytes()), enc);
        }
        assert_eq!(base64(&[0xFF, 0xFE, 0x00]), "//4A");
        // Lines: 57 bytes to a line of 76 characters, CRLF between lines.
        let data: Vec<u8> = (0..200u32).map(|i| (i * 7) as u8).collect();
        let lines = base64_lines(&data);
        let text = String::from_utf8(lines).unwrap();
        let parts: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(parts.len(), 4);
        assert!(parts[..3].iter().all(|l| l.len() == 76));
        assert_eq!(parts.concat(), base64(&data));
        assert!(base64_lines(&[]).is_empty());
    }
}
