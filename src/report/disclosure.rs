//! Complementary (secondary) suppression. A suppressed municipality's count can be recovered by
//! subtraction when its region's count and its neighbours' counts are published; so, in every
//! group of a published total and its parts (region = its municipalities, country = its regions,
//! or country = its municipalities when there are no regions), the hidden parts must be at least
//! two, and their hidden total must itself pass the parts' suppression rules. A hidden total is
//! the sum of its parts, so it too needs hidden parts whose total passes the rules. Cells are
//! hidden for this, smallest first, with the reason `complementary`; when no part is left to
//! hide, the total is hidden. Cells without a figure take part as known counts: they need no
//! partner and are none.
//!
//! Tables are related beyond their own groups (a pooled period is the sum of single ones; two
//! indicators may publish the same count), so `protect_system` then works on the whole system
//! of `super::relations` until no hidden count can be narrowed below what its rules demand.

use std::collections::{BTreeSet, HashSet};

use super::relations::{Model, Published, State, related};
use crate::eval::measure::threshold;
use crate::eval::{Figure, Geography, Unit};
use crate::plan::{Level, Plan, Suppression};

pub const COMPLEMENTARY: &str = "complementary";

/// The reasons of cells that are not shown because they have no figure: such a cell publishes
/// nothing and hides nothing, so it needs no partner and is no partner.
pub const WITHOUT_FIGURE: [&str; 2] = ["no_data", "input_suppressed"];

/// The one reason published for every cell hidden by a rule or to protect another. A rule's own
/// reason would tell a reader that the cell failed the rule (its numerator below 5, say) and
/// `complementary` that it passed it; both are bounds that narrow the hidden counts. The rules'
/// texts stay in the footnotes, for the indicator as a whole; the reason of each cell stays in
/// memory for `indikator test`, `indikator explain` and the tests.
pub const WITHHELD: &str = "withheld";

/// The reason a report's files give for a cell that is not shown.
pub fn published_reason(reason: &str) -> &str {
    if WITHOUT_FIGURE.contains(&reason) {
        reason
    } else {
        WITHHELD
    }
}

/// Whether a figure is hidden by a rule or to protect another: a count to protect.
pub fn protects(f: &Figure) -> bool {
    f.suppressed
        .as_deref()
        .is_some_and(|r| !WITHOUT_FIGURE.contains(&r))
}

/// The figures of one indicator for one period, at each level computed for that period.
pub struct Table<'a> {
    pub levels: Vec<(Level, &'a mut Vec<(Unit, Figure)>)>,
}

fn position(table: &Table<'_>, unit: Unit) -> Option<(usize, usize)> {
    for (k, (_, figures)) in table.levels.iter().enumerate() {
        if let Some(p) = figures.iter().position(|(u, _)| *u == unit) {
            return Some((k, p));
        }
    }
    None
}

fn figure<'t>(table: &'t Table<'_>, unit: Unit) -> Option<&'t Figure> {
    position(table, unit).map(|(k, p)| &table.levels[k].1[p].1)
}

/// The groups of a total and its parts among the levels present.
pub fn groups(geo: &Geography, levels: &[Level]) -> Vec<(Unit, Vec<Unit>)> {
    let has = |l: Level| levels.contains(&l);
    let mut out = Vec::new();
    if has(Level::Region) && has(Level::Municipality) {
        for r in 0..geo.regions.len() {
            let parts = (0..geo.municipalities.len())
                .filter(|&m| geo.municipalities[m].region == r)
                .map(Unit::Municipality)
                .collect();
            out.push((Unit::Region(r), parts));
        }
    }
    if has(Level::National) && has(Level::Region) {
        out.push((
            Unit::National,
            (0..geo.regions.len()).map(Unit::Region).collect(),
        ));
    } else if has(Level::National) && has(Level::Municipality) {
        out.push((
            Unit::National,
            (0..geo.municipalities.len())
                .map(Unit::Municipality)
                .collect(),
        ));
    }
    out
}

/// Whether hidden parts together would themselves be suppressed by the parts' rules: then the
/// hidden total gives them away and another part must be hidden.
fn total_too_small(hidden: &[&Figure], rules: &[Suppression]) -> bool {
    let numerator: f64 = hidden.iter().filter_map(|f| f.numerator).sum();
    let denominator: f64 = hidden.iter().filter_map(|f| f.denominator).sum();
    let total = Figure {
        numerator: Some(numerator),
        denominator: Some(denominator),
        value: None,
        interval: None,
        suppressed: None,
    };
    rules
        .iter()
        .any(|r| threshold(&r.condition, &total, 0, Unit::National, &[]) == Some(true))
}

/// Hides further cells until no hidden cell can be recovered by subtraction. `rules(level)` are
/// the suppression rules of the parts at a level. Returns how many cells it hid.
pub fn protect(
    geo: &Geography,
    table: &mut Table<'_>,
    rules: &dyn Fn(Level) -> Vec<Suppression>,
) -> usize {
    let levels: Vec<Level> = table.levels.iter().map(|(l, _)| *l).collect();
    let groups = groups(geo, &levels);
    let mut hidden_now = 0;
    loop {
        let mut changed = false;
        for (total, parts) in &groups {
            let Some(total_figure) = figure(table, *total) else {
                continue;
            };
            // A total without a figure is read as known: it needs no protection and can not be
            // hidden to give any.
            let total_hidden = protects(total_figure);
            let total_open = total_figure.suppressed.is_none();
            let present: Vec<Unit> = parts
                .iter()
                .copied()
                .filter(|u| figure(table, *u).is_some())
                .collect();
            let Some(part_level) = present
                .first()
                .and_then(|u| position(table, *u))
                .map(|(k, _)| table.levels[k].0)
            else {
                continue;
            };
            let part_rules = rules(part_level);
            loop {
                let hidden: Vec<&Figure> = present
                    .iter()
                    .filter_map(|u| figure(table, *u))
                    .filter(|f| protects(f))
                    .collect();
                // A shown total with hidden parts: at least two hidden, and their total large
                // enough. A hidden total: it is the sum of its parts, so the hidden parts must
                // leave as much room as a hidden part would need, or the total is given away.
                let protected = if total_hidden {
                    !hidden.is_empty() && !total_too_small(&hidden, &part_rules)
                } else {
                    hidden.is_empty()
                        || (hidden.len() >= 2 && !total_too_small(&hidden, &part_rules))
                };
                if protected {
                    break;
                }
                // The smallest shown part, by denominator, then numerator, then order.
                let key = |f: &Figure| (f.denominator.unwrap_or(0.0), f.numerator.unwrap_or(0.0));
                let next = present
                    .iter()
                    .filter_map(|u| {
                        figure(table, *u)
                            .filter(|f| f.suppressed.is_none())
                            .map(|f| (key(f), *u))
                    })
                    .min_by(|(ka, a), (kb, b)| {
                        ka.partial_cmp(kb)
                            .unwrap_or(std::cmp::Ordering::Equal)
                            .then(a.cmp(b))
                    })
                    .map(|(_, u)| u);
                if next.is_none() && !total_open {
                    // Every part is hidden already (or has no figure), and so is the total or
                    // it has none: nothing more can be done in this group.
                    break;
                }
                let target = next.unwrap_or(*total);
                if let Some((k, p)) = position(table, target) {
                    table.levels[k].1[p].1.suppressed = Some(COMPLEMENTARY.to_string());
                    hidden_now += 1;
                    changed = true;
                }
                if next.is_none() {
                    break;
                }
            }
        }
        if !changed {
            return hidden_now;
        }
    }
}

/// Complementary suppression over the whole system of published relations (`relations`):
/// while some hidden count can be narrowed below the width its rules demand, a shown cell
/// related to it is hidden too — one whose hiding widens that count's interval, trying the
/// closest and smallest first (the same unit, the same indicator, the same period, the
/// smallest denominator and numerator), else the closest and smallest. Cells without a figure
/// are never hidden for this. Returns the cells it hid.
pub fn protect_system(plan: &Plan, geo: &Geography, cells: &mut [Published]) -> Vec<usize> {
    let model = Model::new(plan, cells);
    let mut dirty: BTreeSet<usize> = (0..model.classes()).collect();
    let mut hidden = Vec::new();
    let mut beyond_help: HashSet<(usize, usize)> = HashSet::new();
    while let Some(class) = dirty.pop_first() {
        let (bounds, _) = model.bounds(plan, geo, cells, class, None);
        let Some(failing) = bounds
            .into_iter()
            .find(|b| b.too_narrow() && !beyond_help.contains(&(b.cell, b.quantity)))
        else {
            continue;
        };
        let width = failing.high - failing.low;
        let target = cells[failing.cell].clone();
        let mut candidates: Vec<usize> = model
            .entries(class)
            .iter()
            .filter(|&&(c, q)| {
                q == failing.quantity
                    && cells[c].state == State::Shown
                    && cells[c].counts[q].is_some()
                    && related(geo, &cells[c], &target)
            })
            .map(|&(c, _)| c)
            .collect();
        candidates.sort_by(|&a, &b| {
            let key = |c: usize| {
                let x = &cells[c];
                (
                    x.unit != target.unit,
                    x.indicator != target.indicator,
                    x.period != target.period,
                )
            };
            let size = |c: usize| {
                (
                    cells[c].counts[1].unwrap_or(0.0),
                    cells[c].counts[0].unwrap_or(0.0),
                )
            };
            key(a)
                .cmp(&key(b))
                .then(
                    size(a)
                        .partial_cmp(&size(b))
                        .unwrap_or(std::cmp::Ordering::Equal),
                )
                .then(a.cmp(&b))
        });
        let mut chosen = None;
        for &c in candidates.iter().take(8) {
            cells[c].state = State::Hidden;
            let (after, _) = model.bounds(
                plan,
                geo,
                cells,
                class,
                Some((failing.cell, failing.quantity)),
            );
            cells[c].state = State::Shown;
            if after.first().is_some_and(|b| b.high - b.low > width + 1e-9) {
                chosen = Some(c);
                break;
            }
        }
        match chosen.or(candidates.first().copied()) {
            Some(c) => {
                cells[c].state = State::Hidden;
                cells[c].counts = [None, None];
                hidden.push(c);
                dirty.insert(model.class_of(c, 0));
                dirty.insert(model.class_of(c, 1));
            }
            None => {
                beyond_help.insert((failing.cell, failing.quantity));
            }
        }
        dirty.insert(class);
    }
    hidden
}
