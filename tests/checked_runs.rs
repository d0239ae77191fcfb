//! What `check` accepts runs: suppression conditions of every shape the checker allows, and
//! calendar arithmetic whose result leaves the calendar (a missing date, never a panic or a
//! wrapped day). Each rule set below passes `check`; its own test blocks state the figures,
//! counted by hand.

use indikator::diagnostics::render::{self, Style};
use indikator::source_db::SourceDb;
use indikator::testing::{self, TestOptions};
use indikator::workspace;

/// Checks a rule text (it must be valid) and runs its test blocks; panics with every failure.
fn run_rule_tests(rules: &str) {
    let mut db = SourceDb::new();
    db.add("case.ind", rules);
    let checked = workspace::check_sources(db);
    assert_eq!(
        checked.error_count(),
        0,
        "the rules check clean:\n{}",
        render::all_to_text(&checked.db, &checked.diagnostics, Style::plain())
    );
    let outcomes = testing::run_tests(
        &checked,
        &TestOptions {
            reference_data: "data".into(),
        },
    )
    .expect("the rule tests run");
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

const SOURCE: &str = r#"
goal g { title "Goal" }

source visits {
  file "visits.csv"
  columns { person: person  day: date  municipality: municipality }
}
"#;

/// `or false` and `is missing` in a suppression rule stopped the run with "internal:
/// unsupported suppression condition".
#[test]
fn suppression_conditions_of_every_checked_shape_run() {
    let rules = format!(
        "{SOURCE}{}",
        r#"
indicator visits_or_false {
  title "Visits"
  goal g
  unit "antal"
  improvement none
  levels national, municipality
  period 2023
  measure count
  numerator count of visits where day in period
  at municipality {
    suppress when numerator < 2 or false reason small_numbers
  }
  test "one visit in 101 is suppressed, two in 147 are shown" {
    given visits (person, day, municipality) {
      (1, 2023-01-01, 101)
      (2, 2023-02-01, 147)
      (3, 2023-03-01, 147)
    }
    expect national { numerator 3 }
    expect municipality 101 { suppressed small_numbers }
    expect municipality 147 { numerator 2 }
  }
}

indicator visits_true_and {
  title "Visits"
  goal g
  unit "antal"
  improvement none
  levels national, municipality
  period 2023
  measure count
  numerator count of visits where day in period
  at municipality {
    suppress when true and not (numerator >= 2) == true reason small_numbers
  }
  test "booleans compare with booleans" {
    given visits (person, day, municipality) {
      (1, 2023-01-01, 101)
      (2, 2023-02-01, 147)
      (3, 2023-03-01, 147)
    }
    expect municipality 101 { suppressed small_numbers }
    expect municipality 147 { numerator 2 }
  }
}

indicator visits_missing_value {
  title "Visits per resident"
  goal g
  unit "pct."
  improvement none
  levels national, municipality
  period 2023
  measure proportion
  numerator count of visits where day in period and day < 2023-02-01
  denominator count of visits where day in period
  at municipality {
    suppress when value is missing reason no_value
    suppress when numerator is not missing and numerator < 1 reason small_numbers
  }
  test "a missing figure and a present one" {
    given visits (person, day, municipality) {
      (1, 2023-01-01, 101)
      (2, 2023-02-01, 147)
    }
    expect municipality 101 { value 100 }
    expect municipality 147 { suppressed small_numbers }
    expect municipality 851 { suppressed no_value }
  }
}
"#
    );
    run_rule_tests(&rules);
}

/// A date moved past 9999-12-31 by data that passes `check` is missing: the old evaluator
/// wrapped or panicked (`day + 99999999 years`) or wrote a day of year 10236.
#[test]
fn a_date_moved_out_of_the_calendar_is_missing() {
    let rules = format!(
        "{SOURCE}{}",
        r#"
indicator visits_far_ahead {
  title "Visits"
  goal g
  unit "antal"
  improvement none
  levels national
  period 2023
  measure count
  numerator count of visits where (day + 2920000 days) is missing
  test "2,920,000 days (7,994.6 years) after 2023 is past the calendar; after 1800 it is in 9794" {
    given visits (person, day, municipality) {
      (1, 2023-01-01, 101)
      (2, 1800-06-01, 101)
      (3, 2023-06-30, 147)
    }
    expect national { numerator 2 }
  }
}

indicator visits_far_behind {
  title "Visits"
  goal g
  unit "antal"
  improvement none
  levels national
  period 2023
  measure count
  numerator count of visits where (day - 800000 days) is missing
  test "800,000 days (2,190.3 years) before 2023 is before the calendar; before 2200 it is in year 9" {
    given visits (person, day, municipality) {
      (1, 2023-01-01, 101)
      (2, 2200-01-01, 101)
    }
    expect national { numerator 1 }
  }
}
"#
    );
    run_rule_tests(&rules);
}
