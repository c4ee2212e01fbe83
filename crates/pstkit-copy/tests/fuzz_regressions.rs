//! Regression tests for findings of the `copy` fuzz target (fuzz/).
//!
//! Each test is the finding reduced to the smallest store that shows it,
//! kept after its fix.

use pstkit_copy::{convert, ConvertOptions};
use pstkit_ltp::{FileTime, PropId, PropTag, PropType, PropValue};
use pstkit_ndb::NdbFile;
use pstkit_store::write::{AttachContent, NewAttachment, NewMessage, PstWriter, WriterOptions};
use pstkit_store::Store;

#[path = "support/error_text.rs"]
mod error_text;

fn options() -> WriterOptions {
    {
        let mut o = WriterOptions::default();
        o.record_key = Some([3; 16]);
        o.timestamp = FileTime(133_000_000_000_000_000);
        o
    }
}

fn subject(s: &str) -> (PropTag, PropValue) {
    (
        PropTag::new(PropId(0x0037), PropType::String),
        PropValue::String(s.into()),
    )
}

/// A property stored with type 0x0000 (PtypUnspecified), as the fuzzer made
/// it by flipping a type code: `PropValue::Unknown` with that code is the
/// one value the writer stores with it.
fn unspecified(id: u16) -> (PropTag, PropValue) {
    (
        PropTag::new(PropId(id), PropType::Unspecified),
        PropValue::Unknown {
            ptype: 0x0000,
            bytes: Vec::new(),
        },
    )
}

/// Converts a one-message store with salvage on.
fn convert_one(m: &NewMessage) -> Result<pstkit_copy::ConvertSummary, String> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.pst");
    let mut w = PstWriter::create(&src, options()).unwrap();
    let top = w.standard_folders().ipm_subtree;
    let inbox = w.add_folder(top, "Inbox", Some("IPF.Note")).unwrap();
    w.add_message(inbox, m).unwrap();
    w.finish().unwrap();

    let file = NdbFile::open(&src).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    // The source reads as the fuzzer's inputs did: a type-0 property
    // somewhere in the message, whose value decodes as PtypNull.
    let msg_nid = store
        .walk()
        .flatten()
        .find_map(|f| f.folder.message_ids().ok()?.first().copied())
        .unwrap();
    let msg = store.message(msg_nid).unwrap();
    let mut types: Vec<PropType> = msg.properties().tags().map(|t| t.prop_type()).collect();
    for a in msg.attachments().unwrap() {
        if let Some(e) = a.unwrap().embedded().unwrap() {
            types.extend(e.properties().tags().map(|t| t.prop_type()));
        }
    }
    assert!(types.contains(&PropType::Unspecified));
    let opts = salvage_options(false);
    convert(&store, &dir.path().join("out.pst"), &opts, &mut |_| {}).map_err(|e| e.to_string())
}

/// fuzz finding (copy): a property of type PtypUnspecified (0x0000) makes
/// a salvage conversion fail as a whole in its verify pass: "verify pass:
/// verify: destination item 0x200024: item "…" (source 0x200064) differs:
/// source has 10000000 where the copy has 10000001".
///
/// The reader decodes types 0x0000 and 0x0001 alike to `PropValue::Null`
/// (pstkit-ltp value.rs, `PropValue::decode`: `T::Unspecified | T::Null =>
/// PropValue::Null`), whose `prop_type()` is PtypNull; the copy keeps the
/// source tag (convert.rs `map_props`: `PropTag::new(id, tag.prop_type())`)
/// but `PcBuilder` stores the value's type (write/pc.rs `finish`: `let ptype =
/// v.prop_type()`), so the copy holds 0x0001 where the source had 0x0000.
/// The digest keys properties by their whole tag (convert.rs
/// `prop_entries`: `format!("{prefix}{:08X}", tag.0)`), the digests differ,
/// and with salvage on the whole conversion still fails rather than one item
/// being skipped. The fuzzer met it in top-level messages and in embedded
/// ones ("attachment 0 message 1F370000").
/// Fixed: PtypUnspecified values decode as `Unknown` with code 0x0000.
#[test]
fn unspecified_property_converts() {
    let m = NewMessage {
        props: vec![subject("type 0"), unspecified(0x1000)],
        ..NewMessage::default()
    };
    let s = convert_one(&m).unwrap_or_else(|e| panic!("conversion failed: {e}"));
    assert_eq!((s.items, s.verified), (1, 1));
}

/// The same in an embedded message.
#[test]
fn unspecified_property_in_embedded_message_converts() {
    let inner = NewMessage {
        props: vec![subject("inner"), unspecified(0x1F37)],
        ..NewMessage::default()
    };
    let m = NewMessage {
        props: vec![subject("outer")],
        recipients: Vec::new(),
        attachments: vec![NewAttachment {
            props: Vec::new(),
            content: AttachContent::Message(Box::new(inner)),
        }],
    };
    let s = convert_one(&m).unwrap_or_else(|e| panic!("conversion failed: {e}"));
    assert_eq!((s.items, s.verified), (1, 1));
}

/// Options of a salvage conversion (the fuzz target's), moving items as
/// stored unless `rebuild`.
fn salvage_options(rebuild: bool) -> ConvertOptions {
    {
        let mut o = ConvertOptions::default();
        o.writer = options();
        o.binding = None;
        o.salvage = true;
        o.rebuild = rebuild;
        o.threads = None;
        o
    }
}

/// Walks every message of a store the way a reader does and returns the
/// errors met, each with its numbers (ids, offsets) taken out.
fn read_errors(store: &Store<'_>) -> Vec<String> {
    let mut errors = Vec::new();
    for f in store.walk().flatten() {
        for nid in f.folder.message_ids().unwrap_or_default() {
            match store.message(nid) {
                Ok(m) => {
                    if let Err(e) = m.recipient_rows() {
                        errors.push(e.to_string());
                    }
                    if let Err(e) = m.attachments() {
                        errors.push(e.to_string());
                    }
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
    }
    errors
        .iter()
        .map(|e| error_text::without_numbers(e))
        .collect()
}

/// The fuzzer's input: a message whose recipient table names a column bit
/// outside the row's cell-existence bitmap, every block's CRC right. Sound
/// blocks are no proof of a sound item: salvage decodes the message whole
/// before it moves it as stored, so moved or rebuilt, the message is
/// copied without its recipient table and reported as copied in part,
/// never carried over as it is, and the output checks clean and reads
/// without an error.
#[test]
fn damage_inside_a_moved_item_is_reported_and_copied_without_it() {
    let data = include_bytes!("fuzz/copy-damaged-recipient-table.bin");
    let file = NdbFile::new_lenient(&data[..]).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let source_errors = read_errors(&store);
    assert!(
        source_errors
            .iter()
            .any(|e| e.contains("cell-existence bitmap")),
        "{source_errors:?}"
    );
    for rebuild in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let opts = salvage_options(rebuild);
        let s = convert(&store, &dir.path().join("out.pst"), &opts, &mut |_| {}).unwrap();
        assert_eq!(s.moved, !rebuild);
        let out = NdbFile::open(&s.path).unwrap();
        assert!(pstkit_ndb::check::check(out.ndb()).is_clean());
        let copy = Store::open(out.ndb()).unwrap();
        let errors = read_errors(&copy);
        assert!(errors.is_empty(), "rebuild {rebuild}: {errors:?}");
        assert!(
            s.partial
                .iter()
                .any(|k| k.error.contains("cell-existence bitmap")),
            "rebuild {rebuild}: {:?}",
            s.partial
        );
    }
}

/// The fuzzer's input: a message whose subnode tree lists one subnode id
/// twice. Moved as stored, the copy's tree repeated the key and failed the
/// written file's own check; it now keeps the entry a lookup finds.
#[test]
fn a_subnode_tree_that_repeats_an_id_is_moved_with_unique_keys() {
    let data = include_bytes!("fuzz/copy-repeated-subnode-id.bin");
    let file = NdbFile::new_lenient(&data[..]).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = salvage_options(false);
    let s = convert(&store, &dir.path().join("out.pst"), &opts, &mut |_| {}).unwrap();
    assert!(s.moved);
    let out = NdbFile::open(&s.path).unwrap();
    let report = pstkit_ndb::check::check(out.ndb());
    assert!(report.is_clean(), "{:?}", report.problems.first());
    // What a reader sees of each item is what it sees in the source.
    let copy = Store::open(out.ndb()).unwrap();
    let source_errors = read_errors(&store);
    for e in read_errors(&copy) {
        assert!(source_errors.contains(&e), "{e} not in {source_errors:?}");
    }
}

/// The fuzzer's input: a block B-tree whose damaged leaves overlap, so one
/// block id sits in two leaves. Lookups started at the leaf the previous
/// lookup ended on whenever the key lay within that leaf's keys, so the
/// answer for that id depended on what had been read before: the source
/// read differently after a conversion than before it. A lookup now takes
/// that shortcut only for keys whose descent from the root ends on that
/// very leaf, and reads the same whatever came before.
#[test]
fn lookups_in_overlapping_leaves_do_not_depend_on_earlier_reads() {
    let data = include_bytes!("fuzz/copy-overlapping-btree-leaves.bin");
    let file = NdbFile::new_lenient(&data[..]).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let before = read_errors(&store);
    let dir = tempfile::tempdir().unwrap();
    let opts = salvage_options(false);
    let s = convert(&store, &dir.path().join("out.pst"), &opts, &mut |_| {}).unwrap();
    assert_eq!(read_errors(&store), before);
    // A second view of the same bytes, with no history, agrees too.
    let fresh = NdbFile::new_lenient(&data[..]).unwrap();
    assert_eq!(read_errors(&Store::open(fresh.ndb()).unwrap()), before);
    let out = NdbFile::open(&s.path).unwrap();
    for e in read_errors(&Store::open(out.ndb()).unwrap()) {
        assert!(before.contains(&e), "{e} not in {before:?}");
    }
}
