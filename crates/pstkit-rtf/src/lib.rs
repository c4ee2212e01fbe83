//! The RTF bodies of Outlook items, usable without the rest of pstkit:
//! compressed RTF ([MS-OXRTFCP], `PidTagRtfCompressed`) read and written
//! ([`compressed`]), and the HTML or plain text an RTF body encapsulates
//! ([MS-OXRTFEX]) recovered ([`encapsulated`]).
//!
//! ```
//! let stored = pstkit_rtf::compress_rtf(b"{\\rtf1\\ansi\\fromtext hello}");
//! let rtf = pstkit_rtf::decompress_rtf(&stored)?;
//! assert_eq!(
//!     pstkit_rtf::deencapsulate(&rtf),
//!     Some(pstkit_rtf::Encapsulated::Text("hello".into()))
//! );
//! # Ok::<(), pstkit_rtf::RtfError>(())
//! ```

#![deny(missing_docs)]

pub mod codepage;
pub mod compressed;
pub mod encapsulated;

pub use compressed::{compress_rtf, compress_rtf_uncompressed, decompress_rtf, RtfError};
pub use encapsulated::{deencapsulate, encapsulation, Encapsulated, EncapsulationKind};
