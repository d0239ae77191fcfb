//! The report directory: written whole beside the old one and swapped in by one rename, so a
//! reader (or a run killed at any moment) finds the old report whole or the new one whole,
//! never a mix of the two.
//!
//! The files are written into a sibling directory `.NAME.new-PID`, each synced, then the two
//! directories are exchanged in one step (Linux's `renameat2` with `RENAME_EXCHANGE`) and the
//! old report, now under the sibling's name, is removed. Where the exchange is not available,
//! the old directory is first renamed to `.NAME.old-PID` and the new one renamed into place;
//! a run killed between those two renames leaves no `NAME`, and the next run puts the old
//! report back before anything else. Every run removes what killed runs left beside `NAME`.
//!
//! Because the whole directory is replaced, an existing directory is replaced only when it
//! holds nothing but a report's files: a directory of other files is refused, never emptied.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Whether a file name is one that a report writes, or that an earlier version of the writer
/// left behind while writing (`.NAME.partial`).
fn is_report_file(name: &str) -> bool {
    const FIXED: &[&str] = &[
        "report.csv",
        "report.json",
        "tabel_1.csv",
        "data_quality.csv",
        "report.html",
        "table_regions.csv",
        "report.xlsx",
        "report_excel.csv",
        "table_regions_excel.csv",
    ];
    let written = |n: &str| {
        FIXED.contains(&n) || (n.starts_with("table_municipalities_") && n.ends_with(".csv"))
    };
    written(name)
        || name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".partial"))
            .is_some_and(written)
}

/// Refuses an output directory that a run must not replace: one that is a file, one that
/// holds files that are not a report's, one inside (or equal to) the data directory or a rules
/// directory, and one that holds the data, the rules or the geography. Said before any work
/// is done, in words a user can act on.
pub fn check_destination(
    out: &Path,
    data: &Path,
    rules: &[PathBuf],
    geography: &Path,
) -> Result<(), String> {
    let shown = out.display();
    let exists = match fs::symlink_metadata(out) {
        Ok(m) if m.is_dir() || (m.file_type().is_symlink() && out.is_dir()) => true,
        Ok(_) => {
            return Err(format!(
                "`{shown}` is a file, not a directory: `--out` names the directory the report is written to"
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(format!("cannot use `{shown}` for the report: {e}")),
    };
    let target = resolved(out).map_err(|e| format!("cannot use `{shown}` for the report: {e}"))?;
    let inside = |a: &Path, b: &Path| a.starts_with(b);
    let within = |a: &Path, b: &Path| if a == b { "" } else { "inside " };
    if let Ok(data_dir) = resolved(data) {
        if inside(&target, &data_dir) {
            return Err(format!(
                "the report directory `{shown}` is {}the data directory `{}`: write the report elsewhere, so that the extracts and the report stay apart",
                within(&target, &data_dir),
                data.display()
            ));
        }
        if inside(&data_dir, &target) {
            return Err(format!(
                "the data directory `{}` is inside the report directory `{shown}`, which the report replaces whole: write the report elsewhere",
                data.display()
            ));
        }
    }
    for path in rules {
        let Ok(rule_path) = resolved(path) else {
            continue;
        };
        if path.is_dir() && inside(&target, &rule_path) {
            return Err(format!(
                "the report directory `{shown}` is {}the rules directory `{}`: write the report elsewhere",
                within(&target, &rule_path),
                path.display()
            ));
        }
        if inside(&rule_path, &target) {
            return Err(format!(
                "the rules `{}` are inside the report directory `{shown}`, which the report replaces whole: write the report elsewhere",
                path.display()
            ));
        }
    }
    if let Ok(g) = resolved(geography)
        && inside(&g, &target)
    {
        return Err(format!(
            "the geography `{}` is inside the report directory `{shown}`, which the report replaces whole: write the report elsewhere",
            geography.display()
        ));
    }
    if exists {
        foreign_files(out)?;
    }
    Ok(())
}

/// A path made absolute with its symbolic links resolved, also when its last parts do not
/// exist yet.
fn resolved(path: &Path) -> io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut missing = Vec::new();
    let mut existing = absolute.as_path();
    loop {
        match fs::canonicalize(existing) {
            Ok(real) => {
                let mut real = real;
                for part in missing.iter().rev() {
                    real.push(part);
                }
                return Ok(real);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                    return Err(e);
                };
                missing.push(name.to_owned());
                existing = parent;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Refuses a directory holding anything but a report's files.
fn foreign_files(dir: &Path) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    let mut foreign: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !is_report_file(n))
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let more = if foreign.len() > 1 {
        format!(" and {} more", foreign.len() - 1)
    } else {
        String::new()
    };
    Err(format!(
        "`{}` holds `{}`{more}, which a report does not write; the report replaces its directory whole, so give a new or empty directory, or one holding only an earlier report",
        dir.display(),
        foreign[0]
    ))
}

/// The test hook of the final write: `INDIKATOR_TEST_KILL_AT=N` ends the process abruptly at
/// its N-th step, as a kill would, so that a test can stop a run at every step.
struct Steps {
    done: u32,
    kill_at: Option<u32>,
}

impl Steps {
    fn new() -> Steps {
        Steps {
            done: 0,
            kill_at: std::env::var("INDIKATOR_TEST_KILL_AT")
                .ok()
                .and_then(|v| v.parse().ok()),
        }
    }

    fn step(&mut self) {
        self.done += 1;
        if self.kill_at == Some(self.done) {
            std::process::abort();
        }
    }
}

/// Writes the files as the directory `out`, replacing an earlier report there whole.
pub fn write_dir(out: &Path, files: &[(String, Vec<u8>)]) -> io::Result<()> {
    let target = resolved(out)?;
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return Err(io::Error::other(format!(
            "`{}` cannot be replaced: name a directory of its own for the report",
            out.display()
        )));
    };
    let name = name.to_string_lossy().into_owned();
    fs::create_dir_all(parent)?;
    let leftovers = Leftovers {
        parent: parent.to_path_buf(),
        name: name.clone(),
    };
    leftovers.recover(&target)?;
    match fs::metadata(&target) {
        Ok(m) if !m.is_dir() => {
            return Err(io::Error::other(format!(
                "`{}` is a file, not a directory: `--out` names the directory the report is written to",
                out.display()
            )));
        }
        Ok(_) => foreign_files(&target).map_err(io::Error::other)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }

    let mut steps = Steps::new();
    let pid = std::process::id();
    let staging = parent.join(format!(".{name}.new-{pid}"));
    fs::create_dir(&staging)?;
    for (file, bytes) in files {
        let mut f = fs::File::create(staging.join(file))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        steps.step();
    }
    sync_dir(&staging)?;
    steps.step();

    if target.exists() {
        if exchange(&staging, &target)? {
            steps.step();
            // The old report is now under the staging name.
            fs::remove_dir_all(&staging)?;
        } else {
            let old = parent.join(format!(".{name}.old-{pid}"));
            fs::rename(&target, &old)?;
            steps.step();
            fs::rename(&staging, &target)?;
            steps.step();
            fs::remove_dir_all(&old)?;
        }
    } else {
        fs::rename(&staging, &target)?;
    }
    steps.step();
    sync_dir(parent)?;
    Ok(())
}

/// What killed runs left beside the report directory `NAME`: `.NAME.new-PID` (a report being
/// written, or an old one being removed) and `.NAME.old-PID` (an old report moved aside).
struct Leftovers {
    parent: PathBuf,
    name: String,
}

impl Leftovers {
    fn find(&self) -> io::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
        let (new, old) = (
            format!(".{}.new-", self.name),
            format!(".{}.old-", self.name),
        );
        let (mut written, mut moved) = (Vec::new(), Vec::new());
        for entry in fs::read_dir(&self.parent)? {
            let entry = entry?;
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.starts_with(&new) {
                written.push(entry.path());
            } else if file_name.starts_with(&old) {
                moved.push(entry.path());
            }
        }
        written.sort();
        moved.sort();
        Ok((written, moved))
    }

    /// Puts an old report moved aside back when no report took its place, then removes the
    /// rest.
    fn recover(&self, target: &Path) -> io::Result<()> {
        let (written, mut moved) = self.find()?;
        if !target.exists()
            && let Some(old) = moved.pop()
        {
            fs::rename(&old, target)?;
        }
        for dir in written.iter().chain(&moved) {
            fs::remove_dir_all(dir)?;
        }
        Ok(())
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    // Directories can be synced on Unix; elsewhere opening one as a file fails, and the
    // renames are as durable as the platform makes them.
    match fs::File::open(dir) {
        Ok(d) => d.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

/// Exchanges two directories in one step; `false` where the system cannot.
// std has no atomic exchange of two paths; `renameat2(RENAME_EXCHANGE)` is reached through
// `libc`, the crate's one unsafe call (`unsafe_code` is denied everywhere else).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let path = |p: &Path| {
        CString::new(p.as_os_str().as_bytes()).map_err(|e| io::Error::other(e.to_string()))
    };
    let (a, b) = (path(a)?, path(b)?);
    // SAFETY: both paths are NUL-terminated strings that live across the call; the call reads
    // them and touches no other memory.
    let result = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        return Ok(true);
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        // Not supported by the kernel or by the file system.
        Some(libc::ENOSYS | libc::EINVAL | libc::EOPNOTSUPP) => Ok(false),
        _ => Err(error),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<bool> {
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("indikator-output-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn files(text: &str) -> Vec<(String, Vec<u8>)> {
        vec![
            ("report.csv".to_string(), text.as_bytes().to_vec()),
            ("tabel_1.csv".to_string(), text.as_bytes().to_vec()),
        ]
    }

    #[test]
    fn a_report_replaces_the_old_one_whole_and_leaves_nothing_beside_it() {
        let dir = scratch("replace");
        let out = dir.join("out");
        write_dir(&out, &files("old")).unwrap();
        fs::write(out.join(".report.html.partial"), "from an old writer").unwrap();
        fs::write(out.join("table_municipalities_1084.csv"), "old").unwrap();
        write_dir(&out, &files("new")).unwrap();
        let mut names: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["report.csv", "tabel_1.csv"]);
        assert_eq!(fs::read(out.join("report.csv")).unwrap(), b"new");
        let beside: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(beside, ["out"]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_old_report_moved_aside_by_a_killed_run_is_put_back() {
        let dir = scratch("recover");
        let out = dir.join("out");
        let aside = dir.join(".out.old-7");
        fs::create_dir_all(&aside).unwrap();
        fs::write(aside.join("report.csv"), "old").unwrap();
        fs::create_dir_all(dir.join(".out.new-7")).unwrap();
        fs::create_dir_all(dir.join(".other.new-7")).unwrap();
        Leftovers {
            parent: dir.clone(),
            name: "out".to_string(),
        }
        .recover(&out)
        .unwrap();
        assert_eq!(fs::read(out.join("report.csv")).unwrap(), b"old");
        assert!(!aside.exists() && !dir.join(".out.new-7").exists());
        assert!(
            dir.join(".other.new-7").exists(),
            "only this report's leftovers go"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_directory_of_other_files_a_file_and_the_data_are_refused() {
        let dir = scratch("refuse");
        let data = dir.join("data");
        let rules = dir.join("rules");
        fs::create_dir_all(&data).unwrap();
        fs::create_dir_all(&rules).unwrap();
        let geography = data.join("reference/municipalities.csv");
        let check =
            |out: &Path| check_destination(out, &data, std::slice::from_ref(&rules), &geography);

        assert!(check(&dir.join("out")).is_ok());
        let inside_data = check(&data.join("out")).unwrap_err();
        assert!(
            inside_data.contains("inside the data directory"),
            "{inside_data}"
        );
        assert!(check(&data).unwrap_err().contains("is the data directory"));
        assert!(
            check(&dir)
                .unwrap_err()
                .contains("is inside the report directory")
        );
        assert!(
            check(&rules)
                .unwrap_err()
                .contains("is the rules directory")
        );
        assert!(
            check(&rules.join("out"))
                .unwrap_err()
                .contains("inside the rules directory")
        );
        let file = dir.join("a_file");
        fs::write(&file, "x").unwrap();
        let message = check(&file).unwrap_err();
        assert!(message.contains("is a file, not a directory"), "{message}");

        let mine = dir.join("mine");
        fs::create_dir_all(&mine).unwrap();
        fs::write(mine.join("notes.txt"), "keep me").unwrap();
        let message = check(&mine).unwrap_err();
        assert!(message.contains("`notes.txt`"), "{message}");
        let message = write_dir(&mine, &files("new")).unwrap_err().to_string();
        assert!(message.contains("`notes.txt`"), "{message}");
        assert_eq!(fs::read(mine.join("notes.txt")).unwrap(), b"keep me");
        let _ = fs::remove_dir_all(&dir);
    }
}
