//! What each expression node means: the operations of single nodes (comparison with missing
//! values, arithmetic, dates and durations, built-in functions, membership of a period, a
//! cohort or a list), defined once here. The row evaluator (`super::rows`) and the batch
//! evaluator (`super::columnar`) both apply these functions, the one to a row, the other to
//! each row of a batch, so that both give the same values; the row-by-row switch
//! (`Options::row_by_row`) and the tests run both ways check that they do.

use super::number;
use super::value::Value;
use crate::plan::{BinOp, Builtin, Day, Period, civil_from_days, year_and_place};

/// `not` of a missing value is not true either: a row with an unknown flag is neither kept by
/// `where flag` nor by `where not flag`.
pub(super) fn not(v: Value) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(!b),
        _ => Value::Bool(false),
    }
}

pub(super) fn negative(v: Value) -> Value {
    match v {
        Value::Num(n) => Value::Num(-n),
        Value::Duration(d) => Value::Duration(-d),
        _ => Value::Missing,
    }
}

/// `value in codes` (or `not in`): false for anything but a text; `listed` says whether a
/// text is in the code list.
pub(super) fn in_codes(v: Value, negated: bool, listed: impl FnOnce(u32) -> bool) -> Value {
    match v {
        Value::Sym(s) => Value::Bool(listed(s) != negated),
        _ => Value::Bool(false),
    }
}

/// `value in cohort` (or `not in`), with the cohort's members as a bitset over persons.
pub(super) fn in_cohort(members: &[u64], v: Value, negated: bool) -> Value {
    match v {
        Value::Person(p) => {
            let member = members
                .get(p as usize / 64)
                .is_some_and(|w| w & (1 << (p % 64)) != 0);
            Value::Bool(member != negated)
        }
        _ => Value::Bool(false),
    }
}

pub(super) fn in_period(v: Value, period: Period, negated: bool) -> Value {
    match v {
        Value::Date(d) => Value::Bool(period.contains(d) != negated),
        _ => Value::Bool(false),
    }
}

pub(super) fn within(value: Value, anchor: Value, days: f64, after: bool) -> Value {
    match (value, anchor) {
        (Value::Date(v), Value::Date(a)) => {
            let (v, a) = (v as f64, a as f64);
            let inside = if after {
                a <= v && v <= a + days
            } else {
                a - days <= v && v <= a
            };
            Value::Bool(inside)
        }
        _ => Value::Bool(false),
    }
}

pub(super) fn band(v: Value, limits: &[f64], labels: &[u32]) -> Value {
    match v.number() {
        Some(x) if x >= limits[0] => {
            let k = limits.iter().rposition(|&l| x >= l).unwrap_or(0);
            Value::Sym(labels[k])
        }
        _ => Value::Missing,
    }
}

/// Equality of two values; `None` when either is missing.
pub fn equal(a: Value, b: Value) -> Option<bool> {
    Some(match (a, b) {
        (Value::Missing, _) | (_, Value::Missing) => return None,
        (Value::Num(x), Value::Num(y)) => x == y,
        (Value::Unit(u), Value::Num(n)) | (Value::Num(n), Value::Unit(u)) => u as f64 == n,
        (Value::Unit(u), Value::Unit(v)) => u == v,
        (Value::Date(x), Value::Date(y)) => x == y,
        (Value::Duration(x), Value::Duration(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Sym(x), Value::Sym(y)) => x == y,
        (Value::Person(x), Value::Person(y)) => x == y,
        _ => false,
    })
}

pub fn compare(a: Value, b: Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(&y)),
        (Value::Missing, _) | (_, Value::Missing) => None,
        _ => a.number()?.partial_cmp(&b.number()?),
    }
}

pub(super) fn binary(op: BinOp, x: Value, y: Value) -> Value {
    use std::cmp::Ordering::*;
    match op {
        BinOp::Eq => Value::Bool(equal(x, y) == Some(true)),
        BinOp::Ne => Value::Bool(equal(x, y) == Some(false)),
        BinOp::Lt => Value::Bool(compare(x, y) == Some(Less)),
        BinOp::Le => Value::Bool(matches!(compare(x, y), Some(Less | Equal))),
        BinOp::Gt => Value::Bool(compare(x, y) == Some(Greater)),
        BinOp::Ge => Value::Bool(matches!(compare(x, y), Some(Greater | Equal))),
        BinOp::Add => match (x, y) {
            (Value::Num(a), Value::Num(b)) => Value::Num(number::add(a, b)),
            (Value::Date(d), Value::Duration(n)) | (Value::Duration(n), Value::Date(d)) => {
                shifted(d, n)
            }
            (Value::Duration(a), Value::Duration(b)) => Value::Duration(number::add(a, b)),
            _ => Value::Missing,
        },
        BinOp::Sub => match (x, y) {
            (Value::Num(a), Value::Num(b)) => Value::Num(number::sub(a, b)),
            (Value::Date(a), Value::Date(b)) => Value::Duration((a - b) as f64),
            (Value::Date(d), Value::Duration(n)) => shifted(d, -n),
            (Value::Duration(a), Value::Duration(b)) => Value::Duration(number::sub(a, b)),
            _ => Value::Missing,
        },
        BinOp::Mul => match (x, y) {
            (Value::Num(a), Value::Num(b)) => Value::Num(number::mul(a, b)),
            (Value::Duration(d), Value::Num(n)) | (Value::Num(n), Value::Duration(d)) => {
                Value::Duration(number::mul(d, n))
            }
            _ => Value::Missing,
        },
        BinOp::Div => match (x, y) {
            (Value::Num(_), Value::Num(0.0)) => Value::Missing,
            (Value::Num(a), Value::Num(b)) => Value::Num(a / b),
            (Value::Duration(d), Value::Num(n)) if n != 0.0 => Value::Duration(d / n),
            _ => Value::Missing,
        },
        BinOp::And | BinOp::Or => Value::Missing,
    }
}

/// A date moved by a duration, missing where the day would leave the calendar (0000-01-01 to
/// 9999-12-31): such a day cannot be written, and a wrapped one would be a wrong day.
fn shifted(day: i32, days: f64) -> Value {
    Day::from_number(day.into())
        .and_then(|d| d.checked_add_duration(days))
        .map_or(Value::Missing, |d| Value::Date(d.number()))
}

pub(super) fn call(f: Builtin, v: &[Value]) -> Value {
    let date = |k: usize| match v.get(k) {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    };
    match f {
        Builtin::Age => match (date(0), date(1)) {
            (Some(birth), Some(at)) => {
                let (birth_year, birth_place) = year_and_place(birth);
                let (year, place) = year_and_place(at);
                let mut years = year - birth_year;
                if place < birth_place {
                    years -= 1;
                }
                Value::Num(years as f64)
            }
            _ => Value::Missing,
        },
        Builtin::Days | Builtin::Hours | Builtin::Years => match (date(0), date(1)) {
            (Some(a), Some(b)) => {
                let days = (b - a) as f64;
                Value::Num(match f {
                    Builtin::Days => days,
                    Builtin::Hours => days * 24.0,
                    _ => days / 365.25,
                })
            }
            _ => Value::Missing,
        },
        Builtin::Year => match date(0) {
            Some(d) => Value::Num(year_and_place(d).0 as f64),
            None => Value::Missing,
        },
        Builtin::Month => match date(0) {
            Some(d) => Value::Num(civil_from_days(d).1 as f64),
            None => Value::Missing,
        },
        Builtin::Coalesce => {
            let first = v.first().copied().unwrap_or(Value::Missing);
            if first.is_missing() {
                v.get(1).copied().unwrap_or(Value::Missing)
            } else {
                first
            }
        }
        Builtin::Earliest | Builtin::Latest => match (date(0), date(1)) {
            (Some(a), Some(b)) => Value::Date(if f == Builtin::Earliest {
                a.min(b)
            } else {
                a.max(b)
            }),
            (Some(a), None) | (None, Some(a)) => Value::Date(a),
            _ => Value::Missing,
        },
    }
}
