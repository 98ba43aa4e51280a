//! Plot 1, the decision boundary: the network's output at the cursor as a heatmap over the
//! plane, its zero level set, the data on top (train filled, test hollow). The plot is also the
//! drawing canvas: left click adds a +1 point (regression: a point with the slider's target),
//! right click or Shift+click a −1 point, drag moves a point, Ctrl+click deletes one.

use eframe::egui;
use egui::{Color32, PointerButton, Stroke};
use egui_plot::{MarkerShape, Plot, PlotPoint, Points};

use super::paint::{self, NEG, POS};
use super::{data_box, data_extent, fit_title_row};
use crate::app::{App, PlotId, Restart};
use crate::data::{Dataset, TargetKind};

/// Colour of a target.
pub fn target_color(kind: TargetKind, y: f64, ymax: f64, dark: bool) -> Color32 {
    match kind {
        TargetKind::Binary => {
            if y > 0.0 {
                POS
            } else {
                NEG
            }
        }
        TargetKind::MultiClass(_) => paint::seed_color(y as usize),
        TargetKind::Regression => {
            let c = paint::diverging(y / ymax.max(1e-12), dark);
            paint::lerp(c, if y >= 0.0 { POS } else { NEG }, 0.5)
        }
    }
}

/// The data as small dots coloured by target, one plot item per colour (a plot item per point
/// costs a frame hundreds of items): for the plots that show the data beside something else.
pub fn data_dots(pui: &mut egui_plot::PlotUi, ds: &Dataset, dark: bool) {
    let ymax = ds.y.iter().fold(0.0f64, |m, y| m.max(y.abs()));
    let mut groups: std::collections::BTreeMap<[u8; 4], Vec<[f64; 2]>> = Default::default();
    for (p, &y) in ds.x.iter().zip(&ds.y) {
        groups
            .entry(target_color(ds.kind, y, ymax, dark).to_array())
            .or_default()
            .push(*p);
    }
    for (c, pts) in groups {
        pui.points(
            Points::new("data", pts)
                .radius(3.5)
                .color(Color32::from_rgba_premultiplied(c[0], c[1], c[2], c[3])),
        );
    }
}

/// The colour of the network's output `v` at a point of the plane: the predicted class with
/// several outputs; else orange → blue through the background (`scale` = the largest |output|),
/// or, discretized, the full class colour of the output's sign (the background where it is 0).
pub fn output_color(v: f64, scale: f64, classes: usize, discretize: bool, dark: bool) -> Color32 {
    if classes > 1 {
        let bg = if dark {
            Color32::from_gray(30)
        } else {
            Color32::from_gray(245)
        };
        return paint::lerp(paint::seed_color(v.round() as usize), bg, 0.65);
    }
    if discretize {
        return paint::diverging(0.7 * v.signum() * f64::from(u8::from(v != 0.0)), dark);
    }
    paint::diverging((v / scale).tanh() * 1.6, dark)
}

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    fit_title_row(
        app,
        ui,
        PlotId::Boundary,
        "Decision boundary",
        "Network output f(x) at the cursor's iteration (blue > 0, orange < 0) with its zero level \
         set. Left click: add +1 (regression: the slider's target) · right/Shift click: add −1 · \
         drag: move · Ctrl+click: delete.",
    );
    let dark = app.session.view.dark;
    let t = app.shown_iter();
    // After an edit, the earlier network until the new run has one beyond the zero network.
    let stale = app.stale_picture().cloned();
    let snap = stale
        .clone()
        .or_else(|| app.history.snapshot_at(t).cloned());
    let ds = app.session.data.dataset.clone();
    let extent = data_extent(&ds);
    let (_, test) = app.split();
    let mut is_test = vec![false; ds.len()];
    for &i in &test {
        is_test[i] = true;
    }
    let ymax = ds.y.iter().fold(0.0f64, |m, y| m.max(y.abs()));
    // The training points, in the solver's order (the robust worst cases are per training point).
    let train_points: Vec<[f64; 2]> = (0..ds.len())
        .filter(|&i| !is_test[i])
        .map(|i| ds.x[i])
        .collect();
    // Several outputs: the field is the predicted class.
    let classes = snap.as_ref().map_or(1, |s| s.classes);
    let discretize = app.session.view.discretize;
    // A neuron picked in the neuron table: its own output α(uᵀx̃)₊ instead of the network's.
    let focus = app.panel_state.focus_neuron.and_then(|(src, i)| {
        let (net, key) = super::neurons::network(app, src, t)?;
        Some((src, i, *net.neurons.get(i)?, key))
    });
    let focus_tex = focus.as_ref().map(|(src, i, nr, net_key)| {
        let (nx, ny) = snap
            .as_ref()
            .map_or((160, 160), |s| (s.output.nx, s.output.ny));

        let key = paint::key(&[
            app.run_id(),
            src.key(),
            *net_key,
            *i as u64,
            dark as u64,
            discretize as u64,
            6,
        ]);
        app.panel_state.textures.get(ui.ctx(), "focus", key, || {
            let g = crate::geometry::grid::Grid::sample(nx, ny, extent, |x, y| nr.output([x, y]));
            let scale = g.max_abs().max(1e-9);
            paint::grid_image(&g, |v| output_color(v, scale, 1, discretize, dark))
        })
    });
    let tex = snap.as_ref().filter(|_| focus.is_none()).map(|s| {
        let scale = s.output.max_abs().max(1e-9);
        let key = paint::key(&[
            app.run_id(),
            s.iter as u64,
            dark as u64,
            1,
            discretize as u64,
        ]);
        app.panel_state.textures.get(ui.ctx(), "boundary", key, || {
            paint::grid_image(&s.output, |v| {
                output_color(v, scale, classes, discretize, dark)
            })
        })
    });
    // The playground toggles: the output by its sign only, the test points on or off.
    ui.horizontal(|ui| {
        let v = &mut app.session.view;
        let before = (v.discretize, v.hide_test);
        ui.checkbox(&mut v.discretize, "Discretize output")
            .on_hover_text("Colour the plane by the class the network assigns (the sign of f)");
        if !test.is_empty() {
            let mut show = !v.hide_test;
            ui.checkbox(&mut show, "Show test data")
                .on_hover_text("The held-out points (hollow circles): not used for training");
            v.hide_test = !show;
        }
        if (v.discretize, v.hide_test) != before {
            app.session_changed = true;
        }
    });
    if let Some(s) = &stale {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                egui::RichText::new(format!(
                    "The network of iteration {} from before the edit, over the edited data: \
                     Play or Step solves the new problem.",
                    s.iter
                ))
                .small()
                .color(ui.visuals().warn_fg_color),
            );
        });
    }
    if let Some((src, i, nr, _)) = &focus {
        let whose = match src {
            super::neurons::Source::Sgd(_) => src.name(),
            _ => format!("the {}", src.name()),
        };
        ui.horizontal(|ui| {
            if ui
                .button("Whole network")
                .on_hover_text("Show the network's output again")
                .clicked()
            {
                app.panel_state.focus_neuron = None;
            }
            ui.add(
                egui::Label::new(
                    egui::RichText::new(format!(
                        "Neuron {} alone, α·(uᵀx̃)₊ with α = {:+.3} ({whose})",
                        i + 1,
                        nr.alpha
                    ))
                    .color(paint::highlight_text(dark)),
                )
                .truncate(),
            )
            .on_hover_text(
                "This neuron's output by itself: zero on the far side of the yellow line \
                 (where uᵀx̃ ≤ 0), growing linearly on the other. The network's output is the \
                 sum of all of them.",
            );
        });
    } else if app.panel_state.focus_neuron.is_some() {
        // The picked neuron does not exist at this iteration (or in this network).
        app.panel_state.focus_neuron = None;
    }
    let show_test = !app.session.view.hide_test;
    let outline = if dark { Color32::WHITE } else { Color32::BLACK };
    // What the model adds (a legend row, items in the plot, level sets over it).
    let model = super::model_panels(app.model_kind());
    if let Some(s) = &snap {
        (model.boundary_legend)(s, outline, ui);
    }
    let h = ui.available_height() - 4.0;
    let fit = &mut app.panel_state.fit;
    // Clicks and drags edit the data, so the view pans with the middle button or the scroll
    // wheel and zooms with Ctrl+scroll; it fits itself to the data whenever they change.
    let resp = Plot::new("boundary_plot")
        .data_aspect(1.0)
        .height(h)
        .allow_drag(true)
        .pan_pointer_button(egui::PointerButton::Middle)
        .allow_zoom(true)
        .allow_scroll(true)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .default_x_bounds(extent[0], extent[1])
        .default_y_bounds(extent[2], extent[3])
        .show(ui, |pui| {
            fit.keep(pui, PlotId::Boundary, "boundary", extent, data_box(&ds));
            if let Some(tex) = tex {
                pui.image(paint::plot_image("output", tex, extent));
            }
            if let Some(tex) = focus_tex {
                pui.image(paint::plot_image("neuron output", tex, extent));
            }
            if let Some(s) = &snap {
                (model.boundary_items)(s, &train_points, outline, pui);
            }
            // One item per (colour, train/test) group keeps the plot cheap at hundreds of points.
            let mut groups: std::collections::BTreeMap<([u8; 4], bool), Vec<[f64; 2]>> =
                Default::default();
            for (k, (p, y)) in ds.x.iter().zip(&ds.y).enumerate() {
                if is_test[k] && !show_test {
                    continue;
                }
                let c = target_color(ds.kind, *y, ymax, dark);
                groups
                    .entry((c.to_array(), is_test[k]))
                    .or_default()
                    .push(*p);
            }
            for ((c, test), pts) in groups {
                let c = Color32::from_rgba_premultiplied(c[0], c[1], c[2], c[3]);
                if test {
                    pui.points(
                        Points::new("test", pts)
                            .color(c)
                            .filled(false)
                            .radius(4.5)
                            .shape(MarkerShape::Circle)
                            .allow_hover(false),
                    );
                } else {
                    pui.points(
                        Points::new("", pts.clone())
                            .radius(5.5)
                            .color(outline)
                            .allow_hover(false),
                    );
                    pui.points(
                        Points::new("train", pts)
                            .color(c)
                            .filled(true)
                            .radius(4.5)
                            .allow_hover(false),
                    );
                }
            }
            pui.pointer_coordinate()
        });
    app.panel_state
        .fit
        .record(PlotId::Boundary, &resp.transform);
    let neuron_line = |u: &[f64; 3]| {
        if let Some(seg) = paint::clip_line(u, extent) {
            paint::paint_segments(
                ui,
                &resp.transform,
                &[seg],
                Stroke::new(3.0, Color32::YELLOW),
            );
        }
    };
    if let Some((_, _, nr, _)) = &focus {
        neuron_line(&nr.u);
    }
    if let Some(s) = snap.as_ref().filter(|_| focus.is_none()) {
        let levels: Vec<f64> = if classes > 1 {
            (0..classes - 1).map(|k| k as f64 + 0.5).collect()
        } else {
            vec![0.0]
        };
        for level in levels {
            let segs = s.output.contour(level);
            paint::paint_segments(ui, &resp.transform, &segs, Stroke::new(2.0, outline));
        }
        (model.boundary_paint)(s, ui, &resp.transform);
        // Polynomial model: the neuron selected in the decomposition panel, where σ(x̃ᵀu) = 0.
        if let (Some(p), Some(nr)) = (s.poly(), app.panel_state.poly.selected) {
            let act = p.networks[0].activation;
            let segs: Vec<[[f64; 2]; 2]> = super::poly::zero_lines(act, nr.u)
                .iter()
                .filter_map(|l| paint::clip_line(l, extent))
                .collect();
            paint::paint_segments(
                ui,
                &resp.transform,
                &segs,
                Stroke::new(2.5, Color32::YELLOW),
            );
        }
        // The hovered neuron (from any plot) as its line.
        if let Some(crate::app::NeuronRef::Convex(i)) = app.hovered
            && let Some(nr) = s.relu().and_then(|r| r.network.neurons.get(i))
        {
            neuron_line(&nr.u);
        }
    }
    super::formula::paint_on_plane(
        app,
        ui,
        &resp.transform,
        snap.as_deref().and_then(|s| s.relu()).map(|r| &r.network),
        extent,
    );
    edit(app, ui, &resp.response, &resp.transform, resp.inner, &ds);
}

fn nearest(ds: &Dataset, tr: &egui_plot::PlotTransform, pos: egui::Pos2) -> Option<usize> {
    ds.x.iter()
        .enumerate()
        .map(|(i, p)| {
            (
                i,
                tr.position_from_point(&PlotPoint::new(p[0], p[1]))
                    .distance(pos),
            )
        })
        .filter(|(_, d)| *d < 10.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

fn edit(
    app: &mut App,
    ui: &egui::Ui,
    r: &egui::Response,
    tr: &egui_plot::PlotTransform,
    pointer: Option<PlotPoint>,
    ds: &Dataset,
) {
    let Some(pp) = pointer else {
        if r.drag_stopped() {
            app.drag = None;
        }
        return;
    };
    let p = [pp.x, pp.y];
    let mods = ui.input(|i| i.modifiers);
    let pos = tr.position_from_point(&pp);
    if r.drag_started_by(PointerButton::Primary)
        && let Some(i) = nearest(ds, tr, r.interact_pointer_pos().unwrap_or(pos))
    {
        app.undo.push(ds.clone());
        app.redo.clear();
        app.drag = Some(i);
    }
    if let Some(i) = app.drag {
        if r.dragged() && i < app.session.data.dataset.len() {
            app.session.data.dataset.x[i] = p;
            app.changed(Restart::All);
        }
        if r.drag_stopped() {
            app.drag = None;
        }
        return;
    }
    let click = r.clicked_by(PointerButton::Primary);
    let right = r.clicked_by(PointerButton::Secondary);
    if !(click || right) {
        return;
    }
    let mut new = ds.clone();
    if click && mods.command {
        if let Some(i) = nearest(ds, tr, pos) {
            new.x.remove(i);
            new.y.remove(i);
        } else {
            return;
        }
    } else {
        let negative = right || mods.shift;
        let y = match new.kind {
            TargetKind::Binary => {
                if negative {
                    -1.0
                } else {
                    1.0
                }
            }
            TargetKind::MultiClass(_) => f64::from(u8::from(negative)),
            TargetKind::Regression => {
                let v = app.session.data.click_value;
                if negative { -v } else { v }
            }
        };
        if let TargetKind::MultiClass(c) = new.kind
            && y as usize >= c
        {
            new.kind = TargetKind::MultiClass(y as usize + 1);
        }
        new.x.push(p);
        new.y.push(y);
    }
    app.set_dataset(new);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Discretized, a single output takes exactly two colours (three with exact zeros), one per
    /// sign; continuous, it shades with the output's size.
    #[test]
    fn discretized_output_has_one_colour_per_sign() {
        for dark in [true, false] {
            let values: Vec<f64> = (-50..=50).map(|k| k as f64 * 0.037).collect();
            let colours = |disc: bool| {
                let mut c: Vec<[u8; 4]> = values
                    .iter()
                    .map(|&v| output_color(v, 1.85, 1, disc, dark).to_array())
                    .collect();
                c.sort_unstable();
                c.dedup();
                c
            };
            assert_eq!(colours(true).len(), 3, "negative, zero, positive");
            assert!(colours(false).len() > 20);
            assert_eq!(
                output_color(-0.01, 1.0, 1, true, dark),
                output_color(-1.7, 1.0, 1, true, dark)
            );
            assert_ne!(
                output_color(-0.01, 1.0, 1, true, dark),
                output_color(0.01, 1.0, 1, true, dark)
            );
        }
    }
}
