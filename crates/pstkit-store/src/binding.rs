//! The mailbox-binding record: what ties an `.ost` to one profile, server and
//! mailbox.
//!
//! Outlook keeps most of the binding in the profile, outside the file; inside
//! an OST the message store carries the mailbox GUID (property 0x6615, the
//! provider UID of the file's Exchange EntryIDs) and its record key. Files
//! pstkit writes carry, in addition, a binding record naming server, mailbox
//! and profile, as a named property of the store, with a CRC so that a
//! damaged record is told from one that names another mailbox.

use pstkit_ltp::{PropId, PropTag, PropType, PropValue};
use pstkit_ndb::crc::crc;

use crate::names::{Guid, NamedProp, PropName};
use crate::store::Store;

/// The property set of pstkit's own properties.
pub const PSTKIT_GUID: Guid = Guid::from_fields(
    0x7073_746B,
    0x6269,
    0x6E64,
    [0x9A, 0x1C, 0x4F, 0x53, 0x54, 0x4B, 0x49, 0x54],
);
/// The name of the binding record's property.
pub const BINDING_NAME: &str = "MailboxBinding";
/// The store property holding the mailbox GUID in Exchange OSTs.
pub const MAILBOX_GUID: PropId = crate::pid::unpublished::OST_MAILBOX_GUID;

const MAGIC: &[u8; 4] = b"PKMB";
const VERSION: u16 = 1;

/// The named property of the binding record.
pub fn binding_prop() -> NamedProp {
    NamedProp {
        guid: PSTKIT_GUID,
        name: PropName::Name(BINDING_NAME.into()),
    }
}

/// Which account a file belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxBinding {
    /// Exchange server host name.
    pub server: String,
    /// Mailbox address.
    pub mailbox: String,
    /// Outlook profile name, when bound to one.
    pub profile: Option<String>,
    /// The mailbox GUID (provider UID of the file's EntryIDs).
    pub mailbox_guid: Guid,
}

impl MailboxBinding {
    /// A binding for an account; the mailbox GUID is derived from the server
    /// and mailbox, so the same account always gets the same GUID.
    pub fn new(server: &str, mailbox: &str, profile: Option<&str>) -> Self {
        let key = format!(
            "{}\0{}",
            server.to_ascii_lowercase(),
            mailbox.to_ascii_lowercase()
        );
        let a = crc(key.as_bytes());
        let b = crc(&[key.as_bytes(), b"\x01"].concat());
        let c = crc(&[key.as_bytes(), b"\x02"].concat());
        let d = crc(&[key.as_bytes(), b"\x03"].concat());
        let mut g = [0u8; 16];
        g[..4].copy_from_slice(&a.to_le_bytes());
        g[4..8].copy_from_slice(&b.to_le_bytes());
        g[8..12].copy_from_slice(&c.to_le_bytes());
        g[12..].copy_from_slice(&d.to_le_bytes());
        // RFC 4122 version 5-style marks: a name-based id.
        g[7] = (g[7] & 0x0F) | 0x50;
        g[8] = (g[8] & 0x3F) | 0x80;
        MailboxBinding {
            server: server.to_string(),
            mailbox: mailbox.to_string(),
            profile: profile.map(str::to_string),
            mailbox_guid: Guid(g),
        }
    }

    /// The record's bytes: magic, version, the three strings (length-prefixed
    /// UTF-8), the GUID, and the CRC of everything before it.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&VERSION.to_le_bytes());
        for s in [
            self.server.as_str(),
            self.mailbox.as_str(),
            self.profile.as_deref().unwrap_or(""),
        ] {
            b.extend_from_slice(&(s.len() as u32).to_le_bytes());
            b.extend_from_slice(s.as_bytes());
        }
        b.extend_from_slice(&self.mailbox_guid.0);
        let c = crc(&b);
        b.extend_from_slice(&c.to_le_bytes());
        b
    }

    /// Reads a record; says what is wrong when it is damaged, and where.
    pub fn decode(b: &[u8]) -> Result<MailboxBinding, BindingError> {
        if b.len() < 4 + 2 + 12 + 16 + 4 {
            return Err(BindingError::TooShort { len: b.len() });
        }
        let (body, tail) = b.split_at(b.len() - 4);
        let stored = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
        let computed = crc(body);
        if stored != computed {
            return Err(BindingError::Crc {
                offset: body.len(),
                stored,
                computed,
            });
        }
        if &body[..4] != MAGIC {
            return Err(BindingError::Magic {
                found: [body[0], body[1], body[2], body[3]],
            });
        }
        let version = u16::from_le_bytes([body[4], body[5]]);
        if version != VERSION {
            return Err(BindingError::Version { version });
        }
        let ends = |offset, inside| BindingError::Truncated { offset, inside };
        let mut at = 6;
        let mut strings = Vec::new();
        for _ in 0..3 {
            let len = body
                .get(at..at + 4)
                .map(|l| u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize)
                .ok_or(ends(at, "a length"))?;
            let s = body
                .get(at + 4..at.saturating_add(4).saturating_add(len))
                .ok_or(ends(at + 4, "a string"))?;
            strings.push(
                String::from_utf8(s.to_vec()).map_err(|e| BindingError::NotUtf8 {
                    offset: at + 4 + e.utf8_error().valid_up_to(),
                })?,
            );
            at += 4 + len;
        }
        let guid: [u8; 16] = body
            .get(at..at + 16)
            .and_then(|g| g.try_into().ok())
            .ok_or(ends(at, "the GUID"))?;
        if at + 16 != body.len() {
            return Err(BindingError::Trailing { offset: at + 16 });
        }
        let profile = strings.pop().filter(|p| !p.is_empty());
        let mailbox = strings.pop().unwrap_or_default();
        let server = strings.pop().unwrap_or_default();
        Ok(MailboxBinding {
            server,
            mailbox,
            profile,
            mailbox_guid: Guid(guid),
        })
    }

    /// The store properties that carry this binding, given the id the file
    /// uses for the record's named property.
    pub fn store_properties(&self, record_id: PropId) -> Vec<(PropTag, PropValue)> {
        vec![
            (
                PropTag::new(MAILBOX_GUID, PropType::Guid),
                PropValue::Guid(self.mailbox_guid.0),
            ),
            (
                PropTag::new(record_id, PropType::Binary),
                PropValue::Binary(self.encode()),
            ),
        ]
    }
}

pub use crate::error::BindingError;

/// What a file says about its binding.
#[derive(Debug)]
pub enum BindingRecord {
    /// No pstkit record (every file Outlook made).
    Absent,
    /// A record that reads and checks.
    Valid(MailboxBinding),
    /// A record that is damaged, and how.
    Damaged(BindingError),
}

/// Everything a file holds about the mailbox it belongs to.
#[derive(Debug)]
pub struct BindingInfo {
    /// The mailbox GUID of the store (OSTs), if any.
    pub mailbox_guid: Option<Guid>,
    /// The store's record key.
    pub record_key: Option<Vec<u8>>,
    /// pstkit's binding record.
    pub record: BindingRecord,
}

impl BindingInfo {
    /// Reads the binding facts of a store.
    pub fn read(store: &Store<'_>) -> BindingInfo {
        let pc = store.properties();
        let mailbox_guid = match pc.get(MAILBOX_GUID) {
            Some(Ok(PropValue::Guid(g))) => Some(Guid(g)),
            _ => None,
        };
        let record = match store.names().find(&binding_prop()) {
            None => BindingRecord::Absent,
            Some(id) => match pc.get(id) {
                None => BindingRecord::Absent,
                Some(Ok(PropValue::Binary(b))) => match MailboxBinding::decode(&b) {
                    Ok(mut r) => {
                        if mailbox_guid.is_some_and(|g| g != r.mailbox_guid) {
                            BindingRecord::Damaged(BindingError::OtherMailbox {
                                record: r.mailbox_guid,
                                store: mailbox_guid.unwrap_or_default(),
                            })
                        } else {
                            r.profile = r.profile.filter(|p| !p.is_empty());
                            BindingRecord::Valid(r)
                        }
                    }
                    Err(e) => BindingRecord::Damaged(e),
                },
                Some(Ok(_)) => BindingRecord::Damaged(BindingError::NotBinary),
                Some(Err(e)) => BindingRecord::Damaged(BindingError::Unreadable(e)),
            },
        };
        BindingInfo {
            mailbox_guid,
            record_key: store.record_key(),
            record,
        }
    }
}

/// One field in which a file's binding differs from an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDiff {
    /// "server", "mailbox", "profile" or "mailbox GUID".
    pub field: &'static str,
    /// What the account has.
    pub expected: String,
    /// What the file has.
    pub found: String,
}

/// Compares a binding with an account. Server and mailbox compare without
/// regard to case, as Exchange names do; the profile only when asked.
pub fn compare(
    b: &MailboxBinding,
    server: &str,
    mailbox: &str,
    profile: Option<&str>,
) -> Vec<FieldDiff> {
    let mut d = Vec::new();
    if !b.server.eq_ignore_ascii_case(server) {
        d.push(FieldDiff {
            field: "server",
            expected: server.into(),
            found: b.server.clone(),
        });
    }
    if !b.mailbox.eq_ignore_ascii_case(mailbox) {
        d.push(FieldDiff {
            field: "mailbox",
            expected: mailbox.into(),
            found: b.mailbox.clone(),
        });
    }
    if let Some(p) = profile {
        if b.profile.as_deref() != Some(p) {
            d.push(FieldDiff {
                field: "profile",
                expected: p.into(),
                found: b.profile.clone().unwrap_or_default(),
            });
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_detects_damage() {
        let b = MailboxBinding::new("mail.example.com", "ann@example.com", Some("Work"));
        let bytes = b.encode();
        assert_eq!(MailboxBinding::decode(&bytes).unwrap(), b);
        for i in 0..bytes.len() {
            let mut d = bytes.clone();
            d[i] ^= 0x40;
            assert!(MailboxBinding::decode(&d).is_err(), "flip at {i} unnoticed");
        }
        assert!(MailboxBinding::decode(&bytes[..10]).is_err());
        // The error says what and where: a flipped byte of the mailbox
        // string breaks the CRC, whose place is the last four bytes.
        let mut d = bytes.clone();
        d[30] ^= 0x40;
        let e = MailboxBinding::decode(&d).unwrap_err();
        assert!(matches!(e, BindingError::Crc { .. }), "{e}");
        assert_eq!(e.offset(), Some(bytes.len() - 4));
        // With the CRC made right, a string running past the end is named
        // at the length that says so.
        let mut d = bytes.clone();
        d[6..10].copy_from_slice(&1000u32.to_le_bytes());
        let n = d.len() - 4;
        let c = crc(&d[..n]);
        d[n..].copy_from_slice(&c.to_le_bytes());
        let e = MailboxBinding::decode(&d).unwrap_err();
        assert!(
            matches!(
                e,
                BindingError::Truncated {
                    inside: "a string",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(e.offset(), Some(10));
        assert!(matches!(
            MailboxBinding::decode(&bytes[..10]),
            Err(BindingError::TooShort { len: 10 })
        ));
        // Same account, same GUID; another mailbox, another GUID.
        assert_eq!(
            MailboxBinding::new("MAIL.example.com", "Ann@example.com", None).mailbox_guid,
            b.mailbox_guid
        );
        assert_ne!(
            MailboxBinding::new("mail.example.com", "bob@example.com", None).mailbox_guid,
            b.mailbox_guid
        );
    }

    #[test]
    fn compare_names_each_field() {
        let b = MailboxBinding::new("a.example", "x@example", Some("P"));
        assert!(compare(&b, "A.EXAMPLE", "X@example", None).is_empty());
        let d = compare(&b, "b.example", "x@example", Some("Q"));
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].field, "server");
        assert_eq!(d[0].found, "a.example");
        assert_eq!(d[1].field, "profile");
    }
}
