//! Messaging layer of pstkit (being written).

pub mod rtf;
pub mod tagnames;
