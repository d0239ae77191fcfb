//! `indikator fmt`: the canonical layout of rule files. Only blanks change: indentation follows
//! the nesting of brackets, tokens are separated by single spaces by fixed rules, comments and
//! line breaks stay where they were (runs of blank lines become one). Because nothing but
//! blanks changes, formatting never changes what a rule means, and it is idempotent.

use crate::check::expr::FUNCTIONS;
use crate::syntax::lex::{CLAUSE_KEYWORDS, DEFINITION_KEYWORDS};

const INDENT: &str = "  ";

/// Words directly followed by `(` without a space: functions, relations and column types.
fn is_callable(word: &str) -> bool {
    FUNCTIONS.contains(&word)
        || matches!(
            word,
            "exists" | "count" | "min" | "max" | "sum" | "category" | "code"
        )
}

#[derive(Debug, Clone, PartialEq)]
enum Token<'a> {
    Word(&'a str),
    Number(&'a str),
    Text(&'a str),
    Punct(&'a str),
    Comment(&'a str),
}

impl<'a> Token<'a> {
    fn text(&self) -> &'a str {
        match self {
            Token::Word(t)
            | Token::Number(t)
            | Token::Text(t)
            | Token::Punct(t)
            | Token::Comment(t) => t,
        }
    }
}

/// Splits one line into tokens. Returns `None` for a line this formatter does not understand
/// (an unterminated text): the file is then left as it is.
fn tokens(line: &str) -> Option<Vec<Token<'_>>> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < line.len() {
        let c = line[i..].chars().next()?;
        let start = i;
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if c == '#' {
            out.push(Token::Comment(line[i..].trim_end()));
            break;
        }
        if c == '"' {
            i += 1;
            let mut closed = false;
            while i < line.len() {
                match bytes[i] {
                    b'\\' => i += 2,
                    b'"' => {
                        i += 1;
                        closed = true;
                        break;
                    }
                    _ => i += 1,
                }
            }
            if !closed {
                return None;
            }
            out.push(Token::Text(&line[start..i.min(line.len())]));
            continue;
        }
        if c.is_ascii_digit() {
            // Numbers, dates (2023-01-31), months (2024-03) and year ranges (2019..2023).
            while i < line.len() {
                let b = bytes[i];
                let date_dash =
                    b == b'-' && i + 1 < line.len() && bytes[i + 1].is_ascii_digit() && {
                        let word = &line[start..i];
                        word.len() == 4 || word.len() == 7
                    };
                let range = b == b'.'
                    && line[i..].starts_with("..")
                    && line[i + 2..].starts_with(|d: char| d.is_ascii_digit())
                    && i - start == 4;
                if b.is_ascii_digit() || (b == b'.' && !line[i..].starts_with("..")) || date_dash {
                    i += 1;
                } else if range {
                    i += 2;
                } else {
                    break;
                }
            }
            out.push(Token::Number(&line[start..i]));
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            while i < line.len() {
                let d = line[i..].chars().next()?;
                if d.is_alphanumeric() || d == '_' {
                    i += d.len_utf8();
                } else {
                    break;
                }
            }
            out.push(Token::Word(&line[start..i]));
            continue;
        }
        let two = line.get(i..i + 2).unwrap_or("");
        if matches!(two, "==" | "!=" | "<=" | ">=" | "..") {
            out.push(Token::Punct(two));
            i += 2;
        } else {
            out.push(Token::Punct(&line[i..i + c.len_utf8()]));
            i += c.len_utf8();
        }
    }
    Some(out)
}

/// Whether a `-` at position `k` is a sign rather than a subtraction.
fn is_sign(tokens: &[Token<'_>], k: usize) -> bool {
    match k.checked_sub(1).map(|p| &tokens[p]) {
        None => true,
        Some(Token::Punct(p)) => !matches!(*p, ")" | "]"),
        Some(Token::Word(w)) => matches!(
            *w,
            "and" | "or" | "not" | "where" | "when" | "value" | "numerator" | "denominator" | "in"
        ),
        _ => false,
    }
}

/// Joins a line's tokens with the canonical spacing.
fn join(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    for (k, token) in tokens.iter().enumerate() {
        let text = token.text();
        if k > 0 {
            let previous = &tokens[k - 1];
            let space = match (previous, token) {
                (_, Token::Comment(_)) => "  ",
                (Token::Punct("(" | "[" | "."), _) => "",
                // A range with no low bound: `in ..100`.
                (Token::Word("in"), Token::Punct("..")) => " ",
                (_, Token::Punct(")" | "]" | "," | "." | ":" | "..")) => "",
                // A range of numbers with no high bound, then a description: `in 0.. "…"`.
                (Token::Punct(".."), Token::Text(_))
                    if k >= 2 && matches!(tokens[k - 2], Token::Number(_)) =>
                {
                    " "
                }
                (Token::Punct(".."), _) => "",
                (Token::Word(w), Token::Punct("(")) if is_callable(w) => "",
                (Token::Punct("-"), Token::Number(_)) if is_sign(tokens, k - 1) => "",
                _ => " ",
            };
            out.push_str(space);
        }
        out.push_str(text);
    }
    out
}

/// The file in canonical layout, or `None` when it cannot be formatted safely (unbalanced
/// brackets or unterminated text: fix the syntax first).
pub fn format(source: &str) -> Option<String> {
    // (indentation level, text, whether it declares a column): columns are aligned at the end.
    let mut lines: Vec<Option<(i64, String, bool)>> = Vec::new();
    // The first word of each open `{` block's line, innermost last.
    let mut openers: Vec<String> = Vec::new();
    let mut brackets: i64 = 0;
    let mut previous_ends_block = true;
    for line in source.lines() {
        let toks = tokens(line)?;
        if toks.is_empty() {
            if lines.last().is_some_and(|l| l.is_some()) {
                lines.push(None);
            }
            continue;
        }
        // A line starting with closing brackets is indented at the level they close to.
        let closes = |kind: &[&str]| {
            toks.iter()
                .take_while(|t| matches!(t, Token::Punct("}" | ")" | "]")))
                .filter(|t| kind.contains(&t.text()))
                .count() as i64
        };
        let block_level = (openers.len() as i64 - closes(&["}"])).max(0);
        let bracket_level = (brackets - closes(&[")", "]"])).max(0);
        let in_columns = openers.last().is_some_and(|o| o == "columns");
        let level = if bracket_level > 0 {
            // Inside brackets: one step deeper than the clause, and one per bracket.
            block_level + bracket_level + 1
        } else if !previous_ends_block
            && !in_columns
            && (continues_clause(&toks) || continues_counting_part(&toks, &openers))
        {
            block_level + 1
        } else {
            block_level
        };
        let declares_column = in_columns
            && bracket_level == 0
            && matches!(toks.as_slice(), [Token::Word(_), Token::Punct(":"), ..]);
        lines.push(Some((level, join(&toks), declares_column)));
        let first_word = match toks.first() {
            Some(Token::Word(w)) => w.to_string(),
            _ => String::new(),
        };
        for t in &toks {
            match t {
                Token::Punct("{") => openers.push(first_word.clone()),
                Token::Punct("}") => {
                    openers.pop()?;
                }
                Token::Punct("(" | "[") => brackets += 1,
                Token::Punct(")" | "]") => brackets -= 1,
                _ => {}
            }
        }
        if brackets < 0 {
            return None;
        }
        let last_code = toks.iter().rev().find(|t| !matches!(t, Token::Comment(_)));
        previous_ends_block = matches!(last_code, Some(Token::Punct("{" | "}")) | None);
    }
    if !openers.is_empty() || brackets != 0 {
        return None;
    }
    while lines.last().is_some_and(|l| l.is_none()) {
        lines.pop();
    }
    align_columns(&mut lines);
    let mut out = String::new();
    for line in lines {
        if let Some((level, text, _)) = line {
            for _ in 0..level {
                out.push_str(INDENT);
            }
            out.push_str(&text);
        }
        out.push('\n');
    }
    Some(out)
}

/// Aligns the types of consecutive column declarations: `name:` padded to the longest name.
fn align_columns(lines: &mut [Option<(i64, String, bool)>]) {
    let mut k = 0;
    while k < lines.len() {
        let run_end = (k..lines.len())
            .find(|&j| !matches!(&lines[j], Some((_, _, true))))
            .unwrap_or(lines.len());
        if run_end > k {
            let width = lines[k..run_end]
                .iter()
                .flatten()
                .map(|(_, text, _)| text.find(':').unwrap_or(0))
                .max()
                .unwrap_or(0);
            for (_, text, _) in lines[k..run_end].iter_mut().flatten() {
                if let Some(colon) = text.find(':') {
                    let rest = text[colon + 1..].trim_start().to_string();
                    *text = format!("{}:{}{rest}", &text[..colon], " ".repeat(width - colon + 1));
                }
            }
            k = run_end;
        } else {
            k += 1;
        }
    }
}

/// Words that begin a clause, a definition or an expectation: a line starting with one of
/// them is never the continuation of the line before.
fn starts_clause(word: &str) -> bool {
    CLAUSE_KEYWORDS.contains(&word)
        || DEFINITION_KEYWORDS.contains(&word)
        || matches!(word, "except" | "suppressed" | "development" | "level")
}

/// Whether a line continues the clause of the line before it (`reason …` after
/// `suppress when …`, or `and …`).
fn continues_clause(toks: &[Token<'_>]) -> bool {
    match toks.first() {
        Some(Token::Word(w)) => !starts_clause(w),
        Some(Token::Punct(p)) => !matches!(*p, "}" | "(" | ")" | "]" | "{"),
        _ => false,
    }
}

/// Whether a line is the `where` of an indicator's counting part (`numerator count of P` on
/// the line before): in an indicator, unlike a population, `where` never starts a clause.
fn continues_counting_part(toks: &[Token<'_>], openers: &[String]) -> bool {
    matches!(toks.first(), Some(Token::Word("where")))
        && openers.last().is_some_and(|o| o == "indicator")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_where_under_a_counting_part_stays_indented() {
        let src =
            "indicator x {\n  numerator count of p\n      where a\n  denominator count of p\n}\n";
        let want =
            "indicator x {\n  numerator count of p\n    where a\n  denominator count of p\n}\n";
        assert_eq!(format(src).as_deref(), Some(want));
        let population = "population p {\n  from s\n  where a\n}\n";
        assert_eq!(format(population).as_deref(), Some(population));
    }

    #[test]
    fn ranges_of_column_values_keep_their_spaces() {
        let canonical = "source s {\n  columns {\n    a: integer in 0.. \"x\"\n    b: decimal in 0..24 \"y\"\n    c: decimal in ..100\n    d: decimal in -5..5\n  }\n  unique a, b\n  one c per a\n  require a <= b\n  may be empty\n}\n";
        assert_eq!(format(canonical).as_deref(), Some(canonical));
        let cramped = canonical
            .replace("in 0.. \"x\"", "in 0..\"x\"")
            .replace("in ..100", "in..100");
        assert_eq!(format(&cramped).as_deref(), Some(canonical));
    }

    #[test]
    fn spacing_and_indentation() {
        let input = "indicator x {\ntitle   \"a  b\"\n      levels national,region\nsuppress when denominator<20 or numerator <5 reason r\n  value a.region*2 # note\n}\n";
        let expected = "indicator x {\n  title \"a  b\"\n  levels national, region\n  suppress when denominator < 20 or numerator < 5 reason r\n  value a.region * 2  # note\n}\n";
        assert_eq!(format(input).as_deref(), Some(expected));
    }

    #[test]
    fn literals_stay_whole() {
        let line =
            "where d in period and d >= 2023-01-31 and x == -5 and y - 5 > 0 and \"A\"..\"B\"";
        let toks = tokens(line).unwrap();
        assert_eq!(
            join(&toks),
            "where d in period and d >= 2023-01-31 and x == -5 and y - 5 > 0 and \"A\"..\"B\""
        );
        assert_eq!(
            join(&tokens("period 2019..2023 compare 2024-03").unwrap()),
            "period 2019..2023 compare 2024-03"
        );
    }

    #[test]
    fn functions_hug_their_brackets() {
        let line = "let a = age (birth_date, at) given src (x, y) ok (1, 2)";
        assert_eq!(
            join(&tokens(line).unwrap()),
            "let a = age(birth_date, at) given src (x, y) ok (1, 2)"
        );
    }

    #[test]
    fn unbalanced_input_is_left_alone() {
        assert_eq!(format("indicator x {\n"), None);
        assert_eq!(format("title \"open\n"), None);
    }
}
