//! Fields a block's other fields prove wrong do not cost its node: a block
//! trailer whose `cb` alone disagrees with the BBT (id, signature and CRC
//! prove the BBT's size), and an XBLOCK's `lcbTotal` no stream of the file
//! can have (the leaves give the size). Reading gets every node back as it
//! was; the check still reports the field.

mod damage;
use pstkit_ndb as ndb;

use damage::Damage;
use pstkit_ndb::write::NdbWriter;
use pstkit_ndb::{CryptMethod, FileKind, Format, NdbFile, Nid, NidType};

/// Nodes with streams of one block and of several (an XBLOCK each).
fn written(f: Format) -> Vec<u8> {
    let mut w = NdbWriter::in_memory(f, CryptMethod::Permute, FileKind::Pst);
    for i in 1..=60u32 {
        let body: Vec<u8> = (0..(i as usize % 5) * 20000 + 100)
            .map(|k| (k * 7 + i as usize) as u8)
            .collect();
        let data = w.add_stream(&body).unwrap();
        w.add_node(
            Nid::new(NidType::NormalMessage, i),
            data,
            ndb::Bid(0),
            Nid(0x122),
        );
    }
    w.finish_bytes()
}

fn all_nodes(bytes: &[u8]) -> Vec<(Nid, Option<Vec<u8>>)> {
    let file = NdbFile::new(bytes).unwrap();
    let ndb = file.ndb();
    ndb.nodes()
        .map(|e| e.unwrap())
        .map(|e| (e.nid, ndb.node(e.nid).and_then(|n| n.read_all()).ok()))
        .collect()
}

#[test]
fn a_wrong_trailer_cb_or_impossible_lcb_total_costs_no_node() {
    for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
        let original = written(f);
        let want = all_nodes(&original);
        assert!(want.iter().all(|(_, d)| d.is_some()));
        for seed in 1..=4 {
            for (d, what) in [
                (Damage::BlockCb { seed }, "block trailer cb"),
                (Damage::XblockTotal { seed }, "data tree total (lcbTotal)"),
            ] {
                let mut bytes = original.clone();
                damage::apply(&mut bytes, d);
                assert!(bytes != original, "{f:?} {d}: nothing damaged");
                assert_eq!(all_nodes(&bytes), want, "{f:?} {d}");
                let file = NdbFile::new(&bytes[..]).unwrap();
                let report = ndb::check::check(file.ndb());
                assert!(
                    report.problems.iter().any(|c| c.to_string().contains(what)),
                    "{f:?} {d}: {:?}",
                    report.problems
                );
            }
        }
    }
}
