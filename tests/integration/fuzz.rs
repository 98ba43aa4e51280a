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
