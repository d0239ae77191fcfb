//! Stage 3: the planner. Lowers a checked rule set into a [`Plan`]: every name resolved to an
//! index, every expression compiled, the columns each source must provide, and a deterministic
//! order of work (dependencies first) from a petgraph dependency graph.
//!
//! The planner runs only on rule sets that passed the checker, so a failure here is a bug in
//! indikator, reported as an internal error rather than a panic.

mod error;
pub mod ids;
pub mod ir;
mod lower;
pub mod windows;

use std::collections::HashMap;
use std::fmt::Write;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use petgraph::Direction as EdgeDirection;
use petgraph::graph::{DiGraph, NodeIndex};

pub use error::PlanError;
pub use ir::*;

use crate::check::program::Program;
use crate::syntax::ast::RuleFile;

/// A day number as `YYYY-MM-DD`.
pub fn format_day(day: i32) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Checks the rules and builds their plan, for callers that hold only the syntax tree. With
/// the checker's outcome at hand, call [`plan_program`] (or `Checked::plan`).
pub fn plan(files: &[RuleFile]) -> Result<Plan, PlanError> {
    let (program, _, diagnostics) = crate::check::check(files);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        return Err(PlanError::NotChecked { errors });
    }
    plan_program(&program, files)
}

/// Builds the plan of a checked program; `files` are the rule files it was checked from.
pub fn plan_program(program: &Program, files: &[RuleFile]) -> Result<Plan, PlanError> {
    let mut plan = lower::lower(program, files)?;
    plan.order = order(&plan)?;
    let windows = windows::row_windows(&plan);
    for (source, window) in plan.sources.iter_mut().zip(windows) {
        source.windows = window;
    }
    ids::number(&mut plan);
    Ok(plan)
}

fn all_steps(plan: &Plan) -> Vec<Step> {
    let mut steps = Vec::new();
    steps.extend((0..plan.sources.len()).map(Step::Source));
    steps.extend((0..plan.code_lists.len()).map(Step::CodeList));
    steps.extend((0..plan.standards.len()).map(Step::Standard));
    steps.extend((0..plan.cohorts.len()).map(Step::Cohort));
    steps.extend((0..plan.populations.len()).map(Step::Population));
    steps.extend((0..plan.indicators.len()).map(Step::Indicator));
    steps
}

/// Dependencies first; among the steps ready at any moment, the earliest in definition order
/// (sources, code lists, standards, cohorts, populations, indicators) goes first. Kahn's
/// algorithm with a priority queue makes the order deterministic and easy to read.
fn order(plan: &Plan) -> Result<Vec<Step>, PlanError> {
    let steps = all_steps(plan);
    let mut graph: DiGraph<Step, ()> = DiGraph::new();
    let mut index: HashMap<Step, NodeIndex> = HashMap::new();
    for step in &steps {
        index.insert(*step, graph.add_node(*step));
    }
    for (from, to) in &plan.edges {
        if let (Some(&user), Some(&needed)) = (index.get(from), index.get(to))
            && graph.find_edge(needed, user).is_none()
        {
            graph.add_edge(needed, user, ());
        }
    }
    let mut waiting: Vec<usize> = graph
        .node_indices()
        .map(|n| graph.neighbors_directed(n, EdgeDirection::Incoming).count())
        .collect();
    let mut ready: BinaryHeap<Reverse<NodeIndex>> = graph
        .node_indices()
        .filter(|n| waiting[n.index()] == 0)
        .map(Reverse)
        .collect();
    let mut sorted = Vec::with_capacity(steps.len());
    while let Some(Reverse(node)) = ready.pop() {
        sorted.push(graph[node]);
        for next in graph.neighbors_directed(node, EdgeDirection::Outgoing) {
            waiting[next.index()] -= 1;
            if waiting[next.index()] == 0 {
                ready.push(Reverse(next));
            }
        }
    }
    if sorted.len() != steps.len() {
        return Err(PlanError::internal(
            "a dependency cycle reached the planner",
        ));
    }
    Ok(sorted)
}

impl Plan {
    /// The title of the goal named `goal`; empty for no goal or one not declared.
    pub fn goal_title(&self, goal: Option<&str>) -> &str {
        self.goals
            .iter()
            .find(|g| Some(g.name.as_str()) == goal)
            .map_or("", |g| g.title.as_str())
    }

    pub fn step_name(&self, step: Step) -> String {
        match step {
            Step::Source(i) => format!("source {}", self.sources[i].name),
            Step::CodeList(i) => format!("codes {}", self.code_lists[i].name),
            Step::Standard(i) => format!("standard {}", self.standards[i].name),
            Step::Cohort(i) => format!("cohort {}", self.cohorts[i].name),
            Step::Population(i) => format!("population {}", self.populations[i].name),
            Step::Indicator(i) => format!("indicator {}", self.indicators[i].name),
        }
    }

    fn step_detail(&self, step: Step) -> String {
        match step {
            Step::Source(i) => {
                let s = &self.sources[i];
                let used: Vec<&str> = s
                    .columns
                    .iter()
                    .zip(&s.used)
                    .filter(|(_, u)| **u)
                    .map(|((n, _), _)| n.as_str())
                    .collect();
                let windows: Vec<String> = s
                    .windows
                    .iter()
                    .map(|w| {
                        format!(
                            "{} from {} to {}",
                            s.columns[w.column].0,
                            format_day(w.first_day),
                            format_day(w.last_day)
                        )
                    })
                    .collect();
                let rows = if windows.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; only rows with {} (around the periods of the run)",
                        windows.join(" or ")
                    )
                };
                format!(
                    "scan `{}` once, reading {}{rows}",
                    s.file,
                    if used.is_empty() && s.rows_read {
                        "no columns, counting its rows".to_string()
                    } else if used.is_empty() {
                        "nothing: no rule reads it".to_string()
                    } else {
                        used.join(", ")
                    }
                )
            }
            Step::CodeList(i) => {
                let c = &self.code_lists[i];
                format!(
                    "{} pattern(s), {} excluded",
                    c.include.len(),
                    c.exclude.len()
                )
            }
            Step::Standard(i) => format!(
                "weights from source {}",
                self.sources[self.standards[i].source].name
            ),
            Step::Cohort(i) => {
                let c = &self.cohorts[i];
                format!("persons of {}", self.row_set_name(c.rows))
            }
            Step::Population(i) => {
                let p = &self.populations[i];
                match p.base {
                    Some(b) => format!("rows of population {}", self.populations[b].name),
                    None => format!("rows of source {}", self.sources[p.root].name),
                }
            }
            Step::Indicator(i) => {
                let ind = &self.indicators[i];
                let levels: Vec<String> = ind
                    .levels
                    .iter()
                    .map(|l| match l.compare {
                        Some(c) => format!("{} {} vs {}", l.level.as_str(), l.period, c),
                        None => format!("{} {}", l.level.as_str(), l.period),
                    })
                    .collect();
                format!("{}; {}", ind.kind, levels.join(", "))
            }
        }
    }

    pub fn row_set_name(&self, rows: RowSet) -> String {
        match rows {
            RowSet::Source(s) => format!("source {}", self.sources[s].name),
            RowSet::Population(p) => format!("population {}", self.populations[p].name),
        }
    }

    /// The order of work as text, for `indikator plan`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (k, step) in self.order.iter().enumerate() {
            let _ = writeln!(
                out,
                "{:>3}. {:<45} {}",
                k + 1,
                self.step_name(*step),
                self.step_detail(*step)
            );
        }
        out
    }

    /// The dependency graph in Graphviz dot, for `indikator plan --dot`.
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph plan {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n",
        );
        for step in &self.order {
            let shape = match step {
                Step::Source(_) => "cylinder",
                Step::Indicator(_) => "box",
                _ => "ellipse",
            };
            let _ = writeln!(out, "  \"{}\" [shape={shape}];", self.step_name(*step));
        }
        let mut edges: Vec<(String, String)> = self
            .edges
            .iter()
            .map(|(from, to)| (self.step_name(*to), self.step_name(*from)))
            .collect();
        edges.sort();
        edges.dedup();
        for (a, b) in edges {
            let _ = writeln!(out, "  \"{a}\" -> \"{b}\";");
        }
        out.push_str("}\n");
        out
    }
}
