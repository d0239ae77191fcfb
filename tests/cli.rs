//! The command line as a user meets it: exit codes, what is printed, what is written.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

fn indikator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_indikator"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("indikator-cli-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn check_exit_codes() {
    let ok = indikator(&["check", "rules"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("no problems found"));

    let bad = indikator(&[
        "check",
        "tests/ui/sql_single_equals.ind",
        "tests/ui/_prelude",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad).contains("E0103"));

    let missing = indikator(&["check", "no/such/dir"]);
    assert_eq!(missing.status.code(), Some(2));
    let usage = indikator(&["check", "--no-such-option"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn check_json_is_machine_readable() {
    let out = indikator(&[
        "check",
        "--format",
        "json",
        "tests/ui/unknown_level.ind",
        "tests/ui/_prelude",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json[0]["code"], "E0305");
    assert_eq!(json[0]["file"], "tests/ui/unknown_level.ind");
}

#[test]
fn fmt_check_lists_unformatted_files_and_refuses_broken_ones() {
    let dir = scratch("fmt");
    let messy = dir.join("messy.ind");
    fs::write(&messy, "goal g {\ntitle   \"G\"\n}\n").unwrap();
    let check = indikator(&["fmt", "--check", messy.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(1));
    assert!(text(&check).contains("would reformat"));
    assert_eq!(
        fs::read_to_string(&messy).unwrap(),
        "goal g {\ntitle   \"G\"\n}\n",
        "--check changes nothing"
    );

    let write = indikator(&["fmt", messy.to_str().unwrap()]);
    assert_eq!(write.status.code(), Some(0));
    assert_eq!(
        fs::read_to_string(&messy).unwrap(),
        "goal g {\n  title \"G\"\n}\n"
    );

    let broken = dir.join("broken.ind");
    fs::write(&broken, "goal g {\n  title = \"G\"\n}\n").unwrap();
    let refused = indikator(&["fmt", broken.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains("has syntax errors"));
    assert_eq!(
        fs::read_to_string(&broken).unwrap(),
        "goal g {\n  title = \"G\"\n}\n"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn test_reports_failures_with_exit_1() {
    let ok = indikator(&["test", "rules"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("0 failed"));

    let dir = scratch("test");
    for entry in fs::read_dir("rules").unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let file = dir.join("coherent_pathways.ind");
    let rules = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        rules.replace("numerator 1 denominator 3", "numerator 2 denominator 3"),
    )
    .unwrap();
    let failed = indikator(&["test", dir.to_str().unwrap()]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        text(&failed).contains("numerator: expected 2, got 1"),
        "{}",
        text(&failed)
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn explain_error_knows_every_code_and_refuses_others() {
    let known = indikator(&["explain-error", "E0103"]);
    assert_eq!(known.status.code(), Some(0));
    assert!(text(&known).contains("indikator check says:"));
    let unknown = indikator(&["explain-error", "E9999"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn run_writes_the_report_and_explains_a_figure() {
    let out = scratch("run");
    let run = indikator(&[
        "run",
        "tests/fixtures/small/rules",
        "--data",
        "tests/fixtures/small",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    for file in [
        "report.csv",
        "report.json",
        "tabel_1.csv",
        "data_quality.csv",
    ] {
        assert!(out.join(file).is_file(), "{file} is written");
    }
    let leftovers: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("partial")
        })
        .collect();
    assert!(leftovers.is_empty(), "no temporary files are left behind");

    let bad = indikator(&[
        "run",
        "rules",
        "--data",
        "no/such/dir",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad).contains("no/such/dir"));

    let explain = indikator(&[
        "explain",
        "somatic_readmissions",
        "--unit",
        "0",
        "--rules",
        "tests/fixtures/small/rules",
        "--data",
        "tests/fixtures/small",
    ]);
    assert_eq!(explain.status.code(), Some(0), "{}", text(&explain));
    assert!(text(&explain).contains("rows kept, step by step"));
    let _ = fs::remove_dir_all(&out);
}

#[test]
fn plan_prints_the_order_and_graphviz() {
    let plan = indikator(&["plan", "rules"]);
    assert_eq!(plan.status.code(), Some(0));
    let listing = text(&plan);
    let source = listing.find("source lpr_admissions").unwrap();
    let indicator = listing.find("indicator somatic_readmissions").unwrap();
    assert!(source < indicator, "dependencies come first");
    let dot = indikator(&["plan", "--dot", "rules"]);
    assert!(text(&dot).starts_with("digraph plan {"));
}
