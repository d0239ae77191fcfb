//! What an aggregation yields: each cell's sums ([`Acc`]) by slot (a municipality) and key,
//! before rolling up to units; and a unit's [`Figure`]. Data only: `super::measure` fills and
//! reads them.

use std::collections::BTreeMap;

use crate::plan::Sym;
use crate::stats::Interval;

/// One unit's figure for one period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figure {
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub interval: Option<Interval>,
    /// Why the figure is not shown; `None` when it is.
    pub suppressed: Option<String>,
}

/// Where a row lands: slot 0 holds rows with no municipality (they count for the country
/// only), slot `1 + m` municipality `m`.
pub type Slot = u32;

/// Sums of one cell: rows (or summed values) without and with weights.
#[derive(Debug, Clone, Copy, Default)]
pub struct Acc {
    pub n: f64,
    pub weighted: f64,
    pub weight_squares: f64,
    /// The sum of the squared (weighted) amounts: the variance of a sum of independent amounts
    /// (days, kroner) arriving as Poisson events.
    pub amount_squares: f64,
}

impl Acc {
    pub fn add(&mut self, amount: f64, weight: f64) {
        self.n += amount;
        self.weighted += amount * weight;
        self.weight_squares += weight * weight;
        self.amount_squares += (amount * weight).powi(2);
    }

    pub fn merge(&mut self, other: &Acc) {
        self.n += other.n;
        self.weighted += other.weighted;
        self.weight_squares += other.weight_squares;
        self.amount_squares += other.amount_squares;
    }
}

/// An aggregation's result for one period, before rolling up.
#[derive(Debug, Default)]
pub struct Cells {
    /// Per slot and key (a stratum, an age band, a tally group; empty when not divided).
    /// Ordered, so sums are always added in the same order and the figures are
    /// byte-identical from run to run.
    pub sums: BTreeMap<(Slot, Vec<Sym>), Acc>,
    /// For `count persons`: the (slot, key, person) triples, deduplicated per unit later.
    pub persons: Vec<(Slot, Vec<Sym>, u32)>,
    /// For means and medians: (slot, value, weight).
    pub values: Vec<(Slot, f64, f64)>,
    /// Rows with no municipality value though their rows have a residence column: they count
    /// for the national figure only, and are reported.
    pub without_residence: usize,
}
