//! Which rows of each extract can matter to a run. A source whose every use keeps only rows
//! with one of its date columns `in period` needs no row dated outside every period the run
//! evaluates: the loader leaves such rows unread (see `eval::load`), which at national scale
//! spares most of a register that goes back further than the report.
//!
//! The proof is deliberately narrow: a use counts as restricted only when the condition is a
//! top-level conjunct of the use's own filter, not negated, on a date column of the source's
//! rows. Any other use of the source (a standard population, a filter without such a conjunct,
//! a reported-figures source) leaves the source read whole.

use super::ir::{Aggregate, BinOp, ColumnType, Expr, Field, Plan, Related, RowSet, RowWindow};

/// What the uses of a source found so far say about its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Uses {
    None,
    /// Every use so far keeps only rows with this date column in the period.
    InPeriod(usize),
    /// Some use may keep any row.
    Any,
}

impl Uses {
    fn add(self, column: Option<usize>) -> Uses {
        match (self, column) {
            (Uses::None, Some(c)) => Uses::InPeriod(c),
            (Uses::InPeriod(a), Some(c)) if a == c => Uses::InPeriod(a),
            _ => Uses::Any,
        }
    }
}

/// Each source's window of needed rows, `None` when any row may matter.
pub fn row_windows(plan: &Plan) -> Vec<Option<RowWindow>> {
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
        return vec![None; plan.sources.len()];
    };
    let mut uses = vec![Uses::None; plan.sources.len()];
    let mut note = |rows: RowSet, conditions: &[&Expr], row: &dyn Fn(&Expr) -> Option<usize>| {
        if let RowSet::Source(s) = rows {
            let column = conditions
                .iter()
                .flat_map(|c| conjuncts(c))
                .find_map(|c| match c {
                    Expr::InPeriod {
                        value,
                        negated: false,
                    } => row(value).filter(|&k| plan.sources[s].columns[k].1 == ColumnType::Date),
                    _ => None,
                });
            uses[s] = uses[s].add(column);
        }
    };
    let own_column = |e: &Expr| match e {
        Expr::Field(Field::Column(k)) => Some(*k),
        _ => None,
    };
    // Within a relation's filter its own row is the innermost bound one.
    let related_column = |e: &Expr| match e {
        Expr::Bound {
            depth: 0,
            field: Field::Column(k),
        } => Some(*k),
        _ => None,
    };
    let mut relations = Vec::new();
    for population in &plan.populations {
        if population.base.is_none() {
            let filters: Vec<&Expr> = population.filters.iter().collect();
            note(RowSet::Source(population.root), &filters, &own_column);
        }
        let exprs = population.lets.iter().map(|(_, e)| e);
        exprs
            .chain(&population.filters)
            .for_each(|e| each_relation(e, &mut relations));
    }
    for cohort in &plan.cohorts {
        let filters: Vec<&Expr> = cohort.filters.iter().collect();
        note(cohort.rows, &filters, &own_column);
        cohort
            .lets
            .iter()
            .chain(&cohort.filters)
            .for_each(|e| each_relation(e, &mut relations));
    }
    for standard in &plan.standards {
        note(RowSet::Source(standard.source), &[], &own_column);
        standard
            .filters
            .iter()
            .chain([&standard.weight])
            .for_each(|e| each_relation(e, &mut relations));
    }
    for indicator in &plan.indicators {
        let aggregations = [&indicator.numerator, &indicator.denominator]
            .into_iter()
            .flatten()
            .chain(indicator.value_over.iter().map(|(_, a)| a))
            .chain(indicator.tallies.iter().map(|t| &t.aggregation));
        for aggregation in aggregations {
            let filters: Vec<&Expr> = aggregation.filter.iter().collect();
            note(aggregation.rows, &filters, &own_column);
            let summed = match &aggregation.function {
                Aggregate::Sum(e) => Some(e),
                Aggregate::Count { .. } => None,
            };
            [&aggregation.filter, &aggregation.weight, &aggregation.ages]
                .into_iter()
                .flatten()
                .chain(summed)
                .for_each(|e| each_relation(e, &mut relations));
        }
        let others = indicator.value_over.iter().map(|(e, _)| e);
        let by = indicator.tallies.iter().filter_map(|t| t.by.as_ref());
        let strata = indicator
            .levels
            .iter()
            .filter_map(|l| l.standardisation.as_ref())
            .flat_map(|s| s.numerator_strata.iter().chain(&s.denominator_strata));
        others
            .chain(by.map(|(_, e)| e))
            .chain(strata)
            .for_each(|e| each_relation(e, &mut relations));
    }
    for related in relations {
        let filters: Vec<&Expr> = related.filter.iter().collect();
        note(related.rows, &filters, &related_column);
    }
    plan.sources
        .iter()
        .zip(uses)
        .map(|(source, uses)| match uses {
            Uses::InPeriod(column) if !source.aggregate => Some(RowWindow {
                column,
                first_day,
                last_day,
            }),
            _ => None,
        })
        .collect()
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

    /// The window of `visits` when population `kept` is `population`.
    fn window_of(population: &str) -> Option<(String, i32, i32)> {
        let mut db = SourceDb::new();
        db.add(
            "rules.ind",
            format!("{SOURCE}\npopulation kept {{\n{population}\n}}\n"),
        );
        let checked = workspace::check_sources(db);
        assert_eq!(checked.error_count(), 0, "{population}");
        let plan = crate::plan::plan(&checked.files).expect("a plan");
        let source = &plan.sources[0];
        source
            .window
            .map(|w| (source.columns[w.column].0.clone(), w.first_day, w.last_day))
    }

    #[test]
    fn a_conjunct_in_period_bounds_the_rows_over_every_period_of_the_run() {
        let (first, last) = (
            crate::plan::days_from_civil(2021, 1, 1),
            crate::plan::days_from_civil(2023, 12, 31),
        );
        let bounded = Some(("day".to_string(), first, last));
        assert_eq!(window_of("from visits\nwhere day in period"), bounded);
        assert_eq!(
            window_of("from visits\nwhere flag and (day in period and ended >= day)"),
            bounded
        );
        assert_eq!(
            window_of("from visits\nwhere flag\nwhere day in period"),
            bounded
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
            "from visits\nwhere day in period\nlet again = exists(x in visits of same person where x.ended in period)",
        ] {
            assert_eq!(window_of(population), None, "{population}");
        }
    }
}
