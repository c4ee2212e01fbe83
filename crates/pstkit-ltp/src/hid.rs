//! The heap id, on its own so that the error type can name one without
//! depending on the heap that reports through it.

use std::fmt;

use pstkit_ndb::Variant;

/// A heap id: names one allocation by page and 1-based slot.
///
/// The split of the 27 bits above the type differs between the 512-byte-page
/// formats (11-bit slot, 16-bit page) and the 4K OST (14-bit slot, 13-bit
/// page, per libpff and pstreader), hence the [`Variant`] argument.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hid(pub u32);

impl Hid {
    /// "No allocation".
    pub const NONE: Hid = Hid(0);

    fn layout(variant: Variant) -> (u32, u32) {
        // (slot mask after shifting out the type bits, page shift)
        match variant {
            Variant::Ansi | Variant::Unicode => (0x7FF, 16),
            Variant::Unicode4k => (0x3FFF, 19),
        }
    }

    /// Builds the id of slot `index` (1-based) on page `block`; bits that do
    /// not fit the variant's fields are dropped.
    pub fn new(variant: Variant, block: u32, index: u32) -> Self {
        let (mask, shift) = Self::layout(variant);
        Hid((block << shift) | ((index & mask) << 5))
    }

    /// The five type bits; 0 (NID_TYPE_HID) for every valid heap id.
    pub fn hid_type(self) -> u8 {
        (self.0 & 0x1F) as u8
    }

    /// Whether this is the null id.
    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The 0-based page (data block) index.
    pub fn block(self, variant: Variant) -> u32 {
        let (_, shift) = Self::layout(variant);
        self.0 >> shift
    }

    /// The 1-based slot index within the page's allocation table.
    pub fn index(self, variant: Variant) -> u32 {
        let (mask, _) = Self::layout(variant);
        (self.0 >> 5) & mask
    }
}

impl fmt::Debug for Hid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hid(0x{:X})", self.0)
    }
}

impl fmt::Display for Hid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:X}", self.0)
    }
}
