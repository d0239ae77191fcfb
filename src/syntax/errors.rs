//! Turns pest's errors into diagnostics in the methodologist's words. Pest's own message names
//! grammar rules; here every expected token or rule becomes a phrase, and common habits from
//! SQL, SAS, Excel and Word get a diagnostic of their own.

use std::collections::BTreeSet;

use pest::error::{Error, ErrorVariant, InputLocation};

use super::Rule;
use crate::diagnostics::{Code, Diagnostic};
use crate::source_db::{FileId, Span};
use crate::suggest;

const OPERATORS: &[&str] = &[
    "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "and", "or", "not", "in", "is", "within",
];

pub fn internal(file: FileId, start: usize, end: usize, message: &str) -> Diagnostic {
    Diagnostic::error(Code::UnexpectedInput, "this definition could not be read")
        .primary(Span::new(file, start, end.min(start + 1)), message)
        .help("this is a bug in indikator; please report it with the rule file")
}

pub fn too_complex(span: Span) -> Diagnostic {
    let start = Span {
        end: span.start.saturating_add(1).min(span.end),
        ..span
    };
    Diagnostic::error(Code::TooDeeplyNested, "this expression is too long")
        .primary(
            start,
            format!(
                "more than {} parts from here",
                super::build::MAX_EXPRESSION_PARTS
            ),
        )
        .help("split it into smaller parts with `let`, or use a code list for long lists of codes")
}

/// What the parser expected, as phrases.
struct Expected {
    keywords: BTreeSet<String>,
    phrases: BTreeSet<&'static str>,
    tokens: BTreeSet<String>,
    operator: bool,
}

impl Expected {
    fn from_error(error: &Error<Rule>) -> Expected {
        let mut expected = Expected {
            keywords: BTreeSet::new(),
            phrases: BTreeSet::new(),
            tokens: BTreeSet::new(),
            operator: false,
        };
        if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
            for rule in positives {
                expected.add_rule(*rule);
            }
        }
        if let Some(attempts) = error.parse_attempts() {
            // The token type is not exported by pest; its display form is the token itself,
            // `a..b` for a character range, or `BUILTIN_RULE`.
            for token in attempts.expected_tokens() {
                let token = token.to_string();
                if token == "0..9" {
                    expected.phrases.insert("a number");
                } else if token != "BUILTIN_RULE" && !(token.len() == 4 && token.contains("..")) {
                    expected.add_token(&token);
                }
            }
        }
        expected
    }

    fn add_token(&mut self, token: &str) {
        if OPERATORS.contains(&token) {
            self.operator = true;
        } else if token == "\"" {
            self.phrases.insert("text in double quotes");
        } else if token.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
            self.keywords.insert(token.to_string());
        } else if !token.trim().is_empty() && token != "\n" && token != "#" {
            self.tokens.insert(token.to_string());
        }
    }

    fn add_rule(&mut self, rule: Rule) {
        let phrase = match rule {
            Rule::ident | Rule::name_list => "a name",
            Rule::string | Rule::string_inner => "text in double quotes",
            Rule::number | Rule::signed_number | Rule::duration_amount => "a number",
            Rule::date => "a date such as `2023-01-01`",
            Rule::duration | Rule::duration_unit => "a duration such as `30 days`",
            Rule::period_spec | Rule::period_year | Rule::period_month | Rule::period_range => {
                "a period such as `2023`, `2019..2023` or `2024-03`"
            }
            Rule::expr
            | Rule::literal
            | Rule::field_ref
            | Rule::call
            | Rule::related
            | Rule::paren
            | Rule::list
            | Rule::percent
            | Rule::boolean
            | Rule::anchor => "a value",
            Rule::op_or
            | Rule::op_and
            | Rule::op_eq
            | Rule::op_ne
            | Rule::op_lt
            | Rule::op_le
            | Rule::op_gt
            | Rule::op_ge
            | Rule::op_add
            | Rule::op_sub
            | Rule::op_mul
            | Rule::op_div
            | Rule::is_test
            | Rule::in_test
            | Rule::not_in_test
            | Rule::within_test => {
                self.operator = true;
                return;
            }
            Rule::aggregation | Rule::count_agg | Rule::sum_agg => "`count of …` or `sum … of …`",
            Rule::column_type => "a column type",
            Rule::code_list | Rule::code_entry => "a code in double quotes",
            Rule::test_value => "a value",
            _ => {
                let name = format!("{rule:?}");
                if let Some(word) = name.strip_prefix("kw_") {
                    self.keywords.insert(word.to_string());
                }
                return;
            }
        };
        self.phrases.insert(phrase);
    }

    /// A short list for the label.
    fn summary(&self) -> String {
        let mut parts: Vec<String> = self.phrases.iter().map(|p| p.to_string()).collect();
        parts.extend(self.tokens.iter().map(|t| format!("`{t}`")));
        if self.operator {
            parts.push("an operator such as `and`, `==` or `<`".to_string());
        }
        if self.keywords.len() > 4 {
            parts.push("a clause keyword".to_string());
        } else {
            parts.extend(self.keywords.iter().map(|k| format!("`{k}`")));
        }
        match parts.len() {
            0 => "something else".to_string(),
            1 => parts.remove(0),
            _ => {
                let last = parts.pop().unwrap_or_default();
                format!("{} or {last}", parts.join(", "))
            }
        }
    }

    fn keyword_list(&self) -> Option<String> {
        (self.keywords.len() > 4).then(|| {
            let list: Vec<String> = self
                .keywords
                .iter()
                // One spelling is enough in help; both are accepted.
                .filter(|k| *k != "standardize")
                .map(|k| format!("`{k}`"))
                .collect();
            format!("what may stand here: {}", list.join(", "))
        })
    }
}

/// The token found at a position, and its length in bytes.
fn found_at(text: &str, pos: usize) -> (String, usize) {
    let rest = &text[pos.min(text.len())..];
    let Some(c) = rest.chars().next() else {
        return ("the end of the file".to_string(), 0);
    };
    if c.is_alphabetic() || c == '_' {
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        return (format!("`{}`", &rest[..len]), len);
    }
    if c.is_ascii_digit() {
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        return (format!("`{}`", &rest[..len]), len);
    }
    if c == '"' {
        let len = rest[1..]
            .find(['"', '\n'])
            .map(|i| i + 2)
            .unwrap_or(rest.len());
        return ("text".to_string(), len.min(rest.len()));
    }
    for op in ["==", "!=", "<=", ">=", "<>", ".."] {
        if rest.starts_with(op) {
            return (format!("`{op}`"), 2);
        }
    }
    (format!("`{c}`"), c.len_utf8())
}

pub fn from_pest(file: FileId, text: &str, offset: usize, error: &Error<Rule>) -> Diagnostic {
    let pos = offset
        + match error.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    if let ErrorVariant::CustomError { message } = &error.variant {
        return Diagnostic::error(
            Code::TooDeeplyNested,
            "this definition is too complex to read",
        )
        .primary(Span::new(file, pos, pos), message.clone())
        .help("split long expressions into smaller parts with `let`");
    }
    let expected = Expected::from_error(error);
    let (found, len) = found_at(text, pos);
    let span = Span::new(
        file,
        pos,
        pos + len.max(if pos < text.len() { 1 } else { 0 }),
    );
    let rest = &text[pos.min(text.len())..];

    if rest.starts_with("<>") {
        return Diagnostic::error(Code::SqlNotEqual, "`<>` is not an operator here")
            .primary(Span::new(file, pos, pos + 2), "not equal is written `!=`")
            .help("use `!=` for not equal");
    }
    if rest.starts_with('=') && !rest.starts_with("==") {
        let span = Span::new(file, pos, pos + 1);
        if expected.operator {
            return Diagnostic::error(Code::SingleEquals, "`=` used to compare")
                .primary(span, "a single `=` does not compare")
                .help("use `==` to compare: `kind == \"somatic\"`");
        }
        let before = previous_word(text, pos);
        return Diagnostic::error(Code::StrayEquals, "unexpected `=`")
            .primary(span, format!("expected {}", expected.summary()))
            .help(match before {
                Some(word) => format!("write `{word}` and its value without `=`"),
                None => "remove the `=`".to_string(),
            });
    }
    let word = found.trim_matches('`');
    if matches!(word, "AND" | "OR" | "NOT" | "And" | "Or" | "Not") {
        let lower = word.to_lowercase();
        return Diagnostic::error(
            Code::UppercaseOperator,
            format!("`{word}` is written in lower case"),
        )
        .primary(span, "operators are lower-case")
        .help(format!("use `{lower}`"));
    }
    if rest.starts_with(',')
        && rest[1..].starts_with(|c: char| c.is_ascii_digit())
        && text[..pos].ends_with(|c: char| c.is_ascii_digit())
    {
        let start = text[..pos]
            .rfind(|c: char| !c.is_ascii_digit())
            .map(|i| i + 1)
            .unwrap_or(0);
        let end = pos
            + 1
            + rest[1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - 1);
        let written = &text[start..end];
        return Diagnostic::error(
            Code::DecimalComma,
            format!("`{written}` has a decimal comma"),
        )
        .primary(Span::new(file, start, end), "numbers use a decimal point")
        .help(format!("write `{}`", written.replace(',', ".")));
    }
    if let Some(after) = rest.strip_prefix('\'') {
        let inner_len = after.find(['\'', '\n']).unwrap_or(after.len());
        let inner = &after[..inner_len];
        let closed = after[inner_len..].starts_with('\'');
        let end = pos + 1 + inner_len + usize::from(closed);
        return Diagnostic::error(Code::SingleQuotes, "text is written in double quotes")
            .primary(Span::new(file, pos, end), "single quotes do not make text")
            .help(format!("write \"{inner}\""));
    }
    if rest.starts_with(';') {
        return Diagnostic::error(Code::UnexpectedInput, "`;` is not needed")
            .primary(
                Span::new(file, pos, pos + 1),
                "clauses end where the next one begins",
            )
            .help("remove the `;`");
    }
    let is_word = rest.starts_with(|c: char| c.is_alphabetic() || c == '_');
    if is_word
        && !expected.keywords.is_empty()
        && let Some(best) = suggest::closest(word, expected.keywords.iter().map(|k| k.as_str()))
    {
        return Diagnostic::error(Code::MisspeltKeyword, format!("unknown keyword `{word}`"))
            .primary(span, "not a keyword here")
            .help(format!("did you mean `{best}`?"));
    }
    if expected.keywords.contains("reason") && !expected.keywords.contains("title") {
        return Diagnostic::error(Code::UnexpectedInput, "a `suppress` rule needs a reason")
            .primary(span, format!("expected `reason NAME` before {found}"))
            .help("write `suppress when CONDITION reason NAME \"explanation\"`");
    }
    Diagnostic::error(Code::UnexpectedInput, format!("unexpected {found}"))
        .primary(span, format!("expected {}", expected.summary()))
        .maybe_help(expected.keyword_list())
}

fn previous_word(text: &str, pos: usize) -> Option<&str> {
    let before = text[..pos].trim_end();
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(|i| i + 1)
        .unwrap_or(0);
    let word = &before[start..];
    (!word.is_empty()).then_some(word)
}
