//! HTML and plain text kept inside RTF bodies ([MS-OXRTFEX]).
//!
//! Outlook often stores an HTML or plain-text message only as RTF: the
//! original is encapsulated (`\fromhtml1` or `\fromtext` in the RTF
//! header) and `PidTagHtml` or `PidTagBody` is left out or blank. The
//! original comes back from the RTF: HTML markup sits in `{\*\htmltagN …}`
//! groups, text between them is the document's text, and anything between
//! `\htmlrtf` and `\htmlrtf0` exists only for RTF readers and is dropped.
//!
//! The reader is a single linear pass over the bytes: its output is at
//! most three times as long as its input (a byte in a code page can become
//! three in UTF-8), nesting deeper than [`MAX_DEPTH`] is not
//! followed, and damaged RTF (unbalanced groups, a cut `\bin`) yields what
//! could be read instead of an error.

use crate::codepage::encoding_for_codepage;
use encoding_rs::{Encoding, WINDOWS_1252};

/// Groups nested deeper than this are read as text-free: real bodies nest
/// a few dozen levels, and the state of each level is kept.
pub const MAX_DEPTH: usize = 256;

/// Which original an RTF body encapsulates, with that original recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encapsulated {
    /// `\fromhtml1`: the HTML body.
    Html(String),
    /// `\fromtext`: the plain-text body.
    Text(String),
}

/// What an RTF header declares it encapsulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncapsulationKind {
    /// `\fromhtml1`.
    Html,
    /// `\fromtext`.
    Text,
}

/// The encapsulated original of `rtf`, or `None` when the RTF is native
/// (written by an RTF editor, not converted from HTML or text).
pub fn deencapsulate(rtf: &[u8]) -> Option<Encapsulated> {
    let kind = encapsulation(rtf)?;
    let text = Reader::new(rtf, kind).run();
    Some(match kind {
        EncapsulationKind::Html => Encapsulated::Html(text),
        EncapsulationKind::Text => Encapsulated::Text(text),
    })
}

/// Whether `rtf` encapsulates HTML or text. [MS-OXRTFEX] 2.1.3.1: the
/// `\fromhtml1` or `\fromtext` control word must come within the first ten
/// tokens, before any text.
pub fn encapsulation(rtf: &[u8]) -> Option<EncapsulationKind> {
    let mut tokens = Tokens::new(rtf);
    for _ in 0..10 {
        match tokens.next()? {
            Token::Word {
                name: b"fromhtml",
                param,
            } if param != Some(0) => return Some(EncapsulationKind::Html),
            Token::Word {
                name: b"fromtext", ..
            } => return Some(EncapsulationKind::Text),
            Token::Text(t) if !t.iter().all(u8::is_ascii_whitespace) => return None,
            _ => {}
        }
    }
    None
}

/// One RTF token. Carriage returns and line feeds outside `\bin` data are
/// not text in RTF and are dropped by the tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    /// A control word and its numeric parameter.
    Word {
        name: &'a [u8],
        param: Option<i32>,
    },
    /// A control symbol (`\{`, `\~`, `\*`…); a backslash before a line
    /// break arrives as `\n`.
    Symbol(u8),
    /// `\'hh`: one byte in the current code page.
    Hex(u8),
    /// A run of plain text bytes.
    Text(&'a [u8]),
    /// The data of `\binN`.
    Bin(&'a [u8]),
}

struct Tokens<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(data: &'a [u8]) -> Self {
        Tokens { data, pos: 0 }
    }

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            let b = *self.data.get(self.pos)?;
            match b {
                b'{' => {
                    self.pos += 1;
                    return Some(Token::Open);
                }
                b'}' => {
                    self.pos += 1;
                    return Some(Token::Close);
                }
                b'\r' | b'\n' => self.pos += 1,
                b'\\' => return Some(self.control()),
                _ => {
                    let start = self.pos;
                    let len = self.data[start..]
                        .iter()
                        .position(|b| matches!(b, b'{' | b'}' | b'\\' | b'\r' | b'\n'))
                        .unwrap_or(self.data.len() - start);
                    self.pos += len;
                    return Some(Token::Text(&self.data[start..start + len]));
                }
            }
        }
    }

    /// The control word or symbol at the backslash at `pos`.
    fn control(&mut self) -> Token<'a> {
        let rest = &self.data[self.pos + 1..];
        let Some(&first) = rest.first() else {
            self.pos += 1;
            return Token::Symbol(b'\\');
        };
        if !first.is_ascii_alphabetic() {
            if first == b'\'' {
                let hex = |i: usize| rest.get(i).and_then(|&c| (c as char).to_digit(16));
                if let (Some(h), Some(l)) = (hex(1), hex(2)) {
                    self.pos += 4;
                    return Token::Hex((h * 16 + l) as u8);
                }
            }
            self.pos += 2;
            return Token::Symbol(if first == b'\r' { b'\n' } else { first });
        }
        // RTF limits a name to 32 letters and a parameter to 10 digits;
        // longer runs are cut there rather than read without end.
        let name_len = rest
            .iter()
            .take(32)
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let name = &rest[..name_len];
        let mut i = name_len;
        let negative =
            rest.get(i) == Some(&b'-') && rest.get(i + 1).is_some_and(u8::is_ascii_digit);
        if negative {
            i += 1;
        }
        let digits = rest[i..]
            .iter()
            .take(10)
            .take_while(|b| b.is_ascii_digit())
            .count();
        let param = (digits > 0).then(|| {
            let v = rest[i..i + digits]
                .iter()
                .fold(0i64, |v, &d| v * 10 + i64::from(d - b'0'));
            let v = if negative { -v } else { v };
            v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
        });
        i += digits;
        // One space ends a control word and belongs to it.
        if rest.get(i) == Some(&b' ') {
            i += 1;
        }
        self.pos += 1 + i;
        if name == b"bin" {
            let len = usize::try_from(param.unwrap_or(0)).unwrap_or(0);
            let len = len.min(self.data.len() - self.pos);
            let bin = &self.data[self.pos..self.pos + len];
            self.pos += len;
            return Token::Bin(bin);
        }
        Token::Word { name, param }
    }
}

/// What applies inside one group; a group's end restores its parent's.
#[derive(Debug, Clone, Copy)]
struct Group {
    /// Nothing in this group is part of the original.
    hidden: bool,
    /// Inside `{\*\htmltag}`: HTML markup.
    htmltag: bool,
    /// Between `\htmlrtf` and `\htmlrtf0`: RTF-only content.
    htmlrtf: bool,
    /// Inside the font table: `\fN` defines a font rather than selects one.
    fonttbl: bool,
    /// `\ucN`: fallback characters written after each `\uN`.
    uc: u32,
    /// The selected font (`\fN`).
    font: Option<i32>,
}

struct Reader<'a> {
    tokens: Tokens<'a>,
    kind: EncapsulationKind,
    out: String,
    /// Bytes from `\'hh` and text not yet decoded, and their code page.
    bytes: Vec<u8>,
    bytes_cp: u32,
    /// UTF-16 units from `\uN` not yet decoded (a surrogate pair comes as two).
    units: Vec<u16>,
    /// Fallback characters still to skip after a `\uN`.
    skip: u32,
    /// The document's code page (`\ansicpgN`).
    ansicpg: u32,
    /// Font number → code page, from the font table.
    fonts: Vec<(i32, u32)>,
    /// The font being defined in the font table.
    defining: Option<i32>,
    stack: Vec<Group>,
    group: Group,
    /// The group just opened has had no token yet (a destination word may
    /// follow), or only `\*`.
    at_open: bool,
    starred: bool,
    /// Groups opened beyond [`MAX_DEPTH`], not followed.
    overflow: usize,
}

impl<'a> Reader<'a> {
    fn new(rtf: &'a [u8], kind: EncapsulationKind) -> Self {
        Reader {
            tokens: Tokens::new(rtf),
            kind,
            out: String::with_capacity(rtf.len() / 2),
            bytes: Vec::new(),
            bytes_cp: 1252,
            units: Vec::new(),
            skip: 0,
            ansicpg: 1252,
            fonts: Vec::new(),
            defining: None,
            stack: Vec::new(),
            group: Group {
                hidden: false,
                htmltag: false,
                htmlrtf: false,
                fonttbl: false,
                uc: 1,
                font: None,
            },
            at_open: false,
            starred: false,
            overflow: 0,
        }
    }

    fn run(mut self) -> String {
        while let Some(token) = self.tokens.next() {
            let (at_open, starred) = (self.at_open, self.starred);
            self.at_open = false;
            self.starred = false;
            match token {
                Token::Open => {
                    self.skip = 0;
                    if self.stack.len() >= MAX_DEPTH {
                        self.overflow += 1;
                    } else {
                        self.stack.push(self.group);
                        self.at_open = true;
                    }
                }
                Token::Close => {
                    self.skip = 0;
                    if self.overflow > 0 {
                        self.overflow -= 1;
                    } else if let Some(parent) = self.stack.pop() {
                        self.group = parent;
                        if self.stack.is_empty() {
                            // The document's group has ended.
                            break;
                        }
                    }
                }
                _ if self.overflow > 0 => {}
                Token::Symbol(b'*') if at_open => {
                    self.at_open = true;
                    self.starred = true;
                }
                Token::Word { name, param } => {
                    if at_open {
                        self.destination(name, starred);
                    }
                    self.word(name, param);
                }
                Token::Symbol(s) => {
                    if self.skipped() {
                        continue;
                    }
                    match s {
                        b'\\' | b'{' | b'}' => {
                            self.push_str(char::from(s).encode_utf8(&mut [0; 4]))
                        }
                        b'~' => self.push_str("\u{a0}"),
                        b'_' => self.push_str("\u{2011}"),
                        b'\n' => self.push_str("\r\n"),
                        _ => {}
                    }
                }
                Token::Hex(b) => {
                    if !self.skipped() && self.visible() {
                        let cp = self.codepage();
                        self.push_byte(b, cp);
                    }
                }
                Token::Text(mut t) => {
                    let n = t.len().min(self.skip as usize);
                    self.skip -= n as u32;
                    t = &t[n..];
                    if self.group.fonttbl {
                        // A font's name ends with ';': the next entry follows.
                        if t.contains(&b';') {
                            self.defining = None;
                        }
                    } else if self.visible() && !t.is_empty() {
                        if t.is_ascii() {
                            self.flush();
                            // ASCII is valid UTF-8.
                            self.out
                                .push_str(std::str::from_utf8(t).unwrap_or_default());
                        } else {
                            let cp = self.codepage();
                            for &b in t {
                                self.push_byte(b, cp);
                            }
                        }
                    }
                }
                Token::Bin(_) => self.skip = 0,
            }
        }
        self.flush();
        self.out
    }

    /// A destination word right after `{` or `{\*`: what the group holds.
    fn destination(&mut self, name: &[u8], starred: bool) {
        let g = &mut self.group;
        match name {
            b"htmltag" if starred => {
                g.htmltag = true;
                g.hidden = false;
            }
            b"fonttbl" => {
                g.fonttbl = true;
                g.hidden = true;
            }
            // Tables, metadata, pictures and field codes: never the text.
            b"colortbl" | b"stylesheet" | b"listtable" | b"listoverridetable" | b"info"
            | b"pict" | b"object" | b"fldinst" | b"pntext" | b"pntxta" | b"pntxtb" | b"header"
            | b"footer" | b"revtbl" | b"rsidtbl" | b"generator"
                if !g.htmltag =>
            {
                g.hidden = true
            }
            // [MS-OXRTFEX]: an ignorable destination outside an HTML tag
            // (`\*\mhtmltag` among them) is not part of the original.
            _ if starred && !g.htmltag => g.hidden = true,
            _ => {}
        }
    }

    fn word(&mut self, name: &[u8], param: Option<i32>) {
        let number = param.and_then(|p| u32::try_from(p).ok());
        match name {
            b"htmlrtf" => self.group.htmlrtf = param != Some(0),
            b"ansicpg" => self.ansicpg = number.unwrap_or(self.ansicpg),
            b"uc" => self.group.uc = number.unwrap_or(1).min(8),
            b"f" if self.group.fonttbl => self.defining = param,
            b"f" => self.group.font = param,
            // `\cpg` wins over `\fcharset` when a font has both.
            b"cpg" if self.group.fonttbl => self.font_codepage(number, true),
            b"fcharset" if self.group.fonttbl => {
                self.font_codepage(param.and_then(charset_codepage), false)
            }
            b"u" => {
                if let Some(p) = param {
                    if self.visible() {
                        // Negative values stand for the upper half of UTF-16.
                        self.flush_bytes();
                        self.units.push(p as i16 as u16);
                    }
                    self.skip = self.group.uc;
                }
            }
            // Any other word counts as one fallback character of a `\uN`.
            _ if self.skipped() => {}
            b"mac" => self.ansicpg = 10000,
            b"pc" => self.ansicpg = 437,
            b"pca" => self.ansicpg = 850,
            _ => {
                if let Some(s) = word_text(name) {
                    self.push_str(s);
                }
            }
        }
    }

    /// Records the code page of the font being defined in the font table.
    fn font_codepage(&mut self, cp: Option<u32>, overrides: bool) {
        let (Some(font), Some(cp)) = (self.defining, cp) else {
            return;
        };
        match self.fonts.iter().position(|&(f, _)| f == font) {
            Some(i) if overrides => self.fonts[i].1 = cp,
            Some(_) => {}
            None if self.fonts.len() < 4096 => self.fonts.push((font, cp)),
            None => {}
        }
    }

    /// Whether the current token is a fallback character of a `\uN`; it
    /// is counted off either way.
    fn skipped(&mut self) -> bool {
        if self.skip > 0 {
            self.skip -= 1;
            true
        } else {
            false
        }
    }

    /// Whether text here belongs to the original.
    fn visible(&self) -> bool {
        let g = &self.group;
        !(g.htmlrtf || g.hidden || g.fonttbl)
            && (self.kind == EncapsulationKind::Html || !g.htmltag)
    }

    /// The code page of `\'hh` here: the document's inside HTML markup,
    /// the selected font's elsewhere.
    fn codepage(&self) -> u32 {
        if self.group.htmltag {
            return self.ansicpg;
        }
        self.group
            .font
            .and_then(|f| self.fonts.iter().find(|(n, _)| *n == f))
            .map_or(self.ansicpg, |&(_, cp)| cp)
    }

    fn push_str(&mut self, s: &str) {
        if self.visible() {
            self.flush();
            self.out.push_str(s);
        }
    }

    fn push_byte(&mut self, b: u8, cp: u32) {
        self.flush_units();
        if !self.bytes.is_empty() && self.bytes_cp != cp {
            self.flush_bytes();
        }
        self.bytes_cp = cp;
        self.bytes.push(b);
    }

    fn flush(&mut self) {
        self.flush_bytes();
        self.flush_units();
    }

    fn flush_bytes(&mut self) {
        if self.bytes.is_empty() {
            return;
        }
        let enc: &'static Encoding = encoding_for_codepage(self.bytes_cp).unwrap_or(WINDOWS_1252);
        let (s, _) = enc.decode_without_bom_handling(&self.bytes);
        self.out.push_str(&s);
        self.bytes.clear();
    }

    fn flush_units(&mut self) {
        if self.units.is_empty() {
            return;
        }
        self.out
            .extend(char::decode_utf16(self.units.drain(..)).map(|c| c.unwrap_or('\u{fffd}')));
    }
}

/// The text a control word stands for in the original.
fn word_text(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"par" | b"line" => "\r\n",
        b"tab" => "\t",
        b"lquote" => "\u{2018}",
        b"rquote" => "\u{2019}",
        b"ldblquote" => "\u{201c}",
        b"rdblquote" => "\u{201d}",
        b"bullet" => "\u{2022}",
        b"endash" => "\u{2013}",
        b"emdash" => "\u{2014}",
        b"enspace" => "\u{2002}",
        b"emspace" => "\u{2003}",
        _ => return None,
    })
}

/// The Windows code page of an RTF `\fcharsetN`; `None` for the default
/// charset (1), which leaves the document's code page in force.
fn charset_codepage(charset: i32) -> Option<u32> {
    Some(match charset {
        0 | 2 => 1252, // ANSI; symbol fonts are read as ANSI
        77 => 10000,
        128 => 932,
        129 => 949,
        130 => 1361,
        134 => 936,
        136 => 950,
        161 => 1253,
        162 => 1254,
        163 => 1258,
        177 => 1255,
        178 => 1256,
        186 => 1257,
        204 => 1251,
        222 => 874,
        238 => 1250,
        254 => 437,
        255 => 850,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(rtf: &str) -> String {
        match deencapsulate(rtf.as_bytes()) {
            Some(Encapsulated::Html(h)) => h,
            other => panic!("not HTML: {other:?}"),
        }
    }

    #[test]
    fn native_rtf_is_not_encapsulated() {
        assert_eq!(deencapsulate(b"{\\rtf1\\ansi\\deff0 Hello\\par}"), None);
        // The marker must come before any text.
        assert_eq!(deencapsulate(b"{\\rtf1 Hello \\fromhtml1 there}"), None);
        assert_eq!(deencapsulate(b""), None);
        assert_eq!(deencapsulate(b"not rtf at all"), None);
    }

    #[test]
    fn html_comes_from_tags_and_the_text_between_them() {
        let rtf = "{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0{\\fonttbl\r\n\
            {\\f0\\fswiss Arial;}{\\f1\\fmodern Courier New;}}\r\n\
            {\\colortbl\\red0\\green0\\blue0;}\r\n\
            {\\*\\htmltag19 <html>}{\\*\\htmltag34 <head>}\
            {\\*\\htmltag241 <style>\\par p \\{ color: red \\}\\par </style>}\
            {\\*\\htmltag50 <body>}\\htmlrtf {\\htmlrtf0 \r\n\
            {\\*\\htmltag64 <p>}\\htmlrtf {\\htmlrtf0 Caf\\'e9 {\\*\\htmltag84 <b>}bold\
            {\\*\\htmltag92 </b>}\\htmlrtf\\par\\htmlrtf0 \
            {\\*\\htmltag84 <a href=\"http://x\">}{\\*\\mhtmltag84 <a href=\"cid:y\">}link\
            {\\*\\htmltag92 </a>}\\htmlrtf }\\htmlrtf0 {\\*\\htmltag72 </p>}}}";
        assert_eq!(
            html(rtf),
            "<html><head><style>\r\np { color: red }\r\n</style><body><p>Café <b>bold</b>\
             <a href=\"http://x\">link</a></p>"
        );
    }

    #[test]
    fn unicode_escapes_skip_their_fallback() {
        let rtf = "{\\rtf1\\ansi\\fromhtml1 {\\*\\htmltag64 <p>}\
            \\u8364\\'80 \\uc2\\u20320??x\\uc0\\u-10179\\u-8704 {\\*\\htmltag72 </p>}}";
        assert_eq!(html(rtf), "<p>€ 你x😀</p>");
    }

    #[test]
    fn hex_bytes_follow_the_font_code_page() {
        // Font 1 is Cyrillic; bytes in the HTML tags use the document's.
        let rtf = "{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 {\\fonttbl{\\f0\\fcharset0 Arial;}\
            {\\f1\\fcharset204 Arial Cyr;}{\\f2\\fcharset128 MS Gothic;}}\
            {\\*\\htmltag64 <p title=\"\\'e9\">}{\\f1 \\'cf\\'f0\\'e8}{\\f2 \\'82\\'a0}\\'e9}";
        assert_eq!(html(rtf), "<p title=\"é\">Приあé");
    }

    #[test]
    fn text_is_recovered_without_rtf_only_parts() {
        let rtf = b"{\\rtf1\\ansi\\ansicpg1252\\fromtext \\fbidis \\deff0\
            {\\fonttbl{\\f0\\fswiss Arial;}}{\\*\\generator Microsoft Exchange Server;}\r\n\
            {\\*\\formatConverter converted from text;}\r\n\
            \\viewkind5\\viewscale100{\\*\\bkmkstart BM_BEGIN}\\pard\\plain\\f0\\fs20 \
            Hello\\par\r\nsecond\\tab line \\{x\\}\\par\r\n}";
        assert_eq!(
            deencapsulate(rtf),
            Some(Encapsulated::Text("Hello\r\nsecond\tline {x}\r\n".into()))
        );
    }

    #[test]
    fn damaged_input_gives_what_could_be_read() {
        // Unclosed groups, a \bin longer than the data, a cut escape.
        let rtf = b"{\\rtf1\\fromhtml1 {\\*\\htmltag64 <p>}x{{{{\\bin99999 abc";
        assert_eq!(deencapsulate(rtf), Some(Encapsulated::Html("<p>x".into())));
        let rtf = b"{\\rtf1\\fromhtml1 a\\'4";
        assert_eq!(deencapsulate(rtf), Some(Encapsulated::Html("a4".into())));
        // Nesting far beyond MAX_DEPTH neither overflows nor loses the end.
        let mut deep = b"{\\rtf1\\fromhtml1 a".to_vec();
        deep.extend(std::iter::repeat_n(b'{', 100_000));
        deep.extend(std::iter::repeat_n(b'}', 100_000));
        deep.extend(b"b}c");
        assert_eq!(deencapsulate(&deep), Some(Encapsulated::Html("ab".into())));
    }

    proptest::proptest! {
        /// Any bytes: no panic, and never more output than input.
        #[test]
        fn output_is_bounded(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let mut rtf = b"{\\rtf1\\fromhtml1 ".to_vec();
            rtf.extend(&body);
            let Some(Encapsulated::Html(h)) = deencapsulate(&rtf) else {
                panic!("header lost");
            };
            proptest::prop_assert!(h.len() <= rtf.len() * 3);
        }
    }
}
