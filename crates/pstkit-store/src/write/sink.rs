//! The output file behind a writer: bytes are gathered into large buffers
//! and written by a second thread at their offsets, so the system calls
//! that copy them into the page cache (and the disk writes they start) run
//! while the next items are read. Memory stays bounded: a few buffers.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Bytes per buffer handed to the writing thread: large enough that hand-
/// overs are few (256 per 256 MB), small enough that the buffers' first
/// touch (fresh pages, each a fault) costs little.
const CHUNK: usize = 1 << 20;
/// Buffers in flight: bounds memory at `(DEPTH + 2) * CHUNK`.
const DEPTH: usize = 3;
/// Write-back is started every this many bytes, so the final sync does not
/// find the whole file still in memory.
const WRITEBACK: u64 = 32 << 20;

// The buffers are bytes on their way to the file: their sizes, not their bytes.
impl std::fmt::Debug for FileSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSink")
            .field("at", &self.at)
            .field("buffered", &self.buf.len())
            .finish_non_exhaustive()
    }
}

/// A [`Write`] + [`Seek`] over a file, writing on a background thread.
pub struct FileSink {
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    at: u64,
    /// Where the next write goes, within `buf` or at its end: writes back
    /// into the buffered range (map pages, B-tree pages) cost no hand-over.
    cur: usize,
    /// Set by a seek before the buffer: where the next write goes.
    back: u64,
    /// Writes before the buffer not yet handed over, in order.
    patches: Vec<(u64, Vec<u8>)>,
    patch_bytes: usize,
    tx: Option<SyncSender<Job>>,
    free: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<io::Result<File>>>,
}

/// Work for the writing thread.
enum Job {
    /// Bytes to write at an offset.
    Write(u64, Vec<u8>),
    /// Small writes before the buffer, in order.
    Patches(Vec<(u64, Vec<u8>)>),
}

impl FileSink {
    /// Starts writing into `file` (empty, opened for writing).
    pub fn new(file: File) -> io::Result<FileSink> {
        let (tx, rx) = sync_channel::<Job>(DEPTH);
        let (free_tx, free) = sync_channel::<Vec<u8>>(DEPTH + 2);
        let thread = std::thread::Builder::new()
            .name("pstkit-writer".into())
            .spawn(move || write_loop(file, rx, free_tx))?;
        Ok(FileSink {
            buf: Vec::with_capacity(CHUNK),
            at: 0,
            cur: 0,
            back: u64::MAX,
            patches: Vec::new(),
            patch_bytes: 0,
            tx: Some(tx),
            free,
            thread: Some(thread),
        })
    }

    fn pos(&self) -> u64 {
        if self.back != u64::MAX {
            return self.back;
        }
        self.at + self.cur as u64
    }

    /// Queues a few bytes for an offset before the buffer. Such patches
    /// (B-tree and map pages over their placeholders) come by the
    /// thousand: runs of neighbours are joined and handed over together.
    fn send_small(&mut self, at: u64, data: &[u8]) -> io::Result<()> {
        match self.patches.last_mut() {
            Some((p, bytes)) if *p + bytes.len() as u64 == at => bytes.extend_from_slice(data),
            _ => self.patches.push((at, data.to_vec())),
        }
        self.patch_bytes += data.len();
        if self.patch_bytes >= CHUNK {
            self.send_patches()?;
        }
        Ok(())
    }

    fn send_patches(&mut self) -> io::Result<()> {
        let patches = std::mem::take(&mut self.patches);
        self.patch_bytes = 0;
        if patches.is_empty() {
            return Ok(());
        }
        // One hand-over for all: each costs the two threads a wake-up.
        self.hand_over(Job::Patches(patches))
    }

    fn hand_over(&mut self, job: Job) -> io::Result<()> {
        let sent = self.tx.as_ref().map(|tx| tx.send(job));
        match sent {
            Some(Ok(())) => Ok(()),
            // The thread stopped: its error says why.
            _ => Err(self.stop().err().unwrap_or_else(|| {
                io::Error::new(io::ErrorKind::BrokenPipe, "writer thread stopped")
            })),
        }
    }

    /// Hands the buffer to the writing thread.
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self
            .free
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let full = std::mem::replace(&mut self.buf, next);
        let at = self.at;
        self.at += full.len() as u64;
        self.cur = 0;
        self.hand_over(Job::Write(at, full))
    }

    fn stop(&mut self) -> io::Result<File> {
        self.tx = None;
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("writer thread panicked"))),
            None => Err(io::Error::other("writer already finished")),
        }
    }

    /// Writes what is buffered, waits for every write and returns the file.
    pub(crate) fn into_file(mut self) -> io::Result<File> {
        self.send()?;
        self.send_patches()?;
        self.stop()
    }
}

fn write_loop(file: File, rx: Receiver<Job>, free: SyncSender<Vec<u8>>) -> io::Result<File> {
    let mut dirty = Dirty::default();
    for job in rx {
        match job {
            Job::Write(at, mut data) => {
                dirty.write(&file, at, &data)?;
                if data.capacity() >= CHUNK {
                    data.clear();
                    let _ = free.try_send(data);
                }
            }
            Job::Patches(patches) => {
                for (at, data) in patches {
                    dirty.write(&file, at, &data)?;
                }
            }
        }
    }
    Ok(file)
}

/// Bytes written since write-back was last started, and their range.
struct Dirty {
    bytes: u64,
    from: u64,
    to: u64,
}

impl Default for Dirty {
    fn default() -> Self {
        Dirty {
            bytes: 0,
            from: u64::MAX,
            to: 0,
        }
    }
}

impl Dirty {
    /// Writes `data` at `at`, and starts write-back of the dirty range
    /// every [`WRITEBACK`] bytes.
    fn write(&mut self, file: &File, at: u64, data: &[u8]) -> io::Result<()> {
        write_all_at(file, data, at)?;
        self.bytes += data.len() as u64;
        self.from = self.from.min(at);
        self.to = self.to.max(at + data.len() as u64);
        if self.bytes >= WRITEBACK {
            start_writeback(file, self.from, self.to - self.from);
            *self = Dirty::default();
        }
        Ok(())
    }
}

#[cfg(unix)]
fn write_all_at(file: &File, data: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, at)
}

#[cfg(not(unix))]
fn write_all_at(mut file: &File, data: &[u8], at: u64) -> io::Result<()> {
    file.seek(SeekFrom::Start(at))?;
    file.write_all(data)
}

/// Asks the kernel to start writing a range to disk without waiting, so
/// the final fsync overlaps the copy instead of following it.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, at: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain system call on an open descriptor; it reads no memory
    // of ours and its failure only means the final sync does the work.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            at as libc::off64_t,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &File, _: u64, _: u64) {}

impl Write for FileSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        // Before the buffer (a map or B-tree page whose placeholder was
        // handed over already): its own small hand-over, which the thread
        // writes after the placeholder.
        if self.back < self.at {
            let n = ((self.at - self.back) as usize).min(data.len());
            self.send_small(self.back, &data[..n])?;
            self.back += n as u64;
            data = &data[n..];
            if data.is_empty() {
                return Ok(());
            }
            self.cur = 0;
        }
        self.back = u64::MAX;
        // Over bytes already buffered, then appended.
        let over = (self.buf.len() - self.cur).min(data.len());
        self.buf[self.cur..self.cur + over].copy_from_slice(&data[..over]);
        self.cur += over;
        data = &data[over..];
        while !data.is_empty() {
            let room = CHUNK - self.buf.len().min(CHUNK);
            if room == 0 {
                self.send()?;
                continue;
            }
            let n = room.min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            self.cur = self.buf.len();
            data = &data[n..];
        }
        Ok(())
    }

    /// Hands over what is buffered; [`FileSink::into_file`] waits for it.
    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Seek for FileSink {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => n,
            SeekFrom::Current(d) => self.pos().checked_add_signed(d).ok_or_else(bad_seek)?,
            SeekFrom::End(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "seek from end on a write-behind file",
                ))
            }
        };
        self.back = u64::MAX;
        if target >= self.at && target <= self.at + self.buf.len() as u64 {
            self.cur = (target - self.at) as usize;
        } else if target < self.at {
            self.back = target;
        } else {
            self.send()?;
            self.at = target;
        }
        Ok(target)
    }
}

fn bad_seek() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "seek before the start")
}

impl Drop for FileSink {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn writes_land_at_their_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut s = FileSink::new(File::create(&path).unwrap()).unwrap();
        let big: Vec<u8> = (0..CHUNK * 2 + 100).map(|i| (i % 251) as u8).collect();
        s.write_all(&[0u8; 16]).unwrap();
        s.write_all(&big).unwrap();
        s.seek(SeekFrom::Start(4)).unwrap();
        s.write_all(b"head").unwrap();
        let end = 16 + big.len() as u64;
        s.seek(SeekFrom::Start(end)).unwrap();
        s.write_all(b"tail").unwrap();
        drop(s.into_file().unwrap());
        let mut got = Vec::new();
        File::open(&path).unwrap().read_to_end(&mut got).unwrap();
        assert_eq!(&got[4..8], b"head");
        assert_eq!(&got[16..16 + big.len()], &big[..]);
        assert_eq!(&got[got.len() - 4..], b"tail");
        assert_eq!(got.len() as u64, end + 4);
    }

    #[test]
    fn seeking_back_into_the_buffer_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut s = FileSink::new(File::create(&path).unwrap()).unwrap();
        s.write_all(&[0u8; 100]).unwrap();
        s.seek(SeekFrom::Start(10)).unwrap();
        s.write_all(b"abc").unwrap();
        s.seek(SeekFrom::Start(98)).unwrap();
        s.write_all(b"wxyz").unwrap();
        s.seek(SeekFrom::Start(200)).unwrap();
        s.write_all(b"!").unwrap();
        drop(s.into_file().unwrap());
        let got = std::fs::read(&path).unwrap();
        assert_eq!(got.len(), 201);
        assert_eq!(&got[10..13], b"abc");
        assert_eq!(&got[98..102], b"wxyz");
        assert_eq!(got[200], b'!');
        assert!(got[102..200].iter().all(|&b| b == 0));
    }

    #[test]
    fn writing_before_the_buffer_lands_after_the_placeholder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut s = FileSink::new(File::create(&path).unwrap()).unwrap();
        s.write_all(&vec![0u8; CHUNK + 10]).unwrap();
        s.seek(SeekFrom::Start(5)).unwrap();
        s.write_all(b"page").unwrap();
        let end = CHUNK as u64 + 10;
        s.seek(SeekFrom::Start(end)).unwrap();
        s.write_all(b"more").unwrap();
        // A write that starts before the buffer and runs into it.
        s.seek(SeekFrom::Start(CHUNK as u64 - 2)).unwrap();
        s.write_all(b"span").unwrap();
        drop(s.into_file().unwrap());
        let got = std::fs::read(&path).unwrap();
        assert_eq!(&got[5..9], b"page");
        assert_eq!(&got[CHUNK - 2..CHUNK + 2], b"span");
        assert_eq!(&got[CHUNK + 10..], b"more");
    }

    #[test]
    fn a_failing_file_reports_its_error() {
        // A read-only handle: every write fails on the thread.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro");
        File::create(&path).unwrap();
        let mut s = FileSink::new(File::open(&path).unwrap()).unwrap();
        let chunk = vec![1u8; CHUNK];
        let mut failed = false;
        for _ in 0..DEPTH + 4 {
            if s.write_all(&chunk).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed || s.into_file().is_err());
    }
}
