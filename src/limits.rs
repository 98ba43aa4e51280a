//! The sizes a user controls, and their limits (README "Limits"). Every entry point — command
//! line, CSV file, session file, window — checks against these, so no input can ask for an
//! allocation or a loop beyond them; beyond a limit comes a one-line message naming it.

/// Most data points (a CSV file, a preset, a session's dataset).
pub const MAX_POINTS: usize = 100_000;
/// Most points of the working-set solver over the exact regions: its certificate sweep keeps
/// every crossing of the `n` circles, about `128 n²` bytes (1.2 GB at this size).
pub const MAX_SWEPT_POINTS: usize = 3_000;
/// Largest data file read, in bytes.
pub const MAX_INPUT_BYTES: u64 = 64 << 20;
/// Most classes of multi-class data.
pub const MAX_CLASSES: usize = 64;
/// Most sampled activation patterns (or gates).
pub const MAX_SAMPLED: usize = 1_000_000;
/// Widest gradient-trained network.
pub const MAX_WIDTH: usize = 10_000;
/// Most gradient-training epochs.
pub const MAX_EPOCHS: usize = 100_000_000;
/// Most seeds of one command-line `sgd` run (the window allows 64).
pub const MAX_SEEDS: u64 = 1_000;
/// Largest magnitude of a coordinate or target: beyond it sums of squares overflow (standardize
/// such data first).
pub const MAX_MAGNITUDE: f64 = 1e100;
/// Range of the regularization β accepted on the command line.
pub const BETA_RANGE: (f64, f64) = (1e-12, 1e12);
/// Largest learning rate and initialization scale of gradient training.
pub const MAX_STEP: f64 = 1e3;
