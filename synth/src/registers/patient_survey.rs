//! (being written)

use super::{FileSpec, PersonLife, Register, Rows};
use crate::model::Model;
use crate::rng::Rng;

pub struct PatientSurvey {}

impl PatientSurvey {
    pub fn new(_model: &Model) -> Result<PatientSurvey, String> {
        Ok(PatientSurvey {})
    }
}

impl Register for PatientSurvey {
    fn files(&self) -> Vec<FileSpec> {
        Vec::new()
    }
    fn person(&self, _model: &Model, _life: &PersonLife, _rng: &mut Rng, _rows: &mut Rows) {}
}
