//! Explanations for people: of a figure in the report (`indikator explain`) and of a diagnostic
//! code (`indikator explain-error`). The two share nothing but their purpose.

mod error_code;
mod figure;

pub use error_code::{example_diagnostics, explain};
pub use figure::{ExplainError, Explanation, PartTrace, RuleTrace, StratumRow, explain_figure};
