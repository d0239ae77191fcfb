//! Disclosure control: after complementary suppression no suppressed count can be narrowed
//! below its threshold from what the report publishes, and no published figure changes.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use indikator::eval::Geography;
use indikator::pipeline;
use indikator::report::audit::{self, Cell};
use indikator::report::{Protection, Report, build_with};

fn cells(report: &Report) -> Vec<Cell> {
    report
        .rows
        .iter()
        .map(|r| Cell {
            indicator: r.indicator.clone(),
            level: indikator::plan::Level::from_name(r.level).unwrap(),
            unit_code: r.unit_code,
            period: r.period.clone(),
            numerator: r.numerator,
            denominator: r.denominator,
            suppressed: r.suppressed.clone(),
        })
        .collect()
}

#[test]
fn complementary_suppression_protects_the_fixture() {
    let outcome = pipeline::run_paths(
        &["tests/fixtures/small/rules".into()],
        &pipeline::options("tests/fixtures/small"),
    )
    .unwrap();
    let report = &outcome.report;
    let reason = |level: &str, unit: u32, period: &str| {
        report
            .rows
            .iter()
            .find(|r| {
                r.indicator == "somatic_readmissions"
                    && r.level == level
                    && r.unit_code == unit
                    && r.period == period
            })
            .unwrap()
            .suppressed
            .clone()
    };
    // Somatic readmissions 2023. Ærø (492) is suppressed by its rule, so in region 1081 the
    // other municipality, Aalborg (851), is hidden too: the two hidden cells add up to the
    // region's 6 of 22, which passes the rule. In region 1082 both municipalities (751, 727)
    // are suppressed by the rule, and together they are still too small, so the region is
    // hidden; then region 1082 could be had as the country less region 1081, so 1081 is
    // hidden as well. The country's 10 of 30 passes the rule and is shown.
    assert_eq!(
        reason("municipality", 492, "2023").as_deref(),
        Some("small_numbers")
    );
    assert_eq!(
        reason("municipality", 851, "2023").as_deref(),
        Some("complementary")
    );
    assert_eq!(
        reason("region", 1082, "2023").as_deref(),
        Some("complementary")
    );
    assert_eq!(
        reason("region", 1081, "2023").as_deref(),
        Some("complementary")
    );
    assert_eq!(reason("national", 0, "2023"), None);

    let geo =
        Geography::load("tests/fixtures/small/reference/municipalities.csv".as_ref()).unwrap();
    assert_eq!(
        audit::audit(&outcome.plan, &geo, &cells(report)).findings,
        vec![]
    );
    // Without the complementary cells the audit finds what subtraction gives away.
    let primary = build_with(&outcome.plan, &outcome.evaluation, Protection::PrimaryOnly);
    assert!(
        !audit::audit(&outcome.plan, &geo, &cells(&primary))
            .findings
            .is_empty()
    );
}

const RULES: &str = r#"
goal g { title "Goal" }

source events {
  file "events.csv"
  columns {
    day: date
    flag: bool
    municipality: municipality
  }
}

population rows {
  from events
  where day in period
}

indicator share {
  title "Share"
  goal g
  unit "pct."
  improvement lower
  levels national, region, municipality
  period 2023 compare 2022
  measure proportion
  numerator count of rows where flag
  denominator count of rows
  at municipality {
    suppress when denominator < 8 or numerator < 3 reason small_numbers
  }
}
"#;

const GEOGRAPHY: &str = "code,name,region_code,region_name\n\
101,A1,1081,Region A\n102,A2,1081,Region A\n103,A3,1081,Region A\n\
201,B1,1082,Region B\n202,B2,1082,Region B\n\
301,C1,1083,Region C\n302,C2,1083,Region C\n303,C3,1083,Region C\n304,C4,1083,Region C\n";

const MUNICIPALITIES: [u32; 9] = [101, 102, 103, 201, 202, 301, 302, 303, 304];

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn write_data(rows: &[(bool, bool, usize)]) -> Dir {
    static CASE: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "indikator-disclosure-{}-{}",
        std::process::id(),
        CASE.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(dir.join("reference")).unwrap();
    fs::write(dir.join("reference/municipalities.csv"), GEOGRAPHY).unwrap();
    let mut csv = String::from("day,flag,municipality\n");
    for (this_year, flag, m) in rows {
        let year = if *this_year { 2023 } else { 2022 };
        csv.push_str(&format!("{year}-06-01,{flag},{}\n", MUNICIPALITIES[*m]));
    }
    fs::write(dir.join("events.csv"), csv).unwrap();
    Dir(dir)
}

/// 48 cases by default; `PROPTEST_CASES` searches longer.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn protection_leaves_nothing_recoverable_and_changes_no_figure(
        rows in prop::collection::vec((prop::bool::ANY, prop::bool::ANY, 0usize..9), 0..160)
    ) {
        let dir = write_data(&rows);
        let outcome = pipeline::run_texts(&[("rules.ind", RULES)], &pipeline::options(&dir.0)).unwrap();
        let protected = &outcome.report;
        let geo = Geography::load(&dir.0.join("reference/municipalities.csv")).unwrap();
        let findings = audit::audit(&outcome.plan, &geo, &cells(protected)).findings;
        prop_assert!(findings.is_empty(), "{findings:?}");

        let primary = build_with(&outcome.plan, &outcome.evaluation, Protection::PrimaryOnly);
        let key = |r: &indikator::report::Row| (r.indicator.clone(), r.level, r.unit_code, r.period.clone());
        let before: HashMap<_, _> = primary.rows.iter().map(|r| (key(r), r)).collect();
        for row in &protected.rows {
            let was = before[&key(row)];
            if row.suppressed.is_none() {
                // Shown now: shown before, with the same figure.
                prop_assert!(was.suppressed.is_none());
                prop_assert_eq!(row.value, was.value);
                prop_assert_eq!(row.numerator, was.numerator);
                prop_assert_eq!(row.denominator, was.denominator);
            } else if was.suppressed.is_some() {
                // A primary reason is kept, not replaced.
                prop_assert_eq!(&row.suppressed, &was.suppressed);
            } else {
                prop_assert_eq!(row.suppressed.as_deref(), Some("complementary"));
            }
        }
    }
}

/// The worked example of docs/methods.md.
#[test]
fn the_worked_example_of_the_methods_page() {
    use indikator::eval::{Figure, Unit};
    use indikator::plan::{BinOp, Level, Suppression, ThresholdExpr};
    use indikator::report::disclosure::{Table, protect};

    let dir = std::env::temp_dir().join(format!("indikator-worked-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("municipalities.csv");
    fs::write(
        &path,
        "code,name,region_code,region_name\n1,A1,1081,A\n2,A2,1081,A\n3,A3,1081,A\n",
    )
    .unwrap();
    let geo = Geography::load(&path).unwrap();
    let _ = fs::remove_dir_all(&dir);

    let figure = |n: f64, d: f64, hidden: bool| Figure {
        numerator: Some(n),
        denominator: Some(d),
        value: Some(100.0 * n / d),
        interval: None,
        suppressed: hidden.then(|| "small_numbers".to_string()),
    };
    let mut regions = vec![(Unit::Region(0), figure(18.0, 104.0, false))];
    let mut municipalities = vec![
        (Unit::Municipality(0), figure(6.0, 40.0, false)),
        (Unit::Municipality(1), figure(2.0, 9.0, true)),
        (Unit::Municipality(2), figure(10.0, 55.0, false)),
    ];
    let small = ThresholdExpr::Binary(
        BinOp::Or,
        Box::new(ThresholdExpr::Binary(
            BinOp::Lt,
            Box::new(ThresholdExpr::Denominator),
            Box::new(ThresholdExpr::Number(20.0)),
        )),
        Box::new(ThresholdExpr::Binary(
            BinOp::Lt,
            Box::new(ThresholdExpr::Numerator),
            Box::new(ThresholdExpr::Number(5.0)),
        )),
    );
    let rule = Suppression {
        condition: small,
        reason: "small_numbers".to_string(),
        explanation: None,
    };
    let mut table = Table {
        levels: vec![
            (Level::Region, &mut regions),
            (Level::Municipality, &mut municipalities),
        ],
    };
    let hidden = protect(&geo, &mut table, &|level| {
        if level == Level::Municipality {
            vec![rule.clone()]
        } else {
            vec![]
        }
    });
    // A1 (denominator 40) is the smallest shown part; with it hidden, A1 + A2 = 8 of 49 passes.
    assert_eq!(hidden, 1);
    assert_eq!(
        municipalities[0].1.suppressed.as_deref(),
        Some("complementary")
    );
    assert_eq!(municipalities[2].1.suppressed, None);
    assert_eq!(regions[0].1.suppressed, None);

    let cell = |level: Level, code: u32, f: &Figure| Cell {
        indicator: "share".to_string(),
        level,
        unit_code: code,
        period: "2023".to_string(),
        numerator: if f.suppressed.is_some() {
            None
        } else {
            f.numerator
        },
        denominator: if f.suppressed.is_some() {
            None
        } else {
            f.denominator
        },
        suppressed: f.suppressed.clone(),
    };
    let mut cells = vec![cell(Level::Region, 1081, &regions[0].1)];
    for (k, (_, f)) in municipalities.iter().enumerate() {
        cells.push(cell(Level::Municipality, k as u32 + 1, f));
    }
    let plan = plan_of(&RULES.replace(
        "denominator < 8 or numerator < 3",
        "denominator < 20 or numerator < 5",
    ));
    assert_eq!(audit::audit(&plan, &geo, &cells).findings, vec![]);
    // Without A1 hidden, A2 is exactly 2 of 9.
    cells[1] = cell(Level::Municipality, 1, &figure(6.0, 40.0, false));
    let findings = audit::audit(&plan, &geo, &cells).findings;
    assert_eq!(findings.len(), 2);
    assert_eq!((findings[0].low, findings[0].high), (9.0, 9.0));
    assert_eq!(findings[0].quantity, "denominator");
    assert_eq!((findings[1].low, findings[1].high), (2.0, 2.0));
}

/// The plan of a rule text (over an empty extract).
fn plan_of(rules: &str) -> indikator::plan::Plan {
    let dir = write_data(&[]);
    pipeline::run_texts(&[("rules.ind", rules)], &pipeline::options(&dir.0))
        .unwrap()
        .plan
}
