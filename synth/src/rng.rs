//! A small seeded PRNG (SplitMix64) and the draws the generator needs. Written here so that the
//! byte stream of the extracts depends on nothing outside this crate.

/// SplitMix64 (Steele, Lea & Flood 2014): 64 bits of state, passes BigCrush, and any seed works.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

/// Mixes a value into a well-distributed 64-bit hash (the SplitMix64 finaliser).
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// A stream derived from several keys, e.g. (seed, municipality, part, purpose).
    pub fn from_keys(keys: &[u64]) -> Rng {
        let mut h = 0x6a09_e667_f3bc_c908u64;
        for &k in keys {
            h = mix(h ^ mix(k.wrapping_add(0x9e37_79b9_7f4a_7c15)));
        }
        Rng { state: h }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Uniform integer in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + self.below((hi - lo + 1) as u64) as i32
    }

    /// Exponential with mean 1.
    pub fn exp(&mut self) -> f64 {
        -(1.0 - self.f64()).ln()
    }

    /// Standard normal (Box-Muller, one value per call).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Index drawn from cumulative weights (last element = total).
    pub fn pick_cum(&mut self, cum: &[f64]) -> usize {
        let x = self.f64() * cum[cum.len() - 1];
        cum.partition_point(|&c| c <= x).min(cum.len() - 1)
    }

    /// Picks from (item, weight) pairs.
    pub fn pick<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.f64() * total;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

/// Yes/no outcomes drawn by systematic sampling within one unit of work, so that the number of
/// events of a kind comes within one of its expectation instead of scattering binomially.
///
/// Each kind of outcome (a key: the outcome, and whatever it is tallied by, such as the
/// municipality and year) has an accumulator that starts at a uniform random offset; each draw
/// adds its probability and is an event when the accumulator passes a whole number. Every single
/// draw is still an event with exactly its probability (the offset is uniform), but the events
/// of a key are spread evenly over its draws. The published figures are the generator's truth,
/// so this brings a unit's figure close to its target rather than one binomial draw away.
#[derive(Debug, Clone)]
pub struct Balanced {
    base: u64,
    accumulators: std::collections::HashMap<[u64; 4], f64>,
}

impl Balanced {
    /// The accumulators of one unit of work, their offsets drawn from `keys`.
    pub fn new(keys: &[u64]) -> Balanced {
        Balanced {
            base: Rng::from_keys(keys).next_u64(),
            accumulators: std::collections::HashMap::new(),
        }
    }

    /// An event with probability `p`, balanced with the other draws of the same `key`.
    pub fn chance(&mut self, key: [u64; 4], p: f64) -> bool {
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        let acc = self.accumulator(key);
        *acc += p;
        if *acc >= 1.0 {
            *acc -= 1.0;
            true
        } else {
            false
        }
    }

    /// A uniform variate in [0, 1) from the additive recurrence of the golden ratio, started at
    /// a random offset for each `key`: each value is uniform, and the values of a key fill the
    /// interval evenly, so that a mean of answers or waiting times drawn through them comes
    /// close to its expectation. Keys must not be shared with [`Balanced::chance`].
    pub fn uniform(&mut self, key: [u64; 4]) -> f64 {
        // The fractional part of the golden ratio: the most evenly spreading step.
        const STEP: f64 = 0.618_033_988_749_894_9;
        let acc = self.accumulator(key);
        *acc += STEP;
        if *acc >= 1.0 {
            *acc -= 1.0;
        }
        *acc
    }

    /// The accumulator of `key`, started at its random offset on first use.
    fn accumulator(&mut self, key: [u64; 4]) -> &mut f64 {
        let base = self.base;
        self.accumulators.entry(key).or_insert_with(|| {
            let mut keys = vec![base];
            keys.extend_from_slice(&key);
            Rng::from_keys(&keys).f64()
        })
    }
}

/// The standard normal quantile of `p` (Acklam's rational approximation, relative error below
/// 1.2e-9), for turning a uniform variate into a normal one.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_counts_stay_within_one_of_the_expectation() {
        let mut b = Balanced::new(&[7]);
        let mut rng = Rng::from_keys(&[8]);
        let mut expected = 0.0;
        let mut events = 0u32;
        for _ in 0..10_000 {
            let p = rng.f64() * 0.2;
            expected += p;
            events += b.chance([1, 0, 0, 0], p) as u32;
            assert!((events as f64 - expected).abs() <= 1.0);
        }
    }

    #[test]
    fn normal_quantiles_match_the_tables() {
        for (p, z) in [
            (0.5, 0.0),
            (0.975, 1.959_963_985),
            (0.025, -1.959_963_985),
            (0.99, 2.326_347_874),
            (0.001, -3.090_232_306),
            (0.8413447461, 1.0),
        ] {
            assert!(
                (normal_quantile(p) - z).abs() < 1e-7,
                "{p}: {}",
                normal_quantile(p)
            );
        }
    }

    #[test]
    fn balanced_uniforms_fill_the_interval_evenly() {
        let mut b = Balanced::new(&[5]);
        let n = 1_000;
        let u: Vec<f64> = (0..n).map(|_| b.uniform([9, 0, 0, 0])).collect();
        let mean = u.iter().sum::<f64>() / n as f64;
        // Independent draws would miss 0.5 by about 0.009 (one standard error).
        assert!((mean - 0.5).abs() < 0.002, "{mean}");
        for k in 0..10 {
            let lo = k as f64 / 10.0;
            let in_bin = u.iter().filter(|&&x| x >= lo && x < lo + 0.1).count();
            assert!((in_bin as i64 - 100).abs() <= 2, "bin {k}: {in_bin}");
        }
    }

    #[test]
    fn balanced_draws_keep_their_probability() {
        // Over many units of work, the first draw of a key is an event with its probability.
        let hits = (0..20_000u64)
            .filter(|&k| Balanced::new(&[k]).chance([3, 1, 4, 1], 0.3))
            .count();
        assert!((hits as f64 / 20_000.0 - 0.3).abs() < 0.015);
    }

    #[test]
    fn streams_differ_and_repeat() {
        let mut a = Rng::from_keys(&[1, 101, 0]);
        let mut b = Rng::from_keys(&[1, 101, 0]);
        let mut c = Rng::from_keys(&[2, 101, 0]);
        let xa: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let xc: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
        let mean = (0..10_000).map(|_| a.f64()).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02);
    }
}
