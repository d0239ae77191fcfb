//! Bad data never crashes and never silently disappears: each kind of bad row stops the run
//! with the file, line, column, value and what was expected, or under `skip` is left out
//! and counted in the data-quality section.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use indikator::eval::BadRows;
use indikator::pipeline::{self, RunError};
use indikator::words::Level;

const RULES: &str = r#"
goal g { title "Goal" }

source admissions {
  file "admissions.csv"
  columns {
    person: person
    admitted: date
    kind: category("somatic", "psychiatric")
    cost: decimal
    municipality: municipality
  }
}

population somatic {
  from admissions
  where kind == "somatic" and admitted in period and cost >= 0
}

indicator somatic_admissions {
  title "Somatic admissions"
  goal g
  unit "antal"
  improvement lower
  levels national, region, municipality
  period 2023
  measure count
  numerator count of somatic
}
"#;

const GEOGRAPHY: &str =
    "code,name,region_code,region_name\n101,A-by,1081,Region A\n147,B-by,1082,Region B\n";

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn data_dir(name: &str, admissions: &str) -> Dir {
    let dir =
        std::env::temp_dir().join(format!("indikator-bad-data-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("reference")).unwrap();
    fs::write(dir.join("reference/municipalities.csv"), GEOGRAPHY).unwrap();
    fs::write(dir.join("admissions.csv"), admissions).unwrap();
    Dir(dir)
}

fn run(dir: &Path, bad_rows: BadRows) -> Result<pipeline::Outcome, RunError> {
    let mut options = pipeline::options(dir);
    options.bad_rows = bad_rows;
    pipeline::run_texts(&[("rules.ind", RULES)], &options)
}

fn data_error(dir: &Path) -> String {
    match run(dir, BadRows::Stop) {
        Err(RunError::Data(e)) => e.to_string(),
        Err(other) => panic!("expected a data error, got {other}"),
        Ok(_) => panic!("expected a data error, the run succeeded"),
    }
}

const HEADER: &str = "person,admitted,kind,cost,municipality\n";

#[test]
fn good_data_runs() {
    let dir = data_dir(
        "good",
        &format!("{HEADER}1,2023-01-05,somatic,10.5,101\n2,2023-02-01,somatic,3,147\n"),
    );
    let outcome = run(&dir.0, BadRows::Stop).expect("the run succeeds");
    let national = outcome
        .report
        .rows
        .iter()
        .find(|r| r.level == Level::National)
        .expect("a national row");
    assert_eq!(national.value, Some(2.0));
}

#[test]
fn a_short_row_names_file_and_line() {
    let dir = data_dir(
        "short",
        &format!("{HEADER}1,2023-01-05,somatic,10.5,101\n2,2023-02-01,somatic\n"),
    );
    let message = data_error(&dir.0);
    assert!(message.contains("admissions.csv:3:"), "{message}");
    assert!(
        message.contains("the row has 3 fields, the header has 5"),
        "{message}"
    );
}

#[test]
fn an_unknown_municipality_names_column_and_value() {
    let dir = data_dir(
        "municipality",
        &format!("{HEADER}1,2023-01-05,somatic,10.5,999\n"),
    );
    let message = data_error(&dir.0);
    assert!(message.contains("admissions.csv:2:"), "{message}");
    assert!(message.contains("column `municipality`"), "{message}");
    assert!(message.contains("`999`"), "{message}");
    assert!(message.contains("unknown municipality code"), "{message}");
    assert!(
        message.contains("declared in source `admissions`"),
        "{message}"
    );
}

#[test]
fn an_impossible_date_is_refused() {
    let dir = data_dir("date", &format!("{HEADER}1,2023-02-30,somatic,10.5,101\n"));
    let message = data_error(&dir.0);
    assert!(message.contains("column `admitted`"), "{message}");
    assert!(message.contains("`2023-02-30`: no such day"), "{message}");
}

#[test]
fn a_date_in_another_format_is_refused() {
    let dir = data_dir(
        "date-format",
        &format!("{HEADER}1,05/01/2023,somatic,10.5,101\n"),
    );
    let message = data_error(&dir.0);
    assert!(
        message.contains("expected a date written YYYY-MM-DD"),
        "{message}"
    );
}

#[test]
fn a_missing_column_is_named() {
    let dir = data_dir(
        "column",
        "person,admitted,cost,municipality\n1,2023-01-05,10.5,101\n",
    );
    let message = data_error(&dir.0);
    assert!(message.contains("admissions.csv:1:"), "{message}");
    assert!(
        message.contains("the header has no column `kind`"),
        "{message}"
    );
}

#[test]
fn an_undeclared_category_value_is_refused() {
    let dir = data_dir(
        "category",
        &format!("{HEADER}1,2023-01-05,somatc,10.5,101\n"),
    );
    let message = data_error(&dir.0);
    assert!(message.contains("column `kind`"), "{message}");
    assert!(
        message.contains("not one of the declared values"),
        "{message}"
    );
}

#[test]
fn a_decimal_comma_is_explained() {
    let dir = data_dir(
        "comma",
        &format!("{HEADER}1,2023-01-05,somatic,\"10,5\",101\n"),
    );
    let message = data_error(&dir.0);
    assert!(message.contains("decimal point, not a comma"), "{message}");
}

#[test]
fn a_missing_extract_is_named() {
    let dir = data_dir("missing-file", HEADER);
    fs::remove_file(dir.0.join("admissions.csv")).unwrap();
    let message = data_error(&dir.0);
    assert!(message.contains("admissions.csv"), "{message}");
    assert!(message.contains("cannot open the extract"), "{message}");
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_out_of_the_data_directory_is_refused() {
    let dir = data_dir("symlink", HEADER);
    let outside =
        std::env::temp_dir().join(format!("indikator-outside-{}.csv", std::process::id()));
    fs::write(&outside, format!("{HEADER}1,2023-01-05,somatic,10.5,101\n")).unwrap();
    fs::remove_file(dir.0.join("admissions.csv")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.0.join("admissions.csv")).unwrap();
    let message = data_error(&dir.0);
    let _ = fs::remove_file(&outside);
    assert!(message.contains("outside the data directory"), "{message}");
}

#[test]
fn skipped_rows_are_counted_not_lost() {
    let rows = format!(
        "{HEADER}1,2023-01-05,somatic,10.5,101\n2,2023-02-30,somatic,1,101\n3,2023-03-01,somatic,1,999\n4,2023-04-01,somatic,1,888\n5,2023-05-01,somatic\n6,2023-06-01,somatic,2,147\n"
    );
    let dir = data_dir("skip", &rows);
    let outcome = run(&dir.0, BadRows::Skip).expect("the run succeeds with skipped rows");
    let quality = &outcome.report.data_quality;
    // Rows 2 (date), 3 and 4 (municipality) and 5 (short) are left out; 1 and 6 are counted.
    let total: usize = quality.iter().map(|q| q.rows).sum();
    assert_eq!(total, 4, "{quality:?}");
    let municipality = quality
        .iter()
        .find(|q| q.column.as_deref() == Some("municipality"))
        .expect("the municipality problem is listed");
    assert_eq!(municipality.rows, 2);
    assert_eq!(municipality.first_line, 4);
    assert_eq!(municipality.first_value.as_deref(), Some("999"));
    let national = outcome
        .report
        .rows
        .iter()
        .find(|r| r.level == Level::National)
        .unwrap();
    assert_eq!(national.value, Some(2.0));
}

#[test]
fn a_row_without_municipality_counts_nationally_and_is_reported() {
    let dir = data_dir(
        "no-municipality",
        &format!("{HEADER}1,2023-01-05,somatic,1,101\n2,2023-01-06,somatic,1,\n"),
    );
    let outcome = run(&dir.0, BadRows::Stop).expect("a missing municipality is not a bad row");
    let value = |level: &str, code: u32| {
        outcome
            .report
            .rows
            .iter()
            .find(|r| r.level.as_str() == level && r.unit_code == code)
            .and_then(|r| r.value)
    };
    // Both rows count for the country; only the first has a municipality (101, Region A).
    assert_eq!(value("national", 0), Some(2.0));
    assert_eq!(value("region", 1081), Some(1.0));
    assert_eq!(value("municipality", 101), Some(1.0));
    let note = outcome
        .report
        .data_quality
        .iter()
        .find(|q| q.problem.starts_with("no municipality"))
        .expect("the rows without a municipality are reported");
    assert_eq!(note.rows, 1);
    assert_eq!(note.column.as_deref(), Some("municipality"));
}

/// Rows are read many at a time, column by column; a bad value among thousands of good ones
/// is still reported at its own line and column, and under `skip` only its row is left out.
#[test]
fn a_bad_value_among_many_rows_is_found_at_its_line() {
    let mut rows = String::from(HEADER);
    for k in 0..5000 {
        let date = if k == 3210 {
            "2023-13-01"
        } else {
            "2023-03-01"
        };
        // Padded and missing values take the general path within the same rows.
        let municipality = match k % 3 {
            0 => "101",
            1 => " 147 ",
            _ => "",
        };
        rows.push_str(&format!("{k},{date},somatic,1,{municipality}\n"));
    }
    let dir = data_dir("many", &rows);
    let message = data_error(&dir.0);
    assert!(message.contains("admissions.csv:3212:"), "{message}");
    assert!(message.contains("column `admitted`"), "{message}");
    assert!(message.contains("`2023-13-01`: no such day"), "{message}");
    let outcome = run(&dir.0, BadRows::Skip).expect("the run succeeds with the row left out");
    let quality = &outcome.report.data_quality;
    let left_out: Vec<_> = quality.iter().filter(|q| q.first_line > 0).collect();
    assert_eq!(left_out.len(), 1, "{quality:?}");
    assert_eq!((left_out[0].rows, left_out[0].first_line), (1, 3212));
    let value = |unit: u32| {
        let row = outcome.report.rows.iter().find(|r| r.unit_code == unit);
        row.and_then(|r| r.value)
    };
    // Rows 0, 3, … live in 101 (but 3210); 1, 4, … (padded) in 147; the rest only count
    // nationally.
    assert_eq!(value(0), Some(4999.0));
    assert_eq!(value(101), Some(1666.0));
    assert_eq!(value(147), Some(1667.0));
}
