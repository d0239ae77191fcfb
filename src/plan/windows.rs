//! Which rows of each extract can matter to a run. A source whose every use keeps only rows
//! with one of its date columns in a window around the period needs no row dated outside every
//! such window of the run: the loader leaves such rows unread (see `eval::load`), which at
//! national scale spares most of a register that goes back further than the report.
//!
//! The proof is deliberately narrow. A use bounds the rows only by a top-level conjunct of its
//! own filter, not negated, on a date column of the source's rows: `column in period`, or, in
//! a relation, `x.column within N days after/before column` of an outer row that is itself
//! kept `in period`. A row is needed when any use's bound may keep it; any other use of the
//! source (a standard population, a filter without such a conjunct, a reported-figures
//! source) leaves the source read whole.

use std::collections::BTreeMap;

use super::ir::{Aggregate, BinOp, ColumnType, Expr, Field, Plan, Related, RowSet, RowWindow};

/// A use's bound on a date column: the rows kept lie from `before` days before a period's
/// first day to `after` days after its last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bound {
    column: usize,
    before: i32,
    after: i32,
}

impl Bound {
    /// The bound of `column in period`.
    fn in_period(column: usize) -> Bound {
        Bound {
            column,
            before: 0,
            after: 0,
        }
    }
}

/// What the uses of a source found so far say about its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Uses {
    /// Every use so far is bounded: by column, the widest bound.
    Bounded(BTreeMap<usize, (i32, i32)>),
    /// Some use may keep any row.
    Any,
}

impl Uses {
    fn add(&mut self, bound: Option<Bound>) {
        match (&mut *self, bound) {
            (Uses::Bounded(columns), Some(b)) => {
                let widest = columns.entry(b.column).or_insert((b.before, b.after));
                *widest = (widest.0.max(b.before), widest.1.max(b.after));
            }
            _ => *self = Uses::Any,
        }
    }
}

/// A relation with the date columns of the outer row that are kept `in period`.
struct InContext<'p> {
    related: &'p Related,
    outer_in_period: Vec<usize>,
}

/// Each source's windows of needed rows (a row is needed when any of them holds it); empty
/// when any row may matter.
pub fn row_windows(plan: &Plan) -> Vec<Vec<RowWindow>> {
    let periods = plan
        .indicators
        .iter()
        .flat_map(|i| &i.levels)
        .flat_map(|l| std::iter::once(l.period).chain(l.compare));
    let span = periods.fold(None, |span: Option<(i32, i32)>, p| match span {
        None => Some((p.first_day, p.last_day)),
        Some((a, b)) => Some((a.min(p.first_day), b.max(p.last_day))),
    });
    let Some((first_day, last_day)) = span else {
        return vec![Vec::new(); plan.sources.len()];
    };
    let is_date = |s: usize, k: usize| plan.sources[s].columns[k].1 == ColumnType::Date;
    let mut uses = vec![Uses::Bounded(BTreeMap::new()); plan.sources.len()];
    // The date columns of `root`'s rows that conditions on them keep `in period`.
    let in_period = |root: usize, conditions: &[&Expr]| -> Vec<usize> {
        conditions
            .iter()
            .flat_map(|c| conjuncts(c))
            .filter_map(|c| match c {
                Expr::InPeriod {
                    value,
                    negated: false,
                } => match value.as_ref() {
                    Expr::Field(Field::Column(k)) => Some(*k),
                    _ => None,
                },
                _ => None,
            })
            .filter(|&k| is_date(root, k))
            .collect()
    };
    // A use straight over a source's rows: bounded by the first such column.
    let direct = |source: usize, conditions: &[&Expr]| {
        in_period(source, conditions)
            .first()
            .map(|&column| Bound::in_period(column))
    };
    let mut population_in_period: Vec<Vec<usize>> = vec![Vec::new(); plan.populations.len()];
    for (id, population) in plan.populations.iter().enumerate() {
        let filters: Vec<&Expr> = population.filters.iter().collect();
        let mut columns = in_period(population.root, &filters);
        if let Some(base) = population.base {
            // A base defined later is not known yet: its columns are left out, which only
            // bounds fewer relations.
            columns.extend(&population_in_period[base]);
        }
        population_in_period[id] = columns;
    }
    let rows_in_period = |rows: RowSet, filters: &[&Expr]| -> Vec<usize> {
        let root = match rows {
            RowSet::Source(s) => s,
            RowSet::Population(p) => plan.populations[p].root,
        };
        let mut columns = in_period(root, filters);
        if let RowSet::Population(p) = rows {
            columns.extend(&population_in_period[p]);
        }
        columns
    };
    let mut relations: Vec<InContext> = Vec::new();
    for (id, population) in plan.populations.iter().enumerate() {
        if population.base.is_none() {
            let filters: Vec<&Expr> = population.filters.iter().collect();
            uses[population.root].add(direct(population.root, &filters));
        }
        let outer = &population_in_period[id];
        for e in population
            .lets
            .iter()
            .map(|(_, e)| e)
            .chain(&population.filters)
        {
            found(e, outer, &mut relations);
        }
    }
    for cohort in &plan.cohorts {
        let filters: Vec<&Expr> = cohort.filters.iter().collect();
        if let RowSet::Source(s) = cohort.rows {
            uses[s].add(direct(s, &filters));
        }
        let outer = rows_in_period(cohort.rows, &filters);
        for e in cohort.lets.iter().chain(&cohort.filters) {
            found(e, &outer, &mut relations);
        }
    }
    for standard in &plan.standards {
        uses[standard.source].add(None);
        for e in standard.filters.iter().chain([&standard.weight]) {
            found(e, &[], &mut relations);
        }
    }
    for indicator in &plan.indicators {
        let aggregations = [&indicator.numerator, &indicator.denominator]
            .into_iter()
            .flatten()
            .chain(indicator.value_over.iter().map(|(_, a)| a))
            .chain(indicator.tallies.iter().map(|t| &t.aggregation));
        for aggregation in aggregations {
            let filters: Vec<&Expr> = aggregation.filter.iter().collect();
            if let RowSet::Source(s) = aggregation.rows {
                uses[s].add(direct(s, &filters));
            }
            let outer = rows_in_period(aggregation.rows, &filters);
            let summed = match &aggregation.function {
                Aggregate::Sum(e) => Some(e),
                Aggregate::Count { .. } => None,
            };
            let exprs = [&aggregation.filter, &aggregation.weight, &aggregation.ages]
                .into_iter()
                .flatten()
                .chain(summed);
            for e in exprs {
                found(e, &outer, &mut relations);
            }
        }
        let others = indicator.value_over.iter().map(|(e, _)| e);
        let by = indicator.tallies.iter().filter_map(|t| t.by.as_ref());
        let strata = indicator
            .levels
            .iter()
            .filter_map(|l| l.standardisation.as_ref())
            .flat_map(|s| s.numerator_strata.iter().chain(&s.denominator_strata));
        for e in others.chain(by.map(|(_, e)| e)).chain(strata) {
            found(e, &[], &mut relations);
        }
    }
    for InContext {
        related,
        outer_in_period,
    } in relations
    {
        let RowSet::Source(s) = related.rows else {
            continue;
        };
        let bound = related
            .filter
            .iter()
            .flat_map(conjuncts)
            .find_map(|c| related_bound(c, &outer_in_period))
            .filter(|b| is_date(s, b.column));
        uses[s].add(bound);
    }
    plan.sources
        .iter()
        .zip(uses)
        .map(|(source, uses)| match uses {
            Uses::Bounded(columns) if !source.aggregate && !columns.is_empty() => columns
                .into_iter()
                .map(|(column, (before, after))| RowWindow {
                    column,
                    first_day: first_day - before,
                    last_day: last_day + after,
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// Adds the relations in `e` (nested ones too), whose outer row has `outer` kept `in period`.
fn found<'p>(e: &'p Expr, outer: &[usize], relations: &mut Vec<InContext<'p>>) {
    let mut inner = Vec::new();
    each_relation(e, &mut inner);
    relations.extend(inner.into_iter().map(|related| InContext {
        related,
        outer_in_period: outer.to_vec(),
    }));
}

/// The bound a condition of a relation's filter puts on the relation's own rows, given the
/// outer row's columns kept `in period`.
fn related_bound(condition: &Expr, outer_in_period: &[usize]) -> Option<Bound> {
    let own = |e: &Expr| match e {
        Expr::Bound {
            depth: 0,
            field: Field::Column(k),
        } => Some(*k),
        _ => None,
    };
    match condition {
        Expr::InPeriod {
            value,
            negated: false,
        } => own(value).map(Bound::in_period),
        Expr::Within {
            value,
            anchor,
            days,
            after,
        } => {
            let column = own(value)?;
            let Expr::Field(Field::Column(anchor)) = anchor.as_ref() else {
                return None;
            };
            if !outer_in_period.contains(anchor) || !(0.0..=36_500.0).contains(days) {
                return None;
            }
            let days = days.ceil() as i32;
            Some(if *after {
                Bound {
                    column,
                    before: 0,
                    after: days,
                }
            } else {
                Bound {
                    column,
                    before: days,
                    after: 0,
                }
            })
        }
        _ => None,
    }
}

/// The parts of a condition joined by `and`.
fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Binary(BinOp::And, a, b) => {
            let mut parts = conjuncts(a);
            parts.extend(conjuncts(b));
            parts
        }
        _ => vec![e],
    }
}

/// Every relation in `e`, nested ones included.
fn each_relation<'p>(e: &'p Expr, found: &mut Vec<&'p Related>) {
    match e {
        Expr::Missing
        | Expr::Bool(_)
        | Expr::Number(_)
        | Expr::Date(_)
        | Expr::Text(_)
        | Expr::Duration { .. }
        | Expr::Field(_)
        | Expr::Bound { .. }
        | Expr::PeriodStart
        | Expr::PeriodEnd => {}
        Expr::Not(x) | Expr::Neg(x) => each_relation(x, found),
        Expr::Binary(_, a, b) => {
            each_relation(a, found);
            each_relation(b, found);
        }
        Expr::InList { value, items, .. } => {
            each_relation(value, found);
            items.iter().for_each(|x| each_relation(x, found));
        }
        Expr::InCodes { value, .. }
        | Expr::InCohort { value, .. }
        | Expr::InPeriod { value, .. }
        | Expr::IsMissing { value, .. }
        | Expr::Band { value, .. } => each_relation(value, found),
        Expr::Within { value, anchor, .. } => {
            each_relation(value, found);
            each_relation(anchor, found);
        }
        Expr::Call(_, args) => args.iter().for_each(|x| each_relation(x, found)),
        Expr::Related(r) => {
            found.push(r);
            let parts = r.projection.iter().chain(&r.filter);
            parts.for_each(|x| each_relation(x, found));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::source_db::SourceDb;
    use crate::workspace;

    const SOURCE: &str = r#"
goal g { title "Goal" }

source visits {
  file "visits.csv"
  columns {
    person: person
    day: date
    ended: date
    flag: bool
    municipality: municipality
  }
}

indicator counted {
  title "Counted"
  goal g
  unit "antal"
  improvement lower
  levels national
  period 2023 compare 2021
  measure count
  numerator count of kept
}
"#;

    /// The windows of `visits` (column, first day, last day) when population `kept` is
    /// `population`.
    fn windows_of(population: &str) -> Vec<(String, i32, i32)> {
        let mut db = SourceDb::new();
        db.add(
            "rules.ind",
            format!("{SOURCE}\npopulation kept {{\n{population}\n}}\n"),
        );
        let checked = workspace::check_sources(db);
        assert_eq!(checked.error_count(), 0, "{population}");
        let plan = checked.plan().expect("a plan");
        let source = &plan.sources[0];
        source
            .windows
            .iter()
            .map(|w| (source.columns[w.column].0.clone(), w.first_day, w.last_day))
            .collect()
    }

    #[test]
    fn a_conjunct_in_period_bounds_the_rows_over_every_period_of_the_run() {
        let (first, last) = (
            crate::plan::days_from_civil(2021, 1, 1),
            crate::plan::days_from_civil(2023, 12, 31),
        );
        let day = vec![("day".to_string(), first, last)];
        assert_eq!(windows_of("from visits\nwhere day in period"), day);
        assert_eq!(
            windows_of("from visits\nwhere flag and (day in period and ended >= day)"),
            day
        );
        assert_eq!(
            windows_of("from visits\nwhere flag\nwhere day in period"),
            day
        );
        // A relation bounded by its own `in period`, on another column: either may keep a row.
        assert_eq!(
            windows_of(
                "from visits\nwhere day in period\nlet again = exists(x in visits of same person where x.ended in period)"
            ),
            vec![
                ("day".to_string(), first, last),
                ("ended".to_string(), first, last)
            ]
        );
        // Within 30 days after (14 before) the outer row's day, itself in the period.
        assert_eq!(
            windows_of(
                "from visits\nwhere day in period\nlet again = exists(x in visits of same person where x.flag and x.ended within 30 days after day)"
            ),
            vec![
                ("day".to_string(), first, last),
                ("ended".to_string(), first, last + 30)
            ]
        );
        assert_eq!(
            windows_of(
                "from visits\nwhere day in period\nlet again = exists(x in visits of same person where x.day within 14 days before day)"
            ),
            vec![("day".to_string(), first - 14, last)]
        );
    }

    #[test]
    fn any_other_condition_leaves_every_row_needed() {
        for population in [
            "from visits\nwhere flag",
            "from visits\nwhere not (day in period)",
            "from visits\nwhere day not in period",
            "from visits\nwhere day in period or flag",
            "from visits\nwhere day < period.start",
            "from visits\nwhere day in period\nlet again = exists(x in visits of same person where x.flag)",
            // The anchor `ended` is not kept in the period.
            "from visits\nwhere day in period\nlet again = exists(x in visits of same person where x.day within 30 days after ended)",
            "from visits\nwhere flag\nlet again = exists(x in visits of same person where x.day within 30 days after day)",
        ] {
            assert_eq!(windows_of(population), Vec::new(), "{population}");
        }
    }
}
