//! Rules on single structures: the mandatory nodes, the store's entry ids,
//! property and table contexts, and the name-to-id map.

use std::collections::HashSet;

use pstkit_ltp::bth::Bth;
use pstkit_ltp::props::name_map;
use pstkit_ltp::props::FIRST_NAMED_ID;
use pstkit_ltp::{Hnid, PropId, PropertyContext, TableContext};
use pstkit_ndb::{FileKind, Ndb, NdbError, Nid, NidType};

use super::AuditReport;
use crate::names::{string_record, NameMap};
use crate::pid;
use crate::store::Store;

/// The nodes [MS-PST] 2.7.1 requires in every store, by fixed id.
const MANDATORY: &[(u32, &str)] = &[
    (0x21, "message store"),
    (0x61, "name-to-id map"),
    (0x122, "root folder"),
    (0x12D, "root folder's hierarchy table"),
    (0x12E, "root folder's contents table"),
    (0x12F, "root folder's associated-contents table"),
    (0x1E1, "search management queue"),
    (0x201, "search activity list"),
    (0x261, "search domain object"),
    (0x60D, "hierarchy table template"),
    (0x60E, "contents table template"),
    (0x60F, "associated-contents table template"),
    (0x610, "search contents table template"),
    (0x671, "attachment table template"),
    (0x692, "recipient table template"),
];

pub(super) fn mandatory_nodes(ndb: Ndb<'_>, r: &mut AuditReport) {
    for &(nid, what) in MANDATORY {
        match ndb.node_entry(Nid(nid)) {
            Ok(_) => {}
            Err(NdbError::NodeNotFound(_)) => {
                r.add(
                    "mandatory-node",
                    Nid(nid),
                    "",
                    format!("node 0x{nid:X} ({what})"),
                    "no such node",
                );
            }
            // Unreadable index pages are the NDB check's to report.
            Err(_) => {}
        }
    }
}

/// The store's entry ids of its special folders.
pub(super) fn entry_ids(store: &Store<'_>, r: &mut AuditReport) {
    let record_key = store.record_key();
    for (id, what) in [
        (pid::IPM_SUBTREE_ENTRY_ID, "IPM subtree"),
        (pid::IPM_WASTEBASKET_ENTRY_ID, "Deleted Items"),
        (pid::FINDER_ENTRY_ID, "search root"),
    ] {
        let name = pstkit_ltp::props::name_of(id).unwrap_or("entry id");
        let Some(Ok(eid)) = store.properties().get_binary(id) else {
            if store.ndb().header().kind != FileKind::Pst {
                continue;
            }
            r.add(
                "store-entry-id",
                Nid::MESSAGE_STORE,
                "",
                format!("{name} naming the {what}"),
                "absent",
            );
            continue;
        };
        if eid.len() != 24 {
            r.add(
                "store-entry-id",
                Nid::MESSAGE_STORE,
                "",
                format!("{name}: a 24-byte entry id"),
                format!("{} bytes", eid.len()),
            );
            continue;
        }
        if let Some(key) = record_key.as_deref() {
            if key != &eid[4..20] {
                r.add(
                    "store-entry-id",
                    Nid::MESSAGE_STORE,
                    "",
                    format!("{name}: provider {}", hex(key)),
                    format!("provider {}", hex(&eid[4..20])),
                );
            }
        }
        let nid = Nid(u32::from_le_bytes([eid[20], eid[21], eid[22], eid[23]]));
        let is_folder = matches!(nid.kind(), NidType::NormalFolder | NidType::SearchFolder);
        let exists = store.ndb().node_entry(nid).is_ok();
        if !is_folder || !exists {
            r.add(
                "store-entry-id",
                Nid::MESSAGE_STORE,
                "",
                format!("{name}: a folder node"),
                format!(
                    "node 0x{:X}{}",
                    nid.0,
                    if exists {
                        ", not a folder"
                    } else {
                        ", which does not exist"
                    }
                ),
            );
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// A property context's BTH: keys unique and ascending, every value reads.
pub(super) fn property_context(pc: &PropertyContext<'_>, path: &str, r: &mut AuditReport) {
    let nid = pc.nid();
    // The context read the same BTH whole: keys it saw ascending leave
    // nothing to find in a second walk.
    let walk = if pc.keys_ascending() {
        None
    } else {
        Bth::open(pc.heap(), pc.heap().user_root()).ok()
    };
    if let Some(bth) = walk {
        let mut last: Option<u16> = None;
        for rec in bth.iter() {
            let Ok(rec) = rec else { break };
            let key = u16::from_le_bytes([rec.key[0], rec.key[1]]);
            if let Some(prev) = last {
                if key <= prev {
                    r.add(
                        "pc-structure",
                        nid,
                        path,
                        format!("keys ascending after 0x{prev:04X}"),
                        format!("key 0x{key:04X}"),
                    );
                }
            }
            last = Some(key);
        }
    }
    for rec in pc.records() {
        if rec.tag.prop_type().is_inline() {
            continue;
        }
        // Where each value is; decoding it is the item decoder's job.
        if let Err(e) = pc.heap().check_hnid(Hnid(rec.value)) {
            r.add(
                "pc-structure",
                nid,
                path,
                format!("property 0x{:08X} reads", rec.tag.0),
                e.to_string(),
            );
        }
    }
}

/// A table context's RowIndex, column descriptors and cells.
pub(super) fn table_context(tc: &TableContext<'_>, path: &str, r: &mut AuditReport) {
    let nid = tc.nid();
    let info = tc.info();
    let mut add = |expected: String, found: String| {
        r.add("table-structure", nid, path, expected, found);
    };
    // Columns: sorted by tag, each inside its group and the row, bits distinct.
    let ends = info.group_ends;
    let mut bits = HashSet::new();
    for (i, c) in info.columns.iter().enumerate() {
        if i > 0 && info.columns[i - 1].tag.0 >= c.tag.0 {
            add(
                format!(
                    "column descriptors sorted by tag after 0x{:08X}",
                    info.columns[i - 1].tag.0
                ),
                format!("0x{:08X}", c.tag.0),
            );
        }
        let (lo, hi) = match c.size {
            4 | 8 => (0, ends[0]),
            2 => (ends[0], ends[1]),
            1 => (ends[1], ends[2]),
            _ => {
                add(
                    format!("column 0x{:08X} of 1, 2, 4 or 8 bytes", c.tag.0),
                    format!("{} bytes", c.size),
                );
                continue;
            }
        };
        let end = u32::from(c.offset) + u32::from(c.size);
        if c.offset < lo || end > u32::from(hi) {
            add(
                format!(
                    "column 0x{:08X} within bytes {lo}..{hi} of the row",
                    c.tag.0
                ),
                format!("bytes {}..{end}", c.offset),
            );
        }
        let ceb_bits = usize::from(ends[3] - ends[2]) * 8;
        if usize::from(c.bit) >= ceb_bits || !bits.insert(c.bit) {
            add(
                format!(
                    "column 0x{:08X}: a cell-existence bit of its own below {ceb_bits}",
                    c.tag.0
                ),
                format!("bit {}", c.bit),
            );
        }
    }
    // RowIndex against the matrix.
    let rows = tc.row_count();
    let Ok(index) = tc.row_index() else {
        add("a RowIndex that reads".into(), "unreadable".into());
        return;
    };
    if index.len() != rows {
        add(
            format!("{rows} RowIndex entries (one per row)"),
            format!("{}", index.len()),
        );
    }
    let mut positions = vec![false; rows];
    for (id, pos) in &index {
        let at = *pos as usize;
        let ok = at < rows && tc.row(at).is_ok_and(|row| row.row_id() == *id);
        if !ok {
            add(
                format!("row id 0x{id:X} at a row holding it"),
                format!("row {pos} of {rows}"),
            );
        } else if std::mem::replace(&mut positions[at], true) {
            add(
                "each row named by one RowIndex entry".into(),
                format!("row {pos} named twice"),
            );
        }
    }
    // Cells whose existence bit is set must read.
    for row in tc.iter() {
        let Ok(row) = row else {
            add("rows that read".into(), "unreadable row".into());
            break;
        };
        for c in tc.columns() {
            if let Err(e) = row.check_cell(c) {
                add(
                    format!("row {} column 0x{:08X} reads", row.index(), c.tag.0),
                    e.to_string(),
                );
            }
        }
    }
}

/// The name-to-id map: bucket count, entries, hash placement.
pub(super) fn name_map(ndb: Ndb<'_>, r: &mut AuditReport) {
    let nid = Nid::NAME_TO_ID_MAP;
    let Ok(node) = ndb.node(nid) else { return };
    let Ok(pc) = PropertyContext::read(node) else {
        // The store reports an unreadable map as an item that does not decode.
        return;
    };
    name_map_of(&pc, r);
}

/// The rules of [`name_map`] on the map's property context.
fn name_map_of(pc: &PropertyContext<'_>, r: &mut AuditReport) {
    let nid = pc.nid();
    property_context(pc, "", r);
    let buckets = match pc.get_i32(name_map::NAMEID_BUCKET_COUNT) {
        Some(Ok(n)) if n > 0 => n as u32,
        found => {
            r.add(
                "name-map",
                nid,
                "",
                "PidTagNameidBucketCount above 0",
                match found {
                    Some(Ok(n)) => n.to_string(),
                    Some(Err(_)) => "unreadable".into(),
                    None => "absent".into(),
                },
            );
            return;
        }
    };
    let bin = |id: PropId| pc.get_binary(id).and_then(|v| v.ok()).unwrap_or_default();
    let guids = bin(name_map::NAMEID_STREAM_GUID);
    let entries = bin(name_map::NAMEID_STREAM_ENTRY);
    let strings = bin(name_map::NAMEID_STREAM_STRING);
    if entries.len() % 8 != 0 || guids.len() % 16 != 0 {
        r.add(
            "name-map",
            nid,
            "",
            "an entry stream of 8-byte and a GUID stream of 16-byte records",
            format!("{} and {} bytes", entries.len(), guids.len()),
        );
    }
    // Each entry's bucket record, to find in its bucket.
    let mut expected: Vec<(u32, [u8; 8])> = Vec::new();
    for (k, e) in entries.chunks_exact(8).enumerate() {
        let value = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
        let flags = u16::from_le_bytes([e[4], e[5]]);
        let index = u16::from_le_bytes([e[6], e[7]]);
        let npid = FIRST_NAMED_ID.0 as usize + k;
        if usize::from(index) != k {
            r.add(
                "name-map",
                nid,
                "",
                format!("entry {k} (0x{npid:04X}) with wPropIdx {k}"),
                format!("wPropIdx {index}"),
            );
        }
        let guid = usize::from(flags >> 1);
        if guid >= 3 && (guid - 3) * 16 + 16 > guids.len() {
            r.add(
                "name-map",
                nid,
                "",
                format!(
                    "entry {k} (0x{npid:04X}): a GUID index below {}",
                    3 + guids.len() / 16
                ),
                format!("GUID index {guid}"),
            );
        }
        let hash = if flags & 1 == 0 {
            value
        } else {
            match string_record(&strings, value as usize) {
                Some(s) => pstkit_ndb::crc::crc(s),
                None => {
                    r.add(
                        "name-map",
                        nid,
                        "",
                        format!("entry {k} (0x{npid:04X}): a name inside the string stream"),
                        format!("offset {value} of {} bytes", strings.len()),
                    );
                    continue;
                }
            }
        };
        let bucket = (hash ^ u32::from(flags)) % buckets;
        let mut rec = [0u8; 8];
        rec[..4].copy_from_slice(&hash.to_le_bytes());
        rec[4..6].copy_from_slice(&flags.to_le_bytes());
        rec[6..].copy_from_slice(&index.to_le_bytes());
        expected.push((bucket, rec));
    }
    // Each bucket read once, however many entries it should hold.
    let mut held_by = std::collections::HashMap::<u16, HashSet<[u8; 8]>>::new();
    for (bucket, rec) in expected {
        let Some(b) = u16::try_from(bucket)
            .ok()
            .and_then(|b| name_map::NAMEID_BUCKET_BASE.0.checked_add(b))
        else {
            continue;
        };
        let held = held_by.entry(b).or_insert_with(|| {
            bin(PropId(b))
                .chunks_exact(8)
                .filter_map(|c| c.try_into().ok())
                .collect()
        });
        if !held.contains(&rec) {
            let index = u16::from_le_bytes([rec[6], rec[7]]);
            r.add(
                "name-map",
                nid,
                "",
                format!(
                    "entry 0x{:04X} in hash bucket {bucket} (property 0x{b:04X})",
                    FIRST_NAMED_ID.0 as usize + usize::from(index)
                ),
                "not there",
            );
        }
    }
}

/// Every named property a context uses is in the map.
pub(super) fn named_properties(
    names: &NameMap,
    pc: &PropertyContext<'_>,
    path: &str,
    r: &mut AuditReport,
) {
    for tag in pc.tags() {
        let id = tag.id();
        if id.is_named() && names.get(id).is_none() {
            r.add(
                "name-map",
                pc.nid(),
                path,
                format!("named property 0x{:04X} in the name-to-id map", id.0),
                "not in the map",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use pstkit_ltp::write::{PcBuilder, TcBuilder};
    use pstkit_ltp::{Heap, PropTag, PropType, PropValue};
    use pstkit_ndb::Variant;

    use super::*;
    use crate::write::names::NameMapBuilder;
    use crate::{Guid, NamedProp, PropName};

    /// The findings of `check` on a fresh report: (expected, found).
    fn run(check: impl FnOnce(&mut AuditReport)) -> Vec<(String, String)> {
        let mut r = AuditReport::default();
        check(&mut r);
        r.findings
            .into_iter()
            .map(|f| (f.expected, f.found))
            .collect()
    }

    /// A table of three rows with a 4-byte, an 8-byte and a string column,
    /// its pages edited by `edit` (given the TCINFO's offset in page 0).
    fn table(edit: impl FnOnce(&mut Vec<u8>, usize)) -> Vec<(String, String)> {
        let cols = [
            PropTag::new(PropId(0x0E07), PropType::Int32),
            PropTag::new(PropId(0x0E06), PropType::Time),
            PropTag::new(PropId(0x0037), PropType::String),
            PropTag(0x67F2_0003),
            PropTag(0x67F3_0003),
        ];
        let mut tc = TcBuilder::new(Variant::Unicode, &cols);
        for i in 0..3u32 {
            tc.add_row(
                0x20_0004 + (i << 5),
                &[
                    (cols[0], PropValue::Int32(1)),
                    (cols[2], PropValue::String(format!("row {i}"))),
                ],
            );
        }
        let mut pages = tc.finish().pages;
        let at = {
            let heap = Heap::from_blocks(
                Nid(0x8E),
                Variant::Unicode,
                vec![Cow::Borrowed(&pages[0][..])],
            )
            .unwrap();
            heap.get(heap.user_root()).unwrap().as_ptr() as usize - pages[0].as_ptr() as usize
        };
        edit(&mut pages[0], at);
        let blocks = pages.into_iter().map(Cow::Owned).collect();
        let heap = Heap::from_blocks(Nid(0x8E), Variant::Unicode, blocks).unwrap();
        let tc = TableContext::from_heap(heap).unwrap();
        run(|r| table_context(&tc, "", r))
    }

    /// Offset of column `k`'s descriptor in the TCINFO.
    fn col(k: usize) -> usize {
        22 + 8 * k
    }

    #[test]
    fn a_sound_table_has_no_finding() {
        assert_eq!(table(|_, _| {}), []);
    }

    #[test]
    fn columns_out_of_order_are_found() {
        let found = table(|p, at| {
            // The first two descriptors swapped (tags and layout together).
            let (a, b) = (at + col(0), at + col(1));
            let first: Vec<u8> = p[a..a + 8].to_vec();
            p.copy_within(b..b + 8, a);
            p[b..b + 8].copy_from_slice(&first);
        });
        assert!(
            found
                .iter()
                .any(|(e, _)| e.starts_with("column descriptors sorted")),
            "{found:?}"
        );
    }

    #[test]
    fn a_column_outside_its_group_is_found() {
        // A 4-byte column declared 2 bytes wide: it now lies below the
        // 2-byte group, though it ends inside the row.
        let found = table(|p, at| p[at + col(0) + 6] = 2);
        assert!(
            found.iter().any(|(e, _)| e.contains("within bytes")),
            "{found:?}"
        );
        // An 8-byte column past the 4-and-8-byte group's end.
        let found = table(|p, at| {
            let end = u16::from_le_bytes([p[at + 2], p[at + 3]]);
            p[at + col(1) + 4..at + col(1) + 6].copy_from_slice(&(end - 4).to_le_bytes());
        });
        assert!(
            found.iter().any(|(e, _)| e.contains("within bytes")),
            "{found:?}"
        );
    }

    #[test]
    fn a_cell_bit_past_the_bitmap_is_found() {
        let found = table(|p, at| {
            let ends: Vec<u16> = (0..4)
                .map(|i| u16::from_le_bytes([p[at + 2 + 2 * i], p[at + 3 + 2 * i]]))
                .collect();
            // The first bit past the bitmap.
            p[at + col(2) + 7] = ((ends[3] - ends[2]) * 8) as u8;
        });
        assert!(
            found.iter().any(|(e, _)| e.contains("bit of its own")),
            "{found:?}"
        );
    }

    #[test]
    fn a_row_index_entry_naming_another_row_is_found() {
        let found = table(|p, _| {
            // The RowIndex entries are (row id, position) pairs of 8 bytes:
            // point the first at the second row.
            let key = 0x20_0004u32.to_le_bytes();
            let at = p
                .windows(8)
                .position(|w| w[..4] == key && w[4..] == [0, 0, 0, 0]);
            let at = at.expect("the first RowIndex entry");
            p[at + 4] = 1;
        });
        assert!(
            found
                .iter()
                .any(|(e, f)| e.contains("at a row holding it") && f == "row 1 of 3"),
            "{found:?}"
        );
    }

    /// The name map of `names` with `edit` applied to its properties.
    fn map(edit: impl FnOnce(&mut Vec<(PropTag, PropValue)>)) -> Vec<(String, String)> {
        let mut b = NameMapBuilder::default();
        for (i, name) in ["Keywords", "x-custom"].into_iter().enumerate() {
            b.id(&NamedProp {
                guid: if i == 0 {
                    Guid::PS_PUBLIC_STRINGS
                } else {
                    Guid([9; 16])
                },
                name: PropName::Name(name.into()),
            })
            .unwrap();
        }
        b.id(&NamedProp {
            guid: Guid([7; 16]),
            name: PropName::Id(0x8501),
        })
        .unwrap();
        let mut props = b.properties();
        edit(&mut props);
        let mut pc = PcBuilder::new(Variant::Unicode);
        for (t, v) in props {
            pc.set(t, v);
        }
        let blocks = pc.finish().pages.into_iter().map(Cow::Owned).collect();
        let heap = Heap::from_blocks(Nid::NAME_TO_ID_MAP, Variant::Unicode, blocks).unwrap();
        let pc = PropertyContext::from_heap(heap).unwrap();
        run(|r| name_map_of(&pc, r))
    }

    fn set(props: &mut [(PropTag, PropValue)], id: PropId, f: impl FnOnce(&mut PropValue)) {
        let v = props.iter_mut().find(|(t, _)| t.id() == id).unwrap();
        f(&mut v.1);
    }

    #[test]
    fn a_sound_name_map_has_no_finding() {
        assert_eq!(map(|_| {}), []);
    }

    #[test]
    fn a_bucket_count_of_zero_is_found_not_divided_by() {
        let found = map(|p| {
            set(p, name_map::NAMEID_BUCKET_COUNT, |v| {
                *v = PropValue::Int32(0)
            })
        });
        assert_eq!(
            found,
            [(
                "PidTagNameidBucketCount above 0".to_string(),
                "0".to_string()
            )]
        );
    }

    #[test]
    fn streams_of_odd_lengths_are_found() {
        let found = map(|p| {
            set(p, name_map::NAMEID_STREAM_GUID, |v| {
                if let PropValue::Binary(b) = v {
                    b.push(0);
                }
            })
        });
        assert!(
            found.iter().any(|(e, _)| e.starts_with("an entry stream")),
            "{found:?}"
        );
    }

    #[test]
    fn a_guid_index_past_the_stream_is_found_and_named() {
        let found = map(|p| {
            set(p, name_map::NAMEID_STREAM_ENTRY, |v| {
                if let PropValue::Binary(b) = v {
                    // The third entry's GUID index (two GUIDs: 3 and 4) set to 5.
                    b[16 + 4..16 + 6].copy_from_slice(&(5u16 << 1).to_le_bytes());
                }
            })
        });
        assert!(
            found
                .iter()
                .any(|(e, f)| e.ends_with("a GUID index below 5") && f == "GUID index 5"),
            "{found:?}"
        );
    }

    #[test]
    fn an_entry_with_another_index_is_found() {
        let found = map(|p| {
            set(p, name_map::NAMEID_STREAM_ENTRY, |v| {
                if let PropValue::Binary(b) = v {
                    // The third entry (0x8002) says it is the tenth.
                    b[16 + 6] = 9;
                }
            })
        });
        assert!(
            found.contains(&(
                "entry 2 (0x8002) with wPropIdx 2".to_string(),
                "wPropIdx 9".to_string()
            )),
            "{found:?}"
        );
    }
}
