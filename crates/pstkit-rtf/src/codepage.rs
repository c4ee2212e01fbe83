//! Windows code pages as encodings, for the bytes of RTF text (`\ansicpgN`,
//! `\cpgN`, `\fcharsetN`) and for 8-bit property strings: the one table,
//! which `pstkit_ltp` re-exports, kept here so that this crate stands
//! without the rest of pstkit.

use encoding_rs::Encoding;

/// The encoding of a Windows code page, for 8-bit strings; `None` when the
/// code page is not one encoding_rs knows.
///
/// ISO-8859-1 and -9 map to windows-1252 and -1254, their supersets (as the
/// WHATWG encoding standard does); US-ASCII (20127) maps to UTF-8.
pub fn encoding_for_codepage(codepage: u32) -> Option<&'static Encoding> {
    use encoding_rs::*;
    Some(match codepage {
        874 => WINDOWS_874,
        1250 => WINDOWS_1250,
        1251 => WINDOWS_1251,
        1252 => WINDOWS_1252,
        1253 => WINDOWS_1253,
        1254 => WINDOWS_1254,
        1255 => WINDOWS_1255,
        1256 => WINDOWS_1256,
        1257 => WINDOWS_1257,
        1258 => WINDOWS_1258,
        866 => IBM866,
        932 => SHIFT_JIS,
        936 => GBK,
        949 => EUC_KR,
        950 => BIG5,
        1200 => UTF_16LE,
        1201 => UTF_16BE,
        10000 => MACINTOSH,
        20127 | 65001 => UTF_8,
        20866 => KOI8_R,
        21866 => KOI8_U,
        20932 | 51932 => EUC_JP,
        28591 => WINDOWS_1252,
        28592 => ISO_8859_2,
        28593 => ISO_8859_3,
        28594 => ISO_8859_4,
        28595 => ISO_8859_5,
        28596 => ISO_8859_6,
        28597 => ISO_8859_7,
        28598 => ISO_8859_8,
        28599 => WINDOWS_1254,
        28600 => ISO_8859_10,
        28603 => ISO_8859_13,
        28604 => ISO_8859_14,
        28605 => ISO_8859_15,
        28606 => ISO_8859_16,
        38598 => ISO_8859_8_I,
        50220..=50222 => ISO_2022_JP,
        54936 => GB18030,
        _ => return None,
    })
}
