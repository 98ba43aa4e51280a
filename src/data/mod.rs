//! Two-dimensional datasets: the [`Dataset`] type, CSV input/output ([`csv`]) and the seeded
//! built-in presets ([`presets`]).
//!
//! Every point has two coordinates `x = [x1, x2]` and one target `y`. What `y` means is recorded
//! in [`TargetKind`]: a real number (regression), a label ±1 (binary classification) or a class
//! index `0..C` (multi-class classification).
//!
//! The solver works on the data exactly as given. Standardizing the inputs is an explicit user
//! action ([`Dataset::standardized`]); nothing in this module rescales data silently.

pub mod csv;
pub mod presets;

pub use csv::{parse_csv, read_csv, to_csv_string, write_csv};
pub use presets::{Preset, PresetParams, generate};

use crate::error::{Error, Result};
use rand::{RngExt, SeedableRng, rngs::StdRng};

/// What the targets mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TargetKind {
    /// Real-valued targets.
    Regression,
    /// Binary classification; every label is exactly `-1.0` or `+1.0`.
    Binary,
    /// Multi-class classification with `C` classes (the payload); every label is an integer
    /// `0.0, 1.0, …, (C-1) as f64`.
    MultiClass(usize),
}

/// How to interpret the `y` column when parsing a data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelMode {
    /// Decide from the values:
    /// * every `y` in {−1, +1} → [`TargetKind::Binary`];
    /// * every `y` in {0, 1} → [`TargetKind::Binary`] with 0 mapped to −1;
    /// * anything else → [`TargetKind::Regression`].
    ///
    /// A file whose `y` column holds a single distinct value from {−1, 0, 1} is therefore
    /// classified as binary (with 0 mapped to −1). A mix such as {−1, 0, 1} is regression.
    #[default]
    Auto,
    /// Every `y` must be an integer `>= 0` (an error naming the line otherwise); the number of
    /// classes is `C = max(y) + 1`.
    MultiClass,
}

/// A set of points in the plane with one target each.
///
/// The fields are public for convenience; [`Dataset::new`] is the validating constructor and
/// everything in this crate that builds datasets goes through it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dataset {
    /// The inputs, one `[x1, x2]` per point.
    pub x: Vec<[f64; 2]>,
    /// The targets, one per point (see [`TargetKind`] for their meaning).
    pub y: Vec<f64>,
    /// What the targets mean.
    pub kind: TargetKind,
}

/// Per-coordinate affine transform `p ↦ (p − mean) / std` used to standardize inputs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardization {
    /// Mean of each coordinate.
    pub mean: [f64; 2],
    /// Standard deviation of each coordinate (1 for a constant coordinate).
    pub std: [f64; 2],
}

impl Standardization {
    /// Maps a point to standardized coordinates: `(p − mean) / std`.
    pub fn apply(&self, p: [f64; 2]) -> [f64; 2] {
        [
            (p[0] - self.mean[0]) / self.std[0],
            (p[1] - self.mean[1]) / self.std[1],
        ]
    }

    /// Maps standardized coordinates back to the original ones: `p · std + mean`.
    pub fn invert(&self, p: [f64; 2]) -> [f64; 2] {
        [
            p[0] * self.std[0] + self.mean[0],
            p[1] * self.std[1] + self.mean[1],
        ]
    }
}

impl Dataset {
    /// Builds a dataset after validating it: `x` and `y` have the same length, there is at
    /// least one point, every coordinate and target is finite, and the targets agree with
    /// `kind` (Binary: exactly ±1; MultiClass(C): integers in `0..C`).
    ///
    /// Errors are [`Error::InvalidData`]; point indices in messages are 0-based.
    pub fn new(x: Vec<[f64; 2]>, y: Vec<f64>, kind: TargetKind) -> Result<Self> {
        if x.len() != y.len() {
            return Err(Error::InvalidData(format!(
                "{} points but {} targets (x and y must have the same length)",
                x.len(),
                y.len()
            )));
        }
        if x.is_empty() {
            return Err(Error::InvalidData("the dataset has no points".to_string()));
        }
        if x.len() > crate::limits::MAX_POINTS {
            return Err(Error::InvalidData(format!(
                "{} points: at most {} are accepted",
                x.len(),
                crate::limits::MAX_POINTS
            )));
        }
        if let TargetKind::MultiClass(c) = kind
            && c > crate::limits::MAX_CLASSES
        {
            return Err(Error::InvalidData(format!(
                "{c} classes: at most {} are accepted",
                crate::limits::MAX_CLASSES
            )));
        }
        if let TargetKind::MultiClass(0) = kind {
            return Err(Error::InvalidData(
                "multi-class data needs at least one class (got C = 0)".to_string(),
            ));
        }
        for (i, (p, &t)) in x.iter().zip(&y).enumerate() {
            if !p[0].is_finite() || !p[1].is_finite() {
                return Err(Error::InvalidData(format!(
                    "point index {i} has a NaN/infinite coordinate ({:e}, {:e})",
                    p[0], p[1]
                )));
            }
            if !t.is_finite() {
                return Err(Error::InvalidData(format!(
                    "point index {i} has a NaN/infinite target ({t})"
                )));
            }
            let big = crate::limits::MAX_MAGNITUDE;
            if p[0].abs() > big || p[1].abs() > big || t.abs() > big {
                return Err(Error::InvalidData(format!(
                    "point index {i}: ({:e}, {:e}) with target {t:e} is beyond ±{big:e}; \
                     rescale the data (e.g. --standardize on a rescaled file)",
                    p[0], p[1]
                )));
            }
            match kind {
                TargetKind::Regression => {}
                TargetKind::Binary => {
                    if t != 1.0 && t != -1.0 {
                        return Err(Error::InvalidData(format!(
                            "point index {i} has label {t}, but binary labels must be -1 or 1"
                        )));
                    }
                }
                TargetKind::MultiClass(c) => {
                    if t < 0.0 || t.fract() != 0.0 || t >= c as f64 {
                        return Err(Error::InvalidData(format!(
                            "point index {i} has label {t}, but labels of {c}-class data must be \
                             integers 0..={}",
                            c - 1
                        )));
                    }
                }
            }
        }
        Ok(Dataset { x, y, kind })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no points (only possible for a dataset built without [`Dataset::new`],
    /// e.g. [`Dataset::subset`] with an empty index list).
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Whether the targets are class labels ([`TargetKind::Binary`] or
    /// [`TargetKind::MultiClass`]).
    pub fn is_classification(&self) -> bool {
        matches!(self.kind, TargetKind::Binary | TargetKind::MultiClass(_))
    }

    /// Mean and (population, divide-by-n) standard deviation of each input coordinate.
    ///
    /// The standard deviation of a constant coordinate — one whose spread is below
    /// `1e-12 · (1 + |mean|)`, i.e. zero up to rounding — is reported as 1, so that the
    /// transform only centres that coordinate. An empty dataset gives mean 0 and std 1.
    pub fn standardization(&self) -> Standardization {
        let n = self.x.len();
        if n == 0 {
            return Standardization {
                mean: [0.0, 0.0],
                std: [1.0, 1.0],
            };
        }
        let nf = n as f64;
        let mut mean = [0.0; 2];
        for p in &self.x {
            mean[0] += p[0];
            mean[1] += p[1];
        }
        mean[0] /= nf;
        mean[1] /= nf;
        let mut var = [0.0; 2];
        for p in &self.x {
            let d0 = p[0] - mean[0];
            let d1 = p[1] - mean[1];
            var[0] += d0 * d0;
            var[1] += d1 * d1;
        }
        let mut std = [(var[0] / nf).sqrt(), (var[1] / nf).sqrt()];
        for k in 0..2 {
            if !std[k].is_finite() || std[k] <= 1e-12 * (1.0 + mean[k].abs()) {
                std[k] = 1.0;
            }
        }
        Standardization { mean, std }
    }

    /// Explicit user action: returns a new dataset whose inputs are standardized (zero mean,
    /// unit variance per coordinate, see [`Dataset::standardization`]) together with the
    /// transform used. Targets and kind are unchanged.
    pub fn standardized(&self) -> (Dataset, Standardization) {
        let s = self.standardization();
        let ds = Dataset {
            x: self.x.iter().map(|&p| s.apply(p)).collect(),
            y: self.y.clone(),
            kind: self.kind,
        };
        (ds, s)
    }

    /// Warnings about data the solvers handle poorly (docs/math.md#conditioning): points closer
    /// than rounding can separate (near-duplicates, not equal) and coordinates far from order 1.
    /// At most three near-duplicate pairs are named (1-based point numbers).
    pub fn conditioning_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let scale = coordinate_scale(&self.x);
        for (i, j, d) in near_duplicate_pairs(&self.x).into_iter().take(3) {
            out.push(format!(
                "points {} and {} are only {d:.1e} apart (not equal): the region between \
                 them is thinner than rounding resolves; merge them or move them apart",
                i + 1,
                j + 1
            ));
        }
        let spread = |c: usize| {
            let (lo, hi) = self
                .x
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
                    (l.min(p[c]), h.max(p[c]))
                });
            hi - lo
        };
        let widest = spread(0).max(spread(1));
        if self.len() > 1 && (scale > 1e3 || (widest > 0.0 && widest < 1e-3)) {
            // The point with the largest coordinate, named when it stands out (an outlier).
            let (far, size) = self
                .x
                .iter()
                .map(|p| p[0].abs().max(p[1].abs()))
                .enumerate()
                .fold((0, 0.0), |b, (i, s)| if s > b.1 { (i, s) } else { b });
            let second = self
                .x
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != far)
                .map(|(_, p)| p[0].abs().max(p[1].abs()))
                .fold(0.0, f64::max);
            let which = if scale > 1e3 && size > 1e3 * second.max(1.0) {
                format!(
                    " (point {}, an outlier: the others stay within {second:.1e})",
                    far + 1
                )
            } else {
                String::new()
            };
            out.push(format!(
                "coordinates reach {scale:.1e}{which} and span {widest:.1e}: the solvers are \
                 tuned for data of order 1 (the bias input is 1); standardize the data"
            ));
        }
        out
    }

    /// What a learner should know about the data before reading the plots: points at one
    /// position with different targets (no network fits both: the loss cannot reach 0 there),
    /// and class numbers with no point (labels are read as class numbers 0…C−1, so labels
    /// {1, 2, 5} make six classes).
    pub fn learner_notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by(|&a, &b| {
            (self.x[a][0], self.x[a][1])
                .partial_cmp(&(self.x[b][0], self.x[b][1]))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let (mut places, mut points) = (0, 0);
        let mut k = 0;
        while k < order.len() {
            let mut e = k + 1;
            while e < order.len() && self.x[order[e]] == self.x[order[k]] {
                e += 1;
            }
            let group = &order[k..e];
            if group.iter().any(|&i| self.y[i] != self.y[group[0]]) {
                places += 1;
                points += group.len();
            }
            k = e;
        }
        if places > 0 {
            let where_ = if places == 1 {
                "1 position holds".to_string()
            } else {
                format!("{places} positions hold")
            };
            out.push(format!(
                "{where_} {points} points with different targets: no network fits them all, so \
                 the training loss cannot reach 0 there"
            ));
        }
        if let TargetKind::MultiClass(c) = self.kind {
            let mut seen = vec![false; c];
            for &y in &self.y {
                if let Some(f) = seen.get_mut(y as usize) {
                    *f = true;
                }
            }
            let empty = seen.iter().filter(|f| !**f).count();
            if empty > 0 {
                let used: Vec<String> =
                    (0..c).filter(|&k| seen[k]).map(|k| k.to_string()).collect();
                out.push(format!(
                    "labels {} are read as class numbers 0…{}: {empty} of the {c} classes have \
                     no point (renumber the labels 0, 1, 2… to drop them)",
                    used.join(", "),
                    c - 1
                ));
            }
        }
        out
    }

    /// Whether ±1-labelled data are orthogonal separable with the bias column
    /// (docs/math.md#max-margin): `x̃_iᵀx̃_j > 0` within a class and `≤ 0` across classes.
    /// `None` for other targets.
    pub fn orthogonal_separable(&self) -> Option<bool> {
        if self.is_empty() || self.y.iter().any(|&v| v != 1.0 && v != -1.0) {
            return None;
        }
        Some((0..self.len()).all(|i| {
            (i + 1..self.len()).all(|j| {
                let dot = self.x[i][0] * self.x[j][0] + self.x[i][1] * self.x[j][1] + 1.0;
                if self.y[i] == self.y[j] {
                    dot > 0.0
                } else {
                    dot <= 0.0
                }
            })
        }))
    }

    /// Deterministic train/test split. `round(test_fraction · n)` points go to the test set,
    /// chosen by a shuffle seeded with `seed`; the rest form the training set. Returns
    /// `(train, test)` index lists, each sorted ascending; together they cover `0..n` exactly
    /// once.
    ///
    /// `test_fraction` is meant to lie in `[0, 1)`: values below 0 (and NaN) act as 0, and the
    /// training set always keeps at least one point when `n >= 1`.
    pub fn split_indices(&self, test_fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
        let n = self.len();
        let frac = if test_fraction.is_nan() {
            0.0
        } else {
            test_fraction.clamp(0.0, 1.0)
        };
        let n_test = ((frac * n as f64).round() as usize).min(n.saturating_sub(1));
        let mut idx: Vec<usize> = (0..n).collect();
        let mut rng = StdRng::seed_from_u64(seed);
        // Fisher–Yates with u64 draws, so the result does not depend on the width of usize.
        for i in (1..n).rev() {
            let j = rng.random_range(0..=i as u64) as usize;
            idx.swap(i, j);
        }
        let mut test = idx[..n_test].to_vec();
        let mut train = idx[n_test..].to_vec();
        test.sort_unstable();
        train.sort_unstable();
        (train, test)
    }

    /// The points with the given indices (in the given order; repeats allowed), with the same
    /// [`TargetKind`].
    ///
    /// # Panics
    /// If an index is out of range.
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        Dataset {
            x: idx.iter().map(|&i| self.x[i]).collect(),
            y: idx.iter().map(|&i| self.y[i]).collect(),
            kind: self.kind,
        }
    }

    /// Bounding box `[xmin, xmax, ymin, ymax]` of the points (x1 range, then x2 range), for
    /// plotting. An empty dataset gives `[0, 0, 0, 0]`.
    pub fn bounds(&self) -> [f64; 4] {
        if self.x.is_empty() {
            return [0.0; 4];
        }
        let mut b = [
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for p in &self.x {
            b[0] = b[0].min(p[0]);
            b[1] = b[1].max(p[0]);
            b[2] = b[2].min(p[1]);
            b[3] = b[3].max(p[1]);
        }
        b
    }
}

/// The largest coordinate magnitude of the data.
fn coordinate_scale(x: &[[f64; 2]]) -> f64 {
    x.iter()
        .map(|p| p[0].abs().max(p[1].abs()))
        .fold(0.0, f64::max)
}

/// Pairs `(i, j, distance)` (`i < j`, 0-based) of points closer than rounding can separate but
/// not equal: ℓ∞ distance at most `10⁻⁹(1 + max(‖x_i‖∞, ‖x_j‖∞))` — the region between them is
/// that thin beside the points themselves, whatever the rest of the data
/// (docs/math.md#conditioning).
pub fn near_duplicate_pairs(x: &[[f64; 2]]) -> Vec<(usize, usize, f64)> {
    let size = |p: [f64; 2]| p[0].abs().max(p[1].abs());
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a][0].total_cmp(&x[b][0]));
    let mut out = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        // A pair within the tolerance is within twice the tolerance at point i alone.
        let reach = 2e-9 * (1.0 + size(x[i]));
        for &j in &order[k + 1..] {
            if x[j][0] - x[i][0] > reach {
                break;
            }
            let d = (x[j][0] - x[i][0]).abs().max((x[j][1] - x[i][1]).abs());
            if d <= 1e-9 * (1.0 + size(x[i]).max(size(x[j]))) && x[i] != x[j] {
                out.push((i.min(j), i.max(j), d));
            }
        }
    }
    out.sort_by_key(|a| (a.0, a.1));
    out
}

/// The data with every group of near-duplicate points ([`near_duplicate_pairs`], joined
/// transitively) moved onto its lowest-numbered point; `None` when there are none
/// (docs/math.md#near-duplicates).
pub fn merge_near_duplicates(x: &[[f64; 2]]) -> Option<Vec<[f64; 2]>> {
    let pairs = near_duplicate_pairs(x);
    if pairs.is_empty() {
        return None;
    }
    let mut root: Vec<usize> = (0..x.len()).collect();
    fn find(root: &mut [usize], mut i: usize) -> usize {
        while root[i] != i {
            root[i] = root[root[i]];
            i = root[i];
        }
        i
    }
    for (i, j, _) in pairs {
        let (a, b) = (find(&mut root, i), find(&mut root, j));
        let (lo, hi) = (a.min(b), a.max(b));
        root[hi] = lo;
    }
    Some((0..x.len()).map(|i| x[find(&mut root, i)]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Dataset {
        let x: Vec<[f64; 2]> = (0..37)
            .map(|i| {
                let t = i as f64;
                [3.0 + 2.0 * (t * 0.7).sin(), -5.0 + 0.1 * t * t]
            })
            .collect();
        let y = (0..37)
            .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
            .collect();
        Dataset::new(x, y, TargetKind::Binary).unwrap()
    }

    #[test]
    fn learner_notes_name_conflicting_duplicates_and_empty_classes() {
        let ds = Dataset::new(
            vec![[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [2.0, 0.0]],
            vec![1.0, -1.0, 1.0, 1.0, -1.0],
            TargetKind::Binary,
        )
        .unwrap();
        let notes = ds.learner_notes();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("1 position holds 2 points with different targets"));
        let ds = Dataset::new(
            vec![[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]],
            vec![1.0, 2.0, 5.0],
            TargetKind::MultiClass(6),
        )
        .unwrap();
        let notes = ds.learner_notes();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("labels 1, 2, 5 are read as class numbers 0…5: 3 of the 6"));
        assert!(sample().learner_notes().is_empty());
    }

    #[test]
    fn near_duplicates_are_judged_beside_the_points_themselves() {
        // 1e-15 apart near 0.4: a pair; 0.5 apart beside a 1e15 outlier: not a pair (the
        // outlier does not make ordinary points near-duplicates).
        let x = vec![
            [0.4, 0.3],
            [0.4 + 1e-15, 0.3],
            [1e15, 0.0],
            [0.9, 0.3],
            [0.4, 0.3 + 2e-15],
            [1e15, 1.0],
        ];
        let pairs: Vec<(usize, usize)> = near_duplicate_pairs(&x)
            .into_iter()
            .map(|(i, j, _)| (i, j))
            .collect();
        // 1.0 apart at 1e15 is below 1e-9·(1 + 1e15): a pair too.
        assert_eq!(pairs, vec![(0, 1), (0, 4), (1, 4), (2, 5)]);
        let merged = merge_near_duplicates(&x).unwrap();
        assert_eq!(merged[1], x[0]);
        assert_eq!(merged[4], x[0]);
        assert_eq!(merged[5], x[2]);
        assert_eq!(merged[3], x[3]);
        assert!(merge_near_duplicates(&[[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]]).is_none());
    }

    #[test]
    fn new_validates() {
        assert!(Dataset::new(vec![], vec![], TargetKind::Regression).is_err());
        assert!(Dataset::new(vec![[0.0, 0.0]], vec![], TargetKind::Regression).is_err());
        assert!(Dataset::new(vec![[f64::NAN, 0.0]], vec![1.0], TargetKind::Regression).is_err());
        assert!(
            Dataset::new(
                vec![[0.0, 0.0]],
                vec![f64::INFINITY],
                TargetKind::Regression
            )
            .is_err()
        );
        assert!(Dataset::new(vec![[0.0, 0.0]], vec![0.0], TargetKind::Binary).is_err());
        assert!(Dataset::new(vec![[0.0, 0.0]], vec![-1.0], TargetKind::Binary).is_ok());
        assert!(Dataset::new(vec![[0.0, 0.0]], vec![2.0], TargetKind::MultiClass(3)).is_ok());
        assert!(Dataset::new(vec![[0.0, 0.0]], vec![3.0], TargetKind::MultiClass(3)).is_err());
        assert!(Dataset::new(vec![[0.0, 0.0]], vec![0.5], TargetKind::MultiClass(3)).is_err());
        assert!(Dataset::new(vec![[0.0, 0.0]], vec![-1.0], TargetKind::MultiClass(3)).is_err());
        assert!(Dataset::new(vec![[0.0, 0.0]], vec![0.0], TargetKind::MultiClass(0)).is_err());
        let e = Dataset::new(
            vec![[0.0, 0.0], [1.0, 1.0]],
            vec![1.0, 0.0],
            TargetKind::Binary,
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::InvalidData(ref m) if m.contains("index 1")),
            "{e}"
        );
    }

    #[test]
    fn basic_accessors() {
        let ds = sample();
        assert_eq!(ds.len(), 37);
        assert!(!ds.is_empty());
        assert!(ds.is_classification());
        let r = Dataset::new(vec![[1.0, 2.0]], vec![0.3], TargetKind::Regression).unwrap();
        assert!(!r.is_classification());
        let b = Dataset::new(
            vec![[1.0, -2.0], [-3.0, 4.0], [0.5, 0.5]],
            vec![0.0; 3],
            TargetKind::Regression,
        )
        .unwrap();
        assert_eq!(b.bounds(), [-3.0, 1.0, -2.0, 4.0]);
        assert!(b.subset(&[]).is_empty());
        assert_eq!(b.subset(&[]).bounds(), [0.0; 4]);
    }

    #[test]
    fn standardize_gives_zero_mean_unit_std() {
        let ds = sample();
        let (st, s) = ds.standardized();
        assert_eq!(st.y, ds.y);
        assert_eq!(st.kind, ds.kind);
        let again = st.standardization();
        for k in 0..2 {
            assert!(again.mean[k].abs() < 1e-12, "mean {:?}", again.mean);
            assert!((again.std[k] - 1.0).abs() < 1e-12, "std {:?}", again.std);
        }
        for (p, q) in ds.x.iter().zip(&st.x) {
            let back = s.invert(*q);
            assert!((back[0] - p[0]).abs() < 1e-12 && (back[1] - p[1]).abs() < 1e-12);
            assert_eq!(s.apply(*p), *q);
        }
    }

    #[test]
    fn constant_column_has_unit_std() {
        let ds = Dataset::new(
            vec![[0.1, 1.0], [0.1, 2.0], [0.1, 3.0]],
            vec![1.0, 2.0, 3.0],
            TargetKind::Regression,
        )
        .unwrap();
        let s = ds.standardization();
        assert_eq!(s.std[0], 1.0);
        assert!((s.mean[0] - 0.1).abs() < 1e-15);
        let (st, _) = ds.standardized();
        assert!(st.x.iter().all(|p| p[0].abs() < 1e-15));
    }

    #[test]
    fn split_is_disjoint_covering_and_deterministic() {
        let ds = sample();
        let (train, test) = ds.split_indices(0.25, 7);
        assert_eq!(test.len(), 9); // round(0.25 * 37)
        assert_eq!(train.len() + test.len(), ds.len());
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..ds.len()).collect::<Vec<_>>());
        assert!(train.windows(2).all(|w| w[0] < w[1]));
        assert!(test.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ds.split_indices(0.25, 7), (train.clone(), test.clone()));
        assert_ne!(ds.split_indices(0.25, 8).1, test);
        // Edge cases.
        let (tr, te) = ds.split_indices(0.0, 1);
        assert_eq!((tr.len(), te.len()), (37, 0));
        let (tr, te) = ds.split_indices(1.0, 1);
        assert_eq!((tr.len(), te.len()), (1, 36));
        let (tr, te) = ds.split_indices(f64::NAN, 1);
        assert_eq!((tr.len(), te.len()), (37, 0));
        let sub = ds.subset(&test);
        assert_eq!(sub.len(), test.len());
        assert_eq!(sub.x[0], ds.x[test[0]]);
        assert_eq!(sub.kind, ds.kind);
    }

    #[test]
    fn serde_round_trip() {
        // Dyadic values: exact whatever float parser serde_json uses.
        let ds = Dataset::new(
            vec![[0.5, -1.25], [3.0, 0.0625]],
            vec![1.0, -1.0],
            TargetKind::Binary,
        )
        .unwrap();
        let js = serde_json::to_string(&ds).unwrap();
        let back: Dataset = serde_json::from_str(&js).unwrap();
        assert_eq!(back, ds);
        let k = serde_json::to_string(&TargetKind::MultiClass(3)).unwrap();
        assert_eq!(
            serde_json::from_str::<TargetKind>(&k).unwrap(),
            TargetKind::MultiClass(3)
        );
    }
}
