//! Reading and writing the CSV data-file format (docs/math.md#cli-contract, "Data file").
//!
//! One point per line, comma separated: `x1,x2,y`. Blank lines and lines whose first
//! non-whitespace character is `#` are skipped; whitespace around fields is ignored. A header
//! line is optional: the first non-blank, non-comment line is taken as a header when none of
//! its fields parses as a number. Every other malformed line is an error naming the 1-based
//! line number and the problem, e.g. `points.csv:7: expected 3 comma-separated values
//! (x1,x2,y), found 2`.
//!
//! How the `y` column is interpreted is chosen by [`LabelMode`].

use std::path::Path;

use super::{Dataset, LabelMode, TargetKind};
use crate::error::{Error, Result};

/// Names of the three columns, used in error messages.
const COLUMNS: [&str; 3] = ["x1", "x2", "y"];

/// Largest class index accepted in [`LabelMode::MultiClass`] (guards against a stray huge
/// value turning into millions of classes).
const MAX_CLASS_INDEX: f64 = 9999.0;

fn parse_err(source_name: &str, line: usize, message: impl Into<String>) -> Error {
    Error::Parse {
        source_name: source_name.to_string(),
        line,
        message: message.into(),
    }
}

/// Parses the text of a data file.
///
/// `source_name` is used in error messages (`{source_name}:{line}: {message}`); pass the file
/// name, or e.g. `<input>` for text that did not come from a file. Errors are
/// [`Error::Parse`] with the 1-based line number; an input without any data line (empty, only
/// comments/blank lines) is reported at line 0, a header without data at the header's line.
///
/// With [`LabelMode::Auto`] the kind is Binary when every `y` is in {−1, 1} or every `y` is in
/// {0, 1} (0 then becomes −1), Regression otherwise. With [`LabelMode::MultiClass`] every `y`
/// must be an integer in `0..=9999` and the kind is `MultiClass(max(y) + 1)`.
pub fn parse_csv(text: &str, source_name: &str, mode: LabelMode) -> Result<Dataset> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut x: Vec<[f64; 2]> = Vec::new();
    let mut y: Vec<f64> = Vec::new();
    let mut header_line: Option<usize> = None;
    let mut seen_first = false;

    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if !seen_first {
            seen_first = true;
            if fields.iter().all(|f| f.parse::<f64>().is_err()) {
                if fields.len() != COLUMNS.len() {
                    return Err(parse_err(
                        source_name,
                        line_no,
                        format!(
                            "expected 3 comma-separated values (x1,x2,y), found {} (this first \
                             line was taken as a header because none of its fields is a number)",
                            fields.len()
                        ),
                    ));
                }
                header_line = Some(line_no);
                continue;
            }
        }
        if fields.len() != COLUMNS.len() {
            return Err(parse_err(
                source_name,
                line_no,
                format!(
                    "expected 3 comma-separated values (x1,x2,y), found {}",
                    fields.len()
                ),
            ));
        }
        let mut vals = [0.0f64; 3];
        for (k, field) in fields.iter().enumerate() {
            if field.is_empty() {
                return Err(parse_err(
                    source_name,
                    line_no,
                    format!("empty value in column {}", COLUMNS[k]),
                ));
            }
            let v = field.parse::<f64>().map_err(|_| {
                parse_err(
                    source_name,
                    line_no,
                    format!("value \"{field}\" in column {} is not a number", COLUMNS[k]),
                )
            })?;
            if !v.is_finite() {
                return Err(parse_err(
                    source_name,
                    line_no,
                    format!("NaN/infinite value in column {}", COLUMNS[k]),
                ));
            }
            if v.abs() > crate::limits::MAX_MAGNITUDE {
                return Err(parse_err(
                    source_name,
                    line_no,
                    format!(
                        "value {v:e} in column {} is beyond ±{:e}: rescale the data",
                        COLUMNS[k],
                        crate::limits::MAX_MAGNITUDE
                    ),
                ));
            }
            vals[k] = v;
        }
        if mode == LabelMode::MultiClass {
            let t = vals[2];
            if t < 0.0 || t.fract() != 0.0 || t > MAX_CLASS_INDEX {
                return Err(parse_err(
                    source_name,
                    line_no,
                    format!(
                        "class label \"{}\" in column y is not an integer in 0..={} \
                         (multi-class labels are 0, 1, ..., C-1)",
                        fields[2], MAX_CLASS_INDEX
                    ),
                ));
            }
        }
        x.push([vals[0], vals[1]]);
        y.push(vals[2]);
    }

    if y.is_empty() {
        return Err(match header_line {
            Some(h) => parse_err(source_name, h, "only a header line, no data points"),
            None => parse_err(
                source_name,
                0,
                "no data points (the input is empty or holds only comments and blank lines)",
            ),
        });
    }

    let kind = match mode {
        LabelMode::MultiClass => {
            let max = y.iter().fold(0.0f64, |m, &v| m.max(v));
            TargetKind::MultiClass(max as usize + 1)
        }
        LabelMode::Auto => {
            if y.iter().all(|&v| v == 1.0 || v == -1.0) {
                TargetKind::Binary
            } else if y.iter().all(|&v| v == 1.0 || v == 0.0) {
                for v in &mut y {
                    if *v == 0.0 {
                        *v = -1.0;
                    }
                }
                TargetKind::Binary
            } else {
                TargetKind::Regression
            }
        }
    };
    Dataset::new(x, y, kind)
}

/// Reads and parses a data file (see [`parse_csv`]).
///
/// A file that cannot be read gives [`Error::Io`] naming the path; parse errors use the
/// file's name (its last path component) as `source_name`.
pub fn read_csv(path: &Path, mode: LabelMode) -> Result<Dataset> {
    let text = read_limited(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    parse_csv(&text, &name, mode)
}

/// Reads a text file of at most [`crate::limits::MAX_INPUT_BYTES`] (a stream such as
/// `/dev/zero` is cut there, not read forever).
pub fn read_limited(path: &Path) -> Result<String> {
    use std::io::Read as _;
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let max = crate::limits::MAX_INPUT_BYTES;
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(Error::InvalidData(format!(
            "{}: larger than {} MB, the largest data file accepted",
            path.display(),
            max >> 20
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| Error::InvalidData(format!("{}: not UTF-8 text", path.display())))
}

/// Formats a dataset as CSV text: the header `x1,x2,y`, then one line per point.
///
/// Values are printed with `{}` (Rust's shortest round-trip float formatting), binary labels as
/// `1`/`-1` and class labels as integers, so `parse_csv(&to_csv_string(ds), _, mode) == ds`
/// exactly when `mode` recovers the kind: [`LabelMode::Auto`] for binary data and for
/// regression data whose targets are not all in {−1, 1} or all in {0, 1};
/// [`LabelMode::MultiClass`] for multi-class data in which the highest class occurs.
pub fn to_csv_string(ds: &Dataset) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(16 + 40 * ds.len());
    s.push_str("x1,x2,y\n");
    for (p, &t) in ds.x.iter().zip(&ds.y) {
        // Writing into a String cannot fail.
        let _ = match ds.kind {
            TargetKind::Binary => {
                let label = if t > 0.0 { "1" } else { "-1" };
                writeln!(s, "{},{},{}", p[0], p[1], label)
            }
            TargetKind::MultiClass(_) => writeln!(s, "{},{},{}", p[0], p[1], t as i64),
            TargetKind::Regression => writeln!(s, "{},{},{}", p[0], p[1], t),
        };
    }
    s
}

/// Writes a dataset to a file in the format of [`to_csv_string`]; an I/O failure gives
/// [`Error::Io`] naming the path.
pub fn write_csv(path: &Path, ds: &Dataset) -> Result<()> {
    std::fs::write(path, to_csv_string(ds)).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng, rngs::StdRng};

    fn auto(text: &str) -> Result<Dataset> {
        parse_csv(text, "points.csv", LabelMode::Auto)
    }

    fn err_msg(text: &str, mode: LabelMode) -> String {
        match parse_csv(text, "points.csv", mode) {
            Ok(ds) => panic!("expected an error, got {ds:?}"),
            Err(e) => {
                assert!(matches!(e, Error::Parse { .. }), "{e:?}");
                e.to_string()
            }
        }
    }

    #[test]
    fn header_detection() {
        let with = auto("x1,x2,y\n1,2,0.5\n3,4,1.5\n").unwrap();
        let without = auto("1,2,0.5\n3,4,1.5\n").unwrap();
        assert_eq!(with, without);
        assert_eq!(with.len(), 2);
        assert_eq!(with.x, vec![[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(with.kind, TargetKind::Regression);
        // Any non-numeric names count as a header, after comments and blank lines.
        let ds = auto("# made by hand\n\n  a , b , label \n1,2,1\n").unwrap();
        assert_eq!(ds.len(), 1);
        // A header appearing later is an error naming its line.
        let m = err_msg("1,2,3\nx1,x2,y\n", LabelMode::Auto);
        assert!(m.starts_with("points.csv:2: "), "{m}");
        assert!(m.contains("\"x1\" in column x1 is not a number"), "{m}");
        // A header with the wrong number of columns.
        let m = err_msg("x1;x2;y\n1;2;3\n", LabelMode::Auto);
        assert!(m.starts_with("points.csv:1: "), "{m}");
        assert!(m.contains("found 1"), "{m}");
    }

    #[test]
    fn comments_blank_lines_whitespace_crlf() {
        let text = "\u{feff}# comment\r\n\r\n   \r\nx1, x2 ,y\r\n  # indented comment\r\n \t1.5 , -2e-3,\t0.25 \r\n\r\n-1,+3,.5\r\n";
        let ds = auto(text).unwrap();
        assert_eq!(ds.x, vec![[1.5, -2e-3], [-1.0, 3.0]]);
        assert_eq!(ds.y, vec![0.25, 0.5]);
        assert_eq!(ds.kind, TargetKind::Regression);
    }

    #[test]
    fn zero_one_labels_map_to_minus_one() {
        let ds = auto("x1,x2,y\n0,0,0\n1,1,1\n2,2,0\n").unwrap();
        assert_eq!(ds.kind, TargetKind::Binary);
        assert_eq!(ds.y, vec![-1.0, 1.0, -1.0]);
        // Single distinct value 0 -> binary, mapped.
        let ds = auto("0,0,0\n").unwrap();
        assert_eq!((ds.kind, ds.y.clone()), (TargetKind::Binary, vec![-1.0]));
        // 0.0 and 1.0 written as floats are the same values.
        let ds = auto("0,0,0.0\n1,1,1.0\n").unwrap();
        assert_eq!(ds.y, vec![-1.0, 1.0]);
    }

    #[test]
    fn plus_minus_one_labels() {
        let ds = auto("0,0,-1\n1,1,1\n2,2,+1\n").unwrap();
        assert_eq!(ds.kind, TargetKind::Binary);
        assert_eq!(ds.y, vec![-1.0, 1.0, 1.0]);
        let ds = auto("0,0,1\n").unwrap();
        assert_eq!(ds.kind, TargetKind::Binary);
    }

    #[test]
    fn regression_labels() {
        let ds = auto("0,0,-1\n1,1,0\n2,2,1\n").unwrap();
        assert_eq!(ds.kind, TargetKind::Regression);
        assert_eq!(ds.y, vec![-1.0, 0.0, 1.0]);
        let ds = auto("0,0,2\n1,1,3.5\n").unwrap();
        assert_eq!(ds.kind, TargetKind::Regression);
    }

    #[test]
    fn multi_class() {
        let ds = parse_csv(
            "x1,x2,y\n0,0,0\n1,1,2\n2,2,1.0\n3,3,2\n",
            "p",
            LabelMode::MultiClass,
        )
        .unwrap();
        assert_eq!(ds.kind, TargetKind::MultiClass(3));
        assert_eq!(ds.y, vec![0.0, 2.0, 1.0, 2.0]);
        // Binary-looking data in multi-class mode stays class indices.
        let ds = parse_csv("0,0,0\n1,1,1\n", "p", LabelMode::MultiClass).unwrap();
        assert_eq!(ds.kind, TargetKind::MultiClass(2));
        assert_eq!(ds.y, vec![0.0, 1.0]);
        for bad in ["-1", "1.5", "1e9"] {
            let m = err_msg(
                &format!("x1,x2,y\n0,0,0\n\n1,1,{bad}\n"),
                LabelMode::MultiClass,
            );
            assert!(m.starts_with("points.csv:4: "), "{m}");
            assert!(m.contains(&format!("\"{bad}\"")), "{m}");
            assert!(m.contains("integer"), "{m}");
        }
    }

    #[test]
    fn wrong_column_count_names_line() {
        let text = "x1,x2,y\n# c\n1,2,3\n\n4,5,6\n7,8,9\n1,2\n";
        let m = err_msg(text, LabelMode::Auto);
        assert_eq!(
            m,
            "points.csv:7: expected 3 comma-separated values (x1,x2,y), found 2"
        );
        let m = err_msg("1,2,3\n1,2,3,4\n", LabelMode::Auto);
        assert!(
            m.starts_with("points.csv:2: ") && m.contains("found 4"),
            "{m}"
        );
        let m = err_msg("1,2,3\n1,2,3,\n", LabelMode::Auto);
        assert!(
            m.starts_with("points.csv:2: ") && m.contains("found 4"),
            "{m}"
        );
        let m = err_msg("1 2 3\n", LabelMode::Auto);
        assert!(
            m.starts_with("points.csv:1: ") && m.contains("found 1"),
            "{m}"
        );
    }

    #[test]
    fn non_numbers_name_line_and_column() {
        let m = err_msg("x1,x2,y\n1,2,3\n1,abc,3\n", LabelMode::Auto);
        assert_eq!(
            m,
            "points.csv:3: value \"abc\" in column x2 is not a number"
        );
        let m = err_msg("1,2,3\n4,5,yes\n", LabelMode::Auto);
        assert_eq!(m, "points.csv:2: value \"yes\" in column y is not a number");
        // A typo in the first data line is not mistaken for a header.
        let m = err_msg("1,2x,3\n", LabelMode::Auto);
        assert_eq!(m, "points.csv:1: value \"2x\" in column x2 is not a number");
        let m = err_msg("1,2,3\n ,5,6\n", LabelMode::Auto);
        assert_eq!(m, "points.csv:2: empty value in column x1");
    }

    #[test]
    fn nan_and_inf_rejected() {
        let m = err_msg("x1,x2,y\n1,2,3\n\n1,2,NaN\n", LabelMode::Auto);
        assert_eq!(m, "points.csv:4: NaN/infinite value in column y");
        let m = err_msg("inf,2,3\n", LabelMode::Auto);
        assert_eq!(m, "points.csv:1: NaN/infinite value in column x1");
        let m = err_msg("1,2,3\n1,-infinity,3\n", LabelMode::Auto);
        assert_eq!(m, "points.csv:2: NaN/infinite value in column x2");
        let m = err_msg("1,2,3\n1,2,1e400\n", LabelMode::Auto);
        assert_eq!(m, "points.csv:2: NaN/infinite value in column y");
    }

    #[test]
    fn empty_and_header_only_are_errors() {
        for text in ["", "\n\n", "# only a comment\n\n"] {
            let m = err_msg(text, LabelMode::Auto);
            assert!(m.starts_with("points.csv:0: no data points"), "{m}");
        }
        let m = err_msg("x1,x2,y\n", LabelMode::Auto);
        assert_eq!(m, "points.csv:1: only a header line, no data points");
        let m = err_msg("# c\n\nx1,x2,y\n# nothing\n", LabelMode::MultiClass);
        assert_eq!(m, "points.csv:3: only a header line, no data points");
    }

    fn random_float(rng: &mut StdRng) -> f64 {
        match rng.random_range(0..4u32) {
            0 => rng.random::<f64>() * 2.0 - 1.0,
            // Magnitudes up to the accepted limit (1e100).
            1 => (rng.random::<f64>() - 0.5) * 10f64.powi(rng.random_range(-300..100)),
            2 => f64::from_bits(rng.random::<u64>() & !(0x7ffu64 << 52) | (0x3ffu64 << 52)) - 1.5,
            _ => {
                // Arbitrary finite bit patterns, including subnormals, within the limit.
                loop {
                    let v = f64::from_bits(rng.random::<u64>());
                    if v.is_finite() && v.abs() <= crate::limits::MAX_MAGNITUDE {
                        break v;
                    }
                }
            }
        }
    }

    #[test]
    fn exact_round_trip() {
        let mut rng = StdRng::seed_from_u64(123);
        for trial in 0..20 {
            let n = 1 + trial * 7;
            let x: Vec<[f64; 2]> = (0..n)
                .map(|_| [random_float(&mut rng), random_float(&mut rng)])
                .collect();
            // Regression: random reals (not all ±1 / 0-1 with overwhelming probability).
            let y: Vec<f64> = (0..n).map(|_| random_float(&mut rng)).collect();
            let ds = Dataset::new(x.clone(), y, TargetKind::Regression).unwrap();
            let back = parse_csv(&to_csv_string(&ds), "rt", LabelMode::Auto).unwrap();
            assert_eq!(back.kind, ds.kind);
            for (a, b) in back.x.iter().zip(&ds.x) {
                assert_eq!(a[0].to_bits(), b[0].to_bits());
                assert_eq!(a[1].to_bits(), b[1].to_bits());
            }
            for (a, b) in back.y.iter().zip(&ds.y) {
                assert_eq!(a.to_bits(), b.to_bits());
            }
            // Binary.
            let yb: Vec<f64> = (0..n)
                .map(|i| {
                    if i == 0 || rng.random::<bool>() {
                        1.0
                    } else {
                        -1.0
                    }
                })
                .collect();
            let ds = Dataset::new(x.clone(), yb, TargetKind::Binary).unwrap();
            let text = to_csv_string(&ds);
            assert!(
                text.lines()
                    .skip(1)
                    .all(|l| l.ends_with(",1") || l.ends_with(",-1"))
            );
            assert_eq!(parse_csv(&text, "rt", LabelMode::Auto).unwrap(), ds);
            // Multi-class (make sure the top class occurs).
            let yc: Vec<f64> = (0..n)
                .map(|i| {
                    if i == 0 {
                        3.0
                    } else {
                        rng.random_range(0..4u32) as f64
                    }
                })
                .collect();
            let ds = Dataset::new(x, yc, TargetKind::MultiClass(4)).unwrap();
            let text = to_csv_string(&ds);
            assert!(text.lines().skip(1).all(|l| !l.ends_with(".0")));
            assert_eq!(parse_csv(&text, "rt", LabelMode::MultiClass).unwrap(), ds);
        }
        // Negative zero survives.
        let ds = Dataset::new(vec![[-0.0, 0.0]], vec![-0.0], TargetKind::Regression).unwrap();
        let back = parse_csv(&to_csv_string(&ds), "rt", LabelMode::Auto);
        // -0 == 0 so Auto reads it as binary {0} -> -1; check the coordinates only.
        assert_eq!(back.unwrap().x[0][0].to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn file_io() {
        let dir = std::env::temp_dir().join(format!("cnx-data-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pts.csv");
        let ds = Dataset::new(
            vec![[0.5, -0.25], [1.0, 2.0]],
            vec![1.0, -1.0],
            TargetKind::Binary,
        )
        .unwrap();
        write_csv(&path, &ds).unwrap();
        assert_eq!(read_csv(&path, LabelMode::Auto).unwrap(), ds);

        std::fs::write(&path, "x1,x2,y\n1,2\n").unwrap();
        let e = read_csv(&path, LabelMode::Auto).unwrap_err();
        assert!(e.to_string().starts_with("pts.csv:2: "), "{e}");

        let missing = dir.join("missing.csv");
        let e = read_csv(&missing, LabelMode::Auto).unwrap_err();
        assert!(
            matches!(e, Error::Io { ref path, .. } if path == &missing),
            "{e:?}"
        );
        assert!(e.to_string().contains("missing.csv"));
        let e = write_csv(&dir.join("no/such/dir.csv"), &ds).unwrap_err();
        assert!(matches!(e, Error::Io { .. }));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
