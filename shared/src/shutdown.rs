//! Graceful shutdown. On SIGTERM or SIGINT the server stops accepting, in-flight requests get
//! time to finish, then registered drain hooks run (e.g. the analytics buffer flushes), all
//! within one bounded timeout so the process always exits.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

type DrainFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
type DrainHook = Box<dyn FnOnce() -> DrainFuture + Send>;

/// Shared handle: trigger it, wait for it, and register what must run before exit.
#[derive(Clone)]
pub struct Shutdown {
    signal: watch::Sender<bool>,
    hooks: Arc<Mutex<Vec<(String, DrainHook)>>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        Self {
            signal: watch::channel(false).0,
            hooks: Arc::default(),
        }
    }

    /// Starts shutting down (idempotent).
    pub fn trigger(&self) {
        self.signal.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.signal.borrow()
    }

    /// Resolves once shutdown has been triggered; background loops select on it.
    pub fn triggered(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.signal.subscribe();
        async move {
            let _ = rx.wait_for(|stopping| *stopping).await;
        }
    }

    /// Registers work to run after the server has stopped accepting requests, e.g. flushing a
    /// buffer. Hooks run in registration order.
    pub fn on_drain<F, Fut>(&self, name: impl Into<String>, hook: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let hook: DrainHook = Box::new(move || Box::pin(hook()));
        self.hooks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((name.into(), hook));
    }

    /// Runs `job` after `first` and then every `period` until shutdown: a periodic background
    /// task. A failed run is logged (with `name`) and the next run comes at its time; a run that
    /// is under way when shutdown comes is dropped, so jobs must be safe to stop between awaits.
    pub fn spawn_every<F, Fut>(&self, name: &'static str, first: Duration, period: Duration, job: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let stop = self.triggered();
        tokio::spawn(async move {
            let work = async {
                tokio::time::sleep(first).await;
                loop {
                    if let Err(err) = job().await {
                        tracing::warn!(job = name, %err, "a periodic job failed; will retry");
                    }
                    tokio::time::sleep(period).await;
                }
            };
            tokio::select! {
                () = work => {}
                () = stop => {}
            }
        });
    }

    /// Runs every drain hook, giving them `budget` in total. Returns false if time ran out.
    pub async fn drain(&self, budget: Duration) -> bool {
        let hooks = std::mem::take(
            &mut *self
                .hooks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let run_all = async {
            for (name, hook) in hooks {
                tracing::info!(hook = %name, "draining");
                hook().await;
            }
        };
        let finished = tokio::time::timeout(budget, run_all).await.is_ok();
        if !finished {
            tracing::warn!(?budget, "drain hooks did not finish in time");
        }
        finished
    }

    /// Triggers shutdown on SIGTERM or SIGINT (spawn this once per process).
    pub async fn listen_for_signals(self) {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
            () = term => tracing::info!("SIGTERM received, shutting down"),
            () = self.triggered() => {}
        }
        self.trigger();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_periodic_job_runs_each_period_until_shutdown() {
        let shutdown = Shutdown::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        shutdown.spawn_every(
            "test",
            Duration::ZERO,
            Duration::from_millis(40),
            move || {
                let counted = counted.clone();
                async move {
                    // A failing run does not stop the next ones.
                    match counted.fetch_add(1, Ordering::SeqCst) {
                        0 => Err("first run fails".to_owned()),
                        _ => Ok(()),
                    }
                }
            },
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
        let before = runs.load(Ordering::SeqCst);
        assert!(before >= 3, "runs again after a failure: {before}");
        shutdown.trigger();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let stopped = runs.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(runs.load(Ordering::SeqCst), stopped, "none after shutdown");
    }

    #[tokio::test]
    async fn hooks_run_once_in_order_after_trigger() {
        let shutdown = Shutdown::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        for name in ["first", "second"] {
            let log = log.clone();
            shutdown.on_drain(name, move || async move { log.lock().unwrap().push(name) });
        }
        let waiter = tokio::spawn(shutdown.triggered());
        assert!(!shutdown.is_triggered());
        shutdown.trigger();
        waiter.await.unwrap();
        assert!(shutdown.drain(Duration::from_secs(1)).await);
        assert!(
            shutdown.drain(Duration::from_secs(1)).await,
            "second drain is a no-op"
        );
        assert_eq!(*log.lock().unwrap(), ["first", "second"]);
    }

    #[tokio::test]
    async fn a_stuck_hook_cannot_hold_the_process() {
        let shutdown = Shutdown::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        shutdown.on_drain("stuck", move || async move {
            r.fetch_add(1, Ordering::SeqCst);
            std::future::pending::<()>().await;
        });
        assert!(!shutdown.drain(Duration::from_millis(50)).await);
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }
}
