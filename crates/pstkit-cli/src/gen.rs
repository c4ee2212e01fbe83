//! `pstkit gen`: a deterministic synthetic mailbox, for tests and benchmarks.

use std::io::IsTerminal;
use std::path::Path;

use pstkit::ndb::{CryptMethod, FileKind, Format};
use pstkit::store::synth::{generate, Synth, SynthOptions};
use pstkit::store::write::{PstWriter, WriterOptions};

/// Options of `gen` beyond the output path.
#[derive(Debug)]
pub struct GenArgs {
    /// Messages to write.
    pub messages: u64,
    /// Generator seed.
    pub seed: u64,
    /// Write an OST instead of a PST.
    pub ost: bool,
    /// Write the 4K-page OST variant.
    pub four_k: bool,
    /// Block encoding.
    pub crypt: CryptMethod,
    /// The account an OST is bound to.
    pub binding: Option<pstkit::store::binding::MailboxBinding>,
    /// Whether an existing file may be replaced (`--force`).
    pub replace: pstkit_copy::Replace,
}

/// Writes the mailbox; the same seed and options give the same bytes.
pub fn run(out: &Path, a: &GenArgs) -> anyhow::Result<u8> {
    let synth = Synth::new(a.seed);
    let options = {
        let mut o = WriterOptions::default();
        o.kind = if a.ost { FileKind::Ost } else { FileKind::Pst };
        o.format = if a.four_k {
            Format::UNICODE_4K
        } else {
            Format::UNICODE
        };
        o.crypt = a.crypt;
        o.display_name = format!("pstkit synthetic mailbox (seed {})", a.seed);
        o.record_key = Some(record_key(a.seed));
        o.timestamp = synth.timestamp();
        o.store_properties = Vec::new();
        o.replace = a.replace;
        o
    };
    crate::sweep_beside(out);
    let mut w = PstWriter::create(out, options)?;
    if let Some(b) = &a.binding {
        let id = w.named_prop(&pstkit::store::binding::binding_prop())?;
        w.set_store_properties(b.store_properties(id));
    }
    let tmp = w.temp_path().to_path_buf();
    let bar = progress_bar(a.messages);
    generate(&mut w, &SynthOptions::new(a.messages, a.seed), |n| {
        if let Some(b) = &bar {
            if n % 64 == 0 {
                b.set_position(n);
            }
        }
    })
    .map_err(|e| e.at_output(&tmp))?;
    let items = w.item_count();
    let path = w.finish().map_err(|e| e.at_output(&tmp))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!("wrote {} ({items} items, {size} bytes)", path.display());
    Ok(0)
}

fn record_key(seed: u64) -> [u8; 16] {
    let mut r = pstkit::store::synth::Rng::new(seed ^ 0x5EED);
    let mut k = [0u8; 16];
    k.copy_from_slice(&r.bytes(16));
    k
}

/// A bar on a terminal, nothing when stderr is piped.
pub fn progress_bar(len: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::new(len);
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} items {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(b)
}
