//! EML files, Outlook `.msg` files, folders of them, mbox files and
//! maildirs into a new PST: the reverse of [`crate::export()`]. Each
//! source becomes a folder named after it; a directory's subdirectories
//! become subfolders. Messages are parsed (with `mail-parser`, or
//! [`crate::msg`]) and written one at a time, each only once it has been
//! read whole.

use pstkit_store::state;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use mail_parser::{Address, MessageParser, MimeHeaders, PartType};
use pstkit_ltp::{PropId, PropTag, PropType, PropValue};
use pstkit_ndb::Nid;
use pstkit_store::pid;
use pstkit_store::write::{AttachContent, NewAttachment, NewMessage, PstWriter, WriterOptions};

use crate::error::{input_err, CopyError, Result};
use crate::smime;

/// Largest single message read from an mbox: larger ones are reported and
/// skipped so that a damaged mbox (a missing separator) cannot exhaust memory.
pub const MAX_MESSAGE: usize = 256 << 20;

/// The outcome of an import.
#[derive(Clone, Debug, Default)]
pub struct ImportSummary {
    /// Folders created.
    pub folders: u64,
    /// Messages written.
    pub items: u64,
    /// Sources or messages that could not be read, with the reason.
    pub failed: Vec<(String, String)>,
    /// The file written.
    pub path: PathBuf,
}

/// A Unicode string property: every text property an import writes is
/// `PtypString`, whatever the type the table gives the id.
fn text(id: PropId, v: &str) -> (PropTag, PropValue) {
    (
        PropTag::new(id, PropType::String),
        PropValue::String(v.to_string()),
    )
}

fn display(a: Option<&Address<'_>>) -> Option<String> {
    let names: Vec<String> = a?
        .iter()
        .map(|x| x.name().or(x.address()).unwrap_or_default().to_string())
        .collect();
    (!names.is_empty()).then(|| names.join("; "))
}

/// Turns an RFC 5322 message into a message to write.
pub fn eml_to_message(raw: &[u8]) -> Result<NewMessage> {
    parse(raw, 0)
}

fn parse(raw: &[u8], depth: usize) -> Result<NewMessage> {
    if depth > crate::MAX_EMBED_DEPTH {
        return Err(CopyError::TooDeep(crate::MAX_EMBED_DEPTH));
    }
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| CopyError::Import("not an RFC 5322 message".into()))?;
    let smime = smime::mail_entity(&msg, raw);
    let class = match &smime {
        Some((kind, _)) => kind.class(),
        None => "IPM.Note",
    };
    let mut props = vec![
        text(pid::MESSAGE_CLASS, class),
        (pid::tags::MESSAGE_FLAGS, PropValue::Int32(1)),
    ];
    if let Some(s) = msg.subject() {
        props.push(text(pid::SUBJECT, s));
        props.push(text(
            pid::CONVERSATION_TOPIC,
            s.trim_start_matches("RE: ").trim_start_matches("FW: "),
        ));
    }
    if let Some(from) = msg.from().and_then(|f| f.first()) {
        let addr = from.address().unwrap_or_default();
        let name = from.name().unwrap_or(addr);
        for (n, t, e) in [
            (
                pid::SENDER_NAME,
                pid::SENDER_ADDRESS_TYPE,
                pid::SENDER_EMAIL_ADDRESS,
            ),
            (
                pid::SENT_REPRESENTING_NAME,
                pid::SENT_REPRESENTING_ADDRESS_TYPE,
                pid::SENT_REPRESENTING_EMAIL_ADDRESS,
            ),
        ] {
            props.push(text(n, name));
            props.push(text(t, "SMTP"));
            props.push(text(e, addr));
        }
        props.push(text(pid::SENDER_SMTP_ADDRESS, addr));
        props.push(text(pid::SENT_REPRESENTING_SMTP_ADDRESS, addr));
    }
    if let Some(d) = msg.date() {
        let t = pstkit_store::from_unix(d.to_timestamp(), 0);
        for tag in [
            pid::tags::CLIENT_SUBMIT_TIME,
            pid::tags::MESSAGE_DELIVERY_TIME,
            pid::tags::CREATION_TIME,
            pid::tags::LAST_MODIFICATION_TIME,
        ] {
            props.push((tag, PropValue::Time(t)));
        }
    }
    if let Some(id) = msg.message_id() {
        props.push(text(pid::INTERNET_MESSAGE_ID, &format!("<{id}>")));
    }
    if let Some(v) = msg.in_reply_to().as_text() {
        props.push(text(pid::IN_REPLY_TO_ID, &format!("<{v}>")));
    }
    if let Some(list) = msg.references().as_text_list() {
        let refs: Vec<String> = list.iter().map(|r| format!("<{r}>")).collect();
        props.push(text(pid::INTERNET_REFERENCES, &refs.join(" ")));
    } else if let Some(r) = msg.references().as_text() {
        props.push(text(pid::INTERNET_REFERENCES, &format!("<{r}>")));
    }
    if let Some(to) = display(msg.to()) {
        props.push(text(pid::DISPLAY_TO, &to));
    }
    if let Some(cc) = display(msg.cc()) {
        props.push(text(pid::DISPLAY_CC, &cc));
    }
    let header_end = msg.root_part().offset_body as usize;
    if let Some(h) = raw.get(..header_end) {
        props.push(text(
            pid::TRANSPORT_MESSAGE_HEADERS,
            &String::from_utf8_lossy(h),
        ));
    }
    if let Some(body) = msg.body_text(0) {
        props.push(text(pid::BODY, &body));
    }
    if let Some(html) = msg
        .html_part(0)
        .filter(|p| matches!(p.body, PartType::Html(_)))
    {
        props.push((
            PropTag::new(pid::BODY_HTML, PropType::Binary),
            PropValue::Binary(html.contents().to_vec()),
        ));
    }
    props.push((pid::tags::INTERNET_CODEPAGE, PropValue::Int32(65001)));

    let mut recipients = Vec::new();
    for (kind, list) in [(1, msg.to()), (2, msg.cc()), (3, msg.bcc())] {
        let Some(list) = list else { continue };
        for a in list.iter() {
            let addr = a.address().unwrap_or_default();
            recipients.push(vec![
                (pid::tags::RECIPIENT_TYPE, PropValue::Int32(kind)),
                text(pid::DISPLAY_NAME, a.name().unwrap_or(addr)),
                text(pid::ADDRESS_TYPE, "SMTP"),
                text(pid::EMAIL_ADDRESS, addr),
                text(pid::SMTP_ADDRESS, addr),
                (pid::tags::OBJECT_TYPE, PropValue::Int32(6)),
                (pid::tags::DISPLAY_TYPE, PropValue::Int32(0)),
            ]);
        }
    }
    let mut attachments = Vec::new();
    if let Some((kind, data)) = smime {
        // [MS-OXOSMIME]: the protected entity is the item's one attachment
        // (the signed body parts stay inside it, as Outlook keeps them).
        attachments.push(NewAttachment {
            props: vec![
                text(pid::ATTACH_LONG_FILENAME, smime::FILE_NAME),
                text(pid::ATTACH_FILENAME, smime::FILE_NAME),
                text(pid::DISPLAY_NAME, smime::FILE_NAME),
                text(pid::ATTACH_MIME_TAG, kind.mime()),
            ],
            content: AttachContent::Data(data),
        });
        return Ok(NewMessage {
            props,
            recipients,
            attachments,
        });
    }
    for part in msg.attachments() {
        let mut props = Vec::new();
        if let Some(name) = part.attachment_name() {
            props.push(text(pid::ATTACH_LONG_FILENAME, name));
            props.push(text(pid::ATTACH_FILENAME, name));
            props.push(text(pid::DISPLAY_NAME, name));
        }
        if let Some(ct) = part.content_type() {
            let mime = match ct.subtype() {
                Some(sub) => format!("{}/{sub}", ct.ctype()),
                None => ct.ctype().to_string(),
            };
            props.push(text(pid::ATTACH_MIME_TAG, &mime));
        }
        let (cid, location) = (part.content_id(), part.content_location());
        if let Some(cid) = cid {
            props.push(text(pid::ATTACH_CONTENT_ID, cid));
        }
        if let Some(location) = location {
            props.push(text(pid::ATTACH_CONTENT_LOCATION, location));
        }
        if cid.is_some() || location.is_some() {
            // PidTagAttachFlags 0x4 (afRenderedInBody): the HTML shows it.
            props.push((pid::tags::ATTACH_FLAGS, PropValue::Int32(4)));
        }
        let content = match &part.body {
            PartType::Message(inner) => {
                AttachContent::Message(Box::new(parse(inner.raw_message(), depth + 1)?))
            }
            _ => AttachContent::Data(part.contents().to_vec()),
        };
        attachments.push(NewAttachment { props, content });
    }
    Ok(NewMessage {
        props,
        recipients,
        attachments,
    })
}

impl<R> std::fmt::Debug for MboxReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MboxReader")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// Reads an mbox (mboxo or mboxrd) one message at a time.
pub struct MboxReader<R> {
    input: R,
    pending: Option<Vec<u8>>,
    done: bool,
}

impl<R: BufRead> MboxReader<R> {
    /// Starts reading.
    pub fn new(input: R) -> Self {
        MboxReader {
            input,
            pending: None,
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = std::io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut msg: Option<Vec<u8>> = self.pending.take();
        let mut line = Vec::new();
        loop {
            line.clear();
            // A line is bounded like a message: a file without line ends
            // must not grow it without limit.
            let mut limited = std::io::Read::take(&mut self.input, MAX_MESSAGE as u64 + 1);
            match limited.read_until(b'\n', &mut line) {
                Err(e) => return Some(Err(e)),
                Ok(0) => {
                    self.done = true;
                    return msg.map(|m| Ok(finish(m)));
                }
                Ok(_) => {}
            }
            if line.starts_with(b"From ") {
                if let Some(m) = msg.take() {
                    self.pending = Some(Vec::new());
                    return Some(Ok(finish(m)));
                }
                msg = Some(Vec::new());
                continue;
            }
            let Some(m) = msg.as_mut() else { continue };
            // mboxrd: one '>' more was added to every ">*From " line.
            let unescaped = {
                let gt = line.iter().take_while(|&&b| b == b'>').count();
                if gt > 0 && line[gt..].starts_with(b"From ") {
                    &line[1..]
                } else {
                    &line[..]
                }
            };
            if m.len() + unescaped.len() > MAX_MESSAGE {
                return Some(Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "message larger than 256 MiB: a missing separator?",
                )));
            }
            m.extend_from_slice(unescaped);
        }
    }
}

/// The blank line that separates mbox messages belongs to none of them.
fn finish(mut m: Vec<u8>) -> Vec<u8> {
    if m.ends_with(b"\r\n") {
        m.truncate(m.len() - 2);
    } else if m.ends_with(b"\n") {
        m.pop();
    }
    m
}

/// What a source path holds.
enum Source {
    Eml(PathBuf),
    /// An Outlook `.msg` file (a compound file).
    Msg(PathBuf),
    Mbox(PathBuf),
    Dir(PathBuf),
    /// A maildir (it has `cur/`): Maildir++ subfolders `.A.B` beside.
    Maildir(PathBuf),
}

/// Opens an input that must be a regular file: FIFOs, devices and sockets
/// are refused by their type (a FIFO would block, a device never end),
/// whatever their name. The type is checked before opening (so a FIFO's
/// open cannot block) and again on the open file (so a swap in between is
/// caught).
fn open_regular(p: &Path) -> Result<File> {
    let refuse = |what: &str| {
        input_err(
            p,
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{what}, not a regular file"),
            ),
        )
    };
    let kind = |m: &std::fs::Metadata| -> Option<&'static str> {
        let t = m.file_type();
        if t.is_file() {
            return None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                return Some("a FIFO");
            }
            if t.is_char_device() || t.is_block_device() {
                return Some("a device");
            }
            if t.is_socket() {
                return Some("a socket");
            }
        }
        Some(if t.is_dir() {
            "a directory"
        } else {
            "a special file"
        })
    };
    let meta = std::fs::metadata(p).map_err(|e| input_err(p, e))?;
    if let Some(what) = kind(&meta) {
        return Err(refuse(what));
    }
    let mut o = File::options();
    o.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut o, libc::O_NONBLOCK);
    let f = o.open(p).map_err(|e| input_err(p, e))?;
    let meta = f.metadata().map_err(|e| input_err(p, e))?;
    if let Some(what) = kind(&meta) {
        return Err(refuse(what));
    }
    Ok(f)
}

/// Reads a whole message file, refusing one past [`MAX_MESSAGE`] (read
/// through a limit, so a file that grows while read is refused too).
fn read_message(p: &Path) -> Result<Vec<u8>> {
    let f = open_regular(p)?;
    let mut raw = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(f, MAX_MESSAGE as u64 + 1),
        &mut raw,
    )
    .map_err(|e| input_err(p, e))?;
    if raw.len() > MAX_MESSAGE {
        return Err(too_large(p));
    }
    Ok(raw)
}

/// The error for a message file over [`MAX_MESSAGE`] bytes.
fn too_large(p: &Path) -> CopyError {
    input_err(
        p,
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than the {} MiB limit for one message",
                MAX_MESSAGE >> 20
            ),
        ),
    )
}

/// The first bytes of a compound file, which a `.msg` file is.
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn classify(p: &Path) -> Result<Source> {
    if std::fs::metadata(p).is_ok_and(|m| m.is_dir()) {
        if std::fs::metadata(p.join("cur")).is_ok_and(|m| m.is_dir()) {
            return Ok(Source::Maildir(p.to_path_buf()));
        }
        return Ok(Source::Dir(p.to_path_buf()));
    }
    let mut head = [0u8; 8];
    let mut f = open_regular(p)?;
    let n = std::io::Read::read(&mut f, &mut head).map_err(|e| input_err(p, e))?;
    if head[..n].starts_with(b"From ") {
        Ok(Source::Mbox(p.to_path_buf()))
    } else if head[..n] == CFB_MAGIC || p.extension().is_some_and(|e| e.eq_ignore_ascii_case("msg"))
    {
        // A `.msg` name that holds no compound file is a damaged one.
        Ok(Source::Msg(p.to_path_buf()))
    } else {
        Ok(Source::Eml(p.to_path_buf()))
    }
}

fn folder_name(p: &Path) -> String {
    let stem = if p.is_dir() {
        p.file_name()
    } else {
        p.file_stem()
    };
    stem.map(|s| s.to_string_lossy().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Imported".into())
}

/// Writes every message of `sources` into a new PST at `dest`: as
/// [`import_with`] without salvage.
pub fn import(
    sources: &[PathBuf],
    dest: &Path,
    options: WriterOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportSummary> {
    import_with(sources, dest, options, false, progress)
}

/// Writes every message of `sources` into a new PST at `dest`. `dest` must
/// not exist (unless [`WriterOptions::replace`] allows a regular file) and
/// must be none of the sources. Inputs are read only if they are regular
/// files; a directory reached twice (through a link to itself or an
/// ancestor) is read once.
///
/// A damaged `.msg` file ends the import with an error naming the file
/// and the structure inside it, and no PST is left; with `salvage` it is
/// reported in [`ImportSummary::failed`] and the import goes on. RFC 5322
/// messages that do not parse are always reported and skipped (there is
/// no structure in them to be damaged, only text to be read as it is).
pub fn import_with(
    sources: &[PathBuf],
    dest: &Path,
    options: WriterOptions,
    salvage: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportSummary> {
    let inputs: Vec<&Path> = sources.iter().map(PathBuf::as_path).collect();
    pstkit_output::check_destination(dest, options.replace, &inputs)?;
    let mut w = PstWriter::create(dest, options)?;
    let top = w.standard_folders().ipm_subtree;
    let mut s = ImportSummary::default();
    let mut seen = Visited::default();
    for src in sources {
        let mut at = At {
            s: &mut s,
            seen: &mut seen,
            progress: &mut *progress,
            salvage,
        };
        add_source(&mut w, top, src, &mut at, 0).map_err(|e| e.at_output(w.temp_path()))?;
    }
    s.path = w.finish()?;
    Ok(s)
}

/// Directories read so far, by device and inode.
#[derive(Default)]
struct Visited(std::collections::HashSet<(u64, u64)>);

impl Visited {
    /// Whether `dir` is met for the first time.
    fn first(&mut self, dir: &Path) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            match std::fs::metadata(dir) {
                Ok(m) => self.0.insert((m.dev(), m.ino())),
                Err(_) => true,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = dir;
            true
        }
    }
}

/// What every step of an import writes to or reads from besides the
/// writer: the summary, the directories met, the progress callback and
/// whether damaged `.msg` files are skipped.
struct At<'a> {
    s: &'a mut ImportSummary,
    seen: &'a mut Visited,
    progress: &'a mut dyn FnMut(u64),
    salvage: bool,
}

fn add_source(
    w: &mut PstWriter,
    parent: Nid,
    src: &Path,
    at: &mut At<'_>,
    depth: usize,
) -> Result<()> {
    if depth > 64 {
        at.s.failed.push((
            src.display().to_string(),
            "directories nested too deeply".into(),
        ));
        return Ok(());
    }
    let source = match classify(src) {
        Ok(Source::Dir(p) | Source::Maildir(p)) if !at.seen.first(&p) => {
            // A link back to a directory already read: reading it again
            // would copy the same messages once more, or never end.
            return Ok(());
        }
        Ok(source) => source,
        Err(e) => {
            at.s.failed.push((src.display().to_string(), e.to_string()));
            return Ok(());
        }
    };
    let folder = w.add_folder(parent, &folder_name(src), Some("IPF.Note"))?;
    at.s.folders += 1;
    match source {
        Source::Eml(p) => {
            let raw = read_message(&p);
            add_one(w, folder, p.display().to_string(), raw, None, at)?;
        }
        Source::Msg(p) => add_msg(w, folder, &p, at)?,
        Source::Maildir(p) => add_maildir(w, folder, &p, at)?,
        Source::Mbox(p) => {
            let f = open_regular(&p)?;
            for (k, m) in MboxReader::new(BufReader::with_capacity(1 << 20, f)).enumerate() {
                add_one(
                    w,
                    folder,
                    format!("{} message {}", p.display(), k + 1),
                    m.map_err(|e| input_err(&p, e)),
                    None,
                    at,
                )?;
            }
        }
        Source::Dir(p) => {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&p)
                .map_err(|e| input_err(&p, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for e in entries {
                let ext = |x: &str| e.extension().is_some_and(|v| v.eq_ignore_ascii_case(x));
                if e.is_dir() || ext("mbox") {
                    add_source(w, folder, &e, at, depth + 1)?;
                } else if ext("eml") {
                    let raw = read_message(&e);
                    add_one(w, folder, e.display().to_string(), raw, None, at)?;
                } else if ext("msg") {
                    add_msg(w, folder, &e, at)?;
                }
            }
        }
    }
    Ok(())
}

/// Reads a `.msg` file and writes it into `folder`. Its named properties
/// get ids in a map of its own first and the writer's ids only once it has
/// been read whole: a damaged file leaves nothing behind, not even a name.
/// Without salvage, the damage is the import's error. Attachments from
/// [`STREAM_FROM`](crate::streamed::STREAM_FROM) bytes are not held: each
/// is read through once to see that it is whole, then again a piece at a
/// time into the PST.
fn add_msg(w: &mut PstWriter, folder: Nid, p: &Path, at: &mut At<'_>) -> Result<()> {
    let mut own = pstkit_store::write::names::NameMapBuilder::default();
    let read = open_msg(p)
        .and_then(|cf| {
            let from = crate::streamed::STREAM_FROM;
            crate::msg::msg_to_message_deferring(cf, &mut |np| Ok(own.id(np)), from)
        })
        .and_then(|(m, deferred, mut cf)| {
            for (_, path, len) in &deferred {
                crate::msg::copy_stream(&mut cf, path, *len, &mut |_| Ok(()))?;
            }
            Ok((m, deferred, cf))
        });
    let (mut m, deferred, mut cf) = match read {
        Ok(r) => r,
        Err(e) if e.is_output() => return Err(e),
        Err(e) if at.salvage => {
            at.s.failed.push((p.display().to_string(), e.to_string()));
            return Ok(());
        }
        Err(e) => {
            return Err(CopyError::Import(format!("{}: {e}", p.display())));
        }
    };
    let mut ids = std::collections::HashMap::new();
    let mut names = Vec::new();
    collect_named(&m, &mut names);
    for id in names {
        if let (false, Some(np)) = (ids.contains_key(&id), own.name_of(id)) {
            ids.insert(id, w.named_prop(np)?);
        }
    }
    remap_named(&mut m, &ids);
    // Read whole above: a failure now is the file changing under the
    // import, which stops it (the blocks written would name no item).
    for (i, path, len) in deferred {
        let mut s = w.data_stream();
        crate::msg::copy_stream(&mut cf, &path, len, &mut |b| Ok(s.push(b)?))
            .map_err(|e| CopyError::Import(format!("{}: {e}", p.display())))?;
        let (bid, size) = s.finish()?;
        if let Some(a) = m.attachments.get_mut(i) {
            a.content = AttachContent::Written { bid, size };
        }
    }
    w.add_message(folder, &m)?;
    at.s.items += 1;
    (at.progress)(at.s.items);
    Ok(())
}

/// Opens a `.msg` file as a compound file, read through a buffer: a
/// regular file of at most [`MAX_MESSAGE`] bytes.
fn open_msg(p: &Path) -> Result<cfb::CompoundFile<BufReader<File>>> {
    let f = open_regular(p)?;
    let len = f.metadata().map_err(|e| input_err(p, e))?.len();
    if len > MAX_MESSAGE as u64 {
        return Err(too_large(p));
    }
    cfb::CompoundFile::open(BufReader::new(f)).map_err(|e| CopyError::Msg {
        structure: "compound file".into(),
        what: e.to_string(),
    })
}

/// Every named property id a message and its parts use.
fn collect_named(m: &NewMessage, out: &mut Vec<PropId>) {
    let props = m
        .props
        .iter()
        .chain(m.recipients.iter().flatten())
        .chain(m.attachments.iter().flat_map(|a| a.props.iter()));
    out.extend(props.map(|(t, _)| t.id()).filter(|id| id.is_named()));
    for a in &m.attachments {
        if let AttachContent::Message(inner) = &a.content {
            collect_named(inner, out);
        }
    }
}

/// Gives a message's named properties (and its parts') the ids of `ids`.
fn remap_named(m: &mut NewMessage, ids: &std::collections::HashMap<PropId, PropId>) {
    let retag = |props: &mut Vec<(PropTag, PropValue)>| {
        for (t, _) in props.iter_mut() {
            if let Some(&id) = ids.get(&t.id()) {
                *t = PropTag::new(id, t.prop_type());
            }
        }
    };
    retag(&mut m.props);
    m.recipients.iter_mut().for_each(retag);
    for a in &mut m.attachments {
        retag(&mut a.props);
        if let AttachContent::Message(inner) = &mut a.content {
            remap_named(inner, ids);
        }
    }
}

/// A maildir's messages (`cur/`, then `new/`) into `folder`, and its
/// Maildir++ subfolders (`.A`, `.A.B`, … beside `cur/`) below it.
fn add_maildir(w: &mut PstWriter, folder: Nid, dir: &Path, at: &mut At<'_>) -> Result<()> {
    add_maildir_messages(w, folder, dir, at)?;
    let mut subs: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| input_err(dir, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let path = e.path();
            (name.len() > 1
                && name.starts_with('.')
                && std::fs::metadata(path.join("cur")).is_ok_and(|m| m.is_dir()))
            .then(|| (name[1..].to_string(), path))
        })
        .collect();
    // Parents sort before their children (`.A` < `.A.B`).
    subs.sort();
    let mut made: std::collections::HashMap<String, Nid> = std::collections::HashMap::new();
    for (name, path) in subs {
        let mut parent = folder;
        let mut prefix = String::new();
        for part in name.split('.').filter(|p| !p.is_empty()) {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(part);
            parent = match made.get(&prefix) {
                Some(&n) => n,
                None => {
                    let n = w.add_folder(parent, part, Some("IPF.Note"))?;
                    at.s.folders += 1;
                    made.insert(prefix.clone(), n);
                    n
                }
            };
        }
        add_maildir_messages(w, parent, &path, at)?;
    }
    Ok(())
}

/// The messages of one maildir (`cur/` and `new/`), with the flags their
/// names carry.
fn add_maildir_messages(w: &mut PstWriter, folder: Nid, dir: &Path, at: &mut At<'_>) -> Result<()> {
    for sub in ["cur", "new"] {
        let subdir = dir.join(sub);
        let Ok(rd) = std::fs::read_dir(&subdir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            // Hidden files are a reader's own (Dovecot's indexes and the like).
            if name.as_deref().is_none_or(|n| n.starts_with('.')) {
                continue;
            }
            let flags = name.as_deref().and_then(maildir_info).unwrap_or_default();
            let raw = read_message(&f);
            add_one(w, folder, f.display().to_string(), raw, Some(flags), at)?;
        }
    }
    Ok(())
}

/// The flags of a maildir file name (`…:2,FRS`).
fn maildir_info(name: &str) -> Option<&str> {
    name.rsplit_once(":2,").map(|(_, f)| f)
}

/// Sets an item's read, answered and flagged state from Maildir flags
/// (`S`, `R`, `F`), as the export writes them.
fn apply_maildir_flags(m: &mut NewMessage, flags: &str) {
    let read = flags.contains('S');
    let mut found = false;
    for (t, v) in m.props.iter_mut() {
        if t.id() == pid::MESSAGE_FLAGS {
            if let PropValue::Int32(f) = v {
                *f = if read {
                    *f | state::MSGFLAG_READ
                } else {
                    *f & !state::MSGFLAG_READ
                };
                found = true;
            }
        }
    }
    if !found {
        let f = if read { state::MSGFLAG_READ } else { 0 };
        m.props
            .push((pid::tags::MESSAGE_FLAGS, PropValue::Int32(f)));
    }
    m.props
        .retain(|(t, _)| t.id() != pid::FLAG_STATUS && t.id() != pid::LAST_VERB_EXECUTED);
    if flags.contains('F') {
        m.props.push((
            pid::tags::FLAG_STATUS,
            PropValue::Int32(state::FOLLOWUP_FLAGGED),
        ));
    }
    if flags.contains('R') {
        m.props.push((
            pid::tags::LAST_VERB_EXECUTED,
            PropValue::Int32(state::VERB_REPLY_TO_SENDER),
        ));
    }
}

/// Parses one message and writes it (with the state Maildir `flags` give,
/// for a file of a maildir); a message that does not parse is reported in
/// the summary and the import goes on.
fn add_one(
    w: &mut PstWriter,
    folder: Nid,
    what: String,
    raw: Result<Vec<u8>>,
    flags: Option<&str>,
    at: &mut At<'_>,
) -> Result<()> {
    let parsed = raw
        .map_err(|e| e.to_string())
        .and_then(|r| eml_to_message(&r).map_err(|e| e.to_string()));
    match parsed {
        Ok(mut m) => {
            if let Some(flags) = flags {
                apply_maildir_flags(&mut m, flags);
            }
            w.add_message(folder, &m)?;
            at.s.items += 1;
            (at.progress)(at.s.items);
        }
        Err(e) => at.s.failed.push((what, e)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_splits_and_unescapes() {
        let data = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From here\n>>From there\n\nFrom c@d Mon Jan  1 00:00:00 2024\nSubject: two\n\nbody\n";
        let msgs: Vec<Vec<u8>> = MboxReader::new(&data[..]).map(|m| m.unwrap()).collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0], b"Subject: one\n\nFrom here\n>From there\n");
        assert_eq!(msgs[1], b"Subject: two\n\nbody");
    }

    #[test]
    fn eml_fields_are_kept() {
        let raw = b"From: Ann Example <ann@example.com>\r\nTo: Bob <bob@example.com>, carol@example.com\r\nCc: Dan <dan@example.com>\r\nSubject: =?utf-8?B?w4lsw6h2ZQ==?=\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\nMessage-ID: <x1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a.bin\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n";
        let m = eml_to_message(raw).unwrap();
        let get = |id: u16| {
            m.props.iter().find_map(|(t, v)| match v {
                PropValue::String(s) if t.id().0 == id => Some(s.clone()),
                _ => None,
            })
        };
        assert_eq!(get(0x0037).as_deref(), Some("Élève"));
        assert_eq!(get(0x0C1F).as_deref(), Some("ann@example.com"));
        assert_eq!(get(0x1035).as_deref(), Some("<x1@example.com>"));
        assert!(get(0x1000).unwrap().starts_with("Hello"));
        assert_eq!(m.recipients.len(), 3);
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].content, AttachContent::Data(vec![0, 1, 2]));
    }

    #[test]
    fn inline_parts_keep_their_id_and_location() {
        let raw = b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<img src=a.gif><img src=cid:c1>\r\n--b\r\nContent-Type: image/gif\r\nContent-Location: http://h/a.gif\r\nContent-Transfer-Encoding: base64\r\n\r\nR0lG\r\n--b\r\nContent-Type: image/gif\r\nContent-ID: <c1>\r\nContent-Transfer-Encoding: base64\r\n\r\nR0lG\r\n--b--\r\n";
        let m = eml_to_message(raw).unwrap();
        let props = |i: usize| -> Vec<(u16, String)> {
            m.attachments[i]
                .props
                .iter()
                .map(|(t, v)| (t.id().0, format!("{v:?}")))
                .collect()
        };
        assert_eq!(m.attachments.len(), 2);
        let (a, b) = (props(0), props(1));
        assert!(
            a.iter()
                .any(|(id, v)| *id == 0x3713 && v.contains("http://h/a.gif")),
            "{a:?}"
        );
        assert!(
            a.iter().any(|(id, v)| *id == 0x3714 && v.contains('4')),
            "{a:?}"
        );
        assert!(
            b.iter().any(|(id, v)| *id == 0x3712 && v.contains("c1")),
            "{b:?}"
        );
        assert!(!b.iter().any(|(id, _)| *id == 0x3713), "{b:?}");
    }

    #[test]
    fn garbage_is_an_error_or_a_message_never_a_panic() {
        for raw in [&b""[..], b"\xff\xfe\x00", b"From: \r\n\r\n", b"Subject: x"] {
            let _ = eml_to_message(raw);
        }
    }
}
