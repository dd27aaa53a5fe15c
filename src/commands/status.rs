//! `status [TARGET]`: targets, mode and why, containers, and volumes with protection,
//! size, users and last backup; as tables or `--format json`.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::join_all;
use serde::Serialize;

use crate::backup::entry::Fingerprint;
use crate::backup::store;
use crate::cli::args::{Format, StatusArgs};
use crate::engine::Engine;
use crate::engine::inventory::{self, Container, Volume};
use crate::error::Result;
use crate::guard::protect::{self, Policy, Rule, VolumeFacts};
use crate::storage::repository;
use crate::target::{Discovery, Mode, Target, VolumeRef};
use crate::ui::table::{human_bytes, printable, render_or_none};

/// How long the table may wait for volume sizes before telling the user it is waiting.
const SIZE_PATIENCE: Duration = Duration::from_millis(1500);

/// The whole report.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    /// The engine it describes.
    pub engine: EngineReport,
    /// One entry per target.
    pub targets: Vec<TargetReport>,
    /// Why the backup location was not read (its `last_backup`s are then unknown, not
    /// absent), when it was not.
    pub last_backups_unread: Option<String>,
}

/// The engine and how it was chosen.
#[derive(Debug, Serialize)]
pub struct EngineReport {
    /// Engine address.
    pub host: String,
    /// Docker context name.
    pub context: String,
    /// Engine version.
    pub version: String,
    /// Engine API version.
    pub api_version: String,
}

/// One target.
#[derive(Debug, Serialize)]
pub struct TargetReport {
    /// `project` or `container`.
    pub kind: &'static str,
    /// Project or container name.
    pub name: String,
    /// `compose` or `run`.
    pub mode: Mode,
    /// Why run mode, when it is.
    pub mode_reason: Option<String>,
    /// The compose CLI used in compose mode, e.g. `docker compose 2.40.3`.
    pub compose_cli: Option<String>,
    /// The compose files, when known.
    pub config_files: Vec<String>,
    /// Containers.
    pub containers: Vec<ContainerReport>,
    /// Volumes the target uses or declares.
    pub volumes: Vec<VolumeReport>,
}

/// One container.
#[derive(Debug, Serialize)]
pub struct ContainerReport {
    /// Name.
    pub name: String,
    /// Compose service, when it has one.
    pub service: Option<String>,
    /// Image reference.
    pub image: String,
    /// `running`, `exited`, ...
    pub state: String,
    /// `healthy`, `unhealthy`, `starting`, or none without a healthcheck.
    pub health: Option<String>,
    /// How often the engine restarted it.
    pub restart_count: Option<i64>,
    /// Images it ran before, newest first (from its saved specs): `rollback` targets.
    pub rollback_points: Vec<String>,
}

/// One volume.
#[derive(Debug, Serialize)]
pub struct VolumeReport {
    /// Engine name.
    pub name: String,
    /// Its key in the compose file, when declared.
    pub declared_as: Option<String>,
    /// Driver, when the volume exists.
    pub driver: Option<String>,
    /// Whether the volume exists on the engine.
    pub exists: bool,
    /// Declared `external: true`.
    pub external: bool,
    /// An anonymous volume.
    pub anonymous: bool,
    /// Size in bytes, when the engine reported it.
    pub size_bytes: Option<u64>,
    /// Containers that mount it.
    pub used_by: Vec<String>,
    /// Protected against destructive verbs.
    pub protected: bool,
    /// The rule that decided.
    pub protection_rule: Option<Rule>,
    /// Why, for people.
    pub protection_reason: String,
    /// When it was last backed up (RFC 3339), if ever.
    pub last_backup: Option<String>,
    /// How many bytes of files it held then.
    pub last_backup_bytes: Option<u64>,
    /// Set when it now holds far less than at its last backup: the "looks healthy but
    /// the data is gone" case (R-GUARD-5).
    pub warning: Option<String>,
}

/// Each volume's last backup where backups are: the plain backups in a directory, or
/// the snapshots of a repository.
async fn last_backups(
    args: &StatusArgs,
    engine: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(HashMap<String, (String, Fingerprint)>, Option<String>)> {
    let root = store::backup_root(args.location.to.as_deref(), env)?;
    Ok(super::last_backups_or_note(&root, engine, || {
        repository::password(args.repository.password_file.as_deref(), false)
    })
    .await)
}

/// Runs `status`.
pub async fn run(discovery: &Discovery<'_>, args: &StatusArgs) -> Result<()> {
    let engine = discovery.engine;
    let sizes_task = (!args.no_size).then(|| {
        let engine = engine.clone();
        tokio::spawn(async move { inventory::volume_sizes(&engine).await })
    });
    let targets = discovery.targets(args.target.as_deref()).await?;
    let single = targets.len() == 1;
    let all_containers = inventory::containers(engine).await?;
    let volumes = inventory::volumes(engine).await?;
    let env = |n: &str| std::env::var(n).ok();
    let policy = Policy::load_for(&Policy::default_path(&env), &engine.endpoint.host)?;
    let (last_backups, last_backups_unread) =
        last_backups(args, &engine.endpoint.host, &env).await?;
    let sizes = match sizes_task {
        None => None,
        Some(mut task) => {
            let sizes = match tokio::time::timeout(SIZE_PATIENCE, &mut task).await {
                Ok(done) => done,
                Err(_) => {
                    crate::say!(
                        "note: waiting for the engine to compute volume sizes (docker system df); \
                         --no-size skips them"
                    );
                    task.await
                }
            };
            match sizes {
                Ok(Ok(sizes)) => Some(sizes),
                Ok(Err(err)) => {
                    tracing::warn!("volume sizes unavailable: {err}");
                    None
                }
                Err(err) => {
                    tracing::warn!("volume sizes unavailable: {err}");
                    None
                }
            }
        }
    };
    let mut reports = Vec::new();
    for target in &targets {
        if single
            && let Target::Project(p) = target
            && let Some(reason) = &p.mode_reason
        {
            crate::say!("note: running in run mode: {reason}");
        }
        let facts = Facts {
            all_containers: &all_containers,
            volumes: &volumes,
            sizes: sizes.as_ref(),
            policy: &policy,
            last_backups: &last_backups,
        };
        reports.push(target_report(engine, target, &facts).await?);
    }
    let report = StatusReport {
        engine: EngineReport {
            host: engine.endpoint.host.clone(),
            context: engine.endpoint.context.clone(),
            version: engine.version.clone(),
            api_version: engine.api_version.clone(),
        },
        targets: reports,
        last_backups_unread,
    };
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&report).expect("report serializes") + "\n",
        Format::Table => render_report(&report),
    };
    super::print(&text)
}

struct Facts<'a> {
    all_containers: &'a [Container],
    volumes: &'a HashMap<String, Volume>,
    sizes: Option<&'a HashMap<String, u64>>,
    policy: &'a Policy,
    last_backups: &'a HashMap<String, (String, Fingerprint)>,
}

async fn target_report(
    engine: &Engine,
    target: &Target,
    facts: &Facts<'_>,
) -> Result<TargetReport> {
    let names = target.volume_refs(facts.volumes);
    let (kind, mode, mode_reason, compose_cli, config_files, project, compose_protect) =
        match target {
            Target::Project(p) => {
                let cli = p
                    .cli
                    .as_ref()
                    .filter(|_| p.mode == Mode::Compose)
                    .map(|c| format!("{} {}", c.display_name(), c.version));
                let files = p
                    .files
                    .iter()
                    .flat_map(|f| &f.files)
                    .map(|f| f.display().to_string())
                    .collect();
                (
                    "project",
                    p.mode,
                    p.mode_reason.clone(),
                    cli,
                    files,
                    Some(p.name.as_str()),
                    p.compose_protect.as_slice(),
                )
            }
            Target::Container(_) => (
                "container",
                Mode::Run,
                Some(
                    "standalone container (started with docker run, no compose labels)".to_string(),
                ),
                None,
                Vec::new(),
                None,
                &[][..],
            ),
        };
    let containers = target.containers();
    let inspected = join_all(
        containers
            .iter()
            .map(|c| engine.docker.inspect_container(&c.id, None)),
    )
    .await;
    let containers = containers
        .iter()
        .zip(inspected)
        .map(|(c, inspect)| {
            let inspect = inspect.ok();
            ContainerReport {
                name: c.name.clone(),
                service: c.service().map(str::to_string),
                image: c.image.clone(),
                state: c.state.clone(),
                health: inspect
                    .as_ref()
                    .and_then(|i| i.state.as_ref()?.health.as_ref()?.status)
                    .map(|s| s.to_string())
                    .filter(|s| !s.is_empty() && s != "none"),
                rollback_points: crate::runmode::specs::rollback_points(
                    &c.name,
                    inspect
                        .as_ref()
                        .and_then(|i| i.image.as_deref())
                        .unwrap_or_default(),
                )
                .into_iter()
                .map(|(reference, _)| reference)
                .collect(),
                restart_count: inspect.and_then(|i| i.restart_count),
            }
        })
        .collect();
    let volumes = names
        .into_iter()
        .map(
            |(
                name,
                VolumeRef {
                    declared_as,
                    external,
                },
            )| {
                let volume = facts.volumes.get(&name);
                let size_bytes = facts.sizes.and_then(|s| s.get(&name).copied());
                let protection = protect::evaluate(
                    &VolumeFacts {
                        name: &name,
                        declared_as: declared_as.as_deref(),
                        external,
                        exists: volume.is_some(),
                        labels: volume.map(|v| &v.labels),
                        size_bytes,
                        project,
                        compose_protect,
                        labels_anonymous: engine.labels_anonymous_volumes(),
                    },
                    facts.policy,
                );
                let used_by = facts
                    .all_containers
                    .iter()
                    .filter(|c| c.volume_mounts.iter().any(|(v, _)| *v == name))
                    .map(|c| c.name.clone())
                    .collect();
                let last = facts.last_backups.get(&name);
                let shrunk = store::shrink_warning(size_bytes, last);
                VolumeReport {
                    anonymous: inventory::is_anonymous_name(&name) && declared_as.is_none(),
                    driver: volume.map(|v| v.driver.clone()),
                    exists: volume.is_some(),
                    name,
                    declared_as,
                    external,
                    size_bytes,
                    used_by,
                    protected: protection.protected,
                    protection_rule: protection.rule,
                    protection_reason: protection.reason,
                    last_backup: last.map(|(created, _)| created.clone()),
                    last_backup_bytes: last.map(|(_, fp)| fp.total_bytes),
                    warning: shrunk,
                }
            },
        )
        .collect();
    Ok(TargetReport {
        kind,
        name: target.name().to_string(),
        mode,
        mode_reason,
        compose_cli,
        config_files,
        containers,
        volumes,
    })
}

fn render_report(report: &StatusReport) -> String {
    let mut out = String::new();
    let style = crate::ui::style::Style::stdout();
    let bold = |s: &str| style.bold(s);
    if report.targets.is_empty() {
        out.push_str("no compose projects or containers on this engine\n");
    }
    for (i, target) in report.targets.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mode = match (&target.mode, &target.compose_cli, &target.mode_reason) {
            (Mode::Compose, Some(cli), _) => format!("compose mode ({cli})"),
            (_, _, Some(reason)) => format!("run mode: {reason}"),
            (Mode::Compose, None, None) => "compose mode".to_string(),
            (Mode::Run, _, None) => "run mode".to_string(),
        };
        let heading = format!("{} {}", target.kind.to_uppercase(), target.name);
        out.push_str(&format!(
            "{}  {}\n",
            bold(&printable(&heading)),
            printable(&mode)
        ));
        if !target.config_files.is_empty() {
            let files = target.config_files.join(", ");
            out.push_str(&format!("  files: {}\n", printable(&files)));
        }
        if target.kind == "project" {
            let rows: Vec<Vec<String>> = target
                .containers
                .iter()
                .map(|c| {
                    vec![
                        c.name.clone(),
                        c.service.clone().unwrap_or_else(|| "-".into()),
                        c.state.clone(),
                        c.health.clone().unwrap_or_else(|| "-".into()),
                        c.restart_count.map_or("-".into(), |n| n.to_string()),
                        c.image.clone(),
                    ]
                })
                .collect();
            out.push_str(&render_or_none(
                "containers",
                &[
                    "CONTAINER",
                    "SERVICE",
                    "STATE",
                    "HEALTH",
                    "RESTARTS",
                    "IMAGE",
                ],
                &rows,
            ));
        } else if let Some(c) = target.containers.first() {
            out.push_str(&format!(
                "  state: {}  health: {}  restarts: {}  image: {}\n",
                c.state,
                c.health.as_deref().unwrap_or("-"),
                c.restart_count.map_or("-".into(), |n| n.to_string()),
                printable(&c.image)
            ));
            if !c.rollback_points.is_empty() {
                out.push_str(&format!(
                    "  rollback points: {}\n",
                    c.rollback_points.join(", ")
                ));
            }
        }
        let rows: Vec<Vec<String>> = target
            .volumes
            .iter()
            .map(|v| {
                let mut name = v.name.clone();
                if v.external {
                    name.push_str(" (external)");
                }
                if !v.exists {
                    name.push_str(" (not created)");
                }
                vec![
                    name,
                    v.driver.clone().unwrap_or_else(|| "-".into()),
                    v.size_bytes.map_or("?".into(), human_bytes),
                    if v.used_by.is_empty() {
                        "-".into()
                    } else {
                        v.used_by.join(",")
                    },
                    if v.protected {
                        "yes".into()
                    } else {
                        "no".into()
                    },
                    v.protection_reason.clone(),
                    v.last_backup.clone().unwrap_or_else(|| "never".into()),
                ]
            })
            .collect();
        out.push_str(&render_or_none(
            "volumes",
            &[
                "VOLUME",
                "DRIVER",
                "SIZE",
                "USED BY",
                "PROTECTED",
                "WHY",
                "LAST BACKUP",
            ],
            &rows,
        ));
        for volume in target.volumes.iter() {
            if let Some(warning) = &volume.warning {
                out.push_str(&format!(
                    "  warning: volume {} {warning}\n",
                    printable(&volume.name)
                ));
            }
        }
    }
    out
}
