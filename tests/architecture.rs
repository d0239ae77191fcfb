//! The evaluator's modules form layers: each module of `src/eval/` reads only modules of the
//! layers below its own, so no two import each other, directly or in a circle. The layers are
//! declared here; a module missing from them, or an import that goes up or sideways, fails.

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
