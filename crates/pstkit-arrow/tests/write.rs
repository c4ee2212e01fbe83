//! `write_parquet` over the committed generated mailbox: both files read
//! back with the Parquet reader hold every row, an existing file is
//! replaced only when allowed, and nothing temporary is left behind.

use std::fs;
use std::path::Path;

use pstkit_arrow::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use pstkit_arrow::{write_parquet, ParquetOptions, Replace, ATTACHMENTS_FILE, MESSAGES_FILE};
use pstkit_ndb::NdbFile;
use pstkit_store::Store;

fn rows(path: &Path) -> (usize, Vec<String>) {
    let r = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(path).unwrap()).unwrap();
    let cols = r
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let n = r.build().unwrap().map(|b| b.unwrap().num_rows()).sum();
    (n, cols)
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn both_tables_are_written_and_read_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mailbox.pst");
    let file = NdbFile::open(&src).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");

    let mut opts = ParquetOptions::default();
    opts.batches.batch_size = 4;
    opts.batches.with_attachment_data = true;
    let store = Store::open(file.ndb()).unwrap();
    let mut events = 0;
    let s = write_parquet(store, "mailbox.pst", &out, &opts, &mut |_| events += 1).unwrap();
    assert!(s.is_complete());
    assert!(s.items >= 30 && s.attachments >= 1, "{s:?}");
    assert!(events >= s.items / 4, "progress after every batch");
    assert_eq!(names(&out), [ATTACHMENTS_FILE, MESSAGES_FILE]);
    // Only the output itself beside it: the stage was renamed.
    assert_eq!(names(tmp.path()), ["out"]);
    let (n, cols) = rows(&out.join(MESSAGES_FILE));
    assert_eq!(n, s.items);
    assert_eq!(cols.len(), 22);
    let (n, cols) = rows(&out.join(ATTACHMENTS_FILE));
    assert_eq!(n, s.attachments);
    assert_eq!(cols.last().map(String::as_str), Some("data"));

    // Again into the same directory: refused, and the files are untouched.
    let before = fs::read(out.join(MESSAGES_FILE)).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let e = write_parquet(store, "x", &out, &ParquetOptions::default(), &mut |_| {});
    assert!(e.is_err());
    assert_eq!(fs::read(out.join(MESSAGES_FILE)).unwrap(), before);
    assert_eq!(names(&out), [ATTACHMENTS_FILE, MESSAGES_FILE]);

    // Allowed to replace: written again, without the data column now.
    let mut opts = ParquetOptions::default();
    opts.replace = Replace::RegularFile;
    let store = Store::open(file.ndb()).unwrap();
    write_parquet(store, "x", &out, &opts, &mut |_| {}).unwrap();
    assert_eq!(names(&out), [ATTACHMENTS_FILE, MESSAGES_FILE]);
    let (_, cols) = rows(&out.join(ATTACHMENTS_FILE));
    assert_eq!(cols.len(), 10);
    assert_ne!(fs::read(out.join(MESSAGES_FILE)).unwrap(), before);

    // An output that is a file, not a folder: refused, left as it was.
    let f = tmp.path().join("file");
    fs::write(&f, b"keep").unwrap();
    let store = Store::open(file.ndb()).unwrap();
    assert!(write_parquet(store, "x", &f, &opts, &mut |_| {}).is_err());
    assert_eq!(fs::read(&f).unwrap(), b"keep");
}
