//! The provenance stamp of a run: the tool and its version, the command line, and the SHA-256
//! of every rule file, of the publication file, of the geography and of every extract read, so
//! that two reports can be told apart and a report traced to its inputs. Written in
//! report.json (`provenance`), on the notes sheet of report.xlsx and, shortened, in the footer
//! of report.html.
//!
//! The extracts are hashed by the loader as it reads them (`eval::load`), so the digest is of
//! exactly the bytes the run parsed and no file is read twice; the rule files, the publication
//! and the geography are small and hashed here. `indikator run --no-extract-hashes` lists the
//! extracts without hashing them (docs/performance.md has the cost).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileHash {
    pub file: String,
    /// `None` for an extract when the run was told not to hash them (`--no-extract-hashes`).
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Provenance {
    pub tool: String,
    pub version: String,
    pub command_line: Vec<String>,
    pub rule_files: Vec<FileHash>,
    /// `None` when the shipped publication (built in) was used.
    pub publication: Option<FileHash>,
    pub geography: FileHash,
    pub extracts: Vec<FileHash>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of a file's bytes, read in blocks of 1 MiB.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Hashes files, two at a time; `name` is how each is written in the stamp.
fn hash_all(files: &[(String, PathBuf)]) -> io::Result<Vec<FileHash>> {
    let half = files.len().div_ceil(2);
    let hash = |part: &[(String, PathBuf)]| -> io::Result<Vec<FileHash>> {
        part.iter()
            .map(|(name, path)| {
                let sha256 = sha256_file(path)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
                Ok(FileHash {
                    file: name.clone(),
                    sha256: Some(sha256),
                })
            })
            .collect()
    };
    let (first, second) = files.split_at(half);
    std::thread::scope(|s| {
        let other = s.spawn(|| hash(second));
        let mut hashes = hash(first)?;
        hashes.extend(other.join().expect("hashing does not panic")?);
        Ok(hashes)
    })
}

/// The inputs of a run, as the stamp names them.
pub struct Inputs<'a> {
    pub command_line: Vec<String>,
    pub rule_files: &'a [PathBuf],
    pub publication: Option<&'a Path>,
    pub geography: &'a Path,
    /// The extracts read, relative to the data directory, each with the SHA-256 of its bytes
    /// as the run read them (`None` when the run did not hash them).
    pub extracts: Vec<(String, Option<String>)>,
}

/// Hashes the inputs of a run.
pub fn stamp(inputs: &Inputs) -> io::Result<Provenance> {
    let shown = |p: &Path| p.display().to_string();
    let rules: Vec<(String, PathBuf)> = inputs
        .rule_files
        .iter()
        .map(|p| (shown(p), p.clone()))
        .collect();
    let mut extracts: Vec<FileHash> = inputs
        .extracts
        .iter()
        .map(|(file, sha256)| FileHash {
            file: file.clone(),
            sha256: sha256.clone(),
        })
        .collect();
    extracts.sort_by(|a, b| a.file.cmp(&b.file));
    extracts.dedup_by(|a, b| a.file == b.file);
    let one = |p: &Path| -> io::Result<FileHash> {
        Ok(FileHash {
            file: shown(p),
            sha256: Some(
                sha256_file(p)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?,
            ),
        })
    };
    Ok(Provenance {
        tool: env!("CARGO_PKG_NAME").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        command_line: inputs.command_line.clone(),
        rule_files: hash_all(&rules)?,
        publication: inputs.publication.map(one).transpose()?,
        geography: one(inputs.geography)?,
        extracts,
    })
}

impl Provenance {
    /// One short digest of a list of file hashes (the first 12 hexadecimal digits of the
    /// SHA-256 of its `sha256  file` lines), for the footer of report.html.
    pub fn short(hashes: &[FileHash]) -> String {
        let mut hasher = Sha256::new();
        for h in hashes {
            let sha256 = h.sha256.as_deref().unwrap_or("-");
            hasher.update(format!("{sha256}  {}\n", h.file).as_bytes());
        }
        hex(&hasher.finalize())[..12].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_texts() {
        let dir = std::env::temp_dir().join(format!("indikator-sha-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("abc");
        std::fs::write(&file, "abc").unwrap();
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256_file(&file).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let empty = dir.join("empty");
        std::fs::write(&empty, "").unwrap();
        assert_eq!(
            sha256_file(&empty).unwrap(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let hashes = hash_all(&[
            ("a".to_string(), file.clone()),
            ("b".to_string(), empty.clone()),
            ("c".to_string(), file.clone()),
        ])
        .unwrap();
        let names: Vec<&str> = hashes.iter().map(|h| h.file.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"], "in the order given");
        assert_eq!(hashes[2].sha256, hashes[0].sha256);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
