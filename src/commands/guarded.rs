//! The step every destructive verb shares once it has its plan: when protected volumes
//! would be destroyed, show what would be lost, ask for confirmation, and take a safety
//! backup of exactly those volumes; refusals are written to the audit log.

use std::path::PathBuf;

use serde_json::json;

use crate::backup::archive;
use crate::backup::create::{self, BackupOptions, Subject};
use crate::backup::into_repository::RepositoryTarget;
use crate::backup::{lock, store};
use crate::cancel::Cancel;
use crate::cli::args::{Format, GuardFlags};
use crate::engine::Engine;
use crate::engine::inventory::{self, Container, Volume};
use crate::error::{Error, Result};
use crate::guard::audit;
use crate::guard::plan::{Plan, PlanFacts};
use crate::guard::protect::Policy;
use crate::storage::location::Location;
use crate::storage::repository;
use crate::target::VolumeRef;
use crate::ui::confirm::{self, Confirmation};

/// What a verb needs to guard its plan.
pub struct Guard<'a> {
    /// The verb as the user typed it, e.g. `down -v`.
    pub verb: &'a str,
    /// What the operator must type (project or volume name).
    pub expected: &'a str,
    /// `--confirm`.
    pub given: Option<&'a str>,
    /// The command to repeat with `--confirm`.
    pub command: String,
    /// `--no-backup`.
    pub no_backup: bool,
    /// What to back up: its `volumes` are replaced by the protected ones at risk.
    pub subject: Subject,
    /// Where the safety backup goes: a plain directory or a repository.
    pub backup_root: PathBuf,
    /// `--password-file`, for a repository.
    pub password_file: Option<PathBuf>,
    /// Seconds containers get to stop for the safety backup.
    pub stop_timeout: i32,
    /// How long to wait for another operation on the volumes at risk.
    pub lock_wait: Option<std::time::Duration>,
    /// The verb removes the containers that use the volumes (`down`, `rm`): the safety
    /// backup leaves them stopped instead of starting them in between.
    pub removes_containers: bool,
}

/// How the destruction was allowed.
#[derive(Debug, Default)]
pub struct Allowed {
    /// How the operator confirmed, when confirmation was needed.
    pub confirmation: Option<Confirmation>,
    /// The safety backup, when one was taken.
    pub safety_backup: Option<PathBuf>,
    /// The locks on the volumes it removes or whose containers it removes (see
    /// [`Plan::volumes_touched`]), held until the destruction is done.
    pub locks: Option<lock::Held>,
    /// Containers the safety backup left stopped for the verb to remove.
    pub left_stopped: Option<create::LeftStopped>,
}

impl Allowed {
    /// The destructive step ended: settles what the safety backup left stopped,
    /// starting again whatever still exists.
    pub async fn finish(&mut self, engine: &Engine) -> Result<()> {
        if let Some(left) = self.left_stopped.take() {
            let started = left.finish(engine).await?;
            if !started.is_empty() {
                crate::say!("started again: {}", started.join(", "));
            }
        }
        Ok(())
    }
}

/// Locks the volumes `plan` touches (exit 5 when another operation holds one, unless
/// the guard waits), then confirms and backs up the protected volumes it would remove,
/// when there are any. Errors (exit 3) when the operator did not confirm.
pub async fn allow(
    engine: &Engine,
    plan: &Plan,
    guard: Guard<'_>,
    cancel: &Cancel,
) -> Result<Allowed> {
    let at_risk: Vec<String> = plan
        .protected_removals()
        .iter()
        .map(|v| v.name.clone())
        .collect();
    let keys: Vec<lock::Key> = plan
        .volumes_touched()
        .into_iter()
        .map(|v| lock::Key::Volume(v.to_string()))
        .collect();
    let lock = async || {
        crate::backup::journal::lock(engine, &keys, guard.verb, guard.lock_wait, cancel).await
    };
    if at_risk.is_empty() {
        return Ok(Allowed {
            locks: Some(lock().await?),
            ..Allowed::default()
        });
    }
    crate::ui::stderr(format_args!("{}", plan.render()));
    crate::say!(
        "{} would destroy protected volume(s): {}",
        guard.verb,
        at_risk.join(", ")
    );
    if guard.no_backup {
        crate::say!("--no-backup: NO safety backup will be taken; the data will be gone for good");
    }
    let confirmation =
        match confirm::confirm(guard.expected, guard.given, &guard.command, cancel).await {
            Ok(how) => how,
            Err(err) => {
                let refused: Result<Allowed> = Err(err);
                audit::record(
                    guard.verb,
                    guard.expected,
                    audit::outcome_of(&refused),
                    json!({"plan": plan}),
                );
                return refused;
            }
        };
    let mut allowed = Allowed {
        confirmation: Some(confirmation),
        safety_backup: None,
        locks: Some(lock().await?),
        left_stopped: None,
    };
    if guard.no_backup {
        return Ok(allowed);
    }
    let (root, repositories) = safety_backup_location(&guard)?;
    let mut subject = guard.subject;
    subject.volumes = at_risk
        .iter()
        .map(|v| (v.clone(), VolumeRef::default()))
        .collect();
    let options = BackupOptions {
        root,
        images: false,
        quiesce: true,
        db_dump: false,
        retention: Default::default(),
        purpose: format!("before {}", guard.verb),
        stop_timeout: guard.stop_timeout,
        level: archive::DEFAULT_LEVEL,
        progress: Default::default(),
        progress_total: Default::default(),
        lock_wait: guard.lock_wait,
        leave_stopped: guard.removes_containers,
        repositories,
    };
    let outcome = create::create(engine, &subject, &options, cancel)
        .await
        .map_err(|mut err| {
            err.message = format!(
                "the safety backup failed, so nothing was destroyed: {}",
                err.message
            );
            err
        })?;
    audit::record(
        "backup",
        &subject.name,
        "ok".into(),
        json!({
            "purpose": options.purpose,
            "path": outcome.path.display().to_string(),
            "volumes": at_risk,
        }),
    );
    let undo = match outcome.snapshots.first() {
        Some(snapshot) => format!(
            "docker safeops restore {} --to {}",
            &snapshot.id[..snapshot.id.len().min(8)],
            snapshot.location
        ),
        None => format!("docker safeops restore {}", outcome.path.display()),
    };
    crate::say!(
        "safety backup of {}: {}\n  undo with: {undo}",
        at_risk.join(", "),
        outcome.path.display(),
    );
    allowed.safety_backup = Some(outcome.path);
    allowed.left_stopped = outcome.left_stopped;
    // Ctrl-C while the safety backup was being published came too late to stop the
    // backup, not the destruction: nothing goes, and what it left stopped starts again.
    if let Err(err) = cancel.check("taking the safety backup; nothing was destroyed") {
        allowed.finish(engine).await?;
        return Err(err);
    }
    Ok(allowed)
}

/// Where a safety backup goes: the plain directory, or the repository with its
/// password (from `--password-file`, `SAFEOPS_REPOSITORY_PASSWORD_FILE` or a prompt).
fn safety_backup_location(guard: &Guard<'_>) -> Result<(Option<PathBuf>, Vec<RepositoryTarget>)> {
    let failed = |mut err: Error| {
        err.message = format!(
            "the safety backup failed, so nothing was destroyed: {}",
            err.message
        );
        err
    };
    match Location::parse(&guard.backup_root.to_string_lossy()) {
        Ok(Location::Plain(_)) => Ok((Some(guard.backup_root.clone()), Vec::new())),
        Ok(Location::Repository(location)) => {
            let password =
                repository::password(guard.password_file.as_deref(), false).map_err(failed)?;
            Ok((None, vec![RepositoryTarget { location, password }]))
        }
        Err(bad) => Err(failed(Error::usage(bad.to_string()))),
    }
}

/// What the engine holds, for planning.
pub struct Facts {
    /// Every container.
    pub containers: Vec<Container>,
    /// Every volume.
    pub volumes: std::collections::HashMap<String, Volume>,
    /// Volume sizes, when read and known.
    pub sizes: Option<std::collections::HashMap<String, u64>>,
    /// The protection policy.
    pub policy: Policy,
    /// Last backup per volume.
    pub last_backups: std::collections::HashMap<String, String>,
    /// Where backups go, as the guard flags say: a plain directory or a repository.
    pub backup_root: PathBuf,
    /// The engine labels its anonymous volumes (see [`PlanFacts::labels_anonymous`]).
    pub labels_anonymous: bool,
}

impl Facts {
    /// Reads them, with the last backups where `flags` say backups go. Volume sizes, and
    /// the snapshots of a repository, only when the verb `destroys_volumes` (the engine
    /// may take a while, and a repository is opened with its password).
    pub async fn read(
        engine: &Engine,
        destroys_volumes: bool,
        flags: &GuardFlags,
    ) -> Result<Facts> {
        let env = |n: &str| std::env::var(n).ok();
        let backup_root = store::backup_root(flags.location.to.as_deref(), &env)?;
        Ok(Facts {
            containers: inventory::containers(engine).await?,
            volumes: inventory::volumes(engine).await?,
            sizes: if destroys_volumes {
                inventory::volume_sizes(engine).await.ok()
            } else {
                None
            },
            policy: Policy::load_for(&Policy::default_path(&env), &engine.endpoint.host)?,
            labels_anonymous: engine.labels_anonymous_volumes(),
            last_backups: match destroys_volumes {
                true => {
                    last_backups(
                        &backup_root,
                        &engine.endpoint.host,
                        flags.repository.password_file.as_deref(),
                    )
                    .await
                }
                false => store::last_fingerprints(&backup_root, &engine.endpoint.host)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(volume, (created, _))| (volume, created))
                    .collect(),
            },
            backup_root,
        })
    }

    /// The facts as a plan takes them.
    pub fn plan_facts(&self) -> PlanFacts<'_> {
        PlanFacts {
            containers: &self.containers,
            volumes: &self.volumes,
            sizes: self.sizes.as_ref(),
            policy: &self.policy,
            last_backups: &self.last_backups,
            labels_anonymous: self.labels_anonymous,
        }
    }
}

/// When each volume was last backed up in `root`. A repository is read when its
/// password is in a file (a prompt, if any, comes with the safety backup); when it
/// cannot be read, a note says that LAST BACKUP leaves its snapshots out.
async fn last_backups(
    root: &std::path::Path,
    engine: &str,
    password_file: Option<&std::path::Path>,
) -> std::collections::HashMap<String, String> {
    super::last_backups_or_note(root, engine, || {
        repository::given_password(password_file)?.ok_or_else(|| {
            Error::usage("no password file is given").hint(format!(
                "give --password-file or set {}",
                repository::PASSWORD_FILE_ENV
            ))
        })
    })
    .await
    .0
    .into_iter()
    .map(|(volume, (created, _))| (volume, created))
    .collect()
}

/// Prints a plan: a table for people, or cli.md's JSON document.
pub fn print_plan(plan: &Plan, format: Format) -> Result<()> {
    super::print(&match format {
        Format::Json => serde_json::to_string_pretty(plan).expect("plan serializes") + "\n",
        Format::Table => plan.render(),
    })
}
