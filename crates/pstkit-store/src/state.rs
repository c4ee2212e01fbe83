//! The values an item's state properties take: bits of PidTagMessageFlags
//! ([MS-OXCMSG] 2.2.1.6), PidTagFlagStatus ([MS-OXOFLAG] 2.2.1.1) and
//! PidTagLastVerbExecuted ([MS-OXOMSG] 2.2.1.3).

/// MSGFLAG_READ: the item has been read.
pub const MSGFLAG_READ: i32 = 0x01;
/// MSGFLAG_HASATTACH: the item has attachments.
pub const MSGFLAG_HASATTACH: i32 = 0x10;
/// followupFlagged: the item is flagged for follow-up.
pub const FOLLOWUP_FLAGGED: i32 = 2;
/// NOTEIVERB_REPLYTOSENDER.
pub const VERB_REPLY_TO_SENDER: i32 = 102;
/// NOTEIVERB_REPLYTOALL.
pub const VERB_REPLY_TO_ALL: i32 = 103;
