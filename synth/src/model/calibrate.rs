//! The model shared by all chunks: geography, the initial age distribution and the calibrated
//! per-municipality, per-year parameters.

use super::*;

/// Everything shared by the chunks: geography, the initial age distribution and the calibrated
/// per-municipality, per-year parameters.
pub struct Model {
    pub from: i32,
    pub to: i32,
    pub munis: Vec<Municipality>,
    pub(super) codes: Vec<Vec<u8>>,
    pub(super) nat_cum: Vec<f64>,
    /// per municipality: (members of its region, cumulative population)
    pub(super) region_of: Vec<usize>,
    pub(super) regions: Vec<(Vec<usize>, Vec<f64>)>,
    /// (male, age from, age to, weight) from the national distribution
    pub(super) age_cells: Vec<AgeCell>,
    pub(super) age_cum: Vec<f64>,
    pub(super) male_share_by_age: Vec<f64>,
    // [municipality][year - from]
    pub(super) readm_som: Vec<Vec<f64>>,
    pub(super) readm_psy: Vec<Vec<f64>>,
    pub(super) rehab_median: Vec<Vec<f64>>,
    pub(super) antipsychotic: Vec<Vec<f64>>,
    pub(super) smoking: Vec<Vec<f64>>,
    pub(super) good_health: Vec<Vec<f64>>,
    pub(super) low_mental_health: Vec<Vec<f64>>,
    pub(super) los_factor: Vec<Vec<f64>>,
    pub(super) somatic_finished: Vec<Vec<f64>>,
    pub(super) psychiatric_finished: Vec<Vec<f64>>,
    pub(super) preventable: Vec<Vec<f64>>,
    pub(super) cardiac: Vec<Vec<f64>>,
    pub(super) chronic_drg_median: Vec<Vec<f64>>,
    pub(super) antibiotics: Vec<Vec<f64>>,
    pub(super) opioids: Vec<Vec<f64>>,
    pub(super) antibiotic_norm: f64,
    pub(super) opioid_norm: f64,
    /// Per municipality: relative volume of the young with a mental disorder (#43's cohort).
    pub(super) youth_disorder_tilt: Vec<f64>,
    /// Per municipality: relative volume of rehabilitation plans.
    pub(super) rehab_plan_tilt: Vec<f64>,
    /// Population weights by single year of age 0-110, sexes pooled.
    pub(super) population_by_age: Vec<f64>,
    /// Persons asked for (the scale of the aggregate figures).
    pub persons: u64,
    pub mortality_scale: Vec<Vec<f64>>,
    pub(super) excess: Vec<f64>,
    pub(super) survey_fraction: Vec<f64>,
    pub(super) readm_norm: f64,
    pub(super) smoking_norm: f64,
    pub(super) health_norm: f64,
    pub(super) targets: Targets,
    /// The registers beyond the core, and the index of each one's first file in [`Model::files`].
    pub(super) registers: Vec<(Box<dyn Register>, usize)>,
    /// Every extract file: the core's, then each register's.
    pub(super) files: Vec<FileSpec>,
}

/// (male, first age, last age; last < first for the open band)
pub(super) type AgeCell = (bool, i32, i32);

pub(super) fn read_age_distribution(data: &Path) -> Result<(Vec<AgeCell>, Vec<f64>), String> {
    let path = data.join("reference/population_national_sex_age5.csv");
    let mut rdr = csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        let year: i32 = rec[0]
            .parse()
            .map_err(|_| format!("{}: bad year", path.display()))?;
        rows.push((
            year,
            &rec[2] == "M",
            rec[4].parse::<i32>().unwrap_or(0),
            rec[5].parse::<i32>().unwrap_or(-1),
            rec[6].parse::<f64>().unwrap_or(0.0),
        ));
    }
    let first = rows
        .iter()
        .map(|r| r.0)
        .min()
        .ok_or_else(|| format!("{}: empty", path.display()))?;
    let mut cells = Vec::new();
    let mut cum = Vec::new();
    let mut total = 0.0;
    for (y, male, lo, hi, pop) in rows {
        if y != first {
            continue;
        }
        total += pop;
        cells.push((male, lo, hi));
        cum.push(total);
    }
    Ok((cells, cum))
}

impl Model {
    pub fn load(data: &Path, from: i32, to: i32) -> Result<Model, String> {
        let munis = load_municipalities(data)?;
        let targets = Targets::load(data)?;
        let (age_cells, age_cum) = read_age_distribution(data)?;
        let n = munis.len();
        let years: Vec<i32> = (from..=to).collect();

        let mut nat_cum = Vec::with_capacity(n);
        let mut acc = 0.0;
        for m in &munis {
            acc += m.population;
            nat_cum.push(acc);
        }
        let mut region_codes: Vec<u32> = munis.iter().map(|m| m.region).collect();
        region_codes.sort();
        region_codes.dedup();
        let region_of: Vec<usize> = munis
            .iter()
            .map(|m| region_codes.binary_search(&m.region).unwrap_or(0))
            .collect();
        let regions: Vec<(Vec<usize>, Vec<f64>)> = (0..region_codes.len())
            .map(|r| {
                let members: Vec<usize> = (0..n).filter(|&i| region_of[i] == r).collect();
                let mut acc = 0.0;
                let cum = members
                    .iter()
                    .map(|&i| {
                        acc += munis[i].population;
                        acc
                    })
                    .collect();
                (members, cum)
            })
            .collect();

        // Population weights by single year of age (bands spread evenly; 85+ over 85-99).
        let mut pop_by_age = vec![[0.0f64; 2]; 111];
        let mut prev = 0.0;
        for (k, &(male, lo, hi)) in age_cells.iter().enumerate() {
            let w = age_cum[k] - prev;
            prev = age_cum[k];
            let hi = if hi < lo { 99 } else { hi };
            for a in lo..=hi {
                pop_by_age[a as usize][male as usize] += w / (hi - lo + 1) as f64;
            }
        }
        let male_share_by_age: Vec<f64> = pop_by_age
            .iter()
            .map(|p| {
                if p[0] + p[1] > 0.0 {
                    p[1] / (p[0] + p[1])
                } else {
                    0.4
                }
            })
            .collect();
        let (mut num, mut den) = (0.0, 0.0);
        for (a, p) in pop_by_age.iter().enumerate() {
            let w = (p[0] + p[1]) * somatic_rate(a as i32);
            num += w * readmission_age_factor(a as i32);
            den += w;
        }
        let readm_norm = num / den;
        let (mut sn, mut hn, mut d2) = (0.0, 0.0, 0.0);
        for (a, p) in pop_by_age.iter().enumerate().skip(16) {
            for male in [false, true] {
                let w = p[male as usize];
                sn += w * smoking_factor(a as i32, male);
                hn += w * good_health_factor(a as i32);
                d2 += w;
            }
        }

        let grid = |ind: &str, scale: f64| target_grid(&targets, &munis, (from, to), ind, scale);
        let readm_som = grid("somatic_readmissions", 0.01)?;
        let readm_psy = grid("psychiatric_readmissions", 0.01)?;
        let rehab_median = grid("rehab_waiting_time", 1.0)?;
        let antipsychotic = grid("antipsychotics_dementia", 0.01)?;
        let smoking = grid("daily_smokers", 0.01)?;
        let low_mental_health = grid("low_mental_health_young", 0.01)?;
        let los_factor = grid("mean_length_of_stay", 1.0 / BASE_MEAN_LOS)?;
        // Longer stays give more finished-treatment days per stay: the share of stays with
        // such days is divided by the municipality's length-of-stay factor relative to the
        // country's, so that the days follow the target and not the region's lengths of stay.
        let population: f64 = munis.iter().map(|m| m.population).sum();
        let mean_los_factor: Vec<f64> = (0..years.len())
            .map(|yi| {
                munis
                    .iter()
                    .zip(&los_factor)
                    .map(|(m, f)| m.population * f[yi])
                    .sum::<f64>()
                    / population
            })
            .collect();
        let somatic_finished: Vec<Vec<f64>> = grid(
            "somatic_finished_days",
            SOMATIC_FINISHED_SHARE / BASE_SOMATIC_FINISHED,
        )?
        .into_iter()
        .zip(&los_factor)
        .map(|(row, f)| {
            row.into_iter()
                .enumerate()
                .map(|(yi, share)| share * mean_los_factor[yi] / f[yi])
                .collect()
        })
        .collect();
        let psychiatric_finished = grid(
            "psychiatric_finished_days",
            PSYCHIATRIC_FINISHED_SHARE / BASE_PSYCHIATRIC_FINISHED,
        )?;
        let preventable = grid("preventable_admissions", 1.0 / BASE_ACUTE_65)?;
        let cardiac = grid("cardiac_mortality", 1e-5 / BASE_CRUDE_DEATH_RATE)?;
        let chronic_drg_median: Vec<Vec<f64>> = grid("chronic_hospital_activity", 1.0)?
            .into_iter()
            .map(|row| row.into_iter().map(chronic_drg_median).collect())
            .collect();
        let antibiotics = grid("gp_antibiotics", 1e-3)?;
        let opioids = grid("gp_opioids", 1e-3 / BASE_OPIOID_USERS)?;
        let (mut an, mut on, mut pn) = (0.0, 0.0, 0.0);
        for (a, p) in pop_by_age.iter().enumerate() {
            let w = p[0] + p[1];
            an += w * antibiotic_age_factor(a as i32);
            on += w * opioid_age_factor(a as i32);
            pn += w;
        }
        let life = grid("life_expectancy", 1.0)?;
        let gly = grid("good_life_years", 1.0)?;
        let excess_target = grid("excess_mortality", 1.0)?;
        // The cohort's hazard multiplier that gives the target ratio of standardised rates,
        // given that the population's rate includes the cohort itself.
        let p = SELECTED_SHARE_ADULTS;
        let excess: Vec<f64> = excess_target
            .iter()
            .map(|row| {
                let t = row[row.len() - 1];
                (t * (1.0 - p) / (1.0 - t * p)).max(1.0)
            })
            .collect();
        let mortality_scale: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                life[i]
                    .iter()
                    .map(|&le| solve_scale(le, excess[i], &male_share_by_age))
                    .collect()
            })
            .collect();
        // Good life years are the region's remaining life expectancy at 16 times the
        // municipality's share in good health (fn 23), so the share is calibrated against the
        // region's expectancy: the population-weighted mean of its municipalities'.
        let e16: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..years.len())
                    .map(|yi| {
                        life_expectancy(mortality_scale[i][yi], excess[i], &male_share_by_age, 16)
                    })
                    .collect()
            })
            .collect();
        let good_health: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let (members, _) = &regions[region_of[i]];
                let weight: f64 = members.iter().map(|&j| munis[j].population).sum();
                (0..years.len())
                    .map(|yi| {
                        let e16_region = members
                            .iter()
                            .map(|&j| e16[j][yi] * munis[j].population)
                            .sum::<f64>()
                            / weight;
                        (gly[i][yi] / e16_region).clamp(0.05, 0.98)
                    })
                    .collect()
            })
            .collect();
        let mean_pop = nat_cum[n - 1] / n as f64;
        let survey_fraction = munis
            .iter()
            .map(|m| (0.085 * (mean_pop / m.population).sqrt()).clamp(0.02, 0.5))
            .collect();
        let codes = munis
            .iter()
            .map(|m| m.code.to_string().into_bytes())
            .collect();
        let mut model = Model {
            from,
            to,
            munis,
            codes,
            nat_cum,
            region_of,
            regions,
            age_cells,
            age_cum,
            male_share_by_age,
            readm_som,
            readm_psy,
            rehab_median,
            antipsychotic,
            smoking,
            good_health,
            low_mental_health,
            los_factor,
            somatic_finished,
            psychiatric_finished,
            preventable,
            cardiac,
            chronic_drg_median,
            antibiotics,
            opioids,
            antibiotic_norm: an / pn,
            opioid_norm: on / pn,
            youth_disorder_tilt: Vec::new(),
            rehab_plan_tilt: Vec::new(),
            population_by_age: pop_by_age.iter().map(|p| p[0] + p[1]).collect(),
            persons: 0,
            mortality_scale,
            excess,
            survey_fraction,
            readm_norm,
            smoking_norm: sn / d2,
            health_norm: hn / d2,
            targets,
            registers: Vec::new(),
            files: FILES
                .iter()
                .zip(HEADERS)
                .zip(MUNI_COLUMN)
                .map(|((&name, header), muni_column)| FileSpec {
                    name,
                    header,
                    muni_column,
                })
                .collect(),
        };
        // The tilt is for the whole cohort; the young with a youth disorder are only part of it.
        let tilt = model.municipal_volume_tilt("youth_education_mental", to)?;
        model.youth_disorder_tilt = tilt
            .iter()
            .map(|t| {
                ((t - 1.0 + YOUTH_DISORDER_COHORT_SHARE) / YOUTH_DISORDER_COHORT_SHARE).max(0.0)
            })
            .collect();
        model.rehab_plan_tilt = model.municipal_volume_tilt("rehab_waiting_time", to)?;
        for register in registers::all(&model, data)? {
            let first = model.files.len();
            model.files.extend(register.files());
            model.registers.push((register, first));
        }
        Ok(model)
    }

    /// Every extract file the generator writes, in output order.
    pub fn files(&self) -> &[FileSpec] {
        &self.files
    }

    /// Index of `year` in the per-year tables (years outside the extracts are clamped).
    pub fn yi(&self, year: i32) -> usize {
        (year.clamp(self.from, self.to) - self.from) as usize
    }

    /// The calibration target of `indicator` for every municipality and year of the extracts,
    /// times `scale`: `[municipality index][year index]`.
    pub fn grid(&self, indicator: &str, scale: f64) -> Result<Vec<Vec<f64>>, String> {
        target_grid(
            &self.targets,
            &self.munis,
            (self.from, self.to),
            indicator,
            scale,
        )
    }

    /// The calibration target of `indicator` for one municipality in any year (outside the
    /// extracts' years too, moved by the assumed trend).
    pub fn target(&self, indicator: &str, muni: usize, year: i32) -> Result<f64, String> {
        self.targets.get(indicator, self.munis[muni].code, year)
    }

    /// The population mean of `f(age)`, for normalising an age pattern so that its average over
    /// the population is a calibrated rate.
    pub fn population_mean(&self, f: impl Fn(i32) -> f64) -> f64 {
        let total: f64 = self.population_by_age.iter().sum();
        self.population_by_age
            .iter()
            .enumerate()
            .map(|(a, w)| w * f(a as i32))
            .sum::<f64>()
            / total
    }

    /// The probability that a person alive at `span.0` dies before `span.1` (at most a year):
    /// the baseline hazard of their sex and mid-span age scaled for the municipality and year,
    /// times 1.8 with dementia diagnosed before, and the excess of a mental disorder diagnosed
    /// before. This is the draw the core makes; registers use it to condition on the life.
    pub fn year_death_probability(
        &self,
        male: bool,
        birth: Day,
        span: (Day, Day),
        muni: usize,
        dementia_onset: Option<Day>,
        mental_disorder: Option<(&str, Day)>,
    ) -> f64 {
        let (lo, y1) = span;
        if lo >= y1 {
            return 0.0;
        }
        let exposure = (y1 - lo) as f64 / 365.25;
        let age_mid = ((lo + y1) / 2 - birth) as f64 / 365.25;
        let mut h =
            base_hazard(male, age_mid) * self.mortality_scale[muni][self.yi(date::year_of(lo))];
        if dementia_onset.is_some_and(|d| d < lo) {
            h *= DEMENTIA_MORTALITY;
        }
        // The excess mortality of the mental-disorder cohort multiplies the probability of
        // dying in the year (the engine's rates are deaths per resident on 1 January), so
        // that the ratio holds at old ages too.
        let excess = match mental_disorder {
            Some((code, d)) if d < lo => {
                let condition = CONDITIONS.iter().find(|c| c.code == code);
                if condition.is_some_and(|c| c.selected) {
                    self.excess[muni]
                } else if code == "DF102" {
                    2.5
                } else {
                    1.5
                }
            }
            _ => 1.0,
        };
        ((1.0 - (-h * exposure).exp()) * excess).min(0.95)
    }

    /// The core's probability that a person of the extracts, alive at the start of `year` (or
    /// at entry), dies in it.
    pub fn death_probability(&self, life: &PersonLife, year: i32) -> f64 {
        let lo = date::jan1(year).max(life.start);
        self.year_death_probability(
            life.male,
            life.birth,
            (lo, date::jan1(year + 1)),
            life.muni_at(lo),
            life.dementia_onset,
            life.mental_disorder,
        )
    }

    /// The national calibration target of `indicator` in `year`: what a body that delivers
    /// national figures of its own would report.
    pub fn national_target(&self, indicator: &str, year: i32) -> Result<f64, String> {
        self.targets.get_national(indicator, year)
    }

    /// Relative volumes of the regions (at most 1; a register keeps each event of a region
    /// with that probability) that make the volume-weighted mean of the regions' targets of
    /// `indicator` equal its national target. The published national figure of a register
    /// weights the regions by their real volumes (courses, respondents), not by population; the
    /// tilt is the smallest linear one, `1 + λ·(x_r − x̄)`, with x̄ the population-weighted mean.
    pub fn region_volume_tilt(&self, indicator: &str, year: i32) -> Result<Vec<f64>, String> {
        let national = self.national_target(indicator, year)?;
        let regions: Vec<(f64, f64)> = (0..self.region_count())
            .map(|r| {
                let first = self.region_members(r)[0];
                Ok((
                    self.region_population(r),
                    self.target(indicator, first, year)?,
                ))
            })
            .collect::<Result<_, String>>()?;
        let total: f64 = regions.iter().map(|(p, _)| p).sum();
        let mean = regions.iter().map(|(p, x)| p * x).sum::<f64>() / total;
        let spread: f64 = regions.iter().map(|(p, x)| p * (x - mean) * x).sum();
        let lambda = if spread.abs() > f64::EPSILON {
            (national * total - mean * total) / spread
        } else {
            0.0
        };
        let tilt: Vec<f64> = regions
            .iter()
            .map(|(_, x)| (1.0 + lambda * (x - mean)).max(0.2))
            .collect();
        let top = tilt.iter().cloned().fold(f64::MIN, f64::max);
        Ok(tilt.into_iter().map(|v| v / top).collect())
    }

    /// Relative volumes of the municipalities (a factor per municipality; the population-weighted
    /// mean in each region is 1) that make each region's volume-weighted mean of its
    /// municipalities' targets of `indicator` equal the region's own published figure. The
    /// published regional figure pools the real volumes (a university town has more of the
    /// young with a mental disorder, a large municipality more rehabilitation plans), which the
    /// population does not show. The tilt is exponential, `exp(λ·(x_m − x_r)/s_r)` with `s_r` the
    /// spread of the region's targets, λ solved per region and held within ±3.
    pub fn municipal_volume_tilt(&self, indicator: &str, year: i32) -> Result<Vec<f64>, String> {
        let mut tilt = vec![1.0; self.munis.len()];
        for (r, (members, _)) in self.regions.iter().enumerate() {
            let code = self.munis[members[0]].region;
            let Some(regional) = self.targets.get_region(indicator, code, year) else {
                continue;
            };
            let cells: Vec<(usize, f64, f64)> = members
                .iter()
                .map(|&m| {
                    Ok((
                        m,
                        self.munis[m].population,
                        self.target(indicator, m, year)?,
                    ))
                })
                .collect::<Result<_, String>>()?;
            let total: f64 = cells.iter().map(|c| c.1).sum();
            let mean = cells.iter().map(|c| c.1 * c.2).sum::<f64>() / total;
            let spread = (cells
                .iter()
                .map(|c| c.1 * (c.2 - mean).powi(2))
                .sum::<f64>()
                / total)
                .sqrt();
            if spread <= f64::EPSILON {
                continue;
            }
            let excess = |lambda: f64| -> f64 {
                cells
                    .iter()
                    .map(|&(_, pop, x)| {
                        pop * (lambda * (x - regional) / spread).exp() * (x - regional)
                    })
                    .sum()
            };
            let (mut lo, mut hi) = (-3.0, 3.0);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if excess(mid) > 0.0 {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            let lambda = 0.5 * (lo + hi);
            let weights: Vec<f64> = cells
                .iter()
                .map(|&(_, _, x)| (lambda * (x - regional) / spread).exp())
                .collect();
            let norm = cells
                .iter()
                .zip(&weights)
                .map(|(c, w)| c.1 * w)
                .sum::<f64>()
                / total;
            for (c, w) in cells.iter().zip(&weights) {
                tilt[c.0] = w / norm;
            }
            debug_assert_eq!(self.region_of[members[0]], r);
        }
        Ok(tilt)
    }

    /// Index of the region (0-based, in code order) a municipality belongs to.
    pub fn region_index(&self, muni: usize) -> usize {
        self.region_of[muni]
    }

    /// The municipalities of each region, by index, and their 2020 populations.
    pub fn region_members(&self, region: usize) -> &[usize] {
        &self.regions[region].0
    }

    /// A region's population: the sum of its municipalities' (2020).
    pub fn region_population(&self, region: usize) -> f64 {
        self.region_members(region)
            .iter()
            .map(|&m| self.munis[m].population)
            .sum()
    }

    pub fn region_count(&self) -> usize {
        self.regions.len()
    }

    /// Writes the registers' aggregate rows (figures not tied to persons).
    pub fn aggregates(&self, seed: u64, dirty: f64) -> ChunkOut {
        let mut out = ChunkOut::new(self.files.len());
        let mut dirty_rng = Rng::from_keys(&[seed, 0, 0, 3]);
        for (k, (register, first)) in self.registers.iter().enumerate() {
            let n = register_file_count(&self.registers, k, self.files.len());
            let mut rng = Rng::from_keys(&[seed, 0, 0, 100 + k as u64]);
            let mut rows = Rows {
                files: &mut out.files[*first..first + n],
                counts: &mut out.rows[*first..first + n],
                specs: &self.files[*first..first + n],
                codes: &self.codes,
                dirty,
                dirty_rng: &mut dirty_rng,
                balanced: &mut Balanced::new(&[seed, 0, 0, 100 + k as u64]),
            };
            register.aggregate(self, &mut rng, &mut rows);
        }
        out
    }
}

pub(super) fn register_file_count(
    registers: &[(Box<dyn Register>, usize)],
    k: usize,
    total: usize,
) -> usize {
    registers.get(k + 1).map_or(total, |r| r.1) - registers[k].1
}

impl Model {
    /// The model's expected life expectancy at birth for a municipality and year.
    pub fn model_life_expectancy(&self, muni: usize, year: i32) -> f64 {
        life_expectancy(
            self.mortality_scale[muni][self.yi(year)],
            self.excess[muni],
            &self.male_share_by_age,
            0,
        )
    }
}

/// The target of `indicator` for every municipality and year of `years`, times `scale`:
/// `[municipality index][year index]`.
pub(super) fn target_grid(
    targets: &Targets,
    munis: &[Municipality],
    years: (i32, i32),
    indicator: &str,
    scale: f64,
) -> Result<Vec<Vec<f64>>, String> {
    munis
        .iter()
        .map(|m| {
            (years.0..=years.1)
                .map(|y| targets.get(indicator, m.code, y).map(|v| v * scale))
                .collect()
        })
        .collect()
}

/// Hazard of the sex-pooled population at exact age `a`, including the excess mortality of the
/// dementia and mental-disorder cohorts.
pub(super) fn pooled_hazard(k: f64, excess: f64, male_share: &[f64], a: usize) -> f64 {
    let x = a as f64 + 0.5;
    let s = male_share[a.min(male_share.len() - 1)];
    let base = s * base_hazard(true, x) + (1.0 - s) * base_hazard(false, x);
    let dem = 1.0 + dementia_prevalence(x) * (DEMENTIA_MORTALITY - 1.0);
    let sel = if a >= 20 { SELECTED_SHARE_ADULTS } else { 0.0 };
    k * base * dem * (1.0 + sel * (excess - 1.0))
}

pub(super) fn life_expectancy(k: f64, excess: f64, male_share: &[f64], from_age: usize) -> f64 {
    let mut l = 1.0;
    let mut total = 0.0;
    for a in from_age..=110 {
        let m = pooled_hazard(k, excess, male_share, a);
        if a == 110 {
            total += l / m;
            break;
        }
        let q = 1.0 - (-m).exp();
        let frac = if a == 0 { 0.9 } else { 0.5 };
        total += l * (1.0 - frac * q);
        l *= 1.0 - q;
    }
    total
}

pub(super) fn solve_scale(target: f64, excess: f64, male_share: &[f64]) -> f64 {
    let (mut lo, mut hi) = (0.05f64, 8.0f64);
    for _ in 0..60 {
        let mid = (lo * hi).sqrt();
        if life_expectancy(mid, excess, male_share, 0) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo * hi).sqrt()
}
