//! A small linear-programming solver for the disclosure audit: minimise `c·x` subject to
//! `A x = b`, `x ≥ 0`, by the two-phase simplex method on a dense tableau with Bland's rule
//! (the entering column and, among ties, the leaving row of lowest index), which cannot cycle.
//!
//! The systems it is given are small (the hidden counts of one connected part of one count's
//! relations) and their coefficients are 0, 1 and -1, so a dense tableau in `f64` is fast and
//! accurate; the audit compares its bounds with thresholds that are whole numbers, with a
//! tolerance far above the rounding error of such systems. It is tested against enumeration of
//! every integer solution of small systems (`tests/disclosure.rs`).

/// The result of a minimisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    Optimal(f64),
    /// The objective decreases without end.
    Unbounded,
    /// No `x ≥ 0` satisfies the equations.
    Infeasible,
}

const EPS: f64 = 1e-9;

struct Tableau {
    /// `rows` rows of `columns + 1` entries, the last one the right-hand side.
    t: Vec<Vec<f64>>,
    /// The objective row: reduced costs, and minus the objective's value in the last entry.
    z: Vec<f64>,
    basis: Vec<usize>,
}

impl Tableau {
    fn pivot(&mut self, row: usize, column: usize) {
        let p = self.t[row][column];
        for x in self.t[row].iter_mut() {
            *x /= p;
        }
        let pivot_row = self.t[row].clone();
        for (i, r) in self.t.iter_mut().enumerate() {
            if i == row {
                continue;
            }
            let f = r[column];
            if f.abs() > 0.0 {
                for (x, y) in r.iter_mut().zip(&pivot_row) {
                    *x -= f * y;
                }
                r[column] = 0.0;
            }
        }
        let f = self.z[column];
        if f.abs() > 0.0 {
            for (x, y) in self.z.iter_mut().zip(&pivot_row) {
                *x -= f * y;
            }
            self.z[column] = 0.0;
        }
        self.basis[row] = column;
    }

    /// Simplex iterations over the columns below `allowed`; false when unbounded.
    fn run(&mut self, allowed: usize) -> bool {
        let last = self.z.len() - 1;
        loop {
            let Some(entering) = (0..allowed).find(|&j| self.z[j] < -EPS) else {
                return true;
            };
            let mut leaving: Option<(usize, f64)> = None;
            for (i, r) in self.t.iter().enumerate() {
                if r[entering] > EPS {
                    let ratio = r[last] / r[entering];
                    let better = match leaving {
                        None => true,
                        Some((k, best)) => {
                            ratio < best - EPS
                                || (ratio <= best + EPS && self.basis[i] < self.basis[k])
                        }
                    };
                    if better {
                        leaving = Some((i, ratio));
                    }
                }
            }
            match leaving {
                Some((row, _)) => self.pivot(row, entering),
                None => return false,
            }
        }
    }
}

/// Minimises `cost·x` subject to `rows·x = rhs`, `x ≥ 0`.
pub fn minimise(rows: &[Vec<f64>], rhs: &[f64], cost: &[f64]) -> Outcome {
    let m = rows.len();
    let n = cost.len();
    let width = n + m + 1;
    let scale = rhs.iter().fold(1.0_f64, |a, b| a.max(b.abs()));
    let mut t = vec![vec![0.0; width]; m];
    for (i, row) in rows.iter().enumerate() {
        let sign = if rhs[i] < 0.0 { -1.0 } else { 1.0 };
        for (j, a) in row.iter().enumerate() {
            t[i][j] = sign * a;
        }
        t[i][n + i] = 1.0;
        t[i][width - 1] = sign * rhs[i];
    }
    // Phase one: minimise the sum of the artificial variables.
    let mut z = vec![0.0; width];
    for r in &t {
        for j in 0..n {
            z[j] -= r[j];
        }
        z[width - 1] -= r[width - 1];
    }
    let mut tableau = Tableau {
        t,
        z,
        basis: (n..n + m).collect(),
    };
    tableau.run(n + m);
    if -tableau.z[width - 1] > 1e-7 * scale {
        return Outcome::Infeasible;
    }
    // Artificials left in the basis at zero: pivot them out where a real column allows; a row
    // that allows none is a redundant equation.
    for i in 0..m {
        if tableau.basis[i] >= n
            && let Some(j) = (0..n).find(|&j| tableau.t[i][j].abs() > EPS)
        {
            tableau.pivot(i, j);
        }
    }
    // Phase two: the real objective, artificials never entering again.
    let mut z = vec![0.0; width];
    z[..n].copy_from_slice(cost);
    for (i, &b) in tableau.basis.iter().enumerate() {
        let c = if b < n { cost[b] } else { 0.0 };
        if c != 0.0 {
            for (x, y) in z.iter_mut().zip(&tableau.t[i]) {
                *x -= c * y;
            }
        }
    }
    for i in 0..m {
        let b = tableau.basis[i];
        z[b] = 0.0;
    }
    tableau.z = z;
    if !tableau.run(n) {
        return Outcome::Unbounded;
    }
    Outcome::Optimal(-tableau.z[width - 1])
}

/// The least and greatest value of `objective·x` over `rows·x = rhs`, `x ≥ 0` (the greatest
/// infinite when unbounded); `None` when the system has no solution.
pub fn range(rows: &[Vec<f64>], rhs: &[f64], objective: &[f64]) -> Option<(f64, f64)> {
    let low = match minimise(rows, rhs, objective) {
        Outcome::Optimal(v) => v,
        Outcome::Unbounded => f64::NEG_INFINITY,
        Outcome::Infeasible => return None,
    };
    let negated: Vec<f64> = objective.iter().map(|c| -c).collect();
    let high = match minimise(rows, rhs, &negated) {
        Outcome::Optimal(v) => -v,
        Outcome::Unbounded => f64::INFINITY,
        Outcome::Infeasible => return None,
    };
    Some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sum_bounds_its_parts() {
        // x + y = 8, x + z = 5: x in [0, 5], y in [3, 8].
        let rows = vec![vec![1.0, 1.0, 0.0], vec![1.0, 0.0, 1.0]];
        let rhs = [8.0, 5.0];
        assert_eq!(range(&rows, &rhs, &[1.0, 0.0, 0.0]), Some((0.0, 5.0)));
        assert_eq!(range(&rows, &rhs, &[0.0, 1.0, 0.0]), Some((3.0, 8.0)));
    }

    #[test]
    fn unbounded_and_infeasible() {
        // x - y = 2: x in [2, ∞).
        let rows = vec![vec![1.0, -1.0]];
        assert_eq!(
            range(&rows, &[2.0], &[1.0, 0.0]),
            Some((2.0, f64::INFINITY))
        );
        // x + y = -1 has no solution in x, y ≥ 0.
        assert_eq!(range(&[vec![1.0, 1.0]], &[-1.0], &[1.0, 0.0]), None);
    }

    #[test]
    fn redundant_equations() {
        // The same equation twice, and a third that is their difference.
        let rows = vec![vec![1.0, 1.0], vec![1.0, 1.0], vec![0.0, 0.0]];
        assert_eq!(
            range(&rows, &[4.0, 4.0, 0.0], &[1.0, 0.0]),
            Some((0.0, 4.0))
        );
    }
}
