//! Age patterns and calibration bases: the model's assumptions of how often things happen
//! by age, and what it gives with every calibrated factor at 1.

// ---------------------------------------------------------------------------------------------
// Age patterns (model assumptions, not calibration targets).

/// Baseline mortality hazard per year (Gompertz-Makeham above 15), before municipal scaling.
pub(super) fn base_hazard(male: bool, age: f64) -> f64 {
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
pub(super) const DEMENTIA_H0: f64 = 0.0005;
pub(super) const DEMENTIA_BETA: f64 = 0.13;
pub(super) const DEMENTIA_MORTALITY: f64 = 1.8;

pub(super) fn dementia_prevalence(age: f64) -> f64 {
    if age < 60.0 {
        0.0
    } else {
        1.0 - (-(DEMENTIA_H0 / DEMENTIA_BETA) * ((DEMENTIA_BETA * (age - 60.0)).exp() - 1.0)).exp()
    }
}
pub(super) const SELECTED_SHARE_ADULTS: f64 = 0.02;

/// Acute somatic admissions per person-year by age.
pub(super) fn somatic_rate(age: i32) -> f64 {
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

pub(super) fn planned_rate(age: i32) -> f64 {
    match age {
        0..=14 => 0.01,
        15..=44 => 0.03,
        45..=64 => 0.05,
        65..=84 => 0.08,
        _ => 0.04,
    }
}

/// Relative readmission risk by age (normalised over the national discharge mix).
pub(super) fn readmission_age_factor(age: i32) -> f64 {
    match age {
        0..=14 => 0.6,
        15..=44 => 0.8,
        45..=64 => 0.95,
        65..=79 => 1.1,
        _ => 1.25,
    }
}

/// Relative daily-smoking propensity by age and sex.
pub(super) fn smoking_factor(age: i32, male: bool) -> f64 {
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

pub(super) fn good_health_factor(age: i32) -> f64 {
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
pub(super) const BASE_MEAN_LOS: f64 = 3.69;
/// Somatic finished-treatment days per 1,000 residents with [`SOMATIC_FINISHED_SHARE`].
pub(super) const BASE_SOMATIC_FINISHED: f64 = 9.64;
pub(super) const SOMATIC_FINISHED_SHARE: f64 = 0.08;
/// Psychiatric finished-treatment days per 1,000 residents with [`PSYCHIATRIC_FINISHED_SHARE`].
pub(super) const BASE_PSYCHIATRIC_FINISHED: f64 = 1.36;
pub(super) const PSYCHIATRIC_FINISHED_SHARE: f64 = 0.05;
/// Acute somatic stays per 1,000 residents aged 65+.
pub(super) const BASE_ACUTE_65: f64 = 231.0;
/// Deaths per resident and year.
pub(super) const BASE_CRUDE_DEATH_RATE: f64 = 0.0101;
/// Share of #43's cohort (25-year-olds with a mental disorder) that has a youth disorder; the
/// rest have one of the adult conditions early. Measured as the part of the municipal volume
/// tilt that reached the regional figures when only the youth disorders were tilted.
pub(super) const YOUTH_DISORDER_COHORT_SHARE: f64 = 0.7;

/// The share of cardiac causes among deaths by age, relative to all deaths.
pub(super) fn cardiac_age_factor(age: i32) -> f64 {
    match age {
        ..=44 => 0.15,
        45..=74 => 0.9,
        _ => 1.1,
    }
}

/// Mental disorders first diagnosed in childhood and youth, by child and adolescent psychiatry
/// (ADHD, anxiety, depression, autism, conduct and eating disorders): the share of persons with
/// one by age 25, and the mix. They are outpatient diagnoses here, without admissions.
pub(super) const YOUTH_DISORDER_SHARE: f64 = 0.15;

/// Type 2 diabetes and COPD: yearly incidence by age (piecewise), their first registration codes.
pub(super) fn diabetes_incidence(age: f64) -> f64 {
    match age as i32 {
        ..=29 => 0.0002,
        30..=49 => 0.003,
        50..=64 => 0.008,
        _ => 0.01,
    }
}
pub(super) fn copd_incidence(age: f64) -> f64 {
    match age as i32 {
        ..=44 => 0.0,
        45..=64 => 0.003,
        _ => 0.007,
    }
}
/// DRG value of a somatic stay: log-normal with this spread around its median.
pub(super) const DRG_SIGMA: f64 = 0.8;
/// Only stays under this DRG value count towards the chronic patients' hospital activity.
pub(super) const DRG_CAP: f64 = 75_000.0;
/// Somatic stays per person-year of a person with type 2 diabetes or COPD, measured.
pub(super) const BASE_CHRONIC_STAYS: f64 = 0.257;

/// Antibiotics redeemed per person-year by age, relative to the population average.
pub(super) fn antibiotic_age_factor(age: i32) -> f64 {
    match age {
        ..=4 => 1.7,
        5..=14 => 0.8,
        15..=64 => 0.85,
        65..=79 => 1.2,
        _ => 1.8,
    }
}
/// Opioid users per expected user: above 1 because persons who enter or die during the year
/// count as residents of the whole year (measured).
pub(super) const BASE_OPIOID_USERS: f64 = 1.029;
/// Share of opioid users by age, relative to the population average.
pub(super) fn opioid_age_factor(age: i32) -> f64 {
    match age {
        ..=17 => 0.0,
        18..=44 => 0.5,
        45..=64 => 1.2,
        65..=79 => 1.8,
        _ => 2.5,
    }
}

/// Expected DRG value below [`DRG_CAP`] of a log-normal stay with median `m`.
pub(super) fn capped_drg_mean(m: f64) -> f64 {
    let z = ((DRG_CAP / m).ln() - DRG_SIGMA * DRG_SIGMA) / DRG_SIGMA;
    m * (DRG_SIGMA * DRG_SIGMA / 2.0).exp() * normal_cdf(z)
}

pub(super) fn normal_cdf(z: f64) -> f64 {
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
pub(super) fn chronic_drg_median(target: f64) -> f64 {
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
pub(super) fn low_mental_health_factor(age: i32) -> f64 {
    match age {
        ..=24 => 1.0,
        25..=44 => 0.6,
        45..=64 => 0.45,
        _ => 0.4,
    }
}

/// The cut-off of a low score on the SF-12 mental component scale in Den Nationale
/// Sundhedsprofil (the lowest fifth of the adult population in 2010).
pub(super) const LOW_MENTAL_SCORE: f64 = 35.76;

/// Survey response propensity by age and sex.
pub(super) fn response(age: i32, male: bool) -> f64 {
    let a = match age {
        0..=24 => 0.4,
        25..=44 => 0.45,
        45..=64 => 0.6,
        65..=79 => 0.7,
        _ => 0.5,
    };
    a * if male { 0.9 } else { 1.0 }
}

pub(super) fn moving_rate(age: i32) -> f64 {
    match age {
        18..=29 => 0.08,
        30..=44 => 0.04,
        _ => 0.015,
    }
}

pub(super) fn fertility(age: i32) -> f64 {
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
pub(super) const SEASON: [f64; 12] = [
    1.0, 0.98, 0.94, 0.89, 0.85, 0.8, 0.79, 0.8, 0.85, 0.89, 0.94, 0.98,
];

pub(super) fn median_los(diag: &str, age: i32) -> f64 {
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

pub(super) fn rehab_plan_probability(diag: &str, age: i32) -> f64 {
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
