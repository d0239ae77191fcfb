//! Stage 4: evaluation. Executes a [`Plan`] over raw CSV extracts: loads each extract once,
//! materialises populations and cohorts per period, and computes every indicator's figures
//! for every unit of its levels, for the report period and the comparison period.
//!
//! Reads data only through [`load`], which confines every file to the data directory.

// A data error carries the file, line, column, value and source for its message; it is
// returned once per run, so its size does not matter.
#![allow(clippy::result_large_err)]

mod cells;
mod columnar;
pub mod error;
pub mod geography;
pub mod load;
pub mod measure;
pub mod number;
mod records;
pub mod rows;
mod schedule;
mod semantics;
mod shared;
mod validate;
pub mod value;
mod views;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use error::{DataError, Exclusion, Exclusions};
pub use geography::{Geography, Unit};
pub use load::BadRows;
pub use measure::Figure;

use crate::plan::{BinOp, Formula, IndicatorId, Level, Period, Plan, PopulationId, RowSet};
use measure::LevelInput;
use rows::Engine;
use shared::{RunCaches, UnitFigures};
use value::{Interner, PersonIds, PersonKey, Value};

pub struct Options {
    pub data_dir: PathBuf,
    pub geography: PathBuf,
    pub bad_rows: BadRows,
    /// Read every row of every extract, also those outside the periods of the run (which are
    /// otherwise left unread where the plan proves no rule can keep them).
    pub read_all_rows: bool,
    /// Accept extracts with a header and no rows even where their sources do not say `may be
    /// empty` (for the small data directories of rule tests).
    pub allow_empty_extracts: bool,
    /// Evaluate every expression row by row, by the row evaluator alone (no batches, no
    /// per-person relation totals): the reference the faster paths must agree with. The
    /// environment variable `INDIKATOR_EVAL=rows` asks for it too.
    pub row_by_row: bool,
    /// Hash each extract's bytes as they are read (SHA-256, `SourceSummary::sha256`), for the
    /// report's provenance stamp.
    pub hash_extracts: bool,
}

/// The environment variable that makes every run evaluate row by row when set to `rows`
/// (as [`Options::row_by_row`] does), so that a test suite can be run both ways.
pub const EVAL_MODE_VARIABLE: &str = "INDIKATOR_EVAL";

impl Options {
    /// Whether this run evaluates row by row: asked by the options or by the environment.
    pub fn rows_only(&self) -> bool {
        self.row_by_row || std::env::var(EVAL_MODE_VARIABLE).is_ok_and(|v| v == "rows")
    }
}

/// The figures of one indicator at one level.
#[derive(Debug, Clone)]
pub struct LevelFigures {
    pub level: Level,
    pub period: Period,
    pub compare: Option<Period>,
    pub current: Vec<(Unit, Figure)>,
    pub previous: Option<Vec<(Unit, Figure)>>,
    /// The country's figure in `period`, the reference of the level marking.
    pub national: Option<Figure>,
}

#[derive(Debug, Clone)]
pub struct IndicatorFigures {
    pub indicator: IndicatorId,
    pub levels: Vec<LevelFigures>,
}

/// Rows read from each extract.
#[derive(Debug, Clone)]
pub struct SourceSummary {
    pub source: String,
    pub file: String,
    pub rows: usize,
    /// Rows left unread: dated outside every period of the run, by `window`'s column.
    pub unread: usize,
    pub windows: Vec<crate::plan::RowWindow>,
    /// The SHA-256 of the extract's bytes, when the run hashed them.
    pub sha256: Option<String>,
}

pub struct Evaluation {
    pub geography: Geography,
    pub indicators: Vec<IndicatorFigures>,
    pub sources: Vec<SourceSummary>,
    pub exclusions: Exclusions,
    /// Batches of rows the batch evaluator went over: none when the run evaluated row by row.
    pub batches: usize,
}

/// What loading the extracts found, besides the tables.
pub struct Loaded {
    pub sources: Vec<SourceSummary>,
    pub exclusions: Exclusions,
}

/// Loads every extract the plan reads (each once) and hands the row engine to `work`.
pub fn with_engine<R>(
    plan: &Plan,
    options: &Options,
    progress: &mut dyn FnMut(&str),
    work: impl FnOnce(&Engine<'_>, Loaded, &mut dyn FnMut(&str)) -> R,
) -> Result<R, DataError> {
    let geography = Geography::load(&options.geography)?;
    let used: Vec<usize> = (0..plan.sources.len())
        .filter(|&k| plan.sources[k].is_read())
        .collect();
    progress(&format!("reading {} extracts", used.len()));
    let mut merged = Merged {
        symbols: Interner::new(&plan.symbols),
        persons: PersonIds::default(),
        exclusions: Exclusions::default(),
        tables: plan
            .sources
            .iter()
            .map(|source| load::Table {
                // Declared but read by no rule: nothing to scan.
                rows: 0,
                unread: 0,
                columns: vec![None; source.columns.len()],
                file: source.file.clone(),
                lines: Vec::new(),
                sha256: None,
            })
            .collect(),
        sources: Vec::new(),
        error: None,
    };
    // Each extract is merged into the run's numbering as soon as it and every extract before
    // it in the plan are read, on this thread, while the loading threads read on.
    let mut waiting: HashMap<usize, LoadedPart> = HashMap::new();
    let mut next = 0;
    load_in_parallel(plan, options, &geography, &used, &mut |k, part| {
        waiting.insert(k, part);
        while let Some(part) = used.get(next).and_then(|k| waiting.remove(k)) {
            merged.merge(plan, options, used[next], part);
            next += 1;
        }
    });
    let Merged {
        symbols,
        persons,
        exclusions,
        tables,
        sources,
        error,
    } = merged;
    if let Some(error) = error {
        return Err(error);
    }
    let person_count = persons.len();
    // The ids themselves are not needed after numbering: free their table (hundreds of MB at
    // national scale) before the evaluation.
    drop(persons);
    let caches = RunCaches::default();
    let engine = Engine::new(
        plan,
        &geography,
        &tables,
        &symbols,
        person_count,
        &caches,
        options.rows_only(),
    );
    let loaded = Loaded {
        sources,
        exclusions,
    };
    Ok(work(&engine, loaded, progress))
}

/// The extracts merged so far, in the plan's order: the run's numbering of texts and persons
/// (each extract's first appearances in turn, so the numbers do not depend on the threads)
/// and the tables renumbered to it.
struct Merged {
    symbols: Interner,
    persons: PersonIds,
    exclusions: Exclusions,
    tables: Vec<load::Table>,
    sources: Vec<SourceSummary>,
    /// The first bad extract in the plan's order: it stops the run.
    error: Option<DataError>,
}

impl Merged {
    fn merge(&mut self, plan: &Plan, options: &Options, k: usize, part: LoadedPart) {
        if self.error.is_some() {
            return;
        }
        let mut table = match part.table {
            Ok(table) => table,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let person_map = self.persons.merge_in_turn(&part.persons);
        let symbol_map = self.symbols.merge(&part.symbols);
        table.renumber(&symbol_map, &person_map);
        self.exclusions.entries.extend(part.exclusions.entries);
        let source = &plan.sources[k];
        let (symbols, persons) = (&self.symbols, &self.persons);
        let show = |value: Value| match value {
            Value::Sym(s) => symbols.text(s).to_string(),
            Value::Person(p) => persons.written(p),
            Value::Date(d) => {
                let (y, m, day) = crate::plan::civil_from_days(d);
                format!("{y:04}-{m:02}-{day:02}")
            }
            Value::Num(x) => x.to_string(),
            Value::Unit(u) => u.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Missing | Value::Duration(_) => String::new(),
        };
        if let Err(e) = validate::check(
            source,
            &mut table,
            options.bad_rows,
            &mut self.exclusions,
            &show,
        ) {
            self.error = Some(e);
            return;
        }
        self.sources.push(SourceSummary {
            source: source.name.clone(),
            file: source.file.clone(),
            rows: table.rows,
            unread: table.unread,
            windows: if options.read_all_rows {
                Vec::new()
            } else {
                source.windows.clone()
            },
            sha256: table.sha256.clone(),
        });
        self.tables[k] = table;
    }
}

/// One extract read by a loading thread, with the texts and persons it met, numbered by that
/// extract's own interners.
struct LoadedPart {
    table: Result<load::Table, DataError>,
    /// The texts and person ids by the extract's own numbers (the lookup tables are dropped
    /// at once: at national scale they would hold every person id once per extract).
    symbols: Vec<std::sync::Arc<str>>,
    persons: Vec<PersonKey>,
    exclusions: Exclusions,
}

/// Reads the extracts `used` on as many threads as the machine has cores, the largest files
/// first, and hands each to `loaded` on this thread as soon as it is read. Each extract gets
/// its own interners, merged in the extracts' order by the caller.
fn load_in_parallel(
    plan: &Plan,
    options: &Options,
    geography: &Geography,
    used: &[usize],
    loaded: &mut dyn FnMut(usize, LoadedPart),
) {
    let threads = cores().min(used.len()).max(1);
    let size = |k: usize| {
        load::resolve(&options.data_dir, &plan.sources[k].file)
            .ok()
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(0, |m| m.len())
    };
    let mut by_size: Vec<(u64, usize)> = used.iter().map(|&k| (size(k), k)).collect();
    by_size.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let load_one = |k: usize| {
        let mut symbols = Interner::new(&plan.symbols);
        let mut persons = PersonIds::per_run();
        let mut exclusions = Exclusions::default();
        let mut loader = load::Loader {
            geography,
            symbols: &mut symbols,
            persons: &mut persons,
            bad_rows: options.bad_rows,
            read_all_rows: options.read_all_rows,
            allow_empty: options.allow_empty_extracts,
            exclusions: &mut exclusions,
            hash: options.hash_extracts,
        };
        let table = loader.load(&plan.sources[k], &options.data_dir);
        LoadedPart {
            table,
            symbols: symbols.into_texts(),
            persons: persons.into_keys(),
            exclusions,
        }
    };
    // Each thread takes the largest extract not yet taken: bytes are a poor guide to the time
    // an extract takes (its rows, its columns' types), so the shares are not fixed in advance.
    // What each extract holds does not depend on the thread that read it.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (done, arrived) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (load_one, next, by_size, done) = (&load_one, &next, &by_size, done.clone());
            scope.spawn(move || {
                loop {
                    let taken = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(_, k)) = by_size.get(taken) else {
                        return;
                    };
                    if done.send((k, load_one(k))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done);
        for (k, part) in arrived {
            loaded(k, part);
        }
    });
}

/// The threads to work on: the machine's cores.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs the plan. `progress` hears of each step, for a display on a terminal.
pub fn evaluate(
    plan: &Plan,
    options: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Evaluation, DataError> {
    with_engine(plan, options, progress, compute_all)
}

/// Computes every shown indicator's figures with a loaded engine.
pub fn compute_all(
    engine: &Engine<'_>,
    loaded: Loaded,
    progress: &mut dyn FnMut(&str),
) -> Evaluation {
    let plan = engine.plan;
    let Loaded {
        sources,
        mut exclusions,
    } = loaded;
    let queue = Queue::new(plan, engine.tables);
    let threads = cores().min(queue.shown.len()).max(1);
    let mut indicators: Vec<(usize, IndicatorFigures)> = if threads < 2 {
        compute_from(engine, &queue, progress)
    } else {
        // The other threads with an engine each over the same loaded extracts and the same
        // run-wide caches; this one too, reporting progress.
        let (geography, tables, symbols, person_count, caches, row_by_row) = (
            engine.geography,
            engine.tables,
            engine.symbols,
            engine.person_count,
            engine.caches,
            engine.row_by_row,
        );
        // The other threads' steps reach the display through this thread, which passes them on
        // with its own.
        let (steps, heard) = std::sync::mpsc::channel::<String>();
        std::thread::scope(|scope| {
            let queue = &queue;
            let handles: Vec<_> = (2..=threads)
                .map(|thread| {
                    let steps = steps.clone();
                    scope.spawn(move || {
                        let other = Engine::new(
                            plan,
                            geography,
                            tables,
                            symbols,
                            person_count,
                            caches,
                            row_by_row,
                        );
                        let mut tell = |step: &str| {
                            let _ = steps.send(format!("{step} (thread {thread})"));
                        };
                        let figures = compute_from(&other, queue, &mut tell);
                        (figures, other.residence_counts())
                    })
                })
                .collect();
            drop(steps);
            let mut relay = |step: &str| {
                for other in heard.try_iter() {
                    progress(&other);
                }
                progress(step);
            };
            let mut all = compute_from(engine, queue, &mut relay);
            for other in heard.iter() {
                progress(&other);
            }
            for handle in handles {
                let (figures, counts) = handle.join().expect("an evaluating thread panicked");
                all.extend(figures);
                engine.add_residence_counts(counts);
            }
            all
        })
    };
    // The report's order is the plan's, whichever thread computed what.
    indicators.sort_by_key(|(position, _)| *position);
    let indicators = indicators.into_iter().map(|(_, f)| f).collect();
    exclusions.entries.extend(engine.residence_notes());
    Evaluation {
        geography: engine.geography.clone(),
        indicators,
        sources,
        exclusions,
        batches: engine.caches.batches.load(Ordering::Relaxed),
    }
}

/// The shown indicators, taken one at a time by the run's threads, and for each population the
/// number of indicators not yet finished that need it.
struct Queue {
    shown: Vec<schedule::Work>,
    next: AtomicUsize,
    users_left: Vec<AtomicUsize>,
}

impl Queue {
    fn new(plan: &Plan, tables: &[load::Table]) -> Queue {
        let shown = schedule::costliest_first(plan, tables);
        let mut users = vec![0; plan.populations.len()];
        for work in &shown {
            for &p in &work.populations {
                users[p] += 1;
            }
        }
        Queue {
            shown,
            next: AtomicUsize::new(0),
            users_left: users.into_iter().map(AtomicUsize::new).collect(),
        }
    }
}

/// Computes indicators taken from `queue` with one engine until none is left. After each,
/// the populations no indicator still to finish needs are forgotten: at national scale the
/// views of all populations of all periods would not fit in memory together.
fn compute_from(
    engine: &Engine<'_>,
    queue: &Queue,
    progress: &mut dyn FnMut(&str),
) -> Vec<(usize, IndicatorFigures)> {
    let plan = engine.plan;
    let evaluator = Evaluator { engine };
    let mut indicators = Vec::new();
    loop {
        let taken = queue.next.fetch_add(1, Ordering::Relaxed);
        let Some(schedule::Work {
            position,
            indicator: id,
            populations,
        }) = queue.shown.get(taken)
        else {
            return indicators;
        };
        let ind = &plan.indicators[*id];
        progress(&format!("computing {}", ind.name));
        let mut levels = Vec::new();
        for level_plan in &ind.levels {
            let current = evaluator.figures(*id, level_plan.level, level_plan.period);
            let previous = level_plan
                .compare
                .map(|p| evaluator.figures(*id, level_plan.level, p));
            let national = evaluator.national(*id, level_plan.period);
            levels.push(LevelFigures {
                level: level_plan.level,
                period: level_plan.period,
                compare: level_plan.compare,
                current: current.as_ref().clone(),
                previous: previous.map(|p| p.as_ref().clone()),
                national,
            });
        }
        indicators.push((
            *position,
            IndicatorFigures {
                indicator: *id,
                levels,
            },
        ));
        let done: Vec<PopulationId> = populations
            .iter()
            .copied()
            .filter(|&p| queue.users_left[p].fetch_sub(1, Ordering::AcqRel) == 1)
            .collect();
        if !done.is_empty() {
            let caches = engine.caches;
            caches
                .views
                .forget(|(population, _)| done.contains(population));
            caches
                .person_indexes
                .forget(|(rows, _)| matches!(rows, RowSet::Population(p) if done.contains(p)));
        }
        engine.forget_views();
    }
}

struct Evaluator<'e, 'p> {
    engine: &'e Engine<'p>,
}

impl Evaluator<'_, '_> {
    /// An indicator's figures at a level for a period, computed once for the run. The level's
    /// own rules (standardisation, suppression) apply whatever the period asked for.
    fn figures(&self, id: IndicatorId, level: Level, period: Period) -> Arc<UnitFigures> {
        self.engine
            .caches
            .figures
            .get_or_build((id, level, period), || {
                self.compute_figures(id, level, period)
            })
    }

    fn compute_figures(&self, id: IndicatorId, level: Level, period: Period) -> UnitFigures {
        let plan = self.engine.plan;
        let ind = &plan.indicators[id];
        match ind.levels.iter().find(|l| l.level == level) {
            None => Vec::new(),
            Some(level_plan) => {
                let tallies = self.engine.tallies(ind, level, period);
                let derived = |unit: Unit| self.derived(ind.formula.as_ref(), unit, period);
                let input = LevelInput {
                    indicator: ind,
                    level: level_plan,
                    period,
                    tallies,
                    derived: &derived,
                };
                self.engine.compute(&input)
            }
        }
    }

    fn national(&self, id: IndicatorId, period: Period) -> Option<Figure> {
        let figures = self.figures(id, Level::National, period);
        figures.first().map(|(_, f)| f.clone())
    }

    fn figure_at(&self, id: IndicatorId, unit: Unit, period: Period) -> Option<Figure> {
        let level = match unit {
            Unit::National => Level::National,
            Unit::Region(_) => Level::Region,
            Unit::Municipality(_) => Level::Municipality,
        };
        let figures = self.figures(id, level, period);
        figures
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, f)| f.clone())
    }

    /// A derived figure: the formula over other indicators' figures. Any input not shown makes
    /// the derived figure not shown either (`input_suppressed`). The interval follows from the
    /// inputs' intervals by the delta method, taking the inputs as independent: on the log
    /// scale for a positive product or quotient (so that a ratio's interval stays positive and
    /// is skewed as a ratio's is), else on the figure's own scale. When an input has no
    /// interval, neither has the derived figure.
    fn derived(&self, formula: Option<&Formula>, unit: Unit, period: Period) -> Figure {
        let value = formula.and_then(|f| self.formula(f, unit, period));
        match value {
            Some(Ok(d)) if d.value.is_finite() => {
                let z = crate::stats::z_for(measure::CONFIDENCE);
                let variance: Option<f64> = d
                    .slopes
                    .iter()
                    .map(|s| s.standard_error.map(|se| (s.slope * se).powi(2)))
                    .sum();
                let log_scale = d.value > 0.0 && formula.is_some_and(multiplicative);
                let interval = variance.filter(|v| v.is_finite()).map(|v| {
                    let se = v.sqrt();
                    if log_scale {
                        // d log f = d f / f.
                        let factor = (z * se / d.value).exp();
                        crate::stats::Interval {
                            low: d.value / factor,
                            high: d.value * factor,
                        }
                    } else {
                        crate::stats::Interval {
                            low: d.value - z * se,
                            high: d.value + z * se,
                        }
                    }
                });
                Figure {
                    value: Some(d.value),
                    interval,
                    ..Figure::default()
                }
            }
            Some(Ok(_)) | None => Figure {
                suppressed: Some("no_data".to_string()),
                ..Figure::default()
            },
            Some(Err(reason)) => Figure {
                suppressed: Some(reason.as_str().to_string()),
                ..Figure::default()
            },
        }
    }

    fn formula(&self, f: &Formula, unit: Unit, period: Period) -> Option<Result<Dual, NoFigure>> {
        Some(match f {
            Formula::Number(n) => Ok(Dual::constant(*n)),
            Formula::Neg(x) => self.formula(x, unit, period)?.map(|v| v.scaled(-1.0)),
            Formula::Binary(op, a, b) => {
                let x = self.formula(a, unit, period)?;
                let y = self.formula(b, unit, period)?;
                match (x, y) {
                    (Ok(x), Ok(y)) => Ok(x.combine(*op, &y)),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                }
            }
            Formula::Indicator(id, at) => {
                let target = match at {
                    None => unit,
                    Some(Level::National) => Unit::National,
                    Some(Level::Region) => match self.engine.geography.region_of(unit) {
                        Some(r) => Unit::Region(r),
                        None => Unit::National,
                    },
                    Some(Level::Municipality) => unit,
                };
                match self.figure_at(*id, target, period) {
                    Some(Figure {
                        value: Some(v),
                        suppressed: None,
                        interval,
                        ..
                    }) => {
                        let z = crate::stats::z_for(measure::CONFIDENCE);
                        Ok(Dual {
                            value: v,
                            slopes: vec![Slope {
                                input: (*id, target),
                                slope: 1.0,
                                standard_error: interval.map(|i| (i.high - i.low) / (2.0 * z)),
                            }],
                        })
                    }
                    _ => Err(NoFigure::InputSuppressed),
                }
            }
        })
    }
}

/// Why a derived indicator has no figure where its formula has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoFigure {
    /// An indicator the formula reads has no figure shown at the unit.
    InputSuppressed,
}

impl NoFigure {
    /// The reason as the report writes it.
    fn as_str(self) -> &'static str {
        match self {
            NoFigure::InputSuppressed => "input_suppressed",
        }
    }
}

/// Whether a formula only multiplies and divides (indicators and constants).
fn multiplicative(f: &Formula) -> bool {
    match f {
        Formula::Number(_) | Formula::Indicator(..) => true,
        Formula::Neg(_) => false,
        Formula::Binary(op, a, b) => {
            matches!(op, BinOp::Mul | BinOp::Div) && multiplicative(a) && multiplicative(b)
        }
    }
}

/// A derived value with its slope with respect to each input figure (forward-mode
/// differentiation), for the delta-method interval.
#[derive(Debug, Clone)]
struct Dual {
    value: f64,
    slopes: Vec<Slope>,
}

#[derive(Debug, Clone, Copy)]
struct Slope {
    input: (IndicatorId, Unit),
    slope: f64,
    standard_error: Option<f64>,
}

impl Dual {
    fn constant(value: f64) -> Dual {
        Dual {
            value,
            slopes: Vec::new(),
        }
    }

    fn scaled(mut self, factor: f64) -> Dual {
        self.value *= factor;
        for s in &mut self.slopes {
            s.slope *= factor;
        }
        self
    }

    /// `self op other`, with the slopes by the rules of differentiation; an input used twice
    /// adds up its slopes.
    fn combine(&self, op: BinOp, other: &Dual) -> Dual {
        let (x, y) = (self.value, other.value);
        let (value, dx, dy) = match op {
            BinOp::Add => (x + y, 1.0, 1.0),
            BinOp::Sub => (x - y, 1.0, -1.0),
            BinOp::Mul => (x * y, y, x),
            BinOp::Div => (x / y, 1.0 / y, -x / (y * y)),
            _ => (f64::NAN, f64::NAN, f64::NAN),
        };
        let mut slopes: Vec<Slope> = Vec::new();
        for (s, factor) in self
            .slopes
            .iter()
            .map(|s| (s, dx))
            .chain(other.slopes.iter().map(|s| (s, dy)))
        {
            match slopes.iter_mut().find(|t| t.input == s.input) {
                Some(t) => t.slope += s.slope * factor,
                None => slopes.push(Slope {
                    slope: s.slope * factor,
                    ..*s
                }),
            }
        }
        Dual { value, slopes }
    }
}
