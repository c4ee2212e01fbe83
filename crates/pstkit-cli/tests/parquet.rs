//! `pstkit export --format parquet` end to end: for every readable real
//! sample and the generated mailboxes, the two files read back with
//! pyarrow and with DuckDB hold the items `pstkit ls --json` lists (nid,
//! folder, subject), less the ones the export reports lost; and every
//! attachment's `sha256` is the hash of bytes the EML export writes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use pstkit_fixtures::real;
use serde_json::Value;

#[path = "common/cli.rs"]
#[allow(dead_code)]
mod cli;

use cli::pstkit;

/// Reads an export's two files with pyarrow and DuckDB, and hashes every
/// leaf part of every `.eml` file under an EML export; prints one JSON
/// object.
const READ_BACK: &str = r#"
import hashlib, json, os, sys, email, email.policy
import pyarrow.parquet as pq, duckdb
out, eml = sys.argv[1], sys.argv[2]
m = pq.read_table(os.path.join(out, "messages.parquet"))
a = pq.read_table(os.path.join(out, "attachments.parquet"))
classes = dict(zip(m.column("nid").to_pylist(), m.column("message_class").to_pylist()))
# With --with-attachment-data: each row's bytes are the ones its size and hash describe.
data_checked = 0
if "data" in a.column_names:
    for d, z, s in zip(a.column("data").to_pylist(), a.column("size").to_pylist(), a.column("sha256").to_pylist()):
        assert (d is None) == (s is None), (z, s)
        if d is not None:
            assert len(d) == z and hashlib.sha256(d).hexdigest() == s, (len(d), z, s)
            data_checked += 1
con = duckdb.connect()
q = "select nid, folder, subject from read_parquet(?) order by nid"
parts = set()
for root, _, files in os.walk(eml):
    for f in files:
        if not f.endswith(".eml"):
            continue
        with open(os.path.join(root, f), "rb") as fh:
            msg = email.message_from_binary_file(fh, policy=email.policy.default)
        for p in msg.walk():
            if p.is_multipart():
                continue
            b = p.get_payload(decode=True)
            if b is not None:
                parts.add(hashlib.sha256(b).hexdigest())
print(json.dumps({
    "pyarrow": [[n, f, s] for n, f, s in zip(m.column("nid").to_pylist(), m.column("folder").to_pylist(), m.column("subject").to_pylist())],
    "duckdb": [list(r) for r in con.execute(q, [os.path.join(out, "messages.parquet")]).fetchall()],
    "attachments": [[n, classes.get(n), s, z, e] for n, s, z, e in zip(a.column("nid").to_pylist(), a.column("sha256").to_pylist(), a.column("size").to_pylist(), a.column("is_embedded_message").to_pylist())],
    "attachment_rows_duckdb": con.execute("select count(*) from read_parquet(?)", [os.path.join(out, "attachments.parquet")]).fetchone()[0],
    "eml_parts": sorted(parts),
    "data_checked": data_checked,
}))
"#;

type Row = (i64, String, Option<String>);

/// The items `ls --json` lists.
fn listed(path: &Path) -> BTreeSet<Row> {
    let out = pstkit(&["ls".as_ref(), "--json".as_ref(), path.as_os_str()]);
    let mut rows = BTreeSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        if v["type"] == "item" {
            rows.insert((
                v["id"].as_i64().unwrap(),
                v["folder"].as_str().unwrap().to_string(),
                v["subject"].as_str().map(str::to_string),
            ));
        }
    }
    rows
}

/// The item ids an export's stderr reports lost (`pstkit: item 0x… in …`).
fn lost(stderr: &[u8]) -> BTreeSet<i64> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("pstkit: item 0x"))
        .filter_map(|l| l.split_whitespace().next())
        .map(|hex| i64::from_str_radix(hex, 16).unwrap())
        .collect()
}

fn rows_of(v: &Value) -> BTreeSet<Row> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_i64().unwrap(),
                r[1].as_str().unwrap().to_string(),
                r[2].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn inputs() -> Vec<(String, PathBuf)> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut v: Vec<(String, PathBuf)> = ["mailbox.pst", "mailbox-4k.ost"]
        .iter()
        .map(|n| (n.to_string(), fixtures.join(n)))
        .collect();
    v.extend(real::all().into_iter().filter(|(n, _)| {
        (n.ends_with(".pst") || n.ends_with(".ost"))
            && !n.contains("AddingBulkMessages")
            && !n.contains("truncated-in-header")
    }));
    v
}

fn python_has_modules() -> bool {
    if !real::tool("python3", "python3") {
        return false;
    }
    let ok = Command::new("python3")
        .args(["-c", "import pyarrow, duckdb"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        real::skip("the Python modules pyarrow and duckdb (pip install pyarrow duckdb)");
    }
    ok
}

#[test]
fn parquet_read_back_by_pyarrow_and_duckdb_holds_the_listed_items() {
    if !python_has_modules() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let samples = inputs();
    assert!(
        samples.len() >= 2 + real::min_count(18, 28),
        "{}",
        samples.len()
    );
    let (mut items, mut hashed, mut matched, mut data) = (0, 0, 0, 0);
    for (i, (name, path)) in samples.iter().enumerate() {
        let out = tmp.path().join(format!("{i}"));
        let eml = tmp.path().join(format!("{i}-eml"));
        let mut args = vec![
            "export".as_ref(),
            path.as_os_str(),
            "--format".as_ref(),
            "parquet".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ];
        // Every other file with the bytes too.
        let with_data = i % 2 == 0;
        if with_data {
            args.push("--with-attachment-data".as_ref());
        }
        let px = pstkit(&args);
        let gone = lost(&px.stderr);
        let stderr = String::from_utf8_lossy(&px.stderr);
        // Exit 0 exactly when nothing was lost.
        assert_eq!(
            px.status.code(),
            Some(if stderr.contains("pstkit: ") { 1 } else { 0 }),
            "{name}: {stderr}"
        );
        let ex = pstkit(&[
            "export".as_ref(),
            path.as_os_str(),
            "--out".as_ref(),
            eml.as_os_str(),
        ]);
        assert!(ex.status.code().is_some_and(|c| c <= 1), "{name}");
        let py = Command::new("python3")
            .args(["-c", READ_BACK])
            .arg(&out)
            .arg(&eml)
            .output()
            .unwrap();
        assert!(
            py.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&py.stderr)
        );
        let v: Value = serde_json::from_slice(&py.stdout).unwrap();
        let checked = v["data_checked"].as_u64().unwrap();
        assert!(
            with_data || checked == 0,
            "{name}: data without --with-attachment-data"
        );
        data += checked;
        let by_pyarrow = rows_of(&v["pyarrow"]);
        assert_eq!(
            by_pyarrow,
            rows_of(&v["duckdb"]),
            "{name}: pyarrow and duckdb"
        );
        assert_eq!(
            by_pyarrow.len(),
            v["pyarrow"].as_array().unwrap().len(),
            "{name}: an item twice"
        );
        // The root folder's own items are rows too; `ls` lists folders
        // below it.
        let below_root: BTreeSet<Row> =
            by_pyarrow.into_iter().filter(|r| !r.1.is_empty()).collect();
        let want: BTreeSet<Row> = listed(path)
            .into_iter()
            .filter(|r| !gone.contains(&r.0))
            .collect();
        assert_eq!(below_root, want, "{name}");
        items += want.len();

        let attachments = v["attachments"].as_array().unwrap();
        assert_eq!(
            v["attachment_rows_duckdb"].as_u64(),
            Some(attachments.len() as u64)
        );
        let parts: BTreeSet<&str> = v["eml_parts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for a in attachments {
            let class = a[1].as_str().unwrap_or("");
            let Some(sha) = a[2].as_str() else {
                // No bytes here: embedded messages and references.
                assert!(a[3].is_null(), "{name}: {a}");
                continue;
            };
            assert_eq!(sha.len(), 64);
            assert_eq!(a[4], Value::Bool(false), "{name}: embedded with bytes: {a}");
            hashed += 1;
            // Mail only: contacts and calendar items go to .vcf and .ics,
            // S/MIME items as their protected entity.
            if class.starts_with("IPM.Note") && !class.contains("SMIME") {
                assert!(parts.contains(sha), "{name}: {a} not in the EML export");
                matched += 1;
            }
        }
    }
    eprintln!(
        "{items} items, {hashed} attachments hashed, {matched} found in EML, {data} with their bytes"
    );
    assert!(items >= real::min_count(250, 450), "{items} items");
    assert!(
        matched >= real::min_count(100, 1300),
        "{matched} attachments matched"
    );
    assert!(data >= 20, "{data} attachments with their bytes");
}

#[test]
fn a_damaged_item_is_reported_and_fails_the_exit_status() {
    // The bundled mailbox with one message's property context damaged:
    // the item is lost, the rest exported, the status 1.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mailbox.pst");
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.pst");
    let (nid, bytes) = damaged_copy(&src);
    std::fs::write(&bad, bytes).unwrap();
    let out = tmp.path().join("out");
    let px = pstkit(&[
        "export".as_ref(),
        bad.as_os_str(),
        "--format".as_ref(),
        "parquet".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&px.stderr);
    assert_eq!(px.status.code(), Some(1), "{stderr}");
    assert_eq!(
        lost(&px.stderr),
        BTreeSet::from([i64::from(nid)]),
        "{stderr}"
    );
    assert!(out.join("messages.parquet").is_file());
    let stdout = String::from_utf8_lossy(&px.stdout);
    assert!(
        stdout.contains("29 items exported, 1 items failed"),
        "{stdout}"
    );
}

/// A copy of `src` with the first message's data block overwritten past its
/// header (its CRC then fails): that item cannot be read.
fn damaged_copy(src: &Path) -> (u32, Vec<u8>) {
    use pstkit::ndb::{NdbFile, NidType};
    let file = NdbFile::open(src).unwrap();
    let ndb = file.ndb();
    let store = pstkit::Store::open(ndb).unwrap();
    let mut first: BTreeMap<u64, u32> = BTreeMap::new();
    for w in store.walk() {
        for nid in w.unwrap().folder.message_ids().unwrap() {
            assert_eq!(nid.kind(), NidType::NormalMessage);
            let e = ndb.node_entry(nid).unwrap();
            let b = ndb.block_entry(e.data).unwrap();
            first.insert(b.bref.ib.0, nid.0);
        }
    }
    let (&at, &nid) = first.iter().next().unwrap();
    let mut bytes = std::fs::read(src).unwrap();
    for b in &mut bytes[at as usize + 8..at as usize + 24] {
        *b ^= 0x5A;
    }
    (nid, bytes)
}
