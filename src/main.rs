use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use indikator::diagnostics::render::{self, Style};
use indikator::report::publication::Publication;
use indikator::workspace;

#[derive(Parser)]
#[command(
    name = "indikator",
    version,
    about = "Declarative health-care indicators: from rule files to the report table"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate rule files without reading any data
    Check {
        /// Rule files or directories (searched for *.ind)
        #[arg(default_value = "rules")]
        paths: Vec<PathBuf>,
        /// How to print diagnostics
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Evaluate the rules over the extracts in a data directory and write the report
    Run {
        /// Rule files or directories (searched for *.ind)
        #[arg(default_value = "rules")]
        paths: Vec<PathBuf>,
        /// The data directory: the extracts the sources name, and `reference/`
        #[arg(long)]
        data: PathBuf,
        /// Where to write report.csv, report.json, tabel_1.csv and data_quality.csv
        #[arg(long)]
        out: PathBuf,
        /// The municipality → region table [default: DATA/reference/municipalities.csv]
        #[arg(long)]
        geography: Option<PathBuf>,
        /// What to do with a row that does not match its source's declaration
        #[arg(long, value_enum, default_value_t = OnBadRow::Stop)]
        on_bad_row: OnBadRow,
        /// Read and check every row, also rows dated outside every period of the run (which
        /// are otherwise left unread where no rule can keep them; `plan` shows where)
        #[arg(long)]
        read_all_rows: bool,
        /// Evaluate every expression row by row, without the batch evaluator: slower, the
        /// reference the batches must agree with (also `INDIKATOR_EVAL=rows`)
        #[arg(long)]
        row_by_row: bool,
        /// The title of report.html and report.xlsx [default: the publication file's `title`]
        #[arg(long)]
        title: Option<String>,
        /// List the extracts read in the report's stamp without their SHA-256 (hashing them
        /// reads every byte once more; the rule files are hashed all the same)
        #[arg(long)]
        no_extract_hashes: bool,
        /// The publication file: the report's texts, words and marking tolerance
        /// [default: `publication.toml` beside the rules, else the shipped 2024 texts]
        #[arg(long)]
        publication: Option<PathBuf>,
    },
    /// Run the test blocks written in the rule files
    Test {
        /// Rule files or directories (searched for *.ind)
        #[arg(default_value = "rules")]
        paths: Vec<PathBuf>,
        /// Reference data: `reference/municipalities.csv` and any extract a test gives no rows for
        #[arg(long, default_value = "data")]
        reference_data: PathBuf,
    },
    /// Generate synthetic register extracts (deterministic for a seed)
    Synth {
        /// How many persons the population holds
        #[arg(long, default_value_t = 100_000)]
        persons: u64,
        /// The seed: the same seed and arguments give the same bytes
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The directory to write the extracts to
        #[arg(long)]
        out: PathBuf,
        /// First year of the extracts
        #[arg(long, default_value_t = 2018)]
        from_year: i32,
        /// Last year of the extracts
        #[arg(long, default_value_t = 2023)]
        to_year: i32,
        /// Share of rows given a realistic fault (bad dates, unknown codes, short rows)
        #[arg(long, default_value_t = 0.0)]
        dirty: f64,
        /// The project's data directory, with the reference and calibration tables
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// Explain why one figure is what it is: rows kept by each condition, strata, suppression, markings
    Explain {
        /// The indicator's name, as in its rule file
        indicator: String,
        /// The unit's code: 0 for the country, a region or a municipality code
        #[arg(long)]
        unit: u32,
        /// The data directory, as for `run`
        #[arg(long)]
        data: PathBuf,
        /// Rule files or directories (searched for *.ind)
        #[arg(long = "rules", default_value = "rules")]
        paths: Vec<PathBuf>,
        /// How to print the explanation
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Check a written report: can any suppressed count be recovered from what it publishes?
    Audit {
        /// The directory `run` wrote the report to
        #[arg(long)]
        out: PathBuf,
        /// The rule files the report was made from (for the suppression thresholds)
        #[arg(long = "rules", default_value = "rules")]
        paths: Vec<PathBuf>,
        /// The municipality → region table [default: data/reference/municipalities.csv]
        #[arg(long, default_value = "data/reference/municipalities.csv")]
        geography: PathBuf,
    },
    /// Rewrite rule files in the canonical layout (only blanks change)
    Fmt {
        /// Rule files or directories (searched for *.ind)
        #[arg(default_value = "rules")]
        paths: Vec<PathBuf>,
        /// Change nothing; exit 1 and list the files that are not in the canonical layout
        #[arg(long)]
        check: bool,
    },
    /// Print the SQL computing every cell of the rule set's aggregations from the extracts
    /// (docs/sql.md); exit 1 when a rule is refused (listed on stderr) unless --allow-partial
    Sql {
        /// Rule files or directories (searched for *.ind)
        #[arg(default_value = "rules")]
        paths: Vec<PathBuf>,
        /// The SQL dialect
        #[arg(long, value_parser = ["duckdb"], default_value = "duckdb")]
        dialect: String,
        /// The data directory, as the SQL is to read it
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Print the SQL for what compiles and exit 0 even when some rules are refused
        #[arg(long)]
        allow_partial: bool,
    },
    /// Print the order of work for the rule set (dependencies first)
    Plan {
        /// Rule files or directories (searched for *.ind)
        #[arg(default_value = "rules")]
        paths: Vec<PathBuf>,
        /// Print the dependency graph in Graphviz dot instead
        #[arg(long)]
        dot: bool,
    },
    /// Print the long explanation of a diagnostic code, such as E0202
    ExplainError { code: String },
    /// Compare two reports: figures moved, markings flipped, cells hidden or shown, added or
    /// removed. Exit 0 when nothing published changed, 1 when something did, 2 on an error
    Diff {
        /// The earlier report: the directory `run` wrote (or its report.csv)
        old: PathBuf,
        /// The later report
        new: PathBuf,
        /// Relative tolerance for numbers: |old − new| > TOLERANCE · max(|old|, |new|) is a
        /// change (0: any change)
        #[arg(long, default_value_t = 0.0)]
        tolerance: f64,
        /// How many of the largest moves and flips to list in the text
        #[arg(long, default_value_t = 20)]
        show: usize,
        /// Text for a person, or JSON with every change for a program
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum OnBadRow {
    /// Stop with the file, line, column and value
    Stop,
    /// Leave the row out and count it in data_quality.csv
    Skip,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { paths, format } => check(&paths, format),
        Command::Plan { paths, dot } => plan(&paths, dot),
        Command::Sql {
            paths,
            data,
            allow_partial,
            ..
        } => sql(&paths, &data, allow_partial),
        Command::Fmt { paths, check } => fmt(&paths, check),
        Command::Audit {
            out,
            paths,
            geography,
        } => audit(&out, &paths, &geography),
        Command::Explain {
            indicator,
            unit,
            data,
            paths,
            format,
        } => explain(&paths, &indicator, unit, data, format),
        Command::Synth {
            persons,
            seed,
            out,
            from_year,
            to_year,
            dirty,
            data,
        } => {
            let config = indikator_synth::Config {
                persons,
                seed,
                out,
                years: (from_year, to_year),
                dirty,
                data,
            };
            match indikator_synth::generate(&config) {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Test {
            paths,
            reference_data,
        } => test(&paths, &reference_data),
        Command::Run {
            paths,
            data,
            out,
            geography,
            on_bad_row,
            read_all_rows,
            row_by_row,
            title,
            publication,
            no_extract_hashes,
        } => match publication_of(publication.as_deref(), title, &paths) {
            Ok((publication, file)) => run(
                &paths,
                data,
                &out,
                geography,
                Reading {
                    on_bad_row,
                    read_all_rows,
                    row_by_row,
                },
                &Published {
                    publication,
                    file,
                    hash_extracts: !no_extract_hashes,
                },
            ),
            Err(code) => code,
        },
        Command::ExplainError { code } => explain_error(&code),
        Command::Diff {
            old,
            new,
            tolerance,
            show,
            format,
        } => diff(&old, &new, tolerance, show, format),
    }
}

fn diff(
    old: &std::path::Path,
    new: &std::path::Path,
    tolerance: f64,
    show: usize,
    format: Format,
) -> ExitCode {
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        eprintln!("error: --tolerance must be a number of 0 or more, such as 0.001 (0.1 %)");
        return ExitCode::from(2);
    }
    let comparison = match indikator::diff::compare(old, new, tolerance) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match format {
        Format::Human => indikator::diff::to_text(&comparison, show),
        Format::Json => match serde_json::to_string_pretty(&comparison) {
            Ok(text) => text + "\n",
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
    };
    // A reader that stops early (`| head`) is not an error; any other failure to write is.
    use std::io::Write;
    if let Err(e) = std::io::stdout().write_all(text.as_bytes())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write the comparison: {e}");
        return ExitCode::from(2);
    }
    if comparison.is_unchanged() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn check(paths: &[PathBuf], format: Format) -> ExitCode {
    let checked = match workspace::check_paths(paths) {
        Ok(checked) => checked,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if checked.db.is_empty() {
        eprintln!(
            "error: no rule files (*.{}) found in {}",
            workspace::RULE_EXTENSION,
            paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return ExitCode::from(2);
    }
    let errors = checked.error_count();
    match format {
        Format::Json => println!("{}", render::all_to_json(&checked.db, &checked.diagnostics)),
        Format::Human => {
            let style = Style {
                width: 100,
                colour: std::io::stdout().is_terminal(),
            };
            print!(
                "{}",
                render::all_to_text(&checked.db, &checked.diagnostics, style)
            );
            let s = &checked.summary;
            let what = format!(
                "{} indicator{}, {} source{}, {} code list{}, {} population{} in {} file{}",
                s.indicators,
                plural(s.indicators),
                s.sources,
                plural(s.sources),
                s.code_lists,
                plural(s.code_lists),
                s.populations,
                plural(s.populations),
                s.files,
                plural(s.files)
            );
            if errors == 0 {
                println!("ok: checked {what}: no problems found");
            } else {
                println!("failed: checked {what}: {errors} error{}", plural(errors));
            }
        }
    }
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Checks the rules and returns them when valid; otherwise prints the diagnostics and the
/// exit code to use.
fn checked_rules(paths: &[PathBuf]) -> Result<workspace::Checked, ExitCode> {
    let checked = workspace::check_paths(paths).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    if checked.db.is_empty() {
        eprintln!(
            "error: no rule files (*.{}) found",
            workspace::RULE_EXTENSION
        );
        return Err(ExitCode::from(2));
    }
    if checked.error_count() > 0 {
        let style = Style {
            width: 100,
            colour: std::io::stderr().is_terminal(),
        };
        eprint!(
            "{}",
            render::all_to_text(&checked.db, &checked.diagnostics, style)
        );
        eprintln!(
            "error: the rules have {} error{}; run `indikator check` for details",
            checked.error_count(),
            plural(checked.error_count())
        );
        return Err(ExitCode::from(1));
    }
    Ok(checked)
}

fn sql(paths: &[PathBuf], data: &std::path::Path, allow_partial: bool) -> ExitCode {
    let checked = match checked_rules(paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match checked.plan() {
        Ok(plan) => {
            let data = data.to_string_lossy();
            let compiled = indikator::sql::compile(&plan, &data, indikator::sql::Dialect::DuckDb);
            print!("{}", compiled.sql);
            eprint!("{}", indikator::sql::render_refusals(&compiled.refused));
            ExitCode::from(u8::from(!compiled.refused.is_empty() && !allow_partial))
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn plan(paths: &[PathBuf], dot: bool) -> ExitCode {
    let checked = match checked_rules(paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match checked.plan() {
        Ok(plan) => {
            print!("{}", if dot { plan.to_dot() } else { plan.to_text() });
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// How a run's report is published: the publication, the file it was read from (none for the
/// shipped one) and whether the stamp hashes the extracts.
struct Published {
    publication: Publication,
    file: Option<PathBuf>,
    hash_extracts: bool,
}

/// The publication of a run, read before the rules and the data so that a mistake in it is
/// said at once; `--title` replaces its title.
fn publication_of(
    given: Option<&std::path::Path>,
    title: Option<String>,
    paths: &[PathBuf],
) -> Result<(Publication, Option<PathBuf>), ExitCode> {
    let (mut publication, file) = match Publication::find(given, paths) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(ExitCode::from(2));
        }
    };
    if let Some(t) = title {
        publication.title = t;
    }
    Ok((publication, file))
}

/// How `run` reads and evaluates the extracts.
struct Reading {
    on_bad_row: OnBadRow,
    read_all_rows: bool,
    row_by_row: bool,
}

fn run(
    paths: &[PathBuf],
    data: PathBuf,
    out: &std::path::Path,
    geography: Option<PathBuf>,
    reading: Reading,
    published: &Published,
) -> ExitCode {
    let (publication, publication_file) = (&published.publication, &published.file);
    let checked = match checked_rules(paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut options = indikator::pipeline::options(data);
    if let Some(g) = geography {
        options.geography = g;
    }
    options.bad_rows = match reading.on_bad_row {
        OnBadRow::Stop => indikator::eval::BadRows::Stop,
        OnBadRow::Skip => indikator::eval::BadRows::Skip,
    };
    options.read_all_rows = reading.read_all_rows;
    options.row_by_row = reading.row_by_row;
    options.hash_extracts = published.hash_extracts;
    // Said before the evaluation, not after it: the report replaces its directory whole.
    if let Err(e) = indikator::report::output::check_destination(
        out,
        &options.data_dir,
        paths,
        &options.geography,
    ) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let terminal = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut progress = |step: &str| {
        if terminal {
            eprintln!("  {:>6.1}s  {step}", started.elapsed().as_secs_f64());
        }
    };
    let rule_files: Vec<PathBuf> = checked.db.files().map(|(_, f)| f.path.clone()).collect();
    let mut outcome = match indikator::pipeline::run_checked(checked, &options, &mut progress) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    // The pipeline marks with the shipped tolerance; a publication with another one is
    // marked again (with the same protection) here.
    if publication.tolerance() != Publication::shipped().tolerance() {
        outcome.report = indikator::report::build_marked(
            &outcome.plan,
            &outcome.evaluation,
            indikator::report::Protection::Complementary,
            publication.tolerance(),
        );
    }
    let inputs = indikator::report::provenance::Inputs {
        command_line: std::env::args().collect(),
        rule_files: &rule_files,
        publication: publication_file.as_deref(),
        geography: &options.geography,
        extracts: outcome
            .evaluation
            .sources
            .iter()
            .map(|s| (s.file.clone(), s.sha256.clone()))
            .collect(),
    };
    match indikator::report::provenance::stamp(&inputs) {
        Ok(stamp) => outcome.report.provenance = Some(stamp),
        Err(e) => {
            eprintln!("error: cannot hash the run's inputs for its stamp: {e}");
            return ExitCode::from(1);
        }
    }
    progress("inputs hashed");
    let report = &outcome.report;
    match indikator::report::write_publication(
        &outcome.plan,
        &outcome.evaluation.geography,
        report,
        publication,
        out,
    ) {
        Ok(files) => {
            let suppressed = report
                .rows
                .iter()
                .filter(|r| r.suppressed.is_some())
                .count();
            let unread: usize = outcome.evaluation.sources.iter().map(|s| s.unread).sum();
            let unread = if unread > 0 {
                format!(
                    " ({unread} rows dated outside the run's periods left unread; --read-all-rows reads them)"
                )
            } else {
                String::new()
            };
            println!(
                "ok: {} figures of {} indicators ({} not shown) from {} extracts{unread}; {} data-quality notes; wrote {} to {}",
                report.rows.len(),
                outcome.evaluation.indicators.len(),
                suppressed,
                outcome.evaluation.sources.len(),
                report.data_quality.len(),
                files.join(", "),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write the report to `{}`: {e}", out.display());
            ExitCode::from(1)
        }
    }
}

fn test(paths: &[PathBuf], reference_data: &std::path::Path) -> ExitCode {
    let checked = match checked_rules(paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let options = indikator::testing::TestOptions {
        reference_data: reference_data.to_path_buf(),
    };
    let outcomes = match indikator::testing::run_tests(&checked, &options) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let style = Style {
        width: 100,
        colour: std::io::stdout().is_terminal(),
    };
    let mut failed = 0;
    for outcome in &outcomes {
        if outcome.failures.is_empty() {
            println!("ok    {}: {}", outcome.indicator, outcome.name);
        } else {
            failed += 1;
            println!("FAIL  {}: {}", outcome.indicator, outcome.name);
            print!(
                "{}",
                render::all_to_text(&checked.db, &outcome.failures, style)
            );
        }
    }
    println!("{} passed, {} failed", outcomes.len() - failed, failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn explain(
    paths: &[PathBuf],
    indicator: &str,
    unit: u32,
    data: PathBuf,
    format: Format,
) -> ExitCode {
    let checked = match checked_rules(paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let plan = match checked.plan() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let options = indikator::pipeline::options(data);
    match indikator::explain::explain_figure(&checked, &plan, &options, indicator, unit, None) {
        Ok(explanation) => {
            match format {
                Format::Human => print!("{}", explanation.to_text()),
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&explanation).unwrap_or_default()
                ),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn audit(out: &std::path::Path, paths: &[PathBuf], geography: &std::path::Path) -> ExitCode {
    let checked = match checked_rules(paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let plan = match checked.plan() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let geo = match indikator::eval::Geography::load(geography) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let cells = match indikator::report::audit::read_report(&out.join("report.csv")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let audit = indikator::report::audit::audit(&plan, &geo, &cells);
    let findings = audit.findings;
    let elsewhere = indikator::report::audit::other_files(&plan, &geo, out, &cells);
    for problem in &elsewhere {
        println!("published elsewhere: {problem}");
    }
    let suppressed = cells.iter().filter(|c| c.suppressed.is_some()).count();
    for f in &findings {
        println!(
            "recoverable: {} {} {} {} {}: the {} lies in [{}, {}], narrower than {}",
            f.indicator,
            f.period,
            f.level,
            f.unit_code,
            f.quantity,
            f.quantity,
            f.low,
            f.high,
            f.required_width
        );
    }
    if findings.is_empty() && elsewhere.is_empty() {
        println!(
            "ok: {} suppressed cells of {} checked; none can be narrowed below its threshold from what is published",
            suppressed,
            cells.len()
        );
        ExitCode::SUCCESS
    } else {
        println!(
            "failed: {} suppressed quantities can be recovered, {} other files disagree with report.csv",
            findings.len(),
            elsewhere.len()
        );
        ExitCode::from(1)
    }
}

fn fmt(paths: &[PathBuf], check: bool) -> ExitCode {
    let files = match workspace::find_rule_files(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut changed, mut refused, mut unreadable) = (Vec::new(), Vec::new(), Vec::new());
    for path in &files {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                unreadable.push((path.clone(), e));
                continue;
            }
        };
        // Only a file that parses is formatted: blanks can change the meaning of a mistake.
        let (_, syntax_errors) =
            indikator::syntax::parse_file(indikator::source_db::FileId(0), &text);
        let formatted = if syntax_errors.is_empty() {
            indikator::format::format(&text)
        } else {
            None
        };
        match formatted {
            None => refused.push(path.clone()),
            Some(formatted) if formatted != text => {
                changed.push(path.clone());
                if !check && let Err(e) = std::fs::write(path, formatted) {
                    eprintln!("error: cannot write `{}`: {e}", path.display());
                    return ExitCode::from(1);
                }
            }
            Some(_) => {}
        }
    }
    for path in &refused {
        eprintln!(
            "error: `{}` has syntax errors; run `indikator check` and fix them first",
            path.display()
        );
    }
    for (path, e) in &unreadable {
        if e.kind() == std::io::ErrorKind::InvalidData {
            eprintln!(
                "error: `{}` is not UTF-8; run `indikator check`, which says how to convert it",
                path.display()
            );
        } else {
            eprintln!("error: cannot read `{}`: {e}", path.display());
        }
    }
    for path in &changed {
        println!(
            "{} {}",
            if check {
                "would reformat"
            } else {
                "reformatted"
            },
            path.display()
        );
    }
    println!(
        "{} file{} {}, {} already formatted",
        changed.len(),
        plural(changed.len()),
        if check { "to reformat" } else { "reformatted" },
        files.len() - changed.len() - refused.len() - unreadable.len()
    );
    if refused.is_empty() && unreadable.is_empty() && (!check || changed.is_empty()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn explain_error(code: &str) -> ExitCode {
    match indikator::diagnostics::Code::from_id(code) {
        Some(c) => {
            let style = Style {
                width: 100,
                colour: std::io::stdout().is_terminal(),
            };
            print!("{}", indikator::explain::explain(c, style));
            ExitCode::SUCCESS
        }
        None => {
            eprintln!(
                "error: `{code}` is not a diagnostic code of indikator (they look like E0202; see docs/language.md)"
            );
            ExitCode::from(2)
        }
    }
}
