//! Finds and reads the rule files of a rule set, and runs the front of the pipeline over them.
//! The only I/O before evaluation lives here.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::check::{self, Summary, program::Program};
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{self, Plan, PlanError};
use crate::source_db::{FileId, Misencoding, SourceDb, Span};
use crate::syntax::{self, ast::RuleFile};

/// The file extension of rule files.
pub const RULE_EXTENSION: &str = "ind";

/// Rule files under the given paths: files as given, directories searched recursively for
/// `*.ind`, in sorted order so that every run sees the same order.
pub fn find_rule_files(paths: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot read `{}`: {e}", path.display()))
        })?;
        if meta.is_dir() {
            collect_dir(path, &mut found)?;
        } else {
            found.push(path.clone());
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn collect_dir(dir: &Path, found: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_dir(&path, found)?;
        } else if path.extension().is_some_and(|e| e == RULE_EXTENSION) {
            found.push(path);
        }
    }
    Ok(())
}

/// The outcome of parsing and checking a rule set.
pub struct Checked {
    pub db: SourceDb,
    pub files: Vec<RuleFile>,
    /// What the checker resolved in `files`; complete when there are no errors.
    pub program: Program,
    pub summary: Summary,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// The plan of the checked rules. Call it only when there are no errors: the planner
    /// lowers what the checker resolved.
    pub fn plan(&self) -> Result<Plan, PlanError> {
        plan::plan_program(&self.program, &self.files)
    }
}

/// Stack for parsing and checking. Expressions are trees walked recursively; the grammar bounds
/// their size (64 levels of brackets, 1,000 parts per level), and this stack holds the deepest
/// tree those bounds allow, so no rule file can overflow it.
const FRONT_END_STACK: usize = 512 * 1024 * 1024;

/// Parses and checks rule texts already in memory.
pub fn check_sources(db: SourceDb) -> Checked {
    let worker = std::thread::Builder::new()
        .name("check".to_string())
        .stack_size(FRONT_END_STACK)
        .spawn(move || check_sources_here(db));
    match worker.map(|w| w.join()) {
        Ok(Ok(checked)) => checked,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(e) => panic!("cannot start the checker thread: {e}"),
    }
}

fn check_sources_here(db: SourceDb) -> Checked {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for (id, file) in db.files() {
        if let Some(m) = file.misencoding {
            diagnostics.push(misencoded(id, &file.path, &file.text, m));
        }
        let (parsed, mut problems) = syntax::parse_file(id, &file.text);
        files.push(parsed);
        diagnostics.append(&mut problems);
    }
    let (program, summary, mut problems) = check::check(&files);
    diagnostics.append(&mut problems);
    crate::diagnostics::sort(&mut diagnostics);
    Checked {
        db,
        files,
        program,
        summary,
        diagnostics,
    }
}

/// The diagnostic of a rule file that is not UTF-8, at its first foreign byte.
fn misencoded(id: FileId, path: &Path, text: &str, m: Misencoding) -> Diagnostic {
    let width = text[m.offset..].chars().next().map_or(0, char::len_utf8);
    let shown = text[m.offset..m.offset + width].escape_debug().to_string();
    let file = path.display();
    let iconv = m.encoding.iconv_name();
    Diagnostic::error(
        Code::NotUtf8,
        format!("this file is not UTF-8; it looks like {}", m.encoding.name()),
    )
    .primary(
        Span::new(id, m.offset, m.offset + width),
        format!("byte 0x{:02X}, `{shown}` in {}", m.byte, m.encoding.name()),
    )
    .help(format!(
        "rule files are UTF-8; convert this one with `iconv -f {iconv} -t utf-8 {file} > {file}.utf8` \
         and replace it with the result"
    ))
}

/// Reads, parses and checks the rule files under `paths`.
pub fn check_paths(paths: &[PathBuf]) -> io::Result<Checked> {
    let mut db = SourceDb::new();
    for path in find_rule_files(paths)? {
        let bytes = fs::read(&path).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot read `{}`: {e}", path.display()))
        })?;
        // A file that is not UTF-8 is decoded from the encoding it appears to be in and
        // refused by the checker at its first foreign byte (never read with replacement
        // characters, which would reach the report's titles).
        db.add_bytes(path, &bytes);
    }
    Ok(check_sources(db))
}
