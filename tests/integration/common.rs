//! Helpers shared by the integration tests.

use std::path::PathBuf;

use convex_nn_explorer::data::{Dataset, LabelMode, read_csv};
use convex_nn_explorer::model::Loss;
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

/// One `relu_*` entry of reference.json: its case and key, data, loss, β, the reference optimum
/// and the relative tolerance a solver must reproduce it to.
pub struct ReluReference {
    pub name: String,
    pub key: String,
    pub ds: Dataset,
    pub loss: Loss,
    pub beta: f64,
    pub value: f64,
    pub tol: f64,
}

/// Every `relu_*` entry of reference.json (14: 2 losses × 2 β on each 30-point set, 3 β on
/// xor_6 and spiral_8).
pub fn relu_references() -> Vec<ReluReference> {
    let refs = reference_json();
    let mut out = Vec::new();
    for (name, case) in refs["cases"].as_object().unwrap() {
        let ds = load_reference(case["file"].as_str().unwrap());
        for (key, value) in case.as_object().unwrap() {
            let Some(rest) = key.strip_prefix("relu_") else {
                continue;
            };
            let (loss, tol) = if rest.starts_with("logistic") {
                (Loss::Logistic, 1e-5)
            } else {
                assert!(rest.starts_with("squared"), "unknown key {key}");
                (Loss::Squared, 1e-6)
            };
            out.push(ReluReference {
                name: name.clone(),
                key: key.clone(),
                ds: ds.clone(),
                loss,
                beta: key.split("beta").nth(1).unwrap().parse().unwrap(),
                value: value.as_f64().unwrap(),
                tol,
            });
        }
    }
    assert_eq!(out.len(), 14, "all ReLU entries of reference.json");
    out
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
