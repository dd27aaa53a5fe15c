//! The recovery journal: what an operation has stopped or half-written, on disk before
//! it happens, so that when the process dies (crash, SIGKILL, power loss) the *next*
//! invocation of any verb restarts what was stopped and deletes what was half-written,
//! and says what it did.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bollard::query_parameters::ListContainersOptionsBuilder;
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::engine::endpoint::same_engine;
use crate::engine::volume_access::{LABEL_HELPER_PID, remove_helper};
use crate::error::{Error, Result};

/// What one running operation has done that must be undone if it dies.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JournalState {
    /// The process.
    pub pid: u32,
    /// The verb, e.g. `backup`.
    pub verb: String,
    /// The engine it works on.
    pub engine_host: String,
    /// When it started (RFC 3339).
    pub started: String,
    /// Containers it stopped and has not restarted yet: (id, name).
    pub stopped: Vec<(String, String)>,
    /// The seconds those containers were given to stop: a stop the engine was still
    /// carrying out when the process died may land that much later.
    #[serde(default)]
    pub stop_timeout: i32,
    /// Directories it is writing that are not complete (partial backups, staging).
    pub partial_dirs: Vec<PathBuf>,
    /// A restore's switch under way: finished or undone before anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switch: Option<super::local::Switch>,
    /// A restore's switch through the engine, staged or under way: settled before
    /// anything else too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_switch: Option<super::api_switch::ApiSwitch>,
    /// A volume a restore created and has not filled to the end: removed, so that no
    /// `compose up` uses it as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filling: Option<String>,
    /// The value of [`LABEL_RESTORED_BY`] that volume was created with: recovery removes
    /// that volume only, never one made again under its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filling_label: Option<String>,
    /// A container was found using that volume: what it wrote may matter, so it is
    /// left to the user (and the volume is not worked on until they decide).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub filling_used: bool,
}

/// The label a restore puts on a volume it creates, naming that restore: recovery
/// removes a volume the restore did not fill only when it carries the restore's own.
pub const LABEL_RESTORED_BY: &str = "io.safeops.restored-by";

impl JournalState {
    /// The volumes whose content it leaves unsettled until it is recovered: one being
    /// switched, one holding staged files, one created and not filled.
    fn unsettled_volumes(&self) -> impl Iterator<Item = &str> {
        self.switch
            .iter()
            .map(|switch| switch.volume.as_str())
            .chain(self.api_switch.iter().map(|switch| switch.volume.as_str()))
            .chain(self.filling.as_deref())
    }
}

/// The journal of this process.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    state: Mutex<JournalState>,
    /// Held (shared) by every stop the engine is still carrying out: an interrupted
    /// operation must let those finish before it starts the containers again, or the
    /// engine's stop lands after the start and leaves them stopped.
    stops_in_flight: std::sync::Arc<tokio::sync::RwLock<()>>,
    /// The containers this operation started again, in order, whichever part of it did.
    restarted: Mutex<Vec<String>>,
}

/// `$XDG_STATE_HOME/docker-safeops/journal`.
pub fn journal_dir() -> PathBuf {
    crate::state::state_dir().join("journal")
}

impl Journal {
    /// Opens this process's journal for `verb` on `engine`.
    pub fn open(verb: &str, engine: &Engine) -> Result<Journal> {
        let dir = journal_dir();
        crate::state::create_private_dir(&dir).map_err(|err| {
            Error::preflight(format!(
                "cannot create the recovery journal directory {}: {err}",
                dir.display()
            ))
            .hint("set XDG_STATE_HOME to a writable directory")
        })?;
        let journal = Journal {
            // One file per operation: a restore runs a backup inside itself.
            path: dir.join(format!(
                "{}-{verb}-{}.json",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
            )),
            stops_in_flight: Default::default(),
            restarted: Mutex::default(),
            state: Mutex::new(JournalState {
                pid: std::process::id(),
                verb: verb.to_string(),
                engine_host: engine.endpoint.host.clone(),
                started: crate::state::now(),
                ..JournalState::default()
            }),
        };
        journal.update(|_| {})?;
        Ok(journal)
    }

    /// What names this operation among all: the value of [`LABEL_RESTORED_BY`] on a
    /// volume it creates.
    pub fn id(&self) -> String {
        self.path
            .file_stem()
            .map_or_else(String::new, |stem| stem.to_string_lossy().into_owned())
    }

    /// Leaves what `owed` records to the next safeops command, in a journal of its own
    /// that is never closed: it is settled once this process is gone.
    pub fn owe(verb: &str, engine: &Engine, owed: impl FnOnce(&mut JournalState)) -> Result<()> {
        Journal::open(verb, engine)?.update(owed)
    }

    /// Changes the state and writes it durably before returning.
    pub fn update(&self, change: impl FnOnce(&mut JournalState)) -> Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut state);
        save(&self.path, &state).map_err(|err| {
            Error::failure(format!(
                "cannot write the recovery journal {}: {err}",
                self.path.display()
            ))
        })
    }

    /// Records that the stopped container `id`, `name`, runs again.
    pub fn started_again(&self, id: &str, name: &str) -> Result<()> {
        self.restarted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(name.to_string());
        self.update(|s| s.stopped.retain(|(i, _)| i != id))
    }

    /// The containers this operation started again so far, in order.
    pub fn restarted(&self) -> Vec<String> {
        self.restarted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The containers stopped and not yet restarted.
    pub fn stopped(&self) -> Vec<(String, String)> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stopped
            .clone()
    }

    /// A restore's switch is recorded as under way.
    pub fn has_switch(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.switch.is_some() || state.api_switch.as_ref().is_some_and(|s| s.switching)
    }

    /// The switch through the engine recorded, staged or under way.
    pub fn api_switch(&self) -> Option<super::api_switch::ApiSwitch> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .api_switch
            .clone()
    }

    /// The gate every in-flight stop holds (see [`Journal::settle`]).
    pub fn stops_in_flight(&self) -> std::sync::Arc<tokio::sync::RwLock<()>> {
        self.stops_in_flight.clone()
    }

    /// Waits (up to `patience`) until no stop this operation asked for is still being
    /// carried out by the engine.
    pub async fn settle(&self, patience: std::time::Duration) {
        if tokio::time::timeout(patience, self.stops_in_flight.write())
            .await
            .is_err()
        {
            tracing::warn!("a container stop was still running after {patience:?}");
        }
    }

    /// Removes the journal: everything is back in order.
    pub fn close(self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Writes `state` to the journal file at `path`, durably and private to us.
fn save(path: &Path, state: &JournalState) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(state).expect("journal serializes");
    crate::state::write_private(path, &json)
}

fn process_alive(pid: u32) -> bool {
    let Some(pid) = rustix::process::Pid::from_raw(pid as i32) else {
        return false;
    };
    // EPERM: it runs, as another user.
    if let Err(err) = rustix::process::test_kill_process(pid)
        && err != rustix::io::Errno::PERM
    {
        return false;
    }
    // A recycled pid belongs to some other program.
    fs::read(format!("/proc/{}/cmdline", pid.as_raw_nonzero()))
        .map(|cmdline| String::from_utf8_lossy(&cmdline).contains("safeops"))
        .unwrap_or(true)
}

/// Finishes the recovery of operations whose process died, on this engine: restarts
/// the containers they stopped, deletes what they half-wrote, removes their helper
/// containers. Returns what it did, one line each, for the user.
pub async fn recover(engine: &Engine) -> Vec<String> {
    recover_where(engine, |pid| !process_alive(pid)).await
}

/// Finishes, as [`recover`] does for a process that died, the operations of this
/// process: after a panic (a bug) unwound out of them, before it exits, so that what
/// they stopped does not stay down until the next command.
pub async fn recover_own(engine: &Engine) -> Vec<String> {
    let own = std::process::id();
    recover_where(engine, |pid| pid == own).await
}

/// Removes this process's helper containers (an operation cut short by Ctrl-C leaves
/// them): what was removed.
pub async fn remove_own_helpers(engine: &Engine) -> Vec<String> {
    let own = std::process::id();
    remove_orphan_helpers(engine, |pid| pid == own).await.0
}

/// Finishes the operations on this engine whose process `ended` says is gone.
async fn recover_where(engine: &Engine, ended: impl Fn(u32) -> bool) -> Vec<String> {
    let mut done = Vec::new();
    // One recoverer at a time: two commands started together must not both undo the
    // same switch or restart the same containers, and the second must not go on while
    // the first is still settling what it will then touch. The lock is on a file that
    // is never replaced (journals are rewritten by rename); journals are read after it.
    let _recovering = match recovery_lock().await {
        Ok(lock) => lock,
        Err(err) => {
            done.push(format!("cannot check for interrupted operations: {err}"));
            return done;
        }
    };
    // A dead restore's helper may still be running its switch: gone before recovery
    // runs it again.
    let (removed, remaining) = remove_orphan_helpers(engine, &ended).await;
    done.extend(removed);
    for (path, state) in journals() {
        if !ended(state.pid) || !same_engine(&state.engine_host, &engine.endpoint.host) {
            continue;
        }
        // Two switch scripts in one volume at once would undo each other's moves.
        let helper_left = remaining.as_ref().is_none_or(|r| r.contains(&state.pid));
        let (messages, finished) = recover_one(engine, &path, state, helper_left).await;
        done.extend(messages);
        if finished {
            let _ = fs::remove_file(&path);
        }
    }
    done
}

/// The operations whose process died before they were finished, on any engine, with
/// their journals: what the next command connected to their engine recovers.
pub fn interrupted() -> Vec<(PathBuf, JournalState)> {
    journals()
        .filter(|(_, state)| state.pid != std::process::id() && !process_alive(state.pid))
        .collect()
}

/// The journals on disk that can be read, with their paths.
fn journals() -> impl Iterator<Item = (PathBuf, JournalState)> {
    fs::read_dir(journal_dir())
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter_map(|path| {
            let state = serde_json::from_slice::<JournalState>(&fs::read(&path).ok()?).ok()?;
            Some((path, state))
        })
}

/// The first of `volumes` whose content another operation on this engine left
/// unsettled, with that operation's journal and whether its process still runs. One
/// that died and whose recovery could not finish it, or one still exiting after a
/// failure it left to the next command: either has let go of its locks.
fn unsettled(engine: &Engine, volumes: &[&str]) -> Option<(String, PathBuf, bool)> {
    let own = std::process::id();
    journals()
        .filter(|(_, state)| {
            same_engine(&state.engine_host, &engine.endpoint.host) && state.pid != own
        })
        .find_map(|(path, state)| {
            let volume = state
                .unsettled_volumes()
                .find(|volume| volumes.contains(volume))?
                .to_string();
            Some((volume, path, process_alive(state.pid)))
        })
}

/// Refuses (exit 5) when another operation left one of `keys`' volumes half-done and
/// it is not settled yet (see [`unsettled`]): the `verb` would read or replace content
/// half restored. Called with the locks held, after their recovery.
pub fn refuse_unsettled(engine: &Engine, keys: &[super::lock::Key], verb: &str) -> Result<()> {
    let volumes: Vec<&str> = keys.iter().filter_map(super::lock::Key::volume).collect();
    let Some((volume, journal, alive)) = unsettled(engine, &volumes) else {
        return Ok(());
    };
    let (why, hint) = match alive {
        true => (
            "an operation that failed and is still exiting left it to the next command",
            "run the command again in a moment".to_string(),
        ),
        false => (
            "the recovery of an interrupted operation did not finish it (see the note above)",
            format!(
                "settle what the note names and run the command again; to give up on the \
                 interrupted operation and take the volume as it is, remove {} (what it \
                 stopped then stays stopped, and what it moved aside stays in the volume's \
                 .safeops-* directory)",
                journal.display()
            ),
        ),
    };
    Err(Error::preflight(format!(
        "volume {volume} is left half-done: {why}; the {verb} would work on it as it is"
    ))
    .hint(hint))
}

/// Takes the locks on `keys` and on the other volumes of the running containers that
/// mount them (see [`super::lock::through_containers`]), then settles whatever an
/// operation that held them and died left behind (a half-done switch, stopped
/// containers): a command that waited for a lock must not work on what its holder
/// left half-done.
pub async fn lock(
    engine: &Engine,
    keys: &[super::lock::Key],
    verb: &str,
    wait: Option<std::time::Duration>,
    cancel: &crate::cancel::Cancel,
) -> Result<super::lock::Held> {
    let containers = crate::engine::inventory::containers(engine).await?;
    let also = super::lock::through_containers(keys, &containers, verb);
    let held =
        super::lock::acquire_explained(&engine.endpoint.host, keys, &also, verb, wait, cancel)
            .await?;
    for line in recover(engine).await {
        crate::say!("note: {line}");
    }
    Ok(held)
}

/// [`lock`], for a `verb` that reads, replaces or starts containers on `keys`' volumes,
/// which then refuses one that another operation left half-done (see
/// [`refuse_unsettled`]).
pub async fn lock_settled(
    engine: &Engine,
    keys: &[super::lock::Key],
    verb: &str,
    wait: Option<std::time::Duration>,
    cancel: &crate::cancel::Cancel,
) -> Result<super::lock::Held> {
    let held = lock(engine, keys, verb, wait, cancel).await?;
    refuse_unsettled(engine, keys, verb)?;
    Ok(held)
}

/// Takes the recovery lock, waiting for another recoverer (polled, so the wait is
/// bounded: a recovery waits at most for the stops it settles).
async fn recovery_lock() -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = journal_dir();
    crate::state::create_private_dir(&dir)?;
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(dir.join(".recover.lock"))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(900);
    loop {
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(file),
            Err(rustix::io::Errno::WOULDBLOCK) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

/// Waits while `id` still runs, up to the stop timeout and a margin: the process that
/// died may have asked the engine to stop it, and a start before that stop lands would
/// be undone by it. A container that was recorded but never asked to stop just runs on.
async fn settle_stop(engine: &Engine, id: &str, stop_timeout: i32) {
    let running = engine
        .docker
        .inspect_container(id, None)
        .await
        .ok()
        .and_then(|c| c.state?.running)
        .unwrap_or(false);
    if !running {
        return;
    }
    crate::say!(
        "note: waiting up to {}s for a stop an interrupted operation asked for to finish",
        stop_timeout.max(0) + 5
    );
    let patience =
        std::time::Duration::from_secs(u64::try_from(stop_timeout.max(0)).unwrap_or(0) + 5);
    let options = bollard::query_parameters::WaitContainerOptionsBuilder::default()
        .condition("not-running")
        .build();
    let mut waiting = engine.docker.wait_container(id, Some(options));
    let _ = tokio::time::timeout(patience, futures_util::StreamExt::next(&mut waiting)).await;
}

/// Undoes or finishes what `state`, the journal at `path`, records. False when
/// something could not be settled and the journal must stay for the next attempt. With
/// `helper_left`, a helper container of its process may still run (it could not be
/// removed, or not be listed): a switch through the engine waits for the next command.
async fn recover_one(
    engine: &Engine,
    path: &Path,
    mut state: JournalState,
    helper_left: bool,
) -> (Vec<String>, bool) {
    let mut done = Vec::new();
    let what = format!(
        "recovered an interrupted `{}` (pid {}, started {})",
        state.verb, state.pid, state.started
    );
    // Before the containers start again: they must see all the old content or all the
    // new, never a mix.
    if let Some(mut switch) = state.switch.clone() {
        let volume = switch.volume_root.display().to_string();
        // Recovery records its phases too: a crash during it is recovered next time.
        let mut record = |now: &super::local::Switch| {
            state.switch = Some(now.clone());
            save(path, &state)
        };
        match switch.recover(&mut record) {
            Ok(how) => done.push(format!("{what}: volume at {volume}: {how}")),
            Err(err) => {
                // Nothing of it is deleted: the old content may be all there is.
                done.push(format!(
                "{what}: volume at {volume}: cannot finish switching the restored files ({err}); \
                 its old content is in {}; nothing was started or deleted",
                    switch.aside
                ));
                return (done, false);
            }
        }
    }
    let mut staged_left = false;
    if let Some(switch) = state.api_switch.clone() {
        let volume = &switch.volume;
        let recovered = match helper_left {
            true => Err("a helper container of it is still there".to_string()),
            false => switch.recover(engine).await.map_err(|e| e.message),
        };
        match recovered {
            Ok(how) => {
                done.push(format!("{what}: volume {volume}: {how}"));
                state.api_switch = None;
                if let Err(err) = save(path, &state) {
                    done.push(format!(
                        "{what}: cannot update its journal {}: {err}",
                        path.display()
                    ));
                    return (done, false);
                }
            }
            Err(why) if switch.switching => {
                let stopped: Vec<&str> = state.stopped.iter().map(|(_, n)| n.as_str()).collect();
                done.push(format!(
                    "{what}: volume {volume}: cannot finish switching the restored files \
                     into place ({why}); nothing was started, the next command tries again \
                     (to give up, remove {} and start {} by hand)",
                    path.display(),
                    stopped.join(", ")
                ));
                return (done, false);
            }
            // The volume is as it was: only the staged files are left.
            Err(why) => {
                done.push(format!(
                    "{what}: volume {volume}: cannot remove the files it had staged yet \
                     ({why}); the next command tries again"
                ));
                staged_left = true;
            }
        }
    }
    let unremoved = match state.filling.take() {
        Some(volume) => {
            let unfilled = Unfilled {
                volume: &volume,
                label: state.filling_label.as_deref(),
                used: state.filling_used,
            };
            match unfilled.remove(engine).await {
                Ok(how) => {
                    done.push(format!(
                        "{what}: volume {volume}, which it had created: {how}"
                    ));
                    None
                }
                Err(UnfilledLeft::Used(by)) => {
                    state.filling_used = true;
                    done.push(format!(
                        "{what}: volume {volume}, which it had created and not filled to the \
                         end, was used by {by} since: safeops leaves it to you (and works on \
                         it no more until then). Remove it with `docker volume rm {volume}` \
                         once nothing needs what it holds, or keep it as it is by removing {}",
                        path.display()
                    ));
                    Some(volume)
                }
                Err(UnfilledLeft::Failed(why)) => {
                    done.push(format!(
                        "{what}: volume {volume}, which it had created, is not complete and \
                         could not be removed ({why}); the next command tries again, or \
                         remove it with `docker volume rm {volume}` before anything uses it"
                    ));
                    Some(volume)
                }
            }
        }
        None => None,
    };
    let mut restarted = Vec::new();
    let mut gone = Vec::new();
    let mut failed = Vec::new();
    // Stopped dependents first: started in the reverse order, what they join (`--network
    // container:X`) runs before them.
    for (id, name) in state.stopped.iter().rev() {
        // Not under a live operation on its volumes (a backup that found it stopped
        // reads them quiesced): that one's end is the time to start it.
        let _volumes = match lock_volumes_of(engine, id).await {
            Ok(held) => held,
            Err(busy) => {
                failed.push(((id.clone(), name.clone()), busy));
                continue;
            }
        };
        settle_stop(engine, id, state.stop_timeout).await;
        match engine.docker.start_container(id, None).await {
            Ok(()) => restarted.push(name.clone()),
            Err(err) if crate::error::engine_message(&err).contains("already started") => {}
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304, ..
            }) => {}
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => gone.push(name.clone()),
            Err(err) => failed.push((
                (id.clone(), name.clone()),
                crate::error::engine_message(&err),
            )),
        }
    }
    if !restarted.is_empty() {
        done.push(format!("{what}: restarted {}", restarted.join(", ")));
    }
    if !gone.is_empty() {
        done.push(format!(
            "{what}: {} no longer exist(s): nothing to restart",
            gone.join(", ")
        ));
    }
    let mut undeleted = Vec::new();
    for dir in &state.partial_dirs {
        if !dir.exists() {
            continue;
        }
        if crate::backup::store::remove_tree(dir) {
            done.push(format!("{what}: deleted the incomplete {}", dir.display()));
        } else {
            done.push(format!(
                "{what}: cannot delete the incomplete {} yet; the next command tries again",
                dir.display()
            ));
            undeleted.push(dir.clone());
        }
    }
    if failed.is_empty() && unremoved.is_none() && !staged_left && undeleted.is_empty() {
        return (done, true);
    }
    if !failed.is_empty() {
        let said: Vec<String> = failed
            .iter()
            .map(|((_, name), why)| format!("{name} ({why})"))
            .collect();
        done.push(format!(
            "{what}: could not restart {}; the next command tries again (to give up, remove {})",
            said.join(", "),
            path.display()
        ));
    }
    // Only those stay owed: one started here and stopped by hand later is left alone,
    // and the switch, settled above, is not recovered again.
    state.stopped = failed
        .into_iter()
        .rev()
        .map(|(container, _)| container)
        .collect();
    state.partial_dirs = undeleted;
    state.switch = None;
    state.filling = unremoved;
    if let Err(err) = save(path, &state) {
        done.push(format!(
            "{what}: cannot update its journal {}: {err}",
            path.display()
        ));
    }
    (done, false)
}

/// Takes, without waiting, the locks on the volumes container `id` mounts: why not,
/// when another operation holds one.
async fn lock_volumes_of(
    engine: &Engine,
    id: &str,
) -> std::result::Result<super::lock::Held, String> {
    let doc = engine
        .get_raw_json(&format!("/containers/{id}/json"))
        .await
        .unwrap_or_default();
    let volumes: Vec<super::lock::Key> = crate::engine::inventory::volumes_in_spec(&doc)
        .map(|name| super::lock::Key::Volume(name.to_string()))
        .collect();
    let (_, never) = crate::cancel::pair();
    super::lock::acquire(&engine.endpoint.host, &volumes, "restart", None, &never)
        .await
        .map_err(|busy| busy.message)
}

/// A volume a restore created and did not fill to the end.
struct Unfilled<'a> {
    volume: &'a str,
    /// The restore's [`LABEL_RESTORED_BY`] (none in journals of older versions).
    label: Option<&'a str>,
    /// Already found in use by a container.
    used: bool,
}

/// Why an unfilled volume stays.
enum UnfilledLeft {
    /// Containers (named) use or used it: the user decides.
    Used(String),
    /// The engine refused to remove it.
    Failed(String),
}

impl Unfilled<'_> {
    /// Removes the volume when it is still the one the restore created and no
    /// container has used it: what was done, for the user.
    async fn remove(&self, engine: &Engine) -> std::result::Result<&'static str, UnfilledLeft> {
        let volume = self.volume;
        let found = match engine.docker.inspect_volume(volume).await {
            Ok(found) => found,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok("gone already"),
            Err(err) => return Err(UnfilledLeft::Failed(crate::error::engine_message(&err))),
        };
        if let Some(label) = self.label
            && found.labels.get(LABEL_RESTORED_BY).map(String::as_str) != Some(label)
        {
            return Ok("made again since under its name: left alone");
        }
        let users = containers_using(engine, volume)
            .await
            .map_err(UnfilledLeft::Failed)?;
        if !users.is_empty() {
            return Err(UnfilledLeft::Used(users.join(", ")));
        }
        if self.used {
            return Err(UnfilledLeft::Used("a container".into()));
        }
        match engine
            .docker
            .remove_volume(
                volume,
                None::<bollard::query_parameters::RemoveVolumeOptions>,
            )
            .await
        {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok("removed, not filled to the end"),
            Err(err) => Err(UnfilledLeft::Failed(crate::error::engine_message(&err))),
        }
    }
}

/// The containers, running or not, that mount `volume`, by name.
async fn containers_using(
    engine: &Engine,
    volume: &str,
) -> std::result::Result<Vec<String>, String> {
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&std::collections::HashMap::from([("volume", vec![volume])]))
        .build();
    let found = engine
        .docker
        .list_containers(Some(options))
        .await
        .map_err(|err| crate::error::engine_message(&err))?;
    Ok(found
        .into_iter()
        .filter_map(|c| {
            c.names?
                .first()
                .map(|n| n.trim_start_matches('/').to_string())
        })
        .collect())
}

/// Removes the helper containers of the processes `ended` says are gone.
/// What was removed, and the processes whose helpers are still there (`None`: they
/// could not be listed).
async fn remove_orphan_helpers(
    engine: &Engine,
    ended: impl Fn(u32) -> bool,
) -> (Vec<String>, Option<std::collections::HashSet<u32>>) {
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&std::collections::HashMap::from([(
            "label",
            vec![LABEL_HELPER_PID],
        )]))
        .build();
    let Ok(helpers) = engine.docker.list_containers(Some(options)).await else {
        return (Vec::new(), None);
    };
    let mut done = Vec::new();
    let mut remaining = std::collections::HashSet::new();
    for helper in helpers {
        let pid = helper
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_HELPER_PID))
            .and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !ended(pid)) {
            continue;
        }
        if let Some(id) = helper.id {
            match remove_helper(engine, &id).await {
                Ok(true) => done.push(format!(
                    "removed a leftover helper container {}",
                    &id[..12.min(id.len())]
                )),
                Ok(false) => {}
                Err(why) => {
                    tracing::warn!("cannot remove leftover helper container {id}: {why}");
                    remaining.extend(pid);
                }
            }
        }
    }
    (done, Some(remaining))
}
