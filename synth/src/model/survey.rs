//! Answers to the national health survey (Den Nationale Sundhedsprofil).

use super::*;

impl ChunkSim<'_> {
    pub(super) fn survey(&mut self, p: &Person, life: &Life) {
        let model = self.model;
        for &wave in SURVEY_YEARS.iter() {
            if wave < model.from || wave > model.to {
                continue;
            }
            let day = date::from_civil(wave, 2, 1) + self.rng.range(0, 119);
            if day < p.start || !life.alive_on(day) {
                continue;
            }
            let age = date::age(p.birth, day);
            if age < 16 {
                continue;
            }
            let m = life.muni_at(day);
            let pi = model.survey_fraction[m] * response(age, p.male);
            let band = (age / 10) as u64;
            if !self
                .balanced
                .chance([outcome::RESPONSE, wave as u64, m as u64, band], pi)
            {
                continue;
            }
            let yi = model.yi(wave);
            let smoker = self.balanced.chance(
                [outcome::SMOKER, yi as u64, m as u64, 0],
                (model.smoking[m][yi] * smoking_factor(age, p.male) / model.smoking_norm).min(0.95),
            );
            let good = self.balanced.chance(
                [outcome::GOOD_HEALTH, yi as u64, m as u64, band],
                (model.good_health[m][yi] * good_health_factor(age) / model.health_norm).min(0.99),
            );
            let health: &[u8] = if good {
                if self.rng.chance(0.35) {
                    b"very good"
                } else {
                    b"good"
                }
            } else {
                let u = self.rng.f64();
                if u < 0.7 {
                    b"fair"
                } else if u < 0.93 {
                    b"poor"
                } else {
                    b"very poor"
                }
            };
            let low_mental = self.balanced.chance(
                [outcome::LOW_MENTAL_HEALTH, yi as u64, m as u64, band],
                (model.low_mental_health[m][yi] * low_mental_health_factor(age)).min(0.95),
            );
            // Scores in tenths: low ones spread below the cut-off, the rest around 52.
            let mental_score = if low_mental {
                LOW_MENTAL_SCORE - 0.1 - 20.0 * self.rng.f64().powf(0.7)
            } else {
                (52.0 + 7.0 * self.rng.normal()).clamp(LOW_MENTAL_SCORE + 0.1, 72.0)
            };
            let mental_tenths = (mental_score * 10.0).round() as u64;
            let weight = ((1.0 / pi) * 1000.0).round() as u64;
            let f = PROFILE;
            let r = self.begin(f);
            self.s(f, b"S");
            self.int(f, wave as u64);
            self.s(f, b"-");
            self.id(f, p.id);
            self.c(f);
            self.id(f, p.id);
            self.c(f);
            self.day(f, day);
            self.c(f);
            self.sex(f, p.male);
            self.c(f);
            self.int(f, age as u64);
            self.c(f);
            self.muni(f, m);
            self.c(f);
            self.int(f, weight / 1000);
            self.s(f, b".");
            let frac = weight % 1000;
            self.s(
                f,
                &[
                    b'0' + (frac / 100) as u8,
                    b'0' + (frac / 10 % 10) as u8,
                    b'0' + (frac % 10) as u8,
                ],
            );
            self.c(f);
            self.s(f, if smoker { b"true" } else { b"false" });
            self.c(f);
            self.s(f, health);
            self.c(f);
            self.int(f, mental_tenths / 10);
            self.s(f, b".");
            self.s(f, &[b'0' + (mental_tenths % 10) as u8]);
            self.end(f, r);
        }
    }
}
