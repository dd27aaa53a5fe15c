//! One cancellation signal for the whole process. Ctrl-C, SIGTERM, SIGHUP and EOF on
//! the Docker CLI's plugin socket all trigger it; every long operation observes it so
//! that it can stop cleanly and restart whatever it stopped.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// A handle every long operation holds to learn that the user asked to stop.
#[derive(Clone, Debug)]
pub struct Cancel {
    rx: watch::Receiver<Option<&'static str>>,
}

/// The side that triggers a [`Cancel`].
#[derive(Clone, Debug)]
pub struct CancelTrigger {
    tx: watch::Sender<Option<&'static str>>,
}

/// A new cancellation pair, not triggered.
pub fn pair() -> (CancelTrigger, Cancel) {
    let (tx, rx) = watch::channel(None);
    (CancelTrigger { tx }, Cancel { rx })
}

impl CancelTrigger {
    /// Triggers cancellation, recording why (the first reason wins).
    pub fn trigger(&self, why: &'static str) {
        self.tx.send_if_modified(|reason| {
            if reason.is_none() {
                *reason = Some(why);
                true
            } else {
                false
            }
        });
    }
}

impl Cancel {
    /// Why cancellation was requested, if it was.
    pub fn reason(&self) -> Option<&'static str> {
        *self.rx.borrow()
    }

    /// Resolves once cancellation has been requested.
    pub async fn cancelled(&self) -> &'static str {
        let mut rx = self.rx.clone();
        let reason = rx.wait_for(Option::is_some).await.map(|reason| *reason);
        match reason {
            Ok(reason) => reason.unwrap_or("cancelled"),
            // The trigger is gone: nobody can cancel any more.
            Err(_) => std::future::pending().await,
        }
    }

    /// What `work` gives, unless cancellation comes first: then an interruption (exit
    /// 130) that says what it stopped (`interrupted (SIGINT) while {doing}`).
    pub async fn unless_cancelled<T>(
        &self,
        doing: &str,
        work: impl std::future::Future<Output = crate::error::Result<T>>,
    ) -> crate::error::Result<T> {
        tokio::select! {
            done = work => done,
            why = self.cancelled() => Err(interruption(why, doing)),
        }
    }

    /// An interruption, as [`Cancel::unless_cancelled`] says it, when cancellation has
    /// been requested: for a step about to begin.
    pub fn check(&self, doing: &str) -> crate::error::Result<()> {
        match self.reason() {
            Some(why) => Err(interruption(why, doing)),
            None => Ok(()),
        }
    }
}

/// The interruption (exit 130) of what was `doing`, for `why`.
fn interruption(why: &str, doing: &str) -> crate::error::Error {
    let mut err = crate::error::Error::interrupted();
    err.message = format!("{why} while {doing}");
    err
}

/// The error a blocking worker returns when it stops because of cancellation. Not
/// `ErrorKind::Interrupted`: the standard library retries those.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Cancelled;

/// An I/O error meaning "stopped because cancellation was requested".
pub fn cancelled_io() -> std::io::Error {
    std::io::Error::other(Cancelled)
}

/// True when `err` (or what it wraps) is [`cancelled_io`].
pub fn is_cancelled_io(err: &std::io::Error) -> bool {
    err.get_ref().is_some_and(|inner| inner.is::<Cancelled>())
}

/// Routes SIGINT, SIGTERM and SIGHUP to `trigger`. Must run inside the tokio runtime.
pub fn forward_signals(trigger: &CancelTrigger) -> std::io::Result<()> {
    for (kind, why) in [
        (SignalKind::interrupt(), "interrupted (SIGINT)"),
        (SignalKind::terminate(), "terminated (SIGTERM)"),
        (SignalKind::hangup(), "hung up (SIGHUP)"),
    ] {
        let mut stream = signal(kind)?;
        let trigger = trigger.clone();
        tokio::spawn(async move {
            if stream.recv().await.is_some() {
                tracing::info!("{why}: stopping");
                trigger.trigger(why);
            }
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_reason_wins_and_wakes_waiters() {
        let (trigger, cancel) = pair();
        assert_eq!(cancel.reason(), None);
        let waiter = tokio::spawn({
            let cancel = cancel.clone();
            async move { cancel.cancelled().await }
        });
        trigger.trigger("first");
        trigger.trigger("second");
        assert_eq!(waiter.await.unwrap(), "first");
        assert_eq!(cancel.reason(), Some("first"));
    }

    #[tokio::test]
    async fn work_ends_unless_cancelled_first() {
        let (trigger, cancel) = pair();
        assert_eq!(
            cancel
                .unless_cancelled("adding", async { Ok(1) })
                .await
                .unwrap(),
            1
        );
        trigger.trigger("interrupted (SIGINT)");
        let err = cancel
            .unless_cancelled(
                "waiting",
                std::future::pending::<crate::error::Result<()>>(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.code, crate::error::ExitCode::Interrupted);
        assert_eq!(err.message, "interrupted (SIGINT) while waiting");
    }
}
