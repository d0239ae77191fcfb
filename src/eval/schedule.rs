//! Splits the shown indicators over the run's threads. Each thread has an engine of its own
//! (its own cached populations) over the same loaded extracts, so indicators that share a
//! costly population go to the same thread, where it is built once; the groups are then
//! balanced by the cost of the populations they build (the rows their root extracts hold).

use std::collections::{BTreeSet, HashMap, HashSet};

use super::load::Table;
use crate::plan::{IndicatorId, Plan, PopulationId, Step};

/// A population shared by indicators keeps them together when building it costs at least
/// this share of all populations' cost; cheaper ones are built by each thread that needs them.
const SHARED_COST: f64 = 0.04;

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

/// The shown indicators, as (position in the plan's order, indicator), in at most `threads`
/// groups, each in the plan's order.
pub fn groups(plan: &Plan, tables: &[Table], threads: usize) -> Vec<Vec<(usize, IndicatorId)>> {
    let shown: Vec<(usize, IndicatorId)> = plan
        .order
        .iter()
        .enumerate()
        .filter_map(|(position, step)| match *step {
            Step::Indicator(id) if !plan.indicators[id].hidden => Some((position, id)),
            _ => None,
        })
        .collect();
    if threads < 2 || shown.len() < 2 {
        return vec![shown];
    }
    let cost = |p: PopulationId| tables[plan.populations[p].root].rows.max(1) as f64;
    let dependencies = Needs::new(plan);
    let needs: Vec<HashSet<Step>> = shown
        .iter()
        .map(|&(_, id)| dependencies.of(Step::Indicator(id)))
        .collect();
    let total: f64 = (0..plan.populations.len()).map(cost).sum();

    // Indicators that share a costly population, or need another's figures, stay together.
    let mut parent: Vec<usize> = (0..shown.len()).collect();
    fn root(parent: &mut [usize], mut k: usize) -> usize {
        while parent[k] != k {
            parent[k] = parent[parent[k]];
            k = parent[k];
        }
        k
    }
    let mut holder: HashMap<Step, usize> = HashMap::new();
    for (k, steps) in needs.iter().enumerate() {
        for &step in steps {
            let binding = match step {
                Step::Population(p) => cost(p) >= SHARED_COST * total,
                Step::Indicator(_) => true,
                _ => false,
            };
            if !binding {
                continue;
            }
            match holder.get(&step) {
                Some(&other) => {
                    let (a, b) = (root(&mut parent, k), root(&mut parent, other));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    holder.insert(step, k);
                }
            }
        }
    }
    let mut components: Vec<(Vec<usize>, f64)> = Vec::new();
    let mut component_of: HashMap<usize, usize> = HashMap::new();
    for k in 0..shown.len() {
        let r = root(&mut parent, k);
        let c = *component_of.entry(r).or_insert_with(|| {
            components.push((Vec::new(), 0.0));
            components.len() - 1
        });
        components[c].0.push(k);
    }
    for (members, weight) in &mut components {
        let populations: BTreeSet<PopulationId> = members
            .iter()
            .flat_map(|&k| needs[k].iter())
            .filter_map(|s| match s {
                Step::Population(p) => Some(*p),
                _ => None,
            })
            .collect();
        *weight = populations.iter().map(|&p| cost(p)).sum();
    }
    // Largest first, each to the lightest group (ties by order, so the split is fixed).
    components.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0[0].cmp(&b.0[0])));
    let mut bins: Vec<(f64, Vec<usize>)> = vec![(0.0, Vec::new()); threads];
    for (members, weight) in components {
        let lightest = (0..threads)
            .min_by(|&a, &b| bins[a].0.total_cmp(&bins[b].0).then(a.cmp(&b)))
            .expect("at least one group");
        bins[lightest].0 += weight;
        bins[lightest].1.extend(members);
    }
    bins.into_iter()
        .filter(|(_, members)| !members.is_empty())
        .map(|(_, mut members)| {
            members.sort_unstable();
            members.into_iter().map(|k| shown[k]).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace;

    fn shipped_plan() -> Plan {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let checked = workspace::check_paths(&[root.join("rules")]).expect("rules");
        assert_eq!(checked.error_count(), 0);
        crate::plan::plan(&checked.files).expect("plan")
    }

    /// Tables of `rows` rows for every source, all columns unused.
    fn tables(plan: &Plan, rows: impl Fn(usize) -> usize) -> Vec<Table> {
        (0..plan.sources.len())
            .map(|k| Table {
                rows: rows(k),
                columns: vec![None; plan.sources[k].columns.len()],
                file: plan.sources[k].file.clone(),
            })
            .collect()
    }

    #[test]
    fn every_shown_indicator_is_in_exactly_one_group_in_plan_order() {
        let plan = shipped_plan();
        let sizes = tables(&plan, |k| 1000 * (k % 7 + 1));
        let shown = plan.indicators.iter().filter(|i| !i.hidden).count();
        for threads in [1, 2, 3] {
            let groups = groups(&plan, &sizes, threads);
            assert!(!groups.is_empty() && groups.len() <= threads);
            let mut seen: Vec<IndicatorId> = groups.iter().flatten().map(|&(_, id)| id).collect();
            assert_eq!(seen.len(), shown);
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), shown, "an indicator in two groups");
            for group in &groups {
                assert!(
                    group.windows(2).all(|w| w[0].0 < w[1].0),
                    "not in plan order"
                );
                for &(position, id) in group {
                    assert_eq!(plan.order[position], Step::Indicator(id));
                }
            }
        }
    }

    #[test]
    fn indicators_sharing_a_costly_population_stay_together() {
        let plan = shipped_plan();
        // One extract far larger than the rest: the populations drawn from it are costly.
        let big = plan
            .sources
            .iter()
            .position(|s| s.name == "cpr_residents")
            .expect("cpr");
        let sizes = tables(&plan, |k| if k == big { 1_000_000 } else { 1000 });
        let groups = groups(&plan, &sizes, 2);
        assert_eq!(groups.len(), 2, "the work is split");
        let group_of =
            |id: IndicatorId| groups.iter().position(|g| g.iter().any(|&(_, i)| i == id));
        let needs = Needs::new(&plan);
        let mut holder: HashMap<PopulationId, usize> = HashMap::new();
        for group in &groups {
            for &(_, id) in group {
                for p in needs.populations(Step::Indicator(id)) {
                    if plan.populations[p].root != big {
                        continue;
                    }
                    let g = group_of(id).expect("grouped");
                    assert_eq!(
                        *holder.entry(p).or_insert(g),
                        g,
                        "{} split",
                        plan.populations[p].name
                    );
                }
            }
        }
    }
}
