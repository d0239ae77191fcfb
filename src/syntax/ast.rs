//! The syntax tree of rule files. Every node keeps the span it came from so that later stages
//! can point their diagnostics at the exact words the methodologist wrote.

use crate::source_db::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Num {
    pub value: f64,
    /// The number as written, so messages and the formatter can quote it exactly.
    pub raw: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Definition {
    Goal(Goal),
    Source(Source),
    Codes(CodeList),
    Cohort(Cohort),
    Population(Population),
    Standard(Standard),
    Indicator(Indicator),
}

impl Definition {
    pub fn name(&self) -> &Ident {
        match self {
            Definition::Goal(d) => &d.name,
            Definition::Source(d) => &d.name,
            Definition::Codes(d) => &d.name,
            Definition::Cohort(d) => &d.name,
            Definition::Population(d) => &d.name,
            Definition::Standard(d) => &d.name,
            Definition::Indicator(d) => &d.name,
        }
    }

    /// What the definition is, in the words a methodologist would use.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Definition::Goal(_) => "goal",
            Definition::Source(s) if s.aggregate => "aggregate source",
            Definition::Source(_) => "source",
            Definition::Codes(_) => "code list",
            Definition::Cohort(_) => "cohort",
            Definition::Population(_) => "population",
            Definition::Standard(_) => "standard population",
            Definition::Indicator(_) => "indicator",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub name: Ident,
    pub title: Vec<Text>,
    pub number: Vec<Num>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub name: Ident,
    pub aggregate: bool,
    pub file: Vec<Text>,
    pub description: Vec<Text>,
    pub columns: Vec<Column>,
    /// `unique a, b`: no two rows share these columns' values.
    pub unique: Vec<NameList>,
    /// `one a per b`: the rows with equal `b` have equal `a`.
    pub one_per: Vec<OnePer>,
    /// `require a <= b`: each row's two columns compare so.
    pub requires: Vec<Require>,
    /// `may be empty`: where written (an extract with a header and no rows is an error
    /// unless its source says so).
    pub may_be_empty: Vec<Span>,
    pub span: Span,
}

/// Names written as a list, with the span of the whole clause.
#[derive(Debug, Clone, PartialEq)]
pub struct NameList {
    pub names: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OnePer {
    pub values: Vec<Ident>,
    pub key: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Require {
    pub left: Ident,
    pub op: BinaryOp,
    pub right: Ident,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: Ident,
    pub ty: TypeExpr,
    /// `in LOW..HIGH`: the values a number column may take, both ends included.
    pub range: Option<ValueRange>,
    pub description: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValueRange {
    pub low: Option<Num>,
    pub high: Option<Num>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub name: Ident,
    pub args: Vec<TypeArg>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeArg {
    Text(Text),
    Name(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CodeList {
    pub name: Ident,
    pub system: Ident,
    pub include: Vec<CodeEntry>,
    pub exclude: Vec<CodeEntry>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CodeEntry {
    pub first: Text,
    /// The end of a range `"A00".."A09"`.
    pub last: Option<Text>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    pub name: Ident,
    pub persons_of: Vec<Ident>,
    pub filters: Vec<Expr>,
    pub lets: Vec<Let>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    pub name: Ident,
    pub from: Vec<Ident>,
    pub filters: Vec<Expr>,
    pub lets: Vec<Let>,
    pub residence: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Standard {
    pub name: Ident,
    pub from: Vec<Ident>,
    pub filters: Vec<Expr>,
    pub strata: Vec<Vec<Ident>>,
    pub weight: Vec<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub name: Ident,
    pub clauses: Vec<Clause>,
    pub span: Span,
}

/// One clause of an indicator, or of an `at LEVEL { … }` block inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub kind: ClauseKind,
    /// The clause keyword, for "given twice" and "not used" diagnostics.
    pub keyword: Span,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ClauseKind {
    Title(Text),
    Number(Num),
    Goal(Ident),
    Unit(Text),
    Decimals(Num),
    Improvement(Ident),
    Levels(Vec<Ident>),
    Period(PeriodClause),
    Measure(MeasureClause),
    Numerator(Aggregation),
    Denominator(Aggregation),
    Deaths(Aggregation),
    Exposure(Aggregation),
    Value(ValueClause),
    Ages(Expr),
    Weight(Expr),
    Tally(Tally),
    Standardise(Standardise),
    Crude,
    Suppress(Suppress),
    NoDevelopment(Text),
    Footnote(Text),
    DataSource(Text),
    Hidden,
    /// Which quantities the report shows: `value`, `numerator`, `denominator`.
    Publish(Vec<Ident>),
    At(AtBlock),
    Test(TestBlock),
}

impl ClauseKind {
    /// The keyword of the clause as written in rule files.
    pub fn keyword(&self) -> &'static str {
        match self {
            ClauseKind::Title(_) => "title",
            ClauseKind::Number(_) => "number",
            ClauseKind::Goal(_) => "goal",
            ClauseKind::Unit(_) => "unit",
            ClauseKind::Decimals(_) => "decimals",
            ClauseKind::Improvement(_) => "improvement",
            ClauseKind::Levels(_) => "levels",
            ClauseKind::Period(_) => "period",
            ClauseKind::Measure(_) => "measure",
            ClauseKind::Numerator(_) => "numerator",
            ClauseKind::Denominator(_) => "denominator",
            ClauseKind::Deaths(_) => "deaths",
            ClauseKind::Exposure(_) => "exposure",
            ClauseKind::Value(_) => "value",
            ClauseKind::Ages(_) => "ages",
            ClauseKind::Weight(_) => "weight",
            ClauseKind::Tally(_) => "tally",
            ClauseKind::Standardise(_) => "standardise",
            ClauseKind::Crude => "crude",
            ClauseKind::Suppress(_) => "suppress",
            ClauseKind::NoDevelopment(_) => "no development",
            ClauseKind::Footnote(_) => "footnote",
            ClauseKind::DataSource(_) => "data_source",
            ClauseKind::Hidden => "hidden",
            ClauseKind::Publish(_) => "publish",
            ClauseKind::At(_) => "at",
            ClauseKind::Test(_) => "test",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PeriodClause {
    pub report: PeriodSpec,
    pub compare: Option<PeriodSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PeriodKind {
    Year(i32),
    Years(i32, i32),
    Month(i32, u32),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PeriodSpec {
    pub kind: PeriodKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MeasureClause {
    pub kind: Ident,
    /// `rate per 1000`
    pub per: Option<Num>,
    /// `life_expectancy at age 0`
    pub at_age: Option<Num>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AggregateFn {
    /// Count rows, or distinct persons with `count persons of`.
    Count {
        persons: bool,
    },
    Sum(Expr),
}

/// `count of discharges where readmitted`, `sum days of stays`
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregation {
    pub function: AggregateFn,
    pub over: Ident,
    pub filter: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValueClause {
    pub value: Expr,
    /// `of POPULATION [where CONDITION]`, for means and medians.
    pub over: Option<(Ident, Option<Expr>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Extreme {
    Min,
    Max,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub name: Ident,
    pub extreme: Option<Extreme>,
    pub aggregation: Aggregation,
    pub by: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Standardise {
    pub strata: Vec<Expr>,
    pub using: Ident,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Suppress {
    pub condition: Expr,
    pub reason: Ident,
    pub explanation: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AtBlock {
    pub levels: Vec<Ident>,
    pub clauses: Vec<Clause>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestBlock {
    pub name: Text,
    pub given: Vec<Given>,
    pub expect: Vec<Expect>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    pub source: Ident,
    pub columns: Vec<Ident>,
    pub rows: Vec<TestRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestRow {
    pub values: Vec<TestValue>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TestValueKind {
    Number(f64),
    Text(String),
    Date(DateLit),
    Bool(bool),
    Missing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestValue {
    pub kind: TestValueKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    pub level: Ident,
    pub unit: Option<Num>,
    pub checks: Vec<Expectation>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    Numerator(Num),
    Denominator(Num),
    Value(Num),
    Suppressed(Ident),
    Development(Ident),
    Level(Ident),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateLit {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}

impl DurationUnit {
    /// The days of `amount` of this unit. A month and a year are their average lengths
    /// (365.25 / 12 and 365.25 days), so a duration is a number of days, never a calendar step.
    pub fn days(self, amount: f64) -> f64 {
        match self {
            DurationUnit::Hours => amount / 24.0,
            DurationUnit::Days => amount,
            DurationUnit::Weeks => amount * 7.0,
            DurationUnit::Months => amount * indikator_calendar::DAYS_PER_YEAR / 12.0,
            DurationUnit::Years => amount * indikator_calendar::DAYS_PER_YEAR,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelatedFn {
    Exists,
    Count,
    Min,
    Max,
    Sum,
}

impl RelatedFn {
    pub fn name(self) -> &'static str {
        match self {
            RelatedFn::Exists => "exists",
            RelatedFn::Count => "count",
            RelatedFn::Min => "min",
            RelatedFn::Max => "max",
            RelatedFn::Sum => "sum",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum InTarget {
    List(Vec<Expr>),
    /// A code list, a cohort, or `period`.
    Name(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Text(String),
    Bool(bool),
    Date(DateLit),
    Duration(f64, DurationUnit),
    /// `50 %`, stored as the fraction 0.5.
    Percent(f64),
    List(Vec<Expr>),
    Name(Ident),
    /// `next.admitted`, `period.start`, `life_16.region`
    Field(Ident, Ident),
    Call(Ident, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    In {
        value: Box<Expr>,
        target: InTarget,
        negated: bool,
    },
    IsMissing {
        value: Box<Expr>,
        negated: bool,
    },
    /// `next.admitted within 30 days after discharged`
    Within {
        value: Box<Expr>,
        amount: f64,
        unit: DurationUnit,
        after: bool,
        anchor: Box<Expr>,
    },
    /// `exists(next in admissions of same person where …)`
    Related(Box<Related>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub function: RelatedFn,
    pub function_span: Span,
    pub projection: Option<Expr>,
    pub alias: Ident,
    pub source: Ident,
    pub same_person: bool,
    pub filter: Option<Expr>,
}

/// One parsed rule file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleFile {
    pub definitions: Vec<Definition>,
    /// Names of definitions that could not be parsed: the checker treats them as existing,
    /// so a syntax error in one definition does not also raise "unknown name" elsewhere.
    pub unparsed_names: Vec<Ident>,
    /// Definitions parsed after skipping a line with a syntax error: they may lack a clause
    /// because of it, so the checker does not also report the clause as missing.
    pub partial_names: Vec<String>,
}
