//! Numbers the plan's aggregations and relations ([`AggregationId`], [`RelationId`]), the
//! last pass of [`super::plan`]. The evaluator keys its caches by these numbers.
//!
//! Equal definitions get the same number: two aggregations (or relations) equal in every part
//! but their number compute the same cells (or per-person totals), so the evaluator computes
//! them once. Numbers are given in the order the definitions are first met (populations and
//! cohorts, standards, then indicators, each in plan order), so they do not change from run
//! to run.

use super::ir::{
    Aggregate, Aggregation, AggregationId, Expr, IndicatorPlan, Plan, Related, RelationId,
};

/// Gives every aggregation and relation of the plan its number.
pub fn number(plan: &mut Plan) {
    // Relations first, innermost first: an aggregation's filter may hold relations, and two
    // aggregations are equal only once their relations carry their final numbers.
    let mut relations: Vec<Related> = Vec::new();
    each_expr(plan, &mut |e| number_relations(e, &mut relations));
    let mut aggregations: Vec<Aggregation> = Vec::new();
    for ind in &mut plan.indicators {
        for a in aggregations_of(ind) {
            let mut probe = a.clone();
            probe.id = AggregationId::UNNUMBERED;
            a.id = AggregationId(intern(&mut aggregations, probe));
        }
    }
}

/// The position of `item` among `seen` (equal items share one), added if new.
fn intern<T: PartialEq>(seen: &mut Vec<T>, item: T) -> u32 {
    let at = match seen.iter().position(|s| *s == item) {
        Some(at) => at,
        None => {
            seen.push(item);
            seen.len() - 1
        }
    };
    u32::try_from(at).expect("fewer than 2^32 definitions")
}

fn number_relations(e: &mut Expr, seen: &mut Vec<Related>) {
    children(e, &mut |child| number_relations(child, seen));
    if let Expr::Related(r) = e {
        let mut probe = (**r).clone();
        probe.id = RelationId::UNNUMBERED;
        r.id = RelationId(intern(seen, probe));
    }
}

/// Calls `f` with each direct sub-expression of `e`, a relation's filter and projection
/// included.
fn children(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
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
        Expr::Not(x) | Expr::Neg(x) => f(x),
        Expr::Binary(_, a, b) => {
            f(a);
            f(b);
        }
        Expr::InList { value, items, .. } => {
            f(value);
            items.iter_mut().for_each(f);
        }
        Expr::InCodes { value, .. }
        | Expr::InCohort { value, .. }
        | Expr::InPeriod { value, .. }
        | Expr::IsMissing { value, .. }
        | Expr::Band { value, .. } => f(value),
        Expr::Within { value, anchor, .. } => {
            f(value);
            f(anchor);
        }
        Expr::Related(r) => {
            if let Some(p) = &mut r.projection {
                f(p);
            }
            if let Some(x) = &mut r.filter {
                f(x);
            }
        }
        Expr::Call(_, args) => args.iter_mut().for_each(f),
    }
}

/// The aggregations an indicator holds: numerator, denominator, the one `value … of` reads,
/// and its tallies'.
fn aggregations_of(ind: &mut IndicatorPlan) -> impl Iterator<Item = &mut Aggregation> {
    ind.numerator
        .iter_mut()
        .chain(ind.denominator.iter_mut())
        .chain(ind.value_over.iter_mut().map(|(_, a)| a))
        .chain(ind.tallies.iter_mut().map(|t| &mut t.aggregation))
}

/// Calls `f` with every top-level expression of the plan, in a fixed order.
fn each_expr(plan: &mut Plan, f: &mut dyn FnMut(&mut Expr)) {
    for population in &mut plan.populations {
        population.lets.iter_mut().for_each(|(_, e)| f(e));
        population.filters.iter_mut().for_each(&mut *f);
    }
    for cohort in &mut plan.cohorts {
        cohort.lets.iter_mut().for_each(&mut *f);
        cohort.filters.iter_mut().for_each(&mut *f);
    }
    for standard in &mut plan.standards {
        standard.filters.iter_mut().for_each(&mut *f);
        f(&mut standard.weight);
    }
    for ind in &mut plan.indicators {
        if let Some((value, _)) = &mut ind.value_over {
            f(value);
        }
        for t in &mut ind.tallies {
            if let Some((_, by)) = &mut t.by {
                f(by);
            }
        }
        for level in &mut ind.levels {
            if let Some(s) = &mut level.standardisation {
                s.numerator_strata.iter_mut().for_each(&mut *f);
                s.denominator_strata.iter_mut().for_each(&mut *f);
            }
        }
        for a in aggregations_of(ind) {
            if let Aggregate::Sum(e) = &mut a.function {
                f(e);
            }
            for e in [&mut a.filter, &mut a.weight, &mut a.ages]
                .into_iter()
                .flatten()
            {
                f(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{BinOp, Field, IndicatorPlan, RelatedFn, RowSet};

    fn related(filter: Option<Expr>) -> Expr {
        Expr::Related(Box::new(Related {
            id: RelationId::UNNUMBERED,
            function: RelatedFn::Exists,
            projection: None,
            rows: RowSet::Source(1),
            same_person: true,
            filter,
        }))
    }

    fn count(filter: Option<Expr>) -> Aggregation {
        Aggregation {
            id: AggregationId::UNNUMBERED,
            function: Aggregate::Count { persons: false },
            rows: RowSet::Source(0),
            filter,
            weight: None,
            ages: None,
        }
    }

    fn indicator(numerator: Aggregation, denominator: Aggregation) -> IndicatorPlan {
        IndicatorPlan {
            name: String::new(),
            number: None,
            title: String::new(),
            goal: None,
            unit: String::new(),
            decimals: 0,
            direction: crate::plan::Direction::ALL[0],
            hidden: false,
            publish_counts: false,
            kind: crate::plan::MeasureKind::Proportion,
            numerator: Some(numerator),
            denominator: Some(denominator),
            value_over: None,
            formula: None,
            tallies: Vec::new(),
            levels: Vec::new(),
            data_source: None,
        }
    }

    #[test]
    fn equal_definitions_share_a_number_and_different_ones_do_not() {
        let column = |c| Box::new(Expr::Field(Field::Column(c)));
        let narrow = Expr::Binary(BinOp::Gt, column(2), Box::new(Expr::Number(3.0)));
        let wide = Expr::Binary(BinOp::Gt, column(2), Box::new(Expr::Number(1.0)));
        let mut plan = Plan {
            indicators: vec![
                indicator(count(Some(related(Some(narrow.clone())))), count(None)),
                indicator(count(Some(related(Some(wide)))), count(None)),
                indicator(count(Some(related(Some(narrow)))), count(None)),
            ],
            ..Plan::default()
        };
        number(&mut plan);
        let ids: Vec<(u32, u32)> = plan
            .indicators
            .iter()
            .map(|i| {
                let (n, d) = (
                    i.numerator.as_ref().unwrap(),
                    i.denominator.as_ref().unwrap(),
                );
                (n.id.0, d.id.0)
            })
            .collect();
        // The residents' count is one aggregation for all three; the first and the last
        // numerators are equal, the second differs.
        assert_eq!(ids, vec![(0, 1), (2, 1), (0, 1)]);
        let relation = |i: usize| match &plan.indicators[i].numerator.as_ref().unwrap().filter {
            Some(Expr::Related(r)) => r.id,
            _ => unreachable!("the numerator's filter is a relation"),
        };
        assert_eq!(relation(0), RelationId(0));
        assert_eq!(relation(1), RelationId(1));
        assert_eq!(relation(2), RelationId(0));
    }
}
