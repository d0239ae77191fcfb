//! The plan compiled to SQL (`indikator sql`): a second backend below the same plan.
//!
//! Every cell the statistics read from the native evaluator (`eval::measure::Cells`: per
//! aggregation, period, municipality slot and key the sums of an `Acc`, the persons of a
//! `count persons`, the values of a mean or median) is computed by one SQL query with one named
//! CTE per source, population and cohort (per period) and per aggregation. Each expression is
//! written so that SQL's NULL behaves as the native engine's missing value does, operator by
//! operator (`docs/sql.md`). What cannot be written with the same results is refused, with
//! the rule and the reason, never compiled to a different figure.

mod expr;

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::plan::{
    Aggregate, Aggregation, AggregationId, CohortId, ColumnType, Expr, MeasureKind, Period, Plan,
    PopulationId, RowSet, SourceId, civil_from_days, days_from_civil,
};

use expr::{Row, Scope, Ty};

/// The SQL dialects `indikator sql` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
}

/// One aggregation of one indicator in one period, divided by `keys`: what
/// `eval::rows::Engine::cells` computes natively for the same arguments.
#[derive(Debug, Clone)]
pub struct CellRequest {
    /// Numbered from 0 in the order of the plan's indicators; the `request` column of the
    /// result.
    pub id: usize,
    /// The indicator and the part: `copd_readmissions: numerator`.
    pub rule: String,
    pub aggregation: Aggregation,
    pub period: Period,
    pub keys: Vec<Expr>,
    /// The value averaged (means and medians): the cells are then (slot, value, weight) rows.
    pub values: Option<Expr>,
}

/// What the SQL computes for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellShape {
    /// Sums per slot and key: `n`, `weighted`, `weight_squares`, `amount_squares`.
    Sums,
    /// Distinct persons per slot and key, in `n` (and the other sums, each person adding 1).
    Persons,
    /// Rows per slot, value and weight, in `n`, `value` and `weight`.
    Values,
}

impl CellRequest {
    pub fn shape(&self) -> CellShape {
        if self.values.is_some() {
            CellShape::Values
        } else if matches!(
            self.aggregation.function,
            Aggregate::Count { persons: true }
        ) {
            CellShape::Persons
        } else {
            CellShape::Sums
        }
    }
}

/// A part of the plan left out of the SQL, with the rule it belongs to and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rule: String,
    pub reason: String,
}

/// The SQL text, the requests it answers and those it refused.
#[derive(Debug)]
pub struct Compiled {
    pub sql: String,
    pub requests: Vec<CellRequest>,
    pub refused: Vec<Refusal>,
}

/// The key expressions and the value expression of a cell request.
type KeysAndValues = (Vec<Expr>, Option<Expr>);

/// Every cell request of the plan's indicators, deduplicated as the native engine caches
/// cells (by period and content), in the order of the indicators. Parts that are not
/// aggregated (reported figures, derived formulas) are listed as refusals.
pub fn requests(plan: &Plan) -> (Vec<CellRequest>, Vec<Refusal>) {
    let mut out: Vec<CellRequest> = Vec::new();
    // Keyed as the native engine keys its cells: the period, the aggregation's id (equal
    // aggregations share one) and the key and value expressions.
    let mut seen: HashMap<(Period, AggregationId), Vec<KeysAndValues>> = HashMap::new();
    let mut refused = Vec::new();
    let mut add = |rule: String, a: &Aggregation, period: Period, keys: Vec<Expr>, values| {
        let known = seen.entry((period, a.id)).or_default();
        if known.iter().any(|(k, v)| *k == keys && *v == values) {
            return;
        }
        known.push((keys.clone(), values.clone()));
        out.push(CellRequest {
            id: out.len(),
            rule,
            aggregation: a.clone(),
            period,
            keys,
            values,
        });
    };
    for ind in &plan.indicators {
        let mut periods: Vec<Period> = Vec::new();
        for level in &ind.levels {
            for p in std::iter::once(level.period).chain(level.compare) {
                if !periods.contains(&p) {
                    periods.push(p);
                }
            }
        }
        let name = |part: &str| format!("{}: {part}", ind.name);
        for level in &ind.levels {
            for period in std::iter::once(level.period).chain(level.compare) {
                match ind.kind {
                    MeasureKind::Proportion
                    | MeasureKind::Rate { .. }
                    | MeasureKind::Ratio
                    | MeasureKind::Count
                    | MeasureKind::Sum => {
                        let std = level.standardisation.as_ref();
                        if let Some(num) = &ind.numerator {
                            let keys = std.map(|s| s.numerator_strata.clone()).unwrap_or_default();
                            add(name("numerator"), num, period, keys, None);
                        }
                        if let (Some(_), Some(den)) = (&ind.numerator, &ind.denominator) {
                            let keys = std
                                .map(|s| s.denominator_strata.clone())
                                .unwrap_or_default();
                            add(name("denominator"), den, period, keys, None);
                        }
                    }
                    MeasureKind::Mean | MeasureKind::Median => {
                        if let Some((value, agg)) = &ind.value_over {
                            add(name("values"), agg, period, Vec::new(), Some(value.clone()));
                        }
                    }
                    MeasureKind::LifeExpectancy { .. } => {
                        if let (Some(deaths), Some(exposure)) = (&ind.numerator, &ind.denominator)
                            && let (Some(Expr::Band { .. }), Some(exposure_ages)) =
                                (&deaths.ages, &exposure.ages)
                        {
                            let death_ages = deaths.ages.clone().unwrap_or(exposure_ages.clone());
                            add(name("deaths"), deaths, period, vec![death_ages], None);
                            let keys = vec![exposure_ages.clone()];
                            add(name("exposure"), exposure, period, keys, None);
                        }
                    }
                    MeasureKind::Reported | MeasureKind::Derived | MeasureKind::NoFigures => {}
                }
                for t in &ind.tallies {
                    let keys: Vec<Expr> = t.by.iter().map(|(_, e)| e.clone()).collect();
                    add(
                        name(&format!("tally {}", t.name)),
                        &t.aggregation,
                        period,
                        keys,
                        None,
                    );
                }
            }
        }
        if ind.kind == MeasureKind::Reported {
            refused.push(Refusal {
                rule: ind.name.clone(),
                reason: "a reported figure is read per unit as published, not aggregated from \
                         rows; not in this backend yet"
                    .to_string(),
            });
        }
        let _ = periods;
    }
    (out, refused)
}

/// Compiles every cell request of the plan to one SQL script reading the extracts from
/// `data_dir` (as written into the SQL: relative paths are relative to where the SQL runs).
pub fn compile(plan: &Plan, data_dir: &str, dialect: Dialect) -> Compiled {
    let Dialect::DuckDb = dialect;
    let (all, mut refused) = requests(plan);
    let mut c = Compiler {
        plan,
        data_dir: data_dir.trim_end_matches('/').to_string(),
        ctes: Vec::new(),
        done: HashMap::new(),
    };
    let mut parts = Vec::new();
    let mut requests = Vec::new();
    for r in all {
        match c.request(&r) {
            Ok(part) => {
                parts.push(part);
                requests.push(r);
            }
            Err(reason) => refused.push(Refusal {
                rule: r.rule.clone(),
                reason: format!(
                    "{} ({}): {reason}",
                    r.period,
                    describe_rows(plan, r.aggregation.rows)
                ),
            }),
        }
    }
    let mut sql = String::new();
    sql.push_str(&header(plan));
    sql.push_str(&macros(plan));
    if parts.is_empty() {
        sql.push_str(
            "SELECT NULL::INTEGER AS request, NULL::VARCHAR AS period, NULL::INTEGER AS \
             municipality, NULL::VARCHAR[] AS key, NULL::DOUBLE AS n, NULL::DOUBLE AS weighted, \
             NULL::DOUBLE AS weight_squares, NULL::DOUBLE AS amount_squares, NULL::DOUBLE AS \
             value, NULL::DOUBLE AS weight\nWHERE false;\n",
        );
    } else {
        // Materialised: a source, population or cohort is read by several aggregations and
        // is computed once rather than once per reader.
        sql.push_str("WITH\n");
        let n = c.ctes.len();
        for (k, (name, comment, body)) in c.ctes.iter().enumerate() {
            let _ = writeln!(sql, "-- {comment}");
            let _ = write!(sql, "{name} AS MATERIALIZED (\n{}\n)", indent(body));
            sql.push_str(if k + 1 < n { ",\n" } else { "\n" });
        }
        sql.push_str(&parts.join("\nUNION ALL\n"));
        sql.push_str("\nORDER BY request, municipality NULLS FIRST, key, value, weight;\n");
    }
    Compiled {
        sql,
        requests,
        refused,
    }
}

/// The refusals as `indikator sql` prints them on stderr: one diagnostic each.
pub fn render_refusals(refused: &[Refusal]) -> String {
    let mut out = String::new();
    for r in refused {
        let _ = writeln!(
            out,
            "refused: {}\n  = reason: {}\n  = help: the SQL leaves these cells out; the native engine \
             (`indikator run`) computes them",
            r.rule, r.reason
        );
    }
    if !refused.is_empty() {
        let _ = writeln!(out, "{} part(s) refused", refused.len());
    }
    out
}

fn describe_rows(plan: &Plan, rows: RowSet) -> String {
    match rows {
        RowSet::Source(s) => format!("source {}", plan.sources[s].name),
        RowSet::Population(p) => format!("population {}", plan.populations[p].name),
    }
}

fn header(plan: &Plan) -> String {
    let _ = plan;
    "-- indikator: the cells of every aggregation, per period, municipality and key.\n\
     -- Columns: request (the aggregation, numbered as `indikator sql` lists them), period,\n\
     -- municipality (NULL: a row without one, counted for the country only), key (stratum,\n\
     -- age band or tally group), n / weighted / weight_squares / amount_squares (the sums of\n\
     -- the native engine's Acc), value and weight (a mean's or median's rows, n of each).\n"
        .to_string()
}

/// Helper macros: the native engine's decimal `+ - ×`, a date moved by a duration, and one
/// macro per code list.
fn macros(plan: &Plan) -> String {
    let mut s = String::new();
    s.push_str(
        "-- `+`, `-` and `*` of numbers as decimals: the binary result rounded to the most\n\
         -- places (at most 9) at which the operands stay below 2^49 units (src/eval/number.rs).\n",
    );
    s.push_str("CREATE OR REPLACE TEMP MACRO ind_decimal(r, operand) AS\n  CASE\n    WHEN r IS NULL OR isinf(r) OR isnan(r) OR r = trunc(r) THEN r\n");
    for places in (0..=9).rev() {
        let _ = writeln!(
            s,
            "    WHEN greatest(operand, abs(r)) * 1e{places} < 562949953421312e0 THEN round(r * 1e{places}) / 1e{places}"
        );
    }
    s.push_str("    ELSE r\n  END;\n");
    s.push_str(
        "CREATE OR REPLACE TEMP MACRO ind_add(a, b) AS ind_decimal(a + b, greatest(abs(a), abs(b)));\n\
         CREATE OR REPLACE TEMP MACRO ind_sub(a, b) AS ind_decimal(a - b, greatest(abs(a), abs(b)));\n\
         CREATE OR REPLACE TEMP MACRO ind_mul(a, b) AS ind_decimal(a * b, abs(a * b));\n",
    );
    let first = days_from_civil(0, 1, 1);
    let last = days_from_civil(9999, 12, 31);
    let _ = writeln!(
        s,
        "-- A date moved by a duration (rounded to whole days, half away from zero); missing\n\
         -- outside 0000-01-01..9999-12-31.\n\
         CREATE OR REPLACE TEMP MACRO ind_day(d) AS date_diff('day', DATE '1970-01-01', d);\n\
         CREATE OR REPLACE TEMP MACRO ind_shift(d, n) AS\n  \
           CASE WHEN abs(round(n)) <= {span} AND ind_day(d) + round(n) BETWEEN {first} AND {last}\n  \
           THEN d + TRY_CAST(round(n) AS INTEGER) END;",
        span = last - first,
    );
    let _ = writeln!(
        s,
        "-- A field as the loader reads it: ASCII blanks trimmed, empty is missing.\n\
         CREATE OR REPLACE TEMP MACRO ind_field(v) AS\n  \
           nullif(trim(v, chr(32) || chr(9) || chr(10) || chr(12) || chr(13)), '');"
    );
    for list in &plan.code_lists {
        let _ = writeln!(
            s,
            "-- code list {}\nCREATE OR REPLACE TEMP MACRO {}(v) AS\n  {};",
            list.name,
            codes_macro(&list.name),
            expr::code_list_condition(list, "v")
        );
    }
    s
}

pub(crate) fn codes_macro(name: &str) -> String {
    format!("ind_codes_{}", ident_part(name))
}

/// A name usable inside an identifier: letters, digits and `_`.
pub(crate) fn ident_part(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub(crate) fn quote_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub(crate) fn date_literal(day: i32) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("DATE '{y:04}-{m:02}-{d:02}'")
}

fn period_part(p: Period) -> String {
    ident_part(&p.to_string())
}

fn indent(body: &str) -> String {
    body.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn column_ty(t: &ColumnType) -> Ty {
    match t {
        ColumnType::Id
        | ColumnType::Text
        | ColumnType::Category(_)
        | ColumnType::Code
        | ColumnType::Period => Ty::Text,
        ColumnType::Person => Ty::Person,
        ColumnType::Date => Ty::Date,
        ColumnType::Integer | ColumnType::Decimal => Ty::Num,
        ColumnType::Bool => Ty::Bool,
        ColumnType::Municipality | ColumnType::Unit => Ty::Unit,
    }
}

/// Whether an expression reads a let of the current row numbered `from` or higher.
fn reads_lets_from(e: &Expr, from: usize) -> bool {
    let any = |es: &mut dyn Iterator<Item = &Expr>| {
        for x in es {
            if reads_lets_from(x, from) {
                return true;
            }
        }
        false
    };
    match e {
        Expr::Field(crate::plan::Field::Let(k)) => *k >= from,
        Expr::Not(x) | Expr::Neg(x) => reads_lets_from(x, from),
        Expr::Binary(_, a, b) => reads_lets_from(a, from) || reads_lets_from(b, from),
        Expr::InList { value, items, .. } => reads_lets_from(value, from) || any(&mut items.iter()),
        Expr::InCodes { value, .. }
        | Expr::InCohort { value, .. }
        | Expr::InPeriod { value, .. }
        | Expr::IsMissing { value, .. }
        | Expr::Band { value, .. } => reads_lets_from(value, from),
        Expr::Within { value, anchor, .. } => {
            reads_lets_from(value, from) || reads_lets_from(anchor, from)
        }
        // A relation's conditions read the current row through plain names.
        Expr::Related(r) => any(&mut r.filter.iter().chain(r.projection.iter())),
        Expr::Call(_, args) => any(&mut args.iter()),
        Expr::Missing
        | Expr::Bool(_)
        | Expr::Number(_)
        | Expr::Date(_)
        | Expr::Text(_)
        | Expr::Duration { .. }
        | Expr::Field(crate::plan::Field::Column(_))
        | Expr::Bound { .. }
        | Expr::PeriodStart
        | Expr::PeriodEnd => false,
    }
}

/// The name of a let's column in a population's or cohort's CTE: numbered, so a let never
/// meets a column or another let of the same name.
pub(crate) fn let_column(k: usize, name: &str) -> String {
    quote_ident(&format!("let{k}_{}", ident_part(name)))
}

/// A compiled CTE: its name and the lets its rows carry (column, kind).
type NodeCte = (String, Vec<(String, Ty)>);

/// Key of a compiled CTE: a source, or a population or cohort in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Source(SourceId),
    Population(PopulationId, Period),
    Cohort(CohortId, Period),
}

pub(crate) struct Compiler<'p> {
    plan: &'p Plan,
    data_dir: String,
    /// (name, comment, body) in dependency order.
    ctes: Vec<(String, String, String)>,
    /// Each node compiled once: its CTE name and its lets' columns and types, or why not.
    done: HashMap<Node, Result<NodeCte, String>>,
}

impl<'p> Compiler<'p> {
    fn source(&mut self, s: SourceId) -> Result<String, String> {
        let node = Node::Source(s);
        if let Some(done) = self.done.get(&node) {
            return done.clone().map(|(n, _)| n);
        }
        let src = &self.plan.sources[s];
        let name = format!("src_{}", ident_part(&src.name));
        let path = format!("{}/{}", self.data_dir, src.file);
        let mut cols = Vec::new();
        for (k, (col, ty)) in src.columns.iter().enumerate() {
            // The columns the rules read, the person and the municipality: as the loader,
            // which reads only those.
            if !(src.used[k] || src.person == Some(k) || *ty == ColumnType::Municipality) {
                continue;
            }
            let q = quote_ident(col);
            let field = format!("ind_field({q})");
            let typed = match ty {
                ColumnType::Integer | ColumnType::Decimal => format!("CAST({field} AS DOUBLE)"),
                ColumnType::Date => format!("CAST({field} AS DATE)"),
                ColumnType::Bool => format!("CAST({field} AS BOOLEAN)"),
                ColumnType::Municipality | ColumnType::Unit => {
                    format!("CAST({field} AS INTEGER)")
                }
                _ => field,
            };
            cols.push(format!("{typed} AS {q}"));
        }
        if cols.is_empty() {
            cols.push("1 AS row_of_extract".to_string());
        }
        let body = format!(
            "SELECT\n  {}\nFROM read_csv({}, header = true, delim = ',', quote = '\"', escape = '\"', all_varchar = true)",
            cols.join(",\n  "),
            quote_text(&path)
        );
        self.ctes.push((
            name.clone(),
            format!("source {} ({})", src.name, src.file),
            body,
        ));
        self.done.insert(node, Ok((name.clone(), Vec::new())));
        Ok(name)
    }

    /// The CTE of a row set in a period, with the lets its rows carry.
    pub(crate) fn rows(&mut self, rows: RowSet, period: Period) -> Result<(String, Row), String> {
        match rows {
            RowSet::Source(s) => {
                let name = self.source(s)?;
                Ok((
                    name,
                    Row {
                        alias: String::new(),
                        root: s,
                        lets: Vec::new(),
                    },
                ))
            }
            RowSet::Population(p) => {
                let (name, lets) = self.population(p, period)?;
                Ok((
                    name,
                    Row {
                        alias: String::new(),
                        root: self.plan.populations[p].root,
                        lets,
                    },
                ))
            }
        }
    }

    fn population(&mut self, id: PopulationId, period: Period) -> Result<NodeCte, String> {
        let node = Node::Population(id, period);
        if let Some(done) = self.done.get(&node) {
            return done.clone();
        }
        let result = self.build_population(id, period);
        self.done.insert(node, result.clone());
        result
    }

    fn build_population(&mut self, id: PopulationId, period: Period) -> Result<NodeCte, String> {
        let pop = &self.plan.populations[id];
        let (from, mut lets) = match pop.base {
            Some(base) => self.population(base, period).map_err(|e| {
                format!("base population {}: {e}", self.plan.populations[base].name)
            })?,
            None => (self.source(pop.root)?, Vec::new()),
        };
        // Conditions that read none of the population's own lets are applied to the base rows
        // first (as the native engine does), the others once the lets are computed: the same
        // rows either way, as expressions have no side effects.
        let (early, late): (Vec<&Expr>, Vec<&Expr>) = pop
            .filters
            .iter()
            .partition(|f| !reads_lets_from(f, pop.own_lets_from));
        let row = |lets: &[(String, Ty)]| Row {
            alias: "r".to_string(),
            root: pop.root,
            lets: lets.to_vec(),
        };
        let conditions = |c: &mut Compiler<'_>, filters: &[&Expr], lets: &[(String, Ty)]| {
            let mut out = Vec::new();
            for f in filters {
                let compiled = c
                    .expr(f, &mut Scope::new(row(lets), period))
                    .map_err(|e| format!("population {}: condition: {e}", pop.name))?;
                out.push(compiled.truthy());
            }
            Ok::<_, String>(out)
        };
        let first = conditions(self, &early, &lets)?;
        let mut body = if first.is_empty() {
            format!("SELECT * FROM {from}")
        } else {
            format!(
                "SELECT r.*\nFROM {from} r\nWHERE {}",
                first.join("\n  AND ")
            )
        };
        for (k, (let_name, e)) in pop.lets.iter().enumerate().skip(pop.own_lets_from) {
            let compiled = self
                .expr(e, &mut Scope::new(row(&lets), period))
                .map_err(|e| format!("population {}: let {let_name}: {e}", pop.name))?;
            let column = let_column(k, let_name);
            body = format!(
                "SELECT r.*, {} AS {column}\nFROM (\n{}\n) r",
                compiled.sql,
                indent(&body)
            );
            lets.push((column, compiled.ty));
        }
        let rest = conditions(self, &late, &lets)?;
        if !rest.is_empty() {
            body = format!(
                "SELECT r.*\nFROM (\n{}\n) r\nWHERE {}",
                indent(&body),
                rest.join("\n  AND ")
            );
        }
        let name = format!("pop_{}_{}", ident_part(&pop.name), period_part(period));
        self.ctes.push((
            name.clone(),
            format!("population {} in {period}", pop.name),
            body,
        ));
        Ok((name, lets))
    }

    /// The CTE of a cohort's members (a `person` column, no missing person) in a period.
    pub(crate) fn cohort(&mut self, id: CohortId, period: Period) -> Result<String, String> {
        let node = Node::Cohort(id, period);
        if let Some(done) = self.done.get(&node) {
            return done.clone().map(|(n, _)| n);
        }
        let result = self.build_cohort(id, period);
        self.done
            .insert(node, result.clone().map(|n| (n, Vec::new())));
        result
    }

    fn build_cohort(&mut self, id: CohortId, period: Period) -> Result<String, String> {
        let cohort = &self.plan.cohorts[id];
        let Some(person) = self.plan.sources[cohort.root].person else {
            return Err(format!(
                "cohort {}: its rows have no person column",
                cohort.name
            ));
        };
        let (from, mut row) = self
            .rows(cohort.rows, period)
            .map_err(|e| format!("cohort {}: {e}", cohort.name))?;
        row.alias = "r".to_string();
        let mut body = format!("SELECT * FROM {from}");
        let base_lets = row.lets.len();
        for (j, e) in cohort.lets.iter().enumerate() {
            let compiled = self
                .expr(e, &mut Scope::new(row.clone(), period))
                .map_err(|e| format!("cohort {}: let: {e}", cohort.name))?;
            let column = let_column(base_lets + j, "cohort");
            body = format!(
                "SELECT r.*, {} AS {column}\nFROM (\n{}\n) r",
                compiled.sql,
                indent(&body)
            );
            row.lets.push((column, compiled.ty));
        }
        let mut conditions = vec![format!(
            "r.{} IS NOT NULL",
            quote_ident(&self.plan.sources[cohort.root].columns[person].0)
        )];
        for f in &cohort.filters {
            let compiled = self
                .expr(f, &mut Scope::new(row.clone(), period))
                .map_err(|e| format!("cohort {}: condition: {e}", cohort.name))?;
            conditions.push(compiled.truthy());
        }
        let body = format!(
            "SELECT DISTINCT r.{} AS person\nFROM (\n{}\n) r\nWHERE {}",
            quote_ident(&self.plan.sources[cohort.root].columns[person].0),
            indent(&body),
            conditions.join("\n  AND ")
        );
        let name = format!(
            "cohort_{}_{}",
            ident_part(&cohort.name),
            period_part(period)
        );
        self.ctes.push((
            name.clone(),
            format!("cohort {} in {period}", cohort.name),
            body,
        ));
        Ok(name)
    }

    /// One request: its CTE of contributing rows and its part of the final SELECT.
    fn request(&mut self, r: &CellRequest) -> Result<String, String> {
        let a = &r.aggregation;
        let period = r.period;
        let (from, mut row) = self.rows(a.rows, period)?;
        row.alias = "r".to_string();
        let root = &self.plan.sources[row.root];
        let residence = match a.rows {
            RowSet::Population(p) => self.plan.populations[p].residence,
            RowSet::Source(_) => {
                let cols: Vec<usize> = root
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, t))| *t == ColumnType::Municipality)
                    .map(|(i, _)| i)
                    .collect();
                (cols.len() == 1).then(|| cols[0])
            }
        };
        let slot = match residence {
            Some(c) => format!("r.{}", quote_ident(&root.columns[c].0)),
            None => "NULL::INTEGER".to_string(),
        };
        let person = root
            .person
            .map(|c| format!("r.{}", quote_ident(&root.columns[c].0)));
        let scope = || Scope::new(row.clone(), period);
        let filter = match &a.filter {
            Some(f) => Some(self.expr(f, &mut scope())?.truthy()),
            None => None,
        };
        let mut keys = Vec::new();
        for k in &r.keys {
            let c = self.expr(k, &mut scope())?;
            if c.ty != Ty::Text {
                return Err(format!(
                    "a key (stratum, age band or group) of type {} rather than a text",
                    c.ty
                ));
            }
            keys.push(c.sql);
        }
        let weight = match &a.weight {
            Some(w) => {
                let c = self.expr(w, &mut scope())?;
                if c.ty != Ty::Num {
                    return Err(format!("a weight of type {}", c.ty));
                }
                Some(c.sql)
            }
            None => None,
        };
        let measured = match (&a.function, &r.values) {
            (_, Some(v)) => Some(v),
            (Aggregate::Sum(e), None) => Some(e),
            (Aggregate::Count { .. }, None) => None,
        };
        let amount = match measured {
            Some(m) => {
                let c = self.expr(m, &mut scope())?;
                if !matches!(c.ty, Ty::Num | Ty::Duration) {
                    return Err(format!("a summed or averaged value of type {}", c.ty));
                }
                Some(c.sql)
            }
            None => None,
        };
        let shape = r.shape();
        let mut select = vec![format!("{slot} AS municipality")];
        select.push(if keys.is_empty() {
            "[]::VARCHAR[] AS key".to_string()
        } else {
            format!("[{}]::VARCHAR[] AS key", keys.join(", "))
        });
        select.push(format!(
            "{} AS weight",
            weight.clone().unwrap_or_else(|| "1e0".to_string())
        ));
        select.push(format!(
            "{} AS amount",
            amount.clone().unwrap_or_else(|| "1e0".to_string())
        ));
        if shape == CellShape::Persons {
            select.push(format!(
                "{} AS person",
                person
                    .clone()
                    .unwrap_or_else(|| "NULL::VARCHAR".to_string())
            ));
        }
        // A row is placed only with every key part a text, a weight that is a number of at
        // least 0 and an amount that is a number (eval::measure::Tally::add).
        let mut placed = Vec::new();
        for k in 0..keys.len() {
            placed.push(format!("key[{}] IS NOT NULL", k + 1));
        }
        if weight.is_some() {
            placed.push("weight >= 0".to_string());
        }
        if amount.is_some() {
            placed.push("amount IS NOT NULL".to_string());
        }
        if shape == CellShape::Persons {
            placed.push("person IS NOT NULL".to_string());
        }
        let mut body = format!("SELECT\n  {}\nFROM {from} r", select.join(",\n  "));
        if let Some(f) = filter {
            let _ = write!(body, "\nWHERE {f}");
        }
        let mut outer = format!("SELECT *\nFROM (\n{}\n) c", indent(&body));
        if !placed.is_empty() {
            let _ = write!(outer, "\nWHERE {}", placed.join(" AND "));
        }
        let name = format!("agg_{}", r.id);
        self.ctes.push((
            name.clone(),
            format!(
                "{} in {period} ({})",
                r.rule,
                describe_rows(self.plan, a.rows)
            ),
            outer,
        ));
        let head = format!(
            "-- {}: {} in {period}\nSELECT {} AS request, {} AS period, municipality, key",
            r.id,
            r.rule,
            r.id,
            quote_text(&period.to_string())
        );
        Ok(match shape {
            CellShape::Sums => format!(
                "{head},\n  sum(amount) AS n, sum(amount * weight) AS weighted,\n  \
                 sum(weight * weight) AS weight_squares,\n  \
                 sum((amount * weight) * (amount * weight)) AS amount_squares,\n  \
                 NULL::DOUBLE AS value, NULL::DOUBLE AS weight\n\
                 FROM {name}\nGROUP BY municipality, key"
            ),
            CellShape::Persons => format!(
                "{head},\n  count(DISTINCT person)::DOUBLE AS n, count(DISTINCT person)::DOUBLE AS weighted,\n  \
                 count(DISTINCT person)::DOUBLE AS weight_squares,\n  \
                 count(DISTINCT person)::DOUBLE AS amount_squares,\n  \
                 NULL::DOUBLE AS value, NULL::DOUBLE AS weight\n\
                 FROM {name}\nGROUP BY municipality, key"
            ),
            CellShape::Values => format!(
                "{head},\n  count(*)::DOUBLE AS n, NULL::DOUBLE AS weighted, NULL::DOUBLE AS weight_squares,\n  \
                 NULL::DOUBLE AS amount_squares, amount AS value, weight\n\
                 FROM {name}\nGROUP BY municipality, key, amount, weight"
            ),
        })
    }
}
