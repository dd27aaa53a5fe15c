//! What the engine has: containers (with their mounts and compose labels) and volumes
//! (with sizes, which the engine may take a while to compute).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bollard::query_parameters::{
    DataUsageOptionsBuilder, ListContainersOptionsBuilder, ListVolumesOptions,
};

use crate::engine::Engine;
use crate::error::Result;

/// Compose's project label.
pub const LABEL_PROJECT: &str = "com.docker.compose.project";
/// Compose's service label.
pub const LABEL_SERVICE: &str = "com.docker.compose.service";
/// Compose's config files label (comma-separated absolute paths).
pub const LABEL_CONFIG_FILES: &str = "com.docker.compose.project.config_files";
/// Compose's working directory label.
pub const LABEL_WORKING_DIR: &str = "com.docker.compose.project.working_dir";
/// Compose v2's env files label (comma-separated).
pub const LABEL_ENV_FILES: &str = "com.docker.compose.project.environment_file";
/// The services a compose service depends on (`db:service_started:false,...`).
pub const LABEL_DEPENDS_ON: &str = "com.docker.compose.depends_on";
/// The compose version that created a container.
pub const LABEL_COMPOSE_VERSION: &str = "com.docker.compose.version";
/// Compose's label on the containers of `compose run` (`True`).
pub const LABEL_ONE_OFF: &str = "com.docker.compose.oneoff";
/// The label numbering a compose service's containers (replicas), from 1.
pub const LABEL_NUMBER: &str = "com.docker.compose.container-number";
/// The label on everything a restore drill creates (its copies of containers); its
/// value is the drill's id.
pub const LABEL_DRILL: &str = "io.safeops.drill";

/// A container as listed by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// Full id.
    pub id: String,
    /// Name without the leading slash.
    pub name: String,
    /// The image reference it was created from.
    pub image: String,
    /// `running`, `exited`, ...
    pub state: String,
    /// The engine's human status, e.g. `Up 3 minutes (healthy)`.
    pub status: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Volume mounts: (volume name, destination).
    pub volume_mounts: Vec<(String, String)>,
}

impl Container {
    /// Whether safeops made it for its own work (a drill's copy, a helper reading a
    /// volume): no target of the operator's.
    pub fn made_by_safeops(&self) -> bool {
        self.labels.contains_key(LABEL_DRILL)
            || self
                .labels
                .contains_key(super::volume_access::LABEL_HELPER_PID)
    }

    /// The compose project it belongs to, by label.
    pub fn project(&self) -> Option<&str> {
        self.labels.get(LABEL_PROJECT).map(String::as_str)
    }

    /// Whether it runs, or waits between two runs of its restart policy: the engine
    /// starts it again by itself (and counts it as running: `docker stop` ends the
    /// wait).
    pub fn runs(&self) -> bool {
        self.state == "running" || self.state == "restarting"
    }

    /// The compose services it depends on, by label.
    pub fn depends_on(&self) -> BTreeSet<String> {
        self.labels
            .get(LABEL_DEPENDS_ON)
            .map(|deps| {
                deps.split(',')
                    .filter_map(|d| d.split(':').next())
                    .filter(|d| !d.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The compose service it runs, by label.
    pub fn service(&self) -> Option<&str> {
        self.labels.get(LABEL_SERVICE).map(String::as_str)
    }

    /// Whether it is one of the containers of compose service `service` (not a one-off
    /// of `compose run`, which keeps the image it was run with).
    pub fn runs_service(&self, service: &str) -> bool {
        self.service() == Some(service)
            && !self
                .labels
                .get(LABEL_ONE_OFF)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// The container called `name`, or whose id starts with `name` (12 characters at least,
/// like the short ids the Docker CLI prints).
pub fn find_container<'a>(containers: &'a [Container], name: &str) -> Option<&'a Container> {
    containers
        .iter()
        .find(|c| c.name == name || (name.len() >= 12 && c.id.starts_with(name)))
}

/// A volume as listed by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// Name.
    pub name: String,
    /// Driver.
    pub driver: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
}

/// Every container, running or not.
pub async fn containers(engine: &Engine) -> Result<Vec<Container>> {
    let options = ListContainersOptionsBuilder::default().all(true).build();
    let list = engine.docker.list_containers(Some(options)).await?;
    let mut out: Vec<Container> = list
        .into_iter()
        .map(|c| {
            let name = c
                .names
                .unwrap_or_default()
                .into_iter()
                .next()
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string();
            let volume_mounts = c
                .mounts
                .unwrap_or_default()
                .into_iter()
                .filter(|m| m.typ.as_deref() == Some("volume"))
                .filter_map(|m| Some((m.name?, m.destination.unwrap_or_default())))
                .collect();
            Container {
                id: c.id.unwrap_or_default(),
                name,
                image: c.image.unwrap_or_default(),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                status: c.status.unwrap_or_default(),
                labels: c.labels.unwrap_or_default().into_iter().collect(),
                volume_mounts,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// For each container (by id), the containers among `containers` whose network, pid or
/// ipc namespace it joins (`--network container:X`, `--pid container:X`): those must
/// run before it starts, or its start fails.
pub async fn namespace_joins(
    engine: &Engine,
    containers: &[Container],
) -> HashMap<String, Vec<String>> {
    let mut joins = HashMap::new();
    for c in containers {
        let Ok(inspect) = engine.docker.inspect_container(&c.id, None).await else {
            continue;
        };
        let host = inspect.host_config.unwrap_or_default();
        let modes = [
            host.network_mode,
            host.pid_mode,
            host.ipc_mode.map(|m| m.to_string()),
        ];
        let parents: Vec<String> = modes
            .into_iter()
            .flatten()
            .filter_map(|mode| {
                let other = mode.strip_prefix("container:")?.to_string();
                containers
                    .iter()
                    .find(|p| p.id.starts_with(&other) || p.name == other)
                    .map(|p| p.id.clone())
            })
            .filter(|p| *p != c.id)
            .collect();
        if !parents.is_empty() {
            joins.insert(c.id.clone(), parents);
        }
    }
    joins
}

/// The named volumes a container's inspect document, or a spec saved from one, mounts.
pub fn volumes_in_spec(spec: &serde_json::Value) -> impl Iterator<Item = &str> {
    spec["Mounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|mount| mount["Type"] == "volume")
        .filter_map(|mount| mount["Name"].as_str())
}

/// Every volume, by name.
pub async fn volumes(engine: &Engine) -> Result<HashMap<String, Volume>> {
    let list = engine
        .docker
        .list_volumes(None::<ListVolumesOptions>)
        .await?;
    Ok(list
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            let volume = Volume {
                name: v.name.clone(),
                driver: v.driver,
                labels: v.labels.into_iter().collect(),
            };
            (v.name, volume)
        })
        .collect())
}

/// How long to keep asking while another disk usage computation runs on the engine.
const DF_PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// Volume sizes in bytes, from `GET /system/df?type=volume` (slow on big hosts).
/// Volumes whose size the engine does not know are absent. The engine computes one disk usage at a time and answers
/// 500 "already running" to a second one (another safeops, a `docker system df`): then
/// this waits its turn rather than failing.
pub async fn volume_sizes(engine: &Engine) -> Result<HashMap<String, u64>> {
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(100);
    loop {
        match volume_sizes_once(engine).await {
            Err(err)
                if err.message.contains("already running") && started.elapsed() < DF_PATIENCE =>
            {
                tracing::debug!("disk usage busy on the engine; asking again in {pause:?}");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(2));
            }
            other => return other,
        }
    }
}

async fn volume_sizes_once(engine: &Engine) -> Result<HashMap<String, u64>> {
    // API 1.52 moved the list from `Volumes` to `VolumeUsage.Items`; bollard's types
    // only know the new shape, so older engines are read untyped.
    let items: Vec<serde_json::Value> = if engine.api() >= (1, 52) {
        let options = DataUsageOptionsBuilder::default()
            ._type(vec!["volume".into()])
            .build();
        let df = engine.docker.df(Some(options)).await?;
        df.volume_usage.and_then(|u| u.items).unwrap_or_default()
    } else {
        match engine
            .get_raw_json("/system/df?type=volume")
            .await?
            .get("Volumes")
        {
            Some(serde_json::Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        }
    };
    Ok(items
        .iter()
        .filter_map(|v| {
            let name = v.get("Name")?.as_str()?.to_string();
            let size = v.get("UsageData")?.get("Size")?.as_i64()?;
            u64::try_from(size).ok().map(|size| (name, size))
        })
        .collect())
}

/// The label Docker 23 and later (API 1.42) put on the anonymous volumes they create.
pub const LABEL_ANONYMOUS: &str = "com.docker.volume.anonymous";

/// Whether the volume `name` with `labels` is anonymous: on an engine that labels them
/// (`engine_labels_them`, API 1.42, Docker 23) the label says so, and a hex-named
/// volume from before the upgrade is a named one to it; on an older engine the name.
pub fn is_anonymous(
    name: &str,
    labels: Option<&BTreeMap<String, String>>,
    engine_labels_them: bool,
) -> bool {
    match engine_labels_them {
        true => labels.is_some_and(|l| l.contains_key(LABEL_ANONYMOUS)),
        false => is_anonymous_name(name),
    }
}

/// True for the 64-hex-digit names the engine gives anonymous volumes.
pub fn is_anonymous_name(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}
