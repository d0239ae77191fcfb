//! The life of one person: residence, moves, births, conditions, death.

use super::*;

impl ChunkSim<'_> {
    /// Simulates one person and writes their rows; returns the births (day, municipality).
    pub(super) fn person(&mut self, p: &Person) -> Vec<(Day, usize)> {
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
    pub(super) fn onset(&mut self, p: &Person, incidence: fn(f64) -> f64) -> Option<Day> {
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

    pub(super) fn destination(&mut self, from: usize) -> usize {
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
}
