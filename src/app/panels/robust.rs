//! What the robust ReLU model adds to the shared plots (docs/math.md#robust): the ε slider and
//! the seeds' adversarial training in the side panel; the ε-boxes, each point's exact worst-case
//! perturbation and the plain optimum's boundary on the boundary plot; the objective legend's
//! names (the seeds are scored by their exact robust objective).

use eframe::egui;
use egui::{Color32, Stroke};
use egui_plot::{Line, MarkerShape, PlotPoints, Points};

use super::objective::LegendNames;
use super::paint;
use crate::app::App;
use crate::app::session::{AdversarialChoice, SgdChoice, SolverSettings};
use crate::formulation::{RobustView, Snapshot};

/// Worst-case perturbations.
const WORST: Color32 = Color32::from_rgb(230, 60, 160);
/// The plain (ε = 0) optimum's boundary.
const PLAIN_BOUNDARY: Color32 = Color32::from_rgb(80, 200, 220);

fn view(s: &Snapshot) -> Option<&RobustView> {
    s.relu()?.robust.as_deref()
}

/// The box radius ε (log slider; 0 is the plain program).
pub fn options(s: &mut SolverSettings, ui: &mut egui::Ui) {
    let mut eps = s.epsilon.clamp(0.0, 1.0);
    ui.add(
        egui::Slider::new(&mut eps, 0.0..=1.0)
            .logarithmic(true)
            .smallest_positive(1e-3)
            .custom_formatter(|v, _| {
                if v == 0.0 {
                    "0".into()
                } else {
                    format!("{v:.3}")
                }
            })
            .text("ε (ℓ∞ box radius)"),
    )
    .on_hover_text(
        "Every training point may move anywhere in the square of half-width ε around it. ε = 0 \
         is the plain convex ReLU program; larger ε leaves fewer usable patterns.",
    );
    s.epsilon = eps;
}

/// The seeds' training: plain, FGSM or PGD inside the ε-boxes.
pub fn sgd_options(c: &mut SgdChoice, ui: &mut egui::Ui) {
    egui::ComboBox::from_label("training")
        .selected_text(c.adversarial.label())
        .show_ui(ui, |ui| {
            for a in [
                AdversarialChoice::None,
                AdversarialChoice::Fgsm,
                AdversarialChoice::Pgd,
            ] {
                ui.selectable_value(&mut c.adversarial, a, a.label());
            }
        })
        .response
        .on_hover_text(
            "Adversarial training: each sample is replaced by an attack inside its ε-box (FGSM: \
             one sign step; PGD: 10 projected sign steps) before the gradient step. Every seed is \
             scored by its exact worst case, not by the attack.",
        );
}

/// Legend row above the boundary plot.
pub fn boundary_legend(s: &Snapshot, outline: Color32, ui: &mut egui::Ui) {
    let Some(r) = view(s) else { return };
    ui.horizontal_wrapped(|ui| {
        // Entries never wrap inside themselves: a whole entry moves to the next row.
        let small = |t: String, c: Color32| {
            egui::Label::new(egui::RichText::new(t).small().color(c)).extend()
        };
        ui.add(small(format!("□ ε-boxes (ε = {})", r.eps), outline));
        ui.add(small("→ worst-case perturbation".into(), WORST));
        if r.plain_output.is_some() {
            ui.add(small("━ plain optimum (ε = 0) = 0".into(), PLAIN_BOUNDARY))
                .on_hover_text(
                    "The certified optimum of the same network trained without perturbations: \
                     its boundary beside the robust one.",
                );
        }
        ui.add(small(
            format!(
                "exact worst case: loss {:.4}, robust accuracy {:.1} %",
                r.robust_loss,
                100.0 * r.robust_accuracy
            ),
            outline,
        ))
        .on_hover_text(
            "Exact: the network is linear on each piece of a box, so its worst point is a vertex \
             of a piece (box corners, neuron lines crossing the box edges or each other) — every \
             one of them is evaluated.",
        );
    });
}

/// The ε-boxes around the training points and each point's worst-case perturbation.
pub fn boundary_items(
    s: &Snapshot,
    train: &[[f64; 2]],
    outline: Color32,
    pui: &mut egui_plot::PlotUi<'_>,
) {
    let Some(r) = view(s) else { return };
    if r.worst.len() != train.len() {
        return;
    }
    let e = r.eps;
    for (p, d) in train.iter().zip(&r.worst) {
        let corners = vec![
            [p[0] - e, p[1] - e],
            [p[0] + e, p[1] - e],
            [p[0] + e, p[1] + e],
            [p[0] - e, p[1] + e],
            [p[0] - e, p[1] - e],
        ];
        pui.line(
            Line::new("ε-box", PlotPoints::new(corners))
                .color(outline.gamma_multiply(0.6))
                .width(1.0)
                .allow_hover(false),
        );
        pui.line(
            Line::new(
                "worst case",
                PlotPoints::new(vec![*p, [p[0] + d[0], p[1] + d[1]]]),
            )
            .color(WORST)
            .width(1.5)
            .allow_hover(false),
        );
    }
    let tips: Vec<[f64; 2]> = train
        .iter()
        .zip(&r.worst)
        .map(|(p, d)| [p[0] + d[0], p[1] + d[1]])
        .collect();
    pui.points(
        Points::new("worst case", tips)
            .color(WORST)
            .shape(MarkerShape::Cross)
            .radius(3.5)
            .allow_hover(false),
    );
}

/// The plain optimum's zero level set.
pub fn boundary_paint(s: &Snapshot, ui: &egui::Ui, tr: &egui_plot::PlotTransform) {
    if let Some(g) = view(s).and_then(|r| r.plain_output.as_ref()) {
        let segs = g.contour(0.0);
        paint::paint_segments(ui, tr, &segs, Stroke::new(1.5, PLAIN_BOUNDARY));
    }
}

/// The seeds are scored by their exact robust objective and may go below p* of (RC).
pub fn legend(_: &App) -> LegendNames {
    LegendNames {
        optimum: "p* of (RC): the best pattern-stable network (certified)",
        sgd: "SGD (exact robust objective; may go below p* of (RC)):",
        ..LegendNames::CONVEX
    }
}
