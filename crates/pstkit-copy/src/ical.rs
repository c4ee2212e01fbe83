//! Appointments and meeting requests as iCalendar (RFC 5545) VEVENTs.

use pstkit_ltp::{FileTime, PropId, PropValue};
use pstkit_store::{lids, pid, AttachMethod, Message, RecipientKind, Store};

use crate::contentline::{base64, escape_text, param_value, Lines};
use crate::eml::{attachment_mime, attachment_name, ole_bytes};
use crate::error::Result;
use crate::time::{ical_utc, unix};

/// The appointment or meeting `m` as a VCALENDAR holding one VEVENT: UID
/// (from the meeting's global object id, else the Internet message id, else
/// the store's record key and the item's node id), DTSTAMP, DTSTART/DTEND
/// in UTC, SUMMARY, LOCATION, DESCRIPTION, CLASS, ORGANIZER and ATTENDEEs
/// with Internet addresses, and attachments inline as base64 ATTACH
/// properties. Recurrence patterns are not translated: a recurring series
/// comes out as its first occurrence.
pub fn appointment_to_ics(m: &Message<'_>, store: &Store<'_>) -> Result<Vec<u8>> {
    let names = store.names();
    let time_of = |id: Option<PropId>| -> Option<FileTime> {
        id.and_then(|id| m.properties().get_time(id))
            .and_then(|r| r.ok())
    };
    // PidTagStartDate and PidTagEndDate hold the same times, unnamed, on
    // meeting requests.
    let start = time_of(names.find(&lids::APPOINTMENT_START_WHOLE.named()))
        .or_else(|| time_of(Some(pid::START_DATE)));
    let end = time_of(names.find(&lids::APPOINTMENT_END_WHOLE.named()))
        .or_else(|| time_of(Some(pid::END_DATE)));
    let location = names
        .find(&lids::LOCATION.named())
        .and_then(|id| m.string(id));
    let stamp = time_of(Some(pid::LAST_MODIFICATION_TIME))
        .or_else(|| time_of(Some(pid::CREATION_TIME)))
        .or_else(|| m.date())
        .or(start);

    let mut l = Lines::default();
    l.raw("BEGIN", "VCALENDAR");
    l.raw("VERSION", "2.0");
    l.raw("PRODID", "-//pstkit//pstkit export//EN");
    l.raw("BEGIN", "VEVENT");
    l.raw("UID", &escape_text(&uid(m, store)));
    l.raw("DTSTAMP", &ical_utc(stamp.map(unix).unwrap_or(0)));
    if let Some(t) = start {
        l.raw("DTSTART", &ical_utc(unix(t)));
    }
    if let (Some(s), Some(e)) = (start, end) {
        // DTEND must not precede DTSTART.
        if e.0 >= s.0 {
            l.raw("DTEND", &ical_utc(unix(e)));
        }
    }
    l.text("SUMMARY", m.subject().as_deref());
    l.text("LOCATION", location.as_deref());
    l.text("DESCRIPTION", m.body().as_deref());
    let class = match m
        .properties()
        .get_i32(pid::SENSITIVITY)
        .and_then(|r| r.ok())
    {
        Some(2) => "PRIVATE",
        Some(3) => "CONFIDENTIAL",
        _ => "PUBLIC",
    };
    l.raw("CLASS", class);
    if let Some(addr) = m.sender_email().filter(|a| a.contains('@')) {
        l.raw(
            &with_cn("ORGANIZER", m.sender_name().as_deref()),
            &format!("mailto:{addr}"),
        );
    }
    for r in m.recipients()? {
        let Some(addr) = r.address().filter(|a| a.contains('@')) else {
            continue;
        };
        let role = match r.kind {
            RecipientKind::To => "REQ-PARTICIPANT",
            RecipientKind::Cc => "OPT-PARTICIPANT",
            RecipientKind::Bcc => "NON-PARTICIPANT",
        };
        let name = with_cn(&format!("ATTENDEE;ROLE={role}"), r.name.as_deref());
        l.raw(&name, &format!("mailto:{addr}"));
    }
    for (i, a) in m.attachments()?.enumerate() {
        let a = a?;
        let data = match a.method() {
            AttachMethod::ByValue => a.data()?.map(|d| d.into_owned()),
            AttachMethod::Ole => ole_bytes(&a)?,
            // Embedded messages and references have no one file to attach.
            _ => None,
        };
        let Some(data) = data else { continue };
        let fname = attachment_name(&a, i);
        let mime = attachment_mime(&a, &fname);
        l.raw(
            &format!(
                "ATTACH;FMTTYPE={};ENCODING=BASE64;VALUE=BINARY;X-FILENAME={}",
                param_value(&mime),
                param_value(&fname)
            ),
            &base64(&data),
        );
    }
    l.raw("END", "VEVENT");
    l.raw("END", "VCALENDAR");
    Ok(l.finish().into_bytes())
}

fn with_cn(name: &str, cn: Option<&str>) -> String {
    match cn.map(param_value).filter(|c| !c.trim().is_empty()) {
        Some(cn) => format!("{name};CN={cn}"),
        None => name.to_string(),
    }
}

/// A stable UID: what Outlook itself exports (the clean global object id in
/// hex), else the Internet message id, else record key and node id.
fn uid(m: &Message<'_>, store: &Store<'_>) -> String {
    let names = store.names();
    for k in [lids::CLEAN_GLOBAL_OBJECT_ID, lids::GLOBAL_OBJECT_ID] {
        if let Some(Some(Ok(PropValue::Binary(b)))) = names
            .find_id(k.guid, k.lid)
            .map(|id| m.properties().get(id))
        {
            if !b.is_empty() {
                return hex_upper(&b);
            }
        }
    }
    if let Some(id) = m
        .string(pid::INTERNET_MESSAGE_ID)
        .map(|s| s.trim().trim_matches(['<', '>']).to_string())
        .filter(|s| !s.is_empty())
    {
        return id;
    }
    let key = store
        .record_key()
        .map(|k| hex_upper(&k))
        .unwrap_or_default();
    format!("pstkit-{key}-{:X}", m.nid().0)
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names_are_parameters() {
        assert_eq!(
            with_cn("ORGANIZER", Some("Doe, Jane")),
            "ORGANIZER;CN=\"Doe, Jane\""
        );
        assert_eq!(with_cn("ORGANIZER", Some("")), "ORGANIZER");
        assert_eq!(with_cn("ORGANIZER", None), "ORGANIZER");
        assert_eq!(hex_upper(&[0x04, 0xab]), "04AB");
    }
}
