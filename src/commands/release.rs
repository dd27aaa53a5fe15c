//! `release NAME... --from ENGINE [--image REF]`: the image the same-named container
//! runs on the source engine (or `--image`) moves to this engine with only the layers
//! it lacks, then each NAME is switched over to it (run mode: the recreate steps;
//! compose mode: tag + `up -d --no-deps`), checked, and rolled back when it fails.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use serde_json::{Value, json};

use crate::backup::journal;
use crate::backup::lock::{self, Key};
use crate::cancel::Cancel;
use crate::cli::args::{DockerFlags, Format, ReleaseArgs};
use crate::compose::project::Generation;
use crate::engine::{self, Engine, endpoint, inventory};
use crate::error::{Error, Result};
use crate::guard::audit;
use crate::release::gate::Gate;
use crate::release::switch::Release;
use crate::release::transfer::{self, Plan, Sent};
use crate::release::{ContainerReport, Outcome, is_image_id};
use crate::target::{Discovery, Mode, Project, Target};
use crate::ui::progress::Progress;
use crate::ui::table::human_bytes;

/// What a NAME is on this engine.
enum Switch {
    /// A container switched over by the recreate steps.
    Container { id: String },
    /// A compose service switched over by compose.
    Service {
        project: Box<Project>,
        service: String,
    },
}

impl Switch {
    /// What it switches: a container id, or a project and service.
    fn identity(&self) -> String {
        match self {
            Switch::Container { id } => id.clone(),
            Switch::Service { project, service } => format!("{}/{service}", project.name),
        }
    }
}

/// One NAME of the command line, resolved.
struct Item {
    name: String,
    switch: Switch,
    /// The released image's id.
    image_id: String,
    /// The name the image gets on this engine (an id when it has none).
    reference: String,
}

/// Runs `release`.
pub async fn run(
    discovery: &Discovery<'_>,
    docker: &DockerFlags,
    args: &ReleaseArgs,
    cancel: &Cancel,
) -> Result<()> {
    let target = discovery.engine;
    let source = connect_source(&args.from, docker).await?;
    let (source_id, target_id) = (engine_id(&source).await, engine_id(target).await);
    if source.endpoint.host == target.endpoint.host
        || (source_id.is_some() && source_id == target_id)
    {
        return Err(Error::usage(format!(
            "--from {} is the engine the release goes to ({})",
            args.from, target.endpoint.host
        ))
        .hint(
            "run release against the target engine (--context/-H) and name the source with --from",
        ));
    }
    // Locked before anything is read, so that what is resolved stays true.
    let keys: Vec<Key> = args.names.iter().map(|n| Key::Target(n.clone())).collect();
    let lock = async |keys: &[Key]| {
        lock::acquire(
            &target.endpoint.host,
            keys,
            "release",
            args.lock.wait(),
            cancel,
        )
        .await
    };
    let _names = lock(&keys).await?;
    let mut by_image: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    let mut seen = Vec::new();
    for name in &args.names {
        let item = resolve(discovery, &source, args, name).await?;
        let key = item.switch.identity();
        if seen.contains(&key) {
            crate::say!("note: {name} is named twice (or by name and id): released once");
            continue;
        }
        seen.push(key);
        by_image
            .entry(item.image_id.clone())
            .or_default()
            .push(item);
    }
    let projects: Vec<Key> = by_image
        .values()
        .flatten()
        .filter_map(|item| match &item.switch {
            Switch::Service { project, .. } => Some(Key::Target(project.name.clone())),
            Switch::Container { .. } => None,
        })
        .collect();
    let _projects = lock(&projects).await?;
    // A container that cannot be replaced refuses the release before any image travels
    // or any other NAME is switched over.
    for item in by_image.values().flatten() {
        if let Switch::Container { id } = &item.switch {
            let inspect = target.docker.inspect_container(id, None).await?;
            let spec = serde_json::to_value(inspect).expect("inspect serializes");
            // One already on the image is not replaced (a release run again).
            if spec["Image"] != item.image_id.as_str() {
                crate::runmode::recreate::refuse_unreplaceable(target, &spec, &item.name).await?;
            }
        }
    }
    let mut plans = Vec::new();
    for id in by_image.keys() {
        let image = transfer::source_image(&source, id).await?;
        plans.push(transfer::plan(target, image).await?);
    }
    if args.dry_run {
        let mut reports = Vec::new();
        for (plan, items) in plans.iter().zip(by_image.values()) {
            reports.push(dry_run_report(target, plan, items).await?);
        }
        return print_reports(args.format, reports, &[]);
    }
    // Every image travels before any container is touched: a transfer that fails
    // leaves every container as it was.
    let mut sent = Vec::new();
    for plan in &plans {
        sent.push(send(&source, target, plan, cancel).await?);
    }
    // The volumes of the containers switched over are locked too, as a backup or
    // restore locks them: neither must see a container started under it. Once the
    // images are sent (a release run again sends nothing), and not waited for: a
    // backup takes volumes before targets, this the other way round.
    let containers = inventory::containers(target).await?;
    let switched = containers.iter().filter(|c| {
        by_image.values().flatten().any(|item| match &item.switch {
            Switch::Container { id } => &c.id == id,
            Switch::Service { project, service } => {
                c.project() == Some(project.name.as_str()) && c.runs_service(service)
            }
        })
    });
    let volumes = lock::volumes_of(switched);
    let _volumes = journal::lock_settled(target, &volumes, "release", None, cancel).await?;
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for ((plan, sent), items) in plans.iter().zip(&sent).zip(by_image.values()) {
        let mut containers = Vec::new();
        for item in items {
            if let Some(why) = cancel.reason() {
                failures.push(format!("{}: not switched over ({why})", item.name));
                continue;
            }
            let gate = Gate {
                stable_for: args.stable_for,
                model: match &item.switch {
                    Switch::Service { project, .. } => project.model.clone(),
                    Switch::Container { .. } => None,
                },
            };
            let release = Release {
                engine: target,
                image_id: &item.image_id,
                gate: &gate,
                rollback: !args.no_rollback,
                stop_timeout: args.stop.timeout,
                cancel,
            };
            let switched = match &item.switch {
                Switch::Container { id } => {
                    release.run_mode(id, &item.reference).await.map(|r| vec![r])
                }
                Switch::Service { project, service } => {
                    release
                        .compose_mode(discovery, project, service, &item.reference)
                        .await
                }
            };
            let switched = switched.unwrap_or_else(|err| {
                vec![ContainerReport {
                    name: item.name.clone(),
                    from_image: String::new(),
                    to_image: item.image_id.clone(),
                    outcome: Outcome::Failed,
                    message: Some(err.message),
                }]
            });
            for report in switched {
                audit::record(
                    "release",
                    &report.name,
                    match report.outcome.is_failure() {
                        true => format!("failed: {:?}", report.outcome),
                        false => "ok".into(),
                    },
                    json!({"image": item.image_id, "from": source.endpoint.host,
                           "outcome": report.outcome}),
                );
                if let Some(message) = &report.message
                    && !failures.contains(message)
                {
                    failures.push(message.clone());
                }
                containers.push(report);
            }
        }
        reports.push(release_report(plan, sent, items, containers));
    }
    let printed = print_reports(args.format, reports, &failures);
    if cancel.reason().is_some() {
        if let Err(err) = printed {
            crate::say!("error: {}", crate::redact::text(&err.message));
        }
        return Err(Error::interrupted());
    }
    printed
}

/// What two addresses of one engine share: its id, host name and data root (`docker
/// info`). The id alone is not enough: engines started from one image or one
/// `/etc/docker` share it.
async fn engine_id(engine: &Engine) -> Option<String> {
    let info = engine.docker.info().await.ok()?;
    let id = info.id.filter(|id| !id.is_empty())?;
    Some(format!(
        "{id} {} {}",
        info.name.unwrap_or_default(),
        info.docker_root_dir.unwrap_or_default()
    ))
}

/// Connects to the `--from` engine, within seconds (exit 5 when it does not answer).
async fn connect_source(from: &str, docker: &DockerFlags) -> Result<Engine> {
    let endpoint = endpoint::resolve_named(from, &docker.connect_options(), &|name| {
        std::env::var(name).ok()
    })?;
    engine::connect(&endpoint).await.map_err(|mut err| {
        err.message = format!("the source engine (--from {from}): {}", err.message);
        err.hint = Some(format!(
            "check that {} is up and reachable from here, or name another with --from",
            endpoint.host
        ));
        err
    })
}

/// What NAME is on this engine, and which image it gets from the source.
async fn resolve(
    discovery: &Discovery<'_>,
    source: &Engine,
    args: &ReleaseArgs,
    name: &str,
) -> Result<Item> {
    let target = discovery.engine;
    let containers = inventory::containers(target).await?;
    let (switch, compose_reference) = match inventory::find_container(&containers, name) {
        Some(container) => match container.project() {
            Some(_) => match discovery.targets(Some(name)).await?.remove(0) {
                Target::Project(project) if project.mode == Mode::Compose => {
                    let service = container.service().unwrap_or_default().to_string();
                    let reference = compose_image(&project, &service);
                    (Switch::Service { project, service }, Some(reference))
                }
                target => {
                    if let Target::Project(project) = &target
                        && let Some(reason) = &project.mode_reason
                    {
                        crate::say!(
                            "note: running in run mode: {reason}; {name} is released outside \
                             compose, whose file still names the old image for a later `up`"
                        );
                    }
                    (
                        Switch::Container {
                            id: container.id.clone(),
                        },
                        None,
                    )
                }
            },
            None => {
                if let Some(project) = located_project(discovery, &containers).await?
                    && has_service(&project, name)
                {
                    return Err(Error::usage(format!(
                        "{name} is both a container and a service of project {}",
                        project.name
                    ))
                    .hint(format!(
                        "name the container by its id, or the service's container ({})",
                        project
                            .containers
                            .iter()
                            .filter(|c| c.service() == Some(name))
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                (
                    Switch::Container {
                        id: container.id.clone(),
                    },
                    None,
                )
            }
        },
        None => {
            let project = located_project(discovery, &containers).await?;
            match project {
                Some(project) if has_service(&project, name) => {
                    if project.mode != Mode::Compose {
                        return Err(Error::usage(format!(
                            "{name} is a service of project {}, which is not in compose mode here: {}",
                            project.name,
                            project.mode_reason.clone().unwrap_or_default()
                        )));
                    }
                    if !project.containers.iter().any(|c| c.runs_service(name)) {
                        return Err(Error::usage(format!(
                            "service {name} of project {} runs no container on the target \
                             engine: there is nothing to release into",
                            project.name
                        ))
                        .hint(
                            "name the project the service runs in with -p, or start it first \
                               (docker compose up -d)",
                        ));
                    }
                    let reference = compose_image(&project, name);
                    (
                        Switch::Service {
                            project,
                            service: name.to_string(),
                        },
                        Some(reference),
                    )
                }
                _ => {
                    return Err(Error::usage(format!(
                        "no container or compose service {name} on the target engine ({})",
                        target.endpoint.host
                    ))
                    .hint("name a container that runs here, or a service of the compose project (-f/-p)"));
                }
            }
        }
    };
    let service = match &switch {
        Switch::Service { project, service } => Some((project.name.as_str(), service.as_str())),
        Switch::Container { .. } => None,
    };
    let (image_id, source_reference) = source_image_of(source, args, name, service).await?;
    let reference = compose_reference.unwrap_or_else(|| {
        if is_image_id(&source_reference) {
            image_id.clone()
        } else {
            source_reference
        }
    });
    Ok(Item {
        name: name.to_string(),
        switch,
        image_id,
        reference,
    })
}

/// The project of the compose options or working directory, if any.
async fn located_project(
    discovery: &Discovery<'_>,
    containers: &[inventory::Container],
) -> Result<Option<Box<Project>>> {
    let env = |name: &str| std::env::var(name).ok();
    match crate::compose::project::locate(&discovery.project, &discovery.cwd, &env)? {
        Some(files) => Ok(Some(Box::new(
            discovery.from_files(files, containers).await?,
        ))),
        None => Ok(None),
    }
}

fn has_service(project: &Project, service: &str) -> bool {
    project
        .model
        .as_ref()
        .is_some_and(|m| m.services.contains_key(service))
}

/// The image reference compose uses for `service`: the file's `image:`, else the name
/// compose gives a built image.
fn compose_image(project: &Project, service: &str) -> String {
    let named = project
        .model
        .as_ref()
        .and_then(|m| m.services.get(service))
        .and_then(|s| s.image.clone());
    named.unwrap_or_else(|| {
        let v1 = project
            .cli
            .as_ref()
            .is_some_and(|c| c.generation() == Generation::V1);
        match v1 {
            true => format!("{}_{service}", project.name),
            false => format!("{}-{service}", project.name),
        }
    })
}

/// The image to release and how the source names it: `--image`, else what the
/// same-named container runs there, or for a compose service what the containers of the
/// same project and service run there.
async fn source_image_of(
    source: &Engine,
    args: &ReleaseArgs,
    name: &str,
    service: Option<(&str, &str)>,
) -> Result<(String, String)> {
    if let Some(reference) = &args.image {
        let image = transfer::source_image(source, reference).await?;
        return Ok((image.id, reference.clone()));
    }
    let containers = inventory::containers(source).await?;
    let found: Vec<&inventory::Container> = match service {
        Some((project, service)) => containers
            .iter()
            .filter(|c| c.project() == Some(project) && c.runs_service(service))
            .collect(),
        None => inventory::find_container(&containers, name)
            .into_iter()
            .collect(),
    };
    let what = match service {
        Some((project, service)) => format!("service {service} of project {project}"),
        None => format!("container {name}"),
    };
    let mut images = Vec::new();
    for container in &found {
        let inspect = source.docker.inspect_container(&container.id, None).await?;
        let id = inspect.image.unwrap_or_default();
        let reference = inspect
            .config
            .and_then(|c| c.image)
            .unwrap_or_else(|| id.clone());
        if !images.iter().any(|(known, _)| *known == id) {
            images.push((id, reference));
        }
    }
    match images.len() {
        1 => Ok(images.remove(0)),
        0 => Err(Error::usage(format!(
            "no {what} on the source engine ({}) to take the image from",
            source.endpoint.host
        ))
        .hint("name the image with --image REF")),
        _ => Err(Error::usage(format!(
            "the containers of {what} on the source engine run different images"
        ))
        .hint("name the image with --image REF")),
    }
}

/// Sends one image, with progress on a terminal; Ctrl-C stops the transfer (the target
/// loads nothing from a cut stream).
async fn send(source: &Engine, target: &Engine, plan: &Plan, cancel: &Cancel) -> Result<Sent> {
    if plan.present {
        crate::say!(
            "{} is already on the target: nothing to send",
            short(&plan.image.id)
        );
        return Ok(Sent::default());
    }
    if let Some(why) = &plan.full_stream {
        crate::say!("note: sending every layer: {why}");
    }
    let done = Arc::new(AtomicU64::new(0));
    let total = Arc::new(AtomicU64::new(plan.bytes_to_send()));
    let bar = Progress::bytes(
        &format!(
            "sending {} ({} of {} layers)",
            short(&plan.image.id),
            plan.layers_to_send(),
            plan.layers_total()
        ),
        Arc::clone(&done),
        total,
    );
    let sent = cancel
        .unless_cancelled(
            "sending the image",
            transfer::send(source, target, plan, done),
        )
        .await?;
    drop(bar);
    crate::say!(
        "sent {} of {} layers of {} ({}) in {:.1}s; {} already on the target",
        sent.layers_sent,
        plan.layers_total(),
        short(&plan.image.id),
        human_bytes(sent.bytes_sent),
        sent.seconds,
        plan.layers_total() - sent.layers_sent
    );
    Ok(sent)
}

fn short(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    &hex[..hex.len().min(12)]
}

fn references(items: &[Item]) -> String {
    let mut names: Vec<&str> = items.iter().map(|i| i.reference.as_str()).collect();
    names.dedup();
    names.join(", ")
}

fn release_report(
    plan: &Plan,
    sent: &Sent,
    items: &[Item],
    containers: Vec<ContainerReport>,
) -> Value {
    json!({
        "image": references(items),
        "image_id": plan.image.id,
        "layers_total": plan.layers_total(),
        "layers_sent": sent.layers_sent,
        "bytes_sent": sent.bytes_sent,
        "seconds": sent.seconds,
        "full_stream_reason": plan.full_stream,
        "containers": containers,
    })
}

async fn dry_run_report(target: &Engine, plan: &Plan, items: &[Item]) -> Result<Value> {
    let mut containers = Vec::new();
    for item in items {
        let ids: Vec<String> = match &item.switch {
            Switch::Container { id } => vec![id.clone()],
            Switch::Service { project, service } => project
                .containers
                .iter()
                .filter(|c| c.runs_service(service))
                .map(|c| c.id.clone())
                .collect(),
        };
        for id in ids {
            let inspect = target.docker.inspect_container(&id, None).await?;
            let current = inspect.image.unwrap_or_default();
            let name = inspect.name.unwrap_or_default();
            containers.push(json!({
                "name": name.trim_start_matches('/'),
                "from_image": current,
                "to_image": plan.image.id,
                "outcome": if current == plan.image.id { "unchanged" } else { "planned" },
            }));
        }
    }
    Ok(json!({
        "dry_run": true,
        "image": references(items),
        "image_id": plan.image.id,
        "already_on_target": plan.present,
        "layers_total": plan.layers_total(),
        "layers_missing": if plan.present { 0 } else { plan.skip.missing },
        "layers_to_send": plan.layers_to_send(),
        "bytes_to_send": plan.bytes_to_send(),
        "full_stream_reason": plan.full_stream,
        "containers": containers,
    }))
}

fn print_reports(format: Format, reports: Vec<Value>, failures: &[String]) -> Result<()> {
    let text = match format {
        Format::Json => {
            let value = match <[Value; 1]>::try_from(reports) {
                Ok([one]) => one,
                Err(many) => Value::Array(many),
            };
            serde_json::to_string_pretty(&value).expect("a report serializes") + "\n"
        }
        Format::Table => reports.iter().map(table).collect(),
    };
    super::print(&text)?;
    if failures.is_empty() {
        return Ok(());
    }
    Err(Error::failure(failures.join("\n")))
}

fn table(report: &Value) -> String {
    let mut text = String::new();
    let dry = report["dry_run"] == true;
    let image = report["image"].as_str().unwrap_or_default();
    let id = short(report["image_id"].as_str().unwrap_or_default());
    if dry {
        text.push_str(&format!(
            "would release {image} ({id}): {} of {} layers to send ({} missing on the target), \
             about {}{}\n",
            report["layers_to_send"],
            report["layers_total"],
            report["layers_missing"],
            human_bytes(report["bytes_to_send"].as_u64().unwrap_or(0)),
            match report["already_on_target"] == true {
                true => " (already on the target)",
                false => "",
            }
        ));
    } else {
        text.push_str(&format!(
            "image {image} ({id}): {} of {} layers sent, {}\n",
            report["layers_sent"],
            report["layers_total"],
            human_bytes(report["bytes_sent"].as_u64().unwrap_or(0)),
        ));
    }
    for container in report["containers"].as_array().into_iter().flatten() {
        let name = container["name"].as_str().unwrap_or_default();
        if dry {
            text.push_str(&format!(
                "  {name}: {} (runs {} now, kept as its rollback point)\n",
                match container["outcome"] == "unchanged" {
                    true => "already runs it",
                    false => "would switch over",
                },
                short(container["from_image"].as_str().unwrap_or_default())
            ));
            continue;
        }
        text.push_str(&format!(
            "  {name}: {} ({} -> {})\n",
            container["outcome"].as_str().unwrap_or_default(),
            short(container["from_image"].as_str().unwrap_or_default()),
            short(container["to_image"].as_str().unwrap_or_default()),
        ));
    }
    text
}
