//! Property ids the messaging layer reads ([MS-OXPROPS]).

use pstkit_ltp::PropId;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident = $v:expr;)*) => {
        $($(#[$doc])* pub const $name: PropId = PropId($v);)*
    };
}

ids! {
    /// PidTagImportance.
    IMPORTANCE = 0x0017;
    /// PidTagMessageClass.
    MESSAGE_CLASS = 0x001A;
    /// PidTagPriority.
    PRIORITY = 0x0026;
    /// PidTagSensitivity.
    SENSITIVITY = 0x0036;
    /// PidTagSubject.
    SUBJECT = 0x0037;
    /// PidTagClientSubmitTime.
    CLIENT_SUBMIT_TIME = 0x0039;
    /// PidTagSentRepresentingName.
    SENT_REPRESENTING_NAME = 0x0042;
    /// PidTagSentRepresentingAddressType.
    SENT_REPRESENTING_ADDRESS_TYPE = 0x0064;
    /// PidTagSentRepresentingEmailAddress.
    SENT_REPRESENTING_EMAIL = 0x0065;
    /// PidTagConversationTopic.
    CONVERSATION_TOPIC = 0x0070;
    /// PidTagTransportMessageHeaders.
    TRANSPORT_HEADERS = 0x007D;
    /// PidTagInReplyToId.
    IN_REPLY_TO = 0x1042;
    /// PidTagRecipientType.
    RECIPIENT_TYPE = 0x0C15;
    /// PidTagSenderName.
    SENDER_NAME = 0x0C1A;
    /// PidTagSenderAddressType.
    SENDER_ADDRESS_TYPE = 0x0C1E;
    /// PidTagSenderEmailAddress.
    SENDER_EMAIL = 0x0C1F;
    /// PidTagDisplayBcc.
    DISPLAY_BCC = 0x0E02;
    /// PidTagDisplayCc.
    DISPLAY_CC = 0x0E03;
    /// PidTagDisplayTo.
    DISPLAY_TO = 0x0E04;
    /// PidTagMessageDeliveryTime.
    DELIVERY_TIME = 0x0E06;
    /// PidTagMessageFlags.
    MESSAGE_FLAGS = 0x0E07;
    /// PidTagMessageSize.
    MESSAGE_SIZE = 0x0E08;
    /// PidTagAttachSize.
    ATTACH_SIZE = 0x0E20;
    /// PidTagRecordKey.
    RECORD_KEY = 0x0FF9;
    /// PidTagBody.
    BODY = 0x1000;
    /// PidTagRtfCompressed.
    RTF_COMPRESSED = 0x1009;
    /// PidTagBodyHtml.
    BODY_HTML = 0x1013;
    /// PidTagInternetMessageId.
    INTERNET_MESSAGE_ID = 0x1035;
    /// PidTagInternetReferences.
    REFERENCES = 0x1039;
    /// PidTagDisplayName.
    DISPLAY_NAME = 0x3001;
    /// PidTagAddressType.
    ADDRESS_TYPE = 0x3002;
    /// PidTagEmailAddress.
    EMAIL_ADDRESS = 0x3003;
    /// PidTagComment.
    COMMENT = 0x3004;
    /// PidTagCreationTime.
    CREATION_TIME = 0x3007;
    /// PidTagLastModificationTime.
    LAST_MODIFICATION_TIME = 0x3008;
    /// PidTagIpmSubTreeEntryId.
    IPM_SUBTREE_ENTRY_ID = 0x35E0;
    /// PidTagIpmWastebasketEntryId.
    IPM_WASTEBASKET_ENTRY_ID = 0x35E3;
    /// PidTagFinderEntryId.
    FINDER_ENTRY_ID = 0x35E7;
    /// PidTagContentCount.
    CONTENT_COUNT = 0x3602;
    /// PidTagContentUnreadCount.
    CONTENT_UNREAD_COUNT = 0x3603;
    /// PidTagSubfolders.
    SUBFOLDERS = 0x360A;
    /// PidTagContainerClass.
    CONTAINER_CLASS = 0x3613;
    /// PidTagAttachDataBinary / PidTagAttachDataObject.
    ATTACH_DATA = 0x3701;
    /// PidTagAttachExtension.
    ATTACH_EXTENSION = 0x3703;
    /// PidTagAttachFilename.
    ATTACH_FILENAME = 0x3704;
    /// PidTagAttachMethod.
    ATTACH_METHOD = 0x3705;
    /// PidTagAttachLongFilename.
    ATTACH_LONG_FILENAME = 0x3707;
    /// PidTagRenderingPosition.
    RENDERING_POSITION = 0x370B;
    /// PidTagAttachMimeTag.
    ATTACH_MIME_TAG = 0x370E;
    /// PidTagAttachContentId.
    ATTACH_CONTENT_ID = 0x3712;
    /// PidTagAttachContentLocation.
    ATTACH_CONTENT_LOCATION = 0x3713;
    /// PidTagAttachFlags.
    ATTACH_FLAGS = 0x3714;
    /// PidTagSmtpAddress.
    SMTP_ADDRESS = 0x39FE;
    /// PidTagGivenName.
    GIVEN_NAME = 0x3A06;
    /// PidTagBusinessTelephoneNumber.
    BUSINESS_PHONE = 0x3A08;
    /// PidTagHomeTelephoneNumber.
    HOME_PHONE = 0x3A09;
    /// PidTagSurname.
    SURNAME = 0x3A11;
    /// PidTagCompanyName.
    COMPANY_NAME = 0x3A16;
    /// PidTagTitle.
    TITLE = 0x3A17;
    /// PidTagMobileTelephoneNumber.
    MOBILE_PHONE = 0x3A1C;
    /// PidTagInternetCodepage.
    INTERNET_CODEPAGE = 0x3FDE;
    /// PidTagMessageLocaleId.
    MESSAGE_LOCALE_ID = 0x3FF1;
    /// PidTagMessageCodepage.
    MESSAGE_CODEPAGE = 0x3FFD;
    /// PidTagSenderSmtpAddress.
    SENDER_SMTP_ADDRESS = 0x5D01;
    /// PidTagSentRepresentingSmtpAddress.
    SENT_REPRESENTING_SMTP_ADDRESS = 0x5D02;
    /// PidTagPstPassword.
    PST_PASSWORD = 0x67FF;
}
