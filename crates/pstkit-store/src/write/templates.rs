//! Column sets of the tables a store writes ([MS-PST] 2.4.8.3, as Outlook
//! lays them out in a new file).

use pstkit_ltp::{PropTag, PropType};

use crate::pid::{self, tags, unpublished};

/// Folder hierarchy table (template 0x60D).
pub const HIERARCHY: &[PropTag] = &[
    PropTag::new(pid::REPL_ITEMID, PropType::Binary),
    tags::REPL_CHANGENUM,
    tags::REPL_VERSION_HISTORY,
    tags::REPL_FLAGS,
    tags::DISPLAY_NAME,
    tags::CONTENT_COUNT,
    tags::CONTENT_UNREAD_COUNT,
    tags::SUBFOLDERS,
    tags::CONTAINER_CLASS,
    tags::PST_HIDDEN_COUNT,
    tags::PST_HIDDEN_UNREAD,
    tags::LTP_ROW_ID,
    tags::LTP_ROW_VER,
];

/// Folder contents table (template 0x60E).
pub const CONTENTS: &[PropTag] = &[
    tags::IMPORTANCE,
    tags::MESSAGE_CLASS,
    tags::SENSITIVITY,
    tags::SUBJECT,
    tags::CLIENT_SUBMIT_TIME,
    tags::SENT_REPRESENTING_NAME,
    tags::MESSAGE_TO_ME,
    tags::MESSAGE_CC_ME,
    tags::CONVERSATION_TOPIC,
    tags::CONVERSATION_INDEX,
    tags::DISPLAY_CC,
    tags::DISPLAY_TO,
    tags::MESSAGE_DELIVERY_TIME,
    tags::MESSAGE_FLAGS,
    tags::MESSAGE_SIZE,
    tags::MESSAGE_STATUS,
    PropTag::new(pid::REPL_ITEMID, PropType::Binary),
    tags::REPL_CHANGENUM,
    tags::REPL_VERSION_HISTORY,
    tags::REPL_FLAGS,
    tags::REPL_COPIEDFROM_VERSIONHISTORY,
    tags::REPL_COPIEDFROM_ITEMID,
    tags::ITEM_TEMPORARY_FLAGS,
    tags::LAST_MODIFICATION_TIME,
    tags::CONVERSATION_ID,
    tags::SECURE_SUBMIT_FLAGS,
    tags::LTP_ROW_ID,
    tags::LTP_ROW_VER,
];

/// Folder associated-contents table (template 0x60F).
pub const ASSOC_CONTENTS: &[PropTag] = &[
    tags::MESSAGE_CLASS,
    tags::MESSAGE_FLAGS,
    tags::MESSAGE_STATUS,
    tags::DISPLAY_NAME,
    tags::LTP_ROW_ID,
    tags::LTP_ROW_VER,
    tags::OFFLINE_ADDRESS_BOOK_NAME,
    tags::SEND_OUTLOOK_RECALL_REPORT,
    tags::OFFLINE_ADDRESS_BOOK_TRUNCATED_PROPERTIES,
    tags::MAPI_FORM_COMPOSE_COMMAND,
    tags::VIEW_DESCRIPTOR_FLAGS,
    tags::VIEW_DESCRIPTOR_LINK_TO,
    tags::VIEW_DESCRIPTOR_VIEW_FOLDER,
    tags::VIEW_DESCRIPTOR_NAME,
    tags::VIEW_DESCRIPTOR_VERSION,
];

/// Search folder contents table (template 0x610).
pub const SEARCH_CONTENTS: &[PropTag] = &[
    tags::IMPORTANCE,
    tags::MESSAGE_CLASS,
    tags::SENSITIVITY,
    tags::SUBJECT,
    tags::SENT_REPRESENTING_NAME,
    tags::MESSAGE_TO_ME,
    tags::MESSAGE_CC_ME,
    tags::DISPLAY_CC,
    tags::DISPLAY_TO,
    tags::PARENT_DISPLAY,
    tags::MESSAGE_DELIVERY_TIME,
    tags::MESSAGE_FLAGS,
    tags::MESSAGE_SIZE,
    tags::MESSAGE_STATUS,
    unpublished::tags::SEARCH_CONTENTS_FLAG,
    tags::LAST_MODIFICATION_TIME,
    tags::LTP_PARENT_NID,
    tags::LTP_ROW_ID,
    tags::LTP_ROW_VER,
];

/// Message recipient table (template 0x692), plus the SMTP address readers use.
pub const RECIPIENTS: &[PropTag] = &[
    tags::RECIPIENT_TYPE,
    tags::RESPONSIBILITY,
    tags::RECORD_KEY,
    tags::OBJECT_TYPE,
    tags::ENTRY_ID,
    tags::DISPLAY_NAME,
    tags::ADDRESS_TYPE,
    tags::EMAIL_ADDRESS,
    tags::SEARCH_KEY,
    tags::DISPLAY_TYPE,
    tags::SMTP_ADDRESS,
    tags::ADDRESS_BOOK_DISPLAY_NAME_PRINTABLE,
    tags::SEND_RICH_INFO,
    tags::LTP_ROW_ID,
    tags::LTP_ROW_VER,
];

/// Message attachment table (template 0x671), plus the long file name.
pub const ATTACHMENTS: &[PropTag] = &[
    tags::ATTACH_SIZE,
    tags::ATTACH_FILENAME,
    tags::ATTACH_METHOD,
    tags::ATTACH_LONG_FILENAME,
    tags::RENDERING_POSITION,
    tags::LTP_ROW_ID,
    tags::LTP_ROW_VER,
];
