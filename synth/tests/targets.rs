//! `data/calibration/targets.csv` is derived from the published report by
//! `calibration::derive_targets`; this test re-derives it and compares. To rewrite the file
//! after changing the inputs: `INDIKATOR_SYNTH_BLESS=1 cargo test -p indikator-synth --test targets`.

use indikator_synth::calibration::{derive_targets, targets_csv};
use std::path::Path;

fn data() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../data"))
}

#[test]
fn targets_csv_is_derived_from_the_published_report() {
    let derived = targets_csv(&derive_targets(data()).expect("derive"));
    let path = data().join("calibration/targets.csv");
    if std::env::var_os("INDIKATOR_SYNTH_BLESS").is_some() {
        std::fs::write(&path, &derived).expect("write targets.csv");
    }
    let committed = std::fs::read_to_string(&path).expect("read targets.csv");
    assert!(
        committed == derived,
        "data/calibration/targets.csv is stale; rerun with INDIKATOR_SYNTH_BLESS=1"
    );
}

#[test]
fn every_municipality_has_every_target() {
    let targets = derive_targets(data()).expect("derive");
    let munis = indikator_synth::calibration::load_municipalities(data()).expect("munis");
    for ind in [
        "somatic_readmissions",
        "psychiatric_readmissions",
        "rehab_waiting_time",
        "antipsychotics_dementia",
        "life_expectancy",
        "daily_smokers",
        "excess_mortality",
        "good_life_years",
    ] {
        for m in &munis {
            assert!(
                targets.iter().any(|t| t.indicator == ind
                    && t.level == "municipality"
                    && t.unit_code == m.code),
                "{ind} has no target for {}",
                m.code
            );
        }
    }
    // Spot checks against the published cells.
    let find = |ind: &str, level: &str, unit: u32, year: i32| {
        targets
            .iter()
            .find(|t| {
                t.indicator == ind && t.level == level && t.unit_code == unit && t.year == year
            })
            .map(|t| t.value)
    };
    assert_eq!(
        find("somatic_readmissions", "national", 0, 2023),
        Some(11.0)
    );
    // Published 9.3, scaled to Region Nordjylland's published 10.7 over the population-weighted
    // mean of its municipalities' published figures (10.595).
    assert_eq!(
        find("somatic_readmissions", "municipality", 810, 2023),
        Some(9.3921)
    );
    // `volume` in indicator_map.csv: the published figure itself.
    assert_eq!(
        find("youth_education_mental", "municipality", 851, 2023),
        Some(68.7)
    );
    assert_eq!(find("life_expectancy", "national", 0, 2023), Some(81.5));
    assert_eq!(find("excess_mortality", "region", 1081, 2023), Some(3.6));
    assert!(find("daily_smokers", "municipality", 101, 2021).is_some());
    assert!(find("daily_smokers", "municipality", 101, 2023).is_some());
}
