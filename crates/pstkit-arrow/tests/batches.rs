//! The record batch iterators over the committed generated mailboxes: every
//! listed item is a row, in batches of the size asked, with the values the
//! store's own readers give.

use std::collections::BTreeMap;
use std::path::Path;

use pstkit_arrow::arrow_array::cast::AsArray;
use pstkit_arrow::arrow_array::types::{Int32Type, Int64Type};
use pstkit_arrow::arrow_array::Array;
use pstkit_arrow::{AttachmentBatches, BatchOptions, MessageBatches};
use pstkit_ndb::NdbFile;
use pstkit_store::Store;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// (nid → (folder, subject)) as the store lists them.
fn listed(store: &Store<'_>) -> BTreeMap<i64, (String, Option<String>)> {
    let mut out = BTreeMap::new();
    for w in store.walk() {
        let w = w.unwrap();
        for nid in w.folder.message_ids().unwrap() {
            let m = store.message(nid).unwrap();
            out.insert(i64::from(nid.0), (w.path_string(), m.subject()));
        }
    }
    out
}

fn opts(batch_size: usize, with_data: bool) -> BatchOptions {
    let mut o = BatchOptions::default();
    o.batch_size = batch_size;
    o.with_attachment_data = with_data;
    o
}

#[test]
fn every_item_is_a_row_in_batches_of_the_size_asked() {
    for name in ["mailbox.pst", "mailbox-4k.ost"] {
        let file = NdbFile::open(fixture(name)).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let want = listed(&store);
        assert!(want.len() >= 30, "{name}: {} items", want.len());
        let mut batches = MessageBatches::new(store, name, &opts(7, false));
        let mut got = BTreeMap::new();
        let mut sizes = Vec::new();
        for b in &mut batches {
            let b = b.unwrap();
            sizes.push(b.num_rows());
            let nid = b.column_by_name("nid").unwrap().as_primitive::<Int64Type>();
            let folder = b.column_by_name("folder").unwrap().as_string::<i32>();
            let subject = b.column_by_name("subject").unwrap().as_string::<i32>();
            let source = b.column_by_name("source").unwrap().as_string::<i32>();
            for r in 0..b.num_rows() {
                assert_eq!(source.value(r), name);
                let s = (!subject.is_null(r)).then(|| subject.value(r).to_string());
                let old = got.insert(nid.value(r), (folder.value(r).to_string(), s));
                assert!(old.is_none(), "{name}: item {} twice", nid.value(r));
            }
        }
        assert_eq!(got, want, "{name}");
        // Full batches, then the rest.
        let (last, full) = sizes.split_last().unwrap();
        assert!(full.iter().all(|&n| n == 7), "{name}: {sizes:?}");
        assert!((1..=7).contains(last));
        assert!(batches.take_lost().is_empty());
        let c = batches.reader().counts().clone();
        assert_eq!(
            (c.items, c.items_read, c.items_lost),
            (want.len(), want.len(), 0)
        );
    }
}

#[test]
fn attachment_rows_match_the_items_attachments() {
    for name in ["mailbox.pst", "mailbox-4k.ost"] {
        let file = NdbFile::open(fixture(name)).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        // Per item: its attachments' byte counts, as the store reads them.
        let mut want: BTreeMap<(i64, i32), Option<i64>> = BTreeMap::new();
        for w in store.walk() {
            for nid in w.unwrap().folder.message_ids().unwrap() {
                let m = store.message(nid).unwrap();
                for (i, a) in m.attachments().unwrap().enumerate() {
                    let a = a.unwrap();
                    let len = a.data().unwrap().map(|d| d.len() as i64);
                    want.insert((i64::from(nid.0), i as i32), len);
                }
            }
        }
        assert!(!want.is_empty(), "{name} has attachments");
        let mut got = BTreeMap::new();
        for b in AttachmentBatches::new(store, name, &opts(3, true)) {
            let b = b.unwrap();
            assert!(b.num_rows() <= 3);
            let nid = b.column_by_name("nid").unwrap().as_primitive::<Int64Type>();
            let index = b
                .column_by_name("index")
                .unwrap()
                .as_primitive::<Int32Type>();
            let size = b
                .column_by_name("size")
                .unwrap()
                .as_primitive::<Int64Type>();
            let sha = b.column_by_name("sha256").unwrap().as_string::<i32>();
            let data = b.column_by_name("data").unwrap().as_binary::<i32>();
            for r in 0..b.num_rows() {
                let len = (!size.is_null(r)).then(|| size.value(r));
                if let Some(len) = len {
                    assert_eq!(data.value(r).len() as i64, len);
                    assert_eq!(sha.value(r).len(), 64);
                }
                got.insert((nid.value(r), index.value(r)), len);
            }
        }
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn batches_are_the_same_on_one_thread_or_several() {
    let file = NdbFile::open(fixture("mailbox.pst")).unwrap();
    let collect = |threads: usize, batch: usize| {
        let store = Store::open(file.ndb()).unwrap();
        let mut o = opts(batch, true);
        o.threads = Some(threads);
        let messages: Vec<_> = MessageBatches::new(store, "m", &o)
            .map(|b| b.unwrap())
            .collect();
        let store = Store::open(file.ndb()).unwrap();
        let attachments: Vec<_> = AttachmentBatches::new(store, "m", &o)
            .map(|b| b.unwrap())
            .collect();
        (messages, attachments)
    };
    let one = collect(1, 5);
    assert!(one.0.len() >= 6 && !one.1.is_empty());
    for threads in [2, 3, 8] {
        assert_eq!(collect(threads, 5), one, "{threads} threads");
    }
}

#[test]
fn the_arrow_reader_gives_the_same_batches_and_schema() {
    use pstkit_arrow::arrow_array::RecordBatchReader;
    let file = NdbFile::open(fixture("mailbox-4k.ost")).unwrap();
    let direct: Vec<_> =
        MessageBatches::new(Store::open(file.ndb()).unwrap(), "m", &opts(8, false))
            .map(|b| b.unwrap())
            .collect();
    let mut reader =
        MessageBatches::new(Store::open(file.ndb()).unwrap(), "m", &opts(8, false)).into_reader();
    assert_eq!(reader.schema(), pstkit_arrow::messages_schema());
    let via: Vec<_> = (&mut reader).map(|b| b.unwrap()).collect();
    assert_eq!(via, direct);
    assert!(reader.inner_mut().take_lost().is_empty());
    let reader =
        AttachmentBatches::new(Store::open(file.ndb()).unwrap(), "m", &opts(8, true)).into_reader();
    assert_eq!(reader.schema(), pstkit_arrow::attachments_schema(true));
    assert!(reader.map(|b| b.unwrap().num_rows()).sum::<usize>() > 0);
}

/// (nid, index, sha256) of every attachment row of `batches`.
fn attachment_keys<'b>(
    batches: impl Iterator<Item = &'b pstkit_arrow::arrow_array::RecordBatch>,
) -> Vec<(i64, i32, Option<String>)> {
    let mut out = Vec::new();
    for b in batches {
        let nid = b.column_by_name("nid").unwrap().as_primitive::<Int64Type>();
        let index = b
            .column_by_name("index")
            .unwrap()
            .as_primitive::<Int32Type>();
        let sha = b.column_by_name("sha256").unwrap().as_string::<i32>();
        for r in 0..b.num_rows() {
            let s = (!sha.is_null(r)).then(|| sha.value(r).to_string());
            out.push((nid.value(r), index.value(r), s));
        }
    }
    out
}

#[test]
fn attachments_alone_are_the_attachments_written_beside_the_messages() {
    let file = NdbFile::open(fixture("mailbox.pst")).unwrap();
    let alone: Vec<_> =
        AttachmentBatches::new(Store::open(file.ndb()).unwrap(), "m", &opts(4, false))
            .map(|b| b.unwrap())
            .collect();
    let mut reader =
        pstkit_arrow::item_reader(Store::open(file.ndb()).unwrap(), "m", &opts(4, false));
    let mut beside = Vec::new();
    let mut messages = 0;
    while let Some(b) = reader.next_batch() {
        match b.unwrap() {
            pstkit_arrow::Batch::Attachments(b) => beside.push(b),
            pstkit_arrow::Batch::Messages(b) => messages += b.num_rows(),
        }
    }
    assert!(messages >= 30);
    let keys = attachment_keys(alone.iter());
    assert!(keys.len() >= 10, "{}", keys.len());
    assert_eq!(keys, attachment_keys(beside.iter()));
}

/// Files inside attached messages are rows too, each with its path below
/// the message it is in: none is left out of the table.
#[test]
fn attachments_of_embedded_messages_are_rows_with_their_path() {
    use pstkit_ltp::PropValue;
    use pstkit_store::pid;
    use pstkit_store::write::{AttachContent, NewAttachment, NewMessage, PstWriter, WriterOptions};

    let file = |name: &str, bytes: &[u8]| NewAttachment {
        props: vec![(
            pid::tags::ATTACH_LONG_FILENAME,
            PropValue::String(name.into()),
        )],
        content: AttachContent::Data(bytes.to_vec()),
    };
    let subject = |s: &str| vec![(pid::tags::SUBJECT, PropValue::String(s.into()))];
    let inner = NewMessage {
        props: subject("inner"),
        attachments: vec![file("deep.txt", b"deepest")],
        ..NewMessage::default()
    };
    let middle = NewMessage {
        props: subject("middle"),
        attachments: vec![
            file("b.txt", b"bee"),
            NewAttachment {
                content: AttachContent::Message(Box::new(inner)),
                ..NewAttachment::default()
            },
        ],
        ..NewMessage::default()
    };
    let outer = NewMessage {
        props: subject("outer"),
        attachments: vec![
            NewAttachment {
                content: AttachContent::Message(Box::new(middle)),
                ..NewAttachment::default()
            },
            file("a.txt", b"ay"),
        ],
        ..NewMessage::default()
    };
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("nested.pst");
    let mut w = PstWriter::create(&path, WriterOptions::default()).unwrap();
    let inbox = w
        .add_folder(w.standard_folders().ipm_subtree, "Inbox", None)
        .unwrap();
    w.add_message(inbox, &outer).unwrap();
    w.finish().unwrap();

    let file = NdbFile::open(&path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let mut rows = Vec::new();
    for b in AttachmentBatches::new(store, "n", &opts(100, true)) {
        let b = b.unwrap();
        let path = b.column_by_name("path").unwrap().as_string::<i32>();
        let index = b
            .column_by_name("index")
            .unwrap()
            .as_primitive::<Int32Type>();
        let embedded = b
            .column_by_name("is_embedded_message")
            .unwrap()
            .as_boolean();
        let data = b.column_by_name("data").unwrap().as_binary::<i32>();
        for r in 0..b.num_rows() {
            let bytes = (!data.is_null(r)).then(|| data.value(r).to_vec());
            rows.push((
                path.value(r).to_string(),
                index.value(r),
                embedded.value(r),
                bytes,
            ));
        }
    }
    let s =
        |p: &str, i: i32, e: bool, d: Option<&[u8]>| (p.to_string(), i, e, d.map(<[u8]>::to_vec));
    assert_eq!(
        rows,
        [
            s("0", 0, true, None),
            s("0/0", 0, false, Some(b"bee")),
            s("0/1", 1, true, None),
            s("0/1/0", 0, false, Some(b"deepest")),
            s("1", 1, false, Some(b"ay")),
        ]
    );
}
