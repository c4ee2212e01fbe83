//! Property ids are written down once, in the property table
//! (`pstkit-ltp/src/props.rs`, and `pstkit-store/src/lids.rs` for named
//! properties). This walks the source of every crate and fails on a
//! property id or tag spelled as a number anywhere else, so that a number
//! cannot drift from its name. Unit tests (after a file's first
//! `#[cfg(test)]`) and comments are left out: they may well pin numbers.
//!
//! What counts as spelling an id: `PropId(0x…)`, `PropTag(0x…)`, an id
//! compared with a number (`.0 == 0x…`), an `id: 0x…` struct field (a
//! catalogue row keyed by a bare number) and an eight-digit literal that
//! reads as a tag. `pstkit-store/src/profile.rs` is not flagged and need
//! not be: its `u16` constants and `(id, name)` pairs are ids of MAPI
//! profile sections (PR_PROFILE_*, read from the Windows registry), a
//! namespace of its own that the property table does not describe, and none
//! of them takes one of these forms.

use std::fs;
use std::path::{Path, PathBuf};

use pstkit_ltp::PropType;

/// The files allowed to spell ids, relative to `crates/`.
const TABLES: &[&str] = &["pstkit-ltp/src/props.rs", "pstkit-store/src/lids.rs"];

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in crates/")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `src/**/*.rs` of every crate.
fn sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(crates) = fs::read_dir(crates_dir()) else {
        return files;
    };
    for krate in crates.flatten() {
        rust_files(&krate.path().join("src"), &mut files);
    }
    files.sort();
    files
}

/// The number of `#`s of a raw string literal (`r"…"`, `r#"…"#`) that
/// starts at `chars[i]`, if one does.
fn raw_string_at(chars: &[char], i: usize) -> Option<usize> {
    if chars.get(i) != Some(&'r') {
        return None;
    }
    let word = |at: usize| chars[at].is_alphanumeric() || chars[at] == '_';
    // `br"…"` is a raw byte string; `xr"…"` is no raw string at all.
    let byte_prefix = i > 0 && chars[i - 1] == 'b' && (i == 1 || !word(i - 2));
    if i > 0 && word(i - 1) && !byte_prefix {
        return None;
    }
    let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
    (chars.get(i + 1 + hashes) == Some(&'"')).then_some(hashes)
}

/// `text` with comments and the insides of string and character literals
/// blanked out (newlines kept, so line numbers stay): what is left is code.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_at(&chars, i) {
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            out.push('r');
            out.extend(close[1..].iter());
            out.push('"');
            i += 2 + hashes;
            while i < chars.len() && !chars[i..].starts_with(&close) {
                out.push(blank(chars[i]));
                i += 1;
            }
            out.extend(close.iter());
            i += close.len();
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if let Some(&ch) = chars.get(i) {
                    out.push(blank(ch));
                }
                i += 1;
            }
            out.push('"');
            i += 1;
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A character literal ('x', '\n', '\u{..}'); a lone quote is a lifetime.
            out.push('\'');
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if let Some(&ch) = chars.get(i) {
                    out.push(blank(ch));
                }
                i += 1;
            }
            out.push('\'');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

/// Whether `code` holds a literal of eight hex digits (`0x0E3C_0102` or
/// `0x0E3C0102`) whose low half is a property type and whose high half is
/// a tagged-property id: a property tag spelled as a number.
fn has_tag_literal(code: &str) -> bool {
    let bytes = code.as_bytes();
    let mut at = 0;
    while let Some(found) = code[at..].find("0x") {
        let start = at + found;
        at = start + 2;
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        let digits: Vec<u8> = bytes[start + 2..]
            .iter()
            .copied()
            .take_while(|&c| is_hex(c) || c == b'_')
            .filter(|&c| c != b'_')
            .collect();
        if digits.len() != 8 {
            continue;
        }
        let Ok(text) = std::str::from_utf8(&digits) else {
            continue;
        };
        let Ok(value) = u32::from_str_radix(text, 16) else {
            continue;
        };
        let (id, ptype) = ((value >> 16) as u16, value as u16);
        if ptype != 0 && !matches!(PropType::from_code(ptype), PropType::Unknown(_)) && id < 0x8000
        {
            return true;
        }
    }
    false
}

/// Why a line of code spells a property id, if it does.
fn raw_id(code: &str) -> Option<&'static str> {
    const CALLS: &[(&str, &str)] = &[
        ("PropId(0x", "PropId built from a number"),
        ("PropTag(0x", "PropTag built from a number"),
        (".0 == 0x", "id compared with a number"),
        (".0 != 0x", "id compared with a number"),
    ];
    for (needle, why) in CALLS {
        if code.contains(needle) {
            return Some(why);
        }
    }
    if has_id_field_literal(code) {
        return Some("id field set from a number");
    }
    has_tag_literal(code).then_some("property tag as a number")
}

/// Whether `code` sets a field named `id` (not `nid`, `folder_id`) from a
/// hex literal: `Entry { id: 0x6619, … }`.
fn has_id_field_literal(code: &str) -> bool {
    let bytes = code.as_bytes();
    code.match_indices("id: 0x")
        .any(|(at, _)| at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_'))
}

/// The offending lines of one file's text, as `line: text (why)`.
fn offences(text: &str) -> Vec<String> {
    let before_tests = text.split("#[cfg(test)]").next().unwrap_or("");
    let code = code_only(before_tests);
    before_tests
        .lines()
        .zip(code.lines())
        .enumerate()
        .filter_map(|(n, (line, code))| {
            raw_id(code).map(|why| format!("{}: {} ({why})", n + 1, line.trim()))
        })
        .collect()
}

#[test]
fn no_raw_property_ids_outside_the_table() {
    let root = crates_dir();
    let files = sources();
    assert!(
        files.len() > 20,
        "found only {} source files under {}",
        files.len(),
        root.display()
    );
    let mut found = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&root).unwrap_or(&path);
        let rel_text = rel.to_string_lossy().replace('\\', "/");
        // A `tests.rs` beside the code is a `#[cfg(test)]` module: tests
        // are aside, as below a `#[cfg(test)]` in any other file.
        if TABLES.contains(&rel_text.as_str()) || rel_text.ends_with("/tests.rs") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("readable source");
        for offence in offences(&text) {
            found.push(format!("{rel_text}:{offence}"));
        }
    }
    assert!(
        found.is_empty(),
        "property ids belong in pstkit-ltp/src/props.rs (named ones in \
         pstkit-store/src/lids.rs); use props::X or props::tags::X:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_sees_what_it_looks_for() {
    assert!(raw_id("let id = PropId(0x3001);").is_some());
    assert!(raw_id("PropTag::new(PropId(0x660B), PropType::Int32)").is_some());
    assert!(raw_id("    t(0x0E3C_0102),").is_some());
    assert!(raw_id("const T: u32 = 0x3001001F;").is_some());
    assert!(raw_id("if t.id().0 == 0x001A {").is_some());
    assert!(raw_id("    Entry { id: 0x6619, ptype: PropType::Binary }").is_some());
    assert!(raw_id("        id: 0x7C04,").is_some());
    assert!(raw_id("        id: props::USER_ENTRY_ID,").is_none());
    assert!(raw_id("    Node { nid: 0x21, folder_id: 0x122 }").is_none());
    assert!(raw_id("let h = 0xCBF2_9CE4_8422_2325;").is_none());
    assert!(raw_id("Guid::from_fields(0x0002_0328, 0, 0, TAIL)").is_none());
    assert!(raw_id("const MAGIC: u32 = 0x4E44_4221;").is_none());
    let code = code_only(
        "a // PropId(0x3001)\n/// PropTag(0x3001001F)\nb(\"0x3001001F \\\" PropId(0x1)\", '\"', 'x');\n",
    );
    assert_eq!(code.lines().count(), 3);
    assert!(code.lines().all(|line| raw_id(line).is_none()), "{code}");
    assert!(code.contains("b(\""), "{code}");
    let raw = code_only("let s = r#\"PropId(0x1)\"#; let id = PropId(0x2);");
    assert!(raw.ends_with("PropId(0x2);"), "{raw}");
    let raw = code_only("let s = br\"\\\"; let id = PropId(0x2);");
    assert!(raw.ends_with("PropId(0x2);"), "{raw}");
    assert_eq!(
        offences("x\n y = \"a\\\n PropId(0x1)\";\n z = PropId(0x2);\n").len(),
        1
    );
    assert_eq!(
        offences("fn f() {}\n#[cfg(test)]\nmod t { const X: PropId = PropId(0x1); }\n"),
        Vec::<String>::new()
    );
}
