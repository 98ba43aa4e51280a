//! `convex-nn-explorer`: without arguments it opens the desktop explorer (restoring the
//! autosaved session); `--open FILE` opens a dataset (CSV) or a session (JSON) in it; with a
//! subcommand it runs the headless CLI (docs/math.md#cli-contract). Built without the default
//! `gui` feature it is the CLI alone.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let open = match args.as_slice() {
        [] => None,
        [flag, path] if flag == "--open" => Some(std::path::PathBuf::from(path)),
        [flag] if flag == "--open" => {
            eprintln!("error: --open needs a file (a dataset .csv or a session .json)");
            return ExitCode::from(2);
        }
        _ => {
            let code =
                convex_nn_explorer::cli::run(&args, &mut std::io::stdout(), &mut std::io::stderr());
            return ExitCode::from(code as u8);
        }
    };
    if let Some(p) = &open
        && !p.exists()
    {
        eprintln!("error: {}: no such file", p.display());
        return ExitCode::from(2);
    }
    window(open)
}

#[cfg(feature = "gui")]
fn window(open: Option<std::path::PathBuf>) -> ExitCode {
    match convex_nn_explorer::app::run(open) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(not(feature = "gui"))]
fn window(_open: Option<std::path::PathBuf>) -> ExitCode {
    eprintln!(
        "error: this build has no desktop window (built without the `gui` feature); run a \
         subcommand, e.g. `convex-nn-explorer help`"
    );
    ExitCode::from(2)
}
