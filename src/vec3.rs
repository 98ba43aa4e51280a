//! Helpers for 3-vectors `[f64; 3]`: augmented points `x̃ = (x1, x2, 1)`, neurons
//! `u = (w1, w2, b)` and the blocks of the convex programs.
//!
//! Each helper is written out component by component in a fixed order (`0, 1, 2`), so a call gives
//! the same bits as the equivalent hand-written expression.

/// Dot product `aᵀb`.
#[inline]
pub fn dot3(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Euclidean norm `‖a‖₂` (plain `√(aᵀa)`, no overflow guard as in `hypot`).
#[inline]
pub fn norm3(a: &[f64; 3]) -> f64 {
    dot3(a, a).sqrt()
}

/// Cross product `a × b`.
#[inline]
pub fn cross3(a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// `a / ‖a‖₂`, dividing each component by the norm (NaN for the zero vector).
#[inline]
pub fn normalize3(a: [f64; 3]) -> [f64; 3] {
    let n = norm3(&a);
    [a[0] / n, a[1] / n, a[2] / n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let (a, b) = ([1.0, 2.0, 2.0], [-2.0, 0.5, 3.0]);
        assert_eq!(dot3(&a, &b), 5.0);
        assert_eq!(norm3(&a), 3.0);
        assert_eq!(cross3(&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0]), [0.0, 0.0, 1.0]);
        let c = cross3(&a, &b);
        assert_eq!((dot3(&c, &a), dot3(&c, &b)), (0.0, 0.0));
        assert_eq!(normalize3(a), [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0]);
        assert!(normalize3([0.0; 3]).iter().all(|v| v.is_nan()));
    }
}
