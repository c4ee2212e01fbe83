//! The identities an Exchange offline store (OST) carries on its message
//! store object: which mailbox it belongs to, which folder and database ids
//! it uses, and the other properties Outlook puts there, each named and
//! decoded as far as public sources describe it.
//!
//! Sources, cited per property below:
//!
//! - [MS-OXCDATA] 2.2.4 (object types of store EntryIDs: 0x0001
//!   eitLTPrivateFolder, …), 2.2.4.1 (Folder EntryID: Flags, Provider UID,
//!   FolderType, DatabaseGuid, GlobalCounter, Pad; for a folder in a
//!   private mailbox the Provider UID is the MailboxGuid of the RopLogon
//!   response), 2.2.1.3 (Global Identifier:
//!   DatabaseGuid and GlobalCounter), 2.2.5.2 (Address Book EntryID);
//!   [MS-OXCSTOR] 2.2.1.1.3 (RopLogon response for a private mailbox, whose
//!   MailboxGuid names the mailbox); the Outlook MAPI reference's `FEID`
//!   structure (abFlags, muid "GUID that identifies the store provider",
//!   placeholder, ltid), the same 46-byte layout.
//! - EdkMdb.h, the Exchange MAPI header (as published in the MAPI stub
//!   library, e.g. mhammond/pywin32 com/win32comext/mapi/src/
//!   MAPIStubLibrary/include/EdkMdb.h): store properties from pidStoreMin
//!   (0x6618) on, and PR_MAX_SUBMIT_MESSAGE_SIZE 0x666D ("Quota
//!   information on the store in KB").
//! - mapitags.h's table of property id ranges: 0x6600–0x67FF are
//!   "Provider-defined internal non-transmittable" and 0x7C00–0x7FFF
//!   "Message class-defined non-transmittable" properties, so a name given
//!   to an id by one provider or with another type does not carry over.
//! - MFCMAPI's property table (microsoft/mfcmapi core/interpret/
//!   genTagArray.h) and libyal/libfmapi (libfmapi/libfmapi_property_type.c)
//!   for names that no header or specification gives.
//! - Microsoft support article 3046189 for PR_OST_OSTID; [MS-PST] 2.4.3.1
//!   for the store's PidTagRecordKey; [MS-OXPROPS] for canonical names.

use pstkit_ltp::{PropId, PropTag, PropType, PropValue};

use crate::names::Guid;
use crate::pid;
use crate::pid::unpublished;
use crate::store::Store;

/// How far public sources describe a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Documentation {
    /// Its name and meaning are published.
    Documented,
    /// Its name is published, its meaning or layout is not.
    NameOnly,
    /// It has no published name, but its value has a published layout.
    LayoutOnly,
    /// Nothing about it is published.
    Undocumented,
}

impl Documentation {
    /// A word for reports.
    pub fn word(self) -> &'static str {
        match self {
            Documentation::Documented => "documented",
            Documentation::NameOnly => "name only",
            Documentation::LayoutOnly => "layout only",
            Documentation::Undocumented => "undocumented",
        }
    }
}

/// A [MS-OXCDATA] 2.2.4.1 Folder EntryID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FolderEntryId {
    /// Flags (4 bytes; MUST be zero).
    pub flags: [u8; 4],
    /// Provider UID: for a private mailbox, the MailboxGuid of RopLogon.
    pub provider_uid: Guid,
    /// FolderType, one of the store object types of [MS-OXCDATA] 2.2.4.
    pub folder_type: u16,
    /// DatabaseGuid: the GUID of the store the folder id belongs to
    /// (with the GlobalCounter, a Global Identifier, 2.2.1.3).
    pub database_guid: Guid,
    /// GlobalCounter (6 bytes), as stored.
    pub global_counter: [u8; 6],
    /// Pad (2 bytes; MUST be zero).
    pub pad: [u8; 2],
}

impl FolderEntryId {
    /// Its size: 4 + 16 + 2 + 16 + 6 + 2.
    pub const LEN: usize = 46;

    /// Reads a Folder EntryID; `None` when `b` is not 46 bytes or its type
    /// is not a folder type.
    pub fn parse(b: &[u8]) -> Option<FolderEntryId> {
        let b: &[u8; Self::LEN] = b.try_into().ok()?;
        let folder_type = u16::from_le_bytes([b[20], b[21]]);
        object_type_name(folder_type).filter(|n| n.contains("Folder"))?;
        let mut flags = [0u8; 4];
        flags.copy_from_slice(&b[0..4]);
        let mut provider = [0u8; 16];
        provider.copy_from_slice(&b[4..20]);
        let mut database = [0u8; 16];
        database.copy_from_slice(&b[22..38]);
        let mut global_counter = [0u8; 6];
        global_counter.copy_from_slice(&b[38..44]);
        Some(FolderEntryId {
            flags,
            provider_uid: Guid(provider),
            folder_type,
            database_guid: Guid(database),
            global_counter,
            pad: [b[44], b[45]],
        })
    }

    /// The folder type's name in [MS-OXCDATA] 2.2.4.
    pub fn folder_type_name(&self) -> &'static str {
        object_type_name(self.folder_type).unwrap_or("?")
    }
}

/// The store object types of [MS-OXCDATA] 2.2.4 (name, alternate name).
pub fn object_type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        0x0001 => "PrivateFolder (eitLTPrivateFolder)",
        0x0003 => "PublicFolder (eitLTPublicFolder)",
        0x0005 => "MappedPublicFolder (eitLTWackyFolder)",
        0x0007 => "PrivateMessage (eitLTPrivateMessage)",
        0x0009 => "PublicMessage (eitLTPublicMessage)",
        0x000B => "MappedPublicMessage (eitLTWackyMessage)",
        0x000C => "PublicNewsgroupFolder (eitLTPublicFolderByName)",
        _ => return None,
    })
}

/// The Provider UID of address book EntryIDs, [MS-OXCDATA] 2.2.5.2.
const AB_PROVIDER: [u8; 16] = [
    0xDC, 0xA7, 0x40, 0xC8, 0xC0, 0x42, 0x10, 0x1A, 0xB4, 0xB9, 0x08, 0x00, 0x2B, 0x2F, 0xE1, 0x82,
];

/// A [MS-OXCDATA] 2.2.5.2 Address Book EntryID: a directory object by its
/// X500 DN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbEntryId {
    /// Type: the directory object's display type.
    pub object_type: u32,
    /// X500DN: the object's distinguished name.
    pub dn: String,
}

impl AbEntryId {
    /// Reads an Address Book EntryID; `None` when it is not one.
    pub fn parse(b: &[u8]) -> Option<AbEntryId> {
        if b.len() < 28 || b[4..20] != AB_PROVIDER {
            return None;
        }
        let object_type = u32::from_le_bytes([b[24], b[25], b[26], b[27]]);
        let dn = &b[28..];
        let end = dn.iter().position(|&c| c == 0).unwrap_or(dn.len());
        Some(AbEntryId {
            object_type,
            dn: String::from_utf8_lossy(&dn[..end]).into_owned(),
        })
    }
}

/// A property value, decoded as far as its layout is known.
#[derive(Clone, Debug, PartialEq)]
pub enum IdentityValue {
    /// A GUID.
    Guid(Guid),
    /// A Folder EntryID.
    FolderEntryId(FolderEntryId),
    /// An Address Book EntryID.
    AbEntryId(AbEntryId),
    /// A string.
    Text(String),
    /// Strings.
    Strings(Vec<String>),
    /// An integer.
    Integer(i64),
    /// A boolean.
    Boolean(bool),
    /// Bytes whose layout is not documented.
    Bytes(Vec<u8>),
}

impl IdentityValue {
    fn of(v: &PropValue) -> IdentityValue {
        match v {
            PropValue::Guid(g) => IdentityValue::Guid(Guid(*g)),
            PropValue::Int16(i) => IdentityValue::Integer(i64::from(*i)),
            PropValue::Int32(i) => IdentityValue::Integer(i64::from(*i)),
            PropValue::Int64(i) => IdentityValue::Integer(*i),
            PropValue::Boolean(b) => IdentityValue::Boolean(*b),
            PropValue::String(s) => IdentityValue::Text(s.clone()),
            PropValue::String8(s) => IdentityValue::Text(s.decode(1252)),
            PropValue::MultipleString(v) => IdentityValue::Strings(v.clone()),
            PropValue::MultipleString8(v) => {
                IdentityValue::Strings(v.iter().map(|s| s.decode(1252)).collect())
            }
            PropValue::Binary(b) => IdentityValue::Bytes(b.clone()),
            other => IdentityValue::Text(format!("{other:?}")),
        }
    }
}

/// One store property and what public sources say about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    /// The property tag as stored.
    pub tag: PropTag,
    /// What it is, in a few words.
    pub label: &'static str,
    /// Its published name, when the id and type have one.
    pub name: Option<&'static str>,
    /// How far it is documented.
    pub documentation: Documentation,
    /// What the sources say, and which sources.
    pub source: &'static str,
    /// The value.
    pub value: IdentityValue,
}

/// What the catalogue says about one id and type.
struct Entry {
    id: PropId,
    ptype: PropType,
    label: &'static str,
    name: Option<&'static str>,
    documentation: Documentation,
    source: &'static str,
}

/// The store properties this module knows, with their sources.
const CATALOGUE: &[Entry] = &[
    Entry {
        id: pid::RECORD_KEY,
        ptype: PropType::Binary,
        label: "store record key",
        name: Some("PidTagRecordKey"),
        documentation: Documentation::Documented,
        source: "[MS-PST] 2.4.3.1: the message store's record key is the Provider UID of the file",
    },
    Entry {
        id: unpublished::OST_MAILBOX_GUID,
        ptype: PropType::Guid,
        label: "mailbox GUID",
        name: None,
        documentation: Documentation::Undocumented,
        source: "no published name for 0x6615 as PtypGuid (EdkMdb.h's 0x6615 is \
                 PR_PROFILE_FAVFLD_COMMENT, a PT_STRING8 profile property, and ids \
                 0x6600-0x67FF are provider-defined, mapitags.h); pstkit reads it as the \
                 mailbox GUID because it equals the Provider UID of the folder EntryID in \
                 0x3416, which [MS-OXCDATA] 2.2.4.1 defines as the MailboxGuid of RopLogon \
                 ([MS-OXCSTOR] 2.2.1.1.3)",
    },
    Entry {
        id: unpublished::OST_FOLDER_ENTRY_ID,
        ptype: PropType::Binary,
        label: "folder EntryID",
        name: None,
        documentation: Documentation::LayoutOnly,
        source: "no MAPI name in EdkMdb.h, mapitags.h or MFCMAPI (libfmapi lists it \
                 unnamed as \"item proc search entry identifier\"); its 46 bytes are a \
                 Folder EntryID, [MS-OXCDATA] 2.2.4.1 (MAPI FEID structure); which \
                 folder it names is not documented",
    },
    Entry {
        id: pid::USER_ENTRY_ID,
        ptype: PropType::Binary,
        label: "user EntryID",
        name: Some("PR_USER_ENTRYID"),
        documentation: Documentation::Documented,
        source: "EdkMdb.h, \"Identity of store\", all stores; an Address Book EntryID, \
                 [MS-OXCDATA] 2.2.5.2",
    },
    Entry {
        id: unpublished::USER_NAME,
        ptype: PropType::String,
        label: "user name",
        name: Some("PR_USER_NAME"),
        documentation: Documentation::Documented,
        source: "EdkMdb.h, \"Identity of store\", all stores",
    },
    Entry {
        id: unpublished::USER_NAME,
        ptype: PropType::String8,
        label: "user name",
        name: Some("PR_USER_NAME"),
        documentation: Documentation::Documented,
        source: "EdkMdb.h, \"Identity of store\", all stores",
    },
    Entry {
        id: pid::MAILBOX_OWNER_ENTRY_ID,
        ptype: PropType::Binary,
        label: "mailbox owner EntryID",
        name: Some("PR_MAILBOX_OWNER_ENTRYID"),
        documentation: Documentation::Documented,
        source: "EdkMdb.h, \"Identity of store\", all mailbox stores; an Address Book \
                 EntryID, [MS-OXCDATA] 2.2.5.2",
    },
    Entry {
        id: pid::MAILBOX_OWNER_NAME,
        ptype: PropType::String,
        label: "mailbox owner",
        name: Some("PR_MAILBOX_OWNER_NAME"),
        documentation: Documentation::Documented,
        source: "EdkMdb.h, \"Identity of store\", all mailbox stores",
    },
    Entry {
        id: pid::MAILBOX_OWNER_NAME,
        ptype: PropType::String8,
        label: "mailbox owner",
        name: Some("PR_MAILBOX_OWNER_NAME"),
        documentation: Documentation::Documented,
        source: "EdkMdb.h, \"Identity of store\", all mailbox stores",
    },
    Entry {
        id: unpublished::OST_STORE_INT64_661F,
        ptype: PropType::Int64,
        label: "unnamed 64-bit number",
        name: None,
        documentation: Documentation::Undocumented,
        source: "no published name (EdkMdb.h's 0x661F is PR_IPM_DAF_ENTRYID, a PT_BINARY \
                 store property, not this PtypInteger64)",
    },
    Entry {
        id: unpublished::OST_STORE_INT32_6620,
        ptype: PropType::Int32,
        label: "unnamed number",
        name: None,
        documentation: Documentation::Undocumented,
        source: "no published name (EdkMdb.h's 0x6620 is PR_NON_IPM_SUBTREE_ENTRYID, a \
                 PT_BINARY store property, not this PtypInteger32)",
    },
    Entry {
        id: pid::MAXIMUM_SUBMIT_MESSAGE_SIZE,
        ptype: PropType::Int32,
        label: "largest message the user may send, in KB",
        name: Some("PidTagMaximumSubmitMessageSize"),
        documentation: Documentation::Documented,
        source: "PR_MAX_SUBMIT_MESSAGE_SIZE, EdkMdb.h: \"Quota information on the store in \
                 KB\"; [MS-OXPROPS] PidTagMaximumSubmitMessageSize",
    },
    Entry {
        id: unpublished::LATEST_PST_ENSURE,
        ptype: PropType::Int32,
        label: "number",
        name: Some("PidTagLatestPstEnsure"),
        documentation: Documentation::NameOnly,
        source: "named PR_LATEST_PST_ENSURE / PidTagLatestPstEnsure in MFCMAPI's property \
                 table and in libfmapi; what it holds is not published",
    },
    Entry {
        id: unpublished::OST_OSTID,
        ptype: PropType::Binary,
        label: "OST id",
        name: Some("PR_OST_OSTID"),
        documentation: Documentation::NameOnly,
        source: "MFCMAPI's property table; Microsoft support article 3046189: a hidden \
                 property on the mailbox's Top of Information Store to which each new \
                 cached-mode profile adds about 20 bytes; the layout is not published",
    },
    Entry {
        id: unpublished::OST_ADDRESS_LISTS,
        ptype: PropType::MultipleString,
        label: "address lists",
        name: None,
        documentation: Documentation::Undocumented,
        source: "no published name (MFCMAPI's 0x7C06 is PR_ROAMING_DATATYPES, a PT_LONG, \
                 not these strings); the strings have the form of Exchange address-list \
                 paths (Get-AddressList: \"Path\\AddressListName\")",
    },
    Entry {
        id: pid::ROAMING_DICTIONARY,
        ptype: PropType::Binary,
        label: "unnamed bytes",
        name: None,
        documentation: Documentation::Undocumented,
        source: "MFCMAPI names 0x7C070102 PR_ROAMING_DICTIONARY (PidTagRoamingDictionary), \
                 a property of configuration messages, not of a store; what it holds on a \
                 store is not published",
    },
    Entry {
        id: unpublished::OST_STORE_INT32_7C0C,
        ptype: PropType::Int32,
        label: "unnamed number",
        name: None,
        documentation: Documentation::Undocumented,
        source: "no published name (not in EdkMdb.h, mapitags.h, MFCMAPI or libfmapi)",
    },
    Entry {
        id: unpublished::OST_STORE_INT64_7C0D,
        ptype: PropType::Int64,
        label: "unnamed 64-bit number",
        name: None,
        documentation: Documentation::Undocumented,
        source: "no published name (not in EdkMdb.h, mapitags.h, MFCMAPI or libfmapi)",
    },
    Entry {
        id: unpublished::OST_STORE_FLAG_7C11,
        ptype: PropType::Boolean,
        label: "unnamed flag",
        name: None,
        documentation: Documentation::Undocumented,
        source: "no published name (not in EdkMdb.h, mapitags.h, MFCMAPI or libfmapi)",
    },
    Entry {
        id: unpublished::OST_STORE_INT32_7C13,
        ptype: PropType::Int32,
        label: "unnamed number",
        name: None,
        documentation: Documentation::Undocumented,
        source: "no published name (not in EdkMdb.h, mapitags.h, MFCMAPI or libfmapi)",
    },
];

/// Where other store properties with no name in pstkit's sources are
/// reported from: the store range of mapitags.h (0x3400–0x35FF), the
/// provider-defined range (0x6600–0x67FF) and the non-transmittable
/// message-class range (0x7C00–0x7FFF).
fn reported_range(id: u16) -> bool {
    matches!(id, 0x3400..=0x35FF | 0x6600..=0x67FF | 0x7C00..=0x7FFF)
}

/// Where a file's mailbox GUID was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuidSource {
    /// The property and what in it (`0x66150048`, `0x34160102 Provider UID`).
    pub source: String,
    /// The GUID it holds.
    pub guid: Guid,
}

/// The mailbox a file names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileMailbox {
    /// No property names a mailbox.
    None,
    /// Every property that names a mailbox names this one.
    Agreed(Guid),
    /// The properties name different mailboxes.
    Disagree,
}

/// Everything the store object says about who the file belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreIdentity {
    /// The properties, in tag order.
    pub identities: Vec<Identity>,
    /// Each mailbox GUID found, and where.
    pub guid_sources: Vec<GuidSource>,
}

impl StoreIdentity {
    /// Reads the store object's properties.
    pub fn read(store: &Store<'_>) -> StoreIdentity {
        let props = store
            .properties()
            .props()
            .filter_map(|(tag, v)| v.ok().map(|v| (tag, v)));
        StoreIdentity::from_props(props)
    }

    /// Builds the report from properties (for files and for tests).
    pub fn from_props(props: impl IntoIterator<Item = (PropTag, PropValue)>) -> StoreIdentity {
        let mut identities = Vec::new();
        let mut guid_sources = Vec::new();
        for (tag, v) in props {
            let id = tag.id();
            let ptype = tag.prop_type();
            let entry = CATALOGUE.iter().find(|e| e.id == id && e.ptype == ptype);
            let Some(e) = entry else {
                if reported_range(id.0) && crate::tagnames::tag_name(id.0).is_none() {
                    identities.push(Identity {
                        tag,
                        label: "unnamed property",
                        name: None,
                        documentation: Documentation::Undocumented,
                        source: "no name in EdkMdb.h, mapitags.h, MFCMAPI, libfmapi or \
                                 [MS-OXPROPS] for this id and type",
                        value: IdentityValue::of(&v),
                    });
                }
                continue;
            };
            let value = match (id, &v) {
                (unpublished::OST_FOLDER_ENTRY_ID, PropValue::Binary(b)) => {
                    match FolderEntryId::parse(b) {
                        Some(f) => {
                            if f.folder_type == 0x0001 {
                                guid_sources.push(GuidSource {
                                    source: format!("0x{:08X} Provider UID", tag.0),
                                    guid: f.provider_uid,
                                });
                            }
                            IdentityValue::FolderEntryId(f)
                        }
                        None => IdentityValue::of(&v),
                    }
                }
                (pid::USER_ENTRY_ID | pid::MAILBOX_OWNER_ENTRY_ID, PropValue::Binary(b)) => {
                    match AbEntryId::parse(b) {
                        Some(a) => IdentityValue::AbEntryId(a),
                        None => IdentityValue::of(&v),
                    }
                }
                (unpublished::OST_MAILBOX_GUID, PropValue::Guid(g)) => {
                    guid_sources.push(GuidSource {
                        source: format!("0x{:08X}", tag.0),
                        guid: Guid(*g),
                    });
                    IdentityValue::Guid(Guid(*g))
                }
                _ => IdentityValue::of(&v),
            };
            identities.push(Identity {
                tag,
                label: e.label,
                name: e.name,
                documentation: e.documentation,
                source: e.source,
                value,
            });
        }
        // The mailbox GUID first, then in tag order.
        let mailbox_guid = format!("0x{:08X}", unpublished::tags::OST_MAILBOX_GUID.0);
        guid_sources.sort_by_key(|s| s.source != mailbox_guid);
        StoreIdentity {
            identities,
            guid_sources,
        }
    }

    /// The mailbox the file names, when its properties agree on one.
    pub fn mailbox(&self) -> FileMailbox {
        let Some(first) = self.guid_sources.first() else {
            return FileMailbox::None;
        };
        if self.guid_sources.iter().all(|s| s.guid == first.guid) {
            FileMailbox::Agreed(first.guid)
        } else {
            FileMailbox::Disagree
        }
    }
}

/// Hex digits of bytes, for reports.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The Aspose sample OST's 0x3416.
    const ASPOSE_3416: &str =
        "00000000975647ad64823b458dacb3f7f1e8d53e0100f6969b54aab8b442a46d2551f038a2430000198529840000";

    #[test]
    fn folder_entry_id_of_the_sample() {
        let f = FolderEntryId::parse(&unhex(ASPOSE_3416)).unwrap();
        assert_eq!(f.flags, [0; 4]);
        assert_eq!(
            f.provider_uid.to_string(),
            "{AD475697-8264-453B-8DAC-B3F7F1E8D53E}"
        );
        assert_eq!(f.folder_type, 1);
        assert_eq!(f.folder_type_name(), "PrivateFolder (eitLTPrivateFolder)");
        assert_eq!(
            f.database_guid.to_string(),
            "{549B96F6-B8AA-42B4-A46D-2551F038A243}"
        );
        assert_eq!(f.global_counter, [0x00, 0x00, 0x19, 0x85, 0x29, 0x84]);
        assert_eq!(f.pad, [0, 0]);
        // Other sizes and message types are not folder EntryIDs.
        assert!(FolderEntryId::parse(&unhex(ASPOSE_3416)[..45]).is_none());
        let mut m = unhex(ASPOSE_3416);
        m[20] = 7;
        assert!(FolderEntryId::parse(&m).is_none());
    }

    #[test]
    fn both_guids_agree_or_disagree() {
        let g = unhex("975647ad64823b458dacb3f7f1e8d53e");
        let g: [u8; 16] = g.try_into().unwrap();
        let props = |guid: [u8; 16]| {
            vec![
                (
                    PropTag::new(PropId(0x3416), PropType::Binary),
                    PropValue::Binary(unhex(ASPOSE_3416)),
                ),
                (
                    PropTag::new(PropId(0x6615), PropType::Guid),
                    PropValue::Guid(guid),
                ),
                (
                    PropTag::new(PropId(0x7C06), PropType::MultipleString),
                    PropValue::MultipleString(vec!["\\Global Address List".into()]),
                ),
                (
                    PropTag::new(PropId(0x341A), PropType::Int32),
                    PropValue::Int32(7),
                ),
                (
                    PropTag::new(PropId(0x6633), PropType::Boolean),
                    PropValue::Boolean(true),
                ),
            ]
        };
        let id = StoreIdentity::from_props(props(g));
        assert_eq!(id.mailbox(), FileMailbox::Agreed(Guid(g)));
        assert_eq!(id.guid_sources.len(), 2);
        assert_eq!(id.guid_sources[0].source, "0x66150048");
        assert_eq!(id.guid_sources[1].source, "0x34160102 Provider UID");
        // 0x6633 has a name in pstkit's table: not an identity.
        assert_eq!(id.identities.len(), 4);
        let unnamed = id
            .identities
            .iter()
            .find(|i| i.tag.id().0 == 0x341A)
            .unwrap();
        assert_eq!(unnamed.documentation, Documentation::Undocumented);
        let lists = id
            .identities
            .iter()
            .find(|i| i.tag.id().0 == 0x7C06)
            .unwrap();
        assert_eq!(
            lists.value,
            IdentityValue::Strings(vec!["\\Global Address List".into()])
        );
        let mut other = g;
        other[0] ^= 1;
        assert_eq!(
            StoreIdentity::from_props(props(other)).mailbox(),
            FileMailbox::Disagree
        );
        assert_eq!(
            StoreIdentity::from_props(Vec::new()).mailbox(),
            FileMailbox::None
        );
    }

    #[test]
    fn address_book_entry_id() {
        let mut b = vec![0u8; 4];
        b.extend_from_slice(&AB_PROVIDER);
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(b"/o=Example/ou=Exchange/cn=Recipients/cn=ann\0");
        let a = AbEntryId::parse(&b).unwrap();
        assert_eq!(a.dn, "/o=Example/ou=Exchange/cn=Recipients/cn=ann");
        assert_eq!(a.object_type, 0);
        assert!(AbEntryId::parse(&b[..27]).is_none());
        b[5] ^= 1;
        assert!(AbEntryId::parse(&b).is_none());
    }
}
