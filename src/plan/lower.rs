//! Checked program → plan: takes the ids and resolutions the checker recorded, and compiles
//! expressions. Names of definitions are never looked up here: each is the program's
//! [`Resolution`] of that name, and each field name (a column or a `let`) is what the checker
//! resolved it to over the rows the expression reads (its frame).

use std::collections::HashMap;

use super::error::PlanError;
use super::ir::{self, *};
use crate::check::expr::band_labels;
use crate::check::program::{DefinitionAt, Field as Resolved, Program, Resolution};
use crate::syntax::ast::{
    self, ClauseKind, Definition, DurationUnit, ExprKind, InTarget, RuleFile,
};
use crate::words::{MeasureName, UnknownWord};

type Result<T> = std::result::Result<T, PlanError>;

/// One row in reach of an expression: the current row, or one bound by a relation.
#[derive(Clone)]
struct Frame {
    alias: Option<String>,
    /// Whose rows these are, as the checker resolved field names over them.
    rows: Resolution,
    root: SourceId,
    lets: Vec<String>,
}

struct Lowerer<'a> {
    program: &'a Program,
    files: &'a [RuleFile],
    plan: Plan,
    symbols: HashMap<String, Sym>,
    lowered_populations: Vec<bool>,
    lowered_cohorts: Vec<bool>,
}

pub fn lower(program: &Program, files: &[RuleFile]) -> Result<Plan> {
    let mut l = Lowerer {
        program,
        files,
        plan: Plan::default(),
        symbols: HashMap::new(),
        lowered_populations: vec![false; program.populations.len()],
        lowered_cohorts: vec![false; program.cohorts.len()],
    };
    for goal in &program.goals {
        let Definition::Goal(g) = l.definition(goal.at)? else {
            return Err(mismatch("goal", &goal.name));
        };
        l.plan.goals.push(GoalPlan {
            name: g.name.name.clone(),
            number: g.number.first().map(|n| n.value),
            title: g.title.first().map(|t| t.value.clone()).unwrap_or_default(),
        });
    }
    for source in &program.sources {
        let Definition::Source(s) = l.definition(source.defined.at)? else {
            return Err(mismatch("source", &source.defined.name));
        };
        let columns = source
            .columns
            .iter()
            .map(|c| {
                let ty = c.ty.clone().ok_or_else(|| {
                    PlanError::internal(format!(
                        "column `{}` of source `{}` has no type",
                        c.name, source.defined.name
                    ))
                })?;
                Ok((c.name.clone(), ty))
            })
            .collect::<Result<Vec<_>>>()?;
        let id = l.plan.sources.len();
        l.plan.sources.push(source_plan(program, id, s, columns)?);
    }
    for codes in &program.code_lists {
        let Definition::Codes(c) = l.definition(codes.at)? else {
            return Err(mismatch("code list", &codes.name));
        };
        l.plan.code_lists.push(code_list_plan(c));
    }
    l.plan.goals.sort_by(|a, b| {
        a.number
            .unwrap_or(f64::MAX)
            .total_cmp(&b.number.unwrap_or(f64::MAX))
    });
    // Placeholders, filled in definition order (populations and cohorts on demand, since one
    // may be built on another).
    l.plan.populations = vec![placeholder_population(); program.populations.len()];
    l.plan.cohorts = vec![placeholder_cohort(); program.cohorts.len()];
    for id in 0..program.populations.len() {
        l.population(id)?;
    }
    for id in 0..program.cohorts.len() {
        l.cohort(id)?;
    }
    for (id, standard) in program.standards.iter().enumerate() {
        let Definition::Standard(s) = l.definition(standard.at)? else {
            return Err(mismatch("standard", &standard.name));
        };
        let plan = l.standard(id, s)?;
        l.plan.standards.push(plan);
    }
    for (id, indicator) in program.indicators.iter().enumerate() {
        let Definition::Indicator(i) = l.definition(indicator.defined.at)? else {
            return Err(mismatch("indicator", &indicator.defined.name));
        };
        let plan = l.indicator(id, i)?;
        l.plan.indicators.push(plan);
    }
    // A source that is read has its constrained columns read too, so that what it declares
    // holds whatever columns the rules happen to use.
    for source in &mut l.plan.sources {
        if source.used.iter().any(|&u| u) {
            for k in source.constraints.iter().flat_map(|c| c.columns()) {
                source.used[k] = true;
            }
        }
    }
    let mut symbols: Vec<(Sym, String)> = l.symbols.into_iter().map(|(s, i)| (i, s)).collect();
    symbols.sort();
    l.plan.symbols = symbols.into_iter().map(|(_, s)| s).collect();
    Ok(l.plan)
}

/// The program numbers a definition of one kind where the syntax tree holds another.
fn mismatch(kind: &str, name: &str) -> PlanError {
    PlanError::internal(format!(
        "the program's {kind} `{name}` is another kind of definition in the syntax tree"
    ))
}

fn placeholder_population() -> PopulationPlan {
    PopulationPlan {
        name: String::new(),
        base: None,
        root: 0,
        lets: Vec::new(),
        own_lets_from: 0,
        filters: Vec::new(),
        residence: None,
    }
}

fn placeholder_cohort() -> CohortPlan {
    CohortPlan {
        name: String::new(),
        rows: RowSet::Source(0),
        root: 0,
        lets: Vec::new(),
        filters: Vec::new(),
    }
}

/// A checked program's words are known; an unknown one is a bug in the checker.
fn internal(e: UnknownWord) -> PlanError {
    PlanError::internal(e.to_string())
}

/// A source's plan, with its columns typed by the checker and the columns its constraints name
/// as the checker resolved them.
fn source_plan(
    program: &Program,
    id: SourceId,
    s: &ast::Source,
    columns: Vec<(String, ColumnType)>,
) -> Result<SourcePlan> {
    let person = columns.iter().position(|(_, t)| *t == ColumnType::Person);
    let index = |name: &ast::Ident| match program.field(name, Resolution::Source(id)) {
        Some(Resolved::Column(k)) if k < columns.len() => Ok(k),
        _ => Err(PlanError::internal(format!(
            "the column `{}` of a constraint of source `{}` was not resolved",
            name.name, s.name.name
        ))),
    };
    let mut constraints = Vec::new();
    for (k, c) in s.columns.iter().enumerate() {
        if let Some(range) = &c.range {
            let raw = |b: &Option<ast::Num>| b.as_ref().map_or(String::new(), |n| n.raw.clone());
            constraints.push(RowConstraint::Range {
                column: k,
                low: range.low.as_ref().map(|n| n.value),
                high: range.high.as_ref().map(|n| n.value),
                written: format!("{}..{}", raw(&range.low), raw(&range.high)),
            });
        }
    }
    for unique in &s.unique {
        let columns = unique.names.iter().map(index).collect::<Result<_>>()?;
        constraints.push(RowConstraint::Unique { columns });
    }
    for one in &s.one_per {
        let key = one.key.iter().map(index).collect::<Result<Vec<_>>>()?;
        for value in &one.values {
            constraints.push(RowConstraint::OnePer {
                value: index(value)?,
                key: key.clone(),
            });
        }
    }
    for require in &s.requires {
        constraints.push(RowConstraint::Require {
            left: index(&require.left)?,
            op: binop(require.op),
            right: index(&require.right)?,
        });
    }
    Ok(SourcePlan {
        name: s.name.name.clone(),
        file: s.file.first().map(|f| f.value.clone()).unwrap_or_default(),
        aggregate: s.aggregate,
        used: vec![false; columns.len()],
        rows_read: false,
        columns,
        person,
        windows: Vec::new(),
        constraints,
        may_be_empty: !s.may_be_empty.is_empty(),
    })
}

fn code_pattern(entry: &ast::CodeEntry) -> CodePattern {
    match &entry.last {
        Some(last) => CodePattern::Range(entry.first.value.clone(), last.value.clone()),
        None => match entry.first.value.strip_suffix('*') {
            Some(prefix) => CodePattern::Prefix(prefix.to_string()),
            None => CodePattern::Exact(entry.first.value.clone()),
        },
    }
}

fn code_list_plan(c: &ast::CodeList) -> CodeListPlan {
    CodeListPlan {
        name: c.name.name.clone(),
        include: c.include.iter().map(code_pattern).collect(),
        exclude: c.exclude.iter().map(code_pattern).collect(),
    }
}

fn duration_days(amount: f64, unit: DurationUnit) -> f64 {
    unit.days(amount)
}

fn binop(op: ast::BinaryOp) -> BinOp {
    match op {
        ast::BinaryOp::Or => BinOp::Or,
        ast::BinaryOp::And => BinOp::And,
        ast::BinaryOp::Eq => BinOp::Eq,
        ast::BinaryOp::Ne => BinOp::Ne,
        ast::BinaryOp::Lt => BinOp::Lt,
        ast::BinaryOp::Le => BinOp::Le,
        ast::BinaryOp::Gt => BinOp::Gt,
        ast::BinaryOp::Ge => BinOp::Ge,
        ast::BinaryOp::Add => BinOp::Add,
        ast::BinaryOp::Sub => BinOp::Sub,
        ast::BinaryOp::Mul => BinOp::Mul,
        ast::BinaryOp::Div => BinOp::Div,
    }
}

impl<'a> Lowerer<'a> {
    fn definition(&self, at: DefinitionAt) -> Result<&'a Definition> {
        at.get(self.files).ok_or_else(|| {
            PlanError::internal(format!(
                "the program names definition {} of file {}, which the syntax tree lacks",
                at.index, at.file
            ))
        })
    }

    /// What the checker resolved a name to.
    fn resolution(&self, name: &ast::Ident) -> Result<Resolution> {
        self.program.resolution(name).ok_or_else(|| {
            PlanError::internal(format!("the name `{}` was not resolved", name.name))
        })
    }

    fn intern(&mut self, text: &str) -> Sym {
        let next = self.symbols.len() as Sym;
        *self.symbols.entry(text.to_string()).or_insert(next)
    }

    fn edge(&mut self, from: Step, to: Step) {
        if !self.plan.edges.contains(&(from, to)) {
            self.plan.edges.push((from, to));
        }
    }

    /// The rows a name in `from`/`of`/`persons of`/`over` refers to.
    fn row_set(&mut self, name: &ast::Ident, user: Step) -> Result<RowSet> {
        match self.resolution(name)? {
            Resolution::Source(id) => {
                self.edge(user, Step::Source(id));
                self.plan.sources[id].rows_read = true;
                Ok(RowSet::Source(id))
            }
            Resolution::Population(id) => {
                self.population(id)?;
                self.edge(user, Step::Population(id));
                Ok(RowSet::Population(id))
            }
            other => Err(PlanError::internal(format!(
                "`{}` is a {}, neither a source nor a population",
                name.name,
                other.kind_name()
            ))),
        }
    }

    /// The frame of a row of a row set: its root source and the names of its lets.
    fn frame(&self, rows: RowSet, alias: Option<String>) -> Frame {
        match rows {
            RowSet::Source(s) => Frame {
                alias,
                rows: Resolution::Source(s),
                root: s,
                lets: Vec::new(),
            },
            RowSet::Population(p) => {
                let pop = &self.plan.populations[p];
                Frame {
                    alias,
                    rows: Resolution::Population(p),
                    root: pop.root,
                    lets: pop.lets.iter().map(|(n, _)| n.clone()).collect(),
                }
            }
        }
    }

    fn population(&mut self, id: PopulationId) -> Result<()> {
        if self.lowered_populations[id] {
            return Ok(());
        }
        // Mark first: the checker has ruled out cycles, and this stops a recursion if not.
        self.lowered_populations[id] = true;
        let defined = self
            .program
            .populations
            .get(id)
            .ok_or_else(|| PlanError::internal(format!("no population {id}")))?;
        let Definition::Population(def) = self.definition(defined.at)? else {
            return Err(mismatch("population", &defined.name));
        };
        let step = Step::Population(id);
        let base = def
            .from
            .first()
            .ok_or_else(|| PlanError::internal("a population without `from`"))?;
        let rows = self.row_set(base, step)?;
        let (base, root, mut lets, inherited_residence) = match rows {
            RowSet::Source(s) => (None, s, Vec::new(), None),
            RowSet::Population(p) => {
                let b = &self.plan.populations[p];
                (Some(p), b.root, b.lets.clone(), b.residence)
            }
        };
        let own_lets_from = lets.len();
        let mut frame = Frame {
            alias: None,
            rows: Resolution::Population(id),
            root,
            lets: lets
                .iter()
                .map(|(n, _): &(String, Expr)| n.clone())
                .collect(),
        };
        for l in &def.lets {
            let compiled = self.expr(&l.value, std::slice::from_ref(&frame), step)?;
            lets.push((l.name.name.clone(), compiled));
            frame.lets.push(l.name.name.clone());
        }
        let mut filters = Vec::new();
        for f in &def.filters {
            filters.push(self.expr(f, std::slice::from_ref(&frame), step)?);
        }
        let residence = match def.residence.first() {
            Some(col) => Some(self.column_field(&frame, col)?),
            None => inherited_residence.or_else(|| self.sole_municipality_column(root)),
        };
        if let Some(col) = residence {
            self.plan.sources[root].used[col] = true;
        }
        self.plan.populations[id] = PopulationPlan {
            name: def.name.name.clone(),
            base,
            root,
            lets,
            own_lets_from,
            filters,
            residence,
        };
        Ok(())
    }

    fn sole_municipality_column(&self, source: SourceId) -> Option<usize> {
        let cols: Vec<usize> = self.plan.sources[source]
            .columns
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| *t == ColumnType::Municipality)
            .map(|(i, _)| i)
            .collect();
        (cols.len() == 1).then(|| cols[0])
    }

    fn cohort(&mut self, id: CohortId) -> Result<()> {
        if self.lowered_cohorts[id] {
            return Ok(());
        }
        self.lowered_cohorts[id] = true;
        let defined = self
            .program
            .cohorts
            .get(id)
            .ok_or_else(|| PlanError::internal(format!("no cohort {id}")))?;
        let Definition::Cohort(def) = self.definition(defined.at)? else {
            return Err(mismatch("cohort", &defined.name));
        };
        let step = Step::Cohort(id);
        let base = def
            .persons_of
            .first()
            .ok_or_else(|| PlanError::internal("a cohort without `persons of`"))?;
        let rows = self.row_set(base, step)?;
        let mut frame = self.frame(rows, None);
        frame.rows = Resolution::Cohort(id);
        let root = frame.root;
        if let Some(person) = self.plan.sources[root].person {
            self.plan.sources[root].used[person] = true;
        }
        let mut lets = Vec::new();
        for l in &def.lets {
            lets.push(self.expr(&l.value, std::slice::from_ref(&frame), step)?);
            frame.lets.push(l.name.name.clone());
        }
        let mut filters = Vec::new();
        for f in &def.filters {
            filters.push(self.expr(f, std::slice::from_ref(&frame), step)?);
        }
        self.plan.cohorts[id] = CohortPlan {
            name: def.name.name.clone(),
            rows,
            root,
            lets,
            filters,
        };
        Ok(())
    }

    fn standard(&mut self, id: StandardId, def: &ast::Standard) -> Result<StandardPlan> {
        let step = Step::Standard(id);
        let base = def
            .from
            .first()
            .ok_or_else(|| PlanError::internal("a standard without `from`"))?;
        let rows = self.row_set(base, step)?;
        let frame = self.frame(rows, None);
        let source = frame.root;
        let mut filters = Vec::new();
        for f in &def.filters {
            filters.push(self.expr(f, std::slice::from_ref(&frame), step)?);
        }
        let mut strata = Vec::new();
        for name in def.strata.iter().flatten() {
            strata.push(self.column_field(&frame, name)?);
        }
        let weight = self.expr(
            def.weight
                .first()
                .ok_or_else(|| PlanError::internal("a standard without `weight`"))?,
            &[frame],
            step,
        )?;
        Ok(StandardPlan {
            name: def.name.name.clone(),
            source,
            filters,
            strata,
            weight,
        })
    }

    fn aggregation(
        &mut self,
        a: &ast::Aggregation,
        weight: Option<&ast::Expr>,
        ages: Option<&ast::Expr>,
        step: Step,
    ) -> Result<Aggregation> {
        let rows = self.row_set(&a.over, step)?;
        let frames = [self.frame(rows, None)];
        let function = match &a.function {
            ast::AggregateFn::Count { persons } => {
                if *persons {
                    let root = frames[0].root;
                    if let Some(p) = self.plan.sources[root].person {
                        self.plan.sources[root].used[p] = true;
                    }
                }
                Aggregate::Count { persons: *persons }
            }
            ast::AggregateFn::Sum(e) => Aggregate::Sum(self.expr(e, &frames, step)?),
        };
        let filter = a
            .filter
            .as_ref()
            .map(|f| self.expr(f, &frames, step))
            .transpose()?;
        let weight = weight.map(|w| self.expr(w, &frames, step)).transpose()?;
        let ages = ages.map(|e| self.expr(e, &frames, step)).transpose()?;
        self.mark_residence(rows);
        Ok(Aggregation {
            id: ir::AggregationId::UNNUMBERED,
            function,
            rows,
            filter,
            weight,
            ages,
        })
    }

    /// The residence column of the rows is read whenever they are aggregated.
    fn mark_residence(&mut self, rows: RowSet) {
        let (root, residence) = match rows {
            RowSet::Source(s) => (
                s,
                self.sole_municipality_column(s)
                    .or_else(|| self.unit_column(s)),
            ),
            RowSet::Population(p) => (
                self.plan.populations[p].root,
                self.plan.populations[p].residence,
            ),
        };
        if let Some(col) = residence {
            self.plan.sources[root].used[col] = true;
        }
        if self.plan.sources[root].aggregate {
            for (k, (_, t)) in self.plan.sources[root].columns.clone().iter().enumerate() {
                if matches!(t, ColumnType::Unit | ColumnType::Period) {
                    self.plan.sources[root].used[k] = true;
                }
            }
        }
    }

    fn unit_column(&self, source: SourceId) -> Option<usize> {
        self.plan.sources[source]
            .columns
            .iter()
            .position(|(_, t)| *t == ColumnType::Unit)
    }

    fn indicator(&mut self, id: IndicatorId, def: &'a ast::Indicator) -> Result<IndicatorPlan> {
        let step = Step::Indicator(id);
        let clauses = &def.clauses;
        let find =
            |f: &dyn Fn(&'a ClauseKind) -> bool| clauses.iter().map(|c| &c.kind).find(|k| f(k));
        let text = |k: Option<&ClauseKind>| match k {
            Some(ClauseKind::Title(t) | ClauseKind::Unit(t) | ClauseKind::DataSource(t)) => {
                Some(t.value.clone())
            }
            _ => None,
        };
        let title = text(find(&|k| matches!(k, ClauseKind::Title(_)))).unwrap_or_default();
        let unit = text(find(&|k| matches!(k, ClauseKind::Unit(_)))).unwrap_or_default();
        let data_source = text(find(&|k| matches!(k, ClauseKind::DataSource(_))));
        let mut plan = IndicatorPlan {
            name: def.name.name.clone(),
            number: None,
            title,
            goal: None,
            unit,
            decimals: 1,
            direction: Direction::None,
            hidden: false,
            publish_counts: true,
            kind: MeasureKind::Derived,
            numerator: None,
            denominator: None,
            value_over: None,
            formula: None,
            tallies: Vec::new(),
            levels: Vec::new(),
            data_source,
        };
        let weight = clauses.iter().find_map(|c| match &c.kind {
            ClauseKind::Weight(w) => Some(w),
            _ => None,
        });
        let ages = clauses.iter().find_map(|c| match &c.kind {
            ClauseKind::Ages(a) => Some(a),
            _ => None,
        });
        for clause in clauses {
            match &clause.kind {
                ClauseKind::Number(n) => plan.number = Some(n.value),
                ClauseKind::Goal(g) => plan.goal = Some(g.name.clone()),
                ClauseKind::Decimals(n) => plan.decimals = n.value as u32,
                ClauseKind::Hidden => plan.hidden = true,
                ClauseKind::Publish(q) => {
                    plan.publish_counts = q.iter().any(|x| x.name != "value");
                }
                ClauseKind::Improvement(d) => {
                    plan.direction = d.name.parse::<Direction>().map_err(internal)?
                }
                ClauseKind::Measure(m) => {
                    let measure = self.program.indicators[id].measure.ok_or_else(|| {
                        PlanError::internal(format!(
                            "indicator `{}` has no measure kind",
                            def.name.name
                        ))
                    })?;
                    plan.kind = match measure {
                        MeasureName::Proportion => MeasureKind::Proportion,
                        MeasureName::Rate => MeasureKind::Rate {
                            per: m.per.as_ref().map(|p| p.value).unwrap_or(1.0),
                        },
                        MeasureName::Ratio => MeasureKind::Ratio,
                        MeasureName::Mean => MeasureKind::Mean,
                        MeasureName::Median => MeasureKind::Median,
                        MeasureName::Count => MeasureKind::Count,
                        MeasureName::Sum => MeasureKind::Sum,
                        MeasureName::LifeExpectancy => MeasureKind::LifeExpectancy {
                            at_age: m.at_age.as_ref().map(|a| a.value).unwrap_or(0.0),
                        },
                        MeasureName::Derived => MeasureKind::Derived,
                        MeasureName::Reported => MeasureKind::Reported,
                        MeasureName::NoFigures => MeasureKind::NoFigures,
                    }
                }
                ClauseKind::Numerator(a) | ClauseKind::Deaths(a) => {
                    plan.numerator = Some(self.aggregation(a, weight, ages, step)?)
                }
                ClauseKind::Denominator(a) | ClauseKind::Exposure(a) => {
                    plan.denominator = Some(self.aggregation(a, weight, ages, step)?)
                }
                ClauseKind::Value(v) => match &v.over {
                    Some((over, filter)) => {
                        let agg = ast::Aggregation {
                            function: ast::AggregateFn::Count { persons: false },
                            over: over.clone(),
                            filter: filter.clone(),
                            span: v.value.span,
                        };
                        let aggregation = self.aggregation(&agg, weight, None, step)?;
                        let frames = [self.frame(aggregation.rows, None)];
                        let value = self.expr(&v.value, &frames, step)?;
                        plan.value_over = Some((value, aggregation));
                    }
                    None => plan.formula = Some(self.formula(&v.value, step)?),
                },
                ClauseKind::Tally(t) => {
                    let aggregation = self.aggregation(&t.aggregation, None, None, step)?;
                    let by = match &t.by {
                        Some(e) => {
                            let frames = [self.frame(aggregation.rows, None)];
                            Some((
                                matches!(t.extreme, Some(ast::Extreme::Max)),
                                self.expr(e, &frames, step)?,
                            ))
                        }
                        None => None,
                    };
                    plan.tallies.push(TallyPlan {
                        name: t.name.name.clone(),
                        aggregation,
                        by,
                    });
                }
                _ => {}
            }
        }
        let levels: Vec<Level> = match clauses.iter().find_map(|c| match &c.kind {
            ClauseKind::Levels(l) => Some(l),
            _ => None,
        }) {
            Some(l) => l
                .iter()
                .map(|i| i.name.parse::<Level>().map_err(internal))
                .collect::<Result<_>>()?,
            None => Vec::new(),
        };
        let tally_names: Vec<String> = plan.tallies.iter().map(|t| t.name.clone()).collect();
        for &level in Level::ALL {
            if !levels.contains(&level) {
                continue;
            }
            let mut level_plan = LevelPlan {
                level,
                period: Period::new(PeriodKind::Year(0)),
                compare: None,
                standardisation: None,
                suppressions: Vec::new(),
                no_development: None,
                footnotes: Vec::new(),
            };
            let blocks = clauses.iter().filter_map(|c| match &c.kind {
                ClauseKind::At(b) if b.levels.iter().any(|l| l.name == level.as_str()) => {
                    Some(&b.clauses)
                }
                _ => None,
            });
            let sequence: Vec<&ast::Clause> = clauses.iter().chain(blocks.flatten()).collect();
            for clause in sequence {
                self.level_clause(&mut level_plan, clause, &plan, &tally_names, step)?;
            }
            plan.levels.push(level_plan);
        }
        Ok(plan)
    }

    /// Applies one clause to a level's plan. Top-level clauses come first and `at` blocks
    /// after them, so a block's period and standardisation replace the indicator's, while its
    /// suppression rules and footnotes add to them.
    fn level_clause(
        &mut self,
        level_plan: &mut LevelPlan,
        clause: &ast::Clause,
        plan: &IndicatorPlan,
        tallies: &[String],
        step: Step,
    ) -> Result<()> {
        match &clause.kind {
            ClauseKind::Period(p) => {
                level_plan.period = Period::new(period_kind(&p.report.kind));
                level_plan.compare = p
                    .compare
                    .as_ref()
                    .map(|c| Period::new(period_kind(&c.kind)));
            }
            ClauseKind::Standardise(s) => {
                let (Some(num), Some(den)) = (&plan.numerator, &plan.denominator) else {
                    return Ok(());
                };
                let (num_rows, den_rows) = (num.rows, den.rows);
                let num_frames = [self.frame(num_rows, None)];
                let den_frames = [self.frame(den_rows, None)];
                let mut numerator_strata = Vec::new();
                let mut denominator_strata = Vec::new();
                for e in &s.strata {
                    numerator_strata.push(self.expr(e, &num_frames, step)?);
                    denominator_strata.push(self.expr(e, &den_frames, step)?);
                }
                // `national` is the standard of the rule set's own units, not a definition.
                let standard = if s.using.name == "national" {
                    StandardRef::National
                } else {
                    match self.resolution(&s.using)? {
                        Resolution::Standard(id) => {
                            self.edge(step, Step::Standard(id));
                            StandardRef::Declared(id)
                        }
                        other => {
                            return Err(PlanError::internal(format!(
                                "`{}` is a {}, not a standard",
                                s.using.name,
                                other.kind_name()
                            )));
                        }
                    }
                };
                level_plan.standardisation = Some(Standardisation {
                    numerator_strata,
                    denominator_strata,
                    standard,
                });
            }
            ClauseKind::Crude => level_plan.standardisation = None,
            ClauseKind::Suppress(s) => level_plan.suppressions.push(Suppression {
                condition: threshold(&s.condition, tallies)?,
                reason: s.reason.name.clone(),
                explanation: s.explanation.as_ref().map(|t| t.value.clone()),
            }),
            ClauseKind::NoDevelopment(t) => level_plan.no_development = Some(t.value.clone()),
            ClauseKind::Footnote(t) => level_plan.footnotes.push(t.value.clone()),
            _ => {}
        }
        Ok(())
    }

    fn formula(&mut self, e: &ast::Expr, step: Step) -> Result<Formula> {
        Ok(match &e.kind {
            ExprKind::Number(n) => Formula::Number(*n),
            ExprKind::Percent(p) => Formula::Number(*p),
            ExprKind::Name(n) => Formula::Indicator(self.indicator_ref(n, step)?, None),
            ExprKind::Field(n, level) => Formula::Indicator(
                self.indicator_ref(n, step)?,
                Some(level.name.parse::<Level>().map_err(internal)?),
            ),
            ExprKind::Unary(ast::UnaryOp::Neg, inner) => {
                Formula::Neg(Box::new(self.formula(inner, step)?))
            }
            ExprKind::Binary(op, a, b) => Formula::Binary(
                binop(*op),
                Box::new(self.formula(a, step)?),
                Box::new(self.formula(b, step)?),
            ),
            _ => return Err(PlanError::internal("an unsupported formula")),
        })
    }

    fn indicator_ref(&mut self, name: &ast::Ident, step: Step) -> Result<IndicatorId> {
        match self.resolution(name)? {
            Resolution::Indicator(id) => {
                self.edge(step, Step::Indicator(id));
                Ok(id)
            }
            other => Err(PlanError::internal(format!(
                "`{}` is a {}, not an indicator",
                name.name,
                other.kind_name()
            ))),
        }
    }

    /// Compiles an expression over rows. `frames[0]` is the current row; later frames are rows
    /// bound by relations, innermost last.
    fn expr(&mut self, e: &ast::Expr, frames: &[Frame], step: Step) -> Result<Expr> {
        let sub = |l: &mut Self, x: &ast::Expr| l.expr(x, frames, step).map(Box::new);
        Ok(match &e.kind {
            ExprKind::Number(n) => Expr::Number(*n),
            ExprKind::Percent(p) => Expr::Number(*p),
            ExprKind::Text(t) => Expr::Text(self.intern(t)),
            ExprKind::Bool(b) => Expr::Bool(*b),
            ExprKind::Date(d) => Expr::Date(
                Day::from_civil(d.year, d.month, d.day)
                    .ok_or_else(|| PlanError::internal("a date literal outside the calendar"))?
                    .number(),
            ),
            ExprKind::Duration(amount, unit) => Expr::Duration {
                days: duration_days(*amount, *unit),
            },
            ExprKind::List(items) => {
                // A bare list only appears after `in`; as a value it has no meaning.
                let _ = items;
                Expr::Missing
            }
            ExprKind::Name(n) => Expr::Field(self.field(&frames[0], n)?),
            ExprKind::Field(base, field) => {
                if base.name == "period" {
                    if field.name == "start" {
                        Expr::PeriodStart
                    } else {
                        Expr::PeriodEnd
                    }
                } else {
                    let position = frames
                        .iter()
                        .rposition(|f| f.alias.as_deref() == Some(base.name.as_str()))
                        .ok_or_else(|| {
                            PlanError::internal(format!("unknown row `{}`", base.name))
                        })?;
                    let depth = frames.len() - 1 - position;
                    let frame = frames[position].clone();
                    Expr::Bound {
                        depth,
                        field: self.field(&frame, field)?,
                    }
                }
            }
            ExprKind::Unary(ast::UnaryOp::Not, x) => Expr::Not(sub(self, x)?),
            ExprKind::Unary(ast::UnaryOp::Neg, x) => Expr::Neg(sub(self, x)?),
            ExprKind::Binary(op, a, b) => Expr::Binary(binop(*op), sub(self, a)?, sub(self, b)?),
            ExprKind::In {
                value,
                target,
                negated,
            } => {
                let value = sub(self, value)?;
                match target {
                    InTarget::List(items) => Expr::InList {
                        value,
                        items: items
                            .iter()
                            .map(|i| self.expr(i, frames, step))
                            .collect::<Result<_>>()?,
                        negated: *negated,
                    },
                    InTarget::Name(n) if n.name == "period" => Expr::InPeriod {
                        value,
                        negated: *negated,
                    },
                    InTarget::Name(n) => match self.resolution(n)? {
                        Resolution::CodeList(id) => {
                            self.edge(step, Step::CodeList(id));
                            Expr::InCodes {
                                value,
                                codes: id,
                                negated: *negated,
                            }
                        }
                        Resolution::Cohort(id) => {
                            self.cohort(id)?;
                            self.edge(step, Step::Cohort(id));
                            Expr::InCohort {
                                value,
                                cohort: id,
                                negated: *negated,
                            }
                        }
                        other => {
                            return Err(PlanError::internal(format!(
                                "`{}` is a {}, neither a code list nor a cohort",
                                n.name,
                                other.kind_name()
                            )));
                        }
                    },
                }
            }
            ExprKind::IsMissing { value, negated } => Expr::IsMissing {
                value: sub(self, value)?,
                negated: *negated,
            },
            ExprKind::Within {
                value,
                amount,
                unit,
                after,
                anchor,
            } => Expr::Within {
                value: sub(self, value)?,
                anchor: sub(self, anchor)?,
                days: duration_days(*amount, *unit),
                after: *after,
            },
            ExprKind::Related(r) => {
                let rows = self.row_set(&r.source, step)?;
                let mut inner = frames.to_vec();
                inner.push(self.frame(rows, Some(r.alias.name.clone())));
                if r.same_person {
                    let bound = inner
                        .last()
                        .ok_or_else(|| PlanError::internal("a relation without its frame"))?;
                    for f in [&frames[0], bound] {
                        if let Some(p) = self.plan.sources[f.root].person {
                            self.plan.sources[f.root].used[p] = true;
                        }
                    }
                }
                let projection = r
                    .projection
                    .as_ref()
                    .map(|p| self.expr(p, &inner, step))
                    .transpose()?;
                let filter = r
                    .filter
                    .as_ref()
                    .map(|f| self.expr(f, &inner, step))
                    .transpose()?;
                Expr::Related(Box::new(ir::Related {
                    id: ir::RelationId::UNNUMBERED,
                    function: match r.function {
                        ast::RelatedFn::Exists => RelatedFn::Exists,
                        ast::RelatedFn::Count => RelatedFn::Count,
                        ast::RelatedFn::Min => RelatedFn::Min,
                        ast::RelatedFn::Max => RelatedFn::Max,
                        ast::RelatedFn::Sum => RelatedFn::Sum,
                    },
                    projection,
                    rows,
                    same_person: r.same_person,
                    filter,
                }))
            }
            ExprKind::Call(f, args) => {
                if f.name == "band" {
                    let limits: Vec<f64> = args[1..]
                        .iter()
                        .filter_map(|a| match a.kind {
                            ExprKind::Number(n) => Some(n),
                            _ => None,
                        })
                        .collect();
                    let labels = band_labels(&limits)
                        .iter()
                        .map(|l| self.intern(l))
                        .collect();
                    Expr::Band {
                        value: sub(self, &args[0])?,
                        limits,
                        labels,
                    }
                } else {
                    let builtin = match f.name.as_str() {
                        "age" => Builtin::Age,
                        "days" => Builtin::Days,
                        "hours" => Builtin::Hours,
                        "years" => Builtin::Years,
                        "year" => Builtin::Year,
                        "month" => Builtin::Month,
                        "coalesce" => Builtin::Coalesce,
                        "earliest" => Builtin::Earliest,
                        "latest" => Builtin::Latest,
                        other => {
                            return Err(PlanError::internal(format!("unknown function `{other}`")));
                        }
                    };
                    Expr::Call(
                        builtin,
                        args.iter()
                            .map(|a| self.expr(a, frames, step))
                            .collect::<Result<_>>()?,
                    )
                }
            }
        })
    }

    /// A field that must be a column (a residence, a stratum of a standard).
    fn column_field(&mut self, frame: &Frame, name: &ast::Ident) -> Result<usize> {
        match self.field(frame, name)? {
            Field::Column(k) => Ok(k),
            Field::Let(_) => Err(PlanError::internal(format!(
                "`{}` is a `let`, where a column is needed",
                name.name
            ))),
        }
    }

    /// A field of the rows of a frame, as the checker resolved its name over those rows.
    fn field(&mut self, frame: &Frame, name: &ast::Ident) -> Result<Field> {
        let resolved = self.program.field(name, frame.rows).ok_or_else(|| {
            PlanError::internal(format!(
                "the field `{}` was not resolved over the rows of {} {:?}",
                name.name,
                frame.rows.kind_name(),
                frame.rows
            ))
        })?;
        // The checker's fields are the plan's, in the same order; a field of another name
        // would be a bug in one of them.
        let found = match resolved {
            Resolved::Let(i) => frame.lets.get(i).map(|n| (n.as_str(), Field::Let(i))),
            Resolved::Column(k) => self.plan.sources[frame.root]
                .columns
                .get(k)
                .map(|(n, _)| (n.as_str(), Field::Column(k))),
        };
        match found {
            Some((found, field)) if found == name.name => {
                if let Field::Column(k) = field {
                    self.plan.sources[frame.root].used[k] = true;
                }
                Ok(field)
            }
            _ => Err(PlanError::internal(format!(
                "the field `{}` resolved to {resolved:?}, which its rows do not hold",
                name.name
            ))),
        }
    }
}

fn period_kind(kind: &ast::PeriodKind) -> PeriodKind {
    match *kind {
        ast::PeriodKind::Year(y) => PeriodKind::Year(y),
        ast::PeriodKind::Years(a, b) => PeriodKind::Years(a, b),
        ast::PeriodKind::Month(y, m) => PeriodKind::Month(y, m),
    }
}

fn threshold(e: &ast::Expr, tallies: &[String]) -> Result<ThresholdExpr> {
    let t = |x: &ast::Expr| threshold(x, tallies).map(Box::new);
    Ok(match &e.kind {
        ExprKind::Number(n) => ThresholdExpr::Number(*n),
        ExprKind::Percent(p) => ThresholdExpr::Number(*p),
        ExprKind::Bool(b) => ThresholdExpr::Bool(*b),
        ExprKind::IsMissing { value, negated } => ThresholdExpr::IsMissing(t(value)?, *negated),
        ExprKind::Name(n) => match n.name.as_str() {
            "numerator" => ThresholdExpr::Numerator,
            "denominator" => ThresholdExpr::Denominator,
            "value" => ThresholdExpr::Value,
            "area" => ThresholdExpr::Area,
            other => ThresholdExpr::Tally(
                tallies
                    .iter()
                    .position(|t| t == other)
                    .ok_or_else(|| PlanError::internal(format!("unknown tally `{other}`")))?,
            ),
        },
        ExprKind::List(items) => ThresholdExpr::List(
            items
                .iter()
                .map(|i| threshold(i, tallies))
                .collect::<Result<_>>()?,
        ),
        ExprKind::Unary(ast::UnaryOp::Not, x) => ThresholdExpr::Not(t(x)?),
        ExprKind::Unary(ast::UnaryOp::Neg, x) => ThresholdExpr::Neg(t(x)?),
        ExprKind::Binary(op, a, b) => ThresholdExpr::Binary(binop(*op), t(a)?, t(b)?),
        ExprKind::In {
            value,
            target: InTarget::List(items),
            negated,
        } => ThresholdExpr::In(
            t(value)?,
            items
                .iter()
                .map(|i| threshold(i, tallies))
                .collect::<Result<_>>()?,
            *negated,
        ),
        _ => {
            return Err(PlanError::internal("an unsupported suppression condition"));
        }
    })
}
