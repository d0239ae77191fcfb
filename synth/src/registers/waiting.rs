//! (being written)

use super::{FileSpec, PersonLife, Register, Rows};
use crate::model::Model;
use crate::rng::Rng;

pub struct Waiting {}

impl Waiting {
    pub fn new(_model: &Model) -> Result<Waiting, String> {
        Ok(Waiting {})
    }
}

impl Register for Waiting {
    fn files(&self) -> Vec<FileSpec> {
        Vec::new()
    }
    fn person(&self, _model: &Model, _life: &PersonLife, _rng: &mut Rng, _rows: &mut Rows) {}
}
