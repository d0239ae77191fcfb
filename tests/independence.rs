//! An indicator's figures depend on its own rules and the data alone: adding or removing
//! another rule never changes them. In particular `count of` a source counts every row of its
//! extract, whether or not another rule reads any of its columns.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use indikator::pipeline::{self, Outcome};
use indikator::report::Row;

const HEADER: &str = r#"
goal g { title "Goal" }

source visits {
  file "visits.csv"
  columns {
    person: person
    day: date
    flag: bool
    amount: decimal
    municipality: municipality
  }
}

# The same extract declared again with its person column alone: counting it reads no column.
source visit_rows {
  file "visits.csv"
  columns {
    person: person
  }
}

source residents {
  file "residents.csv"
  columns {
    person: person
    municipality: municipality
  }
}
"#;

/// Indicators that each stand on their own; any subset of them is a valid rule set.
const POOL: [&str; 6] = [
    r#"
indicator all_visit_rows {
  title "Rows of the extract"
  goal g
  unit "antal"
  improvement none
  levels national
  period 2023
  measure count
  numerator count of visit_rows
}
"#,
    r#"
indicator flagged_visits {
  title "Flagged visits"
  goal g
  unit "antal"
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure count
  numerator count of visits where flag and day in period
}
"#,
    r#"
cohort flagged_persons {
  persons of visits
  where flag
}

indicator flagged_share {
  title "Residents with a flagged visit"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of residents where person in flagged_persons
  denominator count of residents
}
"#,
    r#"
indicator amounts {
  title "Amounts"
  goal g
  unit "kr."
  improvement none
  levels national, municipality
  period 2023 compare 2022
  measure sum
  numerator sum amount of visits where day in period
}
"#,
    r#"
population visits_in_period {
  from visits
  where day in period
  let later = count(x in visits of same person where x.day > day)
}

indicator later_visits {
  title "Later visits"
  goal g
  unit "antal"
  improvement lower
  levels national, region
  period 2022
  measure sum
  numerator sum later of visits_in_period
}
"#,
    r#"
indicator visit_rows_per_resident {
  title "Visits per resident"
  goal g
  unit "pr. indbygger"
  improvement none
  levels national
  period 2023
  measure ratio
  numerator count of visit_rows
  denominator count of residents
}
"#,
];

const GEOGRAPHY: &str = "code,name,region_code,region_name\n\
101,A,1081,R1\n102,B,1081,R1\n201,C,1082,R2\n";

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn write_data(visits: &str, residents: &str) -> Dir {
    static CASE: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "indikator-independence-{}-{}",
        std::process::id(),
        CASE.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(dir.join("reference")).unwrap();
    fs::write(dir.join("reference/municipalities.csv"), GEOGRAPHY).unwrap();
    fs::write(
        dir.join("visits.csv"),
        format!("person,day,flag,amount,municipality\n{visits}"),
    )
    .unwrap();
    fs::write(
        dir.join("residents.csv"),
        format!("person,municipality\n{residents}"),
    )
    .unwrap();
    Dir(dir)
}

fn run(dir: &Dir, chosen: &[usize]) -> Outcome {
    let text: String = std::iter::once(HEADER)
        .chain(chosen.iter().map(|&k| POOL[k]))
        .collect();
    // No visits at all is one of the cases: allowed here, as `may be empty` would.
    let mut options = pipeline::options(&dir.0);
    options.allow_empty_extracts = true;
    pipeline::run_texts(&[("rules.ind", &text)], &options)
        .unwrap_or_else(|e| panic!("rules {chosen:?}: {e}"))
}

fn rows_of<'a>(outcome: &'a Outcome, indicator: &str) -> Vec<&'a Row> {
    outcome
        .report
        .rows
        .iter()
        .filter(|r| r.indicator == indicator)
        .collect()
}

/// The indicators one entry of the pool defines.
fn names(entry: &str) -> Vec<&str> {
    entry
        .lines()
        .filter_map(|l| l.strip_prefix("indicator "))
        .map(|l| l.trim_end_matches(" {"))
        .collect()
}

/// A visit: person, day (year, month, day), flag, amount in hundredths, municipality.
type Visit = (u32, (i32, u32, u32), bool, u32, usize);

fn visits() -> impl Strategy<Value = Vec<Visit>> {
    let date = (2021i32..2025, 1u32..13, 1u32..29);
    let visit = (0u32..25, date, prop::bool::ANY, 0u32..100_000, 0usize..3);
    prop::collection::vec(visit, 0..120)
}

fn visits_csv(visits: &[Visit]) -> String {
    visits
        .iter()
        .map(|&(person, (y, m, d), flag, cents, k)| {
            let municipality = [101, 102, 201][k];
            format!(
                "{person},{y}-{m:02}-{d:02},{flag},{}.{:02},{municipality}\n",
                cents / 100,
                cents % 100
            )
        })
        .collect()
}

fn residents_csv(municipalities: &[usize]) -> String {
    municipalities
        .iter()
        .enumerate()
        .map(|(person, &k)| format!("{person},{}\n", [101, 102, 201][k]))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn another_rule_never_changes_an_indicators_figures(
        visits in visits(),
        residents in prop::collection::vec(0usize..3, 1..30),
        chosen in prop::collection::btree_set(0usize..POOL.len(), 1..POOL.len()),
    ) {
        let dir = write_data(&visits_csv(&visits), &residents_csv(&residents));
        let everything: Vec<usize> = (0..POOL.len()).collect();
        let chosen: Vec<usize> = chosen.into_iter().collect();
        let full = run(&dir, &everything);
        let part = run(&dir, &chosen);
        for &k in &chosen {
            for name in names(POOL[k]) {
                prop_assert_eq!(rows_of(&part, name), rows_of(&full, name), "indicator {}", name);
            }
        }
        // Counting a source counts every row of its extract, whatever else is read.
        let alone = run(&dir, &[0]);
        let counted = rows_of(&alone, "all_visit_rows")[0].value;
        prop_assert_eq!(counted, Some(visits.len() as f64));
    }
}

/// The case of the report: a source whose columns no rule reads is counted, not taken as empty.
#[test]
fn counting_a_source_whose_columns_nothing_reads_counts_its_rows() {
    let dir = write_data(
        "1,2023-01-05,true,1.50,101\n2,2023-02-05,false,2.25,102\n3,2022-03-01,true,0.10,201\n",
        "1,101\n2,102\n",
    );
    let outcome = run(&dir, &[0, 5]);
    assert_eq!(rows_of(&outcome, "all_visit_rows")[0].value, Some(3.0));
    assert_eq!(
        rows_of(&outcome, "visit_rows_per_resident")[0].value,
        Some(1.5)
    );
}
