//! Headless UI tests: `egui_kittest` drives the real `App::ui` — the same function the
//! window runs — by label, and image snapshots render each plot on the CPU.

use std::time::{Duration, Instant};

use convex_nn_explorer::app::session::Session;
use convex_nn_explorer::app::{App, AppOptions, DialogKind, PlotId, panels};
use convex_nn_explorer::data::{Preset, PresetParams, generate};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

pub(crate) fn session(preset: Preset, n: usize, sgd: bool) -> Session {
    let mut s = Session::default();
    s.data.preset = preset;
    s.data.params = PresetParams {
        n,
        noise: 0.05,
        seed: 1,
    };
    s.data.dataset = generate(preset, &s.data.params).unwrap();
    s.sgd.enabled = sgd;
    s.sgd.seeds = 2;
    s.sgd.width = 8;
    s
}

pub(crate) fn app(s: Session) -> App {
    App::new(
        s,
        AppOptions {
            autosave: None,
            autoplay: false,
            repaint: None,
        },
    )
}

pub(crate) fn harness(a: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(|ui, app: &mut App| app.ui(ui), a)
}

/// Runs frames until `cond` holds (the solvers run on their own threads).
pub(crate) fn wait(h: &mut Harness<'_, App>, what: &str, cond: impl Fn(&App) -> bool) {
    let t0 = Instant::now();
    while !cond(h.state()) {
        if t0.elapsed() > Duration::from_secs(120) {
            let a = h.state();
            panic!(
                "timed out waiting for {what}: last iteration {}, last epoch {}, snapshots at {:?}, \
                 status {:?}, playing {}, problem {}",
                a.history.last_iter(),
                a.history.last_epoch(),
                a.history
                    .snapshots
                    .iter()
                    .map(|s| s.iter)
                    .collect::<Vec<_>>(),
                a.convex_status,
                a.playing,
                a.problem.is_some()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    h.step();
}

/// Picks `choice` in the combo box labelled `combo`, as a user would (open, click), and lets
/// the debounced restart happen at once.
fn choose(h: &mut Harness<'_, App>, combo: &str, choice: &str) {
    // The side panel scrolls: bring the combo box on screen first.
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, combo)
        .scroll_to_me();
    // (scrolling is animated)
    h.run_steps(10);
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, combo)
        .click();
    h.run_steps(3);
    h.get_by_label(choice).click();
    h.run_steps(3);
}

/// Plays to the end of the run and the separate optimum solve; asserts the run is certified to
/// 1e-6 and its interval overlaps the optimum's. Returns the last iterate and the optimum.
fn play_to_the_certified_end(
    h: &mut Harness<'_, App>,
) -> (
    convex_nn_explorer::solve::Iterate,
    std::sync::Arc<convex_nn_explorer::formulation::Optimum>,
) {
    h.get_by_label("Play").click();
    wait(h, "the end of the run", |a| {
        a.convex_status.is_some() && a.optimum.is_some()
    });
    let a = h.state();
    assert_eq!(
        a.convex_status,
        Some(convex_nn_explorer::solve::Status::Converged)
    );
    let it = *a.history.iterates.last().unwrap();
    let opt = a.optimum.clone().unwrap();
    assert!(it.rel_gap <= 1e-6 && opt.bounds.rel_gap() <= 1e-6);
    assert!(it.lower <= opt.bounds.upper * (1.0 + 1e-9));
    assert!(opt.bounds.lower <= it.upper * (1.0 + 1e-9));
    (it, opt)
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cne-ui-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

#[test]
fn choosing_a_preset_shows_its_points() {
    let mut h = harness(app(session(Preset::Spiral, 30, false)));
    h.step();
    h.get_by_label_contains("30 points (30 train, 0 test)");
    h.get_by_label("Preset").click();
    h.run_steps(3);
    h.get_by_label("xor").click();
    h.run_steps(2);
    // xor's default size is 80 points.
    assert_eq!(h.state().session.data.preset, Preset::Xor);
    assert_eq!(h.state().session.data.dataset.len(), 80);
    h.get_by_label_contains("80 points (80 train, 0 test)");
    // The edit restarts the solvers after the debounce.
    wait(&mut h, "the restarted problem", |a| {
        a.problem.as_ref().is_some_and(|p| p.n == 80)
    });
}

#[test]
fn step_advances_the_iteration_and_the_objective() {
    let mut h = harness(app(session(Preset::Xor, 24, false)));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    assert!(h.state().history.iterates.is_empty());
    h.get_by_label("Step").click();
    wait(&mut h, "iteration 1", |a| a.history.last_iter() == 1);
    h.get_by_label_contains("iter 1 · upper");
    let first = h.state().history.iterates[0];
    for _ in 0..3 {
        h.get_by_label("Step").click();
        h.step();
    }
    wait(&mut h, "iteration 4", |a| a.history.last_iter() == 4);
    h.get_by_label_contains("iter 4 · upper");
    let fourth = h.state().history.iterates[3];
    assert!(first.upper.is_finite() && fourth.upper.is_finite());
    // Every step is certified in the app: both bounds are those of the current iterate.
    assert_eq!((first.checked_at, fourth.checked_at), (1, 4));
    assert_ne!(
        first.convex_objective, fourth.convex_objective,
        "the objective did not change"
    );
    assert!(fourth.lower >= first.lower - 1e-12 || fourth.upper != first.upper);
}

#[test]
fn malformed_csv_shows_an_error_and_keeps_the_data() {
    let mut h = harness(app(session(Preset::Moons, 20, false)));
    h.step();
    let before = h.state().session.data.dataset.clone();
    // The button only asks the shell for a dialog (tests never open one).
    h.get_by_label("Load CSV…").click();
    h.step();
    assert_eq!(h.state().dialog_request, Some(DialogKind::OpenCsv));
    h.state_mut().dialog_request = None;
    let bad = tmp("bad.csv");
    std::fs::write(&bad, "x1,x2,y\n0.5,1.0,1\n0.3,oops,-1\n").unwrap();
    h.state_mut().dialog_done(DialogKind::OpenCsv, bad);
    h.step();
    h.get_by_label_contains("Could not load the dataset");
    h.get_by_label_contains("bad.csv:3");
    assert_eq!(h.state().session.data.dataset, before);
    h.get_by_label_contains("20 points (20 train, 0 test)");
}

#[test]
fn session_save_and_load_round_trip() {
    let mut s = session(Preset::Circles, 25, true);
    s.solver.log_beta = -1.5;
    s.data.test_fraction = 0.2;
    let mut h = harness(app(s));
    h.step();
    let path = tmp("session.json");
    h.state_mut()
        .dialog_done(DialogKind::SaveSession, path.clone());
    h.step();
    h.get_by_label_contains("Saved session");
    let saved = h.state().session.clone();
    // Change things, then load the file back.
    h.get_by_label("Clear").click();
    h.step();
    assert!(h.state().session.data.dataset.is_empty());
    h.state_mut().session.solver.log_beta = 0.5;
    h.state_mut().dialog_done(DialogKind::OpenSession, path);
    h.step();
    assert_eq!(h.state().session, saved);
    h.get_by_label_contains("25 points (20 train, 5 test)");
    // Undo goes back to the cleared data (loading is an edit like any other).
    h.get_by_label("Undo").click();
    h.step();
    assert!(h.state().session.data.dataset.is_empty());
}

#[test]
fn scrubbing_back_shows_the_earlier_state() {
    let mut h = harness(app(session(Preset::Xor, 24, false)));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    for _ in 0..8 {
        h.get_by_label("Step").click();
        h.step();
    }
    wait(&mut h, "iteration 8", |a| {
        a.history.last_iter() == 8 && a.history.snapshot_at(8).is_some_and(|s| s.iter == 8)
    });
    h.get_by_label_contains("iter 8 · upper");
    let late = h.state().history.snapshot_at(8).unwrap().clone();
    for _ in 0..5 {
        h.key_press(egui::Key::ArrowLeft);
        h.step();
    }
    assert_eq!(h.state().shown_iter(), 3);
    h.get_by_label_contains("iter 3 · upper");
    let early = h.state().history.snapshot_at(3).unwrap().clone();
    assert!(early.iter <= 3 && late.iter == 8);
    assert_ne!(early.relu().unwrap().network, late.relu().unwrap().network);
    let upper3 = h.state().history.iterate_at(3).unwrap().upper;
    h.get_by_label_contains(&format!("upper {upper3:.6}"));
    // → moves forward through the history, "Live" returns to the newest.
    h.key_press(egui::Key::ArrowRight);
    h.step();
    assert_eq!(h.state().shown_iter(), 4);
    h.get_by_label("Live").click();
    h.step();
    assert_eq!(h.state().shown_iter(), 8);
}

#[test]
fn degenerate_data_fail_clearly_without_panicking() {
    // One point, one class.
    let mut s = session(Preset::Xor, 24, true);
    s.data.dataset.x.truncate(1);
    s.data.dataset.y.truncate(1);
    let mut h = harness(app(s));
    wait(&mut h, "the one-point problem", |a| {
        a.problem.is_some() || !a.messages.is_empty()
    });
    h.get_by_label("Step").click();
    wait(&mut h, "a step", |a| {
        a.history.last_iter() >= 1 || !a.messages.is_empty()
    });
    // Empty data: a visible message, no panic.
    h.get_by_label("Clear").click();
    h.step();
    h.state_mut().flush_pending();
    h.step();
    assert!(
        h.query_all_by_label_contains("The dataset is empty")
            .next()
            .is_some()
    );
    assert!(
        h.state()
            .messages
            .iter()
            .any(|m| m.error && m.text.contains("empty"))
    );
    // Multi-class data: the convex ReLU model says why it cannot train them.
    let mut s = session(Preset::Blobs3, 30, false);
    s.data.dataset = generate(Preset::Blobs3, &s.data.params).unwrap();
    let mut h = harness(app(s));
    h.step();
    assert!(
        h.query_all_by_label_contains("This dataset has 3 classes")
            .next()
            .is_some()
    );
}

/// Image snapshots of each plot on a fixed dataset (xor, 24 points, 30 ADMM iterations,
/// SGD off, the certified optimum in place).
#[test]
fn plot_snapshots_render_headless() {
    let mut a = app(session(Preset::Xor, 24, false));
    let t0 = Instant::now();
    while a.optimum.is_none() || a.problem.is_none() || a.history.snapshots.is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(120));
        std::thread::sleep(Duration::from_millis(5));
        a.logic();
    }
    for _ in 0..30 {
        a.step_forward();
        let t = Instant::now();
        let target = a.history.last_iter() + 1;
        while a.history.last_iter() < target
            || a.history
                .snapshot_at(target)
                .is_none_or(|s| s.iter != target)
        {
            assert!(t.elapsed() < Duration::from_secs(60));
            std::thread::sleep(Duration::from_millis(2));
            a.logic();
        }
    }
    // The heatmap samples feasible directions, so it never exceeds the exact maximum c(v)/β.
    for s in &a.history.snapshots {
        let grid = &s.relu().unwrap().residual.grid;
        assert!(grid.max_abs() <= s.bounds.certificate * (1.0 + 1e-9) + 1e-12);
    }
    let mut a = Some(a);
    let mut results = egui_kittest::SnapshotResults::new();
    for id in [
        PlotId::Boundary,
        PlotId::Regions,
        PlotId::Certificate,
        PlotId::Objective,
        PlotId::Neurons,
    ] {
        let mut h = Harness::builder()
            .with_size([520.0, 420.0])
            .wgpu()
            .build_ui_state(
                move |ui, app: &mut App| {
                    egui::CentralPanel::default_margins()
                        .show(ui, |ui| panels::show_plot(app, ui, id));
                },
                a.take().unwrap(),
            );
        h.run_steps(3);
        results.add(h.try_snapshot(format!("plot_{}", id.slug())));
        a = Some(h.into_state());
    }
    results.unwrap();
}

/// The example sessions in assets/sessions (used by the README screenshots and the frame-time
/// measurement). Regenerate with `cargo test --test ui -- --ignored write_example_sessions`.
fn example_sessions() -> Vec<(&'static str, Session)> {
    let mut spiral = session(Preset::Spiral, 60, true);
    spiral.sgd.width = 0;
    spiral.sgd.seeds = 5;
    spiral.view.speed = 2;
    let mut sine = session(Preset::RegressionSine, 50, true);
    sine.view.dark = false;
    sine.solver.log_beta = -2.0;
    sine.sgd.width = 0;
    let mut xor = session(Preset::Xor, 40, true);
    xor.solver.loss = convex_nn_explorer::model::Loss::Logistic;
    xor.view.line_space = true;
    xor.sgd.width = 0;
    xor.sgd.seeds = 4;
    xor.data.test_fraction = 0.25;
    let mut stress = session(Preset::Spiral, 200, true);
    stress.solver.patterns = convex_nn_explorer::geometry::PatternMode::Sampled {
        count: 2000,
        seed: 1,
    };
    stress.sgd.seeds = 10;
    stress.sgd.width = 50;
    stress.sgd.epochs = 20_000;
    stress.view.speed = 0;
    let mut poly = session(Preset::Xor, 40, true);
    poly.solver.model = "poly".into();
    poly.sgd.width = 0;
    poly.sgd.seeds = 4;
    poly.sgd.epochs = 3000;
    poly.view.speed = 2;
    let mut poly3 = session(Preset::Spiral3, 60, true);
    poly3.sgd.width = 0;
    poly3.sgd.epochs = 3000;
    poly3.solver.model = "poly".into();
    poly3.solver.log_beta = -2.0;
    poly3.view.speed = 2;
    let mut gap = session(Preset::Xor, 40, true);
    gap.view.log_gap = true;
    gap.view.speed = 0;
    gap.sgd.width = 0;
    gap.sgd.seeds = 4;
    let mut gated = session(Preset::Spiral, 40, true);
    gated.solver.model = "gated-relu".into();
    gated.sgd.width = 0;
    gated.sgd.seeds = 4;
    gated.view.speed = 2;
    let mut robust = session(Preset::Xor, 40, true);
    robust.solver.model = "robust-relu".into();
    robust.solver.loss = convex_nn_explorer::model::Loss::Hinge;
    robust.solver.epsilon = 0.05;
    robust.sgd.width = 0;
    robust.sgd.seeds = 4;
    robust.sgd.adversarial = convex_nn_explorer::app::session::AdversarialChoice::Pgd;
    robust.view.speed = 2;
    // Gradient descent stopping below the max margin (docs/math.md#max-margin): xor_6, 4 neurons,
    // β = 0 logistic GD from a small initialization; seed 2 stalls near 0.92 of the best margin
    // and the certificate of its dual estimate exceeds 1 (tests/integration/sgd.rs).
    let mut margin = session(Preset::Xor, 6, true);
    margin.data.dataset = crate::common::load_reference("datasets/xor_6.csv");
    margin.solver.model = "max-margin".into();
    margin.sgd.width = 4;
    margin.sgd.seeds = 3;
    margin.sgd.optimizer = convex_nn_explorer::solve::Optimizer::Gd;
    margin.sgd.lr = 0.1;
    margin.sgd.epochs = 100_000;
    margin.view.speed = 0;
    margin.view.log_gap = true;
    // The path-regularized three-layer network (docs/math.md#path3) on spiral_8, β = 0.1: its
    // certified optimum 16 % below the certified two-layer one, with Adam seeds of its smooth
    // form.
    let mut path3 = session(Preset::Spiral, 8, true);
    path3.data.dataset = crate::common::load_reference("datasets/spiral_8.csv");
    path3.solver.model = "path3".into();
    path3.solver.log_beta = -1.0;
    path3.sgd.width = 12;
    path3.sgd.seeds = 3;
    path3.sgd.optimizer = convex_nn_explorer::solve::Optimizer::Adam;
    path3.sgd.lr = 0.01;
    path3.sgd.epochs = 4000;
    path3.view.speed = 0;
    path3.view.log_gap = true;
    // The spiral figure of the path-regularization paper, on spiral_30_101 at β = 0.1: the
    // comparison window (two-layer weight decay, three-layer weight decay, three-layer path
    // regularization) over the certified two-layer program.
    let mut compare = session(Preset::Spiral, 30, false);
    compare.data.dataset = crate::common::load_reference("datasets/spiral_30_101.csv");
    compare.solver.log_beta = -1.0;
    compare.view.comparison = true;
    compare.view.speed = 0;
    // The working-set solver on the spiral (docs/math.md#working-set): every round an iterate,
    // the regions each round prices in drawn dashed (the README shows round 2).
    let mut working_set = session(Preset::Spiral, 60, false);
    working_set.solver.method = convex_nn_explorer::solve::driver::Method::WorkingSet;
    working_set.solver.snapshot_every = 1;
    working_set.view.speed = 0;
    vec![
        ("spiral_working_set", working_set),
        ("path3_spiral_comparison", compare),
        ("path3_spiral8", path3),
        ("maxmargin_counterexample", margin),
        ("robust_xor", robust),
        ("gated_spiral", gated),
        ("xor_log_gap", gap),
        ("poly_xor", poly),
        ("poly_spiral3", poly3),
        ("spiral", spiral),
        ("sine_light", sine),
        ("xor_linespace", xor),
        ("stress_200", stress),
    ]
}

#[test]
#[ignore]
fn write_example_sessions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sessions");
    for (name, s) in example_sessions() {
        s.save(&dir.join(format!("{name}.json"))).unwrap();
    }
}

#[test]
fn example_sessions_load_and_match_their_generator() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sessions");
    for (name, s) in example_sessions() {
        let loaded = Session::load(&dir.join(format!("{name}.json"))).unwrap();
        assert_eq!(loaded.data.dataset.len(), s.data.dataset.len(), "{name}");
        assert_eq!(loaded.solver, s.solver, "{name}");
        assert_eq!(loaded.sgd, s.sgd, "{name}");
    }
}

/// A valid-JSON session whose sizes exceed the limits (a 10⁹-neuron SGD width, 10⁸ sampled
/// patterns, 10⁹ classes) is refused when loaded; as an autosave it is kept aside and reported,
/// so the app never loops on its own autosave.
#[test]
fn sessions_beyond_the_limits_are_refused() {
    let base = Session::default();
    let mut huge_width = base.clone();
    huge_width.sgd.width = 1_000_000_000;
    let mut huge_sampled = base.clone();
    huge_sampled.solver.patterns = convex_nn_explorer::geometry::PatternMode::Sampled {
        count: 100_000_000,
        seed: 1,
    };
    let mut huge_eps = base.clone();
    huge_eps.solver.epsilon = 1e9;
    let mut classes = base.to_json().unwrap();
    classes = classes.replacen("\"Binary\"", "{\"MultiClass\": 1000000000}", 1);
    let texts = [
        huge_width.to_json().unwrap(),
        huge_sampled.to_json().unwrap(),
        huge_eps.to_json().unwrap(),
        classes,
    ];
    for (k, text) in texts.iter().enumerate() {
        assert!(Session::from_json(text, "test").is_err(), "case {k}");
        let path = tmp(&format!("limits/{k}/session.json"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        let a = App::restored(AppOptions {
            autosave: Some(path.clone()),
            autoplay: false,
            repaint: None,
        });
        assert!(
            a.messages.iter().any(|m| m.error),
            "case {k}: the refusal is shown"
        );
        assert!(
            path.with_extension("json.broken").exists(),
            "case {k}: kept aside"
        );
    }
}

#[test]
fn the_session_is_autosaved_and_restored() {
    let path = tmp("autosave/session.json");
    let options = AppOptions {
        autosave: Some(path.clone()),
        autoplay: false,
        repaint: None,
    };
    let mut a = App::restored(options.clone());
    let mut ds = a.session.data.dataset.clone();
    ds.x.push([0.25, -0.75]);
    ds.y.push(1.0);
    a.set_dataset(ds.clone());
    a.autosave_now();
    drop(a);
    let b = App::restored(options.clone());
    assert_eq!(b.session.data.dataset, ds);
    drop(b);
    // A broken autosave is kept aside and reported, never silently overwritten.
    std::fs::write(&path, "{ not json").unwrap();
    let c = App::restored(options);
    assert!(
        c.messages
            .iter()
            .any(|m| m.error && m.text.contains("could not be restored"))
    );
    assert!(path.with_extension("json.broken").exists());
}

#[test]
fn changing_beta_warm_starts_along_a_regularisation_path() {
    let mut h = harness(app(session(Preset::Xor, 24, false)));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    for _ in 0..3 {
        h.get_by_label("Step").click();
        h.step();
    }
    wait(&mut h, "iteration 3", |a| a.history.last_iter() == 3);
    h.state_mut().session.solver.log_beta = -2.0;
    h.state_mut()
        .changed(convex_nn_explorer::app::Restart::Beta);
    h.state_mut().flush_pending();
    wait(&mut h, "the β mark", |a| a.history.beta_marks.len() == 2);
    // The history is kept (same run), the new β is marked at iteration 3, and the next step
    // continues from iteration 4.
    assert_eq!(h.state().history.beta_marks[1], (3, 0.01));
    h.get_by_label("Step").click();
    wait(&mut h, "iteration 4", |a| {
        a.history.last_iter() == 4 && a.history.snapshot_at(4).is_some_and(|s| s.iter == 4)
    });
    assert_eq!(h.state().history.snapshot_at(4).unwrap().beta, 0.01);
}

#[test]
fn playing_reaches_the_certified_optimum() {
    let mut s = session(Preset::Spiral, 30, false);
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.get_by_label("Play").click();
    wait(&mut h, "the end of the run", |a| {
        a.convex_status.is_some() && a.optimum.is_some()
    });
    let a = h.state();
    assert_eq!(
        a.convex_status,
        Some(convex_nn_explorer::solve::Status::Converged)
    );
    let it = a.history.iterates.last().unwrap();
    let opt = a.optimum.as_ref().unwrap().bounds;
    // Both runs are certified to 1e-6: their intervals must overlap and be that tight.
    assert!(it.rel_gap <= 1e-6 && opt.rel_gap() <= 1e-6);
    assert!(it.lower <= opt.upper * (1.0 + 1e-9) && opt.lower <= it.upper * (1.0 + 1e-9));
    assert!(it.phase == convex_nn_explorer::solve::Phase::Polish || it.iter < 150);
    assert!(!a.playing);
}

fn click(
    h: &mut Harness<'_, App>,
    pos: egui::Pos2,
    button: egui::PointerButton,
    modifiers: egui::Modifiers,
) {
    h.hover_at(pos);
    h.step();
    for pressed in [true, false] {
        h.event_modifiers(
            egui::Event::PointerButton {
                pos,
                button,
                pressed,
                modifiers,
            },
            modifiers,
        );
        h.step();
    }
    h.step();
}

#[test]
fn drawing_on_the_boundary_plot_adds_points_and_undo_removes_them() {
    let mut h = harness(app(session(Preset::Blobs, 10, false)));
    // The layout settles once the first snapshot is in (rows above the plot appear with it):
    // the plot's rectangle is read after that.
    wait(&mut h, "the first snapshot", |a| {
        !a.history.snapshots.is_empty()
    });
    h.run_steps(3);
    let rect = h.state().plot_rects[&PlotId::Boundary];
    // An empty spot in the plot's lower-left quarter.
    let pos = egui::pos2(
        rect.left() + rect.width() * 0.2,
        rect.bottom() - rect.height() * 0.15,
    );
    let n0 = h.state().session.data.dataset.len();
    click(
        &mut h,
        pos,
        egui::PointerButton::Primary,
        egui::Modifiers::NONE,
    );
    assert_eq!(h.state().session.data.dataset.len(), n0 + 1);
    assert_eq!(*h.state().session.data.dataset.y.last().unwrap(), 1.0);
    click(
        &mut h,
        pos + egui::vec2(30.0, 0.0),
        egui::PointerButton::Secondary,
        egui::Modifiers::NONE,
    );
    assert_eq!(h.state().session.data.dataset.len(), n0 + 2);
    assert_eq!(*h.state().session.data.dataset.y.last().unwrap(), -1.0);
    click(
        &mut h,
        pos + egui::vec2(60.0, 0.0),
        egui::PointerButton::Primary,
        egui::Modifiers::SHIFT,
    );
    assert_eq!(h.state().session.data.dataset.len(), n0 + 3);
    assert_eq!(*h.state().session.data.dataset.y.last().unwrap(), -1.0);
    // Ctrl+click on the point just added deletes it.
    click(
        &mut h,
        pos + egui::vec2(60.0, 0.0),
        egui::PointerButton::Primary,
        egui::Modifiers::COMMAND,
    );
    assert_eq!(h.state().session.data.dataset.len(), n0 + 2);
    h.get_by_label_contains(&format!("{} points", n0 + 2));
    // Undo the deletion and the Shift+click: back to the two first points.
    h.get_by_label("Undo").click();
    h.step();
    assert_eq!(h.state().session.data.dataset.len(), n0 + 3);
    h.get_by_label("Undo").click();
    h.step();
    assert_eq!(h.state().session.data.dataset.len(), n0 + 2);
    h.get_by_label("Redo").click();
    h.step();
    assert_eq!(h.state().session.data.dataset.len(), n0 + 3);
}

#[test]
fn png_export_of_the_window_and_of_a_plot() {
    use convex_nn_explorer::app::ShotTarget;
    let a = app(session(Preset::Moons, 20, false));
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .wgpu()
        .build_ui_state(|ui, app: &mut App| app.ui(ui), a);
    h.run_steps(3);
    let window = tmp("window.png");
    let plot = tmp("boundary.png");
    h.state_mut()
        .dialog_done(DialogKind::Png(ShotTarget::Window), window.clone());
    h.run_steps(3);
    h.state_mut().dialog_done(
        DialogKind::Png(ShotTarget::Plot(PlotId::Boundary)),
        plot.clone(),
    );
    // The shot is taken at the end of the next frame, with that frame's layout.
    h.step();
    let rect = h.state().plot_rects[&PlotId::Boundary];
    h.run_steps(3);
    let w = image::open(&window).unwrap().to_rgba8();
    assert_eq!(w.dimensions(), (1280, 800));
    let p = image::open(&plot).unwrap().to_rgba8();
    let (pw, ph) = p.dimensions();
    assert!((pw as f32 - rect.width()).abs() <= 1.0 && (ph as f32 - rect.height()).abs() <= 1.0);
    // The crop is the plot, not an empty area: it has many distinct colours.
    let distinct: std::collections::HashSet<[u8; 4]> = p.pixels().map(|c| c.0).collect();
    assert!(distinct.len() > 50, "{} colours", distinct.len());
    assert!(
        h.state()
            .messages
            .iter()
            .any(|m| m.text.starts_with("Saved") && !m.error)
    );
}

/// The polynomial SDP in the window. Playing reaches the certified optimum (its
/// interval overlaps the separate optimum solve), the decomposition panel and the polynomial
/// neuron table are shown, and the SGD seeds (unit-norm + ℓ1) never beat the certified optimum.
#[test]
fn polynomial_sdp_plays_to_the_certified_optimum_with_its_decomposition() {
    let mut s = session(Preset::Xor, 40, true);
    s.solver.model = "poly".into();
    s.sgd.epochs = 300;
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.get_by_label("Play").click();
    wait(&mut h, "the end of the run", |a| {
        a.convex_status.is_some() && a.optimum.is_some()
    });
    wait(&mut h, "an SGD snapshot", |a| {
        a.history.sgd_snapshots.len() > 1
    });
    let a = h.state();
    assert_eq!(
        a.convex_status,
        Some(convex_nn_explorer::solve::Status::Converged)
    );
    let it = a.history.iterates.last().unwrap();
    let opt = a.optimum.as_ref().unwrap();
    assert!(opt.network.poly().is_some());
    assert!(it.rel_gap <= 1e-6 && opt.bounds.rel_gap() <= 1e-6);
    assert!(it.lower <= opt.bounds.upper * (1.0 + 1e-9));
    assert!(opt.bounds.lower <= it.upper * (1.0 + 1e-9));
    for snap in &a.history.sgd_snapshots {
        for b in &snap.bounds {
            assert!(
                b.upper >= opt.bounds.lower * (1.0 - 1e-9),
                "SGD below the optimum"
            );
            assert!(b.lower <= opt.bounds.upper * (1.0 + 1e-9));
        }
    }
    h.get_by_label_contains("Lifted matrices");
    assert!(h.query_all_by_label_contains("split step").count() >= 1);
    h.get_by_label_contains("certified optimum:");
}

/// Vector outputs in the window: a three-class preset solves one (Z₊, Z₋) pair per class, the
/// boundary shows the predicted class, and SGD trains one network per class.
#[test]
fn three_class_data_solve_with_vector_outputs() {
    let mut s = session(Preset::Blobs3, 30, true);
    s.solver.model = "poly".into();
    s.sgd.epochs = 200;
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.get_by_label("Play").click();
    wait(&mut h, "the end of the run", |a| {
        a.convex_status.is_some() && a.optimum.is_some()
    });
    wait(&mut h, "an SGD snapshot", |a| {
        a.history.sgd_snapshots.len() > 1
    });
    let a = h.state();
    // SGD on three outputs (one scalar network per class) never beats the certified optimum.
    let opt = a.optimum.as_ref().unwrap().bounds;
    for snap in &a.history.sgd_snapshots {
        for b in &snap.bounds {
            assert!(b.upper >= opt.lower * (1.0 - 1e-9));
            assert!(b.lower <= opt.upper * (1.0 + 1e-9));
        }
    }
    assert_eq!(
        a.convex_status,
        Some(convex_nn_explorer::solve::Status::Converged)
    );
    let snap = a.history.snapshots.last().unwrap();
    let detail = snap.poly().unwrap();
    assert_eq!(snap.classes, 3);
    assert_eq!(detail.networks.len(), 3);
    let acc = snap.train.as_ref().unwrap().accuracy;
    assert!(acc > 0.9, "train accuracy {acc}");
    h.get_by_label_contains("output (class)");
}

/// σ(t) = t² in its nuclear-norm form (FISTA on W): the run converges and its certified
/// interval overlaps the SDP optimum solved beside it (two algorithms, one value).
#[test]
fn nuclear_norm_form_agrees_with_the_sdp_optimum() {
    let mut s = session(Preset::Moons, 30, false);
    s.solver.model = "poly".into();
    s.solver.poly = convex_nn_explorer::model::PolyActivation::SQUARE;
    s.solver.poly_nuclear = true;
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.get_by_label_contains("nuclear-norm form");
    h.get_by_label("Play").click();
    wait(&mut h, "the end of the run", |a| {
        a.convex_status.is_some() && a.optimum.is_some()
    });
    let a = h.state();
    assert_eq!(
        a.convex_status,
        Some(convex_nn_explorer::solve::Status::Converged)
    );
    let it = a.history.iterates.last().unwrap();
    let opt = a.optimum.as_ref().unwrap().bounds;
    assert!(it.rel_gap <= 1e-6 && opt.rel_gap() <= 1e-6);
    assert!(it.lower <= opt.upper * (1.0 + 1e-9) && opt.lower <= it.upper * (1.0 + 1e-9));
    let snap = a.history.snapshots.last().unwrap();
    assert!(snap.poly().unwrap().networks[0].neurons.len() <= 3);
}

/// Degenerate data with the polynomial model: one point, duplicated points, one class (all
/// +1) and collinear points all run to a certified optimum with no error message.
#[test]
fn polynomial_model_handles_degenerate_data() {
    type Case = (&'static str, Vec<[f64; 2]>, Vec<f64>);
    let cases: Vec<Case> = vec![
        ("one point", vec![[0.3, -0.2]], vec![1.0]),
        (
            "duplicates",
            vec![[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [0.5, -0.5]],
            vec![1.0, 1.0, -1.0, -1.0, 1.0],
        ),
        (
            "one class",
            vec![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
            vec![1.0; 3],
        ),
        (
            "collinear",
            (0..8)
                .map(|i| [i as f64 * 0.2 - 0.7, i as f64 * 0.1])
                .collect(),
            (0..8)
                .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
                .collect(),
        ),
    ];
    for (name, x, y) in cases {
        let mut s = session(Preset::Xor, 10, false);
        s.solver.model = "poly".into();
        s.data.dataset = convex_nn_explorer::data::Dataset::new(
            x,
            y,
            convex_nn_explorer::data::TargetKind::Binary,
        )
        .unwrap();
        s.view.speed = 0;
        let mut h = harness(app(s));
        wait(&mut h, name, |a| {
            a.problem.is_some() || !a.messages.is_empty()
        });
        h.get_by_label("Play").click();
        wait(&mut h, name, |a| {
            (a.convex_status.is_some() && a.optimum.is_some()) || a.messages.iter().any(|m| m.error)
        });
        let a = h.state();
        assert!(
            !a.messages.iter().any(|m| m.error),
            "{name}: {:?}",
            a.messages.iter().map(|m| &m.text).collect::<Vec<_>>()
        );
        assert_eq!(
            a.convex_status,
            Some(convex_nn_explorer::solve::Status::Converged),
            "{name}"
        );
    }
}

/// Choosing Gated ReLU in the model list and playing: the run reaches a certified gap ≤ 1e-6 on
/// the gated program, its interval overlaps the separate optimum solve, that optimum is below
/// the ReLU optimum it relaxes (shown beside it), and the decomposed ReLU network is in the
/// snapshot (boundary legend and neuron table) — equal to the gated model on the training points.
#[test]
fn gated_relu_is_chosen_and_plays_to_a_certified_optimum() {
    let mut s = session(Preset::Spiral, 30, false);
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    choose(&mut h, "Model", "Gated ReLU (unconstrained)");
    assert_eq!(h.state().session.solver.model, "gated-relu");
    h.state_mut().flush_pending();
    wait(&mut h, "the gated problem", |a| {
        a.problem.is_some() && a.history.last_iter() == 0
    });
    let (_, opt) = play_to_the_certified_end(&mut h);
    let a = h.state();
    let (name, relu) = opt.relaxes.expect("the ReLU optimum beside the gated one");
    assert_eq!(name, "ReLU optimum");
    assert!(opt.bounds.upper <= relu.lower * (1.0 + 1e-9));
    let snap = a.history.snapshots.last().unwrap();
    let r = snap.relu().unwrap();
    let g = r.gated.as_ref().expect("a gated snapshot");
    assert!(!g.gates.is_empty() && !r.network.neurons.is_empty());
    // The decomposed network agrees with the gated model on the training points.
    let ds = &a.session.data.dataset;
    for (p, y) in ds.x.iter().zip(&ds.y) {
        let xt = [p[0], p[1], 1.0];
        let gated: f64 = g
            .gates
            .iter()
            .filter(|(gate, _)| convex_nn_explorer::vec3::dot3(&xt, gate) > 0.0)
            .map(|(_, u)| convex_nn_explorer::vec3::dot3(&xt, u))
            .sum();
        assert!(
            (r.network.eval(*p) - gated).abs() <= 1e-9,
            "at {p:?} (y = {y})"
        );
    }
    assert!(g.relu_bounds.upper >= relu.lower * (1.0 - 1e-9));
    h.get_by_label_contains("decomposed ReLU network");
    h.get_by_label_contains("ReLU optimum ∈");
}

/// Gated ReLU over sampled gates: the certificate row says how much of the sphere the sample
/// misses, below the scenario bound; the P-sweep window runs to the end, its objectives fall
/// with P and never beat the exact-gate optimum, and its violated fractions stay within the
/// scenario bound.
#[test]
fn sampled_gates_show_the_violation_and_the_p_sweep() {
    let mut s = session(Preset::Spiral, 16, false);
    s.solver.model = "gated-relu".into();
    s.solver.patterns = convex_nn_explorer::geometry::PatternMode::Sampled { count: 40, seed: 2 };
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.get_by_label("Play").click();
    wait(&mut h, "the end of the run", |a| a.convex_status.is_some());
    let a = h.state();
    let snap = a.history.snapshots.last().unwrap();
    let (v, b) = snap
        .relu()
        .unwrap()
        .gated
        .as_ref()
        .unwrap()
        .violation
        .unwrap();
    assert!((0.0..=1.0).contains(&v) && v <= b, "{v} {b}");
    h.get_by_label_contains("the map exceeds 1 on");
    h.get_by_label("P sweep…").click();
    h.run_steps(3);
    h.get_by_label("Run the sweep").click();
    let n = panels::scenario::COUNTS.len();
    wait(&mut h, "the sweep", |a| {
        a.panel_state.scenario.points.len() == n && !a.panel_state.scenario.running()
    });
    let st = &h.state().panel_state.scenario;
    assert!(st.error.is_none(), "{:?}", st.error);
    let exact = st.exact.unwrap();
    for w in st.points.windows(2) {
        assert!(w[1].objective <= w[0].objective * (1.0 + 2e-6));
    }
    for p in &st.points {
        assert!(p.objective >= exact.lower * (1.0 - 1e-9));
        assert!(p.violation_fraction <= p.scenario_bound, "{p:?}");
    }
    h.get_by_label("Run again");
}

/// The augmented Lagrangian chosen as the convex ReLU model's first-order solver: the ρ field
/// goes (it is ADMM's), the status line names δ, and playing reaches the same certified optimum
/// as the separate (ADMM) optimum solve.
#[test]
fn augmented_lagrangian_plays_to_the_certified_optimum() {
    let mut s = session(Preset::Xor, 24, false);
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    let has_rho = |h: &Harness<'_, App>| {
        h.query_by(|n| n.value().is_some_and(|v| v.starts_with("ρ ")))
            .is_some()
    };
    assert!(has_rho(&h), "ADMM shows its ρ");
    choose(&mut h, "method", "Augmented Lagrangian");
    assert_eq!(
        h.state().session.solver.method,
        convex_nn_explorer::solve::driver::Method::Al
    );
    assert!(!has_rho(&h), "ρ is ADMM's");
    h.state_mut().flush_pending();
    wait(&mut h, "the restarted problem", |a| {
        a.problem.is_some() && a.history.last_iter() == 0
    });
    h.get_by_label("Step").click();
    wait(&mut h, "one step", |a| a.history.last_iter() == 1);
    assert_eq!(
        h.state().history.iterates[0].phase,
        convex_nn_explorer::solve::Phase::AugLag
    );
    h.get_by_label_contains("(augmented Lagrangian)");
    h.get_by_label_contains("δ 10");
    // The optimum line is the exact program's, solved separately: both certified, overlapping.
    play_to_the_certified_end(&mut h);
}

/// Robust ReLU chosen in the model list, ε moved on its slider, played to a certified gap
/// ≤ 1e-6: the boxes' worst cases are in the snapshot (one per training point, inside its box),
/// the exact worst-case loss of the network shown equals its (RC) loss at the optimum, and the
/// legend row is on the boundary plot.
#[test]
fn robust_relu_plays_to_a_certified_optimum_with_boxes() {
    let mut s = session(Preset::Xor, 20, false);
    s.solver.loss = convex_nn_explorer::model::Loss::Hinge;
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    choose(&mut h, "Model", "Robust ReLU (ℓ∞ adversarial)");
    assert_eq!(h.state().session.solver.model, "robust-relu");
    // The ε slider: focused and moved with the arrow keys, as a keyboard user would.
    let before = h.state().session.solver.epsilon;
    h.get_by_role_and_label(egui::accesskit::Role::Slider, "ε (ℓ∞ box radius)")
        .focus();
    h.run_steps(2);
    for _ in 0..3 {
        h.key_press(egui::Key::ArrowRight);
        h.run_steps(2);
    }
    let eps = h.state().session.solver.epsilon;
    assert!(eps > before, "ε moved: {before} → {eps}");
    h.state_mut().flush_pending();
    wait(&mut h, "the robust problem", |a| {
        a.problem.is_some() && a.history.last_iter() == 0
    });
    let (it, _) = play_to_the_certified_end(&mut h);
    let a = h.state();
    let snap = a.history.snapshots.last().unwrap();
    let r = snap.relu().unwrap();
    let rv = r.robust.as_ref().expect("a robust snapshot");
    assert_eq!(rv.eps, eps);
    assert_eq!(rv.worst.len(), a.session.data.dataset.len());
    assert!(
        rv.worst
            .iter()
            .all(|d| d[0].abs() <= eps + 1e-12 && d[1].abs() <= eps + 1e-12)
    );
    let penalty = r.network.weight_decay(snap.beta);
    assert!(
        (rv.robust_loss + penalty - it.upper).abs() <= 1e-6 * it.upper.max(1.0),
        "exact worst case {} + penalty {penalty} vs (RC) {}",
        rv.robust_loss,
        it.upper
    );
    assert!(rv.usable < rv.patterns);
    h.get_by_label_contains(&format!("ε-boxes (ε = {eps})"));
    h.get_by_label_contains("exact worst case: loss");
}

/// Small wording: one loaded point is "1 point", not "1 points".
#[test]
fn one_loaded_point_reads_singular() {
    let path = tmp("one_point.csv");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "0.5,0.5,1\n").unwrap();
    let mut a = app(session(Preset::Xor, 12, false));
    a.load_csv(&path);
    assert!(
        a.messages
            .iter()
            .any(|m| m.text.starts_with("Loaded 1 point from")),
        "{:?}",
        a.messages.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
}

/// The gradient-flow geometry panel (docs/math.md#max-margin): on orthogonal-separable data a
/// β = 0 GD seed on the exponential loss (chosen in the side panel) ends certified as a global
/// max-margin network; the certificate panel shows its dual estimate; the panel switches to the
/// neuron table.
#[test]
fn gradient_flow_panel_certifies_gd_on_orthogonal_data() {
    let mut s = session(Preset::OrthogonalSeparable, 20, true);
    s.solver.model = "max-margin".into();
    s.sgd.width = 10;
    s.sgd.seeds = 1;
    s.sgd.optimizer = convex_nn_explorer::solve::Optimizer::Gd;
    s.sgd.lr = 0.1;
    s.sgd.epochs = 20_000;
    s.view.speed = 0;
    // Tall enough that the side panel's SGD section is on screen without scrolling.
    let mut h = Harness::builder()
        .with_size([1280.0, 1400.0])
        .build_ui_state(|ui, app: &mut App| app.ui(ui), app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.get_by_label("SGD").click();
    h.run_steps(3);
    choose(&mut h, "loss (β = 0)", "exponential");
    assert_eq!(
        h.state().session.sgd.margin_loss,
        convex_nn_explorer::solve::maxmargin::MarginLoss::Exponential
    );
    h.state_mut().flush_pending();
    wait(&mut h, "the new problem", |a| a.problem.is_some());
    h.get_by_label("Play").click();
    // The last epoch's scalars arrive before its snapshot (certified on the worker): wait for
    // both.
    wait(&mut h, "the optimum and the last epoch's snapshot", |a| {
        a.optimum.is_some()
            && a.history.last_epoch() >= 20_000
            && a.history
                .sgd_snapshots
                .last()
                .is_some_and(|s| s.epoch >= 20_000)
    });
    h.run_steps(3);
    h.get_by_label_contains("seed 1: ✔ global max-margin certified");
    // The same verdict from the numbers: margin × p*_lower ≥ 0.99, certificate ratio ≈ 1.
    let a = h.state();
    let snap = a.history.sgd_snapshots.last().unwrap();
    let margin = 1.0 / snap.bounds[0].upper;
    assert!(margin * a.optimum.as_ref().unwrap().bounds.lower >= 0.99);
    let ratio = snap.score.as_ref().unwrap().values[0];
    assert!((1.0 - 1e-9..=1.01).contains(&ratio), "{ratio}");
    // The certificate panel switched to the seed's own dual estimate (map maximum 1).
    choose(&mut h, "map of", "seed 1: dual estimate");
    assert_eq!(h.state().panel_state.margin.dual_seed, Some(0));
    h.get_by_label_contains("seed 1 at epoch 20000: map max 1");
    h.get_by_label("neuron table").click();
    h.run_steps(3);
    assert!(h.state().panel_state.margin.table);
    h.get_by_label("u₃ (bias)");
}

/// The path-regularized three-layer model, picked from the model list, plays to a certified
/// optimum with the certified two-layer optimum beside it (never below it), and its panels show
/// the bound-setting block and the sub-networks; beyond the exact size the restricted program
/// runs and says it is not certified.
#[test]
fn path3_plays_to_a_certified_optimum_beside_the_two_layer_one() {
    let mut s = session(Preset::Xor, 6, true);
    s.sgd.width = 6;
    s.sgd.epochs = 300;
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    choose(&mut h, "Model", "Path-regularized 3-layer");
    assert_eq!(h.state().session.solver.model, "path3");
    h.state_mut().flush_pending();
    wait(&mut h, "the three-layer problem", |a| {
        a.problem.is_some() && a.history.last_iter() == 0
    });
    let (_, opt) = play_to_the_certified_end(&mut h);
    let (_, two) = opt.relaxes.expect("the two-layer optimum");
    assert!(two.lower >= opt.bounds.upper * (1.0 - 1e-9));
    h.run_steps(3);
    h.get_by_label_contains("block η =");
    h.get_by_label_contains("sub-networks,");
    // Twenty points: beyond the exact program's size, the restricted program.
    let mut big = session(Preset::Xor, 20, false);
    big.solver.model = "path3".into();
    let mut h = harness(app(big));
    wait(&mut h, "the restricted problem", |a| a.problem.is_some());
    h.get_by_label("Play").click();
    wait(&mut h, "the end of the restricted run", |a| {
        a.convex_status.is_some() && a.optimum.is_some()
    });
    h.run_steps(3);
    let a = h.state();
    let opt = a.optimum.clone().unwrap();
    assert!(!opt.certified && a.certified_optimum().is_none());
    let (_, two) = opt.relaxes.unwrap();
    assert!(opt.bounds.upper <= two.upper * (1.0 + 1e-9));
    // The objective header, the solver's stats, the certificate panel.
    h.get_by_label(&format!(
        "restricted program: {:.6} (not certified)",
        opt.bounds.upper
    ));
    h.get_by_label_contains("– (not certified)");
    h.get_by_label_contains("restricted program: no certificate");
}

/// The comparison window (docs/math.md#path3), opened from the path-regularized model's panel on
/// eight XOR points: three boundaries arrive, the two-layer and path-regularized ones certified
/// (the path-regularized objective never above the two-layer one), the three-layer
/// weight-decay one marked as having no certificate; closing it clears the session flag.
#[test]
fn comparison_window_fits_the_three_models() {
    let mut s = session(Preset::Xor, 8, false);
    s.solver.model = "path3".into();
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.get_by_label("Compare with weight decay…").click();
    h.run_steps(3);
    assert!(h.state().session.view.comparison);
    wait(&mut h, "the three models", |a| {
        a.panel_state.compare.models.iter().all(|m| m.is_some())
    });
    h.run_steps(3);
    let m = &h.state().panel_state.compare.models;
    let (two, pr) = (m[0].as_ref().unwrap(), m[2].as_ref().unwrap());
    assert!(two.lower_bound.is_some() && pr.lower_bound.is_some());
    assert!(m[1].as_ref().unwrap().lower_bound.is_none());
    assert!(pr.objective <= two.objective * (1.0 + 1e-9));
    h.get_by_label_contains("best of 4 Adam runs");
    assert!(h.query_all_by_label_contains("training accuracy").count() == 3);
}

/// Dragging a point (as the boundary plot does: move, restart) re-certifies the optimum from the
/// previous working set: after each move the app's certified interval intersects a cold solve's
/// of the same training data.
#[test]
fn dragging_a_point_re_certifies_the_optimum() {
    use convex_nn_explorer::app::Restart;
    use convex_nn_explorer::model::Loss;
    use convex_nn_explorer::solve::working_set::{WorkingSetSettings, WorkingSetSolver};
    let mut a = app(session(Preset::Xor, 30, false));
    let wait = |a: &mut App| {
        let t0 = Instant::now();
        while a.optimum.is_none() {
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "{:?}",
                a.optimum_error
            );
            std::thread::sleep(Duration::from_millis(2));
            a.logic();
        }
    };
    wait(&mut a);
    for step in 0..4 {
        a.session.data.dataset.x[5][0] += 0.04;
        a.session.data.dataset.x[5][1] -= 0.02;
        a.changed(Restart::All);
        a.flush_pending();
        assert!(
            a.optimum.is_none(),
            "the optimum of the old data is withdrawn"
        );
        wait(&mut a);
        let opt = a.optimum.clone().unwrap();
        let (train, _) = a.split();
        let ds = a.session.data.dataset.subset(&train);
        let mut cold = WorkingSetSolver::new(
            ds.x.clone(),
            ds.y.clone(),
            Loss::Squared,
            a.session.solver.beta(),
            WorkingSetSettings::default(),
        )
        .unwrap();
        while cold.step().is_some() {}
        let (w, c) = (opt.bounds, cold.bounds());
        assert!(w.rel_gap() <= 1e-6, "step {step}: {w:?}");
        let scale = c.upper.abs().max(1.0);
        assert!(
            w.lower <= c.upper + 1e-10 * scale && c.lower <= w.upper + 1e-10 * scale,
            "step {step}: app {w:?} vs cold {c:?}"
        );
    }
}

/// The working-set method in the window: every round is an iterate, the rounds that priced
/// regions in are marked, and at such a round the regions plot draws the priced directions and
/// says how many regions joined.
#[test]
fn working_set_rounds_show_the_regions_entering() {
    use convex_nn_explorer::solve::driver::Method;
    let mut s = session(Preset::Spiral, 40, false);
    s.solver.method = Method::WorkingSet;
    s.solver.snapshot_every = 1;
    let mut h = harness(app(s));
    let (it, _) = play_to_the_certified_end(&mut h);
    let a = h.state();
    let views: Vec<_> = a
        .history
        .snapshots
        .iter()
        .filter_map(|s| Some((s.iter, s.relu()?.working_set.clone()?)))
        .collect();
    assert!(!views.is_empty(), "snapshots carry the working set");
    // Every round but the last priced something in; the last added nothing (certified).
    let first = views.iter().find(|(_, w)| w.added > 0).unwrap().clone();
    assert!(!first.1.entered.is_empty() && first.1.entered.len() <= first.1.added);
    assert_eq!(views.last().unwrap().0, it.iter);
    assert_eq!(views.last().unwrap().1.added, 0);
    // Scrub to that round: the caption says what joined.
    h.state_mut().cursor = Some(first.0);
    h.run_steps(3);
    h.get_by_label_contains(&format!(
        "working set after round {}: {} regions, {} joined",
        first.1.round, first.1.regions, first.1.added
    ));
}

/// Replay: scrubbed back, Play walks the stored history forward at the chosen speed (it used to
/// jump to the newest step); "Replay" starts from step 0; Reset on a finished run rewinds to
/// step 0 and keeps the run.
#[test]
fn play_replays_the_history_and_reset_keeps_a_finished_run() {
    let mut s = session(Preset::Xor, 24, false);
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.get_by_label("Play").click();
    wait(&mut h, "the end of the run", |a| {
        a.convex_status.is_some() && !a.playing
    });
    let latest = h.state().history.latest();
    assert!(latest >= 10, "a run of {latest} steps");
    let last_upper = h.state().history.iterates.last().unwrap().upper;
    h.state_mut().session.view.speed = 1;
    for _ in 0..6 {
        h.key_press(egui::Key::ArrowLeft);
        h.step();
    }
    assert_eq!(h.state().shown_iter(), latest - 6);
    h.get_by_label("Play").click();
    // One step a frame: every stored step is shown on the way, then the newest, then it stops.
    let mut seen = vec![h.state().shown_iter()];
    for _ in 0..30 {
        h.step();
        seen.push(h.state().shown_iter());
        if !h.state().playing {
            break;
        }
    }
    assert!(!h.state().playing && !h.state().replaying);
    assert_eq!(h.state().cursor, None);
    let expected: Vec<usize> = (latest - 6..=latest).collect();
    seen.dedup();
    assert_eq!(seen, expected, "the replay shows each step in turn");
    // The run was not recomputed: same history, same last iterate.
    assert_eq!(h.state().history.latest(), latest);
    assert_eq!(h.state().history.iterates.last().unwrap().upper, last_upper);

    // "Replay" from step 0, with the status line saying so.
    h.get_by_label("Replay").click();
    h.step();
    assert!(h.state().replaying);
    assert!(h.state().shown_iter() <= 2);
    h.get_by_label_contains("replaying");
    h.step();
    h.get_by_label("Pause").click();
    h.step();
    let paused_at = h.state().shown_iter();
    assert!(paused_at < latest && !h.state().playing);

    // Reset on the finished run: back to step 0, the history kept.
    h.get_by_label("Reset").click();
    h.step();
    assert_eq!(h.state().shown_iter(), 0);
    assert_eq!(h.state().history.latest(), latest);
    assert_eq!(
        h.state().convex_status,
        Some(convex_nn_explorer::solve::Status::Converged)
    );
    // Play at the end of a finished run replays it from the start.
    h.get_by_label("Live").click();
    h.step();
    h.get_by_label("Play").click();
    h.step();
    assert!(h.state().replaying && h.state().shown_iter() < latest);
}

/// For a lecture: the controls panel folds away, one plot fills the plot area (its Max button;
/// a double-click on its title too, which kittest's clicks cannot make) and back, and the zoom (buttons or Ctrl +/−/0) scales
/// everything and is kept in the session.
#[test]
fn controls_collapse_plots_maximize_and_the_zoom_scales_everything() {
    let mut h = harness(app(session(Preset::Xor, 24, false)));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    let all = h.state().plot_rects.clone();
    assert_eq!(all.len(), 5);
    let boundary_w = all[&PlotId::Boundary].width();

    // Controls hidden: the plots take the room.
    assert!(h.query_by_label("Dataset").is_some());
    h.get_by_label("Controls").click();
    h.run_steps(2);
    assert!(h.state().session.view.hide_controls);
    assert!(h.query_by_label("Dataset").is_none());
    let wider = h.state().plot_rects[&PlotId::Boundary].width();
    assert!(wider > boundary_w + 50.0, "{boundary_w} → {wider}");

    // Max on the boundary plot (the first Max button): it alone fills the plot area.
    h.get_all_by_label("Max").next().unwrap().click();
    h.run_steps(2);
    assert_eq!(h.state().maximized, Some(PlotId::Boundary));
    let rects = h.state().plot_rects.clone();
    assert_eq!(rects.len(), 1, "only the maximized plot is drawn");
    let big = rects[&PlotId::Boundary];
    assert!(big.width() > 3.0 * wider && big.height() > 600.0, "{big:?}");
    h.get_by_label("All").click();
    h.run_steps(2);
    assert_eq!(h.state().maximized, None);
    assert_eq!(h.state().plot_rects.len(), 5);

    // Zoom: Ctrl + twice, then the 100 % button; the context follows the session.
    h.get_by_label("Controls").click();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Plus);
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Equals);
    h.run_steps(3);
    assert!((h.state().session.view.zoom - 1.2).abs() < 1e-6);
    assert!((h.ctx.zoom_factor() - 1.2).abs() < 1e-6);
    h.get_by_label("120 %").click();
    h.run_steps(3);
    assert!((h.state().session.view.zoom - 1.0).abs() < 1e-6);
    assert!((h.ctx.zoom_factor() - 1.0).abs() < 1e-6);
}

/// The playground toggles under the boundary plot: "Discretize output" and "Show test data"
/// (only offered when there are test points), kept in the session.
#[test]
fn discretize_and_show_test_toggles() {
    let mut s = session(Preset::Xor, 40, false);
    s.data.test_fraction = 0.25;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    assert!(!h.state().session.view.discretize && !h.state().session.view.hide_test);
    h.get_by_label("Discretize output").click();
    h.get_by_label("Show test data").click();
    h.run_steps(2);
    assert!(h.state().session.view.discretize);
    assert!(h.state().session.view.hide_test);
    // Without test points the toggle is not offered.
    let mut h = harness(app(session(Preset::Xor, 40, false)));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    assert!(h.query_by_label("Show test data").is_none());
    h.get_by_label("Discretize output");
}

/// Learner notes beside the data: points at one position with different labels are named, as
/// are labels read as class numbers with empty classes in between.
#[test]
fn learner_notes_show_beside_the_data() {
    use convex_nn_explorer::data::{Dataset, TargetKind};
    let mut s = session(Preset::Xor, 20, false);
    let mut x = s.data.dataset.x.clone();
    let mut y = s.data.dataset.y.clone();
    x.push(x[0]);
    y.push(-y[0]);
    s.data.dataset = Dataset::new(x, y, TargetKind::Binary).unwrap();
    let mut h = harness(app(s));
    h.run_steps(3);
    h.get_by_label_contains("Note: 1 position holds 2 points with different targets");
    let mut s = session(Preset::Xor, 20, false);
    s.data.dataset = Dataset::new(
        vec![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
        vec![1.0, 2.0, 5.0, 1.0],
        TargetKind::MultiClass(6),
    )
    .unwrap();
    let mut h = harness(app(s));
    h.run_steps(3);
    h.get_by_label_contains("Note: labels 1, 2, 5 are read as class numbers 0…5");
}

/// A click on a neuron's row shows that neuron's own output α(uᵀx̃)₊ in the boundary plot (with
/// what it is and a way back); a second click, or "Whole network", shows the network again.
#[test]
fn clicking_a_neuron_shows_its_own_output() {
    use convex_nn_explorer::app::panels::neurons::Source;
    let mut s = session(Preset::Xor, 20, false);
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.get_by_label("Play").click();
    wait(&mut h, "a converged run", |a| {
        a.optimum.is_some()
            && a.history
                .snapshots
                .last()
                .is_some_and(|s| s.bounds.rel_gap() < 1e-3)
    });
    h.run_steps(3);
    let net = h
        .state()
        .history
        .snapshot_at(h.state().shown_iter())
        .and_then(|s| s.relu().map(|r| r.network.clone()))
        .unwrap();
    // The largest neuron (the table's first row).
    let i = (0..net.neurons.len())
        .max_by(|&a, &b| {
            let w = |k: usize| net.neurons[k].norm_u() * net.neurons[k].alpha.abs();
            w(a).total_cmp(&w(b))
        })
        .unwrap();
    let alpha = net.neurons[i].alpha;
    assert!(h.query_by_label_contains("alone, α·(uᵀx̃)₊").is_none());
    h.get_by_label(&format!("neuron {} row", i + 1)).click();
    h.run_steps(3);
    assert_eq!(
        h.state().panel_state.focus_neuron,
        Some((Source::Convex, i))
    );
    h.get_by_label_contains(&format!(
        "Neuron {} alone, α·(uᵀx̃)₊ with α = {alpha:+.3} (the convex iterate)",
        i + 1
    ));
    h.get_by_label("Whole network").click();
    h.run_steps(3);
    assert_eq!(h.state().panel_state.focus_neuron, None);
    assert!(h.query_by_label_contains("alone, α·(uᵀx̃)₊").is_none());
    // The row toggles too.
    h.get_by_label(&format!("neuron {} row", i + 1)).click();
    h.run_steps(2);
    assert!(h.state().panel_state.focus_neuron.is_some());
    h.get_by_label(&format!("neuron {} row", i + 1)).click();
    h.run_steps(2);
    assert_eq!(h.state().panel_state.focus_neuron, None);
}

/// The objective plot's "Train/test loss" view: its curves are the loss per point of the
/// shown networks on the training and on the test points (checked here from the networks
/// themselves), with SGD seeds beside the solver's network.
#[test]
fn train_and_test_loss_curves_over_the_iterations() {
    use convex_nn_explorer::app::panels::losses;
    use convex_nn_explorer::model::Loss;
    let mut s = session(Preset::Xor, 40, true);
    s.data.test_fraction = 0.25;
    s.sgd.epochs = 200;
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    assert!(h.query_by_label("Train/test loss vs iteration").is_none());
    h.get_by_label("Train/test loss").click();
    h.run_steps(2);
    assert!(h.state().session.view.loss_curves);
    h.get_by_label("Train/test loss vs iteration");
    h.get_by_label("Play").click();
    wait(&mut h, "iterates and SGD epochs", |a| {
        a.history.snapshots.len() >= 3 && a.history.sgd_snapshots.len() >= 3
    });
    h.get_by_label("Pause").click();
    h.run_steps(2);
    let a = h.state();
    let c = losses::curves(a);
    let (train, test) = a.split();
    let ds = &a.session.data.dataset;
    let (trn, tst) = (ds.subset(&train), ds.subset(&test));
    let per_point = |net: &convex_nn_explorer::model::ReluNetwork,
                     d: &convex_nn_explorer::data::Dataset| {
        Loss::Squared.total(&net.predict(&d.x), &d.y) / d.len() as f64
    };
    // The solver's network at the last snapshot.
    let last = a.history.snapshots.last().unwrap();
    let net = &last.relu().unwrap().network;
    let [x, y] = *c.convex_train.last().unwrap();
    assert_eq!(x, last.iter as f64);
    assert!((10f64.powf(y) / per_point(net, &trn) - 1.0).abs() < 1e-9);
    let [_, y] = *c.convex_test.last().unwrap();
    assert!((10f64.powf(y) / per_point(net, &tst) - 1.0).abs() < 1e-9);
    // Each SGD seed, at its last snapshot.
    let sl = a.history.sgd_snapshots.last().unwrap();
    assert_eq!(c.sgd.len(), sl.networks.len());
    for (k, (tr_curve, te_curve)) in c.sgd.iter().enumerate() {
        let net = sl.networks[k].relu().unwrap();
        let [_, y] = *tr_curve.last().unwrap();
        assert!((10f64.powf(y) / per_point(net, &trn) - 1.0).abs() < 1e-9);
        let [_, y] = *te_curve.last().unwrap();
        assert!((10f64.powf(y) / per_point(net, &tst) - 1.0).abs() < 1e-9);
    }
    // Back to the objective.
    h.get_by_label("Train/test loss").click();
    h.run_steps(2);
    h.get_by_label("Objective vs iteration");
}

/// A certified optimum that fits few training points says why: the quadratic activation on
/// three spirals (its boundaries are conics), a ReLU network under a large β (the weight decay);
/// a ReLU optimum that fits gets no note.
#[test]
fn a_poor_fit_at_the_certified_optimum_is_explained() {
    let mut poly = session(Preset::Spiral3, 60, false);
    poly.solver.model = "poly".into();
    poly.solver.log_beta = -2.0;
    poly.view.speed = 0;
    let mut relu_large_beta = session(Preset::Xor, 30, false);
    relu_large_beta.solver.log_beta = 1.0;
    relu_large_beta.view.speed = 0;
    let mut relu_fits = session(Preset::Xor, 30, false);
    relu_fits.solver.log_beta = -3.0;
    relu_fits.view.speed = 0;
    for (s, expect) in [
        (poly, Some("quadratic function of x")),
        (relu_large_beta, Some("Lower β to fit more")),
        (relu_fits, None),
    ] {
        let mut h = harness(app(s));
        wait(&mut h, "the problem", |a| a.problem.is_some());
        h.get_by_label("Play").click();
        wait(&mut h, "a converged run", |a| a.convex_status.is_some());
        h.run_steps(3);
        let a = h.state();
        assert_eq!(
            a.convex_status,
            Some(convex_nn_explorer::solve::Status::Converged)
        );
        let acc = a.history.snapshots.last().unwrap().train.unwrap().accuracy;
        match expect {
            Some(why) => {
                assert!(acc < 0.9, "{acc}");
                h.get_by_label_contains(&format!(
                    "classifies only {:.0} % of the training points",
                    100.0 * acc
                ));
                h.get_by_label_contains(why);
            }
            None => {
                assert!(acc >= 0.9, "{acc}");
                assert!(h.query_by_label_contains("classifies only").is_none());
            }
        }
    }
}

/// Editing while paused keeps the last picture: the boundary plot shows the network from before
/// the edit (named as such) until the new run has an iterate beyond the zero network; Step
/// brings the new run's own picture.
#[test]
fn a_paused_edit_keeps_the_last_picture_until_the_new_run_has_one() {
    let mut s = session(Preset::Xor, 30, false);
    s.view.speed = 0;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.get_by_label("Play").click();
    wait(&mut h, "a converged run", |a| a.convex_status.is_some());
    h.run_steps(2);
    let before = h.state().history.snapshots.last().unwrap().clone();
    assert!(before.iter > 0 && !h.state().playing);
    assert!(h.query_by_label_contains("from before the edit").is_none());
    h.state_mut().session.data.dataset.x[0][0] += 0.3;
    h.state_mut().changed(convex_nn_explorer::app::Restart::All);
    h.state_mut().flush_pending();
    wait(&mut h, "the new problem", |a| a.problem.is_some());
    h.run_steps(3);
    // The new run has only its zero network; the picture is the old one, and says so.
    assert_eq!(h.state().history.latest(), 0);
    let shown = h.state().stale_picture().unwrap().clone();
    assert!(std::sync::Arc::ptr_eq(&shown, &before));
    h.get_by_label_contains(&format!(
        "The network of iteration {} from before the edit",
        before.iter
    ));
    h.get_by_label("Step").click();
    wait(&mut h, "an iterate of the new run", |a| {
        a.history.latest() > 0
    });
    h.run_steps(2);
    assert!(h.state().stale_picture().is_none());
    assert!(h.query_by_label_contains("from before the edit").is_none());
}

/// The program's terms are linked to the plots both ways: hovering a term highlights exactly
/// its support at the shown iterate (Dᵢ: the points neuron i is on for; the group norm: every
/// neuron it charges; the cone constraint: the points where it is tight; the dual constraint:
/// its level set), and hovering a neuron lights up its block and pattern.
#[test]
fn hovering_a_term_highlights_its_support() {
    use convex_nn_explorer::app::panels::formula::{self, Term};
    use std::collections::BTreeSet;
    let mut s = session(Preset::Xor, 30, false);
    s.solver.log_beta = -2.0;
    s.view.speed = 0;
    let mut h = Harness::builder()
        .with_size([1280.0, 1100.0])
        .build_ui_state(|ui, app: &mut App| app.ui(ui), app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    h.get_by_label("Play").click();
    wait(&mut h, "a converged run", |a| a.convex_status.is_some());
    h.run_steps(3);
    let net = h
        .state()
        .history
        .snapshots
        .last()
        .unwrap()
        .relu()
        .unwrap()
        .network
        .clone();
    let x = h.state().session.data.dataset.x.clone();
    let pre = |i: usize, p: [f64; 2]| {
        let u = net.neurons[i].u;
        u[0] * p[0] + u[1] * p[1] + u[2]
    };
    let share = |i: usize| net.neurons[i].norm_u() * net.neurons[i].alpha.abs();
    let largest = (0..net.neurons.len())
        .max_by(|&a, &b| share(a).total_cmp(&share(b)))
        .unwrap();
    // Dᵢ: the points where neuron i's pre-activation is positive, and neuron i everywhere.
    h.get_by_label("Dᵢ").hover();
    h.run_steps(2);
    let hl = formula::current(h.state());
    assert_eq!(hl.term, Some(Term::Pattern));
    let i = hl.block.unwrap();
    assert_eq!(i, largest);
    let support: BTreeSet<usize> = (0..x.len()).filter(|&j| pre(i, x[j]) > 0.0).collect();
    assert!(!support.is_empty() && support.len() < x.len());
    assert_eq!(hl.points.iter().copied().collect::<BTreeSet<_>>(), support);
    // Its cell in line space: the region whose pattern is exactly that support.
    let d = convex_nn_explorer::geometry::Bitset::from_bools(
        (0..x.len()).map(|j| support.contains(&j)),
    );
    assert_eq!(
        hl.cell,
        Some(convex_nn_explorer::geometry::grid::fingerprint(&d))
    );
    assert_eq!(
        h.state().hovered,
        Some(convex_nn_explorer::app::NeuronRef::Convex(i))
    );
    // The group norm: every neuron with a non-zero block, none other.
    h.get_by_label("β Σᵢ (‖vᵢ‖ + ‖wᵢ‖)").hover();
    h.run_steps(2);
    let hl = formula::current(h.state());
    let charged: BTreeSet<usize> = (0..net.neurons.len()).filter(|&k| share(k) > 0.0).collect();
    assert!(charged.len() > 1);
    assert_eq!(
        hl.neurons.iter().map(|n| n.0).collect::<BTreeSet<_>>(),
        charged
    );
    assert!(hl.points.is_empty());
    // The cone constraint: the points on neuron i's line (where it is tight).
    h.get_by_label("(2Dᵢ − I) X̃ vᵢ ≥ 0").hover();
    h.run_steps(2);
    let hl = formula::current(h.state());
    let i = hl.block.unwrap();
    let tight: BTreeSet<usize> = (0..x.len())
        .filter(|&j| {
            let size = (x[j][0].powi(2) + x[j][1].powi(2) + 1.0).sqrt();
            pre(i, x[j]).abs() <= 1e-6 * net.neurons[i].norm_u() * size
        })
        .collect();
    assert!(
        !tight.is_empty(),
        "an optimum's neuron presses against a facet here"
    );
    assert_eq!(hl.points.iter().copied().collect::<BTreeSet<_>>(), tight);
    // The dual constraint: the certificate plot's level set, nothing in the data plane.
    h.get_by_label("|vᵀ(X̃u)₊| ≤ β  for ‖u‖ ≤ 1").hover();
    h.run_steps(2);
    let hl = formula::current(h.state());
    assert!(hl.dual_level_set && hl.points.is_empty() && hl.neurons.is_empty());
    // The other way: a neuron under the pointer lights its block and its pattern.
    let other = (0..net.neurons.len())
        .filter(|&k| k != largest && share(k) > 1e-3 * share(largest))
        .max_by(|&a, &b| share(a).total_cmp(&share(b)))
        .unwrap();
    h.get_by_label(&format!("neuron {} row", other + 1)).hover();
    h.run_steps(2);
    let lit = formula::lit_terms(h.state());
    assert!(
        lit.contains(&Term::Block) && lit.contains(&Term::Pattern),
        "{lit:?}"
    );
    h.get_by_label_contains(&format!("i = {}: the neuron under the pointer", other + 1));
}

/// The preset thumbnails pick a preset as the list does.
#[test]
fn preset_thumbnails_pick_a_preset() {
    let mut h = harness(app(session(Preset::Spiral, 30, false)));
    h.run_steps(2);
    for p in Preset::ALL {
        h.get_by_label(&format!("{} preset", p.name()));
    }
    h.get_by_label("moons preset").click();
    h.run_steps(2);
    assert_eq!(h.state().session.data.preset, Preset::Moons);
    assert_eq!(
        h.state().session.data.dataset.len(),
        Preset::Moons.default_params().n
    );
    h.get_by_label("spiral3 preset").click();
    h.run_steps(2);
    assert_eq!(h.state().session.data.preset, Preset::Spiral3);
}
