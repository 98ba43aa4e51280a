//! Pieces of the command-line reports that several formulations share: neurons as JSON and the
//! JSON encoder. Each formulation writes its own report from these (the field names are a
//! contract with scripts, see `docs/math.md#cli-contract`).

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{Neuron, ReluNetwork};

/// One ReLU neuron `α (uᵀx̃)₊` in JSON.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct NeuronJson {
    /// First-layer weights and bias `(w₁, w₂, b)`.
    pub u: [f64; 3],
    /// Output weight.
    pub alpha: f64,
}

/// The neurons of a ReLU network in JSON.
pub fn neurons_json(net: &ReluNetwork) -> Vec<NeuronJson> {
    net.neurons
        .iter()
        .map(|&Neuron { u, alpha }| NeuronJson { u, alpha })
        .collect()
}

/// Pretty JSON of a report.
pub fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value)
        .map_err(|e| Error::Numerical(format!("JSON encoding failed: {e}")))
}

/// The neurons as text lines `u = (…)  alpha = …`, after a `neurons (k):` heading.
pub fn neurons_text(neurons: &[NeuronJson]) -> String {
    let mut text = format!("\nneurons ({}):", neurons.len());
    for nr in neurons {
        text.push_str(&format!(
            "\n  u = ({:+.6}, {:+.6}, {:+.6})  alpha = {:+.6}",
            nr.u[0], nr.u[1], nr.u[2], nr.alpha
        ));
    }
    text
}
