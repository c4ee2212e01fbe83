//! What a worker does with one item: reads it, renders it (a message,
//! vCard or iCalendar file, mail for an mbox, or a `.msg` file) and, for
//! EML, writes its file.

use std::path::Path;

use pstkit_ndb::Nid;
use pstkit_output::TempFile;
use pstkit_store::state;
use pstkit_store::{ItemKind, Message, Store};

use super::eml_out::{write_atomic, write_atomic_with, OpenDirs};
use crate::eml::{message_to_eml_streamed, ExtraPart};
use crate::error::{io_err, Result};
use crate::ical::appointment_to_ics;
use crate::streamed::{Streamed, STREAM_FROM};
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
    /// Render as mail for an mbox; mail with large attachments is written,
    /// escaped, into a temporary file beside the path `beside`, its
    /// attachments streamed, and handed back to be appended.
    Mail { beside: std::sync::Arc<Path> },
    /// Render as a `.msg` file, handed back to be named and written; one
    /// with large attachments is written into a temporary file in `dir`,
    /// its attachments streamed, and handed back to be named.
    Msg { dir: std::sync::Arc<Path> },
}

/// What a worker made of one item.
pub(super) enum Done {
    /// The name of the file written, in its directory.
    File(String),
    /// An mbox entry: sender, time, message.
    Mail(Option<String>, Option<i64>, Vec<u8>),
    /// An mbox entry written already, escaped: sender, time, and the
    /// temporary file that holds it.
    MailFile(Option<String>, Option<i64>, TempFile),
    /// A `.msg` file: the subject its name is made from, and its bytes.
    Msg(Option<String>, Vec<u8>),
    /// A `.msg` file written already: the subject its name is made from,
    /// and the temporary file to rename.
    MsgFile(Option<String>, TempFile),
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
            let mut streamed = Streamed::new(STREAM_FROM);
            let mut ext = render_file(&m, store, buf, &mut streamed)?;
            if !streamed.fits(buf) {
                buf.clear();
                streamed = Streamed::new(u64::MAX);
                ext = render_file(&m, store, buf, &mut streamed)?;
            }
            let name = format!("{index}.{ext}");
            write_item(dirs, &dir, &name, atomic, buf, &streamed)?;
            Ok(Done::File(name))
        }
        Job::Maildir { dir, index, atomic } => {
            let mut streamed = Streamed::new(STREAM_FROM);
            let (mut secs, mut eml) = render_mail(&m, store, &mut streamed)?;
            if !streamed.fits(&eml) {
                streamed = Streamed::new(u64::MAX);
                (secs, eml) = render_mail(&m, store, &mut streamed)?;
            }
            let name = format!(
                "{}.{index}.pstkit:2,{}",
                secs.unwrap_or(0).max(0),
                maildir_flags(&m)
            );
            write_item(dirs, &dir, &name, atomic, &eml, &streamed)?;
            Ok(Done::File(name))
        }
        Job::Mail { beside } => {
            let sender = m.sender_email().filter(|e| e.contains('@'));
            let mut streamed = Streamed::new(STREAM_FROM);
            let (mut secs, mut eml) = render_mail(&m, store, &mut streamed)?;
            if !streamed.fits(&eml) {
                streamed = Streamed::new(u64::MAX);
                (secs, eml) = render_mail(&m, store, &mut streamed)?;
            }
            if streamed.is_empty() {
                return Ok(Done::Mail(sender, secs, eml));
            }
            // The mbox is written by the main thread, in order: the entry
            // waits in a file of its own, escaped as the mbox holds it
            // (placeholders are lines of base64 characters, which escaping
            // keeps as they are).
            let mut escaped = Vec::with_capacity(eml.len() + eml.len() / 64);
            crate::mbox::escape_into(&mut escaped, &eml);
            let part = beside.with_file_name(format!("{}.mbox-entry", m.nid().0));
            let tmp = TempFile::hidden_beside(&part)?;
            {
                let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.file());
                streamed.write(&escaped, &mut w, tmp.path(), true)?;
                std::io::Write::flush(&mut w).map_err(|e| io_err(tmp.path(), e))?;
            }
            Ok(Done::MailFile(sender, secs, tmp))
        }
        Job::Msg { dir } => {
            if !crate::msg::streams_attachments(&m, STREAM_FROM)? {
                let bytes = crate::msg::message_to_msg(&m, store.names())?;
                return Ok(Done::Msg(m.subject(), bytes));
            }
            let tmp = TempFile::hidden_beside(&dir.join(format!("{}.msg", m.nid().0)))?;
            crate::msg::message_to_msg_into(&m, store.names(), tmp.file(), STREAM_FROM)?;
            Ok(Done::MsgFile(m.subject(), tmp))
        }
    }
}

/// Writes an item's file `dir/name`: `rendered`, with the attachments
/// `streamed` took read into it as it is written.
fn write_item(
    dirs: &mut OpenDirs,
    dir: &std::sync::Arc<Path>,
    name: &str,
    atomic: bool,
    rendered: &[u8],
    streamed: &Streamed<'_>,
) -> Result<()> {
    let path = dir.join(name);
    match (atomic, streamed.is_empty()) {
        (true, true) => write_atomic(&path, rendered),
        (false, true) => dirs
            .write(dir, name, rendered)
            .map_err(|e| io_err(&path, e)),
        (true, false) => {
            write_atomic_with(&path, &mut |w| streamed.write(rendered, w, &path, false))
        }
        (false, false) => dirs.write_with(dir, name, &mut |w| {
            streamed.write(rendered, w, &path, false)
        }),
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
/// Large attachments of mail are left to `streamed`.
fn render_file<'a>(
    m: &Message<'a>,
    store: &Store<'_>,
    out: &mut Vec<u8>,
    streamed: &mut Streamed<'a>,
) -> Result<&'static str> {
    Ok(match m.kind() {
        ItemKind::Contact if !crate::vcard::has_files_beside_photo(m) => {
            out.extend_from_slice(&contact_to_vcard(m, store));
            "vcf"
        }
        // A vCard holds the picture but no other file: such a contact goes
        // out as mail, its files attached beside its vCard, as in an mbox.
        ItemKind::Contact => {
            out.extend_from_slice(&render_mail(m, store, streamed)?.1);
            "eml"
        }
        ItemKind::Appointment | ItemKind::Meeting => {
            out.extend_from_slice(&appointment_to_ics(m, store)?);
            "ics"
        }
        _ => {
            message_to_eml_streamed(m, store, Vec::new(), out, streamed)?;
            "eml"
        }
    })
}

/// One item as mail for an mbox or a maildir: its time and message, whose
/// large attachments are left to `streamed`.
fn render_mail<'a>(
    m: &Message<'a>,
    store: &Store<'_>,
    streamed: &mut Streamed<'a>,
) -> Result<(Option<i64>, Vec<u8>)> {
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
    let mut eml = Vec::with_capacity(4096);
    message_to_eml_streamed(m, store, extra, &mut eml, streamed)?;
    Ok((m.date().map(unix), eml))
}
