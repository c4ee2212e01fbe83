//! Embedded messages nested as deep as the writer accepts
//! (`MAX_EMBED_DEPTH`) convert, both moved as stored and rebuilt, and
//! export to EML whole: one limit for every layer, so nothing the writer
//! took is lost by the copy or the export.

use pstkit_copy::{convert, message_to_eml, ConvertOptions, MAX_EMBED_DEPTH};
use pstkit_ltp::{PropId, PropTag, PropType, PropValue};
use pstkit_ndb::NdbFile;
use pstkit_store::write::{AttachContent, NewAttachment, NewMessage, PstWriter, WriterOptions};
use pstkit_store::{Message, Store};

fn subject(s: &str) -> (PropTag, PropValue) {
    (
        PropTag::new(PropId(0x0037), PropType::String),
        PropValue::String(s.into()),
    )
}

/// A message holding a message … `levels` deep.
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
                props: vec![(
                    PropTag::new(PropId(0x3705), PropType::Int32),
                    PropValue::Int32(5),
                )],
                content: AttachContent::Message(Box::new(m)),
            }],
        };
    }
    m
}

/// How many embedded messages nest below `m`.
fn depth(m: &Message<'_>) -> usize {
    let mut n = 0;
    let mut inner = None;
    for a in m.attachments().unwrap() {
        if let Some(e) = a.unwrap().embedded().unwrap() {
            inner = Some(e);
        }
    }
    if let Some(e) = inner {
        n = 1 + depth(&e);
    }
    n
}

#[test]
fn the_deepest_message_the_writer_takes_converts_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("deep.pst");
    let mut w = PstWriter::create(&src, WriterOptions::default()).unwrap();
    let top = w.standard_folders().ipm_subtree;
    w.add_message(top, &nested(MAX_EMBED_DEPTH)).unwrap();
    // One more level is refused, and the file stays good.
    assert!(w.add_message(top, &nested(MAX_EMBED_DEPTH + 1)).is_err());
    w.finish().unwrap();

    let file = NdbFile::open(&src).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let top_folder = store
        .walk()
        .map(|f| f.unwrap())
        .find(|f| f.folder.message_ids().unwrap().len() == 1)
        .unwrap();
    let nid = top_folder.folder.message_ids().unwrap()[0];
    assert_eq!(depth(&store.message(nid).unwrap()), MAX_EMBED_DEPTH);

    let eml = message_to_eml(&store.message(nid).unwrap(), &store).unwrap();
    let parts = eml
        .windows(b"message/rfc822".len())
        .filter(|w| *w == b"message/rfc822")
        .count();
    assert_eq!(parts, MAX_EMBED_DEPTH, "every level in the EML");

    for rebuild in [false, true] {
        let dst = dir.path().join(format!("copy-{rebuild}.pst"));
        let opts = {
            let mut o = ConvertOptions::default();
            o.rebuild = rebuild;
            o
        };
        let summary = convert(&store, &dst, &opts, &mut |_| {}).unwrap();
        assert_eq!(summary.items, 1);
        assert!(summary.skipped.is_empty());
        let copy = NdbFile::open(&dst).unwrap();
        let cstore = Store::open(copy.ndb()).unwrap();
        let found: Vec<usize> = cstore
            .walk()
            .flat_map(|f| f.unwrap().folder.message_ids().unwrap())
            .map(|nid| depth(&cstore.message(nid).unwrap()))
            .collect();
        assert_eq!(found, vec![MAX_EMBED_DEPTH], "rebuild: {rebuild}");
    }
}
