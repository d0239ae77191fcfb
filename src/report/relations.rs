//! Everything a run publishes, as one system of linear relations between counts.
//!
//! A *count* is a numerator or a denominator of one aggregation: indicators whose numerator or
//! denominator is the same aggregation (compared by content, as the evaluator shares them) and
//! that are not standardised publish the same count, so their cells are one *class*. Within a
//! class, each unit's count over a period is the sum of its counts over the period's *atoms*
//! (the pieces the class's periods cut the calendar into): a pooled 2021..2022 cell is the
//! 2021 atom plus the 2022 atom, and a unit's total is the sum of its members' counts for each
//! atom (the country and each region of their municipalities; any grouping whose members are
//! municipalities is a relation of the same kind). The unknowns are the counts of every unit and
//! atom, at least 0; each published count is an equation, each hidden one a quantity to bound.
//!
//! The tightest interval of a hidden count is found by linear programming
//! (`super::lp`), after substitution of the published counts and per connected part of what is
//! left. A relation that the published counts contradict (a country more than its regions
//! because some rows have no municipality, distinct persons counted once in a region but in two
//! of its municipalities) tells a reader it is not exact here, and is left out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::lp;
use crate::eval::{Geography, Unit};
use crate::plan::{BinOp, Level, MeasureKind, Period, Plan, ThresholdExpr};

/// What a reader sees of one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Shown,
    /// Hidden to protect it or another cell: its counts are what the relations must not give
    /// away.
    Hidden,
    /// Without a figure (`no_data`, `input_suppressed`): nothing to protect. Its counts, where
    /// the caller gives them, are taken as known, so such a cell never protects another.
    NoData,
}

/// One published cell: an indicator's figure for a unit and a period.
#[derive(Debug, Clone)]
pub struct Published {
    pub indicator: usize,
    pub level: Level,
    pub unit: Unit,
    pub period: Period,
    /// Numerator and denominator, where published (or known).
    pub counts: [Option<f64>; 2],
    pub state: State,
}

pub const QUANTITIES: [&str; 2] = ["numerator", "denominator"];

/// The interval a reader can narrow a hidden count to, and the width its rules demand.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub cell: usize,
    pub quantity: usize,
    pub low: f64,
    pub high: f64,
    pub required: f64,
}

impl Bound {
    /// Narrower than the rules demand: by more than rounding below a threshold, or exactly
    /// determined where any width would do.
    pub fn too_narrow(&self) -> bool {
        let width = self.high - self.low;
        if self.required <= f64::MIN_POSITIVE {
            self.required > 0.0 && width <= tolerance(self.low)
        } else {
            width < self.required - 1e-6
        }
    }
}

/// The municipalities a unit covers.
pub fn members(geo: &Geography, unit: Unit) -> Vec<usize> {
    match unit {
        Unit::National => (0..geo.municipalities.len()).collect(),
        Unit::Region(r) => (0..geo.municipalities.len())
            .filter(|&m| geo.municipalities[m].region == r)
            .collect(),
        Unit::Municipality(m) => vec![m],
    }
}

fn level_of(unit: Unit) -> Level {
    match unit {
        Unit::National => Level::National,
        Unit::Region(_) => Level::Region,
        Unit::Municipality(_) => Level::Municipality,
    }
}

/// Each present unit with the present units of the finest level that partition it.
pub fn groupings(geo: &Geography, units: &BTreeSet<Unit>) -> Vec<(Unit, Vec<Unit>)> {
    let mut out = Vec::new();
    for &total in units {
        let covered: BTreeSet<usize> = members(geo, total).into_iter().collect();
        for level in [Level::Municipality, Level::Region] {
            if level <= level_of(total) {
                continue;
            }
            let parts: Vec<Unit> = units
                .iter()
                .copied()
                .filter(|u| level_of(*u) == level)
                .filter(|u| members(geo, *u).iter().all(|m| covered.contains(m)))
                .collect();
            let size: usize = parts.iter().map(|u| members(geo, *u).len()).sum();
            if !parts.is_empty() && size == covered.len() {
                out.push((total, parts));
                break;
            }
        }
    }
    out
}

/// The width an indicator's rules demand of a hidden count at a level: the rules of that
/// level and every finer one (a hidden total bounds every cell inside it). `numerator < 5`
/// demands 5; a rule that reads the counts, the value or a tally but gives no number for this
/// count demands that it not be exactly determined; a rule that reads only the unit (`area in
/// […]`) protects no count.
pub fn required(plan: &Plan, indicator: usize, level: Level) -> [f64; 2] {
    fn walk(e: &ThresholdExpr, out: &mut [f64; 2], reads: &mut bool) {
        match e {
            ThresholdExpr::Binary(op @ (BinOp::Lt | BinOp::Le), a, b)
                if matches!(**b, ThresholdExpr::Number(_))
                    && matches!(**a, ThresholdExpr::Numerator | ThresholdExpr::Denominator) =>
            {
                let ThresholdExpr::Number(n) = **b else {
                    return;
                };
                let n = if *op == BinOp::Le { n + 1.0 } else { n };
                let q = usize::from(matches!(**a, ThresholdExpr::Denominator));
                out[q] = out[q].max(n);
                *reads = true;
            }
            ThresholdExpr::Numerator
            | ThresholdExpr::Denominator
            | ThresholdExpr::Value
            | ThresholdExpr::Tally(_) => *reads = true,
            ThresholdExpr::Binary(_, a, b) => {
                walk(a, out, reads);
                walk(b, out, reads);
            }
            ThresholdExpr::Not(x) | ThresholdExpr::Neg(x) | ThresholdExpr::IsMissing(x, _) => {
                walk(x, out, reads)
            }
            ThresholdExpr::In(x, list, _) => {
                walk(x, out, reads);
                for y in list {
                    walk(y, out, reads);
                }
            }
            ThresholdExpr::List(list) => {
                for y in list {
                    walk(y, out, reads);
                }
            }
            ThresholdExpr::Area | ThresholdExpr::Number(_) | ThresholdExpr::Bool(_) => {}
        }
    }
    let mut out = [0.0; 2];
    let mut reads = false;
    for l in plan.indicators[indicator]
        .levels
        .iter()
        .filter(|l| l.level >= level)
    {
        for s in &l.suppressions {
            walk(&s.condition, &mut out, &mut reads);
        }
    }
    if reads {
        for w in &mut out {
            if *w == 0.0 {
                *w = f64::MIN_POSITIVE;
            }
        }
    }
    out
}

/// The class of an indicator's numerator (0) or denominator (1): the aggregation's content
/// where the printed count is that aggregation's total, else the indicator's own.
fn class_key(plan: &Plan, indicator: usize, quantity: usize) -> String {
    let ind = &plan.indicators[indicator];
    let counts_rows = matches!(
        ind.kind,
        MeasureKind::Proportion
            | MeasureKind::Rate { .. }
            | MeasureKind::Ratio
            | MeasureKind::Count
            | MeasureKind::Sum
    );
    let standardised = ind.levels.iter().any(|l| l.standardisation.is_some());
    let aggregation = match quantity {
        0 => ind.numerator.as_ref(),
        _ => ind.denominator.as_ref(),
    };
    match aggregation {
        Some(a) if counts_rows && !standardised => format!("{a:?}"),
        _ => format!("{}#{quantity}", ind.name),
    }
}

/// The cells of each class, for a list of published cells.
pub struct Model {
    classes: Vec<Vec<(usize, usize)>>,
    class_of: HashMap<(usize, usize), usize>,
}

/// A linear equation over the unknowns.
#[derive(Debug, Clone)]
struct Row {
    vars: Vec<(usize, f64)>,
    rhs: f64,
}

fn tolerance(x: f64) -> f64 {
    1e-7 * x.abs().max(1.0)
}

/// What is left of a class's system once the published counts are substituted.
struct Reduced {
    rows: Vec<Row>,
    fixed: Vec<Option<f64>>,
    /// The connected part of each unknown that is still in a row.
    part: Vec<Option<usize>>,
    parts: Vec<Vec<usize>>,
    /// Relations the published counts contradict.
    contradicted: usize,
}

impl Model {
    pub fn new(plan: &Plan, cells: &[Published]) -> Model {
        let mut keys: BTreeMap<String, usize> = BTreeMap::new();
        let mut classes: Vec<Vec<(usize, usize)>> = Vec::new();
        let mut class_of = HashMap::new();
        for (c, cell) in cells.iter().enumerate() {
            for q in 0..2 {
                let key = class_key(plan, cell.indicator, q);
                let next = keys.len();
                let k = *keys.entry(key).or_insert(next);
                if k == classes.len() {
                    classes.push(Vec::new());
                }
                classes[k].push((c, q));
                class_of.insert((c, q), k);
            }
        }
        Model { classes, class_of }
    }

    pub fn classes(&self) -> usize {
        self.classes.len()
    }

    pub fn class_of(&self, cell: usize, quantity: usize) -> usize {
        self.class_of[&(cell, quantity)]
    }

    pub fn entries(&self, class: usize) -> &[(usize, usize)] {
        &self.classes[class]
    }

    /// The bounds of the hidden counts of a class (only of `only`, when given), and how many of
    /// its relations the published counts contradict.
    pub fn bounds(
        &self,
        plan: &Plan,
        geo: &Geography,
        cells: &[Published],
        class: usize,
        only: Option<(usize, usize)>,
    ) -> (Vec<Bound>, usize) {
        let entries = &self.classes[class];
        let units: BTreeSet<Unit> = entries.iter().map(|&(c, _)| cells[c].unit).collect();
        let unit_index: BTreeMap<Unit, usize> =
            units.iter().enumerate().map(|(i, u)| (*u, i)).collect();
        // Atoms: the calendar cut at every start and end of the class's periods.
        let mut cuts: BTreeSet<i32> = BTreeSet::new();
        for &(c, _) in entries {
            cuts.insert(cells[c].period.first_day);
            cuts.insert(cells[c].period.last_day + 1);
        }
        let cuts: Vec<i32> = cuts.into_iter().collect();
        let atoms: Vec<(i32, i32)> = cuts
            .windows(2)
            .map(|w| (w[0], w[1] - 1))
            .filter(|&(a, b)| {
                entries.iter().any(|&(c, _)| {
                    let p = cells[c].period;
                    p.first_day <= a && b <= p.last_day
                })
            })
            .collect();
        let natoms = atoms.len();
        let var = |u: Unit, a: usize| unit_index[&u] * natoms + a;
        let vars_of = |c: usize| -> Vec<usize> {
            let p = cells[c].period;
            atoms
                .iter()
                .enumerate()
                .filter(|(_, (a, b))| p.first_day <= *a && *b <= p.last_day)
                .map(|(k, _)| var(cells[c].unit, k))
                .collect()
        };
        let nvars = units.len() * natoms;
        let mut rows = Vec::new();
        let mut targets = Vec::new();
        for &(c, q) in entries {
            match (cells[c].state, cells[c].counts[q]) {
                (State::Shown | State::NoData, Some(v)) => rows.push(Row {
                    vars: vars_of(c).into_iter().map(|x| (x, 1.0)).collect(),
                    rhs: v,
                }),
                (State::Hidden, _) if only.is_none_or(|o| o == (c, q)) => {
                    targets.push((c, q, vars_of(c)))
                }
                _ => {}
            }
        }
        let cell_rows = rows.len();
        for (total, parts) in groupings(geo, &units) {
            for a in 0..natoms {
                let mut vars = vec![(var(total, a), 1.0)];
                vars.extend(parts.iter().map(|p| (var(*p, a), -1.0)));
                rows.push(Row { vars, rhs: 0.0 });
            }
        }
        let mut protected = vec![false; nvars];
        for (_, _, vs) in &targets {
            for &v in vs {
                protected[v] = true;
            }
        }
        let reduced = reduce(rows, cell_rows, nvars, &protected);
        // The range of a sum of unknowns in a connected part, by part and unknowns.
        type Solved = HashMap<(usize, Vec<usize>), Option<(f64, f64)>>;
        let mut solved: Solved = HashMap::new();
        let mut out = Vec::new();
        for (c, q, vs) in targets {
            let (mut low, mut high) = (0.0, 0.0);
            let mut by_part: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for v in vs {
                match (reduced.fixed[v], reduced.part[v]) {
                    (Some(x), _) => {
                        low += x;
                        high += x;
                    }
                    (None, Some(p)) => by_part.entry(p).or_default().push(v),
                    // In no relation: any count of at least 0.
                    (None, None) => high = f64::INFINITY,
                }
            }
            for (p, objective) in by_part {
                let range = *solved
                    .entry((p, objective.clone()))
                    .or_insert_with(|| solve_part(&reduced, p, &objective));
                match range {
                    Some((l, h)) => {
                        low += l.max(0.0);
                        high += h;
                    }
                    // Relations that contradict each other only together: a reader cannot
                    // tell which is inexact, so this part bounds nothing.
                    None => high = f64::INFINITY,
                }
            }
            out.push(Bound {
                cell: c,
                quantity: q,
                low,
                high,
                required: required(plan, cells[c].indicator, cells[c].level)[q],
            });
        }
        (out, reduced.contradicted)
    }
}

fn solve_part(reduced: &Reduced, part: usize, objective: &[usize]) -> Option<(f64, f64)> {
    let vars = &reduced.parts[part];
    let column: HashMap<usize, usize> = vars.iter().enumerate().map(|(i, v)| (*v, i)).collect();
    let mut matrix = Vec::new();
    let mut rhs = Vec::new();
    for r in &reduced.rows {
        if r.vars
            .first()
            .is_some_and(|(v, _)| reduced.part[*v] == Some(part))
        {
            let mut dense = vec![0.0; vars.len()];
            for (v, a) in &r.vars {
                dense[column[v]] += a;
            }
            matrix.push(dense);
            rhs.push(r.rhs);
        }
    }
    let mut cost = vec![0.0; vars.len()];
    for v in objective {
        cost[column[v]] += 1.0;
    }
    lp::range(&matrix, &rhs, &cost)
}

/// Substitutes known counts, fixes what single equations determine, drops relations the
/// published counts contradict and equations that an unknown in no other equation (and in no
/// hidden count) satisfies whatever the rest, then splits what is left into connected parts.
fn reduce(mut rows: Vec<Row>, cell_rows: usize, nvars: usize, protected: &[bool]) -> Reduced {
    let mut fixed: Vec<Option<f64>> = vec![None; nvars];
    let mut active = vec![true; rows.len()];
    let mut contradicted = 0;
    loop {
        let mut changed = false;
        for (i, row) in rows.iter_mut().enumerate() {
            if !active[i] {
                continue;
            }
            let mut rhs = row.rhs;
            row.vars.retain(|(v, a)| match fixed[*v] {
                Some(x) => {
                    rhs -= a * x;
                    false
                }
                None => true,
            });
            row.rhs = rhs;
            let tol = tolerance(rhs);
            let positive = row.vars.iter().all(|(_, a)| *a > 0.0);
            let negative = row.vars.iter().all(|(_, a)| *a < 0.0);
            let contradiction = match row.vars.len() {
                0 => rhs.abs() > tol,
                _ => (positive && rhs < -tol) || (negative && rhs > tol),
            };
            if contradiction {
                // A published count is a fact; a relation between them may be inexact.
                if i >= cell_rows {
                    contradicted += 1;
                }
                active[i] = false;
                changed = true;
                continue;
            }
            if row.vars.len() == 1 {
                let (v, a) = row.vars[0];
                fixed[v] = Some((rhs / a).max(0.0));
                active[i] = false;
                changed = true;
            } else if row.vars.is_empty() {
                active[i] = false;
            } else if (positive || negative) && rhs.abs() <= tol {
                for (v, _) in &row.vars {
                    fixed[*v] = Some(0.0);
                }
                active[i] = false;
                changed = true;
            }
        }
        let mut uses = vec![0usize; nvars];
        for (i, row) in rows.iter().enumerate() {
            if active[i] {
                for (v, _) in &row.vars {
                    uses[*v] += 1;
                }
            }
        }
        for (i, row) in rows.iter().enumerate() {
            if !active[i] {
                continue;
            }
            let tol = tolerance(row.rhs);
            let implied = row.vars.iter().any(|&(s, a)| {
                uses[s] == 1
                    && !protected[s]
                    && row.vars.iter().filter(|(v, _)| *v != s).all(|(_, b)| {
                        if a > 0.0 {
                            *b < 0.0 && row.rhs >= -tol
                        } else {
                            *b > 0.0 && row.rhs <= tol
                        }
                    })
            });
            if implied {
                active[i] = false;
                changed = true;
                for (v, _) in &row.vars {
                    uses[*v] -= 1;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let rows: Vec<Row> = rows
        .into_iter()
        .zip(active)
        .filter_map(|(r, a)| a.then_some(r))
        .collect();
    // Connected parts by union-find over the equations left.
    let mut parent: Vec<usize> = (0..nvars).collect();
    fn find(parent: &mut [usize], x: usize) -> usize {
        let mut r = x;
        while parent[r] != r {
            r = parent[r];
        }
        let mut y = x;
        while parent[y] != r {
            let next = parent[y];
            parent[y] = r;
            y = next;
        }
        r
    }
    let mut in_row = vec![false; nvars];
    for r in &rows {
        let first = r.vars[0].0;
        for (v, _) in &r.vars {
            in_row[*v] = true;
            let (a, b) = (find(&mut parent, first), find(&mut parent, *v));
            parent[a] = b;
        }
    }
    let mut part = vec![None; nvars];
    let mut parts: Vec<Vec<usize>> = Vec::new();
    let mut index: HashMap<usize, usize> = HashMap::new();
    for v in 0..nvars {
        if in_row[v] {
            let root = find(&mut parent, v);
            let next = parts.len();
            let p = *index.entry(root).or_insert(next);
            if p == parts.len() {
                parts.push(Vec::new());
            }
            parts[p].push(v);
            part[v] = Some(p);
        }
    }
    Reduced {
        rows,
        fixed,
        part,
        parts,
        contradicted,
    }
}

/// Whether two cells of a class share a relation: the same unit, or one a member of the
/// other's grouping or both members of one, over periods that overlap.
pub fn related(geo: &Geography, a: &Published, b: &Published) -> bool {
    let overlap =
        a.period.first_day <= b.period.last_day && b.period.first_day <= a.period.last_day;
    if !overlap {
        return false;
    }
    if a.unit == b.unit {
        return true;
    }
    let (ma, mb) = (members(geo, a.unit), members(geo, b.unit));
    // One inside the other, or both inside one region.
    ma.iter().all(|m| mb.contains(m))
        || mb.iter().all(|m| ma.contains(m))
        || geo.region_of(a.unit).is_some() && geo.region_of(a.unit) == geo.region_of(b.unit)
        || level_of(a.unit) == level_of(b.unit) && level_of(a.unit) == Level::Region
}
