//! Types expressions. Inference reads the checker's definitions but writes only to a
//! [`Sink`], so the same code serves checking (diagnostics kept) and schema building
//! (diagnostics dropped, since the definition itself is checked on its own).

use std::rc::Rc;

use indikator_calendar::Day;

use super::program::{Field, Resolution};
use super::types::Ty;
use super::{Checker, Schema};
use crate::diagnostics::{Code, Diagnostic};
use crate::source_db::Span;
use crate::suggest;
use crate::syntax::ast::*;
use crate::words::Level;

/// Where an expression stands, which decides what its names mean.
pub enum Scope {
    /// Over the rows of a source or population: names are columns and `let` fields.
    Rows {
        owner: String,
        schema: Rc<Schema>,
        /// Rows bound by `exists(next in …)`, reachable as `next.column`.
        aliases: Vec<(String, Rc<Schema>)>,
    },
    /// Over rows whose schema is unknown because of an error already reported.
    Opaque { owner: String },
    /// A suppression condition: names are the computed figures of a unit.
    Threshold { tallies: Vec<String> },
    /// A derived indicator's formula: names are other indicators.
    Formula { levels: Vec<String> },
}

#[derive(Default)]
pub struct Sink {
    pub diagnostics: Vec<Diagnostic>,
    /// Definitions the expression refers to (code lists, cohorts, sources, indicators).
    pub references: Vec<Ident>,
    /// Field names and what they resolved to in whose rows.
    pub fields: Vec<(Span, Resolution, Field)>,
}

pub const FUNCTIONS: &[&str] = &[
    "age", "days", "hours", "years", "year", "month", "band", "coalesce", "earliest", "latest",
];

pub fn infer_quietly(c: &Checker, e: &Expr, schema: &Rc<Schema>) -> Ty {
    let scope = Scope::Rows {
        owner: String::new(),
        schema: schema.clone(),
        aliases: Vec::new(),
    };
    infer(c, e, &scope, &mut Sink::default())
}

fn number_type(n: f64) -> Ty {
    if n.fract() == 0.0 {
        Ty::Integer
    } else {
        Ty::Decimal
    }
}

/// The years a date literal may name: wide enough for any birth date and any period of a
/// report, narrow enough that arithmetic on such dates stays far inside the calendar.
pub const LITERAL_YEARS: std::ops::RangeInclusive<i32> = 1800..=2200;

pub fn valid_date(d: DateLit) -> bool {
    LITERAL_YEARS.contains(&d.year) && Day::from_civil(d.year, d.month, d.day).is_some()
}

/// The value of an expression of literals alone, as the evaluator would compute it; `None` for
/// an expression that reads data, and for one whose value leaves the range the evaluator can
/// hold (reported where it first leaves it, by [`out_of_range`]).
#[derive(Debug, Clone, Copy)]
enum Constant {
    Number(f64),
    /// A day number of the calendar.
    Date(i64),
    /// Days.
    Duration(f64),
}

impl Constant {
    fn in_range(self) -> bool {
        match self {
            Constant::Number(n) => n.is_finite(),
            Constant::Date(d) => Day::from_number(d).is_some(),
            Constant::Duration(d) => d.is_finite() && d.abs() <= f64::from(Day::SPAN_DAYS),
        }
    }
}

fn constant(e: &Expr) -> Option<Constant> {
    let value = unchecked_constant(e)?;
    value.in_range().then_some(value)
}

/// The constant of a literal, or of an operation on constants, before its range is checked.
fn unchecked_constant(e: &Expr) -> Option<Constant> {
    use Constant::*;
    Some(match &e.kind {
        ExprKind::Number(n) | ExprKind::Percent(n) => Number(*n),
        ExprKind::Date(d) => Date(i64::from(Day::from_civil(d.year, d.month, d.day)?.number())),
        ExprKind::Duration(amount, unit) => Duration(unit.days(*amount)),
        ExprKind::Unary(UnaryOp::Neg, x) => match constant(x)? {
            Number(n) => Number(-n),
            Duration(d) => Duration(-d),
            Date(_) => return None,
        },
        ExprKind::Binary(op, a, b) => {
            let (a, b) = (constant(a)?, constant(b)?);
            // Dates move by whole days, as the evaluator moves them.
            let days = |d: f64| d.round() as i64;
            match (op, a, b) {
                (BinaryOp::Add, Number(x), Number(y)) => Number(x + y),
                (BinaryOp::Sub, Number(x), Number(y)) => Number(x - y),
                (BinaryOp::Mul, Number(x), Number(y)) => Number(x * y),
                (BinaryOp::Div, Number(x), Number(y)) if y != 0.0 => Number(x / y),
                (BinaryOp::Add, Date(d), Duration(n)) | (BinaryOp::Add, Duration(n), Date(d)) => {
                    Date(d + days(n))
                }
                (BinaryOp::Sub, Date(d), Duration(n)) => Date(d - days(n)),
                (BinaryOp::Sub, Date(x), Date(y)) => Duration((x - y) as f64),
                (BinaryOp::Add, Duration(x), Duration(y)) => Duration(x + y),
                (BinaryOp::Sub, Duration(x), Duration(y)) => Duration(x - y),
                (BinaryOp::Mul, Duration(d), Number(n))
                | (BinaryOp::Mul, Number(n), Duration(d)) => Duration(d * n),
                (BinaryOp::Div, Duration(d), Number(n)) if n != 0.0 => Duration(d / n),
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// Refuses a literal, or an operation on constants, whose value the evaluator cannot hold: a
/// number beyond the largest one, a duration longer than the calendar, a day outside it. Only
/// the place where the value first leaves its range is reported.
fn out_of_range(e: &Expr, sink: &mut Sink) {
    let Some(value) = unchecked_constant(e) else {
        return;
    };
    if value.in_range() {
        return;
    }
    let calendar = format!("the calendar runs from {} to {}", Day::MIN, Day::MAX);
    let (message, label, help) = match (value, &e.kind) {
        (Constant::Number(_), ExprKind::Number(_) | ExprKind::Percent(_)) => (
            "this number is too large".to_string(),
            "beyond the largest number indikator can compute with".to_string(),
            "numbers must be below 10^308; write the number in the unit the rule needs".to_string(),
        ),
        (Constant::Number(_), _) => (
            "this arithmetic gives a number too large to compute with".to_string(),
            "the result is beyond the largest number (about 10^308)".to_string(),
            "use smaller numbers".to_string(),
        ),
        (Constant::Duration(_), _) => (
            "this duration is longer than the calendar".to_string(),
            format!("more than {} days (about 10,000 years)", Day::SPAN_DAYS),
            format!("{calendar}; a duration is at most the days between them"),
        ),
        (Constant::Date(_), _) => (
            "this date falls outside the calendar".to_string(),
            "the day computed here cannot be written as YYYY-MM-DD".to_string(),
            calendar,
        ),
    };
    sink.diagnostics.push(
        Diagnostic::error(Code::OutOfRange, message)
            .primary(e.span, label)
            .help(help),
    );
}

pub fn infer(c: &Checker, e: &Expr, scope: &Scope, sink: &mut Sink) -> Ty {
    let ty = infer_type(c, e, scope, sink);
    if matches!(
        e.kind,
        ExprKind::Number(_)
            | ExprKind::Percent(_)
            | ExprKind::Duration(..)
            | ExprKind::Unary(..)
            | ExprKind::Binary(..)
    ) {
        out_of_range(e, sink);
    }
    ty
}

fn infer_type(c: &Checker, e: &Expr, scope: &Scope, sink: &mut Sink) -> Ty {
    match &e.kind {
        ExprKind::Number(n) => number_type(*n),
        ExprKind::Text(_) => Ty::Text,
        ExprKind::Bool(_) => Ty::Bool,
        ExprKind::Date(d) => {
            if !valid_date(*d) {
                sink.diagnostics.push(
                    Diagnostic::error(
                        Code::InvalidDate,
                        format!("{:04}-{:02}-{:02} is not a date", d.year, d.month, d.day),
                    )
                    .primary(e.span, "no such day")
                    .help("dates are written year-month-day, such as `2023-01-31`"),
                );
                return Ty::Unknown;
            }
            Ty::Date
        }
        ExprKind::Duration(..) => Ty::Duration,
        ExprKind::Percent(_) => Ty::Decimal,
        ExprKind::List(items) => {
            // `x in [...]` reads its list's items itself; a list anywhere else has no value
            // the evaluator could give it.
            for item in items {
                infer(c, item, scope, sink);
            }
            sink.diagnostics.push(
                Diagnostic::error(Code::TypeMismatch, "a list can only follow `in`")
                    .primary(e.span, "a list is not a value by itself")
                    .help("test a value against the list: `municipality in [101, 147]`"),
            );
            Ty::Unknown
        }
        ExprKind::Name(name) => name_type(c, name, scope, sink),
        ExprKind::Field(base, field) => field_type(c, base, field, scope, sink),
        ExprKind::Call(function, args) => call_type(c, e, function, args, scope, sink),
        ExprKind::Unary(op, inner) => {
            let t = infer(c, inner, scope, sink);
            match op {
                UnaryOp::Not => {
                    expect_bool(inner, &t, "`not`", sink);
                    Ty::Bool
                }
                UnaryOp::Neg => {
                    if !t.is_number() && t != Ty::Duration {
                        sink.diagnostics.push(
                            Diagnostic::error(Code::TypeMismatch, "only numbers can be negative")
                                .primary(inner.span, format!("this is {t}")),
                        );
                        return Ty::Unknown;
                    }
                    t
                }
            }
        }
        ExprKind::Binary(op, lhs, rhs) => binary_type(c, e, *op, lhs, rhs, scope, sink),
        ExprKind::In {
            value,
            target,
            negated: _,
        } => {
            let t = infer(c, value, scope, sink);
            match target {
                InTarget::List(items) => {
                    for item in items {
                        let it = infer(c, item, scope, sink);
                        if !t.comparable(&it) {
                            sink.diagnostics.push(
                                Diagnostic::error(
                                    Code::TypeMismatch,
                                    format!("the list holds {it}, but the value is {t}"),
                                )
                                .primary(item.span, format!("this is {it}"))
                                .secondary(value.span, format!("this is {t}")),
                            );
                            break;
                        }
                        check_category_value(&t, value, item, sink);
                    }
                }
                InTarget::Name(name) => in_name(c, &t, value, name, scope, sink),
            }
            Ty::Bool
        }
        ExprKind::IsMissing { value, .. } => {
            infer(c, value, scope, sink);
            Ty::Bool
        }
        ExprKind::Within {
            value,
            anchor,
            amount,
            unit,
            ..
        } => {
            if !Constant::Duration(unit.days(*amount)).in_range() {
                sink.diagnostics.push(
                    Diagnostic::error(Code::OutOfRange, "this duration is longer than the calendar")
                        .primary(e.span, format!("more than {} days (about 10,000 years)", Day::SPAN_DAYS))
                        .help(format!(
                            "the calendar runs from {} to {}; a duration is at most the days between them",
                            Day::MIN,
                            Day::MAX
                        )),
                );
            }
            let t = infer(c, value, scope, sink);
            let a = infer(c, anchor, scope, sink);
            for (side, ty) in [(value, &t), (anchor, &a)] {
                if !matches!(ty, Ty::Date | Ty::Unknown) {
                    sink.diagnostics.push(
                        Diagnostic::error(Code::TypeMismatch, "`within` compares two dates")
                            .primary(side.span, format!("this is {ty}, not a date"))
                            .help("write `DATE within 30 days after DATE`"),
                    );
                }
            }
            Ty::Bool
        }
        ExprKind::Related(related) => related_type(c, related, scope, sink),
    }
}

fn expect_bool(e: &Expr, t: &Ty, what: &str, sink: &mut Sink) {
    if !matches!(t, Ty::Bool | Ty::Unknown) {
        sink.diagnostics.push(
            Diagnostic::error(Code::NotBoolean, format!("{what} needs a condition"))
                .primary(e.span, format!("this is {t}, not true or false"))
                .help("compare it with something, such as `age >= 65`"),
        );
    }
}

fn name_type(c: &Checker, name: &Ident, scope: &Scope, sink: &mut Sink) -> Ty {
    match scope {
        Scope::Opaque { .. } => Ty::Unknown,
        Scope::Rows {
            schema, aliases, ..
        } => {
            if let Some(t) = schema.field(&name.name) {
                if let Some((rows, field)) = schema.resolve(&name.name) {
                    sink.fields.push((name.span, rows, field));
                }
                return t.clone();
            }
            if name.name == "period" {
                sink.diagnostics.push(
                    Diagnostic::error(Code::UnknownName, "`period` is not a value by itself")
                        .primary(name.span, "a period is a span of time")
                        .help("test a date with `DATE in period`, or use `period.start` or `period.end`"),
                );
                return Ty::Unknown;
            }
            if aliases.iter().any(|(a, _)| *a == name.name) {
                sink.diagnostics.push(
                    Diagnostic::error(
                        Code::UnknownName,
                        format!("`{}` is a row, not a value", name.name),
                    )
                    .primary(name.span, "name one of its columns")
                    .help(format!("write `{}.COLUMN`", name.name)),
                );
                return Ty::Unknown;
            }
            let mut help = suggest::help_for(&name.name, schema.names(), "its columns are");
            if help.is_none() && c.definitions.contains_key(name.name.as_str()) {
                help = Some(format!(
                    "`{}` is a definition, not a column; columns of {} can be used here",
                    name.name, schema.origin
                ));
            }
            sink.diagnostics.push(
                Diagnostic::error(
                    Code::UnknownColumn,
                    format!("unknown column `{}`", name.name),
                )
                .primary(
                    name.span,
                    format!("{} has no column of this name", schema.origin),
                )
                .maybe_help(help),
            );
            Ty::Unknown
        }
        Scope::Threshold { tallies } => {
            match name.name.as_str() {
                "numerator" | "denominator" | "value" => return Ty::Decimal,
                "area" => return Ty::Unit,
                n if tallies.iter().any(|t| t == n) => return Ty::Decimal,
                _ => {}
            }
            let mut candidates = vec!["numerator", "denominator", "value", "area"];
            candidates.extend(tallies.iter().map(|t| t.as_str()));
            let help = suggest::closest(&name.name, candidates.iter().copied())
                .map(|b| format!("did you mean `{b}`?"))
                .unwrap_or_else(|| {
                    "use `numerator`, `denominator`, `value`, `area`, or a `tally` defined in the indicator"
                        .to_string()
                });
            sink.diagnostics.push(
                Diagnostic::error(
                    Code::ThresholdName,
                    format!("`{}` is not a figure of the indicator", name.name),
                )
                .primary(
                    name.span,
                    "suppression rules see the computed figures, not the data",
                )
                .help(help),
            );
            Ty::Unknown
        }
        Scope::Formula { levels } => {
            indicator_reference(c, name, None, levels, sink);
            Ty::Decimal
        }
    }
}

/// A reference from a derived indicator's formula to another indicator.
fn indicator_reference(
    c: &Checker,
    name: &Ident,
    level: Option<&Ident>,
    levels: &[String],
    sink: &mut Sink,
) {
    match c.definitions.get(name.name.as_str()) {
        Some(Definition::Indicator(other)) => {
            sink.references.push(name.clone());
            let computed = indicator_levels(other);
            let needed: Vec<&str> = match level {
                Some(l) => vec![l.name.as_str()],
                None => levels.iter().map(|s| s.as_str()).collect(),
            };
            for lvl in needed {
                if lvl.parse::<Level>().is_ok() && !computed.iter().any(|c| c == lvl) {
                    let at = level.map(|l| l.span).unwrap_or(name.span);
                    sink.diagnostics.push(
                        Diagnostic::error(
                            Code::LevelNotComputed,
                            format!("`{}` is not computed at {lvl} level", name.name),
                        )
                        .primary(at, format!("needed at {lvl} level here"))
                        .secondary(other.name.span, "its `levels` are declared in this indicator")
                        .help(format!("add `{lvl}` to the `levels` of `{}`, or use `{}.region` for the region's figure", name.name, name.name)),
                    );
                    break;
                }
            }
        }
        _ => {
            if let Some(d) = c.unknown_diagnostic(name, Code::UnknownIndicator, "indicator", |d| {
                matches!(d, Definition::Indicator(_))
            }) {
                sink.diagnostics.push(d);
            }
        }
    }
}

pub fn indicator_levels(i: &Indicator) -> Vec<String> {
    i.clauses
        .iter()
        .find_map(|c| match &c.kind {
            ClauseKind::Levels(l) => Some(l.iter().map(|x| x.name.clone()).collect()),
            _ => None,
        })
        .unwrap_or_default()
}

fn field_type(c: &Checker, base: &Ident, field: &Ident, scope: &Scope, sink: &mut Sink) -> Ty {
    match scope {
        Scope::Opaque { .. } => Ty::Unknown,
        Scope::Rows {
            schema, aliases, ..
        } => {
            if base.name == "period" {
                if matches!(field.name.as_str(), "start" | "end") {
                    return Ty::Date;
                }
                sink.diagnostics.push(
                    Diagnostic::error(
                        Code::UnknownName,
                        format!("a period has no `{}`", field.name),
                    )
                    .primary(field.span, "not part of a period")
                    .help("use `period.start` or `period.end`"),
                );
                return Ty::Unknown;
            }
            if let Some((_, alias_schema)) = aliases.iter().rev().find(|(a, _)| *a == base.name) {
                if let Some(t) = alias_schema.field(&field.name) {
                    if let Some((rows, resolved)) = alias_schema.resolve(&field.name) {
                        sink.fields.push((field.span, rows, resolved));
                    }
                    return t.clone();
                }
                let help = suggest::help_for(&field.name, alias_schema.names(), "its columns are");
                sink.diagnostics.push(
                    Diagnostic::error(
                        Code::UnknownColumn,
                        format!("unknown column `{}`", field.name),
                    )
                    .primary(
                        field.span,
                        format!("{} has no column of this name", alias_schema.origin),
                    )
                    .maybe_help(help),
                );
                return Ty::Unknown;
            }
            let help = if schema.field(&base.name).is_some() {
                format!("`{}` is a column; columns have no parts", base.name)
            } else {
                "a `NAME.column` form needs a row named in `exists(NAME in SOURCE …)`".to_string()
            };
            sink.diagnostics.push(
                Diagnostic::error(Code::UnknownName, format!("unknown row `{}`", base.name))
                    .primary(base.span, "no row of this name is in reach")
                    .help(help),
            );
            Ty::Unknown
        }
        Scope::Threshold { .. } => {
            sink.diagnostics.push(
                Diagnostic::error(
                    Code::ThresholdName,
                    format!("`{}.{}` is not available here", base.name, field.name),
                )
                .primary(
                    base.span.to(field.span),
                    "suppression rules see the unit's own figures",
                )
                .help("use `numerator`, `denominator`, `value`, `area` or a `tally`"),
            );
            Ty::Unknown
        }
        Scope::Formula { levels } => {
            if field.name.parse::<Level>().is_err() {
                let help = suggest::help_for_fixed(
                    &field.name,
                    Level::NAMES.iter().copied(),
                    "the levels are",
                );
                sink.diagnostics.push(
                    Diagnostic::error(
                        Code::UnknownLevel,
                        format!("unknown level `{}`", field.name),
                    )
                    .primary(field.span, "not a level")
                    .maybe_help(help),
                );
                return Ty::Unknown;
            }
            indicator_reference(c, base, Some(field), levels, sink);
            Ty::Decimal
        }
    }
}

fn check_category_value(t: &Ty, value: &Expr, literal: &Expr, sink: &mut Sink) {
    if let (Ty::Category(values), ExprKind::Text(text)) = (t, &literal.kind)
        && !values.iter().any(|v| v == text)
    {
        let help = suggest::help_for(text, values.iter().map(|v| v.as_str()), "its values are");
        let column = match &value.kind {
            ExprKind::Name(n) => format!("`{}`", n.name),
            ExprKind::Field(a, b) => format!("`{}.{}`", a.name, b.name),
            _ => "the category".to_string(),
        };
        sink.diagnostics.push(
            Diagnostic::error(
                Code::UnknownCategoryValue,
                format!("\"{text}\" is not a value of {column}"),
            )
            .primary(literal.span, "not among the declared values")
            .maybe_help(help),
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn binary_type(
    c: &Checker,
    _whole: &Expr,
    op: BinaryOp,
    lhs: &Expr,
    rhs: &Expr,
    scope: &Scope,
    sink: &mut Sink,
) -> Ty {
    let l = infer(c, lhs, scope, sink);
    let r = infer(c, rhs, scope, sink);
    let mismatch = |sink: &mut Sink, help: &str| {
        sink.diagnostics.push(
            Diagnostic::error(
                Code::TypeMismatch,
                format!("`{}` cannot combine {l} and {r}", op.symbol()),
            )
            .primary(rhs.span, format!("this is {r}"))
            .secondary(lhs.span, format!("this is {l}"))
            .help(help.to_string()),
        );
    };
    match op {
        BinaryOp::And | BinaryOp::Or => {
            expect_bool(lhs, &l, &format!("`{}`", op.symbol()), sink);
            expect_bool(rhs, &r, &format!("`{}`", op.symbol()), sink);
            Ty::Bool
        }
        BinaryOp::Eq | BinaryOp::Ne => {
            if !l.comparable(&r) {
                let values = match (&l, &r) {
                    (Ty::Category(v), _) | (_, Ty::Category(v)) => Some(v.clone()),
                    _ => None,
                };
                let person = matches!(l, Ty::Person | Ty::Id) || matches!(r, Ty::Person | Ty::Id);
                match values {
                    None if person => mismatch(
                        sink,
                        "a person equals only another person (`next.person == person`), an id only an id or a text (`id == \"A12\"`); test a group of persons with a cohort: `person in COHORT`",
                    ),
                    Some(v) => mismatch(
                        sink,
                        &format!(
                            "the category's values are {}",
                            v.iter()
                                .map(|x| format!("\"{x}\""))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ),
                    None => mismatch(sink, "compare values of the same kind"),
                }
            } else {
                check_category_value(&l, lhs, rhs, sink);
                check_category_value(&r, rhs, lhs, sink);
            }
            Ty::Bool
        }
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            if !l.orderable(&r) {
                let help = if (l == Ty::Date && r.is_number()) || (r == Ty::Date && l.is_number()) {
                    "to compare with a date write one, such as `2023-01-01`; for a span of time, use `days(a, b)`"
                } else {
                    "only numbers, dates and durations can be ordered"
                };
                mismatch(sink, help);
            }
            Ty::Bool
        }
        BinaryOp::Add | BinaryOp::Sub => match (&l, &r) {
            (Ty::Unknown, _) | (_, Ty::Unknown) => Ty::Unknown,
            (a, b) if a.is_number() && b.is_number() => widen(a, b),
            (Ty::Date, Ty::Duration) => Ty::Date,
            (Ty::Duration, Ty::Duration) => Ty::Duration,
            (Ty::Date, Ty::Date) if op == BinaryOp::Sub => Ty::Duration,
            _ => {
                mismatch(
                    sink,
                    "add durations to dates, such as `admitted + 30 days`; use `days(a, b)` for the days between two dates",
                );
                Ty::Unknown
            }
        },
        BinaryOp::Mul | BinaryOp::Div => match (&l, &r) {
            (Ty::Unknown, _) | (_, Ty::Unknown) => Ty::Unknown,
            (a, b) if a.is_number() && b.is_number() => Ty::Decimal,
            (Ty::Duration, b) if b.is_number() => Ty::Duration,
            _ => {
                mismatch(sink, "only numbers can be multiplied or divided");
                Ty::Unknown
            }
        },
    }
}

fn widen(a: &Ty, b: &Ty) -> Ty {
    if *a == Ty::Integer && *b == Ty::Integer {
        Ty::Integer
    } else {
        Ty::Decimal
    }
}

fn in_name(c: &Checker, t: &Ty, value: &Expr, name: &Ident, scope: &Scope, sink: &mut Sink) {
    if name.name == "period" {
        if !matches!(t, Ty::Date | Ty::Unknown | Ty::Period) {
            sink.diagnostics.push(
                Diagnostic::error(Code::TypeMismatch, "only dates can be `in period`")
                    .primary(value.span, format!("this is {t}"))
                    .help("test a date column, such as `discharged in period`"),
            );
        }
        return;
    }
    if matches!(scope, Scope::Opaque { .. }) && !c.definitions.contains_key(name.name.as_str()) {
        // Still say so: code lists and cohorts do not depend on the unknown population.
    }
    match c.definitions.get(name.name.as_str()) {
        Some(Definition::Codes(codes)) => {
            sink.references.push(name.clone());
            match t {
                Ty::Code(system) if *system != codes.system.name => {
                    sink.diagnostics.push(
                        Diagnostic::error(
                            Code::CodeSystemMismatch,
                            format!(
                                "{} codes tested against {} code list `{}`",
                                system, codes.system.name, name.name
                            ),
                        )
                        .primary(name.span, format!("a list of {} codes", codes.system.name))
                        .secondary(value.span, format!("this holds {system} codes"))
                        .secondary(codes.system.span, "the code list's system is declared here")
                        .help("test the column against a code list of the same system"),
                    );
                }
                Ty::Code(_) | Ty::Text | Ty::Unknown => {}
                other => sink.diagnostics.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!("`{}` is a code list, but this is {other}", name.name),
                    )
                    .primary(value.span, "not a code")
                    .help("test a column of type `code(…)` against a code list"),
                ),
            }
        }
        Some(Definition::Cohort(_)) => {
            sink.references.push(name.clone());
            if !matches!(t, Ty::Person | Ty::Unknown) {
                sink.diagnostics.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!("`{}` is a cohort of persons, but this is {t}", name.name),
                    )
                    .primary(value.span, "not a person")
                    .help(format!("test the person column: `person in {}`", name.name)),
                );
            }
        }
        _ => {
            if let Some(d) =
                c.unknown_diagnostic(name, Code::UnknownCodeList, "code list or cohort", |d| {
                    matches!(d, Definition::Codes(_) | Definition::Cohort(_))
                })
            {
                sink.diagnostics.push(d);
            }
        }
    }
}

fn related_type(c: &Checker, related: &Related, scope: &Scope, sink: &mut Sink) -> Ty {
    let (owner, outer_schema, outer_aliases) = match scope {
        Scope::Rows {
            owner,
            schema,
            aliases,
        } => (owner.clone(), Some(schema.clone()), aliases.clone()),
        Scope::Opaque { owner } => (owner.clone(), None, Vec::new()),
        _ => {
            sink.diagnostics.push(
                Diagnostic::error(
                    Code::UnknownName,
                    format!("`{}(…)` needs rows to look in", related.function.name()),
                )
                .primary(related.function_span, "not available here")
                .help("related rows can be used in populations, cohorts and `where` conditions"),
            );
            return Ty::Unknown;
        }
    };
    let inner = match c.definitions.get(related.source.name.as_str()) {
        Some(Definition::Source(_) | Definition::Population(_)) => {
            sink.references.push(related.source.clone());
            c.schema_of(&related.source.name)
        }
        _ => {
            if let Some(d) = c.unknown_diagnostic(
                &related.source,
                Code::UnknownSource,
                "source or population",
                |d| matches!(d, Definition::Source(_) | Definition::Population(_)),
            ) {
                sink.diagnostics.push(d);
            }
            None
        }
    };
    if related.same_person {
        let mut reported: Vec<String> = Vec::new();
        for (schema, at) in [
            (&outer_schema, related.function_span),
            (&inner, related.source.span),
        ] {
            if let Some(s) = schema
                && s.person.is_none()
                && !reported.contains(&s.origin)
            {
                reported.push(s.origin.clone());
                sink.diagnostics.push(
                    Diagnostic::error(
                        Code::NoPersonColumn,
                        format!("{} has no person column", s.origin),
                    )
                    .primary(at, "`of same person` links rows by their person column")
                    .help("declare the person's column with type `person` in the source"),
                );
            }
        }
    }
    let inner_scope = match (outer_schema, inner) {
        (Some(outer), Some(inner)) => {
            let mut aliases = outer_aliases;
            aliases.push((related.alias.name.clone(), inner));
            Scope::Rows {
                owner: owner.clone(),
                schema: outer,
                aliases,
            }
        }
        _ => Scope::Opaque { owner },
    };
    if let Some(filter) = &related.filter {
        let t = infer(c, filter, &inner_scope, sink);
        expect_bool(filter, &t, "`where`", sink);
    }
    let projected = related
        .projection
        .as_ref()
        .map(|p| (p, infer(c, p, &inner_scope, sink)));
    let name = related.function.name();
    match (related.function, projected) {
        (RelatedFn::Exists, None) => Ty::Bool,
        (RelatedFn::Count, None) => Ty::Integer,
        (RelatedFn::Exists | RelatedFn::Count, Some((p, _))) => {
            sink.diagnostics.push(
                Diagnostic::error(
                    Code::BadArguments,
                    format!("`{name}` takes no value before `for`"),
                )
                .primary(p.span, "not used")
                .help(format!(
                    "write `{name}({} in {} where …)`",
                    related.alias.name, related.source.name
                )),
            );
            if related.function == RelatedFn::Exists {
                Ty::Bool
            } else {
                Ty::Integer
            }
        }
        (_, None) => {
            sink.diagnostics.push(
                Diagnostic::error(
                    Code::BadArguments,
                    format!("`{name}` needs a value to take the {name} of"),
                )
                .primary(related.function_span, "no value given")
                .help(format!(
                    "write `{name}({}.COLUMN for {} in {} …)`",
                    related.alias.name, related.alias.name, related.source.name
                )),
            );
            Ty::Unknown
        }
        (RelatedFn::Sum, Some((p, t))) => {
            if !t.is_number() {
                sink.diagnostics.push(
                    Diagnostic::error(Code::TypeMismatch, "`sum` adds numbers")
                        .primary(p.span, format!("this is {t}")),
                );
            }
            Ty::Decimal
        }
        (_, Some((p, t))) => {
            if !t.orderable(&t) {
                sink.diagnostics.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!("`{name}` needs numbers or dates"),
                    )
                    .primary(p.span, format!("this is {t}")),
                );
                return Ty::Unknown;
            }
            t
        }
    }
}

fn call_type(
    c: &Checker,
    e: &Expr,
    function: &Ident,
    args: &[Expr],
    scope: &Scope,
    sink: &mut Sink,
) -> Ty {
    let types: Vec<Ty> = args.iter().map(|a| infer(c, a, scope, sink)).collect();
    let name = function.name.as_str();
    let arity = |sink: &mut Sink, n: usize, usage: &str| -> bool {
        if args.len() != n {
            sink.diagnostics.push(
                Diagnostic::error(
                    Code::BadArguments,
                    format!(
                        "`{name}` takes {n} argument{}, not {}",
                        if n == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .primary(e.span, format!("{} given", args.len()))
                .help(format!("write `{usage}`")),
            );
            return false;
        }
        true
    };
    let want = |sink: &mut Sink, i: usize, ok: bool, what: &str, usage: &str| {
        if !ok {
            sink.diagnostics.push(
                Diagnostic::error(Code::BadArguments, format!("`{name}` needs {what} here"))
                    .primary(args[i].span, format!("this is {}", types[i]))
                    .help(format!("write `{usage}`")),
            );
        }
    };
    let is_date = |t: &Ty| matches!(t, Ty::Date | Ty::Unknown);
    match name {
        "age" | "days" | "hours" | "years" => {
            let usage = format!("{name}(FROM_DATE, TO_DATE)");
            if arity(sink, 2, &usage) {
                want(sink, 0, is_date(&types[0]), "a date", &usage);
                want(sink, 1, is_date(&types[1]), "a date", &usage);
            }
            if matches!(name, "age" | "days") {
                Ty::Integer
            } else {
                Ty::Decimal
            }
        }
        "year" | "month" => {
            let usage = format!("{name}(DATE)");
            if arity(sink, 1, &usage) {
                want(sink, 0, is_date(&types[0]), "a date", &usage);
            }
            Ty::Integer
        }
        "earliest" | "latest" => {
            let usage = format!("{name}(DATE, DATE)");
            if arity(sink, 2, &usage) {
                want(sink, 0, is_date(&types[0]), "a date", &usage);
                want(sink, 1, is_date(&types[1]), "a date", &usage);
            }
            Ty::Date
        }
        "coalesce" => {
            let usage = "coalesce(VALUE, VALUE_IF_MISSING)";
            if arity(sink, 2, usage) {
                want(
                    sink,
                    1,
                    types[0].comparable(&types[1]),
                    "a value of the same kind",
                    usage,
                );
            }
            types.first().cloned().unwrap_or(Ty::Unknown)
        }
        "band" => band_type(e, args, &types, sink),
        _ => {
            let help = foreign_function(name).map(|h| h.to_string()).or_else(|| {
                suggest::help_for_fixed(name, FUNCTIONS.iter().copied(), "the functions are")
            });
            sink.diagnostics.push(
                Diagnostic::error(Code::UnknownFunction, format!("unknown function `{name}`"))
                    .primary(function.span, "not a function of the language")
                    .maybe_help(help),
            );
            Ty::Unknown
        }
    }
}

/// Functions of SQL, SAS and Excel that methodologists reach for, and what to write instead.
fn foreign_function(name: &str) -> Option<&'static str> {
    Some(match name.to_lowercase().as_str() {
        "datediff" | "intck" | "datedif" | "days_between" => {
            "the days between two dates are `days(FROM, TO)`; years are `years(FROM, TO)`"
        }
        "yrdif" | "age_at" => "a person's age in whole years is `age(BIRTH_DATE, AT_DATE)`",
        "isnull" | "ifnull" | "nvl" | "coalesc" => "use `coalesce(VALUE, VALUE_IF_MISSING)`",
        "datepart" | "extract" => "use `year(DATE)` or `month(DATE)`",
        "min" | "max" | "sum" | "count" | "avg" => {
            "over related rows write `min(x.COLUMN for x in SOURCE of same person where …)`; over a population use the indicator's measure"
        }
        _ => return None,
    })
}

/// `band(age, 0, 15, 65)` → categories "0-14", "15-64", "65+".
fn band_type(e: &Expr, args: &[Expr], types: &[Ty], sink: &mut Sink) -> Ty {
    let usage = "band(age, 0, 15, 65) for the bands 0-14, 15-64 and 65+";
    if args.len() < 3 {
        sink.diagnostics.push(
            Diagnostic::error(
                Code::BadArguments,
                "`band` needs a value and at least two limits",
            )
            .primary(e.span, format!("{} argument(s) given", args.len()))
            .help(format!("write `{usage}`")),
        );
        return Ty::Unknown;
    }
    if !types[0].is_number() {
        sink.diagnostics.push(
            Diagnostic::error(Code::BadArguments, "`band` divides a number into bands")
                .primary(args[0].span, format!("this is {}", types[0]))
                .help(format!("write `{usage}`")),
        );
        return Ty::Unknown;
    }
    let mut limits = Vec::new();
    for a in &args[1..] {
        match a.kind {
            ExprKind::Number(n) if n.fract() == 0.0 => {
                if limits.last().is_some_and(|&last| n <= last) {
                    sink.diagnostics.push(
                        Diagnostic::error(Code::BadArguments, "band limits must increase")
                            .primary(a.span, "not larger than the limit before it")
                            .help(format!("write `{usage}`")),
                    );
                    return Ty::Unknown;
                }
                limits.push(n);
            }
            _ => {
                sink.diagnostics.push(
                    Diagnostic::error(Code::BadArguments, "band limits are whole numbers")
                        .primary(a.span, "not a whole number")
                        .help(format!("write `{usage}`")),
                );
                return Ty::Unknown;
            }
        }
    }
    Ty::Category(Rc::new(band_labels(&limits)))
}

/// The labels of the bands between limits: `[0, 15, 65]` → "0-14", "15-64", "65+".
pub fn band_labels(limits: &[f64]) -> Vec<String> {
    let mut labels = Vec::new();
    for pair in limits.windows(2) {
        labels.push(format!("{}-{}", pair[0], pair[1] - 1.0));
    }
    if let Some(last) = limits.last() {
        labels.push(format!("{last}+"));
    }
    labels
}
