//! RTF de-encapsulation against an independent reader: every RTF body in
//! the real samples that encapsulates HTML or text is recovered here and
//! compared with what RTFDE (a Python de-encapsulator nobody here wrote)
//! recovered from the same RTF, recorded in `data/rtfde-digests.tsv` by
//! `data/rtfde_digests.py`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use pstkit_fixtures::real;
use pstkit_store::rtfex::{deencapsulate, Encapsulated};
use pstkit_store::Store;

/// (sample file, message id) → (kind, length, CRC-32) of the recovered body,
/// normalised as the script does.
type Digests = BTreeMap<(String, u32), (String, usize, u32)>;

/// Both readers agree but for two things the comparison leaves out: line
/// ends, and the bullets and tabs of `\pntext` groups, which RTFDE keeps
/// and [MS-OXRTFEX] readers drop (they are RTF list rendering, not part
/// of the original HTML).
fn normalise(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace("*\t", "")
        .replace('\t', "")
        .trim_end()
        .to_string()
}

/// Every encapsulated RTF body of every real sample available: (file, id)
/// → (kind, RTF, ours).
fn recovered() -> BTreeMap<(String, u32), (&'static str, Vec<u8>, String)> {
    let mut out = BTreeMap::new();
    for (name, path) in real::all() {
        let Ok(file) = pstkit_ndb::NdbFile::open(&path) else {
            continue;
        };
        let Ok(store) = Store::open(file.ndb()) else {
            continue;
        };
        for w in store.walk().flatten() {
            for nid in w.folder.message_ids().unwrap_or_default() {
                let Ok(m) = store.message(nid) else { continue };
                let Some(Ok(rtf)) = m.body_rtf() else {
                    continue;
                };
                let (kind, body) = match deencapsulate(&rtf) {
                    Some(Encapsulated::Html(h)) => ("html", h),
                    Some(Encapsulated::Text(t)) => ("text", t),
                    None => continue,
                };
                out.insert((name.clone(), nid.0), (kind, rtf, body));
            }
        }
    }
    out
}

fn recorded() -> Digests {
    let tsv = include_str!("data/rtfde-digests.tsv");
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                (f[0].to_string(), f[1].parse().unwrap()),
                (
                    f[2].to_string(),
                    f[3].parse().unwrap(),
                    u32::from_str_radix(f[4], 16).unwrap(),
                ),
            )
        })
        .collect()
}

#[test]
fn every_encapsulated_body_matches_rtfde() {
    let ours = recovered();
    let mut theirs = recorded();
    assert!(theirs.len() >= 180, "{} recorded", theirs.len());
    // The bodies of samples that are not here are left out (one line says
    // which).
    let files: BTreeSet<&str> = theirs.keys().map(|k| k.0.as_str()).collect();
    let here: BTreeSet<String> = real::samples(&files.into_iter().collect::<Vec<_>>())
        .into_iter()
        .map(|(n, _)| n.to_string())
        .collect();
    theirs.retain(|k, _| here.contains(&k.0));
    let keys = |m: &BTreeMap<(String, u32), _>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&ours),
        theirs.keys().cloned().collect::<Vec<_>>(),
        "the same bodies found"
    );
    let mut differ = Vec::new();
    for (key, (kind, _, body)) in &ours {
        let n = normalise(body);
        let got = (kind.to_string(), n.len(), crc32fast::hash(n.as_bytes()));
        if theirs[key] != got {
            differ.push(format!("{key:?}: RTFDE {:?}, pstkit {got:?}", theirs[key]));
        }
    }
    assert!(
        differ.is_empty(),
        "{} differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
    // Both kinds occur, from several writers (the encapsulated text bodies
    // of the real samples are all empty; rtfex's unit tests recover text).
    let html = ours.values().filter(|v| v.0 == "html").count();
    let text = ours.values().filter(|v| v.0 == "text").count();
    assert!(
        html >= real::min_count(5, 100) && text >= 50,
        "html {html}, text {text}"
    );
}

/// Writes every encapsulated RTF body to `$RTFEX_DUMP` (a directory) for
/// `data/rtfde_digests.py`: `cargo test -p pstkit-store --test rtfex_oracle
/// -- --ignored dump`.
#[test]
#[ignore = "writes the input of data/rtfde_digests.py"]
fn dump() {
    let dir = PathBuf::from(std::env::var("RTFEX_DUMP").expect("RTFEX_DUMP"));
    std::fs::create_dir_all(&dir).unwrap();
    for ((file, nid), (kind, rtf, _)) in recovered() {
        std::fs::write(dir.join(format!("{file}\t{nid}\t{kind}.rtf")), rtf).unwrap();
    }
}
