//! Damage below a property or table context reaches the caller with its
//! place: the node, and for a broken block its id and file offset.

use pstkit_ltp::{LtpError, PropertyContext, TableContext};
use pstkit_ndb::block::BlockTrailer;
use pstkit_ndb::{NdbFile, Nid, NidType, Problem, Structure};

fn mailbox() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/mailbox.pst");
    std::fs::read(path).unwrap()
}

/// A message with a recipient table: its node id, and the block ids of its
/// own first data block and of the table's.
fn message_with_recipients(data: &[u8]) -> (Nid, u64, u64) {
    let file = NdbFile::new(data).unwrap();
    let ndb = file.ndb();
    ndb.nodes()
        .map(|e| e.unwrap())
        .filter(|e| e.nid.kind() == NidType::NormalMessage)
        .find_map(|e| {
            let node = ndb.node(e.nid).ok()?;
            let table = node
                .subnodes()
                .entries()
                .ok()?
                .into_iter()
                .find(|s| s.nid.kind() == NidType::RecipientTable)?;
            Some((e.nid, node.leaves()[0].bref.bid.0, table.data.0))
        })
        .expect("a message with recipients")
}

#[test]
fn a_broken_block_names_its_id_and_offset() {
    let mut data = mailbox();
    let (nid, bid, _) = message_with_recipients(&data);
    let at = {
        let file = NdbFile::new(&data[..]).unwrap();
        file.ndb()
            .block_entry(pstkit_ndb::Bid(bid))
            .unwrap()
            .bref
            .ib
            .0
    };
    // One byte of the PC's block changed, its CRC left as it was.
    data[at as usize + 20] ^= 0x5A;
    let file = NdbFile::new(&data[..]).unwrap();
    let node = file.ndb().node(nid).unwrap();
    let e = PropertyContext::read(node).unwrap_err();
    let c = e.corruption().expect("an NDB corruption");
    assert_eq!(c.structure, Structure::DataBlock, "{e}");
    assert_eq!(c.id, Some(bid));
    assert_eq!(c.offset, Some(at));
    assert!(matches!(c.problem, Problem::Crc { .. }), "{e}");
}

#[test]
fn a_broken_heap_names_its_node() {
    let mut data = mailbox();
    let (nid, _, table) = message_with_recipients(&data);
    let (at, cb, f) = {
        let file = NdbFile::new(&data[..]).unwrap();
        let ndb = file.ndb();
        let b = ndb.block_entry(pstkit_ndb::Bid(table)).unwrap();
        (b.bref.ib.0 as usize, usize::from(b.cb), ndb.format())
    };
    // bSig of the HNHDR no longer 0xEC, the block's CRC made right again:
    // the node database reads it, the heap does not.
    data[at + 2] ^= 0x5A;
    let end = at + f.block_size(cb);
    let trailer_at = end - f.block_trailer_size;
    let mut t = BlockTrailer::parse(&data[trailer_at..end], f);
    t.crc = pstkit_ndb::crc::crc(&data[at..at + cb]);
    t.write(&mut data[trailer_at..end], f);

    let file = NdbFile::new(&data[..]).unwrap();
    let node = file.ndb().node(nid).unwrap();
    let sub = node.subnode(Nid::RECIPIENT_TABLE).unwrap();
    let e = TableContext::read(sub).unwrap_err();
    assert!(matches!(e, LtpError::Heap { .. }), "{e}");
    assert_eq!(e.nid(), Some(Nid::RECIPIENT_TABLE));
    assert_eq!(e.hid(), None);
    assert!(e.corruption().is_none(), "the blocks themselves are sound");
}
