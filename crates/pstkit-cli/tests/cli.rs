//! The `pstkit` binary end to end: exit codes and JSON output.

use std::path::Path;
use std::process::{Command, Output};

use pstkit_fixtures::real;

fn pstkit(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pstkit"))
        .args(args)
        .arg(file)
        .output()
        .expect("run pstkit")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn info_json_describes_the_ost_sample() {
    let Some(ost) = real::sample("aspose-email-Aspose.Email-for-.NET--SampleOstFile.ost") else {
        return;
    };
    let out = pstkit(&["info", "--json"], &ost);
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(v["kind"], "OST");
    assert_eq!(v["variant"], "Unicode");
    assert_eq!(v["crypt"], "compressible");
    assert_eq!(v["file_size"], 4_080_640);
    assert_eq!(v["nodes"], 393);
    assert_eq!(v["blocks"], 1140);
    assert_eq!(v["header_crc"]["ok"], true);
}

#[test]
fn info_reports_a_bad_header_crc_and_fails() {
    let Some(bad) = real::sample(
        "aspose-email-Aspose.Email-for-.NET--AddingBulkMessagesWithImprovedPerformance.pst",
    ) else {
        return;
    };
    let out = pstkit(&["info"], &bad);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("partial BAD (stored 0x424C6DB2, computed 0x34620C55)"),
        "{text}"
    );
}

#[test]
fn check_is_clean_on_good_files() {
    for (name, path) in real::samples(&[
        "emk-pstsdk--test_ansi.pst",
        "simiden-pst2john--2003_high-encryption_quickquick.pst",
    ]) {
        let out = pstkit(&["check", "--json"], &path);
        assert_eq!(out.status.code(), Some(0), "{name}");
        let v = json(&out);
        assert_eq!(v["clean"], true);
        assert!(v["problems"].as_array().unwrap().is_empty());
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mailbox-4k.ost");
    let out = pstkit(&["check"], &fixture);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("93 nodes"));
}

#[test]
fn check_lists_one_line_per_problem_and_fails() {
    let found = real::samples(&[
        "aspose-email-Aspose.Email-for-.NET--AddingBulkMessagesWithImprovedPerformance.pst",
        "Jmcleodfoss-pstreader--truncated-in-header.bin",
    ]);
    let [(_, bad), (_, truncated)] = &found[..] else {
        return;
    };
    let out = pstkit(&["check"], bad);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "header at offset 0x4: CRC mismatch: stored 0x424C6DB2, computed 0x34620C55"
    );
    assert_eq!(
        lines[1],
        "BBT page 0x148 at offset 0x7E00: CRC mismatch: stored 0xDA50670E, computed 0x79318352"
    );
    assert!(lines[2].starts_with("note: DList page"), "{}", lines[2]);
    assert!(lines[3].ends_with("2 problems"));

    let out = pstkit(&["check", "--json"], truncated);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["problems"][0]["structure"], "header");
    assert_eq!(
        v["problems"][0]["problem"],
        "truncated: needs 564 bytes, file has 40"
    );
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = pstkit(&["check"], Path::new("/nonexistent/file.pst"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/file.pst"));
}

#[test]
fn input_is_never_modified() {
    let Some(path) = real::sample("emk-pstsdk--sample1.pst") else {
        return;
    };
    let before = std::fs::read(&path).unwrap();
    let meta = std::fs::metadata(&path).unwrap().modified().unwrap();
    for args in [&["info"][..], &["check"][..]] {
        pstkit(args, &path);
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), meta);
}

#[test]
fn password_protected_stores_open_and_info_says_so() {
    // (sample, CRC pffinfo reports): the password gates Outlook only.
    let crcs = [
        (
            "aspose-email-Aspose.Email-for-.NET--passwordprotectedPST.pst",
            0x11a8_9da7u32,
        ),
        ("emk-pstsdk--test_ansi.pst", 0xf93b_a110),
        (
            "simiden-pst2john--2003_high-encryption_quickquick.pst",
            0xff93_9387,
        ),
    ];
    for (name, path) in real::samples(&crcs.map(|c| c.0)) {
        let crc = crcs.iter().find(|c| c.0 == name).unwrap().1;
        let out = pstkit(&["info", "--json"], &path);
        assert!(out.status.success(), "{name}");
        let v = json(&out);
        assert_eq!(v["store"]["password_protected"], true, "{name}");
        assert_eq!(v["store"]["password_crc"], crc, "{name}");
        // And the mail is readable all the same.
        let ls = pstkit(&["ls", "--json"], &path);
        assert!(ls.status.success());
    }
    let Some(plain) = real::sample("emk-pstsdk--sample1.pst") else {
        return;
    };
    let v = json(&pstkit(&["info", "--json"], &plain));
    assert_eq!(v["store"]["password_protected"], false);
}

fn ls_lines(path: &Path) -> Vec<serde_json::Value> {
    let out = pstkit(&["ls", "--json"], path);
    assert!(out.status.success(), "{}", path.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn names_in_other_scripts_come_out_right() {
    let here = real::samples(&[
        "aquasync-ruby-msg--attachAndInline.pst",
        "markb-trustifi-pst-extractor--contacts97-2002.pst",
        "aspose-email-Aspose.Email-for-.NET--passwordprotectedPST.pst",
        "apache-tika--testPST.pst",
        "sepinf-inc-IPED--test_sample.pst",
    ]);
    // A sample that is not here was named in the line `samples` printed.
    let has = |name: &str, field: &str, want: &str| {
        let Some((_, path)) = here.iter().find(|h| h.0 == name) else {
            return;
        };
        assert!(
            ls_lines(path)
                .iter()
                .any(|v| v[field].as_str() == Some(want)),
            "{name}: no {field} {want:?}"
        );
    };
    // Japanese (Unicode store, and an ANSI store in Shift_JIS).
    has(
        "aquasync-ruby-msg--attachAndInline.pst",
        "path",
        "Outlook データ ファイルのトップ/削除済みアイテム",
    );
    has(
        "markb-trustifi-pst-extractor--contacts97-2002.pst",
        "path",
        "Outlook データ ファイルのトップ/連絡先 (Contact dedicated)",
    );
    has(
        "markb-trustifi-pst-extractor--contacts97-2002.pst",
        "subject",
        "コム ドット イグザンプル 殿",
    );
    // Chinese.
    has(
        "aspose-email-Aspose.Email-for-.NET--passwordprotectedPST.pst",
        "subject",
        "采购成本为何居高不下呢？",
    );
    // French and Portuguese.
    has(
        "apache-tika--testPST.pst",
        "path",
        "Début du fichier de données Outlook/Éléments supprimés",
    );
    has(
        "sepinf-inc-IPED--test_sample.pst",
        "path",
        "Início de Pastas Particulares/Itens Excluídos",
    );
}

#[test]
fn a_broken_message_is_reported_and_the_rest_of_the_folder_lists() {
    let tmp = tempfile::tempdir().unwrap();
    let name = "simiden-pst2john--2003_compressable-encryption_quickquick.pst";
    let Some(src) = real::sample(name) else {
        return;
    };
    let copy = tmp.path().join(name);
    std::fs::copy(src, &copy).unwrap();
    let (victim, ib) = {
        let f = pstkit::ndb::NdbFile::open(&copy).unwrap();
        let ndb = f.ndb();
        let e = ndb
            .nodes()
            .map(|e| e.unwrap())
            .filter(|e| e.nid.kind() == pstkit::ndb::NidType::NormalMessage)
            .nth(5)
            .unwrap();
        let leaf = ndb.data_tree(e.data).unwrap().leaves[0];
        (e.nid, leaf.bref.ib.0)
    };
    let mut bytes = std::fs::read(&copy).unwrap();
    bytes[ib as usize + 20] ^= 0xFF;
    std::fs::write(&copy, bytes).unwrap();
    let out = pstkit(&["ls", "--json"], &copy);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("item {victim}")) && err.contains("CRC mismatch"),
        "{err}"
    );
    let items = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("\"type\":\"item\""))
        .count();
    assert_eq!(items, 31, "the 31 other items of the folder are listed");
}

/// The README's first command: the bundled 4K-page OST converted into a
/// Unicode PST, which lists the same folder tree and item counts and checks
/// clean.
#[test]
fn the_readme_job_rescues_the_bundled_ost() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mailbox-4k.ost");
    let tmp = tempfile::tempdir().unwrap();
    let rescued = tmp.path().join("rescued.pst");
    let out = Command::new(env!("CARGO_BIN_EXE_pstkit"))
        .arg("convert")
        .arg(&fixture)
        .arg(&rescued)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = |f: &Path| {
        let out = pstkit(&["ls"], f);
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let before = tree(&fixture);
    assert!(before.contains("Inbox (9 items)"), "{before}");
    assert_eq!(tree(&rescued), before);
    let info = json(&pstkit(&["info", "--json"], &rescued));
    assert_eq!(info["kind"], "PST", "{info}");
    let out = pstkit(&["check"], &rescued);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains(": clean"));
}

/// `--threads` changes how the work is spread, never what is reported:
/// the deep check of a sample with findings, and an export, read the same
/// on one thread and on two; no thread at all is refused.
#[test]
fn threads_option_changes_no_output() {
    let Some(ost) = real::sample("aspose-email-Aspose.Email-for-.NET--SampleOstFile.ost") else {
        return;
    };
    let deep = |t: &str| pstkit(&["check", "--deep", "--json", "--threads", t], &ost);
    let (one, two) = (deep("1"), deep("2"));
    assert_eq!(one.status.code(), two.status.code());
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, two.stdout);

    let dir = tempfile::tempdir().unwrap();
    let tree = |t: &str| {
        let out = dir.path().join(format!("mbox-{t}"));
        let o = Command::new(env!("CARGO_BIN_EXE_pstkit"))
            .args(["--threads", t, "export", "--format", "mbox", "--out"])
            .arg(&out)
            .arg(&ost)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut files = Vec::new();
        let mut dirs = vec![out.clone()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else {
                    let name = p.strip_prefix(&out).unwrap().display().to_string();
                    files.push((name, std::fs::read(&p).unwrap()));
                }
            }
        }
        files.sort();
        files
    };
    let (a, b) = (tree("1"), tree("2"));
    assert!(!a.is_empty());
    assert_eq!(a.len(), b.len());
    for ((na, da), (nb, db)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        // MIME boundaries are random: compare the messages' From and
        // Subject lines, in order.
        let heads = |d: &[u8]| -> Vec<Vec<u8>> {
            d.split(|&c| c == b'\n')
                .filter(|l| l.starts_with(b"From ") || l.starts_with(b"Subject:"))
                .map(<[u8]>::to_vec)
                .collect()
        };
        assert_eq!(heads(da), heads(db), "{na}");
    }

    let zero = pstkit(&["check", "--threads", "0"], &ost);
    assert_eq!(zero.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--threads"));
}
