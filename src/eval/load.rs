//! Reads register extracts by their declared schema: only the columns the rules use, each
//! value validated (dates, codes, categories, municipality codes). A bad row stops the run
//! with its file, line, column and value, or, when asked, is left out and counted.

use std::path::{Component, Path, PathBuf};

use super::error::{DataError, Exclusions};
use super::geography::Geography;
use super::value::{Interner, PersonIds, Value};
use crate::plan::{ColumnType, SourcePlan, days_from_civil};

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
            Column::Num(v) => {
                let x = v[row];
                if x.is_nan() {
                    Value::Missing
                } else {
                    Value::Num(x)
                }
            }
            Column::Date(v) => match v[row] {
                MISSING_DATE => Value::Missing,
                d => Value::Date(d),
            },
            Column::Bool(v) => match v[row] {
                MISSING_BOOL => Value::Missing,
                b => Value::Bool(b == 1),
            },
            Column::Sym(v) => match v[row] {
                MISSING_SYM => Value::Missing,
                s => Value::Sym(s),
            },
            Column::Person(v) => match v[row] {
                MISSING_SYM => Value::Missing,
                p => Value::Person(p),
            },
            Column::Unit(v) => match v[row] {
                MISSING_SYM => Value::Missing,
                u => Value::Unit(u),
            },
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

/// An extract in memory: the used columns, by their index in the source declaration.
#[derive(Debug, Clone)]
pub struct Table {
    pub rows: usize,
    pub columns: Vec<Option<Column>>,
    /// The file as shown in messages.
    pub file: String,
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

pub struct Loader<'a> {
    pub geography: &'a Geography,
    pub symbols: &'a mut Interner,
    pub persons: &'a mut PersonIds,
    pub bad_rows: BadRows,
    pub exclusions: &'a mut Exclusions,
}

impl Loader<'_> {
    pub fn load(&mut self, source: &SourcePlan, data_dir: &Path) -> Result<Table, DataError> {
        let path = resolve(data_dir, &source.file)?;
        let file = path.display().to_string();
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(&path)
            .map_err(|e| DataError::file(&file, format!("cannot read the extract: {e}")))?;
        let headers = reader
            .byte_headers()
            .map_err(|e| DataError::file(&file, e.to_string()))?
            .clone();
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
        let mut columns: Vec<Option<Column>> = source
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
        let mut record = csv::ByteRecord::new();
        let mut rows = 0usize;
        let mut line = 1usize;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let at = e.position().map(|p| p.line() as usize).unwrap_or(line + 1);
                    let error =
                        DataError::line(&file, at, format!("the row cannot be read as CSV: {e}"));
                    self.bad_row(error)?;
                    line = at;
                    continue;
                }
            }
            line = record
                .position()
                .map(|p| p.line() as usize)
                .unwrap_or(line + 1);
            if record.len() != width {
                let error = DataError::line(
                    &file,
                    line,
                    format!(
                        "the row has {} fields, the header has {width}",
                        record.len()
                    ),
                );
                self.bad_row(error)?;
                continue;
            }
            let mut ok = true;
            for (k, position) in positions.iter().enumerate() {
                let Some(position) = *position else { continue };
                let raw = record.get(position).unwrap_or(b"");
                let (name, ty) = &source.columns[k];
                let column = columns[k].as_mut().expect("a used column has storage");
                if let Err(problem) = self.push(column, ty, categories[k].as_deref(), raw) {
                    let mut error = DataError::line(&file, line, problem);
                    error.column = Some(name.clone());
                    error.value = Some(String::from_utf8_lossy(raw).into_owned());
                    error.source = Some(source.name.clone());
                    ok = false;
                    // Undo the values this row already added.
                    for c in columns.iter_mut().flatten() {
                        c.truncate(rows);
                    }
                    self.bad_row(error)?;
                    break;
                }
            }
            if ok {
                rows += 1;
            }
        }
        Ok(Table {
            rows,
            columns,
            file,
        })
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

    fn push(
        &mut self,
        column: &mut Column,
        ty: &ColumnType,
        allowed: Option<&[u32]>,
        raw: &[u8],
    ) -> Result<(), String> {
        let text = std::str::from_utf8(raw)
            .map_err(|_| "the value is not valid UTF-8 text".to_string())?
            .trim();
        let missing = text.is_empty();
        match (column, ty) {
            (Column::Num(v), ColumnType::Integer) => v.push(if missing {
                f64::NAN
            } else {
                text.parse::<i64>()
                    .map_err(|_| "expected a whole number".to_string())? as f64
            }),
            (Column::Num(v), _) => v.push(if missing {
                f64::NAN
            } else {
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
                parse_date(text)?
            }),
            (Column::Bool(v), _) => v.push(match text {
                "" => MISSING_BOOL,
                "true" | "1" | "TRUE" | "True" => 1,
                "false" | "0" | "FALSE" | "False" => 0,
                _ => return Err("expected true or false".to_string()),
            }),
            (Column::Person(v), _) => v.push(if missing {
                MISSING_SYM
            } else {
                self.persons.id(text)
            }),
            (Column::Unit(v), ColumnType::Municipality) => v.push(if missing {
                MISSING_SYM
            } else {
                let code: u32 = text
                    .parse()
                    .map_err(|_| "expected a municipality code".to_string())?;
                self.geography.municipality(code).ok_or_else(|| {
                    "unknown municipality code (not in the geography)".to_string()
                })?;
                code
            }),
            (Column::Unit(v), _) => v.push(if missing {
                MISSING_SYM
            } else {
                let code: u32 = text
                    .parse()
                    .map_err(|_| "expected a unit code".to_string())?;
                self.geography.unit(code).ok_or_else(|| {
                    "unknown unit code: not 0, a region or a municipality".to_string()
                })?;
                code
            }),
            (Column::Sym(v), _) => v.push(if missing {
                MISSING_SYM
            } else {
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
                sym
            }),
        }
        Ok(())
    }
}

fn trim_bom(header: &[u8]) -> &[u8] {
    let h = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(header);
    h.trim_ascii()
}

/// `YYYY-MM-DD`, checked to be a real day.
pub fn parse_date(text: &str) -> Result<i32, String> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err("expected a date written YYYY-MM-DD".to_string());
    }
    let y: i32 = text[0..4].parse().unwrap_or(0);
    let m: u32 = text[5..7].parse().unwrap_or(0);
    let d: u32 = text[8..10].parse().unwrap_or(0);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if d == 0 || d > days_in_month {
        return Err("no such day".to_string());
    }
    Ok(days_from_civil(y, m, d))
}
