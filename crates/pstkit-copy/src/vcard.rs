//! Contacts as vCard 3.0 (RFC 2426), UTF-8.

use pstkit_ltp::PropId;
use pstkit_store::{pid, Guid, Message, Store};

use crate::contentline::{escape_text, Lines};

/// PSETID_Address LIDs of the three e-mail addresses and their types.
const EMAILS: [(u32, u32); 3] = [(0x8083, 0x8082), (0x8093, 0x8092), (0x80A3, 0x80A2)];
/// PidLidFileUnder: the name the contact is filed under.
const FILE_UNDER: u32 = 0x8005;

// Contact properties without a constant in the store layer ([MS-OXOCNTC]).
const GENERATION: PropId = PropId(0x3A05);
const DEPARTMENT: PropId = PropId(0x3A18);
const BUSINESS2_PHONE: PropId = PropId(0x3A1B);
const PAGER: PropId = PropId(0x3A21);
const BUSINESS_FAX: PropId = PropId(0x3A24);
const HOME_FAX: PropId = PropId(0x3A25);
const COUNTRY: PropId = PropId(0x3A26);
const LOCALITY: PropId = PropId(0x3A27);
const STATE: PropId = PropId(0x3A28);
const STREET: PropId = PropId(0x3A29);
const POSTAL_CODE: PropId = PropId(0x3A2A);
const HOME2_PHONE: PropId = PropId(0x3A2F);
const MIDDLE_NAME: PropId = PropId(0x3A44);
const DISPLAY_NAME_PREFIX: PropId = PropId(0x3A45);
const NICKNAME: PropId = PropId(0x3A4F);
const PERSONAL_HOME_PAGE: PropId = PropId(0x3A50);
const BUSINESS_HOME_PAGE: PropId = PropId(0x3A51);
const HOME_CITY: PropId = PropId(0x3A59);
const HOME_COUNTRY: PropId = PropId(0x3A5A);
const HOME_POSTAL_CODE: PropId = PropId(0x3A5B);
const HOME_STATE: PropId = PropId(0x3A5C);
const HOME_STREET: PropId = PropId(0x3A5D);

/// The contact `m` as one vCard 3.0 object (CRLF lines, folded at 75
/// octets). FN is the display name, else the file-under name, else the
/// subject, else given and family names; e-mail addresses of type EX
/// (Exchange DNs) are left out, being no Internet addresses.
pub fn contact_to_vcard(m: &Message<'_>, store: &Store<'_>) -> Vec<u8> {
    let s = |id: PropId| m.string(id).filter(|v| !v.trim().is_empty());
    let named = |lid: u32| {
        store
            .names()
            .find_id(Guid::ADDRESS, lid)
            .and_then(|id| m.string(id))
            .filter(|v| !v.trim().is_empty())
    };
    let given = s(pid::GIVEN_NAME);
    let surname = s(pid::SURNAME);
    let fn_name = s(pid::DISPLAY_NAME)
        .or_else(|| named(FILE_UNDER))
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
            s(MIDDLE_NAME),
            s(DISPLAY_NAME_PREFIX),
            s(GENERATION),
        ]),
    );
    l.text("NICKNAME", s(NICKNAME).as_deref());
    if let Some(org) = optional_structured(&[s(pid::COMPANY_NAME), s(DEPARTMENT)]) {
        l.raw("ORG", &org);
    }
    l.text("TITLE", s(pid::TITLE).as_deref());
    for (id, types) in [
        (pid::BUSINESS_PHONE, "WORK,VOICE"),
        (BUSINESS2_PHONE, "WORK,VOICE"),
        (pid::HOME_PHONE, "HOME,VOICE"),
        (HOME2_PHONE, "HOME,VOICE"),
        (pid::MOBILE_PHONE, "CELL,VOICE"),
        (BUSINESS_FAX, "WORK,FAX"),
        (HOME_FAX, "HOME,FAX"),
        (PAGER, "PAGER"),
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
        ("WORK", [STREET, LOCALITY, STATE, POSTAL_CODE, COUNTRY]),
        (
            "HOME",
            [
                HOME_STREET,
                HOME_CITY,
                HOME_STATE,
                HOME_POSTAL_CODE,
                HOME_COUNTRY,
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
    l.text("URL", s(BUSINESS_HOME_PAGE).as_deref());
    l.text("URL", s(PERSONAL_HOME_PAGE).as_deref());
    l.text("NOTE", m.body().as_deref());
    l.raw("END", "VCARD");
    l.finish().into_bytes()
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
