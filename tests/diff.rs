//! `indikator diff` on two real runs over the sample data that differ by one rule change: the
//! readmission window of `somatic_readmissions` cut from 30 to 20 days.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn indikator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_indikator"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("indikator-diff-test-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_rules(to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir("rules").unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

fn run(rules: &Path, out: &Path) {
    let o = indikator(&[
        "run",
        rules.to_str().unwrap(),
        "--data",
        "data/sample",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn one_rule_change_shows_as_moved_figures_of_that_indicator_only() {
    let dir = scratch();
    let (old_rules, new_rules) = (dir.join("rules-old"), dir.join("rules-new"));
    copy_rules(&old_rules);
    copy_rules(&new_rules);
    let file = new_rules.join("coherent_pathways.ind");
    let text = fs::read_to_string(&file).unwrap();
    let changed = text.replacen(
        "and next.admitted within 30 days after discharged",
        "and next.admitted within 20 days after discharged",
        1,
    );
    assert_ne!(text, changed, "the rule the test changes is still there");
    fs::write(&file, changed).unwrap();
    let (old, new) = (dir.join("old"), dir.join("new"));
    run(&old_rules, &old);
    run(&new_rules, &new);

    // The same report twice: nothing changed, exit 0.
    let same = indikator(&["diff", old.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&same.stdout).contains("No published figure"));

    let o = indikator(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "a change exits 1");
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    let groups = json["groups"].as_array().unwrap();
    assert!(!groups.is_empty());
    for g in groups {
        assert_eq!(g["indicator"], "somatic_readmissions", "{g}");
        assert_eq!(g["added"], 0);
        assert_eq!(g["removed"], 0);
    }
    // A shorter window can only lose readmissions: every moved national or regional numerator
    // is smaller, and their denominators (the discharges) stay.
    for change in json["changes"].as_array().unwrap() {
        if change["kind"] == "number" && change["level"] != "municipality" {
            let (a, b) = (
                change["old"].as_str().unwrap().parse::<f64>().unwrap(),
                change["new"].as_str().unwrap().parse::<f64>().unwrap(),
            );
            match change["field"].as_str().unwrap() {
                "numerator" | "value" => assert!(b < a, "{change}"),
                "denominator" => panic!("the denominator moved: {change}"),
                _ => {}
            }
        }
    }
    assert!(
        groups
            .iter()
            .any(|g| g["level"] == "national" && g["changed"].as_u64() > Some(0))
    );
    let human = indikator(&["diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("Largest moves of value:"), "{text}");
    assert!(text.contains("figures changed"), "{text}");

    // A directory without a report is an error, exit 2.
    let missing = indikator(&["diff", dir.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("report.csv"));
    let _ = fs::remove_dir_all(&dir);
}
