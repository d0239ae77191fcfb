//! Values of the evaluator and the symbol table shared by rules and data.

use std::collections::HashMap;

use crate::plan::Sym;

/// One value of one field of one row. Text of every kind (categories, codes, ids) is an
/// interned symbol, so equality is integer equality.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Missing,
    Bool(bool),
    Num(f64),
    /// Days since 1970-01-01.
    Date(i32),
    Sym(Sym),
    Person(u32),
    /// A municipality (its index in the geography) or, in aggregate sources, a unit code.
    Unit(u32),
    /// A span of time in days.
    Duration(f64),
}

impl Value {
    pub fn is_missing(self) -> bool {
        matches!(self, Value::Missing)
    }

    pub fn truthy(self) -> bool {
        matches!(self, Value::Bool(true))
    }

    pub fn number(self) -> Option<f64> {
        match self {
            Value::Num(n) | Value::Duration(n) => Some(n),
            Value::Date(d) => Some(d as f64),
            _ => None,
        }
    }
}

/// Interned text. Starts with the plan's symbols so literals in rules keep their numbers.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    map: HashMap<String, Sym>,
    strings: Vec<String>,
}

impl Interner {
    pub fn new(initial: &[String]) -> Interner {
        let mut interner = Interner::default();
        for s in initial {
            interner.intern(s);
        }
        interner
    }

    pub fn intern(&mut self, text: &str) -> Sym {
        if let Some(&s) = self.map.get(text) {
            return s;
        }
        let s = self.strings.len() as Sym;
        self.map.insert(text.to_string(), s);
        self.strings.push(text.to_string());
        s
    }

    pub fn get(&self, text: &str) -> Option<Sym> {
        self.map.get(text).copied()
    }

    pub fn text(&self, sym: Sym) -> &str {
        self.strings
            .get(sym as usize)
            .map(|s| s.as_str())
            .unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}
