//! Prescriptions redeemed: drugs of the conditions, antibiotics and opioids.

use super::*;

impl ChunkSim<'_> {
    pub(super) fn buy(
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

    pub(super) fn prescriptions(
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
    pub(super) fn antibiotics_and_opioids(&mut self, life: &Life, year: i32, from: Day, age: i32) {
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
}
