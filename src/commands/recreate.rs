//! `recreate CONTAINER [--image IMAGE]`: rebuild a container from its spec, optionally on
//! another image (see `recreate`); a container that no longer exists is bootstrapped
//! from its newest saved spec or from a backup (`--from`). Containers of a compose
//! project in compose mode are recreated by compose itself.

use serde_json::json;

use crate::backup::{journal, lock, store};
use crate::cancel::Cancel;
use crate::cli::args::{Format, RecreateArgs};
use crate::compose::{Generation, Stdout};
use crate::engine::{Engine, inventory};
use crate::error::{Error, Result};
use crate::guard::audit;
use crate::runmode::recreate::{self, Recreated};
use crate::runmode::{restart_check, specs};
use crate::target::{Discovery, Mode, Project, Target};
use crate::ui::confirm;

/// Runs `recreate`.
pub async fn run(discovery: &Discovery<'_>, args: &RecreateArgs, cancel: &Cancel) -> Result<()> {
    let engine = discovery.engine;
    if let Some(image) = &args.image
        && engine.docker.inspect_image(image).await.is_err()
    {
        return Err(Error::usage(format!(
            "image {image} is not on the engine (safeops never pulls)"
        ))
        .hint(format!("docker pull {image}, or build or load it first")));
    }
    let containers = inventory::containers(engine).await?;
    let existing = containers.iter().find(|c| c.name == args.container);
    let wait = args.lock.wait();
    let _locks = match existing {
        Some(container) => {
            let keys = lock::volumes_of([container]);
            Some(journal::lock_settled(engine, &keys, "recreate", wait, cancel).await?)
        }
        None => None,
    };
    // A compose service in compose mode is compose's to recreate.
    let compose_project = match existing {
        Some(container)
            if container.project().is_some() && args.from.is_none() && args.image.is_none() =>
        {
            match discovery.targets(Some(&args.container)).await?.remove(0) {
                Target::Project(p) if p.mode == Mode::Compose => Some(p),
                _ => None,
            }
        }
        _ => None,
    };
    let outcome = match (existing, &compose_project) {
        (Some(container), Some(project)) => {
            through_compose(discovery, project, container, args, cancel).await
        }
        (Some(container), None) => {
            let spec = specs::save_current(engine, &container.id).await?;
            let timing = timing(args.stop.timeout, &spec);
            recreate::replace(engine, &spec, args.image.as_deref(), timing, cancel).await
        }
        (None, _) => {
            let (spec, from) = saved_spec(args, cancel).await?;
            let _locks = locked(engine, &spec, "recreate", wait, cancel).await?;
            crate::say!(
                "note: {} does not exist; bootstrapping it from {from}",
                args.container
            );
            recreate::bootstrap(
                engine,
                &spec,
                &from,
                args.image.as_deref(),
                recreate::patience(&spec),
                cancel,
            )
            .await
        }
    };
    audit::record(
        "recreate",
        &args.container,
        audit::outcome_of(&outcome),
        json!({"image": args.image, "recreated": outcome.as_ref().ok()}),
    );
    let recreated: Recreated = outcome?;
    // The new spec joins the history: a later bootstrap recreates *this* container.
    saved_with_warnings(engine, &recreated).await;
    super::print(&match args.format {
        Format::Json => {
            serde_json::to_string_pretty(&recreated).expect("outcome serializes") + "\n"
        }
        Format::Table => format!(
            "recreated {} on {} ({}), {}\n",
            recreated.name,
            recreated.image,
            recreated.from,
            state(&recreated)
        ),
    })
}

/// Recreates `container`, of compose project `project` in compose mode, with compose
/// (never a pull, `-t` its stop timeout), then checks that the new container runs and
/// stays up, as a recreation in run mode does.
async fn through_compose(
    discovery: &Discovery<'_>,
    project: &Project,
    container: &inventory::Container,
    args: &RecreateArgs,
    cancel: &Cancel,
) -> Result<Recreated> {
    let engine = discovery.engine;
    let spec = specs::save_current(engine, &container.id).await?;
    let service = container.service().unwrap_or_default();
    // Without -t, compose gives the service its stop_grace_period.
    let timeout = args.stop.timeout.map(|t| t.to_string());
    let mut argv = vec!["up", "-d", "--force-recreate", "--no-deps"];
    if let Some(timeout) = &timeout {
        argv.extend(["-t", timeout]);
    }
    let running = recreate::starts_again(&spec);
    if !running {
        argv.push("--no-start");
    }
    // Compose v1 has no --pull, and never pulls an image it has for `up`.
    if project
        .cli
        .as_ref()
        .is_some_and(|c| c.generation() == Generation::V2)
    {
        argv.extend(["--pull", "never"]);
    }
    argv.push(service);
    discovery.compose(project, &argv, Stdout::OnStderr).await?;
    // Compose names it by its own rules (v1's `_`, a `container_name` edited since):
    // the same replica of the same service, under the old name when there is one (a
    // container compose renamed aside in an earlier failed recreate has its labels).
    let number = container.labels.get(inventory::LABEL_NUMBER);
    let mut replicas: Vec<inventory::Container> = inventory::containers(engine)
        .await?
        .into_iter()
        .filter(|c| {
            c.id != container.id
                && c.project() == container.project()
                && c.runs_service(service)
                && c.labels.get(inventory::LABEL_NUMBER) == number
        })
        .collect();
    replicas.sort_by_key(|c| (c.name != container.name, !c.runs()));
    let new = replicas.into_iter().next().ok_or_else(|| {
        Error::failure(format!("compose did not create {} again", container.name))
            .hint(format!("docker compose up -d {service}"))
    })?;
    if running {
        let checked = restart_check::check(engine, &new.id, &new.name, recreate::patience(&spec));
        cancel
            .unless_cancelled(&format!("checking the new {}", new.name), checked)
            .await?;
    }
    Ok(Recreated {
        name: new.name,
        id: new.id,
        image: new.image,
        from: "compose".into(),
        running,
        warning: None,
    })
}

/// How the container recreated is left, as said after it.
fn state(recreated: &Recreated) -> &'static str {
    match recreated.running {
        true => "running",
        false => "not started (it was stopped)",
    }
}

/// Takes the locks on the volumes `spec` mounts (see [`journal::lock_settled`]): a
/// container replaced in the middle of a backup or a restore of them would run while it
/// reads or writes them, and one must not start on a volume left half-restored.
async fn locked(
    engine: &Engine,
    spec: &serde_json::Value,
    verb: &str,
    wait: Option<std::time::Duration>,
    cancel: &Cancel,
) -> Result<lock::Held> {
    let keys: Vec<lock::Key> = inventory::volumes_in_spec(spec)
        .map(|volume| lock::Key::Volume(volume.to_string()))
        .collect();
    journal::lock_settled(engine, &keys, verb, wait, cancel).await
}

/// Saves the recreated container's spec, and says what did not go as it should.
async fn saved_with_warnings(engine: &Engine, recreated: &Recreated) {
    if let Err(err) = specs::save_current(engine, &recreated.id).await {
        crate::say!("warning: {err}");
    }
    if let Some(warning) = &recreated.warning {
        crate::say!("warning: {warning}");
    }
}

/// How long the container of `spec` gets to stop (`-t`, else its own stop timeout,
/// else 10 s), and then to run.
fn timing(given: Option<i32>, spec: &serde_json::Value) -> recreate::Timing {
    recreate::Timing {
        stop_timeout: recreate::stop_timeout(given, spec),
        patience: recreate::patience(spec),
    }
}

/// The spec to bootstrap `name` from: `--from` (a backup directory or a spec file),
/// else the newest saved spec.
async fn saved_spec(args: &RecreateArgs, cancel: &Cancel) -> Result<(serde_json::Value, String)> {
    let name = crate::engine::names::checked(&args.container, "the container name")?;
    let Some(from) = args.from.as_deref() else {
        // Our own history (0600 in our state directory): trusted as we wrote it.
        let path = specs::history(name).pop().ok_or_else(|| {
            Error::usage(format!("no container {name} and no saved spec of it"))
                .hint("give a backup that holds it: --from BACKUP")
        })?;
        return Ok((specs::read(&path)?, path.display().to_string()));
    };
    // A backup or a file: data, not instructions. Read bounded and never through a
    // symlink, and what reaches into the host must be named and confirmed.
    let (spec, what) = if from.is_dir() {
        let rel = format!("containers/{name}.json");
        let file = store::open_artifact(from, &rel)
            .map_err(|e| Error::usage(format!("{}: {e}", from.display())))?;
        (
            specs::parse(file, &rel)?,
            format!("{}/{rel}", from.display()),
        )
    } else {
        let file = std::fs::File::open(from)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", from.display())))?;
        (
            specs::parse(file, &from.display().to_string())?,
            from.display().to_string(),
        )
    };
    let reach = specs::host_reach(&spec);
    if !reach.is_empty() {
        crate::say!("the spec from {what} reaches into the host:");
        for item in &reach {
            crate::say!("  {item}");
        }
        if !args.trust_spec {
            return Err(Error::refused(format!(
                "not bootstrapping {name} from {what}: its spec reaches into the host ({})",
                reach.join(", ")
            ))
            .hint("check the spec; to run it as it is pass --trust-spec (and confirm)"));
        }
        confirm::confirm(
            name,
            args.confirm.as_deref(),
            &format!(
                "docker safeops recreate {name} --from {} --trust-spec",
                from.display()
            ),
            cancel,
        )
        .await?;
    }
    Ok((spec, what))
}

/// Runs `rollback`: recreate on `--to` or the previous image of the spec history.
pub async fn rollback(
    engine: &crate::engine::Engine,
    args: &crate::cli::args::RollbackArgs,
    cancel: &Cancel,
) -> Result<()> {
    // By name or a 12-character id prefix, as elsewhere: the engine takes any prefix,
    // and `db`, removed, could be a container whose id begins with `db`.
    let containers = inventory::containers(engine).await?;
    let found = inventory::find_container(&containers, &args.container).ok_or_else(|| {
        Error::usage(format!("no container {}", args.container))
            .hint("a deleted container is brought back with `docker safeops recreate NAME`")
    })?;
    let inspect = engine.docker.inspect_container(&found.id, None).await?;
    let current_id = inspect.image.clone().unwrap_or_default();
    let target = match &args.to {
        Some(image) => image.clone(),
        None => {
            let points = specs::rollback_points(&found.name, &current_id);
            let (reference, id) = points.first().ok_or_else(|| {
                Error::usage(format!(
                    "no earlier image is recorded for {}",
                    args.container
                ))
                .hint("specs are recorded by backup, recreate, rm and down; use --to IMAGE")
            })?;
            // The tag may have moved on: run the very image the old spec ran.
            match engine.docker.inspect_image(reference).await {
                Ok(image) if image.id.as_deref() == Some(id) => reference.clone(),
                _ => id.clone(),
            }
        }
    };
    if engine.docker.inspect_image(&target).await.is_err() {
        return Err(Error::failure(format!(
            "cannot roll {} back: image {target} is no longer on the engine",
            args.container
        ))
        .hint("load it (docker load, or a backup made with --images) or give --to IMAGE"));
    }
    let spec = specs::save_current(engine, &inspect.id.clone().unwrap_or_default()).await?;
    let _locks = locked(engine, &spec, "rollback", args.lock.wait(), cancel).await?;
    let timing = timing(args.stop.timeout, &spec);
    let outcome = recreate::replace(engine, &spec, Some(&target), timing, cancel).await;
    audit::record(
        "rollback",
        &args.container,
        audit::outcome_of(&outcome),
        json!({"to": target}),
    );
    let recreated = outcome?;
    saved_with_warnings(engine, &recreated).await;
    super::print(&format!(
        "rolled {} back to {target}, {}\n",
        recreated.name,
        state(&recreated)
    ))
}
