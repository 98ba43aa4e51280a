//! Plot 4, the dual certificate: `h(θ, t)/β = vᵀ(X̃u)₊/β` over line space for the dual point
//! `v` of the network at the cursor (docs/math.md#certificate), the level sets |h| = β, the exact maximiser, and the
//! neurons of the convex solver and of SGD as markers. At an optimum every neuron sits on the
//! level set with its own sign and |h| ≤ β everywhere (docs/math.md#kkt, #max-margin).

use eframe::egui;
use egui::{Color32, Stroke};
use egui_plot::{MarkerShape, Plot, PlotPoint, Points};

use super::paint::{self, NEG, POS};
use super::{fit_title_row, hover, t_max};
use crate::app::{App, NeuronRef, PlotId};
use crate::formulation::DualChoice;
use crate::formulation::snapshot::{CertificateView, significant_top};
use crate::geometry::grid::line_coords;

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    let (title, help) = app.model_kind().certificate_caption();
    fit_title_row(app, ui, PlotId::Certificate, title, help);
    let dark = app.session.view.dark;
    let t = app.shown_iter();
    let Some(s) = app.history.snapshot_at(t).cloned() else {
        ui.label("waiting for the solver…");
        return;
    };
    let tm = t_max(&app.session.data.dataset);
    let e = [0.0, std::f64::consts::TAU, -tm, tm];
    // The max-margin model may show a gradient-descent seed's dual estimate instead.
    let estimate = super::margin::shown_estimate(app, t);
    let seed_grid = estimate
        .as_ref()
        .map(|e| super::margin::estimate_grid(app, e, tm));
    // The map of the output chosen in the decomposition panel (one output for ReLU models).
    let view = match (&estimate, &seed_grid) {
        (Some(e), Some(grid)) => e.view(grid),
        _ => s.certificate(app.panel_state.poly.output, app.panel_state.dual_choice),
    };
    if let Some(e) = &estimate {
        super::margin::estimate_row(app, ui, e);
    } else {
        value_row(
            app,
            ui,
            &view,
            s.relu().is_some_and(|r| r.certifying.is_some()),
            Some(&s),
        );
    }
    let range = view.grid.max_abs().max(1.0);
    let key = paint::key(&[
        app.run_id(),
        s.iter as u64,
        dark as u64,
        view.output as u64,
        estimate
            .as_ref()
            .map_or(0, |e| 1 + e.epoch as u64 * 1000 + e.seed as u64),
        2,
    ]);
    let tex = app
        .panel_state
        .textures
        .get(ui.ctx(), "certificate", key, || {
            paint::grid_image(view.grid, |v| paint::diverging(v / range, dark))
        });
    let sgd = if app.session.view.sgd_lines {
        app.history.sgd_snapshot_at(t).cloned()
    } else {
        None
    };
    // Paths of the seeds' neurons: for the max-margin model, where gradient descent's neurons
    // moving onto the maxima is the point (with weight decay and several seeds they only
    // clutter the map).
    let show_trails = app.model_kind() == crate::formulation::ModelKind::MaxMargin;
    let layers = Layers {
        trails: sgd
            .as_ref()
            .filter(|_| show_trails)
            .map_or_else(Vec::new, |s| trails(&app.history, s)),
        sgd,
        selected: app.panel_state.poly.selected.filter(|_| s.poly().is_some()),
        hovered: app.hovered,
        outline: if dark { Color32::WHITE } else { Color32::BLACK },
        tight_lit: super::formula::current(app)
            .dual_level_set
            .then(|| paint::highlight_text(dark)),
    };
    let resp = plot(ui, &view, tex, e, &layers, &mut app.panel_state.fit);
    app.panel_state
        .fit
        .record(PlotId::Certificate, &resp.transform);
    // The dual constraint's level set, highlighted while its term is hovered.
    let stroke = match layers.tight_lit {
        Some(c) => Stroke::new(3.5, c),
        None => Stroke::new(1.5, layers.outline),
    };
    for level in [1.0, -1.0] {
        let segs = view.grid.contour(level);
        paint::paint_segments(ui, &resp.transform, &segs, stroke);
    }
    pointer(app, &view, &resp);
}

/// Which dual point the map shows (the certifying one by default), its `c/β` named and coloured
/// by what it means, and the value under the pointer.
fn value_row(
    app: &mut App,
    ui: &mut egui::Ui,
    view: &CertificateView,
    has_certifying: bool,
    snap: Option<&crate::formulation::Snapshot>,
) {
    ui.horizontal_wrapped(|ui| {
        let c = view.c_over_beta;
        let (text, color, help) = match view.choice {
            DualChoice::Certifying => (
                if let Some(t) =
                    snap.and_then(|s| (super::model_panels(app.model_kind()).certifying_text)(s, c))
                {
                    t
                } else if c <= 1.0 + 1e-6 {
                    format!("c/β = {c:.6}: dual feasible, map ≤ 1")
                } else {
                    format!("c/β = {c:.4} before scaling; map of v·β/c ≤ 1")
                },
                Color32::from_rgb(60, 170, 90),
                "The dual point that certifies the lower bound. Its exact maximum c(v)/β is shown \
                 before scaling; the map shows v·min(1, β/c(v)), which is ≤ 1 everywhere, so the \
                 lower bound (its dual objective) is valid. ★: exact directions where the map is \
                 within 10⁻³ of 1 (the dual constraint is tight there); at the optimum the \
                 neurons ◆ sit on them.",
            ),
            DualChoice::Residual => (
                // A model without a separate certifying point shows its own dual point here; it
                // may name it (the max-margin model's margin multipliers).
                snap.filter(|_| !has_certifying)
                    .and_then(|s| (super::model_panels(app.model_kind()).certifying_text)(s, c))
                    .unwrap_or_else(|| format!("c(r)/β = {c:.6}")),
                // Green: the network passes its own optimality test; amber: within 0.1 %;
                // red: it does not (some direction would improve it).
                if c <= 1.0 + 1e-6 {
                    Color32::from_rgb(60, 170, 90)
                } else if c <= 1.0 + 1e-3 {
                    Color32::from_rgb(220, 170, 50)
                } else {
                    Color32::from_rgb(220, 90, 60)
                },
                "The shown network's own residual r = −∇ℓ(ŷ), as it is. The network is \
                 globally optimal iff |h_r|/β ≤ 1 everywhere and every neuron sits where \
                 h_r/β = sign(α); above 1 the maximiser ★ is a direction a new neuron would \
                 improve. (ReLU: exact sweep over regions and arcs; polynomial: two \
                 trust-region problems.)",
            ),
        };
        ui.label(egui::RichText::new(text).color(color))
            .on_hover_text(help);
        if let Some(s) = &snap {
            (super::model_panels(app.model_kind()).certificate_row)(app, s, ui);
        }
        if has_certifying {
            let mut choice = app.panel_state.dual_choice;
            egui::ComboBox::from_label("shown")
                .selected_text(match choice {
                    DualChoice::Certifying => "certifying dual point",
                    DualChoice::Residual => "this network's residual",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(
                        &mut choice,
                        DualChoice::Certifying,
                        "certifying dual point",
                    )
                    .on_hover_text(
                        "The dual point behind the certified lower bound (at the optimum: the \
                         exact solver's multipliers), scaled into feasibility",
                    );
                    ui.selectable_value(
                        &mut choice,
                        DualChoice::Residual,
                        "this network's residual",
                    )
                    .on_hover_text("r = −∇ℓ(ŷ) of the network shown at the cursor, as it is");
                });
            app.panel_state.dual_choice = choice;
        }
        if let Some(h) = &app.panel_state.cert_hover {
            ui.label(egui::RichText::new(h).small());
        }
    });
}

/// The paths in line space of the SGD seeds' shown neurons over the stored epochs up to `now`:
/// per seed, one polyline per neuron, cut where θ wraps around.
fn trails(
    history: &crate::app::history::History,
    now: &crate::formulation::SgdSnapshot,
) -> Vec<Vec<Vec<[f64; 2]>>> {
    now.relu_networks()
        .into_iter()
        .enumerate()
        .map(|(k, net)| {
            significant_top(net, 12)
                .into_iter()
                .flat_map(|i| {
                    let mut pieces: Vec<Vec<[f64; 2]>> = Vec::new();
                    for s in history
                        .sgd_snapshots
                        .iter()
                        .filter(|s| s.epoch <= now.epoch)
                    {
                        let Some(u) = s
                            .networks
                            .get(k)
                            .and_then(crate::formulation::ModelNetwork::relu)
                            .and_then(|n| n.neurons.get(i))
                        else {
                            continue;
                        };
                        let Some((a, b)) = line_coords(&u.u) else {
                            continue;
                        };
                        let near = |p: &[f64; 2]| (p[0] - a).abs() <= std::f64::consts::PI;
                        match pieces.last_mut() {
                            Some(cur) if cur.last().is_some_and(near) => cur.push([a, b]),
                            _ => pieces.push(vec![[a, b]]),
                        }
                    }
                    pieces.into_iter().filter(|p| p.len() > 1)
                })
                .collect()
        })
        .collect()
}

/// What is drawn over the map besides the iterate's own neurons.
struct Layers {
    /// Per seed, the paths of its neurons up to the shown epoch ([`trails`]).
    trails: Vec<Vec<Vec<[f64; 2]>>>,
    sgd: Option<std::sync::Arc<crate::formulation::SgdSnapshot>>,
    selected: Option<crate::model::PolyNeuron>,
    hovered: Option<NeuronRef>,
    outline: Color32,
    /// The dual constraint's term is hovered: the directions where it is tight stand out.
    tight_lit: Option<Color32>,
}

/// The map with the SGD seeds' neurons (×) and their paths so far, the iterate's neurons (◆),
/// the selected neuron and the exact maximiser (★).
fn plot(
    ui: &mut egui::Ui,
    view: &CertificateView,
    tex: egui::TextureId,
    e: [f64; 4],
    layers: &Layers,
    fit: &mut super::FitState,
) -> egui_plot::PlotResponse<Option<PlotPoint>> {
    let h = ui.available_height() - 4.0;
    Plot::new("certificate_plot")
        .height(h)
        .x_axis_label("θ")
        .y_axis_label("t")
        .default_x_bounds(e[0], e[1])
        .default_y_bounds(e[2], e[3])
        .show(ui, |pui| {
            fit.keep(pui, PlotId::Certificate, "certificate", e, e);
            pui.image(paint::plot_image("h/β", tex, e));
            for (k, paths) in layers.trails.iter().enumerate() {
                for (j, p) in paths.iter().enumerate() {
                    pui.line(
                        egui_plot::Line::new(
                            format!("SGD seed {} path", k + 1),
                            egui_plot::PlotPoints::new(p.clone()),
                        )
                        .color(paint::seed_color(k).gamma_multiply(0.7))
                        .width(1.0)
                        .id(("trail", k, j)),
                    );
                }
            }
            if let Some(sg) = &layers.sgd {
                for (k, net) in sg.relu_networks().into_iter().enumerate() {
                    let pts: Vec<[f64; 2]> = significant_top(net, 12)
                        .into_iter()
                        .filter_map(|i| line_coords(&net.neurons[i].u).map(|(a, b)| [a, b]))
                        .collect();
                    pui.points(
                        Points::new(format!("SGD seed {}", k + 1), pts)
                            .shape(MarkerShape::Cross)
                            .radius(3.5)
                            .color(paint::seed_color(k)),
                    );
                }
            }
            let tight: Vec<[f64; 2]> = view
                .near_max
                .iter()
                .filter_map(|u| line_coords(u).map(|(a, b)| [a, b]))
                .collect();
            if !tight.is_empty() {
                if let Some(c) = layers.tight_lit {
                    pui.points(
                        Points::new("", tight.clone())
                            .shape(MarkerShape::Circle)
                            .filled(false)
                            .radius(13.0)
                            .color(c)
                            .allow_hover(false),
                    );
                }
                pui.points(
                    Points::new("|h|/β ≥ 1 − 10⁻³", tight)
                        .shape(MarkerShape::Asterisk)
                        .radius(9.0)
                        .color(Color32::from_rgb(250, 220, 60).gamma_multiply(0.8)),
                );
            }
            for m in &view.markers {
                if let Some((a, b)) = line_coords(&m.u) {
                    let hl = m
                        .neuron
                        .is_some_and(|i| layers.hovered == Some(NeuronRef::Convex(i)));
                    let name = m
                        .neuron
                        .map_or("neuron".into(), |i| format!("neuron {}", i + 1));
                    pui.points(
                        Points::new(name, vec![[a, b]])
                            .shape(MarkerShape::Diamond)
                            .radius(if hl { 8.0 } else { 5.0 })
                            .color(if hl {
                                Color32::YELLOW
                            } else if m.alpha >= 0.0 {
                                POS
                            } else {
                                NEG
                            }),
                    );
                }
            }
            if let Some(sel) = layers.selected
                && let Some((a, b)) = line_coords(&sel.u)
            {
                pui.points(
                    Points::new("selected neuron", vec![[a, b]])
                        .shape(MarkerShape::Diamond)
                        .radius(8.0)
                        .color(Color32::YELLOW),
                );
            }
            if let Some((a, b)) = line_coords(&view.argmax) {
                pui.points(
                    Points::new("exact max", vec![[a, b]])
                        .shape(MarkerShape::Asterisk)
                        .radius(8.0)
                        .color(layers.outline),
                );
            }
            pui.pointer_coordinate()
        })
}

/// The value under the pointer, and hovering a neuron marker highlights it everywhere.
fn pointer(
    app: &mut App,
    view: &CertificateView,
    resp: &egui_plot::PlotResponse<Option<PlotPoint>>,
) {
    app.panel_state.cert_hover = None;
    let Some(p) = resp.inner else {
        return;
    };
    let grid = view.grid;
    if let Some((c, r)) = grid.cell_of([p.x, p.y]) {
        let v = grid.values[r * grid.nx + c];
        app.panel_state.cert_hover = Some(format!("h/β({:.2}, {:.2}) = {v:+.3}", p.x, p.y));
    }
    if let Some(pos) = resp.response.hover_pos() {
        let best = view
            .markers
            .iter()
            .filter_map(|m| {
                let i = m.neuron?;
                let (a, b) = line_coords(&m.u)?;
                let q = resp.transform.position_from_point(&PlotPoint::new(a, b));
                Some((i, q.distance(pos)))
            })
            .filter(|(_, d)| *d < 8.0)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, _)) = best {
            hover(app, NeuronRef::Convex(i));
        }
    }
}
