//! Funnel-plot control limits: the range in which a unit's figure lies with probability
//! `confidence` if the unit performed exactly at the target, as a function of its size
//! (Spiegelhalter, "Funnel plots for comparing institutional performance", Statistics in
//! Medicine 2005; 24:1185-1202, appendix A.1).
//!
//! Limits are exact, from the binomial (proportions) or Poisson (rates, ratios) distribution at
//! the target, with the paper's interpolation between the integer counts so that the limits are
//! smooth in the unit's size: for the p-quantile r_p of the count distribution F,
//! α = (F(r_p) − p) / (F(r_p) − F(r_p − 1)) and the limit is (r_p − α) / size.
//! Where the interpolation would fall below zero (at r_p = 0, very small units) the lower limit is
//! 0: such a unit can never be "below".

use super::Interval;
use super::proportion::binomial_cdf;
use super::special::gamma_pq;

/// Where a unit's figure lies against its funnel limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Below,
    Inside,
    Above,
}

/// The position of `value` against `limits`: below the lower limit, above the upper one, or
/// inside (limits included).
pub fn position(value: f64, limits: Interval) -> Position {
    if value < limits.low {
        Position::Below
    } else if value > limits.high {
        Position::Above
    } else {
        Position::Inside
    }
}

/// Limits for a proportion (as a fraction) of a unit with `trials` cases, around the target
/// proportion `target` in (0, 1): the p-quantiles of Bin(trials, target) / trials for
/// p = (1 ∓ confidence)/2, interpolated. None when an input is out of range.
pub fn proportion_limits(target: f64, trials: f64, confidence: f64) -> Option<Interval> {
    if !(target > 0.0 && target < 1.0 && trials.is_finite() && trials > 0.0) {
        return None;
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let cdf = |r: f64| binomial_cdf(r, trials, target);
    let guess = trials * target;
    let (low_p, high_p) = tails(confidence);
    let low = interpolated_quantile(&cdf, low_p, guess, trials.floor()) / trials;
    let high = interpolated_quantile(&cdf, high_p, guess, trials.floor()) / trials;
    Some(Interval {
        low: low.max(0.0),
        high: high.min(1.0),
    })
}

/// Limits for a rate or a ratio of a unit with `exposure` (person-years, or the expected count
/// of an indirectly standardised ratio), around the target rate per unit of exposure (1 for a
/// ratio): the p-quantiles of Poisson(exposure · target) / exposure, interpolated. None when an
/// input is out of range.
pub fn poisson_limits(target: f64, exposure: f64, confidence: f64) -> Option<Interval> {
    if !(target > 0.0 && target.is_finite() && exposure.is_finite() && exposure > 0.0) {
        return None;
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let mean = exposure * target;
    // P(X ≤ r) = Q(r + 1, mean), the upper regularised incomplete gamma function.
    let cdf = |r: f64| {
        if r < 0.0 {
            0.0
        } else {
            gamma_pq(r + 1.0, mean).1
        }
    };
    let (low_p, high_p) = tails(confidence);
    let low = interpolated_quantile(&cdf, low_p, mean, f64::INFINITY) / exposure;
    let high = interpolated_quantile(&cdf, high_p, mean, f64::INFINITY) / exposure;
    Some(Interval {
        low: low.max(0.0),
        high,
    })
}

fn tails(confidence: f64) -> (f64, f64) {
    let alpha = 1.0 - confidence;
    (alpha / 2.0, 1.0 - alpha / 2.0)
}

/// r_p − α for the smallest integer r_p in [0, most] with F(r_p) ≥ p, searched from `guess`.
fn interpolated_quantile(cdf: &dyn Fn(f64) -> f64, p: f64, guess: f64, most: f64) -> f64 {
    let mut r = guess.floor().clamp(0.0, most);
    // Walk down while the count below still reaches p, up while this one does not.
    while r > 0.0 && cdf(r - 1.0) >= p {
        r -= 1.0;
    }
    while r < most && cdf(r) < p {
        r += 1.0;
    }
    let at = cdf(r);
    let below = cdf(r - 1.0);
    let alpha = if at > below {
        (at - p) / (at - below)
    } else {
        0.0
    };
    r - alpha
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel_close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs(), "{a} vs {b}");
    }

    /// Reference: Spiegelhalter (2005), appendix A.1.1, evaluated with SciPy 1.17.1:
    /// r = `binom.ppf(p, n, θ)`, F = `binom.cdf`, limit = (r − (F(r) − p)/(F(r) − F(r − 1)))/n.
    #[test]
    fn proportion_limits_match_reference_values() {
        let cases = [
            // target, n, confidence, low, high
            (0.1, 500.0, 0.95, 0.07344752831176213, 0.12601489889181833),
            (0.1, 500.0, 0.998, 0.059988686547691066, 0.14268931296443088),
            (0.3, 1234.0, 0.95, 0.2741752158063423, 0.3253224452794269),
            (0.3, 1234.0, 0.998, 0.2597520015256173, 0.34034400016607147),
            (0.1, 50.0, 0.95, 0.013862926957343676, 0.17972272762336444),
        ];
        for (target, n, c, low, high) in cases {
            let l = proportion_limits(target, n, c).unwrap();
            rel_close(l.low, low, 1e-9);
            rel_close(l.high, high, 1e-9);
        }
        // Where the interpolation falls below zero (r_p = 0) the lower limit is 0; the upper
        // limit is still the reference's 0.04939344523197319.
        let small = proportion_limits(0.02, 80.0, 0.95).unwrap();
        assert_eq!(small.low, 0.0);
        rel_close(small.high, 0.04939344523197319, 1e-9);
    }

    /// Reference: as above with `scipy.stats.poisson` at mean = exposure · target.
    #[test]
    fn poisson_limits_match_reference_values() {
        let cases = [
            (1.0, 20.0, 0.95, 0.560250051922442, 1.4372884335020133),
            (1.0, 20.0, 0.998, 0.35845935538852103, 1.7356764286899249),
            (1.0, 250.0, 0.95, 0.8759751149007841, 1.1238245173813433),
            (1.0, 250.0, 0.998, 0.8083533127913272, 1.1990906505380496),
            (
                0.002,
                10000.0,
                0.95,
                0.0011205001038448843,
                0.0028745768670040265,
            ),
        ];
        for (target, exposure, c, low, high) in cases {
            let l = poisson_limits(target, exposure, c).unwrap();
            rel_close(l.low, low, 1e-9);
            rel_close(l.high, high, 1e-9);
        }
        let small = poisson_limits(1.0, 3.5, 0.95).unwrap();
        assert_eq!(small.low, 0.0);
        rel_close(small.high, 2.029459063445244, 1e-9);
    }

    #[test]
    fn wider_confidence_gives_wider_limits_and_larger_units_narrower() {
        for n in [30.0, 300.0, 3000.0] {
            let l95 = proportion_limits(0.2, n, 0.95).unwrap();
            let l998 = proportion_limits(0.2, n, 0.998).unwrap();
            assert!(l998.low <= l95.low && l998.high >= l95.high);
            let bigger = proportion_limits(0.2, n * 10.0, 0.95).unwrap();
            assert!(bigger.low >= l95.low && bigger.high <= l95.high);
        }
    }

    #[test]
    fn positions() {
        let limits = Interval {
            low: 0.2,
            high: 0.4,
        };
        assert_eq!(position(0.1, limits), Position::Below);
        assert_eq!(position(0.2, limits), Position::Inside);
        assert_eq!(position(0.41, limits), Position::Above);
        assert!(proportion_limits(0.0, 10.0, 0.95).is_none());
        assert!(poisson_limits(1.0, 0.0, 0.95).is_none());
    }
}
