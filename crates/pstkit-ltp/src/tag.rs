//! Property ids, types and tags ([MS-OXCDATA] 2.11.1, 2.9).
//!
//! A tag packs a 16-bit id (high half) and a 16-bit type (low half). Ids say
//! *which* property, types say *how to read the bytes*; keeping them typed
//! stops the two halves from being mixed up.

use std::fmt;

/// A property type code. Codes not listed in [MS-OXCDATA] are kept as
/// [`PropType::Unknown`] so that tables carrying them stay readable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PropType {
    /// PtypUnspecified (0x0000): the type is not given.
    Unspecified,
    /// PtypNull (0x0001): no value.
    Null,
    /// PtypInteger16 (0x0002).
    Int16,
    /// PtypInteger32 (0x0003).
    Int32,
    /// PtypFloating32 (0x0004).
    Float32,
    /// PtypFloating64 (0x0005).
    Float64,
    /// PtypCurrency (0x0006): a 64-bit integer scaled by 10 000.
    Currency,
    /// PtypFloatingTime (0x0007): an OLE automation date.
    FloatingTime,
    /// PtypErrorCode (0x000A): an SCODE.
    ErrorCode,
    /// PtypBoolean (0x000B).
    Boolean,
    /// PtypObject (0x000D): a reference to a subnode holding an object.
    Object,
    /// PtypInteger64 (0x0014).
    Int64,
    /// PtypString8 (0x001E): 8-bit text in a code page the file does not record.
    String8,
    /// PtypString (0x001F): UTF-16LE text.
    String,
    /// PtypTime (0x0040): a FILETIME.
    Time,
    /// PtypGuid (0x0048).
    Guid,
    /// PtypServerId (0x00FB).
    ServerId,
    /// PtypRestriction (0x00FD).
    Restriction,
    /// PtypRuleAction (0x00FE).
    RuleAction,
    /// PtypBinary (0x0102).
    Binary,
    /// PtypMultipleInteger16 (0x1002).
    MultipleInt16,
    /// PtypMultipleInteger32 (0x1003).
    MultipleInt32,
    /// PtypMultipleFloating32 (0x1004).
    MultipleFloat32,
    /// PtypMultipleFloating64 (0x1005).
    MultipleFloat64,
    /// PtypMultipleCurrency (0x1006).
    MultipleCurrency,
    /// PtypMultipleFloatingTime (0x1007).
    MultipleFloatingTime,
    /// PtypMultipleInteger64 (0x1014).
    MultipleInt64,
    /// PtypMultipleString8 (0x101E).
    MultipleString8,
    /// PtypMultipleString (0x101F).
    MultipleString,
    /// PtypMultipleTime (0x1040).
    MultipleTime,
    /// PtypMultipleGuid (0x1048).
    MultipleGuid,
    /// PtypMultipleBinary (0x1102).
    MultipleBinary,
    /// Any other code, kept verbatim.
    Unknown(u16),
}

impl PropType {
    /// The type a stored code stands for. Known codes always map to their
    /// named variant, so values built here compare equal by code.
    pub fn from_code(code: u16) -> Self {
        match code {
            0x0000 => Self::Unspecified,
            0x0001 => Self::Null,
            0x0002 => Self::Int16,
            0x0003 => Self::Int32,
            0x0004 => Self::Float32,
            0x0005 => Self::Float64,
            0x0006 => Self::Currency,
            0x0007 => Self::FloatingTime,
            0x000A => Self::ErrorCode,
            0x000B => Self::Boolean,
            0x000D => Self::Object,
            0x0014 => Self::Int64,
            0x001E => Self::String8,
            0x001F => Self::String,
            0x0040 => Self::Time,
            0x0048 => Self::Guid,
            0x00FB => Self::ServerId,
            0x00FD => Self::Restriction,
            0x00FE => Self::RuleAction,
            0x0102 => Self::Binary,
            0x1002 => Self::MultipleInt16,
            0x1003 => Self::MultipleInt32,
            0x1004 => Self::MultipleFloat32,
            0x1005 => Self::MultipleFloat64,
            0x1006 => Self::MultipleCurrency,
            0x1007 => Self::MultipleFloatingTime,
            0x1014 => Self::MultipleInt64,
            0x101E => Self::MultipleString8,
            0x101F => Self::MultipleString,
            0x1040 => Self::MultipleTime,
            0x1048 => Self::MultipleGuid,
            0x1102 => Self::MultipleBinary,
            other => Self::Unknown(other),
        }
    }

    /// The stored code.
    pub const fn code(self) -> u16 {
        match self {
            Self::Unspecified => 0x0000,
            Self::Null => 0x0001,
            Self::Int16 => 0x0002,
            Self::Int32 => 0x0003,
            Self::Float32 => 0x0004,
            Self::Float64 => 0x0005,
            Self::Currency => 0x0006,
            Self::FloatingTime => 0x0007,
            Self::ErrorCode => 0x000A,
            Self::Boolean => 0x000B,
            Self::Object => 0x000D,
            Self::Int64 => 0x0014,
            Self::String8 => 0x001E,
            Self::String => 0x001F,
            Self::Time => 0x0040,
            Self::Guid => 0x0048,
            Self::ServerId => 0x00FB,
            Self::Restriction => 0x00FD,
            Self::RuleAction => 0x00FE,
            Self::Binary => 0x0102,
            Self::MultipleInt16 => 0x1002,
            Self::MultipleInt32 => 0x1003,
            Self::MultipleFloat32 => 0x1004,
            Self::MultipleFloat64 => 0x1005,
            Self::MultipleCurrency => 0x1006,
            Self::MultipleFloatingTime => 0x1007,
            Self::MultipleInt64 => 0x1014,
            Self::MultipleString8 => 0x101E,
            Self::MultipleString => 0x101F,
            Self::MultipleTime => 0x1040,
            Self::MultipleGuid => 0x1048,
            Self::MultipleBinary => 0x1102,
            Self::Unknown(c) => c,
        }
    }

    /// Whether the code has the multi-valued flag (0x1000).
    pub fn is_multi(self) -> bool {
        self.code() & 0x1000 != 0
    }

    /// The element type of a multi-valued type; `None` for single values.
    pub fn element(self) -> Option<PropType> {
        if self.is_multi() {
            Some(Self::from_code(self.code() & !0x1000))
        } else {
            None
        }
    }

    /// The multi-valued type whose elements are of this type.
    pub fn multiple(self) -> PropType {
        Self::from_code(self.code() | 0x1000)
    }

    /// Size in bytes of a single value of a fixed-size type; `None` for
    /// variable-size, multi-valued and unknown types.
    pub fn fixed_size(self) -> Option<usize> {
        match self {
            Self::Unspecified | Self::Null => Some(0),
            Self::Boolean => Some(1),
            Self::Int16 => Some(2),
            Self::Int32 | Self::Float32 | Self::ErrorCode => Some(4),
            Self::Float64
            | Self::Currency
            | Self::FloatingTime
            | Self::Int64
            | Self::Time
            | Self::Object => Some(8),
            Self::Guid => Some(16),
            _ => None,
        }
    }

    /// Whether a property context stores the value inside `dwValueHnid`
    /// itself (types of at most four bytes) rather than behind an HNID.
    pub fn is_inline(self) -> bool {
        matches!(
            self,
            Self::Unspecified
                | Self::Null
                | Self::Int16
                | Self::Int32
                | Self::Float32
                | Self::ErrorCode
                | Self::Boolean
        )
    }

    /// Whether a table context stores the value in the row itself (fixed
    /// types of at most eight bytes) rather than behind an HNID.
    pub fn is_in_cell(self) -> bool {
        !matches!(self, Self::Guid | Self::Object) && self.fixed_size().is_some_and(|s| s <= 8)
    }

    /// The name used by [MS-OXCDATA].
    pub fn name(self) -> &'static str {
        match self {
            Self::Unspecified => "PtypUnspecified",
            Self::Null => "PtypNull",
            Self::Int16 => "PtypInteger16",
            Self::Int32 => "PtypInteger32",
            Self::Float32 => "PtypFloating32",
            Self::Float64 => "PtypFloating64",
            Self::Currency => "PtypCurrency",
            Self::FloatingTime => "PtypFloatingTime",
            Self::ErrorCode => "PtypErrorCode",
            Self::Boolean => "PtypBoolean",
            Self::Object => "PtypObject",
            Self::Int64 => "PtypInteger64",
            Self::String8 => "PtypString8",
            Self::String => "PtypString",
            Self::Time => "PtypTime",
            Self::Guid => "PtypGuid",
            Self::ServerId => "PtypServerId",
            Self::Restriction => "PtypRestriction",
            Self::RuleAction => "PtypRuleAction",
            Self::Binary => "PtypBinary",
            Self::MultipleInt16 => "PtypMultipleInteger16",
            Self::MultipleInt32 => "PtypMultipleInteger32",
            Self::MultipleFloat32 => "PtypMultipleFloating32",
            Self::MultipleFloat64 => "PtypMultipleFloating64",
            Self::MultipleCurrency => "PtypMultipleCurrency",
            Self::MultipleFloatingTime => "PtypMultipleFloatingTime",
            Self::MultipleInt64 => "PtypMultipleInteger64",
            Self::MultipleString8 => "PtypMultipleString8",
            Self::MultipleString => "PtypMultipleString",
            Self::MultipleTime => "PtypMultipleTime",
            Self::MultipleGuid => "PtypMultipleGuid",
            Self::MultipleBinary => "PtypMultipleBinary",
            Self::Unknown(_) => "unknown type",
        }
    }
}

impl fmt::Display for PropType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (0x{:04X})", self.name(), self.code())
    }
}

/// A property id, the high half of a tag. Ids ≥ 0x8000 are named properties,
/// resolved through the name-to-id map.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PropId(pub u16);

impl fmt::Debug for PropId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PropId(0x{:04X})", self.0)
    }
}

impl fmt::Display for PropId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:04X}", self.0)
    }
}

/// A property tag: id in the high 16 bits, type code in the low 16 bits, as
/// stored in table column descriptors.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PropTag(pub u32);

impl PropTag {
    /// Builds a tag from its halves.
    pub const fn new(id: PropId, ptype: PropType) -> Self {
        PropTag(((id.0 as u32) << 16) | ptype.code() as u32)
    }

    /// The property id.
    pub fn id(self) -> PropId {
        PropId((self.0 >> 16) as u16)
    }

    /// The property type.
    pub fn prop_type(self) -> PropType {
        PropType::from_code(self.type_code())
    }

    /// The raw type code (low 16 bits).
    pub fn type_code(self) -> u16 {
        self.0 as u16
    }
}

impl fmt::Debug for PropTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PropTag(0x{:08X})", self.0)
    }
}

impl fmt::Display for PropTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08X}", self.0)
    }
}

/// Selects a property either by id alone (any type) or by full tag, so one
/// accessor serves both callers who know the type and those who do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PropKey {
    /// Matches any property with this id.
    Id(PropId),
    /// Matches only this id with this type.
    Tag(PropTag),
}

impl PropKey {
    /// Whether `tag` is selected.
    pub fn matches(self, tag: PropTag) -> bool {
        match self {
            PropKey::Id(id) => tag.id() == id,
            PropKey::Tag(t) => tag == t,
        }
    }

    /// The id selected.
    pub fn id(self) -> PropId {
        match self {
            PropKey::Id(id) => id,
            PropKey::Tag(t) => t.id(),
        }
    }
}

impl From<PropId> for PropKey {
    fn from(id: PropId) -> Self {
        PropKey::Id(id)
    }
}

impl From<PropTag> for PropKey {
    fn from(tag: PropTag) -> Self {
        PropKey::Tag(tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in 0..=0x1200u16 {
            assert_eq!(PropType::from_code(code).code(), code);
        }
        assert_eq!(PropType::from_code(0x101F), PropType::MultipleString);
        assert_eq!(PropType::MultipleString.element(), Some(PropType::String));
        assert_eq!(PropType::Binary.multiple(), PropType::MultipleBinary);
        assert_eq!(PropType::from_code(0x100B), PropType::Unknown(0x100B));
        assert_eq!(
            PropType::from_code(0x100B).element(),
            Some(PropType::Boolean)
        );
        assert!(PropType::Int32.is_inline());
        assert!(!PropType::Int64.is_inline());
        // The multi-valued flag, and a type already multi-valued kept so.
        assert!(PropType::MultipleInt32.is_multi() && !PropType::Int32.is_multi());
        assert!(!PropType::Unknown(0x0FFF).is_multi());
        assert_eq!(
            PropType::MultipleBinary.multiple(),
            PropType::MultipleBinary
        );
        assert_eq!(PropType::Unspecified.fixed_size(), Some(0));
        assert_eq!(PropType::Null.fixed_size(), Some(0));
        assert_eq!(PropType::Guid.fixed_size(), Some(16));
        assert_eq!(PropType::MultipleGuid.fixed_size(), None);
        assert!(PropType::Int64.is_in_cell());
        assert!(!PropType::Guid.is_in_cell());
        assert!(!PropType::String.is_in_cell());
    }

    #[test]
    fn tag_parts_and_display() {
        let t = PropTag(0x0037_001F);
        assert_eq!(t.id(), crate::props::SUBJECT);
        assert_eq!(t.prop_type(), PropType::String);
        assert_eq!(t.to_string(), "0x0037001F");
        assert_eq!(format!("{t:?}"), "PropTag(0x0037001F)");
        assert_eq!(
            PropTag::new(PropId(0x0FF9), PropType::Binary),
            PropTag(0x0FF9_0102)
        );
        assert_eq!(PropId(0x3001).to_string(), "0x3001");
        assert!(PropId(0x8010).is_named());
        assert_eq!(PropType::String.to_string(), "PtypString (0x001F)");
        assert!(PropKey::from(PropId(0x37)).matches(t));
        assert!(!PropKey::from(PropTag(0x0037_001E)).matches(t));
    }
}
