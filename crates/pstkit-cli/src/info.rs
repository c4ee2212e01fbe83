//! `pstkit info`.

use std::path::Path;

use pstkit::ndb::header::CrcCheck;
use pstkit::ndb::{NdbError, NdbFile};
use serde_json::json;

use crate::EXIT_DAMAGED;

fn crc_json(c: &CrcCheck) -> serde_json::Value {
    json!({ "stored": c.stored, "computed": c.computed, "ok": c.ok() })
}

/// Prints the facts of a file. A damaged header is described, not refused,
/// so that the user sees which CRC is wrong; the exit status says so.
pub fn run(path: &Path, as_json: bool) -> Result<u8, NdbError> {
    let file = NdbFile::open_lenient(path)?;
    let ndb = file.ndb();
    let h = ndb.header();
    let header_ok = h.verify().is_ok();
    let (mut nodes, mut blocks, mut errors) = (0u64, 0u64, Vec::new());
    for e in ndb.nodes() {
        match e {
            Ok(_) => nodes += 1,
            Err(e) => errors.push(e.to_string()),
        }
    }
    for e in ndb.blocks() {
        match e {
            Ok(_) => blocks += 1,
            Err(e) => errors.push(e.to_string()),
        }
    }
    let size = ndb.data().len() as u64;
    let store = store_facts(ndb);
    if let Err(e) = &store {
        errors.push(format!("message store: {e}"));
    }
    let store = store.ok();
    if as_json {
        let v = json!({
            "file": path.display().to_string(),
            "kind": h.kind.name(),
            "variant": h.variant_name(),
            "version": h.version,
            "client_version": h.client_version,
            "crypt": h.crypt.name(),
            "encoding": h.crypt.name(),
            "crypt_method": h.crypt.to_byte(),
            "file_size": size,
            "header_eof": h.root.file_eof,
            "nodes": nodes,
            "blocks": blocks,
            "next_bid": h.next_bid.0,
            "next_page_bid": h.next_page_bid.0,
            "header_crc": {
                "partial": crc_json(&h.crc_partial),
                "full": h.crc_full.as_ref().map(crc_json),
                "ok": header_ok,
            },
            "store": store.as_ref().map(|s| json!({
                "name": s.name,
                "password_protected": s.password_crc.is_some(),
                "password_crc": s.password_crc,
                "folders": s.folders,
                "search_folders": s.search_folders,
                "items": s.items,
                "associated_items": s.associated,
                "codepage": s.codepage,
            })),
            "errors": errors,
        });
        println!("{v}");
    } else {
        println!("file:            {}", path.display());
        println!("kind:            {}", h.kind.name());
        println!(
            "variant:         {} (wVer {}, wVerClient {})",
            h.variant_name(),
            h.version,
            h.client_version
        );
        println!(
            "encoding:        {} ({})",
            h.crypt.name(),
            h.crypt.to_byte()
        );
        println!(
            "file size:       {size} bytes (header says {})",
            h.root.file_eof
        );
        println!("nodes:           {nodes}");
        println!("blocks:          {blocks}");
        let status = |c: &CrcCheck| {
            if c.ok() {
                format!("ok (0x{:08X})", c.stored)
            } else {
                format!(
                    "BAD (stored 0x{:08X}, computed 0x{:08X})",
                    c.stored, c.computed
                )
            }
        };
        println!("header CRC:      partial {}", status(&h.crc_partial));
        if let Some(full) = &h.crc_full {
            println!("                 full {}", status(full));
        }
        if let Some(s) = &store {
            println!(
                "store name:      {}",
                match s.name.as_deref() {
                    None => "(none)".into(),
                    Some("") => "(empty: the file names none)".into(),
                    Some(n) => crate::ls::escape_controls(n),
                }
            );
            match s.password_crc {
                Some(crc) => println!(
                    "password:        set (CRC 0x{crc:08X}; gates Outlook only, data readable)"
                ),
                None => println!("password:        none"),
            }
            println!(
                "folders:         {} ({} of them search folders)",
                s.folders, s.search_folders
            );
            println!("items:           {} ({} associated)", s.items, s.associated);
        }
        for e in &errors {
            println!("error:           {e}");
        }
    }
    Ok(if header_ok && errors.is_empty() {
        0
    } else {
        EXIT_DAMAGED
    })
}

/// What `info` tells of the message store.
struct StoreFacts {
    name: Option<String>,
    password_crc: Option<u32>,
    folders: u64,
    /// Of `folders`: search folders (a saved search, holding no items of
    /// its own; `convert` does not copy them).
    search_folders: u64,
    items: u64,
    associated: u64,
    codepage: u32,
}

/// Counts folders and items through the folder tree, reading tables only.
fn store_facts(ndb: pstkit::ndb::Ndb<'_>) -> Result<StoreFacts, pstkit::Error> {
    let store = pstkit::Store::open(ndb)?;
    let mut f = StoreFacts {
        name: store.display_name(),
        password_crc: store.password_crc(),
        folders: 0,
        search_folders: 0,
        items: 0,
        associated: 0,
        codepage: store.default_codepage(),
    };
    for w in store.walk().flatten() {
        if w.path.is_empty() {
            continue;
        }
        f.folders += 1;
        f.search_folders += u64::from(w.folder.is_search_folder());
        f.items += w.folder.message_ids().map_or(0, |v| v.len() as u64);
        f.associated += w.folder.associated_ids().map_or(0, |v| v.len() as u64);
    }
    Ok(f)
}
