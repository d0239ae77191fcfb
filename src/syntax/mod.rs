//! Stage 1: rule text → syntax tree. Does no I/O: it is handed text and returns what parsed
//! plus every diagnostic, never stopping at the first mistake.

pub mod ast;
mod build;
mod errors;
pub mod lex;

use std::num::NonZeroUsize;
use std::sync::Once;

use pest::Parser;

use crate::diagnostics::Diagnostic;
use crate::source_db::{FileId, Span};
use ast::{Ident, RuleFile};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/indikator.pest"]
pub struct RuleParser;

/// Guards against pathological input: pest counts rule calls and gives up past this many,
/// which turns an exponential parse into a diagnostic instead of a hang.
const CALL_LIMIT: usize = 5_000_000;

fn configure_pest() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        pest::set_call_limit(NonZeroUsize::new(CALL_LIMIT));
        pest::set_error_detail(true);
    });
}

/// How many syntax errors one definition may report before the parser gives up on it.
const MAX_RECOVERIES: usize = 10;

fn error_offset(error: &pest::error::Error<Rule>) -> usize {
    match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
}

/// The file text with one chunk replaced by its repaired copy (same length).
fn splice(text: &str, start: usize, body: &str) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    out.push_str(body);
    out.push_str(&text[start + body.len()..]);
    out
}

/// Recovers from a syntax error inside a definition by blanking the line it is on, so the
/// rest of the definition can still be read and checked. Only a line that is not the
/// definition's first and whose brackets balance is blanked: anything else would create new,
/// confusing errors. Offsets do not move, since the line becomes spaces.
fn blank_clause_line(body: &mut String, at: usize) -> Option<()> {
    let at = at.min(body.len());
    let start = body[..at].rfind('\n').map(|i| i + 1)?;
    if body[..start].trim().is_empty() {
        return None;
    }
    let end = body[at..].find('\n').map(|i| at + i).unwrap_or(body.len());
    let line = &body[start..end];
    let code = line.split('#').next().unwrap_or("");
    let balance = |open: char, close: char| {
        code.chars().filter(|&c| c == open).count() == code.chars().filter(|&c| c == close).count()
    };
    if !(balance('{', '}') && balance('(', ')') && balance('[', ']')) || line.trim().is_empty() {
        return None;
    }
    let blank = " ".repeat(line.len());
    body.replace_range(start..end, &blank);
    Some(())
}

/// Parses one rule file.
pub fn parse_file(file: FileId, text: &str) -> (RuleFile, Vec<Diagnostic>) {
    configure_pest();
    let scan = lex::prescan(file, text);
    let mut diagnostics = scan.diagnostics;
    let mut result = RuleFile::default();
    for chunk in &scan.chunks {
        let body = &scan.text[chunk.start..chunk.end];
        if !lex::has_content(body) {
            continue;
        }
        if chunk.poisoned {
            result.unparsed_names.extend(definition_names(
                file,
                &scan.text,
                chunk.start,
                chunk.end,
            ));
            continue;
        }
        let builder = build::Builder {
            file,
            offset: chunk.start,
        };
        let mut body = body.to_string();
        let mut had_errors = false;
        let mut attempts = 0;
        loop {
            match RuleParser::parse(Rule::chunk, &body) {
                Ok(pairs) => {
                    match builder.chunk(pairs) {
                        Ok(definitions) => {
                            if had_errors {
                                result
                                    .partial_names
                                    .extend(definitions.iter().map(|d| d.name().name.clone()));
                            }
                            result.definitions.extend(definitions);
                        }
                        Err(build::BuildError::TooComplex(span)) => {
                            diagnostics.push(errors::too_complex(span));
                            result.unparsed_names.extend(definition_names(
                                file,
                                &scan.text,
                                chunk.start,
                                chunk.end,
                            ));
                        }
                        Err(build::BuildError::Internal(internal)) => diagnostics
                            .push(errors::internal(file, chunk.start, chunk.end, &internal)),
                    }
                    break;
                }
                Err(error) => {
                    let full = splice(&scan.text, chunk.start, &body);
                    diagnostics.push(errors::from_pest(file, &full, chunk.start, &error));
                    had_errors = true;
                    attempts += 1;
                    let at = error_offset(&error);
                    match blank_clause_line(&mut body, at) {
                        Some(()) if attempts < MAX_RECOVERIES => continue,
                        _ => {
                            result.unparsed_names.extend(definition_names(
                                file,
                                &scan.text,
                                chunk.start,
                                chunk.end,
                            ));
                            break;
                        }
                    }
                }
            }
        }
    }
    // The parser saw the repaired text, whose characters may be shorter than the original's
    // (a typographic quote became spaces and `"`): keep every label on whole characters.
    for d in &mut diagnostics {
        for label in &mut d.labels {
            let mut start = (label.span.start as usize).min(text.len());
            let mut end = (label.span.end as usize).clamp(start, text.len());
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            while !text.is_char_boundary(end) {
                end += 1;
            }
            label.span = Span::new(file, start, end);
        }
    }
    (result, diagnostics)
}

/// The names that a chunk that failed to parse was meant to define, read off the lines that
/// start a definition, so that references to them do not cascade into "unknown name" errors.
fn definition_names(file: FileId, text: &str, start: usize, end: usize) -> Vec<Ident> {
    let mut names = Vec::new();
    let mut offset = start;
    for line in text[start..end].split_inclusive('\n') {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        let first = if first == "aggregate" {
            words.next().unwrap_or("")
        } else {
            first
        };
        let starts = !line.starts_with(char::is_whitespace)
            && (lex::DEFINITION_KEYWORDS.contains(&first)
                || lex::DEFINITION_KEYWORDS
                    .iter()
                    .any(|k| crate::suggest::distance(first, k) <= 2));
        if starts && let Some(word) = words.next() {
            let name: String = word
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                let at = offset + line.find(word).unwrap_or(0);
                names.push(Ident {
                    span: Span::new(file, at, at + name.len()),
                    name,
                });
            }
        }
        offset += line.len();
    }
    names
}
