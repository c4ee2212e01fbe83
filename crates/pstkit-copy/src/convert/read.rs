//! A source item read as the writer takes it: every property (named ids
//! mapped into the destination's map), recipients, attachments and
//! embedded messages, large attachment bytes as stored where they can move.

use pstkit_ltp::{PropId, PropTag, PropType, PropValue};
use pstkit_store::write::{AttachContent, NewAttachment, NewMessage};
use pstkit_store::{pid, AttachMethod, Message};

use crate::error::{CopyError, Result};

/// A property id mapping: source id to destination id (`None` leaves the
/// property out).
pub(super) type IdMap<'f> = dyn FnMut(PropId) -> Result<Option<PropId>> + 'f;

fn map_props(
    props: impl Iterator<Item = (PropTag, Result<PropValue, pstkit_ltp::LtpError>)>,
    map: &mut IdMap<'_>,
) -> Result<Vec<(PropTag, PropValue)>> {
    let mut out = Vec::new();
    for (tag, v) in props {
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
    skip: &'p [PropId],
) -> impl Iterator<Item = (PropTag, Result<PropValue, pstkit_ltp::LtpError>)> + use<'p, 'a> {
    // Left out before they are read: an attachment's bytes come with its
    // content, and may be hundreds of megabytes.
    let kept = pc.records().iter().filter(|r| !skip.contains(&r.tag.id()));
    kept.map(move |r| {
        let t = r.tag;
        let carry = matches!(t.prop_type(), PropType::String | PropType::Binary)
            && !matches!(t.id(), pid::SUBJECT | pid::MESSAGE_CLASS);
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
    read_message_as(m, map, stored, depth, false, u64::MAX)
}

/// The attachments of a message whose bytes are written as they are read
/// (by index), and the nodes that hold them.
pub(crate) type StreamedNodes<'a> = Vec<(usize, pstkit_ndb::Node<'a>)>;

/// [`read_message`] (at the top level) without the bytes of its
/// attachments that [`large_data`](crate::streamed::large_data) streams
/// from `from` bytes: their content is [`AttachContent::None`], and they
/// are given, by index, with the nodes that hold their bytes.
pub(crate) fn read_streaming<'a>(
    m: &Message<'a>,
    map: &mut IdMap<'_>,
    stored: bool,
    from: u64,
) -> Result<(NewMessage, StreamedNodes<'a>)> {
    let new = read_message_as(m, map, stored, 0, false, from)?;
    let mut streamed = Vec::new();
    if new
        .attachments
        .iter()
        .any(|a| a.content == AttachContent::None)
    {
        for (i, a) in m.attachments()?.enumerate() {
            if let Some(node) = crate::streamed::large_data(&a?, from)? {
                streamed.push((i, node));
            }
        }
    }
    Ok((new, streamed))
}

/// As [`read_message`], leaving out what does not read: properties whose
/// values do not decode, the recipient table or attachment table when it
/// does not read, and each attachment that does not. Errors of `map` (the
/// destination's) still fail.
pub(super) fn read_message_partial(
    m: &Message<'_>,
    map: &mut IdMap<'_>,
    stored: bool,
) -> Result<NewMessage> {
    read_message_as(m, map, stored, 0, true, u64::MAX)
}

/// [`read_message`] whole, or with `partial` leaving out what does not
/// read, and without the bytes of attachments deferred `from` a size.
fn read_message_as(
    m: &Message<'_>,
    map: &mut IdMap<'_>,
    stored: bool,
    depth: usize,
    partial: bool,
    from: u64,
) -> Result<NewMessage> {
    if depth > crate::MAX_EMBED_DEPTH {
        return Err(CopyError::TooDeep(crate::MAX_EMBED_DEPTH));
    }
    let values = stored_props(m.properties(), &[]).filter(|(_, v)| !partial || v.is_ok());
    let props = map_props(values, map)?;
    let rows = match m.recipient_rows() {
        Ok(rows) => rows,
        Err(_) if partial => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let mut recipients = Vec::new();
    for row in rows {
        recipients.push(map_props(row.into_iter().map(|(t, v)| (t, Ok(v))), map)?);
    }
    let atts = match m.attachments() {
        Ok(atts) => Some(atts),
        Err(_) if partial => None,
        Err(e) => return Err(e.into()),
    };
    let mut attachments = Vec::new();
    for a in atts.into_iter().flatten() {
        let a = match a {
            Ok(a) => a,
            Err(_) if partial => continue,
            Err(e) => return Err(e.into()),
        };
        // In part, an attachment is read on its own first: one that fails
        // leaves nothing of it behind in the destination's names.
        if partial && read_attachment(&a, &mut |id| Ok(Some(id)), stored, depth, from).is_err() {
            continue;
        }
        attachments.push(read_attachment(&a, map, stored, depth, from)?);
    }
    Ok(NewMessage {
        props,
        recipients,
        attachments,
    })
}

/// One attachment of a message being read (`depth`: the message's).
fn read_attachment(
    a: &pstkit_store::Attachment<'_>,
    map: &mut IdMap<'_>,
    stored: bool,
    depth: usize,
    from: u64,
) -> Result<NewAttachment> {
    let props = map_props(
        stored_props(a.properties(), &[pid::ATTACH_DATA_BINARY]),
        map,
    )?;
    if crate::streamed::large_data(a, from)?.is_some() {
        return Ok(NewAttachment {
            props,
            content: AttachContent::None,
        });
    }
    let content = match a.method() {
        AttachMethod::EmbeddedMessage => match a.embedded()? {
            Some(e) => AttachContent::Message(Box::new(read_message(&e, map, stored, depth + 1)?)),
            None => AttachContent::None,
        },
        _ => match a
            .properties()
            .record(pid::ATTACH_DATA_BINARY)
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
    Ok(NewAttachment { props, content })
}
