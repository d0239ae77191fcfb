//! What each measure kind needs. The table is the single place that says which parts a kind
//! requires and which it accepts; the checker and the documentation both read it.

use crate::words::MeasureName;

/// Parts of an indicator that feed its measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Numerator,
    Denominator,
    Deaths,
    Exposure,
    Ages,
    /// `value EXPR of POPULATION`: a value per row of a population.
    ValueOver,
    /// `value EXPR`: a formula over other indicators.
    ValueFormula,
    Weight,
    Standardise,
}

impl Part {
    pub fn keyword(self) -> &'static str {
        match self {
            Part::Numerator => "numerator",
            Part::Denominator => "denominator",
            Part::Deaths => "deaths",
            Part::Exposure => "exposure",
            Part::Ages => "ages",
            Part::ValueOver | Part::ValueFormula => "value",
            Part::Weight => "weight",
            Part::Standardise => "standardise",
        }
    }

    /// An example of the part, for help lines.
    pub fn example(self) -> &'static str {
        match self {
            Part::Numerator => "numerator count of POPULATION where CONDITION",
            Part::Denominator => "denominator count of POPULATION",
            Part::Deaths => "deaths count of POPULATION",
            Part::Exposure => "exposure count of POPULATION",
            Part::Ages => "ages band(age, 0, 1, 5, 10)",
            Part::ValueOver => "value EXPRESSION of POPULATION",
            Part::ValueFormula => "value INDICATOR_A / INDICATOR_B",
            Part::Weight => "weight COLUMN",
            Part::Standardise => "standardise by sex, band(age, 0, 50) using national",
        }
    }
}

pub struct MeasureKind {
    pub kind: MeasureName,
    pub required: &'static [Part],
    pub optional: &'static [Part],
    /// `rate per 1000`
    pub needs_per: bool,
    /// `life_expectancy at age 0`
    pub needs_age: bool,
    /// The value reads an aggregate source rather than rows.
    pub reads_aggregate: bool,
    pub summary: &'static str,
}

use Part::*;

pub const MEASURES: &[MeasureKind] = &[
    MeasureKind {
        kind: MeasureName::Proportion,
        required: &[Numerator, Denominator],
        optional: &[Weight, Standardise],
        needs_per: false,
        needs_age: false,
        reads_aggregate: false,
        summary: "100 × numerator ÷ denominator, in per cent",
    },
    MeasureKind {
        kind: MeasureName::Rate,
        required: &[Numerator, Denominator],
        optional: &[Weight, Standardise],
        needs_per: true,
        needs_age: false,
        reads_aggregate: false,
        summary: "numerator ÷ denominator × the `per` factor",
    },
    MeasureKind {
        kind: MeasureName::Ratio,
        required: &[Numerator, Denominator],
        optional: &[Weight],
        needs_per: false,
        needs_age: false,
        reads_aggregate: false,
        summary: "numerator ÷ denominator",
    },
    MeasureKind {
        kind: MeasureName::Mean,
        required: &[ValueOver],
        optional: &[Weight],
        needs_per: false,
        needs_age: false,
        reads_aggregate: false,
        summary: "the (weighted) mean of a value over a population",
    },
    MeasureKind {
        kind: MeasureName::Median,
        required: &[ValueOver],
        optional: &[],
        needs_per: false,
        needs_age: false,
        reads_aggregate: false,
        summary: "the median of a value over a population",
    },
    MeasureKind {
        kind: MeasureName::Count,
        required: &[Numerator],
        optional: &[],
        needs_per: false,
        needs_age: false,
        reads_aggregate: false,
        summary: "the numerator itself",
    },
    MeasureKind {
        kind: MeasureName::Sum,
        required: &[Numerator],
        optional: &[],
        needs_per: false,
        needs_age: false,
        reads_aggregate: false,
        summary: "the numerator itself, a sum",
    },
    MeasureKind {
        kind: MeasureName::LifeExpectancy,
        required: &[Deaths, Exposure, Ages],
        optional: &[],
        needs_per: false,
        needs_age: true,
        reads_aggregate: false,
        summary: "expected remaining years of life at an age, by a life table",
    },
    MeasureKind {
        kind: MeasureName::Derived,
        required: &[ValueFormula],
        optional: &[],
        needs_per: false,
        needs_age: false,
        reads_aggregate: false,
        summary: "a formula over other indicators' figures",
    },
    MeasureKind {
        kind: MeasureName::Reported,
        required: &[ValueOver],
        optional: &[Numerator, Denominator],
        needs_per: false,
        needs_age: false,
        reads_aggregate: true,
        summary: "a figure delivered already aggregated by another body",
    },
    MeasureKind {
        kind: MeasureName::NoFigures,
        required: &[],
        optional: &[],
        needs_per: false,
        needs_age: false,
        reads_aggregate: false,
        summary: "no figures this year: the indicator is listed with empty cells (say why in a footnote)",
    },
];

pub fn find(name: &str) -> Option<&'static MeasureKind> {
    let kind = name.parse::<MeasureName>().ok()?;
    MEASURES.iter().find(|m| m.kind == kind)
}

impl MeasureKind {
    pub fn name(&self) -> &'static str {
        self.kind.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_entry_per_measure_word_in_its_order() {
        let kinds: Vec<MeasureName> = MEASURES.iter().map(|m| m.kind).collect();
        assert_eq!(kinds, MeasureName::ALL);
    }
}
