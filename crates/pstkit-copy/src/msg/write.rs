//! A message as a `.msg` file: the objects' property streams, value
//! streams and storages, and the named-property map of the ids used.

use std::io::{Cursor, Read, Seek, Write};
use std::path::Path;

use cfb::CompoundFile;
use pstkit_ltp::value::String8;
use pstkit_ltp::write::encode_value;
use pstkit_ltp::{PropId, PropTag, PropType, PropValue};
use pstkit_ndb::Node;
use pstkit_store::message::normalize_subject;
use pstkit_store::write::names::NameMapBuilder;
use pstkit_store::write::{AttachContent, NewMessage};
use pstkit_store::{pid, Message, NameMap, NamedProp};

use super::{
    inline_size, is_variable_multi, ATTACH, EMBEDDED_HEADER, ENTRY, FLAGS, NAMEID, NAMEID_BUCKETS,
    NAMEID_ENTRY, NAMEID_GUID, NAMEID_STRING, OBJECT, PART_HEADER, RECIP, TOP_HEADER,
};
use crate::error::{CopyError, Result};

use super::{Substg, DATA_BINARY, DATA_OBJECT};

/// A store's message as a `.msg` file: every property it holds (named
/// ones through `names`, the store's map), its recipients, attachments
/// and embedded messages.
///
/// A message with 8-bit strings whose code page the PST gives some other
/// way (PidTagInternetCodepage, the locale, the store's default) gets
/// PidTagMessageCodepage: a `.msg` reader looks there alone.
pub fn message_to_msg(m: &Message<'_>, names: &NameMap) -> Result<Vec<u8>> {
    Ok(message_to_msg_into(m, names, Cursor::new(Vec::new()), u64::MAX)?.into_inner())
}

/// [`message_to_msg`] written into `out` (a file, say), with the bytes of
/// its attachments of `from` bytes or more read and written one block at
/// a time instead of held whole: memory then does not grow with them.
pub(crate) fn message_to_msg_into<F: Read + Write + Seek>(
    m: &Message<'_>,
    names: &NameMap,
    out: F,
    from: u64,
) -> Result<F> {
    let (mut new, streamed) =
        crate::convert::read_streaming(m, &mut |id| Ok(Some(id)), false, from)?;
    let eight_bit = |props: &[(PropTag, PropValue)]| {
        props
            .iter()
            .any(|(t, _)| matches!(t.prop_type(), PropType::String8 | PropType::MultipleString8))
    };
    if !new
        .props
        .iter()
        .any(|(t, _)| t.id() == pid::MESSAGE_CODEPAGE)
        && (eight_bit(&new.props) || new.recipients.iter().any(|r| eight_bit(r)))
    {
        new.props.push((
            pid::tags::MESSAGE_CODEPAGE,
            PropValue::Int32(m.codepage() as i32),
        ));
    }
    write_msg_into(&new, &|id| names.get(id).cloned(), out, &streamed)
}

/// Whether [`message_to_msg_into`] streams some attachment of `m` from
/// `from` bytes.
pub(crate) fn streams_attachments(m: &Message<'_>, from: u64) -> Result<bool> {
    for a in m.attachments()? {
        if crate::streamed::large_data(&a?, from)?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A message to write as a `.msg` file; `name_of` names its named
/// property ids (those it does not name are left out: a `.msg` file says
/// what each named id means, or has no use for it).
pub fn write_msg(m: &NewMessage, name_of: &dyn Fn(PropId) -> Option<NamedProp>) -> Result<Vec<u8>> {
    Ok(write_msg_into(m, name_of, Cursor::new(Vec::new()), &[])?.into_inner())
}

/// [`write_msg`] into `out`; the top-level attachments `streamed` names
/// (by index) get their bytes from their node, block by block.
fn write_msg_into<F: Read + Write + Seek>(
    m: &NewMessage,
    name_of: &dyn Fn(PropId) -> Option<NamedProp>,
    out: F,
    streamed: &[(usize, Node<'_>)],
) -> Result<F> {
    let cf = CompoundFile::create_with_version(cfb::Version::V3, out).map_err(|e| bad("/", e))?;
    let mut w = Writer {
        cf,
        names: NameMapBuilder::default(),
        name_of,
        path: String::new(),
        streamed,
    };
    w.object("", m, TOP_HEADER, 0)?;
    w.nameid()?;
    let mut cf = w.cf;
    set_times(&mut cf, Path::new("/"), no_time(), no_time())?;
    cf.flush().map_err(|e| bad("/", e))?;
    Ok(cf.into_inner())
}

/// A compound-file error while writing (in memory: only a limit of the
/// format, such as too many entries, makes one).
fn bad(at: impl AsRef<Path>, e: std::io::Error) -> CopyError {
    CopyError::Msg {
        structure: at.as_ref().display().to_string(),
        what: e.to_string(),
    }
}

struct Writer<'f, 'n, F> {
    cf: CompoundFile<F>,
    /// The file's named-property map: ids from 0x8000 in first-use order.
    names: NameMapBuilder,
    name_of: &'f dyn Fn(PropId) -> Option<NamedProp>,
    /// The path of the entry being made, built here rather than in a new
    /// string for every stream.
    path: String,
    /// The top-level attachments whose bytes come from a node (by index).
    streamed: &'f [(usize, Node<'n>)],
}

/// `dir/name` in `buf`: `dir` is "" for the root storage, else a path
/// from it with a leading `/`.
fn join<'b>(buf: &'b mut String, dir: &str, name: std::fmt::Arguments<'_>) -> &'b Path {
    use std::fmt::Write as _;
    buf.clear();
    buf.push_str(dir);
    buf.push('/');
    // Writing into a String cannot fail.
    let _ = buf.write_fmt(name);
    Path::new(buf.as_str())
}

impl<F: Read + Write + Seek> Writer<'_, '_, F> {
    /// The stream `dir/name` holding `bytes`.
    fn stream(&mut self, dir: &str, name: std::fmt::Arguments<'_>, bytes: &[u8]) -> Result<()> {
        let path = join(&mut self.path, dir, name);
        let mut s = self.cf.create_stream(path).map_err(|e| bad(path, e))?;
        s.write_all(bytes).map_err(|e| bad(path, e))
    }

    /// The storage `dir/name`; its path is returned.
    fn storage(&mut self, dir: &str, name: std::fmt::Arguments<'_>) -> Result<String> {
        let path = join(&mut self.path, dir, name);
        self.cf.create_storage(path).map_err(|e| bad(path, e))?;
        set_times(&mut self.cf, path, no_time(), no_time())?;
        Ok(self.path.clone())
    }

    /// A message's storage content: its property stream (with a header of
    /// `header` bytes), recipients and attachments.
    fn object(&mut self, dir: &str, m: &NewMessage, header: usize, depth: usize) -> Result<()> {
        if depth > crate::MAX_EMBED_DEPTH {
            return Err(CopyError::TooDeep(crate::MAX_EMBED_DEPTH));
        }
        let mut head = vec![0u8; header];
        let (recips, atts) = (m.recipients.len() as u32, m.attachments.len() as u32);
        for (at, v) in [(8, recips), (12, atts), (16, recips), (20, atts)] {
            head[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        self.props(dir, &m.props, head, Vec::new())?;
        for (i, r) in m.recipients.iter().enumerate() {
            let sub = self.storage(dir, format_args!("{RECIP}{i:08X}"))?;
            self.props(&sub, r, vec![0; PART_HEADER], Vec::new())?;
        }
        for (i, a) in m.attachments.iter().enumerate() {
            let sub = self.storage(dir, format_args!("{ATTACH}{i:08X}"))?;
            let mut extra = Vec::new();
            let from_node = self
                .streamed
                .iter()
                .find(|(k, _)| depth == 0 && *k == i)
                .map(|(_, n)| n);
            match (&a.content, from_node) {
                (AttachContent::None, Some(node)) => {
                    let path = join(
                        &mut self.path,
                        &sub,
                        format_args!("{}", Substg(DATA_BINARY)),
                    );
                    let mut s = self.cf.create_stream(path).map_err(|e| bad(path, e))?;
                    for block in node.blocks() {
                        s.write_all(&block?).map_err(|e| bad(path, e))?;
                    }
                    extra.push(entry(DATA_BINARY, &node.size().to_le_bytes()));
                }
                (AttachContent::None, None) => {}
                (AttachContent::Data(b), _) => {
                    self.stream(&sub, format_args!("{}", Substg(DATA_BINARY)), b)?;
                    extra.push(entry(DATA_BINARY, &(b.len() as u64).to_le_bytes()));
                }
                (AttachContent::Message(inner), _) => {
                    let obj = self.storage(&sub, format_args!("{OBJECT}"))?;
                    self.object(&obj, inner, EMBEDDED_HEADER, depth + 1)?;
                    extra.push(entry(DATA_OBJECT, &u32::MAX.to_le_bytes()));
                }
                (AttachContent::Object(b), _) => {
                    // An OLE object is a compound file: its tree goes in as
                    // the storage. One that is not a compound file is kept
                    // as bytes.
                    match CompoundFile::open(Cursor::new(&b[..])) {
                        Ok(mut src) => {
                            let obj = self.storage(&sub, format_args!("{OBJECT}"))?;
                            copy_tree(&mut src, Path::new("/"), &mut self.cf, Path::new(&obj), 0)?;
                            extra.push(entry(DATA_OBJECT, &u32::MAX.to_le_bytes()));
                        }
                        Err(_) => {
                            self.stream(&sub, format_args!("{}", Substg(DATA_BINARY)), b)?;
                            extra.push(entry(DATA_BINARY, &(b.len() as u64).to_le_bytes()));
                        }
                    }
                }
                (AttachContent::Stored(_) | AttachContent::Written { .. }, _) => {
                    return Err(CopyError::Msg {
                        structure: sub,
                        what: "attachment bytes given as blocks of a PST, which only a PST holds"
                            .into(),
                    })
                }
            }
            self.props(&sub, &a.props, vec![0; PART_HEADER], extra)?;
        }
        Ok(())
    }

    /// An object's property stream (`head`, then an entry per property and
    /// the `extra` entries) and its value streams.
    fn props(
        &mut self,
        dir: &str,
        props: &[(PropTag, PropValue)],
        mut head: Vec<u8>,
        extra: Vec<[u8; ENTRY]>,
    ) -> Result<()> {
        head.reserve(ENTRY * (props.len() + extra.len()));
        for (tag, v) in props {
            let mut id = tag.id();
            if id.is_named() {
                let Some(np) = (self.name_of)(id) else {
                    continue;
                };
                let Some(new) = self.names.id(&np) else {
                    continue;
                };
                id = new;
            }
            let code = tag.type_code();
            let ty = PropType::from_code(code);
            // A PST subnode reference means nothing outside the PST; an
            // attachment's own data comes with its content.
            if ty == PropType::Object || id == pid::ATTACH_DATA_BINARY {
                continue;
            }
            let raw = (u32::from(id.0) << 16) | u32::from(code);
            let subject;
            // The PST's subject prefix marker is no part of the subject.
            let v = match v {
                PropValue::String(s) if id == pid::SUBJECT => {
                    subject = PropValue::String(normalize_subject(s));
                    &subject
                }
                PropValue::String8(s) if id == pid::SUBJECT && s.bytes().first() == Some(&1) => {
                    subject = PropValue::String8(String8(
                        s.bytes().get(2..).unwrap_or_default().to_vec(),
                    ));
                    &subject
                }
                v => v,
            };
            if inline_size(ty).is_some() {
                head.extend_from_slice(&entry(raw, &encode_value(v)));
            } else if is_variable_multi(code) {
                let Some(items) = multi_items(ty, v) else {
                    continue;
                };
                let mut lengths = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    lengths.extend_from_slice(&(item.len() as u32).to_le_bytes());
                    if code == 0x1102 {
                        lengths.extend_from_slice(&[0; 4]);
                    }
                    self.stream(dir, format_args!("{}-{i:08X}", Substg(raw)), item)?;
                }
                self.stream(dir, format_args!("{}", Substg(raw)), &lengths)?;
                head.extend_from_slice(&entry(raw, &(lengths.len() as u64).to_le_bytes()));
            } else {
                let bytes = encode_value(v);
                // The size of a string counts its terminating NUL, which
                // the stream does not hold.
                let nul = match code {
                    0x001F => 2,
                    0x001E => 1,
                    _ => 0,
                };
                self.stream(dir, format_args!("{}", Substg(raw)), &bytes)?;
                let size = (bytes.len() + nul) as u64;
                head.extend_from_slice(&entry(raw, &size.to_le_bytes()));
            }
        }
        for e in extra {
            head.extend_from_slice(&e);
        }
        self.stream(dir, format_args!("{}", super::PROPS), &head)
    }

    /// The `__nameid_version1.0` storage: the GUID, entry and string
    /// streams and a stream per hash bucket.
    fn nameid(&mut self) -> Result<()> {
        let dir = self.storage("", format_args!("{NAMEID}"))?;
        let s = self.names.streams(NAMEID_BUCKETS);
        self.stream(&dir, format_args!("{NAMEID_GUID}"), &s.guids)?;
        self.stream(&dir, format_args!("{NAMEID_ENTRY}"), &s.entries)?;
        self.stream(&dir, format_args!("{NAMEID_STRING}"), &s.strings)?;
        for (b, bytes) in &s.buckets {
            let tag = ((0x1000 + b) << 16) | 0x0102;
            self.stream(&dir, format_args!("{}", Substg(tag)), bytes)?;
        }
        Ok(())
    }
}

/// The time the storages the writer makes carry: none (the zero FILETIME,
/// 1601-01-01, which readers take as unset), so that an item makes the
/// same bytes on every run.
fn no_time() -> std::time::SystemTime {
    std::time::UNIX_EPOCH - std::time::Duration::from_secs(11_644_473_600)
}

/// Sets a storage's creation and modification times (the `cfb` crate
/// stamps new storages with the clock).
fn set_times<F: Read + Write + Seek>(
    cf: &mut CompoundFile<F>,
    path: &Path,
    created: std::time::SystemTime,
    modified: std::time::SystemTime,
) -> Result<()> {
    cf.set_created_time(path, created)
        .map_err(|e| bad(path, e))?;
    cf.set_modified_time(path, modified)
        .map_err(|e| bad(path, e))
}

/// A property-stream entry: tag, flags, then `value` (a fixed value, or a
/// size) in the 8 bytes left, zero-padded.
fn entry(tag: u32, value: &[u8]) -> [u8; ENTRY] {
    let mut e = [0u8; ENTRY];
    e[..4].copy_from_slice(&tag.to_le_bytes());
    e[4..8].copy_from_slice(&FLAGS.to_le_bytes());
    let n = value.len().min(8);
    e[8..8 + n].copy_from_slice(&value[..n]);
    e
}

/// The values of a variable-size multi-valued property, each as its stream
/// holds it (strings with their terminating NUL); `None` when the value is
/// not of the tag's type.
fn multi_items(ty: PropType, v: &PropValue) -> Option<Vec<Vec<u8>>> {
    let decoded;
    let v = match v {
        PropValue::Unknown { bytes, .. } => {
            decoded = PropValue::decode(ty, bytes).ok()?;
            &decoded
        }
        v => v,
    };
    Some(match v {
        PropValue::MultipleString(list) => list
            .iter()
            .map(|s| {
                let mut b = encode_value(&PropValue::String(s.clone()));
                b.extend_from_slice(&[0, 0]);
                b
            })
            .collect(),
        PropValue::MultipleString8(list) => list
            .iter()
            .map(|s| {
                let mut b = s.bytes().to_vec();
                b.push(0);
                b
            })
            .collect(),
        PropValue::MultipleBinary(list) => list.clone(),
        _ => return None,
    })
}

/// Copies the storage `from` of `src` with everything below it into the
/// existing storage `to` of `dst` (an OLE object's tree, either way).
pub(super) fn copy_tree<R: Read + Seek, W: Read + Write + Seek>(
    src: &mut CompoundFile<R>,
    from: &Path,
    dst: &mut CompoundFile<W>,
    to: &Path,
    depth: usize,
) -> Result<()> {
    if depth > super::MAX_TREE_DEPTH {
        return Err(CopyError::Msg {
            structure: from.display().to_string(),
            what: format!(
                "storages nested deeper than {} levels",
                super::MAX_TREE_DEPTH
            ),
        });
    }
    // The class id says which program the object is for: readers pick
    // their handler by it.
    let entry = src.entry(from).map_err(|e| bad(from, e))?;
    dst.set_storage_clsid(to, *entry.clsid())
        .map_err(|e| bad(to, e))?;
    set_times(dst, to, entry.created(), entry.modified())?;
    let entries: Vec<(String, bool)> = src
        .read_storage(from)
        .map_err(|e| bad(from, e))?
        .map(|e| (e.name().to_string(), e.is_storage()))
        .collect();
    for (name, is_storage) in entries {
        let (s, d) = (from.join(&name), to.join(&name));
        if is_storage {
            dst.create_storage(&d).map_err(|e| bad(&d, e))?;
            copy_tree(src, &s, dst, &d, depth + 1)?;
        } else {
            let bytes = super::read::stream_bytes(src, &s)?;
            let mut out = dst.create_stream(&d).map_err(|e| bad(&d, e))?;
            out.write_all(&bytes).map_err(|e| bad(&d, e))?;
        }
    }
    Ok(())
}
