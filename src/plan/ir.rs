//! The plan: a backend-neutral description of the work, with every name resolved to an index.
//! The in-memory evaluator executes it; a SQL backend could compile the same plan.

use std::fmt;

pub type SourceId = usize;
pub type PopulationId = usize;
pub type CohortId = usize;
pub type CodeListId = usize;
pub type IndicatorId = usize;
pub type StandardId = usize;

/// An aggregation's number in the plan, given by [`super::ids`]: two aggregations that count
/// the same rows in the same way have the same number, so the evaluator computes their cells
/// once (indicators often share one, such as the residents as a rate's denominator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AggregationId(pub u32);

/// A relation's number in the plan, given by [`super::ids`]: equal relations share a number,
/// so the evaluator totals them once per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelationId(pub u32);

impl AggregationId {
    /// What the lowering writes before [`super::ids::number`] numbers the plan.
    pub const UNNUMBERED: AggregationId = AggregationId(u32::MAX);
}

impl RelationId {
    /// What the lowering writes before [`super::ids::number`] numbers the plan.
    pub const UNNUMBERED: RelationId = RelationId(u32::MAX);
}

/// Interned text: category values, codes and literals all become symbols, so comparing them
/// is comparing integers.
pub type Sym = u32;

pub use crate::words::{Direction, Level};

/// A span of calendar time, inclusive at both ends, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub first_day: i32,
    pub last_day: i32,
    pub kind: PeriodKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    Year(i32),
    Years(i32, i32),
    Month(i32, u32),
}

impl Period {
    pub fn new(kind: PeriodKind) -> Period {
        let (first_day, last_day) = match kind {
            PeriodKind::Year(y) => (days_from_civil(y, 1, 1), days_from_civil(y, 12, 31)),
            PeriodKind::Years(a, b) => (days_from_civil(a, 1, 1), days_from_civil(b, 12, 31)),
            PeriodKind::Month(y, m) => {
                let next = if m == 12 {
                    days_from_civil(y + 1, 1, 1)
                } else {
                    days_from_civil(y, m + 1, 1)
                };
                (days_from_civil(y, m, 1), next - 1)
            }
        };
        Period {
            first_day,
            last_day,
            kind,
        }
    }

    pub fn contains(self, day: i32) -> bool {
        self.first_day <= day && day <= self.last_day
    }
}

impl fmt::Display for Period {
    /// The label used in outputs and in aggregate sources' period columns.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Year(y) => write!(f, "{y}"),
            PeriodKind::Years(a, b) => write!(f, "{a}..{b}"),
            PeriodKind::Month(y, m) => write!(f, "{y}-{m:02}"),
        }
    }
}

/// The calendar's arithmetic lives in the `indikator-calendar` crate, shared with the generator.
pub use indikator_calendar::{Day, checked_day, civil_from_days, days_from_civil, year_and_place};

/// Column types as the loader parses them.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnType {
    Id,
    Person,
    Date,
    Integer,
    Decimal,
    Bool,
    Text,
    /// Allowed values, as written in the rules.
    Category(Vec<String>),
    Code,
    Municipality,
    /// A unit code of any level: 0 for the country, a region or a municipality code.
    Unit,
    Period,
}

#[derive(Debug, Clone)]
pub struct SourcePlan {
    pub name: String,
    pub file: String,
    pub aggregate: bool,
    /// All declared columns; `used` says which the rules read.
    pub columns: Vec<(String, ColumnType)>,
    pub used: Vec<bool>,
    /// Whether a rule reads the source's rows (a population, cohort, aggregation, relation or
    /// standard over it). Such a source is read even when no rule reads one of its columns, so
    /// that `count of` it counts every row.
    pub rows_read: bool,
    /// Index of the person column, if any.
    pub person: Option<usize>,
    /// The rows the run needs, when every use keeps only rows dated around a period
    /// ([`super::windows`]): those that any of these windows holds; empty when every row may
    /// matter.
    pub windows: Vec<RowWindow>,
    /// What the rows must satisfy, checked as the extract is read (`src/eval/validate.rs`).
    pub constraints: Vec<RowConstraint>,
    /// An extract with a header and no rows is accepted (`may be empty`).
    pub may_be_empty: bool,
}

/// A declared condition on the rows of an extract. Missing values satisfy every one.
#[derive(Debug, Clone, PartialEq)]
pub enum RowConstraint {
    /// A number column's values lie in `low..=high`.
    Range {
        column: usize,
        low: Option<f64>,
        high: Option<f64>,
        /// The range as written, such as `0..24`.
        written: String,
    },
    /// No two rows have equal values in all these columns.
    Unique { columns: Vec<usize> },
    /// Rows with equal values in the `key` columns have equal values in `value`.
    OnePer { value: usize, key: Vec<usize> },
    /// Each row's `left` column compares with its `right` column by `op` (a comparison).
    Require {
        left: usize,
        op: BinOp,
        right: usize,
    },
}

impl RowConstraint {
    /// The columns the constraint reads.
    pub fn columns(&self) -> Vec<usize> {
        match self {
            RowConstraint::Range { column, .. } => vec![*column],
            RowConstraint::Unique { columns } => columns.clone(),
            RowConstraint::OnePer { value, key } => {
                let mut all = key.clone();
                all.push(*value);
                all
            }
            RowConstraint::Require { left, right, .. } => vec![*left, *right],
        }
    }

    /// The constraint as written in the source, for messages: `finished_days in 0..`.
    pub fn describe(&self, columns: &[(String, ColumnType)]) -> String {
        let name = |k: &usize| columns[*k].0.as_str();
        let list = |ks: &[usize]| ks.iter().map(name).collect::<Vec<_>>().join(", ");
        match self {
            RowConstraint::Range {
                column, written, ..
            } => format!("{} in {written}", name(column)),
            RowConstraint::Unique { columns } => format!("unique {}", list(columns)),
            RowConstraint::OnePer { value, key } => {
                format!("one {} per {}", name(value), list(key))
            }
            RowConstraint::Require { left, op, right } => {
                let symbol = match op {
                    BinOp::Eq => "==",
                    BinOp::Ne => "!=",
                    BinOp::Lt => "<",
                    BinOp::Le => "<=",
                    BinOp::Gt => ">",
                    _ => ">=",
                };
                format!("require {} {symbol} {}", name(left), name(right))
            }
        }
    }
}

impl SourcePlan {
    /// Whether the run reads the extract at all.
    pub fn is_read(&self) -> bool {
        self.rows_read || self.used.iter().any(|u| *u)
    }
}

/// The rows of a source a run needs: those whose date `column` lies in `first_day..=last_day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowWindow {
    pub column: usize,
    pub first_day: i32,
    pub last_day: i32,
}

/// Where a field of a row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A column of the row's root source.
    Column(usize),
    /// A `let` of the population (numbered across the chain of populations it is built on).
    Let(usize),
}

/// A set of rows: a source's, or a population's for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowSet {
    Source(SourceId),
    Population(PopulationId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Age,
    Days,
    Hours,
    Years,
    Year,
    Month,
    Coalesce,
    Earliest,
    Latest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelatedFn {
    Exists,
    Count,
    Min,
    Max,
    Sum,
}

/// A compiled expression over one row (and the rows bound by `exists(x in …)`). Equality is
/// structural (numbers compared as numbers).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Missing,
    Bool(bool),
    Number(f64),
    Date(i32),
    Text(Sym),
    Duration {
        days: f64,
    },
    /// A field of the current row.
    Field(Field),
    /// A field of a row bound by a relation; 0 is the innermost binding.
    Bound {
        depth: usize,
        field: Field,
    },
    PeriodStart,
    PeriodEnd,
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    InList {
        value: Box<Expr>,
        items: Vec<Expr>,
        negated: bool,
    },
    InCodes {
        value: Box<Expr>,
        codes: CodeListId,
        negated: bool,
    },
    InCohort {
        value: Box<Expr>,
        cohort: CohortId,
        negated: bool,
    },
    InPeriod {
        value: Box<Expr>,
        negated: bool,
    },
    IsMissing {
        value: Box<Expr>,
        negated: bool,
    },
    /// `value within N after/before anchor`, inclusive at both ends.
    Within {
        value: Box<Expr>,
        anchor: Box<Expr>,
        days: f64,
        after: bool,
    },
    Related(Box<Related>),
    Call(Builtin, Vec<Expr>),
    /// `band(x, limits…)`: the symbol of the band's label, missing below the first limit.
    Band {
        value: Box<Expr>,
        limits: Vec<f64>,
        labels: Vec<Sym>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub id: RelationId,
    pub function: RelatedFn,
    pub projection: Option<Expr>,
    pub rows: RowSet,
    pub same_person: bool,
    pub filter: Option<Expr>,
}

#[derive(Debug, Clone)]
pub struct CodeListPlan {
    pub name: String,
    pub include: Vec<CodePattern>,
    pub exclude: Vec<CodePattern>,
}

#[derive(Debug, Clone)]
pub enum CodePattern {
    Exact(String),
    Prefix(String),
    /// Inclusive; compared as text, with the end also matching its own extensions
    /// (`"A00".."A03"` includes `A039`).
    Range(String, String),
}

impl CodePattern {
    pub fn matches(&self, code: &str) -> bool {
        match self {
            CodePattern::Exact(c) => code == c,
            CodePattern::Prefix(p) => code.starts_with(p.as_str()),
            CodePattern::Range(a, b) => {
                code >= a.as_str() && (code <= b.as_str() || code.starts_with(b.as_str()))
            }
        }
    }
}

impl CodeListPlan {
    pub fn matches(&self, code: &str) -> bool {
        self.include.iter().any(|p| p.matches(code))
            && !self.exclude.iter().any(|p| p.matches(code))
    }
}

#[derive(Debug, Clone)]
pub struct CohortPlan {
    pub name: String,
    pub rows: RowSet,
    /// The root source, whose person column gives the cohort's members.
    pub root: SourceId,
    pub lets: Vec<Expr>,
    pub filters: Vec<Expr>,
}

#[derive(Debug, Clone)]
pub struct PopulationPlan {
    pub name: String,
    /// The population it is drawn from, if not directly from a source.
    pub base: Option<PopulationId>,
    pub root: SourceId,
    /// Lets of the whole chain, base first: `Field::Let(i)` indexes this list.
    pub lets: Vec<(String, Expr)>,
    /// Index into `lets` where this population's own lets begin.
    pub own_lets_from: usize,
    pub filters: Vec<Expr>,
    /// The municipality column giving the row's unit.
    pub residence: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Aggregate {
    Count { persons: bool },
    Sum(Expr),
}

/// `count of X where …` or `sum E of X where …`, with what the indicator says about the rows
/// (weights, age bands), compiled against the rows' own fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregation {
    pub id: AggregationId,
    pub function: Aggregate,
    pub rows: RowSet,
    pub filter: Option<Expr>,
    /// Survey weight of each row.
    pub weight: Option<Expr>,
    /// Age band of each row, for life tables.
    pub ages: Option<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MeasureKind {
    Proportion,
    Rate {
        per: f64,
    },
    Ratio,
    Mean,
    Median,
    Count,
    Sum,
    LifeExpectancy {
        at_age: f64,
    },
    Derived,
    Reported,
    /// Listed without figures.
    NoFigures,
}

impl fmt::Display for MeasureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeasureKind::Proportion => f.write_str("proportion"),
            MeasureKind::Rate { per } => write!(f, "rate per {per}"),
            MeasureKind::Ratio => f.write_str("ratio"),
            MeasureKind::Mean => f.write_str("mean"),
            MeasureKind::Median => f.write_str("median"),
            MeasureKind::Count => f.write_str("count"),
            MeasureKind::Sum => f.write_str("sum"),
            MeasureKind::LifeExpectancy { at_age } => write!(f, "life expectancy at age {at_age}"),
            MeasureKind::Derived => f.write_str("derived"),
            MeasureKind::Reported => f.write_str("reported"),
            MeasureKind::NoFigures => f.write_str("none"),
        }
    }
}

#[derive(Debug, Clone)]
pub enum StandardRef {
    /// The national distribution of the indicator's own denominator in the period.
    National,
    Declared(StandardId),
}

#[derive(Debug, Clone)]
pub struct Standardisation {
    /// The stratum of a numerator row and of a denominator row (the two may be different
    /// populations, so each has its own compiled expressions).
    pub numerator_strata: Vec<Expr>,
    pub denominator_strata: Vec<Expr>,
    pub standard: StandardRef,
}

#[derive(Debug, Clone)]
pub struct StandardPlan {
    pub name: String,
    pub source: SourceId,
    pub filters: Vec<Expr>,
    /// Columns forming the stratum key, in order.
    pub strata: Vec<usize>,
    pub weight: Expr,
}

#[derive(Debug, Clone)]
pub enum ThresholdExpr {
    Numerator,
    Denominator,
    Value,
    Area,
    Tally(usize),
    Number(f64),
    Bool(bool),
    List(Vec<ThresholdExpr>),
    /// `x is missing` (`is not missing` when the flag is set).
    IsMissing(Box<ThresholdExpr>, bool),
    Not(Box<ThresholdExpr>),
    Neg(Box<ThresholdExpr>),
    Binary(BinOp, Box<ThresholdExpr>, Box<ThresholdExpr>),
    In(Box<ThresholdExpr>, Vec<ThresholdExpr>, bool),
}

#[derive(Debug, Clone)]
pub struct Suppression {
    pub condition: ThresholdExpr,
    pub reason: String,
    pub explanation: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TallyPlan {
    pub name: String,
    pub aggregation: Aggregation,
    /// `min`/`max` over the groups of `by`.
    pub by: Option<(bool, Expr)>,
}

/// A derived indicator's formula.
#[derive(Debug, Clone)]
pub enum Formula {
    Number(f64),
    /// Another indicator's figure at the same unit, or at the enclosing unit of a level.
    Indicator(IndicatorId, Option<Level>),
    Neg(Box<Formula>),
    Binary(BinOp, Box<Formula>, Box<Formula>),
}

/// What an indicator does at one level.
#[derive(Debug, Clone)]
pub struct LevelPlan {
    pub level: Level,
    pub period: Period,
    pub compare: Option<Period>,
    pub standardisation: Option<Standardisation>,
    pub suppressions: Vec<Suppression>,
    pub no_development: Option<String>,
    pub footnotes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct IndicatorPlan {
    pub name: String,
    pub number: Option<f64>,
    pub title: String,
    pub goal: Option<String>,
    pub unit: String,
    pub decimals: u32,
    pub direction: Direction,
    pub hidden: bool,
    /// Whether the report shows the numerator and the denominator beside the value.
    pub publish_counts: bool,
    pub kind: MeasureKind,
    pub numerator: Option<Aggregation>,
    pub denominator: Option<Aggregation>,
    /// `value E of X where …` (mean, median, reported).
    pub value_over: Option<(Expr, Aggregation)>,
    pub formula: Option<Formula>,
    pub tallies: Vec<TallyPlan>,
    pub levels: Vec<LevelPlan>,
    pub data_source: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GoalPlan {
    pub name: String,
    pub number: Option<f64>,
    pub title: String,
}

/// One step of the ordered work, for `indikator plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Source(SourceId),
    CodeList(CodeListId),
    Standard(StandardId),
    Cohort(CohortId),
    Population(PopulationId),
    Indicator(IndicatorId),
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub symbols: Vec<String>,
    pub goals: Vec<GoalPlan>,
    pub sources: Vec<SourcePlan>,
    pub code_lists: Vec<CodeListPlan>,
    pub standards: Vec<StandardPlan>,
    pub cohorts: Vec<CohortPlan>,
    pub populations: Vec<PopulationPlan>,
    pub indicators: Vec<IndicatorPlan>,
    /// Dependencies first; deterministic.
    pub order: Vec<Step>,
    /// (from, to): `from` needs `to`.
    pub edges: Vec<(Step, Step)>,
}
