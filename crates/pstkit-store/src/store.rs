//! The message store and its folders.

use pstkit_ltp::{PropId, PropertyContext, TableContext};
use pstkit_ndb::{FileKind, Ndb, NdbError, Nid, NidType};

use crate::codepage::object_codepage;
use crate::error::{Result, StoreError};
use crate::message::{Message, Props};
use crate::names::NameMap;
use crate::pid;

pub use pstkit_ltp::DEFAULT_CODEPAGE;

/// The named-property map; a file without one has no named properties.
/// The store's named-property map. Every store has one ([MS-PST] 2.7.1):
/// one that is not found (its index entry lost) is an error like one that
/// does not read, so that a copy never drops named properties unnoticed.
fn read_name_map(ndb: Ndb<'_>) -> Result<NameMap> {
    let node = ndb.node(Nid::NAME_TO_ID_MAP)?;
    Ok(NameMap::read(&PropertyContext::read(node)?)?)
}

// Shows which store it is, not its bytes.
impl std::fmt::Debug for Store<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("kind", &self.ndb.header().kind)
            .field("variant", &self.ndb.format().variant)
            .field("codepage", &self.codepage)
            .finish_non_exhaustive()
    }
}

/// NIDs Outlook gives the special folders of every PST it makes.
const CONVENTIONAL_IPM_SUBTREE: Nid = Nid(0x8022);
const CONVENTIONAL_SEARCH_ROOT: Nid = Nid(0x8042);
const CONVENTIONAL_DELETED_ITEMS: Nid = Nid(0x8062);

/// An opened message store: the store's properties, its named-property map
/// and the way into its folders.
pub struct Store<'a> {
    ndb: Ndb<'a>,
    pc: PropertyContext<'a>,
    names: NameMap,
    names_error: Option<StoreError>,
    codepage: u32,
    /// The store object could not be read ([`Store::open_salvaging`]).
    object_lost: bool,
}

impl<'a> Store<'a> {
    /// Reads the message store (NID 0x21) and the named-property map. A
    /// damaged map does not stop the store from opening (the mail is still
    /// there); its error is kept in [`Store::name_map_error`].
    pub fn open(ndb: Ndb<'a>) -> Result<Self> {
        let pc = PropertyContext::read(ndb.node(Nid::MESSAGE_STORE)?)?;
        Ok(Self::with_object(ndb, pc, false))
    }

    /// [`Store::open`] for a salvage: when the message store object (NID
    /// 0x21) cannot be read, the store opens without its properties (its
    /// display name, the EntryIDs of its special folders) and the error is
    /// returned beside it. The folders are still found from the root folder
    /// (NID 0x122), which every file has at a fixed id. Errs with the store's
    /// error only if the stand-in cannot be made.
    pub fn open_salvaging(ndb: Ndb<'a>) -> Result<(Self, Option<StoreError>)> {
        let lost = match ndb.node(Nid::MESSAGE_STORE) {
            Ok(node) => match PropertyContext::read(node) {
                Ok(pc) => return Ok((Self::with_object(ndb, pc, false), None)),
                Err(e) => StoreError::from(e),
            },
            Err(e) => StoreError::from(e),
        };
        match PropertyContext::empty(Nid::MESSAGE_STORE, ndb.format().variant) {
            Ok(pc) => Ok((Self::with_object(ndb, pc, true), Some(lost))),
            Err(_) => Err(lost),
        }
    }

    fn with_object(ndb: Ndb<'a>, pc: PropertyContext<'a>, object_lost: bool) -> Self {
        let (names, names_error) = match read_name_map(ndb) {
            Ok(names) => (names, None),
            Err(e) => (NameMap::default(), Some(e)),
        };
        let codepage = object_codepage(&pc)
            .or_else(|| infer_codepage(ndb))
            .unwrap_or(DEFAULT_CODEPAGE);
        Store {
            ndb,
            pc,
            names,
            names_error,
            codepage,
            object_lost,
        }
    }

    /// Overrides the code page used for 8-bit strings that name none (for
    /// ANSI files made on, say, a Japanese system).
    pub fn set_default_codepage(&mut self, codepage: u32) {
        self.codepage = codepage;
    }

    /// The code page used for 8-bit strings that name none.
    pub fn default_codepage(&self) -> u32 {
        self.codepage
    }

    /// The node database below.
    pub fn ndb(&self) -> Ndb<'a> {
        self.ndb
    }

    fn p(&self) -> Props<'_, 'a> {
        Props {
            pc: &self.pc,
            codepage: self.codepage,
        }
    }

    /// The store's properties.
    pub fn properties(&self) -> &PropertyContext<'a> {
        &self.pc
    }

    /// The named-property map (empty when it could not be read, see
    /// [`Store::name_map_error`]).
    pub fn names(&self) -> &NameMap {
        &self.names
    }

    /// Why the named-property map could not be read: its named properties
    /// then have no names, and a copy or a check must say so rather than
    /// take the empty map for the file's own.
    pub fn name_map_error(&self) -> Option<&StoreError> {
        self.names_error.as_ref()
    }

    /// PidTagDisplayName of the store.
    pub fn display_name(&self) -> Option<String> {
        self.p().string(pid::DISPLAY_NAME)
    }

    /// PidTagRecordKey: the provider UID that PST EntryIDs carry.
    pub fn record_key(&self) -> Option<Vec<u8>> {
        self.p().binary(pid::RECORD_KEY)
    }

    /// The CRC of the password when one is set. The password only gates
    /// Outlook's UI; no data is encrypted with it, so reading goes on.
    pub fn password_crc(&self) -> Option<u32> {
        let v = self.p().i32(pid::PST_PASSWORD)? as u32;
        (v != 0 && v != u32::MAX).then_some(v)
    }

    /// The node id an EntryID property of the store points at (PST EntryIDs
    /// end with the NID; Exchange-style OST EntryIDs do not resolve here).
    fn entry_nid(&self, id: PropId) -> Option<Nid> {
        let eid = self.p().binary(id)?;
        (eid.len() == 24).then(|| Nid(u32::from_le_bytes([eid[20], eid[21], eid[22], eid[23]])))
    }

    /// A special folder: the folder the store's entry id `id` names, or,
    /// when the store object is lost or the entry id names no folder node,
    /// the folder of the NID Outlook gives it in every new PST (as its empty
    /// PST template holds them), when one hangs from `parent`.
    fn special(&self, id: PropId, conventional: Nid, parent: Option<Nid>) -> Option<Nid> {
        let named = self.entry_nid(id);
        let resolves = |n: Nid| {
            matches!(n.kind(), NidType::NormalFolder | NidType::SearchFolder)
                && self.ndb.node_entry(n).is_ok()
        };
        match named {
            Some(n) if resolves(n) => Some(n),
            _ if (self.object_lost || named.is_some())
                && self.ndb.header().kind == FileKind::Pst =>
            {
                let e = self.ndb.node_entry(conventional).ok()?;
                (Some(e.parent) == parent).then_some(conventional)
            }
            _ => named,
        }
    }

    /// The IPM subtree ("Top of Personal Folders"), when the store names it
    /// (or, its object lost or its entry id naming no folder, NID 0x8022 when
    /// it is a folder below the root).
    pub fn ipm_subtree(&self) -> Option<Nid> {
        self.special(
            pid::IPM_SUBTREE_ENTRY_ID,
            CONVENTIONAL_IPM_SUBTREE,
            Some(Nid::ROOT_FOLDER),
        )
    }

    /// Deleted Items, when the store names it (or, its object lost or its
    /// entry id naming no folder, NID 0x8062 below the IPM subtree).
    pub fn wastebasket(&self) -> Option<Nid> {
        self.special(
            pid::IPM_WASTEBASKET_ENTRY_ID,
            CONVENTIONAL_DELETED_ITEMS,
            self.ipm_subtree(),
        )
    }

    /// Search Root (the finder), when the store names it (or, its object
    /// lost, NID 0x8042 below the root).
    pub fn finder(&self) -> Option<Nid> {
        self.special(
            pid::FINDER_ENTRY_ID,
            CONVENTIONAL_SEARCH_ROOT,
            Some(Nid::ROOT_FOLDER),
        )
    }

    /// The root folder (NID 0x122): the top of every folder path.
    pub fn root_folder(&self) -> Result<Folder<'a>> {
        self.folder(Nid::ROOT_FOLDER)
    }

    /// The folder `nid`.
    pub fn folder(&self, nid: Nid) -> Result<Folder<'a>> {
        if !matches!(nid.kind(), NidType::NormalFolder | NidType::SearchFolder) {
            return Err(StoreError::invalid(nid, "not a folder id"));
        }
        let pc = PropertyContext::read(self.ndb.node(nid)?)?;
        let codepage = object_codepage(&pc).unwrap_or(self.codepage);
        Ok(Folder {
            ndb: self.ndb,
            nid,
            pc,
            codepage,
        })
    }

    /// The message `nid` (a folder's item).
    pub fn message(&self, nid: Nid) -> Result<Message<'a>> {
        if !matches!(nid.kind(), NidType::NormalMessage | NidType::AssocMessage) {
            return Err(StoreError::invalid(nid, "not a message id"));
        }
        Message::read(self.ndb.node(nid)?, self.codepage)
    }

    /// Walks the folder tree depth first from the root folder, one folder at
    /// a time; damaged folders are yielded as errors and their subtrees skipped.
    pub fn walk(&self) -> FolderWalk<'_, 'a> {
        FolderWalk {
            store: self,
            stack: vec![(Nid::ROOT_FOLDER, Vec::new(), 0)],
            seen: std::collections::HashSet::new(),
            pending: None,
        }
    }

    /// Counts folders and items through the folder tree, reading tables
    /// only. This is the one folder count every command reports.
    pub fn census(&self) -> Census {
        let mut c = Census::default();
        for walked in self.walk() {
            let Ok(w) = walked else {
                c.unreadable += 1;
                continue;
            };
            // The root folder is the store's frame: no reader lists it.
            if w.path.is_empty() {
                continue;
            }
            c.folders += 1;
            c.search_folders += u64::from(w.folder.is_search_folder());
            c.items += w.folder.message_ids().map_or(0, |v| v.len() as u64);
            c.associated += w.folder.associated_ids().map_or(0, |v| v.len() as u64);
        }
        c
    }
}

/// What a store holds, as [`Store::census`] counts it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// Folders below the root folder, search folders included.
    pub folders: u64,
    /// Of `folders`: search folders (saved searches; their results are items
    /// of other folders).
    pub search_folders: u64,
    /// Folders the walk could not read (their subtrees are not counted).
    pub unreadable: u64,
    /// Normal items.
    pub items: u64,
    /// Folder-associated (hidden) items.
    pub associated: u64,
}

/// Messages looked at to find the code page of a store that names none.
const CODEPAGE_SAMPLE: usize = 16;

/// The code page most of the first messages name. Folder names and other
/// 8-bit strings of the store were written in the same system code page, and
/// the store object itself never names it.
fn infer_codepage(ndb: Ndb<'_>) -> Option<u32> {
    let mut votes: Vec<(u32, usize)> = Vec::new();
    let messages = ndb
        .nodes()
        .filter_map(|e| e.ok())
        .filter(|e| e.nid.kind() == NidType::NormalMessage)
        .take(CODEPAGE_SAMPLE);
    for e in messages {
        let Ok(node) = ndb.node(e.nid) else { continue };
        let Ok(pc) = PropertyContext::read(node) else {
            continue;
        };
        if let Some(cp) = object_codepage(&pc) {
            match votes.iter_mut().find(|v| v.0 == cp) {
                Some(v) => v.1 += 1,
                None => votes.push((cp, 1)),
            }
        }
    }
    votes.into_iter().max_by_key(|v| v.1).map(|v| v.0)
}

// Shows which folder it is, not its bytes.
impl std::fmt::Debug for Folder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Folder")
            .field("nid", &self.nid)
            .finish_non_exhaustive()
    }
}

/// A folder.
pub struct Folder<'a> {
    ndb: Ndb<'a>,
    nid: Nid,
    pc: PropertyContext<'a>,
    codepage: u32,
}

impl<'a> Folder<'a> {
    fn p(&self) -> Props<'_, 'a> {
        Props {
            pc: &self.pc,
            codepage: self.codepage,
        }
    }

    /// The folder's node id.
    pub fn nid(&self) -> Nid {
        self.nid
    }

    /// The file the folder is read from.
    pub fn ndb(&self) -> Ndb<'a> {
        self.ndb
    }

    /// All properties.
    pub fn properties(&self) -> &PropertyContext<'a> {
        &self.pc
    }

    /// PidTagDisplayName ("" for the root folder, which has none).
    pub fn display_name(&self) -> String {
        self.p().string(pid::DISPLAY_NAME).unwrap_or_default()
    }

    /// PidTagContentCount as recorded.
    pub fn content_count(&self) -> Option<i32> {
        self.p().i32(pid::CONTENT_COUNT)
    }

    /// PidTagContentUnreadCount as recorded.
    pub fn unread_count(&self) -> Option<i32> {
        self.p().i32(pid::CONTENT_UNREAD_COUNT)
    }

    /// PidTagSubfolders as recorded.
    pub fn has_subfolders(&self) -> Option<bool> {
        self.p().bool(pid::SUBFOLDERS)
    }

    /// PidTagContainerClass (`IPF.Note`, `IPF.Contact`, …).
    pub fn container_class(&self) -> Option<String> {
        self.p().string(pid::CONTAINER_CLASS)
    }

    /// The subject this folder's contents table shows for item `nid` (the
    /// copy a folder keeps for its views), when the table and the cell
    /// read: what a loss report can name an item by whose own properties
    /// are lost.
    pub fn listed_subject(&self, nid: Nid) -> Option<String> {
        let kind = match nid.kind() {
            NidType::AssocMessage => NidType::AssocContentsTable,
            _ => NidType::ContentsTable,
        };
        let node = self.ndb.node(self.nid.with_kind(kind)).ok()?;
        let tc = TableContext::read(node).ok()?;
        let row = tc.find_row(nid.0).ok()??;
        row.get(pid::SUBJECT)?.ok()?.into_text(self.codepage).ok()
    }

    fn table_ids(&self, kind: NidType) -> Result<Vec<Nid>> {
        let node = match self.ndb.node(self.nid.with_kind(kind)) {
            Ok(n) => n,
            // A folder without the table has no such children.
            Err(NdbError::NodeNotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        // Ids only: a large folder's whole row matrix is not held for them.
        Ok(TableContext::read_row_ids(node)?
            .into_iter()
            .map(Nid)
            .collect())
    }

    /// Child folder ids, from the hierarchy table.
    pub fn subfolder_ids(&self) -> Result<Vec<Nid>> {
        self.table_ids(NidType::HierarchyTable)
    }

    /// Item ids, from the contents table. A search folder holds no items of
    /// its own (its results are the items of other folders), so it has none
    /// here, as in libpff's and libpst's exports.
    pub fn message_ids(&self) -> Result<Vec<Nid>> {
        if self.is_search_folder() {
            return Ok(Vec::new());
        }
        self.table_ids(NidType::ContentsTable)
    }

    /// Folder-associated (hidden) item ids, from the associated-contents table.
    pub fn associated_ids(&self) -> Result<Vec<Nid>> {
        if self.nid.kind() == NidType::SearchFolder {
            return Ok(Vec::new());
        }
        self.table_ids(NidType::AssocContentsTable)
    }

    /// Whether this is a search folder (its items live elsewhere).
    pub fn is_search_folder(&self) -> bool {
        self.nid.kind() == NidType::SearchFolder
    }
}

impl std::fmt::Debug for FolderWalk<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderWalk")
            .field("to_visit", &self.stack.len())
            .field("visited", &self.seen.len())
            .finish_non_exhaustive()
    }
}

/// Depth-first walk over the folder tree; see [`Store::walk`].
pub struct FolderWalk<'s, 'a> {
    store: &'s Store<'a>,
    /// (folder, path of display names below the root, depth)
    stack: Vec<(Nid, Vec<String>, usize)>,
    seen: std::collections::HashSet<Nid>,
    /// A folder's unreadable hierarchy table, reported after the folder.
    pending: Option<WalkError>,
}

/// A folder a walk could not read (or whose subfolders it could not list):
/// its id, the path of its parent, and why.
pub type WalkError = (Nid, Vec<String>, StoreError);

impl std::fmt::Debug for WalkedFolder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalkedFolder")
            .field("path", &self.path)
            .field("folder", &self.folder)
            .finish()
    }
}

/// A folder met by a walk, with its path.
pub struct WalkedFolder<'a> {
    /// Display names from below the root folder down to this folder.
    pub path: Vec<String>,
    /// The folder.
    pub folder: Folder<'a>,
}

impl WalkedFolder<'_> {
    /// The path joined by `/` (empty for the root folder).
    pub fn path_string(&self) -> String {
        self.path.join("/")
    }
}

/// Folder trees deeper than this are reported as damaged.
pub const MAX_FOLDER_DEPTH: usize = 256;

impl<'a> Iterator for FolderWalk<'_, 'a> {
    type Item = Result<WalkedFolder<'a>, WalkError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        let (nid, parent_path, depth) = self.stack.pop()?;
        // A hierarchy table naming an ancestor would otherwise loop forever.
        if !self.seen.insert(nid) || depth > MAX_FOLDER_DEPTH {
            return Some(Err((
                nid,
                parent_path,
                StoreError::invalid(nid, "folder met twice in the hierarchy"),
            )));
        }
        let folder = match self.store.folder(nid) {
            Ok(f) => f,
            Err(e) => return Some(Err((nid, parent_path, e))),
        };
        let mut path = parent_path;
        if nid != Nid::ROOT_FOLDER {
            path.push(folder.display_name());
        }
        match folder.subfolder_ids() {
            Ok(ids) => {
                for child in ids.into_iter().rev() {
                    self.stack.push((child, path.clone(), depth + 1));
                }
            }
            // The folder and its items are still listed; the lost
            // subtree is reported on the next call.
            Err(e) => self.pending = Some((nid, path.clone(), e)),
        }
        Some(Ok(WalkedFolder { path, folder }))
    }
}
