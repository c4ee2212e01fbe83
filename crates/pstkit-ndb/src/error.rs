//! The one error type of the NDB layer. Every corruption error names the
//! structure, its id and the file offset, so that a report points at bytes.

use std::fmt;
use std::path::PathBuf;

/// The on-disk structure an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Structure {
    /// The whole file (length, mapping).
    File,
    /// The file header.
    Header,
    /// A node B-tree page.
    NbtPage,
    /// A block B-tree page.
    BbtPage,
    /// An allocation-map page.
    AMapPage,
    /// A page-map page.
    PMapPage,
    /// The density-list page.
    DListPage,
    /// A node B-tree leaf entry.
    NbtEntry,
    /// A block B-tree leaf entry.
    BbtEntry,
    /// An external data block.
    DataBlock,
    /// An XBLOCK or XXBLOCK (data tree).
    DataTree,
    /// An SLBLOCK or SIBLOCK (subnode tree).
    SubnodeTree,
    /// A node's whole data stream.
    Node,
}

impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::File => "file",
            Self::Header => "header",
            Self::NbtPage => "NBT page",
            Self::BbtPage => "BBT page",
            Self::AMapPage => "AMap page",
            Self::PMapPage => "PMap page",
            Self::DListPage => "DList page",
            Self::NbtEntry => "NBT entry",
            Self::BbtEntry => "BBT entry",
            Self::DataBlock => "data block",
            Self::DataTree => "data tree block",
            Self::SubnodeTree => "subnode tree block",
            Self::Node => "node",
        })
    }
}

/// What is wrong with a structure.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Problem {
    /// The file ends before the structure does.
    Truncated {
        /// Bytes the structure needs, from its offset.
        needed: u64,
        /// Bytes the file has from that offset.
        available: u64,
    },
    /// A magic value is wrong.
    BadMagic {
        /// What was found.
        found: u32,
    },
    /// The header's version names no known variant.
    UnsupportedVersion(u16),
    /// The header's crypt method is unknown.
    UnsupportedCrypt(u8),
    /// A stored CRC does not match the bytes.
    Crc {
        /// The CRC stored in the file.
        stored: u32,
        /// The CRC of the bytes.
        computed: u32,
    },
    /// A signature (`wSig`) does not match.
    Signature {
        /// The stored signature.
        stored: u16,
        /// The signature computed from offset and id.
        computed: u16,
    },
    /// A page trailer's type is not the expected one.
    PageType {
        /// Expected `ptype`.
        expected: u8,
        /// `ptype` found.
        found: u8,
        /// `ptypeRepeat` found.
        repeat: u8,
    },
    /// An id stored in a trailer or entry differs from the one that led here.
    IdMismatch {
        /// The id that was expected.
        expected: u64,
        /// The id found.
        found: u64,
    },
    /// A size field disagrees with another or is out of range.
    Size {
        /// What the size is of.
        what: &'static str,
        /// The value expected (or the bound).
        expected: u64,
        /// The value found.
        found: u64,
    },
    /// A block id is not in the block B-tree.
    MissingBlock(u64),
    /// A node id is not in the node B-tree.
    MissingNode(u32),
    /// A tree refers back to a page already visited on the way.
    Cycle,
    /// Entries are not in ascending key order.
    Unsorted {
        /// The key before.
        previous: u64,
        /// The key that should be larger.
        key: u64,
    },
    /// A compressed block does not inflate.
    Inflate(String),
    /// Anything else, described.
    Invalid(&'static str),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { needed, available } => {
                write!(f, "truncated: needs {needed} bytes, file has {available}")
            }
            Self::BadMagic { found } => write!(f, "bad magic 0x{found:08X}"),
            Self::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            Self::UnsupportedCrypt(c) => write!(f, "unsupported crypt method 0x{c:02X}"),
            Self::Crc { stored, computed } => {
                write!(
                    f,
                    "CRC mismatch: stored 0x{stored:08X}, computed 0x{computed:08X}"
                )
            }
            Self::Signature { stored, computed } => write!(
                f,
                "signature mismatch: stored 0x{stored:04X}, computed 0x{computed:04X}"
            ),
            Self::PageType {
                expected,
                found,
                repeat,
            } => write!(
                f,
                "page type 0x{found:02X}/0x{repeat:02X}, expected 0x{expected:02X}"
            ),
            Self::IdMismatch { expected, found } => {
                write!(f, "id mismatch: expected 0x{expected:X}, found 0x{found:X}")
            }
            Self::Size {
                what,
                expected,
                found,
            } => write!(f, "bad {what}: expected {expected}, found {found}"),
            Self::MissingBlock(b) => write!(f, "block 0x{b:X} is not in the block B-tree"),
            Self::MissingNode(n) => write!(f, "node 0x{n:X} is not in the node B-tree"),
            Self::Cycle => f.write_str("cycle: page already visited"),
            Self::Unsorted { previous, key } => {
                write!(f, "keys out of order: 0x{key:X} after 0x{previous:X}")
            }
            Self::Inflate(e) => write!(f, "cannot inflate: {e}"),
            Self::Invalid(what) => f.write_str(what),
        }
    }
}

/// A damaged or unexpected structure, located in the file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Corruption {
    /// The structure concerned.
    pub structure: Structure,
    /// Its id (BID, NID, or page BID), when it has one.
    pub id: Option<u64>,
    /// Its file offset, when known.
    pub offset: Option<u64>,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.structure)?;
        if let Some(id) = self.id {
            write!(f, " 0x{id:X}")?;
        }
        if let Some(off) = self.offset {
            write!(f, " at offset 0x{off:X}")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// Errors of the NDB layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NdbError {
    /// The file could not be opened or mapped.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path given.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The input is not a PST or OST file at all (a directory, or a file
    /// without the `!BDN` signature).
    #[error("{} is not a PST or OST file ({why})", path.display())]
    NotPst {
        /// The path given.
        path: PathBuf,
        /// What it is instead.
        why: String,
    },
    /// The input changed while it was read (another program truncated or
    /// rewrote it): what was read cannot be trusted, and nothing built
    /// from it is kept.
    #[error("{} changed while it was read (it was {was} bytes, now {now}); nothing read from it is kept", path.display())]
    SourceChanged {
        /// The input.
        path: PathBuf,
        /// Its size when opened.
        was: u64,
        /// Its size now.
        now: u64,
    },
    /// A structure in the file is damaged or not understood.
    #[error("{0}")]
    Corrupt(Box<Corruption>),
    /// Writing the output failed.
    #[error("write failed: {0}")]
    Write(#[source] std::io::Error),
    /// A node asked for by id does not exist.
    #[error("node {0} not found")]
    NodeNotFound(crate::Nid),
}

impl NdbError {
    /// Builds a corruption error.
    pub(crate) fn corrupt(
        structure: Structure,
        id: Option<u64>,
        offset: Option<u64>,
        problem: Problem,
    ) -> Self {
        NdbError::Corrupt(Box::new(Corruption {
            structure,
            id,
            offset,
            problem,
        }))
    }

    /// The corruption details, when this is a corruption error.
    pub fn corruption(&self) -> Option<&Corruption> {
        match self {
            NdbError::Corrupt(c) => Some(c),
            _ => None,
        }
    }
}

/// Result of NDB operations.
pub type Result<T, E = NdbError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structures_print_as_the_spec_names_them() {
        let c = Corruption {
            structure: Structure::SubnodeTree,
            id: Some(0x42),
            offset: Some(0x4400),
            problem: Problem::Cycle,
        };
        assert!(c.to_string().starts_with("subnode tree block"), "{c}");
        for (s, name) in [
            (Structure::File, "file"),
            (Structure::NbtPage, "NBT page"),
            (Structure::DataTree, "data tree block"),
            (Structure::Node, "node"),
        ] {
            assert_eq!(s.to_string(), name);
        }
    }
}
