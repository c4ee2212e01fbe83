//! Appointments and meeting requests as iCalendar (RFC 5545) VEVENTs.

use pstkit_ltp::{FileTime, PropId, PropValue};
use pstkit_store::{lids, pid, Message, RecipientKind, Store};

use crate::contentline::{base64, escape_text, param_value, Lines};
use crate::eml::{
    attachment_content, attachment_mime, attachment_name, embedded_name, message_to_eml,
    AttachmentContent,
};
use crate::error::Result;
use crate::time::{ical_utc, unix};

/// The appointment or meeting `m` as a VCALENDAR holding one VEVENT: UID
/// (from the meeting's global object id, else the Internet message id, else
/// the store's record key and the item's node id), DTSTAMP, DTSTART/DTEND
/// in UTC, SUMMARY, LOCATION, DESCRIPTION, CLASS, ORGANIZER and ATTENDEEs
/// with Internet addresses, and attachments inline as base64 ATTACH
/// properties (an embedded message as the `message/rfc822` the EML export
/// writes for it). Recurrence patterns are not translated: a recurring series
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
        // What every export takes an attachment to hold; an embedded
        // message (a recurring series' exceptions are ones too) goes in as
        // the RFC 822 message the EML export writes for it. References to
        // files elsewhere have no bytes to attach.
        let (data, fname, mime) = match attachment_content(&a)? {
            AttachmentContent::Bytes(data) => {
                let fname = attachment_name(&a, i);
                let mime = attachment_mime(&a, &fname);
                (data, fname, mime)
            }
            AttachmentContent::Message(inner) => (
                message_to_eml(&inner, store)?,
                embedded_name(&a, &inner, i),
                "message/rfc822".to_string(),
            ),
            AttachmentContent::Elsewhere => continue,
        };
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

    /// Every attachment an appointment holds is in its iCalendar: files,
    /// and embedded messages (a recurring series' exceptions, say) as
    /// `message/rfc822`, which were left out before (issue #23: the EML
    /// export lost the two exceptions of java-libpst's dist-list.pst).
    #[test]
    fn embedded_messages_are_attached_as_rfc822() {
        use pstkit_ltp::props::tags;
        use pstkit_store::write::{AttachContent, NewAttachment, NewMessage, PstWriter};

        let s = |t, v: &str| (t, PropValue::String(v.into()));
        let exception = NewMessage {
            props: vec![
                s(
                    tags::MESSAGE_CLASS,
                    "IPM.OLE.CLASS.{00061055-0000-0000-C000-000000000046}",
                ),
                s(tags::SUBJECT, "moved occurrence"),
            ],
            recipients: Vec::new(),
            attachments: vec![NewAttachment {
                props: vec![s(tags::ATTACH_LONG_FILENAME, "agenda.txt")],
                content: AttachContent::Data(b"deep file".to_vec()),
            }],
        };
        let appointment = NewMessage {
            props: vec![
                s(tags::MESSAGE_CLASS, "IPM.Appointment"),
                s(tags::SUBJECT, "weekly"),
            ],
            recipients: Vec::new(),
            attachments: vec![
                NewAttachment {
                    props: vec![s(tags::ATTACH_LONG_FILENAME, "notes.bin")],
                    content: AttachContent::Data(vec![0, 1, 2, 255]),
                },
                NewAttachment {
                    props: vec![(tags::ATTACH_METHOD, PropValue::Int32(5))],
                    content: AttachContent::Message(Box::new(exception)),
                },
            ],
        };
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.pst");
        let mut w = PstWriter::create(&path, Default::default()).unwrap();
        let folder = w.standard_folders().ipm_subtree;
        let nid = w.add_message(folder, &appointment).unwrap();
        w.finish().unwrap();
        let file = pstkit_ndb::NdbFile::open(&path).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let m = store.message(nid).unwrap();
        let ics = String::from_utf8(appointment_to_ics(&m, &store).unwrap()).unwrap();
        let unfolded = ics.replace("\r\n ", "");
        let attach: Vec<(&str, &str)> = unfolded
            .lines()
            .filter(|l| l.starts_with("ATTACH;"))
            .map(|l| l.split_once(':').unwrap())
            .collect();
        assert_eq!(attach.len(), 2, "{ics}");
        assert!(attach[0].0.contains("X-FILENAME=notes.bin"), "{ics}");
        assert_eq!(attach[0].1, crate::contentline::base64(&[0, 1, 2, 255]));
        assert!(attach[1].0.contains("FMTTYPE=message/rfc822"), "{ics}");
        assert!(
            attach[1].0.contains("X-FILENAME=moved occurrence.eml"),
            "{ics}"
        );
        let inner = mail_parser::decoders::base64::base64_decode(attach[1].1.as_bytes()).unwrap();
        let inner = mail_parser::MessageParser::default()
            .parse(&inner[..])
            .unwrap();
        assert_eq!(inner.subject(), Some("moved occurrence"));
        let deep = inner.attachment(0).expect("the exception's own file");
        assert_eq!(deep.contents(), b"deep file");
    }
}
