//! A salvage finds the messages whose NBT leaf page was lost (their
//! folders' tables still list them, their blocks are intact) among the
//! blocks no node references, and copies them whole: each file here has
//! its NBT leaf listing the most messages overwritten with zeros
//! (`Damage::NbtLeafLost`), and every message that leaf listed must come
//! out with the digest it has in the intact file, recipients and
//! attachments included; no item of the copy may have a digest the intact
//! file does not have (nothing attached wrongly).

use std::collections::{BTreeMap, BTreeSet};

#[path = "../../pstkit-ndb/tests/damage/mod.rs"]
mod damage;

use pstkit_copy::convert::digest_message;
use pstkit_copy::{convert, ConvertOptions, ConvertSummary};
use pstkit_ltp::{PropTag, PropType, PropValue};
use pstkit_ndb as ndb;
use pstkit_ndb::{NdbFile, Nid, NidType};
use pstkit_store::write::{AttachContent, NewAttachment, NewMessage, PstWriter, WriterOptions};
use pstkit_store::{pid, Store};

/// A mailbox of 60 messages in two folders, with recipients, bodies (some
/// large enough to live in subnodes), attachments (one large enough for a
/// data tree) and some with none of these. `varied`: each message's
/// recipients and attachments of a size of their own, as mail has; else
/// many messages' of one size. `described`: each message records its
/// recipients' names (PidTagDisplayTo) and whether it has attachments
/// (MSGFLAG_HASATTACH), as Outlook's do, and there are 64, of which four
/// ("twin 44" to "twin 47", in the NBT leaf that `lose_a_leaf` loses) have
/// one recipient and one attachment each, all of one name and size.
fn generated(varied: bool, described: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("src.pst");
    let mut w = PstWriter::create(&path, WriterOptions::default()).unwrap();
    let ipm = w.standard_folders().ipm_subtree;
    let other = w.add_folder(ipm, "Projects", Some("IPF.Note")).unwrap();
    let tag = |id: u16, t: PropType| PropTag::new(pstkit_ltp::PropId(id), t);
    let count = if described { 64 } else { 60 };
    for i in 0..count {
        let twin = described && (44..48).contains(&i);
        let mut m = NewMessage::default();
        let subject = if twin { "twin" } else { "message" };
        m.props.push((
            pid::tags::SUBJECT,
            PropValue::String(format!("{subject} {i}")),
        ));
        m.props.push((
            pid::tags::MESSAGE_CLASS,
            PropValue::String("IPM.Note".into()),
        ));
        m.props.push((
            tag(0x1000, PropType::String),
            PropValue::String(format!("body {i} ").repeat(if i % 3 == 0 { 900 } else { 3 })),
        ));
        if twin {
            m.recipients.push(vec![
                (tag(0x0C15, PropType::Int32), PropValue::Int32(1)),
                (
                    tag(0x3001, PropType::String),
                    PropValue::String("Twin".into()),
                ),
            ]);
        } else if i % 5 != 4 {
            for r in 0..=(i % 3) {
                m.recipients.push(vec![
                    (tag(0x0C15, PropType::Int32), PropValue::Int32(1)),
                    (
                        tag(0x3001, PropType::String),
                        PropValue::String(if varied {
                            format!("Recipient {i}.{r} {}", "r".repeat(i as usize))
                        } else {
                            format!("Recipient {i}.{r}")
                        }),
                    ),
                ]);
            }
        }
        if i % 4 == 1 || twin {
            let size = match (i, varied) {
                _ if twin => 100,
                (9, _) => 300_000,
                (_, true) => 100 + i as usize,
                (_, false) => 100,
            };
            m.attachments.push(NewAttachment {
                props: vec![(
                    tag(0x3707, PropType::String),
                    PropValue::String(format!("file{i}.bin")),
                )],
                content: AttachContent::Data(vec![i as u8; size]),
            });
        }
        if described {
            let names: Vec<String> = m
                .recipients
                .iter()
                .filter_map(|r| match &r[1].1 {
                    PropValue::String(n) => Some(n.clone()),
                    _ => None,
                })
                .collect();
            if !names.is_empty() {
                m.props
                    .push((pid::tags::DISPLAY_TO, PropValue::String(names.join("; "))));
            }
            let flags = if m.attachments.is_empty() { 1 } else { 0x11 };
            m.props
                .push((pid::tags::MESSAGE_FLAGS, PropValue::Int32(flags)));
        }
        let folder = if i % 2 == 0 { ipm } else { other };
        w.add_message(folder, &m).unwrap();
    }
    w.finish().unwrap();
    std::fs::read(&path).unwrap()
}

/// Every message's digest in `store`, by the node id of the message.
fn digests(store: &Store<'_>) -> BTreeMap<Nid, u64> {
    let mut out = BTreeMap::new();
    for w in store.walk() {
        let Ok(w) = w else { continue };
        for nid in w.folder.message_ids().unwrap_or_default() {
            if let Ok(m) = store.message(nid) {
                out.insert(nid, digest_message(&m, store.names()).unwrap());
            }
        }
    }
    out
}

/// What the salvage of `original` with its fullest NBT leaf lost gives:
/// the summary, the messages the leaf listed (their ids), and how many of
/// them the copy holds with their intact digest.
fn lose_a_leaf(original: &[u8], opts: &ConvertOptions) -> (ConvertSummary, Vec<Nid>, usize) {
    let intact_file = NdbFile::new(original).unwrap();
    let intact = Store::open(intact_file.ndb()).unwrap();
    let before = digests(&intact);
    let f = intact_file.ndb().format();
    let root = intact_file.ndb().header().root.nbt;
    let leaf = damage::lost_leaf(original, f, root).expect("a leaf to lose");
    let listed: Vec<Nid> = damage::nbt_leaves(original, f, root)
        .into_iter()
        .find(|(b, _)| *b == leaf)
        .unwrap()
        .1
        .into_iter()
        .map(Nid)
        .filter(|n| n.kind() == NidType::NormalMessage && before.contains_key(n))
        .collect();
    assert!(!listed.is_empty());

    let mut bytes = original.to_vec();
    damage::apply(&mut bytes, damage::Damage::NbtLeafLost);
    let (file, _) = NdbFile::new_lenient(&bytes[..]).unwrap().recover();
    let store = Store::open_salvaging(file.ndb()).unwrap().0;
    // A copy of the leaf elsewhere in the file (an older page Outlook
    // left) may still index some: those need no relinking.
    let listed: Vec<Nid> = listed
        .into_iter()
        .filter(|n| file.ndb().node_entry(*n).is_err())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let s = convert(&store, &dir.path().join("out.pst"), opts, &mut |_| {}).unwrap();
    let out = NdbFile::open(&s.path).unwrap();
    assert!(ndb::check::check(out.ndb()).is_clean());
    let copy = Store::open(out.ndb()).unwrap();
    let after: Vec<u64> = digests(&copy).into_values().collect();
    let known: BTreeSet<u64> = before.values().copied().collect();
    // Nothing attached wrongly: every item of the copy is one of the
    // intact file's, whole, but for those reported copied without their
    // subnodes, which have neither recipients nor attachments.
    let partial: BTreeSet<String> = s.partial.iter().filter_map(|p| p.subject.clone()).collect();
    for (n, d) in digests(&copy) {
        if known.contains(&d) {
            continue;
        }
        let m = copy.message(n).unwrap();
        assert!(
            partial.contains(&m.subject().unwrap_or_default()),
            "{n} {:?} is no item of the source",
            m.subject()
        );
        assert!(m.recipient_rows().unwrap_or_default().is_empty());
        assert_eq!(m.attachments().map(|a| a.count()).unwrap_or(0), 0);
    }
    let copied = listed.iter().filter(|n| after.contains(&before[n])).count();
    (s, listed, copied)
}

fn salvage_opts(rebuild: bool) -> ConvertOptions {
    let mut o = ConvertOptions::default();
    o.salvage = true;
    o.rebuild = rebuild;
    o
}

#[test]
fn every_message_of_a_lost_nbt_leaf_is_copied_whole() {
    let original = generated(true, false);
    for rebuild in [false, true] {
        let (s, listed, copied) = lose_a_leaf(&original, &salvage_opts(rebuild));
        assert_eq!(copied, listed.len(), "{listed:?}: {:?}", s.skipped);
        assert_eq!(s.relinked, listed.len() as u64);
        assert!(s.skipped.is_empty(), "{:?}", s.skipped);
        assert!(s.partial.is_empty(), "{:?}", s.partial);
        assert_eq!(s.items, 60);
    }
}

#[test]
fn subnode_trees_of_one_size_are_attached_to_no_message() {
    let original = generated(false, false);
    let (s, listed, copied) = lose_a_leaf(&original, &salvage_opts(false));
    assert_eq!(s.relinked, listed.len() as u64);
    assert!(s.skipped.is_empty(), "{:?}", s.skipped);
    // Some are told apart by size (or hold no subnodes), the others are
    // copied without recipients and attachments, and reported.
    assert!(!s.partial.is_empty());
    assert_eq!(copied + s.partial.len(), listed.len(), "{:?}", s.partial);
    for p in &s.partial {
        assert!(
            p.error.contains("relinked without its recipients"),
            "{}",
            p.error
        );
    }
    assert_eq!(s.items, 60);
}

/// Where sizes cannot tell the subnode trees apart, what the messages
/// record of their recipients and attachments does; where that cannot
/// either (the twins), the message is copied without them.
#[test]
fn subnode_trees_of_one_size_are_told_apart_by_what_they_hold() {
    let original = generated(false, true);
    let (s, listed, copied) = lose_a_leaf(&original, &salvage_opts(false));
    assert_eq!(s.relinked, listed.len() as u64);
    assert!(s.skipped.is_empty(), "{:?}", s.skipped);
    assert_eq!(s.items, 64);
    let twins: BTreeSet<String> = s.partial.iter().filter_map(|p| p.subject.clone()).collect();
    println!(
        "{:?} lost, {copied} whole; copied in part: {twins:?}",
        listed
    );
    assert!(twins.iter().all(|t| t.starts_with("twin ")), "{twins:?}");
    assert!(twins.len() >= 2, "{twins:?}");
    assert_eq!(copied + s.partial.len(), listed.len(), "{:?}", s.partial);
}

#[test]
fn the_bundled_mailbox_loses_no_message_with_its_leaf() {
    // (mailbox-4k.ost's NBT is a single page: losing it loses every node.)
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/mailbox.pst");
    let original = std::fs::read(path).unwrap();
    let (s, listed, copied) = lose_a_leaf(&original, &salvage_opts(false));
    assert_eq!(copied, listed.len(), "{:?}", s.skipped);
    assert!(s.relinked >= listed.len() as u64);
    assert!(s.partial.is_empty(), "{:?}", s.partial);
}

/// Every real sample whose NBT has a leaf to lose: nothing is attached
/// wrongly (checked in `lose_a_leaf`), and at least as many items are
/// relinked and copied whole as on 2026-12-07 (with and without the shared
/// samples): where neither the size nor what the message records of its
/// recipients and attachments names one subnode tree, or the rows cannot
/// tell identical-looking messages apart, items are copied without
/// subnodes or not at all.
#[test]
fn real_samples_relink_without_attaching_wrongly() {
    let (mut relinked, mut partial, mut listed_all, mut whole) = (0, 0, 0, 0);
    for (name, path) in pstkit_fixtures::real::all() {
        let original = std::fs::read(&path).unwrap();
        let Ok(file) = NdbFile::new(&original[..]) else {
            continue;
        };
        if Store::open(file.ndb()).is_err() {
            continue;
        }
        let f = file.ndb().format();
        if damage::lost_leaf(&original, f, file.ndb().header().root.nbt).is_none() {
            continue;
        }
        let (s, listed, copied) = lose_a_leaf(&original, &salvage_opts(false));
        println!(
            "{name}: {} messages lost with the leaf, {copied} in the copy whole; {} items relinked, {} of them without subnodes",
            listed.len(),
            s.relinked,
            s.partial.iter().filter(|p| p.error.starts_with("relinked")).count()
        );
        // A count of trees in a reason is two or more ("no unreferenced
        // subnode tree …" when there is none).
        for p in &s.partial {
            assert!(
                !p.error.contains(": 0 ") && !p.error.contains(": 1 "),
                "{}",
                p.error
            );
        }
        let mut why: BTreeMap<String, usize> = BTreeMap::new();
        for e in s
            .skipped
            .iter()
            .map(|x| &x.error)
            .chain(s.partial.iter().map(|p| &p.error))
        {
            *why.entry(e.clone()).or_default() += 1;
        }
        for (e, n) in why {
            println!("    {n} × {e}");
        }
        relinked += s.relinked;
        partial += s.partial.len();
        listed_all += listed.len();
        whole += copied;
    }
    println!("{listed_all} messages lost with their leaf; {whole} in the copies whole; {relinked} items relinked, {partial} copied in part");
    if pstkit_fixtures::real::all().is_empty() {
        return;
    }
    // 62 from the repository's samples alone (a clone without `../shared`).
    let least = pstkit_fixtures::real::min_count(62, 84) as u64;
    assert!(
        relinked >= least,
        "{relinked} relinked, at least {least} expected"
    );
    // Whole, recipients and attachments included: 39 and 107 (97 before
    // subnode trees were told apart by what they hold, where sizes could
    // not: Outlook records a message size other than its size on disk).
    let least = pstkit_fixtures::real::min_count(39, 107);
    assert!(whole >= least, "{whole} whole, at least {least} expected");
}

/// The fact the second rule stands on, in every real sample: a message's
/// PidTagDisplayTo, Cc and Bcc are its recipients' names of that kind
/// joined by "; " (absent when it has none of that kind), and
/// MSGFLAG_HASATTACH is set exactly when it has attachments.
#[test]
fn real_messages_record_what_their_subnode_trees_hold() {
    use pstkit_store::RecipientKind;
    let (mut names, mut flags) = (0, 0);
    for (name, path) in pstkit_fixtures::real::all() {
        let original = std::fs::read(&path).unwrap();
        let Ok(file) = NdbFile::new(&original[..]) else {
            continue;
        };
        let Ok(store) = Store::open(file.ndb()) else {
            continue;
        };
        for f in store.walk().flatten() {
            for nid in f.folder.message_ids().unwrap_or_default() {
                let Ok(m) = store.message(nid) else { continue };
                let Ok(recipients) = m.recipients() else {
                    continue;
                };
                for (kind, id) in [
                    (RecipientKind::To, pid::DISPLAY_TO),
                    (RecipientKind::Cc, pid::DISPLAY_CC),
                    (RecipientKind::Bcc, pid::DISPLAY_BCC),
                ] {
                    let joined: Vec<String> = recipients
                        .iter()
                        .filter(|r| r.kind == kind)
                        .map(|r| r.name.clone().unwrap_or_default())
                        .collect();
                    let joined = joined.join("; ");
                    assert_eq!(m.string(id).unwrap_or_default(), joined, "{name} {nid}");
                    names += usize::from(!joined.is_empty());
                }
                let attached = !m.attachment_ids().unwrap().is_empty();
                assert_eq!(m.flags() & 0x10 != 0, attached, "{name} {nid}");
                flags += usize::from(attached);
            }
        }
    }
    println!("{names} recipient lists and {flags} messages with attachments agree");
    assert!(
        names >= pstkit_fixtures::real::min_count(140, 170),
        "{names}"
    );
}

/// A salvage finds the named-property map whose index entry was lost among
/// the blocks no node references: the copy's messages keep every named
/// property (their digests are the intact file's), the map's streams large
/// enough to live in subnodes of their own.
#[test]
fn a_name_map_lost_from_the_index_is_found_again() {
    use pstkit_store::{NamedProp, PropName};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("named.pst");
    let mut w = PstWriter::create(&path, WriterOptions::default()).unwrap();
    let ipm = w.standard_folders().ipm_subtree;
    // 400 string names: a string stream of about 12 KB.
    let ids: Vec<pstkit_ltp::PropId> = (0..400)
        .map(|k| {
            let np = NamedProp {
                guid: pstkit_store::Guid::PS_PUBLIC_STRINGS,
                name: PropName::Name(format!("pstkit-test-property-{k}")),
            };
            w.named_prop(&np).unwrap()
        })
        .collect();
    for i in 0..20usize {
        let mut m = NewMessage::default();
        m.props
            .push((pid::tags::SUBJECT, PropValue::String(format!("named {i}"))));
        for &id in ids.iter().skip(i * 20).take(20) {
            m.props.push((
                PropTag::new(id, PropType::String),
                PropValue::String(format!("value {i} {}", id.0)),
            ));
        }
        w.add_message(ipm, &m).unwrap();
    }
    w.finish().unwrap();
    let original = std::fs::read(&path).unwrap();
    let before: BTreeSet<u64> = {
        let file = NdbFile::new(&original[..]).unwrap();
        digests(&Store::open(file.ndb()).unwrap())
            .into_values()
            .collect()
    };
    assert_eq!(before.len(), 20);

    let mut bytes = original.clone();
    damage::drop_nbt_entry(&mut bytes, 0x61);
    let file = NdbFile::new(&bytes[..]).unwrap();
    // Opened as it is, the store says its map is gone.
    let (store, _) = Store::open_salvaging(file.ndb()).unwrap();
    assert!(store.name_map_error().is_some());
    let out = dir.path().join("out.pst");
    // Without salvage the copy has no named properties, and says so.
    let s = convert(&store, &out, &ConvertOptions::default(), &mut |_| {}).unwrap();
    assert!(s.names_lost && !s.names_relinked);
    std::fs::remove_file(&s.path).unwrap();
    let s = convert(&store, &out, &salvage_opts(false), &mut |_| {}).unwrap();
    assert!(s.names_relinked && !s.names_lost);
    assert_eq!((s.items, s.verified), (20, 20));
    let copy = NdbFile::open(&s.path).unwrap();
    let after: BTreeSet<u64> = digests(&Store::open(copy.ndb()).unwrap())
        .into_values()
        .collect();
    assert_eq!(after, before);
}
