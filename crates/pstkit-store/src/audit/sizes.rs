//! The recorded sizes of items and attachments against what they store.
//! The rules were measured on the real samples (`docs/check-rules.md`):
//! PidTagAttachSize is the sum of the attachment's value sizes on all
//! 1,436 attachments; PidTagMessageSize is the message's size on disk in
//! files of Outlook 2007 SP2 and later, and an approximate sum of value
//! sizes, below that, in older ones.

use std::collections::HashSet;

use pstkit_ltp::{PropType, PropValue, PropertyContext, TableContext};
use pstkit_ndb::block::MAX_SUBNODE_DEPTH;
use pstkit_ndb::{Nid, Node};

use super::AuditReport;
use crate::message::{Attachment, Message};
use crate::pid;

/// A recorded size this far above the size on disk is not a rounding of it.
const ABOVE_TOLERANCE: u64 = 16;

/// The decoded bytes of `node`'s data and of every subnode below it. Each
/// subnode tree is counted once: a damaged file whose trees name each other
/// would otherwise be walked once per path through them.
pub fn size_on_disk(node: &Node<'_>) -> u64 {
    fn below(node: &Node<'_>, depth: usize, seen: &mut HashSet<u64>) -> u64 {
        let root = node.subnode_root();
        if depth > MAX_SUBNODE_DEPTH || root.0 == 0 || !seen.insert(root.0) {
            return 0;
        }
        // Through the node's cache: the item's other rules open the same
        // subnodes.
        let Ok(entries) = node.subnode_entries() else {
            return 0;
        };
        entries
            .iter()
            .filter_map(|e| {
                node.with_subnode_at(*e, |sub| sub.size() + below(sub, depth + 1, seen))
                    .ok()
            })
            .sum()
    }
    node.size() + below(node, 0, &mut HashSet::new())
}

/// PidTagAttachSize as every real sample computes it: each value's stored
/// bytes (fixed types their width), an embedded object's `ulSize`.
pub fn attach_size(pc: &PropertyContext<'_>) -> u64 {
    pc.records()
        .iter()
        .map(|rec| {
            if rec.tag.prop_type() == PropType::Object {
                match pc.value_of(*rec) {
                    Ok(PropValue::Object { size, .. }) => u64::from(size),
                    _ => 0,
                }
            } else {
                pc.stored_len(*rec).unwrap_or(0)
            }
        })
        .sum()
}

/// An item's PidTagMessageSize against its size on disk.
pub(super) fn message(m: &Message<'_>, path: &str, r: &mut AuditReport) {
    let nid = m.nid();
    let node = m.node();
    let on_disk = size_on_disk(node);
    match m.properties().get_i32(pid::MESSAGE_SIZE) {
        Some(Ok(recorded)) => {
            let recorded = i64::from(recorded);
            let disk = on_disk as i64;
            if recorded <= 0 || recorded > disk + ABOVE_TOLERANCE as i64 || recorded < disk / 2 {
                r.add(
                    "message-size",
                    nid,
                    path,
                    format!("PidTagMessageSize near {on_disk} (the size on disk)"),
                    recorded.to_string(),
                );
            } else if recorded != disk {
                r.add(
                    "message-size-exact",
                    nid,
                    path,
                    format!("PidTagMessageSize {on_disk} (the size on disk)"),
                    recorded.to_string(),
                );
            }
        }
        _ => r.add(
            "message-size",
            nid,
            path,
            format!("PidTagMessageSize near {on_disk} (the size on disk)"),
            "absent",
        ),
    }
}

/// An attachment's PidTagAttachSize against its values, and against the
/// attachment table's row for it.
pub(super) fn attachment(
    a: &Attachment<'_>,
    id: Nid,
    table: &TableContext<'_>,
    nid: Nid,
    path: &str,
    r: &mut AuditReport,
) {
    let expected = attach_size(a.properties());
    let own = a
        .properties()
        .get_i32(pid::ATTACH_SIZE)
        .and_then(|v| v.ok());
    if own.map(i64::from) != Some(expected as i64) {
        r.add(
            "attach-size",
            nid,
            path,
            format!("PidTagAttachSize of attachment 0x{:X}: {expected}", id.0),
            own.map_or("absent".into(), |v| v.to_string()),
        );
    }
    let row = table
        .find_row(id.0)
        .ok()
        .flatten()
        .and_then(|row| row.get(pid::ATTACH_SIZE).and_then(|v| v.ok()));
    if let (Some(PropValue::Int32(cell)), Some(own)) = (row, own) {
        if cell != own {
            r.add(
                "attach-size",
                nid,
                path,
                format!(
                    "the attachment table's PidTagAttachSize of attachment 0x{:X}: {own}",
                    id.0
                ),
                cell.to_string(),
            );
        }
    }
}
