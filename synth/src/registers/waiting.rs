//! Waiting times, the right to assessment and cancer patient pathways (goal 5, #25-32).
//!
//! Three extracts after the National Patient Register (LPR):
//!
//! - `waiting/treatment_referrals.csv`: waiting-time courses from referral to treatment
//!   (somatic, with operations and endoscopies flagged, and psychiatric), after LPR's
//!   waiting-time registration;
//! - `waiting/assessment_courses.csv`: assessment courses under the right to assessment within
//!   30 days (udredningsretten), with the registered reason when a longer course kept the right;
//! - `waiting/cancer_pathways.csv`: cancer patient pathways (kræftpakkeforløb) with referral
//!   (monitoring point A) and start of the initial treatment (F), after "Monitorering af
//!   kræftområdet".
//!
//! Each stream is a Poisson process over the days the person is alive and present, with a
//! per-person-year rate by age (and sex for the cancer pathways). The municipality is the
//! residence on the referral date, and an outcome date (treatment, assessment) is written only
//! when the person is alive on it and it falls within the extracts; otherwise it is missing, as
//! for a course still open when the extract is drawn. The calibration targets are read per
//! municipality and year (`Model::grid`); all published figures are regional, so every
//! municipality of a region has the region's target.

use super::{FileSpec, PersonLife, Register, Rows};
use crate::date::{self, Day};
use crate::model::Model;
use crate::rng::{Rng, normal_quantile};

/// Keys of the balanced outcomes (`Rows::balanced_chance`, `Rows::balanced_uniform`).
mod outcome {
    pub const WAIT: u64 = 1;
    pub const ASSESSED: u64 = 2;
    pub const CANCER_ON_TIME: u64 = 3;
}

const TREATMENT: usize = 0;
const ASSESSMENT: usize = 1;
const CANCER: usize = 2;

/// Share of somatic waiting-time courses that wait for an operation or an endoscopy (about a
/// third of the planned somatic treatments in Denmark are operations).
const SURGICAL_SHARE: f64 = 0.35;
/// Lowest mean wait the non-surgical somatic courses are given (a guard: the non-surgical mean
/// is derived from the somatic and the surgical target).
const MIN_MEAN_WAIT: f64 = 5.0;
/// Spread (σ of the logarithm) of the log-normal waiting times: right-skewed, median about
/// 0.7-0.75 of the mean.
const SIGMA_SOMATIC: f64 = 0.8;
const SIGMA_SURGERY: f64 = 0.7;
const SIGMA_PSYCHIATRY: f64 = 0.75;
/// Longest wait drawn, days.
const MAX_WAIT: f64 = 730.0;
/// Share of waiting-time courses with days the patient was not available (own wish to
/// postpone, illness), and their range in days.
const UNAVAILABLE_SHARE: f64 = 0.1;
const UNAVAILABLE_DAYS: (i32, i32) = (7, 60);

/// The legal deadline of the right to assessment, days (the data-generating process must know
/// it to place the courses kept and broken; the rules state it again).
const ASSESSMENT_DEADLINE: i32 = 30;
/// Of the courses that keep the right, the share that ran longer than the deadline with a
/// registered valid reason (clinical, or the patient's circumstances).
const EXCEPTION_SHARE_SOMATIC: f64 = 0.12;
const EXCEPTION_SHARE_PSYCHIATRY: f64 = 0.15;
/// Of those reasons, the share that are clinical (the rest: the patient's circumstances).
const CLINICAL_SHARE: f64 = 0.6;

/// Share of cancer pathways in which cancer is confirmed and an initial treatment starts (the
/// rest end when cancer is ruled out).
const CANCER_CONFIRMED: f64 = 0.4;

/// The organ-specific pathways: (category value, standard time from referral to initial
/// treatment in days, weight among men, weight among women). The standard times mirror
/// `rules/fast_assessment.ind` (Sundhedsstyrelsen's pakkeforløb, approximately); the weights
/// follow the Danish incidence of the cancers.
const CANCER_TYPES: [(&str, i32, f64, f64); 10] = [
    ("breast", 29, 0.005, 0.30),
    ("colorectal", 29, 0.17, 0.13),
    ("lung", 35, 0.16, 0.14),
    ("prostate", 52, 0.30, 0.0),
    ("bladder", 38, 0.09, 0.03),
    ("kidney", 36, 0.05, 0.03),
    ("melanoma", 24, 0.09, 0.11),
    ("head_neck", 30, 0.07, 0.03),
    ("ovary", 22, 0.0, 0.06),
    ("pancreas", 27, 0.05, 0.05),
];

/// Somatic waiting-time courses per person-year by age (about 600,000 a year in Denmark).
fn somatic_treatment_rate(age: i32) -> f64 {
    match age {
        0..=17 => 0.05,
        18..=39 => 0.07,
        40..=59 => 0.10,
        60..=79 => 0.16,
        _ => 0.14,
    }
}

/// Psychiatric waiting-time courses per person-year by age (about 10,000 a year for children
/// and adolescents, 28,000 for adults).
fn psychiatric_rate(age: i32) -> f64 {
    match age {
        0..=5 => 0.002,
        6..=12 => 0.010,
        13..=17 => 0.014,
        18..=29 => 0.012,
        30..=49 => 0.007,
        50..=64 => 0.004,
        _ => 0.002,
    }
}

/// Somatic assessment courses under the right per person-year by age (about 290,000 a year).
fn somatic_assessment_rate(age: i32) -> f64 {
    match age {
        0..=17 => 0.03,
        18..=39 => 0.04,
        40..=59 => 0.05,
        60..=79 => 0.07,
        _ => 0.06,
    }
}

/// Cancer pathways started per person-year by age (about 68,000 a year in Denmark).
fn cancer_rate(age: i32) -> f64 {
    match age {
        0..=17 => 0.0,
        18..=29 => 0.0012,
        30..=39 => 0.0036,
        40..=49 => 0.0072,
        50..=59 => 0.0144,
        60..=69 => 0.0264,
        70..=79 => 0.036,
        _ => 0.0336,
    }
}

/// `[municipality][year]` tables.
type Grid = Vec<Vec<f64>>;

pub struct Waiting {
    /// Mean waits, days: non-surgical somatic, surgical, psychiatric children and adults.
    wait_other: Grid,
    wait_surgery: Grid,
    wait_children: Grid,
    wait_adults: Grid,
    /// Probability that an assessment course keeps the right.
    assess_somatic: Grid,
    assess_children: Grid,
    assess_adults: Grid,
    /// Probability that a treated cancer pathway is within its standard time.
    cancer_on_time: Grid,
    /// Relative volumes by region (`Model::region_volume_tilt`) of the psychiatric treatment
    /// courses of children and of adults and of the adults' assessment courses, whose
    /// published national figures weight the regions by their volumes.
    tilt_children: Vec<f64>,
    tilt_adults: Vec<f64>,
    tilt_assess_adults: Vec<f64>,
}

impl Waiting {
    pub fn new(model: &Model) -> Result<Waiting, String> {
        let somatic = model.grid("waiting_somatic", 1.0)?;
        let wait_surgery = model.grid("waiting_surgery", 1.0)?;
        // The somatic mean covers surgical and other courses: the others get the mean that
        // makes the mixture's mean the somatic target.
        let wait_other = somatic
            .iter()
            .zip(&wait_surgery)
            .map(|(som, sur)| {
                som.iter()
                    .zip(sur)
                    .map(|(s, u)| {
                        ((s - SURGICAL_SHARE * u) / (1.0 - SURGICAL_SHARE)).max(MIN_MEAN_WAIT)
                    })
                    .collect()
            })
            .collect();
        Ok(Waiting {
            wait_other,
            wait_surgery,
            wait_children: model.grid("waiting_psychiatry_children", 1.0)?,
            wait_adults: model.grid("waiting_psychiatry_adults", 1.0)?,
            assess_somatic: model.grid("assessment_somatic", 0.01)?,
            assess_children: model.grid("assessment_psychiatry_children", 0.01)?,
            assess_adults: model.grid("assessment_psychiatry_adults", 0.01)?,
            cancer_on_time: model.grid("cancer_pathways_on_time", 0.01)?,
            tilt_children: model.region_volume_tilt("waiting_psychiatry_children", model.to)?,
            tilt_adults: model.region_volume_tilt("waiting_psychiatry_adults", model.to)?,
            tilt_assess_adults: model
                .region_volume_tilt("assessment_psychiatry_adults", model.to)?,
        })
    }
}

/// The days of a Poisson process with a rate per person-year depending on the age, from
/// `from` (inclusive) to `stop` (exclusive). The rate is held for at most a year: a longer gap
/// moves on a year and draws again (exact for a piecewise-constant rate, the exponential has
/// no memory).
fn events(
    rng: &mut Rng,
    life: &PersonLife,
    from: Day,
    stop: Day,
    rate: impl Fn(i32) -> f64,
) -> Vec<Day> {
    let mut out = Vec::new();
    let mut t = from;
    while t < stop {
        let r = rate(life.age_on(t).max(0));
        let gap = if r > 0.0 {
            rng.exp() / r * 365.25
        } else {
            f64::INFINITY
        };
        if gap > 365.0 {
            t += 365;
            continue;
        }
        t += gap.floor() as i32;
        if t < stop {
            out.push(t);
        }
        t += 1;
    }
    out
}

/// A log-normal variate with mean 1.
fn unit_lognormal(u: f64, sigma: f64) -> f64 {
    (sigma * normal_quantile(u) - sigma * sigma / 2.0).exp()
}

/// The outcome day if the person is alive on it and it falls before `end` (the day after the
/// extracts), else missing.
fn observed(life: &PersonLife, day: Day, end: Day) -> Option<Day> {
    (day < end && life.alive_on(day)).then_some(day)
}

impl Waiting {
    /// The target of `grid` for the municipality, in the year of `day`.
    fn at(model: &Model, grid: &Grid, muni: usize, day: Day) -> f64 {
        grid[muni][model.yi(date::year_of(day))]
    }

    fn treatment_courses(
        &self,
        model: &Model,
        life: &PersonLife,
        rng: &mut Rng,
        rows: &mut Rows,
        span: (Day, Day),
    ) {
        let (from, stop) = span;
        let end = date::jan1(model.to + 1);
        let mut referrals: Vec<(Day, bool)> = events(rng, life, from, stop, somatic_treatment_rate)
            .into_iter()
            .map(|d| (d, false))
            .collect();
        referrals.extend(
            events(rng, life, from, stop, psychiatric_rate)
                .into_iter()
                .map(|d| (d, true)),
        );
        referrals.sort_unstable();
        let mut n = 0;
        for (referred, psychiatric) in referrals {
            let muni = life.muni_at(referred);
            let child = life.age_on(referred) < 18;
            if psychiatric {
                let tilt = if child {
                    &self.tilt_children
                } else {
                    &self.tilt_adults
                };
                if !rng.chance(tilt[model.region_index(muni)]) {
                    continue;
                }
            }
            n += 1;
            let surgical = !psychiatric && rng.chance(SURGICAL_SHARE);
            let (grid, sigma) = match (psychiatric, child, surgical) {
                (true, true, _) => (&self.wait_children, SIGMA_PSYCHIATRY),
                (true, false, _) => (&self.wait_adults, SIGMA_PSYCHIATRY),
                (false, _, true) => (&self.wait_surgery, SIGMA_SURGERY),
                (false, _, false) => (&self.wait_other, SIGMA_SOMATIC),
            };
            // The target of the year the treatment starts in (the indicator's period): placed
            // with the referral year's mean first, then drawn again with the same variate.
            let kind = (psychiatric as u64) << 2 | (child as u64) << 1 | surgical as u64;
            let year = date::year_of(referred) as u64;
            let u = rows.balanced_uniform([outcome::WAIT, kind, muni as u64, year]);
            let z = unit_lognormal(u, sigma);
            let first = (z * Self::at(model, grid, muni, referred)).min(MAX_WAIT);
            let mean = Self::at(model, grid, muni, referred + first.round() as i32);
            let wait = (z * mean).min(MAX_WAIT).round() as i32;
            let unavailable = if rng.chance(UNAVAILABLE_SHARE) {
                rng.range(UNAVAILABLE_DAYS.0, UNAVAILABLE_DAYS.1)
            } else {
                0
            };
            let treated = observed(life, referred + wait + unavailable, end);
            rows.row(TREATMENT)
                .text(&format!("{}-{}", life.id, n))
                .int(life.id as i64)
                .day(life.birth)
                .muni(muni)
                .text(if psychiatric {
                    "psychiatric"
                } else {
                    "somatic"
                })
                .bool(surgical)
                .day(referred)
                .opt_day(treated)
                .int(unavailable as i64)
                .end();
        }
    }

    fn assessment_courses(
        &self,
        model: &Model,
        life: &PersonLife,
        rng: &mut Rng,
        rows: &mut Rows,
        span: (Day, Day),
    ) {
        let (from, stop) = span;
        let end = date::jan1(model.to + 1);
        let mut referrals: Vec<(Day, bool)> =
            events(rng, life, from, stop, somatic_assessment_rate)
                .into_iter()
                .map(|d| (d, false))
                .collect();
        referrals.extend(
            events(rng, life, from, stop, psychiatric_rate)
                .into_iter()
                .map(|d| (d, true)),
        );
        referrals.sort_unstable();
        let mut n = 0;
        for (referred, psychiatric) in referrals {
            let muni = life.muni_at(referred);
            if psychiatric
                && life.age_on(referred) >= 18
                && !rng.chance(self.tilt_assess_adults[model.region_index(muni)])
            {
                continue;
            }
            n += 1;
            let (grid, exception_share) = if !psychiatric {
                (&self.assess_somatic, EXCEPTION_SHARE_SOMATIC)
            } else if life.age_on(referred) < 18 {
                (&self.assess_children, EXCEPTION_SHARE_PSYCHIATRY)
            } else {
                (&self.assess_adults, EXCEPTION_SHARE_PSYCHIATRY)
            };
            // The target of the year the assessment typically ends in.
            let kind = if !psychiatric {
                0
            } else if life.age_on(referred) < 18 {
                1
            } else {
                2
            };
            let kept = rows.balanced_chance(
                [
                    outcome::ASSESSED,
                    kind,
                    muni as u64,
                    date::year_of(referred) as u64,
                ],
                Self::at(model, grid, muni, referred + 20),
            );
            let (days, exception) = if kept && !rng.chance(exception_share) {
                // Assessed within the deadline, most in its second half.
                let u = rng.f64().powf(0.7);
                (
                    3 + (u * (ASSESSMENT_DEADLINE - 3) as f64).round() as i32,
                    "none",
                )
            } else if kept {
                let reason = if rng.chance(CLINICAL_SHARE) {
                    "clinical"
                } else {
                    "patient"
                };
                (
                    rng.range(ASSESSMENT_DEADLINE + 1, 4 * ASSESSMENT_DEADLINE),
                    reason,
                )
            } else {
                // Broken: beyond the deadline, an exponential tail with mean 25 days.
                let over = (rng.exp() * 25.0).round().min(330.0) as i32;
                (ASSESSMENT_DEADLINE + 1 + over, "none")
            };
            let assessed = observed(life, referred + days, end);
            rows.row(ASSESSMENT)
                .text(&format!("{}-{}", life.id, n))
                .int(life.id as i64)
                .day(life.birth)
                .muni(muni)
                .text(if psychiatric {
                    "psychiatric"
                } else {
                    "somatic"
                })
                .day(referred)
                .opt_day(assessed)
                .text(exception)
                .end();
        }
    }

    fn cancer_pathways(
        &self,
        model: &Model,
        life: &PersonLife,
        rng: &mut Rng,
        rows: &mut Rows,
        span: (Day, Day),
    ) {
        let (from, stop) = span;
        let end = date::jan1(model.to + 1);
        let weights: Vec<(usize, f64)> = CANCER_TYPES
            .iter()
            .enumerate()
            .map(|(i, t)| (i, if life.male { t.2 } else { t.3 }))
            .collect();
        for (n, referred) in events(rng, life, from, stop, cancer_rate)
            .into_iter()
            .enumerate()
        {
            let muni = life.muni_at(referred);
            let (name, standard, _, _) = CANCER_TYPES[*rng.pick(&weights)];
            let treated = if rng.chance(CANCER_CONFIRMED) {
                let p = Self::at(model, &self.cancer_on_time, muni, referred + standard);
                let key = [
                    outcome::CANCER_ON_TIME,
                    0,
                    muni as u64,
                    date::year_of(referred) as u64,
                ];
                let days = if rows.balanced_chance(key, p) {
                    // Within the standard time, most in its second half.
                    let u = rng.f64().powf(0.6);
                    (standard as f64 * (0.45 + 0.55 * u)).floor() as i32
                } else {
                    standard + 1 + (rng.exp() * 0.35 * standard as f64).round() as i32
                };
                observed(life, referred + days, end)
            } else {
                None
            };
            rows.row(CANCER)
                .text(&format!("{}-{}", life.id, n + 1))
                .int(life.id as i64)
                .day(life.birth)
                .muni(muni)
                .text(name)
                .day(referred)
                .opt_day(treated)
                .end();
        }
    }
}

impl Register for Waiting {
    fn files(&self) -> Vec<FileSpec> {
        vec![
            FileSpec {
                name: "waiting/treatment_referrals.csv",
                header: "referral,person,birth_date,municipality,sector,surgical,referred,treatment_start,unavailable_days",
                muni_column: Some(3),
            },
            FileSpec {
                name: "waiting/assessment_courses.csv",
                header: "course,person,birth_date,municipality,sector,referred,assessed,exception",
                muni_column: Some(3),
            },
            FileSpec {
                name: "waiting/cancer_pathways.csv",
                header: "pathway,person,birth_date,municipality,cancer_type,referred,treatment_start",
                muni_column: Some(3),
            },
        ]
    }

    fn person(&self, model: &Model, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        // The days the person is present within the extracts: from entry to the end of the
        // last year or the death.
        let from = life.start.max(date::jan1(model.from));
        let stop = life.death.map_or(date::jan1(model.to + 1), |d| {
            d.min(date::jan1(model.to + 1))
        });
        if from >= stop {
            return;
        }
        self.treatment_courses(model, life, rng, rows, (from, stop));
        self.assessment_courses(model, life, rng, rows, (from, stop));
        self.cancer_pathways(model, life, rng, rows, (from, stop));
    }
}
