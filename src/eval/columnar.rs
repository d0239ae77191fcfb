//! Expressions evaluated over a batch of rows at once: a population's conditions and lets, a
//! cohort's conditions, a relation's per-person totals and an aggregation's filter, keys and
//! values, when they read only the rows' own columns and lets (a base population's lets from
//! its view, earlier lets from the batch, other simple lets written out in place). They are
//! evaluated node by node for a few thousand rows together, so that walking the expression
//! costs once per batch instead of once per row. The node operations are the row evaluator's
//! own (`super::semantics`), so both give the same values; conditions of a few common shapes
//! (numbers compared, a text or person column tested against constants, a date in the period)
//! are tested straight on the columns, with the same answers.

use super::load::{Column, MISSING_DATE, MISSING_SYM};
use super::number;
use std::sync::Arc;

use super::load::Table;
use super::semantics::{
    band, binary, call, equal, in_codes, in_cohort, in_period, negative, not, within,
};
use super::value::Value;
use super::views::{Members, View};
use crate::plan::{BinOp, Builtin, CodeListId, CohortId, Expr, Field, Period, Sym, year_and_place};

/// Rows evaluated together.
pub const BATCH: usize = 4096;

/// An expression the batch evaluator can compute: one that reads nothing but the current
/// row's columns, constants and (where compiled with them) the lets a population's view holds
/// for the row. It has no bound rows and no relations, which only the row evaluator can
/// follow: an expression that holds them does not compile ([`BatchExpr::compile`]).
#[derive(Debug, Clone)]
pub enum BatchExpr {
    Missing,
    Bool(bool),
    Number(f64),
    Date(i32),
    Text(Sym),
    Duration(f64),
    /// A column of the row's root source.
    Column(usize),
    /// A let of the row's population.
    Let(usize),
    PeriodStart,
    PeriodEnd,
    Not(Box<BatchExpr>),
    Neg(Box<BatchExpr>),
    Binary(BinOp, Box<BatchExpr>, Box<BatchExpr>),
    InList {
        value: Box<BatchExpr>,
        items: Vec<BatchExpr>,
        negated: bool,
    },
    InCodes {
        value: Box<BatchExpr>,
        codes: CodeListId,
        negated: bool,
    },
    InCohort {
        value: Box<BatchExpr>,
        cohort: CohortId,
        negated: bool,
    },
    InPeriod {
        value: Box<BatchExpr>,
        negated: bool,
    },
    IsMissing {
        value: Box<BatchExpr>,
        negated: bool,
    },
    Within {
        value: Box<BatchExpr>,
        anchor: Box<BatchExpr>,
        days: f64,
        after: bool,
    },
    Call(Builtin, Vec<BatchExpr>),
    Band {
        value: Box<BatchExpr>,
        limits: Vec<f64>,
        labels: Vec<Sym>,
    },
}

impl BatchExpr {
    /// The expression for the batch evaluator, when it reads nothing but the current row's
    /// columns, constants and, when `lets` is true, the lets a population's view holds for
    /// the row; `None` for any other expression.
    pub fn compile(e: &Expr, lets: bool) -> Option<BatchExpr> {
        let each = |x: &Expr| BatchExpr::compile(x, lets);
        let boxed = |x: &Expr| each(x).map(Box::new);
        Some(match e {
            Expr::Field(Field::Column(c)) => BatchExpr::Column(*c),
            Expr::Field(Field::Let(k)) if lets => BatchExpr::Let(*k),
            Expr::Field(Field::Let(_)) | Expr::Bound { .. } | Expr::Related(_) => return None,
            Expr::Missing => BatchExpr::Missing,
            Expr::Bool(b) => BatchExpr::Bool(*b),
            Expr::Number(x) => BatchExpr::Number(*x),
            Expr::Date(d) => BatchExpr::Date(*d),
            Expr::Text(t) => BatchExpr::Text(*t),
            Expr::Duration { days } => BatchExpr::Duration(*days),
            Expr::PeriodStart => BatchExpr::PeriodStart,
            Expr::PeriodEnd => BatchExpr::PeriodEnd,
            Expr::Not(x) => BatchExpr::Not(boxed(x)?),
            Expr::Neg(x) => BatchExpr::Neg(boxed(x)?),
            Expr::Binary(op, a, b) => BatchExpr::Binary(*op, boxed(a)?, boxed(b)?),
            Expr::InList {
                value,
                items,
                negated,
            } => BatchExpr::InList {
                value: boxed(value)?,
                items: items.iter().map(each).collect::<Option<_>>()?,
                negated: *negated,
            },
            Expr::InCodes {
                value,
                codes,
                negated,
            } => BatchExpr::InCodes {
                value: boxed(value)?,
                codes: *codes,
                negated: *negated,
            },
            Expr::InCohort {
                value,
                cohort,
                negated,
            } => BatchExpr::InCohort {
                value: boxed(value)?,
                cohort: *cohort,
                negated: *negated,
            },
            Expr::InPeriod { value, negated } => BatchExpr::InPeriod {
                value: boxed(value)?,
                negated: *negated,
            },
            Expr::IsMissing { value, negated } => BatchExpr::IsMissing {
                value: boxed(value)?,
                negated: *negated,
            },
            Expr::Within {
                value,
                anchor,
                days,
                after,
            } => BatchExpr::Within {
                value: boxed(value)?,
                anchor: boxed(anchor)?,
                days: *days,
                after: *after,
            },
            Expr::Call(f, args) => {
                BatchExpr::Call(*f, args.iter().map(each).collect::<Option<_>>()?)
            }
            Expr::Band {
                value,
                limits,
                labels,
            } => BatchExpr::Band {
                value: boxed(value)?,
                limits: limits.clone(),
                labels: labels.clone(),
            },
        })
    }
}

/// Whether an expression reads nothing but the current row's columns, constants and, when
/// `lets` is true, the `let`s a population's view holds for the row.
fn reads_only_row(e: &Expr, lets: bool) -> bool {
    BatchExpr::compile(e, lets).is_some()
}

/// What a rewrite does with a field, a bound row's field or a relation.
enum Leaf {
    /// Keep the node as it is.
    Keep,
    Replace(Expr),
    /// The expression cannot be rewritten.
    Refuse,
}

/// The expression with its fields, bound fields and relations rewritten by `leaf`; every other
/// node is rebuilt around its rewritten children.
fn rewrite(e: &Expr, leaf: &dyn Fn(&Expr) -> Leaf) -> Option<Expr> {
    let each = |x: &Expr| rewrite(x, leaf);
    let boxed = |x: &Expr| each(x).map(Box::new);
    Some(match e {
        Expr::Field(_) | Expr::Bound { .. } | Expr::Related(_) => match leaf(e) {
            Leaf::Keep => e.clone(),
            Leaf::Replace(x) => x,
            Leaf::Refuse => return None,
        },
        Expr::Not(x) => Expr::Not(boxed(x)?),
        Expr::Neg(x) => Expr::Neg(boxed(x)?),
        Expr::Binary(op, a, b) => Expr::Binary(*op, boxed(a)?, boxed(b)?),
        Expr::InList {
            value,
            items,
            negated,
        } => Expr::InList {
            value: boxed(value)?,
            items: items.iter().map(each).collect::<Option<_>>()?,
            negated: *negated,
        },
        Expr::InCodes {
            value,
            codes,
            negated,
        } => Expr::InCodes {
            value: boxed(value)?,
            codes: *codes,
            negated: *negated,
        },
        Expr::InCohort {
            value,
            cohort,
            negated,
        } => Expr::InCohort {
            value: boxed(value)?,
            cohort: *cohort,
            negated: *negated,
        },
        Expr::InPeriod { value, negated } => Expr::InPeriod {
            value: boxed(value)?,
            negated: *negated,
        },
        Expr::IsMissing { value, negated } => Expr::IsMissing {
            value: boxed(value)?,
            negated: *negated,
        },
        Expr::Within {
            value,
            anchor,
            days,
            after,
        } => Expr::Within {
            value: boxed(value)?,
            anchor: boxed(anchor)?,
            days: *days,
            after: *after,
        },
        Expr::Call(f, args) => Expr::Call(*f, args.iter().map(each).collect::<Option<_>>()?),
        Expr::Band {
            value,
            limits,
            labels,
        } => Expr::Band {
            value: boxed(value)?,
            limits: limits.clone(),
            labels: labels.clone(),
        },
        other => other.clone(),
    })
}

/// The expression with each `let` it reads written out in place, when those lets are columnar
/// themselves; `None` if it reads another let. A population's lets include its base
/// population's: they are computed from the same root row in the same period, so writing them
/// out gives the values the base's view holds.
pub fn inline_lets(e: &Expr, lets: &[(String, Expr)]) -> Option<Expr> {
    inline_lets_except(e, lets, &|_| false)
}

/// As [`inline_lets`], but the lets `at_hand` picks are left as they are, to be read from
/// the batch ([`BatchLets`]) instead of computed again.
pub fn inline_lets_except(
    e: &Expr,
    lets: &[(String, Expr)],
    at_hand: &dyn Fn(usize) -> bool,
) -> Option<Expr> {
    rewrite(e, &|node| match node {
        Expr::Field(Field::Let(k)) if at_hand(*k) => Leaf::Keep,
        Expr::Field(Field::Let(k)) => {
            match lets
                .get(*k)
                .and_then(|l| inline_lets_except(&l.1, lets, at_hand))
            {
                Some(value) if reads_only_row(&value, true) => Leaf::Replace(value),
                _ => Leaf::Refuse,
            }
        }
        Expr::Bound { .. } | Expr::Related(_) => Leaf::Refuse,
        _ => Leaf::Keep,
    })
}

/// Where the rows of a batch find their lets.
#[derive(Clone, Copy)]
pub enum BatchLets<'a> {
    /// Rows of a source: they have none.
    None,
    /// Rows of a view, at these positions in it.
    View(&'a View, &'a [u32]),
    /// Rows of a population being built: the lets before `own` are its base's, read from the
    /// base's view at these positions; the others are the batch's values computed so far.
    Building {
        base: Option<(&'a View, &'a [u32])>,
        own: usize,
        computed: &'a [Option<Vec<Value>>],
    },
}

/// A relation's condition or projection as an expression over the related row itself, when
/// it reads nothing of the row it is evaluated for: each related row's contribution is then
/// the same whoever asks, and can be computed once for all (`Engine::relation_totals`).
pub fn as_related_row(e: &Expr) -> Option<Expr> {
    rewrite(e, &|node| match node {
        Expr::Bound { depth: 0, field } => Leaf::Replace(Expr::Field(*field)),
        _ => Leaf::Refuse,
    })
}

/// Whether an expression is built only of what [`Engine::numbers`] reads (whether its columns
/// and lets hold numbers is seen when it reads them).
fn numeric_shape(e: &BatchExpr) -> bool {
    match e {
        BatchExpr::Number(_) | BatchExpr::Column(_) | BatchExpr::Let(_) => true,
        BatchExpr::Call(Builtin::Year, args) => {
            matches!(args[..], [BatchExpr::Column(_)])
        }
        BatchExpr::Binary(BinOp::Add | BinOp::Sub | BinOp::Mul, a, b) => {
            numeric_shape(a) && numeric_shape(b)
        }
        _ => false,
    }
}

/// Numbers of a batch's rows, with which of them are missing.
pub struct Numbers {
    values: Vec<f64>,
    missing: Vec<bool>,
}

impl Numbers {
    /// A number column's values at `rows`: NaN, the column's missing value, is missing.
    fn from_column(column: &[f64], rows: &[u32]) -> Numbers {
        Numbers::from_values(rows.iter().map(|&r| column[r as usize]).collect())
    }

    fn from_values(values: Vec<f64>) -> Numbers {
        let missing = values.iter().map(|x| x.is_nan()).collect();
        Numbers { values, missing }
    }
}

/// The parts of a chain of `and`s.
fn conjuncts<'e>(e: &'e BatchExpr, out: &mut Vec<&'e BatchExpr>) {
    match e {
        BatchExpr::Binary(BinOp::And, a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        other => out.push(other),
    }
}

/// A column's values at `rows`, read with one decision on the column's type for the batch.
pub(super) fn gather(column: Option<&Column>, rows: &[u32]) -> Vec<Value> {
    match column {
        None => vec![Value::Missing; rows.len()],
        Some(column) => column.gather(rows),
    }
}

/// What the batch evaluator reads of the run: the loaded extracts, cohorts and code lists.
/// The row engine provides it (`super::rows`), and gets the batch evaluator's methods
/// ([`BatchEval`]) in return; the batch evaluator knows nothing else of the engine.
pub trait BatchInput {
    /// The loaded extracts, by source.
    fn tables(&self) -> &[Table];
    /// Whether the run evaluates row by row (`Options::row_by_row`).
    fn row_by_row(&self) -> bool;
    /// The members of a cohort in a period.
    fn cohort_members(&self, id: CohortId, period: Period) -> Arc<Members>;
    /// Whether a text is in a code list.
    fn in_code_list_sym(&self, codes: CodeListId, sym: Sym) -> bool;
    /// Counts one batch of rows evaluated together, for the run's summary.
    fn note_batch(&self);
}

impl<T: BatchInput> BatchEval for T {}

/// The batch evaluator, over what [`BatchInput`] provides.
pub trait BatchEval: BatchInput {
    /// `e` for the batch evaluator when it can compute it ([`BatchExpr::compile`]) and the run
    /// does not evaluate row by row (`Options::row_by_row`); `None` sends the caller to the row
    /// evaluator.
    fn compile_batch(&self, e: &Expr, lets: bool) -> Option<BatchExpr> {
        if self.row_by_row() {
            return None;
        }
        BatchExpr::compile(e, lets)
    }

    /// Calls `kept` with each batch of the rows of `source` for which every condition holds
    /// (the conditions must be columnar), in row order.
    fn for_each_kept_batch(
        &self,
        conditions: &[BatchExpr],
        period: Period,
        source: usize,
        mut kept: impl FnMut(&[u32]),
    ) {
        let count = self.tables()[source].rows;
        let mut rows = Vec::with_capacity(BATCH);
        let mut tags = Vec::with_capacity(BATCH);
        for first in (0..count).step_by(BATCH) {
            rows.clear();
            rows.extend(first as u32..(first + BATCH).min(count) as u32);
            tags.clone_from(&rows);
            self.retain_batch(conditions, period, source, None, &mut rows, &mut tags);
            kept(&rows);
        }
    }

    /// Keeps in `rows` (and at the same places in `tags`) only the rows for which every
    /// condition holds. Given the view the rows belong to, `tags` are their positions in it, where
    /// the conditions read the view's lets.
    fn retain_batch(
        &self,
        conditions: &[BatchExpr],
        period: Period,
        root: usize,
        view: Option<&View>,
        rows: &mut Vec<u32>,
        tags: &mut Vec<u32>,
    ) {
        if !conditions.is_empty() {
            self.note_batch();
        }
        // `a and b` keeps the rows both keep: each part narrows the rows the next one reads.
        let mut parts = Vec::new();
        for condition in conditions {
            conjuncts(condition, &mut parts);
        }
        // Dates in the period first: the cheapest test, and usually the one that leaves the
        // fewest rows for the others. The parts have no effects, so their order changes
        // nothing but the work.
        parts.sort_by_key(|part| self.date_column_in_period(part, root).is_none());
        for condition in parts {
            if rows.is_empty() {
                return;
            }
            let holds: Vec<bool> =
                if let Some((days, negated)) = self.date_column_in_period(condition, root) {
                    // The usual first condition (`date in period`), read straight from the
                    // column: the same test as `in_period`, a missing date never in.
                    rows.iter()
                        .map(|&r| {
                            let day = days[r as usize];
                            day != MISSING_DATE && period.contains(day) != negated
                        })
                        .collect()
                } else {
                    let lets = view.map_or(BatchLets::None, |v| BatchLets::View(v, &tags[..]));
                    match self
                        .compare_numbers(condition, root, rows, lets)
                        .or_else(|| self.test_symbols(condition, period, root, rows))
                    {
                        Some(holds) => holds,
                        None => self
                            .eval_batch(condition, period, root, rows, lets)
                            .iter()
                            .map(|v| v.truthy())
                            .collect(),
                    }
                };
            let mut kept = 0;
            for k in 0..rows.len() {
                if holds[k] {
                    rows[kept] = rows[k];
                    tags[kept] = tags[k];
                    kept += 1;
                }
            }
            rows.truncate(kept);
            tags.truncate(kept);
        }
    }

    /// The days of a date column and whether the test is negated, for a condition `column in
    /// period` (or `not in`) on a column of `root` read as dates.
    fn date_column_in_period(&self, condition: &BatchExpr, root: usize) -> Option<(&[i32], bool)> {
        let BatchExpr::InPeriod { value, negated } = condition else {
            return None;
        };
        let BatchExpr::Column(c) = **value else {
            return None;
        };
        match self.tables()[root].columns[c].as_ref()? {
            Column::Date(days) => Some((days, *negated)),
            _ => None,
        }
    }

    /// For a test of a text or person column against constants (`column == "text"`, `!=`,
    /// `column in ["a", "b"]`, `column in codes`, `person in cohort`), whether it holds for
    /// each row, read straight from the column's numbers: the same answers as the batch
    /// evaluator's (a missing value passes no test, negated or not).
    fn test_symbols(
        &self,
        condition: &BatchExpr,
        period: Period,
        root: usize,
        rows: &[u32],
    ) -> Option<Vec<bool>> {
        let column = |e: &BatchExpr| match e {
            BatchExpr::Column(c) => self.tables()[root].columns[*c].as_ref(),
            _ => None,
        };
        let each = |v: &[u32], test: &dyn Fn(u32) -> bool| -> Vec<bool> {
            rows.iter()
                .map(|&r| {
                    let x = v[r as usize];
                    x != MISSING_SYM && test(x)
                })
                .collect()
        };
        match condition {
            BatchExpr::Binary(op @ (BinOp::Eq | BinOp::Ne), a, b) => {
                let (col, text) = match (column(a), &**b, column(b), &**a) {
                    (Some(Column::Sym(v)), BatchExpr::Text(t), _, _)
                    | (_, _, Some(Column::Sym(v)), BatchExpr::Text(t)) => (v, *t),
                    _ => return None,
                };
                let equal = *op == BinOp::Eq;
                Some(each(col, &|x| (x == text) == equal))
            }
            BatchExpr::InList {
                value,
                items,
                negated,
            } => {
                let Some(Column::Sym(col)) = column(value) else {
                    return None;
                };
                let texts: Vec<u32> = items
                    .iter()
                    .map(|i| match i {
                        BatchExpr::Text(t) => Some(*t),
                        _ => None,
                    })
                    .collect::<Option<_>>()?;
                Some(each(col, &|x| texts.contains(&x) != *negated))
            }
            BatchExpr::InCodes {
                value,
                codes,
                negated,
            } => {
                let Some(Column::Sym(col)) = column(value) else {
                    return None;
                };
                Some(each(col, &|x| self.in_code_list_sym(*codes, x) != *negated))
            }
            BatchExpr::InCohort {
                value,
                cohort,
                negated,
            } => {
                let Some(Column::Person(col)) = column(value) else {
                    return None;
                };
                let members = self.cohort_members(*cohort, period);
                Some(each(col, &|p| {
                    in_cohort(&members, Value::Person(p), *negated).truthy()
                }))
            }
            _ => None,
        }
    }

    /// For a comparison of two numeric expressions of the kind [`Engine::numbers`] reads,
    /// whether it holds for each row, computed on plain numbers: the same answers as the
    /// batch evaluator's (a comparison with a missing value does not hold).
    fn compare_numbers(
        &self,
        condition: &BatchExpr,
        root: usize,
        rows: &[u32],
        lets: BatchLets<'_>,
    ) -> Option<Vec<bool>> {
        let BatchExpr::Binary(op, a, b) = condition else {
            return None;
        };
        let test: fn(f64, f64) -> bool = match op {
            BinOp::Eq => |x, y| x == y,
            BinOp::Ne => |x, y| x != y,
            BinOp::Lt => |x, y| x < y,
            BinOp::Le => |x, y| x <= y,
            BinOp::Gt => |x, y| x > y,
            BinOp::Ge => |x, y| x >= y,
            _ => return None,
        };
        if !numeric_shape(a) || !numeric_shape(b) {
            return None;
        }
        let x = self.numbers(a, root, rows, lets)?;
        let y = self.numbers(b, root, rows, lets)?;
        Some(
            (0..rows.len())
                .map(|k| !x.missing[k] && !y.missing[k] && test(x.values[k], y.values[k]))
                .collect(),
        )
    }

    /// The values of a numeric expression made of numbers, number columns, number lets of a
    /// view, `year()` of a date column, and `+`, `-`, `*` of these; `None` for any other
    /// expression. The arithmetic is the batch evaluator's: a missing operand makes the
    /// result missing.
    fn numbers(
        &self,
        e: &BatchExpr,
        root: usize,
        rows: &[u32],
        lets: BatchLets<'_>,
    ) -> Option<Numbers> {
        let n = rows.len();
        Some(match e {
            BatchExpr::Number(x) => Numbers {
                values: vec![*x; n],
                missing: vec![false; n],
            },
            BatchExpr::Column(c) => match self.tables()[root].columns[*c].as_ref()? {
                Column::Num(v) => Numbers::from_column(v, rows),
                _ => return None,
            },
            BatchExpr::Let(i) => match lets {
                BatchLets::View(view, positions) => {
                    Numbers::from_values(view.let_numbers(*i, positions)?)
                }
                _ => return None,
            },
            BatchExpr::Call(Builtin::Year, args) if args.len() == 1 => {
                let BatchExpr::Column(c) = args[0] else {
                    return None;
                };
                let Column::Date(days) = self.tables()[root].columns[c].as_ref()? else {
                    return None;
                };
                let mut values = Vec::with_capacity(n);
                let mut missing = Vec::with_capacity(n);
                for &r in rows {
                    let day = days[r as usize];
                    missing.push(day == MISSING_DATE);
                    values.push(if day == MISSING_DATE {
                        0.0
                    } else {
                        f64::from(year_and_place(day).0)
                    });
                }
                Numbers { values, missing }
            }
            BatchExpr::Binary(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul), a, b) => {
                let mut x = self.numbers(a, root, rows, lets)?;
                let y = self.numbers(b, root, rows, lets)?;
                for k in 0..n {
                    x.missing[k] |= y.missing[k];
                    x.values[k] = match op {
                        BinOp::Add => number::add(x.values[k], y.values[k]),
                        BinOp::Sub => number::sub(x.values[k], y.values[k]),
                        _ => number::mul(x.values[k], y.values[k]),
                    };
                }
                x
            }
            _ => return None,
        })
    }

    /// The values of a columnar expression for each of `rows` of the source `root`; with
    /// `lets` other than `None`, the expression may also read the rows' lets.
    fn eval_batch(
        &self,
        e: &BatchExpr,
        period: Period,
        root: usize,
        rows: &[u32],
        lets: BatchLets<'_>,
    ) -> Vec<Value> {
        let n = rows.len();
        let each = |x: &BatchExpr| self.eval_batch(x, period, root, rows, lets);
        // Generic, so that each node's operation is inlined into its loop.
        fn map(mut v: Vec<Value>, f: impl Fn(Value) -> Value) -> Vec<Value> {
            for value in &mut v {
                *value = f(*value);
            }
            v
        }
        fn zip(mut x: Vec<Value>, y: Vec<Value>, f: impl Fn(Value, Value) -> Value) -> Vec<Value> {
            for (value, other) in x.iter_mut().zip(y) {
                *value = f(*value, other);
            }
            x
        }
        match e {
            BatchExpr::Missing => vec![Value::Missing; n],
            BatchExpr::Bool(b) => vec![Value::Bool(*b); n],
            BatchExpr::Number(x) => vec![Value::Num(*x); n],
            BatchExpr::Date(d) => vec![Value::Date(*d); n],
            BatchExpr::Text(s) => vec![Value::Sym(*s); n],
            BatchExpr::Duration(days) => vec![Value::Duration(*days); n],
            BatchExpr::PeriodStart => vec![Value::Date(period.first_day); n],
            BatchExpr::PeriodEnd => vec![Value::Date(period.last_day); n],
            BatchExpr::Column(c) => gather(self.tables()[root].columns[*c].as_ref(), rows),
            BatchExpr::Not(x) => map(each(x), not),
            BatchExpr::Neg(x) => map(each(x), negative),
            BatchExpr::Binary(BinOp::And, a, b) => zip(each(a), each(b), |x, y| {
                Value::Bool(x.truthy() && y.truthy())
            }),
            BatchExpr::Binary(BinOp::Or, a, b) => zip(each(a), each(b), |x, y| {
                Value::Bool(x.truthy() || y.truthy())
            }),
            BatchExpr::Binary(op, a, b) => zip(each(a), each(b), |x, y| binary(*op, x, y)),
            BatchExpr::InList {
                value,
                items,
                negated,
            } => {
                let mut v = each(value);
                let items: Vec<Vec<Value>> = items.iter().map(each).collect();
                for (k, value) in v.iter_mut().enumerate() {
                    *value = if value.is_missing() {
                        Value::Bool(false)
                    } else {
                        let hit = items.iter().any(|i| equal(*value, i[k]) == Some(true));
                        Value::Bool(hit != *negated)
                    };
                }
                v
            }
            BatchExpr::InCodes {
                value,
                codes,
                negated,
            } => map(each(value), |v| {
                in_codes(v, *negated, |s| self.in_code_list_sym(*codes, s))
            }),
            BatchExpr::InCohort {
                value,
                cohort,
                negated,
            } => {
                let members = self.cohort_members(*cohort, period);
                map(each(value), |v| in_cohort(&members, v, *negated))
            }
            BatchExpr::InPeriod { value, negated } => {
                map(each(value), |v| in_period(v, period, *negated))
            }
            BatchExpr::IsMissing { value, negated } => {
                map(each(value), |v| Value::Bool(v.is_missing() != *negated))
            }
            BatchExpr::Within {
                value,
                anchor,
                days,
                after,
            } => zip(each(value), each(anchor), |v, a| {
                within(v, a, *days, *after)
            }),
            // The usual calls (`year(d)`, `age(birth, at)`) without gathering each row's
            // arguments into a list.
            BatchExpr::Call(f, args) if args.len() == 1 => map(each(&args[0]), |v| call(*f, &[v])),
            BatchExpr::Call(f, args) if args.len() == 2 => {
                zip(each(&args[0]), each(&args[1]), |x, y| call(*f, &[x, y]))
            }
            BatchExpr::Call(f, args) => {
                let args: Vec<Vec<Value>> = args.iter().map(each).collect();
                let mut out = Vec::with_capacity(n);
                let mut values = Vec::with_capacity(args.len());
                for k in 0..n {
                    values.clear();
                    values.extend(args.iter().map(|a| a[k]));
                    out.push(call(*f, &values));
                }
                out
            }
            BatchExpr::Band {
                value,
                limits,
                labels,
            } => map(each(value), |v| band(v, limits, labels)),
            BatchExpr::Let(i) => match lets {
                BatchLets::View(view, positions) => view.let_values(*i, positions),
                BatchLets::Building { base, own, .. } if *i < own => match base {
                    Some((view, positions)) => view.let_values(*i, positions),
                    None => vec![Value::Missing; n],
                },
                BatchLets::Building { own, computed, .. } => computed[*i - own]
                    .clone()
                    .expect("a let read over the batch is computed over it first"),
                // Rows of a source have no lets: as for the row evaluator, each is missing.
                BatchLets::None => vec![Value::Missing; n],
            },
        }
    }
}
