//! What a released container must pass before its predecessor is removed: it runs, it
//! is healthy where it has a healthcheck (waiting as long as that healthcheck allows),
//! it stays up for `--stable-for`, and the probes declared for it answer (the doctor's
//! probes: `io.safeops.probe` labels, the service's `x-safeops.probes`).

use std::time::Duration;

use serde_json::Value;

use crate::compose::model::ComposeModel;
use crate::doctor::facts::Inspected;
use crate::doctor::probes;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::runmode::restart_check::{self, Patience};

/// How long a container without a healthcheck may take to run.
const WAIT_WITHOUT_HEALTHCHECK: Duration = Duration::from_secs(30);

/// The checks of a release.
#[derive(Debug, Clone)]
pub struct Gate {
    /// How long a new container must stay up.
    pub stable_for: Duration,
    /// The compose model, for the probes a service declares.
    pub model: Option<ComposeModel>,
}

impl Gate {
    /// How long to wait for a container whose healthchecks (the old container's and
    /// the new image's, `Config.Healthcheck` shaped) are `checks`: the longest they allow.
    pub fn patience(&self, checks: &[&Value]) -> Patience {
        let wait = checks
            .iter()
            .map(|check| {
                Patience::for_healthcheck(check, WAIT_WITHOUT_HEALTHCHECK, self.stable_for).wait
            })
            .max()
            .unwrap_or(WAIT_WITHOUT_HEALTHCHECK);
        Patience {
            wait,
            stable_for: self.stable_for,
        }
    }

    /// Runs the probes declared for the container `id`; the first that fails fails the
    /// gate. On a remote engine the containers' addresses are not reachable from here:
    /// the probes are skipped, and said so.
    pub async fn probes(&self, engine: &Engine, id: &str) -> Result<()> {
        let doc = engine
            .get_raw_json(&format!("/containers/{id}/json"))
            .await?;
        let inspected = Inspected {
            name: doc["Name"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            id: id.to_string(),
            doc,
        };
        let declared = probes::declared(&inspected, self.model.as_ref());
        if declared.is_empty() {
            return Ok(());
        }
        if !engine.endpoint.host.starts_with("unix://") {
            crate::say!(
                "note: {} declares probes, but the engine is on another host: not run",
                inspected.name
            );
            return Ok(());
        }
        let in_namespace = rustix::process::geteuid().is_root();
        let peers = std::collections::HashMap::new();
        for spec in declared {
            let probe = probes::parse(&spec).map_err(|why| {
                Error::failure(format!("{}: bad probe {spec:?}: {why}", inspected.name))
            })?;
            match probes::run(&probe, &inspected, in_namespace, &peers).await {
                Ok(answer) => tracing::info!(container = %inspected.name, %answer, "probe passed"),
                Err(why) => {
                    let logs = restart_check::last_logs(engine, id).await;
                    let logs: Vec<String> = logs.lines().map(|l| format!("  | {l}")).collect();
                    return Err(Error::failure(format!(
                        "{}: probe {} failed: {}; its last log lines:\n{}",
                        inspected.name,
                        crate::redact::text(&spec),
                        crate::redact::text(&why),
                        crate::redact::text(&logs.join("\n"))
                    )));
                }
            }
        }
        Ok(())
    }
}
