//! Every measure kind, period form, suppression rule and marking, evaluated end to end over
//! tiny CSV extracts, against figures worked out by hand in the comments.
//!
//! The geography of every test: two regions with two municipalities each.
//!
//! | municipality | region |
//! |---|---|
//! | 101 A-by, 102 A-land | 1081 Region A |
//! | 201 B-by, 202 B-land | 1082 Region B |
//!
//! The country is unit code 0.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use indikator::pipeline;
use indikator::report::{Report, Row};
use indikator::stats;
use indikator::words::{Level, Marking};

const GEOGRAPHY: &str = "code,name,region_code,region_name\n\
101,A-by,1081,Region A\n\
102,A-land,1081,Region A\n\
201,B-by,1082,Region B\n\
202,B-land,1082,Region B\n";

/// z for 95 %: Φ⁻¹(0.975).
const Z95: f64 = 1.959963984540054;

/// A data directory under the system's temporary directory, removed when dropped.
struct DataDir(PathBuf);

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn data_dir(files: &[(&str, &str)]) -> DataDir {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "indikator-measures-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("reference")).unwrap();
    fs::write(dir.join("reference/municipalities.csv"), GEOGRAPHY).unwrap();
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
    }
    DataDir(dir)
}

/// Runs one rule set over the given extracts and returns the report.
/// The figures with the rules' own suppression: these tests are about how each measure is
/// computed; complementary suppression is tested in tests/disclosure.rs.
fn run(rules: &str, files: &[(&str, &str)]) -> Report {
    let dir = data_dir(files);
    match pipeline::run_texts(&[("rules.ind", rules)], &pipeline::options(&dir.0)) {
        Ok(outcome) => indikator::report::build_with(
            &outcome.plan,
            &outcome.evaluation,
            indikator::report::Protection::PrimaryOnly,
        ),
        Err(e) => panic!("the run failed: {e}"),
    }
}

/// A CSV text built row by row.
struct Csv(String);

impl Csv {
    fn new(header: &str) -> Csv {
        Csv(format!("{header}\n"))
    }

    fn row(self, row: &str) -> Csv {
        self.rows(1, row)
    }

    fn rows(mut self, n: usize, row: &str) -> Csv {
        for _ in 0..n {
            self.0.push_str(row);
            self.0.push('\n');
        }
        self
    }
}

/// The single row of an indicator for a unit and a period.
#[track_caller]
fn row<'a>(report: &'a Report, indicator: &str, unit: u32, period: &str) -> &'a Row {
    let found: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.indicator == indicator && r.unit_code == unit && r.period == period)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one row for {indicator} unit {unit} period {period}, found {}",
        found.len()
    );
    found[0]
}

/// Equal to a relative tolerance of 1e-9 (absolute 1e-9 near zero).
#[track_caller]
fn close(got: Option<f64>, want: f64) {
    let Some(got) = got else {
        panic!("expected {want}, got nothing");
    };
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "expected {want}, got {got}"
    );
}

/// A shown row's value, and its numerator and denominator when given.
#[track_caller]
fn shown(r: &Row, numerator: Option<f64>, denominator: Option<f64>, value: f64) {
    assert_eq!(
        r.suppressed, None,
        "row {} {} is suppressed",
        r.unit_code, r.period
    );
    close(r.value, value);
    match numerator {
        Some(n) => close(r.numerator, n),
        None => assert_eq!(r.numerator, None),
    }
    match denominator {
        Some(d) => close(r.denominator, d),
        None => assert_eq!(r.denominator, None),
    }
}

/// A suppressed row: its reason, and every figure blank.
#[track_caller]
fn blank(r: &Row, reason: &str) {
    assert_eq!(
        r.suppressed.as_deref(),
        Some(reason),
        "unit {}",
        r.unit_code
    );
    assert_eq!(r.numerator, None, "numerator of a suppressed row");
    assert_eq!(r.denominator, None, "denominator of a suppressed row");
    assert_eq!(r.value, None, "value of a suppressed row");
    assert_eq!(r.ci_low, None, "ci_low of a suppressed row");
    assert_eq!(r.ci_high, None, "ci_high of a suppressed row");
}

/// The Wilson score interval for x of n, in per cent, written out from the formula
/// (docs/methods.md), not taken from the engine.
fn wilson_by_hand(x: f64, n: f64) -> (f64, f64) {
    let p = x / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    (100.0 * (centre - half), 100.0 * (centre + half))
}

// ------------------------------------------------------------------ proportions

const STAYS_PROPORTION: &str = r#"
goal g { title "Mål" }

source stays {
  file "stays.csv"
  columns {
    admitted: date
    long: bool
    municipality: municipality
  }
}

population stays_in_period {
  from stays
  where admitted in period
}

indicator long_share {
  title "Lange indlæggelser"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of stays_in_period where long
  denominator count of stays_in_period
}
"#;

/// 2023: 101 has 1 long stay of 4, 102 3 of 6, 201 2 of 5, 202 none at all.
/// 2022: 101 has 1 long stay of 2.
fn stays_proportion_data() -> String {
    Csv::new("admitted,long,municipality")
        .rows(1, "2023-02-01,true,101")
        .rows(3, "2023-02-01,false,101")
        .rows(3, "2023-05-01,true,102")
        .rows(3, "2023-05-01,false,102")
        .rows(2, "2023-12-31,true,201")
        .rows(3, "2023-01-01,false,201")
        .rows(1, "2022-06-01,true,101")
        .rows(1, "2022-06-01,false,101")
        .0
}

#[test]
fn proportion_counts_rows_and_rolls_up_municipalities() {
    let csv = stays_proportion_data();
    let report = run(STAYS_PROPORTION, &[("stays.csv", &csv)]);
    let r = |unit, period| row(&report, "long_share", unit, period);
    // 101: 100 · 1/4 = 25.
    shown(r(101, "2023"), Some(1.0), Some(4.0), 25.0);
    // 102: 100 · 3/6 = 50.
    shown(r(102, "2023"), Some(3.0), Some(6.0), 50.0);
    // 201: 100 · 2/5 = 40 (2023-12-31 and 2023-01-01 both lie in 2023).
    shown(r(201, "2023"), Some(2.0), Some(5.0), 40.0);
    // Region A = 101 + 102: 100 · (1 + 3)/(4 + 6) = 40, not the mean of 25 and 50.
    shown(r(1081, "2023"), Some(4.0), Some(10.0), 40.0);
    // Region B = 201 + 202: 100 · 2/5 = 40.
    shown(r(1082, "2023"), Some(2.0), Some(5.0), 40.0);
    // Country: 100 · 6/15 = 40.
    shown(r(0, "2023"), Some(6.0), Some(15.0), 40.0);
    // 2022: only 101's two stays: 100 · 1/2 = 50 for 101, region A and the country.
    shown(r(101, "2022"), Some(1.0), Some(2.0), 50.0);
    shown(r(1081, "2022"), Some(1.0), Some(2.0), 50.0);
    shown(r(0, "2022"), Some(1.0), Some(2.0), 50.0);
    // Development of the country: 40 against 50, lower is better: green.
    assert_eq!(r(0, "2023").development, Some(Marking::Green));
}

#[test]
fn proportion_interval_is_wilson_on_the_counts() {
    let csv = stays_proportion_data();
    let report = run(STAYS_PROPORTION, &[("stays.csv", &csv)]);
    // Region A, x = 4, n = 10, p̂ = 0.4, z² = 3.841458820694124:
    // centre = (0.4 + 0.1920729410) / 1.3841458821 = 0.4277564766,
    // half = 1.95996398 / 1.38414588 · √(0.024 + 0.0096036470) = 0.2595705766,
    // limits 100 · (0.4277564766 ∓ 0.2595705766) = 16.818033, 68.732623.
    let a = row(&report, "long_share", 1081, "2023");
    let (low, high) = wilson_by_hand(4.0, 10.0);
    close(Some(low), 16.818032970623616);
    close(Some(high), 68.73262302663417);
    close(a.ci_low, low);
    close(a.ci_high, high);
    // Country, x = 6, n = 15, p̂ = 0.4: limits 19.824496, 64.253170.
    let n = row(&report, "long_share", 0, "2023");
    let (low, high) = wilson_by_hand(6.0, 15.0);
    close(Some(low), 19.82449614134158);
    close(Some(high), 64.25316987937539);
    close(n.ci_low, low);
    close(n.ci_high, high);
}

#[test]
fn weighted_proportion_weights_the_value_and_prints_row_counts() {
    let rules = r#"
goal g { title "Mål" }

source survey {
  file "survey.csv"
  columns {
    answered: date
    satisfied: bool
    w: decimal
    municipality: municipality
  }
}

population answers {
  from survey
  where answered in period
}

indicator satisfied_share {
  title "Tilfredse patienter"
  goal g
  unit "pct."
  improvement higher
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of answers where satisfied
  denominator count of answers
  weight w
}
"#;
    let csv = Csv::new("answered,satisfied,w,municipality")
        .row("2023-03-01,true,1,101")
        .row("2023-03-01,true,1,101")
        .row("2023-03-01,false,3,101")
        .row("2023-03-01,false,1,101")
        .0;
    let report = run(rules, &[("survey.csv", &csv)]);
    for unit in [0, 1081, 101] {
        let r = row(&report, "satisfied_share", unit, "2023");
        // Weighted: 100 · (1 + 1)/(1 + 1 + 3 + 1) = 100 · 2/6 = 33.333…; unweighted it would
        // be 50. The printed numerator and denominator are the row counts 2 and 4.
        shown(r, Some(2.0), Some(4.0), 100.0 / 3.0);
        // Kish n_eff = (Σw)²/Σw² = 36/(1 + 1 + 9 + 1) = 3; Wilson with p̂ = 1/3, n = 3:
        // centre = (1/3 + 0.6402431)/2.2804863 = 0.4269152, half = 0.3654233,
        // limits 6.149194, 79.234040.
        let (low, high) = wilson_by_hand(1.0, 3.0);
        close(Some(low), 6.149194472039615);
        close(Some(high), 79.23403991979524);
        close(r.ci_low, low);
        close(r.ci_high, high);
    }
}

// ------------------------------------------------------------------ rates, ratios, counts

const EVENTS_AND_RESIDENTS: &str = r#"
goal g { title "Mål" }

source events {
  file "events.csv"
  columns {
    happened: date
    municipality: municipality
  }
}

source residents {
  file "residents.csv"
  columns {
    person_years: decimal
    municipality: municipality
  }
}

population events_in_period {
  from events
  where happened in period
}

indicator event_rate {
  title "Hændelser pr. 1.000 borgere"
  goal g
  unit "pr. 1.000"
  improvement lower
  levels national, region, municipality
  period 2023
  measure rate per 1000
  numerator count of events_in_period
  denominator sum person_years of residents
}

indicator event_count {
  title "Hændelser"
  goal g
  unit "antal"
  improvement lower
  levels national, region, municipality
  period 2023
  measure count
  numerator count of events_in_period
}
"#;

/// 101: 3 events over 400 + 600 person-years; 201: 12 events over 2000; 102 and 202: none.
fn events_data() -> (String, String) {
    let events = Csv::new("happened,municipality")
        .rows(3, "2023-04-01,101")
        .rows(12, "2023-09-30,201")
        .rows(4, "2022-12-31,101")
        .0;
    let residents = Csv::new("person_years,municipality")
        .row("400,101")
        .row("600,101")
        .row("2000,201")
        .0;
    (events, residents)
}

#[test]
fn rate_per_1000_and_its_poisson_interval() {
    let (events, residents) = events_data();
    let report = run(
        EVENTS_AND_RESIDENTS,
        &[("events.csv", &events), ("residents.csv", &residents)],
    );
    // 101: 1000 · 3/(400 + 600) = 3 (the four 2022 events are outside the period).
    let m = row(&report, "event_rate", 101, "2023");
    shown(m, Some(3.0), Some(1000.0), 3.0);
    // 201: 1000 · 12/2000 = 6.
    let b = row(&report, "event_rate", 201, "2023");
    shown(b, Some(12.0), Some(2000.0), 6.0);
    // Country: 1000 · 15/3000 = 5.
    let n = row(&report, "event_rate", 0, "2023");
    shown(n, Some(15.0), Some(3000.0), 5.0);
    // The intervals are the crude-rate intervals (exact below 10 events, Byar from 10),
    // scaled by the factor 1000.
    for (r, events, exposure) in [(m, 3.0, 1000.0), (b, 12.0, 2000.0), (n, 15.0, 3000.0)] {
        let i = stats::rate_interval(events, exposure, 0.95).unwrap();
        close(r.ci_low, 1000.0 * i.low);
        close(r.ci_high, 1000.0 * i.high);
    }
    // Byar at O = 12 by hand: low = 12·(1 − 1/108 − z/(3√12))³ = 6.200575…,
    // so 201's lower limit is 1000 · 6.2006/2000 = 3.1003.
    let o: f64 = 12.0;
    let byar_low = o * (1.0 - 1.0 / (9.0 * o) - Z95 / (3.0 * o.sqrt())).powi(3);
    close(b.ci_low, 1000.0 * byar_low / 2000.0);
}

#[test]
fn count_of_rows_is_the_numerator_with_a_poisson_interval() {
    let (events, residents) = events_data();
    let report = run(
        EVENTS_AND_RESIDENTS,
        &[("events.csv", &events), ("residents.csv", &residents)],
    );
    // 101: 3 events in 2023; no denominator.
    let m = row(&report, "event_count", 101, "2023");
    shown(m, Some(3.0), None, 3.0);
    let i = stats::poisson_count_interval(3.0, 0.95);
    close(m.ci_low, i.low);
    close(m.ci_high, i.high);
    // Region A: 3; region B: 12; country: 15.
    shown(
        row(&report, "event_count", 1081, "2023"),
        Some(3.0),
        None,
        3.0,
    );
    shown(
        row(&report, "event_count", 1082, "2023"),
        Some(12.0),
        None,
        12.0,
    );
    shown(
        row(&report, "event_count", 0, "2023"),
        Some(15.0),
        None,
        15.0,
    );
    // A municipality without events has the count 0, which is a figure (not no_data).
    shown(
        row(&report, "event_count", 102, "2023"),
        Some(0.0),
        None,
        0.0,
    );
}

#[test]
fn ratio_of_a_sum_to_a_count() {
    let rules = r#"
goal g { title "Mål" }

source discharges {
  file "discharges.csv"
  columns {
    discharged: date
    drg_value: decimal
    municipality: municipality
  }
}

population discharges_in_period {
  from discharges
  where discharged in period
}

indicator drg_per_discharge {
  title "DRG-værdi pr. udskrivning"
  goal g
  unit "kr."
  improvement none
  levels national, region, municipality
  period 2023
  measure ratio
  numerator sum drg_value of discharges_in_period
  denominator count of discharges_in_period
}
"#;
    let csv = Csv::new("discharged,drg_value,municipality")
        .row("2023-01-10,100,101")
        .row("2023-02-10,200,101")
        .row("2023-03-10,600,101")
        .row("2023-04-10,50,102")
        .row("2022-04-10,5000,102")
        .0;
    let report = run(rules, &[("discharges.csv", &csv)]);
    // 101: (100 + 200 + 600)/3 = 300.
    shown(
        row(&report, "drg_per_discharge", 101, "2023"),
        Some(900.0),
        Some(3.0),
        300.0,
    );
    // 102: 50/1 = 50 (the 2022 discharge is outside the period).
    shown(
        row(&report, "drg_per_discharge", 102, "2023"),
        Some(50.0),
        Some(1.0),
        50.0,
    );
    // Region A and the country: 950/4 = 237.5.
    shown(
        row(&report, "drg_per_discharge", 1081, "2023"),
        Some(950.0),
        Some(4.0),
        237.5,
    );
    shown(
        row(&report, "drg_per_discharge", 0, "2023"),
        Some(950.0),
        Some(4.0),
        237.5,
    );
    // Region B has no discharges: no_data.
    blank(row(&report, "drg_per_discharge", 1082, "2023"), "no_data");
    // The interval of a sum of amounts is sum ± z·√(Σ amount²) (compound Poisson), over the
    // denominator, never below 0. 101: Σx² = 100² + 200² + 600² = 410,000, half-width
    // 1.959964 × 640.3124 = 1254.989: (0; 2154.989/3 = 718.330). The country: Σx² = 412,500,
    // half-width 1.959964 × 642.2616 = 1258.810: (0; 2208.810/4 = 552.202).
    let r = row(&report, "drg_per_discharge", 101, "2023");
    close(r.ci_low, 0.0);
    close(r.ci_high, (900.0 + Z95 * 410_000f64.sqrt()) / 3.0);
    assert!((r.ci_high.unwrap() - 718.330).abs() < 1e-3);
    let r = row(&report, "drg_per_discharge", 0, "2023");
    close(r.ci_high, (950.0 + Z95 * 412_500f64.sqrt()) / 4.0);
    assert!((r.ci_high.unwrap() - 552.202).abs() < 1e-3);
}

#[test]
fn count_persons_counts_a_person_once_per_unit() {
    let rules = r#"
goal g { title "Mål" }

source contacts {
  file "contacts.csv"
  columns {
    person: person
    contact_date: date
    municipality: municipality
  }
}

population contacts_in_period {
  from contacts
  where contact_date in period
}

indicator persons_in_contact {
  title "Personer med kontakt"
  goal g
  unit "antal"
  improvement none
  levels national, region, municipality
  period 2023
  measure count
  numerator count persons of contacts_in_period
}

indicator contacts_count {
  title "Kontakter"
  goal g
  unit "antal"
  improvement none
  levels national, region, municipality
  period 2023
  measure count
  numerator count of contacts_in_period
}
"#;
    // P1: two contacts in 101. P2: one in 101 and one in 102 (moved within region A).
    // P3: two in 201. P4: a contact in 2022 only.
    let csv = Csv::new("person,contact_date,municipality")
        .row("P1,2023-01-05,101")
        .row("P1,2023-07-05,101")
        .row("P2,2023-02-01,101")
        .row("P2,2023-09-01,102")
        .row("P3,2023-03-01,201")
        .row("P3,2023-04-01,201")
        .row("P4,2022-03-01,202")
        .0;
    let report = run(rules, &[("contacts.csv", &csv)]);
    let persons = |unit| row(&report, "persons_in_contact", unit, "2023");
    // 101: {P1, P2} = 2 (P1's two contacts count once).
    shown(persons(101), Some(2.0), None, 2.0);
    // 102: {P2} = 1.
    shown(persons(102), Some(1.0), None, 1.0);
    // Region A: {P1, P2} = 2, not 101 + 102 = 3: P2 counts once in the region.
    shown(persons(1081), Some(2.0), None, 2.0);
    // 201 and region B: {P3} = 1.
    shown(persons(201), Some(1.0), None, 1.0);
    shown(persons(1082), Some(1.0), None, 1.0);
    // 202: P4's contact is in 2022: 0.
    shown(persons(202), Some(0.0), None, 0.0);
    // Country: {P1, P2, P3} = 3.
    shown(persons(0), Some(3.0), None, 3.0);
    // Rows, for contrast: 101 has 3 contacts, region A 4, the country 6.
    shown(
        row(&report, "contacts_count", 101, "2023"),
        Some(3.0),
        None,
        3.0,
    );
    shown(
        row(&report, "contacts_count", 1081, "2023"),
        Some(4.0),
        None,
        4.0,
    );
    shown(
        row(&report, "contacts_count", 0, "2023"),
        Some(6.0),
        None,
        6.0,
    );
}

#[test]
fn sum_adds_values_and_has_no_interval() {
    let rules = r#"
goal g { title "Mål" }

source treatments {
  file "treatments.csv"
  columns {
    treated: date
    cost: decimal
    municipality: municipality
  }
}

population treatments_in_period {
  from treatments
  where treated in period
}

indicator treatment_cost {
  title "Behandlingsudgift"
  goal g
  unit "mio. kr."
  improvement lower
  levels national, region, municipality
  period 2023
  measure sum
  numerator sum cost of treatments_in_period
}
"#;
    let csv = Csv::new("treated,cost,municipality")
        .row("2023-01-01,1.5,101")
        .row("2023-06-01,2.25,101")
        .row("2023-12-01,10,201")
        .row("2023-12-01,,201")
        .row("2024-01-01,100,201")
        .0;
    let report = run(rules, &[("treatments.csv", &csv)]);
    // 101: 1.5 + 2.25 = 3.75; a missing cost adds nothing; 2024 is outside the period.
    let m = row(&report, "treatment_cost", 101, "2023");
    shown(m, Some(3.75), None, 3.75);
    assert_eq!((m.ci_low, m.ci_high), (None, None));
    // Region B: 10. Country: 3.75 + 10 = 13.75.
    shown(
        row(&report, "treatment_cost", 1082, "2023"),
        Some(10.0),
        None,
        10.0,
    );
    let n = row(&report, "treatment_cost", 0, "2023");
    shown(n, Some(13.75), None, 13.75);
    assert_eq!((n.ci_low, n.ci_high), (None, None));
}

// ------------------------------------------------------------------ means and medians

const MEASUREMENTS: &str = r#"
goal g { title "Mål" }

source measurements {
  file "measurements.csv"
  columns {
    measured: date
    x: decimal
    w: decimal
    municipality: municipality
  }
}

population measurements_in_period {
  from measurements
  where measured in period
}

indicator mean_x {
  title "Gennemsnit"
  goal g
  unit "dage"
  improvement lower
  levels national, region, municipality
  period 2023
  measure mean
  value x of measurements_in_period
}

indicator weighted_mean_x {
  title "Vægtet gennemsnit"
  goal g
  unit "dage"
  improvement lower
  levels national, region, municipality
  period 2023
  measure mean
  value x of measurements_in_period
  weight w
}

indicator median_x {
  title "Median"
  goal g
  unit "median dage"
  improvement lower
  levels national, region, municipality
  period 2023
  measure median
  value x of measurements_in_period
}
"#;

#[test]
fn mean_unweighted_with_t_interval() {
    let csv = Csv::new("measured,x,w,municipality")
        .row("2023-01-01,2,1,101")
        .row("2023-01-01,4,1,101")
        .row("2023-01-01,9,2,101")
        .row("2023-01-01,10,1,201")
        .row("2022-01-01,1000,1,201")
        .0;
    let report = run(MEASUREMENTS, &[("measurements.csv", &csv)]);
    // 101: (2 + 4 + 9)/3 = 5; numerator Σx = 15, denominator n = 3.
    let m = row(&report, "mean_x", 101, "2023");
    shown(m, Some(15.0), Some(3.0), 5.0);
    // s² = (9 + 1 + 16)/2 = 13, se = √(13/3) = 2.0817; t(0.975, 2) = 4.302653:
    // 5 ∓ 8.9566 = −3.9566, 13.9566.
    let t = stats::t_quantile(0.975, 2.0);
    close(Some(t), 4.302652729911275);
    let half = t * (13.0_f64 / 3.0).sqrt();
    close(m.ci_low, 5.0 - half);
    close(m.ci_high, 5.0 + half);
    // 201: one value, 10 (the 2022 row is outside the period); no interval for n = 1.
    let b = row(&report, "mean_x", 201, "2023");
    shown(b, Some(10.0), Some(1.0), 10.0);
    assert_eq!((b.ci_low, b.ci_high), (None, None));
    // Country: (2 + 4 + 9 + 10)/4 = 6.25.
    shown(
        row(&report, "mean_x", 0, "2023"),
        Some(25.0),
        Some(4.0),
        6.25,
    );
}

#[test]
fn mean_weighted() {
    let csv = Csv::new("measured,x,w,municipality")
        .row("2023-01-01,2,1,101")
        .row("2023-01-01,4,1,101")
        .row("2023-01-01,9,2,101")
        .0;
    let report = run(MEASUREMENTS, &[("measurements.csv", &csv)]);
    for unit in [101, 1081, 0] {
        // (1·2 + 1·4 + 2·9)/(1 + 1 + 2) = 24/4 = 6 (unweighted it is 5). The printed
        // numerator is the unweighted Σx = 15, the denominator the row count 3.
        shown(
            row(&report, "weighted_mean_x", unit, "2023"),
            Some(15.0),
            Some(3.0),
            6.0,
        );
    }
}

#[test]
fn median_of_odd_and_even_counts() {
    let csv = Csv::new("measured,x,w,municipality")
        .row("2023-01-01,3,1,101")
        .row("2023-01-01,1,1,101")
        .row("2023-01-01,7,1,101")
        .row("2023-01-01,10,1,102")
        .row("2023-01-01,1,1,102")
        .row("2023-01-01,7,1,102")
        .row("2023-01-01,3,1,102")
        .0;
    let report = run(MEASUREMENTS, &[("measurements.csv", &csv)]);
    // 101: sorted 1, 3, 7: the middle value 3; denominator n = 3.
    let m = row(&report, "median_x", 101, "2023");
    assert_eq!(m.suppressed, None);
    close(m.value, 3.0);
    close(m.denominator, 3.0);
    // 102: sorted 1, 3, 7, 10: (3 + 7)/2 = 5; n = 4.
    let m = row(&report, "median_x", 102, "2023");
    close(m.value, 5.0);
    close(m.denominator, 4.0);
    // Region A: 1, 1, 3, 3, 7, 7, 10: the 4th value, 3; n = 7 (not the median of medians, 4).
    let a = row(&report, "median_x", 1081, "2023");
    close(a.value, 3.0);
    close(a.denominator, 7.0);
    // No interval below n = 6 at 95 %: 0.5^(4 − 1) = 0.125 > 0.05.
    let m = row(&report, "median_x", 102, "2023");
    assert_eq!((m.ci_low, m.ci_high), (None, None));
    // For n = 7: k = 0 (P(K ≤ 0) = 1/128 ≤ 0.025, P(K ≤ 1) = 8/128 > 0.025), so the
    // interval is (x₍₁₎, x₍₇₎) = (1, 10).
    close(a.ci_low, 1.0);
    close(a.ci_high, 10.0);
}

// ------------------------------------------------------------------ life expectancy

#[test]
fn life_expectancy_from_a_three_band_table() {
    let rules = r#"
goal g { title "Mål" }

source deaths {
  file "deaths.csv"
  columns {
    died: date
    age: integer
  }
}

source residents {
  file "residents.csv"
  columns {
    age: integer
    person_years: decimal
  }
}

population deaths_in_period {
  from deaths
  where died in period
}

indicator life_expectancy_0 {
  title "Middellevetid"
  goal g
  unit "år"
  improvement higher
  levels national
  period 2023
  measure life_expectancy at age 0
  deaths count of deaths_in_period
  exposure sum person_years of residents
  ages band(age, 0, 1, 5)
}

indicator life_expectancy_1 {
  title "Restlevetid ved 1 år"
  goal g
  unit "år"
  improvement higher
  levels national
  period 2023
  measure life_expectancy at age 1
  deaths count of deaths_in_period
  exposure sum person_years of residents
  ages band(age, 0, 1, 5)
}
"#;
    // Bands "0-0", "1-4", "5+". Deaths 1, 2, 10 (the 2022 death is outside the period);
    // exposure 100, 150 + 250 = 400, 200.
    let deaths = Csv::new("died,age")
        .rows(1, "2023-02-01,0")
        .rows(1, "2023-02-01,1")
        .rows(1, "2023-02-01,4")
        .rows(10, "2023-03-01,70")
        .rows(1, "2022-03-01,70")
        .0;
    let residents = Csv::new("age,person_years")
        .row("0,100")
        .row("2,150")
        .row("4,250")
        .row("40,200")
        .0;
    let report = run(
        rules,
        &[("deaths.csv", &deaths), ("residents.csv", &residents)],
    );
    // Band 0 (n = 1, a = 0.1): M = 1/100, q₀ = 0.01/(1 + 0.9·0.01) = 10/1009,
    //   l₁ = 999/1009, L₀ = l₁ + 0.1·q₀ = 1000/1009.
    // Band 1 (n = 4, a = 0.5): M = 2/400, nM = 0.02, q₁ = 0.02/1.01 = 2/101,
    //   l₂ = l₁·99/101, L₁ = 4·(l₂ + 0.5·l₁·q₁) = l₁·4·(1 − 1/101) = l₁·400/101.
    // Open band: M = 10/200 = 0.05, L₂ = l₂/0.05 = 20·l₂ = l₁·1980/101.
    // e₁ = (L₁ + L₂)/l₁ = 2380/101 = 23.564356…
    // e₀ = L₀ + L₁ + L₂ = 1000/1009 + (999/1009)·(2380/101) = 2478620/101909 = 24.321895…
    let e0 = row(&report, "life_expectancy_0", 0, "2023");
    shown(e0, Some(13.0), Some(700.0), 2478620.0 / 101909.0);
    close(e0.value, 24.321895023991992);
    let e1 = row(&report, "life_expectancy_1", 0, "2023");
    shown(e1, Some(13.0), Some(700.0), 2380.0 / 101.0);
    // Chiang's variance with the open-band term (docs/methods.md), by hand:
    //   var(q₀) = q₀²(1 − q₀)/1, var(q₁) = q₁²(1 − q₁)/2, e₂ = 1/M₂ = 20,
    //   var(e₀) = l₀²((1 − 0.1)·1 + e₁)²·var(q₀) + l₁²((1 − 0.5)·4 + e₂)²·var(q₁)
    //             + l₂²/(D₂·M₂²) = 37.822911 (l₀ = 1),
    //   limits 24.321895 ∓ 1.959964·√37.822911 = 12.268051, 36.375739.
    let (q0, q1) = (10.0 / 1009.0, 2.0 / 101.0);
    let (l1, e1_hand, e2): (f64, f64, f64) = (999.0 / 1009.0, 2380.0 / 101.0, 20.0);
    let l2 = l1 * 99.0 / 101.0;
    let var_q0 = q0 * q0 * (1.0 - q0);
    let var_q1 = q1 * q1 * (1.0 - q1) / 2.0;
    let open = l2 * l2 / (10.0 * 0.05 * 0.05);
    let var_e0 = (0.9 + e1_hand).powi(2) * var_q0 + l1 * l1 * (2.0 + e2).powi(2) * var_q1 + open;
    close(Some(var_e0), 37.822910621114026);
    close(e0.ci_low, 2478620.0 / 101909.0 - Z95 * var_e0.sqrt());
    close(e0.ci_high, 2478620.0 / 101909.0 + Z95 * var_e0.sqrt());
    // From age 1: var(e₁) = [l₁²(2 + e₂)²·var(q₁) + l₂²/(D₂·M₂²)]/l₁² = 38.524540,
    //   limits 23.564356 ∓ 1.959964·√38.524540 = 11.399225, 35.729488.
    let var_e1 = (l1 * l1 * (2.0 + e2).powi(2) * var_q1 + open) / (l1 * l1);
    close(Some(var_e1), 38.52453991600512);
    close(e1.ci_low, e1_hand - Z95 * var_e1.sqrt());
    close(e1.ci_high, e1_hand + Z95 * var_e1.sqrt());
}

// ------------------------------------------------------------------ standardisation

const STANDARDISED: &str = r#"
goal g { title "Mål" }

source persons {
  file "persons.csv"
  columns {
    seen: date
    sex: category("m", "f")
    event: bool
    municipality: municipality
  }
}

source standard_population {
  file "standard.csv"
  columns {
    year: integer
    sex: category("m", "f")
    persons: integer
  }
}

population persons_in_period {
  from persons
  where seen in period
}

standard std_2024 {
  from standard_population
  where year == 2024
  strata sex
  weight persons
}

indicator share_std_national {
  title "Andel, standardiseret til landet"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of persons_in_period where event
  denominator count of persons_in_period
  standardise by sex using national
}

indicator share_std_national_crude_kom {
  title "Andel, kommuner ustandardiserede"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of persons_in_period where event
  denominator count of persons_in_period
  standardise by sex using national
  at municipality {
    crude
  }
}

indicator share_std_2024 {
  title "Andel, standardiseret til 2024-befolkningen"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of persons_in_period where event
  denominator count of persons_in_period
  standardise by sex using std_2024
}
"#;

/// 101: men 2 events of 5, women 1 of 5. 201: men 1 of 5, women 4 of 25.
/// Country: men 3 of 10, women 5 of 30; 8 of 40 in all.
fn standardised_data() -> (String, String) {
    let persons = Csv::new("seen,sex,event,municipality")
        .rows(2, "2023-05-01,m,true,101")
        .rows(3, "2023-05-01,m,false,101")
        .rows(1, "2023-05-01,f,true,101")
        .rows(4, "2023-05-01,f,false,101")
        .rows(1, "2023-05-01,m,true,201")
        .rows(4, "2023-05-01,m,false,201")
        .rows(4, "2023-05-01,f,true,201")
        .rows(21, "2023-05-01,f,false,201")
        .0;
    // The standard: 60 men and 40 women in 2024; the 2023 row is filtered out.
    let standard = Csv::new("year,sex,persons")
        .row("2024,m,60")
        .row("2024,f,40")
        .row("2023,m,1000")
        .0;
    (persons, standard)
}

#[test]
fn standardised_to_national_equals_crude_for_the_country() {
    let (persons, standard) = standardised_data();
    let report = run(
        STANDARDISED,
        &[("persons.csv", &persons), ("standard.csv", &standard)],
    );
    // Weights are the country's denominators: men 10, women 30 of 40 (0.25, 0.75).
    // Country: DSR = Σᵢ (Nᵢ/N)·(Oᵢ/Nᵢ) = Σᵢ Oᵢ/N = crude: the stratum populations cancel.
    //   0.25·3/10 + 0.75·5/30 = 0.075 + 0.125 = 0.2 = 8/40 → 20 %.
    let n = row(&report, "share_std_national", 0, "2023");
    shown(n, Some(8.0), Some(40.0), 20.0);
    // Standardising to its own population gives the crude rate's interval (docs/methods.md).
    let i = stats::rate_interval(8.0, 40.0, 0.95).unwrap();
    close(n.ci_low, 100.0 * i.low);
    close(n.ci_high, 100.0 * i.high);
    // 101: 0.25·2/5 + 0.75·1/5 = 0.1 + 0.15 = 0.25 → 25 % (crude 3/10 = 30 %).
    shown(
        row(&report, "share_std_national", 101, "2023"),
        Some(3.0),
        Some(10.0),
        25.0,
    );
    // 201: 0.25·1/5 + 0.75·4/25 = 0.05 + 0.12 = 0.17 → 17 % (crude 5/30 = 16.67 %).
    shown(
        row(&report, "share_std_national", 201, "2023"),
        Some(5.0),
        Some(30.0),
        17.0,
    );
    // The regions hold one municipality each with data: 25 % and 17 %.
    close(row(&report, "share_std_national", 1081, "2023").value, 25.0);
    close(row(&report, "share_std_national", 1082, "2023").value, 17.0);
    // 102 and 202 have no persons: no_data.
    blank(row(&report, "share_std_national", 102, "2023"), "no_data");
    // With `crude` at municipality: 101 is 3/10 = 30 %, 201 is 5/30 = 16.67 %, while the
    // regions stay standardised (25 %, 17 %) and the country 20 %.
    let crude = |unit| row(&report, "share_std_national_crude_kom", unit, "2023");
    shown(crude(101), Some(3.0), Some(10.0), 30.0);
    shown(crude(201), Some(5.0), Some(30.0), 100.0 * 5.0 / 30.0);
    close(crude(1081).value, 25.0);
    close(crude(1082).value, 17.0);
    close(crude(0).value, 20.0);
}

#[test]
fn standardised_to_a_declared_standard() {
    let (persons, standard) = standardised_data();
    let report = run(
        STANDARDISED,
        &[("persons.csv", &persons), ("standard.csv", &standard)],
    );
    // Weights from the standard's 2024 rows: men 60, women 40 of 100 (0.6, 0.4).
    // Country: 0.6·3/10 + 0.4·5/30 = 0.18 + 0.0666… = 0.24666… → 24.666… %.
    shown(
        row(&report, "share_std_2024", 0, "2023"),
        Some(8.0),
        Some(40.0),
        100.0 * (0.6 * 0.3 + 0.4 * 5.0 / 30.0),
    );
    close(
        row(&report, "share_std_2024", 0, "2023").value,
        24.666666666666668,
    );
    // 101: 0.6·0.4 + 0.4·0.2 = 0.24 + 0.08 = 0.32 → 32 %.
    shown(
        row(&report, "share_std_2024", 101, "2023"),
        Some(3.0),
        Some(10.0),
        32.0,
    );
    // 201: 0.6·0.2 + 0.4·0.16 = 0.12 + 0.064 = 0.184 → 18.4 %.
    shown(
        row(&report, "share_std_2024", 201, "2023"),
        Some(5.0),
        Some(30.0),
        18.4,
    );
}

// ------------------------------------------------------------------ periods

const DATED_EVENTS: &str = r#"
goal g { title "Mål" }

source events {
  file "events.csv"
  columns {
    happened: date
    municipality: municipality
  }
}

population events_in_period {
  from events
  where happened in period
}

indicator pooled_events {
  title "Hændelser 2019-2021"
  goal g
  unit "antal"
  improvement lower
  levels national, region, municipality
  period 2019..2021 compare 2018..2020
  measure count
  numerator count of events_in_period
}

indicator monthly_events {
  title "Hændelser i marts"
  goal g
  unit "antal"
  improvement lower
  levels national, region, municipality
  period 2024-03 compare 2023-03
  measure count
  numerator count of events_in_period
}
"#;

#[test]
fn pooled_period_of_three_years() {
    let csv = Csv::new("happened,municipality")
        .rows(1, "2018-12-31,101")
        .rows(1, "2019-01-01,101")
        .rows(1, "2019-06-01,101")
        .rows(3, "2020-03-01,101")
        .rows(4, "2021-12-31,101")
        .rows(5, "2022-01-01,101")
        .0;
    let report = run(DATED_EVENTS, &[("events.csv", &csv)]);
    // 2019..2021 pools 2019-01-01 through 2021-12-31: 2 + 3 + 4 = 9.
    let now = row(&report, "pooled_events", 101, "2019..2021");
    shown(now, Some(9.0), None, 9.0);
    // 2018..2020: 1 + 2 + 3 = 6.
    let before = row(&report, "pooled_events", 101, "2018..2020");
    shown(before, Some(6.0), None, 6.0);
    // 9 against 6 is 50 % more, lower is better: red. The compare row has no markings.
    assert_eq!(now.development, Some(Marking::Red));
    assert_eq!(before.development, None);
    assert_eq!(before.level_marking, None);
    // The country is the same: 9 and 6.
    shown(
        row(&report, "pooled_events", 0, "2019..2021"),
        Some(9.0),
        None,
        9.0,
    );
    shown(
        row(&report, "pooled_events", 0, "2018..2020"),
        Some(6.0),
        None,
        6.0,
    );
}

#[test]
fn monthly_period() {
    let csv = Csv::new("happened,municipality")
        .row("2024-02-29,101")
        .row("2024-03-01,101")
        .row("2024-03-31,101")
        .row("2024-04-01,101")
        .row("2023-02-28,101")
        .row("2023-03-01,101")
        .row("2023-03-15,101")
        .row("2023-03-31,101")
        .row("2023-04-01,101")
        .0;
    let report = run(DATED_EVENTS, &[("events.csv", &csv)]);
    // March 2024: the 1st and the 31st; not 29 February nor 1 April: 2.
    let now = row(&report, "monthly_events", 101, "2024-03");
    shown(now, Some(2.0), None, 2.0);
    // March 2023: the 1st, 15th and 31st: 3.
    shown(
        row(&report, "monthly_events", 101, "2023-03"),
        Some(3.0),
        None,
        3.0,
    );
    // 2 against 3, lower is better: green.
    assert_eq!(now.development, Some(Marking::Green));
    shown(
        row(&report, "monthly_events", 0, "2024-03"),
        Some(2.0),
        None,
        2.0,
    );
}

#[test]
fn per_level_period_in_an_at_block() {
    let rules = r#"
goal g { title "Mål" }

source stays {
  file "stays.csv"
  columns {
    admitted: date
    good: bool
    municipality: municipality
  }
}

population stays_in_period {
  from stays
  where admitted in period
}

indicator good_share {
  title "Gode forløb"
  goal g
  unit "pct."
  improvement higher
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of stays_in_period where good
  denominator count of stays_in_period
  at municipality {
    period 2021..2023 compare 2018..2020
  }
}
"#;
    let csv = Csv::new("admitted,good,municipality")
        .rows(1, "2019-05-01,true,101")
        .rows(1, "2021-05-01,true,101")
        .rows(1, "2021-05-01,false,101")
        .rows(2, "2022-05-01,false,101")
        .rows(3, "2023-05-01,true,101")
        .rows(1, "2023-05-01,false,101")
        .rows(1, "2023-05-01,true,201")
        .rows(3, "2023-05-01,false,201")
        .0;
    let report = run(rules, &[("stays.csv", &csv)]);
    // The country, 2023: (3 + 1)/(4 + 4) = 50 %; 2022: 0/2 = 0 %.
    shown(
        row(&report, "good_share", 0, "2023"),
        Some(4.0),
        Some(8.0),
        50.0,
    );
    shown(
        row(&report, "good_share", 0, "2022"),
        Some(0.0),
        Some(2.0),
        0.0,
    );
    // Regions keep 2023: A = 3/4 = 75 %, B = 1/4 = 25 %.
    shown(
        row(&report, "good_share", 1081, "2023"),
        Some(3.0),
        Some(4.0),
        75.0,
    );
    shown(
        row(&report, "good_share", 1082, "2023"),
        Some(1.0),
        Some(4.0),
        25.0,
    );
    // Municipalities use 2021..2023: 101 has (1 + 0 + 3)/(2 + 2 + 4) = 4/8 = 50 %.
    let m = row(&report, "good_share", 101, "2021..2023");
    shown(m, Some(4.0), Some(8.0), 50.0);
    // 2018..2020: 1/1 = 100 %: development 50 against 100, higher is better: red.
    shown(
        row(&report, "good_share", 101, "2018..2020"),
        Some(1.0),
        Some(1.0),
        100.0,
    );
    assert_eq!(m.development, Some(Marking::Red));
    // The level marking compares with the country in the same period 2021..2023:
    // (4 + 1)/(8 + 4) = 41.67 %, so 50 % is green (against the country's 2023 figure of
    // 50 % it would be yellow).
    assert_eq!(m.level_marking, Some(Marking::Green));
    // 201 in 2021..2023: 1/4 = 25 %, below 41.67 %: red; 2018..2020 has no data.
    let b = row(&report, "good_share", 201, "2021..2023");
    shown(b, Some(1.0), Some(4.0), 25.0);
    assert_eq!(b.level_marking, Some(Marking::Red));
    assert_eq!(b.development, None);
    blank(row(&report, "good_share", 201, "2018..2020"), "no_data");
    // No municipality row carries the 2023 period.
    assert!(
        !report
            .rows
            .iter()
            .any(|r| r.level == Level::Municipality && r.period == "2023")
    );
}

// ------------------------------------------------------------------ cohorts and relations

#[test]
fn cohort_membership_follows_the_period() {
    let rules = r#"
goal g { title "Mål" }

codes diabetes icd10 { "DE10*", "DE11*" }

source diagnoses {
  file "diagnoses.csv"
  columns {
    person: person
    diagnosis: code(icd10)
    diagnosed: date
  }
}

source residents {
  file "residents.csv"
  columns {
    person: person
    municipality: municipality
  }
}

cohort diabetics {
  persons of diagnoses
  where diagnosis in diabetes and diagnosed < period.start
}

indicator diabetes_share {
  title "Borgere med diabetes"
  goal g
  unit "pct."
  improvement none
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of residents where person in diabetics
  denominator count of residents
}
"#;
    let diagnoses = Csv::new("person,diagnosis,diagnosed")
        .row("P1,DE11,2020-05-01")
        .row("P2,DE109,2022-06-01")
        .row("P3,DI10,2020-01-01")
        .row("P4,DE11,2023-06-01")
        .row("P5,DE10,2019-01-01")
        .row("P6,DE10,2019-01-01")
        .0;
    let residents = Csv::new("person,municipality")
        .row("P1,101")
        .row("P2,101")
        .row("P3,101")
        .row("P4,101")
        .row("P5,102")
        .0;
    let report = run(
        rules,
        &[("diagnoses.csv", &diagnoses), ("residents.csv", &residents)],
    );
    // 2023 (diagnosed before 2023-01-01): P1, P2 (DE109 starts with DE10), P5. P3's DI10 is
    // not in the list, P4 was diagnosed during 2023, P6 lives nowhere in the extract.
    // 101: {P1, P2} of 4 = 50 %; 102: {P5} of 1 = 100 %; region A and country: 3/5 = 60 %.
    shown(
        row(&report, "diabetes_share", 101, "2023"),
        Some(2.0),
        Some(4.0),
        50.0,
    );
    shown(
        row(&report, "diabetes_share", 102, "2023"),
        Some(1.0),
        Some(1.0),
        100.0,
    );
    shown(
        row(&report, "diabetes_share", 1081, "2023"),
        Some(3.0),
        Some(5.0),
        60.0,
    );
    shown(
        row(&report, "diabetes_share", 0, "2023"),
        Some(3.0),
        Some(5.0),
        60.0,
    );
    // 2022 (before 2022-01-01): P2 is not yet a member. 101: 1/4 = 25 %; country 2/5 = 40 %.
    shown(
        row(&report, "diabetes_share", 101, "2022"),
        Some(1.0),
        Some(4.0),
        25.0,
    );
    shown(
        row(&report, "diabetes_share", 0, "2022"),
        Some(2.0),
        Some(5.0),
        40.0,
    );
}

const READMISSIONS: &str = r#"
goal g { title "Mål" }

source stays {
  file "stays.csv"
  columns {
    person: person
    admitted: date
    discharged: date
    municipality: municipality
  }
}

source contacts {
  file "contacts.csv"
  columns {
    person: person
    contact_date: date
  }
  may be empty
}

population discharges {
  from stays
  where discharged in period
  let readmitted = exists(x in stays of same person
                          where x.admitted within 30 days after discharged)
  let readmitted_31 = exists(x in stays of same person
                             where x.admitted within 31 days after discharged)
  let first_contact = min(c.contact_date for c in contacts of same person
                          where c.contact_date >= discharged)
  let wait_days = days(discharged, first_contact)
}

indicator readmission_30 {
  title "Genindlæggelser inden for 30 dage"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of discharges where readmitted
  denominator count of discharges
}

indicator readmission_31 {
  title "Genindlæggelser inden for 31 dage"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of discharges where readmitted_31
  denominator count of discharges
}

indicator days_to_contact {
  title "Dage til første kontakt"
  goal g
  unit "dage"
  improvement lower
  levels national, region, municipality
  period 2023
  measure mean
  value wait_days of discharges
}

indicator with_contact {
  title "Udskrivninger med opfølgende kontakt"
  goal g
  unit "pct."
  improvement higher
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of discharges where first_contact is present
  denominator count of discharges
}
"#;

#[test]
fn relation_exists_within_30_days_includes_day_30_not_31() {
    let stays = Csv::new("person,admitted,discharged,municipality")
        // P1: readmitted on day 30 after the discharge on 10 January (9 February): in.
        .row("P1,2023-01-01,2023-01-10,101")
        .row("P1,2023-02-09,2023-02-12,101")
        // P2: readmitted on day 31 (10 February): out for 30 days, in for 31.
        .row("P2,2023-01-01,2023-01-10,101")
        .row("P2,2023-02-10,2023-02-15,101")
        // P3: another person (P4) is admitted the next day: not the same person.
        .row("P3,2023-03-01,2023-03-05,101")
        .row("P4,2023-03-06,2023-03-08,101")
        // P5: readmitted on the day of discharge (day 0): in.
        .row("P5,2023-05-01,2023-05-10,101")
        .row("P5,2023-05-10,2023-05-12,101")
        // P6: the readmission follows a 2022 discharge, which is not in the denominator.
        .row("P6,2022-12-20,2022-12-28,101")
        .row("P6,2023-01-05,2023-01-07,101")
        .0;
    let contacts = Csv::new("person,contact_date").0;
    let report = run(
        READMISSIONS,
        &[("stays.csv", &stays), ("contacts.csv", &contacts)],
    );
    // Discharges in 2023: P1 ×2, P2 ×2, P3, P4, P5 ×2, P6 ×1 = 9.
    // Within 30 days: P1's first and P5's first = 2 → 100 · 2/9 = 22.22 %.
    shown(
        row(&report, "readmission_30", 101, "2023"),
        Some(2.0),
        Some(9.0),
        200.0 / 9.0,
    );
    // Within 31 days also P2's first = 3 → 33.33 %.
    shown(
        row(&report, "readmission_31", 101, "2023"),
        Some(3.0),
        Some(9.0),
        300.0 / 9.0,
    );
    shown(
        row(&report, "readmission_30", 0, "2023"),
        Some(2.0),
        Some(9.0),
        200.0 / 9.0,
    );
}

#[test]
fn relation_min_takes_the_earliest_matching_row() {
    let stays = Csv::new("person,admitted,discharged,municipality")
        .row("P1,2023-01-01,2023-01-10,101")
        .row("P2,2023-01-01,2023-01-10,101")
        .row("P3,2023-01-01,2023-01-10,102")
        .0;
    let contacts = Csv::new("person,contact_date")
        // P1: the earliest contact on or after 10 January is the 12th (2 days); the 5th is
        // before the discharge. The rows are not in date order.
        .row("P1,2023-01-15")
        .row("P1,2023-01-12")
        .row("P1,2023-01-05")
        // P2: the 20th (10 days).
        .row("P2,2023-01-20")
        // P3: only a contact before the discharge: no first contact (missing).
        .row("P3,2023-01-01")
        .0;
    let report = run(
        READMISSIONS,
        &[("stays.csv", &stays), ("contacts.csv", &contacts)],
    );
    // 101: mean of 2 and 10 = 6; numerator 12, denominator n = 2.
    shown(
        row(&report, "days_to_contact", 101, "2023"),
        Some(12.0),
        Some(2.0),
        6.0,
    );
    // 102: P3's wait is missing, so no values: no_data.
    blank(row(&report, "days_to_contact", 102, "2023"), "no_data");
    // The country: still (2 + 10)/2 = 6 over n = 2.
    shown(
        row(&report, "days_to_contact", 0, "2023"),
        Some(12.0),
        Some(2.0),
        6.0,
    );
    // With a contact: 101 2/2 = 100 %, 102 0/1 = 0 %, country 2/3 = 66.67 %.
    shown(
        row(&report, "with_contact", 101, "2023"),
        Some(2.0),
        Some(2.0),
        100.0,
    );
    shown(
        row(&report, "with_contact", 102, "2023"),
        Some(0.0),
        Some(1.0),
        0.0,
    );
    shown(
        row(&report, "with_contact", 0, "2023"),
        Some(2.0),
        Some(3.0),
        200.0 / 3.0,
    );
}

// ------------------------------------------------------------------ residence

#[test]
fn residence_column_places_rows_and_is_inherited() {
    let rules = r#"
goal g { title "Mål" }

source visits {
  file "visits.csv"
  columns {
    visited: date
    urgent: bool
    treated_in: municipality
    home: municipality
  }
}

population visits_by_home {
  from visits
  where visited in period
  residence home
}

population urgent_visits_by_home {
  from visits_by_home
  where urgent
}

population visits_anywhere {
  from visits
  where visited in period
}

indicator visits_home {
  title "Besøg efter bopæl"
  goal g
  unit "antal"
  improvement none
  levels national, region, municipality
  period 2023
  measure count
  numerator count of visits_by_home
}

indicator urgent_visits_home {
  title "Akutte besøg efter bopæl"
  goal g
  unit "antal"
  improvement none
  levels national, region, municipality
  period 2023
  measure count
  numerator count of urgent_visits_by_home
}

indicator visits_no_residence {
  title "Besøg uden bopæl"
  goal g
  unit "antal"
  improvement none
  levels national
  period 2023
  measure count
  numerator count of visits_anywhere
}
"#;
    let csv = Csv::new("visited,urgent,treated_in,home")
        .row("2023-01-01,true,101,201")
        .row("2023-01-01,false,101,101")
        .row("2023-01-01,true,202,102")
        .0;
    let report = run(rules, &[("visits.csv", &csv)]);
    let home = |unit| row(&report, "visits_home", unit, "2023");
    // By home: 101 1, 102 1, 201 1, 202 0 (though one visit was treated there);
    // region A 2, region B 1, country 3. By treatment place 101 would have 2.
    shown(home(101), Some(1.0), None, 1.0);
    shown(home(102), Some(1.0), None, 1.0);
    shown(home(201), Some(1.0), None, 1.0);
    shown(home(202), Some(0.0), None, 0.0);
    shown(home(1081), Some(2.0), None, 2.0);
    shown(home(1082), Some(1.0), None, 1.0);
    shown(home(0), Some(3.0), None, 3.0);
    // Urgent visits, placed by the inherited residence `home`: 201 1, 102 1, 101 0.
    let urgent = |unit| row(&report, "urgent_visits_home", unit, "2023");
    shown(urgent(101), Some(0.0), None, 0.0);
    shown(urgent(102), Some(1.0), None, 1.0);
    shown(urgent(201), Some(1.0), None, 1.0);
    shown(urgent(202), Some(0.0), None, 0.0);
    shown(urgent(0), Some(2.0), None, 2.0);
    // Without `residence`, two municipality columns leave the rows unplaced, so the checker
    // allows the indicator only nationally (E0314 otherwise): the country counts all 3.
    let none = |unit| row(&report, "visits_no_residence", unit, "2023");
    shown(none(0), Some(3.0), None, 3.0);
}

#[test]
fn rows_without_a_municipality_count_for_the_country_only() {
    let rules = r#"
goal g { title "Mål" }

source survey {
  file "survey.csv"
  columns {
    answered: date
    satisfied: bool
  }
}

source placed_survey {
  file "placed_survey.csv"
  columns {
    answered: date
    satisfied: bool
    municipality: municipality
  }
}

indicator unplaced_share {
  title "Tilfredse (uden kommune)"
  goal g
  unit "pct."
  improvement higher
  levels national
  period 2023
  measure proportion
  numerator count of survey where satisfied
  denominator count of survey
}

indicator partly_placed_share {
  title "Tilfredse (delvis kommune)"
  goal g
  unit "pct."
  improvement higher
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of placed_survey where satisfied
  denominator count of placed_survey
}
"#;
    let survey = Csv::new("answered,satisfied")
        .row("2023-01-01,true")
        .row("2023-01-01,false")
        .0;
    let placed = Csv::new("answered,satisfied,municipality")
        .row("2023-01-01,true,101")
        .row("2023-01-01,true,")
        .row("2023-01-01,false,")
        .0;
    let report = run(
        rules,
        &[("survey.csv", &survey), ("placed_survey.csv", &placed)],
    );
    // No municipality column, so computed nationally only (the checker refuses lower levels,
    // E0314): the country 1/2 = 50 %.
    shown(
        row(&report, "unplaced_share", 0, "2023"),
        Some(1.0),
        Some(2.0),
        50.0,
    );
    // A missing municipality value: the country counts all 3 rows, 2/3 = 66.67 %;
    // 101 and region A only the placed row, 1/1 = 100 %.
    shown(
        row(&report, "partly_placed_share", 0, "2023"),
        Some(2.0),
        Some(3.0),
        200.0 / 3.0,
    );
    shown(
        row(&report, "partly_placed_share", 101, "2023"),
        Some(1.0),
        Some(1.0),
        100.0,
    );
    shown(
        row(&report, "partly_placed_share", 1081, "2023"),
        Some(1.0),
        Some(1.0),
        100.0,
    );
    blank(row(&report, "partly_placed_share", 1082, "2023"), "no_data");
    // The two unplaced rows are reported in the data-quality section.
    assert!(
        report
            .data_quality
            .iter()
            .any(|q| q.file.ends_with("placed_survey.csv")
                && q.column.as_deref() == Some("municipality")
                && q.rows == 2),
        "{:?}",
        report.data_quality
    );
}

// ------------------------------------------------------------------ suppression

const SMALL_NUMBERS: &str = r#"
goal g { title "Mål" }

source stays {
  file "stays.csv"
  columns {
    admitted: date
    long: bool
    municipality: municipality
  }
}

population stays_in_period {
  from stays
  where admitted in period
}

indicator long_share {
  title "Lange indlæggelser"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of stays_in_period where long
  denominator count of stays_in_period
  at municipality {
    suppress when denominator < 20 or numerator < 5
      reason small_numbers "færre end 20 indlæggelser eller færre end 5 lange"
  }
}

indicator long_share_islands {
  title "Lange indlæggelser uden øerne"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of stays_in_period where long
  denominator count of stays_in_period
  suppress when area in [102, 202, 1082] reason small_island
  at municipality {
    suppress when denominator < 20 or numerator < 5 reason small_numbers
  }
}
"#;

/// 101: 6 long of 25; 102: 4 long of 25; 201: 8 long of 10; 202: nothing.
fn small_numbers_data() -> String {
    Csv::new("admitted,long,municipality")
        .rows(6, "2023-01-01,true,101")
        .rows(19, "2023-01-01,false,101")
        .rows(4, "2023-01-01,true,102")
        .rows(21, "2023-01-01,false,102")
        .rows(8, "2023-01-01,true,201")
        .rows(2, "2023-01-01,false,201")
        .0
}

#[test]
fn small_numbers_suppressed_at_municipality_regions_and_country_shown() {
    let csv = small_numbers_data();
    let report = run(SMALL_NUMBERS, &[("stays.csv", &csv)]);
    let r = |unit| row(&report, "long_share", unit, "2023");
    // 101: 25 ≥ 20 and 6 ≥ 5: shown, 100 · 6/25 = 24.
    shown(r(101), Some(6.0), Some(25.0), 24.0);
    // 102: numerator 4 < 5: suppressed, and its counts are blank in the row.
    blank(r(102), "small_numbers");
    // 201: denominator 10 < 20: suppressed.
    blank(r(201), "small_numbers");
    // (202, which has no rows at all, is checked in `unit_without_rows_is_no_data_under_a_count_rule`.)
    // The rule is for municipalities only: region A (6 + 4)/(25 + 25) = 20 %, region B
    // 8/10 = 80 % (although it is 201's figure alone), country 18/60 = 30 %.
    shown(r(1081), Some(10.0), Some(50.0), 20.0);
    shown(r(1082), Some(8.0), Some(10.0), 80.0);
    shown(r(0), Some(18.0), Some(60.0), 30.0);
    // A suppressed municipality gets no level marking.
    assert_eq!(r(102).level_marking, None);
    // 101: 24 against 30, lower is better: green.
    assert_eq!(r(101).level_marking, Some(Marking::Green));
}

#[test]
fn area_exclusion_applies_at_every_level_and_comes_first() {
    let csv = small_numbers_data();
    let report = run(SMALL_NUMBERS, &[("stays.csv", &csv)]);
    let r = |unit| row(&report, "long_share_islands", unit, "2023");
    // 102 breaks both rules; the top-level area rule comes first.
    blank(r(102), "small_island");
    // The top-level rule also applies to regions: 1082 is listed.
    blank(r(1082), "small_island");
    // 201 is not listed: the municipal rule (10 < 20).
    blank(r(201), "small_numbers");
    // A declared exclusion is the reason even where the unit has no figure: 202 has no rows.
    blank(r(202), "small_island");
    // Shown: 101 24 %, region A 20 %, the country (area 0) 30 %.
    shown(r(101), Some(6.0), Some(25.0), 24.0);
    shown(r(1081), Some(10.0), Some(50.0), 20.0);
    shown(r(0), Some(18.0), Some(60.0), 30.0);
}

#[test]
fn unit_without_rows_is_no_data_under_a_count_rule() {
    let csv = small_numbers_data();
    let report = run(SMALL_NUMBERS, &[("stays.csv", &csv)]);
    // 202 has no stays at all: there is no figure, so the reason is the built-in no_data
    // (docs/language.md §7: "a unit with no data"). `denominator < 20` is not a declared
    // exclusion; the engine's own comment says rules that need the figure's numbers "cannot
    // decide without them, and such a unit is then no_data", but it feeds them numerator 0
    // and denominator 0, so `0 < 20` decides and the unit is reported as small_numbers.
    blank(row(&report, "long_share", 202, "2023"), "no_data");
}

#[test]
fn tally_min_count_by_band_sees_empty_groups() {
    let rules = r#"
goal g { title "Mål" }

source stays {
  file "stays.csv"
  columns {
    admitted: date
    age: integer
    municipality: municipality
  }
}

population stays_in_period {
  from stays
  where admitted in period
}

indicator stays_count {
  title "Indlæggelser"
  goal g
  unit "antal"
  improvement none
  levels national, region, municipality
  period 2023
  measure count
  numerator count of stays_in_period
  tally fewest_per_band = min count of stays_in_period by band(age, 0, 50, 80)
  suppress when fewest_per_band < 1 reason empty_band
}
"#;
    // Bands "0-49", "50-79", "80+".
    let csv = Csv::new("admitted,age,municipality")
        .row("2023-01-01,10,101")
        .row("2023-01-01,60,101")
        .row("2023-01-01,85,101")
        .row("2023-01-01,20,102")
        .row("2023-01-01,30,102")
        .row("2023-01-01,70,102")
        .row("2023-01-01,5,201")
        .row("2022-01-01,90,201")
        .0;
    let report = run(rules, &[("stays.csv", &csv)]);
    let r = |unit| row(&report, "stays_count", unit, "2023");
    // 101: 1, 1, 1 per band: fewest 1, shown, 3 stays.
    shown(r(101), Some(3.0), None, 3.0);
    // 102: 2, 1, 0 (no one 80+): fewest 0 < 1: suppressed.
    blank(r(102), "empty_band");
    // 201: 1, 0, 0 (its 90-year-old is from 2022): suppressed.
    blank(r(201), "empty_band");
    // 202: 0, 0, 0: its count 0 is a figure, but every band is empty: suppressed.
    blank(r(202), "empty_band");
    // Region A: 3, 2, 1: shown, 6 stays. Region B: 1, 0, 0: suppressed.
    shown(r(1081), Some(6.0), None, 6.0);
    blank(r(1082), "empty_band");
    // Country: 4, 2, 1: shown, 7 stays.
    shown(r(0), Some(7.0), None, 7.0);
}

#[test]
fn no_data_for_units_without_rows() {
    let csv = Csv::new("measured,x,w,municipality")
        .row("2023-01-01,4,1,101")
        .row("2023-01-01,6,1,101")
        .0;
    let report = run(MEASUREMENTS, &[("measurements.csv", &csv)]);
    for indicator in ["mean_x", "weighted_mean_x", "median_x"] {
        // 101, region A and the country: 5.
        close(row(&report, indicator, 101, "2023").value, 5.0);
        close(row(&report, indicator, 0, "2023").value, 5.0);
        // Every other unit has no values: no_data, with blank figures.
        for unit in [102, 201, 202, 1082] {
            blank(row(&report, indicator, unit, "2023"), "no_data");
        }
    }
}

#[test]
fn derived_figure_with_a_suppressed_input_is_input_suppressed() {
    let rules = r#"
goal g { title "Mål" }

source stays {
  file "stays.csv"
  columns {
    admitted: date
    long: bool
    municipality: municipality
  }
}

population stays_in_period {
  from stays
  where admitted in period
}

indicator long_share {
  title "Lange indlæggelser"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of stays_in_period where long
  denominator count of stays_in_period
  at municipality {
    suppress when denominator < 3 reason few
  }
}

indicator gap_to_region {
  title "Forskel til regionen"
  goal g
  unit "procentpoint"
  improvement lower
  levels national, region, municipality
  period 2023
  measure derived
  value long_share - long_share.region
}
"#;
    // 101: 2 long of 4; 102: 0 of 2; 201: 1 of 5; 202: nothing.
    let csv = Csv::new("admitted,long,municipality")
        .rows(2, "2023-01-01,true,101")
        .rows(2, "2023-01-01,false,101")
        .rows(2, "2023-01-01,false,102")
        .rows(1, "2023-01-01,true,201")
        .rows(4, "2023-01-01,false,201")
        .0;
    let report = run(rules, &[("stays.csv", &csv)]);
    // Inputs: 101 50 %; 102 0/2 suppressed (few); 201 20 %; 202 no_data;
    // region A 2/6 = 33.33 %; region B 1/5 = 20 %; country 3/11 = 27.27 %.
    blank(row(&report, "long_share", 102, "2023"), "few");
    let gap = |unit| row(&report, "gap_to_region", unit, "2023");
    // 101: 50 − 33.333… = 16.666… (the region's figure is shown although 102 is not).
    shown(gap(101), None, None, 50.0 - 100.0 / 3.0);
    // 201: 20 − 20 = 0.
    shown(gap(201), None, None, 0.0);
    // 102: its own input is suppressed; 202: its input has no data.
    blank(gap(102), "input_suppressed");
    blank(gap(202), "input_suppressed");
    // A region takes its own figure for `.region`: 0; the country its own: 0.
    shown(gap(1081), None, None, 0.0);
    shown(gap(0), None, None, 0.0);

    // The interval of a derived figure by the delta method, inputs taken as independent:
    // 101's share x = 50 % (2 of 4), its region's y = 33.33 % (2 of 6), both with Wilson
    // intervals whose standard errors are (high − low) / (2z). For x − y the slopes are 1 and
    // −1: half-width z·√(se_x² + se_y²).
    let (xl, xh) = wilson_by_hand(2.0, 4.0);
    let (yl, yh) = wilson_by_hand(2.0, 6.0);
    let (se_x, se_y) = ((xh - xl) / (2.0 * Z95), (yh - yl) / (2.0 * Z95));
    let half = Z95 * (se_x * se_x + se_y * se_y).sqrt();
    close(gap(101).ci_low, 50.0 - 100.0 / 3.0 - half);
    close(gap(101).ci_high, 50.0 - 100.0 / 3.0 + half);
    // A region minus itself: the same input twice, slopes 1 − 1 = 0, a zero-width interval.
    close(gap(1081).ci_low, 0.0);
    close(gap(1081).ci_high, 0.0);
}

// ------------------------------------------------------------------ markings

const MARKINGS: &str = r#"
goal g { title "Mål" }

source scores {
  file "scores.csv"
  columns {
    scored: date
    score: decimal
    municipality: municipality
  }
}

population scores_in_period {
  from scores
  where scored in period
}

indicator mean_score {
  title "Gennemsnitlig score"
  goal g
  unit "point"
  improvement higher
  levels national, region, municipality
  period 2023 compare 2022
  measure mean
  value score of scores_in_period
  at municipality {
    suppress when value == 90 reason ninety
  }
}

indicator mean_score_no_development {
  title "Gennemsnitlig score, ny metode"
  goal g
  unit "point"
  improvement higher
  levels national, region, municipality
  period 2023 compare 2022
  measure mean
  value score of scores_in_period
  no development "Metodeskift i 2023"
}

indicator mean_score_no_direction {
  title "Gennemsnitlig score, ingen retning"
  goal g
  unit "point"
  improvement none
  levels national, region, municipality
  period 2023 compare 2022
  measure mean
  value score of scores_in_period
}

indicator mean_score_country_hidden {
  title "Gennemsnitlig score, landstal skjult"
  goal g
  unit "point"
  improvement higher
  levels national, region, municipality
  period 2023 compare 2022
  measure mean
  value score of scores_in_period
  suppress when area in [0] reason country_hidden
}

indicator mean_score_no_compare {
  title "Gennemsnitlig score, uden sammenligning"
  goal g
  unit "point"
  improvement higher
  levels national, region, municipality
  period 2023
  measure mean
  value score of scores_in_period
}
"#;

/// One score per municipality and year.
/// 2023: 101 101, 102 121, 201 81, 202 101 (country 404/4 = 101).
/// 2022: 101 100, 102 100, 201 90, 202 101 (country 391/4 = 97.75).
fn markings_data() -> String {
    Csv::new("scored,score,municipality")
        .row("2023-06-01,101,101")
        .row("2023-06-01,121,102")
        .row("2023-06-01,81,201")
        .row("2023-06-01,101,202")
        .row("2022-06-01,100,101")
        .row("2022-06-01,100,102")
        .row("2022-06-01,90,201")
        .row("2022-06-01,101,202")
        .0
}

#[test]
fn development_and_level_markings() {
    let csv = markings_data();
    let report = run(MARKINGS, &[("scores.csv", &csv)]);
    let now = |unit| row(&report, "mean_score", unit, "2023");
    // 101: 101 against 100 is exactly +1 % (1/100): yellow, inclusive.
    // Level: 101 against the country's 101: 0 %: yellow.
    assert_eq!(now(101).development, Some(Marking::Yellow));
    assert_eq!(now(101).level_marking, Some(Marking::Yellow));
    // 102: 121 against 100 = +21 %, higher is better: green; level 121 against 101: green.
    assert_eq!(now(102).development, Some(Marking::Green));
    assert_eq!(now(102).level_marking, Some(Marking::Green));
    // 201: its 2022 figure 90 is suppressed (ninety): no development; its 2023 figure 81
    // against 101 is −19.8 %: red.
    blank(row(&report, "mean_score", 201, "2022"), "ninety");
    assert_eq!(now(201).development, None);
    assert_eq!(now(201).level_marking, Some(Marking::Red));
    // 202: 101 against 101: yellow and yellow.
    assert_eq!(now(202).development, Some(Marking::Yellow));
    assert_eq!(now(202).level_marking, Some(Marking::Yellow));
    // Region A: (101 + 121)/2 = 111 against (100 + 100)/2 = 100: green; against 101: green.
    close(now(1081).value, 111.0);
    assert_eq!(now(1081).development, Some(Marking::Green));
    assert_eq!(now(1081).level_marking, Some(Marking::Green));
    // Region B: (81 + 101)/2 = 91 against (90 + 101)/2 = 95.5 (the region rule does not
    // suppress 90): −4.7 %: red; against 101: red.
    close(now(1082).value, 91.0);
    close(row(&report, "mean_score", 1082, "2022").value, 95.5);
    assert_eq!(now(1082).development, Some(Marking::Red));
    assert_eq!(now(1082).level_marking, Some(Marking::Red));
    // Country: 101 against 97.75 = +3.3 %: green; no level marking on the national row.
    close(now(0).value, 101.0);
    close(row(&report, "mean_score", 0, "2022").value, 97.75);
    assert_eq!(now(0).development, Some(Marking::Green));
    assert_eq!(now(0).level_marking, None);
    // Compare rows carry no markings.
    for unit in [0, 1081, 1082, 101, 102, 201, 202] {
        let before = row(&report, "mean_score", unit, "2022");
        assert_eq!((before.development, before.level_marking), (None, None));
    }
}

#[test]
fn no_development_and_no_direction_give_no_markings() {
    let csv = markings_data();
    let report = run(MARKINGS, &[("scores.csv", &csv)]);
    for unit in [0, 1081, 1082, 101, 102, 201, 202] {
        // `no development`: never a development marking …
        let r = row(&report, "mean_score_no_development", unit, "2023");
        assert_eq!(r.development, None, "unit {unit}");
        // … and `improvement none`: no marking of either kind.
        let r = row(&report, "mean_score_no_direction", unit, "2023");
        assert_eq!(
            (r.development, r.level_marking),
            (None, None),
            "unit {unit}"
        );
    }
    // The level marking is still given under `no development`: 102's 121 against 101: green,
    // 201's 81: red (its 2022 figure is not suppressed in this indicator).
    let r = |unit| row(&report, "mean_score_no_development", unit, "2023");
    assert_eq!(r(102).level_marking, Some(Marking::Green));
    assert_eq!(r(201).level_marking, Some(Marking::Red));
    assert_eq!(r(101).level_marking, Some(Marking::Yellow));
}

#[test]
fn a_suppressed_country_gives_no_level_markings() {
    let csv = markings_data();
    let report = run(MARKINGS, &[("scores.csv", &csv)]);
    // The country's figure is suppressed in both years (area 0).
    blank(
        row(&report, "mean_score_country_hidden", 0, "2023"),
        "country_hidden",
    );
    blank(
        row(&report, "mean_score_country_hidden", 0, "2022"),
        "country_hidden",
    );
    assert_eq!(
        row(&report, "mean_score_country_hidden", 0, "2023").development,
        None
    );
    for unit in [1081, 1082, 101, 102, 201, 202] {
        // No reference for the level marking …
        let r = row(&report, "mean_score_country_hidden", unit, "2023");
        assert_eq!(r.level_marking, None, "unit {unit}");
    }
    // … but the units' own developments remain: 101 exactly +1 %: yellow; 102 green;
    // 201 81 against 90 (not suppressed here): −10 %: red.
    let r = |unit| row(&report, "mean_score_country_hidden", unit, "2023");
    assert_eq!(r(101).development, Some(Marking::Yellow));
    assert_eq!(r(102).development, Some(Marking::Green));
    assert_eq!(r(201).development, Some(Marking::Red));
}

#[test]
fn each_unit_has_a_report_row_and_a_compare_row() {
    let csv = markings_data();
    let report = run(MARKINGS, &[("scores.csv", &csv)]);
    // 7 units (country, 2 regions, 4 municipalities) × (2023, 2022) = 14 rows, the report
    // period first for each unit.
    let rows: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.indicator == "mean_score")
        .collect();
    assert_eq!(rows.len(), 14);
    for pair in rows.chunks(2) {
        assert_eq!(pair[0].unit_code, pair[1].unit_code);
        assert_eq!(
            (pair[0].period.as_str(), pair[1].period.as_str()),
            ("2023", "2022")
        );
    }
    // Levels: one national unit, two regions, four municipalities.
    let count = |level: &str| rows.iter().filter(|r| r.level.as_str() == level).count();
    assert_eq!(
        (count("national"), count("region"), count("municipality")),
        (2, 4, 8)
    );
    // Without `compare`: one row per unit, and no development marking.
    let single: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.indicator == "mean_score_no_compare")
        .collect();
    assert_eq!(single.len(), 7);
    assert!(
        single
            .iter()
            .all(|r| r.period == "2023" && r.development.is_none())
    );
    // Its level markings are still given: 102 green.
    assert_eq!(
        row(&report, "mean_score_no_compare", 102, "2023").level_marking,
        Some(Marking::Green)
    );
}

#[test]
fn missing_flag_is_neither_true_nor_not_true() {
    let rules = r#"
goal g { title "Mål" }

source stays {
  file "stays.csv"
  columns {
    admitted: date
    long: bool
    municipality: municipality
  }
}

population stays_in_period {
  from stays
  where admitted in period
}

indicator long_share {
  title "Lange indlæggelser"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of stays_in_period where long
  denominator count of stays_in_period
}

indicator short_share {
  title "Korte indlæggelser"
  goal g
  unit "pct."
  improvement higher
  levels national, region, municipality
  period 2023
  measure proportion
  numerator count of stays_in_period where not long
  denominator count of stays_in_period
}
"#;
    let csv = Csv::new("admitted,long,municipality")
        .row("2023-01-01,true,101")
        .row("2023-01-01,false,101")
        .row("2023-01-01,,101")
        .row("2023-01-01,true,201")
        .0;
    let report = run(rules, &[("stays.csv", &csv)]);
    // 101: the row with a missing flag is in the denominator (3) but in neither numerator:
    // long 1/3 = 33.33 %, not long 1/3 = 33.33 % (they do not add up to 100 %).
    shown(
        row(&report, "long_share", 101, "2023"),
        Some(1.0),
        Some(3.0),
        100.0 / 3.0,
    );
    shown(
        row(&report, "short_share", 101, "2023"),
        Some(1.0),
        Some(3.0),
        100.0 / 3.0,
    );
    // 201: not long 0/1 = 0 %; the Wilson interval at x = 0 starts at exactly 0 and ends at
    // z²/(n + z²) = 3.841459/4.841459 = 79.345 %.
    let b = row(&report, "short_share", 201, "2023");
    shown(b, Some(0.0), Some(1.0), 0.0);
    assert_eq!(b.ci_low, Some(0.0));
    close(b.ci_high, 100.0 * Z95 * Z95 / (1.0 + Z95 * Z95));
}
