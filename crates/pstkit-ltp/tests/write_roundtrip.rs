//! The LTP writer against the LTP reader, through real files: property and
//! table contexts are built, written with the NDB writer into an in-memory
//! PST of every variant, opened again, and every value compared.

use std::collections::BTreeMap;
use std::io::Cursor;

use proptest::prelude::*;
use pstkit_ltp::bth::Bth;
use pstkit_ltp::write::{encode_value, NodeData, PcBuilder, TcBuilder, MAX_HEAP_ALLOC};
use pstkit_ltp::{
    FileTime, Hnid, HnidTarget, PropId, PropTag, PropType, PropValue, PropertyContext, String8,
    TableContext,
};
use pstkit_ndb::write::NdbWriter;
use pstkit_ndb::{Bid, CryptMethod, FileKind, Format, NdbFile, Nid, NidType, Node, Variant};

type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

const FORMATS: [Format; 3] = [Format::UNICODE, Format::ANSI, Format::UNICODE_4K];

/// Writes `blocks` as exactly those data blocks of one stream.
fn write_blocks(w: &mut NdbWriter<Cursor<Vec<u8>>>, blocks: &[Vec<u8>]) -> Res<Bid> {
    if blocks.len() == 1 {
        return Ok(w.add_block(&blocks[0])?);
    }
    let mut leaves = Vec::new();
    for b in blocks {
        leaves.push((w.add_block(b)?, b.len()));
    }
    Ok(w.add_tree(&leaves)?)
}

/// Writes a node's data the way `NodeData` documents it, step by step
/// (rather than through `NodeData::write`, which the property tests use):
/// heap page k as data block k, plain subnodes as streams, row-matrix
/// subnodes block by block, then the subnode tree sorted by NID.
fn write_node(w: &mut NdbWriter<Cursor<Vec<u8>>>, d: &NodeData) -> Res<(Bid, Bid)> {
    assert!(d
        .pages
        .iter()
        .all(|p| p.len() <= pstkit_ltp::write::page_capacity(w.format().variant)));
    let data = write_blocks(w, &d.pages)?;
    let mut subs = Vec::new();
    for (nid, bytes) in &d.subnodes {
        subs.push((*nid, w.add_stream(bytes)?, Bid(0)));
    }
    for (nid, blocks) in &d.subnode_blocks {
        subs.push((*nid, write_blocks(w, blocks)?, Bid(0)));
    }
    subs.sort_by_key(|s| s.0);
    let sub = if subs.is_empty() {
        Bid(0)
    } else {
        w.add_subnode_tree(&subs)?
    };
    Ok((data, sub))
}

/// A PST of `format` holding `nodes`, as bytes.
fn file(format: Format, nodes: &[(Nid, &NodeData)]) -> Res<Vec<u8>> {
    let mut w = NdbWriter::in_memory(format, CryptMethod::Permute, FileKind::Pst);
    for (nid, d) in nodes {
        let (data, sub) = write_node(&mut w, d)?;
        w.add_node(*nid, data, sub, Nid(0));
    }
    Ok(w.finish_bytes())
}

fn assert_clean(f: &NdbFile<&[u8]>) {
    let report = pstkit_ndb::check::check(f.ndb());
    assert!(report.is_clean(), "{:?}", report.problems);
}

fn pc_nid(k: u32) -> Nid {
    Nid::new(NidType::NormalMessage, 0x400 + k)
}

fn tc_nid(k: u32) -> Nid {
    Nid::new(NidType::ContentsTable, 0x400 + k)
}

/// One value of every `PropValue` variant.
fn every_variant() -> Vec<PropValue> {
    use PropValue as V;
    vec![
        V::Null,
        V::Int16(-2),
        V::Int32(i32::MIN),
        V::Float32(-0.5),
        V::Float64(1e300),
        V::Currency(-12_345),
        V::FloatingTime(45_000.25),
        V::ErrorCode(0x8004_010F),
        V::Boolean(true),
        V::Int64(i64::MAX),
        V::Time(FileTime(116_444_736_000_000_000)),
        V::Guid([0xA5; 16]),
        V::String("Grüße, 世界 \u{1F600}".into()),
        V::String8(String8(b"caf\xE9".to_vec())),
        V::Binary(vec![0, 1, 2, 0xFF]),
        V::Object {
            nid: Nid(0x8025),
            size: 77,
        },
        V::ServerId(vec![1, 0, 9]),
        V::Restriction(vec![3; 5]),
        V::RuleAction(vec![4; 6]),
        V::MultipleInt16(vec![1, -1, i16::MAX]),
        V::MultipleInt32(vec![7, -7]),
        V::MultipleFloat32(vec![0.25, -3.0]),
        V::MultipleFloat64(vec![2.5]),
        V::MultipleCurrency(vec![10_000, -1]),
        V::MultipleFloatingTime(vec![1.0, 2.0]),
        V::MultipleInt64(vec![i64::MIN, 0]),
        V::MultipleTime(vec![FileTime(0), FileTime(u64::MAX)]),
        V::MultipleGuid(vec![[1; 16], [2; 16]]),
        V::MultipleString(vec!["one".into(), String::new(), "drei".into()]),
        V::MultipleString8(vec![String8(b"ab".to_vec()), String8(Vec::new())]),
        V::MultipleBinary(vec![vec![], vec![1, 2, 3]]),
        V::Unknown {
            ptype: 0x0009,
            bytes: vec![1, 2, 3],
        },
    ]
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect()
}

/// Text of exactly `n` UTF-16 bytes (`n` even).
fn text(n: usize) -> String {
    (0..n / 2)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect()
}

/// Reads back every property of `expected` from node `nid`.
fn assert_pc(f: &NdbFile<&[u8]>, nid: Nid, expected: &BTreeMap<u16, PropValue>) -> Res {
    let pc = PropertyContext::read(f.ndb().node(nid)?)?;
    assert_eq!(pc.len(), expected.len(), "node {nid}");
    let n = expected.len();
    assert_eq!(pc.props().size_hint(), (n, Some(n)), "node {nid}");
    for (id, v) in expected {
        let got = pc.get(PropId(*id)).expect("property present")?;
        assert_eq!(&got, v, "node {nid}, property 0x{id:04X}");
        // The typed getters give the same value.
        let at = PropId(*id);
        match v {
            PropValue::Boolean(b) => assert_eq!(pc.get_bool(at).unwrap()?, *b),
            PropValue::Int32(x) => assert_eq!(pc.get_i32(at).unwrap()?, *x),
            PropValue::Time(t) => assert_eq!(pc.get_time(at).unwrap()?, *t),
            PropValue::Binary(b) => assert_eq!(&pc.get_binary(at).unwrap()?, b),
            _ => {}
        }
        assert_eq!(
            pc.record(PropId(*id)).unwrap().tag.prop_type(),
            v.prop_type()
        );
    }
    Ok(())
}

struct PcCase {
    nid: Nid,
    props: BTreeMap<u16, PropValue>,
    data: NodeData,
}

fn pc_case(variant: Variant, k: u32, props: Vec<(u16, PropValue)>) -> PcCase {
    pc_case_limited(
        variant,
        k,
        props,
        Some(pstkit_ltp::write::PC_HEAP_PAGE_LIMIT),
    )
}

fn pc_case_limited(
    variant: Variant,
    k: u32,
    props: Vec<(u16, PropValue)>,
    limit: Option<usize>,
) -> PcCase {
    let mut b = PcBuilder::new(variant);
    b.set_heap_page_limit(limit);
    let mut expected = BTreeMap::new();
    for (id, v) in props {
        b.set(PropTag::new(PropId(id), v.prop_type()), v.clone());
        expected.insert(id, v);
    }
    PcCase {
        nid: pc_nid(k),
        props: expected,
        data: b.finish(),
    }
}

#[test]
fn property_contexts_round_trip_through_files() -> Res {
    for format in FORMATS {
        let v = format.variant;
        let mut cases = Vec::new();
        // Empty PC.
        cases.push(pc_case(v, 0, vec![]));
        // One value of every type.
        let every = every_variant()
            .into_iter()
            .enumerate()
            .map(|(i, v)| (0x1000 + i as u16, v))
            .collect();
        let mut every: Vec<(u16, PropValue)> = every;
        // A false boolean beside the true one; the code pages: the
        // message's 0 (no code page), so the Internet one counts.
        every.push((0x3000, PropValue::Boolean(false)));
        every.push((0x3FFD, PropValue::Int32(0)));
        every.push((0x3FDE, PropValue::Int32(1252)));
        cases.push(pc_case(v, 1, every));
        // Sizes around the heap limit, in three variable types.
        let mut sized = Vec::new();
        for (i, n) in [0usize, 1, 3580, 3581, 100_000].into_iter().enumerate() {
            let i = i as u16;
            sized.push((0x2000 + i, PropValue::Binary(bytes(n, i as u8))));
            sized.push((0x2100 + i, PropValue::String8(String8(bytes(n, 7)))));
            sized.push((0x2200 + i, PropValue::String(text(n & !1))));
        }
        // A multi-valued value over the limit.
        sized.push((
            0x2300,
            PropValue::MultipleBinary(vec![bytes(2000, 1), bytes(2000, 2)]),
        ));
        cases.push(pc_case(v, 2, sized));
        // More properties than one BTH leaf holds (447).
        let many = (0..1000u16)
            .map(|i| {
                let v = if i % 10 == 0 {
                    PropValue::String(format!("value {i}"))
                } else {
                    PropValue::Int32(i32::from(i) * 3)
                };
                (i * 7 + 1, v)
            })
            .collect();
        cases.push(pc_case(v, 3, many));
        // A heap of more than 8 pages (page limit lifted): 40 values of 3000
        // bytes.
        let big: Vec<(u16, PropValue)> = (0..40u16)
            .map(|i| (0x4000 + i, PropValue::Binary(bytes(3000, i as u8))))
            .collect();
        cases.push(pc_case_limited(v, 4, big.clone(), None));
        // The same with the default limit: 8 pages, the rest in subnodes.
        cases.push(pc_case(v, 5, big));

        let nodes: Vec<(Nid, &NodeData)> = cases.iter().map(|c| (c.nid, &c.data)).collect();
        let out = file(format, &nodes)?;
        let f = NdbFile::new(&out[..])?;
        assert_clean(&f);
        for c in &cases {
            assert_pc(&f, c.nid, &c.props)?;
        }
        let every = PropertyContext::read(f.ndb().node(pc_nid(1))?)?;
        assert_eq!(every.codepage(), Some(1252));
        let empty = PropertyContext::read(f.ndb().node(pc_nid(0))?)?;
        assert_eq!(empty.codepage(), None);

        // Where the sized values went: HNID 0, heap, subnode.
        let pc = PropertyContext::read(f.ndb().node(pc_nid(2))?)?;
        let target = |id| Hnid(pc.record(PropId(id)).unwrap().value).target();
        assert_eq!(target(0x2000), HnidTarget::Empty);
        assert!(matches!(target(0x2001), HnidTarget::Heap(_)));
        assert!(matches!(target(0x2002), HnidTarget::Heap(_)));
        assert!(matches!(target(0x2003), HnidTarget::Subnode(n) if n.kind() == NidType::Ltp));
        assert!(matches!(target(0x2004), HnidTarget::Subnode(_)));
        assert!(matches!(target(0x2204), HnidTarget::Subnode(_)));
        assert!(matches!(target(0x2300), HnidTarget::Subnode(_)));
        assert_eq!(cases[2].data.subnodes.len(), 6);

        // The empty PC: one page, an empty tree at HID 0x20.
        let pc = PropertyContext::read(f.ndb().node(pc_nid(0))?)?;
        assert_eq!(pc.heap().block_count(), 1);
        assert_eq!(pc.heap().node().map(|n| n.nid()), Some(pc_nid(0)));
        let bth = Bth::open(pc.heap(), pc.heap().user_root())?;
        assert_eq!(pc.heap().user_root().0, 0x20);
        assert!(bth.header().root.is_none());

        // 1000 properties: one index level.
        let pc = PropertyContext::read(f.ndb().node(pc_nid(3))?)?;
        let bth = Bth::open(pc.heap(), pc.heap().user_root())?;
        assert_eq!(bth.header().levels, 1);
        assert!(bth.find(&7001u16.to_le_bytes())?.is_none());
        assert!(bth.find(&6994u16.to_le_bytes())?.is_some());

        // 40 × 3000 bytes: 2 per page, 20 pages, page 8 an HNBITMAPHDR
        // with fill levels.
        let node = f.ndb().node(pc_nid(4))?;
        assert_eq!(node.block_count(), 20);
        let p8 = node.block(8)?;
        assert_eq!(u16::from_le_bytes([p8[0], p8[1]]), 66 + 6000);
        assert_eq!(p8[2], 0x22);
        let p0 = node.block(0)?;
        assert_ne!(u32::from_le_bytes([p0[8], p0[9], p0[10], p0[11]]), 0);
        let node = f.ndb().node(pc_nid(5))?;
        assert_eq!(node.block_count(), 8);
        assert_eq!(node.subnodes().entries()?.len(), 24);
    }
    Ok(())
}

/// A column of every type, each under its own id.
fn all_type_columns() -> Vec<PropTag> {
    every_variant()
        .iter()
        .enumerate()
        .map(|(i, v)| PropTag::new(PropId(0x3000 + i as u16), v.prop_type()))
        .collect()
}

/// The cells of row `r`: every column except those with `(r + i) % 4 ==
/// 0`, which stay absent; some variable cells large enough for a subnode.
fn row_cells(cols: &[PropTag], r: u32) -> Vec<(PropTag, PropValue)> {
    let every = every_variant();
    cols.iter()
        .enumerate()
        .filter(|(i, _)| !(r as usize + i).is_multiple_of(4))
        .map(|(i, &tag)| {
            let v = match &every[i] {
                PropValue::Int32(_) => PropValue::Int32(r as i32 * -3),
                PropValue::String(_) => PropValue::String(format!("row {r}")),
                PropValue::Binary(_) if r % 50 == 7 => PropValue::Binary(bytes(5000, r as u8)),
                PropValue::Binary(_) => PropValue::Binary(bytes(r as usize % 40, r as u8)),
                PropValue::Boolean(_) => PropValue::Boolean(r.is_multiple_of(2)),
                PropValue::Int16(_) => PropValue::Int16(r as i16),
                other => other.clone(),
            };
            (tag, v)
        })
        .collect()
}

/// Reads table `nid` and compares it with `rows` (in matrix order).
fn assert_tc(
    f: &NdbFile<&[u8]>,
    nid: Nid,
    cols: &[PropTag],
    rows: &[(u32, Vec<(PropTag, PropValue)>)],
) -> Res {
    let tc = TableContext::read(f.ndb().node(nid)?)?;
    assert_eq!(tc.row_count(), rows.len(), "table {nid}");
    let n = rows.len();
    let mut it = tc.iter();
    assert_eq!(it.size_hint(), (n, Some(n)), "table {nid}");
    if it.next().is_some() {
        assert_eq!(it.size_hint(), (n - 1, Some(n - 1)), "table {nid}");
    }
    let mut want_cols: Vec<PropTag> = cols.to_vec();
    for t in [PropTag(0x67F2_0003), PropTag(0x67F3_0003)] {
        if !want_cols.contains(&t) {
            want_cols.push(t);
        }
    }
    want_cols.sort();
    want_cols.dedup();
    let got_cols: Vec<PropTag> = tc.columns().iter().map(|c| c.tag).collect();
    assert_eq!(got_cols, want_cols);
    let mut index: Vec<(u32, u32)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.0, i as u32))
        .collect();
    index.sort();
    assert_eq!(tc.row_index()?, index);
    for (i, (id, cells)) in rows.iter().enumerate() {
        let row = tc.row(i)?;
        assert_eq!(row.row_id(), *id);
        assert_eq!(tc.find_row(*id)?.map(|r| r.index()), Some(i));
        let mut want: BTreeMap<PropTag, PropValue> = cells.iter().cloned().collect();
        want.insert(PropTag(0x67F2_0003), PropValue::Int32(*id as i32));
        let got: BTreeMap<PropTag, PropValue> = row
            .cells()
            .map(|(t, v)| v.map(|v| (t, v)))
            .collect::<Result<_, _>>()?;
        assert_eq!(got, want, "table {nid}, row {i}");
    }
    Ok(())
}

struct TcCase {
    nid: Nid,
    cols: Vec<PropTag>,
    rows: Vec<(u32, Vec<(PropTag, PropValue)>)>,
    data: NodeData,
}

fn tc_case(
    variant: Variant,
    k: u32,
    cols: Vec<PropTag>,
    rows: Vec<(u32, Vec<(PropTag, PropValue)>)>,
) -> TcCase {
    let mut b = TcBuilder::new(variant, &cols);
    for (id, cells) in &rows {
        b.add_row(*id, cells);
    }
    TcCase {
        nid: tc_nid(k),
        cols,
        rows,
        data: b.finish(),
    }
}

#[test]
fn table_contexts_round_trip_through_files() -> Res {
    for format in FORMATS {
        let v = format.variant;
        let cols = all_type_columns();
        let mut cases = Vec::new();
        // No rows (and no columns but the two mandatory ones).
        cases.push(tc_case(v, 0, vec![], vec![]));
        // One row of every cell type, some absent.
        cases.push(tc_case(
            v,
            1,
            cols.clone(),
            vec![(0x8022, row_cells(&cols, 1))],
        ));
        // 500 rows: the row matrix goes to a subnode of several blocks; row
        // ids not in matrix order.
        let rows: Vec<_> = (0..500u32)
            .map(|r| ((r * 7919) % 100_003 + 0x20, row_cells(&cols, r)))
            .collect();
        cases.push(tc_case(v, 2, cols.clone(), rows));
        // Columns only, like Outlook's template tables.
        cases.push(tc_case(
            v,
            3,
            vec![
                PropTag(0x3001_001F),
                PropTag(0x0E30_0102),
                PropTag(0x67F3_0003),
            ],
            vec![],
        ));

        let nodes: Vec<(Nid, &NodeData)> = cases.iter().map(|c| (c.nid, &c.data)).collect();
        let out = file(format, &nodes)?;
        let f = NdbFile::new(&out[..])?;
        assert_clean(&f);
        for c in &cases {
            assert_tc(&f, c.nid, &c.cols, &c.rows)?;
        }

        // Empty table: hnidRows 0, an empty RowIndex at HID 0x20, TCINFO at 0x40.
        let tc = TableContext::read(f.ndb().node(tc_nid(0))?)?;
        assert_eq!(tc.info().rows.0, 0);
        assert_eq!(tc.info().row_index.0, 0x20);
        assert_eq!(tc.heap().user_root().0, 0x40);
        assert_eq!(tc.info().group_ends, [8, 8, 8, 9]);

        // The small table keeps its rows in the heap.
        let tc = TableContext::read(f.ndb().node(tc_nid(1))?)?;
        assert!(matches!(tc.info().rows.target(), HnidTarget::Heap(_)));

        // The large one: a subnode whose blocks are full-size but the last,
        // each holding whole rows only.
        let d = &cases[2].data;
        assert_eq!(d.subnode_blocks.len(), 1);
        let node = f.ndb().node(tc_nid(2))?;
        let tc = TableContext::read(node.clone())?;
        let HnidTarget::Subnode(m) = tc.info().rows.target() else {
            panic!("row matrix not in a subnode");
        };
        assert_eq!(m, d.subnode_blocks[0].0);
        assert_eq!(m.kind(), NidType::Ltp);
        let matrix = node.subnode(m)?;
        let rs = tc.info().row_size();
        let cap = pstkit_ltp::write::page_capacity(v);
        let per = cap / rs;
        let n = matrix.block_count();
        assert!(n > 1, "{n} blocks");
        assert_eq!(n, 500usize.div_ceil(per));
        for j in 0..n {
            let len = matrix.block(j)?.len();
            if j + 1 < n {
                assert_eq!(len, cap);
            } else {
                assert_eq!(len, (500 - per * (n - 1)) * rs);
            }
        }
        // Ten 5000-byte cells went to subnodes of their own.
        assert_eq!(d.subnodes.len(), 10);
        let ri = Bth::open(tc.heap(), tc.info().row_index)?;
        let want_ent = if v == Variant::Ansi { 2 } else { 4 };
        assert_eq!(ri.header().entry_size, want_ent);
        assert_eq!(ri.header().levels, if v == Variant::Ansi { 0 } else { 1 });
    }
    Ok(())
}

#[test]
fn write_helper_matches_the_documented_steps() -> Res {
    let mut b = PcBuilder::new(Variant::Unicode);
    b.set(PropTag(0x3001_001F), PropValue::String("x".repeat(3000)));
    b.set(PropTag(0x1000_0102), PropValue::Binary(bytes(9000, 1)));
    let d = b.finish();
    let mut t = TcBuilder::new(Variant::Unicode, &[PropTag(0x0E08_0003)]);
    for r in 0..1000 {
        t.add_row(r, &[(PropTag(0x0E08_0003), PropValue::Int32(r as i32))]);
    }
    let td = t.finish();
    let manual = file(Format::UNICODE, &[(pc_nid(0), &d), (tc_nid(0), &td)])?;
    let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::Permute, FileKind::Pst);
    for (nid, nd) in [(pc_nid(0), &d), (tc_nid(0), &td)] {
        let (data, sub) = nd.write(&mut w)?;
        w.add_node(nid, data, sub, Nid(0));
    }
    assert_eq!(w.finish_bytes(), manual);
    Ok(())
}

// ---------------------------------------------------------------------------
// Property tests.

/// Text without a trailing NUL (the reader strips those, as it must).
fn text_strategy() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 äöüß€世界\u{1F600}]{0,24}"
}

fn blob(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => prop::collection::vec(any::<u8>(), 0..64),
        1 => prop::collection::vec(any::<u8>(), 0..max),
    ]
}

fn f64s() -> impl Strategy<Value = f64> {
    -1e15f64..1e15
}

/// An arbitrary value of type `t`.
fn value_of(t: PropType) -> BoxedStrategy<PropValue> {
    use PropType as T;
    use PropValue as V;
    let ft = any::<u64>().prop_map(FileTime);
    let guid = any::<[u8; 16]>();
    let few = |n| 0..n;
    match t {
        T::Null => Just(V::Null).boxed(),
        T::Int16 => any::<i16>().prop_map(V::Int16).boxed(),
        T::Int32 => any::<i32>().prop_map(V::Int32).boxed(),
        T::Float32 => (-1e6f32..1e6).prop_map(V::Float32).boxed(),
        T::Float64 => f64s().prop_map(V::Float64).boxed(),
        T::Currency => any::<i64>().prop_map(V::Currency).boxed(),
        T::FloatingTime => f64s().prop_map(V::FloatingTime).boxed(),
        T::ErrorCode => any::<u32>().prop_map(V::ErrorCode).boxed(),
        T::Boolean => any::<bool>().prop_map(V::Boolean).boxed(),
        T::Int64 => any::<i64>().prop_map(V::Int64).boxed(),
        T::Time => ft.prop_map(V::Time).boxed(),
        T::Guid => guid.prop_map(V::Guid).boxed(),
        T::String => text_strategy().prop_map(V::String).boxed(),
        T::String8 => blob(5000).prop_map(|b| V::String8(String8(b))).boxed(),
        T::Binary => blob(9000).prop_map(V::Binary).boxed(),
        T::Object => (any::<u32>(), any::<u32>())
            .prop_map(|(n, size)| V::Object { nid: Nid(n), size })
            .boxed(),
        T::ServerId => blob(100).prop_map(V::ServerId).boxed(),
        T::MultipleInt16 => prop::collection::vec(any::<i16>(), few(8))
            .prop_map(V::MultipleInt16)
            .boxed(),
        T::MultipleInt32 => prop::collection::vec(any::<i32>(), few(8))
            .prop_map(V::MultipleInt32)
            .boxed(),
        T::MultipleFloat64 => prop::collection::vec(f64s(), few(8))
            .prop_map(V::MultipleFloat64)
            .boxed(),
        T::MultipleInt64 => prop::collection::vec(any::<i64>(), few(8))
            .prop_map(V::MultipleInt64)
            .boxed(),
        T::MultipleTime => prop::collection::vec(ft, few(8))
            .prop_map(V::MultipleTime)
            .boxed(),
        T::MultipleGuid => prop::collection::vec(guid, few(300))
            .prop_map(V::MultipleGuid)
            .boxed(),
        T::MultipleString => prop::collection::vec(text_strategy(), few(8))
            .prop_map(V::MultipleString)
            .boxed(),
        T::MultipleString8 => prop::collection::vec(blob(64), few(8))
            .prop_map(|v| V::MultipleString8(v.into_iter().map(String8).collect()))
            .boxed(),
        T::MultipleBinary => prop::collection::vec(blob(3000), few(6))
            .prop_map(V::MultipleBinary)
            .boxed(),
        other => prop::collection::vec(any::<u8>(), 0..32)
            .prop_map(move |bytes| V::Unknown {
                ptype: other.code(),
                bytes,
            })
            .boxed(),
    }
}

fn prop_type() -> impl Strategy<Value = PropType> {
    use PropType as T;
    prop::sample::select(vec![
        T::Null,
        T::Int16,
        T::Int32,
        T::Float32,
        T::Float64,
        T::Currency,
        T::FloatingTime,
        T::ErrorCode,
        T::Boolean,
        T::Int64,
        T::Time,
        T::Guid,
        T::String,
        T::String8,
        T::Binary,
        T::Object,
        T::ServerId,
        T::MultipleInt16,
        T::MultipleInt32,
        T::MultipleFloat64,
        T::MultipleInt64,
        T::MultipleTime,
        T::MultipleGuid,
        T::MultipleString,
        T::MultipleString8,
        T::MultipleBinary,
        T::Unknown(0x0009),
    ])
}

fn any_value() -> impl Strategy<Value = PropValue> {
    prop_type().prop_flat_map(value_of)
}

fn format() -> impl Strategy<Value = Format> {
    prop::sample::select(FORMATS.to_vec())
}

/// Generated rows: row id and one optional cell per column.
type GenRows = Vec<(u32, Vec<Option<PropValue>>)>;

/// Columns (distinct tags) and rows with distinct ids, each cell present or
/// absent.
fn table() -> impl Strategy<Value = (Vec<PropTag>, GenRows)> {
    prop::collection::btree_map(1u16..0x7000, prop_type(), 0..20).prop_flat_map(|cols| {
        let tags: Vec<PropTag> = cols
            .iter()
            .map(|(&id, &t)| PropTag::new(PropId(id), t))
            .collect();
        let row = tags
            .iter()
            .map(|t| prop::option::weighted(0.8, value_of(t.prop_type())))
            .collect::<Vec<_>>();
        let rows = prop::collection::btree_map(any::<u32>(), row, 0..300)
            .prop_map(|m| m.into_iter().collect::<Vec<_>>())
            .prop_shuffle();
        (Just(tags), rows)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn arbitrary_property_contexts_read_back(
        format in format(),
        props in prop::collection::btree_map(any::<u16>(), any_value(), 0..600),
    ) {
        let mut b = PcBuilder::new(format.variant);
        for (id, v) in &props {
            b.set(PropTag::new(PropId(*id), v.prop_type()), v.clone());
        }
        let d = b.finish();
        prop_assert!(d.pages.iter().all(|p| p.len() <= pstkit_ltp::write::page_capacity(format.variant)));
        let mut w = NdbWriter::in_memory(format, CryptMethod::Permute, FileKind::Pst);
        let (data, sub) = d.write(&mut w).unwrap();
        w.add_node(pc_nid(1), data, sub, Nid(0));
        let out = w.finish_bytes();
        let f = NdbFile::new(&out[..]).unwrap();
        let pc = PropertyContext::read(f.ndb().node(pc_nid(1)).unwrap()).unwrap();
        prop_assert_eq!(pc.len(), props.len());
        for (id, v) in &props {
            let got = pc.get(PropId(*id)).unwrap().unwrap();
            prop_assert_eq!(&got, v);
            let raw = encode_value(v);
            if !v.prop_type().is_inline() && raw.len() > MAX_HEAP_ALLOC {
                let hnid = Hnid(pc.record(PropId(*id)).unwrap().value);
                prop_assert!(matches!(hnid.target(), HnidTarget::Subnode(_)));
            }
        }
        prop_assert!(pstkit_ndb::check::check(f.ndb()).is_clean());
    }

    #[test]
    fn arbitrary_table_contexts_read_back(format in format(), (tags, rows) in table()) {
        let mut b = TcBuilder::new(format.variant, &tags);
        let mut expected = Vec::new();
        for (id, cells) in &rows {
            let cells: Vec<(PropTag, PropValue)> = tags
                .iter()
                .zip(cells)
                .filter_map(|(t, c)| c.clone().map(|c| (*t, c)))
                .collect();
            b.add_row(*id, &cells);
            expected.push((*id, cells));
        }
        let d = b.finish();
        let mut w = NdbWriter::in_memory(format, CryptMethod::Permute, FileKind::Pst);
        let (data, sub) = d.write(&mut w).unwrap();
        w.add_node(tc_nid(1), data, sub, Nid(0));
        let out = w.finish_bytes();
        let f = NdbFile::new(&out[..]).unwrap();
        assert_tc(&f, tc_nid(1), &tags, &expected).unwrap();
        prop_assert!(pstkit_ndb::check::check(f.ndb()).is_clean());
    }
}

// ---------------------------------------------------------------------------
// Real files rebuilt: every PC and TC of the sample files (Outlook and other
// writers) is read, rebuilt with the builders and written into a new file,
// which must read back the same. Set PSTKIT_REWRITE_DIR to keep the rebuilt
// files, e.g. to feed them to libpff and libpst.

type Writer = NdbWriter<Cursor<Vec<u8>>>;

/// Nodes rebuilt by the builders (rather than copied), for the summary.
static REBUILT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A node's PC or TC rebuilt, and the subnodes of the original that held
/// its values (the rebuilt node brings its own).
fn rebuild_ltp(node: &Node<'_>, entries: &[Nid], variant: Variant) -> Option<(NodeData, Vec<Nid>)> {
    let b0 = node.block(0).ok()?;
    if b0.len() < 12 || b0[2] != 0xEC {
        return None;
    }
    let mut dropped = Vec::new();
    let sub_of = |hnid: u32| match Hnid(hnid).target() {
        HnidTarget::Subnode(n) => Some(n),
        _ => None,
    };
    match b0[3] {
        0xBC => {
            let pc = PropertyContext::read(node.clone()).ok()?;
            let mut b = PcBuilder::new(variant);
            for rec in pc.records() {
                let v = pc.value_of(*rec).ok()?;
                if !rec.tag.prop_type().is_inline() {
                    dropped.extend(sub_of(rec.value));
                }
                b.set(rec.tag, v);
            }
            if b.len() != pc.len() {
                return None;
            }
            for n in entries.iter().filter(|n| !dropped.contains(n)) {
                b.reserve_subnode(*n);
            }
            Some((b.finish(), dropped))
        }
        0x7C => {
            let tc = TableContext::read(node.clone()).ok()?;
            let mut b = TcBuilder::with_layout(variant, tc.columns()).unwrap_or_else(|| {
                let tags: Vec<PropTag> = tc.columns().iter().map(|c| c.tag).collect();
                TcBuilder::new(variant, &tags)
            });
            dropped.extend(sub_of(tc.info().rows.0));
            let mut ids = std::collections::HashSet::new();
            for row in tc.iter() {
                let row = row.ok()?;
                if !ids.insert(row.row_id()) {
                    return None;
                }
                for c in tc.columns() {
                    if !c.tag.prop_type().is_in_cell() && row.exists(c).ok()? {
                        let at = usize::from(c.offset);
                        let cell = row.bytes().get(at..at + 4)?;
                        dropped.extend(sub_of(u32::from_le_bytes(cell.try_into().ok()?)));
                    }
                }
                let cells: Vec<(PropTag, PropValue)> = row
                    .cells()
                    .map(|(t, v)| v.map(|v| (t, v)))
                    .collect::<Result<_, _>>()
                    .ok()?;
                b.add_row(row.row_id(), &cells);
            }
            for n in entries.iter().filter(|n| !dropped.contains(n)) {
                b.reserve_subnode(*n);
            }
            Some((b.finish(), dropped))
        }
        _ => None,
    }
}

/// Writes `node` again: LTP structures rebuilt, other streams copied block
/// by block; subnodes recursively.
fn rebuild(w: &mut Writer, node: &Node<'_>, empty: bool, variant: Variant) -> Res<(Bid, Bid)> {
    let entries = node.subnodes().entries()?;
    let nids: Vec<Nid> = entries.iter().map(|e| e.nid).collect();
    let (data, mut subs, dropped) = match rebuild_ltp(node, &nids, variant) {
        Some((d, dropped)) => {
            REBUILT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (data, subs) = d.write_parts(w)?;
            (data, subs, dropped)
        }
        None => {
            let blocks: Vec<Vec<u8>> = node
                .blocks()
                .map(|b| b.map(|b| b.into_owned()))
                .collect::<Result<_, _>>()?;
            let data = if empty {
                Bid(0)
            } else if blocks.is_empty() {
                w.add_block(&[])?
            } else {
                write_blocks(w, &blocks)?
            };
            (data, Vec::new(), Vec::new())
        }
    };
    for e in entries.iter().filter(|e| !dropped.contains(&e.nid)) {
        let sn = node.subnode(e.nid)?;
        let (d, s) = rebuild(w, &sn, e.data.is_none(), variant)?;
        subs.push((e.nid, d, s));
    }
    subs.sort_by_key(|s| s.0);
    let sub = if subs.is_empty() {
        Bid(0)
    } else {
        w.add_subnode_tree(&subs)?
    };
    Ok((data, sub))
}

/// Rows as read: row id and each existing cell (value or failure).
type ReadRows = Vec<(u32, Vec<(PropTag, Option<PropValue>)>)>;

/// Compares what the reader sees in `a` (original) and `b` (rebuilt);
/// returns the number of PCs and TCs compared.
fn same_node(a: &Node<'_>, b: &Node<'_>, what: &str) -> Res<(usize, usize)> {
    let mut counts = (0, 0);
    if let Ok(pa) = PropertyContext::read(a.clone()) {
        if pa.props().all(|(_, v)| v.is_ok()) {
            let pb = PropertyContext::read(b.clone())?;
            let va: Vec<_> = pa.props().map(|(t, v)| (t, v.ok())).collect();
            let vb: Vec<_> = pb.props().map(|(t, v)| (t, v.ok())).collect();
            assert_eq!(va, vb, "{what}");
            counts.0 += 1;
        }
    } else if let Ok(ta) = TableContext::read(a.clone()) {
        let tb = TableContext::read(b.clone())?;
        let ca: Vec<PropTag> = ta.columns().iter().map(|c| c.tag).collect();
        let cb: Vec<PropTag> = tb.columns().iter().map(|c| c.tag).collect();
        assert_eq!(ca, cb, "{what}");
        let rows = |t: &TableContext<'_>| -> ReadRows {
            t.iter()
                .filter_map(Result::ok)
                .map(|r| {
                    let cells = r
                        .cells()
                        .filter(|(t, _)| t.id() != PropId(0x67F2))
                        .map(|(t, v)| (t, v.ok()))
                        .collect();
                    (r.row_id(), cells)
                })
                .collect()
        };
        let (ra, rb) = (rows(&ta), rows(&tb));
        if ra.len() == ta.row_count() {
            assert_eq!(ra, rb, "{what}");
            if TcBuilder::with_layout(Variant::Unicode, ta.columns()).is_some() {
                assert_eq!(ta.columns(), tb.columns(), "{what}");
                assert_eq!(ta.info().group_ends, tb.info().group_ends, "{what}");
            }
            counts.1 += 1;
        }
    }
    for e in a.subnodes().entries()? {
        if b.subnodes().lookup(e.nid)?.is_some() {
            let c = same_node(
                &a.subnode(e.nid)?,
                &b.subnode(e.nid)?,
                &format!("{what}/{}", e.nid),
            )?;
            counts = (counts.0 + c.0, counts.1 + c.1);
        }
    }
    Ok(counts)
}

#[test]
fn real_files_rebuilt_read_the_same() -> Res {
    let paths: Vec<_> = pstkit_fixtures::real::all()
        .into_iter()
        .filter(|(n, _)| {
            (n.ends_with(".pst") || n.ends_with(".ost")) && !n.contains("AddingBulkMessages")
        })
        .map(|(_, p)| p)
        .collect();
    assert!(
        paths.len() >= pstkit_fixtures::real::min_count(18, 28),
        "only {} samples",
        paths.len()
    );
    let keep = std::env::var_os("PSTKIT_REWRITE_DIR");
    let (mut pcs, mut tcs) = (0, 0);
    for path in paths {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let Ok(orig) = NdbFile::open(&path) else {
            continue;
        };
        let h = orig.header();
        let variant = h.format.variant;
        let mut w = NdbWriter::in_memory(h.format, h.crypt, h.kind);
        let entries: Vec<_> = orig.ndb().nodes().collect::<Result<_, _>>()?;
        for e in &entries {
            let node = orig.ndb().node(e.nid)?;
            let (data, sub) = rebuild(&mut w, &node, e.data.is_none(), variant)?;
            w.add_node(e.nid, data, sub, e.parent);
        }
        let out = w.finish_bytes();
        if let Some(d) = &keep {
            std::fs::write(std::path::Path::new(d).join(&name), &out)?;
        }
        let f = NdbFile::new(&out[..])?;
        assert_clean(&f);
        for e in &entries {
            let c = same_node(
                &orig.ndb().node(e.nid)?,
                &f.ndb().node(e.nid)?,
                &format!("{name}: {}", e.nid),
            )?;
            pcs += c.0;
            tcs += c.1;
        }
    }
    let rebuilt = REBUILT.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("rebuilt {rebuilt} nodes; compared {pcs} property contexts and {tcs} table contexts");
    if pcs + tcs > 0 {
        assert_eq!(rebuilt, pcs + tcs);
    }
    Ok(())
}

/// A table flushed while it is built holds a few pages whatever its size,
/// and reads back exactly as the same table built whole: the same heap
/// pages, row-matrix blocks and rows, in every variant.
#[test]
fn flushed_tables_are_bounded_and_identical() -> Res {
    let rows = 10_000u32;
    for format in FORMATS {
        let v = format.variant;
        let cols = all_type_columns();
        let cells: Vec<_> = (0..rows).map(|r| row_cells(&cols, r)).collect();
        let mut whole = TcBuilder::new(v, &cols);
        let mut flushed = TcBuilder::new(v, &cols);
        let mut w = NdbWriter::in_memory(format, CryptMethod::Permute, FileKind::Pst);
        let mut most = 0usize;
        for r in 0..rows {
            let id = (r * 7919) % 100_003 + 0x20;
            assert!(whole.add_row(id, &cells[r as usize]));
            assert!(flushed.add_row(id, &cells[r as usize]));
            if r % 500 == 499 {
                flushed.flush(&mut w)?;
                most = most.max(flushed.buffered_bytes());
                // The first row is in the file now: it can't be replaced,
                // and the builder says so.
                assert!(!flushed.add_row(0x20, &cells[1]));
            }
        }
        // A row not yet written still can be.
        let last_id = ((rows - 1) * 7919) % 100_003 + 0x20;
        assert!(whole.add_row(last_id, &cells[3]));
        assert!(flushed.add_row(last_id, &cells[3]));
        let held_whole = whole.buffered_bytes();
        let a = whole.finish();
        let b = flushed.finish();
        // Page 0, one bitmap page (136: page 8's are all final), the open
        // page and the open row block at most; the table itself is a
        // hundred times that.
        let cap = pstkit_ltp::write::page_capacity(v);
        assert!(most <= 4 * cap, "{most} bytes held after a flush");
        assert!(most > 0, "page 0 at least is held until finish");
        assert!(held_whole > 100 * most, "{held_whole} vs {most}");
        assert!(
            b.written.pages.len() > 256,
            "{} pages",
            b.written.pages.len()
        );
        // Bitmap pages 8 and 136 went out once their 127 pages were final;
        // page 0, whose header is filled last, did not.
        let written: Vec<usize> = b.written.pages.iter().map(|p| p.0).collect();
        assert!(
            written.contains(&8) && written.contains(&136),
            "{written:?}"
        );
        assert!(!written.contains(&0));
        assert!(b.written.rows.len() > 10);
        assert!(!b.written.subnodes.is_empty());
        let sum = |d: &NodeData| -> usize {
            d.pages.iter().map(Vec::len).sum::<usize>()
                + d.subnodes.iter().map(|s| s.1.len()).sum::<usize>()
                + d.subnode_blocks
                    .iter()
                    .flat_map(|s| s.1.iter().map(Vec::len))
                    .sum::<usize>()
        };
        assert_eq!(a.stored_size(), sum(&a) as u64);
        assert!(a.stored_size() > held_whole as u64);
        // The whole table was held: all but headers, page maps and the row
        // index, which `finish` adds.
        assert!(held_whole as u64 > a.stored_size() * 9 / 10);
        assert_eq!(a.stored_size(), b.stored_size());

        let (da, sa) = a.write(&mut w)?;
        w.add_node(tc_nid(1), da, sa, Nid(0));
        let (db, sb) = b.write(&mut w)?;
        w.add_node(tc_nid(2), db, sb, Nid(0));
        let out = w.finish_bytes();
        let f = NdbFile::new(&out[..])?;
        assert_clean(&f);
        let (na, nb) = (f.ndb().node(tc_nid(1))?, f.ndb().node(tc_nid(2))?);
        assert_eq!(na.block_count(), nb.block_count());
        for j in 0..na.block_count() {
            assert_eq!(na.block(j)?, nb.block(j)?, "heap page {j}");
        }
        let (ta, tb) = (
            TableContext::read(na.clone())?,
            TableContext::read(nb.clone())?,
        );
        let (HnidTarget::Subnode(ma), HnidTarget::Subnode(mb)) =
            (ta.info().rows.target(), tb.info().rows.target())
        else {
            panic!("row matrix not in a subnode");
        };
        // Ids read one matrix block at a time are the rows' ids.
        assert_eq!(TableContext::read_row_ids(na.clone())?, ta.row_ids()?);
        assert_eq!(ta.row_ids()?.len(), rows as usize);
        let (ma, mb) = (na.subnode(ma)?, nb.subnode(mb)?);
        assert!(ma.block_count() > 1, "a matrix of several blocks");
        assert_eq!(ma.block_count(), mb.block_count());
        for j in 0..ma.block_count() {
            assert_eq!(ma.block(j)?, mb.block(j)?, "row block {j}");
        }
        let mut want: Vec<(u32, Vec<(PropTag, PropValue)>)> = (0..rows)
            .map(|r| ((r * 7919) % 100_003 + 0x20, cells[r as usize].clone()))
            .collect();
        want.last_mut().expect("rows").1 = cells[3].clone();
        assert_tc(&f, tc_nid(2), &cols, &want)?;
    }
    Ok(())
}

/// Node data with no pages at all (nothing to write) is no block, not an
/// empty tree.
#[test]
fn empty_node_data_writes_nothing() -> Res {
    let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::Permute, FileKind::Pst);
    let (data, subs) = NodeData::default().write_parts(&mut w)?;
    assert_eq!(data, Bid(0));
    assert!(subs.is_empty());
    Ok(())
}
