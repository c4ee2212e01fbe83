//! `pstkit binding` on the real Exchange OSTs: the identities `show`
//! decodes, `verify --mailbox-guid`, and `verify --profile` with profile
//! exports written here in every form regedit (and editors after it)
//! produce, and with hostile ones.

#[path = "common/cli.rs"]
#[allow(dead_code)]
mod cli;

use std::path::{Path, PathBuf};

use serde_json::Value;

const ASPOSE: &str = "aspose-email-Aspose.Email-for-.NET--SampleOstFile.ost";
const GROUPDOCS: &str = "groupdocs-viewer-GroupDocs.Viewer-for-.NET--Storage-sample.ost";
/// The mailbox GUIDs the two samples carry (0x6615 and 0x3416 agree).
const ASPOSE_GUID: &str = "{AD475697-8264-453B-8DAC-B3F7F1E8D53E}";
const GROUPDOCS_GUID: &str = "{542D9171-4643-4051-B464-96F9A51CF5D7}";
const SENTENCE: &str =
    "cannot be accessed because it has been configured for use with a different mailbox.";

/// A real sample file, or `None` (after saying so) when it is not here.
/// A real sample (committed, or from `../shared`), or a skip line.
fn real_file(_what: &str, name: &str) -> Option<PathBuf> {
    pstkit_fixtures::real::sample(name)
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn show_decodes_the_mailbox_guid_from_both_properties() {
    for (name, guid, quota) in [
        (ASPOSE, ASPOSE_GUID, 10240),
        (GROUPDOCS, GROUPDOCS_GUID, 51200),
    ] {
        let Some(ost) = real_file("binding show on a real OST", name) else {
            continue;
        };
        let r = run!("binding", "show", &ost);
        assert_eq!(r.status.code(), Some(0));
        let text = stdout(&r);
        assert!(
            text.contains(&format!(
                "mailbox GUID:  {guid} (from 0x66150048, 0x34160102 Provider UID: they agree)"
            )),
            "{text}"
        );
        assert!(text.contains("FolderType     0x0001 PrivateFolder (eitLTPrivateFolder)"));
        assert!(text.contains("0x7C040102  OST id (PR_OST_OSTID;"), "{text}");

        let v = json(&run!("binding", "show", &ost, "--json"));
        assert_eq!(v["mailbox_guid"], guid);
        assert_eq!(v["mailbox_guids_agree"], true);
        let sources: Vec<_> = v["mailbox_guid_sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["source"].as_str().unwrap(), s["guid"].as_str().unwrap()))
            .collect();
        assert_eq!(
            sources,
            [("0x66150048", guid), ("0x34160102 Provider UID", guid)]
        );
        assert_eq!(v["record"]["state"], "absent");
        let ids = v["identities"].as_array().unwrap();
        let by_tag = |tag: &str| {
            ids.iter()
                .find(|i| i["tag"] == tag)
                .unwrap_or_else(|| panic!("{name}: no {tag}"))
        };
        let eid = &by_tag("0x34160102")["value"];
        assert_eq!(eid["kind"], "folder_entry_id");
        assert_eq!(eid["value"]["provider_uid"], guid);
        assert_eq!(eid["value"]["folder_type"], 1);
        assert_eq!(eid["value"]["flags"], "00000000");
        assert_eq!(by_tag("0x34160102")["documentation"], "layout only");
        assert_eq!(by_tag("0x66150048")["value"]["value"], guid);
        assert_eq!(by_tag("0x666D0003")["value"]["value"], quota);
        assert_eq!(
            by_tag("0x666D0003")["name"],
            "PidTagMaximumSubmitMessageSize"
        );
        assert_eq!(by_tag("0x7C040102")["name"], "PR_OST_OSTID");
        assert_eq!(by_tag("0x7C040102")["documentation"], "name only");
        assert_eq!(by_tag("0x66FA0003")["name"], "PidTagLatestPstEnsure");
        // What nothing public describes is shown raw and said to be so.
        for tag in [
            "0x661F0014",
            "0x66200003",
            "0x7C070102",
            "0x7C0C0003",
            "0x7C0D0014",
            "0x7C11000B",
            "0x7C130003",
        ] {
            assert_eq!(by_tag(tag)["documentation"], "undocumented", "{name} {tag}");
            assert!(by_tag(tag)["name"].is_null(), "{name} {tag}");
        }
        if name == ASPOSE {
            assert_eq!(
                by_tag("0x7C06101F")["value"]["value"],
                serde_json::json!(["\\Global Address List"])
            );
        }
    }
}

#[test]
fn verify_mailbox_guid_exits_0_for_its_own_and_3_for_another() {
    let pairs = [
        (ASPOSE, ASPOSE_GUID, GROUPDOCS_GUID),
        (GROUPDOCS, GROUPDOCS_GUID, ASPOSE_GUID),
    ];
    for (name, own, other) in pairs {
        let Some(ost) = real_file("binding verify --mailbox-guid", name) else {
            continue;
        };
        // As Get-Mailbox prints it (no braces), and in other cases.
        let bare = own.trim_matches(['{', '}']).to_lowercase();
        for g in [own, bare.as_str()] {
            let r = run!("binding", "verify", &ost, "--mailbox-guid", g);
            assert_eq!(r.status.code(), Some(0), "{}", stdout(&r));
            assert!(stdout(&r).contains(&format!("belongs to mailbox {own}")));
        }
        let r = run!("binding", "verify", &ost, "--mailbox-guid", other);
        assert_eq!(r.status.code(), Some(3));
        let text = stdout(&r);
        assert!(
            text.contains(&format!("The file {} {SENTENCE}", ost.display())),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "mailbox GUID: the account has {other}, the file {own}"
            )),
            "{text}"
        );
        let v = json(&run!(
            "binding",
            "verify",
            &ost,
            "--mailbox-guid",
            other,
            "--json"
        ));
        assert_eq!(v["matches"], false);
        assert!(v["message"].as_str().unwrap().ends_with(SENTENCE));
        assert_eq!(v["differences"][0]["field"], "mailbox GUID");
        assert_eq!(v["differences"][0]["expected"], other);
        assert_eq!(v["differences"][0]["found"], own);
        let v = json(&run!(
            "binding",
            "verify",
            &ost,
            "--mailbox-guid",
            own,
            "--json"
        ));
        assert_eq!(v["matches"], true);
        assert_eq!(v["file_mailbox_guid"], own);
    }
}

#[test]
fn verify_asks_for_one_way_to_compare() {
    let Some(ost) = real_file("binding verify usage", ASPOSE) else {
        return;
    };
    for args in [
        vec![],
        vec!["--server", "x"],
        vec![
            "--mailbox-guid",
            ASPOSE_GUID,
            "--server",
            "x",
            "--mailbox",
            "y",
        ],
        vec!["--mailbox-guid", "not-a-guid"],
    ] {
        let mut all: Vec<&std::ffi::OsStr> =
            vec!["binding".as_ref(), "verify".as_ref(), ost.as_os_str()];
        all.extend(args.iter().map(std::ffi::OsStr::new));
        let r = cli::pstkit(&all);
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(
            err.contains("give one of") || err.contains("is not a GUID"),
            "{args:?}: {err}"
        );
    }
    // pstkit's own record still answers for --server/--mailbox: a real OST
    // has none, and says which GUID it does name.
    let r = run!("binding", "verify", &ost, "--server", "x", "--mailbox", "y");
    assert_eq!(r.status.code(), Some(4));
    assert!(stdout(&r).contains(ASPOSE_GUID));
}

// ---- Profile exports -------------------------------------------------

/// How a test writes a `.reg` file.
#[derive(Clone, Copy, Debug)]
enum Form {
    /// What regedit writes: UTF-16LE with a BOM, CRLF, hex wrapped at 80
    /// columns with `\` continuations.
    Regedit5,
    /// REGEDIT4: 8-bit (Windows-1252) text, CRLF, wrapped.
    Regedit4,
    /// Version 5 text saved as UTF-8 with LF line ends, wrapped.
    Utf8Lf,
    /// Version 5 text as UTF-8, CRLF, every value on one line.
    Unwrapped,
}

/// A registry value as the test writes it.
enum Val {
    Hex(Vec<u8>),
    Str(String),
}

fn utf16z(s: &str) -> Vec<u8> {
    let mut b: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    b.extend_from_slice(&[0, 0]);
    b
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `"name"=hex:…` wrapped as regedit wraps it: lines of at most 80
/// characters, each but the last ending in `,\`, continuations indented by
/// two spaces.
fn hex_lines(name: &str, bytes: &[u8], wrap: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = format!("\"{name}\"=hex:");
    for (i, b) in bytes.iter().enumerate() {
        let item = if i + 1 < bytes.len() {
            format!("{b:02x},")
        } else {
            format!("{b:02x}")
        };
        if wrap && line.len() + item.len() > 78 && i + 1 < bytes.len() {
            line.push('\\');
            lines.push(std::mem::replace(&mut line, "  ".to_string()));
        }
        line.push_str(&item);
    }
    lines.push(line);
    lines
}

fn write_reg(path: &Path, form: Form, keys: &[(String, Vec<(&str, Val)>)]) {
    let header = match form {
        Form::Regedit4 => "REGEDIT4",
        _ => "Windows Registry Editor Version 5.00",
    };
    let wrap = !matches!(form, Form::Unwrapped);
    let mut lines = vec![header.to_string(), String::new()];
    for (key, values) in keys {
        lines.push(format!("[{key}]"));
        for (name, v) in values {
            match v {
                Val::Hex(b) => lines.extend(hex_lines(name, b, wrap)),
                Val::Str(s) => lines.push(format!(
                    "\"{name}\"=\"{}\"",
                    s.replace('\\', "\\\\").replace('"', "\\\"")
                )),
            }
        }
        lines.push(String::new());
    }
    let eol = if matches!(form, Form::Utf8Lf) {
        "\n"
    } else {
        "\r\n"
    };
    let text = lines.join(eol) + eol;
    let bytes = match form {
        Form::Regedit5 => {
            let mut b = vec![0xFF, 0xFE];
            b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            b
        }
        Form::Regedit4 => encoding_rs::WINDOWS_1252.encode(&text).0.into_owned(),
        Form::Utf8Lf | Form::Unwrapped => text.into_bytes(),
    };
    std::fs::write(path, bytes).unwrap();
}

const PROFILES: &str = "HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles";
const SERVICE: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const EXCHANGE: &str = "9a3f1c0e5b7d4e21a6c8d0f2b4e6a8c0";
const STORE: &str = "77aa88bb99cc00dd11ee22ff33004411";

/// An Outlook 2016 profile: the Exchange service's section links to the
/// Exchange section (PR_EMSMDB_SECTION_UID), which names the mailbox by its
/// personalized server id; the store section holds the OST path.
fn outlook_profile(
    profile: &str,
    mailbox_guid: Option<&str>,
    ost: &str,
) -> Vec<(String, Vec<(&'static str, Val)>)> {
    let root = format!("{PROFILES}\\{profile}");
    let mut exchange = vec![
        ("001f6641", Val::Hex(utf16z("ann@example.com"))),
        ("001f6607", Val::Hex(utf16z("ann"))),
        ("001f3001", Val::Hex(utf16z("ann@example.com"))),
        (
            "001e6603",
            Val::Str("/o=Example/ou=Exchange Administrative Group/cn=Recipients/cn=ann".into()),
        ),
    ];
    if let Some(g) = mailbox_guid {
        exchange.push((
            "001f6608",
            Val::Hex(utf16z(&format!(
                "{}@example.com",
                g.trim_matches(['{', '}'])
            ))),
        ));
    }
    vec![
        (root.clone(), vec![]),
        (
            format!("{root}\\{SERVICE}"),
            vec![
                ("001f3d09", Val::Hex(utf16z("MSEMS"))),
                ("01023d15", Val::Hex(unhex(EXCHANGE))),
            ],
        ),
        (format!("{root}\\{EXCHANGE}"), exchange),
        (
            format!("{root}\\{STORE}"),
            vec![
                ("01023d15", Val::Hex(unhex(EXCHANGE))),
                ("001f6610", Val::Hex(utf16z(ost))),
            ],
        ),
    ]
}

#[test]
fn verify_profile_in_every_form_regedit_writes() {
    let Some(ost) = real_file("binding verify --profile", ASPOSE) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let ost_path = format!("C:\\Users\\ann\\AppData\\Local\\Microsoft\\Outlook\\{ASPOSE}");
    for form in [
        Form::Regedit5,
        Form::Regedit4,
        Form::Utf8Lf,
        Form::Unwrapped,
    ] {
        // A profile name outside ASCII, to read 8-bit text as Windows-1252.
        let keys = outlook_profile("Büro", Some(ASPOSE_GUID), &ost_path);
        let reg = tmp.path().join(format!("{form:?}.reg"));
        write_reg(&reg, form, &keys);
        let r = run!("binding", "verify", &ost, "--profile", &reg);
        assert_eq!(r.status.code(), Some(0), "{form:?}: {}", stdout(&r));
        let text = stdout(&r);
        assert!(text.contains("profile \"Büro\""), "{form:?}: {text}");
        assert!(
            text.contains(&format!(
                "mailbox GUID {ASPOSE_GUID} (PR_PROFILE_UNRESOLVED_SERVER, 001f6608"
            )),
            "{form:?}: {text}"
        );
        assert!(text.contains("the same file name as this file"), "{text}");
        let v = json(&run!(
            "binding",
            "verify",
            &ost,
            "--profile",
            &reg,
            "--json"
        ));
        assert_eq!(v["matches"], true, "{form:?}");
        assert_eq!(v["accounts"][0]["profile"], "Büro");
        assert_eq!(v["accounts"][0]["section"], EXCHANGE);
        assert_eq!(v["accounts"][0]["ost_paths"][0]["path"], ost_path.as_str());
        assert_eq!(v["accounts"][0]["ost_paths"][0]["same_file_name"], true);
        assert_eq!(v["matching_sections"][0], EXCHANGE);
    }
    // The regedit form does wrap: the test exercises continuation lines.
    let raw = std::fs::read(tmp.path().join("Regedit5.reg")).unwrap();
    let units: Vec<u16> = raw[2..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert!(String::from_utf16(&units).unwrap().contains(",\\\r\n  "));
}

#[test]
fn verify_profile_of_another_mailbox_names_the_field() {
    let Some(ost) = real_file("binding verify --profile, another mailbox", ASPOSE) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let reg = tmp.path().join("bob.reg");
    write_reg(
        &reg,
        Form::Regedit5,
        &outlook_profile("Outlook", Some(GROUPDOCS_GUID), "C:\\Users\\bob\\bob.ost"),
    );
    let r = run!("binding", "verify", &ost, "--profile", &reg);
    assert_eq!(r.status.code(), Some(3), "{}", stdout(&r));
    let text = stdout(&r);
    assert!(
        text.contains(&format!("The file {} {SENTENCE}", ost.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "mailbox GUID (PR_PROFILE_UNRESOLVED_SERVER, 001f6608 in profile \"Outlook\", Exchange section {EXCHANGE}): the profile has {GROUPDOCS_GUID}, the file {ASPOSE_GUID}"
        )),
        "{text}"
    );
    assert!(
        text.contains("expects the OST C:\\Users\\bob\\bob.ost"),
        "{text}"
    );
    let v = json(&run!(
        "binding",
        "verify",
        &ost,
        "--profile",
        &reg,
        "--json"
    ));
    assert_eq!(v["matches"], false);
    assert!(v["message"].as_str().unwrap().ends_with(SENTENCE));
    let d = &v["differences"][0];
    assert_eq!(d["field"], "mailbox GUID");
    assert_eq!(d["property"], "PR_PROFILE_UNRESOLVED_SERVER");
    assert_eq!(d["value_name"], "001f6608");
    assert_eq!(d["expected"], GROUPDOCS_GUID);
    assert_eq!(d["found"], ASPOSE_GUID);
    assert_eq!(v["accounts"][0]["ost_paths"][0]["same_file_name"], false);

    // The other sample belongs to that profile.
    if let Some(other) = real_file("binding verify --profile, the other OST", GROUPDOCS) {
        let r = run!("binding", "verify", &other, "--profile", &reg);
        assert_eq!(r.status.code(), Some(0), "{}", stdout(&r));
        assert!(stdout(&r).contains("NOT this file's name"));
    }
}

#[test]
fn verify_profile_with_nothing_to_compare_cannot_tell() {
    let Some(ost) = real_file("binding verify --profile without a GUID", ASPOSE) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // An Exchange 2010-era profile: the account names its mailbox by DN and
    // a server FQDN, no mailbox GUID.
    let reg = tmp.path().join("no-guid.reg");
    let mut keys = outlook_profile("Outlook", None, "C:\\ann.ost");
    keys[2]
        .1
        .push(("001e6602", Val::Str("exch01.example.com".into())));
    write_reg(&reg, Form::Regedit5, &keys);
    let r = run!("binding", "verify", &ost, "--profile", &reg);
    assert_eq!(r.status.code(), Some(4), "{}", stdout(&r));
    let text = stdout(&r);
    assert!(text.contains("names no mailbox GUID"), "{text}");
    assert!(
        text.contains("PR_PROFILE_HOME_SERVER (001e6602): \"exch01.example.com\""),
        "{text}"
    );
    assert!(text.contains("C:\\ann.ost"), "{text}");
    let v = json(&run!(
        "binding",
        "verify",
        &ost,
        "--profile",
        &reg,
        "--json"
    ));
    assert_eq!(v["matches"], false);
    assert!(v["message"].is_null());
    assert!(v["reason"]
        .as_str()
        .unwrap()
        .contains("names no mailbox GUID"));
    // A key that is no profile at all.
    let reg = tmp.path().join("unrelated.reg");
    write_reg(
        &reg,
        Form::Regedit4,
        &[(
            "HKEY_CURRENT_USER\\Software\\Example".into(),
            vec![("x", Val::Str("y".into()))],
        )],
    );
    let r = run!("binding", "verify", &ost, "--profile", &reg);
    assert_eq!(r.status.code(), Some(4));
    assert!(stdout(&r).contains("found 0 section(s), 0 Exchange account(s)"));
}

#[test]
fn older_profiles_keep_the_mailbox_in_the_global_section() {
    let Some(ost) = real_file("binding verify --profile, global section", GROUPDOCS) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let reg = tmp.path().join("old.reg");
    let key = "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows Messaging Subsystem\\Profiles\\Old\\13dbb0c8aa05101a9bb000aa002fc45a";
    write_reg(
        &reg,
        Form::Regedit4,
        &[(
            key.into(),
            vec![
                (
                    "001e6602",
                    Val::Str("542d9171-4643-4051-b464-96f9a51cf5d7@example.org".into()),
                ),
                ("001e6610", Val::Str(format!("C:\\Outlook\\{GROUPDOCS}"))),
            ],
        )],
    );
    let r = run!("binding", "verify", &ost, "--profile", &reg);
    assert_eq!(r.status.code(), Some(0), "{}", stdout(&r));
    assert!(stdout(&r).contains("(PR_PROFILE_HOME_SERVER, 001e6602"));
}

#[test]
fn hostile_profile_exports_get_a_clear_error() {
    let Some(ost) = real_file("binding verify with a hostile .reg", ASPOSE) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let header = "Windows Registry Editor Version 5.00\r\n";
    let mut truncated = vec![0xFF, 0xFE];
    truncated.extend(
        format!("{header}[HKEY_CURRENT_USER\\A]\r\n")
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    truncated.push(0x22);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "bad hex",
            format!("{header}[HKEY_CURRENT_USER\\A]\r\n\"001f6608\"=hex:41,00,4z\r\n").into_bytes(),
            "line 3, column 22: expected a byte as one or two hex digits",
        ),
        (
            "truncated UTF-16",
            truncated,
            "line 3, column 1: the UTF-16 text ends in half a character",
        ),
        (
            "deep keys",
            format!("{header}[{}]\r\n", vec!["k"; 600].join("\\")).into_bytes(),
            "line 2, column 1026: the key path is more than 512 levels deep",
        ),
        (
            "huge line",
            format!(
                "{header}[HKEY_CURRENT_USER\\A]\r\n\"v\"=\"{}\"\r\n",
                "x".repeat(1 << 21)
            )
            .into_bytes(),
            "line 3, column 1048577: the line is longer than 1048576 characters",
        ),
        (
            "not a .reg file",
            b"\x00\x01\x02garbage".to_vec(),
            "line 1, column 1: not a regedit export",
        ),
        (
            "continued past the end",
            format!("{header}[HKEY_CURRENT_USER\\A]\r\n\"v\"=hex:00,\\\r\n").into_bytes(),
            "line 3, column 13: the value goes on",
        ),
    ];
    for (what, bytes, want) in cases {
        let reg = tmp.path().join("hostile.reg");
        std::fs::write(&reg, &bytes).unwrap();
        let r = run!("binding", "verify", &ost, "--profile", &reg);
        assert_eq!(r.status.code(), Some(2), "{what}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains(want), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
    let r = run!(
        "binding",
        "verify",
        &ost,
        "--profile",
        &tmp.path().join("missing.reg")
    );
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("cannot read"));
}

#[test]
fn set_on_a_real_ost_says_what_it_cannot_change() {
    let Some(ost) = real_file("binding set on a real OST", ASPOSE) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rebound.ost");
    let r = run!(
        "binding",
        "set",
        &ost,
        "--server",
        "mail.example.com",
        "--mailbox",
        "ann@example.com",
        "--out",
        &out
    );
    assert_eq!(r.status.code(), Some(0));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("Outlook does not read it"), "{err}");
    assert!(
        err.contains(&format!("is an Outlook OST of mailbox {ASPOSE_GUID}")),
        "{err}"
    );
    assert!(err.contains("pstkit convert"), "{err}");
    assert!(err.contains("pstkit's binding record names ann@example.com on mail.example.com"));
    // The copy answers to pstkit's record, not to the old mailbox.
    let r = run!("binding", "verify", &out, "--mailbox-guid", ASPOSE_GUID);
    assert_eq!(r.status.code(), Some(3));
    let r = run!(
        "binding",
        "verify",
        &out,
        "--server",
        "mail.example.com",
        "--mailbox",
        "ann@example.com"
    );
    assert_eq!(r.status.code(), Some(0));
}
