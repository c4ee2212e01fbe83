//! A message's nodes: its property context, recipient and attachment
//! tables, attachments and embedded messages, written as the message is
//! added; what it stores is its size on disk (PidTagMessageSize).

use pstkit_ltp::write::{set_inline, PcBuilder, TcBuilder};
use pstkit_ltp::{PropId, PropTag, PropType, PropValue};
use pstkit_ndb::{Bid, Nid, NidType};

use super::rows::table_row;
use super::{
    mark_subject, templates, AttachContent, NewAttachment, NewMessage, PstWriter, Written,
};
use crate::error::{Result, StoreError};
use crate::{pid, state};

impl PstWriter {
    /// Writes a message (top-level or embedded) and returns its data block,
    /// its subnode tree and the properties as written (for table rows).
    pub(super) fn write_message(&mut self, m: &NewMessage, nid: Nid) -> Result<Written> {
        self.write_message_at(m, nid, 0)
    }

    fn write_message_at(&mut self, m: &NewMessage, nid: Nid, depth: usize) -> Result<Written> {
        if depth > crate::MAX_EMBED_DEPTH {
            return Err(StoreError::invalid(
                nid,
                "embedded messages nested too deeply",
            ));
        }
        let mut props = m.props.clone();
        let now = self.options.timestamp;
        let has = |props: &[(PropTag, PropValue)], id: PropId| props.iter().any(|p| p.0.id() == id);
        let mut defaults = Vec::new();
        if !has(&props, pid::MESSAGE_CLASS) {
            defaults.push((
                pid::tags::MESSAGE_CLASS,
                PropValue::String("IPM.Note".into()),
            ));
        }
        if !has(&props, pid::MESSAGE_STATUS) {
            defaults.push((pid::tags::MESSAGE_STATUS, PropValue::Int32(0)));
        }
        for t in [pid::tags::CREATION_TIME, pid::tags::LAST_MODIFICATION_TIME] {
            if !has(&props, t.id()) {
                defaults.push((t, PropValue::Time(now)));
            }
        }
        if !has(&props, pid::SEARCH_KEY) {
            let mut key = self.record_key;
            key[12..].copy_from_slice(&nid.0.to_le_bytes());
            key[8] ^= depth as u8;
            defaults.push((pid::tags::SEARCH_KEY, PropValue::Binary(key.to_vec())));
        }
        props.extend(defaults);
        for (t, v) in props.iter_mut() {
            if t.id() == pid::SUBJECT {
                if let PropValue::String(subject) = v {
                    *subject = mark_subject(subject);
                }
            }
        }
        // The attachment flag follows the attachments actually written.
        let mut flags = props
            .iter()
            .find_map(|(t, v)| match (t.id(), v) {
                (pid::MESSAGE_FLAGS, PropValue::Int32(f)) => Some(*f),
                _ => None,
            })
            .unwrap_or(0);
        if m.attachments.is_empty() {
            flags &= !state::MSGFLAG_HASATTACH;
        } else {
            flags |= state::MSGFLAG_HASATTACH;
        }
        props.retain(|p| p.0.id() != pid::MESSAGE_FLAGS);
        props.push((pid::tags::MESSAGE_FLAGS, PropValue::Int32(flags)));

        let mut subs = Vec::new();
        // Recipients.
        // The recipient table is where recipients live: every property any
        // row has needs a column (the row's own type wins over the template's).
        let mut columns: Vec<PropTag> = Vec::new();
        for r in &m.recipients {
            for (t, _) in r {
                if !columns.iter().any(|c| c.id() == t.id()) {
                    columns.push(*t);
                }
            }
        }
        for t in templates::RECIPIENTS {
            if !columns.iter().any(|c| c.id() == t.id()) {
                columns.push(*t);
            }
        }
        columns.sort_by_key(|t| t.0);
        let mut rt = TcBuilder::new(self.variant, &columns);
        for (i, r) in m.recipients.iter().enumerate() {
            let mut cells = r.clone();
            cells.push((pid::tags::ROWID, PropValue::Int32(i as i32)));
            rt.add_row(i as u32, &cells);
        }
        // Everything written from here on is this message's, on disk.
        let size_before = self.written_size;
        let (rt_data, rt_sub) = self.write_table(rt)?;
        subs.push((Nid::RECIPIENT_TABLE, rt_data, rt_sub));
        // Attachments.
        if !m.attachments.is_empty() {
            let mut at = TcBuilder::new(self.variant, templates::ATTACHMENTS);
            for (i, a) in m.attachments.iter().enumerate() {
                let anid = Nid::new(NidType::Attachment, 0x400 + i as u32 + 1);
                let (adata, asub, aprops, _) = self.write_attachment(a, i, depth)?;
                subs.push((anid, adata, asub));
                at.add_row(anid.0, &aprops);
            }
            let (at_data, at_sub) = self.write_table(at)?;
            subs.push((Nid::ATTACHMENT_TABLE, at_data, at_sub));
        }
        // The message's own properties. PidTagMessageSize is the size on
        // disk of the message node and all its subnodes, as Outlook 2007 SP2
        // and later record it (docs/check-rules.md, rule message-size): the
        // source's value described the source's layout, so it is replaced.
        // The value is inline, so the context's size does not depend on it.
        props.retain(|p| p.0.id() != pid::MESSAGE_SIZE);
        let mut pc = PcBuilder::new(self.variant);
        for (t, v) in &props {
            pc.set(*t, v.clone());
        }
        pc.set(pid::tags::MESSAGE_SIZE, PropValue::Int32(0));
        let mut finished = pc.finish();
        let size = self.written_size - size_before + finished.stored_size();
        let recorded = size.min(i32::MAX as u64) as i32;
        if !set_inline(
            &mut finished.pages,
            self.variant,
            pid::MESSAGE_SIZE,
            recorded as u32,
        ) {
            return Err(StoreError::invalid(
                nid,
                "message size not in the context written",
            ));
        }
        props.push((pid::tags::MESSAGE_SIZE, PropValue::Int32(recorded)));
        let (data, pc_subs) = self.write_node_data(finished)?;
        subs.extend(pc_subs);
        let sub = self.subnode_tree(subs)?;
        Ok((data, sub, props, size))
    }

    pub(super) fn write_attachment(
        &mut self,
        a: &NewAttachment,
        index: usize,
        depth: usize,
    ) -> Result<Written> {
        let mut props: Vec<(PropTag, PropValue)> = a
            .props
            .iter()
            .filter(|(t, _)| t.id() != pid::ATTACH_DATA_BINARY)
            .cloned()
            .collect();
        let has = |props: &[(PropTag, PropValue)], id: PropId| props.iter().any(|p| p.0.id() == id);
        let size_before = self.written_size;
        let mut subs = Vec::new();
        let mut external = Vec::new();
        let method = match &a.content {
            AttachContent::None => None,
            AttachContent::Data(bytes) => {
                props.push((
                    pid::tags::ATTACH_DATA_BINARY,
                    PropValue::Binary(bytes.clone()),
                ));
                Some(1)
            }
            AttachContent::Message(msg) => {
                // The embedded message lives in the attachment's own subnodes.
                let enid = Nid::new(NidType::NormalMessage, 0x400 + index as u32 + 1);
                let (edata, esub, _, esize) = self.write_message_at(msg, enid, depth + 1)?;
                subs.push((enid, edata, esub));
                // ulSize is the embedded message's PidTagMessageSize.
                let size = u32::try_from(esize).unwrap_or(u32::MAX);
                props.push((
                    PropTag::new(pid::ATTACH_DATA_BINARY, PropType::Object),
                    PropValue::Object { nid: enid, size },
                ));
                Some(5)
            }
            AttachContent::Stored(stream) => {
                if !stream.fits(self.variant, self.options.crypt) {
                    return Err(StoreError::invalid(
                        Nid(0),
                        "stored blocks of another variant or encoding cannot be copied as they are",
                    ));
                }
                let snid = Nid::new(NidType::Ltp, 0x7800 + index as u32 + 1);
                let ndb = self.ndb();
                let mut leaves = Vec::with_capacity(stream.blocks.len());
                for (bytes, crc, inflated) in &stream.blocks {
                    let bid = ndb.add_stored_block(bytes, *crc, *inflated)?;
                    leaves.push((bid, usize::from(*inflated)));
                }
                let bid = match leaves.as_slice() {
                    [] => Bid(0),
                    [one] => one.0,
                    _ => ndb.add_tree(&leaves)?,
                };
                subs.push((snid, bid, Bid(0)));
                self.written_size += stream.blocks.iter().map(|b| u64::from(b.2)).sum::<u64>();
                external.push((pid::tags::ATTACH_DATA_BINARY, snid));
                Some(1)
            }
            // Nothing written: an empty value, as for empty bytes.
            AttachContent::Written { size: 0, .. } => {
                props.push((pid::tags::ATTACH_DATA_BINARY, PropValue::Binary(Vec::new())));
                Some(1)
            }
            AttachContent::Written { bid, size } => {
                let snid = Nid::new(NidType::Ltp, 0x7800 + index as u32 + 1);
                subs.push((snid, *bid, Bid(0)));
                self.written_size += size;
                external.push((pid::tags::ATTACH_DATA_BINARY, snid));
                Some(1)
            }
            AttachContent::Object(bytes) => {
                let onid = Nid::new(NidType::Ltp, 0x7000 + index as u32 + 1);
                let bid = self.ndb().add_stream(bytes)?;
                self.written_size += bytes.len() as u64;
                subs.push((onid, bid, Bid(0)));
                let size = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
                props.push((
                    PropTag::new(pid::ATTACH_DATA_BINARY, PropType::Object),
                    PropValue::Object { nid: onid, size },
                ));
                Some(6)
            }
        };
        if !has(&props, pid::ATTACH_METHOD) {
            props.push((
                pid::tags::ATTACH_METHOD,
                PropValue::Int32(method.unwrap_or(0)),
            ));
        }
        if !has(&props, pid::RENDERING_POSITION) {
            props.push((pid::tags::RENDERING_POSITION, PropValue::Int32(-1)));
        }
        // PidTagAttachSize: the sizes of all the attachment's values, its
        // data and itself included, as in every real sample (rule
        // attach-size in docs/check-rules.md).
        props.retain(|p| p.0.id() != pid::ATTACH_SIZE);
        let external_size: u64 = match &a.content {
            AttachContent::Stored(s) => s.blocks.iter().map(|b| u64::from(b.2)).sum(),
            AttachContent::Written { size, .. } => *size,
            _ => 0,
        };
        let size = props.iter().map(|(_, v)| value_size(v)).sum::<u64>() + 4 + external_size;
        props.push((
            pid::tags::ATTACH_SIZE,
            PropValue::Int32(size.min(i32::MAX as u64) as i32),
        ));
        let mut pc = PcBuilder::new(self.variant);
        for (t, v) in &props {
            pc.set(*t, v.clone());
        }
        for (t, nid) in external {
            pc.set_subnode(t, nid);
        }
        let (data, pc_subs) = self.write_node_data(pc.finish())?;
        subs.extend(pc_subs);
        let sub = self.subnode_tree(subs)?;
        let row = table_row(props, templates::ATTACHMENTS, crate::DEFAULT_CODEPAGE);
        Ok((data, sub, row, self.written_size - size_before))
    }
}

/// A value's size as PidTagAttachSize counts it: fixed types their width,
/// others their stored bytes, an embedded object its `ulSize`.
fn value_size(v: &PropValue) -> u64 {
    match v {
        PropValue::Object { size, .. } => u64::from(*size),
        v => match v.prop_type().fixed_size() {
            Some(n) => n as u64,
            None => pstkit_ltp::write::encoded_len(v) as u64,
        },
    }
}
