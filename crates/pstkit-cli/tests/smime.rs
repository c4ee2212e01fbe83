//! S/MIME mail through a PST and back, checked by OpenSSL: messages that
//! `openssl smime` signed (clear and opaque) and encrypted are imported,
//! exported again, and must still verify and decrypt. Outlook keeps such
//! mail as one attachment holding the protected entity ([MS-OXOSMIME]);
//! any re-encoding on the way would break the signature.

#[path = "common/cli.rs"]
mod cli;

use std::path::Path;
use std::process::{Command, Output};

use pstkit::ndb::NdbFile;
use pstkit::Store;
use pstkit_fixtures::real;

use cli::walk_files;

/// Runs openssl in `dir`; panics with its error output when it fails.
fn openssl(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn signed_and_encrypted_mail_survives_import_and_export() {
    if !real::tools(&[("openssl", "openssl"), ("python3", "python3")]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    openssl(
        t,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-subj",
            "/CN=pstkit test",
            "-days",
            "2",
        ],
    );
    // Non-ASCII text and an attachment inside the signed content.
    std::fs::write(
        t.join("content"),
        "Content-Type: multipart/mixed; boundary=\"in\"\r\n\r\n--in\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Grüße, signed body\r\n--in\r\nContent-Type: application/octet-stream\r\n\
         Content-Disposition: attachment; filename=data.bin\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nAAECAwQ=\r\n--in--\r\n",
    )
    .unwrap();
    let mail = t.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let headers = |subject: &'static str| {
        [
            "-from",
            "ann@example.com",
            "-to",
            "bob@example.com",
            "-subject",
            subject,
        ]
    };
    let sign = |extra: &[&str], out: &str, subject: &'static str| {
        let mut args = vec![
            "smime", "-sign", "-binary", "-in", "content", "-signer", "cert.pem", "-inkey",
            "key.pem", "-out",
        ];
        args.push(out);
        args.extend_from_slice(extra);
        args.extend_from_slice(&headers(subject));
        openssl(t, &args);
    };
    sign(&["-crlfeol"], "mail/clear.eml", "Clear-signed");
    sign(&["-nodetach"], "mail/opaque.eml", "Opaque-signed");
    let mut args = vec![
        "smime",
        "-encrypt",
        "-aes256",
        "-in",
        "content",
        "-out",
        "mail/encrypted.eml",
    ];
    args.extend_from_slice(&headers("Encrypted"));
    args.push("cert.pem");
    openssl(t, &args);

    let pst = t.join("smime.pst");
    let r = run!("import", mail.as_os_str(), "-o", pst.as_os_str());
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert_eq!(run!("check", pst.as_os_str()).status.code(), Some(0));

    // Stored as Outlook stores them: the class, and one attachment that
    // holds the protected entity.
    {
        let f = NdbFile::open(&pst).unwrap();
        let s = Store::open(f.ndb()).unwrap();
        let mut seen = Vec::new();
        for w in s.walk().flatten() {
            for nid in w.folder.message_ids().unwrap() {
                let m = s.message(nid).unwrap();
                let atts: Vec<_> = m.attachments().unwrap().map(|a| a.unwrap()).collect();
                assert_eq!(atts.len(), 1, "{:?}", m.subject());
                let mime = atts[0].mime_type().unwrap_or_default();
                seen.push((m.subject().unwrap_or_default(), m.class(), mime));
            }
        }
        seen.sort();
        assert_eq!(
            seen,
            [
                (
                    "Clear-signed",
                    "IPM.Note.SMIME.MultipartSigned",
                    "multipart/signed"
                ),
                ("Encrypted", "IPM.Note.SMIME", "application/pkcs7-mime"),
                ("Opaque-signed", "IPM.Note.SMIME", "application/pkcs7-mime"),
            ]
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        );
    }

    for format in ["eml", "mbox"] {
        let out = t.join(format!("out-{format}"));
        let r = run!(
            "export",
            pst.as_os_str(),
            "--format",
            format,
            "--out",
            out.as_os_str()
        );
        assert_eq!(r.status.code(), Some(0));
        if format == "mbox" {
            // One mbox; Python's mailbox module splits it back into three.
            let mbox = walk_files(&out).pop().unwrap();
            let split = Command::new("python3")
                .args([
                    "-c",
                    "import mailbox,sys\nfor i,m in enumerate(mailbox.mbox(sys.argv[1])):\n open(sys.argv[2]+f'/{i}.eml','wb').write(m.as_bytes())",
                ])
                .arg(&mbox)
                .arg(&out)
                .output()
                .unwrap();
            assert!(split.status.success(), "{split:?}");
        }
        let mut checked = Vec::new();
        for file in walk_files(&out)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        {
            let text = std::fs::read(&file).unwrap();
            let text = String::from_utf8_lossy(&text);
            let subject = text
                .lines()
                .find_map(|l| l.strip_prefix("Subject: "))
                .unwrap()
                .to_string();
            let f = file.file_name().unwrap().to_str().unwrap();
            let path = file.to_str().unwrap();
            let got = match subject.as_str() {
                "Clear-signed" | "Opaque-signed" => openssl(
                    t,
                    &["smime", "-verify", "-noverify", "-binary", "-in", path],
                ),
                "Encrypted" => openssl(
                    t,
                    &[
                        "smime", "-decrypt", "-binary", "-in", path, "-recip", "cert.pem",
                        "-inkey", "key.pem",
                    ],
                ),
                other => panic!("{f}: unexpected subject {other:?}"),
            };
            let content = String::from_utf8_lossy(&got.stdout);
            assert!(
                content.contains("Grüße, signed body") && content.contains("AAECAwQ="),
                "{format} {subject}: {content}"
            );
            assert!(text.contains("From: ") && text.contains("To: "), "{text}");
            checked.push(subject);
        }
        checked.sort();
        assert_eq!(
            checked,
            ["Clear-signed", "Encrypted", "Opaque-signed"],
            "{format}"
        );
    }
}
