//! (being written)

use super::{FileSpec, PersonLife, Register, Rows};
use crate::model::Model;
use crate::rng::Rng;

pub struct Safety {}

impl Safety {
    pub fn new(_model: &Model) -> Result<Safety, String> {
        Ok(Safety {})
    }
}

impl Register for Safety {
    fn files(&self) -> Vec<FileSpec> {
        Vec::new()
    }
    fn person(&self, _model: &Model, _life: &PersonLife, _rng: &mut Rng, _rows: &mut Rows) {}
}
