//! Run-mode recreation: a container rebuilt from its inspect spec (live, saved or from a
//! backup), optionally on another image, keeping everything `docker run` set and
//! dropping what the engine generated (MAC address, hostname equal to the old id,
//! dynamic IPs). Safe order: rename the old one aside, create the new one, connect its
//! extra networks (older APIs take one at create), stop the old one, start the new one
//! and wait until it runs and is healthy, then remove the old one. On any failure the
//! new one is removed and the old one gets its name back (and is started again).

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, EndpointSettings, NetworkConnectRequest, NetworkingConfig,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder, RenameContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use serde_json::{Value, json};

use crate::cancel::Cancel;
use crate::engine::{Engine, inventory};
use crate::error::{Error, ExitCode, Result, engine_message};
use crate::runmode::restart_check::{self, Patience};

/// An image's own defaults, subtracted from a spec when the image changes (as
/// watchtower does): what the old image contributed must not stick to the new one.
#[derive(Debug, Default, Clone)]
pub struct ImageDefaults {
    /// `ENV` lines.
    pub env: Vec<String>,
    /// `LABEL`s.
    pub labels: HashMap<String, String>,
    /// `CMD`.
    pub cmd: Option<Value>,
    /// `ENTRYPOINT`.
    pub entrypoint: Option<Value>,
    /// `WORKDIR`.
    pub working_dir: Option<String>,
    /// `USER`.
    pub user: Option<String>,
    /// `HEALTHCHECK`.
    pub healthcheck: Option<Value>,
    /// `EXPOSE`d ports (`80/tcp`).
    pub exposed_ports: Vec<String>,
    /// `STOPSIGNAL`.
    pub stop_signal: Option<String>,
    /// `VOLUME` paths.
    pub volumes: Vec<String>,
}

/// Reads an image's defaults; an image that is gone has none we can subtract.
pub async fn image_defaults(engine: &Engine, image: &str) -> ImageDefaults {
    let Ok(inspect) = engine.docker.inspect_image(image).await else {
        return ImageDefaults::default();
    };
    let config = serde_json::to_value(inspect.config.unwrap_or_default()).unwrap_or(Value::Null);
    ImageDefaults {
        env: strings(&config["Env"]),
        labels: serde_json::from_value(config["Labels"].clone()).unwrap_or_default(),
        cmd: Some(config["Cmd"].clone()).filter(|v| !v.is_null()),
        entrypoint: Some(config["Entrypoint"].clone()).filter(|v| !v.is_null()),
        working_dir: config["WorkingDir"].as_str().map(str::to_string),
        user: config["User"].as_str().map(str::to_string),
        healthcheck: Some(config["Healthcheck"].clone()).filter(|v| !v.is_null()),
        // The engine's `{"80/tcp": {}}`, which bollard's model turns into a list.
        exposed_ports: keys(&config["ExposedPorts"]),
        stop_signal: config["StopSignal"].as_str().map(str::to_string),
        volumes: keys(&config["Volumes"]),
    }
}

/// The keys of the engine's `{"80/tcp": {}}` maps, which bollard's model turns into a
/// list.
fn keys(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map.keys().cloned().collect(),
        list => strings(list),
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn is_anonymous(name: &str) -> bool {
    crate::engine::inventory::is_anonymous_name(name)
}

/// Whether two mount targets are one path (`--mount target=/data/` is `/data` to the
/// engine).
pub fn same_path(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// What to create: the body, the network it is created on, and the networks to
/// connect afterwards.
#[derive(Debug)]
pub struct Blueprint {
    /// The container name.
    pub name: String,
    /// The create request.
    pub body: ContainerCreateBody,
    /// Further networks, connected after create.
    pub extra_networks: Vec<(String, EndpointSettings)>,
}

/// Builds the create request from an inspect `spec`. With `new_image`, the old image's
/// `old_defaults` are removed so the new image's own apply.
pub fn blueprint(
    spec: &Value,
    new_image: Option<&str>,
    old_defaults: &ImageDefaults,
) -> Result<Blueprint> {
    let name = spec["Name"]
        .as_str()
        .ok_or_else(|| Error::failure("the spec has no container name"))?
        .trim_start_matches('/')
        .to_string();
    let id = spec["Id"].as_str().unwrap_or_default();
    let mut config = spec["Config"].clone();
    let Some(fields) = config.as_object_mut() else {
        return Err(Error::failure("the spec has no Config"));
    };
    // Engine-generated: a hostname that is the old id, the MAC address.
    if fields
        .get("Hostname")
        .and_then(Value::as_str)
        .is_some_and(|h| !h.is_empty() && id.starts_with(h))
    {
        fields.remove("Hostname");
    }
    fields.remove("MacAddress");
    if let Some(image) = new_image {
        fields.insert("Image".into(), json!(image));
        if let Some(env) = fields.get("Env").cloned() {
            let kept: Vec<String> = strings(&env)
                .into_iter()
                .filter(|e| !old_defaults.env.contains(e))
                .collect();
            fields.insert("Env".into(), json!(kept));
        }
        if let Some(Value::Object(labels)) = fields.get_mut("Labels") {
            labels.retain(|k, v| old_defaults.labels.get(k).map(String::as_str) != v.as_str());
        }
        let text = |t: &Option<String>| t.as_ref().map(|t| json!(t));
        for (key, default) in [
            ("Cmd", old_defaults.cmd.clone()),
            ("Entrypoint", old_defaults.entrypoint.clone()),
            ("WorkingDir", text(&old_defaults.working_dir)),
            ("User", text(&old_defaults.user)),
            ("StopSignal", text(&old_defaults.stop_signal)),
            // The old image's check would judge the new one (and the gate with it).
            ("Healthcheck", old_defaults.healthcheck.clone()),
        ] {
            if default.is_some() && fields.get(key) == default.as_ref() {
                fields.remove(key);
            }
        }
        // A port it publishes stays exposed: engines before v29 publish only those.
        let published = spec["HostConfig"]["PortBindings"].as_object();
        let is_published = |port: &str| published.is_some_and(|p| p.contains_key(port));
        for (key, defaults) in [
            ("ExposedPorts", &old_defaults.exposed_ports),
            ("Volumes", &old_defaults.volumes),
        ] {
            if let Some(Value::Object(map)) = fields.get_mut(key) {
                map.retain(|k, _| !defaults.contains(k) || is_published(k));
            }
        }
    }
    let mut host = spec["HostConfig"].clone();
    // Anonymous volumes are re-attached by name, or the new container would get empty
    // ones: those of `-v /data` (in no HostConfig list) and of `--mount
    // type=volume,target=/data` (listed there without a source).
    let anonymous: Vec<(&str, &str)> = spec["Mounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["Type"] == "volume")
        .filter_map(|m| Some((m["Name"].as_str()?, m["Destination"].as_str()?)))
        .filter(|(volume, _)| is_anonymous(volume))
        .collect();
    let mut mounts = host["Mounts"].as_array().cloned().unwrap_or_default();
    for mount in &mut mounts {
        let unnamed = mount["Source"].as_str().is_none_or(str::is_empty);
        if mount["Type"] == "volume" && unnamed {
            let target = mount["Target"].as_str().unwrap_or_default();
            if let Some((volume, _)) = anonymous.iter().find(|(_, t)| same_path(t, target)) {
                mount["Source"] = json!(volume);
            }
        }
    }
    let bound: Vec<String> = strings(&host["Binds"])
        .iter()
        .filter_map(|b| b.split(':').nth(1).map(str::to_string))
        .chain(
            mounts
                .iter()
                .filter_map(|m| m["Target"].as_str().map(str::to_string)),
        )
        .collect();
    for (volume, target) in anonymous {
        if !bound.iter().any(|b| same_path(b, target)) {
            mounts.push(json!({"Type": "volume", "Source": volume, "Target": target}));
        }
    }
    if !mounts.is_empty() {
        host["Mounts"] = json!(mounts);
    }
    let mut body: ContainerCreateBody = serde_json::from_value(config)
        .map_err(|e| Error::failure(format!("cannot use the spec's Config: {e}")))?;
    body.host_config = Some(
        serde_json::from_value(host)
            .map_err(|e| Error::failure(format!("cannot use the spec's HostConfig: {e}")))?,
    );
    let network_mode = spec["HostConfig"]["NetworkMode"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    let short_id = &id[..id.len().min(12)];
    let mut networks: Vec<(String, EndpointSettings)> = spec["NetworkSettings"]["Networks"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(network, endpoint)| {
            let aliases: Vec<String> = strings(&endpoint["Aliases"])
                .into_iter()
                .filter(|a| a != short_id && *a != name)
                .collect();
            let settings = EndpointSettings {
                aliases: (!aliases.is_empty()).then_some(aliases),
                ipam_config: serde_json::from_value(endpoint["IPAMConfig"].clone())
                    .ok()
                    .flatten(),
                links: Some(strings(&endpoint["Links"])).filter(|l| !l.is_empty()),
                driver_opts: serde_json::from_value(endpoint["DriverOpts"].clone())
                    .ok()
                    .flatten(),
                ..EndpointSettings::default()
            };
            (network.clone(), settings)
        })
        .collect();
    networks.sort_by_key(|(network, _)| *network != network_mode);
    let user_defined = !matches!(
        network_mode.as_str(),
        "default" | "bridge" | "host" | "none"
    ) && !network_mode.starts_with("container:");
    let extra_networks = if user_defined && !networks.is_empty() {
        let primary = networks.remove(0);
        body.networking_config = Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([primary])),
        });
        networks
    } else {
        networks.retain(|(n, _)| n != "bridge" && *n != network_mode);
        networks
    };
    Ok(Blueprint {
        name,
        body,
        extra_networks,
    })
}

/// What a recreation did.
#[derive(Debug, serde::Serialize)]
pub struct Recreated {
    /// The container.
    pub name: String,
    /// The new container's id.
    pub id: String,
    /// The image it runs.
    pub image: String,
    /// Where the spec came from: `live`, a saved spec / backup path, or `compose` (it
    /// recreated a service of a project in compose mode).
    pub from: String,
    /// Whether it runs: a container that was stopped is replaced, not started.
    pub running: bool,
    /// What did not go as it should once the new container ran (the old one could not
    /// be removed): the recreation stands, the user is told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Why a replacement did not happen, and whether the old container is back as it was
/// (renamed back and, if it ran, running).
#[derive(Debug)]
pub struct NotReplaced {
    /// What went wrong, and what was done about it.
    pub error: Error,
    /// The old container is back as it was.
    pub old_back: bool,
}

impl From<NotReplaced> for Error {
    fn from(not: NotReplaced) -> Error {
        not.error
    }
}

/// Creates the container from `blueprint` and connects its extra networks; on failure
/// removes what it created.
async fn create(engine: &Engine, blueprint: &Blueprint) -> Result<String> {
    let options = CreateContainerOptionsBuilder::default()
        .name(&blueprint.name)
        .build();
    let created = engine
        .docker
        .create_container(Some(options), blueprint.body.clone())
        .await
        .map_err(|e| {
            Error::failure(format!(
                "cannot create {}: {}",
                blueprint.name,
                engine_message(&e)
            ))
        })?;
    for (network, endpoint) in &blueprint.extra_networks {
        let connected = engine
            .docker
            .connect_network(
                network,
                NetworkConnectRequest {
                    container: created.id.clone(),
                    endpoint_config: Some(endpoint.clone()),
                },
            )
            .await;
        if let Err(e) = connected {
            remove_new(engine, &created.id).await;
            return Err(Error::failure(format!(
                "cannot connect network {network}: {}",
                engine_message(&e)
            )));
        }
    }
    Ok(created.id)
}

/// Starts the new container `id` and checks that it runs, then passes `gate`; `cancel`
/// ends the wait (an interrupted check is a failed one).
async fn start_checked(
    engine: &Engine,
    id: &str,
    name: &str,
    patience: Patience,
    gate: impl AsyncFnOnce(&str) -> Result<()>,
    cancel: &Cancel,
) -> Result<()> {
    engine.docker.start_container(id, None).await.map_err(|e| {
        Error::failure(format!(
            "cannot start the new {name}: {}",
            engine_message(&e)
        ))
    })?;
    let checked = async {
        restart_check::check(engine, id, name, patience).await?;
        gate(id).await
    };
    cancel
        .unless_cancelled(&format!("checking the new {name}"), checked)
        .await
}

async fn remove_new(engine: &Engine, id: &str) {
    let options = RemoveContainerOptionsBuilder::default().force(true).build();
    let _ = engine.docker.remove_container(id, Some(options)).await;
}

/// Creates, starts and checks the container from `blueprint`; on failure or
/// cancellation removes it.
async fn create_and_start(
    engine: &Engine,
    blueprint: &Blueprint,
    patience: Patience,
    cancel: &Cancel,
) -> Result<String> {
    cancel.check(&format!("creating {}", blueprint.name))?;
    let id = create(engine, blueprint).await?;
    let started = start_checked(
        engine,
        &id,
        &blueprint.name,
        patience,
        async |_| Ok(()),
        cancel,
    )
    .await;
    if let Err(err) = started {
        remove_new(engine, &id).await;
        return Err(err);
    }
    Ok(id)
}

/// How a recreation waits: for the old container to stop, for the new one to run.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Seconds the old container gets to stop.
    pub stop_timeout: i32,
    /// What the new one must do.
    pub patience: Patience,
}

/// A container renamed aside to make room for its replacement; [`put_back`] undoes it.
#[derive(Debug, Clone)]
pub struct Aside {
    /// Its id.
    pub id: String,
    /// The name it had, which its replacement takes.
    pub name: String,
    /// The name it has now.
    pub aside_name: String,
    /// Whether it ran before (it is started again when put back).
    pub was_running: bool,
}

/// Renames the container `id` (`name`) aside.
pub async fn rename_aside(
    engine: &Engine,
    id: &str,
    name: &str,
    was_running: bool,
) -> Result<Aside> {
    let aside_name = format!("{name}-safeops-old-{}", std::process::id());
    let options = RenameContainerOptionsBuilder::default()
        .name(&aside_name)
        .build();
    engine
        .docker
        .rename_container(id, options)
        .await
        .map_err(|e| {
            Error::failure(format!(
                "cannot rename {name} aside: {}",
                engine_message(&e)
            ))
        })?;
    Ok(Aside {
        id: id.to_string(),
        name: name.to_string(),
        aside_name,
        was_running,
    })
}

/// Stops a container set aside (when it ran), giving it `timeout` seconds.
pub async fn stop_aside(engine: &Engine, aside: &Aside, timeout: i32) -> Result<()> {
    if !aside.was_running {
        return Ok(());
    }
    stop(
        engine,
        &aside.id,
        &format!("the old {}", aside.name),
        timeout,
    )
    .await
}

/// Stops the container `id` (`what`, for the error), giving it `timeout` seconds.
pub async fn stop(engine: &Engine, id: &str, what: &str, timeout: i32) -> Result<()> {
    let options = StopContainerOptionsBuilder::default().t(timeout).build();
    engine
        .docker
        .stop_container(id, Some(options))
        .await
        .map_err(|e| Error::failure(format!("cannot stop {what}: {}", engine_message(&e))))
}

/// Gives a container set aside its name back and starts it again if it ran; says what
/// happened, for the error that made it necessary: `Err` when it is not back as it was.
pub async fn put_back(engine: &Engine, aside: &Aside) -> std::result::Result<String, String> {
    let options = RenameContainerOptionsBuilder::default()
        .name(&aside.name)
        .build();
    if let Err(e) = engine.docker.rename_container(&aside.id, options).await {
        return Err(format!(
            "the old container is still there as {}: {}",
            aside.aside_name,
            engine_message(&e)
        ));
    }
    if !aside.was_running {
        return Ok(format!(
            "the old {} was put back and left stopped",
            aside.name
        ));
    }
    match engine.docker.start_container(&aside.id, None).await {
        Ok(()) => Ok(format!("the old {} was put back and restarted", aside.name)),
        Err(e) => Err(format!(
            "the old {} was put back but does not start again: {}",
            aside.name,
            engine_message(&e)
        )),
    }
}

/// [`put_back`], for the error that made it necessary.
async fn put_back_after(engine: &Engine, aside: &Aside, mut error: Error) -> NotReplaced {
    let (said, old_back) = match put_back(engine, aside).await {
        Ok(said) => (said, true),
        Err(said) => (said, false),
    };
    error.message = format!("{}\n{said}", error.message);
    NotReplaced { error, old_back }
}

/// Removes a container set aside, once its replacement runs (never its volumes).
pub async fn remove_aside(engine: &Engine, aside: &Aside) -> Result<()> {
    let options = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(false)
        .build();
    engine
        .docker
        .remove_container(&aside.id, Some(options))
        .await
        .map_err(|e| {
            Error::failure(format!(
                "the new {} runs, but the old one ({}) could not be removed: {}",
                aside.name,
                aside.aside_name,
                engine_message(&e)
            ))
        })
}

/// Without `new_image`, the reference the container of `spec` was created with when it
/// now names another image than the one it ran (`recreate NAME` after a pull or a
/// build): a change of image, as `--image` is, so that the new image's defaults (`ENV`,
/// `CMD`, ...) replace the old one's instead of being taken for the operator's.
async fn moved_reference(engine: &Engine, spec: &Value, new_image: Option<&str>) -> Option<String> {
    if new_image.is_some() {
        return None;
    }
    let reference = spec["Config"]["Image"].as_str()?;
    let ran = spec["Image"].as_str()?;
    let now = engine.docker.inspect_image(reference).await.ok()?.id?;
    (now != ran && reference != ran).then(|| reference.to_string())
}

/// What a replacement does when its new container fails to start or to pass its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Remove the new container and put the old one back.
    PutBack,
    /// Keep the new container as it is, for inspection, and remove the old one (its spec
    /// stays in the history, so `rollback` brings it back).
    KeepNew,
}

/// Recreates the existing container `spec` describes, on `new_image` or its own image.
/// `cancel` puts the old container back (see [`replace_checked`]).
pub async fn replace(
    engine: &Engine,
    spec: &Value,
    new_image: Option<&str>,
    timing: Timing,
    cancel: &Cancel,
) -> Result<Recreated> {
    Ok(replace_checked(
        engine,
        spec,
        new_image,
        timing,
        async |_| Ok(()),
        OnFailure::PutBack,
        cancel,
    )
    .await?)
}

/// [`replace`], where the new container must also pass `gate` (given its id) before
/// the old one is removed. `cancel` puts the old container back whatever `on_failure`
/// says: it ends the checks, and once the old container is stopping, the new one is
/// not started (a stop is let finish: the container would be left half-stopped).
pub async fn replace_checked(
    engine: &Engine,
    spec: &Value,
    new_image: Option<&str>,
    timing: Timing,
    gate: impl AsyncFnOnce(&str) -> Result<()>,
    on_failure: OnFailure,
    cancel: &Cancel,
) -> std::result::Result<Recreated, NotReplaced> {
    let not_replaced = |error: Error| NotReplaced {
        error,
        old_back: true,
    };
    let old_image = spec["Image"].as_str().unwrap_or_default().to_string();
    let moved = moved_reference(engine, spec, new_image).await;
    let new_image = new_image.or(moved.as_deref());
    let defaults = match new_image {
        Some(_) => image_defaults(engine, &old_image).await,
        None => ImageDefaults::default(),
    };
    let blueprint = blueprint(spec, new_image, &defaults).map_err(not_replaced)?;
    refuse_unreplaceable(engine, spec, &blueprint.name)
        .await
        .map_err(not_replaced)?;
    let old_id = spec["Id"].as_str().unwrap_or_default();
    let was_running = spec["State"]["Running"].as_bool().unwrap_or(false);
    // Nothing is touched after a cancellation that came while this was prepared.
    let replacing = format!("replacing {}", blueprint.name);
    cancel.check(&replacing).map_err(not_replaced)?;
    let aside = rename_aside(engine, old_id, &blueprint.name, was_running)
        .await
        .map_err(not_replaced)?;
    let created = async {
        stop_aside(engine, &aside, timing.stop_timeout).await?;
        cancel.check(&replacing)?;
        create(engine, &blueprint).await
    }
    .await;
    let id = match created {
        Ok(id) => id,
        Err(err) => return Err(put_back_after(engine, &aside, err).await),
    };
    if let Err(err) = cancel.check(&replacing) {
        remove_new(engine, &id).await;
        return Err(put_back_after(engine, &aside, err).await);
    }
    // Nothing runs for the checks to judge.
    if !starts_again(spec) {
        return Ok(Recreated {
            name: blueprint.name.clone(),
            id,
            image: new_image.unwrap_or(&old_image).to_string(),
            from: "live".into(),
            running: false,
            warning: remove_aside(engine, &aside).await.err().map(|e| e.message),
        });
    }
    match start_checked(engine, &id, &blueprint.name, timing.patience, gate, cancel).await {
        // The new container runs and passed: an old one that will not go is the user's
        // to remove, not a reason to undo the recreation.
        Ok(()) => Ok(Recreated {
            name: blueprint.name.clone(),
            id,
            image: new_image.unwrap_or(&old_image).to_string(),
            from: "live".into(),
            running: true,
            warning: remove_aside(engine, &aside).await.err().map(|e| e.message),
        }),
        Err(mut err) if on_failure == OnFailure::KeepNew && err.code != ExitCode::Interrupted => {
            let removed = match remove_aside(engine, &aside).await {
                Ok(()) => "the old container was removed".to_string(),
                Err(e) => e.message,
            };
            err.message = format!(
                "{}\nthe new {} was kept as it is for inspection; {removed}",
                err.message, blueprint.name
            );
            Err(NotReplaced {
                error: err,
                old_back: false,
            })
        }
        Err(err) => {
            remove_new(engine, &id).await;
            Err(put_back_after(engine, &aside, err).await)
        }
    }
}

/// Whether the replacement of the container of `spec` (an inspect document) is started:
/// when it ran. One that was stopped (a one-off job, a service kept for later) stays
/// so, since started a job would run again; unless the engine would start it anyway at
/// its next start (`--restart always`), which it does only for a container that was
/// started once.
pub fn starts_again(spec: &Value) -> bool {
    spec["State"]["Running"].as_bool() == Some(true)
        || spec["HostConfig"]["RestartPolicy"]["Name"] == "always"
}

/// Refuses (exit 2) to replace the container of `spec` (`name`), an inspect document,
/// when that cannot be done safely: started with `--rm`, or joined by running
/// containers (see [`refuse_joined`]). Callers replacing several containers ask first
/// for every one, so that a refusal changes nothing.
pub async fn refuse_unreplaceable(engine: &Engine, spec: &Value, name: &str) -> Result<()> {
    if spec["HostConfig"]["AutoRemove"].as_bool() == Some(true) {
        return Err(Error::usage(format!(
            "{name} was started with --rm: stopping it would make the engine delete it and \
             its anonymous volumes, with no way back"
        ))
        .hint("start it without --rm first (docker safeops export shows its settings)"));
    }
    refuse_joined(engine, spec["Id"].as_str().unwrap_or_default(), name).await
}

/// Refuses to replace container `id` (`name`) while running containers join its
/// network, pid or ipc namespace (`--network container:NAME`): the namespace goes with
/// the old container, which would leave them cut off, and unable to start again.
pub async fn refuse_joined(engine: &Engine, id: &str, name: &str) -> Result<()> {
    let containers = inventory::containers(engine).await?;
    let joins = inventory::namespace_joins(engine, &containers).await;
    let (running, stopped): (Vec<&inventory::Container>, Vec<_>) = containers
        .iter()
        .filter(|c| {
            joins
                .get(&c.id)
                .is_some_and(|parents| parents.iter().any(|p| p == id))
        })
        .partition(|c| c.runs());
    // One stopped (a debugging container left behind) loses nothing running.
    for joiner in stopped {
        crate::say!(
            "warning: {} (stopped) joins a namespace of {name}: it cannot start again once \
             {name} is replaced",
            joiner.name
        );
    }
    let joiners: Vec<&str> = running.iter().map(|c| c.name.as_str()).collect();
    if joiners.is_empty() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{name} cannot be replaced while {} join its namespaces (container:{name}): they \
         would lose its network with the old container, and could not start again",
        joiners.join(", ")
    ))
    .hint(format!(
        "remove them first and start them again with container:{name} afterwards, or run \
         them in one compose project (network_mode: service:...), which compose recreates \
         together"
    )))
}

/// Creates a container that no longer exists from a saved spec.
pub async fn bootstrap(
    engine: &Engine,
    spec: &Value,
    from: &str,
    new_image: Option<&str>,
    patience: Patience,
    cancel: &Cancel,
) -> Result<Recreated> {
    let old_image = spec["Config"]["Image"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let moved = moved_reference(engine, spec, new_image).await;
    let new_image = new_image.or(moved.as_deref());
    let defaults = match new_image {
        Some(_) => image_defaults(engine, spec["Image"].as_str().unwrap_or(&old_image)).await,
        None => ImageDefaults::default(),
    };
    let blueprint = blueprint(spec, new_image, &defaults)?;
    let id = create_and_start(engine, &blueprint, patience, cancel).await?;
    Ok(Recreated {
        name: blueprint.name,
        id,
        image: new_image.unwrap_or(&old_image).to_string(),
        from: from.to_string(),
        running: true,
        warning: None,
    })
}

/// How long the container of `spec` (an inspect document) gets to stop before it is
/// killed: `given` (`-t`), else its own stop timeout (`docker run --stop-timeout`,
/// compose's `stop_grace_period`), else Docker's 10 s.
pub fn stop_timeout(given: Option<i32>, spec: &serde_json::Value) -> i32 {
    let own = spec["Config"]["StopTimeout"]
        .as_i64()
        .and_then(|t| i32::try_from(t).ok());
    given.or(own).unwrap_or(10)
}

/// How long the container of `spec` (an inspect document), recreated, has to run and
/// be healthy, and then to stay up: a minute, or as long as its healthcheck lets it
/// take (a start period of two minutes, an interval of one).
pub fn patience(spec: &serde_json::Value) -> Patience {
    Patience::for_healthcheck(
        &spec["Config"]["Healthcheck"],
        Duration::from_secs(60),
        Duration::from_secs(2),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_container_stops_in_its_own_time_unless_told() {
        let own = serde_json::json!({"Config": {"StopTimeout": 120}});
        assert_eq!(stop_timeout(None, &own), 120);
        assert_eq!(stop_timeout(Some(5), &own), 5);
        assert_eq!(stop_timeout(None, &serde_json::json!({"Config": {}})), 10);
    }

    #[test]
    fn anonymous_volumes_of_mount_flags_are_attached_again_by_name() {
        let anonymous = "ab".repeat(32);
        let spec = json!({
            "Id": "0123456789abcdef", "Name": "/db",
            "Config": {"Image": "db:1"},
            "HostConfig": {"NetworkMode": "default",
                "Mounts": [{"Type": "volume", "Target": "/data/"}]},
            "Mounts": [{"Type": "volume", "Name": anonymous, "Destination": "/data"}],
        });
        let built = blueprint(&spec, None, &ImageDefaults::default()).unwrap();
        let host = serde_json::to_value(built.body.host_config).unwrap();
        let mounts = host["Mounts"].as_array().unwrap();
        assert_eq!(mounts.len(), 1, "{host}");
        assert_eq!(mounts[0]["Source"], anonymous.as_str(), "{host}");
    }

    #[test]
    fn what_the_old_image_set_gives_way_to_the_new_images_and_what_run_set_stays() {
        let check = json!({"Test": ["CMD", "curl", "-f", "http://localhost:80/"]});
        let spec = json!({
            "Id": "0123456789abcdef", "Name": "/web",
            "Config": {"Image": "web:1", "User": "node", "StopSignal": "SIGQUIT",
                "Healthcheck": check, "WorkingDir": "/app", "Cmd": ["serve"],
                "ExposedPorts": {"80/tcp": {}, "9090/tcp": {}},
                "Volumes": {"/cache": {}, "/extra": {}},
                "Env": ["PATH=/bin", "MODE=prod"], "Labels": {"v": "1", "team": "a"}},
            "HostConfig": {"NetworkMode": "default",
                "PortBindings": {"9090/tcp": [{"HostPort": "9090"}]}},
        });
        let old = ImageDefaults {
            env: vec!["PATH=/bin".into()],
            labels: HashMap::from([("v".into(), "1".into())]),
            cmd: Some(json!(["serve"])),
            working_dir: Some("/app".into()),
            user: Some("node".into()),
            healthcheck: Some(check.clone()),
            exposed_ports: vec!["80/tcp".into(), "9090/tcp".into()],
            stop_signal: Some("SIGQUIT".into()),
            volumes: vec!["/cache".into()],
            ..ImageDefaults::default()
        };
        let config = |blueprint: Blueprint| serde_json::to_value(blueprint.body).unwrap();
        let moved = config(blueprint(&spec, Some("web:2"), &old).unwrap());
        for gone in ["User", "StopSignal", "Healthcheck", "WorkingDir", "Cmd"] {
            assert!(moved[gone].is_null(), "{gone}: {moved}");
        }
        assert_eq!(moved["ExposedPorts"], json!({"9090/tcp": {}}));
        assert_eq!(moved["Volumes"], json!({"/extra": {}}));
        assert_eq!(moved["Env"], json!(["MODE=prod"]));
        assert_eq!(moved["Labels"], json!({"team": "a"}));
        // The same image: everything stays, whoever set it.
        let kept = config(blueprint(&spec, None, &old).unwrap());
        assert_eq!(kept["User"], "node");
        assert_eq!(kept["Healthcheck"], check);
        assert_eq!(kept["ExposedPorts"], json!({"80/tcp": {}, "9090/tcp": {}}));
        // What the operator set differs from the image's and stays on a new image.
        let own = ImageDefaults {
            user: Some("root".into()),
            healthcheck: Some(json!({"Test": ["NONE"]})),
            ..old
        };
        let moved = config(blueprint(&spec, Some("web:2"), &own).unwrap());
        assert_eq!(moved["User"], "node");
        assert_eq!(moved["Healthcheck"], check);
    }
}
