//! `indikator audit`: what could a reader infer about a hidden count from everything the report
//! publishes? The published cells are read back into the system of relations of
//! `super::relations` (geography sums, pooled and single periods, counts shared between
//! indicators), and every hidden count's tightest interval is found by linear programming. A
//! hidden cell fails the audit when its numerator's or denominator's interval is narrower than
//! its indicator's rules demand (`numerator < 5` demands a width of at least 5), or when a rule
//! with no such number left it exactly determined. Every hidden cell is held to this, not only
//! those a rule hid: the published reason is the same for all, so a reader cannot tell them
//! apart, and the audit cannot either.

use serde::Serialize;

use super::disclosure::WITHOUT_FIGURE;
use super::relations::{Model, Published, QUANTITIES, State};
use crate::eval::{Geography, Unit};
use crate::plan::{Level, Plan};

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
    /// 0 where the rules demand only that the count not be exactly determined.
    pub required_width: f64,
}

/// What the audit found, and what it could not use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Audit {
    pub findings: Vec<Finding>,
    /// Hidden cells with counts to protect.
    pub hidden: usize,
    /// Relations the published counts contradict (left out: not exact in this report).
    pub contradicted: usize,
    /// Cells whose indicator, unit or period the rules do not know (left out).
    pub unknown: usize,
}

fn unit_of(geo: &Geography, level: Level, code: u32) -> Option<Unit> {
    match (level, geo.unit(code)?) {
        (Level::National, Unit::National) => Some(Unit::National),
        (Level::Region, u @ Unit::Region(_)) => Some(u),
        (Level::Municipality, u @ Unit::Municipality(_)) => Some(u),
        _ => None,
    }
}

/// The published cells in the system's terms, with the cell each came from.
fn published(plan: &Plan, geo: &Geography, cells: &[Cell]) -> (Vec<Published>, Vec<usize>) {
    let mut out = Vec::new();
    let mut from = Vec::new();
    for (k, c) in cells.iter().enumerate() {
        let Some(indicator) = plan.indicators.iter().position(|i| i.name == c.indicator) else {
            continue;
        };
        let Some(unit) = unit_of(geo, c.level, c.unit_code) else {
            continue;
        };
        let Some(period) = plan.indicators[indicator]
            .levels
            .iter()
            .flat_map(|l| std::iter::once(l.period).chain(l.compare))
            .find(|p| p.to_string() == c.period)
        else {
            continue;
        };
        let state = match c.suppressed.as_deref() {
            None => State::Shown,
            Some(r) if WITHOUT_FIGURE.contains(&r) => State::NoData,
            Some(_) => State::Hidden,
        };
        out.push(Published {
            indicator,
            level: c.level,
            unit,
            period,
            counts: [c.numerator, c.denominator],
            state,
        });
        from.push(k);
    }
    (out, from)
}

/// Audits the cells of a report against the rules.
pub fn audit(plan: &Plan, geo: &Geography, cells: &[Cell]) -> Audit {
    let (published, from) = published(plan, geo, cells);
    let model = Model::new(plan, &published);
    let mut result = Audit {
        hidden: published
            .iter()
            .filter(|c| c.state == State::Hidden)
            .count(),
        unknown: cells.len() - published.len(),
        ..Audit::default()
    };
    for class in 0..model.classes() {
        let (bounds, contradicted) = model.bounds(plan, geo, &published, class, None);
        result.contradicted += contradicted;
        for b in bounds.into_iter().filter(|b| b.too_narrow()) {
            let c = &cells[from[b.cell]];
            result.findings.push(Finding {
                indicator: c.indicator.clone(),
                period: c.period.clone(),
                level: c.level.name(),
                unit_code: c.unit_code,
                quantity: QUANTITIES[b.quantity],
                low: b.low,
                high: b.high,
                required_width: if b.required <= f64::MIN_POSITIVE {
                    0.0
                } else {
                    b.required
                },
            });
        }
    }
    result.findings.sort_by(|a, b| {
        (&a.indicator, &a.period, a.level, a.unit_code, a.quantity).cmp(&(
            &b.indicator,
            &b.period,
            b.level,
            b.unit_code,
            b.quantity,
        ))
    });
    result
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
