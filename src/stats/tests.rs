//! Tests for the statistics module. Each expected value carries its arithmetic or its source.

use super::*;
use proptest::prelude::*;

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol, "{a} vs {b} (tol {tol})");
}

fn rel_close(a: f64, b: f64, tol: f64) {
    assert!(
        (a - b).abs() <= tol * b.abs().max(f64::MIN_POSITIVE),
        "{a} vs {b} (relative tol {tol})"
    );
}

// ---------------------------------------------------------------- quantiles

/// Reference values: standard normal tables (Abramowitz & Stegun table 26.5 / R `qnorm`).
#[test]
fn normal_quantiles() {
    close(normal_quantile(0.975), 1.959963984540054, 1e-12);
    close(normal_quantile(0.025), -1.959963984540054, 1e-12);
    close(normal_quantile(0.5), 0.0, 1e-15);
    close(normal_quantile(0.9), 1.281551565544601, 1e-12);
    close(normal_quantile(0.995), 2.575829303548901, 1e-12);
    close(normal_quantile(0.999), 3.090232306167813, 1e-12);
    close(normal_quantile(0.8413447460685429), 1.0, 1e-12); // Φ(1) = 0.8413447460685429
    close(normal_quantile(1e-10), -6.361340902404056, 1e-9);
    assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
    assert_eq!(normal_quantile(1.0), f64::INFINITY);
    assert!(normal_quantile(1.5).is_nan());
    // Round trip through Φ across the range, including the Acklam region boundaries.
    for p in [
        1e-300, 1e-20, 1e-5, 0.02425, 0.1, 0.3, 0.6, 0.97575, 0.99999,
    ] {
        rel_close(special::normal_cdf(normal_quantile(p)), p, 1e-12);
    }
}

#[test]
fn z_for_levels() {
    close(z_for(0.95), 1.959963984540054, 1e-12);
    close(z_for(0.90), 1.644853626951472, 1e-12);
    close(z_for(0.998), 3.090232306167813, 1e-12); // 99.8 % limits used in funnel plots
    close(z_for(0.99), 2.575829303548901, 1e-12);
}

/// Reference values: Student t tables (Fisher & Yates; R `qt`). df = 1 and 2 have closed forms:
/// t = tan(π(p − ½)) and t = (2p − 1)·√(2/(4p(1 − p))).
#[test]
fn t_quantiles() {
    close(t_quantile(0.975, 10.0), 2.228138851986274, 1e-9);
    // df = 1: tan(0.475π) = 12.706204736174…
    close(t_quantile(0.975, 1.0), 12.706204736174707, 1e-8);
    // df = 2: 0.95·√(2/0.0975) = 0.95·4.529108136 = 4.302652730.
    close(t_quantile(0.975, 2.0), 4.302652729911275, 1e-9);
    close(t_quantile(0.975, 7.0), 2.364624251592785, 1e-9);
    close(t_quantile(0.975, 30.0), 2.042272456301238, 1e-9);
    close(t_quantile(0.995, 5.0), 4.032142983557536, 1e-9);
    close(t_quantile(0.95, 20.0), 1.724718242920787, 1e-9);
    close(t_quantile(0.025, 10.0), -2.228138851986274, 1e-9);
    close(t_quantile(0.5, 3.0), 0.0, 0.0);
    // Very large df tends to the normal quantile.
    close(t_quantile(0.975, 1e9), 1.959963984540054, 1e-7);
    assert!(t_quantile(0.975, 0.0).is_nan());
}

/// Large df: the incomplete-beta path (df ≤ 1e7) agrees with Hill's expansion (A&S 26.7.5),
/// whose truncation error at these df is below 1e-13. t(0.975, 1e6) ≈ z + (z³ + z)/(4·1e6)
/// = 1.959963985 + (7.529055 + 1.959964)/4e6 = 1.959963985 + 2.372255e-6 = 1.959966357.
#[test]
fn t_quantile_large_df() {
    let z = 1.959963984540054_f64;
    let hill = |nu: f64| {
        let z2 = z * z;
        let g1 = (z2 + 1.0) * z / 4.0;
        let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
        let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
        z + g1 / nu + g2 / (nu * nu) + g3 / (nu * nu * nu)
    };
    close(t_quantile(0.975, 1e6), 1.959966357, 1e-9);
    for nu in [1e3, 1e4, 1e5, 1e6, 9.9e6, 1.01e7, 1e12] {
        close(t_quantile(0.975, nu), hill(nu), 1e-11);
    }
}

/// Non-integer df: check the quantile against an independent Simpson integration of the t
/// density, ∫₀ᵗ f(u) du = p − ½.
#[test]
fn t_quantile_non_integer_df_matches_integrated_density() {
    for df in [1.5_f64, 2.5, 4.2, 17.3] {
        for p in [0.9, 0.975, 0.995] {
            let t = t_quantile(p, df);
            let c = (ln_gamma((df + 1.0) / 2.0)
                - ln_gamma(df / 2.0)
                - 0.5 * (df * std::f64::consts::PI).ln())
            .exp();
            let f = |u: f64| c * (1.0 + u * u / df).powf(-(df + 1.0) / 2.0);
            let n = 20_000;
            let h = t / n as f64;
            let mut s = f(0.0) + f(t);
            for i in 1..n {
                s += if i % 2 == 1 { 4.0 } else { 2.0 } * f(i as f64 * h);
            }
            close(s * h / 3.0, p - 0.5, 1e-10);
        }
    }
}

/// Reference values: chi-square tables (R `qchisq`). df = 2 has the closed form −2·ln(1 − p).
#[test]
fn chi_square_quantiles() {
    close(chi_square_quantile(0.975, 1.0), 5.023886187314888, 1e-9);
    close(chi_square_quantile(0.95, 1.0), 3.841458820694124, 1e-9); // = 1.959964²
    close(chi_square_quantile(0.025, 1.0), 0.000982069117175, 1e-12);
    // df = 2: −2·ln(0.025) = 7.377758908; −2·ln(0.975) = 0.050635616.
    close(chi_square_quantile(0.975, 2.0), 7.377758908227871, 1e-9);
    close(chi_square_quantile(0.025, 2.0), 0.050635615968580, 1e-12);
    close(chi_square_quantile(0.95, 10.0), 18.307038053275146, 1e-8);
    close(chi_square_quantile(0.975, 10.0), 20.483177350807388, 1e-8);
    close(chi_square_quantile(0.025, 10.0), 3.246972780236841, 1e-8);
    // R qchisq(0.99, 100) = 135.8067 (4 decimals); an independent series check in double
    // precision gives 1 − P(50, 135.8067232/2) = 0.0100000000.
    close(chi_square_quantile(0.99, 100.0), 135.8067232, 1e-6);
    assert_eq!(chi_square_quantile(0.0, 3.0), 0.0);
    // Round trip through P(k/2, x/2) at awkward df.
    for df in [0.3, 1.0, 2.7, 15.0, 401.0] {
        for p in [1e-8, 0.025, 0.5, 0.975, 1.0 - 1e-9] {
            let x = chi_square_quantile(p, df);
            let (lower, upper) = special::gamma_pq(df / 2.0, x / 2.0);
            if p < 0.5 {
                rel_close(lower, p, 1e-9);
            } else {
                rel_close(upper, 1.0 - p, 1e-7);
            }
        }
    }
}

// ---------------------------------------------------------------- proportions

/// Reference: Newcombe (1998), Statistics in Medicine 17:857–872, Table II, method 3 (Wilson
/// score without continuity correction): 81/263 → 0.2553–0.3662, 15/148 → 0.0624–0.1605,
/// 0/20 → 0.0000–0.1611, 1/29 → 0.0061–0.1718.
#[test]
fn wilson_newcombe_examples() {
    let check = |x: f64, n: f64, low: f64, high: f64| {
        let iv = wilson(x, n, 0.95).unwrap();
        close(iv.low, low, 5e-5);
        close(iv.high, high, 5e-5);
    };
    check(81.0, 263.0, 0.2553, 0.3662);
    check(15.0, 148.0, 0.0624, 0.1605);
    check(0.0, 20.0, 0.0, 0.1611);
    check(1.0, 29.0, 0.0061, 0.1718);
}

#[test]
fn wilson_interior_by_hand() {
    // 81/263: p̂ = 0.3079848, z² = 3.8414588, z²/n = 0.0146063, z²/(2n) = 0.0073032,
    // p̂(1 − p̂)/n = 0.00081038, z²/(4n²) = 0.0000138843.
    // centre = (0.3079848 + 0.0073032)/1.0146063 = 0.3152880/1.0146063 = 0.3107490;
    // half = (1.9599640/1.0146063)·√(0.00081038 + 0.0000138843)
    //      = 1.9317484·0.0287101 = 0.0554605;
    // interval = 0.3107490 ∓ 0.0554605 = (0.2552885, 0.3662096).
    let iv = wilson(81.0, 263.0, 0.95).unwrap();
    close(iv.low, 0.2552885, 1e-7);
    close(iv.high, 0.3662096, 1e-7);
}

#[test]
fn wilson_edges() {
    // 0/20: low exactly 0, high = z²/(n + z²) = 3.8414588/23.8414588 = 0.1611252.
    let iv = wilson(0.0, 20.0, 0.95).unwrap();
    assert_eq!(iv.low, 0.0);
    close(iv.high, 3.841458820694124 / 23.841458820694124, 1e-12);
    // 20/20: high exactly 1, low = n/(n + z²) = 20/23.8414588 = 0.8388748.
    let iv = wilson(20.0, 20.0, 0.95).unwrap();
    assert_eq!(iv.high, 1.0);
    close(iv.low, 20.0 / 23.841458820694124, 1e-12);
    assert!(wilson(1.0, 0.0, 0.95).is_none());
    assert!(wilson(0.0, -3.0, 0.95).is_none());
    assert!(wilson(5.0, 4.0, 0.95).is_none());
    assert!(wilson(-1.0, 4.0, 0.95).is_none());
}

#[test]
fn weighted_proportion_uses_effective_n() {
    // Equal weights 2.0 on 20 units, 10 successes: p̂ = 20/40 = 0.5, n_eff = 40²/80 = 20,
    // so the interval is Wilson 10/20.
    let w = [2.0; 20];
    let n_eff = effective_n(&w);
    close(n_eff, 20.0, 1e-12);
    let (p, iv) = weighted_proportion(20.0, 40.0, n_eff, 0.95).unwrap();
    close(p, 0.5, 1e-15);
    let plain = wilson(10.0, 20.0, 0.95).unwrap();
    close(iv.low, plain.low, 1e-12);
    close(iv.high, plain.high, 1e-12);
    assert!(weighted_proportion(1.0, 0.0, 5.0, 0.95).is_none());
    assert!(weighted_proportion(1.0, 2.0, 0.0, 0.95).is_none());
    assert!(weighted_proportion(3.0, 2.0, 5.0, 0.95).is_none());
}

#[test]
fn effective_n_by_hand() {
    // Weights 1, 1, 2: (1 + 1 + 2)² / (1 + 1 + 4) = 16/6 = 2.6667.
    close(effective_n(&[1.0, 1.0, 2.0]), 16.0 / 6.0, 1e-15);
    close(effective_n(&[5.0, 5.0, 5.0, 5.0]), 4.0, 1e-15);
    assert_eq!(effective_n(&[]), 0.0);
    assert_eq!(effective_n(&[0.0, 0.0]), 0.0);
}

// ---------------------------------------------------------------- counts and rates

/// Sum of Poisson probabilities P(X ≤ x | μ), summed directly (independent of the gamma code).
fn poisson_cdf(x: u32, mu: f64) -> f64 {
    let mut term = (-mu).exp();
    let mut sum = term;
    for i in 1..=x {
        term *= mu / i as f64;
        sum += term;
    }
    sum
}

/// Reference: exact 95 % Poisson limits as tabulated by Breslow & Day (1987, vol. II, table
/// 2.11) and the PHE technical guidance ("χ² exact method"): 0 → (0, 3.689), 1 → (0.0253,
/// 5.572), 5 → (1.6235, 11.668), 10 → (4.7954, 18.390), 100 → (81.364, 121.627). Closed forms:
/// 0 → upper −ln(0.025) = 3.6888795; 1 → lower −ln(0.975) = 0.0253178.
#[test]
fn poisson_exact_tables() {
    let iv = poisson_exact(0.0, 0.95);
    assert_eq!(iv.low, 0.0);
    close(iv.high, 3.688879454113936, 1e-9);
    let iv = poisson_exact(1.0, 0.95);
    close(iv.low, 0.025317807984290, 1e-12);
    close(iv.high, 5.571643390938, 1e-6);
    let iv = poisson_exact(5.0, 0.95);
    close(iv.low, 1.6235, 1e-4);
    close(iv.high, 11.6683, 1e-4);
    let iv = poisson_exact(10.0, 0.95);
    close(iv.low, 4.7954, 1e-4);
    close(iv.high, 18.3904, 1e-4);
    let iv = poisson_exact(100.0, 0.95);
    close(iv.low, 81.364, 1e-3);
    close(iv.high, 121.627, 1e-3);
    // Defining property, checked by direct summation: P(X ≥ x | low) = P(X ≤ x | high) = 0.025.
    for x in [1_u32, 2, 5, 9, 30] {
        let iv = poisson_exact(x as f64, 0.95);
        close(1.0 - poisson_cdf(x - 1, iv.low), 0.025, 1e-10);
        close(poisson_cdf(x, iv.high), 0.025, 1e-10);
    }
}

#[test]
fn byar_by_hand_and_against_exact() {
    // O = 10: low = 10·(1 − 1/90 − 1.959964/(3·√10))³ = 10·(1 − 0.0111111 − 0.2065984)³
    //            = 10·0.7822905³ = 10·0.4787450 = 4.787450;
    // high = 11·(1 − 1/99 + 1.959964/(3·√11))³ = 11·(1 − 0.0101010 + 0.1968839)³
    //      = 11·1.1868828³ = 11·1.6719508 = 18.391459.
    let iv = byar(10.0, 0.95);
    close(iv.low, 4.787450, 1e-6);
    close(iv.high, 18.391459, 1e-6);
    // O = 100: low = 100·(1 − 1/900 − 1.959964/30)³ = 100·0.9335568³ = 81.362105;
    // high = 101·(1 − 1/909 + 1.959964/(3·√101))³ = 101·1.0639078³ = 121.627938.
    let iv = byar(100.0, 0.95);
    close(iv.low, 81.362105, 1e-6);
    close(iv.high, 121.627938, 1e-6);
    // PHE technical guide: Byar is within 0.2 % of the exact limits from 10 events (95 %).
    for o in [10.0, 11.0, 20.0, 57.0, 100.0, 1000.0] {
        let b = byar(o, 0.95);
        let e = poisson_exact(o, 0.95);
        rel_close(b.low, e.low, 2e-3);
        rel_close(b.high, e.high, 2e-3);
    }
    assert_eq!(byar(0.0, 0.95).low, 0.0);
}

#[test]
fn count_convention_switches_at_ten() {
    assert_eq!(poisson_count_interval(9.0, 0.95), poisson_exact(9.0, 0.95));
    assert_eq!(poisson_count_interval(10.0, 0.95), byar(10.0, 0.95));
    assert_eq!(poisson_count_interval(0.0, 0.95), poisson_exact(0.0, 0.95));
}

#[test]
fn crude_rate_interval() {
    // 100 events in 50 000 person-years: Byar (81.362105, 121.627938)/50 000
    // = (0.0016272421, 0.0024325588).
    let iv = rate_interval(100.0, 50_000.0, 0.95).unwrap();
    close(iv.low, 81.362105 / 50_000.0, 1e-11);
    close(iv.high, 121.627938 / 50_000.0, 1e-11);
    // 0 events in 1 000: (0, 3.6888795/1000).
    let iv = rate_interval(0.0, 1000.0, 0.95).unwrap();
    assert_eq!(iv.low, 0.0);
    close(iv.high, 0.0036888795, 1e-10);
    assert!(rate_interval(1.0, 0.0, 0.95).is_none());
    assert!(rate_interval(1.0, -5.0, 0.95).is_none());
}

// ---------------------------------------------------------------- direct standardisation

#[test]
fn dsr_three_strata_by_hand() {
    let strata = [
        Stratum {
            events: 10.0,
            population: 1000.0,
            standard_weight: 30_000.0,
        },
        Stratum {
            events: 20.0,
            population: 2000.0,
            standard_weight: 50_000.0,
        },
        Stratum {
            events: 30.0,
            population: 500.0,
            standard_weight: 20_000.0,
        },
    ];
    // Weights 30 000 : 50 000 : 20 000 → 0.3, 0.5, 0.2; rates 0.01, 0.01, 0.06.
    // DSR = 0.3·0.01 + 0.5·0.01 + 0.2·0.06 = 0.003 + 0.005 + 0.012 = 0.020.
    // var = 0.09·10/1000² + 0.25·20/2000² + 0.04·30/500² = 9e-7 + 1.25e-6 + 4.8e-6 = 6.95e-6.
    // O = 60 (Byar): O_low = 45.7837595, O_high = 77.2332239.
    // factor = √(6.95e-6/60) = √1.1583333e-7 = 3.4034296e-4.
    // low = 0.020 + 3.4034296e-4·(45.7837595 − 60) = 0.020 − 0.0048384 = 0.0151616;
    // high = 0.020 + 3.4034296e-4·(77.2332239 − 60) = 0.020 + 0.0058652 = 0.0258652.
    let s = direct_standardise(&strata, 0.95).unwrap();
    close(s.rate, 0.020, 1e-15);
    close(s.interval.low, 0.0151616, 1e-7);
    close(s.interval.high, 0.0258652, 1e-7);
    assert_eq!(s.empty_strata, 0);
    assert_eq!(s.events, 60.0);
    assert_eq!(s.population, 3500.0);
}

#[test]
fn dsr_empty_stratum_keeps_its_weight() {
    let strata = [
        Stratum {
            events: 12.0,
            population: 1000.0,
            standard_weight: 1.0,
        },
        Stratum {
            events: 0.0,
            population: 0.0,
            standard_weight: 1.0,
        },
    ];
    // Weights 0.5, 0.5 (the empty stratum's weight is kept): DSR = 0.5·0.012 + 0.5·0 = 0.006.
    // var = 0.25·12/1000² = 3e-6; O = 12 (Byar: 6.1935098, 20.9628581);
    // factor = √(3e-6/12) = 5e-4, and factor·O = 0.006 = DSR, so
    // low = 5e-4·6.1935098 = 0.0030968, high = 5e-4·20.9628581 = 0.0104814.
    let s = direct_standardise(&strata, 0.95).unwrap();
    close(s.rate, 0.006, 1e-15);
    close(s.interval.low, 0.0030968, 1e-7);
    close(s.interval.high, 0.0104814, 1e-7);
    assert_eq!(s.empty_strata, 1);
}

#[test]
fn dsr_zero_events_and_invalid_input() {
    let strata = [
        Stratum {
            events: 0.0,
            population: 1000.0,
            standard_weight: 1.0,
        },
        Stratum {
            events: 0.0,
            population: 3000.0,
            standard_weight: 1.0,
        },
    ];
    // O = 0: factor = √((0.25/1000 + 0.25/3000)/4000) = √(3.3333e-4/4000) = 2.8867513e-4;
    // high = 2.8867513e-4·3.6888795 = 1.0648878e-3.
    let s = direct_standardise(&strata, 0.95).unwrap();
    assert_eq!(s.rate, 0.0);
    assert_eq!(s.interval.low, 0.0);
    close(s.interval.high, 1.0648878e-3, 1e-9);
    // Total population 0 → None.
    let empty = [Stratum {
        events: 0.0,
        population: 0.0,
        standard_weight: 1.0,
    }];
    assert!(direct_standardise(&empty, 0.95).is_none());
    assert!(direct_standardise(&[], 0.95).is_none());
    // Events without population → None.
    let bad = [
        Stratum {
            events: 2.0,
            population: 0.0,
            standard_weight: 1.0,
        },
        Stratum {
            events: 1.0,
            population: 10.0,
            standard_weight: 1.0,
        },
    ];
    assert!(direct_standardise(&bad, 0.95).is_none());
}

proptest! {
    /// Standardising a unit against its own population as the standard gives its crude rate and
    /// exactly the crude rate's interval (wᵢ = nᵢ/N: DSR = ΣOᵢ/N, var = O/N², factor = 1/N).
    #[test]
    fn dsr_against_own_population_is_crude_rate(
        strata in prop::collection::vec((1u32..20_000, 0.0f64..0.2), 1..8)
    ) {
        let strata: Vec<Stratum> = strata
            .iter()
            .map(|(n, r)| {
                let n = *n as f64;
                Stratum { events: (n * r).round(), population: n, standard_weight: n }
            })
            .collect();
        let o: f64 = strata.iter().map(|s| s.events).sum();
        let n: f64 = strata.iter().map(|s| s.population).sum();
        let s = direct_standardise(&strata, 0.95).unwrap();
        let crude = rate_interval(o, n, 0.95).unwrap();
        prop_assert!((s.rate - o / n).abs() <= 1e-12 * (o / n).max(1e-12));
        prop_assert!((s.interval.low - crude.low).abs() <= 1e-9 * crude.high);
        prop_assert!((s.interval.high - crude.high).abs() <= 1e-9 * crude.high);
        prop_assert_eq!(s.empty_strata, 0);
    }
}

// ---------------------------------------------------------------- means and medians

#[test]
fn unweighted_mean_by_hand() {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 40/8 = 5; Σ(x − 5)² = 9+1+1+1+0+0+4+16 = 32;
    // s² = 32/7 = 4.5714286, se = √(4.5714286/8) = 0.7559289; t(0.975, 7) = 2.3646243;
    // half = 2.3646243·0.7559289 = 1.7874880 → (3.2125120, 6.7874880).
    let m = mean(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], None, 0.95).unwrap();
    close(m.mean, 5.0, 1e-15);
    let iv = m.interval.unwrap();
    close(iv.low, 3.2125120, 1e-6);
    close(iv.high, 6.7874880, 1e-6);
    assert_eq!(m.n, 8);
    assert_eq!(m.sum_weights, 8.0);
    // One value: mean but no interval.
    let m = mean(&[3.5], None, 0.95).unwrap();
    assert_eq!(m.mean, 3.5);
    assert!(m.interval.is_none());
    assert!(mean(&[], None, 0.95).is_none());
}

#[test]
fn weighted_mean_by_hand() {
    // Values 1, 2, 3, 4 with weights 1, 1, 1, 3: Σw = 6, mean = (1+2+3+12)/6 = 3;
    // n_eff = 6²/(1+1+1+9) = 36/12 = 3, df = 2;
    // Σw(x − 3)² = 4 + 1 + 0 + 3·1 = 8; s_w² = (8/6)·3/2 = 2; se = √(2/3) = 0.8164966;
    // t(0.975, 2) = 4.3026527; half = 4.3026527·0.8164966 = 3.5131012 → (−0.5131012, 6.5131012).
    let m = mean(&[1.0, 2.0, 3.0, 4.0], Some(&[1.0, 1.0, 1.0, 3.0]), 0.95).unwrap();
    close(m.mean, 3.0, 1e-15);
    assert_eq!(m.sum_weights, 6.0);
    let iv = m.interval.unwrap();
    close(iv.low, -0.5131012, 1e-6);
    close(iv.high, 6.5131012, 1e-6);
    // Equal weights reproduce the unweighted result.
    let x = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
    let a = mean(&x, Some(&[0.7; 8]), 0.95).unwrap();
    let b = mean(&x, None, 0.95).unwrap();
    close(a.mean, b.mean, 1e-12);
    close(a.interval.unwrap().low, b.interval.unwrap().low, 1e-9);
    close(a.interval.unwrap().high, b.interval.unwrap().high, 1e-9);
    // All weight on one value: n_eff = 1, no interval.
    let m = mean(&[1.0, 2.0], Some(&[1.0, 0.0]), 0.95).unwrap();
    assert_eq!(m.mean, 1.0);
    assert!(m.interval.is_none());
    // Invalid weights.
    assert!(mean(&[1.0, 2.0], Some(&[1.0]), 0.95).is_none());
    assert!(mean(&[1.0, 2.0], Some(&[1.0, -1.0]), 0.95).is_none());
    assert!(mean(&[1.0, 2.0], Some(&[0.0, 0.0]), 0.95).is_none());
}

/// Rule: k = largest integer with P(K ≤ k) ≤ 0.025, K ~ Bin(n, ½); interval (x₍ₖ₊₁₎, x₍ₙ₋ₖ₎).
/// Reference: Campbell & Gardner (1988), BMJ 296:1454–6, table of ranks for the median's 95 %
/// interval: n = 6 → 1st and 6th, n = 9 → 2nd and 8th, n = 10 → 2nd and 9th, n = 100 → 40th and
/// 61st.
#[test]
fn median_odd_and_even() {
    // n = 9, values 1..9 shuffled: median 5; P(K ≤ 1) = (1 + 9)/512 = 0.0195 ≤ 0.025 and
    // P(K ≤ 2) = 46/512 = 0.0898 > 0.025 → k = 1 → (x₍₂₎, x₍₈₎) = (2, 8).
    let m = median(&[7.0, 1.0, 9.0, 3.0, 5.0, 2.0, 8.0, 4.0, 6.0], 0.95).unwrap();
    assert_eq!(m.median, 5.0);
    assert_eq!(m.n, 9);
    assert_eq!(
        m.interval,
        Some(Interval {
            low: 2.0,
            high: 8.0
        })
    );
    // n = 10, values 1..10: median (5 + 6)/2 = 5.5; P(K ≤ 1) = 11/1024 = 0.0107,
    // P(K ≤ 2) = 56/1024 = 0.0547 → k = 1 → (2, 9).
    let m = median(&[10.0, 2.0, 3.0, 1.0, 5.0, 4.0, 7.0, 6.0, 9.0, 8.0], 0.95).unwrap();
    assert_eq!(m.median, 5.5);
    assert_eq!(
        m.interval,
        Some(Interval {
            low: 2.0,
            high: 9.0
        })
    );
    // n = 6: P(K ≤ 0) = 1/64 = 0.0156 → k = 0 → (x₍₁₎, x₍₆₎).
    let m = median(&[3.0, 1.0, 4.0, 1.5, 9.0, 2.0], 0.95).unwrap();
    assert_eq!(m.median, 2.5);
    assert_eq!(
        m.interval,
        Some(Interval {
            low: 1.0,
            high: 9.0
        })
    );
    // n = 5: P(K ≤ 0) = 1/32 = 0.03125 > 0.025 → no 95 % interval; median still given.
    let m = median(&[5.0, 1.0, 3.0, 2.0, 4.0], 0.95).unwrap();
    assert_eq!(m.median, 3.0);
    assert!(m.interval.is_none());
    // n = 100, values 1..100: P(K ≤ 39) = 0.0176, P(K ≤ 40) = 0.0284 → k = 39 → (40, 61).
    let x: Vec<f64> = (1..=100).rev().map(f64::from).collect();
    let m = median(&x, 0.95).unwrap();
    assert_eq!(m.median, 50.5);
    assert_eq!(
        m.interval,
        Some(Interval {
            low: 40.0,
            high: 61.0
        })
    );
    assert!(median(&[], 0.95).is_none());
    assert!(median(&[1.0, f64::NAN], 0.95).is_none());
}

#[test]
fn median_large_n_matches_normal_approximation() {
    // n = 10 000: normal approximation to the rank, n/2 − z·√n/2 = 5000 − 1.96·50 = 4902.0;
    // the exact binomial rank is within one of it.
    let x: Vec<f64> = (1..=10_000).map(f64::from).collect();
    let iv = median(&x, 0.95).unwrap().interval.unwrap();
    assert!((iv.low - 4902.0).abs() <= 1.0, "{}", iv.low);
    assert_eq!(iv.low + iv.high, 10_001.0);
}

#[test]
fn compound_sum_interval_by_hand() {
    // Amounts 2, 3 and 5 days: sum 10, squares 4 + 9 + 25 = 38, half-width 1.959964 × √38
    // = 12.08203; the low end is held at 0.
    let i = compound_sum_interval(10.0, 38.0, 0.95).unwrap();
    assert!((i.high - 22.08203).abs() < 1e-4, "{i:?}");
    assert_eq!(i.low, 0.0);
    // 400 stays of 1 day each: 400 ± 1.959964 × 20.
    let i = compound_sum_interval(400.0, 400.0, 0.95).unwrap();
    assert!((i.low - 360.80072).abs() < 1e-4 && (i.high - 439.19928).abs() < 1e-4);
    assert!(compound_sum_interval(0.0, 0.0, 0.95).is_none());
}

// ---------------------------------------------------------------- non-independent events

/// Two strata, standard weights 60/40. Stratum 1: 1,000 persons, of whom three have 1, 1 and 3
/// events (5 events, Σf² = 11); stratum 2: 500 persons, two with 2 events and six with 1 (10
/// events, Σf² = 14). DSR = 0.6·5/1000 + 0.4·10/500 = 0.011; var = 0.36·11/1000² +
/// 0.16·14/500² = 1.292e-5; O = 15 takes Byar's limits; limits = DSR + √(var/O)(O_lim − O).
/// Computed by hand with Python's floats; the method is the frequency-weighted Dobson variance
/// of public-health practice (PHEindicatormethods' `calculate_dsr(independent_events = FALSE)`).
#[test]
fn dobson_with_repeated_events_by_hand() {
    let strata = [
        Stratum {
            events: 5.0,
            population: 1000.0,
            standard_weight: 60.0,
        },
        Stratum {
            events: 10.0,
            population: 500.0,
            standard_weight: 40.0,
        },
    ];
    let repeated = direct_standardise_repeated(&strata, &[11.0, 14.0], 0.95).unwrap();
    rel_close(repeated.rate, 0.011, 1e-15);
    rel_close(repeated.interval.low, 0.00486470512902126, 1e-12);
    rel_close(repeated.interval.high, 0.02004101766196835, 1e-12);
    // Independent events (every f = 1): Σf² = Σf, the same as the ordinary method, whose
    // limits by hand are 0.006112226080287725 and 0.01820266120294515.
    let independent = direct_standardise(&strata, 0.95).unwrap();
    rel_close(independent.interval.low, 0.006112226080287725, 1e-12);
    rel_close(independent.interval.high, 0.01820266120294515, 1e-12);
    assert_eq!(
        direct_standardise_repeated(&strata, &[5.0, 10.0], 0.95).unwrap(),
        independent
    );
    // Fewer squares than events cannot come from whole events per person.
    assert!(direct_standardise_repeated(&strata, &[4.0, 10.0], 0.95).is_none());
    assert!(direct_standardise_repeated(&strata, &[5.0], 0.95).is_none());
}
