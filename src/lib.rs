//! # convex-nn-explorer
//!
//! Training a two-layer ReLU network with weight decay is a convex problem in disguise
//! (Pilanci & Ergen 2020). This crate is the numerical engine of the explorer: exact activation
//! patterns of 2D data, the convex program solved by ADMM with a cheap Woodbury update, an exact
//! polish, dual certificates that *prove* how far any network (ADMM's or SGD's) is from the
//! global optimum, and the maps between networks and the convex program.
//!
//! The math and its conventions are in `docs/math.md` (`#conventions`: bias by augmenting `x`
//! with 1, losses summed over samples, strict pattern rule). The formulations the CLI and the
//! app offer are registered in [`formulation`]. Only `app` (behind the default `gui` feature)
//! depends on a GUI.

#[cfg(feature = "gui")]
pub mod app;
pub mod certify;
pub mod cli;
pub mod convex;
pub mod data;
pub mod decompose;
pub mod error;
pub mod formulation;
pub mod geometry;
pub mod limits;
pub mod model;
pub mod solve;
pub mod vec3;

pub use error::{Error, Result};
