//! One unit of work (a slice of a municipality's population), the simulation state of a chunk
//! and the writing of its rows.

use super::*;

/// One unit of work: a slice of one municipality's initial population.
#[derive(Debug, Clone, Copy)]
pub struct Chunk {
    pub index: usize,
    pub muni: usize,
    pub part: u32,
    pub persons: u64,
}

/// The bytes of one chunk for each file, and row counts.
pub struct ChunkOut {
    pub files: Vec<Vec<u8>>,
    pub rows: Vec<u64>,
    pub persons: u64,
}

impl ChunkOut {
    pub(super) fn new(files: usize) -> ChunkOut {
        ChunkOut {
            files: vec![Vec::new(); files],
            rows: vec![0; files],
            persons: 0,
        }
    }
}

pub(super) struct Person {
    pub(super) id: u64,
    pub(super) male: bool,
    pub(super) birth: Day,
    pub(super) start: Day,
    pub(super) muni: usize,
}

/// A hospital stay, as written to `lpr_admissions.csv`.
#[derive(Debug, Clone, Copy)]
pub struct Stay {
    pub admitted: Day,
    pub discharged: Day,
    pub acute: bool,
    pub psychiatric: bool,
    /// Primary diagnosis (SKS code).
    pub diagnosis: &'static str,
    /// Municipality of residence at admission.
    pub muni: usize,
    /// DRG value, DKK.
    pub drg: u32,
    /// Days finished with treatment but still admitted.
    pub finished: i32,
}

pub(super) struct Life {
    pub(super) residences: Vec<(Day, usize)>,
    pub(super) death: Option<Day>,
}

impl Life {
    pub(super) fn muni_at(&self, day: Day) -> usize {
        let mut m = self.residences[0].1;
        for &(from, r) in &self.residences {
            if from <= day {
                m = r;
            } else {
                break;
            }
        }
        m
    }
    pub(super) fn alive_on(&self, day: Day) -> bool {
        self.death.is_none_or(|d| d > day)
    }
}

pub struct ChunkSim<'a> {
    pub(super) model: &'a Model,
    pub(super) seed: u64,
    pub(super) rng: Rng,
    /// The core's outcomes that the indicators tally, balanced within the chunk.
    pub(super) balanced: Balanced,
    /// The same for each register, so that registers stay independent of each other.
    pub(super) register_balanced: Vec<Balanced>,
    pub(super) dirty_rng: Rng,
    pub(super) dirty: f64,
    pub(super) out: ChunkOut,
    // scratch
    pub(super) stays: Vec<Stay>,
    pub(super) diags: Vec<(Day, &'static str)>,
    /// (day, ATC code, prescriber)
    pub(super) rx: Vec<(Day, &'static str, &'static str)>,
    pub(super) services: Vec<Day>,
    pub(super) num: itoa_buf::Buf,
}

pub(super) mod itoa_buf {
    pub struct Buf([u8; 20]);
    impl Buf {
        pub fn new() -> Buf {
            Buf([0; 20])
        }
        pub fn push(&mut self, out: &mut Vec<u8>, mut v: u64) {
            let mut i = 20;
            loop {
                i -= 1;
                self.0[i] = b'0' + (v % 10) as u8;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
            out.extend_from_slice(&self.0[i..]);
        }
    }
}

pub fn chunks(model: &Model, persons: u64, max_chunk: u64) -> Vec<Chunk> {
    // Largest remainder allocation of the persons to municipalities.
    let total = model.nat_cum[model.nat_cum.len() - 1];
    let quotas: Vec<f64> = model
        .munis
        .iter()
        .map(|m| persons as f64 * m.population / total)
        .collect();
    let mut alloc: Vec<u64> = quotas.iter().map(|q| q.floor() as u64).collect();
    let rest = persons - alloc.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..quotas.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = quotas[a] - quotas[a].floor();
        let fb = quotas[b] - quotas[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for &i in order.iter().take(rest as usize) {
        alloc[i] += 1;
    }
    let mut out = Vec::new();
    for (muni, &n) in alloc.iter().enumerate() {
        let parts = n.div_ceil(max_chunk).max(1);
        for part in 0..parts {
            let lo = n * part / parts;
            let hi = n * (part + 1) / parts;
            out.push(Chunk {
                index: out.len(),
                muni,
                part: part as u32,
                persons: hi - lo,
            });
        }
    }
    out
}

impl<'a> ChunkSim<'a> {
    pub fn new(model: &'a Model, seed: u64, chunk: &Chunk, dirty: f64) -> ChunkSim<'a> {
        let code = model.munis[chunk.muni].code as u64;
        ChunkSim {
            model,
            seed,
            rng: Rng::from_keys(&[seed, code, chunk.part as u64, 1]),
            balanced: Balanced::new(&[seed, code, chunk.part as u64, 3]),
            register_balanced: (0..model.registers.len())
                .map(|k| Balanced::new(&[seed, code, chunk.part as u64, 100 + k as u64]))
                .collect(),
            dirty_rng: Rng::from_keys(&[seed, code, chunk.part as u64, 2]),
            dirty,
            out: ChunkOut::new(model.files.len()),
            stays: Vec::new(),
            diags: Vec::new(),
            rx: Vec::new(),
            services: Vec::new(),
            num: itoa_buf::Buf::new(),
        }
    }

    pub fn run(mut self, chunk: &Chunk) -> ChunkOut {
        let start = date::jan1(self.model.from);
        let base_id = (chunk.index as u64 + 1) * 1_000_000;
        let mut queue: Vec<Person> = Vec::new();
        let mut next_local = 0u64;
        for _ in 0..chunk.persons {
            let k = self.rng.pick_cum(&self.model.age_cum);
            let (male, lo, hi) = self.model.age_cells[k];
            let age = if hi >= lo {
                self.rng.range(lo, hi)
            } else {
                (lo + (self.rng.exp() * 5.0) as i32).min(lo + 20)
            };
            let by = self.model.from - age - 1;
            let birth = date::jan1(by) + self.rng.range(1, 364);
            queue.push(Person {
                id: base_id + next_local,
                male,
                birth,
                start,
                muni: chunk.muni,
            });
            next_local += 1;
        }
        let mut i = 0;
        while i < queue.len() {
            let births = self.person(&queue[i]);
            for (day, muni) in births {
                let male = self.rng.chance(0.513);
                queue.push(Person {
                    id: base_id + next_local,
                    male,
                    birth: day,
                    start: day,
                    muni,
                });
                next_local += 1;
            }
            i += 1;
        }
        self.out.persons = queue.len() as u64;
        self.out
    }

    // ---- row writing ------------------------------------------------------------------------

    pub(super) fn id(&mut self, f: usize, id: u64) {
        self.num.push(&mut self.out.files[f], id);
    }
    pub(super) fn int(&mut self, f: usize, v: u64) {
        self.num.push(&mut self.out.files[f], v);
    }
    pub(super) fn s(&mut self, f: usize, s: &[u8]) {
        self.out.files[f].extend_from_slice(s);
    }
    pub(super) fn day(&mut self, f: usize, d: Day) {
        date::push(&mut self.out.files[f], d);
    }
    pub(super) fn c(&mut self, f: usize) {
        self.out.files[f].push(b',');
    }
    pub(super) fn muni(&mut self, f: usize, m: usize) {
        let code = &self.model.codes[m];
        self.out.files[f].extend_from_slice(code);
    }
    pub(super) fn sex(&mut self, f: usize, male: bool) {
        self.s(f, if male { b"M" } else { b"F" });
    }
    pub(super) fn end(&mut self, f: usize, row_start: usize) {
        self.out.files[f].push(b'\n');
        self.out.rows[f] += 1;
        if self.dirty > 0.0 && self.dirty_rng.chance(self.dirty) {
            crate::dirty::spoil(
                &mut self.dirty_rng,
                &mut self.out.files[f],
                row_start,
                MUNI_COLUMN[f],
            );
        }
    }
    pub(super) fn begin(&self, f: usize) -> usize {
        self.out.files[f].len()
    }

    // ---- the life of one person -------------------------------------------------------------
}

/// Days from discharge to the next acute admission of a readmitted patient: most in the first
/// week or two (1 + ⌊29·u^1.8⌋), with the boundaries of "within 30 days" among them so that the
/// rules' day counting is exercised at scale: 1 % on the day of discharge (day 0), 0.5 % on day
/// 30 (still a readmission) and 0.5 % on day 31 (no longer one). One draw as before, so no other
/// value of the generator moves.
pub(super) fn readmission_delay(rng: &mut Rng) -> i32 {
    let u = rng.f64();
    if u < 0.01 {
        0
    } else if u >= 0.995 {
        31
    } else if u >= 0.99 {
        30
    } else {
        1 + (29.0 * u.powf(1.8)).floor() as i32
    }
}

/// The share of [`readmission_delay`]'s delays that are readmissions (day 30 at most): the
/// calibrated readmission probabilities are divided by it.
pub(super) const READMISSION_DELAY_WITHIN_30: f64 = 0.995;
