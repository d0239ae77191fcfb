//! `indikator test`: runs the test blocks written inside indicators. Each test's `given` rows
//! become a small data directory; the whole rule set is evaluated over it, and every
//! expectation is compared with the indicator's figure at the named unit in its report period.
//! A failure is a diagnostic pointing at the expectation in the rule file.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::diagnostics::{Code, Diagnostic};
use crate::eval::BadRows;
use crate::pipeline::RunError;
use crate::report::Row;
use crate::source_db::Span;
use crate::syntax::ast::{
    ClauseKind, Definition, Expect, Expectation, Indicator, TestBlock, TestValueKind,
};
use crate::words::{Marking, NO_MARKING};
use crate::workspace::Checked;

/// Where sources that a test gives no rows for are read from (reference data such as the
/// standard population), and where the geography is.
pub struct TestOptions {
    pub reference_data: PathBuf,
}

pub struct TestOutcome {
    pub indicator: String,
    pub name: String,
    pub failures: Vec<Diagnostic>,
}

/// Runs every test block of a checked rule set.
pub fn run_tests(checked: &Checked, options: &TestOptions) -> Result<Vec<TestOutcome>, String> {
    let plan = checked.plan().map_err(|e| e.to_string())?;
    let mut outcomes = Vec::new();
    for file in &checked.files {
        for def in &file.definitions {
            let Definition::Indicator(ind) = def else {
                continue;
            };
            for clause in &ind.clauses {
                if let ClauseKind::Test(test) = &clause.kind {
                    let failures = run_one(&plan, ind, test, options)?;
                    outcomes.push(TestOutcome {
                        indicator: ind.name.name.clone(),
                        name: test.name.value.clone(),
                        failures,
                    });
                }
            }
        }
    }
    Ok(outcomes)
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> std::io::Result<TempDir> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "indikator-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    Ok(TempDir(dir))
}

fn csv_field(value: &TestValueKind) -> String {
    match value {
        TestValueKind::Number(n) => format!("{n}"),
        TestValueKind::Text(t) => t.clone(),
        TestValueKind::Date(d) => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
        TestValueKind::Bool(b) => b.to_string(),
        TestValueKind::Missing => String::new(),
    }
}

fn run_one(
    plan: &crate::plan::Plan,
    ind: &Indicator,
    test: &TestBlock,
    options: &TestOptions,
) -> Result<Vec<Diagnostic>, String> {
    let dir = temp_dir().map_err(|e| format!("cannot make a directory for the test: {e}"))?;
    let geography = options
        .reference_data
        .join("reference")
        .join("municipalities.csv");
    let reference = dir.0.join("reference");
    fs::create_dir_all(&reference).map_err(|e| e.to_string())?;
    fs::copy(&geography, reference.join("municipalities.csv"))
        .map_err(|e| format!("cannot read the geography `{}`: {e}", geography.display()))?;
    for source in &plan.sources {
        let target = dir.0.join(&source.file);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let given: Vec<_> = test
            .given
            .iter()
            .filter(|g| g.source.name == source.name)
            .collect();
        if given.is_empty() {
            // Not given by the test: reference data if there is some, else no rows.
            let shared = options.reference_data.join(&source.file);
            if shared.is_file() {
                fs::copy(&shared, &target).map_err(|e| e.to_string())?;
                continue;
            }
        }
        let mut writer = csv::Writer::from_path(&target).map_err(|e| e.to_string())?;
        let header: Vec<&str> = source.columns.iter().map(|(n, _)| n.as_str()).collect();
        writer.write_record(&header).map_err(|e| e.to_string())?;
        for g in given {
            for row in &g.rows {
                let mut fields = vec![String::new(); header.len()];
                for (column, value) in g.columns.iter().zip(&row.values) {
                    if let Some(k) = header.iter().position(|h| *h == column.name) {
                        fields[k] = csv_field(&value.kind);
                    }
                }
                // A column the test leaves out stays empty: a missing value.
                writer.write_record(&fields).map_err(|e| e.to_string())?;
            }
        }
        writer.flush().map_err(|e| e.to_string())?;
    }
    let run_options = crate::eval::Options {
        data_dir: dir.0.clone(),
        geography: dir.0.join("reference").join("municipalities.csv"),
        bad_rows: BadRows::Stop,
        read_all_rows: false,
        allow_empty_extracts: true,
        row_by_row: false,
        hash_extracts: false,
    };
    let mut failures = Vec::new();
    // A hidden indicator is not in the report, but its tests state its figures: evaluate it
    // as if it were shown.
    let shown;
    let plan = match plan
        .indicators
        .iter()
        .position(|p| p.name == ind.name.name && p.hidden)
    {
        Some(id) => {
            let mut copy = plan.clone();
            copy.indicators[id].hidden = false;
            shown = copy;
            &shown
        }
        None => plan,
    };
    let evaluation = crate::eval::evaluate(plan, &run_options, &mut |_| {});
    let evaluation = match evaluation {
        Ok(e) => e,
        Err(e) => {
            failures.push(
                Diagnostic::error(
                    Code::TestFailed,
                    format!("test \"{}\" could not run", test.name.value),
                )
                .primary(test.name.span, e.to_string())
                .help("check the `given` rows against the sources' declared columns"),
            );
            return Ok(failures);
        }
    };
    // Tests state the figures the rules compute, with the rules' own suppression; the
    // complementary suppression of publication would hide most cells of a few-row test.
    let report =
        crate::report::build_with(plan, &evaluation, crate::report::Protection::PrimaryOnly);
    for expect in &test.expect {
        check_expect(&report.rows, ind, expect, &mut failures);
    }
    Ok(failures)
}

/// The tolerance a written number implies: `33.3` is met by anything that rounds to it.
fn tolerance(raw: &str) -> f64 {
    let decimals = raw.split_once('.').map(|(_, d)| d.len()).unwrap_or(0) as i32;
    0.5 * 10f64.powi(-decimals) + 1e-9
}

fn check_expect(rows: &[Row], ind: &Indicator, expect: &Expect, failures: &mut Vec<Diagnostic>) {
    let code = expect.unit.as_ref().map(|n| n.value as u32).unwrap_or(0);
    // The report period's row is the first for its unit.
    let row = rows.iter().find(|r| {
        r.indicator == ind.name.name && r.level.as_str() == expect.level.name && r.unit_code == code
    });
    let Some(row) = row else {
        failures.push(
            Diagnostic::error(
                Code::TestFailed,
                format!("no figure for {} {code}", expect.level.name),
            )
            .primary(expect.level.span, "the report has no row for this unit")
            .help("check the unit's code against the geography (reference/municipalities.csv)"),
        );
        return;
    };
    let fail = |span: Span, what: &str, expected: String, actual: String| {
        Diagnostic::error(
            Code::TestFailed,
            format!("{what}: expected {expected}, got {actual}"),
        )
        .primary(span, format!("the figure is {actual}"))
        .help(match &row.suppressed {
            Some(reason) if what != "suppressed" => format!("the figure is suppressed ({reason})"),
            _ => format!(
                "{} {} {}, period {}",
                row.indicator, row.level, row.unit_name, row.period
            ),
        })
    };
    let shown = |x: Option<f64>| {
        x.map(|v| format!("{v}"))
            .unwrap_or_else(|| "nothing".to_string())
    };
    for check in &expect.checks {
        match check {
            Expectation::Numerator(n) | Expectation::Denominator(n) | Expectation::Value(n) => {
                let (what, actual) = match check {
                    Expectation::Numerator(_) => ("numerator", row.numerator),
                    Expectation::Denominator(_) => ("denominator", row.denominator),
                    _ => ("value", row.value),
                };
                let ok = actual.is_some_and(|a| (a - n.value).abs() <= tolerance(&n.raw));
                if !ok {
                    failures.push(fail(n.span, what, n.raw.clone(), shown(actual)));
                }
            }
            Expectation::Suppressed(reason) => {
                if row.suppressed.as_deref() != Some(reason.name.as_str()) {
                    let actual = row
                        .suppressed
                        .clone()
                        .unwrap_or_else(|| "shown".to_string());
                    failures.push(fail(reason.span, "suppressed", reason.name.clone(), actual));
                }
            }
            Expectation::Development(m) | Expectation::Level(m) => {
                let (what, actual) = match check {
                    Expectation::Development(_) => ("development", row.development),
                    _ => ("level", row.level_marking),
                };
                let actual = actual.map_or(NO_MARKING, Marking::as_str);
                if actual != m.name {
                    failures.push(fail(m.span, what, m.name.clone(), actual.to_string()));
                }
            }
        }
    }
}

/// Runs the tests of the rule files under `paths`, for `cargo test` and the command line.
pub fn run_paths(
    paths: &[PathBuf],
    reference_data: &Path,
) -> Result<(Checked, Vec<TestOutcome>), String> {
    let checked = crate::workspace::check_paths(paths).map_err(|e| e.to_string())?;
    if checked.error_count() > 0 {
        return Err(RunError::Rules(Box::new(checked)).to_string());
    }
    let outcomes = run_tests(
        &checked,
        &TestOptions {
            reference_data: reference_data.to_path_buf(),
        },
    )?;
    Ok((checked, outcomes))
}
