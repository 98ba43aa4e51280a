//! The desktop explorer: a thin eframe/egui shell over the library. The state lives in
//! [`App`]; [`App::ui`] is a plain function of it so the real window and the headless
//! `egui_kittest` tests drive the same code. Solvers run on worker threads ([`worker`]); every
//! panel draws the run's [`history`] at one iteration cursor.

pub mod file_chooser;
pub mod history;
pub mod job;
pub mod panels;
pub mod session;
pub mod worker;

use std::path::{Path, PathBuf};

use eframe::egui;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use crate::data::{Dataset, LabelMode, TargetKind, read_csv};
use crate::formulation::{self, Formulation, Optimum, ProblemInfo, ProblemInput, ViewSpec};
use crate::solve::Status;
use history::History;
use session::Session;
use worker::{Cmd, Event, Repaint, Role, Sink, Worker};

/// Debounce before edits restart the solvers.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// How the app is started.
#[derive(Clone, Default)]
pub struct AppOptions {
    /// Where the session is autosaved and restored from (`None`: no autosave, e.g. in tests).
    pub autosave: Option<PathBuf>,
    /// Start playing immediately.
    pub autoplay: bool,
    /// Wakes the UI from worker threads (`None`: nothing, e.g. in tests).
    pub repaint: Option<Repaint>,
}

/// A file dialog the shell should open (never opened by [`App::ui`] itself, so tests never
/// block on one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialogKind {
    /// Load a CSV dataset.
    OpenCsv,
    /// Save the dataset as CSV.
    SaveCsv,
    /// Load a session.
    OpenSession,
    /// Save the session.
    SaveSession,
    /// Export the history as CSV.
    HistoryCsv,
    /// Export the history as JSON.
    HistoryJson,
    /// Save a PNG of the window or of one plot.
    Png(ShotTarget),
}

/// What a PNG export captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShotTarget {
    /// The whole window.
    Window,
    /// One plot.
    Plot(PlotId),
}

/// The plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlotId {
    /// Decision boundary.
    Boundary,
    /// Objective vs iteration.
    Objective,
    /// Arrangement regions.
    Regions,
    /// Dual certificate.
    Certificate,
    /// Neuron table.
    Neurons,
}

impl PlotId {
    /// File-name friendly name.
    pub fn slug(&self) -> &'static str {
        match self {
            Self::Boundary => "boundary",
            Self::Objective => "objective",
            Self::Regions => "regions",
            Self::Certificate => "certificate",
            Self::Neurons => "neurons",
        }
    }
}

/// A neuron that can be hovered: of the convex iterate, or of SGD seed `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeuronRef {
    /// Neuron `i` of the convex solver's network.
    Convex(usize),
    /// Neuron `i` of SGD seed `k` (0-based).
    Sgd(usize, usize),
}

/// A message shown in the window.
#[derive(Debug, Clone)]
pub struct Message {
    /// Text.
    pub text: String,
    /// Error (red) or information.
    pub error: bool,
}

/// What a pending restart must redo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Restart {
    /// Only the SGD seeds.
    Sgd,
    /// β changed: warm-start the convex solver, restart SGD and the optimum.
    Beta,
    /// Everything.
    All,
}

/// The explorer.
pub struct App {
    /// The user's session (data and settings).
    pub session: Session,
    undo: Vec<Dataset>,
    redo: Vec<Dataset>,
    options: AppOptions,
    generation: u64,
    /// The generation of the live convex, SGD and optimum threads (events of others are stale).
    live: [u64; 3],
    events_tx: Sender<(u64, Event)>,
    events_rx: Receiver<(u64, Event)>,
    convex: Option<Worker>,
    sgd: Option<Worker>,
    optimum_worker: Option<Worker>,
    retired: Vec<Worker>,
    /// The current run.
    pub history: History,
    /// Facts about the current problem.
    pub problem: Option<Arc<ProblemInfo>>,
    /// The certified optimum of the current problem.
    pub optimum: Option<Arc<Optimum>>,
    /// Why the optimum is missing.
    pub optimum_error: Option<String>,
    /// Final status of the convex solver, once reached.
    pub convex_status: Option<Status>,
    /// The picture before the last restart: the snapshot that was shown and the kind of model
    /// it came from. The boundary plot keeps showing its network over the edited data until
    /// the new run has an iterate beyond the zero network (paused, that is until Play or Step).
    pub stale_picture: Option<(formulation::ModelKind, Arc<formulation::Snapshot>)>,
    /// The kind of model of the convex run shown.
    run_kind: formulation::ModelKind,
    /// SGD did all its epochs.
    pub sgd_done: bool,
    /// Width SGD runs with.
    pub sgd_width: Option<usize>,
    convex_busy: bool,
    sgd_busy: bool,
    free_running: bool,
    /// Playing.
    pub playing: bool,
    /// Playing through the stored history (the cursor advances at the chosen speed) rather than
    /// running the solvers; at the newest step the live run takes over if it has work left.
    pub replaying: bool,
    /// The iteration shown (`None`: follow the newest).
    pub cursor: Option<usize>,
    /// The plot shown alone over the whole plot area (double-click a title, or its Max button).
    pub maximized: Option<PlotId>,
    pending: Option<(Instant, Restart)>,
    /// Messages shown at the top of the plots.
    pub messages: Vec<Message>,
    /// A dialog the shell should open.
    pub dialog_request: Option<DialogKind>,
    /// A screenshot to take at the end of this frame: target and destination.
    pub shot_request: Option<(ShotTarget, PathBuf)>,
    shot_tx: Sender<Message>,
    shot_rx: Receiver<Message>,
    /// Screen rectangles of the plots in the last frame.
    pub plot_rects: std::collections::HashMap<PlotId, egui::Rect>,
    /// The neuron under the pointer (from the previous frame).
    pub hovered: Option<NeuronRef>,
    hover_next: Option<NeuronRef>,
    drag: Option<usize>,
    /// The optimum's working-set solver, kept between restarts (a warm start while dragging).
    warm: crate::formulation::WarmSlot,
    /// State of the panels: plot fits, texture caches, selections.
    pub panel_state: panels::PanelState,
    /// A large problem waiting for the user's go-ahead (nothing runs meanwhile).
    pub size_gate: Option<formulation::SizeWarning>,
    /// The training-set size the user confirmed starting.
    pub confirmed_size: Option<usize>,
    /// When the current problem started building (cleared by its first facts).
    pub build_started: Option<Instant>,
    /// The in-window file chooser, while it is open.
    pub file_chooser: Option<file_chooser::FileChooser>,
    /// The desktop's file dialog failed once (no portal): use the in-window chooser from now on.
    pub native_dialogs_unavailable: bool,
    /// Where the in-window chooser opens: the folder of the last file chosen (else the current
    /// directory).
    pub chooser_dir: Option<PathBuf>,
    /// Time spent building the last frame's UI, milliseconds.
    pub ui_ms: f64,
    /// Total CPU time of the previous frame reported by eframe (incl. tessellation), ms.
    pub frame_ms: Option<f64>,
    /// Worst frame time over the last second.
    pub frame_ms_max: f64,
    frame_window: Vec<(Instant, f64)>,
    frame_log: Option<std::fs::File>,
    session_changed: bool,
    last_autosave: Instant,
}

impl App {
    /// A new app showing `session`.
    pub fn new(session: Session, options: AppOptions) -> Self {
        let (events_tx, events_rx) = channel();
        let (shot_tx, shot_rx) = channel();
        let frame_log =
            std::env::var_os("CONVEX_NN_FRAME_LOG").and_then(|p| std::fs::File::create(p).ok());
        let mut app = Self {
            session,
            undo: Vec::new(),
            redo: Vec::new(),
            playing: options.autoplay,
            replaying: false,
            options,
            generation: 0,
            live: [0; 3],
            events_tx,
            events_rx,
            convex: None,
            sgd: None,
            optimum_worker: None,
            retired: Vec::new(),
            history: History::default(),
            problem: None,
            optimum: None,
            optimum_error: None,
            convex_status: None,
            stale_picture: None,
            run_kind: formulation::ModelKind::Relu,
            sgd_done: false,
            sgd_width: None,
            convex_busy: false,
            sgd_busy: false,
            free_running: false,
            cursor: None,
            maximized: None,
            pending: None,
            messages: Vec::new(),
            dialog_request: None,
            shot_request: None,
            shot_tx,
            shot_rx,
            plot_rects: Default::default(),
            hovered: None,
            hover_next: None,
            drag: None,
            warm: Default::default(),
            panel_state: panels::PanelState::default(),
            size_gate: None,
            confirmed_size: None,
            build_started: None,
            file_chooser: None,
            native_dialogs_unavailable: false,
            chooser_dir: None,
            ui_ms: 0.0,
            frame_ms: None,
            frame_ms_max: 0.0,
            frame_window: Vec::new(),
            frame_log,
            session_changed: false,
            last_autosave: Instant::now(),
        };
        app.restart(Restart::All);
        app
    }

    /// Starts from the autosaved session if there is a valid one (a broken autosave is kept
    /// aside as `session.json.broken` and reported, never silently lost).
    pub fn restored(options: AppOptions) -> Self {
        let mut note = None;
        let session = match options.autosave.as_deref() {
            Some(p) if p.exists() => match Session::load(p) {
                Ok(s) => s,
                Err(e) => {
                    let aside = p.with_extension("json.broken");
                    let _ = std::fs::rename(p, &aside);
                    note = Some(format!(
                        "The autosaved session could not be restored ({e}); it was kept as {}.",
                        aside.display()
                    ));
                    Session::default()
                }
            },
            _ => Session::default(),
        };
        let mut app = Self::new(session, options);
        if let Some(text) = note {
            app.error(text);
        }
        app
    }

    /// Shows an error message.
    pub fn error(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !self.messages.iter().any(|m| m.text == text) {
            self.messages.push(Message { text, error: true });
        }
        if self.messages.len() > 4 {
            self.messages.remove(0);
        }
    }

    /// Shows an information message.
    pub fn info(&mut self, text: impl Into<String>) {
        self.messages.push(Message {
            text: text.into(),
            error: false,
        });
        if self.messages.len() > 4 {
            self.messages.remove(0);
        }
    }

    // ------------------------------------------------------------------ data edits

    /// The train and test indices of the current dataset.
    pub fn split(&self) -> (Vec<usize>, Vec<usize>) {
        let d = &self.session.data;
        if d.test_fraction <= 0.0 || d.dataset.len() < 2 {
            return ((0..d.dataset.len()).collect(), Vec::new());
        }
        d.dataset.split_indices(d.test_fraction, d.split_seed)
    }

    /// Replaces the dataset (undoable) and schedules a restart.
    pub fn set_dataset(&mut self, ds: Dataset) {
        let old = std::mem::replace(&mut self.session.data.dataset, ds);
        if old != self.session.data.dataset {
            self.undo.push(old);
            if self.undo.len() > 200 {
                self.undo.remove(0);
            }
            self.redo.clear();
            self.changed(Restart::All);
        }
    }

    /// Undo the last data edit.
    pub fn undo(&mut self) {
        if let Some(prev) = self.undo.pop() {
            let cur = std::mem::replace(&mut self.session.data.dataset, prev);
            self.redo.push(cur);
            self.changed(Restart::All);
        }
    }

    /// Redo.
    pub fn redo(&mut self) {
        if let Some(next) = self.redo.pop() {
            let cur = std::mem::replace(&mut self.session.data.dataset, next);
            self.undo.push(cur);
            self.changed(Restart::All);
        }
    }

    /// Whether undo / redo are possible.
    pub fn can_undo_redo(&self) -> (bool, bool) {
        (!self.undo.is_empty(), !self.redo.is_empty())
    }

    /// Generates the chosen preset with its parameters.
    pub fn generate_preset(&mut self) {
        let d = &self.session.data;
        match crate::data::generate(d.preset, &d.params) {
            Ok(ds) => self.set_dataset(ds),
            Err(e) => self.error(format!("Cannot generate {}: {e}", d.preset.name())),
        }
    }

    /// Loads a CSV dataset; on error the data stay unchanged and the error is shown.
    pub fn load_csv(&mut self, path: &Path) {
        match read_csv(path, LabelMode::Auto) {
            Ok(mut ds) => {
                // With a multi-class formulation chosen, integer labels 0..C−1 (C ≥ 3) are
                // classes (docs/math.md#cli-contract).
                if self.formulation().is_some_and(|f| f.multiclass())
                    && let Some(c) = class_count(&ds.y)
                    && c >= 3
                {
                    ds.kind = TargetKind::MultiClass(c);
                }
                let n = ds.len();
                let warnings = ds.conditioning_warnings();
                self.set_dataset(ds);
                let points = if n == 1 { "point" } else { "points" };
                self.info(format!("Loaded {n} {points} from {}", path.display()));
                for w in warnings {
                    self.error(format!("Warning: {w}"));
                }
            }
            Err(e) => self.error(format!("Could not load the dataset: {e}")),
        }
    }

    /// Turns integer labels `0..C−1` into classes (the polynomial SDP's vector outputs); an
    /// error message otherwise. Undoable.
    pub fn to_classes(&mut self) {
        let ds = &self.session.data.dataset;
        match class_count(&ds.y) {
            Some(c) if c >= 2 => {
                let mut ds = ds.clone();
                ds.kind = TargetKind::MultiClass(c);
                self.set_dataset(ds);
            }
            _ => self.error(
                "To classes: every target must be an integer 0, 1, …, C−1 (C ≥ 2); ±1 labels \
                 are already a binary problem",
            ),
        }
    }

    /// Loads a session file (or a CSV, by extension).
    pub fn open_path(&mut self, path: &Path) {
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if !is_json {
            return self.load_csv(path);
        }
        match Session::load(path) {
            Ok(s) => {
                let old = self.session.data.dataset.clone();
                self.session = s;
                if old != self.session.data.dataset {
                    self.undo.push(old);
                }
                self.changed(Restart::All);
                self.info(format!("Opened session {}", path.display()));
            }
            Err(e) => self.error(format!("Could not open the session: {e}")),
        }
    }

    /// Saves the session.
    pub fn save_session(&mut self, path: &Path) {
        match self.session.save(path) {
            Ok(()) => self.info(format!("Saved session {}", path.display())),
            Err(e) => self.error(format!("Could not save the session: {e}")),
        }
    }

    fn write_text(&mut self, path: &Path, text: &str, what: &str) {
        match std::fs::write(path, text) {
            Ok(()) => self.info(format!("Saved {what} {}", path.display())),
            Err(e) => self.error(format!("Could not save {}: {e}", path.display())),
        }
    }

    /// Whether file dialogs should be the in-window chooser (chosen, or the desktop has none).
    pub fn wants_builtin_chooser(&self) -> bool {
        self.session.view.builtin_file_chooser || self.native_dialogs_unavailable
    }

    /// Opens the in-window file chooser for `kind` (in the current directory).
    pub fn open_builtin_chooser(&mut self, kind: DialogKind) {
        let dir = self
            .chooser_dir
            .clone()
            .or_else(|| std::env::current_dir().ok())
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("."));
        let preset = self.session.data.preset.name();
        self.file_chooser = Some(file_chooser::FileChooser::new(kind, preset, dir));
    }

    /// The desktop's file dialog returned without showing anything (no file-chooser portal):
    /// says so and continues with the in-window chooser.
    pub fn native_dialog_unavailable(&mut self, kind: DialogKind) {
        self.native_dialogs_unavailable = true;
        self.info(
            "This desktop offers no file chooser (no portal answered), so the one drawn in the \
             window is used instead.",
        );
        self.open_builtin_chooser(kind);
    }

    /// Acts on a path picked in a dialog.
    pub fn dialog_done(&mut self, kind: DialogKind, path: PathBuf) {
        self.chooser_dir = path.parent().map(Path::to_path_buf);
        match kind {
            DialogKind::OpenCsv => self.load_csv(&path),
            DialogKind::SaveCsv => {
                let text = crate::data::to_csv_string(&self.session.data.dataset);
                self.write_text(&path, &text, "dataset");
            }
            DialogKind::OpenSession => self.open_path(&path),
            DialogKind::SaveSession => self.save_session(&path),
            DialogKind::HistoryCsv => {
                let text = self.history.to_csv();
                self.write_text(&path, &text, "history");
            }
            DialogKind::HistoryJson => {
                let text = self.history.to_json();
                self.write_text(&path, &text, "history");
            }
            DialogKind::Png(target) => self.shot_request = Some((target, path)),
        }
    }

    // ------------------------------------------------------------------ runs

    /// Marks the session changed; the solvers restart after [`DEBOUNCE`].
    pub fn changed(&mut self, what: Restart) {
        self.session_changed = true;
        let what = match self.pending {
            Some((_, w)) => w.max(what),
            None => what,
        };
        self.pending = Some((Instant::now(), what));
    }

    /// Restarts now whatever is pending (tests and the "apply now" paths).
    pub fn flush_pending(&mut self) {
        if let Some((_, what)) = self.pending.take() {
            self.restart(what);
        }
    }

    /// Id of the convex run shown (keys cached textures).
    pub fn run_id(&self) -> u64 {
        self.live[0]
    }

    fn sink(&mut self, role: Role) -> Sink {
        self.generation += 1;
        self.live[role as usize] = self.generation;
        let repaint = self
            .options
            .repaint
            .clone()
            .unwrap_or_else(|| Arc::new(|| {}));
        Sink::new(self.generation, self.events_tx.clone(), repaint)
    }

    fn retire(&mut self, w: Option<Worker>) {
        if let Some(w) = w {
            w.stop();
            self.retired.push(w);
        }
    }

    /// The chosen formulation (`None` for a planned or unknown model id).
    pub fn formulation(&self) -> Option<&'static dyn Formulation> {
        formulation::by_id(&self.session.solver.model)
    }

    /// The optimum, when its lower bound is certified (a restricted program's is not).
    pub fn certified_optimum(&self) -> Option<&Arc<Optimum>> {
        self.optimum.as_ref().filter(|o| o.certified)
    }

    /// The earlier network the boundary plot shows while the new run has none beyond the zero
    /// network (see [`App::stale_picture`]); `None` once it has, or for another kind of model.
    pub fn stale_picture(&self) -> Option<&Arc<formulation::Snapshot>> {
        let (kind, s) = self.stale_picture.as_ref()?;
        (self.history.latest() == 0 && *kind == self.model_kind()).then_some(s)
    }

    /// The kind of model chosen (ReLU panels for a planned or unknown id).
    pub fn model_kind(&self) -> formulation::ModelKind {
        self.formulation()
            .map_or(formulation::ModelKind::Relu, |f| f.kind())
    }

    /// Current problem input (training points), for work outside the live solvers.
    pub(crate) fn problem_input(&self) -> Result<ProblemInput, String> {
        self.input()
    }

    /// Current problem input (training points).
    fn input(&self) -> Result<ProblemInput, String> {
        let s = &self.session;
        let (train, _) = self.split();
        let ds = s.data.dataset.subset(&train);
        if ds.is_empty() {
            return Err("The dataset is empty: draw or load some points.".into());
        }
        let multiclass = self.formulation().is_some_and(|f| f.multiclass());
        let classes = match ds.kind {
            TargetKind::MultiClass(c) if multiclass => c.max(1),
            _ => 1,
        };
        if let TargetKind::MultiClass(c) = ds.kind
            && !multiclass
        {
            return Err(format!(
                "This dataset has {c} classes; the convex ReLU network has one output \
                 (binary ±1 or regression targets). Multi-class data arrive with the \
                 polynomial SDP's vector outputs."
            ));
        }
        Ok(ProblemInput {
            x: ds.x,
            y: ds.y,
            loss: s.solver.loss,
            beta: s.solver.beta(),
            patterns: s.solver.patterns,
            rho: s.solver.rho,
            method: s.solver.method,
            epsilon: s.solver.epsilon,
            tol: s.solver.tol,
            poly: formulation::PolyOptions {
                activation: s.solver.poly,
                regularizer: s.solver.poly_reg,
                nuclear: s.solver.poly_nuclear,
            },
            classes,
            exact: Default::default(),
            warm: self.warm.clone(),
        })
    }

    fn view_spec(&self) -> ViewSpec {
        let (_, test) = self.split();
        let ds = &self.session.data.dataset;
        let t = ds.subset(&test);
        ViewSpec {
            extent: panels::data_extent(ds),
            t_max: panels::t_max(ds),
            test_x: t.x,
            test_y: t.y,
        }
    }

    /// Stops everything pending and starts what `what` asks for.
    pub fn restart(&mut self, what: Restart) {
        self.pending = None;
        let input = match self.input() {
            Ok(i) => i,
            Err(e) => {
                self.stop_all();
                self.history = History::default();
                self.problem = None;
                self.optimum = None;
                self.optimum_error = Some(e.clone());
                self.error(e);
                return;
            }
        };
        let Some(f) = self.formulation() else {
            self.stop_all();
            self.history = History::default();
            let id = &self.session.solver.model;
            match formulation::planned(id) {
                Some(p) => self.error(format!(
                    "{} is not in this build yet ({}).",
                    p.name, p.reason
                )),
                None => self.error(format!("Unknown model {id:?}")),
            }
            return;
        };
        if let Some(w) = f.size_warning(&input)
            && self.confirmed_size != Some(input.x.len())
        {
            // Nothing the user did not ask for runs on a large problem: ask first.
            self.stop_all();
            self.history = History::default();
            self.problem = None;
            self.optimum = None;
            self.optimum_error = None;
            self.build_started = None;
            self.size_gate = Some(w);
            return;
        }
        self.size_gate = None;
        let beta = input.beta;
        let warm = what == Restart::Beta && self.convex.as_ref().is_some_and(|w| !w.is_finished());
        // Without a live solver to warm-start, a β change starts from scratch.
        let what = if what == Restart::Beta && !warm {
            Restart::All
        } else {
            what
        };
        if what != Restart::Sgd {
            // The optimum (and SGD, whose objective depends on β) always restart.
            let w = self.optimum_worker.take();
            self.retire(w);
            self.optimum = None;
            self.optimum_error = None;
            let sink = self.sink(Role::Optimum);
            self.optimum_worker = Some(worker::spawn_optimum(f, input.clone(), sink));
        }
        if warm {
            if let Some(c) = &self.convex {
                c.send(Cmd::SetBeta(beta));
            }
            self.convex_status = None;
        } else if what == Restart::All {
            let w = self.convex.take();
            self.retire(w);
            // The network shown so far stays on screen until the new run has one of its own.
            if let Some(s) = self
                .history
                .snapshot_at(self.shown_iter())
                .filter(|s| s.iter > 0)
            {
                self.stale_picture = Some((self.run_kind, s.clone()));
            }
            self.run_kind = self.model_kind();
            self.history = History::default();
            self.history.beta_marks.push((0, beta));
            self.problem = None;
            self.convex_status = None;
            self.convex_busy = false;
            self.free_running = false;
            self.cursor = None;
            self.replaying = false;
            let sink = self.sink(Role::Convex);
            self.build_started = Some(Instant::now());
            self.convex = Some(worker::spawn_convex(
                f,
                input.clone(),
                self.view_spec(),
                self.session.solver.snapshot_every,
                sink,
            ));
        }
        // SGD restarts on every change (its objective depends on data, loss and β).
        let w = self.sgd.take();
        self.retire(w);
        self.history.sgd.clear();
        self.history.sgd_snapshots.clear();
        self.sgd_done = false;
        self.sgd_busy = false;
        self.sgd_width = None;
        self.start_sgd_if_ready(input);
        self.messages.retain(|m| !m.error);
    }

    /// Starts the large problem the size gate asked about.
    pub fn confirm_size(&mut self) {
        if let Ok(input) = self.input() {
            self.confirmed_size = Some(input.x.len());
        }
        self.restart(Restart::All);
    }

    /// Switches to 2000 sampled patterns (the size gate's proposal) and starts.
    pub fn use_sampled_instead(&mut self) {
        self.session.solver.patterns = crate::geometry::PatternMode::Sampled {
            count: 2000,
            seed: 0,
        };
        self.session_changed = true;
        self.confirm_size();
    }

    /// Stops a problem that is still being built (the user pressed Cancel); Step or Play
    /// starts it again.
    pub fn cancel_build(&mut self) {
        self.stop_all();
        self.build_started = None;
        self.history = History::default();
        self.problem = None;
        self.info("Stopped before the first iterate. Step or Play starts the solvers again.");
    }

    fn start_sgd_if_ready(&mut self, input: ProblemInput) {
        let c = &self.session.sgd;
        let Some(f) = self.formulation() else {
            return;
        };
        if !c.enabled || self.sgd.is_some() {
            return;
        }
        let width = if c.width > 0 {
            c.width
        } else if let Some(o) = &self.optimum {
            o.network.neurons().max(1)
        } else {
            return; // waits for the optimum's neuron count
        };
        let job = formulation::SgdJob {
            width,
            seeds: c.seeds,
            optimizer: c.optimizer,
            lr: c.lr,
            epochs: c.epochs,
            // Used by the formulations that train on attacks (the robust model).
            adversarial: c.adversarial.with_eps(self.session.solver.epsilon),
            // Used by the max-margin model's β = 0 runs.
            margin_loss: c.margin_loss,
        };
        let every = (self.session.solver.snapshot_every * 5).max(10);
        self.sgd_width = Some(width);
        let sink = self.sink(Role::Sgd);
        let view = self.view_spec();
        self.sgd = Some(worker::spawn_sgd(f, input, job, view, every, sink));
        self.free_running = false;
        self.sgd_busy = false;
    }

    fn stop_all(&mut self) {
        for w in [
            self.convex.take(),
            self.sgd.take(),
            self.optimum_worker.take(),
        ] {
            self.retire(w);
        }
        self.playing = false;
        self.replaying = false;
    }

    /// Handles worker events (within a time budget) and drives playing. Called once per frame
    /// before the UI is built.
    pub fn logic(&mut self) {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_millis(4) {
            let Ok((generation, ev)) = self.events_rx.try_recv() else {
                break;
            };
            if self.live.contains(&generation) {
                self.handle(ev);
            }
        }
        while let Ok(m) = self.shot_rx.try_recv() {
            self.messages.push(m);
        }
        self.retired.retain(|w| !w.is_finished());
        if let Some((at, _)) = self.pending
            && at.elapsed() >= DEBOUNCE
        {
            self.flush_pending();
        }
        if self.replaying {
            self.advance_replay();
        } else if self.playing {
            self.drive();
        }
        if let Some(p) = self.options.autosave.clone()
            && self.session_changed
            && self.last_autosave.elapsed() > Duration::from_secs(2)
        {
            self.session_changed = false;
            self.last_autosave = Instant::now();
            if let Err(e) = self.session.save(&p) {
                self.error(format!("Autosave failed: {e}"));
            }
        }
    }

    /// Saves the session now (on exit).
    pub fn autosave_now(&mut self) {
        if let Some(p) = self.options.autosave.clone() {
            let _ = self.session.save(&p);
        }
    }

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::Problem(p) => {
                self.problem = Some(p);
                self.build_started = None;
            }
            Event::Iterates(v) => self.history.iterates.extend(v),
            Event::Snapshot(s) => self.history.push_snapshot(s),
            Event::BetaChanged { iter, beta } => self.history.beta_marks.push((iter, beta)),
            Event::Finished(s) => self.convex_status = Some(s),
            Event::Idle(Role::Convex) => self.convex_busy = false,
            Event::Idle(_) => self.sgd_busy = false,
            Event::SgdStarted { width } => self.sgd_width = Some(width),
            Event::Sgd(v) => self.history.sgd.extend(v),
            Event::SgdSnapshot(s) => self.history.push_sgd_snapshot(s),
            Event::SgdDone => self.sgd_done = true,
            Event::Optimum(r) => match r {
                Ok(o) => {
                    self.optimum = Some(o);
                    if self.sgd.is_none()
                        && let Ok(input) = self.input()
                    {
                        self.start_sgd_if_ready(input);
                    }
                }
                Err(e) => self.optimum_error = Some(e),
            },
            Event::Error(role, e) => {
                let who = match role {
                    Role::Convex => "Solver",
                    Role::Sgd => "SGD",
                    Role::Optimum => "Optimum",
                };
                self.error(format!("{who}: {e}"));
                if role == Role::Convex {
                    self.playing = false;
                }
            }
        }
    }

    fn speed(&self) -> usize {
        self.session.view.speed
    }

    /// Sends work to the threads while playing.
    fn drive(&mut self) {
        let convex_live = self.convex.is_some() && self.convex_status.is_none();
        let sgd_live = self.sgd.is_some() && !self.sgd_done;
        let sgd_waiting = self.session.sgd.enabled && self.sgd.is_none() && self.optimum.is_none();
        if !convex_live && !sgd_live && !sgd_waiting {
            self.playing = false;
            self.free_running = false;
            return;
        }
        if self.speed() == 0 {
            if !self.free_running {
                for w in [&self.convex, &self.sgd].into_iter().flatten() {
                    w.send(Cmd::Run);
                }
                self.free_running = self.convex.is_some() || self.sgd.is_some();
            }
            return;
        }
        let k = self.speed();
        if convex_live
            && !self.convex_busy
            && let Some(w) = &self.convex
        {
            w.send(Cmd::Advance(k));
            self.convex_busy = true;
        }
        if sgd_live
            && !self.sgd_busy
            && let Some(w) = &self.sgd
        {
            w.send(Cmd::Advance(k));
            self.sgd_busy = true;
        }
    }

    /// Play / pause. Scrubbed back, Play replays the stored history from there at the chosen
    /// speed (then the live run goes on, if it has work left); at the end of a finished run it
    /// replays from the start.
    pub fn toggle_play(&mut self) {
        if self.playing {
            self.pause();
            return;
        }
        if self.cursor.is_some() {
            self.playing = true;
            self.replaying = true;
            return;
        }
        if self.run_finished() && self.history.latest() > 0 && self.pending.is_none() {
            self.replay_from_start();
            return;
        }
        self.playing = true;
        self.start_if_stopped();
    }

    /// Replays the stored history from step 0 at the chosen speed.
    pub fn replay_from_start(&mut self) {
        if self.history.latest() == 0 {
            return;
        }
        self.pause();
        self.cursor = Some(0);
        self.playing = true;
        self.replaying = true;
    }

    /// Whether neither the convex solver nor SGD has work left.
    pub fn run_finished(&self) -> bool {
        self.convex_status.is_some() && (self.sgd_done || self.sgd.is_none())
    }

    /// One frame of a replay: the cursor moves `speed` steps (at "max", the whole history in
    /// about two seconds); at the newest step the live run takes over, or playing stops.
    fn advance_replay(&mut self) {
        let latest = self.history.latest();
        let k = match self.speed() {
            0 => (latest / 50).max(1),
            k => k,
        };
        let t = self.cursor.unwrap_or(latest) + k;
        if t < latest {
            self.cursor = Some(t);
            return;
        }
        self.cursor = None;
        self.replaying = false;
        if self.run_finished() {
            self.playing = false;
        }
    }

    /// After a Cancel (no solver and nothing pending), Play and Step start the run again.
    fn start_if_stopped(&mut self) {
        if self.convex.is_none() && self.size_gate.is_none() && self.pending.is_none() {
            self.restart(Restart::All);
        }
    }

    /// Pause.
    pub fn pause(&mut self) {
        self.playing = false;
        self.replaying = false;
        self.free_running = false;
        for w in [&self.convex, &self.sgd].into_iter().flatten() {
            w.send(Cmd::Pause);
        }
    }

    /// → : forward one iteration (through the stored history first, then new iterations).
    pub fn step_forward(&mut self) {
        if let Some(t) = self.cursor {
            let next = t + 1;
            self.cursor = (next < self.history.latest()).then_some(next);
            return;
        }
        self.start_if_stopped();
        for (w, busy) in [
            (&self.convex, &mut self.convex_busy),
            (&self.sgd, &mut self.sgd_busy),
        ] {
            if let Some(w) = w {
                w.send(Cmd::Advance(1));
                *busy = true;
            }
        }
        if self.sgd_done {
            self.sgd_busy = false;
        }
    }

    /// ← : back one iteration in the history.
    pub fn step_back(&mut self) {
        let t = self.shown_iter();
        self.pause();
        self.cursor = Some(t.saturating_sub(1));
    }

    /// Home: back to iteration 0. A finished run of an unchanged problem is kept (the view
    /// rewinds to step 0, ready to replay); otherwise the run restarts from scratch.
    pub fn reset(&mut self) {
        self.pause();
        if self.run_finished() && self.pending.is_none() && self.history.latest() > 0 {
            self.cursor = Some(0);
            return;
        }
        self.restart(Restart::All);
    }

    /// The iteration the panels show.
    pub fn shown_iter(&self) -> usize {
        self.cursor
            .unwrap_or_else(|| self.history.latest())
            .min(self.history.latest())
    }

    /// Whether a restart is pending (debounce).
    pub fn restart_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Frame-time bookkeeping (the on-screen readout).
    fn record_frame(&mut self, ui_ms: f64) {
        self.ui_ms = ui_ms;
        let now = Instant::now();
        let total = self.frame_ms.unwrap_or(0.0).max(ui_ms);
        self.frame_window.push((now, total));
        self.frame_window
            .retain(|(t, _)| now.duration_since(*t) < Duration::from_secs(1));
        self.frame_ms_max = self.frame_window.iter().map(|w| w.1).fold(0.0, f64::max);
        if let Some(f) = &mut self.frame_log {
            use std::io::Write;
            let _ = writeln!(
                f,
                "{:.3},{:.3},{},{},{}",
                ui_ms,
                self.frame_ms.unwrap_or(f64::NAN),
                self.history.last_iter(),
                self.history.last_epoch(),
                self.playing
            );
        }
    }

    /// The whole UI (the eframe shell and the kittest harness both call this).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let t0 = Instant::now();
        self.logic();
        self.hovered = self.hover_next.take();
        self.panel_state.formula_lit = self.panel_state.formula_term.take();
        self.panel_state.formula_highlight = Default::default();
        panels::install_fonts(ui.ctx());
        panels::apply_theme(ui.ctx(), self.session.view.dark);
        self.apply_zoom(ui.ctx());
        panels::keyboard(self, ui.ctx());
        if !self.session.view.hide_controls {
            panels::side_panel(self, ui);
        }
        panels::time_bar(self, ui);
        panels::central(self, ui);
        panels::scenario::window(self, ui.ctx());
        panels::compare::window(self, ui.ctx());
        if let Some(fc) = &mut self.file_chooser
            && let Some(choice) = fc.show(ui.ctx())
        {
            let kind = fc.kind;
            self.file_chooser = None;
            if let Some(path) = choice {
                self.dialog_done(kind, path);
            }
        }
        self.take_screenshot(ui.ctx());
        if self.pending.is_some() {
            ui.ctx().request_repaint_after(DEBOUNCE);
        }
        if self.playing {
            ui.ctx().request_repaint_after(Duration::from_millis(40));
        }
        self.record_frame(t0.elapsed().as_secs_f64() * 1e3);
    }

    /// Applies the session's zoom (the one source of truth: the slider and Ctrl +/−/0, handled
    /// in [`panels::keyboard`], change the session, never the context directly).
    fn apply_zoom(&mut self, ctx: &egui::Context) {
        if ctx.options(|o| o.zoom_with_keyboard) {
            ctx.options_mut(|o| o.zoom_with_keyboard = false);
        }
        let range = session::ZOOM_RANGE;
        let z = self.session.view.zoom.clamp(*range.start(), *range.end());
        if (ctx.zoom_factor() - z).abs() > 1e-4 {
            ctx.set_zoom_factor(z);
        }
    }

    /// Changes the zoom by `delta` (0: back to 100 %), within [`session::ZOOM_RANGE`].
    pub fn zoom_by(&mut self, delta: f32) {
        let range = session::ZOOM_RANGE;
        let z = if delta == 0.0 {
            1.0
        } else {
            ((self.session.view.zoom + delta) * 10.0).round() / 10.0
        };
        self.session.view.zoom = z.clamp(*range.start(), *range.end());
        self.session_changed = true;
    }

    /// Shows `id` alone over the plot area, or all plots again.
    pub fn toggle_maximized(&mut self, id: PlotId) {
        self.maximized = if self.maximized == Some(id) {
            None
        } else {
            Some(id)
        };
    }

    fn take_screenshot(&mut self, ctx: &egui::Context) {
        let Some((target, path)) = self.shot_request.take() else {
            return;
        };
        let rect = match target {
            ShotTarget::Window => None,
            ShotTarget::Plot(id) => self.plot_rects.get(&id).copied(),
        };
        let ppp = ctx.pixels_per_point();
        let tx = self.shot_tx.clone();
        let repaint = ctx.clone();
        ctx.request_screenshot(move |img| {
            let msg = match panels::save_png(&img, rect, ppp, &path) {
                Ok(()) => Message {
                    text: format!("Saved {}", path.display()),
                    error: false,
                },
                Err(e) => Message {
                    text: format!("Could not save {}: {e}", path.display()),
                    error: true,
                },
            };
            let _ = tx.send(msg);
            repaint.request_repaint();
        });
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// The eframe shell: file dialogs on helper threads, frame timing, autosave on exit.
/// What a native dialog answered.
enum DialogOutcome {
    Chosen(PathBuf),
    Cancelled,
    /// Nothing was shown (it answered faster than a person can cancel).
    Unavailable,
}

struct Shell {
    app: App,
    dialog_rx: Receiver<(DialogKind, DialogOutcome)>,
    dialog_tx: Sender<(DialogKind, DialogOutcome)>,
    dialog_open: bool,
}

impl Shell {
    fn open_dialog(&mut self, kind: DialogKind, ctx: &egui::Context) {
        if self.app.wants_builtin_chooser() {
            self.app.open_builtin_chooser(kind);
            return;
        }
        if self.dialog_open {
            return;
        }
        self.dialog_open = true;
        let tx = self.dialog_tx.clone();
        let ctx = ctx.clone();
        let s = file_chooser::spec(kind, self.app.session.data.preset.name());
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let mut d = rfd::FileDialog::new()
                    .set_title(s.title)
                    .add_filter(s.filter_name, s.extensions);
                if let Some(name) = &s.file_name {
                    d = d.set_file_name(name);
                }
                let t0 = Instant::now();
                let path = if s.save { d.save_file() } else { d.pick_file() };
                let outcome = match path {
                    Some(p) => DialogOutcome::Chosen(p),
                    None if t0.elapsed() < file_chooser::UNAVAILABLE_BELOW => {
                        DialogOutcome::Unavailable
                    }
                    None => DialogOutcome::Cancelled,
                };
                let _ = tx.send((kind, outcome));
                ctx.request_repaint();
            });
        if spawned.is_err() {
            self.dialog_open = false;
            self.app.native_dialog_unavailable(kind);
        }
    }
}

impl eframe::App for Shell {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        while let Ok((kind, outcome)) = self.dialog_rx.try_recv() {
            self.dialog_open = false;
            match outcome {
                DialogOutcome::Chosen(p) => self.app.dialog_done(kind, p),
                DialogOutcome::Cancelled => {}
                DialogOutcome::Unavailable => self.app.native_dialog_unavailable(kind),
            }
        }
        if let Some(kind) = self.app.dialog_request.take() {
            self.open_dialog(kind, ctx);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.frame_ms = frame.info().cpu_usage.map(|s| f64::from(s) * 1e3);
        self.app.ui(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.app.autosave_now();
    }
}

/// Runs the desktop app; `open` is a CSV or session file to load at start.
pub fn run(open: Option<PathBuf>) -> crate::Result<()> {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("convex-nn-explorer")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([900.0, 600.0]),
        ..Default::default()
    };
    eframe::run_native(
        "convex-nn-explorer",
        native,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let options = AppOptions {
                autosave: session::autosave_path(),
                // A restored session starts paused: nothing heavy runs before the user asks.
                autoplay: false,
                // Coalesces the workers' wake-ups to at most ~25 frames per second (leaves CPU to the solvers).
                repaint: Some(Arc::new(move || {
                    ctx.request_repaint_after(Duration::from_millis(40))
                })),
            };
            let mut app = App::restored(options);
            if let Some(p) = &open {
                app.open_path(p);
                app.flush_pending();
                app.playing = true;
            }
            let (dialog_tx, dialog_rx) = channel();
            Ok(Box::new(Shell {
                app,
                dialog_rx,
                dialog_tx,
                dialog_open: false,
            }))
        }),
    )
    .map_err(|e| crate::Error::InvalidSetting(format!("cannot open the window: {e}")))
}

/// `Some(C)` when every label is an integer in `0..C` (`C = max + 1 ≤ 10000`).
pub fn class_count(y: &[f64]) -> Option<usize> {
    if y.is_empty() {
        return None;
    }
    let mut max = 0.0f64;
    for &v in y {
        if !(v >= 0.0 && v.fract() == 0.0 && v < 10_000.0) {
            return None;
        }
        max = max.max(v);
    }
    Some(max as usize + 1)
}
