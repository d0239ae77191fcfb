//! (being written)

use super::{FileSpec, PersonLife, Register, Rows};
use crate::model::Model;
use crate::rng::Rng;

pub struct Clinical {}

impl Clinical {
    pub fn new(_model: &Model) -> Result<Clinical, String> {
        Ok(Clinical {})
    }
}

impl Register for Clinical {
    fn files(&self) -> Vec<FileSpec> {
        Vec::new()
    }
    fn person(&self, _model: &Model, _life: &PersonLife, _rng: &mut Rng, _rows: &mut Rows) {}
}
