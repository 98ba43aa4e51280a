//! The window must never mislead: each test here pins a picture a learner once read wrongly
//! (points off the plot, one name for two numbers, a hidden legend, a stuck log view, counters
//! that disagree, a caption that counted test points, …).

use convex_nn_explorer::app::{App, PlotId};
use convex_nn_explorer::data::{Preset, PresetParams};
use egui_kittest::kittest::{NodeT, Queryable};

use crate::ui::{app, harness, session, wait};

/// Whether every point of the dataset lies inside the bounds plot `id` showed last frame.
fn all_points_visible(a: &App, id: PlotId) -> Result<(), String> {
    let b = a
        .panel_state
        .fit
        .shown
        .get(&id)
        .ok_or_else(|| format!("{id:?} recorded no bounds"))?;
    let outside: Vec<[f64; 2]> = a
        .session
        .data
        .dataset
        .x
        .iter()
        .copied()
        .filter(|p| !(b[0] <= p[0] && p[0] <= b[1] && b[2] <= p[1] && p[1] <= b[3]))
        .collect();
    if outside.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{id:?} shows {b:?}; {} of {} points outside, e.g. {:?}",
            outside.len(),
            a.session.data.dataset.len(),
            outside[0]
        ))
    }
}

/// A new dataset with a larger extent (xor with noise 1.0), and then standardizing it, both
/// re-fit the plane plots: every point stays inside the boundary and regions plots.
#[test]
fn plane_plots_fit_every_new_dataset() {
    let mut h = harness(app(session(Preset::Spiral, 30, false)));
    h.run_steps(3);
    for id in [PlotId::Boundary, PlotId::Regions] {
        all_points_visible(h.state(), id).unwrap();
    }
    h.state_mut().session.data.preset = Preset::Xor;
    h.state_mut().session.data.params = PresetParams {
        n: 30,
        noise: 1.0,
        seed: 1,
    };
    h.state_mut().generate_preset();
    h.run_steps(3);
    for id in [PlotId::Boundary, PlotId::Regions] {
        all_points_visible(h.state(), id).unwrap();
    }
    h.get_by_label("Standardize").click();
    h.run_steps(3);
    for id in [PlotId::Boundary, PlotId::Regions] {
        all_points_visible(h.state(), id).unwrap();
    }
    // The Fit buttons exist (one per plane/line-space plot).
    assert_eq!(h.query_all_by_label("Fit").count(), 3);
}

/// The arrangement caption counts the training points the program is built from, not the
/// held-out test points.
#[test]
fn arrangement_caption_counts_training_points() {
    let mut s = session(Preset::Xor, 40, false);
    s.data.test_fraction = 0.25;
    s.view.line_space = true;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    let train = h.state().split().0.len();
    assert_eq!(train, 30);
    h.get_by_label_contains("30 training points: at most n² − n + 2 = 872 regions");
}

/// Plays until the convex solver has converged and SGD is `ahead` epochs past it.
fn play_until_sgd_ahead(h: &mut egui_kittest::Harness<'_, App>, ahead: usize) {
    h.state_mut().session.view.speed = 0;
    h.get_by_label("Play").click();
    wait(h, "convergence and SGD ahead", |a| {
        let last = a.history.last_iter();
        a.convex_status == Some(convex_nn_explorer::solve::Status::Converged)
            && a.history.last_epoch() > last + ahead
    });
    if h.state().playing {
        h.get_by_label("Pause").click();
    }
    h.run_steps(2);
}

/// The legend sits outside the plot (it hides no curve), lists the SGD seeds in natural order
/// (1, 2, …, 10, not 1, 10, 2), and the status line names the convex iteration and the SGD
/// epoch separately.
#[test]
fn legend_outside_the_plot_and_named_counters() {
    let mut s = session(Preset::Xor, 24, true);
    s.sgd.seeds = 10;
    s.sgd.width = 4;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    play_until_sgd_ahead(&mut h, 20);
    let frame = h.state().panel_state.fit.frames[&PlotId::Objective];
    let mut last = None::<(f32, f32)>;
    for k in 1..=10 {
        let r = h.get_by_label(&format!("SGD seed {k}")).rect();
        assert!(
            !r.intersects(frame),
            "legend entry {k} {r:?} overlaps the plot {frame:?}"
        );
        // Reading order: each entry after the previous one (same row further right, or below).
        let pos = (r.min.y, r.min.x);
        if let Some(p) = last {
            assert!(
                pos.0 > p.0 + 1.0 || (pos.0 - p.0).abs() <= 1.0 && pos.1 > p.1,
                "seed {k} out of order: {pos:?} after {p:?}"
            );
        }
        last = Some(pos);
    }
    let a = h.state();
    let iter = a.history.last_iter();
    let epoch = a.history.last_epoch();
    assert!(epoch > iter + 20);
    let line = h
        .get_by_label_contains("SGD epoch")
        .accesskit_node()
        .value()
        .unwrap_or_default();
    assert!(
        line.contains(&format!("convex iter {iter} "))
            && line.contains(&format!("SGD epoch {epoch} ")),
        "{line}"
    );
}

/// Ticking "Gap to optimum (log)" re-ranges the plot so the gap falling to 1e-6 and below is
/// in view at once (no double click needed).
#[test]
fn log_gap_view_ranges_to_the_small_gaps() {
    let mut h = harness(app(session(Preset::Xor, 24, false)));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.state_mut().session.view.speed = 0;
    h.get_by_label("Play").click();
    wait(&mut h, "convergence and the optimum", |a| {
        a.convex_status == Some(convex_nn_explorer::solve::Status::Converged) && a.optimum.is_some()
    });
    h.run_steps(2);
    let linear = h.state().panel_state.fit.shown[&PlotId::Objective];
    h.get_by_label("Gap to optimum (log)").click();
    h.run_steps(3);
    let b = h.state().panel_state.fit.shown[&PlotId::Objective];
    let a = h.state();
    let smallest = a
        .history
        .iterates
        .iter()
        .filter(|it| it.lower.is_finite() && it.upper.is_finite())
        .map(|it| (it.upper - it.lower).max(1e-16).log10())
        .fold(f64::INFINITY, f64::min);
    assert!(smallest <= -6.0, "the run did not reach a gap of 1e-6");
    assert!(
        b[2] <= smallest && b[3] > b[2] + 3.0,
        "log view {b:?} (linear view was {linear:?}) misses the smallest gap 10^{smallest:.1}"
    );
}

/// Where the desktop has no file-chooser portal the native dialog answers at once with
/// nothing: the window says so and opens its own chooser, which loads the file; later dialogs
/// go straight to it.
#[test]
fn file_dialogs_fall_back_to_the_in_window_chooser() {
    use convex_nn_explorer::app::DialogKind;
    let dir = std::env::temp_dir().join(format!("cne-chooser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("five.csv"),
        "x1,x2,y\n0,0,1\n1,0,-1\n0,1,-1\n1,1,1\n0.5,0.5,1\n",
    )
    .unwrap();
    let mut a = app(session(Preset::Xor, 24, false));
    a.chooser_dir = Some(dir.clone());
    let mut h = harness(a);
    h.step();
    h.get_by_label("Load CSV…").click();
    h.step();
    let kind = h.state_mut().dialog_request.take();
    assert_eq!(kind, Some(DialogKind::OpenCsv));
    // What the shell does when the native dialog returned nothing at once.
    h.state_mut().native_dialog_unavailable(DialogKind::OpenCsv);
    h.run_steps(3);
    h.get_by_label_contains("offers no file chooser");
    h.get_by_label_contains("Open a dataset (CSV)");
    h.get_by_label("five.csv").click();
    h.run_steps(2);
    h.get_by_label("Open").click();
    h.run_steps(3);
    assert_eq!(h.state().session.data.dataset.len(), 5);
    assert!(h.state().file_chooser.is_none());
    h.get_by_label_contains("Loaded 5 points");
    assert!(h.state().wants_builtin_chooser());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A large problem (300 training points) does not start by itself, also when it comes back
/// from the autosave: the window shows the exact program's size, memory and time and proposes
/// sampled patterns; choosing them starts the solver. A build can be cancelled, and Step starts
/// it again.
#[test]
fn large_problems_ask_first_and_can_be_cancelled() {
    use convex_nn_explorer::app::AppOptions;
    use convex_nn_explorer::geometry::PatternMode;
    let dir = std::env::temp_dir().join(format!("cne-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let autosave = dir.join("session.json");
    session(Preset::Spiral, 300, true).save(&autosave).unwrap();
    let restored = App::restored(AppOptions {
        autosave: Some(autosave),
        autoplay: false,
        repaint: None,
    });
    let mut h = harness(restored);
    h.run_steps(3);
    assert!(h.state().size_gate.is_some(), "no size warning");
    assert!(!h.state().playing);
    assert!(h.state().history.iterates.is_empty() && h.state().problem.is_none());
    h.get_by_label_contains("89702 regions");
    h.get_by_label("Start anyway");
    h.get_by_label("Use sampled patterns (P = 2000)").click();
    h.step();
    assert!(h.state().size_gate.is_none());
    assert_eq!(
        h.state().session.solver.patterns,
        PatternMode::Sampled {
            count: 2000,
            seed: 0
        }
    );
    wait(&mut h, "the sampled problem", |a| a.problem.is_some());
    // Cancel a build in progress; Step starts it again.
    h.state_mut().changed(convex_nn_explorer::app::Restart::All);
    h.state_mut().flush_pending();
    assert!(h.state().build_started.is_some());
    h.step(); // draws the progress line (building 300 points takes far longer than a frame)
    h.get_by_label("Cancel").click();
    h.step();
    assert!(h.state().build_started.is_none() && h.state().problem.is_none());
    h.step();
    h.get_by_label_contains("Stopped before the first iterate");
    h.get_by_label("Step").click();
    wait(&mut h, "the restarted problem", |a| a.problem.is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// At the certified optimum the certificate plot shows, by default, the dual point that
/// certifies the lower bound: named apart from the network's own residual, with the same
/// `c/β` as the status line, its map never above 1, and the exact directions where it touches
/// 1 (★) under the neurons. The residual is one choice away, named as such.
#[test]
fn certificate_shows_the_certifying_dual_point_and_its_tight_set() {
    use convex_nn_explorer::formulation::DualChoice;
    let mut h = harness(app(session(Preset::Xor, 24, false)));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.state_mut().session.view.speed = 0;
    h.get_by_label("Play").click();
    wait(&mut h, "convergence", |a| {
        a.convex_status == Some(convex_nn_explorer::solve::Status::Converged)
    });
    h.run_steps(3);
    let a = h.state();
    let it = *a.history.iterates.last().unwrap();
    let snap = a.history.snapshot_at(it.iter).unwrap().clone();
    let view = snap.certificate(0, DualChoice::Certifying);
    assert_eq!(view.choice, DualChoice::Certifying);
    assert!((view.c_over_beta - it.certificate).abs() <= 1e-12 * it.certificate.abs());
    assert!(
        view.grid.values.iter().all(|v| v.abs() <= 1.0 + 1e-9),
        "the certifying map exceeds 1"
    );
    assert!(!view.near_max.is_empty());
    // Every drawn neuron sits on an exact direction where the certifying map is within 1e-3 of 1.
    for m in &view.markers {
        let n = (m.u[0] * m.u[0] + m.u[1] * m.u[1] + m.u[2] * m.u[2]).sqrt();
        let on = view
            .near_max
            .iter()
            .any(|s| (s[0] * m.u[0] + s[1] * m.u[1] + s[2] * m.u[2]) / n > 1.0 - 1e-6);
        assert!(on, "neuron {:?} is not on the tight set", m.neuron);
    }
    // The status line and the plot give the same number under the same name.
    let line = h
        .get_by_label_contains("certifying dual c/β")
        .accesskit_node()
        .value()
        .unwrap_or_default();
    let shown: f64 = line
        .split("certifying dual c/β ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!((shown - view.c_over_beta).abs() <= 1e-3, "{line}");
    h.get_by_label_contains(&format!("c/β = {:.6}: dual feasible", view.c_over_beta));
    // The residual is named as the network's own.
    h.get_by_label("shown").click();
    h.run_steps(2);
    h.get_by_label("this network's residual").click();
    h.run_steps(2);
    assert_eq!(h.state().panel_state.dual_choice, DualChoice::Residual);
    let r = snap.certificate(0, DualChoice::Residual);
    h.get_by_label_contains(&format!("c(r)/β = {:.6}", r.c_over_beta));
}
