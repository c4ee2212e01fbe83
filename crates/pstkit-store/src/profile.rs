//! What an Outlook profile says about the Exchange mailbox it opens and the
//! offline store (OST) it keeps for it, read from a `regedit` export of the
//! profile's key ([`crate::regfile`]).
//!
//! Where Outlook keeps a profile, and how its values are named:
//!
//! - Outlook 2013 and later keep profiles under
//!   `HKCU\Software\Microsoft\Office\<version>\Outlook\Profiles\<profile>`
//!   (Stack Overflow, "Which registry keys determine the Outlook Profile"),
//!   earlier versions under `HKCU\Software\Microsoft\Windows NT\
//!   CurrentVersion\Windows Messaging Subsystem\Profiles\<profile>`
//!   (Windows IT Pro, "Inside MAPI Profiles"); each
//!   subkey is a MAPI profile section named by the 16 bytes of its GUID in
//!   hex (the global section's key `13dbb0c8aa05101a9bb000aa002fc45a` is the
//!   bytes of `pbGlobalProfileSectionGuid` in EdkMdb.h, as published in the
//!   MAPI stub library headers, e.g. mhammond/pywin32
//!   com/win32comext/mapi/src/MAPIStubLibrary/include/EdkMdb.h).
//! - A section's values are its MAPI properties, each named by its property
//!   tag in hex "the wrong way around": type first, then id (`001f3001` is
//!   PR_DISPLAY_NAME, tag 0x3001001F) — grommunio/gromox wiki, "Windows".
//!   Values appear as REG_BINARY (`hex:`) and as REG_SZ strings; both are
//!   read.
//! - Property ids 0x6600–0x67FF are provider-defined (mapitags.h, "Kind of
//!   property" table), so the same id means different things in the
//!   sections of different providers: only the Exchange sections found
//!   below are read for Exchange properties.
//! - Outlook 2010 and later have no global section for each account; the
//!   Exchange service's section carries PR_EMSMDB_SECTION_UID (0x3D15,
//!   PT_BINARY), "the GUID of the profile section persisted in binary form"
//!   that holds the account's Exchange properties (Microsoft, "Create an
//!   Outlook profile using MFCMAPI", Outlook MAPI reference;
//!   PidTagExchangeProfileSectionId canonical property page).
//! - In that section, PR_PROFILE_UNRESOLVED_SERVER (0x6608) is the
//!   "personalized server id … in the format `<guid>@tenant.onmicrosoft.com`"
//!   from Autodiscover (same MFCMAPI article), and since Exchange 2013
//!   "Outlook uses Autodiscover to create a new connection point comprised
//!   of mailbox GUID, @ symbol, and the domain portion of the user's primary
//!   SMTP address" (Microsoft, "What's new in Exchange 2013", section
//!   "Exchange 2013 architecture"). The GUID before the `@` of that server
//!   name, in 0x6608 or in the home server PR_PROFILE_HOME_SERVER (0x6602,
//!   EdkMdb.h), is the mailbox GUID this module reports.
//! - The other names (EdkMdb.h unless said): PR_PROFILE_USER 0x6603,
//!   PR_PROFILE_UNRESOLVED_NAME 0x6607 ("the alias for the target mailbox",
//!   MFCMAPI article), PR_PROFILE_MAILBOX 0x660B, PR_PROFILE_SERVER 0x660C,
//!   PR_PROFILE_OFFLINE_STORE_PATH 0x6610 (PT_STRING8; `_W`, PT_UNICODE, in
//!   the Office 2010 EdkMdb.h), PR_PROFILE_HOME_SERVER_DN 0x6612,
//!   PR_PROFILE_SERVER_DN 0x6614, PR_PROFILE_USER_SMTP_EMAIL_ADDRESS 0x6641
//!   ("SMTP Address of the user", MFCMAPI article), PR_DISPLAY_NAME 0x3001
//!   (mapitags.h). 0x663B in such a section is PR_PROFILE_SERVER_FULL_VERSION
//!   (PT_BINARY, EdkMdb.h), the server's version, not a mailbox identity.
//!
//! Which of these Outlook itself compares with an OST is not documented;
//! Microsoft says only that Outlook "compare\[s\] unique identifier
//! information between the .ost file profile and the Exchange Server store
//! profile" (support article 831058). The mailbox GUID is the identity both
//! sides carry, so it is what is compared.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::names::Guid;
use crate::pid;
use crate::regfile::{RegData, RegFile};

/// `pbGlobalProfileSectionGuid` (EdkMdb.h): the section shared by the
/// Exchange service in profiles before Outlook 2010.
pub const GLOBAL_SECTION: [u8; 16] = [
    0x13, 0xDB, 0xB0, 0xC8, 0xAA, 0x05, 0x10, 0x1A, 0x9B, 0xB0, 0x00, 0xAA, 0x00, 0x2F, 0xC4, 0x5A,
];

/// PR_EMSMDB_SECTION_UID / PidTagExchangeProfileSectionId.
pub const EMSMDB_SECTION_UID: u16 = 0x3D15;
/// PR_PROFILE_HOME_SERVER.
pub const PROFILE_HOME_SERVER: u16 = 0x6602;
/// PR_PROFILE_UNRESOLVED_SERVER.
pub const PROFILE_UNRESOLVED_SERVER: u16 = 0x6608;
/// PR_PROFILE_OFFLINE_STORE_PATH.
pub const PROFILE_OFFLINE_STORE_PATH: u16 = 0x6610;

const PT_STRING8: u16 = 0x001E;
const PT_UNICODE: u16 = 0x001F;
const PT_BINARY: u16 = 0x0102;
const PT_LONG: u16 = 0x0003;

/// The Exchange account properties this module names (see the module
/// documentation for where each name comes from).
const NAMED: &[(u16, &str)] = &[
    (pid::DISPLAY_NAME.0, "PR_DISPLAY_NAME"),
    (0x6602, "PR_PROFILE_HOME_SERVER"),
    (0x6603, "PR_PROFILE_USER"),
    (0x6607, "PR_PROFILE_UNRESOLVED_NAME"),
    (0x6608, "PR_PROFILE_UNRESOLVED_SERVER"),
    (0x660B, "PR_PROFILE_MAILBOX"),
    (0x660C, "PR_PROFILE_SERVER"),
    (0x6610, "PR_PROFILE_OFFLINE_STORE_PATH"),
    (0x6612, "PR_PROFILE_HOME_SERVER_DN"),
    (0x6614, "PR_PROFILE_SERVER_DN"),
    (0x6641, "PR_PROFILE_USER_SMTP_EMAIL_ADDRESS"),
];

/// The MAPI name of an Exchange profile property id this module reads.
pub fn prop_name(id: u16) -> Option<&'static str> {
    NAMED.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

/// One profile section: a key named by 32 hex digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// The key's full path.
    pub path: String,
    /// The profile's name (the key above the section), when the key sits
    /// under a `Profiles` key.
    pub profile: Option<String>,
    /// The section's GUID bytes (its key name).
    pub uid: [u8; 16],
    /// Its values that are named by a property tag, in name order.
    pub props: Vec<SectionProp>,
}

/// A section's value named by a property tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionProp {
    /// The value's name as written (`001f6610`).
    pub value_name: String,
    /// The property id (the last four hex digits).
    pub id: u16,
    /// The property type (the first four).
    pub ptype: u16,
    /// The value's data.
    pub data: RegData,
}

impl SectionProp {
    /// The value as text, for string properties: REG_SZ as it is; binary
    /// data as UTF-16LE (PT_UNICODE) or 8-bit text (PT_STRING8), up to the
    /// first NUL.
    pub fn text(&self) -> Option<String> {
        match (&self.data, self.ptype) {
            (RegData::String(s), PT_STRING8 | PT_UNICODE) => Some(s.clone()),
            (RegData::Hex { bytes, .. }, PT_UNICODE) => {
                let units = bytes
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .take_while(|&u| u != 0);
                Some(
                    char::decode_utf16(units)
                        .map(|c| c.unwrap_or('\u{FFFD}'))
                        .collect(),
                )
            }
            (RegData::Hex { bytes, .. }, PT_STRING8) => {
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                let b = &bytes[..end];
                Some(match std::str::from_utf8(b) {
                    Ok(s) => s.to_string(),
                    Err(_) => encoding_rs::WINDOWS_1252
                        .decode_without_bom_handling(b)
                        .0
                        .into_owned(),
                })
            }
            _ => None,
        }
    }

    /// The value's bytes, for binary properties.
    pub fn bytes(&self) -> Option<&[u8]> {
        match (&self.data, self.ptype) {
            (RegData::Hex { bytes, .. }, PT_BINARY) => Some(bytes),
            _ => None,
        }
    }

    /// The value as a number, for PT_LONG properties.
    pub fn long(&self) -> Option<u32> {
        match (&self.data, self.ptype) {
            (RegData::Dword(d), PT_LONG) => Some(*d),
            (RegData::Hex { bytes, .. }, PT_LONG) if bytes.len() == 4 => {
                Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            }
            _ => None,
        }
    }
}

impl Section {
    /// The section's GUID as the 32 hex digits of its key name.
    pub(crate) fn uid_hex(&self) -> String {
        hex(&self.uid)
    }

    /// The properties with id `id`, of any type.
    pub(crate) fn props_with(&self, id: u16) -> impl Iterator<Item = &SectionProp> {
        self.props.iter().filter(move |p| p.id == id)
    }

    /// The first text value of property `id`.
    pub fn text(&self, id: u16) -> Option<(String, &SectionProp)> {
        self.props_with(id)
            .find_map(|p| p.text().filter(|t| !t.is_empty()).map(|t| (t, p)))
    }

    /// The sections PR_EMSMDB_SECTION_UID values here point to.
    pub(crate) fn emsmdb_links(&self) -> impl Iterator<Item = [u8; 16]> + '_ {
        self.props_with(EMSMDB_SECTION_UID)
            .filter_map(|p| p.bytes().and_then(|b| <[u8; 16]>::try_from(b).ok()))
    }
}

/// A key's values by lower-case name: the name as written and the data.
type Values = BTreeMap<String, (String, RegData)>;

/// Every profile section of a `.reg` file, with deletions applied: a
/// `[-key]` removes the key and its subkeys, `"name"=-` the value.
pub fn sections(reg: &RegFile) -> Vec<Section> {
    // Key paths compare without regard to case, as the registry's do.
    let mut keys: BTreeMap<String, (String, Values)> = BTreeMap::new();
    for k in &reg.keys {
        let lower = k.path.to_lowercase();
        if k.delete {
            // The key and the keys below it sort together after it.
            let below = format!("{lower}\\");
            let doomed: Vec<String> = keys
                .range(lower.clone()..)
                .map(|(p, _)| p)
                .take_while(|p| p.starts_with(&lower))
                .filter(|p| **p == lower || p.starts_with(&below))
                .cloned()
                .collect();
            for p in doomed {
                keys.remove(&p);
            }
            continue;
        }
        let entry = keys
            .entry(lower)
            .or_insert_with(|| (k.path.clone(), BTreeMap::new()));
        for v in &k.values {
            let Some(name) = &v.name else { continue };
            let lname = name.to_lowercase();
            if v.data == RegData::Delete {
                entry.1.remove(&lname);
            } else {
                entry.1.insert(lname, (name.clone(), v.data.clone()));
            }
        }
    }
    let mut out = Vec::new();
    for (path, values) in keys.into_values() {
        let parts: Vec<&str> = path.split('\\').collect();
        let Some(uid) = parts.last().and_then(|n| hex16(n)) else {
            continue;
        };
        let profile = match parts.len() {
            n if n >= 3 && parts[n - 3].eq_ignore_ascii_case("Profiles") => {
                Some(parts[n - 2].to_string())
            }
            _ => None,
        };
        let props = values
            .into_values()
            .filter_map(|(name, data)| {
                let tag = (name.len() == 8).then(|| u32::from_str_radix(&name, 16).ok())??;
                Some(SectionProp {
                    value_name: name,
                    id: (tag & 0xFFFF) as u16,
                    ptype: (tag >> 16) as u16,
                    data,
                })
            })
            .collect();
        out.push(Section {
            path,
            profile,
            uid,
            props,
        });
    }
    out
}

/// A mailbox GUID a profile names, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileGuid {
    /// The GUID.
    pub guid: Guid,
    /// The property's MAPI name (`PR_PROFILE_UNRESOLVED_SERVER`).
    pub field: &'static str,
    /// The value's name in the section (`001f6608`).
    pub value_name: String,
    /// The value, a `GUID@domain` server name.
    pub text: String,
}

/// An offline-store path a profile names, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfilePath {
    /// The path, as Windows writes it.
    pub path: String,
    /// The value's name (`001f6610`).
    pub value_name: String,
    /// The section holding it (its GUID in hex).
    pub section: String,
}

/// A named Exchange property of an account, as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileField {
    /// The property's MAPI name.
    pub field: &'static str,
    /// The value's name.
    pub value_name: String,
    /// The value.
    pub text: String,
}

/// One Exchange account of a profile: its Exchange section and what the
/// sections linked to it say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The profile's name, when the export shows it.
    pub profile: Option<String>,
    /// The Exchange section's GUID, in hex.
    pub section: String,
    /// How the section was found.
    pub found_by: &'static str,
    /// The mailbox GUIDs its server names carry.
    pub mailbox_guids: Vec<ProfileGuid>,
    /// The OST paths of the account.
    pub ost_paths: Vec<ProfilePath>,
    /// Its other named properties, for the report.
    pub fields: Vec<ProfileField>,
}

/// What a profile export says about its Exchange accounts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileReport {
    /// Profile sections in the export.
    pub sections: usize,
    /// The Exchange accounts found.
    pub accounts: Vec<Account>,
    /// PR_PROFILE_OFFLINE_STORE_PATH values in sections linked to no
    /// account (reported, not compared).
    pub other_ost_paths: Vec<ProfilePath>,
}

impl ProfileReport {
    /// Whether any account names a mailbox GUID.
    pub fn has_mailbox_guid(&self) -> bool {
        self.accounts.iter().any(|a| !a.mailbox_guids.is_empty())
    }
}

/// Finds the Exchange accounts of a profile export.
///
/// An account's section is the global section (profiles before Outlook
/// 2010), or a section a PR_EMSMDB_SECTION_UID value points to. When the
/// export has neither, a section holding PR_PROFILE_UNRESOLVED_SERVER is
/// taken as one (an export of that section alone).
pub fn read_profile(reg: &RegFile) -> ProfileReport {
    let sections = sections(reg);
    // Sections are told apart by profile and GUID: every profile has its
    // own global section, and links stay within their profile.
    type Id = (Option<String>, [u8; 16]);
    let id_of = |s: &Section| -> Id { (s.profile.as_ref().map(|p| p.to_lowercase()), s.uid) };
    let by_id: HashMap<Id, usize> = sections
        .iter()
        .enumerate()
        .map(|(i, s)| (id_of(s), i))
        .collect();
    // Which sections link to each section.
    let mut linked_from: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, s) in sections.iter().enumerate() {
        for link in s.emsmdb_links() {
            if let Some(&t) = by_id.get(&(id_of(s).0, link)) {
                let from = linked_from.entry(t).or_default();
                if from.last() != Some(&i) {
                    from.push(i);
                }
            }
        }
    }
    let mut account_sections: Vec<(usize, &'static str)> = Vec::new();
    let mut seen: HashSet<usize> = HashSet::new();
    for (i, s) in sections.iter().enumerate() {
        if s.uid == GLOBAL_SECTION && seen.insert(i) {
            account_sections.push((i, "the global profile section (pbGlobalProfileSectionGuid)"));
        }
    }
    let mut targets: Vec<usize> = linked_from.keys().copied().collect();
    targets.sort_unstable();
    for i in targets {
        if seen.insert(i) {
            account_sections.push((i, "PR_EMSMDB_SECTION_UID (01023d15) of another section"));
        }
    }
    if account_sections.is_empty() {
        for (i, s) in sections.iter().enumerate() {
            if s.props_with(PROFILE_UNRESOLVED_SERVER).next().is_some() && seen.insert(i) {
                account_sections.push((
                    i,
                    "its PR_PROFILE_UNRESOLVED_SERVER (no section links to it)",
                ));
            }
        }
    }
    let mut linked: HashSet<usize> = HashSet::new();
    let mut accounts = Vec::new();
    for (i, found_by) in account_sections {
        let sec = &sections[i];
        let mut a = Account {
            profile: sec.profile.clone(),
            section: sec.uid_hex(),
            found_by,
            mailbox_guids: Vec::new(),
            ost_paths: Vec::new(),
            fields: Vec::new(),
        };
        for id in [PROFILE_UNRESOLVED_SERVER, PROFILE_HOME_SERVER] {
            for p in sec.props_with(id) {
                let Some(text) = p.text() else { continue };
                if let Some(guid) = guid_of_server_name(&text) {
                    a.mailbox_guids.push(ProfileGuid {
                        guid,
                        field: prop_name(id).unwrap_or("?"),
                        value_name: p.value_name.clone(),
                        text,
                    });
                }
            }
        }
        for &(id, field) in NAMED {
            if id == PROFILE_OFFLINE_STORE_PATH {
                continue;
            }
            if let Some((text, p)) = sec.text(id) {
                a.fields.push(ProfileField {
                    field,
                    value_name: p.value_name.clone(),
                    text,
                });
            }
        }
        // The account's OST: in its own section, or in a section that
        // links to it (the store provider's).
        let from = linked_from.get(&i).map_or(&[][..], Vec::as_slice);
        for &j in std::iter::once(&i).chain(from) {
            linked.insert(j);
            let s = &sections[j];
            for p in s.props_with(PROFILE_OFFLINE_STORE_PATH) {
                if let Some(path) = p.text().filter(|t| !t.is_empty()) {
                    a.ost_paths.push(ProfilePath {
                        path,
                        value_name: p.value_name.clone(),
                        section: s.uid_hex(),
                    });
                }
            }
        }
        accounts.push(a);
    }
    let mut other_ost_paths = Vec::new();
    for (_, s) in sections
        .iter()
        .enumerate()
        .filter(|(i, _)| !linked.contains(i))
    {
        for p in s.props_with(PROFILE_OFFLINE_STORE_PATH) {
            // Only string types (`text`): other providers use the id for
            // other data.
            if let Some(path) = p.text().filter(|t| !t.is_empty()) {
                other_ost_paths.push(ProfilePath {
                    path,
                    value_name: p.value_name.clone(),
                    section: s.uid_hex(),
                });
            }
        }
    }
    ProfileReport {
        sections: sections.len(),
        accounts,
        other_ost_paths,
    }
}

/// The GUID of a `GUID@domain` server name.
pub(crate) fn guid_of_server_name(name: &str) -> Option<Guid> {
    let (guid, domain) = name.trim().split_once('@')?;
    if domain.is_empty() {
        return None;
    }
    guid.parse().ok()
}

/// 32 hex digits as 16 bytes.
fn hex16(s: &str) -> Option<[u8; 16]> {
    if s.len() != 32 || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regfile::parse;

    fn utf16_hex(s: &str) -> String {
        let mut b: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        b.extend_from_slice(&[0, 0]);
        b.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn bytes_hex(b: &[u8]) -> String {
        b.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    const ROOT: &str =
        "HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Work";
    const SERVICE: &str = "0a0d020000000000c000000000000046";
    const EXCH: &str = "9a3f1c0e5b7d4e21a6c8d0f2b4e6a8c0";
    const STORE: &str = "77aa88bb99cc00dd11ee22ff33004411";

    fn profile(guid: &str, ost: &str) -> String {
        let exch = hex16(EXCH).unwrap();
        format!(
            "Windows Registry Editor Version 5.00\n\n[{ROOT}]\n\n\
             [{ROOT}\\{SERVICE}]\n\"001f3d09\"=hex:{}\n\"01023d15\"=hex:{}\n\n\
             [{ROOT}\\{EXCH}]\n\"001f6608\"=hex:{}\n\"001f6641\"=hex:{}\n\"001e6603\"=\"/o=Example/cn=ann\"\n\
             \"0102663b\"=hex:0f,00,00,00\n\n\
             [{ROOT}\\{STORE}]\n\"01023d15\"=hex:{}\n\"001f6610\"=hex:{}\n\n\
             [{ROOT}\\0123456789abcdef0123456789abcdef]\n\"001f6610\"=hex:{}\n\"01026610\"=hex:00,01\n",
            utf16_hex("MSEMS"),
            bytes_hex(&exch),
            utf16_hex(&format!("{guid}@example.com")),
            utf16_hex("ann@example.com"),
            bytes_hex(&exch),
            utf16_hex(ost),
            utf16_hex("D:\\elsewhere.ost"),
        )
    }

    #[test]
    fn finds_the_account_its_guid_and_its_ost() {
        let text = profile(
            "ad475697-8264-453b-8dac-b3f7f1e8d53e",
            "C:\\Users\\ann\\AppData\\Local\\Microsoft\\Outlook\\ann@example.com.ost",
        );
        let reg = parse(text.as_bytes()).unwrap();
        let r = read_profile(&reg);
        assert_eq!(r.sections, 4);
        assert_eq!(r.accounts.len(), 1);
        let a = &r.accounts[0];
        assert_eq!(a.profile.as_deref(), Some("Work"));
        assert_eq!(a.section, EXCH);
        assert_eq!(a.mailbox_guids.len(), 1);
        let g = &a.mailbox_guids[0];
        assert_eq!(g.guid.to_string(), "{AD475697-8264-453B-8DAC-B3F7F1E8D53E}");
        assert_eq!(g.field, "PR_PROFILE_UNRESOLVED_SERVER");
        assert_eq!(g.value_name, "001f6608");
        assert_eq!(a.ost_paths.len(), 1);
        assert!(a.ost_paths[0].path.ends_with("\\ann@example.com.ost"));
        assert_eq!(a.ost_paths[0].section, STORE);
        assert!(a
            .fields
            .iter()
            .any(|f| f.field == "PR_PROFILE_USER" && f.text == "/o=Example/cn=ann"));
        assert!(a.fields.iter().any(
            |f| f.field == "PR_PROFILE_USER_SMTP_EMAIL_ADDRESS" && f.text == "ann@example.com"
        ));
        // A path in a section of no account is reported apart; the binary
        // 0x6610 of another provider is not a path.
        assert_eq!(r.other_ost_paths.len(), 1);
        assert_eq!(r.other_ost_paths[0].path, "D:\\elsewhere.ost");
    }

    #[test]
    fn deletions_apply_and_nothing_named_is_nothing_found() {
        let mut text = profile("ad475697-8264-453b-8dac-b3f7f1e8d53e", "C:\\a.ost");
        text.push_str(&format!("\n[{ROOT}\\{EXCH}]\n\"001f6608\"=-\n"));
        let r = read_profile(&parse(text.as_bytes()).unwrap());
        assert_eq!(r.accounts.len(), 1);
        assert!(!r.has_mailbox_guid());
        assert_eq!(r.accounts[0].ost_paths.len(), 1);
        text.push_str(&format!("\n[-{ROOT}]\n"));
        let r = read_profile(&parse(text.as_bytes()).unwrap());
        assert_eq!(r, ProfileReport::default());
    }

    #[test]
    fn profiles_are_apart_and_deleting_one_keeps_its_namesakes() {
        let two = |p: &str, guid: &str| {
            format!(
                "[HKEY_CURRENT_USER\\P\\Profiles\\{p}\\13dbb0c8aa05101a9bb000aa002fc45a]\n\"001e6602\"=\"{guid}@x\"\n"
            )
        };
        let text = format!(
            "REGEDIT4\n{}{}{}",
            two("Work", "ad475697-8264-453b-8dac-b3f7f1e8d53e"),
            two("Work2", "542d9171-4643-4051-b464-96f9a51cf5d7"),
            two("Work-old", "542d9171-4643-4051-b464-96f9a51cf5d7"),
        );
        let r = read_profile(&parse(text.as_bytes()).unwrap());
        assert_eq!(r.accounts.len(), 3);
        let text = format!("{text}[-HKEY_CURRENT_USER\\P\\Profiles\\WORK]\n");
        let r = read_profile(&parse(text.as_bytes()).unwrap());
        let names: Vec<_> = r
            .accounts
            .iter()
            .map(|a| a.profile.clone().unwrap())
            .collect();
        assert_eq!(names, ["Work-old", "Work2"]);
    }

    #[test]
    fn the_global_section_of_older_profiles() {
        let text = "REGEDIT4\n\n[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows Messaging Subsystem\\Profiles\\Old\\13dbb0c8aa05101a9bb000aa002fc45a]\n\
             \"001e6602\"=\"542d9171-4643-4051-b464-96f9a51cf5d7@example.org\"\n\"001e6610\"=hex:43,3a,5c,6f,6c,64,2e,6f,73,74,00\n";
        let r = read_profile(&parse(text.as_bytes()).unwrap());
        let a = &r.accounts[0];
        assert_eq!(a.profile.as_deref(), Some("Old"));
        assert_eq!(a.mailbox_guids[0].field, "PR_PROFILE_HOME_SERVER");
        assert_eq!(
            a.mailbox_guids[0].guid.to_string(),
            "{542D9171-4643-4051-B464-96F9A51CF5D7}"
        );
        assert_eq!(a.ost_paths[0].path, "C:\\old.ost");
    }

    #[test]
    fn server_names_without_a_guid_name_none() {
        assert_eq!(guid_of_server_name("mail.example.com"), None);
        assert_eq!(
            guid_of_server_name("ad475697-8264-453b-8dac-b3f7f1e8d53e@"),
            None
        );
        assert!(guid_of_server_name("{AD475697-8264-453B-8DAC-B3F7F1E8D53E}@x").is_some());
    }
}
