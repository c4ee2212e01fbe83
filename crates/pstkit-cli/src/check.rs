//! `pstkit check`.

use std::path::Path;

use pstkit::ndb::check::{check_with, CheckReport};
use pstkit::ndb::{Corruption, Finding as NdbFinding, NdbError, NdbFile, Severity, Structure};
use pstkit::store::audit::{audit_with, AuditReport, Finding};
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

/// The node-database check and, with `deep`, the messaging-layer audit:
/// side by side, as neither reads what the other finds (one after the
/// other when `--threads 1` asks for no second thread).
///
/// The NDB check computes the CRC of every block the block B-tree lists,
/// and the audit reads only blocks it finds there; so the audit reads
/// without computing them again when the NDB check found nothing damaged.
/// When it found damage, the audit's reads check the CRCs (beside the
/// check, the audit runs again), so that a damaged block is seen by the
/// audit as its own reads would see it.
fn check_both(file: &NdbFile, deep: bool) -> (CheckReport, Option<AuditReport>) {
    let threads = crate::threads();
    if !deep {
        return (check_with(file.ndb(), threads), None);
    }
    let trusting = file.ndb().trusting_block_crcs();
    if threads == Some(1) {
        let r = check_with(file.ndb(), threads);
        let ndb = if r.problems.is_empty() {
            trusting
        } else {
            file.ndb()
        };
        let d = audit_with(ndb, threads);
        return (r, Some(d));
    }
    let (r, d) = std::thread::scope(|s| {
        let ndb = s.spawn(|| check_with(file.ndb(), threads));
        let d = audit_with(trusting, threads);
        let r = ndb.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (r, d)
    });
    // Any damage (more than it lists, too) leaves the list non-empty.
    let d = if r.problems.is_empty() {
        d
    } else {
        audit_with(file.ndb(), threads)
    };
    (r, Some(d))
}

/// One finding for a JSON Lines report.
fn finding_json(f: &Finding) -> serde_json::Value {
    json!({
        "rule": f.rule, "severity": f.severity.as_str(), "nid": f.nid,
        "path": f.path, "expected": f.expected, "found": f.found,
    })
}

/// One finding of the node database for a JSON Lines report.
fn ndb_finding_json(f: &NdbFinding) -> serde_json::Value {
    json!({
        "rule": f.rule, "severity": f.severity.as_str(), "nid": f.nid, "path": "",
        "bid": f.bid, "offset": f.offset, "expected": f.expected, "found": f.found,
    })
}

/// A damaged structure of the node database as a finding.
fn damage_json(c: &Corruption) -> serde_json::Value {
    let mut v = problem_json(c);
    v["rule"] = "ndb-damage".into();
    v["severity"] = "error".into();
    v["nid"] = match c.structure {
        Structure::Node => c.id.into(),
        _ => 0.into(),
    };
    v["path"] = "".into();
    v["expected"] = format!("a sound {}", c.structure).into();
    v["found"] = c.problem.to_string().into();
    v
}

fn finding_line(f: &Finding) -> String {
    let at = if f.path.is_empty() {
        String::new()
    } else {
        format!(" in {:?}", f.path)
    };
    format!(
        "{}: [{}] node 0x{:X}{at}: expected {}; found {}",
        f.severity, f.rule, f.nid, f.expected, f.found
    )
}

fn ndb_finding_line(f: &NdbFinding) -> String {
    let bid = f.bid.map(|b| format!(" block 0x{b:X}")).unwrap_or_default();
    let at = f.offset.map(|o| format!(" at 0x{o:X}")).unwrap_or_default();
    format!(
        "{}: [{}] node 0x{:X}{bid}{at}: expected {}; found {}",
        f.severity, f.rule, f.nid, f.expected, f.found
    )
}

/// Every finding of the deep check on `file`, NDB damage included: one
/// line of text and one JSON object each (what `repair` reports it fixed).
pub fn all_findings(file: &NdbFile) -> Vec<(String, serde_json::Value)> {
    let (r, d) = check_both(file, true);
    let d = d.unwrap_or_default();
    r.problems
        .iter()
        .map(|p| (format!("error: [ndb-damage] {p}"), damage_json(p)))
        .chain(
            r.findings
                .iter()
                .map(|f| (ndb_finding_line(f), ndb_finding_json(f))),
        )
        .chain(
            d.findings
                .iter()
                .map(|f| (finding_line(f), finding_json(f))),
        )
        .collect()
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
    let (r, d) = check_both(&file, deep);
    // Damage seen in a file that changed while it was read is the change's.
    if let Some(changed) = file.ndb().source_changed() {
        return Err(changed);
    }
    let ndb_errors = r.problems.len() as u64
        + r.dropped
        + r.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count() as u64;
    let errors = ndb_errors
        + d.as_ref()
            .map_or(0, |d| d.count(Severity::Error) as u64 + d.dropped);
    let count = |s: Severity| {
        r.findings.iter().filter(|f| f.severity == s).count() + d.as_ref().map_or(0, |d| d.count(s))
    };
    let clean = errors == 0;
    match (as_json, &d) {
        (true, Some(d)) => {
            // JSON Lines: one object per finding, then the summary.
            for p in &r.problems {
                println!("{}", damage_json(p));
            }
            for f in &r.findings {
                println!("{}", ndb_finding_json(f));
            }
            for f in &d.findings {
                println!("{}", finding_json(f));
            }
            println!(
                "{}",
                json!({
                    "summary": true,
                    "file": path.display().to_string(),
                    "clean": clean,
                    "scope": "ndb+messaging",
                    "errors": errors,
                    "warnings": count(Severity::Warning),
                    "notes": count(Severity::Note),
                    "findings_not_listed": r.dropped + d.dropped,
                    "folders": d.folders,
                    "items": d.items,
                    "pages": r.pages,
                    "nodes": r.nodes,
                    "blocks": r.blocks,
                })
            );
        }
        (true, None) => {
            let v = json!({
                "file": path.display().to_string(),
                "clean": clean,
                "scope": "ndb",
                "pages": r.pages,
                "map_pages": r.map_pages,
                "nodes": r.nodes,
                "blocks": r.blocks,
                "blocks_ok": r.blocks_ok,
                "subnodes": r.subnodes,
                "problems": r.problems.iter().map(problem_json).collect::<Vec<_>>(),
                "problems_not_listed": r.dropped,
                "findings": r.findings.iter().map(ndb_finding_json).collect::<Vec<_>>(),
                "notes": r.notes.iter().map(problem_json).collect::<Vec<_>>(),
            });
            println!("{v}");
        }
        (false, _) => {
            for p in &r.problems {
                println!("{p}");
            }
            for n in &r.notes {
                println!(
                    "note: {n} (a stale density list: readers ignore it and Outlook rebuilds it)"
                );
            }
            if r.dropped > 0 {
                println!("… and {} more problems", r.dropped);
            }
            for f in &r.findings {
                println!("{}", ndb_finding_line(f));
            }
            println!(
                "{}: {} pages, {} map pages, {} nodes, {} blocks, {} subnodes: {}",
                path.display(),
                r.pages,
                r.map_pages,
                r.nodes,
                r.blocks,
                r.subnodes,
                if ndb_errors == 0 {
                    "clean".to_string()
                } else {
                    format!("{ndb_errors} problems")
                }
            );
            match &d {
                None => println!(
                    "(the node database only: pages, blocks, B-trees, maps; --deep checks the folders, tables and items too)"
                ),
                Some(d) => {
                    for f in &d.findings {
                        println!("{}", finding_line(f));
                    }
                    if d.dropped > 0 {
                        println!("… and {} more findings", d.dropped);
                    }
                    println!(
                        "messaging: {} folders, {} items: {} errors, {} warnings, {} notes",
                        d.folders,
                        d.items,
                        d.count(Severity::Error) as u64 + d.dropped,
                        d.count(Severity::Warning),
                        d.count(Severity::Note),
                    );
                }
            }
        }
    }
    Ok(if clean { 0 } else { EXIT_DAMAGED })
}
