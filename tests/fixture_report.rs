//! The rules of `tests/fixtures/small/rules/` over the hand-made extracts of
//! `tests/fixtures/small/`, compared with `tests/fixtures/small/expected.csv`, a report derived
//! by hand (the arithmetic is in `tests/fixtures/small/EXPECTED.md`, the story of every row in
//! its `README.md`). The rules are a frozen copy of the shipped rules of the eight indicators
//! the report was derived for, so that the hand-computed figures test the engine however the
//! shipped rule set grows; every shipped indicator has hand-computed tests of its own
//! (`indikator test rules/`).
//!
//! Numbers are compared with a relative tolerance of 1e-12, text exactly.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use indikator::pipeline;

const FIXTURE: &str = "tests/fixtures/small";
const COLUMNS: [&str; 17] = [
    "indicator",
    "number",
    "goal",
    "title",
    "unit_label",
    "level",
    "unit_code",
    "unit_name",
    "period",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "suppressed",
    "development",
    "level_marking",
];
const NUMERIC: [&str; 7] = [
    "number",
    "unit_code",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
];
const NUMBERS_OF_A_FIGURE: [&str; 5] = ["numerator", "denominator", "value", "ci_low", "ci_high"];
const RELATIVE_TOLERANCE: f64 = 1e-12;

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// A temporary output directory, removed when dropped.
struct OutDir(PathBuf);

impl OutDir {
    fn new() -> OutDir {
        let n = RUNS.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "indikator-fixture-report-{}-{n}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        OutDir(dir)
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)
}

/// The report with the rules' own (primary) suppression only: expected.csv is derived by hand
/// for those figures. Complementary suppression, which hides further cells of this tiny
/// geography, is checked separately (`complementary_suppression_protects_the_fixture`).
fn run() -> indikator::report::Report {
    let rules = fixture().join("rules");
    match pipeline::run_paths(&[rules], &pipeline::options(fixture())) {
        Ok(outcome) => indikator::report::build_with(
            &outcome.plan,
            &outcome.evaluation,
            indikator::report::Protection::PrimaryOnly,
        ),
        Err(e) => panic!("the pipeline failed on the fixture:\n{e}"),
    }
}

/// Runs the pipeline and writes its outputs; returns the directory holding them.
fn run_and_write() -> OutDir {
    let out = OutDir::new();
    indikator::report::write_all(&run(), &out.0).expect("write the report");
    out
}

type Table = Vec<Vec<String>>;

fn read_csv(bytes: &[u8], what: &str) -> Table {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    let rows: Table = reader
        .records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("{what}: {e}"))
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    assert_eq!(
        rows.first().map(|h| h.as_slice()),
        Some(&COLUMNS.map(String::from)[..]),
        "{what}: unexpected header"
    );
    rows[1..].to_vec()
}

fn column(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap()
}

fn key(row: &[String]) -> String {
    format!(
        "{} / {} / {} / {}",
        row[column("indicator")],
        row[column("level")],
        row[column("unit_code")],
        row[column("period")]
    )
}

fn same(col: &str, expected: &str, actual: &str) -> bool {
    if !NUMERIC.contains(&col) || expected.is_empty() || actual.is_empty() {
        return expected == actual;
    }
    match (expected.parse::<f64>(), actual.parse::<f64>()) {
        (Ok(e), Ok(a)) => e == a || (e - a).abs() <= RELATIVE_TOLERANCE * e.abs().max(a.abs()),
        _ => expected == actual,
    }
}

/// Compares a report with the expectation cell by cell; returns every mismatch, one line each.
fn mismatches(expected: &Table, actual: &Table) -> Vec<String> {
    let mut out = Vec::new();
    if expected.len() != actual.len() {
        out.push(format!(
            "expected {} rows, the report has {}",
            expected.len(),
            actual.len()
        ));
    }
    for (i, e) in expected.iter().enumerate() {
        let Some(a) = actual.get(i) else {
            out.push(format!("row {}: {} is missing", i + 1, key(e)));
            continue;
        };
        if key(e) != key(a) {
            out.push(format!(
                "row {}: expected {}, the report has {}",
                i + 1,
                key(e),
                key(a)
            ));
            continue;
        }
        for (c, col) in COLUMNS.iter().enumerate() {
            if !same(col, &e[c], &a[c]) {
                out.push(format!(
                    "{}: {col}: expected `{}`, the report has `{}`",
                    key(e),
                    e[c],
                    a[c]
                ));
            }
        }
    }
    for (i, a) in actual.iter().enumerate().skip(expected.len()) {
        out.push(format!("row {}: unexpected {}", i + 1, key(a)));
    }
    out
}

fn expected_and_actual() -> (Table, Table) {
    let expected_bytes = fs::read(fixture().join("expected.csv")).expect("read expected.csv");
    let out = run_and_write();
    let actual_bytes = fs::read(out.0.join("report.csv")).expect("read report.csv");
    (
        read_csv(&expected_bytes, "expected.csv"),
        read_csv(&actual_bytes, "report.csv"),
    )
}

fn assert_no_mismatch(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn report_matches_the_hand_computed_expectation() {
    let (mut expected, actual) = expected_and_actual();
    // expected.csv gives each cell's own reason, as EXPECTED.md derives it; report.csv publishes
    // one reason for every withheld cell (docs/methods.md, "Published reasons").
    let s = COLUMNS.iter().position(|c| *c == "suppressed").unwrap();
    for row in &mut expected {
        if !row[s].is_empty() {
            row[s] = indikator::report::disclosure::published_reason(&row[s]).to_string();
        }
    }
    assert_no_mismatch(mismatches(&expected, &actual));
}

/// Runs of the same data agree on every figure to 1e-12 and on every text exactly (the byte
/// test below is stricter).
#[test]
fn two_runs_give_the_same_figures() {
    let read = |out: &OutDir| {
        read_csv(
            &fs::read(out.0.join("report.csv")).expect("report.csv"),
            "report.csv",
        )
    };
    let (first, second) = (run_and_write(), run_and_write());
    assert_no_mismatch(mismatches(&read(&first), &read(&second)));
}

/// The survey weights of #40 in 2023 are chosen so that the national sums depend on the order
/// in which the municipalities are added (1.8 + 0.3 + 0.75 is 2.85 or 2.8499999999999996 in
/// floating point): the engine must always add them in the same order. Several runs make a
/// failure reliable.
#[test]
fn two_runs_write_identical_reports() {
    let first = run_and_write();
    for _ in 0..15 {
        let again = run_and_write();
        for file in ["report.csv", "report.json"] {
            let a = fs::read_to_string(first.0.join(file)).expect("first run");
            let b = fs::read_to_string(again.0.join(file)).expect("later run");
            if let Some((n, (x, y))) = a
                .lines()
                .zip(b.lines())
                .enumerate()
                .find(|(_, (x, y))| x != y)
            {
                panic!(
                    "{file} differs between two runs on the same data, first at line {}:\n{x}\n{y}",
                    n + 1
                );
            }
            assert_eq!(a, b, "{file} differs between two runs on the same data");
        }
    }
}

/// Tabel 1 counts the national development markings per goal (EXPECTED.md, "Tabel 1"); the
/// psychiatric stay without a municipality is reported in the data-quality section.
#[test]
fn tabel_1_and_data_quality() {
    let report = run();
    let counts: Vec<(&str, usize, usize, usize, usize)> = report
        .tabel_1
        .iter()
        .map(|g| (g.goal.as_str(), g.green, g.yellow, g.red, g.without_marking))
        .collect();
    assert_eq!(
        counts,
        [
            ("coherent_pathways", 3, 0, 0, 0),
            ("chronic_and_elderly", 1, 0, 0, 0),
            ("survival_and_safety", 0, 0, 0, 0),
            ("high_quality", 0, 0, 0, 0),
            ("fast_assessment", 0, 0, 0, 0),
            ("patient_involvement", 0, 0, 0, 0),
            ("healthy_life_years", 0, 1, 1, 2),
            ("efficiency", 0, 0, 0, 0),
        ]
    );
    let notes: Vec<String> = report
        .data_quality
        .iter()
        .map(|q| {
            let file = Path::new(&q.file).file_name().unwrap().to_string_lossy();
            format!("{file} {:?} {} {}", q.column, q.problem, q.rows)
        })
        .collect();
    assert_eq!(
        notes,
        [
            "lpr_admissions.csv Some(\"municipality\") no municipality: counted for the national \
          figure only (2023) 1"
        ]
    );
}

#[test]
fn suppressed_rows_have_no_numbers() {
    let report = run();
    let mut problems = Vec::new();
    for r in &report.rows {
        if r.suppressed.is_none() {
            continue;
        }
        let at = format!(
            "{} / {} / {} / {}",
            r.indicator, r.level, r.unit_code, r.period
        );
        let numbers = [
            ("numerator", r.numerator),
            ("denominator", r.denominator),
            ("value", r.value),
            ("ci_low", r.ci_low),
            ("ci_high", r.ci_high),
        ];
        for (name, n) in numbers {
            if let Some(n) = n {
                problems.push(format!("{at}: suppressed but {name} = {n}"));
            }
        }
        if let Some(m) = r.development {
            problems.push(format!("{at}: suppressed but development = {m}"));
        }
        if let Some(m) = r.level_marking {
            problems.push(format!("{at}: suppressed but level marking = {m}"));
        }
    }
    // The written files too: what the CSV shows is what counts.
    let out = OutDir::new();
    indikator::report::write_all(&report, &out.0).expect("write the report");
    let csv = read_csv(&fs::read(out.0.join("report.csv")).unwrap(), "report.csv");
    let suppressed = csv
        .iter()
        .filter(|row| !row[column("suppressed")].is_empty())
        .count();
    assert!(
        suppressed > 0,
        "the fixture is meant to have suppressed rows"
    );
    for row in csv
        .iter()
        .filter(|row| !row[column("suppressed")].is_empty())
    {
        for col in NUMBERS_OF_A_FIGURE {
            if !row[column(col)].is_empty() {
                problems.push(format!(
                    "report.csv {}: suppressed but {col} = {}",
                    key(row),
                    row[column(col)]
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
