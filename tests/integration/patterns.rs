//! Activation-pattern enumeration (docs/math.md#patterns): counts, completeness against dense
//! random sampling on degenerate sets, strict generators, fast sweep = oracle.

use crate::common;

use std::collections::HashSet;

use common::{gaussian, random_points};
use convex_nn_explorer::geometry::{
    Bitset, PatternSet, enumerate_exact, enumerate_oracle, pattern_of, sample_gaussian,
    sample_lines,
};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng, rngs::StdRng};

fn set_of(p: &PatternSet) -> HashSet<Bitset> {
    p.patterns().iter().cloned().collect()
}

/// Every generator reproduces its own pattern with no point on its line.
fn assert_generators_strict(x: &[[f64; 2]], set: &PatternSet) {
    for i in 0..set.len() {
        let g = set.generator(i);
        for (j, p) in x.iter().enumerate() {
            let v = p[0] * g[0] + p[1] * g[1] + g[2];
            assert!(v != 0.0, "generator {i} passes through point {j}");
            assert_eq!(v > 0.0, set.pattern(i).get(j), "generator {i} point {j}");
        }
    }
}

/// Dense sampling: Gaussian directions, lines through pairs of points shifted slightly, and
/// lines through single points at random angles.
fn dense_samples(x: &[[f64; 2]], count: usize, seed: u64) -> HashSet<Bitset> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = HashSet::new();
    for _ in 0..count {
        let g = match rng.random_range(0..3) {
            0 => [gaussian(&mut rng), gaussian(&mut rng), gaussian(&mut rng)],
            1 => {
                let a = x[rng.random_range(0..x.len())];
                let b = x[rng.random_range(0..x.len())];
                let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
                let t: f64 = rng.random::<f64>() * std::f64::consts::TAU;
                let (w0, w1) = if dx == 0.0 && dy == 0.0 {
                    (t.cos(), t.sin())
                } else {
                    (
                        -dy + 1e-3 * gaussian(&mut rng),
                        dx + 1e-3 * gaussian(&mut rng),
                    )
                };
                [w0, w1, -(w0 * a[0] + w1 * a[1]) + 1e-3 * gaussian(&mut rng)]
            }
            _ => {
                let a = x[rng.random_range(0..x.len())];
                let t: f64 = rng.random::<f64>() * std::f64::consts::TAU;
                let (w0, w1) = (t.cos(), t.sin());
                [w0, w1, -(w0 * a[0] + w1 * a[1]) + 0.05 * gaussian(&mut rng)]
            }
        };
        out.insert(pattern_of(x, &g));
    }
    out
}

fn check_degenerate(name: &str, x: &[[f64; 2]]) {
    let exact = enumerate_exact(x).unwrap();
    let oracle = enumerate_oracle(x).unwrap();
    assert_eq!(set_of(&exact), set_of(&oracle), "{name}: fast = oracle");
    assert_generators_strict(x, &exact);
    let sampled = dense_samples(x, 300_000, 7);
    let all = set_of(&exact);
    let missing: Vec<_> = sampled.difference(&all).collect();
    assert!(
        missing.is_empty(),
        "{name}: sampling found {} patterns not enumerated",
        missing.len()
    );
    // Sampling should also find most regions: a sanity check of the sampler itself.
    assert!(
        sampled.len() * 10 >= all.len() * 9,
        "{name}: {} of {}",
        sampled.len(),
        all.len()
    );
}

#[test]
fn grid_5x5_is_complete() {
    let x: Vec<[f64; 2]> = (0..25)
        .map(|k| [(k % 5) as f64 * 0.5 - 1.0, (k / 5) as f64 * 0.5 - 1.0])
        .collect();
    check_degenerate("grid", &x);
}

#[test]
fn duplicates_are_complete() {
    let mut x = random_points(12, 3);
    x.push(x[0]);
    x.push(x[0]);
    x.push(x[5]);
    let set = enumerate_exact(&x).unwrap();
    // duplicates always share their activation
    for p in set.patterns() {
        assert_eq!(p.get(0), p.get(12));
        assert_eq!(p.get(0), p.get(13));
        assert_eq!(p.get(5), p.get(14));
    }
    // 12 distinct points in general position: 12² − 12 + 2 regions
    assert_eq!(set.len(), 134);
    check_degenerate("duplicates", &x);
}

#[test]
fn three_lines_are_complete() {
    let mut x = Vec::new();
    for k in 0..6 {
        let t = k as f64 / 5.0 * 2.0 - 1.0;
        x.push([t, 0.3 * t + 0.2]); // line 1
        x.push([t * 0.8, -0.9 * t - 0.1]); // line 2
        x.push([0.45, t * 0.9]); // vertical line 3
    }
    check_degenerate("three lines", &x);
}

#[test]
fn tiny_sets() {
    assert_eq!(enumerate_exact(&[[0.3, 0.1]]).unwrap().len(), 2);
    assert_eq!(enumerate_exact(&[[0.3, 0.1], [0.3, 0.1]]).unwrap().len(), 2);
    assert_eq!(enumerate_exact(&[[0.0, 0.0], [1.0, 0.0]]).unwrap().len(), 4);
    // the counts of Appendix Z, T1
    for (n, expected) in [(3, 8), (4, 14), (5, 22), (8, 58), (12, 134), (20, 382)] {
        assert_eq!(
            enumerate_exact(&random_points(n, n as u64)).unwrap().len(),
            expected
        );
    }
    assert!(enumerate_exact(&[]).is_err());
    assert!(enumerate_exact(&[[f64::NAN, 0.0]]).is_err());
}

#[test]
fn sampled_sets_are_subsets_with_strict_generators() {
    let x = random_points(30, 11);
    let exact = set_of(&enumerate_exact(&x).unwrap());
    for s in [
        sample_gaussian(&x, 2000, 1).unwrap(),
        sample_lines(&x, 2000, 0.05, 2).unwrap(),
    ] {
        assert!(!s.is_empty());
        assert_generators_strict(&x, &s);
        for p in s.patterns() {
            assert!(!p.is_zero());
            assert!(exact.contains(p));
        }
    }
}

/// Many exactly parallel, disjoint pairs (random points and their copies shifted by one
/// vector) put many swaps at one angle: the fast sweep handles such clusters itself (it used to
/// hand every near-tie to the O(n³ log n) oracle, which made n = 800 take 47 s instead of 2 s)
/// and agrees with the oracle.
#[test]
fn parallel_disjoint_pairs_stay_on_the_fast_sweep() {
    for seed in 0..5u64 {
        let base = random_points(12, seed);
        let mut x = base.clone();
        x.extend(base.iter().map(|p| [p[0] + 0.37, p[1] - 0.11]));
        let n = x.len();
        let fast = convex_nn_explorer::geometry::enumerate_sweep(&x)
            .expect("the fast sweep deferred to the oracle");
        assert_eq!(fast.len(), n * n - n + 2);
        let oracle = enumerate_oracle(&x).unwrap();
        assert_eq!(set_of(&fast), set_of(&oracle));
        assert_generators_strict(&x, &fast);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn general_position_count_and_oracle(n in 3usize..45, seed in 0u64..10_000) {
        let x = random_points(n, seed);
        let fast = enumerate_exact(&x).unwrap();
        prop_assert_eq!(fast.len(), n * n - n + 2);
        let oracle = enumerate_oracle(&x).unwrap();
        prop_assert_eq!(set_of(&fast), set_of(&oracle));
        assert_generators_strict(&x, &fast);
    }

    #[test]
    fn any_neuron_pattern_is_a_region(seed in 0u64..10_000) {
        let x = random_points(15, seed);
        let set = set_of(&enumerate_exact(&x).unwrap());
        let mut rng = StdRng::seed_from_u64(seed);
        for _ in 0..50 {
            let u = [gaussian(&mut rng), gaussian(&mut rng), gaussian(&mut rng)];
            prop_assert!(set.contains(&pattern_of(&x, &u)));
            // a neuron through two data points (ties) still maps to a region (docs/math.md#patterns-ties)
            let (a, b) = (x[0], x[1]);
            let w = [b[1] - a[1], a[0] - b[0]];
            let tied = [w[0], w[1], -(w[0] * a[0] + w[1] * a[1])];
            prop_assert!(set.contains(&pattern_of(&x, &tied)));
        }
    }
}

/// The cone defined by the facets alone equals the cone defined by all n constraints: a random
/// direction strictly satisfies one system iff it strictly satisfies the other.
fn check_facets(x: &[[f64; 2]], seed: u64) {
    let set = enumerate_exact(x).unwrap();
    let facets = convex_nn_explorer::geometry::facets(x, &set);
    let mut rng = StdRng::seed_from_u64(seed);
    let strict = |g: &[f64; 3], j: usize, on: bool| {
        let v = x[j][0] * g[0] + x[j][1] * g[1] + g[2];
        if on { v > 0.0 } else { v < 0.0 }
    };
    for i in 0..set.len() {
        let pat = set.pattern(i);
        assert!(!facets[i].is_empty() || set.len() == 1);
        assert!(facets[i].len() < x.len().max(3) + 1);
        for _ in 0..300 {
            // near the generator and anywhere
            let g0 = set.generator(i);
            let g = if rng.random::<f64>() < 0.5 {
                let s = 0.5 * (g0[0].abs() + g0[1].abs() + g0[2].abs());
                [
                    g0[0] + s * gaussian(&mut rng),
                    g0[1] + s * gaussian(&mut rng),
                    g0[2] + s * gaussian(&mut rng),
                ]
            } else {
                [gaussian(&mut rng), gaussian(&mut rng), gaussian(&mut rng)]
            };
            let all = (0..x.len()).all(|j| strict(&g, j, pat.get(j)));
            let fac = facets[i].iter().all(|&j| strict(&g, j, pat.get(j)));
            assert_eq!(
                all, fac,
                "pattern {i}: facets {:?} disagree at {g:?}",
                facets[i]
            );
        }
    }
}

#[test]
fn facets_define_the_same_cones() {
    check_facets(&random_points(20, 4), 1);
    let grid: Vec<[f64; 2]> = (0..16)
        .map(|k| [(k % 4) as f64 * 0.5, (k / 4) as f64 * 0.5])
        .collect();
    check_facets(&grid, 2);
    let mut dup = random_points(8, 6);
    dup.push(dup[1]);
    check_facets(&dup, 3);
    check_facets(&[[0.3, 0.1]], 4);
    check_facets(&[[0.3, 0.1], [0.3, 0.1], [-0.2, 0.5]], 5);
}

/// Region areas on the sphere: they sum to 4π over the exact set (random, duplicated and
/// collinear points) and each matches the frequency of 200 000 Gaussian directions (5σ + 2
/// counts).
#[test]
fn region_areas_sum_to_the_sphere_and_match_sampling() {
    use convex_nn_explorer::geometry::areas::{SPHERE, region_areas};
    let mut sets = vec![
        crate::common::random_points(12, 5),
        crate::common::random_points(40, 6),
    ];
    let mut degenerate = crate::common::random_points(8, 7);
    degenerate.push(degenerate[0]);
    degenerate.extend([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0], [-0.5, 0.5]]);
    sets.push(degenerate);
    for (k, x) in sets.iter().enumerate() {
        let exact = enumerate_exact(x).unwrap();
        let areas = region_areas(x, &exact);
        let total: f64 = areas.iter().sum();
        assert!((total - SPHERE).abs() < 1e-9, "set {k}: {total}");
        assert!(areas.iter().all(|a| *a > 0.0), "set {k}: an empty region");
        let mut rng = StdRng::seed_from_u64(k as u64);
        let samples = 200_000;
        let mut counts = vec![0usize; exact.len()];
        for _ in 0..samples {
            let g = [
                crate::common::gaussian(&mut rng),
                crate::common::gaussian(&mut rng),
                crate::common::gaussian(&mut rng),
            ];
            counts[exact.find(&pattern_of(x, &g)).unwrap()] += 1;
        }
        for (i, &c) in counts.iter().enumerate() {
            // In counts: 5σ, plus 2 for regions so small that a hit or two is a rare event.
            let p = areas[i] / SPHERE;
            let expected = p * samples as f64;
            let sigma = (expected * (1.0 - p)).sqrt();
            assert!(
                (c as f64 - expected).abs() <= 5.0 * sigma + 2.0,
                "set {k} region {i}: area fraction {p}, {c} of {samples} samples"
            );
        }
    }
}

/// Twin points 1e-12 apart (the near-degenerate case of the fallback path): every generator
/// reproduces its own pattern strictly (no generator on a line), every region a dense Gaussian
/// sample finds is in the set, and none is lost (once 124 of 134, when critical angles closer
/// than 1e-12 were merged).
#[test]
fn near_twins_keep_strict_generators() {
    let base = random_points(6, 77);
    let mut x = Vec::new();
    for p in &base {
        x.push(*p);
        x.push([p[0] + 1e-12, p[1] - 1e-12]);
    }
    let set = enumerate_exact(&x).unwrap();
    for (k, g) in set.generators().iter().enumerate() {
        // Strictly inside: no point on the generator's line.
        for p in &x {
            let v = p[0] * g[0] + p[1] * g[1] + g[2];
            assert!(v != 0.0, "generator {k} lies on the line of a point");
        }
        assert_eq!(&pattern_of(&x, g), set.pattern(k), "generator {k}");
    }
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..100_000 {
        let g = [gaussian(&mut rng), gaussian(&mut rng), gaussian(&mut rng)];
        let pat = pattern_of(&x, &g);
        assert!(set.find(&pat).is_some(), "a sampled region is missing");
    }
    // In general position (no three collinear): n² − n + 2 regions.
    assert_eq!(set.len(), 12 * 12 - 12 + 2);
}

/// A nearly collinear triple (the middle point 1e-11 off the line of the other two: its swap
/// events fall within the sweep's 1e-10 tie window and share a point) among random points: the
/// fast sweep takes the swaps one at a time instead of deferring to the oracle, and gives the
/// oracle's set with strict generators.
#[test]
fn nearly_collinear_triples_stay_on_the_fast_sweep() {
    use convex_nn_explorer::geometry::patterns::enumerate_sweep;
    for (seed, off) in [(3u64, 1e-11), (4, 3e-11), (5, 5e-12)] {
        let mut x = random_points(30, seed);
        x[2] = [0.5 * (x[0][0] + x[1][0]) + off, 0.5 * (x[0][1] + x[1][1])];
        let oracle = enumerate_oracle(&x).unwrap();
        let fast = enumerate_sweep(&x);
        if let Some(f) = &fast {
            assert_eq!(set_of(f), set_of(&oracle), "seed {seed}");
            assert_generators_strict(&x, f);
        }
        if off >= 1e-11 {
            assert!(fast.is_some(), "seed {seed}: deferred to the oracle");
        }
    }
}
