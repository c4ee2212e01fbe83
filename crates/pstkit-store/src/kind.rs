//! What kind of item a message class names.

/// The kind of an item, from its PidTagMessageClass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// E-mail (`IPM.Note`, and classes derived from it).
    Mail,
    /// Calendar item (`IPM.Appointment`).
    Appointment,
    /// Meeting request or response (`IPM.Schedule.Meeting`).
    Meeting,
    /// Contact (`IPM.Contact`).
    Contact,
    /// Distribution list (`IPM.DistList`).
    DistributionList,
    /// Task (`IPM.Task`).
    Task,
    /// Sticky note (`IPM.StickyNote`).
    Note,
    /// Journal entry (`IPM.Activity`).
    Journal,
    /// Post in a folder (`IPM.Post`).
    Post,
    /// Anything else.
    Other,
}

impl ItemKind {
    /// Classifies a message class (case-insensitive, by its leading parts).
    pub fn from_class(class: &str) -> ItemKind {
        let c = class.to_ascii_lowercase();
        let is = |p: &str| {
            c.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        };
        // Exceptions of recurring appointments are stored under this class
        // ([MS-OXOCAL] 2.2.10.1.1).
        if is("ipm.appointment") || c == "ipm.ole.class.{00061055-0000-0000-c000-000000000046}" {
            ItemKind::Appointment
        } else if is("ipm.schedule.meeting") {
            ItemKind::Meeting
        } else if is("ipm.contact") {
            ItemKind::Contact
        } else if is("ipm.distlist") {
            ItemKind::DistributionList
        } else if is("ipm.task") || is("ipm.taskrequest") {
            ItemKind::Task
        } else if is("ipm.stickynote") {
            ItemKind::Note
        } else if is("ipm.activity") {
            ItemKind::Journal
        } else if is("ipm.post") {
            ItemKind::Post
        } else if is("ipm.note") || c == "ipm" || is("report.ipm.note") || is("ipm.outlook.recall")
        {
            ItemKind::Mail
        } else {
            ItemKind::Other
        }
    }

    /// A short lower-case name for listings.
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Mail => "mail",
            ItemKind::Appointment => "appointment",
            ItemKind::Meeting => "meeting",
            ItemKind::Contact => "contact",
            ItemKind::DistributionList => "distribution-list",
            ItemKind::Task => "task",
            ItemKind::Note => "note",
            ItemKind::Journal => "journal",
            ItemKind::Post => "post",
            ItemKind::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(ItemKind::from_class("IPM.Note"), ItemKind::Mail);
        assert_eq!(
            ItemKind::from_class("IPM.Note.SMIME.MultipartSigned"),
            ItemKind::Mail
        );
        assert_eq!(
            ItemKind::from_class("ipm.appointment"),
            ItemKind::Appointment
        );
        assert_eq!(
            ItemKind::from_class("IPM.Schedule.Meeting.Request"),
            ItemKind::Meeting
        );
        assert_eq!(ItemKind::from_class("IPM.Contact"), ItemKind::Contact);
        assert_eq!(
            ItemKind::from_class("IPM.DistList"),
            ItemKind::DistributionList
        );
        assert_eq!(ItemKind::from_class("IPM.StickyNote"), ItemKind::Note);
        assert_eq!(ItemKind::from_class("IPM.Activity"), ItemKind::Journal);
        assert_eq!(ItemKind::from_class("IPM.Task"), ItemKind::Task);
        assert_eq!(ItemKind::from_class("IPM.Post"), ItemKind::Post);
        assert_eq!(ItemKind::from_class("IPM.Notebook"), ItemKind::Other);
        assert_eq!(ItemKind::from_class("REPORT.IPM.Note.NDR"), ItemKind::Mail);
    }
}
