//! Which code page an object's 8-bit strings (PtypString8) are stored in.
//!
//! MAPI stores 8-bit strings in the Windows ANSI code page of the system that
//! wrote them unless the object names one. Objects name it directly
//! (PidTagMessageCodepage), through the charset of their Internet form
//! (PidTagInternetCodepage, often a MIME charset such as ISO-2022-JP whose
//! Windows counterpart is the storage code page), or through their locale
//! (PidTagMessageLocaleId).

use pstkit_ltp::{PropValue, PropertyContext};

use crate::pid;

/// The Windows code page in which text of a MIME charset's language is stored.
pub fn storage_codepage(internet: u32) -> Option<u32> {
    Some(match internet {
        // Japanese: ISO-2022-JP variants and EUC-JP are stored as Shift_JIS.
        50220 | 50221 | 50222 | 51932 | 20932 | 932 => 932,
        52936 | 20936 | 936 | 54936 => 936,
        50225 | 51949 | 949 => 949,
        950 | 20000 | 20002 => 950,
        20127 | 28591 | 28605 | 1252 => 1252,
        28592 | 1250 => 1250,
        28595 | 20866 | 21866 | 1251 => 1251,
        28597 | 1253 => 1253,
        28599 | 1254 => 1254,
        28598 | 38598 | 1255 => 1255,
        28596 | 1256 => 1256,
        28594 | 28603 | 1257 => 1257,
        1258 => 1258,
        874 | 28601 => 874,
        65001 => 65001,
        _ => return None,
    })
}

/// The ANSI code page of a Windows locale id.
pub fn ansi_codepage_of_lcid(lcid: u32) -> u32 {
    let primary = lcid & 0x3FF;
    match primary {
        0x11 => 932,
        0x04 => match lcid {
            0x0404 | 0x0C04 | 0x1404 => 950,
            _ => 936,
        },
        0x12 => 949,
        0x1E => 874,
        0x2A => 1258,
        0x05 | 0x0E | 0x15 | 0x18 | 0x1B | 0x1C | 0x24 => 1250,
        // Serbo-Croatian: Cyrillic sublanguages use 1251.
        0x1A => match lcid {
            0x0C1A | 0x1C1A | 0x201A => 1251,
            _ => 1250,
        },
        0x02 | 0x19 | 0x22 | 0x23 | 0x2F | 0x3F | 0x40 | 0x44 | 0x50 => 1251,
        0x08 => 1253,
        0x1F | 0x2C | 0x43 => 1254,
        0x0D => 1255,
        0x01 | 0x20 | 0x29 => 1256,
        0x25..=0x27 => 1257,
        _ => 1252,
    }
}

fn positive(v: &PropValue) -> Option<u32> {
    match v {
        PropValue::Int32(v) if *v > 0 => Some(*v as u32),
        _ => None,
    }
}

/// The code page an object names for its 8-bit strings, if it names one.
pub fn object_codepage(pc: &PropertyContext<'_>) -> Option<u32> {
    codepage_named_by(|id| positive(&pc.get(id)?.ok()?))
}

/// [`object_codepage`] of properties about to be written: the writer files
/// a row's 8-bit strings in the code page a reader will read them in.
pub fn codepage_of_props(props: &[(pstkit_ltp::PropTag, PropValue)]) -> Option<u32> {
    codepage_named_by(|id| {
        props
            .iter()
            .find(|(t, _)| t.id() == id)
            .and_then(|(_, v)| positive(v))
    })
}

/// The one rule: PidTagMessageCodepage (1200 excepted: seen on files whose
/// 8-bit strings are ASCII), else PidTagInternetCodepage, else the ANSI
/// code page of PidTagMessageLocaleId.
fn codepage_named_by(int: impl Fn(pstkit_ltp::PropId) -> Option<u32>) -> Option<u32> {
    if let Some(cp) = int(pid::MESSAGE_CODEPAGE).filter(|&c| c != 1200) {
        return Some(storage_codepage(cp).unwrap_or(cp));
    }
    if let Some(cp) = int(pid::INTERNET_CODEPAGE).and_then(storage_codepage) {
        return Some(cp);
    }
    int(pid::MESSAGE_LOCALE_ID).map(ansi_codepage_of_lcid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings() {
        assert_eq!(storage_codepage(50220), Some(932));
        assert_eq!(storage_codepage(20127), Some(1252));
        assert_eq!(storage_codepage(20866), Some(1251));
        assert_eq!(storage_codepage(12345), None);
        assert_eq!(ansi_codepage_of_lcid(1041), 932);
        assert_eq!(ansi_codepage_of_lcid(0x0804), 936);
        assert_eq!(ansi_codepage_of_lcid(0x0404), 950);
        assert_eq!(ansi_codepage_of_lcid(1049), 1251);
        assert_eq!(ansi_codepage_of_lcid(1033), 1252);
        assert_eq!(ansi_codepage_of_lcid(1046), 1252);
        assert_eq!(ansi_codepage_of_lcid(0x0415), 1250);
    }
}
