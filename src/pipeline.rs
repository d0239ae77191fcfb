//! The whole pipeline in one call, for the command line and for tests:
//! rule texts → check → plan → evaluate → report.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::diagnostics::render::{self, Style};
use crate::eval::{self, DataError, Evaluation, Options};
use crate::plan::{Plan, PlanError};
use crate::report::{self, Report};
use crate::source_db::SourceDb;
use crate::workspace::{self, Checked};

pub enum RunError {
    /// The rules have errors; the checked rule set holds the diagnostics.
    Rules(Box<Checked>),
    /// The rule files could not be read.
    Io(io::Error),
    /// The checked rules could not be planned: a bug in indikator.
    Plan(PlanError),
    Data(Box<DataError>),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Rules(checked) => write!(
                f,
                "the rules have errors:\n{}",
                render::all_to_text(&checked.db, &checked.diagnostics, Style::plain())
            ),
            RunError::Io(e) => write!(f, "{e}"),
            RunError::Plan(e) => write!(f, "{e}"),
            RunError::Data(e) => write!(f, "{e}"),
        }
    }
}

impl fmt::Debug for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

pub struct Outcome {
    pub plan: Plan,
    pub evaluation: Evaluation,
    pub report: Report,
}

/// Runs checked rules over a data directory.
pub fn run_checked(
    checked: Checked,
    options: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Outcome, RunError> {
    if checked.error_count() > 0 {
        return Err(RunError::Rules(Box::new(checked)));
    }
    let plan = checked.plan().map_err(RunError::Plan)?;
    let evaluation =
        eval::evaluate(&plan, options, progress).map_err(|e| RunError::Data(Box::new(e)))?;
    let report = report::build(&plan, &evaluation);
    Ok(Outcome {
        plan,
        evaluation,
        report,
    })
}

/// Runs rule texts held in memory (name, text) over a data directory; for tests.
pub fn run_texts(rules: &[(&str, &str)], options: &Options) -> Result<Outcome, RunError> {
    let mut db = SourceDb::new();
    for (name, text) in rules {
        db.add(*name, *text);
    }
    run_checked(workspace::check_sources(db), options, &mut |_| {})
}

/// Runs the rule files under `paths` over a data directory.
pub fn run_paths(paths: &[PathBuf], options: &Options) -> Result<Outcome, RunError> {
    let checked = workspace::check_paths(paths).map_err(RunError::Io)?;
    run_checked(checked, options, &mut |_| {})
}

/// Options with the usual layout: the geography in `DATA/reference/municipalities.csv`,
/// stopping at the first bad row.
pub fn options(data_dir: impl Into<PathBuf>) -> Options {
    let data_dir = data_dir.into();
    Options {
        geography: data_dir.join("reference").join("municipalities.csv"),
        data_dir,
        bad_rows: eval::BadRows::Stop,
        read_all_rows: false,
        allow_empty_extracts: false,
        row_by_row: false,
        hash_extracts: false,
    }
}
