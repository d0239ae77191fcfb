//! One example for each diagnostic code, for `indikator explain-error`: the smallest rule file
//! of `tests/ui/` that makes the checker give the code, with the shared prelude it relies on.
//! The examples are the snapshot cases themselves, so an example can never go stale.

use super::Code;

/// The rule files every example is checked together with.
pub const PRELUDE: &[(&str, &str)] = &[
    (
        "tests/ui/_prelude/codes.ind",
        include_str!("../../tests/ui/_prelude/codes.ind"),
    ),
    (
        "tests/ui/_prelude/goals.ind",
        include_str!("../../tests/ui/_prelude/goals.ind"),
    ),
    (
        "tests/ui/_prelude/indicators.ind",
        include_str!("../../tests/ui/_prelude/indicators.ind"),
    ),
    (
        "tests/ui/_prelude/populations.ind",
        include_str!("../../tests/ui/_prelude/populations.ind"),
    ),
    (
        "tests/ui/_prelude/sources.ind",
        include_str!("../../tests/ui/_prelude/sources.ind"),
    ),
];

/// The example of a rule file that is not UTF-8.
const LATIN1_EXAMPLE: &str = "tests/ui/rule_file_in_latin1.ind";

/// The example rule file for a code as its bytes: the text of [`example`], or for a code
/// about encodings the file as it is on disk.
pub fn example_bytes(code: Code) -> &'static [u8] {
    match code {
        Code::NotUtf8 => include_bytes!("../../tests/ui/rule_file_in_latin1.ind"),
        _ => example(code).1.as_bytes(),
    }
}

/// The example rule file for a code: its name and text.
pub fn example(code: Code) -> (&'static str, &'static str) {
    match code {
        Code::ConstraintType => (
            "tests/ui/range_on_text_column.ind",
            include_str!("../../tests/ui/range_on_text_column.ind"),
        ),
        Code::InvalidRange => (
            "tests/ui/range_reversed.ind",
            include_str!("../../tests/ui/range_reversed.ind"),
        ),
        Code::UnexpectedInput => (
            "tests/ui/stray_semicolon.ind",
            include_str!("../../tests/ui/stray_semicolon.ind"),
        ),
        Code::MisspeltKeyword => (
            "tests/ui/misspelt_clause_keyword.ind",
            include_str!("../../tests/ui/misspelt_clause_keyword.ind"),
        ),
        Code::SingleEquals => (
            "tests/ui/sql_single_equals.ind",
            include_str!("../../tests/ui/sql_single_equals.ind"),
        ),
        Code::StrayEquals => (
            "tests/ui/stray_equals_in_clause.ind",
            include_str!("../../tests/ui/stray_equals_in_clause.ind"),
        ),
        Code::SqlNotEqual => (
            "tests/ui/sql_not_equal.ind",
            include_str!("../../tests/ui/sql_not_equal.ind"),
        ),
        Code::UppercaseOperator => (
            "tests/ui/uppercase_and.ind",
            include_str!("../../tests/ui/uppercase_and.ind"),
        ),
        Code::DecimalComma => (
            "tests/ui/decimal_comma_threshold.ind",
            include_str!("../../tests/ui/decimal_comma_threshold.ind"),
        ),
        Code::SmartQuotes => (
            "tests/ui/smart_quotes_title.ind",
            include_str!("../../tests/ui/smart_quotes_title.ind"),
        ),
        Code::UnterminatedString => (
            "tests/ui/unterminated_string.ind",
            include_str!("../../tests/ui/unterminated_string.ind"),
        ),
        Code::UnclosedBrace => (
            "tests/ui/missing_closing_brace.ind",
            include_str!("../../tests/ui/missing_closing_brace.ind"),
        ),
        Code::UnmatchedClose => (
            "tests/ui/unmatched_close_paren.ind",
            include_str!("../../tests/ui/unmatched_close_paren.ind"),
        ),
        Code::NonAsciiName => (
            "tests/ui/danish_letters_in_name.ind",
            include_str!("../../tests/ui/danish_letters_in_name.ind"),
        ),
        Code::TooDeeplyNested => (
            "tests/ui/too_deeply_nested.ind",
            include_str!("../../tests/ui/too_deeply_nested.ind"),
        ),
        Code::SingleQuotes => (
            "tests/ui/sql_single_quotes.ind",
            include_str!("../../tests/ui/sql_single_quotes.ind"),
        ),
        // Not UTF-8, so it is not text to Rust: see `example_bytes`.
        Code::NotUtf8 => (LATIN1_EXAMPLE, ""),
        Code::DuplicateDefinition => (
            "tests/ui/duplicate_indicator_same_file.ind",
            include_str!("../../tests/ui/duplicate_indicator_same_file.ind"),
        ),
        Code::UnknownColumn => (
            "tests/ui/unknown_column_suggestion.ind",
            include_str!("../../tests/ui/unknown_column_suggestion.ind"),
        ),
        Code::UnknownSource => (
            "tests/ui/unknown_source_in_relation.ind",
            include_str!("../../tests/ui/unknown_source_in_relation.ind"),
        ),
        Code::UnknownCodeList => (
            "tests/ui/unknown_code_list.ind",
            include_str!("../../tests/ui/unknown_code_list.ind"),
        ),
        Code::UnknownFunction => (
            "tests/ui/unknown_function.ind",
            include_str!("../../tests/ui/unknown_function.ind"),
        ),
        Code::UnknownIndicator => (
            "tests/ui/unknown_indicator_in_formula.ind",
            include_str!("../../tests/ui/unknown_indicator_in_formula.ind"),
        ),
        Code::UnknownPopulation => (
            "tests/ui/unknown_population.ind",
            include_str!("../../tests/ui/unknown_population.ind"),
        ),
        Code::UnknownGoal => (
            "tests/ui/unknown_goal.ind",
            include_str!("../../tests/ui/unknown_goal.ind"),
        ),
        Code::UnknownStandard => (
            "tests/ui/unknown_standard.ind",
            include_str!("../../tests/ui/unknown_standard.ind"),
        ),
        Code::UnknownName => (
            "tests/ui/test_unknown_suppression_reason.ind",
            include_str!("../../tests/ui/test_unknown_suppression_reason.ind"),
        ),
        Code::DuplicateField => (
            "tests/ui/duplicate_column.ind",
            include_str!("../../tests/ui/duplicate_column.ind"),
        ),
        Code::WrongKind => (
            "tests/ui/code_list_used_as_population.ind",
            include_str!("../../tests/ui/code_list_used_as_population.ind"),
        ),
        Code::TypeMismatch => (
            "tests/ui/date_compared_with_number.ind",
            include_str!("../../tests/ui/date_compared_with_number.ind"),
        ),
        Code::NotBoolean => (
            "tests/ui/where_condition_not_boolean.ind",
            include_str!("../../tests/ui/where_condition_not_boolean.ind"),
        ),
        Code::UnknownType => (
            "tests/ui/unknown_column_type.ind",
            include_str!("../../tests/ui/unknown_column_type.ind"),
        ),
        Code::UnknownCategoryValue => (
            "tests/ui/unknown_category_value.ind",
            include_str!("../../tests/ui/unknown_category_value.ind"),
        ),
        Code::UnknownLevel => (
            "tests/ui/unknown_level.ind",
            include_str!("../../tests/ui/unknown_level.ind"),
        ),
        Code::InvalidDate => (
            "tests/ui/impossible_date.ind",
            include_str!("../../tests/ui/impossible_date.ind"),
        ),
        Code::CodeSystemMismatch => (
            "tests/ui/code_list_wrong_system.ind",
            include_str!("../../tests/ui/code_list_wrong_system.ind"),
        ),
        Code::BadArguments => (
            "tests/ui/function_wrong_arguments.ind",
            include_str!("../../tests/ui/function_wrong_arguments.ind"),
        ),
        Code::UnknownMeasure => (
            "tests/ui/unknown_measure_kind.ind",
            include_str!("../../tests/ui/unknown_measure_kind.ind"),
        ),
        Code::UnknownDirection => (
            "tests/ui/unknown_improvement_direction.ind",
            include_str!("../../tests/ui/unknown_improvement_direction.ind"),
        ),
        Code::InvalidCode => (
            "tests/ui/code_star_not_at_end.ind",
            include_str!("../../tests/ui/code_star_not_at_end.ind"),
        ),
        Code::NoPersonColumn => (
            "tests/ui/relation_without_person_column.ind",
            include_str!("../../tests/ui/relation_without_person_column.ind"),
        ),
        Code::PathOutsideData => (
            "tests/ui/source_file_outside_data.ind",
            include_str!("../../tests/ui/source_file_outside_data.ind"),
        ),
        Code::NoResidence => (
            "tests/ui/rows_without_municipality.ind",
            include_str!("../../tests/ui/rows_without_municipality.ind"),
        ),
        Code::OutOfRange => (
            "tests/ui/date_plus_years_beyond_calendar.ind",
            include_str!("../../tests/ui/date_plus_years_beyond_calendar.ind"),
        ),
        Code::MissingPart => (
            "tests/ui/proportion_without_numerator.ind",
            include_str!("../../tests/ui/proportion_without_numerator.ind"),
        ),
        Code::MissingClause => (
            "tests/ui/indicator_without_measure.ind",
            include_str!("../../tests/ui/indicator_without_measure.ind"),
        ),
        Code::UnusedPart => (
            "tests/ui/value_on_proportion.ind",
            include_str!("../../tests/ui/value_on_proportion.ind"),
        ),
        Code::RepeatedClause => (
            "tests/ui/repeated_title.ind",
            include_str!("../../tests/ui/repeated_title.ind"),
        ),
        Code::InvalidStandardisation => (
            "tests/ui/standardise_median.ind",
            include_str!("../../tests/ui/standardise_median.ind"),
        ),
        Code::ThresholdName => (
            "tests/ui/suppress_on_data_column.ind",
            include_str!("../../tests/ui/suppress_on_data_column.ind"),
        ),
        Code::NotInFigures => (
            "tests/ui/suppress_on_a_date.ind",
            include_str!("../../tests/ui/suppress_on_a_date.ind"),
        ),
        Code::LevelNotComputed => (
            "tests/ui/at_level_not_in_levels.ind",
            include_str!("../../tests/ui/at_level_not_in_levels.ind"),
        ),
        Code::DependencyCycle => (
            "tests/ui/population_from_cycle.ind",
            include_str!("../../tests/ui/population_from_cycle.ind"),
        ),
        Code::InvalidPeriod => (
            "tests/ui/period_month_13.ind",
            include_str!("../../tests/ui/period_month_13.ind"),
        ),
        Code::InvalidComparison => (
            "tests/ui/compare_after_report.ind",
            include_str!("../../tests/ui/compare_after_report.ind"),
        ),
        Code::TestRowShape => (
            "tests/ui/test_row_wrong_arity.ind",
            include_str!("../../tests/ui/test_row_wrong_arity.ind"),
        ),
        Code::TestValueType => (
            "tests/ui/test_value_wrong_type.ind",
            include_str!("../../tests/ui/test_value_wrong_type.ind"),
        ),
        Code::TestFailed => ("example.ind", TEST_FAILED),
    }
}

/// A rule test that does not hold (E0701 comes from `indikator test`, not from the checker).
const TEST_FAILED: &str = r#"# The test expects three visits in 2023, but the 2022 visit is outside the period.

goal g { title "Goal" }

source visits {
  file "visits.csv"
  columns { person: person  day: date  municipality: municipality }
}

population in_period { from visits where day in period }

indicator visit_count {
  title "Visits"
  goal g
  unit "antal"
  improvement none
  levels national, municipality
  period 2023
  measure count
  numerator count of in_period
  test "visits in the year" {
    given visits (person, day, municipality) {
      (1, 2023-01-01, 101)
      (2, 2023-05-01, 101)
      (3, 2022-05-01, 101)
    }
    expect national { value 3 }   # indikator test: value: expected 3, got 2
  }
}
"#;
