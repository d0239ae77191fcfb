//! The language reference is executable: every fenced block tagged `indikator` in `docs/*.md`
//! and `README.md` is checked together with the shipped rules in `rules/`.
//!
//! - ```` ```indikator ```` — a complete rule text that must check without errors.
//! - ```` ```indikator,fails-with=E0202 ```` — a common mistake: checking must report at least
//!   one error with that code, and the block starts with the comment `# Fails with E0202: …`
//!   so that readers of the rendered page see it.
//!
//! Blocks with any other tag (`text`, `sh`, none) are not checked. Each block is checked on its
//! own with `rules/` only, so blocks are independent of each other; they must not redefine a
//! name of `rules/`, nor one defined by another passing block.
//!
//! Further tests keep the tables of `docs/language.md` in step with the code: every diagnostic
//! code with its title, every measure kind with its required and accepted parts, every column
//! type, level, improvement direction and marking.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use indikator::check::measures::{MEASURES, Part};
use indikator::diagnostics::Code;
use indikator::diagnostics::render::{self, Style};
use indikator::source_db::{FileId, SourceDb};
use indikator::syntax;
use indikator::words::{ColumnTypeName, Direction, Level, Marking, NO_MARKING};
use indikator::workspace::{self, Checked};

/// What a block must do when checked.
#[derive(Debug, Clone, PartialEq)]
enum Expectation {
    Passes,
    FailsWith(String),
}

/// One `indikator` block of a Markdown file.
#[derive(Debug)]
struct Example {
    /// The Markdown file, relative to the crate root, such as `docs/language.md`.
    doc: String,
    /// 1-based line of the opening fence.
    line: usize,
    text: String,
    expectation: Result<Expectation, String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Markdown files whose examples are checked: `docs/*.md` (sorted) and `README.md`, each
/// only if present.
fn markdown_files() -> Vec<PathBuf> {
    let root = root();
    let mut files = Vec::new();
    if let Ok(entries) = fs::read_dir(root.join("docs")) {
        let mut docs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "md"))
            .collect();
        docs.sort();
        files.extend(docs);
    }
    let readme = root.join("README.md");
    if readme.is_file() {
        files.push(readme);
    }
    files
}

/// Reads the tag of an opening fence: `None` for a block that is not checked.
fn expectation(info: &str) -> Option<Result<Expectation, String>> {
    let mut tags = info.split(',').map(str::trim);
    if tags.next() != Some("indikator") {
        return None;
    }
    let mut expectation = Expectation::Passes;
    for tag in tags {
        match tag.strip_prefix("fails-with=") {
            Some(code) if Code::from_id(code).is_some_and(|c| c.id() == code) => {
                if expectation != Expectation::Passes {
                    return Some(Err("more than one `fails-with=` tag".to_string()));
                }
                expectation = Expectation::FailsWith(code.to_string());
            }
            Some(code) => {
                return Some(Err(format!(
                    "`{code}` is not a diagnostic code (see src/diagnostics/codes.rs)"
                )));
            }
            None => {
                return Some(Err(format!(
                    "unknown tag `{tag}`: write ```indikator or ```indikator,fails-with=E0202"
                )));
            }
        }
    }
    Some(Ok(expectation))
}

/// A fenced block being read: its fence, the line it opens on, its tag, and its lines so far.
struct OpenBlock<'a> {
    fence: String,
    line: usize,
    /// `None` for a block that is not checked.
    expectation: Option<Result<Expectation, String>>,
    lines: Vec<&'a str>,
}

impl OpenBlock<'_> {
    fn finish(self, doc: &str, problem: Option<&str>) -> Option<Example> {
        let expectation = self.expectation?;
        Some(Example {
            doc: doc.to_string(),
            line: self.line,
            text: self.lines.join("\n") + "\n",
            expectation: match problem {
                Some(problem) => expectation.and(Err(problem.to_string())),
                None => expectation,
            },
        })
    }
}

/// The `indikator` blocks of one Markdown text.
fn extract(doc: &str, markdown: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut open: Option<OpenBlock> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim();
        match open.take() {
            None => {
                let ticks = trimmed.chars().take_while(|&c| c == '`').count();
                if ticks >= 3 {
                    open = Some(OpenBlock {
                        fence: "`".repeat(ticks),
                        line: index + 1,
                        expectation: expectation(trimmed[ticks..].trim()),
                        lines: Vec::new(),
                    });
                }
            }
            Some(mut block) => {
                let closes =
                    trimmed.starts_with(block.fence.as_str()) && trimmed.chars().all(|c| c == '`');
                if closes {
                    examples.extend(block.finish(doc, None));
                } else {
                    block.lines.push(line);
                    open = Some(block);
                }
            }
        }
    }
    if let Some(block) = open {
        examples.extend(block.finish(doc, Some("the block is never closed")));
    }
    examples
}

fn rule_files() -> Vec<(PathBuf, String)> {
    let rules = root().join("rules");
    workspace::find_rule_files(&[rules])
        .expect("rules/ can be read")
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let shown = path
                .strip_prefix(root())
                .map(Path::to_path_buf)
                .unwrap_or(path);
            (shown, text)
        })
        .collect()
}

/// Checks the shipped rules plus, if given, one example as a virtual file.
fn check(rules: &[(PathBuf, String)], example: Option<&Example>) -> Checked {
    let mut db = SourceDb::new();
    for (path, text) in rules {
        db.add(path.clone(), text.clone());
    }
    if let Some(example) = example {
        // Blank lines before the block make the line numbers of its diagnostics those of the
        // Markdown file.
        let padded = "\n".repeat(example.line) + &example.text;
        db.add(format!("{}:{}.ind", example.doc, example.line), padded);
    }
    workspace::check_sources(db)
}

fn rendered(checked: &Checked) -> String {
    render::all_to_text(&checked.db, &checked.diagnostics, Style::plain())
}

/// Checks one example; the problem, if any, as a message naming the file and line.
fn verify(rules: &[(PathBuf, String)], example: &Example) -> Option<String> {
    let place = format!("{}:{}", example.doc, example.line);
    let expectation = match &example.expectation {
        Ok(expectation) => expectation,
        Err(problem) => return Some(format!("{place}: {problem}")),
    };
    let checked = check(rules, Some(example));
    let errors: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.id())
        .collect();
    match expectation {
        Expectation::Passes if errors.is_empty() => None,
        Expectation::Passes => Some(format!(
            "{place}: the example should check without errors, but gives {}:\n\n{}",
            errors.join(", "),
            rendered(&checked)
        )),
        Expectation::FailsWith(code)
            if !example
                .text
                .trim_start()
                .starts_with(&format!("# Fails with {code}")) =>
        {
            Some(format!(
                "{place}: a failing example starts with the comment `# Fails with {code}: …`, \
                 so that readers see it fails"
            ))
        }
        Expectation::FailsWith(code) if errors.contains(&code.as_str()) => None,
        Expectation::FailsWith(code) => Some(format!(
            "{place}: the example should fail with {code}, but gives {}:\n\n{}",
            if errors.is_empty() {
                "no error".to_string()
            } else {
                errors.join(", ")
            },
            rendered(&checked)
        )),
    }
}

#[test]
fn extraction_reads_tags_and_lines() {
    let markdown = "# T\n\n```indikator\ngoal a { title \"A\" }\n```\n\n```text\nnot checked\n```\n\n\
                    ````indikator,fails-with=E0202\nx\n```\ny\n````\n\n```indikator,fail-with=E0202\n```\n";
    let examples = extract("t.md", markdown);
    assert_eq!(examples.len(), 3);
    assert_eq!(examples[0].line, 3);
    assert_eq!(examples[0].text, "goal a { title \"A\" }\n");
    assert_eq!(examples[0].expectation, Ok(Expectation::Passes));
    assert_eq!(examples[1].line, 11);
    assert_eq!(examples[1].text, "x\n```\ny\n");
    assert_eq!(
        examples[1].expectation,
        Ok(Expectation::FailsWith("E0202".to_string()))
    );
    assert!(examples[2].expectation.is_err());
    assert!(expectation("indikator,fails-with=E9999").is_some_and(|e| e.is_err()));
    assert!(expectation("sh").is_none());
}

fn all_examples() -> Vec<Example> {
    let mut examples = Vec::new();
    for path in markdown_files() {
        let markdown = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let doc = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        examples.extend(extract(&doc, &markdown));
    }
    assert!(
        examples.iter().any(|e| e.doc == "docs/language.md"),
        "docs/language.md has no ```indikator examples"
    );
    examples
}

fn language_reference() -> String {
    let path = root().join("docs/language.md");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn examples_in_the_docs_check_as_documented() {
    let rules = rule_files();
    let baseline = check(&rules, None);
    assert!(
        baseline.error_count() == 0,
        "rules/ itself does not check clean, so the examples cannot be checked against it:\n\n{}",
        rendered(&baseline)
    );

    let examples = all_examples();

    let failures: Vec<String> = examples
        .iter()
        .filter_map(|example| verify(&rules, example))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} documentation examples do not check as documented:\n\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n\n")
    );
}

/// Each example is checked with `rules/` only, so two passing examples could define the same
/// name without either failing; a reader copying both would then meet E0201.
#[test]
fn examples_define_distinct_names() {
    let mut first: HashMap<String, String> = HashMap::new();
    let mut clashes = Vec::new();
    for example in all_examples() {
        if example.expectation != Ok(Expectation::Passes) {
            continue;
        }
        let (parsed, _) = syntax::parse_file(FileId(0), &example.text);
        for definition in &parsed.definitions {
            let name = definition.name().name.clone();
            let place = format!("{}:{}", example.doc, example.line);
            match first.get(&name) {
                Some(earlier) => clashes.push(format!(
                    "`{name}` is defined by the examples at {earlier} and at {place}"
                )),
                None => {
                    first.insert(name, place);
                }
            }
        }
    }
    assert!(
        clashes.is_empty(),
        "examples must use distinct names:\n{}",
        clashes.join("\n")
    );
}

/// The diagnostics table lists every code with its title, and the page names no code that
/// does not exist.
#[test]
fn reference_lists_every_diagnostic_code() {
    let doc = language_reference();
    let missing: Vec<String> = Code::ALL
        .iter()
        .map(|c| format!("| {} | {} |", c.id(), c.title()))
        .filter(|row| !doc.lines().any(|l| l.trim() == row))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/language.md lacks these rows of the diagnostics table:\n{}",
        missing.join("\n")
    );
    let mut unknown = Vec::new();
    for (index, line) in doc.lines().enumerate() {
        let bytes = line.as_bytes();
        for (at, _) in line.match_indices('E') {
            let id = line.get(at..at + 5).unwrap_or("");
            let is_code = id.len() == 5 && id[1..].bytes().all(|b| b.is_ascii_digit());
            let word_start = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
            let unused = line[at..].starts_with(&format!("{id} is not used"));
            if is_code && word_start && !unused && Code::from_id(id).is_none() {
                unknown.push(format!("docs/language.md:{}: {id}", index + 1));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "docs/language.md names codes that do not exist:\n{}",
        unknown.join("\n")
    );
}

/// The measures table says, for each kind, what `src/check/measures.rs` says.
#[test]
fn reference_describes_every_measure_kind() {
    let doc = language_reference();
    let cell = |part: &Part| match part {
        Part::ValueOver => "`value … of".to_string(),
        Part::ValueFormula => "`value FORMULA`".to_string(),
        other => format!("`{}`", other.keyword()),
    };
    let mut problems = Vec::new();
    for kind in MEASURES {
        let mut head = format!("`{}", kind.name());
        if kind.needs_per {
            head.push_str(" per N");
        }
        if kind.needs_age {
            head.push_str(" at age N");
        }
        head.push('`');
        let Some(row) = doc.lines().find(|l| l.starts_with(&format!("| {head} |"))) else {
            problems.push(format!("no row `| {head} | …` for the measure kind"));
            continue;
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // ["", kind, meaning, requires, also accepts, ""]
        if cells.len() != 6 {
            problems.push(format!(
                "the row of `{}` does not have 4 cells",
                kind.name()
            ));
            continue;
        }
        if cells[2] != kind.summary {
            problems.push(format!(
                "`{}`: the meaning should read \"{}\"",
                kind.name(),
                kind.summary
            ));
        }
        for (column, parts) in [(3, kind.required), (4, kind.optional)] {
            let listed = cells[column].matches('`').count() / 2;
            let all_there = parts.iter().all(|p| cells[column].contains(&cell(p)));
            if listed != parts.len() || !all_there {
                let want: Vec<String> = parts.iter().map(cell).collect();
                problems.push(format!(
                    "`{}`: the cell \"{}\" should list {}",
                    kind.name(),
                    cells[column],
                    if want.is_empty() {
                        "nothing".to_string()
                    } else {
                        want.join(", ")
                    }
                ));
            }
        }
    }
    for ty in ColumnTypeName::NAMES {
        if !doc.lines().any(|l| l.starts_with(&format!("| `{ty}"))) {
            problems.push(format!("the column type `{ty}` has no row"));
        }
    }
    let words = Level::NAMES.iter().chain(Direction::NAMES);
    for word in words.chain(Marking::NAMES).chain(&[NO_MARKING]) {
        if !doc.contains(&format!("`{word}`")) {
            problems.push(format!("`{word}` is not mentioned"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/language.md is out of date with src/check:\n{}",
        problems.join("\n")
    );
}
