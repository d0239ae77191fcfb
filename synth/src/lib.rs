//! Synthetic register extracts for indikator. Kept apart from the engine: this crate holds the
//! knowledge of how the registers look, and reads its calibration targets from data files
//! (`data/calibration/targets.csv`, derived from the published report by
//! [`calibration::derive_targets`]). See `docs/data.md`.

pub mod calibration;
pub mod date;
pub mod dirty;
pub mod model;
pub mod registers;
pub mod rng;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    pub persons: u64,
    pub seed: u64,
    pub out: PathBuf,
    /// First and last calendar year of the extracts.
    pub years: (i32, i32),
    /// Share of rows given a realistic fault, for testing the loader.
    pub dirty: f64,
    /// The project's data directory (reference and calibration tables).
    pub data: PathBuf,
}

/// The reference tables copied into the output's `reference/`: the geography, the standard
/// population, and the units and groupings (`docs/data.md`), so that a data directory is whole.
pub const REFERENCE_FILES: [&str; 9] = [
    "municipalities.csv",
    "population_national_sex_age5.csv",
    "health_clusters.csv",
    "health_councils.csv",
    "comparison_municipalities.csv",
    "gp_practices.csv",
    "hospitals.csv",
    "hospital_departments.csv",
    "hospital_catchments.csv",
];

/// At most this many initial persons per unit of work: bounds memory at national scale.
const MAX_CHUNK: u64 = 20_000;

/// Generates the extracts; returns a one-line summary.
pub fn generate(config: &Config) -> Result<String, String> {
    generate_with_threads(config, 0)
}

/// As [`generate`], with an explicit thread count (0: the machine's). The bytes written do not
/// depend on it.
pub fn generate_with_threads(config: &Config, threads: usize) -> Result<String, String> {
    let started = std::time::Instant::now();
    let (from, to) = config.years;
    if config.persons == 0 {
        return Err("--persons must be at least 1".into());
    }
    if from > to || !(1900..=2100).contains(&from) || !(1900..=2100).contains(&to) {
        return Err(format!("bad year range {from}-{to}"));
    }
    if !(0.0..=1.0).contains(&config.dirty) || config.dirty.is_nan() {
        return Err(format!(
            "--dirty must be between 0 and 1, not {}",
            config.dirty
        ));
    }
    let mut model = model::Model::load(&config.data, from, to)?;
    model.persons = config.persons;
    let chunks = model::chunks(&model, config.persons, MAX_CHUNK);

    let out = &config.out;
    std::fs::create_dir_all(out.join("reference"))
        .map_err(|e| format!("{}: {e}", out.display()))?;
    for name in REFERENCE_FILES {
        let src = config.data.join("reference").join(name);
        std::fs::copy(&src, out.join("reference").join(name))
            .map_err(|e| format!("{}: {e}", src.display()))?;
    }
    let mut writers = Vec::new();
    let files = model.files();
    for spec in files {
        let path = out.join(spec.name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let f = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        w.write_all(spec.header.as_bytes())
            .and_then(|_| w.write_all(b"\n"))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        writers.push(w);
    }

    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
    .max(1);
    let mut rows = vec![0u64; files.len()];
    let mut persons = 0u64;
    let mut write = |outs: Vec<model::ChunkOut>| -> Result<(), String> {
        for o in outs {
            for (k, w) in writers.iter_mut().enumerate() {
                w.write_all(&o.files[k])
                    .map_err(|e| format!("{}: {e}", files[k].name))?;
                rows[k] += o.rows[k];
            }
            persons += o.persons;
        }
        Ok(())
    };
    // Batches of chunks are simulated in parallel (each chunk with its own random stream);
    // the previous batch is written meanwhile, in chunk order.
    let batch = threads * 2;
    let mut pending: Vec<model::ChunkOut> = Vec::new();
    for group in chunks.chunks(batch) {
        let results: Vec<model::ChunkOut> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads.min(group.len()))
                .map(|t| {
                    let model = &model;
                    s.spawn(move || {
                        group
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| i % threads == t)
                            .map(|(i, c)| {
                                (
                                    i,
                                    model::ChunkSim::new(model, config.seed, c, config.dirty)
                                        .run(c),
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let written = write(std::mem::take(&mut pending));
            let mut all: Vec<(usize, model::ChunkOut)> = handles
                .into_iter()
                .flat_map(|h| h.join().expect("generator thread panicked"))
                .collect();
            all.sort_by_key(|(i, _)| *i);
            written.map(|_| all.into_iter().map(|(_, o)| o).collect())
        })?;
        pending = results;
    }
    write(pending)?;
    write(vec![model.aggregates(config.seed, config.dirty)])?;
    for (k, w) in writers.iter_mut().enumerate() {
        w.flush().map_err(|e| format!("{}: {e}", files[k].name))?;
    }
    Ok(format!(
        "wrote {} persons ({} initially, {} births), {}-{}, seed {}, to {}: {} in {:.1} s",
        persons,
        config.persons,
        persons - config.persons,
        from,
        to,
        config.seed,
        out.display(),
        files
            .iter()
            .zip(rows)
            .map(|(f, n)| format!("{} {n}", f.name))
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64()
    ))
}
