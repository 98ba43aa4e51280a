//! The library's one error type (docs/contributing.md: `thiserror` in the library, `anyhow`-style
//! context only at the edges). Every message names the problem well enough to fix it.

use std::path::PathBuf;

/// Everything that can go wrong in the numerical core, dataset I/O and the CLI.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A data file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A data file is malformed; `line` is 1-based.
    #[error("{source_name}:{line}: {message}")]
    Parse {
        /// File name (or `<input>`).
        source_name: String,
        /// 1-based line number of the offending line (0 when the whole file is at fault).
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The data cannot be used for the requested problem (empty, wrong labels, …).
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// A setting is out of range (the message names the setting and the allowed range).
    #[error("invalid setting: {0}")]
    InvalidSetting(String),
    /// A numerical routine failed (factorisation of a non-positive-definite matrix, …).
    #[error("numerical failure: {0}")]
    Numerical(String),
}

/// Shorthand used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;
