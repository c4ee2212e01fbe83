//! `pstkit.open`: the file mapped once, its store read once, shared by every
//! object made from it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use pstkit::copy::{
    convert, export_with, ConvertOptions, ExportEvent, ExportFormat, ExportOptions,
};
use pstkit::ndb::check::check;
use pstkit::ndb::{FileKind, Format};
use pstkit::store::audit::audit;
use pstkit::store::binding::{BindingInfo, BindingRecord, MailboxBinding};
use pstkit::store::Store;
use pstkit::store::StoreError;
use pstkit::Pst;
use pstkit_arrow::{write_parquet, ParquetEvent, ParquetOptions};
use pstkit_output::Replace;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::arrow::{self, LostRecord, Table};
use crate::errors::{unlocked, Failure};
use crate::items::{tagged, Folder, Messages};

/// An opened file and its message store.
///
/// Python objects (folders, items, iterators) outlive the call that made
/// them, so the store is kept beside the file it borrows from rather than
/// reopened per object.
pub struct Opened {
    // Declared before `pst`: dropped first, while what it borrows is alive.
    // In a mutex because its lazily read heap blocks are not `Sync`.
    store: Mutex<Store<'static>>,
    pst: Box<Pst>,
    pub path: PathBuf,
}

impl Opened {
    fn open(path: PathBuf) -> Result<Opened, Failure> {
        let pst = Box::new(Pst::open(&path)?);
        let store = pst.store()?;
        // SAFETY: `store` borrows the `Pst` in the box, whose address does
        // not change when the box moves; the box lives in the same
        // `Opened` and is dropped after `store` (field order), and nothing
        // hands out the box mutably.
        let store = unsafe { std::mem::transmute::<Store<'_>, Store<'static>>(store) };
        Ok(Opened {
            store: Mutex::new(store),
            pst,
            path,
        })
    }

    /// The store, for as long as the `Opened` (held in an `Arc` by every
    /// object made from it) lives.
    pub fn store(&self) -> MutexGuard<'_, Store<'static>> {
        crate::items::lock(&self.store)
    }

    pub fn pst(&self) -> &Pst {
        &self.pst
    }
}

// The batch size the Python signatures spell out (so that Python shows it)
// is the library's.
const _: () = assert!(pstkit_arrow::DEFAULT_BATCH_SIZE == 1024);

/// An opened PST or OST file. Use as a context manager, or call `close()`.
#[pyclass(module = "pstkit", name = "File")]
pub struct File {
    opened: Option<Arc<Opened>>,
    path: PathBuf,
    /// What the latest batch reader could not read.
    lost: Arc<Mutex<Vec<LostRecord>>>,
}

impl File {
    fn opened(&self) -> PyResult<Arc<Opened>> {
        self.opened
            .clone()
            .ok_or_else(|| PyValueError::new_err(format!("{} is closed", self.path.display())))
    }
}

/// Opens `path` read-only and reads its message store.
#[pyfunction]
pub fn open(py: Python<'_>, path: PathBuf) -> PyResult<File> {
    let p = path.clone();
    let opened = unlocked(py, move || Opened::open(p))?;
    Ok(File {
        opened: Some(Arc::new(opened)),
        path,
        lost: Arc::default(),
    })
}

#[pymethods]
impl File {
    /// The path it was opened from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Unmaps the file once the items and iterators made from it are gone
    /// too; the `File` itself can no longer be used.
    fn close(&mut self) {
        self.opened = None;
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &mut self,
        _ty: Option<Bound<'_, PyAny>>,
        _value: Option<Bound<'_, PyAny>>,
        _tb: Option<Bound<'_, PyAny>>,
    ) -> bool {
        self.close();
        false
    }

    fn __repr__(&self) -> String {
        format!(
            "<pstkit.File {:?}{}>",
            self.path.display().to_string(),
            if self.opened.is_none() { " closed" } else { "" }
        )
    }

    /// The facts `pstkit info --json` prints: kind, variant, encoding,
    /// sizes, node and block counts, header CRCs, and the store's census.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let o = self.opened()?;
        let facts = unlocked(py, move || Ok(Info::read(&o)))?;
        facts.to_dict(py)
    }

    /// Checks the node database (and, with `deep`, the folders, tables and
    /// items, as `pstkit check --deep`); returns a dict whose `clean` says
    /// whether anything is wrong.
    #[pyo3(signature = (deep = false))]
    fn check<'py>(&self, py: Python<'py>, deep: bool) -> PyResult<Bound<'py, PyDict>> {
        let o = self.opened()?;
        let (r, d) = unlocked(py, move || {
            let ndb = o.pst().ndb();
            Ok(if deep {
                std::thread::scope(|s| {
                    let t = s.spawn(|| check(ndb));
                    let d = audit(ndb);
                    let r = t.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                    (r, Some(d))
                })
            } else {
                (check(ndb), None)
            })
        })?;
        let out = PyDict::new(py);
        let problems = PyList::empty(py);
        for c in &r.problems {
            let p = PyDict::new(py);
            p.set_item("structure", c.structure.to_string())?;
            p.set_item("id", c.id)?;
            p.set_item("offset", c.offset)?;
            p.set_item("problem", c.problem.to_string())?;
            p.set_item("message", c.to_string())?;
            problems.append(p)?;
        }
        let findings = PyList::empty(py);
        for f in &r.findings {
            let v = PyDict::new(py);
            v.set_item("rule", f.rule)?;
            v.set_item("severity", f.severity.as_str())?;
            v.set_item("nid", f.nid)?;
            v.set_item("bid", f.bid)?;
            v.set_item("offset", f.offset)?;
            v.set_item("expected", &f.expected)?;
            v.set_item("found", &f.found)?;
            findings.append(v)?;
        }
        let mut errors = r.problems.len() as u64
            + r.dropped
            + r.findings
                .iter()
                .filter(|f| f.severity == pstkit::ndb::Severity::Error)
                .count() as u64;
        if let Some(d) = &d {
            errors += d.count(pstkit::ndb::Severity::Error) as u64 + d.dropped;
            for f in &d.findings {
                let v = PyDict::new(py);
                v.set_item("rule", f.rule)?;
                v.set_item("severity", f.severity.as_str())?;
                v.set_item("nid", f.nid)?;
                v.set_item("path", &f.path)?;
                v.set_item("expected", &f.expected)?;
                v.set_item("found", &f.found)?;
                findings.append(v)?;
            }
            out.set_item("folders", d.folders)?;
            out.set_item("items", d.items)?;
        }
        out.set_item("clean", errors == 0)?;
        out.set_item("errors", errors)?;
        out.set_item("scope", if d.is_some() { "ndb+messaging" } else { "ndb" })?;
        out.set_item("pages", r.pages)?;
        out.set_item("nodes", r.nodes)?;
        out.set_item("blocks", r.blocks)?;
        out.set_item("problems", problems)?;
        out.set_item("findings", findings)?;
        out.set_item(
            "not_listed",
            r.dropped + d.as_ref().map_or(0, |d| d.dropped),
        )?;
        Ok(out)
    }

    /// The account the file is bound to, from the binding record pstkit
    /// writes into OSTs (`server`, `mailbox`, `profile`, `mailbox_guid`);
    /// `None` when it has none (every file Outlook made). A record that is
    /// damaged raises `BindingError`, one that names another mailbox than
    /// the store's `OtherMailboxError`.
    fn binding<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let o = self.opened()?;
        let record = unlocked(py, move || Ok(BindingInfo::read(&o.store()).record))?;
        let b = match record {
            BindingRecord::Valid(b) => b,
            BindingRecord::Damaged(e) => {
                return Err(Failure::from(StoreError::Binding(e)).into_pyerr(py))
            }
            _ => return Ok(None),
        };
        let d = PyDict::new(py);
        d.set_item("server", b.server)?;
        d.set_item("mailbox", b.mailbox)?;
        d.set_item("profile", b.profile)?;
        d.set_item("mailbox_guid", b.mailbox_guid.to_string())?;
        Ok(Some(d))
    }

    /// Every folder below the root, depth first, as `pstkit ls --json`
    /// lists them. A folder that cannot be read is left out.
    fn folders(&self, py: Python<'_>) -> PyResult<Vec<Folder>> {
        let o = self.opened()?;
        unlocked(py, move || Ok(Folder::all(&o.store())))
    }

    /// Copies the file into a new PST (or, with `ost`, an OST; with
    /// `four_k`, the 4K-page OST layout) at `dst`, as `pstkit convert`
    /// does: written under a temporary name, verified, then renamed. With
    /// `salvage`, damaged items are left out and listed in the result's
    /// `skipped` instead of stopping the copy. An OST is bound to the
    /// account `bind_to` names, `(server, mailbox)` or `(server, mailbox,
    /// profile)`.
    // One argument per Python keyword.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (dst, *, ost = false, four_k = false, salvage = false, rebuild = false, force = false, bind_to = None))]
    fn convert<'py>(
        &self,
        py: Python<'py>,
        dst: PathBuf,
        ost: bool,
        four_k: bool,
        salvage: bool,
        rebuild: bool,
        force: bool,
        bind_to: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let o = self.opened()?;
        let mut opts = ConvertOptions::default();
        opts.binding = match bind_to.as_deref() {
            None => None,
            Some(_) if !(ost || four_k) => {
                return Err(PyValueError::new_err("bind_to is for an OST (ost=True)"))
            }
            Some([server, mailbox]) => Some(MailboxBinding::new(server, mailbox, None)),
            Some([server, mailbox, profile]) => {
                Some(MailboxBinding::new(server, mailbox, Some(profile)))
            }
            Some(_) => {
                return Err(PyValueError::new_err(
                    "bind_to is (server, mailbox) or (server, mailbox, profile)",
                ))
            }
        };
        opts.writer.kind = if ost || four_k {
            FileKind::Ost
        } else {
            FileKind::Pst
        };
        opts.writer.format = if four_k {
            Format::UNICODE_4K
        } else {
            Format::UNICODE
        };
        opts.writer.display_name = String::new();
        opts.writer.replace = replace(force);
        opts.salvage = salvage;
        opts.rebuild = rebuild;
        let s = unlocked(py, move || {
            Ok(convert(&o.store(), &dst, &opts, &mut |_| {})?)
        })?;
        let d = PyDict::new(py);
        d.set_item("destination", &s.path)?;
        d.set_item("folders", s.folders)?;
        d.set_item("search_folders", s.search_folders)?;
        d.set_item("items", s.items)?;
        d.set_item("associated_items", s.associated)?;
        d.set_item("bytes", s.bytes)?;
        d.set_item("verified", s.verified)?;
        d.set_item("moved", s.moved)?;
        d.set_item("names_lost", s.names_lost)?;
        d.set_item("names_relinked", s.names_relinked)?;
        d.set_item("relinked", s.relinked)?;
        let skipped = PyList::empty(py);
        for k in &s.skipped {
            skipped.append(skipped_dict(py, k)?)?;
        }
        d.set_item("skipped", skipped)?;
        let partial = PyList::empty(py);
        for k in &s.partial {
            partial.append(skipped_dict(py, k)?)?;
        }
        d.set_item("partial", partial)?;
        Ok(d)
    }

    /// Writes every folder's items into the directory `out`, as `pstkit
    /// export` does: `format` is `eml` (contacts as vCard, calendar items
    /// as iCalendar), `mbox`, `maildir`, or `parquet` (`messages.parquet`
    /// and `attachments.parquet`, the attached bytes too `with_attachment_data`).
    /// Unreadable folders and items are skipped and listed in the result's
    /// `failed`; `force` lets `out` hold files already.
    #[pyo3(signature = (out, format = "eml", *, force = false, with_attachment_data = false))]
    fn export<'py>(
        &self,
        py: Python<'py>,
        out: PathBuf,
        format: &str,
        force: bool,
        with_attachment_data: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let format = match format {
            "eml" => ExportFormat::Eml,
            "mbox" => ExportFormat::Mbox,
            "maildir" => ExportFormat::Maildir,
            "parquet" => return self.export_parquet(py, out, force, with_attachment_data),
            other => {
                return Err(PyValueError::new_err(format!(
                    "format {other:?}: eml, mbox, maildir or parquet"
                )))
            }
        };
        let o = self.opened()?;
        let mut opts = ExportOptions::new(format);
        opts.replace = replace(force);
        let (s, failed) = unlocked(py, move || {
            let mut failed = Vec::new();
            let s = export_with(&o.store(), &out, &opts, &mut |e| match e {
                ExportEvent::ItemFailed { folder, nid, error }
                | ExportEvent::FolderFailed { folder, nid, error } => {
                    failed.push((folder, nid.0, error.to_string()))
                }
                _ => {}
            })?;
            Ok((s, failed))
        })?;
        let d = PyDict::new(py);
        d.set_item("folders", s.folders)?;
        d.set_item("search_folders", s.search_folders)?;
        d.set_item("items_exported", s.items_exported)?;
        d.set_item("items_failed", s.items_failed)?;
        d.set_item("folders_failed", s.folders_failed)?;
        d.set_item("files_written", s.files_written)?;
        d.set_item("names_lost", s.names_lost)?;
        d.set_item("complete", s.is_complete())?;
        let list = PyList::empty(py);
        for (folder, nid, error) in failed {
            let f = PyDict::new(py);
            f.set_item("folder", folder)?;
            f.set_item("nid", nid)?;
            f.set_item("error", error)?;
            list.append(f)?;
        }
        d.set_item("failed", list)?;
        Ok(d)
    }

    /// A `pyarrow.RecordBatchReader` over the messages table (the columns
    /// of `pstkit export --format parquet`, see `pstkit.messages_schema()`):
    /// every item of every folder, at most `batch_size` a batch, in the
    /// order their data lies in the file, read ahead by `threads` threads
    /// (default: one per CPU; 1 where the caller runs a reader per CPU
    /// already). `source` fills the `source` column (default: the path the
    /// file was opened from). Folders and items that do not read are left
    /// out and listed by `lost` once the reader has passed them.
    #[pyo3(signature = (batch_size = 1024, *, source = None, threads = None))]
    fn record_batches<'py>(
        &mut self,
        py: Python<'py>,
        batch_size: usize,
        source: Option<String>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let o = self.opened()?;
        let source = source.unwrap_or_else(|| self.path.display().to_string());
        self.lost = Arc::default();
        let opts = arrow::Options {
            batch_size,
            threads,
            source: &source,
        };
        arrow::stream(py, o, Table::Messages, opts, self.lost.clone())
    }

    /// A `pyarrow.RecordBatchReader` over the attachments table (see
    /// `pstkit.attachments_schema()`), the bytes in `data` only
    /// `with_data`; otherwise as `record_batches`.
    #[pyo3(signature = (batch_size = 1024, *, with_data = false, source = None, threads = None))]
    fn attachment_batches<'py>(
        &mut self,
        py: Python<'py>,
        batch_size: usize,
        with_data: bool,
        source: Option<String>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let o = self.opened()?;
        let source = source.unwrap_or_else(|| self.path.display().to_string());
        self.lost = Arc::default();
        let table = Table::Attachments { with_data };
        let opts = arrow::Options {
            batch_size,
            threads,
            source: &source,
        };
        arrow::stream(py, o, table, opts, self.lost.clone())
    }

    /// The folders and items the latest batch reader could not read, as
    /// exceptions whose `lost` (`folder` or `item`), `folder` and `item`
    /// (the node id) say which.
    #[getter]
    fn lost(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        let records = crate::items::lock(&self.lost).clone();
        records
            .into_iter()
            .map(|r| tagged(py, r.failure.into_pyerr(py), r.lost, &r.folder, r.nid))
            .collect()
    }

    /// The items (not the folder-associated ones), folder by folder as
    /// `folders()` lists them; only those of the folder whose path is
    /// `folder` when it is given. An item that cannot be read is skipped and
    /// kept in the iterator's `skipped` list, or raised with `strict`.
    #[pyo3(signature = (folder = None, *, strict = false))]
    fn messages(&self, py: Python<'_>, folder: Option<String>, strict: bool) -> PyResult<Messages> {
        let o = self.opened()?;
        Messages::new(py, o, folder, strict)
    }
}

impl File {
    fn export_parquet<'py>(
        &self,
        py: Python<'py>,
        out: PathBuf,
        force: bool,
        with_attachment_data: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let o = self.opened()?;
        let source = self.path.display().to_string();
        let mut opts = ParquetOptions::default();
        opts.replace = replace(force);
        opts.batches.with_attachment_data = with_attachment_data;
        let (s, lost) = unlocked(py, move || {
            let mut lost = Vec::new();
            let store = o.pst().store()?;
            let s = write_parquet(store, &source, &out, &opts, &mut |e| {
                if let ParquetEvent::Lost(l) = e {
                    lost.push(LostRecord::from(l));
                }
            })?;
            Ok((s, lost))
        })?;
        let d = PyDict::new(py);
        d.set_item("folders", s.folders)?;
        d.set_item("items_exported", s.items)?;
        d.set_item("items_failed", s.items_lost)?;
        d.set_item("folders_failed", s.folders_lost)?;
        d.set_item("attachments", s.attachments)?;
        d.set_item("complete", s.is_complete())?;
        d.set_item("files", s.files)?;
        let list = PyList::empty(py);
        for r in lost {
            let f = PyDict::new(py);
            f.set_item("folder", r.folder)?;
            f.set_item("nid", r.nid)?;
            f.set_item("error", r.failure.message())?;
            list.append(f)?;
        }
        d.set_item("failed", list)?;
        Ok(d)
    }
}

/// A salvage's lost or partial item for Python.
fn skipped_dict<'py>(
    py: Python<'py>,
    s: &pstkit::copy::convert::Skipped,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("folder", &s.folder)?;
    d.set_item("nid", s.nid.0)?;
    d.set_item("lost", s.lost.name())?;
    d.set_item("subject", &s.subject)?;
    d.set_item("error", &s.error)?;
    d.set_item(
        "structure",
        s.corruption.as_ref().map(|c| c.structure.to_string()),
    )?;
    d.set_item("offset", s.corruption.as_ref().and_then(|c| c.offset))?;
    Ok(d)
}

fn replace(force: bool) -> Replace {
    if force {
        Replace::RegularFile
    } else {
        Replace::Never
    }
}

/// What `info()` reports, read without the GIL.
struct Info {
    kind: &'static str,
    variant: String,
    version: u16,
    client_version: u16,
    encoding: &'static str,
    file_size: u64,
    header_eof: u64,
    nodes: u64,
    blocks: u64,
    header_ok: bool,
    name: Option<String>,
    password_crc: Option<u32>,
    census: pstkit::store::Census,
    codepage: u32,
    errors: Vec<String>,
}

impl Info {
    fn read(o: &Opened) -> Info {
        let ndb = o.pst().ndb();
        let h = ndb.header();
        let mut errors = Vec::new();
        let (mut nodes, mut blocks) = (0, 0);
        for e in ndb.nodes() {
            match e {
                Ok(_) => nodes += 1,
                Err(e) => errors.push(e.to_string()),
            }
        }
        for e in ndb.blocks() {
            match e {
                Ok(_) => blocks += 1,
                Err(e) => errors.push(e.to_string()),
            }
        }
        let store = o.store();
        let census = store.census();
        if census.unreadable > 0 {
            errors.push(format!(
                "message store: {} folders unreadable (their subfolders not counted)",
                census.unreadable
            ));
        }
        Info {
            kind: h.kind.name(),
            variant: h.variant_name().to_string(),
            version: h.version,
            client_version: h.client_version,
            encoding: h.crypt.name(),
            file_size: ndb.data().len() as u64,
            header_eof: h.root.file_eof,
            nodes,
            blocks,
            header_ok: h.verify().is_ok(),
            name: store.display_name(),
            password_crc: store.password_crc(),
            census,
            codepage: store.default_codepage(),
            errors,
        }
    }

    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("kind", self.kind)?;
        d.set_item("variant", &self.variant)?;
        d.set_item("version", self.version)?;
        d.set_item("client_version", self.client_version)?;
        d.set_item("encoding", self.encoding)?;
        d.set_item("file_size", self.file_size)?;
        d.set_item("header_eof", self.header_eof)?;
        d.set_item("nodes", self.nodes)?;
        d.set_item("blocks", self.blocks)?;
        d.set_item("header_crc_ok", self.header_ok)?;
        let s = PyDict::new(py);
        s.set_item("name", &self.name)?;
        s.set_item("password_protected", self.password_crc.is_some())?;
        s.set_item("folders", self.census.folders)?;
        s.set_item("search_folders", self.census.search_folders)?;
        s.set_item("items", self.census.items)?;
        s.set_item("associated_items", self.census.associated)?;
        s.set_item("codepage", self.codepage)?;
        d.set_item("store", s)?;
        d.set_item("errors", &self.errors)?;
        Ok(d)
    }
}
