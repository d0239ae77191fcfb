//! The planner's errors. The planner runs on checked rules only, so each of these is a bug in
//! indikator (or a caller planning rules that did not pass the checker), never a mistake in the
//! rules: they carry no source location and no diagnostic code.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// The checked program lacks something the planner needs, or holds something it cannot
    /// lower: the checker let it through.
    Internal(String),
    /// The rules given to the planner have errors; they must pass the checker first.
    NotChecked { errors: usize },
}

impl PlanError {
    pub(crate) fn internal(what: impl Into<String>) -> PlanError {
        PlanError::Internal(what.into())
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Internal(what) => write!(
                f,
                "internal error in the planner: {what}, yet the rules were checked; this is a bug in indikator"
            ),
            PlanError::NotChecked { errors } => write!(
                f,
                "the rules have {errors} error(s); they are planned only once they pass the check"
            ),
        }
    }
}

impl std::error::Error for PlanError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_say_they_are_bugs() {
        let e = PlanError::internal("no column `x`");
        assert_eq!(
            e.to_string(),
            "internal error in the planner: no column `x`, yet the rules were checked; this is a bug in indikator"
        );
        assert_eq!(
            PlanError::NotChecked { errors: 2 }.to_string(),
            "the rules have 2 error(s); they are planned only once they pass the check"
        );
    }
}
