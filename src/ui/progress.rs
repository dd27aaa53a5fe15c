//! Progress on stderr for long work. On a terminal: one bar with bytes, rate and ETA,
//! fed by a shared counter that the worker threads advance, and the current phase as
//! its message. Without one: a plain line per phase, no bar.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar on screen, if any: phases become its message.
static CURRENT: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Says what the work is doing now and, where it waits, why ("stopping db: it has up to
/// 10 s to exit"): the message of the bar on a terminal, else one line on stderr.
pub fn phase(text: &str) {
    let current = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
    match current.as_ref() {
        Some(bar) => bar.set_message(text.to_string()),
        None => crate::say!("{text}"),
    }
}

/// A bar that follows a byte counter until dropped.
pub struct Progress {
    bar: Option<ProgressBar>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Shows `what`, following `done` bytes of `total` (0 while unknown).
    pub fn bytes(what: &str, done: Arc<AtomicU64>, total: Arc<AtomicU64>) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                task: None,
            };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        );
        if let Ok(style) = style {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        let ticking = bar.clone();
        let task = tokio::spawn(async move {
            // Neither the position nor the length ever goes back: a bar that jumps
            // backwards when the estimate was low tells the operator nothing.
            let (mut shown, mut length) = (0, 0);
            loop {
                shown = shown.max(done.load(Ordering::Relaxed));
                let estimate = total.load(Ordering::Relaxed);
                if estimate > 0 || length > 0 {
                    length = length.max(estimate).max(shown);
                    ticking.set_length(length);
                }
                ticking.set_position(shown);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
        Progress {
            bar: Some(bar),
            task: Some(task),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(bar) = self.bar.take() {
            CURRENT.lock().unwrap_or_else(|e| e.into_inner()).take();
            bar.finish_and_clear();
        }
    }
}
