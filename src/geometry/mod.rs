//! Geometry of the hyperplane arrangement induced by the data (docs/math.md#patterns): activation
//! patterns, their generators, sampling, and the pattern of an arbitrary neuron.

pub mod areas;
pub mod bitset;
pub mod facets;
pub mod grid;
pub mod patterns;

pub use bitset::Bitset;
pub use facets::facets;
pub use patterns::{
    PatternMode, PatternSet, augment, enumerate_exact, enumerate_oracle, enumerate_sweep,
    pattern_of, sample_gaussian, sample_lines,
};
