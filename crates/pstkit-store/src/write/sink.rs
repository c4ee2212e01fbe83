//! The output file behind a writer: bytes are gathered into large buffers
//! and written by a second thread at their offsets, so the system calls
//! that write them run while the next items are read. Memory stays
//! bounded: a few buffers.
//!
//! On Linux, whole aligned pages of a buffer go to the disk directly
//! (`O_DIRECT`): copying them into the page cache and writing them back
//! from there cost more CPU than the rest of a conversion on a two-core
//! machine, and nothing reads them again before the file is complete.
//! Where the file system refuses direct I/O (tmpfs, some network file
//! systems), every write is buffered.

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
/// Alignment of direct I/O's memory, offsets and lengths: a page, which
/// covers every logical block size in use.
const ALIGN: usize = 4096;

/// One page of a buffer, aligned as direct I/O asks.
#[derive(Clone, Copy)]
#[repr(C, align(4096))]
struct Page([u8; ALIGN]);

/// A buffer of [`CHUNK`] bytes at most, page-aligned in memory.
struct Chunk {
    pages: Box<[Page]>,
    len: usize,
}

impl Chunk {
    fn new() -> Chunk {
        Chunk {
            pages: vec![Page([0; ALIGN]); CHUNK / ALIGN].into_boxed_slice(),
            len: 0,
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.all()[..self.len]
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        let len = self.len;
        &mut self.all_mut()[..len]
    }

    fn all(&self) -> &[u8] {
        // SAFETY: `Page` is `repr(C)` around a byte array, so the pages are
        // `CHUNK` initialised bytes in a row without padding.
        unsafe { std::slice::from_raw_parts(self.pages.as_ptr().cast::<u8>(), CHUNK) }
    }

    fn all_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `all`, borrowed mutably through `self`.
        unsafe { std::slice::from_raw_parts_mut(self.pages.as_mut_ptr().cast::<u8>(), CHUNK) }
    }

    /// Appends as much of `data` as fits; returns how much that was.
    fn extend(&mut self, data: &[u8]) -> usize {
        let n = (CHUNK - self.len).min(data.len());
        let at = self.len;
        self.all_mut()[at..at + n].copy_from_slice(&data[..n]);
        self.len += n;
        n
    }
}

// The buffers are bytes on their way to the file: their sizes, not their bytes.
impl std::fmt::Debug for FileSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSink")
            .field("at", &self.at)
            .field("buffered", &self.buf.len)
            .finish_non_exhaustive()
    }
}

/// A [`Write`] + [`Seek`] over a file, writing on a background thread.
pub struct FileSink {
    buf: Chunk,
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
    free: Receiver<Chunk>,
    thread: Option<JoinHandle<io::Result<Written>>>,
}

/// What the writing thread gives back.
struct Written {
    file: File,
    /// Bytes it wrote directly, bypassing the page cache: what the tests
    /// see of the choice.
    #[cfg_attr(not(test), allow(dead_code))]
    direct: u64,
}

/// Work for the writing thread.
enum Job {
    /// Bytes to write at an offset.
    Write(u64, Chunk),
    /// Small writes before the buffer, in order.
    Patches(Vec<(u64, Vec<u8>)>),
}

impl FileSink {
    /// Starts writing into `file` (empty, opened for writing), directly
    /// where the file system allows it.
    pub fn new(file: File) -> io::Result<FileSink> {
        FileSink::with_direct(file, cfg!(target_os = "linux"))
    }

    /// As [`FileSink::new`], choosing whether direct I/O is tried.
    fn with_direct(file: File, direct: bool) -> io::Result<FileSink> {
        let (tx, rx) = sync_channel::<Job>(DEPTH);
        let (free_tx, free) = sync_channel::<Chunk>(DEPTH + 2);
        let thread = std::thread::Builder::new()
            .name("pstkit-writer".into())
            .spawn(move || write_loop(file, rx, free_tx, direct))?;
        Ok(FileSink {
            buf: Chunk::new(),
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
        if self.buf.len == 0 {
            return Ok(());
        }
        let next = self.free.try_recv().unwrap_or_else(|_| Chunk::new());
        let full = std::mem::replace(&mut self.buf, next);
        let at = self.at;
        self.at += full.len as u64;
        self.cur = 0;
        self.hand_over(Job::Write(at, full))
    }

    fn stop(&mut self) -> io::Result<Written> {
        self.tx = None;
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("writer thread panicked"))),
            None => Err(io::Error::other("writer already finished")),
        }
    }

    /// Writes what is buffered, waits for every write and returns the file.
    pub(crate) fn into_file(self) -> io::Result<File> {
        self.finish().map(|w| w.file)
    }

    fn finish(mut self) -> io::Result<Written> {
        self.send()?;
        self.send_patches()?;
        self.stop()
    }
}

fn write_loop(
    file: File,
    rx: Receiver<Job>,
    free: SyncSender<Chunk>,
    direct: bool,
) -> io::Result<Written> {
    let mut dirty = Dirty::default();
    let mut direct = Direct {
        on: false,
        refused: !direct,
        bytes: 0,
    };
    let done = (|| {
        for job in rx {
            match job {
                Job::Write(at, mut chunk) => {
                    let data = chunk.bytes();
                    let n = direct.write(&file, at, data)?;
                    if n < data.len() {
                        direct.off(&file)?;
                        dirty.write(&file, at + n as u64, &data[n..])?;
                    }
                    chunk.len = 0;
                    let _ = free.try_send(chunk);
                }
                Job::Patches(patches) => {
                    direct.off(&file)?;
                    for (at, data) in patches {
                        dirty.write(&file, at, &data)?;
                    }
                }
            }
        }
        Ok(())
    })();
    // The file goes back as it came: buffered.
    direct.off(&file)?;
    done.map(|()| Written {
        file,
        direct: direct.bytes,
    })
}

/// Whether the descriptor writes directly, and whether it may.
struct Direct {
    on: bool,
    refused: bool,
    bytes: u64,
}

impl Direct {
    /// Writes the whole pages at the start of `data` directly when `at` is
    /// aligned and the file system allows it; returns how many bytes that
    /// was (the rest is the caller's to write buffered).
    fn write(&mut self, file: &File, at: u64, data: &[u8]) -> io::Result<usize> {
        let n = data.len() / ALIGN * ALIGN;
        if self.refused || n == 0 || !at.is_multiple_of(ALIGN as u64) {
            return Ok(0);
        }
        if !self.on {
            if set_direct(file, true).is_err() {
                self.refused = true;
                return Ok(0);
            }
            self.on = true;
        }
        match write_all_at(file, &data[..n], at) {
            Ok(()) => {
                self.bytes += n as u64;
                Ok(n)
            }
            // Accepted by fcntl but not by the write (an alignment the
            // device wants larger, a file system that takes the flag and
            // not the write): buffered from now on, this chunk included,
            // where a real failure (a full disk) shows again.
            Err(e) if self.bytes == 0 || e.raw_os_error() == Some(libc::EINVAL) => {
                self.refused = true;
                self.off(file)?;
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }

    /// Makes the descriptor buffered again (for unaligned writes).
    fn off(&mut self, file: &File) -> io::Result<()> {
        if self.on {
            set_direct(file, false)?;
            self.on = false;
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
fn set_direct(file: &File, on: bool) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: plain system calls on an open descriptor; they read no
    // memory of ours.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 {
            return Err(io::Error::last_os_error());
        }
        let want = if on {
            flags | libc::O_DIRECT
        } else {
            flags & !libc::O_DIRECT
        };
        if want != flags && libc::fcntl(fd, libc::F_SETFL, want) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn set_direct(_: &File, _: bool) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no direct I/O"))
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
        let over = (self.buf.len - self.cur).min(data.len());
        self.buf.bytes_mut()[self.cur..self.cur + over].copy_from_slice(&data[..over]);
        self.cur += over;
        data = &data[over..];
        while !data.is_empty() {
            if self.buf.len == CHUNK {
                self.send()?;
                continue;
            }
            let n = self.buf.extend(data);
            self.cur = self.buf.len;
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
        if target >= self.at && target <= self.at + self.buf.len as u64 {
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
        for direct in [true, false] {
            writes_land_at_their_offsets_(direct);
        }
    }

    fn writes_land_at_their_offsets_(direct: bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut s = FileSink::with_direct(File::create(&path).unwrap(), direct).unwrap();
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
        for direct in [true, false] {
            seeking_back_into_the_buffer_overwrites_(direct);
        }
    }

    fn seeking_back_into_the_buffer_overwrites_(direct: bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut s = FileSink::with_direct(File::create(&path).unwrap(), direct).unwrap();
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
        for direct in [true, false] {
            writing_before_the_buffer_lands_after_the_placeholder_(direct);
        }
    }

    fn writing_before_the_buffer_lands_after_the_placeholder_(direct: bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut s = FileSink::with_direct(File::create(&path).unwrap(), direct).unwrap();
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

    /// Whether the file system under `dir` takes direct I/O and it goes
    /// around the page cache (tmpfs takes the flag, but its files are the
    /// page cache).
    #[cfg(target_os = "linux")]
    fn takes_direct(dir: &std::path::Path) -> bool {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::OpenOptionsExt;
        let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).unwrap();
        // SAFETY: statfs writes into the zeroed struct it is given.
        let tmpfs = unsafe {
            let mut st: libc::statfs = std::mem::zeroed();
            libc::statfs(c.as_ptr(), &mut st) == 0 && st.f_type == libc::TMPFS_MAGIC
        };
        !tmpfs
            && std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .custom_flags(libc::O_DIRECT)
                .open(dir.join("probe"))
                .is_ok()
    }

    /// A sink over a new file in a temporary directory whose file system
    /// takes direct I/O; `None`, saying so, where it does not.
    #[cfg(target_os = "linux")]
    fn direct_sink() -> Option<(tempfile::TempDir, std::path::PathBuf, FileSink)> {
        let dir = tempfile::tempdir().unwrap();
        if !takes_direct(dir.path()) {
            eprintln!("skipped: the temporary directory's file system takes no direct I/O");
            return None;
        }
        let path = dir.path().join("out");
        let sink = FileSink::new(File::create(&path).unwrap()).unwrap();
        Some((dir, path, sink))
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn aligned_chunks_bypass_the_cache_and_the_rest_does_not() {
        let Some((_dir, path, mut s)) = direct_sink() else {
            return;
        };
        let big: Vec<u8> = (0..CHUNK * 2 + 100).map(|i| (i % 253) as u8).collect();
        s.write_all(&big).unwrap();
        // A placeholder patched after it went to the disk directly.
        s.seek(SeekFrom::Start(8)).unwrap();
        s.write_all(b"patch").unwrap();
        // A chunk at an unaligned offset: written buffered.
        let far = big.len() as u64 + 7;
        s.seek(SeekFrom::Start(far)).unwrap();
        s.write_all(&big[..CHUNK]).unwrap();
        // One at an aligned offset again: direct again.
        let again = (far + CHUNK as u64).next_multiple_of(ALIGN as u64);
        s.seek(SeekFrom::Start(again)).unwrap();
        s.write_all(&big[..CHUNK]).unwrap();
        let w = s.finish().unwrap();
        // Three chunks whole; the rest (100 bytes, the unaligned chunk)
        // through the page cache.
        assert_eq!(w.direct, 3 * CHUNK as u64);
        // What went directly is not in the page cache (the second chunk: no
        // patch touched it).
        let reader = File::open(&path).unwrap();
        assert_eq!(cached_pages(&reader, CHUNK..2 * CHUNK), 0);
        // SAFETY: F_GETFL on an open descriptor reads no memory of ours.
        let flags = unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&w.file), libc::F_GETFL) };
        assert_eq!(
            flags & libc::O_DIRECT,
            0,
            "the file is handed back buffered"
        );
        drop(w);
        let got = std::fs::read(&path).unwrap();
        assert_eq!(&got[..8], &big[..8]);
        assert_eq!(&got[8..13], b"patch");
        assert_eq!(&got[13..big.len()], &big[13..]);
        assert!(got[big.len()..far as usize].iter().all(|&b| b == 0));
        assert_eq!(&got[far as usize..far as usize + CHUNK], &big[..CHUNK]);
        assert_eq!(&got[again as usize..], &big[..CHUNK]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_chunk_s_tail_past_its_last_whole_page_follows_it_buffered() {
        let Some((_dir, path, mut s)) = direct_sink() else {
            return;
        };
        let data: Vec<u8> = (0..2 * ALIGN + 904).map(|i| (i % 241) as u8).collect();
        s.write_all(&data).unwrap();
        let w = s.finish().unwrap();
        assert_eq!(w.direct, 2 * ALIGN as u64);
        drop(w);
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }

    /// How many of the file's pages in `range` (page-aligned) are in the
    /// page cache.
    #[cfg(target_os = "linux")]
    fn cached_pages(file: &File, range: std::ops::Range<usize>) -> usize {
        use std::os::fd::AsRawFd;
        let len = range.end - range.start;
        // SAFETY: a read-only shared map of an open file, unmapped before
        // returning; mincore writes one byte per page into `pages`, which
        // is sized for the smallest page size in use.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                range.start as libc::off_t,
            );
            assert_ne!(p, libc::MAP_FAILED);
            let mut pages = vec![0u8; len.div_ceil(4096)];
            assert_eq!(libc::mincore(p, len, pages.as_mut_ptr().cast()), 0);
            libc::munmap(p, len);
            pages.iter().filter(|&&b| b & 1 != 0).count()
        }
    }

    #[test]
    fn without_direct_io_nothing_is_written_directly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut s = FileSink::with_direct(File::create(&path).unwrap(), false).unwrap();
        s.write_all(&vec![5u8; CHUNK * 2]).unwrap();
        let w = s.finish().unwrap();
        assert_eq!(w.direct, 0);
        // Written through the page cache, and found there: what the direct
        // test's "none cached" is measured against.
        #[cfg(target_os = "linux")]
        assert!(cached_pages(&File::open(&path).unwrap(), 0..CHUNK) > 0);
        drop(w);
        assert_eq!(std::fs::read(&path).unwrap(), vec![5u8; CHUNK * 2]);
    }
}
