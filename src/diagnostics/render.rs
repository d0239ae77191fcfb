//! Turns [`Diagnostic`] values into text for people (through miette) or JSON for tools.
//! This is the only module that knows miette.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use super::{Diagnostic, Label, Severity};
use crate::source_db::{FileId, SourceDb};

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub width: usize,
    pub colour: bool,
}

impl Style {
    /// Fixed width, no colour: the form stored in snapshot tests.
    pub fn plain() -> Style {
        Style {
            width: 100,
            colour: false,
        }
    }
}

/// Renders one diagnostic as the terminal shows it.
pub fn to_text(db: &SourceDb, diagnostic: &Diagnostic, style: Style) -> String {
    let theme = if style.colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let report = MietteReport::new(db, diagnostic);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("error[{}]: {}\n", diagnostic.code.id(), diagnostic.message);
    }
    out
}

/// Renders every diagnostic, separated by blank lines, in a stable order.
pub fn all_to_text(db: &SourceDb, diagnostics: &[Diagnostic], style: Style) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&to_text(db, d, style));
        out.push('\n');
    }
    out
}

/// A miette view of a diagnostic: the labels in the primary file are drawn on that file;
/// labels in other files become related notes drawn on their own file.
struct MietteReport {
    message: String,
    code: &'static str,
    severity: Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<MietteReport>,
}

impl MietteReport {
    fn new(db: &SourceDb, d: &Diagnostic) -> MietteReport {
        let home = d.anchor().map(|s| s.file);
        let (here, elsewhere): (Vec<&Label>, Vec<&Label>) =
            d.labels.iter().partition(|l| Some(l.span.file) == home);
        // Labels in other files: one related note per file, in the order they were given.
        let mut files: Vec<FileId> = Vec::new();
        for l in &elsewhere {
            if !files.contains(&l.span.file) {
                files.push(l.span.file);
            }
        }
        let related = files
            .into_iter()
            .map(|file| {
                let labels: Vec<&Label> = elsewhere
                    .iter()
                    .copied()
                    .filter(|l| l.span.file == file)
                    .collect();
                let single = labels.len() == 1;
                MietteReport {
                    message: if single {
                        labels[0].message.clone()
                    } else {
                        format!("see also {}", db.path(file).display())
                    },
                    code: "",
                    severity: Severity::Warning,
                    help: None,
                    source: Some(named(db, file)),
                    labels: labels.iter().map(|l| to_labeled(l, !single)).collect(),
                    related: Vec::new(),
                }
            })
            .collect();
        MietteReport {
            message: d.message.clone(),
            code: d.code.id(),
            severity: d.severity,
            help: d.help.clone(),
            source: home.map(|f| named(db, f)),
            labels: here.into_iter().map(|l| to_labeled(l, true)).collect(),
            related,
        }
    }
}

fn named(db: &SourceDb, file: FileId) -> NamedSource<String> {
    let f = db.file(file);
    NamedSource::new(f.path.display().to_string(), f.text.clone()).with_language("indikator")
}

fn to_labeled(label: &Label, with_text: bool) -> LabeledSpan {
    let span = SourceSpan::new((label.span.start as usize).into(), label.span.len());
    let text = (with_text && !label.message.is_empty()).then(|| label.message.clone());
    if label.primary {
        LabeledSpan::new_primary_with_span(text, span)
    } else {
        LabeledSpan::new_with_span(text, span)
    }
}

impl fmt::Debug for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteReport {}

impl miette::Diagnostic for MietteReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match (self.severity, self.code.is_empty()) {
            (_, true) => miette::Severity::Advice,
            (Severity::Error, false) => miette::Severity::Error,
            (Severity::Warning, false) => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as Box<_>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        (!self.related.is_empty())
            .then(|| Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)) as Box<_>)
    }
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    primary: bool,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
}

/// Renders diagnostics as a JSON array, one object per diagnostic, for editors and CI tools.
pub fn all_to_json(db: &SourceDb, diagnostics: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic> = diagnostics
        .iter()
        .map(|d| {
            let labels: Vec<JsonLabel> = d
                .labels
                .iter()
                .map(|l| {
                    let file = db.file(l.span.file);
                    let (line, column) = file.line_col(l.span.start as usize);
                    let (end_line, end_column) = file.line_col(l.span.end as usize);
                    JsonLabel {
                        file: file.path.display().to_string(),
                        line,
                        column,
                        end_line,
                        end_column,
                        message: &l.message,
                        primary: l.primary,
                    }
                })
                .collect();
            let anchor = labels.iter().find(|l| l.primary).or(labels.first());
            JsonDiagnostic {
                code: d.code.id(),
                severity: match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                message: &d.message,
                file: anchor.map(|l| l.file.clone()),
                line: anchor.map(|l| l.line),
                column: anchor.map(|l| l.column),
                help: d.help.as_deref(),
                labels,
            }
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string())
}
