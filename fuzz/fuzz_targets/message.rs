//! Messaging layer: the store, every folder, every message with its
//! recipients, attachments (data and embedded messages, recursively),
//! bodies (RTF decompressed) and its EML/vCard/iCalendar export.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pstkit_fuzz::{prepared, walk_store, Walk};
use pstkit_ndb::NdbFile;
use pstkit_store::Store;

fuzz_target!(|input: &[u8]| {
    let data = prepared(input);
    let data = &data[..];
    let Ok(file) = NdbFile::new_lenient(data) else {
        return;
    };
    let Ok(store) = Store::open(file.ndb()) else {
        return;
    };
    let mut w = Walk::default();
    walk_store(&store, &mut w);
});
