//! Export of real files, read back with independent readers: every `.eml`
//! with mail-parser against what the store API says, every mbox with
//! Python's `mailbox`, vCard and iCalendar files against the store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mail_parser::{Address, MessageParser, MimeHeaders, PartType};
use pstkit_copy::{
    export, export_with, ExportEvent, ExportFormat, ExportOptions, ExportSummary, Replace,
};
use pstkit_fixtures::real;
use pstkit_ndb::{NdbFile, Nid};
use pstkit_store::rtfex::{deencapsulate, Encapsulated};
use pstkit_store::{pid, AttachMethod, Guid, ItemKind, Message, Store};

/// One exported item: its folder path, id and file.
struct Item {
    folder: String,
    nid: Nid,
    file: PathBuf,
}

struct Run {
    dir: tempfile::TempDir,
    items: Vec<Item>,
    /// Item count per folder path, from the folder events.
    folder_items: BTreeMap<String, usize>,
    summary: ExportSummary,
}

fn run(store: &Store<'_>, format: ExportFormat) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut items = Vec::new();
    let mut folder_items = BTreeMap::new();
    let mut failures = Vec::new();
    let summary = export(store, dir.path(), format, &mut |e| match e {
        ExportEvent::ItemExported { folder, nid, file } => items.push(Item { folder, nid, file }),
        ExportEvent::FolderStarted { folder, items } => {
            folder_items.insert(folder, items);
        }
        ExportEvent::ItemFailed { folder, nid, error } => {
            failures.push(format!("{folder} {nid}: {error}"))
        }
        ExportEvent::FolderFailed { folder, nid, error } => {
            failures.push(format!("folder {folder} {nid}: {error}"))
        }
        _ => {}
    })
    .unwrap();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(summary.is_complete());
    Run {
        dir,
        items,
        folder_items,
        summary,
    }
}

fn nl(s: &str) -> String {
    s.replace("\r\n", "\n").trim_end().to_string()
}

/// The display name of the first mailbox or group of a parsed address.
fn first_name(a: &Address<'_>) -> Option<String> {
    match a {
        Address::List(l) => l.first()?.name().map(str::to_string),
        Address::Group(g) => g.first()?.name.as_deref().map(str::to_string),
    }
}

fn first_address(a: &Address<'_>) -> Option<String> {
    a.first()?.address().map(str::to_string)
}

/// Mailboxes and name-only groups in a parsed address header.
fn entries(a: Option<&Address<'_>>) -> usize {
    match a {
        None => 0,
        Some(Address::List(l)) => l.len(),
        Some(Address::Group(g)) => g.iter().map(|g| g.addresses.len().max(1)).sum(),
    }
}

fn b64decode(s: &[u8]) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = s.iter().filter_map(|&c| val(c)).collect();
    let mut out = Vec::new();
    for q in digits.chunks(4) {
        let n = q
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | (u32::from(d) << (18 - 6 * i)));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..q.len()]);
    }
    out
}

/// The decoded bytes of a leaf part. Text parts come out of mail-parser as
/// strings (charset-converted), so their base64 is decoded here instead.
fn part_bytes(p: &mail_parser::MessagePart<'_>, raw: &[u8]) -> Vec<u8> {
    match &p.body {
        PartType::Binary(b) | PartType::InlineBinary(b) => b.to_vec(),
        PartType::Text(_) | PartType::Html(_) => {
            b64decode(&raw[p.offset_body as usize..p.offset_end as usize])
        }
        other => panic!("not a leaf part: {other:?}"),
    }
}

/// What a check saw.
#[derive(Default, Debug)]
struct Seen {
    attachments: usize,
    inline: usize,
    embedded: usize,
    ole: usize,
    html: usize,
    /// Bodies recovered from encapsulating RTF, and native RTF attached.
    rtf_html: usize,
    rtf_text: usize,
    rtf_native: usize,
    /// HTML references that resolve to a part's Content-Location.
    by_location: usize,
}

/// The value of attribute `name` (lower case) at each place it occurs in
/// `html`, quoted or not.
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let key = format!("{name}=");
    for (at, _) in lower.match_indices(&key) {
        if !lower[..at].ends_with(|c: char| c.is_ascii_whitespace()) {
            continue;
        }
        let rest = &html[at + key.len()..];
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
            _ => rest
                .split(|c: char| c.is_ascii_whitespace() || c == '>')
                .next()
                .unwrap_or(""),
        };
        out.push(value.to_string());
    }
    out
}

/// RFC 2557 in the exported message: every `src` of the HTML body that,
/// resolved against the page's `<base href>`, names a part's
/// Content-Location must name a part of the multipart/related that holds
/// the HTML, where a mail reader looks for it.
fn check_related_locations(parsed: &mail_parser::Message<'_>, seen: &mut Seen, what: &str) {
    let Some(html) = parsed.body_html(0) else {
        return;
    };
    let located: Vec<(usize, &str)> = parsed
        .parts
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i, p.content_location()?)))
        .collect();
    if located.is_empty() {
        return;
    }
    // The href of the first <base> tag.
    let base = html
        .to_ascii_lowercase()
        .find("<base")
        .and_then(|at| attribute_values(&html[at..], "href").into_iter().next());
    let resolve = |r: &str| -> String {
        match &base {
            Some(b) if !r.contains(':') && !r.starts_with('/') => {
                format!("{}{r}", &b[..b.rfind('/').map_or(b.len(), |i| i + 1)])
            }
            _ => r.to_string(),
        }
    };
    let related: Vec<u32> = parsed
        .parts
        .iter()
        .filter(|p| {
            p.content_type()
                .is_some_and(|c| c.c_subtype.as_deref() == Some("related"))
        })
        .filter_map(|p| match &p.body {
            PartType::Multipart(children) => Some(children.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    for src in attribute_values(&html, "src") {
        let want = resolve(&src);
        let Some(&(i, _)) = located.iter().find(|(_, l)| *l == want) else {
            continue;
        };
        assert!(
            related.contains(&(i as u32)),
            "{what}: {src:?} ({want}) is not beside the HTML in multipart/related"
        );
        seen.by_location += 1;
    }
}

/// Checks a parsed message against the store's message, recursively into
/// embedded messages. `raw` is the outermost message's bytes, to which
/// mail-parser's part offsets refer, nested messages included.
fn check_mail(
    m: &Message<'_>,
    parsed: &mail_parser::Message<'_>,
    raw: &[u8],
    seen: &mut Seen,
    what: &str,
) {
    assert_eq!(
        parsed.subject().unwrap_or(""),
        m.subject().unwrap_or_default(),
        "{what}: subject"
    );
    let from = parsed.from();
    if let Some(name) = m.sender_name().filter(|n| !n.trim().is_empty()) {
        assert_eq!(
            from.and_then(first_name).as_deref(),
            Some(name.trim()),
            "{what}: sender name"
        );
    }
    if let Some(email) = m.sender_email().filter(|e| e.contains('@')) {
        assert_eq!(
            from.and_then(first_address).as_deref(),
            Some(email.as_str()),
            "{what}: sender address"
        );
    }
    let body = m.body().map(|b| b.replace('\0', "")).unwrap_or_default();
    if !body.is_empty() {
        assert_eq!(
            nl(&parsed.body_text(0).expect("text body")),
            nl(&body),
            "{what}: body"
        );
    }
    // A body stored only as RTF that encapsulates it comes back as the
    // original (checked against RTFDE in pstkit-store's rtfex_oracle);
    // native RTF with no other body is attached as it is.
    let stored_html = m.body_html().is_some();
    if let Some(rtf) = m.body_rtf() {
        let rtf = rtf.unwrap();
        let body_rtf = parsed
            .parts
            .iter()
            .find(|p| !p.is_message() && p.attachment_name() == Some("body.rtf"));
        match deencapsulate(&rtf) {
            Some(Encapsulated::Html(h)) if !stored_html && !h.trim().is_empty() => {
                let got = parsed.body_html(0).expect("html body from RTF");
                assert_eq!(nl(&got), nl(&h), "{what}: html from RTF");
                assert!(body_rtf.is_none(), "{what}: body.rtf beside its HTML");
                seen.rtf_html += 1;
            }
            Some(Encapsulated::Text(t)) if body.trim().is_empty() && !t.trim().is_empty() => {
                let got = parsed.body_text(0).expect("text body from RTF");
                assert_eq!(nl(&got), nl(&t.replace('\0', "")), "{what}: text from RTF");
                assert!(body_rtf.is_none(), "{what}: body.rtf beside its text");
                seen.rtf_text += 1;
            }
            None if !stored_html && body.trim().is_empty() => {
                let part = body_rtf.unwrap_or_else(|| panic!("{what}: native RTF not attached"));
                assert!(part_bytes(part, raw) == rtf, "{what}: body.rtf bytes");
                seen.rtf_native += 1;
            }
            _ => {}
        }
    }
    if let Some(html) = m.body_html() {
        let parsed_html = parsed.body_html(0).expect("html body");
        seen.html += 1;
        if html.is_ascii() {
            let html = String::from_utf8(html).unwrap().replace('\0', "");
            assert_eq!(nl(&parsed_html), nl(&html), "{what}: html");
        }
    }
    for a in m.attachments().unwrap() {
        let a = a.unwrap();
        match a.method() {
            AttachMethod::EmbeddedMessage => {
                let inner = a.embedded().unwrap().expect("embedded message");
                let subject = inner.subject().unwrap_or_default();
                let part = parsed
                    .parts
                    .iter()
                    .filter_map(|p| p.message())
                    .find(|n| n.subject().unwrap_or("") == subject)
                    .unwrap_or_else(|| panic!("{what}: no message/rfc822 part {subject:?}"));
                seen.embedded += 1;
                check_mail(&inner, part, raw, seen, &format!("{what} > {subject}"));
            }
            AttachMethod::ByValue => {
                let Some(name) = a.filename() else { continue };
                let data = a.data().unwrap().unwrap_or_default();
                let part = parsed
                    .parts
                    .iter()
                    .find(|p| !p.is_message() && p.attachment_name() == Some(name.as_str()))
                    .unwrap_or_else(|| panic!("{what}: no part named {name:?}"));
                assert!(
                    part_bytes(part, raw) == *data,
                    "{what}: bytes of {name:?} differ"
                );
                if let Some(cid) = a.content_id() {
                    assert_eq!(
                        part.content_id(),
                        Some(cid.trim_matches(['<', '>'])),
                        "{what}: content id of {name:?}"
                    );
                    seen.inline += 1;
                }
                if let Some(location) = a.content_location().filter(|l| l.is_ascii()) {
                    assert_eq!(
                        part.content_location(),
                        Some(location.trim()),
                        "{what}: content location of {name:?}"
                    );
                }
                seen.attachments += 1;
            }
            AttachMethod::Ole => {
                // The OLE storage, read from the object's subnode here.
                let pc = a.properties();
                let rec = pc.record(pid::ATTACH_DATA_BINARY).expect("object");
                let pstkit_ltp::PropValue::Object { nid, .. } = pc.value_of(rec).unwrap() else {
                    panic!("{what}: OLE attachment without an object");
                };
                let data = pc.heap().subnode(nid).unwrap().read_all().unwrap();
                let name = a.filename().expect("name");
                assert!(
                    parsed
                        .parts
                        .iter()
                        .any(|p| p.attachment_name() == Some(name.as_str())
                            && part_bytes(p, raw) == data),
                    "{what}: no part {name:?} with the OLE bytes"
                );
                seen.ole += 1;
            }
            _ => {}
        }
    }
    check_related_locations(parsed, seen, what);
}

/// Exports `name` as EML and checks every `.eml` against the store.
fn eml_round_trip(name: &str, path: &Path) -> (Run, Seen) {
    let file = NdbFile::open(path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let r = run(&store, ExportFormat::Eml);
    let mut seen = Seen::default();
    let mut emls = 0;
    for item in &r.items {
        let m = store.message(item.nid).unwrap();
        let ext = item.file.extension().unwrap().to_str().unwrap();
        let want = match m.kind() {
            ItemKind::Contact => "vcf",
            ItemKind::Appointment | ItemKind::Meeting => "ics",
            _ => "eml",
        };
        assert_eq!(ext, want, "{}", item.file.display());
        if ext != "eml" {
            continue;
        }
        emls += 1;
        let bytes = std::fs::read(&item.file).unwrap();
        let parsed = MessageParser::default()
            .parse(&bytes)
            .unwrap_or_else(|| panic!("{} does not parse", item.file.display()));
        check_mail(
            &m,
            &parsed,
            &bytes,
            &mut seen,
            &format!("{name} {}", item.nid),
        );
    }
    assert!(emls > 0, "{name}: no .eml written");
    assert_eq!(r.items.len(), r.summary.items_exported);
    (r, seen)
}

/// Files under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn embedded_message_comes_back_as_message_rfc822() {
    let name = "emk-pstsdk--submessage.pst";
    let Some(path) = real::sample(name) else {
        return;
    };
    let (r, seen) = eml_round_trip(name, &path);
    assert_eq!(seen.embedded, 1, "{seen:?}");
    assert_eq!(
        files(r.dir.path()),
        vec!["Top of Outlook data file/submessage/1.eml"]
    );
}

#[test]
fn attachments_and_inline_images_keep_their_bytes() {
    let name = "aquasync-ruby-msg--attachAndInline.pst";
    let Some(path) = real::sample(name) else {
        return;
    };
    let (_, seen) = eml_round_trip(name, &path);
    assert_eq!(seen.attachments, 2, "{seen:?}");
    assert_eq!(seen.inline, 1, "{seen:?}");
}

#[test]
fn french_folder_names_and_numbering() {
    let name = "apache-tika--testPST.pst";
    let Some(path) = real::sample(name) else {
        return;
    };
    let (r, seen) = eml_round_trip(name, &path);
    let want: Vec<String> = (1..=7)
        .map(|n| format!("Début du fichier de données Outlook/{n}.eml"))
        .collect();
    let mut got = files(r.dir.path());
    got.sort_by_key(|f| f.len());
    assert_eq!(got, want);
    assert!(seen.html > 0);
}

#[test]
fn two_hundred_recipients() {
    let name = "aquasync-ruby-msg--200_recipients.pst";
    let Some(path) = real::sample(name) else {
        return;
    };
    let file = NdbFile::open(&path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let (r, _) = eml_round_trip(name, &path);
    let item = &r.items[0];
    let m = store.message(item.nid).unwrap();
    let recipients = m.recipients().unwrap();
    assert_eq!(recipients.len(), 200);
    let bytes = std::fs::read(&item.file).unwrap();
    let parsed = MessageParser::default().parse(&bytes).unwrap();
    let n = entries(parsed.to()) + entries(parsed.cc()) + entries(parsed.bcc());
    assert_eq!(n, 200);
    // Every SMTP address is there.
    let mut addresses: Vec<String> = [parsed.to(), parsed.cc(), parsed.bcc()]
        .into_iter()
        .flatten()
        .flat_map(|a| a.iter().filter_map(|x| x.address().map(str::to_string)))
        .collect();
    let mut want: Vec<String> = recipients
        .iter()
        .filter_map(|r| r.address().map(str::to_string))
        .collect();
    addresses.sort();
    want.sort();
    assert_eq!(addresses, want);
}

#[test]
fn encrypted_ansi_and_ost_files() {
    for (name, path) in real::samples(&[
        "simiden-pst2john--2003_high-encryption_quickquick.pst",
        "simiden-pst2john--2k_outlook_qwerty1234.pst",
        "aspose-email-Aspose.Email-for-.NET--SampleOstFile.ost",
    ]) {
        let (r, seen) = eml_round_trip(name, &path);
        if name.ends_with(".ost") {
            // Two messages with six OLE pictures each.
            assert_eq!(seen.ole, 12, "{seen:?}");
            // HTML kept only inside RTF, and native RTF bodies.
            assert!(seen.rtf_html >= 2 && seen.rtf_native >= 10, "{seen:?}");
        } else {
            assert!(seen.rtf_html >= 10, "{seen:?}");
        }
        if name.contains("2k_outlook") {
            // Outlook 2000's welcome message: eight images its HTML names
            // relative to its <base>, stored with absolute content locations.
            assert!(seen.by_location >= 8, "{seen:?}");
            assert_eq!(seen.by_location % 8, 0, "{seen:?}");
        }
        let total: usize = r.folder_items.values().sum();
        assert_eq!(r.summary.items_exported, total, "{name}");
    }
}

#[test]
fn ost_meetings_and_appointments_become_ics() {
    let name = "aspose-email-Aspose.Email-for-.NET--SampleOstFile.ost";
    let Some(path) = real::sample(name) else {
        return;
    };
    let (r, _) = eml_round_trip(name, &path);
    let ics = r
        .items
        .iter()
        .filter(|i| i.file.extension().is_some_and(|e| e == "ics"))
        .count();
    assert_eq!(ics, 11); // 5 appointments, 6 meeting requests
    assert_eq!(r.summary.items_exported, 92);
}

/// The messages of an mbox: split on the separator lines, the mboxrd
/// quoting undone.
fn mbox_messages(path: &Path) -> Vec<Vec<u8>> {
    let text = std::fs::read(path).unwrap();
    let mut messages: Vec<Vec<u8>> = Vec::new();
    for line in text.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            messages.push(Vec::new());
            continue;
        }
        let cur = messages.last_mut().unwrap();
        let quotes = line.iter().take_while(|&&b| b == b'>').count();
        if quotes > 0 && line[quotes..].starts_with(b"From ") {
            cur.extend_from_slice(&line[1..]);
        } else {
            cur.extend_from_slice(line);
        }
    }
    messages
}

fn python_mbox_count(path: &Path) -> usize {
    let out = Command::new("python3")
        .args([
            "-c",
            "import mailbox,sys; print(len(mailbox.mbox(sys.argv[1])))",
        ])
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn mbox_counts_read_back_by_python() {
    if !real::tool("python3", "python3") {
        return;
    }
    for (name, path) in real::samples(&[
        "simiden-pst2john--2003_high-encryption_quickquick.pst",
        "aspose-email-Aspose.Email-for-.NET--SampleOstFile.ost",
        "aranetic-process-pst--unsent_email.pst",
    ]) {
        let file = NdbFile::open(path).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let r = run(&store, ExportFormat::Mbox);
        let mut per_file: BTreeMap<PathBuf, (String, usize)> = BTreeMap::new();
        for i in &r.items {
            per_file
                .entry(i.file.clone())
                .or_insert((i.folder.clone(), 0))
                .1 += 1;
        }
        assert!(!per_file.is_empty());
        let written = files(r.dir.path());
        assert_eq!(written.len(), per_file.len(), "{name}: {written:?}");
        for (path, (folder, n)) in &per_file {
            assert!(path.extension().is_some_and(|e| e == "mbox"));
            assert_eq!(r.folder_items[folder], *n, "{name} {folder}");
            assert_eq!(python_mbox_count(path), *n, "{name} {}", path.display());
        }
    }
}

#[test]
fn mbox_messages_parse_and_match_the_store() {
    let Some(path) = real::sample("simiden-pst2john--2003_high-encryption_quickquick.pst") else {
        return;
    };
    let file = NdbFile::open(path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let r = run(&store, ExportFormat::Mbox);
    let path = &r.items[0].file;
    let messages = mbox_messages(path);
    let in_file: Vec<&Item> = r.items.iter().filter(|i| &i.file == path).collect();
    assert_eq!(messages.len(), in_file.len());
    let mut seen = Seen::default();
    for (bytes, item) in messages.iter().zip(in_file) {
        let m = store.message(item.nid).unwrap();
        let parsed = MessageParser::default().parse(bytes).unwrap();
        check_mail(&m, &parsed, bytes, &mut seen, "mbox");
    }
}

/// The unfolded, unescaped value of the first `name` line of a vCard or
/// iCalendar text, and whether every line kept to 75 octets.
fn property(text: &str, name: &str) -> Option<String> {
    for raw in text.split("\r\n") {
        assert!(raw.len() <= 75, "line over 75 octets: {raw:?}");
    }
    let unfolded = text.replace("\r\n ", "");
    let line = unfolded
        .split("\r\n")
        .find(|l| l.split([':', ';']).next() == Some(name))?;
    let value = line.split_once(':')?.1;
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn exported_with_ext<'s>(store: &Store<'s>, r: &Run, ext: &str) -> Vec<(Message<'s>, String)> {
    r.items
        .iter()
        .filter(|i| i.file.extension().is_some_and(|e| e == ext))
        .map(|i| {
            (
                store.message(i.nid).unwrap(),
                std::fs::read_to_string(&i.file).unwrap(),
            )
        })
        .collect()
}

#[test]
fn contacts_as_vcards() {
    let counts = [
        ("markb-trustifi-pst-extractor--contacts.pst", 1),
        ("aranetic-process-pst--unsent_email.pst", 2),
    ];
    for (name, path) in real::samples(&counts.map(|c| c.0)) {
        let count = counts.iter().find(|c| c.0 == name).unwrap().1;
        let file = NdbFile::open(path).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let r = run(&store, ExportFormat::Eml);
        let cards = exported_with_ext(&store, &r, "vcf");
        assert_eq!(cards.len(), count, "{name}");
        let email1 = store.names().find_id(Guid::ADDRESS, 0x8083);
        for (m, text) in cards {
            assert!(text.starts_with("BEGIN:VCARD\r\nVERSION:3.0\r\n"), "{text}");
            assert!(text.ends_with("END:VCARD\r\n"), "{text}");
            let want = m.string(pid::DISPLAY_NAME).or_else(|| m.subject()).unwrap();
            assert!(!want.is_empty());
            assert_eq!(
                property(&text, "FN").as_deref(),
                Some(want.as_str()),
                "{text}"
            );
            let surname = m.string(pid::SURNAME).unwrap_or_default();
            let n = property(&text, "N").unwrap();
            assert!(n.starts_with(&surname), "{n:?} {surname:?}");
            if let Some(email) = email1.and_then(|id| m.string(id)) {
                assert_eq!(property(&text, "EMAIL").as_deref(), Some(email.as_str()));
            }
        }
    }
}

#[test]
fn appointments_as_icalendar() {
    let counts = [
        ("hughbe-PstReader--hughbe_Outlook.pst", 1),
        ("sepinf-inc-IPED--test_sample.pst", 6),
    ];
    for (name, path) in real::samples(&counts.map(|c| c.0)) {
        let count = counts.iter().find(|c| c.0 == name).unwrap().1;
        let file = NdbFile::open(path).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let r = run(&store, ExportFormat::Eml);
        let events = exported_with_ext(&store, &r, "ics");
        assert_eq!(events.len(), count, "{name}");
        let start = store.names().find_id(Guid::APPOINTMENT, 0x820D).unwrap();
        for (m, text) in events {
            assert!(
                text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
                "{text}"
            );
            assert!(text.contains("\r\nBEGIN:VEVENT\r\n"));
            assert!(text.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"), "{text}");
            assert!(property(&text, "UID").is_some_and(|u| !u.is_empty()));
            assert!(property(&text, "DTSTAMP").is_some());
            assert_eq!(
                property(&text, "SUMMARY").unwrap_or_default(),
                m.subject().unwrap_or_default(),
                "{text}"
            );
            let t = m.properties().get_time(start).unwrap().unwrap();
            assert_eq!(
                property(&text, "DTSTART").unwrap(),
                pstkit_copy::time::ical_utc(t.to_unix_seconds())
            );
        }
    }
}

#[test]
fn output_is_complete_files_only() {
    // No temporary file survives, and the input is untouched.
    let Some(path) = real::sample("sepinf-inc-IPED--test_sample.pst") else {
        return;
    };
    let before = std::fs::read(&path).unwrap();
    let file = NdbFile::open(&path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    for format in [ExportFormat::Eml, ExportFormat::Mbox] {
        let r = run(&store, format);
        let all = files(r.dir.path());
        assert_eq!(all.len(), r.summary.files_written);
        assert!(all.iter().all(|f| !f.contains(".part")), "{all:?}");
    }
    drop(store);
    drop(file);
    assert!(std::fs::read(&path).unwrap() == before);
}

#[test]
fn exporting_again_into_the_same_directory_gives_the_same_files() {
    // The first export fills new folder directories under hidden names and
    // renames each when complete; the second finds them and replaces the
    // files one by one. Same names, same bytes, nothing hidden left over,
    // and every reported file exists.
    let Some(path) = real::sample("aspose-email-Aspose.Email-for-.NET--SampleOstFile.ost") else {
        return;
    };
    let file = NdbFile::open(path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut snapshots = Vec::new();
    for _ in 0..2 {
        let mut reported = Vec::new();
        // The second time into a directory that holds the first's files:
        // allowed only when told to replace them.
        let mut opts = ExportOptions::new(ExportFormat::Eml);
        opts.replace = Replace::RegularFile;
        let s = export_with(&store, dir.path(), &opts, &mut |e| {
            if let ExportEvent::ItemExported { file, .. } = e {
                reported.push(file);
            }
        })
        .unwrap();
        assert!(s.is_complete());
        assert!(reported.iter().all(|f| f.is_file()), "{reported:?}");
        let names = files(dir.path());
        assert_eq!(names.len(), s.files_written);
        assert!(names
            .iter()
            .all(|n| !n.contains(".pstkit-part") && !n.contains(".part")));
        let bytes: Vec<Vec<u8>> = names
            .iter()
            .map(|n| std::fs::read(dir.path().join(n)).unwrap())
            .collect();
        snapshots.push((names, bytes));
    }
    assert_eq!(snapshots[0].0, snapshots[1].0);
    // The same items in the same files (MIME boundaries and calendar
    // stamps are made anew each time): same subject, text and parts.
    for (name, (a, b)) in snapshots[0]
        .0
        .iter()
        .zip(snapshots[0].1.iter().zip(&snapshots[1].1))
    {
        if !name.ends_with(".eml") {
            continue;
        }
        let p = mail_parser::MessageParser::default();
        let (ma, mb) = (p.parse(&a[..]).unwrap(), p.parse(&b[..]).unwrap());
        assert_eq!(ma.subject(), mb.subject(), "{name}");
        assert_eq!(ma.body_text(0), mb.body_text(0), "{name}");
        // Embedded messages are rendered with boundaries of their own:
        // compared by count, other parts byte for byte.
        let parts = |m: &mail_parser::Message<'_>| -> Vec<Option<Vec<u8>>> {
            m.attachments()
                .map(|x| (!x.is_message()).then(|| x.contents().to_vec()))
                .collect()
        };
        assert!(parts(&ma) == parts(&mb), "{name}");
    }
}

/// A copy of `name` in `dir` with the data block of the folder's third item
/// damaged (one byte flipped, so its CRC fails); returns the path and the id.
fn damage_third_item(src: &Path, dir: &Path) -> (PathBuf, Nid, String) {
    let mut bytes = std::fs::read(src).unwrap();
    let file = NdbFile::open(src).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let (folder, nid) = store
        .walk()
        .flatten()
        .find_map(|w| {
            let ids = w.folder.message_ids().ok()?;
            (ids.len() >= 3).then(|| (w.path_string(), ids[2]))
        })
        .unwrap();
    let entry = file.ndb().node_entry(nid).unwrap();
    let block = file.ndb().block_entry(entry.data).unwrap();
    let at = block.bref.ib.0 as usize + 8;
    bytes[at] ^= 0x55;
    let path = dir.join("damaged.pst");
    std::fs::write(&path, bytes).unwrap();
    (path, nid, folder)
}

#[test]
fn damaged_item_is_reported_and_skipped() {
    let Some(src) = real::sample("simiden-pst2john--2003_no-encryption_quickquick.pst") else {
        return;
    };
    if !real::tool("python3", "python3") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (path, bad, bad_folder) = damage_third_item(&src, tmp.path());
    let file = NdbFile::open(&path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    assert!(store.message(bad).is_err(), "the damage must be seen");
    for format in [ExportFormat::Eml, ExportFormat::Mbox] {
        let out = tmp.path().join(format!("{format:?}"));
        let mut failed = Vec::new();
        let mut exported = 0;
        let summary = export(&store, &out, format, &mut |e| match e {
            ExportEvent::ItemFailed { folder, nid, error } => {
                failed.push((folder, nid, error.to_string()))
            }
            ExportEvent::ItemExported { .. } => exported += 1,
            _ => {}
        })
        .unwrap();
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0].0, bad_folder);
        assert_eq!(failed[0].1, bad);
        assert!(failed[0].2.contains("CRC"), "{}", failed[0].2);
        assert_eq!(summary.items_failed, 1);
        assert!(!summary.is_complete());
        assert_eq!(summary.items_exported, 19);
        assert_eq!(exported, 19);
        if format == ExportFormat::Eml {
            // The others keep their numbers: 3.eml is missing, not reused.
            let names = files(&out);
            assert_eq!(names.len(), 19);
            assert!(!names.iter().any(|n| n.ends_with("/3.eml")), "{names:?}");
            assert!(names.iter().any(|n| n.ends_with("/4.eml")), "{names:?}");
        } else {
            let mbox = files(&out);
            assert_eq!(mbox.len(), 1);
            assert_eq!(python_mbox_count(&out.join(&mbox[0])), 19);
        }
    }
}

/// A generated mailbox of `messages` items in `dir` (its folders take
/// turns, as a real mailbox's do).
fn generated(dir: &Path, messages: u64) -> PathBuf {
    use pstkit_store::synth::{generate, SynthOptions};
    use pstkit_store::write::{PstWriter, WriterOptions};
    let path = dir.join("generated.pst");
    let mut w = PstWriter::create(&path, WriterOptions::default()).unwrap();
    generate(&mut w, &SynthOptions::new(messages, 7), |_| {}).unwrap();
    w.finish().unwrap()
}

/// Items came in the order their data lies in `file`.
fn assert_in_file_order(file: &NdbFile, items: &[Item]) {
    let ndb = file.ndb();
    let offsets: Vec<u64> = items
        .iter()
        .map(|i| {
            let e = ndb.node_entry(i.nid).unwrap();
            ndb.block_entry(e.data).unwrap().bref.ib.0
        })
        .collect();
    assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "{offsets:?}");
}

#[test]
fn eml_items_are_read_in_file_order_across_folders() {
    // Folder by folder, an export would map the whole file once per
    // folder; it goes through the file once, front to back, instead. The
    // files and their numbers stay those of each folder.
    let tmp = tempfile::tempdir().unwrap();
    let path = generated(tmp.path(), 300);
    let file = NdbFile::open(&path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let r = run(&store, ExportFormat::Eml);
    assert_eq!(r.summary.items_exported, 300);
    assert_in_file_order(&file, &r.items);
    // The folders take turns in the file, so they do in the export.
    let switches = r
        .items
        .windows(2)
        .filter(|w| w[0].folder != w[1].folder)
        .count();
    assert!(
        switches > r.folder_items.len() * 2,
        "{switches} folder changes"
    );
    // Each file holds its item, numbered by its place in its folder.
    for w in store.walk().flatten() {
        let ids = w.folder.message_ids().unwrap();
        for (i, nid) in ids.iter().enumerate() {
            let item = r.items.iter().find(|it| it.nid == *nid).unwrap();
            assert_eq!(item.folder, w.path_string());
            let name = item.file.file_name().unwrap().to_string_lossy();
            assert!(name.starts_with(&format!("{}.", i + 1)), "{name}");
            let subject = store.message(*nid).unwrap().subject().unwrap_or_default();
            if item.file.extension().is_some_and(|e| e == "eml") {
                let raw = std::fs::read(&item.file).unwrap();
                let parsed = MessageParser::default().parse(&raw[..]).unwrap();
                assert_eq!(parsed.subject().unwrap_or_default(), subject);
            }
        }
    }
    let names = files(r.dir.path());
    assert_eq!(names.len(), 300);
    assert!(
        names.iter().all(|n| !n.contains(".pstkit-part")),
        "{names:?}"
    );
}

#[test]
fn a_stage_left_by_an_interrupted_export_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let path = generated(tmp.path(), 40);
    let file = NdbFile::open(&path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let out = tmp.path().join("out");
    let top = store.walk().flatten().nth(1).unwrap().path[0].clone();
    let stale = out.join(format!(".{top}.pstkit-part")).join("Inbox");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("999.eml"), b"half").unwrap();
    let s = export(&store, &out, ExportFormat::Eml, &mut |_| {}).unwrap();
    assert!(s.is_complete());
    let names = files(&out);
    assert_eq!(names.len(), 40, "{names:?}");
    assert!(
        names.iter().all(|n| n.starts_with(&format!("{top}/"))),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains("999.eml")), "{names:?}");
}

#[test]
fn an_output_that_cannot_be_made_leaves_no_stage() {
    // A file where the export's last folder directory would go: the
    // export fails, names the path, and leaves nothing of its own behind
    // (the folders before it were staged already).
    let tmp = tempfile::tempdir().unwrap();
    let path = generated(tmp.path(), 40);
    let file = NdbFile::open(&path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let out = tmp.path().join("out");
    let top = store.walk().flatten().nth(1).unwrap().path[0].clone();
    let last = store
        .walk()
        .flatten()
        .filter(|w| !w.folder.message_ids().unwrap().is_empty())
        .last()
        .unwrap()
        .path;
    assert_eq!(last.len(), 2, "{last:?}");
    let obstacle = out.join(&top).join(&last[1]);
    std::fs::create_dir_all(out.join(&top)).unwrap();
    std::fs::write(&obstacle, b"in the way").unwrap();
    // Without --force an output holding a file is refused before any work.
    let e = export(&store, &out, ExportFormat::Eml, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("exists"), "{e}");
    let mut opts = ExportOptions::new(ExportFormat::Eml);
    opts.replace = Replace::RegularFile;
    let e = export_with(&store, &out, &opts, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains(&last[1]), "{e}");
    let left: Vec<_> = std::fs::read_dir(out.join(&top))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec![last[1].clone()]);
    assert_eq!(std::fs::read(&obstacle).unwrap(), b"in the way");
}

#[test]
fn mbox_of_many_interleaved_folders_in_file_order() {
    // 70 folders whose items take turns in the file: more mbox files than
    // the export keeps open, so each is closed and opened again between
    // its messages. Every mbox holds its folder's items, in file order.
    use pstkit_store::synth::Synth;
    use pstkit_store::write::{PstWriter, WriterOptions};
    if !real::tool("python3", "python3") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("many.pst");
    let mut w = PstWriter::create(&path, WriterOptions::default()).unwrap();
    let top = w.standard_folders().ipm_subtree;
    let folders: Vec<Nid> = (0..70)
        .map(|i| {
            w.add_folder(top, &format!("F{i:02}"), Some("IPF.Note"))
                .unwrap()
        })
        .collect();
    let mut g = Synth::new(5);
    for n in 0..3 * 70u64 {
        let m = g.mail(n);
        w.add_message(folders[(n % 70) as usize], &m).unwrap();
    }
    w.finish().unwrap();

    let file = NdbFile::open(&path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let r = run(&store, ExportFormat::Mbox);
    assert_eq!(r.summary.items_exported, 210);
    assert_eq!(r.summary.files_written, 70);
    assert_eq!(r.summary.folders_exported, 70);
    assert_in_file_order(&file, &r.items);
    let names = files(r.dir.path());
    assert_eq!(names.len(), 70, "{names:?}");
    for (k, name) in names.iter().enumerate() {
        let p = r.dir.path().join(name);
        if k < 3 {
            // Python's mailbox, for a few (it starts slowly).
            assert_eq!(python_mbox_count(&p), 3, "{name}");
        }
        // Its messages are its folder's items, in the order they came.
        let got: Vec<String> = mbox_messages(&p)
            .iter()
            .map(|m| {
                let parsed = MessageParser::default().parse(&m[..]).unwrap();
                parsed.subject().unwrap_or_default().to_string()
            })
            .collect();
        let want: Vec<String> = r
            .items
            .iter()
            .filter(|i| i.file == p)
            .map(|i| store.message(i.nid).unwrap().subject().unwrap_or_default())
            .collect();
        assert_eq!(got, want, "{name}");
    }
    assert!(!names.iter().any(|n| n.contains(".part")), "{names:?}");
}
