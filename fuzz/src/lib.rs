//! Helpers shared by pstkit's fuzz targets (see `fuzz/README.md`).
//!
//! The walks here read everything a reader can reach and throw the values
//! away: a target fails only by panicking, hanging or running out of
//! memory. Walks are bounded by the harness too (embedding depth, number
//! of objects), so that a hang means a hang inside one library call.

use std::io::Read;

use pstkit_ltp::PropValue;
use pstkit_ndb::{Ndb, Nid};
use pstkit_store::{ItemKind, Message, Store};

/// Embedded messages followed below a top-level message (pstkit-copy's own
/// limit; deeper nesting in a fuzzed file is a loop or damage).
pub const MAX_DEPTH: usize = pstkit_copy::MAX_EMBED_DEPTH;

/// Objects a walk reads before it stops (a hierarchy of 10 000 folders in a
/// 100 KB input is a fuzzer's construction, not a hang).
pub const MAX_OBJECTS: usize = 20_000;

/// Counts what a walk read; `errors` is what the library reported (fine in
/// a fuzzed file, never in a file pstkit wrote).
#[derive(Debug, Default)]
pub struct Walk {
    /// Folders, messages, attachments and recipients read.
    pub objects: usize,
    /// Errors the library returned.
    pub errors: Vec<String>,
}

impl Walk {
    fn err(&mut self, what: &str, e: impl std::fmt::Display) {
        if self.errors.len() < 100 {
            self.errors.push(format!("{what}: {e}"));
        }
    }

    fn budget(&mut self) -> bool {
        self.objects += 1;
        self.objects <= MAX_OBJECTS
    }

    /// Whether the walk read everything: no budget or error cap was hit.
    pub fn is_complete(&self) -> bool {
        self.objects <= MAX_OBJECTS && self.errors.len() < 100
    }
}

/// Reads every property of a property context.
pub fn read_pc(pc: &pstkit_ltp::PropertyContext<'_>, w: &mut Walk) {
    for (tag, v) in pc.props() {
        match v {
            Ok(v) => {
                let _ = v.prop_type();
                let _ = v.to_text(1252);
                if let PropValue::String8(s) = &v {
                    let _ = s.decode(932);
                }
            }
            Err(e) => w.err(&format!("property {tag:?}"), e),
        }
    }
    let _ = pc.codepage();
}

/// Reads everything about a message, its recipients and attachments, and
/// its embedded messages down to [`MAX_DEPTH`].
pub fn walk_message(store: &Store<'_>, m: &Message<'_>, depth: usize, w: &mut Walk) {
    if depth > MAX_DEPTH || !w.budget() {
        return;
    }
    let _ = (m.nid(), m.codepage(), m.class(), m.kind());
    let _ = (
        m.subject(),
        m.sender_name(),
        m.sender_email(),
        m.sender_smtp(),
    );
    let _ = (m.date(), m.submit_time(), m.flags(), m.size());
    let _ = (m.body(), m.body_html(), m.transport_headers());
    if let Some(Err(e)) = m.body_rtf() {
        w.err("rtf", e);
    }
    read_pc(m.properties(), w);
    match m.recipients() {
        Ok(rs) => {
            for r in rs {
                let _ = r.address();
                let _ = r.kind.name();
            }
        }
        Err(e) => w.err("recipients", e),
    }
    if let Err(e) = m.recipient_rows() {
        w.err("recipient rows", e);
    }
    let ids = match m.attachment_ids() {
        Ok(ids) => ids,
        Err(e) => {
            w.err("attachment table", e);
            Vec::new()
        }
    };
    for nid in ids {
        if !w.budget() {
            return;
        }
        let a = match m.attachment(nid) {
            Ok(a) => a,
            Err(e) => {
                w.err("attachment", e);
                continue;
            }
        };
        let _ = (a.nid(), a.method(), a.filename(), a.mime_type());
        let _ = (a.content_id(), a.size());
        read_pc(a.properties(), w);
        match a.data() {
            Ok(Some(d)) => {
                let _ = d.len();
            }
            Ok(None) => {}
            Err(e) => w.err("attachment data", e),
        }
        match a.embedded() {
            Ok(Some(e)) => walk_message(store, &e, depth + 1, w),
            Ok(None) => {}
            Err(e) => w.err("embedded message", e),
        }
    }
    // What the exporters make of it (they bound embedding themselves).
    if depth == 0 {
        if let Err(e) = pstkit_copy::message_to_eml(m, store) {
            w.err("eml", e);
        }
        if let Err(e) = pstkit_copy::message_to_msg(m, store.names()) {
            w.err("msg", e);
        }
        match m.kind() {
            ItemKind::Contact => {
                let _ = pstkit_copy::contact_to_vcard(m, store);
            }
            ItemKind::Appointment | ItemKind::Meeting => {
                if let Err(e) = pstkit_copy::appointment_to_ics(m, store) {
                    w.err("ics", e);
                }
            }
            _ => {}
        }
    }
}

/// Reads the store object, walks the folder tree and reads every message
/// (normal and associated) of every folder.
pub fn walk_store(store: &Store<'_>, w: &mut Walk) {
    let _ = (
        store.display_name(),
        store.record_key(),
        store.password_crc(),
    );
    let _ = (store.ipm_subtree(), store.wastebasket(), store.finder());
    let _ = store.default_codepage();
    read_pc(store.properties(), w);
    for (id, np) in store.names().iter() {
        let _ = (id, np.to_string());
    }
    let _ = pstkit_store::binding::BindingInfo::read(store);
    if let Err(e) = store.root_folder() {
        w.err("root folder", e);
    }
    for f in store.walk() {
        if !w.budget() {
            return;
        }
        let f = match f {
            Ok(f) => f,
            Err((nid, _, e)) => {
                w.err(&format!("folder {nid}"), e);
                continue;
            }
        };
        let folder = &f.folder;
        let _ = (f.path_string(), folder.nid(), folder.display_name());
        let _ = (folder.content_count(), folder.unread_count());
        let _ = (folder.has_subfolders(), folder.container_class());
        let _ = folder.is_search_folder();
        read_pc(folder.properties(), w);
        for ids in [folder.message_ids(), folder.associated_ids()] {
            let ids = match ids {
                Ok(ids) => ids,
                Err(e) => {
                    w.err("contents table", e);
                    continue;
                }
            };
            for nid in ids {
                if !w.budget() {
                    return;
                }
                match store.message(nid) {
                    Ok(m) => walk_message(store, &m, 0, w),
                    Err(e) => w.err(&format!("message {nid}"), e),
                }
            }
        }
    }
}

/// Reads a node's data (block by block, whole, and as a reader) and its
/// subnode tree, down to `depth` levels of subnodes.
pub fn walk_node(ndb: Ndb<'_>, node: &pstkit_ndb::Node<'_>, depth: usize, w: &mut Walk) {
    if !w.budget() {
        return;
    }
    let _ = (node.nid(), node.size(), node.subnode_root());
    for b in node.blocks() {
        if let Err(e) = b {
            w.err("block", e);
        }
    }
    if let Err(e) = node.read_all() {
        w.err("read_all", e);
    }
    let mut sink = Vec::new();
    let _ = node.reader().take(1 << 24).read_to_end(&mut sink);
    let subs = node.subnodes();
    match subs.entries() {
        Ok(entries) => {
            for e in entries.iter().take(1000) {
                match subs.lookup(e.nid) {
                    Ok(_) => {}
                    Err(err) => w.err("subnode lookup", err),
                }
                if depth == 0 {
                    continue;
                }
                match ndb.node_from_parts(e.nid, e.data, e.sub) {
                    Ok(n) => walk_node(ndb, &n, depth - 1, w),
                    Err(err) => w.err("subnode", err),
                }
            }
        }
        Err(e) => w.err("subnodes", e),
    }
    let _ = node.subnode(Nid(0x692));
}

/// A directory for a target's temporary files: in memory (`/dev/shm`) when
/// the system has it, else the default temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::Builder::new()
            .prefix("pstkit-fuzz")
            .tempdir_in(shm)
        {
            return d;
        }
    }
    tempfile::Builder::new()
        .prefix("pstkit-fuzz")
        .tempdir()
        .expect("temporary directory")
}

/// A file target's input as it parses it: with its checksums repaired
/// when [`wants_fixup`] says so, else as it is.
pub fn prepared(input: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if wants_fixup(input) {
        std::borrow::Cow::Owned(fix_checksums(input))
    } else {
        std::borrow::Cow::Borrowed(input)
    }
}

/// Whether a file target repairs the checksums of its input first: always,
/// unless the input's last byte is `N` (0x4E), so that the fuzzer reaches
/// both past the CRCs and the paths that reject them.
pub fn wants_fixup(data: &[u8]) -> bool {
    data.last() != Some(&0x4E)
}

/// A copy of `data` with every page's and every block's CRC and signature
/// made right, so that a mutation inside a page or block reaches the code
/// that parses it instead of stopping at the checksum. Pages are found by
/// their trailer (`ptype` repeated, 0x80-0x86) at every 512-byte boundary;
/// blocks through the block B-tree (read after the pages are fixed). Other
/// trailer fields (sizes, ids) are left as they are. The header CRCs are
/// not touched: the targets open files leniently.
pub fn fix_checksums(data: &[u8]) -> Vec<u8> {
    use pstkit_ndb::block::BlockTrailer;
    use pstkit_ndb::crc::crc;
    use pstkit_ndb::page::{compute_sig, PageTrailer};
    use pstkit_ndb::{Header, Ib};

    let mut buf = data.to_vec();
    let Ok(h) = Header::parse(&buf) else {
        return buf;
    };
    let f = h.format;
    let ps = f.page_size;
    let mut ib = 0usize;
    while ib + ps <= buf.len() {
        let page = &mut buf[ib..ib + ps];
        let t = PageTrailer::parse(page, f);
        if t.ptype == t.ptype_repeat && (0x80..=0x86).contains(&t.ptype) {
            let crc = crc(&page[..f.page_body()]);
            let sig = if (0x82..=0x85).contains(&t.ptype) {
                t.sig
            } else {
                compute_sig(Ib(ib as u64), t.bid)
            };
            PageTrailer { crc, sig, ..t }.write(page, f);
        }
        ib += 512;
    }
    let entries: Vec<pstkit_ndb::BbtEntry> = match pstkit_ndb::NdbFile::new_lenient(&buf[..]) {
        Ok(file) => file
            .ndb()
            .blocks()
            .take(200_000)
            .map_while(Result::ok)
            .collect(),
        Err(_) => return buf,
    };
    for e in entries {
        let cb = usize::from(e.cb);
        if cb + f.block_trailer_size > f.max_block_size {
            continue;
        }
        let size = f.block_size(cb);
        let Ok(start) = usize::try_from(e.bref.ib.0) else {
            continue;
        };
        let Some(end) = start.checked_add(size).filter(|&e| e <= buf.len()) else {
            continue;
        };
        let block = &mut buf[start..end];
        let at = block.len() - f.block_trailer_size;
        let t = BlockTrailer::parse(&block[at..], f);
        let crc = crc(&block[..cb]);
        let sig = compute_sig(e.bref.ib, t.bid);
        BlockTrailer { crc, sig, ..t }.write(&mut block[at..], f);
    }
    buf
}
