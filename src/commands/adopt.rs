//! `adopt CONTAINER... -p PROJECT [--dir DIR]`: export the containers into a compose
//! project, then replace them by its containers (see `export::adopt`); `--dry-run`
//! shows the file and the plan.

use serde_json::json;

use crate::cancel::Cancel;
use crate::cli::args::{AdoptArgs, Format};
use crate::compose::project::{Generation, normalize_project_name};
use crate::engine::inventory;
use crate::error::{Error, Result};
use crate::export::{self, adopt};
use crate::guard::audit;
use crate::target::Discovery;

/// Runs `adopt`.
pub async fn run(discovery: &Discovery<'_>, args: &AdoptArgs, cancel: &Cancel) -> Result<()> {
    let engine = discovery.engine;
    let project = &args.project;
    if normalize_project_name(project, Generation::V2) != *project {
        return Err(
            Error::usage(format!("{project:?} is not a valid compose project name"))
                .hint("lowercase letters, digits, '-' and '_', starting with a letter or digit"),
        );
    }
    // `adopt` removes the project's containers when it fails: never someone else's.
    let existing = inventory::containers(engine).await?;
    if existing
        .iter()
        .any(|c| c.project() == Some(project.as_str()))
    {
        return Err(
            Error::usage(format!("the compose project {project} exists already"))
                .hint("adopt into a new project name"),
        );
    }
    let specs = export::inspect(engine, &args.containers).await?;
    refuse_joiners_left_out(engine, &existing, &specs).await?;
    let document = export::export(engine, &specs, Some(project)).await?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| discovery.cwd.join(project));
    let layout = adopt::Layout::new(&dir, &document);
    super::export::report_lossy(&document);
    let plan = json!({
        "project": project,
        "dir": layout.dir,
        "compose_file": layout.compose_file,
        "env_file": layout.env_file,
        "containers": args.containers,
        "volumes": document.volumes,
        "networks": document.networks,
        "lossy": document.lossy,
        "dry_run": args.dry_run,
    });
    if args.dry_run {
        return match args.format {
            Format::Json => super::print(&format!("{:#}\n", with_compose(plan, &document.yaml))),
            Format::Table => super::print(&format!(
                "would write {} and replace {} by the project {project}:\n\n{}",
                layout.compose_file.display(),
                args.containers.join(", "),
                document.yaml
            )),
        };
    }
    let cli = crate::compose::cli::detect(discovery.docker_config.as_ref())
        .await
        .ok_or_else(|| {
            Error::usage("adopt needs a compose CLI (`docker compose` or `docker-compose`)")
                .hint("install the compose plugin")
        })?;
    let compose = adopt::Compose {
        cli: &cli,
        config_dir: discovery.docker_config.as_ref(),
    };
    layout.write(&document)?;
    let files = layout.project_files(project);
    adopt::validate(engine, &compose, &files)
        .await
        .map_err(|mut err| {
            err.message = format!(
                "{}\nnothing was changed; the files are in {}",
                err.message,
                layout.dir.display()
            );
            err
        })?;
    let timing = adopt::Timing {
        stop_timeout: args.stop.timeout,
        // The one whose healthcheck takes longest sets it for all.
        patience: specs
            .iter()
            .map(crate::runmode::recreate::patience)
            .max_by_key(|p| p.wait)
            .unwrap_or_else(|| crate::runmode::recreate::patience(&json!({}))),
    };
    let outcome = adopt::replace(engine, &compose, &files, &specs, timing, cancel).await;
    audit::record(
        "adopt",
        project,
        audit::outcome_of(&outcome),
        json!({"containers": args.containers, "dir": layout.dir}),
    );
    outcome?;
    match args.format {
        Format::Json => super::print(&format!("{plan:#}\n")),
        Format::Table => {
            crate::say!(
                "adopted {} into the compose project {project} ({}); its volumes and networks \
                 are external, `docker safeops status {project}` shows it in compose mode",
                args.containers.join(", "),
                layout.compose_file.display()
            );
            Ok(())
        }
    }
}

/// Refuses to adopt a container whose network, pid or ipc namespace another container
/// joins (`--network container:X`) unless that one is adopted too: the namespace goes
/// with the old container, which leaves the other cut off, and unable to start again.
async fn refuse_joiners_left_out(
    engine: &crate::engine::Engine,
    containers: &[inventory::Container],
    specs: &[serde_json::Value],
) -> Result<()> {
    let adopted: Vec<&str> = specs.iter().filter_map(|s| s["Id"].as_str()).collect();
    let joins = inventory::namespace_joins(engine, containers).await;
    let name = |id: &str| {
        containers
            .iter()
            .find(|c| c.id == id)
            .map_or(id.to_string(), |c| c.name.clone())
    };
    let left_out: Vec<String> = joins
        .iter()
        .filter(|(child, _)| !adopted.contains(&child.as_str()))
        .flat_map(|(child, parents)| {
            parents
                .iter()
                .filter(|parent| adopted.contains(&parent.as_str()))
                .map(|parent| format!("{} joins a namespace of {}", name(child), name(parent)))
        })
        .collect();
    if left_out.is_empty() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "cannot adopt without the containers that share its namespaces: {}",
        left_out.join("; ")
    ))
    .hint("adopt them together (they become `network_mode: service:...`)"))
}

fn with_compose(mut plan: serde_json::Value, yaml: &str) -> serde_json::Value {
    plan["compose"] = json!(yaml);
    plan
}
