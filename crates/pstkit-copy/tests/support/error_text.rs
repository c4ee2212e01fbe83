//! Shared by the copy path's regression tests and its fuzz target
//! (`fuzz/fuzz_targets/copy.rs` includes this file by path): both compare
//! the errors a source and its copy give, whose ids and offsets differ.

/// `e` with each number (decimal, or hex after a digit) replaced by `#`.
pub fn without_numbers(e: &str) -> String {
    let mut out = String::with_capacity(e.len());
    let mut in_number = false;
    for c in e.chars() {
        if c.is_ascii_digit() || (in_number && (c.is_ascii_hexdigit() || c == 'x')) {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_become_marks() {
        assert_eq!(
            super::without_numbers("block 0x1F4 at offset 4400: bad CRC"),
            "block # at offset #: bad CRC"
        );
    }
}
