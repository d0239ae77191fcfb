//! Rows dated outside every period of a run are left unread only where the plan proves that
//! no rule could keep them: the figures are those of a run that reads every row, and a use of
//! the source that could keep any row makes the run read them all.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use indikator::pipeline::{self, Outcome, RunError};

const HEADER: &str = r#"
goal g { title "Goal" }

source visits {
  file "visits.csv"
  columns {
    person: person
    day: date
    ended: date
    flag: bool
    municipality: municipality
  }
}
"#;

/// Every use of `visits` keeps only rows with `day` or `ended` around the period: a
/// population, a cohort, relations (one bounded by `in period`, one within 30 days after an
/// outer row's `day`, itself in the period) and an aggregation straight over the source.
const BOUNDED: &str = r#"
cohort flagged {
  persons of visits
  where flag and day in period
}

population visits_in_period {
  from visits
  where day in period
  let later_visits = count(x in visits of same person where x.day in period and x.day > day)
  let soon_after = count(x in visits of same person where x.day within 30 days after day)
}

population visits_ended {
  from visits
  where ended in period
}

indicator soon_after {
  title "Visits soon after"
  goal g
  unit "antal"
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure sum
  numerator sum soon_after of visits_in_period
}

indicator ended {
  title "Ended"
  goal g
  unit "antal"
  improvement lower
  levels national, municipality
  period 2023 compare 2022
  measure count
  numerator count of visits_ended where flag
}

indicator flagged_share {
  title "Flagged"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of visits_in_period where person in flagged
  denominator count of visits_in_period
}

indicator later_visits {
  title "Later visits"
  goal g
  unit "antal"
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure sum
  numerator sum later_visits of visits_in_period
}

indicator flagged_visits {
  title "Flagged visits"
  goal g
  unit "antal"
  improvement lower
  levels national, municipality
  period 2022
  measure count
  numerator count of visits where flag and day in period
}
"#;

/// One more use, a relation that may count a visit of any date.
const UNBOUNDED: &str = r#"
population visitors {
  from visits
  where day in period
  let earlier = count(x in visits of same person where x.day < day)
}

indicator earlier_visits {
  title "Earlier visits"
  goal g
  unit "antal"
  improvement lower
  levels national
  period 2023
  measure sum
  numerator sum earlier of visitors
}
"#;

const GEOGRAPHY: &str = "code,name,region_code,region_name\n\
101,A,1081,R1\n102,B,1081,R1\n201,C,1082,R2\n";

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn write_data(visits: &str) -> Dir {
    static CASE: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "indikator-windows-{}-{}",
        std::process::id(),
        CASE.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(dir.join("reference")).unwrap();
    fs::write(dir.join("reference/municipalities.csv"), GEOGRAPHY).unwrap();
    fs::write(
        dir.join("visits.csv"),
        format!("person,day,ended,flag,municipality\n{visits}"),
    )
    .unwrap();
    Dir(dir)
}

fn run(dir: &Dir, rules: &[&str], read_all_rows: bool) -> Result<Outcome, RunError> {
    let text = format!("{HEADER}{}", rules.concat());
    let mut options = pipeline::options(&dir.0);
    options.read_all_rows = read_all_rows;
    pipeline::run_texts(&[("rules.ind", &text)], &options)
}

fn unread(outcome: &Outcome) -> usize {
    outcome.evaluation.sources.iter().map(|s| s.unread).sum()
}

/// A visit: person, its day and its end (year, month, day), flag, municipality.
type Visit = (u32, (i32, u32, u32), (i32, u32, u32), bool, usize);

fn visits() -> impl Strategy<Value = Vec<Visit>> {
    let date = (2019i32..2026, 1u32..13, 1u32..29);
    let visit = (0u32..30, date.clone(), date, prop::bool::ANY, 0usize..3);
    prop::collection::vec(visit, 1..150)
}

fn csv_of(visits: &[Visit]) -> String {
    visits
        .iter()
        .map(|&(person, (y, m, d), (ey, em, ed), flag, k)| {
            let municipality = [101, 102, 201][k];
            format!("{person},{y}-{m:02}-{d:02},{ey}-{em:02}-{ed:02},{flag},{municipality}\n")
        })
        .collect()
}

/// Whether the run needs a visit: `day` from 2022 to 30 January 2024, or `ended` in
/// 2022-2023.
fn needed(&(_, day, ended, ..): &Visit) -> bool {
    let in_years = |(y, _, _): (i32, u32, u32)| (2022..=2023).contains(&y);
    in_years(day) || day.0 == 2024 && day.1 == 1 && day.2 <= 30 || in_years(ended)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn leaving_rows_unread_changes_no_figure(visits in visits()) {
        let dir = write_data(&csv_of(&visits));
        let windowed = run(&dir, &[BOUNDED], false).unwrap();
        let everything = run(&dir, &[BOUNDED], true).unwrap();
        prop_assert_eq!(&windowed.report.rows, &everything.report.rows);
        prop_assert_eq!(&windowed.report.data_quality, &everything.report.data_quality);
        // The run's periods are 2022 and 2023.
        let outside = visits.iter().filter(|v| !needed(v)).count();
        prop_assert_eq!(unread(&windowed), outside);
        prop_assert_eq!(unread(&everything), 0);
    }
}

#[test]
fn a_use_that_may_keep_any_row_reads_every_row() {
    let dir = write_data("1,2019-05-01,2019-05-02,true,101\n1,2023-05-01,2023-05-02,false,101\n");
    let bounded = run(&dir, &[BOUNDED], false).unwrap();
    assert_eq!(unread(&bounded), 1);
    let outcome = run(&dir, &[BOUNDED, UNBOUNDED], false).unwrap();
    assert_eq!(unread(&outcome), 0);
    let earlier = outcome
        .report
        .rows
        .iter()
        .find(|r| r.indicator == "earlier_visits")
        .expect("a national row");
    assert_eq!(earlier.value, Some(1.0), "the 2019 visit is counted");
}

#[test]
fn the_plan_says_which_rows_are_read() {
    let text = format!("{HEADER}{BOUNDED}");
    let checked = indikator::workspace::check_sources({
        let mut db = indikator::source_db::SourceDb::new();
        db.add("rules.ind", &text);
        db
    });
    let plan = checked.plan().unwrap();
    let source = &plan.sources[0];
    let windows: Vec<(&str, String, String)> = source
        .windows
        .iter()
        .map(|w| {
            (
                source.columns[w.column].0.as_str(),
                indikator::plan::format_day(w.first_day),
                indikator::plan::format_day(w.last_day),
            )
        })
        .collect();
    let day = |d: &str| d.to_string();
    assert_eq!(
        windows,
        [
            ("day", day("2022-01-01"), day("2024-01-30")),
            ("ended", day("2022-01-01"), day("2023-12-31"))
        ]
    );
}

/// A row left unread is not checked: a bad value in it stops only a run that reads every row.
#[test]
fn a_bad_value_in_an_unread_row_stops_only_a_run_that_reads_it() {
    let dir = write_data("1,2019-05-01,2019-05-01,maybe,101\n1,2023-05-01,2023-05-01,false,101\n");
    let outcome = run(&dir, &[BOUNDED], false).expect("the 2019 row is not read");
    assert_eq!(unread(&outcome), 1);
    match run(&dir, &[BOUNDED], true) {
        Err(RunError::Data(e)) => {
            let message = e.to_string();
            assert!(message.contains("visits.csv:2:"), "{message}");
            assert!(message.contains("column `flag`"), "{message}");
        }
        Err(other) => panic!("expected a data error, got {other}"),
        Ok(_) => panic!("expected the bad row to stop the run"),
    }
    // The date that decides is always checked.
    let dir = write_data("1,2019-02-30,2019-03-01,true,101\n");
    assert!(matches!(
        run(&dir, &[BOUNDED], false),
        Err(RunError::Data(_))
    ));
}
