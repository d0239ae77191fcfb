//! Snapshot tests of the diagnostics for invalid rule files.
//!
//! Every case under `tests/ui/` is checked together with the shared prelude
//! (`tests/ui/_prelude/*.ind`), and the rendered diagnostics are compared with the stored
//! snapshot beside it:
//!
//! - `tests/ui/NAME.ind` is a one-file case, its snapshot `tests/ui/NAME.out`;
//! - `tests/ui/NAME/` holds the `.ind` files of a cross-file case, its snapshot
//!   `tests/ui/NAME.out` beside the directory.
//!
//! Each case holds one mistake and starts with a `#` comment saying what it is.
//!
//! To create or re-bless the snapshots after a deliberate change of the messages:
//!
//! ```text
//! UPDATE_SNAPSHOTS=1 cargo test --test ui
//! ```
//!
//! then read the changed `.out` files before committing them.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use indikator::diagnostics::render::{self, Style};
use indikator::source_db::{FileId, SourceDb};
use indikator::workspace::{self, Checked};

const UI_DIR: &str = "tests/ui";
const PRELUDE_DIR: &str = "tests/ui/_prelude";
const CASE_EXTENSION: &str = "ind";
const SNAPSHOT_EXTENSION: &str = "out";

/// The crate root: every path in the suite is relative to it, so the snapshots name files
/// the same way on every machine.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path relative to the crate root, with forward slashes.
fn relative(path: &Path) -> String {
    let root = root();
    let rel = path.strip_prefix(&root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn is_rule_file(path: &Path) -> bool {
    path.is_file() && path.extension().is_some_and(|e| e == CASE_EXTENSION)
}

/// The entries of a directory, sorted by name.
fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read `{}`: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    entries
}

/// The rule files directly in a directory, sorted.
fn rule_files_in(dir: &Path) -> Vec<PathBuf> {
    sorted_entries(dir)
        .into_iter()
        .filter(|p| is_rule_file(p))
        .collect()
}

/// Reads a file with line endings normalised, so a checkout with CRLF renders the same. A
/// case may be a file that is not UTF-8 (the diagnostic of encodings), so bytes are read.
fn read_bytes(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("cannot read `{}`: {e}", path.display()));
    let mut out = Vec::with_capacity(bytes.len());
    for (k, &b) in bytes.iter().enumerate() {
        if !(b == b'\r' && bytes.get(k + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    out
}

struct Case {
    name: String,
    files: Vec<PathBuf>,
    snapshot: PathBuf,
}

/// Every case under `tests/ui/`, sorted by name. Entries starting with `_` (the prelude) are
/// not cases.
fn cases() -> Vec<Case> {
    let dir = root().join(UI_DIR);
    let mut cases = Vec::new();
    for path in sorted_entries(&dir) {
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if file_name.starts_with('_') || file_name.starts_with('.') {
            continue;
        }
        let (name, files) = if path.is_dir() {
            (file_name.to_string(), rule_files_in(&path))
        } else if is_rule_file(&path) {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            (stem.to_string(), vec![path.clone()])
        } else {
            continue;
        };
        let snapshot = dir.join(format!("{name}.{SNAPSHOT_EXTENSION}"));
        cases.push(Case {
            name,
            files,
            snapshot,
        });
    }
    cases
}

fn prelude_files() -> Vec<PathBuf> {
    rule_files_in(&root().join(PRELUDE_DIR))
}

/// Checks the prelude and then the given case files as one rule set.
fn check(prelude: &[PathBuf], case_files: &[PathBuf]) -> Checked {
    let mut db = SourceDb::new();
    for path in prelude.iter().chain(case_files) {
        db.add_bytes(relative(path), &read_bytes(path));
    }
    workspace::check_sources(db)
}

fn render_all(checked: &Checked) -> String {
    render::all_to_text(&checked.db, &checked.diagnostics, Style::plain())
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// A line diff of two texts (longest common subsequence), `-` for expected-only lines and `+`
/// for actual-only lines, with two lines of context around each change.
fn diff(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let (n, m) = (old.len(), new.len());
    // lcs[i][j]: length of the longest common subsequence of old[i..] and new[j..].
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            ops.push((' ', old[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', old[i]));
            i += 1;
        } else {
            ops.push(('+', new[j]));
            j += 1;
        }
    }
    const CONTEXT: usize = 2;
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    let mut out = String::new();
    let mut last_shown: Option<usize> = None;
    for (k, (tag, line)) in ops.iter().enumerate() {
        let near = changed.iter().any(|&c| c.abs_diff(k) <= CONTEXT);
        if !near {
            continue;
        }
        if last_shown.is_some_and(|l| l + 1 != k) {
            out.push_str("   ...\n");
        }
        out.push_str(&format!(" {tag} {line}\n"));
        last_shown = Some(k);
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str("   (the texts differ in the final newline)\n");
    }
    out
}

/// Runs one case; returns a description of every way it failed.
fn run_case(case: &Case, prelude: &[PathBuf], update: bool) -> Vec<String> {
    let mut problems = Vec::new();
    if case.files.is_empty() {
        problems.push("the case directory holds no .ind files".to_string());
        return problems;
    }
    if !read_bytes(&case.files[0]).starts_with(b"#") {
        problems.push(format!(
            "`{}` must start with a `#` comment saying what the mistake is",
            relative(&case.files[0])
        ));
    }

    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let checked = check(prelude, &case.files);
        let text = render_all(&checked);
        (checked, text)
    }));
    let (checked, actual) = match outcome {
        Ok(result) => result,
        Err(payload) => {
            problems.push(format!(
                "checking or rendering panicked: {}",
                panic_message(payload.as_ref())
            ));
            return problems;
        }
    };

    if checked.error_count() == 0 {
        problems.push("the case produced no error".to_string());
    }
    let prelude_ids = 0..prelude.len() as u32;
    for d in &checked.diagnostics {
        if let Some(anchor) = d.anchor()
            && prelude_ids.contains(&anchor.file.0)
        {
            problems.push(format!(
                "a diagnostic points into the prelude ({}): {} {}",
                checked.db.path(FileId(anchor.file.0)).display(),
                d.code.id(),
                d.message
            ));
        }
    }

    let snapshot_name = relative(&case.snapshot);
    if update {
        let current = fs::read_to_string(&case.snapshot).ok();
        if current.as_deref() != Some(actual.as_str()) {
            fs::write(&case.snapshot, &actual)
                .unwrap_or_else(|e| panic!("cannot write `{snapshot_name}`: {e}"));
            eprintln!("updated {snapshot_name}");
        }
        return problems;
    }
    match fs::read_to_string(&case.snapshot) {
        Err(_) => problems.push(format!(
            "no snapshot `{snapshot_name}`; create it with `UPDATE_SNAPSHOTS=1 cargo test --test ui`\n\
             --- actual output ---\n{actual}"
        )),
        Ok(expected) => {
            let expected = expected.replace("\r\n", "\n");
            if expected != actual {
                problems.push(format!(
                    "output differs from `{snapshot_name}` (- expected, + actual):\n{}\
                     re-bless with `UPDATE_SNAPSHOTS=1 cargo test --test ui` if the change is intended",
                    diff(&expected, &actual)
                ));
            }
        }
    }
    problems
}

fn updating() -> bool {
    std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1")
}

#[test]
fn prelude_checks_clean() {
    let prelude = prelude_files();
    assert!(!prelude.is_empty(), "no prelude files in {PRELUDE_DIR}");
    let checked = check(&prelude, &[]);
    assert!(
        checked.diagnostics.is_empty(),
        "the prelude must check clean, but gave:\n{}",
        render_all(&checked)
    );
}

#[test]
fn ui_cases() {
    let prelude = prelude_files();
    let cases = cases();
    assert!(!cases.is_empty(), "no cases found in {UI_DIR}");
    let update = updating();

    // A panic inside a case is caught and reported as that case's failure, so one panicking
    // case does not hide the others.
    let mut failures = Vec::new();
    for case in &cases {
        let problems = run_case(case, &prelude, update);
        if !problems.is_empty() {
            failures.push((case.name.clone(), problems));
        }
    }

    // A snapshot whose case was renamed or removed would otherwise linger unnoticed.
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    for path in sorted_entries(&root().join(UI_DIR)) {
        if path.extension().is_some_and(|e| e == SNAPSHOT_EXTENSION)
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            && !names.contains(&stem)
        {
            failures.push((
                stem.to_string(),
                vec![format!(
                    "snapshot `{}` has no case; delete it",
                    relative(&path)
                )],
            ));
        }
    }

    if !failures.is_empty() {
        let mut report = String::new();
        for (name, problems) in &failures {
            for problem in problems {
                report.push_str(&format!("\n=== case `{name}`: {problem}\n"));
            }
        }
        panic!(
            "{} of {} UI cases failed:\n{report}",
            failures.len(),
            cases.len()
        );
    }
}
