//! Sums and differences of the decimals that extracts and rules are written in.
//!
//! Numbers are binary doubles, and a decimal such as 9.7 is stored as the double nearest to it.
//! Added or subtracted in binary, such neighbours drift: 24 + 9.7 − 9.7 gives
//! 24.000000000000004, and a clock-time difference of exactly 24 hours would fail `<= 24`.
//! Every `+`, `−` and `×` of the row and batch evaluators (and of suppression conditions)
//! therefore goes through [`add`], [`sub`] and [`mul`], which give the double nearest to the
//! exact decimal result whenever it has at most [`MAX_PLACES`] places and about 14
//! significant digits: the binary result is rounded to those places. Comparisons of such
//! doubles then order the decimals exactly. Quotients are correctly rounded binary results
//! (`1 / 3` has no decimal to be nearest to).

/// The decimal places that sums and differences keep.
pub const MAX_PLACES: usize = 9;

/// 2^49: with both operands and the result below this in units of the last kept place, the
/// binary sum is within 3/16 of a unit of the exact one, so rounding to the unit recovers it.
const EXACT_UNITS: f64 = 562_949_953_421_312.0;

const POWERS_OF_TEN: [f64; MAX_PLACES + 1] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// `a + b` as decimals.
#[inline]
pub fn add(a: f64, b: f64) -> f64 {
    to_decimal(a + b, a.abs().max(b.abs()))
}

/// `a − b` as decimals.
#[inline]
pub fn sub(a: f64, b: f64) -> f64 {
    to_decimal(a - b, a.abs().max(b.abs()))
}

/// `a × b` as decimals: the product of decimals of p and q places has p + q places, so the
/// binary product is rounded like a sum (clock times in minutes: 0.13 × 60 is 7.8, not
/// 7.800000000000001). Only the result's magnitude bounds the places kept.
#[inline]
pub fn mul(a: f64, b: f64) -> f64 {
    let r = a * b;
    to_decimal(r, r.abs())
}

/// The binary result `r` of operands of magnitude at most `operand`, rounded to the most
/// decimal places (at most [`MAX_PLACES`]) at which the operands still fit in [`EXACT_UNITS`].
#[inline]
fn to_decimal(r: f64, operand: f64) -> f64 {
    // Whole results (counts, days) and results beyond the doubles' exact range stay as they are.
    if r.fract() == 0.0 || !r.is_finite() {
        return r;
    }
    let largest = operand.max(r.abs());
    let mut places = MAX_PLACES;
    while largest * POWERS_OF_TEN[places] >= EXACT_UNITS {
        if places == 0 {
            return r;
        }
        places -= 1;
    }
    let scale = POWERS_OF_TEN[places];
    (r * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(text: &str) -> f64 {
        text.parse().unwrap()
    }

    /// A reproducible stream of numbers for the tests over many operands.
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    #[test]
    fn clock_times_a_day_apart_are_exactly_24_hours() {
        // In binary, 24 + 9.7 − 9.7 = 24.000000000000004.
        assert_ne!(24.0 + 9.7 - 9.7, 24.0);
        assert_eq!(sub(add(24.0, 9.7), 9.7), 24.0);
        assert_eq!(sub(add(24.0, 13.5), 13.5), 24.0);
        assert_eq!(add(0.1, 0.2), 0.3);
        assert_eq!(sub(0.3, 0.1), 0.2);
    }

    /// Every sum and difference of decimals with up to 9 places (and 14 digits) equals the
    /// decimal result read from its digits, over a grid of operands of every scale.
    #[test]
    fn sums_and_differences_are_the_decimal_results() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200_000 {
            let places = (next() % 10) as u32;
            let digits = 1 + (next() % 14) as u32;
            let limit = 10i64.pow(digits.min(14));
            let units = |n: u64| (n % limit as u64) as i64 - limit / 2;
            let (x, y) = (units(next()), units(next()));
            let scale = 10i64.pow(places);
            let text = |n: i64| {
                let sign = if n < 0 { "-" } else { "" };
                let n = n.unsigned_abs();
                format!(
                    "{sign}{}.{:0width$}",
                    n / scale as u64,
                    n % scale as u64,
                    width = places as usize
                )
            };
            let (a, b) = (decimal(&text(x)), decimal(&text(y)));
            assert_eq!(
                add(a, b),
                decimal(&text(x + y)),
                "{} + {}",
                text(x),
                text(y)
            );
            assert_eq!(
                sub(a, b),
                decimal(&text(x - y)),
                "{} - {}",
                text(x),
                text(y)
            );
        }
    }

    #[test]
    fn products_are_the_decimal_results() {
        assert_ne!(0.13 * 60.0, 7.8);
        assert_eq!(mul(0.13, 60.0), 7.8);
        assert_eq!(mul(9.7, 0.1), 0.97);
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..100_000 {
            // Operands of up to 4 places and 5 digits: products of up to 8 places, 10 digits.
            let (p, q) = ((next() % 5) as u32, (next() % 5) as u32);
            let (x, y) = (
                (next() % 100_000) as i64,
                (next() % 100_000) as i64 - 50_000,
            );
            let text = |n: i64, places: u32| {
                let scale = 10u64.pow(places);
                let sign = if n < 0 { "-" } else { "" };
                let m = n.unsigned_abs();
                format!("{sign}{}.{:0w$}", m / scale, m % scale, w = places as usize)
            };
            let (a, b) = (decimal(&text(x, p)), decimal(&text(y, q)));
            assert_eq!(
                mul(a, b),
                decimal(&text(x * y, p + q)),
                "{} * {}",
                text(x, p),
                text(y, q)
            );
        }
    }

    #[test]
    fn large_and_whole_numbers_are_left_as_binary_results() {
        assert_eq!(add(1e300, 1e300), 2e300);
        assert_eq!(add(3.0, 4.0), 7.0);
        assert!(add(f64::NAN, 1.0).is_nan());
        assert_eq!(add(f64::INFINITY, 1.0), f64::INFINITY);
        // Beyond 14 digits the places kept shrink: 2^49 units of 1 at 10^15.
        assert_eq!(add(1e15, 0.5), 1e15 + 0.5);
    }
}
