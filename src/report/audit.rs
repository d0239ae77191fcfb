//! `indikator audit`: what could an attacker infer about a suppressed cell from everything the
//! report publishes? For each indicator and period, published counts are known and suppressed
//! ones unknown but not negative, tied by the sums of the geography (region = its
//! municipalities, country = its regions). Bounds are propagated through these sums until they
//! settle; for a hierarchy (a tree of sums) this gives the tightest interval. A primary-
//! suppressed cell fails the audit when its numerator's or denominator's interval is narrower
//! than the rule that suppressed it demands (`numerator < 5` demands a width of at least 5),
//! or when a rule with no such number left it exactly determined.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::disclosure::{COMPLEMENTARY, groups};
use crate::eval::{Geography, Unit};
use crate::plan::{BinOp, Level, Plan, ThresholdExpr};

/// One published cell as the audit reads it back from report.csv.
#[derive(Debug, Clone)]
pub struct Cell {
    pub indicator: String,
    pub level: Level,
    pub unit_code: u32,
    pub period: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub suppressed: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub indicator: String,
    pub period: String,
    pub level: &'static str,
    pub unit_code: u32,
    pub quantity: &'static str,
    pub low: f64,
    pub high: f64,
    pub required_width: f64,
}

/// The width each indicator's rules demand for a hidden numerator and denominator: from
/// conditions such as `numerator < 5` (5) or `denominator <= 19` (20).
pub fn required_widths(plan: &Plan) -> HashMap<String, (f64, f64)> {
    fn walk(e: &ThresholdExpr, out: &mut (f64, f64)) {
        match e {
            ThresholdExpr::Binary(op @ (BinOp::Lt | BinOp::Le), a, b) => {
                if let ThresholdExpr::Number(n) = **b {
                    let n = if *op == BinOp::Le { n + 1.0 } else { n };
                    match **a {
                        ThresholdExpr::Numerator => out.0 = out.0.max(n),
                        ThresholdExpr::Denominator => out.1 = out.1.max(n),
                        _ => {}
                    }
                }
            }
            ThresholdExpr::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            ThresholdExpr::Not(x) => walk(x, out),
            _ => {}
        }
    }
    plan.indicators
        .iter()
        .map(|ind| {
            let mut widths = (0.0, 0.0);
            for level in &ind.levels {
                for s in &level.suppressions {
                    walk(&s.condition, &mut widths);
                }
            }
            (ind.name.clone(), widths)
        })
        .collect()
}

fn unit_of(geo: &Geography, level: Level, code: u32) -> Option<Unit> {
    match (level, geo.unit(code)?) {
        (Level::National, Unit::National) => Some(Unit::National),
        (Level::Region, u @ Unit::Region(_)) => Some(u),
        (Level::Municipality, u @ Unit::Municipality(_)) => Some(u),
        _ => None,
    }
}

/// Bounds of every unit's count, from the known ones and the sums.
fn propagate(
    geo: &Geography,
    levels: &[Level],
    known: &BTreeMap<Unit, Option<f64>>,
) -> BTreeMap<Unit, (f64, f64)> {
    let mut bounds: BTreeMap<Unit, (f64, f64)> = known
        .iter()
        .map(|(u, v)| (*u, v.map(|x| (x, x)).unwrap_or((0.0, f64::INFINITY))))
        .collect();
    let groups = groups(geo, levels);
    for _ in 0..100 {
        let mut changed = false;
        for (total, parts) in &groups {
            let parts: Vec<Unit> = parts
                .iter()
                .copied()
                .filter(|u| bounds.contains_key(u))
                .collect();
            let Some(&(tl, th)) = bounds.get(total) else {
                continue;
            };
            let low_sum: f64 = parts.iter().map(|u| bounds[u].0).sum();
            let high_sum: f64 = parts.iter().map(|u| bounds[u].1).sum();
            // The total lies between the sums of its parts' bounds.
            let total_new = (tl.max(low_sum), th.min(high_sum));
            // Each part is the total less the others.
            let mut updates = vec![(*total, total_new)];
            for u in &parts {
                let (l, h) = bounds[u];
                let others_low = low_sum - l;
                let others_high = high_sum - h;
                let new = (
                    l.max(total_new.0 - others_high),
                    h.min(total_new.1 - others_low),
                );
                updates.push((*u, new));
            }
            for (u, (l, h)) in updates {
                let old = bounds[&u];
                let (l, h) = (l.max(0.0), h);
                if (l - old.0).abs() > 1e-9
                    || (h.is_finite() && (!old.1.is_finite() || (h - old.1).abs() > 1e-9))
                {
                    bounds.insert(u, (l, h));
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    bounds
}

/// Audits the cells of a report.
pub fn audit(
    cells: &[Cell],
    geo: &Geography,
    widths: &HashMap<String, (f64, f64)>,
) -> Vec<Finding> {
    let mut tables: BTreeMap<(String, String), Vec<&Cell>> = BTreeMap::new();
    for c in cells {
        tables
            .entry((c.indicator.clone(), c.period.clone()))
            .or_default()
            .push(c);
    }
    let mut findings = Vec::new();
    for ((indicator, period), cells) in tables {
        let mut levels: Vec<Level> = cells.iter().map(|c| c.level).collect();
        levels.sort();
        levels.dedup();
        let (need_numerator, need_denominator) =
            widths.get(&indicator).copied().unwrap_or((0.0, 0.0));
        for (quantity, need) in [
            ("numerator", need_numerator),
            ("denominator", need_denominator),
        ] {
            let mut known = BTreeMap::new();
            for c in &cells {
                let Some(unit) = unit_of(geo, c.level, c.unit_code) else {
                    continue;
                };
                let value = if quantity == "numerator" {
                    c.numerator
                } else {
                    c.denominator
                };
                known.insert(unit, if c.suppressed.is_some() { None } else { value });
            }
            // A table that publishes no counts of this kind gives nothing to subtract.
            if known.values().all(|v| v.is_none()) {
                continue;
            }
            let bounds = propagate(geo, &levels, &known);
            for c in &cells {
                let primary = matches!(c.suppressed.as_deref(), Some(r) if r != COMPLEMENTARY && r != "no_data" && r != "input_suppressed");
                if !primary {
                    continue;
                }
                let Some(unit) = unit_of(geo, c.level, c.unit_code) else {
                    continue;
                };
                let (low, high) = bounds[&unit];
                let width = high - low;
                let required = if need > 0.0 { need } else { f64::MIN_POSITIVE };
                if width < required {
                    findings.push(Finding {
                        indicator: indicator.clone(),
                        period: period.clone(),
                        level: c.level.name(),
                        unit_code: c.unit_code,
                        quantity,
                        low,
                        high,
                        required_width: need,
                    });
                }
            }
        }
    }
    findings
}

/// Reads the cells of a written report.csv.
pub fn read_report(path: &std::path::Path) -> Result<Vec<Cell>, String> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let at = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("`{}` has no column `{name}`", path.display()))
    };
    let (ci, cl, cu, cp, cn, cd, cs) = (
        at("indicator")?,
        at("level")?,
        at("unit_code")?,
        at("period")?,
        at("numerator")?,
        at("denominator")?,
        at("suppressed")?,
    );
    let mut cells = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let r = record.map_err(|e| format!("{}:{}: {e}", path.display(), k + 2))?;
        let number = |i: usize| {
            r.get(i)
                .filter(|s| !s.is_empty())
                .and_then(|s| s.parse::<f64>().ok())
        };
        let level = Level::from_name(r.get(cl).unwrap_or(""))
            .ok_or_else(|| format!("{}:{}: unknown level", path.display(), k + 2))?;
        cells.push(Cell {
            indicator: r.get(ci).unwrap_or("").to_string(),
            level,
            unit_code: r.get(cu).and_then(|s| s.parse().ok()).unwrap_or(0),
            period: r.get(cp).unwrap_or("").to_string(),
            numerator: number(cn),
            denominator: number(cd),
            suppressed: r.get(cs).filter(|s| !s.is_empty()).map(|s| s.to_string()),
        });
    }
    Ok(cells)
}
