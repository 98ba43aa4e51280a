//! The integration tests, one test binary (the library, eframe and wgpu are linked once):
//! reference optima, the numerical core, activation patterns, the polynomial SDP, SGD against
//! the certified optimum, the command line, and the headless UI (with the `gui` feature).

#[cfg(test)]
mod cli;
#[cfg(test)]
#[allow(dead_code)]
mod common;
#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod gated;
#[cfg(test)]
mod numerics;
#[cfg(test)]
mod path3;
#[cfg(test)]
mod patterns;
#[cfg(test)]
mod poly;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod robust;
#[cfg(test)]
mod sgd;
#[cfg(test)]
#[cfg(feature = "gui")]
mod ui;
#[cfg(test)]
#[cfg(feature = "gui")]
mod ui_truth;
#[cfg(test)]
mod working_set;
