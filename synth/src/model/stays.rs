//! Hospital stays: acute and planned somatic, psychiatric, and rehabilitation after them.

use super::*;

impl ChunkSim<'_> {
    /// Acute (`acute = true`) or planned somatic stays from the person's start to `stop`.
    pub(super) fn somatic(
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

    pub(super) fn psychiatric(&mut self, life: &Life, k: usize, onset: Day, stop: Day) {
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

    pub(super) fn rehab(&mut self, p: &Person, life: &Life, end: Day) {
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
}
