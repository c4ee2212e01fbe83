//! Compressed RTF ([MS-OXRTFCP]): decompression of any bytes, and the
//! compressor's output decompressing back to its input. De-encapsulation
//! ([MS-OXRTFEX]) of the bytes as RTF, and of what they decompress to:
//! no panic, and output within its bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pstkit_store::rtf::{compress_rtf, compress_rtf_uncompressed, decompress_rtf};
use pstkit_store::rtfex::{deencapsulate, Encapsulated};

fn deencapsulate_bounded(rtf: &[u8]) {
    if let Some(Encapsulated::Html(s) | Encapsulated::Text(s)) = deencapsulate(rtf) {
        assert!(
            s.len() <= rtf.len() * 3,
            "{} bytes from {}",
            s.len(),
            rtf.len()
        );
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(rtf) = decompress_rtf(data) {
        deencapsulate_bounded(&rtf);
    }
    deencapsulate_bounded(data);
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
