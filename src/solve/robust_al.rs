//! The first-order phase for the robust program (RC) (docs/math.md#robust-solver): an augmented
//! Lagrangian with R-FISTA inside, as for (C) ([`super::auglag`]). The robust cones are linear in
//! the box corners (`e x̃_cᵀu ≥ 0` on each cone's facet rows), so they get multipliers and a
//! penalty exactly like the cone rows of (C). The robust loss nests two kinks — the loss's and
//! the ℓ1 norm of the slope — so R-FISTA descends a Huber-smoothed version of both (width
//! [`SMOOTHING`]); every bound is still computed with the true (RC) objective, on points repaired
//! into the robust cones.

use super::rfista::{RFista, Smooth};
use crate::convex::robust::RobustProblem;
use crate::model::Loss;
use crate::model::loss::sigmoid;
use crate::vec3::dot3;

/// Width of the Huber smoothing of the hinge and of `|·|`.
pub const SMOOTHING: f64 = 0.05;

/// Huber `|t|` and its derivative.
fn huber(t: f64) -> (f64, f64) {
    if t.abs() >= SMOOTHING {
        (t.abs() - 0.5 * SMOOTHING, t.signum())
    } else {
        (0.5 * t * t / SMOOTHING, t / SMOOTHING)
    }
}

/// The augmented Lagrangian's state.
pub struct RobustAl {
    fista: RFista,
    /// Multipliers of the facet rows, block by block (rows of block `k`: `cones[k mod P].rows`).
    gamma: Vec<Vec<f64>>,
    delta: f64,
    inner: usize,
    last_violation: f64,
}

struct Penalized<'a> {
    pr: &'a RobustProblem,
    al: &'a RobustAl,
}

impl RobustAl {
    /// Starts at `z = 0`, `γ = 0`, `δ = 10`.
    pub fn new(pr: &RobustProblem) -> Self {
        let p = pr.p();
        let gamma = (0..2 * p)
            .map(|k| vec![0.0; pr.cones[k % p].rows.len()])
            .collect();
        let trace: f64 = pr.xt.iter().map(|x| dot3(x, x)).sum();
        let delta = 10.0;
        let curvature = match pr.loss {
            Loss::Squared => 1.0 + pr.eps,
            _ => 1.0 / SMOOTHING,
        };
        // A rough Lipschitz estimate; backtracking corrects it.
        let l = curvature * trace * (1.0 + pr.eps / SMOOTHING) + delta * trace;
        Self {
            fista: RFista::start(vec![[0.0; 3]; 2 * p], 1.0 / l.max(1e-12)),
            gamma,
            delta,
            inner: 0,
            last_violation: f64::INFINITY,
        }
    }

    /// The current iterate.
    pub fn iterate(&self) -> &[[f64; 3]] {
        self.fista.iterate()
    }

    /// The penalty δ.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// One R-FISTA step; a multiplier update every 100 steps or when the gradient mapping is
    /// small. Returns `false` on non-finite numbers.
    pub fn step(&mut self, pr: &RobustProblem) -> bool {
        let mut fista = std::mem::replace(&mut self.fista, RFista::start(Vec::new(), 1.0));
        let ok = fista.step(&Penalized { pr, al: self });
        self.fista = fista;
        self.inner += 1;
        let scale = 1.0 + pr.y.iter().map(|v| v.abs()).sum::<f64>();
        if self.inner >= 100 || self.fista.gradient_mapping() <= 1e-6 * scale {
            self.update_multipliers(pr);
        }
        ok
    }

    fn rows(pr: &RobustProblem, k: usize) -> impl Iterator<Item = ([f64; 3], f64)> + '_ {
        let p = pr.p();
        pr.cones[k % p].rows.iter().map(|&(c, e)| {
            let xc = pr.corners[c];
            ([xc[0], xc[1], 1.0], e)
        })
    }

    fn update_multipliers(&mut self, pr: &RobustProblem) {
        let z = self.fista.iterate().to_vec();
        let mut viol = 0.0;
        for (k, zk) in z.iter().enumerate() {
            for ((xc, e), g) in Self::rows(pr, k).zip(self.gamma[k].iter_mut()) {
                let c = -e * dot3(&xc, zk);
                *g = (*g + self.delta * c).max(0.0);
                if c > 0.0 {
                    viol += c * c;
                }
            }
        }
        let viol = viol.sqrt();
        if viol > 0.25 * self.last_violation && self.delta < 160.0 {
            self.delta *= 2.0;
            self.fista.scale_step(0.5);
        }
        self.last_violation = viol;
        self.inner = 0;
        self.fista.reset_momentum();
    }
}

impl Smooth for Penalized<'_> {
    fn value(&self, z: &[[f64; 3]]) -> f64 {
        self.eval(z, false).0
    }
    fn value_grad(&self, z: &[[f64; 3]]) -> (f64, Vec<[f64; 3]>) {
        self.eval(z, true)
    }
    fn beta(&self) -> f64 {
        self.pr.beta
    }
}

impl Penalized<'_> {
    fn eval(&self, z: &[[f64; 3]], grad: bool) -> (f64, Vec<[f64; 3]>) {
        let pr = self.pr;
        let (n, p) = (pr.n(), pr.p());
        let (yhat, a) = pr.predict(z);
        let eps = pr.eps;
        // Smoothed robust loss and its derivatives in ŷ_j and a_j.
        let mut f = 0.0;
        let mut dy = vec![0.0; n];
        let mut da = vec![[0.0; 2]; n];
        for j in 0..n {
            let (h0, g0) = huber(a[j][0]);
            let (h1, g1) = huber(a[j][1]);
            let spread = eps * (h0 + h1);
            let y = pr.y[j];
            let (val, d_y, d_spread) = match pr.loss {
                Loss::Hinge => {
                    let m = 1.0 - y * yhat[j] + spread;
                    if m <= 0.0 {
                        (0.0, 0.0, 0.0)
                    } else if m >= SMOOTHING {
                        (m - 0.5 * SMOOTHING, -y, 1.0)
                    } else {
                        (0.5 * m * m / SMOOTHING, -y * m / SMOOTHING, m / SMOOTHING)
                    }
                }
                Loss::Logistic => {
                    let m = -y * yhat[j] + spread;
                    let s = sigmoid(m);
                    (crate::model::loss::softplus(m), -y * s, s)
                }
                Loss::Squared => {
                    let (hr, gr) = huber(yhat[j] - y);
                    let r = hr + spread;
                    (0.5 * r * r, r * gr, r)
                }
            };
            f += val;
            dy[j] = d_y;
            da[j] = [d_spread * eps * g0, d_spread * eps * g1];
        }
        let mut g = if grad {
            vec![[0.0; 3]; 2 * p]
        } else {
            Vec::new()
        };
        let delta = self.al.delta;
        for (k, zk) in z.iter().enumerate() {
            let i = k % p;
            let s = if k < p { 1.0 } else { -1.0 };
            let mut acc = [0.0; 3];
            if grad {
                for j in 0..n {
                    if pr.d[i * n + j] != 0 {
                        let xj = &pr.xt[j];
                        acc[0] += s * (dy[j] * xj[0] + da[j][0]);
                        acc[1] += s * (dy[j] * xj[1] + da[j][1]);
                        acc[2] += s * dy[j];
                    }
                }
            }
            for ((xc, e), &gam) in RobustAl::rows(pr, k).zip(&self.al.gamma[k]) {
                let t = (gam - delta * e * dot3(&xc, zk)).max(0.0);
                if t > 0.0 {
                    f += 0.5 * t * t / delta;
                    if grad {
                        for c in 0..3 {
                            acc[c] -= e * t * xc[c];
                        }
                    }
                }
            }
            if grad {
                g[k] = acc;
            }
        }
        (f, g)
    }
}
