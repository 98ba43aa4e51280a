//! Solver threads. The convex solver, the SGD seeds and the certified-optimum solve of the
//! chosen formulation each run on a named thread. The UI sends [`Cmd`]s; threads send
//! [`Event`]s tagged with the run generation (stale runs are ignored) and ask for a repaint.
//! This module only moves data between threads: what is computed (iterates, snapshots with
//! their certificates and fields) comes from the formulation ([`crate::formulation`]), and is
//! computed here, off the UI thread, so a frame never waits for it. No egui types: a repaint is
//! a plain callback.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::formulation::{
    Formulation, Optimum, ProblemInfo, ProblemInput, SgdJob, SgdPoint, SgdSnapshot, Snapshot,
    Stepper, ViewSpec,
};
use crate::solve::{Iterate, Status};

/// A callback that wakes the UI.
pub type Repaint = Arc<dyn Fn() + Send + Sync>;

/// Commands to a stepping thread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cmd {
    /// Do this many more iterations, then report [`Event::Idle`].
    Advance(usize),
    /// Iterate until paused, converged or finished.
    Run,
    /// Stop iterating (keeps the state).
    Pause,
    /// Change β keeping the iterate (regularisation path).
    SetBeta(f64),
}

/// Events from the threads.
#[derive(Debug, Clone)]
pub enum Event {
    /// The convex problem is built.
    Problem(Arc<ProblemInfo>),
    /// Iterations done (batched).
    Iterates(Vec<Iterate>),
    /// A convex-solver snapshot.
    Snapshot(Arc<Snapshot>),
    /// β changed at this iteration.
    BetaChanged {
        /// Iteration.
        iter: usize,
        /// New β.
        beta: f64,
    },
    /// The convex solver reached a final status (converged, diverged).
    Finished(Status),
    /// A stepping thread finished its batch of iterations.
    Idle(Role),
    /// SGD started with this width.
    SgdStarted {
        /// Hidden width.
        width: usize,
    },
    /// SGD epochs (batched).
    Sgd(Vec<SgdPoint>),
    /// An SGD snapshot.
    SgdSnapshot(Arc<SgdSnapshot>),
    /// SGD did its last epoch.
    SgdDone,
    /// The certified optimum (or why it failed).
    Optimum(Result<Arc<Optimum>, String>),
    /// A thread failed; the message is shown in the window.
    Error(Role, String),
}

/// Which thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Convex solver.
    Convex = 0,
    /// SGD seeds.
    Sgd = 1,
    /// Certified optimum.
    Optimum = 2,
}

/// Where threads send events.
#[derive(Clone)]
pub struct Sink {
    generation: u64,
    tx: Sender<(u64, Event)>,
    repaint: Repaint,
}

impl Sink {
    /// A sink for run `generation`.
    pub fn new(generation: u64, tx: Sender<(u64, Event)>, repaint: Repaint) -> Self {
        Self {
            generation,
            tx,
            repaint,
        }
    }
    fn send(&self, e: Event) {
        // The receiver is gone only when the app is closing.
        let _ = self.tx.send((self.generation, e));
        (self.repaint)();
    }
}

/// A running thread with its command channel and stop flag. Dropping it stops and joins it.
pub struct Worker {
    tx: Sender<Cmd>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    fn spawn(
        name: &str,
        body: impl FnOnce(Receiver<Cmd>, Arc<AtomicBool>) + Send + 'static,
    ) -> Self {
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                // Best effort: a failure only means the UI competes with the solvers.
                let _ = thread_priority::set_current_thread_priority(
                    thread_priority::ThreadPriority::Min,
                );
                body(rx, s2)
            })
            .ok();
        Self { tx, stop, handle }
    }

    /// Sends a command (ignored if the thread has ended).
    pub fn send(&self, c: Cmd) {
        let _ = self.tx.send(c);
    }

    /// Asks the thread to end.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the thread has ended.
    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(|h| h.is_finished())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Batches iterates and flushes them at most every 30 ms.
struct Batch<T> {
    items: Vec<T>,
    last: Instant,
}

impl<T> Batch<T> {
    fn new() -> Self {
        Self {
            items: Vec::new(),
            last: Instant::now(),
        }
    }
    fn push(&mut self, t: T) {
        self.items.push(t);
    }
    fn due(&self) -> bool {
        !self.items.is_empty() && self.last.elapsed() > Duration::from_millis(30)
    }
    fn take(&mut self) -> Vec<T> {
        self.last = Instant::now();
        std::mem::take(&mut self.items)
    }
}

/// Shared "how to step" logic: budget of iterations or free run, paused otherwise.
struct Pace {
    budget: usize,
    run: bool,
}

impl Pace {
    fn active(&self) -> bool {
        self.run || self.budget > 0
    }
    /// Applies a command; returns a β change to act on.
    fn apply(&mut self, c: Cmd) -> Option<f64> {
        match c {
            Cmd::Advance(k) => self.budget += k,
            Cmd::Run => self.run = true,
            Cmd::Pause => {
                self.run = false;
                self.budget = 0;
            }
            Cmd::SetBeta(b) => return Some(b),
        }
        None
    }
    /// Waits for commands when idle; `Err(())` when the app is gone or the stop flag is set.
    fn poll(
        &mut self,
        rx: &Receiver<Cmd>,
        stop: &AtomicBool,
        mut on_beta: impl FnMut(f64),
    ) -> Result<(), ()> {
        loop {
            if stop.load(Ordering::Relaxed) {
                return Err(());
            }
            if self.active() {
                while let Ok(c) = rx.try_recv() {
                    if let Some(b) = self.apply(c) {
                        on_beta(b);
                    }
                }
                return Ok(());
            }
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(c) => {
                    if let Some(b) = self.apply(c) {
                        on_beta(b);
                        return Ok(());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Err(()),
            }
        }
    }
}

/// Starts the convex solver thread.
pub fn spawn_convex(
    f: &'static dyn Formulation,
    input: ProblemInput,
    view: ViewSpec,
    snapshot_every: usize,
    sink: Sink,
) -> Worker {
    Worker::spawn("convex-solver", move |rx, stop| {
        convex_thread(f, input, view, snapshot_every, sink, rx, &stop)
    })
}

fn convex_thread(
    f: &'static dyn Formulation,
    input: ProblemInput,
    view: ViewSpec,
    snapshot_every: usize,
    sink: Sink,
    rx: Receiver<Cmd>,
    stop: &AtomicBool,
) {
    let mut stepper = match f.build(&input) {
        Ok(s) => s,
        Err(e) => return sink.send(Event::Error(Role::Convex, e.to_string())),
    };
    sink.send(Event::Problem(Arc::new(stepper.info(&view))));
    let snap = |stepper: &dyn Stepper, iter: usize| {
        Event::Snapshot(Arc::new(stepper.snapshot(iter, &view)))
    };
    sink.send(snap(stepper.as_ref(), 0));
    let mut pace = Pace {
        budget: 0,
        run: false,
    };
    let mut batch = Batch::new();
    let mut iter = 0;
    let mut finished = false;
    loop {
        let mut new_beta = None;
        if pace.poll(&rx, stop, |b| new_beta = Some(b)).is_err() {
            return;
        }
        if let Some(b) = new_beta {
            match stepper.set_beta(b) {
                Ok(()) => {
                    finished = false;
                    sink.send(Event::Iterates(batch.take()));
                    sink.send(Event::BetaChanged { iter, beta: b });
                    sink.send(snap(stepper.as_ref(), iter));
                }
                Err(e) => sink.send(Event::Error(Role::Convex, e.to_string())),
            }
            continue;
        }
        if !pace.active() {
            continue;
        }
        if finished && pace.run {
            // Free running stops at the certified optimum; explicit steps still go on.
            pace.run = false;
            sink.send(Event::Idle(Role::Convex));
            continue;
        }
        let Some(it) = stepper.step() else {
            // Already finished (explicit steps after the end do nothing).
            finished = true;
            pace.run = false;
            pace.budget = 0;
            sink.send(Event::Finished(stepper.status()));
            sink.send(Event::Idle(Role::Convex));
            continue;
        };
        iter = it.iter;
        pace.budget = pace.budget.saturating_sub(1);
        batch.push(it);
        let done = stepper.is_done();
        let polish = it.phase == crate::solve::Phase::Polish;
        if it.iter.is_multiple_of(snapshot_every) || done || polish || !pace.active() {
            sink.send(Event::Iterates(batch.take()));
            sink.send(snap(stepper.as_ref(), it.iter));
        } else if batch.due() {
            sink.send(Event::Iterates(batch.take()));
        }
        if done && !finished {
            finished = true;
            pace.run = false;
            pace.budget = 0;
            sink.send(Event::Finished(stepper.status()));
        }
        if !pace.active() {
            sink.send(Event::Idle(Role::Convex));
        }
    }
}

/// Starts the SGD thread (all seeds in lockstep, one epoch per step); a snapshot of every
/// seed's network with certified bounds every `snapshot_every` epochs.
pub fn spawn_sgd(
    f: &'static dyn Formulation,
    input: ProblemInput,
    job: SgdJob,
    view: ViewSpec,
    snapshot_every: usize,
    sink: Sink,
) -> Worker {
    Worker::spawn("sgd-seeds", move |rx, stop| {
        let mut run = match f.sgd(&input, &job) {
            Ok(r) => r,
            Err(e) => return sink.send(Event::Error(Role::Sgd, e.to_string())),
        };
        sink.send(Event::SgdStarted {
            width: job.width.max(1),
        });
        let snap = |run: &dyn crate::formulation::SgdRun, epoch: usize| {
            Event::SgdSnapshot(Arc::new(run.snapshot(epoch, &view)))
        };
        sink.send(snap(run.as_ref(), 0));
        let mut seconds = vec![0.0; run.seeds()];
        let mut pace = Pace {
            budget: 0,
            run: false,
        };
        let mut batch = Batch::new();
        let mut epoch = 0;
        loop {
            if pace.poll(&rx, &stop, |_| {}).is_err() {
                return;
            }
            if !pace.active() {
                continue;
            }
            if epoch >= job.epochs {
                pace.run = false;
                pace.budget = 0;
                sink.send(Event::Sgd(batch.take()));
                sink.send(Event::SgdDone);
                sink.send(Event::Idle(Role::Sgd));
                continue;
            }
            let mut objectives = Vec::with_capacity(seconds.len());
            for ((sec, obj), s) in run.step().into_iter().zip(&mut seconds) {
                *s += sec;
                objectives.push(obj);
            }
            epoch += 1;
            pace.budget = pace.budget.saturating_sub(1);
            batch.push(SgdPoint {
                epoch,
                seconds: seconds.clone(),
                objectives,
            });
            if epoch.is_multiple_of(snapshot_every) || epoch == job.epochs || !pace.active() {
                sink.send(Event::Sgd(batch.take()));
                sink.send(snap(run.as_ref(), epoch));
            } else if batch.due() {
                sink.send(Event::Sgd(batch.take()));
            }
            if !pace.active() {
                sink.send(Event::Idle(Role::Sgd));
            }
        }
    })
}

/// Starts the certified-optimum solve.
pub fn spawn_optimum(f: &'static dyn Formulation, input: ProblemInput, sink: Sink) -> Worker {
    Worker::spawn("optimum", move |_rx, stop| {
        let r = f
            .optimum(&input, &stop)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        if !stop.load(Ordering::Relaxed) {
            sink.send(Event::Optimum(r));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}

    #[test]
    fn types_crossing_threads_are_send() {
        assert_send::<Event>();
        assert_send::<Cmd>();
        assert_send::<Sink>();
        assert_send::<Worker>();
    }
}
