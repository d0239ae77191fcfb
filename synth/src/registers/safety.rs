//! Patient safety: health-care-associated infections (after HAIBA, Statens Serum Institut) and
//! out-of-hospital cardiac arrests (after Dansk Hjertestopregister).

use super::{FileSpec, PersonLife, Register, Rows};
use crate::date;
use crate::model::Model;
use crate::rng::Rng;

/// Keys of the balanced outcomes (`Rows::balanced_chance`).
mod outcome {
    pub const BACTERAEMIA: u64 = 1;
    pub const CLOSTRIDIUM: u64 = 2;
    pub const FATAL_ARREST: u64 = 3;
    pub const SURVIVED_ARREST: u64 = 4;
}

const INFECTIONS: usize = 0;
const ARRESTS: usize = 1;

/// Out-of-hospital cardiac arrests per adult death (about 5,000 arrests and 57,000 adult deaths
/// a year in Denmark): arrests follow the risk of dying, by age and municipality.
const ARRESTS_PER_DEATH: f64 = 0.088;
/// Share of the hazard of bacteraemia that lands in the risk days of the stays ending in the
/// year (stays shorter than 2 days cannot have one; measured).
const BACTERAEMIA_YIELD: f64 = 0.954;
/// Clostridium difficile infections per expected infection: the simulated population is
/// older than the reference distribution the age pattern is normalised over (measured).
const CLOSTRIDIUM_YIELD: f64 = 1.035;
/// Share of the fatal arrests that end in death the same day; the rest die in hospital within
/// a few weeks.
const SAME_DAY_DEATH: f64 = 0.8;

/// Clostridium difficile infections by age, relative to the population average.
fn clostridium_age_factor(age: i32) -> f64 {
    match age {
        ..=1 => 0.3,
        2..=17 => 0.15,
        18..=49 => 0.4,
        50..=64 => 1.0,
        65..=79 => 2.6,
        _ => 5.0,
    }
}

pub struct Safety {
    /// Bacteraemias per risk day, [municipality][year].
    bacteraemia: Vec<Vec<f64>>,
    /// Clostridium difficile infections per person-year at the population's average age.
    clostridium: Vec<Vec<f64>>,
    clostridium_norm: f64,
    /// Share of arrests survived 30 days.
    arrest_survival: Vec<Vec<f64>>,
}

impl Safety {
    pub fn new(model: &Model) -> Result<Safety, String> {
        Ok(Safety {
            bacteraemia: model.grid("hai_bacteraemia", 1e-4 / BACTERAEMIA_YIELD)?,
            clostridium: model.grid("hai_clostridium", 1e-5 / CLOSTRIDIUM_YIELD)?,
            clostridium_norm: model.population_mean(clostridium_age_factor),
            arrest_survival: model.grid("cardiac_arrest_survival", 0.01)?,
        })
    }

    fn infection(
        rows: &mut Rows,
        id: &str,
        life: &PersonLife,
        day: i32,
        kind: &str,
        setting: &str,
    ) {
        rows.row(INFECTIONS)
            .text(id)
            .int(life.id as i64)
            .day(day)
            .text(kind)
            .text(setting)
            .muni(life.muni_at(day))
            .end();
    }

    fn arrest(rows: &mut Rows, life: &PersonLife, day: i32, rng: &mut Rng) {
        let witnessed = rng.chance(0.55);
        let bystander = rng.chance(if witnessed { 0.85 } else { 0.6 });
        rows.row(ARRESTS)
            .text(&format!("{}-{}", life.id, day))
            .int(life.id as i64)
            .day(day)
            .sex(life.male)
            .day(life.birth)
            .muni(life.muni_at(day))
            .bool(witnessed)
            .bool(bystander)
            .end();
    }
}

impl Register for Safety {
    fn files(&self) -> Vec<FileSpec> {
        vec![
            FileSpec {
                name: "haiba_infections.csv",
                header: "infection,person,sample_date,kind,setting,municipality",
                muni_column: Some(5),
            },
            FileSpec {
                name: "cardiac_arrests.csv",
                header: "arrest,person,arrest_date,sex,birth_date,municipality,witnessed,bystander_cpr",
                muni_column: Some(5),
            },
        ]
    }

    fn person(&self, model: &Model, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        let first = date::jan1(model.from);
        let last = date::from_civil(model.to, 12, 31);
        let mut n = 0;

        // Bacteraemia: a constant hazard per day in a somatic bed, found from day 2 of the stay.
        for stay in life.stays.iter().filter(|s| !s.psychiatric) {
            let los = stay.discharged - stay.admitted;
            if los < 2 {
                continue;
            }
            let yi = model.yi(date::year_of(stay.admitted));
            let p = self.bacteraemia[stay.muni][yi];
            let key = [outcome::BACTERAEMIA, yi as u64, stay.muni as u64, 0];
            if rows.balanced_chance(key, (p * los as f64).min(0.5)) {
                let day = stay.admitted + rng.range(2, los);
                if (first..=last).contains(&day) && life.alive_on(day) {
                    n += 1;
                    let id = format!("H{}-{n}", life.id);
                    Self::infection(rows, &id, life, day, "bacteraemia", "hospital");
                }
            }
        }

        // Clostridium difficile: a yearly hazard by age; most cases follow a hospital stay.
        for year in model.from..=model.to {
            let y0 = date::jan1(year).max(life.start);
            let y1 = date::jan1(year + 1);
            if y0 >= y1 || !life.alive_on(y0) {
                continue;
            }
            let m = life.muni_at(y0);
            let rate = self.clostridium[m][model.yi(year)]
                * clostridium_age_factor(life.age_on(y0))
                / self.clostridium_norm;
            let key = [outcome::CLOSTRIDIUM, year as u64, m as u64, 0];
            if !rows.balanced_chance(key, (rate * (y1 - y0) as f64 / 365.25).min(0.5)) {
                continue;
            }
            let recent = life
                .stays
                .iter()
                .rev()
                .find(|s| !s.psychiatric && s.admitted >= y0 && s.admitted < y1);
            let (day, setting) = match recent {
                Some(s) if rng.chance(0.7) => (s.admitted + rng.range(2, 20), "hospital"),
                _ => (y0 + rng.range(0, y1 - y0 - 1), "other health care"),
            };
            if day < y1 && day <= last && life.alive_on(day) {
                n += 1;
                let id = format!("H{}-{n}", life.id);
                Self::infection(rows, &id, life, day, "clostridium difficile", setting);
            }
        }

        // Cardiac arrests, as frequent as ARRESTS_PER_DEATH times the person's risk of dying.
        // Fatal ones are placed just before the death of (1 − s) of that share of the persons
        // who die; survived ones come with probability s times that share of the core's death
        // probability for the year, on days the person lives 30 more days. So the survival is s
        // in expectation in every municipality, whatever its mortality.
        if let Some(death) = life.death
            && (first..=last).contains(&death)
            && life.age_on(death) >= 18
        {
            let m = life.muni_at(death);
            let s = self.arrest_survival[m][model.yi(date::year_of(death))];
            let key = [
                outcome::FATAL_ARREST,
                date::year_of(death) as u64,
                m as u64,
                0,
            ];
            if rows.balanced_chance(key, (1.0 - s) * ARRESTS_PER_DEATH) {
                let before = if rng.chance(SAME_DAY_DEATH) {
                    0
                } else {
                    rng.range(1, 29)
                };
                let day = (death - before).max(life.start).max(first);
                Self::arrest(rows, life, day, rng);
            }
        }
        for year in model.from..=model.to {
            let y0 = date::jan1(year).max(life.start);
            let y1 = date::jan1(year + 1);
            if y0 >= y1 || !life.alive_on(y0) || life.age_on(y0) < 18 {
                continue;
            }
            let m = life.muni_at(y0);
            let s = self.arrest_survival[m][model.yi(year)];
            let key = [outcome::SURVIVED_ARREST, year as u64, m as u64, 0];
            if rows.balanced_chance(
                key,
                s * ARRESTS_PER_DEATH * model.death_probability(life, year),
            ) {
                let day = y0 + rng.range(0, y1 - y0 - 1);
                if life.alive_on(day + 30) {
                    Self::arrest(rows, life, day, rng);
                }
            }
        }
    }
}
