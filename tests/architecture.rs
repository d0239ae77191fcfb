//! The evaluator's modules form layers: each module of `src/eval/` reads only modules of the
//! layers below its own, so no two import each other, directly or in a circle. The layers are
//! declared here; a module missing from them, or an import that goes up or sideways, fails.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;

/// `src/eval/`'s modules, lowest layer first (`mod.rs`, the stage's entry, sits above all).
const LAYERS: &[&[&str]] = &[
    // Values, numbers, errors and CSV records: no other module of the stage.
    &["error", "number", "records", "value"],
    // What each expression node means; the geography table.
    &["geography", "semantics"],
    // Reading the extracts.
    &["load"],
    // Data the engine builds (views, cells), the checks on loaded rows, the order of work.
    &["cells", "schedule", "validate", "views"],
    // What the run's threads share; the batch evaluator, over what the engine provides.
    &["columnar", "shared"],
    // The row engine: views, cohorts, relations, row-by-row evaluation.
    &["rows"],
    // From rows to figures.
    &["measure"],
];

/// The modules of `src/eval/` a source file names (`super::x` or `crate::eval::x`), outside
/// comments and its tests.
fn imports(text: &str) -> Vec<String> {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    let mut found = Vec::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        for prefix in ["super::", "crate::eval::"] {
            let mut rest = line;
            while let Some(at) = rest.find(prefix) {
                rest = &rest[at + prefix.len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(name);
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn the_evaluator_modules_import_only_lower_layers() {
    let layer: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(k, names)| names.iter().map(move |n| (*n, k)))
        .collect();
    let mut problems = Vec::new();
    let mut modules = 0;
    for entry in fs::read_dir("src/eval").expect("src/eval is there") {
        let path = entry.expect("a readable entry").path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if name == "mod" || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        modules += 1;
        let Some(&own) = layer.get(name) else {
            problems.push(format!("{name}.rs is in no layer of tests/architecture.rs"));
            continue;
        };
        let text = fs::read_to_string(&path).expect("a readable module");
        for used in imports(&text) {
            match layer.get(used.as_str()) {
                Some(&k) if k < own => {}
                Some(_) => problems.push(format!("{name} (layer {own}) imports {used}")),
                // `super::` of a module's own items (`super::*` in its tests is cut off).
                None => {}
            }
        }
    }
    assert_eq!(modules, layer.len(), "every layered module is a file");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn imports_are_found_in_code_and_not_in_comments() {
    let text = "use super::rows::{Engine};\n// super::measure is not read\nlet x = \
                super::number::add(1.0, 2.0);\nuse crate::eval::views::View;\n\
                #[cfg(test)]\nmod tests {\n    use super::shared::X;\n}\n";
    assert_eq!(imports(text), ["number", "rows", "views"]);
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![std::path::PathBuf::from(dir)];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in fs::read_dir(&path).unwrap() {
                pending.push(entry.unwrap().path());
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path.to_string_lossy().replace('\\', "/"));
        }
    }
    found.sort();
    found
}

/// A source file's code: without its test module, its test files and its comments.
fn code_of(path: &str) -> String {
    if path.ends_with("/tests.rs") {
        return String::new();
    }
    let text = fs::read_to_string(path).unwrap();
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text[..],
    };
    code.lines()
        .map(|line| match line.trim_start().starts_with("//") {
            true => "",
            false => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The string literals of some code (plain `"…"` literals, escapes kept).
fn string_literals(code: &str) -> Vec<String> {
    let mut literals = Vec::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // A character literal such as '"' is not the start of a string.
            '\'' => {
                let mut skipped = 0;
                while let Some(&next) = chars.peek() {
                    chars.next();
                    skipped += 1;
                    if next == '\'' || skipped > 3 {
                        break;
                    }
                }
            }
            '"' => {
                let mut literal = String::new();
                while let Some(next) = chars.next() {
                    match next {
                        '\\' => {
                            literal.push(next);
                            if let Some(escaped) = chars.next() {
                                literal.push(escaped);
                            }
                        }
                        '"' => break,
                        _ => literal.push(next),
                    }
                }
                literals.push(literal);
            }
            _ => {}
        }
    }
    literals
}

/// Whether a text holds something shaped like a Danish ICD-10 code (`DI21`, `DJ44`) or an ATC
/// code (`N05A`, `C10AA01`): the codes rule files name, which the engine must not.
fn looks_like_a_medical_code(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).any(|i| {
        let upper = |k: usize| b.get(k).is_some_and(u8::is_ascii_uppercase);
        let digit = |k: usize| b.get(k).is_some_and(u8::is_ascii_digit);
        let starts_word = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let icd = b[i] == b'D' && upper(i + 1) && digit(i + 2) && digit(i + 3);
        let atc = upper(i) && digit(i + 1) && digit(i + 2) && upper(i + 3);
        starts_word && (icd || atc)
    })
}

#[test]
fn the_engine_holds_no_indicator_knowledge() {
    let mut found = Vec::new();
    for path in rust_files("src") {
        for literal in string_literals(&code_of(&path)) {
            // A message quoting code (`ae` for `æ`, `"B03A*"`) teaches the language; knowledge
            // would be a bare name, code or text the engine uses as data.
            if literal.contains('`') {
                continue;
            }
            let danish = literal.chars().any(|c| "æøåÆØÅ".contains(c));
            if danish || looks_like_a_medical_code(&literal) {
                found.push(format!("{path}: \"{literal}\""));
            }
        }
    }
    assert!(
        found.is_empty(),
        "Danish texts and medical codes belong in rules/ and data/, not in the engine:\n{}",
        found.join("\n")
    );
    assert!(looks_like_a_medical_code("in [DI21, DI22]"));
    assert!(looks_like_a_medical_code("N05A"));
    assert!(!looks_like_a_medical_code("E0202 and level_marking"));
}

#[test]
fn the_front_end_reads_no_file() {
    for path in rust_files("src/syntax")
        .into_iter()
        .chain(rust_files("src/check"))
    {
        let code = code_of(&path);
        for io in [
            "std::fs",
            " fs::",
            "(fs::",
            "File::open",
            "File::create",
            "read_to_string(",
            "OpenOptions",
        ] {
            assert!(
                !code.contains(io),
                "{path} uses `{io}`: syntax and check work on texts handed to them"
            );
        }
    }
}

#[test]
fn only_the_renderer_knows_miette_and_only_the_command_line_the_generator() {
    for path in rust_files("src") {
        let code = code_of(&path);
        if path != "src/diagnostics/render.rs" {
            assert!(!code.contains("miette"), "{path} names miette");
        }
        if path != "src/main.rs" {
            assert!(
                !code.contains("indikator_synth"),
                "{path} names the generator, which only the command line may use"
            );
        }
    }
}
