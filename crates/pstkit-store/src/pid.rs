//! Property ids the messaging layer reads ([MS-OXPROPS]).
//!
//! Every id comes from the one table in [`pstkit_ltp::props`]; this module
//! re-exports it so `pid::SUBJECT` keeps working, and adds the shorter
//! names the messaging layer and its users have always read by.

pub use pstkit_ltp::props::*;
use pstkit_ltp::PropId;

/// PidTagSentRepresentingEmailAddress.
pub const SENT_REPRESENTING_EMAIL: PropId = SENT_REPRESENTING_EMAIL_ADDRESS;
/// PidTagTransportMessageHeaders.
pub const TRANSPORT_HEADERS: PropId = TRANSPORT_MESSAGE_HEADERS;
/// PidTagInReplyToId.
pub const IN_REPLY_TO: PropId = IN_REPLY_TO_ID;
/// PidTagSenderEmailAddress.
pub const SENDER_EMAIL: PropId = SENDER_EMAIL_ADDRESS;
/// PidTagMessageDeliveryTime.
pub const DELIVERY_TIME: PropId = MESSAGE_DELIVERY_TIME;
/// PidTagInternetReferences.
pub const REFERENCES: PropId = INTERNET_REFERENCES;
/// PidTagAttachDataBinary / PidTagAttachDataObject: one id, two types.
pub const ATTACH_DATA: PropId = ATTACH_DATA_BINARY;
/// PidTagBusinessTelephoneNumber.
pub const BUSINESS_PHONE: PropId = BUSINESS_TELEPHONE_NUMBER;
/// PidTagHomeTelephoneNumber.
pub const HOME_PHONE: PropId = HOME_TELEPHONE_NUMBER;
/// PidTagMobileTelephoneNumber.
pub const MOBILE_PHONE: PropId = MOBILE_TELEPHONE_NUMBER;
