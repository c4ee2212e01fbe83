//! The CRC-32 of [MS-PST]: the IEEE polynomial, reflected, with initial value 0
//! and no final XOR. That is zlib's CRC with both inversions undone, so it runs
//! on `crc32fast`'s SIMD code.

/// CRC of `data` as stored in PST headers, pages and blocks.
pub fn crc(data: &[u8]) -> u32 {
    crc_continue(0, data)
}

/// Continues a PST CRC over more bytes, for input that arrives in pieces.
pub(crate) fn crc_continue(seed: u32, data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(!seed);
    h.update(data);
    !h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors() {
        assert_eq!(crc(b""), 0);
        assert_eq!(crc(b"a"), 0x3AB5_51CE);
        assert_eq!(crc(b"123456789"), 0x2DFD_2D88);
        assert_eq!(crc(&[0u8; 16]), 0);
        assert_eq!(crc(&[0u8; 496]), 0);
        assert_eq!(crc(b"password"), 0x50E0_99BC);
        let utf16: Vec<u8> = "content-class"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(crc(&utf16), 0xE600_8F65);
    }

    #[test]
    fn chunked_equals_whole() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let (a, b) = data.split_at(333);
        assert_eq!(crc_continue(crc(a), b), crc(&data));
    }
}
