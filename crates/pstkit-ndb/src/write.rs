//! Encoders for pages, blocks and headers.
