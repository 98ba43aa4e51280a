//! `convex-nn-explorer`: with a subcommand it runs the headless CLI (shared/design/cli.md).
//! The desktop window (no subcommand) is built in a later step; until then the binary says so.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args[0] == "--open" {
        eprintln!(
            "error: the desktop explorer is not part of this build yet; use a subcommand \
             (`convex-nn-explorer help`)"
        );
        return ExitCode::from(2);
    }
    let code = convex_nn_explorer::cli::run(&args, &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(code as u8)
}
