//! Damage met by the messaging layer keeps its place: a damaged named-
//! property map is kept as an error while the store still opens, and a
//! damaged message names the block and offset below.

use pstkit_ndb::{Bid, NdbFile, Nid, NidType, Problem, Structure};
use pstkit_store::Store;

fn mailbox() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/mailbox.pst");
    std::fs::read(path).unwrap()
}

/// Flips a byte of `nid`'s first data block, leaving its CRC as it was;
/// returns the block's id and file offset.
fn break_first_block(data: &mut [u8], nid: Nid) -> (u64, u64) {
    let (bid, at) = {
        let file = NdbFile::new(&data[..]).unwrap();
        let ndb = file.ndb();
        let bid = ndb.node(nid).unwrap().leaves()[0].bref.bid;
        (bid, ndb.block_entry(Bid(bid.0)).unwrap().bref.ib.0)
    };
    data[at as usize + 20] ^= 0x5A;
    (bid.0, at)
}

#[test]
fn a_damaged_name_map_is_kept_as_an_error() {
    let mut data = mailbox();
    {
        let file = NdbFile::new(&data[..]).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        assert!(store.name_map_error().is_none());
        assert!(!store.names().is_empty(), "the sample has named properties");
    }
    let (bid, at) = break_first_block(&mut data, Nid::NAME_TO_ID_MAP);
    let file = NdbFile::new(&data[..]).unwrap();
    let store = Store::open(file.ndb()).expect("the mail is still readable");
    assert!(store.names().is_empty());
    let e = store.name_map_error().expect("the damage is kept");
    let c = e.corruption().expect("an NDB corruption");
    assert_eq!(c.structure, Structure::DataBlock, "{e}");
    assert_eq!(c.id, Some(bid));
    assert_eq!(c.offset, Some(at));
    assert!(matches!(c.problem, Problem::Crc { .. }), "{e}");
}

#[test]
fn a_damaged_message_names_its_block() {
    let mut data = mailbox();
    let nid = {
        let file = NdbFile::new(&data[..]).unwrap();
        let ndb = file.ndb();
        ndb.nodes()
            .map(|e| e.unwrap().nid)
            .find(|n| n.kind() == NidType::NormalMessage)
            .unwrap()
    };
    let (bid, at) = break_first_block(&mut data, nid);
    let file = NdbFile::new(&data[..]).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let e = store.message(nid).unwrap_err();
    let c = e.corruption().expect("an NDB corruption");
    assert_eq!(
        (c.structure, c.id, c.offset),
        (Structure::DataBlock, Some(bid), Some(at))
    );
    assert!(e.ltp().is_some(), "{e}");
}

/// A lost message store object stops `open`; a salvage opens without it,
/// keeps the error, and still finds every folder and message from the
/// root folder.
#[test]
fn a_salvage_reads_on_past_a_lost_store_object() {
    let mut data = mailbox();
    let messages = |store: &Store<'_>| -> usize {
        store
            .walk()
            .map(|w| w.unwrap().folder.message_ids().unwrap().len())
            .sum()
    };
    let (folders, want, special) = {
        let file = NdbFile::new(&data[..]).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let special = (store.ipm_subtree(), store.wastebasket(), store.finder());
        assert_eq!(special.0, Some(Nid(0x8022)), "the conventional NID");
        let (store2, lost) = Store::open_salvaging(file.ndb()).unwrap();
        assert!(lost.is_none());
        assert_eq!(store2.display_name(), store.display_name());
        (store.census().folders, messages(&store), special)
    };
    let (bid, at) = break_first_block(&mut data, Nid::MESSAGE_STORE);
    let file = NdbFile::new(&data[..]).unwrap();
    let e = Store::open(file.ndb()).expect_err("open needs the store object");
    assert_eq!(e.corruption().map(|c| c.offset), Some(Some(at)));
    let (store, lost) = Store::open_salvaging(file.ndb()).unwrap();
    let lost = lost.expect("the loss is kept");
    let c = lost.corruption().expect("an NDB corruption");
    assert_eq!((c.id, c.offset), (Some(bid), Some(at)));
    assert_eq!(store.display_name(), None);
    // The special folders are found by the NIDs Outlook gives them.
    assert_eq!(
        (store.ipm_subtree(), store.wastebasket(), store.finder()),
        special
    );
    assert_eq!(store.census().folders, folders);
    assert_eq!(messages(&store), want);
    assert!(want >= 30, "{want}");
}
