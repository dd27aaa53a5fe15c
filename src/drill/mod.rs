//! Restore drills (seed 003: "a backup is only real once it has been restored"): the
//! backup is restored into scratch volumes, the backed-up containers that use them are
//! started from their saved specs under new names, on an internal network of their own
//! with no published ports, no host binds, no links and no access to production; once
//! they run and are healthy (their own healthcheck timing), the checks that apply run
//! (a database dump inside the restored database, the probes declared for the
//! containers), the recovery time is measured, and everything the drill created is
//! removed.
//!
//! Everything a drill creates carries [`LABEL_DRILL`] and the pid of its process: a
//! drill that was killed is cleaned up by the next one ([`clean_abandoned`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::models::{NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::backup::dump;
use crate::backup::manifest::Manifest;
use crate::backup::restore::{self, RestoreRequest, Source};
use crate::cancel::Cancel;
use crate::doctor::facts::Inspected;
use crate::doctor::probes;
use crate::engine::Engine;
use crate::engine::inventory::Container;
use crate::engine::names::sanitized;
use crate::error::{Error, Result, engine_message};
use crate::runmode::recreate::{self, ImageDefaults};
use crate::runmode::restart_check::{self, Patience};

pub use crate::engine::inventory::LABEL_DRILL;
/// The pid of the process that runs the drill.
pub const LABEL_DRILL_PID: &str = "io.safeops.drill.pid";
/// The backup drilled (its directory name, or `REPOSITORY#ID`).
pub const LABEL_DRILL_BACKUP: &str = "io.safeops.drill.backup";
/// Where the drill's process runs: host name, pid namespace and state directory. Only a
/// drill of the same owner can tell whether that pid still runs, and whether its copies
/// were kept on purpose (`--keep-running` marks them in its state directory).
pub const LABEL_DRILL_OWNER: &str = "io.safeops.drill.owner";
/// The longest wait for a container without a healthcheck of its own.
const DEFAULT_WAIT: Duration = Duration::from_secs(60);
/// How long a drill container must stay up once healthy.
const STABLE_FOR: Duration = Duration::from_secs(5);

/// How long Ctrl-C lets the drill's current step end on its own before the drill
/// removes what it made.
const CANCEL_GRACE: Duration = Duration::from_secs(30);

/// One check of a drill.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked: `restore`, `start NAME`, `db-dump NAME`, `probe NAME ...`.
    pub name: String,
    /// `pass`, `fail` or `skip`.
    pub status: &'static str,
    /// What happened.
    pub message: String,
}

/// What a drill did.
#[derive(Debug, Clone, Serialize)]
pub struct DrillReport {
    /// The backup drilled (its directory name, or `REPOSITORY#ID`).
    pub backup: String,
    /// Its target.
    pub target: String,
    /// `passed` or `failed`.
    pub outcome: &'static str,
    /// Seconds from the start of the restore until every container was healthy.
    pub rto_seconds: Option<f64>,
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// With `--keep-running`: the containers, volumes and network left running.
    pub kept: Option<Vec<String>>,
}

/// What a drill created, for its cleanup.
#[derive(Debug, Default)]
struct Created {
    containers: Vec<String>,
    volumes: Vec<String>,
    network: Option<String>,
}

impl Created {
    fn names(&self) -> Vec<String> {
        self.containers
            .iter()
            .chain(&self.volumes)
            .chain(&self.network)
            .cloned()
            .collect()
    }
}

fn pass(name: impl Into<String>, message: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        status: "pass",
        message: message.into(),
    }
}

fn fail(name: impl Into<String>, message: impl Into<String>) -> Check {
    Check {
        status: "fail",
        ..pass(name, message)
    }
}

/// Runs a drill of the backup `from` (a plain backup or a snapshot). `scratch` is a
/// directory for the restore's bookkeeping; `keep_running` leaves what the drill
/// started in place.
pub async fn run(
    engine: &Engine,
    from: &Source,
    scratch: &Path,
    keep_running: bool,
    cancel: &Cancel,
) -> Result<DrillReport> {
    for line in clean_abandoned(engine).await {
        crate::say!("note: {line}");
    }
    let manifest = from.manifest()?;
    let id = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
    );
    let backup = from.name();
    let plan = Plan {
        engine,
        from,
        manifest: &manifest,
        tags: labels(&id, &backup),
        id: id.clone(),
        scratch,
        cancel,
    };
    let mut created = Created::default();
    let mut checks = Vec::new();
    let outcome = {
        let work = drill(&plan, &mut created, &mut checks);
        tokio::pin!(work);
        tokio::select! {
            outcome = &mut work => outcome,
            why = cancel.cancelled() => {
                // The restore inside ends on the cancellation itself, and settles its
                // switch, helpers and journal as it does: dropped, it would leave them
                // to the next command, and what it created untracked. A step that does
                // not heed it (a container coming up) is cut at the end of the grace.
                crate::say!(
                    "note: {why}: letting the step under way end (up to {} s), then removing \
                     what the drill made",
                    CANCEL_GRACE.as_secs()
                );
                let _ = tokio::time::timeout(CANCEL_GRACE, &mut work).await;
                Err(Error::interrupted())
            }
        }
    };
    let rto = match &outcome {
        Ok(rto) => Some(rto.as_secs_f64()),
        Err(_) => None,
    };
    let interrupted = matches!(&outcome, Err(e) if ends_without_verdict(e));
    if let Err(err) = &outcome
        && !interrupted
    {
        checks.push(fail("drill", err.message.clone()));
    }
    let kept = if keep_running && !interrupted {
        let marker = kept_marker(&id);
        if let Some(dir) = marker.parent() {
            let _ = crate::state::create_private_dir(dir);
        }
        let _ = std::fs::write(&marker, created.names().join("\n"));
        Some(created.names())
    } else {
        remove(engine, &created).await;
        None
    };
    if let Err(err) = outcome
        && interrupted
    {
        return Err(err);
    }
    let passed = !checks.is_empty() && checks.iter().all(|c| c.status != "fail");
    Ok(DrillReport {
        backup,
        target: manifest.target.name.clone(),
        outcome: if passed { "passed" } else { "failed" },
        rto_seconds: rto.filter(|_| passed),
        checks,
        kept,
    })
}

/// Whether `err` ends a drill without a verdict on the backup: it was interrupted, or
/// refused before it restored anything (not enough space for the scratch volumes).
fn ends_without_verdict(err: &Error) -> bool {
    matches!(
        err.code,
        crate::error::ExitCode::Interrupted | crate::error::ExitCode::Preflight
    )
}

/// Points `spec` (of container `name`) at an image on this engine: the very one it
/// ran, by id, else (pruned since, or a drill on another host) the one its reference
/// names now, said in the note returned. Neither: a failure saying how to get it.
async fn run_what_is_here(engine: &Engine, spec: &mut Value, name: &str) -> Result<Option<String>> {
    let ran = spec["Image"].as_str().unwrap_or_default().to_string();
    let short = |id: &str| {
        let id = id.trim_start_matches("sha256:");
        id.get(..12).unwrap_or(id).to_string()
    };
    if !ran.is_empty() && engine.docker.inspect_image(&ran).await.is_ok() {
        return Ok(None);
    }
    let reference = spec["Config"]["Image"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let now = match reference.is_empty() {
        true => None,
        false => engine.docker.inspect_image(&reference).await.ok(),
    };
    let Some(now) = now.and_then(|image| image.id) else {
        // In the message: a drill's report shows its checks' messages only.
        return Err(Error::failure(format!(
            "the image {name} ran ({reference}, {}) is not on this engine: docker pull \
             {reference} (or load it: a backup made with --images holds it), then drill again",
            short(&ran)
        )));
    };
    spec["Image"] = json!(now);
    Ok(Some(format!(
        "the image it ran ({}) is no longer on this engine: the copy runs {reference} as \
         it is now ({})",
        short(&ran),
        short(&now)
    )))
}

/// The labels of everything drill `id` of `backup` creates.
fn labels(id: &str, backup: &str) -> HashMap<String, String> {
    HashMap::from([
        (LABEL_DRILL.to_string(), id.to_string()),
        (LABEL_DRILL_PID.to_string(), std::process::id().to_string()),
        (LABEL_DRILL_BACKUP.to_string(), backup.to_string()),
        (LABEL_DRILL_OWNER.to_string(), owner()),
    ])
}

/// This process's host name, pid namespace and state directory.
fn owner() -> String {
    let host = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    let pidns = std::fs::read_link("/proc/self/ns/pid")
        .map(|l| l.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{host} {pidns} {}", crate::state::state_dir().display())
}

/// The marker of a drill left running on purpose (`--keep-running`): its objects are
/// not an interrupted drill's.
fn kept_marker(id: &str) -> PathBuf {
    scratch_dir().join("kept").join(id)
}

/// A name for drill `id`'s copy of `name`, valid and bounded.
fn scratch_name(id: &str, name: &str) -> String {
    let base: String = sanitized(name).chars().take(60).collect();
    format!("safeops-drill-{id}-{base}")
}

/// What a drill works on.
struct Plan<'a> {
    engine: &'a Engine,
    /// The backup.
    from: &'a Source,
    manifest: &'a Manifest,
    /// The drill's id (in the names of what it creates).
    id: String,
    /// The labels of what it creates.
    tags: HashMap<String, String>,
    /// The restore's bookkeeping directory.
    scratch: &'a Path,
    cancel: &'a Cancel,
}

/// The drill itself; what it creates goes into `created` (for the cleanup), what it
/// finds into `checks`. Returns the recovery time.
async fn drill(
    plan: &Plan<'_>,
    created: &mut Created,
    checks: &mut Vec<Check>,
) -> Result<Duration> {
    let Plan {
        engine,
        from,
        manifest,
        id,
        tags,
        scratch,
        cancel,
    } = plan;
    let started = Instant::now();
    let network = format!("safeops-drill-{id}");
    engine
        .docker
        .create_network(NetworkCreateRequest {
            name: network.clone(),
            internal: Some(true),
            labels: Some(tags.clone()),
            ..NetworkCreateRequest::default()
        })
        .await
        .map_err(|e| {
            Error::failure(format!(
                "cannot create the drill's network: {}",
                engine_message(&e)
            ))
        })?;
    created.network = Some(network.clone());
    let mut volume_map = HashMap::new();
    for volume in &manifest.volumes {
        let name = scratch_name(id, &volume.name);
        engine
            .docker
            .create_volume(VolumeCreateRequest {
                name: Some(name.clone()),
                labels: Some(tags.clone()),
                ..VolumeCreateRequest::default()
            })
            .await
            .map_err(|e| Error::failure(format!("cannot create {name}: {}", engine_message(&e))))?;
        created.volumes.push(name.clone());
        volume_map.insert(volume.name.clone(), name);
    }
    let request = RestoreRequest {
        from: (*from).clone(),
        selections: volume_map
            .iter()
            .map(|(from, into)| format!("{from}:{into}"))
            .collect(),
        project: None,
        confirm: None,
        start: false,
        preserve_special: true,
        lock_wait: None,
        trusted_volume_options: Vec::new(),
        images: false,
        stop_timeout: 10,
        safety_root: scratch.to_path_buf(),
        scratch: true,
    };
    match restore::restore(engine, &request, cancel).await {
        Ok(outcome) => {
            let files: u64 = outcome.volumes.iter().map(|v| v.file_count).sum();
            let bytes: u64 = outcome.volumes.iter().map(|v| v.total_bytes).sum();
            checks.push(pass(
                "restore",
                format!(
                    "{} volumes restored into scratch volumes, {files} files and {} checked \
                     against the backup's digests",
                    outcome.volumes.len(),
                    crate::ui::table::human_bytes(bytes)
                ),
            ));
        }
        // Not a verdict on the backup: the drill did not get to it.
        Err(err) if ends_without_verdict(&err) => return Err(err),
        Err(err) => {
            checks.push(fail("restore", err.message));
            return Err(Error::failure("the backup could not be restored"));
        }
    }
    let mut started_containers = Vec::new();
    for info in &manifest.containers {
        let spec: Value = serde_json::from_slice(&from.read_small(&info.spec).await?)
            .map_err(|e| Error::integrity(format!("{}: {e}", info.spec)))?;
        let uses_backup = spec["Mounts"].as_array().into_iter().flatten().any(|m| {
            m["Name"]
                .as_str()
                .is_some_and(|n| volume_map.contains_key(n))
        });
        if !uses_backup {
            continue;
        }
        let name = scratch_name(id, &info.name);
        let mut spec = spec;
        if let Some(note) = run_what_is_here(engine, &mut spec, &info.name).await? {
            checks.push(Check {
                name: format!("image {}", info.name),
                status: "skip",
                message: note,
            });
        }
        let image = recreate::image_defaults(engine, spec["Image"].as_str().unwrap_or_default());
        let (body, dropped) = blueprint(
            &spec,
            &name,
            &network,
            &volume_map,
            tags,
            &image.await.labels,
        )?;
        for what in dropped {
            checks.push(Check {
                name: format!("isolate {}", info.name),
                status: "skip",
                message: what,
            });
        }
        let created_id = engine
            .docker
            .create_container(
                Some(
                    bollard::query_parameters::CreateContainerOptionsBuilder::default()
                        .name(&name)
                        .build(),
                ),
                body,
            )
            .await
            .map_err(|e| {
                Error::failure(format!(
                    "cannot create the drill's copy of {}: {}",
                    info.name,
                    engine_message(&e)
                ))
            })?
            .id;
        created.containers.push(name.clone());
        engine
            .docker
            .start_container(&created_id, None)
            .await
            .map_err(|e| Error::failure(format!("cannot start {name}: {}", engine_message(&e))))?;
        // The reference it ran under names its kind (`postgres:16`); the copy runs the
        // image by id.
        let reference = spec["Config"]["Image"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        started_containers.push(Copy {
            original: info.name.clone(),
            name,
            id: created_id,
            patience: patience(&spec),
            reference,
            // A container that was not running when it was backed up (a migration,
            // an init job) is judged by running to completion.
            one_shot: spec["State"]["Running"].as_bool() != Some(true),
        });
    }
    if started_containers.is_empty() {
        checks.push(Check {
            name: "start".into(),
            status: "skip",
            message: "the backup holds no container spec that uses its volumes".into(),
        });
    }
    // Every copy at once: the recovery time is the slowest one's, not their sum.
    let outcomes =
        futures_util::future::join_all(started_containers.iter().map(|copy| came_up(engine, copy)))
            .await;
    // The health gate ends with a watch for a crash right after the start; the
    // services were up when it began (one-shot copies have no such watch).
    let rto = match started_containers.iter().any(|c| !c.one_shot) {
        true => started.elapsed().saturating_sub(STABLE_FOR),
        false => started.elapsed(),
    };
    let mut all_up = true;
    for (copy, outcome) in started_containers.iter().zip(outcomes) {
        match outcome {
            Ok(how) => checks.push(pass(format!("start {}", copy.original), how)),
            Err(err) => {
                all_up = false;
                checks.push(fail(format!("start {}", copy.original), err.message));
            }
        }
    }
    if !all_up {
        return Ok(rto);
    }
    // A service stopped for a cold backup (`compose stop db`, then backup) is still
    // running at the end of its wait: it is checked as a service.
    let mut services = Vec::new();
    for copy in &started_containers {
        if !copy.one_shot || state_of(engine, &copy.id).await?.running == Some(true) {
            services.push(copy);
        }
    }
    for copy in &services {
        service_checks(
            engine,
            &copy.original,
            &copy.name,
            &copy.id,
            &copy.reference,
            checks,
            cancel,
        )
        .await?;
    }
    // A service that died while it was being checked did not recover (a one-shot job
    // that ended well meanwhile is done, not dead).
    for copy in &services {
        let state = state_of(engine, &copy.id).await?;
        let done = copy.one_shot && state.exit_code == Some(0);
        if state.running != Some(true) && !done {
            checks.push(fail(
                format!("still running {}", copy.original),
                format!(
                    "stopped during the checks (exit code {})",
                    state.exit_code.unwrap_or(-1)
                ),
            ));
        }
    }
    Ok(rto)
}

/// A drill's copy of a container.
struct Copy {
    original: String,
    name: String,
    id: String,
    patience: Patience,
    reference: String,
    one_shot: bool,
}

/// A container's state as the engine reports it now.
async fn state_of(engine: &Engine, id: &str) -> Result<bollard::models::ContainerState> {
    let inspect = engine.docker.inspect_container(id, None).await?;
    Ok(inspect.state.unwrap_or_default())
}

/// Whether a copy came up: running and healthy (and staying up), or, for a one-shot
/// container, run to completion with exit code 0 (or, still running at the end of its
/// wait, running and healthy).
async fn came_up(engine: &Engine, copy: &Copy) -> Result<String> {
    if !copy.one_shot {
        restart_check::check(engine, &copy.id, &copy.name, copy.patience).await?;
        return Ok("running and healthy".into());
    }
    let deadline = Instant::now() + copy.patience.wait;
    loop {
        let state = state_of(engine, &copy.id).await?;
        if state.running != Some(true) {
            return match state.exit_code.unwrap_or(-1) {
                0 => Ok("ran to completion (exit code 0), as when it was backed up".into()),
                code => Err(Error::failure(format!(
                    "{} exited with code {code}; its last log lines:\n{}",
                    copy.name,
                    restart_check::last_logs(engine, &copy.id).await
                ))),
            };
        }
        if Instant::now() > deadline {
            // A service stopped for a cold backup: judged as a service, health and all;
            // a long job that ends well meanwhile is done, not dead.
            return match restart_check::check(engine, &copy.id, &copy.name, copy.patience).await {
                Ok(()) => Ok("running and healthy (it was stopped when backed up)".into()),
                Err(err) => match state_of(engine, &copy.id).await? {
                    state if state.running != Some(true) && state.exit_code == Some(0) => {
                        Ok("ran to completion (exit code 0), as when it was backed up".into())
                    }
                    _ => Err(err),
                },
            };
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The database dump and the declared probes of one restored container.
async fn service_checks(
    engine: &Engine,
    original: &str,
    name: &str,
    id: &str,
    reference: &str,
    checks: &mut Vec<Check>,
    cancel: &Cancel,
) -> Result<()> {
    let doc = engine
        .get_raw_json(&format!("/containers/{id}/json"))
        .await?;
    let inspected = Inspected {
        name: name.to_string(),
        id: id.to_string(),
        doc,
    };
    let container = Container {
        id: id.to_string(),
        name: name.to_string(),
        image: reference.to_string(),
        state: inspected.state().to_string(),
        status: String::new(),
        labels: inspected
            .labels()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        volume_mounts: Vec::new(),
    };
    if let Some(kind) = dump::db_kind(&container) {
        let mut sink = std::io::sink();
        let outcome = dump::stream(
            engine,
            &container,
            kind,
            &mut sink,
            &|e| Error::failure(e.to_string()),
            cancel,
        )
        .await;
        checks.push(match outcome {
            Ok(bytes) => pass(
                format!("db-dump {original}"),
                format!(
                    "a full dump of the restored database succeeded ({} of SQL)",
                    crate::ui::table::human_bytes(bytes)
                ),
            ),
            Err(err) if err.code == crate::error::ExitCode::Interrupted => return Err(err),
            Err(err) => fail(format!("db-dump {original}"), err.message),
        });
    }
    // Probes run inside the copy's own network namespace, to its own address: one
    // that names a host, or runs from this host's namespace, could be answered by
    // production.
    let root = rustix::process::geteuid().is_root();
    let peers = HashMap::new();
    for spec in probes::declared(&inspected, None) {
        let check = format!("probe {original} {}", crate::redact::text(&spec));
        let skip = |why: &str| Check {
            name: check.clone(),
            status: "skip",
            message: why.to_string(),
        };
        match probes::parse(&spec) {
            Ok(probe) if probe.host.is_some() => {
                checks.push(skip("it names a host, which may be production's"));
            }
            Ok(_) if !root => {
                checks.push(skip("entering the copy's network namespace needs root"));
            }
            Ok(probe) => match probes::run(&probe, &inspected, true, &peers).await {
                Ok(answer) => checks.push(pass(check, answer)),
                Err(err) => checks.push(fail(check, crate::redact::text(&err).into_owned())),
            },
            Err(err) => checks.push(fail(check, err)),
        }
    }
    Ok(())
}

/// How long a container may take to come up, after its own healthcheck.
fn patience(spec: &Value) -> Patience {
    Patience::for_healthcheck(&spec["Config"]["Healthcheck"], DEFAULT_WAIT, STABLE_FOR)
}

/// The create request of the drill's copy of a container: its spec on the drill's
/// network and scratch volumes, with everything that reaches production or the host
/// taken out (said in the returned notes). Of its labels, only safeops' own, its
/// image's (`image_labels`) and the drill's `tags` stay.
fn blueprint(
    spec: &Value,
    name: &str,
    network: &str,
    volumes: &HashMap<String, String>,
    tags: &HashMap<String, String>,
    image_labels: &HashMap<String, String>,
) -> Result<(bollard::models::ContainerCreateBody, Vec<String>)> {
    let mut spec = spec.clone();
    let mut notes = Vec::new();
    let original = spec["Name"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_string();
    spec["Name"] = json!(name);
    // The image it ran, by id: a tag may have moved since the backup.
    if let Some(image) = spec["Image"].as_str().map(str::to_string) {
        spec["Config"]["Image"] = json!(image);
    }
    // Volumes it had without a bind or mount entry (an image's VOLUME, `-v /path`):
    // their scratch copies, by destination; the engine's record of its mounts goes,
    // or the production volumes would be attached again.
    let implicit: Vec<Value> = spec["Mounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["Type"] == "volume")
        .filter_map(|m| {
            let scratch = volumes.get(m["Name"].as_str()?)?;
            Some(json!({"Type": "volume", "Source": scratch, "Target": m["Destination"]}))
        })
        .collect();
    spec["Mounts"] = json!([]);
    // Labels: compose's would make the copy part of the production project, a reverse
    // proxy's (traefik, caddy-docker-proxy) would route production's traffic to it or
    // drop production's route as defined twice. The engine adds the image's own again.
    // Our own (probes, dump kind, quiesce) stay: the drill's checks read them.
    let own = spec
        .pointer("/Config/Labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let (mut labels, others): (
        serde_json::Map<String, Value>,
        serde_json::Map<String, Value>,
    ) = own
        .into_iter()
        .partition(|(k, _)| k.starts_with("io.safeops."));
    let dropped = others
        .iter()
        .filter(|(k, v)| {
            !k.starts_with("com.docker.compose.")
                && image_labels.get(*k).map(String::as_str) != v.as_str()
        })
        .count();
    if dropped > 0 {
        notes.push(format!(
            "{dropped} label(s) of {original} not given to the copy: a proxy or other tool \
             that discovers containers by their labels would take it for production"
        ));
    }
    labels.extend(tags.iter().map(|(k, v)| (k.clone(), json!(v))));
    spec["Config"]["Labels"] = Value::Object(labels);
    let host = spec["HostConfig"]
        .as_object_mut()
        .ok_or_else(|| Error::integrity("the spec has no HostConfig"))?;
    host.insert("PortBindings".into(), json!({}));
    host.insert("PublishAllPorts".into(), json!(false));
    host.insert("RestartPolicy".into(), json!({"Name": "no"}));
    host.insert("NetworkMode".into(), json!(network));
    // Namespaces, devices and privileges that reach the host or another container:
    // the copy gets its own (the engine's defaults) or none.
    for (key, isolated) in [
        ("PidMode", json!("")),
        ("IpcMode", json!("private")),
        ("UTSMode", json!("")),
        ("UsernsMode", json!("")),
        ("CgroupnsMode", json!("private")),
        ("Privileged", json!(false)),
        ("Devices", json!([])),
        ("DeviceRequests", json!([])),
        ("DeviceCgroupRules", json!([])),
        ("CapAdd", json!([])),
        ("VolumeDriver", json!("")),
    ] {
        let current = host.get(key).cloned().unwrap_or(Value::Null);
        let harmless = current.is_null()
            || current == isolated
            || current == json!("")
            || current == json!(false)
            || current.as_array().is_some_and(|a| a.is_empty())
            || (key == "IpcMode"
                && matches!(current.as_str(), Some("private" | "shareable" | "none")));
        if !harmless {
            notes.push(format!(
                "{key} {current} of {original} not given to the copy: it reaches the host or production"
            ));
            host.insert(key.into(), isolated);
        }
    }
    for key in ["Links", "VolumesFrom", "ExtraHosts"] {
        if host
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            notes.push(format!(
                "{key} of {original} left out: they reach production"
            ));
        }
        host.remove(key);
    }
    let mut binds = Vec::new();
    for bind in host
        .get("Binds")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let Some(bind) = bind.as_str() else { continue };
        let mut parts = bind.splitn(2, ':');
        let (source, rest) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if source.starts_with('/') {
            notes.push(format!(
                "host path {source} of {original} not mounted: it is production's"
            ));
        } else if let Some(scratch) = volumes.get(source) {
            binds.push(json!(format!("{scratch}:{rest}")));
        } else {
            notes.push(format!(
                "volume {source} of {original} is not in the backup: an empty one is used"
            ));
            binds.push(json!(rest.split(':').next().unwrap_or(rest)));
        }
    }
    let mut mounts = Vec::new();
    for mount in host
        .get("Mounts")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        match (mount["Type"].as_str(), mount["Source"].as_str()) {
            (Some("volume"), Some(source)) if volumes.contains_key(source) => {
                let mut mount = mount.clone();
                mount["Source"] = json!(volumes[source]);
                mounts.push(mount);
            }
            (Some("tmpfs"), _) => mounts.push(mount.clone()),
            (kind, source) => notes.push(format!(
                "{} mount {} of {original} not mounted: it is not in the backup",
                kind.unwrap_or("a"),
                source.unwrap_or("")
            )),
        }
    }
    for mount in implicit {
        let target = mount["Target"].as_str().unwrap_or_default();
        let bound = binds.iter().any(|b| {
            b.as_str()
                .and_then(|b| b.split(':').nth(1))
                .is_some_and(|t| recreate::same_path(t, target))
        }) || mounts.iter().any(|m| {
            m["Target"]
                .as_str()
                .is_some_and(|t| recreate::same_path(t, target))
        });
        if !bound {
            mounts.push(mount);
        }
    }
    host.insert("Binds".into(), json!(binds));
    host.insert("Mounts".into(), json!(mounts));
    // Only the drill's network; the original aliases, so the copies find each other.
    let aliases: Vec<String> = spec["NetworkSettings"]["Networks"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, ep)| ep["Aliases"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a.as_str().map(str::to_string))
        .chain(std::iter::once(original.clone()))
        .collect();
    spec["NetworkSettings"]["Networks"] = json!({ network: {"Aliases": aliases} });
    let blueprint = recreate::blueprint(&spec, None, &ImageDefaults::default())?;
    let mut body = blueprint.body;
    body.networking_config = Some(bollard::models::NetworkingConfig {
        endpoints_config: Some(HashMap::from([(
            network.to_string(),
            bollard::models::EndpointSettings {
                aliases: Some(
                    spec["NetworkSettings"]["Networks"][network]["Aliases"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a.as_str().map(str::to_string))
                        .collect(),
                ),
                ..Default::default()
            },
        )])),
    });
    Ok((body, notes))
}

/// Removes what a drill created (containers, then volumes, then its network).
async fn remove(engine: &Engine, created: &Created) {
    let force = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    for name in &created.containers {
        if let Err(e) = engine
            .docker
            .remove_container(name, Some(force.clone()))
            .await
        {
            crate::say!(
                "warning: cannot remove the drill container {name}: {}",
                engine_message(&e)
            );
        }
    }
    for name in &created.volumes {
        if let Err(e) = engine
            .docker
            .remove_volume(name, None::<bollard::query_parameters::RemoveVolumeOptions>)
            .await
        {
            crate::say!(
                "warning: cannot remove the drill volume {name}: {}",
                engine_message(&e)
            );
        }
    }
    if let Some(name) = &created.network
        && let Err(e) = engine.docker.remove_network(name).await
    {
        crate::say!(
            "warning: cannot remove the drill network {name}: {}",
            engine_message(&e)
        );
    }
}

/// Removes what drills whose process is gone left behind; says what it removed.
pub async fn clean_abandoned(engine: &Engine) -> Vec<String> {
    let filter = HashMap::from([("label", vec![LABEL_DRILL])]);
    let me = owner();
    // Alive unless it is certainly dead: same owner, pid gone, not kept on purpose.
    let alive = |labels: Option<&HashMap<String, String>>| {
        let Some(labels) = labels else { return true };
        if labels.get(LABEL_DRILL_OWNER) != Some(&me) {
            return true;
        }
        if labels
            .get(LABEL_DRILL)
            .is_some_and(|id| kept_marker(id).exists())
        {
            return true;
        }
        labels
            .get(LABEL_DRILL_PID)
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_none_or(|pid| Path::new(&format!("/proc/{pid}")).exists())
    };
    let mut abandoned = Created::default();
    let containers = engine
        .docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filter)
                .build(),
        ))
        .await
        .unwrap_or_default();
    for c in containers {
        if !alive(c.labels.as_ref())
            && let Some(name) = c.names.and_then(|n| n.first().cloned())
        {
            abandoned
                .containers
                .push(name.trim_start_matches('/').to_string());
        }
    }
    if let Ok(volumes) = engine
        .docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::default()
                .filters(&filter)
                .build(),
        ))
        .await
    {
        for v in volumes.volumes.unwrap_or_default() {
            if !alive(Some(&v.labels)) {
                abandoned.volumes.push(v.name);
            }
        }
    }
    let networks: Vec<String> = engine
        .docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&filter)
                .build(),
        ))
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|n| !alive(n.labels.as_ref()))
        .filter_map(|n| n.name)
        .collect();
    let mut removed = abandoned.names();
    removed.extend(networks.iter().cloned());
    if removed.is_empty() {
        return Vec::new();
    }
    remove(engine, &abandoned).await;
    for network in networks {
        let only = Created {
            network: Some(network),
            ..Created::default()
        };
        remove(engine, &only).await;
    }
    vec![format!(
        "removed what an interrupted drill left: {}",
        removed.join(", ")
    )]
}

/// Where the drill of `dir` keeps its restore bookkeeping: a private directory of the
/// state directory.
pub fn scratch_dir() -> PathBuf {
    crate::state::state_dir().join("drills")
}
