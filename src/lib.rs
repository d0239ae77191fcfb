//! indikator: declarative health-care indicators, from rule files to the report table.
//!
//! The pipeline, one module per stage, data flowing one way:
//! [`syntax`] → [`check`] → [`plan`] → [`eval`] → [`report`].
//! See `docs/ARCHITECTURE.md`.
//!
//! Checking rule text held in memory:
//!
//! ```
//! use indikator::source_db::SourceDb;
//! use indikator::workspace::check_sources;
//!
//! let mut db = SourceDb::new();
//! db.add("example.ind", r#"
//! source visits {
//!   file "visits.csv"
//!   columns { person: person  day: date }
//! }
//! population in_period {
//!   from visits
//!   where dy in period
//! }
//! "#);
//! let checked = check_sources(db);
//! assert_eq!(checked.error_count(), 1);
//! assert_eq!(checked.diagnostics[0].message, "unknown column `dy`");
//! assert_eq!(checked.diagnostics[0].help.as_deref(), Some("did you mean `day`?"));
//! ```

pub mod check;
pub mod diagnostics;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod format;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod source_db;
pub mod sql;
pub mod stats;
pub mod suggest;
pub mod syntax;
pub mod testing;
pub mod words;
pub mod workspace;
