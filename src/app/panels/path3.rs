//! What the path-regularized three-layer model draws (docs/math.md#path3): the sub-networks on
//! the data plane (every first-layer neuron's line `x̃ᵀu = 0` in its sub-network's colour, the
//! points each sub-network is on for ringed) and a table of the sub-networks and their neurons.

use eframe::egui;
use egui_plot::{Line, MarkerShape, Plot, PlotPoints, Points};

use super::boundary::data_dots;
use super::paint;
use super::{data_extent, fit_title_row, title_row};
use crate::app::{App, PlotId};
use crate::model::path3::Path3Network;
use crate::vec3::norm3;

/// The network at the cursor.
fn network(app: &App) -> Option<Path3Network> {
    let s = app.history.snapshot_at(app.shown_iter())?;
    Some(s.path3()?.network.clone())
}

/// The regions panel: the sub-networks' first-layer lines on the plane.
pub fn regions(app: &mut App, ui: &mut egui::Ui) {
    fit_title_row(
        app,
        ui,
        PlotId::Regions,
        "Sub-networks (plane)",
        "Each sub-network k computes a_k·(Σⱼ s_kj (x̃ᵀu_kj)₊)₊. Its first-layer neurons' lines \
         x̃ᵀu = 0 are drawn in its colour; the points it is on for (second-layer pre-activation \
         > 0) are ringed in the same colour.",
    );
    let Some(net) = network(app) else {
        ui.label("waiting for the solver…");
        return;
    };
    let ds = app.session.data.dataset.clone();
    let e = data_extent(&ds);
    let dark = app.session.view.dark;
    ui.horizontal_wrapped(|ui| {
        for (k, sub) in net.subnets.iter().enumerate() {
            let on = ds.x.iter().filter(|&&p| sub.pre(p) > 0.0).count();
            ui.label(
                egui::RichText::new(format!(
                    "{} a = {:+.2}: {} neurons, on for {on}",
                    k + 1,
                    sub.a,
                    sub.neurons.len()
                ))
                .small()
                .color(paint::seed_color(k)),
            );
        }
    });
    let h = ui.available_height() - 4.0;
    let resp = Plot::new("path3_regions_plot")
        .height(h)
        .data_aspect(1.0)
        .default_x_bounds(e[0], e[1])
        .default_y_bounds(e[2], e[3])
        .show(ui, |pui| {
            app.panel_state
                .fit
                .keep(pui, PlotId::Regions, "path3_regions", e, e);
            for (k, sub) in net.subnets.iter().enumerate() {
                let c = paint::seed_color(k);
                for (j, n) in sub.neurons.iter().enumerate() {
                    if let Some([a, b]) = paint::clip_line(&n.u, e) {
                        pui.line(
                            Line::new(
                                format!("sub-network {}", k + 1),
                                PlotPoints::new(vec![a, b]),
                            )
                            .color(c)
                            .width(1.5)
                            .id(("path3_line", k, j)),
                        );
                    }
                }
                let on: Vec<[f64; 2]> =
                    ds.x.iter()
                        .filter(|&&p| sub.pre(p) > 0.0)
                        .copied()
                        .collect();
                pui.points(
                    Points::new(format!("sub-network {} on", k + 1), on)
                        .shape(MarkerShape::Circle)
                        .filled(false)
                        .radius(6.0 + 2.0 * (k % 4) as f32)
                        .color(c),
                );
            }
            data_dots(pui, &ds, dark);
        });
    app.panel_state.fit.record(PlotId::Regions, &resp.transform);
}

/// The neurons panel: sub-networks and their neurons.
pub fn neurons(app: &mut App, ui: &mut egui::Ui) {
    title_row(
        app,
        ui,
        PlotId::Neurons,
        "Sub-networks",
        "The network at the cursor, pruned (Carathéodory inside and across sub-networks: the \
         same outputs on the data, a path cost that can only drop). Per sub-network: output \
         weight a, its path cost |a|·Σ|s|‖u‖; per neuron: u = (w₁, w₂, b), second-layer \
         weight s and its path |a||s|‖u‖.",
    );
    if ui
        .button("Compare with weight decay…")
        .on_hover_text(
            "The decision boundaries of the two-layer and three-layer weight-decay networks \
             beside this one, on the same data and β",
        )
        .clicked()
    {
        app.session.view.comparison = true;
    }
    let Some(net) = network(app) else {
        ui.label("nothing to show yet");
        return;
    };
    ui.label(
        egui::RichText::new(format!(
            "{} sub-networks, {} neurons, path cost R = {:.6}",
            net.subnets.len(),
            net.neuron_count(),
            net.path_cost()
        ))
        .small(),
    );
    // Both directions: at laptop widths the last columns scroll into view instead of clipping.
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("path3_table")
                .num_columns(6)
                .striped(true)
                .show(ui, |ui| {
                    for h in ["", "u₁", "u₂", "u₃", "s", "|a||s|‖u‖"] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for (k, sub) in net.subnets.iter().enumerate() {
                        let c = paint::seed_color(k);
                        ui.label(
                            egui::RichText::new(format!("{} a = {:+.3}", k + 1, sub.a))
                                .color(c)
                                .strong(),
                        );
                        ui.label("");
                        ui.label("");
                        ui.label("");
                        ui.label("");
                        ui.monospace(format!("{:.4}", sub.a.abs() * sub.inner_cost()));
                        ui.end_row();
                        for n in &sub.neurons {
                            ui.label(egui::RichText::new("  ◆").color(c));
                            for v in n.u {
                                ui.monospace(format!("{v:+.3}"));
                            }
                            ui.monospace(format!("{:+.3}", n.s));
                            ui.monospace(format!("{:.4}", sub.a.abs() * n.s.abs() * norm3(&n.u)));
                            ui.end_row();
                        }
                    }
                });
        });
}
