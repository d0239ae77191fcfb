//! indikator: declarative health-care indicators, from rule files to the report table.
//!
//! The pipeline, one module per stage, data flowing one way:
//! [`syntax`] → [`check`] → [`plan`] → [`eval`] → [`report`].
//! See `docs/ARCHITECTURE.md`.

pub mod check;
pub mod diagnostics;
pub mod eval;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod source_db;
pub mod stats;
pub mod suggest;
pub mod syntax;
pub mod testing;
pub mod workspace;
