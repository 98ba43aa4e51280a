//! Built-in, seeded dataset generators ("presets") for the explorer.
//!
//! All presets keep their points roughly inside `[-1.5, 1.5]²`, because the solver uses data
//! un-standardized. Generation is deterministic for a given `(preset, n, noise, seed)`: the
//! random stream is `rand`'s `StdRng` (ChaCha12, seeded with `seed_from_u64`), Gaussian noise
//! is a hand-written Box–Muller transform, and the few transcendental functions needed (`ln`,
//! `sin`, `cos`) are evaluated with fixed polynomial code built from IEEE-exact operations
//! (`+ − × ÷ √`) instead of the platform's libm. The same parameters therefore give bit-identical
//! datasets on every platform (for a given `rand` version).
//!
//! Classes are balanced: point `i` belongs to class `i mod K` (K = 2 or 3), so with `n` not a
//! multiple of K the first classes get one extra point. For binary presets class 0 is labelled
//! `+1` and class 1 is labelled `−1`.

use std::f64::consts::{FRAC_2_PI, LN_2, PI, SQRT_2};

use rand::{RngExt, SeedableRng, rngs::StdRng};

use super::{Dataset, TargetKind};
use crate::error::{Error, Result};

/// A built-in dataset generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Preset {
    /// Two interleaved spiral arms (binary).
    Spiral,
    /// XOR quadrants: label = sign(x1 · x2) (binary).
    Xor,
    /// An inner disk inside a ring (binary).
    Circles,
    /// The two interleaving half-moons (binary).
    Moons,
    /// Two Gaussian clusters (binary).
    Blobs,
    /// Two tight clusters at ±(1.5, 0) whose points satisfy `x_iᵀx_j + 1 > 0` within a class and
    /// `x_iᵀx_j ≤ −1` across classes (docs/math.md#max-margin) for `noise ≤ 0.138`.
    OrthogonalSeparable,
    /// Regression target `sin(π x1) · cos(π x2 / 2)` plus noise.
    RegressionSine,
    /// Regression target `x1² − x2²` plus noise.
    RegressionSaddle,
    /// Three interleaved spiral arms (classes 0, 1, 2).
    Spiral3,
    /// Three Gaussian clusters (classes 0, 1, 2).
    Blobs3,
}

/// Parameters of a preset: number of points, noise level and random seed.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PresetParams {
    /// Number of points (at least 1).
    pub n: usize,
    /// Noise level (finite, at least 0): the standard deviation of the Gaussian jitter added to
    /// the points (classification), the cluster spread (blobs, orthogonal) or the target noise
    /// (regression).
    pub noise: f64,
    /// Random seed.
    pub seed: u64,
}

impl Preset {
    /// Every preset, in the order shown in the UI.
    pub const ALL: [Preset; 10] = [
        Preset::Spiral,
        Preset::Xor,
        Preset::Circles,
        Preset::Moons,
        Preset::Blobs,
        Preset::OrthogonalSeparable,
        Preset::RegressionSine,
        Preset::RegressionSaddle,
        Preset::Spiral3,
        Preset::Blobs3,
    ];

    /// The name used on the command line: `spiral`, `xor`, `circles`, `moons`, `blobs`,
    /// `orthogonal`, `sine`, `saddle`, `spiral3`, `blobs3`.
    pub fn name(&self) -> &'static str {
        match self {
            Preset::Spiral => "spiral",
            Preset::Xor => "xor",
            Preset::Circles => "circles",
            Preset::Moons => "moons",
            Preset::Blobs => "blobs",
            Preset::OrthogonalSeparable => "orthogonal",
            Preset::RegressionSine => "sine",
            Preset::RegressionSaddle => "saddle",
            Preset::Spiral3 => "spiral3",
            Preset::Blobs3 => "blobs3",
        }
    }

    /// Looks a preset up by its [`name`](Preset::name), case-insensitively and ignoring
    /// surrounding whitespace; `orthogonal-separable` is accepted as well.
    pub fn from_name(s: &str) -> Option<Preset> {
        let s = s.trim().to_ascii_lowercase();
        if s == "orthogonal-separable" {
            return Some(Preset::OrthogonalSeparable);
        }
        Preset::ALL.into_iter().find(|p| p.name() == s)
    }

    /// One line describing the preset, for the UI.
    pub fn description(&self) -> &'static str {
        match self {
            Preset::Spiral => "Two interleaved spiral arms (binary, ±1); noise jitters the points.",
            Preset::Xor => {
                "XOR quadrants in [-1,1]²: label = sign(x1·x2) (binary, ±1); noise jitters the points."
            }
            Preset::Circles => {
                "Inner disk (radius 0.4, +1) inside a ring (radius ~1, −1); noise jitters the points."
            }
            Preset::Moons => {
                "Two interleaving half-moons scaled to about [-1,1]×[-0.5,0.5] (binary, ±1)."
            }
            Preset::Blobs => {
                "Two Gaussian clusters at ±(0.6, 0.6) (binary, ±1); noise is the cluster spread."
            }
            Preset::OrthogonalSeparable => {
                "Two tight clusters at ±(1.5, 0), orthogonally separable for noise ≤ 0.138 (binary, ±1)."
            }
            Preset::RegressionSine => {
                "Regression: y = sin(π·x1)·cos(π·x2/2) + noise·N(0,1) on [-1,1]²."
            }
            Preset::RegressionSaddle => "Regression: y = x1² − x2² + noise·N(0,1) on [-1,1]².",
            Preset::Spiral3 => "Three interleaved spiral arms (classes 0, 1, 2).",
            Preset::Blobs3 => {
                "Three Gaussian clusters around the origin (classes 0, 1, 2); noise is the spread."
            }
        }
    }

    /// What the generated targets mean: `spiral3`/`blobs3` are `MultiClass(3)`, `sine`/`saddle`
    /// are `Regression`, the rest are `Binary`.
    pub fn kind(&self) -> TargetKind {
        match self {
            Preset::Spiral3 | Preset::Blobs3 => TargetKind::MultiClass(3),
            Preset::RegressionSine | Preset::RegressionSaddle => TargetKind::Regression,
            Preset::Spiral
            | Preset::Xor
            | Preset::Circles
            | Preset::Moons
            | Preset::Blobs
            | Preset::OrthogonalSeparable => TargetKind::Binary,
        }
    }

    /// The parameters the UI starts with (seed 1 for every preset).
    pub fn default_params(&self) -> PresetParams {
        let (n, noise) = match self {
            Preset::Spiral => (100, 0.05),
            Preset::Xor => (80, 0.05),
            Preset::Circles => (80, 0.05),
            Preset::Moons => (80, 0.05),
            Preset::Blobs => (60, 0.3),
            Preset::OrthogonalSeparable => (20, 0.1),
            Preset::RegressionSine => (60, 0.05),
            Preset::RegressionSaddle => (60, 0.05),
            Preset::Spiral3 => (90, 0.05),
            Preset::Blobs3 => (60, 0.25),
        };
        PresetParams { n, noise, seed: 1 }
    }
}

/// Largest preset noise: far beyond it the shapes are gone and coordinates overflow.
pub const MAX_NOISE: f64 = 1000.0;

/// Generates the dataset of a preset.
///
/// Errors with [`Error::InvalidSetting`] naming the field when `n` is 0 or `noise` is negative,
/// not finite or above [`MAX_NOISE`].
pub fn generate(preset: Preset, params: &PresetParams) -> Result<Dataset> {
    let PresetParams { n, noise, seed } = *params;
    if n == 0 || n > crate::limits::MAX_POINTS {
        return Err(Error::InvalidSetting(format!(
            "n (number of points) must be from 1 to {}, got {n}",
            crate::limits::MAX_POINTS
        )));
    }
    if !noise.is_finite() || !(0.0..=MAX_NOISE).contains(&noise) {
        return Err(Error::InvalidSetting(format!(
            "noise must be a number from 0 to {MAX_NOISE} (the presets lie in about [−1, 1]²), \
             got {noise:e}"
        )));
    }
    let mut s = Sampler::new(seed);
    let mut x = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    match preset {
        Preset::Spiral | Preset::Spiral3 => {
            let k = if preset == Preset::Spiral { 2 } else { 3 };
            for i in 0..n {
                let (class, j, count) = class_slot(i, n, k);
                let t = (j as f64 + s.uniform()) / count as f64;
                let r = 0.1 + 0.9 * t;
                let theta = SPIRAL_TURNS * 2.0 * PI * t + 2.0 * PI * class as f64 / k as f64;
                let (sn, cs) = det_sin_cos(theta);
                x.push(s.jitter([r * cs, r * sn], noise));
                y.push(label(preset, class));
            }
        }
        Preset::Xor => {
            for i in 0..n {
                let (class, _, _) = class_slot(i, n, 2);
                let lab = label(preset, class);
                let a = s.uniform();
                let b = s.uniform();
                let s1 = if s.uniform() < 0.5 { 1.0 } else { -1.0 };
                x.push(s.jitter([s1 * a, s1 * lab * b], noise));
                y.push(lab);
            }
        }
        Preset::Circles => {
            for i in 0..n {
                let (class, _, _) = class_slot(i, n, 2);
                let r = if class == 0 {
                    0.4 * s.uniform().sqrt()
                } else {
                    0.9 + 0.2 * s.uniform()
                };
                let (sn, cs) = det_sin_cos(2.0 * PI * s.uniform());
                x.push(s.jitter([r * cs, r * sn], noise));
                y.push(label(preset, class));
            }
        }
        Preset::Moons => {
            for i in 0..n {
                let (class, j, count) = class_slot(i, n, 2);
                let t = PI * (j as f64 + s.uniform()) / count as f64;
                let (sn, cs) = det_sin_cos(t);
                let p = if class == 0 {
                    [cs, sn]
                } else {
                    [1.0 - cs, 0.5 - sn]
                };
                let scaled = [(p[0] - 0.5) * MOONS_SCALE, (p[1] - 0.25) * MOONS_SCALE];
                x.push(s.jitter(scaled, noise));
                y.push(label(preset, class));
            }
        }
        Preset::Blobs | Preset::Blobs3 => {
            let h = 0.4 * 3f64.sqrt();
            let centers: &[[f64; 2]] = if preset == Preset::Blobs {
                &[[0.6, 0.6], [-0.6, -0.6]]
            } else {
                &[[0.0, 0.8], [-h, -0.4], [h, -0.4]]
            };
            for i in 0..n {
                let (class, _, _) = class_slot(i, n, centers.len());
                x.push(s.jitter(centers[class], noise));
                y.push(label(preset, class));
            }
        }
        Preset::OrthogonalSeparable => {
            for i in 0..n {
                let (class, _, _) = class_slot(i, n, 2);
                let c = if class == 0 { 1.5 } else { -1.5 };
                let dx = noise * s.truncated_normal(ORTHO_TRUNCATION);
                let dy = noise * s.truncated_normal(ORTHO_TRUNCATION);
                x.push([c + dx, dy]);
                y.push(label(preset, class));
            }
        }
        Preset::RegressionSine | Preset::RegressionSaddle => {
            for _ in 0..n {
                let p = [2.0 * s.uniform() - 1.0, 2.0 * s.uniform() - 1.0];
                let clean = if preset == Preset::RegressionSine {
                    det_sin_cos(PI * p[0]).0 * det_sin_cos(0.5 * PI * p[1]).1
                } else {
                    p[0] * p[0] - p[1] * p[1]
                };
                x.push(p);
                y.push(clean + noise * s.normal());
            }
        }
    }
    Dataset::new(x, y, preset.kind())
}

/// Number of turns of each spiral arm.
const SPIRAL_TURNS: f64 = 1.25;
/// Scale taking the sklearn moons (x ∈ [-1, 2]) to about [-1, 1].
const MOONS_SCALE: f64 = 2.0 / 3.0;
/// The orthogonal-separable clusters use Gaussian jitter truncated to ±3 standard deviations,
/// which makes the separability guarantee hold for every seed when `noise ≤ 1.25 / 9`.
const ORTHO_TRUNCATION: f64 = 3.0;

/// Class of point `i` among `k` balanced classes, its index within the class and the class
/// size.
fn class_slot(i: usize, n: usize, k: usize) -> (usize, usize, usize) {
    let class = i % k;
    let count = n / k + usize::from(class < n % k);
    (class, i / k, count)
}

/// The target value of class `class` for a classification preset.
fn label(preset: Preset, class: usize) -> f64 {
    match preset.kind() {
        TargetKind::Binary => {
            if class == 0 {
                1.0
            } else {
                -1.0
            }
        }
        _ => class as f64,
    }
}

/// Seeded source of uniform and Gaussian samples.
struct Sampler {
    rng: StdRng,
    spare: Option<f64>,
}

impl Sampler {
    fn new(seed: u64) -> Self {
        Sampler {
            rng: StdRng::seed_from_u64(seed),
            spare: None,
        }
    }

    /// Uniform in `[0, 1)` (53 random bits).
    fn uniform(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    /// Standard normal sample by the Box–Muller transform (both outputs used).
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = 1.0 - self.uniform(); // (0, 1], so ln is finite
        let u2 = self.uniform();
        let r = (-2.0 * det_ln(u1)).sqrt();
        let (sn, cs) = det_sin_cos(2.0 * PI * u2);
        self.spare = Some(r * sn);
        r * cs
    }

    /// Standard normal sample conditioned on `|z| <= limit` (by rejection).
    fn truncated_normal(&mut self, limit: f64) -> f64 {
        loop {
            let z = self.normal();
            if z.abs() <= limit {
                return z;
            }
        }
    }

    /// `p + noise · N(0, I)`. No random numbers are drawn when `noise == 0`.
    fn jitter(&mut self, p: [f64; 2], noise: f64) -> [f64; 2] {
        if noise == 0.0 {
            return p;
        }
        let a = self.normal();
        let b = self.normal();
        [p[0] + noise * a, p[1] + noise * b]
    }
}

// ---- Platform-independent elementary functions -------------------------------------------
// Only IEEE-754 correctly rounded operations are used (Rust never fuses a*b+c implicitly), so
// the results are bit-identical everywhere. Accuracy is a few ulps, ample for data generation.

/// Taylor coefficients of sin: −1/3!, 1/5!, …, 1/17!.
const SIN_C: [f64; 8] = [
    -1.0 / 6.0,
    1.0 / 120.0,
    -1.0 / 5040.0,
    1.0 / 362880.0,
    -1.0 / 39916800.0,
    1.0 / 6227020800.0,
    -1.0 / 1307674368000.0,
    1.0 / 355687428096000.0,
];
/// Taylor coefficients of cos: −1/2!, 1/4!, …, −1/18!.
const COS_C: [f64; 9] = [
    -1.0 / 2.0,
    1.0 / 24.0,
    -1.0 / 720.0,
    1.0 / 40320.0,
    -1.0 / 3628800.0,
    1.0 / 479001600.0,
    -1.0 / 87178291200.0,
    1.0 / 20922789888000.0,
    -1.0 / 6402373705728000.0,
];
/// π/2 split for Cody–Waite reduction (fdlibm's `pio2_1`, `pio2_1t`): the high part has 33
/// significant bits, so `k · PIO2_HI` is exact for `|k| < 2^20`.
const PIO2_HI: f64 = f64::from_bits(0x3FF9_21FB_5440_0000);
const PIO2_LO: f64 = f64::from_bits(0x3DD0_B461_1A62_6331);

/// `(sin x, cos x)` for moderate `|x|` (accurate to a few ulps for `|x| < 1e6`).
fn det_sin_cos(x: f64) -> (f64, f64) {
    if !x.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    let k = (x * FRAC_2_PI).round();
    let r = (x - k * PIO2_HI) - k * PIO2_LO;
    let z = r * r;
    let mut ps = SIN_C[SIN_C.len() - 1];
    for &c in SIN_C[..SIN_C.len() - 1].iter().rev() {
        ps = c + z * ps;
    }
    let mut pc = COS_C[COS_C.len() - 1];
    for &c in COS_C[..COS_C.len() - 1].iter().rev() {
        pc = c + z * pc;
    }
    let s = r + r * (z * ps);
    let c = 1.0 + z * pc;
    match (k as i64).rem_euclid(4) {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

/// Natural logarithm of a positive finite `x` (NaN for negative/NaN input, −∞ for 0).
fn det_ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    let mut v = x;
    let mut e: i64 = 0;
    if v < f64::MIN_POSITIVE {
        v *= 18014398509481984.0; // 2^54, exact
        e -= 54;
    }
    let bits = v.to_bits();
    e += ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2 atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.1716.
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    let mut p = 1.0 / 25.0;
    for k in (0..12).rev() {
        p = 1.0 / (2 * k + 1) as f64 + z * p;
    }
    e as f64 * LN_2 + 2.0 * s * p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(n: usize, noise: f64, seed: u64) -> PresetParams {
        PresetParams { n, noise, seed }
    }

    fn labels_valid(ds: &Dataset) -> bool {
        ds.y.iter().all(|&t| match ds.kind {
            TargetKind::Regression => t.is_finite(),
            TargetKind::Binary => t == 1.0 || t == -1.0,
            TargetKind::MultiClass(c) => t >= 0.0 && t.fract() == 0.0 && (t as usize) < c,
        })
    }

    #[test]
    fn names_round_trip() {
        for p in Preset::ALL {
            assert_eq!(Preset::from_name(p.name()), Some(p));
            assert_eq!(Preset::from_name(&p.name().to_uppercase()), Some(p));
            assert!(!p.description().is_empty() && !p.description().contains('\n'));
        }
        assert_eq!(
            Preset::from_name("Orthogonal-Separable"),
            Some(Preset::OrthogonalSeparable)
        );
        assert_eq!(Preset::from_name(" Spiral3 "), Some(Preset::Spiral3));
        assert_eq!(Preset::from_name("spirals"), None);
        assert_eq!(Preset::from_name(""), None);
        let mut names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 10);
    }

    #[test]
    fn kinds() {
        assert_eq!(Preset::Spiral3.kind(), TargetKind::MultiClass(3));
        assert_eq!(Preset::Blobs3.kind(), TargetKind::MultiClass(3));
        assert_eq!(Preset::RegressionSine.kind(), TargetKind::Regression);
        assert_eq!(Preset::RegressionSaddle.kind(), TargetKind::Regression);
        assert_eq!(Preset::Moons.kind(), TargetKind::Binary);
    }

    #[test]
    fn deterministic_and_seed_dependent() {
        for p in Preset::ALL {
            let d = p.default_params();
            let a = generate(p, &d).unwrap();
            let b = generate(p, &d).unwrap();
            assert_eq!(a, b, "{}", p.name());
            let c = generate(p, &params(d.n, d.noise, d.seed + 1)).unwrap();
            assert_ne!(a, c, "{}", p.name());
            // Even without noise the seed matters.
            let a0 = generate(p, &params(d.n, 0.0, 5)).unwrap();
            let b0 = generate(p, &params(d.n, 0.0, 6)).unwrap();
            if !matches!(
                p,
                Preset::Blobs | Preset::Blobs3 | Preset::OrthogonalSeparable
            ) {
                assert_ne!(a0, b0, "{}", p.name());
            }
        }
    }

    #[test]
    fn n_honoured_labels_valid_and_in_range() {
        for p in Preset::ALL {
            for n in [1, 2, 7, 100] {
                for noise in [0.0, p.default_params().noise] {
                    let ds = generate(p, &params(n, noise, 3)).unwrap();
                    assert_eq!(ds.len(), n, "{} n={n}", p.name());
                    assert_eq!(ds.kind, p.kind());
                    assert!(labels_valid(&ds), "{}", p.name());
                    let b = ds.bounds();
                    assert!(
                        b[0] >= -2.0 && b[1] <= 2.0 && b[2] >= -2.0 && b[3] <= 2.0,
                        "{} bounds {b:?}",
                        p.name()
                    );
                }
            }
        }
    }

    #[test]
    fn classes_balanced() {
        for p in Preset::ALL {
            if !matches!(p.kind(), TargetKind::Binary | TargetKind::MultiClass(_)) {
                continue;
            }
            for n in [7, 100] {
                let ds = generate(p, &params(n, 0.1, 9)).unwrap();
                let vals: Vec<f64> = if ds.kind == TargetKind::Binary {
                    vec![1.0, -1.0]
                } else {
                    vec![0.0, 1.0, 2.0]
                };
                let counts: Vec<usize> = vals
                    .iter()
                    .map(|v| ds.y.iter().filter(|&&t| t == *v).count())
                    .collect();
                let (mn, mx) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
                assert!(mx - mn <= 1, "{} {counts:?}", p.name());
            }
        }
    }

    #[test]
    fn noise_zero_is_clean() {
        let ds = generate(Preset::RegressionSaddle, &params(50, 0.0, 2)).unwrap();
        for (p, &t) in ds.x.iter().zip(&ds.y) {
            assert!((t - (p[0] * p[0] - p[1] * p[1])).abs() < 1e-15);
        }
        let ds = generate(Preset::RegressionSine, &params(50, 0.0, 2)).unwrap();
        for (p, &t) in ds.x.iter().zip(&ds.y) {
            let want = (PI * p[0]).sin() * (PI * p[1] / 2.0).cos();
            assert!((t - want).abs() < 1e-14);
        }
        let ds = generate(Preset::Xor, &params(50, 0.0, 2)).unwrap();
        for (p, &t) in ds.x.iter().zip(&ds.y) {
            assert!(p[0] * p[1] * t >= 0.0);
            assert!(p[0].abs() <= 1.0 && p[1].abs() <= 1.0);
        }
        let ds = generate(Preset::Circles, &params(50, 0.0, 2)).unwrap();
        for (p, &t) in ds.x.iter().zip(&ds.y) {
            let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
            assert!(if t > 0.0 {
                r <= 0.4 + 1e-12
            } else {
                r >= 0.9 - 1e-12
            });
        }
        let ds = generate(Preset::Blobs3, &params(6, 0.0, 2)).unwrap();
        assert_eq!(ds.x[0], [0.0, 0.8]);
        assert_eq!(ds.x[0], ds.x[3]);
    }

    #[test]
    fn bad_params_rejected() {
        let e = generate(Preset::Spiral, &params(0, 0.1, 1)).unwrap_err();
        assert!(
            matches!(e, Error::InvalidSetting(ref m) if m.contains("n ")),
            "{e}"
        );
        for noise in [-0.1, f64::NAN, f64::INFINITY] {
            let e = generate(Preset::Moons, &params(10, noise, 1)).unwrap_err();
            assert!(
                matches!(e, Error::InvalidSetting(ref m) if m.contains("noise")),
                "{e}"
            );
        }
    }

    #[test]
    fn orthogonal_separable_property() {
        let d = Preset::OrthogonalSeparable.default_params();
        let mut cases = vec![d];
        for seed in [0, 2, 3, 17, 12345, u64::MAX] {
            cases.push(params(d.n, d.noise, seed));
            cases.push(params(200, d.noise, seed));
        }
        cases.push(params(500, 1.25 / 9.0, 99));
        for c in cases {
            let ds = generate(Preset::OrthogonalSeparable, &c).unwrap();
            for i in 0..ds.len() {
                for j in 0..ds.len() {
                    let dot = ds.x[i][0] * ds.x[j][0] + ds.x[i][1] * ds.x[j][1];
                    if ds.y[i] == ds.y[j] {
                        assert!(dot + 1.0 > 0.0, "{c:?} {i} {j} {dot}");
                    } else {
                        assert!(dot <= -1.0, "{c:?} {i} {j} {dot}");
                    }
                }
            }
        }
    }

    #[test]
    fn elementary_functions_match_std() {
        let mut x = -40.0;
        while x < 40.0 {
            let (s, c) = det_sin_cos(x);
            assert!((s - x.sin()).abs() < 1e-15, "sin {x}");
            assert!((c - x.cos()).abs() < 1e-15, "cos {x}");
            x += 0.0137;
        }
        for &v in &[
            1.0,
            0.5,
            2.0,
            1e-300,
            5e-324,
            1.0 - 1e-16,
            f64::MIN_POSITIVE,
            1.1102230246251565e-16,
            0.7,
            SQRT_2 - 1e-4,
            SQRT_2 + 1e-4,
            SQRT_2,
            123456.789,
        ] {
            let want = v.ln();
            assert!(
                (det_ln(v) - want).abs() <= 1e-15 * want.abs().max(1.0),
                "ln {v}: {} vs {want}",
                det_ln(v)
            );
        }
        let mut u = 1e-6;
        while u <= 1.0 {
            assert!((det_ln(u) - u.ln()).abs() <= 2e-15 * u.ln().abs().max(1.0));
            u += 0.000731;
        }
        assert_eq!(det_ln(1.0), 0.0);
        assert!(det_ln(-1.0).is_nan());
        assert_eq!(det_ln(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn gaussian_moments() {
        let mut s = Sampler::new(4);
        let n = 200_000;
        let (mut m1, mut m2) = (0.0, 0.0);
        for _ in 0..n {
            let z = s.normal();
            m1 += z;
            m2 += z * z;
        }
        m1 /= n as f64;
        m2 /= n as f64;
        assert!(m1.abs() < 0.01, "{m1}");
        assert!((m2 - 1.0).abs() < 0.02, "{m2}");
    }

    /// The ready-made files in `assets/datasets/` (name, preset, params).
    fn asset_specs() -> Vec<(&'static str, Preset, PresetParams)> {
        let with_seed1 = |p: Preset, n: usize| PresetParams {
            n,
            seed: 1,
            ..p.default_params()
        };
        vec![
            ("spiral_60.csv", Preset::Spiral, params(60, 0.0, 1)),
            ("xor_40.csv", Preset::Xor, with_seed1(Preset::Xor, 40)),
            ("moons_50.csv", Preset::Moons, with_seed1(Preset::Moons, 50)),
            (
                "orthogonal_20.csv",
                Preset::OrthogonalSeparable,
                with_seed1(Preset::OrthogonalSeparable, 20),
            ),
            (
                "sine_40.csv",
                Preset::RegressionSine,
                with_seed1(Preset::RegressionSine, 40),
            ),
        ]
    }

    fn assets_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/datasets")
    }

    /// Regenerates the ready-made CSVs: `cargo test --lib data:: -- --ignored write_assets`.
    #[test]
    #[ignore]
    fn write_assets() {
        let dir = assets_dir();
        std::fs::create_dir_all(&dir).unwrap();
        for (file, preset, p) in asset_specs() {
            let ds = generate(preset, &p).unwrap();
            let text = format!(
                "# preset {}, n={}, noise={}, seed={} (generated by convex-nn-explorer)\n{}",
                preset.name(),
                p.n,
                p.noise,
                p.seed,
                crate::data::to_csv_string(&ds)
            );
            std::fs::write(dir.join(file), text).unwrap();
        }
    }

    /// The committed CSVs are exactly what the generator produces (skipped if absent).
    #[test]
    fn assets_match_generator() {
        for (file, preset, p) in asset_specs() {
            let path = assets_dir().join(file);
            if !path.exists() {
                continue;
            }
            let ds = crate::data::read_csv(&path, crate::data::LabelMode::Auto).unwrap();
            assert_eq!(ds, generate(preset, &p).unwrap(), "{file}");
        }
    }
}
