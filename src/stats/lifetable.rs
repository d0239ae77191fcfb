//! Life expectancy from an abridged life table by Chiang's method (Chiang II), with Chiang's
//! variance extended by the open-interval term of Silcocks, Jenner & Reza (2001), as in
//! Eayres & Williams (2004) and the PHE life expectancy calculator.
//!
//! For each band i (start xᵢ, width nᵢ) from the requested age onwards, with deaths Dᵢ and
//! exposure Pᵢ (person-years, or mid-year population for one year of data):
//!
//! - Mᵢ = Dᵢ/Pᵢ;
//! - aᵢ = 0.1 for the band [0, 1) (the first year of life), 0.5 for every other closed band;
//! - qᵢ = nᵢMᵢ / (1 + (1 − aᵢ)nᵢMᵢ), set to 1 when aᵢnᵢMᵢ ≥ 1 (q would exceed 1);
//! - l at the requested age = 1 (the radix cancels), lᵢ₊₁ = lᵢ(1 − qᵢ), dᵢ = lᵢqᵢ;
//! - Lᵢ = nᵢ(lᵢ₊₁ + aᵢdᵢ) for closed bands, L_w = l_w / M_w for the open last band w;
//! - Tᵢ = Σ_{j≥i} Lⱼ, eᵢ = Tᵢ/lᵢ (0 when lᵢ = 0).
//!
//! Variance of e at the requested age x:
//!
//! var(eₓ) = [ Σ_{i=x}^{w−1} lᵢ² ((1 − aᵢ)nᵢ + eᵢ₊₁)² var(qᵢ) + l_w² / (D_w M_w²) ] / lₓ²,
//!
//! var(qᵢ) = qᵢ²(1 − qᵢ)/Dᵢ (= nᵢ²Mᵢ(1 − aᵢnᵢMᵢ) / (Pᵢ(1 + (1 − aᵢ)nᵢMᵢ)³)), 0 when Dᵢ = 0
//! or qᵢ = 1. The last term is the open interval's: e_w = 1/M_w with var(M_w) = D_w/P_w², so
//! (∂eₓ/∂M_w)²·var(M_w) = (l_w/lₓ)²/(D_w M_w²). The interval is e ± z·√var.

use super::{Interval, z_for};

/// An age band of an abridged life table: start age and width in years; the last band is open (width None).
#[derive(Debug, Clone, Copy)]
pub struct AgeBand {
    pub start: f64,
    pub width: Option<f64>,
}

/// Life expectancy at an age with its variance and normal-theory interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifeExpectancy {
    pub value: f64,
    /// value ± z·√variance; None only if the variance is not finite.
    pub interval: Option<Interval>,
    pub variance: f64,
}

/// Tolerance for comparing ages (band starts, widths, `at_age`).
const AGE_TOL: f64 = 1e-9;

/// Life expectancy at `at_age` (must be the start of a band) from deaths and exposure (person-years or mid-year population) per band, by Chiang's method (Chiang II abridged life table: a_x = 0.1 for the first year of life when the first band is [0,1), 0.5 otherwise; the open last band uses L = l/M), with Chiang's variance (as in Eayres & Williams 2004 / PHE life expectancy calculator, including the open interval term). None when any band at or after at_age has exposure 0, or inputs are inconsistent (lengths differ, bands not contiguous, at_age not a band start). Document exactly.
///
/// The formulas are in the module documentation. Returns None when:
/// - `bands`, `deaths` and `exposure` differ in length, or are empty;
/// - a band other than the last has no width or a width ≤ 0, or the last band has a width
///   (the last band must be open);
/// - bands are not contiguous (startᵢ + widthᵢ ≠ startᵢ₊₁, to 1e-9);
/// - `at_age` is not the start of a band (to 1e-9);
/// - any deaths or exposure value is negative or not finite (in any band);
/// - any band at or after `at_age` has exposure 0;
/// - the open last band has no deaths (M_w = 0 makes L_w = l_w/M_w infinite).
///
/// Zero deaths in a closed band are fine (q = 0, no variance contribution). Bands before `at_age`
/// are validated but do not enter the result.
pub fn life_expectancy(
    bands: &[AgeBand],
    deaths: &[f64],
    exposure: &[f64],
    at_age: f64,
    confidence: f64,
) -> Option<LifeExpectancy> {
    let k = bands.len();
    if k == 0 || deaths.len() != k || exposure.len() != k {
        return None;
    }
    for (i, band) in bands.iter().enumerate() {
        if !band.start.is_finite() {
            return None;
        }
        let last = i + 1 == k;
        match (band.width, last) {
            (None, true) => {}
            (Some(w), false) if w.is_finite() && w > 0.0 => {
                if (band.start + w - bands[i + 1].start).abs() > AGE_TOL {
                    return None;
                }
            }
            _ => return None,
        }
    }
    let ok = |v: &f64| v.is_finite() && *v >= 0.0;
    if !deaths.iter().all(ok) || !exposure.iter().all(ok) {
        return None;
    }
    let first = bands
        .iter()
        .position(|b| (b.start - at_age).abs() <= AGE_TOL)?;
    if exposure[first..].contains(&0.0) {
        return None;
    }
    let w = k - 1;
    if deaths[w] <= 0.0 {
        return None;
    }

    // Life table from `first` to the open band w, radix 1.
    let m = k - first;
    let mut l = vec![0.0; m + 1]; // l[j] at the start of band first + j; l[m] unused for open band
    let mut q = vec![0.0; m];
    let mut a = vec![0.0; m];
    let mut width = vec![0.0; m];
    let mut big_l = vec![0.0; m];
    l[0] = 1.0;
    for j in 0..m {
        let i = first + j;
        let rate = deaths[i] / exposure[i];
        match bands[i].width {
            Some(n) => {
                let ai = if bands[i].start.abs() <= AGE_TOL && (n - 1.0).abs() <= AGE_TOL {
                    0.1
                } else {
                    0.5
                };
                let qi = if ai * n * rate >= 1.0 {
                    1.0
                } else {
                    n * rate / (1.0 + (1.0 - ai) * n * rate)
                };
                a[j] = ai;
                width[j] = n;
                q[j] = qi;
                l[j + 1] = l[j] * (1.0 - qi);
                let d = l[j] * qi;
                big_l[j] = n * (l[j + 1] + ai * d);
            }
            None => {
                q[j] = 1.0;
                big_l[j] = l[j] / rate;
            }
        }
    }
    // T and e from the top down.
    let mut e = vec![0.0; m];
    let mut t = 0.0;
    for j in (0..m).rev() {
        t += big_l[j];
        e[j] = if l[j] > 0.0 { t / l[j] } else { 0.0 };
    }

    // Chiang's variance with the open-interval term.
    let mut sum = 0.0;
    for j in 0..m - 1 {
        let i = first + j;
        let var_q = if deaths[i] > 0.0 && q[j] < 1.0 {
            q[j] * q[j] * (1.0 - q[j]) / deaths[i]
        } else {
            0.0
        };
        let weight = (1.0 - a[j]) * width[j] + e[j + 1];
        sum += l[j] * l[j] * weight * weight * var_q;
    }
    let m_w = deaths[w] / exposure[w];
    sum += l[m - 1] * l[m - 1] / (deaths[w] * m_w * m_w);
    let variance = sum / (l[0] * l[0]);

    let value = e[0];
    let interval = variance.is_finite().then(|| {
        let z = z_for(confidence);
        let se = variance.sqrt();
        Interval {
            low: value - z * se,
            high: value + z * se,
        }
    });
    Some(LifeExpectancy {
        value,
        interval,
        variance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b} (tol {tol})");
    }

    fn band(start: f64, width: f64) -> AgeBand {
        AgeBand {
            start,
            width: Some(width),
        }
    }

    fn open(start: f64) -> AgeBand {
        AgeBand { start, width: None }
    }

    /// Three bands [0,10), [10,20), 20+, all a = 0.5, computed by hand with fractions.
    #[test]
    fn three_band_table_by_hand() {
        let bands = [band(0.0, 10.0), band(10.0, 10.0), open(20.0)];
        let deaths = [10.0, 20.0, 50.0];
        let exposure = [1000.0, 1000.0, 500.0];
        // Band 0: M = 10/1000 = 0.01, nM = 0.1, q0 = 0.1/(1 + 0.5·0.1) = 0.1/1.05 = 2/21.
        //   l0 = 1, l1 = 19/21, d0 = 2/21, L0 = 10·(19/21 + 0.5·2/21) = 10·20/21 = 200/21.
        // Band 1: M = 0.02, nM = 0.2, q1 = 0.2/1.1 = 2/11.
        //   l2 = 19/21·9/11 = 171/231, d1 = 38/231, L1 = 10·(171/231 + 19/231) = 1900/231.
        // Band 2 (open): M = 50/500 = 0.1, L2 = l2/M = 1710/231.
        // T0 = 200/21 + 1900/231 + 1710/231 = (2200 + 1900 + 1710)/231 = 5810/231 = 25.151515…
        let r = life_expectancy(&bands, &deaths, &exposure, 0.0, 0.95).unwrap();
        close(r.value, 5810.0 / 231.0, 1e-12);
        // e10 = T1/l1 = (3610/231)/(19/21) = 190/11 = 17.272727…; e20 = 1/M = 10.
        let r10 = life_expectancy(&bands, &deaths, &exposure, 10.0, 0.95).unwrap();
        close(r10.value, 190.0 / 11.0, 1e-12);
        let r20 = life_expectancy(&bands, &deaths, &exposure, 20.0, 0.95).unwrap();
        close(r20.value, 10.0, 1e-12);
        // Variance at 0:
        //   var q0 = q0²(1−q0)/D0 = (4/441)(19/21)/10 = 76/92610 = 8.2064572e-4;
        //   weight0 = l0²·((1−0.5)·10 + e1)² = (5 + 190/11)² = (245/11)² = 60025/121 = 496.0743802;
        //   term0 = 496.0743802·8.2064572e-4 = 0.4071013 (exactly 60025·76/(121·92610)).
        //   var q1 = (4/121)(9/11)/20 = 36/26620 = 1.3523666e-3;
        //   weight1 = l1²·(5 + e2)² = (361/441)·225 = 184.1836735;
        //   term1 = 184.1836735·1.3523666e-3 = 0.2490838.
        //   open term = l2²/(D2·M2²) = (171/231)²/(50·0.01) = 0.5479845/0.5 = 1.0959690.
        //   var e0 = 0.4071013 + 0.2490838 + 1.0959690 = 1.7521541.
        let term0 = 60025.0 / 121.0 * 76.0 / 92610.0;
        let term1 = 361.0 / 441.0 * 225.0 * 36.0 / 26620.0;
        let open_term = (171.0f64 / 231.0).powi(2) / 0.5;
        close(term0, 0.4071013, 1e-7);
        close(term1, 0.2490838, 1e-7);
        close(open_term, 1.0959690, 1e-7);
        close(r.variance, term0 + term1 + open_term, 1e-12);
        close(r.variance, 1.7521541, 1e-6);
        let iv = r.interval.unwrap();
        // 25.151515 ± 1.959964·√1.7521541 = 25.151515 ± 1.959964·1.3236896 = ± 2.5943839.
        close(iv.low, 25.151515 - 2.5943839, 1e-5);
        close(iv.high, 25.151515 + 2.5943839, 1e-5);
        // At 20 only the open term remains: var = 1/(D·M²) = 1/(50·0.01) = 2.
        close(r20.variance, 2.0, 1e-12);
    }

    /// The first year of life uses a = 0.1.
    #[test]
    fn infant_band_uses_a_point_one() {
        let bands = [band(0.0, 1.0), open(1.0)];
        let deaths = [10.0, 100.0];
        let exposure = [1000.0, 5000.0];
        // M0 = 0.01, q0 = 0.01/(1 + 0.9·0.01) = 0.01/1.009 = 0.00991080…
        // l1 = 1 − q0 = 0.99008920, L0 = 1·(l1 + 0.1·q0) = 0.99008920 + 0.00099108 = 0.99108028.
        // M1 = 0.02, L1 = l1/0.02 = 49.504460; e0 = 0.99108028 + 49.504460 = 50.495540.
        let q0 = 0.01 / 1.009;
        let e0 = (1.0 - q0 + 0.1 * q0) + (1.0 - q0) / 0.02;
        close(e0, 50.495540, 1e-6);
        let r = life_expectancy(&bands, &deaths, &exposure, 0.0, 0.95).unwrap();
        close(r.value, e0, 1e-12);
    }

    /// Reference: PHEindicatormethods (UKHSA R package) test data `df1` for `phe_life_expectancy`
    /// (tests/testthat/testLifeExpectancy.R, matching the PHE Life Expectancy Calculator):
    /// e0 = 80.16960813 (79.88268548, 80.45653078), e5 = 75.44193645, e25 = 55.78835987,
    /// e90 = 6.16210635 (5.887683386, 6.436529314).
    #[test]
    fn phe_calculator_reference_table() {
        let starts = [
            0.0, 1.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0, 60.0, 65.0,
            70.0, 75.0, 80.0, 85.0, 90.0,
        ];
        let pops = [
            7060.0, 35059.0, 46974.0, 48489.0, 43219.0, 38561.0, 46009.0, 57208.0, 61435.0,
            55601.0, 50209.0, 56416.0, 46411.0, 39820.0, 37978.0, 37039.0, 33288.0, 23306.0,
            11936.0, 11936.0,
        ];
        let deaths = [
            17.0, 9.0, 4.0, 8.0, 20.0, 15.0, 24.0, 33.0, 50.0, 71.0, 100.0, 163.0, 263.0, 304.0,
            536.0, 872.0, 1390.0, 1605.0, 1936.0, 1937.0,
        ];
        let bands: Vec<AgeBand> = starts
            .iter()
            .enumerate()
            .map(|(i, s)| AgeBand {
                start: *s,
                width: starts.get(i + 1).map(|next| next - s),
            })
            .collect();
        // The reference limits were computed with z = 1.96 (not 1.959964), so they are compared
        // with value ± 1.96·√variance; our own 95 % limits differ from them by a factor
        // 1.959964/1.96 = 0.9999816 on the half-width.
        let check = |age: f64, value: f64, low: f64, high: f64| {
            let r = life_expectancy(&bands, &deaths, &pops, age, 0.95).unwrap();
            close(r.value, value, 1e-6);
            let se = r.variance.sqrt();
            close(r.value - 1.96 * se, low, 1e-6);
            close(r.value + 1.96 * se, high, 1e-6);
            let iv = r.interval.unwrap();
            close(iv.high - r.value, z_for(0.95) * se, 1e-12);
            close(r.value - iv.low, z_for(0.95) * se, 1e-12);
        };
        check(0.0, 80.16960813, 79.88268548, 80.45653078);
        check(5.0, 75.44193645, 75.17407307, 75.70979983);
        check(25.0, 55.78835987, 55.53801579, 56.03870395);
        check(85.0, 6.163942934, 5.978358351, 6.349527517);
        // e90 = 1/M = 11936/1937 = 6.16210635.
        check(90.0, 6.16210635, 5.887683386, 6.436529314);
    }

    /// A plausible Danish-like mortality schedule (rates constructed for the test, per person-year)
    /// gives e0 around 81 with a narrow interval for a population of about a million.
    #[test]
    fn realistic_full_table_is_plausible() {
        let starts = [
            0.0, 1.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0, 60.0, 65.0,
            70.0, 75.0, 80.0, 85.0, 90.0,
        ];
        let rates = [
            0.0035, 0.00012, 0.00007, 0.00008, 0.0002, 0.0003, 0.00035, 0.0005, 0.0007, 0.0011,
            0.0018, 0.003, 0.0048, 0.0075, 0.012, 0.019, 0.032, 0.056, 0.10, 0.20,
        ];
        let pops: Vec<f64> = starts
            .iter()
            .map(|s| if *s == 0.0 { 12_000.0 } else { 60_000.0 })
            .collect();
        let deaths: Vec<f64> = rates.iter().zip(&pops).map(|(m, p)| m * p).collect();
        let bands: Vec<AgeBand> = starts
            .iter()
            .enumerate()
            .map(|(i, s)| AgeBand {
                start: *s,
                width: starts.get(i + 1).map(|next| next - s),
            })
            .collect();
        let r = life_expectancy(&bands, &deaths, &pops, 0.0, 0.95).unwrap();
        assert!(r.value > 75.0 && r.value < 85.0, "e0 = {}", r.value);
        let iv = r.interval.unwrap();
        assert!(iv.low < r.value && r.value < iv.high);
        assert!(iv.high - iv.low < 1.0, "width {}", iv.high - iv.low);
        let r65 = life_expectancy(&bands, &deaths, &pops, 65.0, 0.95).unwrap();
        assert!(r65.value > 15.0 && r65.value < 23.0, "e65 = {}", r65.value);
        // The open band alone: e90 = 1/0.2 = 5.
        let r90 = life_expectancy(&bands, &deaths, &pops, 90.0, 0.95).unwrap();
        close(r90.value, 5.0, 1e-12);
    }

    #[test]
    fn q_is_capped_at_one() {
        // nM = 10·0.5 = 5, a·nM = 2.5 ≥ 1 → q = 1, l1 = 0, L0 = 10·(0 + 0.5·1) = 5, L1 = 0.
        let bands = [band(0.0, 10.0), open(10.0)];
        let r = life_expectancy(&bands, &[50.0, 1.0], &[100.0, 10.0], 0.0, 0.95).unwrap();
        close(r.value, 5.0, 1e-12);
        close(r.variance, 0.0, 1e-12);
    }

    #[test]
    fn inconsistent_inputs_are_rejected() {
        let bands = [band(0.0, 10.0), band(10.0, 10.0), open(20.0)];
        let d = [10.0, 20.0, 50.0];
        let p = [1000.0, 1000.0, 500.0];
        // Lengths differ.
        assert!(life_expectancy(&bands, &d[..2], &p, 0.0, 0.95).is_none());
        // at_age not a band start.
        assert!(life_expectancy(&bands, &d, &p, 5.0, 0.95).is_none());
        // Gap between bands.
        let gap = [band(0.0, 10.0), band(11.0, 9.0), open(20.0)];
        assert!(life_expectancy(&gap, &d, &p, 0.0, 0.95).is_none());
        // Last band not open / inner band open.
        let closed = [band(0.0, 10.0), band(10.0, 10.0), band(20.0, 10.0)];
        assert!(life_expectancy(&closed, &d, &p, 0.0, 0.95).is_none());
        let inner_open = [band(0.0, 10.0), open(10.0), open(20.0)];
        assert!(life_expectancy(&inner_open, &d, &p, 0.0, 0.95).is_none());
        // Zero exposure at or after at_age → None; before at_age → fine.
        let p0 = [0.0, 1000.0, 500.0];
        assert!(life_expectancy(&bands, &[0.0, 20.0, 50.0], &p0, 0.0, 0.95).is_none());
        assert!(life_expectancy(&bands, &[0.0, 20.0, 50.0], &p0, 10.0, 0.95).is_some());
        // No deaths in the open band.
        assert!(life_expectancy(&bands, &[10.0, 20.0, 0.0], &p, 0.0, 0.95).is_none());
        // Negative deaths.
        assert!(life_expectancy(&bands, &[-1.0, 20.0, 50.0], &p, 0.0, 0.95).is_none());
        // Empty.
        assert!(life_expectancy(&[], &[], &[], 0.0, 0.95).is_none());
    }
}
