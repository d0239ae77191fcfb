//! Indirect standardisation: a unit's observed events against the events expected if its
//! population had the reference (usually national) rates, stratum by stratum.

use super::{Interval, byar, poisson_count_interval, poisson_exact};

/// One stratum of a unit for indirect standardisation: its observed events, its population (or
/// person-years) and the reference rate per unit of population in that stratum.
#[derive(Debug, Clone, Copy)]
pub struct ReferenceStratum {
    pub events: f64,
    pub population: f64,
    pub reference_rate: f64,
}

/// How the interval of an observed count is taken (the ratio's limits are these over E).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountMethod {
    /// Exact (Garwood) below 10 events, Byar from 10: the public-health convention.
    ExactBelowTenElseByar,
    Exact,
    Byar,
}

/// An indirectly standardised ratio with its interval, and the indirectly standardised rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Indirect {
    pub observed: f64,
    pub expected: f64,
    /// O / E.
    pub ratio: f64,
    pub ratio_interval: Interval,
    /// (O / E) · the reference's crude rate: the unit's rate on the reference's scale.
    pub rate: f64,
    pub rate_interval: Interval,
    /// Strata where the unit has events but the reference rate is 0 (so E gets nothing from
    /// them): the ratio is then not comparable, and the caller reports them.
    pub strata_without_reference: usize,
}

/// The standardised ratio O/E with E = Σ nᵢ·Rᵢ, limits (O_low/E, O_high/E) from the count
/// interval of O, and the indirectly standardised rate (O/E)·R with R the reference's crude rate
/// (`reference_crude_rate`, per unit of population). Breslow & Day (1987), vol. II, ch. 2.
///
/// None when E is 0, `strata` is empty, or an input is negative or not finite.
pub fn indirect_standardise(
    strata: &[ReferenceStratum],
    reference_crude_rate: f64,
    method: CountMethod,
    confidence: f64,
) -> Option<Indirect> {
    let ok = |v: f64| v.is_finite() && v >= 0.0;
    if strata.is_empty() || !ok(reference_crude_rate) {
        return None;
    }
    let mut observed = 0.0;
    let mut expected = 0.0;
    let mut strata_without_reference = 0;
    for s in strata {
        if !ok(s.events) || !ok(s.population) || !ok(s.reference_rate) {
            return None;
        }
        observed += s.events;
        expected += s.population * s.reference_rate;
        if s.reference_rate == 0.0 && s.events > 0.0 {
            strata_without_reference += 1;
        }
    }
    if expected <= 0.0 {
        return None;
    }
    let count = match method {
        CountMethod::ExactBelowTenElseByar => poisson_count_interval(observed, confidence),
        CountMethod::Exact => poisson_exact(observed, confidence),
        CountMethod::Byar => byar(observed, confidence),
    };
    let ratio = observed / expected;
    let ratio_interval = Interval {
        low: count.low / expected,
        high: count.high / expected,
    };
    Some(Indirect {
        observed,
        expected,
        ratio,
        ratio_interval,
        rate: ratio * reference_crude_rate,
        rate_interval: Interval {
            low: ratio_interval.low * reference_crude_rate,
            high: ratio_interval.high * reference_crude_rate,
        },
        strata_without_reference,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel_close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs(), "{a} vs {b}");
    }

    /// Three strata (events, population, reference rate): (5, 1000, 0.002), (12, 2000, 0.004),
    /// (6, 500, 0.01): E = 2 + 8 + 5 = 15, O = 23, ratio 23/15. Exact limits of O from SciPy
    /// 1.17.1 `chi2.ppf(0.025, 46)/2` = 14.580027037044678 and `chi2.ppf(0.975, 48)/2` =
    /// 34.51129289483303, over 15; Byar's from Breslow & Day's formula at z = 1.959963984540054.
    #[test]
    fn ratio_and_rate_against_reference_values() {
        let strata = [
            ReferenceStratum {
                events: 5.0,
                population: 1000.0,
                reference_rate: 0.002,
            },
            ReferenceStratum {
                events: 12.0,
                population: 2000.0,
                reference_rate: 0.004,
            },
            ReferenceStratum {
                events: 6.0,
                population: 500.0,
                reference_rate: 0.01,
            },
        ];
        let exact = indirect_standardise(&strata, 0.005, CountMethod::Exact, 0.95).unwrap();
        assert_eq!((exact.observed, exact.expected), (23.0, 15.0));
        rel_close(exact.ratio, 23.0 / 15.0, 1e-15);
        rel_close(exact.ratio_interval.low, 0.9720018024696452, 1e-9);
        rel_close(exact.ratio_interval.high, 2.3007528596555358, 1e-9);
        rel_close(exact.rate, 23.0 / 15.0 * 0.005, 1e-15);
        rel_close(exact.rate_interval.low, 0.004860009012348226, 1e-9);
        rel_close(exact.rate_interval.high, 0.011503764298277678, 1e-9);
        let byar = indirect_standardise(&strata, 0.005, CountMethod::Byar, 0.95).unwrap();
        rel_close(byar.ratio_interval.low, 0.971691378574252, 1e-12);
        rel_close(byar.ratio_interval.high, 2.300854018863196, 1e-12);
        // 23 events: the convention takes Byar.
        let default =
            indirect_standardise(&strata, 0.005, CountMethod::ExactBelowTenElseByar, 0.95).unwrap();
        assert_eq!(default.ratio_interval, byar.ratio_interval);
        assert_eq!(exact.strata_without_reference, 0);
    }

    #[test]
    fn events_where_the_reference_has_none_are_counted() {
        let strata = [
            ReferenceStratum {
                events: 2.0,
                population: 100.0,
                reference_rate: 0.0,
            },
            ReferenceStratum {
                events: 1.0,
                population: 100.0,
                reference_rate: 0.01,
            },
        ];
        let r = indirect_standardise(&strata, 0.01, CountMethod::Exact, 0.95).unwrap();
        assert_eq!(r.strata_without_reference, 1);
        assert!(indirect_standardise(&strata[..1], 0.01, CountMethod::Exact, 0.95).is_none());
        assert!(indirect_standardise(&[], 0.01, CountMethod::Exact, 0.95).is_none());
    }
}
