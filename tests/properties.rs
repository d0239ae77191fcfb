//! Invariants of the evaluator on random small-area data: standardising against a unit's own
//! population gives its crude rate, suppression never leaks a count, a region's additive counts
//! are the sum of its municipalities', two runs give identical bytes, and an aggregation
//! tallied over batches of rows gives the same figures as one tallied row by row.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use indikator::pipeline;
use indikator::report::Row;
use indikator::words::Level;

const RULES: &str = r#"
goal g { title "Goal" }

source events {
  file "events.csv"
  columns {
    person: person
    day: date
    sex: category("M", "F")
    age: integer
    flag: bool
    municipality: municipality
    score: integer
    kind: category("a", "b")
    diagnosis: code(icd10)
  }
}

codes marked icd10 {
  "DF0*"
}

cohort flagged_persons {
  persons of events
  where flag and day in period
}

population rows {
  from events
  where day in period
  let age_band = band(age, 0, 40, 70)
  let age_next_year = age + 1
}

indicator crude {
  title "Crude"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of rows where flag
  denominator count of rows
}

indicator standardised {
  title "Standardised"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of rows where flag
  denominator count of rows
  standardise by sex, age_band using national
}

# A population built on another, reading its base's lets and its own earlier let over batches
# of rows; its twin's condition reads a relation, so it is built row by row.
population older_rows {
  from rows
  where age_band != "0-39"
  where year(day) - age * 1 >= 1940 and age_next_year != 50 and age < 90
  let older = age >= 60
  let older_flagged = older and flag
}

population older_rows_one_by_one {
  from rows
  where age_band != "0-39" and exists(x in events of same person)
  where (year(day) - age * 1 >= 1940 and age_next_year != 50 and age < 90) and exists(x in events of same person)
  let older = age >= 60
  let older_flagged = older and flag
}

indicator older_flagged {
  title "Older and flagged"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of older_rows where older_flagged and sex != "M"
  denominator count of older_rows where sex in ["F", "M"]
  standardise by sex, age_band using national
}

indicator older_flagged_row_by_row {
  title "Older and flagged, row by row"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of older_rows_one_by_one where older_flagged and sex != "M" and exists(x in events of same person)
  denominator count of older_rows_one_by_one where sex in ["F", "M"] and exists(x in events of same person)
  standardise by sex, age_band using national
}

# Conditions on columns with missing values (a number, a category, a code) and on a cohort,
# over batches and, with a relation that always holds, row by row.
indicator mixed {
  title "Mixed"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of rows where diagnosis in marked and score * 2 - 1 >= 3 and person in flagged_persons and kind != "a"
  denominator count of rows where diagnosis not in marked or kind not in ["b"] or score != 2
}

indicator mixed_row_by_row {
  title "Mixed, row by row"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of rows where diagnosis in marked and score * 2 - 1 >= 3 and person in flagged_persons and kind != "a" and exists(x in events of same person)
  denominator count of rows where (diagnosis not in marked or kind not in ["b"] or score != 2) and exists(x in events of same person)
}

indicator mixed_parts {
  title "Mixed, each part its own condition"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of rows where diagnosis not in marked and score < 4 and person not in flagged_persons and kind in ["b"]
  denominator count of rows where kind == "b" and score != 2
}

indicator mixed_parts_row_by_row {
  title "Mixed, each part its own condition, row by row"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of rows where diagnosis not in marked and score < 4 and person not in flagged_persons and kind in ["b"] and exists(x in events of same person)
  denominator count of rows where kind == "b" and score != 2 and exists(x in events of same person)
}

# The same figures again, with conditions that hold for every row but read a relation, so
# these aggregations are tallied row by row instead of over batches.
indicator standardised_row_by_row {
  title "Standardised, row by row"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of rows where flag and exists(x in events of same person)
  denominator count of rows where exists(x in events of same person)
  standardise by sex, age_band using national
}

indicator mean_age {
  title "Mean age"
  goal g
  unit "år"
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure mean
  value age of rows where flag
}

indicator mean_age_row_by_row {
  title "Mean age, row by row"
  goal g
  unit "år"
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure mean
  value age of rows where flag and exists(x in events of same person)
}

indicator protected {
  title "Protected"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of rows where flag
  denominator count of rows
  at municipality {
    suppress when denominator < 6 or numerator < 2 reason small_numbers
  }
}
"#;

const GEOGRAPHY: &str = "code,name,region_code,region_name\n\
101,A1,1081,Region A\n102,A2,1081,Region A\n103,A3,1081,Region A\n\
201,B1,1082,Region B\n202,B2,1082,Region B\n203,B3,1082,Region B\n";

const MUNICIPALITIES: [u32; 6] = [101, 102, 103, 201, 202, 203];

#[derive(Debug, Clone)]
struct Event {
    person: u32,
    year: i32,
    female: bool,
    age: u32,
    flag: bool,
    municipality: usize,
    /// A number, or missing.
    score: Option<u32>,
    /// "a", "b" or missing.
    kind: Option<&'static str>,
    /// A diagnosis code, or missing.
    diagnosis: Option<&'static str>,
}

fn events() -> impl Strategy<Value = Vec<Event>> {
    let event = (
        (0u32..60, prop::bool::ANY, prop::bool::ANY, 0u32..95),
        (prop::bool::ANY, 0usize..6, prop::option::of(0u32..6)),
        (
            prop::option::of(prop::sample::select(vec!["a", "b"])),
            prop::option::of(prop::sample::select(vec!["DF01", "DF02", "DI21"])),
        ),
    )
        .prop_map(
            |((person, this_year, female, age), (flag, municipality, score), (kind, diagnosis))| {
                Event {
                    person,
                    year: if this_year { 2023 } else { 2022 },
                    female,
                    age,
                    flag,
                    municipality,
                    score,
                    kind,
                    diagnosis,
                }
            },
        );
    prop::collection::vec(event, 1..120)
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn write_data(events: &[Event]) -> Dir {
    static CASE: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "indikator-properties-{}-{}",
        std::process::id(),
        CASE.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(dir.join("reference")).unwrap();
    fs::write(dir.join("reference/municipalities.csv"), GEOGRAPHY).unwrap();
    let mut csv = String::from("person,day,sex,age,flag,municipality,score,kind,diagnosis\n");
    for (k, e) in events.iter().enumerate() {
        let day = 1 + (k % 28);
        csv.push_str(&format!(
            "{},{}-03-{day:02},{},{},{},{},{},{},{}\n",
            e.person,
            e.year,
            if e.female { "F" } else { "M" },
            e.age,
            e.flag,
            MUNICIPALITIES[e.municipality],
            e.score.map_or(String::new(), |s| s.to_string()),
            e.kind.unwrap_or(""),
            e.diagnosis.unwrap_or(""),
        ));
    }
    fs::write(dir.join("events.csv"), csv).unwrap();
    Dir(dir)
}

fn rows_of<'a>(rows: &'a [Row], indicator: &str, period: &str) -> Vec<&'a Row> {
    rows.iter()
        .filter(|r| r.indicator == indicator && r.period == period)
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn standardising_against_the_own_population_gives_the_crude_rate(events in events()) {
        let dir = write_data(&events);
        let outcome = pipeline::run_texts(&[("rules.ind", RULES)], &pipeline::options(&dir.0)).unwrap();
        // The figures before complementary suppression, which may hide a crude cell because
        // `protected` hides the same count (docs/methods.md, "Disclosure control").
        let report = indikator::report::build_with(
            &outcome.plan,
            &outcome.evaluation,
            indikator::report::Protection::PrimaryOnly,
        );
        for period in ["2023", "2022"] {
            let crude = rows_of(&report.rows, "crude", period);
            let standardised = rows_of(&report.rows, "standardised", period);
            let national = |rows: &[&Row]| rows.iter().find(|r| r.level == Level::National).and_then(|r| r.value);
            match (national(&crude), national(&standardised)) {
                (Some(c), Some(s)) => prop_assert!(close(c, s), "crude {c} vs standardised {s}"),
                (c, s) => prop_assert_eq!(c.is_some(), s.is_some()),
            }
        }
    }

    #[test]
    fn suppression_never_leaks_a_count(events in events()) {
        let dir = write_data(&events);
        let outcome = pipeline::run_texts(&[("rules.ind", RULES)], &pipeline::options(&dir.0)).unwrap();
        let out = dir.0.join("out");
        indikator::report::write_all(&outcome.report, &out).unwrap();
        for row in &outcome.report.rows {
            if row.suppressed.is_some() {
                prop_assert!(row.numerator.is_none() && row.denominator.is_none());
                prop_assert!(row.value.is_none() && row.ci_low.is_none() && row.ci_high.is_none());
                prop_assert!(row.development.is_none() && row.level_marking.is_none());
            }
        }
        // And in the written file: every suppressed line has its number fields empty.
        let text = fs::read_to_string(out.join("report.csv")).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
        for record in reader.records() {
            let record = record.unwrap();
            if !record[at("suppressed")].is_empty() {
                for column in ["numerator", "denominator", "value", "ci_low", "ci_high", "development", "level_marking"] {
                    prop_assert_eq!(&record[at(column)], "");
                }
            }
        }
        let json = fs::read_to_string(out.join("report.json")).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        for row in parsed["rows"].as_array().unwrap() {
            if !row["suppressed"].is_null() {
                prop_assert!(row["numerator"].is_null() && row["denominator"].is_null() && row["value"].is_null());
            }
        }
    }

    #[test]
    fn regions_add_up_their_municipalities(events in events()) {
        let dir = write_data(&events);
        let outcome = pipeline::run_texts(&[("rules.ind", RULES)], &pipeline::options(&dir.0)).unwrap();
        // The engine's roll-up, before complementary suppression hides cells for publication.
        let report = indikator::report::build_with(
            &outcome.plan,
            &outcome.evaluation,
            indikator::report::Protection::PrimaryOnly,
        );
        for period in ["2023", "2022"] {
            let rows = rows_of(&report.rows, "crude", period);
            for (region, members) in [(1081u32, [101u32, 102, 103]), (1082, [201, 202, 203])] {
                let region_row = rows.iter().find(|r| r.level == Level::Region && r.unit_code == region).unwrap();
                let sum = |f: fn(&Row) -> Option<f64>| -> f64 {
                    rows.iter()
                        .filter(|r| r.level == Level::Municipality && members.contains(&r.unit_code))
                        .map(|r| f(r).unwrap_or(0.0))
                        .sum()
                };
                if region_row.suppressed.is_none() {
                    prop_assert_eq!(region_row.numerator.unwrap(), sum(|r| r.numerator));
                    prop_assert_eq!(region_row.denominator.unwrap(), sum(|r| r.denominator));
                }
            }
            let national = rows.iter().find(|r| r.level == Level::National).unwrap();
            if national.suppressed.is_none() {
                let regions: f64 = rows.iter().filter(|r| r.level == Level::Region).map(|r| r.denominator.unwrap_or(0.0)).sum();
                prop_assert_eq!(national.denominator.unwrap(), regions);
            }
        }
    }

    #[test]
    fn batches_and_rows_give_the_same_figures(events in events()) {
        let dir = write_data(&events);
        let outcome = pipeline::run_texts(&[("rules.ind", RULES)], &pipeline::options(&dir.0)).unwrap();
        // The figures before complementary suppression, which treats indicators that share a
        // count together and so may hide one of a pair and not the other.
        let report = indikator::report::build_with(
            &outcome.plan,
            &outcome.evaluation,
            indikator::report::Protection::PrimaryOnly,
        );
        for (batched, one_by_one) in [
            ("standardised", "standardised_row_by_row"),
            ("mean_age", "mean_age_row_by_row"),
            ("older_flagged", "older_flagged_row_by_row"),
            ("mixed", "mixed_row_by_row"),
            ("mixed_parts", "mixed_parts_row_by_row"),
        ] {
            for period in ["2023", "2022"] {
                let figures = |name| -> Vec<_> {
                    rows_of(&report.rows, name, period)
                        .iter()
                        .map(|r| (r.level, r.unit_code, r.numerator, r.denominator, r.value, r.ci_low, r.ci_high, r.suppressed.clone()))
                        .collect()
                };
                let expected = figures(one_by_one);
                prop_assert!(!expected.is_empty());
                prop_assert_eq!(figures(batched), expected);
            }
        }
    }

    #[test]
    fn two_runs_give_identical_bytes(events in events()) {
        let dir = write_data(&events);
        let mut outputs = Vec::new();
        for k in 0..2 {
            let outcome = pipeline::run_texts(&[("rules.ind", RULES)], &pipeline::options(&dir.0)).unwrap();
            let out = dir.0.join(format!("out{k}"));
            indikator::report::write_all(&outcome.report, &out).unwrap();
            let files: Vec<Vec<u8>> = ["report.csv", "report.json", "tabel_1.csv", "data_quality.csv"]
                .iter()
                .map(|f| fs::read(out.join(f)).unwrap())
                .collect();
            outputs.push(files);
        }
        prop_assert_eq!(&outputs[0], &outputs[1]);
    }
}
