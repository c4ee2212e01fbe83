//! LTP and messaging layers: property-context decode and whole-message read
//! over every message of a generated ≈ 10 MB mailbox, and compressed-RTF
//! bodies.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pstkit_benches::{mailbox, message_ids, small_messages, Spec};
use pstkit_ltp::PropertyContext;
use pstkit_ndb::NdbFile;
use pstkit_store::{Message, Store};

/// Everything a reader of one message touches: the message's properties,
/// recipients, every attachment's data (embedded messages recursively) and
/// the three bodies. Returns the bytes seen, so nothing is optimised away.
fn read_message(m: &Message<'_>) -> usize {
    let mut n = 0;
    for (_, v) in m.properties().props() {
        n += usize::from(v.is_ok());
    }
    for r in m.recipients().expect("recipients") {
        n += r.address().map_or(0, str::len);
    }
    for a in m.attachments().expect("attachments") {
        let a = a.expect("attachment");
        if let Some(d) = a.data().expect("attachment data") {
            n += d.len();
        }
        if let Some(e) = a.embedded().expect("embedded message") {
            n += read_message(&e);
        }
    }
    n += m.body().map_or(0, |b| b.len());
    n += m.body_html().map_or(0, |b| b.len());
    if let Some(rtf) = m.body_rtf() {
        n += rtf.map_or(0, |b| b.len());
    }
    n
}

fn bench_read(c: &mut Criterion) {
    let mb = mailbox(Spec::pst(small_messages()));
    let file = NdbFile::open(&mb.path).expect("open");
    let ndb = file.ndb();
    let store = Store::open(ndb).expect("store");
    let ids = message_ids(&store);
    assert!(!ids.is_empty());
    let props: usize = ids
        .iter()
        .map(|&nid| {
            PropertyContext::read(ndb.node(nid).expect("node"))
                .expect("pc")
                .len()
        })
        .sum();
    eprintln!(
        "read: {} messages, {props} message properties, {:.1} MB file",
        ids.len(),
        mb.bytes as f64 / 1e6
    );

    let mut g = c.benchmark_group("property_context");
    g.measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(ids.len() as u64));
    g.bench_function(format!("read+all props/{} messages", ids.len()), |b| {
        b.iter(|| {
            let mut n = 0;
            for &nid in &ids {
                let pc = PropertyContext::read(ndb.node(nid).expect("node")).expect("pc");
                for (_, v) in pc.props() {
                    n += usize::from(black_box(v).is_ok());
                }
            }
            assert_eq!(n, props, "every property decodes");
        })
    });
    g.finish();

    let mut g = c.benchmark_group("message_read");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(ids.len() as u64));
    g.bench_function(format!("whole/{} messages", ids.len()), |b| {
        b.iter(|| {
            ids.iter()
                .map(|&nid| read_message(&store.message(nid).expect("message")))
                .sum::<usize>()
        })
    });
    // The same pass, counted in bytes of the mailbox file.
    g.throughput(Throughput::Bytes(mb.bytes));
    g.bench_function(format!("whole/{:.0} MB file", mb.bytes as f64 / 1e6), |b| {
        b.iter(|| {
            ids.iter()
                .map(|&nid| read_message(&store.message(nid).expect("message")))
                .sum::<usize>()
        })
    });
    g.finish();
}

/// Compressed RTF bodies (LZFu), as RTF-only Exchange items carry them: an
/// HTML mail encapsulated in RTF, about 60 KB, decompressed whole.
fn bench_rtf(c: &mut Criterion) {
    let mut rng = pstkit_store::synth::Rng::new(11);
    let words = [
        "budget", "réunion", "meeting", "Angebot", "予算", "report", "the", "and",
    ];
    let mut rtf =
        String::from("{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0{\\fonttbl{\\f0 Arial;}}\n");
    while rtf.len() < 60_000 {
        rtf.push_str("{\\*\\htmltag64 <p style=\"margin:0\">}\\htmlrtf {\\htmlrtf0 ");
        for _ in 0..40 {
            let w: &&str = rng.pick(&words);
            rtf.push_str(w);
            rtf.push(' ');
        }
        rtf.push_str("}\\htmlrtf0 {\\*\\htmltag72 </p>}\\par\n");
    }
    rtf.push('}');
    let packed = pstkit_store::rtf::compress_rtf(rtf.as_bytes());
    let mut g = c.benchmark_group("rtf");
    g.measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Bytes(rtf.len() as u64));
    g.bench_function(format!("decompress/{} KB", rtf.len() / 1000), |b| {
        b.iter(|| pstkit_store::rtf::decompress_rtf(black_box(&packed)).expect("decompresses"))
    });
    g.finish();
}

criterion_group!(benches, bench_read, bench_rtf);
criterion_main!(benches);
