//! The generated data carry the intended rates. Everything is computed directly from the
//! generated CSV files (not through the engine) and compared with the targets of
//! `data/calibration/targets.csv`, weighted as the generator uses them (by the municipality and
//! year of each row). Tolerances are four binomial standard errors plus a small model margin.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use indikator_synth::calibration::{Targets, load_municipalities};
use indikator_synth::date;
use std::collections::{HashMap, HashSet};

fn d(s: &str) -> i32 {
    let y = s[..4].parse().unwrap();
    let m = s[5..7].parse().unwrap();
    let dd = s[8..10].parse().unwrap();
    date::from_civil(y, m, dd)
}

fn check(name: &str, observed: f64, expected: f64, n: f64, margin: f64) {
    let se = (expected * (1.0 - expected) / n).sqrt();
    let tol = 4.0 * se + margin * expected;
    println!(
        "{name}: observed {:.4}, expected {:.4}, n {n}, tolerance {:.4}",
        observed, expected, tol
    );
    assert!(
        (observed - expected).abs() <= tol,
        "{name}: observed {observed:.4}, expected {expected:.4} ± {tol:.4} (n = {n})"
    );
}

struct Stay {
    admitted: i32,
    discharged: i32,
    acute: bool,
    psychiatric: bool,
    municipality: u32,
}

#[test]
fn generated_rates_match_the_targets() {
    let persons = 60_000;
    let dir = generate("calibration", persons, 42, 0.0, 0);
    let targets = Targets::load(&data()).expect("targets");
    let t = |ind: &str, m: u32, y: i32| targets.get(ind, m, y).unwrap();

    // #1 and #2: readmission within 30 days after an acute discharge, 2022-2023.
    let mut stays: HashMap<String, Vec<Stay>> = HashMap::new();
    for r in rows(&dir, "lpr_admissions.csv") {
        stays.entry(r["person"].clone()).or_default().push(Stay {
            admitted: d(&r["admitted"]),
            discharged: d(&r["discharged"]),
            acute: r["acute"] == "true",
            psychiatric: r["kind"] == "psychiatric",
            municipality: r["municipality"].parse().unwrap(),
        });
    }
    for (psych, ind) in [
        (false, "somatic_readmissions"),
        (true, "psychiatric_readmissions"),
    ] {
        let (mut n, mut hits, mut expected) = (0.0, 0.0, 0.0);
        let mut delays = Vec::new();
        for list in stays.values() {
            for s in list.iter().filter(|s| s.acute && s.psychiatric == psych) {
                let year = date::year_of(s.discharged);
                if !(2022..=2023).contains(&year) {
                    continue;
                }
                n += 1.0;
                expected += t(ind, s.municipality, year) / 100.0;
                let next = list
                    .iter()
                    .filter(|x| x.acute && x.psychiatric == psych && x.admitted > s.admitted)
                    .map(|x| x.admitted - s.discharged)
                    .filter(|g| (0..=30).contains(g))
                    .min();
                if let Some(g) = next {
                    hits += 1.0;
                    delays.push(g);
                }
            }
        }
        check(ind, hits / n, expected / n, n, 0.05);
        // Realistic timing: readmissions cluster in the first weeks.
        delays.sort();
        let median = delays[delays.len() / 2];
        assert!((3..=12).contains(&median), "{ind}: median delay {median}");
    }

    // #3: the municipal medians. Pooled over municipalities, half the waits are at most the
    // municipality's target median and half at least.
    let mut services: HashMap<String, Vec<i32>> = HashMap::new();
    for r in rows(&dir, "rehab_services.csv") {
        services
            .entry(r["person"].clone())
            .or_default()
            .push(d(&r["service_date"]));
    }
    let (mut n, mut below, mut at_most, mut linked) = (0.0, 0.0, 0.0, 0.0);
    let mut plans = 0.0;
    for r in rows(&dir, "rehab_plans.csv") {
        let pd = d(&r["plan_date"]);
        let year = date::year_of(pd);
        if !(2022..=2023).contains(&year) {
            continue;
        }
        plans += 1.0;
        let first = services
            .get(&r["person"])
            .and_then(|s| s.iter().filter(|&&x| x >= pd).min().copied());
        if let Some(f) = first {
            linked += 1.0;
            let target = t(
                "rehab_waiting_time",
                r["municipality"].parse().unwrap(),
                year,
            );
            let wait = (f - pd) as f64;
            n += 1.0;
            below += f64::from(wait < target - 0.5);
            at_most += f64::from(wait <= target + 0.5);
        }
    }
    println!(
        "rehab_waiting_time: {plans} plans, {:.3} linked, {:.3} below, {:.3} at most the target",
        linked / plans,
        below / n,
        at_most / n
    );
    assert!(linked / plans > 0.8 && linked / plans < 0.97);
    assert!(below / n < 0.5 + 0.03 && at_most / n > 0.5 - 0.03);

    // #10: residents 65+ with dementia before the year who buy an antipsychotic in the year.
    let dementia: HashMap<String, i32> = {
        let mut m: HashMap<String, i32> = HashMap::new();
        for r in rows(&dir, "lpr_diagnoses.csv") {
            let code = &r["diagnosis"];
            if ["DF00", "DF01", "DF02", "DF03", "DG30"]
                .iter()
                .any(|p| code.starts_with(p))
            {
                let e = m.entry(r["person"].clone()).or_insert(i32::MAX);
                *e = (*e).min(d(&r["diagnosed"]));
            }
        }
        m
    };
    let mut buyers: HashSet<(String, i32)> = HashSet::new();
    for r in rows(&dir, "lmdb_prescriptions.csv") {
        if r["atc"].starts_with("N05A") && r["atc"] != "N05AN01" {
            buyers.insert((r["person"].clone(), r["dispensed"][..4].parse().unwrap()));
        }
    }
    let (mut n, mut hits, mut expected) = (0.0, 0.0, 0.0);
    let mut residents_65 = 0.0;
    let mut mortality: HashMap<i32, [f64; 2]> = HashMap::new();
    let residents = rows(&dir, "cpr_residents.csv");
    for r in &residents {
        let snap = d(&r["snapshot_date"]);
        let year = date::year_of(snap);
        let age = date::age(d(&r["birth_date"]), snap);
        mortality.entry(band(age)).or_default()[1] += 1.0;
        if age < 65 || !(2022..=2023).contains(&year) {
            continue;
        }
        residents_65 += 1.0;
        if dementia.get(&r["person"]).is_some_and(|&dd| dd < snap) {
            n += 1.0;
            expected += t(
                "antipsychotics_dementia",
                r["municipality"].parse().unwrap(),
                year,
            ) / 100.0;
            hits += f64::from(buyers.contains(&(r["person"].clone(), year)));
        }
    }
    let prevalence = n / residents_65;
    println!("dementia among residents 65+: {prevalence:.4}");
    assert!((0.02..0.08).contains(&prevalence));
    check("antipsychotics_dementia", hits / n, expected / n, n, 0.05);

    // #40: weighted share of daily smokers per survey wave.
    for wave in [2021, 2023] {
        let (mut w, mut ws, mut wt, mut n) = (0.0, 0.0, 0.0, 0.0);
        for r in rows(&dir, "health_profile.csv") {
            if r["interviewed"][..4].parse::<i32>().unwrap() != wave {
                continue;
            }
            let weight: f64 = r["survey_weight"].parse().unwrap();
            w += weight;
            n += 1.0;
            ws += weight * f64::from(r["daily_smoker"] == "true");
            wt += weight * t("daily_smokers", r["municipality"].parse().unwrap(), wave) / 100.0;
        }
        // Weighting inflates the variance (design effect about 2).
        check(
            &format!("daily_smokers {wave}"),
            ws / w,
            wt / w,
            n / 2.0,
            0.05,
        );
    }

    // Mortality: life expectancy at birth from an abridged life table of all six years, against
    // the population-weighted municipal targets.
    for r in rows(&dir, "deaths.csv") {
        let age = date::age(d(&r["birth_date"]), d(&r["death_date"]));
        mortality.entry(band(age)).or_default()[0] += 1.0;
    }
    let mut bands: Vec<i32> = mortality.keys().copied().collect();
    bands.sort();
    let mut l = 1.0;
    let mut e0 = 0.0;
    for (i, &b) in bands.iter().enumerate() {
        let [deaths, exposure] = mortality[&b];
        let m = deaths / exposure;
        if i + 1 == bands.len() {
            e0 += l / m;
            break;
        }
        let width = (bands[i + 1] - b) as f64;
        let q = (width * m / (1.0 + width * m / 2.0)).min(1.0);
        e0 += width * l * (1.0 - q / 2.0);
        l *= 1.0 - q;
    }
    let munis = load_municipalities(&data()).unwrap();
    let total: f64 = munis.iter().map(|m| m.population).sum();
    let target: f64 = (2018..=2023)
        .map(|y| {
            munis
                .iter()
                .map(|m| m.population * t("life_expectancy", m.code, y))
                .sum::<f64>()
                / total
        })
        .sum::<f64>()
        / 6.0;
    println!("life expectancy 2018-2023: {e0:.2}, target {target:.2}");
    assert!(
        (e0 - target).abs() < 1.5,
        "life expectancy {e0} against {target}"
    );

    let _ = std::fs::remove_dir_all(dir);
}

fn band(age: i32) -> i32 {
    match age {
        0 => 0,
        1..=4 => 1,
        a if a >= 90 => 90,
        a => a / 5 * 5,
    }
}
