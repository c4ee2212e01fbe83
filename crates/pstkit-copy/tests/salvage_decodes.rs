//! Salvage never trusts what it did not read: an item whose blocks are
//! sound (every CRC right) but whose recipient table does not decode is
//! not moved as stored; it is copied without its recipients and reported
//! as copied in part.

#[path = "../../pstkit-ndb/tests/damage/mod.rs"]
mod damage;

use pstkit_copy::{convert, ConvertOptions};
use pstkit_ndb as ndb;
use pstkit_ndb::{NdbFile, NidType};
use pstkit_store::Store;

/// `mailbox.pst` with the heap signature of one message's recipient table
/// broken and its block's CRC made right again. Returns the bytes and the
/// message's node id.
fn damaged_mailbox() -> (Vec<u8>, u32) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/mailbox.pst");
    let mut data = std::fs::read(path).unwrap();
    let (nid, table) = {
        let file = NdbFile::new(&data[..]).unwrap();
        let ndb = file.ndb();
        ndb.nodes()
            .map(|e| e.unwrap())
            .filter(|e| e.nid.kind() == NidType::NormalMessage)
            .find_map(|e| {
                let sub = ndb.node(e.nid).ok()?.subnodes().entries().ok()?;
                let t = sub
                    .into_iter()
                    .find(|s| s.nid.kind() == NidType::RecipientTable)?;
                Some((e.nid, t.data))
            })
            .expect("a message with recipients")
    };
    // bSig of the heap-on-node header (byte 2): 0xEC no more. With the
    // permute encoding a stored byte maps to one plain byte, so any change
    // of the stored byte changes it.
    damage::flip_sealed(&mut data, table, 2);
    (data, nid.0)
}

#[test]
fn a_sound_block_that_does_not_decode_is_reported_and_left_out_not_moved() {
    let (data, nid) = damaged_mailbox();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("damaged.pst");
    std::fs::write(&src, &data).unwrap();
    let file = NdbFile::open(&src).unwrap();
    // Every block still checks: only decoding finds the damage, and the
    // deep check decodes as the copy does.
    assert!(pstkit_ndb::check::check(file.ndb()).is_clean());
    let deep = pstkit_store::audit::audit(file.ndb());
    assert!(
        deep.findings
            .iter()
            .any(|f| f.rule == "item-decodes" && f.nid == nid),
        "{:?}",
        deep.findings
    );
    let store = Store::open(file.ndb()).unwrap();
    // Rebuilt on two threads, the damaged item fails on the read-ahead
    // thread and is salvaged on the writing one: the same outcome.
    for (rebuild, threads) in [(false, 2), (true, 1), (true, 2)] {
        let opts = {
            let mut o = ConvertOptions::default();
            o.salvage = true;
            o.rebuild = rebuild;
            o.threads = Some(threads);
            o
        };
        let rebuild = format!("{rebuild}, {threads} threads");
        let dst = dir.path().join(format!("out-{threads}-{rebuild}.pst"));
        let s = convert(&store, &dst, &opts, &mut |_| {}).unwrap();
        assert!(s.skipped.is_empty(), "rebuild: {rebuild}: {:?}", s.skipped);
        let partial: Vec<u32> = s.partial.iter().map(|k| k.nid.0).collect();
        assert_eq!(partial, vec![nid], "rebuild: {rebuild}");
        assert_eq!(s.items, 30, "rebuild: {rebuild}");
        // What was copied reads whole; the damaged message has its
        // subject and no recipients.
        let subject = store.message(pstkit_ndb::Nid(nid)).unwrap().subject();
        let out = NdbFile::open(&dst).unwrap();
        let ostore = Store::open(out.ndb()).unwrap();
        let mut met = 0;
        for w in ostore.walk() {
            for id in w.unwrap().folder.message_ids().unwrap() {
                let m = ostore.message(id).unwrap();
                let rows = m.recipient_rows().unwrap();
                if m.subject() == subject && rows.is_empty() {
                    met += 1;
                }
            }
        }
        assert_eq!(met, 1, "rebuild: {rebuild}");
    }
}

#[test]
fn the_error_of_an_item_that_does_not_decode_keeps_its_place() {
    let (data, nid) = damaged_mailbox();
    let file = NdbFile::new(&data[..]).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let m = store.message(pstkit_ndb::Nid(nid)).unwrap();
    let e = pstkit_copy::convert::read_message(&m, &mut |id| Ok(Some(id)), false, 0).unwrap_err();
    // The heap of the recipient table is at fault, not a block below it.
    let ltp = e.ltp().expect("an LTP error");
    assert!(matches!(ltp, pstkit_ltp::LtpError::Heap { .. }), "{e}");
    assert_eq!(e.nid(), Some(pstkit_ndb::Nid::RECIPIENT_TABLE));
    assert!(e.corruption().is_none(), "{e}");
}

#[test]
fn a_broken_block_under_an_item_is_named_by_id_and_offset() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/mailbox.pst");
    let mut data = std::fs::read(path).unwrap();
    let (nid, bid, at) = {
        let file = NdbFile::new(&data[..]).unwrap();
        let ndb = file.ndb();
        let (nid, table) = ndb
            .nodes()
            .map(|e| e.unwrap())
            .filter(|e| e.nid.kind() == NidType::NormalMessage)
            .find_map(|e| {
                let sub = ndb.node(e.nid).ok()?.subnodes().entries().ok()?;
                let t = sub
                    .into_iter()
                    .find(|s| s.nid.kind() == NidType::RecipientTable)?;
                Some((e.nid, t.data))
            })
            .unwrap();
        (nid, table.0, ndb.block_entry(table).unwrap().bref.ib.0)
    };
    // The recipient table's block changed, its CRC not.
    data[at as usize + 2] ^= 0x5A;
    let file = NdbFile::new(&data[..]).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let m = store.message(nid).unwrap();
    let e = pstkit_copy::convert::read_message(&m, &mut |id| Ok(Some(id)), false, 0).unwrap_err();
    let c = e.corruption().expect("an NDB corruption");
    assert_eq!(c.structure, pstkit_ndb::Structure::DataBlock, "{e}");
    assert_eq!((c.id, c.offset), (Some(bid), Some(at)));

    // A whole conversion keeps the place too: the error that stops it, and
    // the loss report's line when salvage goes on. (The recipient table's
    // block is unreadable, so salvage copies the message in part; a rebuild
    // without salvage stops on it.)
    let dir = tempfile::tempdir().unwrap();
    let mut opts = ConvertOptions::default();
    opts.rebuild = true;
    let e = convert(&store, &dir.path().join("a.pst"), &opts, &mut |_| {}).unwrap_err();
    let c = e.corruption().expect("the corruption behind the stop");
    assert_eq!((c.id, c.offset), (Some(bid), Some(at)), "{e}");
    assert_eq!(e.nid(), Some(nid), "{e}");
}
