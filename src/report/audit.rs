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
                level: c.level.as_str(),
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
        let level = r
            .get(cl)
            .unwrap_or("")
            .parse::<Level>()
            .ok()
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

/// What the report's other files publish beyond report.csv: report.json must say what
/// report.csv says of every cell, and neither the wide tables nor report.html may show a figure
/// or a reason that report.csv withholds. Returns each discrepancy in words.
pub fn other_files(
    plan: &Plan,
    geo: &Geography,
    out: &std::path::Path,
    cells: &[Cell],
) -> Vec<String> {
    use std::collections::HashMap;
    let mut problems = Vec::new();
    let key = |indicator: &str, level: &str, code: u32, period: &str| {
        format!("{indicator} {level} {code} {period}")
    };
    let by_key: HashMap<String, &Cell> = cells
        .iter()
        .map(|c| {
            (
                key(&c.indicator, c.level.as_str(), c.unit_code, &c.period),
                c,
            )
        })
        .collect();
    if let Ok(text) = std::fs::read_to_string(out.join("report.json")) {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(json) => {
                let rows = json["rows"].as_array().cloned().unwrap_or_default();
                for r in rows {
                    let k = key(
                        r["indicator"].as_str().unwrap_or(""),
                        r["level"].as_str().unwrap_or(""),
                        r["unit_code"].as_u64().unwrap_or(0) as u32,
                        r["period"].as_str().unwrap_or(""),
                    );
                    let Some(c) = by_key.get(&k) else {
                        problems.push(format!("report.json: {k} is not in report.csv"));
                        continue;
                    };
                    let same = r["suppressed"].as_str() == c.suppressed.as_deref()
                        && r["numerator"].as_f64() == c.numerator
                        && r["denominator"].as_f64() == c.denominator;
                    let hidden_value = c.suppressed.is_some()
                        && ["value", "ci_low", "ci_high"]
                            .iter()
                            .any(|f| !r[*f].is_null());
                    if !same || hidden_value {
                        problems.push(format!("report.json: {k} differs from report.csv"));
                    }
                }
            }
            Err(e) => problems.push(format!("report.json: {e}")),
        }
    }
    // The wide tables show the report period's values; a withheld cell must be blank.
    let hidden = |indicator: &str, level: Level, code: u32| -> bool {
        let Some(ind) = plan.indicators.iter().find(|i| i.name == indicator) else {
            return false;
        };
        let Some(l) = ind.levels.iter().find(|l| l.level == level) else {
            return false;
        };
        by_key
            .get(&key(indicator, level.as_str(), code, &l.period.to_string()))
            .is_some_and(|c| c.suppressed.is_some())
    };
    let mut check_wide = |name: String, rows_are_indicators: bool| {
        let Ok(mut reader) = csv::Reader::from_path(out.join(&name)) else {
            return;
        };
        let headers = reader.headers().cloned().unwrap_or_default();
        for record in reader.records().flatten() {
            for (i, field) in record.iter().enumerate() {
                if field.is_empty() {
                    continue;
                }
                let leak = if rows_are_indicators {
                    // goal, indicator, title, unit_label, the country, the regions in order.
                    let indicator = record.get(1).unwrap_or("");
                    match i {
                        4 => hidden(indicator, Level::National, 0),
                        i if i > 4 => geo
                            .regions
                            .get(i - 5)
                            .is_some_and(|r| hidden(indicator, Level::Region, r.code)),
                        _ => false,
                    }
                } else {
                    let code: u32 = record.get(0).and_then(|c| c.parse().ok()).unwrap_or(0);
                    i >= 2 && hidden(headers.get(i).unwrap_or(""), Level::Municipality, code)
                };
                if leak {
                    problems.push(format!(
                        "{name}: `{field}` shown for a cell report.csv withholds"
                    ));
                }
            }
        }
    };
    check_wide("table_regions.csv".to_string(), true);
    for r in &geo.regions {
        check_wide(format!("table_municipalities_{}.csv", r.code), false);
    }
    // report.html gives one word for every withheld cell: no rule's reason in a cell's title.
    if let Ok(html) = std::fs::read_to_string(out.join("report.html")) {
        let mut reasons: Vec<&str> = plan
            .indicators
            .iter()
            .flat_map(|i| i.levels.iter())
            .flat_map(|l| l.suppressions.iter().map(|s| s.reason.as_str()))
            .collect();
        reasons.push(super::disclosure::COMPLEMENTARY);
        reasons.sort();
        reasons.dedup();
        for reason in reasons {
            if html.contains(&format!("{reason}\">")) {
                problems.push(format!("report.html: a cell gives the reason `{reason}`"));
            }
        }
    }
    problems
}
