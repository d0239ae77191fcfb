//! A light pre-scan of a rule file before pest sees it.
//!
//! It finds the mistakes a grammar reports badly (typographic quotes, unterminated text,
//! unbalanced brackets, Danish letters in names), repairs the ones it can without moving any
//! byte offset, and cuts the file into definition chunks so that one broken definition does
//! not hide the others.

use crate::diagnostics::{Code, Diagnostic};
use crate::source_db::{FileId, Span};
use crate::suggest;

/// Keywords that start a top-level definition.
pub const DEFINITION_KEYWORDS: &[&str] = &[
    "goal",
    "source",
    "aggregate",
    "codes",
    "cohort",
    "population",
    "standard",
    "indicator",
];

/// Keywords that start a clause inside a definition; used to find where a clause with a
/// syntax error begins and ends, so recovery can skip exactly that clause.
pub const CLAUSE_KEYWORDS: &[&str] = &[
    "title",
    "number",
    "goal",
    "unit",
    "decimals",
    "improvement",
    "levels",
    "period",
    "measure",
    "numerator",
    "denominator",
    "deaths",
    "exposure",
    "value",
    "ages",
    "weight",
    "tally",
    "standardise",
    "standardize",
    "crude",
    "suppress",
    "no",
    "footnote",
    "data_source",
    "hidden",
    "at",
    "test",
    "given",
    "expect",
    "from",
    "where",
    "let",
    "residence",
    "persons",
    "strata",
    "file",
    "description",
    "columns",
    "unique",
    "one",
    "require",
    "may",
    "publish",
];

const MAX_NESTING: usize = 64;

pub struct Prescan {
    /// The text with repairable mistakes repaired; byte offsets are those of the original.
    pub text: String,
    pub chunks: Vec<Chunk>,
    pub diagnostics: Vec<Diagnostic>,
}

pub struct Chunk {
    pub start: usize,
    pub end: usize,
    /// A problem was already reported in this chunk that would make the parser's own report
    /// a confusing echo; the chunk is not parsed.
    pub poisoned: bool,
}

pub fn prescan(file: FileId, original: &str) -> Prescan {
    let mut bytes = original.as_bytes().to_vec();
    let mut diagnostics = Vec::new();
    let mut poisoned_at: Vec<usize> = Vec::new();
    repair_characters(
        file,
        original,
        &mut bytes,
        &mut diagnostics,
        &mut poisoned_at,
    );
    // Every repair swaps UTF-8 sequences for ASCII of the same length, so this cannot fail.
    let text = String::from_utf8(bytes).unwrap_or_else(|_| original.to_string());

    let mut chunks = split_chunks(&text);
    for chunk in &mut chunks {
        if poisoned_at
            .iter()
            .any(|&p| p >= chunk.start && p < chunk.end.max(chunk.start + 1))
        {
            chunk.poisoned = true;
        }
        if let Some(d) = check_brackets(file, &text, chunk) {
            diagnostics.push(d);
            chunk.poisoned = true;
        }
    }
    Prescan {
        text,
        chunks,
        diagnostics,
    }
}

fn is_quote_like(c: char) -> bool {
    matches!(c, '“' | '”' | '„' | '‘' | '’' | '«' | '»' | '‚')
}

/// Replaces the UTF-8 bytes of one character with an ASCII string of the same byte length.
fn overwrite(bytes: &mut [u8], at: usize, replacement: &str) {
    bytes[at..at + replacement.len()].copy_from_slice(replacement.as_bytes());
}

fn pad(c: char, ascii: &str, before: bool) -> String {
    let fill = " ".repeat(c.len_utf8() - ascii.len());
    if before {
        format!("{fill}{ascii}")
    } else {
        format!("{ascii}{fill}")
    }
}

fn repair_characters(
    file: FileId,
    src: &str,
    bytes: &mut [u8],
    diagnostics: &mut Vec<Diagnostic>,
    poisoned_at: &mut Vec<usize>,
) {
    let mut chars = src.char_indices().peekable();
    // Where the current straight-quoted or typographic-quoted text began.
    let mut in_text: Option<(usize, bool)> = None;
    let mut reported_quotes_on_line: Option<usize> = None;
    while let Some((i, c)) = chars.next() {
        match in_text {
            Some((start, typographic)) => {
                let closes = if typographic {
                    is_quote_like(c) || c == '"'
                } else {
                    c == '"'
                };
                if c == '\\' && !typographic {
                    chars.next();
                } else if c == '\n' {
                    let span = Span::new(file, start, i);
                    diagnostics.push(
                        Diagnostic::error(Code::UnterminatedString, "text is not closed")
                            .primary(span, "this text has no closing `\"` on its line")
                            .help("add a `\"` at the end of the text; text cannot span lines"),
                    );
                    poisoned_at.push(start);
                    in_text = None;
                } else if closes {
                    if typographic && c != '"' {
                        overwrite(bytes, i, &pad(c, "\"", false));
                    }
                    in_text = None;
                }
            }
            None => match c {
                '#' => {
                    while let Some(&(_, next)) = chars.peek() {
                        if next == '\n' {
                            break;
                        }
                        chars.next();
                    }
                }
                '"' => in_text = Some((i, false)),
                c if is_quote_like(c) => {
                    let line = src[..i].matches('\n').count();
                    if reported_quotes_on_line != Some(line) {
                        reported_quotes_on_line = Some(line);
                        let end = src[i..]
                            .char_indices()
                            .skip(1)
                            .find(|&(_, q)| is_quote_like(q) || q == '"' || q == '\n')
                            .map(|(j, q)| {
                                if q == '\n' {
                                    i + j
                                } else {
                                    i + j + q.len_utf8()
                                }
                            })
                            .unwrap_or(src.len());
                        diagnostics.push(
                            Diagnostic::error(Code::SmartQuotes, "typographic quotes around text")
                                .primary(Span::new(file, i, end), "these quotes are not `\"`")
                                .help(
                                    "write text between straight double quotes `\"…\"`; word \
                                 processors replace them with “…”",
                                ),
                        );
                    }
                    overwrite(bytes, i, &pad(c, "\"", true));
                    in_text = Some((i, true));
                }
                'æ' | 'ø' | 'å' | 'Æ' | 'Ø' | 'Å' => {
                    let (start, end) = word_around(src, i);
                    let word = &src[start..end];
                    let ascii = suggest::ascii_name(word);
                    diagnostics.push(
                        Diagnostic::error(
                            Code::NonAsciiName,
                            format!("the name `{word}` has letters outside a-z"),
                        )
                        .primary(Span::new(file, start, end), "names use a-z, digits and `_`")
                        .help(format!(
                            "write `{ascii}`; Danish text belongs in titles and descriptions"
                        )),
                    );
                    // Repair every letter of the word so the rest of the file parses.
                    let mut k = start;
                    for ch in word.chars() {
                        let replacement = match ch {
                            'æ' => "ae",
                            'ø' => "oe",
                            'å' => "aa",
                            'Æ' => "AE",
                            'Ø' => "OE",
                            'Å' => "AA",
                            _ => "",
                        };
                        if !replacement.is_empty() {
                            overwrite(bytes, k, replacement);
                        }
                        k += ch.len_utf8();
                    }
                    while let Some(&(j, _)) = chars.peek() {
                        if j >= end {
                            break;
                        }
                        chars.next();
                    }
                }
                '≥' | '≤' | '≠' => {
                    let (ascii, label) = match c {
                        '≥' => (">=", "`>=`"),
                        '≤' => ("<=", "`<=`"),
                        _ => ("!=", "`!=`"),
                    };
                    diagnostics.push(
                        Diagnostic::error(
                            Code::UnexpectedInput,
                            format!("the symbol `{c}` is not an operator of the language"),
                        )
                        .primary(Span::new(file, i, i + c.len_utf8()), "not an operator")
                        .help(format!("write {label}")),
                    );
                    overwrite(bytes, i, &pad(c, ascii, false));
                }
                _ => {}
            },
        }
    }
    if let Some((start, _)) = in_text {
        let span = Span::new(file, start, src.len());
        diagnostics.push(
            Diagnostic::error(Code::UnterminatedString, "text is not closed")
                .primary(span, "this text has no closing `\"`")
                .help("add a `\"` at the end of the text"),
        );
        poisoned_at.push(start);
    }
}

fn word_around(src: &str, at: usize) -> (usize, usize) {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let start = src[..at]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word(c))
        .last()
        .map(|(i, _)| i)
        .unwrap_or(at);
    let end = src[at..]
        .char_indices()
        .find(|&(_, c)| !is_word(c))
        .map(|(i, _)| at + i)
        .unwrap_or(src.len());
    (start, end)
}

/// Whether a line's first word starts a definition (or is a misspelling of a keyword that does).
fn starts_definition(line: &str) -> bool {
    let word: String = line
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if word.is_empty() {
        return false;
    }
    DEFINITION_KEYWORDS.contains(&word.as_str())
        || (word.len() >= 4
            && !is_clause_keyword(&word)
            && DEFINITION_KEYWORDS
                .iter()
                .any(|k| suggest::distance(&word, k) <= 2))
}

fn is_clause_keyword(word: &str) -> bool {
    matches!(
        word,
        "title" | "unit" | "value" | "levels" | "level" | "period" | "number" | "decimals"
    )
}

fn split_chunks(text: &str) -> Vec<Chunk> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if starts_definition(line) {
            starts.push(offset);
        }
        offset += line.len();
    }
    let mut chunks = Vec::new();
    let first = starts.first().copied().unwrap_or(text.len());
    if has_content(&text[..first]) {
        chunks.push(Chunk {
            start: 0,
            end: first,
            poisoned: false,
        });
    }
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        chunks.push(Chunk {
            start,
            end,
            poisoned: false,
        });
    }
    chunks
}

/// Whether a stretch of text holds anything but blanks and comments.
pub fn has_content(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        !t.is_empty() && !t.starts_with('#')
    })
}

/// Checks bracket balance and depth in one chunk, skipping text and comments.
fn check_brackets(file: FileId, text: &str, chunk: &Chunk) -> Option<Diagnostic> {
    let body = &text[chunk.start..chunk.end];
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut seen_open_brace = false;
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        let at = chunk.start + i;
        match c {
            '#' => {
                for (_, n) in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for (_, n) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if n == '\\' {
                        escaped = true;
                    } else if n == '"' || n == '\n' {
                        break;
                    }
                }
            }
            '{' | '(' | '[' => {
                seen_open_brace |= c == '{';
                stack.push((c, at));
                if stack.len() > MAX_NESTING {
                    return Some(
                        Diagnostic::error(Code::TooDeeplyNested, "brackets are nested too deeply")
                            .primary(Span::new(file, at, at + 1), "more than 64 levels deep here")
                            .help("split the expression into smaller parts with `let`"),
                    );
                }
            }
            '}' | ')' | ']' => {
                let want = match c {
                    '}' => '{',
                    ')' => '(',
                    _ => '[',
                };
                let extra = !stack.iter().any(|&(open, _)| open == want);
                if c == '}' && !seen_open_brace {
                    let header_end = body.find('\n').unwrap_or(body.len());
                    let header = body[..header_end].trim_end();
                    let end = chunk.start + header.len();
                    return Some(
                        Diagnostic::error(
                            Code::UnclosedBrace,
                            format!("`{}` has no opening `{{`", header.trim()),
                        )
                        .primary(Span::new(file, end, end), "expected `{` here")
                        .secondary(Span::new(file, at, at + 1), "the block's `}`")
                        .help("write `{` after the name, on the same line: `indicator NAME {`"),
                    );
                }
                if extra {
                    return Some(
                        Diagnostic::error(Code::UnmatchedClose, format!("`{c}` closes nothing"))
                            .primary(
                                Span::new(file, at, at + 1),
                                format!("no `{want}` is open here"),
                            )
                            .help(format!(
                                "remove this `{c}`, or add the `{want}` it belongs to"
                            )),
                    );
                }
                match stack.pop() {
                    Some((open, _)) if open == want => {}
                    Some((open, open_at)) => {
                        return Some(
                            Diagnostic::error(
                                Code::UnmatchedClose,
                                format!("`{c}` closes a `{open}`"),
                            )
                            .primary(
                                Span::new(file, at, at + 1),
                                format!("expected `{}` here", closing(open)),
                            )
                            .secondary(Span::new(file, open_at, open_at + 1), "opened here")
                            .help(format!(
                                "close the `{open}` with `{}` before this `{c}`",
                                closing(open)
                            )),
                        );
                    }
                    None => {
                        return Some(
                            Diagnostic::error(
                                Code::UnmatchedClose,
                                format!("`{c}` closes nothing"),
                            )
                            .primary(Span::new(file, at, at + 1), "no block is open here")
                            .help("remove this bracket, or add the opening one it belongs to"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    let (open, open_at) = stack.first().copied()?;
    let what = if open == '{' { "block" } else { "bracket" };
    let next = chunk.end < text.len();
    let mut d = Diagnostic::error(Code::UnclosedBrace, format!("this {what} is never closed"))
        .primary(
            Span::new(file, open_at, open_at + 1),
            format!("this `{open}` has no matching `{}`", closing(open)),
        );
    d = if next {
        let end = text[chunk.end..]
            .find('\n')
            .map(|n| chunk.end + n)
            .unwrap_or(text.len());
        d.secondary(
            Span::new(file, chunk.end, end),
            "the next definition starts here",
        )
        .help(format!(
            "add `{}` where the {what} ends, before the next definition",
            closing(open)
        ))
    } else {
        d.help(format!("add `{}` where the {what} ends", closing(open)))
    };
    Some(d)
}

fn closing(open: char) -> char {
    match open {
        '{' => '}',
        '(' => ')',
        _ => ']',
    }
}
