//! Canonical [MS-OXPROPS] names of well-known MAPI property ids.
//!
//! Used by commands that list raw properties, so that a reader sees
//! `PidTagSubject` instead of `0x0037`. The names are those of the property
//! table in [`pstkit_ltp::props`]; only tagged properties (ids below 0x8000)
//! are covered, named properties need the name-to-id map of the store and
//! are resolved elsewhere.

use pstkit_ltp::{props, PropId};

/// Returns the canonical name of the property with id `prop_id`, or `None`
/// when the id is not in the table (the caller then prints the number).
pub fn tag_name(prop_id: u16) -> Option<&'static str> {
    props::name_of(PropId(prop_id))
}

/// The table as `show` sees it, for the checks below.
#[cfg(test)]
const TAG_NAMES: &[(u16, &str)] = props::NAMES;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_without_duplicates() {
        for pair in TAG_NAMES.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "{:#06x} before {:#06x}",
                pair[0].0,
                pair[1].0
            );
        }
    }

    #[test]
    fn names_are_canonical_and_unique() {
        let mut names: Vec<&str> = TAG_NAMES.iter().map(|&(_, name)| name).collect();
        assert!(names.iter().all(|name| name.starts_with("PidTag")
            && name[6..].chars().all(|c| c.is_ascii_alphanumeric())));
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "a name appears twice");
        assert!(before >= 250, "only {before} names");
    }

    #[test]
    fn well_known_ids() {
        let expected = [
            (0x0037, "PidTagSubject"),
            (0x001A, "PidTagMessageClass"),
            (0x1000, "PidTagBody"),
            (0x1013, "PidTagBodyHtml"),
            (0x1009, "PidTagRtfCompressed"),
            (0x3001, "PidTagDisplayName"),
            (0x3003, "PidTagEmailAddress"),
            (0x39FE, "PidTagSmtpAddress"),
            (0x3701, "PidTagAttachDataBinary"),
            (0x3707, "PidTagAttachLongFilename"),
            (0x0E07, "PidTagMessageFlags"),
            (0x0C1A, "PidTagSenderName"),
            (0x0042, "PidTagSentRepresentingName"),
            (0x007D, "PidTagTransportMessageHeaders"),
            (0x1035, "PidTagInternetMessageId"),
            (0x3FDE, "PidTagInternetCodepage"),
            (0x67F2, "PidTagLtpRowId"),
            (0x67FF, "PidTagPstPassword"),
            (0x0FFF, "PidTagEntryId"),
        ];
        for (id, name) in expected {
            assert_eq!(tag_name(id), Some(name), "{id:#06x}");
        }
    }

    #[test]
    fn unknown_ids_have_no_name() {
        assert_eq!(tag_name(0x0000), None);
        assert_eq!(tag_name(0x8000), None);
        assert_eq!(tag_name(0xFFFF), None);
        assert_eq!(tag_name(0x0038), None);
    }
}
