//! The `pstkit._pstkit` extension: an opened file, its folders and items,
//! check, convert and export, and Arrow batches over its items. The Python
//! package (`pstkit/`) wraps it; the exceptions it raises are defined there.
//!
//! Every call that reads the file runs without the GIL, and a Rust panic in
//! one comes out as `pstkit.InternalError`.

mod arrow;
mod errors;
mod items;
mod open;

use pyo3::prelude::*;

#[pymodule]
fn _pstkit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<open::File>()?;
    m.add_class::<items::Folder>()?;
    m.add_class::<items::Message>()?;
    m.add_class::<items::Recipient>()?;
    m.add_class::<items::Attachment>()?;
    m.add_class::<items::Messages>()?;
    m.add_function(wrap_pyfunction!(open::open, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::messages_schema, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::attachments_schema, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
