//! Typed identifiers: node ids, block ids, file offsets and block references.

use std::fmt;

/// The type of a node, the low five bits of a [`Nid`] ([MS-PST] 2.2.2.1).
///
/// Unknown values are kept (`Other`) because Outlook writes undocumented types
/// (0x14–0x18) into ordinary files and a reader must not reject them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NidType {
    /// Heap id; never a node.
    Hid,
    /// Special internal node (message store, name-to-id map, queues).
    Internal,
    /// Folder property context.
    NormalFolder,
    /// Search folder property context.
    SearchFolder,
    /// Message property context.
    NormalMessage,
    /// Attachment property context (a subnode of a message).
    Attachment,
    /// Search folder update queue.
    SearchUpdateQueue,
    /// Search folder criteria object.
    SearchCriteriaObject,
    /// Folder-associated (FAI) message.
    AssocMessage,
    /// Persisted contents-table index.
    ContentsTableIndex,
    /// Receive-folder table.
    ReceiveFolderTable,
    /// Outgoing-queue table.
    OutgoingQueueTable,
    /// Folder hierarchy table.
    HierarchyTable,
    /// Folder contents table.
    ContentsTable,
    /// Folder associated-contents table.
    AssocContentsTable,
    /// Search folder contents table.
    SearchContentsTable,
    /// Attachment table of a message.
    AttachmentTable,
    /// Recipient table of a message.
    RecipientTable,
    /// Persisted search-table index.
    SearchTableIndex,
    /// Subnode holding one large LTP property value.
    Ltp,
    /// Any other (undocumented) type.
    Other(u8),
}

impl NidType {
    /// Decodes the five-bit type field.
    pub fn from_bits(bits: u8) -> Self {
        match bits & 0x1F {
            0x00 => Self::Hid,
            0x01 => Self::Internal,
            0x02 => Self::NormalFolder,
            0x03 => Self::SearchFolder,
            0x04 => Self::NormalMessage,
            0x05 => Self::Attachment,
            0x06 => Self::SearchUpdateQueue,
            0x07 => Self::SearchCriteriaObject,
            0x08 => Self::AssocMessage,
            0x0A => Self::ContentsTableIndex,
            0x0B => Self::ReceiveFolderTable,
            0x0C => Self::OutgoingQueueTable,
            0x0D => Self::HierarchyTable,
            0x0E => Self::ContentsTable,
            0x0F => Self::AssocContentsTable,
            0x10 => Self::SearchContentsTable,
            0x11 => Self::AttachmentTable,
            0x12 => Self::RecipientTable,
            0x13 => Self::SearchTableIndex,
            0x1F => Self::Ltp,
            other => Self::Other(other),
        }
    }

    /// The five-bit value stored in a [`Nid`].
    pub fn bits(self) -> u8 {
        match self {
            Self::Hid => 0x00,
            Self::Internal => 0x01,
            Self::NormalFolder => 0x02,
            Self::SearchFolder => 0x03,
            Self::NormalMessage => 0x04,
            Self::Attachment => 0x05,
            Self::SearchUpdateQueue => 0x06,
            Self::SearchCriteriaObject => 0x07,
            Self::AssocMessage => 0x08,
            Self::ContentsTableIndex => 0x0A,
            Self::ReceiveFolderTable => 0x0B,
            Self::OutgoingQueueTable => 0x0C,
            Self::HierarchyTable => 0x0D,
            Self::ContentsTable => 0x0E,
            Self::AssocContentsTable => 0x0F,
            Self::SearchContentsTable => 0x10,
            Self::AttachmentTable => 0x11,
            Self::RecipientTable => 0x12,
            Self::SearchTableIndex => 0x13,
            Self::Ltp => 0x1F,
            Self::Other(b) => b & 0x1F,
        }
    }
}

/// A node id: five type bits and a 27-bit index, the same width in every variant.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Nid(pub u32);

impl Nid {
    /// The message store's property context.
    pub const MESSAGE_STORE: Nid = Nid(0x21);
    /// The named-property (name-to-id) map.
    pub const NAME_TO_ID_MAP: Nid = Nid(0x61);
    /// The root folder; its parent is itself.
    pub const ROOT_FOLDER: Nid = Nid(0x122);
    /// The recipient table subnode of every message (and its template).
    pub const RECIPIENT_TABLE: Nid = Nid(0x692);
    /// The attachment table subnode of a message (and its template).
    pub const ATTACHMENT_TABLE: Nid = Nid(0x671);

    /// Builds a node id from its type and index.
    pub fn new(kind: NidType, index: u32) -> Self {
        Nid((index << 5) | u32::from(kind.bits()))
    }

    /// The node type.
    pub fn kind(self) -> NidType {
        NidType::from_bits((self.0 & 0x1F) as u8)
    }

    /// The 27-bit index.
    pub fn index(self) -> u32 {
        self.0 >> 5
    }

    /// The node of another type that shares this node's index, as a folder's
    /// hierarchy, contents and associated-contents tables share the folder's.
    pub fn with_kind(self, kind: NidType) -> Self {
        Nid::new(kind, self.index())
    }
}

impl fmt::Debug for Nid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nid(0x{:X})", self.0)
    }
}

impl fmt::Display for Nid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:X}", self.0)
    }
}

/// A block id. Bit 0 is reserved (Outlook may set it; it is not part of the
/// key), bit 1 marks internal blocks (data trees and subnode trees).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bid(pub u64);

impl Bid {
    /// The id with the reserved bit cleared: the key under which the BBT files it.
    pub fn key(self) -> Bid {
        Bid(self.0 & !1)
    }

    /// Whether this id names an internal block (XBLOCK, XXBLOCK, SLBLOCK, SIBLOCK).
    pub fn is_internal(self) -> bool {
        self.0 & 2 != 0
    }

    /// Whether the id is zero, which means "no block".
    pub fn is_none(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Debug for Bid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bid(0x{:X})", self.0)
    }
}

impl fmt::Display for Bid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:X}", self.0)
    }
}

/// An absolute byte offset in the file.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ib(pub u64);

impl fmt::Debug for Ib {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ib(0x{:X})", self.0)
    }
}

impl fmt::Display for Ib {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:X}", self.0)
    }
}

/// A reference to a page or block: its id and where it sits in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct BRef {
    /// Id of the page or block.
    pub bid: Bid,
    /// File offset of the page or block.
    pub ib: Ib,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_in_hex() {
        assert_eq!(
            format!("{:?} {}", Nid(0x8022), Nid(0x8022)),
            "Nid(0x8022) 0x8022"
        );
        assert_eq!(
            format!("{:?} {}", Bid(0x2A4), Bid(0x2A4)),
            "Bid(0x2A4) 0x2A4"
        );
        assert_eq!(
            format!("{:?} {}", Ib(0x4400), Ib(0x4400)),
            "Ib(0x4400) 0x4400"
        );
    }

    #[test]
    fn nid_parts() {
        let n = Nid(0x8022);
        assert_eq!(n.kind(), NidType::NormalFolder);
        assert_eq!(n.index(), 0x401);
        assert_eq!(n.with_kind(NidType::ContentsTable), Nid(0x802E));
        assert_eq!(Nid::new(NidType::NormalFolder, 9), Nid::ROOT_FOLDER);
        assert_eq!(Nid(0x6B6).kind(), NidType::Other(0x16));
        for b in 0..32u8 {
            assert_eq!(NidType::from_bits(b).bits(), b);
        }
    }

    #[test]
    fn bid_bits() {
        assert!(Bid(0x162).is_internal());
        assert!(!Bid(0x15C).is_internal());
        assert_eq!(Bid(0x15D).key(), Bid(0x15C));
    }
}
