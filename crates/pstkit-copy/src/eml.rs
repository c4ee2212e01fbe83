//! One item as an RFC 5322 message (`.eml`), built with mail-builder.
//!
//! The MIME tree is `multipart/mixed` of the body and the attachments; the
//! body is `multipart/alternative` when there is text and HTML, and the
//! HTML is `multipart/related` with the inline parts (those it refers to by
//! content id or location) when there are any. Attached bytes travel
//! base64-encoded (or 7bit when mail-builder finds them safe), so they come
//! back byte for byte.

use std::borrow::Cow;

use encoding_rs::{Encoding, WINDOWS_1252};
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;
use mail_builder::headers::Header;
use mail_builder::mime::{BodyPart, MimePart};
use pstkit_ltp::{encoding_for_codepage, PropValue};
use pstkit_store::message::normalize_subject;
use pstkit_store::rtfex::{self, Encapsulated};
use pstkit_store::{pid, AttachMethod, Attachment, Message, Recipient, RecipientKind, Store};

use crate::contentline::base64_lines;
use crate::error::{CopyError, Result};
use crate::smime;
use crate::streamed::Streamed;
use crate::time::{rfc5322, unix};

pub use pstkit_store::MAX_EMBED_DEPTH;

/// The item `m` as an RFC 5322 message with MIME parts: headers from its
/// sender, recipients, subject, times and Internet ids; text and HTML
/// bodies (taken out of the RTF body when it encapsulates one that is not
/// stored; a native RTF body as `body.rtf` when there is no HTML and no
/// text but white space); every attachment, embedded messages as
/// `message/rfc822` parts.
///
/// Headers of the transport headers that this function does not write
/// itself (`Received`, `Reply-To`, `X-…`) are kept when they are plain
/// ASCII. No header is invented: without a stored Internet message id there
/// is no `Message-ID`, without any time no `Date`.
///
/// An S/MIME item (signed or encrypted, kept by Outlook as one attachment
/// holding the protected entity) becomes that entity under the headers,
/// byte for byte, so that its signature still verifies.
pub fn message_to_eml(m: &Message<'_>, store: &Store<'_>) -> Result<Vec<u8>> {
    message_to_eml_with(m, store, Vec::new())
}

/// [`message_to_eml`] with `extra` parts, appended to `out` (an exporter
/// keeps one buffer per thread: memory already mapped, instead of fresh
/// pages the kernel zeroes for every message), leaving the attachments
/// `streamed` takes as placeholders that [`Streamed::write`] fills in as
/// the message is written out.
pub(crate) fn message_to_eml_streamed<'a>(
    m: &Message<'a>,
    store: &Store<'_>,
    extra: Vec<ExtraPart>,
    out: &mut Vec<u8>,
    streamed: &mut Streamed<'a>,
) -> Result<()> {
    build(m, store, 0, extra, out, Some(streamed))
}

/// A generated file attached after the item's own attachments (the vCard of
/// a contact in an mbox, say).
pub(crate) struct ExtraPart {
    pub name: &'static str,
    pub mime: &'static str,
    pub text: String,
}

pub(crate) fn message_to_eml_with(
    m: &Message<'_>,
    store: &Store<'_>,
    extra: Vec<ExtraPart>,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(4096);
    build(m, store, 0, extra, &mut out, None)?;
    Ok(out)
}

fn build<'a>(
    m: &Message<'a>,
    store: &Store<'_>,
    depth: usize,
    extra: Vec<ExtraPart>,
    out: &mut Vec<u8>,
    mut streamed: Option<&mut Streamed<'a>>,
) -> Result<()> {
    write_headers(out, m)?;
    if let Some(entity) = smime::item_entity(m)? {
        smime::write_entity(entity, out);
        return Ok(());
    }

    let Bodies {
        text,
        html,
        rtf: native_rtf,
    } = bodies(m)?;
    let mut attached = Vec::new();
    if let Some(rtf) = native_rtf {
        attached.push(binary_part(
            "text/rtf".into(),
            "body.rtf",
            PartBody::Data(rtf),
            PartRef::default(),
            false,
        ));
    }

    let mut inline = Vec::new();
    for (i, a) in m.attachments()?.enumerate() {
        let a = a?;
        let Some((part, is_inline)) = attachment_part(
            &a,
            i,
            store,
            depth,
            html.as_deref(),
            streamed.as_deref_mut(),
        )?
        else {
            continue;
        };
        if is_inline {
            inline.push(part);
        } else {
            attached.push(part);
        }
    }
    for e in extra {
        let ct = ContentType::new(e.mime)
            .attribute("charset", "utf-8")
            .attribute("name", e.name);
        attached.push(MimePart::new(ct, BodyPart::Text(e.text.into())).header(
            "Content-Disposition",
            ContentType::new("attachment").attribute("filename", e.name),
        ));
    }

    // Inline parts sit beside the HTML they belong to (RFC 2557's
    // multipart/related, inside the alternative, as Outlook sends it);
    // without HTML nothing shows them, so they are attached.
    let html_part = html.map(|h| {
        let h = text_body("text/html", h);
        if inline.is_empty() {
            h
        } else {
            let mut parts = vec![h];
            parts.append(&mut inline);
            MimePart::new("multipart/related", parts)
        }
    });
    if !inline.is_empty() {
        inline.append(&mut attached);
        attached = inline;
    }
    let text_part = text.map(|t| text_body("text/plain", t));
    let body = match (text_part, html_part) {
        (Some(t), Some(h)) => Some(MimePart::new("multipart/alternative", vec![t, h])),
        (t, h) => t.or(h),
    };
    let root = if attached.is_empty() {
        body.unwrap_or_else(|| MimePart::new("text/plain", BodyPart::Text("".into())))
    } else {
        let mut parts: Vec<MimePart<'static>> = body.into_iter().collect();
        parts.append(&mut attached);
        MimePart::new("multipart/mixed", parts)
    };
    out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    root.write_part(out);
    Ok(())
}

/// An item's bodies as the exports show them: the plain text and the HTML
/// (each from its own property, else from the RTF body that encapsulates
/// it), and the RTF itself when it is native and the only body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bodies {
    /// The plain-text body, without NULs; `None` when absent or empty.
    pub text: Option<String>,
    /// The HTML body decoded to text (see its code page rules in the
    /// module); `None` when absent or empty.
    pub html: Option<String>,
    /// Native RTF (decompressed), when it is the item's only body.
    pub rtf: Option<Vec<u8>>,
}

/// Reads `m`'s bodies. A body that is there but does not read is an error
/// rather than a message shown without its text; damaged RTF is one only
/// when it is the only body.
pub fn bodies(m: &Message<'_>) -> Result<Bodies> {
    let mut text = m
        .try_string(pid::BODY)?
        .map(without_nul)
        .filter(|s| !s.is_empty());
    // Outlook keeps a blank plain body beside an RTF one that holds the
    // real text; the RTF is then the only copy of it.
    let text_is_blank = text.as_deref().is_none_or(|t| t.trim().is_empty());
    let mut html = m
        .try_body_html()?
        .map(|b| decode_html(&b, m))
        .filter(|s| !s.is_empty());
    // HTML and plain-text mail is often stored only as RTF that
    // encapsulates the original; that original is the body to export.
    // Native RTF with no other body is attached as it is.
    let mut native_rtf = None;
    if html.is_none() || text_is_blank {
        let only_body = html.is_none() && text_is_blank;
        match m.body_rtf() {
            Some(Ok(rtf)) => match rtfex::deencapsulate(&rtf) {
                Some(Encapsulated::Html(h)) if html.is_none() && !h.trim().is_empty() => {
                    html = Some(h)
                }
                Some(Encapsulated::Text(t)) if text_is_blank && !t.trim().is_empty() => {
                    text = Some(without_nul(t))
                }
                Some(_) => {}
                None if only_body => native_rtf = Some(rtf),
                None => {}
            },
            // Damaged RTF fails the item only when it is its only body.
            Some(Err(e)) if only_body => return Err(e.into()),
            Some(Err(_)) | None => {}
        }
    }
    Ok(Bodies {
        text,
        html,
        rtf: native_rtf,
    })
}

/// The longest line RFC 5322 allows, without its CRLF.
const MAX_LINE: usize = 998;

/// A body part of UTF-8 `text`. Text whose lines fit in a mail line is
/// written as it is (`7bit` or `8bit`, RFC 2045): it stays readable and
/// searchable in the file, HTML keeps its `=` signs, and non-Latin text is
/// a quarter smaller than in base64. Only line ends are made CRLF. Text
/// with longer lines or NULs is left to mail-builder's choice of
/// quoted-printable or base64.
fn text_body(mime: &'static str, text: String) -> MimePart<'static> {
    let encoding = if text.is_ascii() { "7bit" } else { "8bit" };
    match crlf_lines(text) {
        Ok(text) => MimePart::new(mime, BodyPart::Text(text.into())).transfer_encoding(encoding),
        Err(text) => MimePart::new(mime, BodyPart::Text(text.into())),
    }
}

/// `text` with every line end as CRLF, or `text` itself back as the error
/// when it cannot be 8bit: a line over [`MAX_LINE`] octets, or a NUL.
fn crlf_lines(text: String) -> std::result::Result<String, String> {
    let b = text.as_bytes();
    if memchr::memchr(0, b).is_some() {
        return Err(text);
    }
    let mut line_start = 0;
    let mut bare = false;
    for at in memchr::memchr2_iter(b'\r', b'\n', b) {
        if at < line_start {
            continue; // the LF of a CRLF already passed
        }
        if at - line_start > MAX_LINE {
            return Err(text);
        }
        if b[at] == b'\r' && b.get(at + 1) == Some(&b'\n') {
            line_start = at + 2;
        } else {
            bare = true;
            line_start = at + 1;
        }
    }
    if b.len() - line_start > MAX_LINE {
        return Err(text);
    }
    if !bare {
        return Ok(text);
    }
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    let mut rest = text.as_str();
    while let Some(at) = rest.find(['\r', '\n']) {
        out.push_str(&rest[..at]);
        out.push_str("\r\n");
        let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[at + skip..];
    }
    out.push_str(rest);
    Ok(out)
}

fn header(out: &mut Vec<u8>, name: &str, value: &impl Header) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    value.write_header(out, name.len() + 2);
}

fn write_headers(out: &mut Vec<u8>, m: &Message<'_>) -> Result<()> {
    if let Some(raw) = m.transport_headers() {
        for field in passthrough_headers(&raw) {
            out.extend_from_slice(field.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    if let Some(from) = mailbox(m.sender_name(), m.sender_email()) {
        header(out, "From", &from);
    }
    let recipients = m.recipients()?;
    for kind in [RecipientKind::To, RecipientKind::Cc, RecipientKind::Bcc] {
        let list: Vec<Address<'static>> = recipients
            .iter()
            .filter(|r| r.kind == kind)
            .filter_map(recipient_address)
            .collect();
        if !list.is_empty() {
            header(out, kind.name(), &Address::new_list(list));
        }
    }
    let subject = m.try_string(pid::SUBJECT)?.map(|s| normalize_subject(&s));
    if let Some(s) = subject.filter(|s| !s.is_empty()) {
        header(out, "Subject", &Text::new(s));
    }
    let time = m.date().or_else(|| {
        m.properties()
            .get_time(pid::LAST_MODIFICATION_TIME)
            .and_then(|r| r.ok())
    });
    if let Some(t) = time {
        header(out, "Date", &Raw::new(rfc5322(unix(t))));
    }
    if let Some(id) = m
        .string(pid::INTERNET_MESSAGE_ID)
        .and_then(|s| message_ids(&s).into_iter().next())
    {
        header(out, "Message-ID", &MessageId::new(id));
    }
    for (name, id) in [
        ("In-Reply-To", pid::IN_REPLY_TO_ID),
        ("References", pid::INTERNET_REFERENCES),
    ] {
        let ids = m.string(id).map(|s| message_ids(&s)).unwrap_or_default();
        if !ids.is_empty() {
            header(out, name, &MessageId::from(ids));
        }
    }
    Ok(())
}

/// Whether `s` can stand as an addr-spec between `<` and `>`.
fn is_address(s: &str) -> bool {
    s.contains('@')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ','))
}

/// A mailbox from a display name and an address. Without a usable Internet
/// address (an Exchange sender known only by its DN) the name alone is
/// written as an empty group, `"Name":;`, which RFC 5322 (and RFC 6854 for
/// `From`) allows and parsers read back as that name, with no made-up
/// address.
fn mailbox(name: Option<String>, email: Option<String>) -> Option<Address<'static>> {
    let name = name.map(clean_phrase).filter(|n| !n.is_empty());
    match email.filter(|e| is_address(e.trim())) {
        Some(e) => Some(Address::new_address(name, e.trim().to_string())),
        None => name.map(|n| Address::new_group(Some(n), Vec::new())),
    }
}

fn recipient_address(r: &Recipient) -> Option<Address<'static>> {
    let name = r.name.clone().or_else(|| r.email.clone());
    mailbox(name, r.address().map(str::to_string))
}

/// A display name without line breaks or other controls.
fn clean_phrase(s: String) -> String {
    if !s.chars().any(char::is_control) && s.trim().len() == s.len() {
        return s; // the usual name, kept without a copy
    }
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// The ids of a Message-ID, In-Reply-To or References value, without their
/// angle brackets; ids holding white space or controls are dropped.
fn message_ids(s: &str) -> Vec<String> {
    let raw: Vec<&str> = if s.contains('<') {
        s.split('<')
            .skip(1)
            .map(|p| p.split('>').next().unwrap_or(""))
            .collect()
    } else {
        s.split_whitespace().collect()
    };
    raw.into_iter()
        .map(str::trim)
        .filter(|id| {
            !id.is_empty()
                && id.is_ascii()
                && !id
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '>')
        })
        .map(str::to_string)
        .collect()
}

/// Header fields of the transport headers that are kept: well-formed,
/// ASCII, and not among those this module writes.
fn passthrough_headers(raw: &str) -> Vec<String> {
    const OWN: &[&str] = &[
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "mime-version",
    ];
    let mut fields: Vec<Vec<&str>> = Vec::new();
    for line in raw.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if fields.is_empty() {
                continue;
            }
            break; // the end of the header section
        }
        if line.starts_with([' ', '\t']) {
            if let Some(f) = fields.last_mut() {
                f.push(line);
            }
            continue;
        }
        fields.push(vec![line]);
    }
    fields
        .into_iter()
        .filter(|lines| {
            let Some((name, _)) = lines[0].split_once(':') else {
                return false;
            };
            let lname = name.to_ascii_lowercase();
            !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_graphic())
                && !OWN.contains(&lname.as_str())
                && !lname.starts_with("content-")
                && lines.iter().all(|l| {
                    l.len() <= 998 && l.bytes().all(|b| b == b'\t' || (0x20..0x7F).contains(&b))
                })
        })
        .map(|lines| lines.join("\r\n"))
        .collect()
}

/// The HTML body as text: by its byte-order mark, else in
/// PidTagInternetCodepage (the code page [MS-OXCMAIL] gives the HTML body),
/// else as UTF-8 when it is valid, else in the message's code page.
fn decode_html(bytes: &[u8], m: &Message<'_>) -> String {
    let internet = match m.properties().get(pid::INTERNET_CODEPAGE) {
        Some(Ok(PropValue::Int32(cp))) if cp > 0 => Some(cp as u32),
        _ => None,
    };
    decode_html_bytes(bytes, internet, m.codepage())
}

pub(crate) fn decode_html_bytes(bytes: &[u8], internet: Option<u32>, fallback: u32) -> String {
    let s: Cow<'_, str> = if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        enc.decode_without_bom_handling(&bytes[bom..]).0
    } else if let Some(enc) = internet.and_then(encoding_for_codepage) {
        enc.decode_without_bom_handling(bytes).0
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        Cow::Borrowed(s)
    } else {
        encoding_for_codepage(fallback)
            .unwrap_or(WINDOWS_1252)
            .decode_without_bom_handling(bytes)
            .0
    };
    without_nul(s.into_owned())
}

/// `s` without NULs (Outlook pads some bodies with them), copied only when
/// it has any: bodies are most of an export's bytes.
fn without_nul(s: String) -> String {
    // memchr's SIMD search: `str::contains` scans a body a word at a time.
    if memchr::memchr(0, s.as_bytes()).is_some() {
        s.replace('\0', "")
    } else {
        s
    }
}

/// A MIME type as stored, when it looks like one.
fn valid_mime(s: &str) -> Option<String> {
    let s = s.trim();
    let (t, sub) = s.split_once('/')?;
    let token = |x: &str| {
        !x.is_empty()
            && x.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    (token(t) && token(sub)).then(|| s.to_ascii_lowercase())
}

/// Where a part sits for the HTML body: its `Content-ID` and its
/// `Content-Location` (RFC 2557), either of which HTML can refer to.
#[derive(Default)]
struct PartRef {
    cid: Option<String>,
    location: Option<String>,
}

/// What a leaf part holds.
enum PartBody {
    /// The bytes themselves.
    Data(Vec<u8>),
    /// What stands for them in base64: the placeholder of a streamed
    /// attachment.
    Base64(Vec<u8>),
}

/// A leaf part holding `body` byte for byte. Text types are base64-encoded
/// here, since mail-builder would otherwise turn their bare LFs into CRLF.
/// `inline` parts are the ones the HTML body shows.
fn binary_part(
    mime: String,
    name: &str,
    body: PartBody,
    at: PartRef,
    inline: bool,
) -> MimePart<'static> {
    let ct = ContentType::new(mime.clone()).attribute("name", name.to_string());
    let base64 = |lines: Vec<u8>| {
        MimePart::new(ct.clone(), BodyPart::Binary(lines.into())).transfer_encoding("base64")
    };
    let mut part = match body {
        PartBody::Base64(lines) => base64(lines),
        PartBody::Data(data) if mime.starts_with("text/") => base64(base64_lines(&data)),
        PartBody::Data(data) => MimePart::new(ct.clone(), BodyPart::Binary(data.into())),
    };
    let disposition = if inline { "inline" } else { "attachment" };
    part = part.header(
        "Content-Disposition",
        ContentType::new(disposition).attribute("filename", name.to_string()),
    );
    if let Some(cid) = at.cid {
        part = part.cid(cid);
    }
    if let Some(location) = at.location {
        part = part.location(location);
    }
    part
}

/// A stored content location fit for a `Content-Location` header: a URI
/// (RFC 3986 characters only, so no folding or encoding is needed) short
/// enough for one header line.
fn header_location(s: &str) -> Option<String> {
    let s = s.trim();
    let uri_char = |b: u8| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b);
    (!s.is_empty() && s.len() <= 900 && s.bytes().all(uri_char)).then(|| s.to_string())
}

/// Whether `html` refers to the part at `location`: by the whole URL, or by
/// its last path segment, which is how a page written with a `<base>` (as
/// Outlook's MHTML bodies are) names it. The name must stand alone as an
/// attribute value or `url()`, or end a path, not be part of a longer
/// name.
fn html_refers_to(html: &str, location: &str) -> bool {
    let name = location.rsplit('/').next().unwrap_or(location);
    let stands_alone = |needle: &str| {
        html.match_indices(needle).any(|(at, _)| {
            let before = html[..at].bytes().next_back();
            let after = html[at + needle.len()..].bytes().next();
            matches!(before, Some(b'"' | b'\'' | b'=' | b'/' | b'('))
                && matches!(
                    after,
                    None | Some(b'"' | b'\'' | b'>' | b')' | b' ' | b'\t' | b'\r' | b'\n')
                )
        })
    };
    !name.is_empty() && (stands_alone(location) || stands_alone(name))
}

/// The name an attachment is written under: its file name without control
/// characters, else `attachment-N` with its stored extension.
pub fn attachment_name(a: &Attachment<'_>, index: usize) -> String {
    let name = a
        .filename()
        .map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    name.unwrap_or_else(|| {
        let ext = a
            .properties()
            .get_string(pid::ATTACH_EXTENSION, 1252)
            .and_then(|r| r.ok())
            .filter(|e| e.starts_with('.') && e.len() <= 16 && e.is_ascii())
            .unwrap_or_default();
        format!("attachment-{}{ext}", index + 1)
    })
}

/// The name an embedded message is written under: the attachment's file
/// name, else the message's subject, else `message-N`; ending in `.eml`.
pub(crate) fn embedded_name(a: &Attachment<'_>, inner: &Message<'_>, index: usize) -> String {
    let mut fname = a
        .filename()
        .or_else(|| inner.subject())
        .map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("message-{}", index + 1));
    if !fname.to_ascii_lowercase().ends_with(".eml") {
        fname.push_str(".eml");
    }
    fname
}

/// The attachment's MIME type: PidTagAttachMimeTag, else a guess from the
/// file name's extension, else `application/octet-stream`.
pub fn attachment_mime(a: &Attachment<'_>, name: &str) -> String {
    a.mime_type()
        .and_then(|m| valid_mime(&m))
        .or_else(|| mime_guess::from_path(name).first_raw().map(str::to_string))
        .unwrap_or_else(|| "application/octet-stream".to_string())
}

/// The bytes of an OLE attachment: the storage held in the object's subnode.
pub(crate) fn ole_bytes(a: &Attachment<'_>) -> Result<Option<Vec<u8>>> {
    let pc = a.properties();
    let Some(rec) = pc.record(pid::ATTACH_DATA_BINARY) else {
        return Ok(None);
    };
    match pc.value_of(rec)? {
        PropValue::Object { nid, .. } => Ok(Some(pc.heap().subnode(nid)?.read_all()?)),
        PropValue::Binary(b) => Ok(Some(b)),
        _ => Ok(None),
    }
}

/// What an attachment holds, as the exports take it.
#[derive(Debug)]
pub enum AttachmentContent<'a> {
    /// An embedded message (boxed: it is ten times the size of the rest).
    Message(Box<Message<'a>>),
    /// Bytes: a by-value attachment's value, an OLE attachment's storage,
    /// an embedded message's object when it is not a message.
    Bytes(Vec<u8>),
    /// Nothing here: a reference to a file elsewhere, or no data at all.
    Elsewhere,
}

/// Reads what `a` holds, one rule for every export. An embedded message
/// without its object is an error; a by-value attachment without a value
/// holds no bytes.
pub fn attachment_content<'a>(a: &Attachment<'a>) -> Result<AttachmentContent<'a>> {
    Ok(match a.method() {
        AttachMethod::EmbeddedMessage => {
            if let Some(inner) = a.embedded()? {
                return Ok(AttachmentContent::Message(Box::new(inner)));
            }
            match a.data()? {
                Some(d) => AttachmentContent::Bytes(d.into_owned()),
                None => {
                    return Err(CopyError::Attachment {
                        nid: a.nid(),
                        what: "embedded message without its object".into(),
                    })
                }
            }
        }
        AttachMethod::Ole => match ole_bytes(a)? {
            Some(d) => AttachmentContent::Bytes(d),
            None => AttachmentContent::Elsewhere,
        },
        AttachMethod::ByReference
        | AttachMethod::ByReferenceOnly
        | AttachMethod::ByWebReference => AttachmentContent::Elsewhere,
        AttachMethod::None => match a.data()? {
            Some(d) => AttachmentContent::Bytes(d.into_owned()),
            None => AttachmentContent::Elsewhere,
        },
        AttachMethod::ByValue | AttachMethod::Other(_) => {
            AttachmentContent::Bytes(a.data()?.map(Cow::into_owned).unwrap_or_default())
        }
    })
}

/// The part for one attachment and whether it is inline; `None` for
/// attachments that hold no data here (references to files elsewhere).
fn attachment_part<'a>(
    a: &Attachment<'a>,
    index: usize,
    store: &Store<'_>,
    depth: usize,
    html: Option<&str>,
    mut streamed: Option<&mut Streamed<'a>>,
) -> Result<Option<(MimePart<'static>, bool)>> {
    let name = attachment_name(a, index);
    let at = PartRef {
        cid: a
            .content_id()
            .and_then(|c| message_ids(&c).into_iter().next()),
        location: a.content_location().and_then(|l| header_location(&l)),
    };
    // A large attachment of bytes is left to be streamed.
    let data_method = matches!(
        a.method(),
        AttachMethod::ByValue | AttachMethod::None | AttachMethod::Other(_)
    );
    let deferred = match streamed.as_deref_mut() {
        Some(s) if data_method => {
            crate::streamed::large_data(a, s.from())?.map(|node| PartBody::Base64(s.defer(node)))
        }
        _ => None,
    };
    let data = match deferred {
        Some(body) => body,
        None => match attachment_content(a)? {
            AttachmentContent::Message(inner) => {
                if depth + 1 > MAX_EMBED_DEPTH {
                    return Err(CopyError::TooDeep(MAX_EMBED_DEPTH));
                }
                let mut bytes = Vec::with_capacity(4096);
                build(&inner, store, depth + 1, Vec::new(), &mut bytes, streamed)?;
                let fname = embedded_name(a, &inner, index);
                // RFC 2046 allows only 7bit, 8bit or binary here; what the
                // builder writes is 7bit.
                let part = MimePart::new("message/rfc822", BodyPart::Binary(bytes.into()))
                    .transfer_encoding("7bit")
                    .header(
                        "Content-Disposition",
                        ContentType::new("attachment").attribute("filename", fname),
                    );
                return Ok(Some((part, false)));
            }
            AttachmentContent::Bytes(data) => PartBody::Data(data),
            AttachmentContent::Elsewhere => return Ok(None),
        },
    };
    let mime = attachment_mime(a, &name);
    // Parts the HTML refers to by location (Outlook's MHTML bodies, whose
    // images have no content id) are as inline as those it refers to by id.
    let by_location = at
        .location
        .as_deref()
        .zip(html)
        .is_some_and(|(l, h)| html_refers_to(h, l));
    let is_inline = at.cid.is_some() || by_location;
    Ok(Some((
        binary_part(mime, &name, data, at, is_inline),
        is_inline,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_id_lists() {
        assert_eq!(message_ids("<a@b>"), vec!["a@b"]);
        assert_eq!(message_ids(" <a@b>\r\n <c@d> "), vec!["a@b", "c@d"]);
        assert_eq!(message_ids("a@b c@d"), vec!["a@b", "c@d"]);
        assert_eq!(message_ids("<bad id@x> <ok@x>"), vec!["ok@x"]);
        assert!(message_ids("").is_empty());
    }

    #[test]
    fn mailboxes() {
        let write = |a: Address<'_>| {
            let mut v = Vec::new();
            header(&mut v, "From", &a);
            String::from_utf8(v).unwrap()
        };
        let a = mailbox(Some("Jane Doe".into()), Some("jane@example.com".into())).unwrap();
        assert_eq!(write(a), "From: \"Jane Doe\" <jane@example.com>\r\n");
        // An Exchange DN is not an address: the name stands alone.
        let a = mailbox(
            Some("Jane Doe".into()),
            Some("/O=ORG/OU=EXCHANGE/CN=RECIPIENTS/CN=JANE".into()),
        )
        .unwrap();
        assert_eq!(write(a), "From: \"Jane Doe\":;\r\n");
        assert!(mailbox(None, None).is_none());
        assert!(mailbox(Some(" ".into()), Some("not an address".into())).is_none());
    }

    #[test]
    fn transport_headers_pass_through_but_not_ours() {
        let raw = "Received: from a\r\n\tby b; Mon, 1 Jan 2001\r\nFrom: x@y\r\n\
                   Content-Type: text/plain\r\nX-Mailer: Outlook\r\nX-Bad: caf\u{e9}\r\n\
                   not a header\r\nSubject: s\r\n\r\nbody: no\r\n";
        assert_eq!(
            passthrough_headers(raw),
            vec![
                "Received: from a\r\n\tby b; Mon, 1 Jan 2001".to_string(),
                "X-Mailer: Outlook".to_string()
            ]
        );
    }

    #[test]
    fn html_charsets() {
        // Windows-1252 bytes named by the Internet code page.
        assert_eq!(decode_html_bytes(b"caf\xe9", Some(1252), 1252), "café");
        // UTF-8 without a code page.
        assert_eq!(decode_html_bytes("café".as_bytes(), None, 1252), "café");
        // Not UTF-8, no code page: the message's code page.
        assert_eq!(decode_html_bytes(b"\x82\xa0", None, 932), "あ");
        // A BOM wins.
        assert_eq!(
            decode_html_bytes(b"\xff\xfeh\x00i\x00", Some(1252), 1252),
            "hi"
        );
        assert_eq!(decode_html_bytes(b"<p>x</p>\0", None, 1252), "<p>x</p>");
    }

    #[test]
    fn mime_types() {
        assert_eq!(valid_mime(" Image/PNG "), Some("image/png".into()));
        assert_eq!(
            valid_mime("application/vnd.ms-excel"),
            Some("application/vnd.ms-excel".into())
        );
        assert_eq!(valid_mime("image"), None);
        assert_eq!(valid_mime("text/plain; charset=x"), None);
    }

    #[test]
    fn html_references_by_location() {
        let loc = "http://outlook/outlook9/specs/welcomemsg/icons.gif";
        // Relative to the page's <base>, by the whole URL, in CSS.
        assert!(html_refers_to(r#"<img src="icons.gif">"#, loc));
        assert!(html_refers_to("<img src=icons.gif>", loc));
        assert!(html_refers_to(&format!("<img src='{loc}'>"), loc));
        assert!(html_refers_to(
            "<td style=\"background: url(icons.gif)\">",
            loc
        ));
        assert!(html_refers_to(r#"<img src="img/icons.gif">"#, loc));
        // A longer name that ends alike, or text that only mentions it.
        assert!(!html_refers_to(r#"<img src="myicons.gif">"#, loc));
        assert!(!html_refers_to(r#"<img src="icons.gif2">"#, loc));
        assert!(!html_refers_to("see icons.gif for the icons", loc));
        assert!(!html_refers_to("<p>anything</p>", "http://host/dir/"));
    }

    #[test]
    fn header_locations() {
        assert_eq!(
            header_location(" http://a/b%20c.gif "),
            Some("http://a/b%20c.gif".into())
        );
        assert_eq!(header_location("image001.jpg"), Some("image001.jpg".into()));
        assert_eq!(header_location("a b.gif"), None);
        assert_eq!(header_location("café.gif"), None);
        assert_eq!(header_location("x\r\nBcc: y"), None);
        assert_eq!(header_location(&"a".repeat(901)), None);
    }

    #[test]
    fn eight_bit_text() {
        assert_eq!(crlf_lines("a\r\nb\r\n".into()), Ok("a\r\nb\r\n".into()));
        assert_eq!(
            crlf_lines("é\nb\r\rc\r\n\nd".into()),
            Ok("é\r\nb\r\n\r\nc\r\n\r\nd".into())
        );
        let long = "é".repeat(499); // 998 octets
        assert!(crlf_lines(format!("{long}\r\n{long}")).is_ok());
        assert!(crlf_lines(format!("{long}x\r\nb")).is_err());
        assert!(crlf_lines(format!("a\n{long}x")).is_err());
        assert!(crlf_lines("a\0b".into()).is_err());

        let write = |p: MimePart<'static>| {
            let mut out = Vec::new();
            p.write_part(&mut out);
            String::from_utf8(out).unwrap()
        };
        let t = write(text_body("text/plain", "Grüße\nzweite Zeile".into()));
        assert!(
            t.contains("Content-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\nzweite Zeile"),
            "{t}"
        );
        let t = write(text_body("text/plain", format!("{long}x")));
        assert!(!t.contains("8bit"), "{t}");
        let t = write(text_body(
            "text/html",
            format!("<a href=\"x\">{}</a>", "y".repeat(80)),
        ));
        assert!(t.contains("7bit\r\n\r\n<a href=\"x\">yyy"), "{t}");
    }

    #[test]
    fn text_attachments_keep_their_bytes() {
        let data = b"line one\nline two\r\nno end".to_vec();
        let mut out = Vec::new();
        binary_part(
            "text/plain".into(),
            "a.txt",
            PartBody::Data(data.clone()),
            PartRef::default(),
            false,
        )
        .write_part(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Content-Transfer-Encoding: base64"), "{text}");
        assert!(text.contains(&crate::contentline::base64(&data)), "{text}");
    }
}
