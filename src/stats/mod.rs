//! General statistical methods for indicators: quantiles of the normal, t and chi-square
//! distributions; intervals for proportions, counts, rates, directly standardised rates, means
//! and medians; and (in [`lifetable`]) life expectancy by Chiang's method.
//!
//! Pure functions on `f64`, no I/O and no numeric dependencies. Every formula is written out in
//! the item's documentation and in `docs/methods.md`. `confidence` is always a two-sided level
//! in (0, 1) such as 0.95 (the conventional default of the report; callers pass it explicitly).
//!
//! Conventions (public-health practice, after PHE/APHO "Technical Briefing 3"):
//! proportions: Wilson score; counts and crude rates: exact (Garwood) below 10 events, Byar
//! from 10; directly standardised rates: Dobson et al. (1991); means: Student t; medians: order
//! statistics (binomial); life expectancy: Chiang II with the Silcocks open-interval variance.

pub mod funnel;
pub mod indirect;
pub mod lifetable;
pub mod proportion;
mod special;

use special::{beta_inc_both, gamma_pq, ln_gamma, normal_cdf, solve_increasing};

/// A two-sided confidence interval, `low ≤ high`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// Standard normal quantile (inverse CDF), p in (0,1); accurate to ~1e-9 (e.g. Acklam + one Halley refinement step).
///
/// Acklam's rational approximation (relative error < 1.15e-9) followed by one Halley step
/// x ← x − u / (1 + x·u/2), u = (Φ(x) − p)·√(2π)·exp(x²/2), with Φ computed from the incomplete
/// gamma function; the result is accurate to ~1e-15 relative. Upper-half p is computed as
/// −normal_quantile(1 − p) so both tails are handled on the side where Φ is small.
/// Returns −∞ for p = 0, +∞ for p = 1 and NaN outside [0, 1].
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        return -normal_quantile(1.0 - p);
    }
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
    const P_LOW: f64 = 0.024_25;
    let x = if p < P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // One Halley step on Φ(x) − p = 0.
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (0.5 * x * x).exp();
    x - u / (1.0 + 0.5 * x * u)
}

/// Two-sided z for a confidence level such as 0.95 (→ 1.959964…).
///
/// z = Φ⁻¹(1 − (1 − confidence)/2), computed as −Φ⁻¹((1 − confidence)/2) for accuracy.
pub fn z_for(confidence: f64) -> f64 {
    -normal_quantile((1.0 - confidence) / 2.0)
}

/// Student t quantile with `df` degrees of freedom (df may be non-integer ≥ 1); via the regularized incomplete beta function and its inversion.
///
/// The upper tail is S(t) = ½·I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0; the quantile solves S(t) = 1 − p by
/// safeguarded Newton iteration (derivative: the t density), started from Hill's expansion
/// t ≈ z + g₁/ν + g₂/ν² + g₃/ν³ + g₄/ν⁴ (A&S 26.7.5), which is returned directly for ν > 1e7.
/// Symmetric: t_p = −t_{1−p}. Works for any df > 0 (±∞ at p = 0, 1); NaN when df ≤ 0 or p is
/// outside [0, 1].
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if p.is_nan() || df.is_nan() || df <= 0.0 || p <= 0.0 || p >= 1.0 {
        return if df > 0.0 && p == 0.0 {
            f64::NEG_INFINITY
        } else if df > 0.0 && p == 1.0 {
            f64::INFINITY
        } else {
            f64::NAN
        };
    }
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    let z = normal_quantile(p);
    // Hill's expansion (Abramowitz & Stegun 26.7.5), the starting point; for df > 1e7 its
    // truncation error (~df⁻⁵) is far below f64 precision and it is returned as is.
    let (z2, nu) = (z * z, df);
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    let guess = z + (g1 + (g2 + (g3 + g4 / nu) / nu) / nu) / nu;
    if df > 1e7 {
        return guess;
    }
    let alpha = 1.0 - p; // target upper-tail probability, < 0.5
    let half_nu = 0.5 * df;
    let ln_pi = std::f64::consts::PI.ln();
    // ln Γ((ν+1)/2) − ln Γ(ν/2), and ln B(ν/2, ½) = ln Γ(½) − that.
    let d = special::ln_gamma_half_ratio(half_nu);
    let ln_beta = 0.5 * ln_pi - d;
    let log_norm = d - 0.5 * (df.ln() + ln_pi);
    // g(t) = α − S(t) is increasing in t; g'(t) = density f(t).
    let g = |t: f64| {
        let t2 = t * t;
        let ln1p = (t2 / df).ln_1p(); // −ln x, x = ν/(ν + t²)
        let x = df / (df + t2);
        let y = t2 / (df + t2);
        let ln_y = 2.0 * t.ln() - (df + t2).ln();
        let ln_front = -half_nu * ln1p + 0.5 * ln_y - ln_beta;
        let (i, _) = special::beta_inc_with_front(half_nu, 0.5, x, y, ln_front);
        let density = (log_norm - (half_nu + 0.5) * ln1p).exp();
        (alpha - 0.5 * i, density)
    };
    let mut hi = guess.max(1.0);
    while g(hi).0 < 0.0 && hi < 1e300 {
        hi *= 2.0;
    }
    solve_increasing(g, 0.0, hi, guess)
}

/// Chi-square quantile (via the inverse regularized lower incomplete gamma).
///
/// F(x) = P(k/2, x/2); the quantile solves F(x) = p (or, for p > ½, Q(k/2, x/2) = 1 − p, to keep
/// precision) by safeguarded Newton iteration started from the Wilson–Hilferty approximation
/// x ≈ k·(1 − 2/(9k) + z·√(2/(9k)))³, or from the small-x expansion x ≈ 2·(p·Γ(k/2 + 1))^{2/k}
/// when that is not positive. Any df > 0; NaN when df ≤ 0 or p outside [0, 1).
pub fn chi_square_quantile(p: f64, df: f64) -> f64 {
    if p.is_nan() || df.is_nan() || df <= 0.0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return 0.0;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let k = 0.5 * df;
    let log_norm = -k * std::f64::consts::LN_2 - ln_gamma(k);
    let upper = p > 0.5;
    let g = |x: f64| {
        let (lower_p, upper_q) = gamma_pq(k, 0.5 * x);
        let density = if x > 0.0 {
            (log_norm + (k - 1.0) * x.ln() - 0.5 * x).exp()
        } else {
            f64::INFINITY
        };
        let value = if upper {
            (1.0 - p) - upper_q
        } else {
            lower_p - p
        };
        (value, density)
    };
    let z = normal_quantile(p);
    let h = 2.0 / (9.0 * df);
    let wh = df * (1.0 - h + z * h.sqrt()).powi(3);
    let guess = if wh > 0.0 && wh.is_finite() {
        wh
    } else {
        2.0 * (p * ln_gamma(k + 1.0).exp()).powf(1.0 / k)
    };
    let mut hi = guess.max(df).max(1.0);
    while g(hi).0 < 0.0 && hi < 1e300 {
        hi *= 2.0;
    }
    solve_increasing(g, 0.0, hi, guess)
}

/// Wilson score interval for a proportion successes/trials, as fractions in [0,1]. None when trials <= 0. Handles successes == 0 and == trials.
///
/// With p̂ = x/n and z = z_for(confidence):
/// centre = (p̂ + z²/(2n)) / (1 + z²/n), half = z/(1 + z²/n) · √(p̂(1 − p̂)/n + z²/(4n²)),
/// interval = centre ± half. At x = 0 the lower limit is exactly 0 (upper z²/(n + z²)); at x = n
/// the upper limit is exactly 1. Also None when successes is outside [0, trials] or any input is
/// not finite. Non-integer inputs are accepted (used for weighted proportions).
pub fn wilson(successes: f64, trials: f64, confidence: f64) -> Option<Interval> {
    if !(trials.is_finite() && trials > 0.0 && successes.is_finite()) {
        return None;
    }
    if successes < 0.0 || successes > trials {
        return None;
    }
    Some(wilson_p(successes / trials, trials, confidence))
}

/// Wilson interval from a proportion p̂ ∈ [0, 1] and a (possibly effective) sample size n > 0.
fn wilson_p(p: f64, n: f64, confidence: f64) -> Interval {
    let z = z_for(confidence);
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let low = if p <= 0.0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if p >= 1.0 {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    Interval { low, high }
}

/// Exact (Garwood, chi-square based) interval for a Poisson count; low = 0 when events == 0.
///
/// low = χ²_{α/2}(2O)/2, high = χ²_{1−α/2}(2O + 2)/2, α = 1 − confidence (Garwood 1936; the
/// "χ² exact method" of the PHE technical guidance). Non-integer O is accepted (the chi-square
/// quantiles take any df > 0). NaN limits when events < 0 or is not finite.
pub fn poisson_exact(events: f64, confidence: f64) -> Interval {
    if !(events.is_finite() && events >= 0.0) {
        return Interval {
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    let alpha = 1.0 - confidence;
    let low = if events == 0.0 {
        0.0
    } else {
        chi_square_quantile(alpha / 2.0, 2.0 * events) / 2.0
    };
    let high = chi_square_quantile(1.0 - alpha / 2.0, 2.0 * events + 2.0) / 2.0;
    Interval { low, high }
}

/// Byar's approximation to the Poisson interval for a count.
///
/// low = O·(1 − 1/(9O) − z/(3√O))³, high = (O + 1)·(1 − 1/(9(O + 1)) + z/(3√(O + 1)))³
/// (Breslow & Day 1987, vol. II). For O = 0 the lower limit is 0, and a lower limit that would be
/// negative (O < ~1) is truncated at 0. NaN limits when events < 0 or is not finite.
pub fn byar(events: f64, confidence: f64) -> Interval {
    if !(events.is_finite() && events >= 0.0) {
        return Interval {
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    let z = z_for(confidence);
    let o = events;
    let low = if o == 0.0 {
        0.0
    } else {
        let base = 1.0 - 1.0 / (9.0 * o) - z / (3.0 * o.sqrt());
        if base <= 0.0 { 0.0 } else { o * base.powi(3) }
    };
    let o1 = o + 1.0;
    let high = o1 * (1.0 - 1.0 / (9.0 * o1) + z / (3.0 * o1.sqrt())).powi(3);
    Interval { low, high }
}

/// The public-health convention for a count: exact below 10 events, Byar from 10.
pub fn poisson_count_interval(events: f64, confidence: f64) -> Interval {
    if events < 10.0 {
        poisson_exact(events, confidence)
    } else {
        byar(events, confidence)
    }
}

/// Interval for a crude rate events/exposure (per unit of exposure; caller multiplies by its factor). None when exposure <= 0.
///
/// (O_low/E, O_high/E) with (O_low, O_high) = poisson_count_interval(O). Also None when events
/// is negative or an input is not finite.
pub fn rate_interval(events: f64, exposure: f64, confidence: f64) -> Option<Interval> {
    if !(exposure.is_finite() && exposure > 0.0 && events.is_finite() && events >= 0.0) {
        return None;
    }
    let c = poisson_count_interval(events, confidence);
    Some(Interval {
        low: c.low / exposure,
        high: c.high / exposure,
    })
}

/// Interval for a sum of amounts (days, kroner) that arrive as Poisson events of varying size:
/// sum ± z·√(Σ amount²), the normal approximation to a compound Poisson sum, kept at or above
/// 0. None when there is nothing to sum or an input is not finite or negative.
pub fn compound_sum_interval(sum: f64, amount_squares: f64, confidence: f64) -> Option<Interval> {
    if !(sum.is_finite() && amount_squares.is_finite() && sum > 0.0 && amount_squares > 0.0) {
        return None;
    }
    let half = z_for(confidence) * amount_squares.sqrt();
    Some(Interval {
        low: (sum - half).max(0.0),
        high: sum + half,
    })
}

/// One stratum of a directly standardised rate: observed events and population in the unit, and the standard population's weight (any positive scale; normalised inside).
#[derive(Debug, Clone, Copy)]
pub struct Stratum {
    pub events: f64,
    pub population: f64,
    pub standard_weight: f64,
}

/// A directly standardised rate (per unit of population, as a fraction) with its interval.
///
/// `empty_strata` counts strata with population 0 and a positive standard weight (they
/// contribute rate 0, their weight stays in the total); `events` and `population` are the unit's
/// totals over all strata.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standardised {
    pub rate: f64,
    pub interval: Interval,
    pub empty_strata: usize,
    pub events: f64,
    pub population: f64,
}

/// Directly standardised rate (per unit of population, as a fraction) with Dobson et al. (1991) interval (using poisson_count_interval on the total events).
///
/// With normalised weights wᵢ = Wᵢ/ΣW, stratum rates rᵢ = Oᵢ/nᵢ (0 when nᵢ = 0), O = ΣOᵢ:
/// DSR = Σ wᵢ rᵢ; var(DSR) = Σ wᵢ² Oᵢ/nᵢ²;
/// limits = DSR + √(var(DSR)/O) · (O_lim − O), (O_low, O_high) = poisson_count_interval(O);
/// the lower limit is truncated at 0.
///
/// Empty-stratum policy: a stratum with population 0 contributes rate 0 and its standard weight
/// is KEPT in ΣW (so the DSR stays comparable across units: it is the rate the standard
/// population would have if the empty strata had no events); such strata with a positive weight
/// are counted in `empty_strata` for the caller to report.
///
/// Zero events (O = 0): Dobson's factor √(var/O) is 0/0; its value when events are proportional
/// to population, √(Σ_{nᵢ>0} wᵢ²/nᵢ / N) with N = Σnᵢ, is used instead, so the interval is
/// (0, factor·O_high) — for a unit standardised to its own population this is exactly the crude
/// rate's interval.
///
/// None when the total population is 0, when `strata` is empty, when an input is negative or not
/// finite, when the weights sum to 0, or when a stratum has events but population 0.
pub fn direct_standardise(strata: &[Stratum], confidence: f64) -> Option<Standardised> {
    dobson(strata, None, confidence)
}

/// A directly standardised rate whose events are not independent: one person may have several
/// events (admissions, prescriptions). `event_squares[i]` is Σ f² over the persons of stratum
/// i, f a person's number of events in the stratum (Σ f = the stratum's events).
///
/// As [`direct_standardise`] with the variance of each stratum's count taken over persons rather
/// than events: var(DSR) = Σ wᵢ² (Σ f²)ᵢ / nᵢ², and the Dobson limits
/// DSR + √(var(DSR)/O) · (O_lim − O) as before (the frequency-weighted variant of Dobson et al.
/// used for non-independent events in public-health practice). With every f = 1 it is
/// [`direct_standardise`]. None also when `event_squares` does not match `strata` in length, or
/// a square sum is smaller than its events (Σ f² ≥ Σ f for whole f).
pub fn direct_standardise_repeated(
    strata: &[Stratum],
    event_squares: &[f64],
    confidence: f64,
) -> Option<Standardised> {
    if event_squares.len() != strata.len()
        || strata
            .iter()
            .zip(event_squares)
            .any(|(s, &q)| !(q.is_finite() && q >= s.events))
    {
        return None;
    }
    dobson(strata, Some(event_squares), confidence)
}

fn dobson(
    strata: &[Stratum],
    event_squares: Option<&[f64]>,
    confidence: f64,
) -> Option<Standardised> {
    let mut total_weight = 0.0;
    let mut events = 0.0;
    let mut population = 0.0;
    for s in strata {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if !ok(s.events) || !ok(s.population) || !ok(s.standard_weight) {
            return None;
        }
        if s.population == 0.0 && s.events > 0.0 {
            return None;
        }
        total_weight += s.standard_weight;
        events += s.events;
        population += s.population;
    }
    if population <= 0.0 || total_weight <= 0.0 {
        return None;
    }
    let mut rate = 0.0;
    let mut variance = 0.0;
    let mut null_variance = 0.0; // Σ w²/n, for the zero-event factor
    let mut empty_strata = 0;
    for (i, s) in strata.iter().enumerate() {
        let w = s.standard_weight / total_weight;
        if s.population == 0.0 {
            if s.standard_weight > 0.0 {
                empty_strata += 1;
            }
            continue;
        }
        rate += w * s.events / s.population;
        let count_variance = event_squares.map_or(s.events, |q| q[i]);
        variance += w * w * count_variance / (s.population * s.population);
        null_variance += w * w / s.population;
    }
    let count = poisson_count_interval(events, confidence);
    let factor = if events > 0.0 {
        (variance / events).sqrt()
    } else {
        (null_variance / population).sqrt()
    };
    let interval = Interval {
        low: (rate + factor * (count.low - events)).max(0.0),
        high: rate + factor * (count.high - events),
    };
    Some(Standardised {
        rate,
        interval,
        empty_strata,
        events,
        population,
    })
}

/// A mean with its t-interval. `interval` is None when it cannot be computed (n < 2, or an
/// effective sample size ≤ 1 for weighted data). `n` is the number of values; `sum_weights` is
/// Σw (n when unweighted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mean {
    pub mean: f64,
    pub interval: Option<Interval>,
    pub n: usize,
    pub sum_weights: f64,
}

/// Mean with a t-interval; weights optional (None = unweighted). For weighted data use the weighted mean, the weighted variance with the Kish effective sample size n_eff = (Σw)²/Σw² and df = n_eff − 1.
///
/// Unweighted: x̄ = Σx/n, s² = Σ(x − x̄)²/(n − 1), x̄ ± t_{1−α/2, n−1}·s/√n.
/// Weighted (sampling weights, not frequency weights): x̄_w = Σwx/Σw,
/// s_w² = [Σw(x − x̄_w)²/Σw]·n_eff/(n_eff − 1), x̄_w ± t_{1−α/2, n_eff−1}·s_w/√n_eff;
/// with equal weights this is exactly the unweighted interval.
///
/// None for empty input, mismatched lengths, non-finite values, negative or non-finite weights,
/// or Σw = 0. The interval is None when n < 2 or n_eff ≤ 1.
pub fn mean(values: &[f64], weights: Option<&[f64]>, confidence: f64) -> Option<Mean> {
    let n = values.len();
    if n == 0 || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    match weights {
        None => {
            let m = values.iter().sum::<f64>() / n as f64;
            let interval = (n >= 2).then(|| {
                let ss: f64 = values.iter().map(|x| (x - m) * (x - m)).sum();
                let se = (ss / (n as f64 - 1.0) / n as f64).sqrt();
                let t = t_quantile(1.0 - (1.0 - confidence) / 2.0, n as f64 - 1.0);
                Interval {
                    low: m - t * se,
                    high: m + t * se,
                }
            });
            Some(Mean {
                mean: m,
                interval,
                n,
                sum_weights: n as f64,
            })
        }
        Some(w) => {
            if w.len() != n || w.iter().any(|w| !w.is_finite() || *w < 0.0) {
                return None;
            }
            let sw: f64 = w.iter().sum();
            if sw <= 0.0 {
                return None;
            }
            let m = values.iter().zip(w).map(|(x, w)| w * x).sum::<f64>() / sw;
            let n_eff = effective_n(w);
            let interval = (n >= 2 && n_eff > 1.0).then(|| {
                let ss: f64 = values
                    .iter()
                    .zip(w)
                    .map(|(x, w)| w * (x - m) * (x - m))
                    .sum();
                let var = ss / sw * n_eff / (n_eff - 1.0);
                let se = (var / n_eff).sqrt();
                let t = t_quantile(1.0 - (1.0 - confidence) / 2.0, n_eff - 1.0);
                Interval {
                    low: m - t * se,
                    high: m + t * se,
                }
            });
            Some(Mean {
                mean: m,
                interval,
                n,
                sum_weights: sw,
            })
        }
    }
}

/// A median with its distribution-free interval (None when n is too small for the requested
/// confidence: 0.5^(n−1) > 1 − confidence, i.e. n < 6 at 95 %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Median {
    pub median: f64,
    pub interval: Option<Interval>,
    pub n: usize,
}

/// Median (average of the two middle values for even n) with a distribution-free interval from order statistics (binomial, as in Conover / Campbell & Gardner); None for empty input. Input need not be sorted.
///
/// With x₍₁₎ ≤ … ≤ x₍ₙ₎ and K ~ Binomial(n, ½): k is the largest integer with P(K ≤ k) ≤ α/2;
/// the interval is (x₍ₖ₊₁₎, x₍ₙ₋ₖ₎), whose exact coverage 1 − 2·P(K ≤ k) is ≥ confidence
/// (conservative; Campbell & Gardner's table for n ≤ 100 uses the same rule). P(K ≤ k) is
/// computed as I_{½}(n − k, k + 1). None also when any value is not finite.
pub fn median(values: &[f64], confidence: f64) -> Option<Median> {
    let n = values.len();
    if n == 0 || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut x = values.to_vec();
    x.sort_by(f64::total_cmp);
    let med = if n % 2 == 1 {
        x[n / 2]
    } else {
        0.5 * (x[n / 2 - 1] + x[n / 2])
    };
    let half_alpha = (1.0 - confidence) / 2.0;
    let tol = 1e-12;
    // P(K ≤ k) for K ~ Bin(n, ½).
    let cdf = |k: usize| -> f64 { beta_inc_both((n - k) as f64, k as f64 + 1.0, 0.5, 0.5).0 };
    let interval = if cdf(0) > half_alpha + tol {
        None
    } else {
        // Binary search for the largest k in [0, (n−1)/2] with cdf(k) ≤ α/2.
        let (mut lo, mut hi) = (0usize, (n - 1) / 2);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if cdf(mid) <= half_alpha + tol {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Some(Interval {
            low: x[lo],
            high: x[n - 1 - lo],
        })
    };
    Some(Median {
        median: med,
        interval,
        n,
    })
}

/// Kish effective sample size.
///
/// n_eff = (Σw)²/Σw²; 0 when all weights are 0 (or the slice is empty).
pub fn effective_n(weights: &[f64]) -> f64 {
    let s: f64 = weights.iter().sum();
    let s2: f64 = weights.iter().map(|w| w * w).sum();
    if s2 > 0.0 { s * s / s2 } else { 0.0 }
}

/// Weighted proportion with a Wilson interval on the effective sample size.
///
/// p̂ = weighted_successes/weighted_trials; the Wilson formula with n = effective_n. None when
/// weighted_trials ≤ 0, effective_n ≤ 0, p̂ is outside [0, 1] or an input is not finite.
pub fn weighted_proportion(
    weighted_successes: f64,
    weighted_trials: f64,
    effective_n: f64,
    confidence: f64,
) -> Option<(f64, Interval)> {
    let finite =
        weighted_trials.is_finite() && effective_n.is_finite() && weighted_successes.is_finite();
    if !(finite && weighted_trials > 0.0 && effective_n > 0.0) {
        return None;
    }
    let p = weighted_successes / weighted_trials;
    if !(0.0..=1.0).contains(&p) {
        return None;
    }
    Some((p, wilson_p(p, effective_n, confidence)))
}

#[cfg(test)]
mod tests;
