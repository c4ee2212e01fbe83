//! Writing new PST and OST files: a store with every mandatory node, folders
//! and messages with recipients, attachments, embedded messages and named
//! properties.
//!
//! [`PstWriter`] appends each message's blocks as it is added; the
//! folders' table rows (about 380 bytes per message) wait, up to
//! [`ROW_BUDGET`] in memory and the rest in a temporary file beside the
//! output, until [`PstWriter::finish`] writes the folders, the tables, the
//! store and the B-trees. The file is written to a temporary name beside the destination,
//! verified, and renamed into place only when complete: a failed or
//! interrupted write never leaves a file at the destination.
//!
//! Here: the options, the folders, the mandatory nodes and finishing;
//! `item.rs` writes a message's nodes, `rows.rs` keeps the contents rows.

mod item;
pub mod names;
mod rows;
mod sink;
pub mod templates;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pstkit_ltp::write::{NodeData, PcBuilder, TcBuilder};
use pstkit_ltp::{FileTime, PropId, PropTag, PropValue, PropertyContext};
use pstkit_ndb::spill::{SpillFile, SpillMaker};
use pstkit_ndb::write::NdbWriter;
use pstkit_ndb::{Bid, CryptMethod, FileKind, Format, NdbFile, Nid, NidType, StoredNode, Variant};

use crate::error::{Result, StoreError};
use crate::names::{NameMap, NamedProp};
use crate::pid;
use names::NameMapBuilder;
pub use pstkit_output::Replace;
use pstkit_output::TempFile;
use rows::RowBuf;
use sink::FileSink;

/// How a new file is made.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WriterOptions {
    /// PST or OST.
    pub kind: FileKind,
    /// The variant: Unicode (the default) or the 4K-page OST.
    pub format: Format,
    /// Block encoding.
    pub crypt: CryptMethod,
    /// The store's display name.
    pub display_name: String,
    /// The store's record key (provider UID, part of every EntryID); `None`
    /// derives one from the display name and the time, so files differ.
    pub record_key: Option<[u8; 16]>,
    /// Time recorded on objects that carry none (creation, modification).
    pub timestamp: FileTime,
    /// Extra properties of the message store (the OST mailbox binding).
    pub store_properties: Vec<(PropTag, PropValue)>,
    /// Whether an existing destination may be replaced (`--force`); by
    /// default [`PstWriter::create`] refuses one.
    pub replace: Replace,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            kind: FileKind::Pst,
            format: Format::UNICODE,
            crypt: CryptMethod::Permute,
            display_name: "Personal Folders".into(),
            record_key: None,
            timestamp: crate::now(),
            store_properties: Vec::new(),
            replace: Replace::Never,
        }
    }
}

/// A message to write: its properties, recipient rows and attachments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewMessage {
    /// Properties (named ones with ids from [`PstWriter::named_prop`]).
    pub props: Vec<(PropTag, PropValue)>,
    /// One property list per recipient (PidTagRecipientType, display name, …).
    pub recipients: Vec<Vec<(PropTag, PropValue)>>,
    /// Attachments, in order.
    pub attachments: Vec<NewAttachment>,
}

/// An attachment to write.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewAttachment {
    /// Properties (file name, MIME type, content id, …).
    pub props: Vec<(PropTag, PropValue)>,
    /// The attached content.
    pub content: AttachContent,
}

/// What an attachment holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum AttachContent {
    /// Nothing (a reference, or a damaged source).
    #[default]
    None,
    /// Bytes (PidTagAttachDataBinary).
    Data(Vec<u8>),
    /// An embedded message (PidTagAttachDataObject).
    Message(Box<NewMessage>),
    /// A stored object other than a message, such as an OLE compound file
    /// (PidTagAttachDataObject, method 6).
    Object(Vec<u8>),
    /// Bytes as another file of the same variant and a key-independent
    /// encoding stored them, copied block by block without decoding.
    Stored(StoredStream),
    /// Bytes already written into this file, as they were read, by a
    /// [`DataStream`]: the data tree `bid` of `size` bytes. The attachment
    /// then takes the tree as its value; large attachments are copied so
    /// without ever being held whole.
    Written {
        /// The data tree's root block.
        bid: Bid,
        /// The bytes it holds.
        size: u64,
    },
}

/// A large value's data blocks as stored in a file: copied to a file of the
/// same variant whose encoding is the same and not keyed by block id (none
/// or permute), they need no decoding, re-encoding or new CRC.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredStream {
    /// The variant whose block layout the bytes follow.
    pub variant: Option<Variant>,
    /// The encoding of the bytes.
    pub crypt: Option<CryptMethod>,
    /// (stored bytes, their CRC, inflated size) per block, in order.
    pub blocks: Vec<(Vec<u8>, u32, u16)>,
}

impl StoredStream {
    /// Whether a file of this variant and encoding can take the blocks as
    /// they are.
    pub fn fits(&self, variant: Variant, crypt: CryptMethod) -> bool {
        match (self.variant, self.crypt) {
            (Some(v), Some(c)) => pstkit_ndb::stored::can_move_stored(v, c, variant, crypt),
            _ => false,
        }
    }
}

/// A large value written into the file as it is read, before the item
/// that holds it ([`AttachContent::Written`]): bytes go out a block at a
/// time, so that memory holds one block, and the data tree above them is
/// written at the end.
pub struct DataStream<'w> {
    w: &'w mut PstWriter,
    /// Plain bytes not yet a whole block.
    pending: Vec<u8>,
    /// Each block written and the bytes it holds.
    leaves: Vec<(Bid, usize)>,
    /// Whether blocks are taken as stored ([`DataStream::push_stored`])
    /// rather than as plain bytes ([`DataStream::push`]).
    stored: bool,
    size: u64,
}

impl DataStream<'_> {
    /// Appends plain bytes (any amount: they are cut into this file's
    /// blocks).
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<()> {
        if self.stored {
            return Err(StoreError::invalid(
                Nid(0),
                "plain bytes pushed into a stream of stored blocks",
            ));
        }
        let cap = self.w.ndb().format().max_block_data();
        self.size += bytes.len() as u64;
        while !bytes.is_empty() {
            let take = (cap - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.pending.len() == cap {
                let bid = self.w.ndb().add_block(&self.pending)?;
                self.leaves.push((bid, cap));
                self.pending.clear();
            }
        }
        Ok(())
    }

    /// Appends a block as a file of this file's variant and a
    /// key-independent encoding stored it ([`StoredStream::fits`] says
    /// which): its bytes, CRC and inflated size, written unchanged.
    pub fn push_stored(&mut self, stored: &[u8], crc: u32, inflated: u16) -> Result<()> {
        if !self.stored {
            return Err(StoreError::invalid(
                Nid(0),
                "a stored block pushed into a stream of plain bytes",
            ));
        }
        let bid = self.w.ndb().add_stored_block(stored, crc, inflated)?;
        self.leaves.push((bid, usize::from(inflated)));
        self.size += u64::from(inflated);
        Ok(())
    }

    /// Writes what is pending and the tree above the blocks: the tree's
    /// root and the bytes it holds.
    pub fn finish(mut self) -> Result<(Bid, u64)> {
        if !self.pending.is_empty() {
            let bid = self.w.ndb().add_block(&self.pending)?;
            self.leaves.push((bid, self.pending.len()));
        }
        let bid = match self.leaves.as_slice() {
            [] => Bid(0),
            [one] => one.0,
            many => self.w.ndb().add_tree(many)?,
        };
        Ok((bid, self.size))
    }
}

/// Well-known folders of every new store.
#[derive(Clone, Copy, Debug)]
pub struct StandardFolders {
    /// The root folder (0x122).
    pub root: Nid,
    /// "Top of Personal Folders": where user folders go.
    pub ipm_subtree: Nid,
    /// Deleted Items.
    pub deleted_items: Nid,
    /// Search Root.
    pub search_root: Nid,
}

/// A written node: its data block and its subnode tree.
/// A message or attachment as written: data block, subnode tree, the
/// properties as written (for table rows), and its size on disk (the
/// decoded bytes of its node and of every subnode below it).
type Written = (Bid, Bid, Vec<(PropTag, PropValue)>, u64);
/// Subnode entries a node needs: (subnode, data, its own subnodes).
type SubnodeEntries = Vec<(Nid, Bid, Bid)>;

/// Bytes of table rows all folders keep in memory; beyond it they are
/// appended to the row spill file.
pub const ROW_BUDGET: usize = 4 << 20;

struct FolderState {
    parent: Nid,
    name: String,
    class: Option<String>,
    children: Vec<Nid>,
    rows: RowBuf,
    assoc_rows: RowBuf,
    unread: i32,
}

impl std::fmt::Debug for PstWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PstWriter")
            .field("dest", &self.dest)
            .field("variant", &self.variant)
            .field("folders", &self.folders.len())
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}

/// Writes a new PST or OST file; see the module documentation.
pub struct PstWriter {
    ndb: Option<NdbWriter<FileSink>>,
    variant: Variant,
    options: WriterOptions,
    record_key: [u8; 16],
    folders: BTreeMap<Nid, FolderState>,
    names: NameMapBuilder,
    standard: StandardFolders,
    tmp: TempFile,
    dest: PathBuf,
    items: u64,
    /// Decoded bytes of node data written so far: a message's size on disk
    /// is the growth of this across its writing.
    written_size: u64,
    /// Where rows over [`ROW_BUDGET`] go (`DST.rows.pstkit-PID.tmp`), its
    /// length, and the row bytes in memory.
    row_spill: Option<TempFile>,
    row_spill_end: u64,
    rows_in_memory: usize,
    row_budget: usize,
    /// Rows added to a folder table between two flushes of its builder.
    table_flush_rows: usize,
}

/// A spill file of the NDB writer: a temporary file like the output's own
/// (`DST.spill-N.pstkit-PID.tmp`), removed when dropped, on a signal and by
/// the next run's sweep.
struct SpillTemp(TempFile);

impl std::io::Read for SpillTemp {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.file().read(buf)
    }
}

impl std::io::Write for SpillTemp {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.file().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::io::Seek for SpillTemp {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.0.file().seek(pos)
    }
}

/// Spill files for the B-tree entries of the file written at `dest`,
/// beside it.
fn spill_beside(dest: &Path) -> SpillMaker {
    let dest = dest.to_path_buf();
    let mut n = 0u32;
    Box::new(move || {
        n += 1;
        let mut name = dest.as_os_str().to_owned();
        name.push(format!(".spill-{n}"));
        let t = TempFile::beside(Path::new(&name)).map_err(std::io::Error::other)?;
        Ok(Box::new(SpillTemp(t)) as Box<dyn SpillFile>)
    })
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

/// A record key that differs between files (FNV-1a of the name and time).
fn derive_key(seed: &str, t: FileTime) -> [u8; 16] {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    let mut out = [0u8; 16];
    for (i, b) in seed.bytes().chain(t.0.to_le_bytes()).enumerate() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01B3);
        out[i % 16] ^= (h >> 24) as u8;
    }
    for (i, b) in h.to_le_bytes().iter().enumerate() {
        out[i + 8] ^= b;
    }
    out
}

impl PstWriter {
    /// Starts writing `path`. The bytes go to a temporary file beside it until
    /// [`PstWriter::finish`] has verified them. An existing `path` is refused
    /// here already (unless [`WriterOptions::replace`] allows it), before any
    /// work.
    pub fn create(path: impl AsRef<Path>, options: WriterOptions) -> Result<PstWriter> {
        let dest = path.as_ref().to_path_buf();
        pstkit_output::check_destination(&dest, options.replace, &[])?;
        let tmp = TempFile::beside(&dest)?;
        let file = tmp.file().try_clone().map_err(io(tmp.path()))?;
        let out = FileSink::new(file).map_err(io(tmp.path()))?;
        let mut ndb = NdbWriter::new(out, options.format, options.crypt, options.kind)?;
        ndb.set_spill(spill_beside(&dest));
        let record_key = options
            .record_key
            .unwrap_or_else(|| derive_key(&options.display_name, options.timestamp));
        let mut w = PstWriter {
            ndb: Some(ndb),
            variant: options.format.variant,
            options,
            record_key,
            folders: BTreeMap::new(),
            names: NameMapBuilder::with_defaults(),
            standard: StandardFolders {
                root: Nid::ROOT_FOLDER,
                ipm_subtree: Nid(0),
                deleted_items: Nid(0),
                search_root: Nid(0),
            },
            tmp,
            dest,
            items: 0,
            written_size: 0,
            row_spill: None,
            row_spill_end: 0,
            rows_in_memory: 0,
            row_budget: ROW_BUDGET,
            table_flush_rows: rows::FLUSH_ROWS,
        };
        w.folders.insert(
            Nid::ROOT_FOLDER,
            FolderState {
                parent: Nid::ROOT_FOLDER,
                name: String::new(),
                class: None,
                children: Vec::new(),
                rows: RowBuf::default(),
                assoc_rows: RowBuf::default(),
                unread: 0,
            },
        );
        let ipm = w.add_folder_named(Nid::ROOT_FOLDER, "Top of Personal Folders", None)?;
        let search = w.add_folder_named(Nid::ROOT_FOLDER, "Search Root", None)?;
        let deleted = w.add_folder_named(ipm, "Deleted Items", Some("IPF.Note"))?;
        w.standard = StandardFolders {
            root: Nid::ROOT_FOLDER,
            ipm_subtree: ipm,
            deleted_items: deleted,
            search_root: search,
        };
        Ok(w)
    }

    /// Sets how many rows a folder table takes between two flushes to the
    /// file (at least 1); for tests of tables written as they are built.
    #[doc(hidden)]
    pub fn set_table_flush_rows(&mut self, rows: usize) {
        self.table_flush_rows = rows.max(1);
    }

    /// Sets how many B-tree entries the NDB writer, and how many bytes of
    /// table rows this writer, keep in memory before spilling them beside
    /// the output; for tests of the spill files.
    #[doc(hidden)]
    pub fn set_spill_limits(&mut self, limits: pstkit_ndb::spill::SpillLimits, row_budget: usize) {
        self.ndb().set_spill_limits(limits);
        self.row_budget = row_budget;
    }

    fn ndb(&mut self) -> &mut NdbWriter<FileSink> {
        // Present from create until finish consumes the writer.
        self.ndb.as_mut().expect("writer used after finish")
    }

    /// The folders every store has.
    pub fn standard_folders(&self) -> StandardFolders {
        self.standard
    }

    /// The id this file uses for a named property (assigned on first use).
    pub fn named_prop(&mut self, np: &NamedProp) -> Result<PropId> {
        self.names
            .id(np)
            .ok_or_else(|| StoreError::invalid(Nid::NAME_TO_ID_MAP, "named-property ids used up"))
    }

    /// The name behind a named-property id of this file.
    pub fn name_of(&self, id: PropId) -> Option<&NamedProp> {
        self.names.name_of(id)
    }

    fn add_folder_named(&mut self, parent: Nid, name: &str, class: Option<&str>) -> Result<Nid> {
        if !self.folders.contains_key(&parent) {
            return Err(StoreError::invalid(
                parent,
                "parent folder was not written here",
            ));
        }
        let nid = self.ndb().new_nid(NidType::NormalFolder);
        self.folders.insert(
            nid,
            FolderState {
                parent,
                name: name.to_string(),
                class: class.map(str::to_string),
                children: Vec::new(),
                rows: RowBuf::default(),
                assoc_rows: RowBuf::default(),
                unread: 0,
            },
        );
        if let Some(p) = self.folders.get_mut(&parent) {
            p.children.push(nid);
        }
        Ok(nid)
    }

    /// Adds a folder under `parent` (a folder of this file).
    pub fn add_folder(&mut self, parent: Nid, name: &str, class: Option<&str>) -> Result<Nid> {
        self.add_folder_named(parent, name, class)
    }

    /// Renames a folder of this file (a standard folder, to keep a source's
    /// own names when copying).
    pub fn rename_folder(&mut self, folder: Nid, name: &str) -> Result<()> {
        let f = self
            .folders
            .get_mut(&folder)
            .ok_or_else(|| StoreError::invalid(folder, "folder was not written here"))?;
        f.name = name.to_string();
        Ok(())
    }

    /// Writes a message into `folder` now; returns its node id.
    pub fn add_message(&mut self, folder: Nid, m: &NewMessage) -> Result<Nid> {
        self.add_item(folder, m, false)
    }

    /// Writes a folder-associated (hidden) message into `folder`.
    pub fn add_associated(&mut self, folder: Nid, m: &NewMessage) -> Result<Nid> {
        self.add_item(folder, m, true)
    }

    fn add_item(&mut self, folder: Nid, m: &NewMessage, assoc: bool) -> Result<Nid> {
        let nid = self.new_item_nid(folder, assoc)?;
        let (data, sub, props, _) = self.write_message(m, nid)?;
        self.ndb().add_node(nid, data, sub, folder);
        self.push_row(folder, nid, props, assoc);
        self.spill_rows()?;
        Ok(nid)
    }

    fn new_item_nid(&mut self, folder: Nid, assoc: bool) -> Result<Nid> {
        if !self.folders.contains_key(&folder) {
            return Err(StoreError::invalid(folder, "folder was not written here"));
        }
        let kind = if assoc {
            NidType::AssocMessage
        } else {
            NidType::NormalMessage
        };
        Ok(self.ndb().new_nid(kind))
    }

    /// Makes this file's named-property ids those of a source map, so that
    /// items moved as stored ([`PstWriter::add_stored_item`]) keep their
    /// meaning. Only before any name is used, and only for a map whose ids
    /// run from 0x8000 without gaps or repeated names; returns whether the
    /// ids are now the same.
    pub fn adopt_names(&mut self, src: &NameMap) -> bool {
        // Nothing named yet but the default name.
        let second = PropId(pid::FIRST_NAMED_ID.0 + 1);
        let fresh = self.names.name_of(second).is_none();
        if self.items > 0 || src.damaged > 0 || !fresh {
            return false;
        }
        let mut entries: Vec<(PropId, &NamedProp)> = src.iter().collect();
        entries.sort_by_key(|e| e.0);
        let contiguous = entries
            .iter()
            .enumerate()
            .all(|(i, (id, _))| usize::from(id.0) == usize::from(pid::FIRST_NAMED_ID.0) + i);
        if !contiguous {
            return false;
        }
        let mut b = NameMapBuilder::default();
        for (id, np) in &entries {
            if b.id(np) != Some(*id) {
                return false;
            }
        }
        // The name every store gets, after the source's (libpff needs one).
        let _ = b.id(&NameMapBuilder::default_name());
        self.names = b;
        true
    }

    /// Writes an item moved from another file as stored (see
    /// [`pstkit_ndb::StoredNode`]): its blocks are written unchanged, so
    /// its properties, recipients and attachments are the source's, byte
    /// for byte. `props` is the item's property context in the source: its
    /// folder-table row is taken from it as stored, not decoded. The source
    /// must use this file's variant and encoding and, for named
    /// properties, ids this file has adopted ([`PstWriter::adopt_names`]).
    pub fn add_stored_item(
        &mut self,
        folder: Nid,
        node: &StoredNode<'_>,
        props: &PropertyContext<'_>,
        assoc: bool,
    ) -> Result<Nid> {
        let nid = self.new_item_nid(folder, assoc)?;
        let (data, sub) = self.ndb().add_stored_node(node)?;
        self.ndb().add_node(nid, data, sub, folder);
        self.push_stored_row(folder, nid, props, assoc);
        self.spill_rows()?;
        Ok(nid)
    }

    /// A large value to write as it is read (see [`DataStream`]), as plain
    /// bytes.
    pub fn data_stream(&mut self) -> DataStream<'_> {
        DataStream {
            w: self,
            pending: Vec::new(),
            leaves: Vec::new(),
            stored: false,
            size: 0,
        }
    }

    /// A large value to write as it is read, as blocks stored by a file of
    /// `variant` and `crypt`; an error when this file cannot take such
    /// blocks unchanged.
    pub fn stored_stream(
        &mut self,
        variant: Variant,
        crypt: CryptMethod,
    ) -> Result<DataStream<'_>> {
        if !pstkit_ndb::stored::can_move_stored(variant, crypt, self.variant, self.options.crypt) {
            return Err(StoreError::invalid(
                Nid(0),
                "stored blocks of another variant or encoding cannot be copied as they are",
            ));
        }
        Ok(DataStream {
            w: self,
            pending: Vec::new(),
            leaves: Vec::new(),
            stored: true,
            size: 0,
        })
    }

    /// Writes a node's heap pages and large values; returns its data block and
    /// the subnode entries its values need.
    fn write_node_data(&mut self, d: NodeData) -> Result<(Bid, SubnodeEntries)> {
        self.written_size += d.stored_size();
        Ok(d.write_parts(self.ndb())?)
    }

    fn subnode_tree(&mut self, mut subs: Vec<(Nid, Bid, Bid)>) -> Result<Bid> {
        if subs.is_empty() {
            return Ok(Bid(0));
        }
        subs.sort_by_key(|s| s.0);
        Ok(self.ndb().add_subnode_tree(&subs)?)
    }

    /// Writes a table node's data; returns (data, subnode tree).
    fn write_table(&mut self, tc: TcBuilder) -> Result<(Bid, Bid)> {
        let (data, subs) = self.write_node_data(tc.finish())?;
        let sub = self.subnode_tree(subs)?;
        Ok((data, sub))
    }

    fn entry_id(&self, nid: Nid) -> Vec<u8> {
        let mut e = vec![0u8; 4];
        e.extend_from_slice(&self.record_key);
        e.extend_from_slice(&nid.0.to_le_bytes());
        e
    }

    fn write_pc(&mut self, nid: Nid, parent: Nid, props: &[(PropTag, PropValue)]) -> Result<()> {
        let mut pc = PcBuilder::new(self.variant);
        for (t, v) in props {
            pc.set(*t, v.clone());
        }
        let (data, subs) = self.write_node_data(pc.finish())?;
        let sub = self.subnode_tree(subs)?;
        self.ndb().add_node(nid, data, sub, parent);
        Ok(())
    }

    fn write_empty_table(&mut self, nid: Nid, columns: &[PropTag]) -> Result<()> {
        let tc = TcBuilder::new(self.variant, columns);
        let (data, sub) = self.write_table(tc)?;
        self.ndb().add_node(nid, data, sub, Nid(0));
        Ok(())
    }

    fn folder_props(&self, nid: Nid) -> Vec<(PropTag, PropValue)> {
        let f = &self.folders[&nid];
        let mut p = vec![
            (pid::tags::DISPLAY_NAME, PropValue::String(f.name.clone())),
            (
                pid::tags::CONTENT_COUNT,
                PropValue::Int32(f.rows.count as i32),
            ),
            (pid::tags::CONTENT_UNREAD_COUNT, PropValue::Int32(f.unread)),
            (
                pid::tags::SUBFOLDERS,
                PropValue::Boolean(!f.children.is_empty()),
            ),
        ];
        if let Some(c) = &f.class {
            p.push((pid::tags::CONTAINER_CLASS, PropValue::String(c.clone())));
        }
        p
    }

    fn write_folders(&mut self) -> Result<()> {
        let nids: Vec<Nid> = self.folders.keys().copied().collect();
        for nid in nids {
            let props = self.folder_props(nid);
            let parent = self.folders[&nid].parent;
            self.write_pc(nid, parent, &props)?;
            let mut ht = TcBuilder::new(self.variant, templates::HIERARCHY);
            let children = self.folders[&nid].children.clone();
            for c in &children {
                ht.add_row(c.0, &self.folder_props(*c));
            }
            if nid == Nid::ROOT_FOLDER {
                ht.add_row(SPAM_SEARCH_FOLDER.0, &self.spam_folder_props());
            }
            let (data, sub) = self.write_table(ht)?;
            self.ndb()
                .add_node(nid.with_kind(NidType::HierarchyTable), data, sub, Nid(0));
            let state = self.folders.get_mut(&nid).expect("listed above");
            let rows = std::mem::take(&mut state.rows);
            let assoc = std::mem::take(&mut state.assoc_rows);
            let mut ct = TcBuilder::new(self.variant, templates::CONTENTS);
            self.add_rows(&mut ct, &rows)?;
            let (data, sub) = self.write_table(ct)?;
            self.ndb()
                .add_node(nid.with_kind(NidType::ContentsTable), data, sub, Nid(0));
            let mut fai = TcBuilder::new(self.variant, templates::ASSOC_CONTENTS);
            self.add_rows(&mut fai, &assoc)?;
            let (data, sub) = self.write_table(fai)?;
            self.ndb().add_node(
                nid.with_kind(NidType::AssocContentsTable),
                data,
                sub,
                Nid(0),
            );
        }
        Ok(())
    }

    fn spam_folder_props(&self) -> Vec<(PropTag, PropValue)> {
        vec![
            (
                pid::tags::DISPLAY_NAME,
                PropValue::String("SPAM Search Folder 2".into()),
            ),
            (pid::tags::CONTENT_COUNT, PropValue::Int32(0)),
            (pid::tags::CONTENT_UNREAD_COUNT, PropValue::Int32(0)),
            (pid::tags::SUBFOLDERS, PropValue::Boolean(false)),
        ]
    }

    /// The nodes [MS-PST] requires besides folders: templates, search
    /// structures, the name map and the message store.
    fn write_mandatory(&mut self) -> Result<()> {
        // Search folder "SPAM Search Folder 2" and its queue, criteria and table.
        let spam = self.spam_folder_props();
        self.write_pc(SPAM_SEARCH_FOLDER, Nid::ROOT_FOLDER, &spam)?;
        let ndb = self.ndb();
        ndb.add_node(
            SPAM_SEARCH_FOLDER.with_kind(NidType::SearchUpdateQueue),
            Bid(0),
            Bid(0),
            Nid(0),
        );
        self.write_pc(
            SPAM_SEARCH_FOLDER.with_kind(NidType::SearchCriteriaObject),
            Nid(0),
            &[(
                pid::unpublished::tags::SEARCH_CRITERIA_VALUE,
                PropValue::Int32(0),
            )],
        )?;
        self.write_empty_table(
            SPAM_SEARCH_FOLDER.with_kind(NidType::SearchContentsTable),
            templates::SEARCH_CONTENTS,
        )?;
        // Queues and the search activity list.
        let ndb = self.ndb();
        ndb.add_node(Nid(0x1E1), Bid(0), Bid(0), Nid(0));
        let sal = ndb.add_block(&SPAM_SEARCH_FOLDER.0.to_le_bytes())?;
        ndb.add_node(Nid(0x201), sal, Bid(0), Nid(0));
        ndb.add_node(Nid(0x261), Bid(0), Bid(0), Nid(0));
        // Templates.
        self.write_empty_table(Nid(0x60D), templates::HIERARCHY)?;
        self.write_empty_table(Nid(0x60E), templates::CONTENTS)?;
        self.write_empty_table(Nid(0x60F), templates::ASSOC_CONTENTS)?;
        self.write_empty_table(Nid(0x610), templates::SEARCH_CONTENTS)?;
        self.write_empty_table(Nid::ATTACHMENT_TABLE, templates::ATTACHMENTS)?;
        self.write_empty_table(Nid::RECIPIENT_TABLE, templates::RECIPIENTS)?;
        // Named properties.
        let names = self.names.properties();
        self.write_pc(Nid::NAME_TO_ID_MAP, Nid(0), &names)?;
        // The message store.
        let s = self.standard;
        let mut store = vec![
            (
                pid::tags::RECORD_KEY,
                PropValue::Binary(self.record_key.to_vec()),
            ),
            (
                pid::tags::DISPLAY_NAME,
                PropValue::String(self.options.display_name.clone()),
            ),
            (pid::tags::VALID_FOLDER_MASK, PropValue::Int32(0x89)),
            (
                pid::tags::IPM_SUBTREE_ENTRY_ID,
                PropValue::Binary(self.entry_id(s.ipm_subtree)),
            ),
            (
                pid::tags::IPM_WASTEBASKET_ENTRY_ID,
                PropValue::Binary(self.entry_id(s.deleted_items)),
            ),
            (
                pid::tags::FINDER_ENTRY_ID,
                PropValue::Binary(self.entry_id(s.search_root)),
            ),
            (pid::tags::REPL_FLAGS, PropValue::Int32(0)),
            (pid::tags::PST_LR_NO_RESTRICTIONS, PropValue::Boolean(true)),
            (pid::tags::PST_PASSWORD, PropValue::Int32(0)),
        ];
        store.extend(self.options.store_properties.iter().cloned());
        self.write_pc(Nid::MESSAGE_STORE, Nid(0), &store)?;
        Ok(())
    }

    /// Adds properties to the message store (they replace any of the same id).
    pub fn set_store_properties(&mut self, props: Vec<(PropTag, PropValue)>) {
        self.options
            .store_properties
            .retain(|(t, _)| !props.iter().any(|(n, _)| n.id() == t.id()));
        self.options.store_properties.extend(props);
    }

    /// Messages written so far.
    pub fn item_count(&self) -> u64 {
        self.items
    }

    /// The temporary file being written (renamed to the destination by
    /// [`PstWriter::finish`]).
    pub fn temp_path(&self) -> &Path {
        self.tmp.path()
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.ndb.as_ref().map_or(0, |n| n.position())
    }

    /// Writes the folders, tables, store and B-trees; syncs; re-opens the file
    /// and checks every page, block and folder; then renames it into place.
    pub fn finish(self) -> Result<PathBuf> {
        self.finish_with(&mut |_| Ok::<(), StoreError>(()))
    }

    /// As [`PstWriter::finish`], with one more check of the complete file
    /// (opened at its temporary path) before it is renamed into place; it
    /// runs beside the file's own check, on the same map. Its error comes
    /// back as it is: the caller's own type, not one of the writer's.
    pub fn finish_with<E: From<StoreError>>(
        mut self,
        extra: &mut dyn FnMut(&NdbFile) -> std::result::Result<(), E>,
    ) -> std::result::Result<PathBuf, E> {
        self.write_folders()?;
        self.write_mandatory()?;
        let ndb = self.ndb.take().expect("finish runs once");
        let out = ndb.finish().map_err(StoreError::from)?;
        let written = out.into_file().map_err(io(self.tmp.path()))?;
        // The file's own check and the caller's run side by side, and the
        // sync to disk beside them (it mostly waits for the device): all
        // three read or flush the finished file, none depends on another's
        // result, and all must succeed before the rename.
        // One map for both checks: pages one side brings in serve the other.
        let file = NdbFile::open(self.tmp.path()).map_err(StoreError::from)?;
        let items = self.items;
        let (synced, own, theirs) = std::thread::scope(|s| {
            let synced = s.spawn(move || written.sync_all());
            let own = s.spawn(|| verify(&file, items));
            let theirs = extra(&file);
            let own = own
                .join()
                .unwrap_or_else(|_| Err(StoreError::invalid(Nid(0), "verify pass panicked")));
            let synced = synced
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("sync thread panicked")));
            (synced, own, theirs)
        });
        synced.map_err(io(self.tmp.path()))?;
        own?;
        theirs?;
        drop(file);
        self.tmp
            .publish(&self.dest, self.options.replace)
            .map_err(StoreError::from)?;
        Ok(self.dest)
    }
}

/// Stores a subject the way Outlook does: U+0001, then one character whose
/// code is the length of the prefix ("RE: ") plus one, then the subject.
/// Readers strip the two characters; libpff strips them whatever they are,
/// so a subject without the marker that starts with non-ASCII text would
/// lose its first character there.
pub fn mark_subject(subject: &str) -> String {
    if subject.starts_with('\u{1}') {
        return subject.to_string();
    }
    let prefix = subject
        .split_once(": ")
        .filter(|(p, _)| (1..=3).contains(&p.chars().count()) && p.chars().all(char::is_alphabetic))
        .map_or(0, |(p, _)| p.chars().count() + 2);
    let marker = char::from_u32(prefix as u32 + 1).unwrap_or('\u{1}');
    format!("\u{1}{marker}{subject}")
}

/// The "SPAM Search Folder 2" every Outlook store has.
const SPAM_SEARCH_FOLDER: Nid = Nid(0x2223);

/// Re-reads a written file: every page and block checks clean and every
/// message written is reachable through the folder tables.
fn verify(file: &NdbFile, items: u64) -> Result<()> {
    let report = pstkit_ndb::check::check(file.ndb());
    if let Some(p) = report.problems.first() {
        return Err(StoreError::invalid(
            Nid(0),
            format!("written file fails its check: {p}"),
        ));
    }
    let store = crate::Store::open(file.ndb())?;
    let mut found = 0u64;
    for w in store.walk() {
        let w = w.map_err(|(_, _, e)| e)?;
        found += w.folder.message_ids()?.len() as u64 + w.folder.associated_ids()?.len() as u64;
    }
    if found != items {
        return Err(StoreError::invalid(
            Nid(0),
            format!("written file lists {found} items, {items} were written"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_marked_like_outlook() {
        assert_eq!(mark_subject("Welcome"), "\u{1}\u{1}Welcome");
        assert_eq!(mark_subject("FW: Welcome"), "\u{1}\u{5}FW: Welcome");
        assert_eq!(mark_subject("報告書"), "\u{1}\u{1}報告書");
        assert_eq!(mark_subject("\u{1}\u{1}x"), "\u{1}\u{1}x");
        assert_eq!(mark_subject("Note: 12"), "\u{1}\u{1}Note: 12");
        assert_eq!(
            crate::message::normalize_subject(&mark_subject("RE: hi")),
            "RE: hi"
        );
    }
}
