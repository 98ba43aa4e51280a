//! The objective plot's second view, as playground-style explorers show it: the training and the
//! test loss over the iterations, of the convex solver's network and of every SGD seed. Both are
//! losses per point (the summed loss over the set divided by its size), so a training and a test
//! curve read on one scale; the regularizer is left out, which is what tells this view from the
//! objective (docs/math.md#losses). The points are the stored snapshots (one every few
//! iterations), SGD epochs scaled to the convex iterations as in the objective view.

use eframe::egui;
use egui::Color32;
use egui_plot::{Line, LineStyle, Plot, PlotPoints, VLine};

use super::objective::{decades, epoch_scale, iteration_axes, power_of_ten};
use super::paint::{self, CURSOR, UPPER};
use crate::app::{App, NeuronRef};
use crate::formulation::Metrics;

/// A curve: `[x, log₁₀ loss per point]`.
pub type Curve = Vec<[f64; 2]>;

/// Train and test curves.
#[derive(Debug, Default)]
pub struct LossCurves {
    /// The convex solver's network on the training points (y: log₁₀ of the loss per point).
    pub convex_train: Curve,
    /// … and on the test points.
    pub convex_test: Curve,
    /// Per SGD seed: train, test.
    pub sgd: Vec<(Curve, Curve)>,
    /// Plot x per SGD epoch.
    pub epoch_scale: f64,
    /// The cursor's x.
    pub cursor_x: Option<f64>,
}

/// Losses below this are drawn at it (a hinge loss reaches 0; the axis is logarithmic).
const FLOOR: f64 = 1e-8;

/// Loss per point of some metrics over `count` points (none when there are no points or the
/// loss is not finite).
fn per_point(m: Option<Metrics>, count: usize) -> Option<f64> {
    let m = m?;
    (count > 0 && m.loss.is_finite()).then(|| m.loss / count as f64)
}

/// The plotted y of a loss per point: log₁₀, floored at [`FLOOR`].
fn log_y(v: f64) -> f64 {
    v.max(FLOOR).log10()
}

/// The curves from the stored snapshots.
pub fn curves(app: &App) -> LossCurves {
    let (train, test) = app.split();
    let (n_train, n_test) = (train.len(), test.len());
    let snaps = &app.history.snapshots;
    let point = |x: f64, v: Option<f64>| v.map(|v| [x, log_y(v)]);
    let convex_train = snaps
        .iter()
        .filter_map(|s| point(s.iter as f64, per_point(s.train, n_train)))
        .collect();
    let convex_test = snaps
        .iter()
        .filter_map(|s| point(s.iter as f64, per_point(s.test, n_test)))
        .collect();
    let last_iter = app.history.iterates.last().map_or(0, |i| i.iter);
    let last_epoch = app.history.sgd.last().map_or(0, |p| p.epoch);
    let scale = epoch_scale(last_iter, last_epoch);
    let sgd_snaps = &app.history.sgd_snapshots;
    let seeds = sgd_snaps.last().map_or(0, |s| s.train.len());
    let sgd = (0..seeds)
        .map(|k| {
            let series = |pick: &dyn Fn(&crate::formulation::SgdSnapshot) -> Option<f64>| {
                sgd_snaps
                    .iter()
                    .filter_map(|s| point(s.epoch as f64 * scale, pick(s)))
                    .collect::<Vec<_>>()
            };
            (
                series(&|s| per_point(s.train.get(k).copied().flatten(), n_train)),
                series(&|s| per_point(s.test.get(k).copied().flatten(), n_test)),
            )
        })
        .collect();
    let t = app.shown_iter();
    let cursor_x = app.history.iterate_at(t).map(|it| it.iter as f64).or(app
        .history
        .iterates
        .is_empty()
        .then_some(t as f64));
    LossCurves {
        convex_train,
        convex_test,
        sgd,
        epoch_scale: scale,
        cursor_x,
    }
}

/// The legend row and the plot; returns the plot x of a click (to move the cursor) and the
/// plot's transform.
pub fn show(app: &mut App, ui: &mut egui::Ui) -> (Option<f64>, egui_plot::PlotTransform) {
    let c = curves(app);
    let has_test = !app.split().1.is_empty();
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new("━ train   ┅ test (loss per point):").small());
        ui.label(
            egui::RichText::new("convex solver's network")
                .color(UPPER)
                .small(),
        );
        for k in 0..c.sgd.len() {
            ui.label(
                egui::RichText::new(format!("SGD seed {}", k + 1))
                    .color(paint::seed_color(k))
                    .small(),
            );
        }
        if !has_test {
            ui.label(
                egui::RichText::new(
                    "no test points: set a test fraction under Dataset to see test curves",
                )
                .small()
                .weak(),
            );
        }
    });
    let hovered_seed = match app.hovered {
        Some(NeuronRef::Sgd(k, _)) => Some(k),
        _ => None,
    };
    let h = ui.available_height() - 4.0;
    let plot = Plot::new("loss_plot")
        .height(h)
        .y_axis_label("loss per point (log scale)")
        .y_grid_spacer(decades)
        .y_axis_formatter(|m, _| power_of_ten(m.value))
        .allow_double_click_reset(true);
    let plot = iteration_axes(plot, !c.sgd.is_empty(), c.epoch_scale);
    let resp = plot.show(ui, |pui| {
        for (k, (train, test)) in c.sgd.into_iter().enumerate() {
            let w = if hovered_seed == Some(k) { 3.0 } else { 1.2 };
            let color = paint::seed_color(k);
            pui.line(
                Line::new(format!("SGD seed {}: train", k + 1), PlotPoints::new(train))
                    .color(color)
                    .width(w),
            );
            pui.line(
                Line::new(format!("SGD seed {}: test", k + 1), PlotPoints::new(test))
                    .color(color)
                    .width(w)
                    .style(LineStyle::dashed_dense()),
            );
        }
        pui.line(
            Line::new("convex: train", PlotPoints::new(c.convex_train))
                .color(UPPER)
                .width(2.2),
        );
        pui.line(
            Line::new("convex: test", PlotPoints::new(c.convex_test))
                .color(UPPER)
                .width(2.2)
                .style(LineStyle::dashed_dense()),
        );
        if let Some(x) = c.cursor_x {
            pui.vline(VLine::new("cursor", x).color(CURSOR));
        }
        pui.pointer_coordinate()
    });
    let clicked = resp.inner.filter(|_| resp.response.clicked()).map(|p| p.x);
    // An empty plot says why.
    if app.history.snapshots.is_empty() && app.history.sgd_snapshots.is_empty() {
        ui.painter().text(
            resp.response.rect.center(),
            egui::Align2::CENTER_CENTER,
            "no iterate yet: press Play or Step",
            egui::FontId::proportional(14.0),
            Color32::GRAY,
        );
    }
    (clicked, resp.transform)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_per_point_divides_by_the_set_size_and_skips_empty_sets() {
        let m = |loss| {
            Some(Metrics {
                loss,
                accuracy: f64::NAN,
            })
        };
        assert_eq!(per_point(m(6.0), 4), Some(1.5));
        assert_eq!(per_point(m(6.0), 0), None);
        assert_eq!(per_point(m(f64::INFINITY), 4), None);
        assert_eq!(per_point(None, 4), None);
        assert_eq!(log_y(100.0), 2.0);
        assert_eq!(log_y(0.0), FLOOR.log10());
    }
}
