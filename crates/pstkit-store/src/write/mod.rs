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

pub mod names;
mod sink;
pub mod templates;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pstkit_ltp::write::{set_inline, NodeData, PcBuilder, TcBuilder};
use pstkit_ltp::{FileTime, PropId, PropTag, PropType, PropValue, PropertyContext};
use pstkit_ndb::spill::{SpillFile, SpillMaker};
use pstkit_ndb::write::NdbWriter;
use pstkit_ndb::{Bid, CryptMethod, FileKind, Format, NdbFile, Nid, NidType, StoredNode, Variant};
use std::io::{Read as _, Seek as _, Write as _};

use crate::error::{Result, StoreError};
use crate::names::{NameMap, NamedProp};
use crate::pid;
use crate::state;
use names::NameMapBuilder;
pub use pstkit_output::Replace;
use pstkit_output::TempFile;
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

/// A folder's table rows, kept encoded back to back until the folder's
/// tables are written: the newest in memory, earlier ones in the row spill
/// file.
#[derive(Default)]
struct RowBuf {
    data: Vec<u8>,
    count: usize,
    /// (offset, length) of earlier rows in the row spill file, whole rows.
    spilled: Vec<(u64, u64)>,
}

impl RowBuf {
    /// Appends a row: id, cell count, then per cell tag, length and the
    /// stored form of the value.
    fn push_encoded<B: AsRef<[u8]>>(
        &mut self,
        id: u32,
        cells: impl IntoIterator<Item = (PropTag, B)>,
    ) {
        self.data.extend_from_slice(&id.to_le_bytes());
        let count_at = self.data.len();
        self.data.extend_from_slice(&0u32.to_le_bytes());
        let mut n = 0u32;
        for (t, bytes) in cells {
            let bytes = bytes.as_ref();
            self.data.extend_from_slice(&t.0.to_le_bytes());
            self.data
                .extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            self.data.extend_from_slice(bytes);
            n += 1;
        }
        self.data[count_at..count_at + 4].copy_from_slice(&n.to_le_bytes());
        self.count += 1;
    }
}

/// Rows as [`RowBuf::push_encoded`] stores them: (id, cells of (tag,
/// encoded value)).
fn rows_in(d: &[u8]) -> impl Iterator<Item = (u32, Vec<(PropTag, &[u8])>)> + '_ {
    let mut at = 0usize;
    let u32_at = move |i: usize| u32::from_le_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]);
    std::iter::from_fn(move || {
        if at >= d.len() {
            return None;
        }
        let id = u32_at(at);
        let n = u32_at(at + 4) as usize;
        at += 8;
        let mut cells = Vec::with_capacity(n);
        for _ in 0..n {
            let tag = PropTag(u32_at(at));
            let len = u32_at(at + 4) as usize;
            cells.push((tag, &d[at + 8..at + 8 + len]));
            at += 8 + len;
        }
        Some((id, cells))
    })
}

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

    /// Adds an item's row to its folder's contents (or associated) table.
    fn push_row(&mut self, folder: Nid, nid: Nid, props: Vec<(PropTag, PropValue)>, assoc: bool) {
        let columns = row_columns(assoc);
        let codepage =
            crate::codepage::codepage_of_props(&props).unwrap_or(crate::DEFAULT_CODEPAGE);
        let row = table_row(props, columns, codepage);
        let read = row.iter().any(|(t, v)| {
            t.id() == pid::MESSAGE_FLAGS
                && matches!(v, PropValue::Int32(f) if f & state::MSGFLAG_READ != 0)
        });
        let cells = row
            .iter()
            .map(|(t, v)| (*t, pstkit_ltp::write::encode_value(v)));
        self.store_row(folder, nid, assoc, read, cells);
    }

    /// Keeps a row (cells in their stored form) for its folder's contents
    /// or associated table, counting the item and, if unread, the folder's
    /// unread items.
    fn store_row<B: AsRef<[u8]>>(
        &mut self,
        folder: Nid,
        nid: Nid,
        assoc: bool,
        read: bool,
        cells: impl IntoIterator<Item = (PropTag, B)>,
    ) {
        let Some(f) = self.folders.get_mut(&folder) else {
            return;
        };
        let buf = if assoc {
            &mut f.assoc_rows
        } else {
            if !read {
                f.unread += 1;
            }
            &mut f.rows
        };
        let before = buf.data.len();
        buf.push_encoded(nid.0, cells);
        self.rows_in_memory += buf.data.len() - before;
        self.items += 1;
    }

    /// Moves every folder's rows in memory to the row spill file once they
    /// pass [`ROW_BUDGET`], so that rows cost no memory per item.
    fn spill_rows(&mut self) -> Result<()> {
        if self.rows_in_memory < self.row_budget {
            return Ok(());
        }
        if self.row_spill.is_none() {
            let mut name = self.dest.as_os_str().to_owned();
            name.push(".rows");
            self.row_spill = Some(TempFile::beside(Path::new(&name))?);
        }
        let spill = self.row_spill.as_ref().expect("made above");
        let mut file = spill.file();
        let path = spill.path();
        file.seek(std::io::SeekFrom::Start(self.row_spill_end))
            .map_err(io(path))?;
        for f in self.folders.values_mut() {
            for buf in [&mut f.rows, &mut f.assoc_rows] {
                if buf.data.is_empty() {
                    continue;
                }
                file.write_all(&buf.data).map_err(io(path))?;
                let len = buf.data.len() as u64;
                buf.spilled.push((self.row_spill_end, len));
                self.row_spill_end += len;
                buf.data = Vec::new();
            }
        }
        self.rows_in_memory = 0;
        Ok(())
    }

    /// Adds a folder's rows to its table: those spilled, in order, then
    /// those in memory.
    fn add_rows(&self, tc: &mut TcBuilder, rows: &RowBuf) -> Result<()> {
        if let Some(spill) = &self.row_spill {
            let mut file = spill.file();
            let mut seg = Vec::new();
            for &(at, len) in &rows.spilled {
                seg.resize(len as usize, 0);
                file.seek(std::io::SeekFrom::Start(at))
                    .map_err(io(spill.path()))?;
                file.read_exact(&mut seg).map_err(io(spill.path()))?;
                for (id, cells) in rows_in(&seg) {
                    tc.add_row_encoded(id, cells);
                }
            }
        }
        for (id, cells) in rows_in(&rows.data) {
            tc.add_row_encoded(id, cells);
        }
        Ok(())
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

    /// Adds a moved item's row: each value with a column is copied as
    /// stored (the same bytes a table cell holds); only 8-bit strings under
    /// a Unicode column are decoded, in the item's code page.
    fn push_stored_row(&mut self, folder: Nid, nid: Nid, pc: &PropertyContext<'_>, assoc: bool) {
        let columns = row_columns(assoc);
        let mut cells: Vec<(PropTag, std::borrow::Cow<'_, [u8]>)> = Vec::with_capacity(24);
        let mut read = false;
        for rec in pc.records() {
            let Some(col) = columns.iter().find(|c| c.id() == rec.tag.id()) else {
                continue;
            };
            let Ok(raw) = pc.raw_of(*rec) else { continue };
            let (ct, rt) = (col.prop_type(), rec.tag.prop_type());
            if ct == rt {
                if rt.fixed_size().is_some_and(|n| n != raw.len()) {
                    continue;
                }
                if col.id() == pid::MESSAGE_FLAGS {
                    read = raw
                        .first()
                        .is_some_and(|f| i32::from(*f) & state::MSGFLAG_READ != 0);
                }
                cells.push((*col, raw));
            } else if ct == PropType::String && rt == PropType::String8 {
                let codepage = [pid::MESSAGE_CODEPAGE, pid::INTERNET_CODEPAGE]
                    .into_iter()
                    .find_map(|id| match pc.get(id) {
                        Some(Ok(PropValue::Int32(cp))) if cp > 0 => Some(cp as u32),
                        _ => None,
                    })
                    .unwrap_or(crate::DEFAULT_CODEPAGE);
                if let Ok(PropValue::String8(s8)) = PropValue::decode(rt, &raw) {
                    let wide = PropValue::String(s8.decode(codepage));
                    cells.push((*col, pstkit_ltp::write::encode_value(&wide).into()));
                }
            }
        }
        self.store_row(folder, nid, assoc, read, cells);
    }

    /// Writes a node's heap pages and large values; returns its data block and
    /// the subnode entries its values need.
    fn write_node_data(&mut self, d: NodeData) -> Result<(Bid, SubnodeEntries)> {
        self.written_size += node_data_size(&d);
        let ndb = self.ndb();
        let data = ndb.add_chunks(&d.pages)?;
        let mut subs = Vec::with_capacity(d.subnodes.len() + d.subnode_blocks.len());
        for (nid, bytes) in &d.subnodes {
            subs.push((*nid, ndb.add_stream(bytes)?, Bid(0)));
        }
        for (nid, blocks) in &d.subnode_blocks {
            subs.push((*nid, ndb.add_chunks(blocks)?, Bid(0)));
        }
        Ok((data, subs))
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

    /// Writes a message (top-level or embedded) and returns its data block,
    /// its subnode tree and the properties as written (for table rows).
    fn write_message(&mut self, m: &NewMessage, nid: Nid) -> Result<Written> {
        self.write_message_at(m, nid, 0)
    }

    fn write_message_at(&mut self, m: &NewMessage, nid: Nid, depth: usize) -> Result<Written> {
        if depth > crate::MAX_EMBED_DEPTH {
            return Err(StoreError::invalid(
                nid,
                "embedded messages nested too deeply",
            ));
        }
        let mut props = m.props.clone();
        let now = self.options.timestamp;
        let has = |props: &[(PropTag, PropValue)], id: PropId| props.iter().any(|p| p.0.id() == id);
        let mut defaults = Vec::new();
        if !has(&props, pid::MESSAGE_CLASS) {
            defaults.push((
                pid::tags::MESSAGE_CLASS,
                PropValue::String("IPM.Note".into()),
            ));
        }
        if !has(&props, pid::MESSAGE_STATUS) {
            defaults.push((pid::tags::MESSAGE_STATUS, PropValue::Int32(0)));
        }
        for t in [pid::tags::CREATION_TIME, pid::tags::LAST_MODIFICATION_TIME] {
            if !has(&props, t.id()) {
                defaults.push((t, PropValue::Time(now)));
            }
        }
        if !has(&props, pid::SEARCH_KEY) {
            let mut key = self.record_key;
            key[12..].copy_from_slice(&nid.0.to_le_bytes());
            key[8] ^= depth as u8;
            defaults.push((pid::tags::SEARCH_KEY, PropValue::Binary(key.to_vec())));
        }
        props.extend(defaults);
        for (t, v) in props.iter_mut() {
            if t.id() == pid::SUBJECT {
                if let PropValue::String(subject) = v {
                    *subject = mark_subject(subject);
                }
            }
        }
        // The attachment flag follows the attachments actually written.
        let mut flags = props
            .iter()
            .find_map(|(t, v)| match (t.id(), v) {
                (pid::MESSAGE_FLAGS, PropValue::Int32(f)) => Some(*f),
                _ => None,
            })
            .unwrap_or(0);
        if m.attachments.is_empty() {
            flags &= !state::MSGFLAG_HASATTACH;
        } else {
            flags |= state::MSGFLAG_HASATTACH;
        }
        props.retain(|p| p.0.id() != pid::MESSAGE_FLAGS);
        props.push((pid::tags::MESSAGE_FLAGS, PropValue::Int32(flags)));

        let mut subs = Vec::new();
        // Recipients.
        // The recipient table is where recipients live: every property any
        // row has needs a column (the row's own type wins over the template's).
        let mut columns: Vec<PropTag> = Vec::new();
        for r in &m.recipients {
            for (t, _) in r {
                if !columns.iter().any(|c| c.id() == t.id()) {
                    columns.push(*t);
                }
            }
        }
        for t in templates::RECIPIENTS {
            if !columns.iter().any(|c| c.id() == t.id()) {
                columns.push(*t);
            }
        }
        columns.sort_by_key(|t| t.0);
        let mut rt = TcBuilder::new(self.variant, &columns);
        for (i, r) in m.recipients.iter().enumerate() {
            let mut cells = r.clone();
            cells.push((pid::tags::ROWID, PropValue::Int32(i as i32)));
            rt.add_row(i as u32, &cells);
        }
        // Everything written from here on is this message's, on disk.
        let size_before = self.written_size;
        let (rt_data, rt_sub) = self.write_table(rt)?;
        subs.push((Nid::RECIPIENT_TABLE, rt_data, rt_sub));
        // Attachments.
        if !m.attachments.is_empty() {
            let mut at = TcBuilder::new(self.variant, templates::ATTACHMENTS);
            for (i, a) in m.attachments.iter().enumerate() {
                let anid = Nid::new(NidType::Attachment, 0x400 + i as u32 + 1);
                let (adata, asub, aprops, _) = self.write_attachment(a, i, depth)?;
                subs.push((anid, adata, asub));
                at.add_row(anid.0, &aprops);
            }
            let (at_data, at_sub) = self.write_table(at)?;
            subs.push((Nid::ATTACHMENT_TABLE, at_data, at_sub));
        }
        // The message's own properties. PidTagMessageSize is the size on
        // disk of the message node and all its subnodes, as Outlook 2007 SP2
        // and later record it (docs/check-rules.md, rule message-size): the
        // source's value described the source's layout, so it is replaced.
        // The value is inline, so the context's size does not depend on it.
        props.retain(|p| p.0.id() != pid::MESSAGE_SIZE);
        let mut pc = PcBuilder::new(self.variant);
        for (t, v) in &props {
            pc.set(*t, v.clone());
        }
        pc.set(pid::tags::MESSAGE_SIZE, PropValue::Int32(0));
        let mut finished = pc.finish();
        let size = self.written_size - size_before + node_data_size(&finished);
        let recorded = size.min(i32::MAX as u64) as i32;
        if !set_inline(
            &mut finished.pages,
            self.variant,
            pid::MESSAGE_SIZE,
            recorded as u32,
        ) {
            return Err(StoreError::invalid(
                nid,
                "message size not in the context written",
            ));
        }
        props.push((pid::tags::MESSAGE_SIZE, PropValue::Int32(recorded)));
        let (data, pc_subs) = self.write_node_data(finished)?;
        subs.extend(pc_subs);
        let sub = self.subnode_tree(subs)?;
        Ok((data, sub, props, size))
    }

    fn write_attachment(
        &mut self,
        a: &NewAttachment,
        index: usize,
        depth: usize,
    ) -> Result<Written> {
        let mut props: Vec<(PropTag, PropValue)> = a
            .props
            .iter()
            .filter(|(t, _)| t.id() != pid::ATTACH_DATA_BINARY)
            .cloned()
            .collect();
        let has = |props: &[(PropTag, PropValue)], id: PropId| props.iter().any(|p| p.0.id() == id);
        let size_before = self.written_size;
        let mut subs = Vec::new();
        let mut external = Vec::new();
        let method = match &a.content {
            AttachContent::None => None,
            AttachContent::Data(bytes) => {
                props.push((
                    pid::tags::ATTACH_DATA_BINARY,
                    PropValue::Binary(bytes.clone()),
                ));
                Some(1)
            }
            AttachContent::Message(msg) => {
                // The embedded message lives in the attachment's own subnodes.
                let enid = Nid::new(NidType::NormalMessage, 0x400 + index as u32 + 1);
                let (edata, esub, _, esize) = self.write_message_at(msg, enid, depth + 1)?;
                subs.push((enid, edata, esub));
                // ulSize is the embedded message's PidTagMessageSize.
                let size = u32::try_from(esize).unwrap_or(u32::MAX);
                props.push((
                    PropTag::new(pid::ATTACH_DATA_BINARY, PropType::Object),
                    PropValue::Object { nid: enid, size },
                ));
                Some(5)
            }
            AttachContent::Stored(stream) => {
                if !stream.fits(self.variant, self.options.crypt) {
                    return Err(StoreError::invalid(
                        Nid(0),
                        "stored blocks of another variant or encoding cannot be copied as they are",
                    ));
                }
                let snid = Nid::new(NidType::Ltp, 0x7800 + index as u32 + 1);
                let ndb = self.ndb();
                let mut leaves = Vec::with_capacity(stream.blocks.len());
                for (bytes, crc, inflated) in &stream.blocks {
                    let bid = ndb.add_stored_block(bytes, *crc, *inflated)?;
                    leaves.push((bid, usize::from(*inflated)));
                }
                let bid = match leaves.as_slice() {
                    [] => Bid(0),
                    [one] => one.0,
                    _ => ndb.add_tree(&leaves)?,
                };
                subs.push((snid, bid, Bid(0)));
                self.written_size += stream.blocks.iter().map(|b| u64::from(b.2)).sum::<u64>();
                external.push((pid::tags::ATTACH_DATA_BINARY, snid));
                Some(1)
            }
            AttachContent::Object(bytes) => {
                let onid = Nid::new(NidType::Ltp, 0x7000 + index as u32 + 1);
                let bid = self.ndb().add_stream(bytes)?;
                self.written_size += bytes.len() as u64;
                subs.push((onid, bid, Bid(0)));
                let size = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
                props.push((
                    PropTag::new(pid::ATTACH_DATA_BINARY, PropType::Object),
                    PropValue::Object { nid: onid, size },
                ));
                Some(6)
            }
        };
        if !has(&props, pid::ATTACH_METHOD) {
            props.push((
                pid::tags::ATTACH_METHOD,
                PropValue::Int32(method.unwrap_or(0)),
            ));
        }
        if !has(&props, pid::RENDERING_POSITION) {
            props.push((pid::tags::RENDERING_POSITION, PropValue::Int32(-1)));
        }
        // PidTagAttachSize: the sizes of all the attachment's values, its
        // data and itself included, as in every real sample (rule
        // attach-size in docs/check-rules.md).
        props.retain(|p| p.0.id() != pid::ATTACH_SIZE);
        let external_size: u64 = match &a.content {
            AttachContent::Stored(s) => s.blocks.iter().map(|b| u64::from(b.2)).sum(),
            _ => 0,
        };
        let size = props.iter().map(|(_, v)| value_size(v)).sum::<u64>() + 4 + external_size;
        props.push((
            pid::tags::ATTACH_SIZE,
            PropValue::Int32(size.min(i32::MAX as u64) as i32),
        ));
        let mut pc = PcBuilder::new(self.variant);
        for (t, v) in &props {
            pc.set(*t, v.clone());
        }
        for (t, nid) in external {
            pc.set_subnode(t, nid);
        }
        let (data, pc_subs) = self.write_node_data(pc.finish())?;
        subs.extend(pc_subs);
        let sub = self.subnode_tree(subs)?;
        let row = table_row(props, templates::ATTACHMENTS, crate::DEFAULT_CODEPAGE);
        Ok((data, sub, row, self.written_size - size_before))
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

/// The columns of a folder's contents table, or of its associated one.
fn row_columns(assoc: bool) -> &'static [PropTag] {
    if assoc {
        templates::ASSOC_CONTENTS
    } else {
        templates::CONTENTS
    }
}

/// The cells of a table row: the properties that have a column, with 8-bit
/// strings widened for the Unicode string columns of the templates.
fn table_row(
    props: Vec<(PropTag, PropValue)>,
    columns: &[PropTag],
    codepage: u32,
) -> Vec<(PropTag, PropValue)> {
    props
        .into_iter()
        .filter_map(|(t, v)| {
            let col = columns.iter().find(|c| c.id() == t.id())?;
            match (col.prop_type(), v) {
                (PropType::String, PropValue::String8(s)) => {
                    Some((*col, PropValue::String(s.decode(codepage))))
                }
                (ct, v) if ct == t.prop_type() => Some((*col, v)),
                _ => None,
            }
        })
        .collect()
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

/// The decoded bytes a node's data and its values' subnodes hold.
fn node_data_size(d: &NodeData) -> u64 {
    let pages: usize = d.pages.iter().map(Vec::len).sum();
    let subnodes: usize = d.subnodes.iter().map(|(_, b)| b.len()).sum();
    let blocks: usize = d
        .subnode_blocks
        .iter()
        .flat_map(|(_, b)| b.iter().map(Vec::len))
        .sum();
    (pages + subnodes + blocks) as u64
}

/// A value's size as PidTagAttachSize counts it: fixed types their width,
/// others their stored bytes, an embedded object its `ulSize`.
fn value_size(v: &PropValue) -> u64 {
    match v {
        PropValue::Object { size, .. } => u64::from(*size),
        v => match v.prop_type().fixed_size() {
            Some(n) => n as u64,
            None => pstkit_ltp::write::encoded_len(v) as u64,
        },
    }
}

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
