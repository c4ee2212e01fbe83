//! Folder names made safe as file-system path components.
//!
//! Folder names come from the file and may hold anything: `/`, NUL, line
//! breaks, `..`. A name must stay one component inside the output
//! directory, on Unix and on Windows (exports are often copied there), while
//! staying readable: letters of any script (日本語, é) are kept.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Longest component written, in bytes: under the 255 of common file
/// systems, with room for a ` (12)` suffix and an extension.
pub const MAX_COMPONENT_BYTES: usize = 200;

/// Characters Windows refuses in names, besides controls.
const WINDOWS_RESERVED: &[char] = &['<', '>', ':', '"', '|', '?', '*', '\\', '/'];

/// Names Windows reserves for devices, whatever the extension.
const DEVICE_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// One path component for a folder name: separators, controls and the
/// characters Windows reserves become `_`, outer white space and trailing
/// dots go, a leading dot becomes `_` (so no `.`, `..` or hidden entries,
/// and no clash with the `.…part` temporary files), device names get a `_`
/// prefix, and the result is cut to [`MAX_COMPONENT_BYTES`] on a character
/// boundary. Never empty.
pub(crate) fn sanitize_component(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_control() || WINDOWS_RESERVED.contains(&c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let mut s = trim(&mapped).to_string();
    if s.starts_with('.') {
        s.replace_range(..1, "_");
    }
    let stem = s.split('.').next().unwrap_or("");
    if DEVICE_NAMES.iter().any(|d| stem.eq_ignore_ascii_case(d)) {
        s.insert(0, '_');
    }
    if s.len() > MAX_COMPONENT_BYTES {
        let mut cut = MAX_COMPONENT_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s = trim(&s).to_string();
    }
    if s.is_empty() {
        s.push('_');
    }
    s
}

fn trim(s: &str) -> &str {
    s.trim()
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
}

/// Hands out distinct relative paths for folders: two sibling folders may
/// carry the same name, or names that sanitize alike; the later one gets
/// ` (2)`, ` (3)`, …. Compared case-insensitively, for file systems that are.
#[derive(Debug, Default)]
pub struct PathClaims {
    taken: HashSet<String>,
}

impl PathClaims {
    /// The path for folder `name` under `parent` (relative to the output
    /// directory), distinct from every path handed out before.
    pub(crate) fn claim(&mut self, parent: &Path, name: &str) -> PathBuf {
        let base = sanitize_component(name);
        let mut candidate = base.clone();
        let mut n = 1;
        loop {
            let path = parent.join(&candidate);
            let key = path.to_string_lossy().to_lowercase();
            if self.taken.insert(key) {
                return path;
            }
            n += 1;
            candidate = format!("{base} ({n})");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_controls_and_reserved_characters_are_replaced() {
        assert_eq!(sanitize_component("a/b"), "a_b");
        assert_eq!(sanitize_component("a\\b"), "a_b");
        assert_eq!(sanitize_component("nul\0here"), "nul_here");
        assert_eq!(sanitize_component("line\nbreak\ttab"), "line_break_tab");
        assert_eq!(sanitize_component("Re: what? <x>"), "Re_ what_ _x_");
        assert_eq!(sanitize_component("del\u{7f}c1\u{85}"), "del_c1_");
    }

    #[test]
    fn dot_components_and_blank_names_never_survive() {
        assert_eq!(sanitize_component("."), "_");
        assert_eq!(sanitize_component(".."), "_");
        assert_eq!(sanitize_component("..."), "_");
        assert_eq!(sanitize_component(""), "_");
        assert_eq!(sanitize_component("   "), "_");
        assert_eq!(sanitize_component(".hidden"), "_hidden");
        assert_eq!(sanitize_component("  Inbox  "), "Inbox");
        assert_eq!(sanitize_component("ends with dots..."), "ends with dots");
        assert_eq!(sanitize_component("ok.txt"), "ok.txt");
    }

    #[test]
    fn non_ascii_is_kept() {
        assert_eq!(sanitize_component("削除済みアイテム"), "削除済みアイテム");
        assert_eq!(
            sanitize_component("Éléments supprimés"),
            "Éléments supprimés"
        );
        assert_eq!(
            sanitize_component("連絡先 (Contact dedicated)"),
            "連絡先 (Contact dedicated)"
        );
    }

    #[test]
    fn device_names_are_prefixed() {
        assert_eq!(sanitize_component("CON"), "_CON");
        assert_eq!(sanitize_component("com1.txt"), "_com1.txt");
        assert_eq!(sanitize_component("CONTACTS"), "CONTACTS");
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary() {
        let long = "あ".repeat(100); // 300 bytes
        let s = sanitize_component(&long);
        assert!(s.len() <= MAX_COMPONENT_BYTES);
        assert_eq!(s, "あ".repeat(66));
        let s = sanitize_component(&format!("{} x", "a".repeat(199)));
        assert_eq!(s, "a".repeat(199)); // the cut leaves a trailing space, trimmed
    }

    #[test]
    fn claims_are_distinct_ignoring_case() {
        let mut c = PathClaims::default();
        let p = Path::new("Top");
        assert_eq!(c.claim(p, "Inbox"), Path::new("Top/Inbox"));
        assert_eq!(c.claim(p, "inbox"), Path::new("Top/inbox (2)"));
        assert_eq!(c.claim(p, "In/box"), Path::new("Top/In_box"));
        assert_eq!(c.claim(p, "In:box"), Path::new("Top/In_box (2)"));
        assert_eq!(
            c.claim(Path::new("Other"), "Inbox"),
            Path::new("Other/Inbox")
        );
    }
}
