//! The reader: a memory-mapped file, a borrowed view over it, and nodes.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex};

use memmap2::Mmap;

use crate::block::{
    decode, decode_append, is_compressed, parse_subnode_block, parse_xblock, read_stored,
    read_stored_crc, read_stored_with, si_entry, sl_entry, xblock_bid, SubnodeEntry,
};
use crate::btree::{lookup_in, BTreeIter, BbtEntry, NbtEntry};
use crate::error::{NdbError, Problem, Result, Structure};
use crate::page::PageCache;
use crate::recover::{missing_block, rebuild, IndexIter, RecoveredIndex, RecoveryReport};
use crate::{Bid, CryptMethod, Format, Header, Nid};

/// What an [`NdbFile`] reads from: a memory map or a byte buffer.
pub trait Backing: AsRef<[u8]> + Sync {
    /// Drops cached pages already read. For a read-only file map the bytes
    /// stay readable (they are read again on use), so resident memory stays
    /// bounded however much of a large file a walk touches.
    fn release(&self) {}

    /// The input changed under the reader (see [`MappedFile`]); `None` for
    /// bytes in memory, which cannot.
    fn changed(&self) -> Option<NdbError> {
        None
    }
}

impl Backing for Mmap {
    fn release(&self) {
        #[cfg(unix)]
        // SAFETY: the map is private and read-only: discarding its pages only
        // makes the kernel read the same file bytes again on the next access.
        unsafe {
            let _ = self.unchecked_advise(memmap2::UncheckedAdvice::DontNeed);
        }
    }
}
/// An input file mapped read-only, guarded so that a file another program
/// truncates while it is read gives an error ([`NdbError::SourceChanged`])
/// instead of killing the process with SIGBUS: the pages past the new end
/// read as zeros, which fail the next check, and the change is reported.
#[derive(Debug)]
pub struct MappedFile {
    // Dropped before the map: the range is unregistered before it goes.
    guard: crate::guard::Guard,
    map: Mmap,
    path: std::path::PathBuf,
    len: u64,
}

impl AsRef<[u8]> for MappedFile {
    fn as_ref(&self) -> &[u8] {
        &self.map
    }
}

impl Backing for MappedFile {
    fn release(&self) {
        self.map.release();
    }

    fn changed(&self) -> Option<NdbError> {
        let now = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        (self.guard.faulted() || now != self.len).then(|| NdbError::SourceChanged {
            path: self.path.clone(),
            was: self.len,
            now,
        })
    }
}

impl Backing for Vec<u8> {}
impl Backing for &[u8] {}
impl Backing for Box<[u8]> {}

/// Releases the backing's pages when the page cache says so.
trait Pager: Sync {
    fn release(&self);
    fn changed(&self) -> Option<NdbError>;
}

/// An opened file: owns its bytes (a read-only map, or any byte buffer) and
/// the parsed header.
pub struct NdbFile<D = MappedFile> {
    data: D,
    header: Header,
    pages: PageCache,
    /// The index rebuilt by [`NdbFile::recover`], used instead of the
    /// file's B-trees; `None` for a file read through its B-trees.
    index: Option<RecoveredIndex>,
}

impl<D: Backing> Pager for NdbFile<D> {
    fn release(&self) {
        self.data.release();
    }

    fn changed(&self) -> Option<NdbError> {
        self.data.changed()
    }
}

impl NdbFile<MappedFile> {
    /// Maps `path` read-only and checks its header (magic, version, CRCs).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let map = map_input(path)?;
        Self::new(map).map_err(|e| not_pst(path, e))
    }

    /// Maps `path` read-only without rejecting header CRC mismatches.
    pub fn open_lenient(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let map = map_input(path)?;
        Self::new_lenient(map).map_err(|e| not_pst(path, e))
    }

    /// Maps `path` read-only and rebuilds its index from a scan of the
    /// whole file (see [`crate::recover`]), for files whose B-trees are
    /// damaged. Only the header must be readable; its CRCs are not
    /// required to match.
    pub fn open_recovering(path: impl AsRef<Path>) -> Result<(Self, RecoveryReport)> {
        Ok(Self::open_lenient(path)?.recover())
    }
}

/// Maps an input read-only, after making sure it is a regular file (a
/// directory or device would fail with the system's puzzling words).
fn map_input(path: &Path) -> Result<MappedFile> {
    let io = |source| NdbError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(NdbError::NotPst {
            path: path.to_path_buf(),
            why: if meta.is_dir() {
                "it is a directory".into()
            } else {
                "it is not a regular file".into()
            },
        });
    }
    let file = File::open(path).map_err(io)?;
    // SAFETY: the map is read-only; pstkit never writes to files it reads.
    // Another process truncating the file underneath is caught by the guard
    // (see `MappedFile`).
    let map = unsafe { Mmap::map(&file) }.map_err(io)?;
    let guard = crate::guard::Guard::register(map.as_ptr(), map.len());
    Ok(MappedFile {
        guard,
        len: map.len() as u64,
        map,
        path: path.to_path_buf(),
    })
}

/// A header whose first four bytes are not `!BDN` means no PST at all,
/// rather than a damaged one.
fn not_pst(path: &Path, e: NdbError) -> NdbError {
    match &e {
        NdbError::Corrupt(c)
            if c.offset == Some(0)
                && matches!(c.problem, crate::error::Problem::BadMagic { .. })
                && c.structure == Structure::Header =>
        {
            NdbError::NotPst {
                path: path.to_path_buf(),
                why: "no !BDN signature at offset 0".into(),
            }
        }
        _ => e,
    }
}

impl<D: Backing> NdbFile<D> {
    /// Parses and verifies the header of `data`.
    pub fn new(data: D) -> Result<Self> {
        let header = Header::parse(data.as_ref())?;
        header.verify()?;
        let pages = PageCache::new(data.as_ref().len() as u64);
        Ok(NdbFile {
            data,
            header,
            pages,
            index: None,
        })
    }

    /// Parses the header without rejecting CRC mismatches, for damaged files
    /// whose B-trees may still be readable.
    pub fn new_lenient(data: D) -> Result<Self> {
        let header = Header::parse(data.as_ref())?;
        let pages = PageCache::new(data.as_ref().len() as u64);
        Ok(NdbFile {
            data,
            header,
            pages,
            index: None,
        })
    }

    /// The same file, its nodes and blocks looked up in an index rebuilt
    /// by scanning every page and block position instead of its B-trees.
    pub fn recover(mut self) -> (Self, RecoveryReport) {
        let (index, report) = rebuild(self.data.as_ref(), &self.header, &|| self.data.release());
        self.index = Some(index);
        (self, report)
    }

    /// [`NdbFile::recover`], keeping what lies in free space below what is
    /// allocated: nodes found only there are deleted items not yet
    /// overwritten ([`RecoveredIndex::deleted`]).
    pub fn recover_deleted(mut self) -> (Self, RecoveryReport) {
        let (index, report) = crate::recover::rebuild_with(
            self.data.as_ref(),
            &self.header,
            &|| self.data.release(),
            crate::recover::Free::Keep,
        );
        self.index = Some(index);
        (self, report)
    }

    /// The rebuilt index, when [`NdbFile::recover`] made one.
    pub fn recovered_index(&self) -> Option<&RecoveredIndex> {
        self.index.as_ref()
    }

    /// A borrowed view for reading.
    pub fn ndb(&self) -> Ndb<'_> {
        Ndb {
            data: self.data.as_ref(),
            header: &self.header,
            pager: self,
            pages: &self.pages,
            index: self.index.as_ref(),
            check_crcs: true,
        }
    }

    /// The parsed header.
    pub fn header(&self) -> &Header {
        &self.header
    }
}

/// A cheap, copyable view of an opened file through which everything is read.
#[derive(Clone, Copy)]
pub struct Ndb<'a> {
    data: &'a [u8],
    header: &'a Header,
    pager: &'a dyn Pager,
    pages: &'a PageCache,
    index: Option<&'a RecoveredIndex>,
    /// Whether reads check each block's CRC (see [`Ndb::trusting_block_crcs`]).
    check_crcs: bool,
}

impl<'a> Ndb<'a> {
    /// This view, reading blocks without computing their CRCs (their size,
    /// id and signature are still checked). Only for a file whose every
    /// block's CRC another reader checks, and whose use waits for that
    /// check to pass: a verify pass that runs beside a full check, which
    /// would otherwise compute every CRC twice.
    pub fn trusting_block_crcs(self) -> Ndb<'a> {
        Ndb {
            check_crcs: false,
            ..self
        }
    }

    /// The file's bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The header.
    pub fn header(&self) -> &'a Header {
        self.header
    }

    /// The variant description.
    pub fn format(&self) -> Format {
        self.header.format
    }

    /// The block encoding.
    pub fn crypt(&self) -> CryptMethod {
        self.header.crypt
    }

    /// Notes a read of the file's bytes at `at`, so that the backing's
    /// pages are released once enough of the file is mapped.
    pub(crate) fn touch(&self, at: u64, len: u64) {
        self.pages.touch(at, len);
        self.release_if_due();
    }

    /// Whether the input changed while it was read (truncated, or rewritten
    /// to another size): the error to report instead of whatever damage the
    /// change made the reader see.
    pub fn source_changed(&self) -> Option<NdbError> {
        self.pager.changed()
    }

    /// Releases the map's pages now: before a long phase that reads
    /// another file, so the two maps' pages do not add up.
    pub fn release_pages(&self) {
        self.pager.release();
    }

    fn release_if_due(&self) {
        if self.pages.take_release() {
            self.pager.release();
        }
    }

    /// Whether nodes and blocks are looked up in a rebuilt index rather
    /// than the file's B-trees.
    pub fn is_recovered(&self) -> bool {
        self.index.is_some()
    }

    /// Whether node `nid` was found only in free space by a rebuild that
    /// kept it ([`NdbFile::recover_deleted`]): a deleted item's.
    pub fn is_deleted(&self, nid: Nid) -> bool {
        self.index.is_some_and(|i| i.is_deleted(nid))
    }

    /// The NBT entry of `nid`.
    pub fn node_entry(&self, nid: Nid) -> Result<NbtEntry> {
        self.release_if_due();
        if let Some(ix) = self.index {
            return ix.node(nid).copied().ok_or(NdbError::NodeNotFound(nid));
        }
        lookup_in::<NbtEntry>(
            self.data,
            self.format(),
            self.header.root.nbt,
            u64::from(nid.0),
            Some((self.pages, 0)),
        )?
        .ok_or(NdbError::NodeNotFound(nid))
    }

    /// Every NBT entry in key order, lazily.
    pub fn nodes(&self) -> IndexIter<'a, NbtEntry> {
        match self.index {
            Some(ix) => IndexIter::Rebuilt(ix.nodes().iter()),
            None => IndexIter::Tree(BTreeIter::new(
                self.data,
                self.format(),
                self.header.root.nbt,
            )),
        }
    }

    /// The BBT entry of `bid` (the reserved bit is ignored).
    pub fn block_entry(&self, bid: Bid) -> Result<BbtEntry> {
        self.release_if_due();
        if let Some(ix) = self.index {
            return ix.block(bid).copied().ok_or_else(|| missing_block(bid));
        }
        lookup_in::<BbtEntry>(
            self.data,
            self.format(),
            self.header.root.bbt,
            bid.key().0,
            Some((self.pages, 1)),
        )?
        .ok_or_else(|| {
            NdbError::corrupt(
                Structure::BbtEntry,
                Some(bid.0),
                None,
                Problem::MissingBlock(bid.0),
            )
        })
    }

    /// Every BBT entry in key order, lazily.
    pub fn blocks(&self) -> IndexIter<'a, BbtEntry> {
        match self.index {
            Some(ix) => IndexIter::Rebuilt(ix.blocks().iter()),
            None => IndexIter::Tree(BTreeIter::new(
                self.data,
                self.format(),
                self.header.root.bbt,
            )),
        }
    }

    /// The verified, decoded contents of the block an entry describes.
    pub fn read_block_at(&self, e: &BbtEntry) -> Result<Cow<'a, [u8]>> {
        self.read_block_with(e, true)
    }

    /// As [`Ndb::read_block_at`]; without `check_crc` (a block whose CRC
    /// was just checked) the trailer is checked again, the bytes are not
    /// re-read for a CRC.
    fn read_block_with(&self, e: &BbtEntry, check_crc: bool) -> Result<Cow<'a, [u8]>> {
        let stored = self.stored_with(e, check_crc)?;
        decode(stored, self.format(), self.crypt(), e)
    }

    /// As [`Ndb::read_block_with`], the decoded bytes appended to `out`.
    fn append_block_with(&self, e: &BbtEntry, check_crc: bool, out: &mut Vec<u8>) -> Result<()> {
        let stored = self.stored_with(e, check_crc)?;
        decode_append(stored, self.format(), self.crypt(), e, out)
    }

    /// A block's checked stored bytes, counted as read (see [`Ndb::touch`]).
    fn stored_with(&self, e: &BbtEntry, check_crc: bool) -> Result<&'a [u8]> {
        let check_crc = check_crc && self.check_crcs;
        let (stored, _) = read_stored_with(self.data, self.format(), e, check_crc)?;
        self.touch(e.bref.ib.0, stored.len() as u64);
        Ok(stored)
    }

    /// Verifies a block (size, id, signature, CRC; inflation for compressed
    /// blocks) without decoding external blocks, whose encodings cannot
    /// fail: a check then costs one CRC per byte, not a decode too. Internal
    /// blocks are returned decoded, external ones as `None`.
    pub fn verify_block_at(&self, e: &BbtEntry) -> Result<Option<Cow<'a, [u8]>>> {
        let stored = read_stored(self.data, self.format(), e)?;
        self.touch(e.bref.ib.0, stored.len() as u64);
        if e.bref.bid.is_internal() || is_compressed(self.format(), e) {
            return decode(stored, self.format(), self.crypt(), e).map(|d| {
                if e.bref.bid.is_internal() {
                    Some(d)
                } else {
                    None
                }
            });
        }
        Ok(None)
    }

    /// A data block as stored (encoded, maybe compressed), verified: for
    /// copying it to another file of the same variant and encoding without
    /// decoding it. Returns the stored bytes and the block's trailer CRC.
    pub fn stored_block_at(&self, e: &BbtEntry) -> Result<(&'a [u8], u32)> {
        let (stored, crc) = read_stored_crc(self.data, self.format(), e)?;
        self.touch(e.bref.ib.0, stored.len() as u64);
        Ok((stored, crc))
    }

    /// The verified, decoded contents of block `bid`.
    pub fn read_block(&self, bid: Bid) -> Result<Cow<'a, [u8]>> {
        let e = self.block_entry(bid)?;
        self.read_block_at(&e)
    }

    /// Resolves a data stream's root block into the list of its data blocks.
    pub fn data_tree(&self, bid: Bid) -> Result<DataTree> {
        let mut leaves = Vec::new();
        if bid.is_none() {
            return Ok(DataTree { leaves, size: 0 });
        }
        let root = self.block_entry(bid)?;
        let mut size = 0u64;
        self.collect_leaves(&root, 3, &mut leaves, &mut size)?;
        Ok(DataTree { leaves, size })
    }

    fn collect_leaves(
        &self,
        e: &BbtEntry,
        max_level: u8,
        leaves: &mut Vec<BbtEntry>,
        size: &mut u64,
    ) -> Result<()> {
        let f = self.format();
        if !e.bref.bid.is_internal() {
            *size += u64::from(e.inflated);
            // Legitimate streams never exceed the file: each block is stored once.
            if *size > self.data.len() as u64 * 4 {
                return Err(self.tree_err(e, Problem::Invalid("data tree larger than the file")));
            }
            leaves.push(*e);
            return Ok(());
        }
        let b = self.read_block_at(e)?;
        let h = parse_xblock(&b, f).map_err(|p| self.tree_err(e, p))?;
        if h.level >= max_level {
            return Err(self.tree_err(
                e,
                Problem::Size {
                    what: "data tree level",
                    expected: u64::from(max_level - 1),
                    found: u64::from(h.level),
                },
            ));
        }
        let before = *size;
        for i in 0..h.count {
            let child = self.block_entry(xblock_bid(&b, f, i))?;
            if h.level == 1 && child.bref.bid.is_internal() {
                return Err(
                    self.tree_err(e, Problem::Invalid("XBLOCK refers to an internal block"))
                );
            }
            if h.level == 2 && !child.bref.bid.is_internal() {
                return Err(self.tree_err(e, Problem::Invalid("XXBLOCK refers to a data block")));
            }
            self.collect_leaves(&child, h.level, leaves, size)?;
        }
        // A total beyond what any stream of the file can hold (see the
        // bound above) is a damaged field, not a lost block: the leaves,
        // each found and verified through the BBT, give the size.
        let impossible = u64::from(h.total) > self.data.len() as u64 * 4;
        if *size - before != u64::from(h.total) && !impossible {
            return Err(self.tree_err(
                e,
                Problem::Size {
                    what: "data tree total (lcbTotal)",
                    expected: *size - before,
                    found: u64::from(h.total),
                },
            ));
        }
        Ok(())
    }

    fn tree_err(&self, e: &BbtEntry, p: Problem) -> NdbError {
        let s = if e.bref.bid.is_internal() {
            Structure::DataTree
        } else {
            Structure::DataBlock
        };
        NdbError::corrupt(s, Some(e.bref.bid.0), Some(e.bref.ib.0), p)
    }

    /// A top-level node.
    pub fn node(&self, nid: Nid) -> Result<Node<'a>> {
        let e = self.node_entry(nid)?;
        self.node_from_parts(nid, e.data, e.sub)
    }

    /// A node from its data and subnode-tree ids (top-level or subnode).
    pub fn node_from_parts(&self, nid: Nid, data: Bid, sub: Bid) -> Result<Node<'a>> {
        Ok(Node {
            ndb: *self,
            nid,
            tree: self.data_tree(data)?,
            sub,
            verified: false,
            cache: Arc::default(),
        })
    }

    /// The subnode tree rooted at `bid`.
    pub fn subnode_tree(&self, bid: Bid) -> SubnodeTree<'a> {
        SubnodeTree {
            ndb: *self,
            root: bid,
        }
    }
}

/// The data blocks of one node's stream, in order.
#[derive(Clone, Debug, Default)]
pub struct DataTree {
    /// BBT entries of the data blocks.
    pub leaves: Vec<BbtEntry>,
    /// Total decoded bytes.
    pub size: u64,
}

/// A node: its data stream (read block by block or whole) and its subnodes.
#[derive(Clone)]
pub struct Node<'a> {
    ndb: Ndb<'a>,
    nid: Nid,
    tree: DataTree,
    sub: Bid,
    /// Every data block's CRC was checked when the tree was gathered (see
    /// [`Ndb::stored_node_with`]): reads check trailers, not CRCs again.
    verified: bool,
    /// What was read of the subnode tree, shared by the node's clones (a
    /// message's heap holds one): each subnode-tree block is read, checked
    /// and decoded once, and each subnode's data tree resolved once, however
    /// often its subnodes are asked for. Only successful reads are kept: a
    /// failing one fails again the same way.
    cache: Arc<Mutex<NodeCache<'a>>>,
}

/// A decoded subnode-tree block, shared between a node's cache and a lookup.
#[derive(Clone)]
struct SharedBlock<'a>(Arc<Cow<'a, [u8]>>);

impl std::ops::Deref for SharedBlock<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// What [`Node`] remembers of its subnode tree.
#[derive(Default)]
struct NodeCache<'a> {
    /// Subnode-tree blocks read, by id.
    blocks: BTreeMap<u64, (SharedBlock<'a>, crate::block::SubnodeHeader, BbtEntry)>,
    /// Subnodes opened, by their entry.
    subnodes: BTreeMap<(u32, u64, u64), Arc<Node<'a>>>,
    /// Subnodes found by id.
    by_nid: BTreeMap<u32, Arc<Node<'a>>>,
}

impl<'a> Node<'a> {
    /// A node over a data tree whose blocks' CRCs were all just checked.
    pub(crate) fn verified(ndb: Ndb<'a>, nid: Nid, tree: DataTree, sub: Bid) -> Self {
        Node {
            ndb,
            nid,
            tree,
            sub,
            verified: true,
            cache: Arc::default(),
        }
    }

    /// The node's id.
    pub fn nid(&self) -> Nid {
        self.nid
    }

    /// Total bytes of the data stream.
    pub fn size(&self) -> u64 {
        self.tree.size
    }

    /// Number of data blocks (heap pages, for LTP).
    pub fn block_count(&self) -> usize {
        self.tree.leaves.len()
    }

    /// The i-th data block, decoded.
    pub fn block(&self, i: usize) -> Result<Cow<'a, [u8]>> {
        let e = self.tree.leaves.get(i).ok_or_else(|| {
            NdbError::corrupt(
                Structure::Node,
                Some(u64::from(self.nid.0)),
                None,
                Problem::Size {
                    what: "block index",
                    expected: self.tree.leaves.len() as u64,
                    found: i as u64,
                },
            )
        })?;
        self.ndb.read_block_with(e, !self.verified)
    }

    /// The data stream, block by block, without joining it.
    pub fn blocks(&self) -> impl Iterator<Item = Result<Cow<'a, [u8]>>> + '_ {
        (0..self.block_count()).map(move |i| self.block(i))
    }

    /// The whole data stream in one buffer.
    pub fn read_all(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.tree.size as usize);
        for e in &self.tree.leaves {
            self.ndb.append_block_with(e, !self.verified, &mut out)?;
        }
        Ok(out)
    }

    /// The data stream as a reader, one block decoded at a time: copying a
    /// large attachment out never holds more than one block.
    pub fn reader(&self) -> NodeReader<'a, '_> {
        NodeReader {
            node: self,
            next: 0,
            current: Cow::Borrowed(&[]),
            at: 0,
        }
    }

    /// The BBT entries of the node's data blocks, in order.
    pub fn leaves(&self) -> &[BbtEntry] {
        &self.tree.leaves
    }

    /// The subnode-tree root, 0 when there is none.
    pub fn subnode_root(&self) -> Bid {
        self.sub
    }

    /// The node's subnode tree.
    pub fn subnodes(&self) -> SubnodeTree<'a> {
        self.ndb.subnode_tree(self.sub)
    }

    /// The subnode `nid` of this node.
    pub fn subnode(&self, nid: Nid) -> Result<Node<'a>> {
        self.found(nid).map(|n| (*n).clone())
    }

    /// `f` of subnode `nid` (what [`Node::subnode`] gives), without a copy
    /// of it.
    pub fn with_subnode<R>(&self, nid: Nid, f: impl FnOnce(&Node<'a>) -> R) -> Result<R> {
        self.found(nid).map(|n| f(&n))
    }

    /// The subnode an entry of this node's subnode tree describes: what
    /// `ndb().node_from_parts(e.nid, e.data, e.sub)` gives, opened once for
    /// all the node's clones.
    pub fn subnode_at(&self, e: SubnodeEntry) -> Result<Node<'a>> {
        self.node_of(e.nid, e.data, e.sub).map(|n| (*n).clone())
    }

    /// `f` of what [`Node::subnode_at`] gives, without a copy of it.
    pub fn with_subnode_at<R>(&self, e: SubnodeEntry, f: impl FnOnce(&Node<'a>) -> R) -> Result<R> {
        self.node_of(e.nid, e.data, e.sub).map(|n| f(&n))
    }

    /// Every entry of the node's subnode tree, in order: what
    /// `subnodes().entries()` gives, its blocks read once for all the
    /// node's clones.
    pub fn subnode_entries(&self) -> Result<Vec<SubnodeEntry>> {
        self.subnodes().entries_with(|bid| self.subnode_block(bid))
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, NodeCache<'a>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Subnode `nid`, looked up once (a lookup that fails is made again).
    fn found(&self, nid: Nid) -> Result<Arc<Node<'a>>> {
        if let Some(n) = self.cache().by_nid.get(&nid.0) {
            return Ok(n.clone());
        }
        let e = self
            .subnodes()
            .lookup_with(nid, |bid| self.subnode_block(bid))?
            .ok_or(NdbError::NodeNotFound(nid))?;
        let n = self.node_of(nid, e.data, e.sub)?;
        self.cache().by_nid.insert(nid.0, n.clone());
        Ok(n)
    }

    fn node_of(&self, nid: Nid, data: Bid, sub: Bid) -> Result<Arc<Node<'a>>> {
        let key = (nid.0, data.0, sub.0);
        if let Some(n) = self.cache().subnodes.get(&key) {
            return Ok(n.clone());
        }
        let n = Arc::new(self.ndb.node_from_parts(nid, data, sub)?);
        self.cache().subnodes.insert(key, n.clone());
        Ok(n)
    }

    fn subnode_block(
        &self,
        bid: Bid,
    ) -> Result<(SharedBlock<'a>, crate::block::SubnodeHeader, BbtEntry)> {
        if let Some(b) = self.cache().blocks.get(&bid.0) {
            return Ok(b.clone());
        }
        let (b, h, e) = self.subnodes().read(bid)?;
        let b = (SharedBlock(Arc::new(b)), h, e);
        self.cache().blocks.insert(bid.0, b.clone());
        Ok(b)
    }

    /// The view this node was read through.
    pub fn ndb(&self) -> Ndb<'a> {
        self.ndb
    }
}

/// A subnode tree (SLBLOCK/SIBLOCK).
#[derive(Clone, Copy)]
pub struct SubnodeTree<'a> {
    ndb: Ndb<'a>,
    root: Bid,
}

impl<'a> SubnodeTree<'a> {
    fn read(&self, bid: Bid) -> Result<(Cow<'a, [u8]>, crate::block::SubnodeHeader, BbtEntry)> {
        let e = self.ndb.block_entry(bid)?;
        let err = |p| NdbError::corrupt(Structure::SubnodeTree, Some(bid.0), Some(e.bref.ib.0), p);
        if !bid.is_internal() {
            return Err(err(Problem::Invalid("subnode tree refers to a data block")));
        }
        let b = self.ndb.read_block_at(&e)?;
        let h = parse_subnode_block(&b, self.ndb.format()).map_err(err)?;
        Ok((b, h, e))
    }

    /// Finds the entry of subnode `nid`.
    pub fn lookup(&self, nid: Nid) -> Result<Option<SubnodeEntry>> {
        self.lookup_with(nid, |bid| self.read(bid))
    }

    /// [`SubnodeTree::lookup`], its blocks read by `read`.
    fn lookup_with<B: std::ops::Deref<Target = [u8]>>(
        &self,
        nid: Nid,
        read: impl Fn(Bid) -> Result<(B, crate::block::SubnodeHeader, BbtEntry)>,
    ) -> Result<Option<SubnodeEntry>> {
        if self.root.is_none() {
            return Ok(None);
        }
        let f = self.ndb.format();
        let (mut b, mut h, _) = read(self.root)?;
        // SIBLOCKs have level 1 and point at SLBLOCKs: at most two steps.
        for _ in 0..2 {
            if h.level == 0 {
                return Ok((0..h.count)
                    .map(|i| sl_entry(&b, f, i))
                    .find(|e| e.nid == nid));
            }
            let pos = (0..h.count)
                .take_while(|&i| si_entry(&b, f, i).0 .0 <= nid.0)
                .count();
            if pos == 0 {
                return Ok(None);
            }
            let (_, child) = si_entry(&b, f, pos - 1);
            let (cb, ch, ce) = read(child)?;
            if ch.level != 0 {
                return Err(NdbError::corrupt(
                    Structure::SubnodeTree,
                    Some(child.0),
                    Some(ce.bref.ib.0),
                    Problem::Invalid("SIBLOCK child is not an SLBLOCK"),
                ));
            }
            b = cb;
            h = ch;
        }
        Ok(None)
    }

    /// All entries of the tree, in order.
    pub fn entries(&self) -> Result<Vec<SubnodeEntry>> {
        self.entries_with(|bid| self.read(bid))
    }

    /// [`SubnodeTree::entries`], its blocks read by `read`.
    fn entries_with<B: std::ops::Deref<Target = [u8]>>(
        &self,
        read: impl Fn(Bid) -> Result<(B, crate::block::SubnodeHeader, BbtEntry)>,
    ) -> Result<Vec<SubnodeEntry>> {
        let mut out = Vec::new();
        if self.root.is_none() {
            return Ok(out);
        }
        let f = self.ndb.format();
        let (b, h, _) = read(self.root)?;
        if h.level == 0 {
            out.extend((0..h.count).map(|i| sl_entry(&b, f, i)));
            return Ok(out);
        }
        for i in 0..h.count {
            let (_, child) = si_entry(&b, f, i);
            let (cb, ch, ce) = read(child)?;
            if ch.level != 0 {
                return Err(NdbError::corrupt(
                    Structure::SubnodeTree,
                    Some(child.0),
                    Some(ce.bref.ib.0),
                    Problem::Invalid("SIBLOCK child is not an SLBLOCK"),
                ));
            }
            out.extend((0..ch.count).map(|j| sl_entry(&cb, f, j)));
        }
        Ok(out)
    }
}

/// [`std::io::Read`] over a node's data stream.
pub struct NodeReader<'a, 'n> {
    node: &'n Node<'a>,
    next: usize,
    current: Cow<'a, [u8]>,
    at: usize,
}

impl std::io::Read for NodeReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at >= self.current.len() {
            if self.next >= self.node.block_count() {
                return Ok(0);
            }
            self.current = self
                .node
                .block(self.next)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            self.next += 1;
            self.at = 0;
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

// The handles below show which file and object they are, never the
// file's bytes.
impl<D> std::fmt::Debug for NdbFile<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NdbFile")
            .field("kind", &self.header.kind)
            .field("variant", &self.header.format.variant)
            .field("recovered", &self.index.is_some())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Ndb<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ndb")
            .field("variant", &self.header.format.variant)
            .field("len", &self.data.len())
            .field("recovered", &self.index.is_some())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("nid", &self.nid)
            .field("size", &self.tree.size)
            .field("blocks", &self.tree.leaves.len())
            .field("sub", &self.sub)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SubnodeTree<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubnodeTree")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for NodeReader<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeReader")
            .field("nid", &self.node.nid)
            .field("block", &self.next)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::NdbWriter;
    use crate::{FileKind, NidType};

    const LEAF: usize = 8000;

    /// A file whose data trees are built by hand over one `LEAF`-byte
    /// block: `trees(w, leaf)` returns the roots to read.
    fn file_with(
        trees: impl FnOnce(&mut NdbWriter<std::io::Cursor<Vec<u8>>>, Bid) -> Vec<Bid>,
    ) -> (Vec<u8>, Vec<Bid>) {
        let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::None, FileKind::Pst);
        let leaf = w.add_block(&[7u8; LEAF]).unwrap();
        let roots = trees(&mut w, leaf);
        for (i, root) in roots.iter().enumerate() {
            let nid = Nid::new(NidType::NormalMessage, 0x400 + i as u32);
            w.add_node(nid, *root, Bid(0), Nid(0x122));
        }
        (w.finish_bytes(), roots)
    }

    fn problem(r: Result<DataTree>) -> (Structure, Option<u64>, Problem) {
        match r {
            Err(NdbError::Corrupt(c)) => (c.structure, c.id, c.problem),
            Err(e) => panic!("{e}"),
            Ok(t) => panic!("read, {} bytes", t.size),
        }
    }

    /// A stream is at most four times the file (each block stored once,
    /// compressed at most fourfold): exactly that reads, a byte more is a
    /// tree naming blocks over and over.
    #[test]
    fn a_data_tree_may_hold_four_times_the_file_and_no_more() {
        let (mut bytes, roots) =
            file_with(|w, leaf| vec![w.add_xblock(1, &[(leaf, LEAF); 500]).unwrap()]);
        assert!(bytes.len() * 4 < 500 * LEAF);
        // Bytes past the file's end make the limit.
        bytes.resize(500 * LEAF / 4, 0);
        let file = NdbFile::new(&bytes[..]).unwrap();
        let tree = file.ndb().data_tree(roots[0]).unwrap();
        assert_eq!((tree.leaves.len(), tree.size), (500, 500 * LEAF as u64));

        bytes.pop();
        let file = NdbFile::new(&bytes[..]).unwrap();
        let (structure, _, p) = problem(file.ndb().data_tree(roots[0]));
        assert_eq!(structure, Structure::DataBlock);
        assert_eq!(p, Problem::Invalid("data tree larger than the file"));
    }

    /// Levels: an XBLOCK (1) under an XXBLOCK (2) at most; the error
    /// gives the deepest level the block's place allows.
    #[test]
    fn a_data_tree_is_refused_a_level_too_deep_with_the_level_allowed() {
        let (bytes, roots) = file_with(|w, leaf| {
            let x = w.add_xblock(1, &[(leaf, LEAF)]).unwrap();
            let xx = w.add_xblock(2, &[(x, LEAF)]).unwrap();
            vec![
                xx,
                w.add_xblock(3, &[(xx, LEAF)]).unwrap(),
                w.add_xblock(2, &[(xx, LEAF)]).unwrap(),
            ]
        });
        let file = NdbFile::new(&bytes[..]).unwrap();
        let ndb = file.ndb();
        assert_eq!(ndb.data_tree(roots[0]).unwrap().size, LEAF as u64);
        for (root, bad, allowed) in [(roots[1], roots[1], 2), (roots[2], roots[0], 1)] {
            let (structure, id, p) = problem(ndb.data_tree(root));
            assert_eq!((structure, id), (Structure::DataTree, Some(bad.0)));
            assert_eq!(
                p,
                Problem::Size {
                    what: "data tree level",
                    expected: allowed,
                    found: allowed + 1,
                }
            );
        }
    }

    /// A recorded total (`lcbTotal`) that differs from the leaves is an
    /// error giving the leaves' sum; one past what any stream of the file
    /// can hold is a damaged field, and the leaves give the size.
    #[test]
    fn a_wrong_total_is_an_error_unless_no_stream_could_have_it() {
        const CLAIM: usize = 400_000;
        let (mut bytes, roots) = file_with(|w, leaf| {
            let good = w.add_xblock(1, &[(leaf, LEAF)]).unwrap();
            let wrong = w.add_xblock(1, &[(leaf, CLAIM)]).unwrap();
            vec![
                wrong,
                w.add_xblock(2, &[(good, LEAF), (wrong, LEAF)]).unwrap(),
            ]
        });
        // Four times the file is exactly the claim: a stream could hold it.
        bytes.resize(CLAIM / 4, 0);
        let file = NdbFile::new(&bytes[..]).unwrap();
        let ndb = file.ndb();
        for root in roots.iter().copied() {
            let (structure, id, p) = problem(ndb.data_tree(root));
            assert_eq!((structure, id), (Structure::DataTree, Some(roots[0].0)));
            assert_eq!(
                p,
                Problem::Size {
                    what: "data tree total (lcbTotal)",
                    expected: LEAF as u64,
                    found: CLAIM as u64,
                }
            );
        }
        // A byte less and none could: the leaves' sum stands.
        bytes.pop();
        let file = NdbFile::new(&bytes[..]).unwrap();
        assert_eq!(file.ndb().data_tree(roots[0]).unwrap().size, LEAF as u64);
        assert_eq!(
            file.ndb().data_tree(roots[1]).unwrap().size,
            2 * LEAF as u64
        );
    }

    /// Subnodes are found by id in trees of one level (an SLBLOCK) and of
    /// two (an SIBLOCK over SLBLOCKs, past 340 entries in a Unicode file),
    /// at the first, last and every entry between, and ids not there are not.
    #[test]
    fn subnodes_are_found_in_trees_of_one_and_two_levels() {
        let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::None, FileKind::Pst);
        let inner_data = w.add_block(b"inner").unwrap();
        let inner_nid = Nid::new(NidType::Attachment, 1);
        let inner = w
            .add_subnode_tree(&[(inner_nid, inner_data, Bid(0))])
            .unwrap();
        // Every other index, so that ids between entries are missing.
        let at = |i: u32| Nid::new(NidType::Attachment, 0x10 + 2 * i);
        let mut entries = Vec::new();
        for i in 0..400u32 {
            let data = w.add_block(format!("subnode {i}").as_bytes()).unwrap();
            entries.push((at(i), data, if i == 0 { inner } else { Bid(0) }));
        }
        let two = w.add_subnode_tree(&entries).unwrap();
        let one = w.add_subnode_tree(&entries[..3]).unwrap();
        let stream = vec![5u8; 20_000];
        let big = Nid::new(NidType::NormalMessage, 0x400);
        let small = Nid::new(NidType::NormalMessage, 0x401);
        let data = w.add_stream(&stream).unwrap();
        w.add_node(big, data, two, Nid(0x122));
        let data = w.add_stream(&stream).unwrap();
        w.add_node(small, data, one, Nid(0x122));
        let bytes = w.finish_bytes();
        let file = NdbFile::new(&bytes[..]).unwrap();
        let ndb = file.ndb();

        for (nid, root, n) in [(big, two, 400), (small, one, 3)] {
            let node = ndb.node(nid).unwrap();
            assert_eq!(node.subnode_root(), root);
            let listed: Vec<_> = entries[..n]
                .iter()
                .map(|&(nid, data, sub)| SubnodeEntry { nid, data, sub })
                .collect();
            assert_eq!(node.subnode_entries().unwrap(), listed);
            assert_eq!(node.subnodes().entries().unwrap(), listed);
            for (i, e) in listed.iter().enumerate() {
                assert_eq!(node.subnodes().lookup(e.nid).unwrap(), Some(*e), "{i}");
                let sub = node.subnode(e.nid).unwrap();
                assert_eq!(sub.read_all().unwrap(), format!("subnode {i}").as_bytes());
                assert_eq!(sub.subnode_root(), e.sub);
                // Ids between two entries, and past the last, are not there.
                let between = Nid(e.nid.0 + 32);
                assert_eq!(node.subnodes().lookup(between).unwrap(), None);
            }
            assert_eq!(
                node.subnodes()
                    .lookup(Nid::new(NidType::Attachment, 1))
                    .unwrap(),
                None
            );
            let first = node.subnode(at(0)).unwrap();
            assert_eq!(
                first.subnode(inner_nid).unwrap().read_all().unwrap(),
                b"inner"
            );

            // Three blocks: read one by one, and listed.
            assert_eq!(
                node.leaves(),
                ndb.data_tree(ndb.node_entry(nid).unwrap().data)
                    .unwrap()
                    .leaves
            );
            let blocks: Vec<_> = node.blocks().map(|b| b.unwrap().into_owned()).collect();
            assert_eq!(blocks.len(), 3);
            assert_eq!(blocks.concat(), stream);
            match node.block(3) {
                Err(NdbError::Corrupt(c)) => {
                    assert_eq!(
                        (c.structure, c.id),
                        (Structure::Node, Some(u64::from(nid.0)))
                    );
                    assert_eq!(
                        c.problem,
                        Problem::Size {
                            what: "block index",
                            expected: 3,
                            found: 3
                        }
                    );
                }
                other => panic!("{:?}", other.map(|b| b.len())),
            }
        }
    }

    /// An SIBLOCK whose child is another SIBLOCK is damage, named by the
    /// child's id, whether one subnode or all are asked for.
    #[test]
    fn an_siblock_under_an_siblock_is_refused() {
        let f = Format::UNICODE;
        let mut w = NdbWriter::in_memory(f, CryptMethod::None, FileKind::Pst);
        let mut entries = Vec::new();
        for i in 0..400u32 {
            let data = w.add_block(&[1]).unwrap();
            entries.push((Nid::new(NidType::Attachment, 0x10 + i), data, Bid(0)));
        }
        let si = w.add_subnode_tree(&entries).unwrap();
        // An SIBLOCK naming the first one as its only child.
        let mut b = vec![0u8; f.subnode_header_size() + 2 * f.id_size];
        b[0] = 2;
        b[1] = 1;
        b[2] = 1;
        let first = u64::from(entries[0].0 .0);
        b[f.subnode_header_size()..][..8].copy_from_slice(&first.to_le_bytes());
        b[f.subnode_header_size() + 8..][..8].copy_from_slice(&si.0.to_le_bytes());
        let top = w.put_block(&b, true).unwrap();
        let nid = Nid::new(NidType::NormalMessage, 0x400);
        let data = w.add_block(b"message").unwrap();
        w.add_node(nid, data, top, Nid(0x122));
        let bytes = w.finish_bytes();
        let file = NdbFile::new(&bytes[..]).unwrap();
        let node = file.ndb().node(nid).unwrap();
        let refused = |r: Result<()>| match r {
            Err(NdbError::Corrupt(c)) => {
                assert_eq!((c.structure, c.id), (Structure::SubnodeTree, Some(si.0)));
                assert_eq!(
                    c.problem,
                    Problem::Invalid("SIBLOCK child is not an SLBLOCK")
                );
            }
            other => panic!("{other:?}"),
        };
        refused(node.subnodes().lookup(entries[5].0).map(drop));
        refused(node.subnode(entries[5].0).map(drop));
        refused(node.subnodes().entries().map(drop));
        refused(node.subnode_entries().map(drop));
    }

    /// A node's blocks are read with their CRCs checked, unless the view
    /// was told another reader checks them.
    #[test]
    fn a_node_s_blocks_are_read_with_their_crcs_checked() {
        let (mut bytes, roots) = file_with(|_, leaf| vec![leaf]);
        let ib = NdbFile::new(&bytes[..])
            .unwrap()
            .ndb()
            .block_entry(roots[0])
            .unwrap()
            .bref
            .ib;
        bytes[ib.0 as usize] ^= 1;
        let file = NdbFile::new(&bytes[..]).unwrap();
        let nid = Nid::new(NidType::NormalMessage, 0x400);
        let node = file.ndb().node(nid).unwrap();
        match node.block(0) {
            Err(NdbError::Corrupt(c)) => {
                assert_eq!(c.structure, Structure::DataBlock);
                assert!(matches!(c.problem, Problem::Crc { .. }), "{c}");
            }
            other => panic!("{:?}", other.map(|b| b.len())),
        }
        assert!(node.read_all().is_err());
        let trusting = file.ndb().trusting_block_crcs().node(nid).unwrap();
        assert_eq!(trusting.block(0).unwrap()[1..], [7u8; LEAF - 1]);
    }

    /// The handles show which file and object they are, not the bytes.
    #[test]
    fn handles_show_what_they_are() {
        use std::io::Read;
        let (bytes, roots) = file_with(|_, leaf| vec![leaf]);
        let file = NdbFile::new(&bytes[..]).unwrap();
        let ndb = file.ndb();
        let node = ndb.node(Nid::new(NidType::NormalMessage, 0x400)).unwrap();
        let mut reader = node.reader();
        reader.read_exact(&mut [0; 10]).unwrap();
        let shown = [
            format!("{file:?}"),
            format!("{ndb:?}"),
            format!("{node:?}"),
            format!("{:?}", ndb.subnode_tree(roots[0])),
            format!("{reader:?}"),
        ];
        assert_eq!(
            shown,
            [
                "NdbFile { kind: Pst, variant: Unicode, recovered: false, .. }".to_string(),
                format!(
                    "Ndb {{ variant: Unicode, len: {}, recovered: false, .. }}",
                    bytes.len()
                ),
                format!("Node {{ nid: Nid(0x8004), size: {LEAF}, blocks: 1, sub: Bid(0x0), .. }}"),
                format!("SubnodeTree {{ root: {:?}, .. }}", roots[0]),
                "NodeReader { nid: Nid(0x8004), block: 1, at: 10, .. }".to_string(),
            ]
        );
    }

    /// A reader gives the stream as `read_all` does, across block ends,
    /// whatever the size of the reads, then its end.
    #[test]
    fn a_reader_gives_the_stream_across_its_blocks() {
        use std::io::Read;
        let stream: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::None, FileKind::Pst);
        let data = w.add_stream(&stream).unwrap();
        let nid = Nid::new(NidType::NormalMessage, 0x400);
        w.add_node(nid, data, Bid(0), Nid(0x122));
        let bytes = w.finish_bytes();
        let file = NdbFile::new(&bytes[..]).unwrap();
        let node = file.ndb().node(nid).unwrap();
        assert_eq!(node.block_count(), 3);
        for step in [1, 7, 4096, 8176, 20_000, 30_000] {
            let mut reader = node.reader();
            let mut got = Vec::new();
            let mut buf = vec![0u8; step];
            loop {
                let n = reader.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                assert!(got.len() <= stream.len(), "{step}");
            }
            assert_eq!(got, stream, "{step}");
            assert_eq!(reader.read(&mut buf).unwrap(), 0);
        }
    }
}
