//! What a source declares of its rows (`in LOW..HIGH`, `unique`, `one … per …`, `require`),
//! checked once per extract on its typed columns, after the extract is merged into the run's
//! numbering (where equal persons and texts have equal numbers). A violation stops the run
//! with the file, line, column and value, or under `--on-bad-row skip` its row is left out and
//! counted per constraint. A source without constraints is not looked at.
//!
//! Only the rows read are checked: rows left unread by the source's windows are not (as their
//! values are not validated either), so a duplicate of a row outside the run's periods is not
//! seen. Missing values satisfy every constraint.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::error::{DataError, Exclusions};
use super::load::{BadRows, Column, MISSING_BOOL, MISSING_DATE, MISSING_SYM, Table};
use super::value::{FastHash, Value};
use crate::plan::{BinOp, RowConstraint, SourcePlan};

/// Checks `table` against `source`'s constraints. Under `Skip`, the rows that break one are
/// removed from the table and counted in `exclusions`; the first constraint broken stops the
/// run otherwise. `show` writes a value as it was read, for messages.
pub fn check(
    source: &SourcePlan,
    table: &mut Table,
    bad_rows: BadRows,
    exclusions: &mut Exclusions,
    show: &dyn Fn(Value) -> String,
) -> Result<(), DataError> {
    if source.constraints.is_empty() || table.rows == 0 {
        return Ok(());
    }
    let mut bad = vec![false; table.rows];
    for constraint in &source.constraints {
        let columns: Vec<&Column> = constraint
            .columns()
            .iter()
            .filter_map(|&k| table.columns[k].as_ref())
            .collect();
        if columns.len() != constraint.columns().len() {
            // Not read (the source is read by no rule): nothing to check.
            continue;
        }
        // A row left out for an earlier constraint is not looked at again: each row is
        // counted once, and a later row is not a duplicate of one left out.
        let broken = broken_rows(constraint, &columns, table.rows, &bad);
        if broken.is_empty() {
            continue;
        }
        let described = constraint.describe(&source.columns);
        for &(row, earlier) in &broken {
            let (column, value, problem) = explain(constraint, source, table, row, earlier, show);
            let line = table.lines.get(row as usize).copied().unwrap_or(0) as usize;
            let mut error = DataError::line(&table.file, line, problem);
            error.column = Some(column);
            error.value = Some(value);
            error.source = Some(source.name.clone());
            match bad_rows {
                BadRows::Stop => return Err(error),
                BadRows::Skip => {
                    // Counted per constraint: the message names it, not the row's values.
                    error.message = format!("breaks `{described}`");
                    exclusions.add(&error);
                    bad[row as usize] = true;
                }
            }
        }
    }
    if bad.iter().any(|&b| b) {
        remove_rows(table, &bad);
    }
    Ok(())
}

/// The rows that break `constraint`, in row order, each with the earlier row it conflicts with
/// (for `unique` and `one … per …`).
fn broken_rows(
    constraint: &RowConstraint,
    columns: &[&Column],
    rows: usize,
    bad: &[bool],
) -> Vec<(u32, u32)> {
    let mut broken = Vec::new();
    let rows = (0..rows as u32).filter(|&row| !bad[row as usize]);
    match constraint {
        RowConstraint::Range { low, high, .. } => {
            if let Column::Num(values) = columns[0] {
                let low = low.unwrap_or(f64::NEG_INFINITY);
                let high = high.unwrap_or(f64::INFINITY);
                // NaN (missing) compares false both ways and passes.
                for row in rows {
                    let x = values[row as usize];
                    if x < low || x > high {
                        broken.push((row, row));
                    }
                }
            }
        }
        RowConstraint::Unique { .. } => broken = same_key_conflicts(columns, None, rows),
        RowConstraint::OnePer { .. } => {
            let (value, key) = columns.split_last().expect("a value and a key");
            broken = same_key_conflicts(key, Some(value), rows);
        }
        RowConstraint::Require { op, .. } => {
            let holds = |o: std::cmp::Ordering| match op {
                BinOp::Eq => o.is_eq(),
                BinOp::Ne => o.is_ne(),
                BinOp::Lt => o.is_lt(),
                BinOp::Le => o.is_le(),
                BinOp::Gt => o.is_gt(),
                _ => o.is_ge(),
            };
            match (columns[0], columns[1]) {
                (Column::Date(a), Column::Date(b)) => {
                    for row in rows {
                        let (x, y) = (a[row as usize], b[row as usize]);
                        if x != MISSING_DATE && y != MISSING_DATE && !holds(x.cmp(&y)) {
                            broken.push((row, row));
                        }
                    }
                }
                (Column::Num(a), Column::Num(b)) => {
                    for row in rows {
                        if let Some(o) = a[row as usize].partial_cmp(&b[row as usize])
                            && !holds(o)
                        {
                            broken.push((row, row));
                        }
                    }
                }
                (a, b) => {
                    for row in rows {
                        if let (Some(x), Some(y)) = (bits(a, row), bits(b, row))
                            && !holds(x.cmp(&y))
                        {
                            broken.push((row, row));
                        }
                    }
                }
            }
        }
    }
    broken
}

/// The rows whose `key` values equal those of an earlier row (each with the first such row):
/// all of them without a `value` column (`unique`), else those whose `value` differs from the
/// first's (`one … per …`, rows with the value missing left out). A key with a missing value
/// equals no other.
fn same_key_conflicts(
    key: &[&Column],
    value: Option<&Column>,
    rows: impl Iterator<Item = u32>,
) -> Vec<(u32, u32)> {
    let candidates: Vec<u32> = match value {
        Some(value) => rows.filter(|&row| bits(value, row).is_some()).collect(),
        None => rows.collect(),
    };
    let conflict = |row: u32, first: u32| match value {
        Some(value) => bits(value, row) != bits(value, first),
        None => true,
    };
    if let Some(found) = grouped_conflicts(key, &candidates, &conflict) {
        return found;
    }
    let mut index = RowIndex::new(key);
    index.first.reserve(candidates.len());
    candidates
        .into_iter()
        .filter_map(|row| {
            let first = index.earlier(row)?;
            conflict(row, first).then_some((row, first))
        })
        .collect()
}

/// Extracts come grouped by person: when the key's first column is a person, a text or a unit
/// and the rows of each of its values stand together, each group is compared within itself
/// (a few rows), with no table of every key. `None` when some value comes back after others.
fn grouped_conflicts(
    key: &[&Column],
    candidates: &[u32],
    conflict: &dyn Fn(u32, u32) -> bool,
) -> Option<Vec<(u32, u32)>> {
    let (Column::Person(lead) | Column::Sym(lead) | Column::Unit(lead)) = key[0] else {
        return None;
    };
    let mut seen: Vec<bool> = Vec::new();
    let mut found = Vec::new();
    let mut group: Vec<u32> = Vec::new();
    let mut current = MISSING_SYM;
    let rest = &key[1..];
    let compare_group = |group: &[u32], found: &mut Vec<(u32, u32)>| {
        if group.len() > 32 {
            let mut index = RowIndex::new(rest);
            for &row in group {
                if let Some(first) = index.earlier(row)
                    && conflict(row, first)
                {
                    found.push((row, first));
                }
            }
            return;
        }
        for (i, &row) in group.iter().enumerate().skip(1) {
            if rest.iter().any(|c| bits(c, row).is_none()) {
                continue;
            }
            let first = group[..i]
                .iter()
                .copied()
                .find(|&earlier| rest.iter().all(|c| bits(c, earlier) == bits(c, row)));
            if let Some(first) = first
                && conflict(row, first)
            {
                found.push((row, first));
            }
        }
    };
    for &row in candidates {
        let value = lead[row as usize];
        if value == MISSING_SYM {
            continue;
        }
        if value != current {
            compare_group(&group, &mut found);
            group.clear();
            let slot = value as usize;
            if slot >= seen.len() {
                seen.resize((slot + 1).max(seen.len() * 2), false);
            }
            if seen[slot] {
                return None;
            }
            seen[slot] = true;
            current = value;
        }
        group.push(row);
    }
    compare_group(&group, &mut found);
    found.sort_unstable();
    Some(found)
}

/// The column, the value and the message for a row that breaks `constraint`.
fn explain(
    constraint: &RowConstraint,
    source: &SourcePlan,
    table: &Table,
    row: u32,
    earlier: u32,
    show: &dyn Fn(Value) -> String,
) -> (String, String, String) {
    let name = |k: usize| source.columns[k].0.clone();
    let value = |k: usize, row: u32| show(table.value(k, row as usize));
    let line_of = |row: u32| table.lines.get(row as usize).copied().unwrap_or(0);
    let described = constraint.describe(&source.columns);
    match constraint {
        RowConstraint::Range { column, .. } => (
            name(*column),
            value(*column, row),
            format!("the value lies outside the declared range (`{described}`)"),
        ),
        RowConstraint::Unique { columns } => {
            let values: Vec<String> = columns.iter().map(|&k| value(k, row)).collect();
            (
                columns
                    .iter()
                    .map(|&k| name(k))
                    .collect::<Vec<_>>()
                    .join(", "),
                values.join(", "),
                format!(
                    "the row repeats the key of line {} (`{described}`); a row given twice would \
                     be counted twice",
                    line_of(earlier)
                ),
            )
        }
        RowConstraint::OnePer { value: v, key } => {
            let keys: Vec<String> = key.iter().map(|&k| value(k, row)).collect();
            (
                name(*v),
                value(*v, row),
                format!(
                    "line {} gives {} `{}` for the same {} `{}` (`{described}`)",
                    line_of(earlier),
                    name(*v),
                    value(*v, earlier),
                    key.iter().map(|&k| name(k)).collect::<Vec<_>>().join(", "),
                    keys.join(", ")
                ),
            )
        }
        RowConstraint::Require { left, right, .. } => (
            name(*left),
            value(*left, row),
            format!(
                "the row breaks `{described}`: {} is `{}`",
                name(*right),
                value(*right, row)
            ),
        ),
    }
}

/// A value's bits for comparing equality: `None` for a missing value.
fn bits(column: &Column, row: u32) -> Option<u64> {
    let row = row as usize;
    match column {
        Column::Num(v) => {
            let x = v[row];
            // -0 and 0 are one value.
            (!x.is_nan()).then(|| if x == 0.0 { 0 } else { x.to_bits() })
        }
        Column::Date(v) => (v[row] != MISSING_DATE).then(|| v[row] as u32 as u64),
        Column::Bool(v) => (v[row] != MISSING_BOOL).then(|| u64::from(v[row])),
        Column::Sym(v) | Column::Person(v) | Column::Unit(v) => {
            (v[row] != MISSING_SYM).then(|| u64::from(v[row]))
        }
    }
}

/// The rows seen so far by their values in some columns: finds an earlier row with equal
/// values. Rows with a missing value in any column are never equal to another.
struct RowIndex<'a> {
    columns: &'a [&'a Column],
    /// The first row of each hash of the values.
    first: HashMap<u64, u32, BuildHasherDefault<FastHash>>,
    /// Rows with other values of an already taken hash (rare).
    others: HashMap<u64, Vec<u32>, BuildHasherDefault<FastHash>>,
}

impl<'a> RowIndex<'a> {
    fn new(columns: &'a [&'a Column]) -> RowIndex<'a> {
        RowIndex {
            columns,
            first: HashMap::default(),
            others: HashMap::default(),
        }
    }

    fn same(&self, a: u32, b: u32) -> bool {
        self.columns.iter().all(|c| bits(c, a) == bits(c, b))
    }

    /// The first earlier row with `row`'s values; `row` is remembered when there is none.
    fn earlier(&mut self, row: u32) -> Option<u32> {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for column in self.columns {
            let value = bits(column, row)?;
            hash = (hash ^ value)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .rotate_left(31);
        }
        match self.first.get(&hash) {
            None => {
                self.first.insert(hash, row);
                None
            }
            Some(&first) if self.same(first, row) => Some(first),
            Some(_) => {
                let others = self.others.entry(hash).or_default();
                let found = others
                    .iter()
                    .copied()
                    .find(|&r| self.columns.iter().all(|c| bits(c, r) == bits(c, row)));
                if found.is_none() {
                    others.push(row);
                }
                found
            }
        }
    }
}

/// Removes the rows marked `bad` from every column (and from the lines).
fn remove_rows(table: &mut Table, bad: &[bool]) {
    fn keep<T: Copy>(values: &mut Vec<T>, bad: &[bool]) {
        let mut to = 0;
        for from in 0..values.len() {
            if !bad[from] {
                values[to] = values[from];
                to += 1;
            }
        }
        values.truncate(to);
    }
    for column in table.columns.iter_mut().flatten() {
        match column {
            Column::Num(v) => keep(v, bad),
            Column::Date(v) => keep(v, bad),
            Column::Bool(v) => keep(v, bad),
            Column::Sym(v) | Column::Person(v) | Column::Unit(v) => keep(v, bad),
        }
    }
    keep(&mut table.lines, bad);
    table.rows -= bad.iter().filter(|&&b| b).count();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conflicts found through a table of every key, for comparison.
    fn by_table(key: &[&Column], value: Option<&Column>, rows: usize) -> Vec<(u32, u32)> {
        let mut index = RowIndex::new(key);
        (0..rows as u32)
            .filter(|&row| value.is_none_or(|v| bits(v, row).is_some()))
            .filter_map(|row| {
                let first = index.earlier(row)?;
                let differs = value.is_none_or(|v| bits(v, row) != bits(v, first));
                differs.then_some((row, first))
            })
            .collect()
    }

    #[test]
    fn groups_compared_within_themselves_find_what_a_table_of_every_key_finds() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for round in 0..300 {
            let rows = 1 + next(80) as usize;
            // Persons in groups (a few rows each, some large), sometimes one coming back.
            let mut persons = Vec::new();
            let mut person = 0u32;
            while persons.len() < rows {
                let size = if next(10) == 0 {
                    40
                } else {
                    1 + next(4) as usize
                };
                for _ in 0..size {
                    persons.push(if next(25) == 0 { MISSING_SYM } else { person });
                }
                person += 1 + next(2) as u32;
            }
            persons.truncate(rows);
            if round % 3 == 0 && rows > 2 {
                persons[rows - 1] = persons[0];
            }
            let dates: Vec<i32> = (0..rows)
                .map(|_| match next(12) {
                    0 => MISSING_DATE,
                    d => d as i32,
                })
                .collect();
            let births: Vec<i32> = (0..rows)
                .map(|_| match next(6) {
                    0 => MISSING_DATE,
                    1 => 2,
                    _ => 1,
                })
                .collect();
            let (person, date, birth) = (
                Column::Person(persons),
                Column::Date(dates),
                Column::Date(births),
            );
            let unique = [&person, &date];
            let one_per = [&person];
            let all = || 0..rows as u32;
            assert_eq!(
                same_key_conflicts(&unique, None, all()),
                by_table(&unique, None, rows),
                "round {round}"
            );
            assert_eq!(
                same_key_conflicts(&one_per, None, all()),
                by_table(&one_per, None, rows),
                "round {round}"
            );
            assert_eq!(
                same_key_conflicts(&one_per, Some(&birth), all()),
                by_table(&one_per, Some(&birth), rows),
                "round {round}"
            );
        }
    }
}
