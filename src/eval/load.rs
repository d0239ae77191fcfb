//! Reads register extracts by their declared schema: only the columns the rules use, each
//! value validated (dates, codes, categories, municipality codes). A bad row stops the run
//! with its file, line, column and value, or, when asked, is left out and counted.

use std::path::{Component, Path, PathBuf};

use super::error::{DataError, Exclusions};
use super::geography::Geography;
use super::records::{Record, Records, Run};
use super::value::{Interner, PersonIds, Value};
use crate::plan::{ColumnType, RowWindow, SourcePlan, checked_day};

pub const MISSING_DATE: i32 = i32::MIN;
pub const MISSING_SYM: u32 = u32::MAX;
pub const MISSING_BOOL: u8 = 2;

/// One column of an extract, stored by type. Missing values are sentinels: NaN for numbers,
/// `MISSING_DATE`, `MISSING_SYM` (also for persons and units), `MISSING_BOOL`.
#[derive(Debug, Clone)]
pub enum Column {
    Num(Vec<f64>),
    Date(Vec<i32>),
    Bool(Vec<u8>),
    Sym(Vec<u32>),
    Person(Vec<u32>),
    Unit(Vec<u32>),
}

impl Column {
    fn for_type(ty: &ColumnType) -> Column {
        match ty {
            ColumnType::Integer | ColumnType::Decimal => Column::Num(Vec::new()),
            ColumnType::Date => Column::Date(Vec::new()),
            ColumnType::Bool => Column::Bool(Vec::new()),
            ColumnType::Person => Column::Person(Vec::new()),
            ColumnType::Municipality | ColumnType::Unit => Column::Unit(Vec::new()),
            ColumnType::Id
            | ColumnType::Text
            | ColumnType::Category(_)
            | ColumnType::Code
            | ColumnType::Period => Column::Sym(Vec::new()),
        }
    }

    pub fn get(&self, row: usize) -> Value {
        match self {
            Column::Num(v) => num_value(v[row]),
            Column::Date(v) => date_value(v[row]),
            Column::Bool(v) => bool_value(v[row]),
            Column::Sym(v) => sym_value(v[row]),
            Column::Person(v) => person_value(v[row]),
            Column::Unit(v) => unit_value(v[row]),
        }
    }

    /// The values at `rows`, typed once for them all.
    pub fn gather(&self, rows: &[u32]) -> Vec<Value> {
        fn each<T: Copy>(v: &[T], rows: &[u32], value: impl Fn(T) -> Value) -> Vec<Value> {
            rows.iter().map(|&r| value(v[r as usize])).collect()
        }
        match self {
            Column::Num(v) => each(v, rows, num_value),
            Column::Date(v) => each(v, rows, date_value),
            Column::Bool(v) => each(v, rows, bool_value),
            Column::Sym(v) => each(v, rows, sym_value),
            Column::Person(v) => each(v, rows, person_value),
            Column::Unit(v) => each(v, rows, unit_value),
        }
    }

    /// A column for values of `value`'s type, starting with `missing` missing values; `None`
    /// for a value no column holds (a missing value, a duration, a number that is NaN, a
    /// value equal to its type's missing sentinel).
    pub fn for_value(value: Value, missing: usize) -> Option<Column> {
        let mut column = match value {
            Value::Num(_) => Column::Num(vec![f64::NAN; missing]),
            Value::Date(_) => Column::Date(vec![MISSING_DATE; missing]),
            Value::Bool(_) => Column::Bool(vec![MISSING_BOOL; missing]),
            Value::Sym(_) => Column::Sym(vec![MISSING_SYM; missing]),
            Value::Person(_) => Column::Person(vec![MISSING_SYM; missing]),
            Value::Unit(_) => Column::Unit(vec![MISSING_SYM; missing]),
            Value::Missing | Value::Duration(_) => return None,
        };
        column.push_value(value).then_some(column)
    }

    /// Adds `value`; false, adding nothing, when the column cannot hold it as it is.
    pub fn push_value(&mut self, value: Value) -> bool {
        match (self, value) {
            (Column::Num(v), Value::Num(x)) if !x.is_nan() => v.push(x),
            (Column::Num(v), Value::Missing) => v.push(f64::NAN),
            (Column::Date(v), Value::Date(d)) if d != MISSING_DATE => v.push(d),
            (Column::Date(v), Value::Missing) => v.push(MISSING_DATE),
            (Column::Bool(v), Value::Bool(b)) => v.push(u8::from(b)),
            (Column::Bool(v), Value::Missing) => v.push(MISSING_BOOL),
            (Column::Sym(v), Value::Sym(x))
            | (Column::Person(v), Value::Person(x))
            | (Column::Unit(v), Value::Unit(x))
                if x != MISSING_SYM =>
            {
                v.push(x)
            }
            (Column::Sym(v) | Column::Person(v) | Column::Unit(v), Value::Missing) => {
                v.push(MISSING_SYM)
            }
            _ => return false,
        }
        true
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Column::Num(v) => v.len(),
            Column::Date(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Sym(v) | Column::Person(v) | Column::Unit(v) => v.len(),
        }
    }

    fn truncate(&mut self, len: usize) {
        match self {
            Column::Num(v) => v.truncate(len),
            Column::Date(v) => v.truncate(len),
            Column::Bool(v) => v.truncate(len),
            Column::Sym(v) | Column::Person(v) | Column::Unit(v) => v.truncate(len),
        }
    }
}

// A stored value as a value: each type's missing sentinel is `Value::Missing`.
fn num_value(x: f64) -> Value {
    if x.is_nan() {
        Value::Missing
    } else {
        Value::Num(x)
    }
}

fn date_value(d: i32) -> Value {
    match d {
        MISSING_DATE => Value::Missing,
        d => Value::Date(d),
    }
}

fn bool_value(b: u8) -> Value {
    match b {
        MISSING_BOOL => Value::Missing,
        b => Value::Bool(b == 1),
    }
}

fn sym_value(s: u32) -> Value {
    match s {
        MISSING_SYM => Value::Missing,
        s => Value::Sym(s),
    }
}

fn person_value(p: u32) -> Value {
    match p {
        MISSING_SYM => Value::Missing,
        p => Value::Person(p),
    }
}

fn unit_value(u: u32) -> Value {
    match u {
        MISSING_SYM => Value::Missing,
        u => Value::Unit(u),
    }
}

/// An extract in memory: the used columns, by their index in the source declaration.
#[derive(Debug, Clone)]
pub struct Table {
    pub rows: usize,
    /// Rows outside the source's window of needed rows, left unread.
    pub unread: usize,
    pub columns: Vec<Option<Column>>,
    /// The file as shown in messages.
    pub file: String,
    /// Each row's line in the file, kept only for a source with constraints to check
    /// (`src/eval/validate.rs`), so that a violation can be located.
    pub lines: Vec<u32>,
    /// The SHA-256 of the extract's bytes, when the run hashes its inputs.
    pub sha256: Option<String>,
}

impl Table {
    /// Replaces the numbers of texts and persons by those of the run's interners
    /// (`symbols[local]`, `persons[local]`); missing values stay missing.
    pub fn renumber(&mut self, symbols: &[u32], persons: &[u32]) {
        for column in self.columns.iter_mut().flatten() {
            let (values, map) = match column {
                Column::Sym(v) => (v, symbols),
                Column::Person(v) => (v, persons),
                _ => continue,
            };
            for v in values.iter_mut() {
                if *v != MISSING_SYM {
                    *v = map[*v as usize];
                }
            }
        }
    }

    pub fn value(&self, column: usize, row: usize) -> Value {
        match &self.columns[column] {
            Some(c) => c.get(row),
            None => Value::Missing,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadRows {
    Stop,
    Skip,
}

/// The extract's path inside the data directory. A path that leaves it — absolute, with `..`,
/// or through a symbolic link pointing out — is refused, so a rule file can only read data.
pub fn resolve(data_dir: &Path, file: &str) -> Result<PathBuf, DataError> {
    let relative = Path::new(file);
    if file.is_empty()
        || relative.is_absolute()
        || relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(DataError::file(
            file,
            "the path must lie inside the data directory",
        ));
    }
    let joined = data_dir.join(relative);
    let base = data_dir.canonicalize().map_err(|e| {
        DataError::file(
            &data_dir.display().to_string(),
            format!("cannot open the data directory: {e}"),
        )
    })?;
    let real = joined.canonicalize().map_err(|e| {
        DataError::file(
            &joined.display().to_string(),
            format!("cannot open the extract: {e}"),
        )
    })?;
    if !real.starts_with(&base) {
        return Err(DataError::file(
            &joined.display().to_string(),
            "the file lies outside the data directory (through a symbolic link)",
        ));
    }
    Ok(joined)
}

/// Records read in a run of [`Records::next_run`] at a time, column by column.
const RUN_ROWS: usize = 1024;

/// An extract being read: where its used columns stand, their values so far and the state
/// of each column's reading.
struct Reading<'a> {
    source: &'a SourcePlan,
    file: &'a str,
    width: usize,
    positions: &'a [Option<usize>],
    categories: &'a [Option<Vec<u32>>],
    /// The used columns in the order they are read: the windows' columns first.
    order: Vec<usize>,
    /// The rows to keep, by date columns, when the run needs no others: those any window
    /// holds.
    windows: Vec<RowWindow>,
    columns: Vec<Option<Column>>,
    recent: Vec<Recent>,
    rows: usize,
    /// Rows outside every window, left unread.
    unread: usize,
    /// The rows of the current run inside a window.
    kept: Vec<u32>,
    /// Records after the header, whatever became of them.
    records: usize,
    /// Each row's line, when the source has constraints to check.
    lines: Option<Vec<u32>>,
    /// The header's names, for messages about a field that is not a used column.
    headers: &'a [Vec<u8>],
}

impl Reading<'_> {
    /// Whether a window holds the row just added at `row` of the windows' columns.
    fn needed(&self, row: usize) -> bool {
        self.windows.is_empty()
            || self.windows.iter().any(|w| match &self.columns[w.column] {
                Some(Column::Date(days)) => w.first_day <= days[row] && days[row] <= w.last_day,
                _ => true,
            })
    }

    /// Takes back the values added after the last whole row.
    fn undo(&mut self) {
        for column in self.columns.iter_mut().flatten() {
            column.truncate(self.rows);
        }
    }
}

pub struct Loader<'a> {
    pub geography: &'a Geography,
    pub symbols: &'a mut Interner,
    pub persons: &'a mut PersonIds,
    pub bad_rows: BadRows,
    /// Read every row, also those outside the source's window of needed rows.
    pub read_all_rows: bool,
    /// Accept an extract with a header and no rows whatever its source declares (the extracts
    /// `indikator test` writes for sources a test gives no rows).
    pub allow_empty: bool,
    pub exclusions: &'a mut Exclusions,
    /// Hash every byte of each extract as it is read (SHA-256), for the report's provenance.
    pub hash: bool,
}

/// A reader that hashes the bytes it hands on: the digest is of exactly the bytes the run
/// parsed, with no second read of the file (and no window in which it could change between
/// the two).
struct Hashing<R> {
    input: R,
    hasher: Option<sha2::Sha256>,
}

impl<R: std::io::Read> std::io::Read for Hashing<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.input.read(buffer)?;
        if let Some(hasher) = &mut self.hasher {
            sha2::Digest::update(hasher, &buffer[..n]);
        }
        Ok(n)
    }
}

impl<R: std::io::Read> Hashing<R> {
    /// The digest of every byte of the input, reading what the parser left unread first.
    fn finish(mut self) -> std::io::Result<Option<String>> {
        if self.hasher.is_none() {
            return Ok(None);
        }
        std::io::copy(&mut self, &mut std::io::sink())?;
        Ok(self.hasher.map(|h| {
            sha2::Digest::finalize(h)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        }))
    }
}

impl Loader<'_> {
    pub fn load(&mut self, source: &SourcePlan, data_dir: &Path) -> Result<Table, DataError> {
        let path = resolve(data_dir, &source.file)?;
        let file = path.display().to_string();
        let unreadable =
            |e: std::io::Error| DataError::file(&file, format!("cannot read the extract: {e}"));
        let mut records = Records::new(Hashing {
            input: std::fs::File::open(&path).map_err(unreadable)?,
            hasher: self.hash.then(<sha2::Sha256 as sha2::Digest>::new),
        });
        let headers: Vec<Vec<u8>> = match records.next_record().map_err(unreadable)? {
            Some(header) => (0..header.field_count())
                .map(|k| header.get(k).unwrap_or_default().to_vec())
                .collect(),
            None => Vec::new(),
        };
        check_header(&file, &headers)?;
        let width = headers.len();
        // Where each used column stands in the file.
        let mut positions: Vec<Option<usize>> = vec![None; source.columns.len()];
        for (k, (name, _)) in source.columns.iter().enumerate() {
            if !source.used[k] {
                continue;
            }
            let found = headers.iter().position(|h| trim_bom(h) == name.as_bytes());
            match found {
                Some(p) => positions[k] = Some(p),
                None => {
                    let mut e =
                        DataError::line(&file, 1, format!("the header has no column `{name}`"));
                    e.source = Some(source.name.clone());
                    return Err(e);
                }
            }
        }
        let columns: Vec<Option<Column>> = source
            .columns
            .iter()
            .zip(&positions)
            .map(|((_, ty), p)| p.map(|_| Column::for_type(ty)))
            .collect();
        // Category values are validated against the declaration, as symbols.
        let categories: Vec<Option<Vec<u32>>> = source
            .columns
            .iter()
            .map(|(_, ty)| match ty {
                ColumnType::Category(values) => {
                    Some(values.iter().map(|v| self.symbols.intern(v)).collect())
                }
                _ => None,
            })
            .collect();
        let readable = |w: &&RowWindow| {
            positions[w.column].is_some() && source.columns[w.column].1 == ColumnType::Date
        };
        let windows: Vec<RowWindow> =
            if self.read_all_rows || !source.windows.iter().all(|w| readable(&w)) {
                Vec::new()
            } else {
                source.windows.clone()
            };
        let mut order: Vec<usize> = windows.iter().map(|w| w.column).collect();
        order.extend(
            (0..positions.len())
                .filter(|&k| positions[k].is_some() && !windows.iter().any(|w| w.column == k)),
        );
        let mut reading = Reading {
            source,
            file: &file,
            width,
            positions: &positions,
            categories: &categories,
            order,
            windows,
            columns,
            recent: vec![Recent::default(); source.columns.len()],
            rows: 0,
            unread: 0,
            kept: Vec::new(),
            records: 0,
            lines: (!source.constraints.is_empty()).then(Vec::new),
            headers: &headers,
        };
        self.read_rows(&mut reading, &mut records, &unreadable)?;
        if reading.records == 0 && width > 0 && !source.may_be_empty && !self.allow_empty {
            let mut e = DataError::line(
                &file,
                1,
                "the extract has a header and no rows: every figure it feeds would be 0; if it \
                 may be empty, say `may be empty` in its source",
            );
            e.source = Some(source.name.clone());
            return Err(e);
        }
        let Reading {
            rows,
            unread,
            columns,
            lines,
            ..
        } = reading;
        let sha256 = records.into_input().finish().map_err(unreadable)?;
        Ok(Table {
            rows,
            unread,
            columns,
            file,
            lines: lines.unwrap_or_default(),
            sha256,
        })
    }

    fn read_rows<R: std::io::Read>(
        &mut self,
        reading: &mut Reading,
        records: &mut Records<R>,
        unreadable: &dyn Fn(std::io::Error) -> DataError,
    ) -> Result<(), DataError> {
        let width = reading.width;
        loop {
            let run = records.next_run(width, RUN_ROWS);
            reading.records += run.rows;
            if run.rows > 0 {
                if !self.push_run(reading, &run) {
                    // A bad value: the run again row by row, to report or leave out its rows
                    // as single rows are.
                    for row in 0..run.rows {
                        let fields = |k: usize| Some(run.field(row, k));
                        self.push_row(reading, run.first_line + row, width, &fields)?;
                    }
                }
                continue;
            }
            let Some(record) = records.next_record().map_err(unreadable)? else {
                break;
            };
            reading.records += 1;
            if let Some((line, last)) = record.unclosed_quote {
                // Skipping the record would skip the rest of the file with it.
                return Err(DataError::line(
                    reading.file,
                    line,
                    format!(
                        "a quote opens a field here and never closes: lines {line} to {last} \
                         would be read as one value; remove the stray `\"` or close it"
                    ),
                ));
            }
            if record.newlines > 0 && record.field_count() != width {
                return Err(DataError::line(
                    reading.file,
                    record.line,
                    format!(
                        "a quoted field runs over {} lines and the record has {} fields, the \
                         header {width}: a quote is probably not closed where it should be; \
                         every line of the record would be lost",
                        record.newlines + 1,
                        record.field_count()
                    ),
                ));
            }
            if record.newlines > 0 {
                check_line_ends(reading, &record)?;
            }
            let fields = |k: usize| record.get(k);
            self.push_row(reading, record.line, record.field_count(), &fields)?;
        }
        Ok(())
    }

    /// Adds one record's values, or reports it (stopping the run or leaving the record out).
    fn push_row<'f>(
        &mut self,
        reading: &mut Reading,
        line: usize,
        field_count: usize,
        fields: &dyn Fn(usize) -> Option<&'f [u8]>,
    ) -> Result<(), DataError> {
        let width = reading.width;
        if field_count != width {
            let error = DataError::line(
                reading.file,
                line,
                format!("the row has {field_count} fields, the header has {width}"),
            );
            return self.bad_row(error);
        }
        for (i, &k) in reading.order.iter().enumerate() {
            let Some(position) = reading.positions[k] else {
                continue;
            };
            let raw = fields(position).unwrap_or(b"");
            let (name, ty) = &reading.source.columns[k];
            let column = reading.columns[k]
                .as_mut()
                .expect("a used column has storage");
            let allowed = reading.categories[k].as_deref();
            if let Err(problem) = self.push(column, ty, allowed, &mut reading.recent[k], raw) {
                let not_utf8 = std::str::from_utf8(raw).is_err();
                let problem = if not_utf8 {
                    not_utf8_problem(raw)
                } else {
                    problem
                };
                let mut error = DataError::line(reading.file, line, problem);
                error.column = Some(name.clone());
                error.value = Some(String::from_utf8_lossy(raw).into_owned());
                error.source = Some(reading.source.name.clone());
                // Undo the values this row already added.
                reading.undo();
                if not_utf8 {
                    // The file's encoding, not a row: every text of the file would be bad.
                    return Err(error);
                }
                return self.bad_row(error);
            }
            if i + 1 == reading.windows.len() && !reading.needed(reading.rows) {
                reading.undo();
                reading.unread += 1;
                return Ok(());
            }
        }
        if let Some(lines) = &mut reading.lines {
            lines.push(line as u32);
        }
        reading.rows += 1;
        Ok(())
    }

    /// Adds a run's records column by column, the usual values read by a path of their own
    /// type; false, having added nothing, when a value is bad.
    fn push_run(&mut self, reading: &mut Reading, run: &Run) -> bool {
        let mut kept = std::mem::take(&mut reading.kept);
        kept.clear();
        let mut every_row = true;
        for (i, &k) in reading.order.iter().enumerate() {
            let Some(position) = reading.positions[k] else {
                continue;
            };
            let ty = &reading.source.columns[k].1;
            let allowed = reading.categories[k].as_deref();
            let recent = &mut reading.recent[k];
            let column = reading.columns[k]
                .as_mut()
                .expect("a used column has storage");
            let mut push = |row: usize| {
                let raw = run.field(row, position);
                self.push_usual(column, ty, allowed, recent, raw)
                    || self.push(column, ty, allowed, recent, raw).is_ok()
            };
            let pushed = if every_row {
                (0..run.rows).all(push)
            } else {
                kept.iter().all(|&row| push(row as usize))
            };
            if !pushed {
                reading.undo();
                reading.kept = kept;
                return false;
            }
            if i + 1 == reading.windows.len() {
                // The windows' columns are read first: the other columns are read only for the
                // rows dated inside a window.
                let first = reading.rows;
                kept.extend(
                    (0..run.rows as u32).filter(|&row| reading.needed(first + row as usize)),
                );
                if kept.len() < run.rows {
                    every_row = false;
                    for w in &reading.windows {
                        if let Some(Column::Date(days)) = &mut reading.columns[w.column] {
                            for (to, &row) in kept.iter().enumerate() {
                                days[first + to] = days[first + row as usize];
                            }
                            days.truncate(first + kept.len());
                        }
                    }
                }
            }
        }
        let rows = if every_row { run.rows } else { kept.len() };
        if let Some(lines) = &mut reading.lines {
            let first = run.first_line as u32;
            if every_row {
                lines.extend((0..run.rows as u32).map(|row| first + row));
            } else {
                lines.extend(kept.iter().map(|&row| first + row));
            }
        }
        reading.rows += rows;
        reading.unread += run.rows - rows;
        reading.kept = kept;
        true
    }

    /// Adds a value of the usual shape (no padding, valid) as [`Loader::push`] would, with
    /// less checking for what it cannot be; false, adding nothing, for anything else.
    #[inline]
    fn push_usual(
        &mut self,
        column: &mut Column,
        ty: &ColumnType,
        allowed: Option<&[u32]>,
        recent: &mut Recent,
        raw: &[u8],
    ) -> bool {
        // Without blanks or bytes beyond ASCII at either end, trimming changes nothing.
        let unpadded = raw.first().is_some_and(u8::is_ascii_graphic)
            && raw.last().is_some_and(u8::is_ascii_graphic);
        match column {
            Column::Date(days) => {
                if raw.is_empty() {
                    days.push(MISSING_DATE);
                } else {
                    let Some(day) = recent.day_of(raw) else {
                        return false;
                    };
                    days.push(day);
                }
            }
            Column::Person(ids) if unpadded => match self.persons.id_bytes(raw) {
                Some(id) => ids.push(id),
                None => return false,
            },
            Column::Unit(units) if unpadded && *ty == ColumnType::Municipality => {
                if recent.worth_trying() && recent.same(raw) {
                    units.push(recent.value as u32);
                } else {
                    let Some(code) = parse_code(raw) else {
                        return false;
                    };
                    if self.geography.municipality(code).is_none() {
                        return false;
                    }
                    recent.remember(raw, i64::from(code));
                    units.push(code);
                }
            }
            Column::Sym(symbols) if unpadded => {
                if recent.worth_trying() && recent.same(raw) {
                    symbols.push(recent.value as u32);
                } else if let Some(sym) = recent.known_text(raw) {
                    recent.remember(raw, i64::from(sym));
                    symbols.push(sym);
                } else {
                    let Ok(text) = std::str::from_utf8(raw) else {
                        return false;
                    };
                    let sym = self.symbols.intern(text);
                    if allowed.is_some_and(|allowed| !allowed.contains(&sym)) {
                        return false;
                    }
                    recent.remember(raw, i64::from(sym));
                    recent.know_text(raw, sym);
                    symbols.push(sym);
                }
            }
            Column::Num(numbers) if unpadded && *ty == ColumnType::Integer => {
                match parse_whole(raw) {
                    Some(n) => numbers.push(n as f64),
                    None => return false,
                }
            }
            _ => return false,
        }
        true
    }

    fn bad_row(&mut self, error: DataError) -> Result<(), DataError> {
        match self.bad_rows {
            BadRows::Stop => Err(error),
            BadRows::Skip => {
                self.exclusions.add(&error);
                Ok(())
            }
        }
    }

    /// Adds one field's value to its column. Values are read from the bytes: only texts (and
    /// ids that are not plain numbers) are checked as UTF-8, and a value equal to the column's
    /// previous one reuses its result (extracts come sorted by person and date).
    fn push(
        &mut self,
        column: &mut Column,
        ty: &ColumnType,
        allowed: Option<&[u32]>,
        recent: &mut Recent,
        raw: &[u8],
    ) -> Result<(), String> {
        let mut bytes = raw.trim_ascii();
        if bytes.first().is_some_and(|b| !b.is_ascii())
            || bytes.last().is_some_and(|b| !b.is_ascii())
        {
            // Text may also be padded by white space beyond ASCII.
            bytes = std::str::from_utf8(raw)
                .map_err(|_| NOT_UTF8.to_string())?
                .trim()
                .as_bytes();
        }
        let pushed = self.push_trimmed(column, ty, allowed, recent, bytes);
        if pushed.is_err() && std::str::from_utf8(raw).is_err() {
            return Err(NOT_UTF8.to_string());
        }
        pushed
    }

    fn push_trimmed(
        &mut self,
        column: &mut Column,
        ty: &ColumnType,
        allowed: Option<&[u32]>,
        recent: &mut Recent,
        bytes: &[u8],
    ) -> Result<(), String> {
        let missing = bytes.is_empty();
        // Only dates, texts and units are remembered.
        if !missing && recent.worth_trying() && recent.same(bytes) {
            match column {
                Column::Date(v) => {
                    v.push(recent.value as i32);
                    return Ok(());
                }
                Column::Sym(v) | Column::Unit(v) => {
                    v.push(recent.value as u32);
                    return Ok(());
                }
                _ => {}
            }
        }
        let text = || std::str::from_utf8(bytes).map_err(|_| NOT_UTF8.to_string());
        match (column, ty) {
            (Column::Num(v), ColumnType::Integer) => v.push(if missing {
                f64::NAN
            } else {
                parse_whole(bytes).ok_or_else(|| "expected a whole number".to_string())? as f64
            }),
            (Column::Num(v), _) => v.push(if missing {
                f64::NAN
            } else {
                let text = text()?;
                match text.parse::<f64>() {
                    Ok(x) if x.is_finite() => x,
                    _ if text.contains(',') => {
                        return Err(
                            "expected a number with a decimal point, not a comma".to_string()
                        );
                    }
                    _ => return Err("expected a number".to_string()),
                }
            }),
            (Column::Date(v), _) => v.push(if missing {
                MISSING_DATE
            } else {
                let day = parse_date_bytes(bytes).map_err(|e| e.to_string())?;
                recent.remember(bytes, day as i64);
                day
            }),
            (Column::Bool(v), _) => v.push(match bytes {
                b"" => MISSING_BOOL,
                b"true" | b"1" | b"TRUE" | b"True" => 1,
                b"false" | b"0" | b"FALSE" | b"False" => 0,
                _ => return Err("expected true or false".to_string()),
            }),
            (Column::Person(v), _) => v.push(if missing {
                MISSING_SYM
            } else {
                self.persons
                    .id_bytes(bytes)
                    .ok_or_else(|| NOT_UTF8.to_string())?
            }),
            (Column::Unit(v), ColumnType::Municipality) => v.push(if missing {
                MISSING_SYM
            } else {
                let code =
                    parse_code(bytes).ok_or_else(|| "expected a municipality code".to_string())?;
                self.geography.municipality(code).ok_or_else(|| {
                    "unknown municipality code (not in the geography)".to_string()
                })?;
                recent.remember(bytes, code as i64);
                code
            }),
            (Column::Unit(v), _) => v.push(if missing {
                MISSING_SYM
            } else {
                let code = parse_code(bytes).ok_or_else(|| "expected a unit code".to_string())?;
                self.geography.unit(code).ok_or_else(|| {
                    "unknown unit code: not 0, a region or a municipality".to_string()
                })?;
                recent.remember(bytes, code as i64);
                code
            }),
            (Column::Sym(v), _) => v.push(if missing {
                MISSING_SYM
            } else {
                let text = text()?;
                let sym = self.symbols.intern(text);
                if let Some(allowed) = allowed
                    && !allowed.contains(&sym)
                {
                    let list: Vec<String> = allowed
                        .iter()
                        .map(|s| format!("\"{}\"", self.symbols.text(*s)))
                        .collect();
                    return Err(format!(
                        "not one of the declared values {}",
                        list.join(", ")
                    ));
                }
                recent.remember(bytes, sym as i64);
                sym
            }),
        }
        Ok(())
    }
}

const NOT_UTF8: &str = "the value is not valid UTF-8 text";

/// A column's previous value and what it was read as. A column whose values seldom repeat
/// from one row to the next (a snapshot date in an extract sorted by person) stops comparing
/// after its first rows.
#[derive(Debug, Clone, Default)]
struct Recent {
    raw: Vec<u8>,
    value: i64,
    tries: u32,
    hits: u32,
    /// A date column's days by date met: (the date's digits, its day); 0 for no entry.
    days: Vec<(u64, i32)>,
    /// A text column's numbers by short text met (codes, categories), bypassing the interner.
    texts: Vec<KnownText>,
}

/// A text of at most 16 bytes, as two words read from its start and its end (overlapping
/// for a shorter text) and its length: one to one with the text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ShortText {
    head: u64,
    tail: u64,
    len: u64,
}

impl ShortText {
    #[inline]
    fn of(raw: &[u8]) -> Option<ShortText> {
        let n = raw.len();
        let u64_at = |from: usize| word64(raw, from);
        let u32_at = |from: usize| u64::from(word32(raw, from));
        let (head, tail) = match n {
            1..4 => (raw.iter().fold(0, |w, &b| w << 8 | u64::from(b)), 0),
            4..8 => (u32_at(0), u32_at(n - 4)),
            8..=16 => (u64_at(0), u64_at(n - 8)),
            _ => return None,
        };
        Some(ShortText {
            head,
            tail,
            len: n as u64,
        })
    }

    fn slot(&self) -> usize {
        let mixed = self.head ^ self.tail.rotate_left(29) ^ self.len;
        (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - TEXT_CACHE_BITS)) as usize
    }
}

/// A short text's number; `len` 0 for a free entry.
#[derive(Debug, Clone, Copy, Default)]
struct KnownText {
    text: ShortText,
    sym: u32,
}

/// Entries of a text column's cache of numbers.
const TEXT_CACHE_BITS: u32 = 10;

/// Entries of a date column's cache of days: a column's dates mostly come from a few years.
const DAY_CACHE_BITS: u32 = 12;

/// Rows a column is watched for before its repeats are judged.
const RECENT_TRIAL: u32 = 4096;

impl Recent {
    /// The day of a date written `YYYY-MM-DD`, from the cache if the date was met before.
    #[inline]
    fn day_of(&mut self, raw: &[u8]) -> Option<i32> {
        let Ok(&[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1]) = <&[u8; 10]>::try_from(raw) else {
            return day_of(raw);
        };
        // The eight digits are the key, one to one; none is zero, so 0 marks a free entry.
        let key = u64::from_le_bytes([y0, y1, y2, y3, m0, m1, d0, d1]);
        if self.days.is_empty() {
            self.days = vec![(0, 0); 1 << DAY_CACHE_BITS];
        }
        let slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - DAY_CACHE_BITS)) as usize;
        let (cached, day) = self.days[slot];
        if cached == key {
            return Some(day);
        }
        let day = day_of(raw)?;
        self.days[slot] = (key, day);
        Some(day)
    }

    /// The number of a short text met before in the column (valid where it was met).
    #[inline]
    fn known_text(&self, raw: &[u8]) -> Option<u32> {
        let text = ShortText::of(raw)?;
        let known = self.texts.get(text.slot())?;
        (known.text == text).then_some(known.sym)
    }

    fn know_text(&mut self, raw: &[u8], sym: u32) {
        let Some(text) = ShortText::of(raw) else {
            return;
        };
        if self.texts.is_empty() {
            self.texts = vec![KnownText::default(); 1 << TEXT_CACHE_BITS];
        }
        self.texts[text.slot()] = KnownText { text, sym };
    }

    fn worth_trying(&self) -> bool {
        self.tries < RECENT_TRIAL || self.hits >= self.tries / 4
    }

    fn same(&mut self, bytes: &[u8]) -> bool {
        let same = same_bytes(&self.raw, bytes);
        if self.tries < RECENT_TRIAL {
            self.tries += 1;
            self.hits += u32::from(same);
        }
        same
    }

    fn remember(&mut self, raw: &[u8], value: i64) {
        if self.worth_trying() {
            self.raw.clear();
            self.raw.extend_from_slice(raw);
            self.value = value;
        }
    }
}

/// The eight bytes of `s` from `from` as a little-endian word (the caller knows they are there).
#[inline]
fn word64(s: &[u8], from: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&s[from..from + 8]);
    u64::from_le_bytes(word)
}

/// The four bytes of `s` from `from` as a little-endian word.
#[inline]
fn word32(s: &[u8], from: usize) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&s[from..from + 4]);
    u32::from_le_bytes(word)
}

/// Whether two short texts are equal, compared as words rather than through `memcmp`: the
/// values compared are a few bytes long, at every row.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    // Fixed-size reads, overlapping when the length is not their size.
    let u64_at = word64;
    let u32_at = word32;
    match n {
        0..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..8 => u32_at(a, 0) == u32_at(b, 0) && u32_at(a, n - 4) == u32_at(b, n - 4),
        8..=16 => u64_at(a, 0) == u64_at(b, 0) && u64_at(a, n - 8) == u64_at(b, n - 8),
        _ => a == b,
    }
}

/// A whole number as `str::parse::<i64>` reads it (an optional sign, then digits), from bytes.
fn parse_whole(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        let d = i64::from(d - b'0');
        n = if negative {
            n.checked_mul(10)?.checked_sub(d)?
        } else {
            n.checked_mul(10)?.checked_add(d)?
        };
    }
    Some(n)
}

/// A code as `str::parse::<u32>` reads it, from bytes.
fn parse_code(bytes: &[u8]) -> Option<u32> {
    let n = parse_whole(bytes)?;
    u32::try_from(n).ok().filter(|_| bytes[0] != b'-')
}

/// A record whose quoted fields run over lines, with the header's number of fields: only a
/// `text` column of the rules may hold a line end. Anywhere else a value spanning lines is a
/// stray quote that joined two rows into one (and lost one of them), so it stops the run, also
/// under `--on-bad-row skip`: leaving the record out would lose both rows unseen.
fn check_line_ends(reading: &Reading, record: &Record) -> Result<(), DataError> {
    for field in 0..record.field_count() {
        let value = record.get(field).unwrap_or_default();
        if !value.iter().any(|&b| b == b'\n' || b == b'\r') {
            continue;
        }
        let column = (0..reading.positions.len()).find(|&k| reading.positions[k] == Some(field));
        if column.is_some_and(|k| reading.source.columns[k].1 == ColumnType::Text) {
            continue;
        }
        let name = column.map_or_else(
            || String::from_utf8_lossy(trim_bom(&reading.headers[field])).into_owned(),
            |k| reading.source.columns[k].0.clone(),
        );
        let last = record.line + record.newlines;
        return Err(DataError::line(
            reading.file,
            record.line,
            format!(
                "column '{name}': a quoted value runs over lines {} to {last}, which joins them \
                 into one row; only a `text` column may hold a line end, so a `\"` is probably \
                 stray: remove it, or declare the column `text` if its values do span lines",
                record.line
            ),
        ));
    }
    Ok(())
}

/// A header the rows cannot be read by: not UTF-8 (named by the encoding it looks like), or
/// naming a column twice (which of the two the rules mean cannot be told).
fn check_header(file: &str, headers: &[Vec<u8>]) -> Result<(), DataError> {
    let first = headers.first().map_or(&[][..], |h| &h[..]);
    let utf16 = if first.starts_with(b"\xFF\xFE") {
        Some("UTF-16LE")
    } else if first.starts_with(b"\xFE\xFF") {
        Some("UTF-16BE")
    } else if headers.iter().any(|h| h.contains(&0)) {
        Some("UTF-16")
    } else {
        None
    };
    if let Some(encoding) = utf16 {
        return Err(DataError::line(
            file,
            1,
            format!(
                "the extract is not UTF-8: it looks like {encoding} (two bytes a character{}); \
                 convert it, for example with `iconv -f {encoding} -t UTF-8`",
                if first.starts_with(b"\xFF\xFE") || first.starts_with(b"\xFE\xFF") {
                    ", with a byte-order mark"
                } else {
                    ""
                }
            ),
        ));
    }
    let mut names: Vec<&[u8]> = Vec::with_capacity(headers.len());
    for (k, header) in headers.iter().enumerate() {
        let name = trim_bom(header);
        if std::str::from_utf8(name).is_err() {
            let mut e = DataError::line(file, 1, not_utf8_problem(name));
            e.value = Some(String::from_utf8_lossy(name).into_owned());
            return Err(e);
        }
        if let Some(earlier) = names.iter().position(|n| *n == name) {
            let mut e = DataError::line(
                file,
                1,
                format!(
                    "the header names this column twice (fields {} and {}): which one the rules \
                     read cannot be told; rename or remove one",
                    earlier + 1,
                    k + 1
                ),
            );
            e.column = Some(String::from_utf8_lossy(name).into_owned());
            return Err(e);
        }
        names.push(name);
    }
    Ok(())
}

/// What a value that is not UTF-8 says of the file's encoding, and how to convert it.
fn not_utf8_problem(raw: &[u8]) -> String {
    let (encoding, iconv) = if raw.contains(&0) {
        ("UTF-16", "UTF-16")
    } else if raw.iter().any(|b| (0x80..0xA0).contains(b)) {
        ("Windows-1252", "WINDOWS-1252")
    } else {
        ("Latin-1 (ISO-8859-1) or Windows-1252", "LATIN1")
    };
    let latin1: String = raw.iter().map(|&b| char::from(b)).collect();
    let reads_as = if encoding.starts_with("Latin-1") {
        format!(", where it reads `{}`", latin1.trim())
    } else {
        String::new()
    };
    format!(
        "the extract is not UTF-8: this value looks like {encoding}{reads_as}; convert the file, \
         for example with `iconv -f {iconv} -t UTF-8`"
    )
}

fn trim_bom(header: &[u8]) -> &[u8] {
    let h = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(header);
    h.trim_ascii()
}

/// `YYYY-MM-DD`, checked to be a real day.
pub fn parse_date(text: &str) -> Result<i32, DateError> {
    parse_date_bytes(text.as_bytes())
}

/// Why a text is not a date of the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Not written `YYYY-MM-DD` (another format, a blank, a letter).
    Shape,
    /// Written so, but no such day (`2023-02-29`, `2023-13-01`).
    NoSuchDay,
}

impl std::fmt::Display for DateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DateError::Shape => "expected a date written YYYY-MM-DD",
            DateError::NoSuchDay => "no such day",
        })
    }
}

fn parse_date_bytes(b: &[u8]) -> Result<i32, DateError> {
    match date_digits(b) {
        None => Err(DateError::Shape),
        Some(_) => day_of(b).ok_or(DateError::NoSuchDay),
    }
}

/// The eight digits of a date written `YYYY-MM-DD`, checked in one branch without iterating.
#[inline]
fn date_digits(b: &[u8]) -> Option<[u8; 8]> {
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = b else {
        return None;
    };
    let digits = [y0, y1, y2, y3, m0, m1, d0, d1].map(|c| c.wrapping_sub(b'0'));
    (digits.iter().fold(0, |any, &d| any | u8::from(d > 9)) == 0).then_some(digits)
}

/// The day of a date written `YYYY-MM-DD`, `None` for another shape or no such day: read at
/// every row of every date column.
#[inline]
fn day_of(b: &[u8]) -> Option<i32> {
    let [y0, y1, y2, y3, m0, m1, d0, d1] = date_digits(b)?.map(u32::from);
    let y = (y0 * 1000 + y1 * 100 + y2 * 10 + y3) as i32;
    checked_day(y, m0 * 10 + m1, d0 * 10 + d1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{civil_from_days, days_from_civil};

    #[test]
    fn every_day_of_four_centuries_reads_back_as_itself() {
        let first = days_from_civil(1800, 1, 1);
        let last = days_from_civil(2200, 12, 31);
        for day in first..=last {
            let (y, m, d) = civil_from_days(day);
            let text = format!("{y:04}-{m:02}-{d:02}");
            assert_eq!(parse_date(&text), Ok(day), "{text}");
        }
    }

    #[test]
    fn a_date_column_s_cache_gives_each_date_its_own_day() {
        let mut recent = Recent::default();
        let first = days_from_civil(1990, 1, 1);
        let last = days_from_civil(2030, 12, 31);
        // Twice over more dates than the cache has entries: hits, misses and collisions.
        for _ in 0..2 {
            for day in first..=last {
                let (y, m, d) = civil_from_days(day);
                let text = format!("{y:04}-{m:02}-{d:02}");
                assert_eq!(recent.day_of(text.as_bytes()), Some(day), "{text}");
            }
            for text in ["2023-02-29", "2023-13-01", "2023/01/01", "2023-01-1", ""] {
                assert_eq!(recent.day_of(text.as_bytes()), None, "{text:?}");
            }
        }
    }

    #[test]
    fn dates_of_another_shape_or_no_such_day_are_refused() {
        let shape = Err(DateError::Shape);
        let no_day = Err(DateError::NoSuchDay);
        for text in [
            "2023/01/01",
            "20230101",
            "2023-1-01",
            "2023-01-0a",
            "2023-01-01 ",
            "+023-01-01",
            "2023-01-1",
            "",
            "2023-０1-01",
        ] {
            assert_eq!(parse_date(text), shape, "{text:?}");
        }
        for text in [
            "2023-02-29",
            "2100-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-04-31",
            "2023-01-00",
        ] {
            assert_eq!(parse_date(text), no_day, "{text:?}");
        }
        assert_eq!(parse_date("2024-02-29"), Ok(days_from_civil(2024, 2, 29)));
        assert_eq!(parse_date("2000-02-29"), Ok(days_from_civil(2000, 2, 29)));
    }
}
