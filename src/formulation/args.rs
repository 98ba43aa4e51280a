//! Command-line flags of one subcommand: a minimal `--flag value` parser with one-line errors
//! naming the flag (hand-written, no clap, so every message stays one line), and the flags every
//! formulation shares. A formulation adds its own through [`super::CliFlags`].

use std::collections::HashMap;
use std::path::Path;

use crate::data::{Dataset, LabelMode, read_csv};
use crate::error::{Error, Result};
use crate::solve::sgd::Adversarial;
use crate::solve::{Optimizer, SgdSettings};

/// Value flags of `solve` common to every formulation.
pub const SOLVE_FLAGS: [&str; 7] = [
    "--data",
    "--model",
    "--loss",
    "--beta",
    "--max-iter",
    "--tol",
    "--rho",
];

/// Switches of `solve` common to every formulation.
pub const SOLVE_SWITCHES: [&str; 2] = ["--json", "--standardize"];

/// Value flags of `sgd` common to every formulation.
pub const SGD_FLAGS: [&str; 13] = [
    "--data",
    "--width",
    "--loss",
    "--beta",
    "--seeds",
    "--epochs",
    "--lr",
    "--lr-final",
    "--optimizer",
    "--batch-size",
    "--init-scale",
    "--history-every",
    "--model",
];

/// Switches of `sgd` common to every formulation.
pub const SGD_SWITCHES: [&str; 3] = ["--json", "--standardize", "--no-optimum"];

/// Parsed flags of one subcommand.
#[derive(Debug, Default)]
pub struct Args {
    values: HashMap<String, String>,
    switches: Vec<String>,
}

impl Args {
    /// Parses `args`; `with_value` lists flags taking a value, `switches` flags without one.
    pub fn parse(args: &[String], with_value: &[&str], switches: &[&str]) -> Result<Self> {
        let mut out = Args::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
                _ => (a.as_str(), None),
            };
            if with_value.contains(&name) {
                let v = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| Error::InvalidSetting(format!("{name} needs a value")))?,
                };
                if out.values.insert(name.to_string(), v).is_some() {
                    return Err(Error::InvalidSetting(format!("{name} given twice")));
                }
            } else if switches.contains(&name) && inline.is_none() {
                out.switches.push(name.to_string());
            } else if name.starts_with('-') {
                return Err(Error::InvalidSetting(format!("unknown flag {name}")));
            } else {
                return Err(Error::InvalidSetting(format!("unexpected argument {a:?}")));
            }
        }
        Ok(out)
    }

    /// Raw value of a flag.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A required flag.
    pub fn required(&self, name: &str) -> Result<&str> {
        self.get(name)
            .ok_or_else(|| Error::InvalidSetting(format!("{name} is required")))
    }

    /// True when a switch was given.
    pub fn has(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    /// The value of `name` in raw arguments (`--name V` or `--name=V`) before parsing: picks
    /// which subcommand variant parses the rest.
    pub fn peek<'a>(rest: &'a [String], name: &str) -> Option<&'a str> {
        rest.iter().enumerate().find_map(|(i, a)| {
            if a == name {
                rest.get(i + 1).map(String::as_str)
            } else {
                a.strip_prefix(name)?.strip_prefix('=')
            }
        })
    }

    /// `--beta` (default 0.1), a positive finite number.
    pub fn beta(&self) -> Result<f64> {
        let beta: f64 = self.parsed("--beta", 0.1, "a positive number")?;
        let (lo, hi) = crate::limits::BETA_RANGE;
        if beta.is_finite() && beta > 0.0 && (lo..=hi).contains(&beta) {
            Ok(beta)
        } else if beta.is_finite() && beta > 0.0 {
            Err(Error::InvalidSetting(format!(
                "--beta {beta:e}: must be from {lo:e} to {hi:e}"
            )))
        } else {
            Err(Error::InvalidSetting(format!(
                "--beta {beta}: must be a positive finite number"
            )))
        }
    }

    /// The `--data` file (labels read with `mode`), standardized with `--standardize`.
    pub fn dataset(&self, mode: LabelMode) -> Result<Dataset> {
        let path = self.required("--data")?;
        if path.trim().is_empty() {
            return Err(Error::InvalidSetting(
                "--data is empty: give the path of a CSV file".into(),
            ));
        }
        let ds = read_csv(Path::new(path), mode)?;
        Ok(if self.has("--standardize") {
            ds.standardized().0
        } else {
            ds
        })
    }

    /// The training flags shared by every `sgd`: settings, seed count, history spacing.
    pub fn sgd_settings(&self) -> Result<(SgdSettings, u64, usize)> {
        self.required("--width")?;
        let d = SgdSettings::default();
        let lr = self.parsed("--lr", d.lr, "a positive number")?;
        let settings = SgdSettings {
            width: self.parsed("--width", 0usize, "a positive integer")?,
            lr,
            lr_final: self.parsed("--lr-final", lr, "a positive number")?,
            epochs: self.parsed("--epochs", d.epochs, "a non-negative integer")?,
            init_scale: self.parsed("--init-scale", d.init_scale, "a positive number")?,
            optimizer: Optimizer::parse(self.get("--optimizer").unwrap_or("gd"))?,
            batch_size: self.parsed("--batch-size", d.batch_size, "a positive integer")?,
            seed: 0,
            adversarial: match self.get("--adversarial") {
                None | Some("none") => Adversarial::None,
                Some(kind) => {
                    let eps = self.required_f64("--epsilon", "a number ≥ 0")?;
                    let steps = self.parsed("--pgd-steps", 10usize, "a positive integer")?;
                    Adversarial::parse(kind, eps, steps)?
                }
            },
        };
        settings.validate()?;
        let seeds: u64 = self.parsed("--seeds", 1u64, "a positive integer")?;
        if seeds == 0 || seeds > crate::limits::MAX_SEEDS {
            return Err(Error::InvalidSetting(format!(
                "--seeds {seeds}: must be from 1 to {}",
                crate::limits::MAX_SEEDS
            )));
        }
        let every: usize = self.parsed(
            "--history-every",
            (settings.epochs / 100).max(1),
            "a positive integer",
        )?;
        Ok((settings, seeds, every))
    }

    /// A required number.
    pub fn required_f64(&self, name: &str, what: &str) -> Result<f64> {
        self.required(name)?;
        self.parsed(name, f64::NAN, what)
    }

    /// Parses a flag's value with `FromStr`, or returns `default`.
    pub fn parsed<T: std::str::FromStr>(&self, name: &str, default: T, what: &str) -> Result<T> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| Error::InvalidSetting(format!("{name} {v:?}: expected {what}"))),
        }
    }
}
