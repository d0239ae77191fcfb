//! `indikator diff OLD NEW`: what changed between two reports, read from their `report.csv`.
//!
//! A cell is one published figure: an indicator, a level, a unit and a period. Between two runs
//! a cell can be added or removed, become hidden or shown, have a number moved beyond the
//! tolerance (value, interval, numerator or denominator), or have a marking flipped. The
//! comparison reads the files the reader reads, so it says what a reader would see change; it
//! never needs the data or the rules.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// The numbers of a cell compared under the tolerance, in the order they are reported.
const NUMBERS: [&str; 5] = ["value", "ci_low", "ci_high", "numerator", "denominator"];
/// The markings compared as words.
const MARKINGS: [&str; 2] = ["development", "level_marking"];
/// Columns a report.csv must have for the comparison.
const REQUIRED: [&str; 12] = [
    "indicator",
    "level",
    "unit_code",
    "unit_name",
    "period",
    "value",
    "ci_low",
    "ci_high",
    "numerator",
    "denominator",
    "suppressed",
    "development",
];

#[derive(Debug)]
pub enum DiffError {
    /// A report directory without a readable report.csv.
    Read { path: PathBuf, message: String },
    /// A report.csv that is not one `indikator run` writes.
    Malformed {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

impl std::fmt::Display for DiffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiffError::Read { path, message } => {
                write!(f, "cannot read {}: {message}", path.display())
            }
            DiffError::Malformed {
                path,
                line,
                message,
            } => write!(f, "{}, line {line}: {message}", path.display()),
        }
    }
}

/// The key of a published cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CellKey {
    pub indicator: String,
    pub level: String,
    pub unit_code: String,
    pub period: String,
}

#[derive(Debug, Clone)]
struct Cell {
    unit_name: String,
    fields: BTreeMap<&'static str, String>,
    suppressed: String,
}

/// What happened to one cell, or to one field of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Hidden,
    Shown,
    Number,
    Marking,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    #[serde(flatten)]
    pub key: CellKey,
    pub unit_name: String,
    pub kind: ChangeKind,
    /// The column, for a number or a marking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    pub old: String,
    pub new: String,
}

/// Counts of one indicator at one level.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Cells with at least one number moved beyond the tolerance.
    pub changed: usize,
    /// Cells with a marking flipped.
    pub markings_flipped: usize,
    pub hidden: usize,
    pub shown: usize,
    pub added: usize,
    pub removed: usize,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.changed += other.changed;
        self.markings_flipped += other.markings_flipped;
        self.hidden += other.hidden;
        self.shown += other.shown;
        self.added += other.added;
        self.removed += other.removed;
    }

    fn is_empty(&self) -> bool {
        *self == Tally::default()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub indicator: String,
    pub level: String,
    #[serde(flatten)]
    pub tally: Tally,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub old: PathBuf,
    pub new: PathBuf,
    /// Relative tolerance: a number moved when |old − new| > tolerance · max(|old|, |new|).
    pub tolerance: f64,
    pub cells_old: usize,
    pub cells_new: usize,
    pub summary: Tally,
    /// Per indicator and level, only those with a change, in the order of the keys.
    pub groups: Vec<Group>,
    /// Every change, cell by cell in key order.
    pub changes: Vec<Change>,
}

impl Comparison {
    /// No published figure, marking or hidden cell differs.
    pub fn is_unchanged(&self) -> bool {
        self.summary.is_empty()
    }
}

/// Compares the reports in two output directories (or two report.csv files).
pub fn compare(old: &Path, new: &Path, tolerance: f64) -> Result<Comparison, DiffError> {
    let old_cells = read(old)?;
    let new_cells = read(new)?;
    let mut changes = Vec::new();
    let mut groups: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let keys: std::collections::BTreeSet<&CellKey> =
        old_cells.keys().chain(new_cells.keys()).collect();
    for key in keys {
        let tally = groups
            .entry((key.indicator.clone(), key.level.clone()))
            .or_default();
        let push = |changes: &mut Vec<Change>, unit_name: &str, kind, field, old, new| {
            changes.push(Change {
                key: key.clone(),
                unit_name: unit_name.to_string(),
                kind,
                field,
                old,
                new,
            })
        };
        match (old_cells.get(key), new_cells.get(key)) {
            (Some(o), None) => {
                tally.removed += 1;
                push(
                    &mut changes,
                    &o.unit_name,
                    ChangeKind::Removed,
                    None,
                    describe(o),
                    String::new(),
                );
            }
            (None, Some(n)) => {
                tally.added += 1;
                push(
                    &mut changes,
                    &n.unit_name,
                    ChangeKind::Added,
                    None,
                    String::new(),
                    describe(n),
                );
            }
            (Some(o), Some(n)) => {
                match (o.suppressed.is_empty(), n.suppressed.is_empty()) {
                    (true, false) => {
                        tally.hidden += 1;
                        push(
                            &mut changes,
                            &n.unit_name,
                            ChangeKind::Hidden,
                            None,
                            describe(o),
                            n.suppressed.clone(),
                        );
                        continue;
                    }
                    (false, true) => {
                        tally.shown += 1;
                        push(
                            &mut changes,
                            &n.unit_name,
                            ChangeKind::Shown,
                            None,
                            o.suppressed.clone(),
                            describe(n),
                        );
                        continue;
                    }
                    _ => {}
                }
                let mut moved = false;
                for field in NUMBERS {
                    let (a, b) = (&o.fields[field], &n.fields[field]);
                    if number_moved(a, b, tolerance) {
                        moved = true;
                        push(
                            &mut changes,
                            &n.unit_name,
                            ChangeKind::Number,
                            Some(field),
                            a.clone(),
                            b.clone(),
                        );
                    }
                }
                tally.changed += usize::from(moved);
                let mut flipped = false;
                for field in MARKINGS {
                    let (a, b) = (&o.fields[field], &n.fields[field]);
                    if a != b {
                        flipped = true;
                        push(
                            &mut changes,
                            &n.unit_name,
                            ChangeKind::Marking,
                            Some(field),
                            a.clone(),
                            b.clone(),
                        );
                    }
                }
                tally.markings_flipped += usize::from(flipped);
            }
            (None, None) => {}
        }
    }
    let mut summary = Tally::default();
    let groups: Vec<Group> = groups
        .into_iter()
        .filter(|(_, t)| !t.is_empty())
        .map(|((indicator, level), tally)| {
            summary.add(&tally);
            Group {
                indicator,
                level,
                tally,
            }
        })
        .collect();
    Ok(Comparison {
        old: old.to_path_buf(),
        new: new.to_path_buf(),
        tolerance,
        cells_old: old_cells.len(),
        cells_new: new_cells.len(),
        summary,
        groups,
        changes,
    })
}

/// Two number texts differ beyond the relative tolerance; a number against a blank always does.
fn number_moved(old: &str, new: &str, tolerance: f64) -> bool {
    if old == new {
        return false;
    }
    match (old.parse::<f64>(), new.parse::<f64>()) {
        (Ok(a), Ok(b)) => (a - b).abs() > tolerance * a.abs().max(b.abs()),
        _ => true,
    }
}

fn describe(cell: &Cell) -> String {
    if cell.suppressed.is_empty() {
        cell.fields["value"].clone()
    } else {
        cell.suppressed.clone()
    }
}

fn read(dir_or_file: &Path) -> Result<BTreeMap<CellKey, Cell>, DiffError> {
    let path = if dir_or_file.is_dir() {
        dir_or_file.join("report.csv")
    } else {
        dir_or_file.to_path_buf()
    };
    let read_error = |message: String| DiffError::Read {
        path: path.clone(),
        message,
    };
    let bytes = std::fs::read(&path).map_err(|e| read_error(e.to_string()))?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| read_error(e.to_string()))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let mut index = BTreeMap::new();
    for name in REQUIRED.iter().chain(["level_marking"].iter()) {
        match column(name) {
            Some(i) => {
                index.insert(*name, i);
            }
            None => {
                return Err(DiffError::Malformed {
                    path: path.clone(),
                    line: 1,
                    message: format!(
                        "the header has no column `{name}`: is this a report.csv written by `indikator run`?"
                    ),
                });
            }
        }
    }
    let mut cells = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| DiffError::Malformed {
            path: path.clone(),
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let get = |name: &str| {
            index
                .get(name)
                .and_then(|&i| record.get(i))
                .unwrap_or("")
                .to_string()
        };
        let key = CellKey {
            indicator: get("indicator"),
            level: get("level"),
            unit_code: get("unit_code"),
            period: get("period"),
        };
        let mut fields = BTreeMap::new();
        for name in NUMBERS.iter().chain(MARKINGS.iter()) {
            fields.insert(*name, get(name));
        }
        let cell = Cell {
            unit_name: get("unit_name"),
            fields,
            suppressed: get("suppressed"),
        };
        if cells.insert(key.clone(), cell).is_some() {
            return Err(DiffError::Malformed {
                path: path.clone(),
                line,
                message: format!(
                    "the cell {} / {} / {} / {} appears twice",
                    key.indicator, key.level, key.unit_code, key.period
                ),
            });
        }
    }
    Ok(cells)
}

/// The comparison for a person: a table per indicator and level, the largest moves of value,
/// and a one-line summary.
pub fn to_text(c: &Comparison, largest: usize) -> String {
    let mut out = String::new();
    let tolerance = if c.tolerance == 0.0 {
        "any change".to_string()
    } else {
        format!("relative {}", c.tolerance)
    };
    writeln!(
        out,
        "{} ({} cells) → {} ({} cells); numbers compared with tolerance: {tolerance}",
        c.old.display(),
        c.cells_old,
        c.new.display(),
        c.cells_new
    )
    .ok();
    if c.is_unchanged() {
        writeln!(
            out,
            "\nNo published figure, marking or hidden cell changed."
        )
        .ok();
        return out;
    }
    let width = c
        .groups
        .iter()
        .map(|g| g.indicator.chars().count())
        .max()
        .unwrap_or(0)
        .max("indicator".len());
    writeln!(
        out,
        "\n{:<width$}  {:<12}  {:>7}  {:>8}  {:>6}  {:>5}  {:>5}  {:>7}",
        "indicator", "level", "changed", "markings", "hidden", "shown", "added", "removed"
    )
    .ok();
    for g in &c.groups {
        let t = &g.tally;
        writeln!(
            out,
            "{:<width$}  {:<12}  {:>7}  {:>8}  {:>6}  {:>5}  {:>5}  {:>7}",
            g.indicator,
            g.level,
            t.changed,
            t.markings_flipped,
            t.hidden,
            t.shown,
            t.added,
            t.removed
        )
        .ok();
    }
    let mut moves: Vec<(&Change, f64)> = c
        .changes
        .iter()
        .filter(|ch| ch.kind == ChangeKind::Number && ch.field == Some("value"))
        .filter_map(|ch| {
            let (a, b) = (ch.old.parse::<f64>().ok()?, ch.new.parse::<f64>().ok()?);
            Some((ch, relative_move(a, b)))
        })
        .collect();
    moves.sort_by(|x, y| y.1.abs().total_cmp(&x.1.abs()).then(x.0.key.cmp(&y.0.key)));
    if !moves.is_empty() {
        writeln!(out, "\nLargest moves of value:").ok();
        for (ch, rel) in moves.iter().take(largest) {
            writeln!(
                out,
                "  {} {} {} {} {}: {} → {} ({:+.2} %)",
                ch.key.indicator,
                ch.key.level,
                ch.key.unit_code,
                ch.unit_name,
                ch.key.period,
                readable(&ch.old, &ch.new),
                readable(&ch.new, &ch.old),
                rel * 100.0
            )
            .ok();
        }
    }
    let flips: Vec<&Change> = c
        .changes
        .iter()
        .filter(|ch| {
            matches!(
                ch.kind,
                ChangeKind::Hidden | ChangeKind::Shown | ChangeKind::Marking
            )
        })
        .collect();
    if !flips.is_empty() {
        writeln!(out, "\nHidden, shown and flipped:").ok();
        for ch in flips.iter().take(largest) {
            let what = match (ch.kind, ch.field) {
                (ChangeKind::Hidden, _) => {
                    format!("hidden ({}), was {}", ch.new, readable(&ch.old, &ch.old))
                }
                (ChangeKind::Shown, _) => {
                    format!(
                        "shown: {}, was hidden ({})",
                        readable(&ch.new, &ch.new),
                        ch.old
                    )
                }
                (_, Some(field)) => format!("{field} {} → {}", or_none(&ch.old), or_none(&ch.new)),
                _ => String::new(),
            };
            writeln!(
                out,
                "  {} {} {} {} {}: {what}",
                ch.key.indicator, ch.key.level, ch.key.unit_code, ch.unit_name, ch.key.period
            )
            .ok();
        }
        if flips.len() > largest {
            writeln!(
                out,
                "  … and {} more (all of them with --format json)",
                flips.len() - largest
            )
            .ok();
        }
    }
    let s = &c.summary;
    writeln!(
        out,
        "\n{} figures changed, {} with a marking flipped, {} newly hidden, {} newly shown, {} added, {} removed.",
        s.changed, s.markings_flipped, s.hidden, s.shown, s.added, s.removed
    )
    .ok();
    out
}

/// A number as a person reads it: two decimals, or as many more as it takes to tell it from
/// `other` (so a tiny move does not print as "8 → 8"), trailing zeros dropped.
fn readable(text: &str, other: &str) -> String {
    let (Ok(x), Ok(y)) = (text.parse::<f64>(), other.parse::<f64>()) else {
        return text.to_string();
    };
    let trimmed = |decimals: usize| {
        let t = format!("{x:.decimals$}");
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t
        }
    };
    (2..=15)
        .map(|d| (d, format!("{x:.d$}"), format!("{y:.d$}")))
        .find(|(_, a, b)| a != b || x == y)
        .map_or_else(|| text.to_string(), |(d, _, _)| trimmed(d))
}

fn or_none(text: &str) -> &str {
    if text.is_empty() { "(none)" } else { text }
}

fn relative_move(a: f64, b: f64) -> f64 {
    if a == 0.0 {
        if b == 0.0 {
            0.0
        } else {
            f64::INFINITY.copysign(b)
        }
    } else {
        (b - a) / a.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "indicator,number,goal,title,unit_label,level,unit_code,unit_name,period,numerator,denominator,value,ci_low,ci_high,suppressed,development,level_marking\n";

    fn report(dir: &Path, rows: &[&str]) {
        std::fs::create_dir_all(dir).unwrap();
        let mut text = HEADER.to_string();
        for r in rows {
            text.push_str(r);
            text.push('\n');
        }
        std::fs::write(dir.join("report.csv"), text).unwrap();
    }

    fn dirs(name: &str) -> (PathBuf, PathBuf) {
        let base =
            std::env::temp_dir().join(format!("indikator-diff-{name}-{}", std::process::id()));
        (base.join("old"), base.join("new"))
    }

    #[test]
    fn every_kind_of_change_is_told_once() {
        let (old, new) = dirs("kinds");
        report(
            &old,
            &[
                "a,1,g,A,%,national,0,Danmark,2023,10,100,10,5,17,,green,",
                "a,1,g,A,%,region,1081,Nord,2023,4,50,8,2,19,,green,red",
                "a,1,g,A,%,region,1082,Midt,2023,3,10,30,10,60,,,",
                "a,1,g,A,%,region,1083,Syd,2023,,,,,,withheld,,",
                "b,2,g,B,%,national,0,Danmark,2023,1,2,50,9,90,,,",
            ],
        );
        report(
            &new,
            &[
                "a,1,g,A,%,national,0,Danmark,2023,10,100,10,5,17,,green,",
                "a,1,g,A,%,region,1081,Nord,2023,4,50,8.1,2,19,,yellow,red",
                "a,1,g,A,%,region,1082,Midt,2023,,,,,,withheld,,",
                "a,1,g,A,%,region,1083,Syd,2023,5,20,25,9,47,,,",
                "c,3,g,C,%,national,0,Danmark,2023,1,2,50,9,90,,,",
            ],
        );
        let c = compare(&old, &new, 0.0).unwrap();
        let kinds: Vec<(ChangeKind, Option<&str>)> =
            c.changes.iter().map(|ch| (ch.kind, ch.field)).collect();
        assert_eq!(
            kinds,
            vec![
                (ChangeKind::Number, Some("value")),
                (ChangeKind::Marking, Some("development")),
                (ChangeKind::Hidden, None),
                (ChangeKind::Shown, None),
                (ChangeKind::Removed, None),
                (ChangeKind::Added, None),
            ]
        );
        let a_region = &c.groups[0];
        assert_eq!(
            (a_region.indicator.as_str(), a_region.level.as_str()),
            ("a", "region")
        );
        assert_eq!(
            a_region.tally,
            Tally {
                changed: 1,
                markings_flipped: 1,
                hidden: 1,
                shown: 1,
                added: 0,
                removed: 0
            }
        );
        assert_eq!(c.summary.added + c.summary.removed, 2);
        assert!(!c.is_unchanged());
        let text = to_text(&c, 10);
        assert!(
            text.contains("a region 1081 Nord 2023: 8 → 8.1 (+1.25 %)"),
            "{text}"
        );
        assert!(
            text.contains("1 figures changed, 1 with a marking flipped, 1 newly hidden"),
            "{text}"
        );
    }

    #[test]
    fn tolerance_is_relative_and_same_files_are_unchanged() {
        let (old, new) = dirs("tolerance");
        report(
            &old,
            &["a,1,g,A,%,national,0,Danmark,2023,10,100,10,5,17,,,"],
        );
        report(
            &new,
            &["a,1,g,A,%,national,0,Danmark,2023,10,100,10.0009,5,17,,,"],
        );
        assert_eq!(compare(&old, &new, 0.0).unwrap().summary.changed, 1);
        // |10 − 10.0009| = 0.0009 ≤ 1e-4 · 10.0009.
        assert!(compare(&old, &new, 1e-4).unwrap().is_unchanged());
        assert!(compare(&old, &old, 0.0).unwrap().is_unchanged());
    }

    #[test]
    fn files_that_are_not_reports_are_refused_with_their_place() {
        let (old, new) = dirs("malformed");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join("report.csv"), "indicator,level\na,national\n").unwrap();
        let err = compare(&old, &new, 0.0).unwrap_err().to_string();
        assert!(
            err.contains("line 1: the header has no column `unit_code`"),
            "{err}"
        );
        report(
            &new,
            &[
                "a,1,g,A,%,national,0,Danmark,2023,,,,,,,,",
                "a,1,g,A,%,national,0,Danmark,2023,,,,,,,,",
            ],
        );
        let err = compare(&new, &new, 0.0).unwrap_err().to_string();
        assert!(
            err.contains("line 3: the cell a / national / 0 / 2023 appears twice"),
            "{err}"
        );
        let missing = compare(Path::new("/nonexistent-report"), &new, 0.0).unwrap_err();
        assert!(matches!(missing, DiffError::Read { .. }));
    }
}
