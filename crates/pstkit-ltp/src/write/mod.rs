//! The write side of the LTP layer: builders that turn properties and rows
//! into the bytes of a node, ready for the NDB writer.
//!
//! A [`PcBuilder`] or [`TcBuilder`] collects what the object holds and
//! `finish`es into a [`NodeData`]: the heap pages (one data block each) and
//! the subnodes the node needs for values too large for the heap and, for
//! big tables, the row matrix. [`NodeData::write`] hands all of it to an
//! [`NdbWriter`]; callers that must add subnodes of their own (a message's
//! recipient and attachment tables) use [`NodeData::write_parts`] and build
//! the subnode tree themselves.
//!
//! Everything written here is read back by this crate's reader in the
//! tests; the layout choices follow [MS-PST] 2.3 and Outlook's habits:
//!
//! * Heap pages are filled in order: an allocation goes on the last page
//!   when it fits there (page map included), else on a new page. Nothing is
//!   ever freed, so `cFree` is 0 and pages are exactly as long as their
//!   contents (one pad byte before the page map when needed).
//! * Fill levels are computed from each page's free bytes against the
//!   block capacity ([`page_capacity`]); page 2k is the low nibble.
//! * Property contexts put the BTHHEADER at HID 0x20 and the tree's nodes
//!   right after it, then the values, like Outlook. Values stay within the
//!   first [`PC_HEAP_PAGE_LIMIT`] heap pages by default; the rest go to
//!   subnodes, which keeps libpff reading (see the constant).
//! * Tables put the RowIndex BTHHEADER at HID 0x20 and the TCINFO at 0x40
//!   (as Outlook's templates have them), cell values as rows arrive, then
//!   the RowIndex nodes and the row matrix.
//! * Table row matrices larger than one heap allocation go to a subnode
//!   whose stream is cut into blocks that never split a row; see
//!   [`NodeData::subnode_blocks`].

use std::io::{Seek, Write};

use pstkit_ndb::write::NdbWriter;
use pstkit_ndb::{Bid, Nid, NidType, Variant};

mod bth;
mod heap;
mod pc;
mod tc;
mod value;

pub use heap::HeapBuilder;
pub use pc::{set_inline, PcBuilder};
pub use tc::{TcBuilder, TcColumnSpec};

pub use value::{encode_value, encoded_len};

/// Largest heap allocation [MS-PST] allows; bigger values live in subnodes.
pub const MAX_HEAP_ALLOC: usize = 3580;

/// Default page limit of a property context's heap (see
/// [`PcBuilder::set_heap_page_limit`]): libpff (checked with 20180714, the
/// version in Debian/Ubuntu) keeps a PC's BTH leaf as a pointer into an
/// eight-entry block cache while it reads the values, so a value on heap page
/// `k + 8` evicts the leaf on page `k` and every later record reads as
/// garbage. Values that would need a ninth page therefore go to subnodes,
/// which every reader follows. Table contexts are not affected (libpff
/// copies their structures) and have no limit.
pub const PC_HEAP_PAGE_LIMIT: usize = 8;

/// Largest heap page (and row-matrix block) written for `variant`: the data
/// capacity of one 8 KiB block. The 4K OST could hold more per block, but
/// its heap and table layout beyond that size is unconfirmed, so it gets the
/// Unicode size.
pub fn page_capacity(variant: Variant) -> usize {
    match variant {
        Variant::Ansi => 8180,
        Variant::Unicode | Variant::Unicode4k => 8176,
    }
}

/// One entry for `NdbWriter::add_subnode_tree`: the subnode's local NID,
/// its data stream and its own subnode tree (`Bid(0)` for none).
pub type SubnodeEntry = (Nid, Bid, Bid);

/// A node's data ready to write.
///
/// `pages[k]` becomes data block `k` of the node's stream (heap page `k`
/// must be block `k`, so never re-split them); each is at most
/// [`page_capacity`] bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeData {
    /// The heap pages, in block order.
    pub pages: Vec<Vec<u8>>,
    /// Subnodes whose stream may be cut into blocks anywhere (large property
    /// values): local NID and the raw bytes.
    pub subnodes: Vec<(Nid, Vec<u8>)>,
    /// Subnodes whose stream must be written as exactly these blocks, in
    /// order (a table's row matrix: rows never straddle blocks). Every block
    /// but the last is exactly [`page_capacity`] bytes, rows first and zero
    /// padding after them; the last holds the remaining rows unpadded. Write
    /// each with `add_block` and join them with `add_tree` when there are
    /// several.
    pub subnode_blocks: Vec<(Nid, Vec<Vec<u8>>)>,
    /// What a large table wrote to the file while it was built
    /// ([`TcBuilder::flush`]); empty for every other node.
    pub written: Written,
}

/// Blocks of a node written before the node was finished, so that a table
/// of any size is never held whole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Heap pages in the file: (page index, block, length). Together with
    /// [`NodeData::pages`], which holds the other pages in order, they make
    /// the node's data stream.
    pub pages: Vec<(usize, Bid, usize)>,
    /// Whole subnode streams in the file: (subnode, data, length).
    pub subnodes: Vec<(Nid, Bid, usize)>,
    /// The leading blocks of the row matrix, (block, length); the matrix's
    /// entry in [`NodeData::subnode_blocks`] holds the blocks after them.
    pub rows: Vec<(Bid, usize)>,
}

impl NodeData {
    /// Writes the heap pages and every subnode stream; returns the data
    /// stream's BID and the subnode entries `(nid, data, Bid(0))` sorted by
    /// NID, for callers that merge them with subnodes of their own before
    /// calling `add_subnode_tree`.
    pub fn write_parts<W: Write + Seek>(
        &self,
        w: &mut NdbWriter<W>,
    ) -> pstkit_ndb::Result<(Bid, Vec<SubnodeEntry>)> {
        let total = self.pages.len() + self.written.pages.len();
        let mut leaves = Vec::with_capacity(total);
        let mut fresh = self.pages.iter();
        let mut done = self.written.pages.iter().peekable();
        for k in 0..total {
            match done.peek() {
                Some(&&(i, bid, len)) if i == k => {
                    leaves.push((bid, len));
                    done.next();
                }
                _ => {
                    if let Some(p) = fresh.next() {
                        leaves.push((w.add_block(p)?, p.len()));
                    }
                }
            }
        }
        let data = join_leaves(w, &leaves)?;
        let mut entries = Vec::with_capacity(
            self.subnodes.len() + self.subnode_blocks.len() + self.written.subnodes.len(),
        );
        for (nid, bytes) in &self.subnodes {
            entries.push((*nid, w.add_stream(bytes)?, Bid(0)));
        }
        for &(nid, bid, _) in &self.written.subnodes {
            entries.push((nid, bid, Bid(0)));
        }
        for (nid, blocks) in &self.subnode_blocks {
            // Exactly these blocks, after those already written.
            let mut leaves = self.written.rows.clone();
            for b in blocks {
                leaves.push((w.add_block(b)?, b.len()));
            }
            entries.push((*nid, join_leaves(w, &leaves)?, Bid(0)));
        }
        entries.sort_by_key(|e| e.0);
        Ok((data, entries))
    }

    /// The decoded bytes of the node's data stream and of every subnode
    /// stream it has: what the node occupies, written or not.
    pub fn stored_size(&self) -> u64 {
        let pages: usize = self.pages.iter().map(Vec::len).sum();
        let subnodes: usize = self.subnodes.iter().map(|(_, b)| b.len()).sum();
        let blocks: usize = self
            .subnode_blocks
            .iter()
            .flat_map(|(_, b)| b.iter().map(Vec::len))
            .sum();
        let written: usize = self.written.pages.iter().map(|p| p.2).sum::<usize>()
            + self.written.subnodes.iter().map(|s| s.2).sum::<usize>()
            + self.written.rows.iter().map(|r| r.1).sum::<usize>();
        (pages + subnodes + blocks + written) as u64
    }

    /// Writes the node's data stream, its subnode streams and its subnode
    /// tree; returns `(data, subnode tree)` BIDs for `add_node` (or for the
    /// parent's subnode entry), the latter `Bid(0)` when there are no
    /// subnodes.
    pub fn write<W: Write + Seek>(&self, w: &mut NdbWriter<W>) -> pstkit_ndb::Result<(Bid, Bid)> {
        let (data, entries) = self.write_parts(w)?;
        let sub = if entries.is_empty() {
            Bid(0)
        } else {
            w.add_subnode_tree(&entries)?
        };
        Ok((data, sub))
    }
}

/// The stream made of blocks already written: the block itself when there
/// is one, else an XBLOCK tree above them.
fn join_leaves<W: Write + Seek>(
    w: &mut NdbWriter<W>,
    leaves: &[(Bid, usize)],
) -> pstkit_ndb::Result<Bid> {
    match leaves {
        [] => Ok(Bid(0)),
        [(only, _)] => Ok(*only),
        _ => w.add_tree(leaves),
    }
}

/// Hands out the local NIDs (type NID_TYPE_LTP) of a node's subnodes and
/// keeps their streams.
#[derive(Clone, Debug)]
pub(crate) struct Subnodes {
    next: u32,
    pub(crate) plain: Vec<(Nid, Vec<u8>)>,
}

impl Subnodes {
    pub(crate) fn new() -> Self {
        Subnodes {
            next: 1,
            plain: Vec::new(),
        }
    }

    /// Makes later NIDs avoid `nid` (when it is of type NID_TYPE_LTP).
    pub(crate) fn reserve(&mut self, nid: Nid) {
        if nid.kind() == NidType::Ltp {
            self.next = self.next.max(nid.index().saturating_add(1));
        }
    }

    pub(crate) fn new_nid(&mut self) -> Nid {
        let nid = Nid::new(NidType::Ltp, self.next);
        self.next = self.next.saturating_add(1);
        nid
    }

    /// Stores a value's bytes as a new subnode; returns its NID.
    pub(crate) fn push(&mut self, bytes: Vec<u8>) -> Nid {
        let nid = self.new_nid();
        self.plain.push((nid, bytes));
        nid
    }
}

/// Places a variable-size (or GUID / 8-byte) value: HNID 0 when empty, a
/// heap allocation when it fits, else a subnode. Returns the HNID.
pub(crate) fn store_hnid(heap: &mut HeapBuilder, subs: &mut Subnodes, bytes: Vec<u8>) -> u32 {
    if bytes.is_empty() {
        return 0;
    }
    if let Some(hid) = heap.try_alloc(&bytes) {
        return hid.0;
    }
    subs.push(bytes).0
}
