//! What the max-margin model adds (docs/math.md#max-margin): the loss of the β = 0 runs in the
//! side panel, and the gradient-flow geometry panel in place of the neuron table: per seed over
//! the epochs, the normalized margin as a fraction of the certified best, and how many activation
//! patterns its neurons use and how many of them the max-margin optimum uses; above, the verdict
//! on the seed at the cursor (global max-margin certified, or the certificate ratio and the
//! direction where a new neuron would raise the margin).

use std::collections::BTreeMap;

use eframe::egui;
use egui::Color32;
use egui_plot::{HLine, Line, LineStyle, Plot, PlotPoints, VLine};

use super::{neurons, paint, title_row};
use crate::app::session::SgdChoice;
use crate::app::{App, PlotId};
use crate::formulation::snapshot::{CertificateView, DualEstimate, Marker, significant_top};
use crate::formulation::{DualChoice, ModelKind, Snapshot};
use crate::geometry::grid::Grid;
use crate::model::ReluNetwork;
use crate::solve::maxmargin::{MarginLoss, neuron_patterns, patterns_in_optimum};

/// A GD network is called a global max-margin network when its normalized margin is certified
/// to be at least this fraction of the best one.
pub const CERTIFIED_FRACTION: f64 = 0.99;

/// The loss of the β = 0 runs.
pub fn sgd_options(c: &mut SgdChoice, ui: &mut egui::Ui) {
    egui::ComboBox::from_label("loss (β = 0)")
        .selected_text(c.margin_loss.name())
        .show_ui(ui, |ui| {
            for l in MarginLoss::ALL {
                ui.selectable_value(&mut c.margin_loss, l, l.name());
            }
        })
        .response
        .on_hover_text(
            "The loss the seeds train on, unregularized. Both tend to the same max-margin \
             direction; the dual estimate weights point j by e^(−y_j f(x_j)) (exponential) or \
             σ(−y_j f(x_j)) (logistic).",
        );
}

/// One seed at one stored epoch.
#[derive(Debug, Clone, Copy)]
struct SeedPoint {
    /// Normalized margin over the best one (certified interval, lower and upper end).
    ratio: (f64, f64),
    /// Distinct non-empty activation patterns of its neurons on the training points.
    used: usize,
    /// How many of them the optimum's neurons use.
    in_optimum: usize,
}

/// The panel's state: which view, and the per-epoch numbers computed so far.
#[derive(Debug, Default)]
pub struct MarginPanelState {
    /// Show the neuron table instead of the tracking plots.
    pub table: bool,
    /// The certificate panel shows this seed's dual estimate instead of the convex multipliers.
    pub dual_seed: Option<usize>,
    /// The map of the shown estimate, for `(run, epoch, seed)`: computed once, not per frame.
    estimate_grid: Option<((u64, usize, usize), std::sync::Arc<Grid>)>,
    /// `(run, optimum)` the cache belongs to.
    key: Option<(u64, usize)>,
    track: BTreeMap<usize, Vec<SeedPoint>>,
}

/// The gradient-flow geometry panel (or, switched, the neuron table).
pub fn show(app: &mut App, ui: &mut egui::Ui) {
    title_row(
        app,
        ui,
        PlotId::Neurons,
        "Gradient-flow geometry",
        "Where unregularized gradient descent heads. Top: each seed's normalized margin \
         min_j y_j f(x_j) / Σ‖u‖|α| as a fraction of the certified best over all widths (a \
         theorem keeps it ≤ 1). Bottom: how many distinct activation patterns (regions of the \
         arrangement) the seed's neurons use (solid) and how many of them the max-margin \
         optimum uses too (dashed).",
    );
    let mut table = app.panel_state.margin.table;
    ui.horizontal(|ui| {
        ui.selectable_value(&mut table, false, "over the epochs");
        ui.selectable_value(&mut table, true, "neuron table");
    });
    app.panel_state.margin.table = table;
    if table {
        neurons::body(app, ui);
        return;
    }
    let Some(opt) = app.optimum.clone() else {
        ui.label("waiting for the certified optimum…");
        return;
    };
    let Some(opt_net) = opt.network.relu() else {
        return;
    };
    if app.history.sgd_snapshots.is_empty() {
        ui.label("no gradient-descent runs (turn SGD on in the side panel)");
        return;
    }
    let (train, _) = app.split();
    let x = app.session.data.dataset.subset(&train).x;
    let key = (app.run_id(), std::sync::Arc::as_ptr(&opt) as usize);
    let state = &mut app.panel_state.margin;
    if state.key != Some(key) {
        state.key = Some(key);
        state.track.clear();
    }
    let optimum_patterns = neuron_patterns(opt_net, &x).len();
    let (lo, up) = (opt.bounds.lower, opt.bounds.upper);
    for s in &app.history.sgd_snapshots {
        state.track.entry(s.epoch).or_insert_with(|| {
            s.relu_networks()
                .into_iter()
                .zip(&s.bounds)
                .map(|(net, b)| seed_point(net, b.upper, &x, opt_net, (lo, up)))
                .collect()
        });
    }
    let t = app.shown_iter();
    verdict(app, ui, t);
    let state = &app.panel_state.margin;
    let shown: Vec<(usize, &Vec<SeedPoint>)> = app
        .history
        .sgd_snapshots
        .iter()
        .filter(|s| s.epoch <= t)
        .filter_map(|s| state.track.get(&s.epoch).map(|p| (s.epoch, p)))
        .collect();
    let seeds = shown.last().map_or(0, |(_, p)| p.len());
    let h = ((ui.available_height() - 8.0) / 2.0).max(60.0);
    let link = egui::Id::unique("margin_track_x");
    let series = |f: &dyn Fn(&SeedPoint) -> f64, k: usize| -> Vec<[f64; 2]> {
        shown
            .iter()
            .filter_map(|(e, p)| p.get(k).map(|q| [*e as f64, f(q)]))
            .collect()
    };
    Plot::new("margin_ratio_plot")
        .height(h)
        .link_axis(link, [true, false])
        .y_axis_label("margin / best")
        .include_y(0.0)
        .include_y(1.05)
        .allow_scroll(false)
        .show(ui, |pui| {
            pui.hline(
                HLine::new("best margin (certified)", 1.0)
                    .color(Color32::GRAY)
                    .style(LineStyle::dashed_loose()),
            );
            pui.hline(
                HLine::new(
                    format!("{:.0} % of the best", CERTIFIED_FRACTION * 100.0),
                    CERTIFIED_FRACTION,
                )
                .color(Color32::from_rgb(60, 170, 90))
                .style(LineStyle::dotted_dense()),
            );
            for k in 0..seeds {
                pui.line(
                    Line::new(
                        format!("seed {}", k + 1),
                        PlotPoints::new(series(&|q| 0.5 * (q.ratio.0 + q.ratio.1), k)),
                    )
                    .color(paint::seed_color(k))
                    .width(1.5),
                );
            }
            pui.vline(VLine::new("cursor", t as f64).color(Color32::from_rgb(220, 180, 60)));
        });
    Plot::new("margin_patterns_plot")
        .height(h)
        .link_axis(link, [true, false])
        .x_axis_label("SGD epoch")
        .y_axis_label("patterns")
        .include_y(0.0)
        .allow_scroll(false)
        .show(ui, |pui| {
            for k in 0..seeds {
                let c = paint::seed_color(k);
                pui.line(
                    Line::new(
                        format!("seed {}: patterns used", k + 1),
                        PlotPoints::new(series(&|q| q.used as f64, k)),
                    )
                    .color(c)
                    .width(1.5),
                );
                pui.line(
                    Line::new(
                        format!("seed {}: of them in the optimum", k + 1),
                        PlotPoints::new(series(&|q| q.in_optimum as f64, k)),
                    )
                    .color(c)
                    .style(LineStyle::dashed_dense())
                    .width(1.5),
                );
            }
            pui.hline(
                HLine::new("patterns of the optimum", optimum_patterns as f64)
                    .color(Color32::GRAY)
                    .style(LineStyle::dashed_loose()),
            );
            pui.vline(VLine::new("cursor", t as f64).color(Color32::from_rgb(220, 180, 60)));
        });
}

/// One seed's numbers: its normalized path norm `path` (∞ while a point is misclassified)
/// against the certified optimum `[lo, up]`, and its patterns.
fn seed_point(
    net: &crate::model::ReluNetwork,
    path: f64,
    x: &[[f64; 2]],
    optimum: &crate::model::ReluNetwork,
    (lo, up): (f64, f64),
) -> SeedPoint {
    let margin = if path.is_finite() && path > 0.0 {
        1.0 / path
    } else {
        0.0
    };
    let used = neuron_patterns(net, x);
    SeedPoint {
        ratio: (margin * lo, margin * up),
        used: used.len(),
        in_optimum: patterns_in_optimum(&used, optimum, x),
    }
}

/// The verdict on the seeds at the cursor: global max-margin certified, or how far below the
/// best each seed is, with its certificate ratio.
fn verdict(app: &App, ui: &mut egui::Ui, t: usize) {
    let Some(s) = app.history.sgd_snapshot_at(t) else {
        return;
    };
    let Some(points) = app.panel_state.margin.track.get(&s.epoch) else {
        return;
    };
    let cert = s.score.as_ref().map(|c| &c.values);
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new(format!("epoch {}:", s.epoch)).small());
        for (k, p) in points.iter().enumerate() {
            let c = cert.and_then(|v| v.get(k)).copied().unwrap_or(f64::NAN);
            let (text, color) = if p.ratio.1 <= 0.0 {
                (
                    format!("seed {}: a point is not classified yet (margin ≤ 0)", k + 1),
                    Color32::from_rgb(220, 90, 60),
                )
            } else if p.ratio.0 >= CERTIFIED_FRACTION {
                (
                    format!(
                        "seed {}: ✔ global max-margin certified (≥ {:.1} % of the best)",
                        k + 1,
                        100.0 * p.ratio.0
                    ),
                    Color32::from_rgb(60, 170, 90),
                )
            } else {
                (
                    format!(
                        "seed {}: {:.1} % of the best, cert. ratio {c:.3}",
                        k + 1,
                        100.0 * p.ratio.1.min(1.0)
                    ),
                    if c > 1.01 {
                        Color32::from_rgb(220, 90, 60)
                    } else {
                        Color32::from_rgb(220, 170, 50)
                    },
                )
            };
            ui.label(egui::RichText::new(text).small().color(color))
                .on_hover_text(
                    "Certified: the seed's normalized margin times the certified lower bound on \
                     p* is at least 99 % (so its margin is at least 99 % of the best any width \
                     can reach). Otherwise the certificate ratio compares the largest value of \
                     the map of its dual estimate (λ_j ∝ the loss's weight on point j) with its \
                     value at the seed's neurons: 1 at a KKT point of the max-margin problem; \
                     above 1 the map peaks where the seed has no neuron, and a new neuron there \
                     would raise the margin (a non-global point).",
                );
        }
    });
}

/// A seed's dual estimate as the certificate panel shows it.
pub struct ShownEstimate {
    /// The seed (0-based).
    pub seed: usize,
    /// The epoch of the snapshot.
    pub epoch: usize,
    /// The estimate.
    pub estimate: DualEstimate,
    /// The seed's network at that epoch.
    pub network: ReluNetwork,
}

impl ShownEstimate {
    /// The certificate view over `grid` (the map of the scaled estimate, maximum 1), with the
    /// seed's neurons as markers.
    pub fn view<'a>(&'a self, grid: &'a Grid) -> CertificateView<'a> {
        CertificateView {
            output: 0,
            choice: DualChoice::Residual,
            grid,
            c_over_beta: 1.0,
            argmax: self.estimate.argmax,
            near_max: &self.estimate.near_max,
            markers: significant_top(&self.network, 12)
                .into_iter()
                .map(|i| Marker {
                    u: self.network.neurons[i].u,
                    alpha: self.network.neurons[i].alpha,
                    neuron: None,
                })
                .collect(),
        }
    }
}

/// The map over line space (θ ∈ [0, 2π), |t| ≤ `t_max`) of the shown estimate, cached per run,
/// epoch and seed.
pub fn estimate_grid(app: &mut App, e: &ShownEstimate, t_max: f64) -> std::sync::Arc<Grid> {
    let key = (app.run_id(), e.epoch, e.seed);
    if let Some((k, g)) = &app.panel_state.margin.estimate_grid
        && *k == key
    {
        return g.clone();
    }
    let (train, _) = app.split();
    let x = app.session.data.dataset.subset(&train).x;
    let [nx, ny] = crate::formulation::snapshot::LINE_FIELD;
    let g = std::sync::Arc::new(crate::geometry::grid::certificate_grid(
        &x,
        &e.estimate.v,
        1.0,
        nx,
        ny,
        t_max,
    ));
    app.panel_state.margin.estimate_grid = Some((key, g.clone()));
    g
}

/// The seed's dual estimate the certificate panel should show at time `t`, if one is chosen.
pub fn shown_estimate(app: &App, t: usize) -> Option<ShownEstimate> {
    if app.model_kind() != ModelKind::MaxMargin {
        return None;
    }
    let k = app.panel_state.margin.dual_seed?;
    let s = app.history.sgd_snapshot_at(t)?;
    Some(ShownEstimate {
        seed: k,
        epoch: s.epoch,
        estimate: s.dual_estimates.get(k)?.clone(),
        network: s.relu_networks().get(k).map(|n| (*n).clone())?,
    })
}

/// Which dual point the certificate panel shows: the convex solver's margin multipliers, or a
/// seed's dual estimate.
fn dual_picker(app: &mut App, ui: &mut egui::Ui) {
    let seeds = app
        .history
        .sgd_snapshot_at(app.shown_iter())
        .map_or(0, |s| s.dual_estimates.len());
    if seeds == 0 {
        return;
    }
    let mut choice = app.panel_state.margin.dual_seed.filter(|&k| k < seeds);
    let name = |c: Option<usize>| match c {
        None => "margin multipliers λ".to_string(),
        Some(k) => format!("seed {}: dual estimate", k + 1),
    };
    egui::ComboBox::from_label("map of")
        .selected_text(name(choice))
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut choice, None, name(None))
                .on_hover_text("The convex solver's margin multipliers (the certified dual point)");
            for k in 0..seeds {
                ui.selectable_value(&mut choice, Some(k), name(Some(k)))
                    .on_hover_text(
                        "λ_j ∝ the weight the seed's loss puts on point j (σ(−y_jf(x_j)) or \
                         e^(−y_jf(x_j))), scaled so that the map's maximum is 1",
                    );
            }
        });
    app.panel_state.margin.dual_seed = choice;
}

/// The certificate panel's row for the convex multipliers: the picker.
pub fn certificate_row(app: &mut App, _s: &Snapshot, ui: &mut egui::Ui) {
    dual_picker(app, ui);
}

/// The certificate panel's row for a seed's dual estimate: what it is, its ratio, the picker.
pub fn estimate_row(app: &mut App, ui: &mut egui::Ui, e: &ShownEstimate) {
    ui.horizontal_wrapped(|ui| {
        let r = e.estimate.ratio;
        let color = if r <= 1.0 + 1e-3 {
            Color32::from_rgb(60, 170, 90)
        } else if r <= 1.01 {
            Color32::from_rgb(220, 170, 50)
        } else {
            Color32::from_rgb(220, 90, 60)
        };
        ui.label(
            egui::RichText::new(format!(
                "seed {} at epoch {}: map max 1, at its neurons 1/{r:.4}",
                e.seed + 1,
                e.epoch
            ))
            .color(color),
        )
        .on_hover_text(
            "The seed's dual estimate, scaled so that its map's maximum is 1. At a KKT point of \
             the max-margin problem the seed's neurons ◆ sit on the maxima ★ (ratio 1); when the \
             maximum lies away from every neuron, a new neuron there would raise the margin.",
        );
        dual_picker(app, ui);
        if let Some(h) = &app.panel_state.cert_hover {
            ui.label(egui::RichText::new(h).small());
        }
    });
}
