//! The clinical quality databases of RKKP behind goal 4 (hip fracture, stroke, COPD) and the
//! coercion records of psychiatry.
//!
//! Every row agrees with the person's life in the core: rows fall on days the person is alive
//! and resident, carry the municipality of residence on that day, and belt restraints fall
//! within the person's psychiatric stays. The outcomes "dies within 30 days" are not written
//! here: the rules read them from the core's `deaths.csv`. The rates come out right because the
//! events are placed conditionally on the life: for a person who dies, an event 0-30 days before
//! the death with the probability that makes the fatal events the target share of all events;
//! otherwise events only on days the person lives at least 31 days past.

use super::{FileSpec, PersonLife, Register, Rows};
use crate::date::{self, Day};
use crate::model::Model;
use crate::rng::Rng;

/// Keys of the balanced outcomes (`Rows::balanced_chance`).
mod outcome {
    pub const HIP_FRACTURE: u64 = 1;
    pub const MOBILISATION: u64 = 2;
    pub const INDIRECT_TEST: u64 = 3;
    pub const DIRECT_TEST: u64 = 4;
    pub const COPD_EXACERBATION: u64 = 5;
    pub const SMOKING_STATUS: u64 = 6;
    pub const BELT: u64 = 7;
}

const HIP: usize = 0;
const STROKE: usize = 1;
const COPD_CONTACTS: usize = 2;
const COPD_ADMISSIONS: usize = 3;
const COERCION: usize = 4;

// ---------------------------------------------------------------------------------------------
// Model assumptions (volumes, age patterns, timings); the calibrated shares come from targets.

/// Hip fractures operated per person-year, women, by age (65-69, 70-74, …, 85-89, 90+): about
/// 6,700 operations a year in Denmark.
const HIP_RATE_WOMEN: [f64; 6] = [0.0012, 0.0024, 0.005, 0.01, 0.019, 0.03];
/// Men break their hips about half as often as women of the same age.
const HIP_RATE_MEN_FACTOR: f64 = 0.5;
/// Fracture types: femoral neck, pertrochanteric, subtrochanteric.
const HIP_FRACTURES: [(&str, f64); 3] = [("DS720", 0.55), ("DS721", 0.38), ("DS722", 0.07)];
/// Of the patients not mobilised within 24 hours, the share mobilised later (the rest never,
/// before discharge).
const HIP_LATE_MOBILISATION: f64 = 0.9;

/// Acute strokes per person-year, women, by age (18-44, 45-54, 55-64, 65-74, 75-84, 85+): about
/// 12,000 a year in Denmark.
const STROKE_RATE_WOMEN: [f64; 6] = [0.00011, 0.00065, 0.0016, 0.0039, 0.0083, 0.015];
const STROKE_RATE_MEN_FACTOR: f64 = 1.25;
/// Stroke subtypes in Dansk Apopleksiregister: infarctions, haemorrhages, unspecified.
const STROKE_DIAGNOSES: [(&str, f64); 5] = [
    ("DI639", 0.6),
    ("DI634", 0.15),
    ("DI619", 0.08),
    ("DI610", 0.05),
    ("DI64", 0.12),
];
/// Transient ischaemic attacks registered besides the strokes (not acute strokes: a decoy for
/// the code list), per stroke.
const TIA_PER_STROKE: f64 = 0.15;
/// Patients whose swallowing cannot be assessed (besides those dying within a day).
const NOT_TESTABLE: f64 = 0.05;
/// Of the patients not tested in time, the share tested later (indirect, direct).
const LATE_INDIRECT_TEST: f64 = 0.75;
const LATE_DIRECT_TEST: f64 = 0.6;

/// Admissions for acute exacerbation of COPD per person-year by age (40-49, …, 80-89, 90+):
/// about 15,000 patients a year.
const EXACERBATION_RATE: [f64; 6] = [0.0003, 0.0015, 0.005, 0.011, 0.016, 0.014];
/// Exacerbation codes: with an acute lower respiratory infection, with acute exacerbation.
const EXACERBATION_DIAGNOSES: [(&str, f64); 2] = [("DJ440", 0.25), ("DJ441", 0.75)];
/// Median length of an exacerbation admission, days.
const EXACERBATION_LOS: f64 = 4.0;
/// Planned admissions of COPD patients per year (not exacerbations: a decoy for the rules).
const COPD_PLANNED_RATE: f64 = 0.02;
/// Share of the population with diagnosed COPD, by age (40-49, …, 80+): a person has COPD from
/// the age at which the curve passes their own draw, so that the disease persists.
const COPD_PREVALENCE: [f64; 5] = [0.01, 0.03, 0.06, 0.09, 0.1];
/// Yearly chance that a person with COPD is followed at a hospital outpatient clinic, and that a
/// person admitted for an exacerbation in the year or the year before is (about 30,000
/// outpatients a year in DrKOL).
const COPD_OUTPATIENT: f64 = 0.13;
const COPD_OUTPATIENT_AFTER_EXACERBATION: f64 = 0.35;
/// Outpatient contacts a year.
const COPD_CONTACTS_PER_YEAR: (i32, i32) = (1, 4);
/// Smoking status when registered: smokers, former smokers, never smokers.
const SMOKING_STATUS: [(&str, f64); 3] = [("current", 0.3), ("former", 0.58), ("never", 0.12)];
/// When the status is registered, the chance that another contact of the year also has it.
const SMOKING_REPEAT: f64 = 0.4;
/// When it is not, the share of contacts registered as asked without an answer.
const SMOKING_UNKNOWN: f64 = 0.15;

/// Belt restraint episodes of a restrained person in a year: 1 + a geometric number.
const BELT_MORE_EPISODES: f64 = 0.55;
/// Other coercion per person-year admitted to psychiatry (decoys for the belt indicator).
const OTHER_COERCION: [(&str, f64); 4] = [
    ("physical_holding", 0.12),
    ("forced_medication", 0.06),
    ("locked_door", 0.03),
    ("straps", 0.005),
];

// ---------------------------------------------------------------------------------------------

pub struct Clinical {
    // [municipality][year index], as fractions
    mobilisation: Vec<Vec<f64>>,
    hip_mortality: Vec<Vec<f64>>,
    indirect_test: Vec<Vec<f64>>,
    direct_test: Vec<Vec<f64>>,
    copd_smoking: Vec<Vec<f64>>,
    copd_mortality: Vec<Vec<f64>>,
    belt: Vec<Vec<f64>>,
}

impl Clinical {
    pub fn new(model: &Model) -> Result<Clinical, String> {
        Ok(Clinical {
            mobilisation: model.grid("hip_fracture_mobilisation", 0.01)?,
            hip_mortality: model.grid("hip_fracture_mortality", 0.01)?,
            indirect_test: model.grid("stroke_indirect_swallow_test", 0.01)?,
            direct_test: model.grid("stroke_direct_swallow_test", 0.01)?,
            copd_smoking: model.grid("copd_smoking_status", 0.01)?,
            copd_mortality: model.grid("copd_exacerbation_mortality", 0.01)?,
            belt: model.grid("psychiatric_belt_restraint", 0.01)?,
        })
    }

    /// Events with a 30-day mortality: days of events and whether the death follows within 30
    /// days; at most one other event a year, and at most one followed by the death.
    ///
    /// `rate(age)` is the events per person-year, `fatal_share[m][y]` the target share of events
    /// followed by death within 30 days (days `gap.0..=gap.1` before it).
    #[allow(clippy::too_many_arguments)]
    fn events_with_mortality(
        &self,
        model: &Model,
        life: &PersonLife,
        rng: &mut Rng,
        min_age: i32,
        rate: impl Fn(i32) -> f64,
        fatal_share: &[Vec<f64>],
        gap: (i32, i32),
        outcome: u64,
        rows: &mut Rows,
        out: &mut Vec<(Day, bool)>,
    ) {
        out.clear();
        // The event before the death. Its chance is the target rate of fatal events divided by
        // the chance of dying in the year, so that fatal events per person-year are
        // rate × share, as the other events below are rate × (1 − share).
        if let Some(death) = life.death {
            let t = death - rng.range(gap.0, gap.1);
            let death_year = date::year_of(death);
            // The event may fall on the day of the death (`gap.0` = 0).
            if t >= life.start && life.age_on(t) >= min_age {
                let (m, yi) = (life.muni_at(t), model.yi(date::year_of(t)));
                let share = fatal_share[m][yi];
                let dying = model.death_probability(life, death_year);
                // The rate at the age on 1 January, as for the other events.
                let age = life.age_on(date::jan1(death_year).max(life.start));
                let mut q = rate(age.max(min_age)) * share / dying.max(1e-9);
                // `deaths.csv` ends with the last year, so the deaths following events of its
                // last weeks are missing; deaths late in that year make up for them.
                if death_year == model.to {
                    let mean_gap = (gap.0 + gap.1) as f64 / 2.0;
                    q *= 365.25 / (365.25 - mean_gap);
                }
                if rows.balanced_chance([outcome, yi as u64, m as u64, 1], q) {
                    out.push((t, true));
                }
            }
        }
        // Other events: on days the person lives at least 31 more days.
        for year in model.from..=model.to {
            let y1 = date::jan1(year + 1);
            let mut lo = date::jan1(year).max(life.start);
            if life.age_on(y1 - 1) < min_age {
                continue;
            }
            if life.age_on(lo) < min_age {
                lo = birthday(life.birth, min_age);
            }
            let hi = life.death.map_or(y1, |d| y1.min(d - 30));
            if lo >= hi {
                continue;
            }
            let (m, yi) = (life.muni_at(lo), model.yi(year));
            let share = fatal_share[m][yi];
            let expected = rate(life.age_on(lo)) * (1.0 - share) * (y1 - lo) as f64 / 365.25;
            if rows.balanced_chance([outcome, yi as u64, m as u64, 0], expected) {
                out.push((lo + rng.range(0, hi - lo - 1), false));
            }
        }
        out.sort();
    }

    fn hip_fractures(&self, model: &Model, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        let factor = if life.male { HIP_RATE_MEN_FACTOR } else { 1.0 };
        let rate = |age: i32| HIP_RATE_WOMEN[((age - 65) / 5).clamp(0, 5) as usize] * factor;
        let mut ops = Vec::new();
        self.events_with_mortality(
            model,
            life,
            rng,
            65,
            rate,
            &self.hip_mortality,
            (1, 30),
            outcome::HIP_FRACTURE,
            rows,
            &mut ops,
        );
        for (n, &(day, _)) in ops.iter().enumerate() {
            let m = life.muni_at(day);
            let yi = model.yi(date::year_of(day));
            let fracture = *rng.pick(&HIP_FRACTURES);
            // Operations mostly in the daytime; minutes since midnight.
            let start = clock(
                rng,
                &[
                    (8 * 60, 16 * 60, 0.7),
                    (16 * 60, 24 * 60, 0.25),
                    (0, 8 * 60, 0.05),
                ],
            );
            // Within 24 hours (never exactly 24, so that rounding the clock times to hundredths
            // of an hour cannot move a patient across the limit), later, or never.
            let delay = if rows.balanced_chance(
                [outcome::MOBILISATION, yi as u64, m as u64, 0],
                self.mobilisation[m][yi],
            ) {
                Some(rng.range(2 * 60, 24 * 60 - 1))
            } else if rng.chance(HIP_LATE_MOBILISATION) {
                Some(rng.range(24 * 60 + 1, 96 * 60))
            } else {
                None
            };
            // No mobilisation after the death (the fatal events are at least a day before it).
            let mobilised = delay
                .map(|d| split(day, start + d))
                .filter(|&(d, _)| life.alive_on(d) || life.death == Some(d));
            let r = rows
                .row(HIP)
                .text(&format!("{}-{}", life.id, n + 1))
                .int(life.id as i64)
                .sex(life.male)
                .day(life.birth)
                .muni(m)
                .text(fracture)
                .day(day)
                .dec(start as f64 / 60.0, 2);
            match mobilised {
                Some((d, minute)) => r.day(d).dec(minute as f64 / 60.0, 2).end(),
                None => r.empty().empty().end(),
            }
        }
    }

    fn strokes(&self, model: &Model, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        let factor = if life.male {
            STROKE_RATE_MEN_FACTOR
        } else {
            1.0
        };
        let mut n = 0;
        for year in model.from..=model.to {
            let y1 = date::jan1(year + 1);
            let mut lo = date::jan1(year).max(life.start);
            let hi = life.death.map_or(y1, |d| y1.min(d));
            let u = rng.f64();
            if life.age_on(y1 - 1) < 18 || lo >= hi {
                continue;
            }
            if life.age_on(lo) < 18 {
                lo = birthday(life.birth, 18);
            }
            let age = life.age_on(lo);
            let band = match age {
                ..=44 => 0,
                45..=54 => 1,
                55..=64 => 2,
                65..=74 => 3,
                75..=84 => 4,
                _ => 5,
            };
            let expected =
                STROKE_RATE_WOMEN[band] * factor * (1.0 + TIA_PER_STROKE) * (y1 - lo) as f64
                    / 365.25;
            if u >= expected || lo >= hi {
                continue;
            }
            let day = lo + rng.range(0, hi - lo - 1);
            n += 1;
            let m = life.muni_at(day);
            let yi = model.yi(year);
            let diagnosis = if rng.chance(TIA_PER_STROKE / (1.0 + TIA_PER_STROKE)) {
                "DG459"
            } else {
                *rng.pick(&STROKE_DIAGNOSES)
            };
            let admitted = clock(
                rng,
                &[
                    (8 * 60, 22 * 60, 0.75),
                    (22 * 60, 24 * 60, 0.08),
                    (0, 8 * 60, 0.17),
                ],
            );
            // Patients dying on the day of admission or the next cannot be assessed.
            let dies_soon = life.death.is_some_and(|d| d - day <= 1);
            let not_testable = dies_soon || rng.chance(NOT_TESTABLE);
            let (indirect, direct) = if not_testable {
                (None, None)
            } else {
                let indirect = if rows.balanced_chance(
                    [outcome::INDIRECT_TEST, yi as u64, m as u64, 0],
                    self.indirect_test[m][yi],
                ) {
                    Some(rng.range(10, 4 * 60 - 1))
                } else if rng.chance(LATE_INDIRECT_TEST) {
                    Some(rng.range(4 * 60 + 1, 48 * 60))
                } else {
                    None
                };
                let direct = if rows.balanced_chance(
                    [outcome::DIRECT_TEST, yi as u64, m as u64, 0],
                    self.direct_test[m][yi],
                ) {
                    Some(rng.range(60, 24 * 60 - 1))
                } else if rng.chance(LATE_DIRECT_TEST) {
                    Some(rng.range(24 * 60 + 1, 5 * 24 * 60))
                } else {
                    None
                };
                (indirect, direct)
            };
            let test = |delay: Option<i32>| {
                delay
                    .map(|d| split(day, admitted + d))
                    .filter(|&(d, _)| life.alive_on(d))
            };
            let mut r = rows
                .row(STROKE)
                .text(&format!("{}-{n}", life.id))
                .int(life.id as i64)
                .sex(life.male)
                .day(life.birth)
                .muni(m)
                .text(diagnosis)
                .day(day)
                .dec(admitted as f64 / 60.0, 2)
                .bool(not_testable);
            for t in [test(indirect), test(direct)] {
                r = match t {
                    Some((d, minute)) => r.day(d).dec(minute as f64 / 60.0, 2),
                    None => r.empty().empty(),
                };
            }
            r.end();
        }
    }

    fn copd(&self, model: &Model, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        let own_draw = rng.f64();
        let rate = |age: i32| EXACERBATION_RATE[((age - 40) / 10).clamp(0, 5) as usize];
        let mut admissions = Vec::new();
        self.events_with_mortality(
            model,
            life,
            rng,
            40,
            rate,
            &self.copd_mortality,
            (0, 30),
            outcome::COPD_EXACERBATION,
            rows,
            &mut admissions,
        );
        // Planned admissions (decoys), on days the person lives at least 31 more days.
        let mut planned = Vec::new();
        let has_copd = |day: Day| {
            let age = life.age_on(day);
            age >= 40 && own_draw < COPD_PREVALENCE[((age - 40) / 10).clamp(0, 4) as usize]
        };
        let mut n_contact = 0;
        for year in model.from..=model.to {
            let y0 = date::jan1(year);
            let y1 = date::jan1(year + 1);
            let lo = y0.max(life.start);
            let hi = life.death.map_or(y1, |d| y1.min(d));
            let (u_follow, u_planned) = (rng.f64(), rng.f64());
            // An exacerbation in the year or the year before brings a patient to the clinic.
            let recent = admissions.iter().any(|&(a, _)| a < y1 && a >= y0 - 365);
            if lo >= hi || !(has_copd(lo) || recent) {
                continue;
            }
            let hi_planned = life.death.map_or(y1, |d| y1.min(d - 30));
            if u_planned < COPD_PLANNED_RATE && lo < hi_planned {
                planned.push(lo + rng.range(0, hi_planned - lo - 1));
            }
            let follow = if recent {
                COPD_OUTPATIENT_AFTER_EXACERBATION
            } else {
                COPD_OUTPATIENT
            };
            if u_follow >= follow {
                continue;
            }
            let k = rng.range(COPD_CONTACTS_PER_YEAR.0, COPD_CONTACTS_PER_YEAR.1);
            let mut days: Vec<Day> = (0..k).map(|_| lo + rng.range(0, hi - lo - 1)).collect();
            days.sort();
            let m = life.muni_at(days[0]);
            let registered = rows.balanced_chance(
                [outcome::SMOKING_STATUS, year as u64, m as u64, 0],
                self.copd_smoking[m][model.yi(year)],
            );
            let carrier = rng.range(0, k - 1);
            let status = *rng.pick(&SMOKING_STATUS);
            for (i, &day) in days.iter().enumerate() {
                n_contact += 1;
                let diagnosis = if rng.chance(0.85) { "DJ449" } else { "DJ448" };
                let smoking = if registered && (i as i32 == carrier || rng.chance(SMOKING_REPEAT)) {
                    Some(status)
                } else if !registered && rng.chance(SMOKING_UNKNOWN) {
                    Some("unknown")
                } else {
                    None
                };
                let r = rows
                    .row(COPD_CONTACTS)
                    .text(&format!("{}-{n_contact}", life.id))
                    .int(life.id as i64)
                    .sex(life.male)
                    .day(life.birth)
                    .muni(life.muni_at(day))
                    .day(day)
                    .text(diagnosis);
                match smoking {
                    Some(s) => r.text(s).end(),
                    None => r.empty().end(),
                }
            }
        }
        let mut all: Vec<(Day, bool, bool)> = admissions
            .iter()
            .map(|&(d, fatal)| (d, true, fatal))
            .chain(planned.iter().map(|&d| (d, false, false)))
            .collect();
        all.sort();
        for (n, &(day, acute, _)) in all.iter().enumerate() {
            let los = (EXACERBATION_LOS * (0.6 * rng.normal()).exp())
                .round()
                .clamp(0.0, 60.0) as i32;
            let discharged = life.death.map_or(day + los, |d| (day + los).min(d));
            let diagnosis = if acute {
                *rng.pick(&EXACERBATION_DIAGNOSES)
            } else {
                "DJ449"
            };
            rows.row(COPD_ADMISSIONS)
                .text(&format!("{}-{}", life.id, n + 1))
                .int(life.id as i64)
                .sex(life.male)
                .day(life.birth)
                .muni(life.muni_at(day))
                .day(day)
                .day(discharged)
                .bool(acute)
                .text(diagnosis)
                .end();
        }
    }

    fn coercion(&self, model: &Model, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        let mut episodes: Vec<(Day, &str)> = Vec::new();
        let mut stays: Vec<usize> = Vec::new();
        for year in model.from..=model.to {
            let y0 = date::jan1(year);
            let y1 = date::jan1(year + 1);
            stays.clear();
            stays.extend((0..life.stays.len()).filter(|&k| {
                let s = &life.stays[k];
                s.psychiatric && s.admitted < y1 && s.discharged >= y0
            }));
            if stays.is_empty() {
                continue;
            }
            // The days of a stay within the year on which the person is present.
            let window = |k: usize| {
                let s = &life.stays[k];
                let lo = s.admitted.max(y0).max(life.start);
                let hi = (s.discharged + 1).min(y1).min(life.death.unwrap_or(y1));
                (lo, hi)
            };
            let k = stays[rng.below(stays.len() as u64) as usize];
            let yi = model.yi(year);
            let m = life.stays[k].muni;
            if rows.balanced_chance([outcome::BELT, yi as u64, m as u64, 0], self.belt[m][yi]) {
                let (lo, hi) = window(k);
                if lo < hi {
                    loop {
                        episodes.push((lo + rng.range(0, hi - lo - 1), "belt"));
                        if !rng.chance(BELT_MORE_EPISODES) {
                            break;
                        }
                    }
                }
            }
            for &(kind, p) in &OTHER_COERCION {
                let k = stays[rng.below(stays.len() as u64) as usize];
                if rng.chance(p) {
                    let (lo, hi) = window(k);
                    if lo < hi {
                        episodes.push((lo + rng.range(0, hi - lo - 1), kind));
                    }
                }
            }
        }
        episodes.sort();
        for (n, &(day, kind)) in episodes.iter().enumerate() {
            rows.row(COERCION)
                .text(&format!("{}-{}", life.id, n + 1))
                .int(life.id as i64)
                .day(day)
                .text(kind)
                .muni(life.muni_at(day))
                .end();
        }
    }
}

/// The day a person reaches `age`.
fn birthday(birth: Day, age: i32) -> Day {
    let (y, m, d) = date::to_civil(birth);
    date::from_civil(y + age, m, d)
}

/// A time of day in minutes, from (first minute, end minute, weight) intervals.
fn clock(rng: &mut Rng, intervals: &[(i32, i32, f64)]) -> i32 {
    let total: f64 = intervals.iter().map(|i| i.2).sum();
    let mut x = rng.f64() * total;
    for &(lo, hi, w) in intervals {
        if x < w {
            return rng.range(lo, hi - 1);
        }
        x -= w;
    }
    let (lo, hi, _) = intervals[intervals.len() - 1];
    rng.range(lo, hi - 1)
}

/// The day and time of day (minutes) `minutes` after the start of `day`.
fn split(day: Day, minutes: i32) -> (Day, i32) {
    (
        day + minutes.div_euclid(24 * 60),
        minutes.rem_euclid(24 * 60),
    )
}

impl Register for Clinical {
    fn files(&self) -> Vec<FileSpec> {
        vec![
            FileSpec {
                name: "rkkp/hip_fracture_operations.csv",
                header: "operation,person,sex,birth_date,municipality,diagnosis,operation_date,operation_time,mobilised_date,mobilised_time",
                muni_column: Some(4),
            },
            FileSpec {
                name: "rkkp/stroke_admissions.csv",
                header: "course,person,sex,birth_date,municipality,diagnosis,admitted,admitted_time,not_testable,indirect_test_date,indirect_test_time,direct_test_date,direct_test_time",
                muni_column: Some(4),
            },
            FileSpec {
                name: "rkkp/copd_outpatient_contacts.csv",
                header: "contact,person,sex,birth_date,municipality,contact_date,diagnosis,smoking_status",
                muni_column: Some(4),
            },
            FileSpec {
                name: "rkkp/copd_admissions.csv",
                header: "admission,person,sex,birth_date,municipality,admitted,discharged,acute,diagnosis",
                muni_column: Some(4),
            },
            FileSpec {
                name: "coercion/coercion_measures.csv",
                header: "episode,person,started,coercion,municipality",
                muni_column: Some(4),
            },
        ]
    }

    fn person(&self, model: &Model, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        self.hip_fractures(model, life, rng, rows);
        self.strokes(model, life, rng, rows);
        self.copd(model, life, rng, rows);
        self.coercion(model, life, rng, rows);
    }
}
