//! docs/tutorial.md, done for real: its area file is added to a copy of the shipped rules, and
//! check, test and run work on the sample data without any code change.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::fs;

use indikator::pipeline;
use indikator::testing::{self, TestOptions};
use indikator::words::Level;
use indikator::workspace;

fn area_file() -> String {
    let tutorial = fs::read_to_string("docs/tutorial.md").unwrap();
    let start = tutorial
        .find("```indikator\n")
        .expect("the tutorial has an area file")
        + "```indikator\n".len();
    let end = start + tutorial[start..].find("```").unwrap();
    tutorial[start..end].to_string()
}

#[test]
fn the_tutorial_adds_an_area_with_a_rule_file_only() {
    let rules = std::env::temp_dir().join(format!("indikator-tutorial-{}", std::process::id()));
    let _ = fs::remove_dir_all(&rules);
    fs::create_dir_all(&rules).unwrap();
    for entry in fs::read_dir("rules").unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, rules.join(path.file_name().unwrap())).unwrap();
    }
    fs::write(rules.join("pneumonia.ind"), area_file()).unwrap();

    // 3. Check.
    let checked = workspace::check_paths(std::slice::from_ref(&rules)).unwrap();
    assert_eq!(checked.error_count(), 0);
    // The shipped rule files and the new area file, one more indicator than the shipped ones.
    let shipped = workspace::check_paths(&["rules".into()]).unwrap();
    assert_eq!(checked.summary.indicators, shipped.summary.indicators + 1);
    assert_eq!(checked.summary.files, shipped.summary.files + 1);

    // 4. Test.
    let outcomes = testing::run_tests(
        &checked,
        &TestOptions {
            reference_data: "data".into(),
        },
    )
    .unwrap();
    let new = outcomes
        .iter()
        .find(|o| o.indicator == "pneumonia_admissions")
        .unwrap();
    assert!(new.failures.is_empty());

    // 5. Run: the new indicator is in the report, for every unit and both periods.
    let outcome = pipeline::run_paths(
        std::slice::from_ref(&rules),
        &pipeline::options("data/sample"),
    )
    .unwrap();
    let rows: Vec<_> = outcome
        .report
        .rows
        .iter()
        .filter(|r| r.indicator == "pneumonia_admissions")
        .collect();
    assert_eq!(rows.len(), 2 * (1 + 5 + 98));
    let national = rows
        .iter()
        .find(|r| r.level == Level::National && r.period == "2023")
        .unwrap();
    assert!(national.value.is_some_and(|v| v > 0.0));
    let page = indikator::report::html::render(
        &outcome.plan,
        &outcome.evaluation.geography,
        &outcome.report,
        &indikator::report::publication::Publication::shipped(),
    );
    assert!(page.contains("Akutte indlæggelser for lungebetændelse"));
    let _ = fs::remove_dir_all(&rules);
}
