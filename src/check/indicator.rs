//! Checks an indicator: its metadata, its measure's parts, standardisation, suppression,
//! per-level blocks and inline tests.

use std::rc::Rc;

use super::expr::{self, Scope};
use super::measures::{self, Part};
use super::program::Resolution;
use super::types::Ty;
use super::{Checker, Schema};
use crate::diagnostics::{Code, Diagnostic};
use crate::source_db::Span;
use crate::suggest;
use crate::syntax::ast::*;
use crate::words::{ColumnTypeName, Direction, Level, Marking, MeasureName, NO_MARKING};

/// The quantities a `publish` clause can name.
const PUBLISHABLE: &[&str] = &["value", "numerator", "denominator"];

/// Suppression reasons the engine gives by itself: a derived figure whose inputs are
/// suppressed, a cell hidden to protect another, a unit with no data.
pub const BUILT_IN_REASONS: &[&str] = &["input_suppressed", "complementary", "no_data"];

/// Clauses that may be given at most once in a block.
const SINGLE: &[&str] = &[
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
    "standardise",
    "crude",
    "no development",
    "data_source",
    "hidden",
    "publish",
];

fn find<'c, T>(clauses: &'c [Clause], f: impl Fn(&'c ClauseKind) -> Option<T>) -> Option<T> {
    clauses.iter().find_map(|c| f(&c.kind))
}

impl<'a> Checker<'a> {
    fn repeated_clauses(&mut self, clauses: &[Clause]) {
        for keyword in SINGLE {
            let spans: Vec<Span> = clauses
                .iter()
                .filter(|c| c.kind.keyword() == *keyword)
                .map(|c| c.keyword)
                .collect();
            self.repeated(keyword, &spans);
        }
    }

    pub(super) fn indicator(&mut self, ind: &'a Indicator) {
        let clauses = &ind.clauses;
        self.repeated_clauses(clauses);
        let hidden = clauses.iter().any(|c| matches!(c.kind, ClauseKind::Hidden));
        let required: &[(&str, &str)] = if hidden {
            &[
                ("levels", "levels national, region"),
                ("period", "period 2023 compare 2022"),
                ("measure", "measure proportion"),
            ]
        } else {
            &[
                ("title", "title \"…\""),
                ("goal", "goal GOAL_NAME"),
                ("unit", "unit \"pct.\""),
                ("improvement", "improvement lower"),
                ("levels", "levels national, region, municipality"),
                ("period", "period 2023 compare 2022"),
                ("measure", "measure proportion"),
            ]
        };
        // An indicator listed without figures has no unit and no direction to state.
        let without_figures = clauses
            .iter()
            .any(|c| matches!(&c.kind, ClauseKind::Measure(m) if m.kind.name.parse() == Ok(MeasureName::NoFigures)));
        for (keyword, example) in required {
            if without_figures && matches!(*keyword, "unit" | "improvement") {
                continue;
            }
            if !clauses.iter().any(|c| c.kind.keyword() == *keyword) {
                self.report(
                    Diagnostic::error(
                        Code::MissingClause,
                        format!("indicator `{}` has no `{keyword}`", ind.name.name),
                    )
                    .primary(ind.name.span, format!("`{keyword}` is missing"))
                    .help(format!("add `{example}`")),
                );
            }
        }

        if let Some(goal) = find(clauses, |k| match k {
            ClauseKind::Goal(g) => Some(g),
            _ => None,
        }) && !matches!(
            self.definitions.get(goal.name.as_str()),
            Some(Definition::Goal(_))
        ) {
            self.unknown(goal, Code::UnknownGoal, "goal", |d| {
                matches!(d, Definition::Goal(_))
            });
        }
        if let Some(direction) = find(clauses, |k| match k {
            ClauseKind::Improvement(d) => Some(d),
            _ => None,
        }) && direction.name.parse::<Direction>().is_err()
        {
            let help = suggest::help_for_fixed(
                &direction.name,
                Direction::NAMES.iter().copied(),
                "write one of",
            );
            self.report(
                Diagnostic::error(
                    Code::UnknownDirection,
                    format!("unknown improvement direction `{}`", direction.name),
                )
                .primary(direction.span, "not a direction")
                .maybe_help(help),
            );
        }
        if let Some(quantities) = find(clauses, |k| match k {
            ClauseKind::Publish(q) => Some(q),
            _ => None,
        }) {
            for q in quantities {
                if !PUBLISHABLE.contains(&q.name.as_str()) {
                    let help = suggest::help_for_fixed(
                        &q.name,
                        PUBLISHABLE.iter().copied(),
                        "the quantities are",
                    );
                    self.report(
                        Diagnostic::error(
                            Code::UnknownName,
                            format!("`{}` is not a published quantity", q.name),
                        )
                        .primary(q.span, "not a quantity of the report")
                        .maybe_help(help),
                    );
                }
            }
            if !quantities.iter().any(|q| q.name == "value") {
                self.report(
                    Diagnostic::error(Code::MissingPart, "the value is always published")
                        .primary(
                            quantities[0].span.to(quantities[quantities.len() - 1].span),
                            "`value` is missing",
                        )
                        .help("write `publish value` or `publish value, numerator, denominator`"),
                );
            }
        }
        if let Some(decimals) = find(clauses, |k| match k {
            ClauseKind::Decimals(n) => Some(n),
            _ => None,
        }) && (decimals.value.fract() != 0.0 || decimals.value > 6.0)
        {
            self.report(
                Diagnostic::error(
                    Code::TypeMismatch,
                    "`decimals` is a whole number from 0 to 6",
                )
                .primary(decimals.span, "the number of decimals shown in the report")
                .help("write `decimals 1`"),
            );
        }

        let levels: Vec<String> = find(clauses, |k| match k {
            ClauseKind::Levels(l) => Some(l),
            _ => None,
        })
        .map(|l| {
            for (k, level) in l.iter().enumerate() {
                self.level_name(level);
                if l[..k].iter().any(|earlier| earlier.name == level.name) {
                    self.report(
                        Diagnostic::error(
                            Code::DuplicateField,
                            format!("the level `{}` is listed twice", level.name),
                        )
                        .primary(level.span, "listed before")
                        .help("list each level once: `levels national, region, municipality`"),
                    );
                }
            }
            l.iter().map(|i| i.name.clone()).collect()
        })
        .unwrap_or_default();

        let measure = self.measure(ind);
        let tallies = self.tallies(ind);
        self.level_clauses(ind, clauses, &measure, &tallies);
        for clause in clauses {
            if let ClauseKind::At(block) = &clause.kind {
                self.repeated_clauses(&block.clauses);
                for level in &block.levels {
                    if self.level_name(level) && !levels.contains(&level.name) {
                        self.report(
                            Diagnostic::error(
                                Code::LevelNotComputed,
                                format!(
                                    "`{}` is not computed at {} level",
                                    ind.name.name, level.name
                                ),
                            )
                            .primary(level.span, "not among the indicator's levels")
                            .help(format!(
                                "add `{}` to `levels`, or remove it here",
                                level.name
                            )),
                        );
                    }
                }
                self.level_clauses(ind, &block.clauses, &measure, &tallies);
            }
        }
        for clause in clauses {
            if let ClauseKind::Test(test) = &clause.kind {
                self.test_block(ind, test, &levels, clauses);
            }
        }
    }

    /// Checks a level name; returns whether it is known.
    fn level_name(&mut self, level: &Ident) -> bool {
        if level.name.parse::<Level>().is_ok() {
            return true;
        }
        let help =
            suggest::help_for_fixed(&level.name, Level::NAMES.iter().copied(), "the levels are");
        self.report(
            Diagnostic::error(
                Code::UnknownLevel,
                format!("unknown level `{}`", level.name),
            )
            .primary(level.span, "not a level")
            .maybe_help(help),
        );
        false
    }

    /// Checks the clauses allowed both at the top of an indicator and in `at LEVEL { … }`.
    fn level_clauses(
        &mut self,
        ind: &'a Indicator,
        clauses: &'a [Clause],
        measure: &MeasureInfo,
        tallies: &[String],
    ) {
        for clause in clauses {
            match &clause.kind {
                ClauseKind::Period(p) => self.period(p),
                ClauseKind::Standardise(s) => self.standardise(ind, clause.keyword, s, measure),
                ClauseKind::Suppress(s) => {
                    let scope = Scope::Threshold {
                        tallies: tallies.to_vec(),
                    };
                    let before = self.diagnostics.len();
                    let ty = self.infer(&ind.name, &s.condition, &scope);
                    if self.diagnostics.len() == before {
                        self.foreign_part(&s.condition, Evaluated::Suppression);
                    }
                    if !matches!(ty, Ty::Bool | Ty::Unknown) {
                        self.report(
                            Diagnostic::error(
                                Code::NotBoolean,
                                "a suppression rule must be true or false",
                            )
                            .primary(s.condition.span, format!("this is {ty}"))
                            .help("write a condition, such as `denominator < 20 or numerator < 5`"),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    /// Refuses the first part of a suppression rule or a derived formula that types well but
    /// that the evaluator gives no meaning there: such rules see only the unit's figures and
    /// numbers, so a date, a text or a function of the data would otherwise stop the run.
    fn foreign_part(&mut self, e: &Expr, place: Evaluated) {
        let Some(part) = foreign(e, place) else {
            return;
        };
        let (what, help) = match place {
            Evaluated::Suppression => (
                "a suppression rule",
                "a suppression rule compares the unit's figures (`numerator`, `denominator`, \
                 `value`, `area`, a `tally`) with numbers, joined by `and`, `or`, `not`; \
                 `is missing` and `in [...]` are allowed",
            ),
            Evaluated::Formula => (
                "a derived formula",
                "a derived formula combines other indicators' figures and numbers with \
                 `+`, `-`, `*`, `/`",
            ),
        };
        self.report(
            Diagnostic::error(Code::NotInFigures, format!("this cannot be used in {what}"))
                .primary(part.span, "not one of the figures or a number")
                .help(help),
        );
    }

    fn period(&mut self, p: &PeriodClause) {
        let valid = |c: &mut Checker, spec: &PeriodSpec| -> bool {
            let problem = match spec.kind {
                PeriodKind::Month(_, m) if !(1..=12).contains(&m) => {
                    Some("months are numbered 01 to 12")
                }
                PeriodKind::Years(a, b) if a > b => Some("the range ends before it starts"),
                PeriodKind::Year(y) | PeriodKind::Years(y, _) | PeriodKind::Month(y, _)
                    if !(1900..=2100).contains(&y) =>
                {
                    Some("the year is outside 1900-2100")
                }
                _ => None,
            };
            if let Some(problem) = problem {
                c.report(
                    Diagnostic::error(Code::InvalidPeriod, "invalid period")
                        .primary(spec.span, problem)
                        .help("write a year `2023`, a range of years `2019..2023` or a month `2024-03`"),
                );
                return false;
            }
            true
        };
        let report_ok = valid(self, &p.report);
        let Some(compare) = &p.compare else { return };
        if !valid(self, compare) || !report_ok {
            return;
        }
        let (start, length, shape) = period_shape(&p.report.kind);
        let (cstart, clength, cshape) = period_shape(&compare.kind);
        let problem = if shape != cshape {
            Some(format!(
                "the report period is {shape}, the comparison period {cshape}"
            ))
        } else if length != clength {
            Some(format!(
                "the report period covers {length} {shape}s, the comparison period {clength}"
            ))
        } else if cstart >= start {
            Some("the comparison period must come before the report period".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            self.report(
                Diagnostic::error(Code::InvalidComparison, "the comparison period does not match")
                    .primary(compare.span, problem)
                    .secondary(p.report.span, "the report period")
                    .help("compare with an earlier period of the same kind and length, such as `period 2023 compare 2022`"),
            );
        }
    }

    fn measure(&mut self, ind: &'a Indicator) -> MeasureInfo {
        let clauses = &ind.clauses;
        let mut info = MeasureInfo::default();
        let Some((clause, m)) = clauses.iter().find_map(|c| match &c.kind {
            ClauseKind::Measure(m) => Some((c, m)),
            _ => None,
        }) else {
            return info;
        };
        let Some(kind) = measures::find(&m.kind.name) else {
            let help = suggest::help_for_fixed(
                &m.kind.name,
                MeasureName::NAMES.iter().copied(),
                "the measure kinds are",
            );
            self.report(
                Diagnostic::error(
                    Code::UnknownMeasure,
                    format!("unknown measure kind `{}`", m.kind.name),
                )
                .primary(m.kind.span, "not a measure kind")
                .maybe_help(help),
            );
            info.unknown_kind = true;
            self.measure_parts_unchecked(ind, &mut info);
            return info;
        };
        info.kind = Some(kind.name());
        if let Some(&Resolution::Indicator(id)) = self.defined.get(&ind.name.span) {
            self.program.indicators[id].measure = Some(kind.kind);
        }
        if kind.needs_per && m.per.is_none() {
            self.report(
                Diagnostic::error(Code::MissingPart, "a rate needs its `per` factor")
                    .primary(m.kind.span, "per how many?")
                    .help("write `measure rate per 1000`"),
            );
        }
        if let Some(per) = &m.per
            && kind.needs_per
            && (per.value.is_nan() || per.value <= 0.0)
        {
            self.report(
                Diagnostic::error(
                    Code::TypeMismatch,
                    "a rate's `per` factor is a positive number",
                )
                .primary(per.span, "events per how many?")
                .help("write `measure rate per 1000` (or 100, 10000, 100000)"),
            );
        }
        if let Some(per) = &m.per
            && kind.needs_per
            && per.value > MAX_PER
        {
            self.report(
                Diagnostic::error(Code::OutOfRange, "a rate's `per` factor is too large")
                    .primary(per.span, "more than 1,000,000,000")
                    .help(
                        "rates are given per 100, 1,000, 10,000 or 100,000; a factor beyond \
                         1,000,000,000 gives figures too large to publish",
                    ),
            );
        }
        if let Some(per) = &m.per
            && !kind.needs_per
        {
            self.report(
                Diagnostic::error(
                    Code::UnusedPart,
                    format!("a {} has no `per` factor", kind.name()),
                )
                .primary(per.span, "not used")
                .help("remove `per …`, or use `measure rate per …`"),
            );
        }
        if kind.needs_age && m.at_age.is_none() {
            self.report(
                Diagnostic::error(Code::MissingPart, "a life expectancy is taken at an age")
                    .primary(m.kind.span, "at which age?")
                    .help("write `measure life_expectancy at age 0`"),
            );
        }
        if let Some(age) = &m.at_age
            && kind.needs_age
            && let Some(limits) = clauses.iter().find_map(|c| match &c.kind {
                ClauseKind::Ages(e) => band_limits(e),
                _ => None,
            })
            && !limits.contains(&age.value)
        {
            let list: Vec<String> = limits.iter().map(|l| l.to_string()).collect();
            self.report(
                Diagnostic::error(
                    Code::MissingPart,
                    format!("no age band starts at {}", age.raw),
                )
                .primary(age.span, "the life table is taken from the start of a band")
                .help(format!(
                    "add {} to the `ages` band limits (now {})",
                    age.raw,
                    list.join(", ")
                )),
            );
        }
        if let Some(age) = &m.at_age
            && !kind.needs_age
        {
            self.report(
                Diagnostic::error(
                    Code::UnusedPart,
                    format!("a {} is not taken at an age", kind.name()),
                )
                .primary(age.span, "not used")
                .help("remove `at age …`"),
            );
        }

        let present = present_parts(clauses);
        for part in kind.required {
            if !present.iter().any(|(p, _)| p == part) {
                let wrong_value = matches!(part, Part::ValueOver | Part::ValueFormula)
                    && present
                        .iter()
                        .any(|(p, _)| matches!(p, Part::ValueOver | Part::ValueFormula));
                if wrong_value {
                    continue;
                }
                self.report(
                    Diagnostic::error(
                        Code::MissingPart,
                        format!(
                            "{} needs `{}`",
                            article(&kind_label(kind.name())),
                            part.keyword()
                        ),
                    )
                    .primary(
                        clause.keyword.to(m.kind.span),
                        format!("`{}` is missing", part.keyword()),
                    )
                    .secondary(ind.name.span, "in this indicator")
                    .help(format!("add `{}`", part.example())),
                );
            }
        }
        for (part, span) in &present {
            let allowed = kind.required.contains(part) || kind.optional.contains(part);
            // Standardisation of the wrong kind is reported by the standardisation check.
            if allowed || *part == Part::Standardise {
                continue;
            }
            let name = kind_label(kind.name());
            let (code, message, label, help) = match part {
                Part::ValueOver if kind.required.contains(&Part::ValueFormula) => (
                    Code::UnusedPart,
                    format!(
                        "{} value is a formula over indicators, not over rows",
                        article(&name)
                    ),
                    "`of …` is not used here".to_string(),
                    "remove `of …`: write `value INDICATOR_A / INDICATOR_B`".to_string(),
                ),
                Part::ValueFormula if kind.required.contains(&Part::ValueOver) => (
                    Code::MissingPart,
                    format!("{} needs the rows its value is taken over", article(&name)),
                    "`of POPULATION` is missing".to_string(),
                    "write `value EXPRESSION of POPULATION`".to_string(),
                ),
                _ => (
                    Code::UnusedPart,
                    format!("{} does not use `{}`", article(&name), part.keyword()),
                    "not used by this measure".to_string(),
                    format!(
                        "remove it, or choose a measure kind that uses it; {} is {}",
                        article(&name),
                        kind.summary
                    ),
                ),
            };
            self.report(
                Diagnostic::error(code, message)
                    .primary(*span, label)
                    .secondary(m.kind.span, format!("the measure is {}", article(&name)))
                    .help(help),
            );
        }
        self.measure_parts(ind, kind, &mut info);
        info
    }

    /// Checks the contents of the parts when the measure kind itself is unknown.
    fn measure_parts_unchecked(&mut self, ind: &'a Indicator, info: &mut MeasureInfo) {
        for clause in &ind.clauses {
            match &clause.kind {
                ClauseKind::Numerator(a)
                | ClauseKind::Denominator(a)
                | ClauseKind::Deaths(a)
                | ClauseKind::Exposure(a) => {
                    self.aggregation(&ind.name, a);
                }
                _ => {}
            }
        }
        info.kind = None;
    }

    fn measure_parts(
        &mut self,
        ind: &'a Indicator,
        kind: &measures::MeasureKind,
        info: &mut MeasureInfo,
    ) {
        let mut row_schemas: Vec<Option<Rc<Schema>>> = Vec::new();
        for clause in &ind.clauses {
            match &clause.kind {
                ClauseKind::Numerator(a)
                | ClauseKind::Denominator(a)
                | ClauseKind::Deaths(a)
                | ClauseKind::Exposure(a) => self.check_residence(ind, &a.over),
                ClauseKind::Value(ValueClause {
                    over: Some((over, _)),
                    ..
                }) => self.check_residence(ind, over),
                _ => {}
            }
        }
        for clause in &ind.clauses {
            match &clause.kind {
                ClauseKind::Numerator(a) => {
                    info.numerator = self.aggregation(&ind.name, a);
                    if kind.reads_aggregate {
                        self.require_aggregate(&a.over, info.numerator.as_ref());
                    }
                    row_schemas.push(info.numerator.clone());
                }
                ClauseKind::Denominator(a) => {
                    info.denominator = self.aggregation(&ind.name, a);
                    if kind.reads_aggregate {
                        self.require_aggregate(&a.over, info.denominator.as_ref());
                    }
                    row_schemas.push(info.denominator.clone());
                }
                ClauseKind::Deaths(a) => {
                    info.numerator = self.aggregation(&ind.name, a);
                    row_schemas.push(info.numerator.clone());
                }
                ClauseKind::Exposure(a) => {
                    info.denominator = self.aggregation(&ind.name, a);
                    row_schemas.push(info.denominator.clone());
                }
                ClauseKind::Value(v) => {
                    match &v.over {
                        Some((over, filter)) => {
                            self.edge(&ind.name, over);
                            let schema = self.row_source(over);
                            if kind.reads_aggregate {
                                self.require_aggregate(over, schema.as_ref());
                            }
                            if let Some(filter) = filter {
                                self.condition(&ind.name, filter, &schema);
                            }
                            let ty = self.expr_in_rows(&ind.name, &v.value, &schema);
                            if !ty.is_number() && !matches!(ty, Ty::Duration) {
                                self.report(
                                Diagnostic::error(Code::TypeMismatch, format!("a {} is taken of numbers", kind.name()))
                                    .primary(v.value.span, format!("this is {ty}"))
                                    .help("for a span of time between two dates, use `days(FROM, TO)`"),
                            );
                            }
                            row_schemas.push(schema.clone());
                            info.numerator = schema;
                        }
                        // A formula where rows are needed is reported as a missing `of`.
                        None if !kind.required.contains(&Part::ValueFormula) => {}
                        None => {
                            let levels = expr::indicator_levels(ind);
                            let scope = Scope::Formula { levels };
                            let before = self.diagnostics.len();
                            let ty = self.infer(&ind.name, &v.value, &scope);
                            if self.diagnostics.len() == before {
                                self.foreign_part(&v.value, Evaluated::Formula);
                            }
                            if !ty.is_number() {
                                self.report(
                                    Diagnostic::error(
                                        Code::TypeMismatch,
                                        "a derived value must be a number",
                                    )
                                    .primary(v.value.span, format!("this is {ty}")),
                                );
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        for clause in &ind.clauses {
            match &clause.kind {
                ClauseKind::Ages(e) => {
                    for schema in [&info.numerator, &info.denominator] {
                        let ty = self.expr_in_rows(&ind.name, e, schema);
                        if !matches!(ty, Ty::Category(_) | Ty::Unknown) {
                            self.report(
                                Diagnostic::error(
                                    Code::TypeMismatch,
                                    "`ages` divides ages into bands",
                                )
                                .primary(e.span, format!("this is {ty}"))
                                .help("write `ages band(age, 0, 1, 5, 10, …, 90)`"),
                            );
                            break;
                        }
                    }
                }
                ClauseKind::Weight(e) => {
                    for schema in row_schemas.iter().take(2) {
                        let ty = self.expr_in_rows(&ind.name, e, schema);
                        if !ty.is_number() {
                            self.report(
                                Diagnostic::error(Code::TypeMismatch, "a weight must be a number")
                                    .primary(e.span, format!("this is {ty}")),
                            );
                            break;
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Whether the rows of a population or source can be placed in municipalities: they need
    /// a `residence`, or exactly one column of type `municipality` in their source.
    fn residence_problem(&self, over: &Ident) -> Option<String> {
        let mut name = over.name.as_str();
        let mut seen = 0;
        loop {
            seen += 1;
            match self.definitions.get(name) {
                Some(Definition::Population(p)) => {
                    if !p.residence.is_empty() {
                        return None;
                    }
                    name = p.from.first()?.name.as_str();
                }
                Some(Definition::Source(s)) => {
                    if s.aggregate {
                        return None;
                    }
                    let n = s
                        .columns
                        .iter()
                        .filter(|c| c.ty.name.name == ColumnTypeName::Municipality.as_str())
                        .count();
                    return match n {
                        1 => None,
                        0 => Some(format!(
                            "source `{}` has no column of type `municipality`",
                            s.name.name
                        )),
                        _ => Some(format!(
                            "source `{}` has {n} municipality columns; say which is the residence",
                            s.name.name
                        )),
                    };
                }
                _ => return None,
            }
            if seen > 64 {
                return None;
            }
        }
    }

    /// Reports an aggregation whose rows cannot be placed below the national level when the
    /// indicator is computed there.
    fn check_residence(&mut self, ind: &Indicator, over: &Ident) {
        let levels = expr::indicator_levels(ind);
        let Some(level) = levels
            .iter()
            .find(|l| l.parse::<Level>().is_ok_and(|l| l != Level::National))
        else {
            return;
        };
        if let Some(problem) = self.residence_problem(over) {
            self.report(
                Diagnostic::error(
                    Code::NoResidence,
                    format!("the rows of `{}` cannot be placed in municipalities", over.name),
                )
                .primary(over.span, problem)
                .help(format!(
                    "the indicator is computed at {level} level: add `residence COLUMN` to the population, or compute it nationally only"
                )),
            );
        }
    }

    fn require_aggregate(&mut self, over: &Ident, schema: Option<&Rc<Schema>>) {
        if let Some(schema) = schema
            && !schema.aggregate
        {
            self.report(
                Diagnostic::error(Code::WrongKind, format!("`{}` is not an aggregate source", over.name))
                    .primary(over.span, "a reported figure is read from an aggregate source")
                    .help("declare the figures with `aggregate source NAME { … }`, or compute the indicator from rows with another measure kind"),
            );
        }
    }

    /// Checks `count of X where …` / `sum E of X`; returns the schema of X's rows.
    fn aggregation(&mut self, owner: &Ident, a: &Aggregation) -> Option<Rc<Schema>> {
        self.edge(owner, &a.over);
        let schema = self.row_source(&a.over);
        match &a.function {
            AggregateFn::Count { persons: true } => {
                if let Some(s) = &schema
                    && s.person.is_none()
                {
                    self.report(
                        Diagnostic::error(Code::NoPersonColumn, format!("{} has no person column", s.origin))
                            .primary(a.over.span, "`count persons` counts distinct persons")
                            .help("declare the person's column with type `person`, or write `count of …` to count rows"),
                    );
                }
            }
            AggregateFn::Count { persons: false } => {}
            AggregateFn::Sum(e) => {
                let ty = self.expr_in_rows(owner, e, &schema);
                if !ty.is_number() {
                    self.report(
                        Diagnostic::error(Code::TypeMismatch, "`sum` adds numbers")
                            .primary(e.span, format!("this is {ty}"))
                            .help("for days between two dates, use `days(FROM, TO)`"),
                    );
                }
            }
        }
        if let Some(filter) = &a.filter {
            self.condition(owner, filter, &schema);
        }
        schema
    }

    fn tallies(&mut self, ind: &'a Indicator) -> Vec<String> {
        let mut names = Vec::new();
        for clause in &ind.clauses {
            if let ClauseKind::Tally(t) = &clause.kind {
                let schema = self.aggregation(&ind.name, &t.aggregation);
                if let Some(by) = &t.by {
                    self.expr_in_rows(&ind.name, by, &schema);
                    if t.extreme.is_none() {
                        self.report(
                            Diagnostic::error(
                                Code::MissingPart,
                                "a tally by groups needs `min` or `max`",
                            )
                            .primary(by.span, "which group's count?")
                            .help(format!(
                                "write `tally {} = min count of … by …`",
                                t.name.name
                            )),
                        );
                    }
                } else if t.extreme.is_some() {
                    self.report(
                        Diagnostic::error(Code::MissingPart, "`min` and `max` need groups")
                            .primary(t.aggregation.span, "no `by` given")
                            .help("add `by EXPRESSION`, such as `by band(age, 16, 25, 45, 65)`"),
                    );
                }
                if names.contains(&t.name.name) {
                    self.report(
                        Diagnostic::error(
                            Code::DuplicateField,
                            format!("tally `{}` is defined twice", t.name.name),
                        )
                        .primary(t.name.span, "defined again here"),
                    );
                }
                names.push(t.name.name.clone());
            }
        }
        names
    }

    fn standardise(
        &mut self,
        ind: &'a Indicator,
        keyword: Span,
        s: &Standardise,
        measure: &MeasureInfo,
    ) {
        if let Some(kind) = measure.kind
            && !matches!(
                kind.parse(),
                Ok(MeasureName::Proportion | MeasureName::Rate)
            )
        {
            self.report(
                Diagnostic::error(
                    Code::InvalidStandardisation,
                    format!("a {kind} cannot be standardised"),
                )
                .primary(keyword, "direct standardisation weights stratum rates")
                .help("standardise proportions and rates; remove `standardise` here"),
            );
            return;
        }
        for stratum in &s.strata {
            for schema in [&measure.numerator, &measure.denominator] {
                let ty = self.expr_in_rows(&ind.name, stratum, schema);
                if matches!(ty, Ty::Decimal | Ty::Date | Ty::Duration | Ty::Bool) {
                    self.report(
                        Diagnostic::error(
                            Code::InvalidStandardisation,
                            "strata must be categories",
                        )
                        .primary(stratum.span, format!("this is {ty}"))
                        .help("divide numbers into bands: `band(age, 0, 15, 30, 45, 65, 80)`"),
                    );
                    break;
                }
            }
        }
        if s.using.name == "national" {
            return;
        }
        match self.definitions.get(s.using.name.as_str()) {
            Some(Definition::Standard(standard)) => {
                self.edge(&ind.name, &s.using);
                let declared: usize = standard.strata.iter().map(|l| l.len()).sum();
                if declared != 0 && declared != s.strata.len() {
                    self.report(
                        Diagnostic::error(
                            Code::InvalidStandardisation,
                            format!("`{}` has {declared} strata, but {} are given here", s.using.name, s.strata.len()),
                        )
                        .primary(s.using.span, format!("{declared} strata"))
                        .secondary(standard.name.span, "the standard is defined here")
                        .help("give one stratum expression for each of the standard's strata, in the same order"),
                    );
                }
            }
            _ => {
                let mut d = self.unknown_diagnostic(
                    &s.using,
                    Code::UnknownStandard,
                    "standard population",
                    |d| matches!(d, Definition::Standard(_)),
                );
                if let Some(diag) = &mut d
                    && diag.help.is_none()
                {
                    diag.help = Some("use `national` for the national distribution of the denominator, or define a `standard`".to_string());
                }
                if let Some(d) = d {
                    self.report(d);
                }
            }
        }
    }

    fn test_block(
        &mut self,
        ind: &'a Indicator,
        test: &TestBlock,
        levels: &[String],
        clauses: &[Clause],
    ) {
        for given in &test.given {
            let schema = match self.definitions.get(given.source.name.as_str()) {
                Some(Definition::Source(_)) => self.schema_of(&given.source.name),
                _ => {
                    self.unknown(&given.source, Code::UnknownSource, "source", |d| {
                        matches!(d, Definition::Source(_))
                    });
                    None
                }
            };
            let mut types = Vec::new();
            for column in &given.columns {
                let ty = match &schema {
                    Some(s) => match s.field(&column.name) {
                        Some(t) => t.clone(),
                        None => {
                            self.unknown_field(column, s);
                            Ty::Unknown
                        }
                    },
                    None => Ty::Unknown,
                };
                types.push(ty);
            }
            for row in &given.rows {
                if row.values.len() != given.columns.len() {
                    self.report(
                        Diagnostic::error(
                            Code::TestRowShape,
                            format!("this row has {} values for {} columns", row.values.len(), given.columns.len()),
                        )
                        .primary(row.span, format!("{} values", row.values.len()))
                        .help("give one value per column listed after the source name; use `missing` for an empty cell"),
                    );
                    continue;
                }
                for ((value, ty), column) in row.values.iter().zip(&types).zip(&given.columns) {
                    self.test_value(value, ty, column);
                }
            }
        }
        let mut reasons: Vec<String> = all_clauses(clauses)
            .filter_map(|c| match &c.kind {
                ClauseKind::Suppress(s) => Some(s.reason.name.clone()),
                _ => None,
            })
            .collect();
        reasons.extend(BUILT_IN_REASONS.iter().map(|r| r.to_string()));
        for expect in &test.expect {
            if self.level_name(&expect.level) && !levels.contains(&expect.level.name) {
                self.report(
                    Diagnostic::error(
                        Code::LevelNotComputed,
                        format!(
                            "`{}` is not computed at {} level",
                            ind.name.name, expect.level.name
                        ),
                    )
                    .primary(expect.level.span, "not among the indicator's levels")
                    .help(format!(
                        "add `{}` to the indicator's `levels`, or expect another level",
                        expect.level.name
                    )),
                );
            }
            if expect.level.name != Level::National.as_str()
                && expect.unit.is_none()
                && expect.level.name.parse::<Level>().is_ok()
            {
                self.report(
                    Diagnostic::error(Code::MissingPart, format!("which {}?", expect.level.name))
                        .primary(expect.level.span, "the unit's code is missing")
                        .help(format!("write `expect {} CODE {{ … }}`", expect.level.name)),
                );
            }
            for check in &expect.checks {
                match check {
                    Expectation::Suppressed(reason) if !reasons.contains(&reason.name) => {
                        let help = suggest::help_for(
                            &reason.name,
                            reasons.iter().map(|r| r.as_str()),
                            "the indicator's reasons are",
                        );
                        self.report(
                            Diagnostic::error(
                                Code::UnknownName,
                                format!("unknown suppression reason `{}`", reason.name),
                            )
                            .primary(
                                reason.span,
                                "no `suppress` rule of this indicator gives this reason",
                            )
                            .maybe_help(help),
                        );
                    }
                    Expectation::Development(m) | Expectation::Level(m)
                        if m.name != NO_MARKING && m.name.parse::<Marking>().is_err() =>
                    {
                        let help = suggest::help_for_fixed(
                            &m.name,
                            Marking::NAMES.iter().copied().chain([NO_MARKING]),
                            "the markings are",
                        );
                        self.report(
                            Diagnostic::error(
                                Code::UnknownName,
                                format!("unknown marking `{}`", m.name),
                            )
                            .primary(m.span, "not a marking")
                            .maybe_help(help),
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    fn test_value(&mut self, value: &TestValue, ty: &Ty, column: &Ident) {
        if let TestValueKind::Number(n) = value.kind
            && !n.is_finite()
        {
            self.report(
                Diagnostic::error(Code::OutOfRange, "this number is too large")
                    .primary(
                        value.span,
                        "beyond the largest number indikator can compute with",
                    )
                    .help("numbers must be below 10^308"),
            );
            return;
        }
        let fits = match (&value.kind, ty) {
            (_, Ty::Unknown) | (TestValueKind::Missing, _) => true,
            (TestValueKind::Date(d), Ty::Date) => {
                if !expr::valid_date(*d) {
                    self.report(
                        Diagnostic::error(
                            Code::InvalidDate,
                            format!("{:04}-{:02}-{:02} is not a date", d.year, d.month, d.day),
                        )
                        .primary(value.span, "no such day"),
                    );
                }
                true
            }
            (TestValueKind::Number(n), Ty::Integer | Ty::Municipality | Ty::Unit) => {
                n.fract() == 0.0
            }
            (TestValueKind::Number(_), Ty::Decimal) => true,
            (TestValueKind::Number(_) | TestValueKind::Text(_), Ty::Person | Ty::Id) => true,
            (TestValueKind::Bool(_), Ty::Bool) => true,
            (TestValueKind::Text(t), Ty::Category(values)) => {
                if !values.contains(t) {
                    let help =
                        suggest::help_for(t, values.iter().map(|v| v.as_str()), "its values are");
                    self.report(
                        Diagnostic::error(
                            Code::UnknownCategoryValue,
                            format!("\"{t}\" is not a value of `{}`", column.name),
                        )
                        .primary(value.span, "not among the declared values")
                        .maybe_help(help),
                    );
                }
                true
            }
            (TestValueKind::Text(_), Ty::Text | Ty::Code(_) | Ty::Period) => true,
            (TestValueKind::Number(_), Ty::Period) => true,
            _ => false,
        };
        if !fits {
            let help = match (&value.kind, ty) {
                (TestValueKind::Text(_), Ty::Date) => "dates are written without quotes: 2023-01-31".to_string(),
                (TestValueKind::Text(_), Ty::Bool) => "write `true` or `false`, without quotes".to_string(),
                (TestValueKind::Text(_), t) if t.is_number() => "numbers are written without quotes".to_string(),
                (_, Ty::Category(values)) => format!(
                    "write one of {}",
                    values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ")
                ),
                _ => "write the value as the column's type: dates as 2023-01-31, text in double quotes, `missing` for an empty cell".to_string(),
            };
            self.report(
                Diagnostic::error(
                    Code::TestValueType,
                    format!("column `{}` holds {ty}", column.name),
                )
                .primary(value.span, "this value does not fit the column")
                .help(help),
            );
        }
    }
}

/// The limits of an `ages band(age, …)` clause, when they are written out.
fn band_limits(e: &Expr) -> Option<Vec<f64>> {
    match &e.kind {
        ExprKind::Call(f, args) if f.name == "band" && args.len() > 1 => args[1..]
            .iter()
            .map(|a| match a.kind {
                ExprKind::Number(n) => Some(n),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// A measure kind's name as words: `life_expectancy` → "life expectancy".
fn kind_label(name: &str) -> String {
    name.replace('_', " ")
}

/// "a proportion", "an indicator".
pub fn article(noun: &str) -> String {
    let an = noun.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {noun}", if an { "an" } else { "a" })
}

/// All clauses of an indicator, including those inside `at` blocks.
fn all_clauses(clauses: &[Clause]) -> impl Iterator<Item = &Clause> {
    clauses.iter().flat_map(|c| {
        let inner: &[Clause] = match &c.kind {
            ClauseKind::At(block) => &block.clauses,
            _ => &[],
        };
        std::iter::once(c).chain(inner.iter())
    })
}

#[derive(Default)]
pub(super) struct MeasureInfo {
    kind: Option<&'static str>,
    unknown_kind: bool,
    numerator: Option<Rc<Schema>>,
    denominator: Option<Rc<Schema>>,
}

/// Start (in months since year 0), length, and kind of a period.
fn period_shape(kind: &PeriodKind) -> (i64, i64, &'static str) {
    match *kind {
        PeriodKind::Year(y) => (y as i64 * 12, 1, "year"),
        PeriodKind::Years(a, b) => (a as i64 * 12, (b - a + 1) as i64, "year"),
        PeriodKind::Month(y, m) => (y as i64 * 12 + m as i64 - 1, 1, "month"),
    }
}

fn present_parts(clauses: &[Clause]) -> Vec<(Part, Span)> {
    clauses
        .iter()
        .filter_map(|c| {
            let part = match &c.kind {
                ClauseKind::Numerator(_) => Part::Numerator,
                ClauseKind::Denominator(_) => Part::Denominator,
                ClauseKind::Deaths(_) => Part::Deaths,
                ClauseKind::Exposure(_) => Part::Exposure,
                ClauseKind::Ages(_) => Part::Ages,
                ClauseKind::Value(v) if v.over.is_some() => Part::ValueOver,
                ClauseKind::Value(_) => Part::ValueFormula,
                ClauseKind::Weight(_) => Part::Weight,
                ClauseKind::Standardise(_) => Part::Standardise,
                _ => return None,
            };
            Some((part, c.keyword))
        })
        .collect()
}

/// The largest `per` factor of a rate: larger ones give figures beyond any reader's scale and,
/// far enough, beyond the numbers the evaluator can hold (published blank).
const MAX_PER: f64 = 1e9;

/// Where an expression over the computed figures stands.
#[derive(Clone, Copy, PartialEq)]
enum Evaluated {
    Suppression,
    Formula,
}

/// The first part of an expression over figures that has no meaning there.
fn foreign(e: &Expr, place: Evaluated) -> Option<&Expr> {
    let suppression = place == Evaluated::Suppression;
    match &e.kind {
        ExprKind::Number(_) | ExprKind::Percent(_) | ExprKind::Name(_) => None,
        ExprKind::Bool(_) if suppression => None,
        ExprKind::Field(..) if !suppression => None,
        ExprKind::IsMissing { value, .. } if suppression => foreign(value, place),
        ExprKind::In {
            value,
            target: InTarget::List(items),
            ..
        } if suppression => {
            foreign(value, place).or_else(|| items.iter().find_map(|i| foreign(i, place)))
        }
        ExprKind::Unary(UnaryOp::Not, x) if suppression => foreign(x, place),
        ExprKind::Unary(UnaryOp::Neg, x) => foreign(x, place),
        ExprKind::Binary(_, a, b) => foreign(a, place).or_else(|| foreign(b, place)),
        _ => Some(e),
    }
}
