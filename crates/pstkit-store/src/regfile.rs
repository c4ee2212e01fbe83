//! The text `regedit` writes when it exports a registry key (a `.reg`
//! file), read into its keys and values.
//!
//! What the format is, and where that is said:
//!
//! - Registry Editor 5.00 exports start with the line `Windows Registry
//!   Editor Version 5.00` and are UTF-16LE with a byte-order mark and CRLF
//!   line ends; the older `REGEDIT4` format is 8-bit text in the system
//!   code page (Microsoft support article 310516, "How to add, modify, or
//!   delete registry subkeys and values by using a .reg file"; the encoding
//!   and line ends as regedit writes them are described in the public gist
//!   SalviaSage/8eba542dc27eea3379a1f7dad3f729a0, ".reg file encoding").
//!   UTF-8 and LF-only text, which editors produce from such files, are
//!   read too.
//! - `[path]` opens a key, `[-path]` deletes it; `"name"=data` sets a value,
//!   `@=data` the key's default value, `"name"=-` deletes a value; data is
//!   a quoted string, `dword:` and eight hex digits, `hex:` bytes
//!   (REG_BINARY) or `hex(N):` bytes of registry type N, the bytes as
//!   comma-separated pairs of hex digits (article 310516). Long `hex` data
//!   is wrapped: a line ending in `\` goes on in the next one.
//! - In a quoted string a backslash is written `\\` ("Registry element
//!   size limits", Win32 docs: `"C:\\mydir\\myfile"` stores
//!   `C:\mydir\myfile`) and a quote `\"`, as regedit writes them.
//! - A key name is at most 255 characters, a value name at most 16 383, and
//!   the registry is at most 512 levels deep ("Registry element size
//!   limits"); [`Limits`] holds the file to those and to sizes of its own.
//!
//! Every error names the line and column where the text stops making sense.
//! Nothing here panics on any input, and the memory it takes is bounded by
//! [`Limits::max_bytes`].

use std::borrow::Cow;

/// Bounds on what [`parse_with`] accepts. The defaults are the registry's
/// own limits where it has one, and generous sizes where it has none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest file, in bytes.
    pub max_bytes: usize,
    /// Longest physical line, in characters.
    pub max_line_chars: usize,
    /// Deepest key, in path components (the registry's limit is 512).
    pub max_depth: usize,
    /// Longest key name, one path component, in characters (255).
    pub max_key_name: usize,
    /// Longest value name, in characters (16 383).
    pub max_value_name: usize,
    /// Largest value, in bytes once decoded.
    pub max_value_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 32 << 20,
            max_line_chars: 1 << 20,
            max_depth: 512,
            max_key_name: 255,
            max_value_name: 16_383,
            max_value_bytes: 4 << 20,
        }
    }
}

/// Which of the two formats a file is in (its first line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegVersion {
    /// `Windows Registry Editor Version 5.00`.
    V5,
    /// `REGEDIT4`.
    Regedit4,
}

/// A parsed `.reg` file: its keys in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegFile {
    /// The header's format.
    pub version: RegVersion,
    /// Every `[key]` line with the values that follow it.
    pub keys: Vec<RegKey>,
}

/// One `[key]` or `[-key]` line and its values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegKey {
    /// The key's full path, as written (`HKEY_CURRENT_USER\Software\…`).
    pub path: String,
    /// `[-path]`: the key and everything below it is to be deleted.
    pub delete: bool,
    /// Line of the `[` (1-based).
    pub line: usize,
    /// The values, in file order.
    pub values: Vec<RegValue>,
}

impl RegKey {
    /// The key's path components.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.path.split('\\')
    }
}

/// One `name=data` line (with its continuation lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegValue {
    /// The value's name; `None` for the default value (`@`).
    pub name: Option<String>,
    /// What the line sets.
    pub data: RegData,
    /// Line the value starts on (1-based).
    pub line: usize,
}

/// The data of a value line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegData {
    /// A quoted string (REG_SZ), escapes resolved.
    String(String),
    /// `dword:` (REG_DWORD).
    Dword(u32),
    /// `hex:` (type 3, REG_BINARY) or `hex(N):` (type N), as bytes.
    Hex {
        /// The registry value type: 3 for `hex:`, N for `hex(N):`.
        kind: u32,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// `-`: the value is to be deleted.
    Delete,
}

/// A file that is not a `.reg` file, or one past a [`Limits`] bound.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct RegError {
    /// Line (1-based) where the problem is.
    pub line: usize,
    /// Column (1-based, in characters) where the problem is.
    pub column: usize,
    /// What the problem is.
    pub kind: RegErrorKind,
}

/// What is wrong with a `.reg` file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegErrorKind {
    /// The file is larger than [`Limits::max_bytes`].
    #[error("the file is {size} bytes, more than the {limit} bytes read")]
    TooLarge {
        /// The file's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// UTF-16 text with an odd number of bytes.
    #[error("the UTF-16 text ends in half a character (the file is cut off)")]
    TruncatedUtf16,
    /// UTF-16 text with a surrogate that has no partner.
    #[error("the UTF-16 text has an unpaired surrogate 0x{0:04X}")]
    BadUtf16(u16),
    /// The first line is not a header regedit writes.
    #[error(
        "not a regedit export: the first line is neither \"Windows Registry Editor Version 5.00\" nor \"REGEDIT4\""
    )]
    NoHeader,
    /// A line longer than [`Limits::max_line_chars`].
    #[error("the line is longer than {limit} characters")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// A `[` line without its closing `]`.
    #[error("the key line has no closing ']'")]
    UnclosedKey,
    /// An empty path component (`a\\b`, a leading or trailing `\`).
    #[error("the key path has an empty name in it")]
    EmptyKeyName,
    /// A key path deeper than [`Limits::max_depth`].
    #[error("the key path is more than {limit} levels deep")]
    KeyTooDeep {
        /// The limit.
        limit: usize,
    },
    /// A key name longer than [`Limits::max_key_name`].
    #[error("a key name is longer than {limit} characters")]
    KeyNameTooLong {
        /// The limit.
        limit: usize,
    },
    /// A value name longer than [`Limits::max_value_name`].
    #[error("the value name is longer than {limit} characters")]
    ValueNameTooLong {
        /// The limit.
        limit: usize,
    },
    /// Value data larger than [`Limits::max_value_bytes`].
    #[error("the value is larger than {limit} bytes")]
    ValueTooLarge {
        /// The limit.
        limit: usize,
    },
    /// A value line before any `[key]` line.
    #[error("a value before any [key] line")]
    ValueOutsideKey,
    /// A value line in a `[-key]` (deleted) key.
    #[error("a value in a key that the file deletes")]
    ValueInDeletedKey,
    /// A line that is neither a key, a value nor a comment.
    #[error("expected a [key] line, a \"name\"= or @= value line, or a ; comment")]
    UnexpectedLine,
    /// A quoted string without its closing quote.
    #[error("the quoted string does not end on this line")]
    UnterminatedString,
    /// A backslash before something other than `\` or `"`.
    #[error("'\\{0}' is not an escape a .reg file has (only \\\\ and \\\")")]
    BadEscape(char),
    /// No `=` after a value name.
    #[error("expected '=' after the value name")]
    ExpectedEquals,
    /// Something after the data.
    #[error("unexpected text after the value")]
    TrailingText,
    /// Data of no kind this format has.
    #[error("expected a quoted string, dword:, hex:, hex(N): or -")]
    UnknownData,
    /// `dword:` without one to eight hex digits.
    #[error("dword: takes one to eight hex digits")]
    BadDword,
    /// `hex(N)` with a bad N.
    #[error("hex(N): N must be a hex number of at most eight digits")]
    BadHexType,
    /// A byte that is not one or two hex digits.
    #[error("expected a byte as one or two hex digits")]
    BadHexByte,
    /// The file ends inside a value that a `\` continues.
    #[error("the value goes on ('\\' at the line's end) but the file ends")]
    ContinuationAtEnd,
}

/// Reads a `.reg` file with the default [`Limits`].
pub fn parse(bytes: &[u8]) -> Result<RegFile, RegError> {
    parse_with(bytes, &Limits::default())
}

/// Reads a `.reg` file (the bytes as they are on disk).
pub fn parse_with(bytes: &[u8], limits: &Limits) -> Result<RegFile, RegError> {
    if bytes.len() > limits.max_bytes {
        return Err(RegError {
            line: 1,
            column: 1,
            kind: RegErrorKind::TooLarge {
                size: bytes.len(),
                limit: limits.max_bytes,
            },
        });
    }
    let text = decode(bytes)?;
    Parser {
        lines: Lines::new(&text),
        limits,
    }
    .file()
}

/// The file's text: UTF-16 (by its byte-order mark, or by the zero bytes of
/// an ASCII header without one), UTF-8, or else Windows-1252 (the 8-bit
/// code page REGEDIT4 files are most often in; its every byte decodes).
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, RegError> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    if bytes.len() >= 2 && bytes[0] != 0 && bytes[1] == 0 {
        return utf16(bytes, u16::from_le_bytes);
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(_) => Ok(encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0),
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<Cow<'_, str>, RegError> {
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out = String::with_capacity(bytes.len());
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => out.push(c),
            Err(e) => {
                let (line, column) = end_position(&out);
                return Err(RegError {
                    line,
                    column,
                    kind: RegErrorKind::BadUtf16(e.unpaired_surrogate()),
                });
            }
        }
    }
    if bytes.len() % 2 == 1 {
        let (line, column) = end_position(&out);
        return Err(RegError {
            line,
            column,
            kind: RegErrorKind::TruncatedUtf16,
        });
    }
    Ok(Cow::Owned(out))
}

/// The line and column just past the end of `text`.
fn end_position(text: &str) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    let mut prev_cr = false;
    for c in text.chars() {
        match c {
            '\n' if prev_cr => {}
            '\n' | '\r' => {
                line += 1;
                column = 1;
            }
            _ => column += 1,
        }
        prev_cr = c == '\r';
    }
    (line, column)
}

/// Physical lines: split at CRLF, LF or a lone CR, numbered from 1.
struct Lines<'t> {
    rest: &'t str,
    number: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        Lines {
            rest: text,
            number: 0,
        }
    }

    /// The next line and its number, without its line end.
    fn next_line(&mut self) -> Option<(usize, &'t str)> {
        if self.rest.is_empty() {
            return None;
        }
        self.number += 1;
        let end = self.rest.find(['\r', '\n']).unwrap_or(self.rest.len());
        let line = &self.rest[..end];
        let after = &self.rest[end..];
        self.rest = after
            .strip_prefix("\r\n")
            .or_else(|| after.strip_prefix('\n'))
            .or_else(|| after.strip_prefix('\r'))
            .unwrap_or(after);
        Some((self.number, line))
    }
}

/// A place in a line: the line number and the line, for errors.
#[derive(Clone, Copy)]
struct At<'t> {
    number: usize,
    line: &'t str,
}

impl At<'_> {
    /// An error at byte offset `offset` of the line.
    fn err(self, offset: usize, kind: RegErrorKind) -> RegError {
        let offset = offset.min(self.line.len());
        let column = self
            .line
            .get(..offset)
            .map_or(offset, |prefix| prefix.chars().count())
            + 1;
        RegError {
            line: self.number,
            column,
            kind,
        }
    }

    /// The byte offset of `part`, a subslice of the line.
    fn offset_of(self, part: &str) -> usize {
        (part.as_ptr() as usize).saturating_sub(self.line.as_ptr() as usize)
    }
}

struct Parser<'t, 'l> {
    lines: Lines<'t>,
    limits: &'l Limits,
}

impl<'t> Parser<'t, '_> {
    /// The next physical line, held to the line-length limit.
    fn line(&mut self) -> Result<Option<At<'t>>, RegError> {
        let Some((number, line)) = self.lines.next_line() else {
            return Ok(None);
        };
        let at = At { number, line };
        if line.len() > self.limits.max_line_chars {
            if let Some((i, _)) = line.char_indices().nth(self.limits.max_line_chars) {
                return Err(at.err(
                    i,
                    RegErrorKind::LineTooLong {
                        limit: self.limits.max_line_chars,
                    },
                ));
            }
        }
        Ok(Some(at))
    }

    fn file(mut self) -> Result<RegFile, RegError> {
        let version = loop {
            let Some(at) = self.line()? else {
                return Err(RegError {
                    line: 1,
                    column: 1,
                    kind: RegErrorKind::NoHeader,
                });
            };
            match at.line.trim() {
                "" => continue,
                "Windows Registry Editor Version 5.00" => break RegVersion::V5,
                "REGEDIT4" => break RegVersion::Regedit4,
                _ => return Err(at.err(0, RegErrorKind::NoHeader)),
            }
        };
        let mut keys: Vec<RegKey> = Vec::new();
        while let Some(at) = self.line()? {
            let body = at.line.trim_start();
            let start = at.offset_of(body);
            match body.chars().next() {
                None | Some(';') => {}
                Some('[') => keys.push(self.key(at, start)?),
                Some('"') | Some('@') => {
                    let Some(key) = keys.last_mut() else {
                        return Err(at.err(start, RegErrorKind::ValueOutsideKey));
                    };
                    if key.delete {
                        return Err(at.err(start, RegErrorKind::ValueInDeletedKey));
                    }
                    let value = self.value(at, start)?;
                    key.values.push(value);
                }
                Some(_) => return Err(at.err(start, RegErrorKind::UnexpectedLine)),
            }
        }
        Ok(RegFile { version, keys })
    }

    /// `[path]` or `[-path]`, starting at byte `start` of the line.
    fn key(&self, at: At<'t>, start: usize) -> Result<RegKey, RegError> {
        let body = at.line[start..].trim_end();
        let Some(inner) = body.strip_prefix('[').and_then(|b| b.strip_suffix(']')) else {
            return Err(at.err(start + body.len(), RegErrorKind::UnclosedKey));
        };
        let (delete, path) = match inner.strip_prefix('-') {
            Some(p) => (true, p),
            None => (false, inner),
        };
        let mut depth = 0usize;
        for name in path.split('\\') {
            let offset = at.offset_of(name);
            depth += 1;
            if depth > self.limits.max_depth {
                return Err(at.err(
                    offset,
                    RegErrorKind::KeyTooDeep {
                        limit: self.limits.max_depth,
                    },
                ));
            }
            if name.is_empty() {
                return Err(at.err(offset, RegErrorKind::EmptyKeyName));
            }
            if name.chars().count() > self.limits.max_key_name {
                return Err(at.err(
                    offset,
                    RegErrorKind::KeyNameTooLong {
                        limit: self.limits.max_key_name,
                    },
                ));
            }
        }
        Ok(RegKey {
            path: path.to_string(),
            delete,
            line: at.number,
            values: Vec::new(),
        })
    }

    /// `"name"=data` or `@=data`, starting at byte `start` of the line.
    fn value(&mut self, at: At<'t>, start: usize) -> Result<RegValue, RegError> {
        let rest = &at.line[start..];
        let (name, rest) = if let Some(r) = rest.strip_prefix('@') {
            (None, r)
        } else {
            let (name, r) = quoted(at, start)?;
            if name.chars().count() > self.limits.max_value_name {
                return Err(at.err(
                    start,
                    RegErrorKind::ValueNameTooLong {
                        limit: self.limits.max_value_name,
                    },
                ));
            }
            (Some(name), r)
        };
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            return Err(at.err(at.offset_of(rest), RegErrorKind::ExpectedEquals));
        };
        let data = rest.trim_start();
        let data_at = at.offset_of(data);
        let data = if data.starts_with('"') {
            let (s, after) = quoted(at, data_at)?;
            end_of_value(at, after)?;
            if s.len() > self.limits.max_value_bytes {
                return Err(at.err(
                    data_at,
                    RegErrorKind::ValueTooLarge {
                        limit: self.limits.max_value_bytes,
                    },
                ));
            }
            RegData::String(s)
        } else if let Some(after) = data.strip_prefix('-') {
            end_of_value(at, after)?;
            RegData::Delete
        } else if let Some(digits) = strip_prefix_ignore_case(data, "dword:") {
            let digits = digits.trim_end();
            if digits.is_empty()
                || digits.len() > 8
                || !digits.bytes().all(|c| c.is_ascii_hexdigit())
            {
                return Err(at.err(at.offset_of(digits), RegErrorKind::BadDword));
            }
            RegData::Dword(
                u32::from_str_radix(digits, 16)
                    .map_err(|_| at.err(at.offset_of(digits), RegErrorKind::BadDword))?,
            )
        } else if let Some(after) = strip_prefix_ignore_case(data, "hex") {
            let (kind, bytes) = self.hex(at, after)?;
            RegData::Hex { kind, bytes }
        } else {
            return Err(at.err(data_at, RegErrorKind::UnknownData));
        };
        Ok(RegValue {
            name,
            data,
            line: at.number,
        })
    }

    /// What follows `hex`: `:` or `(N):`, then bytes, over as many lines as
    /// end in `\`.
    fn hex(&mut self, at: At<'t>, after: &'t str) -> Result<(u32, Vec<u8>), RegError> {
        let (kind, mut list) = if let Some(r) = after.strip_prefix(':') {
            (3, r)
        } else if let Some(r) = after.strip_prefix('(') {
            let close = r.find(')').unwrap_or(r.len());
            let n = &r[..close];
            let bad = || at.err(at.offset_of(n), RegErrorKind::BadHexType);
            if n.is_empty() || n.len() > 8 || !n.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad());
            }
            let kind = u32::from_str_radix(n, 16).map_err(|_| bad())?;
            match r[close..].strip_prefix("):") {
                Some(list) => (kind, list),
                None => return Err(bad()),
            }
        } else {
            return Err(at.err(at.offset_of(after), RegErrorKind::UnknownData));
        };
        let mut line = at;
        let mut bytes = Vec::new();
        loop {
            let trimmed = list.trim_end();
            let (items, more) = match trimmed.strip_suffix('\\') {
                Some(items) => (items, true),
                None => (trimmed, false),
            };
            let mut items = items.trim();
            // A continued line ends in a comma before its backslash; the
            // last line of a value ends without one.
            items = items.strip_suffix(',').unwrap_or(items);
            if !items.trim().is_empty() {
                for item in items.split(',') {
                    let digits = item.trim();
                    if digits.is_empty()
                        || digits.len() > 2
                        || !digits.bytes().all(|c| c.is_ascii_hexdigit())
                    {
                        let offset = line.offset_of(digits);
                        return Err(line.err(offset, RegErrorKind::BadHexByte));
                    }
                    if bytes.len() >= self.limits.max_value_bytes {
                        return Err(at.err(
                            0,
                            RegErrorKind::ValueTooLarge {
                                limit: self.limits.max_value_bytes,
                            },
                        ));
                    }
                    let b = u8::from_str_radix(digits, 16)
                        .map_err(|_| line.err(line.offset_of(digits), RegErrorKind::BadHexByte))?;
                    bytes.push(b);
                }
            }
            if !more {
                return Ok((kind, bytes));
            }
            match self.line()? {
                Some(next) => {
                    line = next;
                    list = next.line;
                }
                None => {
                    return Err(line.err(line.line.len(), RegErrorKind::ContinuationAtEnd));
                }
            }
        }
    }
}

/// `s` without a leading `prefix`, compared without regard to ASCII case.
fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// A quoted string starting at byte `start` of the line (at its `"`): the
/// text with escapes resolved, and the rest of the line after it.
fn quoted<'t>(at: At<'t>, start: usize) -> Result<(String, &'t str), RegError> {
    let body = &at.line[start..];
    let mut out = String::new();
    let mut chars = body.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &body[i + 1..])),
            '\\' => match chars.next() {
                Some((_, e @ ('\\' | '"'))) => out.push(e),
                Some((j, e)) => return Err(at.err(start + j - 1, RegErrorKind::BadEscape(e))),
                None => break,
            },
            c => out.push(c),
        }
    }
    Err(at.err(start, RegErrorKind::UnterminatedString))
}

/// Only blanks may follow a value's data.
fn end_of_value(at: At<'_>, after: &str) -> Result<(), RegError> {
    let t = after.trim_start();
    if t.is_empty() {
        Ok(())
    } else {
        Err(at.err(at.offset_of(t), RegErrorKind::TrailingText))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le_bom(text: &str) -> Vec<u8> {
        let mut b = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        b
    }

    const SAMPLE: &str = "Windows Registry Editor Version 5.00\r\n\
\r\n\
[HKEY_CURRENT_USER\\Software\\Test]\r\n\
@=\"default\"\r\n\
\"Path\"=\"C:\\\\mydir\\\\my \\\"file\\\"\"\r\n\
\"Count\"=dword:0000002a\r\n\
\"Blob\"=hex:00,01,ab,\\\r\n\
  CD,ff\r\n\
\"Multi\"=hex(7):61,00,00,00,00,00\r\n\
\"Empty\"=hex:\r\n\
\"Gone\"=-\r\n\
; a comment\r\n\
\r\n\
[-HKEY_CURRENT_USER\\Software\\Old]\r\n";

    fn check_sample(f: &RegFile) {
        assert_eq!(f.keys.len(), 2);
        let k = &f.keys[0];
        assert_eq!(k.path, "HKEY_CURRENT_USER\\Software\\Test");
        assert!(!k.delete);
        assert_eq!(k.line, 3);
        let v = &k.values;
        assert_eq!(v.len(), 7);
        assert_eq!(v[0].name, None);
        assert_eq!(v[0].data, RegData::String("default".into()));
        assert_eq!(v[1].name.as_deref(), Some("Path"));
        assert_eq!(v[1].data, RegData::String("C:\\mydir\\my \"file\"".into()));
        assert_eq!(v[2].data, RegData::Dword(42));
        assert_eq!(
            v[3].data,
            RegData::Hex {
                kind: 3,
                bytes: vec![0, 1, 0xab, 0xcd, 0xff]
            }
        );
        assert_eq!(v[3].line, 7);
        assert_eq!(
            v[4].data,
            RegData::Hex {
                kind: 7,
                bytes: vec![0x61, 0, 0, 0, 0, 0]
            }
        );
        assert_eq!(
            v[5].data,
            RegData::Hex {
                kind: 3,
                bytes: vec![]
            }
        );
        assert_eq!(v[6].data, RegData::Delete);
        assert!(f.keys[1].delete);
        assert_eq!(f.keys[1].path, "HKEY_CURRENT_USER\\Software\\Old");
    }

    #[test]
    fn reads_every_encoding_and_line_end() {
        let lf = SAMPLE.replace("\r\n", "\n");
        let cr = SAMPLE.replace("\r\n", "\r");
        let v4 = SAMPLE.replace("Windows Registry Editor Version 5.00", "REGEDIT4");
        for (what, bytes) in [
            ("UTF-16LE BOM CRLF", utf16le_bom(SAMPLE)),
            ("UTF-16LE BOM LF", utf16le_bom(&lf)),
            ("UTF-8 CRLF", SAMPLE.as_bytes().to_vec()),
            ("UTF-8 LF", lf.as_bytes().to_vec()),
            ("UTF-8 CR", cr.as_bytes().to_vec()),
            (
                "UTF-8 BOM",
                [&[0xEF, 0xBB, 0xBF][..], SAMPLE.as_bytes()].concat(),
            ),
            ("UTF-16LE without BOM", utf16le_bom(SAMPLE)[2..].to_vec()),
            (
                "UTF-16BE BOM",
                [0xFE, 0xFF]
                    .into_iter()
                    .chain(SAMPLE.encode_utf16().flat_map(u16::to_be_bytes))
                    .collect(),
            ),
            ("REGEDIT4", v4.as_bytes().to_vec()),
        ] {
            let f = parse(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
            check_sample(&f);
            let want = if what == "REGEDIT4" {
                RegVersion::Regedit4
            } else {
                RegVersion::V5
            };
            assert_eq!(f.version, want, "{what}");
        }
    }

    #[test]
    fn eight_bit_text_is_read_as_windows_1252() {
        let mut b = b"REGEDIT4\r\n[HKEY_CURRENT_USER\\X]\r\n\"Name\"=\"caf".to_vec();
        b.push(0xE9);
        b.extend_from_slice(b"\"\r\n");
        let f = parse(&b).unwrap();
        assert_eq!(f.keys[0].values[0].data, RegData::String("café".into()));
    }

    fn err(text: &str) -> RegError {
        parse(text.as_bytes()).unwrap_err()
    }

    #[test]
    fn errors_name_line_and_column() {
        let h = "Windows Registry Editor Version 5.00\n";
        let e = err(&format!("{h}[HKCU\\A]\n\"v\"=hex:00,0g\n"));
        assert_eq!(
            (e.line, e.column, e.kind.clone()),
            (3, 12, RegErrorKind::BadHexByte)
        );
        assert_eq!(
            e.to_string(),
            "line 3, column 12: expected a byte as one or two hex digits"
        );
        let e = err(&format!("{h}[HKCU\\A]\n\"v\"=hex:00,\\\n  01,xyz\n"));
        assert_eq!((e.line, e.column), (4, 6));
        assert_eq!(e.kind, RegErrorKind::BadHexByte);
        let e = err(&format!("{h}[HKCU\\A]\n\"v\"=hex:00,\\\n"));
        assert_eq!(e.kind, RegErrorKind::ContinuationAtEnd);
        assert_eq!(e.line, 3);
        let e = err(&format!("{h}\"v\"=dword:1\n"));
        assert_eq!((e.line, e.kind), (2, RegErrorKind::ValueOutsideKey));
        let e = err(&format!("{h}[HKCU\\A\n"));
        assert_eq!((e.line, e.kind), (2, RegErrorKind::UnclosedKey));
        let e = err(&format!("{h}[HKCU\\\\A]\n"));
        assert_eq!(
            (e.line, e.column, e.kind),
            (2, 7, RegErrorKind::EmptyKeyName)
        );
        let e = err(&format!("{h}[HKCU\\A]\n\"v\"=dword:123456789\n"));
        assert_eq!((e.line, e.column, e.kind), (3, 11, RegErrorKind::BadDword));
        let e = err(&format!("{h}[HKCU\\A]\n\"v\"=\"abc\n"));
        assert_eq!(
            (e.line, e.column, e.kind),
            (3, 5, RegErrorKind::UnterminatedString)
        );
        let e = err(&format!("{h}[HKCU\\A]\n\"v\"=\"a\\nb\"\n"));
        assert_eq!(
            (e.line, e.column, e.kind),
            (3, 7, RegErrorKind::BadEscape('n'))
        );
        let e = err(&format!("{h}[HKCU\\A]\n\"v\"=\"a\" x\n"));
        assert_eq!(
            (e.line, e.column, e.kind),
            (3, 9, RegErrorKind::TrailingText)
        );
        let e = err(&format!("{h}[HKCU\\A]\n\"v\" dword:1\n"));
        assert_eq!(e.kind, RegErrorKind::ExpectedEquals);
        let e = err(&format!("{h}[HKCU\\A]\n\"v\"=qword:1\n"));
        assert_eq!(e.kind, RegErrorKind::UnknownData);
        let e = err(&format!("{h}[HKCU\\A]\n\"v\"=hex(zz):00\n"));
        assert_eq!(e.kind, RegErrorKind::BadHexType);
        let e = err(&format!("{h}[-HKCU\\A]\n\"v\"=dword:1\n"));
        assert_eq!(e.kind, RegErrorKind::ValueInDeletedKey);
        let e = err(&format!("{h}garbage\n"));
        assert_eq!(
            (e.line, e.column, e.kind),
            (2, 1, RegErrorKind::UnexpectedLine)
        );
        let e = err("Windows Registry Editor Version 4.00\n");
        assert_eq!((e.line, e.kind), (1, RegErrorKind::NoHeader));
        let e = err("");
        assert_eq!(e.kind, RegErrorKind::NoHeader);
    }

    #[test]
    fn hostile_input_gets_a_clear_error() {
        // Truncated UTF-16: an odd number of bytes.
        let mut b = utf16le_bom(SAMPLE);
        b.push(0x41);
        let e = parse(&b).unwrap_err();
        assert_eq!(e.kind, RegErrorKind::TruncatedUtf16);
        assert_eq!(e.line, 15);
        // An unpaired surrogate.
        let mut b = utf16le_bom("Windows Registry Editor Version 5.00\r\n[HKCU\\");
        b.extend_from_slice(&0xD800u16.to_le_bytes());
        b.extend_from_slice(&u16::from(b']').to_le_bytes());
        let e = parse(&b).unwrap_err();
        assert_eq!(
            (e.line, e.column, e.kind),
            (2, 7, RegErrorKind::BadUtf16(0xD800))
        );
        // Too large.
        let limits = Limits {
            max_bytes: 100,
            ..Limits::default()
        };
        let e = parse_with(&[b'x'; 101], &limits).unwrap_err();
        assert!(matches!(
            e.kind,
            RegErrorKind::TooLarge {
                size: 101,
                limit: 100
            }
        ));
        // A huge line.
        let limits = Limits {
            max_line_chars: 64,
            ..Limits::default()
        };
        let text = format!("REGEDIT4\n[HKCU\\A]\n\"v\"=\"{}\"\n", "x".repeat(100));
        let e = parse_with(text.as_bytes(), &limits).unwrap_err();
        assert_eq!((e.line, e.column), (3, 65));
        assert_eq!(e.kind, RegErrorKind::LineTooLong { limit: 64 });
        // Deep keys and long names.
        let deep = format!("REGEDIT4\n[{}]\n", vec!["k"; 513].join("\\"));
        let e = err(&deep);
        assert_eq!((e.line, e.column), (2, 2 + 512 * 2));
        assert_eq!(e.kind, RegErrorKind::KeyTooDeep { limit: 512 });
        let long = format!("REGEDIT4\n[HKCU\\{}]\n", "n".repeat(256));
        assert_eq!(err(&long).kind, RegErrorKind::KeyNameTooLong { limit: 255 });
        let long = format!("REGEDIT4\n[HKCU]\n\"{}\"=dword:1\n", "n".repeat(16_384));
        assert_eq!(
            err(&long).kind,
            RegErrorKind::ValueNameTooLong { limit: 16_383 }
        );
        // A value past its limit, over continuation lines.
        let limits = Limits {
            max_value_bytes: 4,
            ..Limits::default()
        };
        let text = "REGEDIT4\n[HKCU]\n\"v\"=hex:00,01,\\\n 02,03,\\\n 04\n";
        let e = parse_with(text.as_bytes(), &limits).unwrap_err();
        assert_eq!(
            (e.line, e.kind),
            (3, RegErrorKind::ValueTooLarge { limit: 4 })
        );
    }

    #[test]
    fn odd_but_valid_forms() {
        let text = "\n\nREGEDIT4\n  [HKCU\\A] \n  \"v\" = dword:A \n@=-\n\"h\"=HEX(2):41 , 00,00,00\n\"n\"=hex(0):\n";
        let f = parse(text.as_bytes()).unwrap();
        let v = &f.keys[0].values;
        assert_eq!(v[0].data, RegData::Dword(10));
        assert_eq!(
            (v[1].name.clone(), v[1].data.clone()),
            (None, RegData::Delete)
        );
        assert_eq!(
            v[2].data,
            RegData::Hex {
                kind: 2,
                bytes: vec![0x41, 0, 0, 0]
            }
        );
        assert_eq!(
            v[3].data,
            RegData::Hex {
                kind: 0,
                bytes: vec![]
            }
        );
        // Names may hold brackets, equals signs and escaped quotes.
        let text = "REGEDIT4\n[HKCU\\a]b]\n\"x=\\\"y\\\"\"=\"]\"\n";
        let f = parse(text.as_bytes()).unwrap();
        assert_eq!(f.keys[0].path, "HKCU\\a]b");
        assert_eq!(f.keys[0].values[0].name.as_deref(), Some("x=\"y\""));
    }
}
