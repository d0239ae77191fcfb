//! The population model: who lives where, who is admitted, who dies, who buys what.
//! Indicator knowledge lives here; the calibration targets come from `targets.csv`.

use crate::calibration::{Municipality, Targets, load_municipalities};
use crate::date::{self, Day};
use crate::registers::{self, FileSpec, PersonLife, Register, Rows};
use crate::rng::{Balanced, Rng, normal_quantile};
use std::path::Path;

/// The core's extract files, in the order of [`HEADERS`]; the registers add theirs after them
/// ([`Model::files`]).
pub const FILES: [&str; 8] = [
    "cpr_residents.csv",
    "lpr_admissions.csv",
    "lpr_diagnoses.csv",
    "lmdb_prescriptions.csv",
    "deaths.csv",
    "rehab_plans.csv",
    "rehab_services.csv",
    "health_profile.csv",
];

pub const HEADERS: [&str; 8] = [
    "person,snapshot_date,sex,birth_date,municipality",
    "person,admitted,discharged,acute,kind,diagnosis,sex,birth_date,municipality,drg_value,finished_days",
    "person,diagnosed,diagnosis",
    "person,dispensed,atc,prescriber",
    "person,death_date,sex,birth_date,municipality,cause",
    "plan,person,plan_date,municipality",
    "person,service_date",
    "respondent,person,interviewed,sex,age,municipality,survey_weight,daily_smoker,self_rated_health,mental_health_score",
];

/// Column of the municipality code in each file (for the `--dirty` faults).
pub const MUNI_COLUMN: [Option<usize>; 8] = [
    Some(4),
    Some(8),
    None,
    None,
    Some(4),
    Some(3),
    None,
    Some(5),
];

/// The keys of the balanced outcomes ([`Balanced`]): each is tallied by year (or its index)
/// and municipality, and some by age band, as the indicators that count it do.
mod outcome {
    pub const DEATH: u64 = 1;
    pub const PREVENTABLE: u64 = 2;
    pub const FINISHED_SOMATIC: u64 = 3;
    pub const FINISHED_PSYCHIATRIC: u64 = 4;
    pub const READMISSION_SOMATIC: u64 = 5;
    pub const READMISSION_PSYCHIATRIC: u64 = 6;
    pub const ANTIPSYCHOTIC: u64 = 7;
    pub const CARDIAC_CAUSE: u64 = 8;
    pub const RESPONSE: u64 = 9;
    pub const SMOKER: u64 = 10;
    pub const GOOD_HEALTH: u64 = 11;
    pub const LOW_MENTAL_HEALTH: u64 = 12;
    pub const OPIOID_USER: u64 = 13;
    pub const DRG: u64 = 14;
    pub const SOMATIC_DAYS: u64 = 15;
    pub const PSYCHIATRIC_DAYS: u64 = 16;
}

const CPR: usize = 0;
const ADM: usize = 1;
const DIAG: usize = 2;
const RX: usize = 3;
const DEATH: usize = 4;
const PLAN: usize = 5;
const SERVICE: usize = 6;
const PROFILE: usize = 7;

/// Waves of Den Nationale Sundhedsprofil.
const SURVEY_YEARS: [i32; 5] = [2010, 2013, 2017, 2021, 2023];
/// Days of follow-up after the last year in LPR and the rehabilitation services, so that
/// readmissions and first services of December are seen.
const FOLLOW_UP_DAYS: i32 = 30;
const SERVICE_FOLLOW_UP_DAYS: i32 = 120;

mod calibrate;
mod chunk;
mod codes;
mod medicines;
mod person;
mod rates;
mod stays;
mod survey;

pub use calibrate::Model;
use calibrate::*;
use chunk::*;
pub use chunk::{Chunk, ChunkOut, ChunkSim, Stay, chunks};
use codes::*;
use rates::*;
