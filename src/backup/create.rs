//! Making a backup: preflight, database dumps, specs and compose files, quiesce,
//! volumes, restart, images, manifest, full verification, then the final name and
//! retention. Whatever happens (error, Ctrl-C, plugin socket EOF), what was stopped is
//! started again and nothing half-written is left; after a SIGKILL the journal lets
//! the next invocation do it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Instant, SystemTime};

use futures_util::StreamExt;

use super::archive::HashingWriter;
use super::capture::{self, write_bytes, write_error, write_json};
use super::into_repository::{
    IntoRepository, RepositoryTarget, SnapshotWorkers, discard_read_back, forget, publish_all,
    read_back_all, small_file_dirs, take_all, volume_tree, write_snapshots,
};
use super::lock;
use super::made_here;
use super::manifest::{
    self, Artifact, ArtifactKind, ComposeFileInfo, ContainerInfo, EngineInfo, ImageInfo, Manifest,
    TargetInfo, VolumeInfo,
};
use super::snapshot;
use super::store::{self, PartialBackup};
use super::{dump, verify};
use crate::backup::journal::Journal;
use crate::backup::quiesce;
use crate::cancel::Cancel;
use crate::compose::ProjectFiles;
use crate::engine::Engine;
use crate::engine::inventory::{self, Container};
use crate::engine::volume_access::{self, Access};
use crate::error::{Error, Result, engine_message};
use crate::target::{Mode, Target, VolumeRef};

/// What to back up.
#[derive(Debug, Clone)]
pub struct Subject {
    /// `project`, `container` or `volumes`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// `compose` or `run`.
    pub mode: Mode,
    /// Containers whose specs are saved (and images exported, with `--images`).
    pub containers: Vec<Container>,
    /// Volumes to capture, by engine name.
    pub volumes: BTreeMap<String, VolumeRef>,
    /// Compose and env files to keep.
    pub files: Option<ProjectFiles>,
}

impl Subject {
    /// A whole target: all its volumes, declared, anonymous and external.
    pub fn of_target(target: &Target, volumes: &HashMap<String, inventory::Volume>) -> Subject {
        let (mode, files) = match target {
            Target::Project(p) => (p.mode, p.files.clone()),
            Target::Container(_) => (Mode::Run, None),
        };
        Subject {
            kind: target.kind().to_string(),
            name: target.name().to_string(),
            mode,
            containers: target.containers().to_vec(),
            volumes: target.volume_refs(volumes),
            files,
        }
    }
}

/// How to back up.
#[derive(Debug, Clone)]
pub struct BackupOptions {
    /// The root of the plain backup directories, or none when the backup goes into
    /// repositories only.
    pub root: Option<PathBuf>,
    /// Export the containers' images.
    pub images: bool,
    /// Stop the volumes' writers while capturing.
    pub quiesce: bool,
    /// Dump databases through exec.
    pub db_dump: bool,
    /// Which older backups of this target to keep.
    pub retention: store::Retention,
    /// `backup`, or the operation this backup protects.
    pub purpose: String,
    /// Seconds containers get to stop.
    pub stop_timeout: i32,
    /// zstd compression level.
    pub level: i32,
    /// Advanced by every byte of volume content read (for a progress bar).
    pub progress: Arc<AtomicU64>,
    /// Set to the estimated content size once it is known.
    pub progress_total: Arc<AtomicU64>,
    /// How long to wait for another operation on the same volumes (none: fail).
    pub lock_wait: Option<std::time::Duration>,
    /// The containers stopped for the capture stay stopped and are handed over in the
    /// outcome, for a verb that removes them next (`down -v`): starting them only to
    /// stop them again doubles the downtime and lets writes in that the backup lacks.
    pub leave_stopped: bool,
    /// Restic-format repositories to write the backup into, one snapshot each of the
    /// same quiesced content, instead of a backup directory under `root` (which then
    /// only stages the small files).
    pub repositories: Vec<RepositoryTarget>,
}

/// Containers a backup stopped and left stopped, still owed a start by the journal
/// until the verb that removes them says how it went.
#[derive(Debug)]
pub struct LeftStopped {
    journal: Journal,
    containers: Vec<Container>,
}

impl LeftStopped {
    /// The containers left stopped.
    pub fn names(&self) -> Vec<String> {
        self.containers.iter().map(|c| c.name.clone()).collect()
    }

    /// The verb ended: whatever it removed is owed nothing; whatever still exists (the
    /// verb failed, or a container of another project was using the volume and compose
    /// left it) is started again. Returns the names started. When a start fails the
    /// journal stays, so the next command tries again.
    pub async fn finish(self, engine: &Engine) -> Result<Vec<String>> {
        for container in &self.containers {
            let gone = matches!(
                engine.docker.inspect_container(&container.id, None).await,
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404,
                    ..
                })
            );
            if gone {
                self.journal
                    .update(|s| s.stopped.retain(|(id, _)| *id != container.id))?;
            }
        }
        let started = quiesce::restart(engine, &self.journal, &self.containers).await?;
        self.journal.close();
        Ok(started)
    }
}

/// How long `--keep` waits, by default, for the other backups into a repository to let
/// go of it (the prune needs it alone): backups scheduled at the same minute would
/// otherwise never thin it, and it grows until the storage is full.
const FORGET_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// What a backup produced.
#[derive(Debug)]
pub struct BackupOutcome {
    /// The plain backup directory, or (into repositories only) the first snapshot as
    /// `LOCATION#ID`.
    pub path: PathBuf,
    /// Whether a plain backup directory was written (`path`).
    pub plain: bool,
    /// Its manifest.
    pub manifest: Manifest,
    /// Wall time.
    pub seconds: f64,
    /// How long the quiesced containers were down, from the first stop until all ran
    /// again; `None` when none was stopped, or they were left stopped.
    pub downtime_seconds: Option<f64>,
    /// Older backups deleted by `--keep`.
    pub pruned: Vec<PathBuf>,
    /// Things the user should know (volumes not created yet, exempt containers...).
    pub notes: Vec<String>,
    /// With [`BackupOptions::leave_stopped`]: what stays stopped.
    pub left_stopped: Option<LeftStopped>,
    /// The snapshots, for a backup into repositories (in `--to` order).
    pub snapshots: Vec<snapshot::Written>,
}

/// The plan, computed before anything is touched.
struct Plan {
    volumes: Vec<(bollard::models::Volume, bool)>,
    to_stop: Vec<Container>,
    databases: Vec<(Container, dump::DbKind)>,
    estimate: u64,
    /// The part of the estimate that is exported images.
    images_estimate: u64,
    notes: Vec<String>,
}

/// Of `containers`, the running ones that mount one of `volumes`: those a quiesced
/// backup stops (none when `quiesce` is off), and notes on those exempt by their label.
fn consumers_to_stop(
    containers: &[Container],
    volumes: &[(bollard::models::Volume, bool)],
    quiesce: bool,
) -> (Vec<Container>, Vec<String>) {
    let captured: BTreeSet<&str> = volumes.iter().map(|(v, _)| v.name.as_str()).collect();
    let mut to_stop = Vec::new();
    let mut notes = Vec::new();
    for container in containers.iter().filter(|c| c.runs()) {
        if !container
            .volume_mounts
            .iter()
            .any(|(v, _)| captured.contains(v.as_str()))
        {
            continue;
        }
        if quiesce::is_exempt(container) {
            notes.push(format!(
                "{} is not stopped ({}=false)",
                container.name,
                quiesce::LABEL_QUIESCE
            ));
        } else if quiesce {
            to_stop.push(container.clone());
        }
    }
    (to_stop, notes)
}

/// The containers a backup stopped that its plan did not list: started since on its
/// volumes (`compose up`, cron, an operator) while dumps, specs or images were taken.
/// With the locks on their other volumes, kept until every way the backup ends (a
/// restart, a failure, Ctrl-C, containers left stopped for a removal) is done.
#[derive(Default)]
struct StartedSince {
    containers: std::sync::Mutex<Vec<Container>>,
    locks: std::sync::Mutex<Option<lock::Held>>,
}

impl StartedSince {
    /// The plan's containers to stop and these, in one list.
    fn with_planned(&self, plan: &Plan) -> Vec<Container> {
        let since = self.containers.lock().unwrap_or_else(|e| e.into_inner());
        plan.to_stop.iter().chain(since.iter()).cloned().collect()
    }
}

/// The containers to stop now: the plan's, and those started since on its volumes,
/// recorded in `since` and locked as the plan's are.
async fn to_stop_now(
    engine: &Engine,
    plan: &Plan,
    options: &BackupOptions,
    since: &StartedSince,
    cancel: &Cancel,
) -> Result<Vec<Container>> {
    let all = inventory::containers(engine).await?;
    let (now, _) = consumers_to_stop(&all, &plan.volumes, options.quiesce);
    let started: Vec<Container> = now
        .into_iter()
        .filter(|c| !plan.to_stop.iter().any(|planned| planned.id == c.id))
        .collect();
    for container in &started {
        crate::say!(
            "note: {} started since the backup was planned: it is stopped too",
            container.name
        );
    }
    let held = lock::acquire_stopped(&engine.endpoint.host, &started, "backup", cancel).await?;
    *since.locks.lock().unwrap_or_else(|e| e.into_inner()) = Some(held);
    *since.containers.lock().unwrap_or_else(|e| e.into_inner()) = started;
    Ok(since.with_planned(plan))
}

async fn plan(engine: &Engine, subject: &Subject, options: &BackupOptions) -> Result<Plan> {
    let mut notes = Vec::new();
    let mut volumes = Vec::new();
    for (name, reference) in &subject.volumes {
        match engine.docker.inspect_volume(name).await {
            Ok(volume) => {
                if reference.external {
                    notes.push(format!(
                        "volume {name} is external to the project; captured too"
                    ));
                }
                volumes.push((volume, reference.external));
            }
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {
                notes.push(format!(
                    "volume {name} does not exist yet: nothing to capture"
                ));
            }
            Err(err) => return Err(err.into()),
        }
    }
    let all = inventory::containers(engine).await?;
    let (to_stop, exempt) = consumers_to_stop(&all, &volumes, options.quiesce);
    notes.extend(exempt);
    let mut databases = Vec::new();
    if options.db_dump {
        for container in subject.containers.iter().filter(|c| c.state == "running") {
            if let Some(kind) = dump::db_kind(container) {
                databases.push((container.clone(), kind));
            }
        }
        if databases.is_empty() {
            notes.push("--db-dump: no running database container found".into());
        }
    }
    let mut estimate = 0;
    let mut df_sizes = None;
    for (volume, _) in &volumes {
        estimate += match volume_access::choose(engine, volume, false)? {
            Access::Direct(path) => disk_usage(&path),
            Access::Api => {
                if df_sizes.is_none() {
                    // Sizes are an estimate for the free-space check: never a reason
                    // to fail a backup.
                    let sizes = match inventory::volume_sizes(engine).await {
                        Ok(sizes) => sizes,
                        Err(err) => {
                            notes.push(format!(
                                "volume sizes unknown ({}): the free-space check cannot \
                                 count the volumes read through the engine",
                                err.message
                            ));
                            Default::default()
                        }
                    };
                    df_sizes = Some(sizes);
                }
                df_sizes
                    .as_ref()
                    .and_then(|s| s.get(&volume.name))
                    .copied()
                    .unwrap_or(0)
            }
        };
    }
    let mut images_estimate = 0;
    if options.images {
        for image in image_references(subject) {
            if let Ok(inspect) = engine.docker.inspect_image(&image).await {
                images_estimate += inspect.size.unwrap_or(0).max(0) as u64;
            }
        }
    }
    Ok(Plan {
        volumes,
        to_stop,
        databases,
        estimate: estimate + images_estimate,
        images_estimate,
        notes,
    })
}

/// Bytes of regular files under `path` (not following symlinks).
pub(crate) fn disk_usage(path: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                // Allocated bytes: a sparse file compresses to almost nothing.
                total += meta.len().min(meta.blocks() * 512);
            }
        }
    }
    total
}

fn image_references(subject: &Subject) -> Vec<String> {
    let mut images: Vec<String> = subject.containers.iter().map(|c| c.image.clone()).collect();
    images.sort();
    images.dedup();
    images
}

/// The plan, and the locks on the volumes of the containers it stops: one that started
/// since the backup's locks were taken may mount others than they cover.
async fn plan_and_lock(
    engine: &Engine,
    subject: &Subject,
    options: &BackupOptions,
    cancel: &Cancel,
) -> Result<(Plan, lock::Held)> {
    let plan = plan(engine, subject, options).await?;
    let held =
        lock::acquire_stopped(&engine.endpoint.host, &plan.to_stop, "backup", cancel).await?;
    Ok((plan, held))
}

/// Makes a backup of `subject`.
pub async fn create(
    engine: &Engine,
    subject: &Subject,
    options: &BackupOptions,
    cancel: &Cancel,
) -> Result<BackupOutcome> {
    let started = Instant::now();
    // A backup of some volumes (the safety backup of a restore or removal) is no backup
    // of a target: it locks only the volumes.
    let mut keys: Vec<lock::Key> = subject
        .volumes
        .keys()
        .map(|v| lock::Key::Volume(v.clone()))
        .collect();
    if subject.kind != "volumes" {
        keys.push(lock::Key::Target(subject.name.clone()));
    }
    let locks =
        crate::backup::journal::lock(engine, &keys, "backup", options.lock_wait, cancel).await?;
    // A safety backup keeps what is there before it goes (a guarded removal, which
    // settles it) or is replaced (a restore, which checked for itself).
    if options.purpose == manifest::BACKUP_PURPOSE {
        crate::backup::journal::refuse_unsettled(engine, &keys, "backup")?;
    }
    let created = SystemTime::now();
    // Nothing is stopped while planning: Ctrl-C may simply end it (sizes can take long
    // when the engine is busy computing another disk usage).
    let planning = async {
        tokio::select! {
            biased;
            why = cancel.cancelled() => {
                tracing::info!("{why} while planning");
                Err(Error::interrupted())
            }
            plan = plan_and_lock(engine, subject, options, cancel) => plan,
        }
    };
    // The repositories are opened and locked before anything is stopped (a wrong
    // password, an unreachable server or a restic prune under way fail here, everything
    // running), while the plan is made: deriving the key takes a quarter of a second,
    // and on S3 or SFTP restic's wait for a racing lock a fifth more. What the
    // snapshots need from them (the index, the parent) is read then too, so that the
    // containers are down only while the volumes are read.
    let opening = futures_util::future::join_all(options.repositories.iter().map(|target| {
        let volumes = subject.volumes.keys().cloned().collect();
        IntoRepository::open(
            target,
            (&subject.name, &engine.endpoint.host),
            volumes,
            options.lock_wait,
            cancel,
        )
    }));
    let (plan, opened) = tokio::join!(planning, opening);
    let failed = match &plan {
        Err(err) => Some(err.clone()),
        Ok(_) => opened.iter().find_map(|o| o.as_ref().err()).cloned(),
    };
    if let Some(err) = failed {
        // Releasing a lock is a request to the storage: not on this thread.
        let _ = tokio::task::spawn_blocking(move || drop(opened)).await;
        return Err(err);
    }
    let (plan, stopped_volumes) = plan?;
    let into = opened.into_iter().collect::<Result<Vec<_>>>()?;
    options
        .progress_total
        .store(plan.estimate, std::sync::atomic::Ordering::Relaxed);
    let workers = SnapshotWorkers::default();
    // The small files a snapshot holds are staged in the plain backup when there is one
    // (the snapshot's own manifest beside it), else in the state directory.
    let staging_root = match into.is_empty() {
        true => None,
        false => {
            let staging = crate::state::state_dir().join("staging");
            crate::state::create_private_dir(&staging).map_err(|e| {
                Error::preflight(format!("cannot create {}: {e}", staging.display()))
            })?;
            Some(staging)
        }
    };
    let plain_root = options
        .root
        .as_ref()
        .or(staging_root.as_ref())
        .ok_or_else(|| {
            Error::usage("a backup needs a plain directory or a repository to go into")
        })?;
    // The journal records each partial directory as soon as it exists: the next command
    // removes what a killed run left.
    let journal = Journal::open("backup", engine)?;
    let recorded = |partial: PartialBackup| match journal
        .update(|s| s.partial_dirs.push(partial.dir.clone()))
    {
        Ok(()) => Ok(partial),
        Err(err) => {
            partial.discard();
            Err(err)
        }
    };
    let partial = match PartialBackup::create(plain_root, &subject.name, created).and_then(recorded)
    {
        Ok(partial) => partial,
        Err(err) => {
            journal.close();
            return Err(err);
        }
    };
    let snapshot_staging = match (&options.root, &staging_root) {
        (Some(_), Some(staging)) => {
            match PartialBackup::create(staging, &subject.name, created).and_then(recorded) {
                Ok(staging) => Some(staging),
                Err(err) => {
                    partial.discard();
                    journal.close();
                    return Err(err);
                }
            }
        }
        _ => None,
    };
    let discard_partials = || {
        partial.discard();
        if let Some(staging) = &snapshot_staging {
            staging.discard();
        }
    };
    // A backup into repositories alone stages only the small files and the images.
    let staged_estimate = match options.root.is_some() {
        true => plan.estimate,
        false => plan.images_estimate,
    };
    if let Err(err) = check_space(plain_root, staged_estimate) {
        discard_partials();
        journal.close();
        return Err(err);
    }
    let since = StartedSince::default();
    let body = async {
        let staged = Staged {
            plain: options.root.is_some().then_some(&partial),
            snapshot: snapshot_staging.as_ref().unwrap_or(&partial),
        };
        build(
            engine, subject, options, &plan, &staged, &journal, created, cancel, &into, &workers,
            &since,
        )
        .await
    };
    let result = tokio::select! {
        biased;
        why = cancel.cancelled() => {
            tracing::info!("{why}: cleaning up");
            Err(Error::interrupted())
        }
        result = body => result,
    };
    // Ctrl-C after the last check still stops the backup: nothing is published yet.
    let result = match result {
        Ok(_) if cancel.reason().is_some() => Err(Error::interrupted()),
        result => result,
    };
    let (manifest, downtime_seconds) = match result {
        Ok(built) => built,
        Err(err) => {
            // The containers start again first: a snapshot still being written is
            // discarded whatever it reads from now on, and one waiting on a server that
            // stopped answering must not keep them down until its request times out.
            let restarted = quiesce::restart(engine, &journal, &since.with_planned(&plan)).await;
            if let Some(running) = workers.writer.lock().await.take() {
                let _ = running.await;
            }
            if let Some(running) = workers.reader.lock().await.take() {
                let _ = running.await;
            }
            workers.remove_helpers().await;
            let err = workers.discard_all(err).await;
            discard_partials();
            return Err(quiesce::said_restart(journal, restarted, err));
        }
    };
    // What was staged for the snapshots is in them now.
    if let Some(staging) = &snapshot_staging {
        staging.discard();
    }
    // The point of no return: everything is verified, and publishing is not interrupted.
    // The plain backup comes first: if it cannot be named, no snapshot is published.
    let plain = match &options.root {
        Some(_) => match partial.publish() {
            Ok(path) => Some(path),
            Err(e) => {
                partial.discard();
                let err = Error::failure(format!("cannot give the backup its final name: {e}"));
                let err = workers.discard_all(err).await;
                let stopped = since.with_planned(&plan);
                return Err(restart_after(engine, journal, &stopped, err).await);
            }
        },
        None => {
            partial.discard();
            None
        }
    };
    let sound = take_all(&workers.sound);
    // Under a lock lost meanwhile, a prune may have removed what a snapshot refers to.
    let lost = into.iter().find_map(IntoRepository::lock_lost);
    let (written, failed) = crate::storage::repository::blocking(move || {
        Ok(match lost {
            Some(err) => (Vec::new(), Some(discard_read_back(sound, err))),
            None => publish_all(sound),
        })
    })
    .await?;
    // Before anything else can fail: what is complete was made here.
    let recorded_here = record_made_here(plain.as_ref().map(|_| &manifest), &written);
    if let Some(mut err) = failed {
        let complete: Vec<String> = plain
            .iter()
            .map(|path| path.display().to_string())
            .chain(written.iter().map(|w| format!("{}#{}", w.location, w.id)))
            .collect();
        if !complete.is_empty() {
            err.message = format!(
                "{}\n(the backup is complete nevertheless in {})",
                err.message,
                complete.join(", ")
            );
        }
        let stopped = since.with_planned(&plan);
        return Err(restart_after(engine, journal, &stopped, err).await);
    }
    let mut manifest = manifest;
    if plain.is_none() {
        // The snapshot's manifest was sealed before its volumes were read.
        for volume in &mut manifest.volumes {
            if let Some(counted) = written[0].volumes.get(&volume.name) {
                volume.fingerprint = *counted;
            }
        }
    }
    let path = plain
        .unwrap_or_else(|| PathBuf::from(format!("{}#{}", written[0].location, written[0].id)));
    let left_stopped = if options.leave_stopped {
        journal.update(|s| s.partial_dirs.clear())?;
        Some(LeftStopped {
            journal,
            containers: since.with_planned(&plan),
        })
    } else {
        journal.close();
        // Its containers run again: what follows (retention, a forget that may wait
        // for the repository) needs the volumes no more, and a restart or another
        // backup of them need not wait for it.
        drop((locks, stopped_volumes, since));
        None
    };
    // The backup is complete: retention that fails is said, not a failure.
    let mut notes = plan.notes;
    if let Err(err) = recorded_here {
        notes.push(format!(
            "cannot record the backup as made on this host ({err}): restored into the \
             same volume, its special entries are left out unless --preserve-special"
        ));
    }
    let mut pruned = Vec::new();
    if let Some(root) = &options.root {
        let whose = (
            subject.kind.as_str(),
            subject.name.as_str(),
            engine.endpoint.host.as_str(),
        );
        match store::apply_retention(root, whose, options.retention, &path) {
            Ok(deleted) => pruned = deleted,
            Err(err) => notes.push(format!(
                "the backup is complete, but its older backups were not thinned: {}",
                err.message
            )),
        }
    }
    // Forgetting needs a repository alone: the backup's shared locks go first (released
    // on a blocking thread: it is a request to the storage).
    let _ = tokio::task::spawn_blocking(move || drop(into)).await;
    for (repository, written) in options.repositories.iter().zip(&written) {
        match forget(
            repository,
            (&subject.name, &subject.kind, &engine.endpoint.host),
            options.retention,
            Some(options.lock_wait.unwrap_or(FORGET_WAIT)),
            &written.id,
            cancel,
        )
        .await
        {
            Ok(forgotten) => pruned.extend(forgotten),
            Err(err) => notes.push(err.message),
        }
    }
    Ok(BackupOutcome {
        path,
        plain: options.root.is_some(),
        manifest,
        seconds: started.elapsed().as_secs_f64(),
        downtime_seconds,
        pruned,
        notes,
        left_stopped,
        snapshots: written,
    })
}

/// Records the plain backup sealed with the manifest `plain` and the snapshots
/// `written` as made on this host (see [`made_here`]).
fn record_made_here(
    plain: Option<&Manifest>,
    written: &[snapshot::Written],
) -> std::io::Result<()> {
    let mut made: Vec<String> = written.iter().map(|w| made_here::snapshot(&w.id)).collect();
    if let Some(manifest) = plain {
        made.push(store::sealed_identity(manifest)?);
    }
    made_here::record(&made)
}

/// Starts again what a failed backup stopped (a start that fails stays owed: the
/// journal, kept, lets the next command retry) and says so in `err`, with what it
/// started before (see [`quiesce::said_restart`]).
async fn restart_after(
    engine: &Engine,
    journal: Journal,
    stopped: &[Container],
    err: Error,
) -> Error {
    let restarted = quiesce::restart(engine, &journal, stopped).await;
    quiesce::said_restart(journal, restarted, err)
}

/// Where a backup's files are staged.
struct Staged<'a> {
    /// The plain backup being built, if one is.
    plain: Option<&'a PartialBackup>,
    /// The directory whose files are the snapshots' root (`manifest.json` and, without
    /// a plain backup, the small files): the plain backup's are taken from it.
    snapshot: &'a PartialBackup,
}

fn check_space(root: &Path, estimate: u64) -> Result<()> {
    let (free, _) = crate::state::free_space(root).map_err(|e| {
        Error::preflight(format!("cannot read free space of {}: {e}", root.display()))
    })?;
    let needed = crate::state::with_margin(estimate);
    if free < needed {
        return Err(Error::preflight(format!(
            "not enough space in {}: the backup may need up to {} (content size + 10%), {} is free",
            root.display(),
            crate::ui::table::human_bytes(needed),
            crate::ui::table::human_bytes(free)
        ))
        .hint("free space there or choose another directory with --to DIR"));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn build(
    engine: &Engine,
    subject: &Subject,
    options: &BackupOptions,
    plan: &Plan,
    staged: &Staged<'_>,
    journal: &Journal,
    created: SystemTime,
    cancel: &Cancel,
    into: &[IntoRepository],
    workers: &SnapshotWorkers,
    since: &StartedSince,
) -> Result<(Manifest, Option<f64>)> {
    // A volume a snapshot cannot read is found before anything is dumped or stopped.
    let mut volume_trees = Vec::new();
    if !into.is_empty() {
        super::digest_list::check_names(plan.volumes.iter().map(|(v, _)| v.name.as_str()))?;
        for (volume, external) in &plan.volumes {
            volume_trees.push(volume_tree(engine, volume, *external, &workers.helpers).await?);
        }
    }
    let small_files = staged.plain.unwrap_or(staged.snapshot);
    let mut artifacts: Vec<Artifact> = Vec::new();
    let mut dumps = Vec::new();
    for (container, kind) in &plan.databases {
        let (info, artifact) = dump::dump(engine, container, *kind, small_files, cancel).await?;
        dumps.push(info);
        artifacts.push(artifact);
    }
    let mut containers = Vec::new();
    for container in &subject.containers {
        let spec = engine.docker.inspect_container(&container.id, None).await?;
        if let Err(err) =
            crate::runmode::specs::save(&serde_json::to_value(&spec).expect("spec serializes"))
        {
            tracing::warn!("{err}");
        }
        let path = format!("containers/{}.json", container.name);
        artifacts.push(write_json(
            small_files,
            &path,
            ArtifactKind::ContainerSpec,
            &spec,
        )?);
        containers.push(ContainerInfo {
            name: container.name.clone(),
            id: container.id.clone(),
            image: container.image.clone(),
            service: container.service().map(str::to_string),
            spec: path,
        });
    }
    let mut compose_files = Vec::new();
    if let Some(files) = &subject.files {
        for (original, path) in compose_artifact_names(files) {
            let bytes = std::fs::read(&original)
                .map_err(|e| Error::failure(format!("cannot read {}: {e}", original.display())))?;
            artifacts.push(write_bytes(
                small_files,
                &path,
                ArtifactKind::ComposeFile,
                &bytes,
            )?);
            compose_files.push(ComposeFileInfo {
                original: original.display().to_string(),
                path,
            });
        }
    }
    // Images do not change when the containers stop: they are exported while running.
    let mut images = Vec::new();
    if options.images {
        let references = image_references(subject);
        if !references.is_empty() {
            let (artifact, infos) = export_images(engine, &references, small_files).await?;
            artifacts.push(artifact);
            images = infos;
        }
    }
    let to_stop = to_stop_now(engine, plan, options, since, cancel).await?;
    let stopping = Instant::now();
    let stopped = quiesce::stop(engine, journal, &to_stop, options.stop_timeout).await?;
    let quiesced: Vec<String> = stopped.iter().map(|c| c.name.clone()).collect();
    // How long the containers were down, when they started again before the snapshots
    // were finished.
    let mut early_downtime = None;
    let mut volumes = Vec::new();
    let small_artifacts = artifacts.clone();
    if let Some(partial) = staged.plain {
        for (volume, external) in &plan.volumes {
            let started = Instant::now();
            let captured = capture::capture_volume(
                engine,
                volume,
                *external,
                partial,
                options.level,
                cancel,
                options.progress.clone(),
            )
            .await?;
            tracing::info!(
                "captured volume {} ({} files, {} bytes) in {:.2}s",
                volume.name,
                captured.info.fingerprint.file_count,
                captured.info.fingerprint.total_bytes,
                started.elapsed().as_secs_f64()
            );
            volumes.push(captured.info);
            artifacts.extend(captured.artifacts);
        }
    }
    let snapshot_manifest = match into.is_empty() {
        true => None,
        false => {
            // The manifest goes into the snapshot with everything it describes.
            let (infos, trees): (Vec<_>, Vec<_>) = volume_trees.into_iter().unzip();
            let pieces = Pieces {
                artifacts: small_artifacts.clone(),
                volumes: infos,
                containers: containers.clone(),
                images: images.clone(),
                dumps: dumps.clone(),
                compose_files: compose_files.clone(),
                quiesced: quiesced.clone(),
            };
            let manifest =
                sealed_manifest(engine, subject, options, created, pieces, staged.snapshot).await?;
            let mut request = snapshot::Request {
                target: subject.name.clone(),
                kind: subject.kind.clone(),
                engine: engine.endpoint.host.clone(),
                safety: options.purpose != manifest::BACKUP_PURPOSE,
                trees: vec![snapshot::Tree {
                    root: snapshot::TreeRoot::Dir(staged.snapshot.dir.clone()),
                    at: PathBuf::new(),
                }],
            };
            if let Some(partial) = staged.plain {
                request
                    .trees
                    .extend(small_file_dirs(&small_artifacts).map(|dir| snapshot::Tree {
                        root: snapshot::TreeRoot::Dir(partial.dir.join(&dir)),
                        at: dir,
                    }));
            }
            request.trees.extend(trees);
            // The containers start again as soon as every volume is read, while the
            // snapshots are finished (the last packs, the trees, the index): on a
            // remote repository those last uploads would keep them down.
            let volumes_read = Arc::new(tokio::sync::Notify::new());
            let writing =
                write_snapshots(into, request, workers, cancel, Arc::clone(&volumes_read));
            tokio::pin!(writing);
            let written = tokio::select! {
                written = &mut writing => written,
                () = volumes_read.notified() => {
                    early_downtime =
                        Some(start_again(engine, journal, &stopped, stopping, options).await?);
                    writing.await
                }
            };
            workers.remove_helpers().await;
            written?;
            Some(manifest)
        }
    };
    // Every file is read: the containers need not wait for the verification, which
    // starts once they run: beside their start it made them start later (by 0.2 s of a
    // 1.3 s downtime on two cores), for a gain in wall time only.
    // (If they do not start, the error path discards the unpublished snapshots.)
    let downtime = match early_downtime {
        Some(downtime) => downtime,
        None => start_again(engine, journal, &stopped, stopping, options).await?,
    };
    let plain_manifest = match staged.plain {
        None => None,
        Some(partial) => {
            let pieces = Pieces {
                artifacts,
                volumes,
                containers,
                images,
                dumps,
                compose_files,
                quiesced,
            };
            let manifest =
                sealed_manifest(engine, subject, options, created, pieces, partial).await?;
            verify_plain(partial, cancel).await?;
            Some(manifest)
        }
    };
    if !into.is_empty() {
        read_back_all(workers, cancel).await?;
    }
    let manifest = plain_manifest
        .or(snapshot_manifest)
        .expect("a backup goes somewhere");
    Ok((manifest, downtime))
}

/// Starts again what the backup `stopped` at `stopping`, unless it is to be left
/// stopped: how long they were down.
async fn start_again(
    engine: &Engine,
    journal: &Journal,
    stopped: &[Container],
    stopping: Instant,
    options: &BackupOptions,
) -> Result<Option<f64>> {
    if options.leave_stopped {
        return Ok(None);
    }
    quiesce::restart(engine, journal, stopped).await?;
    Ok((!stopped.is_empty()).then(|| stopping.elapsed().as_secs_f64()))
}

/// Syncs the sealed plain backup in `partial` to disk and verifies all of it: a backup
/// that does not verify is an error (and is deleted by the caller).
async fn verify_plain(partial: &PartialBackup, cancel: &Cancel) -> Result<()> {
    let dir = partial.dir.clone();
    let worker_cancel = cancel.clone();
    let verify_started = Instant::now();
    crate::ui::progress::phase("syncing and verifying the backup");
    // Flushing to disk and reading back for verification overlap.
    let sync_dir = partial.dir.clone();
    let synced = tokio::task::spawn_blocking(move || store::sync_tree(&sync_dir));
    let report = tokio::task::spawn_blocking(move || {
        verify::verify(&dir, verify::Depth::JustWritten, &worker_cancel, None)
    })
    .await
    .map_err(|e| Error::failure(format!("verification worker failed: {e}")))??;
    synced
        .await
        .map_err(|e| Error::failure(format!("sync worker failed: {e}")))?
        .map_err(|e| write_error(partial, e))?;
    tracing::info!(
        "verified the new backup in {:.2}s",
        verify_started.elapsed().as_secs_f64()
    );
    if !report.problems.is_empty() {
        let mut err = report.into_result().expect_err("problems make an error");
        err.message = format!(
            "the new backup did not verify, so it was deleted: {}",
            err.message
        );
        return Err(err);
    }
    Ok(())
}

/// What a manifest is made of, besides the engine and the target.
struct Pieces {
    artifacts: Vec<Artifact>,
    volumes: Vec<VolumeInfo>,
    containers: Vec<ContainerInfo>,
    images: Vec<manifest::ImageInfo>,
    dumps: Vec<manifest::DumpInfo>,
    compose_files: Vec<ComposeFileInfo>,
    quiesced: Vec<String>,
}

/// The manifest of `pieces`, written into `partial` with its checksums.
async fn sealed_manifest(
    engine: &Engine,
    subject: &Subject,
    options: &BackupOptions,
    created: SystemTime,
    pieces: Pieces,
    partial: &PartialBackup,
) -> Result<Manifest> {
    let manifest = Manifest {
        format: manifest::FORMAT.to_string(),
        format_version: manifest::FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        created: crate::state::timestamp(created),
        purpose: options.purpose.clone(),
        engine: engine_info(engine).await,
        host: crate::state::hostname(),
        target: TargetInfo {
            kind: subject.kind.clone(),
            name: subject.name.clone(),
            mode: match subject.mode {
                Mode::Compose => "compose".into(),
                Mode::Run => "run".into(),
            },
        },
        quiesced: pieces.quiesced,
        artifacts: pieces.artifacts,
        volumes: pieces.volumes,
        containers: pieces.containers,
        images: pieces.images,
        dumps: pieces.dumps,
        compose_files: pieces.compose_files,
        audit_head: Some(crate::guard::audit::current_head(
            &crate::guard::audit::default_path(),
        )),
    };
    partial
        .seal(&manifest)
        .map_err(|e| write_error(partial, e))?;
    Ok(manifest)
}

/// Artifact names for compose and env files: `compose/<file name>`, numbered when two
/// files share a name.
fn compose_artifact_names(files: &ProjectFiles) -> Vec<(PathBuf, String)> {
    let mut originals: Vec<PathBuf> = files
        .files
        .iter()
        .chain(&files.env_files)
        .cloned()
        .collect();
    let dotenv = files.project_dir.join(".env");
    if dotenv.is_file() && !originals.contains(&dotenv) {
        originals.push(dotenv);
    }
    let mut used = BTreeSet::new();
    originals
        .into_iter()
        .map(|original| {
            // Only portable characters: a quote, a tab or a backslash in a file name
            // made every backup of the project fail its own manifest check.
            let base: String = original
                .file_name()
                .map(|n| {
                    n.to_string_lossy()
                        .chars()
                        .map(|c| match c.is_ascii_alphanumeric() || "._-".contains(c) {
                            true => c,
                            false => '_',
                        })
                        .collect()
                })
                .unwrap_or_else(|| "file".into());
            let base = if base.starts_with('.') {
                format!("_{base}")
            } else {
                base
            };
            let mut name = format!("compose/{base}");
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("compose/{n}-{base}");
                n += 1;
            }
            (original, name)
        })
        .collect()
}

async fn engine_info(engine: &Engine) -> EngineInfo {
    let info = engine.docker.info().await.ok();
    EngineInfo {
        host: engine.endpoint.host.clone(),
        context: engine.endpoint.context.clone(),
        version: engine.version.clone(),
        api_version: engine.api_version.clone(),
        name: info.as_ref().and_then(|i| i.name.clone()),
        os: info.as_ref().and_then(|i| i.operating_system.clone()),
        arch: info.as_ref().and_then(|i| i.architecture.clone()),
    }
}

/// `busybox` → `busybox:latest`; digests and tags stay as they are.
fn normalize_reference(reference: &str) -> String {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    if reference.contains('@') || last.contains(':') || reference.starts_with("sha256:") {
        reference.to_string()
    } else {
        format!("{reference}:latest")
    }
}

async fn export_images(
    engine: &Engine,
    references: &[String],
    partial: &PartialBackup,
) -> Result<(Artifact, Vec<ImageInfo>)> {
    let mut infos = Vec::new();
    for reference in references {
        let inspect = engine.docker.inspect_image(reference).await.map_err(|e| {
            Error::failure(format!(
                "image {reference} is not on the engine, cannot export it: {}",
                engine_message(&e)
            ))
        })?;
        infos.push(ImageInfo {
            reference: normalize_reference(reference),
            id: inspect.id.unwrap_or_default(),
        });
    }
    let path = manifest::images_path();
    let file = partial
        .create_file(path)
        .map_err(|e| write_error(partial, e))?;
    let mut hashing = HashingWriter::new(std::io::BufWriter::with_capacity(1 << 20, file));
    let names: Vec<&str> = infos.iter().map(|i| i.reference.as_str()).collect();
    let mut stream = engine.docker.export_images(&names);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| Error::failure(format!("image export failed: {}", engine_message(&e))))?;
        std::io::Write::write_all(&mut hashing, &chunk).map_err(|e| write_error(partial, e))?;
    }
    let (writer, sha256, size) = hashing.finish();
    let file = writer
        .into_inner()
        .map_err(|e| write_error(partial, e.into_error()))?;
    drop(file);
    Ok((
        Artifact {
            path: path.to_string(),
            kind: ArtifactKind::ImageArchive,
            size,
            sha256,
        },
        infos,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_get_their_implicit_tag() {
        assert_eq!(normalize_reference("busybox"), "busybox:latest");
        assert_eq!(
            normalize_reference("localhost:5000/app"),
            "localhost:5000/app:latest"
        );
        assert_eq!(normalize_reference("app:1.2"), "app:1.2");
        assert_eq!(normalize_reference("app@sha256:ab"), "app@sha256:ab");
    }

    #[test]
    fn compose_files_keep_distinct_names() {
        let files = ProjectFiles {
            files: vec![
                "/a/compose.yml".into(),
                "/b/compose.yml".into(),
                "/c/it's a\tnew\\one.yml".into(),
            ],
            project_dir: "/nonexistent".into(),
            env_files: vec!["/a/.env".into()],
            profiles: Vec::new(),
            name_flag: None,
        };
        let names: Vec<String> = compose_artifact_names(&files)
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(
            names,
            [
                "compose/compose.yml",
                "compose/2-compose.yml",
                "compose/it_s_a_new_one.yml",
                "compose/_.env"
            ]
        );
    }
}
