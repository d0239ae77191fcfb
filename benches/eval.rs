//! The evaluator's hot paths, each on its own: reading an extract (CSV scanning, validation and
//! interning), interning person ids, the statistics behind every cell (Wilson, direct
//! standardisation, the life table), the report stage (markings, suppression, Tabel 1) and a
//! whole report over the committed sample.
//!
//! `cargo bench --bench eval`; whole runs at national scale are timed by the commands in
//! `docs/performance.md`.

use std::hint::black_box;
use std::path::Path;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

use indikator::eval::error::Exclusions;
use indikator::eval::geography::Geography;
use indikator::eval::load::{BadRows, Loader};
use indikator::eval::value::{Interner, PersonIds};
use indikator::plan::{ColumnType, Direction, SourcePlan};
use indikator::report::markings::mark;
use indikator::stats;

const SAMPLE: &str = "data/sample";

/// The sample's admissions as the shipped rules declare them, every column used.
fn admissions() -> SourcePlan {
    let columns: Vec<(String, ColumnType)> = [
        ("person", ColumnType::Person),
        ("admitted", ColumnType::Date),
        ("discharged", ColumnType::Date),
        ("acute", ColumnType::Bool),
        (
            "kind",
            ColumnType::Category(vec!["somatic".into(), "psychiatric".into()]),
        ),
        ("diagnosis", ColumnType::Code),
        ("sex", ColumnType::Category(vec!["M".into(), "F".into()])),
        ("birth_date", ColumnType::Date),
        ("municipality", ColumnType::Municipality),
        ("drg_value", ColumnType::Decimal),
        ("finished_days", ColumnType::Integer),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_string(), t))
    .collect();
    SourcePlan {
        name: "lpr_admissions".into(),
        file: "lpr_admissions.csv".into(),
        aggregate: false,
        used: vec![true; columns.len()],
        rows_read: true,
        columns,
        person: Some(0),
        windows: Vec::new(),
        constraints: Vec::new(),
        may_be_empty: false,
    }
}

fn csv_scanning(c: &mut Criterion) {
    let geography = Geography::load(&Path::new(SAMPLE).join("reference/municipalities.csv"))
        .expect("the sample's geography");
    let source = admissions();
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.bench_function("sample_admissions", |b| {
        b.iter(|| {
            let mut symbols = Interner::default();
            let mut persons = PersonIds::default();
            let mut exclusions = Exclusions::default();
            let mut loader = Loader {
                geography: &geography,
                symbols: &mut symbols,
                persons: &mut persons,
                bad_rows: BadRows::Stop,
                read_all_rows: true,
                allow_empty: false,
                exclusions: &mut exclusions,
                hash: false,
            };
            let table = loader.load(&source, Path::new(SAMPLE)).expect("loads");
            black_box(table.rows)
        })
    });
    group.finish();
}

fn interning(c: &mut Criterion) {
    let ids: Vec<String> = (0..200_000u64)
        .map(|i| (1_000_000 + i * 7919 % 200_000).to_string())
        .collect();
    c.bench_function("intern_200k_person_ids_twice", |b| {
        b.iter_batched(
            Interner::default,
            |mut interner| {
                for id in ids.iter().chain(&ids) {
                    black_box(interner.intern(id));
                }
                interner.len()
            },
            BatchSize::SmallInput,
        )
    });
}

fn statistics(c: &mut Criterion) {
    // 36 strata (sex × 18 age bands), as the standardised indicators use.
    let strata: Vec<stats::Stratum> = (0..36)
        .map(|k| stats::Stratum {
            events: (k % 7) as f64 * 3.0,
            population: 100.0 + k as f64 * 11.0,
            standard_weight: 1000.0 + (k * 37 % 11) as f64 * 50.0,
        })
        .collect();
    c.bench_function("direct_standardise_36_strata", |b| {
        b.iter(|| stats::direct_standardise(black_box(&strata), 0.95))
    });
    c.bench_function("wilson", |b| {
        b.iter(|| stats::wilson(black_box(37.0), black_box(412.0), 0.95))
    });
    let bands: Vec<stats::lifetable::AgeBand> = [0.0, 1.0]
        .into_iter()
        .chain((1..18).map(|k| k as f64 * 5.0))
        .enumerate()
        .map(|(i, start)| stats::lifetable::AgeBand {
            start,
            width: match i {
                0 => Some(1.0),
                1 => Some(4.0),
                18 => None,
                _ => Some(5.0),
            },
        })
        .collect();
    let deaths: Vec<f64> = (0..bands.len()).map(|k| 1.0 + (k * k) as f64).collect();
    let exposure: Vec<f64> = (0..bands.len()).map(|_| 10_000.0).collect();
    c.bench_function("life_table_19_bands", |b| {
        b.iter(|| {
            stats::lifetable::life_expectancy(
                black_box(&bands),
                black_box(&deaths),
                black_box(&exposure),
                0.0,
                0.95,
            )
        })
    });
}

fn whole_sample_report(c: &mut Criterion) {
    let options = indikator::pipeline::options(SAMPLE);
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.bench_function("sample_all_indicators", |b| {
        b.iter(|| {
            let outcome = indikator::pipeline::run_paths(&["rules".into()], &options)
                .expect("the sample report");
            black_box(outcome.report.rows.len())
        })
    });
    group.finish();
}

/// The report stage alone over the sample's figures: both markings of every cell, suppression
/// (complementary included), Tabel 1.
fn markings_and_report(c: &mut Criterion) {
    let options = indikator::pipeline::options(SAMPLE);
    let outcome =
        indikator::pipeline::run_paths(&["rules".into()], &options).expect("the sample report");
    let mut group = c.benchmark_group("report");
    group.bench_function("build_sample_markings_suppression_tabel_1", |b| {
        b.iter(|| {
            let report = indikator::report::build(&outcome.plan, &outcome.evaluation);
            black_box(report.rows.len())
        })
    });
    group.finish();
    // The marking rule itself, over 10,000 value pairs around the ±1 % band.
    let pairs: Vec<(f64, f64)> = (0..10_000)
        .map(|k| (100.0 + (k % 41) as f64 * 0.1 - 2.0, 100.0))
        .collect();
    c.bench_function("mark_10k_pairs", |b| {
        b.iter(|| {
            pairs
                .iter()
                .filter_map(|&(v, r)| mark(black_box(v), r, Direction::Higher, 0.01))
                .count()
        })
    });
}

criterion_group!(
    benches,
    csv_scanning,
    interning,
    statistics,
    whole_sample_report,
    markings_and_report
);
criterion_main!(benches);
