//! The sampled-gates window (docs/math.md#sampled-convex-programs): the gated program over `P`
//! Gaussian gates for growing `P` (nested samples, each solved to a certified gap), plotting on
//! log axes how much of the sphere of directions holds gates the solution violates, the
//! scenario bound for that `P`, and the certified distance from the exact-gate optimum. Runs on
//! its own thread with progress and Cancel; results of an older problem are marked stale.

use std::ops::ControlFlow;
use std::sync::atomic::Ordering;

use eframe::egui;
use egui::Color32;
use egui_plot::{Line, Plot, PlotPoints, Points};

use super::objective::{decades, power_of_ten};
use crate::app::App;
use crate::app::job::Job;
use crate::certify::Bounds;
use crate::solve::scenario::{SCENARIO_SLACK, ScenarioPoint, scenario_sweep};

/// Sample sizes of a sweep.
pub const COUNTS: [usize; 9] = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

enum Msg {
    Point(Bounds, ScenarioPoint),
    Done(Result<(), String>),
}

/// The window's state.
#[derive(Default)]
pub struct ScenarioState {
    /// Whether the window is open.
    pub open: bool,
    job: Job<Msg>,
    /// The exact-gate optimum.
    pub exact: Option<Bounds>,
    /// One point per finished sample size.
    pub points: Vec<ScenarioPoint>,
    /// Why the sweep failed.
    pub error: Option<String>,
    /// The run (problem) the points belong to.
    run: u64,
}

impl ScenarioState {
    /// Whether a sweep is running.
    pub fn running(&self) -> bool {
        self.job.running()
    }

    fn cancel(&mut self) {
        self.job.cancel();
    }

    fn receive(&mut self) {
        for m in self.job.drain() {
            match m {
                Msg::Point(exact, p) => {
                    self.exact = Some(exact);
                    self.points.push(p);
                }
                Msg::Done(r) => {
                    self.error = r.err();
                    self.job.finished();
                }
            }
        }
    }
}

fn start(app: &mut App, ctx: &egui::Context) {
    app.panel_state.scenario.cancel();
    let input = match app.problem_input() {
        Ok(i) => i,
        Err(e) => {
            app.panel_state.scenario.error = Some(e);
            return;
        }
    };
    let seed = match app.session.solver.patterns {
        crate::geometry::PatternMode::Sampled { seed, .. } => seed,
        crate::geometry::PatternMode::Exact => 1,
    };
    let started =
        app.panel_state
            .scenario
            .job
            .start("scenario sweep", ctx, move |tx, stop, ctx| {
                let r = input.exact().and_then(|exact| {
                    scenario_sweep(
                        &input.x,
                        &input.y,
                        input.loss,
                        input.beta,
                        &exact,
                        &COUNTS,
                        seed,
                        |b, p| {
                            let _ = tx.send(Msg::Point(*b, *p));
                            ctx.request_repaint();
                            if stop.load(Ordering::Relaxed) {
                                ControlFlow::Break(())
                            } else {
                                ControlFlow::Continue(())
                            }
                        },
                    )
                });
                let _ = tx.send(Msg::Done(r.map(|_| ()).map_err(|e| e.to_string())));
            });
    let run = app.run_id();
    let st = &mut app.panel_state.scenario;
    st.points.clear();
    st.exact = None;
    st.error = started
        .err()
        .map(|e| format!("could not start the sweep: {e}"));
    st.run = run;
}

/// The window (when open).
pub fn window(app: &mut App, ctx: &egui::Context) {
    if !app.panel_state.scenario.open {
        return;
    }
    app.panel_state.scenario.receive();
    let mut open = true;
    egui::Window::new("Sampled gates: how many are enough?")
        .open(&mut open)
        .default_size([620.0, 560.0])
        .show(ctx, |ui| body(app, ui));
    if !open {
        app.panel_state.scenario.cancel();
        app.panel_state.scenario.open = false;
    }
}

fn body(app: &mut App, ui: &mut egui::Ui) {
    ui.label(
        egui::RichText::new(
            "The gated program over P Gaussian gates (nested samples, same seed), each solved \
             to a certified gap. Violated: the exact fraction of the sphere of gate directions \
             whose gate the solution's dual point violates — the chance that one more random \
             gate would lower the objective. Scenario bound: with 99 % confidence that chance \
             is below it (Campi & Garatti; vacuous while P ≤ n). Gap: certified relative \
             distance from the optimum over all regions.",
        )
        .small(),
    );
    let stale =
        app.panel_state.scenario.run != app.run_id() && !app.panel_state.scenario.points.is_empty();
    ui.horizontal(|ui| {
        let running = app.panel_state.scenario.running();
        if running {
            ui.spinner();
            ui.label(format!(
                "P = {} … ({} of {})",
                COUNTS
                    .get(app.panel_state.scenario.points.len())
                    .copied()
                    .unwrap_or(0),
                app.panel_state.scenario.points.len(),
                COUNTS.len()
            ));
            if ui.button("Cancel").clicked() {
                app.panel_state.scenario.cancel();
            }
        } else if ui
            .button(if app.panel_state.scenario.points.is_empty() {
                "Run the sweep"
            } else {
                "Run again"
            })
            .clicked()
        {
            start(app, ui.ctx());
        }
        if stale {
            ui.colored_label(
                Color32::from_rgb(220, 170, 50),
                "stale: the data or settings changed since this sweep",
            );
        }
    });
    let st = &app.panel_state.scenario;
    if let Some(e) = &st.error {
        ui.colored_label(Color32::from_rgb(220, 90, 60), e);
    }
    if let Some(b) = st.exact {
        ui.label(
            egui::RichText::new(format!(
                "exact gates: p* ∈ [{:.6}, {:.6}] · n = {} · confidence {:.0} %",
                b.lower,
                b.upper,
                app.problem.as_ref().map_or(0, |p| p.n),
                100.0 * (1.0 - SCENARIO_SLACK)
            ))
            .small(),
        );
    }
    // Zeros have no place on a log axis: they are left out of the lines and read in the table.
    let series = |f: fn(&ScenarioPoint) -> f64| -> Vec<[f64; 2]> {
        st.points
            .iter()
            .filter(|p| f(p) > 0.0)
            .map(|p| [(p.sampled as f64).log10(), f(p).log10()])
            .collect()
    };
    let violated = series(|p| p.violation_fraction);
    let bound = series(|p| p.scenario_bound);
    let gap = series(|p| p.gap_to_exact);
    let colors = [
        Color32::from_rgb(220, 90, 60),
        Color32::from_rgb(150, 150, 150),
        Color32::from_rgb(60, 150, 220),
    ];
    let names = [
        "violated fraction of the sphere",
        "scenario bound (99 %)",
        "gap to the exact-gate optimum",
    ];
    // The legend is a row above the plot, so it never covers a curve.
    ui.horizontal_wrapped(|ui| {
        for (name, c) in names.iter().zip(colors) {
            ui.label(egui::RichText::new(format!("━ {name}")).small().color(c));
        }
    });
    let h = (ui.available_height() - 24.0 * (st.points.len() as f32 + 1.0).min(6.0)).max(160.0);
    Plot::new("scenario_plot")
        .height(h)
        .x_axis_label("gates sampled P")
        .y_axis_label("fraction (log)")
        .x_axis_formatter(|m, _| power_of_ten(m.value))
        .y_axis_formatter(|m, _| power_of_ten(m.value))
        .x_grid_spacer(decades)
        .y_grid_spacer(decades)
        .include_x(1.0)
        .include_x((COUNTS[COUNTS.len() - 1] as f64).log10())
        .include_y(0.0)
        .include_y(-6.0)
        .allow_scroll(false)
        .show(ui, |pui| {
            for ((name, pts), c) in names.into_iter().zip([violated, bound, gap]).zip(colors) {
                pui.line(Line::new(name, PlotPoints::new(pts.clone())).color(c));
                pui.points(Points::new(name, pts).color(c).radius(3.0));
            }
        });
    egui::ScrollArea::vertical().show(ui, |ui| {
        egui::Grid::new("scenario_table")
            .striped(true)
            .show(ui, |ui| {
                for h in ["P", "distinct", "objective", "violated", "bound", "gap"] {
                    ui.label(egui::RichText::new(h).small().strong());
                }
                ui.end_row();
                for p in &st.points {
                    ui.monospace(p.sampled.to_string());
                    ui.monospace(p.distinct.to_string());
                    ui.monospace(format!("{:.6}", p.objective));
                    ui.monospace(format!("{:.3e}", p.violation_fraction));
                    ui.monospace(if p.scenario_bound >= 1.0 {
                        "1 (vacuous)".to_string()
                    } else {
                        format!("{:.3e}", p.scenario_bound)
                    });
                    ui.monospace(format!("{:.3e}", p.gap_to_exact));
                    ui.end_row();
                }
            });
    });
}
