//! A deterministic synthetic mailbox, for tests, benchmarks and fuzzing seeds.
//!
//! The same seed gives the same messages (and, through [`crate::write`], the
//! same bytes). Messages are made one at a time and written straight away,
//! so memory does not grow with their number. Sizes follow real mail: most
//! messages are a few kilobytes of text, about a third carry attachments,
//! a few of them over 8 KB and a very few over 1 MB; the average is
//! 10–20 KB per message.

use pstkit_ltp::{FileTime, PropId, PropTag, PropType, PropValue};
use pstkit_ndb::Nid;

use crate::error::Result;
use crate::write::{AttachContent, NewAttachment, NewMessage, PstWriter};
use crate::{lids, pid};

/// What to generate.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct SynthOptions {
    /// Number of messages (contacts and appointments included).
    pub messages: u64,
    /// Seed of the generator.
    pub seed: u64,
}

impl SynthOptions {
    /// `messages` messages from the generator seeded with `seed`.
    pub fn new(messages: u64, seed: u64) -> Self {
        SynthOptions { messages, seed }
    }
}

/// xorshift64*: small, fast and the same everywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value, zero included).
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One element of a non-empty slice.
    pub fn pick<'s, T>(&mut self, items: &'s [T]) -> &'s T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(n);
        out
    }
}

const WORDS: &[&[&str]] = &[
    &[
        "quarterly",
        "report",
        "meeting",
        "budget",
        "schedule",
        "review",
        "project",
        "update",
        "customer",
        "invoice",
        "contract",
        "deadline",
        "proposal",
        "team",
        "launch",
        "draft",
        "agenda",
        "minutes",
        "forecast",
        "shipment",
        "approval",
        "feedback",
        "release",
        "plan",
    ],
    &[
        "réunion",
        "budget",
        "équipe",
        "rapport",
        "prévision",
        "été",
        "déjà",
        "numéro",
        "reçu",
        "garçon",
        "hôtel",
        "crème",
        "fenêtre",
        "élève",
    ],
    &[
        "Besprechung",
        "Grüße",
        "Straße",
        "Überblick",
        "Mängel",
        "größer",
        "Bericht",
        "Zeitplan",
        "Kündigung",
        "Prüfung",
    ],
    &[
        "会議",
        "報告書",
        "予算",
        "日程",
        "確認",
        "お願い",
        "資料",
        "来週",
        "担当",
        "連絡",
    ],
    &[
        "会议", "报告", "预算", "客户", "合同", "项目", "安排", "邮件", "附件", "审批",
    ],
    &[
        "совещание",
        "отчёт",
        "бюджет",
        "договор",
        "проект",
        "клиент",
        "срок",
        "письмо",
    ],
    &["συνάντηση", "αναφορά", "προϋπολογισμός", "έργο", "πελάτης"],
    &[
        "reunião",
        "relatório",
        "orçamento",
        "cliente",
        "contrato",
        "atenção",
        "ação",
    ],
];

const PEOPLE: &[(&str, &str)] = &[
    ("Alice Martin", "alice.martin@example.com"),
    ("Bruno Lefèvre", "bruno.lefevre@example.fr"),
    ("Chen Wei", "chen.wei@example.cn"),
    ("Dmitri Ivanov", "d.ivanov@example.ru"),
    ("Eva Müller", "eva.mueller@example.de"),
    ("Fumiko Tanaka", "fumiko.tanaka@example.jp"),
    ("Gabriel Souza", "gabriel.souza@example.com.br"),
    ("Helen O'Brien", "helen.obrien@example.ie"),
];

const ATTACHMENT_KINDS: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("txt", "text/plain"),
    ("zip", "application/zip"),
];

fn s(id: PropId, v: impl Into<String>) -> (PropTag, PropValue) {
    (
        PropTag::new(id, PropType::String),
        PropValue::String(v.into()),
    )
}

fn i(id: PropId, v: i32) -> (PropTag, PropValue) {
    (PropTag::new(id, PropType::Int32), PropValue::Int32(v))
}

fn time(id: PropId, v: FileTime) -> (PropTag, PropValue) {
    (PropTag::new(id, PropType::Time), PropValue::Time(v))
}

impl std::fmt::Debug for Synth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Synth")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Generates messages into a writer.
pub struct Synth {
    rng: Rng,
    base: FileTime,
}

impl Synth {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Synth {
        // 2024-01-01 plus up to a year, in FILETIME ticks.
        let mut rng = Rng::new(seed);
        let base = FileTime(133_485_408_000_000_000 + rng.below(365 * 864_000_000_000));
        Synth { rng, base }
    }

    /// The time the generated store records as "now".
    pub fn timestamp(&self) -> FileTime {
        self.base
    }

    fn sentence(&mut self, words: usize) -> String {
        let lang: &[&str] = self.rng.pick::<&[&str]>(WORDS);
        let mut out = String::new();
        for k in 0..words {
            if k > 0 {
                out.push(' ');
            }
            out.push_str(self.rng.pick::<&str>(lang));
        }
        out
    }

    fn body(&mut self, bytes: usize) -> String {
        let mut out = String::with_capacity(bytes + 64);
        while out.len() < bytes {
            let n = 6 + self.rng.below(14) as usize;
            let mut sent = self.sentence(n);
            if let Some(c) = sent.get(..1) {
                let upper = c.to_uppercase();
                sent.replace_range(..1, &upper);
            }
            out.push_str(&sent);
            out.push_str(if self.rng.below(5) == 0 {
                ".\r\n\r\n"
            } else {
                ". "
            });
        }
        out
    }

    /// One e-mail message: the `index`-th of the mailbox.
    pub fn mail(&mut self, index: u64) -> NewMessage {
        let subject = {
            let n = 3 + self.rng.below(6) as usize;
            let mut t = self.sentence(n);
            if self.rng.below(4) == 0 {
                t = format!("RE: {t}");
            }
            t
        };
        let (from_name, from_addr) = *self.rng.pick(PEOPLE);
        let when = FileTime(self.base.0 + index * 37 * 600_000_000 + self.rng.below(600_000_000));
        let body_len = 1000 + self.rng.below(3500) as usize;
        let body = self.body(body_len);
        let flags = if self.rng.below(10) < 7 { 1 } else { 0 };
        let mut props = vec![
            s(pid::MESSAGE_CLASS, "IPM.Note"),
            s(pid::SUBJECT, subject.clone()),
            s(pid::CONVERSATION_TOPIC, subject.trim_start_matches("RE: ")),
            s(pid::SENDER_NAME, from_name),
            s(pid::SENDER_ADDRESS_TYPE, "SMTP"),
            s(pid::SENDER_EMAIL_ADDRESS, from_addr),
            s(pid::SENDER_SMTP_ADDRESS, from_addr),
            s(pid::SENT_REPRESENTING_NAME, from_name),
            s(pid::SENT_REPRESENTING_ADDRESS_TYPE, "SMTP"),
            s(pid::SENT_REPRESENTING_EMAIL_ADDRESS, from_addr),
            time(pid::CLIENT_SUBMIT_TIME, when),
            time(pid::MESSAGE_DELIVERY_TIME, FileTime(when.0 + 20_000_000)),
            time(pid::CREATION_TIME, when),
            time(pid::LAST_MODIFICATION_TIME, when),
            i(pid::MESSAGE_FLAGS, flags),
            i(pid::IMPORTANCE, self.rng.below(3) as i32),
            s(
                pid::INTERNET_MESSAGE_ID,
                format!("<{index}.{:x}@synthetic.pstkit>", self.rng.next_u64()),
            ),
            s(pid::BODY, body.clone()),
            i(pid::INTERNET_CODEPAGE, 65001),
        ];
        if self.rng.below(2) == 0 {
            let html = format!(
                "<html><head><meta charset=\"utf-8\"></head><body><p>{}</p></body></html>",
                body.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace("\r\n\r\n", "</p><p>")
            );
            props.push((
                PropTag::new(pid::BODY_HTML, PropType::Binary),
                PropValue::Binary(html.into_bytes()),
            ));
        }
        let mut recipients = Vec::new();
        let mut to = Vec::new();
        for k in 0..1 + self.rng.below(4) {
            let (name, addr) = *self.rng.pick(PEOPLE);
            let kind = if k == 0 {
                1
            } else {
                1 + self.rng.below(2) as i32
            };
            if kind == 1 {
                to.push(name);
            }
            recipients.push(vec![
                i(pid::RECIPIENT_TYPE, kind),
                s(pid::DISPLAY_NAME, name),
                s(pid::ADDRESS_TYPE, "SMTP"),
                s(pid::EMAIL_ADDRESS, addr),
                s(pid::SMTP_ADDRESS, addr),
                i(pid::OBJECT_TYPE, 6),
                i(pid::DISPLAY_TYPE, 0),
            ]);
        }
        props.push(s(pid::DISPLAY_TO, to.join("; ")));
        let mut attachments = Vec::new();
        if self.rng.below(3) == 0 {
            for _ in 0..1 + self.rng.below(3) {
                let size = match self.rng.below(200) {
                    0..=128 => 500 + self.rng.below(8000),
                    129..=198 => 8200 + self.rng.below(22_000),
                    _ => 1_100_000 + self.rng.below(400_000),
                } as usize;
                let (ext, mime) = *self.rng.pick(ATTACHMENT_KINDS);
                let name = format!("{}-{index}.{ext}", self.rng.pick::<&str>(WORDS[0]));
                attachments.push(NewAttachment {
                    props: vec![
                        s(pid::ATTACH_LONG_FILENAME, name.clone()),
                        s(pid::ATTACH_FILENAME, name),
                        s(pid::ATTACH_MIME_TAG, mime),
                        s(pid::ATTACH_EXTENSION, format!(".{ext}")),
                    ],
                    // Text files hold text; the others, like compressed
                    // formats, look random.
                    content: AttachContent::Data(if ext == "txt" {
                        let mut t = self.body(size).into_bytes();
                        t.truncate(size);
                        while std::str::from_utf8(&t).is_err() {
                            t.pop();
                        }
                        t
                    } else {
                        self.rng.bytes(size)
                    }),
                });
            }
        }
        NewMessage {
            props,
            recipients,
            attachments,
        }
    }

    /// A message carrying another message as an attachment.
    pub fn forward(&mut self, index: u64) -> NewMessage {
        let inner = self.mail(index + 1_000_000);
        let inner_subject = inner
            .props
            .iter()
            .find_map(|(t, v)| match (t.id(), v) {
                (pid::SUBJECT, PropValue::String(s)) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let mut outer = self.mail(index);
        outer.props.retain(|(t, _)| t.id() != pid::SUBJECT);
        outer
            .props
            .push(s(pid::SUBJECT, format!("FW: {inner_subject}")));
        outer.attachments.push(NewAttachment {
            props: vec![
                s(pid::DISPLAY_NAME, inner_subject),
                i(pid::ATTACH_METHOD, 5),
            ],
            content: AttachContent::Message(Box::new(inner)),
        });
        outer
    }

    /// A contact, with its e-mail address in the PSETID_Address named property.
    pub fn contact(&mut self, index: u64, w: &mut PstWriter) -> Result<NewMessage> {
        let (name, addr) = *self.rng.pick(PEOPLE);
        let (given, surname) = name.split_once(' ').unwrap_or((name, ""));
        let email = w.named_prop(&lids::EMAIL1_EMAIL_ADDRESS.named())?;
        let display = w.named_prop(&lids::EMAIL1_DISPLAY_NAME.named())?;
        let when = FileTime(self.base.0 + index * 600_000_000);
        Ok(NewMessage {
            props: vec![
                s(pid::MESSAGE_CLASS, "IPM.Contact"),
                s(pid::SUBJECT, name),
                s(pid::DISPLAY_NAME, name),
                s(pid::GIVEN_NAME, given),
                s(pid::SURNAME, surname),
                s(pid::COMPANY_NAME, "Example Corporation"),
                s(
                    pid::BUSINESS_TELEPHONE_NUMBER,
                    format!("+1 555 01{:02}", self.rng.below(100)),
                ),
                (
                    PropTag::new(email, PropType::String),
                    PropValue::String(addr.into()),
                ),
                (
                    PropTag::new(display, PropType::String),
                    PropValue::String(format!("{name} ({addr})")),
                ),
                time(pid::CREATION_TIME, when),
                time(pid::LAST_MODIFICATION_TIME, when),
                i(pid::MESSAGE_FLAGS, 1),
            ],
            ..NewMessage::default()
        })
    }

    /// An appointment, with start, end and location in PSETID_Appointment.
    pub fn appointment(&mut self, index: u64, w: &mut PstWriter) -> Result<NewMessage> {
        let (start, end, location) = (
            w.named_prop(&lids::APPOINTMENT_START_WHOLE.named())?,
            w.named_prop(&lids::APPOINTMENT_END_WHOLE.named())?,
            w.named_prop(&lids::LOCATION.named())?,
        );
        let begin = FileTime(self.base.0 + index * 36_000_000_000);
        let subject = self.sentence(4);
        let body_len = 300 + self.rng.below(1500) as usize;
        let body = self.body(body_len);
        Ok(NewMessage {
            props: vec![
                s(pid::MESSAGE_CLASS, "IPM.Appointment"),
                s(pid::SUBJECT, subject),
                s(pid::BODY, body),
                (PropTag::new(start, PropType::Time), PropValue::Time(begin)),
                (
                    PropTag::new(end, PropType::Time),
                    PropValue::Time(FileTime(begin.0 + 36_000_000_000)),
                ),
                (
                    PropTag::new(location, PropType::String),
                    PropValue::String("Room 4.02 / Salle Émile".into()),
                ),
                time(pid::CREATION_TIME, begin),
                time(pid::LAST_MODIFICATION_TIME, begin),
                i(pid::MESSAGE_FLAGS, 1),
            ],
            ..NewMessage::default()
        })
    }
}

/// The folders of a generated mailbox.
struct Folders {
    inbox: Nid,
    projects: Nid,
    year: Nid,
    receipts: Nid,
    sent: Nid,
    archive: Nid,
    contacts: Nid,
    calendar: Nid,
}

/// Fills `w` with a synthetic mailbox; `progress` is told each message index.
pub fn generate(
    w: &mut PstWriter,
    opts: &SynthOptions,
    mut progress: impl FnMut(u64),
) -> Result<()> {
    let top = w.standard_folders().ipm_subtree;
    let note = Some("IPF.Note");
    let inbox = w.add_folder(top, "Inbox", note)?;
    let projects = w.add_folder(inbox, "Projects", note)?;
    let f = Folders {
        inbox,
        projects,
        year: w.add_folder(projects, "2026 — Année", note)?,
        receipts: w.add_folder(inbox, "領収書", note)?,
        sent: w.add_folder(top, "Sent Items", note)?,
        archive: w.add_folder(top, "Archive", note)?,
        contacts: w.add_folder(top, "Contacts", Some("IPF.Contact"))?,
        calendar: w.add_folder(top, "Calendar", Some("IPF.Appointment"))?,
    };
    let mut g = Synth::new(opts.seed);
    for n in 0..opts.messages {
        let (folder, msg) = match n {
            3 => (f.contacts, g.contact(n, w)?),
            5 => (f.calendar, g.appointment(n, w)?),
            7 => (f.inbox, g.forward(n)),
            _ if n % 1000 == 503 => (f.contacts, g.contact(n, w)?),
            _ if n % 1000 == 505 => (f.calendar, g.appointment(n, w)?),
            _ if n % 500 == 207 => (f.inbox, g.forward(n)),
            _ => {
                let folder = match g.rng.below(20) {
                    0..=7 => f.inbox,
                    8..=9 => f.projects,
                    10 => f.year,
                    11 => f.receipts,
                    12..=15 => f.sent,
                    _ => f.archive,
                };
                (folder, g.mail(n))
            }
        };
        w.add_message(folder, &msg)?;
        progress(n);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_messages() {
        let a = Synth::new(7).mail(3);
        let b = Synth::new(7).mail(3);
        assert_eq!(a, b);
        let c = Synth::new(8).mail(3);
        assert_ne!(a, c);
    }

    #[test]
    fn sizes_are_mail_like() {
        let mut g = Synth::new(1);
        let n = 600u64;
        let mut total = 0usize;
        let mut big = 0;
        for k in 0..n {
            let m = g.mail(k);
            let body: usize = m
                .props
                .iter()
                .map(|(_, v)| match v {
                    PropValue::String(s) => s.len(),
                    PropValue::Binary(b) => b.len(),
                    _ => 8,
                })
                .sum();
            let att: usize = m
                .attachments
                .iter()
                .map(|a| match &a.content {
                    AttachContent::Data(d) => d.len(),
                    _ => 0,
                })
                .sum();
            if att > 1_000_000 {
                big += 1;
            }
            total += body + att;
        }
        let avg = total / n as usize;
        assert!((8_000..=24_000).contains(&avg), "average {avg} bytes");
        assert!(big >= 1, "no attachment over 1 MB in {n} messages");
    }
}
