//! Fuzz targets (proptest): the CSV reader, the session reader and the command-line parser on
//! mutated and random input must return a value or a one-line error — never panic, never hang,
//! never print `null` after success. CI runs a bounded number of cases (seconds); for a long
//! run: `FUZZ_CASES=100000 cargo test --release fuzz::` (the number of cases per target).
//! Regression inputs found earlier are fixed cases at the end.

use convex_nn_explorer::data::{LabelMode, csv::parse_csv};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// A CSV line generator biased toward the interesting: numbers of every magnitude, NaN/inf,
/// missing and extra fields, labels 0/1/±1/classes, comments, headers, stray bytes.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|v| format!("{v}")),
        (-3i64..4).prop_map(|v| v.to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("-1e308".to_string()),
        Just("1e-320".to_string()),
        Just("".to_string()),
        "[ -~]{0,6}",
        Just("x1".to_string()),
    ]
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(field(), 0..5).prop_map(|f| f.join(",")),
        Just("# comment".to_string()),
        Just("x1,x2,y".to_string()),
        "[\\x00-\\x7f]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn csv_reader_never_panics(lines in prop::collection::vec(line(), 0..40)) {
        let text = lines.join("\n");
        for mode in [LabelMode::Auto, LabelMode::MultiClass] {
            if let Err(e) = parse_csv(&text, "fuzz.csv", mode) {
                let m = e.to_string();
                prop_assert_eq!(m.lines().count(), 1, "multi-line error: {}", m);
            }
        }
    }

    #[test]
    fn cli_parser_never_panics(words in prop::collection::vec(prop_oneof![
        Just("solve"), Just("sgd"), Just("patterns"), Just("generate"), Just("--model"),
        Just("relu"), Just("gated-relu"), Just("robust-relu"), Just("max-margin"), Just("poly"),
        Just("--beta"), Just("--epsilon"), Just("--patterns"), Just("sampled:0"),
        Just("sampled:5:1"), Just("--width"), Just("--lr"), Just("--data"), Just("--json"),
        Just("--seeds"), Just("--n"), Just("--preset"), Just("xor"), Just("-1"), Just("1e308"),
        Just("NaN"), Just("0"), Just("--sweep"), Just("10,0"), Just("--solver"), Just("al"),
        Just("--adversarial"), Just("pgd"), Just("--help"), Just(""), Just("--tol"),
    ], 0..8)) {
        let args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = convex_nn_explorer::cli::run(&args, &mut out, &mut err);
        let out = String::from_utf8_lossy(&out);
        let err = String::from_utf8_lossy(&err);
        if code == 0 {
            prop_assert!(!out.contains("null"), "null after success: {:?} → {}", args, out);
        } else {
            prop_assert_eq!(err.trim().lines().count(), 1, "{:?}: {}", args, err);
        }
    }
}

#[cfg(feature = "gui")]
mod session {
    use super::*;
    use convex_nn_explorer::app::session::Session;

    /// Mutations of a valid session: one character replaced, a number changed to an extreme.
    fn mutated() -> impl Strategy<Value = String> {
        let base = Session::default().to_json().unwrap();
        let len = base.len();
        (
            0..len,
            prop_oneof![
                Just("1e308".to_string()),
                Just("-1".to_string()),
                Just("4294967296".to_string()),
                Just("null".to_string()),
                Just("\"".to_string()),
                "[ -~]{1,3}",
            ],
        )
            .prop_map(move |(at, what)| {
                let mut s = base.clone();
                let at = (0..=at).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
                s.replace_range(at..(at + 1).min(s.len()), &what);
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        #[test]
        fn session_reader_never_panics(text in mutated()) {
            if let Err(e) = Session::from_json(&text, "fuzz.json") {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}

/// The regression corpus (`tests/data/regressions/`, see its README): every hostile data file
/// through `solve` (both solvers, bounded) and `patterns` — no panic or abort, a one-line error
/// or finite JSON, and never a lower bound above the objective.
#[test]
fn regression_corpus_is_handled_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "the corpus is in place");
    for f in files {
        let data = f.to_str().unwrap();
        let runs: Vec<Vec<&str>> = vec![
            vec!["solve", "--data", data, "--max-iter", "30", "--json"],
            vec![
                "solve",
                "--data",
                data,
                "--solver",
                "admm",
                "--max-iter",
                "300",
                "--json",
            ],
            vec!["patterns", "--data", data, "--json"],
        ];
        for args in runs {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_convex-nn-explorer"))
                .args(&args)
                .output()
                .unwrap();
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            let code = out.status.code();
            assert!(
                matches!(code, Some(c) if c != 101),
                "{args:?}: killed or panicked ({code:?}): {stderr}"
            );
            if code == Some(0) {
                assert!(!stdout.contains("null"), "{args:?}: null after exit 0");
                let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                if let (Some(obj), Some(lower)) =
                    (v["objective"].as_f64(), v["lower_bound"].as_f64())
                {
                    assert!(
                        lower <= obj + 1e-9 * obj.abs().max(1.0),
                        "{args:?}: lower bound {lower} above the objective {obj}"
                    );
                }
            } else {
                assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
            }
        }
    }
}
