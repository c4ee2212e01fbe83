//! Each rule of the deep check fires on the one invariant it guards, on the
//! node it guards, and on nothing else in a good file: the audit
//! (`pstkit_store::audit`) and the node database's findings
//! (`pstkit_ndb::check`) against the damage of `rules/`.

#[path = "../../pstkit-ndb/tests/damage/mod.rs"]
mod damage;
#[path = "rules/mod.rs"]
mod rules;

use pstkit_ltp as ltp;
use pstkit_ndb as ndb;
use pstkit_store as store;

use ndb::{NdbFile, Severity};
use rules::{good, layout, CASES};

/// (rule, node, severity) of every finding of the whole deep check.
fn findings(data: &[u8]) -> Vec<(&'static str, u32, Severity)> {
    let file = NdbFile::new_lenient(data).unwrap();
    let r = ndb::check::check(file.ndb());
    let damage = r
        .problems
        .iter()
        .map(|_| ("ndb-damage", 0, Severity::Error));
    let own = r.findings.iter().map(|f| (f.rule, f.nid, f.severity));
    let deep = store::audit::audit(file.ndb());
    damage
        .chain(own)
        .chain(deep.findings.iter().map(|f| (f.rule, f.nid, f.severity)))
        .collect()
}

/// A PST in a new temporary folder holding `m` in its IPM subtree (the
/// record key fixed): the folder, the file and the message's id.
fn one_message_file(
    m: &store::write::NewMessage,
) -> (tempfile::TempDir, std::path::PathBuf, ndb::Nid) {
    use store::write::{PstWriter, WriterOptions};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.pst");
    let mut o = WriterOptions::default();
    o.record_key = Some([6; 16]);
    let mut w = PstWriter::create(&path, o).unwrap();
    let folder = w.standard_folders().ipm_subtree;
    let nid = w.add_message(folder, m).unwrap();
    w.finish().unwrap();
    (dir, path, nid)
}

#[test]
fn the_good_file_has_no_finding() {
    assert_eq!(findings(good()), []);
    let file = NdbFile::new(good()).unwrap();
    let r = store::audit::audit(file.ndb());
    assert_eq!(r.items, rules::ITEMS as u64);
}

#[test]
fn each_rule_fires_on_its_node_with_its_severity() {
    for case in CASES {
        let mut data = good().to_vec();
        let l = layout(&data);
        let nid = (case.apply)(&mut data, &l);
        let found = findings(&data);
        let hit = found
            .iter()
            .find(|f| f.0 == case.rule && (nid.0 == 0 || f.1 == nid.0));
        let Some(hit) = hit else {
            panic!("{}: nothing on node 0x{:X}: {found:?}", case.rule, nid.0);
        };
        // The NDB rules report a count too high as a warning and one too
        // low as an error, the catalogue's severity; the cases lower them.
        let rule = store::audit::rule(case.rule).unwrap();
        assert_eq!(hit.2, rule.severity, "{}", case.rule);
    }
}

/// Every rule of the catalogue has a case, and every case a rule.
#[test]
fn every_rule_has_a_case() {
    for r in store::audit::RULES {
        assert!(
            CASES.iter().any(|c| c.rule == r.id),
            "no case breaks rule {}",
            r.id
        );
    }
    for c in CASES {
        assert!(store::audit::rule(c.rule).is_some(), "{}", c.rule);
    }
}

#[test]
fn damage_is_sealed_where_it_does_not_aim() {
    let mut data = good().to_vec();
    let l = layout(&data);
    let row_mirror = CASES.iter().find(|c| c.rule == "row-mirror").unwrap();
    (row_mirror.apply)(&mut data, &l);
    let file = NdbFile::new(&data[..]).unwrap();
    assert!(ndb::check::check(file.ndb()).is_clean());
}

/// The report is the same on one thread and on two, findings in walk order.
#[test]
fn one_thread_or_two_give_one_report() {
    for case in CASES {
        let mut data = good().to_vec();
        let l = layout(&data);
        (case.apply)(&mut data, &l);
        let file = NdbFile::new_lenient(&data[..]).unwrap();
        let one = store::audit::audit_with(file.ndb(), Some(1));
        let two = store::audit::audit_with(file.ndb(), Some(2));
        assert_eq!(one.findings, two.findings, "{}", case.rule);
        assert_eq!((one.folders, one.items), (two.folders, two.items));
    }
}

/// An entry id naming another store is found, with both providers.
#[test]
fn an_entry_id_of_another_store_names_both_providers() {
    let mut data = good().to_vec();
    let at = {
        let file = NdbFile::new(&data[..]).unwrap();
        let pc =
            ltp::PropertyContext::read(file.ndb().node(ndb::Nid::MESSAGE_STORE).unwrap()).unwrap();
        let rec = pc.record(store::pid::IPM_SUBTREE_ENTRY_ID).unwrap();
        let raw = pc.raw_of(rec).unwrap();
        raw.as_ptr() as usize - data.as_ptr() as usize + 4
    };
    damage::patch_sealed(&mut data, at, &[0xAB; 16]);
    let file = NdbFile::new(&data[..]).unwrap();
    let r = store::audit::audit(file.ndb());
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "store-entry-id")
        .expect("a finding");
    assert_eq!(
        f.expected,
        format!("PidTagIpmSubtreeEntryId: provider {}", "07".repeat(16))
    );
    assert_eq!(f.found, format!("provider {}", "AB".repeat(16)));
}

/// An item using a named property the map does not define is found.
#[test]
fn a_named_property_the_map_lacks_is_found() {
    let mut data = good().to_vec();
    let l = layout(&data);
    // The message's last property (the highest key) renamed 0xFFFE: the
    // keys stay in order, and no map entry names 0xFFFE.
    let at = {
        let file = NdbFile::new(&data[..]).unwrap();
        let recs = rules::pc_records(&data, file.ndb().node(l.message).unwrap());
        recs.last().unwrap().0
    };
    damage::patch_sealed(&mut data, at, &0xFFFEu16.to_le_bytes());
    let file = NdbFile::new(&data[..]).unwrap();
    let r = store::audit::audit(file.ndb());
    assert!(
        r.findings.iter().any(|f| f.rule == "name-map"
            && f.nid == l.message.0
            && f.expected == "named property 0xFFFE in the name-to-id map"),
        "{:#?}",
        r.findings
    );
}

/// A mirrored value's finding shows both values, named.
#[test]
fn a_row_mirror_finding_shows_both_values() {
    let mut data = good().to_vec();
    let l = layout(&data);
    let case = CASES.iter().find(|c| c.rule == "row-mirror").unwrap();
    (case.apply)(&mut data, &l);
    let file = NdbFile::new(&data[..]).unwrap();
    let r = store::audit::audit(file.ndb());
    let f = r.findings.iter().find(|f| f.rule == "row-mirror").unwrap();
    let (own, row) = {
        let s = store::Store::open(file.ndb()).unwrap();
        let m = s.message(l.message).unwrap();
        (m.flags(), m.flags() ^ 0x100)
    };
    assert_eq!(f.expected, format!("PidTagMessageFlags Int32({own})"));
    assert_eq!(f.found, format!("Int32({row})"));
}

/// PidTagMessageSize at the edges of the tolerance: 16 bytes above the size
/// on disk and half of it are notes, one byte further a warning.
#[test]
fn message_size_edges() {
    let l = layout(good());
    let disk = {
        let file = NdbFile::new(good()).unwrap();
        let s = store::Store::open(file.ndb()).unwrap();
        let m = s.message(l.message).unwrap();
        store::audit::size_on_disk(m.node()) as i64
    };
    let at = rules::inline_of(good(), l.message, store::pid::MESSAGE_SIZE);
    for (recorded, rule) in [
        (disk, None),
        (disk + 16, Some("message-size-exact")),
        (disk + 17, Some("message-size")),
        (disk / 2, Some("message-size-exact")),
        (disk / 2 - 1, Some("message-size")),
        (0, Some("message-size")),
    ] {
        let mut data = good().to_vec();
        damage::patch_sealed(&mut data, at, &(recorded as u32).to_le_bytes());
        let file = NdbFile::new(&data[..]).unwrap();
        let r = store::audit::audit(file.ndb());
        let own: Vec<&str> = r
            .findings
            .iter()
            .filter(|f| f.nid == l.message.0 && f.rule.starts_with("message-size"))
            .map(|f| f.rule)
            .collect();
        assert_eq!(
            own,
            rule.into_iter().collect::<Vec<_>>(),
            "{recorded} of {disk}"
        );
    }
}

/// Sizes on disk count subnodes below subnodes: a large attachment's data
/// and an embedded message's own tables. The writer records them so.
#[test]
fn nested_subnodes_are_counted_in_the_size_on_disk() {
    use store::write::{AttachContent, NewAttachment, NewMessage, PstWriter, WriterOptions};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.pst");
    let mut o = WriterOptions::default();
    o.record_key = Some([5; 16]);
    let mut w = PstWriter::create(&path, o).unwrap();
    let folder = w.standard_folders().ipm_subtree;
    let subject = |s: &str| {
        (
            store::pid::tags::SUBJECT,
            ltp::PropValue::String(s.to_string()),
        )
    };
    let big = NewAttachment {
        props: Vec::new(),
        content: AttachContent::Data(vec![7u8; 40_000]),
    };
    let inner = NewMessage {
        props: vec![subject("inner")],
        recipients: Vec::new(),
        attachments: vec![big.clone()],
    };
    let outer = NewMessage {
        props: vec![subject("outer")],
        recipients: Vec::new(),
        attachments: vec![
            big,
            NewAttachment {
                props: Vec::new(),
                content: AttachContent::Message(Box::new(inner)),
            },
        ],
    };
    w.add_message(folder, &outer).unwrap();
    w.finish().unwrap();
    let file = NdbFile::open(&path).unwrap();
    let r = store::audit::audit(file.ndb());
    assert_eq!(r.findings, [], "no finding of any severity");
    assert_eq!(r.items, 1);
}

/// A value that does not decode (a Unicode string of an odd length, as the
/// copy engine would refuse it) is an `item-decodes` finding on the item
/// that holds it, also when it sits in an embedded message.
#[test]
fn a_value_that_does_not_decode_is_found_at_any_depth() {
    use store::write::{AttachContent, NewAttachment, NewMessage};
    let odd = (
        store::pid::tags::SUBJECT,
        ltp::PropValue::Unknown {
            ptype: 0x001F,
            bytes: vec![0x41, 0, 0x42],
        },
    );
    let embed = |m: NewMessage| NewMessage {
        props: Vec::new(),
        recipients: Vec::new(),
        attachments: vec![NewAttachment {
            props: Vec::new(),
            content: AttachContent::Message(Box::new(m)),
        }],
    };
    let flat = NewMessage {
        props: vec![odd],
        recipients: Vec::new(),
        attachments: Vec::new(),
    };
    let cases = [
        (flat.clone(), "property 0x0037001F"),
        (embed(flat.clone()), "embedded message: property 0x0037001F"),
        (embed(embed(flat)), "embedded message: attachment"),
    ];
    for (i, (m, why)) in cases.into_iter().enumerate() {
        let (_dir, path, nid) = one_message_file(&m);
        let file = NdbFile::open(&path).unwrap();
        let r = store::audit::audit(file.ndb());
        let hit: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.rule == "item-decodes")
            .collect();
        assert_eq!(hit.len(), 1, "case {i}: {:?}", r.findings);
        assert_eq!(hit[0].nid, nid.0, "case {i}");
        assert!(hit[0].found.contains(why), "case {i}: {}", hit[0].found);
    }
}

/// Messages embedded [`store::message::MAX_EMBED_DEPTH`] deep, the most a
/// reader follows and the writer writes, decode whole: the limit itself is
/// no finding.
#[test]
fn messages_embedded_to_the_limit_decode() {
    use store::message::MAX_EMBED_DEPTH;
    use store::write::{AttachContent, NewAttachment, NewMessage};
    let mut m = NewMessage {
        props: vec![(
            store::pid::tags::SUBJECT,
            ltp::PropValue::String("innermost".into()),
        )],
        recipients: Vec::new(),
        attachments: Vec::new(),
    };
    for _ in 0..MAX_EMBED_DEPTH {
        m = NewMessage {
            props: Vec::new(),
            recipients: Vec::new(),
            attachments: vec![NewAttachment {
                props: Vec::new(),
                content: AttachContent::Message(Box::new(m)),
            }],
        };
    }
    let (_dir, path, nid) = one_message_file(&m);
    let file = NdbFile::open(&path).unwrap();
    // The writer kept every level: the innermost subject is there.
    let s = store::Store::open(file.ndb()).unwrap();
    let mut at = s.message(nid).unwrap();
    for level in 0..MAX_EMBED_DEPTH {
        let a = at.attachments().unwrap().next().unwrap().unwrap();
        at = a
            .embedded()
            .unwrap()
            .unwrap_or_else(|| panic!("level {level}"));
    }
    assert_eq!(at.subject().as_deref(), Some("innermost"));
    let r = store::audit::audit(file.ndb());
    let hit: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "item-decodes")
        .collect();
    assert!(hit.is_empty(), "{hit:?}");
}
