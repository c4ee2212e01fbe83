//! The one table of tagged properties pstkit knows ([MS-OXPROPS]).
//!
//! Each row gives a property's id, its canonical type and its canonical
//! name once; the constants code reads and writes with and the id-to-name
//! lookup that `pstkit show` prints from are all generated from it, so a
//! number cannot drift from its name. Named properties (ids from 0x8000)
//! are not here: their ids differ per file and come from the name-to-id map.
//!
//! - [`SUBJECT`] and its siblings are [`PropId`]s, which match a property of
//!   any type, as readers want (a file may hold `PtypString8` where the
//!   table says `PtypString`).
//! - [`tags::SUBJECT`] and its siblings are [`PropTag`]s with the canonical
//!   type, for writers.
//! - [`NAMES`] is sorted by id for [`name_of`].
//! - [`unpublished`] holds the few properties pstkit reads or writes that
//!   have no published name; [`FIRST_NAMED_ID`] is where named properties
//!   begin.
//!
//! Where one id carries several names (0x1013 is `PidTagHtml` and
//! `PidTagBodyHtml`, 0x3701 `PidTagAttachDataBinary` and
//! `PidTagAttachDataObject`), the row holds the name a message reader
//! expects; a writer that stores the other type builds its tag with
//! [`PropTag::new`].

use crate::tag::{PropId, PropTag, PropType};

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaggedProp {
    /// The property id.
    pub id: PropId,
    /// The type [MS-OXPROPS] gives it.
    pub ptype: PropType,
    /// The canonical name, `PidTag…`.
    pub name: &'static str,
}

impl TaggedProp {
    /// The tag with the canonical type.
    pub const fn tag(self) -> PropTag {
        PropTag::new(self.id, self.ptype)
    }
}

/// Generates, from rows `CONST = id, Type, "PidTagName";`, a [`PropId`]
/// constant per row, a [`PropTag`] constant of the canonical type per row
/// (in a `tags` module), the rows themselves (`ALL`) and the `(id, name)`
/// pairs (`NAMES`), in row order.
macro_rules! tagged_properties {
    ($($(#[$doc:meta])* $name:ident = $id:literal, $ty:ident, $canon:literal;)*) => {
        $(
            #[doc = concat!("`", $canon, "` (", stringify!($id), ").")]
            $(#[$doc])*
            pub const $name: PropId = PropId($id);
        )*

        /// The table's properties as tags of their canonical types.
        pub mod tags {
            use crate::tag::{PropTag, PropType};
            $(
                #[doc = concat!("`", $canon, "` as a [`PropType::", stringify!($ty), "`] tag.")]
                pub const $name: PropTag = PropTag::new(super::$name, PropType::$ty);
            )*
        }

        /// Every row, in table order.
        pub const ALL: &[TaggedProp] = &[
            $(TaggedProp { id: $name, ptype: PropType::$ty, name: $canon },)*
        ];

        /// `(id, canonical name)` of every row, in table order.
        pub const NAMES: &[(u16, &str)] = &[$(($id, $canon),)*];
    };
}

/// The canonical name of tagged property `id`, or `None` when the table
/// does not have it (the caller then prints the number).
pub fn name_of(id: PropId) -> Option<&'static str> {
    NAMES
        .binary_search_by_key(&id.0, |&(i, _)| i)
        .ok()
        .and_then(|index| NAMES.get(index))
        .map(|&(_, name)| name)
}

/// The row of tagged property `id`.
pub fn lookup(id: PropId) -> Option<&'static TaggedProp> {
    ALL.binary_search_by_key(&id, |p| p.id)
        .ok()
        .and_then(|index| ALL.get(index))
}

// Sorted by id without duplicates: `name_of` and `lookup` binary search.
tagged_properties! {
    // Message envelope.
    ALTERNATE_RECIPIENT_ALLOWED = 0x0002, Boolean, "PidTagAlternateRecipientAllowed";
    AUTO_FORWARDED = 0x0005, Boolean, "PidTagAutoForwarded";
    DEFERRED_DELIVERY_TIME = 0x000F, Time, "PidTagDeferredDeliveryTime";
    DELIVER_TIME = 0x0010, Time, "PidTagDeliverTime";
    EXPIRY_TIME = 0x0015, Time, "PidTagExpiryTime";
    IMPORTANCE = 0x0017, Int32, "PidTagImportance";
    MESSAGE_CLASS = 0x001A, String, "PidTagMessageClass";
    ORIGINATOR_DELIVERY_REPORT_REQUESTED = 0x0023, Boolean, "PidTagOriginatorDeliveryReportRequested";
    PARENT_KEY = 0x0025, Binary, "PidTagParentKey";
    PRIORITY = 0x0026, Int32, "PidTagPriority";
    READ_RECEIPT_REQUESTED = 0x0029, Boolean, "PidTagReadReceiptRequested";
    RECEIPT_TIME = 0x002A, Time, "PidTagReceiptTime";
    RECIPIENT_REASSIGNMENT_PROHIBITED = 0x002B, Boolean, "PidTagRecipientReassignmentProhibited";
    ORIGINAL_SENSITIVITY = 0x002E, Int32, "PidTagOriginalSensitivity";
    REPLY_TIME = 0x0030, Time, "PidTagReplyTime";
    REPORT_TAG = 0x0031, Binary, "PidTagReportTag";
    REPORT_TIME = 0x0032, Time, "PidTagReportTime";
    SENSITIVITY = 0x0036, Int32, "PidTagSensitivity";
    SUBJECT = 0x0037, String, "PidTagSubject";
    CLIENT_SUBMIT_TIME = 0x0039, Time, "PidTagClientSubmitTime";
    REPORT_NAME = 0x003A, String, "PidTagReportName";
    SENT_REPRESENTING_SEARCH_KEY = 0x003B, Binary, "PidTagSentRepresentingSearchKey";
    SUBJECT_PREFIX = 0x003D, String, "PidTagSubjectPrefix";
    RECEIVED_BY_ENTRY_ID = 0x003F, Binary, "PidTagReceivedByEntryId";
    RECEIVED_BY_NAME = 0x0040, String, "PidTagReceivedByName";
    SENT_REPRESENTING_ENTRY_ID = 0x0041, Binary, "PidTagSentRepresentingEntryId";
    SENT_REPRESENTING_NAME = 0x0042, String, "PidTagSentRepresentingName";
    RECEIVED_REPRESENTING_ENTRY_ID = 0x0043, Binary, "PidTagReceivedRepresentingEntryId";
    RECEIVED_REPRESENTING_NAME = 0x0044, String, "PidTagReceivedRepresentingName";
    REPORT_ENTRY_ID = 0x0045, Binary, "PidTagReportEntryId";
    READ_RECEIPT_ENTRY_ID = 0x0046, Binary, "PidTagReadReceiptEntryId";
    MESSAGE_SUBMISSION_ID = 0x0047, Binary, "PidTagMessageSubmissionId";
    PROVIDER_SUBMIT_TIME = 0x0048, Time, "PidTagProviderSubmitTime";
    ORIGINAL_SUBJECT = 0x0049, String, "PidTagOriginalSubject";
    ORIGINAL_MESSAGE_CLASS = 0x004B, String, "PidTagOriginalMessageClass";
    ORIGINAL_AUTHOR_ENTRY_ID = 0x004C, Binary, "PidTagOriginalAuthorEntryId";
    ORIGINAL_AUTHOR_NAME = 0x004D, String, "PidTagOriginalAuthorName";
    ORIGINAL_SUBMIT_TIME = 0x004E, Time, "PidTagOriginalSubmitTime";
    REPLY_RECIPIENT_ENTRIES = 0x004F, Binary, "PidTagReplyRecipientEntries";
    REPLY_RECIPIENT_NAMES = 0x0050, String, "PidTagReplyRecipientNames";
    RECEIVED_BY_SEARCH_KEY = 0x0051, Binary, "PidTagReceivedBySearchKey";
    RECEIVED_REPRESENTING_SEARCH_KEY = 0x0052, Binary, "PidTagReceivedRepresentingSearchKey";
    READ_RECEIPT_SEARCH_KEY = 0x0053, Binary, "PidTagReadReceiptSearchKey";
    REPORT_SEARCH_KEY = 0x0054, Binary, "PidTagReportSearchKey";
    ORIGINAL_DELIVERY_TIME = 0x0055, Time, "PidTagOriginalDeliveryTime";
    MESSAGE_TO_ME = 0x0057, Boolean, "PidTagMessageToMe";
    MESSAGE_CC_ME = 0x0058, Boolean, "PidTagMessageCcMe";
    MESSAGE_RECIPIENT_ME = 0x0059, Boolean, "PidTagMessageRecipientMe";
    ORIGINAL_SENDER_NAME = 0x005A, String, "PidTagOriginalSenderName";
    ORIGINAL_SENDER_ENTRY_ID = 0x005B, Binary, "PidTagOriginalSenderEntryId";
    ORIGINAL_SENDER_SEARCH_KEY = 0x005C, Binary, "PidTagOriginalSenderSearchKey";
    ORIGINAL_SENT_REPRESENTING_NAME = 0x005D, String, "PidTagOriginalSentRepresentingName";
    ORIGINAL_SENT_REPRESENTING_ENTRY_ID = 0x005E, Binary, "PidTagOriginalSentRepresentingEntryId";
    ORIGINAL_SENT_REPRESENTING_SEARCH_KEY = 0x005F, Binary, "PidTagOriginalSentRepresentingSearchKey";
    START_DATE = 0x0060, Time, "PidTagStartDate";
    END_DATE = 0x0061, Time, "PidTagEndDate";
    OWNER_APPOINTMENT_ID = 0x0062, Int32, "PidTagOwnerAppointmentId";
    RESPONSE_REQUESTED = 0x0063, Boolean, "PidTagResponseRequested";
    SENT_REPRESENTING_ADDRESS_TYPE = 0x0064, String, "PidTagSentRepresentingAddressType";
    SENT_REPRESENTING_EMAIL_ADDRESS = 0x0065, String, "PidTagSentRepresentingEmailAddress";
    ORIGINAL_SENDER_ADDRESS_TYPE = 0x0066, String, "PidTagOriginalSenderAddressType";
    ORIGINAL_SENDER_EMAIL_ADDRESS = 0x0067, String, "PidTagOriginalSenderEmailAddress";
    ORIGINAL_SENT_REPRESENTING_ADDRESS_TYPE = 0x0068, String, "PidTagOriginalSentRepresentingAddressType";
    ORIGINAL_SENT_REPRESENTING_EMAIL_ADDRESS = 0x0069, String, "PidTagOriginalSentRepresentingEmailAddress";
    CONVERSATION_TOPIC = 0x0070, String, "PidTagConversationTopic";
    CONVERSATION_INDEX = 0x0071, Binary, "PidTagConversationIndex";
    ORIGINAL_DISPLAY_BCC = 0x0072, String, "PidTagOriginalDisplayBcc";
    ORIGINAL_DISPLAY_CC = 0x0073, String, "PidTagOriginalDisplayCc";
    ORIGINAL_DISPLAY_TO = 0x0074, String, "PidTagOriginalDisplayTo";
    RECEIVED_BY_ADDRESS_TYPE = 0x0075, String, "PidTagReceivedByAddressType";
    RECEIVED_BY_EMAIL_ADDRESS = 0x0076, String, "PidTagReceivedByEmailAddress";
    RECEIVED_REPRESENTING_ADDRESS_TYPE = 0x0077, String, "PidTagReceivedRepresentingAddressType";
    RECEIVED_REPRESENTING_EMAIL_ADDRESS = 0x0078, String, "PidTagReceivedRepresentingEmailAddress";
    TRANSPORT_MESSAGE_HEADERS = 0x007D, String, "PidTagTransportMessageHeaders";
    TNEF_CORRELATION_KEY = 0x007F, Binary, "PidTagTnefCorrelationKey";
    // Non-delivery reports, recipients and sender.
    NON_DELIVERY_REPORT_REASON_CODE = 0x0C04, Int32, "PidTagNonDeliveryReportReasonCode";
    NON_DELIVERY_REPORT_DIAG_CODE = 0x0C05, Int32, "PidTagNonDeliveryReportDiagCode";
    NON_RECEIPT_NOTIFICATION_REQUESTED = 0x0C06, Boolean, "PidTagNonReceiptNotificationRequested";
    ORIGINATOR_NON_DELIVERY_REPORT_REQUESTED = 0x0C08, Boolean, "PidTagOriginatorNonDeliveryReportRequested";
    RECIPIENT_TYPE = 0x0C15, Int32, "PidTagRecipientType";
    REPLY_REQUESTED = 0x0C17, Boolean, "PidTagReplyRequested";
    SENDER_ENTRY_ID = 0x0C19, Binary, "PidTagSenderEntryId";
    SENDER_NAME = 0x0C1A, String, "PidTagSenderName";
    SUPPLEMENTARY_INFO = 0x0C1B, String, "PidTagSupplementaryInfo";
    SENDER_SEARCH_KEY = 0x0C1D, Binary, "PidTagSenderSearchKey";
    SENDER_ADDRESS_TYPE = 0x0C1E, String, "PidTagSenderAddressType";
    SENDER_EMAIL_ADDRESS = 0x0C1F, String, "PidTagSenderEmailAddress";
    NON_DELIVERY_REPORT_STATUS_CODE = 0x0C20, Int32, "PidTagNonDeliveryReportStatusCode";
    // Message state.
    DELETE_AFTER_SUBMIT = 0x0E01, Boolean, "PidTagDeleteAfterSubmit";
    DISPLAY_BCC = 0x0E02, String, "PidTagDisplayBcc";
    DISPLAY_CC = 0x0E03, String, "PidTagDisplayCc";
    DISPLAY_TO = 0x0E04, String, "PidTagDisplayTo";
    PARENT_DISPLAY = 0x0E05, String, "PidTagParentDisplay";
    MESSAGE_DELIVERY_TIME = 0x0E06, Time, "PidTagMessageDeliveryTime";
    MESSAGE_FLAGS = 0x0E07, Int32, "PidTagMessageFlags";
    MESSAGE_SIZE = 0x0E08, Int32, "PidTagMessageSize";
    PARENT_ENTRY_ID = 0x0E09, Binary, "PidTagParentEntryId";
    SENT_MAIL_ENTRY_ID = 0x0E0A, Binary, "PidTagSentMailEntryId";
    RESPONSIBILITY = 0x0E0F, Boolean, "PidTagResponsibility";
    MESSAGE_RECIPIENTS = 0x0E12, Object, "PidTagMessageRecipients";
    MESSAGE_ATTACHMENTS = 0x0E13, Object, "PidTagMessageAttachments";
    SUBMIT_FLAGS = 0x0E14, Int32, "PidTagSubmitFlags";
    MESSAGE_STATUS = 0x0E17, Int32, "PidTagMessageStatus";
    HAS_ATTACHMENTS = 0x0E1B, Boolean, "PidTagHasAttachments";
    NORMALIZED_SUBJECT = 0x0E1D, String, "PidTagNormalizedSubject";
    RTF_IN_SYNC = 0x0E1F, Boolean, "PidTagRtfInSync";
    ATTACH_SIZE = 0x0E20, Int32, "PidTagAttachSize";
    ATTACH_NUMBER = 0x0E21, Int32, "PidTagAttachNumber";
    INTERNET_ARTICLE_NUMBER = 0x0E23, Int32, "PidTagInternetArticleNumber";
    PRIMARY_SEND_ACCOUNT = 0x0E28, String, "PidTagPrimarySendAccount";
    NEXT_SEND_ACCT = 0x0E29, String, "PidTagNextSendAcct";
    TO_DO_ITEM_FLAGS = 0x0E2B, Int32, "PidTagToDoItemFlags";
    SWAPPED_TO_DO_STORE = 0x0E2C, Binary, "PidTagSwappedToDoStore";
    SWAPPED_TO_DO_DATA = 0x0E2D, Binary, "PidTagSwappedToDoData";
    REPL_ITEMID = 0x0E30, Int32, "PidTagReplItemid";
    REPL_CHANGENUM = 0x0E33, Int64, "PidTagReplChangenum";
    REPL_VERSION_HISTORY = 0x0E34, Binary, "PidTagReplVersionHistory";
    REPL_FLAGS = 0x0E38, Int32, "PidTagReplFlags";
    /// A column of the contents table template, [MS-PST] 2.4.4.5.1; not in
    /// [MS-OXPROPS].
    REPL_COPIEDFROM_VERSIONHISTORY = 0x0E3C, Binary, "PidTagReplCopiedfromVersionhistory";
    /// A column of the contents table template, [MS-PST] 2.4.4.5.1; not in
    /// [MS-OXPROPS].
    REPL_COPIEDFROM_ITEMID = 0x0E3D, Binary, "PidTagReplCopiedfromItemid";
    READ = 0x0E69, Boolean, "PidTagRead";
    TRUST_SENDER = 0x0E79, Int32, "PidTagTrustSender";
    // Object identity.
    ACCESS = 0x0FF4, Int32, "PidTagAccess";
    INSTANCE_KEY = 0x0FF6, Binary, "PidTagInstanceKey";
    ACCESS_LEVEL = 0x0FF7, Int32, "PidTagAccessLevel";
    MAPPING_SIGNATURE = 0x0FF8, Binary, "PidTagMappingSignature";
    RECORD_KEY = 0x0FF9, Binary, "PidTagRecordKey";
    STORE_RECORD_KEY = 0x0FFA, Binary, "PidTagStoreRecordKey";
    STORE_ENTRY_ID = 0x0FFB, Binary, "PidTagStoreEntryId";
    OBJECT_TYPE = 0x0FFE, Int32, "PidTagObjectType";
    ENTRY_ID = 0x0FFF, Binary, "PidTagEntryId";
    // Bodies and Internet headers.
    BODY = 0x1000, String, "PidTagBody";
    REPORT_TEXT = 0x1001, String, "PidTagReportText";
    RTF_SYNC_BODY_CRC = 0x1006, Int32, "PidTagRtfSyncBodyCrc";
    RTF_SYNC_BODY_COUNT = 0x1007, Int32, "PidTagRtfSyncBodyCount";
    RTF_SYNC_BODY_TAG = 0x1008, String, "PidTagRtfSyncBodyTag";
    RTF_COMPRESSED = 0x1009, Binary, "PidTagRtfCompressed";
    RTF_SYNC_PREFIX_COUNT = 0x1010, Int32, "PidTagRtfSyncPrefixCount";
    RTF_SYNC_TRAILING_COUNT = 0x1011, Int32, "PidTagRtfSyncTrailingCount";
    BODY_HTML = 0x1013, String, "PidTagBodyHtml";
    BODY_CONTENT_LOCATION = 0x1014, String, "PidTagBodyContentLocation";
    BODY_CONTENT_ID = 0x1015, String, "PidTagBodyContentId";
    NATIVE_BODY = 0x1016, Int32, "PidTagNativeBody";
    INTERNET_MESSAGE_ID = 0x1035, String, "PidTagInternetMessageId";
    INTERNET_REFERENCES = 0x1039, String, "PidTagInternetReferences";
    IN_REPLY_TO_ID = 0x1042, String, "PidTagInReplyToId";
    LIST_HELP = 0x1043, String, "PidTagListHelp";
    LIST_SUBSCRIBE = 0x1044, String, "PidTagListSubscribe";
    LIST_UNSUBSCRIBE = 0x1045, String, "PidTagListUnsubscribe";
    ORIGINAL_MESSAGE_ID = 0x1046, String, "PidTagOriginalMessageId";
    ICON_INDEX = 0x1080, Int32, "PidTagIconIndex";
    LAST_VERB_EXECUTED = 0x1081, Int32, "PidTagLastVerbExecuted";
    LAST_VERB_EXECUTION_TIME = 0x1082, Time, "PidTagLastVerbExecutionTime";
    FLAG_STATUS = 0x1090, Int32, "PidTagFlagStatus";
    FLAG_COMPLETE_TIME = 0x1091, Time, "PidTagFlagCompleteTime";
    FOLLOWUP_ICON = 0x1095, Int32, "PidTagFollowupIcon";
    BLOCK_STATUS = 0x1096, Int32, "PidTagBlockStatus";
    ITEM_TEMPORARY_FLAGS = 0x1097, Int32, "PidTagItemTemporaryFlags";
    I_CALENDAR_START_TIME = 0x10C3, Time, "PidTagICalendarStartTime";
    I_CALENDAR_END_TIME = 0x10C4, Time, "PidTagICalendarEndTime";
    CDO_RECURRENCEID = 0x10C5, Time, "PidTagCdoRecurrenceid";
    I_CALENDAR_REMINDER_NEXT_TIME = 0x10CA, Time, "PidTagICalendarReminderNextTime";
    ATTRIBUTE_HIDDEN = 0x10F4, Boolean, "PidTagAttributeHidden";
    ATTRIBUTE_SYSTEM = 0x10F5, Boolean, "PidTagAttributeSystem";
    ATTRIBUTE_READ_ONLY = 0x10F6, Boolean, "PidTagAttributeReadOnly";
    // Common to all objects.
    ROWID = 0x3000, Int32, "PidTagRowid";
    DISPLAY_NAME = 0x3001, String, "PidTagDisplayName";
    ADDRESS_TYPE = 0x3002, String, "PidTagAddressType";
    EMAIL_ADDRESS = 0x3003, String, "PidTagEmailAddress";
    COMMENT = 0x3004, String, "PidTagComment";
    DEPTH = 0x3005, Int32, "PidTagDepth";
    CREATION_TIME = 0x3007, Time, "PidTagCreationTime";
    LAST_MODIFICATION_TIME = 0x3008, Time, "PidTagLastModificationTime";
    SEARCH_KEY = 0x300B, Binary, "PidTagSearchKey";
    TARGET_ENTRY_ID = 0x3010, Binary, "PidTagTargetEntryId";
    CONVERSATION_ID = 0x3013, Binary, "PidTagConversationId";
    CONVERSATION_INDEX_TRACKING = 0x3016, Boolean, "PidTagConversationIndexTracking";
    // Message store.
    STORE_SUPPORT_MASK = 0x340D, Int32, "PidTagStoreSupportMask";
    STORE_STATE = 0x340E, Int32, "PidTagStoreState";
    VALID_FOLDER_MASK = 0x35DF, Int32, "PidTagValidFolderMask";
    IPM_SUBTREE_ENTRY_ID = 0x35E0, Binary, "PidTagIpmSubtreeEntryId";
    IPM_OUTBOX_ENTRY_ID = 0x35E2, Binary, "PidTagIpmOutboxEntryId";
    IPM_WASTEBASKET_ENTRY_ID = 0x35E3, Binary, "PidTagIpmWastebasketEntryId";
    IPM_SENT_MAIL_ENTRY_ID = 0x35E4, Binary, "PidTagIpmSentMailEntryId";
    COMMON_VIEWS_ENTRY_ID = 0x35E6, Binary, "PidTagCommonViewsEntryId";
    FINDER_ENTRY_ID = 0x35E7, Binary, "PidTagFinderEntryId";
    // Folders.
    CONTAINER_FLAGS = 0x3600, Int32, "PidTagContainerFlags";
    FOLDER_TYPE = 0x3601, Int32, "PidTagFolderType";
    CONTENT_COUNT = 0x3602, Int32, "PidTagContentCount";
    CONTENT_UNREAD_COUNT = 0x3603, Int32, "PidTagContentUnreadCount";
    SUBFOLDERS = 0x360A, Boolean, "PidTagSubfolders";
    CONTAINER_HIERARCHY = 0x360E, Object, "PidTagContainerHierarchy";
    CONTAINER_CONTENTS = 0x360F, Object, "PidTagContainerContents";
    FOLDER_ASSOCIATED_CONTENTS = 0x3610, Object, "PidTagFolderAssociatedContents";
    CONTAINER_CLASS = 0x3613, String, "PidTagContainerClass";
    ASSOCIATED_CONTENT_COUNT = 0x3617, Int32, "PidTagAssociatedContentCount";
    IPM_APPOINTMENT_ENTRY_ID = 0x36D0, Binary, "PidTagIpmAppointmentEntryId";
    IPM_CONTACT_ENTRY_ID = 0x36D1, Binary, "PidTagIpmContactEntryId";
    IPM_JOURNAL_ENTRY_ID = 0x36D2, Binary, "PidTagIpmJournalEntryId";
    IPM_NOTE_ENTRY_ID = 0x36D3, Binary, "PidTagIpmNoteEntryId";
    IPM_TASK_ENTRY_ID = 0x36D4, Binary, "PidTagIpmTaskEntryId";
    REMINDERS_ONLINE_ENTRY_ID = 0x36D5, Binary, "PidTagRemindersOnlineEntryId";
    IPM_DRAFTS_ENTRY_ID = 0x36D7, Binary, "PidTagIpmDraftsEntryId";
    ADDITIONAL_REN_ENTRY_IDS = 0x36D8, MultipleBinary, "PidTagAdditionalRenEntryIds";
    ADDITIONAL_REN_ENTRY_IDS_EX = 0x36D9, Binary, "PidTagAdditionalRenEntryIdsEx";
    EXTENDED_FOLDER_FLAGS = 0x36DA, Binary, "PidTagExtendedFolderFlags";
    FREE_BUSY_ENTRY_IDS = 0x36E4, MultipleBinary, "PidTagFreeBusyEntryIds";
    DEFAULT_POST_MESSAGE_CLASS = 0x36E5, String, "PidTagDefaultPostMessageClass";
    // Attachments.
    ATTACH_DATA_BINARY = 0x3701, Binary, "PidTagAttachDataBinary";
    ATTACH_ENCODING = 0x3702, Binary, "PidTagAttachEncoding";
    ATTACH_EXTENSION = 0x3703, String, "PidTagAttachExtension";
    ATTACH_FILENAME = 0x3704, String, "PidTagAttachFilename";
    ATTACH_METHOD = 0x3705, Int32, "PidTagAttachMethod";
    ATTACH_LONG_FILENAME = 0x3707, String, "PidTagAttachLongFilename";
    ATTACH_PATHNAME = 0x3708, String, "PidTagAttachPathname";
    ATTACH_RENDERING = 0x3709, Binary, "PidTagAttachRendering";
    ATTACH_TAG = 0x370A, Binary, "PidTagAttachTag";
    RENDERING_POSITION = 0x370B, Int32, "PidTagRenderingPosition";
    ATTACH_TRANSPORT_NAME = 0x370C, String, "PidTagAttachTransportName";
    ATTACH_LONG_PATHNAME = 0x370D, String, "PidTagAttachLongPathname";
    ATTACH_MIME_TAG = 0x370E, String, "PidTagAttachMimeTag";
    ATTACH_ADDITIONAL_INFORMATION = 0x370F, Binary, "PidTagAttachAdditionalInformation";
    ATTACH_CONTENT_BASE = 0x3711, String, "PidTagAttachContentBase";
    ATTACH_CONTENT_ID = 0x3712, String, "PidTagAttachContentId";
    ATTACH_CONTENT_LOCATION = 0x3713, String, "PidTagAttachContentLocation";
    ATTACH_FLAGS = 0x3714, Int32, "PidTagAttachFlags";
    ATTACH_PAYLOAD_PROVIDER_GUID_STRING = 0x3719, String, "PidTagAttachPayloadProviderGuidString";
    ATTACH_PAYLOAD_CLASS = 0x371A, String, "PidTagAttachPayloadClass";
    // Address book and recipients.
    DISPLAY_TYPE = 0x3900, Int32, "PidTagDisplayType";
    DISPLAY_TYPE_EX = 0x3905, Int32, "PidTagDisplayTypeEx";
    SMTP_ADDRESS = 0x39FE, String, "PidTagSmtpAddress";
    /// [MS-PST] calls this recipient column PidTag7BitDisplayName.
    ADDRESS_BOOK_DISPLAY_NAME_PRINTABLE = 0x39FF, String, "PidTagAddressBookDisplayNamePrintable";
    // Contacts.
    ACCOUNT = 0x3A00, String, "PidTagAccount";
    CALLBACK_TELEPHONE_NUMBER = 0x3A02, String, "PidTagCallbackTelephoneNumber";
    GENERATION = 0x3A05, String, "PidTagGeneration";
    GIVEN_NAME = 0x3A06, String, "PidTagGivenName";
    GOVERNMENT_ID_NUMBER = 0x3A07, String, "PidTagGovernmentIdNumber";
    BUSINESS_TELEPHONE_NUMBER = 0x3A08, String, "PidTagBusinessTelephoneNumber";
    HOME_TELEPHONE_NUMBER = 0x3A09, String, "PidTagHomeTelephoneNumber";
    INITIALS = 0x3A0A, String, "PidTagInitials";
    KEYWORD = 0x3A0B, String, "PidTagKeyword";
    LANGUAGE = 0x3A0C, String, "PidTagLanguage";
    LOCATION = 0x3A0D, String, "PidTagLocation";
    MESSAGE_HANDLING_SYSTEM_COMMON_NAME = 0x3A0F, String, "PidTagMessageHandlingSystemCommonName";
    ORGANIZATIONAL_ID_NUMBER = 0x3A10, String, "PidTagOrganizationalIdNumber";
    SURNAME = 0x3A11, String, "PidTagSurname";
    ORIGINAL_ENTRY_ID = 0x3A12, Binary, "PidTagOriginalEntryId";
    POSTAL_ADDRESS = 0x3A15, String, "PidTagPostalAddress";
    COMPANY_NAME = 0x3A16, String, "PidTagCompanyName";
    TITLE = 0x3A17, String, "PidTagTitle";
    DEPARTMENT_NAME = 0x3A18, String, "PidTagDepartmentName";
    OFFICE_LOCATION = 0x3A19, String, "PidTagOfficeLocation";
    PRIMARY_TELEPHONE_NUMBER = 0x3A1A, String, "PidTagPrimaryTelephoneNumber";
    BUSINESS2_TELEPHONE_NUMBER = 0x3A1B, String, "PidTagBusiness2TelephoneNumber";
    MOBILE_TELEPHONE_NUMBER = 0x3A1C, String, "PidTagMobileTelephoneNumber";
    RADIO_TELEPHONE_NUMBER = 0x3A1D, String, "PidTagRadioTelephoneNumber";
    CAR_TELEPHONE_NUMBER = 0x3A1E, String, "PidTagCarTelephoneNumber";
    OTHER_TELEPHONE_NUMBER = 0x3A1F, String, "PidTagOtherTelephoneNumber";
    TRANSMITTABLE_DISPLAY_NAME = 0x3A20, String, "PidTagTransmittableDisplayName";
    PAGER_TELEPHONE_NUMBER = 0x3A21, String, "PidTagPagerTelephoneNumber";
    USER_CERTIFICATE = 0x3A22, Binary, "PidTagUserCertificate";
    PRIMARY_FAX_NUMBER = 0x3A23, String, "PidTagPrimaryFaxNumber";
    BUSINESS_FAX_NUMBER = 0x3A24, String, "PidTagBusinessFaxNumber";
    HOME_FAX_NUMBER = 0x3A25, String, "PidTagHomeFaxNumber";
    COUNTRY = 0x3A26, String, "PidTagCountry";
    LOCALITY = 0x3A27, String, "PidTagLocality";
    STATE_OR_PROVINCE = 0x3A28, String, "PidTagStateOrProvince";
    STREET_ADDRESS = 0x3A29, String, "PidTagStreetAddress";
    POSTAL_CODE = 0x3A2A, String, "PidTagPostalCode";
    POST_OFFICE_BOX = 0x3A2B, String, "PidTagPostOfficeBox";
    TELEX_NUMBER = 0x3A2C, String, "PidTagTelexNumber";
    ISDN_NUMBER = 0x3A2D, String, "PidTagIsdnNumber";
    ASSISTANT_TELEPHONE_NUMBER = 0x3A2E, String, "PidTagAssistantTelephoneNumber";
    HOME2_TELEPHONE_NUMBER = 0x3A2F, String, "PidTagHome2TelephoneNumber";
    ASSISTANT = 0x3A30, String, "PidTagAssistant";
    SEND_RICH_INFO = 0x3A40, Boolean, "PidTagSendRichInfo";
    WEDDING_ANNIVERSARY = 0x3A41, Time, "PidTagWeddingAnniversary";
    BIRTHDAY = 0x3A42, Time, "PidTagBirthday";
    HOBBIES = 0x3A43, String, "PidTagHobbies";
    MIDDLE_NAME = 0x3A44, String, "PidTagMiddleName";
    DISPLAY_NAME_PREFIX = 0x3A45, String, "PidTagDisplayNamePrefix";
    PROFESSION = 0x3A46, String, "PidTagProfession";
    REFERRED_BY_NAME = 0x3A47, String, "PidTagReferredByName";
    SPOUSE_NAME = 0x3A48, String, "PidTagSpouseName";
    COMPUTER_NETWORK_NAME = 0x3A49, String, "PidTagComputerNetworkName";
    CUSTOMER_ID = 0x3A4A, String, "PidTagCustomerId";
    TELECOMMUNICATIONS_DEVICE_FOR_DEAF_TELEPHONE_NUMBER = 0x3A4B, String, "PidTagTelecommunicationsDeviceForDeafTelephoneNumber";
    FTP_SITE = 0x3A4C, String, "PidTagFtpSite";
    GENDER = 0x3A4D, Int16, "PidTagGender";
    MANAGER_NAME = 0x3A4E, String, "PidTagManagerName";
    NICKNAME = 0x3A4F, String, "PidTagNickname";
    PERSONAL_HOME_PAGE = 0x3A50, String, "PidTagPersonalHomePage";
    BUSINESS_HOME_PAGE = 0x3A51, String, "PidTagBusinessHomePage";
    COMPANY_MAIN_TELEPHONE_NUMBER = 0x3A57, String, "PidTagCompanyMainTelephoneNumber";
    CHILDRENS_NAMES = 0x3A58, MultipleString, "PidTagChildrensNames";
    HOME_ADDRESS_CITY = 0x3A59, String, "PidTagHomeAddressCity";
    HOME_ADDRESS_COUNTRY = 0x3A5A, String, "PidTagHomeAddressCountry";
    HOME_ADDRESS_POSTAL_CODE = 0x3A5B, String, "PidTagHomeAddressPostalCode";
    HOME_ADDRESS_STATE_OR_PROVINCE = 0x3A5C, String, "PidTagHomeAddressStateOrProvince";
    HOME_ADDRESS_STREET = 0x3A5D, String, "PidTagHomeAddressStreet";
    HOME_ADDRESS_POST_OFFICE_BOX = 0x3A5E, String, "PidTagHomeAddressPostOfficeBox";
    OTHER_ADDRESS_CITY = 0x3A5F, String, "PidTagOtherAddressCity";
    OTHER_ADDRESS_COUNTRY = 0x3A60, String, "PidTagOtherAddressCountry";
    OTHER_ADDRESS_POSTAL_CODE = 0x3A61, String, "PidTagOtherAddressPostalCode";
    OTHER_ADDRESS_STATE_OR_PROVINCE = 0x3A62, String, "PidTagOtherAddressStateOrProvince";
    OTHER_ADDRESS_STREET = 0x3A63, String, "PidTagOtherAddressStreet";
    OTHER_ADDRESS_POST_OFFICE_BOX = 0x3A64, String, "PidTagOtherAddressPostOfficeBox";
    USER_X509_CERTIFICATE = 0x3A70, MultipleBinary, "PidTagUserX509Certificate";
    SEND_INTERNET_ENCODING = 0x3A71, Int32, "PidTagSendInternetEncoding";
    // Message metadata.
    INTERNET_CODEPAGE = 0x3FDE, Int32, "PidTagInternetCodepage";
    AUTO_RESPONSE_SUPPRESS = 0x3FDF, Int32, "PidTagAutoResponseSuppress";
    DELEGATED_BY_RULE = 0x3FE3, Boolean, "PidTagDelegatedByRule";
    RESOLVE_METHOD = 0x3FE7, Int32, "PidTagResolveMethod";
    HAS_DEFERRED_ACTION_MESSAGES = 0x3FEA, Boolean, "PidTagHasDeferredActionMessages";
    CONFLICT_ENTRY_ID = 0x3FF0, Binary, "PidTagConflictEntryId";
    MESSAGE_LOCALE_ID = 0x3FF1, Int32, "PidTagMessageLocaleId";
    CREATOR_NAME = 0x3FF8, String, "PidTagCreatorName";
    CREATOR_ENTRY_ID = 0x3FF9, Binary, "PidTagCreatorEntryId";
    LAST_MODIFIER_NAME = 0x3FFA, String, "PidTagLastModifierName";
    LAST_MODIFIER_ENTRY_ID = 0x3FFB, Binary, "PidTagLastModifierEntryId";
    MESSAGE_CODEPAGE = 0x3FFD, Int32, "PidTagMessageCodepage";
    SENDER_SIMPLE_DISPLAY_NAME = 0x4030, String, "PidTagSenderSimpleDisplayName";
    SENT_REPRESENTING_SIMPLE_DISPLAY_NAME = 0x4031, String, "PidTagSentRepresentingSimpleDisplayName";
    SENDER_SMTP_ADDRESS = 0x5D01, String, "PidTagSenderSmtpAddress";
    SENT_REPRESENTING_SMTP_ADDRESS = 0x5D02, String, "PidTagSentRepresentingSmtpAddress";
    // Recipient rows.
    RECIPIENT_ORDER = 0x5FDF, Int32, "PidTagRecipientOrder";
    RECIPIENT_DISPLAY_NAME = 0x5FF6, String, "PidTagRecipientDisplayName";
    RECIPIENT_ENTRY_ID = 0x5FF7, Binary, "PidTagRecipientEntryId";
    RECIPIENT_TRACK_STATUS_TIME = 0x5FFB, Time, "PidTagRecipientTrackStatusTime";
    RECIPIENT_FLAGS = 0x5FFD, Int32, "PidTagRecipientFlags";
    RECIPIENT_TRACK_STATUS = 0x5FFF, Int32, "PidTagRecipientTrackStatus";
    // Synchronisation and PST internals.
    SECURE_SUBMIT_FLAGS = 0x65C6, Int32, "PidTagSecureSubmitFlags";
    SOURCE_KEY = 0x65E0, Binary, "PidTagSourceKey";
    PARENT_SOURCE_KEY = 0x65E1, Binary, "PidTagParentSourceKey";
    CHANGE_KEY = 0x65E2, Binary, "PidTagChangeKey";
    PREDECESSOR_CHANGE_LIST = 0x65E3, Binary, "PidTagPredecessorChangeList";
    /// On an Exchange store: an Address Book EntryID ([MS-OXCDATA]
    /// 2.2.5.2); PR_USER_ENTRYID in EdkMdb.h ("Identity of store").
    USER_ENTRY_ID = 0x6619, Binary, "PidTagUserEntryId";
    /// On an Exchange mailbox store: an Address Book EntryID ([MS-OXCDATA]
    /// 2.2.5.2); PR_MAILBOX_OWNER_ENTRYID in EdkMdb.h.
    MAILBOX_OWNER_ENTRY_ID = 0x661B, Binary, "PidTagMailboxOwnerEntryId";
    /// On an Exchange mailbox store; PR_MAILBOX_OWNER_NAME in EdkMdb.h.
    /// Files also hold it as `PtypString8`.
    MAILBOX_OWNER_NAME = 0x661C, String, "PidTagMailboxOwnerName";
    PST_LR_NO_RESTRICTIONS = 0x6633, Boolean, "PidTagPstLrNoRestrictions";
    PST_HIDDEN_COUNT = 0x6635, Int32, "PidTagPstHiddenCount";
    PST_HIDDEN_UNREAD = 0x6636, Int32, "PidTagPstHiddenUnread";
    /// On an Exchange store; PR_MAX_SUBMIT_MESSAGE_SIZE in EdkMdb.h.
    MAXIMUM_SUBMIT_MESSAGE_SIZE = 0x666D, Int32, "PidTagMaximumSubmitMessageSize";
    LOCAL_COMMIT_TIME = 0x6709, Time, "PidTagLocalCommitTime";
    LOCAL_COMMIT_TIME_MAX = 0x670A, Time, "PidTagLocalCommitTimeMax";
    DELETED_COUNT_TOTAL = 0x670B, Int32, "PidTagDeletedCountTotal";
    FLAT_URL_NAME = 0x670E, String, "PidTagFlatUrlName";
    FOLDER_ID = 0x6748, Int64, "PidTagFolderId";
    PARENT_FOLDER_ID = 0x6749, Int64, "PidTagParentFolderId";
    MID = 0x674A, Int64, "PidTagMid";
    CHANGE_NUMBER = 0x67A4, Int64, "PidTagChangeNumber";
    LTP_PARENT_NID = 0x67F1, Int32, "PidTagLtpParentNid";
    LTP_ROW_ID = 0x67F2, Int32, "PidTagLtpRowId";
    LTP_ROW_VER = 0x67F3, Int32, "PidTagLtpRowVer";
    PST_PASSWORD = 0x67FF, Int32, "PidTagPstPassword";
    // Columns of the folder associated-contents table ([MS-PST] 2.4.4.6.1).
    OFFLINE_ADDRESS_BOOK_NAME = 0x6800, String, "PidTagOfflineAddressBookName";
    /// Name and type as the associated-contents table template gives them,
    /// [MS-PST] 2.4.4.6.1. [MS-OXPROPS] gives 0x6803 to other objects'
    /// PidTagOfflineAddressBookMessageClass (Int32) and
    /// PidTagVoiceMessageSenderName (String).
    SEND_OUTLOOK_RECALL_REPORT = 0x6803, Boolean, "PidTagSendOutlookRecallReport";
    /// On voice messages [MS-OXPROPS] gives 0x6805 to
    /// PidTagVoiceMessageAttachmentOrder (String); the associated-contents
    /// table template column is this one.
    OFFLINE_ADDRESS_BOOK_TRUNCATED_PROPERTIES = 0x6805, MultipleInt32, "PidTagOfflineAddressBookTruncatedProperties";
    /// A column of the associated-contents table template in Outlook's own
    /// new files, not among the template columns of [MS-PST] 2.4.4.6.1 and
    /// not in [MS-OXPROPS]; the name is the one [MS-PST] 2.1.2 gives as
    /// transcribed in hughbe/PstReader (MS-PST/PstPropertyId.swift).
    MAPI_FORM_COMPOSE_COMMAND = 0x682F, String, "PidTagMapiFormComposeCommand";
    VIEW_DESCRIPTOR_FLAGS = 0x7003, Int32, "PidTagViewDescriptorFlags";
    VIEW_DESCRIPTOR_LINK_TO = 0x7004, Binary, "PidTagViewDescriptorLinkTo";
    VIEW_DESCRIPTOR_VIEW_FOLDER = 0x7005, Binary, "PidTagViewDescriptorViewFolder";
    VIEW_DESCRIPTOR_NAME = 0x7006, String, "PidTagViewDescriptorName";
    VIEW_DESCRIPTOR_VERSION = 0x7007, Int32, "PidTagViewDescriptorVersion";
    /// A dictionary stream on configuration messages ([MS-OXOCFG]
    /// 2.2.2.2). An OST's message store holds one too; what it holds there
    /// is not published.
    ROAMING_DICTIONARY = 0x7C07, Binary, "PidTagRoamingDictionary";
    // Attachment extras and recurrence exceptions.
    EXCEPTION_REPLACE_TIME = 0x7FF9, Time, "PidTagExceptionReplaceTime";
    ATTACHMENT_LINK_ID = 0x7FFA, Int32, "PidTagAttachmentLinkId";
    EXCEPTION_START_TIME = 0x7FFB, Time, "PidTagExceptionStartTime";
    EXCEPTION_END_TIME = 0x7FFC, Time, "PidTagExceptionEndTime";
    ATTACHMENT_FLAGS = 0x7FFD, Int32, "PidTagAttachmentFlags";
    ATTACHMENT_HIDDEN = 0x7FFE, Boolean, "PidTagAttachmentHidden";
    ATTACHMENT_CONTACT_PHOTO = 0x7FFF, Boolean, "PidTagAttachmentContactPhoto";
}

/// The first named-property id: ids from here up stand for the names of a
/// file's name-to-id map ([MS-PST] 2.4.7), so no row of the table reaches it.
pub const FIRST_NAMED_ID: PropId = PropId(0x8000);

// Beside the constant it rests on, so that `tag` need not import the table.
impl PropId {
    /// Whether the id names a named property (needs the name-to-id map).
    pub fn is_named(self) -> bool {
        self >= FIRST_NAMED_ID
    }
}

/// Properties pstkit reads or writes that have no published name for the id
/// and type it meets them with. Their names are pstkit's own (`pstkit:…`),
/// so they stay out of [`crate::props::NAMES`] and `pstkit show` prints
/// their numbers.
pub mod unpublished {
    use super::TaggedProp;
    use crate::tag::{PropId, PropType};

    tagged_properties! {
        /// A column of the search folder contents table template in
        /// Outlook's own new files. [MS-OXPROPS] has no property 0x0E2A, and
        /// readers that transcribe [MS-PST]'s templates leave it unnamed.
        SEARCH_CONTENTS_FLAG = 0x0E2A, Boolean, "pstkit:SearchContentsFlag";
        /// A Folder EntryID ([MS-OXCDATA] 2.2.4.1) on an OST's message
        /// store, whose Provider UID is the mailbox GUID. No MAPI name in
        /// EdkMdb.h, mapitags.h or MFCMAPI; libfmapi lists it unnamed ("item
        /// proc search entry identifier"); which folder it names is not
        /// published.
        OST_FOLDER_ENTRY_ID = 0x3416, Binary, "pstkit:OstFolderEntryId";
        /// The one property of the spam search folder's criteria object in
        /// Outlook's own new files (0 there). EdkMdb.h's 0x660B is
        /// PR_PROFILE_MAILBOX, a PT_STRING8 of profile sections; ids
        /// 0x6600-0x67FF are provider-defined (mapitags.h), so that name does
        /// not carry over.
        SEARCH_CRITERIA_VALUE = 0x660B, Int32, "pstkit:SearchCriteriaValue";
        /// The mailbox GUID on an OST's message store: libpff reads 0x6615 as
        /// a PtypGuid there, equal to the provider UID of the file's
        /// Exchange folder EntryIDs ([MS-OXCDATA] 2.2.4.1, the MailboxGuid of
        /// RopLogon). EdkMdb.h's 0x6615 is PR_PROFILE_FAVFLD_COMMENT, a
        /// PT_STRING8 profile property.
        OST_MAILBOX_GUID = 0x6615, Guid, "pstkit:OstMailboxGuid";
        /// The user's name on an Exchange store: PR_USER_NAME in EdkMdb.h
        /// ("Identity of store"), which [MS-OXPROPS] does not name. Files
        /// also hold it as `PtypString8`.
        USER_NAME = 0x661A, String, "pstkit:UserName";
        /// A 64-bit number on an OST's message store with no published name:
        /// EdkMdb.h's 0x661F is PR_IPM_DAF_ENTRYID, a PT_BINARY.
        OST_STORE_INT64_661F = 0x661F, Int64, "pstkit:OstStoreInt64661F";
        /// A number on an OST's message store with no published name:
        /// EdkMdb.h's 0x6620 is PR_NON_IPM_SUBTREE_ENTRYID, a PT_BINARY.
        OST_STORE_INT32_6620 = 0x6620, Int32, "pstkit:OstStoreInt326620";
        /// Named PR_LATEST_PST_ENSURE (PidTagLatestPstEnsure) in MFCMAPI's
        /// property table and in libfmapi, not in [MS-OXPROPS]; what it
        /// holds is not published.
        LATEST_PST_ENSURE = 0x66FA, Int32, "pstkit:LatestPstEnsure";
        /// PR_OST_OSTID in MFCMAPI's property table, not in [MS-OXPROPS]:
        /// a hidden property on the mailbox's Top of Information Store to
        /// which each cached-mode profile adds about 20 bytes (Microsoft
        /// support article 3046189); the layout is not published.
        OST_OSTID = 0x7C04, Binary, "pstkit:OstOstid";
        /// Strings in the form of Exchange address-list paths on an OST's
        /// message store. MFCMAPI's 0x7C06 is PR_ROAMING_DATATYPES, a
        /// PT_LONG, not these strings.
        OST_ADDRESS_LISTS = 0x7C06, MultipleString, "pstkit:OstAddressLists";
        /// A number on an OST's message store; no name in EdkMdb.h,
        /// mapitags.h, MFCMAPI or libfmapi.
        OST_STORE_INT32_7C0C = 0x7C0C, Int32, "pstkit:OstStoreInt327C0C";
        /// A 64-bit number on an OST's message store; no name in EdkMdb.h,
        /// mapitags.h, MFCMAPI or libfmapi.
        OST_STORE_INT64_7C0D = 0x7C0D, Int64, "pstkit:OstStoreInt647C0D";
        /// A flag on an OST's message store; no name in EdkMdb.h,
        /// mapitags.h, MFCMAPI or libfmapi.
        OST_STORE_FLAG_7C11 = 0x7C11, Boolean, "pstkit:OstStoreFlag7C11";
        /// A number on an OST's message store; no name in EdkMdb.h,
        /// mapitags.h, MFCMAPI or libfmapi.
        OST_STORE_INT32_7C13 = 0x7C13, Int32, "pstkit:OstStoreInt327C13";
    }
}

/// The properties of the name-to-id map node ([MS-PST] 2.4.7). Their ids
/// collide with message properties (0x0002, 0x1000), so they stay out of
/// [`crate::props::NAMES`] and mean these names only on that node.
pub mod name_map {
    use super::TaggedProp;
    use crate::tag::{PropId, PropType};

    tagged_properties! {
        NAMEID_BUCKET_COUNT = 0x0001, Int32, "PidTagNameidBucketCount";
        NAMEID_STREAM_GUID = 0x0002, Binary, "PidTagNameidStreamGuid";
        NAMEID_STREAM_ENTRY = 0x0003, Binary, "PidTagNameidStreamEntry";
        NAMEID_STREAM_STRING = 0x0004, Binary, "PidTagNameidStreamString";
        /// The first hash bucket; bucket `k` is this id plus `k`.
        NAMEID_BUCKET_BASE = 0x1000, Binary, "PidTagNameidBucketBase";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_table(all: &[TaggedProp], names: &[(u16, &str)], prefix: &str) {
        assert_eq!(all.len(), names.len());
        for pair in all.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} before {}",
                pair[0].id,
                pair[1].id
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        for (row, &(id, name)) in all.iter().zip(names) {
            assert_eq!((row.id.0, row.name), (id, name));
            assert!(
                name.strip_prefix(prefix)
                    .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_alphanumeric())),
                "{name}"
            );
            assert!(!row.id.is_named(), "{name} is a named-property id");
            assert!(row.id < FIRST_NAMED_ID, "{name}");
            assert!(!matches!(row.ptype, PropType::Unknown(_)), "{name}");
            assert_eq!(row.tag().id(), row.id);
            assert_eq!(row.tag().prop_type(), row.ptype);
            seen.push(name);
        }
        seen.sort_unstable();
        let before = seen.len();
        seen.dedup();
        assert_eq!(seen.len(), before, "a name appears twice");
    }

    #[test]
    fn tables_are_sorted_unique_and_agree() {
        check_table(ALL, NAMES, "PidTag");
        check_table(name_map::ALL, name_map::NAMES, "PidTag");
        check_table(unpublished::ALL, unpublished::NAMES, "pstkit:");
    }

    #[test]
    fn unpublished_ids_get_no_canonical_name() {
        for row in unpublished::ALL {
            assert_eq!(name_of(row.id), None, "{}", row.name);
        }
        assert_eq!(unpublished::tags::OST_MAILBOX_GUID, PropTag(0x6615_0048));
    }

    #[test]
    fn every_name_resolves_back_to_its_id() {
        for row in ALL {
            assert_eq!(name_of(row.id), Some(row.name));
            assert_eq!(lookup(row.id), Some(row));
            let by_name: Vec<_> = ALL.iter().filter(|r| r.name == row.name).collect();
            assert_eq!(by_name, [row]);
        }
        assert_eq!(name_of(PropId(0x0038)), None);
        assert_eq!(lookup(PropId(0x8000)), None);
    }

    #[test]
    fn constants_are_their_rows() {
        assert_eq!(SUBJECT, PropId(0x0037));
        assert_eq!(tags::SUBJECT, PropTag(0x0037_001F));
        assert_eq!(tags::MESSAGE_FLAGS, PropTag(0x0E07_0003));
        assert_eq!(tags::RECORD_KEY, PropTag(0x0FF9_0102));
        assert_eq!(tags::LAST_MODIFICATION_TIME, PropTag(0x3008_0040));
        assert_eq!(tags::SUBFOLDERS, PropTag(0x360A_000B));
        assert_eq!(tags::SEND_OUTLOOK_RECALL_REPORT, PropTag(0x6803_000B));
        assert_eq!(
            tags::OFFLINE_ADDRESS_BOOK_TRUNCATED_PROPERTIES,
            PropTag(0x6805_1003)
        );
        assert_eq!(
            lookup(ATTACH_DATA_BINARY).map(|r| r.name),
            Some("PidTagAttachDataBinary")
        );
        assert_eq!(name_map::tags::NAMEID_STREAM_GUID, PropTag(0x0002_0102));
        assert_eq!(name_of(name_map::NAMEID_BUCKET_BASE), Some("PidTagBody"));
    }
}
