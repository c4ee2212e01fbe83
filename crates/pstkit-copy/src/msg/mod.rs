//! Outlook `.msg` files ([MS-OXMSG]): one item in a compound file, out of
//! a store ([`message_to_msg`]) and back into the message the PST writer
//! takes ([`msg_to_message`]).
//!
//! The compound file container is the `cfb` crate's; here is only what
//! [MS-OXMSG] lays out inside it: each object's property stream (a header,
//! then a 16-byte entry per property with fixed-size values inline), a
//! stream per variable-size value, recipients and attachments as storages,
//! embedded messages as nested storages with their own header, and the
//! named-property map (`__nameid_version1.0`) in the layout a PST's map
//! has (the builder and parser are the store's).

mod read;
mod write;

pub use read::msg_to_message;
pub(crate) use read::{copy_stream, msg_to_message_deferring};
pub use write::{message_to_msg, write_msg};
pub(crate) use write::{message_to_msg_into, streams_attachments};

/// The property stream of every object.
const PROPS: &str = "__properties_version1.0";
/// The named-property map storage (top level only).
const NAMEID: &str = "__nameid_version1.0";
/// Prefix of a recipient storage; 8 upper-case hex digits follow.
const RECIP: &str = "__recip_version1.0_#";
/// Prefix of an attachment storage; 8 upper-case hex digits follow.
const ATTACH: &str = "__attach_version1.0_#";
/// Prefix of a value stream; the property tag in 8 hex digits follows.
const SUBSTG: &str = "__substg1.0_";
/// The storage of an embedded message or OLE object (PidTagAttachDataObject).
const OBJECT: &str = "__substg1.0_3701000D";

/// Property-stream header of the top-level message: 8 reserved bytes, the
/// next recipient and attachment ids, the recipient and attachment counts,
/// 8 reserved bytes.
const TOP_HEADER: usize = 32;
/// An embedded message's header: the top-level one without the last 8 bytes.
const EMBEDDED_HEADER: usize = 24;
/// A recipient's or attachment's header: 8 reserved bytes.
const PART_HEADER: usize = 8;
/// One property-stream entry: tag, flags, value or size.
const ENTRY: usize = 16;
/// Entry flags written: PROPATTR_READABLE | PROPATTR_WRITABLE.
const FLAGS: u32 = 0x6;
/// Hash buckets of the named-property map's per-property streams.
const NAMEID_BUCKETS: u32 = 0x1F;
/// The GUID, entry and string streams of the named-property map.
const NAMEID_GUID: &str = "__substg1.0_00020102";
const NAMEID_ENTRY: &str = "__substg1.0_00030102";
const NAMEID_STRING: &str = "__substg1.0_00040102";

/// Deepest storage nesting read or copied inside an OLE object.
const MAX_TREE_DEPTH: usize = 64;

/// The tag of PidTagAttachDataBinary's stream.
const DATA_BINARY: u32 = pstkit_ltp::props::tags::ATTACH_DATA_BINARY.0;
/// The tag of an attachment's object storage: the same property as an
/// object.
const DATA_OBJECT: u32 = pstkit_ltp::PropTag::new(
    pstkit_ltp::props::ATTACH_DATA_BINARY,
    pstkit_ltp::PropType::Object,
)
.0;

/// The stream name of a value: prefix, tag in upper-case hex.
fn substg(tag: u32) -> String {
    Substg(tag).to_string()
}

/// [`substg`] as a `Display`, for names built without a string of their
/// own.
struct Substg(u32);

impl std::fmt::Display for Substg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{SUBSTG}{:08X}", self.0)
    }
}

/// Types whose multiple values each have a stream of their own, with a
/// stream of lengths: PtypMultipleString8, PtypMultipleString and
/// PtypMultipleBinary.
fn is_variable_multi(code: u16) -> bool {
    matches!(code, 0x101E | 0x101F | 0x1102)
}

/// Fixed-size types whose value lies in the entry itself (8 bytes at most;
/// an object is a storage, never inline).
fn inline_size(t: pstkit_ltp::PropType) -> Option<usize> {
    t.fixed_size()
        .filter(|&n| n <= 8 && t != pstkit_ltp::PropType::Object)
}

#[cfg(test)]
mod tests;
