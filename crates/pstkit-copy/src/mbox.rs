//! mbox files in the mboxrd flavour: messages after `From ` separator
//! lines, with every line matching `>*From ` quoted by one more `>` so that
//! readers can undo the quoting exactly.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use pstkit_output::{Replace, TempName};

use crate::error::{io_err, Result};
use crate::time::asctime;

/// The separator line (with its LF) for a message from `sender` at `secs`.
/// An address that is absent or unfit for the line (white space, empty)
/// becomes `MAILER-DAEMON`, as mail tools write for unknown senders.
pub(crate) fn from_line(sender: Option<&str>, secs: Option<i64>) -> String {
    let sender = sender
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control()))
        .unwrap_or("MAILER-DAEMON");
    format!("From {sender} {}\n", asctime(secs.unwrap_or(0)))
}

/// Appends `message` to `out` as mbox content: CRLF line ends become LF,
/// `>*From ` lines get one more `>`, and the message ends with a newline
/// and the blank line that separates it from the next.
pub(crate) fn escape_into(out: &mut Vec<u8>, message: &[u8]) {
    let mut rest = message;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let quotes = line.iter().take_while(|&&b| b == b'>').count();
        if line[quotes..].starts_with(b"From ") {
            out.push(b'>');
        }
        out.extend_from_slice(line);
        out.push(b'\n');
        rest = next;
    }
    out.push(b'\n');
}

impl std::fmt::Debug for MboxWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MboxWriter")
            .field("path", &self.path)
            .field("count", &self.count)
            .field("open", &self.file.is_some())
            .finish_non_exhaustive()
    }
}

/// One mbox file being written: appended to under a temporary name and
/// renamed into place by [`MboxWriter::finish`], so that a reader never
/// sees half a folder. Dropped unfinished, it removes its temporary file.
/// It can be closed between messages ([`MboxWriter::suspend`]), so that an
/// export writing many folders' files at once keeps few of them open.
pub struct MboxWriter {
    /// Removed when dropped unpublished.
    tmp: TempName,
    path: PathBuf,
    replace: Replace,
    /// `None` while suspended.
    file: Option<BufWriter<File>>,
    scratch: Vec<u8>,
    count: usize,
}

impl MboxWriter {
    /// Starts `path` (written as a temporary file beside it, published by
    /// [`MboxWriter::finish`] without replacing an existing file unless
    /// `replace` allows it).
    pub fn create(path: &Path, replace: Replace) -> Result<Self> {
        let (tmp, file) = TempName::hidden_beside(path)?;
        Ok(MboxWriter {
            tmp,
            path: path.to_path_buf(),
            replace,
            file: Some(BufWriter::new(file)),
            scratch: Vec::new(),
            count: 0,
        })
    }

    /// Appends one message (opening the file again if it was suspended).
    pub fn append(
        &mut self,
        sender: Option<&str>,
        secs: Option<i64>,
        message: &[u8],
    ) -> Result<()> {
        self.scratch.clear();
        self.scratch
            .extend_from_slice(from_line(sender, secs).as_bytes());
        escape_into(&mut self.scratch, message);
        let f = match self.file.as_mut() {
            Some(f) => f,
            None => {
                let f = self.tmp.reopen()?;
                self.file.insert(BufWriter::new(f))
            }
        };
        f.write_all(&self.scratch)
            .map_err(|e| io_err(self.tmp.path(), e))?;
        self.count += 1;
        Ok(())
    }

    /// Appends a message already escaped (as [`escape_into`] writes it),
    /// read from `escaped` (the file `path`) from its start.
    pub(crate) fn append_escaped(
        &mut self,
        sender: Option<&str>,
        secs: Option<i64>,
        mut escaped: &File,
        path: &std::path::Path,
    ) -> Result<()> {
        use std::io::Seek;
        escaped
            .seek(std::io::SeekFrom::Start(0))
            .map_err(|e| io_err(path, e))?;
        let f = match self.file.as_mut() {
            Some(f) => f,
            None => {
                let f = self.tmp.reopen()?;
                self.file.insert(BufWriter::new(f))
            }
        };
        f.write_all(from_line(sender, secs).as_bytes())
            .map_err(|e| io_err(self.tmp.path(), e))?;
        std::io::copy(&mut escaped, f).map_err(|e| io_err(self.tmp.path(), e))?;
        self.count += 1;
        Ok(())
    }

    /// Writes what is buffered and closes the file; the next
    /// [`MboxWriter::append`] opens it again.
    pub fn suspend(&mut self) -> Result<()> {
        // A suspended writer holds no memory: many may wait at once.
        self.scratch = Vec::new();
        if let Some(f) = self.file.take() {
            f.into_inner()
                .map_err(|e| io_err(self.tmp.path(), e.into_error()))?;
        }
        Ok(())
    }

    /// How many messages were appended.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Flushes and renames the file into place.
    pub fn finish(mut self) -> Result<PathBuf> {
        self.suspend()?;
        self.tmp.publish(&self.path, self.replace)?;
        Ok(self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(m: &str) -> String {
        let mut out = Vec::new();
        escape_into(&mut out, m.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn from_lines_are_quoted_one_level_more() {
        assert_eq!(
            escaped("Subject: x\r\n\r\nFrom here\r\n>From there\r\n>>From far\r\nFrom: not at start\r\n"),
            "Subject: x\n\n>From here\n>>From there\n>>>From far\nFrom: not at start\n\n"
        );
        // Only "From " with the space counts, and only at the line start.
        assert_eq!(
            escaped("Fromage\n From x\n>From"),
            "Fromage\n From x\n>From\n\n"
        );
    }

    #[test]
    fn line_ends_and_the_final_newline() {
        assert_eq!(escaped("a\r\nb"), "a\nb\n\n");
        assert_eq!(escaped("a\nb\n"), "a\nb\n\n");
        assert_eq!(escaped(""), "\n");
        // A lone CR inside a line is data, not a line end.
        assert_eq!(escaped("a\rb\r\n"), "a\rb\n\n");
    }

    #[test]
    fn separator_line() {
        assert_eq!(
            from_line(Some("a@b.example"), Some(1_234_567_890)),
            "From a@b.example Fri Feb 13 23:31:30 2009\n"
        );
        assert_eq!(
            from_line(Some("John Smith"), Some(0)),
            "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
        );
        assert_eq!(
            from_line(None, None),
            "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
        );
    }

    #[test]
    fn writer_renames_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Inbox.mbox");
        let mut w = MboxWriter::create(&path, Replace::Never).unwrap();
        w.append(Some("a@b"), Some(0), b"Subject: 1\r\n\r\nFrom me\r\n")
            .unwrap();
        w.append(None, None, b"Subject: 2\r\n\r\nhi\r\n").unwrap();
        assert_eq!(w.count(), 2);
        assert!(!path.exists(), "not visible before finish");
        w.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "From a@b Thu Jan  1 00:00:00 1970\nSubject: 1\n\n>From me\n\n\
             From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: 2\n\nhi\n\n"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file left");

        // Suspended between messages: the file is closed and opened again.
        let path = dir.path().join("Sent.mbox");
        let mut w = MboxWriter::create(&path, Replace::Never).unwrap();
        w.append(None, Some(0), b"Subject: 1\r\n\r\na\r\n").unwrap();
        w.suspend().unwrap();
        w.suspend().unwrap();
        w.append(None, Some(0), b"Subject: 2\r\n\r\nb\r\n").unwrap();
        w.suspend().unwrap();
        assert_eq!(w.count(), 2);
        w.finish().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: 1\n\na\n\n\
             From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: 2\n\nb\n\n"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        std::fs::remove_file(&path).unwrap();

        // Dropped unfinished (suspended or not): nothing appears, nothing is left.
        let other = dir.path().join("Other.mbox");
        let mut w = MboxWriter::create(&other, Replace::Never).unwrap();
        w.append(None, None, b"x").unwrap();
        w.suspend().unwrap();
        drop(w);
        assert!(!other.exists());
        let mut w = MboxWriter::create(&other, Replace::Never).unwrap();
        w.append(None, None, b"x").unwrap();
        drop(w);
        assert!(!other.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
