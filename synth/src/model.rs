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

// ---------------------------------------------------------------------------------------------
// Age patterns (model assumptions, not calibration targets).

/// Baseline mortality hazard per year (Gompertz-Makeham above 15), before municipal scaling.
fn base_hazard(male: bool, age: f64) -> f64 {
    if age < 1.0 {
        if male { 0.0036 } else { 0.0030 }
    } else if age < 15.0 {
        0.00012
    } else if male {
        (0.0004 + 3.95e-5 * (0.0905 * age).exp()).min(0.8)
    } else {
        (0.0002 + 2.15e-5 * (0.0934 * age).exp()).min(0.8)
    }
}

/// Dementia onset: Gompertz hazard from age 60.
const DEMENTIA_H0: f64 = 0.0005;
const DEMENTIA_BETA: f64 = 0.13;
const DEMENTIA_MORTALITY: f64 = 1.8;

fn dementia_prevalence(age: f64) -> f64 {
    if age < 60.0 {
        0.0
    } else {
        1.0 - (-(DEMENTIA_H0 / DEMENTIA_BETA) * ((DEMENTIA_BETA * (age - 60.0)).exp() - 1.0)).exp()
    }
}

/// Psychiatric conditions: (ICD-10 code, lifetime share, onset ages, acute admissions per year,
/// median length of stay, selected for the excess-mortality cohort).
struct Condition {
    code: &'static str,
    share: f64,
    onset: (i32, i32),
    admissions: f64,
    los: f64,
    selected: bool,
}

const CONDITIONS: [Condition; 9] = [
    Condition {
        code: "DF200",
        share: 0.007,
        onset: (18, 35),
        admissions: 0.45,
        los: 20.0,
        selected: true,
    },
    Condition {
        code: "DF250",
        share: 0.001,
        onset: (18, 40),
        admissions: 0.4,
        los: 18.0,
        selected: true,
    },
    Condition {
        code: "DF300",
        share: 0.0005,
        onset: (20, 45),
        admissions: 0.35,
        los: 14.0,
        selected: true,
    },
    Condition {
        code: "DF311",
        share: 0.005,
        onset: (20, 45),
        admissions: 0.3,
        los: 18.0,
        selected: true,
    },
    Condition {
        code: "DF332",
        share: 0.008,
        onset: (25, 60),
        admissions: 0.15,
        los: 14.0,
        selected: true,
    },
    Condition {
        code: "DF321",
        share: 0.012,
        onset: (18, 60),
        admissions: 0.08,
        los: 10.0,
        selected: false,
    },
    Condition {
        code: "DF102",
        share: 0.006,
        onset: (25, 55),
        admissions: 0.25,
        los: 5.0,
        selected: false,
    },
    Condition {
        code: "DF603",
        share: 0.004,
        onset: (18, 35),
        admissions: 0.3,
        los: 6.0,
        selected: false,
    },
    Condition {
        code: "DF431",
        share: 0.005,
        onset: (20, 60),
        admissions: 0.06,
        los: 5.0,
        selected: false,
    },
];
const SELECTED_SHARE_ADULTS: f64 = 0.02;

/// Acute somatic admissions per person-year by age.
fn somatic_rate(age: i32) -> f64 {
    match age {
        0 => 0.35,
        1..=4 => 0.15,
        5..=14 => 0.05,
        15..=44 => 0.06,
        45..=59 => 0.08,
        60..=69 => 0.12,
        70..=79 => 0.2,
        80..=89 => 0.35,
        _ => 0.5,
    }
}

fn planned_rate(age: i32) -> f64 {
    match age {
        0..=14 => 0.01,
        15..=44 => 0.03,
        45..=64 => 0.05,
        65..=84 => 0.08,
        _ => 0.04,
    }
}

/// Relative readmission risk by age (normalised over the national discharge mix).
fn readmission_age_factor(age: i32) -> f64 {
    match age {
        0..=14 => 0.6,
        15..=44 => 0.8,
        45..=64 => 0.95,
        65..=79 => 1.1,
        _ => 1.25,
    }
}

/// Relative daily-smoking propensity by age and sex.
fn smoking_factor(age: i32, male: bool) -> f64 {
    let a = match age {
        0..=24 => 0.6,
        25..=34 => 0.9,
        35..=44 => 1.0,
        45..=54 => 1.3,
        55..=64 => 1.35,
        65..=74 => 1.0,
        _ => 0.55,
    };
    a * if male { 1.1 } else { 0.9 }
}

fn good_health_factor(age: i32) -> f64 {
    match age {
        0..=24 => 1.05,
        25..=44 => 1.08,
        45..=64 => 1.0,
        65..=74 => 0.95,
        _ => 0.8,
    }
}

// ---- Calibration bases: what the model gives with every calibrated factor at 1, measured
// ---- over a 400,000-person run and corrected once by the national run (2023, see
// ---- docs/validation.md), so that a factor target / base hits the target.

/// Mean length of a somatic stay, days.
const BASE_MEAN_LOS: f64 = 3.69;
/// Somatic finished-treatment days per 1,000 residents with [`SOMATIC_FINISHED_SHARE`].
const BASE_SOMATIC_FINISHED: f64 = 9.64;
const SOMATIC_FINISHED_SHARE: f64 = 0.08;
/// Psychiatric finished-treatment days per 1,000 residents with [`PSYCHIATRIC_FINISHED_SHARE`].
const BASE_PSYCHIATRIC_FINISHED: f64 = 1.36;
const PSYCHIATRIC_FINISHED_SHARE: f64 = 0.05;
/// Acute somatic stays per 1,000 residents aged 65+.
const BASE_ACUTE_65: f64 = 231.0;
/// Deaths per resident and year.
const BASE_CRUDE_DEATH_RATE: f64 = 0.0101;
/// Share of #43's cohort (25-year-olds with a mental disorder) that has a youth disorder; the
/// rest have one of the adult conditions early. Measured as the part of the municipal volume
/// tilt that reached the regional figures when only the youth disorders were tilted.
const YOUTH_DISORDER_COHORT_SHARE: f64 = 0.7;

/// Diagnoses of the avoidable acute admissions of the elderly (pneumonia and lower respiratory
/// infection, urinary infection, dehydration, constipation, gastroenteritis, fractures,
/// nutritional anaemia, pressure ulcers), with their mix.
const PREVENTABLE_DIAGNOSES: [(&str, f64); 8] = [
    ("DJ189", 0.36),
    ("DN390", 0.24),
    ("DS720", 0.12),
    ("DE869", 0.1),
    ("DK590", 0.06),
    ("DA099", 0.05),
    ("DD509", 0.03),
    ("DL899", 0.04),
];

fn is_chronic(code: &str) -> bool {
    code.starts_with("DE11") || code.starts_with("DJ44")
}

fn is_preventable(code: &str) -> bool {
    PREVENTABLE_DIAGNOSES.iter().any(|(c, _)| *c == code)
}

/// Heart disease as underlying cause of death (ischaemic heart disease, heart failure, atrial
/// fibrillation, cardiac arrest, cardiomyopathy).
const CARDIAC_CAUSES: [(&str, f64); 6] = [
    ("DI251", 0.35),
    ("DI219", 0.25),
    ("DI500", 0.2),
    ("DI480", 0.1),
    ("DI469", 0.05),
    ("DI429", 0.05),
];

fn is_cardiac(code: &str) -> bool {
    code.starts_with("DI2") && code < "DI26" || code.starts_with("DI4") || code.starts_with("DI5")
}

/// The share of cardiac causes among deaths by age, relative to all deaths.
fn cardiac_age_factor(age: i32) -> f64 {
    match age {
        ..=44 => 0.15,
        45..=74 => 0.9,
        _ => 1.1,
    }
}

/// Mental disorders first diagnosed in childhood and youth, by child and adolescent psychiatry
/// (ADHD, anxiety, depression, autism, conduct and eating disorders): the share of persons with
/// one by age 25, and the mix. They are outpatient diagnoses here, without admissions.
const YOUTH_DISORDER_SHARE: f64 = 0.15;
const YOUTH_DISORDERS: [(&str, f64); 6] = [
    ("DF900", 0.3),
    ("DF419", 0.2),
    ("DF321", 0.2),
    ("DF840", 0.12),
    ("DF919", 0.1),
    ("DF500", 0.08),
];

/// Type 2 diabetes and COPD: yearly incidence by age (piecewise), their first registration codes.
fn diabetes_incidence(age: f64) -> f64 {
    match age as i32 {
        ..=29 => 0.0002,
        30..=49 => 0.003,
        50..=64 => 0.008,
        _ => 0.01,
    }
}
fn copd_incidence(age: f64) -> f64 {
    match age as i32 {
        ..=44 => 0.0,
        45..=64 => 0.003,
        _ => 0.007,
    }
}
const DIABETES_CODES: [(&str, f64); 3] = [("DE119", 0.6), ("DE110", 0.25), ("DE116", 0.15)];
const COPD_CODES: [(&str, f64); 3] = [("DJ449", 0.7), ("DJ441", 0.2), ("DJ448", 0.1)];
/// DRG value of a somatic stay: log-normal with this spread around its median.
const DRG_SIGMA: f64 = 0.8;
/// Only stays under this DRG value count towards the chronic patients' hospital activity.
const DRG_CAP: f64 = 75_000.0;
/// Somatic stays per person-year of a person with type 2 diabetes or COPD, measured.
const BASE_CHRONIC_STAYS: f64 = 0.257;

/// Antibiotics redeemed per person-year by age, relative to the population average.
fn antibiotic_age_factor(age: i32) -> f64 {
    match age {
        ..=4 => 1.7,
        5..=14 => 0.8,
        15..=64 => 0.85,
        65..=79 => 1.2,
        _ => 1.8,
    }
}
const ANTIBIOTICS: [(&str, f64); 8] = [
    ("J01CE02", 0.35),
    ("J01CA04", 0.2),
    ("J01CR02", 0.1),
    ("J01FA09", 0.08),
    ("J01XE01", 0.1),
    ("J01EA01", 0.07),
    ("J01MA02", 0.05),
    ("J01AA02", 0.05),
];
/// Opioid users per expected user: above 1 because persons who enter or die during the year
/// count as residents of the whole year (measured).
const BASE_OPIOID_USERS: f64 = 1.029;
/// Share of opioid users by age, relative to the population average.
fn opioid_age_factor(age: i32) -> f64 {
    match age {
        ..=17 => 0.0,
        18..=44 => 0.5,
        45..=64 => 1.2,
        65..=79 => 1.8,
        _ => 2.5,
    }
}
const OPIOIDS: [(&str, f64); 5] = [
    ("N02AJ13", 0.35),
    ("N02AX02", 0.25),
    ("N02AA05", 0.2),
    ("N02AE01", 0.1),
    ("N02AB03", 0.1),
];

/// Expected DRG value below [`DRG_CAP`] of a log-normal stay with median `m`.
fn capped_drg_mean(m: f64) -> f64 {
    let z = ((DRG_CAP / m).ln() - DRG_SIGMA * DRG_SIGMA) / DRG_SIGMA;
    m * (DRG_SIGMA * DRG_SIGMA / 2.0).exp() * normal_cdf(z)
}

fn normal_cdf(z: f64) -> f64 {
    // Abramowitz-Stegun 7.1.26 on erf; plenty for a calibration median.
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + y)
    } else {
        0.5 * (1.0 - y)
    }
}

/// The DRG median for the stays of chronic patients that gives `target` kroner per patient-year.
fn chronic_drg_median(target: f64) -> f64 {
    let per_stay = target / BASE_CHRONIC_STAYS;
    let (mut lo, mut hi): (f64, f64) = (100.0, 1_000_000.0);
    for _ in 0..60 {
        let mid = (lo * hi).sqrt();
        if capped_drg_mean(mid) < per_stay {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Share with a low mental-health score (SF-12 mental component below [`LOW_MENTAL_SCORE`])
/// relative to the 16-24-year-olds, whose share is the calibration target.
fn low_mental_health_factor(age: i32) -> f64 {
    match age {
        ..=24 => 1.0,
        25..=44 => 0.6,
        45..=64 => 0.45,
        _ => 0.4,
    }
}

/// The cut-off of a low score on the SF-12 mental component scale in Den Nationale
/// Sundhedsprofil (the lowest fifth of the adult population in 2010).
const LOW_MENTAL_SCORE: f64 = 35.76;

/// Survey response propensity by age and sex.
fn response(age: i32, male: bool) -> f64 {
    let a = match age {
        0..=24 => 0.4,
        25..=44 => 0.45,
        45..=64 => 0.6,
        65..=79 => 0.7,
        _ => 0.5,
    };
    a * if male { 0.9 } else { 1.0 }
}

fn moving_rate(age: i32) -> f64 {
    match age {
        18..=29 => 0.08,
        30..=44 => 0.04,
        _ => 0.015,
    }
}

fn fertility(age: i32) -> f64 {
    match age {
        15..=19 => 0.002,
        20..=24 => 0.025,
        25..=29 => 0.09,
        30..=34 => 0.12,
        35..=39 => 0.055,
        40..=44 => 0.01,
        _ => 0.0,
    }
}

/// Seasonality of acute admissions and deaths (January..December), max 1.
const SEASON: [f64; 12] = [
    1.0, 0.98, 0.94, 0.89, 0.85, 0.8, 0.79, 0.8, 0.85, 0.89, 0.94, 0.98,
];

fn somatic_diagnoses(age: i32) -> &'static [(&'static str, f64)] {
    match age {
        0..=14 => &[
            ("DJ069", 0.2),
            ("DA099", 0.2),
            ("DR509", 0.15),
            ("DJ189", 0.1),
            ("DS060", 0.1),
            ("DJ210", 0.1),
            ("DK359", 0.05),
            ("DS525", 0.1),
        ],
        15..=64 => &[
            ("DR074", 0.15),
            ("DR104", 0.15),
            ("DK359", 0.08),
            ("DS828", 0.08),
            ("DJ189", 0.08),
            ("DK802", 0.06),
            ("DI219", 0.06),
            ("DI480", 0.06),
            ("DN390", 0.05),
            ("DS069", 0.05),
            ("DR559", 0.05),
            ("DI639", 0.04),
            ("DE119", 0.03),
            ("DJ441", 0.03),
            ("DA419", 0.03),
        ],
        _ => &[
            ("DJ189", 0.15),
            ("DN390", 0.1),
            ("DJ441", 0.1),
            ("DI500", 0.08),
            ("DI639", 0.07),
            ("DI480", 0.07),
            ("DS720", 0.06),
            ("DI219", 0.06),
            ("DR074", 0.06),
            ("DE869", 0.05),
            ("DR296", 0.05),
            ("DA419", 0.05),
            ("DR559", 0.04),
            ("DK922", 0.04),
            ("DS065", 0.02),
        ],
    }
}

fn planned_diagnoses(age: i32) -> &'static [(&'static str, f64)] {
    match age {
        0..=14 => &[("DJ350", 0.5), ("DH650", 0.3), ("DK409", 0.2)],
        15..=54 => &[
            ("DK409", 0.2),
            ("DK802", 0.2),
            ("DM511", 0.2),
            ("DC509", 0.15),
            ("DN800", 0.15),
            ("DS832", 0.1),
        ],
        _ => &[
            ("DM170", 0.2),
            ("DM161", 0.2),
            ("DC509", 0.1),
            ("DC189", 0.1),
            ("DI251", 0.1),
            ("DN400", 0.1),
            ("DC619", 0.1),
            ("DK409", 0.1),
        ],
    }
}

fn median_los(diag: &str, age: i32) -> f64 {
    match diag {
        "DS720" => 8.0,
        "DI639" => 6.0,
        "DA419" => 7.0,
        "DI500" => 5.0,
        "DJ189" | "DJ441" => 4.0,
        "DM161" | "DM170" => 2.0,
        "DC509" | "DC189" | "DC619" => 4.0,
        _ => match age {
            0..=14 => 1.0,
            15..=64 => 2.0,
            _ => 3.0,
        },
    }
}

fn rehab_plan_probability(diag: &str, age: i32) -> f64 {
    match diag {
        "DS720" => 0.85,
        "DM161" | "DM170" => 0.7,
        "DI639" => 0.6,
        "DS828" | "DS525" | "DS832" => 0.3,
        _ => match age {
            0..=44 => 0.01,
            45..=64 => 0.03,
            65..=79 => 0.08,
            _ => 0.12,
        },
    }
}

fn death_causes(age: i32) -> &'static [(&'static str, f64)] {
    match age {
        0 => &[("DP072", 0.5), ("DQ249", 0.3), ("DR959", 0.2)],
        1..=44 => &[
            ("DX700", 0.2),
            ("DV892", 0.2),
            ("DC509", 0.1),
            ("DC349", 0.1),
            ("DX420", 0.15),
            ("DI219", 0.1),
            ("DC719", 0.15),
        ],
        45..=74 => &[
            ("DC349", 0.15),
            ("DI251", 0.1),
            ("DI219", 0.08),
            ("DC189", 0.07),
            ("DJ449", 0.07),
            ("DC259", 0.05),
            ("DC509", 0.05),
            ("DI639", 0.05),
            ("DK703", 0.04),
            ("DC619", 0.04),
            ("DE119", 0.03),
            ("DX700", 0.02),
            ("DC159", 0.05),
            ("DC649", 0.05),
            ("DI500", 0.05),
        ],
        _ => &[
            ("DI251", 0.12),
            ("DJ449", 0.1),
            ("DI639", 0.08),
            ("DJ189", 0.08),
            ("DC349", 0.08),
            ("DI500", 0.08),
            ("DC619", 0.05),
            ("DR54", 0.06),
            ("DI219", 0.06),
            ("DC189", 0.05),
            ("DN179", 0.04),
            ("DI480", 0.04),
            ("DE119", 0.04),
            ("DA419", 0.04),
            ("DS720", 0.02),
        ],
    }
}

const DEMENTIA_CODES: [(&str, f64); 7] = [
    ("DF009", 0.12),
    ("DF001", 0.08),
    ("DF019", 0.15),
    ("DF039", 0.3),
    ("DG309", 0.2),
    ("DG301", 0.1),
    ("DF029", 0.05),
];
const ANTIPSYCHOTICS: [(&str, f64); 5] = [
    ("N05AH04", 0.45),
    ("N05AX08", 0.3),
    ("N05AH03", 0.15),
    ("N05AD01", 0.05),
    ("N05AX12", 0.05),
];
const ANTIDEMENTIA: [(&str, f64); 3] = [("N06DA02", 0.6), ("N06DX01", 0.25), ("N06DA04", 0.15)];
const ANTIDEPRESSANTS: [(&str, f64); 4] = [
    ("N06AB10", 0.35),
    ("N06AB04", 0.25),
    ("N06AX11", 0.25),
    ("N06AX16", 0.15),
];

// ---------------------------------------------------------------------------------------------

/// Everything shared by the chunks: geography, the initial age distribution and the calibrated
/// per-municipality, per-year parameters.
pub struct Model {
    pub from: i32,
    pub to: i32,
    pub munis: Vec<Municipality>,
    codes: Vec<Vec<u8>>,
    nat_cum: Vec<f64>,
    /// per municipality: (members of its region, cumulative population)
    region_of: Vec<usize>,
    regions: Vec<(Vec<usize>, Vec<f64>)>,
    /// (male, age from, age to, weight) from the national distribution
    age_cells: Vec<AgeCell>,
    age_cum: Vec<f64>,
    male_share_by_age: Vec<f64>,
    // [municipality][year - from]
    readm_som: Vec<Vec<f64>>,
    readm_psy: Vec<Vec<f64>>,
    rehab_median: Vec<Vec<f64>>,
    antipsychotic: Vec<Vec<f64>>,
    smoking: Vec<Vec<f64>>,
    good_health: Vec<Vec<f64>>,
    low_mental_health: Vec<Vec<f64>>,
    los_factor: Vec<Vec<f64>>,
    somatic_finished: Vec<Vec<f64>>,
    psychiatric_finished: Vec<Vec<f64>>,
    preventable: Vec<Vec<f64>>,
    cardiac: Vec<Vec<f64>>,
    chronic_drg_median: Vec<Vec<f64>>,
    antibiotics: Vec<Vec<f64>>,
    opioids: Vec<Vec<f64>>,
    antibiotic_norm: f64,
    opioid_norm: f64,
    /// Per municipality: relative volume of the young with a mental disorder (#43's cohort).
    youth_disorder_tilt: Vec<f64>,
    /// Per municipality: relative volume of rehabilitation plans.
    rehab_plan_tilt: Vec<f64>,
    /// Population weights by single year of age 0-110, sexes pooled.
    population_by_age: Vec<f64>,
    /// Persons asked for (the scale of the aggregate figures).
    pub persons: u64,
    pub mortality_scale: Vec<Vec<f64>>,
    excess: Vec<f64>,
    survey_fraction: Vec<f64>,
    readm_norm: f64,
    smoking_norm: f64,
    health_norm: f64,
    targets: Targets,
    /// The registers beyond the core, and the index of each one's first file in [`Model::files`].
    registers: Vec<(Box<dyn Register>, usize)>,
    /// Every extract file: the core's, then each register's.
    files: Vec<FileSpec>,
}

/// (male, first age, last age; last < first for the open band)
type AgeCell = (bool, i32, i32);

fn read_age_distribution(data: &Path) -> Result<(Vec<AgeCell>, Vec<f64>), String> {
    let path = data.join("reference/population_national_sex_age5.csv");
    let mut rdr = csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        let year: i32 = rec[0]
            .parse()
            .map_err(|_| format!("{}: bad year", path.display()))?;
        rows.push((
            year,
            &rec[2] == "M",
            rec[4].parse::<i32>().unwrap_or(0),
            rec[5].parse::<i32>().unwrap_or(-1),
            rec[6].parse::<f64>().unwrap_or(0.0),
        ));
    }
    let first = rows
        .iter()
        .map(|r| r.0)
        .min()
        .ok_or_else(|| format!("{}: empty", path.display()))?;
    let mut cells = Vec::new();
    let mut cum = Vec::new();
    let mut total = 0.0;
    for (y, male, lo, hi, pop) in rows {
        if y != first {
            continue;
        }
        total += pop;
        cells.push((male, lo, hi));
        cum.push(total);
    }
    Ok((cells, cum))
}

impl Model {
    pub fn load(data: &Path, from: i32, to: i32) -> Result<Model, String> {
        let munis = load_municipalities(data)?;
        let targets = Targets::load(data)?;
        let (age_cells, age_cum) = read_age_distribution(data)?;
        let n = munis.len();
        let years: Vec<i32> = (from..=to).collect();

        let mut nat_cum = Vec::with_capacity(n);
        let mut acc = 0.0;
        for m in &munis {
            acc += m.population;
            nat_cum.push(acc);
        }
        let mut region_codes: Vec<u32> = munis.iter().map(|m| m.region).collect();
        region_codes.sort();
        region_codes.dedup();
        let region_of: Vec<usize> = munis
            .iter()
            .map(|m| region_codes.binary_search(&m.region).unwrap_or(0))
            .collect();
        let regions: Vec<(Vec<usize>, Vec<f64>)> = (0..region_codes.len())
            .map(|r| {
                let members: Vec<usize> = (0..n).filter(|&i| region_of[i] == r).collect();
                let mut acc = 0.0;
                let cum = members
                    .iter()
                    .map(|&i| {
                        acc += munis[i].population;
                        acc
                    })
                    .collect();
                (members, cum)
            })
            .collect();

        // Population weights by single year of age (bands spread evenly; 85+ over 85-99).
        let mut pop_by_age = vec![[0.0f64; 2]; 111];
        let mut prev = 0.0;
        for (k, &(male, lo, hi)) in age_cells.iter().enumerate() {
            let w = age_cum[k] - prev;
            prev = age_cum[k];
            let hi = if hi < lo { 99 } else { hi };
            for a in lo..=hi {
                pop_by_age[a as usize][male as usize] += w / (hi - lo + 1) as f64;
            }
        }
        let male_share_by_age: Vec<f64> = pop_by_age
            .iter()
            .map(|p| {
                if p[0] + p[1] > 0.0 {
                    p[1] / (p[0] + p[1])
                } else {
                    0.4
                }
            })
            .collect();
        let (mut num, mut den) = (0.0, 0.0);
        for (a, p) in pop_by_age.iter().enumerate() {
            let w = (p[0] + p[1]) * somatic_rate(a as i32);
            num += w * readmission_age_factor(a as i32);
            den += w;
        }
        let readm_norm = num / den;
        let (mut sn, mut hn, mut d2) = (0.0, 0.0, 0.0);
        for (a, p) in pop_by_age.iter().enumerate().skip(16) {
            for male in [false, true] {
                let w = p[male as usize];
                sn += w * smoking_factor(a as i32, male);
                hn += w * good_health_factor(a as i32);
                d2 += w;
            }
        }

        let grid = |ind: &str, scale: f64| target_grid(&targets, &munis, (from, to), ind, scale);
        let readm_som = grid("somatic_readmissions", 0.01)?;
        let readm_psy = grid("psychiatric_readmissions", 0.01)?;
        let rehab_median = grid("rehab_waiting_time", 1.0)?;
        let antipsychotic = grid("antipsychotics_dementia", 0.01)?;
        let smoking = grid("daily_smokers", 0.01)?;
        let low_mental_health = grid("low_mental_health_young", 0.01)?;
        let los_factor = grid("mean_length_of_stay", 1.0 / BASE_MEAN_LOS)?;
        // Longer stays give more finished-treatment days per stay: the share of stays with
        // such days is divided by the municipality's length-of-stay factor relative to the
        // country's, so that the days follow the target and not the region's lengths of stay.
        let population: f64 = munis.iter().map(|m| m.population).sum();
        let mean_los_factor: Vec<f64> = (0..years.len())
            .map(|yi| {
                munis
                    .iter()
                    .zip(&los_factor)
                    .map(|(m, f)| m.population * f[yi])
                    .sum::<f64>()
                    / population
            })
            .collect();
        let somatic_finished: Vec<Vec<f64>> = grid(
            "somatic_finished_days",
            SOMATIC_FINISHED_SHARE / BASE_SOMATIC_FINISHED,
        )?
        .into_iter()
        .zip(&los_factor)
        .map(|(row, f)| {
            row.into_iter()
                .enumerate()
                .map(|(yi, share)| share * mean_los_factor[yi] / f[yi])
                .collect()
        })
        .collect();
        let psychiatric_finished = grid(
            "psychiatric_finished_days",
            PSYCHIATRIC_FINISHED_SHARE / BASE_PSYCHIATRIC_FINISHED,
        )?;
        let preventable = grid("preventable_admissions", 1.0 / BASE_ACUTE_65)?;
        let cardiac = grid("cardiac_mortality", 1e-5 / BASE_CRUDE_DEATH_RATE)?;
        let chronic_drg_median: Vec<Vec<f64>> = grid("chronic_hospital_activity", 1.0)?
            .into_iter()
            .map(|row| row.into_iter().map(chronic_drg_median).collect())
            .collect();
        let antibiotics = grid("gp_antibiotics", 1e-3)?;
        let opioids = grid("gp_opioids", 1e-3 / BASE_OPIOID_USERS)?;
        let (mut an, mut on, mut pn) = (0.0, 0.0, 0.0);
        for (a, p) in pop_by_age.iter().enumerate() {
            let w = p[0] + p[1];
            an += w * antibiotic_age_factor(a as i32);
            on += w * opioid_age_factor(a as i32);
            pn += w;
        }
        let life = grid("life_expectancy", 1.0)?;
        let gly = grid("good_life_years", 1.0)?;
        let excess_target = grid("excess_mortality", 1.0)?;
        // The cohort's hazard multiplier that gives the target ratio of standardised rates,
        // given that the population's rate includes the cohort itself.
        let p = SELECTED_SHARE_ADULTS;
        let excess: Vec<f64> = excess_target
            .iter()
            .map(|row| {
                let t = row[row.len() - 1];
                (t * (1.0 - p) / (1.0 - t * p)).max(1.0)
            })
            .collect();
        let mortality_scale: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                life[i]
                    .iter()
                    .map(|&le| solve_scale(le, excess[i], &male_share_by_age))
                    .collect()
            })
            .collect();
        // Good life years are the region's remaining life expectancy at 16 times the
        // municipality's share in good health (fn 23), so the share is calibrated against the
        // region's expectancy: the population-weighted mean of its municipalities'.
        let e16: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..years.len())
                    .map(|yi| {
                        life_expectancy(mortality_scale[i][yi], excess[i], &male_share_by_age, 16)
                    })
                    .collect()
            })
            .collect();
        let good_health: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let (members, _) = &regions[region_of[i]];
                let weight: f64 = members.iter().map(|&j| munis[j].population).sum();
                (0..years.len())
                    .map(|yi| {
                        let e16_region = members
                            .iter()
                            .map(|&j| e16[j][yi] * munis[j].population)
                            .sum::<f64>()
                            / weight;
                        (gly[i][yi] / e16_region).clamp(0.05, 0.98)
                    })
                    .collect()
            })
            .collect();
        let mean_pop = nat_cum[n - 1] / n as f64;
        let survey_fraction = munis
            .iter()
            .map(|m| (0.085 * (mean_pop / m.population).sqrt()).clamp(0.02, 0.5))
            .collect();
        let codes = munis
            .iter()
            .map(|m| m.code.to_string().into_bytes())
            .collect();
        let mut model = Model {
            from,
            to,
            munis,
            codes,
            nat_cum,
            region_of,
            regions,
            age_cells,
            age_cum,
            male_share_by_age,
            readm_som,
            readm_psy,
            rehab_median,
            antipsychotic,
            smoking,
            good_health,
            low_mental_health,
            los_factor,
            somatic_finished,
            psychiatric_finished,
            preventable,
            cardiac,
            chronic_drg_median,
            antibiotics,
            opioids,
            antibiotic_norm: an / pn,
            opioid_norm: on / pn,
            youth_disorder_tilt: Vec::new(),
            rehab_plan_tilt: Vec::new(),
            population_by_age: pop_by_age.iter().map(|p| p[0] + p[1]).collect(),
            persons: 0,
            mortality_scale,
            excess,
            survey_fraction,
            readm_norm,
            smoking_norm: sn / d2,
            health_norm: hn / d2,
            targets,
            registers: Vec::new(),
            files: FILES
                .iter()
                .zip(HEADERS)
                .zip(MUNI_COLUMN)
                .map(|((&name, header), muni_column)| FileSpec {
                    name,
                    header,
                    muni_column,
                })
                .collect(),
        };
        // The tilt is for the whole cohort; the young with a youth disorder are only part of it.
        let tilt = model.municipal_volume_tilt("youth_education_mental", to)?;
        model.youth_disorder_tilt = tilt
            .iter()
            .map(|t| {
                ((t - 1.0 + YOUTH_DISORDER_COHORT_SHARE) / YOUTH_DISORDER_COHORT_SHARE).max(0.0)
            })
            .collect();
        model.rehab_plan_tilt = model.municipal_volume_tilt("rehab_waiting_time", to)?;
        for register in registers::all(&model)? {
            let first = model.files.len();
            model.files.extend(register.files());
            model.registers.push((register, first));
        }
        Ok(model)
    }

    /// Every extract file the generator writes, in output order.
    pub fn files(&self) -> &[FileSpec] {
        &self.files
    }

    /// Index of `year` in the per-year tables (years outside the extracts are clamped).
    pub fn yi(&self, year: i32) -> usize {
        (year.clamp(self.from, self.to) - self.from) as usize
    }

    /// The calibration target of `indicator` for every municipality and year of the extracts,
    /// times `scale`: `[municipality index][year index]`.
    pub fn grid(&self, indicator: &str, scale: f64) -> Result<Vec<Vec<f64>>, String> {
        target_grid(
            &self.targets,
            &self.munis,
            (self.from, self.to),
            indicator,
            scale,
        )
    }

    /// The calibration target of `indicator` for one municipality in any year (outside the
    /// extracts' years too, moved by the assumed trend).
    pub fn target(&self, indicator: &str, muni: usize, year: i32) -> Result<f64, String> {
        self.targets.get(indicator, self.munis[muni].code, year)
    }

    /// The population mean of `f(age)`, for normalising an age pattern so that its average over
    /// the population is a calibrated rate.
    pub fn population_mean(&self, f: impl Fn(i32) -> f64) -> f64 {
        let total: f64 = self.population_by_age.iter().sum();
        self.population_by_age
            .iter()
            .enumerate()
            .map(|(a, w)| w * f(a as i32))
            .sum::<f64>()
            / total
    }

    /// The probability that a person alive at `span.0` dies before `span.1` (at most a year):
    /// the baseline hazard of their sex and mid-span age scaled for the municipality and year,
    /// times 1.8 with dementia diagnosed before, and the excess of a mental disorder diagnosed
    /// before. This is the draw the core makes; registers use it to condition on the life.
    pub fn year_death_probability(
        &self,
        male: bool,
        birth: Day,
        span: (Day, Day),
        muni: usize,
        dementia_onset: Option<Day>,
        mental_disorder: Option<(&str, Day)>,
    ) -> f64 {
        let (lo, y1) = span;
        if lo >= y1 {
            return 0.0;
        }
        let exposure = (y1 - lo) as f64 / 365.25;
        let age_mid = ((lo + y1) / 2 - birth) as f64 / 365.25;
        let mut h =
            base_hazard(male, age_mid) * self.mortality_scale[muni][self.yi(date::year_of(lo))];
        if dementia_onset.is_some_and(|d| d < lo) {
            h *= DEMENTIA_MORTALITY;
        }
        // The excess mortality of the mental-disorder cohort multiplies the probability of
        // dying in the year (the engine's rates are deaths per resident on 1 January), so
        // that the ratio holds at old ages too.
        let excess = match mental_disorder {
            Some((code, d)) if d < lo => {
                let condition = CONDITIONS.iter().find(|c| c.code == code);
                if condition.is_some_and(|c| c.selected) {
                    self.excess[muni]
                } else if code == "DF102" {
                    2.5
                } else {
                    1.5
                }
            }
            _ => 1.0,
        };
        ((1.0 - (-h * exposure).exp()) * excess).min(0.95)
    }

    /// The core's probability that a person of the extracts, alive at the start of `year` (or
    /// at entry), dies in it.
    pub fn death_probability(&self, life: &PersonLife, year: i32) -> f64 {
        let lo = date::jan1(year).max(life.start);
        self.year_death_probability(
            life.male,
            life.birth,
            (lo, date::jan1(year + 1)),
            life.muni_at(lo),
            life.dementia_onset,
            life.mental_disorder,
        )
    }

    /// The national calibration target of `indicator` in `year`: what a body that delivers
    /// national figures of its own would report.
    pub fn national_target(&self, indicator: &str, year: i32) -> Result<f64, String> {
        self.targets.get_national(indicator, year)
    }

    /// Relative volumes of the regions (at most 1; a register keeps each event of a region
    /// with that probability) that make the volume-weighted mean of the regions' targets of
    /// `indicator` equal its national target. The published national figure of a register
    /// weights the regions by their real volumes (courses, respondents), not by population; the
    /// tilt is the smallest linear one, `1 + λ·(x_r − x̄)`, with x̄ the population-weighted mean.
    pub fn region_volume_tilt(&self, indicator: &str, year: i32) -> Result<Vec<f64>, String> {
        let national = self.national_target(indicator, year)?;
        let regions: Vec<(f64, f64)> = (0..self.region_count())
            .map(|r| {
                let first = self.region_members(r)[0];
                Ok((
                    self.region_population(r),
                    self.target(indicator, first, year)?,
                ))
            })
            .collect::<Result<_, String>>()?;
        let total: f64 = regions.iter().map(|(p, _)| p).sum();
        let mean = regions.iter().map(|(p, x)| p * x).sum::<f64>() / total;
        let spread: f64 = regions.iter().map(|(p, x)| p * (x - mean) * x).sum();
        let lambda = if spread.abs() > f64::EPSILON {
            (national * total - mean * total) / spread
        } else {
            0.0
        };
        let tilt: Vec<f64> = regions
            .iter()
            .map(|(_, x)| (1.0 + lambda * (x - mean)).max(0.2))
            .collect();
        let top = tilt.iter().cloned().fold(f64::MIN, f64::max);
        Ok(tilt.into_iter().map(|v| v / top).collect())
    }

    /// Relative volumes of the municipalities (a factor per municipality; the population-weighted
    /// mean in each region is 1) that make each region's volume-weighted mean of its
    /// municipalities' targets of `indicator` equal the region's own published figure. The
    /// published regional figure pools the real volumes (a university town has more of the
    /// young with a mental disorder, a large municipality more rehabilitation plans), which the
    /// population does not show. The tilt is exponential, `exp(λ·(x_m − x_r)/s_r)` with `s_r` the
    /// spread of the region's targets, λ solved per region and held within ±3.
    pub fn municipal_volume_tilt(&self, indicator: &str, year: i32) -> Result<Vec<f64>, String> {
        let mut tilt = vec![1.0; self.munis.len()];
        for (r, (members, _)) in self.regions.iter().enumerate() {
            let code = self.munis[members[0]].region;
            let Some(regional) = self.targets.get_region(indicator, code, year) else {
                continue;
            };
            let cells: Vec<(usize, f64, f64)> = members
                .iter()
                .map(|&m| {
                    Ok((
                        m,
                        self.munis[m].population,
                        self.target(indicator, m, year)?,
                    ))
                })
                .collect::<Result<_, String>>()?;
            let total: f64 = cells.iter().map(|c| c.1).sum();
            let mean = cells.iter().map(|c| c.1 * c.2).sum::<f64>() / total;
            let spread = (cells
                .iter()
                .map(|c| c.1 * (c.2 - mean).powi(2))
                .sum::<f64>()
                / total)
                .sqrt();
            if spread <= f64::EPSILON {
                continue;
            }
            let excess = |lambda: f64| -> f64 {
                cells
                    .iter()
                    .map(|&(_, pop, x)| {
                        pop * (lambda * (x - regional) / spread).exp() * (x - regional)
                    })
                    .sum()
            };
            let (mut lo, mut hi) = (-3.0, 3.0);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if excess(mid) > 0.0 {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            let lambda = 0.5 * (lo + hi);
            let weights: Vec<f64> = cells
                .iter()
                .map(|&(_, _, x)| (lambda * (x - regional) / spread).exp())
                .collect();
            let norm = cells
                .iter()
                .zip(&weights)
                .map(|(c, w)| c.1 * w)
                .sum::<f64>()
                / total;
            for (c, w) in cells.iter().zip(&weights) {
                tilt[c.0] = w / norm;
            }
            debug_assert_eq!(self.region_of[members[0]], r);
        }
        Ok(tilt)
    }

    /// Index of the region (0-based, in code order) a municipality belongs to.
    pub fn region_index(&self, muni: usize) -> usize {
        self.region_of[muni]
    }

    /// The municipalities of each region, by index, and their 2020 populations.
    pub fn region_members(&self, region: usize) -> &[usize] {
        &self.regions[region].0
    }

    /// A region's population: the sum of its municipalities' (2020).
    pub fn region_population(&self, region: usize) -> f64 {
        self.region_members(region)
            .iter()
            .map(|&m| self.munis[m].population)
            .sum()
    }

    pub fn region_count(&self) -> usize {
        self.regions.len()
    }

    /// Writes the registers' aggregate rows (figures not tied to persons).
    pub fn aggregates(&self, seed: u64, dirty: f64) -> ChunkOut {
        let mut out = ChunkOut::new(self.files.len());
        let mut dirty_rng = Rng::from_keys(&[seed, 0, 0, 3]);
        for (k, (register, first)) in self.registers.iter().enumerate() {
            let n = register_file_count(&self.registers, k, self.files.len());
            let mut rng = Rng::from_keys(&[seed, 0, 0, 100 + k as u64]);
            let mut rows = Rows {
                files: &mut out.files[*first..first + n],
                counts: &mut out.rows[*first..first + n],
                specs: &self.files[*first..first + n],
                codes: &self.codes,
                dirty,
                dirty_rng: &mut dirty_rng,
                balanced: &mut Balanced::new(&[seed, 0, 0, 100 + k as u64]),
            };
            register.aggregate(self, &mut rng, &mut rows);
        }
        out
    }
}

fn register_file_count(registers: &[(Box<dyn Register>, usize)], k: usize, total: usize) -> usize {
    registers.get(k + 1).map_or(total, |r| r.1) - registers[k].1
}

impl Model {
    /// The model's expected life expectancy at birth for a municipality and year.
    pub fn model_life_expectancy(&self, muni: usize, year: i32) -> f64 {
        life_expectancy(
            self.mortality_scale[muni][self.yi(year)],
            self.excess[muni],
            &self.male_share_by_age,
            0,
        )
    }
}

/// The target of `indicator` for every municipality and year of `years`, times `scale`:
/// `[municipality index][year index]`.
fn target_grid(
    targets: &Targets,
    munis: &[Municipality],
    years: (i32, i32),
    indicator: &str,
    scale: f64,
) -> Result<Vec<Vec<f64>>, String> {
    munis
        .iter()
        .map(|m| {
            (years.0..=years.1)
                .map(|y| targets.get(indicator, m.code, y).map(|v| v * scale))
                .collect()
        })
        .collect()
}

/// Hazard of the sex-pooled population at exact age `a`, including the excess mortality of the
/// dementia and mental-disorder cohorts.
fn pooled_hazard(k: f64, excess: f64, male_share: &[f64], a: usize) -> f64 {
    let x = a as f64 + 0.5;
    let s = male_share[a.min(male_share.len() - 1)];
    let base = s * base_hazard(true, x) + (1.0 - s) * base_hazard(false, x);
    let dem = 1.0 + dementia_prevalence(x) * (DEMENTIA_MORTALITY - 1.0);
    let sel = if a >= 20 { SELECTED_SHARE_ADULTS } else { 0.0 };
    k * base * dem * (1.0 + sel * (excess - 1.0))
}

fn life_expectancy(k: f64, excess: f64, male_share: &[f64], from_age: usize) -> f64 {
    let mut l = 1.0;
    let mut total = 0.0;
    for a in from_age..=110 {
        let m = pooled_hazard(k, excess, male_share, a);
        if a == 110 {
            total += l / m;
            break;
        }
        let q = 1.0 - (-m).exp();
        let frac = if a == 0 { 0.9 } else { 0.5 };
        total += l * (1.0 - frac * q);
        l *= 1.0 - q;
    }
    total
}

fn solve_scale(target: f64, excess: f64, male_share: &[f64]) -> f64 {
    let (mut lo, mut hi) = (0.05f64, 8.0f64);
    for _ in 0..60 {
        let mid = (lo * hi).sqrt();
        if life_expectancy(mid, excess, male_share, 0) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo * hi).sqrt()
}

// ---------------------------------------------------------------------------------------------

/// One unit of work: a slice of one municipality's initial population.
#[derive(Debug, Clone, Copy)]
pub struct Chunk {
    pub index: usize,
    pub muni: usize,
    pub part: u32,
    pub persons: u64,
}

/// The bytes of one chunk for each file, and row counts.
pub struct ChunkOut {
    pub files: Vec<Vec<u8>>,
    pub rows: Vec<u64>,
    pub persons: u64,
}

impl ChunkOut {
    fn new(files: usize) -> ChunkOut {
        ChunkOut {
            files: vec![Vec::new(); files],
            rows: vec![0; files],
            persons: 0,
        }
    }
}

struct Person {
    id: u64,
    male: bool,
    birth: Day,
    start: Day,
    muni: usize,
}

/// A hospital stay, as written to `lpr_admissions.csv`.
#[derive(Debug, Clone, Copy)]
pub struct Stay {
    pub admitted: Day,
    pub discharged: Day,
    pub acute: bool,
    pub psychiatric: bool,
    /// Primary diagnosis (SKS code).
    pub diagnosis: &'static str,
    /// Municipality of residence at admission.
    pub muni: usize,
    /// DRG value, DKK.
    pub drg: u32,
    /// Days finished with treatment but still admitted.
    pub finished: i32,
}

struct Life {
    residences: Vec<(Day, usize)>,
    death: Option<Day>,
}

impl Life {
    fn muni_at(&self, day: Day) -> usize {
        let mut m = self.residences[0].1;
        for &(from, r) in &self.residences {
            if from <= day {
                m = r;
            } else {
                break;
            }
        }
        m
    }
    fn alive_on(&self, day: Day) -> bool {
        self.death.is_none_or(|d| d > day)
    }
}

pub struct ChunkSim<'a> {
    model: &'a Model,
    seed: u64,
    rng: Rng,
    /// The core's outcomes that the indicators tally, balanced within the chunk.
    balanced: Balanced,
    /// The same for each register, so that registers stay independent of each other.
    register_balanced: Vec<Balanced>,
    dirty_rng: Rng,
    dirty: f64,
    out: ChunkOut,
    // scratch
    stays: Vec<Stay>,
    diags: Vec<(Day, &'static str)>,
    /// (day, ATC code, prescriber)
    rx: Vec<(Day, &'static str, &'static str)>,
    services: Vec<Day>,
    num: itoa_buf::Buf,
}

mod itoa_buf {
    pub struct Buf([u8; 20]);
    impl Buf {
        pub fn new() -> Buf {
            Buf([0; 20])
        }
        pub fn push(&mut self, out: &mut Vec<u8>, mut v: u64) {
            let mut i = 20;
            loop {
                i -= 1;
                self.0[i] = b'0' + (v % 10) as u8;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
            out.extend_from_slice(&self.0[i..]);
        }
    }
}

pub fn chunks(model: &Model, persons: u64, max_chunk: u64) -> Vec<Chunk> {
    // Largest remainder allocation of the persons to municipalities.
    let total = model.nat_cum[model.nat_cum.len() - 1];
    let quotas: Vec<f64> = model
        .munis
        .iter()
        .map(|m| persons as f64 * m.population / total)
        .collect();
    let mut alloc: Vec<u64> = quotas.iter().map(|q| q.floor() as u64).collect();
    let rest = persons - alloc.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..quotas.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = quotas[a] - quotas[a].floor();
        let fb = quotas[b] - quotas[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for &i in order.iter().take(rest as usize) {
        alloc[i] += 1;
    }
    let mut out = Vec::new();
    for (muni, &n) in alloc.iter().enumerate() {
        let parts = n.div_ceil(max_chunk).max(1);
        for part in 0..parts {
            let lo = n * part / parts;
            let hi = n * (part + 1) / parts;
            out.push(Chunk {
                index: out.len(),
                muni,
                part: part as u32,
                persons: hi - lo,
            });
        }
    }
    out
}

impl<'a> ChunkSim<'a> {
    pub fn new(model: &'a Model, seed: u64, chunk: &Chunk, dirty: f64) -> ChunkSim<'a> {
        let code = model.munis[chunk.muni].code as u64;
        ChunkSim {
            model,
            seed,
            rng: Rng::from_keys(&[seed, code, chunk.part as u64, 1]),
            balanced: Balanced::new(&[seed, code, chunk.part as u64, 3]),
            register_balanced: (0..model.registers.len())
                .map(|k| Balanced::new(&[seed, code, chunk.part as u64, 100 + k as u64]))
                .collect(),
            dirty_rng: Rng::from_keys(&[seed, code, chunk.part as u64, 2]),
            dirty,
            out: ChunkOut::new(model.files.len()),
            stays: Vec::new(),
            diags: Vec::new(),
            rx: Vec::new(),
            services: Vec::new(),
            num: itoa_buf::Buf::new(),
        }
    }

    pub fn run(mut self, chunk: &Chunk) -> ChunkOut {
        let start = date::jan1(self.model.from);
        let base_id = (chunk.index as u64 + 1) * 1_000_000;
        let mut queue: Vec<Person> = Vec::new();
        let mut next_local = 0u64;
        for _ in 0..chunk.persons {
            let k = self.rng.pick_cum(&self.model.age_cum);
            let (male, lo, hi) = self.model.age_cells[k];
            let age = if hi >= lo {
                self.rng.range(lo, hi)
            } else {
                (lo + (self.rng.exp() * 5.0) as i32).min(lo + 20)
            };
            let by = self.model.from - age - 1;
            let birth = date::jan1(by) + self.rng.range(1, 364);
            queue.push(Person {
                id: base_id + next_local,
                male,
                birth,
                start,
                muni: chunk.muni,
            });
            next_local += 1;
        }
        let mut i = 0;
        while i < queue.len() {
            let births = self.person(&queue[i]);
            for (day, muni) in births {
                let male = self.rng.chance(0.513);
                queue.push(Person {
                    id: base_id + next_local,
                    male,
                    birth: day,
                    start: day,
                    muni,
                });
                next_local += 1;
            }
            i += 1;
        }
        self.out.persons = queue.len() as u64;
        self.out
    }

    // ---- row writing ------------------------------------------------------------------------

    fn id(&mut self, f: usize, id: u64) {
        self.num.push(&mut self.out.files[f], id);
    }
    fn int(&mut self, f: usize, v: u64) {
        self.num.push(&mut self.out.files[f], v);
    }
    fn s(&mut self, f: usize, s: &[u8]) {
        self.out.files[f].extend_from_slice(s);
    }
    fn day(&mut self, f: usize, d: Day) {
        date::push(&mut self.out.files[f], d);
    }
    fn c(&mut self, f: usize) {
        self.out.files[f].push(b',');
    }
    fn muni(&mut self, f: usize, m: usize) {
        let code = &self.model.codes[m];
        self.out.files[f].extend_from_slice(code);
    }
    fn sex(&mut self, f: usize, male: bool) {
        self.s(f, if male { b"M" } else { b"F" });
    }
    fn end(&mut self, f: usize, row_start: usize) {
        self.out.files[f].push(b'\n');
        self.out.rows[f] += 1;
        if self.dirty > 0.0 && self.dirty_rng.chance(self.dirty) {
            crate::dirty::spoil(
                &mut self.dirty_rng,
                &mut self.out.files[f],
                row_start,
                MUNI_COLUMN[f],
            );
        }
    }
    fn begin(&self, f: usize) -> usize {
        self.out.files[f].len()
    }

    // ---- the life of one person -------------------------------------------------------------

    /// Simulates one person and writes their rows; returns the births (day, municipality).
    fn person(&mut self, p: &Person) -> Vec<(Day, usize)> {
        let model = self.model;
        let end = date::from_civil(model.to, 12, 31);
        let horizon = end + FOLLOW_UP_DAYS;
        let frailty = (0.6 * self.rng.normal() - 0.18).exp();

        // Conditions with their diagnosis dates.
        let dementia_onset = {
            let e = self.rng.exp();
            let age = 60.0 + (1.0 + e * DEMENTIA_BETA / DEMENTIA_H0).ln() / DEMENTIA_BETA;
            if age < 105.0 {
                Some(p.birth + (age * 365.25) as i32)
            } else {
                None
            }
        };
        let youth_disorder = if self
            .rng
            .chance(YOUTH_DISORDER_SHARE * model.youth_disorder_tilt[p.muni])
        {
            let age = self.rng.range(6, 23) as f64 + self.rng.f64();
            let code = *self.rng.pick(&YOUTH_DISORDERS);
            // Only diagnoses from 1995 on are in LPR with ICD-10 codes.
            let day = p.birth + (age * 365.25) as i32;
            (day >= date::from_civil(1995, 1, 1)).then_some((day, code))
        } else {
            None
        };
        let diabetes_onset = self.onset(p, diabetes_incidence);
        let copd_onset = self.onset(p, copd_incidence);
        let condition = {
            let u = self.rng.f64();
            let mut acc = 0.0;
            let mut found = None;
            for (k, c) in CONDITIONS.iter().enumerate() {
                acc += c.share;
                if u < acc {
                    found = Some(k);
                    break;
                }
            }
            found.map(|k| {
                let c = &CONDITIONS[k];
                let age = self.rng.range(c.onset.0, c.onset.1) as f64 + self.rng.f64();
                let mut day = p.birth + (age * 365.25) as i32;
                // ICD-10 came to LPR in 1994: older onsets are registered later.
                let icd10 = date::from_civil(1995, 1, 1);
                if day < icd10 {
                    day = icd10 + self.rng.range(0, 1500);
                }
                (k, day)
            })
        };

        // Residence and death, year by year.
        let mut life = Life {
            residences: vec![(p.start, p.muni)],
            death: None,
        };
        let mut births = Vec::new();
        let mut muni = p.muni;
        for year in model.from..=model.to {
            let y0 = date::jan1(year);
            let y1 = date::jan1(year + 1);
            if y1 <= p.start {
                continue;
            }
            let lo = y0.max(p.start);
            let exposure = (y1 - lo) as f64 / 365.25;
            let age = (((lo + y1) / 2 - p.birth) as f64 / 365.25) as i32;
            let p_death = model.year_death_probability(
                p.male,
                p.birth,
                (lo, y1),
                muni,
                dementia_onset,
                condition.map(|(k, d)| (CONDITIONS[k].code, d)),
            );
            let band = (age / 5) as u64;
            if self
                .balanced
                .chance([outcome::DEATH, year as u64, band, muni as u64], p_death)
            {
                // Winter has more deaths.
                let d = loop {
                    let d = lo + self.rng.range(0, y1 - lo - 1);
                    if self.rng.chance(SEASON[date::month_of(d) as usize - 1]) {
                        break d;
                    }
                };
                life.death = Some(d);
            }
            let limit = life.death.unwrap_or(y1);
            if self.rng.chance(moving_rate(age) * exposure) {
                let d = lo + self.rng.range(0, y1 - lo - 1);
                if d < limit {
                    let dest = self.destination(muni);
                    life.residences.push((d, dest));
                    muni = dest;
                }
            }
            if !p.male {
                let f = fertility(age);
                if f > 0.0 && self.rng.chance(f * exposure) {
                    let d = lo + self.rng.range(0, y1 - lo - 1);
                    if d < limit {
                        births.push((d, life.muni_at(d)));
                    }
                }
            }
            if life.death.is_some() {
                break;
            }
        }
        let stop = life.death.unwrap_or(horizon + 1).min(horizon + 1);

        // CPR snapshots.
        for year in model.from..=model.to {
            let d = date::jan1(year);
            if p.birth < d && p.start <= d && life.alive_on(d) {
                let r = self.begin(CPR);
                self.id(CPR, p.id);
                self.c(CPR);
                self.day(CPR, d);
                self.c(CPR);
                self.sex(CPR, p.male);
                self.c(CPR);
                self.day(CPR, p.birth);
                self.c(CPR);
                self.muni(CPR, life.muni_at(d));
                self.end(CPR, r);
            }
        }

        // Hospital stays.
        self.stays.clear();
        self.diags.clear();
        self.rx.clear();
        let chronic_since = match (diabetes_onset, copd_onset) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.somatic(p, &life, frailty, stop, true, chronic_since);
        self.somatic(p, &life, frailty, stop, false, chronic_since);
        if let Some((k, onset)) = condition {
            self.psychiatric(&life, k, onset, stop);
        }
        self.stays
            .sort_by_key(|s| (s.admitted, s.discharged, s.psychiatric));

        // Diagnoses: the conditions' first registration, and every stay's diagnosis.
        let dementia_code = *self.rng.pick(&DEMENTIA_CODES);
        let last_diag = life.death.unwrap_or(end + 1).min(end + 1);
        if let Some(d) = dementia_onset
            && d < last_diag
        {
            self.diags.push((d, dementia_code));
        }
        if let Some((k, d)) = condition
            && d < last_diag
        {
            self.diags.push((d, CONDITIONS[k].code));
        }
        if let Some((d, code)) = youth_disorder
            && d < last_diag
        {
            self.diags.push((d, code));
        }
        if let Some(d) = diabetes_onset
            && d < last_diag
        {
            let code = *self.rng.pick(&DIABETES_CODES);
            self.diags.push((d, code));
        }
        if let Some(d) = copd_onset
            && d < last_diag
        {
            let code = *self.rng.pick(&COPD_CODES);
            self.diags.push((d, code));
        }
        for s in 0..self.stays.len() {
            let st = self.stays[s];
            self.diags.push((st.admitted, st.diagnosis));
            if !st.psychiatric
                && dementia_onset.is_some_and(|d| d < st.admitted)
                && self.rng.chance(0.3)
            {
                self.diags.push((st.admitted, dementia_code));
            }
        }
        self.diags.sort();

        // Rehabilitation plans at discharge from somatic stays.
        self.rehab(p, &life, end);

        // Write the stays.
        for s in 0..self.stays.len() {
            let st = self.stays[s];
            let r = self.begin(ADM);
            self.id(ADM, p.id);
            self.c(ADM);
            self.day(ADM, st.admitted);
            self.c(ADM);
            self.day(ADM, st.discharged);
            self.c(ADM);
            self.s(ADM, if st.acute { b"true" } else { b"false" });
            self.c(ADM);
            self.s(
                ADM,
                if st.psychiatric {
                    b"psychiatric"
                } else {
                    b"somatic"
                },
            );
            self.c(ADM);
            self.s(ADM, st.diagnosis.as_bytes());
            self.c(ADM);
            self.sex(ADM, p.male);
            self.c(ADM);
            self.day(ADM, p.birth);
            self.c(ADM);
            self.muni(ADM, st.muni);
            self.c(ADM);
            self.int(ADM, st.drg as u64);
            self.c(ADM);
            self.int(ADM, st.finished as u64);
            self.end(ADM, r);
        }
        for k in 0..self.diags.len() {
            let (d, code) = self.diags[k];
            let r = self.begin(DIAG);
            self.id(DIAG, p.id);
            self.c(DIAG);
            self.day(DIAG, d);
            self.c(DIAG);
            self.s(DIAG, code.as_bytes());
            self.end(DIAG, r);
        }

        // Prescriptions.
        self.prescriptions(p, &life, dementia_onset, condition);
        self.rx.sort();
        for k in 0..self.rx.len() {
            let (d, code, prescriber) = self.rx[k];
            let r = self.begin(RX);
            self.id(RX, p.id);
            self.c(RX);
            self.day(RX, d);
            self.c(RX);
            self.s(RX, code.as_bytes());
            self.c(RX);
            self.s(RX, prescriber.as_bytes());
            self.end(RX, r);
        }

        // Death.
        let mut death_cause = None;
        if let Some(d) = life.death
            && d <= end
        {
            let age = date::age(p.birth, d);
            let cause = if dementia_onset.is_some_and(|o| o < d) && self.rng.chance(0.3) {
                "DF039"
            } else if condition.is_some_and(|(k, o)| o < d && CONDITIONS[k].code == "DF102")
                && self.rng.chance(0.3)
            {
                "DK703"
            } else if condition.is_some_and(|(_, o)| o < d) && age < 65 && self.rng.chance(0.2) {
                "DX700"
            } else {
                let m = life.muni_at(d);
                let share = model.cardiac[m][model.yi(date::year_of(d))] * cardiac_age_factor(age);
                if age > 0
                    && self.balanced.chance(
                        [
                            outcome::CARDIAC_CAUSE,
                            date::year_of(d) as u64,
                            m as u64,
                            (age / 10) as u64,
                        ],
                        share.min(0.9),
                    )
                {
                    *self.rng.pick(&CARDIAC_CAUSES)
                } else {
                    loop {
                        let c = *self.rng.pick(death_causes(age));
                        if !is_cardiac(c) {
                            break c;
                        }
                    }
                }
            };
            death_cause = Some(cause);
            let r = self.begin(DEATH);
            self.id(DEATH, p.id);
            self.c(DEATH);
            self.day(DEATH, d);
            self.c(DEATH);
            self.sex(DEATH, p.male);
            self.c(DEATH);
            self.day(DEATH, p.birth);
            self.c(DEATH);
            self.muni(DEATH, life.muni_at(d));
            self.c(DEATH);
            self.s(DEATH, cause.as_bytes());
            self.end(DEATH, r);
        }

        // Health profile.
        self.survey(p, &life);

        // The registers beyond the core.
        let view = PersonLife {
            id: p.id,
            male: p.male,
            birth: p.birth,
            start: p.start,
            residences: &life.residences,
            death: life.death,
            death_cause,
            stays: &self.stays,
            diagnoses: &self.diags,
            mental_disorder: condition.map(|(k, d)| (CONDITIONS[k].code, d)),
            dementia_onset,
        };
        let total = model.files.len();
        for (k, (register, first)) in model.registers.iter().enumerate() {
            let n = register_file_count(&model.registers, k, total);
            let mut rng = Rng::from_keys(&[self.seed, p.id, 100 + k as u64]);
            let mut rows = Rows {
                files: &mut self.out.files[*first..first + n],
                counts: &mut self.out.rows[*first..first + n],
                specs: &model.files[*first..first + n],
                codes: &model.codes,
                dirty: self.dirty,
                dirty_rng: &mut self.dirty_rng,
                balanced: &mut self.register_balanced[k],
            };
            register.person(model, &view, &mut rng, &mut rows);
        }
        births
    }

    /// The day a chronic disease with the yearly `incidence` by age is first registered, if
    /// within the person's first 105 years (registration in LPR from 1995).
    fn onset(&mut self, p: &Person, incidence: fn(f64) -> f64) -> Option<Day> {
        let mut budget = self.rng.exp();
        let mut age = 0.0;
        while age < 105.0 {
            let h = incidence(age);
            if h >= budget {
                let at = age + budget / h;
                let mut day = p.birth + (at * 365.25) as i32;
                let lpr = date::from_civil(1995, 1, 1);
                if day < lpr {
                    day = lpr + self.rng.range(0, 1500);
                }
                return Some(day);
            }
            budget -= h;
            age += 1.0;
        }
        None
    }

    fn destination(&mut self, from: usize) -> usize {
        for _ in 0..20 {
            let to = if self.rng.chance(0.5) {
                let (members, cum) = &self.model.regions[self.model.region_of[from]];
                members[self.rng.pick_cum(cum)]
            } else {
                self.rng.pick_cum(&self.model.nat_cum)
            };
            if to != from {
                return to;
            }
        }
        from
    }

    /// Acute (`acute = true`) or planned somatic stays from the person's start to `stop`.
    fn somatic(
        &mut self,
        p: &Person,
        life: &Life,
        frailty: f64,
        stop: Day,
        acute: bool,
        chronic_since: Option<Day>,
    ) {
        let model = self.model;
        let mut t = p.start.max(date::jan1(model.from) - 60);
        let mut forced: Option<(Day, &'static str)> = None;
        loop {
            let (admitted, forced_diag) = if let Some((d, diag)) = forced.take() {
                (d, Some(diag))
            } else {
                let age = date::age(p.birth, t).max(0);
                let rate = if acute {
                    somatic_rate(age)
                } else {
                    planned_rate(age)
                } * frailty;
                // The rate is held for at most a year (it changes with age): a longer gap
                // moves on a year and draws again, which is exact for a piecewise-constant
                // rate because the exponential has no memory.
                let gap = self.rng.exp() / rate * 365.25;
                if gap > 365.0 {
                    t += 365;
                    if t >= stop {
                        break;
                    }
                    continue;
                }
                t += gap.ceil() as i32;
                if t >= stop {
                    break;
                }
                if acute && !self.rng.chance(SEASON[date::month_of(t) as usize - 1]) {
                    continue;
                }
                (t, None)
            };
            if admitted >= stop {
                break;
            }
            let age = date::age(p.birth, admitted).max(0);
            let muni = life.muni_at(admitted);
            let yi = model.yi(date::year_of(admitted));
            // The elderly of #8 are those aged 65 or more on 1 January of the stay's year, as
            // the residents its rate is taken over.
            let elderly = date::age(p.birth, date::jan1(date::year_of(admitted))) >= 65;
            let diagnosis = match forced_diag {
                Some(d) if self.rng.chance(0.5) => d,
                _ if acute && elderly => {
                    if self.balanced.chance(
                        [outcome::PREVENTABLE, yi as u64, muni as u64, 0],
                        model.preventable[muni][yi].min(0.95),
                    ) {
                        *self.rng.pick(&PREVENTABLE_DIAGNOSES)
                    } else {
                        loop {
                            let d = *self.rng.pick(somatic_diagnoses(age));
                            if !is_preventable(d) {
                                break d;
                            }
                        }
                    }
                }
                _ => *self.rng.pick(if acute {
                    somatic_diagnoses(age)
                } else {
                    planned_diagnoses(age)
                }),
            };
            // Type 2 diabetes and COPD are diagnoses of persons who have them: the chronic
            // patients of #7 are those with a registered onset.
            let diagnosis = if is_chronic(diagnosis) && chronic_since.is_none_or(|c| c > admitted) {
                let elderly_acute = acute && elderly;
                loop {
                    let d = *self.rng.pick(if acute {
                        somatic_diagnoses(age)
                    } else {
                        planned_diagnoses(age)
                    });
                    let excluded = is_chronic(d) || (elderly_acute && is_preventable(d));
                    if !excluded {
                        break d;
                    }
                }
            } else {
                diagnosis
            };
            let los = (median_los(diagnosis, age)
                * model.los_factor[muni][yi]
                * (0.7 * self.rng.normal()).exp())
            .round()
            .clamp(0.0, 120.0) as i32;
            let mut discharged = admitted + los;
            let mut died = false;
            if let Some(d) = life.death
                && d <= discharged
            {
                discharged = d.max(admitted);
                died = true;
            }
            // The indicator counts the whole year of the diagnosis, so do the stays.
            let median_drg =
                if chronic_since.is_some_and(|c| c < date::jan1(date::year_of(admitted) + 1)) {
                    model.chronic_drg_median[muni][yi]
                } else {
                    25_000.0
                };
            let chronic = chronic_since.is_some() as u64;
            let u = self
                .balanced
                .uniform([outcome::DRG, yi as u64, muni as u64, chronic]);
            let drg = (median_drg * (DRG_SIGMA * normal_quantile(u)).exp()).round() as u32;
            // Finished-treatment days of elderly patients waiting for a place in the
            // municipality: 1-4 days, fewer than the stay's.
            let finished = if age >= 65
                && los >= 2
                && self.balanced.chance(
                    [outcome::FINISHED_SOMATIC, yi as u64, muni as u64, 0],
                    model.somatic_finished[muni][yi],
                ) {
                let u = self
                    .balanced
                    .uniform([outcome::SOMATIC_DAYS, yi as u64, muni as u64, 0]);
                (1 + (u * 4.0) as i32).min(los - 1)
            } else {
                0
            };
            self.stays.push(Stay {
                admitted,
                discharged,
                acute,
                psychiatric: false,
                diagnosis,
                muni,
                drg,
                finished,
            });
            if died {
                break;
            }
            t = discharged;
            if acute {
                let m = life.muni_at(discharged);
                let yi = model.yi(date::year_of(discharged));
                let prob = (model.readm_som[m][yi] * readmission_age_factor(age)
                    / model.readm_norm
                    / READMISSION_DELAY_WITHIN_30)
                    .min(0.95);
                if self
                    .balanced
                    .chance([outcome::READMISSION_SOMATIC, yi as u64, m as u64, 0], prob)
                {
                    forced = Some((discharged + readmission_delay(&mut self.rng), diagnosis));
                } else {
                    // No acute stay within 30 days of this discharge.
                    t = discharged + 31;
                }
            }
        }
    }

    fn psychiatric(&mut self, life: &Life, k: usize, onset: Day, stop: Day) {
        let model = self.model;
        let c = &CONDITIONS[k];
        let mut t = onset.max(date::jan1(model.from) - 60);
        let mut forced: Option<Day> = None;
        loop {
            let (admitted, acute) = if let Some(d) = forced.take() {
                (d, true)
            } else {
                t += (self.rng.exp() / c.admissions * 365.25).ceil() as i32;
                (t, self.rng.chance(0.8))
            };
            if admitted >= stop {
                break;
            }
            let los = (c.los * (0.9 * self.rng.normal()).exp())
                .round()
                .clamp(0.0, 365.0) as i32;
            let mut discharged = admitted + los;
            let mut died = false;
            if let Some(d) = life.death
                && d <= discharged
            {
                discharged = d.max(admitted);
                died = true;
            }
            let m_adm = life.muni_at(admitted);
            let yi_adm = model.yi(date::year_of(admitted));
            let share = model.psychiatric_finished[m_adm][yi_adm];
            let finished = if los >= 10
                && self.balanced.chance(
                    [
                        outcome::FINISHED_PSYCHIATRIC,
                        yi_adm as u64,
                        m_adm as u64,
                        0,
                    ],
                    share.min(0.9),
                ) {
                let u = self.balanced.uniform([
                    outcome::PSYCHIATRIC_DAYS,
                    yi_adm as u64,
                    m_adm as u64,
                    0,
                ]);
                1 + (u * (los / 2).min(20) as f64) as i32
            } else {
                0
            };
            self.stays.push(Stay {
                admitted,
                discharged,
                acute,
                psychiatric: true,
                diagnosis: c.code,
                muni: life.muni_at(admitted),
                drg: 4_800 * (los as u32).max(1),
                finished,
            });
            if died {
                break;
            }
            t = discharged;
            if acute {
                let m = life.muni_at(discharged);
                let yi = model.yi(date::year_of(discharged));
                if self.balanced.chance(
                    [outcome::READMISSION_PSYCHIATRIC, yi as u64, m as u64, 0],
                    (model.readm_psy[m][yi] / READMISSION_DELAY_WITHIN_30).min(0.95),
                ) {
                    forced = Some(discharged + readmission_delay(&mut self.rng));
                } else {
                    t = discharged + 31;
                }
            }
        }
    }

    fn rehab(&mut self, p: &Person, life: &Life, end: Day) {
        let model = self.model;
        let mut last_plan: Option<Day> = None;
        let mut n = 0u64;
        for s in 0..self.stays.len() {
            let st = self.stays[s];
            if st.psychiatric || life.death.is_some_and(|d| d <= st.discharged) {
                continue;
            }
            let plan_date = st.discharged;
            if plan_date < date::jan1(model.from) || plan_date > end {
                continue;
            }
            if last_plan.is_some_and(|l| plan_date - l < 120) {
                continue;
            }
            let age = date::age(p.birth, st.admitted);
            let m = life.muni_at(plan_date);
            if !self
                .rng
                .chance(rehab_plan_probability(st.diagnosis, age) * model.rehab_plan_tilt[m])
            {
                continue;
            }
            last_plan = Some(plan_date);
            n += 1;
            let r = self.begin(PLAN);
            self.id(PLAN, p.id);
            self.s(PLAN, b"-");
            self.int(PLAN, n);
            self.c(PLAN);
            self.id(PLAN, p.id);
            self.c(PLAN);
            self.day(PLAN, plan_date);
            self.c(PLAN);
            self.muni(PLAN, m);
            self.end(PLAN, r);
            // About one plan in twelve is never followed by a service.
            if self.rng.chance(0.08) {
                continue;
            }
            let median = model.rehab_median[m][model.yi(date::year_of(plan_date))];
            let wait = (median * (0.55 * self.rng.normal()).exp())
                .round()
                .clamp(0.0, 90.0) as i32;
            self.services.clear();
            let mut d = plan_date + wait;
            let sessions = self.rng.range(3, 12);
            for _ in 0..sessions {
                if life.death.is_some_and(|x| x <= d) || d > end + SERVICE_FOLLOW_UP_DAYS {
                    break;
                }
                self.services.push(d);
                d += self.rng.range(3, 8);
            }
            for k in 0..self.services.len() {
                let d = self.services[k];
                let r = self.begin(SERVICE);
                self.id(SERVICE, p.id);
                self.c(SERVICE);
                self.day(SERVICE, d);
                self.end(SERVICE, r);
            }
        }
    }

    fn buy(
        &mut self,
        life: &Life,
        year: i32,
        from: Day,
        times: i32,
        codes: &[(&'static str, f64)],
    ) {
        let y1 = date::jan1(year + 1);
        let last = life.death.unwrap_or(y1).min(y1) - 1;
        if last < from {
            return;
        }
        let code = *self.rng.pick(codes);
        // Most repeat prescriptions are renewed by the general practitioner.
        let prescriber = if self.rng.chance(0.7) {
            "general practice"
        } else {
            "hospital"
        };
        let mut d = from + self.rng.range(0, (last - from).min(300));
        for _ in 0..times {
            if d > last {
                break;
            }
            self.rx.push((d, code, prescriber));
            d += self.rng.range(60, 100);
        }
    }

    fn prescriptions(
        &mut self,
        p: &Person,
        life: &Life,
        dementia: Option<Day>,
        condition: Option<(usize, Day)>,
    ) {
        let model = self.model;
        for year in model.from..=model.to {
            let y0 = date::jan1(year);
            let from = y0.max(p.start);
            if !life.alive_on(from) || from >= date::jan1(year + 1) {
                continue;
            }
            let age = date::age(p.birth, y0);
            self.antibiotics_and_opioids(life, year, from, age);
            if let Some(dd) = dementia
                && dd < date::jan1(year + 1)
            {
                let eligible = dd < y0 && age >= 65 && p.birth < y0 && p.start <= y0;
                let uses = if eligible {
                    let m = life.muni_at(y0);
                    self.balanced.chance(
                        [outcome::ANTIPSYCHOTIC, year as u64, m as u64, 0],
                        model.antipsychotic[m][model.yi(year)],
                    )
                } else {
                    self.rng.chance(0.15)
                };
                if uses {
                    let times = self.rng.range(1, 6);
                    self.buy(life, year, from.max(dd), times, &ANTIPSYCHOTICS);
                }
                if self.rng.chance(0.5) {
                    self.buy(life, year, from.max(dd), 4, &ANTIDEMENTIA);
                }
            } else if age >= 65 && self.rng.chance(0.01) {
                self.buy(life, year, from, 2, &[("N05AH04", 1.0)]);
            }
            if let Some((k, onset)) = condition
                && onset < date::jan1(year + 1)
            {
                let from = from.max(onset);
                match CONDITIONS[k].code {
                    "DF200" | "DF250" => {
                        if self.rng.chance(0.8) {
                            self.buy(life, year, from, 5, &ANTIPSYCHOTICS);
                        }
                    }
                    "DF300" | "DF311" => {
                        if self.rng.chance(0.5) {
                            self.buy(life, year, from, 5, &[("N05AN01", 1.0)]);
                        }
                        if self.rng.chance(0.4) {
                            self.buy(life, year, from, 4, &ANTIPSYCHOTICS);
                        }
                    }
                    "DF102" => {
                        if self.rng.chance(0.3) {
                            self.buy(life, year, from, 2, &[("N05BA01", 0.5), ("N07BB01", 0.5)]);
                        }
                    }
                    _ => {
                        if self.rng.chance(0.6) {
                            self.buy(life, year, from, 4, &ANTIDEPRESSANTS);
                        }
                    }
                }
            }
        }
    }

    /// Antibiotic courses (a Poisson number a year) and opioid use, mostly prescribed in general
    /// practice.
    fn antibiotics_and_opioids(&mut self, life: &Life, year: i32, from: Day, age: i32) {
        let model = self.model;
        let y1 = date::jan1(year + 1);
        let last = life.death.unwrap_or(y1).min(y1) - 1;
        if last < from {
            return;
        }
        let span = (last - from + 1) as f64 / 365.25;
        let m = life.muni_at(from);
        let yi = model.yi(year);
        let mean =
            model.antibiotics[m][yi] * antibiotic_age_factor(age) / model.antibiotic_norm * span;
        // A small share of courses is prescribed at the hospital or by specialists.
        for (prescriber, scale) in [("general practice", 1.0), ("hospital", 0.08)] {
            let mut t = 0.0;
            loop {
                t += self.rng.exp() / (mean * scale).max(1e-9);
                if t >= 1.0 {
                    break;
                }
                let d = from + (t * (last - from) as f64) as i32;
                let code = *self.rng.pick(&ANTIBIOTICS);
                self.rx.push((d, code, prescriber));
            }
        }
        let user = model.opioids[m][yi] * opioid_age_factor(age) / model.opioid_norm * span;
        for (k, (prescriber, scale)) in [("general practice", 1.0), ("hospital", 0.3)]
            .into_iter()
            .enumerate()
        {
            let key = [outcome::OPIOID_USER, year as u64, m as u64, k as u64];
            if self.balanced.chance(key, (user * scale).min(0.9)) {
                let code = *self.rng.pick(&OPIOIDS);
                let mut d = from + self.rng.range(0, (last - from).max(0));
                for _ in 0..self.rng.range(1, 4) {
                    if d > last {
                        break;
                    }
                    self.rx.push((d, code, prescriber));
                    d += self.rng.range(20, 60);
                }
            }
        }
    }

    fn survey(&mut self, p: &Person, life: &Life) {
        let model = self.model;
        for &wave in SURVEY_YEARS.iter() {
            if wave < model.from || wave > model.to {
                continue;
            }
            let day = date::from_civil(wave, 2, 1) + self.rng.range(0, 119);
            if day < p.start || !life.alive_on(day) {
                continue;
            }
            let age = date::age(p.birth, day);
            if age < 16 {
                continue;
            }
            let m = life.muni_at(day);
            let pi = model.survey_fraction[m] * response(age, p.male);
            let band = (age / 10) as u64;
            if !self
                .balanced
                .chance([outcome::RESPONSE, wave as u64, m as u64, band], pi)
            {
                continue;
            }
            let yi = model.yi(wave);
            let smoker = self.balanced.chance(
                [outcome::SMOKER, yi as u64, m as u64, 0],
                (model.smoking[m][yi] * smoking_factor(age, p.male) / model.smoking_norm).min(0.95),
            );
            let good = self.balanced.chance(
                [outcome::GOOD_HEALTH, yi as u64, m as u64, band],
                (model.good_health[m][yi] * good_health_factor(age) / model.health_norm).min(0.99),
            );
            let health: &[u8] = if good {
                if self.rng.chance(0.35) {
                    b"very good"
                } else {
                    b"good"
                }
            } else {
                let u = self.rng.f64();
                if u < 0.7 {
                    b"fair"
                } else if u < 0.93 {
                    b"poor"
                } else {
                    b"very poor"
                }
            };
            let low_mental = self.balanced.chance(
                [outcome::LOW_MENTAL_HEALTH, yi as u64, m as u64, band],
                (model.low_mental_health[m][yi] * low_mental_health_factor(age)).min(0.95),
            );
            // Scores in tenths: low ones spread below the cut-off, the rest around 52.
            let mental_score = if low_mental {
                LOW_MENTAL_SCORE - 0.1 - 20.0 * self.rng.f64().powf(0.7)
            } else {
                (52.0 + 7.0 * self.rng.normal()).clamp(LOW_MENTAL_SCORE + 0.1, 72.0)
            };
            let mental_tenths = (mental_score * 10.0).round() as u64;
            let weight = ((1.0 / pi) * 1000.0).round() as u64;
            let f = PROFILE;
            let r = self.begin(f);
            self.s(f, b"S");
            self.int(f, wave as u64);
            self.s(f, b"-");
            self.id(f, p.id);
            self.c(f);
            self.id(f, p.id);
            self.c(f);
            self.day(f, day);
            self.c(f);
            self.sex(f, p.male);
            self.c(f);
            self.int(f, age as u64);
            self.c(f);
            self.muni(f, m);
            self.c(f);
            self.int(f, weight / 1000);
            self.s(f, b".");
            let frac = weight % 1000;
            self.s(
                f,
                &[
                    b'0' + (frac / 100) as u8,
                    b'0' + (frac / 10 % 10) as u8,
                    b'0' + (frac % 10) as u8,
                ],
            );
            self.c(f);
            self.s(f, if smoker { b"true" } else { b"false" });
            self.c(f);
            self.s(f, health);
            self.c(f);
            self.int(f, mental_tenths / 10);
            self.s(f, b".");
            self.s(f, &[b'0' + (mental_tenths % 10) as u8]);
            self.end(f, r);
        }
    }
}

/// Days from discharge to the next acute admission of a readmitted patient: most in the first
/// week or two (1 + ⌊29·u^1.8⌋), with the boundaries of "within 30 days" among them so that the
/// rules' day counting is exercised at scale: 1 % on the day of discharge (day 0), 0.5 % on day
/// 30 (still a readmission) and 0.5 % on day 31 (no longer one). One draw as before, so no other
/// value of the generator moves.
fn readmission_delay(rng: &mut Rng) -> i32 {
    let u = rng.f64();
    if u < 0.01 {
        0
    } else if u >= 0.995 {
        31
    } else if u >= 0.99 {
        30
    } else {
        1 + (29.0 * u.powf(1.8)).floor() as i32
    }
}

/// The share of [`readmission_delay`]'s delays that are readmissions (day 30 at most): the
/// calibrated readmission probabilities are divided by it.
const READMISSION_DELAY_WITHIN_30: f64 = 0.995;
