//! Splits an extract into records and fields as the `csv` crate reads them (commas; a field in
//! double quotes, with `""` for a quote inside it; a record ends at `\n`, `\r` or `\r\n`; empty
//! lines are skipped), reading the file in blocks of a few megabytes. A record without quotes,
//! as nearly every row of a register extract is, is split where it lies in the block, with no
//! copying; a record with quotes is unquoted into a buffer of its own.
//!
//! Most rows are read as [`Run`]s: many records at once, each without quotes, with the
//! header's number of fields and ending its line, found eight bytes at a time. Anything else
//! (a quote, an empty line, a short row, the end of a block) is left to [`Records::next_record`].

use std::io::{self, Read};

/// Bytes read at a time; a longer record grows the block.
const BLOCK: usize = 8 << 20;

pub struct Records<R> {
    input: R,
    block: Vec<u8>,
    /// The bytes read and not yet split are `block[start..end]`.
    start: usize,
    end: usize,
    at_eof: bool,
    /// The line the next record starts on (1 for the first), counting `\n`s.
    line: usize,
    /// The fields of a record with quotes, unquoted.
    unquoted: Vec<u8>,
    /// The current record's fields, as ranges of its bytes.
    fields: Vec<(usize, usize)>,
    /// The field offsets of the current run.
    bounds: Vec<u32>,
    /// Set by the quote-aware split: line ends before an opening quote that met the end of
    /// the file.
    unclosed_after: Option<usize>,
}

/// One record: its fields and the line it starts on.
pub struct Record<'a> {
    pub line: usize,
    /// Line ends inside its quoted fields: the record spans `1 + newlines` lines.
    pub newlines: usize,
    /// A quote that opened a field and never closed, running to the end of the file: the
    /// line it opened on and the file's last line.
    pub unclosed_quote: Option<(usize, usize)>,
    bytes: &'a [u8],
    fields: &'a [(usize, usize)],
}

impl Record<'_> {
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }

    pub fn get(&self, field: usize) -> Option<&[u8]> {
        let &(start, end) = self.fields.get(field)?;
        Some(&self.bytes[start..end])
    }
}

/// Consecutive records read at once, each with the same number of fields, no quotes and a
/// line end of its own: record `r` starts on line `first_line + r`.
pub struct Run<'a> {
    pub first_line: usize,
    pub rows: usize,
    width: usize,
    bytes: &'a [u8],
    /// `width + 1` offsets into `bytes` a record: where each field starts, then one past the
    /// record's end, as if a separator followed it.
    bounds: &'a [u32],
}

impl Run<'_> {
    pub fn field(&self, row: usize, field: usize) -> &[u8] {
        let at = row * (self.width + 1) + field;
        &self.bytes[self.bounds[at] as usize..self.bounds[at + 1] as usize - 1]
    }
}

/// What splitting the bytes at hand found.
enum Split {
    /// A record of this many bytes, ending with a terminator of `terminator` bytes (0 at the
    /// end of the file) and holding `newlines` line ends inside quotes.
    Record {
        length: usize,
        terminator: usize,
        newlines: usize,
    },
    /// The record goes on past the bytes read.
    Incomplete,
    /// The record has a quote: it needs the quote-aware split.
    Quoted,
}

/// Bytes that end a field or need the quote-aware split.
const SPECIAL: [bool; 256] = {
    let mut special = [false; 256];
    special[b',' as usize] = true;
    special[b'"' as usize] = true;
    special[b'\n' as usize] = true;
    special[b'\r' as usize] = true;
    special
};

impl<R: Read> Records<R> {
    /// The reader, with whatever it has not handed out yet.
    pub fn into_input(self) -> R {
        self.input
    }

    pub fn new(input: R) -> Records<R> {
        Records {
            input,
            block: Vec::new(),
            start: 0,
            end: 0,
            at_eof: false,
            line: 1,
            unquoted: Vec::new(),
            fields: Vec::new(),
            bounds: Vec::new(),
            unclosed_after: None,
        }
    }

    /// Up to `max_rows` records of `width` fields from the bytes at hand, none if the next
    /// record is not of that kind or not read whole yet: [`Records::next_record`] takes it.
    pub fn next_run(&mut self, width: usize, max_rows: usize) -> Run<'_> {
        let available = (self.end - self.start).min(u32::MAX as usize - 1);
        let bytes = &self.block[self.start..self.start + available];
        let (rows, length) = split_run(bytes, width, max_rows, &mut self.bounds);
        let first_line = self.line;
        self.line += rows;
        self.start += length;
        Run {
            first_line,
            rows,
            width,
            bytes,
            bounds: &self.bounds,
        }
    }

    /// The next record, or `None` at the end of the file.
    pub fn next_record(&mut self) -> io::Result<Option<Record<'_>>> {
        if !self.skip_empty_lines()? {
            return Ok(None);
        }
        let mut quoted = false;
        self.unclosed_after = None;
        let (length, terminator, newlines) = loop {
            let split = if quoted {
                self.split_quoted()
            } else {
                self.split_in_place()
            };
            match split {
                Split::Record {
                    length,
                    terminator,
                    newlines,
                } => {
                    // Whether `\r` is followed by `\n` may be in the next block.
                    let cr_at_end = terminator == 1
                        && self.block[self.start + length] == b'\r'
                        && self.start + length + 1 == self.end
                        && !self.at_eof;
                    if cr_at_end {
                        self.fill()?;
                        continue;
                    }
                    let crlf = terminator == 1
                        && self.block[self.start + length] == b'\r'
                        && self.block.get(self.start + length + 1) == Some(&b'\n')
                        && self.start + length + 1 < self.end;
                    break (length, if crlf { 2 } else { terminator }, newlines);
                }
                Split::Quoted => quoted = true,
                Split::Incomplete => {
                    self.fill()?;
                }
            }
        };
        let first = self.start;
        let ends_line = terminator > 0 && self.block[first + length + terminator - 1] == b'\n';
        let line = self.line;
        self.line += newlines + usize::from(ends_line);
        self.start += length + terminator;
        let bytes = if quoted {
            &self.unquoted[..]
        } else {
            &self.block[first..first + length]
        };
        Ok(Some(Record {
            line,
            newlines,
            unclosed_quote: self.unclosed_after.map(|n| {
                let ends_line = matches!(bytes.last(), Some(b'\n' | b'\r'));
                (line + n, line + newlines - usize::from(ends_line))
            }),
            bytes,
            fields: &self.fields,
        }))
    }

    /// Skips line ends before a record; false at the end of the file.
    fn skip_empty_lines(&mut self) -> io::Result<bool> {
        loop {
            if self.start == self.end {
                if self.at_eof {
                    return Ok(false);
                }
                self.fill()?;
                continue;
            }
            match self.block[self.start] {
                b'\n' => {
                    self.line += 1;
                    self.start += 1;
                }
                b'\r' => self.start += 1,
                _ => return Ok(true),
            }
        }
    }

    /// Splits a record without quotes where it lies.
    fn split_in_place(&mut self) -> Split {
        let bytes = &self.block[self.start..self.end];
        self.fields.clear();
        let mut field_start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if !SPECIAL[b as usize] {
                continue;
            }
            match b {
                b',' => {
                    self.fields.push((field_start, i));
                    field_start = i + 1;
                }
                b'"' => return Split::Quoted,
                _ => {
                    self.fields.push((field_start, i));
                    return Split::Record {
                        length: i,
                        terminator: 1,
                        newlines: 0,
                    };
                }
            }
        }
        if self.at_eof {
            self.fields.push((field_start, bytes.len()));
            Split::Record {
                length: bytes.len(),
                terminator: 0,
                newlines: 0,
            }
        } else {
            Split::Incomplete
        }
    }

    /// Splits a record with quotes into `unquoted`. A quote opens a quoted field only at the
    /// field's start; in it, `""` is a quote; after its closing quote, the field goes on
    /// unquoted to the next comma or line end; a quote elsewhere is an ordinary character.
    fn split_quoted(&mut self) -> Split {
        let bytes = &self.block[self.start..self.end];
        let at_eof = self.at_eof;
        let out = &mut self.unquoted;
        out.clear();
        self.fields.clear();
        let mut newlines = 0;
        let mut i = 0;
        let mut field_start = 0;
        loop {
            if bytes.get(i) == Some(&b'"') {
                i += 1;
                let opened_after = newlines;
                loop {
                    match bytes.get(i) {
                        None if at_eof => {
                            self.unclosed_after = Some(opened_after);
                            break;
                        }
                        None => return Split::Incomplete,
                        Some(b'"') => match bytes.get(i + 1) {
                            Some(b'"') => {
                                out.push(b'"');
                                i += 2;
                            }
                            None if !at_eof => return Split::Incomplete,
                            _ => {
                                i += 1;
                                break;
                            }
                        },
                        Some(&b) => {
                            newlines += usize::from(b == b'\n');
                            out.push(b);
                            i += 1;
                        }
                    }
                }
            }
            loop {
                match bytes.get(i) {
                    None if at_eof => {
                        self.fields.push((field_start, out.len()));
                        return Split::Record {
                            length: i,
                            terminator: 0,
                            newlines,
                        };
                    }
                    None => return Split::Incomplete,
                    Some(b',') => {
                        self.fields.push((field_start, out.len()));
                        field_start = out.len();
                        i += 1;
                        break;
                    }
                    Some(b'\n' | b'\r') => {
                        self.fields.push((field_start, out.len()));
                        return Split::Record {
                            length: i,
                            terminator: 1,
                            newlines,
                        };
                    }
                    Some(&b) => {
                        out.push(b);
                        i += 1;
                    }
                }
            }
        }
    }

    /// Reads more of the file after the bytes not yet split, growing the block when they
    /// fill it.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.block.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.block.len() {
            let grown = (self.block.len() * 2).max(BLOCK);
            self.block.resize(grown, 0);
        }
        loop {
            match self.input.read(&mut self.block[self.end..]) {
                Ok(0) => {
                    self.at_eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` below `limit` (at most 128): the bytes that may be
/// special, every special byte being below `,`+1.
fn bytes_below(word: u64, limit: u8) -> u64 {
    // Adding 128 - limit to a byte's low seven bits sets its high bit when they are at least
    // `limit`, with no carry into the next byte.
    let at_least = (word & !HIGH).wrapping_add(ONES * u64::from(128 - limit));
    !(at_least | word) & HIGH
}

/// Splits whole records of `width` fields without quotes from the start of `bytes`, at most
/// `max_rows`: the records found and the bytes they take, terminators included; `bounds`
/// gets `width + 1` offsets a record (see [`Run`]).
fn split_run(bytes: &[u8], width: usize, max_rows: usize, bounds: &mut Vec<u32>) -> (usize, usize) {
    bounds.clear();
    if width == 0 || max_rows == 0 {
        return (0, 0);
    }
    let mut rows = 0;
    let mut row_start = 0;
    let mut separators = 0;
    bounds.push(0);
    let mut offset = 0;
    'scan: while offset < bytes.len() {
        let word = match bytes.get(offset..offset + 8) {
            Some(word) => u64::from_le_bytes(word.try_into().expect("eight bytes")),
            None => {
                // The last few bytes, padded with a byte that is not special.
                let mut word = [b'x'; 8];
                word[..bytes.len() - offset].copy_from_slice(&bytes[offset..]);
                u64::from_le_bytes(word)
            }
        };
        let mut candidates = bytes_below(word, b',' + 1);
        while candidates != 0 {
            let at = offset + (candidates.trailing_zeros() / 8) as usize;
            candidates &= candidates - 1;
            match bytes[at] {
                b',' => {
                    separators += 1;
                    if separators >= width {
                        break 'scan;
                    }
                    bounds.push(at as u32 + 1);
                }
                b'\n' if at < row_start => {} // the `\n` of a `\r\n` already taken
                end @ (b'\n' | b'\r') => {
                    let terminator = if end == b'\n' {
                        1
                    } else if bytes.get(at + 1) == Some(&b'\n') {
                        2
                    } else {
                        break 'scan;
                    };
                    if separators + 1 != width || at == row_start {
                        break 'scan;
                    }
                    bounds.push(at as u32 + 1);
                    rows += 1;
                    row_start = at + terminator;
                    separators = 0;
                    if rows == max_rows {
                        break 'scan;
                    }
                    bounds.push(row_start as u32);
                }
                b'"' => break 'scan,
                _ => {}
            }
        }
        offset += 8;
    }
    bounds.truncate(rows * (width + 1));
    (rows, row_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record's fields.
    type Fields = Vec<Vec<String>>;

    /// Reads every record the way `csv` does and the way `Records` does, reading the input a
    /// few bytes at a time so records straddle blocks.
    fn both(input: &str) -> (Fields, Fields) {
        let mut expected = Vec::new();
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(input.as_bytes());
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).expect("csv reads it") {
            let fields = record
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            expected.push(fields);
        }
        let mut actual = Vec::new();
        let mut records = Records::new(Trickle(input.as_bytes()));
        while let Some(r) = records.next_record().expect("reads") {
            let fields = (0..r.field_count())
                .map(|k| String::from_utf8_lossy(r.get(k).expect("a field")).into_owned())
                .collect();
            actual.push(fields);
        }
        (expected, actual)
    }

    /// A reader that gives at most three bytes a read.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(3).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn records_are_split_as_the_csv_crate_splits_them() {
        let inputs = [
            "a,b,c\n1,2,3\n",
            "a,b,c\n1,2,3",
            "a,,c\n,,\n\n\n4,5,6\n",
            "a,b\r\n1,2\r\n\r\n3,4\r\n",
            "a,b\r1,2\r3,4",
            "\n\na,b\n",
            "x,\"quoted, with comma\",y\n1,\"a \"\"quote\"\"\",3\n",
            "x,\"two\nlines\",y\nnext,row,here\n",
            "x,\"ab\"cd,y\n",
            "x,ab\"cd\",y\n",
            "x, \"a\",y\n",
            "\"unterminated,field\n",
            "x,\"\"\n",
            "\"\"\n",
            "",
            "single",
            "a,b\n\"c\"\r\n\"d\"\r",
            "ab,\"c\"\"\"\n",
        ];
        for input in inputs {
            let (expected, actual) = both(input);
            assert_eq!(actual, expected, "input {input:?}");
        }
    }

    /// Every record with its line, read by runs of `width` fields (at most `max_rows` at a
    /// time) where they can be, and record by record elsewhere.
    fn by_runs(
        input: &[u8],
        width: usize,
        max_rows: usize,
        trickle: bool,
    ) -> Vec<(usize, Vec<String>)> {
        let reader: Box<dyn Read + '_> = if trickle {
            Box::new(Trickle(input))
        } else {
            Box::new(input)
        };
        let mut records = Records::new(reader);
        let text = |f: &[u8]| String::from_utf8_lossy(f).into_owned();
        let mut read = Vec::new();
        loop {
            let run = records.next_run(width, max_rows);
            if run.rows > 0 {
                for row in 0..run.rows {
                    let fields = (0..width).map(|k| text(run.field(row, k))).collect();
                    read.push((run.first_line + row, fields));
                }
                continue;
            }
            let Some(r) = records.next_record().expect("reads") else {
                return read;
            };
            let fields = (0..r.field_count())
                .map(|k| text(r.get(k).expect("a field")))
                .collect();
            read.push((r.line, fields));
        }
    }

    #[test]
    fn runs_read_the_records_and_lines_that_single_records_do() {
        let inputs = [
            "a,b,c\n1,2,3\n4,5,6\n7,8,9",
            "a,,c\n,,\n\n\n4,5,6\n",
            "a,b\r\n1,2\r\n\r\n3,4\r\n5,6\r\n",
            "a,b\r1,2\r3,4\n5,6\n",
            "x,\"quoted, with comma\",y\n1,2,3\n1,\"a \"\"quote\"\"\",3\n4,5,6\n",
            "x,\"two\nlines\",y\nnext,row,here\nand,one,more\n",
            "a,b,c\n1,2\n1,2,3,4\n5,6,7\n\n8,9,10\n",
            "a\nb\n\nc\n",
            "naïve,ünïcode,ok\n1,2,3\n",
            "",
            "\n\n",
        ];
        for input in inputs {
            let expected = by_runs(input.as_bytes(), 0, 0, false);
            for width in 1..=4 {
                for max_rows in [1, 3, 1024] {
                    for trickle in [false, true] {
                        let actual = by_runs(input.as_bytes(), width, max_rows, trickle);
                        assert_eq!(actual, expected, "{input:?} width {width} by {max_rows}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_long_extract_is_read_in_runs_across_blocks() {
        let mut input = String::from("person,date,code\n");
        for k in 0..400_000 {
            input.push_str(&format!("{k},2023-01-{:02},C{}\n", k % 28 + 1, k % 7));
        }
        let read = by_runs(input.as_bytes(), 3, 1024, false);
        assert_eq!(read.len(), 400_001);
        assert_eq!(read, by_runs(input.as_bytes(), 0, 0, false));
        assert_eq!(read[400_000].0, 400_001);
        assert_eq!(read[400_000].1, ["399999", "2023-01-20", "C5"]);
    }

    /// Lines are the file's own: `csv` does not count the empty lines it skips, which would
    /// send a reader of an error message to the wrong line.
    #[test]
    fn a_record_s_line_is_where_it_starts_in_the_file() {
        let lines = |input: &str| {
            let mut records = Records::new(Trickle(input.as_bytes()));
            let mut lines = Vec::new();
            while let Some(r) = records.next_record().expect("reads") {
                lines.push(r.line);
            }
            lines
        };
        assert_eq!(lines("a,,c\n,,\n\n\n4,5,6\n"), vec![1, 2, 5]);
        assert_eq!(lines("a,b\r\n1,2\r\n\r\n3,4\r\n"), vec![1, 2, 4]);
        assert_eq!(lines("x,\"two\nlines\",y\nnext,row\n"), vec![1, 3]);
        assert_eq!(lines("\n\na,b\n"), vec![3]);
    }

    #[test]
    fn a_record_longer_than_a_block_is_read_whole() {
        let long = "x".repeat(BLOCK + 10);
        let input = format!("a,b\n{long},1\n2,3\n");
        let mut records = Records::new(input.as_bytes());
        records.next_record().expect("reads");
        let r = records.next_record().expect("reads").expect("a record");
        assert_eq!(r.line, 2);
        assert_eq!(r.get(0).map(<[u8]>::len), Some(BLOCK + 10));
        assert_eq!(r.get(1), Some(&b"1"[..]));
        let r = records.next_record().expect("reads").expect("a record");
        assert_eq!((r.line, r.get(0)), (3, Some(&b"2"[..])));
        assert!(records.next_record().expect("reads").is_none());
    }
}
