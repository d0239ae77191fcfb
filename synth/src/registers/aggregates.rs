//! (being written)

use super::{FileSpec, PersonLife, Register, Rows};
use crate::model::Model;
use crate::rng::Rng;

pub struct Aggregates {}

impl Aggregates {
    pub fn new(_model: &Model) -> Result<Aggregates, String> {
        Ok(Aggregates {})
    }
}

impl Register for Aggregates {
    fn files(&self) -> Vec<FileSpec> {
        Vec::new()
    }
    fn person(&self, _model: &Model, _life: &PersonLife, _rng: &mut Rng, _rows: &mut Rows) {}
}
