//! No input may panic the parser or the checker: arbitrary and mutated rule files must end in
//! diagnostics or success, with every diagnostic pointing inside its file. And the planner runs
//! on every rule set the checker accepts without an internal error: whatever the checker lets
//! through, its program resolves.

use proptest::prelude::*;

use indikator::diagnostics::render::{self, Style};
use indikator::source_db::SourceDb;
use indikator::workspace::{self, Checked};

fn shipped_rules() -> Vec<(String, String)> {
    let files = workspace::find_rule_files(&["rules".into()]).expect("rules/ is readable");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("rule file is readable");
            (p.display().to_string(), text)
        })
        .collect()
}

/// Parses and checks the texts, renders every diagnostic, and checks that every label lies
/// inside its file on a character boundary; rules without errors must plan.
fn run(texts: &[(String, String)]) -> Checked {
    let mut db = SourceDb::new();
    for (name, text) in texts {
        db.add(name.clone(), text.clone());
    }
    let checked = workspace::check_sources(db);
    for d in &checked.diagnostics {
        for label in &d.labels {
            let text = &checked.db.file(label.span.file).text;
            let (start, end) = (label.span.start as usize, label.span.end as usize);
            assert!(
                start <= end && end <= text.len(),
                "label outside its file: {d:?}"
            );
            assert!(
                text.is_char_boundary(start) && text.is_char_boundary(end),
                "label splits a character: {d:?}"
            );
        }
        assert!(!d.message.is_empty());
    }
    let rendered = render::all_to_text(&checked.db, &checked.diagnostics, Style::plain());
    assert!(
        !rendered.contains("Rule::") && !rendered.contains("kw_"),
        "a diagnostic names a grammar rule:\n{rendered}"
    );
    if checked.error_count() == 0 {
        let texts: Vec<&str> = texts.iter().map(|(_, t)| t.as_str()).collect();
        if let Err(e) = checked.plan() {
            panic!("checked rules that do not plan: {e}\n{}", texts.join("\n"));
        }
    }
    checked
}

fn rule_files_under(dir: &str) -> Vec<(String, String)> {
    let files = workspace::find_rule_files(&[dir.into()]).expect("the directory is readable");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("rule file is readable");
            (p.display().to_string(), text)
        })
        .collect()
}

/// The planner runs only on checked rules, and every rule set of the repository that checks
/// clean plans: the shipped rules, the fixtures' and the diagnostics snapshots' prelude.
#[test]
fn every_checked_rule_set_plans() {
    for dir in [
        "rules",
        "tests/fixtures/small/rules",
        "tests/fixtures/hidden_test",
        "tests/ui/_prelude",
    ] {
        let checked = run(&rule_files_under(dir));
        assert_eq!(checked.error_count(), 0, "{dir} checks clean");
        let plan = checked.plan().unwrap_or_else(|e| panic!("{dir}: {e}"));
        assert_eq!(plan.indicators.len(), checked.program.indicators.len());
        assert_eq!(plan.sources.len(), checked.program.sources.len());
        assert!(
            checked.program.reference_count() > 0,
            "{dir} refers to definitions"
        );
    }
}

/// Rules with errors are not planned: the planner says so rather than lowering a program with
/// holes.
#[test]
fn rules_with_errors_are_not_planned() {
    let text = "population p {\n  from nowhere\n}\n".to_string();
    let checked = run(&[("p.ind".to_string(), text)]);
    assert!(checked.error_count() > 0);
    let e = indikator::plan::plan(&checked.files).expect_err("unchecked rules");
    assert_eq!(
        e,
        indikator::plan::PlanError::NotChecked {
            errors: checked.error_count()
        }
    );
}

const TOKENS: &[&str] = &[
    "indicator",
    "source",
    "aggregate",
    "codes",
    "cohort",
    "population",
    "standard",
    "goal",
    "title",
    "measure",
    "proportion",
    "median",
    "rate",
    "per",
    "numerator",
    "denominator",
    "count",
    "of",
    "where",
    "and",
    "or",
    "not",
    "in",
    "exists",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "\"text\"",
    "“",
    "”",
    "=",
    "==",
    "<>",
    "<",
    ">=",
    ".",
    ",",
    "..",
    "2023",
    "2023-02-30",
    "30 days",
    "50 %",
    "0,5",
    "x",
    "y",
    "age",
    "band(age, 0, 5)",
    "period",
    "at",
    "municipality",
    "let",
    "from",
    "suppress",
    "when",
    "reason",
    "#",
    "\n",
    " ",
    "æøå",
    "within",
    "after",
    "test",
    "given",
    "expect",
    "persons",
    "same",
    "person",
    "is",
    "missing",
    "value",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|tokens| tokens.join(" "))
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, &'static str),
    Duplicate(usize, usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(a, t)| Edit::Insert(a, t)),
        (any::<usize>(), 1usize..80).prop_map(|(a, n)| Edit::Duplicate(a, n)),
    ];
    prop::collection::vec(edit, 1..6)
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut text = text.to_string();
    for edit in edits {
        if text.is_empty() {
            break;
        }
        match *edit {
            Edit::Delete(at, n) => {
                let a = floor_boundary(&text, at % text.len());
                let b = floor_boundary(&text, a + n);
                text.replace_range(a..b, "");
            }
            Edit::Insert(at, token) => {
                let a = floor_boundary(&text, at % text.len());
                text.insert_str(a, token);
            }
            Edit::Duplicate(at, n) => {
                let a = floor_boundary(&text, at % text.len());
                let b = floor_boundary(&text, a + n);
                let piece = text[a..b].to_string();
                text.insert_str(b, &piece);
            }
        }
    }
    text
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        run(&[("fuzz.ind".to_string(), text)]);
    }

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        run(&[("soup.ind".to_string(), text)]);
    }

    #[test]
    fn mutated_shipped_rules_never_panic(file in 0usize..100, edits in edits()) {
        let mut files = shipped_rules();
        let k = file % files.len();
        files[k].1 = apply(&files[k].1, &edits);
        run(&files);
    }
}

#[test]
fn shipped_rules_check_clean() {
    let checked = run(&shipped_rules());
    let rendered = render::all_to_text(&checked.db, &checked.diagnostics, Style::plain());
    assert_eq!(checked.error_count(), 0, "{rendered}");
    assert!(checked.summary.indicators >= 8);
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_crash() {
    let deep = format!(
        "population p {{\n  from x\n  where {}a{}\n}}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let checked = run(&[("deep.ind".to_string(), deep)]);
    assert!(checked.error_count() > 0);
}

#[test]
fn long_flat_expression_is_read() {
    let long = format!(
        "population p {{\n  from x\n  where {}\n}}\n",
        vec!["a == 1"; 3000].join(" or ")
    );
    let checked = run(&[("long.ind".to_string(), long)]);
    assert!(
        checked.error_count() > 0,
        "x is unknown, so there is an error"
    );
}

#[test]
fn every_code_is_explained() {
    for code in indikator::diagnostics::Code::ALL {
        assert!(
            code.explanation().len() > 40,
            "{} needs a longer explanation",
            code.id()
        );
        assert_eq!(
            indikator::diagnostics::Code::from_id(code.id()),
            Some(*code)
        );
    }
}
