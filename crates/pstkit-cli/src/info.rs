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
    // Damage seen in a file that changed while it was read is the change's.
    if let Some(changed) = ndb.source_changed() {
        return Err(changed);
    }
    match &store {
        Err(e) => errors.push(format!("message store: {e}")),
        Ok(s) if s.census.unreadable > 0 => errors.push(format!(
            "message store: {} folders unreadable (their subfolders not counted)",
            s.census.unreadable
        )),
        Ok(_) => {}
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
                "folders": s.census.folders,
                "search_folders": s.census.search_folders,
                "items": s.census.items,
                "associated_items": s.census.associated,
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
                s.census.folders, s.census.search_folders
            );
            println!(
                "items:           {} ({} associated)",
                s.census.items, s.census.associated
            );
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
    /// The count every command reports.
    census: pstkit::store::Census,
    codepage: u32,
}

fn store_facts(ndb: pstkit::ndb::Ndb<'_>) -> Result<StoreFacts, pstkit::Error> {
    let store = pstkit::Store::open(ndb)?;
    Ok(StoreFacts {
        name: store.display_name(),
        password_crc: store.password_crc(),
        census: store.census(),
        codepage: store.default_codepage(),
    })
}
