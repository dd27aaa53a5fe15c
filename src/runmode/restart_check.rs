//! After a restart: wait until each container runs (and is healthy, where it has a
//! healthcheck), then watch it for a while to catch one that exits or restarts again
//! right after starting (seed 000 §2: "looks started, dies a second later"). A failure
//! names the container and shows its last log lines.

use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;
use serde_json::Value;

use crate::engine::Engine;
use crate::error::{Error, Result};

/// How many log lines a failure shows.
const LOG_TAIL: &str = "20";

/// What to wait for.
#[derive(Debug, Clone, Copy)]
pub struct Patience {
    /// Longest wait for running (and healthy).
    pub wait: Duration,
    /// How long a container must then stay up without exiting or restarting.
    pub stable_for: Duration,
}

impl Patience {
    /// As long as a container's own healthcheck (`Config.Healthcheck` of an inspect)
    /// lets it take to become healthy: its start period, then its retries each taking up
    /// to its interval plus its timeout, and one more interval (Docker's defaults where
    /// unset); `otherwise` without one.
    pub fn for_healthcheck(check: &Value, otherwise: Duration, stable_for: Duration) -> Patience {
        let ns = |key: &str| check[key].as_u64().unwrap_or(0);
        let has_test = check["Test"]
            .as_array()
            .is_some_and(|t| !t.is_empty() && t[0] != "NONE");
        let wait = if has_test {
            let interval = if ns("Interval") > 0 {
                ns("Interval")
            } else {
                30_000_000_000
            };
            let timeout = if ns("Timeout") > 0 {
                ns("Timeout")
            } else {
                30_000_000_000
            };
            let retries = check["Retries"].as_u64().filter(|r| *r > 0).unwrap_or(3);
            Duration::from_nanos(ns("StartPeriod") + retries * (interval + timeout) + interval)
                .max(Duration::from_secs(10))
        } else {
            otherwise
        };
        Patience { wait, stable_for }
    }
}

struct Seen {
    running: bool,
    restarting: bool,
    health: Option<String>,
    restart_count: i64,
    started_at: Option<String>,
    status: String,
    exit_code: Option<i64>,
}

async fn look(engine: &Engine, id: &str) -> Result<Seen> {
    let inspect = engine.docker.inspect_container(id, None).await?;
    let state = inspect.state.unwrap_or_default();
    Ok(Seen {
        running: state.running == Some(true),
        restarting: state.restarting == Some(true),
        health: state
            .health
            .and_then(|h| h.status)
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty() && s != "none"),
        restart_count: inspect.restart_count.unwrap_or(0),
        started_at: state.started_at,
        status: state.status.map(|s| s.to_string()).unwrap_or_default(),
        exit_code: state.exit_code,
    })
}

/// The last lines a container wrote.
pub async fn last_logs(engine: &Engine, id: &str) -> String {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail(LOG_TAIL)
        .build();
    let mut stream = engine.docker.logs(id, Some(options));
    let mut text = String::new();
    while let Some(Ok(item)) = stream.next().await {
        match item {
            LogOutput::StdOut { message }
            | LogOutput::StdErr { message }
            | LogOutput::Console { message } => {
                text.push_str(&String::from_utf8_lossy(&message));
            }
            LogOutput::StdIn { .. } => {}
        }
    }
    text
}

/// Checks that the container `name` (`id`) came up and stays up.
pub async fn check(engine: &Engine, id: &str, name: &str, patience: Patience) -> Result<()> {
    let deadline = Instant::now() + patience.wait;
    let failed = |why: String, logs: String| {
        // The report goes to JSON on stdout and to the audit log, not only to stderr
        // (whose messages are masked as they are printed).
        let logs = crate::redact::text(logs.trim_end());
        Error::failure(if logs.is_empty() {
            format!("{name} {why}")
        } else {
            format!(
                "{name} {why}; its last log lines:\n{}",
                logs.lines()
                    .map(|l| format!("  | {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
        .hint(format!("docker logs {name}"))
    };
    // Running, and healthy when it has a healthcheck.
    let baseline = loop {
        let seen = look(engine, id).await?;
        if !seen.running && !seen.restarting && seen.status == "exited" {
            let code = seen.exit_code.unwrap_or(0);
            return Err(failed(
                format!("exited (code {code}) right after starting"),
                last_logs(engine, id).await,
            ));
        }
        let healthy = seen.health.as_deref().is_none_or(|h| h == "healthy");
        if seen.health.as_deref() == Some("unhealthy") {
            return Err(failed("is unhealthy".into(), last_logs(engine, id).await));
        }
        if seen.running && !seen.restarting && healthy {
            break seen;
        }
        if Instant::now() > deadline {
            let why = match seen.health.as_deref() {
                Some(health) => format!(
                    "is not healthy after {}s (health: {health})",
                    patience.wait.as_secs()
                ),
                None => format!(
                    "is not running after {}s (state: {})",
                    patience.wait.as_secs(),
                    seen.status
                ),
            };
            return Err(failed(why, last_logs(engine, id).await));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Then it must stay up: no exit, no restart by the engine's restart policy.
    let stable_until = Instant::now() + patience.stable_for;
    while Instant::now() < stable_until {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let seen = look(engine, id)
            .await
            .map_err(|e| Error::failure(format!("{name}: {}", e.message)))?;
        if seen.restart_count > baseline.restart_count || seen.started_at != baseline.started_at {
            return Err(failed(
                format!(
                    "restarted again {}s after starting (restart loop)",
                    patience.stable_for.as_secs()
                ),
                last_logs(engine, id).await,
            ));
        }
        if !seen.running {
            let code = seen.exit_code.unwrap_or(0);
            return Err(failed(
                format!("exited (code {code}) shortly after starting"),
                last_logs(engine, id).await,
            ));
        }
        if seen.health.as_deref() == Some("unhealthy") {
            return Err(failed(
                "turned unhealthy shortly after starting".into(),
                last_logs(engine, id).await,
            ));
        }
    }
    Ok(())
}
