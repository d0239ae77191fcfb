//! report.xlsx read back by a reader library: `tests/xlsx_check.py` opens the sample run's
//! workbook with openpyxl and checks it against report.csv, tabel_1.csv and the publication
//! file (numbers are numeric cells with an Excel number format, every figure of report.csv is
//! on the long sheet once, markings are shape, words and fill, sheet names keep Excel's limits,
//! header rows and the first column are frozen).
//!
//! The Python with openpyxl is `INDIKATOR_PYTHON`, else the virtual environment `.ci/run` makes
//! in `target/py`, else `python3`. Outside CI, without openpyxl, the test says so and stops.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

fn python() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("INDIKATOR_PYTHON").map(PathBuf::from),
        Some(PathBuf::from("target/py/bin/python3")),
        Some(PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|p| {
        Command::new(p)
            .args(["-c", "import openpyxl"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn the_workbook_holds_every_figure_once_as_numbers_with_formats() {
    let Some(python) = python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install openpyxl (see .ci/run)"
        );
        eprintln!(
            "skipped: no Python with openpyxl (python3 -m venv target/py && target/py/bin/pip install openpyxl)"
        );
        return;
    };
    let out = std::env::temp_dir().join(format!("indikator-xlsx-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(env!("CARGO_BIN_EXE_indikator"))
        .args(["run", "rules", "--data", "data/sample", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let check = Command::new(&python)
        .arg("tests/xlsx_check.py")
        .arg(&out)
        .arg("rules/publication.toml")
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let _ = std::fs::remove_dir_all(&out);
    assert!(check.status.success(), "{said}");
    assert!(
        said.contains("holds the 2992 figures of report.csv once"),
        "{said}"
    );
}

/// The checker fails on a workbook that lacks a figure: it is not a test that cannot fail.
#[test]
fn the_checker_finds_a_missing_figure() {
    let Some(python) = python() else {
        return;
    };
    let out = std::env::temp_dir().join(format!("indikator-xlsx-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(env!("CARGO_BIN_EXE_indikator"))
        .args(["run", "rules", "--data", "data/sample", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success());
    // report.csv with one more figure than the workbook holds.
    let csv = std::fs::read_to_string(out.join("report.csv")).unwrap();
    let last = csv.lines().last().unwrap().to_string();
    std::fs::write(out.join("report.csv"), format!("{csv}{last}\n")).unwrap();
    let check = Command::new(&python)
        .arg("tests/xlsx_check.py")
        .arg(&out)
        .arg("rules/publication.toml")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stderr).into_owned();
    let _ = std::fs::remove_dir_all(&out);
    assert!(!check.status.success());
    assert!(said.contains("rows on the long sheet"), "{said}");
}
