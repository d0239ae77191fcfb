//! What an extract must be and what its source declares of its rows: a quote that never
//! closes, a header-only extract, a header naming a column twice and an extract that is not
//! UTF-8 stop the run at their line even under `--on-bad-row skip`; rows that break a declared
//! range, unique key, `one … per …` or `require` stop it with file, line, column and value, or
//! under `skip` are left out and counted per constraint.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use indikator::eval::BadRows;
use indikator::pipeline::{self, RunError};
use indikator::words::Level;

/// `CONSTRAINTS` stands for the source's constraint clauses, `RANGE` for `finished_days`'
/// range (left out by the tests of what every extract must be, which need no declaration).
const RULES: &str = r#"
goal g { title "Goal" }

source admissions {
  file "admissions.csv"
  columns {
    person: person
    admitted: date
    birth_date: date
    ward: text
    finished_days: integer RANGE "days finished but still admitted"
    municipality: municipality
  }
  CONSTRAINTS
}

population stays {
  from admissions
  where admitted in period and ward != "closed"
}

indicator admissions_count {
  title "Admissions"
  goal g
  unit "antal"
  improvement lower
  levels national, region, municipality
  period 2023
  measure count
  numerator count of stays
}

indicator finished_days {
  title "Finished days"
  goal g
  unit "dage"
  improvement lower
  levels national
  period 2023
  measure sum
  numerator sum finished_days of stays
}
"#;

const GEOGRAPHY: &str =
    "code,name,region_code,region_name\n101,A-by,1081,Region A\n147,B-by,1082,Region B\n";

const HEADER: &str = "person,admitted,birth_date,ward,finished_days,municipality\n";

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn data_dir(name: &str, admissions: &[u8]) -> Dir {
    let dir = std::env::temp_dir().join(format!(
        "indikator-extract-validation-{name}-{}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("reference")).unwrap();
    fs::write(dir.join("reference/municipalities.csv"), GEOGRAPHY).unwrap();
    fs::write(dir.join("admissions.csv"), admissions).unwrap();
    Dir(dir)
}

fn run(dir: &Path, constraints: &str, bad_rows: BadRows) -> Result<pipeline::Outcome, RunError> {
    let mut options = pipeline::options(dir);
    options.bad_rows = bad_rows;
    let range = if constraints.is_empty() || constraints == "may be empty" {
        ""
    } else {
        "in 0..1000"
    };
    let rules = RULES
        .replace("CONSTRAINTS", constraints)
        .replace("RANGE", range);
    pipeline::run_texts(&[("rules.ind", &rules)], &options)
}

/// The range of `finished_days` alone.
const RANGE_ONLY: &str = "# the range of finished_days";

fn data_error(dir: &Path, constraints: &str, bad_rows: BadRows) -> String {
    match run(dir, constraints, bad_rows) {
        Err(RunError::Data(e)) => e.to_string(),
        Err(other) => panic!("expected a data error, got {other}"),
        Ok(outcome) => panic!(
            "expected a data error, the run succeeded (data quality: {:?})",
            outcome.report.data_quality
        ),
    }
}

/// The national figure of an indicator.
fn national(outcome: &pipeline::Outcome, indicator: &str) -> Option<f64> {
    outcome
        .report
        .rows
        .iter()
        .find(|r| r.level == Level::National && r.indicator == indicator)
        .and_then(|r| r.value)
}

/// `n` good rows, lines 2 to `n + 1`, person `k` on line `k + 1`.
fn good_rows(n: usize) -> String {
    (1..=n)
        .map(|k| format!("{k},2023-03-{:02},1950-01-01,medical,1,101\n", k % 28 + 1))
        .collect()
}

#[test]
fn good_rows_give_their_figures() {
    let dir = data_dir("good", format!("{HEADER}{}", good_rows(40)).as_bytes());
    let outcome = run(&dir.0, "", BadRows::Stop).expect("the run succeeds");
    assert_eq!(national(&outcome, "admissions_count"), Some(40.0));
    assert_eq!(national(&outcome, "finished_days"), Some(40.0));
}

/// Item 2: one `"` added in line 22 used to swallow every later row into one bad row under
/// `skip`.
#[test]
fn a_quote_that_never_closes_stops_the_run_even_under_skip() {
    let mut rows: Vec<String> = good_rows(40).lines().map(str::to_string).collect();
    rows[20] = rows[20].replace(",medical,", ",\"medical,");
    let text = format!("{HEADER}{}\n", rows.join("\n"));
    let dir = data_dir("unclosed-quote", text.as_bytes());
    for bad_rows in [BadRows::Stop, BadRows::Skip] {
        let message = data_error(&dir.0, "", bad_rows);
        assert!(message.contains("admissions.csv:22:"), "{message}");
        assert!(message.contains("never closes"), "{message}");
        assert!(message.contains("lines 22 to 41"), "{message}");
    }
}

/// A stray quote closed by another stray quote lines later: the lines between would be one
/// bad row under `skip`.
#[test]
fn a_quoted_field_running_over_lines_stops_the_run_even_under_skip() {
    let mut rows: Vec<String> = good_rows(40).lines().map(str::to_string).collect();
    rows[20] = rows[20].replace(",medical,", ",\"medical,");
    rows[30] = rows[30].replacen("2023-", "2023\"-", 1);
    let text = format!("{HEADER}{}\n", rows.join("\n"));
    let dir = data_dir("long-quote", text.as_bytes());
    let message = data_error(&dir.0, "", BadRows::Skip);
    assert!(message.contains("admissions.csv:22:"), "{message}");
    assert!(message.contains("runs over 11 lines"), "{message}");
}

/// Two stray quotes at the start of one field on successive lines join the lines into one
/// record of the header's width: one row was lost with exit status 0. A value spanning lines is
/// accepted only in a `text` column.
#[test]
fn two_rows_joined_by_stray_quotes_stop_the_run_even_under_skip() {
    let mut rows: Vec<String> = good_rows(40).lines().map(str::to_string).collect();
    rows[20] = rows[20].replacen(",1950-01-01,", ",\"1950-01-01,", 1);
    rows[21] = rows[21].replacen(",1950-01-01,", ",\"1950-01-01,", 1);
    let text = format!("{HEADER}{}\n", rows.join("\n"));
    let dir = data_dir("joined-rows", text.as_bytes());
    for bad_rows in [BadRows::Stop, BadRows::Skip] {
        let message = data_error(&dir.0, "", bad_rows);
        assert!(message.contains("admissions.csv:22:"), "{message}");
        assert!(message.contains("column 'birth_date'"), "{message}");
        assert!(message.contains("lines 22 to 23"), "{message}");
    }
    // In a `text` column a line end is a value like any other.
    let mut rows: Vec<String> = good_rows(3).lines().map(str::to_string).collect();
    rows[1] = rows[1].replacen(",medical,", ",\"medical\nward\",", 1);
    let text = format!("{HEADER}{}\n", rows.join("\n"));
    let dir = data_dir("text-over-lines", text.as_bytes());
    let outcome = run(&dir.0, "", BadRows::Stop).expect("a text value may span lines");
    assert_eq!(national(&outcome, "admissions_count"), Some(3.0));
}

/// Item 3: a header and no rows made every figure 0, with nothing said.
#[test]
fn a_header_only_extract_is_an_error_unless_it_may_be_empty() {
    let dir = data_dir("header-only", HEADER.as_bytes());
    for bad_rows in [BadRows::Stop, BadRows::Skip] {
        let message = data_error(&dir.0, "", bad_rows);
        assert!(message.contains("admissions.csv:1:"), "{message}");
        assert!(message.contains("a header and no rows"), "{message}");
        assert!(message.contains("`may be empty`"), "{message}");
    }
    let outcome = run(&dir.0, "may be empty", BadRows::Stop).expect("an empty extract allowed");
    assert_eq!(national(&outcome, "admissions_count"), Some(0.0));
}

/// Item 4: two columns of one name, of which the first won.
#[test]
fn a_header_naming_a_column_twice_is_an_error_even_under_skip() {
    let header = "person,admitted,birth_date,ward,finished_days,municipality,municipality\n";
    let dir = data_dir(
        "duplicate-header",
        format!("{header}1,2023-03-01,1950-01-01,medical,1,101,147\n").as_bytes(),
    );
    for bad_rows in [BadRows::Stop, BadRows::Skip] {
        let message = data_error(&dir.0, "", bad_rows);
        assert!(message.contains("admissions.csv:1:"), "{message}");
        assert!(message.contains("column `municipality`"), "{message}");
        assert!(message.contains("fields 6 and 7"), "{message}");
    }
}

/// Item 5: a negative or absurd value in a column whose meaning forbids it.
#[test]
fn a_value_outside_its_declared_range_is_located() {
    let mut text = format!("{HEADER}{}", good_rows(5));
    text.push_str("6,2023-03-06,1950-01-01,medical,-40,101\n");
    text.push_str("7,2023-03-07,1950-01-01,medical,9000000000,101\n");
    let dir = data_dir("range", text.as_bytes());
    let message = data_error(&dir.0, RANGE_ONLY, BadRows::Stop);
    assert!(message.contains("admissions.csv:7:"), "{message}");
    assert!(message.contains("column `finished_days`"), "{message}");
    assert!(message.contains("`-40`"), "{message}");
    assert!(message.contains("`finished_days in 0..1000`"), "{message}");
    assert!(message.contains("source `admissions`"), "{message}");
}

#[test]
fn values_outside_their_range_are_counted_and_left_out_under_skip() {
    let mut text = format!("{HEADER}{}", good_rows(5));
    text.push_str("6,2023-03-06,1950-01-01,medical,-40,101\n");
    text.push_str("7,2023-03-07,1950-01-01,medical,9000000000,101\n");
    let dir = data_dir("range-skip", text.as_bytes());
    let outcome = run(&dir.0, RANGE_ONLY, BadRows::Skip).expect("the run succeeds");
    let quality = &outcome.report.data_quality;
    assert_eq!(quality.len(), 1, "{quality:?}");
    assert_eq!(quality[0].rows, 2);
    assert_eq!(quality[0].first_line, 7);
    assert_eq!(quality[0].first_value.as_deref(), Some("-40"));
    assert_eq!(quality[0].column.as_deref(), Some("finished_days"));
    assert!(quality[0].problem.contains("finished_days in 0..1000"));
    assert_eq!(national(&outcome, "admissions_count"), Some(5.0));
    assert_eq!(national(&outcome, "finished_days"), Some(5.0));
}

/// Item 6: the same row twice was counted twice.
#[test]
fn a_row_repeating_a_unique_key_is_located() {
    let mut text = format!("{HEADER}{}", good_rows(5));
    text.push_str("3,2023-03-04,1950-01-01,medical,1,101\n");
    let dir = data_dir("unique", text.as_bytes());
    let message = data_error(&dir.0, "unique person, admitted", BadRows::Stop);
    assert!(message.contains("admissions.csv:7:"), "{message}");
    assert!(message.contains("`3, 2023-03-04`"), "{message}");
    assert!(message.contains("repeats the key of line 4"), "{message}");
}

#[test]
fn duplicate_rows_are_counted_and_left_out_under_skip() {
    let mut text = format!("{HEADER}{}", good_rows(5));
    text.push_str("3,2023-03-04,1950-01-01,medical,1,101\n");
    text.push_str("3,2023-03-04,1950-01-01,medical,1,101\n");
    text.push_str("5,2023-03-06,1950-01-01,medical,1,101\n");
    let dir = data_dir("unique-skip", text.as_bytes());
    let outcome = run(&dir.0, "unique person, admitted", BadRows::Skip).expect("the run succeeds");
    let quality = &outcome.report.data_quality;
    assert_eq!(quality.len(), 1, "{quality:?}");
    assert_eq!(quality[0].rows, 3);
    assert_eq!(quality[0].first_line, 7);
    assert!(quality[0].problem.contains("unique person, admitted"));
    assert_eq!(national(&outcome, "admissions_count"), Some(5.0));
}

/// Item 6: two birth dates for one person were resolved silently.
#[test]
fn two_values_for_one_person_are_located() {
    let mut text = format!("{HEADER}{}", good_rows(5));
    text.push_str("2,2023-05-01,1951-02-03,medical,1,101\n");
    let dir = data_dir("one-per", text.as_bytes());
    let message = data_error(&dir.0, "one birth_date per person", BadRows::Stop);
    assert!(message.contains("admissions.csv:7:"), "{message}");
    assert!(message.contains("column `birth_date`"), "{message}");
    assert!(message.contains("`1951-02-03`"), "{message}");
    assert!(
        message.contains("line 3 gives birth_date `1950-01-01` for the same person `2`"),
        "{message}"
    );
    // A missing birth date is no second value.
    let mut text = format!("{HEADER}{}", good_rows(5));
    text.push_str("2,2023-05-01,,medical,1,101\n");
    let dir = data_dir("one-per-missing", text.as_bytes());
    run(&dir.0, "one birth_date per person", BadRows::Stop).expect("a missing value passes");
}

/// Item 6: a birth date after the date of the row.
#[test]
fn a_row_breaking_a_required_order_is_located_or_counted() {
    let mut text = format!("{HEADER}{}", good_rows(5));
    text.push_str("6,2023-03-06,2024-01-01,medical,1,101\n");
    let dir = data_dir("require", text.as_bytes());
    let constraint = "require birth_date <= admitted";
    let message = data_error(&dir.0, constraint, BadRows::Stop);
    assert!(message.contains("admissions.csv:7:"), "{message}");
    assert!(message.contains("`2024-01-01`"), "{message}");
    assert!(message.contains("admitted is `2023-03-06`"), "{message}");
    let outcome = run(&dir.0, constraint, BadRows::Skip).expect("the run succeeds");
    assert_eq!(outcome.report.data_quality[0].rows, 1);
    assert_eq!(national(&outcome, "admissions_count"), Some(5.0));
}

/// An extract written in Latin-1 or Windows-1252: its texts would be bad rows one by one.
#[test]
fn an_extract_in_latin1_is_named_with_how_to_convert_it() {
    let mut bytes = format!("{HEADER}{}", good_rows(3)).into_bytes();
    bytes.extend_from_slice(b"4,2023-03-04,1950-01-01,\xC6ldre,1,101\n");
    let dir = data_dir("latin1", &bytes);
    for bad_rows in [BadRows::Stop, BadRows::Skip] {
        let message = data_error(&dir.0, "", bad_rows);
        assert!(message.contains("admissions.csv:5:"), "{message}");
        assert!(message.contains("column `ward`"), "{message}");
        assert!(message.contains("Latin-1"), "{message}");
        assert!(message.contains("`Ældre`"), "{message}");
        assert!(message.contains("iconv -f LATIN1 -t UTF-8"), "{message}");
    }
}

#[test]
fn an_extract_in_utf16_is_named_with_how_to_convert_it() {
    let text = format!("{HEADER}{}", good_rows(3));
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let dir = data_dir("utf16", &bytes);
    let message = data_error(&dir.0, "", BadRows::Skip);
    assert!(message.contains("admissions.csv:1:"), "{message}");
    assert!(message.contains("UTF-16LE"), "{message}");
    assert!(message.contains("byte-order mark"), "{message}");
    assert!(message.contains("iconv -f UTF-16LE -t UTF-8"), "{message}");
}

/// Rows outside the run's periods are left unread, and so not checked: a duplicate of a row
/// of 2019 does not stop a run over 2023 (`--read-all-rows` reads and checks it).
#[test]
fn rows_left_unread_are_not_checked() {
    let mut text = format!("{HEADER}{}", good_rows(3));
    text.push_str("9,2019-03-04,1950-01-01,medical,-5,101\n");
    let dir = data_dir("unread", text.as_bytes());
    let outcome = run(&dir.0, RANGE_ONLY, BadRows::Stop).expect("the unread row is not checked");
    assert_eq!(national(&outcome, "admissions_count"), Some(3.0));
    let mut options = pipeline::options(&dir.0);
    options.read_all_rows = true;
    let rules = RULES
        .replace("CONSTRAINTS", "")
        .replace("RANGE", "in 0..1000");
    match pipeline::run_texts(&[("rules.ind", &rules)], &options) {
        Err(RunError::Data(e)) => assert!(e.to_string().contains("admissions.csv:5:"), "{e}"),
        _ => panic!("reading every row finds the bad value"),
    }
}

/// Copies `from` into `to`, directories and all.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Appends `rows` to an extract of `dir`.
fn append(dir: &Path, file: &str, rows: &[String]) {
    let path = dir.join(file);
    let mut text = fs::read_to_string(&path).unwrap();
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    fs::write(path, text).unwrap();
}

/// The first row of `file` whose `column` starts with `prefix`, as its fields.
fn a_row(dir: &Path, file: &str, column: usize, prefix: &str) -> Vec<String> {
    let text = fs::read_to_string(dir.join(file)).unwrap();
    let line = text
        .lines()
        .skip(1)
        .find(|l| l.split(',').nth(column).unwrap().starts_with(prefix))
        .unwrap();
    line.split(',').map(str::to_string).collect()
}

/// Items 5 and 6 with the shipped rules: the sample with a death given twice, a person dying
/// twice, a residence row given twice, a second birth date that is also after the snapshot,
/// admissions with finished_days -40 and 9,000,000,000 and drg_value -9,000,000, and a hip fracture
/// operation given twice added. Under `skip` each
/// added row is counted under the constraint it breaks and left out, so every figure is the
/// clean sample's; without `skip` the first stops the run at its line.
#[test]
fn the_shipped_rules_find_bad_rows_added_to_the_sample() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = Dir(std::env::temp_dir().join(format!(
        "indikator-extract-validation-sample-{}",
        std::process::id()
    )));
    let _ = fs::remove_dir_all(&dir.0);
    copy_tree(&root.join("data/sample"), &dir.0);
    let rules = [root.join("rules")];
    let clean = pipeline::run_paths(&rules, &pipeline::options(&dir.0)).expect("clean run");

    let death = a_row(&dir.0, "deaths.csv", 1, "2023");
    let mut dies_again = death.clone();
    dies_again[1] = "2023-12-30".to_string();
    append(
        &dir.0,
        "deaths.csv",
        &[death.join(","), dies_again.join(",")],
    );
    let resident = a_row(&dir.0, "cpr_residents.csv", 1, "2023");
    let mut reborn = resident.clone();
    reborn[1] = "2024-01-01".to_string();
    reborn[3] = "2022-06-01".to_string();
    let mut unborn = resident.clone();
    unborn[0] = "99999999".to_string();
    unborn[3] = "2023-06-01".to_string();
    let residents_line = clean_lines(&dir.0, "cpr_residents.csv") + 1;
    append(
        &dir.0,
        "cpr_residents.csv",
        &[resident.join(","), reborn.join(","), unborn.join(",")],
    );
    let admission = a_row(&dir.0, "lpr_admissions.csv", 1, "2023");
    let (mut negative_days, mut negative_drg) = (admission.clone(), admission.clone());
    negative_days[10] = "-40".to_string();
    negative_drg[9] = "-9000000".to_string();
    let mut absurd_days = admission.clone();
    absurd_days[10] = "9000000000".to_string();
    let lines_before = fs::read_to_string(dir.0.join("lpr_admissions.csv"))
        .unwrap()
        .lines()
        .count();
    append(
        &dir.0,
        "lpr_admissions.csv",
        &[
            negative_days.join(","),
            negative_drg.join(","),
            absurd_days.join(","),
        ],
    );
    let operation = a_row(&dir.0, "rkkp/hip_fracture_operations.csv", 6, "2023");
    let operations_line = clean_lines(&dir.0, "rkkp/hip_fracture_operations.csv") + 1;
    append(
        &dir.0,
        "rkkp/hip_fracture_operations.csv",
        &[operation.join(",")],
    );

    match pipeline::run_paths(&rules, &pipeline::options(&dir.0)) {
        Err(RunError::Data(e)) => {
            let message = e.to_string();
            // The first bad row of the first extract in the plan's order stops the run.
            assert!(
                message.contains(&format!("hip_fracture_operations.csv:{operations_line}:")),
                "{message}"
            );
            assert!(message.contains("(`unique operation`)"), "{message}");
        }
        _ => panic!("a bad row stops the run"),
    }
    let mut options = pipeline::options(&dir.0);
    options.bad_rows = BadRows::Skip;
    let skipped = pipeline::run_paths(&rules, &options).expect("the run succeeds under skip");
    let mut counted: Vec<(String, usize, usize)> = skipped
        .report
        .data_quality
        .iter()
        .map(|q| {
            let file = Path::new(&q.file).file_name().unwrap().to_string_lossy();
            (format!("{file}: {}", q.problem), q.rows, q.first_line)
        })
        .collect();
    counted.sort();
    let deaths_line = clean_lines(&dir.0, "deaths.csv") - 1;
    let admissions_line = lines_before + 1;
    // Each row is counted once, under the first constraint it breaks.
    let expected = vec![
        (
            "cpr_residents.csv: breaks `one birth_date per person`".to_string(),
            1,
            residents_line + 1,
        ),
        (
            "cpr_residents.csv: breaks `require birth_date <= snapshot_date`".to_string(),
            1,
            residents_line + 2,
        ),
        (
            "cpr_residents.csv: breaks `unique person, snapshot_date`".to_string(),
            1,
            residents_line,
        ),
        (
            "deaths.csv: breaks `unique person`".to_string(),
            2,
            deaths_line,
        ),
        (
            "hip_fracture_operations.csv: breaks `unique operation`".to_string(),
            1,
            operations_line,
        ),
        (
            "lpr_admissions.csv: breaks `drg_value in 0..10000000`".to_string(),
            1,
            admissions_line + 1,
        ),
        (
            "lpr_admissions.csv: breaks `finished_days in 0..3653`".to_string(),
            2,
            admissions_line,
        ),
    ];
    assert_eq!(counted, expected);
    assert_eq!(skipped.report.rows, clean.report.rows);
}

/// The lines of an extract now (rows appended included).
fn clean_lines(dir: &Path, file: &str) -> usize {
    fs::read_to_string(dir.join(file)).unwrap().lines().count()
}
