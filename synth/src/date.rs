//! Dates as days since 1970-01-01 (proleptic Gregorian), by the calendar the engine uses
//! (`indikator-calendar`). The generator's days lie in the few years it writes, far inside the
//! calendar's range, so plain day numbers serve here.

pub type Day = i32;

pub fn from_civil(y: i32, m: u32, d: u32) -> Day {
    indikator_calendar::days_from_civil(y, m, d)
}

pub fn to_civil(z: Day) -> (i32, u32, u32) {
    indikator_calendar::civil_from_days(z)
}

pub fn year_of(z: Day) -> i32 {
    to_civil(z).0
}

pub fn month_of(z: Day) -> u32 {
    to_civil(z).1
}

pub fn jan1(y: i32) -> Day {
    from_civil(y, 1, 1)
}

/// Completed years of age on `on` for a birth date `birth` (as the engine's `age()`).
pub fn age(birth: Day, on: Day) -> i32 {
    let (by, bm, bd) = to_civil(birth);
    let (y, m, d) = to_civil(on);
    let mut a = y - by;
    if (m, d) < (bm, bd) {
        a -= 1;
    }
    a
}

/// Appends YYYY-MM-DD.
pub fn push(buf: &mut Vec<u8>, z: Day) {
    let (y, m, d) = to_civil(z);
    let y = y as u32;
    buf.extend_from_slice(&[
        b'0' + (y / 1000 % 10) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b'-',
        b'0' + (d / 10) as u8,
        b'0' + (d % 10) as u8,
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(from_civil(1970, 1, 1), 0);
        assert_eq!(to_civil(from_civil(2024, 2, 29)), (2024, 2, 29));
        for z in -40_000..40_000 {
            let (y, m, d) = to_civil(z);
            assert_eq!(from_civil(y, m, d), z);
        }
        assert_eq!(age(from_civil(1950, 6, 15), from_civil(2023, 6, 14)), 72);
        assert_eq!(age(from_civil(1950, 6, 15), from_civil(2023, 6, 15)), 73);
        let mut b = Vec::new();
        push(&mut b, from_civil(2023, 3, 9));
        assert_eq!(b, b"2023-03-09");
    }
}
