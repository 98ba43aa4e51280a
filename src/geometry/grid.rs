//! Sampled fields for drawing: a network's output over the data plane, the dual certificate
//! `h(θ, t)` over line space (docs/math.md#certificate), activation-region labels, and the level sets
//! of such fields (marching squares). Pure numerics: the app turns these into images.
//!
//! Line space: every direction `u ∈ S²` that is not a pole is an oriented line in the data plane,
//! `u = (cos θ, sin θ, −t)/√(1 + t²)`, i.e. the line `cos θ·x₁ + sin θ·x₂ = t` with its active side
//! `cos θ·x₁ + sin θ·x₂ > t`.

use crate::geometry::{Bitset, PatternSet};
use crate::model::ReluNetwork;

/// A scalar field sampled at the centres of an `nx × ny` grid of cells over `[x0, x1] × [y0, y1]`.
/// `values[row * nx + col]`, row 0 at `y0` (bottom).
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
    /// `[x0, x1, y0, y1]`.
    pub extent: [f64; 4],
    /// Row-major values.
    pub values: Vec<f64>,
}

impl Grid {
    /// Samples `f` at every cell centre.
    pub fn sample(
        nx: usize,
        ny: usize,
        extent: [f64; 4],
        mut f: impl FnMut(f64, f64) -> f64,
    ) -> Self {
        let mut values = Vec::with_capacity(nx * ny);
        for r in 0..ny {
            let y = cell_center(extent[2], extent[3], ny, r);
            for c in 0..nx {
                values.push(f(cell_center(extent[0], extent[1], nx, c), y));
            }
        }
        Self {
            nx,
            ny,
            extent,
            values,
        }
    }

    /// Coordinates of the centre of cell `(col, row)`.
    pub fn center(&self, col: usize, row: usize) -> [f64; 2] {
        [
            cell_center(self.extent[0], self.extent[1], self.nx, col),
            cell_center(self.extent[2], self.extent[3], self.ny, row),
        ]
    }

    /// The cell containing `p`, if inside.
    pub fn cell_of(&self, p: [f64; 2]) -> Option<(usize, usize)> {
        let fx = (p[0] - self.extent[0]) / (self.extent[1] - self.extent[0]);
        let fy = (p[1] - self.extent[2]) / (self.extent[3] - self.extent[2]);
        if !(0.0..1.0).contains(&fx) || !(0.0..1.0).contains(&fy) {
            return None;
        }
        Some((
            (fx * self.nx as f64) as usize,
            (fy * self.ny as f64) as usize,
        ))
    }

    /// Largest finite absolute value (0 if none).
    pub fn max_abs(&self) -> f64 {
        self.values
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0, |m, v| m.max(v.abs()))
    }

    /// Line segments of the level set `{f = level}` by marching squares over the cell centres
    /// (linear interpolation on each edge; the two saddle cases are split by the centre value).
    pub fn contour(&self, level: f64) -> Vec<[[f64; 2]; 2]> {
        let mut out = Vec::new();
        if self.nx < 2 || self.ny < 2 {
            return out;
        }
        let v = |c: usize, r: usize| self.values[r * self.nx + c] - level;
        for r in 0..self.ny - 1 {
            for c in 0..self.nx - 1 {
                // Corners counter-clockwise from bottom-left.
                let corners = [(c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1)];
                let vals = corners.map(|(cc, rr)| v(cc, rr));
                if vals.iter().any(|x| !x.is_finite()) {
                    continue;
                }
                let pts = corners.map(|(cc, rr)| self.center(cc, rr));
                let mut crossings: Vec<[f64; 2]> = Vec::with_capacity(4);
                for e in 0..4 {
                    let (a, b) = (vals[e], vals[(e + 1) % 4]);
                    if (a > 0.0) != (b > 0.0) {
                        let s = a / (a - b);
                        let (pa, pb) = (pts[e], pts[(e + 1) % 4]);
                        crossings.push([pa[0] + s * (pb[0] - pa[0]), pa[1] + s * (pb[1] - pa[1])]);
                    }
                }
                match crossings.len() {
                    2 => out.push([crossings[0], crossings[1]]),
                    4 => {
                        let centre = vals.iter().sum::<f64>() / 4.0;
                        if (centre > 0.0) == (vals[0] > 0.0) {
                            out.push([crossings[0], crossings[3]]);
                            out.push([crossings[1], crossings[2]]);
                        } else {
                            out.push([crossings[0], crossings[1]]);
                            out.push([crossings[2], crossings[3]]);
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }
}

fn cell_center(a: f64, b: f64, n: usize, i: usize) -> f64 {
    a + (b - a) * (i as f64 + 0.5) / n as f64
}

/// The network's output over the plane.
pub fn output_grid(net: &ReluNetwork, nx: usize, ny: usize, extent: [f64; 4]) -> Grid {
    // Neuron by neuron over whole rows (contiguous, vectorizable): early iterates carry hundreds
    // of neurons and this field is drawn at every snapshot.
    let xs: Vec<f64> = (0..nx)
        .map(|c| cell_center(extent[0], extent[1], nx, c))
        .collect();
    let ys: Vec<f64> = (0..ny)
        .map(|r| cell_center(extent[2], extent[3], ny, r))
        .collect();
    let mut values = vec![0.0; nx * ny];
    for nr in net.neurons.iter().filter(|nr| nr.alpha != 0.0) {
        let [a, b, c] = nr.u;
        for (row, &y) in values.chunks_exact_mut(nx).zip(&ys) {
            let base = b * y + c;
            for (v, &x) in row.iter_mut().zip(&xs) {
                *v += nr.alpha * (a * x + base).max(0.0);
            }
        }
    }
    Grid {
        nx,
        ny,
        extent,
        values,
    }
}

/// `f` over the plane at the cell centres (any model's output field).
pub fn function_grid(f: impl Fn([f64; 2]) -> f64, nx: usize, ny: usize, extent: [f64; 4]) -> Grid {
    let mut values = Vec::with_capacity(nx * ny);
    for r in 0..ny {
        let y = cell_center(extent[2], extent[3], ny, r);
        for c in 0..nx {
            values.push(f([cell_center(extent[0], extent[1], nx, c), y]));
        }
    }
    Grid {
        nx,
        ny,
        extent,
        values,
    }
}

/// The unit direction of the line `(θ, t)` (docs/math.md#certificate).
pub fn line_direction(theta: f64, t: f64) -> [f64; 3] {
    let s = (1.0 + t * t).sqrt();
    [theta.cos() / s, theta.sin() / s, -t / s]
}

/// Line-space coordinates `(θ ∈ [0, 2π), t)` of a neuron `u` (`None` for a constant neuron,
/// whose first two entries vanish: a pole of the sphere).
pub fn line_coords(u: &[f64; 3]) -> Option<(f64, f64)> {
    let r = u[0].hypot(u[1]);
    let norm = (r * r + u[2] * u[2]).sqrt();
    if r.is_nan() || r <= 1e-12 * norm {
        return None;
    }
    let theta = u[1].atan2(u[0]).rem_euclid(std::f64::consts::TAU);
    Some((theta, -u[2] / r))
}

/// `h(θ, t)/β = Σ_j v_j (x̃_jᵀu)₊ / β` over line space `θ ∈ [0, 2π)`, `t ∈ [−t_max, t_max]`
/// (x axis θ, y axis t).
pub fn certificate_grid(
    x: &[[f64; 2]],
    v: &[f64],
    beta: f64,
    nx: usize,
    ny: usize,
    t_max: f64,
) -> Grid {
    let extent = [0.0, std::f64::consts::TAU, -t_max, t_max];
    let scale = if beta > 0.0 { 1.0 / beta } else { 1.0 };
    // Precompute per column cos/sin projections.
    let mut proj = vec![0.0; nx * x.len()];
    for c in 0..nx {
        let th = cell_center(extent[0], extent[1], nx, c);
        let (s, co) = th.sin_cos();
        for (j, p) in x.iter().enumerate() {
            proj[c * x.len() + j] = co * p[0] + s * p[1];
        }
    }
    let mut values = Vec::with_capacity(nx * ny);
    for r in 0..ny {
        let t = cell_center(extent[2], extent[3], ny, r);
        let norm = (1.0 + t * t).sqrt();
        for c in 0..nx {
            let pr = &proj[c * x.len()..(c + 1) * x.len()];
            let h: f64 = pr.iter().zip(v).map(|(a, vj)| vj * (a - t).max(0.0)).sum();
            values.push(h / norm * scale);
        }
    }
    Grid {
        nx,
        ny,
        extent,
        values,
    }
}

/// Activation pattern of every cell of line space, as a 64-bit fingerprint (equal patterns give
/// equal fingerprints), and whether the pattern belongs to `chosen`.
pub fn line_space_regions(
    x: &[[f64; 2]],
    chosen: &PatternSet,
    nx: usize,
    ny: usize,
    t_max: f64,
) -> (Vec<u64>, Vec<bool>) {
    let extent = [0.0, std::f64::consts::TAU, -t_max, t_max];
    let mut prints = Vec::with_capacity(nx * ny);
    let mut member = Vec::with_capacity(nx * ny);
    for r in 0..ny {
        let t = cell_center(extent[2], extent[3], ny, r);
        for c in 0..nx {
            let th = cell_center(extent[0], extent[1], nx, c);
            let u = line_direction(th, t);
            let pat = Bitset::from_bools(x.iter().map(|p| p[0] * u[0] + p[1] * u[1] + u[2] > 0.0));
            prints.push(fingerprint(&pat));
            member.push(chosen.find(&pat).is_some());
        }
    }
    (prints, member)
}

/// Which neurons are active in every cell of the data plane, as a fingerprint of the on-set
/// (`0` when no neuron is on).
pub fn neuron_regions(net: &ReluNetwork, nx: usize, ny: usize, extent: [f64; 4]) -> Vec<u64> {
    let keys: Vec<u64> = (0..net.neurons.len())
        .map(|k| splitmix(k as u64 + 1))
        .collect();
    let mut out = Vec::with_capacity(nx * ny);
    for r in 0..ny {
        let y = cell_center(extent[2], extent[3], ny, r);
        for c in 0..nx {
            let x = cell_center(extent[0], extent[1], nx, c);
            let mut f = 0u64;
            for (nr, key) in net.neurons.iter().zip(&keys) {
                if nr.pre([x, y]) > 0.0 {
                    f ^= key;
                }
            }
            out.push(f);
        }
    }
    out
}

/// A 64-bit fingerprint of a pattern (0 for the empty pattern).
pub fn fingerprint(b: &Bitset) -> u64 {
    if b.is_zero() {
        return 0;
    }
    b.words()
        .iter()
        .enumerate()
        .fold(0x9E37_79B9_7F4A_7C15, |h, (i, w)| {
            splitmix(h ^ w.wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ i as u64)
        })
}

/// SplitMix64 finaliser.
pub fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `h(u) = Σⱼ vⱼ (x̃ⱼᵀu)₊`, written out here as an independent check.
    fn h(x: &[[f64; 2]], v: &[f64], u: &[f64; 3]) -> f64 {
        x.iter()
            .zip(v)
            .map(|(p, vj)| vj * (p[0] * u[0] + p[1] * u[1] + u[2]).max(0.0))
            .sum()
    }

    #[test]
    fn line_coords_round_trip() {
        for &(th, t) in &[(0.3, -1.2), (2.0, 0.0), (5.9, 3.5)] {
            let u = line_direction(th, t);
            let (a, b) = line_coords(&u).unwrap_or((f64::NAN, f64::NAN));
            assert!((a - th).abs() < 1e-12 && (b - t).abs() < 1e-12, "{a} {b}");
        }
        assert!(line_coords(&[0.0, 0.0, 1.0]).is_none());
    }

    #[test]
    fn certificate_grid_matches_direct_evaluation() {
        let x = [[0.5, -1.0], [1.5, 0.3], [-0.7, 0.9]];
        let v = [0.4, -1.1, 0.8];
        let g = certificate_grid(&x, &v, 0.5, 7, 5, 2.0);
        for r in 0..5 {
            for c in 0..7 {
                let [th, t] = g.center(c, r);
                let want = h(&x, &v, &line_direction(th, t)) / 0.5;
                assert!((g.values[r * 7 + c] - want).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn output_grid_is_the_network_output() {
        let net = ReluNetwork {
            neurons: vec![
                crate::model::Neuron {
                    u: [1.0, -0.5, 0.2],
                    alpha: 0.7,
                },
                crate::model::Neuron {
                    u: [-0.3, 0.9, -0.1],
                    alpha: -1.3,
                },
            ],
        };
        let g = output_grid(&net, 9, 7, [-2.0, 1.0, -1.5, 2.5]);
        for r in 0..7 {
            for c in 0..9 {
                let [x, y] = g.center(c, r);
                assert!((g.values[r * 9 + c] - net.eval([x, y])).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn contour_of_a_plane_is_the_line() {
        let g = Grid::sample(20, 20, [-1.0, 1.0, -1.0, 1.0], |x, y| x + 2.0 * y - 0.3);
        let segs = g.contour(0.0);
        assert!(!segs.is_empty());
        for s in segs {
            for p in s {
                assert!((p[0] + 2.0 * p[1] - 0.3).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn fingerprints_separate_patterns() {
        let a = Bitset::from_bools([true, false, true]);
        let b = Bitset::from_bools([true, true, false]);
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&Bitset::zeros(3)), 0);
    }
}
