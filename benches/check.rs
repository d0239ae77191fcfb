//! Parse + check of the shipped rule set: the cost of `indikator check rules/`, which a
//! methodologist pays at every save.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

use indikator::source_db::SourceDb;
use indikator::workspace;

fn rule_set() -> Vec<(String, String)> {
    workspace::find_rule_files(&["rules".into()])
        .expect("rules/ is readable")
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("rule file");
            (p.display().to_string(), text)
        })
        .collect()
}

fn parse_and_check(c: &mut Criterion) {
    let files = rule_set();
    c.bench_function("parse_and_check_rules", |b| {
        b.iter(|| {
            let mut db = SourceDb::new();
            for (name, text) in &files {
                db.add(name.clone(), text.clone());
            }
            let checked = workspace::check_sources(black_box(db));
            assert_eq!(checked.error_count(), 0);
            checked.summary.indicators
        })
    });
}

criterion_group!(benches, parse_and_check);
criterion_main!(benches);
