//! Property ids the messaging layer reads ([MS-OXPROPS]).
//!
//! The one table in [`pstkit_ltp::props`], re-exported so that the
//! messaging layer and its users can name `pid::SUBJECT` without depending
//! on the LTP crate; every constant has the table's name and no other.

pub use pstkit_ltp::props::*;
