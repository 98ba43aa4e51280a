//! Helpers shared by the integration tests.

use std::path::PathBuf;

use convex_nn_explorer::data::{Dataset, LabelMode, read_csv};
use rand::{RngExt, SeedableRng, rngs::StdRng};

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/reference")
}

pub fn reference_json() -> serde_json::Value {
    let text = std::fs::read_to_string(data_dir().join("reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn load_reference(file: &str) -> Dataset {
    read_csv(&data_dir().join(file), LabelMode::Auto).unwrap()
}

pub fn random_points(n: usize, seed: u64) -> Vec<[f64; 2]> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)])
        .collect()
}

pub fn random_labels(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x9e37);
    (0..n)
        .map(|_| if rng.random::<f64>() < 0.5 { -1.0 } else { 1.0 })
        .collect()
}

pub fn gaussian(rng: &mut StdRng) -> f64 {
    convex_nn_explorer::geometry::patterns::normal(rng)
}
