//! `indikator explain INDICATOR UNIT`: why one figure of the report is what it is — the sources
//! read, how many rows each condition kept, the strata, the suppression rules and the marking.

use serde::Serialize;

use crate::eval::measure::{self as measure_mod, Acc};
use crate::eval::rows::{Engine, Lets, RowRef};
use crate::eval::value::Value;
use crate::eval::{self, Options, Unit};
use crate::plan::{
    Aggregation, Level, LevelPlan, MeasureKind, Period, Plan, RowSet, StandardRef, Sym,
};
use crate::report::{self, Row};
use crate::source_db::SourceDb;
use crate::syntax::ast::{ClauseKind, Definition, Expr as AstExpr, RuleFile};
use crate::words::Marking;

/// Why a figure is what it is.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub indicator: String,
    pub title: String,
    pub measure: String,
    pub level: Level,
    pub unit_code: u32,
    pub unit_name: String,
    pub period: String,
    /// Source, file, rows read, rows dated outside the periods and left unread.
    pub sources: Vec<(String, String, usize, usize)>,
    pub parts: Vec<PartTrace>,
    pub standard: Option<String>,
    pub strata: Vec<StratumRow>,
    pub figure: Option<Row>,
    pub suppression: Vec<RuleTrace>,
    pub development: Option<String>,
    pub level_marking: Option<String>,
}

/// How many rows each condition kept, for one part of the measure.
#[derive(Debug, Clone, Serialize)]
pub struct PartTrace {
    pub part: &'static str,
    pub steps: Vec<(String, usize)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StratumRow {
    pub stratum: Vec<String>,
    pub numerator: f64,
    pub denominator: f64,
    pub rate: Option<f64>,
    pub standard_weight: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleTrace {
    pub rule: String,
    pub reason: String,
    pub outcome: &'static str,
}

/// Source text of each `where` of each population and of each aggregation, by name.
struct Texts<'a> {
    files: &'a [RuleFile],
    db: &'a SourceDb,
}

impl Texts<'_> {
    fn population_filters(&self, name: &str) -> Vec<String> {
        for f in self.files {
            for d in &f.definitions {
                if let Definition::Population(p) = d
                    && p.name.name == name
                {
                    return p.filters.iter().map(|e| self.text(e)).collect();
                }
            }
        }
        Vec::new()
    }

    fn text(&self, e: &AstExpr) -> String {
        self.db
            .text(e.span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The suppression conditions that apply at a level, in the order the plan tries them.
    fn suppress_rules(&self, indicator: &str, level: Level) -> Vec<String> {
        for f in self.files {
            for d in &f.definitions {
                let Definition::Indicator(ind) = d else {
                    continue;
                };
                if ind.name.name != indicator {
                    continue;
                }
                let mut out = Vec::new();
                for c in &ind.clauses {
                    if let ClauseKind::Suppress(s) = &c.kind {
                        out.push(self.text(&s.condition));
                    }
                }
                for c in &ind.clauses {
                    if let ClauseKind::At(block) = &c.kind
                        && block.levels.iter().any(|l| l.name == level.as_str())
                    {
                        for c in &block.clauses {
                            if let ClauseKind::Suppress(s) = &c.kind {
                                out.push(self.text(&s.condition));
                            }
                        }
                    }
                }
                return out;
            }
        }
        Vec::new()
    }

    fn aggregation_filter(&self, indicator: &str, part: &'static str) -> Option<String> {
        for f in self.files {
            for d in &f.definitions {
                let Definition::Indicator(ind) = d else {
                    continue;
                };
                if ind.name.name != indicator {
                    continue;
                }
                for c in &ind.clauses {
                    if let ClauseKind::Value(v) = &c.kind
                        && part == "value"
                    {
                        return v
                            .over
                            .as_ref()
                            .and_then(|(_, f)| f.as_ref())
                            .map(|e| self.text(e));
                    }
                    let (kw, agg) = match &c.kind {
                        ClauseKind::Numerator(a) => ("numerator", a),
                        ClauseKind::Denominator(a) => ("denominator", a),
                        ClauseKind::Deaths(a) => ("deaths", a),
                        ClauseKind::Exposure(a) => ("exposure", a),
                        _ => continue,
                    };
                    if kw == part {
                        return agg.filter.as_ref().map(|e| self.text(e));
                    }
                }
            }
        }
        None
    }
}

/// Why a figure cannot be explained.
#[derive(Debug)]
pub enum ExplainError {
    /// No indicator of that name, with the closest name if one is close.
    UnknownIndicator {
        name: String,
        closest: Option<String>,
    },
    /// The code is no unit of the geography.
    NotAUnit(u32),
    /// The code is a unit of another level than the one asked for.
    WrongLevel { code: u32, is: Level, asked: Level },
    /// The indicator is not computed at the unit's level.
    NotComputedAt { indicator: String, level: Level },
    /// The extracts could not be read.
    Data(Box<eval::DataError>),
}

impl std::fmt::Display for ExplainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExplainError::UnknownIndicator {
                name,
                closest: Some(best),
            } => write!(f, "no indicator `{name}`; did you mean `{best}`?"),
            ExplainError::UnknownIndicator {
                name,
                closest: None,
            } => write!(f, "no indicator `{name}`"),
            ExplainError::NotAUnit(code) => write!(
                f,
                "{code} is not a unit of the geography (0 is the country)"
            ),
            ExplainError::WrongLevel { code, is, asked } => write!(
                f,
                "{code} is a {} code, not a {} code",
                is.as_str(),
                asked.as_str()
            ),
            ExplainError::NotComputedAt { indicator, level } => write!(
                f,
                "`{indicator}` is not computed at {} level",
                level.as_str()
            ),
            ExplainError::Data(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ExplainError {}

fn unit_of(
    engine: &Engine<'_>,
    code: u32,
    level: Option<Level>,
) -> Result<(Unit, Level), ExplainError> {
    let unit = engine
        .geography
        .unit(code)
        .ok_or(ExplainError::NotAUnit(code))?;
    let natural = match unit {
        Unit::National => Level::National,
        Unit::Region(_) => Level::Region,
        Unit::Municipality(_) => Level::Municipality,
    };
    match level {
        Some(l) if l != natural => Err(ExplainError::WrongLevel {
            code,
            is: natural,
            asked: l,
        }),
        _ => Ok((unit, natural)),
    }
}

/// Rows kept by each step that leads to an aggregation's rows, in a unit.
fn attrition(
    engine: &Engine<'_>,
    texts: &Texts<'_>,
    agg: &Aggregation,
    aggregation_filter: Option<String>,
    unit: Unit,
    period: Period,
) -> Vec<(String, usize)> {
    let plan = engine.plan;
    let residence = engine.residence(agg.rows);
    let slots = engine.slots(unit);
    let in_unit = |r: RowRef<'_>| {
        engine
            .slot(residence, r)
            .is_some_and(|s| slots.binary_search(&s).is_ok())
            || (unit == Unit::National)
    };
    let mut chain = Vec::new();
    let mut rows = agg.rows;
    while let RowSet::Population(p) = rows {
        chain.push(p);
        rows = match plan.populations[p].base {
            Some(b) => RowSet::Population(b),
            None => RowSet::Source(plan.populations[p].root),
        };
    }
    chain.reverse();
    let root = engine.root_of(agg.rows);
    let mut steps = Vec::new();
    let mut count = 0;
    engine.for_each_row(RowSet::Source(root), period, |r| {
        if in_unit(r) {
            count += 1;
        }
    });
    steps.push((
        format!("rows of source `{}`", plan.sources[root].name),
        count,
    ));
    for &p in &chain {
        let pop = &plan.populations[p];
        let texts_of = texts.population_filters(&pop.name);
        let mut kept = vec![0usize; pop.filters.len()];
        let base = match pop.base {
            Some(b) => RowSet::Population(b),
            None => RowSet::Source(pop.root),
        };
        let mut scratch: Vec<Value> = Vec::new();
        engine.for_each_row(base, period, |r| {
            if !in_unit(r) {
                return;
            }
            scratch.clear();
            r.lets.append_to(&mut scratch);
            scratch.resize(pop.lets.len(), Value::Missing);
            for k in pop.own_lets_from..pop.lets.len() {
                let v = engine.eval_at(
                    &pop.lets[k].1,
                    period,
                    RowRef {
                        lets: Lets::Slice(&scratch),
                        ..r
                    },
                );
                scratch[k] = v;
            }
            for (i, f) in pop.filters.iter().enumerate() {
                if !engine
                    .eval_at(
                        f,
                        period,
                        RowRef {
                            lets: Lets::Slice(&scratch),
                            ..r
                        },
                    )
                    .truthy()
                {
                    return;
                }
                kept[i] += 1;
            }
        });
        for (i, n) in kept.into_iter().enumerate() {
            let text = texts_of.get(i).cloned().unwrap_or_default();
            steps.push((format!("population `{}`: where {text}", pop.name), n));
        }
    }
    if let Some(f) = &agg.filter {
        let mut n = 0;
        engine.for_each_row(agg.rows, period, |r| {
            if in_unit(r) && engine.eval_at(f, period, r).truthy() {
                n += 1;
            }
        });
        steps.push((
            format!("where {}", aggregation_filter.unwrap_or_default()),
            n,
        ));
    }
    steps
}

fn strata_table(
    engine: &Engine<'_>,
    ind: &crate::plan::IndicatorPlan,
    level_plan: &LevelPlan,
    unit: Unit,
    period: Period,
) -> (Option<String>, Vec<StratumRow>) {
    let (Some(std), Some(num), Some(den)) = (
        &level_plan.standardisation,
        &ind.numerator,
        &ind.denominator,
    ) else {
        return (None, Vec::new());
    };
    let num_cells = engine.cells(num, period, &std.numerator_strata, None);
    let den_cells = engine.cells(den, period, &std.denominator_strata, None);
    let slots = engine.slots(unit);
    let n = measure_mod::by_key(&num_cells, &slots);
    let d = measure_mod::by_key(&den_cells, &slots);
    let (name, weights): (String, std::collections::BTreeMap<Vec<Sym>, f64>) = match &std.standard {
        StandardRef::National => (
            "national distribution of the denominator".to_string(),
            measure_mod::by_key(&den_cells, &engine.slots(Unit::National))
                .into_iter()
                .map(|(k, a)| (k, a.weighted))
                .collect(),
        ),
        StandardRef::Declared(id) => (
            format!("standard `{}`", engine.plan.standards[*id].name),
            engine.standard_weights(*id),
        ),
    };
    let label = |key: &[Sym]| {
        key.iter()
            .map(|s| engine.symbols.text(*s).to_string())
            .collect()
    };
    let rows = weights
        .iter()
        .map(|(key, &w)| {
            let events = n.get(key).copied().unwrap_or_else(Acc::default).weighted;
            let population = d.get(key).copied().unwrap_or_else(Acc::default).weighted;
            StratumRow {
                stratum: label(key),
                numerator: events,
                denominator: population,
                rate: (population > 0.0).then(|| events / population),
                standard_weight: w,
            }
        })
        .collect();
    (Some(name), rows)
}

fn marking_sentence(
    marking: Option<Marking>,
    value: Option<f64>,
    reference: Option<f64>,
    against: &str,
    direction: crate::plan::Direction,
) -> Option<String> {
    let (m, v, r) = (marking?, value?, reference?);
    let relative = if r == 0.0 {
        0.0
    } else {
        (v - r) / r.abs() * 100.0
    };
    let better = match direction {
        crate::plan::Direction::Higher => "higher is better",
        crate::plan::Direction::Lower => "lower is better",
        crate::plan::Direction::None => "no direction",
    };
    let how = if m == Marking::Yellow {
        format!("{:.1} % from it, within ±1 %", relative.abs())
    } else {
        let word = if m == Marking::Green {
            "better"
        } else {
            "worse"
        };
        format!("{:.1} % {word}", relative.abs())
    };
    Some(format!("{m}: {v} vs {against} {r}, {how}, {better}"))
}

/// Explains one indicator's figure for one unit over a data directory.
pub fn explain_figure(
    checked: &crate::workspace::Checked,
    plan: &Plan,
    options: &Options,
    indicator: &str,
    unit_code: u32,
    level: Option<Level>,
) -> Result<Explanation, ExplainError> {
    let id = plan
        .indicators
        .iter()
        .position(|i| i.name == indicator)
        .ok_or_else(|| {
            let names: Vec<&str> = plan.indicators.iter().map(|i| i.name.as_str()).collect();
            ExplainError::UnknownIndicator {
                name: indicator.to_string(),
                closest: crate::suggest::closest(indicator, names.iter().copied())
                    .map(str::to_string),
            }
        })?;
    let ind = &plan.indicators[id];
    let texts = Texts {
        files: &checked.files,
        db: &checked.db,
    };
    let result = eval::with_engine(plan, options, &mut |_| {}, |engine, loaded, _| {
        let (unit, level) = unit_of(engine, unit_code, level)?;
        let level_plan = ind
            .levels
            .iter()
            .find(|l| l.level == level)
            .ok_or_else(|| ExplainError::NotComputedAt {
                indicator: indicator.to_string(),
                level,
            })?;
        let period = level_plan.period;
        let sources: Vec<(String, String, usize, usize)> = loaded
            .sources
            .iter()
            .map(|s| (s.source.clone(), s.file.clone(), s.rows, s.unread))
            .collect();
        let evaluation = eval::compute_all(engine, loaded, &mut |_| {});
        let report = report::build(plan, &evaluation);
        let figure = report
            .rows
            .iter()
            .find(|r| r.indicator == ind.name && r.unit_code == unit_code && r.level == level)
            .cloned();
        let mut parts = Vec::new();
        let named: [(&'static str, Option<&Aggregation>); 2] = match ind.kind {
            MeasureKind::LifeExpectancy { .. } => [
                ("deaths", ind.numerator.as_ref()),
                ("exposure", ind.denominator.as_ref()),
            ],
            MeasureKind::Mean | MeasureKind::Median | MeasureKind::Reported => [
                ("value", ind.value_over.as_ref().map(|(_, a)| a)),
                ("", None),
            ],
            _ => [
                ("numerator", ind.numerator.as_ref()),
                ("denominator", ind.denominator.as_ref()),
            ],
        };
        for (part, agg) in named {
            if let Some(agg) = agg {
                let filter = texts.aggregation_filter(indicator, part);
                parts.push(PartTrace {
                    part,
                    steps: attrition(engine, &texts, agg, filter, unit, period),
                });
            }
        }
        let (standard, strata) = strata_table(engine, ind, level_plan, unit, period);
        let tallies = engine.tallies(ind, level, period);
        let rule_texts = texts.suppress_rules(indicator, level);
        // The figure as computed, before the report blanks a suppressed one's numbers: the
        // suppression rules are re-tried on it to show which held.
        let computed = evaluation
            .indicators
            .iter()
            .find(|f| f.indicator == id)
            .and_then(|f| f.levels.iter().find(|l| l.level == level))
            .and_then(|l| l.current.iter().find(|(u, _)| *u == unit))
            .map(|(_, f)| f.clone());
        // The explanation shows the computed numbers; the published row says whether they are
        // shown, and why not.
        let figure = figure.map(|mut row| {
            if let Some(c) = &computed {
                row.numerator = c.numerator;
                row.denominator = c.denominator;
                row.value = c.value;
                row.ci_low = c.interval.map(|i| i.low);
                row.ci_high = c.interval.map(|i| i.high);
            }
            row
        });
        let suppression = level_plan
            .suppressions
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let outcome = match computed.as_ref().filter(|f| f.value.is_some()) {
                    Some(f) => {
                        match measure_mod::threshold(&s.condition, f, unit_code, unit, &tallies) {
                            Some(true) => "holds",
                            Some(false) => "does not hold",
                            None => "cannot be decided",
                        }
                    }
                    None => "not tried: the unit has no figure",
                };
                RuleTrace {
                    rule: rule_texts.get(k).cloned().unwrap_or_default(),
                    reason: s.reason.clone(),
                    outcome,
                }
            })
            .collect();
        let previous = report
            .rows
            .iter()
            .filter(|r| r.indicator == ind.name && r.unit_code == unit_code && r.level == level)
            .nth(1)
            .and_then(|r| r.value);
        let national = report
            .rows
            .iter()
            .find(|r| {
                r.indicator == ind.name
                    && r.level == Level::National
                    && r.period == period.to_string()
            })
            .and_then(|r| r.value);
        let development = figure.as_ref().and_then(|f| {
            let against = level_plan
                .compare
                .map(|c| c.to_string())
                .unwrap_or_default();
            marking_sentence(f.development, f.value, previous, &against, ind.direction)
        });
        let level_marking = figure.as_ref().and_then(|f| {
            marking_sentence(
                f.level_marking,
                f.value,
                national,
                "national",
                ind.direction,
            )
        });
        Ok(Explanation {
            indicator: ind.name.clone(),
            title: ind.title.clone(),
            measure: ind.kind.to_string(),
            level,
            unit_code,
            unit_name: engine.geography.name(unit).to_string(),
            period: period.to_string(),
            sources,
            parts,
            standard,
            strata,
            figure,
            suppression,
            development,
            level_marking,
        })
    });
    result.map_err(|e| ExplainError::Data(Box::new(e)))?
}

impl Explanation {
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let n = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_else(|| "—".to_string());
        out.push_str(&format!(
            "{} — {}\n{} at {} {} ({}), period {}\n\n",
            self.indicator,
            self.title,
            self.measure,
            self.level,
            self.unit_code,
            self.unit_name,
            self.period
        ));
        if self.figure.as_ref().is_some_and(|f| f.suppressed.is_some()) {
            out.push_str(
                "NOT FOR PUBLICATION: the figure is suppressed, and this explanation shows the counts behind it.\n\n",
            );
        }
        out.push_str("Records read\n");
        for (source, file, rows, unread) in &self.sources {
            out.push_str(&format!("  {source:<28} {rows:>12}  ({file})"));
            if *unread > 0 {
                out.push_str(&format!(
                    "; {unread} more dated outside the periods, not read"
                ));
            }
            out.push('\n');
        }
        for part in &self.parts {
            out.push_str(&format!("\n{} — rows kept, step by step\n", part.part));
            for (what, rows) in &part.steps {
                out.push_str(&format!("  {rows:>12}  {what}\n"));
            }
        }
        if let Some(standard) = &self.standard {
            out.push_str(&format!(
                "\nDirect standardisation against the {standard}\n"
            ));
            out.push_str(&format!(
                "  {:<24} {:>12} {:>12} {:>12} {:>14}\n",
                "stratum", "numerator", "denominator", "rate", "weight"
            ));
            for s in &self.strata {
                out.push_str(&format!(
                    "  {:<24} {:>12} {:>12} {:>12} {:>14}\n",
                    s.stratum.join(" "),
                    s.numerator,
                    s.denominator,
                    s.rate
                        .map(|r| format!("{r:.6}"))
                        .unwrap_or_else(|| "—".to_string()),
                    s.standard_weight
                ));
            }
        }
        out.push_str("\nFigure\n");
        match &self.figure {
            Some(f) => {
                out.push_str(&format!(
                    "  numerator {}  denominator {}  value {}  95 % CI {} – {}\n",
                    n(f.numerator),
                    n(f.denominator),
                    n(f.value),
                    n(f.ci_low),
                    n(f.ci_high)
                ));
                if let Some(reason) = &f.suppressed {
                    out.push_str(&format!("  not shown: {reason}\n"));
                }
            }
            None => out.push_str("  no figure for this unit\n"),
        }
        if !self.suppression.is_empty() {
            out.push_str("\nSuppression rules\n");
            for r in &self.suppression {
                out.push_str(&format!("  {} — {} ({})\n", r.rule, r.outcome, r.reason));
            }
        }
        out.push_str("\nMarkings\n");
        out.push_str(&format!(
            "  development: {}\n  level: {}\n",
            self.development.as_deref().unwrap_or("none"),
            self.level_marking.as_deref().unwrap_or("none")
        ));
        out
    }
}
