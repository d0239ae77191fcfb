//! Errors and counted exclusions from reading data. Every one names the file, the line and,
//! where there is one, the column and the value, and says what was expected.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
    /// The source declaration that asked for the column.
    pub source: Option<String>,
}

impl DataError {
    pub fn file(file: &str, message: impl Into<String>) -> DataError {
        DataError {
            file: file.to_string(),
            line: None,
            column: None,
            value: None,
            message: message.into(),
            source: None,
        }
    }

    pub fn line(file: &str, line: usize, message: impl Into<String>) -> DataError {
        DataError {
            line: Some(line),
            ..DataError::file(file, message)
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(column) = &self.column {
            write!(f, "column `{column}`: ")?;
        }
        if let Some(value) = &self.value {
            write!(f, "`{value}`: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(source) = &self.source {
            write!(f, " (declared in source `{source}`)")?;
        }
        Ok(())
    }
}

impl std::error::Error for DataError {}

/// Rows left out under `--on-bad-row skip`, counted by kind of problem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclusions {
    pub entries: Vec<Exclusion>,
}

/// Rows of one file left out (or only partly counted) for one kind of problem.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Exclusion {
    pub file: String,
    pub column: Option<String>,
    pub problem: String,
    pub rows: usize,
    pub first_line: usize,
    pub first_value: Option<String>,
}

impl Exclusions {
    pub fn add(&mut self, error: &DataError) {
        let line = error.line.unwrap_or(0);
        if let Some(e) = self.entries.iter_mut().find(|e| {
            e.file == error.file && e.column == error.column && e.problem == error.message
        }) {
            e.rows += 1;
            return;
        }
        self.entries.push(Exclusion {
            file: error.file.clone(),
            column: error.column.clone(),
            problem: error.message.clone(),
            rows: 1,
            first_line: line,
            first_value: error.value.clone(),
        });
    }

    pub fn total(&self) -> usize {
        self.entries.iter().map(|e| e.rows).sum()
    }
}
