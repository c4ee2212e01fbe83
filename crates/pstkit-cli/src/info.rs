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
    if as_json {
        let v = json!({
            "file": path.display().to_string(),
            "kind": h.kind.name(),
            "variant": h.variant_name(),
            "version": h.version,
            "client_version": h.client_version,
            "crypt": h.crypt.name(),
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
