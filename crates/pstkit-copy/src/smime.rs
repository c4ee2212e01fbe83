//! S/MIME items both ways ([MS-OXOSMIME]): Outlook keeps a signed or
//! encrypted message as an item of class `….SMIME` or
//! `….SMIME.MultipartSigned` whose one attachment holds the protected MIME
//! entity or CMS object. Export writes that entity under the item's headers
//! byte for byte; import finds it in an Internet message and stores it so.

use mail_builder::headers::content_type::ContentType;
use mail_builder::mime::{BodyPart, MimePart};
use mail_parser::MimeHeaders;
use pstkit_store::{AttachMethod, Message};

use crate::error::Result;

/// The name of the attachment that holds an S/MIME item's entity.
pub(crate) const FILE_NAME: &str = "smime.p7m";

/// An S/MIME item's one attachment, which holds the whole protected
/// entity ([MS-OXOSMIME] 2.1.3): the mail is that entity under the item's
/// headers, byte for byte, or a signature could no longer be verified.
pub(crate) enum Smime {
    /// A clear-signed item: the `multipart/signed` entity with its
    /// Content-Type header.
    Signed(Vec<u8>),
    /// An opaque-signed or encrypted item: the CMS object, and its
    /// `smime-type` when its content type says.
    Opaque {
        kind: Option<&'static str>,
        bytes: Vec<u8>,
    },
}

/// The protected entity of an S/MIME item (message class `….SMIME` or
/// `….SMIME.MultipartSigned` with exactly one attachment that holds it);
/// `None` for other items, and for S/MIME items whose attachment is not
/// what the class says, which are then exported like any other.
pub(crate) fn item_entity(m: &Message<'_>) -> Result<Option<Smime>> {
    let class = m.class().to_ascii_lowercase();
    let signed_class = class.ends_with(".smime.multipartsigned");
    if !signed_class && !class.ends_with(".smime") {
        return Ok(None);
    }
    let mut attachments = m.attachments()?;
    let (Some(a), None) = (attachments.next().transpose()?, attachments.next()) else {
        return Ok(None);
    };
    if a.method() != AttachMethod::ByValue {
        return Ok(None);
    }
    let Some(bytes) = a.data()? else {
        return Ok(None);
    };
    let mime = a.mime_type().unwrap_or_default().to_ascii_lowercase();
    if signed_class || mime == "multipart/signed" {
        return Ok(is_signed_entity(&bytes).then(|| Smime::Signed(bytes.into_owned())));
    }
    let p7m = a
        .filename()
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".p7m"));
    if !(mime.ends_with("/pkcs7-mime") || mime.ends_with("/x-pkcs7-mime") || p7m) {
        return Ok(None);
    }
    Ok(Some(Smime::Opaque {
        kind: cms_kind(&bytes),
        bytes: bytes.into_owned(),
    }))
}

/// Writes an S/MIME item's entity as the mail's body, after its headers.
pub(crate) fn write_entity(entity: Smime, out: &mut Vec<u8>) {
    out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    match entity {
        Smime::Signed(bytes) => out.extend_from_slice(&bytes),
        Smime::Opaque { kind, bytes } => {
            let mut ct = ContentType::new("application/pkcs7-mime");
            if let Some(kind) = kind {
                ct = ct.attribute("smime-type", kind);
            }
            MimePart::new(
                ct.attribute("name", FILE_NAME),
                BodyPart::Binary(bytes.into()),
            )
            .header(
                "Content-Disposition",
                ContentType::new("attachment").attribute("filename", FILE_NAME),
            )
            .write_part(&mut *out);
        }
    }
}

/// Whether `bytes` is a MIME entity whose header section (well-formed
/// fields, ended by an empty line) has a `multipart/signed` Content-Type
/// with a boundary.
fn is_signed_entity(bytes: &[u8]) -> bool {
    let mut signed = false;
    let mut field: Option<String> = None;
    let check = |f: &str| {
        let (name, value) = f.split_once(':').unwrap_or_default();
        let value = value.trim().to_ascii_lowercase();
        name.trim().eq_ignore_ascii_case("content-type")
            && value.starts_with("multipart/signed")
            && value.contains("boundary")
    };
    for line in bytes.split_inclusive(|&b| b == b'\n').take(256) {
        // Only whole lines count: the section must end in an empty line.
        let Some(line) = line.strip_suffix(b"\n") else {
            return false;
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(line) = std::str::from_utf8(line) else {
            return false;
        };
        if line.is_empty() {
            return signed || field.as_deref().is_some_and(check);
        }
        if line.starts_with([' ', '\t']) {
            match field.as_mut() {
                Some(f) => f.push_str(line),
                None => return false,
            }
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return false;
        }
        signed |= field.as_deref().is_some_and(check);
        field = Some(line.to_string());
    }
    false
}

/// The `smime-type` of a CMS object from its outer content type
/// (RFC 5652 ContentInfo: a SEQUENCE starting with the type's OID).
fn cms_kind(der: &[u8]) -> Option<&'static str> {
    // 1.2.840.113549.1.7.{2,3}: signedData, envelopedData.
    const PKCS7: &[u8] = &[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07];
    let (&tag, rest) = der.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (&len, rest) = rest.split_first()?;
    let rest = match len {
        0x80 => rest, // indefinite length
        n if n < 0x80 => rest,
        n => rest.get(usize::from(n & 0x7F)..)?,
    };
    match rest.strip_prefix(PKCS7)?.first()? {
        2 => Some("signed-data"),
        3 => Some("enveloped-data"),
        _ => None,
    }
}

/// What kind of S/MIME message an Internet message is.
pub(crate) enum SmimeKind {
    /// `multipart/signed` (clear-signed).
    Signed,
    /// `application/pkcs7-mime` (opaque-signed or encrypted).
    Opaque,
}

impl SmimeKind {
    /// The message class of an item of this kind.
    pub(crate) fn class(&self) -> &'static str {
        match self {
            SmimeKind::Signed => "IPM.Note.SMIME.MultipartSigned",
            SmimeKind::Opaque => "IPM.Note.SMIME",
        }
    }

    /// The MIME type of the attachment that holds the entity.
    pub(crate) fn mime(&self) -> &'static str {
        match self {
            SmimeKind::Signed => "multipart/signed",
            SmimeKind::Opaque => "application/pkcs7-mime",
        }
    }
}

/// The protected entity of an S/MIME message as [MS-OXOSMIME] stores it:
/// for a clear-signed message its Content-Type field and its body as they
/// stand in `raw` (so that the signature still verifies), for an opaque one
/// the decoded CMS object.
pub(crate) fn mail_entity(
    msg: &mail_parser::Message<'_>,
    raw: &[u8],
) -> Option<(SmimeKind, Vec<u8>)> {
    let root = msg.root_part();
    let ct = root.content_type()?;
    let subtype = ct.subtype()?.to_ascii_lowercase();
    match (ct.ctype().to_ascii_lowercase().as_str(), subtype.as_str()) {
        ("multipart", "signed") => {
            let field = root
                .headers
                .iter()
                .find(|h| h.name.as_str().eq_ignore_ascii_case("content-type"))?;
            let mut data = raw
                .get(field.offset_field as usize..field.offset_end as usize)?
                .to_vec();
            if !data.ends_with(b"\n") {
                data.extend_from_slice(b"\r\n");
            }
            data.extend_from_slice(b"\r\n");
            data.extend_from_slice(raw.get(root.offset_body as usize..root.offset_end as usize)?);
            Some((SmimeKind::Signed, data))
        }
        // [MS-OXOSMIME] 2.1.3.2: also a generic type named `*.p7m`.
        ("application", "pkcs7-mime" | "x-pkcs7-mime" | "octet-stream")
            if subtype != "octet-stream"
                || root
                    .attachment_name()
                    .is_some_and(|n| n.to_ascii_lowercase().ends_with(".p7m")) =>
        {
            Some((SmimeKind::Opaque, root.contents().to_vec()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::eml_to_message;
    use pstkit_ltp::PropValue;
    use pstkit_store::write::AttachContent;

    #[test]
    fn signed_entities() {
        let ok = b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n\tmicalg=sha-256; boundary=\"b\"\r\n\r\n--b\r\n";
        assert!(is_signed_entity(ok));
        // LF line ends, another field first, the type folded.
        assert!(is_signed_entity(
            b"Content-Description: x\nContent-Type: multipart/signed;\n boundary=b\n\nbody"
        ));
        // No boundary, another type, no end of the header section, a
        // continuation line first, a field without a name.
        assert!(!is_signed_entity(b"Content-Type: multipart/signed\r\n\r\n"));
        assert!(!is_signed_entity(
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        ));
        assert!(!is_signed_entity(
            b"Content-Type: multipart/signed; boundary=b\r\n"
        ));
        assert!(!is_signed_entity(
            b" folded\r\nContent-Type: multipart/signed; boundary=b\r\n\r\n"
        ));
        assert!(!is_signed_entity(
            b": x\r\nContent-Type: multipart/signed; boundary=b\r\n\r\n"
        ));
        assert!(!is_signed_entity(b"\x30\x82\x05\x6f\x06\x09"));
    }

    #[test]
    fn cms_content_types() {
        let oid = |last: u8| {
            [
                0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, last,
            ]
        };
        let with = |len: &[u8], last: u8| [&[0x30][..], len, &oid(last)].concat();
        assert_eq!(cms_kind(&with(&[0x82, 0x05, 0x6F], 2)), Some("signed-data"));
        assert_eq!(cms_kind(&with(&[0x80], 3)), Some("enveloped-data"));
        assert_eq!(cms_kind(&with(&[0x40], 3)), Some("enveloped-data"));
        assert_eq!(cms_kind(&with(&[0x40], 1)), None);
        assert_eq!(cms_kind(&[0x31, 0x40]), None);
        assert_eq!(cms_kind(&[0x30, 0x84, 1]), None);
        assert_eq!(cms_kind(&[]), None);
    }

    #[test]
    fn p7m_files_are_opaque_smime() {
        let raw = b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream; name=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CA\r\n";
        let m = eml_to_message(raw).unwrap();
        assert!(m
            .props
            .iter()
            .any(|(t, v)| t.id() == pstkit_ltp::props::MESSAGE_CLASS
                && *v == PropValue::String("IPM.Note.SMIME".into())));
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(
            m.attachments[0].content,
            AttachContent::Data(vec![
                0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03, 0xA0,
                0x80
            ])
        );
        // The same type under another name is an ordinary attachment.
        let other = String::from_utf8_lossy(raw).replace("smime.p7m", "data.bin");
        let m = eml_to_message(other.as_bytes()).unwrap();
        assert!(m
            .props
            .iter()
            .any(|(t, v)| t.id() == pstkit_ltp::props::MESSAGE_CLASS
                && *v == PropValue::String("IPM.Note".into())));
    }
}
