//! The headless command line (`docs/math.md#cli-contract`): `solve`, `sgd`, `patterns`,
//! `generate`. A thin shell: `solve` and `sgd` hand over to the formulation registry
//! ([`crate::formulation`]), which owns each model's flags and report. Every error is one line
//! on stderr with a non-zero exit code.

mod commands;
pub mod output;

pub use crate::formulation::Args;

/// Usage text printed by `--help` and on a missing subcommand.
pub const USAGE: &str = "\
convex-nn-explorer — watch two-layer ReLU training become a convex problem

USAGE:
  convex-nn-explorer solve --data FILE [--model relu] [--loss squared|logistic|hinge]
                           [--beta B] [--patterns exact|sampled:P[:SEED]] [--max-iter N]
                           [--tol T] [--rho R] [--solver admm|al|working-set] [--no-polish] [--prune] [--standardize] [--json]
  convex-nn-explorer solve --data FILE --model gated-relu [--patterns exact|sampled:P[:SEED]]
                           [--loss L] [--beta B] [--max-iter N] [--tol T] [--no-polish]
                           [--standardize] [--json]
  convex-nn-explorer solve --data FILE --model robust-relu --epsilon E [--loss hinge|squared|logistic]
                           [--beta B] [--tol T] [--standardize] [--json]
  convex-nn-explorer solve --data FILE --model poly [--poly A,B,C|relu|swish|square]
                           [--regularizer l1|nuclear] [--multiclass] [--loss L] [--beta B]
                           [--max-iter N] [--tol T] [--rho R] [--standardize] [--json]
  convex-nn-explorer patterns --data FILE [--json]
  convex-nn-explorer sgd --data FILE --width M [--loss L] [--beta B] [--seeds K] [--epochs E]
                         [--lr LR (default 0.3/n: the loss sums over the n points)] [--lr-final LR]
                         [--optimizer gd|sgd|adam] [--batch-size S] [--init-scale S]
                         [--adversarial none|fgsm|pgd --epsilon E [--pgd-steps K]] [--no-optimum] [--json]
  convex-nn-explorer sgd --model gated-relu|robust-relu …  (plain ReLU networks: as above)
  convex-nn-explorer sgd --model max-margin --data FILE --width M [--loss logistic|exponential]
                         [training flags as above] (β = 0 GD; normalized margins against the
                         certified best, certificate ratios, activation-pattern history)
  convex-nn-explorer sgd --model poly --data FILE --width M [--poly A,B,C|relu|swish|square]
                         [--regularizer l1|weight-decay] [same training flags as above]
  convex-nn-explorer generate --preset NAME [--n N] [--noise S] [--seed SEED] > FILE
  convex-nn-explorer help

Presets: spiral, xor, circles, moons, blobs, orthogonal, sine, saddle, spiral3, blobs3.
Data files: CSV lines `x1,x2,y` (optional header, `#` comments); y = ±1 (or 0/1) for
classification, any real number for regression, an integer class 0..C−1 with --multiclass.";

/// Runs the CLI on `args` (without the program name), writing results to `out`. Returns the
/// process exit code; errors are written to `err` as one line.
pub fn run(args: &[String], out: &mut dyn std::io::Write, err: &mut dyn std::io::Write) -> i32 {
    match commands::dispatch(args, out) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            2
        }
    }
}
