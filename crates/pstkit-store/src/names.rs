//! The named-property map (NID 0x61, [MS-PST] 2.4.7): which name each
//! property id from 0x8000 up stands for in this file.

use std::collections::HashMap;
use std::fmt;

use pstkit_ltp::props::{name_map, FIRST_NAMED_ID};
use pstkit_ltp::{LtpError, PropId, PropertyContext};

/// A property set GUID, in stored (little-endian field) byte order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// Builds a GUID from its textual fields.
    pub const fn from_fields(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> Guid {
        let a = d1.to_le_bytes();
        let b = d2.to_le_bytes();
        let c = d3.to_le_bytes();
        Guid([
            a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4],
            d4[5], d4[6], d4[7],
        ])
    }

    /// PS_MAPI.
    pub const PS_MAPI: Guid = Guid::from_fields(0x0002_0328, 0, 0, MAPI_TAIL);
    /// PS_PUBLIC_STRINGS.
    pub const PS_PUBLIC_STRINGS: Guid = Guid::from_fields(0x0002_0329, 0, 0, MAPI_TAIL);
    /// PSETID_Appointment.
    pub const APPOINTMENT: Guid = Guid::from_fields(0x0006_2002, 0, 0, MAPI_TAIL);
    /// PSETID_Task.
    pub const TASK: Guid = Guid::from_fields(0x0006_2003, 0, 0, MAPI_TAIL);
    /// PSETID_Address (contacts).
    pub const ADDRESS: Guid = Guid::from_fields(0x0006_2004, 0, 0, MAPI_TAIL);
    /// PSETID_Common.
    pub const COMMON: Guid = Guid::from_fields(0x0006_2008, 0, 0, MAPI_TAIL);
    /// PSETID_Meeting (meeting requests and responses).
    pub const MEETING: Guid = Guid::from_fields(
        0x6ED8_DA90,
        0x450B,
        0x101B,
        [0x98, 0xDA, 0x00, 0xAA, 0x00, 0x3F, 0x13, 0x05],
    );
    /// PS_INTERNET_HEADERS.
    pub const INTERNET_HEADERS: Guid = Guid::from_fields(0x0002_0386, 0, 0, MAPI_TAIL);
}

const MAPI_TAIL: [u8; 8] = [0xC0, 0, 0, 0, 0, 0, 0, 0x46];

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            u16::from_le_bytes([b[4], b[5]]),
            u16::from_le_bytes([b[6], b[7]]),
            b[8],
            b[9],
            b[10],
            b[11],
            b[12],
            b[13],
            b[14],
            b[15]
        )
    }
}

/// Why a text is not a GUID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a GUID: give 32 hex digits as 8-4-4-4-12, with or without braces")]
pub struct GuidParseError(pub String);

impl std::str::FromStr for Guid {
    type Err = GuidParseError;

    /// Reads the text form [`Guid`]'s `Display` writes, `{8-4-4-4-12}`,
    /// with or without the braces, in either case; 32 hex digits without
    /// the hyphens are read too.
    fn from_str(text: &str) -> Result<Guid, GuidParseError> {
        let bad = || GuidParseError(text.chars().take(80).collect());
        let t = text.trim();
        let t = match (t.strip_prefix('{'), t.strip_suffix('}')) {
            (Some(_), Some(_)) if t.len() >= 2 => &t[1..t.len() - 1],
            (None, None) => t,
            _ => return Err(bad()),
        };
        let digits: String = if t.len() == 36 {
            let b = t.as_bytes();
            if [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
                return Err(bad());
            }
            t.chars().filter(|&c| c != '-').collect()
        } else {
            t.to_string()
        };
        if digits.len() != 32 || !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut n = [0u8; 16];
        for (i, out) in n.iter_mut().enumerate() {
            *out = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        // The text is the fields as numbers; the stored form has the first
        // three fields little-endian.
        Ok(Guid::from_fields(
            u32::from_be_bytes([n[0], n[1], n[2], n[3]]),
            u16::from_be_bytes([n[4], n[5]]),
            u16::from_be_bytes([n[6], n[7]]),
            [n[8], n[9], n[10], n[11], n[12], n[13], n[14], n[15]],
        ))
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A property's name: a numeric id (LID) or a string, within a property set.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PropName {
    /// A numeric name.
    Id(u32),
    /// A string name.
    Name(String),
}

/// A named property: its set and its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NamedProp {
    /// The property set.
    pub guid: Guid,
    /// The name within the set.
    pub name: PropName,
}

impl fmt::Display for NamedProp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            PropName::Id(id) => write!(f, "{}:0x{id:04X}", self.guid),
            PropName::Name(n) => write!(f, "{}:{n}", self.guid),
        }
    }
}

/// The map of this file's named properties. A damaged one is an error of
/// [`NameMap::read`], and a missing one an error of the store's, both kept
/// by the store ([`Store::name_map_error`](crate::Store::name_map_error)),
/// which then has an empty map.
#[derive(Clone, Debug, Default)]
pub struct NameMap {
    by_id: HashMap<u16, NamedProp>,
    by_name: HashMap<NamedProp, u16>,
    /// Entries that could not be decoded.
    pub damaged: usize,
}

impl NameMap {
    /// Reads the map from the name-to-id map's property context; a stream
    /// that is there but cannot be read is an error, not an empty stream.
    pub fn read(pc: &PropertyContext<'_>) -> Result<NameMap, LtpError> {
        let bin = |id: PropId| match pc.get_binary(id) {
            None => Ok(Vec::new()),
            Some(r) => r,
        };
        let guids = bin(name_map::NAMEID_STREAM_GUID)?;
        let entries = bin(name_map::NAMEID_STREAM_ENTRY)?;
        let strings = bin(name_map::NAMEID_STREAM_STRING)?;
        Ok(Self::parse(&guids, &entries, &strings))
    }

    /// Decodes the GUID, entry and string streams.
    pub fn parse(guids: &[u8], entries: &[u8], strings: &[u8]) -> NameMap {
        let mut map = NameMap::default();
        for e in entries.chunks_exact(8) {
            let value = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            let flags = u16::from_le_bytes([e[4], e[5]]);
            let index = u16::from_le_bytes([e[6], e[7]]);
            let guid = match flags >> 1 {
                0 => Some(Guid::default()),
                1 => Some(Guid::PS_MAPI),
                2 => Some(Guid::PS_PUBLIC_STRINGS),
                g => {
                    let at = usize::from(g - 3) * 16;
                    guids
                        .get(at..at + 16)
                        .map(|s| Guid(s.try_into().unwrap_or([0; 16])))
                }
            };
            let name = if flags & 1 == 0 {
                Some(PropName::Id(value))
            } else {
                string_at(strings, value as usize).map(PropName::Name)
            };
            let (Some(guid), Some(name), Some(id)) =
                (guid, name, FIRST_NAMED_ID.0.checked_add(index))
            else {
                map.damaged += 1;
                continue;
            };
            let np = NamedProp { guid, name };
            map.by_name.insert(np.clone(), id);
            map.by_id.insert(id, np);
        }
        map
    }

    /// The name of property id `id` (0x8000 and up).
    pub fn get(&self, id: PropId) -> Option<&NamedProp> {
        self.by_id.get(&id.0)
    }

    /// The id this file uses for a numeric name in a set.
    pub fn find_id(&self, guid: Guid, lid: u32) -> Option<PropId> {
        self.find(&NamedProp {
            guid,
            name: PropName::Id(lid),
        })
    }

    /// The id this file uses for a named property.
    pub fn find(&self, np: &NamedProp) -> Option<PropId> {
        self.by_name.get(np).map(|&id| PropId(id))
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the map holds no names.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Every (id, name), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (PropId, &NamedProp)> {
        self.by_id.iter().map(|(id, n)| (PropId(*id), n))
    }
}

/// The UTF-16LE bytes of the string-stream record at `at`: a u32 byte
/// length, then the name.
pub(crate) fn string_record(strings: &[u8], at: usize) -> Option<&[u8]> {
    let len = strings.get(at..at.checked_add(4)?)?;
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    strings.get(at + 4..at.checked_add(4 + len)?)
}

/// A string-stream record's name.
fn string_at(strings: &[u8], at: usize) -> Option<String> {
    let bytes = string_record(strings, at)?;
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Some(String::from_utf16_lossy(&units))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_text() {
        assert_eq!(
            Guid::PS_PUBLIC_STRINGS.to_string(),
            "{00020329-0000-0000-C000-000000000046}"
        );
    }

    #[test]
    fn guid_text_reads_back() {
        let g: Guid = "{AD475697-8264-453B-8DAC-B3F7F1E8D53E}".parse().unwrap();
        // The stored bytes of the Aspose sample OST's 0x6615.
        assert_eq!(
            g.0,
            [
                0x97, 0x56, 0x47, 0xAD, 0x64, 0x82, 0x3B, 0x45, 0x8D, 0xAC, 0xB3, 0xF7, 0xF1, 0xE8,
                0xD5, 0x3E
            ]
        );
        assert_eq!(g.to_string(), "{AD475697-8264-453B-8DAC-B3F7F1E8D53E}");
        for same in [
            "ad475697-8264-453b-8dac-b3f7f1e8d53e",
            " {ad475697-8264-453B-8dac-b3f7f1e8d53e} ",
            "AD4756978264453B8DACB3F7F1E8D53E",
        ] {
            assert_eq!(same.parse::<Guid>().unwrap(), g, "{same}");
        }
        for bad in [
            "",
            "{}",
            "{AD475697-8264-453B-8DAC-B3F7F1E8D53E",
            "AD475697-8264-453B-8DAC-B3F7F1E8D53",
            "AD475697+8264-453B-8DAC-B3F7F1E8D53E",
            "AD475697-8264-453B-8DAC-B3F7F1E8D53G",
            "ÄD475697-8264-453B-8DAC-B3F7F1E8D53",
        ] {
            assert!(bad.parse::<Guid>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parses_numeric_and_string_names() {
        let mut guids = Vec::new();
        guids.extend_from_slice(&Guid::ADDRESS.0);
        let mut strings = Vec::new();
        let name: Vec<u8> = "content-class"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        strings.extend_from_slice(&(name.len() as u32).to_le_bytes());
        strings.extend_from_slice(&name);
        let mut entries = Vec::new();
        // NPID 0x8000: PSETID_Address (guid index 3), LID 0x8083.
        entries.extend_from_slice(&0x8083u32.to_le_bytes());
        entries.extend_from_slice(&(3u16 << 1).to_le_bytes());
        entries.extend_from_slice(&0u16.to_le_bytes());
        // NPID 0x8001: PS_INTERNET... as a string name at offset 0 in PS_PUBLIC_STRINGS.
        entries.extend_from_slice(&0u32.to_le_bytes());
        entries.extend_from_slice(&((2u16 << 1) | 1).to_le_bytes());
        entries.extend_from_slice(&1u16.to_le_bytes());
        // A damaged entry: guid index beyond the stream.
        entries.extend_from_slice(&1u32.to_le_bytes());
        entries.extend_from_slice(&(9u16 << 1).to_le_bytes());
        entries.extend_from_slice(&2u16.to_le_bytes());
        let m = NameMap::parse(&guids, &entries, &strings);
        assert_eq!(m.len(), 2);
        assert_eq!(m.damaged, 1);
        assert_eq!(m.find_id(Guid::ADDRESS, 0x8083), Some(PropId(0x8000)));
        assert_eq!(
            m.get(PropId(0x8001)).unwrap().name,
            PropName::Name("content-class".into())
        );
    }

    #[test]
    fn garbage_never_panics() {
        let junk: Vec<u8> = (0..997u32).map(|i| (i * 31 % 251) as u8).collect();
        let m = NameMap::parse(&junk[..100], &junk, &junk[..500]);
        let _ = m.len();
        let _ = NameMap::parse(&[], &[0xFF; 16], &[0xFF; 3]);
    }
}
