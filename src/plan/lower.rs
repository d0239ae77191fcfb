//! AST → plan: resolves names to indices and compiles expressions.

use std::collections::HashMap;

use super::ir::{self, *};
use crate::check::expr::band_labels;
use crate::syntax::ast::{self, ClauseKind, Definition, DurationUnit, ExprKind, InTarget};
use crate::words::{ColumnTypeName, MeasureName, UnknownWord};

type Result<T> = std::result::Result<T, String>;

/// One row in reach of an expression: the current row, or one bound by a relation.
#[derive(Clone)]
struct Frame {
    alias: Option<String>,
    root: SourceId,
    lets: Vec<String>,
}

struct Lowerer<'a> {
    plan: Plan,
    symbols: HashMap<String, Sym>,
    sources: HashMap<&'a str, (SourceId, &'a ast::Source)>,
    code_lists: HashMap<&'a str, CodeListId>,
    cohorts: HashMap<&'a str, (CohortId, &'a ast::Cohort)>,
    populations: HashMap<&'a str, (PopulationId, &'a ast::Population)>,
    standards: HashMap<&'a str, (StandardId, &'a ast::Standard)>,
    indicators: HashMap<&'a str, (IndicatorId, &'a ast::Indicator)>,
    lowered_populations: Vec<bool>,
    lowered_cohorts: Vec<bool>,
}

pub fn lower(files: &[ast::RuleFile]) -> Result<Plan> {
    let definitions: Vec<&Definition> = files.iter().flat_map(|f| &f.definitions).collect();
    let mut l = Lowerer {
        plan: Plan::default(),
        symbols: HashMap::new(),
        sources: HashMap::new(),
        code_lists: HashMap::new(),
        cohorts: HashMap::new(),
        populations: HashMap::new(),
        standards: HashMap::new(),
        indicators: HashMap::new(),
        lowered_populations: Vec::new(),
        lowered_cohorts: Vec::new(),
    };
    for def in &definitions {
        match def {
            Definition::Goal(g) => l.plan.goals.push(GoalPlan {
                name: g.name.name.clone(),
                number: g.number.first().map(|n| n.value),
                title: g.title.first().map(|t| t.value.clone()).unwrap_or_default(),
            }),
            Definition::Source(s) => {
                let id = l.plan.sources.len();
                l.sources.insert(&s.name.name, (id, s));
                l.plan.sources.push(source_plan(s)?);
            }
            Definition::Codes(c) => {
                l.code_lists.insert(&c.name.name, l.plan.code_lists.len());
                l.plan.code_lists.push(code_list_plan(c));
            }
            Definition::Cohort(c) => {
                let id = l.cohorts.len();
                l.cohorts.insert(&c.name.name, (id, c));
            }
            Definition::Population(p) => {
                let id = l.populations.len();
                l.populations.insert(&p.name.name, (id, p));
            }
            Definition::Standard(s) => {
                let id = l.standards.len();
                l.standards.insert(&s.name.name, (id, s));
            }
            Definition::Indicator(i) => {
                let id = l.indicators.len();
                l.indicators.insert(&i.name.name, (id, i));
            }
        }
    }
    l.plan.goals.sort_by(|a, b| {
        a.number
            .unwrap_or(f64::MAX)
            .total_cmp(&b.number.unwrap_or(f64::MAX))
    });
    // Placeholders, filled in definition order (populations and cohorts on demand, since one
    // may be built on another).
    l.lowered_populations = vec![false; l.populations.len()];
    l.lowered_cohorts = vec![false; l.cohorts.len()];
    l.plan.populations = vec![placeholder_population(); l.populations.len()];
    l.plan.cohorts = vec![placeholder_cohort(); l.cohorts.len()];
    let mut populations: Vec<_> = l.populations.values().map(|(id, p)| (*id, *p)).collect();
    populations.sort_by_key(|(id, _)| *id);
    for (id, _) in &populations {
        l.population(*id)?;
    }
    let mut cohorts: Vec<_> = l.cohorts.values().map(|(id, c)| (*id, *c)).collect();
    cohorts.sort_by_key(|(id, _)| *id);
    for (id, _) in &cohorts {
        l.cohort(*id)?;
    }
    let mut standards: Vec<_> = l.standards.values().map(|(id, s)| (*id, *s)).collect();
    standards.sort_by_key(|(id, _)| *id);
    for (id, s) in standards {
        let plan = l.standard(id, s)?;
        l.plan.standards.push(plan);
    }
    let mut indicators: Vec<_> = l.indicators.values().map(|(id, i)| (*id, *i)).collect();
    indicators.sort_by_key(|(id, _)| *id);
    for (id, i) in indicators {
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
fn internal(e: UnknownWord) -> String {
    format!("internal: {e}, yet the rules were checked")
}

pub fn column_type(ty: &ast::TypeExpr) -> Result<ColumnType> {
    Ok(
        match ty.name.name.parse::<ColumnTypeName>().map_err(internal)? {
            ColumnTypeName::Id => ColumnType::Id,
            ColumnTypeName::Person => ColumnType::Person,
            ColumnTypeName::Date => ColumnType::Date,
            ColumnTypeName::Integer => ColumnType::Integer,
            ColumnTypeName::Decimal => ColumnType::Decimal,
            ColumnTypeName::Bool => ColumnType::Bool,
            ColumnTypeName::Text => ColumnType::Text,
            ColumnTypeName::Category => ColumnType::Category(
                ty.args
                    .iter()
                    .filter_map(|a| match a {
                        ast::TypeArg::Text(t) => Some(t.value.clone()),
                        ast::TypeArg::Name(_) => None,
                    })
                    .collect(),
            ),
            ColumnTypeName::Code => ColumnType::Code,
            ColumnTypeName::Municipality => ColumnType::Municipality,
            ColumnTypeName::Unit => ColumnType::Unit,
            ColumnTypeName::Period => ColumnType::Period,
        },
    )
}

fn source_plan(s: &ast::Source) -> Result<SourcePlan> {
    let columns: Vec<(String, ColumnType)> = s
        .columns
        .iter()
        .map(|c| Ok((c.name.name.clone(), column_type(&c.ty)?)))
        .collect::<Result<_>>()?;
    let person = columns.iter().position(|(_, t)| *t == ColumnType::Person);
    let index = |name: &ast::Ident| columns.iter().position(|(n, _)| *n == name.name);
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
    // Names are checked: one that is not found leaves its constraint out.
    for unique in &s.unique {
        if let Some(columns) = unique.names.iter().map(index).collect() {
            constraints.push(RowConstraint::Unique { columns });
        }
    }
    for one in &s.one_per {
        let Some(key) = one.key.iter().map(index).collect::<Option<Vec<_>>>() else {
            continue;
        };
        for value in one.values.iter().filter_map(index) {
            constraints.push(RowConstraint::OnePer {
                value,
                key: key.clone(),
            });
        }
    }
    for require in &s.requires {
        if let (Some(left), Some(right)) = (index(&require.left), index(&require.right)) {
            constraints.push(RowConstraint::Require {
                left,
                op: binop(require.op),
                right,
            });
        }
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
    fn intern(&mut self, text: &str) -> Sym {
        let next = self.symbols.len() as Sym;
        *self.symbols.entry(text.to_string()).or_insert(next)
    }

    fn edge(&mut self, from: Step, to: Step) {
        if !self.plan.edges.contains(&(from, to)) {
            self.plan.edges.push((from, to));
        }
    }

    /// The rows a name in `from`/`of`/`persons of` refers to.
    fn row_set(&mut self, name: &str, user: Step) -> Result<RowSet> {
        if let Some(&(id, _)) = self.sources.get(name) {
            self.edge(user, Step::Source(id));
            self.plan.sources[id].rows_read = true;
            return Ok(RowSet::Source(id));
        }
        if let Some(&(id, _)) = self.populations.get(name) {
            self.population(id)?;
            self.edge(user, Step::Population(id));
            return Ok(RowSet::Population(id));
        }
        Err(format!(
            "internal: `{name}` is neither a source nor a population"
        ))
    }

    /// The frame of a row of a row set: its root source and the names of its lets.
    fn frame(&self, rows: RowSet, alias: Option<String>) -> Frame {
        match rows {
            RowSet::Source(s) => Frame {
                alias,
                root: s,
                lets: Vec::new(),
            },
            RowSet::Population(p) => {
                let pop = &self.plan.populations[p];
                Frame {
                    alias,
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
        let (_, def) = *self
            .populations
            .values()
            .find(|(i, _)| *i == id)
            .ok_or("internal: population index")?;
        let step = Step::Population(id);
        let base_name = &def
            .from
            .first()
            .ok_or("internal: population without from")?
            .name;
        let rows = self.row_set(base_name, step)?;
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
            Some(col) => Some(self.column(root, &col.name)?),
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

    fn column(&mut self, source: SourceId, name: &str) -> Result<usize> {
        let col = self.plan.sources[source]
            .columns
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| format!("internal: no column `{name}`"))?;
        self.plan.sources[source].used[col] = true;
        Ok(col)
    }

    fn cohort(&mut self, id: CohortId) -> Result<()> {
        if self.lowered_cohorts[id] {
            return Ok(());
        }
        self.lowered_cohorts[id] = true;
        let (_, def) = *self
            .cohorts
            .values()
            .find(|(i, _)| *i == id)
            .ok_or("internal: cohort index")?;
        let step = Step::Cohort(id);
        let rows = self.row_set(
            &def.persons_of
                .first()
                .ok_or("internal: cohort without persons")?
                .name,
            step,
        )?;
        let mut frame = self.frame(rows, None);
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
        let rows = self.row_set(
            &def.from
                .first()
                .ok_or("internal: standard without from")?
                .name,
            step,
        )?;
        let frame = self.frame(rows, None);
        let source = frame.root;
        let mut filters = Vec::new();
        for f in &def.filters {
            filters.push(self.expr(f, std::slice::from_ref(&frame), step)?);
        }
        let mut strata = Vec::new();
        for name in def.strata.iter().flatten() {
            strata.push(self.column(source, &name.name)?);
        }
        let weight = self.expr(
            def.weight
                .first()
                .ok_or("internal: standard without weight")?,
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
        let rows = self.row_set(&a.over.name, step)?;
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
                    plan.kind = match m.kind.name.parse::<MeasureName>().map_err(internal)? {
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
                let standard = if s.using.name == "national" {
                    StandardRef::National
                } else {
                    let &(id, _) = self
                        .standards
                        .get(s.using.name.as_str())
                        .ok_or("internal: unknown standard")?;
                    self.edge(step, Step::Standard(id));
                    StandardRef::Declared(id)
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
            ExprKind::Name(n) => Formula::Indicator(self.indicator_ref(&n.name, step)?, None),
            ExprKind::Field(n, level) => Formula::Indicator(
                self.indicator_ref(&n.name, step)?,
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
            _ => return Err("internal: unsupported formula".to_string()),
        })
    }

    fn indicator_ref(&mut self, name: &str, step: Step) -> Result<IndicatorId> {
        let &(id, _) = self
            .indicators
            .get(name)
            .ok_or("internal: unknown indicator")?;
        self.edge(step, Step::Indicator(id));
        Ok(id)
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
                    .ok_or("internal: a date literal outside the calendar")?
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
            ExprKind::Name(n) => Expr::Field(self.field(&frames[0], &n.name)?),
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
                        .ok_or_else(|| format!("internal: unknown row `{}`", base.name))?;
                    let depth = frames.len() - 1 - position;
                    let frame = frames[position].clone();
                    Expr::Bound {
                        depth,
                        field: self.field(&frame, &field.name)?,
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
                    InTarget::Name(n) => {
                        if let Some(&id) = self.code_lists.get(n.name.as_str()) {
                            self.edge(step, Step::CodeList(id));
                            Expr::InCodes {
                                value,
                                codes: id,
                                negated: *negated,
                            }
                        } else {
                            let &(id, _) = self
                                .cohorts
                                .get(n.name.as_str())
                                .ok_or_else(|| format!("internal: unknown `{}`", n.name))?;
                            self.cohort(id)?;
                            self.edge(step, Step::Cohort(id));
                            Expr::InCohort {
                                value,
                                cohort: id,
                                negated: *negated,
                            }
                        }
                    }
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
                let rows = self.row_set(&r.source.name, step)?;
                let mut inner = frames.to_vec();
                inner.push(self.frame(rows, Some(r.alias.name.clone())));
                if r.same_person {
                    for f in [&frames[0], inner.last().ok_or("internal: frame")?] {
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
                        other => return Err(format!("internal: unknown function `{other}`")),
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

    fn field(&mut self, frame: &Frame, name: &str) -> Result<Field> {
        if let Some(i) = frame.lets.iter().rposition(|l| l == name) {
            return Ok(Field::Let(i));
        }
        Ok(Field::Column(self.column(frame.root, name)?))
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
                    .ok_or_else(|| format!("internal: unknown tally `{other}`"))?,
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
        _ => return Err("internal: unsupported suppression condition".to_string()),
    })
}
