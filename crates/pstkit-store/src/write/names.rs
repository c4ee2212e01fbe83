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

    /// The properties of the map's property context.
    pub fn properties(&self) -> Vec<(PropTag, PropValue)> {
        let mut guids: Vec<Guid> = Vec::new();
        let mut entries = Vec::with_capacity(self.order.len() * 8);
        let mut strings = Vec::new();
        let mut buckets: HashMap<u32, Vec<u8>> = HashMap::new();
        for (index, np) in self.order.iter().enumerate() {
            let guid_index: u16 = if np.guid == Guid::PS_MAPI {
                1
            } else if np.guid == Guid::PS_PUBLIC_STRINGS {
                2
            } else {
                let at = match guids.iter().position(|g| *g == np.guid) {
                    Some(at) => at,
                    None => {
                        guids.push(np.guid);
                        guids.len() - 1
                    }
                };
                at as u16 + 3
            };
            let (value, is_string, hash) = match &np.name {
                PropName::Id(lid) => (*lid, 0u16, *lid),
                PropName::Name(s) => {
                    let units: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
                    // Records start 4-byte aligned.
                    while strings.len() % 4 != 0 {
                        strings.push(0);
                    }
                    let offset = strings.len() as u32;
                    strings.extend_from_slice(&(units.len() as u32).to_le_bytes());
                    strings.extend_from_slice(&units);
                    (offset, 1, crc(&units))
                }
            };
            let flags = (guid_index << 1) | is_string;
            let index = index as u16;
            entries.extend_from_slice(&value.to_le_bytes());
            entries.extend_from_slice(&flags.to_le_bytes());
            entries.extend_from_slice(&index.to_le_bytes());
            let bucket = (hash ^ u32::from(flags)) % BUCKETS;
            let b = buckets.entry(bucket).or_default();
            b.extend_from_slice(&hash.to_le_bytes());
            b.extend_from_slice(&flags.to_le_bytes());
            b.extend_from_slice(&index.to_le_bytes());
        }
        let bin =
            |id: PropId, v: Vec<u8>| (PropTag::new(id, PropType::Binary), PropValue::Binary(v));
        let mut props = vec![
            (
                name_map::tags::NAMEID_BUCKET_COUNT,
                PropValue::Int32(BUCKETS as i32),
            ),
            bin(
                name_map::NAMEID_STREAM_GUID,
                guids.iter().flat_map(|g| g.0).collect(),
            ),
            bin(name_map::NAMEID_STREAM_ENTRY, entries),
            bin(name_map::NAMEID_STREAM_STRING, strings),
        ];
        let mut keys: Vec<u32> = buckets.keys().copied().collect();
        keys.sort_unstable();
        for k in keys {
            if let Some(b) = buckets.remove(&k) {
                props.push(bin(PropId(name_map::NAMEID_BUCKET_BASE.0 + k as u16), b));
            }
        }
        props
    }
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
