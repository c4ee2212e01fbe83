//! Decoded property values ([MS-OXCDATA] 2.11.1, [MS-PST] 2.3.3.4).
//!
//! [`PropValue::decode`] turns a type and the value's stored bytes into an
//! owned value. Property contexts and table contexts differ only in where
//! they find those bytes (inline, heap, subnode), so both end here.

use std::fmt;

use pstkit_ndb::Nid;

use crate::tag::PropType;

/// Why stored bytes are not a value of their type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A fixed-size value has the wrong length.
    #[error("{ptype} value is {found} bytes, expected {expected}")]
    Size {
        /// The type decoded.
        ptype: PropType,
        /// The type's size.
        expected: usize,
        /// The stored length.
        found: usize,
    },
    /// A packed multi-valued value is not a whole number of elements.
    #[error("{ptype} value of {found} bytes is not a whole number of {element}-byte elements")]
    Ragged {
        /// The type decoded.
        ptype: PropType,
        /// Size of one element.
        element: usize,
        /// The stored length.
        found: usize,
    },
    /// A variable-size multi-valued value is too short for its offset table.
    #[error("{ptype} value of {len} bytes cannot hold the {count} offsets its ulCount announces")]
    Count {
        /// The type decoded.
        ptype: PropType,
        /// `ulCount`.
        count: u32,
        /// The stored length.
        len: usize,
    },
    /// An item offset lies outside the value or before the previous item.
    #[error("{ptype} item {item}: offset {offset} is outside the value ({len} bytes) or before the previous item")]
    Offset {
        /// The type decoded.
        ptype: PropType,
        /// The item's position.
        item: usize,
        /// Its stored offset.
        offset: u32,
        /// The stored length.
        len: usize,
    },
    /// UTF-16 text with an odd number of bytes.
    #[error("{ptype} text of {len} bytes has an odd length for UTF-16")]
    OddUtf16 {
        /// The type decoded.
        ptype: PropType,
        /// The stored length.
        len: usize,
    },
}

/// A FILETIME: 100-nanosecond intervals since 1601-01-01 00:00 UTC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileTime(pub u64);

impl FileTime {
    /// Seconds between 1601-01-01 and the Unix epoch.
    pub const UNIX_EPOCH_SECS: i64 = 11_644_473_600;
    const TICKS_PER_SEC: u64 = 10_000_000;

    /// Whole seconds since the Unix epoch (negative before 1970), rounded down.
    pub fn to_unix_seconds(self) -> i64 {
        (self.0 / Self::TICKS_PER_SEC) as i64 - Self::UNIX_EPOCH_SECS
    }

    /// The sub-second part, in 100-nanosecond ticks.
    pub fn subsec_ticks(self) -> u32 {
        (self.0 % Self::TICKS_PER_SEC) as u32
    }

    /// The time as ISO 8601 UTC text, e.g. `2009-02-13T23:31:30Z`; a
    /// seven-digit fraction is added when the time is not on a whole second.
    /// Written without a date library so that the layer stays dependency-free.
    pub fn to_iso8601(self) -> String {
        let secs = self.to_unix_seconds();
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
        let frac = self.subsec_ticks();
        if frac == 0 {
            format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
        } else {
            format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{frac:07}Z")
        }
    }
}

/// Proleptic Gregorian date (year, month 1..=12, day 1..=31) of a day count
/// relative to 1970-01-01 (Howard Hinnant's `civil_from_days`), exact for
/// the whole range a FILETIME can hold.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Debug for FileTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileTime({})", self.to_iso8601())
    }
}

impl fmt::Display for FileTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso8601())
    }
}

/// The encoding of a Windows code page: the table lives with the RTF codec,
/// the lowest crate that needs it (RTF names code pages too).
pub use pstkit_rtf::codepage::encoding_for_codepage;

/// Code page for 8-bit strings when an object names none (or an unknown
/// one): Western European, what Outlook uses on most systems.
pub const DEFAULT_CODEPAGE: u32 = 1252;

/// Text of 8-bit string bytes in `codepage`, trailing NULs removed.
///
/// Code page 1200/1201 (UTF-16) is honoured only when the bytes contain a NUL;
/// files have been seen tagging plain 8-bit text with 1200, and such text
/// is then read as windows-1252. Unknown code pages fall back to 1252.
pub fn decode_codepage(bytes: &[u8], codepage: u32) -> String {
    let mut enc = encoding_for_codepage(codepage).unwrap_or(encoding_rs::WINDOWS_1252);
    if (codepage == 1200 || codepage == 1201) && !bytes.contains(&0) {
        enc = encoding_rs::WINDOWS_1252;
    }
    let (text, _) = enc.decode_without_bom_handling(bytes);
    text.trim_end_matches('\0').to_owned()
}

/// An 8-bit string as stored: the bytes, whose code page the file does not
/// record. Decode it with the owning object's code page.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct String8(pub Vec<u8>);

impl String8 {
    /// The stored bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text in `codepage` (see [`decode_codepage`]).
    pub fn decode(&self, codepage: u32) -> String {
        decode_codepage(&self.0, codepage)
    }
}

impl fmt::Debug for String8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "String8({:?})", self.decode(DEFAULT_CODEPAGE))
    }
}

/// An owned, decoded property value.
#[derive(Clone, Debug, PartialEq)]
pub enum PropValue {
    /// PtypNull or PtypUnspecified: no data.
    Null,
    /// PtypInteger16.
    Int16(i16),
    /// PtypInteger32.
    Int32(i32),
    /// PtypFloating32.
    Float32(f32),
    /// PtypFloating64.
    Float64(f64),
    /// PtypCurrency: the amount times 10 000.
    Currency(i64),
    /// PtypFloatingTime: days since 1899-12-30 (OLE automation date).
    FloatingTime(f64),
    /// PtypErrorCode.
    ErrorCode(u32),
    /// PtypBoolean.
    Boolean(bool),
    /// PtypInteger64.
    Int64(i64),
    /// PtypTime.
    Time(FileTime),
    /// PtypGuid, in stored byte order.
    Guid([u8; 16]),
    /// PtypString, trailing NULs removed.
    String(String),
    /// PtypString8, bytes as stored.
    String8(String8),
    /// PtypBinary.
    Binary(Vec<u8>),
    /// PtypObject: the subnode holding the object and its size.
    Object {
        /// Subnode (of the owning node) holding the object's data.
        nid: Nid,
        /// Size of the object's data, as recorded.
        size: u32,
    },
    /// PtypServerId, bytes as stored.
    ServerId(Vec<u8>),
    /// PtypRestriction, bytes as stored.
    Restriction(Vec<u8>),
    /// PtypRuleAction, bytes as stored.
    RuleAction(Vec<u8>),
    /// PtypMultipleInteger16.
    MultipleInt16(Vec<i16>),
    /// PtypMultipleInteger32.
    MultipleInt32(Vec<i32>),
    /// PtypMultipleFloating32.
    MultipleFloat32(Vec<f32>),
    /// PtypMultipleFloating64.
    MultipleFloat64(Vec<f64>),
    /// PtypMultipleCurrency.
    MultipleCurrency(Vec<i64>),
    /// PtypMultipleFloatingTime.
    MultipleFloatingTime(Vec<f64>),
    /// PtypMultipleInteger64.
    MultipleInt64(Vec<i64>),
    /// PtypMultipleTime.
    MultipleTime(Vec<FileTime>),
    /// PtypMultipleGuid.
    MultipleGuid(Vec<[u8; 16]>),
    /// PtypMultipleString.
    MultipleString(Vec<String>),
    /// PtypMultipleString8.
    MultipleString8(Vec<String8>),
    /// PtypMultipleBinary.
    MultipleBinary(Vec<Vec<u8>>),
    /// A type this layer does not interpret; bytes as stored.
    Unknown {
        /// The stored type code.
        ptype: u16,
        /// The stored bytes.
        bytes: Vec<u8>,
    },
}

fn fixed<const N: usize>(ptype: PropType, raw: &[u8]) -> Result<[u8; N], DecodeError> {
    raw.try_into().map_err(|_| DecodeError::Size {
        ptype,
        expected: N,
        found: raw.len(),
    })
}

fn packed<const N: usize, T>(
    ptype: PropType,
    raw: &[u8],
    f: impl Fn([u8; N]) -> T,
) -> Result<Vec<T>, DecodeError> {
    if !raw.len().is_multiple_of(N) {
        return Err(DecodeError::Ragged {
            ptype,
            element: N,
            found: raw.len(),
        });
    }
    Ok(raw
        .chunks_exact(N)
        .map(|c| {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            f(a)
        })
        .collect())
}

/// Splits a variable-size multi-valued value: `ulCount`, `ulCount` offsets
/// from the value's start, then the items back to back.
fn items(ptype: PropType, raw: &[u8]) -> Result<Vec<&[u8]>, DecodeError> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let len = raw.len();
    let count = match raw.get(..4) {
        Some(c) => u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
        None => {
            return Err(DecodeError::Count {
                ptype,
                count: 0,
                len,
            })
        }
    };
    let table_end = 4u64 + 4 * u64::from(count);
    if table_end > len as u64 {
        return Err(DecodeError::Count { ptype, count, len });
    }
    let offsets: Vec<u32> = raw[4..table_end as usize]
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let mut out = Vec::with_capacity(offsets.len());
    for (i, &start) in offsets.iter().enumerate() {
        let end = offsets.get(i + 1).copied().unwrap_or(len as u32);
        let bad = |offset| DecodeError::Offset {
            ptype,
            item: i,
            offset,
            len,
        };
        if u64::from(start) < table_end || start as usize > len {
            return Err(bad(start));
        }
        if end < start || end as usize > len {
            return Err(bad(end));
        }
        out.push(&raw[start as usize..end as usize]);
    }
    Ok(out)
}

/// UTF-16LE text with trailing NULs removed; unpaired surrogates become
/// U+FFFD rather than failing the whole value.
pub fn decode_utf16(ptype: PropType, raw: &[u8]) -> Result<String, DecodeError> {
    if !raw.len().is_multiple_of(2) {
        return Err(DecodeError::OddUtf16 {
            ptype,
            len: raw.len(),
        });
    }
    let mut end = raw.len();
    while end >= 2 && raw[end - 2] == 0 && raw[end - 1] == 0 {
        end -= 2;
    }
    Ok(utf16le_to_string(&raw[..end]))
}

/// UTF-16LE to UTF-8, unpaired surrogates as U+FFFD (what
/// [`String::from_utf16_lossy`] makes of them). Bodies are most of what an
/// export decodes, in every script: simdutf converts valid text with SIMD
/// whatever its mix of 1-, 2- and 3-byte characters (encoding_rs only
/// speeds up ASCII); the rare text with unpaired surrogates goes the slow
/// way.
fn utf16le_to_string(raw: &[u8]) -> String {
    debug_assert!(
        raw.len().is_multiple_of(2),
        "decode_utf16 checks the length"
    );
    // SAFETY: every bit pattern is a valid u16.
    let (head, aligned, tail) = unsafe { raw.align_to::<u16>() };
    let copied: Vec<u16>;
    let units = if head.is_empty() && tail.is_empty() {
        aligned
    } else {
        // Native byte order keeps the bytes as they are: simdutf reads
        // them as little-endian itself.
        copied = raw
            .chunks_exact(2)
            .map(|c| u16::from_ne_bytes([c[0], c[1]]))
            .collect();
        &copied
    };
    // At most 3 UTF-8 bytes per UTF-16 unit: one pass that converts and
    // validates, instead of validating, measuring and converting.
    let cap = units.len().saturating_mul(3);
    let mut out = Vec::<u8>::with_capacity(cap);
    // SAFETY: `out` has room for 3 bytes per unit, the most any UTF-16
    // (broken or not) converts to; simdutf writes only valid UTF-8 before
    // the position of an error, and reports an error for anything invalid.
    let done = unsafe {
        let r = simdutf::convert_utf16le_to_utf8_with_errors(
            units.as_ptr(),
            units.len(),
            out.as_mut_ptr(),
        );
        if r.error == simdutf::ErrorCode::Success {
            out.set_len(r.count.min(cap));
            Some(String::from_utf8_unchecked(out))
        } else {
            None
        }
    };
    match done {
        Some(mut text) => {
            if text.capacity() - text.len() > 4096 {
                text.shrink_to_fit();
            }
            text
        }
        // Unpaired surrogates: U+FFFD in their place, the slow way.
        None => {
            let mut decoder = encoding_rs::UTF_16LE.new_decoder_without_bom_handling();
            let cap = decoder
                .max_utf8_buffer_length(raw.len())
                .unwrap_or(raw.len().saturating_mul(3));
            let mut out = String::with_capacity(cap);
            let (_, _, _) = decoder.decode_to_string(raw, &mut out, true);
            out
        }
    }
}

impl PropValue {
    /// Whether [`PropValue::decode`] of the same bytes succeeds, and its
    /// error when it does not, without building the value: strings,
    /// binaries and other byte values are checked for what their decode
    /// can fail on (a UTF-16 string's odd length), not copied.
    pub fn check(ptype: PropType, raw: &[u8]) -> Result<(), DecodeError> {
        use PropType as T;
        match ptype {
            T::String if !raw.len().is_multiple_of(2) => decode_utf16(ptype, raw).map(drop),
            T::Unspecified
            | T::String
            | T::String8
            | T::Binary
            | T::ServerId
            | T::Restriction
            | T::RuleAction => Ok(()),
            _ => PropValue::decode(ptype, raw).map(drop),
        }
    }

    /// Decodes the stored bytes of a value of type `ptype`.
    ///
    /// Fixed-size types need exactly their size. Multi-valued fixed types
    /// are packed arrays; a PtypMultipleGuid with a leading count (as one
    /// other implementation writes) is accepted too. Empty bytes of a
    /// variable type are an empty value.
    pub fn decode(ptype: PropType, raw: &[u8]) -> Result<PropValue, DecodeError> {
        use PropType as T;
        Ok(match ptype {
            T::Null => PropValue::Null,
            // Kept with its own code, so that a copy stores the same tag.
            T::Unspecified => PropValue::Unknown {
                ptype: 0x0000,
                bytes: raw.to_vec(),
            },
            T::Int16 => PropValue::Int16(i16::from_le_bytes(fixed(ptype, raw)?)),
            T::Int32 => PropValue::Int32(i32::from_le_bytes(fixed(ptype, raw)?)),
            T::Float32 => PropValue::Float32(f32::from_le_bytes(fixed(ptype, raw)?)),
            T::Float64 => PropValue::Float64(f64::from_le_bytes(fixed(ptype, raw)?)),
            T::Currency => PropValue::Currency(i64::from_le_bytes(fixed(ptype, raw)?)),
            T::FloatingTime => PropValue::FloatingTime(f64::from_le_bytes(fixed(ptype, raw)?)),
            T::ErrorCode => PropValue::ErrorCode(u32::from_le_bytes(fixed(ptype, raw)?)),
            T::Boolean => PropValue::Boolean(fixed::<1>(ptype, raw)?[0] != 0),
            T::Int64 => PropValue::Int64(i64::from_le_bytes(fixed(ptype, raw)?)),
            T::Time => PropValue::Time(FileTime(u64::from_le_bytes(fixed(ptype, raw)?))),
            T::Guid => PropValue::Guid(fixed(ptype, raw)?),
            T::Object => {
                let b: [u8; 8] = fixed(ptype, raw)?;
                PropValue::Object {
                    nid: Nid(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                    size: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
                }
            }
            T::String => PropValue::String(decode_utf16(ptype, raw)?),
            T::String8 => PropValue::String8(String8(raw.to_vec())),
            T::Binary => PropValue::Binary(raw.to_vec()),
            T::ServerId => PropValue::ServerId(raw.to_vec()),
            T::Restriction => PropValue::Restriction(raw.to_vec()),
            T::RuleAction => PropValue::RuleAction(raw.to_vec()),
            T::MultipleInt16 => PropValue::MultipleInt16(packed(ptype, raw, i16::from_le_bytes)?),
            T::MultipleInt32 => PropValue::MultipleInt32(packed(ptype, raw, i32::from_le_bytes)?),
            T::MultipleFloat32 => {
                PropValue::MultipleFloat32(packed(ptype, raw, f32::from_le_bytes)?)
            }
            T::MultipleFloat64 => {
                PropValue::MultipleFloat64(packed(ptype, raw, f64::from_le_bytes)?)
            }
            T::MultipleCurrency => {
                PropValue::MultipleCurrency(packed(ptype, raw, i64::from_le_bytes)?)
            }
            T::MultipleFloatingTime => {
                PropValue::MultipleFloatingTime(packed(ptype, raw, f64::from_le_bytes)?)
            }
            T::MultipleInt64 => PropValue::MultipleInt64(packed(ptype, raw, i64::from_le_bytes)?),
            T::MultipleTime => {
                PropValue::MultipleTime(packed(ptype, raw, |b| FileTime(u64::from_le_bytes(b)))?)
            }
            T::MultipleGuid => {
                let counted = raw.len() % 16 == 4
                    && raw
                        .get(..4)
                        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        == Some((raw.len() / 16) as u32);
                let body = if counted { &raw[4..] } else { raw };
                PropValue::MultipleGuid(packed(ptype, body, |b: [u8; 16]| b)?)
            }
            T::MultipleString => PropValue::MultipleString(
                items(ptype, raw)?
                    .into_iter()
                    .map(|s| decode_utf16(ptype, s))
                    .collect::<Result<_, _>>()?,
            ),
            T::MultipleString8 => PropValue::MultipleString8(
                items(ptype, raw)?
                    .into_iter()
                    .map(|s| String8(s.to_vec()))
                    .collect(),
            ),
            T::MultipleBinary => PropValue::MultipleBinary(
                items(ptype, raw)?.into_iter().map(<[u8]>::to_vec).collect(),
            ),
            T::Unknown(code) => PropValue::Unknown {
                ptype: code,
                bytes: raw.to_vec(),
            },
        })
    }

    /// The type of the value.
    pub fn prop_type(&self) -> PropType {
        use PropType as T;
        match self {
            PropValue::Null => T::Null,
            PropValue::Int16(_) => T::Int16,
            PropValue::Int32(_) => T::Int32,
            PropValue::Float32(_) => T::Float32,
            PropValue::Float64(_) => T::Float64,
            PropValue::Currency(_) => T::Currency,
            PropValue::FloatingTime(_) => T::FloatingTime,
            PropValue::ErrorCode(_) => T::ErrorCode,
            PropValue::Boolean(_) => T::Boolean,
            PropValue::Int64(_) => T::Int64,
            PropValue::Time(_) => T::Time,
            PropValue::Guid(_) => T::Guid,
            PropValue::String(_) => T::String,
            PropValue::String8(_) => T::String8,
            PropValue::Binary(_) => T::Binary,
            PropValue::Object { .. } => T::Object,
            PropValue::ServerId(_) => T::ServerId,
            PropValue::Restriction(_) => T::Restriction,
            PropValue::RuleAction(_) => T::RuleAction,
            PropValue::MultipleInt16(_) => T::MultipleInt16,
            PropValue::MultipleInt32(_) => T::MultipleInt32,
            PropValue::MultipleFloat32(_) => T::MultipleFloat32,
            PropValue::MultipleFloat64(_) => T::MultipleFloat64,
            PropValue::MultipleCurrency(_) => T::MultipleCurrency,
            PropValue::MultipleFloatingTime(_) => T::MultipleFloatingTime,
            PropValue::MultipleInt64(_) => T::MultipleInt64,
            PropValue::MultipleTime(_) => T::MultipleTime,
            PropValue::MultipleGuid(_) => T::MultipleGuid,
            PropValue::MultipleString(_) => T::MultipleString,
            PropValue::MultipleString8(_) => T::MultipleString8,
            PropValue::MultipleBinary(_) => T::MultipleBinary,
            PropValue::Unknown { ptype, .. } => T::from_code(*ptype),
        }
    }

    /// The text of a PtypString or PtypString8 value (the latter decoded in
    /// `codepage`); `None` for other types.
    pub fn to_text(&self, codepage: u32) -> Option<String> {
        match self {
            PropValue::String(s) => Some(s.clone()),
            PropValue::String8(s) => Some(s.decode(codepage)),
            _ => None,
        }
    }

    /// [`PropValue::to_text`] without copying a decoded string (a body can
    /// be megabytes); other types come back unchanged as the error.
    pub fn into_text(self, codepage: u32) -> Result<String, PropValue> {
        match self {
            PropValue::String(s) => Ok(s),
            PropValue::String8(s) => Ok(s.decode(codepage)),
            v => Err(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check without decoding fails where decoding does: a UTF-16
    /// string of an odd length.
    #[test]
    fn odd_utf16_fails_the_check_as_it_fails_decoding() {
        for raw in [&b"abc"[..], b"a"] {
            assert!(PropValue::decode(PropType::String, raw).is_err());
            assert!(PropValue::check(PropType::String, raw).is_err());
        }
        for raw in [&b""[..], b"a\0b\0"] {
            assert!(PropValue::check(PropType::String, raw).is_ok());
        }
    }

    /// Every day from FILETIME's epoch (1601) to late 2399, century years and
    /// the ends of the 400-year cycle included, against counting days one
    /// by one with the leap-year rule.
    #[test]
    fn civil_dates_match_counting_days() {
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let (mut y, mut m, mut d) = (1601i64, 1u32, 1u32);
        for z in -134_774i64..157_000 {
            assert_eq!(civil_from_days(z), (y, m, d), "day {z}");
            let len = match m {
                2 if leap(y) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            d += 1;
            if d > len {
                (d, m) = (1, m + 1);
                if m > 12 {
                    (m, y) = (1, y + 1);
                }
            }
        }
        assert_eq!((y, m, d), (2399, 11, 8));
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn utf16_decoding_equals_the_standard_lossy_one(
            units in proptest::collection::vec(
                prop_oneof![0u16..0x80, 0x80u16..0x800, 0xD800u16..0xE000, any::<u16>()],
                0..300,
            ),
            shift in 0usize..2,
        ) {
            // Stored strings sit at any offset: odd ones take the copying path.
            let mut buf = vec![0u8; shift];
            buf.extend(units.iter().flat_map(|u| u.to_le_bytes()));
            let raw = &buf[shift..];
            prop_assert_eq!(utf16le_to_string(raw), String::from_utf16_lossy(&units));
        }
    }

    #[test]
    fn one_non_ascii_unit_anywhere_in_an_ascii_run() {
        for pos in 0..48 {
            for odd in ['é', '\u{80}', '\u{7FF}', '日', '🎉'] {
                let mut t: String = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL".into();
                t.insert(pos, odd);
                let units: Vec<u16> = t.encode_utf16().collect();
                let raw: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
                assert_eq!(utf16le_to_string(&raw), t);
            }
        }
        // A lone surrogate inside a run of ASCII.
        let mut units: Vec<u16> = (0..40).map(|i| 0x41 + i % 26).collect();
        units[20] = 0xDC00;
        let raw: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(utf16le_to_string(&raw), String::from_utf16_lossy(&units));
    }

    #[test]
    fn long_ascii_and_mixed_text_decode() {
        let s = "Hello, world: a long ASCII run, then é, 日本語 and 🎉 at the end!";
        for t in [s.to_string(), s.repeat(7)] {
            let raw: Vec<u8> = t.encode_utf16().flat_map(u16::to_le_bytes).collect();
            assert_eq!(utf16le_to_string(&raw), t);
        }
    }

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn mv(items: &[&[u8]]) -> Vec<u8> {
        let mut b = (items.len() as u32).to_le_bytes().to_vec();
        let mut off = 4 + 4 * items.len();
        for i in items {
            b.extend_from_slice(&(off as u32).to_le_bytes());
            off += i.len();
        }
        for i in items {
            b.extend_from_slice(i);
        }
        b
    }

    #[test]
    fn fixed_types() {
        use PropType as T;
        let d = PropValue::decode;
        assert_eq!(d(T::Int16, &[0xFE, 0xFF]).unwrap(), PropValue::Int16(-2));
        assert_eq!(
            d(T::Int32, &[0x89, 0, 0, 0]).unwrap(),
            PropValue::Int32(0x89)
        );
        assert_eq!(d(T::Boolean, &[1]).unwrap(), PropValue::Boolean(true));
        assert_eq!(d(T::Boolean, &[0]).unwrap(), PropValue::Boolean(false));
        assert_eq!(
            d(T::Float64, &1.5f64.to_le_bytes()).unwrap(),
            PropValue::Float64(1.5)
        );
        assert_eq!(
            d(T::Float32, &2.5f32.to_le_bytes()).unwrap(),
            PropValue::Float32(2.5)
        );
        assert_eq!(
            d(T::Currency, &(-12_345i64).to_le_bytes()).unwrap(),
            PropValue::Currency(-12_345)
        );
        assert_eq!(
            d(T::ErrorCode, &0x8004_010Fu32.to_le_bytes()).unwrap(),
            PropValue::ErrorCode(0x8004_010F)
        );
        assert_eq!(
            d(T::Object, &[0x21, 0x80, 0, 0, 0x10, 0, 0, 0]).unwrap(),
            PropValue::Object {
                nid: Nid(0x8021),
                size: 16
            }
        );
        assert_eq!(d(T::Guid, &[7; 16]).unwrap(), PropValue::Guid([7; 16]));
        assert_eq!(d(T::Null, &[]).unwrap(), PropValue::Null);
        let e = d(T::Int64, &[1, 2, 3]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "PtypInteger64 (0x0014) value is 3 bytes, expected 8"
        );
        assert!(d(T::Guid, &[0; 15]).is_err());
        assert!(d(T::Boolean, &[]).is_err());
        for t in [T::Int16, T::Int32, T::Time, T::Object] {
            assert!(d(t, &[]).is_err());
        }
    }

    #[test]
    fn strings() {
        use PropType as T;
        let v = PropValue::decode(T::String, &utf16("UNICODE1")).unwrap();
        assert_eq!(v, PropValue::String("UNICODE1".into()));
        let mut z = utf16("abc");
        z.extend_from_slice(&[0, 0]);
        assert_eq!(
            PropValue::decode(T::String, &z).unwrap(),
            PropValue::String("abc".into())
        );
        assert_eq!(
            PropValue::decode(T::String, &[]).unwrap(),
            PropValue::String(String::new())
        );
        assert!(PropValue::decode(T::String, &[0x41]).is_err());
        // Unpaired surrogate: replaced, not an error.
        let v = PropValue::decode(T::String, &[0x00, 0xD8, 0x41, 0x00]).unwrap();
        assert_eq!(v, PropValue::String("\u{FFFD}A".into()));

        let v = PropValue::decode(T::String8, b"caf\xE9\0").unwrap();
        let PropValue::String8(s) = &v else {
            panic!("{v:?}")
        };
        assert_eq!(s.bytes(), b"caf\xE9\0");
        assert_eq!(s.decode(1252), "café");
        assert_eq!(s.decode(28591), "café");
        assert_eq!(s.decode(0), "café");
        assert_eq!(v.to_text(1252).as_deref(), Some("café"));
        assert_eq!(v.clone().into_text(1252).as_deref(), Ok("café"));
        let n = PropValue::Int32(7);
        assert_eq!(n.clone().into_text(1252), Err(n));
        assert_eq!(String8(b"\xC3\xA9".to_vec()).decode(65001), "é");
        assert_eq!(String8(b"\xE9".to_vec()).decode(1251), "й");
        assert_eq!(String8(b"\x82\xA0".to_vec()).decode(932), "あ");
        assert_eq!(String8(b"\xC4\xE3".to_vec()).decode(936), "你");
        assert_eq!(String8(b"\xB0\xA1".to_vec()).decode(949), "가");
        assert_eq!(String8(b"\xA4\x40".to_vec()).decode(950), "一");
        // 1200 on real UTF-16 bytes, and on plain 8-bit text.
        assert_eq!(String8(utf16("hi")).decode(1200), "hi");
        assert_eq!(String8(b"plain".to_vec()).decode(1200), "plain");
        assert!(encoding_for_codepage(28592).is_some());
        assert!(encoding_for_codepage(12345).is_none());
    }

    #[test]
    fn multi_valued_fixed() {
        use PropType as T;
        let raw: Vec<u8> = [1i32, -1, 7].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(
            PropValue::decode(T::MultipleInt32, &raw).unwrap(),
            PropValue::MultipleInt32(vec![1, -1, 7])
        );
        assert_eq!(
            PropValue::decode(T::MultipleInt16, &[1, 0, 2, 0]).unwrap(),
            PropValue::MultipleInt16(vec![1, 2])
        );
        assert_eq!(
            PropValue::decode(T::MultipleTime, &[0; 16]).unwrap(),
            PropValue::MultipleTime(vec![FileTime(0), FileTime(0)])
        );
        assert_eq!(
            PropValue::decode(T::MultipleInt64, &[]).unwrap(),
            PropValue::MultipleInt64(vec![])
        );
        assert!(matches!(
            PropValue::decode(T::MultipleInt32, &[1, 2, 3, 4, 5]),
            Err(DecodeError::Ragged { element: 4, .. })
        ));
        // MS-PST packed GUIDs, and the count-prefixed variant.
        let mut g = vec![1u8; 16];
        g.extend_from_slice(&[2u8; 16]);
        assert_eq!(
            PropValue::decode(T::MultipleGuid, &g).unwrap(),
            PropValue::MultipleGuid(vec![[1; 16], [2; 16]])
        );
        let mut c = 2u32.to_le_bytes().to_vec();
        c.extend_from_slice(&g);
        assert_eq!(
            PropValue::decode(T::MultipleGuid, &c).unwrap(),
            PropValue::MultipleGuid(vec![[1; 16], [2; 16]])
        );
        // A prefix is a count only when both the length and the number
        // agree: 20 bytes whose first four are not 1 are ragged, and
        // 32 bytes that start with the number 2 are two GUIDs.
        let mut odd = 7u32.to_le_bytes().to_vec();
        odd.extend_from_slice(&[1u8; 16]);
        assert!(PropValue::decode(T::MultipleGuid, &odd).is_err());
        let mut two = 2u32.to_le_bytes().to_vec();
        two.extend_from_slice(&[3u8; 28]);
        let mut first = [3u8; 16];
        first[..4].copy_from_slice(&2u32.to_le_bytes());
        assert_eq!(
            PropValue::decode(T::MultipleGuid, &two).unwrap(),
            PropValue::MultipleGuid(vec![first, [3; 16]])
        );
    }

    /// UTF-16 that does not start on a 2-byte boundary in memory decodes
    /// whole (the aligned middle and the copied ends alike).
    #[test]
    fn unaligned_utf16_decodes_whole() {
        let text = "Grüße, 世界! ".repeat(20);
        let mut buf = vec![0u8];
        buf.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let raw = &buf[1..];
        assert_eq!(raw.as_ptr() as usize % 2, 1);
        assert_eq!(decode_utf16(PropType::String, raw).unwrap(), text);
    }

    /// A decoded string keeps at most 4 KiB of the room its conversion
    /// reserved (three bytes a unit): a large body does not hold three
    /// times its size.
    #[test]
    fn decoded_strings_keep_little_spare_room() {
        let units = |n: usize| {
            "a".repeat(n)
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>()
        };
        let big = decode_utf16(PropType::String, &units(10_000)).unwrap();
        assert!(big.capacity() - big.len() <= 4096, "{}", big.capacity());
        // Spare room of exactly 4 KiB, and less, is kept as it is.
        let edge = decode_utf16(PropType::String, &units(2048)).unwrap();
        assert_eq!(edge.capacity(), 3 * 2048);
        let small = decode_utf16(PropType::String, &units(100)).unwrap();
        assert_eq!(small.capacity(), 300);
    }

    #[test]
    fn multi_valued_variable() {
        use PropType as T;
        let raw = mv(&[&utf16("one"), &utf16(""), &utf16("three\0")]);
        assert_eq!(
            PropValue::decode(T::MultipleString, &raw).unwrap(),
            PropValue::MultipleString(vec!["one".into(), "".into(), "three".into()])
        );
        let raw = mv(&[b"ab", b"c"]);
        assert_eq!(
            PropValue::decode(T::MultipleBinary, &raw).unwrap(),
            PropValue::MultipleBinary(vec![b"ab".to_vec(), b"c".to_vec()])
        );
        assert_eq!(
            PropValue::decode(T::MultipleString8, &raw).unwrap(),
            PropValue::MultipleString8(vec![String8(b"ab".to_vec()), String8(b"c".to_vec())])
        );
        assert_eq!(
            PropValue::decode(T::MultipleBinary, &mv(&[])).unwrap(),
            PropValue::MultipleBinary(vec![])
        );
        assert_eq!(
            PropValue::decode(T::MultipleBinary, &[]).unwrap(),
            PropValue::MultipleBinary(vec![])
        );
        // A count far larger than the value must not allocate or panic.
        let mut huge = u32::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(&[0; 8]);
        assert!(matches!(
            PropValue::decode(T::MultipleBinary, &huge),
            Err(DecodeError::Count { .. })
        ));
        // Offsets out of order or past the end.
        let mut bad = mv(&[b"ab", b"c"]);
        bad[8..12].copy_from_slice(&9u32.to_le_bytes());
        assert!(matches!(
            PropValue::decode(T::MultipleBinary, &bad),
            Err(DecodeError::Offset { .. })
        ));
        let mut bad = mv(&[b"ab"]);
        bad[4..8].copy_from_slice(&100u32.to_le_bytes());
        assert!(PropValue::decode(T::MultipleBinary, &bad).is_err());
        let mut bad = mv(&[b"ab"]);
        bad[4..8].copy_from_slice(&0u32.to_le_bytes());
        assert!(PropValue::decode(T::MultipleBinary, &bad).is_err());
        assert!(PropValue::decode(T::MultipleString, &mv(&[b"abc"])).is_err());
    }

    #[test]
    fn unknown_and_binary_like() {
        assert_eq!(
            PropValue::decode(PropType::Unknown(0x1234), &[1, 2]).unwrap(),
            PropValue::Unknown {
                ptype: 0x1234,
                bytes: vec![1, 2]
            }
        );
        assert_eq!(
            PropValue::decode(PropType::ServerId, &[1]).unwrap(),
            PropValue::ServerId(vec![1])
        );
        for code in [
            0x2u16, 0x3, 0x14, 0x1F, 0x102, 0x101F, 0x1048, 0xFB, 0xFD, 0xFE, 0x999,
        ] {
            let t = PropType::from_code(code);
            if let Ok(v) = PropValue::decode(t, &[0; 8]) {
                assert_eq!(v.prop_type(), t);
            }
        }
    }

    #[test]
    fn filetime_conversions() {
        // 2009-02-13T23:31:30Z = Unix 1234567890.
        let ft = FileTime((1_234_567_890 + 11_644_473_600) * 10_000_000);
        assert_eq!(ft.to_unix_seconds(), 1_234_567_890);
        assert_eq!(ft.to_iso8601(), "2009-02-13T23:31:30Z");
        assert_eq!(ft.to_string(), "2009-02-13T23:31:30Z");
        assert_eq!(format!("{ft:?}"), "FileTime(2009-02-13T23:31:30Z)");
        assert_eq!(
            format!("{:?}", String8(b"caf\xE9".to_vec())),
            "String8(\"café\")"
        );
        assert_eq!(FileTime(0).to_iso8601(), "1601-01-01T00:00:00Z");
        assert_eq!(FileTime(0).to_unix_seconds(), -11_644_473_600);
        assert_eq!(
            FileTime(116_444_736_000_000_000).to_iso8601(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            FileTime(116_444_736_000_000_001).to_iso8601(),
            "1970-01-01T00:00:00.0000001Z"
        );
        // 2000-02-29 (leap day).
        let ft = FileTime((951_782_400 + 11_644_473_600) * 10_000_000);
        assert_eq!(ft.to_iso8601(), "2000-02-29T00:00:00Z");
        // The largest FILETIME still formats.
        assert!(FileTime(u64::MAX).to_iso8601().starts_with("60056-"));
    }
}
