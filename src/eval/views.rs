//! The rows a population holds in one period (a [`View`]), with the values of its lets stored
//! as typed columns; the row in reach of an expression ([`RowRef`]); a cohort's members; rows
//! grouped by person. Data only: the row engine (`super::rows`) builds them.

use std::borrow::Cow;
use std::sync::Arc;

use super::load::Column;
use super::value::Value;
use crate::plan::{Period, RowSet};

/// The rows of a population in one period, with the values of its `let` fields.
#[derive(Debug)]
pub struct View {
    pub root: usize,
    /// Row numbers in the root source's table.
    pub rows: Vec<u32>,
    /// For a population built on another, the base's view and each row's position in it: the
    /// base's lets are read there, not copied (at national scale a population of residents
    /// holds millions of rows, and a population built on it would copy its lets for each).
    pub(super) base: Option<(Arc<View>, Vec<u32>)>,
    /// The lets from `own` on, a column each.
    pub(super) lets: Vec<LetColumn>,
    pub(super) own: usize,
    pub(super) width: usize,
}

impl View {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn row(&self, k: usize) -> RowRef<'_> {
        RowRef {
            root: self.root,
            row: self.rows[k],
            lets: Lets::View(self, k),
        }
    }

    /// The column of let `i` and the rows at `positions` as positions in that column's view
    /// (the view itself, or the base that holds the let); `None` for a let no view holds.
    fn let_column<'v, 'p>(
        &'v self,
        i: usize,
        positions: &'p [u32],
    ) -> Option<(&'v LetColumn, Cow<'p, [u32]>)> {
        if i >= self.own {
            return Some((self.lets.get(i - self.own)?, Cow::Borrowed(positions)));
        }
        let (base, in_base) = self.base.as_ref()?;
        let mapped: Vec<u32> = positions.iter().map(|&k| in_base[k as usize]).collect();
        let (column, at) = base.let_column(i, &mapped)?;
        Some((column, Cow::Owned(at.into_owned())))
    }

    /// Let `i` of the rows at `positions`, read with one decision on its column's type.
    pub fn let_values(&self, i: usize, positions: &[u32]) -> Vec<Value> {
        match self.let_column(i, positions) {
            Some((LetColumn::Typed(column), at)) => column.gather(&at),
            Some((LetColumn::Any(values), at)) => at.iter().map(|&k| values[k as usize]).collect(),
            Some((LetColumn::Missing(_), _)) | None => vec![Value::Missing; positions.len()],
        }
    }

    /// Let `i` of the rows at `positions` as numbers (NaN for missing), when the let's column
    /// holds numbers or only missing values; `None` otherwise.
    pub fn let_numbers(&self, i: usize, positions: &[u32]) -> Option<Vec<f64>> {
        match self.let_column(i, positions)? {
            (LetColumn::Typed(Column::Num(v)), at) => {
                Some(at.iter().map(|&k| v[k as usize]).collect())
            }
            (LetColumn::Missing(_), _) => Some(vec![f64::NAN; positions.len()]),
            _ => None,
        }
    }

    /// Let `i` of row `k`.
    fn let_value(&self, k: usize, i: usize) -> Value {
        if i >= self.own {
            self.lets
                .get(i - self.own)
                .map_or(Value::Missing, |column| column.get(k))
        } else {
            match &self.base {
                Some((base, positions)) => base.let_value(positions[k] as usize, i),
                None => Value::Missing,
            }
        }
    }
}

/// One `let` of a view for all its rows, stored as a column of the type its values turn out to
/// have (a let's values are of one type, or missing): 1 to 8 bytes a row instead of 16, which
/// matters for populations of millions of residents. Filled row by row: the first value that
/// is not missing sets the type; a value the column cannot hold turns it into plain values.
#[derive(Debug)]
pub(super) enum LetColumn {
    /// This many rows, all missing so far.
    Missing(usize),
    Typed(Column),
    Any(Vec<Value>),
}

impl LetColumn {
    #[cfg(test)]
    fn len(&self) -> usize {
        match self {
            LetColumn::Missing(n) => *n,
            LetColumn::Typed(column) => column.len(),
            LetColumn::Any(v) => v.len(),
        }
    }

    pub(super) fn push(&mut self, value: Value) {
        match self {
            LetColumn::Missing(n) if value.is_missing() => *n += 1,
            LetColumn::Missing(n) => {
                *self = match Column::for_value(value, *n) {
                    Some(column) => LetColumn::Typed(column),
                    None => {
                        let mut values = vec![Value::Missing; *n];
                        values.push(value);
                        LetColumn::Any(values)
                    }
                }
            }
            LetColumn::Typed(column) => {
                if !column.push_value(value) {
                    let mut values: Vec<Value> = (0..column.len()).map(|k| column.get(k)).collect();
                    values.push(value);
                    *self = LetColumn::Any(values);
                }
            }
            LetColumn::Any(v) => v.push(value),
        }
    }

    fn get(&self, k: usize) -> Value {
        match self {
            LetColumn::Missing(_) => Value::Missing,
            LetColumn::Typed(column) => column.get(k),
            LetColumn::Any(v) => v[k],
        }
    }
}

/// A row's `let` values: all of them in a slice, or a row of a population's view.
#[derive(Debug, Clone, Copy)]
pub enum Lets<'a> {
    Slice(&'a [Value]),
    View(&'a View, usize),
}

impl Lets<'_> {
    pub const NONE: Lets<'static> = Lets::Slice(&[]);

    pub fn get(self, i: usize) -> Value {
        match self {
            Lets::Slice(values) => values.get(i).copied().unwrap_or(Value::Missing),
            Lets::View(view, k) => view.let_value(k, i),
        }
    }

    pub fn len(self) -> usize {
        match self {
            Lets::Slice(values) => values.len(),
            Lets::View(view, _) => view.width,
        }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Appends every value, in order, to `out`.
    pub fn append_to(self, out: &mut Vec<Value>) {
        out.extend((0..self.len()).map(|i| self.get(i)));
    }
}

/// One row in reach of an expression.
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    pub root: usize,
    pub row: u32,
    pub lets: Lets<'a>,
}

/// A cohort's members: a bitset over person numbers.
pub type Members = Vec<u64>;

/// A source's person index serves every period; a population's is per period.
pub type PersonIndexKey = (RowSet, Option<Period>);

/// Rows of a row set grouped by person: `order[start[p]..start[p + 1]]` are the positions of
/// person `p`'s rows.
#[derive(Debug)]
pub struct PersonIndex {
    pub(super) start: Vec<u32>,
    pub(super) order: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(values: &[Value]) -> LetColumn {
        let mut column = LetColumn::Missing(0);
        for v in values {
            column.push(*v);
        }
        column
    }

    #[test]
    fn a_let_column_gives_back_what_it_was_given() {
        let cases: [&[Value]; 6] = [
            &[
                Value::Missing,
                Value::Num(2.5),
                Value::Missing,
                Value::Num(-1.0),
            ],
            &[Value::Sym(3), Value::Missing, Value::Sym(0)],
            &[
                Value::Missing,
                Value::Missing,
                Value::Bool(true),
                Value::Bool(false),
            ],
            &[Value::Date(-5), Value::Date(19000), Value::Missing],
            // Another type part way: plain values from then on.
            &[
                Value::Num(1.0),
                Value::Missing,
                Value::Sym(4),
                Value::Num(2.0),
            ],
            &[Value::Missing, Value::Missing],
        ];
        for values in cases {
            let column = filled(values);
            assert_eq!(column.len(), values.len());
            let back: Vec<Value> = (0..values.len()).map(|k| column.get(k)).collect();
            assert_eq!(back, values, "{column:?}");
        }
        assert!(matches!(
            filled(&[Value::Missing, Value::Num(1.0)]),
            LetColumn::Typed(Column::Num(_))
        ));
        assert!(matches!(
            filled(&[Value::Num(1.0), Value::Sym(1)]),
            LetColumn::Any(_)
        ));
        // NaN cannot stand for itself among numbers, where it marks a missing value.
        let nan = filled(&[Value::Num(1.0), Value::Num(f64::NAN)]);
        assert!(matches!(nan, LetColumn::Any(_)));
        assert!(matches!(nan.get(1), Value::Num(x) if x.is_nan()));
    }
}
