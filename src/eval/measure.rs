//! From rows to figures: aggregates a period's rows per municipality (and per stratum or age
//! band), rolls them up to regions and the country, and computes each unit's value, interval
//! and suppression.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub use super::cells::{Acc, Cells, Figure, Slot};
use super::columnar::{self, BatchEval, BatchExpr, BatchInput};
use super::geography::Unit;
use super::rows::{Ctx, Engine};
use super::value::Value;
use super::views::View;
use crate::plan::{
    Aggregate, Aggregation, BinOp, Expr, IndicatorPlan, Level, LevelPlan, MeasureKind, Period,
    RowSet, StandardRef, Sym, ThresholdExpr,
};
use crate::stats::{self, Interval};

pub const CONFIDENCE: f64 = 0.95;

/// Keys of at most this many parts (strata, age bands, tally groups) are summed without
/// allocating.
const SMALL_KEY: usize = 4;

/// Keys summed in a tally's dense array; further keys go to the ordered map.
const DENSE_KEYS: usize = 1024;

/// What a row that passed an aggregation's filter brings to its cells.
struct Contribution<'a> {
    /// `None` when the row has no municipality.
    slot: Option<Slot>,
    key: &'a [Value],
    weight: Option<Value>,
    /// The value averaged, or summed (`None` for a count).
    measured: Option<Value>,
    /// The row's person, for `count persons`.
    person: Option<Value>,
}

/// An aggregation's cells as rows come in. Sums under keys of up to `SMALL_KEY` parts are kept
/// in a dense array, by the key's number (in order of first appearance) and the slot, so a row
/// costs no hashing when its key is the previous row's; the ordered map is filled once at the
/// end. Each cell's rows are added in row order either way, so the sums are the same numbers.
struct Tally {
    cells: Cells,
    key_len: usize,
    means: bool,
    persons: bool,
    slot_count: usize,
    key_numbers:
        HashMap<[Sym; SMALL_KEY], usize, std::hash::BuildHasherDefault<super::value::FastHash>>,
    keys: Vec<[Sym; SMALL_KEY]>,
    /// `sums[key number * slot_count + slot]`, with whether any row came to the cell.
    sums: Vec<(Acc, bool)>,
    last_key: Option<([Sym; SMALL_KEY], usize)>,
}

impl Tally {
    fn new(key_len: usize, means: bool, persons: bool, slot_count: usize) -> Tally {
        Tally {
            cells: Cells::default(),
            key_len,
            means,
            persons,
            slot_count,
            key_numbers: HashMap::default(),
            keys: Vec::new(),
            sums: Vec::new(),
            last_key: None,
        }
    }

    fn add(&mut self, row: Contribution<'_>) {
        let slot = match row.slot {
            Some(slot) => slot,
            None => {
                self.cells.without_residence += 1;
                0
            }
        };
        let small = self.key_len <= SMALL_KEY;
        let mut small_key = [0; SMALL_KEY];
        let mut key = Vec::new();
        for (k, value) in row.key.iter().enumerate() {
            match *value {
                Value::Sym(s) if small => small_key[k] = s,
                Value::Sym(s) => key.push(s),
                // A row outside every stratum or band cannot be placed: it is left out.
                _ => return,
            }
        }
        let weight = match row.weight {
            Some(Value::Num(x)) if x >= 0.0 => x,
            Some(_) => return,
            None => 1.0,
        };
        if self.means {
            if let Some(x) = row.measured.and_then(Value::number) {
                self.cells.values.push((slot, x, weight));
            }
            return;
        }
        let amount = match row.measured {
            None => 1.0,
            Some(v) => match v.number() {
                Some(x) => x,
                None => return,
            },
        };
        if self.persons {
            if let Some(Value::Person(p)) = row.person {
                if small {
                    key.extend_from_slice(&small_key[..self.key_len]);
                }
                self.cells.persons.push((slot, key, p));
            }
            return;
        }
        let number = if small {
            self.key_number(small_key)
        } else {
            None
        };
        if let Some(number) = number {
            self.sums[number * self.slot_count + slot as usize]
                .0
                .add(amount, weight);
            self.sums[number * self.slot_count + slot as usize].1 = true;
        } else {
            if small {
                key.extend_from_slice(&small_key[..self.key_len]);
            }
            self.cells
                .sums
                .entry((slot, key))
                .or_default()
                .add(amount, weight);
        }
    }

    /// What [`Tally::add`] does with a row of no key, no weight and `amount` (a count's 1),
    /// when the tally neither averages nor counts persons.
    fn add_unkeyed(&mut self, slot: Option<Slot>, amount: f64) {
        let slot = match slot {
            Some(slot) => slot as usize,
            None => {
                self.cells.without_residence += 1;
                0
            }
        };
        let number = self
            .key_number([0; SMALL_KEY])
            .expect("the first key has a number");
        let cell = &mut self.sums[number * self.slot_count + slot];
        cell.0.add(amount, 1.0);
        cell.1 = true;
    }

    /// The key's number in the dense array; `None` for a key met after `DENSE_KEYS` others,
    /// which is summed in the ordered map instead (a key of many values would make the array
    /// as large as the number of keys times the slots).
    fn key_number(&mut self, key: [Sym; SMALL_KEY]) -> Option<usize> {
        if let Some((last, number)) = self.last_key
            && last == key
        {
            return Some(number);
        }
        let next = self.keys.len();
        let number = match self.key_numbers.get(&key) {
            Some(&number) => number,
            None if next >= DENSE_KEYS => return None,
            None => {
                self.key_numbers.insert(key, next);
                self.keys.push(key);
                self.sums
                    .resize((next + 1) * self.slot_count, (Acc::default(), false));
                next
            }
        };
        self.last_key = Some((key, number));
        Some(number)
    }

    fn finish(mut self) -> Cells {
        for (number, key) in self.keys.iter().enumerate() {
            let cells = &self.sums[number * self.slot_count..(number + 1) * self.slot_count];
            for (slot, (acc, touched)) in cells.iter().enumerate() {
                if *touched {
                    self.cells
                        .sums
                        .insert((slot as Slot, key[..self.key_len].to_vec()), *acc);
                }
            }
        }
        self.cells
    }
}

/// An aggregation's expressions compiled for the batch evaluator.
struct Batched {
    filter: Option<BatchExpr>,
    weight: Option<BatchExpr>,
    measured: Option<BatchExpr>,
    keys: Vec<BatchExpr>,
}

impl Engine<'_> {
    /// The residence column of a row set's rows, if they have one.
    pub fn residence(&self, rows: RowSet) -> Option<usize> {
        match rows {
            RowSet::Population(p) => self.plan.populations[p].residence,
            RowSet::Source(s) => {
                let cols: Vec<usize> = self.plan.sources[s]
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, t))| *t == crate::plan::ColumnType::Municipality)
                    .map(|(i, _)| i)
                    .collect();
                (cols.len() == 1).then(|| cols[0])
            }
        }
    }

    /// Which municipality a row of a row set belongs to; `None` when its residence is missing.
    pub fn slot(&self, residence: Option<usize>, r: super::views::RowRef<'_>) -> Option<Slot> {
        match residence {
            None => Some(0),
            Some(col) => self.slot_of(self.tables[r.root].value(col, r.row as usize)),
        }
    }

    /// The slot of a residence value; `None` when it is no municipality.
    fn slot_of(&self, residence: Value) -> Option<Slot> {
        self.municipality_of(residence).map(|m| m as Slot + 1)
    }

    /// Evaluates an aggregation over a period's rows, divided by `keys`.
    /// Evaluates an aggregation over a period's rows, divided by `keys`, once: every level of
    /// an indicator (and its tallies and explanation) reads the same cells, grouping them by
    /// its own units.
    pub fn cells(
        &self,
        a: &Aggregation,
        period: Period,
        keys: &[Expr],
        values: Option<&Expr>,
    ) -> Arc<Cells> {
        // Indicators often share an aggregation (`count of` the residents as a rate's
        // denominator): equal aggregations have the same id (`plan::ids`).
        let key = super::shared::CellsKey {
            period,
            aggregation: a.id,
            keys: keys.to_vec(),
            values: values.cloned(),
        };
        self.caches
            .cells
            .get_or_build(key, || self.compute_cells(a, period, keys, values))
    }

    fn compute_cells(
        &self,
        a: &Aggregation,
        period: Period,
        keys: &[Expr],
        values: Option<&Expr>,
    ) -> Cells {
        let measured = match (&a.function, values) {
            (_, Some(v)) => Some(v),
            (Aggregate::Sum(e), None) => Some(e),
            (Aggregate::Count { .. }, None) => None,
        };
        let mut tally = Tally::new(
            keys.len(),
            values.is_some(),
            matches!(a.function, Aggregate::Count { persons: true }),
            self.geography.municipalities.len() + 1,
        );
        let view = match a.rows {
            RowSet::Population(p) => Some(self.view(p, period)),
            RowSet::Source(_) => None,
        };
        let compile = |e: &Expr| self.compile_batch(e, view.is_some());
        // `Some(None)` for an expression the batch evaluator cannot compute; `None` for none.
        let optional = |e: Option<&Expr>| match e {
            None => Some(None),
            Some(e) => compile(e).map(Some),
        };
        let batched = (|| {
            if self.row_by_row {
                return None;
            }
            Some(Batched {
                filter: optional(a.filter.as_ref())?,
                weight: optional(a.weight.as_ref())?,
                measured: optional(measured)?,
                keys: keys.iter().map(compile).collect::<Option<_>>()?,
            })
        })();
        if let Some(batched) = batched {
            self.tally_batches(a, period, view.as_deref(), &batched, &mut tally);
        } else {
            self.tally_rows(a, period, keys, measured, &mut tally);
        }
        let cells = tally.finish();
        let residence = self.residence(a.rows);
        if cells.without_residence > 0
            && let Some(col) = residence
        {
            let root = self.root_of(a.rows);
            self.note_without_residence(root, col, period, cells.without_residence);
        }
        cells
    }

    /// Tallies the rows one by one, through the row evaluator.
    fn tally_rows(
        &self,
        a: &Aggregation,
        period: Period,
        keys: &[Expr],
        measured: Option<&Expr>,
        tally: &mut Tally,
    ) {
        let person_column = self.plan.sources[self.root_of(a.rows)].person;
        let residence = self.residence(a.rows);
        let mut key = Vec::with_capacity(keys.len());
        self.for_each_row(a.rows, period, |r| {
            let mut ctx = Ctx {
                period,
                current: r,
                bound: Vec::new(),
            };
            if let Some(f) = &a.filter
                && !self.eval(f, &mut ctx).truthy()
            {
                return;
            }
            key.clear();
            for e in keys {
                key.push(self.eval(e, &mut ctx));
            }
            // A row outside every stratum is left out whatever else it holds: its other values
            // (relations, perhaps) are not worth evaluating.
            let placed = key.iter().all(|v| matches!(v, Value::Sym(_)));
            let mut value_of = |e: &Expr| placed.then(|| self.eval(e, &mut ctx));
            let row = Contribution {
                slot: self.slot(residence, r),
                key: &key,
                weight: a.weight.as_ref().and_then(&mut value_of),
                measured: measured.and_then(&mut value_of),
                person: person_column.map(|pc| self.tables[r.root].value(pc, r.row as usize)),
            };
            tally.add(row);
        });
    }

    /// Tallies the rows a few thousand at a time, through the batch evaluator: for
    /// aggregations whose every expression reads only the row's columns and lets. The rows
    /// reach the tally in the same order as one by one.
    fn tally_batches(
        &self,
        a: &Aggregation,
        period: Period,
        view: Option<&View>,
        batched: &Batched,
        tally: &mut Tally,
    ) {
        let Batched {
            filter,
            weight,
            measured,
            keys,
        } = batched;
        let root = self.root_of(a.rows);
        let table = &self.tables[root];
        let person_column = self.plan.sources[root].person;
        let residence = self.residence(a.rows);
        let count = view.map_or(table.rows, |v| v.len());
        let filter: Vec<BatchExpr> = filter.iter().cloned().collect();
        let mut rows = Vec::with_capacity(columnar::BATCH);
        let mut positions = Vec::with_capacity(columnar::BATCH);
        let mut key = Vec::with_capacity(keys.len());
        for first in (0..count).step_by(columnar::BATCH) {
            positions.clear();
            positions.extend(first as u32..(first + columnar::BATCH).min(count) as u32);
            rows.clear();
            match view {
                Some(v) => rows.extend(positions.iter().map(|&k| v.rows[k as usize])),
                None => rows.extend_from_slice(&positions),
            }
            self.retain_batch(&filter, period, root, view, &mut rows, &mut positions);
            let lets = view.map_or(columnar::BatchLets::None, |v| {
                columnar::BatchLets::View(v, &positions[..])
            });
            self.note_batch();
            let batch = |e: &BatchExpr| self.eval_batch(e, period, root, &rows, lets);
            let column =
                |c: Option<usize>| c.map(|c| columnar::gather(table.columns[c].as_ref(), &rows));
            let residences = column(residence);
            let key_values: Vec<Vec<Value>> = keys.iter().map(batch).collect();
            let weights = weight.as_ref().map(batch);
            let measures = measured.as_ref().map(batch);
            let persons = if tally.persons {
                column(person_column)
            } else {
                None
            };
            if keys.is_empty() && weights.is_none() && !tally.means && !tally.persons {
                // A count or sum by municipality alone, the usual aggregation.
                for k in 0..rows.len() {
                    let slot = match &residences {
                        None => Some(0),
                        Some(r) => self.slot_of(r[k]),
                    };
                    let amount = match &measures {
                        None => 1.0,
                        Some(m) => match m[k].number() {
                            Some(x) => x,
                            None => continue,
                        },
                    };
                    tally.add_unkeyed(slot, amount);
                }
                continue;
            }
            for k in 0..rows.len() {
                key.clear();
                key.extend(key_values.iter().map(|v| v[k]));
                tally.add(Contribution {
                    slot: match &residences {
                        None => Some(0),
                        Some(r) => self.slot_of(r[k]),
                    },
                    key: &key,
                    weight: weights.as_ref().map(|w| w[k]),
                    measured: measures.as_ref().map(|m| m[k]),
                    person: persons.as_ref().map(|p| p[k]),
                });
            }
        }
    }

    /// The slots that make up a unit.
    pub fn slots(&self, unit: Unit) -> Vec<Slot> {
        match unit {
            Unit::National => (0..=self.geography.municipalities.len() as Slot).collect(),
            Unit::Region(r) => self
                .geography
                .municipalities
                .iter()
                .enumerate()
                .filter(|(_, m)| m.region == r)
                .map(|(i, _)| i as Slot + 1)
                .collect(),
            Unit::Municipality(m) => vec![m as Slot + 1],
        }
    }

    pub fn units(&self, level: Level) -> Vec<Unit> {
        match level {
            Level::National => vec![Unit::National],
            Level::Region => (0..self.geography.regions.len())
                .map(Unit::Region)
                .collect(),
            Level::Municipality => (0..self.geography.municipalities.len())
                .map(Unit::Municipality)
                .collect(),
        }
    }
}

/// A unit's sums by key.
pub fn by_key(cells: &Cells, slots: &[Slot]) -> BTreeMap<Vec<Sym>, Acc> {
    let mut out: BTreeMap<Vec<Sym>, Acc> = BTreeMap::new();
    let in_unit = slot_set(slots);
    for ((slot, key), acc) in &cells.sums {
        if in_unit(*slot) {
            out.entry(key.clone()).or_default().merge(acc);
        }
    }
    let mut persons: Vec<(&Vec<Sym>, u32)> = cells
        .persons
        .iter()
        .filter(|(s, _, _)| in_unit(*s))
        .map(|(_, k, p)| (k, *p))
        .collect();
    persons.sort();
    persons.dedup();
    for (key, _) in persons {
        out.entry(key.clone()).or_default().add(1.0, 1.0);
    }
    out
}

fn slot_set(slots: &[Slot]) -> impl Fn(Slot) -> bool + '_ {
    move |s| slots.binary_search(&s).is_ok()
}

pub fn total(keyed: &BTreeMap<Vec<Sym>, Acc>) -> Acc {
    let mut acc = Acc::default();
    for a in keyed.values() {
        acc.merge(a);
    }
    acc
}

/// The figures of one indicator at one level for one period.
pub struct LevelInput<'a> {
    pub indicator: &'a IndicatorPlan,
    pub level: &'a LevelPlan,
    pub period: Period,
    /// Tallies per unit, for suppression.
    pub tallies: Vec<HashMap<Unit, f64>>,
    /// A derived indicator's figure for a unit, from the figures of the indicators it uses.
    pub derived: &'a dyn Fn(Unit) -> Figure,
}

impl Engine<'_> {
    pub fn compute(&self, input: &LevelInput<'_>) -> Vec<(Unit, Figure)> {
        let ind = input.indicator;
        let units = self.units(input.level.level);
        let mut figures: Vec<(Unit, Figure)> = match ind.kind {
            MeasureKind::Proportion
            | MeasureKind::Rate { .. }
            | MeasureKind::Ratio
            | MeasureKind::Count
            | MeasureKind::Sum => self.ratio_figures(input, &units),
            MeasureKind::Mean | MeasureKind::Median => self.value_figures(input, &units),
            MeasureKind::LifeExpectancy { at_age } => self.life_figures(input, &units, at_age),
            MeasureKind::Reported => self.reported_figures(input, &units),
            MeasureKind::Derived => units.iter().map(|&u| (u, (input.derived)(u))).collect(),
            MeasureKind::NoFigures => units.iter().map(|&u| (u, Figure::default())).collect(),
        };
        // The indicator's own rules come first, so a declared exclusion (`area in […]`) is the
        // reason given even where there is no figure; rules that need the figure's numbers
        // cannot decide without them, and such a unit is then `no_data`.
        for (unit, figure) in &mut figures {
            if figure.suppressed.is_some() {
                continue;
            }
            // Without a value, only rules that need no numbers (such as `area in […]`) can decide.
            let (numbers, tallies): (Figure, &[HashMap<Unit, f64>]) = if figure.value.is_some() {
                (figure.clone(), &input.tallies)
            } else {
                (Figure::default(), &[])
            };
            for s in &input.level.suppressions {
                let hit = threshold(
                    &s.condition,
                    &numbers,
                    self.geography.code(*unit),
                    *unit,
                    tallies,
                );
                if hit == Some(true) {
                    figure.suppressed = Some(s.reason.clone());
                    break;
                }
            }
            if figure.value.is_none() && figure.suppressed.is_none() {
                figure.suppressed = Some("no_data".to_string());
            }
        }
        figures
    }

    fn ratio_figures(&self, input: &LevelInput<'_>, units: &[Unit]) -> Vec<(Unit, Figure)> {
        let ind = input.indicator;
        let (Some(num), Some(den)) = (
            &ind.numerator,
            ind.denominator.as_ref().or(ind.numerator.as_ref()),
        ) else {
            return units.iter().map(|&u| (u, Figure::default())).collect();
        };
        let has_denominator = ind.denominator.is_some();
        let std = input.level.standardisation.as_ref();
        let (num_keys, den_keys): (&[Expr], &[Expr]) = match std {
            Some(s) => (&s.numerator_strata, &s.denominator_strata),
            None => (&[], &[]),
        };
        let num_cells = self.cells(num, input.period, num_keys, None);
        let den_cells = if has_denominator {
            self.cells(den, input.period, den_keys, None)
        } else {
            Arc::new(Cells::default())
        };
        let weights: Option<BTreeMap<Vec<Sym>, f64>> = std.map(|s| match &s.standard {
            StandardRef::National => by_key(&den_cells, &self.slots(Unit::National))
                .into_iter()
                .map(|(k, a)| (k, a.weighted))
                .collect(),
            StandardRef::Declared(id) => self.standard_weights(*id),
        });
        let (scale, is_proportion) = match ind.kind {
            MeasureKind::Proportion => (100.0, true),
            MeasureKind::Rate { per } => (per, false),
            _ => (1.0, false),
        };
        let weighted = num.weight.is_some();
        let counts_events = matches!(num.function, Aggregate::Count { .. });
        units
            .iter()
            .map(|&unit| {
                let slots = self.slots(unit);
                let n_keyed = by_key(&num_cells, &slots);
                let d_keyed = by_key(&den_cells, &slots);
                let (n, d) = (total(&n_keyed), total(&d_keyed));
                let mut figure = Figure {
                    numerator: Some(n.n),
                    denominator: has_denominator.then_some(d.n),
                    ..Figure::default()
                };
                if !has_denominator {
                    figure.value = Some(if weighted { n.weighted } else { n.n });
                    figure.interval = matches!(ind.kind, MeasureKind::Count)
                        .then(|| stats::poisson_count_interval(n.n, CONFIDENCE));
                    return (unit, figure);
                }
                if d.weighted <= 0.0 {
                    return (unit, figure);
                }
                match &weights {
                    Some(weights) => {
                        let strata: Vec<stats::Stratum> = weights
                            .iter()
                            .map(|(key, &w)| stats::Stratum {
                                events: n_keyed.get(key).map(|a| a.weighted).unwrap_or(0.0),
                                population: d_keyed.get(key).map(|a| a.weighted).unwrap_or(0.0),
                                standard_weight: w,
                            })
                            .collect();
                        if let Some(s) = stats::direct_standardise(&strata, CONFIDENCE) {
                            figure.value = Some(s.rate * scale);
                            // Dobson's interval treats events as Poisson counts; a share
                            // cannot leave 0-100 %, so the interval is kept inside it.
                            let top = if is_proportion { 1.0 } else { f64::INFINITY };
                            let s = stats::Standardised {
                                interval: Interval {
                                    low: s.interval.low.max(0.0),
                                    high: s.interval.high.min(top),
                                },
                                ..s
                            };
                            figure.interval = Some(Interval {
                                low: s.interval.low * scale,
                                high: s.interval.high * scale,
                            });
                        }
                    }
                    None => {
                        let rate = n.weighted / d.weighted;
                        figure.value = Some(rate * scale);
                        figure.interval = if is_proportion {
                            let interval = if weighted {
                                stats::weighted_proportion(
                                    n.weighted,
                                    d.weighted,
                                    d.weighted.powi(2) / d.weight_squares.max(f64::MIN_POSITIVE),
                                    CONFIDENCE,
                                )
                                .map(|(_, i)| i)
                            } else {
                                stats::wilson(n.n, d.n, CONFIDENCE)
                            };
                            interval.map(|i| Interval {
                                low: i.low * scale,
                                high: i.high * scale,
                            })
                        } else if !counts_events {
                            // A sum (days, kroner) is not a count of events: its amounts
                            // arrive as Poisson events of varying size (a compound Poisson
                            // sum), whose variance is the sum of the squared amounts.
                            stats::compound_sum_interval(n.weighted, n.amount_squares, CONFIDENCE)
                                .map(|i| Interval {
                                    low: i.low / d.weighted * scale,
                                    high: i.high / d.weighted * scale,
                                })
                        } else {
                            stats::rate_interval(n.weighted, d.weighted, CONFIDENCE).map(|i| {
                                Interval {
                                    low: i.low * scale,
                                    high: i.high * scale,
                                }
                            })
                        };
                    }
                }
                (unit, figure)
            })
            .collect()
    }

    /// Standard population weights by stratum key.
    pub fn standard_weights(&self, id: usize) -> BTreeMap<Vec<Sym>, f64> {
        let std = &self.plan.standards[id];
        let mut out: BTreeMap<Vec<Sym>, f64> = BTreeMap::new();
        let table = &self.tables[std.source];
        // The standard is fixed: its filters see no period of their own.
        let period = Period::new(crate::plan::PeriodKind::Year(0));
        for row in 0..table.rows as u32 {
            let r = self.source_row(std.source, row);
            let mut ctx = Ctx {
                period,
                current: r,
                bound: Vec::new(),
            };
            if !std.filters.iter().all(|f| self.eval(f, &mut ctx).truthy()) {
                continue;
            }
            let key: Option<Vec<Sym>> = std
                .strata
                .iter()
                .map(|&col| match table.value(col, row as usize) {
                    Value::Sym(s) => Some(s),
                    _ => None,
                })
                .collect();
            let Some(key) = key else { continue };
            if let Some(w) = self.eval(&std.weight, &mut ctx).number() {
                *out.entry(key).or_default() += w;
            }
        }
        out
    }

    fn value_figures(&self, input: &LevelInput<'_>, units: &[Unit]) -> Vec<(Unit, Figure)> {
        let ind = input.indicator;
        let Some((value, agg)) = &ind.value_over else {
            return units.iter().map(|&u| (u, Figure::default())).collect();
        };
        let cells = self.cells(agg, input.period, &[], Some(value));
        units
            .iter()
            .map(|&unit| {
                let slots = self.slots(unit);
                let in_unit = slot_set(&slots);
                let (values, weights): (Vec<f64>, Vec<f64>) = cells
                    .values
                    .iter()
                    .filter(|(s, _, _)| in_unit(*s))
                    .map(|(_, v, w)| (*v, *w))
                    .unzip();
                let mut figure = Figure {
                    denominator: Some(values.len() as f64),
                    ..Figure::default()
                };
                if ind.kind == MeasureKind::Median {
                    if let Some(m) = stats::median(&values, CONFIDENCE) {
                        figure.value = Some(m.median);
                        figure.interval = m.interval;
                    }
                } else {
                    let w = agg.weight.as_ref().map(|_| weights.as_slice());
                    if let Some(m) = stats::mean(&values, w, CONFIDENCE) {
                        figure.numerator = Some(values.iter().sum());
                        figure.value = Some(m.mean);
                        figure.interval = m.interval;
                    }
                }
                (unit, figure)
            })
            .collect()
    }

    fn life_figures(
        &self,
        input: &LevelInput<'_>,
        units: &[Unit],
        at_age: f64,
    ) -> Vec<(Unit, Figure)> {
        let ind = input.indicator;
        let (Some(deaths), Some(exposure)) = (&ind.numerator, &ind.denominator) else {
            return units.iter().map(|&u| (u, Figure::default())).collect();
        };
        let (Some(Expr::Band { limits, labels, .. }), Some(exposure_ages)) =
            (&deaths.ages, &exposure.ages)
        else {
            return units.iter().map(|&u| (u, Figure::default())).collect();
        };
        let bands: Vec<stats::lifetable::AgeBand> = limits
            .iter()
            .enumerate()
            .map(|(i, &start)| stats::lifetable::AgeBand {
                start,
                width: limits.get(i + 1).map(|next| next - start),
            })
            .collect();
        let death_cells = self.cells(
            deaths,
            input.period,
            std::slice::from_ref(deaths.ages.as_ref().unwrap_or(exposure_ages)),
            None,
        );
        let exposure_cells = self.cells(
            exposure,
            input.period,
            std::slice::from_ref(exposure_ages),
            None,
        );
        units
            .iter()
            .map(|&unit| {
                let slots = self.slots(unit);
                let d = by_key(&death_cells, &slots);
                let e = by_key(&exposure_cells, &slots);
                let per_band = |m: &BTreeMap<Vec<Sym>, Acc>| -> Vec<f64> {
                    labels
                        .iter()
                        .map(|l| m.get(&vec![*l]).map(|a| a.n).unwrap_or(0.0))
                        .collect()
                };
                let (dv, ev) = (per_band(&d), per_band(&e));
                let mut figure = Figure {
                    numerator: Some(dv.iter().sum()),
                    denominator: Some(ev.iter().sum()),
                    ..Figure::default()
                };
                if let Some(le) =
                    stats::lifetable::life_expectancy(&bands, &dv, &ev, at_age, CONFIDENCE)
                {
                    figure.value = Some(le.value);
                    figure.interval = le.interval;
                }
                (unit, figure)
            })
            .collect()
    }

    fn reported_figures(&self, input: &LevelInput<'_>, units: &[Unit]) -> Vec<(Unit, Figure)> {
        let ind = input.indicator;
        let Some((value, agg)) = &ind.value_over else {
            return units.iter().map(|&u| (u, Figure::default())).collect();
        };
        let root = self.root_of(agg.rows);
        let source = &self.plan.sources[root];
        let unit_col = source
            .columns
            .iter()
            .position(|(_, t)| *t == crate::plan::ColumnType::Unit);
        let period_col = source
            .columns
            .iter()
            .position(|(_, t)| *t == crate::plan::ColumnType::Period);
        let label = self.symbols.get(&input.period.to_string());
        let mut found: HashMap<u32, (f64, f64, f64, usize)> = HashMap::new();
        self.for_each_row(agg.rows, input.period, |r| {
            let table = &self.tables[r.root];
            let (Some(uc), Some(pc)) = (unit_col, period_col) else {
                return;
            };
            let (Value::Unit(code), Value::Sym(p)) = (
                table.value(uc, r.row as usize),
                table.value(pc, r.row as usize),
            ) else {
                return;
            };
            if Some(p) != label {
                return;
            }
            let mut ctx = Ctx {
                period: input.period,
                current: r,
                bound: Vec::new(),
            };
            if let Some(f) = &agg.filter
                && !self.eval(f, &mut ctx).truthy()
            {
                return;
            }
            let v = self.eval(value, &mut ctx).number().unwrap_or(f64::NAN);
            let part = |a: &Option<Aggregation>, ctx: &mut Ctx<'_>| match a
                .as_ref()
                .map(|a| &a.function)
            {
                Some(Aggregate::Sum(e)) => self.eval(e, ctx).number().unwrap_or(f64::NAN),
                Some(Aggregate::Count { .. }) => 1.0,
                None => f64::NAN,
            };
            let n = part(&ind.numerator, &mut ctx);
            let d = part(&ind.denominator, &mut ctx);
            let entry = found.entry(code).or_insert((0.0, 0.0, 0.0, 0));
            entry.0 += v;
            entry.1 += n;
            entry.2 += d;
            entry.3 += 1;
        });
        units
            .iter()
            .map(|&unit| {
                let mut figure = Figure::default();
                if let Some(&(v, n, d, rows)) = found.get(&self.geography.code(unit)) {
                    if rows == 1 && v.is_finite() {
                        figure.value = Some(v);
                    } else if rows > 1 {
                        figure.suppressed = Some("ambiguous_data".to_string());
                    }
                    figure.numerator = n.is_finite().then_some(n);
                    figure.denominator = d.is_finite().then_some(d);
                }
                (unit, figure)
            })
            .collect()
    }

    /// Tallies of an indicator per unit at a level, for suppression conditions.
    pub fn tallies(
        &self,
        ind: &IndicatorPlan,
        level: Level,
        period: Period,
    ) -> Vec<HashMap<Unit, f64>> {
        let units = self.units(level);
        ind.tallies
            .iter()
            .map(|t| {
                let keys: Vec<Expr> = t.by.iter().map(|(_, e)| e.clone()).collect();
                let cells = self.cells(&t.aggregation, period, &keys, None);
                // Every group the `by` expression can give counts, even one with no rows.
                let groups: Vec<Vec<Sym>> = match t.by.as_ref().map(|(_, e)| e) {
                    Some(Expr::Band { labels, .. }) => labels.iter().map(|l| vec![*l]).collect(),
                    _ => {
                        let mut g: Vec<Vec<Sym>> =
                            cells.sums.keys().map(|(_, k)| k.clone()).collect();
                        g.sort();
                        g.dedup();
                        g
                    }
                };
                units
                    .iter()
                    .map(|&unit| {
                        let keyed = by_key(&cells, &self.slots(unit));
                        let value = match &t.by {
                            None => total(&keyed).n,
                            Some((max, _)) => {
                                let counts = groups
                                    .iter()
                                    .map(|g| keyed.get(g).map(|a| a.n).unwrap_or(0.0));
                                if *max {
                                    counts.fold(0.0, f64::max)
                                } else {
                                    counts.fold(f64::INFINITY, f64::min)
                                }
                            }
                        };
                        (unit, if value.is_finite() { value } else { 0.0 })
                    })
                    .collect()
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy)]
enum T {
    Num(f64),
    Bool(bool),
    Missing,
}

pub fn threshold(
    e: &ThresholdExpr,
    f: &Figure,
    area: u32,
    unit: Unit,
    tallies: &[HashMap<Unit, f64>],
) -> Option<bool> {
    match eval_threshold(e, f, area, unit, tallies) {
        T::Bool(b) => Some(b),
        _ => None,
    }
}

fn eval_threshold(
    e: &ThresholdExpr,
    f: &Figure,
    area: u32,
    unit: Unit,
    tallies: &[HashMap<Unit, f64>],
) -> T {
    let num = |x: Option<f64>| x.map(T::Num).unwrap_or(T::Missing);
    let ev = |x: &ThresholdExpr| eval_threshold(x, f, area, unit, tallies);
    match e {
        ThresholdExpr::Numerator => num(f.numerator),
        ThresholdExpr::Denominator => num(f.denominator),
        ThresholdExpr::Value => num(f.value),
        ThresholdExpr::Area => T::Num(area as f64),
        ThresholdExpr::Tally(i) => num(tallies.get(*i).and_then(|t| t.get(&unit)).copied()),
        ThresholdExpr::Number(n) => T::Num(*n),
        ThresholdExpr::Bool(b) => T::Bool(*b),
        ThresholdExpr::IsMissing(x, negated) => T::Bool(matches!(ev(x), T::Missing) != *negated),
        ThresholdExpr::List(_) => T::Missing,
        ThresholdExpr::Not(x) => match ev(x) {
            T::Bool(b) => T::Bool(!b),
            _ => T::Missing,
        },
        ThresholdExpr::Neg(x) => match ev(x) {
            T::Num(n) => T::Num(-n),
            _ => T::Missing,
        },
        ThresholdExpr::In(x, items, negated) => match ev(x) {
            T::Num(n) => {
                T::Bool(items.iter().any(|i| matches!(ev(i), T::Num(m) if m == n)) != *negated)
            }
            _ => T::Missing,
        },
        ThresholdExpr::Binary(op, a, b) => {
            let (x, y) = (ev(a), ev(b));
            match (op, x, y) {
                (BinOp::And, T::Bool(p), T::Bool(q)) => T::Bool(p && q),
                (BinOp::Or, T::Bool(p), T::Bool(q)) => T::Bool(p || q),
                // An unknown side of `or` cannot make a true side false.
                (BinOp::Or, T::Bool(true), _) | (BinOp::Or, _, T::Bool(true)) => T::Bool(true),
                (BinOp::Eq, T::Bool(p), T::Bool(q)) => T::Bool(p == q),
                (BinOp::Ne, T::Bool(p), T::Bool(q)) => T::Bool(p != q),
                (_, T::Num(p), T::Num(q)) => match op {
                    BinOp::Lt => T::Bool(p < q),
                    BinOp::Le => T::Bool(p <= q),
                    BinOp::Gt => T::Bool(p > q),
                    BinOp::Ge => T::Bool(p >= q),
                    BinOp::Eq => T::Bool(p == q),
                    BinOp::Ne => T::Bool(p != q),
                    BinOp::Add => T::Num(super::number::add(p, q)),
                    BinOp::Sub => T::Num(super::number::sub(p, q)),
                    BinOp::Mul => T::Num(super::number::mul(p, q)),
                    BinOp::Div if q != 0.0 => T::Num(p / q),
                    _ => T::Missing,
                },
                _ => T::Missing,
            }
        }
    }
}
