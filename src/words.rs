//! The enumerated words of the rule language, each defined once: its variants, the word each is
//! written as, and the list of words ("did you mean" help and `--help` texts read that list).
//!
//! The grammar takes these as plain names, so the checker can say "did you mean"; the checker
//! parses them with `FromStr`, and the planner, evaluator and report use the enums. A word added
//! here makes every exhaustive `match` over its enum fail to compile until it is given a meaning.

use std::fmt;

use serde::{Serialize, Serializer};

/// A word that is not one of an enumeration's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    /// What was expected, e.g. "column type".
    pub what: &'static str,
    pub word: String,
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a {}", self.word, self.what)
    }
}

impl std::error::Error for UnknownWord {}

macro_rules! words {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every variant, in the order the words are listed.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every word, in the same order.
            pub const NAMES: &'static [&'static str] = &[$($word),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownWord;

            fn from_str(word: &str) -> Result<$name, UnknownWord> {
                match word {
                    $($word => Ok($name::$variant),)+
                    _ => Err(UnknownWord { what: $what, word: word.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

words! {
    /// The type a source declares for a column (`person: person`, `sex: category("M", "F")`).
    pub enum ColumnTypeName("column type") {
        Id = "id",
        Person = "person",
        Date = "date",
        Integer = "integer",
        Decimal = "decimal",
        Bool = "bool",
        Text = "text",
        Category = "category",
        Code = "code",
        Municipality = "municipality",
        Unit = "unit",
        Period = "period",
    }
}

words! {
    /// The kind of figure an indicator computes (`measure proportion`).
    pub enum MeasureName("measure kind") {
        Proportion = "proportion",
        Rate = "rate",
        Ratio = "ratio",
        Mean = "mean",
        Median = "median",
        Count = "count",
        Sum = "sum",
        LifeExpectancy = "life_expectancy",
        Derived = "derived",
        Reported = "reported",
        /// Listed without figures.
        NoFigures = "none",
    }
}

words! {
    /// The levels of the geography a figure is computed at.
    pub enum Level("level") {
        National = "national",
        Region = "region",
        Municipality = "municipality",
    }
}

words! {
    /// Which way an indicator improves (`improvement higher`).
    pub enum Direction("improvement direction") {
        Higher = "higher",
        Lower = "lower",
        None = "none",
    }
}

words! {
    /// A traffic-light marking of the report. No marking is `Option::None`, written `none`
    /// where a test expects it ([`NO_MARKING`]).
    pub enum Marking("marking") {
        Green = "green",
        Yellow = "yellow",
        Red = "red",
    }
}

/// How a test block and `indikator explain` write the absence of a marking.
pub const NO_MARKING: &str = "none";

#[cfg(test)]
mod tests {
    use super::*;

    /// Each enumeration's words round-trip through `FromStr` and `as_str`, and are distinct.
    fn round_trip<T>(all: &[T], names: &[&str])
    where
        T: Copy + PartialEq + fmt::Debug + fmt::Display + std::str::FromStr,
        <T as std::str::FromStr>::Err: fmt::Debug,
    {
        assert_eq!(all.len(), names.len());
        for (value, name) in all.iter().zip(names) {
            assert_eq!(value.to_string(), *name);
            assert_eq!(name.parse::<T>().unwrap(), *value);
        }
        let mut sorted = names.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "a word listed twice");
    }

    #[test]
    fn every_word_round_trips() {
        round_trip(ColumnTypeName::ALL, ColumnTypeName::NAMES);
        round_trip(MeasureName::ALL, MeasureName::NAMES);
        round_trip(Level::ALL, Level::NAMES);
        round_trip(Direction::ALL, Direction::NAMES);
        round_trip(Marking::ALL, Marking::NAMES);
    }

    #[test]
    fn an_unknown_word_is_an_error_naming_what_was_expected() {
        let err = "txt".parse::<ColumnTypeName>().unwrap_err();
        assert_eq!(err.to_string(), "`txt` is not a column type");
        assert!("National".parse::<Level>().is_err());
    }
}
