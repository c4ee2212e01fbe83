//! NDB layer: CRC, block decoding (permute, cyclic, inflate), B-tree lookup
//! and iteration.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pstkit_benches::{mailbox, shuffle, small_messages, text, Spec};
use pstkit_ndb::{block, crc::crc, write::encode_block, Bid, CryptMethod, Format, Ib, NdbFile};

fn bench_crc(c: &mut Criterion) {
    let data = text(8192);
    let mut g = c.benchmark_group("crc");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("8KiB", |b| b.iter(|| crc(black_box(&data))));
    g.finish();
}

fn bench_crypt(c: &mut Criterion) {
    let plain = text(8192);
    let mut g = c.benchmark_group("block_decode");
    g.throughput(Throughput::Bytes(plain.len() as u64));
    for method in [CryptMethod::Permute, CryptMethod::Cyclic] {
        let mut stored = plain.clone();
        method.encode(&mut stored, 0x1234_5678);
        let mut buf = stored.clone();
        g.bench_function(format!("{}/8KiB", method.name()), |b| {
            b.iter(|| {
                // Decoding is in place: start from the stored bytes each time
                // (an 8 KiB copy, a small part of the cost).
                buf.copy_from_slice(&stored);
                method.decode(black_box(&mut buf), 0x1234_5678);
            })
        });
    }
    g.finish();

    // Inflate: one 4 KiB block of a 4K-page OST, compressed as the writer does.
    let plain = text(4096);
    let f = Format::UNICODE_4K;
    let bid = Bid(0x104); // external (bit 1 clear), so it is compressed
    let (on_disk, entry) = encode_block(f, CryptMethod::None, bid, Ib(0x4000), &plain);
    assert!(
        entry.cb < entry.inflated,
        "block compressed: {} of {}",
        entry.cb,
        entry.inflated
    );
    let stored = &on_disk[..usize::from(entry.cb)];
    assert_eq!(
        &block::decode(stored, f, CryptMethod::None, &entry).expect("inflates")[..],
        &plain[..]
    );
    let mut g = c.benchmark_group("block_decode");
    // Throughput in inflated (plain) bytes.
    g.throughput(Throughput::Bytes(plain.len() as u64));
    g.bench_function(format!("inflate/4KiB (from {} B)", entry.cb), |b| {
        b.iter(|| block::decode(black_box(stored), f, CryptMethod::None, &entry).expect("inflates"))
    });
    g.finish();
}

fn bench_btree(c: &mut Criterion) {
    let mb = mailbox(Spec::pst(small_messages()));
    let file = NdbFile::open(&mb.path).expect("open");
    let ndb = file.ndb();
    let mut nids: Vec<_> = ndb.nodes().map(|e| e.expect("nbt entry").nid).collect();
    let mut bids: Vec<_> = ndb
        .blocks()
        .map(|e| e.expect("bbt entry").bref.bid)
        .collect();
    shuffle(&mut nids, 1);
    shuffle(&mut bids, 2);
    eprintln!(
        "btree: {} nodes, {} blocks in a {:.1} MB file",
        nids.len(),
        bids.len(),
        mb.bytes as f64 / 1e6
    );

    let mut g = c.benchmark_group("btree");
    g.measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(nids.len() as u64));
    g.bench_function(format!("node_entry/{} random", nids.len()), |b| {
        b.iter(|| {
            for &nid in &nids {
                black_box(ndb.node_entry(nid).expect("found"));
            }
        })
    });
    g.throughput(Throughput::Elements(bids.len() as u64));
    g.bench_function(format!("block_entry/{} random", bids.len()), |b| {
        b.iter(|| {
            for &bid in &bids {
                black_box(ndb.block_entry(bid).expect("found"));
            }
        })
    });
    g.throughput(Throughput::Elements(nids.len() as u64));
    g.bench_function(format!("nodes/iterate {}", nids.len()), |b| {
        b.iter(|| {
            ndb.nodes()
                .fold(0u32, |n, e| n ^ black_box(e.expect("entry")).nid.0)
        })
    });
    g.throughput(Throughput::Elements(bids.len() as u64));
    g.bench_function(format!("blocks/iterate {}", bids.len()), |b| {
        b.iter(|| {
            ndb.blocks()
                .fold(0u64, |n, e| n + u64::from(black_box(e.expect("entry")).cb))
        })
    });
    // Reading (CRC check + permute decode) every block of the file.
    let total: u64 = ndb.blocks().map(|e| u64::from(e.expect("entry").cb)).sum();
    g.throughput(Throughput::Bytes(total));
    g.bench_function(format!("read_block/all {}", bids.len()), |b| {
        b.iter(|| {
            for &bid in &bids {
                black_box(ndb.read_block(bid).expect("block"));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench_crc, bench_crypt, bench_btree);
criterion_main!(benches);
