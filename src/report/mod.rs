//! Stage 5: the report. Turns evaluated figures into the long report table with both
//! markings, "Tabel 1", and the data-quality section, and writes them as CSV and JSON.
//!
//! A suppressed figure's value and counts are dropped here, before any writer sees the row:
//! no output can leak them.

pub mod audit;
pub mod disclosure;
pub mod excel_csv;
pub mod html;
pub mod lp;
pub mod markings;
pub mod output;
pub mod provenance;
pub mod publication;
pub mod relations;
mod write;
pub mod xlsx;

use serde::Serialize;

use crate::eval::{Evaluation, Exclusion, Figure, Unit};
use crate::plan::{Level, Period, Plan};
pub use markings::{Marking, mark};
pub use write::{write_all, write_publication};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub indicator: String,
    pub number: Option<f64>,
    pub goal: String,
    pub title: String,
    pub unit_label: String,
    pub level: Level,
    pub unit_code: u32,
    pub unit_name: String,
    pub period: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Why the figure is not shown. In memory the detailed reason (the rule's, `complementary`,
    /// `no_data`), for `indikator test`, diagnostics and tests; every file of the report gives
    /// the published one instead (`disclosure::published_reason`), which leaks no bound.
    #[serde(serialize_with = "serialize_published_reason")]
    pub suppressed: Option<String>,
    pub development: Option<Marking>,
    pub level_marking: Option<Marking>,
    pub decimals: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GoalCount {
    pub goal: String,
    pub title: String,
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    /// National indicators of the goal without a development marking.
    pub without_marking: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub rows: Vec<Row>,
    pub tabel_1: Vec<GoalCount>,
    pub rows_read: Vec<(String, usize)>,
    /// Rows of each extract dated outside every period of the run, left unread (only the
    /// extracts that had such rows).
    pub rows_unread: Vec<(String, usize)>,
    pub data_quality: Vec<Exclusion>,
    /// The run's tool, command line and input hashes; set by `indikator run`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<provenance::Provenance>,
}

fn serialize_published_reason<S: serde::Serializer>(
    reason: &Option<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match reason {
        Some(r) => serializer.serialize_some(disclosure::published_reason(r)),
        None => serializer.serialize_none(),
    }
}

impl Row {
    /// The reason the report's files give for this figure not being shown.
    pub fn published_reason(&self) -> Option<&str> {
        self.suppressed.as_deref().map(disclosure::published_reason)
    }
}

fn shown(f: &Figure) -> Option<f64> {
    if f.suppressed.is_some() {
        None
    } else {
        f.value
    }
}

/// The report, with complementary suppression applied and the shipped publication's marking
/// tolerance.
pub fn build(plan: &Plan, evaluation: &Evaluation) -> Report {
    build_with(plan, evaluation, Protection::Complementary)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Only the rules' own (primary) suppression; for tests that compare.
    PrimaryOnly,
    /// Primary and complementary suppression: what is published.
    Complementary,
}

/// Applies complementary suppression to every indicator, period by period: a table is the
/// figures of all levels that have the same period.
fn protect_all(plan: &Plan, evaluation: &Evaluation) -> Vec<crate::eval::IndicatorFigures> {
    let mut indicators = evaluation.indicators.clone();
    for figures in &mut indicators {
        let ind = &plan.indicators[figures.indicator];
        let mut tables: Vec<(crate::plan::Period, disclosure::Table<'_>)> = Vec::new();
        for lf in &mut figures.levels {
            let mut parts = vec![(lf.period, &mut lf.current)];
            if let (Some(compare), Some(previous)) = (lf.compare, lf.previous.as_mut()) {
                parts.push((compare, previous));
            }
            for (period, cells) in parts {
                match tables.iter_mut().find(|(p, _)| *p == period) {
                    Some((_, table)) => table.levels.push((lf.level, cells)),
                    None => tables.push((
                        period,
                        disclosure::Table {
                            levels: vec![(lf.level, cells)],
                        },
                    )),
                }
            }
        }
        // A hidden total of parts bounds every finer cell inside it too, so it must pass the
        // rules of its own level and of every level below.
        let rules = |level: Level| {
            ind.levels
                .iter()
                .filter(|l| l.level >= level)
                .flat_map(|l| l.suppressions.iter().cloned())
                .collect()
        };
        // Rules that read only the unit (`area in […]`) hide a figure as too uncertain, not
        // to protect a count: such cells need no partners.
        let protects_counts = Level::ALL
            .iter()
            .any(|l| relations::required(plan, figures.indicator, *l) != [0.0, 0.0]);
        if !protects_counts {
            continue;
        }
        for (_, table) in &mut tables {
            disclosure::protect(&evaluation.geography, table, &rules);
        }
    }
    protect_across_tables(plan, &evaluation.geography, &mut indicators);
    indicators
}

/// Complementary suppression over everything published at once (pooled and single periods,
/// indicators sharing a count), after each table's own groups are protected. A cell without a
/// figure takes part with its counts as known: it is never the partner that protects another.
fn protect_across_tables(
    plan: &Plan,
    geo: &crate::eval::Geography,
    indicators: &mut [crate::eval::IndicatorFigures],
) {
    use relations::{Published, State};
    let mut cells = Vec::new();
    let mut places = Vec::new();
    for (i, figures) in indicators.iter().enumerate() {
        for (l, lf) in figures.levels.iter().enumerate() {
            let mut tables = vec![(false, lf.period, &lf.current)];
            if let (Some(compare), Some(previous)) = (lf.compare, lf.previous.as_ref()) {
                tables.push((true, compare, previous));
            }
            for (previous, period, figures_of_period) in tables {
                for (k, (unit, f)) in figures_of_period.iter().enumerate() {
                    let state = if f.suppressed.is_none() {
                        State::Shown
                    } else if disclosure::protects(f) {
                        State::Hidden
                    } else {
                        State::NoData
                    };
                    let counts = if state == State::Hidden {
                        [None, None]
                    } else {
                        [f.numerator, f.denominator]
                    };
                    cells.push(Published {
                        indicator: figures.indicator,
                        level: lf.level,
                        unit: *unit,
                        period,
                        counts,
                        state,
                    });
                    places.push((i, l, previous, k));
                }
            }
        }
    }
    for c in disclosure::protect_system(plan, geo, &mut cells) {
        let (i, l, previous, k) = places[c];
        let lf = &mut indicators[i].levels[l];
        let figures = if previous {
            lf.previous
                .as_mut()
                .expect("a compared level has previous figures")
        } else {
            &mut lf.current
        };
        figures[k].1.suppressed = Some(disclosure::COMPLEMENTARY.to_string());
    }
    // The country's figure as each level's marking reference: hidden if it is now hidden.
    for figures in indicators.iter_mut() {
        let hidden: Vec<Period> = figures
            .levels
            .iter()
            .filter(|lf| lf.level == Level::National)
            .filter(|lf| lf.current.iter().any(|(_, f)| f.suppressed.is_some()))
            .map(|lf| lf.period)
            .collect();
        for lf in &mut figures.levels {
            if hidden.contains(&lf.period)
                && let Some(national) = lf.national.as_mut()
                && national.suppressed.is_none()
            {
                national.suppressed = Some(disclosure::COMPLEMENTARY.to_string());
            }
        }
    }
}

/// The report, with the protection asked for and the shipped publication's marking tolerance.
pub fn build_with(plan: &Plan, evaluation: &Evaluation, protection: Protection) -> Report {
    let tolerance = publication::Publication::shipped().tolerance();
    build_marked(plan, evaluation, protection, tolerance)
}

/// The report, with the protection asked for, marked with `tolerance` (the publication's).
pub fn build_marked(
    plan: &Plan,
    evaluation: &Evaluation,
    protection: Protection,
    tolerance: f64,
) -> Report {
    let geo = &evaluation.geography;
    let protected;
    let indicators = match protection {
        Protection::Complementary => {
            protected = protect_all(plan, evaluation);
            &protected
        }
        Protection::PrimaryOnly => &evaluation.indicators,
    };
    let mut rows = Vec::new();
    let mut goal_counts: Vec<GoalCount> = plan
        .goals
        .iter()
        .map(|g| GoalCount {
            goal: g.name.clone(),
            title: g.title.clone(),
            green: 0,
            yellow: 0,
            red: 0,
            without_marking: 0,
        })
        .collect();
    // Report order: by goal, then by indicator number, then as defined.
    let mut order: Vec<&crate::eval::IndicatorFigures> = indicators.iter().collect();
    let goal_rank = |name: &Option<String>| {
        name.as_ref()
            .and_then(|n| plan.goals.iter().position(|g| &g.name == n))
            .unwrap_or(usize::MAX)
    };
    order.sort_by(|a, b| {
        let (x, y) = (&plan.indicators[a.indicator], &plan.indicators[b.indicator]);
        goal_rank(&x.goal)
            .cmp(&goal_rank(&y.goal))
            .then(
                x.number
                    .unwrap_or(f64::MAX)
                    .total_cmp(&y.number.unwrap_or(f64::MAX)),
            )
            .then(a.indicator.cmp(&b.indicator))
    });
    for figures in order {
        let ind = &plan.indicators[figures.indicator];
        let goal_title = ind
            .goal
            .as_ref()
            .and_then(|g| plan.goals.iter().find(|x| &x.name == g))
            .map(|g| g.title.clone())
            .unwrap_or_default();
        for lf in &figures.levels {
            let level_plan = ind.levels.iter().find(|l| l.level == lf.level);
            let no_development = level_plan.is_some_and(|l| l.no_development.is_some());
            let national = lf.national.as_ref().and_then(shown);
            for (unit, figure) in &lf.current {
                let previous = lf
                    .previous
                    .as_ref()
                    .and_then(|p| p.iter().find(|(u, _)| u == unit))
                    .map(|(_, f)| f);
                let development = match (shown(figure), previous.and_then(shown)) {
                    (Some(v), Some(p)) if !no_development => mark(v, p, ind.direction, tolerance),
                    _ => None,
                };
                let level_marking = match (lf.level, shown(figure), national) {
                    (Level::National, _, _) => None,
                    (_, Some(v), Some(n)) => mark(v, n, ind.direction, tolerance),
                    _ => None,
                };
                if lf.level == Level::National
                    && let Some(count) = goal_counts
                        .iter_mut()
                        .find(|g| Some(&g.goal) == ind.goal.as_ref())
                {
                    match development {
                        Some(Marking::Green) => count.green += 1,
                        Some(Marking::Yellow) => count.yellow += 1,
                        Some(Marking::Red) => count.red += 1,
                        None => count.without_marking += 1,
                    }
                }
                rows.push(row(
                    plan,
                    figures.indicator,
                    &goal_title,
                    lf.level,
                    *unit,
                    geo,
                    lf.period,
                    figure,
                    development,
                    level_marking,
                ));
                if let (Some(compare), Some(previous)) = (lf.compare, previous) {
                    rows.push(row(
                        plan,
                        figures.indicator,
                        &goal_title,
                        lf.level,
                        *unit,
                        geo,
                        compare,
                        previous,
                        None,
                        None,
                    ));
                }
            }
        }
    }
    let data_quality = evaluation.exclusions.entries.clone();
    Report {
        rows,
        tabel_1: goal_counts,
        rows_read: evaluation
            .sources
            .iter()
            .map(|s| (s.file.clone(), s.rows))
            .collect(),
        rows_unread: evaluation
            .sources
            .iter()
            .filter(|s| s.unread > 0)
            .map(|s| (s.file.clone(), s.unread))
            .collect(),
        data_quality,
        provenance: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn row(
    plan: &Plan,
    id: usize,
    goal_title: &str,
    level: Level,
    unit: Unit,
    geo: &crate::eval::Geography,
    period: crate::plan::Period,
    figure: &Figure,
    development: Option<Marking>,
    level_marking: Option<Marking>,
) -> Row {
    let ind = &plan.indicators[id];
    let hidden = figure.suppressed.is_some();
    let keep = |x: Option<f64>| if hidden { None } else { x };
    let count = |x: Option<f64>| if ind.publish_counts { keep(x) } else { None };
    Row {
        indicator: ind.name.clone(),
        number: ind.number,
        goal: goal_title.to_string(),
        title: ind.title.clone(),
        unit_label: ind.unit.clone(),
        level,
        unit_code: geo.code(unit),
        unit_name: geo.name(unit).to_string(),
        period: period.to_string(),
        numerator: count(figure.numerator),
        denominator: count(figure.denominator),
        value: keep(figure.value),
        ci_low: keep(figure.interval.map(|i| i.low)),
        ci_high: keep(figure.interval.map(|i| i.high)),
        suppressed: figure.suppressed.clone(),
        development,
        level_marking,
        decimals: ind.decimals,
    }
}
