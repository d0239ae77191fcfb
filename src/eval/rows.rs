//! The row engine: evaluates compiled expressions over rows, materialises populations and
//! cohorts for a period (once each, cached), and indexes rows by person for relations.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use super::columnar::{self, BatchEval, BatchExpr, BatchInput, BatchLets};
use super::geography::Geography;
use super::load::Table;
use super::semantics::{
    band, binary, call, compare, equal, in_codes, in_cohort, in_period, negative, not, within,
};
use super::shared::{RunCaches, filled};
use super::value::{Interner, Value};
use super::views::LetColumn;
pub use super::views::{Lets, Members, PersonIndex, PersonIndexKey, RowRef, View};
use crate::plan::{
    BinOp, CohortId, Expr, Field, Period, Plan, PopulationId, RelatedFn, RelationId, RowSet,
    civil_from_days,
};

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<super::value::FastHash>>;

/// A number per person, by person number.
type PersonTotals = Rc<Vec<f64>>;

pub struct Engine<'p> {
    pub plan: &'p Plan,
    pub geography: &'p Geography,
    /// The loaded extracts and texts, shared read-only by every engine of the run.
    pub tables: &'p [Table],
    pub symbols: &'p Interner,
    pub person_count: usize,
    /// What the run's engines build once for all of them.
    pub caches: &'p RunCaches,
    /// Municipality code → index in the geography, dense for speed.
    pub municipality_index: Vec<u32>,
    code_memo: RefCell<Vec<Vec<u8>>>,
    // The views and cohorts of `caches` this engine has used since `forget_views`, at hand
    // without locking: looked up for every row that evaluates a relation, so hashed with the
    // fast hash.
    views: RefCell<FastMap<(PopulationId, Period), Arc<View>>>,
    cohorts: RefCell<FastMap<(CohortId, Period), Arc<Members>>>,
    person_indexes: RefCell<FastMap<PersonIndexKey, Arc<PersonIndex>>>,
    /// Per-person totals of relations that read only their own rows, by (relation, period):
    /// `None` for a relation that does not qualify. See `Engine::relation_totals`.
    relation_totals: RefCell<FastMap<(RelationId, Period), Option<PersonTotals>>>,
    /// Whether every expression is evaluated row by row, by [`Engine::eval`] alone: no batches
    /// (`super::columnar`), no per-person relation totals.
    pub row_by_row: bool,
    /// Rows without a municipality value, per (source, residence column, period).
    without_residence: RefCell<BTreeMap<(usize, usize, Period), usize>>,
}

impl BatchInput for Engine<'_> {
    fn tables(&self) -> &[Table] {
        self.tables
    }

    fn row_by_row(&self) -> bool {
        self.row_by_row
    }

    fn cohort_members(&self, id: CohortId, period: Period) -> Arc<Members> {
        self.cohort(id, period)
    }

    fn in_code_list_sym(&self, codes: usize, sym: u32) -> bool {
        self.in_codes(codes, sym)
    }

    fn note_batch(&self) {
        self.caches
            .batches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A row bound by a relation (`exists(next in …)`): it keeps its population's rows alive.
#[derive(Debug, Clone)]
pub struct BoundRow {
    root: usize,
    row: u32,
    view: Option<(Arc<View>, usize)>,
}

impl BoundRow {
    fn as_ref(&self) -> RowRef<'_> {
        match &self.view {
            Some((v, k)) => v.row(*k),
            None => RowRef {
                root: self.root,
                row: self.row,
                lets: Lets::NONE,
            },
        }
    }
}

/// Everything an expression can see: the period, the current row and the rows bound by
/// relations (innermost last).
pub struct Ctx<'a> {
    pub period: Period,
    pub current: RowRef<'a>,
    pub bound: Vec<BoundRow>,
}

impl<'p> Engine<'p> {
    pub fn new(
        plan: &'p Plan,
        geography: &'p Geography,
        tables: &'p [Table],
        symbols: &'p Interner,
        person_count: usize,
        caches: &'p RunCaches,
        row_by_row: bool,
    ) -> Engine<'p> {
        let max_code = geography
            .municipalities
            .iter()
            .map(|m| m.code)
            .max()
            .unwrap_or(0) as usize;
        let mut municipality_index = vec![u32::MAX; max_code + 1];
        for (i, m) in geography.municipalities.iter().enumerate() {
            municipality_index[m.code as usize] = i as u32;
        }
        Engine {
            plan,
            geography,
            tables,
            symbols,
            person_count,
            caches,
            municipality_index,
            code_memo: RefCell::new(vec![Vec::new(); plan.code_lists.len()]),
            views: RefCell::new(FastMap::default()),
            cohorts: RefCell::new(FastMap::default()),
            person_indexes: RefCell::new(FastMap::default()),
            relation_totals: RefCell::new(FastMap::default()),
            row_by_row,
            without_residence: RefCell::new(BTreeMap::new()),
        }
    }

    /// Records rows that had no municipality value; the same rows met again by another
    /// aggregation are not counted twice.
    pub fn note_without_residence(&self, root: usize, column: usize, period: Period, rows: usize) {
        let mut notes = self.without_residence.borrow_mut();
        let entry = notes.entry((root, column, period)).or_insert(0);
        *entry = (*entry).max(rows);
    }

    /// The counts of rows without a municipality, for another engine of the run to take in.
    pub fn residence_counts(&self) -> BTreeMap<(usize, usize, Period), usize> {
        self.without_residence.borrow().clone()
    }

    /// Takes in another engine's counts: the same population in the same period counts the
    /// same rows, whichever engine built it.
    pub fn add_residence_counts(&self, counts: BTreeMap<(usize, usize, Period), usize>) {
        // The same rows may have been counted by several aggregations on several threads:
        // the largest count holds them all, whichever thread counted it.
        let mut notes = self.without_residence.borrow_mut();
        for (key, rows) in counts {
            let entry = notes.entry(key).or_insert(0);
            *entry = (*entry).max(rows);
        }
    }

    /// The rows without a municipality, as data-quality entries.
    pub fn residence_notes(&self) -> Vec<super::error::Exclusion> {
        self.without_residence
            .borrow()
            .iter()
            .map(|(&(root, column, period), &rows)| super::error::Exclusion {
                file: self.tables[root].file.clone(),
                column: Some(self.plan.sources[root].columns[column].0.clone()),
                problem: format!(
                    "no municipality: counted for the national figure only ({period})"
                ),
                rows,
                first_line: 0,
                first_value: None,
            })
            .collect()
    }

    pub fn source_row(&self, root: usize, row: u32) -> RowRef<'static> {
        RowRef {
            root,
            row,
            lets: Lets::NONE,
        }
    }

    /// The rows of a population in a period, computed once for the run.
    pub fn view(&self, id: PopulationId, period: Period) -> Arc<View> {
        if let Some(v) = self.views.borrow().get(&(id, period)) {
            return v.clone();
        }
        let view = self
            .caches
            .views
            .get_or_build((id, period), || self.build_view(id, period));
        self.views.borrow_mut().insert((id, period), view.clone());
        view
    }

    /// Lets go of the views this engine has at hand, so that those the run forgets are freed
    /// (the others are fetched again when asked for).
    pub fn forget_views(&self) {
        self.views.borrow_mut().clear();
        self.person_indexes.borrow_mut().clear();
        // Relation totals are computed for the lets of a population; they go with it.
        self.relation_totals.borrow_mut().clear();
    }

    /// For a relation over the same person whose condition and projection read only the
    /// related row (`exists`, `count`, `sum`), every person's total in `period`, computed in
    /// one pass over the related rows instead of once for every row that asks; `None` for
    /// any other relation. The totals add the rows in the order the row-by-row evaluation
    /// would, so they are the same numbers.
    fn relation_totals(&self, r: &crate::plan::Related, period: Period) -> Option<Rc<Vec<f64>>> {
        if self.row_by_row
            || !r.same_person
            || !matches!(
                r.function,
                RelatedFn::Exists | RelatedFn::Count | RelatedFn::Sum
            )
        {
            return None;
        }
        let key = (r.id, period);
        if let Some(totals) = self.relation_totals.borrow().get(&key) {
            return totals.clone();
        }
        let totals = self.compute_relation_totals(r, period).map(Rc::new);
        self.relation_totals
            .borrow_mut()
            .insert(key, totals.clone());
        totals
    }

    fn compute_relation_totals(
        &self,
        r: &crate::plan::Related,
        period: Period,
    ) -> Option<Vec<f64>> {
        let filter = match &r.filter {
            Some(f) => Some(columnar::as_related_row(f)?),
            None => None,
        };
        let projection = match (&r.projection, r.function) {
            (Some(p), RelatedFn::Sum) => Some(columnar::as_related_row(p)?),
            _ => None,
        };
        let counting = r.function != RelatedFn::Sum;
        let mut totals = filled(self.person_count, 0.0);
        let mut add = |row: RowRef<'_>, projected: Option<Value>| {
            if let Some(p) = self.person_of(row)
                && let Some(total) = totals.get_mut(p as usize)
            {
                if counting {
                    *total += 1.0;
                } else if let Some(v) = projected {
                    *total += v.number().unwrap_or(0.0);
                }
            }
        };
        let batch_filter = filter.as_ref().map(|f| self.compile_batch(f, false));
        let batch_projection = projection.as_ref().map(|p| self.compile_batch(p, false));
        let batched = batch_filter.as_ref().is_none_or(Option::is_some)
            && batch_projection.as_ref().is_none_or(Option::is_some);
        match r.rows {
            RowSet::Source(source) if batched => {
                let conditions: Vec<BatchExpr> = batch_filter.flatten().into_iter().collect();
                let projection = batch_projection.flatten();
                self.for_each_kept_batch(&conditions, period, source, |rows| {
                    let projected = projection.as_ref().map(|p| {
                        self.note_batch();
                        self.eval_batch(p, period, source, rows, BatchLets::None)
                    });
                    for (k, &row) in rows.iter().enumerate() {
                        let row = RowRef {
                            root: source,
                            row,
                            lets: Lets::NONE,
                        };
                        add(row, projected.as_ref().map(|v| v[k]));
                    }
                });
            }
            _ => self.for_each_row(r.rows, period, |row| {
                let keep = filter
                    .as_ref()
                    .is_none_or(|f| self.eval_at(f, period, row).truthy());
                if keep {
                    let projected = projection.as_ref().map(|p| self.eval_at(p, period, row));
                    add(row, projected);
                }
            }),
        }
        Some(totals)
    }

    fn build_view(&self, id: PopulationId, period: Period) -> View {
        let pop = &self.plan.populations[id];
        let width = pop.lets.len();
        let own = pop.own_lets_from;
        // Conditions on the row's own columns, its base's lets (read from the base's view) and
        // its own simple lets (written out) run first, over batches of rows (`columnar`); then
        // those that need no `let`, and each other condition right after the last let it reads,
        // so costly lets (relations) are computed only for rows that can still be kept.
        let mut batched = Vec::new();
        let mut rest = Vec::new();
        for f in &pop.filters {
            match columnar::inline_lets_except(f, &pop.lets, &|k| k < own)
                .and_then(|g| self.compile_batch(&g, true))
            {
                Some(g) => batched.push(g),
                None => rest.push(f),
            }
        }
        let (early, late): (Vec<&Expr>, Vec<&Expr>) = rest.into_iter().partition(|f| !uses_lets(f));
        let late: Vec<(usize, &Expr)> = late
            .into_iter()
            .map(|f| (last_let(f).unwrap_or(0).max(own), f))
            .collect();
        // Own lets that read only the row's columns, the base's lets and own lets computed
        // before them are computed over the batch too, for the rows its conditions keep (reading
        // those lets from the batch); so are own lets that are a relation totalled per person
        // (`Engine::relation_totals`): each row's value is its person's total.
        let person_column = self.plan.sources[pop.root].person;
        let mut at_hand: Vec<bool> = (0..width).map(|k| k < own).collect();
        let mut batch_lets: Vec<BatchLet> = Vec::with_capacity(width - own);
        for (k, (_, e)) in pop.lets.iter().enumerate().skip(own) {
            let batch_let = match columnar::inline_lets_except(e, &pop.lets, &|j| at_hand[j])
                .and_then(|g| self.compile_batch(&g, true))
            {
                Some(g) => BatchLet::Columnar(g),
                None => match (e, person_column) {
                    (Expr::Related(r), Some(column)) => match self.relation_totals(r, period) {
                        Some(totals) => BatchLet::PersonTotals(totals, r.function, column),
                        None => BatchLet::RowByRow,
                    },
                    _ => BatchLet::RowByRow,
                },
            };
            at_hand[k] = !matches!(batch_let, BatchLet::RowByRow);
            batch_lets.push(batch_let);
        }
        let mut batch_values: Vec<Option<Vec<Value>>> = vec![None; width - own];
        let mut rows = Vec::new();
        let mut lets: Vec<LetColumn> = (own..width).map(|_| LetColumn::Missing(0)).collect();
        let mut scratch = vec![Value::Missing; width];
        let mut positions = Vec::new();
        // With every condition and own let done over the batch, a row the batch kept is in,
        // with the batch's values; the base's lets need not be read.
        let all_batched = early.is_empty()
            && late.is_empty()
            && batch_lets.iter().all(|l| !matches!(l, BatchLet::RowByRow));
        let mut consider = |row: u32,
                            position: u32,
                            base_lets: Lets<'_>,
                            batch_values: &[Option<Vec<Value>>],
                            in_batch: usize| {
            if all_batched {
                rows.push(row);
                positions.push(position);
                for (column, values) in lets.iter_mut().zip(batch_values) {
                    column.push(values.as_ref().map_or(Value::Missing, |v| v[in_batch]));
                }
                return;
            }
            for (i, v) in scratch[..own].iter_mut().enumerate() {
                *v = base_lets.get(i);
            }
            for v in &mut scratch[own..] {
                *v = Value::Missing;
            }
            let root = pop.root;
            if !early.iter().all(|f| {
                self.eval_at(
                    f,
                    period,
                    RowRef {
                        root,
                        row,
                        lets: Lets::Slice(&scratch),
                    },
                )
                .truthy()
            }) {
                return;
            }
            let holds = |k: usize, scratch: &[Value]| {
                late.iter().filter(|(after, _)| *after == k).all(|(_, f)| {
                    self.eval_at(
                        f,
                        period,
                        RowRef {
                            root,
                            row,
                            lets: Lets::Slice(scratch),
                        },
                    )
                    .truthy()
                })
            };
            // Conditions on the base population's lets only.
            if own == width && !holds(own, &scratch) {
                return;
            }
            for k in own..width {
                if k > own && !holds(k - 1, &scratch) {
                    return;
                }
                let value = match &batch_values[k - own] {
                    Some(values) => values[in_batch],
                    None => self.eval_at(
                        &pop.lets[k].1,
                        period,
                        RowRef {
                            root,
                            row,
                            lets: Lets::Slice(&scratch),
                        },
                    ),
                };
                scratch[k] = value;
            }
            if own < width && !holds(width - 1, &scratch) {
                return;
            }
            rows.push(row);
            positions.push(position);
            for (column, value) in lets.iter_mut().zip(&scratch[own..]) {
                column.push(*value);
            }
        };
        let mut batch_rows = Vec::with_capacity(columnar::BATCH);
        let mut batch_positions = Vec::with_capacity(columnar::BATCH);
        let base_view = pop.base.map(|base| self.view(base, period));
        let count = match &base_view {
            Some(v) => v.len(),
            None => self.tables[pop.root].rows,
        };
        for first in (0..count).step_by(columnar::BATCH) {
            let positions = first as u32..(first + columnar::BATCH).min(count) as u32;
            batch_positions.clear();
            batch_positions.extend(positions);
            batch_rows.clear();
            match &base_view {
                Some(v) => batch_rows.extend(batch_positions.iter().map(|&k| v.rows[k as usize])),
                None => batch_rows.extend_from_slice(&batch_positions),
            }
            self.retain_batch(
                &batched,
                period,
                pop.root,
                base_view.as_deref(),
                &mut batch_rows,
                &mut batch_positions,
            );
            for (k, batch_let) in batch_lets.iter().enumerate() {
                let lets = BatchLets::Building {
                    base: base_view.as_deref().map(|v| (v, &batch_positions[..])),
                    own,
                    computed: &batch_values[..k],
                };
                batch_values[k] = match batch_let {
                    BatchLet::Columnar(e) => {
                        self.note_batch();
                        Some(self.eval_batch(e, period, pop.root, &batch_rows, lets))
                    }
                    BatchLet::PersonTotals(totals, function, column) => Some(
                        batch_rows
                            .iter()
                            .map(
                                |&row| match self.tables[pop.root].value(*column, row as usize) {
                                    Value::Person(p) => person_total(totals, p, *function),
                                    _ => fold_empty(*function),
                                },
                            )
                            .collect(),
                    ),
                    BatchLet::RowByRow => None,
                };
            }
            for (j, (&row, &k)) in batch_rows.iter().zip(&batch_positions).enumerate() {
                let base_lets = match &base_view {
                    Some(v) => v.row(k as usize).lets,
                    None => Lets::NONE,
                };
                consider(row, k, base_lets, &batch_values, j);
            }
        }
        View {
            root: pop.root,
            rows,
            base: base_view.map(|base| (base, positions)),
            lets,
            own,
            width,
        }
    }

    /// Calls `f` with every row of a row set in a period.
    pub fn for_each_row(&self, rows: RowSet, period: Period, mut f: impl FnMut(RowRef<'_>)) {
        match rows {
            RowSet::Source(s) => {
                for row in 0..self.tables[s].rows as u32 {
                    f(RowRef {
                        root: s,
                        row,
                        lets: Lets::NONE,
                    });
                }
            }
            RowSet::Population(p) => {
                let view = self.view(p, period);
                for k in 0..view.len() {
                    f(view.row(k));
                }
            }
        }
    }

    pub fn root_of(&self, rows: RowSet) -> usize {
        match rows {
            RowSet::Source(s) => s,
            RowSet::Population(p) => self.plan.populations[p].root,
        }
    }

    /// The members of a cohort in a period, as a bitset over persons, computed once for the
    /// run.
    pub fn cohort(&self, id: CohortId, period: Period) -> Arc<Members> {
        if let Some(c) = self.cohorts.borrow().get(&(id, period)) {
            return c.clone();
        }
        let members = self
            .caches
            .cohorts
            .get_or_build((id, period), || self.build_cohort(id, period));
        self.cohorts
            .borrow_mut()
            .insert((id, period), members.clone());
        members
    }

    fn build_cohort(&self, id: CohortId, period: Period) -> Members {
        let cohort = &self.plan.cohorts[id];
        let mut bits = filled(self.person_count.div_ceil(64), 0u64);
        let person_column = self.plan.sources[cohort.root].person;
        let mut add = |root: usize, row: u32| {
            if let Some(pc) = person_column
                && let Value::Person(p) = self.tables[root].value(pc, row as usize)
            {
                bits[p as usize / 64] |= 1 << (p % 64);
            }
        };
        // A cohort of a source's rows whose conditions read only those rows (and the cohort's
        // own lets, written out) is found over batches of rows.
        let named_lets: Vec<(String, Expr)> = cohort
            .lets
            .iter()
            .map(|e| (String::new(), e.clone()))
            .collect();
        let batched: Option<Vec<BatchExpr>> = match cohort.rows {
            RowSet::Source(_) if !self.row_by_row => cohort
                .filters
                .iter()
                .map(|f| {
                    columnar::inline_lets(f, &named_lets)
                        .and_then(|g| self.compile_batch(&g, false))
                })
                .collect(),
            _ => None,
        };
        if let (RowSet::Source(source), Some(conditions)) = (cohort.rows, batched) {
            self.for_each_kept_batch(&conditions, period, source, |rows| {
                for &row in rows {
                    add(source, row);
                }
            });
            return bits;
        }
        let mut scratch: Vec<Value> = Vec::new();
        self.for_each_row(cohort.rows, period, |r| {
            scratch.clear();
            r.lets.append_to(&mut scratch);
            for l in &cohort.lets {
                let value = self.eval_at(
                    l,
                    period,
                    RowRef {
                        lets: Lets::Slice(&scratch),
                        ..r
                    },
                );
                scratch.push(value);
            }
            let current = RowRef {
                lets: Lets::Slice(&scratch),
                ..r
            };
            if cohort
                .filters
                .iter()
                .all(|f| self.eval_at(f, period, current).truthy())
            {
                add(r.root, r.row);
            }
        });
        bits
    }

    fn person_of(&self, r: RowRef<'_>) -> Option<u32> {
        let column = self.plan.sources[r.root].person?;
        match self.tables[r.root].value(column, r.row as usize) {
            Value::Person(p) => Some(p),
            _ => None,
        }
    }

    /// The rows of a row set by person, built once for the run.
    fn person_index(&self, rows: RowSet, period: Period) -> Arc<PersonIndex> {
        // A source's rows do not depend on the period.
        let key = (
            rows,
            matches!(rows, RowSet::Population(_)).then_some(period),
        );
        if let Some(i) = self.person_indexes.borrow().get(&key) {
            return i.clone();
        }
        let index = self
            .caches
            .person_indexes
            .get_or_build(key, || self.build_person_index(rows, period));
        self.person_indexes.borrow_mut().insert(key, index.clone());
        index
    }

    fn build_person_index(&self, rows: RowSet, period: Period) -> PersonIndex {
        let mut persons: Vec<(u32, u32)> = Vec::new();
        let mut position = 0u32;
        self.for_each_row(rows, period, |r| {
            if let Some(p) = self.person_of(r) {
                persons.push((p, position));
            }
            position += 1;
        });
        let mut start = filled(self.person_count + 1, 0u32);
        for &(p, _) in &persons {
            start[p as usize + 1] += 1;
        }
        for k in 1..start.len() {
            start[k] += start[k - 1];
        }
        let mut fill = start.clone();
        let mut order = vec![0u32; persons.len()];
        for &(p, pos) in &persons {
            order[fill[p as usize] as usize] = pos;
            fill[p as usize] += 1;
        }
        PersonIndex { start, order }
    }

    fn field(&self, r: RowRef<'_>, field: Field) -> Value {
        match field {
            Field::Column(c) => self.tables[r.root].value(c, r.row as usize),
            Field::Let(i) => r.lets.get(i),
        }
    }

    /// `value in codes` (or `not in`): false for anything but a text.
    pub(super) fn in_code_list(&self, value: Value, codes: usize, negated: bool) -> Value {
        in_codes(value, negated, |s| self.in_codes(codes, s))
    }

    pub(super) fn in_codes(&self, codes: usize, sym: u32) -> bool {
        let mut memo = self.code_memo.borrow_mut();
        let memo = &mut memo[codes];
        if memo.len() <= sym as usize {
            memo.resize(self.symbols.len().max(sym as usize + 1), 0);
        }
        if memo[sym as usize] == 0 {
            let hit = self.plan.code_lists[codes].matches(self.symbols.text(sym));
            memo[sym as usize] = if hit { 2 } else { 1 };
        }
        memo[sym as usize] == 2
    }

    /// Evaluates an expression over one row, with no relation bound yet.
    pub fn eval_at(&self, e: &Expr, period: Period, row: RowRef<'_>) -> Value {
        let mut ctx = Ctx {
            period,
            current: row,
            bound: Vec::new(),
        };
        self.eval(e, &mut ctx)
    }

    /// Evaluates an expression. Missing values propagate through arithmetic; a comparison
    /// with a missing value is false, as in SQL's `WHERE`.
    pub fn eval(&self, e: &Expr, ctx: &mut Ctx<'_>) -> Value {
        match e {
            Expr::Missing => Value::Missing,
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Number(n) => Value::Num(*n),
            Expr::Date(d) => Value::Date(*d),
            Expr::Text(s) => Value::Sym(*s),
            Expr::Duration { days } => Value::Duration(*days),
            Expr::Field(f) => self.field(ctx.current, *f),
            Expr::Bound { depth, field } => {
                let at = ctx.bound.len().checked_sub(1 + depth);
                match at {
                    Some(k) => self.field(ctx.bound[k].as_ref(), *field),
                    None => Value::Missing,
                }
            }
            Expr::PeriodStart => Value::Date(ctx.period.first_day),
            Expr::PeriodEnd => Value::Date(ctx.period.last_day),
            // `not` of a missing value is not true either: a row with an unknown flag is
            // neither kept by `where flag` nor by `where not flag`.
            Expr::Not(x) => not(self.eval(x, ctx)),
            Expr::Neg(x) => negative(self.eval(x, ctx)),
            Expr::Binary(op, a, b) => match op {
                BinOp::And => Value::Bool(self.eval(a, ctx).truthy() && self.eval(b, ctx).truthy()),
                BinOp::Or => Value::Bool(self.eval(a, ctx).truthy() || self.eval(b, ctx).truthy()),
                _ => {
                    let (x, y) = (self.eval(a, ctx), self.eval(b, ctx));
                    binary(*op, x, y)
                }
            },
            Expr::InList {
                value,
                items,
                negated,
            } => {
                let v = self.eval(value, ctx);
                if v.is_missing() {
                    return Value::Bool(false);
                }
                let hit = items.iter().any(|i| {
                    let w = self.eval(i, ctx);
                    equal(v, w) == Some(true)
                });
                Value::Bool(hit != *negated)
            }
            Expr::InCodes {
                value,
                codes,
                negated,
            } => self.in_code_list(self.eval(value, ctx), *codes, *negated),
            Expr::InCohort {
                value,
                cohort,
                negated,
            } => match self.eval(value, ctx) {
                // The cohort is built only when a person asks.
                v @ Value::Person(_) => in_cohort(&self.cohort(*cohort, ctx.period), v, *negated),
                _ => Value::Bool(false),
            },
            Expr::InPeriod { value, negated } => {
                in_period(self.eval(value, ctx), ctx.period, *negated)
            }
            Expr::IsMissing { value, negated } => {
                Value::Bool(self.eval(value, ctx).is_missing() != *negated)
            }
            Expr::Within {
                value,
                anchor,
                days,
                after,
            } => within(self.eval(value, ctx), self.eval(anchor, ctx), *days, *after),
            Expr::Related(r) => self.related(r, ctx),
            Expr::Call(f, args) => {
                // Built-ins take one or two arguments: no allocation per row.
                let mut values = [Value::Missing; 4];
                if args.len() <= values.len() {
                    for (v, a) in values.iter_mut().zip(args) {
                        *v = self.eval(a, ctx);
                    }
                    call(*f, &values[..args.len()])
                } else {
                    let values: Vec<Value> = args.iter().map(|a| self.eval(a, ctx)).collect();
                    call(*f, &values)
                }
            }
            Expr::Band {
                value,
                limits,
                labels,
            } => band(self.eval(value, ctx), limits, labels),
        }
    }

    fn related(&self, r: &crate::plan::Related, ctx: &mut Ctx<'_>) -> Value {
        let period = ctx.period;
        let outer_person = match ctx.bound.last() {
            Some(b) => self.person_of(b.as_ref()),
            None => self.person_of(ctx.current),
        };
        if let Some(totals) = self.relation_totals(r, period) {
            let Some(person) = outer_person else {
                return fold_empty(r.function);
            };
            return person_total(&totals, person, r.function);
        }
        let view = match r.rows {
            RowSet::Population(p) => Some(self.view(p, period)),
            RowSet::Source(_) => None,
        };
        let root = self.root_of(r.rows);
        // The candidate rows: the person's, by the person index, or every row.
        let index;
        let (positions, all): (&[u32], u32) = if r.same_person {
            let Some(person) = outer_person else {
                return fold_empty(r.function);
            };
            index = self.person_index(r.rows, period);
            let p = person as usize;
            if p + 1 >= index.start.len() {
                return fold_empty(r.function);
            }
            (
                &index.order[index.start[p] as usize..index.start[p + 1] as usize],
                0,
            )
        } else {
            let n = view
                .as_ref()
                .map(|v| v.len())
                .unwrap_or(self.tables[root].rows);
            (&[], n as u32)
        };
        let mut count = 0usize;
        let mut best: Option<Value> = None;
        let mut sum = 0.0;
        for position in positions.iter().copied().chain(0..all) {
            let row = match &view {
                Some(v) => BoundRow {
                    root,
                    row: v.rows[position as usize],
                    view: Some((v.clone(), position as usize)),
                },
                None => BoundRow {
                    root,
                    row: position,
                    view: None,
                },
            };
            ctx.bound.push(row);
            let keep = r.filter.as_ref().is_none_or(|f| self.eval(f, ctx).truthy());
            let projected = if keep {
                r.projection.as_ref().map(|p| self.eval(p, ctx))
            } else {
                None
            };
            ctx.bound.pop();
            if !keep {
                continue;
            }
            count += 1;
            if r.function == RelatedFn::Exists {
                return Value::Bool(true);
            }
            if let Some(v) = projected {
                match r.function {
                    RelatedFn::Sum => sum += v.number().unwrap_or(0.0),
                    RelatedFn::Min | RelatedFn::Max if !v.is_missing() => {
                        let better = match best {
                            None => true,
                            Some(b) => {
                                let ord = compare(v, b);
                                if r.function == RelatedFn::Min {
                                    ord == Some(std::cmp::Ordering::Less)
                                } else {
                                    ord == Some(std::cmp::Ordering::Greater)
                                }
                            }
                        };
                        if better {
                            best = Some(v);
                        }
                    }
                    _ => {}
                }
            }
        }
        match r.function {
            RelatedFn::Exists => Value::Bool(false),
            RelatedFn::Count => Value::Num(count as f64),
            RelatedFn::Sum => Value::Num(sum),
            RelatedFn::Min | RelatedFn::Max => best.unwrap_or(Value::Missing),
        }
    }

    /// The municipality index of a row's residence value.
    pub fn municipality_of(&self, v: Value) -> Option<usize> {
        match v {
            Value::Unit(code) => self
                .municipality_index
                .get(code as usize)
                .filter(|&&i| i != u32::MAX)
                .map(|&i| i as usize),
            _ => None,
        }
    }

    pub fn value_text(&self, v: Value) -> String {
        match v {
            Value::Missing => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Num(n) | Value::Duration(n) => n.to_string(),
            Value::Date(d) => {
                let (y, m, day) = civil_from_days(d);
                format!("{y:04}-{m:02}-{day:02}")
            }
            Value::Sym(s) => self.symbols.text(s).to_string(),
            Value::Person(p) => format!("person #{p}"),
            Value::Unit(u) => u.to_string(),
        }
    }
}

/// A relation's value for a person, from its per-person totals.
fn person_total(totals: &[f64], person: u32, f: RelatedFn) -> Value {
    let total = totals.get(person as usize).copied().unwrap_or(0.0);
    match f {
        RelatedFn::Exists => Value::Bool(total > 0.0),
        _ => Value::Num(total),
    }
}

/// How a population's own let is computed for a batch of rows.
enum BatchLet {
    /// Over the batch, by the batch evaluator.
    Columnar(BatchExpr),
    /// A relation totalled per person: the total of the row's person (in that column).
    PersonTotals(PersonTotals, RelatedFn, usize),
    /// Row by row, after the row's conditions.
    RowByRow,
}

fn fold_empty(f: RelatedFn) -> Value {
    match f {
        RelatedFn::Exists => Value::Bool(false),
        RelatedFn::Count | RelatedFn::Sum => Value::Num(0.0),
        RelatedFn::Min | RelatedFn::Max => Value::Missing,
    }
}

/// The highest `let` a condition reads, if any: the condition can run as soon as that let is
/// computed.
fn last_let(e: &Expr) -> Option<usize> {
    let most = |items: &mut dyn Iterator<Item = &Expr>| items.filter_map(last_let).max();
    match e {
        Expr::Field(Field::Let(k)) => Some(*k),
        Expr::Not(x) | Expr::Neg(x) => last_let(x),
        Expr::Binary(_, a, b) => most(&mut [a.as_ref(), b.as_ref()].into_iter()),
        Expr::InList { value, items, .. } => {
            most(&mut std::iter::once(value.as_ref()).chain(items.iter()))
        }
        Expr::InCodes { value, .. }
        | Expr::InCohort { value, .. }
        | Expr::InPeriod { value, .. }
        | Expr::IsMissing { value, .. } => last_let(value),
        Expr::Within { value, anchor, .. } => {
            most(&mut [value.as_ref(), anchor.as_ref()].into_iter())
        }
        Expr::Related(r) => most(&mut r.filter.iter().chain(r.projection.iter())),
        Expr::Call(_, args) => most(&mut args.iter()),
        Expr::Band { value, .. } => last_let(value),
        _ => None,
    }
}

fn uses_lets(e: &Expr) -> bool {
    match e {
        Expr::Field(Field::Let(_)) => true,
        Expr::Not(x) | Expr::Neg(x) => uses_lets(x),
        Expr::Binary(_, a, b) => uses_lets(a) || uses_lets(b),
        Expr::InList { value, items, .. } => uses_lets(value) || items.iter().any(uses_lets),
        Expr::InCodes { value, .. }
        | Expr::InCohort { value, .. }
        | Expr::InPeriod { value, .. }
        | Expr::IsMissing { value, .. } => uses_lets(value),
        Expr::Within { value, anchor, .. } => uses_lets(value) || uses_lets(anchor),
        Expr::Related(r) => {
            // A relation's own rows' lets are bound rows, not ours, but its filter may read
            // the current row's lets through plain names.
            r.filter.as_ref().is_some_and(uses_lets) || r.projection.as_ref().is_some_and(uses_lets)
        }
        Expr::Call(_, args) => args.iter().any(uses_lets),
        Expr::Band { value, .. } => uses_lets(value),
        _ => false,
    }
}
