//! A node as stored: its data blocks and subnodes exactly as the file holds
//! them, verified but not decoded. Between files of one variant and an
//! encoding not keyed by block id (none or permute) the stored bytes mean
//! the same thing, so a node is copied by moving them: the copy path's
//! fast lane, which never decodes what it only moves.

use crate::block::read_stored_with;
use crate::block::MAX_SUBNODE_DEPTH;
use crate::error::{NdbError, Problem, Result, Structure};
use crate::read::{DataTree, Ndb, Node};
use crate::{Bid, CryptMethod, Nid, Variant};

/// One data block as stored: encoded (and for 4K files maybe compressed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredBlock<'a> {
    /// The stored bytes, borrowed from the source file.
    pub bytes: &'a [u8],
    /// Their CRC, checked when the block was read.
    pub crc: u32,
    /// The decoded size.
    pub inflated: u16,
}

/// A node's data stream and subnode tree, every block verified, none
/// decoded except the trees' own internal blocks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredNode<'a> {
    /// The data blocks, in stream order.
    pub blocks: Vec<StoredBlock<'a>>,
    /// The subnodes, in id order, each with its own data and subnodes.
    pub subnodes: Vec<(Nid, StoredNode<'a>)>,
}

impl StoredNode<'_> {
    /// A digest of what the node holds that does not depend on where or
    /// under which block ids it is stored: each block's CRC, size and
    /// decoded size in order, and each subnode's id and digest. Equal
    /// digests mean equal bytes (to CRC strength) in the same structure.
    pub fn digest(&self) -> u64 {
        let mut h = 0xCBF2_9CE4_8422_2325u64;
        self.digest_into(&mut h);
        h
    }

    fn digest_into(&self, h: &mut u64) {
        fn mix(h: &mut u64, v: u64) {
            *h ^= v;
            *h = h.wrapping_mul(0x0100_0000_01B3).rotate_left(23);
        }
        mix(h, self.blocks.len() as u64);
        for b in &self.blocks {
            mix(
                h,
                u64::from(b.crc) << 32 | (b.bytes.len() as u64) << 16 | u64::from(b.inflated),
            );
        }
        mix(h, self.subnodes.len() as u64 | 1 << 63);
        for (nid, n) in &self.subnodes {
            mix(h, u64::from(nid.0));
            n.digest_into(h);
        }
    }

    /// Decoded bytes in all blocks, subnodes included: the size on disk
    /// Outlook records as a message's PidTagMessageSize.
    pub fn size_on_disk(&self) -> u64 {
        self.blocks
            .iter()
            .map(|b| u64::from(b.inflated))
            .sum::<u64>()
            + self
                .subnodes
                .iter()
                .map(|(_, n)| n.size_on_disk())
                .sum::<u64>()
    }

    /// Stored bytes in all blocks, subnodes included.
    pub fn stored_len(&self) -> u64 {
        self.blocks
            .iter()
            .map(|b| b.bytes.len() as u64)
            .sum::<u64>()
            + self
                .subnodes
                .iter()
                .map(|(_, n)| n.stored_len())
                .sum::<u64>()
    }
}

/// Whether blocks stored in a file of variant `from` and encoding
/// `from_crypt` can be written unchanged (the same bytes, CRC and size)
/// into one of variant `to` and encoding `to_crypt`: the one rule for
/// moving whole items, large attachment streams and their checks. The
/// variants must agree (block and trailer layout, and 4K compression),
/// and so must the encodings; cyclic encoding is keyed by block id, which
/// changes in the new file, so only none and permute move.
pub fn can_move_stored(
    from: Variant,
    from_crypt: CryptMethod,
    to: Variant,
    to_crypt: CryptMethod,
) -> bool {
    from == to
        && from_crypt == to_crypt
        && matches!(from_crypt, CryptMethod::None | CryptMethod::Permute)
}

impl<'a> Ndb<'a> {
    /// The node whose data stream starts at `data` and whose subnode tree
    /// starts at `sub` (either may be 0), gathered as stored. Every block
    /// is checked (size, id, signature, CRC) before the caller writes any.
    pub fn stored_node(&self, data: Bid, sub: Bid) -> Result<StoredNode<'a>> {
        let mut budget = self.block_budget();
        self.stored_node_at(data, sub, 0, &mut budget, true)
    }

    /// [`StoredNode::digest`] of the node at `data` and `sub`, reading
    /// block trailers but not re-checking the blocks' CRCs: for a file
    /// whose blocks a full check has just verified.
    pub fn stored_digest(&self, data: Bid, sub: Bid) -> Result<u64> {
        let mut budget = self.block_budget();
        Ok(self
            .stored_node_at(data, sub, 0, &mut budget, false)?
            .digest())
    }

    /// As [`Ndb::stored_node`], and the node `nid` itself for reading
    /// (its properties, say) over the same data tree: one lookup of each
    /// block serves both, and the node's reads skip the CRCs just checked.
    pub fn stored_node_with(
        &self,
        nid: Nid,
        data: Bid,
        sub: Bid,
    ) -> Result<(StoredNode<'a>, Node<'a>)> {
        let mut budget = self.block_budget();
        let tree = self.data_tree(data)?;
        let stored = self.stored_node_from(&tree, sub, 0, &mut budget, true)?;
        Ok((stored, Node::verified(*self, nid, tree, sub)))
    }

    /// How many blocks and subnodes a node may have. Shared subtrees would
    /// let a small file describe an exponential node: no legitimate node
    /// has more blocks than the file can hold (one per 64-byte unit).
    fn block_budget(&self) -> u64 {
        self.data().len() as u64 / 64 + 16
    }

    fn stored_node_at(
        &self,
        data: Bid,
        sub: Bid,
        depth: usize,
        budget: &mut u64,
        check_crc: bool,
    ) -> Result<StoredNode<'a>> {
        let tree = self.data_tree(data)?;
        self.stored_node_from(&tree, sub, depth, budget, check_crc)
    }

    fn stored_node_from(
        &self,
        tree: &DataTree,
        sub: Bid,
        depth: usize,
        budget: &mut u64,
        check_crc: bool,
    ) -> Result<StoredNode<'a>> {
        let err =
            |bid: Bid, p: Problem| NdbError::corrupt(Structure::SubnodeTree, Some(bid.0), None, p);
        if depth > MAX_SUBNODE_DEPTH {
            return Err(err(
                sub,
                Problem::Invalid("subnode trees nested too deeply"),
            ));
        }
        let mut blocks = Vec::with_capacity(tree.leaves.len());
        for e in &tree.leaves {
            *budget = budget
                .checked_sub(1)
                .ok_or_else(|| err(e.bref.bid, Problem::Invalid("node larger than the file")))?;
            let (bytes, crc) = if check_crc {
                self.stored_block_at(e)?
            } else {
                let r = read_stored_with(self.data(), self.format(), e, false)?;
                self.touch(e.bref.ib.0, r.0.len() as u64);
                r
            };
            blocks.push(StoredBlock {
                bytes,
                crc,
                inflated: e.inflated,
            });
        }
        let mut subnodes = Vec::new();
        if !sub.is_none() {
            let mut entries = self.subnode_tree(sub).entries()?;
            // A damaged tree may list an id twice: a lookup finds the first,
            // so the copy keeps that one (a tree's keys must be unique).
            entries.sort_by_key(|e| e.nid);
            entries.dedup_by_key(|e| e.nid);
            for e in entries {
                *budget = budget
                    .checked_sub(1)
                    .ok_or_else(|| err(sub, Problem::Invalid("node larger than the file")))?;
                let n = self.stored_node_at(e.data, e.sub, depth + 1, budget, check_crc)?;
                subnodes.push((e.nid, n));
            }
        }
        Ok(StoredNode { blocks, subnodes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::NdbWriter;
    use crate::{FileKind, Format, NdbFile, NidType};

    /// Every field a digest covers changes it: a block's CRC, stored
    /// size and decoded size, the blocks' order and count, a subnode's id,
    /// data and place in the tree.
    #[test]
    fn a_digest_changes_with_every_field_it_covers() {
        const BYTES: [u8; 300] = [0; 300];
        let block = |crc, len: usize, inflated| StoredBlock {
            bytes: &BYTES[..len],
            crc,
            inflated,
        };
        let node = |blocks: Vec<StoredBlock<'static>>, subnodes| StoredNode { blocks, subnodes };
        let a = block(0x1234_5678, 200, 200);
        let leaf = node(vec![block(7, 10, 10)], vec![]);
        let base = node(vec![a, block(9, 100, 250)], vec![(Nid(0x21), leaf.clone())]);
        let variants = [
            base.clone(),
            node(
                vec![block(0x1234_5679, 200, 200), block(9, 100, 250)],
                base.subnodes.clone(),
            ),
            node(
                vec![block(0x1234_5678, 201, 200), block(9, 100, 250)],
                base.subnodes.clone(),
            ),
            node(
                vec![block(0x1234_5678, 200, 201), block(9, 100, 250)],
                base.subnodes.clone(),
            ),
            node(vec![block(9, 100, 250), a], base.subnodes.clone()),
            node(vec![a], base.subnodes.clone()),
            node(base.blocks.clone(), vec![(Nid(0x41), leaf.clone())]),
            node(
                base.blocks.clone(),
                vec![(Nid(0x21), node(vec![block(8, 10, 10)], vec![]))],
            ),
            node(base.blocks.clone(), vec![]),
            node(
                base.blocks.clone(),
                vec![(Nid(0x21), node(vec![], vec![(Nid(0x22), leaf.clone())]))],
            ),
            // Two subnodes, and the second one level down in the first:
            // told apart only by the subnode counts.
            node(
                base.blocks.clone(),
                vec![(Nid(0x21), leaf.clone()), (Nid(0x41), leaf.clone())],
            ),
            node(
                base.blocks.clone(),
                vec![(
                    Nid(0x21),
                    node(leaf.blocks.clone(), vec![(Nid(0x41), leaf.clone())]),
                )],
            ),
            // The same crc, size and decoded size in another block's fields.
            node(vec![block(200, 200, 0x5678)], vec![]),
            node(vec![block(0x5678, 200, 200)], vec![]),
        ];
        let digests: std::collections::HashSet<u64> =
            variants.iter().map(StoredNode::digest).collect();
        assert_eq!(digests.len(), variants.len());
        assert_eq!(base.digest(), base.clone().digest());
    }

    /// Sizes add up over every block of the node and of its subnodes at
    /// every depth: decoded for the size on disk, stored for the length.
    #[test]
    fn sizes_add_up_over_subnodes_at_every_depth() {
        const BYTES: [u8; 100] = [0; 100];
        let block = |len: usize, inflated| StoredBlock {
            bytes: &BYTES[..len],
            crc: 0,
            inflated,
        };
        let inner = StoredNode {
            blocks: vec![block(3, 5)],
            subnodes: vec![],
        };
        let sub = StoredNode {
            blocks: vec![block(7, 11)],
            subnodes: vec![(Nid(0x21), inner)],
        };
        let node = StoredNode {
            blocks: vec![block(13, 17), block(19, 23)],
            subnodes: vec![(Nid(0x41), sub.clone()), (Nid(0x61), sub)],
        };
        assert_eq!(node.size_on_disk(), 17 + 23 + 2 * (11 + 5));
        assert_eq!(node.stored_len(), 13 + 19 + 2 * (7 + 3));
    }

    /// A node may have as many blocks as the file has 64-byte units, and
    /// 16 more; one more is a tree naming blocks over and over.
    #[test]
    fn a_node_may_name_a_block_per_64_bytes_of_the_file_and_no_more() {
        let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::None, FileKind::Pst);
        let leaf = w.add_block(b"ten bytes!").unwrap();
        const BLOCKS: usize = 5000;
        let tree = w.add_tree(&[(leaf, 10); BLOCKS]).unwrap();
        let mut bytes = w.finish_bytes();
        // BLOCKS - 16 units of 64 bytes, and 16: exactly BLOCKS.
        assert!(bytes.len() < (BLOCKS - 16) * 64);
        bytes.resize((BLOCKS - 16) * 64, 0);
        let file = NdbFile::new(&bytes[..]).unwrap();
        let ndb = file.ndb();
        let node = ndb.stored_node(tree, Bid(0)).unwrap();
        assert_eq!(node.blocks.len(), BLOCKS);
        assert_eq!(ndb.stored_digest(tree, Bid(0)).unwrap(), node.digest());
        let nid = Nid::new(NidType::NormalMessage, 0x400);
        assert_eq!(ndb.stored_node_with(nid, tree, Bid(0)).unwrap().0, node);
        bytes.truncate((BLOCKS - 17) * 64);
        let file = NdbFile::new(&bytes[..]).unwrap();
        let ndb = file.ndb();
        for r in [
            ndb.stored_node(tree, Bid(0)).map(drop),
            ndb.stored_digest(tree, Bid(0)).map(drop),
            ndb.stored_node_with(nid, tree, Bid(0)).map(drop),
        ] {
            match r {
                Err(NdbError::Corrupt(c)) => {
                    assert_eq!((c.structure, c.id), (Structure::SubnodeTree, Some(leaf.0)));
                    assert_eq!(c.problem, Problem::Invalid("node larger than the file"));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    /// Subnodes nested `MAX_SUBNODE_DEPTH` deep are gathered; one level
    /// more is refused, as the reader and the check refuse it.
    #[test]
    fn subnodes_nest_to_the_limit_and_no_deeper() {
        let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::None, FileKind::Pst);
        let data = w.add_block(b"level").unwrap();
        let nid = Nid::new(NidType::Ltp, 1);
        // trees[k]: a subnode tree whose one subnode holds trees[k - 1],
        // so that a node over trees[k] has subnodes k levels deep.
        let mut trees = vec![Bid(0)];
        for k in 1..=MAX_SUBNODE_DEPTH + 1 {
            let below = trees[k - 1];
            trees.push(w.add_subnode_tree(&[(nid, data, below)]).unwrap());
        }
        let bytes = w.finish_bytes();
        let file = NdbFile::new(&bytes[..]).unwrap();
        let ndb = file.ndb();
        let mut n = ndb.stored_node(data, trees[MAX_SUBNODE_DEPTH]).unwrap();
        let mut depth = 0;
        while let Some((_, below)) = n.subnodes.pop() {
            depth += 1;
            n = below;
        }
        assert_eq!(depth, MAX_SUBNODE_DEPTH);
        match ndb.stored_node(data, trees[MAX_SUBNODE_DEPTH + 1]) {
            Err(NdbError::Corrupt(c)) => {
                assert_eq!(c.structure, Structure::SubnodeTree);
                assert_eq!(
                    c.problem,
                    Problem::Invalid("subnode trees nested too deeply")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    fn file_with(crypt: CryptMethod, big: usize) -> Vec<u8> {
        let f = Format::UNICODE;
        let mut w = NdbWriter::in_memory(f, crypt, FileKind::Pst);
        let body: Vec<u8> = (0..big).map(|i| (i * 7 % 251) as u8).collect();
        let d1 = w.add_stream(&body).unwrap();
        let d2 = w.add_block(b"attachment").unwrap();
        let inner = w.add_block(b"embedded").unwrap();
        let inner_sub = w
            .add_subnode_tree(&[(Nid::new(NidType::Ltp, 1), inner, Bid(0))])
            .unwrap();
        let sub = w
            .add_subnode_tree(&[
                (Nid::new(NidType::Ltp, 2), d2, Bid(0)),
                (Nid::new(NidType::Attachment, 3), d2, inner_sub),
            ])
            .unwrap();
        w.add_node(Nid::new(NidType::NormalMessage, 1), d1, sub, Nid(0x122));
        w.finish_bytes()
    }

    #[test]
    fn a_moved_node_reads_back_the_same() {
        for crypt in [CryptMethod::None, CryptMethod::Permute] {
            let src = NdbFile::new(file_with(crypt, 30_000)).unwrap();
            let sndb = src.ndb();
            let e = sndb
                .node_entry(Nid::new(NidType::NormalMessage, 1))
                .unwrap();
            let node = sndb.stored_node(e.data, e.sub).unwrap();
            assert_eq!(node.blocks.len(), 4);
            assert_eq!(node.subnodes.len(), 2);
            let mut w = NdbWriter::in_memory(Format::UNICODE, crypt, FileKind::Pst);
            // Other blocks first, so the ids and offsets differ from the source's.
            w.add_block(b"something else").unwrap();
            let (data, sub) = w.add_stored_node(&node).unwrap();
            w.add_node(Nid::new(NidType::NormalMessage, 9), data, sub, Nid(0x122));
            let out = NdbFile::new(w.finish_bytes()).unwrap();
            let ondb = out.ndb();
            let oe = ondb
                .node_entry(Nid::new(NidType::NormalMessage, 9))
                .unwrap();
            assert_ne!(oe.data, e.data);
            let copy = ondb.stored_node(oe.data, oe.sub).unwrap();
            assert_eq!(copy.digest(), node.digest());
            assert_eq!(ondb.stored_digest(oe.data, oe.sub).unwrap(), node.digest());
            let a = sndb.node(Nid::new(NidType::NormalMessage, 1)).unwrap();
            let b = ondb.node(Nid::new(NidType::NormalMessage, 9)).unwrap();
            assert_eq!(a.read_all().unwrap(), b.read_all().unwrap());
            let emb = |n: &crate::Node<'_>| {
                n.subnode(Nid::new(NidType::Attachment, 3))
                    .unwrap()
                    .subnode(Nid::new(NidType::Ltp, 1))
                    .unwrap()
                    .read_all()
                    .unwrap()
            };
            assert_eq!(emb(&b), b"embedded");
            assert_eq!(emb(&a), emb(&b));
            assert!(crate::check::check(ondb).problems.is_empty());
        }
    }

    #[test]
    fn digests_see_every_byte_and_the_structure() {
        let src = NdbFile::new(file_with(CryptMethod::None, 100)).unwrap();
        let other = NdbFile::new(file_with(CryptMethod::None, 101)).unwrap();
        fn get(f: &NdbFile<Vec<u8>>) -> StoredNode<'_> {
            let n = f.ndb();
            let e = n.node_entry(Nid::new(NidType::NormalMessage, 1)).unwrap();
            n.stored_node(e.data, e.sub).unwrap()
        }
        let a = get(&src);
        assert_ne!(a.digest(), get(&other).digest());
        let mut b = a.clone();
        b.subnodes.swap(0, 1);
        assert_ne!(a.digest(), b.digest());
        let mut c = a.clone();
        c.subnodes[1].1.subnodes.clear();
        assert_ne!(a.digest(), c.digest());
    }

    #[test]
    fn a_damaged_block_stops_the_gathering() {
        let mut bytes = file_with(CryptMethod::Permute, 100);
        let src = NdbFile::new(bytes.clone()).unwrap();
        let e = src
            .ndb()
            .node_entry(Nid::new(NidType::NormalMessage, 1))
            .unwrap();
        let be = src.ndb().block_entry(e.data).unwrap();
        bytes[be.bref.ib.0 as usize + 3] ^= 0x40;
        let bad = NdbFile::new(bytes).unwrap();
        let err = bad.ndb().stored_node(e.data, e.sub).unwrap_err();
        assert!(err.to_string().contains("CRC"), "{err}");
        // Gathered with the node for reading: the same refusal, before any
        // read could skip the CRC.
        let nid = Nid::new(NidType::NormalMessage, 1);
        let err = bad
            .ndb()
            .stored_node_with(nid, e.data, e.sub)
            .err()
            .unwrap();
        assert!(err.to_string().contains("CRC"), "{err}");
    }

    #[test]
    fn the_node_gathered_with_its_blocks_reads_as_a_looked_up_one() {
        let src = NdbFile::new(file_with(CryptMethod::Permute, 30_000)).unwrap();
        let ndb = src.ndb();
        let nid = Nid::new(NidType::NormalMessage, 1);
        let e = ndb.node_entry(nid).unwrap();
        let (stored, node) = ndb.stored_node_with(nid, e.data, e.sub).unwrap();
        assert_eq!(stored, ndb.stored_node(e.data, e.sub).unwrap());
        let plain = ndb.node(nid).unwrap();
        assert_eq!(node.nid(), nid);
        assert_eq!(node.block_count(), plain.block_count());
        assert_eq!(node.read_all().unwrap(), plain.read_all().unwrap());
        assert_eq!(node.read_all().unwrap().len(), 30_000);
    }

    #[test]
    fn formats_that_move_stored_blocks() {
        use crate::Variant::{Ansi, Unicode, Unicode4k};
        use CryptMethod::{Cyclic, None, Permute};
        assert!(can_move_stored(Unicode, Permute, Unicode, Permute));
        assert!(can_move_stored(Unicode4k, None, Unicode4k, None));
        assert!(!can_move_stored(Unicode, Cyclic, Unicode, Cyclic));
        assert!(!can_move_stored(Ansi, None, Unicode, None));
        assert!(!can_move_stored(Unicode, None, Unicode, Permute));
        assert!(!can_move_stored(Unicode4k, None, Unicode, None));
    }
}
