//! Large attachments written block by block as a message is written out,
//! instead of held whole in it: the rendered message carries a placeholder
//! line for each, and [`Streamed::write`] puts the attachment's base64 in
//! its place, reading one data block at a time. An export's memory then
//! stays one rendered message without its large attachments, whatever
//! their size.

use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::Path;

use memchr::memmem;
use pstkit_ndb::Node;

use crate::error::{io_err, CopyError, Result};

/// Attachments of at least this many bytes are streamed. Below it, an
/// attachment costs little memory, and mail-builder may keep it readable
/// (7bit) where it is safe.
pub const STREAM_FROM: u64 = 1 << 20;

/// The node holding attachment `a`'s bytes when they are streamed from
/// `from` bytes: a by-value attachment whose bytes, in a subnode of their
/// own, are that large. Every streaming reader and writer asks here.
pub(crate) fn large_data<'a>(
    a: &pstkit_store::Attachment<'a>,
    from: u64,
) -> Result<Option<Node<'a>>> {
    if from == u64::MAX || a.method() == pstkit_store::AttachMethod::EmbeddedMessage {
        return Ok(None);
    }
    Ok(a.data_node()?.filter(|n| n.size() >= from))
}

/// Input bytes per MIME base64 line (76 characters).
const LINE_INPUT: usize = 57;

/// The attachments a rendered message leaves to be streamed.
pub(crate) struct Streamed<'a> {
    /// Attachments of this many bytes or more are streamed.
    from: u64,
    /// A number of this run's own, so that a placeholder is no line that a
    /// message could hold by chance.
    nonce: u64,
    /// Each placeholder and the node whose data replaces it.
    parts: Vec<(String, Node<'a>)>,
}

impl<'a> Streamed<'a> {
    /// Streams attachments of `from` bytes or more.
    pub(crate) fn new(from: u64) -> Self {
        let nonce = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Streamed {
            from,
            nonce,
            parts: Vec::new(),
        }
    }

    /// The size from which attachments are streamed.
    pub(crate) fn from(&self) -> u64 {
        self.from
    }

    /// The placeholder for `node`'s data: characters of the base64
    /// alphabet, so that it is written as it is where base64 goes.
    pub(crate) fn defer(&mut self, node: Node<'a>) -> Vec<u8> {
        let token = format!("PSTKITSTREAM{:016X}{:08X}", self.nonce, self.parts.len());
        let bytes = token.clone().into_bytes();
        self.parts.push((token, node));
        bytes
    }

    /// Whether no attachment was deferred.
    pub(crate) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Where each placeholder is in `rendered` (position, length, part),
    /// in order; `None` when one is not there exactly once.
    fn places(&self, rendered: &[u8]) -> Option<Vec<(usize, usize, usize)>> {
        let mut at = Vec::with_capacity(self.parts.len());
        for (i, (token, _)) in self.parts.iter().enumerate() {
            let mut found = memmem::find_iter(rendered, token.as_bytes());
            match (found.next(), found.next()) {
                (Some(p), None) => at.push((p, token.len(), i)),
                _ => return None,
            }
        }
        at.sort_unstable();
        Some(at)
    }

    /// Whether every placeholder is in `rendered` exactly once, as
    /// [`Streamed::write`] needs (else render again without streaming: a
    /// message that holds a placeholder's text by chance).
    pub(crate) fn fits(&self, rendered: &[u8]) -> bool {
        self.is_empty() || self.places(rendered).is_some()
    }

    /// Writes `rendered` to `w` (the file `path`) with each placeholder
    /// replaced by its attachment's base64, in MIME lines as
    /// [`base64_lines`] makes them (parted by LF instead of CRLF with
    /// `lf`, for an mbox). Writes nothing when it does not
    /// [fit](Streamed::fits).
    ///
    /// [`base64_lines`]: crate::contentline::base64_lines
    pub(crate) fn write(
        &self,
        rendered: &[u8],
        w: &mut dyn Write,
        path: &Path,
        lf: bool,
    ) -> Result<()> {
        let Some(at) = self.places(rendered) else {
            return Err(CopyError::Msg {
                structure: path.display().to_string(),
                what: "a placeholder of a streamed attachment is not in the message once".into(),
            });
        };
        let io = |e: std::io::Error| io_err(path, e);
        let mut from = 0;
        for (p, len, i) in at {
            w.write_all(&rendered[from..p]).map_err(io)?;
            base64_blocks(&self.parts[i].1, w, path, lf)?;
            from = p + len;
        }
        w.write_all(&rendered[from..]).map_err(io)
    }
}

/// `node`'s data in MIME base64 lines of 76 characters, CRLF (LF with
/// `lf`) between them and none after the last, read and encoded one block
/// at a time.
fn base64_blocks(node: &Node<'_>, w: &mut dyn Write, path: &Path, lf: bool) -> Result<()> {
    let blocks = node.blocks().map(|b| b.map_err(CopyError::from));
    base64_chunks(blocks, w, path, lf)
}

/// [`base64_blocks`] of the bytes `chunks` hold one after the other, in
/// chunks of any sizes.
fn base64_chunks<'c>(
    chunks: impl Iterator<Item = Result<std::borrow::Cow<'c, [u8]>>>,
    w: &mut dyn Write,
    path: &Path,
    lf: bool,
) -> Result<()> {
    use encodify::base64::{LineEnding, LENIENT};
    let (engine, eol): (_, &[u8]) = if lf {
        (LENIENT.wrapped(76, LineEnding::Lf), b"\n")
    } else {
        (encodify::base64::MIME, b"\r\n")
    };
    let io = |e: std::io::Error| io_err(path, e);
    // Input not yet encoded (less than a line's worth between chunks), and
    // whether a line was written that the next one must be parted from.
    let mut carry: Vec<u8> = Vec::with_capacity(LINE_INPUT);
    let mut out = Vec::new();
    let mut parted = false;
    let mut emit = |input: &[u8], out: &mut Vec<u8>, w: &mut dyn Write| -> Result<()> {
        if input.is_empty() {
            return Ok(());
        }
        out.clear();
        engine.encode_append(input, out);
        let lines = out.strip_suffix(eol).unwrap_or(out);
        if parted {
            w.write_all(eol).map_err(io)?;
        }
        w.write_all(lines).map_err(io)?;
        parted = true;
        Ok(())
    };
    for chunk in chunks {
        let chunk = chunk?;
        let mut data = &chunk[..];
        if !carry.is_empty() {
            let take = (LINE_INPUT - carry.len()).min(data.len());
            carry.extend_from_slice(&data[..take]);
            data = &data[take..];
            if carry.len() < LINE_INPUT {
                continue;
            }
            emit(&carry, &mut out, w)?;
            carry.clear();
        }
        let whole = data.len() - data.len() % LINE_INPUT;
        emit(&data[..whole], &mut out, w)?;
        carry.extend_from_slice(&data[whole..]);
    }
    emit(&carry, &mut out, w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contentline::base64_lines;
    use pstkit_store::write::{AttachContent, NewAttachment, NewMessage, PstWriter};
    use pstkit_store::{pid, Store};

    /// A PST holding one message with an attachment of each of `sizes`.
    fn with_attachments(sizes: &[usize]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.pst");
        let mut w = PstWriter::create(&path, Default::default()).unwrap();
        let inbox = w.standard_folders().ipm_subtree;
        let mut m = NewMessage::default();
        m.props.push((
            pid::tags::SUBJECT,
            pstkit_ltp::PropValue::String("s".into()),
        ));
        for (i, &n) in sizes.iter().enumerate() {
            let data: Vec<u8> = (0..n).map(|k| (k * 7 + i) as u8).collect();
            m.attachments.push(NewAttachment {
                props: Vec::new(),
                content: AttachContent::Data(data),
            });
        }
        w.add_message(inbox, &m).unwrap();
        w.finish().unwrap();
        (dir, path)
    }

    #[test]
    fn streamed_base64_is_the_whole_data_s_base64() {
        // Sizes about a block (8,176 bytes in a Unicode file), a line (57),
        // and both at once, so that lines straddle blocks every way.
        let sizes = [
            3_581,
            8_176,
            8_177,
            16_352,
            57 * 1_000,
            57 * 1_001 + 1,
            100_003,
        ];
        let (_d, path) = with_attachments(&sizes);
        let file = pstkit_ndb::NdbFile::open(&path).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let ipm = store.ipm_subtree().unwrap();
        let nid = store.folder(ipm).unwrap().message_ids().unwrap()[0];
        let m = store.message(nid).unwrap();
        for a in m.attachments().unwrap() {
            let a = a.unwrap();
            let node = a.data_node().unwrap().expect("in a subnode");
            let mut got = Vec::new();
            base64_blocks(&node, &mut got, Path::new("x"), false).unwrap();
            let whole = base64_lines(&a.data().unwrap().unwrap());
            assert_eq!(got, whole, "{}", node.size());
            // For an mbox: the same lines, parted by LF.
            let mut lf = Vec::new();
            base64_blocks(&node, &mut lf, Path::new("x"), true).unwrap();
            let whole = String::from_utf8(whole).unwrap().replace("\r\n", "\n");
            assert_eq!(String::from_utf8(lf).unwrap(), whole);
        }
    }

    #[test]
    fn placeholders_are_replaced_once_each_or_not_at_all() {
        let (_d, path) = with_attachments(&[10_000, 20_000]);
        let file = pstkit_ndb::NdbFile::open(&path).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let ipm = store.ipm_subtree().unwrap();
        let nid = store.folder(ipm).unwrap().message_ids().unwrap()[0];
        let m = store.message(nid).unwrap();
        let mut s = Streamed::new(0);
        let (mut data, mut tokens) = (Vec::new(), Vec::new());
        for a in m.attachments().unwrap() {
            let a = a.unwrap();
            data.push(base64_lines(&a.data().unwrap().unwrap()));
            tokens.push(s.defer(a.data_node().unwrap().unwrap()));
        }
        // In the other order than deferred: each goes where its own is.
        let rendered = [&b"a"[..], &tokens[1], b"b", &tokens[0], b"c"].concat();
        let mut out = Vec::new();
        assert!(s.fits(&rendered));
        s.write(&rendered, &mut out, Path::new("x"), false).unwrap();
        assert_eq!(out, [&b"a"[..], &data[1], b"b", &data[0], b"c"].concat());
        // A placeholder twice, or missing: nothing is written.
        for bad in [
            [&b"a"[..], &tokens[1], &tokens[1], &tokens[0]].concat(),
            [&b"a"[..], &tokens[0]].concat(),
        ] {
            let mut out = Vec::new();
            assert!(!s.fits(&bad));
            assert!(s.write(&bad, &mut out, Path::new("x"), false).is_err());
            assert!(out.is_empty());
        }
    }

    /// A message with a large attachment renders without it: the rendered
    /// message stays small, and written out it is the message rendered
    /// whole, but for the attachment's transfer encoding (always base64
    /// when streamed), whose decoded bytes are the same.
    #[test]
    fn a_large_attachment_is_left_out_of_the_rendered_message() {
        let big = 3 << 20;
        let (_d, path) = with_attachments(&[big, 5_000]);
        let file = pstkit_ndb::NdbFile::open(&path).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let ipm = store.ipm_subtree().unwrap();
        let nid = store.folder(ipm).unwrap().message_ids().unwrap()[0];
        let m = store.message(nid).unwrap();
        let mut s = Streamed::new(STREAM_FROM);
        let mut rendered = Vec::new();
        crate::eml::message_to_eml_streamed(&m, &store, Vec::new(), &mut rendered, &mut s).unwrap();
        assert_eq!(s.parts.len(), 1);
        assert!(rendered.len() < 16 << 10, "{}", rendered.len());
        let mut written = Vec::new();
        s.write(&rendered, &mut written, Path::new("x"), false)
            .unwrap();
        let whole = crate::eml::message_to_eml(&m, &store).unwrap();
        let parse = |b: &[u8]| {
            let p = mail_parser::MessageParser::default().parse(b).unwrap();
            let atts: Vec<Vec<u8>> = p.attachments().map(|a| a.contents().to_vec()).collect();
            (p.subject().map(str::to_string), atts)
        };
        let (subject, atts) = parse(&written);
        assert_eq!((subject.clone(), atts.clone()), parse(&whole));
        assert_eq!(atts.iter().map(Vec::len).collect::<Vec<_>>(), [big, 5_000]);
        assert_eq!(subject.as_deref(), Some("s"));
    }

    /// Chunks of any sizes, a line's worth split over several, small
    /// chunks between large ones, empty ones: the lines of the whole.
    #[test]
    fn chunks_of_any_size_make_the_lines_of_the_whole() {
        let data: Vec<u8> = (0..2_000u32).map(|k| (k * 13 % 256) as u8).collect();
        let whole = base64_lines(&data);
        for sizes in [
            vec![2_000],
            vec![1, 1, 1, 1_997],
            vec![56, 1, 57, 0, 58, 1_828],
            vec![10, 20, 30, 40, 1_900],
            vec![57; 35].into_iter().chain([5]).collect(),
        ] {
            assert_eq!(sizes.iter().sum::<usize>(), 2_000);
            let mut at = 0;
            let chunks = sizes.iter().map(|&n| {
                at += n;
                Ok(std::borrow::Cow::Borrowed(&data[at - n..at]))
            });
            let mut got = Vec::new();
            base64_chunks(chunks, &mut got, Path::new("x"), false).unwrap();
            assert_eq!(got, whole, "{sizes:?}");
        }
    }
}
