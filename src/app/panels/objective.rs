//! Plot 2, objective vs iteration: the convex solver's upper bound (objective of its network)
//! and certified lower bound, every SGD seed's objective, the certified optimum, the cursor and
//! the β changes. "Gap" switches to log₁₀(value − p*_lower), which is ≥ log₁₀(value − p*).
//! Clicking the plot moves the cursor there.

use eframe::egui;
use egui::Color32;
use egui_plot::{HLine, Legend, Line, LineStyle, Plot, PlotPoints, VLine};

use super::paint;
use super::title_row;
use crate::app::{App, NeuronRef, PlotId};

/// Points per convex-solver curve and per SGD curve: enough for a plot a few hundred pixels wide,
/// and few triangles for the rasterizer (what dominates the frame time with software rendering).
const MAX_POINTS: usize = 400;
const MAX_SGD_POINTS: usize = 160;

fn thin(v: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    thin_to(v, MAX_POINTS)
}

fn thin_to(v: Vec<[f64; 2]>, max: usize) -> Vec<[f64; 2]> {
    if v.len() <= max {
        return v;
    }
    let stride = v.len().div_ceil(max);
    let last = v.len() - 1;
    v.into_iter()
        .enumerate()
        .filter(|(i, _)| i % stride == 0 || *i == last)
        .map(|(_, p)| p)
        .collect()
}

/// What the plot shows: x in seconds or iterations, objective or log gap.
#[derive(Clone, Copy)]
struct Axes {
    x_seconds: bool,
    log_gap: bool,
}

/// The curves and markers of one frame, in plot coordinates.
struct Curves {
    upper: Vec<[f64; 2]>,
    lower: Vec<[f64; 2]>,
    sgd: Vec<Vec<[f64; 2]>>,
    cursor_x: f64,
    optimum: Option<(f64, f64)>,
}

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    title_row(
        app,
        ui,
        PlotId::Objective,
        "Objective vs iteration",
        "Upper bound: the objective of the convex solver's network. Lower bound: the dual \
         objective at a scaled dual point, certified over every region, so p* lies between \
         them. Thin lines: SGD seeds (x = epoch). Dashed: the certified optimum. Click to \
         move the cursor.",
    );
    let axes = options_row(app, ui);
    let curves = curves(app, axes);
    let y_range = (app.panel_state.zoom_objective && !axes.log_gap).then(|| zoom_range(app));
    let hovered_seed = match app.hovered {
        Some(NeuronRef::Sgd(k, _)) => Some(k),
        _ => None,
    };
    let marks = app.history.beta_marks.clone();
    let clicked = plot(ui, axes, curves, y_range, hovered_seed, &marks);
    if let Some(x) = clicked
        && !axes.x_seconds
    {
        let latest = app.history.latest();
        let t = x.round().clamp(0.0, latest as f64) as usize;
        app.pause();
        app.cursor = (t < latest).then_some(t);
    }
}

/// The row above the plot: view switches and the certified optimum.
fn options_row(app: &mut App, ui: &mut egui::Ui) -> Axes {
    let view = app.session.view.clone();
    let mut x_seconds = view.x_seconds;
    let mut log_gap = view.log_gap;
    ui.horizontal(|ui| {
        ui.checkbox(&mut log_gap, "Gap to optimum (log)")
            .on_hover_text("Plot log₁₀(value − certified lower bound of p*)");
        ui.checkbox(&mut x_seconds, "x in seconds");
        ui.checkbox(&mut app.panel_state.zoom_objective, "Zoom")
            .on_hover_text(
                "Keep the y axis on the optimum and the current values (off: pan and zoom freely)",
            );
        if let Some(o) = &app.optimum {
            let b = o.bounds;
            ui.label(format!("p* ∈ [{:.6}, {:.6}]", b.lower, b.upper))
                .on_hover_text(format!(
                    "Certified optimum of the exact program ({} neurons, {}, {:.2} s)",
                    o.network.neurons(),
                    o.status.name(),
                    o.seconds
                ));
        } else if let Some(e) = &app.optimum_error {
            ui.label(format!("optimum: {e}"));
        } else {
            ui.spinner();
            ui.label("certifying the optimum…");
        }
    });
    if x_seconds != view.x_seconds || log_gap != view.log_gap {
        app.session.view.x_seconds = x_seconds;
        app.session.view.log_gap = log_gap;
        app.session_changed = true;
    }
    Axes { x_seconds, log_gap }
}

/// The convex solver's bounds, the SGD seeds' objectives and the cursor, thinned.
fn curves(app: &App, axes: Axes) -> Curves {
    let Axes { x_seconds, log_gap } = axes;
    let p_lo = app.optimum.as_ref().map(|o| o.bounds.lower);
    let tr = |v: f64| -> f64 {
        match (log_gap, p_lo) {
            (true, Some(lo)) => (v - lo).max(1e-16).log10(),
            (true, None) => f64::NAN,
            _ => v,
        }
    };
    // Cumulative seconds of the convex solver.
    let mut secs = Vec::with_capacity(app.history.iterates.len());
    let mut acc = 0.0;
    for it in &app.history.iterates {
        acc += it.seconds;
        secs.push(acc);
    }
    let xs = |k: usize, iter: usize| if x_seconds { secs[k] } else { iter as f64 };
    let its = &app.history.iterates;
    let upper: Vec<[f64; 2]> = its
        .iter()
        .enumerate()
        .filter(|(_, it)| it.upper.is_finite())
        .map(|(k, it)| [xs(k, it.iter), tr(it.upper)])
        .collect();
    let lower: Vec<[f64; 2]> = if log_gap {
        // Certified gap of the iterate itself: upper − lower.
        its.iter()
            .enumerate()
            .filter(|(_, it)| it.lower.is_finite() && it.upper.is_finite())
            .map(|(k, it)| [xs(k, it.iter), (it.upper - it.lower).max(1e-16).log10()])
            .collect()
    } else {
        its.iter()
            .enumerate()
            .filter(|(_, it)| it.lower.is_finite())
            .map(|(k, it)| [xs(k, it.iter), it.lower])
            .collect()
    };
    let seeds = app.history.sgd.first().map_or(0, |p| p.objectives.len());
    let sgd = (0..seeds)
        .map(|k| {
            thin_to(
                app.history
                    .sgd
                    .iter()
                    .filter(|p| p.objectives[k].is_finite())
                    .map(|p| {
                        let x = if x_seconds {
                            p.seconds[k]
                        } else {
                            p.epoch as f64
                        };
                        [x, tr(p.objectives[k])]
                    })
                    .collect(),
                MAX_SGD_POINTS,
            )
        })
        .collect();
    let t = app.shown_iter();
    let cursor_x = if x_seconds {
        its.partition_point(|i| i.iter <= t)
            .checked_sub(1)
            .map_or(0.0, |k| secs[k])
    } else {
        t as f64
    };
    Curves {
        upper: thin(upper),
        lower: thin(lower),
        sgd,
        cursor_x,
        optimum: app
            .optimum
            .as_ref()
            .map(|o| (o.bounds.lower, o.bounds.upper)),
    }
}

/// y range of the zoomed view: from the lowest lower bound (or p*) to twice the distance of the
/// current values above it.
fn zoom_range(app: &App) -> (f64, f64) {
    let t = app.shown_iter();
    let p_lo = app.optimum.as_ref().map(|o| o.bounds.lower);
    let mut cur: Vec<f64> = Vec::new();
    if let Some(it) = app.history.iterate_at(t) {
        cur.push(it.upper);
    }
    if let Some(p) = app.history.sgd_at(t) {
        cur.extend(p.objectives.iter().copied().filter(|v| v.is_finite()));
    }
    let iterate_lower = app
        .history
        .iterate_at(t)
        .map(|i| i.lower)
        .filter(|v| v.is_finite());
    let base = p_lo.or(iterate_lower).unwrap_or(0.0);
    let top = cur.iter().copied().fold(base, f64::max);
    let lo_b = iterate_lower.unwrap_or(base).min(base);
    let span = (top - lo_b).max(1e-3 * base.abs().max(1e-3));
    (lo_b - 0.3 * span, top + 1.0 * span)
}

/// Draws the plot; returns the x coordinate of a click.
fn plot(
    ui: &mut egui::Ui,
    axes: Axes,
    c: Curves,
    y_range: Option<(f64, f64)>,
    hovered_seed: Option<usize>,
    marks: &[(usize, f64)],
) -> Option<f64> {
    let Axes { x_seconds, log_gap } = axes;
    let h = ui.available_height() - 4.0;
    let resp = Plot::new("objective_plot")
        .height(h)
        .legend(Legend::default().position(egui_plot::Corner::RightTop))
        .x_axis_label(if x_seconds {
            "seconds"
        } else {
            "iteration (convex) / epoch (SGD)"
        })
        .y_axis_label(if log_gap {
            "log₁₀ gap"
        } else {
            "objective"
        })
        .allow_double_click_reset(true)
        .show(ui, |pui| {
            if let Some((lo, hi)) = y_range {
                pui.set_plot_bounds_y(lo..=hi);
            }
            for (k, pts) in c.sgd.into_iter().enumerate() {
                let w = if hovered_seed == Some(k) { 3.0 } else { 1.2 };
                pui.line(
                    Line::new(format!("SGD seed {}", k + 1), PlotPoints::new(pts))
                        .color(paint::seed_color(k))
                        .width(w),
                );
            }
            pui.line(
                Line::new("convex: upper bound", PlotPoints::new(c.upper))
                    .color(Color32::from_rgb(220, 60, 60))
                    .width(2.2),
            );
            pui.line(
                Line::new(
                    if log_gap {
                        "convex: certified gap"
                    } else {
                        "convex: certified lower bound"
                    },
                    PlotPoints::new(c.lower),
                )
                .color(Color32::from_rgb(60, 170, 90))
                .width(2.2),
            );
            if !log_gap && let Some((lo, up)) = c.optimum {
                pui.hline(
                    HLine::new("certified optimum", (lo + up) / 2.0)
                        .style(LineStyle::dashed_loose())
                        .color(Color32::GRAY),
                );
            }
            if !x_seconds {
                for (i, (it, b)) in marks.iter().enumerate().skip(1) {
                    pui.vline(
                        VLine::new(format!("β → {b:.3e}"), *it as f64)
                            .color(Color32::from_rgb(150, 120, 200))
                            .style(LineStyle::dotted_dense())
                            .id(("beta", i)),
                    );
                }
            }
            pui.vline(VLine::new("cursor", c.cursor_x).color(Color32::from_rgb(230, 200, 40)));
            pui.pointer_coordinate()
        });
    resp.inner.filter(|_| resp.response.clicked()).map(|p| p.x)
}
