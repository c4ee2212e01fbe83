//! Compressed RTF ([MS-OXRTFCP]): decompression of any bytes, and the
//! compressor's output decompressing back to its input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pstkit_store::rtf::{compress_rtf, compress_rtf_uncompressed, decompress_rtf};

fuzz_target!(|data: &[u8]| {
    let _ = decompress_rtf(data);
    // Round trips: both compressed forms give the input back.
    let c = compress_rtf(data);
    assert_eq!(
        decompress_rtf(&c).expect("compressed form decompresses"),
        data
    );
    let u = compress_rtf_uncompressed(data);
    assert_eq!(
        decompress_rtf(&u).expect("uncompressed form decompresses"),
        data
    );
});
