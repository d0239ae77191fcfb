//! The Excel-friendly CSV files, written beside the machine CSV files (which stay as they are):
//! semicolon-separated, the publication's decimal separator, UTF-8 with a byte-order mark (so
//! that Excel in a Danish setting opens them in columns and reads "Sjælland" right), with the
//! publication's words for levels, markings and the reasons for blanks.
//!
//! - `report_excel.csv`: every figure of report.csv, in its order and columns, at full
//!   precision;
//! - `table_regions_excel.csv` and `table_municipalities_CODE_excel.csv`: the wide tables as
//!   published (rounded to the indicator's decimals), each unit's figure followed by its two
//!   markings.

use std::io;

use super::html::{RowIndex, report_order};
use super::publication::Publication;
use super::xlsx::marking_text;
use super::{Report, Row};
use crate::eval::Geography;
use crate::plan::{IndicatorPlan, Level, Plan};

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(BOM.to_vec())
}

fn finish(w: csv::Writer<Vec<u8>>) -> io::Result<Vec<u8>> {
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// Full precision, the shortest text that reads back as the same number, with the
/// publication's decimal separator and no thousands separator; empty when absent.
fn full(p: &Publication, x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => {
            let text = format!("{v}");
            let text = if text == "-0" { "0".to_string() } else { text };
            text.replace('.', &p.numbers.decimal_separator)
        }
        _ => String::new(),
    }
}

/// Every figure of report.csv with the publication's column names and words.
pub fn report_excel_csv(p: &Publication, report: &Report) -> io::Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(p.figures.columns())?;
    for r in &report.rows {
        let marking = |m: Option<super::Marking>, words| {
            m.map(|m| marking_text(p, words, m)).unwrap_or_default()
        };
        w.write_record([
            r.indicator.as_str(),
            &full(p, r.number),
            &r.goal,
            &r.title,
            &r.unit_label,
            p.levels.get(r.level),
            &r.unit_code.to_string(),
            &r.unit_name,
            &r.period,
            &full(p, r.numerator),
            &full(p, r.denominator),
            &full(p, r.value),
            &full(p, r.ci_low),
            &full(p, r.ci_high),
            r.published_reason().map_or("", |x| p.reasons.get(x)),
            &marking(r.development, &p.markings.development),
            &marking(r.level_marking, &p.markings.level),
        ])?;
    }
    finish(w)
}

/// A figure as published: the value (or the words for why it is not shown) and its two
/// markings.
fn published(p: &Publication, row: Option<&Row>, decimals: u32) -> [String; 3] {
    let Some(r) = row else {
        return Default::default();
    };
    let value = match (r.value, r.published_reason()) {
        (Some(v), None) => p.number(v, decimals),
        (_, Some(reason)) => p.reasons.get(reason).to_string(),
        (None, None) => p.reasons.blank.clone(),
    };
    let marking =
        |m: Option<super::Marking>, words| m.map(|m| marking_text(p, words, m)).unwrap_or_default();
    [
        value,
        marking(r.development, &p.markings.development),
        marking(r.level_marking, &p.markings.level),
    ]
}

/// The three column names of a unit's figure.
fn unit_columns(p: &Publication, unit: &str) -> [String; 3] {
    [
        unit.to_string(),
        format!("{unit}: {}", p.figures.development),
        format!("{unit}: {}", p.figures.level_marking),
    ]
}

fn label(ind: &IndicatorPlan) -> String {
    if ind.unit.is_empty() {
        ind.title.clone()
    } else {
        format!("{}, {}", ind.title, ind.unit)
    }
}

/// The regional table: a row per indicator, the country's and each region's figure.
pub fn regions_excel_csv(
    p: &Publication,
    plan: &Plan,
    geo: &Geography,
    report: &Report,
) -> io::Result<Vec<u8>> {
    let rows = RowIndex::new(report);
    let mut w = writer();
    let mut header = vec![p.tabel_1.goal.clone(), p.regions.indicator.clone()];
    header.extend(unit_columns(p, &geo.country_name));
    for r in &geo.regions {
        header.extend(unit_columns(p, &r.name));
    }
    w.write_record(&header)?;
    for ind in report_order(plan, report) {
        let goal = plan.goal_title(ind.goal.as_deref()).to_string();
        let mut record = vec![goal, label(ind)];
        let has = |l: Level| ind.levels.iter().any(|x| x.level == l);
        let national = has(Level::National).then(|| rows.find(ind, Level::National, 0));
        record.extend(published(p, national.flatten(), ind.decimals));
        for r in &geo.regions {
            let found = has(Level::Region).then(|| rows.find(ind, Level::Region, r.code));
            record.extend(published(p, found.flatten(), ind.decimals));
        }
        w.write_record(&record)?;
    }
    finish(w)
}

/// One region's municipal table: a row per municipality and one for the country.
pub fn municipalities_excel_csv(
    p: &Publication,
    plan: &Plan,
    geo: &Geography,
    report: &Report,
    region: usize,
) -> io::Result<Vec<u8>> {
    let indicators: Vec<&IndicatorPlan> = report_order(plan, report)
        .into_iter()
        .filter(|i| i.levels.iter().any(|l| l.level == Level::Municipality))
        .collect();
    let rows = RowIndex::new(report);
    let mut w = writer();
    let mut header = vec![
        p.figures.unit_code.clone(),
        p.municipalities.municipality.clone(),
    ];
    for ind in &indicators {
        header.extend(unit_columns(p, &label(ind)));
    }
    w.write_record(&header)?;
    for m in geo.municipalities.iter().filter(|m| m.region == region) {
        let mut record = vec![m.code.to_string(), m.name.clone()];
        for ind in &indicators {
            let found = rows.find(ind, Level::Municipality, m.code);
            record.extend(published(p, found, ind.decimals));
        }
        w.write_record(&record)?;
    }
    let mut record = vec!["0".to_string(), geo.country_name.clone()];
    for ind in &indicators {
        let national = rows.country_beside_municipalities(ind);
        record.extend(published(p, national, ind.decimals));
    }
    w.write_record(&record)?;
    finish(w)
}
