//! Messaging layer (being written).
