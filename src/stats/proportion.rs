//! Intervals for a proportion besides Wilson's (which stays the default, in the parent module):
//! the exact Clopper-Pearson interval and the normal (Wald) interval, and the binomial
//! distribution function the exact methods and the funnel limits share.

use super::special::{beta_inc_both, ln_gamma, solve_increasing};
use super::{Interval, z_for};

/// Clopper-Pearson "exact" interval for successes/trials, as fractions in [0, 1].
///
/// With α = 1 − confidence: low = B⁻¹(α/2; x, n − x + 1) (0 when x = 0), high =
/// B⁻¹(1 − α/2; x + 1, n − x) (1 when x = n), B⁻¹ the quantile of the beta distribution
/// (Clopper & Pearson, Biometrika 1934). Guaranteed coverage of at least `confidence`, at the
/// price of wider limits than Wilson's. Non-integer inputs are accepted (the beta quantiles take
/// any positive parameters). None when trials ≤ 0, successes is outside [0, trials] or an input
/// is not finite.
pub fn clopper_pearson(successes: f64, trials: f64, confidence: f64) -> Option<Interval> {
    if !(trials.is_finite() && successes.is_finite() && trials > 0.0) {
        return None;
    }
    if successes < 0.0 || successes > trials {
        return None;
    }
    let alpha = 1.0 - confidence;
    let low = if successes == 0.0 {
        0.0
    } else {
        beta_quantile(alpha / 2.0, successes, trials - successes + 1.0)
    };
    let high = if successes == trials {
        1.0
    } else {
        beta_quantile(1.0 - alpha / 2.0, successes + 1.0, trials - successes)
    };
    Some(Interval { low, high })
}

/// The normal ("Wald") interval p̂ ± z·√(p̂(1 − p̂)/n), cut to [0, 1].
///
/// Only for comparison with older publications: it collapses to a point at p̂ = 0 or 1 and
/// undercovers for small n. None as for [`clopper_pearson`].
pub fn wald(successes: f64, trials: f64, confidence: f64) -> Option<Interval> {
    if !(trials.is_finite() && successes.is_finite() && trials > 0.0) {
        return None;
    }
    if successes < 0.0 || successes > trials {
        return None;
    }
    let p = successes / trials;
    let half = z_for(confidence) * (p * (1.0 - p) / trials).sqrt();
    Some(Interval {
        low: (p - half).max(0.0),
        high: (p + half).min(1.0),
    })
}

/// Quantile of the beta distribution Beta(a, b): the x in [0, 1] with I_x(a, b) = q.
pub(crate) fn beta_quantile(q: f64, a: f64, b: f64) -> f64 {
    if q <= 0.0 {
        return 0.0;
    }
    if q >= 1.0 {
        return 1.0;
    }
    let ln_beta = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    let g = |x: f64| {
        let (i, _) = beta_inc_both(a, b, x, 1.0 - x);
        let density = ((a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - ln_beta).exp();
        (i - q, density)
    };
    // The mean is a good start; the solver brackets on [0, 1] whatever happens.
    solve_increasing(g, 0.0, 1.0, a / (a + b))
}

/// The binomial distribution function P(X ≤ r) for X ~ Bin(n, p): I_{1−p}(n − r, r + 1), 1 from
/// r = n on, 0 below r = 0. `n` may be non-integer (the continuous extension).
pub(crate) fn binomial_cdf(r: f64, n: f64, p: f64) -> f64 {
    if r < 0.0 {
        return 0.0;
    }
    if r >= n {
        return 1.0;
    }
    beta_inc_both(n - r, r + 1.0, 1.0 - p, p).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel_close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs(), "{a} vs {b}");
    }

    /// Reference: SciPy 1.17.1, `scipy.stats.beta.ppf(0.025, x, n - x + 1)` and
    /// `beta.ppf(0.975, x + 1, n - x)`; the first case is also the worked example of R's
    /// `binom.test(682, 925)` (Conover 1971), printed there as 0.7076683 0.7654066.
    #[test]
    fn clopper_pearson_matches_reference_values() {
        let cases = [
            (682.0, 925.0, 0.95, 0.707668264079039, 0.7654065582415253),
            (7.0, 20.0, 0.95, 0.1539092047845412, 0.5921885345328282),
            (
                3.0,
                1000.0,
                0.998,
                0.00019070598170852664,
                0.012996697147763747,
            ),
            (1.0, 2.0, 0.9, 0.025320565519103604, 0.9746794344808963),
        ];
        for (x, n, c, low, high) in cases {
            let i = clopper_pearson(x, n, c).unwrap();
            rel_close(i.low, low, 1e-9);
            rel_close(i.high, high, 1e-9);
        }
        // The ends: 0 of 10 and 10 of 10 (beta.ppf(0.975, 1, 10) = 0.3084971078187607).
        let none = clopper_pearson(0.0, 10.0, 0.95).unwrap();
        assert_eq!(none.low, 0.0);
        rel_close(none.high, 0.3084971078187607, 1e-9);
        let all = clopper_pearson(10.0, 10.0, 0.95).unwrap();
        rel_close(all.low, 0.6915028921812392, 1e-9);
        assert_eq!(all.high, 1.0);
        assert!(clopper_pearson(11.0, 10.0, 0.95).is_none());
        assert!(clopper_pearson(1.0, 0.0, 0.95).is_none());
    }

    /// Hand computation: p̂ = 7/20 = 0.35, √(0.35·0.65/20) = 0.1066536…, z = 1.959963984540054,
    /// half-width 0.2090373030953941.
    #[test]
    fn wald_by_hand() {
        let i = wald(7.0, 20.0, 0.95).unwrap();
        rel_close(i.low, 0.14096269690460586, 1e-12);
        rel_close(i.high, 0.5590373030953941, 1e-12);
        let at_zero = wald(0.0, 20.0, 0.95).unwrap();
        assert_eq!((at_zero.low, at_zero.high), (0.0, 0.0));
    }

    /// At x = 0 the upper limit has the closed form 1 − (α/2)^(1/n), at x = n the lower limit
    /// (α/2)^(1/n) (the binomial probability of all-or-nothing).
    #[test]
    fn clopper_pearson_closed_forms_at_the_ends() {
        for n in [1.0_f64, 4.0, 37.0, 1000.0] {
            for c in [0.9, 0.95, 0.998] {
                let edge = ((1.0 - c) / 2.0_f64).powf(1.0 / n);
                rel_close(clopper_pearson(0.0, n, c).unwrap().high, 1.0 - edge, 1e-9);
                rel_close(clopper_pearson(n, n, c).unwrap().low, edge, 1e-9);
            }
        }
    }
}
