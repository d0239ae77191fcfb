//! Builds the syntax tree from pest's pairs. The grammar guarantees the shape of every pair,
//! so the builder only walks; anything unexpected is a grammar bug, reported as such rather
//! than panicking.

use std::sync::OnceLock;

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::Rule;
use super::ast::*;
use crate::source_db::{FileId, Span};

pub struct Builder {
    pub file: FileId,
    /// Byte offset of the chunk in its file: pest's positions are relative to the chunk.
    pub offset: usize,
}

/// Why a parsed chunk could not be turned into a syntax tree.
#[derive(Debug)]
pub enum BuildError {
    /// An expression with more parts than the language allows; recursion over it later
    /// (typing, evaluation) would otherwise be unbounded.
    TooComplex(Span),
    /// The grammar produced a shape the builder does not know: a bug, never the user's fault.
    Internal(String),
}

impl From<String> for BuildError {
    fn from(message: String) -> BuildError {
        BuildError::Internal(message)
    }
}

impl From<&str> for BuildError {
    fn from(message: &str) -> BuildError {
        BuildError::Internal(message.to_string())
    }
}

/// The most operands and operators one expression (between brackets) may have.
pub const MAX_EXPRESSION_PARTS: usize = 1000;

type Result<T> = std::result::Result<T, BuildError>;

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left))
            .op(Op::postfix(Rule::is_test)
                | Op::postfix(Rule::in_test)
                | Op::postfix(Rule::not_in_test)
                | Op::postfix(Rule::within_test))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
            .op(Op::prefix(Rule::op_neg))
    })
}

fn unexpected(pair: &Pair<Rule>) -> String {
    format!(
        "internal: unexpected {:?} in the syntax tree",
        pair.as_rule()
    )
}

impl Builder {
    /// The pair's span without trailing blanks and comments, which pest includes when a rule
    /// ends in an optional part that was not there.
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        let len = trimmed_len(s.as_str());
        Span::new(
            self.file,
            self.offset + s.start(),
            self.offset + s.start() + len,
        )
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn text(&self, pair: Pair<Rule>) -> Text {
        let span = self.span(&pair);
        let raw = pair
            .into_inner()
            .next()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        Text {
            value: unescape(&raw),
            span,
        }
    }

    fn num(&self, pair: Pair<Rule>) -> Num {
        Num {
            value: pair.as_str().parse().unwrap_or(f64::NAN),
            raw: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn names(&self, pair: Pair<Rule>) -> Vec<Ident> {
        pair.into_inner().map(|p| self.ident(p)).collect()
    }

    pub fn chunk(&self, pairs: Pairs<Rule>) -> Result<Vec<Definition>> {
        let mut out = Vec::new();
        for chunk in pairs {
            for def in chunk.into_inner() {
                if def.as_rule() == Rule::EOI {
                    continue;
                }
                out.push(self.definition(def)?);
            }
        }
        Ok(out)
    }

    fn definition(&self, pair: Pair<Rule>) -> Result<Definition> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner().peekable();
        Ok(match rule {
            Rule::goal_def => {
                inner.next();
                let name = self.ident(inner.next().ok_or("goal name")?);
                let mut goal = Goal {
                    name,
                    title: vec![],
                    number: vec![],
                    span,
                };
                for clause in inner {
                    match clause.as_rule() {
                        Rule::title_clause => goal.title.push(self.text(last(clause)?)),
                        Rule::number_clause => goal.number.push(self.num(last(clause)?)),
                        _ => return Err(unexpected(&clause).into()),
                    }
                }
                Definition::Goal(goal)
            }
            Rule::source_def => {
                let mut aggregate = false;
                if inner.peek().map(|p| p.as_rule()) == Some(Rule::aggregate_flag) {
                    aggregate = true;
                    inner.next();
                }
                inner.next();
                let name = self.ident(inner.next().ok_or("source name")?);
                let mut source = Source {
                    name,
                    aggregate,
                    file: vec![],
                    description: vec![],
                    columns: vec![],
                    unique: vec![],
                    one_per: vec![],
                    requires: vec![],
                    may_be_empty: vec![],
                    span,
                };
                for clause in inner {
                    let clause_span = self.span(&clause);
                    match clause.as_rule() {
                        Rule::file_clause => source.file.push(self.text(last(clause)?)),
                        Rule::unique_clause => source.unique.push(NameList {
                            names: self.names(last(clause)?),
                            span: clause_span,
                        }),
                        Rule::one_per_clause => {
                            let mut parts = clause.into_inner().skip(1);
                            let values = self.names(parts.next().ok_or("one: columns")?);
                            parts.next();
                            let key = self.names(parts.next().ok_or("one: key")?);
                            source.one_per.push(OnePer {
                                values,
                                key,
                                span: clause_span,
                            });
                        }
                        Rule::require_clause => {
                            let mut parts = clause.into_inner().skip(1);
                            let left = self.ident(parts.next().ok_or("require: column")?);
                            let op = parts
                                .next()
                                .and_then(|p| p.into_inner().next())
                                .ok_or("require: operator")?;
                            let op = match op.as_rule() {
                                Rule::op_eq => BinaryOp::Eq,
                                Rule::op_ne => BinaryOp::Ne,
                                Rule::op_lt => BinaryOp::Lt,
                                Rule::op_le => BinaryOp::Le,
                                Rule::op_gt => BinaryOp::Gt,
                                _ => BinaryOp::Ge,
                            };
                            let right = self.ident(parts.next().ok_or("require: column")?);
                            source.requires.push(Require {
                                left,
                                op,
                                right,
                                span: clause_span,
                            });
                        }
                        Rule::may_be_empty_clause => source.may_be_empty.push(clause_span),
                        Rule::description_clause => {
                            source.description.push(self.text(last(clause)?))
                        }
                        Rule::columns_clause => {
                            for column in clause.into_inner().skip(1) {
                                source.columns.push(self.column(column)?);
                            }
                        }
                        _ => return Err(unexpected(&clause).into()),
                    }
                }
                Definition::Source(source)
            }
            Rule::codes_def => {
                inner.next();
                let name = self.ident(inner.next().ok_or("code list name")?);
                let system = self.ident(inner.next().ok_or("code system")?);
                let include = self.code_list(inner.next().ok_or("codes")?)?;
                let exclude = match inner.next() {
                    Some(except) => self.code_list(last(except)?)?,
                    None => vec![],
                };
                Definition::Codes(CodeList {
                    name,
                    system,
                    include,
                    exclude,
                    span,
                })
            }
            Rule::cohort_def => {
                inner.next();
                let name = self.ident(inner.next().ok_or("cohort name")?);
                let mut cohort = Cohort {
                    name,
                    persons_of: vec![],
                    filters: vec![],
                    lets: vec![],
                    span,
                };
                for clause in inner {
                    match clause.as_rule() {
                        Rule::persons_clause => cohort.persons_of.push(self.ident(last(clause)?)),
                        Rule::where_clause => cohort.filters.push(self.expr(last(clause)?)?),
                        Rule::let_clause => cohort.lets.push(self.let_clause(clause)?),
                        _ => return Err(unexpected(&clause).into()),
                    }
                }
                Definition::Cohort(cohort)
            }
            Rule::population_def => {
                inner.next();
                let name = self.ident(inner.next().ok_or("population name")?);
                let mut population = Population {
                    name,
                    from: vec![],
                    filters: vec![],
                    lets: vec![],
                    residence: vec![],
                    span,
                };
                for clause in inner {
                    match clause.as_rule() {
                        Rule::from_clause => population.from.push(self.ident(last(clause)?)),
                        Rule::where_clause => population.filters.push(self.expr(last(clause)?)?),
                        Rule::let_clause => population.lets.push(self.let_clause(clause)?),
                        Rule::residence_clause => {
                            population.residence.push(self.ident(last(clause)?))
                        }
                        _ => return Err(unexpected(&clause).into()),
                    }
                }
                Definition::Population(population)
            }
            Rule::standard_def => {
                inner.next();
                let name = self.ident(inner.next().ok_or("standard name")?);
                let mut standard = Standard {
                    name,
                    from: vec![],
                    filters: vec![],
                    strata: vec![],
                    weight: vec![],
                    span,
                };
                for clause in inner {
                    match clause.as_rule() {
                        Rule::from_clause => standard.from.push(self.ident(last(clause)?)),
                        Rule::where_clause => standard.filters.push(self.expr(last(clause)?)?),
                        Rule::strata_clause => standard.strata.push(self.names(last(clause)?)),
                        Rule::weight_clause => standard.weight.push(self.expr(last(clause)?)?),
                        _ => return Err(unexpected(&clause).into()),
                    }
                }
                Definition::Standard(standard)
            }
            Rule::indicator_def => {
                inner.next();
                let name = self.ident(inner.next().ok_or("indicator name")?);
                let clauses = inner.map(|c| self.clause(c)).collect::<Result<Vec<_>>>()?;
                Definition::Indicator(Indicator {
                    name,
                    clauses,
                    span,
                })
            }
            _ => return Err(format!("internal: unexpected definition {rule:?}").into()),
        })
    }

    fn column(&self, pair: Pair<Rule>) -> Result<Column> {
        let mut inner = pair.into_inner();
        let name = self.ident(inner.next().ok_or("column name")?);
        let ty_pair = inner.next().ok_or("column type")?;
        let ty_span = self.span(&ty_pair);
        let mut ty_inner = ty_pair.into_inner();
        let ty_name = self.ident(ty_inner.next().ok_or("type name")?);
        let args = ty_inner
            .map(|arg| {
                let a = arg.into_inner().next().ok_or("type argument")?;
                Ok(match a.as_rule() {
                    Rule::string => TypeArg::Text(self.text(a)),
                    _ => TypeArg::Name(self.ident(a)),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut range = None;
        let mut description = None;
        for part in inner {
            match part.as_rule() {
                Rule::value_range => {
                    let span = self.span(&part);
                    let mut low = None;
                    let mut high = None;
                    for bound in part.into_inner() {
                        match bound.as_rule() {
                            Rule::range_low => low = Some(self.num(last(bound)?)),
                            Rule::range_high => high = Some(self.num(last(bound)?)),
                            _ => {}
                        }
                    }
                    range = Some(ValueRange { low, high, span });
                }
                _ => description = Some(self.text(part)),
            }
        }
        Ok(Column {
            name,
            range,
            ty: TypeExpr {
                name: ty_name,
                args,
                span: ty_span,
            },
            description,
        })
    }

    fn code_list(&self, pair: Pair<Rule>) -> Result<Vec<CodeEntry>> {
        pair.into_inner()
            .map(|entry| {
                let span = self.span(&entry);
                let mut inner = entry.into_inner();
                let first = self.text(inner.next().ok_or("code")?);
                let last = inner.next().map(|p| self.text(p));
                Ok(CodeEntry { first, last, span })
            })
            .collect()
    }

    fn let_clause(&self, pair: Pair<Rule>) -> Result<Let> {
        let mut inner = pair.into_inner().skip(1);
        let name = self.ident(inner.next().ok_or("let name")?);
        let value = self.expr(inner.next().ok_or("let value")?)?;
        Ok(Let { name, value })
    }

    fn clause(&self, pair: Pair<Rule>) -> Result<Clause> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner().peekable();
        let keyword_pair = inner.next().ok_or("clause keyword")?;
        let mut keyword = self.span(&keyword_pair);
        let kind = match rule {
            Rule::title_clause => ClauseKind::Title(self.text(next(&mut inner)?)),
            Rule::number_clause => ClauseKind::Number(self.num(next(&mut inner)?)),
            Rule::goal_ref_clause => ClauseKind::Goal(self.ident(next(&mut inner)?)),
            Rule::unit_clause => ClauseKind::Unit(self.text(next(&mut inner)?)),
            Rule::decimals_clause => ClauseKind::Decimals(self.num(next(&mut inner)?)),
            Rule::improvement_clause => ClauseKind::Improvement(self.ident(next(&mut inner)?)),
            Rule::levels_clause => ClauseKind::Levels(self.names(next(&mut inner)?)),
            Rule::period_clause => {
                let report = self.period(next(&mut inner)?)?;
                let compare = match inner.next() {
                    Some(_kw) => Some(self.period(next(&mut inner)?)?),
                    None => None,
                };
                ClauseKind::Period(PeriodClause { report, compare })
            }
            Rule::measure_clause => {
                let kind = self.ident(next(&mut inner)?);
                let mut measure = MeasureClause {
                    kind,
                    per: None,
                    at_age: None,
                };
                if let Some(extra) = inner.next() {
                    match extra.as_rule() {
                        Rule::measure_per => measure.per = Some(self.num(last(extra)?)),
                        Rule::measure_at_age => measure.at_age = Some(self.num(last(extra)?)),
                        _ => return Err(unexpected(&extra).into()),
                    }
                }
                ClauseKind::Measure(measure)
            }
            Rule::numerator_clause => ClauseKind::Numerator(self.aggregation(next(&mut inner)?)?),
            Rule::denominator_clause => {
                ClauseKind::Denominator(self.aggregation(next(&mut inner)?)?)
            }
            Rule::deaths_clause => ClauseKind::Deaths(self.aggregation(next(&mut inner)?)?),
            Rule::exposure_clause => ClauseKind::Exposure(self.aggregation(next(&mut inner)?)?),
            Rule::value_clause => {
                let value = self.expr(next(&mut inner)?)?;
                let over = match inner.next() {
                    Some(over) => {
                        let mut parts = over.into_inner().skip(1);
                        let name = self.ident(parts.next().ok_or("population")?);
                        let filter = match parts.nth(1) {
                            Some(e) => Some(self.expr(e)?),
                            None => None,
                        };
                        Some((name, filter))
                    }
                    None => None,
                };
                ClauseKind::Value(ValueClause { value, over })
            }
            Rule::ages_clause => ClauseKind::Ages(self.expr(next(&mut inner)?)?),
            Rule::weight_clause => ClauseKind::Weight(self.expr(next(&mut inner)?)?),
            Rule::tally_clause => {
                let name = self.ident(next(&mut inner)?);
                let mut extreme = None;
                if inner.peek().map(|p| p.as_rule()) == Some(Rule::tally_extreme) {
                    let e = next(&mut inner)?;
                    extreme = Some(if e.as_str() == "min" {
                        Extreme::Min
                    } else {
                        Extreme::Max
                    });
                }
                let aggregation = self.aggregation(next(&mut inner)?)?;
                let by = match inner.nth(1) {
                    Some(e) => Some(self.expr(e)?),
                    None => None,
                };
                ClauseKind::Tally(Tally {
                    name,
                    extreme,
                    aggregation,
                    by,
                })
            }
            Rule::standardise_clause => {
                let mut strata = Vec::new();
                let mut using = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::kw_by | Rule::kw_using => {}
                        Rule::expr => strata.push(self.expr(p)?),
                        Rule::ident => using = Some(self.ident(p)),
                        _ => return Err(unexpected(&p).into()),
                    }
                }
                ClauseKind::Standardise(Standardise {
                    strata,
                    using: using.ok_or("standard")?,
                })
            }
            Rule::crude_clause => ClauseKind::Crude,
            Rule::hidden_clause => ClauseKind::Hidden,
            Rule::publish_clause => ClauseKind::Publish(self.names(next(&mut inner)?)),
            Rule::suppress_clause => {
                inner.next();
                let condition = self.expr(next(&mut inner)?)?;
                inner.next();
                let reason = self.ident(next(&mut inner)?);
                let explanation = inner.next().map(|t| self.text(t));
                ClauseKind::Suppress(Suppress {
                    condition,
                    reason,
                    explanation,
                })
            }
            Rule::no_development_clause => {
                let dev = next(&mut inner)?;
                keyword = keyword.to(self.span(&dev));
                ClauseKind::NoDevelopment(self.text(next(&mut inner)?))
            }
            Rule::footnote_clause => ClauseKind::Footnote(self.text(next(&mut inner)?)),
            Rule::data_source_clause => ClauseKind::DataSource(self.text(next(&mut inner)?)),
            Rule::at_block => {
                let levels = self.names(next(&mut inner)?);
                let clauses = inner.map(|c| self.clause(c)).collect::<Result<Vec<_>>>()?;
                ClauseKind::At(AtBlock { levels, clauses })
            }
            Rule::test_block => {
                let name = self.text(next(&mut inner)?);
                let mut test = TestBlock {
                    name,
                    given: vec![],
                    expect: vec![],
                };
                for part in inner {
                    match part.as_rule() {
                        Rule::given_block => test.given.push(self.given(part)?),
                        Rule::expect_block => test.expect.push(self.expect(part)?),
                        _ => return Err(unexpected(&part).into()),
                    }
                }
                ClauseKind::Test(test)
            }
            _ => return Err(format!("internal: unexpected clause {rule:?}").into()),
        };
        Ok(Clause {
            kind,
            keyword,
            span,
        })
    }

    fn given(&self, pair: Pair<Rule>) -> Result<Given> {
        let mut inner = pair.into_inner().skip(1);
        let source = self.ident(inner.next().ok_or("given source")?);
        let columns = self.names(inner.next().ok_or("given columns")?);
        let rows = inner
            .map(|row| {
                let span = self.span(&row);
                let values = row
                    .into_inner()
                    .map(|v| self.test_value(v))
                    .collect::<Result<Vec<_>>>()?;
                Ok(TestRow { values, span })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Given {
            source,
            columns,
            rows,
        })
    }

    fn test_value(&self, pair: Pair<Rule>) -> Result<TestValue> {
        let span = self.span(&pair);
        let v = pair.into_inner().next().ok_or("test value")?;
        let kind = match v.as_rule() {
            Rule::date => TestValueKind::Date(parse_date(v.as_str())),
            Rule::signed_number => TestValueKind::Number(v.as_str().parse().unwrap_or(f64::NAN)),
            Rule::string => TestValueKind::Text(self.text(v).value),
            Rule::boolean => TestValueKind::Bool(v.as_str() == "true"),
            Rule::kw_missing => TestValueKind::Missing,
            _ => return Err(unexpected(&v).into()),
        };
        Ok(TestValue { kind, span })
    }

    fn expect(&self, pair: Pair<Rule>) -> Result<Expect> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().skip(1).peekable();
        let level = self.ident(inner.next().ok_or("expect level")?);
        let mut unit = None;
        if inner.peek().map(|p| p.as_rule()) == Some(Rule::number) {
            unit = inner.next().map(|p| self.num(p));
        }
        let mut checks = Vec::new();
        for e in inner {
            let part = e.into_inner().next().ok_or("expectation")?;
            let rule = part.as_rule();
            let mut p = part.into_inner();
            let kw = p.next().ok_or("expectation keyword")?;
            let arg = p.next().ok_or("expectation value")?;
            checks.push(match (rule, kw.as_str()) {
                (Rule::expect_number, "numerator") => Expectation::Numerator(self.num(arg)),
                (Rule::expect_number, "denominator") => Expectation::Denominator(self.num(arg)),
                (Rule::expect_number, _) => Expectation::Value(self.num(arg)),
                (Rule::expect_suppressed, _) => Expectation::Suppressed(self.ident(arg)),
                (_, "development") => Expectation::Development(self.ident(arg)),
                _ => Expectation::Level(self.ident(arg)),
            });
        }
        Ok(Expect {
            level,
            unit,
            checks,
            span,
        })
    }

    fn aggregation(&self, pair: Pair<Rule>) -> Result<Aggregation> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let head = inner.next().ok_or("aggregation")?;
        let (function, over) = match head.as_rule() {
            Rule::count_agg => {
                let mut parts = head.into_inner().skip(1).peekable();
                let persons = parts.peek().map(|p| p.as_rule()) == Some(Rule::persons_flag);
                let over = parts.last().ok_or("count population")?;
                (AggregateFn::Count { persons }, self.ident(over))
            }
            Rule::sum_agg => {
                let mut parts = head.into_inner().skip(1);
                let value = self.expr(parts.next().ok_or("sum value")?)?;
                let over = parts.last().ok_or("sum population")?;
                (AggregateFn::Sum(value), self.ident(over))
            }
            _ => return Err(unexpected(&head).into()),
        };
        let filter = match inner.nth(1) {
            Some(e) => Some(self.expr(e)?),
            None => None,
        };
        Ok(Aggregation {
            function,
            over,
            filter,
            span,
        })
    }

    fn period(&self, pair: Pair<Rule>) -> Result<PeriodSpec> {
        let span = self.span(&pair);
        let p = pair.into_inner().next().ok_or("period")?;
        let s = p.as_str();
        let kind = match p.as_rule() {
            Rule::period_range => {
                let (a, b) = s.split_once("..").ok_or("range")?;
                PeriodKind::Years(a.parse().unwrap_or(0), b.parse().unwrap_or(0))
            }
            Rule::period_month => {
                let (y, m) = s.split_once('-').ok_or("month")?;
                PeriodKind::Month(y.parse().unwrap_or(0), m.parse().unwrap_or(0))
            }
            _ => PeriodKind::Year(s.parse().unwrap_or(0)),
        };
        Ok(PeriodSpec { kind, span })
    }

    pub fn expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        if pair.clone().into_inner().len() > MAX_EXPRESSION_PARTS {
            return Err(BuildError::TooComplex(self.span(&pair)));
        }
        pratt()
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = self.span(&op).to(rhs.span);
                let op = if op.as_rule() == Rule::op_not {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                Ok(Expr {
                    kind: ExprKind::Unary(op, Box::new(rhs)),
                    span,
                })
            })
            .map_postfix(|lhs, op| self.postfix(lhs?, op))
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let span = lhs.span.to(rhs.span);
                let op = match op.as_rule() {
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    Rule::op_div => BinaryOp::Div,
                    _ => return Err(unexpected(&op).into()),
                };
                Ok(Expr {
                    kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                })
            })
            .parse(pair.into_inner())
    }

    fn postfix(&self, lhs: Expr, op: Pair<Rule>) -> Result<Expr> {
        let span = lhs.span.to(self.span(&op));
        let rule = op.as_rule();
        let mut inner = op.into_inner();
        let kind = match rule {
            Rule::is_test => {
                inner.next();
                let mut negated = false;
                let mut word = inner.next().ok_or("is")?;
                if word.as_rule() == Rule::negation {
                    negated = true;
                    word = inner.next().ok_or("is not")?;
                }
                if word.as_rule() == Rule::kw_present {
                    negated = !negated;
                }
                ExprKind::IsMissing {
                    value: Box::new(lhs),
                    negated,
                }
            }
            Rule::in_test | Rule::not_in_test => {
                let target = inner.last().ok_or("in target")?;
                ExprKind::In {
                    value: Box::new(lhs),
                    target: self.in_target(target)?,
                    negated: rule == Rule::not_in_test,
                }
            }
            Rule::within_test => {
                inner.next();
                let duration = inner.next().ok_or("duration")?;
                let (amount, unit) = self.duration(duration)?;
                let after = inner.next().ok_or("after")?.as_rule() == Rule::kw_after;
                let anchor_pair = inner.next().ok_or("anchor")?;
                let anchor = self.primary(anchor_pair.into_inner().next().ok_or("anchor")?)?;
                ExprKind::Within {
                    value: Box::new(lhs),
                    amount,
                    unit,
                    after,
                    anchor: Box::new(anchor),
                }
            }
            _ => return Err(format!("internal: unexpected postfix {rule:?}").into()),
        };
        Ok(Expr { kind, span })
    }

    fn in_target(&self, pair: Pair<Rule>) -> Result<InTarget> {
        let t = pair.into_inner().next().ok_or("in target")?;
        Ok(match t.as_rule() {
            Rule::list => InTarget::List(
                t.into_inner()
                    .map(|e| self.expr(e))
                    .collect::<Result<Vec<_>>>()?,
            ),
            _ => InTarget::Name(self.ident(t)),
        })
    }

    fn duration(&self, pair: Pair<Rule>) -> Result<(f64, DurationUnit)> {
        let mut inner = pair.into_inner();
        let amount = inner
            .next()
            .ok_or("amount")?
            .as_str()
            .parse()
            .unwrap_or(f64::NAN);
        let unit = match inner.next().ok_or("unit")?.as_str().trim_end_matches('s') {
            "hour" => DurationUnit::Hours,
            "week" => DurationUnit::Weeks,
            "month" => DurationUnit::Months,
            "year" => DurationUnit::Years,
            _ => DurationUnit::Days,
        };
        Ok((amount, unit))
    }

    fn primary(&self, pair: Pair<Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::paren => {
                return self.expr(pair.into_inner().next().ok_or("parenthesised expression")?);
            }
            Rule::list => ExprKind::List(
                pair.into_inner()
                    .map(|e| self.expr(e))
                    .collect::<Result<Vec<_>>>()?,
            ),
            Rule::literal => {
                let lit = pair.into_inner().next().ok_or("literal")?;
                match lit.as_rule() {
                    Rule::date => ExprKind::Date(parse_date(lit.as_str())),
                    Rule::duration => {
                        let (amount, unit) = self.duration(lit)?;
                        ExprKind::Duration(amount, unit)
                    }
                    Rule::percent => {
                        let amount: f64 = lit
                            .into_inner()
                            .next()
                            .ok_or("percent")?
                            .as_str()
                            .parse()
                            .unwrap_or(f64::NAN);
                        ExprKind::Percent(amount / 100.0)
                    }
                    Rule::number => ExprKind::Number(lit.as_str().parse().unwrap_or(f64::NAN)),
                    Rule::string => ExprKind::Text(self.text(lit).value),
                    Rule::boolean => ExprKind::Bool(lit.as_str() == "true"),
                    _ => return Err(unexpected(&lit).into()),
                }
            }
            Rule::field_ref => {
                let mut inner = pair.into_inner();
                let first = self.ident(inner.next().ok_or("name")?);
                match inner.next() {
                    Some(field) => ExprKind::Field(first, self.ident(field)),
                    None => ExprKind::Name(first),
                }
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let name = self.ident(inner.next().ok_or("function")?);
                let args = inner.map(|e| self.expr(e)).collect::<Result<Vec<_>>>()?;
                ExprKind::Call(name, args)
            }
            Rule::related => {
                let mut inner = pair.into_inner().peekable();
                let f = inner.next().ok_or("function")?;
                let function_span = self.span(&f);
                let function = match f.as_str() {
                    "exists" => RelatedFn::Exists,
                    "count" => RelatedFn::Count,
                    "min" => RelatedFn::Min,
                    "max" => RelatedFn::Max,
                    _ => RelatedFn::Sum,
                };
                let mut projection = None;
                if inner.peek().map(|p| p.as_rule()) == Some(Rule::projection) {
                    let p = inner.next().ok_or("projection")?;
                    projection = Some(self.expr(p.into_inner().next().ok_or("projection")?)?);
                }
                let alias = self.ident(inner.next().ok_or("alias")?);
                inner.next();
                let source = self.ident(inner.next().ok_or("source")?);
                let mut same_person = false;
                let mut filter = None;
                for rest in inner {
                    match rest.as_rule() {
                        Rule::same_person => same_person = true,
                        Rule::expr => filter = Some(self.expr(rest)?),
                        _ => {}
                    }
                }
                ExprKind::Related(Box::new(Related {
                    function,
                    function_span,
                    projection,
                    alias,
                    source,
                    same_person,
                    filter,
                }))
            }
            _ => return Err(unexpected(&pair).into()),
        };
        Ok(Expr { kind, span })
    }
}

fn next<'i>(inner: &mut impl Iterator<Item = Pair<'i, Rule>>) -> Result<Pair<'i, Rule>> {
    inner
        .next()
        .ok_or_else(|| "internal: a clause is shorter than the grammar allows".into())
}

fn last(pair: Pair<Rule>) -> Result<Pair<Rule>> {
    pair.into_inner()
        .last()
        .ok_or_else(|| "internal: an empty clause".into())
}

/// Length of a piece of rule text without its trailing blanks and comments.
fn trimmed_len(text: &str) -> usize {
    let mut end = text.trim_end().len();
    loop {
        let line_start = text[..end].rfind('\n').map(|i| i + 1).unwrap_or(0);
        match comment_start(&text[line_start..end]) {
            Some(hash) => end = text[..line_start + hash].trim_end().len(),
            None => return end,
        }
    }
}

/// Where a `#` comment starts in one line, outside text in quotes.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_text = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_text => escaped = true,
            '"' => in_text = !in_text,
            '#' if !in_text => return Some(i),
            _ => {}
        }
    }
    None
}

/// The grammar's `date` is four, two and two digits; whether such a day exists is the
/// checker's question (E0306), so month 0 stands for a shape the calendar could not read.
fn parse_date(s: &str) -> DateLit {
    let (year, month, day) = indikator_calendar::parse_ymd(s).unwrap_or((0, 0, 0));
    DateLit { year, month, day }
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}
