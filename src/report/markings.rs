//! The traffic-light markings of the report: development since the comparison period, and
//! level against the national figure. Both are computed on full precision, with the tolerance
//! the publication file sets (`[markings] tolerance`).

use crate::plan::Direction;

pub use crate::words::Marking;

/// Floating-point noise must not flip an exact 1 % difference out of yellow.
const EPSILON: f64 = 1e-9;

/// Compares a value with a reference: yellow within ±`tolerance` (relative, inclusive) of the
/// reference, otherwise green
/// when the value is better in the improvement direction and red when it is worse. No marking
/// for indicators without an improvement direction, or without both numbers.
pub fn mark(value: f64, reference: f64, direction: Direction, tolerance: f64) -> Option<Marking> {
    if direction == Direction::None || !value.is_finite() || !reference.is_finite() {
        return None;
    }
    let difference = value - reference;
    let relative = if reference == 0.0 {
        if difference == 0.0 {
            0.0
        } else {
            difference.signum() * f64::INFINITY
        }
    } else {
        difference / reference.abs()
    };
    if relative.abs() <= tolerance + EPSILON {
        return Some(Marking::Yellow);
    }
    let better = match direction {
        Direction::Higher => relative > 0.0,
        Direction::Lower => relative < 0.0,
        Direction::None => return None,
    };
    Some(if better { Marking::Green } else { Marking::Red })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_PERCENT: f64 = 0.01;

    #[test]
    fn within_one_percent_is_yellow_inclusive() {
        // 10.1 is exactly 1 % above 10.0 (0.1 / 10.0 = 0.01): yellow, however the division rounds.
        assert_eq!(
            mark(10.1, 10.0, Direction::Lower, ONE_PERCENT),
            Some(Marking::Yellow)
        );
        assert_eq!(
            mark(9.9, 10.0, Direction::Lower, ONE_PERCENT),
            Some(Marking::Yellow)
        );
        // 10.11 is 1.1 % above: worse when lower is better.
        assert_eq!(
            mark(10.11, 10.0, Direction::Lower, ONE_PERCENT),
            Some(Marking::Red)
        );
        assert_eq!(
            mark(10.11, 10.0, Direction::Higher, ONE_PERCENT),
            Some(Marking::Green)
        );
        assert_eq!(
            mark(9.8, 10.0, Direction::Lower, ONE_PERCENT),
            Some(Marking::Green)
        );
    }

    #[test]
    fn the_reference_scale_is_its_absolute_value() {
        // -2.0 against -2.5: 0.5 / 2.5 = 20 % higher.
        assert_eq!(
            mark(-2.0, -2.5, Direction::Higher, ONE_PERCENT),
            Some(Marking::Green)
        );
    }

    #[test]
    fn zero_reference() {
        assert_eq!(
            mark(0.0, 0.0, Direction::Lower, ONE_PERCENT),
            Some(Marking::Yellow)
        );
        assert_eq!(
            mark(1.0, 0.0, Direction::Lower, ONE_PERCENT),
            Some(Marking::Red)
        );
    }

    #[test]
    fn no_direction_no_marking() {
        assert_eq!(mark(1.0, 2.0, Direction::None, ONE_PERCENT), None);
    }

    #[test]
    fn the_tolerance_is_the_publications() {
        // 10.3 is 3 % above 10.0: red at ±1 %, yellow at ±5 %.
        assert_eq!(mark(10.3, 10.0, Direction::Lower, 0.01), Some(Marking::Red));
        assert_eq!(
            mark(10.3, 10.0, Direction::Lower, 0.05),
            Some(Marking::Yellow)
        );
    }
}
