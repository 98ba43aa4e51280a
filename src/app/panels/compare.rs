//! The path-regularization comparison window (docs/math.md#path3): on the current data and β,
//! the decision boundaries of three models side by side — the certified two-layer weight-decay
//! optimum, a fully connected three-layer network with weight decay (best of four Adam runs: no
//! certificate exists for it) and the path-regularized three-layer network (certified up to 10
//! points, the restricted program beyond) — each with its own objective, loss and training
//! accuracy. Runs on its own thread with progress and Cancel; results of other data are marked
//! stale.

use eframe::egui;
use egui::{Color32, Stroke};
use egui_plot::Plot;

use super::boundary::data_dots;
use super::{data_extent, paint};
use crate::app::App;
use crate::app::job::Job;
use crate::formulation::path3::{COMPARED, ComparedModel, compare_models};

enum Msg {
    Model(usize, ComparedModel),
    Done(Result<(), String>),
}

/// The window's state.
#[derive(Default)]
pub struct CompareState {
    job: Job<Msg>,
    /// The fitted models, by position.
    pub models: [Option<ComparedModel>; 3],
    /// Why the run failed.
    pub error: Option<String>,
    /// The run (problem) the models belong to; `None` before the first run.
    run: Option<u64>,
}

impl CompareState {
    /// Whether a run is going on.
    pub fn running(&self) -> bool {
        self.job.running()
    }

    fn cancel(&mut self) {
        self.job.cancel();
    }

    fn receive(&mut self) {
        for m in self.job.drain() {
            match m {
                Msg::Model(i, m) => self.models[i] = Some(m),
                Msg::Done(r) => {
                    self.error = r.err();
                    self.job.finished();
                }
            }
        }
    }
}

fn start(app: &mut App, ctx: &egui::Context) {
    app.panel_state.compare.cancel();
    let run = app.run_id();
    let st = &mut app.panel_state.compare;
    st.models = Default::default();
    st.error = None;
    st.run = Some(run);
    let input = match app.problem_input() {
        Ok(i) => i,
        Err(e) => {
            app.panel_state.compare.error = Some(e);
            return;
        }
    };
    let extent = data_extent(&app.session.data.dataset);
    let started =
        app.panel_state
            .compare
            .job
            .start("model comparison", ctx, move |tx, stop, ctx| {
                let r = compare_models(&input, extent, stop, |i, m| {
                    let _ = tx.send(Msg::Model(i, m));
                    ctx.request_repaint();
                });
                let _ = tx.send(Msg::Done(r.map_err(|e| e.to_string())));
            });
    if let Err(e) = started {
        app.panel_state.compare.error = Some(format!("could not start the comparison: {e}"));
    }
}

/// The window, while the session asks for it.
pub fn window(app: &mut App, ctx: &egui::Context) {
    if !app.session.view.comparison {
        return;
    }
    app.panel_state.compare.receive();
    // Opened (or restored from a session) with nothing to show: run at once.
    let st = &app.panel_state.compare;
    if st.run.is_none() && !st.running() {
        start(app, ctx);
    }
    let mut open = true;
    egui::Window::new("Two layers or three: weight decay against path regularization")
        .open(&mut open)
        .default_size([900.0, 430.0])
        .show(ctx, |ui| body(app, ui));
    if !open {
        app.panel_state.compare.cancel();
        app.session.view.comparison = false;
    }
}

fn body(app: &mut App, ui: &mut egui::Ui) {
    ui.label(
        egui::RichText::new(
            "The same data and β, three models, each trained to its own objective (squared loss \
             plus its own regularizer, so objectives compare within a model only): the certified \
             two-layer weight-decay optimum; a fully connected three-layer network with weight \
             decay, best of four Adam runs (no certificate exists for it); the path-regularized \
             three-layer network (certified up to 10 points, else the restricted program, an \
             uncertified upper bound).",
        )
        .small(),
    );
    let st = &app.panel_state.compare;
    let stale = st.run.is_some_and(|r| r != app.run_id());
    ui.horizontal(|ui| {
        if app.panel_state.compare.running() {
            ui.spinner();
            let k = app
                .panel_state
                .compare
                .models
                .iter()
                .filter(|m| m.is_some())
                .count();
            ui.label(format!(
                "fitting {} of 3: {}…",
                (k + 1).min(3),
                COMPARED[k.min(2)]
            ));
            if ui.button("Cancel").clicked() {
                app.panel_state.compare.cancel();
            }
        } else if ui.button("Run again").clicked() {
            start(app, ui.ctx());
        }
        if stale {
            ui.colored_label(
                Color32::from_rgb(220, 170, 50),
                "stale: the data or settings changed since this run",
            );
        }
    });
    if let Some(e) = &app.panel_state.compare.error {
        ui.colored_label(Color32::from_rgb(220, 90, 60), e);
    }
    let ds = app.session.data.dataset.clone();
    let extent = data_extent(&ds);
    let dark = app.session.view.dark;
    let outline = if dark { Color32::WHITE } else { Color32::BLACK };
    let w = (ui.available_width() - 16.0) / 3.0;
    let run = app.panel_state.compare.run.unwrap_or(0);
    ui.horizontal_top(|ui| {
        for i in 0..3 {
            ui.vertical(|ui| {
                ui.set_width(w);
                ui.strong(COMPARED[i]);
                let Some(m) = app.panel_state.compare.models[i].clone() else {
                    ui.label("…");
                    return;
                };
                let scale = m.output.max_abs().max(1e-9);
                let key = paint::key(&[run, i as u64, dark as u64, 9]);
                let tex =
                    app.panel_state
                        .textures
                        .get(ui.ctx(), &format!("compare{i}"), key, || {
                            paint::grid_image(&m.output, |v| {
                                paint::diverging((v / scale).tanh() * 1.6, dark)
                            })
                        });
                let resp = Plot::new(("compare_plot", i))
                    .data_aspect(1.0)
                    .width(w)
                    .height(w.min(ui.available_height() - 90.0).max(120.0))
                    .default_x_bounds(extent[0], extent[1])
                    .default_y_bounds(extent[2], extent[3])
                    .allow_scroll(false)
                    .show(ui, |pui| {
                        pui.image(paint::plot_image("output", tex, extent));
                        data_dots(pui, &ds, dark);
                    });
                let segs = m.output.contour(0.0);
                paint::paint_segments(ui, &resp.transform, &segs, Stroke::new(1.5, outline));
                ui.label(egui::RichText::new(&m.how).small());
                ui.label(
                    egui::RichText::new(match m.lower_bound {
                        Some(lo) => format!("objective {:.6} (certified ≥ {lo:.6})", m.objective),
                        None => format!("objective {:.6}", m.objective),
                    })
                    .small(),
                );
                ui.label(
                    egui::RichText::new(format!(
                        "loss ½‖f − y‖² = {:.4} · training accuracy {:.1} %",
                        m.loss,
                        100.0 * m.accuracy
                    ))
                    .small(),
                );
            });
        }
    });
}
