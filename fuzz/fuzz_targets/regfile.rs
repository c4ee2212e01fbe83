//! Registry export text (`pstkit_store::regfile`): any bytes either parse
//! or fail with an error at a line and column that exist, under the default
//! limits and under small ones; what parses stays within its limits, writes
//! back as text that parses to the same keys and values, and reads as an
//! Outlook profile (`pstkit_store::profile`) without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pstkit_store::profile::read_profile;
use pstkit_store::regfile::{parse_with, Limits, RegData, RegFile, RegVersion};

/// The file as `.reg` text again: UTF-8, LF, every value on one line.
fn write(f: &RegFile) -> String {
    fn quote(s: &str) -> String {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
    let mut out = String::from(match f.version {
        RegVersion::V5 => "Windows Registry Editor Version 5.00\n",
        RegVersion::Regedit4 => "REGEDIT4\n",
    });
    for k in &f.keys {
        out.push_str(&format!(
            "[{}{}]\n",
            if k.delete { "-" } else { "" },
            k.path
        ));
        for v in &k.values {
            let name = v.name.as_deref().map_or("@".to_string(), quote);
            let data = match &v.data {
                RegData::String(s) => quote(s),
                RegData::Dword(d) => format!("dword:{d:08x}"),
                RegData::Hex { kind, bytes } => {
                    let list: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
                    if *kind == 3 {
                        format!("hex:{}", list.join(","))
                    } else {
                        format!("hex({kind:x}):{}", list.join(","))
                    }
                }
                RegData::Delete => "-".into(),
            };
            out.push_str(&format!("{name}={data}\n"));
        }
    }
    out
}

/// Keys and values without their line numbers.
fn content(f: &RegFile) -> Vec<(String, bool, Vec<(Option<String>, RegData)>)> {
    f.keys
        .iter()
        .map(|k| {
            let values = k
                .values
                .iter()
                .map(|v| (v.name.clone(), v.data.clone()))
                .collect();
            (k.path.clone(), k.delete, values)
        })
        .collect()
}

fn check(data: &[u8], limits: &Limits) {
    match parse_with(data, limits) {
        Ok(f) => {
            for k in &f.keys {
                assert!(k.components().count() <= limits.max_depth);
                assert!(k
                    .components()
                    .all(|c| !c.is_empty() && c.chars().count() <= limits.max_key_name));
                for v in &k.values {
                    if let Some(n) = &v.name {
                        assert!(n.chars().count() <= limits.max_value_name);
                    }
                    if let RegData::Hex { bytes, .. } = &v.data {
                        assert!(bytes.len() <= limits.max_value_bytes);
                    }
                }
            }
            let text = write(&f);
            let wide = {
                let mut o = Limits::default();
                o.max_bytes = usize::MAX;
                o.max_line_chars = usize::MAX;
                o
            };
            let again = parse_with(text.as_bytes(), &wide)
                .unwrap_or_else(|e| panic!("written text does not parse: {e}\n{text}"));
            assert_eq!(again.version, f.version);
            assert_eq!(content(&again), content(&f), "{text}");
            let report = read_profile(&f);
            for a in &report.accounts {
                let _ = (a.mailbox_guids.len(), a.ost_paths.len(), a.fields.len());
            }
        }
        Err(e) => {
            assert!(e.line >= 1 && e.column >= 1, "{e:?}");
            // The line exists: at most one past the last line break.
            let breaks = data.iter().filter(|&&b| b == b'\n' || b == b'\r').count();
            assert!(e.line <= breaks + 1, "{e:?}");
            let _ = e.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data, &Limits::default());
    check(data, &{
        let mut o = Limits::default();
        o.max_bytes = 4096;
        o.max_line_chars = 64;
        o.max_depth = 4;
        o.max_key_name = 8;
        o.max_value_name = 8;
        o.max_value_bytes = 16;
        o
    });
});
