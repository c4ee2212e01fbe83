//! Building a property context ([MS-PST] 2.3.3).

use std::collections::BTreeMap;

use pstkit_ndb::{Nid, Variant};

use super::{bth, encode_value, store_hnid, HeapBuilder, NodeData, Subnodes};
use crate::heap::CLIENT_SIG_PC;
use crate::tag::{PropId, PropTag};
use crate::value::PropValue;

/// Collects the properties of one object (store, folder, message,
/// attachment) and lays them out as a PC.
///
/// Values are kept until [`PcBuilder::finish`], so replacing a property
/// leaves nothing behind in the heap. The stored type of a property is its
/// value's type ([`PropValue::prop_type`]); the tag supplies the id, and a
/// PC holds one value per id.
#[derive(Clone, Debug)]
pub struct PcBuilder {
    variant: Variant,
    props: BTreeMap<u16, PropValue>,
    /// Values already written as subnodes by the caller: (type, subnode).
    external: BTreeMap<u16, (crate::PropType, Nid)>,
    subs: Subnodes,
    page_limit: Option<usize>,
}

impl PcBuilder {
    /// An empty PC for a file of `variant`.
    pub fn new(variant: Variant) -> Self {
        PcBuilder {
            variant,
            props: BTreeMap::new(),
            external: BTreeMap::new(),
            subs: Subnodes::new(),
            page_limit: Some(super::PC_HEAP_PAGE_LIMIT),
        }
    }

    /// Sets a property (replacing an earlier value of the same id). At
    /// [`finish`](PcBuilder::finish), types of up to four bytes go inline
    /// into `dwValueHnid`; 8-byte types, GUIDs, objects (`{nid, size}`) and
    /// variable-size values up to 3580 bytes go into the heap; larger ones
    /// into a new subnode of type NID_TYPE_LTP (0x1F) with a locally unique
    /// index; empty variable-size values are HNID 0.
    pub fn set(&mut self, tag: PropTag, value: PropValue) {
        self.external.remove(&tag.id().0);
        self.props.insert(tag.id().0, value);
    }

    /// Sets a variable-size property whose value the caller has written
    /// as subnode `nid` of the node (a large value copied block by block
    /// without decoding it). The id is reserved among the node's subnodes.
    pub fn set_subnode(&mut self, tag: PropTag, nid: Nid) {
        self.props.remove(&tag.id().0);
        self.subs.reserve(nid);
        self.external.insert(tag.id().0, (tag.prop_type(), nid));
    }

    /// The value set for `id`, if any.
    pub fn get(&self, id: PropId) -> Option<&PropValue> {
        self.props.get(&id.0)
    }

    /// Removes the property `id`; returns its value.
    pub fn remove(&mut self, id: PropId) -> Option<PropValue> {
        self.props.remove(&id.0)
    }

    /// Number of properties set.
    pub fn len(&self) -> usize {
        self.props.len() + self.external.len()
    }

    /// Whether no property is set.
    pub fn is_empty(&self) -> bool {
        self.props.is_empty() && self.external.is_empty()
    }

    /// Keeps the subnode NIDs this builder hands out clear of `nid`, a
    /// subnode the caller adds to the same node itself (say, the data of a
    /// PtypObject attachment). Only NIDs of type 0x1F can collide.
    pub fn reserve_subnode(&mut self, nid: Nid) {
        self.subs.reserve(nid);
    }

    /// Sets how many heap pages values may use before the rest go to
    /// subnodes: [`PC_HEAP_PAGE_LIMIT`](super::PC_HEAP_PAGE_LIMIT) (8) by
    /// default, for libpff's sake; `None` keeps every value of up to 3580
    /// bytes in the heap, however many pages that takes. When the BTH alone
    /// needs more pages than the limit (thousands of properties), every
    /// value that is not inline goes to a subnode.
    pub fn set_heap_page_limit(&mut self, pages: Option<usize>) {
        self.page_limit = pages;
    }

    /// Lays out the heap: the BTHHEADER at HID 0x20, the tree's nodes after
    /// it, then the values in property id order (while the page limit
    /// allows).
    pub fn finish(self) -> NodeData {
        let mut heap = HeapBuilder::new(self.variant, CLIENT_SIG_PC);
        let header = heap.alloc(&[0; 8]);
        heap.set_user_root(header);
        let shape = bth::reserve(&mut heap, 2, 6, self.props.len() + self.external.len());
        if let Some(limit) = self.page_limit {
            heap.set_page_limit(if heap.page_count() > limit { 0 } else { limit });
        }
        let mut subs = self.subs;
        let mut records = Vec::with_capacity(self.props.len() + self.external.len());
        for (&id, &(ptype, nid)) in &self.external {
            let mut data = ptype.code().to_le_bytes().to_vec();
            data.extend_from_slice(&nid.0.to_le_bytes());
            records.push((id.to_le_bytes().to_vec(), data));
        }
        for (id, v) in self.props {
            let ptype = v.prop_type();
            let raw = encode_value(&v);
            drop(v);
            let slot = if ptype.is_inline() {
                let mut b = [0u8; 4];
                let n = raw.len().min(4);
                b[..n].copy_from_slice(&raw[..n]);
                u32::from_le_bytes(b)
            } else {
                store_hnid(&mut heap, &mut subs, raw)
            };
            let mut data = ptype.code().to_le_bytes().to_vec();
            data.extend_from_slice(&slot.to_le_bytes());
            records.push((id.to_le_bytes().to_vec(), data));
        }
        // Records go into the BTH sorted by property id.
        records.sort_by(|a, b| a.0.iter().rev().cmp(b.0.iter().rev()));
        bth::fill(&mut heap, header, &shape, &records);
        NodeData {
            pages: heap.finish(),
            subnodes: subs.plain,
            subnode_blocks: Vec::new(),
            written: Default::default(),
        }
    }
}

/// Rewrites the inline value (a type of four bytes at most) of property
/// `id` in a finished property context's pages. Its layout does not depend
/// on such a value, so a value that depends on the finished size (a
/// message's PidTagMessageSize) is set after the pages are made, without
/// making them twice. `false` when the context has no such inline property.
pub fn set_inline(pages: &mut [Vec<u8>], variant: Variant, id: PropId, value: u32) -> bool {
    use crate::heap::Heap;
    use std::borrow::Cow;
    // Where the record's value lies: (page, offset), found by reading.
    let at = {
        let blocks = pages.iter().map(|p| Cow::Borrowed(&p[..])).collect();
        let Ok(heap) = Heap::from_blocks(Nid(0), variant, blocks) else {
            return false;
        };
        let Ok(bth) = crate::bth::Bth::open(&heap, heap.user_root()) else {
            return false;
        };
        let found = bth.iter().filter_map(|r| r.ok()).find(|r| {
            r.key == id.0.to_le_bytes()
                && crate::PropType::from_code(u16::from_le_bytes([r.data[0], r.data[1]]))
                    .is_inline()
        });
        found.and_then(|r| {
            let p = r.data[2..6].as_ptr() as usize;
            pages.iter().enumerate().find_map(|(i, page)| {
                let start = page.as_ptr() as usize;
                (p >= start && p + 4 <= start + page.len()).then(|| (i, p - start))
            })
        })
    };
    match at {
        Some((i, off)) => {
            pages[i][off..off + 4].copy_from_slice(&value.to_le_bytes());
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::{Heap, Hid};
    use crate::pc::PropertyContext;
    use crate::props;
    use crate::tag::PropType;
    use std::borrow::Cow;

    fn read(variant: Variant, d: &NodeData) -> PropertyContext<'static> {
        let heap = Heap::from_blocks(
            Nid(0x21),
            variant,
            d.pages.iter().cloned().map(Cow::Owned).collect(),
        )
        .unwrap();
        PropertyContext::from_heap(heap).unwrap()
    }

    #[test]
    fn heap_values_read_back_in_memory() {
        for variant in [Variant::Ansi, Variant::Unicode, Variant::Unicode4k] {
            let mut b = PcBuilder::new(variant);
            let all = super::super::value::tests::every_variant();
            for (i, v) in all.iter().enumerate() {
                b.set(
                    PropTag::new(PropId(0x1000 + i as u16), v.prop_type()),
                    v.clone(),
                );
            }
            b.set(PropTag(0x3001_001F), PropValue::String("old".into()));
            b.set(PropTag(0x3001_001F), PropValue::String("new".into()));
            assert_eq!(b.len(), all.len() + 1);
            let d = b.finish();
            assert!(d.subnodes.is_empty());
            let pc = read(variant, &d);
            assert_eq!(pc.heap().user_root(), Hid(0x20));
            assert_eq!(pc.len(), all.len() + 1);
            for (i, v) in all.iter().enumerate() {
                let got = pc.get(PropId(0x1000 + i as u16)).unwrap().unwrap();
                assert_eq!(&got, v);
            }
            assert_eq!(
                pc.get_string(props::DISPLAY_NAME, 1252).unwrap().unwrap(),
                "new"
            );
            let rec = pc.record(props::DISPLAY_NAME).unwrap();
            assert_eq!(rec.tag.prop_type(), PropType::String);
        }
    }

    #[test]
    fn set_get_remove_and_values_written_as_subnodes() {
        let mut b = PcBuilder::new(Variant::Unicode);
        assert!(b.is_empty());
        assert_eq!(b.len(), 0);
        b.set(PropTag(0x0037_001F), PropValue::String("subject".into()));
        b.set(PropTag(0x0E08_0003), PropValue::Int32(42));
        assert!(!b.is_empty());
        assert_eq!(b.len(), 2);
        assert_eq!(
            b.get(PropId(0x0037)),
            Some(&PropValue::String("subject".into()))
        );
        assert_eq!(b.get(PropId(0x0E1F)), None);
        assert_eq!(b.remove(PropId(0x0E08)), Some(PropValue::Int32(42)));
        assert_eq!(b.remove(PropId(0x0E08)), None);
        assert_eq!(b.len(), 1);
        // A value the caller wrote as a subnode replaces a value set, counts,
        // and is what the finished context points to.
        let body = Nid(0x0000_0A1F);
        b.set_subnode(PropTag(0x0037_001F), body);
        assert_eq!(b.get(PropId(0x0037)), None);
        assert_eq!(b.len(), 1);
        assert!(!b.is_empty());
        let pc = read(Variant::Unicode, &b.finish());
        let rec = pc.record(PropId(0x0037)).unwrap();
        assert_eq!(rec.tag, PropTag(0x0037_001F));
        assert_eq!(rec.value, body.0);
        // Only a subnode-written value: not empty either.
        let mut b = PcBuilder::new(Variant::Unicode);
        b.set_subnode(PropTag(0x1000_001F), body);
        assert_eq!(b.len(), 1);
        assert!(!b.is_empty());
    }

    #[test]
    fn inline_and_empty_slots() {
        let mut b = PcBuilder::new(Variant::Unicode);
        b.set(PropTag(0x0E38_0003), PropValue::Int32(0x1234_5678));
        b.set(PropTag(0x6633_000B), PropValue::Boolean(true));
        b.set(PropTag(0x0001_0002), PropValue::Int16(-1));
        b.set(PropTag(0x3001_001F), PropValue::String(String::new()));
        let pc = read(Variant::Unicode, &b.finish());
        let slot = |id| pc.record(PropId(id)).unwrap().value;
        assert_eq!(slot(0x0E38), 0x1234_5678);
        assert_eq!(slot(0x6633), 1);
        assert_eq!(slot(0x0001), 0xFFFF);
        assert_eq!(slot(0x3001), 0);
    }

    #[test]
    fn heap_page_limit() {
        let fill = |b: &mut PcBuilder| {
            for i in 0..40u16 {
                b.set(
                    PropTag::new(PropId(0x4000 + i), PropType::Binary),
                    PropValue::Binary(vec![i as u8; 3000]),
                );
            }
        };
        let mut b = PcBuilder::new(Variant::Unicode);
        fill(&mut b);
        let d = b.finish();
        assert_eq!(d.pages.len(), 8);
        assert_eq!(d.subnodes.len(), 40 - 16);
        let pc = read(Variant::Unicode, &d);
        for i in 0..40u16 {
            assert_eq!(pc.get_binary(PropId(0x4000 + i)).unwrap().is_err(), i >= 16);
        }
        let mut b = PcBuilder::new(Variant::Unicode);
        b.set_heap_page_limit(None);
        fill(&mut b);
        let d = b.finish();
        assert_eq!(d.pages.len(), 20);
        assert!(d.subnodes.is_empty());
        // A tree larger than the limit keeps values out of the heap.
        let mut b = PcBuilder::new(Variant::Unicode);
        b.set_heap_page_limit(Some(0));
        b.set(PropTag(0x3001_001F), PropValue::String("x".into()));
        b.set(PropTag(0x0E38_0003), PropValue::Int32(5));
        let d = b.finish();
        assert_eq!(d.pages.len(), 1);
        assert_eq!(d.subnodes.len(), 1);
    }

    /// A page limit the BTH reaches exactly leaves the rest of its last
    /// page to values; only one it passes sends them all to subnodes.
    #[test]
    fn a_limit_the_tree_reaches_still_takes_values() {
        for (limit, subnodes) in [(Some(1), 0), (Some(0), 1)] {
            let mut b = PcBuilder::new(Variant::Unicode);
            b.set_heap_page_limit(limit);
            b.set(PropTag(0x3001_001F), PropValue::String("x".into()));
            let d = b.finish();
            assert_eq!(d.pages.len(), 1, "{limit:?}");
            assert_eq!(d.subnodes.len(), subnodes, "{limit:?}");
        }
    }

    #[test]
    fn large_values_go_to_subnodes() {
        let mut b = PcBuilder::new(Variant::Unicode);
        b.reserve_subnode(Nid(0x3F));
        b.set(PropTag(0x1000_0102), PropValue::Binary(vec![1; 3580]));
        b.set(PropTag(0x1001_0102), PropValue::Binary(vec![2; 3581]));
        let d = b.finish();
        assert_eq!(d.subnodes.len(), 1);
        assert_eq!(d.subnodes[0].0, Nid(0x5F));
        assert_eq!(d.subnodes[0].1, vec![2; 3581]);
        let pc = read(Variant::Unicode, &d);
        assert_eq!(pc.record(PropId(0x1001)).unwrap().value, 0x5F);
        assert_eq!(
            pc.get_binary(PropId(0x1000)).unwrap().unwrap(),
            vec![1; 3580]
        );
    }
}

#[cfg(test)]
mod set_inline_tests {
    use super::*;
    use crate::heap::Heap;
    use crate::pc::PropertyContext;
    use std::borrow::Cow;

    /// A record in a BTH leaf past the first page (a thousand properties
    /// before it) is found on its own page and rewritten there.
    #[test]
    fn an_inline_value_on_a_later_page_is_rewritten_there() {
        for variant in [Variant::Ansi, Variant::Unicode, Variant::Unicode4k] {
            let mut b = PcBuilder::new(variant);
            for id in 1..=1500u32 {
                b.set(PropTag((id << 16) | 3), PropValue::Int32(id as i32));
            }
            let mut d = b.finish();
            assert!(d.pages.len() >= 2, "{variant:?}");
            assert!(set_inline(&mut d.pages, variant, PropId(1400), 7));
            assert!(set_inline(&mut d.pages, variant, PropId(1), 9));
            let blocks = d.pages.iter().map(|p| Cow::Owned(p.clone())).collect();
            let pc =
                PropertyContext::from_heap(Heap::from_blocks(Nid(0x21), variant, blocks).unwrap())
                    .unwrap();
            for id in 1..=1500u16 {
                let want = match id {
                    1400 => 7,
                    1 => 9,
                    _ => i32::from(id),
                };
                assert_eq!(
                    pc.get_i32(PropId(id)).unwrap().unwrap(),
                    want,
                    "{variant:?} {id}"
                );
            }
        }
    }

    #[test]
    fn an_inline_value_is_rewritten_in_place() {
        for variant in [Variant::Ansi, Variant::Unicode, Variant::Unicode4k] {
            let mut b = PcBuilder::new(variant);
            b.set(PropTag(0x0E08_0003), PropValue::Int32(0));
            b.set(PropTag(0x0037_001F), PropValue::String("x".repeat(300)));
            let mut d = b.finish();
            let before: Vec<usize> = d.pages.iter().map(Vec::len).collect();
            assert!(set_inline(&mut d.pages, variant, PropId(0x0E08), 123_456));
            assert!(!set_inline(&mut d.pages, variant, PropId(0x0037), 1));
            assert!(!set_inline(&mut d.pages, variant, PropId(0x0E07), 1));
            assert_eq!(d.pages.iter().map(Vec::len).collect::<Vec<_>>(), before);
            let blocks = d.pages.iter().map(|p| Cow::Owned(p.clone())).collect();
            let pc =
                PropertyContext::from_heap(Heap::from_blocks(Nid(0x21), variant, blocks).unwrap())
                    .unwrap();
            assert_eq!(pc.get_i32(PropId(0x0E08)).unwrap().unwrap(), 123_456);
            assert_eq!(
                pc.get_string(PropId(0x0037), 1252).unwrap().unwrap(),
                "x".repeat(300)
            );
        }
    }
}
