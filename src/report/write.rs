//! Writers. The files of a report are made in memory and written as one directory that
//! replaces the old report whole (`output.rs`), so a failed or killed run leaves the old report
//! or the new one, never a mix.

use std::io;
use std::path::Path;

use super::{Marking, Report};

/// Full precision, the shortest text that reads back as the same number; empty when absent.
fn number(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => {
            let text = format!("{v}");
            if text == "-0" { "0".to_string() } else { text }
        }
        _ => String::new(),
    }
}

pub fn report_csv(report: &Report) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "indicator",
        "number",
        "goal",
        "title",
        "unit_label",
        "level",
        "unit_code",
        "unit_name",
        "period",
        "numerator",
        "denominator",
        "value",
        "ci_low",
        "ci_high",
        "suppressed",
        "development",
        "level_marking",
    ])?;
    for r in &report.rows {
        w.write_record([
            r.indicator.as_str(),
            &number(r.number),
            &r.goal,
            &r.title,
            &r.unit_label,
            r.level.as_str(),
            &r.unit_code.to_string(),
            &r.unit_name,
            &r.period,
            &number(r.numerator),
            &number(r.denominator),
            &number(r.value),
            &number(r.ci_low),
            &number(r.ci_high),
            r.published_reason().unwrap_or(""),
            r.development.map_or("", Marking::as_str),
            r.level_marking.map_or("", Marking::as_str),
        ])?;
    }
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

pub fn tabel_1_csv(report: &Report) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["goal", "title", "green", "yellow", "red", "without_marking"])?;
    for g in &report.tabel_1 {
        w.write_record([
            g.goal.as_str(),
            &g.title,
            &g.green.to_string(),
            &g.yellow.to_string(),
            &g.red.to_string(),
            &g.without_marking.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

pub fn data_quality_csv(report: &Report) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "file",
        "column",
        "problem",
        "rows",
        "first_line",
        "first_value",
    ])?;
    for q in &report.data_quality {
        w.write_record([
            q.file.as_str(),
            q.column.as_deref().unwrap_or(""),
            &q.problem,
            &q.rows.to_string(),
            &q.first_line.to_string(),
            q.first_value.as_deref().unwrap_or(""),
        ])?;
    }
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// Writes report.csv, report.json, tabel_1.csv and data_quality.csv into `out`.
pub fn write_all(report: &Report, out: &Path) -> io::Result<Vec<String>> {
    write_files(out, tables(report)?)
}

fn tables(report: &Report) -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut json =
        serde_json::to_vec_pretty(report).map_err(|e| io::Error::other(e.to_string()))?;
    json.push(b'\n');
    Ok(vec![
        ("report.csv".to_string(), report_csv(report)?),
        ("report.json".to_string(), json),
        ("tabel_1.csv".to_string(), tabel_1_csv(report)?),
        ("data_quality.csv".to_string(), data_quality_csv(report)?),
    ])
}

/// Writes the tables and the publication layout: report.html, the regional table and one
/// municipal table per region as wide CSV files, the Excel-friendly CSV files
/// (`excel_csv.rs`) and report.xlsx.
pub fn write_publication(
    plan: &crate::plan::Plan,
    geo: &crate::eval::Geography,
    report: &Report,
    publication: &super::publication::Publication,
    out: &Path,
) -> io::Result<Vec<String>> {
    let p = publication;
    let mut files = tables(report)?;
    files.push((
        "report.html".to_string(),
        super::html::render(plan, geo, report, p).into_bytes(),
    ));
    files.push((
        "table_regions.csv".to_string(),
        super::html::regions_csv(p, plan, geo, report)?,
    ));
    for (k, region) in geo.regions.iter().enumerate() {
        files.push((
            format!("table_municipalities_{}.csv", region.code),
            super::html::municipalities_csv(p, plan, geo, report, k)?,
        ));
    }
    files.push((
        "report_excel.csv".to_string(),
        super::excel_csv::report_excel_csv(p, report)?,
    ));
    files.push((
        "table_regions_excel.csv".to_string(),
        super::excel_csv::regions_excel_csv(p, plan, geo, report)?,
    ));
    for (k, region) in geo.regions.iter().enumerate() {
        files.push((
            format!("table_municipalities_{}_excel.csv", region.code),
            super::excel_csv::municipalities_excel_csv(p, plan, geo, report, k)?,
        ));
    }
    files.push((
        "report.xlsx".to_string(),
        super::xlsx::workbook(p, plan, geo, report)
            .map_err(|e| io::Error::other(format!("report.xlsx: {e}")))?,
    ));
    write_files(out, files)
}

/// Writes the report's files as the directory `out`, replacing an earlier report there whole.
fn write_files(out: &Path, files: Vec<(String, Vec<u8>)>) -> io::Result<Vec<String>> {
    super::output::write_dir(out, &files)?;
    Ok(files.into_iter().map(|(n, _)| n).collect())
}
