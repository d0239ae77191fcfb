//! The two ways of evaluating give the same figures: the shipped rules over the sample data,
//! once with the batch evaluator where it applies and once row by row (`Options::row_by_row`,
//! or `INDIKATOR_EVAL=rows`, with which CI runs the evaluator's tests a second time).

use std::path::PathBuf;

use indikator::eval::EVAL_MODE_VARIABLE;
use indikator::pipeline::{self, Outcome};

fn run(row_by_row: bool) -> Outcome {
    let mut options = pipeline::options("data/sample");
    options.row_by_row = row_by_row;
    pipeline::run_paths(&[PathBuf::from("rules")], &options).expect("the sample runs")
}

/// Whether the environment already forces every run to go row by row.
fn forced_by_environment() -> bool {
    std::env::var(EVAL_MODE_VARIABLE).is_ok_and(|v| v == "rows")
}

#[test]
fn row_by_row_takes_no_batch_and_gives_the_same_figures() {
    let batched = run(false);
    let rows = run(true);
    assert_eq!(
        rows.evaluation.batches, 0,
        "a row-by-row run evaluates no batch"
    );
    if forced_by_environment() {
        assert_eq!(batched.evaluation.batches, 0);
    } else {
        // The sample's populations and aggregations mostly read their rows' own columns: the
        // batch evaluator takes them, many batches of rows.
        assert!(
            batched.evaluation.batches > 100,
            "only {} batches",
            batched.evaluation.batches
        );
    }
    let figures = |o: &Outcome| format!("{:#?}", o.evaluation.indicators);
    let (a, b) = (figures(&batched), figures(&rows));
    assert!(a.contains("value: Some("), "the sample has figures");
    if a != b {
        let first = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        panic!(
            "the figures differ from line {first}:\n batches: {}\n rows:    {}",
            a.lines().nth(first).unwrap_or(""),
            b.lines().nth(first).unwrap_or("")
        );
    }
    assert_eq!(batched.evaluation.exclusions, rows.evaluation.exclusions);
    assert!(batched.report == rows.report, "the reports differ");
}
