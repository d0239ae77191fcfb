//! The report directory as a user and a killed run leave it: replaced whole or not at all,
//! nothing left behind by a killed run once the next one has run, and plain refusals of an
//! output directory that must not be replaced.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RULES: &str = "tests/fixtures/small/rules";
const DATA: &str = "tests/fixtures/small";

/// The rule files of the old report: a part of the fixture's rules, so that every file of the
/// old report differs from the new one's.
const OLD_RULES: &[&str] = &[
    "sources.ind",
    "codes.ind",
    "populations.ind",
    "goals.ind",
    "coherent_pathways.ind",
];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("indikator-outputs-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `indikator run` of the old or the new report into `out`, killed at step `kill_at` of
/// the final write when given.
fn run(new: bool, out: &Path, kill_at: Option<u32>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_indikator"));
    command.arg("run");
    if new {
        command.arg(RULES).args(["--title", "New"]);
    } else {
        command
            .args(OLD_RULES.iter().map(|f| Path::new(RULES).join(f)))
            .args(["--title", "Old"]);
    }
    command.args(["--data", DATA, "--out"]).arg(out);
    if let Some(step) = kill_at {
        command.env("INDIKATOR_TEST_KILL_AT", step.to_string());
    }
    command.output().expect("the binary runs")
}

/// Every entry of a directory (hidden ones too) with its bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read `{}`: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn write_report(dir: &Path, files: &BTreeMap<String, Vec<u8>>) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).unwrap();
    for (name, bytes) in files {
        fs::write(dir.join(name), bytes).unwrap();
    }
}

/// A run killed at each step of its final write leaves the old report whole or the new one
/// whole, every file compared byte for byte; the next run leaves nothing of the killed one.
#[test]
fn a_run_killed_at_any_step_of_the_write_leaves_a_whole_report() {
    let dir = scratch("kill");
    let (old_dir, new_dir) = (dir.join("old"), dir.join("new"));
    // Written to `report`, as the runs below are: report.json's stamp holds the command line.
    let out = dir.join("report");
    for (new, at) in [(false, &old_dir), (true, &new_dir)] {
        let o = run(new, &out, None);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        fs::rename(&out, at).unwrap();
    }
    let (old, new) = (contents(&old_dir), contents(&new_dir));
    assert_eq!(
        old.keys().collect::<Vec<_>>(),
        new.keys().collect::<Vec<_>>()
    );
    // Files that differ tell a mix apart (data_quality.csv is the same in both).
    let differing = old
        .iter()
        .filter(|(name, bytes)| new[*name] != **bytes)
        .count();
    assert!(
        differing >= old.len() - 1,
        "{differing} of {} files differ",
        old.len()
    );

    let mut killed_at = Vec::new();
    for step in 1.. {
        write_report(&out, &old);
        let o = run(true, &out, Some(step));
        let found = contents(&out);
        assert!(
            found == old || found == new,
            "killed at step {step}: the report directory holds neither the old report nor the new one: {:?}",
            found.keys().collect::<Vec<_>>()
        );
        if o.status.success() {
            assert!(found == new, "a finished run leaves the new report");
            break;
        }
        assert!(
            o.status.code().is_none() || o.status.code() == Some(134),
            "step {step}: the run was stopped by the hook: {}",
            text(&o)
        );
        killed_at.push(step);
        assert!(step < 100, "the hook never let the run finish");
    }
    // Every file written, the staging directory synced, the swap and the removal of the old.
    assert!(
        killed_at.len() >= new.len() + 2,
        "killed at {killed_at:?} only"
    );

    // A killed run leaves its directory beside the report; the next run removes it.
    write_report(&out, &old);
    let o = run(true, &out, Some(3));
    assert!(!o.status.success());
    assert!(names(&dir).iter().any(|n| n.starts_with(".report.new-")));
    let o = run(true, &out, None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(names(&dir), ["new", "old", "report"]);
    assert_eq!(contents(&out), new);

    // An earlier writer's `.partial` files inside the report go with the old report.
    fs::write(out.join(".report.csv.partial"), "half a report").unwrap();
    let o = run(false, &out, None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(contents(&out), old);
    let _ = fs::remove_dir_all(&dir);
}

/// An old report moved aside by a run killed between two renames (where the system cannot
/// exchange two directories in one step) is put back by the next run before anything else.
#[test]
fn a_report_moved_aside_is_recovered_by_the_next_run() {
    let dir = scratch("aside");
    let aside = dir.join(".report.old-1");
    let o = run(false, &aside, None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let old = contents(&aside);
    let out = dir.join("report");
    // Killed at its first step, the next run has already put the old report back.
    let o = run(true, &out, Some(1));
    assert!(!o.status.success());
    assert_eq!(contents(&out), old);
    let o = run(true, &out, None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(names(&dir), ["report"]);
    assert_ne!(contents(&out), old);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn an_output_directory_that_must_not_be_replaced_is_refused_plainly() {
    let dir = scratch("refuse");
    let refused = |out: &Path, expected: &str| {
        let o = run(true, out, None);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(expected), "{}", text(&o));
        assert!(!text(&o).contains("File exists"), "{}", text(&o));
    };
    let file = dir.join("report.txt");
    fs::write(&file, "not a directory").unwrap();
    refused(&file, "is a file, not a directory");
    refused(&Path::new(DATA).join("out"), "is inside the data directory");
    refused(Path::new(DATA), "is the data directory");
    refused(Path::new(RULES), "is inside the data directory");
    refused(
        &Path::new(RULES).join("out"),
        "is inside the data directory",
    );
    refused(Path::new("tests"), "is inside the report directory");
    let mine = dir.join("mine");
    fs::create_dir_all(&mine).unwrap();
    fs::write(mine.join("notes.txt"), "keep me").unwrap();
    refused(&mine, "holds `notes.txt`");
    assert_eq!(fs::read(mine.join("notes.txt")).unwrap(), b"keep me");
    assert!(!Path::new(DATA).join("out").exists());

    // The shipped rules with the fixture's data: the rules directory itself as the output.
    let o = Command::new(env!("CARGO_BIN_EXE_indikator"))
        .args(["run", "rules", "--data", DATA, "--out", "rules"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("is the rules directory"), "{}", text(&o));
    let _ = fs::remove_dir_all(&dir);
}
