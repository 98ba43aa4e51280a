//! Plot 2, objective vs iteration: the convex solver's upper bound (objective of its network)
//! and certified lower bound, every SGD seed's objective, the certified optimum, the cursor and
//! the β changes. Convex iterations (bottom axis) and SGD epochs (top axis) have their own
//! scales; "Gap" switches to a log axis of value − p*_lower, which is ≥ value − p*. The legend
//! sits above the plot, where it hides no data. Clicking the plot moves the cursor there.

use eframe::egui;
use egui::Color32;
use egui_plot::{AxisHints, HLine, Line, LineStyle, Plot, PlotPoints, VLine, VPlacement};

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
#[derive(Clone, Copy, PartialEq)]
struct Axes {
    x_seconds: bool,
    log_gap: bool,
}

/// The curves and markers of one frame, in plot coordinates.
struct Curves {
    upper: Vec<[f64; 2]>,
    lower: Vec<[f64; 2]>,
    sgd: Vec<Vec<[f64; 2]>>,
    /// Convex solver's cursor.
    cursor_x: Option<f64>,
    /// SGD's cursor (its own scale in iteration mode).
    sgd_cursor_x: Option<f64>,
    optimum: Option<(f64, f64)>,
    /// The optimum of the program the shown one relaxes (name, value in plot units).
    relaxes: Option<(&'static str, f64)>,
    /// Plot x per SGD epoch in iteration mode (the top axis reads epochs = x / scale).
    epoch_scale: f64,
}

use super::paint::{CURSOR, LOWER, RELAXES, UPPER};

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    if app.session.view.loss_curves {
        title_row(
            app,
            ui,
            PlotId::Objective,
            "Train/test loss vs iteration",
            "The loss per point of the solver's network (thick) and of each SGD seed (thin) on \
             the training points (solid) and on the held-out test points (dashed), over the \
             iterations; no regularizer. Click to move the cursor.",
        );
    } else {
        title_row(
            app,
            ui,
            PlotId::Objective,
            "Objective vs iteration",
            "Upper bound: the objective of the convex solver's network. Lower bound: the dual \
         objective at a scaled dual point, certified over every region, so p* lies between \
         them. Thin lines: SGD seeds. In iteration mode the bottom axis counts convex solver \
         iterations and the top axis SGD epochs, each on its own scale. Dashed: the certified \
         optimum. Click to move the cursor.",
        );
    }
    let axes = options_row(app, ui);
    if app.session.view.loss_curves {
        let (clicked, transform) = super::losses::show(app, ui);
        app.panel_state.fit.record(PlotId::Objective, &transform);
        move_cursor(app, clicked);
        return;
    }
    let curves = curves(app, axes);
    // The working-set solver's rounds that priced regions in: (iteration, regions joined).
    let priced: Vec<(usize, usize)> = app
        .history
        .snapshots
        .iter()
        .filter_map(|s| {
            let ws = s.relu()?.working_set.as_ref()?;
            (ws.added > 0).then_some((s.iter, ws.added))
        })
        .collect();
    let names = (super::model_panels(app.model_kind()).legend)(app);
    legend_row(ui, &curves, app.hovered, names, !priced.is_empty());
    let y_range = (app.panel_state.zoom_objective && !axes.log_gap).then(|| zoom_range(app));
    let hovered_seed = match app.hovered {
        Some(NeuronRef::Sgd(k, _)) => Some(k),
        _ => None,
    };
    let marks = app.history.beta_marks.clone();
    // A change of view re-ranges the plot (the old range is meaningless in the new units).
    let rerange = app.panel_state.objective_axes != Some((axes.x_seconds, axes.log_gap));
    app.panel_state.objective_axes = Some((axes.x_seconds, axes.log_gap));
    let view = PlotView {
        axes,
        y_range,
        rerange,
        hovered_seed,
    };
    let (clicked, transform) = plot(ui, &view, curves, &marks, &priced);
    app.panel_state.fit.record(PlotId::Objective, &transform);
    move_cursor(app, clicked.filter(|_| !axes.x_seconds));
}

/// A click at iteration `x` pauses and moves the cursor there.
fn move_cursor(app: &mut App, clicked: Option<f64>) {
    if let Some(x) = clicked {
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
    let mut loss_curves = view.loss_curves;
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut loss_curves, "Train/test loss")
            .on_hover_text(
                "Instead of the objective: the loss per point on the training and on the test \
             points over the iterations (no regularizer), for the solver's network and each SGD \
             seed",
            );
        ui.add_enabled_ui(!loss_curves, |ui| {
            ui.checkbox(&mut log_gap, "Gap to optimum (log)")
                .on_hover_text("Plot value − certified lower bound of p*, on a log₁₀ axis");
            ui.checkbox(&mut x_seconds, "x in seconds");
            ui.checkbox(&mut app.panel_state.zoom_objective, "Zoom")
                .on_hover_text(
                    "Keep the y axis on the optimum and the current values (off: pan and zoom \
                     freely)",
                );
        });
        if let Some(o) = app.optimum.as_ref().filter(|o| !o.certified) {
            ui.label(
                egui::RichText::new(format!(
                    "restricted program: {:.6} (not certified)",
                    o.bounds.upper
                ))
                .color(Color32::from_rgb(220, 170, 50)),
            )
            .on_hover_text(
                "The objective of a real network from a program restricted to candidate \
                 patterns: an upper bound on the optimum that nothing certifies (no p* interval, \
                 no gaps against it)",
            );
        }
        if app.optimum.as_ref().is_some_and(|o| !o.certified) {
            // Shown above; a gap to an uncertified value would mean nothing.
        } else if let Some(o) = app.certified_optimum() {
            let b = o.bounds;
            // One piece: the interval moves to the next row whole rather than breaking.
            ui.add(egui::Label::new(format!("p* ∈ [{:.6}, {:.6}]", b.lower, b.upper)).extend())
                .on_hover_text(format!(
                    "Certified optimum of the exact program ({} neurons, {}, {:.2} s)",
                    o.network.neurons(),
                    o.status.name(),
                    o.seconds
                ));
            if let Some((name, r)) = o.relaxes {
                ui.label(
                    egui::RichText::new(format!("{name} ∈ [{:.6}, {:.6}]", r.lower, r.upper))
                        .color(RELAXES),
                )
                .on_hover_text(
                    "Certified optimum of the program this one relaxes: the gap between the two \
                     lines is what dropping the constraints gains on the training points",
                );
            }
        } else if let Some(e) = &app.optimum_error {
            ui.label(format!("optimum: {e}"));
        } else {
            ui.spinner();
            ui.label("certifying the optimum…");
        }
    });
    if x_seconds != view.x_seconds || log_gap != view.log_gap || loss_curves != view.loss_curves {
        app.session.view.x_seconds = x_seconds;
        app.session.view.log_gap = log_gap;
        app.session.view.loss_curves = loss_curves;
        app.session_changed = true;
    }
    // Without a certified p* there is no gap to plot: the objective scale instead.
    let log_gap = log_gap && app.optimum.as_ref().is_none_or(|o| o.certified);
    Axes { x_seconds, log_gap }
}

/// The x axes of a plot over iterations: the convex solver's iterations at the bottom and, with
/// SGD curves, their epochs at the top (`scale` plot x per epoch).
pub(super) fn iteration_axes(plot: Plot<'_>, sgd: bool, scale: f64) -> Plot<'_> {
    if !sgd {
        return plot.x_axis_label("convex solver iteration");
    }
    // Tick labels are short numbers: shown from 36 px apart (egui_plot's default of 60 px left a
    // run of 8 iterations with no label but "0").
    plot.custom_x_axes(vec![
        AxisHints::new_x()
            .label("convex solver iteration")
            .label_spacing(36.0..=50.0),
        AxisHints::new_x()
            .label("SGD epoch")
            .label_spacing(36.0..=50.0)
            .placement(VPlacement::Top)
            .formatter(move |m, _| format!("{:.0}", m.value / scale)),
    ])
}

/// Plot x per SGD epoch that makes the SGD curves span the convex solver's iterations: each
/// gets its own scale (bottom axis iterations, top axis epochs). 1 when either is missing.
pub fn epoch_scale(last_iteration: usize, last_epoch: usize) -> f64 {
    if last_iteration == 0 || last_epoch == 0 {
        1.0
    } else {
        last_iteration as f64 / last_epoch as f64
    }
}

/// The convex solver's bounds, the SGD seeds' objectives and the cursors, thinned.
fn curves(app: &App, axes: Axes) -> Curves {
    let Axes { x_seconds, log_gap } = axes;
    let p_lo = app.certified_optimum().map(|o| o.bounds.lower);
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
    let last_iter = its.last().map_or(0, |i| i.iter);
    let last_epoch = app.history.sgd.last().map_or(0, |p| p.epoch);
    let scale = if x_seconds {
        1.0
    } else {
        epoch_scale(last_iter, last_epoch)
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
                            p.epoch as f64 * scale
                        };
                        [x, tr(p.objectives[k])]
                    })
                    .collect(),
                MAX_SGD_POINTS,
            )
        })
        .collect();
    let t = app.shown_iter();
    let cursor_x = app
        .history
        .iterate_at(t)
        .map(|it| {
            if x_seconds {
                its.partition_point(|i| i.iter <= it.iter)
                    .checked_sub(1)
                    .map_or(0.0, |k| secs[k])
            } else {
                it.iter as f64
            }
        })
        .or((its.is_empty() && !x_seconds).then_some(t as f64));
    let sgd_cursor_x = app.history.sgd_at(t).map(|p| {
        if x_seconds {
            p.seconds.iter().copied().fold(0.0, f64::max)
        } else {
            p.epoch as f64 * scale
        }
    });
    Curves {
        upper: thin(upper),
        lower: thin(lower),
        sgd,
        cursor_x,
        sgd_cursor_x,
        optimum: app
            .certified_optimum()
            .map(|o| (o.bounds.lower, o.bounds.upper)),
        relaxes: app.optimum.as_ref().and_then(|o| {
            let (name, b) = o.relaxes?;
            Some((name, tr(0.5 * (b.lower + b.upper))))
        }),
        epoch_scale: scale,
    }
}

/// The names of the legend's entries (a model may say what its bounds and seeds are).
#[derive(Debug, Clone, Copy)]
pub struct LegendNames {
    /// The solver's upper bound.
    pub upper: &'static str,
    /// Its certified lower bound.
    pub lower: &'static str,
    /// The certified optimum line.
    pub optimum: &'static str,
    /// The heading of the SGD seeds.
    pub sgd: &'static str,
}

impl LegendNames {
    /// The convex program's names.
    pub const CONVEX: LegendNames = LegendNames {
        upper: "convex: upper bound",
        lower: "convex: certified lower bound (gap in log view)",
        optimum: "p* (certified)",
        sgd: "SGD:",
    };
}

/// The legend, above the plot so it hides no data: the convex solver's curves, the optimum,
/// and the SGD seeds in natural order.
fn legend_row(
    ui: &mut egui::Ui,
    c: &Curves,
    hovered: Option<NeuronRef>,
    names: LegendNames,
    priced: bool,
) {
    // Entries never wrap inside themselves: a whole entry moves to the next row.
    let entry = |ui: &mut egui::Ui, text: egui::RichText| {
        ui.add(egui::Label::new(text).extend());
    };
    // Swatch and name in one label, so an entry wraps as a whole.
    let swatch = |ui: &mut egui::Ui, color: Color32, name: &str| {
        let small = egui::TextStyle::Small.resolve(ui.style());
        let mut job = egui::text::LayoutJob::default();
        job.append("━ ", 0.0, egui::TextFormat::simple(small.clone(), color));
        job.append(
            name,
            0.0,
            egui::TextFormat::simple(small, ui.visuals().text_color()),
        );
        ui.add(egui::Label::new(job).extend());
    };
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 3.0;
        swatch(ui, UPPER, names.upper);
        swatch(ui, LOWER, names.lower);
        if c.optimum.is_some() {
            swatch(ui, Color32::GRAY, names.optimum);
        }
        if let Some((name, _)) = c.relaxes {
            swatch(ui, RELAXES, name);
        }
        swatch(ui, CURSOR, "cursor");
        if priced {
            swatch(ui, paint::PRICED, "round that priced regions in (dotted)");
        }
        if !c.sgd.is_empty() {
            entry(ui, egui::RichText::new(names.sgd).small());
            for k in 0..c.sgd.len() {
                let hl = matches!(hovered, Some(NeuronRef::Sgd(s, _)) if s == k);
                let text = egui::RichText::new(format!("SGD seed {}", k + 1))
                    .small()
                    .color(paint::seed_color(k));
                entry(ui, if hl { text.strong() } else { text });
            }
        }
    });
}

/// y range of the zoomed view: from the lowest lower bound (or p*) to twice the distance of the
/// current values above it.
fn zoom_range(app: &App) -> (f64, f64) {
    let t = app.shown_iter();
    let p_lo = app.certified_optimum().map(|o| o.bounds.lower);
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

/// `10^k` with a superscript exponent: the tick label of a log₁₀ axis.
pub fn power_of_ten(k: f64) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let k = k.round() as i64;
    let mut s = String::from("10");
    if k < 0 {
        s.push('⁻');
    }
    for d in k.unsigned_abs().to_string().bytes() {
        s.push(SUP[(d - b'0') as usize]);
    }
    s
}

/// Grid marks at whole powers of ten (every `step`-th so that about eight are labelled).
pub(super) fn decades(input: egui_plot::GridInput) -> Vec<egui_plot::GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    let step = ((hi - lo) / 8.0).ceil().max(1.0);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|k| egui_plot::GridMark {
            value: k as f64 * step,
            step_size: step,
        })
        .collect()
}

/// How the plot is drawn this frame.
struct PlotView {
    axes: Axes,
    y_range: Option<(f64, f64)>,
    rerange: bool,
    hovered_seed: Option<usize>,
}

/// Draws the plot; returns the x coordinate of a click and the plot's transform.
fn plot(
    ui: &mut egui::Ui,
    view: &PlotView,
    c: Curves,
    marks: &[(usize, f64)],
    priced: &[(usize, usize)],
) -> (Option<f64>, egui_plot::PlotTransform) {
    let Axes { x_seconds, log_gap } = view.axes;
    let h = ui.available_height() - 4.0;
    let scale = c.epoch_scale;
    let mut plot = Plot::new("objective_plot")
        .height(h)
        .y_axis_label(if log_gap {
            "gap to p* (log scale)"
        } else {
            "objective"
        })
        .allow_double_click_reset(true);
    plot = if x_seconds {
        plot.x_axis_label("seconds (convex solver and each SGD seed)")
    } else {
        iteration_axes(plot, !c.sgd.is_empty(), scale)
    };
    if log_gap {
        plot = plot
            .y_grid_spacer(decades)
            .y_axis_formatter(|m, _| power_of_ten(m.value));
    }
    let resp = plot.show(ui, |pui| {
        if view.rerange {
            pui.set_auto_bounds(true);
        }
        if let Some((lo, hi)) = view.y_range {
            pui.set_plot_bounds_y(lo..=hi);
        }
        for (k, pts) in c.sgd.into_iter().enumerate() {
            let w = if view.hovered_seed == Some(k) {
                3.0
            } else {
                1.2
            };
            pui.line(
                Line::new(format!("SGD seed {}", k + 1), PlotPoints::new(pts))
                    .color(paint::seed_color(k))
                    .width(w),
            );
        }
        pui.line(
            Line::new("convex: upper bound", PlotPoints::new(c.upper))
                .color(UPPER)
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
            .color(LOWER)
            .width(2.2),
        );
        if !log_gap && let Some((lo, up)) = c.optimum {
            pui.hline(
                HLine::new("certified optimum", (lo + up) / 2.0)
                    .style(LineStyle::dashed_loose())
                    .color(Color32::GRAY),
            );
        }
        if let Some((name, y)) = c.relaxes
            && y.is_finite()
        {
            pui.hline(
                HLine::new(name, y)
                    .style(LineStyle::dashed_loose())
                    .color(RELAXES),
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
        if !x_seconds {
            // Regions entering the working set: the events of column generation.
            for (it, added) in priced {
                pui.vline(
                    VLine::new(format!("round {it}: {added} regions priced in"), *it as f64)
                        .color(paint::PRICED.gamma_multiply(0.6))
                        .style(LineStyle::dotted_loose())
                        .id(("priced", *it)),
                );
            }
        }
        if let Some(x) = c.cursor_x {
            pui.vline(VLine::new("cursor", x).color(CURSOR));
        }
        if let Some(x) = c.sgd_cursor_x
            && Some(x) != c.cursor_x
        {
            pui.vline(
                VLine::new("SGD cursor", x)
                    .color(CURSOR)
                    .style(LineStyle::dashed_dense()),
            );
        }
        pui.pointer_coordinate()
    });
    let clicked = resp.inner.filter(|_| resp.response.clicked()).map(|p| p.x);
    (clicked, resp.transform)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_read_as_powers_of_ten() {
        assert_eq!(power_of_ten(-9.0), "10⁻⁹");
        assert_eq!(power_of_ten(0.0), "10⁰");
        assert_eq!(power_of_ten(12.0), "10¹²");
        let marks = decades(egui_plot::GridInput {
            bounds: (-9.3, 1.2),
            base_step_size: 0.01,
        });
        let v: Vec<f64> = marks.iter().map(|m| m.value).collect();
        assert_eq!(v, vec![-8.0, -6.0, -4.0, -2.0, 0.0]);
        assert!(marks.iter().all(|m| m.value.fract() == 0.0));
    }

    #[test]
    fn sgd_epochs_get_their_own_scale() {
        // The convex solver stopped at iteration 157, SGD went on to epoch 506: the SGD curve
        // spans the same width, and the top axis reads epochs.
        let s = epoch_scale(157, 506);
        assert!((506.0 * s - 157.0).abs() < 1e-9);
        assert_eq!(epoch_scale(0, 10), 1.0);
        assert_eq!(epoch_scale(10, 0), 1.0);
    }
}
