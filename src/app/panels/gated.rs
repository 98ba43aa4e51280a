//! What the gated ReLU model adds to the shared plots (docs/math.md#gated-relu): the decomposed
//! ReLU network's boundary beside the gated one, the active gates as the regions plot's lines,
//! the violated fraction of the sphere and the P-sweep button in the certificate row, the
//! neuron table's caption, and the objective legend's names for sampled gates.

use eframe::egui;
use egui::{Color32, Stroke};

use super::objective::LegendNames;
use super::paint;
use super::regions::PlaneLines;
use crate::app::App;
use crate::formulation::{ProblemDetail, Snapshot};
use crate::model::{Neuron, ReluNetwork};

/// The decomposed ReLU network's boundary beside a gated model's.
const RELU_BOUNDARY: Color32 = Color32::from_rgb(200, 60, 200);
/// Most gates drawn in the regions plot.
const MAX_GATES: usize = 60;

fn view(s: &Snapshot) -> Option<&crate::formulation::GatedView> {
    s.relu()?.gated.as_deref()
}

/// Legend row above the boundary plot.
pub fn boundary_legend(s: &Snapshot, outline: Color32, ui: &mut egui::Ui) {
    if view(s).is_none() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        // Entries never wrap inside themselves: a whole entry moves to the next row.
        let small = |t: &str, c: Color32| {
            egui::Label::new(egui::RichText::new(t).small().color(c)).extend()
        };
        ui.add(small("━ gated model f = 0", outline));
        ui.add(small("━ its decomposed ReLU network = 0", RELU_BOUNDARY))
            .on_hover_text(
                "The cone decomposition uᵢ = vᵢ − wᵢ gives a ReLU network equal to the gated \
                 model on every training point; between the points the two can differ.",
            );
    });
}

/// The decomposed network's zero level set over the boundary plot.
pub fn boundary_paint(s: &Snapshot, ui: &egui::Ui, tr: &egui_plot::PlotTransform) {
    if let Some(g) = view(s) {
        let segs = g.relu_output.contour(0.0);
        paint::paint_segments(ui, tr, &segs, Stroke::new(2.0, RELU_BOUNDARY));
    }
}

/// The active gates as fixed lines (width ∝ ‖uᵢ‖), cells by which gates are on: in each the
/// model is the linear piece x̃ᵀΣ_on uᵢ. (The decomposed network's neurons are in the table.)
pub fn plane_lines(s: &Snapshot) -> Option<PlaneLines> {
    let g = view(s)?;
    let gates: Vec<([f64; 3], [f64; 3])> = g.gates.iter().take(MAX_GATES).copied().collect();
    Some(PlaneLines {
        network: ReluNetwork {
            neurons: gates
                .iter()
                .map(|(g, u)| Neuron {
                    u: *g,
                    alpha: crate::vec3::norm3(u),
                })
                .collect(),
        },
        parts: gates.iter().map(|(_, u)| *u).collect(),
        label: "gate",
    })
}

/// Sampled gates: how much of the sphere the sample misses; the P-sweep window's button.
pub fn certificate_row(app: &mut App, s: &Snapshot, ui: &mut egui::Ui) {
    if let Some((v, b)) = view(s).and_then(|g| g.violation) {
        ui.label(egui::RichText::new(format!(
            "the map exceeds 1 on {:.3} % of the sphere (scenario bound {})",
            100.0 * v,
            if b >= 1.0 {
                "vacuous: P ≤ n".to_string()
            } else {
                format!("{:.3} %", 100.0 * b)
            }
        )))
        .on_hover_text(
            "Sampled gates: the exact fraction of the sphere of gate directions whose gate the \
             certifying dual point violates (‖X̃ᵀD(g)v‖ > β) — the chance that one more random \
             gate would lower the objective. The scenario bound caps it with 99 % confidence.",
        );
    }
    if ui
        .button("P sweep…")
        .on_hover_text(
            "Sampled gates: how much of the sphere, and how much objective, P random gates miss, \
             for P from 10 to 5000",
        )
        .clicked()
    {
        app.panel_state.scenario.open = true;
    }
}

/// Over sampled gates the certifying point is feasible on the sample only.
pub fn certifying_text(s: &Snapshot, c: f64) -> Option<String> {
    view(s)?.violation?;
    Some(format!(
        "c/β = {c:.6} on the sampled gates (feasible there);"
    ))
}

/// The neuron table lists the cone decomposition: its objective on the ReLU program and its
/// certified distance from the ReLU optimum.
pub fn neurons_caption(app: &App, s: &Snapshot, ui: &mut egui::Ui) {
    let Some(g) = view(s) else { return };
    let b = g.relu_bounds;
    let relu_lo = app
        .optimum
        .as_ref()
        .and_then(|o| o.relaxes)
        .map_or(b.lower, |(_, r)| r.lower.max(b.lower));
    ui.label(
        egui::RichText::new(format!(
            "Cone decomposition of the gated model ({} split). As a ReLU network its objective \
             is {:.6}; the ReLU optimum is certified ≥ {:.6}, so this network is at most {:.4} \
             ({:.1} % of its objective) above it. KKT below is on the ReLU program.",
            match g.split {
                crate::convex::gated::Split::MinNorm => "minimum-norm",
                crate::convex::gated::Split::Closed => "closed-form",
            },
            b.upper,
            relu_lo,
            b.upper - relu_lo,
            100.0 * (b.upper - relu_lo) / b.upper.abs().max(1e-300)
        ))
        .small(),
    );
}

/// Sampled gates: the bounds are those of the program over the sample, which lies above p* (the
/// optimum over all regions' gates).
pub fn legend(app: &App) -> LegendNames {
    let sampled = matches!(
        app.problem.as_deref().map(|p| &p.detail),
        Some(ProblemDetail::Relu {
            is_exact: false,
            ..
        })
    );
    if sampled {
        LegendNames {
            upper: "sampled-gate program: upper bound",
            lower: "its certified lower bound (gap in log view)",
            optimum: "p* over all regions' gates (certified)",
            ..LegendNames::CONVEX
        }
    } else {
        LegendNames::CONVEX
    }
}
