//! Labour market, education and school children: the extracts behind indicators 41-43 and 46
//! (goal 7, "Mere lighed og flere sunde leveår").
//!
//! - `dream_spells.csv`, after DREAM (the register of public transfer payments, Styrelsen for
//!   Arbejdsmarked og Rekruttering) joined with employment from eIndkomst: the weekly
//!   labour-market status of persons aged 18-64, as spells of weeks with the same status.
//! - `education_completions.csv`, after the Danish Education Register (Uddannelsesregisteret):
//!   completed educations of persons born 30 years or less before the first extract year.
//! - `school_survey.csv`, after the accelerometer sub-study of Skolebørnsundersøgelsen: pupils in
//!   grades 5-9 in the survey years 2018 and 2022.
//!
//! The status around a hospital admission is conditioned on the person's life: for an admission
//! that the rules count (a new somatic or psychiatric admission of an employed person aged 18-63
//! who is alive a year later), the generator decides with the calibrated probability whether the
//! person is still employed 365 days later, and writes a timeline that agrees. Likewise the
//! youth education of a person turning 25 depends on whether the core gave them a mental
//! disorder by then.

use super::{FileSpec, PersonLife, Register, Rows};
use crate::date::{self, Day};
use crate::model::Model;
use crate::rng::{Rng, mix};

/// Keys of the balanced outcomes (`Rows::balanced_chance`).
mod outcome {
    pub const RETAINED: u64 = 1;
    pub const YOUTH_EDUCATION: u64 = 2;
}

const SPELLS: usize = 0;
const EDUCATION: usize = 1;
const SCHOOL: usize = 2;

// ---------------------------------------------------------------------------------------------
// Labour-market status (model assumptions).

/// The weekly statuses, in the order of the source's category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Status {
    Employed = 0,
    Education = 1,
    Unemployed = 2,
    Sickness = 3,
    Disability = 4,
    Other = 5,
}

const STATUS_NAMES: [&str; 6] = [
    "employed",
    "education",
    "unemployed",
    "sickness_benefit",
    "disability_pension",
    "other",
];

const ALL_STATUSES: [Status; 6] = [
    Status::Employed,
    Status::Education,
    Status::Unemployed,
    Status::Sickness,
    Status::Disability,
    Status::Other,
];

fn status_from(v: u8) -> Status {
    ALL_STATUSES[v as usize]
}

/// DREAM covers the ages from 18 to the day before the 65th birthday (the pension age).
const LABOUR_FROM_AGE: i32 = 18;
const LABOUR_TO_AGE: i32 = 65;

/// The status of a person at the start of their spells, by age: weights for employed,
/// education, unemployed, sickness benefit, disability pension, other (roughly the
/// Danish population's attachment by age, RAS/AMR).
fn baseline_weights(age: i32) -> [f64; 6] {
    match age {
        ..=19 => [0.30, 0.60, 0.03, 0.0, 0.0, 0.07],
        20..=24 => [0.45, 0.42, 0.05, 0.01, 0.01, 0.06],
        25..=29 => [0.70, 0.15, 0.06, 0.02, 0.02, 0.05],
        30..=49 => [0.83, 0.02, 0.04, 0.03, 0.03, 0.05],
        50..=59 => [0.77, 0.0, 0.04, 0.03, 0.08, 0.08],
        _ => [0.55, 0.0, 0.03, 0.02, 0.12, 0.28],
    }
}

/// Persons with a mental disorder before their spells start are employed less often; the
/// difference goes to disability pension and other benefits.
const MENTAL_EMPLOYMENT_FACTOR: f64 = 0.55;

/// Mean weeks in a status before the next change, by status and age.
fn mean_weeks(s: Status, age: i32) -> f64 {
    match s {
        Status::Employed if age >= 60 => 150.0,
        Status::Employed => 420.0,
        Status::Education if age >= 30 => 60.0,
        Status::Education => 150.0,
        Status::Unemployed => 26.0,
        Status::Sickness => 20.0,
        Status::Disability => 5000.0,
        Status::Other => 150.0,
    }
}

/// The next status after leaving `s` (weights in the order of [`ALL_STATUSES`]).
fn next_weights(s: Status, age: i32) -> [f64; 6] {
    match s {
        Status::Employed if age >= 60 => [0.0, 0.0, 0.2, 0.1, 0.1, 0.6],
        Status::Employed => [0.0, 0.06, 0.64, 0.2, 0.02, 0.08],
        Status::Education => [0.75, 0.0, 0.2, 0.0, 0.0, 0.05],
        Status::Unemployed => [0.7, 0.1, 0.0, 0.05, 0.02, 0.13],
        Status::Sickness => [0.65, 0.0, 0.12, 0.0, 0.1, 0.13],
        Status::Disability => [0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
        Status::Other => [0.5, 0.1, 0.25, 0.05, 0.05, 0.05],
    }
}

/// The status after sick leave of an employed person who is not back at work a year after a
/// new admission (weights in the order of [`ALL_STATUSES`]).
fn exit_weights(age: i32) -> [f64; 6] {
    match age {
        ..=29 => [0.0, 0.25, 0.35, 0.15, 0.0, 0.25],
        30..=49 => [0.0, 0.0, 0.35, 0.25, 0.15, 0.25],
        _ => [0.0, 0.0, 0.25, 0.2, 0.3, 0.25],
    }
}

/// Share of the employed who are retained that still have a spell of sickness benefit
/// after the admission (then back at work within half a year).
const RETAINED_SICK_LEAVE: f64 = 0.4;

/// Retention by age at admission, added to the calibrated share: the young return to work more
/// often, those near the pension age less. Centred on the age mix of the admitted employed.
fn retention_age_shift(age: i32) -> f64 {
    match age {
        ..=34 => 0.03,
        35..=49 => 0.015,
        _ => -0.03,
    }
}

/// Days from the admission to the follow-up, and from the week before it.
const FOLLOW_UP_DAYS: i32 = 365;
const WEEK_BEFORE_DAYS: i32 = 7;

// ---------------------------------------------------------------------------------------------
// Education (model assumptions).

/// The extract holds the completions of persons born at most this many years before the first
/// extract year.
const EDUCATION_COHORT_YEARS: i32 = 30;
/// Share completing the primary school (9th grade).
const PRIMARY_COMPLETION: f64 = 0.97;
/// Share of 25-year-olds without a mental disorder who have completed a youth education.
const YOUTH_COMPLETION_OTHERS: f64 = 0.84;
/// Share of those without a youth education at 25 who complete one in the next four years.
const YOUTH_COMPLETION_LATER: f64 = 0.25;
/// Share of youth educations that are general upper secondary (gymnasial), by mental disorder.
const GENERAL_SHARE: f64 = 0.6;
const GENERAL_SHARE_MENTAL: f64 = 0.45;

// ---------------------------------------------------------------------------------------------
// The school survey (model assumptions).

/// The survey years and the pupils in the physical-activity sub-study (footnote 14 of the
/// report: 1,677 in 2018 and 1,268 in 2022).
const SCHOOL_WAVES: [(i32, f64); 2] = [(2018, 1677.0), (2022, 1268.0)];
/// Pupils in grades 5-9 in Denmark (five birth cohorts of about 67,000).
const PUPILS_GRADES_5_9: f64 = 335_000.0;
/// Share of measured pupils with fewer than 4 valid days of accelerometer wear.
const INVALID_SHARE: f64 = 0.1;

/// Participation by sex and grade.
fn school_response(male: bool, grade: i32) -> f64 {
    let g = 0.95 - 0.05 * (grade - 5) as f64;
    g * if male { 0.75 } else { 0.85 }
}

/// Relative share meeting the recommendation by sex and grade (mean 1 over the ten cells):
/// boys are more active, and activity falls with age.
fn activity_factor(male: bool, grade: i32) -> f64 {
    let g = 1.2 - 0.1 * (grade - 5) as f64;
    g * if male { 1.2 } else { 0.8 }
}

fn mean_response() -> f64 {
    let mut s = 0.0;
    for grade in 5..=9 {
        s += school_response(true, grade) + school_response(false, grade);
    }
    s / 10.0
}

// ---------------------------------------------------------------------------------------------

pub struct Labour {
    from: i32,
    to: i32,
    /// Monday of the first week of the spells (on or before 1 January of the first year).
    week0: Day,
    /// Calibrated shares, [municipality][year index].
    retention_somatic: Vec<Vec<f64>>,
    retention_mental: Vec<Vec<f64>>,
    /// Share with a youth education among 25-year-olds with a mental disorder, by the year they
    /// turn 25: [municipality][year index]. The published figure pools five years, so a cohort
    /// year takes the target of the pooled period centred on it (two years later).
    youth_mental: Vec<Vec<f64>>,
    school_active: Vec<Vec<f64>>,
    school_response_mean: f64,
}

impl Labour {
    pub fn new(model: &Model) -> Result<Labour, String> {
        let jan1 = date::jan1(model.from);
        // 1970-01-05 (day 4) was a Monday.
        let week0 = jan1 - (jan1 - 4).rem_euclid(7);
        let youth_mental = (0..model.munis.len())
            .map(|m| {
                (model.from..=model.to)
                    .map(|y| Ok(model.target("youth_education_mental", m, y + 2)? / 100.0))
                    .collect::<Result<Vec<f64>, String>>()
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Labour {
            from: model.from,
            to: model.to,
            week0,
            retention_somatic: model.grid("work_retention_somatic", 0.01)?,
            retention_mental: model.grid("work_retention_mental", 0.01)?,
            youth_mental,
            school_active: model.grid("school_physical_activity", 0.01)?,
            school_response_mean: mean_response(),
        })
    }

    fn yi(&self, year: i32) -> usize {
        (year.clamp(self.from, self.to) - self.from) as usize
    }

    fn week(&self, d: Day) -> usize {
        ((d - self.week0) / 7) as usize
    }

    /// The weekly labour-market status from the 18th birthday (or the first extract year) to the
    /// 65th birthday, death or the end of the extracts, written as spells.
    fn spells(&self, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        let end = date::from_civil(self.to, 12, 31);
        let first = life
            .start
            .max(date::jan1(self.from))
            .max(birthday(life.birth, LABOUR_FROM_AGE));
        let mut last = end.min(birthday(life.birth, LABOUR_TO_AGE) - 1);
        if let Some(d) = life.death {
            last = last.min(d - 1);
        }
        if first > last {
            return;
        }
        let (k0, k1) = (self.week(first), self.week(last));
        let n = k1 - k0 + 1;
        let mut weeks = vec![0u8; n];
        let age_at_week = |k: usize| life.age_on(self.week0 + 7 * (k0 + k) as i32);

        // The natural course: a baseline status and changes at exponential intervals.
        let mental_before = life.mental_disorder.is_some_and(|(_, d)| d < first);
        let mut w = baseline_weights(life.age_on(first));
        if mental_before {
            let moved = w[0] * (1.0 - MENTAL_EMPLOYMENT_FACTOR);
            w[0] -= moved;
            w[4] += moved * 0.5;
            w[5] += moved * 0.5;
        }
        let mut s = pick_status(rng, &w);
        let mut k = 0usize;
        while k < n {
            let age = age_at_week(k);
            let dur = (rng.exp() * mean_weeks(s, age)).ceil().max(1.0) as usize;
            let stop = (k + dur).min(n);
            weeks[k..stop].fill(s as u8);
            k = stop;
            if k < n {
                s = pick_status(rng, &next_weights(s, age_at_week(k)));
            }
        }

        // The admissions the rules count, in order; each decision fixes the status up to its
        // follow-up week, which later decisions leave alone.
        let mut lock: Option<usize> = None;
        for (admitted, psychiatric, muni) in index_admissions(life, self.from, self.to) {
            let before = admitted - WEEK_BEFORE_DAYS;
            let after = admitted + FOLLOW_UP_DAYS;
            if before < first || after > last {
                continue;
            }
            let (kb, ke, kf) = (
                self.week(before) - k0,
                self.week(admitted) - k0,
                self.week(after) - k0,
            );
            if weeks[kb] != Status::Employed as u8 {
                continue;
            }
            let age = life.age_on(admitted);
            let table = if psychiatric {
                &self.retention_mental
            } else {
                &self.retention_somatic
            };
            let p = (table[muni][self.yi(date::year_of(admitted))] + retention_age_shift(age))
                .clamp(0.02, 0.98);
            let start = lock.map_or(ke, |l| ke.max(l + 1));
            if start > kf {
                continue;
            }
            let yi = self.yi(date::year_of(admitted));
            if rows.balanced_chance(
                [
                    outcome::RETAINED,
                    yi as u64,
                    muni as u64,
                    psychiatric as u64,
                ],
                p,
            ) {
                let mut at = start;
                if rng.chance(RETAINED_SICK_LEAVE) {
                    let sick = (rng.range(1, 26) as usize).min(kf - start);
                    weeks[start..start + sick].fill(Status::Sickness as u8);
                    at = start + sick;
                }
                let stop = (kf + rng.range(4, 104) as usize + 1).min(n);
                weeks[at..stop].fill(Status::Employed as u8);
            } else {
                let sick = (rng.range(4, 40) as usize).min(kf + 1 - start);
                weeks[start..start + sick].fill(Status::Sickness as u8);
                let exit = pick_status(rng, &exit_weights(age));
                let stop = if exit == Status::Disability {
                    n
                } else {
                    (kf + rng.range(0, 78) as usize + 1).min(n)
                };
                if start + sick < stop {
                    weeks[start + sick..stop].fill(exit as u8);
                }
            }
            lock = Some(lock.map_or(kf, |l| l.max(kf)));
        }

        // Runs of equal weeks.
        let mut k = 0usize;
        while k < n {
            let mut j = k;
            while j + 1 < n && weeks[j + 1] == weeks[k] {
                j += 1;
            }
            let from = (self.week0 + 7 * (k0 + k) as i32).max(first);
            let to = (self.week0 + 7 * (k0 + j) as i32 + 6).min(last);
            rows.row(SPELLS)
                .int(life.id as i64)
                .day(from)
                .day(to)
                .text(STATUS_NAMES[status_from(weeks[k]) as usize])
                .end();
            k = j + 1;
        }
    }

    /// Completed educations: primary school at 16, a youth education (most by 25), and some
    /// higher educations after a general upper secondary one.
    fn education(&self, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        let b = date::year_of(life.birth);
        if b < self.from - EDUCATION_COHORT_YEARS {
            return;
        }
        let mut limit = date::from_civil(self.to, 12, 31);
        if let Some(d) = life.death {
            limit = limit.min(d - 1);
        }
        let mut out: Vec<(Day, &str)> = Vec::new();
        let june_end = |y: i32, rng: &mut Rng| date::from_civil(y, 6, 20) + rng.range(0, 10);
        if rng.chance(PRIMARY_COMPLETION) {
            out.push((june_end(b + 16, rng), "grundskole"));
        }
        // The year they turn 25, and whether the core gave them a mental disorder by its end.
        let c = b + 25;
        let year_end = date::jan1(c + 1);
        let mental = life
            .diagnoses
            .iter()
            .any(|&(d, code)| d < year_end && code.starts_with("DF"));
        let m = life.muni_at(date::jan1(c));
        let p = if mental {
            self.youth_mental[m][self.yi(c)]
        } else {
            YOUTH_COMPLETION_OTHERS
        };
        let general_share = if mental {
            GENERAL_SHARE_MENTAL
        } else {
            GENERAL_SHARE
        };
        let youth = if rows.balanced_chance(
            [outcome::YOUTH_EDUCATION, c as u64, m as u64, mental as u64],
            p,
        ) {
            if rng.chance(general_share) {
                let y = b + 19 + rng.chance(0.3) as i32;
                Some((june_end(y, rng), "gymnasial"))
            } else {
                let y = rng.range(b + 20, b + 24);
                Some((date::jan1(y) + rng.range(0, 364), "erhvervsfaglig"))
            }
        } else if rng.chance(YOUTH_COMPLETION_LATER) {
            let y = rng.range(c + 1, c + 4);
            Some((date::jan1(y) + rng.range(0, 364), "erhvervsfaglig"))
        } else {
            None
        };
        if let Some((d, level)) = youth {
            out.push((d, level));
            let y = date::year_of(d);
            let u = rng.f64();
            if level == "gymnasial" {
                if u < 0.3 {
                    out.push((june_end(y + rng.range(3, 4), rng), "bachelor"));
                    if rng.chance(0.75) {
                        out.push((june_end(y + rng.range(5, 7), rng), "lang_videregaaende"));
                    }
                } else if u < 0.6 {
                    out.push((
                        june_end(y + rng.range(4, 5), rng),
                        "mellemlang_videregaaende",
                    ));
                } else if u < 0.68 {
                    out.push((june_end(y + rng.range(2, 3), rng), "kort_videregaaende"));
                }
            } else if u < 0.1 {
                out.push((june_end(y + rng.range(2, 3), rng), "kort_videregaaende"));
            } else if u < 0.2 {
                out.push((
                    june_end(y + rng.range(4, 5), rng),
                    "mellemlang_videregaaende",
                ));
            }
        }
        for (d, level) in out {
            if d <= limit {
                rows.row(EDUCATION)
                    .int(life.id as i64)
                    .day(d)
                    .text(level)
                    .end();
            }
        }
    }

    /// Pupils in grades 5-9 drawn into the physical-activity sub-study of a survey year.
    fn school(&self, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        let b = date::year_of(life.birth);
        for &(wave, sample) in &SCHOOL_WAVES {
            if wave < self.from || wave > self.to {
                continue;
            }
            // Pupils start in børnehaveklasse (grade 0) in August of the year they turn six.
            let grade = wave - b - 7;
            if !(5..=9).contains(&grade) {
                continue;
            }
            // The measurement week starts on a Monday between February and April.
            let day = date::from_civil(wave, 2, 1) + rng.range(0, 80);
            let day = day - (day - 4).rem_euclid(7);
            if !life.present_on(day) {
                continue;
            }
            let fraction =
                sample / (PUPILS_GRADES_5_9 * self.school_response_mean * (1.0 - INVALID_SHARE));
            let p_select = fraction * school_response(life.male, grade);
            if !rng.chance(p_select) {
                continue;
            }
            let m = life.muni_at(day);
            let p_meet = (self.school_active[m][self.yi(wave)] * activity_factor(life.male, grade))
                .clamp(0.01, 0.95);
            let meets = rng.chance(p_meet);
            let minutes = if meets {
                60.0 + rng.exp() * 22.0
            } else {
                (15.0 + 45.0 * rng.f64().powf(0.6)).min(59.9)
            };
            let minutes = (minutes * 10.0).floor() / 10.0;
            let valid_days = if rng.chance(INVALID_SHARE) {
                rng.range(0, 3)
            } else {
                rng.range(4, 7)
            };
            let respondent = format!(
                "SB{wave}-{:016x}",
                mix(life.id.wrapping_mul(31).wrapping_add(wave as u64))
            );
            let row = rows
                .row(SCHOOL)
                .text(&respondent)
                .day(day)
                .int(grade as i64)
                .sex(life.male)
                .muni(m)
                .dec(1.0 / p_select, 2)
                .int(valid_days as i64);
            if valid_days == 0 {
                row.empty().end();
            } else {
                row.dec(minutes, 1).end();
            }
        }
    }
}

/// The day of the `years`-th birthday (29 February births on 1 March in other years).
fn birthday(birth: Day, years: i32) -> Day {
    let (y, m, d) = date::to_civil(birth);
    if m == 2 && d == 29 {
        let leap = (y + years) % 4 == 0 && ((y + years) % 100 != 0 || (y + years) % 400 == 0);
        if !leap {
            return date::from_civil(y + years, 3, 1);
        }
    }
    date::from_civil(y + years, m, d)
}

fn pick_status(rng: &mut Rng, w: &[f64; 6]) -> Status {
    let items: [(Status, f64); 6] = std::array::from_fn(|i| (ALL_STATUSES[i], w[i]));
    *rng.pick(&items)
}

/// The admissions indicators 41 and 42 count, as their rules define them: a somatic or
/// psychiatric admission in the extract years with no admission of the same kind in the 365
/// days before it, at ages 18-63, of a person alive 365 days later. (admission day,
/// psychiatric, municipality of residence at admission), in order.
fn index_admissions(life: &PersonLife, from: i32, to: i32) -> Vec<(Day, bool, usize)> {
    let (lo, hi) = (date::jan1(from), date::from_civil(to, 12, 31));
    let mut out = Vec::new();
    for (i, st) in life.stays.iter().enumerate() {
        let a = st.admitted;
        if a < lo || a > hi {
            continue;
        }
        let age = life.age_on(a);
        if !(LABOUR_FROM_AGE..=63).contains(&age) {
            continue;
        }
        if life.death.is_some_and(|d| d <= a + FOLLOW_UP_DAYS) {
            continue;
        }
        let earlier = life.stays[..i]
            .iter()
            .any(|p| p.psychiatric == st.psychiatric && p.admitted < a && p.admitted >= a - 365);
        if !earlier {
            out.push((a, st.psychiatric, st.muni));
        }
    }
    out
}

impl Register for Labour {
    fn files(&self) -> Vec<FileSpec> {
        vec![
            FileSpec {
                name: "dream_spells.csv",
                header: "person,spell_start,spell_end,status",
                muni_column: None,
            },
            FileSpec {
                name: "education_completions.csv",
                header: "person,completed,level",
                muni_column: None,
            },
            FileSpec {
                name: "school_survey.csv",
                header: "respondent,surveyed,grade,sex,municipality,survey_weight,valid_days,mvpa_minutes",
                muni_column: Some(4),
            },
        ]
    }

    fn person(&self, _model: &Model, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        self.spells(life, rng, rows);
        self.education(life, rng, rows);
        self.school(life, rng, rows);
    }
}
