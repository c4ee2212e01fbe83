//! Folders, items, recipients and attachments as Python objects. An item
//! keeps its property context (not a copy of its values): a value is
//! decoded when Python asks for it, and attachment bytes only by `data()`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use pstkit::copy::bodies;
use pstkit::ltp::FileTime;
use pstkit::ndb::Nid;
use pstkit::store::{pid, Store};
use pstkit::{AttachMethod, RecipientKind};
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDateTime, PyDict, PyTzInfo};

use crate::errors::{unlocked, Failure};
use crate::open::Opened;

/// A folder as `pstkit ls --json` lists it.
#[pyclass(module = "pstkit", frozen, get_all)]
pub struct Folder {
    /// The path of display names below the root, joined by `/`.
    path: String,
    /// Its node id.
    nid: u32,
    /// Items in its contents table.
    items: usize,
    /// Folder-associated (hidden) items.
    associated: usize,
    /// Subfolders in its hierarchy table.
    subfolders: usize,
    /// Its container class (`IPF.Note`, `IPF.Contact`, …), when set.
    container_class: Option<String>,
    /// Whether it is a search folder (its results are other folders' items).
    is_search_folder: bool,
}

impl Folder {
    pub fn all(store: &Store<'_>) -> Vec<Folder> {
        store
            .walk()
            .flatten()
            .filter(|w| !w.path.is_empty())
            .map(|w| Folder {
                path: w.path_string(),
                nid: w.folder.nid().0,
                items: w.folder.message_ids().map_or(0, |v| v.len()),
                associated: w.folder.associated_ids().map_or(0, |v| v.len()),
                subfolders: w.folder.subfolder_ids().map_or(0, |v| v.len()),
                container_class: w.folder.container_class(),
                is_search_folder: w.folder.is_search_folder(),
            })
            .collect()
    }
}

#[pymethods]
impl Folder {
    fn __repr__(&self) -> String {
        format!("<pstkit.Folder {:?} {} items>", self.path, self.items)
    }
}

/// An item: mail, contact, appointment, task, note…; its class says which.
#[pyclass(module = "pstkit", frozen)]
pub struct Message {
    // Declared before `opened`: dropped while what it borrows is alive. In
    // a mutex because its lazily read heap blocks are not `Sync`.
    msg: Mutex<pstkit::Message<'static>>,
    opened: Arc<Opened>,
    folder: String,
}

fn time<'py>(py: Python<'py>, t: Option<FileTime>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
    let Some(t) = t else { return Ok(None) };
    let utc = PyTzInfo::utc(py)?;
    // Whole seconds (exact in an f64), then the microseconds, cut as
    // Arrow's microsecond timestamps cut them.
    let Ok(dt) = PyDateTime::from_timestamp(py, t.to_unix_seconds() as f64, Some(&utc)) else {
        // Times outside what `datetime` holds (year 1 to 9999) read as absent.
        return Ok(None);
    };
    let kwargs = PyDict::new(py);
    kwargs.set_item("microsecond", t.subsec_ticks() / 10)?;
    Ok(Some(
        dt.call_method("replace", (), Some(&kwargs))?.cast_into()?,
    ))
}

/// The value behind a mutex; a panic that poisoned it left nothing half
/// written (reads only), so the value is used as it is.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Message {
    fn m(&self) -> MutexGuard<'_, pstkit::Message<'static>> {
        lock(&self.msg)
    }
}

impl Attachment {
    fn a(&self) -> MutexGuard<'_, pstkit::Attachment<'static>> {
        lock(&self.att)
    }
}

#[pymethods]
impl Message {
    /// The item's node id, as `pstkit ls --json` gives it (`id`).
    #[getter]
    fn nid(&self) -> u32 {
        self.m().nid().0
    }

    /// The path of the folder it was listed in.
    #[getter]
    fn folder(&self) -> &str {
        &self.folder
    }

    /// PidTagMessageClass (`IPM.Note`, `IPM.Contact`, …).
    #[getter]
    fn message_class(&self) -> String {
        self.m().class()
    }

    /// The kind its class names: `mail`, `contact`, `appointment`, …
    #[getter]
    fn kind(&self) -> &'static str {
        self.m().kind().name()
    }

    #[getter]
    fn subject(&self) -> Option<String> {
        self.m().subject()
    }

    #[getter]
    fn sender_name(&self) -> Option<String> {
        self.m().sender_name()
    }

    /// The sender's SMTP address when the item has one, else the address
    /// it stores (an Exchange DN for internal senders).
    #[getter]
    fn sender_address(&self) -> Option<String> {
        self.m().sender_email()
    }

    /// PidTagClientSubmitTime, UTC.
    #[getter]
    fn sent<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        time(py, self.m().submit_time())
    }

    /// PidTagMessageDeliveryTime, UTC.
    #[getter]
    fn received<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        time(
            py,
            self.m().try_time(pid::MESSAGE_DELIVERY_TIME).ok().flatten(),
        )
    }

    /// When it was received, else sent, else created (the date `ls` shows).
    #[getter]
    fn date<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        time(py, self.m().date())
    }

    /// PidTagMessageSize as recorded.
    #[getter]
    fn size(&self) -> Option<i32> {
        self.m().size()
    }

    /// Whether it has been read (PidTagMessageFlags bit 0x01).
    #[getter]
    fn read(&self) -> bool {
        self.m().flags() & 1 != 0
    }

    /// The plain-text body, from the RTF body when that is where Outlook
    /// kept it (as the exports and the `body_text` column read it).
    #[getter]
    fn body_text(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let m = &self.msg;
        unlocked(py, || Ok(bodies(&lock(m))?.text))
    }

    /// The HTML body decoded to text, from the RTF body when that is where
    /// Outlook kept it (as the `body_html` column reads it).
    #[getter]
    fn body_html(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let m = &self.msg;
        unlocked(py, || Ok(bodies(&lock(m))?.html))
    }

    #[getter]
    fn transport_headers(&self) -> Option<String> {
        self.m().transport_headers()
    }

    #[getter]
    fn internet_message_id(&self) -> Option<String> {
        self.m().string(pid::INTERNET_MESSAGE_ID)
    }

    #[getter]
    fn conversation_topic(&self) -> Option<String> {
        self.m().string(pid::CONVERSATION_TOPIC)
    }

    /// To, Cc and Bcc, in the order of the recipient table.
    #[getter]
    fn recipients(&self, py: Python<'_>) -> PyResult<Vec<Recipient>> {
        let m = &self.msg;
        let rs = unlocked(py, || Ok(lock(m).recipients()?))?;
        Ok(rs
            .into_iter()
            .map(|r| Recipient {
                kind: match r.kind {
                    RecipientKind::To => "to",
                    RecipientKind::Cc => "cc",
                    RecipientKind::Bcc => "bcc",
                },
                address: r.address().map(str::to_string),
                name: r.name,
            })
            .collect())
    }

    /// The attachments' descriptions; their bytes are read by
    /// `Attachment.data()`.
    #[getter]
    fn attachments(&self, py: Python<'_>) -> PyResult<Vec<Attachment>> {
        let m = &self.msg;
        let atts = unlocked(py, || {
            lock(m)
                .attachments()?
                .map(|a| a.map_err(Failure::from))
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(atts
            .into_iter()
            .enumerate()
            .map(|(index, a)| Attachment {
                index,
                att: Mutex::new(a),
                opened: self.opened.clone(),
            })
            .collect())
    }

    fn __repr__(&self) -> String {
        // One guard: the mutex is not reentrant.
        let m = self.m();
        format!(
            "<pstkit.Message {} {:?}>",
            m.nid().0,
            m.subject().unwrap_or_default()
        )
    }
}

/// One row of an item's recipient table.
#[pyclass(module = "pstkit", frozen, get_all)]
pub struct Recipient {
    /// `to`, `cc` or `bcc`.
    kind: &'static str,
    name: Option<String>,
    /// SMTP where the row has one, else the address it stores.
    address: Option<String>,
}

#[pymethods]
impl Recipient {
    fn __repr__(&self) -> String {
        format!(
            "<pstkit.Recipient {} {:?} <{}>>",
            self.kind,
            self.name.as_deref().unwrap_or_default(),
            self.address.as_deref().unwrap_or_default()
        )
    }
}

/// An attachment: a file, an embedded message, an OLE object or a link.
#[pyclass(module = "pstkit", frozen)]
pub struct Attachment {
    index: usize,
    // Declared before `opened`; in a mutex, as `Message::msg`.
    att: Mutex<pstkit::Attachment<'static>>,
    opened: Arc<Opened>,
}

#[pymethods]
impl Attachment {
    /// Its position in the item's attachment table.
    #[getter]
    fn index(&self) -> usize {
        self.index
    }

    #[getter]
    fn filename(&self) -> Option<String> {
        self.a().filename()
    }

    #[getter]
    fn mime_type(&self) -> Option<String> {
        self.a().mime_type()
    }

    #[getter]
    fn content_id(&self) -> Option<String> {
        self.a().content_id()
    }

    /// PidTagAttachSize as recorded (it counts properties too).
    #[getter]
    fn size(&self) -> Option<i32> {
        self.a().size()
    }

    #[getter]
    fn is_embedded_message(&self) -> bool {
        self.a().method() == AttachMethod::EmbeddedMessage
    }

    /// The attached bytes (an OLE object's stored compound file); `None`
    /// for an embedded message (see `embedded()`) or a link.
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let a = &self.att;
        let bytes = unlocked(py, || Ok(lock(a).data()?.map(|d| d.into_owned())))?;
        Ok(bytes.map(|b| PyBytes::new(py, &b)))
    }

    /// The attached message, for an embedded one.
    fn embedded(&self, py: Python<'_>) -> PyResult<Option<Message>> {
        let a = &self.att;
        let m = unlocked(py, || Ok(lock(a).embedded()?))?;
        Ok(m.map(|msg| Message {
            msg: Mutex::new(msg),
            opened: self.opened.clone(),
            folder: String::new(),
        }))
    }

    fn __repr__(&self) -> String {
        format!(
            "<pstkit.Attachment {} {:?}>",
            self.index,
            self.a().filename().unwrap_or_default()
        )
    }
}

/// The iterator `File.messages()` returns.
#[pyclass(module = "pstkit")]
pub struct Messages {
    opened: Arc<Opened>,
    /// Folders still to list: path and item ids.
    folders: VecDeque<(String, VecDeque<Nid>)>,
    strict: bool,
    /// The items skipped as unreadable, as exceptions (`folder` and `nid`
    /// attributes name them).
    #[pyo3(get)]
    skipped: Vec<Py<PyAny>>,
}

impl Messages {
    pub fn new(
        py: Python<'_>,
        opened: Arc<Opened>,
        folder: Option<String>,
        strict: bool,
    ) -> PyResult<Messages> {
        let o = opened.clone();
        let want = folder.clone();
        let (folders, failures) = unlocked(py, move || {
            let mut folders = VecDeque::new();
            let mut failures = Vec::new();
            for w in o.store().walk() {
                let w = match w {
                    Ok(w) => w,
                    Err((nid, p, e)) => {
                        failures.push((p.join("/"), nid.0, Failure::from(e)));
                        continue;
                    }
                };
                if w.path.is_empty() {
                    continue;
                }
                let path = w.path_string();
                if want.as_ref().is_some_and(|f| *f != path) {
                    continue;
                }
                match w.folder.message_ids() {
                    Ok(ids) => folders.push_back((path, ids.into())),
                    Err(e) => failures.push((path, w.folder.nid().0, Failure::from(e))),
                }
            }
            Ok((folders, failures))
        })?;
        if let Some(f) = &folder {
            if folders.is_empty() && !failures.iter().any(|(p, _, _)| p == f) {
                return Err(PyKeyError::new_err(format!("no folder {f:?}")));
            }
        }
        let mut skipped = Vec::new();
        for (path, nid, f) in failures {
            let e = f.into_pyerr(py);
            if strict {
                return Err(e);
            }
            skipped.push(tagged(py, e, "folder", &path, nid)?);
        }
        Ok(Messages {
            opened,
            folders,
            strict,
            skipped,
        })
    }
}

/// The exception of an unreadable item or folder, with its place.
pub fn tagged(py: Python<'_>, e: PyErr, lost: &str, folder: &str, nid: u32) -> PyResult<Py<PyAny>> {
    let v = e.into_value(py);
    let b = v.bind(py);
    b.setattr("lost", lost)?;
    b.setattr("folder", folder)?;
    b.setattr("item", nid)?;
    Ok(v.into_any())
}

#[pymethods]
impl Messages {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Message>> {
        loop {
            let Some((folder, ids)) = self.folders.front_mut() else {
                return Ok(None);
            };
            let Some(nid) = ids.pop_front() else {
                self.folders.pop_front();
                continue;
            };
            let o = &self.opened;
            match unlocked(py, || Ok(o.store().message(nid)?)) {
                Ok(msg) => {
                    return Ok(Some(Message {
                        msg: Mutex::new(msg),
                        opened: self.opened.clone(),
                        folder: folder.clone(),
                    }))
                }
                Err(e) if self.strict => return Err(e),
                Err(e) => {
                    let folder = folder.clone();
                    self.skipped.push(tagged(py, e, "item", &folder, nid.0)?);
                }
            }
        }
    }
}
