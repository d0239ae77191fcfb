//! Runs every test block of the shipped rules, as `indikator test` does: `cargo test` fails
//! when a rule's own test fails.

use indikator::diagnostics::Code;
use indikator::diagnostics::examples;
use indikator::diagnostics::render::{self, Style};
use indikator::source_db::SourceDb;
use indikator::testing::{self, TestOptions};

#[test]
fn the_shipped_rule_tests_pass() {
    let (checked, outcomes) =
        testing::run_paths(&["rules".into()], "data".as_ref()).expect("the rule tests run");
    assert!(!outcomes.is_empty());
    let mut report = String::new();
    for o in &outcomes {
        if !o.failures.is_empty() {
            report.push_str(&format!("{}: {}\n", o.indicator, o.name));
            report.push_str(&render::all_to_text(
                &checked.db,
                &o.failures,
                Style::plain(),
            ));
        }
    }
    assert!(report.is_empty(), "rule tests failed:\n{report}");
}

#[test]
fn every_published_indicator_has_a_test() {
    let (checked, outcomes) =
        testing::run_paths(&["rules".into()], "data".as_ref()).expect("the rule tests run");
    for file in &checked.files {
        for def in &file.definitions {
            if let indikator::syntax::ast::Definition::Indicator(ind) = def {
                use indikator::syntax::ast::ClauseKind;
                let hidden = ind
                    .clauses
                    .iter()
                    .any(|c| matches!(c.kind, ClauseKind::Hidden));
                // An indicator listed without figures (`measure none`) has nothing to test.
                let without_figures = ind
                    .clauses
                    .iter()
                    .any(|c| matches!(&c.kind, ClauseKind::Measure(m) if m.kind.name == "none"));
                if !hidden && !without_figures {
                    assert!(
                        outcomes.iter().any(|o| o.indicator == ind.name.name),
                        "indicator `{}` has no test block",
                        ind.name.name
                    );
                }
            }
        }
    }
}

/// The example of E0701 from `indikator explain-error`, run as a test.
#[test]
fn a_failing_expectation_points_at_itself() {
    let (name, rules) = examples::example(Code::TestFailed);
    let mut db = SourceDb::new();
    db.add(name, rules);
    let checked = indikator::workspace::check_sources(db);
    assert_eq!(checked.error_count(), 0);
    let outcomes = testing::run_tests(
        &checked,
        &TestOptions {
            reference_data: "data".into(),
        },
    )
    .expect("the test runs");
    let failures = &outcomes[0].failures;
    assert_eq!(failures.len(), 1);
    let text = render::all_to_text(&checked.db, failures, Style::plain());
    assert!(text.contains("E0701"), "{text}");
    assert!(text.contains("value: expected 3, got 2"), "{text}");
    assert!(text.contains("example.ind:27:"), "{text}");
}

#[test]
fn a_hidden_indicator_can_be_tested() {
    // Hidden indicators are not in the report, but their test blocks still run.
    let (_, outcomes) = testing::run_paths(&["tests/fixtures/hidden_test".into()], "data".as_ref())
        .expect("the rule tests run");
    assert_eq!(outcomes.len(), 1);
    assert!(
        outcomes[0].failures.is_empty(),
        "{:?}",
        outcomes[0].failures
    );
}
