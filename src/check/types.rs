//! The types of values in rule expressions.

use std::fmt;
use std::rc::Rc;

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Bool,
    Integer,
    Decimal,
    Text,
    Category(Rc<Vec<String>>),
    Code(String),
    Date,
    Duration,
    Person,
    Id,
    Municipality,
    Unit,
    Period,
    List(Box<Ty>),
    /// The type of something already reported as wrong: it is compatible with everything, so
    /// one mistake gives one diagnostic.
    Unknown,
}

impl Ty {
    pub fn is_number(&self) -> bool {
        matches!(self, Ty::Integer | Ty::Decimal | Ty::Unknown)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Ty::Unknown)
    }

    /// Whether values of the two types can be compared with `==`.
    pub fn comparable(&self, other: &Ty) -> bool {
        use Ty::*;
        match (self, other) {
            (Unknown, _) | (_, Unknown) => true,
            (a, b) if a.is_number() && b.is_number() => true,
            (Text | Category(_) | Code(_), Text | Category(_) | Code(_)) => true,
            (Municipality | Unit, Integer | Municipality | Unit) => true,
            (Integer, Municipality | Unit) => true,
            // A person is a number private to the run (ids are numbered as they are read), so
            // it equals only another person; an id is text, equal to an id or a text.
            (Person, Person) => true,
            (Id, Id | Text) | (Text, Id) => true,
            (a, b) => a == b,
        }
    }

    /// Whether values of the two types can be ordered with `<`.
    pub fn orderable(&self, other: &Ty) -> bool {
        use Ty::*;
        match (self, other) {
            (Unknown, _) | (_, Unknown) => true,
            (a, b) if a.is_number() && b.is_number() => true,
            (Date, Date) | (Duration, Duration) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => f.write_str("a condition (true/false)"),
            Ty::Integer => f.write_str("a whole number"),
            Ty::Decimal => f.write_str("a number"),
            Ty::Text => f.write_str("text"),
            Ty::Category(_) => f.write_str("a category"),
            Ty::Code(system) => write!(f, "a {system} code"),
            Ty::Date => f.write_str("a date"),
            Ty::Duration => f.write_str("a duration"),
            Ty::Person => f.write_str("a person"),
            Ty::Id => f.write_str("an id"),
            Ty::Municipality => f.write_str("a municipality code"),
            Ty::Unit => f.write_str("a unit code"),
            Ty::Period => f.write_str("a period"),
            Ty::List(inner) => write!(f, "a list of {inner}"),
            Ty::Unknown => f.write_str("something"),
        }
    }
}
