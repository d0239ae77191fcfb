//! Stage 2: semantic check. Resolves every name, types every expression, checks that each
//! measure has its parts, and finds duplicates and dependency cycles. Never opens a data file.
//!
//! Every problem is reported in one run. A name that failed to resolve gets the type
//! [`Ty::Unknown`], which is compatible with everything, so one mistake gives one diagnostic.

mod cycles;
pub mod expr;
mod indicator;
pub mod measures;
pub mod program;
pub mod types;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::diagnostics::{Code, Diagnostic};
use crate::plan::ir::ColumnType;
use crate::source_db::Span;
use crate::suggest;
use crate::syntax::ast::*;
use crate::words::ColumnTypeName;
use program::{DefinitionAt, Program, Resolution};
use types::Ty;

/// What a rule set contains, for the one-line summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub indicators: usize,
    pub sources: usize,
    pub code_lists: usize,
    pub populations: usize,
    pub cohorts: usize,
    pub tests: usize,
}

/// The fields of one row of a source or population, as seen by expressions over it.
#[derive(Debug)]
pub struct Schema {
    /// `source \`admissions\`` or `population \`discharges\``, for messages.
    pub origin: String,
    pub fields: Vec<(String, Ty)>,
    pub person: Option<String>,
    pub aggregate: bool,
    /// Whose rows these are (a source, a population, or a cohort with its `let` fields), for
    /// recording what a field name resolved to; `None` for a duplicate definition.
    pub rows: Option<Resolution>,
    /// How many of `fields` are the root source's columns; the rest are `let` fields.
    pub columns: usize,
}

impl Schema {
    pub fn field(&self, name: &str) -> Option<&Ty> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    /// What a field name of these rows resolves to: a column of the root source or a `let`.
    pub fn resolve(&self, name: &str) -> Option<(Resolution, program::Field)> {
        let k = self.fields.iter().position(|(n, _)| n == name)?;
        let field = match k.checked_sub(self.columns) {
            None => program::Field::Column(k),
            Some(index) => program::Field::Let(index),
        };
        Some((self.rows?, field))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(n, _)| n.as_str())
    }
}

/// A dependency between two definitions, for cycle detection.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub at: Span,
}

pub struct Checker<'a> {
    definitions: HashMap<&'a str, &'a Definition>,
    unparsed: HashSet<&'a str>,
    /// Definitions read past a syntax error: they may lack clauses because of it.
    partial: HashSet<&'a str>,
    /// The definition being checked.
    current: Option<&'a str>,
    diagnostics: Vec<Diagnostic>,
    schemas: RefCell<HashMap<String, Option<Rc<Schema>>>>,
    resolving: RefCell<HashSet<String>>,
    edges: Vec<Edge>,
    /// What the check learns for the planner: ids, typed columns, resolved names.
    program: Program,
    /// The id of each definition, by the span of its name (a duplicate has none).
    defined: HashMap<Span, Resolution>,
}

/// Checks a whole rule set (all files together: names are shared across files): the program
/// the checker resolved (complete when there are no errors), a summary and the diagnostics.
pub fn check(files: &[RuleFile]) -> (Program, Summary, Vec<Diagnostic>) {
    let mut checker = Checker {
        definitions: HashMap::new(),
        unparsed: HashSet::new(),
        partial: HashSet::new(),
        current: None,
        diagnostics: Vec::new(),
        schemas: RefCell::new(HashMap::new()),
        resolving: RefCell::new(HashSet::new()),
        edges: Vec::new(),
        program: Program::default(),
        defined: HashMap::new(),
    };
    let mut summary = Summary {
        files: files.len(),
        ..Summary::default()
    };
    let mut order: Vec<&Definition> = Vec::new();
    for (file_index, file) in files.iter().enumerate() {
        for name in &file.unparsed_names {
            checker.unparsed.insert(&name.name);
        }
        for name in &file.partial_names {
            checker.partial.insert(name);
        }
        for (index, def) in file.definitions.iter().enumerate() {
            checker.register(def);
            let at = DefinitionAt {
                file: file_index,
                index,
            };
            if let Some(id) = checker.program.define(def, at) {
                checker.defined.insert(def.name().span, id);
            }
            order.push(def);
        }
    }
    for def in &order {
        checker.current = Some(def.name().name.as_str());
        match def {
            Definition::Goal(g) => checker.goal(g),
            Definition::Source(s) => {
                summary.sources += 1;
                checker.source(s)
            }
            Definition::Codes(c) => {
                summary.code_lists += 1;
                checker.code_list(c)
            }
            Definition::Cohort(c) => {
                summary.cohorts += 1;
                checker.cohort(c)
            }
            Definition::Population(p) => {
                summary.populations += 1;
                checker.population(p)
            }
            Definition::Standard(s) => checker.standard(s),
            Definition::Indicator(i) => {
                summary.indicators += 1;
                summary.tests += i
                    .clauses
                    .iter()
                    .filter(|c| matches!(c.kind, ClauseKind::Test(_)))
                    .count();
                checker.indicator(i)
            }
        }
    }
    let cycle_diagnostics = cycles::find(&order, &checker.edges);
    checker.diagnostics.extend(cycle_diagnostics);
    let mut diagnostics = checker.diagnostics;
    crate::diagnostics::sort(&mut diagnostics);
    diagnostics.dedup();
    (checker.program, summary, diagnostics)
}

impl<'a> Checker<'a> {
    fn report(&mut self, d: Diagnostic) {
        // A definition read past a syntax error may lack a clause because of it: the missing
        // part is most likely on the skipped line, already reported.
        let missing = matches!(d.code, Code::MissingClause | Code::MissingPart);
        if missing && self.current.is_some_and(|c| self.partial.contains(c)) {
            return;
        }
        self.diagnostics.push(d);
    }

    fn register(&mut self, def: &'a Definition) {
        let name = def.name();
        if let Some(first) = self.definitions.get(name.name.as_str()) {
            let first_name = first.name();
            self.report(
                Diagnostic::error(
                    Code::DuplicateDefinition,
                    format!("`{}` is defined twice", name.name),
                )
                .primary(
                    name.span,
                    format!("a second {} named `{}`", def.kind_name(), name.name),
                )
                .secondary(
                    first_name.span,
                    format!("first defined here as a {}", first.kind_name()),
                )
                .help("rename one of them; names are shared by all rule files of the rule set"),
            );
            return;
        }
        self.definitions.insert(&name.name, def);
    }

    /// Records that `from` depends on the definition named `to`, and what `to` resolved to.
    fn edge(&mut self, from: &Ident, to: &Ident) {
        self.program.resolve(to);
        self.edges.push(Edge {
            from: from.name.clone(),
            to: to.name.clone(),
            at: to.span,
        });
    }

    /// Whether a name is unknown because its definition failed to parse (already reported).
    fn is_unparsed(&self, name: &str) -> bool {
        self.unparsed.contains(name)
    }

    fn names_where(&self, keep: impl Fn(&Definition) -> bool) -> Vec<&'a str> {
        let mut names: Vec<&str> = self
            .definitions
            .iter()
            .filter(|(_, d)| keep(d))
            .map(|(n, _)| *n)
            .collect();
        names.sort_unstable();
        names
    }

    /// The diagnostic for a name that resolved to nothing or to the wrong kind of definition;
    /// `None` when the name's own definition failed to parse (already reported).
    fn unknown_diagnostic(
        &self,
        name: &Ident,
        code: Code,
        what: &str,
        keep: impl Fn(&Definition) -> bool,
    ) -> Option<Diagnostic> {
        if self.is_unparsed(&name.name) {
            return None;
        }
        if let Some(found) = self.definitions.get(name.name.as_str()) {
            let kind = found.kind_name();
            return Some(
                Diagnostic::error(
                    Code::WrongKind,
                    format!(
                        "`{}` is {}, not {}",
                        name.name,
                        indicator::article(kind),
                        indicator::article(what)
                    ),
                )
                .primary(
                    name.span,
                    format!("{} is needed here", indicator::article(what)),
                )
                .secondary(
                    found.name().span,
                    format!("`{}` is defined here", name.name),
                ),
            );
        }
        let candidates = self.names_where(keep);
        // "the code lists and cohorts are", not "the code list or cohorts are".
        let label = format!("the {}s are", what.replace(" or ", "s and "));
        let help = suggest::help_for(&name.name, candidates.iter().copied(), &label);
        Some(
            Diagnostic::error(code, format!("unknown {what} `{}`", name.name))
                .primary(name.span, format!("no {what} has this name"))
                .maybe_help(help),
        )
    }

    fn unknown(
        &mut self,
        name: &Ident,
        code: Code,
        what: &str,
        keep: impl Fn(&Definition) -> bool,
    ) {
        if let Some(d) = self.unknown_diagnostic(name, code, what, keep) {
            self.report(d);
        }
    }

    fn repeated(&mut self, what: &str, spans: &[Span]) {
        if spans.len() > 1 {
            self.report(
                Diagnostic::error(Code::RepeatedClause, format!("`{what}` is given twice"))
                    .primary(spans[1], "given again here")
                    .secondary(spans[0], "first given here")
                    .help(format!("keep one `{what}`")),
            );
        }
    }

    fn goal(&mut self, goal: &Goal) {
        self.repeated(
            "title",
            &goal.title.iter().map(|t| t.span).collect::<Vec<_>>(),
        );
        self.repeated(
            "number",
            &goal.number.iter().map(|t| t.span).collect::<Vec<_>>(),
        );
        if goal.title.is_empty() {
            self.report(
                Diagnostic::error(
                    Code::MissingClause,
                    format!("goal `{}` has no title", goal.name.name),
                )
                .primary(goal.name.span, "this goal needs a `title`")
                .help("add `title \"…\"` with the goal's title as published"),
            );
        }
    }

    fn source(&mut self, source: &Source) {
        self.repeated(
            "file",
            &source.file.iter().map(|t| t.span).collect::<Vec<_>>(),
        );
        if source.file.is_empty() {
            self.report(
                Diagnostic::error(
                    Code::MissingClause,
                    format!("source `{}` has no file", source.name.name),
                )
                .primary(source.name.span, "this source needs a `file`")
                .help("add `file \"name.csv\"`: the extract's file name in the data directory"),
            );
        }
        for file in &source.file {
            let path = std::path::Path::new(&file.value);
            if file.value.is_empty()
                || path.is_absolute()
                || path
                    .components()
                    .any(|c| !matches!(c, std::path::Component::Normal(_)))
            {
                self.report(
                    Diagnostic::error(
                        Code::PathOutsideData,
                        "the file must lie inside the data directory",
                    )
                    .primary(
                        file.span,
                        "an absolute path, or one that leaves the data directory",
                    )
                    .help("give the file name relative to the data directory, without `..`"),
                );
            }
        }
        if source.columns.is_empty() {
            self.report(
                Diagnostic::error(Code::MissingClause, format!("source `{}` declares no columns", source.name.name))
                    .primary(source.name.span, "this source needs `columns { … }`")
                    .help("declare each column used by the rules: `columns { person: person  admitted: date }`"),
            );
        }
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for column in &source.columns {
            if let Some(first) = seen.get(column.name.name.as_str()) {
                self.report(
                    Diagnostic::error(
                        Code::DuplicateField,
                        format!("column `{}` is declared twice", column.name.name),
                    )
                    .primary(column.name.span, "declared again here")
                    .secondary(*first, "first declared here"),
                );
            } else {
                seen.insert(&column.name.name, column.name.span);
            }
            let ty = self.column_type(&column.ty);
            if let Some(range) = &column.range {
                self.value_range(column, &ty, range);
            }
        }
        self.row_constraints(source);
        if source.aggregate {
            for (needed, example) in [("unit", "unit_code: unit"), ("period", "year: period")] {
                if !source.columns.iter().any(|c| c.ty.name.name == needed) {
                    self.report(
                        Diagnostic::error(
                            Code::MissingClause,
                            format!(
                                "aggregate source `{}` has no column of type `{needed}`",
                                source.name.name
                            ),
                        )
                        .primary(
                            source.name.span,
                            format!("figures need a `{needed}` column"),
                        )
                        .help(format!("declare one, such as `{example}`")),
                    );
                }
            }
        }
    }

    fn value_range(&mut self, column: &Column, ty: &Ty, range: &ValueRange) {
        if !ty.is_number() {
            self.report(
                Diagnostic::error(
                    Code::ConstraintType,
                    format!(
                        "a range on column `{}`, which is not a number",
                        column.name.name
                    ),
                )
                .primary(range.span, "a range bounds numbers")
                .secondary(column.ty.span, "the column's type")
                .help(
                    "a range fits an `integer` or `decimal` column; remove it, or change the type",
                ),
            );
            return;
        }
        match (&range.low, &range.high) {
            (None, None) => self.report(
                Diagnostic::error(Code::InvalidRange, "a range without bounds")
                    .primary(range.span, "neither a low nor a high bound")
                    .help("write the bounds, both included: `in 0..` (not negative), `in 0..24`"),
            ),
            (Some(low), Some(high)) if low.value > high.value => self.report(
                Diagnostic::error(
                    Code::InvalidRange,
                    format!("the range starts at {} and ends at {}", low.raw, high.raw),
                )
                .primary(range.span, "no value lies in this range")
                .help(format!(
                    "write the low bound first: `in {}..{}`",
                    high.raw, low.raw
                )),
            ),
            _ => {}
        }
    }

    /// `unique`, `one … per …`, `require` and `may be empty` of a source: the columns they
    /// name exist and fit.
    fn row_constraints(&mut self, source: &Source) {
        self.repeated("may be empty", &source.may_be_empty);
        let declared = |name: &Ident| source.columns.iter().find(|c| c.name.name == name.name);
        let rows = self.defined.get(&source.name.span).copied();
        let resolve = |checker: &mut Checker, name: &Ident| {
            let k = source.columns.iter().position(|c| c.name.name == name.name);
            if let (Some(rows), Some(k)) = (rows, k) {
                checker
                    .program
                    .resolve_field(name.span, rows, program::Field::Column(k));
            }
        };
        let mut lists: Vec<&[Ident]> = source.unique.iter().map(|u| &u.names[..]).collect();
        for one in &source.one_per {
            lists.push(&one.values);
            lists.push(&one.key);
        }
        let unknown = |checker: &mut Checker, name: &Ident| {
            let help = suggest::help_for(
                &name.name,
                source.columns.iter().map(|c| c.name.name.as_str()),
                "its columns are",
            );
            let mut d = Diagnostic::error(
                Code::UnknownColumn,
                format!("unknown column `{}`", name.name),
            )
            .primary(
                name.span,
                format!(
                    "source `{}` declares no column of this name",
                    source.name.name
                ),
            );
            if let Some(help) = help {
                d = d.help(help);
            }
            checker.report(d);
        };
        for list in lists {
            let mut seen: HashMap<&str, Span> = HashMap::new();
            for name in list {
                if declared(name).is_none() {
                    unknown(self, name);
                } else if let Some(first) = seen.get(name.name.as_str()) {
                    self.report(
                        Diagnostic::error(
                            Code::DuplicateField,
                            format!("column `{}` is named twice", name.name),
                        )
                        .primary(name.span, "named again here")
                        .secondary(*first, "first named here")
                        .help("name each column once"),
                    );
                } else {
                    seen.insert(&name.name, name.span);
                    resolve(self, name);
                }
            }
        }
        for require in &source.requires {
            let (Some(left), Some(right)) = (declared(&require.left), declared(&require.right))
            else {
                for name in [&require.left, &require.right] {
                    if declared(name).is_none() {
                        unknown(self, name);
                    }
                }
                continue;
            };
            resolve(self, &require.left);
            resolve(self, &require.right);
            let (lt, rt) = (quiet_column_type(&left.ty), quiet_column_type(&right.ty));
            let ordered = |t: &Ty| t.is_number() || matches!(t, Ty::Date | Ty::Unknown);
            let equality = matches!(require.op, BinaryOp::Eq | BinaryOp::Ne);
            let fits = (lt.is_number() && rt.is_number())
                || lt.is_unknown()
                || rt.is_unknown()
                || (lt == rt && (equality || ordered(&lt)));
            if !fits {
                self.report(
                    Diagnostic::error(
                        Code::ConstraintType,
                        format!(
                            "`{}` ({}) cannot be compared with `{}` ({}) by `{}`",
                            left.name.name,
                            left.ty.name.name,
                            right.name.name,
                            right.ty.name.name,
                            require.op.symbol()
                        ),
                    )
                    .primary(require.span, "these columns do not compare so")
                    .help("compare two numbers or two dates, or two columns of one type with `==` or `!=`"),
                );
            }
        }
    }

    /// Checks a column type and returns the type it declares.
    fn column_type(&mut self, ty: &TypeExpr) -> Ty {
        let name = ty.name.name.as_str();
        let texts: Vec<&Text> = ty
            .args
            .iter()
            .filter_map(|a| match a {
                TypeArg::Text(t) => Some(t),
                TypeArg::Name(_) => None,
            })
            .collect();
        let names: Vec<&Ident> = ty
            .args
            .iter()
            .filter_map(|a| match a {
                TypeArg::Name(n) => Some(n),
                TypeArg::Text(_) => None,
            })
            .collect();
        let no_args = |c: &mut Checker, t: Ty| {
            if !ty.args.is_empty() {
                c.report(
                    Diagnostic::error(
                        Code::UnknownType,
                        format!("the type `{name}` takes no arguments"),
                    )
                    .primary(ty.span, "remove the brackets")
                    .help(format!("write `{name}`")),
                );
            }
            t
        };
        let Ok(word) = name.parse::<ColumnTypeName>() else {
            let help = suggest::help_for_fixed(
                name,
                ColumnTypeName::NAMES.iter().copied(),
                "the column types are",
            );
            self.report(
                Diagnostic::error(Code::UnknownType, format!("unknown column type `{name}`"))
                    .primary(ty.name.span, "not a column type")
                    .maybe_help(help),
            );
            return Ty::Unknown;
        };
        match word {
            ColumnTypeName::Id => no_args(self, Ty::Id),
            ColumnTypeName::Person => no_args(self, Ty::Person),
            ColumnTypeName::Date => no_args(self, Ty::Date),
            ColumnTypeName::Integer => no_args(self, Ty::Integer),
            ColumnTypeName::Decimal => no_args(self, Ty::Decimal),
            ColumnTypeName::Bool => no_args(self, Ty::Bool),
            ColumnTypeName::Text => no_args(self, Ty::Text),
            ColumnTypeName::Municipality => no_args(self, Ty::Municipality),
            ColumnTypeName::Unit => no_args(self, Ty::Unit),
            ColumnTypeName::Period => no_args(self, Ty::Period),
            ColumnTypeName::Category => {
                if texts.is_empty() || !names.is_empty() {
                    self.report(
                        Diagnostic::error(
                            Code::UnknownType,
                            "a category needs its values in quotes",
                        )
                        .primary(ty.span, "no values listed")
                        .help("list the allowed values: `category(\"M\", \"F\")`"),
                    );
                    return Ty::Unknown;
                }
                Ty::Category(Rc::new(texts.iter().map(|t| t.value.clone()).collect()))
            }
            ColumnTypeName::Code => {
                if names.len() != 1 || !texts.is_empty() {
                    self.report(
                        Diagnostic::error(Code::UnknownType, "a code column names its code system")
                            .primary(ty.span, "expected one code system")
                            .help("write `code(icd10)` or `code(atc)`"),
                    );
                    return Ty::Unknown;
                }
                Ty::Code(names[0].name.clone())
            }
        }
    }

    fn code_list(&mut self, codes: &CodeList) {
        for entry in codes.include.iter().chain(&codes.exclude) {
            self.code_entry(entry);
        }
    }

    fn code_entry(&mut self, entry: &CodeEntry) {
        let bad = |text: &Text, why: &str, help: &str| {
            Diagnostic::error(
                Code::InvalidCode,
                format!("malformed code `{}`", text.value),
            )
            .primary(text.span, why.to_string())
            .help(help.to_string())
        };
        for text in std::iter::once(&entry.first).chain(entry.last.as_ref()) {
            let v = &text.value;
            let star = v.find('*');
            if v.trim().is_empty() {
                self.report(bad(
                    text,
                    "an empty code",
                    "write the code or prefix, such as `\"A12*\"`",
                ));
            } else if v
                .chars()
                .any(|c| !(c.is_ascii_alphanumeric() || c == '*' || c == '.'))
            {
                self.report(bad(
                    text,
                    "codes use letters, digits and `.`",
                    "remove spaces and other signs; a prefix ends in `*`",
                ));
            } else if star.is_some_and(|i| i != v.len() - 1) {
                self.report(bad(
                    text,
                    "`*` may only end a prefix",
                    "write the prefix with one `*` at the end, such as `\"B03A*\"`",
                ));
            } else if star.is_some() && entry.last.is_some() {
                self.report(bad(
                    text,
                    "a range cannot use `*`",
                    "write the first and last codes of the range without `*`",
                ));
            }
        }
        if let Some(last) = &entry.last
            && entry.first.value > last.value
        {
            self.report(
                Diagnostic::error(Code::InvalidCode, "the range ends before it starts")
                    .primary(
                        entry.span,
                        format!("`{}` comes after `{}`", entry.first.value, last.value),
                    )
                    .help("put the smaller code first"),
            );
        }
    }

    fn cohort(&mut self, cohort: &'a Cohort) {
        self.repeated(
            "persons of",
            &cohort.persons_of.iter().map(|i| i.span).collect::<Vec<_>>(),
        );
        let Some(base) = cohort.persons_of.first() else {
            self.report(
                Diagnostic::error(
                    Code::MissingClause,
                    format!("cohort `{}` names no persons", cohort.name.name),
                )
                .primary(cohort.name.span, "this cohort needs `persons of …`")
                .help("add `persons of SOURCE`, then `where` conditions"),
            );
            return;
        };
        self.edge(&cohort.name, base);
        let schema = self.row_source(base);
        if let Some(schema) = &schema
            && schema.person.is_none()
        {
            self.report(
                Diagnostic::error(
                    Code::NoPersonColumn,
                    format!("`{}` has no person column", base.name),
                )
                .primary(base.span, "a cohort is a set of persons")
                .help("declare the person's column with type `person` in the source"),
            );
        }
        let schema = self.with_lets(&cohort.name, schema, &cohort.lets);
        for filter in &cohort.filters {
            self.condition(&cohort.name, filter, &schema);
        }
    }

    fn population(&mut self, population: &'a Population) {
        self.repeated(
            "from",
            &population.from.iter().map(|i| i.span).collect::<Vec<_>>(),
        );
        self.repeated(
            "residence",
            &population
                .residence
                .iter()
                .map(|i| i.span)
                .collect::<Vec<_>>(),
        );
        let Some(base) = population.from.first() else {
            self.report(
                Diagnostic::error(
                    Code::MissingClause,
                    format!("population `{}` has no `from`", population.name.name),
                )
                .primary(
                    population.name.span,
                    "a population is drawn from a source or population",
                )
                .help("add `from SOURCE`"),
            );
            return;
        };
        self.edge(&population.name, base);
        let base_schema = self.row_source(base);
        let schema = self.with_lets(&population.name, base_schema.clone(), &population.lets);
        for filter in &population.filters {
            self.condition(&population.name, filter, &schema);
        }
        if let (Some(residence), Some(schema)) = (population.residence.first(), &schema) {
            match schema.field(&residence.name) {
                Some(Ty::Municipality | Ty::Unknown) => {
                    if let Some((_, program::Field::Let(_))) = schema.resolve(&residence.name) {
                        self.report(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!("`{}` is a `let`, not a column", residence.name),
                            )
                            .primary(residence.span, "the residence is a column of the source")
                            .help("name the source's column of type `municipality`"),
                        );
                    } else {
                        self.resolve_field(residence, schema);
                    }
                }
                Some(other) => {
                    let other = other.to_string();
                    self.report(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            format!("`{}` is not a municipality column", residence.name),
                        )
                        .primary(residence.span, format!("this is {other}"))
                        .help("the residence must be a column of type `municipality`"),
                    );
                }
                None => self.unknown_field(residence, schema),
            }
        }
    }

    fn standard(&mut self, standard: &'a Standard) {
        self.repeated(
            "from",
            &standard.from.iter().map(|i| i.span).collect::<Vec<_>>(),
        );
        let Some(base) = standard.from.first() else {
            self.report(
                Diagnostic::error(
                    Code::MissingClause,
                    format!("standard `{}` has no `from`", standard.name.name),
                )
                .primary(
                    standard.name.span,
                    "a standard population is read from a source",
                )
                .help("add `from SOURCE`, `strata COLUMN, …` and `weight COLUMN`"),
            );
            return;
        };
        self.edge(&standard.name, base);
        let schema = self.row_source(base);
        for filter in &standard.filters {
            self.condition(&standard.name, filter, &schema);
        }
        if standard.strata.is_empty() {
            self.report(
                Diagnostic::error(
                    Code::MissingClause,
                    format!("standard `{}` has no strata", standard.name.name),
                )
                .primary(
                    standard.name.span,
                    "say which columns divide the population",
                )
                .help("add `strata sex, age_band`"),
            );
        }
        if let Some(schema) = &schema {
            for stratum in standard.strata.iter().flatten() {
                if schema.field(&stratum.name).is_none() {
                    self.unknown_field(stratum, schema);
                } else {
                    self.resolve_field(stratum, schema);
                }
            }
        }
        match standard.weight.first() {
            Some(weight) => {
                let ty = self.expr_in_rows(&standard.name, weight, &schema);
                self.expect_number(weight, &ty, "a weight");
            }
            None => self.report(
                Diagnostic::error(
                    Code::MissingClause,
                    format!("standard `{}` has no weight", standard.name.name),
                )
                .primary(
                    standard.name.span,
                    "say which column holds the population count",
                )
                .help("add `weight population`"),
            ),
        }
    }

    /// Records what a field named outside an expression (a residence, a stratum) resolved to.
    fn resolve_field(&mut self, name: &Ident, schema: &Schema) {
        if let Some((rows, field)) = schema.resolve(&name.name) {
            self.program.resolve_field(name.span, rows, field);
        }
    }

    fn unknown_field(&mut self, name: &Ident, schema: &Schema) {
        let help = suggest::help_for(&name.name, schema.names(), "its columns are");
        self.report(
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
    }

    /// The row schema of a source or population named in `from`, `of` or `persons of`.
    /// `None` means "already reported or unknowable": stay quiet about its fields.
    fn row_source(&mut self, name: &Ident) -> Option<Rc<Schema>> {
        match self.definitions.get(name.name.as_str()) {
            Some(Definition::Source(_) | Definition::Population(_)) => self.schema_of(&name.name),
            _ => {
                self.unknown(name, Code::UnknownPopulation, "population or source", |d| {
                    matches!(d, Definition::Source(_) | Definition::Population(_))
                });
                None
            }
        }
    }

    /// The schema of a source or population by name, computed once. Cycles resolve to `None`;
    /// the cycle itself is reported by the cycle check.
    fn schema_of(&self, name: &str) -> Option<Rc<Schema>> {
        if let Some(known) = self.schemas.borrow().get(name) {
            return known.clone();
        }
        if !self.resolving.borrow_mut().insert(name.to_string()) {
            return None;
        }
        let schema = match self.definitions.get(name) {
            Some(Definition::Source(source)) => {
                let mut fields = Vec::new();
                let mut person = None;
                for column in &source.columns {
                    let ty = quiet_column_type(&column.ty);
                    if ty == Ty::Person && person.is_none() {
                        person = Some(column.name.name.clone());
                    }
                    fields.push((column.name.name.clone(), ty));
                }
                Some(Rc::new(Schema {
                    origin: format!("source `{name}`"),
                    columns: fields.len(),
                    fields,
                    person,
                    aggregate: source.aggregate,
                    rows: self.program.definition(name),
                }))
            }
            Some(Definition::Population(population)) => population.from.first().and_then(|base| {
                let base = self.schema_of(&base.name)?;
                let mut fields = base.fields.clone();
                let rows = self.program.definition(name);
                let scope_schema = Rc::new(Schema {
                    origin: format!("population `{name}`"),
                    fields: fields.clone(),
                    person: base.person.clone(),
                    aggregate: base.aggregate,
                    rows,
                    columns: base.columns,
                });
                let mut scope_schema = scope_schema;
                for l in &population.lets {
                    let ty = expr::infer_quietly(self, &l.value, &scope_schema);
                    fields.push((l.name.name.clone(), ty));
                    scope_schema = Rc::new(Schema {
                        origin: scope_schema.origin.clone(),
                        fields: fields.clone(),
                        person: base.person.clone(),
                        aggregate: base.aggregate,
                        rows,
                        columns: base.columns,
                    });
                }
                Some(scope_schema)
            }),
            _ => None,
        };
        self.resolving.borrow_mut().remove(name);
        self.schemas
            .borrow_mut()
            .insert(name.to_string(), schema.clone());
        schema
    }

    /// Adds a definition's `let` fields to a schema, checking each. The rows become the
    /// owner's (a population or cohort): its conditions and lets read its own fields.
    fn with_lets(
        &mut self,
        owner: &Ident,
        schema: Option<Rc<Schema>>,
        lets: &[Let],
    ) -> Option<Rc<Schema>> {
        let base = schema?;
        let mut schema = Rc::new(Schema {
            origin: base.origin.clone(),
            fields: base.fields.clone(),
            person: base.person.clone(),
            aggregate: base.aggregate,
            rows: self.defined.get(&owner.span).copied(),
            columns: base.columns,
        });
        for l in lets {
            let ty = self.expr_in_rows(owner, &l.value, &Some(schema.clone()));
            if schema.field(&l.name.name).is_some() {
                self.report(
                    Diagnostic::error(
                        Code::DuplicateField,
                        format!("`{}` already exists", l.name.name),
                    )
                    .primary(
                        l.name.span,
                        format!("{} already has a field of this name", schema.origin),
                    )
                    .help("choose another name for the `let`"),
                );
                continue;
            }
            let mut fields = schema.fields.clone();
            fields.push((l.name.name.clone(), ty));
            schema = Rc::new(Schema {
                origin: schema.origin.clone(),
                fields,
                person: schema.person.clone(),
                aggregate: schema.aggregate,
                rows: schema.rows,
                columns: schema.columns,
            });
        }
        Some(schema)
    }

    /// Checks a `where` condition over rows.
    fn condition(&mut self, owner: &Ident, e: &Expr, schema: &Option<Rc<Schema>>) {
        let ty = self.expr_in_rows(owner, e, schema);
        self.expect_bool(e, &ty, "a `where` condition");
    }

    fn expect_bool(&mut self, e: &Expr, ty: &Ty, what: &str) {
        if !matches!(ty, Ty::Bool | Ty::Unknown) {
            self.report(
                Diagnostic::error(Code::NotBoolean, format!("{what} must be true or false"))
                    .primary(e.span, format!("this is {ty}"))
                    .help("compare it with something, such as `age >= 65`"),
            );
        }
    }

    fn expect_number(&mut self, e: &Expr, ty: &Ty, what: &str) {
        if !ty.is_number() {
            self.report(
                Diagnostic::error(Code::TypeMismatch, format!("{what} must be a number"))
                    .primary(e.span, format!("this is {ty}")),
            );
        }
    }

    /// Types an expression in a scope, keeping its diagnostics and recording the definitions
    /// it refers to as dependencies of `owner`.
    fn infer(&mut self, owner: &Ident, e: &Expr, scope: &expr::Scope) -> Ty {
        let mut sink = expr::Sink::default();
        let ty = expr::infer(self, e, scope, &mut sink);
        self.diagnostics.extend(sink.diagnostics);
        for (name, rows, field) in sink.fields {
            self.program.resolve_field(name, rows, field);
        }
        for reference in sink.references {
            self.edge(owner, &reference);
        }
        ty
    }

    fn expr_in_rows(&mut self, owner: &Ident, e: &Expr, schema: &Option<Rc<Schema>>) -> Ty {
        let scope = match schema {
            Some(schema) => expr::Scope::Rows {
                owner: owner.name.clone(),
                schema: schema.clone(),
                aliases: Vec::new(),
            },
            // The rows are unknown (already reported); still check what does not depend on
            // them, such as code lists and dates.
            None => expr::Scope::Opaque {
                owner: owner.name.clone(),
            },
        };
        self.infer(owner, e, &scope)
    }
}

/// The type a column declares as the planner and loader know it; `None` when it is not a type
/// (reported by the source's own check).
pub(crate) fn column_type(ty: &TypeExpr) -> Option<ColumnType> {
    Some(match quiet_column_type(ty) {
        Ty::Id => ColumnType::Id,
        Ty::Person => ColumnType::Person,
        Ty::Date => ColumnType::Date,
        Ty::Integer => ColumnType::Integer,
        Ty::Decimal => ColumnType::Decimal,
        Ty::Bool => ColumnType::Bool,
        Ty::Text => ColumnType::Text,
        Ty::Category(values) => ColumnType::Category(values.as_ref().clone()),
        Ty::Code(_) => ColumnType::Code,
        Ty::Municipality => ColumnType::Municipality,
        Ty::Unit => ColumnType::Unit,
        Ty::Period => ColumnType::Period,
        Ty::Duration | Ty::List(_) | Ty::Unknown => return None,
    })
}

/// The type a column declares, without reporting (reports come from the source's own check).
fn quiet_column_type(ty: &TypeExpr) -> Ty {
    let mut texts = Vec::new();
    let mut names = Vec::new();
    for a in &ty.args {
        match a {
            TypeArg::Text(t) => texts.push(t.value.clone()),
            TypeArg::Name(n) => names.push(n.name.clone()),
        }
    }
    let Ok(word) = ty.name.name.parse::<ColumnTypeName>() else {
        return Ty::Unknown;
    };
    match word {
        ColumnTypeName::Id => Ty::Id,
        ColumnTypeName::Person => Ty::Person,
        ColumnTypeName::Date => Ty::Date,
        ColumnTypeName::Integer => Ty::Integer,
        ColumnTypeName::Decimal => Ty::Decimal,
        ColumnTypeName::Bool => Ty::Bool,
        ColumnTypeName::Text => Ty::Text,
        ColumnTypeName::Municipality => Ty::Municipality,
        ColumnTypeName::Unit => Ty::Unit,
        ColumnTypeName::Period => Ty::Period,
        ColumnTypeName::Category if !texts.is_empty() => Ty::Category(Rc::new(texts)),
        ColumnTypeName::Code if names.len() == 1 => Ty::Code(names.remove(0)),
        ColumnTypeName::Category | ColumnTypeName::Code => Ty::Unknown,
    }
}
