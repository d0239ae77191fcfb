//! The units below the municipality that a person meets: their general practice and the hospital
//! department of each stay.
//!
//! - `gp_registrations.csv`, after the list of the health insurance (sygesikringen, CPR's
//!   `lægevalg`): the periods a person is on a practice's list. Every resident is on some list
//!   from the day they enter the population until the day before they die.
//! - `lpr_stay_departments.csv`, after LPR's department code (SOR/SHAK): one row per row of
//!   `lpr_admissions.csv`, in the same order, keyed by person, admission, discharge and kind.
//!
//! The practices, hospitals, departments and catchments are reference data
//! (`data/reference/gp_practices.csv`, `hospitals.csv`, `hospital_departments.csv`,
//! `hospital_catchments.csv`, made by `tools/make_units.py`); the model's probabilities are below
//! and in `docs/data.md`. Nothing here is calibrated: no published figure is by practice or
//! department.

use super::{FileSpec, PersonLife, Register, Rows};
use crate::calibration::{field, records};
use crate::date::{self, Day};
use crate::model::Model;
use crate::rng::Rng;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const REGISTRATIONS: usize = 0;
const DEPARTMENTS: usize = 1;

/// Share of new registrations with a practice of the municipality of residence; the others are
/// with a practice of another municipality of the same region (by population).
pub const P_LOCAL_PRACTICE: f64 = 0.9;
/// Share of moves to another municipality after which the person changes practice on the day of
/// the move; the others keep their practice.
pub const P_CHANGE_ON_MOVE: f64 = 0.85;
/// Yearly rate of changing practice without moving.
pub const SWITCH_RATE: f64 = 0.03;
/// Share of somatic stays at the hospital of the municipality's catchment; the others are at
/// another somatic hospital of the region (uniformly).
pub const P_HOME_HOSPITAL: f64 = 0.85;
/// Below this age a somatic stay is in a paediatric department.
pub const PAEDIATRIC_BELOW: i32 = 15;
/// Below this age a psychiatric stay is in child and adolescent psychiatry.
pub const CHILD_PSYCHIATRY_BELOW: i32 = 18;

/// A hospital's departments by specialty (`hospital_departments.csv`'s `specialty`).
struct Hospital {
    departments: BTreeMap<String, String>,
}

pub struct Units {
    practice_ids: Vec<String>,
    /// Per municipality (model index): its practices and their cumulative list sizes.
    local: Vec<(Vec<usize>, Vec<f64>)>,
    /// Per municipality: the other municipalities of its region with a practice, and their
    /// cumulative populations.
    elsewhere: Vec<(Vec<usize>, Vec<f64>)>,
    /// Per municipality: its catchment's somatic hospital (index into `hospitals`).
    home: Vec<usize>,
    /// Per municipality: the somatic hospitals of its region.
    region_somatic: Vec<Vec<usize>>,
    /// Per municipality: the psychiatric hospital of its region.
    region_psychiatric: Vec<usize>,
    hospitals: Vec<Hospital>,
}

impl Units {
    pub fn new(model: &Model, data: &Path) -> Result<Units, String> {
        let muni_index: HashMap<String, usize> = model
            .munis
            .iter()
            .enumerate()
            .map(|(i, m)| (m.code.to_string(), i))
            .collect();
        let muni = |code: &str, path: &Path| {
            muni_index
                .get(code)
                .copied()
                .ok_or_else(|| format!("{}: unknown municipality {code}", path.display()))
        };
        let n = model.munis.len();

        let path = data.join("reference/gp_practices.csv");
        let mut practice_ids = Vec::new();
        let mut local: Vec<(Vec<usize>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); n];
        for r in records(&path)? {
            let m = muni(field(&r, "municipality_code", &path)?, &path)?;
            let size: f64 = field(&r, "list_size", &path)?
                .parse()
                .map_err(|_| format!("{}: bad list_size in {r:?}", path.display()))?;
            if size <= 0.0 {
                return Err(format!(
                    "{}: list_size not positive in {r:?}",
                    path.display()
                ));
            }
            let (ps, cum) = &mut local[m];
            ps.push(practice_ids.len());
            cum.push(cum.last().copied().unwrap_or(0.0) + size);
            practice_ids.push(field(&r, "practice_id", &path)?.to_string());
        }
        if let Some(m) = local.iter().position(|(ps, _)| ps.is_empty()) {
            return Err(format!(
                "{}: no practice in municipality {}",
                path.display(),
                model.munis[m].code
            ));
        }
        let elsewhere = (0..n)
            .map(|m| {
                let mut members = Vec::new();
                let mut cum = Vec::new();
                for (o, other) in model.munis.iter().enumerate() {
                    if o != m && other.region == model.munis[m].region {
                        members.push(o);
                        cum.push(cum.last().copied().unwrap_or(0.0) + other.population);
                    }
                }
                (members, cum)
            })
            .collect();

        let path = data.join("reference/hospitals.csv");
        let mut hospital_index = HashMap::new();
        let mut hospitals = Vec::new();
        let mut somatic_of_region: HashMap<String, Vec<usize>> = HashMap::new();
        let mut psychiatric_of_region: HashMap<String, usize> = HashMap::new();
        for r in records(&path)? {
            let h = hospitals.len();
            hospital_index.insert(field(&r, "hospital_code", &path)?.to_string(), h);
            let region = field(&r, "region_code", &path)?.to_string();
            match field(&r, "kind", &path)? {
                "somatic" => somatic_of_region.entry(region).or_default().push(h),
                "psychiatric" => {
                    if psychiatric_of_region.insert(region, h).is_some() {
                        return Err(format!(
                            "{}: two psychiatric hospitals in one region",
                            path.display()
                        ));
                    }
                }
                k => return Err(format!("{}: unknown kind {k}", path.display())),
            }
            hospitals.push(Hospital {
                departments: BTreeMap::new(),
            });
        }
        let path = data.join("reference/hospital_departments.csv");
        for r in records(&path)? {
            let code = field(&r, "hospital_code", &path)?;
            let &h = hospital_index
                .get(code)
                .ok_or_else(|| format!("{}: unknown hospital {code}", path.display()))?;
            hospitals[h].departments.insert(
                field(&r, "specialty", &path)?.to_string(),
                field(&r, "department_code", &path)?.to_string(),
            );
        }
        let path = data.join("reference/hospital_catchments.csv");
        let mut home = vec![usize::MAX; n];
        for r in records(&path)? {
            let m = muni(field(&r, "municipality_code", &path)?, &path)?;
            let code = field(&r, "hospital_code", &path)?;
            home[m] = *hospital_index
                .get(code)
                .ok_or_else(|| format!("{}: unknown hospital {code}", path.display()))?;
        }
        let mut region_somatic = Vec::new();
        let mut region_psychiatric = Vec::new();
        for (m, mu) in model.munis.iter().enumerate() {
            if home[m] == usize::MAX {
                return Err(format!("{}: no hospital for {}", path.display(), mu.code));
            }
            let region = mu.region.to_string();
            let somatic = somatic_of_region.get(&region).cloned().unwrap_or_default();
            let &psychiatric = psychiatric_of_region
                .get(&region)
                .ok_or_else(|| format!("hospitals.csv: no psychiatric hospital in {region}"))?;
            region_somatic.push(somatic);
            region_psychiatric.push(psychiatric);
        }
        let units = Units {
            practice_ids,
            local,
            elsewhere,
            home,
            region_somatic,
            region_psychiatric,
            hospitals,
        };
        // Every department a stay can be sent to exists.
        for (h, hospital) in units.hospitals.iter().enumerate() {
            let psychiatric = units.region_psychiatric.contains(&h);
            let needed: &[&str] = if psychiatric {
                &["adult psychiatry", "child and adolescent psychiatry"]
            } else {
                &["medical", "surgical", "orthopaedic", "paediatric"]
            };
            for s in needed {
                if !hospital.departments.contains_key(*s) {
                    return Err(format!(
                        "hospital_departments.csv: hospital {h} has no {s} department"
                    ));
                }
            }
        }
        Ok(units)
    }

    /// A new practice for a person living in municipality `m`.
    fn pick_practice(&self, rng: &mut Rng, m: usize) -> usize {
        let (members, cum) = &self.elsewhere[m];
        let at = if members.is_empty() || rng.chance(P_LOCAL_PRACTICE) {
            m
        } else {
            members[rng.pick_cum(cum)]
        };
        let (ps, cum) = &self.local[at];
        ps[rng.pick_cum(cum)]
    }

    /// The specialty of a somatic stay's department: by age, then by the diagnosis's chapter
    /// (injuries and musculoskeletal: orthopaedic; digestive, cancer, genitourinary: surgical).
    fn somatic_specialty(age: i32, diagnosis: &str) -> &'static str {
        if age < PAEDIATRIC_BELOW {
            return "paediatric";
        }
        match diagnosis.as_bytes().get(1) {
            Some(b'S' | b'T' | b'M') => "orthopaedic",
            Some(b'K' | b'C' | b'N') => "surgical",
            _ => "medical",
        }
    }

    fn registrations(&self, model: &Model, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        let Some(&(first_day, first_muni)) = life.residences.first() else {
            return;
        };
        let start = life.start.max(first_day);
        if life.death.is_some_and(|d| d <= start) {
            return; // never a resident
        }
        // Events in order of day: moves (to a municipality) and switches (within it).
        let mut events: Vec<(Day, Option<usize>)> = life
            .residences
            .iter()
            .skip(1)
            .map(|&(d, m)| (d, Some(m)))
            .collect();
        for year in date::year_of(start)..=model.to {
            let y0 = date::jan1(year).max(start);
            let y1 = life
                .death
                .map_or(date::jan1(year + 1), |d| d.min(date::jan1(year + 1)));
            if y1 <= y0 {
                break;
            }
            let exposure = (y1 - y0) as f64 / 365.25;
            if rng.chance(SWITCH_RATE * exposure) {
                events.push((y0 + rng.range(0, y1 - y0 - 1), None));
            }
        }
        events.sort_by_key(|&(d, e)| (d, e.is_none()));

        let mut muni = first_muni;
        let mut practice = self.pick_practice(rng, muni);
        let mut since = start;
        for (day, event) in events {
            let next = match event {
                Some(m) => {
                    let moved = m != muni;
                    muni = m;
                    if moved && rng.chance(P_CHANGE_ON_MOVE) {
                        self.pick_practice(rng, muni)
                    } else {
                        practice
                    }
                }
                None => self.pick_practice(rng, muni),
            };
            if next == practice {
                continue;
            }
            if day > since {
                rows.row(REGISTRATIONS)
                    .int(life.id as i64)
                    .text(&self.practice_ids[practice])
                    .day(since)
                    .day(day - 1)
                    .end();
            }
            practice = next;
            since = day;
        }
        rows.row(REGISTRATIONS)
            .int(life.id as i64)
            .text(&self.practice_ids[practice])
            .day(since)
            .opt_day(life.death.map(|d| d - 1))
            .end();
    }

    fn departments(&self, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        for st in life.stays {
            let age = life.age_on(st.admitted);
            let department = if st.psychiatric {
                let h = &self.hospitals[self.region_psychiatric[st.muni]];
                h.departments[if age < CHILD_PSYCHIATRY_BELOW {
                    "child and adolescent psychiatry"
                } else {
                    "adult psychiatry"
                }]
                .as_str()
            } else {
                let home = self.home[st.muni];
                let others: Vec<usize> = self.region_somatic[st.muni]
                    .iter()
                    .copied()
                    .filter(|&h| h != home)
                    .collect();
                let h = if others.is_empty() || rng.chance(P_HOME_HOSPITAL) {
                    home
                } else {
                    others[rng.below(others.len() as u64) as usize]
                };
                self.hospitals[h].departments[Self::somatic_specialty(age, st.diagnosis)].as_str()
            };
            rows.row(DEPARTMENTS)
                .int(life.id as i64)
                .day(st.admitted)
                .day(st.discharged)
                .text(if st.psychiatric {
                    "psychiatric"
                } else {
                    "somatic"
                })
                .text(department)
                .end();
        }
    }
}

impl Register for Units {
    fn files(&self) -> Vec<FileSpec> {
        vec![
            FileSpec {
                name: "gp_registrations.csv",
                header: "person,practice,registered_from,registered_to",
                muni_column: None,
            },
            FileSpec {
                name: "lpr_stay_departments.csv",
                header: "person,admitted,discharged,kind,department",
                muni_column: None,
            },
        ]
    }

    fn person(&self, model: &Model, life: &PersonLife, rng: &mut Rng, rows: &mut Rows) {
        self.registrations(model, life, rng, rows);
        self.departments(life, rng, rows);
    }
}
