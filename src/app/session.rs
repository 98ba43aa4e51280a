//! Everything the user made or chose, as one serde struct: the dataset, the formulation and
//! solver settings, the SGD seeds and view preferences. Saved as JSON (session files and the
//! autosave), restored on start so drawn data is never lost.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Preset, PresetParams, TargetKind};
use crate::error::{Error, Result};
use crate::geometry::PatternMode;
use crate::model::{Loss, PolyActivation};
use crate::solve::Optimizer;
use crate::solve::poly_sgd::PolyRegularizer;

/// File format version written into sessions.
pub const SESSION_VERSION: u32 = 1;

/// Dataset choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSettings {
    /// The points (train and test).
    pub dataset: Dataset,
    /// The preset last generated (regenerated live when its parameters change).
    pub preset: Preset,
    /// Its parameters.
    pub params: PresetParams,
    /// Fraction of points held out as a test set.
    pub test_fraction: f64,
    /// Seed of the train/test split.
    pub split_seed: u64,
    /// Target value given to a clicked point in regression mode.
    pub click_value: f64,
}

/// Formulation and solver settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolverSettings {
    /// Formulation id (the registry in `crate::formulation`; the same ids as `--model`).
    pub model: String,
    /// Loss.
    pub loss: Loss,
    /// log10 of the regularisation β.
    pub log_beta: f64,
    /// Exact or sampled patterns.
    pub patterns: PatternMode,
    /// Initial ADMM penalty ρ.
    pub rho: f64,
    /// Certified relative-gap tolerance.
    pub tol: f64,
    /// A snapshot (network, certificate, fields) every this many iterations.
    pub snapshot_every: usize,
    /// Activation of the polynomial formulation.
    #[serde(default)]
    pub poly: PolyActivation,
    /// Regularizer of the polynomial SGD runs.
    #[serde(default)]
    pub poly_reg: PolyRegularizer,
    /// σ(t) = t²: solve the nuclear-norm form (FISTA on W) instead of the SDP.
    #[serde(default)]
    pub poly_nuclear: bool,
    /// Convex ReLU: the first-order method before the exact polish (ADMM or augmented
    /// Lagrangian).
    #[serde(default)]
    pub method: crate::solve::driver::Method,
    /// Robust ReLU: the ℓ∞ radius ε of the boxes around the training points.
    #[serde(default = "default_epsilon")]
    pub epsilon: f64,
}

fn default_epsilon() -> f64 {
    0.05
}

impl SolverSettings {
    /// β.
    pub fn beta(&self) -> f64 {
        10f64.powf(self.log_beta)
    }
}

/// SGD comparison settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SgdChoice {
    /// Run SGD beside the convex solver.
    pub enabled: bool,
    /// Hidden width; 0 = the certified optimum's neuron count.
    pub width: usize,
    /// Number of seeds (1, 2, …).
    pub seeds: usize,
    /// Optimizer.
    pub optimizer: Optimizer,
    /// Learning rate.
    pub lr: f64,
    /// Epochs.
    pub epochs: usize,
    /// Robust model: train the seeds on attacks inside the ε-boxes (`none`, `fgsm`, `pgd`).
    #[serde(default)]
    pub adversarial: AdversarialChoice,
    /// Max-margin model: the loss of the β = 0 runs (`logistic`, `exponential`).
    #[serde(default)]
    pub margin_loss: crate::solve::maxmargin::MarginLoss,
}

/// Adversarial training of the SGD seeds (the robust model's ε is the radius).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdversarialChoice {
    /// Plain training.
    #[default]
    None,
    /// FGSM.
    Fgsm,
    /// PGD with 10 steps.
    Pgd,
}

impl AdversarialChoice {
    /// The trainer setting for radius `eps`.
    pub fn with_eps(self, eps: f64) -> crate::solve::sgd::Adversarial {
        use crate::solve::sgd::Adversarial;
        match self {
            Self::None => Adversarial::None,
            Self::Fgsm => Adversarial::Fgsm { eps },
            Self::Pgd => Adversarial::Pgd { eps, steps: 10 },
        }
    }

    /// Name in the window.
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "plain",
            Self::Fgsm => "FGSM",
            Self::Pgd => "PGD (10 steps)",
        }
    }
}

/// View preferences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewSettings {
    /// Dark theme (else light).
    pub dark: bool,
    /// Solver iterations (and SGD epochs) per frame while playing; 0 = as fast as possible.
    pub speed: usize,
    /// Objective plot x axis in seconds instead of iterations.
    pub x_seconds: bool,
    /// Objective plot: show the gap to the optimum on a log scale.
    pub log_gap: bool,
    /// Regions plot: also draw SGD neurons.
    pub sgd_lines: bool,
    /// Regions plot: show line space with all data-induced regions instead of the data plane.
    pub line_space: bool,
    /// Use the in-window file chooser instead of the desktop's.
    #[serde(default)]
    pub builtin_file_chooser: bool,
    /// The two-layer / three-layer comparison window is open (path-regularized model).
    #[serde(default)]
    pub comparison: bool,
    /// The controls panel is hidden (more room for the plots, e.g. on a projector).
    #[serde(default)]
    pub hide_controls: bool,
    /// Decision-boundary plot: colour the output by its sign only (the class a point would get).
    #[serde(default)]
    pub discretize: bool,
    /// Decision-boundary plot: hide the held-out test points.
    #[serde(default)]
    pub hide_test: bool,
    /// Size of everything on screen, text included (1 = 100 %; Ctrl +/− change it too).
    #[serde(default = "unit_zoom")]
    pub zoom: f32,
    /// Objective plot: show the training and test loss per point instead of the objective.
    #[serde(default)]
    pub loss_curves: bool,
}

fn unit_zoom() -> f32 {
    1.0
}

/// The range of [`ViewSettings::zoom`].
pub const ZOOM_RANGE: std::ops::RangeInclusive<f32> = 0.6..=2.5;

/// A whole session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Format version.
    pub version: u32,
    /// Data.
    pub data: DataSettings,
    /// Formulation and solver.
    pub solver: SolverSettings,
    /// SGD.
    pub sgd: SgdChoice,
    /// View.
    pub view: ViewSettings,
}

impl Default for Session {
    fn default() -> Self {
        let preset = Preset::Spiral;
        let params = PresetParams {
            n: 40,
            noise: 0.05,
            seed: 1,
        };
        let dataset = crate::data::generate(preset, &params).unwrap_or_else(|_| Dataset {
            x: vec![[0.0, 0.0]],
            y: vec![1.0],
            kind: TargetKind::Binary,
        });
        Self {
            version: SESSION_VERSION,
            data: DataSettings {
                dataset,
                preset,
                params,
                test_fraction: 0.0,
                split_seed: 1,
                click_value: 1.0,
            },
            solver: SolverSettings {
                model: "relu".into(),
                loss: Loss::Squared,
                log_beta: -1.0,
                patterns: PatternMode::Exact,
                rho: 1.0,
                tol: 1e-6,
                snapshot_every: 5,
                poly: PolyActivation::default(),
                poly_reg: PolyRegularizer::default(),
                poly_nuclear: false,
                method: Default::default(),
                epsilon: default_epsilon(),
            },
            sgd: SgdChoice {
                enabled: true,
                width: 0,
                seeds: 5,
                optimizer: Optimizer::Adam,
                lr: 0.01,
                epochs: 2000,
                adversarial: AdversarialChoice::None,
                margin_loss: Default::default(),
            },
            view: ViewSettings {
                dark: true,
                speed: 1,
                x_seconds: false,
                log_gap: false,
                sgd_lines: true,
                line_space: false,
                builtin_file_chooser: false,
                comparison: false,
                hide_controls: false,
                discretize: false,
                hide_test: false,
                loss_curves: false,
                zoom: 1.0,
            },
        }
    }
}

impl Session {
    /// Checks every field (a session file can hold anything).
    pub fn validate(&self) -> Result<()> {
        let d = &self.data.dataset;
        Dataset::new(d.x.clone(), d.y.clone(), d.kind)?;
        let bad = |m: String| Err(Error::InvalidSetting(m));
        if !(0.0..=0.9).contains(&self.data.test_fraction) {
            return bad(format!(
                "test fraction {} must be in [0, 0.9]",
                self.data.test_fraction
            ));
        }
        if !(-6.0..=3.0).contains(&self.solver.log_beta) {
            return bad(format!(
                "log10 β = {} must be in [−6, 3]",
                self.solver.log_beta
            ));
        }
        if !(self.solver.rho.is_finite() && self.solver.rho > 0.0) {
            return bad(format!("ρ = {} must be > 0", self.solver.rho));
        }
        if !(self.solver.tol.is_finite() && self.solver.tol > 0.0) {
            return bad(format!("tolerance {} must be > 0", self.solver.tol));
        }
        if self.solver.snapshot_every == 0 {
            return bad("snapshot interval must be ≥ 1".into());
        }
        if let PatternMode::Sampled { count, .. } = self.solver.patterns
            && !(1..=crate::limits::MAX_SAMPLED).contains(&count)
        {
            return bad(format!(
                "sampled patterns: P = {count} must be from 1 to {}",
                crate::limits::MAX_SAMPLED
            ));
        }
        if !(self.solver.epsilon.is_finite() && (0.0..=1.0).contains(&self.solver.epsilon)) {
            return bad(format!(
                "ε = {} must be in [0, 1] (the window's range)",
                self.solver.epsilon
            ));
        }
        if self.sgd.width > crate::limits::MAX_WIDTH {
            return bad(format!(
                "SGD width {} must be at most {}",
                self.sgd.width,
                crate::limits::MAX_WIDTH
            ));
        }
        if self.sgd.epochs == 0 || self.sgd.epochs > 1_000_000 {
            return bad(format!(
                "{} SGD epochs: must be from 1 to 1 000 000 (the window's range)",
                self.sgd.epochs
            ));
        }
        if !(self.sgd.lr.is_finite() && self.sgd.lr > 0.0) {
            return bad(format!("learning rate {} must be > 0", self.sgd.lr));
        }
        if self.sgd.seeds == 0 || self.sgd.seeds > 64 {
            return bad(format!("{} seeds: must be 1..=64", self.sgd.seeds));
        }
        if !ZOOM_RANGE.contains(&self.view.zoom) {
            return bad(format!(
                "zoom {} must be from {} to {}",
                self.view.zoom,
                ZOOM_RANGE.start(),
                ZOOM_RANGE.end()
            ));
        }
        Ok(())
    }

    /// JSON text.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::InvalidData(e.to_string()))
    }

    /// Parses and validates JSON text.
    pub fn from_json(text: &str, source: &str) -> Result<Self> {
        // A JSON file of another kind (a demo's results, the command line's `--json` output) is
        // named as such rather than reported by its first missing field.
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(text)
            && !m.contains_key("version")
        {
            return Err(Error::InvalidData(format!(
                "{source} is JSON but not a session file (no \"version\" field): sessions are \
                 written by Export → Save session; data files are CSV"
            )));
        }
        let mut s: Session = serde_json::from_str(text).map_err(|e| Error::Parse {
            source_name: source.into(),
            line: e.line(),
            message: e.to_string(),
        })?;
        if s.version != SESSION_VERSION {
            return Err(Error::InvalidData(format!(
                "{source}: session version {} (this build reads version {SESSION_VERSION})",
                s.version
            )));
        }
        // Earlier builds named two planned models differently from the command line.
        s.solver.model = match s.solver.model.as_str() {
            "gated" => "gated-relu".into(),
            "robust" => "robust-relu".into(),
            _ => s.solver.model,
        };
        s.validate()?;
        Ok(s)
    }

    /// Writes the session atomically (temporary file + rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = self.to_json()?;
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(())
    }

    /// Reads a session file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::data::csv::read_limited(path)?;
        Self::from_json(&text, &path.display().to_string())
    }
}

/// Where the autosave lives: `$XDG_STATE_HOME/convex-nn-explorer/session.json`, else
/// `~/.local/state/convex-nn-explorer/session.json`.
pub fn autosave_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("convex-nn-explorer").join("session.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_of_another_kind_is_named_as_not_a_session() {
        let e = Session::from_json(r#"{"about": "results", "beta": 0.1}"#, "demo.json")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("demo.json is JSON but not a session file"),
            "{e}"
        );
    }

    #[test]
    fn default_session_round_trips_and_validates() {
        let s = Session::default();
        s.validate().unwrap();
        let t = s.to_json().unwrap();
        let back = Session::from_json(&t, "test").unwrap();
        assert_eq!(back.data.dataset.x.len(), s.data.dataset.x.len());
        assert_eq!(back.solver, s.solver);
    }

    #[test]
    fn bad_session_is_rejected_with_a_message() {
        let e = Session::from_json("{\"version\": 1}", "x.json").unwrap_err();
        assert!(e.to_string().contains("x.json"), "{e}");
        let mut s = Session::default();
        s.solver.rho = -1.0;
        assert!(s.validate().is_err());
    }
}
