//! The publication layout as one self-contained HTML page: the regional table grouped by goal
//! (the country and the regions, both markings per figure), a municipal table per region,
//! "Tabel 1", and footnotes generated from the rules. Danish number formatting; markings carry
//! a shape and a word as well as a colour, so they read in black and white and to a screen
//! reader.

use std::collections::HashMap;
use std::fmt::Write;

use super::{GoalCount, Marking, Report, Row};
use crate::eval::Geography;
use crate::plan::{IndicatorPlan, Level, MeasureKind, Plan, StandardRef};

/// `1234.56` with 1 decimal → `1.234,6`: decimal comma, thousands point, rounded half away
/// from zero.
pub fn danish_number(value: f64, decimals: u32) -> String {
    let factor = 10f64.powi(decimals as i32);
    let rounded = (value.abs() * factor).round() / factor;
    let text = format!("{rounded:.*}", decimals as usize);
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (k, c) in whole.chars().enumerate() {
        if k > 0 && (whole.len() - k) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if value < 0.0 && rounded != 0.0 {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{fraction}")
    }
}

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
fn marking(kind: Compared, marking: Option<Marking>) -> String {
    let Some(m) = marking else {
        return "<span class=\"mark none\" aria-label=\"ingen markering\"></span>".to_string();
    };
    let (shape, word) = match (kind, m) {
        (Compared::Development, Marking::Green) => ("▲", "udvikling: bedre"),
        (Compared::Development, Marking::Yellow) => ("■", "udvikling: uændret"),
        (Compared::Development, Marking::Red) => ("▼", "udvikling: dårligere"),
        (Compared::Level, Marking::Green) => ("▲", "niveau: bedre end landet"),
        (Compared::Level, Marking::Yellow) => ("■", "niveau: som landet"),
        (Compared::Level, Marking::Red) => ("▼", "niveau: dårligere end landet"),
    };
    format!(
        "<span class=\"mark {m}\" role=\"img\" aria-label=\"{word}\" title=\"{word}\">{shape}</span>"
    )
}

fn cell(row: Option<&Row>, decimals: u32) -> String {
    match row {
        Some(r) => match (r.value, &r.suppressed) {
            (Some(v), None) => format!(
                "<td class=\"figure\"><span class=\"value\">{}</span>{}{}</td>",
                danish_number(v, decimals),
                marking(Compared::Development, r.development),
                marking(Compared::Level, r.level_marking)
            ),
            (_, Some(reason)) => match super::disclosure::published_reason(reason) {
                // One word for every withheld cell; the rules' texts are in the footnote.
                super::disclosure::WITHHELD => {
                    "<td class=\"figure hidden\" title=\"ikke vist\">–</td>".to_string()
                }
                reason => format!(
                    "<td class=\"figure hidden\" title=\"ikke vist: {}\">–</td>",
                    escape(reason)
                ),
            },
            _ => "<td class=\"figure hidden\">–</td>".to_string(),
        },
        None => "<td class=\"figure\"></td>".to_string(),
    }
}

/// The report's rows by indicator, level, unit code and period (the first row of each), as the
/// tables look up a cell for every unit of every indicator.
struct RowIndex<'r>(HashMap<(&'r str, Level, u32, &'r str), &'r Row>);

impl<'r> RowIndex<'r> {
    fn new(report: &'r Report) -> RowIndex<'r> {
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

    fn get(&self, indicator: &str, level: Level, code: u32, period: &str) -> Option<&'r Row> {
        self.0.get(&(indicator, level, code, period)).copied()
    }

    /// The report-period row of an indicator at a unit.
    fn find(&self, ind: &IndicatorPlan, level: Level, code: u32) -> Option<&'r Row> {
        let period = ind
            .levels
            .iter()
            .find(|l| l.level == level)?
            .period
            .to_string();
        self.get(&ind.name, level, code, &period)
    }
}

/// Footnotes from an indicator's rules: periods, standardisation, suppression, its own notes.
pub fn footnotes(plan: &Plan, ind: &IndicatorPlan) -> Vec<String> {
    let mut notes = Vec::new();
    let name = |l: Level| match l {
        Level::National => "landet",
        Level::Region => "regionerne",
        Level::Municipality => "kommunerne",
    };
    for l in &ind.levels {
        // Without a comparison period there is no development marking; a stated reason says
        // so below, once.
        let period = match (l.compare, &l.no_development) {
            (Some(c), _) => format!("{} sammenlignet med {}", l.period, c),
            (None, Some(_)) => l.period.to_string(),
            (None, None) => format!("{} (ingen udviklingsmarkering)", l.period),
        };
        if ind.kind == MeasureKind::NoFigures {
            // Listed without figures: no period, standardisation or suppression to explain.
            notes.extend(l.footnotes.iter().cloned());
            continue;
        }
        let mut text = format!("For {}: {period}", name(l.level));
        if let Some(s) = &l.standardisation {
            let against = match &s.standard {
                StandardRef::National => "landets fordeling af nævneren".to_string(),
                StandardRef::Declared(id) => {
                    format!("standardpopulationen {}", plan.standards[*id].name)
                }
            };
            write!(text, "; køns- og aldersstandardiseret efter {against}").ok();
        }
        for s in &l.suppressions {
            match &s.explanation {
                Some(e) => write!(text, "; ikke vist: {e}").ok(),
                None => write!(text, "; ikke vist ved {}", s.reason).ok(),
            };
        }
        if let Some(reason) = &l.no_development {
            write!(text, "; ingen udviklingsmarkering: {reason}").ok();
        }
        notes.push(format!("{text}."));
        notes.extend(l.footnotes.iter().cloned());
    }
    if let Some(source) = &ind.data_source {
        notes.push(format!("Kilde: {source}."));
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

fn legend() -> String {
    format!(
        "<p class=\"legend\">Første markering: udvikling siden sidste periode; anden markering: niveau i forhold til landet. \
         {} bedre {} uændret eller som landet (inden for ±1 %) {} dårligere. \
         Markeringerne er beregnet på de fulde tal, de viste tal er afrundede. – betyder, at tallet ikke vises.</p>",
        marking(Compared::Development, Some(Marking::Green)),
        marking(Compared::Development, Some(Marking::Yellow)),
        marking(Compared::Development, Some(Marking::Red))
    )
}

fn tabel_1(out: &mut String, counts: &[GoalCount]) {
    out.push_str("<h2 id=\"tabel-1\">Tabel 1. Udviklingen i de nationale indikatorer</h2>\n<table>\n<tr><th>Mål</th><th>Grøn</th><th>Gul</th><th>Rød</th></tr>\n");
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
    writeln!(out, "<tr><th>I alt</th><th class=\"figure\">{g}</th><th class=\"figure\">{y}</th><th class=\"figure\">{r}</th></tr>\n</table>").ok();
}

/// The whole page.
pub fn render(plan: &Plan, geo: &Geography, report: &Report, title: &str) -> String {
    let shown: Vec<&IndicatorPlan> = report_order(plan, report);
    let rows = RowIndex::new(report);
    let mut notes: Vec<(String, Vec<String>)> = Vec::new();
    let mut out = String::new();
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"da\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>",
        escape(title),
        escape(title)
    )
    .ok();
    out.push_str(&legend());
    tabel_1(&mut out, &report.tabel_1);

    // The regional table, grouped by goal.
    out.push_str("<h2 id=\"regioner\">Nationale mål – fordelt på regioner</h2>\n<table class=\"regions\">\n<tr><th>Indikator</th>");
    writeln!(out, "<th>{}</th>", escape(&geo.country_name)).ok();
    for r in &geo.regions {
        write!(out, "<th>{}</th>", escape(&r.name)).ok();
    }
    out.push_str("</tr>\n");
    let mut current_goal: Option<&str> = None;
    for ind in &shown {
        if ind.goal.as_deref() != current_goal {
            current_goal = ind.goal.as_deref();
            let title = plan
                .goals
                .iter()
                .find(|g| Some(g.name.as_str()) == current_goal)
                .map(|g| g.title.clone())
                .unwrap_or_default();
            writeln!(
                out,
                "<tr class=\"goal\"><th colspan=\"{}\">{}</th></tr>",
                geo.regions.len() + 2,
                escape(&title)
            )
            .ok();
        }
        let note = note_number(&mut notes, plan, ind);
        write!(out, "<tr><td>{}<sup>{note}</sup></td>", title_and_unit(ind)).ok();
        let has = |l: Level| ind.levels.iter().any(|x| x.level == l);
        out.push_str(&if has(Level::National) {
            cell(rows.find(ind, Level::National, 0), ind.decimals)
        } else {
            "<td></td>".to_string()
        });
        for r in &geo.regions {
            out.push_str(&if has(Level::Region) {
                cell(rows.find(ind, Level::Region, r.code), ind.decimals)
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
            writeln!(
                out,
                "<h2 id=\"kommuner-{}\">Nationale mål – kommuner i {}</h2>\n<table class=\"municipalities\">\n<tr><th>Kommune</th>",
                region.code,
                escape(&region.name)
            )
            .ok();
            for ind in &municipal {
                let note = note_number(&mut notes, plan, ind);
                write!(out, "<th>{}<sup>{note}</sup></th>", title_and_unit(ind)).ok();
            }
            out.push_str("</tr>\n");
            for m in geo.municipalities.iter().filter(|m| m.region == ri) {
                write!(out, "<tr><td>{}</td>", escape(&m.name)).ok();
                for ind in &municipal {
                    out.push_str(&cell(
                        rows.find(ind, Level::Municipality, m.code),
                        ind.decimals,
                    ));
                }
                out.push_str("</tr>\n");
            }
            write!(out, "<tr><th>{}</th>", escape(&geo.country_name)).ok();
            for ind in &municipal {
                // The country in the municipal figures' period, which may differ from its own.
                let period = ind
                    .levels
                    .iter()
                    .find(|l| l.level == Level::Municipality)
                    .map(|l| l.period.to_string())
                    .unwrap_or_default();
                let national = rows.get(&ind.name, Level::National, 0, &period);
                out.push_str(&cell(national, ind.decimals));
            }
            out.push_str("</tr>\n</table>\n");
        }
    }

    out.push_str("<h2 id=\"anmaerkninger\">Anmærkninger</h2>\n<ol class=\"notes\">\n");
    for (indicator, lines) in &notes {
        writeln!(
            out,
            "<li><strong>{}</strong>: {}</li>",
            escape(indicator),
            escape(&lines.join(" "))
        )
        .ok();
    }
    out.push_str("</ol>\n</body>\n</html>\n");
    out
}

/// The footnote number of an indicator, adding its notes the first time.
fn note_number(notes: &mut Vec<(String, Vec<String>)>, plan: &Plan, ind: &IndicatorPlan) -> usize {
    if let Some(k) = notes.iter().position(|(t, _)| *t == ind.title) {
        return k + 1;
    }
    notes.push((ind.title.clone(), footnotes(plan, ind)));
    notes.len()
}

/// The shown indicators in report order (as the report's rows list them).
fn report_order<'p>(plan: &'p Plan, report: &Report) -> Vec<&'p IndicatorPlan> {
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
pub fn regions_csv(plan: &Plan, geo: &Geography, report: &Report) -> std::io::Result<Vec<u8>> {
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
                .map(|v| danish_number(v, ind.decimals))
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
                    .map(|v| danish_number(v, ind.decimals))
                    .unwrap_or_default(),
            );
        }
        w.write_record(&record)?;
    }
    w.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::danish_number;

    #[test]
    fn danish_numbers() {
        assert_eq!(danish_number(1234.56, 1), "1.234,6");
        assert_eq!(danish_number(11.0, 1), "11,0");
        assert_eq!(danish_number(0.05, 1), "0,1");
        assert_eq!(danish_number(-0.04, 1), "0,0");
        assert_eq!(danish_number(-2.5, 0), "-3");
        assert_eq!(danish_number(1234567.0, 0), "1.234.567");
        assert_eq!(danish_number(81.449, 1), "81,4");
    }
}
