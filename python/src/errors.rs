//! pstkit's typed errors as the Python exceptions of `pstkit.errors`: the
//! class from the error's kind, the structure, id and offset pstkit locates
//! as attributes, so that a script can tell a damaged file from a wrong one
//! without reading messages.

use pstkit::copy::CopyError;
use pstkit::ltp::LtpError;
use pstkit::ndb::{Corruption, NdbError};
use pstkit::store::error::BindingError;
use pstkit::store::StoreError;
use pstkit_output::OutputError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Everything the Python side needs to raise: built without the GIL (inside
/// `detach`), turned into an exception once it is held again.
#[derive(Clone, Debug)]
pub struct Failure {
    class: &'static str,
    message: String,
    attrs: Vec<(&'static str, Attr)>,
}

#[derive(Clone, Debug)]
enum Attr {
    Str(String),
    Int(u64),
    None,
}

impl Failure {
    pub fn new(class: &'static str, message: impl Into<String>) -> Self {
        Failure {
            class,
            message: message.into(),
            attrs: Vec::new(),
        }
    }

    /// The text the exception will carry.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn with(mut self, name: &'static str, value: Attr) -> Self {
        self.attrs.push((name, value));
        self
    }

    fn opt_int(self, name: &'static str, v: Option<u64>) -> Self {
        self.with(name, v.map_or(Attr::None, Attr::Int))
    }

    /// A Rust panic: a pstkit bug, reported as `pstkit.InternalError`
    /// instead of taking the interpreter down.
    pub fn panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Failure::new("InternalError", format!("pstkit bug: {what}"))
    }

    /// The damage located in the file: class `DamagedError`.
    fn damaged(message: String, c: Option<&Corruption>, nid: Option<u32>) -> Self {
        Failure::new("DamagedError", message)
            .with(
                "structure",
                c.map_or(Attr::None, |c| Attr::Str(c.structure.to_string())),
            )
            .opt_int("id", c.and_then(|c| c.id))
            .opt_int("offset", c.and_then(|c| c.offset))
            .with(
                "problem",
                c.map_or(Attr::None, |c| Attr::Str(c.problem.to_string())),
            )
            .opt_int("nid", nid.map(u64::from))
    }

    pub fn io(message: String, path: &std::path::Path, e: &std::io::Error) -> Self {
        Failure::new("IoError", message)
            .opt_int("errno", e.raw_os_error().map(|n| n as u64))
            .with("filename", Attr::Str(path.display().to_string()))
    }

    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self.build(py) {
            Ok(e) => e,
            Err(e) => e,
        }
    }

    fn build(self, py: Python<'_>) -> PyResult<PyErr> {
        let module = py.import("pstkit.errors")?;
        let class = module.getattr(self.class)?;
        let kwargs = PyDict::new(py);
        for (name, value) in &self.attrs {
            match value {
                Attr::Str(s) => kwargs.set_item(name, s)?,
                Attr::Int(n) => kwargs.set_item(name, n)?,
                Attr::None => kwargs.set_item(name, py.None())?,
            }
        }
        let value = class.call((self.message,), Some(&kwargs))?;
        Ok(PyErr::from_value(value))
    }
}

impl From<NdbError> for Failure {
    fn from(e: NdbError) -> Self {
        let message = e.to_string();
        match &e {
            NdbError::Io { path, source } => Failure::io(message, path, source),
            NdbError::NotPst { .. } => Failure::new("NotAPstError", message),
            NdbError::SourceChanged { .. } => Failure::new("SourceChangedError", message),
            NdbError::Corrupt(c) => Failure::damaged(message, Some(c), None),
            NdbError::NodeNotFound(nid) => Failure::damaged(message, None, Some(nid.0)),
            NdbError::Write(source) => Failure::io(message, std::path::Path::new(""), source),
            _ => Failure::new("Error", message),
        }
    }
}

impl From<LtpError> for Failure {
    fn from(e: LtpError) -> Self {
        match e {
            LtpError::Ndb(e) => e.into(),
            e => Failure::damaged(e.to_string(), e.corruption(), e.nid().map(|n| n.0)),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Ltp(e) => e.into(),
            StoreError::Ndb(e) => e.into(),
            StoreError::Output(e) => e.into(),
            StoreError::Io { path, source } => Failure::io(
                format!("cannot write {}: {source}", path.display()),
                &path,
                &source,
            ),
            StoreError::Binding(b) => {
                let message = format!("binding record: {b}");
                match &b {
                    BindingError::OtherMailbox { record, store } => {
                        Failure::new("OtherMailboxError", message)
                            .with("record_mailbox", Attr::Str(record.to_string()))
                            .with("store_mailbox", Attr::Str(store.to_string()))
                    }
                    BindingError::Unreadable(e) => {
                        Failure::damaged(message, e.corruption(), e.nid().map(|n| n.0))
                    }
                    b => Failure::new("BindingError", message)
                        .opt_int("offset", b.offset().map(|o| o as u64)),
                }
            }
            e => {
                let nid = e.nid().map(|n| n.0);
                Failure::damaged(e.to_string(), e.corruption(), nid)
            }
        }
    }
}

impl From<OutputError> for Failure {
    fn from(e: OutputError) -> Self {
        let message = e.to_string();
        match &e {
            OutputError::Io { path, source } => Failure::io(message, path, source),
            OutputError::Exists { path }
            | OutputError::NotRegular { path, .. }
            | OutputError::NoFolder { path }
            | OutputError::IsInput { path, .. } => Failure::new("OutputError", message)
                .with("filename", Attr::Str(path.display().to_string())),
            _ => Failure::new("OutputError", message),
        }
    }
}

impl From<CopyError> for Failure {
    fn from(e: CopyError) -> Self {
        match e {
            CopyError::Store(e) => e.into(),
            CopyError::Ltp(e) => e.into(),
            CopyError::Ndb(e) => e.into(),
            CopyError::Output(e) => e.into(),
            CopyError::Io { path, source } | CopyError::Input { path, source } => {
                Failure::io(format!("{}: {source}", path.display()), &path, &source)
            }
            CopyError::Internal(_) => Failure::new("InternalError", e.to_string()),
            e => {
                let nid = e.nid().map(|n| n.0);
                Failure::damaged(e.to_string(), e.corruption(), nid)
            }
        }
    }
}

impl From<pstkit::Error> for Failure {
    fn from(e: pstkit::Error) -> Self {
        match e {
            pstkit::Error::Ndb(e) => e.into(),
            pstkit::Error::Ltp(e) => e.into(),
            pstkit::Error::Store(e) => e.into(),
            pstkit::Error::Copy(e) => e.into(),
            e => Failure::new("Error", e.to_string()),
        }
    }
}

/// Runs `f` without the GIL, a panic in it turned into `InternalError`.
pub fn unlocked<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> Result<T, Failure> + Send,
    T: Send,
{
    py.detach(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .unwrap_or_else(|p| Err(Failure::panic(p)))
    })
    .map_err(|f| f.into_pyerr(py))
}
