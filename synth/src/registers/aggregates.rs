//! Figures that reach the report already aggregated by another body: the general
//! practitioners' medication records (Fælles Medicinkort), bed occupancy of the medical
//! departments (the regions), and relative 5-year cancer survival (the Danish Cancer Registry).
//! One row per region and period, and one for the whole country (unit 0) computed from them.

use super::{FileSpec, PersonLife, Register, Rows};
use crate::model::Model;
use crate::rng::Rng;

const MEDICATION: usize = 0;
const BEDS: usize = 1;
const SURVIVAL: usize = 2;

/// Share of the population with active medication in a general practice.
const ACTIVE_MEDICATION_SHARE: f64 = 0.55;
/// Normed beds of the medical departments per resident.
const MEDICAL_BEDS_PER_RESIDENT: f64 = 0.0011;
/// New cancer patients (excluding non-melanoma skin cancer) per resident and year.
const CANCER_INCIDENCE: f64 = 0.0065;
/// The last year of medication figures: the report's March 2024 figure.
const MEDICATION_LAST_YEAR: i32 = 2024;

pub struct Aggregates {}

impl Aggregates {
    pub fn new(_model: &Model) -> Result<Aggregates, String> {
        Ok(Aggregates {})
    }
}

/// Per region (in code order): its code, its share of the population, and one municipality of
/// it (whose calibration target is the region's where no municipal figure is published).
fn regions(model: &Model) -> Vec<(u32, f64, usize)> {
    let total: f64 = model.munis.iter().map(|m| m.population).sum();
    (0..model.region_count())
        .map(|r| {
            let first = model.region_members(r)[0];
            (
                model.munis[first].region,
                model.region_population(r) / total,
                first,
            )
        })
        .collect()
}

/// The count a delivering body reports for `n` cases at the rate `p`: these figures are the
/// published ones (the generator's truth) delivered as they are, so the count is the expected one,
/// not a draw around it.
fn delivered(n: f64, p: f64) -> f64 {
    (n * p.clamp(0.0, 1.0)).round()
}

impl Register for Aggregates {
    fn files(&self) -> Vec<FileSpec> {
        vec![
            FileSpec {
                name: "aggregates/gp_medication_records.csv",
                header: "unit,month,updated,patients,share",
                muni_column: None,
            },
            FileSpec {
                name: "aggregates/medical_bed_occupancy.csv",
                header: "unit,year,normed_bed_days,excess_bed_days,overcrowding",
                muni_column: None,
            },
            FileSpec {
                name: "aggregates/cancer_survival.csv",
                header: "unit,period,patients,survival",
                muni_column: None,
            },
        ]
    }

    fn person(&self, _model: &Model, _life: &PersonLife, _rng: &mut Rng, _rows: &mut Rows) {}

    fn aggregate(&self, model: &Model, _rng: &mut Rng, rows: &mut Rows) {
        let persons = model.persons as f64;
        let regions = regions(model);
        let target =
            |ind: &str, muni: usize, year: i32| model.target(ind, muni, year).unwrap_or(f64::NAN);
        let national = |ind: &str, year: i32| model.national_target(ind, year).unwrap_or(f64::NAN);

        for year in model.from..=MEDICATION_LAST_YEAR.max(model.to) {
            let month = format!("{year}-03");
            let mut patients_all = 0.0;
            for &(code, share, muni) in &regions {
                let patients = (persons * share * ACTIVE_MEDICATION_SHARE).round().max(1.0);
                let p = target("updated_medication_records", muni, year) / 100.0;
                let updated = delivered(patients, p);
                patients_all += patients;
                rows.row(MEDICATION)
                    .int(code as i64)
                    .text(&month)
                    .int(updated as i64)
                    .int(patients as i64)
                    .dec(100.0 * updated / patients, 2)
                    .end();
            }
            // The body publishes its national figure itself; it is not the population-weighted
            // mean of the regions.
            let updated_all = delivered(
                patients_all,
                national("updated_medication_records", year) / 100.0,
            );
            rows.row(MEDICATION)
                .int(0)
                .text(&month)
                .int(updated_all as i64)
                .int(patients_all as i64)
                .dec(100.0 * updated_all / patients_all, 2)
                .end();
        }

        for year in model.from..=model.to {
            let mut normed_all = 0.0;
            for &(code, share, muni) in &regions {
                let normed = (persons * share * MEDICAL_BEDS_PER_RESIDENT * 365.0)
                    .round()
                    .max(1.0);
                let p = target("medical_overcrowding", muni, year) / 100.0;
                let excess = delivered(normed, p);
                normed_all += normed;
                rows.row(BEDS)
                    .int(code as i64)
                    .text(&year.to_string())
                    .int(normed as i64)
                    .int(excess as i64)
                    .dec(100.0 * excess / normed, 2)
                    .end();
            }
            let excess_all = delivered(normed_all, national("medical_overcrowding", year) / 100.0);
            rows.row(BEDS)
                .int(0)
                .text(&year.to_string())
                .int(normed_all as i64)
                .int(excess_all as i64)
                .dec(100.0 * excess_all / normed_all, 2)
                .end();
        }

        // Three diagnosis years per figure, ending in each year from the third on.
        for last in model.from + 2..=model.to {
            let period = format!("{}..{last}", last - 2);
            let mut patients_all = 0.0;
            for &(code, share, muni) in &regions {
                let patients = (persons * share * CANCER_INCIDENCE * 3.0).round().max(1.0);
                let p = target("cancer_survival_5y", muni, last) / 100.0;
                let survival = 100.0 * delivered(patients, p) / patients;
                patients_all += patients;
                rows.row(SURVIVAL)
                    .int(code as i64)
                    .text(&period)
                    .int(patients as i64)
                    .dec(survival, 1)
                    .end();
            }
            let survival_all = 100.0
                * delivered(patients_all, national("cancer_survival_5y", last) / 100.0)
                / patients_all;
            rows.row(SURVIVAL)
                .int(0)
                .text(&period)
                .int(patients_all as i64)
                .dec(survival_all, 1)
                .end();
        }
    }
}
