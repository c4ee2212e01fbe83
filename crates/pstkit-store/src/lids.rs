//! Well-known named properties ([MS-OXPROPS] `PidLid…`): property set, LID,
//! type and canonical name, each given once.
//!
//! A named property has no fixed id: a file maps it to an id from 0x8000 up
//! in its name-to-id map, so code asks the map (`NameMap::find`) or the
//! writer (`PstWriter::named_prop`) for the id of [`KnownLid::named`].

use pstkit_ltp::PropType;

use crate::names::{Guid, NamedProp, PropName};

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownLid {
    /// The property set.
    pub guid: Guid,
    /// The numeric name within the set.
    pub lid: u32,
    /// The type [MS-OXPROPS] gives it.
    pub ptype: PropType,
    /// The canonical name, `PidLid…`.
    pub name: &'static str,
}

impl KnownLid {
    /// The name to look up in, or add to, a file's name-to-id map.
    pub fn named(self) -> NamedProp {
        NamedProp {
            guid: self.guid,
            name: PropName::Id(self.lid),
        }
    }
}

/// Generates a [`KnownLid`] constant per row `CONST = SET, lid, Type,
/// "PidLidName";` and the rows in order (`ALL`).
macro_rules! known_lids {
    ($($name:ident = $set:ident, $lid:literal, $ty:ident, $canon:literal;)*) => {
        $(
            #[doc = concat!("`", $canon, "` (", stringify!($set), ", ", stringify!($lid), ").")]
            pub const $name: KnownLid = KnownLid {
                guid: Guid::$set,
                lid: $lid,
                ptype: PropType::$ty,
                name: $canon,
            };
        )*

        /// Every row, sorted by property set (stored bytes) then LID.
        pub const ALL: &[KnownLid] = &[$($name,)*];
    };
}

/// The row of the named property `np`, when it is one of the table's.
pub fn lookup(np: &NamedProp) -> Option<&'static KnownLid> {
    let PropName::Id(lid) = np.name else {
        return None;
    };
    ALL.iter().find(|k| k.guid == np.guid && k.lid == lid)
}

known_lids! {
    // PSETID_Appointment.
    BUSY_STATUS = APPOINTMENT, 0x8205, Int32, "PidLidBusyStatus";
    LOCATION = APPOINTMENT, 0x8208, String, "PidLidLocation";
    APPOINTMENT_START_WHOLE = APPOINTMENT, 0x820D, Time, "PidLidAppointmentStartWhole";
    APPOINTMENT_END_WHOLE = APPOINTMENT, 0x820E, Time, "PidLidAppointmentEndWhole";
    APPOINTMENT_SUB_TYPE = APPOINTMENT, 0x8215, Boolean, "PidLidAppointmentSubType";
    RECURRING = APPOINTMENT, 0x8223, Boolean, "PidLidRecurring";
    // PSETID_Task.
    TASK_STATUS = TASK, 0x8101, Int32, "PidLidTaskStatus";
    PERCENT_COMPLETE = TASK, 0x8102, Float64, "PidLidPercentComplete";
    TASK_START_DATE = TASK, 0x8104, Time, "PidLidTaskStartDate";
    TASK_DUE_DATE = TASK, 0x8105, Time, "PidLidTaskDueDate";
    TASK_COMPLETE = TASK, 0x811C, Boolean, "PidLidTaskComplete";
    // PSETID_Address.
    FILE_UNDER = ADDRESS, 0x8005, String, "PidLidFileUnder";
    EMAIL1_DISPLAY_NAME = ADDRESS, 0x8080, String, "PidLidEmail1DisplayName";
    EMAIL1_ADDRESS_TYPE = ADDRESS, 0x8082, String, "PidLidEmail1AddressType";
    EMAIL1_EMAIL_ADDRESS = ADDRESS, 0x8083, String, "PidLidEmail1EmailAddress";
    EMAIL1_ORIGINAL_DISPLAY_NAME = ADDRESS, 0x8084, String, "PidLidEmail1OriginalDisplayName";
    EMAIL2_DISPLAY_NAME = ADDRESS, 0x8090, String, "PidLidEmail2DisplayName";
    EMAIL2_ADDRESS_TYPE = ADDRESS, 0x8092, String, "PidLidEmail2AddressType";
    EMAIL2_EMAIL_ADDRESS = ADDRESS, 0x8093, String, "PidLidEmail2EmailAddress";
    EMAIL3_DISPLAY_NAME = ADDRESS, 0x80A0, String, "PidLidEmail3DisplayName";
    EMAIL3_ADDRESS_TYPE = ADDRESS, 0x80A2, String, "PidLidEmail3AddressType";
    EMAIL3_EMAIL_ADDRESS = ADDRESS, 0x80A3, String, "PidLidEmail3EmailAddress";
    // PSETID_Common.
    REMINDER_DELTA = COMMON, 0x8501, Int32, "PidLidReminderDelta";
    REMINDER_TIME = COMMON, 0x8502, Time, "PidLidReminderTime";
    REMINDER_SET = COMMON, 0x8503, Boolean, "PidLidReminderSet";
    GLOBAL_OBJECT_ID = MEETING, 0x0003, Binary, "PidLidGlobalObjectId";
    CLEAN_GLOBAL_OBJECT_ID = MEETING, 0x0023, Binary, "PidLidCleanGlobalObjectId";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_resolves() {
        let key = |k: &KnownLid| (k.guid.0, k.lid);
        for pair in ALL.windows(2) {
            assert!(
                key(&pair[0]) < key(&pair[1]),
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
        let mut names: Vec<&str> = ALL.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len(), "a name appears twice");
        for k in ALL {
            assert!(k.name.starts_with("PidLid"), "{}", k.name);
            assert_eq!(lookup(&k.named()), Some(k));
        }
        assert_eq!(
            EMAIL1_EMAIL_ADDRESS.named(),
            NamedProp {
                guid: Guid::ADDRESS,
                name: PropName::Id(0x8083)
            }
        );
        assert_eq!(
            lookup(&NamedProp {
                guid: Guid::TASK,
                name: PropName::Id(0x8083)
            }),
            None
        );
    }
}
