//! Where the command line writes: one report on stdout, errors as one line on stderr.

use std::io::Write;

use crate::error::{Error, Result};

/// Writes `text` and a newline to `out`.
pub fn write_out(out: &mut dyn Write, text: &str) -> Result<()> {
    writeln!(out, "{text}").map_err(|e| Error::Io {
        path: "<stdout>".into(),
        source: e,
    })
}

/// Writes raw bytes (a CSV) to `out`.
pub fn write_raw(out: &mut dyn Write, text: &str) -> Result<()> {
    out.write_all(text.as_bytes()).map_err(|e| Error::Io {
        path: "<stdout>".into(),
        source: e,
    })
}
