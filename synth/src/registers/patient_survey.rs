//! The National Survey of Patient Experiences (Landsdækkende Undersøgelse af Patientoplevelser,
//! LUP): one row per returned questionnaire, for three patient groups.
//!
//! - Somatic patients: sampled from the core's somatic stays. LUP Somatik has been a continuous
//!   monthly measurement since 2022; before, it covered contacts in August-October.
//! - Adults in psychiatry: sampled from the core's psychiatric stays (inpatients) and, as
//!   outpatients, from persons with a registered mental disorder. Monthly since October 2022
//!   (a full year from 2023); before, contacts in September-October.
//! - Children and adolescents in psychiatry, answered by a parent: an annual round covering
//!   contacts in September-October. The core has no child and adolescent psychiatry (its mental
//!   disorders start at 18), so these are outpatient contacts of children drawn by an assumed
//!   age-specific share in treatment; they do not appear in `lpr_admissions`.
//!
//! The answers (1-5, or missing for "ved ikke / ikke relevant") are drawn from a discrete
//! distribution over 1..5 whose mean is the calibration target of the respondent's municipality
//! and year; satisfaction and involvement of the same respondent are correlated through a
//! Gaussian copula, which leaves each question's distribution, and so its mean, unchanged.

use super::{FileSpec, PersonLife, Register, Rows};
use crate::date::{self, Day};
use crate::model::Model;
use crate::rng::{Rng, normal_quantile};

/// Keys of the balanced variates (`Rows::balanced_uniform`).
mod outcome {
    pub const SATISFACTION: u64 = 1;
    pub const INVOLVEMENT: u64 = 2;
}

const FILE: FileSpec = FileSpec {
    name: "lup_respondents.csv",
    header: "respondent,person,answered,survey,contact,contact_start,contact_end,proxy,sex,\
             birth_date,municipality,satisfaction,involvement",
    muni_column: Some(10),
};

/// The patient groups: (value of the `survey` column, letter in the respondent id).
const GROUPS: [(&str, &str); 3] = [
    ("somatic", "S"),
    ("psychiatry_children", "B"),
    ("psychiatry_adults", "V"),
];
const SOMATIC: usize = 0;
const CHILDREN: usize = 1;
const ADULTS: usize = 2;

/// The calibration targets of each group: (satisfaction, involvement).
const INDICATORS: [(&str, &str); 3] = [
    ("satisfaction_somatic", "involvement_somatic"),
    (
        "satisfaction_psychiatry_children",
        "involvement_psychiatry_children",
    ),
    (
        "satisfaction_psychiatry_adults",
        "involvement_psychiatry_adults",
    ),
];

// ---------------------------------------------------------------------------------------------
// Sampling (model assumptions). Volumes at full scale (5.9 million persons) in a year of
// continuous measurement: about 105,000 somatic respondents (about 900,000 somatic stays a
// year in the core), 8,000-9,000 adults in psychiatry and 3,000-3,500 parents in child and
// adolescent psychiatry.

/// First year in which LUP Somatik sampled contacts all year round (monthly measurements).
const SOMATIC_MONTHLY_FROM: i32 = 2022;
/// Months sampled before that (August-October).
const SOMATIC_WINDOW: (u32, u32) = (8, 10);
/// Share of somatic discharges invited: all year round, and within the earlier windows.
const SOMATIC_INVITED_MONTHLY: f64 = 0.23;
const SOMATIC_INVITED_WINDOW: f64 = 0.6;

/// First full year of monthly measurements for adults in psychiatry (they started in October
/// 2022; 2022 is treated as a year of the old September-October round).
const ADULTS_MONTHLY_FROM: i32 = 2023;
const ADULTS_WINDOW: (u32, u32) = (9, 10);
/// Share of adult psychiatric discharges invited, all year round and within the window.
const ADMISSION_INVITED_MONTHLY: f64 = 0.25;
const ADMISSION_INVITED_WINDOW: f64 = 0.8;
/// Share of persons with a registered mental disorder in outpatient treatment in a year.
const OUTPATIENT_IN_TREATMENT: f64 = 0.5;
/// Share of those invited for one visit in the year (the visit day is drawn in the sampled
/// months).
const OUTPATIENT_INVITED_MONTHLY: f64 = 0.18;
const OUTPATIENT_INVITED_WINDOW: f64 = 0.14;
const ADULT_RESPONSE_ADMISSION: f64 = 0.3;
const ADULT_RESPONSE_OUTPATIENT: f64 = 0.35;

/// Child and adolescent psychiatry: one round a year, September-October.
const CHILDREN_WINDOW: (u32, u32) = (9, 10);
/// Of the children in treatment during a year, the share with a contact in the window, the
/// share of those invited, and the parents' response rate.
const CHILDREN_CONTACT_IN_WINDOW: f64 = 0.6;
const CHILDREN_INVITED: f64 = 0.5;
const PARENT_RESPONSE: f64 = 0.4;

/// Share of children in contact with child and adolescent psychiatry during a year, by age.
fn children_in_treatment(age: i32) -> f64 {
    match age {
        0..=5 => 0.004,
        6..=11 => 0.025,
        12..=17 => 0.04,
        _ => 0.0,
    }
}

/// Response rate of somatic patients by age (parents answer for children under 15): lower
/// among the young, highest among the young old.
fn somatic_response(age: i32) -> f64 {
    match age {
        0..=14 => 0.5,
        15..=29 => 0.35,
        30..=49 => 0.45,
        50..=64 => 0.6,
        65..=79 => 0.7,
        _ => 0.5,
    }
}

/// Parents answer on behalf of somatic patients under this age.
const SOMATIC_PROXY_BELOW: i32 = 15;

/// Days from the end of the contact to the returned questionnaire.
const ANSWER_DELAY: (i32, i32) = (5, 40);

/// Share of "ved ikke / ikke relevant" answers (missing) by group: (satisfaction, involvement).
const MISSING: [(f64, f64); 3] = [(0.02, 0.12), (0.02, 0.06), (0.03, 0.08)];

/// Correlation of the latent normals behind a respondent's two answers.
const ANSWER_CORRELATION: f64 = 0.55;

// ---------------------------------------------------------------------------------------------

/// Cumulative probabilities of the answers 1..5.
type Answers = [f64; 5];

/// The contact a questionnaire is about.
struct Contact {
    group: usize,
    admission: bool,
    start: Day,
    end: Day,
    /// Answered by a parent.
    proxy: bool,
}

pub struct PatientSurvey {
    /// [group][question][municipality][year index]
    answers: Vec<[Vec<Vec<Answers>>; 2]>,
}

impl PatientSurvey {
    pub fn new(model: &Model) -> Result<PatientSurvey, String> {
        let dist = |name: &str| -> Result<Vec<Vec<Answers>>, String> {
            Ok(model
                .grid(name, 1.0)?
                .iter()
                .map(|row| row.iter().map(|&mean| answer_distribution(mean)).collect())
                .collect())
        };
        let answers = INDICATORS
            .iter()
            .map(|&(sat, inv)| Ok([dist(sat)?, dist(inv)?]))
            .collect::<Result<Vec<_>, String>>()?;
        Ok(PatientSurvey { answers })
    }

    /// Writes one respondent's row, if the respondent is alive and present when answering.
    fn respond(
        &self,
        model: &Model,
        life: &PersonLife,
        rng: &mut Rng,
        rows: &mut Rows,
        c: Contact,
    ) -> bool {
        let Contact {
            group,
            admission,
            start,
            end,
            proxy,
        } = c;
        let answered = end + rng.range(ANSWER_DELAY.0, ANSWER_DELAY.1);
        if !life.present_on(answered) {
            return false;
        }
        let year = date::year_of(end);
        let muni = life.muni_at(start);
        let yi = model.yi(year);
        // Variates spread evenly over the unit's respondents of the group, municipality and
        // year, so that their mean answers come close to the targets.
        let key = |k: u64| [k, group as u64, muni as u64, year as u64];
        let z1 = normal_quantile(rows.balanced_uniform(key(outcome::SATISFACTION)));
        let own = normal_quantile(rows.balanced_uniform(key(outcome::INVOLVEMENT)));
        let z2 =
            ANSWER_CORRELATION * z1 + (1.0 - ANSWER_CORRELATION * ANSWER_CORRELATION).sqrt() * own;
        let dists = &self.answers[group];
        let satisfaction = draw(&dists[0][muni][yi], normal_cdf(z1));
        let involvement = draw(&dists[1][muni][yi], normal_cdf(z2));
        let (miss_sat, miss_inv) = MISSING[group];
        let miss_sat = rng.chance(miss_sat);
        let miss_inv = rng.chance(miss_inv);
        let (survey, letter) = GROUPS[group];
        let mut row = rows
            .row(0)
            .text(&format!("L{year}{letter}{}", life.id))
            .int(life.id as i64)
            .day(answered)
            .text(survey)
            .text(if admission { "admission" } else { "outpatient" })
            .day(start)
            .day(end)
            .bool(proxy)
            .sex(life.male)
            .day(life.birth)
            .muni(muni);
        row = if miss_sat {
            row.empty()
        } else {
            row.int(satisfaction)
        };
        row = if miss_inv {
            row.empty()
        } else {
            row.int(involvement)
        };
        row.end();
        true
    }
}

impl Register for PatientSurvey {
    fn files(&self) -> Vec<FileSpec> {
        vec![FILE]
    }

    fn person(&self, model: &Model, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        let years = (model.to - model.from + 1) as usize;
        let in_years = |d: Day| (model.from..=model.to).contains(&date::year_of(d));

        // Somatic stays: at most one questionnaire per person and year.
        let mut answered = vec![false; years];
        for st in life.stays.iter().filter(|s| !s.psychiatric) {
            if !in_years(st.discharged) {
                continue;
            }
            let year = date::year_of(st.discharged);
            let yi = (year - model.from) as usize;
            let invited = if year >= SOMATIC_MONTHLY_FROM {
                SOMATIC_INVITED_MONTHLY
            } else if in_window(st.discharged, SOMATIC_WINDOW) {
                SOMATIC_INVITED_WINDOW
            } else {
                0.0
            };
            let age = life.age_on(st.admitted).max(0);
            if answered[yi] || !rng.chance(invited * somatic_response(age)) {
                continue;
            }
            let contact = Contact {
                group: SOMATIC,
                admission: true,
                start: st.admitted,
                end: st.discharged,
                proxy: age < SOMATIC_PROXY_BELOW,
            };
            answered[yi] = self.respond(model, life, rng, rows, contact);
        }

        // Adults in psychiatry: admissions first, then outpatient visits of persons with a
        // registered mental disorder; at most one questionnaire per person and year.
        let mut answered = vec![false; years];
        for st in life.stays.iter().filter(|s| s.psychiatric) {
            if !in_years(st.discharged) || life.age_on(st.admitted) < 18 {
                continue;
            }
            let year = date::year_of(st.discharged);
            let yi = (year - model.from) as usize;
            let invited = if year >= ADULTS_MONTHLY_FROM {
                ADMISSION_INVITED_MONTHLY
            } else if in_window(st.discharged, ADULTS_WINDOW) {
                ADMISSION_INVITED_WINDOW
            } else {
                0.0
            };
            if answered[yi] || !rng.chance(invited * ADULT_RESPONSE_ADMISSION) {
                continue;
            }
            let contact = Contact {
                group: ADULTS,
                admission: true,
                start: st.admitted,
                end: st.discharged,
                proxy: false,
            };
            answered[yi] = self.respond(model, life, rng, rows, contact);
        }
        if let Some((_, onset)) = life.mental_disorder {
            for year in model.from..=model.to {
                let yi = (year - model.from) as usize;
                let (window, invited) = if year >= ADULTS_MONTHLY_FROM {
                    ((1, 12), OUTPATIENT_INVITED_MONTHLY)
                } else {
                    (ADULTS_WINDOW, OUTPATIENT_INVITED_WINDOW)
                };
                let visit = day_in(rng, year, window);
                if answered[yi]
                    || visit < onset
                    || !life.present_on(visit)
                    || life.age_on(visit) < 18
                    || !rng.chance(OUTPATIENT_IN_TREATMENT * invited * ADULT_RESPONSE_OUTPATIENT)
                {
                    continue;
                }
                let contact = Contact {
                    group: ADULTS,
                    admission: false,
                    start: visit,
                    end: visit,
                    proxy: false,
                };
                answered[yi] = self.respond(model, life, rng, rows, contact);
            }
        }

        // Children and adolescents in psychiatry: one round a year, answered by a parent.
        for year in model.from..=model.to {
            let visit = day_in(rng, year, CHILDREN_WINDOW);
            if visit < life.birth || !life.present_on(visit) {
                continue;
            }
            let p = children_in_treatment(life.age_on(visit))
                * CHILDREN_CONTACT_IN_WINDOW
                * CHILDREN_INVITED
                * PARENT_RESPONSE;
            if p > 0.0 && rng.chance(p) {
                let contact = Contact {
                    group: CHILDREN,
                    admission: false,
                    start: visit,
                    end: visit,
                    proxy: true,
                };
                self.respond(model, life, rng, rows, contact);
            }
        }
    }
}

/// Whether `day` falls in the months `window` (first, last) of its year.
fn in_window(day: Day, window: (u32, u32)) -> bool {
    (window.0..=window.1).contains(&date::month_of(day))
}

/// A day drawn uniformly in the months `window` of `year`.
fn day_in(rng: &mut Rng, year: i32, window: (u32, u32)) -> Day {
    let first = date::from_civil(year, window.0, 1);
    let next = if window.1 == 12 {
        date::jan1(year + 1)
    } else {
        date::from_civil(year, window.1 + 1, 1)
    };
    first + rng.range(0, next - first - 1)
}

/// The answer (1..5) at quantile `u` of the cumulative distribution `cum`.
fn draw(cum: &Answers, u: f64) -> i64 {
    cum.iter().position(|&c| u < c).unwrap_or(4) as i64 + 1
}

/// Answers 1..5 with P(k) proportional to exp(theta * k), theta chosen so that the mean is
/// `mean`: an exponential tilt of the uniform distribution, which for means of 3.7-4.4 puts
/// most answers on 4 and 5 and few on 1 and 2, as patient surveys do.
fn answer_distribution(mean: f64) -> Answers {
    let mean = mean.clamp(1.05, 4.95);
    let probs = |theta: f64| -> [f64; 5] {
        let w: Vec<f64> = (1..=5).map(|k| (theta * k as f64).exp()).collect();
        let total: f64 = w.iter().sum();
        [
            w[0] / total,
            w[1] / total,
            w[2] / total,
            w[3] / total,
            w[4] / total,
        ]
    };
    let mean_of =
        |p: &[f64; 5]| -> f64 { p.iter().enumerate().map(|(k, q)| (k + 1) as f64 * q).sum() };
    let (mut lo, mut hi) = (-20.0f64, 20.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if mean_of(&probs(mid)) < mean {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let p = probs(0.5 * (lo + hi));
    let mut cum = [0.0; 5];
    let mut acc = 0.0;
    for k in 0..5 {
        acc += p[k];
        cum[k] = acc;
    }
    cum[4] = 1.0;
    cum
}

/// The standard normal distribution function, by the complementary error function (Numerical
/// Recipes' Chebyshev fit, relative error below 1.2e-7).
fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_distribution_has_the_target_mean() {
        for &m in &[3.66, 3.94, 4.0, 4.36, 4.41] {
            let cum = answer_distribution(m);
            let mut prev = 0.0;
            let mut mean = 0.0;
            for (k, &c) in cum.iter().enumerate() {
                mean += (k + 1) as f64 * (c - prev);
                prev = c;
            }
            assert!((mean - m).abs() < 1e-9, "{m}: {mean}");
            assert!(cum[3] - cum[2] > cum[1], "most answers are 4 or 5");
        }
    }

    #[test]
    fn normal_cdf_is_accurate() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_25).abs() < 1e-6);
    }
}
