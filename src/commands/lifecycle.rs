//! `restart`, `stop`, `start`: compose's verbs in compose mode (same output, same exit
//! code), the engine's otherwise. `restart` and `start` then check that every container
//! runs, is healthy where it has a healthcheck, and stays up (see `restart_check`).

use std::time::Duration;

use bollard::query_parameters::{RestartContainerOptionsBuilder, StopContainerOptionsBuilder};

use crate::backup::journal;
use crate::backup::lock;
use crate::cancel::Cancel;
use crate::cli::args::LifecycleArgs;
use crate::compose::Stdout;
use crate::engine::Engine;
use crate::engine::inventory::{self, Container};
use crate::error::{Error, Result, engine_message};
use crate::runmode::restart_check::{self, Patience};
use crate::target::{Discovery, Mode, Target};

/// Which lifecycle verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Stop, then start.
    Restart,
    /// Stop.
    Stop,
    /// Start.
    Start,
}

impl Lifecycle {
    fn verb(self) -> &'static str {
        match self {
            Lifecycle::Restart => "restart",
            Lifecycle::Stop => "stop",
            Lifecycle::Start => "start",
        }
    }
}

/// Runs `restart`, `stop` or `start`.
pub async fn run(
    discovery: &Discovery<'_>,
    verb: Lifecycle,
    args: &LifecycleArgs,
    cancel: &Cancel,
) -> Result<()> {
    let engine = discovery.engine;
    let env = |n: &str| std::env::var(n).ok();
    let project_here = discovery.project.any()
        || crate::compose::project::locate(&discovery.project, &discovery.cwd, &env)?.is_some();
    let target = if project_here {
        Some(super::single_target(discovery, None, verb.verb()).await?)
    } else {
        None
    };
    // A service the compose file declares is one even when it has no container now:
    // compose does nothing for it, never a container of the same name elsewhere.
    let is_service = |project: &crate::target::Project, name: &str| {
        project.containers.iter().any(|c| c.service() == Some(name))
            || project
                .model
                .as_ref()
                .is_some_and(|model| model.services.contains_key(name))
    };
    // In a project's directory names are its services, as with compose; names that are
    // none of its services but containers on the engine are those containers.
    let services_here = match &target {
        Some(Target::Project(project)) => args.names.iter().all(|n| is_service(project, n)),
        _ => false,
    };
    let containers = if let (true, Some(Target::Project(project))) = (services_here, &target) {
        let selected: Vec<Container> = project
            .containers
            .iter()
            .filter(|c| {
                args.names.is_empty() || args.names.iter().any(|n| Some(n.as_str()) == c.service())
            })
            .cloned()
            .collect();
        // Compose v2 starts the services' dependencies with them: theirs are locked too.
        let reached = with_dependencies(&project.containers, &selected);
        let _locks = locked(engine, verb, &reached, args, cancel).await?;
        match (project.mode, &project.cli, &project.files) {
            (Mode::Compose, Some(_), Some(_)) => {
                let mut argv = vec![verb.verb().to_string()];
                if let (Some(t), false) = (args.timeout, verb == Lifecycle::Start) {
                    argv.extend(["--timeout".to_string(), t.to_string()]);
                }
                argv.extend(args.names.iter().cloned());
                discovery.compose(project, &argv, Stdout::Ours).await?;
            }
            _ => through_engine(engine, verb, &selected, args.timeout).await?,
        }
        selected
    } else {
        if args.names.is_empty() {
            return Err(Error::usage(format!(
                "{} what? name containers, or run it in a compose project's directory",
                verb.verb()
            )));
        }
        let all = inventory::containers(engine).await?;
        let mut chosen = Vec::new();
        for name in &args.names {
            let container = inventory::find_container(&all, name).ok_or_else(|| {
                Error::usage(match &target {
                    Some(Target::Project(project)) => format!(
                        "no such service in project {} and no such container: {name}",
                        project.name
                    ),
                    _ => format!("no such container: {name}"),
                })
            })?;
            chosen.push(container.clone());
        }
        let _locks = locked(engine, verb, &chosen, args, cancel).await?;
        through_engine(engine, verb, &chosen, args.timeout).await?;
        chosen
    };
    if verb == Lifecycle::Stop {
        return Ok(());
    }
    let patience = Patience {
        wait: Duration::from_secs(args.wait_timeout),
        stable_for: Duration::from_secs(args.stable_for),
    };
    let checks = futures_util::future::join_all(
        containers
            .iter()
            .map(|c| restart_check::check(engine, &c.id, &c.name, patience)),
    )
    .await;
    let failures: Vec<String> = checks
        .into_iter()
        .filter_map(|r| r.err())
        .map(|e| e.message)
        .collect();
    if !failures.is_empty() {
        return Err(Error::failure(failures.join("\n")).hint(format!(
            "the {} did not leave every container running; see the log lines above",
            verb.verb()
        )));
    }
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    crate::say!("running and staying up: {}", names.join(", "));
    Ok(())
}

/// `selected` and the containers of the services they depend on, transitively, among
/// `project`.
fn with_dependencies(project: &[Container], selected: &[Container]) -> Vec<Container> {
    let mut services: std::collections::BTreeSet<String> = selected
        .iter()
        .filter_map(|c| c.service().map(str::to_string))
        .collect();
    loop {
        let more: Vec<String> = project
            .iter()
            .filter(|c| c.service().is_some_and(|s| services.contains(s)))
            .flat_map(Container::depends_on)
            .filter(|dep| !services.contains(dep))
            .collect();
        if more.is_empty() {
            break;
        }
        services.extend(more);
    }
    project
        .iter()
        .filter(|c| c.service().is_some_and(|s| services.contains(s)))
        .cloned()
        .collect()
}

/// The locks on the volumes of `containers`, held while they stop or start (not while
/// they are watched after): a stop or a start in the middle of a backup or a restore of
/// them would break its quiesce, or be undone when it restarts what it stopped. A start must also not run containers on a
/// volume an interrupted restore left half-done (see [`journal::refuse_unsettled`]); a
/// stop may.
async fn locked(
    engine: &Engine,
    verb: Lifecycle,
    containers: &[Container],
    args: &LifecycleArgs,
    cancel: &Cancel,
) -> Result<lock::Held> {
    let keys = lock::volumes_of(containers);
    let wait = args.lock.wait();
    match verb {
        Lifecycle::Stop => journal::lock(engine, &keys, verb.verb(), wait, cancel).await,
        _ => journal::lock_settled(engine, &keys, verb.verb(), wait, cancel).await,
    }
}

async fn through_engine(
    engine: &Engine,
    verb: Lifecycle,
    containers: &[Container],
    timeout: Option<i32>,
) -> Result<()> {
    // A reader that went away (`| head -1`) does not leave the rest undone: said once
    // every container was handled.
    let mut unprinted = None;
    for container in containers {
        let done = match verb {
            Lifecycle::Restart => {
                let mut options = RestartContainerOptionsBuilder::default();
                if let Some(t) = timeout {
                    options = options.t(t);
                }
                engine
                    .docker
                    .restart_container(&container.id, Some(options.build()))
                    .await
            }
            Lifecycle::Stop => {
                let mut options = StopContainerOptionsBuilder::default();
                if let Some(t) = timeout {
                    options = options.t(t);
                }
                engine
                    .docker
                    .stop_container(&container.id, Some(options.build()))
                    .await
            }
            Lifecycle::Start => engine.docker.start_container(&container.id, None).await,
        };
        match done {
            // 304: already in the wanted state.
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304, ..
            }) => {
                if let Err(err) = super::print(&format!("{}\n", container.name)) {
                    unprinted.get_or_insert(err);
                }
            }
            Err(e) => {
                return Err(Error::failure(format!(
                    "cannot {} {}: {}",
                    verb.verb(),
                    container.name,
                    engine_message(&e)
                )));
            }
        }
    }
    unprinted.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str, depends: &str) -> Container {
        Container {
            id: format!("{name}-id"),
            name: format!("p-{name}-1"),
            image: String::new(),
            state: "running".into(),
            status: String::new(),
            labels: [
                (inventory::LABEL_SERVICE.to_string(), name.to_string()),
                (inventory::LABEL_DEPENDS_ON.to_string(), depends.to_string()),
            ]
            .into(),
            volume_mounts: Vec::new(),
        }
    }

    #[test]
    fn a_service_brings_its_dependencies_transitively_and_nothing_else() {
        let project = [
            service("web", "api:service_started:false"),
            service("api", "db:service_healthy:true,cache:service_started:false"),
            service("db", ""),
            service("cache", ""),
            service("worker", "db:service_started:false"),
        ];
        let reached: Vec<String> = with_dependencies(&project, &project[..1])
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(reached, ["p-web-1", "p-api-1", "p-db-1", "p-cache-1"]);
    }
}
