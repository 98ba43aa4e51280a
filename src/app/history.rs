//! Everything a run produced, for scrubbing: every iterate's scalars, snapshots every k
//! iterations (thinned evenly when too many, so memory stays bounded), the SGD curves and
//! snapshots, and the β changes of a regularisation path. Exports to CSV and JSON.

use std::sync::Arc;

use serde::Serialize;

use crate::formulation::{SgdPoint, SgdSnapshot, Snapshot};
use crate::solve::Iterate;

/// Most snapshots kept per series; beyond, every other one is dropped (keyframes stay evenly
/// spaced, the first and the newest are always kept).
pub const SNAPSHOT_CAP: usize = 600;

/// The history of one run.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Every convex-solver iterate.
    pub iterates: Vec<Iterate>,
    /// Convex-solver snapshots, increasing `iter`.
    pub snapshots: Vec<Arc<Snapshot>>,
    /// SGD scalars per epoch.
    pub sgd: Vec<SgdPoint>,
    /// SGD snapshots, increasing `epoch`.
    pub sgd_snapshots: Vec<Arc<SgdSnapshot>>,
    /// `(iteration, β)` at every β change (the first entry is the starting β).
    pub beta_marks: Vec<(usize, f64)>,
}

fn thin<T>(v: &mut Vec<T>) {
    if v.len() <= SNAPSHOT_CAP {
        return;
    }
    let last = v.len() - 1;
    let mut i = 0;
    v.retain(|_| {
        let keep = i % 2 == 0 || i == last;
        i += 1;
        keep
    });
}

/// The CSV series name of an iterate's phase.
fn phase_name(p: crate::solve::Phase) -> &'static str {
    match p {
        crate::solve::Phase::Admm => "admm",
        crate::solve::Phase::Polish => "polish",
        crate::solve::Phase::Fista => "rfista",
        crate::solve::Phase::AugLag => "augmented_lagrangian",
    }
}

impl History {
    /// Adds a convex snapshot (replacing one at the same iteration).
    pub fn push_snapshot(&mut self, s: Arc<Snapshot>) {
        if let Some(last) = self.snapshots.last()
            && last.iter >= s.iter
        {
            self.snapshots.retain(|x| x.iter < s.iter);
        }
        self.snapshots.push(s);
        thin(&mut self.snapshots);
    }

    /// Adds an SGD snapshot.
    pub fn push_sgd_snapshot(&mut self, s: Arc<SgdSnapshot>) {
        self.sgd_snapshots.retain(|x| x.epoch < s.epoch);
        self.sgd_snapshots.push(s);
        thin(&mut self.sgd_snapshots);
    }

    /// Last convex iteration done.
    pub fn last_iter(&self) -> usize {
        self.iterates.last().map_or(0, |i| i.iter)
    }

    /// Last SGD epoch done.
    pub fn last_epoch(&self) -> usize {
        self.sgd.last().map_or(0, |p| p.epoch)
    }

    /// The end of the time bar.
    pub fn latest(&self) -> usize {
        self.last_iter().max(self.last_epoch())
    }

    /// The convex snapshot shown at time `t` (the newest one at or before `t`).
    pub fn snapshot_at(&self, t: usize) -> Option<&Arc<Snapshot>> {
        let k = self.snapshots.partition_point(|s| s.iter <= t);
        self.snapshots.get(k.checked_sub(1)?)
    }

    /// The SGD snapshot shown at time `t`.
    pub fn sgd_snapshot_at(&self, t: usize) -> Option<&Arc<SgdSnapshot>> {
        let k = self.sgd_snapshots.partition_point(|s| s.epoch <= t);
        self.sgd_snapshots.get(k.checked_sub(1)?)
    }

    /// The iterate at time `t` (the newest at or before `t`).
    pub fn iterate_at(&self, t: usize) -> Option<&Iterate> {
        let k = self.iterates.partition_point(|i| i.iter <= t);
        self.iterates.get(k.checked_sub(1)?)
    }

    /// The SGD point at time `t`.
    pub fn sgd_at(&self, t: usize) -> Option<&SgdPoint> {
        let k = self.sgd.partition_point(|p| p.epoch <= t);
        self.sgd.get(k.checked_sub(1)?)
    }

    /// β in force at iteration `t`.
    pub fn beta_at(&self, t: usize) -> Option<f64> {
        self.beta_marks
            .iter()
            .rev()
            .find(|(i, _)| *i <= t)
            .or(self.beta_marks.first())
            .map(|m| m.1)
    }

    /// CSV: one row per convex iterate and per SGD seed and epoch.
    pub fn to_csv(&self) -> String {
        let mut s = String::from(
            "series,step,seconds,beta,objective_upper,lower_bound,rel_gap,certificate_over_beta,penalty,status\n",
        );
        let mut secs = 0.0;
        for it in &self.iterates {
            secs += it.seconds;
            s += &format!(
                "{},{},{:.6},{},{},{},{},{},{},{}\n",
                phase_name(it.phase),
                it.iter,
                secs,
                self.beta_at(it.iter).unwrap_or(f64::NAN),
                it.upper,
                it.lower,
                it.rel_gap,
                it.certificate,
                it.rho,
                it.status.name()
            );
        }
        let seeds = self.sgd.first().map_or(0, |p| p.objectives.len());
        for k in 0..seeds {
            for p in &self.sgd {
                s += &format!(
                    "sgd_seed_{},{},{:.6},{},{},,,,,\n",
                    k + 1,
                    p.epoch,
                    p.seconds[k],
                    self.beta_marks.last().map_or(f64::NAN, |m| m.1),
                    p.objectives[k]
                );
            }
        }
        s
    }

    /// JSON with the same content, structured.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct SgdSeries {
            seed: usize,
            epochs: Vec<usize>,
            seconds: Vec<f64>,
            objective: Vec<f64>,
        }
        #[derive(Serialize)]
        struct Out<'a> {
            admm: &'a [Iterate],
            beta_changes: &'a [(usize, f64)],
            sgd: Vec<SgdSeries>,
        }
        let seeds = self.sgd.first().map_or(0, |p| p.objectives.len());
        let out = Out {
            admm: &self.iterates,
            beta_changes: &self.beta_marks,
            sgd: (0..seeds)
                .map(|k| SgdSeries {
                    seed: k + 1,
                    epochs: self.sgd.iter().map(|p| p.epoch).collect(),
                    seconds: self.sgd.iter().map(|p| p.seconds[k]).collect(),
                    objective: self.sgd.iter().map(|p| p.objectives[k]).collect(),
                })
                .collect(),
        };
        serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certify::Bounds;
    use crate::formulation::{DualView, ModelSnapshot, ReluSnapshot};
    use crate::geometry::grid::Grid;
    use crate::model::ReluNetwork;

    fn snap(iter: usize) -> Arc<Snapshot> {
        let g = Grid {
            nx: 1,
            ny: 1,
            extent: [0.0, 1.0, 0.0, 1.0],
            values: vec![0.0],
        };
        Arc::new(Snapshot {
            iter,
            beta: 0.1,
            bounds: Bounds {
                upper: 1.0,
                lower: 0.0,
                certificate: 1.0,
            },
            train: None,
            test: None,
            output: g.clone(),
            classes: 1,
            model: ModelSnapshot::Relu(Box::new(ReluSnapshot {
                network: ReluNetwork::default(),
                shown: vec![],
                kkt: vec![],
                pattern_sizes: vec![],
                residual: DualView {
                    v: vec![],
                    c_over_beta: 1.0,
                    argmax: [0.0, 0.0, 1.0],
                    grid: g,
                    near_max: vec![],
                },
                certifying: None,
                gated: None,
                robust: None,
                working_set: None,
            })),
        })
    }

    #[test]
    fn snapshot_lookup_and_bounded_thinning() {
        let mut h = History::default();
        for i in (0..=5000).step_by(5) {
            h.push_snapshot(snap(i));
        }
        assert!(h.snapshots.len() <= SNAPSHOT_CAP);
        assert_eq!(h.snapshots.first().unwrap().iter, 0);
        assert_eq!(h.snapshots.last().unwrap().iter, 5000);
        // Kept snapshots stay sorted, and lookups return the newest one at or before t.
        assert!(h.snapshots.windows(2).all(|w| w[0].iter < w[1].iter));
        for t in [0, 1, 777, 4999, 5000, 9999] {
            let s = h.snapshot_at(t).unwrap();
            assert!(s.iter <= t);
            let next = h.snapshots.iter().find(|x| x.iter > s.iter);
            assert!(next.is_none_or(|n| n.iter > t));
        }
        // A snapshot at an earlier iteration (β change replay) replaces the later ones.
        h.push_snapshot(snap(100));
        assert_eq!(h.snapshots.last().unwrap().iter, 100);
    }

    #[test]
    fn beta_in_force_follows_the_marks() {
        let h = History {
            beta_marks: vec![(0, 0.1), (40, 0.01)],
            ..History::default()
        };
        assert_eq!(h.beta_at(10), Some(0.1));
        assert_eq!(h.beta_at(40), Some(0.01));
        assert_eq!(h.beta_at(99), Some(0.01));
    }
}
