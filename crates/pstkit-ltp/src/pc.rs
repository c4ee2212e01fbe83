//! Property context (PC): the properties of one object (store, folder,
//! message, attachment) as a BTH keyed by property id ([MS-PST] 2.3.3).
//!
//! Reading a PC checks its heap and tree once and keeps the (small) list of
//! records; each value is fetched and decoded only when asked for, and a
//! value that cannot be read is an error for that property alone.

use std::borrow::Cow;

use pstkit_ndb::{Nid, Node};

use crate::bth::Bth;
use crate::error::{LtpError, Result};
use crate::heap::{Heap, Hnid, HnidTarget, CLIENT_SIG_PC};
use crate::props;
use crate::tag::{PropId, PropKey, PropTag, PropType};
use crate::value::{FileTime, PropValue};

/// One PC record: the property's tag and its `dwValueHnid`, which holds the
/// value itself for types of up to four bytes and an HNID otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PcRecord {
    /// Property id and stored type.
    pub tag: PropTag,
    /// `dwValueHnid`.
    pub value: u32,
}

/// A property context.
#[derive(Debug)]
pub struct PropertyContext<'a> {
    heap: Heap<'a>,
    records: Vec<PcRecord>,
    /// Whether the BTH held its keys strictly ascending, as it should.
    ascending: bool,
}

impl<'a> PropertyContext<'a> {
    /// Reads the PC stored in `node`.
    pub fn read(node: Node<'a>) -> Result<Self> {
        Self::from_heap(Heap::open(node)?)
    }

    /// A property context without properties, standing for object `nid`
    /// whose own context is lost: a salvage reads on past it (a message
    /// store whose object is gone still has its folders) and reports the
    /// loss. Built in memory by the writer, as an empty PC is stored.
    pub fn empty(nid: Nid, variant: pstkit_ndb::Variant) -> Result<Self> {
        let pages = crate::write::PcBuilder::new(variant).finish().pages;
        let blocks = pages.into_iter().map(Cow::Owned).collect();
        Self::from_heap(Heap::from_blocks(nid, variant, blocks)?)
    }

    /// Reads the PC held by `heap` (whose client signature must be 0xBC).
    pub fn from_heap(heap: Heap<'a>) -> Result<Self> {
        let nid = heap.nid();
        let err = |what: String| LtpError::PropertyContext { nid, what };
        if heap.client_sig() != CLIENT_SIG_PC {
            return Err(err(format!(
                "heap client signature is 0x{:02X}, expected 0x{CLIENT_SIG_PC:02X}",
                heap.client_sig()
            )));
        }
        // A message's PC holds some tens of properties: room for them
        // up front instead of growing through 4, 8, 16, 32.
        let mut records = Vec::with_capacity(64);
        {
            let bth = Bth::open(&heap, heap.user_root())?;
            let h = bth.header();
            if h.key_size != 2 || h.entry_size != 6 {
                return Err(err(format!(
                    "BTH has cbKey {} and cbEnt {}, expected 2 and 6",
                    h.key_size, h.entry_size
                )));
            }
            for r in bth.iter() {
                let r = r?;
                let id = u16::from_le_bytes([r.key[0], r.key[1]]);
                let ptype = u16::from_le_bytes([r.data[0], r.data[1]]);
                let value = u32::from_le_bytes([r.data[2], r.data[3], r.data[4], r.data[5]]);
                records.push(PcRecord {
                    tag: PropTag((u32::from(id) << 16) | u32::from(ptype)),
                    value,
                });
            }
        }
        let ascending = records.windows(2).all(|w| w[0].tag.id() < w[1].tag.id());
        // Stored sorted; sorting again keeps lookups right on damaged files.
        if !ascending {
            records.sort_by_key(|r| r.tag.id());
        }
        Ok(PropertyContext {
            heap,
            records,
            ascending,
        })
    }

    /// Whether the BTH holds its keys strictly ascending (unique and in
    /// order, as [MS-PST] 2.3.2 requires); when not, its records are
    /// sorted here all the same.
    pub fn keys_ascending(&self) -> bool {
        self.ascending
    }

    /// The node holding the PC.
    pub fn nid(&self) -> Nid {
        self.heap.nid()
    }

    /// The heap under the PC.
    pub fn heap(&self) -> &Heap<'a> {
        &self.heap
    }

    /// All records, sorted by property id.
    pub fn records(&self) -> &[PcRecord] {
        &self.records
    }

    /// Number of properties.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the PC has no properties.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The tags of all properties, in id order.
    pub fn tags(&self) -> impl Iterator<Item = PropTag> + '_ {
        self.records.iter().map(|r| r.tag)
    }

    /// The record selected by `key`.
    pub fn record(&self, key: impl Into<PropKey>) -> Option<PcRecord> {
        let key = key.into();
        let id = key.id();
        let start = self.records.partition_point(|r| r.tag.id() < id);
        self.records[start..]
            .iter()
            .take_while(|r| r.tag.id() == id)
            .find(|r| key.matches(r.tag))
            .copied()
    }

    fn wrap(&self, tag: PropTag, e: LtpError) -> LtpError {
        LtpError::Property {
            nid: self.nid(),
            tag,
            row: None,
            source: Box::new(e),
        }
    }

    /// The stored bytes of a record's value: the low bytes of `dwValueHnid`
    /// for inline types, else what the HNID refers to.
    pub fn raw_of(&self, rec: PcRecord) -> Result<Cow<'_, [u8]>> {
        let ptype = rec.tag.prop_type();
        if ptype.is_inline() {
            let size = ptype.fixed_size().unwrap_or(4);
            return Ok(Cow::Owned(rec.value.to_le_bytes()[..size].to_vec()));
        }
        self.heap
            .read_hnid(Hnid(rec.value))
            .map_err(|e| self.wrap(rec.tag, e))
    }

    /// The length of a record's stored value, without reading a value kept
    /// in a subnode (its data tree gives the size): what size rules need.
    pub fn stored_len(&self, rec: PcRecord) -> Result<u64> {
        let ptype = rec.tag.prop_type();
        if ptype.is_inline() {
            return Ok(ptype.fixed_size().unwrap_or(4) as u64);
        }
        let len = match Hnid(rec.value).target() {
            HnidTarget::Empty => Ok(0),
            HnidTarget::Heap(hid) => self.heap.get(hid).map(|b| b.len() as u64),
            HnidTarget::Subnode(nid) => self.heap.with_subnode(nid, Node::size),
        };
        len.map_err(|e| self.wrap(rec.tag, e))
    }

    /// The decoded value of a record.
    pub fn value_of(&self, rec: PcRecord) -> Result<PropValue> {
        let raw = self.raw_of(rec)?;
        PropValue::decode(rec.tag.prop_type(), &raw).map_err(|e| self.wrap(rec.tag, e.into()))
    }

    /// Whether a record's value decodes, with [`PropertyContext::value_of`]'s
    /// error when it does not, without building the value (see
    /// [`PropValue::check`]).
    pub fn check_value(&self, rec: PcRecord) -> Result<()> {
        let ptype = rec.tag.prop_type();
        let check =
            |raw: &[u8]| PropValue::check(ptype, raw).map_err(|e| self.wrap(rec.tag, e.into()));
        if ptype.is_inline() {
            let size = ptype.fixed_size().unwrap_or(4);
            return check(&rec.value.to_le_bytes()[..size]);
        }
        let raw = self
            .heap
            .read_hnid(Hnid(rec.value))
            .map_err(|e| self.wrap(rec.tag, e))?;
        check(&raw)
    }

    /// Every property with its decoded value, in id order.
    pub fn props(&self) -> Props<'_, 'a> {
        Props { pc: self, next: 0 }
    }

    /// The stored bytes of the property selected by `key`, without decoding
    /// (large binary values stay borrowed when they sit in the heap).
    pub fn raw(&self, key: impl Into<PropKey>) -> Option<Result<Cow<'_, [u8]>>> {
        self.record(key).map(|r| self.raw_of(r))
    }

    /// The decoded value of the property selected by `key`.
    pub fn get(&self, key: impl Into<PropKey>) -> Option<Result<PropValue>> {
        self.record(key).map(|r| self.value_of(r))
    }

    fn typed<T>(
        &self,
        id: PropId,
        wanted: &'static str,
        f: impl FnOnce(PropValue) -> std::result::Result<T, PropValue>,
    ) -> Option<Result<T>> {
        let rec = self.record(id)?;
        Some(self.value_of(rec).and_then(|v| {
            f(v).map_err(|v| LtpError::TypeMismatch {
                nid: self.nid(),
                tag: rec.tag,
                wanted,
                found: v.prop_type(),
            })
        }))
    }

    /// The text of a PtypString or PtypString8 property; 8-bit text is read
    /// in `codepage` (see [`PropertyContext::codepage`]).
    pub fn get_string(&self, id: PropId, codepage: u32) -> Option<Result<String>> {
        self.typed(id, "a string", |v| v.into_text(codepage))
    }

    /// A PtypInteger32 property.
    pub fn get_i32(&self, id: PropId) -> Option<Result<i32>> {
        self.typed(id, "PtypInteger32", |v| match v {
            PropValue::Int32(x) => Ok(x),
            v => Err(v),
        })
    }

    /// A PtypBoolean property.
    pub fn get_bool(&self, id: PropId) -> Option<Result<bool>> {
        self.typed(id, "PtypBoolean", |v| match v {
            PropValue::Boolean(x) => Ok(x),
            v => Err(v),
        })
    }

    /// A PtypBinary property.
    pub fn get_binary(&self, id: PropId) -> Option<Result<Vec<u8>>> {
        self.typed(id, "PtypBinary", |v| match v {
            PropValue::Binary(x) => Ok(x),
            v => Err(v),
        })
    }

    /// A PtypTime property.
    pub fn get_time(&self, id: PropId) -> Option<Result<FileTime>> {
        self.typed(id, "PtypTime", |v| match v {
            PropValue::Time(x) => Ok(x),
            v => Err(v),
        })
    }

    /// The code page the object names for its 8-bit strings:
    /// PidTagMessageCodepage, else PidTagInternetCodepage, when readable.
    pub fn codepage(&self) -> Option<u32> {
        [props::MESSAGE_CODEPAGE, props::INTERNET_CODEPAGE]
            .into_iter()
            .find_map(|id| match self.get(PropTag::new(id, PropType::Int32)) {
                Some(Ok(PropValue::Int32(cp))) if cp > 0 => Some(cp as u32),
                _ => None,
            })
    }
}

impl std::fmt::Debug for Props<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Props")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// Iterator over a PC's properties; see [`PropertyContext::props`].
pub struct Props<'p, 'a> {
    pc: &'p PropertyContext<'a>,
    next: usize,
}

impl Iterator for Props<'_, '_> {
    type Item = (PropTag, Result<PropValue>);

    fn next(&mut self) -> Option<Self::Item> {
        let r = *self.pc.records.get(self.next)?;
        self.next += 1;
        Some((r.tag, self.pc.value_of(r)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.pc.records.len().saturating_sub(self.next);
        (n, Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::{build, Hid};
    use pstkit_ndb::Variant;

    /// The 258-byte message-store PC of MS-PST §3.9, rebuilt from the facts
    /// in the format notes: same allocations in the same order, so the
    /// HIDs (0x20 … 0x100) and the page map offsets match the sample.
    fn sample_store_pc() -> Vec<u8> {
        let rec = |id: u16, t: u16, v: u32| {
            let mut r = id.to_le_bytes().to_vec();
            r.extend_from_slice(&t.to_le_bytes());
            r.extend_from_slice(&v.to_le_bytes());
            r
        };
        let leaf: Vec<u8> = [
            rec(0x0E34, 0x0102, 0xA0),
            rec(0x0E38, 0x0003, 0),
            rec(0x0FF9, 0x0102, 0x60),
            rec(0x3001, 0x001F, 0x80),
            rec(0x35DF, 0x0003, 0x89),
            rec(0x35E0, 0x0102, 0xC0),
            rec(0x35E3, 0x0102, 0x100),
            rec(0x35E7, 0x0102, 0xE0),
            rec(0x6633, 0x000B, 1),
            rec(0x66FA, 0x0003, 0x000E_000D),
            rec(0x67FF, 0x0003, 0),
        ]
        .concat();
        let record_key = [
            0x22, 0x9D, 0xB5, 0x0A, 0xDC, 0xD9, 0x94, 0x43, 0x85, 0xDE, 0x90, 0xAE, 0xB0, 0x7D,
            0x12, 0x70,
        ];
        let name: Vec<u8> = "UNICODE1"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let entry = |nid: u32| {
            let mut e = vec![0u8; 4];
            e.extend_from_slice(&record_key);
            e.extend_from_slice(&nid.to_le_bytes());
            e
        };
        let history = [0x5Au8; 24];
        let p = build::first_page(
            CLIENT_SIG_PC,
            0x20,
            &[
                &[0xB5, 2, 6, 0, 0x40, 0, 0, 0],
                &leaf,
                &record_key,
                &name,
                &history,
                &entry(0x8022),
                &entry(0x8042),
                &entry(0x8062),
            ],
        );
        // Sample page map: cAlloc 8, offsets 0x0C, 0x14, 0x6C, 0x7C, 0x8C, 0xA4, 0xBC, 0xD4, 0xEC.
        assert_eq!(&p[..4], &[0xEC, 0x00, 0xEC, 0xBC]);
        assert_eq!(p.len(), 0xEC + 4 + 18);
        assert_eq!(&p[0xEC + 4..0xEC + 8], &[0x0C, 0, 0x14, 0]);
        p
    }

    fn pc(blocks: Vec<Vec<u8>>) -> Result<PropertyContext<'static>> {
        let heap = Heap::from_blocks(
            Nid(0x21),
            Variant::Unicode,
            blocks.into_iter().map(Cow::Owned).collect(),
        )?;
        PropertyContext::from_heap(heap)
    }

    #[test]
    fn an_empty_context_reads_as_one_without_properties() {
        for v in [Variant::Ansi, Variant::Unicode, Variant::Unicode4k] {
            let pc = PropertyContext::empty(Nid(0x21), v).unwrap();
            assert_eq!(pc.props().count(), 0);
            assert!(pc.get(props::DISPLAY_NAME).is_none());
            assert_eq!(pc.nid(), Nid(0x21));
        }
    }

    #[test]
    fn reads_the_spec_sample() {
        let pc = pc(vec![sample_store_pc()]).unwrap();
        assert_eq!(pc.len(), 11);
        assert_eq!(
            pc.get_string(props::DISPLAY_NAME, 1252).unwrap().unwrap(),
            "UNICODE1"
        );
        let key = pc.get_binary(props::RECORD_KEY).unwrap().unwrap();
        assert_eq!(key.len(), 16);
        assert_eq!(key[..4], [0x22, 0x9D, 0xB5, 0x0A]);
        assert_eq!(pc.get_i32(PropId(0x35DF)).unwrap().unwrap(), 0x89);
        assert_eq!(pc.get_i32(PropId(0x66FA)).unwrap().unwrap(), 0x000E_000D);
        assert!(pc.get_bool(PropId(0x6633)).unwrap().unwrap());
        let subtree = pc.get_binary(PropId(0x35E0)).unwrap().unwrap();
        assert_eq!(subtree[20..], [0x22, 0x80, 0, 0]);
        assert_eq!(pc.get_binary(PropId(0x0E34)).unwrap().unwrap().len(), 24);
        assert!(pc.get(PropId(0x1234)).is_none());
        assert!(pc.get(PropTag(0x3001_001E)).is_none());
        assert!(pc.get(PropTag(0x3001_001F)).is_some());
        let e = pc.get_i32(props::DISPLAY_NAME).unwrap().unwrap_err();
        assert!(matches!(e, LtpError::TypeMismatch { .. }), "{e}");
        assert!(pc.props().all(|(_, v)| v.is_ok()));
        assert_eq!(pc.codepage(), None);
        assert_eq!(&*pc.raw(PropId(0x0E38)).unwrap().unwrap(), &[0, 0, 0, 0]);
    }

    /// The sample's records swapped or repeated: read all the same, sorted,
    /// and said not to be ascending; the sample itself is.
    #[test]
    fn keys_out_of_order_or_repeated_are_sorted_and_reported() {
        let good = pc(vec![sample_store_pc()]).unwrap();
        assert!(good.keys_ascending());
        assert!(!good.is_empty());
        assert!(PropertyContext::empty(Nid(0x21), Variant::Unicode)
            .unwrap()
            .is_empty());
        let leaf = 0x14;
        let rec = |k: usize| leaf + k * 8..leaf + k * 8 + 8;
        // Records 3 (0x3001) and 4 (0x35DF) swapped.
        let mut swapped = sample_store_pc();
        let (a, b) = (swapped[rec(3)].to_vec(), swapped[rec(4)].to_vec());
        swapped[rec(3)].copy_from_slice(&b);
        swapped[rec(4)].copy_from_slice(&a);
        let pc_swapped = pc(vec![swapped]).unwrap();
        assert!(!pc_swapped.keys_ascending());
        let ids: Vec<u16> = pc_swapped.tags().map(|t| t.id().0).collect();
        let good_ids: Vec<u16> = good.tags().map(|t| t.id().0).collect();
        assert_eq!(ids, good_ids);
        assert_eq!(
            pc_swapped
                .get_string(props::DISPLAY_NAME, 1252)
                .unwrap()
                .unwrap(),
            "UNICODE1"
        );
        // Record 4 made a second 0x3001 (of another type): not strictly
        // ascending, though in order.
        let mut repeated = sample_store_pc();
        repeated[rec(4)][..2].copy_from_slice(&0x3001u16.to_le_bytes());
        assert!(!pc(vec![repeated]).unwrap().keys_ascending());
    }

    /// Debug forms name what they show (ids in hex, as errors print them).
    #[test]
    fn debug_forms() {
        let pc = pc(vec![sample_store_pc()]).unwrap();
        let heap = format!("{:?}", pc.heap());
        assert!(
            heap.starts_with("Heap {") && heap.contains("blocks: 1"),
            "{heap}"
        );
        assert!(format!("{:?}", pc.props()).starts_with("Props {"));
        assert_eq!(format!("{:?}", Hid(0x20)), "Hid(0x20)");
        assert_eq!(format!("{:?}", PropId(0x3001)), "PropId(0x3001)");
    }

    /// A BTH whose entries are not 2-byte keys with 6-byte data is no
    /// property context, whichever of the two sizes is wrong.
    #[test]
    fn a_bth_of_other_sizes_is_refused() {
        for (key, ent) in [(2u8, 4u8), (4, 6), (4, 4)] {
            let mut p = sample_store_pc();
            // The BTH header is the first allocation, at 0x0C.
            p[0x0C + 1] = key;
            p[0x0C + 2] = ent;
            let e = pc(vec![p]).unwrap_err();
            assert!(
                e.to_string()
                    .contains(&format!("cbKey {key} and cbEnt {ent}, expected 2 and 6")),
                "{e}"
            );
        }
    }

    /// Stored lengths without decoding: inline values their fixed size,
    /// heap values their allocation's.
    #[test]
    fn stored_lengths() {
        let pc = pc(vec![sample_store_pc()]).unwrap();
        let len = |id: u16| pc.stored_len(pc.record(PropId(id)).unwrap()).unwrap();
        assert_eq!(len(0x3001), 16); // "UNICODE1" in UTF-16
        assert_eq!(len(0x0E34), 24);
        assert_eq!(len(0x0FF9), 16);
        assert_eq!(len(0x35DF), 4);
        assert_eq!(len(0x6633), 1);
    }

    #[test]
    fn one_bad_value_does_not_spoil_the_rest() {
        let mut p = sample_store_pc();
        // Point 0x3001's HNID at slot 9, which does not exist.
        let leaf = 0x14;
        let rec = leaf + 3 * 8;
        assert_eq!(&p[rec..rec + 2], &[0x01, 0x30]);
        p[rec + 4..rec + 8].copy_from_slice(&0x120u32.to_le_bytes());
        let pc = pc(vec![p]).unwrap();
        let err = pc.get(props::DISPLAY_NAME).unwrap().unwrap_err();
        assert_eq!(
            err.to_string(),
            "node 0x21, property 0x3001001F: heap of node 0x21: \
             HID 0x120 block 0 index 9 out of range (cAlloc 8)"
        );
        assert_eq!(err.nid(), Some(Nid(0x21)));
        assert_eq!(err.tag(), Some(PropTag(0x3001_001F)));
        assert_eq!(err.hid(), Some(Hid(0x120)));
        assert_eq!(err.row(), None);
        assert!(err.corruption().is_none());
        assert_eq!(pc.props().filter(|(_, v)| v.is_err()).count(), 1);
        assert!(pc.get_binary(props::RECORD_KEY).unwrap().is_ok());
        // The check without decoding finds the same, and the length too.
        let bad = pc.record(props::DISPLAY_NAME).unwrap();
        assert_eq!(
            pc.check_value(bad).unwrap_err().to_string(),
            err.to_string()
        );
        assert!(pc.stored_len(bad).is_err());
        for r in pc
            .records()
            .iter()
            .filter(|r| r.tag.id() != props::DISPLAY_NAME)
        {
            pc.check_value(*r).unwrap();
        }
    }

    #[test]
    fn empty_variable_value_and_subnode_hnid() {
        let rec = |id: u16, t: u16, v: u32| {
            let mut r = id.to_le_bytes().to_vec();
            r.extend_from_slice(&t.to_le_bytes());
            r.extend_from_slice(&v.to_le_bytes());
            r
        };
        let leaf = [
            rec(0x0037, 0x001F, 0),
            rec(0x1000, 0x001F, 0x8001_003F),
            rec(0x3FFD, 0x0003, 65001),
        ]
        .concat();
        let p = build::first_page(
            CLIENT_SIG_PC,
            0x20,
            &[&[0xB5, 2, 6, 0, 0x40, 0, 0, 0], &leaf],
        );
        let pc = pc(vec![p]).unwrap();
        assert_eq!(pc.get_string(props::SUBJECT, 1252).unwrap().unwrap(), "");
        // A subnode HNID cannot be followed without a file; it is an error
        // for that property only.
        assert!(pc.get(PropId(0x1000)).unwrap().is_err());
        assert_eq!(pc.codepage(), Some(65001));
    }

    #[test]
    fn wrong_client_or_tree_shape() {
        let p = build::first_page(0x7C, 0x20, &[&[0xB5, 2, 6, 0, 0, 0, 0, 0]]);
        let e = pc(vec![p]).unwrap_err().to_string();
        assert!(e.contains("client signature is 0x7C"), "{e}");
        let p = build::first_page(CLIENT_SIG_PC, 0x20, &[&[0xB5, 4, 4, 0, 0, 0, 0, 0]]);
        assert!(pc(vec![p]).is_err());
        let p = build::first_page(CLIENT_SIG_PC, 0x20, &[&[0xB5, 2, 6, 0, 0, 0, 0, 0]]);
        assert!(pc(vec![p]).unwrap().is_empty());
    }
}
