//! The command line as a user meets it: exit codes, what is printed, what is written.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

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

/// The publication file sets the report's texts and marking tolerance: a copy with another
/// title and a wide tolerance retitles report.html and turns every marking yellow; a copy with
/// a mistake is refused before any work, with its file, line, column and a help line.
#[test]
fn run_takes_the_publication_file() {
    let dir = scratch("publication");
    let shipped = fs::read_to_string("rules/publication.toml").unwrap();
    let wide = dir.join("wide.toml");
    fs::write(
        &wide,
        shipped
            .replacen(
                "title = \"Nationale mål for sundhedsvæsenet\"",
                "title = \"Mål for Region Test\"",
                1,
            )
            .replacen("tolerance = 0.01", "tolerance = 0.99", 1),
    )
    .unwrap();
    let out = dir.join("out");
    let args = |publication: &std::path::Path| {
        [
            "run".to_string(),
            "tests/fixtures/small/rules".to_string(),
            "--data".to_string(),
            "tests/fixtures/small".to_string(),
            "--out".to_string(),
            out.to_str().unwrap().to_string(),
            "--publication".to_string(),
            publication.to_str().unwrap().to_string(),
        ]
    };
    let run = Command::new(env!("CARGO_BIN_EXE_indikator"))
        .args(args(&wide))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h1>Mål for Region Test</h1>"));
    assert!(
        html.contains("(inden for ±99 %)"),
        "the legend says the tolerance"
    );
    let wide_csv = fs::read_to_string(out.join("report.csv")).unwrap();
    let shipped_run = indikator(
        &args(std::path::Path::new("rules/publication.toml"))
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(shipped_run.status.code(), Some(0), "{}", text(&shipped_run));
    let shipped_csv = fs::read_to_string(out.join("report.csv")).unwrap();
    // The same figures, row for row; only markings change, and only towards yellow.
    let (mut yellow_before, mut yellow_after) = (0, 0);
    for (before, after) in shipped_csv.lines().zip(wide_csv.lines()).skip(1) {
        let (b, a): (Vec<&str>, Vec<&str>) = (
            before.rsplitn(3, ',').collect(),
            after.rsplitn(3, ',').collect(),
        );
        assert_eq!(b[2], a[2], "the figure is the same");
        for k in 0..2 {
            if b[k] == "yellow" {
                yellow_before += 1;
                assert_eq!(a[k], "yellow", "{before} / {after}");
            }
            yellow_after += usize::from(a[k] == "yellow");
            assert_eq!(b[k].is_empty(), a[k].is_empty(), "{before} / {after}");
        }
    }
    assert!(
        yellow_after > yellow_before,
        "{yellow_after} > {yellow_before}"
    );

    let broken = dir.join("broken.toml");
    let text_with_typo = shipped.replacen("[markings]\n", "[markings]\nshape = 1\n", 1);
    let line = text_with_typo
        .lines()
        .position(|l| l == "shape = 1")
        .unwrap()
        + 1;
    fs::write(&broken, &text_with_typo).unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_indikator"))
        .args(args(&broken))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let said = text(&refused);
    assert!(
        said.contains(&format!("broken.toml:{line}:1: unknown field `shape`")),
        "{said}"
    );
    assert!(said.contains("help: check the key's spelling"), "{said}");
    let _ = fs::remove_dir_all(&dir);
}

/// report.json carries the run's stamp: the version, the command line and the SHA-256 of each
/// rule file and extract read (or, with `--no-extract-hashes`, the extracts without hashes);
/// report.html says it in one line.
#[test]
fn run_stamps_its_inputs() {
    use sha2::{Digest, Sha256};
    let out = scratch("stamp");
    let sha256 = |path: &str| -> String {
        Sha256::digest(fs::read(path).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    for hashed in [true, false] {
        let mut args = vec![
            "run",
            "tests/fixtures/small/rules",
            "--data",
            "tests/fixtures/small",
            "--out",
            out.to_str().unwrap(),
        ];
        if !hashed {
            args.push("--no-extract-hashes");
        }
        let run = indikator(&args);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run));
        let json: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
        let stamp = &json["provenance"];
        assert_eq!(stamp["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(stamp["command_line"][1], "run");
        assert!(
            stamp["command_line"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "--out")
        );
        let rules = stamp["rule_files"].as_array().unwrap();
        assert!(!rules.is_empty());
        for r in rules {
            assert_eq!(r["sha256"], sha256(r["file"].as_str().unwrap()), "{r}");
        }
        assert_eq!(
            stamp["publication"],
            serde_json::Value::Null,
            "the shipped texts"
        );
        let extracts = stamp["extracts"].as_array().unwrap();
        let read = json["rows_read"].as_array().unwrap();
        assert_eq!(extracts.len(), read.len(), "every extract read");
        for e in extracts {
            let file = format!("tests/fixtures/small/{}", e["file"].as_str().unwrap());
            if hashed {
                assert_eq!(e["sha256"], sha256(&file), "{e}");
            } else {
                assert!(e["sha256"].is_null(), "{e}");
            }
        }
        let html = fs::read_to_string(out.join("report.html")).unwrap();
        assert!(
            html.contains(&format!(
                "<footer class=\"stamp\">Dannet med indikator {}. Regler: ",
                env!("CARGO_PKG_VERSION")
            )),
            "the footer"
        );
    }
    let _ = fs::remove_dir_all(&out);
}
