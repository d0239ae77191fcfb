#![allow(dead_code)]
//! Helpers shared by the generator tests.

use indikator_synth::Config;
use std::path::{Path, PathBuf};

pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh directory under the system temp dir.
pub fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("indikator-synth-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn config(persons: u64, seed: u64, out: &Path, dirty: f64) -> Config {
    Config {
        persons,
        seed,
        out: out.to_path_buf(),
        years: (2018, 2023),
        dirty,
        data: data(),
    }
}

pub fn generate(name: &str, persons: u64, seed: u64, dirty: f64, threads: usize) -> PathBuf {
    let dir = temp(name);
    indikator_synth::generate_with_threads(&config(persons, seed, &dir, dirty), threads)
        .expect("generate");
    dir
}

/// The rows of a generated CSV as maps from column name to value.
pub fn rows(dir: &Path, file: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(dir.join(file)).expect("open");
    let headers = rdr.headers().expect("headers").clone();
    rdr.records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Every extract file the generator writes (the core's and the registers').
pub fn extracts() -> Vec<&'static str> {
    indikator_synth::model::Model::load(&data(), 2018, 2023)
        .expect("model")
        .files()
        .iter()
        .map(|f| f.name)
        .collect()
}
