//! The messaging-layer audit on every real sample: no error on a file
//! Outlook wrote; each warning and error listed here, file by file, with
//! its reason. A finding not listed, or a listed one that is gone, fails.

use pstkit_fixtures::real;
use pstkit_ndb::{NdbFile, Severity};
use pstkit_store::audit::audit;

/// (sample, rule, findings, why): every finding above a note.
const EXPECTED: &[(&str, &str, usize, &str)] = &[
    (
        "aspose-email-Aspose.Email-for-.NET--Outlook.pst",
        "search-folder-nodes",
        2,
        "Outlook's own \"All Messages\" search folder (0x723) has no update queue and no criteria object",
    ),
    (
        "aspose-email-Aspose.Email-for-.NET--Outlook.pst",
        "message-size",
        1,
        "the \"Freebusy Data\" item records 209 bytes, an old Outlook's sum of property sizes, under half its 720 bytes on disk",
    ),
    (
        "hughbe-PstReader--hughbe_Outlook.pst",
        "search-folder-nodes",
        2,
        "Outlook's own \"All Messages\" search folder has no update queue and no criteria object",
    ),
    (
        "hughbe-PstReader--hughbe_Outlook.pst",
        "message-size",
        2,
        "an old Outlook's sum of property sizes, under half the size on disk (Freebusy Data, a short Inbox item)",
    ),
    (
        "rjohnsondev-java-libpst--dist-list.pst",
        "search-folder-nodes",
        2,
        "Outlook's own \"All Messages\" search folder has no update queue and no criteria object",
    ),
    (
        "rjohnsondev-java-libpst--dist-list.pst",
        "message-size",
        2,
        "an old Outlook's sum of property sizes, under half the size on disk (Freebusy Data, a contact)",
    ),
    (
        "sepinf-inc-IPED--test_sample.pst",
        "search-folder-nodes",
        2,
        "Outlook's own \"Todas as Mensagens\" search folder has no update queue and no criteria object",
    ),
    (
        "aspose-email-Aspose.Email-for-.NET--SampleOstFile.ost",
        "folder-counts",
        1,
        "an Exchange OST's PidTagAssociatedContentCount counts hidden items the server holds and the file does not",
    ),
    (
        "groupdocs-viewer-GroupDocs.Viewer-for-.NET--Storage-sample.ost",
        "folder-counts",
        3,
        "an Exchange OST's PidTagAssociatedContentCount counts hidden items the server holds and the file does not",
    ),
    // Written by Aspose.Email, not by Outlook: errors are expected there.
    (
        "aspose-email-Aspose.Email-for-.NET--PersonalStorage.pst",
        "mandatory-node",
        1,
        "Aspose writes no search domain object (0x261)",
    ),
    (
        "aspose-email-Aspose.Email-for-.NET--PersonalStorage.pst",
        "name-map",
        2,
        "Aspose leaves two names (0x80A5, 0x80A6) out of their hash buckets",
    ),
    (
        "aspose-email-Aspose.Email-for-.NET--PersonalStorage.pst",
        "search-folder-nodes",
        1,
        "Aspose's \"SPAM Search Folder 2\" has no contents table",
    ),
    (
        "aspose-email-Aspose.Email-for-.NET--PersonalStorageFile1.pst",
        "name-map",
        2,
        "Aspose leaves two names (0x80A5, 0x80A6) out of their hash buckets",
    ),
    (
        "aspose-email-Aspose.Email-for-.NET--PersonalStorageFile1.pst",
        "search-folder-nodes",
        1,
        "Aspose's \"SPAM Search Folder 2\" has no contents table",
    ),
    (
        "aspose-email-Aspose.Email-for-.NET--passwordprotectedPST.pst",
        "name-map",
        2,
        "Aspose leaves two names (0x80A5, 0x80A6) out of their hash buckets",
    ),
    (
        "aspose-email-Aspose.Email-for-.NET--passwordprotectedPST.pst",
        "search-folder-nodes",
        1,
        "Aspose's \"SPAM Search Folder 2\" has no contents table",
    ),
    (
        "aspose-email-Aspose.Email-for-Java--MapiNoteToPST_out.pst",
        "mandatory-node",
        1,
        "Aspose writes no search domain object (0x261)",
    ),
    (
        "aspose-email-Aspose.Email-for-Java--MapiNoteToPST_out.pst",
        "name-map",
        2,
        "Aspose leaves two names (0x80A5, 0x80A6) out of their hash buckets",
    ),
    (
        "aspose-email-Aspose.Email-for-Java--MapiNoteToPST_out.pst",
        "search-folder-nodes",
        1,
        "Aspose's \"SPAM Search Folder 2\" has no contents table",
    ),
];

/// Samples Aspose.Email wrote (PROVENANCE.tsv; Outlook wrote the others).
fn written_by_aspose(name: &str) -> bool {
    [
        "PersonalStorage.pst",
        "PersonalStorageFile1.pst",
        "passwordprotectedPST.pst",
        "MapiNoteToPST_out.pst",
        "AddingBulkMessages",
    ]
    .iter()
    .any(|s| name.contains(s))
}

#[test]
fn real_samples_have_only_the_findings_listed() {
    let mut seen = 0;
    let mut found: Vec<(String, &str, usize)> = Vec::new();
    for (name, path) in real::all() {
        // Damaged (its header and a BBT page fail their CRCs) or not a PST.
        if name.contains("AddingBulkMessages") || name.ends_with(".bin") {
            continue;
        }
        seen += 1;
        let file = NdbFile::open(&path).unwrap();
        let r = audit(file.ndb());
        assert_eq!(r.dropped, 0, "{name}");
        let mut by_rule = std::collections::BTreeMap::<&str, usize>::new();
        for f in &r.findings {
            if f.severity == Severity::Error {
                assert!(written_by_aspose(&name), "{name}: an error: {f:?}");
            }
            if f.severity != Severity::Note {
                *by_rule.entry(f.rule).or_default() += 1;
            }
        }
        found.extend(by_rule.into_iter().map(|(r, n)| (name.clone(), r, n)));
    }
    assert!(seen >= real::min_count(18, 27), "{seen} samples");
    let available: Vec<String> = real::all().into_iter().map(|(n, _)| n).collect();
    let expected: Vec<(String, &str, usize)> = EXPECTED
        .iter()
        .filter(|e| available.iter().any(|n| n == e.0))
        .map(|e| (e.0.to_string(), e.1, e.2))
        .collect();
    found.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(found, expected);
}
