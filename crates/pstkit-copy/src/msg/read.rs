//! A `.msg` file read back into the message the PST writer takes, every
//! structure checked against what holds it: a damaged file is an error
//! that names the stream or storage, never a panic or a guess.

use std::collections::HashMap;
use std::io::{Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use cfb::CompoundFile;
use pstkit_ltp::value::decode_utf16;
use pstkit_ltp::{PropId, PropTag, PropType, PropValue};
use pstkit_store::write::{AttachContent, NewAttachment, NewMessage};
use pstkit_store::{pid, NameMap, NamedProp};

use super::write::copy_tree;
use super::{
    inline_size, is_variable_multi, substg, ATTACH, EMBEDDED_HEADER, ENTRY, NAMEID, NAMEID_ENTRY,
    NAMEID_GUID, NAMEID_STRING, OBJECT, PART_HEADER, PROPS, RECIP, TOP_HEADER,
};
use crate::error::{CopyError, Result};

/// Reads a `.msg` file. Named properties are given ids by `name` (the
/// destination's map, such as [`PstWriter::named_prop`]; `None` leaves a
/// property out); those the file's map does not name are left out.
///
/// [`PstWriter::named_prop`]: pstkit_store::write::PstWriter::named_prop
pub fn msg_to_message(
    bytes: &[u8],
    name: &mut dyn FnMut(&NamedProp) -> Result<Option<PropId>>,
) -> Result<NewMessage> {
    let cf = CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| damaged(Path::new("compound file"), e.to_string()))?;
    Ok(msg_to_message_deferring(cf, name, u64::MAX)?.0)
}

/// A top-level attachment whose bytes [`msg_to_message_deferring`] left in
/// the file: its index, its data stream and the stream's length.
pub(crate) type Deferred = (usize, PathBuf, u64);

/// [`msg_to_message`] of the compound file `cf`, leaving out the bytes of
/// the top-level attachments whose data streams hold `from` bytes or more
/// (their content is [`AttachContent::None`]): those are returned, with
/// `cf`, to be read a piece at a time ([`copy_stream`]).
pub(crate) fn msg_to_message_deferring<R: Read + Seek>(
    mut cf: CompoundFile<R>,
    name: &mut dyn FnMut(&NamedProp) -> Result<Option<PropId>>,
    from: u64,
) -> Result<(NewMessage, Vec<Deferred>, CompoundFile<R>)> {
    let names = read_names(&mut cf)?;
    let mut r = Reader {
        cf,
        names,
        name,
        mapped: HashMap::new(),
        from,
        deferred: Vec::new(),
    };
    let m = r.object(Path::new("/"), TOP_HEADER, 0)?;
    Ok((m, r.deferred, r.cf))
}

/// Hands stream `path` of `cf` to `sink` a piece at a time; an error when
/// it ends before the `len` bytes its directory entry says it holds.
pub(crate) fn copy_stream<R: Read + Seek>(
    cf: &mut CompoundFile<R>,
    path: &Path,
    len: u64,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let mut s = cf
        .open_stream(path)
        .map_err(|e| damaged(path, e.to_string()))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut read = 0u64;
    while read < len {
        let want = buf.len().min((len - read) as usize);
        let n = s
            .read(&mut buf[..want])
            .map_err(|e| damaged(path, e.to_string()))?;
        if n == 0 {
            return Err(damaged(
                path,
                format!("ends after {read} of its {len} bytes"),
            ));
        }
        sink(&buf[..n])?;
        read += n as u64;
    }
    Ok(())
}

fn damaged(at: &Path, what: impl Into<String>) -> CopyError {
    CopyError::Msg {
        structure: at.display().to_string(),
        what: what.into(),
    }
}

/// The bytes of stream `path`, all the directory says it holds.
pub(super) fn stream_bytes<R: Read + Seek>(
    cf: &mut CompoundFile<R>,
    path: &Path,
) -> Result<Vec<u8>> {
    let mut s = cf
        .open_stream(path)
        .map_err(|e| damaged(path, e.to_string()))?;
    let len = s.len();
    let mut out = Vec::new();
    // Read through a limit: the vector grows with what is there, not with
    // what a damaged directory entry claims.
    (&mut s)
        .take(len)
        .read_to_end(&mut out)
        .map_err(|e| damaged(path, e.to_string()))?;
    if (out.len() as u64) < len {
        return Err(damaged(
            path,
            format!("ends after {} of its {len} bytes", out.len()),
        ));
    }
    Ok(out)
}

/// The file's named-property map; a file without one names nothing.
fn read_names<R: Read + Seek>(cf: &mut CompoundFile<R>) -> Result<NameMap> {
    let dir = Path::new("/").join(NAMEID);
    if !cf.is_storage(&dir) {
        return Ok(NameMap::default());
    }
    let mut get = |name: &str| {
        let p = dir.join(name);
        if cf.is_stream(&p) {
            stream_bytes(cf, &p)
        } else {
            Ok(Vec::new())
        }
    };
    let guids = get(NAMEID_GUID)?;
    let entries = get(NAMEID_ENTRY)?;
    let strings = get(NAMEID_STRING)?;
    Ok(NameMap::parse(&guids, &entries, &strings))
}

/// An object's properties, as the writer takes them.
type Props = Vec<(PropTag, PropValue)>;

struct Reader<'n, R> {
    cf: CompoundFile<R>,
    /// The file's named-property map.
    names: NameMap,
    /// Its names to the destination's ids.
    name: &'n mut dyn FnMut(&NamedProp) -> Result<Option<PropId>>,
    mapped: HashMap<PropId, Option<PropId>>,
    /// Top-level attachments of this many bytes or more are left in the
    /// file, and listed in `deferred`.
    from: u64,
    deferred: Vec<Deferred>,
}

impl<R: Read + Seek> Reader<'_, R> {
    fn stream(&mut self, path: &Path) -> Result<Vec<u8>> {
        if !self.cf.is_stream(path) {
            return Err(damaged(
                path,
                "missing: the property stream lists a value stored here",
            ));
        }
        stream_bytes(&mut self.cf, path)
    }

    /// The storages below `dir` whose names are `prefix` and 8 hex digits,
    /// in number order.
    fn parts(&mut self, dir: &Path, prefix: &str) -> Result<Vec<PathBuf>> {
        let mut found: Vec<(u32, PathBuf)> = self
            .cf
            .read_storage(dir)
            .map_err(|e| damaged(dir, e.to_string()))?
            .filter(|e| e.is_storage())
            .filter_map(|e| {
                let n = e.name().strip_prefix(prefix)?;
                let n = u32::from_str_radix(n, 16).ok()?;
                Some((n, e.path().to_path_buf()))
            })
            .collect();
        found.sort();
        Ok(found.into_iter().map(|(_, p)| p).collect())
    }

    /// A message: its properties (the stream's header `header` bytes),
    /// recipients, attachments and embedded messages.
    fn object(&mut self, dir: &Path, header: usize, depth: usize) -> Result<NewMessage> {
        if depth > crate::MAX_EMBED_DEPTH {
            return Err(CopyError::TooDeep(crate::MAX_EMBED_DEPTH));
        }
        let (props, head) = self.props(dir, header)?;
        let recips = self.parts(dir, RECIP)?;
        let atts = self.parts(dir, ATTACH)?;
        let count =
            |at: usize| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
        for (what, said, found) in [
            ("recipients", count(16), recips.len()),
            ("attachments", count(20), atts.len()),
        ] {
            if said as usize > found {
                return Err(damaged(
                    &dir.join(PROPS),
                    format!("the header says {said} {what}; the storage holds {found}"),
                ));
            }
        }
        let mut recipients = Vec::with_capacity(recips.len());
        for r in recips {
            recipients.push(self.props(&r, PART_HEADER)?.0);
        }
        let mut attachments = Vec::with_capacity(atts.len());
        for a in atts {
            let (props, _) = self.props(&a, PART_HEADER)?;
            let data = a.join(substg(super::DATA_BINARY));
            let obj = a.join(OBJECT);
            let len = self.cf.entry(&data).map(|e| e.len()).unwrap_or(0);
            let content = if self.cf.is_stream(&data) && depth == 0 && len >= self.from {
                self.deferred.push((attachments.len(), data, len));
                AttachContent::None
            } else if self.cf.is_stream(&data) {
                AttachContent::Data(self.stream(&data)?)
            } else if self.cf.is_storage(&obj) {
                if self.cf.is_stream(obj.join(PROPS)) {
                    AttachContent::Message(Box::new(self.object(
                        &obj,
                        EMBEDDED_HEADER,
                        depth + 1,
                    )?))
                } else {
                    AttachContent::Object(self.ole_object(&obj)?)
                }
            } else {
                AttachContent::None
            };
            attachments.push(NewAttachment { props, content });
        }
        Ok(NewMessage {
            props,
            recipients,
            attachments,
        })
    }

    /// An OLE object's storage as a compound file of its own (the form a
    /// PST holds it in).
    fn ole_object(&mut self, obj: &Path) -> Result<Vec<u8>> {
        let mut out = CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
            .map_err(|e| damaged(obj, e.to_string()))?;
        copy_tree(&mut self.cf, obj, &mut out, Path::new("/"), 0)?;
        out.flush().map_err(|e| damaged(obj, e.to_string()))?;
        Ok(out.into_inner().into_inner())
    }

    /// The destination id of the file's property id `id`.
    fn map_id(&mut self, id: PropId) -> Result<Option<PropId>> {
        if !id.is_named() {
            return Ok(Some(id));
        }
        if let Some(m) = self.mapped.get(&id) {
            return Ok(*m);
        }
        let mapped = match self.names.get(id) {
            Some(np) => (self.name)(np)?,
            // A named id the file does not name cannot be named again.
            None => None,
        };
        self.mapped.insert(id, mapped);
        Ok(mapped)
    }

    /// The properties of the object in `dir` (their stream's header
    /// `header` bytes long, returned too).
    fn props(&mut self, dir: &Path, header: usize) -> Result<(Props, Vec<u8>)> {
        let path = dir.join(PROPS);
        if !self.cf.is_stream(&path) {
            return Err(damaged(&path, "missing"));
        }
        let raw = stream_bytes(&mut self.cf, &path)?;
        if raw.len() < header {
            return Err(damaged(
                &path,
                format!("{} bytes, shorter than its {header}-byte header", raw.len()),
            ));
        }
        let (head, body) = raw.split_at(header);
        if body.len() % ENTRY != 0 {
            return Err(damaged(
                &path,
                format!(
                    "ends inside an entry ({} bytes after the header, entries are {ENTRY})",
                    body.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(body.len() / ENTRY);
        // A property has one value. Two entries the name map gives one id
        // (two names a store's map lists apart but that are one name, as
        // Aspose's writer makes them) keep the later value, as a PST
        // writer setting both would: one entry, so what reads writes back
        // the same.
        let mut at: std::collections::HashMap<PropId, usize> = std::collections::HashMap::new();
        for (k, e) in body.chunks_exact(ENTRY).enumerate() {
            let tag = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            let code = tag as u16;
            let ty = PropType::from_code(code);
            let file_id = PropId((tag >> 16) as u16);
            // An attachment's data is its content; a PtypObject is a storage.
            if file_id == pid::ATTACH_DATA_BINARY || ty == PropType::Object {
                continue;
            }
            let Some(id) = self.map_id(file_id)? else {
                continue;
            };
            let bad = |what: String| {
                damaged(
                    &path,
                    format!(
                        "entry {k} (tag 0x{tag:08X}) at offset {}: {what}",
                        header + k * ENTRY
                    ),
                )
            };
            let v = if let Some(n) = inline_size(ty) {
                PropValue::decode(ty, &e[8..8 + n]).map_err(|x| bad(x.to_string()))?
            } else if is_variable_multi(code) {
                self.multi(dir, tag, ty)?
            } else {
                let at = dir.join(substg(tag));
                let b = self.stream(&at)?;
                match ty {
                    PropType::String => PropValue::String(
                        decode_utf16(ty, &b).map_err(|x| damaged(&at, x.to_string()))?,
                    ),
                    PropType::String8 => {
                        PropValue::String8(pstkit_ltp::value::String8(trim_nul(b)))
                    }
                    _ => PropValue::decode(ty, &b).map_err(|x| damaged(&at, x.to_string()))?,
                }
            };
            match at.entry(id) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    out[*e.get()] = (PropTag::new(id, ty), v);
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(out.len());
                    out.push((PropTag::new(id, ty), v));
                }
            }
        }
        Ok((out, head.to_vec()))
    }

    /// A variable-size multi-valued property: its length stream, then one
    /// stream per value.
    fn multi(&mut self, dir: &Path, tag: u32, ty: PropType) -> Result<PropValue> {
        let base = substg(tag);
        let at = dir.join(&base);
        let lengths = self.stream(&at)?;
        let width = if ty == PropType::MultipleBinary { 8 } else { 4 };
        if lengths.len() % width != 0 {
            return Err(damaged(
                &at,
                format!(
                    "{} bytes, not a whole number of {width}-byte lengths",
                    lengths.len()
                ),
            ));
        }
        let mut items = Vec::with_capacity(lengths.len() / width);
        for i in 0..lengths.len() / width {
            items.push(self.stream(&dir.join(format!("{base}-{i:08X}")))?);
        }
        Ok(match ty {
            PropType::MultipleString => PropValue::MultipleString(
                items
                    .iter()
                    .map(|b| decode_utf16(PropType::String, b))
                    .collect::<Result<_, _>>()
                    .map_err(|x| damaged(&at, x.to_string()))?,
            ),
            PropType::MultipleString8 => PropValue::MultipleString8(
                items
                    .into_iter()
                    .map(|b| pstkit_ltp::value::String8(trim_nul(b)))
                    .collect(),
            ),
            _ => PropValue::MultipleBinary(items),
        })
    }
}

/// 8-bit text without the terminating NULs some writers store.
fn trim_nul(mut b: Vec<u8>) -> Vec<u8> {
    while b.last() == Some(&0) {
        b.pop();
    }
    b
}
