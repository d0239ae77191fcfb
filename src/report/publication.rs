//! The publication file (`rules/publication.toml`): every text and choice of the published
//! report (title, headings, marking words and shapes, reasons for blanks, footnote phrasing,
//! number separators, the marking tolerance) as data, so that a region or another publication
//! restyles and retitles the report without code changes. The engine knows only the keys.
//!
//! A malformed or incomplete file is an error with its file, line and column, a plain message
//! and a help line; so is a text that names a placeholder its key does not offer.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::Marking;
use crate::plan::Level;

/// The name of the publication file that `indikator run` looks for beside the rules.
pub const FILE_NAME: &str = "publication.toml";

/// The shipped publication (the 2024 texts), the same file as `rules/publication.toml`: used
/// where no publication file is given or found beside the rules.
const SHIPPED: &str = include_str!("../../rules/publication.toml");

/// A text with `{placeholder}`s, checked against the placeholders its key offers.
pub type Template = Spanned<String>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    pub language: String,
    pub title: String,
    pub numbers: Numbers,
    pub markings: Markings,
    pub reasons: Reasons,
    pub levels: ByLevel,
    pub tabel_1: Tabel1Texts,
    pub regions: RegionTexts,
    pub municipalities: MunicipalTexts,
    pub figures: FigureTexts,
    pub notes: NoteTexts,
    pub stamp: StampTexts,
    pub footnotes: FootnoteTexts,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Numbers {
    pub decimal_separator: String,
    pub thousands_separator: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Markings {
    pub tolerance: Spanned<f64>,
    pub none: String,
    pub shapes: ByMarking,
    pub fills: ByMarking,
    pub development: ByMarking,
    pub level: ByMarking,
    pub legend: Template,
}

/// A text for each of the three markings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByMarking {
    pub green: Spanned<String>,
    pub yellow: Spanned<String>,
    pub red: Spanned<String>,
}

impl ByMarking {
    pub fn get(&self, marking: Marking) -> &str {
        match marking {
            Marking::Green => self.green.get_ref(),
            Marking::Yellow => self.yellow.get_ref(),
            Marking::Red => self.red.get_ref(),
        }
    }

    fn all(&self) -> [&Spanned<String>; 3] {
        [&self.green, &self.yellow, &self.red]
    }
}

/// A text for each level of the report.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByLevel {
    pub national: String,
    pub region: String,
    pub municipality: String,
}

impl ByLevel {
    pub fn get(&self, level: Level) -> &str {
        match level {
            Level::National => &self.national,
            Level::Region => &self.region,
            Level::Municipality => &self.municipality,
        }
    }
}

/// The words for the reasons report.csv gives for a figure not shown.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reasons {
    pub blank: String,
    pub withheld: String,
    pub no_data: String,
    pub input_suppressed: String,
}

impl Reasons {
    /// The words for a published reason (`withheld`, `no_data`, `input_suppressed`); a reason
    /// the file has no words for is shown as it is, never dropped.
    pub fn get<'a>(&'a self, published: &'a str) -> &'a str {
        match published {
            super::disclosure::WITHHELD => &self.withheld,
            "no_data" => &self.no_data,
            "input_suppressed" => &self.input_suppressed,
            other => other,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tabel1Texts {
    pub anchor: String,
    pub heading: String,
    pub sheet: String,
    pub goal: String,
    pub green: String,
    pub yellow: String,
    pub red: String,
    pub without_marking: String,
    pub total: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionTexts {
    pub anchor: String,
    pub heading: String,
    pub sheet: String,
    pub indicator: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MunicipalTexts {
    pub anchor: Template,
    pub heading: Template,
    pub sheet: Template,
    pub municipality: String,
}

/// The column names of the long sheet and the Excel CSV, one per column of report.csv.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureTexts {
    pub sheet: String,
    pub indicator: String,
    pub number: String,
    pub goal: String,
    pub title: String,
    pub unit_label: String,
    pub level: String,
    pub unit_code: String,
    pub unit_name: String,
    pub period: String,
    pub numerator: String,
    pub denominator: String,
    pub value: String,
    pub ci_low: String,
    pub ci_high: String,
    pub suppressed: String,
    pub development: String,
    pub level_marking: String,
}

impl FigureTexts {
    /// The column names in report.csv's order.
    pub fn columns(&self) -> [&str; 17] {
        [
            &self.indicator,
            &self.number,
            &self.goal,
            &self.title,
            &self.unit_label,
            &self.level,
            &self.unit_code,
            &self.unit_name,
            &self.period,
            &self.numerator,
            &self.denominator,
            &self.value,
            &self.ci_low,
            &self.ci_high,
            &self.suppressed,
            &self.development,
            &self.level_marking,
        ]
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteTexts {
    pub anchor: String,
    pub heading: String,
    pub sheet: String,
    pub extracts: String,
    pub rows: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StampTexts {
    pub footer: Template,
    pub version: String,
    pub command_line: String,
    pub rule_file: String,
    pub publication: String,
    pub geography: String,
    pub extract: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FootnoteTexts {
    pub levels: ByLevel,
    pub level: Template,
    pub period_compared: Template,
    pub period_without_development: Template,
    pub standardised: Template,
    pub against_country: String,
    pub against_standard: Template,
    pub suppression_explained: Template,
    pub suppression_rule: Template,
    pub no_development: Template,
    pub end: String,
    pub source: Template,
}

/// A publication file that cannot be used: where, what, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationError {
    pub file: PathBuf,
    /// 1-based line and column; `None` when the file cannot be read at all.
    pub at: Option<(usize, usize)>,
    pub message: String,
    pub help: String,
}

impl fmt::Display for PublicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, column)) = self.at {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}\n  help: {}", self.message, self.help)
    }
}

impl std::error::Error for PublicationError {}

impl Publication {
    /// The shipped publication: the 2024 texts of `rules/publication.toml`.
    pub fn shipped() -> Publication {
        Publication::parse(SHIPPED, Path::new("rules/publication.toml"))
            .expect("the shipped rules/publication.toml is valid (a unit test holds it)")
    }

    /// Reads and checks a publication file.
    pub fn load(path: &Path) -> Result<Publication, PublicationError> {
        let text = std::fs::read_to_string(path).map_err(|e| PublicationError {
            file: path.to_path_buf(),
            at: None,
            message: format!("cannot read the publication file: {e}"),
            help: format!(
                "give an existing file with `--publication`, or leave it out to use `{FILE_NAME}` beside the rules"
            ),
        })?;
        Publication::parse(&text, path)
    }

    /// The publication of a run over `rules`: the file given, else `publication.toml` in the
    /// directory of the first rule path (or beside the first rule file), else the shipped one.
    /// Returns the file read, if any.
    pub fn find(
        given: Option<&Path>,
        rules: &[PathBuf],
    ) -> Result<(Publication, Option<PathBuf>), PublicationError> {
        if let Some(path) = given {
            return Ok((Publication::load(path)?, Some(path.to_path_buf())));
        }
        for rule_path in rules {
            let dir = if rule_path.is_dir() {
                rule_path.as_path()
            } else {
                match rule_path.parent() {
                    Some(p) => p,
                    None => continue,
                }
            };
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                return Ok((Publication::load(&candidate)?, Some(candidate)));
            }
        }
        Ok((Publication::shipped(), None))
    }

    /// Parses and checks the text of a publication file named `file`.
    pub fn parse(text: &str, file: &Path) -> Result<Publication, PublicationError> {
        let located =
            |span: Option<Range<usize>>, message: String, help: String| PublicationError {
                file: file.to_path_buf(),
                at: Some(line_column(text, span.map_or(0, |s| s.start))),
                message,
                help,
            };
        let publication: Publication = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            let help = if message.starts_with("missing field") {
                "every key of the shipped rules/publication.toml is required; docs/publication.md lists them".to_string()
            } else if message.starts_with("unknown field") {
                "check the key's spelling against docs/publication.md".to_string()
            } else {
                "the publication file is TOML: `key = \"text\"` lines under `[section]` headers".to_string()
            };
            located(e.span(), message, help)
        })?;
        publication
            .validate()
            .map_err(|(span, message, help)| located(Some(span), message, help))?;
        Ok(publication)
    }

    /// The checks serde cannot make: placeholders, the tolerance, the fills.
    fn validate(&self) -> Result<(), (Range<usize>, String, String)> {
        let t = &self.markings.tolerance;
        if !(t.get_ref().is_finite() && *t.get_ref() >= 0.0 && *t.get_ref() < 1.0) {
            return Err((
                t.span(),
                format!(
                    "the marking tolerance {} is not a share between 0 and 1",
                    t.get_ref()
                ),
                "write the relative tolerance as a share: 0.01 for ±1 %".to_string(),
            ));
        }
        for fill in self.markings.fills.all() {
            let hex = fill.get_ref();
            if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err((
                    fill.span(),
                    format!("`{hex}` is not a colour"),
                    "write a fill as six hexadecimal digits, RRGGBB, such as C6EFCE".to_string(),
                ));
            }
        }
        for shape in self.markings.shapes.all() {
            if shape.get_ref().trim().is_empty() {
                return Err((
                    shape.span(),
                    "a marking's shape is empty".to_string(),
                    "give every marking a visible shape, so that it does not rest on colour alone"
                        .to_string(),
                ));
            }
        }
        let m = &self.municipalities;
        let f = &self.footnotes;
        let templates: [(&Template, &[&str]); 14] = [
            (
                &self.stamp.footer,
                &["tool", "version", "rules", "extracts"],
            ),
            (
                &self.markings.legend,
                &["green", "yellow", "red", "tolerance"],
            ),
            (&m.anchor, &["code"]),
            (&m.heading, &["region"]),
            (&m.sheet, &["region"]),
            (&f.level, &["level", "period"]),
            (&f.period_compared, &["period", "compare"]),
            (&f.period_without_development, &["period"]),
            (&f.standardised, &["against"]),
            (&f.against_standard, &["standard"]),
            (&f.suppression_explained, &["explanation"]),
            (&f.suppression_rule, &["rule"]),
            (&f.no_development, &["reason"]),
            (&f.source, &["source"]),
        ];
        for (template, offered) in templates {
            for (at, name) in placeholders(template.get_ref()) {
                if !offered.contains(&name) {
                    // The span covers the quoted text; +1 steps over the opening quote.
                    let start = template.span().start + 1 + at;
                    let list: Vec<String> = offered.iter().map(|p| format!("{{{p}}}")).collect();
                    return Err((
                        start..start + name.len() + 2,
                        format!("`{{{name}}}` is not a placeholder of this text"),
                        format!("this text may use {}", list.join(", ")),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The marking tolerance: within ± this relative difference a figure is "the same".
    pub fn tolerance(&self) -> f64 {
        *self.markings.tolerance.get_ref()
    }

    /// A number as the publication writes it: rounded half away from zero to `decimals`, with
    /// its decimal and thousands separators.
    pub fn number(&self, value: f64, decimals: u32) -> String {
        local_number(
            value,
            decimals,
            &self.numbers.decimal_separator,
            &self.numbers.thousands_separator,
        )
    }

    /// The tolerance as a percentage in the publication's numbers, such as `1 %`.
    pub fn tolerance_percent(&self) -> String {
        let percent = self.tolerance() * 100.0;
        let decimals = (0..4)
            .find(|d| {
                let f = 10f64.powi(*d);
                ((percent * f).round() - percent * f).abs() < 1e-6
            })
            .unwrap_or(4) as u32;
        format!("{} %", self.number(percent, decimals))
    }
}

/// Fills `{name}` placeholders with values; a placeholder without a value stays as written
/// (the loader has made sure there is none).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match values.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}`s of a text with their byte offsets.
fn placeholders(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find('{') {
        let open = from + open;
        match text[open + 1..].find('}') {
            Some(close) => {
                found.push((open, &text[open + 1..open + 1 + close]));
                from = open + close + 2;
            }
            None => break,
        }
    }
    found
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// `1234.56` with 1 decimal, `,` and `.` → `1.234,6`: rounded half away from zero.
pub fn local_number(value: f64, decimals: u32, decimal: &str, thousands: &str) -> String {
    let factor = 10f64.powi(decimals as i32);
    let rounded = (value.abs() * factor).round() / factor;
    let text = format!("{rounded:.*}", decimals as usize);
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (k, c) in whole.chars().enumerate() {
        if k > 0 && (whole.len() - k) % 3 == 0 {
            grouped.push_str(thousands);
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
        format!("{sign}{grouped}{decimal}{fraction}")
    }
}

/// An Excel sheet name from a text: at most 31 characters, none of `[]:*?/\`, not starting or
/// ending with an apostrophe, and unique among `taken` (a number is added to a repeated name).
pub fn sheet_name(text: &str, taken: &[String]) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '-' } else { c })
        .collect();
    let cleaned = cleaned.trim().trim_matches('\'').trim().to_string();
    let base = if cleaned.is_empty() {
        "Ark".to_string()
    } else {
        cleaned
    };
    let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    let mut name = cut(&base, 31);
    let mut k = 2;
    while taken
        .iter()
        .any(|t| t.to_lowercase() == name.to_lowercase())
    {
        let suffix = format!(" ({k})");
        name = format!("{}{suffix}", cut(&base, 31 - suffix.chars().count()));
        k += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_publication_is_valid_and_holds_the_2024_choices() {
        let p = Publication::shipped();
        assert_eq!(p.tolerance(), 0.01);
        assert_eq!(p.tolerance_percent(), "1 %");
        assert_eq!(p.number(1234.56, 1), "1.234,6");
    }

    #[test]
    fn numbers() {
        let n = |v, d| local_number(v, d, ",", ".");
        assert_eq!(n(1234.56, 1), "1.234,6");
        assert_eq!(n(11.0, 1), "11,0");
        assert_eq!(n(0.05, 1), "0,1");
        assert_eq!(n(-0.04, 1), "0,0");
        assert_eq!(n(-2.5, 0), "-3");
        assert_eq!(n(1234567.0, 0), "1.234.567");
        assert_eq!(n(81.449, 1), "81,4");
        assert_eq!(local_number(1234.5, 2, ".", ","), "1,234.50");
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        assert_eq!(
            fill(
                "For {level}: {period}{x}",
                &[("level", "landet"), ("period", "2023")]
            ),
            "For landet: 2023{x}"
        );
        assert_eq!(fill("no {brace", &[]), "no {brace");
    }

    fn error_of(text: &str) -> PublicationError {
        Publication::parse(text, Path::new("pub.toml")).unwrap_err()
    }

    #[test]
    fn a_missing_key_is_named_with_a_location_and_help() {
        let text = SHIPPED.replace("heading = \"Anmærkninger\"\n", "");
        let e = error_of(&text);
        assert!(e.message.contains("missing field `heading`"), "{e}");
        assert!(e.help.contains("required"), "{e}");
        let (line, _) = e.at.unwrap();
        // At the [notes] table that lacks it.
        let notes_line = text.lines().position(|l| l == "[notes]").unwrap() + 1;
        assert!(line >= notes_line, "{e}");
    }

    #[test]
    fn a_misspelt_key_and_bad_toml_are_located() {
        let text = SHIPPED.replacen("\ntitle = ", "\ntitel = ", 1);
        let e = error_of(&text);
        assert!(e.message.contains("unknown field `titel`"), "{e}");
        let line = text.lines().position(|l| l.starts_with("titel")).unwrap() + 1;
        assert_eq!(e.at, Some((line, 1)), "{e}");

        let e = error_of("language = \"da\ntitle = 1\n");
        assert_eq!(e.at.map(|a| a.0), Some(1), "{e}");
    }

    #[test]
    fn an_unknown_placeholder_is_located_at_it() {
        let text = SHIPPED.replace(
            "heading = \"Nationale mål – kommuner i {region}\"",
            "heading = \"Nationale mål – kommuner i {regoin}\"",
        );
        let e = error_of(&text);
        assert_eq!(e.message, "`{regoin}` is not a placeholder of this text");
        assert_eq!(e.help, "this text may use {region}");
        let line = text.lines().position(|l| l.contains("{regoin}")).unwrap();
        let column = text.lines().nth(line).unwrap().find("{regoin}").unwrap();
        // The line has "å" and "–" before the placeholder: columns count characters.
        let chars = text.lines().nth(line).unwrap()[..column].chars().count();
        assert_eq!(e.at, Some((line + 1, chars + 1)), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("pub.toml:{}:", line + 1))
        );
    }

    #[test]
    fn a_tolerance_outside_0_1_and_a_bad_fill_are_refused() {
        let e = error_of(&SHIPPED.replace("tolerance = 0.01", "tolerance = 1.5"));
        assert!(e.message.contains("tolerance 1.5"), "{e}");
        let e = error_of(&SHIPPED.replace("green = \"C6EFCE\"", "green = \"green\""));
        assert!(e.message.contains("`green` is not a colour"), "{e}");
    }

    #[test]
    fn sheet_names_keep_excels_limits() {
        let name = sheet_name("Kommuner i Region: Hovedstaden/Sjælland og omegn", &[]);
        assert_eq!(name.chars().count(), 31);
        assert!(!name.contains(':') && !name.contains('/'));
        let taken = vec!["Tabel 1".to_string()];
        assert_eq!(sheet_name("tabel 1", &taken), "tabel 1 (2)");
    }
}
