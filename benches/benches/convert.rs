//! Convert throughput (`pstkit_copy::convert`, verify pass included) on
//! generated mailboxes of ≈ 10 MB and ≈ 256 MB, and EML export of the small one.
//! Throughput is in bytes of the source file.

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use pstkit_benches::{large_messages, mailbox, small_messages, Mailbox, Spec};
use pstkit_copy::{convert, export, ConvertOptions, ExportFormat};
use pstkit_ndb::NdbFile;
use pstkit_store::write::WriterOptions;
use pstkit_store::Store;

/// One conversion as `pstkit convert SRC DST` does it (Unicode PST,
/// compressible encoding); returns the time of the conversion alone.
fn convert_once(src: &Path, out: &Path) -> Duration {
    let _ = std::fs::remove_file(out);
    let start = Instant::now();
    let file = NdbFile::open(src).expect("open");
    let store = Store::open(file.ndb()).expect("store");
    let opts = {
        let mut o = ConvertOptions::default();
        o.writer = {
            let mut o = WriterOptions::default();
            o.display_name = String::new();
            o
        };
        o.binding = None;
        o.salvage = false;
        o.rebuild = false;
        o.threads = None;
        o
    };
    let summary = convert(&store, out, &opts, &mut |_| {}).expect("convert");
    let took = start.elapsed();
    assert!(summary.items > 0);
    std::fs::remove_file(out).expect("remove output");
    took
}

fn bench_one(c: &mut Criterion, name: &str, mb: &Mailbox, large: bool) {
    let out = mb.dir().join("converted.pst");
    let mut g = c.benchmark_group("convert");
    g.throughput(Throughput::Bytes(mb.bytes));
    if large {
        // Seconds per iteration: ten samples of one iteration each.
        g.sample_size(10);
        g.sampling_mode(SamplingMode::Flat);
        // Ten runs of about 2 s: criterion's minimum, stated so it does not warn.
        g.warm_up_time(Duration::from_millis(1));
        g.measurement_time(Duration::from_secs(25));
    } else {
        g.sample_size(10);
        g.sampling_mode(SamplingMode::Flat);
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(5));
    }
    g.bench_function(
        format!(
            "{name}/{:.0} MB, {} messages",
            mb.bytes as f64 / 1e6,
            mb.messages
        ),
        |b| b.iter_custom(|iters| (0..iters).map(|_| convert_once(&mb.path, &out)).sum()),
    );
    g.finish();
}

fn bench_convert(c: &mut Criterion) {
    let small = mailbox(Spec::pst(small_messages()));
    bench_one(c, "small", &small, false);

    // EML export of the small mailbox, output removed outside the timing.
    let out = small.dir().join("eml");
    let mut g = c.benchmark_group("export");
    g.throughput(Throughput::Bytes(small.bytes));
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.measurement_time(Duration::from_secs(5));
    g.bench_function(
        format!(
            "eml/{:.0} MB, {} messages",
            small.bytes as f64 / 1e6,
            small.messages
        ),
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let _ = std::fs::remove_dir_all(&out);
                    let start = Instant::now();
                    let file = NdbFile::open(&small.path).expect("open");
                    let store = Store::open(file.ndb()).expect("store");
                    let s = export(&store, &out, ExportFormat::Eml, &mut |_| {}).expect("export");
                    total += start.elapsed();
                    assert!(s.items_exported > 0);
                }
                let _ = std::fs::remove_dir_all(&out);
                total
            })
        },
    );
    g.finish();
    drop(small);

    if let Some(n) = large_messages() {
        let large = mailbox(Spec::pst(n));
        bench_one(c, "large", &large, true);
    }
}

criterion_group!(benches, bench_convert);
criterion_main!(benches);
