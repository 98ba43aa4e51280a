//! Polynomial model panels: the lifted matrices and Neural Decomposition step by step (in the
//! regions slot), and the neuron table (in the neurons slot).
//!
//! A neuron's contribution `α σ(x̃ᵀu)` depends on `x` only through `s = x̃ᵀu`, so its level sets
//! in the plane are lines parallel to `x̃ᵀu = 0`: the zero set of the quadratic `σ` (two lines,
//! one double line or none) and its vertex `s = −b/(2a)`.

use eframe::egui;
use egui::{Color32, RichText, Stroke};
use egui_plot::{Bar, BarChart, Plot, Points};

use super::paint;
use super::{data_extent, title_row};
use crate::app::session::SolverSettings;
use crate::app::{App, PlotId};
use crate::decompose::poly::Step;
use crate::formulation::PolySnapshot;
use crate::geometry::grid::Grid;
use crate::model::PolyNeuron;

/// Which output and which decomposition step the panel shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolyPanelState {
    /// Output (class).
    pub output: usize,
    /// Step index over `Z₊`'s steps followed by `Z₋`'s.
    pub step: usize,
    /// The neuron of the selected step (drawn in the boundary and certificate plots too).
    pub selected: Option<PolyNeuron>,
}

/// The lines of the plane where a neuron's `σ(x̃ᵀu)` vanishes: `x̃ᵀu = r` for each real root
/// `r` of `σ`, as `u − r·e₃` (zero, one or two parallel lines).
pub fn zero_lines(act: crate::model::PolyActivation, u: [f64; 3]) -> Vec<[f64; 3]> {
    let roots: Vec<f64> = if act.a != 0.0 {
        let disc = act.b * act.b - 4.0 * act.a * act.c;
        if disc < 0.0 {
            Vec::new()
        } else {
            let s = disc.sqrt();
            vec![(-act.b + s) / (2.0 * act.a), (-act.b - s) / (2.0 * act.a)]
        }
    } else if act.b != 0.0 {
        vec![-act.c / act.b]
    } else {
        Vec::new()
    };
    roots.into_iter().map(|r| [u[0], u[1], u[2] - r]).collect()
}

fn fmt_vec(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|a| format!("{a:+.3}")).collect();
    format!("({})", parts.join(", "))
}

/// The neuron a step outputs (`None` for numerical noise `s ≈ 0`).
fn step_neuron(step: &Step, sign: f64, z4: f64) -> Option<PolyNeuron> {
    crate::decompose::poly::neurons(std::slice::from_ref(step), sign, z4, 1e-12)
        .into_iter()
        .next()
}

fn describe(step: &Step, side: &str, k: usize) -> String {
    match step {
        Step::Balanced { y } => format!(
            "{side} step {k}: p₁ is already balanced (‖t‖ = |s|): output y = {}",
            fmt_vec(y.as_slice())
        ),
        Step::Rotated {
            p1, pj, alpha, y, ..
        } => format!(
            "{side} step {k}: p₁ = {} has G-value {:+.3e}; pair it with pⱼ = {} of opposite \
             sign, y = (p₁ + {alpha:.4}·pⱼ)/√(1+α²) = {} is balanced; the remainder goes back \
             to the list",
            fmt_vec(p1.as_slice()),
            crate::decompose::poly::g_value(p1),
            fmt_vec(pj.as_slice()),
            fmt_vec(y.as_slice())
        ),
        Step::Last { y } => format!(
            "{side} step {k}: the last piece is balanced automatically: y = {}",
            fmt_vec(y.as_slice())
        ),
    }
}

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    title_row(
        app,
        ui,
        PlotId::Regions,
        "Lifted matrices · Neural Decomposition",
        "The SDP variable of each sign is Z = [Z₁ Z₂; Z₂ᵀ Z₄] ⪰ 0 with tr Z₁ = Z₄. Its \
         eigenvalues (bars) bound the number of neurons: rank Z₊ + rank Z₋ ≤ 8. Neural \
         Decomposition splits Z into rank-one pieces y yᵀ with ‖t‖ = |s| (y = (t, s)), each a \
         neuron u = t/s with α = ±s². Step through the splits; the plane shows the neuron's \
         level sets: its contribution α σ(x̃ᵀu) is constant along lines parallel to x̃ᵀu = 0. \
         The selected neuron is yellow in the boundary plot (where σ = 0) and in the \
         certificate plot.",
    );
    let t = app.shown_iter();
    let Some((detail, classes)) = app
        .history
        .snapshot_at(t)
        .and_then(|s| Some((s.poly()?.clone(), s.classes)))
    else {
        ui.label("No polynomial-model snapshot yet: choose the model and press Step or Play.");
        return;
    };
    let mut st = app.panel_state.poly;
    if classes > 1 {
        egui::ComboBox::from_label("output (class)")
            .selected_text(format!("{}", st.output))
            .show_ui(ui, |ui| {
                for c in 0..classes {
                    ui.selectable_value(&mut st.output, c, format!("{c}"));
                }
            });
    }
    st.output = st.output.min(detail.lifted.len().saturating_sub(1));
    let o = st.output;
    let steps: Vec<(usize, &Step)> = detail.steps[o][0]
        .iter()
        .map(|s| (0usize, s))
        .chain(detail.steps[o][1].iter().map(|s| (1usize, s)))
        .collect();
    let [zp, zm] = detail.lifted[o];
    ui.label(
        RichText::new(format!(
            "Z₄₊ = {:.4} = tr Z₁₊ · Z₄₋ = {:.4} · β(Z₄₊ + Z₄₋) = Σ|α|·β",
            zp[(3, 3)],
            zm[(3, 3)]
        ))
        .small(),
    );
    eig_chart(ui, &detail, o);
    if steps.is_empty() {
        ui.label("Both matrices are zero: the network has no neuron (β is large enough).");
        app.panel_state.poly = st;
        return;
    }
    st.step = st.step.min(steps.len() - 1);
    ui.add(egui::Slider::new(&mut st.step, 0..=steps.len() - 1).text("split step"));
    let (side, step) = steps[st.step];
    let k = steps[..st.step].iter().filter(|(s, _)| *s == side).count() + 1;
    let (name, sign, z4) = if side == 0 {
        ("Z₊", 1.0, zp[(3, 3)])
    } else {
        ("Z₋", -1.0, zm[(3, 3)])
    };
    ui.label(RichText::new(describe(step, name, k)).small());
    let neuron = step_neuron(step, sign, z4);
    match &neuron {
        Some(n) => ui.label(
            RichText::new(format!(
                "→ neuron u = {}, α = {:+.4}",
                fmt_vec(&n.u),
                n.alpha
            ))
            .small(),
        ),
        None => ui.label(RichText::new("→ s ≈ 0: numerical noise, dropped").small()),
    };
    st.selected = neuron;
    app.panel_state.poly = st;
    level_sets(app, ui, &detail, neuron);
}

fn eig_chart(ui: &mut egui::Ui, detail: &PolySnapshot, o: usize) {
    let [ep, em] = detail.eig[o];
    let mut bars = Vec::new();
    for (i, v) in ep.iter().enumerate() {
        bars.push(Bar::new(i as f64, v.max(0.0)).width(0.8).fill(paint::POS));
    }
    for (i, v) in em.iter().enumerate() {
        bars.push(
            Bar::new(5.0 + i as f64, v.max(0.0))
                .width(0.8)
                .fill(paint::NEG),
        );
    }
    Plot::new("poly_eig")
        .height(70.0)
        .show_axes([false, true])
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |pui| {
            pui.bar_chart(BarChart::new("eig(Z₊) | eig(Z₋)", bars));
        });
    ui.label(
        RichText::new(format!(
            "eig Z₊: {}   eig Z₋: {}",
            fmt_vec(&ep),
            fmt_vec(&em)
        ))
        .small(),
    );
}

fn level_sets(app: &mut App, ui: &mut egui::Ui, detail: &PolySnapshot, neuron: Option<PolyNeuron>) {
    let ds = app.session.data.dataset.clone();
    let extent = data_extent(&ds);
    let dark = app.session.view.dark;
    let act = detail.networks[0].activation;
    let field = neuron.map(|n| {
        Grid::sample(60, 60, extent, |x, y| {
            n.alpha * act.eval(n.u[0] * x + n.u[1] * y + n.u[2])
        })
    });
    let tex = field.as_ref().map(|g| {
        let scale = g.max_abs().max(1e-12);
        let key = paint::key(&[
            app.run_id(),
            app.shown_iter() as u64,
            app.panel_state.poly.output as u64,
            app.panel_state.poly.step as u64,
            dark as u64,
            7,
        ]);
        app.panel_state
            .textures
            .get(ui.ctx(), "poly_neuron", key, || {
                paint::grid_image(g, |v| paint::diverging((v / scale).tanh() * 1.6, dark))
            })
    });
    let h = ui.available_height() - 4.0;
    let resp = Plot::new("poly_levels")
        .data_aspect(1.0)
        .height(h.max(60.0))
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .default_x_bounds(extent[0], extent[1])
        .default_y_bounds(extent[2], extent[3])
        .show(ui, |pui| {
            if let Some(tex) = tex {
                pui.image(paint::plot_image("neuron", tex, extent));
            }
            let pts: Vec<[f64; 2]> = ds.x.clone();
            pui.points(Points::new("data", pts).radius(2.5).color(if dark {
                Color32::WHITE
            } else {
                Color32::BLACK
            }));
        });
    if let (Some(g), Some(n)) = (&field, neuron) {
        let outline = if dark { Color32::WHITE } else { Color32::BLACK };
        // Level sets: parallel lines (σ depends on x̃ᵀu only); the zero set thicker.
        let m = g.max_abs();
        for k in 1..6 {
            for sgn in [1.0, -1.0] {
                let level = sgn * m * k as f64 / 6.0;
                paint::paint_segments(
                    ui,
                    &resp.transform,
                    &g.contour(level),
                    Stroke::new(0.8, outline.gamma_multiply(0.6)),
                );
            }
        }
        paint::paint_segments(
            ui,
            &resp.transform,
            &g.contour(0.0),
            Stroke::new(2.0, outline),
        );
        if act.a != 0.0 {
            // The vertex line x̃ᵀu = −b/(2a).
            let s0 = -act.b / (2.0 * act.a);
            let shifted = [n.u[0], n.u[1], n.u[2] - s0];
            if let Some(seg) = paint::clip_line(&shifted, extent) {
                paint::paint_segments(
                    ui,
                    &resp.transform,
                    &[seg],
                    Stroke::new(1.5, Color32::YELLOW),
                );
            }
        }
    }
}

/// The neuron table of the polynomial model: every output's neurons at the shown iterate and
/// at the certified optimum.
pub fn neurons(app: &mut App, ui: &mut egui::Ui) {
    title_row(
        app,
        ui,
        PlotId::Neurons,
        "Neurons (polynomial)",
        "Neurons of the Neural Decomposition at the shown iteration: unit-norm u = (w₁, w₂, b), \
         signed output weight α, and for several classes the output they belong to.",
    );
    let t = app.shown_iter();
    let detail = app.history.snapshot_at(t).and_then(|s| s.poly().cloned());
    let optimum = app
        .optimum
        .as_ref()
        .and_then(|o| o.network.poly().map(<[_]>::to_vec));
    egui::ScrollArea::vertical().show(ui, |ui| {
        let table = |ui: &mut egui::Ui, title: String, nets: &[crate::model::PolyNetwork]| {
            ui.label(RichText::new(title).strong());
            egui::Grid::new(ui.next_auto_id())
                .striped(true)
                .show(ui, |ui| {
                    ui.label("out");
                    ui.label("u = (w₁, w₂, b)");
                    ui.label("α");
                    ui.end_row();
                    for (c, net) in nets.iter().enumerate() {
                        for n in &net.neurons {
                            ui.label(format!("{c}"));
                            ui.label(fmt_vec(&n.u));
                            ui.label(format!("{:+.5}", n.alpha));
                            ui.end_row();
                        }
                    }
                });
        };
        match &detail {
            Some(d) => table(
                ui,
                format!(
                    "iteration {t}: {} neurons",
                    d.networks.iter().map(|n| n.neurons.len()).sum::<usize>()
                ),
                &d.networks,
            ),
            None => {
                ui.label("No snapshot yet.");
            }
        }
        if let Some(nets) = &optimum {
            table(
                ui,
                format!(
                    "certified optimum: {} neurons",
                    nets.iter().map(|n| n.neurons.len()).sum::<usize>()
                ),
                nets,
            );
        }
    });
}

/// The polynomial model's options in the Formulation section: activation coefficients
/// (presets or custom), the SGD regularizer, and for σ(t) = t² the nuclear-norm form.
pub fn options(s: &mut SolverSettings, ui: &mut egui::Ui) {
    activation_ui(ui, &mut s.poly, &mut s.poly_reg);
    if s.poly == crate::model::PolyActivation::SQUARE {
        ui.checkbox(&mut s.poly_nuclear, "nuclear-norm form (FISTA on W)")
            .on_hover_text(
                "For σ(t) = t² the SDP is min ℓ(x̃ᵀWx̃, y) + β‖W‖_* over symmetric 3×3 W; \
                 Neural Decomposition is the eigendecomposition W = Σ λᵢqᵢqᵢᵀ (u = qᵢ, α = λᵢ). \
                 The optimum line still comes from the SDP: two algorithms, one value.",
            );
    } else {
        s.poly_nuclear = false;
    }
}

fn activation_ui(
    ui: &mut egui::Ui,
    poly: &mut crate::model::PolyActivation,
    reg: &mut crate::solve::poly_sgd::PolyRegularizer,
) {
    use crate::solve::poly_sgd::PolyRegularizer;
    let presets = crate::formulation::poly::PRESETS;
    let current = presets
        .iter()
        .find(|(_, a)| a == poly)
        .map_or("custom", |(n, _)| n);
    egui::ComboBox::from_label("σ(t) = a t² + b t + c")
        .selected_text(current)
        .show_ui(ui, |ui| {
            for (name, a) in presets {
                ui.selectable_value(poly, a, name);
            }
        });
    let mut c = *poly;
    ui.horizontal(|ui| {
        ui.add(egui::DragValue::new(&mut c.a).speed(0.01).prefix("a "));
        ui.add(egui::DragValue::new(&mut c.b).speed(0.01).prefix("b "));
        ui.add(egui::DragValue::new(&mut c.c).speed(0.01).prefix("c "));
    });
    if c.validate().is_ok() {
        *poly = c;
    } else {
        ui.colored_label(
            Color32::from_rgb(220, 80, 60),
            "a, b, c must be finite and not all zero",
        );
    }
    ui.horizontal(|ui| {
        ui.label("SGD regularizer:");
        ui.radio_value(reg, PolyRegularizer::UnitL1, "‖u‖ = 1, ℓ1 on α");
        ui.radio_value(reg, PolyRegularizer::WeightDecay, "weight decay");
    });
    if *reg == PolyRegularizer::WeightDecay {
        let homogeneous = poly.b == 0.0 && poly.c == 0.0;
        ui.label(
            RichText::new(if homogeneous {
                "Weight decay ½β Σ(‖u‖² + α²) has no exact convex form: training with it is                  NP-hard (Bartan & Pilanci). The SGD curves show the weight-decay objective;                  since σ = a t² is 2-homogeneous, each network is rescaled to unit-norm                  neurons and its gap is certified against the ℓ1 SDP."
            } else {
                "Weight decay ½β Σ(‖u‖² + α²) has no exact convex form: training with it is                  NP-hard (Bartan & Pilanci). With b or c ≠ 0 the network cannot be rescaled                  to unit-norm neurons, so the SDP does not bound it: the SGD curves show the                  weight-decay objective, uncertified."
            })
            .small(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PolyActivation;

    /// Points on the drawn lines are zeros of the neuron's activation; no line without a root.
    #[test]
    fn zero_lines_are_where_sigma_vanishes() {
        let u = [0.6, -0.48, 0.64];
        for act in [
            PolyActivation::RELU_LIKE,
            PolyActivation::SWISH_LIKE,
            PolyActivation::SQUARE,
            PolyActivation {
                a: 0.0,
                b: 2.0,
                c: 1.0,
            },
        ] {
            let lines = zero_lines(act, u);
            assert!(!lines.is_empty(), "{act:?}");
            for l in lines {
                // A point on l: x̃ᵀl = 0 with x₂ = 0.3 → x₁ = −(0.3 l₂ + l₃)/l₁.
                let x = [-(0.3 * l[1] + l[2]) / l[0], 0.3];
                let t = u[0] * x[0] + u[1] * x[1] + u[2];
                assert!(
                    act.eval(t).abs() < 1e-12,
                    "{act:?}: σ({t}) = {}",
                    act.eval(t)
                );
            }
        }
        assert!(
            zero_lines(
                PolyActivation {
                    a: 1.0,
                    b: 0.0,
                    c: 1.0
                },
                u
            )
            .is_empty()
        );
    }
}
