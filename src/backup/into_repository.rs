//! The repository side of a backup: the repositories opened and locked before anything
//! stops, the snapshots written while the containers are stopped (volumes read directly
//! or streamed through helper containers), read back, published all or none, and the
//! target's older snapshots forgotten. `create` drives it; the workers are kept where an
//! interrupted backup can wait for them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::manifest::{Artifact, VolumeInfo};
use super::snapshot;
use super::store;
use super::streamed::EngineTree;
use crate::cancel::Cancel;
use crate::engine::Engine;
use crate::engine::volume_access::{self, Access, Helper};
use crate::error::{Error, Result};
use crate::storage::location::Repository;
use crate::storage::repository::Password;

/// A repository a backup goes into, with its password.
#[derive(Debug, Clone)]
pub struct RepositoryTarget {
    /// Where it is.
    pub location: Repository,
    /// Its password.
    pub password: Password,
}

/// Publishes the snapshots read back, in `--to` order. At the first that fails the
/// others are discarded: returns those published and the error.
pub(super) fn publish_all(
    sound: Vec<(snapshot::Pending, u64)>,
) -> (Vec<snapshot::Written>, Option<Error>) {
    let mut written = Vec::new();
    let mut rest = sound.into_iter();
    while let Some((pending, verified_bytes)) = rest.next() {
        match snapshot::publish(pending, verified_bytes) {
            Ok(done) => written.push(done),
            Err(err) => return (written, Some(discard_read_back(rest.collect(), err))),
        }
    }
    (written, None)
}

/// A blocking worker kept where an interrupted backup can wait for it.
pub(super) type KeptWorker<T> = tokio::sync::Mutex<Option<tokio::task::JoinHandle<Result<T>>>>;

/// Runs `work` on a blocking thread kept in `slot` until it is done.
pub(super) async fn run_kept<T: Send + 'static>(
    slot: &KeptWorker<T>,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let mut slot = slot.lock().await;
    let joined = slot.insert(tokio::task::spawn_blocking(work)).await;
    *slot = None;
    joined.map_err(|e| Error::failure(format!("snapshot worker failed: {e}")))?
}

/// Removes the unpublished snapshots in `pending` after `err`.
pub(super) fn discard_all(pending: &std::sync::Mutex<Vec<snapshot::Pending>>, err: Error) -> Error {
    take_all(pending).into_iter().fold(err, |e, p| p.discard(e))
}

/// Everything in `slot`, which is left empty (also after a worker panicked holding it).
pub(super) fn take_all<T>(slot: &std::sync::Mutex<Vec<T>>) -> Vec<T> {
    std::mem::take(&mut *slot.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Removes the snapshots read back but not published in `sound` after `err`.
pub(super) fn discard_sound(
    sound: &std::sync::Mutex<Vec<(snapshot::Pending, u64)>>,
    err: Error,
) -> Error {
    discard_read_back(take_all(sound), err)
}

/// Removes the snapshots read back but not published, `sound`, after `err`.
pub(super) fn discard_read_back(sound: Vec<(snapshot::Pending, u64)>, err: Error) -> Error {
    sound.into_iter().fold(err, |e, (p, _)| p.discard(e))
}

/// `--keep`/`--keep-days` in a repository: the target's snapshots they do not keep
/// forgotten and what only those used pruned, under the repository's exclusive lock,
/// after the new snapshot (`protect`) was written and verified.
pub(super) async fn forget(
    repository: &RepositoryTarget,
    (target, kind, engine): (&str, &str, &str),
    retention: store::Retention,
    wait: Option<std::time::Duration>,
    protect: &str,
    cancel: &Cancel,
) -> Result<Vec<PathBuf>> {
    if retention.keep.is_none() && retention.keep_days.is_none() {
        return Ok(Vec::new());
    }
    crate::ui::progress::phase(&format!(
        "forgetting old snapshots in {}",
        repository.location
    ));
    let (repository, target, kind, engine, protect) = (
        repository.clone(),
        target.to_string(),
        kind.to_string(),
        engine.to_string(),
        protect.to_string(),
    );
    let cancel = cancel.clone();
    let forgotten = crate::storage::repository::blocking(move || {
        let (repo, _lock) = crate::storage::repository::open_locked(
            &repository.location,
            &repository.password,
            crate::storage::lock::Kind::Exclusive,
            wait,
            &cancel,
        )?;
        let ids = snapshot::forget(
            &repository.location,
            repo,
            (&target, &kind, &engine),
            retention,
            &protect,
            &cancel,
        )?;
        Ok(ids
            .into_iter()
            .map(|id| PathBuf::from(format!("{}#{id}", repository.location)))
            .collect())
    })
    .await;
    forgotten.map_err(|mut err| {
        err.message = format!(
            "the backup is complete, but forgetting old snapshots failed: {}",
            err.message
        );
        err
    })
}

/// A repository a backup writes its snapshot into, open and locked (shared, as
/// restic's backups do) for as long as the backup runs, with what the snapshot needs
/// from it read before anything stops.
pub(super) struct IntoRepository {
    location: Repository,
    prepared: std::sync::Mutex<Option<snapshot::Prepared>>,
    lock: crate::storage::lock::Held,
}

impl IntoRepository {
    /// Why the snapshot written under this repository's lock must not be published
    /// (see [`Held::lost`](crate::storage::lock::Held::lost)), if it must not.
    pub(super) fn lock_lost(&self) -> Option<Error> {
        self.lock.lost().map(|why| {
            Error::failure(format!(
                "not publishing the snapshot in {}: {why}",
                self.location
            ))
            .hint("check that no `restic unlock`/`prune` ran meanwhile, then back up again")
        })
    }
}

/// The threads writing the snapshots and reading them back, kept where an interrupted
/// backup can wait for them, and the snapshots not yet published.
#[derive(Default)]
pub(super) struct SnapshotWorkers {
    pub(super) writer: KeptWorker<()>,
    /// The snapshots written and not yet read back.
    pending: Arc<std::sync::Mutex<Vec<snapshot::Pending>>>,
    pub(super) reader: KeptWorker<()>,
    /// The snapshots read back, with the bytes read, not yet published.
    pub(super) sound: Arc<std::sync::Mutex<Vec<(snapshot::Pending, u64)>>>,
    /// The helper containers the volumes read through the engine are streamed from.
    pub(super) helpers: tokio::sync::Mutex<Vec<Helper>>,
}

impl SnapshotWorkers {
    /// Removes the helper containers.
    pub(super) async fn remove_helpers(&self) {
        for helper in std::mem::take(&mut *self.helpers.lock().await) {
            helper.remove().await;
        }
    }

    /// Removes every unpublished snapshot after `err` (on a blocking thread: these are
    /// requests to the storage).
    pub(super) async fn discard_all(&self, err: Error) -> Error {
        let pending = Arc::clone(&self.pending);
        let sound = Arc::clone(&self.sound);
        let message = err.message.clone();
        let discarded =
            tokio::task::spawn_blocking(move || discard_sound(&sound, discard_all(&pending, err)));
        discarded.await.unwrap_or_else(|join| {
            Error::failure(format!("{message}\n(snapshot cleanup failed: {join})"))
        })
    }
}

impl IntoRepository {
    /// Opens and locks the repository of `target` for a backup of the target `name`
    /// (its `volumes`, on the engine at `engine`), and reads what the snapshot needs
    /// from there: between writing the lock and confirming it, when that reading is
    /// still current once the lock is confirmed, else again.
    pub(super) async fn open(
        target: &RepositoryTarget,
        (name, engine): (&str, &str),
        volumes: Vec<String>,
        wait: Option<std::time::Duration>,
        cancel: &Cancel,
    ) -> Result<IntoRepository> {
        let target = target.clone();
        let location = target.location.clone();
        let (name, engine) = (name.to_string(), engine.to_string());
        let cancel = cancel.clone();
        let (prepared, lock) = crate::storage::repository::blocking(move || {
            let at = &target.location;
            let (repo, lock, early) = crate::storage::repository::open_locked_reading(
                at,
                &target.password,
                crate::storage::lock::Kind::Shared,
                wait,
                &cancel,
                |key| {
                    let repo = crate::storage::repository::open_with_key(at, key.clone())?;
                    snapshot::prepare(repo, at, (&name, &engine), &volumes)
                },
            )?;
            let mut prepared = match early {
                Some(early) if early.current(at)? => early,
                _ => snapshot::prepare(repo, at, (&name, &engine), &volumes)?,
            };
            if cancel.reason().is_some() {
                return Err(Error::interrupted());
            }
            prepared.forget_abandoned(at, &name);
            Ok((prepared, lock))
        })
        .await?;
        Ok(IntoRepository {
            location,
            prepared: std::sync::Mutex::new(Some(prepared)),
            lock,
        })
    }
}

/// The directories of the plain backup holding `artifacts` (`containers`, `dumps`...),
/// which a snapshot written beside it takes from there.
pub(super) fn small_file_dirs(artifacts: &[Artifact]) -> impl Iterator<Item = PathBuf> {
    let dirs: BTreeSet<PathBuf> = artifacts
        .iter()
        .filter_map(|artifact| {
            // Every small file is written in a directory of its kind.
            let mut components = Path::new(&artifact.path).components();
            let top = components.next()?;
            components.next().map(|_| PathBuf::from(top.as_os_str()))
        })
        .collect();
    dirs.into_iter()
}

/// Writes the snapshot of `request` into every repository of `into`, unpublished: one
/// snapshot of the same content everywhere, or none. `volumes_read` is notified once
/// the last snapshot has read every volume, while it is still being finished.
pub(super) async fn write_snapshots(
    into: &[IntoRepository],
    request: snapshot::Request,
    workers: &SnapshotWorkers,
    cancel: &Cancel,
    volumes_read: Arc<tokio::sync::Notify>,
) -> Result<()> {
    let repos: Vec<_> = into
        .iter()
        .map(|into| {
            let prepared = into
                .prepared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            (
                into.location.clone(),
                prepared.expect("one snapshot per backup"),
            )
        })
        .collect();
    let worker_cancel = cancel.clone();
    let shared = Arc::clone(&workers.pending);
    let last = repos.len().saturating_sub(1);
    run_kept(&workers.writer, move || {
        for (index, (location, prepared)) in repos.into_iter().enumerate() {
            crate::ui::progress::phase(&format!("writing the snapshot to {location}"));
            // Each snapshot reads the volumes anew: they are read once the last has.
            let on_volumes_read: snapshot::OnVolumesRead = match index == last {
                true => {
                    let volumes_read = Arc::clone(&volumes_read);
                    Box::new(move || volumes_read.notify_one())
                }
                false => Box::new(|| ()),
            };
            match snapshot::write(
                &location,
                prepared,
                &request,
                &worker_cancel,
                on_volumes_read,
            ) {
                Ok(written) => shared
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(written),
                Err(err) => return Err(discard_all(&shared, err)),
            }
        }
        Ok(())
    })
    .await
}

/// Reads back what the pending snapshots added: all of them sound, or none kept.
pub(super) async fn read_back_all(workers: &SnapshotWorkers, cancel: &Cancel) -> Result<()> {
    let pending = take_all(&workers.pending);
    let sound = Arc::clone(&workers.sound);
    let worker_cancel = cancel.clone();
    run_kept(&workers.reader, move || {
        let mut pending = pending.into_iter();
        while let Some(next) = pending.next() {
            crate::ui::progress::phase(&format!(
                "reading back what the snapshot added to {}",
                next.location()
            ));
            match snapshot::read_back(next, &worker_cancel) {
                Ok(checked) => sound
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(checked),
                Err(err) => {
                    let err = pending.fold(err, |e, p| p.discard(e));
                    return Err(discard_sound(&sound, err));
                }
            }
        }
        Ok(())
    })
    .await
}

/// A volume as a tree of a snapshot (`volumes/<name>/`): read directly on this host,
/// else streamed through helper containers, each put in `helpers` as soon as it exists
/// (to be removed once the snapshots are written, or the backup failed).
pub(super) async fn volume_tree(
    engine: &Engine,
    volume: &bollard::models::Volume,
    external: bool,
    helpers: &tokio::sync::Mutex<Vec<Helper>>,
) -> Result<(VolumeInfo, snapshot::Tree)> {
    let name = volume.name.clone();
    let access = volume_access::choose(engine, volume, false)?;
    let at = format!("volumes/{name}");
    let info = VolumeInfo {
        name: name.clone(),
        driver: volume.driver.clone(),
        driver_opts: volume.options.clone().into_iter().collect(),
        labels: volume.labels.clone().into_iter().collect(),
        external,
        archive: format!("{at}/"),
        file_list: super::digest_list::path_of(&name),
        fingerprint: Default::default(),
        access: access.label().to_string(),
        created_at: volume.created_at.clone(),
        changed_while_read: Vec::new(),
    };
    let root = match access {
        Access::Direct(mountpoint) => snapshot::TreeRoot::Dir(mountpoint),
        Access::Api => {
            let streamer = Helper::create(engine, &name, true).await?;
            let streaming = streamer.downloader();
            helpers.lock().await.push(streamer);
            let fetcher = Helper::create(engine, &name, true).await?;
            let fetching = fetcher.downloader();
            helpers.lock().await.push(fetcher);
            let spill = crate::state::state_dir().join("staging");
            snapshot::TreeRoot::Engine(Arc::new(EngineTree::new(name, streaming, fetching, spill)))
        }
    };
    let tree = snapshot::Tree {
        root,
        at: PathBuf::from(at),
    };
    Ok((info, tree))
}
