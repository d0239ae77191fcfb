//! Expressions of the plan as SQL, with the native engine's meaning of a missing value
//! (`src/eval/rows.rs`): SQL NULL is the missing value, and each operator is written so that
//! it gives what the native one gives, NULL included.
//!
//! - A condition (`and`, `or`, `not`, comparisons, `in`, `within`, `is missing`) is never
//!   missing natively: a comparison with a missing side is false, `not` of a missing value is
//!   false, `and`/`or` treat a missing side as false. So comparisons are wrapped in
//!   `coalesce(…, false)`, `not x` is `NOT coalesce(x, true)`, and `and`/`or` read each side
//!   through `coalesce(…, false)`.
//! - Arithmetic on a missing value is missing, as in SQL; `+ - ×` of numbers go through the
//!   decimal macros; a division by zero is missing.
//! - Equality is false between values of different kinds (a number and a duration, a text and
//!   a number), except a unit code and a number; an ordering of texts, truth values, persons
//!   or unit codes is false (the native engine orders only numbers, durations and dates).

use std::fmt;

use super::{Compiler, codes_macro, date_literal, quote_ident, quote_text};
use crate::plan::{
    BinOp, Builtin, CodeListPlan, CodePattern, Expr, Field, Period, RelatedFn, SourceId,
};

/// The kind of a value, as far as the SQL needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Num,
    Duration,
    Date,
    Bool,
    Text,
    Person,
    Unit,
    /// The literal `missing`: NULL of no kind.
    Missing,
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ty::Num => "number",
            Ty::Duration => "duration",
            Ty::Date => "date",
            Ty::Bool => "truth value",
            Ty::Text => "text",
            Ty::Person => "person",
            Ty::Unit => "unit code",
            Ty::Missing => "missing",
        })
    }
}

/// A row an expression reads: the current row of a population, cohort or aggregation, or a
/// row bound by a relation.
#[derive(Debug, Clone)]
pub struct Row {
    pub alias: String,
    pub root: SourceId,
    /// The lets the row carries: `Field::Let(i)` is `lets[i]` (column, kind).
    pub lets: Vec<(String, Ty)>,
}

pub struct Scope {
    current: Row,
    /// Rows bound by relations, outermost first.
    bound: Vec<Row>,
    period: Period,
}

impl Scope {
    pub fn new(current: Row, period: Period) -> Scope {
        Scope {
            current,
            bound: Vec::new(),
            period,
        }
    }
}

/// A compiled expression: its SQL, its kind, and whether it can be NULL.
#[derive(Debug, Clone)]
pub struct Sql {
    pub sql: String,
    pub ty: Ty,
    /// Never NULL (a condition).
    pub total: bool,
}

impl Sql {
    fn new(sql: String, ty: Ty) -> Sql {
        Sql {
            sql,
            ty,
            total: false,
        }
    }

    fn condition(sql: String) -> Sql {
        Sql {
            sql,
            ty: Ty::Bool,
            total: true,
        }
    }

    fn missing() -> Sql {
        Sql::new("NULL".to_string(), Ty::Missing)
    }

    /// As a condition: true only for a true value (`Value::truthy`).
    pub fn truthy(&self) -> String {
        if self.ty != Ty::Bool && self.ty != Ty::Missing {
            return "false".to_string();
        }
        if self.total {
            self.sql.clone()
        } else {
            format!("coalesce({}, false)", self.sql)
        }
    }
}

fn number_literal(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}e0", n as i64)
    } else {
        // Exponent notation is a DOUBLE in DuckDB, parsed to the nearest double, as Rust's
        // shortest round-trip text is.
        format!("{n:e}")
    }
}

/// The condition of a code list on the text `v` (the body of its macro).
pub fn code_list_condition(list: &CodeListPlan, v: &str) -> String {
    let patterns = |ps: &[CodePattern]| -> String {
        let mut exact = Vec::new();
        let mut parts = Vec::new();
        for p in ps {
            match p {
                CodePattern::Exact(c) => exact.push(quote_text(c)),
                CodePattern::Prefix(p) => {
                    parts.push(format!("starts_with({v}, {})", quote_text(p)))
                }
                CodePattern::Range(a, b) => parts.push(format!(
                    "({v} >= {} AND ({v} <= {b} OR starts_with({v}, {b})))",
                    quote_text(a),
                    b = quote_text(b)
                )),
            }
        }
        if !exact.is_empty() {
            parts.insert(0, format!("{v} IN ({})", exact.join(", ")));
        }
        if parts.is_empty() {
            "false".to_string()
        } else {
            parts.join("\n    OR ")
        }
    };
    let include = patterns(&list.include);
    if list.exclude.is_empty() {
        format!("coalesce({include}, false)")
    } else {
        format!(
            "coalesce(({include})\n    AND NOT ({}), false)",
            patterns(&list.exclude)
        )
    }
}

impl Compiler<'_> {
    fn field(&self, row: &Row, field: Field) -> Result<Sql, String> {
        match field {
            Field::Column(c) => {
                let (name, ty) = &self.plan.sources[row.root].columns[c];
                Ok(Sql::new(
                    format!("{}.{}", row.alias, quote_ident(name)),
                    super::column_ty(ty),
                ))
            }
            Field::Let(i) => match row.lets.get(i) {
                Some((column, ty)) => Ok(Sql::new(format!("{}.{column}", row.alias), *ty)),
                None => Err(format!("reads let number {i}, which its rows do not carry")),
            },
        }
    }

    pub(crate) fn expr(&mut self, e: &Expr, scope: &mut Scope) -> Result<Sql, String> {
        Ok(match e {
            Expr::Missing => Sql::missing(),
            Expr::Bool(b) => Sql::condition(b.to_string()),
            Expr::Number(n) => Sql {
                sql: number_literal(*n),
                ty: Ty::Num,
                total: true,
            },
            Expr::Date(d) => Sql {
                sql: date_literal(*d),
                ty: Ty::Date,
                total: true,
            },
            Expr::Text(s) => Sql {
                sql: quote_text(
                    self.plan
                        .symbols
                        .get(*s as usize)
                        .ok_or("a text the plan does not hold")?,
                ),
                ty: Ty::Text,
                total: true,
            },
            Expr::Duration { days } => Sql {
                sql: number_literal(*days),
                ty: Ty::Duration,
                total: true,
            },
            Expr::Field(f) => self.field(&scope.current, *f)?,
            Expr::Bound { depth, field } => {
                let at = scope
                    .bound
                    .len()
                    .checked_sub(1 + depth)
                    .ok_or("a related row outside its relation")?;
                let row = scope.bound[at].clone();
                self.field(&row, *field)?
            }
            Expr::PeriodStart => {
                Sql::condition(date_literal(scope.period.first_day)).typed(Ty::Date)
            }
            Expr::PeriodEnd => Sql::condition(date_literal(scope.period.last_day)).typed(Ty::Date),
            Expr::Not(x) => {
                let x = self.expr(x, scope)?;
                match x.ty {
                    Ty::Bool if x.total => Sql::condition(format!("(NOT {})", x.sql)),
                    Ty::Bool => Sql::condition(format!("(NOT coalesce({}, true))", x.sql)),
                    _ => Sql::condition("false".to_string()),
                }
            }
            Expr::Neg(x) => {
                let x = self.expr(x, scope)?;
                match x.ty {
                    Ty::Num | Ty::Duration => Sql {
                        sql: format!("(-{})", x.sql),
                        ..x
                    },
                    _ => Sql::missing(),
                }
            }
            Expr::Binary(op, a, b) => {
                let (x, y) = (self.expr(a, scope)?, self.expr(b, scope)?);
                binary(*op, x, y)?
            }
            Expr::InList {
                value,
                items,
                negated,
            } => {
                let v = self.expr(value, scope)?;
                let mut hits = Vec::new();
                for item in items {
                    let w = self.expr(item, scope)?;
                    if let Some(eq) = equality(&v, &w)? {
                        hits.push(eq);
                    }
                }
                let any = if hits.is_empty() {
                    "false".to_string()
                } else {
                    hits.join(" OR ")
                };
                // A missing value is in no list and not in any either.
                if *negated {
                    Sql::condition(format!("({} IS NOT NULL AND NOT ({any}))", v.sql))
                } else {
                    Sql::condition(format!("({any})"))
                }
            }
            Expr::InCodes {
                value,
                codes,
                negated,
            } => {
                let v = self.expr(value, scope)?;
                if v.ty != Ty::Text {
                    return Ok(Sql::condition("false".to_string()));
                }
                let m = codes_macro(&self.plan.code_lists[*codes].name);
                if *negated {
                    Sql::condition(format!("({} IS NOT NULL AND NOT {m}({}))", v.sql, v.sql))
                } else {
                    Sql::condition(format!("{m}({})", v.sql))
                }
            }
            Expr::InCohort {
                value,
                cohort,
                negated,
            } => {
                let v = self.expr(value, scope)?;
                if v.ty != Ty::Person {
                    return Ok(Sql::condition("false".to_string()));
                }
                let members = self.cohort(*cohort, scope.period)?;
                let test = format!("{} IN (SELECT person FROM {members})", v.sql);
                if *negated {
                    Sql::condition(format!(
                        "({} IS NOT NULL AND NOT coalesce({test}, false))",
                        v.sql
                    ))
                } else {
                    Sql::condition(format!("coalesce({test}, false)"))
                }
            }
            Expr::InPeriod { value, negated } => {
                let v = self.expr(value, scope)?;
                if v.ty != Ty::Date {
                    return Ok(Sql::condition("false".to_string()));
                }
                let between = format!(
                    "{} BETWEEN {} AND {}",
                    v.sql,
                    date_literal(scope.period.first_day),
                    date_literal(scope.period.last_day)
                );
                Sql::condition(if *negated {
                    format!("coalesce(NOT ({between}), false)")
                } else {
                    format!("coalesce({between}, false)")
                })
            }
            Expr::IsMissing { value, negated } => {
                let v = self.expr(value, scope)?;
                Sql::condition(format!(
                    "({} IS {}NULL)",
                    v.sql,
                    if *negated { "NOT " } else { "" }
                ))
            }
            Expr::Within {
                value,
                anchor,
                days,
                after,
            } => {
                let (v, a) = (self.expr(value, scope)?, self.expr(anchor, scope)?);
                if v.ty != Ty::Date || a.ty != Ty::Date {
                    return Ok(Sql::condition("false".to_string()));
                }
                // The difference in days is a whole number, so comparing it with N is comparing
                // the day with the anchor moved by N, as the native engine does.
                let diff = format!("date_diff('day', {}, {})", a.sql, v.sql);
                let n = number_literal(*days);
                Sql::condition(if *after {
                    format!("coalesce({diff} BETWEEN 0 AND {n}, false)")
                } else {
                    format!("coalesce({diff} BETWEEN -{n} AND 0, false)")
                })
            }
            Expr::Related(r) => self.related(r, scope)?,
            Expr::Call(f, args) => {
                let mut values = Vec::new();
                for a in args {
                    values.push(self.expr(a, scope)?);
                }
                call(*f, values)?
            }
            Expr::Band {
                value,
                limits,
                labels,
            } => {
                let v = self.expr(value, scope)?;
                if !matches!(v.ty, Ty::Num | Ty::Duration) {
                    return Err(format!("a band of a {}", v.ty));
                }
                // Below the first limit (or missing): no band.
                let mut arms = vec![format!(
                    "WHEN {} < {} THEN NULL",
                    v.sql,
                    number_literal(limits.first().copied().unwrap_or(0.0))
                )];
                for (limit, label) in limits.iter().zip(labels).rev() {
                    let text = self
                        .plan
                        .symbols
                        .get(*label as usize)
                        .ok_or("a band label the plan does not hold")?;
                    arms.push(format!(
                        "WHEN {} >= {} THEN {}",
                        v.sql,
                        number_literal(*limit),
                        quote_text(text)
                    ));
                }
                Sql::new(format!("CASE {} END", arms.join(" ")), Ty::Text)
            }
        })
    }

    /// `count/exists/sum/min/max … of ROWS where …` as a correlated subquery over the rows'
    /// CTE in the same period.
    fn related(&mut self, r: &crate::plan::Related, scope: &mut Scope) -> Result<Sql, String> {
        let outer = scope.bound.last().unwrap_or(&scope.current).clone();
        let (from, mut row) = self.rows(r.rows, scope.period)?;
        row.alias = format!("x{}", scope.bound.len() + 1);
        let mut conditions = Vec::new();
        if r.same_person {
            let outer_person = self.plan.sources[outer.root].person;
            let inner_person = self.plan.sources[row.root].person;
            match (outer_person, inner_person) {
                (Some(o), Some(i)) => conditions.push(format!(
                    "{}.{} = {}.{}",
                    row.alias,
                    quote_ident(&self.plan.sources[row.root].columns[i].0),
                    outer.alias,
                    quote_ident(&self.plan.sources[outer.root].columns[o].0)
                )),
                // No person on one side: the native engine finds no related rows.
                _ => conditions.push("false".to_string()),
            }
        }
        scope.bound.push(row.clone());
        let filter = r.filter.as_ref().map(|f| self.expr(f, scope));
        let projection = r.projection.as_ref().map(|p| self.expr(p, scope));
        scope.bound.pop();
        if let Some(f) = filter {
            conditions.push(f?.truthy());
        }
        let projection = projection.transpose()?;
        let source = format!(
            "FROM {from} {}{}",
            row.alias,
            if conditions.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", conditions.join(" AND "))
            }
        );
        Ok(match r.function {
            RelatedFn::Exists => Sql::condition(format!("EXISTS (SELECT 1 {source})")),
            RelatedFn::Count => Sql {
                sql: format!("(SELECT count(*)::DOUBLE {source})"),
                ty: Ty::Num,
                total: true,
            },
            RelatedFn::Sum => {
                let p = projection.ok_or("a sum without a value")?;
                if !matches!(p.ty, Ty::Num | Ty::Duration) {
                    return Err(format!("a related sum of a {}", p.ty));
                }
                Sql {
                    sql: format!("(SELECT coalesce(sum({}), 0e0) {source})", p.sql),
                    ty: Ty::Num,
                    total: true,
                }
            }
            RelatedFn::Min | RelatedFn::Max => {
                let p = projection.ok_or("a minimum or maximum without a value")?;
                if !matches!(p.ty, Ty::Num | Ty::Duration | Ty::Date) {
                    // The native engine keeps the first such value it meets in row order.
                    return Err(format!("a related minimum or maximum of a {}", p.ty));
                }
                let f = if r.function == RelatedFn::Min {
                    "min"
                } else {
                    "max"
                };
                Sql::new(format!("(SELECT {f}({}) {source})", p.sql), p.ty)
            }
        })
    }
}

impl Sql {
    fn typed(self, ty: Ty) -> Sql {
        Sql { ty, ..self }
    }
}

/// `a == b` as a condition, or `None` where the native engine's equality is always false
/// (different kinds, or a missing literal).
fn equality(a: &Sql, b: &Sql) -> Result<Option<String>, String> {
    use Ty::*;
    Ok(match (a.ty, b.ty) {
        (Missing, _) | (_, Missing) => None,
        (Num, Num)
        | (Unit, Unit)
        | (Unit, Num)
        | (Num, Unit)
        | (Date, Date)
        | (Duration, Duration)
        | (Bool, Bool)
        | (Text, Text)
        | (Person, Person) => Some(format!("coalesce({} = {}, false)", a.sql, b.sql)),
        _ => None,
    })
}

fn binary(op: BinOp, x: Sql, y: Sql) -> Result<Sql, String> {
    use Ty::*;
    let cond = Sql::condition;
    Ok(match op {
        BinOp::And => cond(format!("({} AND {})", x.truthy(), y.truthy())),
        BinOp::Or => cond(format!("({} OR {})", x.truthy(), y.truthy())),
        BinOp::Eq => cond(equality(&x, &y)?.unwrap_or_else(|| "false".to_string())),
        BinOp::Ne => match (x.ty, y.ty) {
            (Missing, _) | (_, Missing) => cond("false".to_string()),
            _ => match equality(&x, &y)? {
                Some(_) => cond(format!("coalesce({} <> {}, false)", x.sql, y.sql)),
                // Values of different kinds are unequal when neither is missing.
                None => cond(format!("({} IS NOT NULL AND {} IS NOT NULL)", x.sql, y.sql)),
            },
        },
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let symbol = match op {
                BinOp::Lt => "<",
                BinOp::Le => "<=",
                BinOp::Gt => ">",
                _ => ">=",
            };
            match (x.ty, y.ty) {
                (Num | Duration, Num | Duration) | (Date, Date) => {
                    cond(format!("coalesce({} {symbol} {}, false)", x.sql, y.sql))
                }
                (Date, Num | Duration) | (Num | Duration, Date) => {
                    return Err("a date ordered against a number".to_string());
                }
                _ => cond("false".to_string()),
            }
        }
        BinOp::Add => match (x.ty, y.ty) {
            (Num, Num) => Sql::new(format!("ind_add({}, {})", x.sql, y.sql), Num),
            (Duration, Duration) => Sql::new(format!("ind_add({}, {})", x.sql, y.sql), Duration),
            (Date, Duration) => Sql::new(format!("ind_shift({}, {})", x.sql, y.sql), Date),
            (Duration, Date) => Sql::new(format!("ind_shift({}, {})", y.sql, x.sql), Date),
            _ => Sql::missing(),
        },
        BinOp::Sub => match (x.ty, y.ty) {
            (Num, Num) => Sql::new(format!("ind_sub({}, {})", x.sql, y.sql), Num),
            (Duration, Duration) => Sql::new(format!("ind_sub({}, {})", x.sql, y.sql), Duration),
            (Date, Date) => Sql::new(
                format!("date_diff('day', {}, {})::DOUBLE", y.sql, x.sql),
                Duration,
            ),
            (Date, Duration) => Sql::new(format!("ind_shift({}, -({}))", x.sql, y.sql), Date),
            _ => Sql::missing(),
        },
        BinOp::Mul => match (x.ty, y.ty) {
            (Num, Num) => Sql::new(format!("ind_mul({}, {})", x.sql, y.sql), Num),
            (Duration, Num) | (Num, Duration) => {
                Sql::new(format!("ind_mul({}, {})", x.sql, y.sql), Duration)
            }
            _ => Sql::missing(),
        },
        BinOp::Div => match (x.ty, y.ty) {
            (Num, Num) => Sql::new(
                format!(
                    "CASE WHEN {b} <> 0 THEN {a} / {b} END",
                    a = x.sql,
                    b = y.sql
                ),
                Num,
            ),
            (Duration, Num) => Sql::new(
                format!(
                    "CASE WHEN {b} <> 0 THEN {a} / {b} END",
                    a = x.sql,
                    b = y.sql
                ),
                Duration,
            ),
            _ => Sql::missing(),
        },
    })
}

fn call(f: Builtin, v: Vec<Sql>) -> Result<Sql, String> {
    use Ty::*;
    let arg = |k: usize| v.get(k).cloned().unwrap_or_else(Sql::missing);
    let dates = |k: usize| -> Option<Sql> {
        let a = arg(k);
        (a.ty == Date).then_some(a)
    };
    Ok(match f {
        Builtin::Age => match (dates(0), dates(1)) {
            (Some(b), Some(a)) => Sql::new(
                format!(
                    "(year({a}) - year({b}) - CASE WHEN month({a}) * 100 + day({a}) < month({b}) * 100 + day({b}) THEN 1 ELSE 0 END)::DOUBLE",
                    a = a.sql,
                    b = b.sql
                ),
                Num,
            ),
            _ => Sql::missing(),
        },
        Builtin::Days | Builtin::Hours | Builtin::Years => match (dates(0), dates(1)) {
            (Some(a), Some(b)) => {
                let days = format!("date_diff('day', {}, {})::DOUBLE", a.sql, b.sql);
                Sql::new(
                    match f {
                        Builtin::Days => days,
                        Builtin::Hours => format!("({days} * 24e0)"),
                        _ => format!("({days} / 365.25e0)"),
                    },
                    Num,
                )
            }
            _ => Sql::missing(),
        },
        Builtin::Year => match dates(0) {
            Some(d) => Sql::new(format!("year({})::DOUBLE", d.sql), Num),
            None => Sql::missing(),
        },
        Builtin::Month => match dates(0) {
            Some(d) => Sql::new(format!("month({})::DOUBLE", d.sql), Num),
            None => Sql::missing(),
        },
        Builtin::Coalesce => {
            let (a, b) = (arg(0), arg(1));
            match (a.ty, b.ty) {
                (Missing, _) => b,
                (_, Missing) => a,
                (p, q) if p == q => Sql {
                    sql: format!("coalesce({}, {})", a.sql, b.sql),
                    ty: p,
                    total: a.total || b.total,
                },
                (p, q) => return Err(format!("coalesce of a {p} and a {q}")),
            }
        }
        Builtin::Earliest | Builtin::Latest => {
            let pick = if f == Builtin::Earliest {
                "least"
            } else {
                "greatest"
            };
            match (dates(0), dates(1)) {
                (Some(a), Some(b)) => Sql::new(
                    format!(
                        "CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} ELSE {pick}({a}, {b}) END",
                        a = a.sql,
                        b = b.sql
                    ),
                    Date,
                ),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => Sql::missing(),
            }
        }
    })
}
