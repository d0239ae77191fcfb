//! (being written)

use super::{FileSpec, PersonLife, Register, Rows};
use crate::model::Model;
use crate::rng::Rng;

pub struct Labour {}

impl Labour {
    pub fn new(_model: &Model) -> Result<Labour, String> {
        Ok(Labour {})
    }
}

impl Register for Labour {
    fn files(&self) -> Vec<FileSpec> {
        Vec::new()
    }
    fn person(&self, _model: &Model, _life: &PersonLife, _rng: &mut Rng, _rows: &mut Rows) {}
}
