//! Conformance of the SQL backend: the SQL `indikator sql` writes for the 2024 rules, run on a
//! real DuckDB (its Python package) over `data/sample`, gives every cell the native engine
//! computes for the same aggregations, and no other.
//!
//! Counts must be equal; sums too, to the last bit where the amounts are whole numbers. A sum of
//! fractional amounts (weights, DRG values) is added in another order by DuckDB than in the
//! native engine's row order, so it may differ in its last bits: such cells are compared to a
//! relative 1e-12 and counted apart.
//!
//! Skipped, with a message, when `python3 -c 'import duckdb'` fails, unless `CI` is set: CI
//! installs DuckDB (`.ci/run`) and this test must run there.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use indikator::eval;
use indikator::sql::{self, CellShape};

/// A cell's place: request, municipality code (`None`: no municipality), key, and for a mean's
/// or median's rows the value and weight (as bits).
type Place = (usize, Option<u32>, Vec<String>, Option<(u64, u64)>);

/// n, weighted, weight squares, amount squares.
type Sums = [f64; 4];

const READ_CELLS: &str = r#"
import sys, duckdb
con = duckdb.connect()
rows = con.execute(open(sys.argv[1]).read()).fetchall()
out = sys.stdout
def num(x):
    return "" if x is None else repr(float(x))
for r in rows:
    request, period, municipality, key, n, weighted, ws, amsq, value, weight = r
    out.write("\t".join([
        str(request), period, "" if municipality is None else str(municipality),
        "\x1f".join(key), num(n), num(weighted), num(ws), num(amsq), num(value), num(weight),
    ]) + "\n")
"#;

fn duckdb_available() -> bool {
    Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn number(text: &str) -> Option<f64> {
    (!text.is_empty()).then(|| text.parse().expect("a number from DuckDB"))
}

fn sql_cells(sql: &str, scratch: &Path) -> BTreeMap<Place, Sums> {
    let file = scratch.join("cells.sql");
    let script = scratch.join("read_cells.py");
    std::fs::write(&file, sql).unwrap();
    std::fs::write(&script, READ_CELLS).unwrap();
    let out = Command::new("python3")
        .arg(&script)
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "DuckDB failed on the SQL:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cells = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 10, "{line}");
        let key: Vec<String> = if f[3].is_empty() {
            Vec::new()
        } else {
            f[3].split('\x1f').map(str::to_string).collect()
        };
        let values = match (number(f[8]), number(f[9])) {
            (Some(v), Some(w)) => Some((v.to_bits(), w.to_bits())),
            _ => None,
        };
        let place = (
            f[0].parse().unwrap(),
            (!f[2].is_empty()).then(|| f[2].parse().unwrap()),
            key,
            values,
        );
        let n = number(f[4]).unwrap();
        let sums = [
            n,
            number(f[5]).unwrap_or(n),
            number(f[6]).unwrap_or(n),
            number(f[7]).unwrap_or(n),
        ];
        assert!(cells.insert(place, sums).is_none(), "a cell twice: {line}");
    }
    cells
}

/// What a comparison found.
struct Conformance {
    requests: usize,
    cells: usize,
    exact: usize,
    close: usize,
}

/// Compiles the rules under `rules`, runs the SQL on DuckDB over `data` and compares every cell
/// with the native engine's for the same requests; panics on any difference.
fn conformance(rules: &Path, data: &Path, geography: &Path) -> Conformance {
    let checked = indikator::workspace::check_paths(&[rules.to_path_buf()]).unwrap();
    assert_eq!(checked.error_count(), 0);
    let plan = checked.plan().unwrap();
    let compiled = sql::compile(&plan, &data.to_string_lossy(), sql::Dialect::DuckDb);
    // Only reported figures (read per unit, not aggregated) are refused in these rules.
    for r in &compiled.refused {
        assert!(r.reason.starts_with("a reported figure"), "{r:?}");
    }

    let scratch = std::env::temp_dir().join(format!(
        "indikator-sql-{}-{}",
        std::process::id(),
        rules.file_name().unwrap().to_string_lossy()
    ));
    std::fs::create_dir_all(&scratch).unwrap();
    let from_sql = sql_cells(&compiled.sql, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);

    let mut options = indikator::pipeline::options(data);
    options.geography = geography.to_path_buf();
    options.read_all_rows = true;
    let native: BTreeMap<Place, Sums> =
        eval::with_engine(&plan, &options, &mut |_| {}, |engine, _, _| {
            let mut cells = BTreeMap::new();
            let code = |slot: u32| {
                (slot > 0).then(|| engine.geography.municipalities[slot as usize - 1].code)
            };
            let texts = |key: &[u32]| -> Vec<String> {
                key.iter()
                    .map(|s| engine.symbols.text(*s).to_string())
                    .collect()
            };
            for r in &compiled.requests {
                let c = engine.cells(&r.aggregation, r.period, &r.keys, r.values.as_ref());
                match r.shape() {
                    CellShape::Sums => {
                        for ((slot, key), acc) in &c.sums {
                            let sums =
                                [acc.n, acc.weighted, acc.weight_squares, acc.amount_squares];
                            cells.insert((r.id, code(*slot), texts(key), None), sums);
                        }
                    }
                    CellShape::Persons => {
                        let mut persons = c.persons.clone();
                        persons.sort();
                        persons.dedup();
                        for (slot, key, _) in persons {
                            let n = cells
                                .entry((r.id, code(slot), texts(&key), None))
                                .or_insert([0.0; 4]);
                            for x in n.iter_mut() {
                                *x += 1.0;
                            }
                        }
                    }
                    CellShape::Values => {
                        for &(slot, value, weight) in &c.values {
                            let n = cells
                                .entry((
                                    r.id,
                                    code(slot),
                                    Vec::new(),
                                    Some((value.to_bits(), weight.to_bits())),
                                ))
                                .or_insert([0.0; 4]);
                            n[0] += 1.0;
                            n[1] = n[0];
                            n[2] = n[0];
                            n[3] = n[0];
                        }
                    }
                }
            }
            cells
        })
        .unwrap();

    let rule = |id: usize| &compiled.requests[id].rule;
    let only_native: Vec<_> = native
        .keys()
        .filter(|k| !from_sql.contains_key(*k))
        .collect();
    let only_sql: Vec<_> = from_sql
        .keys()
        .filter(|k| !native.contains_key(*k))
        .collect();
    assert!(
        only_native.is_empty() && only_sql.is_empty(),
        "cells only native: {} (first {:?}, {}); only in SQL: {} (first {:?})",
        only_native.len(),
        only_native.first(),
        only_native
            .first()
            .map(|k| rule(k.0).as_str())
            .unwrap_or(""),
        only_sql.len(),
        only_sql.first(),
    );
    let (mut exact, mut close) = (0, 0);
    let mut differing = Vec::new();
    for (place, n) in &native {
        let s = from_sql[place];
        if n.iter().zip(&s).all(|(a, b)| a.to_bits() == b.to_bits()) {
            exact += 1;
            continue;
        }
        let whole = n.iter().all(|x| x.fract() == 0.0);
        let near = n
            .iter()
            .zip(&s)
            .all(|(a, b)| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()));
        if !whole && near {
            close += 1;
        } else {
            differing.push(format!(
                "{} {place:?}: native {n:?}, SQL {s:?}",
                rule(place.0)
            ));
        }
    }
    eprintln!(
        "{}: {} requests, {} cells: {exact} equal to the bit, {close} sums of fractional \
         amounts within 1e-12",
        rules.display(),
        compiled.requests.len(),
        native.len()
    );
    assert!(
        differing.is_empty(),
        "{} cells differ:\n{}",
        differing.len(),
        differing.join("\n")
    );
    Conformance {
        requests: compiled.requests.len(),
        cells: native.len(),
        exact,
        close,
    }
}

/// Whether to run: DuckDB's Python package is there, or (outside CI) a message says why not.
fn duckdb_or_skip() -> bool {
    if duckdb_available() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but DuckDB's Python package is missing (`.ci/run` installs it)"
    );
    eprintln!(
        "skipped: `python3 -c 'import duckdb'` fails; install it with \
         `pip install --user duckdb` to run the SQL conformance test"
    );
    false
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn duckdb_gives_the_native_engine_s_cells_on_the_sample() {
    if !duckdb_or_skip() {
        return;
    }
    let data = root().join("data/sample");
    let geography = data.join("reference/municipalities.csv");
    let c = conformance(&root().join("rules"), &data, &geography);
    // Every aggregation of the 2024 rules but the reported figures, with cells in the sample.
    assert!(c.requests > 150, "{}", c.requests);
    assert!(c.cells > 30_000, "{}", c.cells);
    assert_eq!(c.exact + c.close, c.cells);
}

/// Every operator over missing values, padded fields, a row without a municipality or a person,
/// negative and zero weights: `tests/sql/missing.ind` over `tests/sql/data`.
#[test]
fn duckdb_gives_the_native_engine_s_cells_around_missing_values() {
    if !duckdb_or_skip() {
        return;
    }
    let geography = root().join("data/sample/reference/municipalities.csv");
    let c = conformance(
        &root().join("tests/sql/missing.ind"),
        &root().join("tests/sql/data"),
        &geography,
    );
    // One request per indicator (the mean and the median share theirs; the tally adds one).
    assert!(c.requests >= 52, "{}", c.requests);
    assert_eq!(c.exact + c.close, c.cells);
}

/// `indikator sql`: the SQL on stdout, each refused part on stderr with its rule and reason;
/// exit 1 when something is refused, 0 with `--allow-partial`. Needs no DuckDB.
#[test]
fn the_command_prints_the_sql_and_names_what_it_refuses() {
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_indikator"))
            .current_dir(root())
            .args(["sql", "rules", "--data", "data/sample"])
            .args(extra)
            .output()
            .unwrap()
    };
    let strict = run(&["--dialect", "duckdb"]);
    let stdout = String::from_utf8(strict.stdout).unwrap();
    let stderr = String::from_utf8(strict.stderr).unwrap();
    assert_eq!(strict.status.code(), Some(1), "{stderr}");
    // The reported figures of the 2024 rules, by name, and nothing else.
    for name in [
        "medical_overcrowding",
        "updated_medication_records",
        "cancer_survival_5y",
    ] {
        assert!(
            stderr.contains(&format!("refused: {name}\n  = reason: a reported figure")),
            "{stderr}"
        );
    }
    assert!(stderr.ends_with("3 part(s) refused\n"), "{stderr}");
    // One CTE per source, population (per period) and aggregation, named and commented.
    assert!(stdout.contains(
        "-- source cpr_residents (cpr_residents.csv)\nsrc_cpr_residents AS MATERIALIZED ("
    ));
    assert!(
        stdout.contains(
            "read_csv('data/sample/cpr_residents.csv', header = true, delim = ',', quote = '\"', escape = '\"', all_varchar = true)"
        )
    );
    assert!(stdout.contains(
        "-- population somatic_discharges in 2023\npop_somatic_discharges_2023 AS MATERIALIZED ("
    ));
    assert!(stdout.contains(
        "-- somatic_readmissions: numerator in 2023 (population somatic_discharges)\nagg_"
    ));
    let partial = run(&["--dialect", "duckdb", "--allow-partial"]);
    assert_eq!(partial.status.code(), Some(0));
    assert_eq!(String::from_utf8(partial.stdout).unwrap(), stdout);
    // A dialect it does not write is refused by the command line.
    let other = run(&["--dialect", "spark"]);
    assert_eq!(other.status.code(), Some(2));
    assert!(
        String::from_utf8(other.stderr)
            .unwrap()
            .contains("invalid value 'spark'")
    );
}

/// The plan of `tests/sql/missing.ind`, for changing by hand: the checker lets through nothing
/// the compiler refuses, so the refusals are reached by editing a checked plan.
fn missing_plan() -> indikator::plan::Plan {
    let checked =
        indikator::workspace::check_paths(&[root().join("tests/sql/missing.ind")]).unwrap();
    assert_eq!(checked.error_count(), 0);
    checked.plan().unwrap()
}

/// An aggregation whose condition cannot be written with the native meaning (a date ordered
/// against a number) is refused by its rule and left out; the others compile.
#[test]
fn an_expression_without_an_identical_sql_meaning_is_refused_by_its_rule() {
    use indikator::plan::{BinOp, Expr, Field};
    let mut plan = missing_plan();
    let visits = plan
        .sources
        .iter()
        .position(|s| s.name == "visits")
        .unwrap();
    let day = plan.sources[visits]
        .columns
        .iter()
        .position(|(n, _)| n == "day")
        .unwrap();
    let k = plan
        .indicators
        .iter()
        .position(|i| i.name == "where_1")
        .unwrap();
    let numerator = plan.indicators[k].numerator.as_mut().unwrap();
    numerator.filter = Some(Expr::Binary(
        BinOp::Lt,
        Box::new(Expr::Field(Field::Column(day))),
        Box::new(Expr::Number(3.0)),
    ));
    let compiled = sql::compile(&plan, "data", sql::Dialect::DuckDb);
    assert_eq!(
        compiled.refused,
        vec![sql::Refusal {
            rule: "where_1: numerator".to_string(),
            reason: "2023 (population visits_in_period): a date ordered against a number"
                .to_string(),
        }]
    );
    assert!(
        compiled
            .requests
            .iter()
            .all(|r| r.rule != "where_1: numerator")
    );
    assert!(!compiled.sql.contains("where_1: numerator"));
    assert!(compiled.sql.contains("-- where_2: numerator in 2023"));
}

/// A population whose let cannot be written refuses every aggregation over it, each naming the
/// population, the let and the reason; aggregations over other rows still compile.
#[test]
fn a_population_that_cannot_be_written_refuses_every_aggregation_over_it() {
    use indikator::plan::{Builtin, Expr, Field};
    let mut plan = missing_plan();
    let p = plan
        .populations
        .iter()
        .position(|p| p.name == "visits_in_period")
        .unwrap();
    let visits = plan.populations[p].root;
    let day = plan.sources[visits]
        .columns
        .iter()
        .position(|(n, _)| n == "day")
        .unwrap();
    let stay = plan.populations[p]
        .lets
        .iter()
        .position(|(n, _)| n == "stay")
        .unwrap();
    plan.populations[p].lets[stay].1 = Expr::Call(
        Builtin::Coalesce,
        vec![Expr::Field(Field::Column(day)), Expr::Number(1.0)],
    );
    let compiled = sql::compile(&plan, "data", sql::Dialect::DuckDb);
    assert!(compiled.requests.is_empty(), "{:?}", compiled.requests);
    // Every indicator of the file counts rows of that population.
    assert_eq!(compiled.refused.len(), 55);
    for r in &compiled.refused {
        assert!(
            r.reason.ends_with(
                "(population visits_in_period): population visits_in_period: let stay: \
                 coalesce of a date and a number"
            ),
            "{r:?}"
        );
    }
    let text = sql::render_refusals(&compiled.refused);
    assert!(text.starts_with("refused: where_1: numerator\n  = reason: 2023 (population"));
}
