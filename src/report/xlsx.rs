//! report.xlsx: the publication as an Excel workbook. Sheets: Tabel 1, the regional table, a
//! municipal table per region, every figure of report.csv once (the long sheet), and the
//! notes (footnotes per indicator, the extracts read). Figures are numeric cells with an Excel
//! number format of the indicator's decimals (Excel writes the separators of the reader's
//! language); a marking is its shape and words on the publication's fill; a figure not shown is
//! the publication's words for its reason. Header rows and the first column are frozen.
//!
//! Every text is the publication file's; the workbook's creation date is fixed, so the same
//! run gives the same bytes.

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatPattern, Workbook, Worksheet, XlsxError,
};

use super::html::{RowIndex, footnotes, report_order};
use super::publication::{Publication, fill, sheet_name};
use super::{Marking, Report, Row};
use crate::eval::Geography;
use crate::plan::{IndicatorPlan, Level, Plan};

/// The Excel number format of a figure with `decimals` decimals: `#,##0.0` for one.
pub fn number_format(decimals: u32) -> String {
    if decimals == 0 {
        "#,##0".to_string()
    } else {
        format!("#,##0.{}", "0".repeat(decimals as usize))
    }
}

struct Formats {
    heading: Format,
    header: Format,
    goal: Format,
    hidden: Format,
    text: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            heading: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color(Color::RGB(0xF0F0F0))
                .set_pattern(FormatPattern::Solid),
            goal: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xDDE6EE))
                .set_pattern(FormatPattern::Solid),
            hidden: Format::new()
                .set_font_color(Color::RGB(0x777777))
                .set_align(rust_xlsxwriter::FormatAlign::Right),
            text: Format::new().set_text_wrap(),
        }
    }

    fn number(decimals: u32) -> Format {
        Format::new().set_num_format(number_format(decimals))
    }

    fn marking(p: &Publication, m: Marking) -> Format {
        let rgb = u32::from_str_radix(p.markings.fills.get(m), 16).unwrap_or(0xFFFFFF);
        Format::new()
            .set_background_color(Color::RGB(rgb))
            .set_pattern(FormatPattern::Solid)
            .set_align(rust_xlsxwriter::FormatAlign::Center)
    }
}

/// What a marking cell holds: the shape, then the words.
pub fn marking_text(p: &Publication, words: &super::publication::ByMarking, m: Marking) -> String {
    format!("{} {}", p.markings.shapes.get(m), words.get(m))
}

/// "Title, unit", as the tables label an indicator.
fn label(ind: &IndicatorPlan) -> String {
    if ind.unit.is_empty() {
        ind.title.clone()
    } else {
        format!("{}, {}", ind.title, ind.unit)
    }
}

/// Writes a figure as three cells from `col`: the value (or the reason it is not shown), the
/// development marking and the level marking.
fn figure(
    sheet: &mut Worksheet,
    p: &Publication,
    f: &Formats,
    row: u32,
    col: u16,
    figure: Option<&Row>,
    decimals: u32,
) -> Result<(), XlsxError> {
    let Some(r) = figure else {
        return Ok(());
    };
    match (r.value, r.published_reason()) {
        (Some(v), None) => {
            sheet.write_number_with_format(row, col, v, &Formats::number(decimals))?;
        }
        (_, Some(reason)) => {
            sheet.write_string_with_format(row, col, p.reasons.get(reason), &f.hidden)?;
        }
        (None, None) => {
            sheet.write_string_with_format(row, col, &p.reasons.blank, &f.hidden)?;
        }
    }
    for (k, (marking, words)) in [
        (r.development, &p.markings.development),
        (r.level_marking, &p.markings.level),
    ]
    .into_iter()
    .enumerate()
    {
        if let Some(m) = marking {
            sheet.write_string_with_format(
                row,
                col + 1 + k as u16,
                marking_text(p, words, m),
                &Formats::marking(p, m),
            )?;
        }
    }
    Ok(())
}

/// The header of a unit's three columns.
fn unit_header(
    sheet: &mut Worksheet,
    p: &Publication,
    f: &Formats,
    row: u32,
    col: u16,
    name: &str,
) -> Result<(), XlsxError> {
    sheet.write_string_with_format(row, col, name, &f.header)?;
    sheet.write_string_with_format(row, col + 1, &p.figures.development, &f.header)?;
    sheet.write_string_with_format(row, col + 2, &p.figures.level_marking, &f.header)?;
    sheet.set_column_width(col, 11)?;
    sheet.set_column_width(col + 1, 14)?;
    sheet.set_column_width(col + 2, 14)?;
    Ok(())
}

fn legend(p: &Publication) -> String {
    fill(
        p.markings.legend.get_ref(),
        &[
            ("green", p.markings.shapes.get(Marking::Green)),
            ("yellow", p.markings.shapes.get(Marking::Yellow)),
            ("red", p.markings.shapes.get(Marking::Red)),
            ("tolerance", &p.tolerance_percent()),
        ],
    )
}

/// A new sheet named within Excel's limits.
fn sheet<'w>(
    workbook: &'w mut Workbook,
    names: &mut Vec<String>,
    name: &str,
) -> Result<&'w mut Worksheet, XlsxError> {
    let name = sheet_name(name, names);
    names.push(name.clone());
    let sheet = workbook.add_worksheet();
    sheet.set_name(name)?;
    Ok(sheet)
}

/// The run's stamp as label and value lines, for the notes sheet.
fn stamp_lines(p: &Publication, report: &Report) -> Vec<(String, String)> {
    let Some(stamp) = &report.provenance else {
        return Vec::new();
    };
    let t = &p.stamp;
    let mut lines = vec![
        (
            t.version.clone(),
            format!("{} {}", stamp.tool, stamp.version),
        ),
        (t.command_line.clone(), stamp.command_line.join(" ")),
    ];
    let hashed = |label: &str, h: &super::provenance::FileHash| {
        let value = match &h.sha256 {
            Some(sha256) => format!("{}  sha256:{sha256}", h.file),
            None => h.file.clone(),
        };
        (label.to_string(), value)
    };
    lines.extend(stamp.rule_files.iter().map(|h| hashed(&t.rule_file, h)));
    lines.extend(stamp.publication.iter().map(|h| hashed(&t.publication, h)));
    lines.push(hashed(&t.geography, &stamp.geography));
    lines.extend(stamp.extracts.iter().map(|h| hashed(&t.extract, h)));
    lines
}

/// The workbook's bytes.
pub fn workbook(
    p: &Publication,
    plan: &Plan,
    geo: &Geography,
    report: &Report,
) -> Result<Vec<u8>, XlsxError> {
    let stamp = stamp_lines(p, report);
    let f = Formats::new();
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title(&p.title)
            .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?),
    );
    let mut names = Vec::new();
    let shown = report_order(plan, report);
    let rows = RowIndex::new(report);

    // Tabel 1.
    let t = &p.tabel_1;
    let s = sheet(&mut workbook, &mut names, &t.sheet)?;
    s.write_string_with_format(0, 0, &t.heading, &f.heading)?;
    let header = [&t.goal, &t.green, &t.yellow, &t.red, &t.without_marking];
    for (k, h) in header.iter().enumerate() {
        s.write_string_with_format(2, k as u16, *h, &f.header)?;
    }
    let mut total = [0usize; 4];
    let mut r = 3;
    for c in &report.tabel_1 {
        s.write_string(r, 0, &c.title)?;
        for (k, n) in [c.green, c.yellow, c.red, c.without_marking]
            .into_iter()
            .enumerate()
        {
            s.write_number_with_format(r, 1 + k as u16, n as f64, &Formats::number(0))?;
            total[k] += n;
        }
        r += 1;
    }
    s.write_string_with_format(r, 0, &t.total, &f.header)?;
    for (k, n) in total.into_iter().enumerate() {
        s.write_number_with_format(r, 1 + k as u16, n as f64, &Formats::number(0))?;
    }
    s.set_column_width(0, 45)?;
    s.set_freeze_panes(3, 1)?;

    // The regional table, grouped by goal.
    let s = sheet(&mut workbook, &mut names, &p.regions.sheet)?;
    s.write_string_with_format(0, 0, &p.regions.heading, &f.heading)?;
    s.write_string(1, 0, legend(p))?;
    s.write_string_with_format(2, 0, &p.regions.indicator, &f.header)?;
    s.set_column_width(0, 50)?;
    unit_header(s, p, &f, 2, 1, &geo.country_name)?;
    for (k, region) in geo.regions.iter().enumerate() {
        unit_header(s, p, &f, 2, 4 + 3 * k as u16, &region.name)?;
    }
    let mut r = 3;
    let mut current_goal: Option<&str> = None;
    for ind in &shown {
        if ind.goal.as_deref() != current_goal {
            current_goal = ind.goal.as_deref();
            let title = plan.goal_title(current_goal);
            s.write_string_with_format(r, 0, title, &f.goal)?;
            r += 1;
        }
        s.write_string_with_format(r, 0, label(ind), &f.text)?;
        let has = |l: Level| ind.levels.iter().any(|x| x.level == l);
        if has(Level::National) {
            let national = rows.find(ind, Level::National, 0);
            figure(s, p, &f, r, 1, national, ind.decimals)?;
        }
        if has(Level::Region) {
            for (k, region) in geo.regions.iter().enumerate() {
                let found = rows.find(ind, Level::Region, region.code);
                figure(s, p, &f, r, 4 + 3 * k as u16, found, ind.decimals)?;
            }
        }
        r += 1;
    }
    s.set_freeze_panes(3, 1)?;

    // One municipal table per region.
    let municipal: Vec<&&IndicatorPlan> = shown
        .iter()
        .filter(|i| i.levels.iter().any(|l| l.level == Level::Municipality))
        .collect();
    if !municipal.is_empty() {
        for (ri, region) in geo.regions.iter().enumerate() {
            let m = &p.municipalities;
            let name = fill(m.sheet.get_ref(), &[("region", &region.name)]);
            let s = sheet(&mut workbook, &mut names, &name)?;
            let heading = fill(m.heading.get_ref(), &[("region", &region.name)]);
            s.write_string_with_format(0, 0, heading, &f.heading)?;
            s.write_string(1, 0, legend(p))?;
            s.write_string_with_format(2, 0, &m.municipality, &f.header)?;
            s.set_column_width(0, 22)?;
            s.set_row_height(2, 60)?;
            for (k, ind) in municipal.iter().enumerate() {
                unit_header(s, p, &f, 2, 1 + 3 * k as u16, &label(ind))?;
            }
            let mut r = 3;
            for mu in geo.municipalities.iter().filter(|mu| mu.region == ri) {
                s.write_string(r, 0, &mu.name)?;
                for (k, ind) in municipal.iter().enumerate() {
                    let found = rows.find(ind, Level::Municipality, mu.code);
                    figure(s, p, &f, r, 1 + 3 * k as u16, found, ind.decimals)?;
                }
                r += 1;
            }
            s.write_string_with_format(r, 0, &geo.country_name, &f.header)?;
            for (k, ind) in municipal.iter().enumerate() {
                let national = rows.country_beside_municipalities(ind);
                figure(s, p, &f, r, 1 + 3 * k as u16, national, ind.decimals)?;
            }
            s.set_freeze_panes(3, 1)?;
        }
    }

    // Every figure once, in report.csv's order and columns.
    let s = sheet(&mut workbook, &mut names, &p.figures.sheet)?;
    for (k, h) in p.figures.columns().iter().enumerate() {
        s.write_string_with_format(0, k as u16, *h, &f.header)?;
    }
    for (i, row) in report.rows.iter().enumerate() {
        let r = 1 + i as u32;
        let number = |s: &mut Worksheet, col: u16, x: Option<f64>, decimals: u32| match x {
            Some(v) if v.is_finite() => s
                .write_number_with_format(r, col, v, &Formats::number(decimals))
                .map(|_| ()),
            _ => Ok(()),
        };
        s.write_string(r, 0, &row.indicator)?;
        if let Some(n) = row.number {
            s.write_number(r, 1, n)?;
        }
        s.write_string(r, 2, &row.goal)?;
        s.write_string(r, 3, &row.title)?;
        s.write_string(r, 4, &row.unit_label)?;
        s.write_string(r, 5, p.levels.get(row.level))?;
        s.write_number(r, 6, f64::from(row.unit_code))?;
        s.write_string(r, 7, &row.unit_name)?;
        s.write_string(r, 8, &row.period)?;
        number(s, 9, row.numerator, 0)?;
        number(s, 10, row.denominator, 0)?;
        number(s, 11, row.value, row.decimals)?;
        number(s, 12, row.ci_low, row.decimals)?;
        number(s, 13, row.ci_high, row.decimals)?;
        if let Some(reason) = row.published_reason() {
            s.write_string(r, 14, p.reasons.get(reason))?;
        }
        for (col, marking, words) in [
            (15, row.development, &p.markings.development),
            (16, row.level_marking, &p.markings.level),
        ] {
            if let Some(m) = marking {
                s.write_string_with_format(
                    r,
                    col,
                    marking_text(p, words, m),
                    &Formats::marking(p, m),
                )?;
            }
        }
    }
    s.set_column_width(0, 28)?;
    s.set_column_width(3, 40)?;
    s.set_column_width(7, 20)?;
    s.set_freeze_panes(1, 1)?;

    // The notes: footnotes per indicator, the extracts read, the run's stamp.
    let n = &p.notes;
    let s = sheet(&mut workbook, &mut names, &n.sheet)?;
    s.write_string_with_format(0, 0, &n.heading, &f.heading)?;
    s.set_column_width(0, 45)?;
    s.set_column_width(1, 120)?;
    let mut r = 2;
    for ind in &shown {
        s.write_string_with_format(r, 0, &ind.title, &f.text)?;
        s.write_string_with_format(r, 1, footnotes(p, plan, ind).join(" "), &f.text)?;
        r += 1;
    }
    r += 1;
    s.write_string_with_format(r, 0, &n.extracts, &f.header)?;
    s.write_string_with_format(r, 1, &n.rows, &f.header)?;
    r += 1;
    for (file, count) in &report.rows_read {
        s.write_string(r, 0, file)?;
        s.write_number_with_format(r, 1, *count as f64, &Formats::number(0))?;
        r += 1;
    }
    if !stamp.is_empty() {
        r += 1;
        for (key, value) in &stamp {
            s.write_string(r, 0, key)?;
            s.write_string(r, 1, value)?;
            r += 1;
        }
    }
    s.set_freeze_panes(1, 0)?;

    workbook.save_to_buffer()
}
