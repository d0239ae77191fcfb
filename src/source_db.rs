//! The rule files of one run, held in memory so that every later stage can point into them.

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceDb`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range in one rule file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.end == self.start
    }
}

#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (or as found under a directory they gave), for messages.
    pub path: PathBuf,
    pub text: String,
    /// Set when the file was not UTF-8: `text` is then the file decoded from the encoding it
    /// appears to be in, so that its place can be shown and the rest of it still checked.
    pub misencoding: Option<Misencoding>,
    line_starts: Vec<usize>,
}

/// A rule file that is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Misencoding {
    /// The encoding the bytes appear to be in.
    pub encoding: Encoding,
    /// The first byte that is not UTF-8.
    pub byte: u8,
    /// Where that byte's character starts in the decoded text.
    pub offset: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Latin1,
    Windows1252,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    /// The encoding's name, as a person would say it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Latin1 => "Latin-1 (ISO-8859-1)",
            Encoding::Windows1252 => "Windows-1252",
            Encoding::Utf16Le => "UTF-16 (little-endian)",
            Encoding::Utf16Be => "UTF-16 (big-endian)",
        }
    }

    /// The encoding's name for `iconv -f`.
    pub fn iconv_name(self) -> &'static str {
        match self {
            Encoding::Latin1 => "latin1",
            Encoding::Windows1252 => "cp1252",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
        }
    }
}

/// The characters of Windows-1252's bytes 0x80-0x9F (where Latin-1 has control characters);
/// the five bytes Windows-1252 leaves undefined read as Latin-1 does.
const WINDOWS_1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// A rule file's text from its bytes. UTF-8 is the language's encoding; other bytes are
/// decoded from the encoding they appear to be in (UTF-16 by its byte-order mark, else
/// Windows-1252 when it uses the bytes only that encoding prints, else Latin-1), never with
/// replacement characters, and the file is marked so that the checker refuses it at its first
/// foreign byte.
pub fn decode(bytes: &[u8]) -> (String, Option<Misencoding>) {
    // A UTF-8 byte-order mark, as some Windows editors write, is no part of the text.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first_bad = match std::str::from_utf8(bytes) {
        Ok(text) => return (text.to_string(), None),
        Err(e) => e.valid_up_to(),
    };
    let utf16 = match bytes {
        [0xFF, 0xFE, ..] => Some(Encoding::Utf16Le),
        [0xFE, 0xFF, ..] => Some(Encoding::Utf16Be),
        _ => None,
    };
    if let Some(encoding) = utf16 {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|pair| {
                let pair = [pair[0], pair.get(1).copied().unwrap_or(0)];
                match encoding {
                    Encoding::Utf16Le => u16::from_le_bytes(pair),
                    _ => u16::from_be_bytes(pair),
                }
            })
            .collect();
        let text = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        let problem = Misencoding {
            encoding,
            byte: bytes[0],
            offset: 0,
        };
        return (text, Some(problem));
    }
    let encoding = if bytes.iter().any(|b| (0x80..=0x9F).contains(b)) {
        Encoding::Windows1252
    } else {
        Encoding::Latin1
    };
    // Runs of valid UTF-8 are kept as they are (a file edited in two editors can hold both);
    // the other bytes are read one character each.
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        text.extend(chunk.invalid().iter().map(|&b| match b {
            0x80..=0x9F if encoding == Encoding::Windows1252 => {
                WINDOWS_1252_HIGH[usize::from(b - 0x80)]
            }
            _ => char::from(b),
        }));
    }
    let offset = first_bad;
    let problem = Misencoding {
        encoding,
        byte: bytes[first_bad],
        offset,
    };
    (text, Some(problem))
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path,
            text,
            misencoding: None,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let column = self.text[start..offset].chars().count() + 1;
        (line + 1, column)
    }
}

/// All rule files of a rule set.
#[derive(Debug, Default)]
pub struct SourceDb {
    files: Vec<SourceFile>,
}

impl SourceDb {
    pub fn new() -> SourceDb {
        SourceDb::default()
    }

    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::new(path.into(), text.into()));
        id
    }

    /// Adds a rule file as read from disk: UTF-8, or else decoded and marked (see [`decode`]).
    pub fn add_bytes(&mut self, path: impl Into<PathBuf>, bytes: &[u8]) -> FileId {
        let (text, misencoding) = decode(bytes);
        let id = self.add(path, text);
        self.files[id.0 as usize].misencoding = misencoding;
        id
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn text(&self, span: Span) -> &str {
        let text = &self.file(span.file).text;
        text.get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.file(id).path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_read_as_it_is() {
        assert_eq!(
            decode("title \"Ældre\"".as_bytes()),
            ("title \"Ældre\"".to_string(), None)
        );
    }

    #[test]
    fn a_utf8_byte_order_mark_is_no_part_of_the_text() {
        assert_eq!(
            decode(b"\xEF\xBB\xBFgoal g { title \"\xC3\x86ldre\" }"),
            ("goal g { title \"Ældre\" }".to_string(), None)
        );
    }

    #[test]
    fn latin1_is_decoded_and_marked_at_its_first_foreign_byte() {
        let (text, problem) = decode(b"title \"\xc6ldre p\xe5\"");
        assert_eq!(text, "title \"Ældre på\"");
        let problem = problem.unwrap();
        assert_eq!(problem.encoding, Encoding::Latin1);
        assert_eq!((problem.byte, problem.offset), (0xC6, 7));
        assert_eq!(&text[problem.offset..problem.offset + 2], "Æ");
    }

    #[test]
    fn windows_1252_is_told_by_the_bytes_only_it_prints() {
        // “Ældre” with Windows-1252's curly quotes (0x93, 0x94).
        let (text, problem) = decode(b"\xe6 \x93\xc6ldre\x94");
        assert_eq!(text, "æ “Ældre”");
        assert_eq!(problem.unwrap().encoding, Encoding::Windows1252);
    }

    #[test]
    fn valid_utf8_beside_foreign_bytes_is_kept() {
        let (text, problem) = decode(
            "æ = "
                .as_bytes()
                .iter()
                .chain(b"\xe6")
                .copied()
                .collect::<Vec<_>>()
                .as_slice(),
        );
        assert_eq!(text, "æ = æ");
        assert_eq!(problem.unwrap().offset, "æ = ".len());
    }

    #[test]
    fn utf16_is_told_by_its_byte_order_mark() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend("goal g".encode_utf16().flat_map(u16::to_le_bytes));
        let (text, problem) = decode(&bytes);
        assert_eq!(text, "goal g");
        assert_eq!(problem.unwrap().encoding, Encoding::Utf16Le);
    }
}
