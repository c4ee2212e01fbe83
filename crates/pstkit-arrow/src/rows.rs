//! One item read into its rows, and the column builders the rows go into.
//!
//! An item is read whole before anything of it is appended, so that an
//! item that fails half-way leaves no partial row behind.

use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;
use pstkit_copy::{AttachmentContent, CopyError};
use pstkit_ltp::FileTime;
use pstkit_ndb::Nid;
use pstkit_store::message::normalize_subject;
use pstkit_store::state::MSGFLAG_READ;
use pstkit_store::{pid, Message, RecipientKind, MAX_EMBED_DEPTH};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::schema::{attachments_schema, messages_schema, TIME_ZONE};

/// How much of the attachments an item's reading takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttachmentRead {
    /// Only their count (the messages table alone).
    Count,
    /// Their rows, with sizes and hashes but without the bytes.
    Rows,
    /// Their rows with the bytes.
    WithData,
}

/// One item's cells of the messages table.
#[derive(Debug, Default)]
pub(crate) struct MessageRow {
    pub nid: i64,
    pub class: String,
    pub subject: Option<String>,
    pub sender_name: Option<String>,
    pub sender_address: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub sent: Option<i64>,
    pub received: Option<i64>,
    pub internet_message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub conversation_topic: Option<String>,
    pub importance: Option<i32>,
    pub read: bool,
    pub size: Option<i64>,
    pub attachment_count: i32,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
    pub transport_headers: Option<String>,
}

impl MessageRow {
    /// Bytes the row's text holds, for bounding a batch's memory.
    pub fn weight(&self) -> usize {
        let len = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        len(&self.body_text) + len(&self.body_html) + len(&self.transport_headers) + 256
    }
}

/// One attachment's cells of the attachments table.
#[derive(Debug, Default)]
pub(crate) struct AttachmentRow {
    pub index: i32,
    pub filename: Option<String>,
    pub mime_type: String,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub content_id: Option<String>,
    pub embedded: bool,
    /// The indexes from the item down to this attachment, `/`-joined: "2"
    /// for the item's third, "2/0" for the first of the message embedded
    /// as that third.
    pub path: String,
    pub data: Option<Vec<u8>>,
}

/// A FILETIME as microseconds since the Unix epoch (every FILETIME fits:
/// `u64::MAX` ticks are 1.8e18 microseconds).
pub(crate) fn micros(t: FileTime) -> i64 {
    (t.0 / 10) as i64 - FileTime::UNIX_EPOCH_SECS * 1_000_000
}

/// Lowercase hexadecimal SHA-256 of `bytes` (what `sha256sum` prints).
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Item `m`'s row of the messages table, but its attachment count. A
/// value that is there but does not read fails the item, as it fails the
/// item in the EML export; the sender's fields are read leniently, as
/// `pstkit ls` reads them.
fn message_row(m: &Message<'_>) -> Result<MessageRow> {
    let bodies = pstkit_copy::bodies(m)?;
    let mut row = MessageRow {
        nid: i64::from(m.nid().0),
        class: m.class(),
        subject: m.try_string(pid::SUBJECT)?.map(|s| normalize_subject(&s)),
        sender_name: m.sender_name(),
        sender_address: m.sender_email(),
        sent: m.try_time(pid::CLIENT_SUBMIT_TIME)?.map(micros),
        received: m.try_time(pid::MESSAGE_DELIVERY_TIME)?.map(micros),
        internet_message_id: m.try_string(pid::INTERNET_MESSAGE_ID)?,
        in_reply_to: m.try_string(pid::IN_REPLY_TO_ID)?,
        conversation_topic: m.try_string(pid::CONVERSATION_TOPIC)?,
        importance: m.try_i32(pid::IMPORTANCE)?,
        read: m.try_i32(pid::MESSAGE_FLAGS)?.unwrap_or(0) & MSGFLAG_READ != 0,
        size: m.try_i32(pid::MESSAGE_SIZE)?.map(i64::from),
        body_text: bodies.text,
        body_html: bodies.html,
        transport_headers: m.try_string(pid::TRANSPORT_MESSAGE_HEADERS)?,
        ..MessageRow::default()
    };
    for r in m.recipients()? {
        // The SMTP address, else the stored address (an Exchange DN), else
        // the name: a recipient is never left out of the list.
        let Some(who) = r
            .address()
            .map(str::to_string)
            .or_else(|| r.email.clone().filter(|e| !e.is_empty()))
            .or_else(|| r.name.clone())
        else {
            continue;
        };
        match r.kind {
            RecipientKind::To => row.to.push(who),
            RecipientKind::Cc => row.cc.push(who),
            RecipientKind::Bcc => row.bcc.push(who),
        }
    }
    Ok(row)
}

/// Reads item `m` into its row (without `messages`, only its id) and, as
/// `read` asks, its attachments' rows.
pub(crate) fn read_item(
    m: &Message<'_>,
    read: AttachmentRead,
    messages: bool,
) -> Result<(MessageRow, Vec<AttachmentRow>)> {
    let mut row = if messages {
        message_row(m)?
    } else {
        MessageRow {
            nid: i64::from(m.nid().0),
            ..MessageRow::default()
        }
    };
    let ids = m.attachment_ids()?;
    row.attachment_count = i32::try_from(ids.len()).unwrap_or(i32::MAX);
    let mut attachments = Vec::new();
    if read != AttachmentRead::Count {
        attachment_rows(m, ids, read, "", 0, &mut attachments)?;
    }
    Ok((row, attachments))
}

/// The rows of `m`'s attachments `ids` and, depth first after each
/// embedded message's own row, of that message's attachments: no file
/// inside an attached message is left out of the table. `prefix` is the
/// embedded message's path ("" for the item), `depth` its nesting.
fn attachment_rows(
    m: &Message<'_>,
    ids: Vec<Nid>,
    read: AttachmentRead,
    prefix: &str,
    depth: usize,
    out: &mut Vec<AttachmentRow>,
) -> Result<()> {
    for (i, nid) in ids.into_iter().enumerate() {
        let a = m.attachment(nid)?;
        let content = pstkit_copy::attachment_content(&a)?;
        let name = pstkit_copy::eml::attachment_name(&a, i);
        let path = format!("{prefix}{i}");
        let mut at = AttachmentRow {
            index: i32::try_from(i).unwrap_or(i32::MAX),
            filename: a.filename(),
            content_id: a.content_id(),
            path: path.clone(),
            ..AttachmentRow::default()
        };
        let mut inner = None;
        match content {
            AttachmentContent::Message(em) => {
                at.embedded = true;
                at.mime_type = "message/rfc822".to_string();
                inner = Some(em);
            }
            AttachmentContent::Bytes(bytes) => {
                at.mime_type = pstkit_copy::eml::attachment_mime(&a, &name);
                at.size = Some(bytes.len() as i64);
                at.sha256 = Some(sha256_hex(&bytes));
                if read == AttachmentRead::WithData {
                    at.data = Some(bytes);
                }
            }
            AttachmentContent::Elsewhere => {
                at.mime_type = pstkit_copy::eml::attachment_mime(&a, &name);
            }
        }
        out.push(at);
        if let Some(em) = inner {
            // The limit every export keeps (an item nested deeper fails
            // the same way in the EML export).
            if depth + 1 > MAX_EMBED_DEPTH {
                return Err(CopyError::TooDeep(MAX_EMBED_DEPTH).into());
            }
            let ids = em.attachment_ids()?;
            attachment_rows(&em, ids, read, &format!("{path}/"), depth + 1, out)?;
        }
    }
    Ok(())
}

/// The messages table's columns being filled.
pub(crate) struct MessageColumns {
    schema: SchemaRef,
    source: StringBuilder,
    nid: Int64Builder,
    folder: StringBuilder,
    class: StringBuilder,
    subject: StringBuilder,
    sender_name: StringBuilder,
    sender_address: StringBuilder,
    to: ListBuilder<StringBuilder>,
    cc: ListBuilder<StringBuilder>,
    bcc: ListBuilder<StringBuilder>,
    sent: TimestampMicrosecondBuilder,
    received: TimestampMicrosecondBuilder,
    internet_message_id: StringBuilder,
    in_reply_to: StringBuilder,
    conversation_topic: StringBuilder,
    importance: Int32Builder,
    read: BooleanBuilder,
    size: Int64Builder,
    attachment_count: Int32Builder,
    body_text: StringBuilder,
    body_html: StringBuilder,
    transport_headers: StringBuilder,
    /// Rows appended since the last batch.
    pub rows: usize,
    /// Their text's bytes, roughly.
    pub weight: usize,
}

fn timestamps() -> TimestampMicrosecondBuilder {
    TimestampMicrosecondBuilder::new().with_timezone(TIME_ZONE)
}

impl MessageColumns {
    pub fn new() -> Self {
        MessageColumns {
            schema: messages_schema(),
            source: StringBuilder::new(),
            nid: Int64Builder::new(),
            folder: StringBuilder::new(),
            class: StringBuilder::new(),
            subject: StringBuilder::new(),
            sender_name: StringBuilder::new(),
            sender_address: StringBuilder::new(),
            to: ListBuilder::new(StringBuilder::new()),
            cc: ListBuilder::new(StringBuilder::new()),
            bcc: ListBuilder::new(StringBuilder::new()),
            sent: timestamps(),
            received: timestamps(),
            internet_message_id: StringBuilder::new(),
            in_reply_to: StringBuilder::new(),
            conversation_topic: StringBuilder::new(),
            importance: Int32Builder::new(),
            read: BooleanBuilder::new(),
            size: Int64Builder::new(),
            attachment_count: Int32Builder::new(),
            body_text: StringBuilder::new(),
            body_html: StringBuilder::new(),
            transport_headers: StringBuilder::new(),
            rows: 0,
            weight: 0,
        }
    }

    pub fn append(&mut self, source: &str, folder: &str, r: MessageRow) {
        self.weight += r.weight();
        self.rows += 1;
        self.source.append_value(source);
        self.nid.append_value(r.nid);
        self.folder.append_value(folder);
        self.class.append_value(&r.class);
        self.subject.append_option(r.subject);
        self.sender_name.append_option(r.sender_name);
        self.sender_address.append_option(r.sender_address);
        for (list, values) in [
            (&mut self.to, r.to),
            (&mut self.cc, r.cc),
            (&mut self.bcc, r.bcc),
        ] {
            for v in values {
                list.values().append_value(v);
            }
            list.append(true);
        }
        self.sent.append_option(r.sent);
        self.received.append_option(r.received);
        self.internet_message_id
            .append_option(r.internet_message_id);
        self.in_reply_to.append_option(r.in_reply_to);
        self.conversation_topic.append_option(r.conversation_topic);
        self.importance.append_option(r.importance);
        self.read.append_value(r.read);
        self.size.append_option(r.size);
        self.attachment_count.append_value(r.attachment_count);
        self.body_text.append_option(r.body_text);
        self.body_html.append_option(r.body_html);
        self.transport_headers.append_option(r.transport_headers);
    }

    /// The rows appended so far as a batch; the builders start empty again.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        self.rows = 0;
        self.weight = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.source.finish()),
            Arc::new(self.nid.finish()),
            Arc::new(self.folder.finish()),
            Arc::new(self.class.finish()),
            Arc::new(self.subject.finish()),
            Arc::new(self.sender_name.finish()),
            Arc::new(self.sender_address.finish()),
            Arc::new(self.to.finish()),
            Arc::new(self.cc.finish()),
            Arc::new(self.bcc.finish()),
            Arc::new(self.sent.finish()),
            Arc::new(self.received.finish()),
            Arc::new(self.internet_message_id.finish()),
            Arc::new(self.in_reply_to.finish()),
            Arc::new(self.conversation_topic.finish()),
            Arc::new(self.importance.finish()),
            Arc::new(self.read.finish()),
            Arc::new(self.size.finish()),
            Arc::new(self.attachment_count.finish()),
            Arc::new(self.body_text.finish()),
            Arc::new(self.body_html.finish()),
            Arc::new(self.transport_headers.finish()),
        ];
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

/// The attachments table's columns being filled.
pub(crate) struct AttachmentColumns {
    schema: SchemaRef,
    source: StringBuilder,
    nid: Int64Builder,
    index: Int32Builder,
    filename: StringBuilder,
    mime_type: StringBuilder,
    size: Int64Builder,
    sha256: StringBuilder,
    content_id: StringBuilder,
    embedded: BooleanBuilder,
    path: StringBuilder,
    data: Option<BinaryBuilder>,
    /// Rows appended since the last batch.
    pub rows: usize,
    /// Their bytes, roughly.
    pub weight: usize,
}

impl AttachmentColumns {
    pub fn new(with_data: bool) -> Self {
        AttachmentColumns {
            schema: attachments_schema(with_data),
            source: StringBuilder::new(),
            nid: Int64Builder::new(),
            index: Int32Builder::new(),
            filename: StringBuilder::new(),
            mime_type: StringBuilder::new(),
            size: Int64Builder::new(),
            sha256: StringBuilder::new(),
            content_id: StringBuilder::new(),
            embedded: BooleanBuilder::new(),
            path: StringBuilder::new(),
            data: with_data.then(BinaryBuilder::new),
            rows: 0,
            weight: 0,
        }
    }

    /// Whether the `data` column is filled.
    pub fn has_data(&self) -> bool {
        self.data.is_some()
    }

    pub fn append(&mut self, source: &str, nid: i64, a: AttachmentRow) {
        self.rows += 1;
        self.weight += 128 + a.data.as_ref().map_or(0, Vec::len);
        self.source.append_value(source);
        self.nid.append_value(nid);
        self.index.append_value(a.index);
        self.filename.append_option(a.filename);
        self.mime_type.append_value(a.mime_type);
        self.size.append_option(a.size);
        self.sha256.append_option(a.sha256);
        self.content_id.append_option(a.content_id);
        self.embedded.append_value(a.embedded);
        self.path.append_value(a.path);
        if let Some(data) = &mut self.data {
            data.append_option(a.data);
        }
    }

    /// The rows appended so far as a batch; the builders start empty again.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        self.rows = 0;
        self.weight = 0;
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.source.finish()),
            Arc::new(self.nid.finish()),
            Arc::new(self.index.finish()),
            Arc::new(self.filename.finish()),
            Arc::new(self.mime_type.finish()),
            Arc::new(self.size.finish()),
            Arc::new(self.sha256.finish()),
            Arc::new(self.content_id.finish()),
            Arc::new(self.embedded.finish()),
            Arc::new(self.path.finish()),
        ];
        if let Some(data) = &mut self.data {
            columns.push(Arc::new(data.finish()));
        }
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetimes_become_unix_microseconds() {
        // 1970-01-01T00:00:00Z and one tick (100 ns) less than a microsecond after.
        let epoch = FileTime(FileTime::UNIX_EPOCH_SECS as u64 * 10_000_000);
        assert_eq!(micros(epoch), 0);
        assert_eq!(micros(FileTime(epoch.0 + 9)), 0);
        assert_eq!(micros(FileTime(epoch.0 + 10)), 1);
        // Before 1970: negative. 1601 itself: the most negative.
        assert_eq!(micros(FileTime(0)), -FileTime::UNIX_EPOCH_SECS * 1_000_000);
        assert_eq!(
            micros(FileTime(u64::MAX)),
            1_844_674_407_370_955_161 - 11_644_473_600_000_000
        );
    }

    #[test]
    fn sha256_is_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_row_becomes_one_row_of_every_column() {
        let mut c = MessageColumns::new();
        c.append(
            "a.pst",
            "Inbox",
            MessageRow {
                nid: 0x200024,
                class: "IPM.Note".into(),
                to: vec!["a@example.com".into(), "b@example.com".into()],
                sent: Some(5),
                read: true,
                ..MessageRow::default()
            },
        );
        c.append("a.pst", "Inbox/Sub", MessageRow::default());
        let b = c.finish().unwrap();
        assert_eq!(b.num_rows(), 2);
        assert_eq!(b.schema(), messages_schema());
        let to = b
            .column_by_name("to")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow_array::ListArray>()
            .unwrap();
        assert_eq!(to.value_length(0), 2);
        assert_eq!(to.value_length(1), 0);
        assert_eq!(c.rows, 0);
        assert_eq!(c.finish().unwrap().num_rows(), 0);
    }
}
