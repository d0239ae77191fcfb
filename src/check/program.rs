//! The checked program: what the checker learnt while resolving a rule set, kept for the
//! planner so that no name is looked up twice.
//!
//! Every definition gets an id of its kind, numbered in definition order (files in order, then
//! definitions in each file), the numbering the plan uses. Sources carry their columns with
//! the column types they declare; indicators their measure kind. Every name in the rules that
//! refers to a definition (`from`, `of`, `persons of`, `over`, `in CODES`, `in COHORT`,
//! `using`, an indicator in a formula) is recorded, by the span of the name, with what it
//! resolved to: a [`Resolution`].
//!
//! The program refers to the syntax tree it was checked from ([`DefinitionAt`]); the planner
//! takes both.

use std::collections::HashMap;

use crate::plan::ir::{
    CodeListId, CohortId, ColumnType, IndicatorId, PopulationId, SourceId, StandardId,
};
use crate::source_db::Span;
use crate::syntax::ast::{self, Definition, RuleFile};
use crate::words::MeasureName;

/// The index of a goal, in definition order.
pub type GoalId = usize;

/// What a name resolved to: a definition, by kind and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    Goal(GoalId),
    Source(SourceId),
    CodeList(CodeListId),
    Cohort(CohortId),
    Population(PopulationId),
    Standard(StandardId),
    Indicator(IndicatorId),
}

impl Resolution {
    /// The kind of definition, as the rules call it.
    pub fn kind_name(self) -> &'static str {
        match self {
            Resolution::Goal(_) => "goal",
            Resolution::Source(_) => "source",
            Resolution::CodeList(_) => "code list",
            Resolution::Cohort(_) => "cohort",
            Resolution::Population(_) => "population",
            Resolution::Standard(_) => "standard",
            Resolution::Indicator(_) => "indicator",
        }
    }
}

/// What a field name over rows resolved to: a column of the rows' root source, or a `let`
/// field of the rows (inherited ones first, as the plan numbers them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Column(usize),
    Let(usize),
}

/// Where a definition is in the syntax tree: the file's index and the definition's index in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefinitionAt {
    pub file: usize,
    pub index: usize,
}

impl DefinitionAt {
    /// The definition in the files the program was checked from; `None` if these are other
    /// files.
    pub fn get(self, files: &[RuleFile]) -> Option<&Definition> {
        files.get(self.file)?.definitions.get(self.index)
    }
}

/// One definition of the program: its name and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Defined {
    pub name: String,
    pub at: DefinitionAt,
}

/// A column of a source with the type it declares; `None` when the declared type is not one
/// (reported by the checker).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub ty: Option<ColumnType>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceDef {
    pub defined: Defined,
    pub columns: Vec<ColumnDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorDef {
    pub defined: Defined,
    /// The measure kind of its `measure` clause; `None` without one or when the word is not a
    /// measure kind (reported by the checker).
    pub measure: Option<MeasureName>,
}

/// A rule set after the checker: definitions by kind and id, and what every reference to a
/// definition resolved to.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Program {
    pub goals: Vec<Defined>,
    pub sources: Vec<SourceDef>,
    pub code_lists: Vec<Defined>,
    pub cohorts: Vec<Defined>,
    pub populations: Vec<Defined>,
    pub standards: Vec<Defined>,
    pub indicators: Vec<IndicatorDef>,
    /// Every definition by name (the first of a name; a second is a checker error).
    names: HashMap<String, Resolution>,
    /// What each name that refers to a definition resolved to, by the name's span.
    references: HashMap<Span, Resolution>,
    /// What each field name resolved to, by the name's span and whose rows it was read over
    /// (one stratum expression is read over a numerator's rows and a denominator's).
    fields: HashMap<(Span, Resolution), Field>,
}

impl Program {
    /// Numbers a definition. A name defined twice keeps its first definition (the second is
    /// reported by the checker); `None` then.
    pub(super) fn define(&mut self, def: &Definition, at: DefinitionAt) -> Option<Resolution> {
        let name = def.name().name.clone();
        if self.names.contains_key(&name) {
            return None;
        }
        let defined = Defined {
            name: name.clone(),
            at,
        };
        let id = match def {
            Definition::Goal(_) => {
                self.goals.push(defined);
                Resolution::Goal(self.goals.len() - 1)
            }
            Definition::Source(s) => {
                self.sources.push(SourceDef {
                    defined,
                    columns: s
                        .columns
                        .iter()
                        .map(|c| ColumnDef {
                            name: c.name.name.clone(),
                            ty: super::column_type(&c.ty),
                        })
                        .collect(),
                });
                Resolution::Source(self.sources.len() - 1)
            }
            Definition::Codes(_) => {
                self.code_lists.push(defined);
                Resolution::CodeList(self.code_lists.len() - 1)
            }
            Definition::Cohort(_) => {
                self.cohorts.push(defined);
                Resolution::Cohort(self.cohorts.len() - 1)
            }
            Definition::Population(_) => {
                self.populations.push(defined);
                Resolution::Population(self.populations.len() - 1)
            }
            Definition::Standard(_) => {
                self.standards.push(defined);
                Resolution::Standard(self.standards.len() - 1)
            }
            Definition::Indicator(_) => {
                self.indicators.push(IndicatorDef {
                    defined,
                    measure: None,
                });
                Resolution::Indicator(self.indicators.len() - 1)
            }
        };
        self.names.insert(name, id);
        Some(id)
    }

    /// The definition a name stands for.
    pub fn definition(&self, name: &str) -> Option<Resolution> {
        self.names.get(name).copied()
    }

    /// Records what a name in the rules resolved to.
    pub(super) fn resolve(&mut self, name: &ast::Ident) {
        if let Some(&id) = self.names.get(name.name.as_str()) {
            self.references.insert(name.span, id);
        }
    }

    /// What a name in the rules resolved to, if the checker resolved it.
    pub fn resolution(&self, name: &ast::Ident) -> Option<Resolution> {
        self.references.get(&name.span).copied()
    }

    /// Records what a field name resolved to over the rows of `rows`.
    pub(super) fn resolve_field(&mut self, name: Span, rows: Resolution, field: Field) {
        self.fields.insert((name, rows), field);
    }

    /// What a field name resolved to over the rows of `rows`, if the checker resolved it.
    pub fn field(&self, name: &ast::Ident, rows: Resolution) -> Option<Field> {
        self.fields.get(&(name.span, rows)).copied()
    }

    /// How many names were resolved, for tests.
    pub fn reference_count(&self) -> usize {
        self.references.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source_db::FileId;
    use crate::syntax::ast::{ClauseKind, ExprKind, InTarget};

    const RULES: &str = r#"
source visits {
  file "visits.csv"
  columns {
    person:       person
    day:          date
    diagnosis:    code(icd10)
    municipality: municipality
    kind:         category("a", "b")
  }
}

codes asthma icd10 {
  "DJ45*"
}

population asthma_visits {
  from visits
  where diagnosis in asthma and day in period
  let visit_year = year(day)
  where visit_year >= 2020
}

indicator asthma_count {
  title "Visits for asthma"
  goal care
  unit "visits"
  improvement lower
  levels national
  period 2023
  measure count
  numerator count of asthma_visits
}

goal care {
  title "Care"
}
"#;

    fn checked() -> (RuleFile, Program) {
        let (file, problems) = crate::syntax::parse_file(FileId(0), RULES);
        assert!(problems.is_empty(), "{problems:?}");
        let files = vec![file];
        let (program, _, diagnostics) = crate::check::check(&files);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let file = files.into_iter().next().expect("one file");
        (file, program)
    }

    #[test]
    fn definitions_are_numbered_by_kind_with_typed_columns_and_measures() {
        let (_, program) = checked();
        assert_eq!(program.definition("visits"), Some(Resolution::Source(0)));
        assert_eq!(program.definition("asthma"), Some(Resolution::CodeList(0)));
        assert_eq!(
            program.definition("asthma_visits"),
            Some(Resolution::Population(0))
        );
        assert_eq!(
            program.definition("asthma_count"),
            Some(Resolution::Indicator(0))
        );
        assert_eq!(program.definition("nothing"), None);
        let types: Vec<Option<ColumnType>> = program.sources[0]
            .columns
            .iter()
            .map(|c| c.ty.clone())
            .collect();
        assert_eq!(
            types,
            vec![
                Some(ColumnType::Person),
                Some(ColumnType::Date),
                Some(ColumnType::Code),
                Some(ColumnType::Municipality),
                Some(ColumnType::Category(vec!["a".to_string(), "b".to_string()])),
            ]
        );
        assert_eq!(program.indicators[0].measure, Some(MeasureName::Count));
        assert_eq!(
            program.populations[0].at,
            DefinitionAt { file: 0, index: 2 }
        );
    }

    #[test]
    fn every_name_of_a_definition_records_what_it_resolved_to() {
        let (file, program) = checked();
        let Definition::Population(p) = &file.definitions[2] else {
            panic!("the third definition is the population");
        };
        assert_eq!(program.resolution(&p.from[0]), Some(Resolution::Source(0)));
        let ExprKind::Binary(_, left, _) = &p.filters[0].kind else {
            panic!("an `and`");
        };
        let ExprKind::In {
            target: InTarget::Name(codes),
            ..
        } = &left.kind
        else {
            panic!("`diagnosis in asthma`");
        };
        assert_eq!(program.resolution(codes), Some(Resolution::CodeList(0)));
        let Definition::Indicator(i) = &file.definitions[3] else {
            panic!("the fourth definition is the indicator");
        };
        let over = i
            .clauses
            .iter()
            .find_map(|c| match &c.kind {
                ClauseKind::Numerator(a) => Some(&a.over),
                _ => None,
            })
            .expect("a numerator");
        assert_eq!(program.resolution(over), Some(Resolution::Population(0)));
        // `diagnosis` is the third column of `visits`, read over the population's rows;
        // `visit_year` its first `let`.
        let rows = Resolution::Population(0);
        let ExprKind::In { value, .. } = &left.kind else {
            panic!("`diagnosis in asthma`");
        };
        let ExprKind::Name(diagnosis) = &value.kind else {
            panic!("`diagnosis`");
        };
        assert_eq!(program.field(diagnosis, rows), Some(Field::Column(2)));
        assert_eq!(program.field(diagnosis, Resolution::Source(0)), None);
        let ExprKind::Binary(_, visit_year, _) = &p.filters[1].kind else {
            panic!("`visit_year >= 2020`");
        };
        let ExprKind::Name(visit_year) = &visit_year.kind else {
            panic!("`visit_year`");
        };
        assert_eq!(program.field(visit_year, rows), Some(Field::Let(0)));
        // The population's `from`, the code list and the numerator's rows: nothing else names
        // a definition.
        assert_eq!(program.reference_count(), 3);
    }
}
