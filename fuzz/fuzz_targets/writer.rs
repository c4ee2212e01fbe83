//! Writer round trip (structure-aware): an arbitrary mailbox model (a tree
//! of folders; messages with any property types, unicode and 8-bit strings,
//! empty and large values, many recipients, attachments of every kind,
//! embedded messages nested deeply; named properties) is written with
//! `PstWriter`, re-opened, checked, and every folder, message, recipient,
//! attachment, property and table row read back is compared with what the
//! model says the writer stores.
//!
//! What the writer adds or changes is modelled here from its documentation
//! (`pstkit_store::write`): subjects get Outlook's prefix marker, message
//! flags follow the attachments, a few defaults are added when absent, the
//! recipient table has a column for every property any row has (the first
//! type met for an id wins), table rows hold only the properties their
//! template has columns for, and the reader drops trailing NULs of UTF-16
//! strings.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use pstkit_ltp::write::encode_value;
use pstkit_ltp::{FileTime, PropId, PropTag, PropType, PropValue, String8, TableContext};
use pstkit_ndb::crc::crc;
use pstkit_ndb::{check, CryptMethod, FileKind, Format, NdbFile, Nid, NidType};
use pstkit_store::names::{Guid, NamedProp, PropName};
use pstkit_store::write::{
    mark_subject, templates, AttachContent, NewAttachment, NewMessage, PstWriter, StoredStream,
    WriterOptions,
};
use pstkit_store::{Message, Store};

/// Bytes a model may expand to through its `Repeat` values and repeated
/// recipient rows (more makes each run slow without reaching new code).
const BUDGET: usize = 640 << 10;
/// The writer refuses embedded messages nested deeper than this.
const WRITER_MAX_DEPTH: usize = 32;
/// Models are cut off below this many levels of embedded messages.
const MODEL_MAX_DEPTH: usize = 40;
const TIMESTAMP: FileTime = FileTime(133_500_000_000_000_000);

// ---------------------------------------------------------------- the model

#[derive(Arbitrary, Debug)]
enum Bytes {
    Literal(Vec<u8>),
    /// `len * 2^(scale % 6)` copies of a byte: values around and far past
    /// the heap allocation limit (3580) and the block size (8176).
    Repeat {
        byte: u8,
        len: u16,
        scale: u8,
    },
}

#[derive(Arbitrary, Debug)]
enum Text {
    Literal(String),
    Repeat { s: String, times: u16 },
}

#[derive(Arbitrary, Debug)]
enum Value {
    Null,
    Int16(i16),
    Int32(i32),
    Float32(u32),
    Float64(u64),
    Currency(i64),
    FloatingTime(u64),
    ErrorCode(u32),
    Boolean(bool),
    Int64(i64),
    Time(u64),
    Guid([u8; 16]),
    String(Text),
    String8(Bytes),
    Binary(Bytes),
    ServerId(Vec<u8>),
    Restriction(Vec<u8>),
    RuleAction(Vec<u8>),
    Object(u32, u32),
    MultipleInt16(Vec<i16>),
    MultipleInt32(Vec<i32>),
    MultipleFloat32(Vec<u32>),
    MultipleFloat64(Vec<u64>),
    MultipleCurrency(Vec<i64>),
    MultipleFloatingTime(Vec<u64>),
    MultipleInt64(Vec<i64>),
    MultipleTime(Vec<u64>),
    MultipleGuid(Vec<[u8; 16]>),
    MultipleString(Vec<String>),
    MultipleString8(Vec<Vec<u8>>),
    MultipleBinary(Vec<Vec<u8>>),
}

/// Property ids the writer or readers treat specially, and ordinary ones.
const COMMON_IDS: &[u16] = &[
    0x0037, 0x001A, 0x0E07, 0x0E08, 0x0E17, 0x1000, 0x1009, 0x1013, 0x3001, 0x3002, 0x3003, 0x39FE,
    0x0C15, 0x0C1A, 0x3FFD, 0x3FDE, 0x3007, 0x3008, 0x300B, 0x3701, 0x3705, 0x3707, 0x3704, 0x370B,
    0x0E20, 0x3000, 0x67F2, 0x67F3, 0x0E06, 0x007D, 0x0039, 0x0FF9, 0x3A40, 0x0E0F, 0x0000, 0xFFFF,
    0x8000, 0x8001,
];

#[derive(Arbitrary, Debug)]
enum Id {
    Common(u8),
    Named(u8),
    Any(u16),
}

type Props = Vec<(Id, Value)>;

#[derive(Arbitrary, Debug)]
enum Recipients {
    List(Vec<Props>),
    /// `count % 3000` copies of one row: tables whose row matrix spans
    /// several blocks.
    Many {
        count: u16,
        row: Props,
    },
}

#[derive(Arbitrary, Debug)]
struct Msg {
    props: Props,
    recipients: Recipients,
    attachments: Vec<Att>,
}

#[derive(Arbitrary, Debug)]
struct Att {
    props: Props,
    content: Content,
}

#[derive(Arbitrary, Debug)]
enum Content {
    None,
    Data(Bytes),
    Message(Box<Msg>),
    Object(Bytes),
    /// Blocks as a file of the same variant stores them (the copy's fast
    /// path), cut every `chunk % 8176 + 1` bytes; where the variant or
    /// encoding cannot take stored blocks, plain data instead.
    Stored(Bytes, u16),
    /// Bytes written before their message through a `DataStream`, pushed
    /// `chunk % 8176 + 1` bytes at a time (a large attachment's path in a
    /// copy); below the top level, plain data.
    Streamed(Bytes, u16),
}

#[derive(Arbitrary, Debug)]
struct FolderModel {
    parent: u8,
    name: String,
    class: Option<String>,
    messages: Vec<Msg>,
    associated: Vec<Msg>,
}

#[derive(Arbitrary, Debug)]
enum NameModel {
    Id(u8, u32),
    Name(u8, String),
}

#[derive(Arbitrary, Debug)]
struct Model {
    format: u8,
    crypt: u8,
    display_name: String,
    names: Vec<NameModel>,
    folders: Vec<FolderModel>,
}

// ------------------------------------------------- model -> writer values

struct Maker {
    budget: usize,
    named: Vec<PropId>,
    /// The variant and encoding, when the file takes stored blocks whose
    /// bytes are the plain data (no encoding, no compression).
    stored: Option<(pstkit_ndb::Variant, CryptMethod)>,
}

impl Maker {
    fn take(&mut self, n: usize) -> usize {
        let n = n.min(self.budget);
        self.budget -= n;
        n
    }

    fn bytes(&mut self, b: &Bytes) -> Vec<u8> {
        match b {
            Bytes::Literal(v) => v.clone(),
            Bytes::Repeat { byte, len, scale } => {
                let n = usize::from(*len) << (scale % 6);
                vec![*byte; self.take(n)]
            }
        }
    }

    fn text(&mut self, t: &Text) -> String {
        match t {
            Text::Literal(s) => s.clone(),
            Text::Repeat { s, times } => {
                let n = self.take(s.len().saturating_mul(usize::from(*times) % 2000));
                let times = n.checked_div(s.len()).unwrap_or(0);
                s.repeat(times)
            }
        }
    }

    fn value(&mut self, v: &Value) -> PropValue {
        use PropValue as P;
        let ft = |v: &[u64]| v.iter().map(|&t| FileTime(t)).collect();
        match v {
            Value::Null => P::Null,
            Value::Int16(x) => P::Int16(*x),
            Value::Int32(x) => P::Int32(*x),
            Value::Float32(x) => P::Float32(f32::from_bits(*x)),
            Value::Float64(x) => P::Float64(f64::from_bits(*x)),
            Value::Currency(x) => P::Currency(*x),
            Value::FloatingTime(x) => P::FloatingTime(f64::from_bits(*x)),
            Value::ErrorCode(x) => P::ErrorCode(*x),
            Value::Boolean(x) => P::Boolean(*x),
            Value::Int64(x) => P::Int64(*x),
            Value::Time(x) => P::Time(FileTime(*x)),
            Value::Guid(x) => P::Guid(*x),
            Value::String(t) => P::String(self.text(t)),
            Value::String8(b) => P::String8(String8(self.bytes(b))),
            Value::Binary(b) => P::Binary(self.bytes(b)),
            Value::ServerId(b) => P::ServerId(b.clone()),
            Value::Restriction(b) => P::Restriction(b.clone()),
            Value::RuleAction(b) => P::RuleAction(b.clone()),
            Value::Object(nid, size) => P::Object {
                nid: Nid(*nid),
                size: *size,
            },
            Value::MultipleInt16(v) => P::MultipleInt16(v.clone()),
            Value::MultipleInt32(v) => P::MultipleInt32(v.clone()),
            Value::MultipleFloat32(v) => {
                P::MultipleFloat32(v.iter().map(|&x| f32::from_bits(x)).collect())
            }
            Value::MultipleFloat64(v) => {
                P::MultipleFloat64(v.iter().map(|&x| f64::from_bits(x)).collect())
            }
            Value::MultipleCurrency(v) => P::MultipleCurrency(v.clone()),
            Value::MultipleFloatingTime(v) => {
                P::MultipleFloatingTime(v.iter().map(|&x| f64::from_bits(x)).collect())
            }
            Value::MultipleInt64(v) => P::MultipleInt64(v.clone()),
            Value::MultipleTime(v) => P::MultipleTime(ft(v)),
            Value::MultipleGuid(v) => P::MultipleGuid(v.clone()),
            Value::MultipleString(v) => P::MultipleString(v.clone()),
            Value::MultipleString8(v) => {
                P::MultipleString8(v.iter().map(|b| String8(b.clone())).collect())
            }
            Value::MultipleBinary(v) => P::MultipleBinary(v.clone()),
        }
    }

    fn id(&self, id: &Id) -> PropId {
        match id {
            Id::Common(i) => PropId(COMMON_IDS[usize::from(*i) % COMMON_IDS.len()]),
            Id::Named(i) if !self.named.is_empty() => {
                self.named[usize::from(*i) % self.named.len()]
            }
            Id::Named(i) => PropId(0x8000 | u16::from(*i)),
            Id::Any(x) => PropId(*x),
        }
    }

    fn props(&mut self, p: &Props) -> Vec<(PropTag, PropValue)> {
        p.iter()
            .map(|(id, v)| {
                let v = self.value(v);
                (PropTag::new(self.id(id), v.prop_type()), v)
            })
            .collect()
    }

    fn message(&mut self, m: &Msg, depth: usize) -> NewMessage {
        let recipients = match &m.recipients {
            Recipients::List(rows) => rows.iter().map(|r| self.props(r)).collect(),
            Recipients::Many { count, row } => {
                let row = self.props(row);
                let per_row = 64
                    + row
                        .iter()
                        .map(|(_, v)| encode_value(v).len())
                        .sum::<usize>();
                let n = usize::from(*count) % 3000;
                let n = self.take(n * per_row) / per_row;
                vec![row; n]
            }
        };
        let attachments = m
            .attachments
            .iter()
            .map(|a| NewAttachment {
                props: self.props(&a.props),
                content: match &a.content {
                    Content::None => AttachContent::None,
                    Content::Data(b) | Content::Streamed(b, _) => {
                        AttachContent::Data(self.bytes(b))
                    }
                    Content::Object(b) => AttachContent::Object(self.bytes(b)),
                    Content::Stored(b, chunk) => {
                        let data = self.bytes(b);
                        match self.stored {
                            Some((variant, crypt)) => {
                                let n = usize::from(*chunk) % 8176 + 1;
                                AttachContent::Stored(StoredStream {
                                    variant: Some(variant),
                                    crypt: Some(crypt),
                                    blocks: data
                                        .chunks(n)
                                        .map(|c| (c.to_vec(), crc(c), c.len() as u16))
                                        .collect(),
                                })
                            }
                            None => AttachContent::Data(data),
                        }
                    }
                    Content::Message(_) if depth >= MODEL_MAX_DEPTH => AttachContent::None,
                    Content::Message(e) => {
                        AttachContent::Message(Box::new(self.message(e, depth + 1)))
                    }
                },
            })
            .collect();
        NewMessage {
            props: self.props(&m.props),
            recipients,
            attachments,
        }
    }
}

fn stored_bytes(st: &StoredStream) -> Vec<u8> {
    st.blocks.iter().flat_map(|b| b.0.iter().copied()).collect()
}

fn depth_of(m: &NewMessage) -> usize {
    m.attachments
        .iter()
        .map(|a| match &a.content {
            AttachContent::Message(e) => 1 + depth_of(e),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

// ----------------------------------------- what the writer should store

/// A value read back must equal `Exact` (after the reader's normalisation),
/// or, for values the writer computes itself, merely have the type.
#[derive(Clone, Debug)]
enum Expect {
    Exact(PropValue),
    Typed(PropType),
}

/// What the reader makes of a stored value: UTF-16 strings lose their
/// trailing NULs.
fn normal(v: &PropValue) -> PropValue {
    let trim = |s: &str| s.trim_end_matches('\0').to_string();
    match v {
        PropValue::String(s) => PropValue::String(trim(s)),
        PropValue::MultipleString(v) => {
            PropValue::MultipleString(v.iter().map(|s| trim(s)).collect())
        }
        other => other.clone(),
    }
}

fn matches(e: &Expect, got: &PropValue) -> bool {
    match e {
        Expect::Typed(t) => got.prop_type() == *t,
        // Compared as stored bytes: NaNs and -0.0 compare by their bits.
        Expect::Exact(v) => {
            let v = normal(v);
            v.prop_type() == got.prop_type() && encode_value(&v) == encode_value(got)
        }
    }
}

fn tag(id: u16, t: PropType) -> PropTag {
    PropTag::new(PropId(id), t)
}

fn has(props: &[(PropTag, Expect)], id: u16) -> bool {
    props.iter().any(|(t, _)| t.id().0 == id)
}

/// The properties the writer stores for a message, in the order it sets
/// them (later ones replace earlier ones of the same id).
fn message_props(m: &NewMessage) -> Vec<(PropTag, Expect)> {
    let mut props: Vec<(PropTag, Expect)> = m
        .props
        .iter()
        .map(|(t, v)| (*t, Expect::Exact(v.clone())))
        .collect();
    let mut defaults = Vec::new();
    if !has(&props, 0x001A) {
        defaults.push((
            tag(0x001A, PropType::String),
            Expect::Exact(PropValue::String("IPM.Note".into())),
        ));
    }
    if !has(&props, 0x0E17) {
        defaults.push((
            tag(0x0E17, PropType::Int32),
            Expect::Exact(PropValue::Int32(0)),
        ));
    }
    for id in [0x3007, 0x3008] {
        if !has(&props, id) {
            defaults.push((
                tag(id, PropType::Time),
                Expect::Exact(PropValue::Time(TIMESTAMP)),
            ));
        }
    }
    if !has(&props, 0x300B) {
        defaults.push((
            tag(0x300B, PropType::Binary),
            Expect::Typed(PropType::Binary),
        ));
    }
    props.extend(defaults);
    for (t, v) in props.iter_mut() {
        if t.id().0 == 0x0037 {
            if let Expect::Exact(PropValue::String(s)) = v {
                *s = mark_subject(s);
            }
        }
    }
    let mut flags = props
        .iter()
        .find_map(|(t, v)| match (t.id().0, v) {
            (0x0E07, Expect::Exact(PropValue::Int32(f))) => Some(*f),
            _ => None,
        })
        .unwrap_or(0);
    if m.attachments.is_empty() {
        flags &= !0x10;
    } else {
        flags |= 0x10;
    }
    props.retain(|(t, _)| t.id().0 != 0x0E07);
    props.push((
        tag(0x0E07, PropType::Int32),
        Expect::Exact(PropValue::Int32(flags)),
    ));
    // The size on disk, which the writer computes whatever was given.
    props.retain(|(t, _)| t.id().0 != 0x0E08);
    props.push((tag(0x0E08, PropType::Int32), Expect::Typed(PropType::Int32)));
    props
}

/// The properties the writer stores for attachment `index`.
fn attachment_props(a: &NewAttachment, index: usize) -> Vec<(PropTag, Expect)> {
    let mut props: Vec<(PropTag, Expect)> = a
        .props
        .iter()
        .filter(|(t, _)| t.id().0 != 0x3701)
        .map(|(t, v)| (*t, Expect::Exact(v.clone())))
        .collect();
    let method = match &a.content {
        AttachContent::None => None,
        AttachContent::Data(b) => {
            props.push((
                tag(0x3701, PropType::Binary),
                Expect::Exact(PropValue::Binary(b.clone())),
            ));
            Some(1)
        }
        AttachContent::Message(_) => {
            props.push((
                tag(0x3701, PropType::Object),
                Expect::Typed(PropType::Object),
            ));
            Some(5)
        }
        AttachContent::Object(_) => {
            props.push((
                tag(0x3701, PropType::Object),
                Expect::Typed(PropType::Object),
            ));
            Some(6)
        }
        AttachContent::Stored(st) => {
            props.push((
                tag(0x3701, PropType::Binary),
                Expect::Exact(PropValue::Binary(stored_bytes(st))),
            ));
            Some(1)
        }
        // The model keeps streamed bytes as `Data`.
        AttachContent::Written { .. } => None,
    };
    let _ = index;
    if !has(&props, 0x3705) {
        props.push((
            tag(0x3705, PropType::Int32),
            Expect::Exact(PropValue::Int32(method.unwrap_or(0))),
        ));
    }
    if !has(&props, 0x370B) {
        props.push((
            tag(0x370B, PropType::Int32),
            Expect::Exact(PropValue::Int32(-1)),
        ));
    }
    // The sum of the value sizes, which the writer computes whatever was given.
    props.retain(|(t, _)| t.id().0 != 0x0E20);
    props.push((tag(0x0E20, PropType::Int32), Expect::Typed(PropType::Int32)));
    props
}

/// A property context's contents: the last value set for each id.
fn pc_of(props: &[(PropTag, Expect)]) -> BTreeMap<u16, Expect> {
    let mut m = BTreeMap::new();
    for (t, v) in props {
        m.insert(t.id().0, v.clone());
    }
    m
}

const ROW_ID: PropTag = PropTag(0x67F2_0003);

/// A table row's cells as `TcBuilder::add_row` stores `cells` under
/// `columns`: exact tag matches, later cells replacing earlier ones, the
/// row id column never.
fn row_of(cells: &[(PropTag, Expect)], columns: &[PropTag]) -> BTreeMap<u32, Expect> {
    let mut m = BTreeMap::new();
    for (t, v) in cells {
        if *t == ROW_ID || !columns.contains(t) {
            continue;
        }
        m.insert(t.0, v.clone());
    }
    m
}

/// The cells the writer gives a folder table (`table_row`): the properties
/// whose id has a template column, 8-bit strings widened in `codepage` for
/// Unicode string columns, other type mismatches dropped.
fn table_cells(
    props: &[(PropTag, Expect)],
    columns: &[PropTag],
    codepage: u32,
) -> Vec<(PropTag, Expect)> {
    props
        .iter()
        .filter_map(|(t, v)| {
            let col = columns.iter().find(|c| c.id() == t.id())?;
            match (col.prop_type(), v) {
                (PropType::String, Expect::Exact(PropValue::String8(s))) => {
                    Some((*col, Expect::Exact(PropValue::String(s.decode(codepage)))))
                }
                (ct, v) if ct == t.prop_type() => Some((*col, v.clone())),
                _ => None,
            }
        })
        .collect()
}

/// The recipient table's columns for `rows` (the writer's rule: one per id
/// any row has, the first type met winning, then the template's others;
/// `TcBuilder` keeps at most 253 besides row id and version).
fn recipient_columns(rows: &[Vec<(PropTag, PropValue)>]) -> Vec<PropTag> {
    let mut columns: Vec<PropTag> = Vec::new();
    for r in rows {
        for (t, _) in r {
            if !columns.iter().any(|c| c.id() == t.id()) {
                columns.push(*t);
            }
        }
    }
    for t in templates::RECIPIENTS {
        if !columns.iter().any(|c| c.id() == t.id()) {
            columns.push(*t);
        }
    }
    let mut others: Vec<PropTag> = columns
        .into_iter()
        .filter(|&t| t != ROW_ID && t != PropTag(0x67F3_0003))
        .collect();
    others.sort();
    others.dedup();
    others.truncate(253);
    others.push(ROW_ID);
    others.push(PropTag(0x67F3_0003));
    others
}

// ------------------------------------------------------------- comparing

fn check_pc(what: &str, got: &pstkit_ltp::PropertyContext<'_>, want: &BTreeMap<u16, Expect>) {
    let mut seen = BTreeMap::new();
    for (t, v) in got.props() {
        let v = v.unwrap_or_else(|e| panic!("{what}: property {t:?} unreadable: {e}"));
        assert!(
            seen.insert(t.id().0, v).is_none(),
            "{what}: property {t:?} stored twice"
        );
    }
    let got_ids: Vec<u16> = seen.keys().copied().collect();
    let want_ids: Vec<u16> = want.keys().copied().collect();
    assert_eq!(got_ids, want_ids, "{what}: property ids");
    for (id, e) in want {
        let g = &seen[id];
        assert!(
            matches(e, g),
            "{what}: property 0x{id:04X}: wrote {e:?}, read {g:?}"
        );
    }
}

fn check_row(what: &str, got: Vec<(PropTag, PropValue)>, want: &BTreeMap<u32, Expect>) {
    let mut seen = BTreeMap::new();
    for (t, v) in got {
        if matches!(t.id().0, 0x67F2 | 0x67F3) && !want.contains_key(&t.0) {
            continue;
        }
        assert!(seen.insert(t.0, v).is_none(), "{what}: column {t:?} twice");
    }
    let got_tags: Vec<u32> = seen.keys().copied().collect();
    let want_tags: Vec<u32> = want.keys().copied().collect();
    assert_eq!(got_tags, want_tags, "{what}: cells");
    for (t, e) in want {
        let g = &seen[t];
        assert!(
            matches(e, g),
            "{what}: cell 0x{t:08X}: wrote {e:?}, read {g:?}"
        );
    }
}

/// Reads table `node` and checks the row of `row_id` against `cells`.
fn check_table_row(
    what: &str,
    node: pstkit_ndb::Node<'_>,
    row_id: u32,
    cells: &[(PropTag, Expect)],
) {
    let tc = TableContext::read(node).unwrap_or_else(|e| panic!("{what}: table: {e}"));
    let row = tc
        .find_row(row_id)
        .unwrap_or_else(|e| panic!("{what}: row index: {e}"))
        .unwrap_or_else(|| panic!("{what}: no row 0x{row_id:X}"));
    let columns: Vec<PropTag> = tc.columns().iter().map(|c| c.tag).collect();
    let want = row_of(cells, &columns);
    let got: Vec<(PropTag, PropValue)> = row
        .cells()
        .map(|(t, v)| (t, v.unwrap_or_else(|e| panic!("{what}: cell {t:?}: {e}"))))
        .collect();
    check_row(what, got, &want);
    assert_eq!(row.row_id(), row_id);
}

fn check_message(what: &str, m: &NewMessage, got: &Message<'_>) {
    let written = message_props(m);
    check_pc(what, got.properties(), &pc_of(&written));

    // Recipients: one row each, in order, every column of the table.
    let rows = got
        .recipient_rows()
        .unwrap_or_else(|e| panic!("{what}: recipients: {e}"));
    assert_eq!(rows.len(), m.recipients.len(), "{what}: recipient count");
    let columns = recipient_columns(&m.recipients);
    for (i, (r, g)) in m.recipients.iter().zip(rows).enumerate() {
        let mut cells: Vec<(PropTag, Expect)> = r
            .iter()
            .map(|(t, v)| (*t, Expect::Exact(v.clone())))
            .collect();
        cells.push((
            tag(0x3000, PropType::Int32),
            Expect::Exact(PropValue::Int32(i as i32)),
        ));
        let mut want = row_of(&cells, &columns);
        // recipient_rows leaves out the table's own row id and version.
        want.retain(|t, _| !matches!(t >> 16, 0x67F2 | 0x67F3));
        check_row(&format!("{what} recipient {i}"), g, &want);
    }
    if let Err(e) = got.recipients() {
        panic!("{what}: recipients: {e}");
    }

    // Attachments, in order, with their table rows and contents.
    let ids = got
        .attachment_ids()
        .unwrap_or_else(|e| panic!("{what}: attachment table: {e}"));
    let want_ids: Vec<Nid> = (0..m.attachments.len())
        .map(|i| Nid::new(NidType::Attachment, 0x400 + i as u32 + 1))
        .collect();
    assert_eq!(ids, want_ids, "{what}: attachment ids");
    for (i, a) in m.attachments.iter().enumerate() {
        let what = format!("{what} attachment {i}");
        let at = got
            .attachment(ids[i])
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let written = attachment_props(a, i);
        let pc = pc_of(&written);
        check_pc(&what, at.properties(), &pc);
        // The method the reader sees (the model may set its own).
        let embedded_method =
            match pc.get(&0x3705) {
                Some(Expect::Exact(PropValue::Int32(5)))
                | Some(Expect::Exact(PropValue::Int16(5))) => true,
                Some(Expect::Exact(PropValue::Int32(_)))
                | Some(Expect::Exact(PropValue::Int16(_))) => false,
                // Without a usable method, an object value means an embedded message.
                _ => matches!(
                    a.content,
                    AttachContent::Message(_) | AttachContent::Object(_)
                ),
            };
        match &a.content {
            AttachContent::None => {
                assert!(at
                    .data()
                    .unwrap_or_else(|e| panic!("{what}: data: {e}"))
                    .is_none());
            }
            AttachContent::Data(b) => {
                let d = at.data().unwrap_or_else(|e| panic!("{what}: data: {e}"));
                assert_eq!(d.as_deref(), Some(&b[..]), "{what}: data");
            }
            AttachContent::Stored(st) => {
                let d = at
                    .data()
                    .unwrap_or_else(|e| panic!("{what}: stored data: {e}"));
                assert_eq!(
                    d.as_deref(),
                    Some(&stored_bytes(st)[..]),
                    "{what}: stored data"
                );
            }
            AttachContent::Object(b) if !embedded_method => {
                let d = at.data().unwrap_or_else(|e| panic!("{what}: object: {e}"));
                assert_eq!(d.as_deref(), Some(&b[..]), "{what}: object data");
            }
            AttachContent::Object(_) => {}
            AttachContent::Message(e) if embedded_method => {
                let em = at
                    .embedded()
                    .unwrap_or_else(|err| panic!("{what}: embedded: {err}"))
                    .unwrap_or_else(|| panic!("{what}: embedded message missing"));
                check_message(&format!("{what} embedded"), e, &em);
            }
            AttachContent::Message(_) | AttachContent::Written { .. } => {}
        }
        // Its row in the attachment table.
        let node = got
            .properties()
            .heap()
            .node()
            .expect("read from a file")
            .subnode(Nid::ATTACHMENT_TABLE)
            .unwrap_or_else(|e| panic!("{what}: attachment table node: {e}"));
        let cells = table_cells(&written, templates::ATTACHMENTS, 1252);
        check_table_row(&format!("{what} row"), node, ids[i].0, &cells);
    }
}

// ----------------------------------------------------------------- target

struct WrittenFolder {
    nid: Nid,
    parent: Nid,
    name: String,
    class: Option<String>,
    children: Vec<Nid>,
    messages: Vec<(Nid, NewMessage)>,
    associated: Vec<(Nid, NewMessage)>,
}

fn run(model: &Model) {
    let (format, kind) = match model.format % 3 {
        0 => (Format::UNICODE, FileKind::Pst),
        1 => (Format::UNICODE_4K, FileKind::Ost),
        _ => (Format::ANSI, FileKind::Pst),
    };
    let crypt = match model.crypt % 3 {
        0 => CryptMethod::None,
        1 => CryptMethod::Permute,
        _ => CryptMethod::Cyclic,
    };
    let dir = pstkit_fuzz::tempdir();
    let path = dir.path().join("model.pst");
    let options = {
        let mut o = WriterOptions::default();
        o.kind = kind;
        o.format = format;
        o.crypt = crypt;
        o.display_name = model.display_name.clone();
        o.record_key = Some([0xA5; 16]);
        o.timestamp = TIMESTAMP;
        o.store_properties = Vec::new();
        o.replace = pstkit_store::write::Replace::Never;
        o
    };
    let mut w = PstWriter::create(&path, options).expect("create");

    // Named properties first, so that messages can use their ids.
    let mut maker = Maker {
        budget: BUDGET,
        named: Vec::new(),
        // Plain stored bytes need no encoding (4K blocks would need their
        // compression decided too: left to the copy's own tests).
        stored: (crypt == CryptMethod::None && format.variant != pstkit_ndb::Variant::Unicode4k)
            .then_some((format.variant, crypt)),
    };
    let guids = [
        Guid::PS_MAPI,
        Guid::PS_PUBLIC_STRINGS,
        Guid::COMMON,
        Guid::ADDRESS,
        Guid::default(),
        Guid([0x11; 16]),
    ];
    let mut names = Vec::new();
    for n in model.names.iter().take(64) {
        let np = match n {
            NameModel::Id(g, lid) => NamedProp {
                guid: guids[usize::from(*g) % guids.len()],
                name: PropName::Id(*lid),
            },
            NameModel::Name(g, s) => NamedProp {
                guid: guids[usize::from(*g) % guids.len()],
                name: PropName::Name(s.clone()),
            },
        };
        let id = w.named_prop(&np).expect("named property id");
        maker.named.push(id);
        names.push((id, np));
    }

    let std = w.standard_folders();
    let mut folders: Vec<WrittenFolder> = Vec::new();
    let mut parents = vec![
        std.ipm_subtree,
        std.deleted_items,
        std.root,
        std.search_root,
    ];
    let mut items = 0u64;
    for f in model.folders.iter().take(64) {
        let parent = parents[usize::from(f.parent) % parents.len()];
        let nid = w
            .add_folder(parent, &f.name, f.class.as_deref())
            .expect("add_folder");
        parents.push(nid);
        if let Some(p) = folders.iter_mut().find(|x| x.nid == parent) {
            p.children.push(nid);
        }
        let mut wf = WrittenFolder {
            nid,
            parent,
            name: f.name.clone(),
            class: f.class.clone(),
            children: Vec::new(),
            messages: Vec::new(),
            associated: Vec::new(),
        };
        for (list, assoc) in [(&f.messages, false), (&f.associated, true)] {
            for model in list.iter().take(32) {
                let m = maker.message(model, 0);
                // Streamed attachments: their bytes written first, the
                // message written with the tree (expected to read as the
                // bytes). Not for a message the writer refuses: its blocks
                // would name no item.
                let mut to_write = m.clone();
                if depth_of(&m) <= WRITER_MAX_DEPTH {
                    for (i, a) in model.attachments.iter().enumerate() {
                        let (Content::Streamed(_, chunk), Some(AttachContent::Data(b))) =
                            (&a.content, m.attachments.get(i).map(|x| &x.content))
                        else {
                            continue;
                        };
                        let n = usize::from(*chunk) % 8176 + 1;
                        let mut s = w.data_stream();
                        for c in b.chunks(n) {
                            s.push(c).expect("data stream");
                        }
                        let (bid, size) = s.finish().expect("data stream");
                        assert_eq!(size, b.len() as u64);
                        to_write.attachments[i].content = AttachContent::Written { bid, size };
                    }
                }
                let r = if assoc {
                    w.add_associated(nid, &to_write)
                } else {
                    w.add_message(nid, &to_write)
                };
                if depth_of(&m) > WRITER_MAX_DEPTH {
                    assert!(r.is_err(), "message nested {} deep accepted", depth_of(&m));
                    continue;
                }
                let mnid = r.unwrap_or_else(|e| panic!("add message: {e}"));
                items += 1;
                if assoc {
                    wf.associated.push((mnid, m));
                } else {
                    wf.messages.push((mnid, m));
                }
            }
        }
        folders.push(wf);
    }
    assert_eq!(w.item_count(), items);
    if std::env::var_os("PSTKIT_FUZZ_DEBUG").is_some() {
        eprintln!(
            "{format:?} {crypt:?}: {} folders, {items} items, {} names, {} model bytes, {} bytes written",
            folders.len(),
            names.len(),
            BUDGET - maker.budget,
            w.bytes_written()
        );
    }
    let path = w.finish().unwrap_or_else(|e| panic!("finish: {e}"));

    // ------------------------------------------------------- read it back
    let file = NdbFile::open(&path).expect("written file opens");
    let report = check::check(file.ndb());
    assert!(
        report.is_clean(),
        "written file fails check: {:?}",
        report.problems
    );
    let store = Store::open(file.ndb()).expect("store opens");
    let ndb = file.ndb();
    let trim = |s: &str| s.trim_end_matches('\0').to_string();
    assert_eq!(
        store.display_name().unwrap_or_default(),
        trim(&model.display_name),
        "store name"
    );
    for (id, np) in &names {
        assert_eq!(store.names().get(*id), Some(np), "named property {id:?}");
    }
    let mut walked = std::collections::HashSet::new();
    for f in store.walk() {
        let f = f.unwrap_or_else(|(nid, _, e)| panic!("walk: folder {nid}: {e}"));
        walked.insert(f.folder.nid());
    }
    for f in &folders {
        let what = format!("folder {}", f.nid);
        assert!(walked.contains(&f.nid), "{what} not reached by the walk");
        let got = store
            .folder(f.nid)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(got.display_name(), trim(&f.name), "{what}: name");
        assert_eq!(
            got.container_class(),
            f.class.as_deref().map(trim),
            "{what}: class"
        );
        assert_eq!(
            got.subfolder_ids().expect("hierarchy"),
            f.children,
            "{what}: children"
        );
        assert_eq!(
            got.has_subfolders(),
            Some(!f.children.is_empty()),
            "{what}: has subfolders"
        );
        let ids: Vec<Nid> = f.messages.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            got.message_ids().expect("contents"),
            ids,
            "{what}: messages"
        );
        let ids: Vec<Nid> = f.associated.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            got.associated_ids().expect("FAI contents"),
            ids,
            "{what}: associated"
        );
        assert_eq!(
            got.content_count(),
            Some(f.messages.len() as i32),
            "{what}: count"
        );
        let parent = store.folder(f.parent).expect("parent folder");
        assert!(parent
            .subfolder_ids()
            .expect("parent hierarchy")
            .contains(&f.nid));
        let mut unread = 0;
        for (list, assoc) in [(&f.messages, false), (&f.associated, true)] {
            for (nid, m) in list {
                let what = format!("{what} message {nid}");
                let got = store
                    .message(*nid)
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                check_message(&what, m, &got);
                // Its row in the folder's contents table.
                let written = message_props(m);
                let codepage = written
                    .iter()
                    .find_map(|(t, v)| match (t.id().0, v) {
                        (0x3FFD | 0x3FDE, Expect::Exact(PropValue::Int32(cp))) if *cp > 0 => {
                            Some(*cp as u32)
                        }
                        _ => None,
                    })
                    .unwrap_or(1252);
                let (columns, kind) = if assoc {
                    (templates::ASSOC_CONTENTS, NidType::AssocContentsTable)
                } else {
                    (templates::CONTENTS, NidType::ContentsTable)
                };
                let cells = table_cells(&written, columns, codepage);
                if !assoc
                    && !cells.iter().any(|(t, v)| {
                        t.id().0 == 0x0E07
                            && matches!(v, Expect::Exact(PropValue::Int32(x)) if x & 1 != 0)
                    })
                {
                    unread += 1;
                }
                let node = ndb
                    .node(f.nid.with_kind(kind))
                    .expect("contents table node");
                check_table_row(&format!("{what} row"), node, nid.0, &cells);
            }
        }
        assert_eq!(got.unread_count(), Some(unread), "{what}: unread count");
    }
}

fuzz_target!(|model: Model| {
    run(&model);
});
