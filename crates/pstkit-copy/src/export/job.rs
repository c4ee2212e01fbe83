//! What a worker does with one item: reads it, renders it (a message,
//! vCard or iCalendar file, mail for an mbox, or a `.msg` file) and, for
//! EML, writes its file.

use std::path::Path;

use pstkit_ndb::Nid;
use pstkit_store::state;
use pstkit_store::{ItemKind, Message, Store};

use super::eml_out::{write_atomic, OpenDirs};
use crate::eml::{message_to_eml_into, message_to_eml_with, ExtraPart};
use crate::error::{io_err, Result};
use crate::ical::appointment_to_ics;
use crate::time::unix;
use crate::vcard::contact_to_vcard;

/// The capacity a worker's render buffer keeps between items (bytes).
pub(super) const KEEP_BUFFER: usize = 8 << 20;

/// What a worker does with one item.
pub(super) enum Job {
    /// Render and write `<dir>/<index>.<ext>`: under a temporary name and
    /// renamed when `atomic`, else directly (into a staging directory
    /// that is itself renamed when complete).
    Eml {
        dir: std::sync::Arc<Path>,
        index: usize,
        atomic: bool,
    },
    /// Render as mail (as for an mbox) and write it into the maildir
    /// folder `dir` (its `cur/`) as `<time>.<index>.pstkit:2,<flags>`,
    /// under a temporary name when `atomic`.
    Maildir {
        dir: std::sync::Arc<Path>,
        index: usize,
        atomic: bool,
    },
    /// Render as mail for an mbox.
    Mail,
    /// Render as a `.msg` file, handed back to be named and written.
    Msg,
}

/// What a worker made of one item.
pub(super) enum Done {
    /// The name of the file written, in its directory.
    File(String),
    /// An mbox entry: sender, time, message.
    Mail(Option<String>, Option<i64>, Vec<u8>),
    /// A `.msg` file: the subject its name is made from, and its bytes.
    Msg(Option<String>, Vec<u8>),
}

pub(super) fn do_job(
    store: &Store<'_>,
    nid: Nid,
    job: Job,
    buf: &mut Vec<u8>,
    dirs: &mut OpenDirs,
) -> Result<Done> {
    let m = store.message(nid)?;
    match job {
        Job::Eml { dir, index, atomic } => {
            buf.clear();
            if buf.capacity() > KEEP_BUFFER {
                // One huge item does not keep its memory for the rest.
                buf.shrink_to(KEEP_BUFFER);
            }
            let ext = render_file(&m, store, buf)?;
            let name = format!("{index}.{ext}");
            if atomic {
                write_atomic(&dir.join(&name), buf)?;
            } else {
                dirs.write(&dir, &name, buf)
                    .map_err(|e| io_err(&dir.join(&name), e))?;
            }
            Ok(Done::File(name))
        }
        Job::Maildir { dir, index, atomic } => {
            let (_, secs, eml) = render_mail(&m, store)?;
            let name = format!(
                "{}.{index}.pstkit:2,{}",
                secs.unwrap_or(0).max(0),
                maildir_flags(&m)
            );
            if atomic {
                write_atomic(&dir.join(&name), &eml)?;
            } else {
                dirs.write(&dir, &name, &eml)
                    .map_err(|e| io_err(&dir.join(&name), e))?;
            }
            Ok(Done::File(name))
        }
        Job::Mail => {
            let (sender, secs, eml) = render_mail(&m, store)?;
            Ok(Done::Mail(sender, secs, eml))
        }
        Job::Msg => Ok(Done::Msg(
            m.subject(),
            crate::msg::message_to_msg(&m, store.names())?,
        )),
    }
}

/// The Maildir info flags of an item, in ASCII order as the format wants:
/// `F` flagged, `R` replied to, `S` read.
pub(crate) fn maildir_flags(m: &Message<'_>) -> String {
    let p = m.properties();
    let int = |id| p.get_i32(id).and_then(|v| v.ok());
    let mut flags = String::new();
    if int(pstkit_store::pid::FLAG_STATUS) == Some(state::FOLLOWUP_FLAGGED) {
        flags.push('F');
    }
    if int(pstkit_store::pid::LAST_VERB_EXECUTED)
        .is_some_and(|v| v == state::VERB_REPLY_TO_SENDER || v == state::VERB_REPLY_TO_ALL)
    {
        flags.push('R');
    }
    if m.flags() & state::MSGFLAG_READ != 0 {
        flags.push('S');
    }
    flags
}

/// The file for one item in EML mode, appended to `out`: its extension.
fn render_file(m: &Message<'_>, store: &Store<'_>, out: &mut Vec<u8>) -> Result<&'static str> {
    Ok(match m.kind() {
        ItemKind::Contact if !crate::vcard::has_files_beside_photo(m) => {
            out.extend_from_slice(&contact_to_vcard(m, store));
            "vcf"
        }
        // A vCard holds the picture but no other file: such a contact goes
        // out as mail, its files attached beside its vCard, as in an mbox.
        ItemKind::Contact => {
            out.extend_from_slice(&render_mail(m, store)?.2);
            "eml"
        }
        ItemKind::Appointment | ItemKind::Meeting => {
            out.extend_from_slice(&appointment_to_ics(m, store)?);
            "ics"
        }
        _ => {
            message_to_eml_into(m, store, out)?;
            "eml"
        }
    })
}

/// One item as mail for an mbox: its sender address, time and message.
fn render_mail(
    m: &Message<'_>,
    store: &Store<'_>,
) -> Result<(Option<String>, Option<i64>, Vec<u8>)> {
    let extra = match m.kind() {
        ItemKind::Contact => vec![ExtraPart {
            name: "contact.vcf",
            mime: "text/vcard",
            text: String::from_utf8_lossy(&contact_to_vcard(m, store)).into_owned(),
        }],
        ItemKind::Appointment | ItemKind::Meeting => vec![ExtraPart {
            name: "event.ics",
            mime: "text/calendar",
            text: String::from_utf8_lossy(&appointment_to_ics(m, store)?).into_owned(),
        }],
        _ => Vec::new(),
    };
    let eml = message_to_eml_with(m, store, extra)?;
    let sender = m.sender_email().filter(|e| e.contains('@'));
    Ok((sender, m.date().map(unix), eml))
}
