//! Stage 1: rule text → syntax tree. Does no I/O: it is handed text and returns what parsed
//! plus every diagnostic, never stopping at the first mistake.

pub mod ast;
mod build;
mod errors;
pub mod lex;

use std::num::NonZeroUsize;
use std::sync::{Mutex, Once};

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
        pest::set_error_detail(false);
    });
}

/// Parses one chunk. Pest's record of what it expected costs time on every parse, so the
/// first attempt goes without it; only a chunk that fails is parsed again with it, for the
/// diagnostic. The setting is process-wide, hence the lock around the detailed parse.
fn parse_chunk(
    body: &str,
) -> Result<pest::iterators::Pairs<'_, Rule>, Box<pest::error::Error<Rule>>> {
    static DETAILED: Mutex<()> = Mutex::new(());
    match RuleParser::parse(Rule::chunk, body) {
        Ok(pairs) => Ok(pairs),
        Err(_) => {
            let _guard = DETAILED
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            pest::set_error_detail(true);
            let detailed = RuleParser::parse(Rule::chunk, body);
            pest::set_error_detail(false);
            detailed.map_err(Box::new)
        }
    }
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

/// Recovers from a syntax error inside a definition by blanking the clause it is in, so the
/// rest of the definition can still be read and checked. A clause is the line starting with
/// its keyword plus the more-indented lines that continue it. Nothing is blanked in the
/// definition's first line, and nothing whose brackets do not balance: that would create new,
/// confusing errors. Offsets do not move, since the clause becomes spaces.
fn blank_clause_line(body: &mut String, at: usize) -> Option<()> {
    let at = at.min(body.len());
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        lines.push((offset, offset + line.trim_end_matches('\n').len()));
        offset += line.len();
    }
    let error_line = lines.iter().position(|&(s, e)| s <= at && at <= e)?;
    let text = |k: usize| &body[lines[k].0..lines[k].1];
    let indent = |k: usize| text(k).len() - text(k).trim_start().len();
    let starts_clause = |k: usize| {
        let word: String = text(k)
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        lex::CLAUSE_KEYWORDS.contains(&word.as_str())
    };
    let mut first = error_line;
    while first > 0 && !starts_clause(first) {
        let previous = text(first - 1).trim_end();
        if previous.is_empty() || previous.ends_with('{') || previous.ends_with('}') {
            break;
        }
        first -= 1;
    }
    let mut last = error_line;
    while last + 1 < lines.len() {
        let next = text(last + 1).trim();
        if next.is_empty() || next.starts_with('}') || indent(last + 1) <= indent(first) {
            break;
        }
        last += 1;
    }
    let balanced = |from: usize, to: usize| {
        let code: String = (from..=to)
            .map(|k| text(k).split('#').next().unwrap_or(""))
            .collect();
        let count = |c: char| code.chars().filter(|&x| x == c).count();
        count('{') == count('}') && count('(') == count(')') && count('[') == count(']')
    };
    let (first, last) = if balanced(first, last) {
        (first, last)
    } else if balanced(error_line, error_line) {
        (error_line, error_line)
    } else {
        return None;
    };
    if first == 0 || text(first).trim().is_empty() {
        return None;
    }
    let (start, end) = (lines[first].0, lines[last].1);
    let blank = " ".repeat(end - start);
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
            match parse_chunk(&body) {
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
