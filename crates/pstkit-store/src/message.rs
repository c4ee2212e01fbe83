//! Messages, their recipients and their attachments.

use std::borrow::Cow;

use pstkit_ltp::{FileTime, PropId, PropTag, PropValue, PropertyContext, TableContext};
use pstkit_ndb::{Nid, Node};

use crate::codepage::object_codepage;
use crate::error::{Result, StoreError};
use crate::kind::ItemKind;
use crate::pid;
use crate::rtf::decompress_rtf;

/// How deep embedded messages (a message attached to a message …) may
/// nest, for reading, writing, converting, exporting and importing alike:
/// real mail rarely nests more than a few forwards, and a damaged file could
/// nest forever. Each level nests the subnode trees two deeper, which
/// [`MAX_SUBNODE_DEPTH`](pstkit_ndb::block::MAX_SUBNODE_DEPTH) allows for.
pub const MAX_EMBED_DEPTH: usize = 32;
const _: () = assert!(2 * (MAX_EMBED_DEPTH + 1) < pstkit_ndb::block::MAX_SUBNODE_DEPTH);

/// Reads the common typed properties of a property context, with the 8-bit
/// strings decoded in the object's code page. The `try_` readers tell an
/// absent value (`Ok(None)`) from a damaged one (an error naming the node
/// and property); the others are the lenient reading for display, where a
/// damaged value shows as absent.
pub(crate) struct Props<'p, 'a> {
    pub pc: &'p PropertyContext<'a>,
    pub codepage: u32,
}

impl Props<'_, '_> {
    pub fn try_string(&self, id: PropId) -> Result<Option<String>> {
        Ok(self.pc.get_string(id, self.codepage).transpose()?)
    }

    pub fn try_i32(&self, id: PropId) -> Result<Option<i32>> {
        Ok(match self.pc.get(id).transpose()? {
            Some(PropValue::Int32(v)) => Some(v),
            Some(PropValue::Int16(v)) => Some(i32::from(v)),
            _ => None,
        })
    }

    pub fn try_time(&self, id: PropId) -> Result<Option<FileTime>> {
        Ok(self.pc.get_time(id).transpose()?)
    }

    pub fn try_binary(&self, id: PropId) -> Result<Option<Vec<u8>>> {
        Ok(self.pc.get_binary(id).transpose()?)
    }

    pub fn string(&self, id: PropId) -> Option<String> {
        self.try_string(id).ok().flatten()
    }

    pub fn i32(&self, id: PropId) -> Option<i32> {
        self.try_i32(id).ok().flatten()
    }

    pub fn bool(&self, id: PropId) -> Option<bool> {
        self.pc.get_bool(id).and_then(|r| r.ok())
    }

    pub fn time(&self, id: PropId) -> Option<FileTime> {
        self.try_time(id).ok().flatten()
    }

    pub fn binary(&self, id: PropId) -> Option<Vec<u8>> {
        self.try_binary(id).ok().flatten()
    }
}

/// Removes the subject prefix marker ([MS-OXCMAIL]: U+0001 and a length
/// character) that Outlook stores in front of some subjects.
pub fn normalize_subject(s: &str) -> String {
    let mut c = s.chars();
    if c.next() == Some('\u{1}') && c.next().is_some() {
        c.as_str().to_string()
    } else {
        s.to_string()
    }
}

// Shows which object it is, not its bytes.
impl std::fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("nid", &self.node.nid())
            .field("codepage", &self.codepage)
            .finish_non_exhaustive()
    }
}

/// A message: a folder's item, or a message embedded in an attachment.
///
/// The typed getters (`subject`, `body`, `date`, …) are for display: a
/// damaged value reads as absent. Copies use the `try_` getters, which tell
/// the two apart, or the whole [`PropertyContext`].
pub struct Message<'a> {
    node: Node<'a>,
    pc: PropertyContext<'a>,
    codepage: u32,
}

impl<'a> Message<'a> {
    /// Reads the message whose data and subnodes `node` holds. 8-bit strings
    /// are decoded in the message's code page, else in `default_codepage`.
    pub fn read(node: Node<'a>, default_codepage: u32) -> Result<Self> {
        let pc = PropertyContext::read(node.clone())?;
        let codepage = object_codepage(&pc).unwrap_or(default_codepage);
        Ok(Message { node, pc, codepage })
    }

    fn p(&self) -> Props<'_, 'a> {
        Props {
            pc: &self.pc,
            codepage: self.codepage,
        }
    }

    /// The message's node id (local to its attachment when embedded).
    pub fn nid(&self) -> Nid {
        self.node.nid()
    }

    /// The node the message is read from (its data and subnodes).
    pub fn node(&self) -> &Node<'a> {
        &self.node
    }

    /// The code page its 8-bit strings are read in.
    pub fn codepage(&self) -> u32 {
        self.codepage
    }

    /// All properties.
    pub fn properties(&self) -> &PropertyContext<'a> {
        &self.pc
    }

    /// Reads any string property in this message's code page; a damaged
    /// value reads as absent (see [`Message::try_string`]).
    pub fn string(&self, id: PropId) -> Option<String> {
        self.p().string(id)
    }

    /// Reads any string property in this message's code page: `Ok(None)`
    /// when absent, an error naming the node and property when damaged, for
    /// callers that must not take one for the other.
    pub fn try_string(&self, id: PropId) -> Result<Option<String>> {
        self.p().try_string(id)
    }

    /// A time property: `Ok(None)` when absent, an error when damaged.
    pub fn try_time(&self, id: PropId) -> Result<Option<FileTime>> {
        self.p().try_time(id)
    }

    /// An integer property (PtypInteger32 or PtypInteger16): `Ok(None)`
    /// when absent or of another type, an error when damaged.
    pub fn try_i32(&self, id: PropId) -> Result<Option<i32>> {
        self.p().try_i32(id)
    }

    /// A binary property: `Ok(None)` when absent, an error when damaged.
    pub fn try_binary(&self, id: PropId) -> Result<Option<Vec<u8>>> {
        self.p().try_binary(id)
    }

    /// PidTagMessageClass (`IPM.Note` when absent, as MAPI assumes).
    pub fn class(&self) -> String {
        self.p()
            .string(pid::MESSAGE_CLASS)
            .unwrap_or_else(|| "IPM.Note".to_string())
    }

    /// What kind of item this is.
    pub fn kind(&self) -> ItemKind {
        ItemKind::from_class(&self.class())
    }

    /// The subject, without Outlook's prefix marker.
    pub fn subject(&self) -> Option<String> {
        self.p().string(pid::SUBJECT).map(|s| normalize_subject(&s))
    }

    /// The sender's display name (the represented sender when the sender is absent).
    pub fn sender_name(&self) -> Option<String> {
        let p = self.p();
        p.string(pid::SENDER_NAME)
            .or_else(|| p.string(pid::SENT_REPRESENTING_NAME))
    }

    /// The sender's address: an SMTP address when the message has one, else
    /// whatever address it stores (an Exchange DN for internal senders, see
    /// [`Message::sender_smtp`] for SMTP only).
    pub fn sender_email(&self) -> Option<String> {
        let p = self.p();
        let smtp = p
            .string(pid::SENDER_SMTP_ADDRESS)
            .or_else(|| p.string(pid::SENT_REPRESENTING_SMTP_ADDRESS));
        let typed = |email, kind| {
            let e: Option<String> = p.string(email);
            let k: Option<String> = p.string(kind);
            e.filter(|e| {
                !e.is_empty() && k.as_deref().is_none_or(|k| k.eq_ignore_ascii_case("SMTP"))
            })
        };
        smtp.filter(|s| !s.is_empty())
            .or_else(|| typed(pid::SENDER_EMAIL_ADDRESS, pid::SENDER_ADDRESS_TYPE))
            .or_else(|| {
                typed(
                    pid::SENT_REPRESENTING_EMAIL_ADDRESS,
                    pid::SENT_REPRESENTING_ADDRESS_TYPE,
                )
            })
            .or_else(|| {
                p.string(pid::SENDER_EMAIL_ADDRESS)
                    .filter(|e| !e.is_empty())
            })
    }

    /// The sender's SMTP address only.
    pub fn sender_smtp(&self) -> Option<String> {
        self.sender_email()
            .filter(|e| e.contains('@') && !e.starts_with('/'))
    }

    /// When the message was delivered, else sent, else created.
    pub fn date(&self) -> Option<FileTime> {
        let p = self.p();
        p.time(pid::MESSAGE_DELIVERY_TIME)
            .or_else(|| p.time(pid::CLIENT_SUBMIT_TIME))
            .or_else(|| p.time(pid::CREATION_TIME))
    }

    /// PidTagClientSubmitTime.
    pub fn submit_time(&self) -> Option<FileTime> {
        self.p().time(pid::CLIENT_SUBMIT_TIME)
    }

    /// PidTagMessageFlags (bit 0x01 read, 0x10 has attachments, …).
    pub fn flags(&self) -> i32 {
        self.p().i32(pid::MESSAGE_FLAGS).unwrap_or(0)
    }

    /// PidTagMessageSize as recorded.
    pub fn size(&self) -> Option<i32> {
        self.p().i32(pid::MESSAGE_SIZE)
    }

    /// The plain-text body.
    pub fn body(&self) -> Option<String> {
        self.p().string(pid::BODY)
    }

    /// The HTML body, as stored bytes (binary or text); a damaged one reads
    /// as absent (see [`Message::try_body_html`]).
    pub fn body_html(&self) -> Option<Vec<u8>> {
        self.try_body_html().ok().flatten()
    }

    /// The HTML body: `Ok(None)` when absent, an error naming the node and
    /// property when damaged.
    pub fn try_body_html(&self) -> Result<Option<Vec<u8>>> {
        Ok(match self.pc.get(pid::BODY_HTML).transpose()? {
            Some(PropValue::Binary(b)) => Some(b),
            Some(PropValue::String(s)) => Some(s.into_bytes()),
            Some(PropValue::String8(s)) => Some(s.bytes().to_vec()),
            _ => None,
        })
    }

    /// The RTF body, decompressed from PidTagRtfCompressed; a value that
    /// cannot be read or decompressed is an error.
    pub fn body_rtf(&self) -> Option<Result<Vec<u8>>> {
        let raw = match self.p().try_binary(pid::RTF_COMPRESSED) {
            Ok(raw) => raw?,
            Err(e) => return Some(Err(e)),
        };
        Some(
            decompress_rtf(&raw)
                .map_err(|e| StoreError::invalid(self.nid(), format!("PidTagRtfCompressed: {e}"))),
        )
    }

    /// PidTagTransportMessageHeaders: the headers the message arrived with.
    pub fn transport_headers(&self) -> Option<String> {
        self.p().string(pid::TRANSPORT_MESSAGE_HEADERS)
    }

    /// The recipients (the recipient table subnode 0x692). A cell that is
    /// absent is `None`; a cell that is damaged is an error (naming node,
    /// row and column), not an address quietly left out.
    pub fn recipients(&self) -> Result<Vec<Recipient>> {
        let Some(tc) = self.table(Nid::RECIPIENT_TABLE)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(tc.row_count());
        for row in tc.iter() {
            let row = row?;
            // A column of another type than text holds no text: absent.
            let text = |id: PropId| -> Result<Option<String>> {
                Ok(row
                    .get(id)
                    .transpose()?
                    .and_then(|v| v.into_text(self.codepage).ok()))
            };
            let kind = match row.get(pid::RECIPIENT_TYPE).transpose()? {
                Some(PropValue::Int32(t)) => RecipientKind::from_code(t),
                _ => RecipientKind::To,
            };
            out.push(Recipient {
                kind,
                name: text(pid::DISPLAY_NAME)?,
                email: text(pid::EMAIL_ADDRESS)?,
                address_type: text(pid::ADDRESS_TYPE)?,
                smtp: text(pid::SMTP_ADDRESS)?,
            });
        }
        Ok(out)
    }

    /// Every cell of every recipient row (without the table's own row id and
    /// version), for copying recipients whole.
    pub fn recipient_rows(&self) -> Result<Vec<Vec<(PropTag, PropValue)>>> {
        let Some(tc) = self.table(Nid::RECIPIENT_TABLE)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(tc.row_count());
        for row in tc.iter() {
            let row = row?;
            let mut cells = Vec::new();
            for (tag, v) in row.cells() {
                if not_row_key(tag) {
                    cells.push((tag, v?));
                }
            }
            out.push(cells);
        }
        Ok(out)
    }

    /// Whether [`Message::recipient_rows`] reads, and its error when it
    /// does not, without building the rows: what a check needs.
    pub fn check_recipient_rows(&self) -> Result<()> {
        let Some(tc) = self.table(Nid::RECIPIENT_TABLE)? else {
            return Ok(());
        };
        for row in tc.iter() {
            row?.check_cells(not_row_key)?;
        }
        Ok(())
    }

    /// The ids of the attachment subnodes, in table order.
    pub fn attachment_ids(&self) -> Result<Vec<Nid>> {
        match self.attachment_table()? {
            Some(tc) => Ok(tc.row_ids()?.into_iter().map(Nid).collect()),
            None => Ok(Vec::new()),
        }
    }

    /// The attachment table, `None` when the item has none.
    pub(crate) fn attachment_table(&self) -> Result<Option<TableContext<'a>>> {
        self.table(Nid::ATTACHMENT_TABLE)
    }

    /// The message's table subnode `nid` (recipients or attachments),
    /// `None` when the message has none.
    fn table(&self, nid: Nid) -> Result<Option<TableContext<'a>>> {
        let node = match self.node.subnode(nid) {
            Ok(n) => n,
            Err(pstkit_ndb::NdbError::NodeNotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(Some(TableContext::read(node)?))
    }

    /// One attachment.
    pub fn attachment(&self, nid: Nid) -> Result<Attachment<'a>> {
        let node = self.node.subnode(nid)?;
        let pc = PropertyContext::read(node.clone())?;
        let codepage = object_codepage(&pc).unwrap_or(self.codepage);
        Ok(Attachment { node, pc, codepage })
    }

    /// Every attachment, read lazily one at a time.
    pub fn attachments(&self) -> Result<impl Iterator<Item = Result<Attachment<'a>>> + '_> {
        let ids = self.attachment_ids()?;
        Ok(ids.into_iter().map(move |nid| self.attachment(nid)))
    }
}

/// To, Cc or Bcc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipientKind {
    /// Primary recipient.
    To,
    /// Carbon copy.
    Cc,
    /// Blind carbon copy.
    Bcc,
}

impl RecipientKind {
    /// From PidTagRecipientType (the high bits are flags).
    pub fn from_code(code: i32) -> Self {
        match code & 0x0F {
            2 => RecipientKind::Cc,
            3 => RecipientKind::Bcc,
            _ => RecipientKind::To,
        }
    }

    /// "To", "Cc" or "Bcc".
    pub fn name(self) -> &'static str {
        match self {
            RecipientKind::To => "To",
            RecipientKind::Cc => "Cc",
            RecipientKind::Bcc => "Bcc",
        }
    }
}

/// One row of a recipient table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// To, Cc or Bcc.
    pub kind: RecipientKind,
    /// PidTagDisplayName.
    pub name: Option<String>,
    /// PidTagEmailAddress (an Exchange DN when the type is EX).
    pub email: Option<String>,
    /// PidTagAddressType (SMTP, EX, …).
    pub address_type: Option<String>,
    /// PidTagSmtpAddress.
    pub smtp: Option<String>,
}

impl Recipient {
    /// The best Internet address: the SMTP address, else an SMTP-typed email.
    pub fn address(&self) -> Option<&str> {
        let smtp_typed = self
            .address_type
            .as_deref()
            .is_none_or(|t| t.eq_ignore_ascii_case("SMTP"));
        self.smtp.as_deref().filter(|s| !s.is_empty()).or_else(|| {
            self.email
                .as_deref()
                .filter(|e| smtp_typed && !e.is_empty())
        })
    }
}

/// How an attachment holds its data (PidTagAttachMethod).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachMethod {
    /// No data.
    None,
    /// Bytes in PidTagAttachDataBinary.
    ByValue,
    /// A path to a file elsewhere.
    ByReference,
    /// A path, resolved by the client only.
    ByReferenceOnly,
    /// A whole message in PidTagAttachDataObject.
    EmbeddedMessage,
    /// An OLE storage in PidTagAttachDataObject.
    Ole,
    /// A web reference.
    ByWebReference,
    /// Any other value.
    Other(i32),
}

impl AttachMethod {
    fn from_code(c: i32) -> Self {
        match c {
            0 => AttachMethod::None,
            1 => AttachMethod::ByValue,
            2 => AttachMethod::ByReference,
            4 => AttachMethod::ByReferenceOnly,
            5 => AttachMethod::EmbeddedMessage,
            6 => AttachMethod::Ole,
            7 => AttachMethod::ByWebReference,
            o => AttachMethod::Other(o),
        }
    }
}

// Shows which object it is, not its bytes.
impl std::fmt::Debug for Attachment<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("nid", &self.node.nid())
            .field("codepage", &self.codepage)
            .finish_non_exhaustive()
    }
}

/// An attachment of a message.
pub struct Attachment<'a> {
    node: Node<'a>,
    pc: PropertyContext<'a>,
    codepage: u32,
}

impl<'a> Attachment<'a> {
    fn p(&self) -> Props<'_, 'a> {
        Props {
            pc: &self.pc,
            codepage: self.codepage,
        }
    }

    /// The attachment's subnode id.
    pub fn nid(&self) -> Nid {
        self.node.nid()
    }

    /// All properties.
    pub fn properties(&self) -> &PropertyContext<'a> {
        &self.pc
    }

    /// How the data is held.
    pub fn method(&self) -> AttachMethod {
        let code = self.p().i32(pid::ATTACH_METHOD);
        match code {
            Some(c) => AttachMethod::from_code(c),
            // Without a method, an object value still means an embedded message.
            None => match self
                .pc
                .record(pid::ATTACH_DATA_BINARY)
                .map(|r| r.tag.prop_type())
            {
                Some(pstkit_ltp::PropType::Object) => AttachMethod::EmbeddedMessage,
                Some(_) => AttachMethod::ByValue,
                None => AttachMethod::None,
            },
        }
    }

    /// The file name: the long name, else the 8.3 name, else the display name.
    pub fn filename(&self) -> Option<String> {
        let p = self.p();
        [
            pid::ATTACH_LONG_FILENAME,
            pid::ATTACH_FILENAME,
            pid::DISPLAY_NAME,
        ]
        .into_iter()
        .find_map(|id| p.string(id).filter(|s| !s.is_empty()))
    }

    /// PidTagAttachMimeTag.
    pub fn mime_type(&self) -> Option<String> {
        self.p()
            .string(pid::ATTACH_MIME_TAG)
            .filter(|s| !s.is_empty())
    }

    /// PidTagAttachContentId, for inline images.
    pub fn content_id(&self) -> Option<String> {
        self.p()
            .string(pid::ATTACH_CONTENT_ID)
            .filter(|s| !s.is_empty())
    }

    /// PidTagAttachContentLocation: the URL an HTML body finds this part
    /// under (MHTML, RFC 2557), often relative to the page's base.
    pub fn content_location(&self) -> Option<String> {
        self.p()
            .string(pid::ATTACH_CONTENT_LOCATION)
            .filter(|s| !s.trim().is_empty())
    }

    /// PidTagAttachSize as recorded (includes properties, not only data).
    pub fn size(&self) -> Option<i32> {
        self.p().i32(pid::ATTACH_SIZE)
    }

    /// The attached bytes: the value of a by-value attachment (borrowed when
    /// it sits in the heap), or the stored object of an OLE attachment (an
    /// OLE compound file in a subnode, as libpff and libpst export it).
    /// Embedded messages are read with [`Attachment::embedded`] instead.
    pub fn data(&self) -> Result<Option<Cow<'_, [u8]>>> {
        let Some(rec) = self.pc.record(pid::ATTACH_DATA_BINARY) else {
            return Ok(None);
        };
        match rec.tag.prop_type() {
            pstkit_ltp::PropType::Binary => Ok(Some(self.pc.raw_of(rec)?)),
            pstkit_ltp::PropType::Object if self.method() != AttachMethod::EmbeddedMessage => {
                match self.pc.value_of(rec)? {
                    PropValue::Object { nid, .. } => {
                        Ok(Some(Cow::Owned(self.node.subnode(nid)?.read_all()?)))
                    }
                    _ => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }

    /// The subnode holding a by-value attachment's bytes when they have one
    /// of their own (past what the heap holds, 3,580 bytes): to be read
    /// block by block instead of whole. `None` when the bytes are in the
    /// heap or absent.
    pub fn data_node(&self) -> Result<Option<Node<'a>>> {
        let Some(rec) = self.pc.record(pid::ATTACH_DATA_BINARY) else {
            return Ok(None);
        };
        // An HNID whose low five bits are 0 is a heap id, else a subnode's.
        if rec.tag.prop_type() != pstkit_ltp::PropType::Binary || rec.value & 0x1F == 0 {
            return Ok(None);
        }
        Ok(Some(self.node.subnode(Nid(rec.value))?))
    }

    /// The attached bytes as their blocks are stored, when they are in a
    /// subnode (over 3580 bytes) of a file whose encoding does not depend on
    /// the block id: for copying them to a like file without decoding.
    pub fn stored_data(&self) -> Result<Option<crate::write::StoredStream>> {
        let Some(rec) = self.pc.record(pid::ATTACH_DATA_BINARY) else {
            return Ok(None);
        };
        let ndb = self.node.ndb();
        if rec.tag.prop_type() != pstkit_ltp::PropType::Binary
            || rec.value & 0x1F == 0
            || !matches!(
                ndb.crypt(),
                pstkit_ndb::CryptMethod::None | pstkit_ndb::CryptMethod::Permute
            )
        {
            return Ok(None);
        }
        let node = self.node.subnode(Nid(rec.value))?;
        let mut blocks = Vec::with_capacity(node.block_count());
        for e in node.leaves() {
            let (bytes, crc) = ndb.stored_block_at(e)?;
            blocks.push((bytes.to_vec(), crc, e.inflated));
        }
        Ok(Some(crate::write::StoredStream {
            variant: Some(ndb.format().variant),
            crypt: Some(ndb.crypt()),
            blocks,
        }))
    }

    /// The embedded message, for method 5.
    pub fn embedded(&self) -> Result<Option<Message<'a>>> {
        let Some(rec) = self.pc.record(pid::ATTACH_DATA_BINARY) else {
            return Ok(None);
        };
        if rec.tag.prop_type() != pstkit_ltp::PropType::Object
            || self.method() != AttachMethod::EmbeddedMessage
        {
            return Ok(None);
        }
        let nid = match self.pc.value_of(rec)? {
            PropValue::Object { nid, .. } => nid,
            _ => return Ok(None),
        };
        let node = self.node.subnode(nid)?;
        Ok(Some(Message::read(node, self.codepage)?))
    }
}

/// Whether a recipient-table column is a property of the recipient, not
/// the table's own row id or version.
fn not_row_key(tag: PropTag) -> bool {
    !matches!(tag.id(), pid::LTP_ROW_ID | pid::LTP_ROW_VER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_prefix_marker_is_removed() {
        assert_eq!(normalize_subject("\u{1}\u{5}RE: hi"), "RE: hi");
        assert_eq!(normalize_subject("plain"), "plain");
        assert_eq!(normalize_subject("\u{1}"), "\u{1}");
    }

    #[test]
    fn recipient_address_prefers_smtp() {
        let r = Recipient {
            kind: RecipientKind::To,
            name: None,
            email: Some("/o=Org/cn=x".into()),
            address_type: Some("EX".into()),
            smtp: Some("x@example.com".into()),
        };
        assert_eq!(r.address(), Some("x@example.com"));
        let r = Recipient { smtp: None, ..r };
        assert_eq!(r.address(), None);
        assert_eq!(RecipientKind::from_code(0x1000_0002), RecipientKind::Cc);
    }
}
