//! Restoring volumes from a backup. The backup is verified first; a volume that holds
//! data is overwritten only after confirmation and after its current content was
//! saved. The archive is extracted into a staging directory inside the volume, checked
//! file by file against the backup's digest list, and only then switched into place by
//! renames; until the switch the volume is untouched, and a failed switch is undone.
//! Entries are checked while they are read, so nothing is written outside the volume.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::ImportImageOptionsBuilder;
use futures_util::StreamExt;

use super::api_switch::ApiSwitch;
use super::archive::HashingReader;
use super::archive::{
    ArchiveError, Cancellable, Content, Naming, TarEmitter, list_entries, read_entries,
};
use super::create::{self, BackupOptions, Subject};
use super::entry::{FileList, FileRecord, PathBytes, first_differences};
use super::local::{self, Extractor, Switch, SwitchPhase};
use super::made_here;
use super::manifest::{self, Manifest, VolumeInfo};
use super::snapshot_source::SnapshotSource;
use super::verify::{self, Depth, VerifyReport};
use super::{lock, store};
use crate::backup::journal::{Journal, LABEL_RESTORED_BY};
use crate::backup::quiesce;
use crate::cancel::{self, Cancel};
use crate::engine::Engine;
use crate::engine::inventory::{self, Container, LABEL_PROJECT};
use crate::engine::volume_access::{self, Access, HELPER_MOUNT, Helper};
use crate::error::{Error, Result, engine_message};
use crate::target::{Mode, VolumeRef};
use crate::ui::confirm::{self, Confirmation};

/// What a restore reads.
#[derive(Debug, Clone)]
pub enum Source {
    /// A plain backup directory.
    Plain(PathBuf),
    /// A snapshot in a repository, open, locked and checked.
    Snapshot(Arc<SnapshotSource>),
}

impl Source {
    /// The backup's name: its directory, or `REPOSITORY#ID`.
    pub fn describe(&self) -> String {
        match self {
            Source::Plain(dir) => dir.display().to_string(),
            Source::Snapshot(source) => source.describe(),
        }
    }

    /// The backup's short name: its directory's name, or `REPOSITORY#ID`.
    pub fn name(&self) -> String {
        match self {
            Source::Plain(dir) => dir
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            Source::Snapshot(source) => source.describe(),
        }
    }

    /// How `restore` names it: its directory, or `ID --to LOCATION`.
    fn argument(&self) -> String {
        match self {
            Source::Plain(dir) => dir.display().to_string(),
            Source::Snapshot(source) => source.argument(),
        }
    }

    /// The backup's manifest (a plain backup's read as it is, before any verification).
    pub fn manifest(&self) -> Result<Manifest> {
        match self {
            Source::Plain(dir) => store::read_manifest(dir),
            Source::Snapshot(source) => Ok(source.manifest().clone()),
        }
    }

    /// The backup's small file at `rel` (a container spec, say).
    pub async fn read_small(&self, rel: &str) -> Result<Vec<u8>> {
        match self {
            Source::Plain(dir) => store::read_index(dir, rel).map_err(|e| {
                Error::integrity(format!("{}: cannot read {rel}: {e}", dir.display()))
            }),
            Source::Snapshot(source) => {
                let rel = rel.to_string();
                Self::blocking(source, move |source| source.read_small(&rel)).await
            }
        }
    }

    /// Runs `work` on the snapshot on a blocking thread.
    async fn blocking<T: Send + 'static>(
        source: &Arc<SnapshotSource>,
        work: impl FnOnce(&SnapshotSource) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let source = Arc::clone(source);
        crate::storage::repository::blocking(move || work(&source)).await
    }
}

/// Where a volume's content comes from.
enum VolumeContent {
    /// A plain backup's archive, with the SHA-256 verification found it had.
    Archive(File, String),
    /// The volume's tree in a snapshot.
    Snapshot(Arc<SnapshotSource>, String),
}

/// What to restore.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// The backup.
    pub from: Source,
    /// `--volume NAME[:NEW]` selections; empty means every volume of the backup.
    pub selections: Vec<String>,
    /// The compose project the volumes are restored for (`-p NAME`), when it is not
    /// the one backed up: a volume compose named for the old project gets the name
    /// compose gives it in this one.
    pub project: Option<String>,
    /// `--confirm`.
    pub confirm: Option<String>,
    /// Start the volumes' containers again afterwards.
    pub start: bool,
    /// Restore special entries also into volumes other than the one backed up.
    pub preserve_special: bool,
    /// How long to wait for another operation on the same volumes (none: fail).
    pub lock_wait: Option<std::time::Duration>,
    /// Volumes (by the name restored into) that may be created with the driver and
    /// options the backup records although they reach outside the engine's storage.
    pub trusted_volume_options: Vec<String>,
    /// Load the backup's images.
    pub images: bool,
    /// Seconds containers get to stop.
    pub stop_timeout: i32,
    /// Where the safety backup of overwritten content goes.
    pub safety_root: PathBuf,
    /// The volumes restored into are a drill's empty scratch copies, which nothing
    /// uses: written in place, as a volume the restore creates is, with no switch
    /// (through the Engine API the switch needs an image with `/bin/sh`, which a
    /// distroless service's is not).
    pub scratch: bool,
}

impl RestoreRequest {
    /// The command that makes this restore, for the hint of a refused confirmation:
    /// with its project and its volumes, else pasted it restores something else.
    fn command(&self) -> String {
        let project = match &self.project {
            Some(project) => format!("-p {project} "),
            None => String::new(),
        };
        let volumes: String = self
            .selections
            .iter()
            .map(|selection| format!(" --volume {selection}"))
            .collect();
        format!(
            "docker safeops {project}restore {}{volumes}",
            self.from.argument()
        )
    }
}

/// One restored volume.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoredVolume {
    /// The volume in the backup.
    pub from: String,
    /// The volume written.
    pub into: String,
    /// It did not exist and was created.
    pub created: bool,
    /// Files and bytes restored, checked against the digest list.
    pub file_count: u64,
    /// Bytes of regular files.
    pub total_bytes: u64,
    /// `direct` or `api`.
    pub access: String,
}

/// What a restore did.
#[derive(Debug, serde::Serialize)]
pub struct RestoreOutcome {
    /// The backup restored from.
    pub backup: String,
    /// Volumes written.
    pub volumes: Vec<RestoredVolume>,
    /// The backup of the overwritten content, when there was any.
    pub safety_backup: Option<String>,
    /// How overwriting was confirmed, when it had to be.
    pub confirmation: Option<Confirmation>,
    /// Containers stopped for the restore.
    pub stopped: Vec<String>,
    /// Containers started again.
    pub started: Vec<String>,
    /// Images loaded.
    pub images_loaded: Vec<String>,
}

/// Parses `NAME[:NEW]` selections against the manifest: (volume info, target name).
/// Without selections every volume, under the name compose gives it in `project`
/// when one is given.
fn select<'m>(
    volumes: &'m [VolumeInfo],
    selections: &[String],
    project: Option<&str>,
) -> Result<Vec<(&'m VolumeInfo, String)>> {
    let chosen = match selections.is_empty() {
        true => volumes
            .iter()
            .map(|v| (v, compose_name_in(v, project)))
            .collect(),
        false => selected(volumes, selections, project)?,
    };
    // One volume written twice would hold the second alone, reported as restored twice.
    for (i, (info, into)) in chosen.iter().enumerate() {
        if let Some((first, _)) = chosen[..i].iter().find(|(_, taken)| taken == into) {
            return Err(Error::usage(format!(
                "volume {into} would receive both volume {} and volume {} of the backup",
                first.name, info.name
            ))
            .hint(
                "restore each volume of the backup into a volume of its own: --volume NAME:NEW",
            ));
        }
    }
    Ok(chosen)
}

/// The volumes `NAME[:NEW]` selections name in the manifest, with where they go.
fn selected<'m>(
    volumes: &'m [VolumeInfo],
    selections: &[String],
    project: Option<&str>,
) -> Result<Vec<(&'m VolumeInfo, String)>> {
    let mut chosen = Vec::new();
    for selection in selections {
        let (from, named) = match selection.split_once(':') {
            Some((from, into)) => (from, Some(into)),
            None => (selection.as_str(), None),
        };
        let info = volumes.iter().find(|v| v.name == from).ok_or_else(|| {
            let names: Vec<&str> = volumes.iter().map(|v| v.name.as_str()).collect();
            Error::usage(format!(
                "the backup has no volume {from}; it has: {}",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ))
        })?;
        let into = match named {
            Some(into) => into.to_string(),
            None => compose_name_in(info, project),
        };
        crate::engine::names::checked(&into, "the volume name")?;
        chosen.push((info, into));
    }
    Ok(chosen)
}

/// One volume of the backup and where it goes.
struct Destination {
    /// The volume in the backup.
    info: VolumeInfo,
    /// The volume written.
    into: String,
    /// It, when it exists already.
    existing: Option<bollard::models::Volume>,
    /// It exists and holds data (overwriting needs confirmation).
    holds_data: bool,
    /// What it must hold afterwards: the backup's digest list, less the special
    /// entries unless they are kept.
    expected: FileList,
    /// Special entries are restored as they are.
    keep_special: bool,
}

/// Restores what `request` asks for.
pub async fn restore(
    engine: &Engine,
    request: &RestoreRequest,
    cancel: &Cancel,
) -> Result<RestoreOutcome> {
    // Not deleted by a --keep while it is read.
    let _reading = match &request.from {
        Source::Plain(dir) => Some(store::reading(dir)?),
        Source::Snapshot(_) => None,
    };
    // The identity of what was verified, not of what the directory holds by the time
    // it is asked: everything read later is checked against the verified manifest.
    let (manifest, identity) = match &request.from {
        Source::Plain(dir) => {
            let report = verify_backup(dir, cancel).await?;
            let manifest = report.manifest.expect("a verified backup has a manifest");
            (manifest, report.identity)
        }
        Source::Snapshot(source) => (
            source.manifest().clone(),
            Some(made_here::snapshot(&source.id())),
        ),
    };
    let chosen = select(
        &manifest.volumes,
        &request.selections,
        request.project.as_deref(),
    )?;
    if request.images && manifest.images.is_empty() {
        return Err(Error::usage(
            "--images: this backup holds no images (it was made without --images)",
        ));
    }
    let made_here = identity.is_some_and(|identity| made_here::contains(&identity));
    // Locked before anything about the volumes is read: after a wait for another
    // operation, what it found would be stale.
    let keys: Vec<lock::Key> = chosen
        .iter()
        .map(|(_, into)| lock::Key::Volume(into.clone()))
        .collect();
    let _locks =
        crate::backup::journal::lock_settled(engine, &keys, "restore", request.lock_wait, cancel)
            .await?;
    let mut targets: Vec<Destination> = Vec::new();
    for (info, into) in &chosen {
        let existing = match engine.docker.inspect_volume(into).await {
            Ok(volume) => Some(volume),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => None,
            Err(err) => return Err(err.into()),
        };
        let holds_data = match &existing {
            Some(volume) => holds_data(engine, volume).await?,
            None => false,
        };
        let list = match &request.from {
            Source::Plain(dir) => read_file_list(dir, &manifest, info)?,
            Source::Snapshot(source) => {
                let name = info.name.clone();
                Source::blocking(source, move |s| s.file_list(&name)).await?
            }
        };
        if let Some(reserved) = list.reserved_entry() {
            return Err(Error::integrity(format!(
                "volume {}: the backup holds {reserved} at its root, a name safeops keeps for \
                 a restore's own directories: restored, it would stop every later restore \
                 into the volume; nothing was changed",
                info.name
            )));
        }
        // Into the very volume a backup this host made was made of, its special
        // entries were there before; anywhere else they would be planted. A name proves
        // nothing by itself: a forged backup can claim any, but not that this host made
        // it (see `made_here`). The engine's creation time of a local volume is no
        // proof either: it is the change time of the volume's directory, which moves
        // whenever an entry at its top is added or removed.
        let same_volume = *into == info.name;
        let keep_special = request.preserve_special || (same_volume && made_here);
        if let Some(summary) = list.special_summary() {
            if keep_special {
                crate::say!("volume {into}: special entries restored as they are: {summary}");
            } else {
                let why = match same_volume {
                    true => "this host has no record of making this backup",
                    false => "it is not the volume they were backed up from",
                };
                crate::say!(
                    "volume {into}: special entries left out ({summary}): {why}; \
                     --preserve-special restores them"
                );
            }
        }
        targets.push(Destination {
            info: (*info).clone(),
            into: into.clone(),
            existing,
            holds_data,
            expected: if keep_special {
                list
            } else {
                list.without_special()
            },
            keep_special,
        });
    }
    check_space(engine, &targets, &request.safety_root).await?;
    let overwritten: Vec<&str> = targets
        .iter()
        .filter(|t| t.holds_data)
        .map(|t| t.into.as_str())
        .collect();
    if !overwritten.is_empty() {
        store::check_writable(&request.safety_root).map_err(|err| {
            Error::preflight(format!(
                "the safety backup of the content the restore replaces cannot be written to \
                 {}: {err}; nothing was changed",
                request.safety_root.display()
            ))
            .hint(match request.from {
                Source::Plain(_) => {
                    "name the backup by its path (docker safeops restore DIR/NAME) and point \
                     SAFEOPS_BACKUP_DIR at a writable directory: the safety backup goes there"
                }
                Source::Snapshot(_) => {
                    "point SAFEOPS_BACKUP_DIR at a writable directory: the safety backup goes there"
                }
            })
        })?;
    }
    let mut reaching_out: Vec<(&str, String)> = Vec::new();
    for Destination {
        info,
        into,
        existing,
        ..
    } in &targets
    {
        let Some(what) = existing.is_none().then(|| reaches_outside(info)).flatten() else {
            continue;
        };
        if !request.trusted_volume_options.contains(into) {
            return Err(Error::refused(format!(
                "the backup would create volume {into} with {what}: that reaches outside the \
                 engine's own storage, and a backup is data, not instructions"
            ))
            .hint(format!(
                "check the backup's manifest; to create it that way pass \
                 --trust-volume-options {into} (and confirm); on another host, create \
                 {into} first with this host's driver and options (docker volume create) \
                 and restore into it; or restore into a plain volume with --volume {}:NEW",
                info.name
            )));
        }
        reaching_out.push((into, what));
    }
    // An anonymous volume created afresh under its old name is mounted by no new
    // container: `compose up` or `docker run` make a new, empty one.
    for Destination { into, existing, .. } in &targets {
        if existing.is_none() && !request.scratch && inventory::is_anonymous_name(into) {
            crate::say!(
                "note: {into} is an anonymous volume: a new container does not mount it by \
                 itself; recreate its container from its spec (`docker safeops recreate NAME \
                 [--from BACKUP]` mounts it again), or restore it into a named volume \
                 (--volume {into}:NAME) and mount that"
            );
        }
    }
    let into_names: Vec<&str> = targets.iter().map(|t| t.into.as_str()).collect();
    let consumers = consumers_of(&inventory::containers(engine).await?, &into_names)?;
    let confirmation = if overwritten.is_empty() && reaching_out.is_empty() {
        None
    } else {
        for (name, what) in &reaching_out {
            crate::say!(
                "restore will create volume {name} with {} (from the backup)",
                crate::redact::text(what)
            );
        }
        if !overwritten.is_empty() {
            crate::say!("restore will overwrite volumes that hold data:");
        }
        for name in &overwritten {
            let users: Vec<&str> = consumers
                .iter()
                .filter(|c| c.volume_mounts.iter().any(|(v, _)| v == name))
                .map(|c| c.name.as_str())
                .collect();
            crate::say!(
                "  {name} (used by {}); its current content is backed up first",
                if users.is_empty() {
                    "no container".to_string()
                } else {
                    users.join(", ")
                }
            );
        }
        // What is typed depends on what is restored, not on which volumes hold data
        // now: a script's `--confirm` must not stop matching when a volume is empty.
        let expected = match into_names.as_slice() {
            [single] => single.to_string(),
            _ => manifest.target.name.clone(),
        };
        Some(
            confirm::confirm(
                &expected,
                request.confirm.as_deref(),
                &request.command(),
                cancel,
            )
            .await?,
        )
    };
    // Confirming may take long: a container started meanwhile is stopped too, one paused
    // meanwhile refuses the restore as before.
    let all_containers = inventory::containers(engine).await?;
    let consumers = consumers_of(&all_containers, &into_names)?;
    let running: Vec<Container> = consumers.iter().filter(|c| c.runs()).cloned().collect();
    // A container that started since the restore's locks were taken may mount other
    // volumes than they cover.
    let _stopped_volumes =
        lock::acquire_stopped(&engine.endpoint.host, &running, "restore", cancel).await?;
    let journal = Journal::open("restore", engine)?;
    for consumer in &consumers {
        if let Err(err) = crate::runmode::specs::save_current(engine, &consumer.id).await {
            tracing::warn!("{err}");
        }
    }
    // An engine-API switch runs in a container of its own: Ctrl-C waits for it, so that
    // nothing starts on a volume half switched.
    let switching = tokio::sync::Mutex::new(());
    let done = std::sync::Mutex::new(Done::default());
    let work = async {
        let stopped = quiesce::stop(engine, &journal, &running, request.stop_timeout).await?;
        refuse_written_meanwhile(engine, &targets).await?;
        let safety_backup = if overwritten.is_empty() {
            None
        } else {
            Some(safety_backup(engine, &manifest, &overwritten, request, cancel).await?)
        };
        let mut restored = Vec::new();
        for Destination {
            info,
            into,
            existing,
            expected,
            keep_special,
            ..
        } in &targets
        {
            let created = existing.is_none();
            let volume = match existing {
                Some(volume) => volume.clone(),
                None => {
                    let made = create_volume(
                        engine,
                        info,
                        (into, request.project.as_deref()),
                        &journal.id(),
                    )
                    .await?;
                    lock_done(&done).filling = Some(into.clone());
                    // Recorded once made: recorded before, a kill could leave recovery
                    // removing a volume someone else made meanwhile.
                    journal.update(|j| {
                        j.filling = Some(into.clone());
                        j.filling_label = Some(journal.id());
                    })?;
                    made
                }
            };
            let access = volume_access::choose(engine, &volume, true)?;
            let content = match &request.from {
                Source::Plain(dir) => VolumeContent::Archive(
                    store::open_artifact(dir, &info.archive)?,
                    verified_digest(&manifest, &info.archive)?,
                ),
                Source::Snapshot(source) => {
                    VolumeContent::Snapshot(Arc::clone(source), info.name.clone())
                }
            };
            let started = std::time::Instant::now();
            let outcome = match &access {
                Access::Direct(mountpoint) => {
                    restore_direct(
                        &journal,
                        content,
                        (into, mountpoint),
                        expected,
                        *keep_special,
                        cancel,
                    )
                    .await
                }
                Access::Api => {
                    let volume = ApiVolume {
                        name: into,
                        fresh: created || request.scratch,
                        consumers: &consumers,
                        switching: &switching,
                        journal: &journal,
                    };
                    restore_api(engine, content, &volume, expected, *keep_special, cancel).await
                }
            };
            outcome?;
            if created {
                journal.update(|j| j.filling = None)?;
            }
            {
                let mut done = lock_done(&done);
                done.filling = None;
                done.restored.push(into.clone());
            }
            tracing::info!(
                "restored volume {into} ({}) in {:.2}s",
                access.label(),
                started.elapsed().as_secs_f64()
            );
            let fingerprint = expected.fingerprint();
            restored.push(RestoredVolume {
                from: info.name.clone(),
                into: into.clone(),
                created,
                file_count: fingerprint.file_count,
                total_bytes: fingerprint.total_bytes,
                access: access.label().to_string(),
            });
        }
        let images_loaded = match request.images {
            true => load_images(engine, &request.from, &manifest).await?,
            false => Vec::new(),
        };
        Ok::<_, Error>((stopped, safety_backup, restored, images_loaded))
    };
    let result = tokio::select! {
        biased;
        why = async {
            let why = cancel.cancelled().await;
            let _switched = match switching.try_lock() {
                Ok(free) => free,
                Err(_) => {
                    // Signals after the first are not seen: SIGQUIT still ends the
                    // process, as a kill would, and the journal covers that.
                    crate::say!(
                        "{why}: waiting for the files being switched into place first \
                         (Ctrl-\\ quits at once: the next docker safeops command then \
                         finishes or undoes the switch and starts the containers)"
                    );
                    switching.lock().await
                }
            };
            why
        } => {
            tracing::info!("{why}: cleaning up");
            Err(Error::interrupted())
        }
        result = work => result,
    };
    match result {
        // A switch that could not be undone: recovery (the next command, once this
        // process is gone) finishes it before anything starts again.
        Err(err) if journal.has_switch() => Err(err),
        Ok((stopped, safety_backup, volumes, images_loaded)) => {
            let started = if request.start {
                quiesce::restart(engine, &journal, &all_containers).await?
            } else {
                Vec::new()
            };
            let left = journal_partials(&journal);
            journal.close();
            if let Some(owed) = owe_removal(engine, &left) {
                crate::say!("note: {owed}");
            }
            Ok(RestoreOutcome {
                backup: request.from.describe(),
                volumes,
                safety_backup: safety_backup.map(|p| p.display().to_string()),
                confirmation,
                stopped: stopped.iter().map(|c| c.name.clone()).collect(),
                started,
                images_loaded,
            })
        }
        Err(mut err) => {
            let left: Vec<PathBuf> = journal_partials(&journal)
                .into_iter()
                .filter(|dir| !crate::backup::store::remove_tree(dir))
                .collect();
            let done = std::mem::take(&mut *lock_done(&done));
            // Files staged through the engine (Ctrl-C came while they were): removed
            // once this process's helpers, which may still write them, are gone.
            let staged = journal.api_switch();
            if let Some(staged) = staged {
                crate::backup::journal::remove_own_helpers(engine).await;
                let removed = staged
                    .discard(engine)
                    .await
                    .and_then(|()| journal.update(|j| j.api_switch = None));
                if let Err(why) = removed {
                    err.message
                        .push_str(&format!("\n({})", owe_discard(engine, staged, &why)));
                }
            }
            // A volume made for this restore and not filled to the end must not stay
            // under its name for the next `compose up` to use.
            if let Some(volume) = &done.filling {
                // Ctrl-C leaves the helper that fills it, which keeps it in use.
                crate::backup::journal::remove_own_helpers(engine).await;
                if let Err(gone) = engine
                    .docker
                    .remove_volume(
                        volume,
                        None::<bollard::query_parameters::RemoveVolumeOptions>,
                    )
                    .await
                {
                    // Left to the next command, which removes it or, if a container
                    // uses it, leaves it to the user, and works on it no more until then.
                    let owed = Journal::owe("restore", engine, |j| {
                        j.filling = Some(volume.clone());
                        j.filling_label = Some(journal.id());
                    });
                    err.message.push_str(&format!(
                        "\n(volume {volume}, made for this restore, is not complete and could \
                         not be removed: {}; {}remove it with `docker volume rm {volume}` \
                         before anything uses it)",
                        crate::error::engine_message(&gone),
                        match owed {
                            Ok(()) => "the next safeops command tries again, or ",
                            Err(_) => "",
                        }
                    ));
                }
            }
            if !done.restored.is_empty() {
                err.message.push_str(&format!(
                    "\n(restored before this and kept: {}; what they held before is in the \
                     safety backup saved above, if they held anything: restore it to go back)",
                    done.restored.join(", ")
                ));
            }
            let restarted = quiesce::restart(engine, &journal, &all_containers).await;
            // A start that failed stays owed: the journal lets the next command retry.
            let mut err = quiesce::said_restart(journal, restarted, err);
            if let Some(owed) = owe_removal(engine, &left) {
                err.message.push_str(&format!("\n({owed})"));
            }
            Err(err)
        }
    }
}

/// Refuses, before anything stops, a restore whose staged files would not fit beside
/// the volumes' current content: a file system filled to its end fails the databases
/// of every other container on it. Only volumes on this host can be measured (new ones
/// in the engine's volume directory); those on one file system are added up.
async fn check_space(engine: &Engine, targets: &[Destination], safety_root: &Path) -> Result<()> {
    let new_volumes = match targets.iter().any(|t| t.existing.is_none()) {
        true => volume_access::new_volumes_path(engine).await,
        false => None,
    };
    let mut needs: HashMap<u64, SpaceNeed> = HashMap::new();
    for target in targets {
        let root = match &target.existing {
            Some(volume) => volume_access::file_system_path(engine, volume),
            // Created by the restore: in the engine's volume directory, unless a
            // driver or its options put it elsewhere.
            None if target.info.driver == "local" && target.info.driver_opts.is_empty() => {
                new_volumes.clone()
            }
            None => None,
        };
        if let Some(need) = root.and_then(|root| SpaceNeed::at(&mut needs, &root)) {
            need.bytes += target.expected.fingerprint().total_bytes;
            need.volumes.push(&target.into);
        }
    }
    // The safety backup of what is overwritten is written first, and stays: where the
    // staged files go too, both must fit. Counted as the content's size, as the
    // backup's own check counts it.
    let current: u64 = targets
        .iter()
        .filter(|t| t.holds_data)
        .filter_map(|t| t.existing.as_ref())
        .filter_map(
            |volume| match volume_access::choose(engine, volume, false) {
                Ok(Access::Direct(path)) => Some(create::disk_usage(&path)),
                _ => None,
            },
        )
        .sum();
    if current > 0
        && let Some(need) = SpaceNeed::at(&mut needs, safety_root)
    {
        need.bytes += current;
        need.safety_backup = true;
    }
    for need in needs.values() {
        let Ok((free, _)) = crate::state::free_space(&need.root) else {
            continue;
        };
        let needed = crate::state::with_margin(need.bytes);
        if free >= needed {
            continue;
        }
        let what = match (need.volumes.is_empty(), need.safety_backup) {
            (true, _) => "the safety backup of the current content".to_string(),
            (false, false) => format!("the files of {}", need.volumes.join(", ")),
            (false, true) => format!(
                "the files of {} and the safety backup of the current content",
                need.volumes.join(", ")
            ),
        };
        return Err(Error::preflight(format!(
            "not enough space for the restore in {}: {what} need {} (with a tenth more for \
             the file system; the files are staged beside the current content until the \
             switch), and {} is free there; nothing was changed",
            need.root.display(),
            crate::ui::table::human_bytes(needed),
            crate::ui::table::human_bytes(free),
        ))
        .hint(
            "free space there, restore into a volume on another file system with --volume \
             NAME:NEW, or put the safety backup elsewhere (SAFEOPS_BACKUP_DIR)",
        ));
    }
    Ok(())
}

/// What a restore writes into one file system.
struct SpaceNeed<'a> {
    /// A directory on it.
    root: PathBuf,
    /// Bytes written there.
    bytes: u64,
    /// The volumes whose files are staged there.
    volumes: Vec<&'a str>,
    /// The safety backup goes there too.
    safety_backup: bool,
}

impl<'a> SpaceNeed<'a> {
    /// The need of the file system holding `path` (or its nearest existing ancestor),
    /// new when it is the first; `None` when none can be read.
    fn at<'n>(
        needs: &'n mut HashMap<u64, SpaceNeed<'a>>,
        path: &Path,
    ) -> Option<&'n mut SpaceNeed<'a>> {
        use std::os::unix::fs::MetadataExt;
        let (root, device) = path
            .ancestors()
            .find_map(|dir| Some((dir.to_path_buf(), std::fs::metadata(dir).ok()?.dev())))?;
        Some(needs.entry(device).or_insert_with(|| SpaceNeed {
            root,
            bytes: 0,
            volumes: Vec::new(),
            safety_backup: false,
        }))
    }
}

/// Leaves `dirs`, which could not be removed (a worker of this process may still have
/// been writing in one), to the next safeops command: a journal of their own, which it
/// settles once this process is gone. Left in a volume, such a directory would make
/// every later restore into it stop as before an unfinished one. What to tell the user.
fn owe_removal(engine: &Engine, dirs: &[PathBuf]) -> Option<String> {
    if dirs.is_empty() {
        return None;
    }
    let listed: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let owed = Journal::owe("restore", engine, |s| s.partial_dirs = dirs.to_vec());
    Some(match owed {
        Ok(()) => format!(
            "{} could not be removed yet: the next safeops command removes it",
            listed.join(", ")
        ),
        Err(err) => format!(
            "{} could not be removed ({}): remove it by hand before the next restore into \
             the volume",
            listed.join(", "),
            err.message
        ),
    })
}

/// Leaves the files `staged` through the engine, which could not be removed (`why`),
/// to the next safeops command, as [`owe_removal`] does: what to tell the user.
fn owe_discard(engine: &Engine, staged: ApiSwitch, why: &Error) -> String {
    let (volume, staging) = (staged.volume.clone(), staged.staging.clone());
    let owed = Journal::owe("restore", engine, |s| s.api_switch = Some(staged));
    match owed {
        Ok(()) => format!(
            "{staging} in volume {volume} could not be removed yet ({}): the next safeops \
             command removes it",
            why.message
        ),
        Err(err) => format!(
            "{staging} in volume {volume} could not be removed ({}; {}): remove it by hand \
             before the next restore into the volume",
            why.message, err.message
        ),
    }
}

/// How far a restore got, for what its failure leaves.
#[derive(Debug, Default)]
struct Done {
    /// The volume it created and is filling.
    filling: Option<String>,
    /// The volumes restored and switched into place.
    restored: Vec<String>,
}

fn lock_done(done: &std::sync::Mutex<Done>) -> std::sync::MutexGuard<'_, Done> {
    done.lock().unwrap_or_else(|e| e.into_inner())
}

fn journal_partials(journal: &Journal) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let _ = journal.update(|s| dirs = std::mem::take(&mut s.partial_dirs));
    dirs
}

/// Verifies the backup fully; exit 4 naming every bad file.
pub async fn verify_backup(dir: &Path, cancel: &Cancel) -> Result<VerifyReport> {
    crate::ui::progress::phase(&format!(
        "verifying {} before restoring from it",
        dir.display()
    ));
    let dir = dir.to_path_buf();
    let cancel = cancel.clone();
    tokio::task::spawn_blocking(move || verify::verify(&dir, Depth::Full, &cancel, None))
        .await
        .map_err(|e| Error::failure(format!("verification worker failed: {e}")))??
        .into_result()
}

/// Of `containers`, those that mount one of the volumes `into`. Refuses (exit 5) when
/// one of them is paused: it keeps the volume's files open, frozen, and switched under
/// it, it would go on writing into the old tree and reading the new one once unpaused.
fn consumers_of(containers: &[Container], into: &[&str]) -> Result<Vec<Container>> {
    let consumers: Vec<Container> = containers
        .iter()
        .filter(|c| {
            c.volume_mounts
                .iter()
                .any(|(v, _)| into.contains(&v.as_str()))
        })
        .cloned()
        .collect();
    let paused: Vec<&str> = consumers
        .iter()
        .filter(|c| c.state == "paused")
        .map(|c| c.name.as_str())
        .collect();
    if !paused.is_empty() {
        return Err(Error::preflight(format!(
            "paused containers mount the volumes to restore ({}): a restore would switch \
             the files under them",
            paused.join(", ")
        ))
        .hint(format!(
            "docker unpause {} (the restore then stops and starts them), or stop them",
            paused.join(" ")
        )));
    }
    Ok(consumers)
}

/// Refuses (exit 3) when a volume that was empty as the restore was planned, and so
/// was neither confirmed nor backed up, got data since (from its containers until they
/// stopped, or from one that ended meanwhile): replacing it would lose that data
/// unasked.
async fn refuse_written_meanwhile(engine: &Engine, targets: &[Destination]) -> Result<()> {
    for target in targets.iter().filter(|t| !t.holds_data) {
        let Some(volume) = &target.existing else {
            continue;
        };
        if holds_data(engine, volume).await? {
            return Err(Error::refused(format!(
                "volume {} was empty when the restore was planned, and got data since; \
                 nothing was restored",
                target.into
            ))
            .hint("run the restore again: it then asks before overwriting the volume, and backs it up first"));
        }
    }
    Ok(())
}

/// True when the volume holds anything besides its root directory.
async fn holds_data(engine: &Engine, volume: &bollard::models::Volume) -> Result<bool> {
    if let Access::Direct(path) = volume_access::choose(engine, volume, false)? {
        return Ok(std::fs::read_dir(&path)?.next().is_some());
    }
    let helper = Helper::create(engine, &volume.name, true).await?;
    let reader = volume_access::blocking_reader(Box::pin(helper.download(HELPER_MOUNT)));
    let found = tokio::task::spawn_blocking(move || -> io::Result<bool> {
        let mut archive = tar::Archive::new(reader);
        // The first entry is the volume root itself.
        Ok(archive.entries()?.nth(1).is_some())
    })
    .await;
    helper.remove().await;
    found
        .map_err(|e| Error::failure(format!("worker failed: {e}")))?
        .map_err(|e| Error::failure(format!("cannot read volume {}: {e}", volume.name)))
}

async fn safety_backup(
    engine: &Engine,
    manifest: &Manifest,
    overwritten: &[&str],
    request: &RestoreRequest,
    cancel: &Cancel,
) -> Result<PathBuf> {
    let subject = Subject {
        kind: "volumes".into(),
        name: if overwritten.len() == 1 {
            overwritten[0].to_string()
        } else {
            manifest.target.name.clone()
        },
        mode: Mode::Run,
        containers: Vec::new(),
        volumes: overwritten
            .iter()
            .map(|v| (v.to_string(), VolumeRef::default()))
            .collect::<BTreeMap<_, _>>(),
        files: None,
    };
    let backup_name = request.from.name();
    let options = BackupOptions {
        root: Some(request.safety_root.clone()),
        images: false,
        // The consumers are already stopped.
        quiesce: false,
        db_dump: false,
        retention: Default::default(),
        purpose: format!("before restore of {backup_name}"),
        stop_timeout: request.stop_timeout,
        level: super::archive::DEFAULT_LEVEL,
        progress: Default::default(),
        progress_total: Default::default(),
        lock_wait: request.lock_wait,
        leave_stopped: false,
        repositories: Vec::new(),
    };
    let outcome = create::create(engine, &subject, &options, cancel).await.map_err(|mut err| {
        err.message = format!(
            "could not save the current content before overwriting it, so nothing was restored: {}",
            err.message
        );
        err
    })?;
    crate::say!(
        "saved the current content of {} to {}",
        overwritten.join(", "),
        outcome.path.display()
    );
    Ok(outcome.path)
}

/// What in a recorded volume's driver and options reaches outside the engine's own
/// storage, if anything: any driver but `local`, and any `local` options but a tmpfs
/// (`device` is a host path or a remote share, `o=bind` a host directory).
fn reaches_outside(info: &VolumeInfo) -> Option<String> {
    let opts = &info.driver_opts;
    let tmpfs = opts.get("type").is_some_and(|t| t == "tmpfs")
        && opts.get("device").is_none_or(|d| d == "tmpfs")
        && !opts
            .get("o")
            .is_some_and(|o| o.split(',').any(|flag| flag == "bind" || flag == "rbind"));
    if info.driver == "local" && (opts.is_empty() || tmpfs) {
        return None;
    }
    // Escaped: the operator must see exactly what the backup asks for.
    let listed: Vec<String> = opts
        .iter()
        .map(|(k, v)| format!("{}={}", k.escape_debug(), v.escape_debug()))
        .collect();
    Some(if listed.is_empty() {
        format!("driver \"{}\"", info.driver.escape_debug())
    } else {
        format!(
            "driver \"{}\" and options {}",
            info.driver.escape_debug(),
            listed.join(" ")
        )
    })
}

/// The project and key of a volume compose named itself (`PROJECT_KEY`, no `name:` in
/// the file), from its labels.
fn compose_name(info: &VolumeInfo) -> Option<(&str, &str)> {
    let project = info.labels.get(LABEL_PROJECT)?;
    let key = info.labels.get("com.docker.compose.volume")?;
    (info.name == format!("{project}_{key}")).then_some((project.as_str(), key.as_str()))
}

/// The name `info` is restored under for `project`: the name compose gives its key
/// there when compose named it, else its own.
fn compose_name_in(info: &VolumeInfo, project: Option<&str>) -> String {
    match (project, compose_name(info)) {
        (Some(project), Some((_, key))) => format!("{project}_{key}"),
        _ => info.name.clone(),
    }
}

/// The compose project whose volume `into` is, restored from `info` for `project` (if
/// given): one compose named is the project its name says (`NEW_KEY` is NEW's); one
/// the file names (`name:`) keeps its name and is the project's it is restored for;
/// under any other name it is no project's. So `docker compose -p NEW up` takes it as
/// its own.
fn compose_project_for(info: &VolumeInfo, into: &str, project: Option<&str>) -> Option<String> {
    let labelled = info.labels.get(LABEL_PROJECT)?;
    match compose_name(info) {
        Some((_, key)) => {
            let named = into.strip_suffix(key)?.strip_suffix('_')?;
            (!named.is_empty()).then(|| named.to_string())
        }
        None => (into == info.name).then(|| project.unwrap_or(labelled).to_string()),
    }
}

/// Creates the volume a backup's volume is restored into, with its recorded driver and
/// options (checked by [`reaches_outside`] before) and its labels. Compose's are kept
/// only when it is a compose project's volume under its new name too (see
/// [`compose_project_for`]).
async fn create_volume(
    engine: &Engine,
    info: &VolumeInfo,
    (into, project): (&str, Option<&str>),
    restore: &str,
) -> Result<bollard::models::Volume> {
    let project = compose_project_for(info, into, project);
    let mut labels: HashMap<String, String> = info
        .labels
        .iter()
        .filter(|(key, _)| project.is_some() || !key.starts_with("com.docker.compose."))
        .filter(|(key, _)| key.as_str() != LABEL_RESTORED_BY)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(project) = project {
        labels.insert(LABEL_PROJECT.to_string(), project);
    }
    labels.insert(LABEL_RESTORED_BY.to_string(), restore.to_string());
    let request = VolumeCreateRequest {
        name: Some(into.to_string()),
        driver: Some(info.driver.clone()),
        driver_opts: Some(info.driver_opts.clone().into_iter().collect()),
        labels: Some(labels),
        ..VolumeCreateRequest::default()
    };
    let made = engine.docker.create_volume(request).await.map_err(|err| {
        Error::failure(format!(
            "cannot create volume {into} (driver {}): {}",
            info.driver,
            engine_message(&err)
        ))
    })?;
    // The engine hands back a volume of that name that exists already: someone made
    // it while this restore ran, and it is theirs, not to be overwritten unasked.
    if made.labels.get(LABEL_RESTORED_BY).map(String::as_str) != Some(restore) {
        return Err(Error::failure(format!(
            "volume {into} was created by someone else while this restore ran: nothing \
             was written into it"
        ))
        .hint("run the restore again: it then asks before it replaces what the volume holds"));
    }
    Ok(made)
}

/// Loads the `docker save` stream `stream` into the engine.
async fn import_images(
    engine: &Engine,
    stream: impl futures_util::Stream<Item = io::Result<bytes::Bytes>> + Send + 'static,
) -> Result<()> {
    let options = ImportImageOptionsBuilder::default().quiet(true).build();
    let mut progress = engine.docker.import_image_stream(options, stream, None);
    while let Some(item) = progress.next().await {
        let item = item.map_err(|e| {
            Error::failure(format!("loading images failed: {}", engine_message(&e)))
        })?;
        if let Some(error) = item.error_detail.and_then(|d| d.message) {
            return Err(Error::failure(format!("loading images failed: {error}")));
        }
    }
    Ok(())
}

/// The digest list of `info`, read no further than the size `manifest` declares.
/// Volume `info`'s digest list in the plain backup `dir`, as verified: read whole
/// (at most its declared size) and checked against the verified manifest's digest,
/// whatever replaced the file since.
fn read_file_list(dir: &Path, manifest: &Manifest, info: &VolumeInfo) -> Result<FileList> {
    let declared = manifest.artifact(&info.file_list).map_or(0, |a| a.size);
    let mut bytes = Vec::new();
    io::Read::read_to_end(
        &mut io::Read::take(store::open_artifact(dir, &info.file_list)?, declared),
        &mut bytes,
    )?;
    if hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))
        != verified_digest(manifest, &info.file_list)?
    {
        return Err(changed_since_verified(&info.file_list));
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::integrity(format!("{}: {e}", info.file_list)))
}

/// The SHA-256 the verified `manifest` gives the artifact `path`.
fn verified_digest(manifest: &Manifest, path: &str) -> Result<String> {
    manifest
        .artifact(path)
        .map(|a| a.sha256.clone())
        .ok_or_else(|| Error::integrity(format!("the manifest does not list {path}")))
}

/// `stream` passed on with its last chunk held back until it ended and its SHA-256
/// matched `expected`; on a mismatch the stream fails there instead, so that the engine
/// sees a broken upload, not a complete one, and loads nothing. The flag says whether
/// that happened.
fn digest_checked(
    stream: impl futures_util::Stream<Item = io::Result<bytes::Bytes>> + Send + 'static,
    expected: String,
) -> (
    impl futures_util::Stream<Item = io::Result<bytes::Bytes>> + Send + 'static,
    Arc<std::sync::atomic::AtomicBool>,
) {
    use sha2::Digest;
    let mismatch = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&mismatch);
    let state = Some((Box::pin(stream), sha2::Sha256::new(), None::<bytes::Bytes>));
    let checked = futures_util::stream::unfold(state, move |state| {
        let (expected, flag) = (expected.clone(), Arc::clone(&flag));
        async move {
            let (mut inner, mut hasher, mut held) = state?;
            loop {
                match inner.next().await {
                    Some(Ok(chunk)) => {
                        hasher.update(&chunk);
                        if let Some(ready) = held.replace(chunk) {
                            return Some((Ok(ready), Some((inner, hasher, held))));
                        }
                    }
                    Some(Err(err)) => return Some((Err(err), None)),
                    None if hex::encode(hasher.finalize()) == expected => {
                        return held.map(|last| (Ok(last), None));
                    }
                    None => {
                        flag.store(true, std::sync::atomic::Ordering::SeqCst);
                        let err = io::Error::other("the file does not match its verified digest");
                        return Some((Err(err), None));
                    }
                }
            }
        }
    });
    (checked, mismatch)
}

fn changed_since_verified(path: &str) -> Error {
    Error::integrity(format!(
        "{path} changed since the backup was verified (someone is writing the backup \
         directory): nothing was switched into place"
    ))
}

fn staging_name(kind: &str) -> String {
    format!(".safeops-{kind}-{}", std::process::id())
}

/// A volume archive being restored: decompressed, and hashed as it is read.
type OpenArchive =
    zstd::stream::read::Decoder<'static, BufReader<HashingReader<Cancellable<File>>>>;

fn open_archive(file: File, cancel: &Cancel) -> io::Result<OpenArchive> {
    zstd::stream::read::Decoder::new(HashingReader::new(Cancellable::new(file, cancel), None))
}

/// Reads the rest of the archive `rest` (beyond what its entries needed) and checks
/// that all of it has the `digest` verification found: what was restored is what was
/// verified, whatever replaced the file since.
fn as_verified(rest: OpenArchive, digest: &str) -> io::Result<()> {
    let mut rest = rest.finish();
    io::copy(&mut rest, &mut io::sink())?;
    let (read, _) = rest.into_inner().finish();
    if read == digest {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            changed_since_verified("the volume archive").message,
        ))
    }
}

/// An extraction's error for the user: what the backup holds that cannot be restored
/// (`InvalidData`) is an integrity error (exit 4), anything else a failure.
fn worker_error(err: io::Error, what: &str) -> Error {
    if cancel::is_cancelled_io(&err) {
        Error::interrupted()
    } else if err.kind() == io::ErrorKind::InvalidData {
        Error::integrity(format!("{what}: {err}"))
    } else {
        Error::failure(format!("{what}: {err}"))
    }
}

fn archive_error(err: ArchiveError) -> io::Error {
    match err {
        ArchiveError::Unreadable(err) => err,
        unsafe_entry => io::Error::new(io::ErrorKind::InvalidData, unsafe_entry.to_string()),
    }
}

/// Restores into a volume (its name and its mountpoint, which we can write).
async fn restore_direct(
    journal: &Journal,
    content: VolumeContent,
    (volume, mountpoint): (&str, &Path),
    expected: &FileList,
    keep_special: bool,
    cancel: &Cancel,
) -> Result<()> {
    let (staging_name, aside_name) = (staging_name("restore"), staging_name("previous"));
    let staging = mountpoint.join(&staging_name);
    let aside = mountpoint.join(&aside_name);
    journal.update(|s| s.partial_dirs.push(staging.clone()))?;
    let (mountpoint_w, expected_w, cancel) =
        (mountpoint.to_path_buf(), expected.clone(), cancel.clone());
    let staging_w = staging_name.clone();
    let staged = tokio::task::spawn_blocking(move || -> Result<()> {
        let (mountpoint, expected) = (mountpoint_w, expected_w);
        crate::ui::progress::phase(&format!(
            "extracting and checking volume {}",
            expected.volume
        ));
        let staged = local::create_dir_in(&mountpoint, staging_w.as_ref())
            .map_err(|e| worker_error(e, "cannot create the staging directory"))?;
        // A snapshot's digests are those of what the repository handed out.
        let extract = || -> io::Result<Option<BTreeMap<PathBytes, String>>> {
            let mut extractor = Extractor::new(staged.try_clone()?);
            let mut sink = |record: &FileRecord, content: &mut dyn io::Read| match restorable(
                record,
                keep_special,
            ) {
                Some(record) => extractor.write(&record, content),
                None => Ok(()),
            };
            let digests = match content {
                VolumeContent::Archive(archive, digest) => {
                    let rest =
                        read_entries(open_archive(archive, &cancel)?, Naming::Volume, |entry| {
                            sink(&entry.record, entry.content).map_err(ArchiveError::Unreadable)
                        })
                        .map_err(archive_error)?;
                    as_verified(rest, &digest)?;
                    None
                }
                VolumeContent::Snapshot(source, volume) => {
                    Some(source.extract(&volume, &mut sink, &cancel)?)
                }
            };
            extractor.finish()?;
            Ok(digests)
        };
        let digests = extract().map_err(|e| worker_error(e, "cannot extract the backup"))?;
        let expected = handed_out(expected, digests)?;
        // Flushing to disk and reading back overlap, as for a plain backup's check.
        let flushed_root = staged
            .try_clone()
            .map_err(|e| worker_error(e, "cannot flush the restored files to disk"))?;
        let (flushed, actual) = std::thread::scope(|scope| {
            let flushed = scope.spawn(move || rustix::fs::syncfs(&flushed_root));
            let actual = local::list_fd(staged, &expected.volume, &cancel);
            (flushed.join(), actual)
        });
        let actual = actual.map_err(|e| worker_error(e, "cannot read back the restored files"))?;
        match flushed {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(worker_error(
                    e.into(),
                    "cannot flush the restored files to disk",
                ));
            }
            Err(_) => {
                return Err(Error::failure(
                    "the worker flushing the restored files failed",
                ));
            }
        }
        check_restored(&expected, &actual)
    })
    .await
    .map_err(|e| Error::failure(format!("restore worker failed: {e}")))?;
    // The switch touches only the root's entries: quick, and done here so that each of
    // its phases is in the journal before it begins (recovery after a crash then ends
    // with all the old content or all the new, never a mix).
    let outcome = staged.and_then(|()| {
        let mut switch = Switch {
            volume: volume.to_string(),
            volume_root: mountpoint.to_path_buf(),
            staging: staging_name.clone(),
            aside: aside_name.clone(),
            root: root_record(expected)?,
            phase: SwitchPhase::MovingAside,
            previous_root: None,
        };
        switch
            .run(&mut |now: &Switch| {
                journal
                    .update(|s| s.switch = Some(now.clone()))
                    .map_err(|e| io::Error::other(e.message))
            })
            .map_err(|e| {
                let state = if e.undone {
                    let _ = journal.update(|s| s.switch = None);
                    "the volume was left as it was".to_string()
                } else {
                    format!(
                        "the volume is NOT as it was: its old content is in {}; the journal \
                         keeps the switch and the next safeops command finishes it",
                        aside.display()
                    )
                };
                Error::failure(format!(
                    "cannot switch the restored files into place ({state}): {}",
                    e.error
                ))
            })
    });
    if journal.has_switch() && outcome.is_err() {
        // Left for recovery: nothing of it is deleted and nothing is started.
        return outcome;
    }
    // After a switch the staging directory is gone; after an undone one it is removed,
    // and stays in the journal if it cannot be.
    let staging_gone = outcome.is_ok() || crate::backup::store::remove_tree(&staging);
    // Done (or undone): from here a crash leaves at most the aside directory, which
    // holds the old content only once the new one is in place.
    journal.update(|s| {
        s.switch = None;
        if staging_gone {
            s.partial_dirs.retain(|d| *d != staging);
        }
        if outcome.is_ok() {
            s.partial_dirs.push(aside.clone());
        }
    })?;
    outcome?;
    if crate::backup::store::remove_tree(&aside) {
        journal.update(|s| s.partial_dirs.retain(|d| *d != aside))?;
    }
    Ok(())
}

fn root_record(list: &FileList) -> Result<super::entry::FileRecord> {
    list.entries
        .iter()
        .find(|e| e.path.is_root())
        .cloned()
        .ok_or_else(|| {
            Error::integrity(format!(
                "the digest list of {} has no root entry",
                list.volume
            ))
        })
}

/// What a volume must hold after a restore from a snapshot: `expected` with the digests
/// of what the repository `handed_out` (`None` for a plain backup: its list has them).
fn handed_out(
    expected: FileList,
    handed_out: Option<BTreeMap<PathBytes, String>>,
) -> Result<FileList> {
    let Some(digests) = handed_out else {
        return Ok(expected);
    };
    expected.with_handed_out(&digests).map_err(|differ| {
        Error::integrity(format!(
            "the snapshot of volume {} does not match its digest list, so the volume was \
             left as it was:\n  {}",
            expected.volume,
            first_differences(&differ)
        ))
    })
}

fn check_restored(expected: &FileList, actual: &FileList) -> Result<()> {
    let differences = expected.differences(actual);
    if differences.is_empty() {
        return Ok(());
    }
    Err(Error::integrity(format!(
        "the restored files of volume {} differ from the backup, so the volume was left as it was:\n  {}",
        expected.volume,
        first_differences(&differences)
    )))
}

/// The volume an engine-API restore writes.
struct ApiVolume<'a> {
    /// Its name.
    name: &'a str,
    /// It was just created (removed on failure), or is a drill's scratch copy: written
    /// in place.
    fresh: bool,
    /// Containers that use it (their image has the shell for the switch).
    consumers: &'a [Container],
    /// Held while the files are switched into place.
    switching: &'a tokio::sync::Mutex<()>,
    /// The restore's journal, which records the switch.
    journal: &'a Journal,
}

/// The entry as it is restored: as it is, or without special powers (`None`: left
/// out).
fn restorable(record: &FileRecord, keep_special: bool) -> Option<std::borrow::Cow<'_, FileRecord>> {
    if keep_special {
        return Some(std::borrow::Cow::Borrowed(record));
    }
    record.without_special().map(std::borrow::Cow::Owned)
}

/// Restores through the engine: extract into a staging directory of the volume, read
/// it back and compare, then switch it into place with a shell in a helper container
/// (the engine API cannot rename or delete files). A volume we just created is written
/// in place instead (it is deleted if anything fails), which needs no shell.
async fn restore_api(
    engine: &Engine,
    content: VolumeContent,
    target: &ApiVolume<'_>,
    expected: &FileList,
    keep_special: bool,
    cancel: &Cancel,
) -> Result<()> {
    let (volume, fresh, consumers) = (target.name, target.fresh, target.consumers);
    let shell_image = if fresh {
        None
    } else {
        Some(shell_image(consumers)?)
    };
    let staging = staging_name("restore");
    let switch = match shell_image {
        Some(shell_image) => {
            let root = root_record(expected)?;
            Some(ApiSwitch {
                volume: volume.to_string(),
                shell_image,
                staging: staging.clone(),
                aside: staging_name("previous"),
                root: (root.uid, root.gid, root.mode),
                switching: false,
            })
        }
        None => None,
    };
    if let Some(switch) = &switch {
        switch.preflight(engine, &expected.quarantines()).await?;
        target
            .journal
            .update(|j| j.api_switch = Some(switch.clone()))?;
    }
    // A fresh volume is written whole from the helper's root, its own directory as the
    // archive's first entry: the engine gives the mountpoint that entry's owner and
    // mode (it leaves a `.` entry alone).
    let (prefix, upload_into, read_back) = if fresh {
        (
            Some(PathBytes(
                HELPER_MOUNT.trim_start_matches('/').as_bytes().to_vec(),
            )),
            "/".to_string(),
            HELPER_MOUNT.to_string(),
        )
    } else {
        (
            Some(PathBytes(staging.clone().into_bytes())),
            HELPER_MOUNT.to_string(),
            format!("{HELPER_MOUNT}/{staging}"),
        )
    };
    let helper = Helper::create(engine, volume, false).await?;
    let result = async {
        let (writer, stream) = volume_access::channel_stream();
        let cancel_w = cancel.clone();
        let failer = writer.failer();
        let producer = tokio::task::spawn_blocking(move || {
            let mut tar = TarEmitter::new(writer, prefix, None);
            let mut emit = |record: &FileRecord, content: &mut dyn io::Read| -> io::Result<()> {
                if let Some(record) = restorable(record, keep_special) {
                    let is_file = record.kind == super::entry::Kind::File;
                    tar.append(&record, is_file.then_some(content))?;
                }
                Ok(())
            };
            // A snapshot's digests are those of what the repository handed out.
            let emitted = match content {
                VolumeContent::Archive(archive, digest) => open_archive(archive, &cancel_w)
                    .and_then(|reader| {
                        let rest = read_entries(reader, Naming::Volume, |entry| {
                            Ok(emit(&entry.record, entry.content)?)
                        })
                        .map_err(archive_error)?;
                        as_verified(rest, &digest).map(|()| None)
                    }),
                VolumeContent::Snapshot(source, volume) => {
                    source.extract(&volume, &mut emit, &cancel_w).map(Some)
                }
            };
            match emitted {
                Ok(digests) => {
                    io::Write::flush(&mut tar.finish()?)?;
                    Ok(digests)
                }
                Err(err) => {
                    // The engine must see a broken upload, not a short one.
                    failer.fail(io::Error::other(err.to_string()));
                    Err(err)
                }
            }
        });
        let uploaded = helper.upload(&upload_into, stream).await;
        let digests = producer
            .await
            .map_err(|e| Error::failure(format!("restore worker failed: {e}")))?
            .map_err(|e| worker_error(e, "cannot stream the backup to the engine"))?;
        uploaded?;
        let expected = handed_out(expected.clone(), digests)?;
        let reader = volume_access::blocking_reader(Box::pin(helper.download(&read_back)));
        let volume_name = expected.volume.clone();
        let actual = tokio::task::spawn_blocking(move || {
            list_entries(reader, Naming::EngineCopy, &volume_name, Content::Hash)
        })
        .await
        .map_err(|e| Error::failure(format!("worker failed: {e}")))?
        .map_err(|e| Error::failure(format!("cannot read back the restored files: {e}")))?
        .0;
        let (checkable, gaps) = expected.as_the_engine_restores_it(&actual);
        check_restored(&checkable, &actual)?;
        if gaps.unread_xattrs > 0 {
            crate::say!(
                "note: volume {}: the extended attributes other than {} (and a user \
                 namespace's root uid in one) of {} file(s) went to the engine, which \
                 neither says whether it set them nor reads them back, so they are not \
                 checked (a restore on the engine's host, as root, checks them)",
                expected.volume,
                super::entry::CAPABILITY_XATTR,
                gaps.unread_xattrs
            );
        }
        if gaps.dated_epoch > 0 {
            crate::say!(
                "note: volume {}: {} file(s) dated before 1970 are dated 1970-01-01 now: \
                 the engine moves earlier times to the epoch (a restore on the engine's \
                 host, as root, keeps them)",
                expected.volume,
                gaps.dated_epoch
            );
        }
        Ok(())
    }
    .await;
    helper.remove().await;
    let Some(mut switch) = switch else {
        return result;
    };
    let _switching = target.switching.lock().await;
    if result.is_ok() {
        switch.switching = true;
        target
            .journal
            .update(|j| j.api_switch = Some(switch.clone()))?;
        switch.switch(engine).await?;
    } else if switch.discard(engine).await.is_err() {
        // Left in the journal: the restore's failure tries again, then owes it.
        return result;
    }
    target.journal.update(|j| j.api_switch = None)?;
    result
}

/// An image with `/bin/sh` for switching files into place through the engine:
/// `SAFEOPS_HELPER_IMAGE`, else the image of a container that uses the volume.
fn shell_image(consumers: &[Container]) -> Result<String> {
    if let Some(image) = volume_access::shell_image_from_env() {
        return Ok(image);
    }
    consumers.first().map(|c| c.image.clone()).ok_or_else(|| {
        Error::preflight(
            "restoring through the engine API needs an image with /bin/sh to move files into place, and no container uses this volume",
        )
        .hint(volume_access::SHELL_IMAGE_HINT)
    })
}

async fn load_images(engine: &Engine, from: &Source, manifest: &Manifest) -> Result<Vec<String>> {
    let path = manifest::images_path();
    match from {
        Source::Plain(dir) => {
            // The file was verified before anything was stopped, minutes ago: what the
            // engine loads is checked again on the way.
            let file = tokio::fs::File::from_std(store::open_artifact(dir, path)?);
            let (stream, mismatch) = digest_checked(
                tokio_util::io::ReaderStream::new(file),
                verified_digest(manifest, path)?,
            );
            let imported = import_images(engine, stream).await;
            if mismatch.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(changed_since_verified(path));
            }
            imported?;
        }
        Source::Snapshot(source) => {
            // Streamed out of the repository into the engine, its digest compared with
            // the manifest's before the engine has it all (see `digest_checked`).
            let expected = verified_digest(manifest, path)?;
            let (writer, stream) = volume_access::channel_stream();
            let failer = writer.failer();
            let source = Arc::clone(source);
            let producer = tokio::task::spawn_blocking(move || {
                let mut writer = writer;
                match source.copy_file(path, &mut writer) {
                    Ok(digest) => io::Write::flush(&mut writer).map(|()| digest),
                    Err(err) => {
                        failer.fail(io::Error::other(err.message.clone()));
                        Err(io::Error::other(err.message))
                    }
                }
            });
            let (stream, mismatch) = digest_checked(stream, expected.clone());
            let imported = import_images(engine, stream).await;
            let digest = producer
                .await
                .map_err(|e| Error::failure(format!("image worker failed: {e}")))?
                .map_err(|e| Error::failure(format!("cannot read the images: {e}")))?;
            if digest != expected || mismatch.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(Error::integrity(format!(
                    "{}: {path} does not match the manifest's digest: nothing was loaded \
                     from it",
                    from.describe()
                )));
            }
            imported?;
        }
    }
    Ok(manifest
        .images
        .iter()
        .map(|i| i.reference.clone())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compose_volume(name: &str, project: &str, key: &str) -> VolumeInfo {
        VolumeInfo {
            name: name.into(),
            driver: "local".into(),
            driver_opts: Default::default(),
            labels: [
                (LABEL_PROJECT.to_string(), project.to_string()),
                ("com.docker.compose.volume".to_string(), key.to_string()),
            ]
            .into(),
            external: false,
            archive: String::new(),
            file_list: String::new(),
            fingerprint: Default::default(),
            access: "direct".into(),
            created_at: None,
            changed_while_read: Vec::new(),
        }
    }

    /// `-p NEW` restores a volume compose named for the old project under the name
    /// compose gives it in the new one, labelled as that project's; one named in the
    /// file (`name:`) keeps its name.
    #[test]
    fn volumes_follow_compose_naming_into_another_project() {
        let named_by_compose = compose_volume("shop_data", "shop", "data");
        let named_in_file = compose_volume("pgdata", "shop", "db");
        let volumes = [named_by_compose.clone(), named_in_file.clone()];
        let into: Vec<String> = select(&volumes, &[], Some("shop-prod"))
            .unwrap()
            .into_iter()
            .map(|(_, into)| into)
            .collect();
        assert_eq!(into, ["shop-prod_data", "pgdata"]);
        let selected = |selections: &[&str]| -> Vec<String> {
            let selections: Vec<String> = selections.iter().map(|s| s.to_string()).collect();
            select(&volumes, &selections, Some("shop-prod"))
                .unwrap()
                .into_iter()
                .map(|(_, into)| into)
                .collect()
        };
        assert_eq!(selected(&["shop_data"]), ["shop-prod_data"]);
        assert_eq!(selected(&["shop_data:other"]), ["other"]);
        // A refusal's hint repeats the project and the volumes: pasted, it restores
        // the same.
        let request = RestoreRequest {
            from: Source::Plain("/b/shop-1".into()),
            selections: vec!["shop_data".into()],
            project: Some("shop-prod".into()),
            confirm: None,
            start: true,
            preserve_special: false,
            lock_wait: None,
            trusted_volume_options: Vec::new(),
            images: false,
            stop_timeout: 10,
            safety_root: "/b".into(),
            scratch: false,
        };
        assert_eq!(
            request.command(),
            "docker safeops -p shop-prod restore /b/shop-1 --volume shop_data"
        );
        let project = |info: &VolumeInfo, into: &str| compose_project_for(info, into, None);
        assert_eq!(
            project(&named_by_compose, "shop-prod_data").as_deref(),
            Some("shop-prod")
        );
        assert_eq!(
            project(&named_by_compose, "shop_data").as_deref(),
            Some("shop")
        );
        assert_eq!(project(&named_by_compose, "elsewhere"), None);
        assert_eq!(project(&named_by_compose, "_data"), None);
        assert_eq!(project(&named_in_file, "pgdata").as_deref(), Some("shop"));
        assert_eq!(project(&named_in_file, "new_db"), None);
        assert_eq!(
            compose_project_for(&named_in_file, "pgdata", Some("shop-prod")).as_deref(),
            Some("shop-prod")
        );
    }

    /// What passes the digest check: everything when the digest matches; all but the
    /// last chunk, then an error, when it does not.
    #[test]
    fn a_stream_that_does_not_match_its_digest_fails_before_its_last_chunk() {
        use sha2::Digest;
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let chunks = || {
            futures_util::stream::iter(
                ["ab", "cd", "ef"].map(|c| Ok(bytes::Bytes::from_static(c.as_bytes()))),
            )
        };
        let passed = |expected: String| {
            let (stream, mismatch) = digest_checked(chunks(), expected);
            let items: Vec<io::Result<bytes::Bytes>> = runtime.block_on(stream.collect());
            let ok: Vec<u8> = items.iter().flatten().flat_map(|b| b.to_vec()).collect();
            let failed = items.iter().any(Result::is_err);
            (
                String::from_utf8(ok).unwrap(),
                failed,
                mismatch.load(std::sync::atomic::Ordering::SeqCst),
            )
        };
        let right = hex::encode(sha2::Sha256::digest(b"abcdef"));
        assert_eq!(passed(right), ("abcdef".into(), false, false));
        let wrong = hex::encode(sha2::Sha256::digest(b"abcdeg"));
        assert_eq!(passed(wrong), ("abcd".into(), true, true));
    }

    /// A tar.zst of one file, then `trailing` bytes after its zstd frame.
    fn archive(trailing: &[u8]) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, kind, content) in [
            ("./", tar::EntryType::Directory, &b""[..]),
            ("f", tar::EntryType::Regular, &b"hello"[..]),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(kind);
            header.set_size(content.len() as u64);
            header.set_mode(0o755);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            header.set_cksum();
            tar.append_data(&mut header, path, content).unwrap();
        }
        let mut bytes = zstd::encode_all(&tar.into_inner().unwrap()[..], 1).unwrap();
        bytes.extend_from_slice(trailing);
        bytes
    }

    fn restored_as_verified(bytes: &[u8], digest: &str) -> io::Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.tar.zst");
        std::fs::write(&path, bytes).unwrap();
        let (_trigger, cancel) = crate::cancel::pair();
        let reader = open_archive(File::open(&path).unwrap(), &cancel).unwrap();
        let rest = read_entries(reader, Naming::Volume, |_| Ok(())).unwrap();
        as_verified(rest, digest)
    }

    #[test]
    fn an_archive_is_restored_only_as_verified_all_of_it() {
        let sound = archive(b"");
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&sound));
        restored_as_verified(&sound, &digest).unwrap();
        // Bytes beyond what the entries need, or another digest: not what was verified.
        let err = restored_as_verified(&archive(b"x"), &digest).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(restored_as_verified(&sound, &"0".repeat(64)).is_err());
    }
}
