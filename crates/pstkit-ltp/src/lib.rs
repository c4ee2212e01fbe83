//! LTP layer (being written).
