//! Whether an item reads whole, as a copy reads it: every property value,
//! the recipient rows, every attachment's values and every embedded
//! message, to [`MAX_EMBED_DEPTH`]. Attachment bytes are located, not read:
//! their blocks and CRCs are the node-database check's.

use pstkit_ltp::{PcRecord, PropId, PropType, PropertyContext};
use pstkit_ndb::Nid;

use super::AuditReport;
use crate::message::{AttachMethod, Attachment, Message, MAX_EMBED_DEPTH};
use crate::pid;

/// A top-level item: whether it reads whole (`item-decodes`), and its
/// attachments' sizes, each attachment opened once for both.
pub(super) fn item(m: &Message<'_>, path: &str, r: &mut AuditReport) {
    let mut why = values(m.properties(), &[]);
    if why.is_none() {
        why = m
            .check_recipient_rows()
            .err()
            .map(|e| format!("recipient table: {e}"));
    }
    match m.attachment_table() {
        Err(e) => {
            why.get_or_insert(format!("attachment table: {e}"));
        }
        Ok(None) => {}
        Ok(Some(table)) => match table.row_ids() {
            Err(e) => {
                why.get_or_insert(format!("attachment table: {}", crate::StoreError::from(e)));
            }
            Ok(ids) => {
                for id in ids.into_iter().map(Nid) {
                    match m.attachment(id) {
                        Err(e) => {
                            why.get_or_insert(format!("attachment: {e}"));
                        }
                        Ok(a) => {
                            super::sizes::attachment(&a, id, &table, m.nid(), path, r);
                            if why.is_none() {
                                why = attachment(&a, 0);
                            }
                        }
                    }
                }
            }
        },
    }
    if let Some(why) = why {
        r.add("item-decodes", m.nid(), path, "an item that decodes", why);
    }
}

/// Why `m` (embedded `depth` levels deep) does not read, or `None`.
fn unreadable(m: &Message<'_>, depth: usize) -> Option<String> {
    if depth > MAX_EMBED_DEPTH {
        return Some(format!(
            "messages embedded more than {MAX_EMBED_DEPTH} deep"
        ));
    }
    if let Some(why) = values(m.properties(), &[]) {
        return Some(why);
    }
    if let Err(e) = m.check_recipient_rows() {
        return Some(format!("recipient table: {e}"));
    }
    let attachments = match m.attachments() {
        Ok(a) => a,
        Err(e) => return Some(format!("attachment table: {e}")),
    };
    for a in attachments {
        match a {
            Ok(a) => {
                if let Some(why) = attachment(&a, depth) {
                    return Some(why);
                }
            }
            Err(e) => return Some(format!("attachment: {e}")),
        }
    }
    None
}

/// Why an attachment of a message `depth` levels deep does not read.
fn attachment(a: &Attachment<'_>, depth: usize) -> Option<String> {
    let at = |e: String| format!("attachment 0x{:X}: {e}", a.nid().0);
    if let Some(why) = values(a.properties(), &[pid::ATTACH_DATA_BINARY]) {
        return Some(at(why));
    }
    if a.method() == AttachMethod::EmbeddedMessage {
        match a.embedded() {
            Ok(Some(e)) => {
                if let Some(why) = unreadable(&e, depth + 1) {
                    return Some(at(format!("embedded message: {why}")));
                }
            }
            Ok(None) => {}
            Err(e) => return Some(at(format!("embedded message: {e}"))),
        }
    }
    None
}

/// Why a value of `pc` does not decode; those of `located` (the bytes of an
/// attachment) need only be found. Strings and binaries are measured, not
/// copied: their length is all a decode can fail on.
fn values(pc: &PropertyContext<'_>, located: &[PropId]) -> Option<String> {
    pc.records().iter().find_map(|&rec: &PcRecord| {
        let ptype = rec.tag.prop_type();
        let r = match ptype {
            PropType::String | PropType::String8 | PropType::Binary => {
                pc.stored_len(rec).and_then(|len| {
                    if ptype == PropType::String && len % 2 != 0 {
                        // The decoder's own error, for the same words.
                        pc.check_value(rec)
                    } else {
                        Ok(())
                    }
                })
            }
            PropType::Object if located.contains(&rec.tag.id()) => pc.stored_len(rec).map(drop),
            _ => pc.check_value(rec),
        };
        r.err()
            .map(|e| format!("property 0x{:08X}: {e}", rec.tag.0))
    })
}
