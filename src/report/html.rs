//! The publication layout as one self-contained HTML page: the regional table grouped by goal
//! (the country and the regions, both markings per figure), a municipal table per region,
//! "Tabel 1", and footnotes generated from the rules. Every text, word and number format is the
//! publication file's (`publication.rs`); markings carry a shape and a word as well as a
//! colour, so they read in black and white and to a screen reader.

use std::collections::HashMap;
use std::fmt::Write;

use super::publication::{Publication, fill};
use super::{GoalCount, Marking, Report, Row};
use crate::eval::Geography;
use crate::plan::{IndicatorPlan, Level, MeasureKind, Plan, StandardRef};

/// "Title, unit", as the report labels its rows; an indicator without figures has no unit.
fn title_and_unit(ind: &IndicatorPlan) -> String {
    if ind.unit.is_empty() {
        escape(&ind.title)
    } else {
        format!("{}, {}", escape(&ind.title), escape(&ind.unit))
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What a marking compares a figure with.
#[derive(Clone, Copy)]
enum Compared {
    /// The comparison period (development).
    Development,
    /// The country (level).
    Level,
}

/// A marking as a coloured shape with its meaning in words.
fn marking(p: &Publication, kind: Compared, marking: Option<Marking>) -> String {
    let Some(m) = marking else {
        return format!(
            "<span class=\"mark none\" aria-label=\"{}\"></span>",
            escape(&p.markings.none)
        );
    };
    let words = match kind {
        Compared::Development => &p.markings.development,
        Compared::Level => &p.markings.level,
    };
    let (shape, word) = (escape(p.markings.shapes.get(m)), escape(words.get(m)));
    format!(
        "<span class=\"mark {m}\" role=\"img\" aria-label=\"{word}\" title=\"{word}\">{shape}</span>"
    )
}

fn cell(p: &Publication, row: Option<&Row>, decimals: u32) -> String {
    match row {
        Some(r) => match (r.value, r.published_reason()) {
            (Some(v), None) => format!(
                "<td class=\"figure\"><span class=\"value\">{}</span>{}{}</td>",
                p.number(v, decimals),
                marking(p, Compared::Development, r.development),
                marking(p, Compared::Level, r.level_marking)
            ),
            // The publication's words for the reason; the rules' texts are in the footnote.
            (_, Some(reason)) => format!(
                "<td class=\"figure hidden\" title=\"{}\">{}</td>",
                escape(p.reasons.get(reason)),
                escape(&p.reasons.blank)
            ),
            _ => format!(
                "<td class=\"figure hidden\">{}</td>",
                escape(&p.reasons.blank)
            ),
        },
        None => "<td class=\"figure\"></td>".to_string(),
    }
}

/// The report's rows by indicator, level, unit code and period (the first row of each), as the
/// tables look up a cell for every unit of every indicator.
pub(super) struct RowIndex<'r>(HashMap<(&'r str, Level, u32, &'r str), &'r Row>);

impl<'r> RowIndex<'r> {
    pub(super) fn new(report: &'r Report) -> RowIndex<'r> {
        let mut rows = HashMap::new();
        for r in &report.rows {
            rows.entry((
                r.indicator.as_str(),
                r.level,
                r.unit_code,
                r.period.as_str(),
            ))
            .or_insert(r);
        }
        RowIndex(rows)
    }

    pub(super) fn get(
        &self,
        indicator: &str,
        level: Level,
        code: u32,
        period: &str,
    ) -> Option<&'r Row> {
        self.0.get(&(indicator, level, code, period)).copied()
    }

    /// The report-period row of an indicator at a unit.
    pub(super) fn find(&self, ind: &IndicatorPlan, level: Level, code: u32) -> Option<&'r Row> {
        let period = ind
            .levels
            .iter()
            .find(|l| l.level == level)?
            .period
            .to_string();
        self.get(&ind.name, level, code, &period)
    }

    /// The country's row in the period of the indicator's municipal figures (which may differ
    /// from the country's own), for the country line under a municipal table.
    pub(super) fn country_beside_municipalities(&self, ind: &IndicatorPlan) -> Option<&'r Row> {
        let period = ind
            .levels
            .iter()
            .find(|l| l.level == Level::Municipality)
            .map(|l| l.period.to_string())
            .unwrap_or_default();
        self.get(&ind.name, Level::National, 0, &period)
    }
}

/// Footnotes from an indicator's rules: periods, standardisation, suppression, its own notes,
/// in the publication's phrasing.
pub fn footnotes(p: &Publication, plan: &Plan, ind: &IndicatorPlan) -> Vec<String> {
    let f = &p.footnotes;
    let mut notes = Vec::new();
    for l in &ind.levels {
        // Without a comparison period there is no development marking; a stated reason says
        // so below, once.
        let this = l.period.to_string();
        let period = match (l.compare, &l.no_development) {
            (Some(c), _) => fill(
                f.period_compared.get_ref(),
                &[("period", &this), ("compare", &c.to_string())],
            ),
            (None, Some(_)) => this,
            (None, None) => fill(f.period_without_development.get_ref(), &[("period", &this)]),
        };
        if ind.kind == MeasureKind::NoFigures {
            // Listed without figures: no period, standardisation or suppression to explain.
            notes.extend(l.footnotes.iter().cloned());
            continue;
        }
        let mut text = fill(
            f.level.get_ref(),
            &[("level", f.levels.get(l.level)), ("period", &period)],
        );
        if let Some(s) = &l.standardisation {
            let against = match &s.standard {
                StandardRef::National => f.against_country.clone(),
                StandardRef::Declared(id) => fill(
                    f.against_standard.get_ref(),
                    &[("standard", &plan.standards[*id].name)],
                ),
            };
            text.push_str(&fill(f.standardised.get_ref(), &[("against", &against)]));
        }
        for s in &l.suppressions {
            text.push_str(&match &s.explanation {
                Some(e) => fill(f.suppression_explained.get_ref(), &[("explanation", e)]),
                None => fill(
                    f.suppression_rule.get_ref(),
                    &[("rule", &s.reason.to_string())],
                ),
            });
        }
        if let Some(reason) = &l.no_development {
            text.push_str(&fill(f.no_development.get_ref(), &[("reason", reason)]));
        }
        text.push_str(&f.end);
        notes.push(text);
        notes.extend(l.footnotes.iter().cloned());
    }
    if let Some(source) = &ind.data_source {
        notes.push(fill(f.source.get_ref(), &[("source", source)]));
    }
    notes.dedup();
    notes
}

const STYLE: &str = "
body { font-family: 'Helvetica Neue', Arial, sans-serif; margin: 2rem; color: #1a1a1a; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.5rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.figure { text-align: right; white-space: nowrap; }
tr.goal th { background: #dde6ee; text-align: left; }
.value { margin-right: 0.4rem; font-variant-numeric: tabular-nums; }
.mark { display: inline-block; width: 1.1em; text-align: center; }
.mark.green { color: #1b7f3b; } .mark.yellow { color: #b38600; } .mark.red { color: #b3261e; }
.hidden { color: #777; }
.legend span.mark { margin: 0 0.2rem; }
sup { font-size: 0.7em; }
ol.notes { font-size: 0.8rem; }
@media print { body { margin: 0.5cm; } h2 { page-break-before: always; } table { page-break-inside: auto; } tr { page-break-inside: avoid; } }
";

fn legend(p: &Publication) -> String {
    let shape = |m| marking(p, Compared::Development, Some(m));
    format!(
        "<p class=\"legend\">{}</p>",
        fill(
            &escape(p.markings.legend.get_ref()),
            &[
                ("green", &shape(Marking::Green)),
                ("yellow", &shape(Marking::Yellow)),
                ("red", &shape(Marking::Red)),
                ("tolerance", &escape(&p.tolerance_percent())),
            ],
        )
    )
}

fn tabel_1(p: &Publication, out: &mut String, counts: &[GoalCount]) {
    let t = &p.tabel_1;
    writeln!(
        out,
        "<h2 id=\"{}\">{}</h2>\n<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        escape(&t.anchor),
        escape(&t.heading),
        escape(&t.goal),
        escape(&t.green),
        escape(&t.yellow),
        escape(&t.red)
    )
    .ok();
    let (mut g, mut y, mut r) = (0, 0, 0);
    for c in counts {
        writeln!(
            out,
            "<tr><td>{}</td><td class=\"figure\">{}</td><td class=\"figure\">{}</td><td class=\"figure\">{}</td></tr>",
            escape(&c.title),
            c.green,
            c.yellow,
            c.red
        )
        .ok();
        g += c.green;
        y += c.yellow;
        r += c.red;
    }
    writeln!(out, "<tr><th>{}</th><th class=\"figure\">{g}</th><th class=\"figure\">{y}</th><th class=\"figure\">{r}</th></tr>\n</table>", escape(&t.total)).ok();
}

/// The whole page.
pub fn render(plan: &Plan, geo: &Geography, report: &Report, p: &Publication) -> String {
    let shown: Vec<&IndicatorPlan> = report_order(plan, report);
    let rows = RowIndex::new(report);
    let mut notes: Vec<(String, Vec<String>)> = Vec::new();
    let mut out = String::new();
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>",
        escape(&p.language),
        escape(&p.title),
        escape(&p.title)
    )
    .ok();
    out.push_str(&legend(p));
    tabel_1(p, &mut out, &report.tabel_1);

    // The regional table, grouped by goal.
    write!(
        out,
        "<h2 id=\"{}\">{}</h2>\n<table class=\"regions\">\n<tr><th>{}</th>",
        escape(&p.regions.anchor),
        escape(&p.regions.heading),
        escape(&p.regions.indicator)
    )
    .ok();
    writeln!(out, "<th>{}</th>", escape(&geo.country_name)).ok();
    for r in &geo.regions {
        write!(out, "<th>{}</th>", escape(&r.name)).ok();
    }
    out.push_str("</tr>\n");
    let mut current_goal: Option<&str> = None;
    for ind in &shown {
        if ind.goal.as_deref() != current_goal {
            current_goal = ind.goal.as_deref();
            let title = plan.goal_title(current_goal);
            writeln!(
                out,
                "<tr class=\"goal\"><th colspan=\"{}\">{}</th></tr>",
                geo.regions.len() + 2,
                escape(title)
            )
            .ok();
        }
        let note = note_number(&mut notes, p, plan, ind);
        write!(out, "<tr><td>{}<sup>{note}</sup></td>", title_and_unit(ind)).ok();
        let has = |l: Level| ind.levels.iter().any(|x| x.level == l);
        out.push_str(&if has(Level::National) {
            cell(p, rows.find(ind, Level::National, 0), ind.decimals)
        } else {
            "<td></td>".to_string()
        });
        for r in &geo.regions {
            out.push_str(&if has(Level::Region) {
                cell(p, rows.find(ind, Level::Region, r.code), ind.decimals)
            } else {
                "<td></td>".to_string()
            });
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");

    // One municipal table per region.
    let municipal: Vec<&&IndicatorPlan> = shown
        .iter()
        .filter(|i| i.levels.iter().any(|l| l.level == Level::Municipality))
        .collect();
    if !municipal.is_empty() {
        for (ri, region) in geo.regions.iter().enumerate() {
            let m = &p.municipalities;
            let code = region.code.to_string();
            writeln!(
                out,
                "<h2 id=\"{}\">{}</h2>\n<table class=\"municipalities\">\n<tr><th>{}</th>",
                escape(&fill(m.anchor.get_ref(), &[("code", &code)])),
                escape(&fill(m.heading.get_ref(), &[("region", &region.name)])),
                escape(&m.municipality)
            )
            .ok();
            for ind in &municipal {
                let note = note_number(&mut notes, p, plan, ind);
                write!(out, "<th>{}<sup>{note}</sup></th>", title_and_unit(ind)).ok();
            }
            out.push_str("</tr>\n");
            for m in geo.municipalities.iter().filter(|m| m.region == ri) {
                write!(out, "<tr><td>{}</td>", escape(&m.name)).ok();
                for ind in &municipal {
                    out.push_str(&cell(
                        p,
                        rows.find(ind, Level::Municipality, m.code),
                        ind.decimals,
                    ));
                }
                out.push_str("</tr>\n");
            }
            write!(out, "<tr><th>{}</th>", escape(&geo.country_name)).ok();
            for ind in &municipal {
                let national = rows.country_beside_municipalities(ind);
                out.push_str(&cell(p, national, ind.decimals));
            }
            out.push_str("</tr>\n</table>\n");
        }
    }

    writeln!(
        out,
        "<h2 id=\"{}\">{}</h2>\n<ol class=\"notes\">",
        escape(&p.notes.anchor),
        escape(&p.notes.heading)
    )
    .ok();
    for (indicator, lines) in &notes {
        writeln!(
            out,
            "<li><strong>{}</strong>: {}</li>",
            escape(indicator),
            escape(&lines.join(" "))
        )
        .ok();
    }
    out.push_str("</ol>\n");
    if let Some(stamp) = &report.provenance {
        let footer = fill(
            p.stamp.footer.get_ref(),
            &[
                ("tool", &stamp.tool),
                ("version", &stamp.version),
                (
                    "rules",
                    &super::provenance::Provenance::short(&stamp.rule_files),
                ),
                (
                    "extracts",
                    &super::provenance::Provenance::short(&stamp.extracts),
                ),
            ],
        );
        writeln!(out, "<footer class=\"stamp\">{}</footer>", escape(&footer)).ok();
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The footnote number of an indicator, adding its notes the first time.
fn note_number(
    notes: &mut Vec<(String, Vec<String>)>,
    p: &Publication,
    plan: &Plan,
    ind: &IndicatorPlan,
) -> usize {
    if let Some(k) = notes.iter().position(|(t, _)| *t == ind.title) {
        return k + 1;
    }
    notes.push((ind.title.clone(), footnotes(p, plan, ind)));
    notes.len()
}

/// The shown indicators in report order (as the report's rows list them).
pub(super) fn report_order<'p>(plan: &'p Plan, report: &Report) -> Vec<&'p IndicatorPlan> {
    let mut order: Vec<&IndicatorPlan> = Vec::new();
    for row in &report.rows {
        if let Some(ind) = plan.indicators.iter().find(|i| i.name == row.indicator)
            && !order.iter().any(|o| o.name == ind.name)
        {
            order.push(ind);
        }
    }
    order
}

/// The regional table as a wide CSV: one row per indicator, a value column per unit.
pub fn regions_csv(
    p: &Publication,
    plan: &Plan,
    geo: &Geography,
    report: &Report,
) -> std::io::Result<Vec<u8>> {
    let rows = RowIndex::new(report);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "goal".to_string(),
        "indicator".to_string(),
        "title".to_string(),
        "unit_label".to_string(),
    ];
    header.push(geo.country_name.clone());
    header.extend(geo.regions.iter().map(|r| r.name.clone()));
    w.write_record(&header)?;
    for ind in report_order(plan, report) {
        let mut record = vec![
            ind.goal.clone().unwrap_or_default(),
            ind.name.clone(),
            ind.title.clone(),
            ind.unit.clone(),
        ];
        let value = |row: Option<&Row>| {
            row.and_then(|r| r.value.filter(|_| r.suppressed.is_none()))
                .map(|v| p.number(v, ind.decimals))
                .unwrap_or_default()
        };
        record.push(value(rows.find(ind, Level::National, 0)));
        for r in &geo.regions {
            record.push(value(rows.find(ind, Level::Region, r.code)));
        }
        w.write_record(&record)?;
    }
    w.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// One region's municipal table as a wide CSV: one row per municipality, a column per indicator.
pub fn municipalities_csv(
    p: &Publication,
    plan: &Plan,
    geo: &Geography,
    report: &Report,
    region: usize,
) -> std::io::Result<Vec<u8>> {
    let indicators: Vec<&IndicatorPlan> = report_order(plan, report)
        .into_iter()
        .filter(|i| i.levels.iter().any(|l| l.level == Level::Municipality))
        .collect();
    let rows = RowIndex::new(report);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["code".to_string(), "municipality".to_string()];
    header.extend(indicators.iter().map(|i| i.name.clone()));
    w.write_record(&header)?;
    for m in geo.municipalities.iter().filter(|m| m.region == region) {
        let mut record = vec![m.code.to_string(), m.name.clone()];
        for ind in &indicators {
            let row = rows.find(ind, Level::Municipality, m.code);
            record.push(
                row.and_then(|r| r.value.filter(|_| r.suppressed.is_none()))
                    .map(|v| p.number(v, ind.decimals))
                    .unwrap_or_default(),
            );
        }
        w.write_record(&record)?;
    }
    w.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))
}
