//! The calendar shared by the engine and the synthetic-register generator: days as numbers of
//! days since 1970-01-01 in the proleptic Gregorian calendar, and [`Day`], a day checked to lie
//! in the supported range.
//!
//! **The supported range is 0000-01-01 to 9999-12-31**, the days that can be written
//! `YYYY-MM-DD`. Every day an extract can hold lies in it, and every day number in it fits an
//! `i32` with room to spare, so the difference of two days never overflows. Arithmetic that
//! would leave the range gives `None` (the engine makes such a result missing; the checker
//! refuses literals and constant expressions that leave it).
//!
//! The functions are `#[inline]`: the loader asks `checked_day` of every date of every extract
//! and `year_and_place` of every `age()`, and across a crate boundary only functions marked so
//! can be inlined into those loops, as they were when they lived in the engine.

use std::fmt;

/// The first year of the supported range.
pub const FIRST_YEAR: i32 = 0;
/// The last year of the supported range.
pub const LAST_YEAR: i32 = 9999;

/// The average length of a year in days: `1 year` in the rule language.
pub const DAYS_PER_YEAR: f64 = 365.25;
/// The average length of a month in days: `1 month` in the rule language.
pub const DAYS_PER_MONTH: f64 = DAYS_PER_YEAR / 12.0;

/// A day of the supported range, 0000-01-01 to 9999-12-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i32);

impl Day {
    /// 0000-01-01.
    pub const MIN: Day = Day(days_from_civil(FIRST_YEAR, 1, 1));
    /// 9999-12-31.
    pub const MAX: Day = Day(days_from_civil(LAST_YEAR, 12, 31));
    /// The number of days from the first day of the range to the last.
    pub const SPAN_DAYS: i32 = Day::MAX.0 - Day::MIN.0;

    /// The day of a date, `None` if there is no such day or it lies outside the range.
    #[inline]
    pub fn from_civil(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return None;
        }
        checked_day(year, month, day).map(Day)
    }

    /// The day of a day number (days since 1970-01-01), `None` outside the range.
    #[inline]
    pub fn from_number(number: i64) -> Option<Day> {
        (i64::from(Day::MIN.0)..=i64::from(Day::MAX.0))
            .contains(&number)
            .then_some(Day(number as i32))
    }

    /// Days since 1970-01-01.
    #[inline]
    pub fn number(self) -> i32 {
        self.0
    }

    /// Year, month (1-12) and day of the month.
    #[inline]
    pub fn civil(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// The day `days` days later (earlier when negative), `None` outside the range.
    #[inline]
    pub fn checked_add_days(self, days: i64) -> Option<Day> {
        Day::from_number(i64::from(self.0).checked_add(days)?)
    }

    /// The day a duration of the rule language later: `days` rounded to whole days (halves
    /// away from zero); `None` when that is not a number or leaves the range.
    #[inline]
    pub fn checked_add_duration(self, days: f64) -> Option<Day> {
        let whole = days.round();
        if !whole.is_finite() || whole.abs() > f64::from(Day::SPAN_DAYS) {
            return None;
        }
        self.checked_add_days(whole as i64)
    }

    /// The same day of the month `months` calendar months later (earlier when negative), the
    /// month's last day where it is shorter; `None` outside the range.
    #[inline]
    pub fn checked_add_months(self, months: i64) -> Option<Day> {
        let (y, m, d) = self.civil();
        let index = i64::from(y)
            .checked_mul(12)?
            .checked_add(i64::from(m) - 1)?
            .checked_add(months)?;
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        let month = index.rem_euclid(12) as u32 + 1;
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return None;
        }
        let last = days_in_month(year, month);
        Day::from_civil(year, month, d.min(last))
    }

    /// The same day `years` calendar years later (28 February for 29 February in a common
    /// year); `None` outside the range.
    #[inline]
    pub fn checked_add_years(self, years: i64) -> Option<Day> {
        self.checked_add_months(years.checked_mul(12)?)
    }
}

impl fmt::Display for Day {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// Whether a year of the proleptic Gregorian calendar is a leap year.
#[inline]
pub const fn is_leap_year(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The number of days of a month (1-12) of a year.
#[inline]
pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap_year(y) => 29,
        1..=12 => u32::from(DAYS_IN_MONTH[m as usize]),
        _ => 0,
    }
}

/// Year, month and day of a date written `YYYY-MM-DD` (four, two and two digits), whether or
/// not such a day exists; `None` for another shape.
#[inline]
pub fn parse_ymd(text: &str) -> Option<(i32, u32, u32)> {
    let b = text.as_bytes();
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = b else {
        return None;
    };
    let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let [y0, y1, y2, y3, m0, m1, d0, d1] = digits.map(|c| u32::from(c - b'0'));
    Some((
        (y0 * 1000 + y1 * 100 + y2 * 10 + y3) as i32,
        m0 * 10 + m1,
        d0 * 10 + d1,
    ))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
#[inline]
pub const fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The first year of [`YEAR_STARTS`].
const TABLE_FIRST_YEAR: i32 = 1600;
/// Years in [`YEAR_STARTS`], one more than the years it covers.
const TABLE_YEARS: usize = 1001;

/// The day number of 1 January of each year from `TABLE_FIRST_YEAR` on: `year()` and `age()`
/// are asked of every row of populations of millions, and a lookup is quicker than the
/// calendar's arithmetic.
const YEAR_STARTS: [i32; TABLE_YEARS] = {
    let mut starts = [0; TABLE_YEARS];
    let mut k = 0;
    while k < TABLE_YEARS {
        starts[k] = days_from_civil(TABLE_FIRST_YEAR + k as i32, 1, 1);
        k += 1;
    }
    starts
};

/// The year of a day number and the day's place in a leap year's calendar (0 for 1 January,
/// 59 for 29 February, 60 for 1 March, whether the year is a leap year or not), so that two
/// days' month and day compare as their places do.
#[inline]
pub fn year_and_place(z: i32) -> (i32, u32) {
    let in_table = z >= YEAR_STARTS[0] && z < YEAR_STARTS[TABLE_YEARS - 1];
    if !in_table {
        let (y, m, d) = civil_from_days(z);
        let place = days_from_civil(2000, m, d) - days_from_civil(2000, 1, 1);
        return (y, place as u32);
    }
    // 146,097 days make 400 years; the estimate is off by at most one year.
    let mut k = ((i64::from(z - YEAR_STARTS[0]) * 400) / 146_097) as usize;
    if k + 1 < TABLE_YEARS && z >= YEAR_STARTS[k + 1] {
        k += 1;
    }
    if z < YEAR_STARTS[k] {
        k -= 1;
    }
    let day_of_year = (z - YEAR_STARTS[k]) as u32;
    let leap = YEAR_STARTS[k + 1] - YEAR_STARTS[k] == 366;
    let place = if !leap && day_of_year >= 59 {
        day_of_year + 1
    } else {
        day_of_year
    };
    (TABLE_FIRST_YEAR + k as i32, place)
}

/// Days before each month's first in a common year (index 1 for January).
const DAYS_BEFORE_MONTH: [u16; 13] = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
/// Days of each month in a common year (index 1 for January).
const DAYS_IN_MONTH: [u8; 13] = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// The day number of a date, `None` if there is no such day: the check and the arithmetic of
/// every date read from an extract.
#[inline]
pub fn checked_day(y: i32, m: u32, d: u32) -> Option<i32> {
    if !(1..=12).contains(&m) {
        return None;
    }
    let k = y - TABLE_FIRST_YEAR;
    let (start, leap) = if k >= 0 && (k as usize) + 1 < TABLE_YEARS {
        let k = k as usize;
        (YEAR_STARTS[k], YEAR_STARTS[k + 1] - YEAR_STARTS[k] == 366)
    } else {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        (days_from_civil(y, 1, 1), leap)
    };
    let late_in_leap_year = u32::from(leap && m > 2);
    let month_days = u32::from(DAYS_IN_MONTH[m as usize]) + u32::from(leap && m == 2);
    if d == 0 || d > month_days {
        return None;
    }
    let day_of_year = u32::from(DAYS_BEFORE_MONTH[m as usize]) + late_in_leap_year + d - 1;
    Some(start + day_of_year as i32)
}

/// The date of a day number.
#[inline]
pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Year and month-and-day order by the calendar's arithmetic.
    fn reference(z: i32) -> (i32, (u32, u32)) {
        let (y, m, d) = civil_from_days(z);
        (y, (m, d))
    }

    #[test]
    fn checked_day_agrees_with_the_calendar_and_refuses_what_is_not_a_day() {
        for y in (1500..=2700).chain([-4, 0, 1, 9999]) {
            for m in 0..=13 {
                for d in 0..=32 {
                    let real = (1..=12).contains(&m)
                        && d >= 1
                        && civil_from_days(days_from_civil(y, m, d)) == (y, m, d);
                    let expected = real.then(|| days_from_civil(y, m, d));
                    assert_eq!(checked_day(y, m, d), expected, "{y}-{m}-{d}");
                }
            }
        }
    }

    #[test]
    fn year_and_place_agree_with_the_calendar_on_every_day() {
        let first = days_from_civil(1500, 1, 1);
        let last = days_from_civil(2700, 12, 31);
        // The previous day's year, month and day, and place.
        let mut previous: Option<(i32, (u32, u32), u32)> = None;
        for z in first..=last {
            let (year, place) = year_and_place(z);
            let (ref_year, month_day) = reference(z);
            assert_eq!(year, ref_year, "day {z}");
            if let Some((prev_year, prev_md, prev_place)) = previous
                && prev_year == year
            {
                assert!(place > prev_place && month_day > prev_md, "day {z}");
            }
            if month_day == (1, 1) {
                assert_eq!(place, 0);
            }
            if month_day == (3, 1) {
                assert_eq!(place, 60, "1 March of {year}");
            }
            previous = Some((year, month_day, place));
        }
    }

    #[test]
    fn places_order_month_and_day_across_years() {
        // Every pair of (month, day) from a leap and a common year compares as their places.
        let days = |y: i32| days_from_civil(y, 1, 1)..days_from_civil(y + 1, 1, 1);
        for a in days(2023).chain(days(2024)).step_by(3) {
            for b in days(2024).chain(days(2025)).step_by(5) {
                let (_, pa) = year_and_place(a);
                let (_, pb) = year_and_place(b);
                assert_eq!(pa < pb, reference(a).1 < reference(b).1, "{a} {b}");
                assert_eq!(pa == pb, reference(a).1 == reference(b).1, "{a} {b}");
            }
        }
    }

    #[test]
    fn the_range_is_the_days_written_with_four_digit_years() {
        assert_eq!(Day::MIN.to_string(), "0000-01-01");
        assert_eq!(Day::MAX.to_string(), "9999-12-31");
        assert_eq!(Day::from_civil(10000, 1, 1), None);
        assert_eq!(Day::from_civil(-1, 12, 31), None);
        assert_eq!(Day::from_civil(2023, 2, 29), None);
        assert_eq!(Day::from_number(i64::from(Day::MAX.number()) + 1), None);
        assert_eq!(Day::from_number(i64::from(Day::MIN.number()) - 1), None);
        assert_eq!(Day::from_civil(1970, 1, 1).map(Day::number), Some(0));
    }

    #[test]
    fn arithmetic_that_leaves_the_range_gives_none_and_never_wraps() {
        let day = Day::from_civil(2023, 1, 31).unwrap();
        assert_eq!(day.checked_add_days(1).unwrap().to_string(), "2023-02-01");
        assert_eq!(day.checked_add_days(-31).unwrap().to_string(), "2022-12-31");
        assert_eq!(day.checked_add_days(i64::MAX), None);
        assert_eq!(day.checked_add_days(i64::MIN), None);
        assert_eq!(Day::MAX.checked_add_days(1), None);
        assert_eq!(Day::MIN.checked_add_days(-1), None);
        // `day + 99999999 years` of the rule language.
        assert_eq!(day.checked_add_duration(99_999_999.0 * DAYS_PER_YEAR), None);
        assert_eq!(day.checked_add_duration(f64::INFINITY), None);
        assert_eq!(day.checked_add_duration(f64::NAN), None);
        assert_eq!(day.checked_add_duration(-f64::MAX), None);
        assert_eq!(
            day.checked_add_duration(0.5).unwrap().to_string(),
            "2023-02-01"
        );
        assert_eq!(
            day.checked_add_duration(-0.5).unwrap().to_string(),
            "2023-01-30"
        );
        assert_eq!(
            day.checked_add_duration(30.0).unwrap().to_string(),
            "2023-03-02"
        );
    }

    #[test]
    fn months_and_years_keep_the_day_of_the_month_where_it_exists() {
        let day = |y, m, d| Day::from_civil(y, m, d).unwrap();
        assert_eq!(
            day(2023, 1, 31).checked_add_months(1),
            Some(day(2023, 2, 28))
        );
        assert_eq!(
            day(2024, 1, 31).checked_add_months(1),
            Some(day(2024, 2, 29))
        );
        assert_eq!(
            day(2023, 3, 15).checked_add_months(-3),
            Some(day(2022, 12, 15))
        );
        assert_eq!(
            day(2024, 2, 29).checked_add_years(1),
            Some(day(2025, 2, 28))
        );
        assert_eq!(
            day(2024, 2, 29).checked_add_years(4),
            Some(day(2028, 2, 29))
        );
        assert_eq!(day(2023, 1, 1).checked_add_years(99_999_999), None);
        assert_eq!(day(2023, 1, 1).checked_add_years(i64::MAX), None);
        assert_eq!(day(2023, 1, 1).checked_add_months(i64::MIN), None);
        assert_eq!(day(9999, 12, 1).checked_add_months(1), None);
    }

    #[test]
    fn parse_ymd_reads_the_shape_only() {
        assert_eq!(parse_ymd("2023-02-30"), Some((2023, 2, 30)));
        assert_eq!(parse_ymd("0000-01-01"), Some((0, 1, 1)));
        assert_eq!(parse_ymd("2023-2-3"), None);
        assert_eq!(parse_ymd("2023/02/03"), None);
        assert_eq!(parse_ymd("２023-02-03"), None);
    }
}
