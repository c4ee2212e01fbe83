//! The stream-copy engine: one walk over a source store's folders, depth
//! first, making each in a new PST or OST, then one pass over their items
//! in the order their data lies in the source (24 bytes of order an item,
//! one message in memory at a time), then a verify pass that re-reads the
//! output and checks every item's digest against the source.
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
//! digests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pstkit_ltp::{PropId, PropTag, PropType, PropValue};
use pstkit_ndb::{CryptMethod, NdbFile, Nid, NidType};
use pstkit_store::binding::{binding_prop, MailboxBinding};
use pstkit_store::message::normalize_subject;
use pstkit_store::write::{AttachContent, NewAttachment, NewMessage, PstWriter, WriterOptions};
use pstkit_store::{AttachMethod, Message, NameMap, NamedProp, Store, StoreError};

use crate::data_offset;
use crate::error::{CopyError, Result};

/// How to convert.
#[derive(Clone, Debug, Default)]
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
}

/// What happens during a conversion, for progress and reports.
#[derive(Debug)]
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
    /// An item could not be read and was left out (salvage mode).
    Skipped {
        /// The folder's path.
        folder: &'e str,
        /// The item's node id in the source.
        nid: Nid,
        /// Why.
        error: &'e str,
    },
    /// The copy is written; the verify pass starts.
    Verifying,
}

/// An item left out of a salvage copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The folder's path in the source.
    pub folder: String,
    /// The item's node id in the source.
    pub nid: Nid,
    /// Why it was left out.
    pub error: String,
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
    /// Items whose digest was compared in the verify pass.
    pub verified: u64,
    /// Where the file was written.
    pub path: PathBuf,
    /// Whether large attachments were copied block by block as stored.
    pub stored_copy: bool,
    /// Whether whole items were moved as stored (same variant, encoding and
    /// named-property ids): verified by block digests, never decoded.
    pub moved: bool,
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
    // The fastest lane: whole items moved as stored, when the blocks mean
    // the same in both files and named-property ids can be kept.
    let moved = pstkit_ndb::stored::can_move_stored(
        src.ndb().format(),
        opts.writer.format,
        opts.writer.crypt,
    ) && src.ndb().crypt() == opts.writer.crypt
        && !opts.rebuild
        && w.adopt_names(src.names());
    if let Some(b) = &opts.binding {
        let id = w.named_prop(&binding_prop())?;
        w.set_store_properties(b.store_properties(id));
    }
    // The fast path: same variant and an encoding not keyed by block id.
    let stored = src.ndb().format().variant == opts.writer.format.variant
        && src.ndb().crypt() == opts.writer.crypt
        && matches!(opts.writer.crypt, CryptMethod::None | CryptMethod::Permute);
    let mut c = Copier {
        stored,
        moved,
        src,
        names: src.names(),
        w: &mut w,
        salvage: opts.salvage,
        summary: ConvertSummary::default(),
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
        .finish_with(&mut |tmp| {
            verified = verify(src, tmp, &digests, stored).map_err(|e| StoreError::Invalid {
                nid: Nid(0),
                what: format!("verify pass: {e}"),
            })?;
            census = Store::open(tmp.ndb())?.census();
            // The copy is published only if its source stayed as it was.
            if let Some(c) = src.ndb().source_changed() {
                return Err(c.into());
            }
            Ok(())
        })
        .map_err(|e| changed(e.into()))?;
    summary.verified = verified;
    summary.copy = census;
    summary.bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    summary.path = path;
    Ok(summary)
}

struct Copier<'c, 's, 'a> {
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
        while let Some((snid, dparent, path)) = stack.pop() {
            if !seen.insert(snid) {
                continue;
            }
            let folder = match self.src.folder(snid) {
                Ok(f) => f,
                Err(e) => {
                    self.damaged(&path, snid, &e.to_string(), progress)?;
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
                    Err(e) => {
                        self.damaged(&path, snid, &format!("contents table: {e}"), progress)?
                    }
                }
            }
            folders.push((dnid, path.clone()));
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
                Err(e) => self.damaged(&path, snid, &format!("hierarchy table: {e}"), progress)?,
            }
        }
        order.sort_unstable();
        for (_, f, nid, assoc) in order {
            let (dnid, path) = &folders[f as usize];
            match self.copy_item(nid, *dnid, assoc) {
                Ok(()) => progress(CopyEvent::Item {
                    bytes_written: self.w.bytes_written(),
                }),
                // A full disk is the output's failure, never the item's.
                Err(e) if e.is_output() => return Err(e.at_output(self.w.temp_path())),
                Err(e) => self.damaged(path, nid, &e.to_string(), progress)?,
            }
        }
        Ok(())
    }

    fn damaged(
        &mut self,
        folder: &str,
        nid: Nid,
        error: &str,
        progress: &mut dyn FnMut(CopyEvent<'_>),
    ) -> Result<()> {
        if !self.salvage {
            return Err(CopyError::Damaged {
                folder: folder.to_string(),
                nid,
                what: error.to_string(),
            });
        }
        progress(CopyEvent::Skipped { folder, nid, error });
        self.summary.skipped.push(Skipped {
            folder: folder.to_string(),
            nid,
            error: error.to_string(),
        });
        Ok(())
    }

    fn copy_item(&mut self, nid: Nid, folder: Nid, assoc: bool) -> Result<()> {
        if self.moved {
            return self.move_item(nid, folder, assoc);
        }
        let m = self.src.message(nid)?;
        let new = self.new_message(&m, 0)?;
        // The digest of what is written is the digest of the source as read:
        // the message is read once.
        let w = &*self.w;
        let digest = digest_new(&new, &|id| w.name_of(id).cloned());
        let dnid = if assoc {
            self.summary.associated += 1;
            self.w.add_associated(folder, &new)?
        } else {
            self.summary.items += 1;
            self.w.add_message(folder, &new)?
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

/// A property id mapping: source id to destination id (`None` leaves the
/// property out).
type IdMap<'f> = dyn FnMut(PropId) -> Result<Option<PropId>> + 'f;

fn map_props(
    props: impl Iterator<Item = (PropTag, Result<PropValue, pstkit_ltp::LtpError>)>,
    skip: &[u16],
    map: &mut IdMap<'_>,
) -> Result<Vec<(PropTag, PropValue)>> {
    let mut out = Vec::new();
    for (tag, v) in props {
        if skip.contains(&tag.id().0) {
            continue;
        }
        let v = v?;
        if let Some(id) = map(tag.id())? {
            // Some writers bind one name to several ids; the destination
            // names it once and keeps the first value (in id order).
            if !out.iter().any(|(t, _): &(PropTag, PropValue)| t.id() == id) {
                out.push((PropTag::new(id, tag.prop_type()), v));
            }
        }
    }
    Ok(out)
}

/// A property context's properties for copying: Unicode strings and
/// binaries as their stored bytes (they are written back as they are, and
/// between variants their bytes mean the same), other types decoded. A
/// string that would not decode (an odd length) still fails as it would.
/// The subject and class stay decoded: the writer marks the one and
/// defaults the other.
fn stored_props<'p, 'a>(
    pc: &'p pstkit_ltp::PropertyContext<'a>,
) -> impl Iterator<Item = (PropTag, Result<PropValue, pstkit_ltp::LtpError>)> + use<'p, 'a> {
    pc.records().iter().map(move |r| {
        let t = r.tag;
        let carry = matches!(t.prop_type(), PropType::String | PropType::Binary)
            && !matches!(t.id().0, 0x0037 | 0x001A);
        let v = if carry {
            pc.raw_of(*r).and_then(|raw| {
                if t.prop_type() == PropType::String && raw.len() % 2 != 0 {
                    return pc.value_of(*r);
                }
                Ok(PropValue::Unknown {
                    ptype: t.type_code(),
                    bytes: raw.into_owned(),
                })
            })
        } else {
            pc.value_of(*r)
        };
        (t, v)
    })
}

/// Reads a message whole, with its recipients, attachments and embedded
/// messages, as a message to write (property ids passed through `map`).
///
/// With `stored`, large attachment bytes are taken as their blocks are
/// stored (see [`pstkit_store::write::StoredStream`]): the fast path of a
/// copy between files of one variant and encoding.
pub fn read_message(
    m: &Message<'_>,
    map: &mut IdMap<'_>,
    stored: bool,
    depth: usize,
) -> Result<NewMessage> {
    if depth > crate::MAX_EMBED_DEPTH {
        return Err(CopyError::TooDeep(crate::MAX_EMBED_DEPTH));
    }
    let props = map_props(stored_props(m.properties()), &[], map)?;
    let mut recipients = Vec::new();
    for row in m.recipient_rows()? {
        recipients.push(map_props(
            row.into_iter().map(|(t, v)| (t, Ok(v))),
            &[],
            map,
        )?);
    }
    let mut attachments = Vec::new();
    for a in m.attachments()? {
        let a = a?;
        let props = map_props(stored_props(a.properties()), &[0x3701], map)?;
        let content = match a.method() {
            AttachMethod::EmbeddedMessage => match a.embedded()? {
                Some(e) => {
                    AttachContent::Message(Box::new(read_message(&e, map, stored, depth + 1)?))
                }
                None => AttachContent::None,
            },
            _ => match a
                .properties()
                .record(PropId(0x3701))
                .map(|r| r.tag.prop_type())
            {
                Some(PropType::Binary) if stored => match a.stored_data()? {
                    Some(s) => AttachContent::Stored(s),
                    None => a
                        .data()?
                        .map_or(AttachContent::None, |d| AttachContent::Data(d.into_owned())),
                },
                Some(PropType::Object) => a.data()?.map_or(AttachContent::None, |d| {
                    AttachContent::Object(d.into_owned())
                }),
                _ => a
                    .data()?
                    .map_or(AttachContent::None, |d| AttachContent::Data(d.into_owned())),
            },
        };
        attachments.push(NewAttachment { props, content });
    }
    Ok(NewMessage {
        props,
        recipients,
        attachments,
    })
}

/// What the verify pass compares for one item.
struct Digest {
    /// The item in the destination.
    dest: Nid,
    /// The item in the source.
    src: Nid,
    /// The source item's digest: of its properties and parts as read, or
    /// for a moved item of its blocks as stored.
    digest: u64,
    /// Whether the item was moved as stored.
    moved: bool,
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

/// Properties whose stored form a writer may set or change: the digest
/// leaves them out (the subject is compared without its prefix marker).
const VOLATILE: &[u16] = &[
    0x0E07, 0x0E08, 0x0E17, 0x0E20, 0x3000, 0x3007, 0x3008, 0x300B, 0x3701, 0x3705, 0x370B, 0x67F2,
    0x67F3, 0x0037, 0x001A,
];

/// FNV-1a, 64 bits, over short keys; bulk bytes go through the SIMD CRC.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xCBF2_9CE4_8422_2325)
    }
    fn bytes(&mut self, b: &[u8]) {
        for x in b {
            self.0 ^= u64::from(*x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01B3);
        }
    }
    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
}

/// A value's hash: CRC-32 and length of its bytes for strings and binaries
/// (fast on megabytes), the debug form of small fixed values.
fn bulk_hash(b: &[u8]) -> u64 {
    (u64::from(crc32fast::hash(b)) << 32) ^ b.len() as u64
}

fn value_hash(v: &PropValue) -> u64 {
    let bulk = bulk_hash;
    match v {
        PropValue::Binary(b) => bulk(b),
        PropValue::String(s) => bulk(s.as_bytes()),
        PropValue::String8(s) => bulk(s.bytes()),
        PropValue::Unknown { ptype, bytes } => bulk(bytes) ^ u64::from(*ptype) << 16,
        // Small values: their type and stored bytes (no text formatting).
        other => {
            let mut h = Fnv::new();
            h.u64(u64::from(other.prop_type().code()));
            h.bytes(&pstkit_ltp::write::encode_value(other));
            h.0
        }
    }
}

/// The name a digest uses for a named property id.
type NameOf<'f> = dyn Fn(PropId) -> Option<NamedProp> + 'f;

/// One digest entry: a property (by name for named ones) or a part, and
/// the hash of its value.
type DigestEntry = (String, u64);

/// What a message holds, entry by entry: its properties (named ones by
/// name), class, recipients, attachments with their bytes and embedded
/// messages; leaving out the properties a writer may set or store in
/// another form (flags, sizes, times, row ids, how attachment bytes are
/// held), whose list is in the source.
pub fn digest_entries(m: &NewMessage, name_of: &NameOf<'_>) -> Vec<DigestEntry> {
    let mut out = Vec::new();
    walk_entries(&mut TextKeys, &mut out, &String::new(), m, name_of);
    out
}

/// A digest of what [`digest_entries`] lists, made by the same walk with
/// numbers for keys instead of text: the verify pass digests every item
/// twice, and the text is only made to explain a difference.
pub fn digest_new(m: &NewMessage, name_of: &NameOf<'_>) -> u64 {
    let mut entries: Vec<(u64, u64)> = Vec::with_capacity(m.props.len() + 8);
    let mut keys = NumberKeys::default();
    walk_entries(&mut keys, &mut entries, &0, m, name_of);
    let mut h = Fnv::new();
    for (k, v) in entries {
        h.u64(k);
        h.u64(v);
    }
    h.0
}

/// The message class a digest uses (MAPI's `IPM.Note` when none is set).
fn class_of(m: &NewMessage) -> String {
    m.props
        .iter()
        .find_map(|(t, v)| match (t.id().0, v) {
            (0x001A, PropValue::String(s)) => Some(s.clone()),
            (0x001A, PropValue::String8(s)) => Some(String::from_utf8_lossy(s.bytes()).into()),
            _ => None,
        })
        .unwrap_or_else(|| "IPM.Note".into())
}

/// A step from a part of a message to what it holds, for digest keys.
#[derive(Clone, Copy)]
enum Step {
    Class,
    Recipient(usize),
    Attachment(usize),
    Data,
    Object,
    Stored,
    Message,
    /// A property that is not named, by its tag.
    Tag(u32),
}

/// How digest keys are made: as text ([`digest_entries`]) or as numbers
/// ([`digest_new`]); one walk serves both.
trait Keys {
    type Key: Ord;
    /// What a named property is known by (compared to keep the first of
    /// several ids bound to one name).
    type Name: PartialEq;
    fn step(&mut self, at: &Self::Key, step: Step) -> Self::Key;
    fn name(&mut self, id: PropId, name_of: &NameOf<'_>) -> Option<Self::Name>;
    fn named(&mut self, at: &Self::Key, name: &Self::Name, type_code: u16) -> Self::Key;
}

struct TextKeys;

impl Keys for TextKeys {
    type Key = String;
    type Name = NamedProp;
    fn step(&mut self, at: &String, step: Step) -> String {
        match step {
            Step::Class => format!("{at}class"),
            Step::Recipient(i) => format!("{at}recipient {i} "),
            Step::Attachment(i) => format!("{at}attachment {i} "),
            Step::Data => format!("{at}data"),
            Step::Object => format!("{at}object"),
            Step::Stored => format!("{at}stored"),
            Step::Message => format!("{at}message "),
            Step::Tag(t) => format!("{at}{t:08X}"),
        }
    }
    fn name(&mut self, id: PropId, name_of: &NameOf<'_>) -> Option<NamedProp> {
        name_of(id)
    }
    fn named(&mut self, at: &String, name: &NamedProp, type_code: u16) -> String {
        format!("{at}{name}/{type_code:04X}")
    }
}

/// Number keys: a hash of the part and of the property; names are hashed
/// once per id.
#[derive(Default)]
struct NumberKeys {
    names: HashMap<PropId, Option<u64>>,
}

/// A 64-bit mix of two numbers (for digest keys).
fn mix(a: u64, b: u64) -> u64 {
    let x = (a ^ b.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 31)
}

impl Keys for NumberKeys {
    type Key = u64;
    type Name = u64;
    fn step(&mut self, at: &u64, step: Step) -> u64 {
        let (kind, n) = match step {
            Step::Class => (1, 0),
            Step::Recipient(i) => (3, i as u64),
            Step::Attachment(i) => (4, i as u64),
            Step::Data => (6, 0),
            Step::Object => (7, 0),
            Step::Stored => (8, 0),
            Step::Message => (9, 0),
            Step::Tag(t) => (10, u64::from(t)),
        };
        mix(mix(*at, kind), n)
    }
    fn name(&mut self, id: PropId, name_of: &NameOf<'_>) -> Option<u64> {
        *self.names.entry(id).or_insert_with(|| {
            name_of(id).map(|np| {
                let mut h = Fnv::new();
                h.bytes(np.to_string().as_bytes());
                h.0
            })
        })
    }
    fn named(&mut self, at: &u64, name: &u64, type_code: u16) -> u64 {
        mix(mix(*at, *name), u64::from(type_code) | 1 << 40)
    }
}

fn walk_entries<K: Keys>(
    keys: &mut K,
    out: &mut Vec<(K::Key, u64)>,
    at: &K::Key,
    m: &NewMessage,
    name_of: &NameOf<'_>,
) {
    let class = class_of(m);
    out.push((
        keys.step(at, Step::Class),
        value_hash(&PropValue::String(class)),
    ));
    walk_props(keys, out, at, &m.props, name_of);
    for (i, row) in m.recipients.iter().enumerate() {
        let r = keys.step(at, Step::Recipient(i));
        walk_props(keys, out, &r, row, name_of);
    }
    for (i, a) in m.attachments.iter().enumerate() {
        let p = keys.step(at, Step::Attachment(i));
        walk_props(keys, out, &p, &a.props, name_of);
        match &a.content {
            AttachContent::None => {}
            AttachContent::Data(d) => out.push((keys.step(&p, Step::Data), bulk_hash(d))),
            AttachContent::Object(d) => out.push((keys.step(&p, Step::Object), bulk_hash(d))),
            AttachContent::Stored(st) => {
                // Block by block: the CRC and size of each stored block.
                let mut h = Fnv::new();
                for (b, crc, inflated) in &st.blocks {
                    h.u64((u64::from(*crc) << 32) | b.len() as u64);
                    h.u64(u64::from(*inflated));
                }
                out.push((keys.step(&p, Step::Stored), h.0));
            }
            AttachContent::Message(e) => {
                let inner = keys.step(&p, Step::Message);
                walk_entries(keys, out, &inner, e, name_of);
            }
        }
    }
}

/// One property list's entries, sorted (a writer may store them in another
/// order).
fn walk_props<K: Keys>(
    keys: &mut K,
    out: &mut Vec<(K::Key, u64)>,
    at: &K::Key,
    props: &[(PropTag, PropValue)],
    name_of: &NameOf<'_>,
) {
    let from = out.len();
    let mut named_seen: Vec<K::Name> = Vec::new();
    for (tag, v) in props {
        let id = tag.id();
        if VOLATILE.contains(&id.0) {
            continue;
        }
        let key = if id.is_named() {
            match keys.name(id, name_of) {
                // The first of several ids bound to one name, as the copy keeps.
                Some(n) if !named_seen.contains(&n) => {
                    let key = keys.named(at, &n, tag.type_code());
                    named_seen.push(n);
                    key
                }
                _ => continue,
            }
        } else {
            keys.step(at, Step::Tag(tag.0))
        };
        let hash = match (id.0, v) {
            (0x0037, PropValue::String(s)) => value_hash(&PropValue::String(normalize_subject(s))),
            _ => value_hash(v),
        };
        out.push((key, hash));
    }
    out[from..].sort_unstable();
}

/// The digest of a message as read (named properties through `names`).
pub fn digest_message(m: &Message<'_>, names: &NameMap) -> Result<u64> {
    digest_message_as(m, names, false)
}

/// As [`digest_message`], large attachment bytes taken as stored or not.
fn digest_message_as(m: &Message<'_>, names: &NameMap, stored: bool) -> Result<u64> {
    let new = read_message(m, &mut |id| Ok(Some(id)), stored, 0)?;
    Ok(digest_new(&new, &|id| names.get(id).cloned()))
}

/// Re-reads the written file and compares every item's digest with the
/// source's; returns how many were compared. A difference is reported with
/// the first entry that differs.
fn verify(src: &Store<'_>, file: &NdbFile, digests: &[Digest], stored: bool) -> Result<u64> {
    // The items are checked on one thread per CPU, each through its own
    // view of the copy; the first difference (in copy order) is then
    // described here, where the source can be read.
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .clamp(1, 8);
    let part = digests.len().div_ceil(threads).max(1);
    let outcomes: Vec<Result<Option<&Digest>>> = std::thread::scope(|s| {
        let handles: Vec<_> = digests
            .chunks(part)
            .map(|p| s.spawn(move || first_difference(file, p, stored)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(CopyError::Verify {
                        nid: Nid(0),
                        what: "verify thread panicked".into(),
                    })
                })
            })
            .collect()
    });
    for outcome in outcomes {
        if let Some(d) = outcome? {
            return Err(describe_difference(src, file, d, stored));
        }
    }
    Ok(digests.len() as u64)
}

/// The first item of `part` whose copy differs from its source's digest.
fn first_difference<'d>(
    file: &NdbFile,
    part: &'d [Digest],
    stored: bool,
) -> Result<Option<&'d Digest>> {
    let store = Store::open(file.ndb())?;
    let ndb = file.ndb();
    for d in part {
        let got = if d.moved {
            let e = ndb.node_entry(d.dest).map_err(StoreError::from)?;
            // The writer's own check has just verified every block's CRC.
            ndb.stored_digest(e.data, e.sub).map_err(StoreError::from)?
        } else {
            digest_message_as(&store.message(d.dest)?, store.names(), stored)?
        };
        if got != d.digest {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

/// What differs between an item and its copy.
fn describe_difference(src: &Store<'_>, file: &NdbFile, d: &Digest, stored: bool) -> CopyError {
    let what = if d.moved {
        Ok(format!(
            "item moved from source {} differs from it block by block",
            d.src
        ))
    } else {
        (|| -> Result<String> {
            let store = Store::open(file.ndb())?;
            let m = store.message(d.dest)?;
            let subject = normalize_subject(&m.subject().unwrap_or_default());
            let names = store.names();
            let ours = digest_entries(
                &read_message(&m, &mut |id| Ok(Some(id)), stored, 0)?,
                &|id| names.get(id).cloned(),
            );
            let src_names = src.names();
            let theirs = digest_entries(
                &read_message(&src.message(d.src)?, &mut |id| Ok(Some(id)), stored, 0)?,
                &|id| src_names.get(id).cloned(),
            );
            let first = theirs
                .iter()
                .zip(ours.iter())
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("source has {} where the copy has {}", a.0, b.0))
                .unwrap_or_else(|| {
                    format!(
                        "source has {} entries, the copy {}",
                        theirs.len(),
                        ours.len()
                    )
                });
            Ok(format!(
                "item {subject:?} (source {}) differs: {first}",
                d.src
            ))
        })()
    };
    match what {
        Ok(what) => CopyError::Verify { nid: d.dest, what },
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The items of `store` with their true digests, decoded (even) and
    /// as stored (odd places).
    fn true_digests(store: &Store<'_>) -> Vec<Digest> {
        let ndb = store.ndb();
        let mut out = Vec::new();
        for w in store.walk().flatten() {
            for nid in w.folder.message_ids().unwrap() {
                let moved = out.len() % 2 == 1;
                let digest = if moved {
                    let e = ndb.node_entry(nid).unwrap();
                    ndb.stored_digest(e.data, e.sub).unwrap()
                } else {
                    digest_message(&store.message(nid).unwrap(), store.names()).unwrap()
                };
                out.push(Digest {
                    dest: nid,
                    src: nid,
                    digest,
                    moved,
                });
            }
        }
        out
    }

    #[test]
    fn verify_finds_the_first_difference_whichever_thread_checks_it() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("m.pst");
        let mut w = PstWriter::create(&path, WriterOptions::default()).unwrap();
        let opts = pstkit_store::synth::SynthOptions {
            messages: 60,
            seed: 2,
        };
        pstkit_store::synth::generate(&mut w, &opts, |_| {}).unwrap();
        w.finish().unwrap();
        let file = NdbFile::open(&path).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let mut digests = true_digests(&store);
        assert_eq!(digests.len(), 60);
        assert_eq!(verify(&store, &file, &digests, false).unwrap(), 60);

        // Two wrong digests, far apart (in different threads' shares when
        // there are several): the earlier one is reported, with what
        // differs.
        digests[50].digest ^= 1;
        digests[20].digest ^= 1;
        match verify(&store, &file, &digests, false) {
            Err(CopyError::Verify { nid, what }) => {
                assert_eq!(nid, digests[20].dest);
                assert!(what.contains("differs"), "{what}");
            }
            other => panic!("{other:?}"),
        }
        digests[20].digest ^= 1;
        match verify(&store, &file, &digests, false) {
            Err(CopyError::Verify { nid, .. }) => assert_eq!(nid, digests[50].dest),
            other => panic!("{other:?}"),
        }
        digests[50].digest ^= 1;
        // A moved item whose blocks differ.
        digests[1].digest ^= 1;
        match verify(&store, &file, &digests, false) {
            Err(CopyError::Verify { nid, what }) => {
                assert_eq!(nid, digests[1].dest);
                assert!(what.contains("block by block"), "{what}");
            }
            other => panic!("{other:?}"),
        }
    }
}
