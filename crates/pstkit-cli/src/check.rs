//! `pstkit check`.

use std::path::Path;

use pstkit::ndb::check::check;
use pstkit::ndb::{Corruption, NdbError, NdbFile};
use serde_json::json;

use crate::EXIT_DAMAGED;

/// A located NDB damage for a JSON report.
pub fn problem_json(c: &Corruption) -> serde_json::Value {
    json!({
        "structure": c.structure.to_string(),
        "id": c.id,
        "offset": c.offset,
        "problem": c.problem.to_string(),
        "message": c.to_string(),
    })
}

/// An error of the messaging layer for a JSON report: its message, and the
/// node and NDB structure it locates, when it does.
pub fn error_json(e: &pstkit::store::StoreError) -> serde_json::Value {
    json!({
        "message": e.to_string(),
        "node": e.nid().map(|n| n.0),
        "corruption": e.corruption().map(problem_json),
    })
}

/// What the item-level pass found: items and folders decoded, and each
/// that did not decode (folder path, id, why).
#[derive(Default)]
struct Deep {
    folders: u64,
    items: u64,
    problems: Vec<(String, u32, String)>,
}

/// Decodes every folder and item the way a copy reads them.
fn deep_check(file: &NdbFile) -> Deep {
    let mut d = Deep::default();
    let store = match pstkit::Store::open(file.ndb()) {
        Ok(s) => s,
        Err(e) => {
            d.problems
                .push((String::new(), 0x21, format!("message store: {e}")));
            return d;
        }
    };
    if let Some(e) = store.name_map_error() {
        d.problems.push((
            String::new(),
            pstkit::ndb::Nid::NAME_TO_ID_MAP.0,
            format!("named-property map: {e}"),
        ));
    }
    for walked in store.walk() {
        let w = match walked {
            Ok(w) => w,
            Err((nid, parent, e)) => {
                d.problems
                    .push((parent.join("/"), nid.0, format!("folder: {e}")));
                continue;
            }
        };
        // Counted as everywhere: below the root (see Store::census).
        d.folders += u64::from(!w.path.is_empty());
        let path = w.path_string();
        for ids in [w.folder.message_ids(), w.folder.associated_ids()] {
            let ids = match ids {
                Ok(ids) => ids,
                Err(e) => {
                    d.problems.push((
                        path.clone(),
                        w.folder.nid().0,
                        format!("contents table: {e}"),
                    ));
                    continue;
                }
            };
            for nid in ids {
                d.items += 1;
                let read = store
                    .message(nid)
                    .map_err(pstkit::copy::CopyError::from)
                    .and_then(|m| {
                        pstkit::copy::convert::read_message(&m, &mut |id| Ok(Some(id)), false, 0)
                    });
                if let Err(e) = read {
                    d.problems.push((path.clone(), nid.0, e.to_string()));
                }
            }
        }
    }
    d
}

/// Checks a file; one line per problem, exit 0 only when clean.
pub fn run(path: &Path, deep: bool, as_json: bool) -> Result<u8, NdbError> {
    let file = match NdbFile::open_lenient(path) {
        Ok(f) => f,
        Err(NdbError::Corrupt(c)) => {
            // The header itself is unreadable: that is the one problem.
            if as_json {
                println!(
                    "{}",
                    json!({"file": path.display().to_string(), "clean": false, "problems": [problem_json(&c)]})
                );
            } else {
                println!("{c}");
                println!("{}: 1 problem", path.display());
            }
            return Ok(EXIT_DAMAGED);
        }
        Err(e) => return Err(e),
    };
    let r = check(file.ndb());
    let d = deep.then(|| deep_check(&file));
    // Damage seen in a file that changed while it was read is the change's.
    if let Some(changed) = file.ndb().source_changed() {
        return Err(changed);
    }
    let deep_json = |d: &Deep| {
        json!({
            "folders": d.folders,
            "items": d.items,
            "problems": d.problems.iter().map(|(folder, id, what)| json!({
                "folder": folder, "id": id, "problem": what,
            })).collect::<Vec<_>>(),
        })
    };
    let clean = r.is_clean() && d.as_ref().is_none_or(|d| d.problems.is_empty());
    if as_json {
        let v = json!({
            "file": path.display().to_string(),
            "clean": clean,
            "scope": if deep { "ndb+items" } else { "ndb" },
            "items": d.as_ref().map(deep_json),
            "pages": r.pages,
            "map_pages": r.map_pages,
            "nodes": r.nodes,
            "blocks": r.blocks,
            "blocks_ok": r.blocks_ok,
            "subnodes": r.subnodes,
            "problems": r.problems.iter().map(problem_json).collect::<Vec<_>>(),
            "problems_not_listed": r.dropped,
            "notes": r.notes.iter().map(problem_json).collect::<Vec<_>>(),
        });
        println!("{v}");
    } else {
        for p in &r.problems {
            println!("{p}");
        }
        for n in &r.notes {
            println!("note: {n} (a stale density list: readers ignore it and Outlook rebuilds it)");
        }
        if r.dropped > 0 {
            println!("… and {} more problems", r.dropped);
        }
        let n = r.problems.len() as u64 + r.dropped;
        println!(
            "{}: {} pages, {} map pages, {} nodes, {} blocks, {} subnodes: {}",
            path.display(),
            r.pages,
            r.map_pages,
            r.nodes,
            r.blocks,
            r.subnodes,
            if n == 0 {
                "clean".to_string()
            } else {
                format!("{n} problems")
            }
        );
        match &d {
            None => println!(
                "(the node database only: pages, blocks, B-trees, maps; --deep decodes every item too)"
            ),
            Some(d) => {
                for (folder, id, what) in &d.problems {
                    // The store object and the name map belong to no folder.
                    if folder.is_empty() {
                        println!("node 0x{id:X}: {what}");
                    } else {
                        println!("item 0x{id:X} in {folder:?}: {what}");
                    }
                }
                println!(
                    "items: {} folders and {} items decoded: {}",
                    d.folders,
                    d.items,
                    if d.problems.is_empty() {
                        "clean".to_string()
                    } else {
                        format!("{} do not decode", d.problems.len())
                    }
                );
            }
        }
    }
    Ok(if clean { 0 } else { EXIT_DAMAGED })
}
