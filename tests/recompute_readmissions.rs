//! #1 (acute somatic readmissions within 30 days) recomputed from `data/sample` independently of
//! the engine, straight from the extracts' text, and held against the engine's figure. The
//! sample is generated with readmissions on the boundaries of "within 30 days" (day 0, day 30,
//! day 31; `docs/data.md`), so the comparison exercises the day counting of the rule and of
//! `within`.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::PathBuf;

use indikator::pipeline;
use indikator::words::Level;

const SAMPLE: &str = "data/sample";

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian).
fn day(text: &str) -> i64 {
    let mut parts = text.split('-').map(|p| p.parse::<i64>().unwrap());
    let (y, m, d) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    // Days from civil, counting years from March so that the leap day comes last.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

struct Stay {
    person: String,
    admitted: i64,
    discharged: i64,
    acute_somatic: bool,
}

fn stays() -> Vec<Stay> {
    let text = fs::read_to_string(format!("{SAMPLE}/lpr_admissions.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (person, admitted, discharged, acute, kind) = (
        at("person"),
        at("admitted"),
        at("discharged"),
        at("acute"),
        at("kind"),
    );
    lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Stay {
                person: f[person].to_string(),
                admitted: day(f[admitted]),
                discharged: day(f[discharged]),
                acute_somatic: f[acute] == "true" && f[kind] == "somatic",
            }
        })
        .collect()
}

fn deaths() -> HashMap<String, i64> {
    let text = fs::read_to_string(format!("{SAMPLE}/deaths.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (f[0].to_string(), day(f[1]))
        })
        .collect()
}

/// The national numerator and denominator of #1 in `year`, by the conventions its rule states:
/// index stays are acute somatic stays discharged in the year, alive; a readmission is another
/// acute somatic admission of the person, later than the index admission, from the day of
/// discharge to day 30 after it.
fn recomputed(year: i64) -> (usize, usize, [usize; 3]) {
    let stays = stays();
    let deaths = deaths();
    let mut by_person: HashMap<&str, Vec<&Stay>> = HashMap::new();
    for s in stays.iter().filter(|s| s.acute_somatic) {
        by_person.entry(&s.person).or_default().push(s);
    }
    let (first, last) = (day(&format!("{year}-01-01")), day(&format!("{year}-12-31")));
    let (mut numerator, mut denominator) = (0, 0);
    // How many index stays have an acute admission on day 0, 30 and 31 after discharge.
    let mut on_boundary = [0; 3];
    for index in stays.iter().filter(|s| s.acute_somatic) {
        if index.discharged < first || index.discharged > last {
            continue;
        }
        let died_in_stay = deaths
            .get(&index.person)
            .is_some_and(|&d| index.admitted <= d && d <= index.discharged);
        if died_in_stay {
            continue;
        }
        denominator += 1;
        let gaps: HashSet<i64> = by_person[index.person.as_str()]
            .iter()
            .filter(|next| next.admitted > index.admitted)
            .map(|next| next.admitted - index.discharged)
            .collect();
        if gaps.iter().any(|g| (0..=30).contains(g)) {
            numerator += 1;
        }
        for (k, g) in [0, 30, 31].iter().enumerate() {
            if gaps.contains(g) {
                on_boundary[k] += 1;
            }
        }
    }
    (numerator, denominator, on_boundary)
}

#[test]
fn readmissions_recomputed_from_the_extracts_agree_with_the_engine() {
    let rules: Vec<PathBuf> = [
        "goals.ind",
        "sources.ind",
        "codes.ind",
        "populations.ind",
        "coherent_pathways.ind",
    ]
    .iter()
    .map(|f| PathBuf::from("rules").join(f))
    .collect();
    let outcome = pipeline::run_paths(&rules, &pipeline::options(SAMPLE)).unwrap();
    let mut on_boundary = [0; 3];
    for year in [2022, 2023] {
        let (numerator, denominator, boundary) = recomputed(year);
        let national = outcome
            .report
            .rows
            .iter()
            .find(|r| {
                r.indicator == "somatic_readmissions"
                    && r.level == Level::National
                    && r.period == year.to_string()
            })
            .expect("the national figure");
        assert_eq!(national.numerator, Some(numerator as f64), "{year}");
        assert_eq!(national.denominator, Some(denominator as f64), "{year}");
        for (total, n) in on_boundary.iter_mut().zip(boundary) {
            *total += n;
        }
    }
    // The sample holds the boundaries the comparison is about.
    assert!(
        on_boundary.iter().all(|&n| n > 0),
        "index stays with an acute admission on days 0, 30 and 31 after discharge: {on_boundary:?}"
    );
}
