//! The verify pass of a copy and the digests it compares: what a message
//! holds, entry by entry, hashed so that an item and its copy agree
//! exactly when every property, recipient, attachment and embedded message
//! does (leaving out what a writer may set or store in another form), and
//! the check that re-reads the written file item by item against the
//! source's digests, describing the first difference.

use std::collections::HashMap;

use pstkit_ltp::{PropId, PropTag, PropValue};
use pstkit_ndb::{NdbFile, Nid};
use pstkit_store::message::normalize_subject;
use pstkit_store::write::{AttachContent, NewMessage};
use pstkit_store::{pid, Message, NameMap, NamedProp, Store, StoreError};

use super::read::read_streaming;
use crate::error::{CopyError, Result};
use crate::streamed::STREAM_FROM;

/// What the verify pass compares for one item.
pub(super) struct Digest {
    /// The item in the destination.
    pub(super) dest: Nid,
    /// The item in the source.
    pub(super) src: Nid,
    /// The source item's digest: of its properties and parts as read, or
    /// for a moved item of its blocks as stored.
    pub(super) digest: u64,
    /// Whether the item was moved as stored.
    pub(super) moved: bool,
}

/// Properties whose stored form a writer may set or change: the digest
/// leaves them out (the subject is compared without its prefix marker).
const VOLATILE: &[PropId] = &[
    pid::MESSAGE_FLAGS,
    pid::MESSAGE_SIZE,
    pid::MESSAGE_STATUS,
    pid::ATTACH_SIZE,
    pid::ROWID,
    pid::CREATION_TIME,
    pid::LAST_MODIFICATION_TIME,
    pid::SEARCH_KEY,
    pid::ATTACH_DATA_BINARY,
    pid::ATTACH_METHOD,
    pid::RENDERING_POSITION,
    pid::LTP_ROW_ID,
    pid::LTP_ROW_VER,
    pid::SUBJECT,
    pid::MESSAGE_CLASS,
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

/// [`bulk_hash`] of `node`'s data, read one block at a time: what a
/// streamed attachment's bytes hash to (every block's CRC checked).
pub(crate) fn data_hash(node: &pstkit_ndb::Node<'_>) -> Result<u64> {
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0u64;
    for b in node.blocks() {
        let b = b.map_err(StoreError::from)?;
        crc.update(&b);
        len += b.len() as u64;
    }
    Ok((u64::from(crc.finalize()) << 32) ^ len)
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
    digest_entries_with(m, name_of, &[])
}

/// [`digest_entries`] of a message some of whose attachments' bytes were
/// streamed: `streamed` holds their hashes by index ([`data_hash`]).
fn digest_entries_with(
    m: &NewMessage,
    name_of: &NameOf<'_>,
    streamed: &[(usize, u64)],
) -> Vec<DigestEntry> {
    let mut out = Vec::new();
    walk_entries(
        &mut TextKeys,
        &mut out,
        &String::new(),
        m,
        name_of,
        streamed,
    );
    out
}

/// A digest of what [`digest_entries`] lists, made by the same walk with
/// numbers for keys instead of text: the verify pass digests every item
/// twice, and the text is only made to explain a difference.
pub fn digest_new(m: &NewMessage, name_of: &NameOf<'_>) -> u64 {
    digest_new_with(m, name_of, &[])
}

/// [`digest_new`] of a message some of whose attachments' bytes were
/// streamed: `streamed` holds their hashes by index ([`data_hash`]). The
/// digest is the one the message has with those bytes in it.
pub(crate) fn digest_new_with(
    m: &NewMessage,
    name_of: &NameOf<'_>,
    streamed: &[(usize, u64)],
) -> u64 {
    let mut entries: Vec<(u64, u64)> = Vec::with_capacity(m.props.len() + 8);
    let mut keys = NumberKeys::default();
    walk_entries(&mut keys, &mut entries, &0, m, name_of, streamed);
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
        .find_map(|(t, v)| match (t.id(), v) {
            (pid::MESSAGE_CLASS, PropValue::String(s)) => Some(s.clone()),
            (pid::MESSAGE_CLASS, PropValue::String8(s)) => {
                Some(String::from_utf8_lossy(s.bytes()).into())
            }
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

/// The entries of `m` (see [`digest_entries`]); `streamed` gives the hash
/// of the bytes of each attachment (by index) whose bytes `m` does not
/// hold because they were streamed ([`data_hash`]).
fn walk_entries<K: Keys>(
    keys: &mut K,
    out: &mut Vec<(K::Key, u64)>,
    at: &K::Key,
    m: &NewMessage,
    name_of: &NameOf<'_>,
    streamed: &[(usize, u64)],
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
        if let Some((_, h)) = streamed.iter().find(|(k, _)| *k == i) {
            // Streamed: the hash of its bytes as read, as for `Data`.
            out.push((keys.step(&p, Step::Data), *h));
        }
        match &a.content {
            // Streamed bytes are hashed above; a written tree is what the
            // copy holds of bytes hashed the same way.
            AttachContent::None | AttachContent::Written { .. } => {}
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
                walk_entries(keys, out, &inner, e, name_of, &[]);
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
        if VOLATILE.contains(&id) {
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
        let hash = match (id, v) {
            (pid::SUBJECT, PropValue::String(s)) => {
                value_hash(&PropValue::String(normalize_subject(s)))
            }
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
/// Attachments from [`STREAM_FROM`](crate::streamed::STREAM_FROM) bytes
/// are read a block at a time, as the copy writes them.
fn digest_message_as(m: &Message<'_>, names: &NameMap, stored: bool) -> Result<u64> {
    let (new, streamed) = read_streaming(m, &mut |id| Ok(Some(id)), stored, STREAM_FROM)?;
    let hashes = stream_hashes(&streamed)?;
    Ok(digest_new_with(&new, &|id| names.get(id).cloned(), &hashes))
}

/// The [`data_hash`] of each streamed attachment, by index.
pub(crate) fn stream_hashes(
    streamed: &[(usize, pstkit_ndb::Node<'_>)],
) -> Result<Vec<(usize, u64)>> {
    streamed
        .iter()
        .map(|(i, n)| Ok((*i, data_hash(n)?)))
        .collect()
}

/// Re-reads the written file and compares every item's digest with the
/// source's; returns how many were compared. A difference is reported with
/// the first entry that differs.
pub(super) fn verify(
    src: &Store<'_>,
    file: &NdbFile,
    digests: &[Digest],
    stored: bool,
    threads: Option<usize>,
) -> Result<u64> {
    // The items are checked on one thread per CPU, each through its own
    // view of the copy; the first difference (in copy order) is then
    // described here, where the source can be read.
    let threads = crate::worker_threads(threads);
    let part = digests.len().div_ceil(threads).max(1);
    let outcomes: Vec<Result<Option<&Digest>>> = std::thread::scope(|s| {
        let handles: Vec<_> = digests
            .chunks(part)
            .map(|p| s.spawn(move || first_difference(file, p, stored)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or(Err(CopyError::Internal("a verify thread")))
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
    // The writer's own check, running beside this pass, computes every
    // block's CRC, and the copy is published only if it passes: here the
    // blocks are read without computing them a second time.
    let ndb = file.ndb().trusting_block_crcs();
    let store = Store::open(ndb)?;
    for d in part {
        let got = if d.moved {
            let e = ndb.node_entry(d.dest).map_err(StoreError::from)?;
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
            let (new, streamed) = read_streaming(&m, &mut |id| Ok(Some(id)), stored, STREAM_FROM)?;
            let ours = digest_entries_with(
                &new,
                &|id| names.get(id).cloned(),
                &stream_hashes(&streamed)?,
            );
            let src_names = src.names();
            let s = src.message(d.src)?;
            let (new, streamed) = read_streaming(&s, &mut |id| Ok(Some(id)), stored, STREAM_FROM)?;
            let theirs = digest_entries_with(
                &new,
                &|id| src_names.get(id).cloned(),
                &stream_hashes(&streamed)?,
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
    use pstkit_store::write::{PstWriter, WriterOptions};

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
        let opts = pstkit_store::synth::SynthOptions::new(60, 2);
        pstkit_store::synth::generate(&mut w, &opts, |_| {}).unwrap();
        w.finish().unwrap();
        let file = NdbFile::open(&path).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let mut digests = true_digests(&store);
        assert_eq!(digests.len(), 60);
        assert_eq!(verify(&store, &file, &digests, false, None).unwrap(), 60);

        // Two wrong digests, far apart (in different threads' shares when
        // there are several): the earlier one is reported, with what
        // differs.
        digests[50].digest ^= 1;
        digests[20].digest ^= 1;
        match verify(&store, &file, &digests, false, None) {
            Err(CopyError::Verify { nid, what }) => {
                assert_eq!(nid, digests[20].dest);
                assert!(what.contains("differs"), "{what}");
            }
            other => panic!("{other:?}"),
        }
        digests[20].digest ^= 1;
        match verify(&store, &file, &digests, false, None) {
            Err(CopyError::Verify { nid, .. }) => assert_eq!(nid, digests[50].dest),
            other => panic!("{other:?}"),
        }
        digests[50].digest ^= 1;
        // A moved item whose blocks differ.
        digests[1].digest ^= 1;
        match verify(&store, &file, &digests, false, None) {
            Err(CopyError::Verify { nid, what }) => {
                assert_eq!(nid, digests[1].dest);
                assert!(what.contains("block by block"), "{what}");
            }
            other => panic!("{other:?}"),
        }
    }
}
