//! Fixed-size records kept in temporary files rather than in memory: the
//! writer's B-tree entries, sorted by an external merge sort.
//!
//! A `Sorter` buffers up to `chunk` records; a full buffer is sorted and
//! appended to its spill file as a run. Reading back merges the runs (in
//! passes of at most `fan_in` runs, each pass appended to the same file), so
//! memory is bounded by `chunk` records plus `fan_in` read buffers whatever
//! the count. Records with equal keys come back in the order they were
//! pushed. A sorter that never fills its buffer never creates a file.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// Storage for spilled records: a temporary file, or memory in tests.
pub trait SpillFile: Read + Write + Seek + Send {}

impl<T: Read + Write + Seek + Send> SpillFile for T {}

/// Makes a new, empty spill file; called at most once per sorter, and only
/// when its records outgrow memory.
pub type SpillMaker = Box<dyn FnMut() -> io::Result<Box<dyn SpillFile>> + Send>;

/// How many records a sorter keeps in memory, and how many runs one merge
/// reads at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpillLimits {
    /// Records buffered before a run is written.
    pub chunk: usize,
    /// Runs merged at once (at least 2).
    pub fan_in: usize,
}

impl Default for SpillLimits {
    fn default() -> Self {
        // 16 Ki records (384 KiB of 24-byte entries) per buffer; 64 runs
        // of 16 KiB read buffers (1 MiB) per merge, 1 Mi records in one
        // pass and 64 Mi in two.
        SpillLimits {
            chunk: 1 << 14,
            fan_in: 64,
        }
    }
}

/// Bytes read from a run at a time.
const READ_BUF: usize = 16 << 10;

/// A record of fixed size with a sort key.
pub(crate) trait Record: Copy {
    const SIZE: usize;
    fn put(&self, b: &mut [u8]);
    fn get(b: &[u8]) -> Self;
    fn sort_key(&self) -> u64;
}

impl Record for u64 {
    const SIZE: usize = 8;
    fn put(&self, b: &mut [u8]) {
        b[..8].copy_from_slice(&self.to_le_bytes());
    }
    fn get(b: &[u8]) -> Self {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        u64::from_le_bytes(a)
    }
    fn sort_key(&self) -> u64 {
        *self
    }
}

/// Records pushed in any order (or, made with [`Sorter::presorted`], in key
/// order), read back in key order by [`Sorter::into_sorted`].
pub(crate) struct Sorter<R: Record> {
    buf: Vec<R>,
    limits: SpillLimits,
    presorted: bool,
    file: Option<Box<dyn SpillFile>>,
    end: u64,
    /// (offset, records) of each run; one run per `chunk` records, 16 bytes.
    runs: Vec<(u64, u64)>,
}

impl<R: Record> Sorter<R> {
    pub(crate) fn new(limits: SpillLimits) -> Self {
        Sorter {
            buf: Vec::new(),
            limits,
            presorted: false,
            file: None,
            end: 0,
            runs: Vec::new(),
        }
    }

    /// A sorter for records pushed in key order already: its runs are one
    /// run, read back without merging.
    pub(crate) fn presorted(limits: SpillLimits) -> Self {
        Sorter {
            presorted: true,
            ..Self::new(limits)
        }
    }

    /// Changes the limits; a buffer over the new chunk is spilled at the
    /// next push.
    pub(crate) fn set_limits(&mut self, limits: SpillLimits) {
        self.limits = limits;
    }

    /// Records held in memory.
    pub(crate) fn in_memory(&self) -> usize {
        self.buf.len()
    }

    /// Records not yet written out, in push order: a presorted sorter's
    /// newest ones, which the caller may still amend.
    pub(crate) fn buffered_mut(&mut self) -> &mut [R] {
        &mut self.buf
    }

    pub(crate) fn push(&mut self, r: R, make: &mut SpillMaker) -> io::Result<()> {
        self.buf.push(r);
        if self.buf.len() >= self.limits.chunk.max(1) {
            self.spill(make)?;
        }
        Ok(())
    }

    fn spill(&mut self, make: &mut SpillMaker) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if !self.presorted {
            self.buf.sort_by_key(|r| r.sort_key());
        }
        if self.file.is_none() {
            self.file = Some(make()?);
        }
        let file = self.file.as_mut().expect("made above");
        let start = self.end;
        let n = self.buf.len() as u64;
        let mut bytes = vec![0u8; self.buf.len() * R::SIZE];
        for (r, b) in self.buf.iter().zip(bytes.chunks_exact_mut(R::SIZE)) {
            r.put(b);
        }
        file.seek(SeekFrom::Start(start))?;
        file.write_all(&bytes)?;
        self.end += bytes.len() as u64;
        self.buf.clear();
        match self.runs.last_mut() {
            Some(last) if self.presorted => last.1 += n,
            _ => self.runs.push((start, n)),
        }
        Ok(())
    }

    /// Every record pushed, in key order (equal keys in push order).
    pub(crate) fn into_sorted(mut self, make: &mut SpillMaker) -> io::Result<Sorted<R>> {
        if self.file.is_none() {
            if !self.presorted {
                self.buf.sort_by_key(|r| r.sort_key());
            }
            return Ok(Sorted::Memory(std::mem::take(&mut self.buf).into_iter()));
        }
        self.spill(make)?;
        let mut file = self.file.take().expect("spilled above");
        let fan_in = self.limits.fan_in.max(2);
        let mut runs = std::mem::take(&mut self.runs);
        while runs.len() > fan_in {
            let mut next = Vec::with_capacity(runs.len().div_ceil(fan_in));
            for group in runs.chunks(fan_in) {
                let start = self.end;
                let mut heads = Heads::<R>::new(group, file.as_mut())?;
                let mut out = Vec::with_capacity(READ_BUF);
                let mut n = 0u64;
                while let Some(r) = heads.next(file.as_mut())? {
                    let at = out.len();
                    out.resize(at + R::SIZE, 0);
                    r.put(&mut out[at..]);
                    n += 1;
                    if out.len() >= READ_BUF {
                        file.seek(SeekFrom::Start(self.end))?;
                        file.write_all(&out)?;
                        self.end += out.len() as u64;
                        out.clear();
                    }
                }
                file.seek(SeekFrom::Start(self.end))?;
                file.write_all(&out)?;
                self.end += out.len() as u64;
                next.push((start, n));
            }
            runs = next;
        }
        let heads = Heads::new(&runs, file.as_mut())?;
        Ok(Sorted::Runs { file, heads })
    }
}

/// The records of a [`Sorter`], in key order.
pub(crate) enum Sorted<R: Record> {
    Memory(std::vec::IntoIter<R>),
    Runs {
        file: Box<dyn SpillFile>,
        heads: Heads<R>,
    },
}

impl<R: Record> Sorted<R> {
    pub(crate) fn next(&mut self) -> io::Result<Option<R>> {
        match self {
            Sorted::Memory(it) => Ok(it.next()),
            Sorted::Runs { file, heads } => heads.next(file.as_mut()),
        }
    }
}

/// One run being read: where the rest of it is, and a buffer of it.
struct RunReader {
    pos: u64,
    left: u64,
    buf: Vec<u8>,
    at: usize,
}

impl RunReader {
    fn next<R: Record>(&mut self, file: &mut dyn SpillFile) -> io::Result<Option<R>> {
        if self.at >= self.buf.len() {
            if self.left == 0 {
                return Ok(None);
            }
            let n = self.left.min((READ_BUF / R::SIZE).max(1) as u64);
            self.buf.resize(n as usize * R::SIZE, 0);
            file.seek(SeekFrom::Start(self.pos))?;
            file.read_exact(&mut self.buf)?;
            self.pos += self.buf.len() as u64;
            self.left -= n;
            self.at = 0;
        }
        let r = R::get(&self.buf[self.at..]);
        self.at += R::SIZE;
        Ok(Some(r))
    }
}

/// The k-way merge: each run's next record, smallest key (then earliest
/// run) first.
pub(crate) struct Heads<R: Record> {
    readers: Vec<RunReader>,
    heads: Vec<Option<R>>,
    heap: BinaryHeap<Reverse<(u64, usize)>>,
}

impl<R: Record> Heads<R> {
    fn new(runs: &[(u64, u64)], file: &mut dyn SpillFile) -> io::Result<Self> {
        let mut h = Heads {
            readers: Vec::with_capacity(runs.len()),
            heads: Vec::with_capacity(runs.len()),
            heap: BinaryHeap::with_capacity(runs.len()),
        };
        for (i, &(pos, left)) in runs.iter().enumerate() {
            let mut rd = RunReader {
                pos,
                left,
                buf: Vec::new(),
                at: 0,
            };
            let first = rd.next::<R>(file)?;
            if let Some(r) = first {
                h.heap.push(Reverse((r.sort_key(), i)));
            }
            h.readers.push(rd);
            h.heads.push(first);
        }
        Ok(h)
    }

    fn next(&mut self, file: &mut dyn SpillFile) -> io::Result<Option<R>> {
        let Some(Reverse((_, i))) = self.heap.pop() else {
            return Ok(None);
        };
        let r = self.heads[i].take();
        let nxt = self.readers[i].next::<R>(file)?;
        if let Some(n) = nxt {
            self.heap.push(Reverse((n.sort_key(), i)));
        }
        self.heads[i] = nxt;
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> SpillMaker {
        Box::new(|| Ok(Box::new(io::Cursor::new(Vec::new())) as Box<dyn SpillFile>))
    }

    /// (key, push index) packed so that order among equal keys shows.
    fn drain(s: Sorter<u64>, make: &mut SpillMaker) -> Vec<u64> {
        let mut out = Vec::new();
        let mut it = s.into_sorted(make).unwrap();
        while let Some(r) = it.next().unwrap() {
            out.push(r);
        }
        out
    }

    #[test]
    fn merges_in_passes_and_matches_a_sort_in_memory() {
        let mut make = memory();
        for n in [0usize, 1, 7, 8, 9, 100, 1000] {
            let limits = SpillLimits {
                chunk: 8,
                fan_in: 3,
            };
            let mut s = Sorter::new(limits);
            let mut want = Vec::new();
            for i in 0..n as u64 {
                let v = (i * 7919) % 101;
                s.push(v, &mut make).unwrap();
                want.push(v);
                assert_eq!(s.in_memory(), (i as usize + 1) % 8);
            }
            want.sort();
            assert_eq!(drain(s, &mut make), want, "{n} records");
        }
    }

    /// The last merge reads at most `fan_in` runs: passes of `fan_in`
    /// runs each come first while there are more, and none when there are
    /// exactly that many.
    #[test]
    fn the_last_merge_reads_at_most_fan_in_runs() {
        let mut make = memory();
        let limits = SpillLimits {
            chunk: 4,
            fan_in: 3,
        };
        // Runs of 4 records: 1, 2, 3 (no pass), 4 (one pass: 2 runs left),
        // 10 (4, then 2), 28 (10, 4, 2).
        for (runs, merged) in [(1, 1), (2, 2), (3, 3), (4, 2), (10, 2), (28, 2)] {
            let mut s = Sorter::new(limits);
            for i in 0..runs * 4u64 {
                s.push((i * 7919) % 101, &mut make).unwrap();
            }
            match s.into_sorted(&mut make).unwrap() {
                Sorted::Runs { heads, .. } => assert_eq!(heads.readers.len(), merged, "{runs}"),
                Sorted::Memory(_) => panic!("{runs} runs kept in memory"),
            }
        }
    }

    /// Each run is read `READ_BUF` bytes at a time: the merge's memory is
    /// `fan_in` such buffers however long the runs.
    #[test]
    fn runs_are_read_a_buffer_at_a_time() {
        let mut make = memory();
        let limits = SpillLimits {
            chunk: 5000,
            fan_in: 2,
        };
        let mut s = Sorter::new(limits);
        for i in 0..10_000u64 {
            s.push((i * 7919) % 10_007, &mut make).unwrap();
        }
        match s.into_sorted(&mut make).unwrap() {
            Sorted::Runs { heads, .. } => {
                let bufs: Vec<usize> = heads.readers.iter().map(|r| r.buf.len()).collect();
                assert_eq!(bufs, [READ_BUF, READ_BUF]);
            }
            Sorted::Memory(_) => panic!("kept in memory"),
        }
    }

    /// A presorted sorter trusts its caller's order (it never sorts: its
    /// runs are one run, read back as pushed), and its newest records may
    /// still be amended.
    #[test]
    fn a_presorted_sorter_keeps_its_order_and_lets_the_newest_be_amended() {
        let mut make = memory();
        let limits = SpillLimits {
            chunk: 5,
            fan_in: 2,
        };
        // Out of key order on purpose: what comes back shows no sort ran.
        let pushed: Vec<u64> = (0..53u64).map(|v| (v * 7919) % 101).collect();
        for n in [3, 53] {
            let mut s = Sorter::presorted(limits);
            for v in &pushed[..n] {
                s.push(*v, &mut make).unwrap();
            }
            assert_eq!(s.buffered_mut().len(), n % 5);
            s.buffered_mut()[0] = 1000;
            let mut want = pushed[..n].to_vec();
            want[n - n % 5] = 1000;
            assert_eq!(drain(s, &mut make), want, "{n}");
        }
    }

    #[test]
    fn presorted_records_come_back_as_pushed() {
        let mut make = memory();
        let mut s = Sorter::presorted(SpillLimits {
            chunk: 5,
            fan_in: 2,
        });
        for v in 0..53u64 {
            s.push(v * 3, &mut make).unwrap();
        }
        assert_eq!(
            drain(s, &mut make),
            (0..53u64).map(|v| v * 3).collect::<Vec<_>>()
        );
    }
}
