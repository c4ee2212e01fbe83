//! Contacts as vCard 3.0 (RFC 2426), UTF-8.

use pstkit_ltp::PropId;
use pstkit_store::lids::{self, KnownLid};
use pstkit_store::{pid, Message, Store};

use crate::contentline::{base64, escape_text, Lines};

/// The three e-mail addresses and their address types.
const EMAILS: [(KnownLid, KnownLid); 3] = [
    (lids::EMAIL1_EMAIL_ADDRESS, lids::EMAIL1_ADDRESS_TYPE),
    (lids::EMAIL2_EMAIL_ADDRESS, lids::EMAIL2_ADDRESS_TYPE),
    (lids::EMAIL3_EMAIL_ADDRESS, lids::EMAIL3_ADDRESS_TYPE),
];

/// The contact `m` as one vCard 3.0 object (CRLF lines, folded at 75
/// octets). FN is the display name, else the file-under name, else the
/// subject, else given and family names; e-mail addresses of type EX
/// (Exchange DNs) are left out, being no Internet addresses.
pub fn contact_to_vcard(m: &Message<'_>, store: &Store<'_>) -> Vec<u8> {
    let s = |id: PropId| m.string(id).filter(|v| !v.trim().is_empty());
    let named = |lid: KnownLid| {
        store
            .names()
            .find(&lid.named())
            .and_then(|id| m.string(id))
            .filter(|v| !v.trim().is_empty())
    };
    let given = s(pid::GIVEN_NAME);
    let surname = s(pid::SURNAME);
    let fn_name = s(pid::DISPLAY_NAME)
        .or_else(|| named(lids::FILE_UNDER))
        .or_else(|| m.subject().filter(|v| !v.trim().is_empty()))
        .or_else(|| {
            let joined = [given.as_deref(), surname.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            (!joined.is_empty()).then_some(joined)
        })
        .unwrap_or_default();

    let mut l = Lines::default();
    l.raw("BEGIN", "VCARD");
    l.raw("VERSION", "3.0");
    l.raw("FN", &escape_text(&fn_name));
    l.raw(
        "N",
        &structured(&[
            surname,
            given,
            s(pid::MIDDLE_NAME),
            s(pid::DISPLAY_NAME_PREFIX),
            s(pid::GENERATION),
        ]),
    );
    l.text("NICKNAME", s(pid::NICKNAME).as_deref());
    if let Some(org) = optional_structured(&[s(pid::COMPANY_NAME), s(pid::DEPARTMENT_NAME)]) {
        l.raw("ORG", &org);
    }
    l.text("TITLE", s(pid::TITLE).as_deref());
    for (id, types) in [
        (pid::BUSINESS_TELEPHONE_NUMBER, "WORK,VOICE"),
        (pid::BUSINESS2_TELEPHONE_NUMBER, "WORK,VOICE"),
        (pid::HOME_TELEPHONE_NUMBER, "HOME,VOICE"),
        (pid::HOME2_TELEPHONE_NUMBER, "HOME,VOICE"),
        (pid::MOBILE_TELEPHONE_NUMBER, "CELL,VOICE"),
        (pid::BUSINESS_FAX_NUMBER, "WORK,FAX"),
        (pid::HOME_FAX_NUMBER, "HOME,FAX"),
        (pid::PAGER_TELEPHONE_NUMBER, "PAGER"),
    ] {
        l.text(&format!("TEL;TYPE={types}"), s(id).as_deref());
    }
    for (addr, kind) in EMAILS {
        let is_ex = named(kind).is_some_and(|k| k.eq_ignore_ascii_case("EX"));
        if !is_ex {
            l.text("EMAIL;TYPE=INTERNET", named(addr).as_deref());
        }
    }
    for (types, ids) in [
        (
            "WORK",
            [
                pid::STREET_ADDRESS,
                pid::LOCALITY,
                pid::STATE_OR_PROVINCE,
                pid::POSTAL_CODE,
                pid::COUNTRY,
            ],
        ),
        (
            "HOME",
            [
                pid::HOME_ADDRESS_STREET,
                pid::HOME_ADDRESS_CITY,
                pid::HOME_ADDRESS_STATE_OR_PROVINCE,
                pid::HOME_ADDRESS_POSTAL_CODE,
                pid::HOME_ADDRESS_COUNTRY,
            ],
        ),
    ] {
        // ADR: post office box; extended address; street; locality; region;
        // postal code; country.
        let mut parts = vec![None, None];
        parts.extend(ids.map(s));
        if let Some(adr) = optional_structured(&parts) {
            l.raw(&format!("ADR;TYPE={types}"), &adr);
        }
    }
    l.text("URL", s(pid::BUSINESS_HOME_PAGE).as_deref());
    l.text("URL", s(pid::PERSONAL_HOME_PAGE).as_deref());
    l.text("NOTE", m.body().as_deref());
    if let Some((kind, data)) = contact_photo(m) {
        l.raw(&format!("PHOTO;ENCODING=b;TYPE={kind}"), &base64(&data));
    }
    l.raw("END", "VCARD");
    l.finish().into_bytes()
}

/// Whether the contact has attachments besides its picture: files a vCard
/// has no place for (an attachment that does not read counts, so that it
/// is reported where the files are written rather than dropped here).
pub(crate) fn has_files_beside_photo(m: &Message<'_>) -> bool {
    let Ok(atts) = m.attachments() else {
        return true;
    };
    atts.into_iter().any(|a| match a {
        Err(_) => true,
        Ok(a) => !a
            .properties()
            .get_bool(pid::ATTACHMENT_CONTACT_PHOTO)
            .and_then(|r| r.ok())
            .unwrap_or(false),
    })
}

/// The contact's picture: the attachment Outlook marks with
/// PidTagAttachmentContactPhoto (`ContactPicture.jpg`), with its vCard
/// image type from its MIME type or file name (JPEG when neither says).
/// A picture that does not read is left out, as a damaged field is.
fn contact_photo(m: &Message<'_>) -> Option<(&'static str, Vec<u8>)> {
    for a in m.attachments().ok()?.flatten() {
        let marked = a
            .properties()
            .get_bool(pid::ATTACHMENT_CONTACT_PHOTO)
            .and_then(|r| r.ok())
            .unwrap_or(false);
        if !marked {
            continue;
        }
        let Some(data) = a.data().ok().flatten() else {
            continue;
        };
        let hint = a
            .mime_type()
            .or_else(|| a.filename())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let kind = [("png", "PNG"), ("gif", "GIF"), ("bmp", "BMP")]
            .into_iter()
            .find(|(k, _)| hint.ends_with(k))
            .map_or("JPEG", |(_, t)| t);
        return Some((kind, data.into_owned()));
    }
    None
}

/// A structured value: components escaped, joined by `;`.
fn structured(parts: &[Option<String>]) -> String {
    parts
        .iter()
        .map(|p| p.as_deref().map(escape_text).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(";")
}

fn optional_structured(parts: &[Option<String>]) -> Option<String> {
    parts.iter().any(Option::is_some).then(|| structured(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_values_escape_their_components() {
        assert_eq!(
            structured(&[Some("O'Neil; Jr".into()), Some("Ann, B".into()), None]),
            "O'Neil\\; Jr;Ann\\, B;"
        );
        assert_eq!(optional_structured(&[None, None]), None);
    }
}
