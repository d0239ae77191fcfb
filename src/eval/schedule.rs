//! The order in which the run's threads take the shown indicators: the costliest first, so
//! that what is left at the end is short work that evens out the threads' finishing times.
//! Populations, cohorts and figures are shared by the threads (`super::shared`), so an
//! indicator needs no particular thread.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::load::Table;
use crate::plan::{IndicatorId, Plan, PopulationId, Step};
/// The plan's dependencies, step by step.
pub struct Needs(HashMap<Step, Vec<Step>>);

impl Needs {
    pub fn new(plan: &Plan) -> Needs {
        let mut needs: HashMap<Step, Vec<Step>> = HashMap::new();
        for &(from, to) in &plan.edges {
            needs.entry(from).or_default().push(to);
        }
        Needs(needs)
    }

    /// What a step needs, directly or through other definitions (hidden indicators,
    /// populations built on others, relations, other indicators' figures).
    fn of(&self, step: Step) -> HashSet<Step> {
        let mut seen = HashSet::new();
        let mut stack = vec![step];
        while let Some(s) = stack.pop() {
            if seen.insert(s) {
                stack.extend(self.0.get(&s).into_iter().flatten().copied());
            }
        }
        seen
    }

    /// The populations a step needs.
    pub fn populations(&self, step: Step) -> Vec<PopulationId> {
        let mut out: Vec<PopulationId> = self
            .of(step)
            .into_iter()
            .filter_map(|s| match s {
                Step::Population(p) => Some(p),
                _ => None,
            })
            .collect();
        out.sort_unstable();
        out
    }
}

/// A shown indicator to compute: its position in the plan's order, and the populations it
/// needs.
pub struct Work {
    pub position: usize,
    pub indicator: IndicatorId,
    pub populations: Vec<PopulationId>,
}

/// The shown indicators, costliest first (ties in the plan's order). An indicator's cost is
/// taken as the rows of the extracts it reads, once for each period it is computed for: a
/// guide to its work, not a measure of it.
pub fn costliest_first(plan: &Plan, tables: &[Table]) -> Vec<Work> {
    let needs = Needs::new(plan);
    let mut work: Vec<(f64, Work)> = plan
        .order
        .iter()
        .enumerate()
        .filter_map(|(position, step)| match *step {
            Step::Indicator(id) if !plan.indicators[id].hidden => Some((position, id)),
            _ => None,
        })
        .map(|(position, indicator)| {
            let steps = needs.of(Step::Indicator(indicator));
            let rows: usize = steps
                .iter()
                .filter_map(|s| match s {
                    Step::Source(k) => Some(tables[*k].rows),
                    _ => None,
                })
                .sum();
            let periods: BTreeSet<_> = plan.indicators[indicator]
                .levels
                .iter()
                .flat_map(|l| std::iter::once(l.period).chain(l.compare))
                .collect();
            let cost = rows as f64 * periods.len() as f64;
            let populations = needs.populations(Step::Indicator(indicator));
            (
                cost,
                Work {
                    position,
                    indicator,
                    populations,
                },
            )
        })
        .collect();
    work.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.position.cmp(&b.1.position)));
    work.into_iter().map(|(_, w)| w).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace;

    fn shipped_plan() -> Plan {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let checked = workspace::check_paths(&[root.join("rules")]).expect("rules");
        assert_eq!(checked.error_count(), 0);
        checked.plan().expect("plan")
    }

    /// Tables of `rows` rows for every source, all columns unused.
    fn tables(plan: &Plan, rows: impl Fn(usize) -> usize) -> Vec<Table> {
        (0..plan.sources.len())
            .map(|k| Table {
                rows: rows(k),
                unread: 0,
                columns: vec![None; plan.sources[k].columns.len()],
                file: plan.sources[k].file.clone(),
                lines: Vec::new(),
                sha256: None,
            })
            .collect()
    }

    #[test]
    fn every_shown_indicator_comes_once() {
        let plan = shipped_plan();
        let work = costliest_first(&plan, &tables(&plan, |k| 1000 * (k % 7 + 1)));
        let shown = plan.indicators.iter().filter(|i| !i.hidden).count();
        let mut seen: Vec<IndicatorId> = work.iter().map(|w| w.indicator).collect();
        assert_eq!(seen.len(), shown);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), shown, "an indicator twice");
        for w in &work {
            assert_eq!(plan.order[w.position], Step::Indicator(w.indicator));
        }
    }

    #[test]
    fn indicators_over_the_largest_extract_come_first() {
        let plan = shipped_plan();
        let big = plan
            .sources
            .iter()
            .position(|s| s.name == "cpr_residents")
            .expect("cpr");
        let work = costliest_first(
            &plan,
            &tables(&plan, |k| if k == big { 1_000_000 } else { 10 }),
        );
        let needs = Needs::new(&plan);
        let reads_big: Vec<bool> = work
            .iter()
            .map(|w| {
                needs
                    .of(Step::Indicator(w.indicator))
                    .contains(&Step::Source(big))
            })
            .collect();
        let first_other = reads_big.iter().position(|r| !r).expect("some do not");
        assert!(first_other > 0, "some read the large extract");
        assert!(
            reads_big[first_other..].iter().all(|r| !r),
            "an indicator over the large extract after one that is not"
        );
    }
}
