//! The one error type of the LTP layer.
//!
//! Corruption errors name the node whose heap, tree, table or property is
//! damaged, so that a report can be traced back to the NDB structures below.

use pstkit_ndb::{Corruption, NdbError, Nid};

use crate::hid::Hid;
use crate::tag::{PropTag, PropType};
use crate::value::DecodeError;

/// Errors of the LTP layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LtpError {
    /// The node's blocks could not be read.
    #[error(transparent)]
    Ndb(#[from] NdbError),

    /// The heap-on-node is damaged (headers, page maps, heap ids).
    #[error("heap of node {nid}: {}{what}", hid.map(|h| format!("HID {h} ")).unwrap_or_default())]
    Heap {
        /// The node whose data stream holds the heap.
        nid: Nid,
        /// The allocation asked for, when one heap id is at fault rather
        /// than the heap as a whole.
        hid: Option<Hid>,
        /// What is wrong.
        what: String,
    },

    /// A B-tree-on-heap is damaged.
    #[error("BTH of node {nid} (header HID {hid}): {what}")]
    Bth {
        /// The node holding the heap.
        nid: Nid,
        /// The heap id of the tree's BTHHEADER.
        hid: Hid,
        /// What is wrong.
        what: String,
    },

    /// A property context's structure is damaged.
    #[error("property context of node {nid}: {what}")]
    PropertyContext {
        /// The node holding the PC.
        nid: Nid,
        /// What is wrong.
        what: String,
    },

    /// A table context's structure is damaged.
    #[error("table context of node {nid}: {what}")]
    TableContext {
        /// The node holding the TC.
        nid: Nid,
        /// What is wrong.
        what: String,
    },

    /// One row of a table context cannot be located.
    #[error("table context of node {nid}, row {row}: {what}")]
    Row {
        /// The node holding the TC.
        nid: Nid,
        /// The row's position in the row matrix.
        row: u64,
        /// What is wrong.
        what: String,
    },

    /// One property value (of a PC, or a TC cell) cannot be read or decoded;
    /// the rest of the PC or TC stays readable.
    #[error("node {nid}, property {tag}{}: {source}", row.map(|r| format!(", row {r}")).unwrap_or_default())]
    Property {
        /// The node holding the PC or TC.
        nid: Nid,
        /// The property concerned.
        tag: PropTag,
        /// The row's position, for a TC cell.
        row: Option<u64>,
        /// Why the value cannot be read.
        #[source]
        source: Box<LtpError>,
    },

    /// Stored bytes do not form a value of their type. Reported wrapped in
    /// [`LtpError::Property`], which says whose value it is.
    #[error(transparent)]
    Decode(#[from] DecodeError),

    /// A typed accessor was used on a property of another type.
    #[error("node {nid}, property {tag}: is {found}, not {wanted}")]
    TypeMismatch {
        /// The node holding the property.
        nid: Nid,
        /// The property concerned.
        tag: PropTag,
        /// The type asked for.
        wanted: &'static str,
        /// The stored type.
        found: PropType,
    },
}

impl LtpError {
    /// The node-database damage underneath, when the error comes from there:
    /// the structure, id and file offset a report can point at.
    pub fn corruption(&self) -> Option<&Corruption> {
        match self {
            LtpError::Ndb(e) => e.corruption(),
            LtpError::Property { source, .. } => source.corruption(),
            _ => None,
        }
    }

    /// The node whose heap, tree, table or property is damaged; `None` when
    /// the error came from the node database without naming one.
    pub fn nid(&self) -> Option<Nid> {
        match self {
            LtpError::Heap { nid, .. }
            | LtpError::Bth { nid, .. }
            | LtpError::PropertyContext { nid, .. }
            | LtpError::TableContext { nid, .. }
            | LtpError::Row { nid, .. }
            | LtpError::Property { nid, .. }
            | LtpError::TypeMismatch { nid, .. } => Some(*nid),
            LtpError::Ndb(NdbError::NodeNotFound(nid)) => Some(*nid),
            _ => None,
        }
    }

    /// The heap id of the damaged allocation or B-tree, so that the bytes
    /// can be found inside the node.
    pub fn hid(&self) -> Option<Hid> {
        match self {
            LtpError::Heap { hid, .. } => *hid,
            LtpError::Bth { hid, .. } => Some(*hid),
            LtpError::Property { source, .. } => source.hid(),
            _ => None,
        }
    }

    /// The table row (its position in the row matrix) concerned.
    pub fn row(&self) -> Option<u64> {
        match self {
            LtpError::Row { row, .. } => Some(*row),
            LtpError::Property { row, source, .. } => row.or_else(|| source.row()),
            _ => None,
        }
    }

    /// The property (or, in a table, the column) whose value is damaged or
    /// of another type.
    pub fn tag(&self) -> Option<PropTag> {
        match self {
            LtpError::Property { tag, .. } | LtpError::TypeMismatch { tag, .. } => Some(*tag),
            _ => None,
        }
    }
}

/// Result of LTP operations.
pub type Result<T, E = LtpError> = std::result::Result<T, E>;

pub(crate) fn heap_err(nid: Nid, what: impl Into<String>) -> LtpError {
    LtpError::Heap {
        nid,
        hid: None,
        what: what.into(),
    }
}

pub(crate) fn hid_err(nid: Nid, hid: Hid, what: impl Into<String>) -> LtpError {
    LtpError::Heap {
        nid,
        hid: Some(hid),
        what: what.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each accessor finds its fact in every variant that holds one, and
    /// through the `Property` wrapper.
    #[test]
    fn accessors_reach_every_variant_that_holds_the_fact() {
        use pstkit_ndb::{Problem, Structure};
        let damage = || {
            NdbError::Corrupt(Box::new(Corruption {
                structure: Structure::DataBlock,
                id: Some(0x44),
                offset: Some(0x4400),
                problem: Problem::Invalid("x"),
            }))
        };
        let wrap = |source: LtpError| LtpError::Property {
            nid: Nid(0x21),
            tag: PropTag(0x0037_001F),
            row: None,
            source: Box::new(source),
        };
        let e = wrap(LtpError::Ndb(damage()));
        assert_eq!(e.corruption().and_then(|c| c.offset), Some(0x4400));
        assert_eq!(
            LtpError::Ndb(damage()).corruption().and_then(|c| c.id),
            Some(0x44)
        );
        assert_eq!(
            LtpError::Ndb(NdbError::NodeNotFound(Nid(0x8022))).nid(),
            Some(Nid(0x8022))
        );
        let bth = || LtpError::Bth {
            nid: Nid(0x21),
            hid: Hid(0x40),
            what: "x".into(),
        };
        assert_eq!(bth().hid(), Some(Hid(0x40)));
        assert_eq!(wrap(bth()).hid(), Some(Hid(0x40)));
        let row = || LtpError::Row {
            nid: Nid(0x21),
            row: 7,
            what: "x".into(),
        };
        assert_eq!(row().row(), Some(7));
        assert_eq!(wrap(row()).row(), Some(7));
        assert_eq!(bth().row(), None);
        assert_eq!(row().hid(), None);
    }

    #[test]
    fn messages_name_the_structure() {
        let e = heap_err(
            Nid(0x8022),
            "HID 0x60: block 0 index 3 out of range (cAlloc 2)",
        );
        assert_eq!(
            e.to_string(),
            "heap of node 0x8022: HID 0x60: block 0 index 3 out of range (cAlloc 2)"
        );
        let e = LtpError::Property {
            nid: Nid(0x802E),
            tag: PropTag(0x0037_001F),
            row: Some(3),
            source: Box::new(heap_err(Nid(0x802E), "x")),
        };
        assert_eq!(
            e.to_string(),
            "node 0x802E, property 0x0037001F, row 3: heap of node 0x802E: x"
        );
    }
}
