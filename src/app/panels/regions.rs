//! Plot 3, arrangement regions. In the data plane: every neuron's line uᵀx̃ = 0 with an arrow to
//! its active side and a width ∝ ‖u‖·|α|, cells coloured by which neurons are on; hovering a
//! cell lists them. In line space (θ, t) (docs/math.md#certificate): the n² − n + 2 regions the data induce (general
//! position), the ones the solver uses highlighted, neurons as markers.

use eframe::egui;
use egui::Color32;
use egui_plot::{Arrows, Line, LineStyle, MarkerShape, Plot, PlotPoint, PlotPoints, Points};

use super::paint::{self, NEG, POS};
use super::{data_box, data_extent, fit_title_row, hover, t_max};
use crate::app::{App, NeuronRef, PlotId};
use crate::formulation::ProblemDetail;
use crate::formulation::snapshot::significant_top;
use crate::geometry::grid::{line_coords, neuron_regions};
use crate::model::ReluNetwork;

const REGION_FIELD: usize = 90;

/// Lines the regions plot draws instead of a network's neurons: pseudo-neurons `(u, α)` for the
/// lines (`α` sets the width) and the linear part each adds where it is on.
pub struct PlaneLines {
    /// One pseudo-neuron per line.
    pub network: ReluNetwork,
    /// The linear part `uᵢ` added where line `i` is on.
    pub parts: Vec<[f64; 3]>,
    /// What a line is called ("gate").
    pub label: &'static str,
}

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    fit_title_row(
        app,
        ui,
        PlotId::Regions,
        "Arrangement regions",
        "Each ReLU neuron is on in a half-plane uᵀ(x, 1) > 0 (arrow). Its lines cut the plane \
         into cells; in each cell the network is linear. The convex program has one variable \
         block per activation pattern of the data — every cell of the arrangement the data \
         induce (line space view).",
    );
    let mut v = app.session.view.clone();
    ui.horizontal(|ui| {
        ui.checkbox(&mut v.sgd_lines, "SGD neurons");
        ui.checkbox(&mut v.line_space, "Line space (θ, t)")
            .on_hover_text("Every point is an oriented line cos θ·x₁ + sin θ·x₂ = t");
    });
    if v != app.session.view {
        app.session.view = v.clone();
        app.session_changed = true;
    }
    if v.line_space {
        line_space(app, ui);
    } else {
        plane(app, ui, v.sgd_lines);
    }
}

fn neuron_width(net: &ReluNetwork, k: usize) -> f32 {
    let w = |i: usize| net.neurons[i].norm_u() * net.neurons[i].alpha.abs();
    let max = (0..net.neurons.len()).map(w).fold(0.0, f64::max);
    if max <= 0.0 {
        return 1.0;
    }
    1.0 + 4.0 * (w(k) / max) as f32
}

fn plane(app: &mut App, ui: &mut egui::Ui, sgd_lines: bool) {
    let dark = app.session.view.dark;
    let t = app.shown_iter();
    let ds = app.session.data.dataset.clone();
    let e = data_extent(&ds);
    // A model may draw other lines than its network's neurons (a gated model: its gates, with
    // the cells by which gates are on; in each the model is linear).
    let plane_lines = super::model_panels(app.model_kind()).plane_lines;
    let lines = app.history.snapshot_at(t).and_then(|s| plane_lines(s));
    let net = app.history.snapshot_at(t).and_then(|s| {
        let r = s.relu()?;
        Some(match &lines {
            Some(l) => {
                let k = l.network.neurons.len();
                (s.iter, l.network.clone(), (0..k).collect::<Vec<usize>>())
            }
            None => (s.iter, r.network.clone(), r.shown.clone()),
        })
    });
    let label = lines.as_ref().map_or("neuron", |l| l.label);
    let parts: Option<Vec<[f64; 3]>> = lines.map(|l| l.parts);
    let sgd = if sgd_lines {
        app.history.sgd_snapshot_at(t).cloned()
    } else {
        None
    };
    let tex = net.as_ref().map(|(iter, n, shown)| {
        let key = paint::key(&[app.run_id(), *iter as u64, dark as u64, 3]);
        app.panel_state.textures.get(ui.ctx(), "regions", key, || {
            let pruned = ReluNetwork {
                neurons: shown.iter().map(|&i| n.neurons[i]).collect(),
            };
            let labels = neuron_regions(&pruned, REGION_FIELD, REGION_FIELD, e);
            paint::label_image(REGION_FIELD, REGION_FIELD, &labels, |_, fp| {
                paint::region_color(fp, dark)
            })
        })
    });
    // With the working-set solver: the directions its round priced in (where a new neuron would
    // help), dashed.
    let priced = app
        .history
        .snapshot_at(t)
        .and_then(|s| s.relu())
        .and_then(|r| r.working_set.clone());
    let hovered = app.hovered;
    let arrow_len = (e[1] - e[0]) * 0.06;
    let h = ui.available_height() - 22.0;
    let fit = &mut app.panel_state.fit;
    let resp = Plot::new("regions_plot")
        .data_aspect(1.0)
        .height(h)
        .default_x_bounds(e[0], e[1])
        .default_y_bounds(e[2], e[3])
        .show(ui, |pui| {
            fit.keep(pui, PlotId::Regions, "regions_plane", e, data_box(&ds));
            if let Some(tex) = tex {
                pui.image(paint::plot_image("cells", tex, e));
            }
            pui.points(
                Points::new("data", ds.x.clone())
                    .color(Color32::from_gray(120))
                    .radius(2.0)
                    .allow_hover(false),
            );
            if let Some(s) = &sgd {
                for (k, n) in s.relu_networks().into_iter().enumerate() {
                    for i in significant_top(n, 12) {
                        let nr = &n.neurons[i];
                        if let Some(seg) = paint::clip_line(&nr.u, e) {
                            let hl = hovered == Some(NeuronRef::Sgd(k, i));
                            pui.line(
                                Line::new(
                                    format!("SGD seed {}", k + 1),
                                    PlotPoints::new(seg.to_vec()),
                                )
                                .color(paint::seed_color(k).gamma_multiply(0.8))
                                .width(if hl { 3.0 } else { 0.8 })
                                .allow_hover(false),
                            );
                        }
                    }
                }
            }
            if let Some((_, n, shown)) = &net {
                for &i in shown {
                    let nr = &n.neurons[i];
                    let Some(seg) = paint::clip_line(&nr.u, e) else {
                        continue;
                    };
                    let c = if parts.is_some() {
                        Color32::from_gray(150)
                    } else if nr.alpha >= 0.0 {
                        POS
                    } else {
                        NEG
                    };
                    let hl = parts.is_none() && hovered == Some(NeuronRef::Convex(i));
                    let w = neuron_width(n, i) + if hl { 3.0 } else { 0.0 };
                    pui.line(
                        Line::new(
                            format!("{} {}", label, i + 1),
                            PlotPoints::new(seg.to_vec()),
                        )
                        .color(if hl { Color32::YELLOW } else { c })
                        .width(w)
                        .allow_hover(false),
                    );
                    let mid = [(seg[0][0] + seg[1][0]) / 2.0, (seg[0][1] + seg[1][1]) / 2.0];
                    let r = nr.u[0].hypot(nr.u[1]);
                    let tip = [
                        mid[0] + arrow_len * nr.u[0] / r,
                        mid[1] + arrow_len * nr.u[1] / r,
                    ];
                    pui.arrows(
                        Arrows::new("", vec![mid], vec![tip])
                            .color(c)
                            .tip_length(7.0)
                            .allow_hover(false),
                    );
                }
            }
            if let Some(ws) = &priced {
                for (u, _) in ws.entered.iter().take(MAX_PRICED_LINES) {
                    if let Some(seg) = paint::clip_line(u, e) {
                        pui.line(
                            Line::new("priced in", PlotPoints::new(seg.to_vec()))
                                .color(paint::PRICED)
                                .width(1.5)
                                .style(LineStyle::dashed_dense())
                                .allow_hover(false),
                        );
                    }
                }
            }
            pui.pointer_coordinate()
        });
    app.panel_state.fit.record(PlotId::Regions, &resp.transform);
    super::formula::paint_on_plane(app, ui, &resp.transform, net.as_ref().map(|(_, n, _)| n), e);
    // Hover: the neurons on at the pointer, and the nearest line.
    let mut text = None;
    // `pointer_coordinate` is known wherever the pointer is: only a pointer over the plot counts.
    let pointer = resp.inner.filter(|_| resp.response.hovered());
    if let (Some(p), Some((_, n, shown))) = (pointer, &net) {
        let x = [p.x, p.y];
        let on_all: Vec<usize> = shown
            .iter()
            .copied()
            .filter(|&i| n.neurons[i].pre(x) > 0.0)
            .collect();
        let mut on: Vec<String> = on_all
            .iter()
            .take(12)
            .map(|i| (i + 1).to_string())
            .collect();
        if on_all.len() > 12 {
            on.push(format!("… ({} in all)", on_all.len()));
        }
        // Points in the same cell: the same neurons on (among the drawn ones).
        let same_cell =
            ds.x.iter()
                .filter(|q| {
                    shown
                        .iter()
                        .all(|&i| (n.neurons[i].pre(**q) > 0.0) == (n.neurons[i].pre(x) > 0.0))
                })
                .count();
        let on = if on.is_empty() {
            "none".to_string()
        } else {
            on.join(", ")
        };
        text = Some(match &parts {
            Some(parts) => {
                let xt = [x[0], x[1], 1.0];
                let f: f64 = on_all
                    .iter()
                    .map(|&i| crate::vec3::dot3(&xt, &parts[i]))
                    .sum();
                format!(
                    "{label}s on here: {on} · f = {f:+.4} (linear in this cell) · {same_cell} \
                     data points in this cell"
                )
            }
            None => format!(
                "on here: {on} · f = {:+.4} · {same_cell} data points in this cell",
                n.eval(x)
            ),
        });
        if let Some(pos) = resp.response.hover_pos()
            && parts.is_none()
        {
            let best = shown
                .iter()
                .filter_map(|&i| {
                    let seg = paint::clip_line(&n.neurons[i].u, e)?;
                    let a = resp
                        .transform
                        .position_from_point(&PlotPoint::new(seg[0][0], seg[0][1]));
                    let b = resp
                        .transform
                        .position_from_point(&PlotPoint::new(seg[1][0], seg[1][1]));
                    Some((i, dist_to_segment(pos, a, b)))
                })
                .filter(|(_, d)| *d < 6.0)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((i, _)) = best {
                hover(app, NeuronRef::Convex(i));
            }
        }
    }
    if let Some(NeuronRef::Convex(i)) = app.hovered
        && let Some((_, n, _)) = &net
        && let Some(nr) = n.neurons.get(i)
    {
        let on = ds.x.iter().filter(|q| nr.pre(**q) > 0.0).count();
        text = Some(format!(
            "neuron {}: u = ({:+.3}, {:+.3}, {:+.3}), α = {:+.3}, on for {on} of {} points",
            i + 1,
            nr.u[0],
            nr.u[1],
            nr.u[2],
            nr.alpha,
            ds.len()
        ));
    }
    app.panel_state.region_hover = text.clone();
    let text = match (text, &priced) {
        (Some(t), _) => t,
        (None, Some(ws)) if ws.added > 0 => format!(
            "working set after round {}: {} regions, {} joined — dashed: the {}{} directions \
             where the pricing found a violated region (the rest lie across active facets)",
            ws.round,
            ws.regions,
            ws.added,
            if ws.entered.len() > MAX_PRICED_LINES {
                format!("first {MAX_PRICED_LINES} of ")
            } else {
                String::new()
            },
            ws.entered.len(),
        ),
        (None, Some(ws)) => format!(
            "working set after round {}: {} regions, none joined",
            ws.round, ws.regions
        ),
        (None, None) => String::new(),
    };
    ui.label(egui::RichText::new(text).small());
}

/// Most priced directions drawn (a cold start's seed brings hundreds).
const MAX_PRICED_LINES: usize = 60;

fn dist_to_segment(p: egui::Pos2, a: egui::Pos2, b: egui::Pos2) -> f32 {
    let ab = b - a;
    let t = ((p - a).dot(ab) / ab.length_sq().max(1e-6)).clamp(0.0, 1.0);
    (a + ab * t).distance(p)
}

fn line_space(app: &mut App, ui: &mut egui::Ui) {
    let dark = app.session.view.dark;
    let ds = app.session.data.dataset.clone();
    let tm = t_max(&ds);
    let e = [0.0, std::f64::consts::TAU, -tm, tm];
    let [nx, ny] = crate::formulation::snapshot::LINE_FIELD;
    let t = app.shown_iter();
    let net = app
        .history
        .snapshot_at(t)
        .and_then(|s| s.relu())
        .map(|r| ReluNetwork {
            neurons: r.shown.iter().map(|&i| r.network.neurons[i]).collect(),
        });
    // The problem is shared (an `Arc`): its region labels are borrowed, not copied every frame.
    let info = app.problem.clone();
    let regions = info.as_deref().and_then(|info| match &info.detail {
        ProblemDetail::Relu {
            line_regions,
            line_chosen,
            ..
        } => Some((line_regions, line_chosen)),
        _ => None,
    });
    let tex = regions.map(|(line_regions, line_chosen)| {
        let key = paint::key(&[app.run_id(), dark as u64, 4]);
        app.panel_state
            .textures
            .get(ui.ctx(), "linespace", key, || {
                paint::label_image(nx, ny, line_regions, |k, fp| {
                    let c = paint::region_color(fp, dark);
                    if line_chosen[k] {
                        c
                    } else {
                        paint::lerp(c, Color32::from_gray(if dark { 20 } else { 200 }), 0.8)
                    }
                })
            })
    });
    // A hovered `Dᵢ`: its region's cell (every pixel whose direction has that pattern), and
    // neuron i's point in it ringed (a cell can be a few pixels).
    let (cell, block) = {
        let hl = super::formula::current(app);
        (hl.cell, hl.block)
    };
    let ring = cell
        .and(block)
        .and_then(|i| {
            let s = app.history.snapshot_at(t)?;
            let nr = s.relu()?.network.neurons.get(i)?;
            crate::geometry::grid::line_coords(&nr.u)
        })
        .map(|(a, b)| [a, b]);
    let cell_tex = cell.and_then(|fp| {
        let (line_regions, _) = regions?;
        let key = paint::key(&[app.run_id(), fp, dark as u64, 7]);
        let lit = paint::highlight_text(dark).gamma_multiply(0.75);
        Some(
            app.panel_state
                .textures
                .get(ui.ctx(), "linespace_cell", key, || {
                    paint::label_image(nx, ny, line_regions, |_, f| {
                        if f == fp { lit } else { Color32::TRANSPARENT }
                    })
                }),
        )
    });
    let h = ui.available_height() - 22.0;
    let fit = &mut app.panel_state.fit;
    let resp = Plot::new("linespace_plot")
        .height(h)
        .x_axis_label("θ")
        .y_axis_label("t")
        .default_x_bounds(e[0], e[1])
        .default_y_bounds(e[2], e[3])
        .show(ui, |pui| {
            fit.keep(pui, PlotId::Regions, "regions_lines", e, e);
            if let Some(tex) = tex {
                pui.image(paint::plot_image("regions", tex, e));
            }
            if let Some(tex) = cell_tex {
                pui.image(paint::plot_image("Dᵢ", tex, e));
            }
            if let Some(p) = ring {
                pui.points(
                    Points::new("Dᵢ", vec![p])
                        .shape(MarkerShape::Circle)
                        .filled(false)
                        .radius(12.0)
                        .color(paint::highlight_text(dark))
                        .allow_hover(false),
                );
            }
            if let Some(n) = &net {
                let mut pos = Vec::new();
                let mut neg = Vec::new();
                for nr in &n.neurons {
                    if let Some((th, tt)) = line_coords(&nr.u) {
                        if nr.alpha >= 0.0 {
                            pos.push([th, tt]);
                        } else {
                            neg.push([th, tt]);
                        }
                    }
                }
                for (name, pts, c) in [("α > 0", pos, POS), ("α < 0", neg, NEG)] {
                    pui.points(
                        Points::new(name, pts)
                            .shape(MarkerShape::Diamond)
                            .radius(5.0)
                            .color(c),
                    );
                }
            }
        });
    app.panel_state.fit.record(PlotId::Regions, &resp.transform);
    // The program is built from the training points only (test points are held out).
    let n = app.split().0.len();
    let caption = match app.problem.as_ref().map(|p| &p.detail) {
        Some(ProblemDetail::Relu {
            p, exact, is_exact, ..
        }) => format!(
            "{n} training points: at most n² − n + 2 = {} regions (general position); the data induce \
             {exact}; the solver uses {p} (bright){}",
            n * n - n + 2,
            if *is_exact { "" } else { " — sampled" }
        ),
        Some(_) => String::new(),
        None => "enumerating regions…".into(),
    };
    ui.label(egui::RichText::new(caption).small());
}
