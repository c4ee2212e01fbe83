//! Regression tests for findings of the `writer` and `audit` fuzz targets (fuzz/).
//!
//! Each test is the minimized finding, kept as a test after its fix.

use pstkit_ltp::{PropTag, PropValue};
use pstkit_ndb::NdbFile;
use pstkit_store::pid;
use pstkit_store::write::{AttachContent, NewAttachment, NewMessage, PstWriter, WriterOptions};
use pstkit_store::Store;

fn subject(s: &str) -> (PropTag, PropValue) {
    (pid::tags::SUBJECT, PropValue::String(s.into()))
}

/// A message holding a message holding a message … `levels` deep.
fn nested(levels: usize) -> NewMessage {
    let mut m = NewMessage {
        props: vec![subject("innermost")],
        ..NewMessage::default()
    };
    for i in 0..levels {
        m = NewMessage {
            props: vec![subject(&format!("level {i}"))],
            recipients: Vec::new(),
            attachments: vec![NewAttachment {
                props: Vec::new(),
                content: AttachContent::Message(Box::new(m)),
            }],
        };
    }
    m
}

/// Writes one message; returns whether `add_message` took it, and the
/// outcome of `finish`.
fn write_one(m: &NewMessage) -> (bool, Result<(), String>) {
    let dir = tempfile::tempdir().unwrap();
    let opts = {
        let mut o = WriterOptions::default();
        o.record_key = Some([1; 16]);
        o.timestamp = pstkit_ltp::FileTime(133_000_000_000_000_000);
        o
    };
    let mut w = PstWriter::create(dir.path().join("t.pst"), opts).unwrap();
    let inbox = w.standard_folders().ipm_subtree;
    let accepted = w.add_message(inbox, m).is_ok();
    let finished = w.finish().map(|path| {
        let file = NdbFile::open(&path).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        assert!(store.root_folder().is_ok());
    });
    (accepted, finished.map_err(|e| e.to_string()))
}

/// fuzz finding (writer): the writer accepts embedded messages nested up to
/// 32 levels (write/mod.rs, `write_message_at`: `depth > 32`), but each
/// level nests the subnode trees two deeper (message → attachment →
/// embedded message) and `pstkit_ndb::check` reports subnode trees nested
/// deeper than 16 as damage (check.rs, `check_subnodes`: `depth > 16`). So
/// from 9 levels on (8 pass), `finish` fails its own verify pass ("written file
/// fails its check: subnode tree block …: subnode trees nested too deeply")
/// and the whole file is lost for one message it had accepted.
/// Fixed: `check` now accepts subnode trees nested 128 deep.
#[test]
fn accepted_nesting_never_fails_finish() {
    for levels in [8, 9, 16, 32] {
        let (accepted, finished) = write_one(&nested(levels));
        if accepted {
            assert!(
                finished.is_ok(),
                "{levels} levels: add_message accepted the message, finish failed: {}",
                finished.unwrap_err()
            );
        }
    }
}

/// The same limits must let the writer refuse what it cannot write, and
/// still finish the rest of the file.
#[test]
fn refused_nesting_leaves_a_good_file() {
    let (accepted, finished) = write_one(&nested(40));
    assert!(!accepted, "40 levels of embedded messages accepted");
    finished.expect("file without the refused message");
}

/// `audit` target: a table column at offset 0xFFFF overflowed the sum of
/// its offset and width before the bounds were compared. The column is a
/// `table-structure` finding.
#[test]
fn a_table_column_at_the_end_of_the_offset_range() {
    let data = include_bytes!("fuzz/audit-column-end-overflow.bin");
    let file = NdbFile::new_lenient(&data[..]).expect("the header parses");
    let r = pstkit_store::audit::audit(file.ndb());
    assert!(
        r.findings.iter().any(|f| f.rule == "table-structure"),
        "{:#?}",
        r.findings
    );
}
