//! `indikator fmt` changes only blanks: formatting is idempotent, the shipped rules are in the
//! canonical layout, and every rule file means the same before and after (same plan for valid
//! rules, same diagnostics for invalid ones).

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use indikator::format::format;
use indikator::source_db::SourceDb;
use indikator::workspace::{self, Checked};

fn check(files: &[(String, String)]) -> Checked {
    let mut db = SourceDb::new();
    for (name, text) in files {
        db.add(name.clone(), text.clone());
    }
    workspace::check_sources(db)
}

fn read_all(paths: &[PathBuf]) -> Vec<(String, String)> {
    paths
        .iter()
        .map(|p| (p.display().to_string(), fs::read_to_string(p).unwrap()))
        .collect()
}

fn formatted(files: &[(String, String)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(n, t)| (n.clone(), format(t).unwrap_or_else(|| t.clone())))
        .collect()
}

/// What a rule set means: its plan when valid, else its diagnostics without positions.
fn meaning(files: &[(String, String)]) -> String {
    let checked = check(files);
    if checked.error_count() == 0 {
        format!("{:?}", checked.plan().unwrap())
    } else {
        checked
            .diagnostics
            .iter()
            .map(|d| format!("{} {}\n", d.code.id(), d.message))
            .collect()
    }
}

#[test]
fn the_shipped_rules_are_formatted() {
    for (name, text) in read_all(&workspace::find_rule_files(&["rules".into()]).unwrap()) {
        assert_eq!(
            format(&text).as_deref(),
            Some(text.as_str()),
            "{name} is not formatted: run `indikator fmt`"
        );
    }
}

#[test]
fn formatting_keeps_the_meaning_of_the_shipped_rules() {
    let files = read_all(&workspace::find_rule_files(&["rules".into()]).unwrap());
    // Shuffle the layout first, so the test does not depend on the rules being formatted.
    let messy: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| {
            let text: String = t
                .lines()
                .map(|l| format!("      {}   \n", l.trim()))
                .collect();
            (n.clone(), text)
        })
        .collect();
    let before = meaning(&messy);
    let after = formatted(&messy);
    assert_eq!(before, meaning(&after));
    assert_eq!(after, formatted(&after), "formatting is not idempotent");
    for ((name, back), (_, shipped)) in after.iter().zip(&files) {
        assert!(
            back == shipped,
            "formatting a re-indented {name} does not give its layout back"
        );
    }
}

fn ui_cases(dir: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ind"))
        .collect();
    cases.sort();
    cases
}

#[test]
fn formatting_keeps_the_meaning_of_every_ui_case_that_parses() {
    let prelude = read_all(&ui_cases(Path::new("tests/ui/_prelude")));
    let mut formatted_cases = 0;
    for case in ui_cases(Path::new("tests/ui")) {
        // A case that is not UTF-8 is not formatted (`indikator fmt` refuses it).
        let Ok(text) = fs::read_to_string(&case) else {
            continue;
        };
        // Files with syntax errors are not formatted (`indikator fmt` refuses them).
        let (_, syntax_errors) =
            indikator::syntax::parse_file(indikator::source_db::FileId(0), &text);
        if !syntax_errors.is_empty() {
            continue;
        }
        let Some(once) = format(&text) else { continue };
        formatted_cases += 1;
        assert_eq!(
            format(&once).as_deref(),
            Some(once.as_str()),
            "{} is not idempotent",
            case.display()
        );
        let name = case.display().to_string();
        let mut before = prelude.clone();
        before.push((name.clone(), text));
        let mut after = prelude.clone();
        after.push((name, once));
        assert_eq!(
            meaning(&before),
            meaning(&after),
            "{} changes meaning",
            case.display()
        );
    }
    assert!(
        formatted_cases > 50,
        "only {formatted_cases} cases were formatted"
    );
}
