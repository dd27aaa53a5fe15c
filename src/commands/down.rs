//! `down`: compose's `down`, guarded. It computes the plan first; `--dry-run` prints
//! it. When protected volumes would be destroyed it shows what would be lost, asks for
//! the project name (typed, or `--confirm`), takes a safety backup of exactly those
//! volumes (unless `--no-backup`, which is part of what is confirmed), then runs the
//! real compose (compose mode) or the same through the Engine API (run mode).

use std::collections::HashMap;

use bollard::query_parameters::{
    ListNetworksOptionsBuilder, RemoveContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use serde_json::json;

use crate::backup::create::Subject;
use crate::cancel::Cancel;
use crate::cli::args::DownArgs;
use crate::compose::Stdout;
use crate::engine::Engine;
use crate::engine::inventory::LABEL_PROJECT;
use crate::error::{Error, Result, engine_message};
use crate::guard::plan::{Action, DownRequest, Plan};
use crate::guard::{self, audit};
use crate::target::{Discovery, Mode, Project, Target};

/// Runs `down`.
pub async fn run(discovery: &Discovery<'_>, args: &DownArgs, cancel: &Cancel) -> Result<()> {
    let engine = discovery.engine;
    let target = super::single_target(discovery, None, "take down").await?;
    let facts = super::guarded::Facts::read(engine, args.volumes, &args.guard).await?;
    let request = DownRequest {
        volumes: args.volumes,
        remove_orphans: args.remove_orphans,
        services: args.services.clone(),
    };
    let plan = guard::plan::down(&target, &request, &facts.plan_facts())?;
    if args.guard.dry_run {
        return super::guarded::print_plan(&plan, args.guard.format);
    }
    let Target::Project(project) = &target else {
        unreachable!("plan::down accepts projects only");
    };
    let mut allowed = super::guarded::allow(
        engine,
        &plan,
        super::guarded::Guard {
            verb: if args.volumes { "down -v" } else { "down" },
            expected: &project.name,
            given: args.guard.confirm.as_deref(),
            command: format!(
                "docker safeops -p {} {}",
                project.name,
                down_args(args).join(" ")
            ),
            no_backup: args.guard.no_backup,
            subject: Subject::of_target(&target, &facts.volumes),
            backup_root: facts.backup_root.clone(),
            password_file: args.guard.repository.password_file.clone(),
            stop_timeout: args.timeout.unwrap_or(10),
            lock_wait: args.guard.lock.wait(),
            removes_containers: true,
        },
        cancel,
    )
    .await?;
    save_specs(
        engine,
        project
            .containers
            .iter()
            .filter(|c| plan.containers.contains(&c.name)),
    )
    .await;
    if let Err(err) = cancel.check("saving the containers' specs; nothing was taken down") {
        allowed.finish(engine).await?;
        return Err(err);
    }
    let outcome = match project.mode {
        Mode::Compose => {
            discovery
                .compose(project, &down_args(args), Stdout::Ours)
                .await
        }
        Mode::Run => engine_down(engine, project, &plan, args).await,
    };
    let settled = allowed.finish(engine).await;
    let report = json!({
        "mode": project.mode,
        "plan": plan,
        "confirmation": allowed.confirmation,
        "no_backup": args.guard.no_backup,
        "safety_backup": allowed.safety_backup.as_ref().map(|p| p.display().to_string()),
    });
    let verb = if args.volumes { "down -v" } else { "down" };
    let result = audit::outcome_of(&outcome);
    audit::record(verb, &project.name, result.clone(), report.clone());
    if args.guard.format == crate::cli::args::Format::Json {
        // The same document the log keeps, for scripts: what was planned and what came of it.
        let mut report = report;
        report["project"] = project.name.clone().into();
        report["outcome"] = result.into();
        super::print(&(serde_json::to_string_pretty(&report).expect("report serializes") + "\n"))?;
    }
    outcome.and(settled)
}

/// Saves the spec of every container about to be removed (their history outlives them).
pub async fn save_specs(
    engine: &Engine,
    containers: impl Iterator<Item = &crate::engine::inventory::Container>,
) {
    for container in containers {
        if let Err(err) = crate::runmode::specs::save_current(engine, &container.id).await {
            crate::say!("warning: {err}");
        }
    }
}

fn down_args(args: &DownArgs) -> Vec<String> {
    let mut argv = vec!["down".to_string()];
    if args.volumes {
        argv.push("--volumes".into());
    }
    if let Some(rmi) = &args.rmi {
        argv.push("--rmi".into());
        argv.push(rmi.clone());
    }
    if args.remove_orphans {
        argv.push("--remove-orphans".into());
    }
    if let Some(t) = args.timeout {
        argv.push("--timeout".into());
        argv.push(t.to_string());
    }
    argv.extend(args.services.iter().cloned());
    argv
}

/// `down` through the Engine API: stop and remove the containers (with their anonymous
/// volumes under -v), remove the planned volumes and the project's networks.
async fn engine_down(
    engine: &Engine,
    project: &Project,
    plan: &Plan,
    args: &DownArgs,
) -> Result<()> {
    if args.rmi.is_some() {
        crate::say!("note: --rmi is not supported in run mode; images are kept");
    }
    let by_name: HashMap<&str, &str> = project
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c.id.as_str()))
        .collect();
    for name in &plan.containers {
        let Some(id) = by_name.get(name.as_str()) else {
            continue;
        };
        let stop = StopContainerOptionsBuilder::default()
            .t(args.timeout.unwrap_or(10))
            .build();
        let _ = engine.docker.stop_container(id, Some(stop)).await;
        let remove = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(args.volumes)
            .build();
        engine
            .docker
            .remove_container(id, Some(remove))
            .await
            .map_err(|e| Error::failure(format!("cannot remove {name}: {}", engine_message(&e))))?;
        crate::say!(" Container {name}  Removed");
    }
    for volume in plan.volumes.iter().filter(|v| v.action == Action::Remove) {
        match engine
            .docker
            .remove_volume(
                &volume.name,
                None::<bollard::query_parameters::RemoveVolumeOptions>,
            )
            .await
        {
            Ok(()) => crate::say!(" Volume {}  Removed", volume.name),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {}
            Err(e) => {
                return Err(Error::failure(format!(
                    "cannot remove volume {}: {}",
                    volume.name,
                    engine_message(&e)
                )));
            }
        }
    }
    if args.services.is_empty() {
        let filters = HashMap::from([("label", vec![format!("{LABEL_PROJECT}={}", project.name)])]);
        let options = ListNetworksOptionsBuilder::default()
            .filters(&filters)
            .build();
        for network in engine
            .docker
            .list_networks(Some(options))
            .await
            .unwrap_or_default()
        {
            if let Some(name) = network.name
                && engine.docker.remove_network(&name).await.is_ok()
            {
                crate::say!(" Network {name}  Removed");
            }
        }
    }
    Ok(())
}
