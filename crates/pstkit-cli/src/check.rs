//! `pstkit check`.

use std::path::Path;

use pstkit::ndb::check::check;
use pstkit::ndb::{Corruption, NdbError, NdbFile};
use serde_json::json;

use crate::EXIT_DAMAGED;

fn problem_json(c: &Corruption) -> serde_json::Value {
    json!({
        "structure": c.structure.to_string(),
        "id": c.id,
        "offset": c.offset,
        "problem": c.problem.to_string(),
        "message": c.to_string(),
    })
}

/// Checks a file; one line per problem, exit 0 only when clean.
pub fn run(path: &Path, as_json: bool) -> Result<u8, NdbError> {
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
    // Damage seen in a file that changed while it was read is the change's.
    if let Some(changed) = file.ndb().source_changed() {
        return Err(changed);
    }
    if as_json {
        let v = json!({
            "file": path.display().to_string(),
            "clean": r.is_clean(),
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
    }
    Ok(if r.is_clean() { 0 } else { EXIT_DAMAGED })
}
