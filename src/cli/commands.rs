//! The subcommands. `solve` and `sgd` hand over to the formulation named by `--model` (the
//! registry in [`crate::formulation`]); `patterns` and `generate` are about the data alone.

use std::io::Write;

use serde::Serialize;

use super::USAGE;
use super::output::{write_out, write_raw};
use crate::data::{LabelMode, Preset, PresetParams, generate, to_csv_string};
use crate::error::{Error, Result};
use crate::formulation::args::{SGD_FLAGS, SGD_SWITCHES, SOLVE_FLAGS, SOLVE_SWITCHES};
use crate::formulation::report::to_json;
use crate::formulation::{self, Args, CliFlags, Formulation};
use crate::geometry::enumerate_exact;

pub(super) fn dispatch(args: &[String], out: &mut dyn Write) -> Result<()> {
    let Some(cmd) = args.first() else {
        return Err(Error::InvalidSetting(
            "no subcommand (try `convex-nn-explorer help`)".into(),
        ));
    };
    let rest = &args[1..];
    // Every subcommand answers --help (instead of "unknown flag --help").
    if rest.iter().any(|a| a == "--help" || a == "-h") {
        return write_out(out, USAGE);
    }
    match cmd.as_str() {
        "solve" => model_command(rest, out, Command::Solve),
        "sgd" => model_command(rest, out, Command::Sgd),
        "patterns" => patterns(rest, out),
        "generate" => generate_cmd(rest, out),
        "help" | "--help" | "-h" => write_out(out, USAGE),
        other => Err(Error::InvalidSetting(format!(
            "unknown subcommand {other:?} (expected solve, sgd, patterns, generate or help)"
        ))),
    }
}

/// A subcommand that belongs to a formulation.
#[derive(Clone, Copy, PartialEq)]
enum Command {
    Solve,
    Sgd,
}

impl Command {
    fn flags(self, f: &dyn Formulation) -> (Vec<&'static str>, Vec<&'static str>) {
        let (common, switches, own) = match self {
            Command::Solve => (&SOLVE_FLAGS[..], &SOLVE_SWITCHES[..], f.solve_flags()),
            Command::Sgd => (&SGD_FLAGS[..], &SGD_SWITCHES[..], f.sgd_flags()),
        };
        let CliFlags {
            values,
            switches: own_switches,
        } = own;
        (
            common.iter().chain(values).copied().collect(),
            switches.iter().chain(own_switches).copied().collect(),
        )
    }
}

/// Flags that belong to formulations planned but not in this build.
const PLANNED_FLAGS: [&str; 3] = ["--epsilon", "--solver", "--prune"];

/// `solve`/`sgd --model ID …`: parses the common flags and the formulation's own, then lets the
/// formulation solve and write its report. A flag of another formulation gets "does not apply".
fn model_command(rest: &[String], out: &mut dyn Write, cmd: Command) -> Result<()> {
    let id = Args::peek(rest, "--model").unwrap_or("relu");
    let f = formulation::lookup(id)?;
    let (values, switches) = cmd.flags(f);
    for a in rest {
        let name = a.split_once('=').map_or(a.as_str(), |(n, _)| n);
        if !name.starts_with("--") || values.contains(&name) || switches.contains(&name) {
            continue;
        }
        let elsewhere = PLANNED_FLAGS.contains(&name)
            || formulation::all().iter().any(|g| {
                let (v, s) = cmd.flags(*g);
                v.contains(&name) || s.contains(&name)
            });
        if elsewhere {
            return Err(Error::InvalidSetting(format!(
                "{name} does not apply to --model {}",
                f.id()
            )));
        }
    }
    let args = Args::parse(rest, &values, &switches)?;
    let report = match cmd {
        Command::Solve => f.solve_cli(&args)?,
        Command::Sgd => f.sgd_cli(&args)?,
    };
    write_out(out, &report)
}

#[derive(Serialize)]
struct PatternsJson {
    n: usize,
    count: usize,
    generators: Vec<[f64; 3]>,
}

fn patterns(rest: &[String], out: &mut dyn Write) -> Result<()> {
    let args = Args::parse(rest, &["--data"], &["--json", "--standardize"])?;
    let ds = args.dataset(LabelMode::Auto)?;
    let set = enumerate_exact(&ds.x)?;
    let report = PatternsJson {
        n: ds.len(),
        count: set.len(),
        generators: set.generators().to_vec(),
    };
    if args.has("--json") {
        return write_out(out, &to_json(&report)?);
    }
    let general = report.n * report.n - report.n + 2;
    write_out(
        out,
        &format!(
            "n = {}: {} activation patterns (regions of the arrangement, empty one included); \
             n² − n + 2 = {} for points in general position",
            report.n, report.count, general
        ),
    )
}

fn generate_cmd(rest: &[String], out: &mut dyn Write) -> Result<()> {
    let args = Args::parse(rest, &["--preset", "--n", "--noise", "--seed"], &[])?;
    let name = args.required("--preset")?;
    let preset = Preset::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
        Error::InvalidSetting(format!(
            "--preset {name:?}: expected one of {}",
            names.join(", ")
        ))
    })?;
    let d = preset.default_params();
    let params = PresetParams {
        n: args.parsed("--n", d.n, "a positive integer")?,
        noise: args.parsed("--noise", d.noise, "a non-negative number")?,
        seed: args.parsed("--seed", d.seed, "a non-negative integer")?,
    };
    let ds = generate(preset, &params)?;
    write_raw(out, &to_csv_string(&ds))
}
