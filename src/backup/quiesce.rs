//! Quiescing: stop exactly the containers that write to the volumes being captured,
//! check that they stopped, and start them again in dependency order. Every stop is
//! in the journal before it happens, so a restart is owed even if we die.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use bollard::query_parameters::StopContainerOptionsBuilder;

use crate::backup::journal::Journal;
use crate::engine::Engine;
use crate::engine::inventory::{self, Container};
use crate::error::{Error, Result, engine_message};

/// Containers with this label set to `false` are never stopped for a backup.
pub const LABEL_QUIESCE: &str = "io.safeops.quiesce";
/// Compose v2's dependency label: `svc:condition:required,...`.
/// How long an interrupted operation waits for the stops the engine is still carrying
/// out (the longest `-t` anyone uses, and the kill after it).
const STOP_PATIENCE: Duration = Duration::from_secs(600);
/// How long a started container has to reach `running`.
const START_PATIENCE: Duration = Duration::from_secs(30);

/// Whether a container may be stopped for a backup.
pub fn is_exempt(container: &Container) -> bool {
    container
        .labels
        .get(LABEL_QUIESCE)
        .is_some_and(|v| v.eq_ignore_ascii_case("false"))
}

/// `containers` in start order: a compose service after the services it depends on
/// (same project), a container after those whose namespaces it joins (`joins`, from
/// [`namespace_joins`](crate::engine::inventory::namespace_joins)), otherwise by name.
pub fn start_order(
    containers: &[Container],
    joins: &HashMap<String, Vec<String>>,
) -> Vec<Container> {
    let mut remaining: BTreeMap<String, &Container> =
        containers.iter().map(|c| (c.name.clone(), c)).collect();
    let depends = Container::depends_on;
    let mut ordered = Vec::new();
    while !remaining.is_empty() {
        let pending_services: BTreeSet<(Option<&str>, &str)> = remaining
            .values()
            .filter_map(|c| Some((c.project(), c.service()?)))
            .collect();
        let pending_ids: BTreeSet<&str> = remaining.values().map(|c| c.id.as_str()).collect();
        let ready: Vec<String> = remaining
            .values()
            .filter(|c| {
                depends(c)
                    .iter()
                    .all(|dep| !pending_services.contains(&(c.project(), dep.as_str())))
                    && joins.get(&c.id).is_none_or(|parents| {
                        parents.iter().all(|p| !pending_ids.contains(p.as_str()))
                    })
            })
            .map(|c| c.name.clone())
            .collect();
        // A dependency cycle cannot be honoured: start the rest by name.
        let batch = if ready.is_empty() {
            remaining.keys().cloned().collect()
        } else {
            ready
        };
        for name in batch {
            if let Some(c) = remaining.remove(&name) {
                ordered.push(c.clone());
            }
        }
    }
    ordered
}

/// Stops `containers` (dependents first), recording each in the journal before, and
/// checks that each stopped. One that no longer runs (a one-off job that ended since
/// the plan, a container its operator stopped) is left as it is, and not started
/// afterwards. Returns those stopped, in start order.
pub async fn stop(
    engine: &Engine,
    journal: &Journal,
    containers: &[Container],
    timeout_secs: i32,
) -> Result<Vec<Container>> {
    let joins = inventory::namespace_joins(engine, containers).await;
    let mut order = start_order(containers, &joins);
    let mut ended = Vec::new();
    for container in order.iter().rev() {
        let runs = match engine.docker.inspect_container(&container.id, None).await {
            Ok(inspect) => inspect
                .state
                .is_some_and(|s| s.running == Some(true) || s.restarting == Some(true)),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => false,
            Err(err) => return Err(err.into()),
        };
        if !runs {
            crate::say!(
                "note: {} no longer runs: it is not stopped, nor started afterwards",
                container.name
            );
            ended.push(container.id.clone());
            continue;
        }
        journal.update(|s| {
            s.stop_timeout = s.stop_timeout.max(timeout_secs);
            s.stopped
                .push((container.id.clone(), container.name.clone()))
        })?;
        crate::ui::progress::phase(&format!(
            "stopping {} (it has up to {timeout_secs} s to exit)",
            container.name
        ));
        let options = StopContainerOptionsBuilder::default()
            .t(timeout_secs)
            .build();
        // On its own task, holding the journal's gate: when Ctrl-C drops this future,
        // the engine goes on stopping the container, and the restart waits for that.
        let gate = journal.stops_in_flight().read_owned().await;
        let (docker, id) = (engine.docker.clone(), container.id.clone());
        let stopping = tokio::spawn(async move {
            let _gate = gate;
            docker.stop_container(&id, Some(options)).await
        });
        stopping
            .await
            .map_err(|err| Error::failure(format!("stop worker failed: {err}")))?
            .map_err(|err| {
                Error::failure(format!(
                    "cannot stop {}: {}",
                    container.name,
                    engine_message(&err)
                ))
            })?;
        let state = engine.docker.inspect_container(&container.id, None).await?;
        if state.state.and_then(|s| s.running).unwrap_or(false) {
            return Err(Error::failure(format!(
                "{} is still running after `stop`",
                container.name
            )));
        }
    }
    failpoint_stopped();
    order.retain(|c| !ended.contains(&c.id));
    Ok(order)
}

/// A test hook of debug builds (the tests'): `SAFEOPS_FAILPOINT_STOPPED=panic` panics
/// once the containers are stopped, so tests can check that a bug in what follows still
/// starts them again before the process exits.
fn failpoint_stopped() {
    if cfg!(debug_assertions)
        && std::env::var_os("SAFEOPS_FAILPOINT_STOPPED").is_some_and(|v| v == "panic")
    {
        panic!("SAFEOPS_FAILPOINT_STOPPED=panic");
    }
}

/// Starts every container the journal says is stopped, in start order, and waits until
/// each runs. Tries them all; fails naming those that would not start.
pub async fn restart(
    engine: &Engine,
    journal: &Journal,
    known: &[Container],
) -> Result<Vec<String>> {
    journal.settle(STOP_PATIENCE).await;
    let stopped = journal.stopped();
    let ordered: Vec<(String, String)> = {
        let by_id: BTreeMap<&str, &Container> = known.iter().map(|c| (c.id.as_str(), c)).collect();
        let listed: Vec<Container> = stopped
            .iter()
            .filter_map(|(id, _)| by_id.get(id.as_str()).map(|c| (*c).clone()))
            .collect();
        let joins = inventory::namespace_joins(engine, &listed).await;
        let mut ordered: Vec<(String, String)> = start_order(&listed, &joins)
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        for entry in &stopped {
            if !ordered.contains(entry) {
                ordered.push(entry.clone());
            }
        }
        ordered
    };
    let mut failed = Vec::new();
    let mut started = Vec::new();
    for (id, name) in &ordered {
        crate::ui::progress::phase(&format!("starting {name} again"));
        let result = match engine.docker.start_container(id, None).await {
            Ok(()) => wait_running(engine, id).await,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            Err(err) => Err(engine_message(&err)),
        };
        match result {
            Ok(()) => {
                // A journal that cannot be written (the disk the backup filled) stops
                // no start: the one on disk still lists this container, and starting
                // a running container again changes nothing.
                if let Err(err) = journal.started_again(id, name) {
                    tracing::warn!("{}", err.message);
                }
                started.push(name.clone());
            }
            Err(why) => failed.push(format!("{name}: {why}")),
        }
    }
    if !failed.is_empty() {
        return Err(Error::failure(format!(
            "could not start again what was stopped:\n  {}",
            failed.join("\n  ")
        ))
        .hint("check `docker logs CONTAINER`, then `docker start CONTAINER`"));
    }
    Ok(started)
}

/// `err`, saying which containers were started again (`names`, when there are any).
fn with_restarted(mut err: Error, names: &[String]) -> Error {
    if !names.is_empty() {
        err.message = format!("{}\n(restarted {})", err.message, names.join(", "));
    }
    err
}

/// `err`, with which containers the operation started again, once the last start
/// (`restarted`) succeeded (closing the journal), or why they were not (leaving it for
/// the next command to finish).
pub fn said_restart(journal: Journal, restarted: Result<Vec<String>>, mut err: Error) -> Error {
    match restarted {
        Ok(_) => {
            let names = journal.restarted();
            journal.close();
            with_restarted(err, &names)
        }
        Err(restart_err) => {
            err.message = format!("{}\n{}", err.message, restart_err.message);
            err
        }
    }
}

async fn wait_running(engine: &Engine, id: &str) -> std::result::Result<(), String> {
    let deadline = Instant::now() + START_PATIENCE;
    loop {
        let inspect = engine
            .docker
            .inspect_container(id, None)
            .await
            .map_err(|e| engine_message(&e))?;
        let state = inspect.state.unwrap_or_default();
        if state.running == Some(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "not running after {}s (state {:?})",
                START_PATIENCE.as_secs(),
                state.status
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(name: &str, service: &str, depends: Option<&str>) -> Container {
        let mut labels = BTreeMap::from([
            ("com.docker.compose.project".to_string(), "p".to_string()),
            (
                "com.docker.compose.service".to_string(),
                service.to_string(),
            ),
        ]);
        if let Some(d) = depends {
            labels.insert(crate::engine::inventory::LABEL_DEPENDS_ON.into(), d.into());
        }
        Container {
            id: name.into(),
            name: name.into(),
            image: "i".into(),
            state: "running".into(),
            status: String::new(),
            labels,
            volume_mounts: Vec::new(),
        }
    }

    #[test]
    fn dependencies_start_first() {
        let web = container("a-web", "web", Some("api:service_started:false"));
        let api = container(
            "b-api",
            "api",
            Some("db:service_healthy:true,cache:service_started:false"),
        );
        let db = container("c-db", "db", None);
        let order: Vec<String> = start_order(&[web, api, db], &HashMap::new())
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(order, ["c-db", "b-api", "a-web"]);
    }

    #[test]
    fn namespace_joiners_start_after_the_container_they_join() {
        // `a-peer` joins `b-app`'s pid namespace: by name it would start first.
        let peer = container("a-peer", "peer", None);
        let app = container("b-app", "app", None);
        let joins = HashMap::from([("a-peer".to_string(), vec!["b-app".to_string()])]);
        let order: Vec<String> = start_order(&[peer, app], &joins)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(order, ["b-app", "a-peer"]);
    }

    #[test]
    fn cycles_do_not_hang() {
        let a = container("a", "a", Some("b:x:y"));
        let b = container("b", "b", Some("a:x:y"));
        assert_eq!(start_order(&[a, b], &HashMap::new()).len(), 2);
    }
}
