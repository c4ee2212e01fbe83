//! Building the named-property map (NID 0x61) of a new file.

use std::collections::HashMap;

use pstkit_ltp::props::{name_map, FIRST_NAMED_ID};
use pstkit_ltp::{PropId, PropTag, PropType, PropValue};
use pstkit_ndb::crc::crc;

use crate::names::{Guid, NamedProp, PropName};

/// Hash buckets Outlook uses.
pub const BUCKETS: u32 = 251;

impl std::fmt::Debug for NameMapBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameMapBuilder")
            .field("names", &self.order.len())
            .finish_non_exhaustive()
    }
}

/// Assigns property ids from 0x8000 up to named properties, in first-use order.
#[derive(Default)]
pub struct NameMapBuilder {
    ids: HashMap<NamedProp, PropId>,
    order: Vec<NamedProp>,
}

impl NameMapBuilder {
    /// A map holding the names every Outlook store has from the start.
    /// libpff refuses a store whose entry stream is empty, so a file with no
    /// named property of its own still gets this one.
    pub(crate) fn with_defaults() -> Self {
        let mut b = Self::default();
        let _ = b.id(&Self::default_name());
        b
    }

    /// The name every new store's map holds.
    pub(crate) fn default_name() -> NamedProp {
        NamedProp {
            guid: Guid::INTERNET_HEADERS,
            name: PropName::Name("content-class".into()),
        }
    }

    /// The id of `np` in the new file, assigning the next one on first use.
    /// `None` when the 0x7FFF ids of the map are used up.
    pub fn id(&mut self, np: &NamedProp) -> Option<PropId> {
        if let Some(id) = self.ids.get(np) {
            return Some(*id);
        }
        let index = u16::try_from(self.order.len())
            .ok()
            .filter(|i| *i < 0x7FFF)?;
        let id = PropId(FIRST_NAMED_ID.0 + index);
        self.ids.insert(np.clone(), id);
        self.order.push(np.clone());
        Some(id)
    }

    /// The name behind an id this builder assigned.
    pub fn name_of(&self, id: PropId) -> Option<&NamedProp> {
        self.order
            .get(usize::from(id.0.checked_sub(FIRST_NAMED_ID.0)?))
    }

    /// The map's streams, its entries hashed into `buckets` buckets: the
    /// layout a PST's map (251 buckets) and a .msg file's
    /// `__nameid_version1.0` storage (31) share.
    pub fn streams(&self, buckets: u32) -> NameStreams {
        let mut s = NameStreams::default();
        let mut by_bucket: HashMap<u32, Vec<u8>> = HashMap::new();
        for (index, np) in self.order.iter().enumerate() {
            let guid_index: u16 = if np.guid == Guid::PS_MAPI {
                1
            } else if np.guid == Guid::PS_PUBLIC_STRINGS {
                2
            } else {
                let at = match s.guids.chunks_exact(16).position(|g| g == np.guid.0) {
                    Some(at) => at,
                    None => {
                        s.guids.extend_from_slice(&np.guid.0);
                        s.guids.len() / 16 - 1
                    }
                };
                at as u16 + 3
            };
            let (value, is_string, hash) = match &np.name {
                PropName::Id(lid) => (*lid, 0u16, *lid),
                PropName::Name(n) => {
                    let units: Vec<u8> = n.encode_utf16().flat_map(u16::to_le_bytes).collect();
                    // Records start 4-byte aligned.
                    while s.strings.len() % 4 != 0 {
                        s.strings.push(0);
                    }
                    let offset = s.strings.len() as u32;
                    s.strings
                        .extend_from_slice(&(units.len() as u32).to_le_bytes());
                    s.strings.extend_from_slice(&units);
                    (offset, 1, crc(&units))
                }
            };
            let flags = (guid_index << 1) | is_string;
            let index = index as u16;
            s.entries.extend_from_slice(&value.to_le_bytes());
            s.entries.extend_from_slice(&flags.to_le_bytes());
            s.entries.extend_from_slice(&index.to_le_bytes());
            let b = by_bucket
                .entry((hash ^ u32::from(flags)) % buckets)
                .or_default();
            b.extend_from_slice(&hash.to_le_bytes());
            b.extend_from_slice(&flags.to_le_bytes());
            b.extend_from_slice(&index.to_le_bytes());
        }
        s.buckets = by_bucket.into_iter().collect();
        s.buckets.sort_unstable_by_key(|(k, _)| *k);
        s
    }

    /// The properties of the map's property context.
    pub fn properties(&self) -> Vec<(PropTag, PropValue)> {
        let s = self.streams(BUCKETS);
        let bin =
            |id: PropId, v: Vec<u8>| (PropTag::new(id, PropType::Binary), PropValue::Binary(v));
        let mut props = vec![
            (
                name_map::tags::NAMEID_BUCKET_COUNT,
                PropValue::Int32(BUCKETS as i32),
            ),
            bin(name_map::NAMEID_STREAM_GUID, s.guids),
            bin(name_map::NAMEID_STREAM_ENTRY, s.entries),
            bin(name_map::NAMEID_STREAM_STRING, s.strings),
        ];
        for (k, b) in s.buckets {
            props.push(bin(PropId(name_map::NAMEID_BUCKET_BASE.0 + k as u16), b));
        }
        props
    }
}

/// A named-property map as stored: the GUID, entry and string streams and
/// the hash buckets (by bucket number, only those holding entries).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameStreams {
    /// The property sets other than PS_MAPI and PS_PUBLIC_STRINGS, 16 bytes each.
    pub guids: Vec<u8>,
    /// One 8-byte entry per name, in id order.
    pub entries: Vec<u8>,
    /// The string names: a u32 byte length, then UTF-16LE, 4-byte aligned.
    pub strings: Vec<u8>,
    /// (bucket, its 8-byte hash entries), in bucket order.
    pub buckets: Vec<(u32, Vec<u8>)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::NameMap;

    #[test]
    fn round_trips_through_the_reader() {
        let mut b = NameMapBuilder::default();
        let email = NamedProp {
            guid: Guid::ADDRESS,
            name: PropName::Id(0x8083),
        };
        let cc = NamedProp {
            guid: Guid::PS_PUBLIC_STRINGS,
            name: PropName::Name("content-class".into()),
        };
        assert_eq!(b.id(&email), Some(PropId(0x8000)));
        assert_eq!(b.id(&cc), Some(PropId(0x8001)));
        assert_eq!(b.id(&email), Some(PropId(0x8000)));
        let props = b.properties();
        let get = |id: u16| match props.iter().find(|p| p.0.id().0 == id) {
            Some((_, PropValue::Binary(v))) => v.clone(),
            _ => Vec::new(),
        };
        let m = NameMap::parse(&get(2), &get(3), &get(4));
        assert_eq!(m.find(&email), Some(PropId(0x8000)));
        assert_eq!(m.find(&cc), Some(PropId(0x8001)));
        // The bucket of "content-class" in PS_PUBLIC_STRINGS, as in Outlook's Empty.pst:
        // h = 0xE6008F65, flags = (2 << 1) | 1 = 5 → (h ^ 5) % 251.
        let bucket = (0xE600_8F65u32 ^ 5) % 251;
        assert!(props.iter().any(|p| p.0.id().0 == 0x1000 + bucket as u16));
    }
}
