//! `restart [SERVICE|CONTAINER...]`: compose's `restart` (or the engine's), then a check
//! that every restarted container runs, is healthy where it has a healthcheck, and
//! stays up (see `restart_check`).

use std::time::Duration;

use bollard::query_parameters::RestartContainerOptionsBuilder;

use crate::cli::RestartArgs;
use crate::error::{Error, Result, engine_message};
use crate::inventory::{self, Container};
use crate::restart_check::{self, Patience};
use crate::target::{Discovery, Mode, Target};

/// Runs `restart`.
pub async fn run(discovery: &Discovery<'_>, args: &RestartArgs) -> Result<()> {
    let engine = discovery.engine;
    let project_here = discovery.flags.any()
        || crate::compose::project::locate(discovery.flags, &discovery.cwd, &|n| {
            std::env::var(n).ok()
        })?
        .is_some();
    let containers: Vec<Container> = if project_here {
        let target = super::single_target(discovery, None, "restart").await?;
        let Target::Project(project) = &target else {
            unreachable!("a located project is a project target");
        };
        let selected: Vec<Container> = project
            .containers
            .iter()
            .filter(|c| {
                args.names.is_empty() || args.names.iter().any(|n| Some(n.as_str()) == c.service())
            })
            .cloned()
            .collect();
        if let Some(unknown) = args.names.iter().find(|n| {
            !project
                .containers
                .iter()
                .any(|c| c.service() == Some(n.as_str()))
        }) {
            return Err(Error::usage(format!(
                "no such service in project {}: {unknown}",
                project.name
            )));
        }
        if project.mode == Mode::Compose {
            let (Some(cli), Some(files)) = (&project.cli, &project.files) else {
                return Err(Error::failure(
                    "compose mode without a compose CLI or files",
                ));
            };
            let mut argv = vec!["restart".to_string()];
            if let Some(t) = args.timeout {
                argv.extend(["--timeout".to_string(), t.to_string()]);
            }
            argv.extend(args.names.iter().cloned());
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            let code = cli
                .passthrough(
                    &engine.endpoint,
                    discovery.docker_config.as_ref(),
                    files,
                    Some(&project.name),
                    &argv,
                )
                .await?;
            if code != 0 {
                return Err(Error::failure(format!(
                    "{} restart failed (exit {code})",
                    cli.display_name()
                )));
            }
            selected
        } else {
            restart_through_engine(engine, &selected, args.timeout).await?;
            selected
        }
    } else {
        if args.names.is_empty() {
            return Err(Error::usage(
                "restart what? name containers, or run it in a compose project's directory",
            ));
        }
        let all = inventory::containers(engine).await?;
        let mut chosen = Vec::new();
        for name in &args.names {
            let container = all
                .iter()
                .find(|c| c.name == *name || (name.len() >= 12 && c.id.starts_with(name.as_str())))
                .ok_or_else(|| Error::usage(format!("no such container: {name}")))?;
            chosen.push(container.clone());
        }
        restart_through_engine(engine, &chosen, args.timeout).await?;
        chosen
    };
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
        return Err(Error::failure(failures.join("\n"))
            .hint("the restart did not leave every container running; see the log lines above"));
    }
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    eprintln!("restarted and running: {}", names.join(", "));
    Ok(())
}

async fn restart_through_engine(
    engine: &crate::engine::Engine,
    containers: &[Container],
    timeout: Option<i32>,
) -> Result<()> {
    for container in containers {
        let mut options = RestartContainerOptionsBuilder::default();
        if let Some(t) = timeout {
            options = options.t(t);
        }
        engine
            .docker
            .restart_container(&container.id, Some(options.build()))
            .await
            .map_err(|e| {
                Error::failure(format!(
                    "cannot restart {}: {}",
                    container.name,
                    engine_message(&e)
                ))
            })?;
        println!("{}", container.name);
    }
    Ok(())
}
