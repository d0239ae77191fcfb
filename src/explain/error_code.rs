//! `indikator explain-error CODE`: the long explanation of a diagnostic code, with an example
//! rule file that triggers it and what indikator says about it.

use crate::diagnostics::Code;
use crate::diagnostics::examples::{PRELUDE, example, example_bytes};
use crate::diagnostics::render::{self, Style};
use crate::source_db::SourceDb;
use crate::workspace;

/// The diagnostics the example of a code gives, checked with the shared prelude.
pub fn example_diagnostics(code: Code) -> (SourceDb, Vec<crate::diagnostics::Diagnostic>) {
    let (name, _) = example(code);
    let mut db = SourceDb::new();
    for (path, prelude) in PRELUDE {
        db.add(*path, *prelude);
    }
    db.add_bytes(name, example_bytes(code));
    let checked = workspace::check_sources(db);
    (checked.db, checked.diagnostics)
}

/// The whole explanation, as printed.
pub fn explain(code: Code, style: Style) -> String {
    let (name, _) = example(code);
    let (text, _) = crate::source_db::decode(example_bytes(code));
    let mut out = format!(
        "{}: {}\n\n{}\n\n",
        code.id(),
        code.title(),
        wrap(code.explanation(), 92)
    );
    out.push_str(&format!("Example ({name}):\n\n"));
    for line in text.lines() {
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
    if code == Code::TestFailed {
        out.push_str(
            "\n`indikator test` reports the expectation that does not hold, at its place.\n",
        );
        return out;
    }
    let (db, diagnostics) = example_diagnostics(code);
    out.push_str("\nindikator check says:\n\n");
    out.push_str(&render::all_to_text(&db, &diagnostics, style));
    out
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        if line > 0 && line + 1 + word.len() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.chars().count();
    }
    out
}
