//! Calibration targets: derived from the published 2024 report (`data/calibration/`) by
//! [`derive_targets`], checked in as `data/calibration/targets.csv`, and read back by the
//! generator with [`Targets::load`]. No target value is written in this crate's code.

use std::collections::BTreeMap;
use std::path::Path;

/// One row of `targets.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub indicator: String,
    pub year: i32,
    pub level: String,
    pub unit_code: u32,
    pub value: f64,
    pub origin: String,
}

fn open(path: &Path) -> Result<csv::Reader<std::fs::File>, String> {
    csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))
}

pub(crate) fn records(path: &Path) -> Result<Vec<BTreeMap<String, String>>, String> {
    let mut rdr = open(path)?;
    let headers = rdr
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        out.push(
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect(),
        );
    }
    Ok(out)
}

pub(crate) fn field<'a>(
    r: &'a BTreeMap<String, String>,
    k: &str,
    path: &Path,
) -> Result<&'a str, String> {
    r.get(k)
        .map(|s| s.as_str())
        .ok_or_else(|| format!("{}: no column `{k}`", path.display()))
}

/// A municipality of the reference geography with its 2020 population.
#[derive(Debug, Clone)]
pub struct Municipality {
    pub code: u32,
    pub region: u32,
    pub population: f64,
}

/// Reads `reference/municipalities.csv` and `calibration/population_municipality_2020.csv`.
pub fn load_municipalities(data: &Path) -> Result<Vec<Municipality>, String> {
    let mpath = data.join("reference/municipalities.csv");
    let ppath = data.join("calibration/population_municipality_2020.csv");
    let pops: BTreeMap<u32, f64> = records(&ppath)?
        .iter()
        .map(|r| {
            let code = field(r, "code", &ppath)?.parse::<u32>();
            let pop = field(r, "population", &ppath)?.parse::<f64>();
            match (code, pop) {
                (Ok(c), Ok(p)) => Ok((c, p)),
                _ => Err(format!("{}: bad row {r:?}", ppath.display())),
            }
        })
        .collect::<Result<_, String>>()?;
    let mut out = Vec::new();
    for r in records(&mpath)? {
        let code: u32 = field(&r, "code", &mpath)?
            .parse()
            .map_err(|_| format!("{}: bad code", mpath.display()))?;
        let region: u32 = field(&r, "region_code", &mpath)?
            .parse()
            .map_err(|_| format!("{}: bad region_code", mpath.display()))?;
        let population = *pops
            .get(&code)
            .ok_or_else(|| format!("{}: no population for {code}", ppath.display()))?;
        out.push(Municipality {
            code,
            region,
            population,
        });
    }
    out.sort_by_key(|m| m.code);
    Ok(out)
}

fn parse_value(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        None
    } else {
        s.replace(',', ".").parse().ok()
    }
}

/// Derives the calibration targets from the published report.
///
/// Inputs in `data`: `calibration/nationale-maal-2024-published.csv` (the published cells),
/// `calibration/indicator_map.csv` (published title → rule indicator name and the year the
/// figure describes), `reference/municipalities.csv` and
/// `calibration/population_municipality_2020.csv`.
///
/// Output: every published national and regional figure of the mapped indicators (origin
/// `published`), and one row per municipality and indicator: the published municipal figure,
/// or where none is shown (suppressed, or published for regions only) the region's figure
/// (origin `region`), or the national one. `daily_smokers` is published for municipalities for
/// 2021 but for regions for 2023: a municipality's 2023 target is its 2021 figure times its
/// region's 2023 figure over the population-weighted mean of the region's 2021 municipal figures
/// (origin `municipal 2021 x regional change`). Where a region's figure describes the same year
/// as its municipalities' figures, their targets are scaled by the region's figure over the
/// population-weighted mean of theirs (origin `published x regional margin`), so that the region
/// reproduces its own published figure, when `indicator_map.csv` says `scale` for the
/// indicator's municipal table; `volume` leaves the figures and lets the generator weight the
/// municipalities' volumes instead ([`crate::model::Model::municipal_volume_tilt`]).
pub fn derive_targets(data: &Path) -> Result<Vec<Target>, String> {
    let munis = load_municipalities(data)?;
    let map_path = data.join("calibration/indicator_map.csv");
    let pub_path = data.join("calibration/nationale-maal-2024-published.csv");
    let map = records(&map_path)?;
    let published = records(&pub_path)?;
    // (indicator, table) -> year; titles -> (indicator, table)
    let mut by_title: BTreeMap<(String, String), (String, i32)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut scaled_to_region: BTreeMap<String, bool> = BTreeMap::new();
    for r in &map {
        let ind = field(r, "indicator", &map_path)?.to_string();
        match field(r, "regional_margin", &map_path)? {
            "scale" => {
                scaled_to_region.insert(ind.clone(), true);
            }
            "volume" | "" => {}
            other => {
                return Err(format!(
                    "{}: regional_margin of {ind} is {other:?}; expected scale, volume or nothing",
                    map_path.display()
                ));
            }
        }
        let year: i32 = field(r, "year", &map_path)?
            .parse()
            .map_err(|_| format!("{}: bad year", map_path.display()))?;
        by_title.insert(
            (
                field(r, "table", &map_path)?.to_string(),
                field(r, "published_title", &map_path)?.to_string(),
            ),
            (ind.clone(), year),
        );
        if !order.contains(&ind) {
            order.push(ind);
        }
    }
    // indicator -> level -> unit -> (year, value)
    type Cells = BTreeMap<(String, u32), (i32, f64)>;
    let mut cells: BTreeMap<String, Cells> = BTreeMap::new();
    let mut matched = BTreeMap::new();
    for r in &published {
        let key = (
            field(r, "table", &pub_path)?.to_string(),
            field(r, "indicator", &pub_path)?.to_string(),
        );
        let Some((ind, year)) = by_title.get(&key) else {
            continue;
        };
        *matched.entry(key.clone()).or_insert(0) += 1;
        let level = field(r, "level", &pub_path)?.to_string();
        let unit: u32 = field(r, "unit_code", &pub_path)?
            .parse()
            .map_err(|_| format!("{}: bad unit_code", pub_path.display()))?;
        // The municipal tables repeat the national figure; the regional table is the source.
        if key.0 == "municipality" && level != "municipality" {
            continue;
        }
        if let Some(v) = parse_value(field(r, "value", &pub_path)?) {
            cells
                .entry(ind.clone())
                .or_default()
                .insert((level, unit), (*year, v));
        }
    }
    for key in by_title.keys() {
        if !matched.contains_key(key) {
            return Err(format!(
                "{}: no published cells titled {:?} in table {:?}",
                map_path.display(),
                key.1,
                key.0
            ));
        }
    }
    let mut out = Vec::new();
    for ind in &order {
        let c = cells.get(ind).cloned().unwrap_or_default();
        let get = |level: &str, unit: u32| c.get(&(level.to_string(), unit)).copied();
        let national = get("national", 0);
        if let Some((y, v)) = national {
            out.push(Target {
                indicator: ind.clone(),
                year: y,
                level: "national".into(),
                unit_code: 0,
                value: v,
                origin: "published".into(),
            });
        }
        let mut regions: Vec<u32> = munis.iter().map(|m| m.region).collect();
        regions.sort();
        regions.dedup();
        for &r in &regions {
            if let Some((y, v)) = get("region", r) {
                out.push(Target {
                    indicator: ind.clone(),
                    year: y,
                    level: "region".into(),
                    unit_code: r,
                    value: v,
                    origin: "published".into(),
                });
            }
        }
        // A region's published figure is not the population-weighted mean of its municipalities'
        // published figures (the real weights are the indicator's own denominators, and a
        // regional median is not a mean of medians); the municipal targets are scaled to their
        // region's figure so that both levels of the synthetic report come out near the
        // published ones. Only where both describe the same year.
        // The population-weighted mean of a region's published municipal figures.
        let municipal_mean = |region: u32| -> Option<f64> {
            let (mut num, mut den) = (0.0, 0.0);
            for m in munis.iter().filter(|m| m.region == region) {
                if let Some((_, v)) = get("municipality", m.code) {
                    num += v * m.population;
                    den += m.population;
                }
            }
            (den > 0.0).then(|| num / den)
        };
        let scaled = scaled_to_region.get(ind).copied().unwrap_or(false);
        let margin = |region: u32, year: i32| -> Option<f64> {
            if !scaled {
                return None;
            }
            let (ry, rv) = get("region", region)?;
            if ry != year {
                return None;
            }
            let mean = municipal_mean(region)?;
            (mean > 0.0).then(|| rv / mean)
        };
        for m in &munis {
            let (year, value, origin) = if let Some((y, v)) = get("municipality", m.code) {
                match margin(m.region, y) {
                    Some(ratio) if (ratio - 1.0).abs() > 1e-9 => (
                        y,
                        (v * ratio * 1e4).round() / 1e4,
                        "published x regional margin",
                    ),
                    _ => (y, v, "published"),
                }
            } else if let Some((y, v)) = get("region", m.region) {
                (y, v, "region")
            } else if let Some((y, v)) = national {
                (y, v, "national")
            } else {
                return Err(format!("no published figure at all for {ind}"));
            };
            out.push(Target {
                indicator: ind.clone(),
                year,
                level: "municipality".into(),
                unit_code: m.code,
                value,
                origin: origin.into(),
            });
        }
        // A municipal series published for another year than the regional one: carry the
        // municipal figures to the regional year with the region's relative change.
        let muni_year = c
            .iter()
            .find(|((l, _), _)| l == "municipality")
            .map(|(_, (y, _))| *y);
        let region_year = c
            .iter()
            .find(|((l, _), _)| l == "region")
            .map(|(_, (y, _))| *y);
        if let (Some(my), Some(ry)) = (muni_year, region_year)
            && my != ry
        {
            for &r in &regions {
                let Some((_, rv)) = get("region", r) else {
                    continue;
                };
                let Some(mean) = municipal_mean(r) else {
                    continue;
                };
                let in_region: Vec<&Municipality> =
                    munis.iter().filter(|m| m.region == r).collect();
                let ratio = rv / mean;
                for m in &in_region {
                    if let Some((_, v)) = get("municipality", m.code) {
                        out.push(Target {
                            indicator: ind.clone(),
                            year: ry,
                            level: "municipality".into(),
                            unit_code: m.code,
                            value: (v * ratio * 1e4).round() / 1e4,
                            origin: format!("municipal {my} x regional change"),
                        });
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Renders targets as `targets.csv`.
pub fn targets_csv(targets: &[Target]) -> String {
    let mut s = String::from("indicator,year,level,unit_code,value,origin\n");
    for t in targets {
        s.push_str(&format!(
            "{},{},{},{},{},{}\n",
            t.indicator, t.year, t.level, t.unit_code, t.value, t.origin
        ));
    }
    s
}

/// The municipal targets read by the generator, with the assumed yearly trends.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// (indicator, municipality code) -> [(year, value)]
    municipal: BTreeMap<(String, u32), Vec<(i32, f64)>>,
    /// indicator -> [(year, value)] of the whole country
    national: BTreeMap<String, Vec<(i32, f64)>>,
    /// (indicator, region code) -> [(year, value)]
    regional: BTreeMap<(String, u32), Vec<(i32, f64)>>,
    /// (indicator, region code) -> factor on the region's municipal targets
    /// (`regional_corrections.csv`)
    corrections: BTreeMap<(String, u32), f64>,
    /// municipality code -> region code
    region_of: BTreeMap<u32, u32>,
    trends: BTreeMap<String, f64>,
}

impl Targets {
    pub fn load(data: &Path) -> Result<Targets, String> {
        let tpath = data.join("calibration/targets.csv");
        let mut t = Targets::default();
        for r in records(&tpath)? {
            let level = field(&r, "level", &tpath)?;
            if !["municipality", "region", "national"].contains(&level) {
                continue;
            }
            let bad = |what: &str| format!("{}: bad {what} in {r:?}", tpath.display());
            let ind = field(&r, "indicator", &tpath)?.to_string();
            let year: i32 = field(&r, "year", &tpath)?
                .parse()
                .map_err(|_| bad("year"))?;
            let unit: u32 = field(&r, "unit_code", &tpath)?
                .parse()
                .map_err(|_| bad("unit_code"))?;
            let value: f64 = field(&r, "value", &tpath)?
                .parse()
                .map_err(|_| bad("value"))?;
            if level == "national" {
                t.national.entry(ind).or_default().push((year, value));
            } else if level == "region" {
                t.regional
                    .entry((ind, unit))
                    .or_default()
                    .push((year, value));
            } else {
                t.municipal
                    .entry((ind, unit))
                    .or_default()
                    .push((year, value));
            }
        }
        let cpath = data.join("calibration/regional_corrections.csv");
        if cpath.exists() {
            for r in records(&cpath)? {
                let bad = |what: &str| format!("{}: bad {what} in {r:?}", cpath.display());
                let region: u32 = field(&r, "region_code", &cpath)?
                    .parse()
                    .map_err(|_| bad("region_code"))?;
                let factor: f64 = field(&r, "factor", &cpath)?
                    .parse()
                    .map_err(|_| bad("factor"))?;
                if !(0.5..=2.0).contains(&factor) {
                    return Err(bad("factor (expected 0.5-2)"));
                }
                let ind = field(&r, "indicator", &cpath)?.to_string();
                t.corrections.insert((ind, region), factor);
            }
        }
        for m in load_municipalities(data)? {
            t.region_of.insert(m.code, m.region);
        }
        let trpath = data.join("calibration/trends.csv");
        for r in records(&trpath)? {
            let v: f64 = field(&r, "relative_change_per_year", &trpath)?
                .parse()
                .map_err(|_| format!("{}: bad value", trpath.display()))?;
            t.trends
                .insert(field(&r, "indicator", &trpath)?.to_string(), v);
        }
        Ok(t)
    }

    /// The target of `indicator` for a municipality in `year`: the figure of that year, or the
    /// nearest year's figure moved by the yearly trend; times the region's correction, if
    /// `regional_corrections.csv` has one (what the model gives for a region is not exactly
    /// what it is asked for: clamped probabilities, ages and lengths of stay that differ by
    /// region, a median pooled over municipalities; the factors are measured on national runs
    /// by `tools/regional_corrections.py`).
    pub fn get(&self, indicator: &str, municipality: u32, year: i32) -> Result<f64, String> {
        let series = self
            .municipal
            .get(&(indicator.to_string(), municipality))
            .ok_or_else(|| format!("targets.csv: no {indicator} target for {municipality}"))?;
        let correction = self
            .region_of
            .get(&municipality)
            .and_then(|r| self.corrections.get(&(indicator.to_string(), *r)))
            .copied()
            .unwrap_or(1.0);
        Ok(self.at_year(indicator, series, year) * correction)
    }

    /// The national target of `indicator` in `year`, as [`Targets::get`] does for a
    /// municipality.
    pub fn get_national(&self, indicator: &str, year: i32) -> Result<f64, String> {
        let series = self
            .national
            .get(indicator)
            .ok_or_else(|| format!("targets.csv: no national {indicator} target"))?;
        Ok(self.at_year(indicator, series, year))
    }

    /// The published figure of `indicator` for a region in `year` (moved by the trend from the
    /// nearest year), if one was published.
    pub fn get_region(&self, indicator: &str, region: u32, year: i32) -> Option<f64> {
        let series = self.regional.get(&(indicator.to_string(), region))?;
        Some(self.at_year(indicator, series, year))
    }

    /// The figure of `year` in a series, or the nearest year's moved by the yearly trend.
    fn at_year(&self, indicator: &str, series: &[(i32, f64)], year: i32) -> f64 {
        let &(y, v) = series
            .iter()
            .min_by_key(|(y, _)| ((y - year).abs(), *y))
            .expect("non-empty series");
        let trend = self.trends.get(indicator).copied().unwrap_or(0.0);
        v * (1.0 + trend).powi(year - y)
    }
}
