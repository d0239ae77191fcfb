//! Registers beyond the population core. The core model ([`crate::model`]) lives each person's
//! life (residence, admissions, diagnoses, prescriptions, death); a register reads that life and
//! writes the rows of its own extracts, so that a clinical database or a survey agrees with the
//! person's admissions and death without the core knowing of it.
//!
//! Each register draws from its own random stream per person (keyed by the seed, the person and
//! the register), so adding or changing one register leaves every other extract's bytes as
//! they were.

use crate::date::{self, Day};
use crate::model::{Model, Stay};
use crate::rng::{Balanced, Rng};

pub mod aggregates;
pub mod clinical;
pub mod labour;
pub mod patient_survey;
pub mod safety;
pub mod units;
pub mod waiting;

/// One extract file of a register.
#[derive(Debug, Clone, Copy)]
pub struct FileSpec {
    /// Path relative to the output directory.
    pub name: &'static str,
    /// The header line, without the newline; it must match the source declaration in `rules/`.
    pub header: &'static str,
    /// Zero-based column holding a municipality code, for the `--dirty` faults.
    pub muni_column: Option<usize>,
}

/// What a register sees of one simulated person, after the core has lived their life.
pub struct PersonLife<'a> {
    pub id: u64,
    pub male: bool,
    pub birth: Day,
    /// Day the person enters the population (1 January of the first year, or birth).
    pub start: Day,
    /// (from day, municipality index), in order.
    pub residences: &'a [(Day, usize)],
    pub death: Option<Day>,
    /// Underlying cause of death (an SKS code), when the death falls within the extracts.
    pub death_cause: Option<&'static str>,
    /// Hospital stays, sorted by admission.
    pub stays: &'a [Stay],
    /// Every registered diagnosis (day, SKS code), sorted.
    pub diagnoses: &'a [(Day, &'static str)],
    /// The person's mental disorder, if any: (SKS code, first registration).
    pub mental_disorder: Option<(&'static str, Day)>,
    /// Onset of dementia, if any (it may lie after the death or the extracts).
    pub dementia_onset: Option<Day>,
}

impl PersonLife<'_> {
    /// The municipality of residence on `day`.
    pub fn muni_at(&self, day: Day) -> usize {
        let mut m = self.residences[0].1;
        for &(from, r) in self.residences {
            if from <= day {
                m = r;
            } else {
                break;
            }
        }
        m
    }
    pub fn alive_on(&self, day: Day) -> bool {
        self.death.is_none_or(|d| d > day)
    }
    /// Alive and in the population on `day`.
    pub fn present_on(&self, day: Day) -> bool {
        self.start <= day && self.alive_on(day)
    }
    pub fn age_on(&self, day: Day) -> i32 {
        date::age(self.birth, day)
    }
}

/// A synthetic register: its files, and the rows it writes for each person.
pub trait Register: Send + Sync {
    fn files(&self) -> Vec<FileSpec>;
    /// Writes the person's rows. `rows.row(k)` starts a row of the register's `k`-th file.
    fn person(&self, model: &Model, life: &PersonLife, rng: &mut Rng, rows: &mut Rows);
    /// Rows not tied to persons (figures delivered already aggregated), written once after
    /// all persons.
    fn aggregate(&self, _model: &Model, _rng: &mut Rng, _rows: &mut Rows) {}
}

/// Every register, in the order of their files in the output. A new register goes last: its
/// index keys its random streams, so the others keep theirs.
pub fn all(model: &Model, data: &std::path::Path) -> Result<Vec<Box<dyn Register>>, String> {
    Ok(vec![
        Box::new(safety::Safety::new(model)?),
        Box::new(clinical::Clinical::new(model)?),
        Box::new(waiting::Waiting::new(model)?),
        Box::new(patient_survey::PatientSurvey::new(model)?),
        Box::new(labour::Labour::new(model)?),
        Box::new(aggregates::Aggregates::new(model)?),
        Box::new(units::Units::new(model, data)?),
    ])
}

/// The output buffers of one register within one unit of work.
pub struct Rows<'a> {
    pub(crate) files: &'a mut [Vec<u8>],
    pub(crate) counts: &'a mut [u64],
    pub(crate) specs: &'a [FileSpec],
    pub(crate) codes: &'a [Vec<u8>],
    pub(crate) dirty: f64,
    pub(crate) dirty_rng: &'a mut Rng,
    pub(crate) balanced: &'a mut Balanced,
}

impl<'a> Rows<'a> {
    /// An outcome the indicators tally, balanced with the unit of work's other draws of the
    /// same `key` ([`Balanced`]); the key's first element names the outcome within the register.
    pub fn balanced_chance(&mut self, key: [u64; 4], p: f64) -> bool {
        self.balanced.chance(key, p)
    }

    /// A uniform variate spread evenly with the unit of work's other variates of the same
    /// `key` ([`Balanced::uniform`]).
    pub fn balanced_uniform(&mut self, key: [u64; 4]) -> f64 {
        self.balanced.uniform(key)
    }

    /// Starts a row of the register's `file`-th file; fields are separated by commas and the
    /// row ends with [`Row::end`].
    pub fn row(&mut self, file: usize) -> Row<'_, 'a> {
        let start = self.files[file].len();
        Row {
            rows: self,
            file,
            start,
            first: true,
        }
    }
}

/// One row being written.
pub struct Row<'r, 'a> {
    rows: &'r mut Rows<'a>,
    file: usize,
    start: usize,
    first: bool,
}

impl Row<'_, '_> {
    fn sep(&mut self) -> &mut Vec<u8> {
        let buf = &mut self.rows.files[self.file];
        if !self.first {
            buf.push(b',');
        }
        self.first = false;
        buf
    }
    pub fn int(mut self, v: i64) -> Self {
        let s = v.to_string();
        self.sep().extend_from_slice(s.as_bytes());
        self
    }
    /// A decimal number with `places` decimals and a decimal point.
    pub fn dec(mut self, v: f64, places: usize) -> Self {
        let s = format!("{v:.places$}");
        self.sep().extend_from_slice(s.as_bytes());
        self
    }
    pub fn text(mut self, s: &str) -> Self {
        self.sep().extend_from_slice(s.as_bytes());
        self
    }
    pub fn day(mut self, d: Day) -> Self {
        date::push(self.sep(), d);
        self
    }
    /// A date, or an empty field (a missing value).
    pub fn opt_day(mut self, d: Option<Day>) -> Self {
        let buf = self.sep();
        if let Some(d) = d {
            date::push(buf, d);
        }
        self
    }
    pub fn bool(self, b: bool) -> Self {
        self.text(if b { "true" } else { "false" })
    }
    pub fn sex(self, male: bool) -> Self {
        self.text(if male { "M" } else { "F" })
    }
    /// A municipality by its index in the model.
    pub fn muni(mut self, m: usize) -> Self {
        let code = &self.rows.codes[m];
        let buf = &mut self.rows.files[self.file];
        if !self.first {
            buf.push(b',');
        }
        self.first = false;
        buf.extend_from_slice(code);
        self
    }
    /// An empty field: a missing value.
    pub fn empty(mut self) -> Self {
        self.sep();
        self
    }
    pub fn end(self) {
        let rows = self.rows;
        let buf = &mut rows.files[self.file];
        buf.push(b'\n');
        rows.counts[self.file] += 1;
        if rows.dirty > 0.0 && rows.dirty_rng.chance(rows.dirty) {
            crate::dirty::spoil(
                rows.dirty_rng,
                buf,
                self.start,
                rows.specs[self.file].muni_column,
            );
        }
    }
}
