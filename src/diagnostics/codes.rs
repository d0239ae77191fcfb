//! The catalogue of diagnostic codes. Codes are stable: a code, once published, keeps its
//! meaning, so that documentation, search results and tools that filter on codes stay true.

macro_rules! codes {
    ($($variant:ident = $id:literal, $title:literal, $explanation:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable identifier, such as `E0202`.
            pub fn id(self) -> &'static str {
                match self { $(Code::$variant => $id),* }
            }

            /// A short name for the problem.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title),* }
            }

            /// A longer explanation of when the diagnostic is given and how to fix it.
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$variant => $explanation),* }
            }

            pub fn from_id(id: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.id().eq_ignore_ascii_case(id))
            }
        }
    };
}

codes! {
    UnexpectedInput = "E0101", "unexpected input",
        "The parser met something it cannot read at this place. The label says what it expected \
         instead; the help line lists the clauses or operators that may stand there.";
    MisspeltKeyword = "E0102", "unknown keyword",
        "A word at the start of a definition or clause is not a keyword of the language. It is \
         usually a misspelling; the help line suggests the nearest keyword.";
    SingleEquals = "E0103", "`=` used to compare",
        "Comparisons are written with `==` (as in R and Python). A single `=` only gives a name to \
         something, as in `let age = age(birth_date, admitted)`.";
    StrayEquals = "E0104", "`=` after a clause keyword",
        "Clauses are written as the keyword followed by its value, without `=`: `title \"…\"`, \
         `decimals 1`.";
    SqlNotEqual = "E0105", "`<>` used for not equal",
        "Write `!=` for not equal. `<>` is SQL and SAS syntax.";
    UppercaseOperator = "E0106", "upper-case logical operator",
        "The logical operators are lower-case: `and`, `or`, `not`.";
    DecimalComma = "E0107", "decimal comma",
        "Numbers use a decimal point: `0.5`, not `0,5`. The comma separates items of a list.";
    SmartQuotes = "E0108", "typographic quotes",
        "Text is written between straight double quotes `\"…\"`. Word processors replace them \
         with typographic quotes (“…”), which the language does not accept.";
    UnterminatedString = "E0109", "unterminated text",
        "A text value starts with `\"` but the line ends before the closing `\"`. Text values \
         cannot span several lines.";
    UnclosedBrace = "E0110", "unclosed block",
        "A block opened with `{` (or a list opened with `(` or `[`) is not closed before the next \
         definition or the end of the file.";
    UnmatchedClose = "E0111", "unmatched closing bracket",
        "A `}`, `)` or `]` closes nothing, or closes a bracket of another kind.";
    NonAsciiName = "E0112", "letters outside a-z in a name",
        "Names of sources, columns, populations and indicators use the letters a-z, digits and \
         `_`, so that they can be used from any tool. Write `ae`, `oe`, `aa` for æ, ø, å. Danish \
         text belongs in titles and descriptions, between quotes.";
    TooDeeplyNested = "E0113", "too deeply nested",
        "Brackets are nested more deeply than the language allows (64 levels). Split the \
         expression with `let`.";
    SingleQuotes = "E0114", "single quotes around text",
        "Text is written between double quotes: `\"somatic\"`. Single quotes are SQL's way and \
         are not accepted.";
    NotUtf8 = "E0120", "rule file not in UTF-8",
        "Rule files are read as UTF-8, the encoding of every current editor. A file saved in \
         another encoding (Latin-1 or Windows-1252 by older Windows tools, UTF-16 by some \
         spreadsheet programs) would otherwise turn `æ`, `ø` and `å` in titles and footnotes into \
         wrong letters in the report. The message names the encoding the file appears to be in \
         and the first byte that is not UTF-8; convert the file with `iconv -f latin1 -t utf-8 \
         FILE` (or `-f cp1252`, `-f utf-16`), or save it as UTF-8 from the editor.";
    DuplicateDefinition = "E0201", "duplicate definition",
        "Two definitions have the same name. Names of sources, code lists, cohorts, populations, \
         standards, goals and indicators share one namespace across all rule files of a rule set.";
    UnknownColumn = "E0202", "unknown column",
        "An expression names a column that the source (or population) does not have. The help \
         line suggests the nearest column name.";
    UnknownSource = "E0203", "unknown source",
        "A relation (`exists(x in NAME …)`) or a test's `given NAME` names a source that is not \
         declared in any rule file of the rule set. (An unknown `from` or `persons of` is E0208.)";
    UnknownCodeList = "E0204", "unknown code list",
        "`in NAME` tests a code against a code list, or a person against a cohort; NAME is \
         neither.";
    UnknownFunction = "E0206", "unknown function",
        "The function is not one of the language's functions (age, days, hours, years, year, \
         month, band, coalesce, earliest, latest).";
    UnknownIndicator = "E0207", "unknown indicator",
        "A derived indicator refers to an indicator that does not exist.";
    UnknownPopulation = "E0208", "unknown population",
        "`of NAME` must name a population or a source.";
    UnknownGoal = "E0209", "unknown goal",
        "An indicator's `goal` must name a goal declared with `goal NAME { … }`.";
    UnknownStandard = "E0210", "unknown standard population",
        "`standardise … using NAME` must name a `standard` definition, or be `national` for the \
         national distribution of the indicator's own denominator.";
    UnknownName = "E0211", "unknown name",
        "A name is not known where it stands: in an expression, not a column, a `let` or a row \
         bound by a relation; in a test, not a suppression reason of the indicator or not a \
         marking (green, yellow, red, none).";
    DuplicateField = "E0212", "duplicate column or field",
        "A source declares the same column twice (or names it twice in one `unique` or `one … \
         per …` clause), a population defines a `let` with the name of \
         an existing column or field, or an indicator defines two tallies of the same name.";
    WrongKind = "E0213", "wrong kind of definition",
        "The name exists but is the wrong kind of definition for this place, such as a code list \
         where a population is needed.";
    TypeMismatch = "E0301", "type mismatch",
        "A value has a type that does not fit where it stands: the two sides of an operator \
         cannot be combined (a date compared with a number), a weight or sum that is not a \
         number, a `residence` that is not a municipality column, or `decimals` outside 0-6.";
    NotBoolean = "E0302", "condition is not true/false",
        "A `where`, `when` or `and`/`or`/`not` needs a condition (true or false), such as \
         `age >= 65`.";
    UnknownType = "E0303", "unknown column type",
        "Column types are: id, person, date, integer, decimal, bool, text, \
         category(\"a\", \"b\", …), code(system), municipality, unit, period.";
    UnknownCategoryValue = "E0304", "value outside the category",
        "A category column is compared with a value that is not among its declared values.";
    UnknownLevel = "E0305", "unknown level",
        "Levels are `national`, `region` and `municipality`.";
    InvalidDate = "E0306", "impossible date",
        "A date literal names a day that does not exist, such as 2023-02-30 or 2023-13-01.";
    CodeSystemMismatch = "E0307", "code system mismatch",
        "A code column of one system (such as icd10) is tested against a code list of another \
         (such as atc).";
    BadArguments = "E0308", "wrong arguments to a function",
        "The function was given the wrong number or kind of arguments.";
    UnknownMeasure = "E0309", "unknown measure kind",
        "Measure kinds are: proportion, rate, ratio, mean, median, count, sum, life_expectancy, \
         derived and reported.";
    UnknownDirection = "E0310", "unknown improvement direction",
        "`improvement` is `higher` (higher is better), `lower` (lower is better) or `none`.";
    InvalidCode = "E0311", "malformed code pattern",
        "Entries of a code list are codes, prefixes ending in `*`, or ranges `\"A\"..\"B\"`. A `*` \
         may only stand at the end, and a range's start must not come after its end.";
    NoPersonColumn = "E0312", "no person column",
        "Cohorts and `of same person` relations need a column of type `person` in the sources \
         they link.";
    PathOutsideData = "E0313", "file outside the data directory",
        "A source's file is named relative to the data directory given to `indikator run`. An \
         absolute path or one with `..` could read files outside it, so it is refused.";
    NoResidence = "E0314", "rows without a municipality",
        "An indicator computed for regions or municipalities counts rows whose unit cannot be \
         told: their source has no column of type `municipality`, or several and the population \
         does not say which with `residence COLUMN`.";
    ConstraintType = "E0315", "constraint does not fit the column's type",
        "A source declares what its columns' values must satisfy. A range `in LOW..HIGH` bounds a \
         number, so it fits only an `integer` or `decimal` column. `require A OP B` compares two \
         columns of one kind: two numbers, two dates, or (with `==` and `!=` only) two columns \
         of the same other type.";
    InvalidRange = "E0316", "impossible range",
        "A range `in LOW..HIGH` needs at least one bound (`in 0..`, `in ..100`, `in 0..24`), and \
         its low bound must not be above its high bound. Both bounds are included.";
    OutOfRange = "E0330", "value out of range",
        "A number, duration or date written in the rules, or computed from literals alone, lies \
         outside what indikator can compute with: a number of 10^308 or more, a duration longer \
         than the calendar (0000-01-01 to 9999-12-31, 3,652,424 days), or a day outside that \
         calendar, such as `2023-01-01 + 99999999 years`. A date computed from data that leaves \
         the calendar is missing; one computed from literals is refused here. A rate's `per` \
         factor is a positive number of at most 1,000,000,000.";
    MissingPart = "E0401", "measure is missing a part",
        "Each measure kind requires certain parts: a proportion, rate or ratio needs a numerator \
         and a denominator, and a rate its `per` factor; a mean or median a `value … of …`; a life \
         expectancy `deaths`, `exposure`, `ages` and `at age`; a derived indicator a `value` \
         formula, a reported one a `value … of` an aggregate source. A `tally … by` needs `min` or \
         `max`, and an `expect` for a region or municipality needs the unit's code.";
    MissingClause = "E0402", "definition is missing a clause",
        "A definition lacks a clause it cannot do without: every indicator needs a title, goal, \
         unit, improvement direction, levels, period and measure (a `hidden` helper only levels, \
         period and measure); a source needs a `file` and `columns`, an aggregate source a `unit` \
         and a `period` column; a goal a `title`; a population and a standard a `from`; a cohort \
         `persons of`.";
    UnusedPart = "E0403", "part not used by this measure",
        "The clause has no meaning for the indicator's measure kind, so it would be silently \
         ignored. Remove it, or change the measure kind.";
    RepeatedClause = "E0404", "clause given twice",
        "A clause that takes one value is given more than once in the same block.";
    InvalidStandardisation = "E0405", "invalid standardisation",
        "Direct standardisation applies to proportions and rates computed from rows, and its \
         strata must match those of the standard population.";
    ThresholdName = "E0406", "name not available in a suppression rule",
        "Suppression conditions are evaluated on a computed figure, so they can use `numerator`, \
         `denominator`, `value`, the indicator's tallies and `area` (the unit's code), not \
         columns of the data.";
    NotInFigures = "E0420", "not available among the figures",
        "A suppression rule and a derived indicator's formula are computed from figures, not \
         from rows: a suppression rule sees the unit's `numerator`, `denominator`, `value`, \
         `area` and the indicator's tallies, compared with numbers and joined by `and`, `or` \
         and `not` (`is missing` and `in [...]` too); a formula combines other indicators' \
         figures and numbers with `+`, `-`, `*` and `/`. Dates, durations, text and functions \
         such as `days(…)` belong in populations and `where` conditions.";
    LevelNotComputed = "E0407", "level not computed",
        "The indicator is not computed at this level: add the level to `levels`, or remove the \
         reference.";
    DependencyCycle = "E0501", "dependency cycle",
        "Definitions depend on each other in a loop, so none of them can be computed first. The \
         message lists the whole loop.";
    InvalidPeriod = "E0502", "invalid period",
        "Periods are a year (`2023`), a range of years (`2019..2023`) or a month (`2024-03`). A \
         range must not end before it starts.";
    InvalidComparison = "E0503", "invalid comparison period",
        "The comparison period must be of the same kind and length as the report period and lie \
         before it.";
    TestFailed = "E0701", "rule test failed",
        "An `expect` in a rule file's test block does not hold: the figure the rules compute from \
         the test's `given` rows differs from the expectation. A number is met when the figure \
         rounds to it at the decimals written (`value 33.3` is met by 33.333…).";
    TestRowShape = "E0601", "test row does not match its columns",
        "Each row of a `given` table has one value per listed column.";
    TestValueType = "E0602", "test value of the wrong type",
        "A value in a `given` table does not fit the column's declared type.";
}
