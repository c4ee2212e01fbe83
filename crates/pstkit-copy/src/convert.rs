//! The stream-copy engine: one walk over a source store's folders, depth
//! first, making each in a new PST or OST, then one pass over their items
//! in the order their data lies in the source (24 bytes of order an item,
//! a bounded batch of messages in memory at a time), then a verify pass
//! that re-reads the output and checks every item's digest against the
//! source.
//!
//! Every property is copied as stored (named properties are remapped into
//! the destination's map by name), with recipients, attachments, embedded
//! messages and OLE objects, read/unread state and flags. Search folders
//! are not copied (their results are other folders' items) and the
//! destination's own standard folders take the place of the source's.
//!
//! Two lanes. When the source has the destination's variant, an encoding
//! not keyed by block id (none or permute) and a name map the destination
//! can adopt id for id, items are *moved*: their blocks are checked and
//! written unchanged under new block ids ([`pstkit_ndb::StoredNode`]), and
//! verified by block digests (each block's CRC, size and place). Otherwise
//! each item is read, decoded and rebuilt, with large attachments still
//! moved block by block when the variants agree, and verified by content
//! digests; the reading and decoding run a batch ahead on a thread of
//! their own.
//!
//! Reading a source item as the writer takes it ([`read_message`]) is a
//! submodule's; the digests ([`digest_message`]) and the verify pass another's.

mod read;
mod relink;
mod verify;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pstkit_ltp::PropId;
use pstkit_ndb::prefetch::{self, Cursor};
use pstkit_ndb::{Corruption, Nid, NidType};
use pstkit_store::binding::{binding_prop, MailboxBinding};
use pstkit_store::write::{NewMessage, PstWriter, WriterOptions};
use pstkit_store::{pid, Message, NameMap, Store, StoreError};

use crate::data_offset;
use crate::error::{CopyError, Result};
use crate::streamed::STREAM_FROM;

pub use read::read_message;
use read::read_message_partial;
pub(crate) use read::{read_streaming, StreamedNodes};
pub use verify::{digest_entries, digest_message, digest_new};
use verify::{digest_new_with, stream_hashes, verify, Digest};

/// How to convert.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ConvertOptions {
    /// The destination's kind, variant, encoding and name.
    pub writer: WriterOptions,
    /// For OST output: the account the new file is bound to.
    pub binding: Option<MailboxBinding>,
    /// Go on past damaged items (each is reported) instead of stopping.
    pub salvage: bool,
    /// Decode and rebuild every item, never moving one as stored: slower,
    /// but an item whose own structures (tables, values) cannot be read is
    /// reported (and with `salvage` left out) instead of copied as it is.
    pub rebuild: bool,
    /// Threads of the verify pass (default: one per CPU; at most
    /// [`crate::MAX_THREADS`]).
    pub threads: Option<usize>,
    /// Whether the copy must also pass the deep check (the NDB findings
    /// and the messaging-layer audit) with no finding of any severity
    /// before it is published; `repair` sets it.
    pub audit: bool,
}

/// What happens during a conversion, for progress and reports.
#[derive(Debug)]
#[non_exhaustive]
pub enum CopyEvent<'e> {
    /// A folder is being copied.
    Folder {
        /// Its path in the source.
        path: &'e str,
    },
    /// An item was written.
    Item {
        /// Bytes written to the destination so far.
        bytes_written: u64,
    },
    /// An item or structure could not be read and was left out (salvage
    /// mode).
    #[non_exhaustive]
    Skipped {
        /// The folder's path.
        folder: &'e str,
        /// The node id in the source: the item's, or the folder's.
        nid: Nid,
        /// What was lost.
        lost: Lost,
        /// Why.
        error: &'e str,
    },
    /// An item did not read whole and was copied without the parts that
    /// did not read (salvage mode).
    Partial {
        /// The folder's path.
        folder: &'e str,
        /// The item's node id in the source.
        nid: Nid,
        /// What did not read.
        error: &'e str,
    },
    /// The copy is written; the verify pass starts.
    Verifying,
}

/// What a salvage could not copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lost {
    /// A message (or folder-associated item): not in the copy.
    Item,
    /// A folder that could not be read: not in the copy; its subfolders
    /// are lost with it, its messages are looked for as orphans.
    Folder,
    /// A folder's contents table: the folder is copied, its messages are
    /// looked for as orphans (see [`ConvertSummary::orphans`]).
    Contents,
    /// A folder's hierarchy table: the folder is copied, its subfolders
    /// are not.
    Subfolders,
    /// Parts of a message that did not read (properties, its recipient or
    /// attachment table, attachments): the message is copied without them
    /// (see [`ConvertSummary::partial`]).
    Parts,
}

impl Lost {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Lost::Item => "item",
            Lost::Folder => "folder",
            Lost::Contents => "contents table",
            Lost::Subfolders => "hierarchy table",
            Lost::Parts => "parts of an item",
        }
    }
}

/// An item or structure left out of a salvage copy: one line of the loss
/// report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The folder's path in the source (for a folder, its own path).
    pub folder: String,
    /// The node id in the source: the item's, or the folder's.
    pub nid: Nid,
    /// What was lost.
    pub lost: Lost,
    /// The item's subject, when it could still be read.
    pub subject: Option<String>,
    /// Why it was left out.
    pub error: String,
    /// Where in the file the damage is, when the node database found it
    /// (a block's or page's structure, id and offset).
    pub corruption: Option<Corruption>,
}

/// The folder a salvage puts the messages in that no folder lists and
/// whose own folder is not in the copy.
pub const RECOVERED_FOLDER: &str = "Recovered items";

/// The folder deleted items go to, found in free space by a rebuild that
/// kept it (`NdbFile::recover_deleted`), under the IPM subtree of the copy.
pub const RECOVERED_DELETED_FOLDER: &str = "Recovered deleted items";

/// Messages a salvage found in the node index that no folder's table
/// listed, and where it put them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Orphans {
    /// Put into the copy of the folder their index entry names as parent.
    pub in_parent: u64,
    /// Put into [`RECOVERED_FOLDER`]: their parent folder is not in the copy.
    pub in_recovered: u64,
    /// Deleted items (found only in free space) put into
    /// [`RECOVERED_DELETED_FOLDER`].
    pub deleted: u64,
    /// Deleted items found that did not read: not part of the mailbox, so
    /// not a loss, but listed in [`ConvertSummary::deleted_unreadable`].
    pub deleted_unreadable: u64,
}

/// The outcome of a conversion.
#[derive(Clone, Debug, Default)]
pub struct ConvertSummary {
    /// Folders of the source below its root, search folders included, as
    /// [`Store::census`] counts them.
    pub folders: u64,
    /// Of `folders`: search folders, not copied (their results are items of
    /// other folders).
    pub search_folders: u64,
    /// The copy as [`Store::census`] counts it. It has the source's folders
    /// less its search folders, and the writer's own search folder that every
    /// PST Outlook makes holds ("SPAM Search Folder 2").
    pub copy: pstkit_store::Census,
    /// Normal items copied.
    pub items: u64,
    /// Folder-associated items copied.
    pub associated: u64,
    /// Size of the destination file.
    pub bytes: u64,
    /// Items left out (salvage mode only).
    pub skipped: Vec<Skipped>,
    /// Deleted items found in free space that did not read: not losses
    /// (they were no longer part of the mailbox), listed apart.
    pub deleted_unreadable: Vec<Skipped>,
    /// Items copied without the properties, recipients or attachments that
    /// did not read (salvage mode only; counted in `items` and
    /// `associated` too), with the first error met.
    pub partial: Vec<Skipped>,
    /// Messages no folder listed, found through the node index (salvage
    /// mode only); those copied are counted in `items` and `associated`
    /// too, those that could not be read in `skipped`.
    pub orphans: Orphans,
    /// Items a folder's table lists whose node entry was lost, found again
    /// among the blocks no node references and copied (salvage mode only;
    /// counted in `items` and `associated` too, and in `partial` when
    /// copied without their recipients and attachments).
    pub relinked: u64,
    /// Items whose digest was compared in the verify pass.
    pub verified: u64,
    /// Where the file was written.
    pub path: PathBuf,
    /// Whether large attachments were copied block by block as stored.
    pub stored_copy: bool,
    /// Whether whole items were moved as stored (same variant, encoding and
    /// named-property ids): verified by block digests, never decoded.
    pub moved: bool,
    /// Whether the source's named-property map could not be read
    /// ([`Store::name_map_error`] says why): the copy has no named
    /// properties, so it is not whole even with nothing skipped.
    pub names_lost: bool,
    /// Whether the map's index entry was lost and a salvage found the map
    /// among the blocks no node references (then `names_lost` is false).
    pub names_relinked: bool,
}

/// Copies `src` into a new file at `dest`: never touches the source, writes
/// to a temporary file, verifies, and renames only when everything agrees.
pub fn convert(
    src: &Store<'_>,
    dest: &Path,
    opts: &ConvertOptions,
    progress: &mut dyn FnMut(CopyEvent<'_>),
) -> Result<ConvertSummary> {
    let mut wopts = opts.writer.clone();
    if wopts.display_name.is_empty() || wopts.display_name == WriterOptions::default().display_name
    {
        if let Some(name) = src.display_name().filter(|n| !n.is_empty()) {
            wopts.display_name = name;
        }
    }
    let mut w = PstWriter::create(dest, wopts)?;
    // Blocks whose bytes mean the same in both files: large attachments
    // are copied as stored.
    let stored = pstkit_ndb::stored::can_move_stored(
        src.ndb().format().variant,
        src.ndb().crypt(),
        opts.writer.format.variant,
        opts.writer.crypt,
    );
    // The fastest lane: whole items moved as stored, when named-property
    // ids can be kept too.
    // Not without the source's map: moved items would keep named ids that
    // name nothing in the copy.
    // A salvage looks for a map whose index entry was lost among the
    // blocks no node references.
    let lost_entry = matches!(
        src.name_map_error(),
        Some(StoreError::Ndb(pstkit_ndb::NdbError::NodeNotFound(n))) if *n == Nid::NAME_TO_ID_MAP
    );
    let relinked_names = if opts.salvage && lost_entry {
        relink::name_map(src)
    } else {
        None
    };
    let names = relinked_names.as_ref().unwrap_or(src.names());
    let names_lost = src.name_map_error().is_some() && relinked_names.is_none();
    let moved = stored && !opts.rebuild && !names_lost && w.adopt_names(names);
    if let Some(b) = &opts.binding {
        let id = w.named_prop(&binding_prop())?;
        w.set_store_properties(b.store_properties(id));
    }
    let mut c = Copier {
        threads: crate::worker_threads(opts.threads),
        stored,
        moved,
        src,
        names,
        w: &mut w,
        salvage: opts.salvage,
        summary: ConvertSummary {
            names_lost,
            names_relinked: relinked_names.is_some(),
            ..ConvertSummary::default()
        },
        digests: Vec::new(),
        named: HashMap::new(),
    };
    // A source that changed under the reader explains whatever damage it
    // showed: that is the error, not the item it was met in.
    let changed = |e: CopyError| match src.ndb().source_changed() {
        Some(c) => CopyError::Ndb(c),
        None => e,
    };
    c.copy_tree(progress).map_err(changed)?;
    let Copier {
        mut summary,
        digests,
        ..
    } = c;
    summary.stored_copy = stored;
    summary.moved = moved;
    progress(CopyEvent::Verifying);
    src.ndb().release_pages();
    let mut verified = 0;
    let mut census = pstkit_store::Census::default();
    let path = w
        .finish_with(&mut |tmp| -> Result<()> {
            verified = verify(src, tmp, &digests, stored, opts.threads)?;
            if opts.audit {
                audit_copy(tmp)?;
            }
            census = Store::open(tmp.ndb())?.census();
            // The copy is published only if its source stayed as it was.
            if let Some(c) = src.ndb().source_changed() {
                return Err(c.into());
            }
            Ok(())
        })
        .map_err(changed)?;
    summary.verified = verified;
    summary.copy = census;
    summary.bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    summary.path = path;
    Ok(summary)
}

/// The deep check of a finished copy: any finding fails it, named by the
/// first one.
fn audit_copy(file: &pstkit_ndb::NdbFile) -> Result<()> {
    let ndb_findings = pstkit_ndb::check::check(file.ndb()).findings;
    let deep = pstkit_store::audit::audit(file.ndb());
    let mut all = ndb_findings
        .iter()
        .map(|f| {
            (
                f.nid,
                format!("[{}] expected {}; found {}", f.rule, f.expected, f.found),
            )
        })
        .chain(deep.findings.iter().map(|f| {
            (
                f.nid,
                format!(
                    "[{}] {:?}: expected {}; found {}",
                    f.rule, f.path, f.expected, f.found
                ),
            )
        }));
    match all.next() {
        None => Ok(()),
        Some((nid, first)) => Err(CopyError::Audit {
            nid: Nid(nid),
            count: 1 + all.count(),
            first,
        }),
    }
}

struct Copier<'c, 's, 'a> {
    /// Threads the copy may use (the rebuilt lane reads ahead on a second).
    threads: usize,
    /// Whether large attachment bytes are copied as stored.
    stored: bool,
    /// Whether whole items are moved as stored.
    moved: bool,
    src: &'s Store<'a>,
    names: &'s NameMap,
    w: &'c mut PstWriter,
    salvage: bool,
    summary: ConvertSummary,
    /// (destination item, source item, digest of the source item)
    digests: Vec<Digest>,
    named: HashMap<PropId, Option<PropId>>,
}

/// Items a batch of the read-ahead holds at most (a hand-over between the
/// threads costs each a wake-up).
const READ_AHEAD_ITEMS: usize = 64;
/// Bytes of values a batch of the read-ahead holds at most, unless one
/// item alone is larger.
const READ_AHEAD_BYTES: usize = 4 << 20;

/// The named-property ids of the source as the copy has them, for the
/// read-ahead thread, which cannot ask the writer.
#[derive(Default)]
struct ReadAheadNames {
    /// Source id → the copy's id.
    ids: HashMap<PropId, PropId>,
    /// The copy's id → its name (for digests).
    names: HashMap<PropId, pstkit_store::NamedProp>,
}

/// An item of `order` (by index) decoded and digested, with the nodes of
/// the attachments whose bytes are streamed (by index), or why not.
type Decoded<'a> = (usize, Result<(NewMessage, u64, StreamedNodes<'a>)>);

/// Reads, decodes and digests the items of `order` in turn, handing them
/// over in batches; stops when the receiver is gone.
fn read_ahead<'a>(
    src: &Store<'a>,
    order: &[(u64, u32, Nid, bool)],
    names: &ReadAheadNames,
    stored: bool,
    cursor: &Cursor,
    tx: std::sync::mpsc::SyncSender<Vec<Decoded<'a>>>,
) {
    // A named id the source's map does not define is left out, as
    // `Copier::map_id` leaves it.
    let mut map = |id: PropId| -> Result<Option<PropId>> {
        Ok(if id.is_named() {
            names.ids.get(&id).copied()
        } else {
            Some(id)
        })
    };
    let name_of = |id: PropId| names.names.get(&id).cloned();
    let mut batch = Vec::new();
    let mut bytes = 0;
    for (i, &(at, _, nid, _)) in order.iter().enumerate() {
        cursor.at(at);
        let decoded = src
            .message(nid)
            .map_err(CopyError::from)
            .and_then(|m| read_streaming(&m, &mut map, stored, STREAM_FROM))
            .and_then(|(new, streamed)| {
                let digest = digest_new_with(&new, &name_of, &stream_hashes(&streamed)?);
                Ok((new, digest, streamed))
            });
        bytes += decoded.as_ref().map_or(0, |(new, _, _)| value_bytes(new));
        batch.push((i, decoded));
        if batch.len() >= READ_AHEAD_ITEMS || bytes >= READ_AHEAD_BYTES {
            if tx.send(std::mem::take(&mut batch)).is_err() {
                return;
            }
            bytes = 0;
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
}

/// About how many bytes a decoded message's values take: its texts and
/// binaries, its attachments', its embedded messages'.
fn value_bytes(m: &NewMessage) -> usize {
    use pstkit_ltp::PropValue as V;
    use pstkit_store::write::AttachContent as C;
    let props = |p: &[(pstkit_ltp::PropTag, V)]| -> usize {
        p.iter()
            .map(|(_, v)| match v {
                V::String(s) => s.len(),
                V::String8(s) => s.0.len(),
                V::Binary(b) => b.len(),
                V::Unknown { bytes, .. } => bytes.len(),
                _ => 16,
            })
            .sum()
    };
    props(&m.props)
        + m.recipients.iter().map(|r| props(r)).sum::<usize>()
        + m.attachments
            .iter()
            .map(|a| {
                props(&a.props)
                    + match &a.content {
                        C::Data(b) | C::Object(b) => b.len(),
                        C::Message(m) => value_bytes(m),
                        C::Stored(s) => s.blocks.iter().map(|b| b.0.len()).sum(),
                        // Written already: held by the file, not here.
                        C::Written { .. } | C::None => 0,
                    }
            })
            .sum::<usize>()
}

/// Source folders that stand for one of the destination's standard folders.
struct Mapping {
    /// source folder → destination folder, for folders merged into the
    /// destination's own.
    fixed: HashMap<Nid, Nid>,
    /// Source folders whose names the destination's standard folders take
    /// (a PST's own names: "Top of Outlook data file", "Éléments supprimés").
    renamed: std::collections::HashSet<Nid>,
}

impl Copier<'_, '_, '_> {
    fn mapping(&self) -> Mapping {
        let std = self.w.standard_folders();
        let mut fixed = HashMap::new();
        let mut renamed = std::collections::HashSet::new();
        fixed.insert(Nid::ROOT_FOLDER, std.root);
        for (src, dst) in [
            (self.src.ipm_subtree(), std.ipm_subtree),
            (self.src.wastebasket(), std.deleted_items),
            (self.src.finder(), std.search_root),
        ] {
            if let Some(src) = src {
                fixed.insert(src, dst);
                renamed.insert(src);
            }
        }
        // Exchange OSTs do not name their IPM subtree by EntryID: it is the
        // folder "IPM_SUBTREE" under the mailbox root, which itself stands
        // for the destination's root.
        if self.src.ipm_subtree().is_none() {
            if let Some((parent, ipm)) = find_ost_ipm_subtree(self.src) {
                fixed.insert(parent, std.root);
                fixed.insert(ipm, std.ipm_subtree);
            }
        }
        Mapping { fixed, renamed }
    }

    fn copy_tree(&mut self, progress: &mut dyn FnMut(CopyEvent<'_>)) -> Result<()> {
        let map = self.mapping();
        let std = self.w.standard_folders();
        let deleted_name = "deleted items";
        let no_wastebasket = self.src.wastebasket().is_none();
        // The folders are made first, and their items copied after, in the
        // order their data lies in the source: a mailbox's folders are
        // interleaved in its file, and folder by folder the copy would map
        // the whole source once per folder.
        // (destination folder, source path)
        let mut folders: Vec<(Nid, String)> = Vec::new();
        // (data offset, index in `folders`, item, associated)
        let mut order: Vec<(u64, u32, Nid, bool)> = Vec::new();
        // (source folder, destination parent, source path)
        let mut stack = vec![(Nid::ROOT_FOLDER, std.root, String::new())];
        let mut seen = std::collections::HashSet::new();
        // source folder → its index in `folders`
        let mut folder_index: HashMap<Nid, u32> = HashMap::new();
        while let Some((snid, dparent, path)) = stack.pop() {
            if !seen.insert(snid) {
                continue;
            }
            let folder = match self.src.folder(snid) {
                Ok(f) => f,
                Err(e) => {
                    self.damaged(
                        &path,
                        snid,
                        Lost::Folder,
                        &e.to_string(),
                        e.corruption(),
                        progress,
                    )?;
                    continue;
                }
            };
            self.summary.folders += u64::from(snid != Nid::ROOT_FOLDER);
            if folder.is_search_folder() {
                self.summary.search_folders += 1;
                continue;
            }
            let name = folder.display_name();
            let dnid = match map.fixed.get(&snid) {
                Some(d) => {
                    if map.renamed.contains(&snid) {
                        self.w.rename_folder(*d, &name)?;
                    }
                    *d
                }
                // An OST does not name its Deleted Items by EntryID either.
                None if no_wastebasket
                    && dparent == std.ipm_subtree
                    && name.eq_ignore_ascii_case(deleted_name) =>
                {
                    std.deleted_items
                }
                None => self
                    .w
                    .add_folder(dparent, &name, folder.container_class().as_deref())?,
            };
            progress(CopyEvent::Folder { path: &path });
            let f = folders.len() as u32;
            for (ids, assoc) in [
                (folder.message_ids(), false),
                (folder.associated_ids(), true),
            ] {
                match ids {
                    Ok(ids) => order.extend(
                        ids.into_iter()
                            .map(|nid| (data_offset(self.src.ndb(), nid), f, nid, assoc)),
                    ),
                    Err(e) => self.damaged(
                        &path,
                        snid,
                        Lost::Contents,
                        &format!("contents table: {e}"),
                        e.corruption(),
                        progress,
                    )?,
                }
            }
            folders.push((dnid, path.clone()));
            folder_index.insert(snid, f);
            match folder.subfolder_ids() {
                Ok(children) => {
                    for child in children.into_iter().rev() {
                        let sub = match self.src.folder(child) {
                            Ok(f) if path.is_empty() => f.display_name(),
                            Ok(f) => format!("{path}/{}", f.display_name()),
                            Err(_) => format!("{path}/{child}"),
                        };
                        stack.push((child, dnid, sub));
                    }
                }
                Err(e) => self.damaged(
                    &path,
                    snid,
                    Lost::Subfolders,
                    &format!("hierarchy table: {e}"),
                    e.corruption(),
                    progress,
                )?,
            }
        }
        let mut relinked = Vec::new();
        if self.salvage {
            relinked = self.take_unindexed(&folder_index, &folders, &mut order, progress)?;
            self.gather_orphans(&folder_index, &mut folders, &mut order, std.ipm_subtree)?;
        }
        order.sort_unstable();
        // One digest an item: reserved whole rather than grown by doubling,
        // whose last step would hold the old and a twice larger vector.
        self.digests.reserve_exact(order.len());
        // Names are mapped up front whatever the threads, so that the copy
        // is the same file either way.
        let names = if self.moved {
            None
        } else {
            self.premapped_names()
        };
        // With a CPU to spare, a thread brings the source's pages in just
        // ahead of the items being read, so the reading does not wait for
        // them (see `pstkit_ndb::prefetch`).
        let ndb = self.src.ndb();
        let threads = self.threads;
        let walk = |cursor: &Cursor| match names {
            Some(names) if threads > 1 => {
                self.copy_read_ahead(&order, &folders, &names, cursor, progress)
            }
            _ => self.copy_in_turn(&order, &folders, cursor, progress),
        };
        if threads > 1 {
            prefetch::ahead_of(ndb, walk)?;
        } else {
            walk(&Cursor::default())?;
        }
        for (f, nid, assoc, r) in relinked {
            let (dnid, path) = folders[f as usize].clone();
            self.copy_relinked(&path, dnid, nid, assoc, &r, progress)?;
        }
        Ok(())
    }

    /// Takes out of `order` the items whose node entry is missing, and
    /// looks for their blocks among those no node references
    /// ([`relink::relink`]): those found are returned to be copied from
    /// there, the others reported lost.
    fn take_unindexed(
        &mut self,
        folder_index: &HashMap<Nid, u32>,
        folders: &[(Nid, String)],
        order: &mut Vec<(u64, u32, Nid, bool)>,
        progress: &mut dyn FnMut(CopyEvent<'_>),
    ) -> Result<Vec<(u32, Nid, bool, relink::Relink)>> {
        let ndb = self.src.ndb();
        let unindexed = |nid: Nid| {
            matches!(
                ndb.node_entry(nid),
                Err(pstkit_ndb::NdbError::NodeNotFound(_))
            )
        };
        if !order.iter().any(|o| unindexed(o.2)) {
            return Ok(Vec::new());
        }
        let mut source_of = vec![Nid(0); folders.len()];
        for (snid, f) in folder_index {
            source_of[*f as usize] = *snid;
        }
        let mut lost = Vec::new();
        order.retain(|o| {
            let keep = !unindexed(o.2);
            if !keep {
                lost.push((o.1, o.2, o.3));
            }
            keep
        });
        let asked: Vec<(Nid, Nid)> = lost
            .iter()
            .map(|&(f, nid, _)| (nid, source_of[f as usize]))
            .collect();
        let mut out = Vec::new();
        for ((f, nid, assoc), found) in lost.into_iter().zip(relink::relink(self.src, &asked)) {
            match found {
                Ok(r) => out.push((f, nid, assoc, r)),
                Err(why) => {
                    let path = folders[f as usize].1.clone();
                    let error = format!(
                        "{}; not found elsewhere: {why}",
                        pstkit_ndb::NdbError::NodeNotFound(nid)
                    );
                    self.damaged(&path, nid, Lost::Item, &error, None, progress)?;
                }
            }
        }
        Ok(out)
    }

    /// Copies an item relinked from blocks no node entry names: whole when
    /// its subnode tree was found and it reads whole, else as much of it as
    /// reads (reported partial); reported lost when not even its
    /// properties read.
    fn copy_relinked(
        &mut self,
        path: &str,
        dnid: Nid,
        nid: Nid,
        assoc: bool,
        r: &relink::Relink,
        progress: &mut dyn FnMut(CopyEvent<'_>),
    ) -> Result<()> {
        let read = self
            .src
            .ndb()
            .node_from_parts(nid, r.data, r.sub)
            .map_err(StoreError::from)
            .and_then(|node| Message::read(node, self.src.default_codepage()));
        let m = match read {
            Ok(m) => m,
            Err(e) => {
                let error = format!("relinked item: {e}");
                return self.damaged(path, nid, Lost::Item, &error, e.corruption(), progress);
            }
        };
        let whole = match &r.no_subnodes {
            None => self.new_message(&m, 0).map_err(|e| e.to_string()),
            Some(why) => Err(format!(
                "relinked without its recipients and attachments: {why}"
            )),
        };
        let error = match whole {
            Ok(new) => {
                self.write_decoded(nid, dnid, assoc, new)
                    .map_err(|e| e.at_output(self.w.temp_path()))?;
                None
            }
            Err(error) => {
                let stored = self.stored;
                let new = match read_message_partial(&m, &mut |id| self.map_id(id), stored) {
                    Ok(new) => new,
                    Err(e) if e.is_output() => return Err(e.at_output(self.w.temp_path())),
                    Err(e) => {
                        let error = format!("relinked item: {e}");
                        let c = e.corruption();
                        return self.damaged(path, nid, Lost::Item, &error, c, progress);
                    }
                };
                self.write_decoded(nid, dnid, assoc, new)
                    .map_err(|e| e.at_output(self.w.temp_path()))?;
                Some(error)
            }
        };
        self.summary.relinked += 1;
        match error {
            None => progress(CopyEvent::Item {
                bytes_written: self.w.bytes_written(),
            }),
            Some(error) => {
                progress(CopyEvent::Partial {
                    folder: path,
                    nid,
                    error: &error,
                });
                let mut entry = self.loss(path, nid, Lost::Parts, error);
                entry.subject = m.subject();
                self.summary.partial.push(entry);
            }
        }
        Ok(())
    }

    /// Copies the items of `order` one after the other on this thread.
    fn copy_in_turn(
        &mut self,
        order: &[(u64, u32, Nid, bool)],
        folders: &[(Nid, String)],
        cursor: &Cursor,
        progress: &mut dyn FnMut(CopyEvent<'_>),
    ) -> Result<()> {
        for &(at, f, nid, assoc) in order {
            cursor.at(at);
            let (dnid, path) = &folders[f as usize];
            let copied = self.copy_item(nid, *dnid, assoc);
            self.placed(path, *dnid, nid, assoc, copied, progress)?;
        }
        Ok(())
    }

    /// What becomes of an item once its copy was tried: progress, or its
    /// error handled as the options say (a salvage's second try, a loss
    /// reported, or the end of the copy).
    fn placed(
        &mut self,
        path: &str,
        dnid: Nid,
        nid: Nid,
        assoc: bool,
        copied: Result<()>,
        progress: &mut dyn FnMut(CopyEvent<'_>),
    ) -> Result<()> {
        match copied {
            Ok(()) => progress(CopyEvent::Item {
                bytes_written: self.w.bytes_written(),
            }),
            // A full disk is the output's failure, never the item's.
            Err(e) if e.is_output() => return Err(e.at_output(self.w.temp_path())),
            // A deleted item whose blocks were overwritten: no loss.
            Err(e) if self.src.ndb().is_deleted(nid) => {
                self.summary.orphans.deleted -= 1;
                self.summary.orphans.deleted_unreadable += 1;
                let entry = self.loss(path, nid, Lost::Item, e.to_string());
                self.summary.deleted_unreadable.push(entry);
            }
            Err(e) if self.salvage => match self.copy_partial(nid, dnid, assoc) {
                Ok(true) => {
                    let error = e.to_string();
                    progress(CopyEvent::Partial {
                        folder: path,
                        nid,
                        error: &error,
                    });
                    let entry = self.loss(path, nid, Lost::Parts, error);
                    self.summary.partial.push(entry);
                }
                Err(o) if o.is_output() => return Err(o.at_output(self.w.temp_path())),
                _ => self.damaged(
                    path,
                    nid,
                    Lost::Item,
                    &e.to_string(),
                    e.corruption(),
                    progress,
                )?,
            },
            Err(e) => {
                let c = e.corruption();
                self.damaged(path, nid, Lost::Item, &e.to_string(), c, progress)?
            }
        }
        Ok(())
    }

    /// Maps every named property of the source into the copy's map at
    /// once, so that items can be decoded away from the writer (on the
    /// read-ahead thread) with ids the copy already has. `None` when the
    /// copy's map cannot take them all: items then map their names one by
    /// one as they are written.
    fn premapped_names(&mut self) -> Option<ReadAheadNames> {
        let mut names = ReadAheadNames::default();
        for (id, np) in self.names.iter() {
            let mapped = self.w.named_prop(np).ok()?;
            self.named.insert(id, Some(mapped));
            names.ids.insert(id, mapped);
            names.names.insert(mapped, np.clone());
        }
        Some(names)
    }

    /// The rebuilt lane on two threads: one reads, decodes and digests the
    /// source's items in `order` while this one writes them. At most three
    /// batches of [`READ_AHEAD_ITEMS`] items (or [`READ_AHEAD_BYTES`], or
    /// one item) are in memory at once.
    fn copy_read_ahead(
        &mut self,
        order: &[(u64, u32, Nid, bool)],
        folders: &[(Nid, String)],
        names: &ReadAheadNames,
        cursor: &Cursor,
        progress: &mut dyn FnMut(CopyEvent<'_>),
    ) -> Result<()> {
        // The reader's own view of the source: a store's caches are not
        // shared between threads. One that will not open (it opened here
        // only in salvage) leaves the copy to this thread alone.
        let Ok((src, _)) = Store::open_salvaging(self.src.ndb()) else {
            return self.copy_in_turn(order, folders, cursor, progress);
        };
        let stored = self.stored;
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            let reader = std::thread::Builder::new()
                .name("pstkit-read-ahead".into())
                .spawn_scoped(s, move || {
                    read_ahead(&src, order, names, stored, cursor, tx)
                })
                .map_err(|_| CopyError::Internal("could not start the read-ahead thread"))?;
            let mut done = 0;
            for batch in rx {
                for (i, decoded) in batch {
                    let (_, f, nid, assoc) = order[i];
                    let (dnid, path) = &folders[f as usize];
                    let copied = decoded.and_then(|(mut new, digest, streamed)| {
                        self.write_new(nid, *dnid, assoc, &mut new, digest, &streamed)
                    });
                    self.placed(path, *dnid, nid, assoc, copied, progress)?;
                    done += 1;
                }
            }
            reader
                .join()
                .map_err(|_| CopyError::Internal("the read-ahead thread"))?;
            if done != order.len() {
                return Err(CopyError::Internal("the read-ahead thread stopped early"));
            }
            Ok(())
        })
    }

    /// Salvage's second try at an item that did not read whole: its
    /// properties that decode, and the recipient rows and attachments that
    /// read, as an item of their own (what other readers of damaged files
    /// give). `false` when not even its property context reads.
    fn copy_partial(&mut self, nid: Nid, folder: Nid, assoc: bool) -> Result<bool> {
        let Ok(m) = self.src.message(nid) else {
            return Ok(false);
        };
        let stored = self.stored;
        let new = read_message_partial(&m, &mut |id| self.map_id(id), stored)?;
        self.write_decoded(nid, folder, assoc, new)?;
        Ok(true)
    }

    /// Adds to `order` the messages the node index holds that no folder's
    /// table lists (libpff's orphans: a contents table lost or damaged, a
    /// row missing). Each goes into the copy of the folder its index entry
    /// names as parent when that folder was copied, else into a folder
    /// [`RECOVERED_FOLDER`] made under the IPM subtree for them. No sound
    /// mailbox has such items, so only a salvage looks for them.
    fn gather_orphans(
        &mut self,
        folder_index: &HashMap<Nid, u32>,
        folders: &mut Vec<(Nid, String)>,
        order: &mut Vec<(u64, u32, Nid, bool)>,
        ipm_subtree: Nid,
    ) -> Result<()> {
        let listed: std::collections::HashSet<Nid> = order.iter().map(|o| o.2).collect();
        let mut recovered: Option<u32> = None;
        let mut deleted: Option<u32> = None;
        // Entries of unreadable B-tree pages are skipped by the iterator;
        // a salvage reads a damaged index through the rebuilt one anyway.
        for e in self.src.ndb().nodes().flatten() {
            let assoc = match e.nid.kind() {
                NidType::NormalMessage => false,
                NidType::AssocMessage => true,
                _ => continue,
            };
            if listed.contains(&e.nid) {
                continue;
            }
            if self.src.ndb().is_deleted(e.nid) {
                // One whose own properties no longer read (its blocks were
                // reused) is listed, not copied: nothing of it is left.
                if let Err(err) = self.src.message(e.nid) {
                    self.summary.orphans.deleted_unreadable += 1;
                    let entry = self.loss("", e.nid, Lost::Item, err.to_string());
                    self.summary.deleted_unreadable.push(entry);
                    continue;
                }
                self.summary.orphans.deleted += 1;
                let f =
                    self.made_folder(&mut deleted, RECOVERED_DELETED_FOLDER, ipm_subtree, folders)?;
                order.push((data_offset(self.src.ndb(), e.nid), f, e.nid, assoc));
                continue;
            }
            let f = match folder_index.get(&e.parent) {
                Some(f) => {
                    self.summary.orphans.in_parent += 1;
                    *f
                }
                None => {
                    self.summary.orphans.in_recovered += 1;
                    self.made_folder(&mut recovered, RECOVERED_FOLDER, ipm_subtree, folders)?
                }
            };
            order.push((data_offset(self.src.ndb(), e.nid), f, e.nid, assoc));
        }
        Ok(())
    }

    /// The planned index of folder `name` under the IPM subtree of the
    /// copy, made the first time it is needed (`slot` keeps it).
    fn made_folder(
        &mut self,
        slot: &mut Option<u32>,
        name: &str,
        ipm_subtree: Nid,
        folders: &mut Vec<(Nid, String)>,
    ) -> Result<u32> {
        if let Some(f) = *slot {
            return Ok(f);
        }
        let dnid = self.w.add_folder(ipm_subtree, name, Some("IPF.Note"))?;
        folders.push((dnid, name.to_string()));
        let f = (folders.len() - 1) as u32;
        *slot = Some(f);
        Ok(f)
    }

    fn damaged(
        &mut self,
        folder: &str,
        nid: Nid,
        lost: Lost,
        error: &str,
        corruption: Option<&Corruption>,
        progress: &mut dyn FnMut(CopyEvent<'_>),
    ) -> Result<()> {
        if !self.salvage {
            return Err(CopyError::Damaged {
                folder: folder.to_string(),
                nid,
                what: error.to_string(),
                corruption: corruption.cloned().map(Box::new),
            });
        }
        progress(CopyEvent::Skipped {
            folder,
            nid,
            lost,
            error,
        });
        let mut entry = self.loss(folder, nid, lost, error.to_string());
        entry.corruption = corruption.cloned();
        self.summary.skipped.push(entry);
        Ok(())
    }

    /// One line of the loss report.
    fn loss(&self, folder: &str, nid: Nid, lost: Lost, error: String) -> Skipped {
        // The subject tells a user which message it was: from the item's
        // own properties when they read, else as its folder's table lists it.
        let subject = match lost {
            Lost::Item | Lost::Parts => self
                .src
                .message(nid)
                .ok()
                .and_then(|m| m.subject())
                .or_else(|| {
                    let parent = self.src.ndb().node_entry(nid).ok()?.parent;
                    self.src.folder(parent).ok()?.listed_subject(nid)
                }),
            _ => None,
        };
        Skipped {
            folder: folder.to_string(),
            nid,
            lost,
            subject,
            error,
            corruption: None,
        }
    }

    fn copy_item(&mut self, nid: Nid, folder: Nid, assoc: bool) -> Result<()> {
        if self.moved {
            return self.move_item(nid, folder, assoc);
        }
        let m = self.src.message(nid)?;
        self.copy_whole(&m, nid, folder, assoc)
    }

    /// Copies source item `nid` read whole as `m`, its large attachments'
    /// bytes streamed from the source into the copy.
    fn copy_whole(&mut self, m: &Message<'_>, nid: Nid, folder: Nid, assoc: bool) -> Result<()> {
        let stored = self.stored;
        let (mut new, streamed) =
            read_streaming(m, &mut |id| self.map_id(id), stored, STREAM_FROM)?;
        let hashes = stream_hashes(&streamed)?;
        let w = &*self.w;
        let digest = digest_new_with(&new, &|id| w.name_of(id).cloned(), &hashes);
        self.write_new(nid, folder, assoc, &mut new, digest, &streamed)
    }

    /// Writes a message decoded from source item `nid` and keeps its digest
    /// for the verify pass.
    fn write_decoded(
        &mut self,
        nid: Nid,
        folder: Nid,
        assoc: bool,
        mut new: NewMessage,
    ) -> Result<()> {
        // The digest of what is written is the digest of the source as read:
        // the message is read once.
        let w = &*self.w;
        let digest = digest_new(&new, &|id| w.name_of(id).cloned());
        self.write_new(nid, folder, assoc, &mut new, digest, &[])
    }

    /// Writes a decoded message whose digest was taken, first the bytes of
    /// its attachments `streamed` leaves out of it, a block at a time from
    /// the source (as stored when the copy takes the source's blocks).
    fn write_new(
        &mut self,
        nid: Nid,
        folder: Nid,
        assoc: bool,
        new: &mut NewMessage,
        digest: u64,
        streamed: &[(usize, pstkit_ndb::Node<'_>)],
    ) -> Result<()> {
        for (i, node) in streamed {
            let ndb = node.ndb();
            let (bid, size) = if self.stored {
                let f = ndb.format();
                let mut s = self.w.stored_stream(f.variant, ndb.crypt())?;
                for e in node.leaves() {
                    let (bytes, crc) = ndb.stored_block_at(e).map_err(StoreError::from)?;
                    s.push_stored(bytes, crc, e.inflated)?;
                }
                s.finish()?
            } else {
                let mut s = self.w.data_stream();
                for b in node.blocks() {
                    s.push(&b.map_err(StoreError::from)?)?;
                }
                s.finish()?
            };
            if let Some(a) = new.attachments.get_mut(*i) {
                a.content = pstkit_store::write::AttachContent::Written { bid, size };
            }
        }
        let new = &*new;
        let dnid = if assoc {
            self.summary.associated += 1;
            self.w.add_associated(folder, new)?
        } else {
            self.summary.items += 1;
            self.w.add_message(folder, new)?
        };
        self.digests.push(Digest {
            dest: dnid,
            src: nid,
            digest,
            moved: false,
        });
        Ok(())
    }

    /// Moves an item as stored: every block checked, none decoded except
    /// the properties its folder's table row shows.
    fn move_item(&mut self, nid: Nid, folder: Nid, assoc: bool) -> Result<()> {
        if !matches!(nid.kind(), NidType::NormalMessage | NidType::AssocMessage) {
            // The store's own error for an id that names no message.
            self.src.message(nid)?;
        }
        // One NBT lookup, one data tree and one CRC of each block serve
        // the item's blocks and the properties read for its row.
        let ndb = self.src.ndb();
        let e = ndb.node_entry(nid).map_err(StoreError::from)?;
        let (node, props) = ndb
            .stored_node_with(nid, e.data, e.sub)
            .map_err(StoreError::from)?;
        let m = Message::read(props, self.src.default_codepage())?;
        // An item whose recorded size is not its size on disk (files of
        // Outlook before 2007 SP2 recorded another sum) is rebuilt, so that
        // every item of the new file records its size as Outlook now does.
        // So is one that uses a named property the source's map does not
        // define (a map salvaged in part): moved, it would name nothing.
        let unnamed = m
            .properties()
            .tags()
            .any(|t| t.id().is_named() && self.names.get(t.id()).is_none());
        if unnamed
            || m.try_i32(pid::MESSAGE_SIZE).ok().flatten().map(i64::from)
                != Some(node.size_on_disk() as i64)
        {
            let whole = self.src.message(nid)?;
            return self.copy_whole(&whole, nid, folder, assoc);
        }
        // Salvage trusts only what it read: sound blocks may still hold a
        // heap, table or attachment that does not decode, which moving as
        // stored would carry over unnoticed and count as copied. The item
        // is decoded whole first (as the rebuilt lane does), and one that
        // does not decode is reported instead.
        if self.salvage {
            let whole = self.src.message(nid)?;
            read_message(&whole, &mut |id| Ok(Some(id)), self.stored, 0)?;
        }
        let dnid = self
            .w
            .add_stored_item(folder, &node, m.properties(), assoc)?;
        if assoc {
            self.summary.associated += 1;
        } else {
            self.summary.items += 1;
        }
        self.digests.push(Digest {
            dest: dnid,
            src: nid,
            digest: node.digest(),
            moved: true,
        });
        Ok(())
    }

    /// The destination id of a source property id (named ones by name).
    fn map_id(&mut self, id: PropId) -> Result<Option<PropId>> {
        if !id.is_named() {
            return Ok(Some(id));
        }
        if let Some(m) = self.named.get(&id) {
            return Ok(*m);
        }
        let mapped = match self.names.get(id) {
            Some(np) => Some(self.w.named_prop(np)?),
            // A named id the source's map does not define cannot be named
            // in the destination: it is left out (and out of the digest).
            None => None,
        };
        self.named.insert(id, mapped);
        Ok(mapped)
    }

    fn new_message(&mut self, m: &Message<'_>, depth: usize) -> Result<NewMessage> {
        let stored = self.stored;
        read_message(m, &mut |id| self.map_id(id), stored, depth)
    }
}

/// Finds the Exchange IPM subtree of an OST: a folder named "IPM_SUBTREE"
/// one or two levels below the root, preferring the private mailbox's
/// ("Root - Mailbox") over a public folder root's. Returns (its parent, it).
fn find_ost_ipm_subtree(src: &Store<'_>) -> Option<(Nid, Nid)> {
    let root = src.root_folder().ok()?;
    let mut found: Vec<(Nid, Nid, String)> = Vec::new();
    let mut level: Vec<(Nid, String)> = vec![(root.nid(), String::new())];
    for _ in 0..2 {
        let mut next = Vec::new();
        for (parent, parent_name) in level {
            let Ok(f) = src.folder(parent) else { continue };
            let Ok(children) = f.subfolder_ids() else {
                continue;
            };
            for child in children {
                if let Ok(cf) = src.folder(child) {
                    let name = cf.display_name();
                    if name == "IPM_SUBTREE" {
                        found.push((parent, child, parent_name.clone()));
                    } else {
                        next.push((child, name));
                    }
                }
            }
        }
        level = next;
    }
    let best = found
        .iter()
        .find(|f| f.2.eq_ignore_ascii_case("Root - Mailbox"))
        .or_else(|| {
            found
                .iter()
                .find(|f| !f.2.to_ascii_lowercase().contains("public"))
        })
        .or(found.first())?;
    Some((best.0, best.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pstkit_ltp::PropValue;
    use pstkit_store::write::{AttachContent, NewAttachment};

    /// A PST of `n` messages, message `big` with an attachment of 5 MiB;
    /// returns its directory and the messages' ids in file order.
    fn mailbox(n: usize, big: usize) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("src.pst");
        let mut w = PstWriter::create(&path, WriterOptions::default()).unwrap();
        let folder = w.standard_folders().ipm_subtree;
        for i in 0..n {
            let mut m = NewMessage::default();
            m.props
                .push((pid::tags::SUBJECT, PropValue::String(format!("item {i}"))));
            if i == big {
                // Six attachments held in memory (each below the size from
                // which bytes are streamed) over the batch's byte budget,
                // and one streamed.
                for k in 0..6 {
                    m.attachments.push(NewAttachment {
                        props: Vec::new(),
                        content: AttachContent::Data(vec![k; 900_000]),
                    });
                }
                m.attachments.push(NewAttachment {
                    props: Vec::new(),
                    content: AttachContent::Data(vec![7; 5 << 20]),
                });
            }
            w.add_message(folder, &m).unwrap();
        }
        w.finish().unwrap();
        (dir, path)
    }

    #[test]
    fn value_bytes_counts_texts_binaries_and_attachments_at_every_level() {
        use pstkit_ltp::value::String8;
        let t = |n: u16| pstkit_ltp::PropTag::new(PropId(0x3001 + n), pstkit_ltp::PropType::Int32);
        let inner = NewMessage {
            props: vec![(t(0), PropValue::Binary(vec![0; 1000]))],
            ..NewMessage::default()
        };
        let m = NewMessage {
            props: vec![
                (t(0), PropValue::String("x".repeat(100))),
                (t(1), PropValue::String8(String8(vec![b'y'; 200]))),
                (t(2), PropValue::Binary(vec![0; 300])),
                (
                    t(3),
                    PropValue::Unknown {
                        ptype: 0x0102,
                        bytes: vec![0; 400],
                    },
                ),
                // Any other value counts 16.
                (t(4), PropValue::Int32(5)),
            ],
            recipients: vec![vec![(t(0), PropValue::String("r".repeat(50)))]],
            attachments: vec![
                NewAttachment {
                    props: vec![(t(0), PropValue::String("a".repeat(7)))],
                    content: AttachContent::Data(vec![0; 5000]),
                },
                NewAttachment {
                    props: Vec::new(),
                    content: AttachContent::Object(vec![0; 600]),
                },
                NewAttachment {
                    props: Vec::new(),
                    content: AttachContent::Message(Box::new(inner)),
                },
            ],
        };
        assert_eq!(
            value_bytes(&m),
            100 + 200 + 300 + 400 + 16 + 50 + 7 + 5000 + 600 + 1000
        );
    }

    #[test]
    fn the_read_ahead_hands_over_bounded_batches_in_order() {
        let (_dir, path) = mailbox(150, 100);
        let file = pstkit_ndb::NdbFile::open(&path).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let mut order: Vec<(u64, u32, Nid, bool)> = Vec::new();
        for w in store.walk() {
            for nid in w.unwrap().folder.message_ids().unwrap() {
                order.push((data_offset(store.ndb(), nid), 0, nid, false));
            }
        }
        order.sort_unstable();
        assert_eq!(order.len(), 150);
        let names = ReadAheadNames::default();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let reader = Store::open(file.ndb()).unwrap();
        let (order_ref, names_ref) = (&order, &names);
        let batches: Vec<Vec<Decoded>> = std::thread::scope(|s| {
            s.spawn(move || {
                read_ahead(&reader, order_ref, names_ref, false, &Cursor::default(), tx)
            });
            rx.iter().collect()
        });
        let (mut next, mut big) = (0, 0);
        for batch in &batches {
            assert!(!batch.is_empty() && batch.len() <= READ_AHEAD_ITEMS);
            let values: usize = batch
                .iter()
                .map(|(_, d)| value_bytes(&d.as_ref().unwrap().0))
                .sum();
            // Past the byte budget only through its last item.
            let but_last = values - value_bytes(&batch.last().unwrap().1.as_ref().unwrap().0);
            assert!(but_last < READ_AHEAD_BYTES, "{values} bytes");
            for (i, decoded) in batch {
                assert_eq!(*i, next, "in order, none left out");
                next += 1;
                // The item and digest the writing thread would have made.
                let (new, digest, streamed) = decoded.as_ref().unwrap();
                let m = store.message(order[*i].2).unwrap();
                let mut alone = read_message(&m, &mut |id| Ok(Some(id)), false, 0).unwrap();
                // The digest is the item's with its streamed bytes in it.
                assert_eq!(*digest, digest_new(&alone, &|_| None));
                // The 5 MiB attachment is left to be streamed; the rest is
                // the item as read whole.
                if streamed.is_empty() {
                    assert_eq!(new, &alone);
                } else {
                    big += 1;
                    assert_eq!(streamed.len(), 1);
                    let (k, node) = &streamed[0];
                    assert_eq!(node.size(), 5 << 20);
                    alone.attachments[*k].content = AttachContent::None;
                    assert_eq!(new, &alone);
                }
            }
        }
        assert_eq!((next, big), (150, 1));
        // The 5.4 MB of attachments held close their batch early: without
        // them the batches would hold 64, 64 and 22 items.
        let at = batches
            .iter()
            .flatten()
            .position(|(_, d)| value_bytes(&d.as_ref().unwrap().0) > 5 << 20)
            .unwrap();
        assert!((64..128).contains(&at), "{at}");
        let lens: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(lens, [64, at + 1 - 64, 150 - at - 1]);
    }
}
