//! A cancellable background computation that reports to a window through a channel: the
//! sampled-gates sweep and the model comparison. The window drains the messages every frame;
//! Cancel raises the stop flag and forgets the channel (the thread ends after its current
//! solve and its last messages go nowhere).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

/// A background job sending messages of type `M`.
pub struct Job<M> {
    rx: Option<Receiver<M>>,
    stop: Option<Arc<AtomicBool>>,
}

impl<M> Default for Job<M> {
    fn default() -> Self {
        Self {
            rx: None,
            stop: None,
        }
    }
}

impl<M: Send + 'static> Job<M> {
    /// Cancels any job running and starts `work` on a thread named `name`; `work` gets the
    /// sender, the stop flag and `ctx` (to ask for a repaint after a message), and `ctx` is
    /// asked to repaint after it returns.
    pub fn start(
        &mut self,
        name: &str,
        ctx: &eframe::egui::Context,
        work: impl FnOnce(&Sender<M>, &AtomicBool, &eframe::egui::Context) + Send + 'static,
    ) -> std::io::Result<()> {
        self.cancel();
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                work(&tx, &stop2, &ctx);
                ctx.request_repaint();
            })?;
        self.rx = Some(rx);
        self.stop = Some(stop);
        Ok(())
    }

    /// Whether a job is running (its messages are still awaited).
    pub fn running(&self) -> bool {
        self.rx.is_some()
    }

    /// Stops the job and drops its channel.
    pub fn cancel(&mut self) {
        if let Some(s) = &self.stop {
            s.store(true, Ordering::Relaxed);
        }
        self.rx = None;
        self.stop = None;
    }

    /// The messages that arrived since the last call.
    pub fn drain(&mut self) -> Vec<M> {
        self.rx
            .as_ref()
            .map(|rx| rx.try_iter().collect())
            .unwrap_or_default()
    }

    /// Marks the job finished (after its last message).
    pub fn finished(&mut self) {
        self.rx = None;
        self.stop = None;
    }
}
