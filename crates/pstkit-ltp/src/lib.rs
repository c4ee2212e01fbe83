//! Lists, tables and properties (LTP) layer of pstkit.
//!
//! Above the node database, a node's data stream is a heap-on-node
//! ([`Heap`]); on the heap sit B-trees ([`Bth`]), and on those the two
//! structures the messaging layer reads: property contexts
//! ([`PropertyContext`], the properties of one object) and table contexts
//! ([`TableContext`], rows such as a folder's messages). Values come out as
//! [`PropValue`]s. Which property an id is, its type and its [MS-OXPROPS]
//! name are written once, in the table of [`props`].
//!
//! Parsing borrows the node's decoded blocks; values are copied only when
//! decoded. Damage is reported as an [`LtpError`] naming the node and the
//! structure, and a property that cannot be read does not make its
//! neighbours unreadable.
//!
//! ```no_run
//! use pstkit_ltp::{props, PropertyContext, TableContext};
//! use pstkit_ndb::{NdbFile, Nid};
//!
//! let file = NdbFile::open("mail.pst")?;
//! let ndb = file.ndb();
//! let store = PropertyContext::read(ndb.node(Nid::MESSAGE_STORE)?)?;
//! if let Some(name) = store.get_string(props::DISPLAY_NAME, 1252) {
//!     println!("store: {}", name?);
//! }
//! let children = TableContext::read(ndb.node(Nid(0x12D))?)?;
//! for row in children.iter() {
//!     println!("subfolder 0x{:X}", row?.row_id());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod bth;
pub mod error;
pub mod heap;
mod hid;
pub mod pc;
pub mod props;
pub mod tag;
pub mod tc;
pub mod value;
pub mod write;

#[cfg(test)]
mod proptests;

pub use bth::{Bth, BthHeader, BthRecord};
pub use error::{LtpError, Result};
pub use heap::{Heap, HeapBlock, Hid, HnHeader, Hnid, HnidTarget};
pub use pc::{PcRecord, PropertyContext, Props};
pub use tag::{PropId, PropKey, PropTag, PropType};
pub use tc::{Cells, Row, Rows, TableContext, TcColumn, TcInfo};
pub use value::{
    decode_codepage, encoding_for_codepage, DecodeError, FileTime, PropValue, String8,
    DEFAULT_CODEPAGE,
};
