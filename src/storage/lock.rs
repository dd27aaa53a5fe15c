//! restic's repository locks, so that safeops and restic (or rustic) working on one
//! repository respect each other.
//!
//! rustic_core needs no locks for its own work (its prune deletes packs only a day after
//! it stopped indexing them), but `restic prune` deletes at once every pack no index
//! names, and a backup's packs are unindexed until its end: a backup therefore holds a
//! shared lock in `locks/`, which makes `restic prune` (exclusive) wait or refuse, and
//! honours an exclusive lock of restic's by waiting or refusing in turn; `--keep`'s
//! prune (which deletes at once too) holds an exclusive one. The format is restic's: an
//! encrypted JSON document named by the SHA-256 of its encrypted bytes, refreshed every
//! 5 minutes. As restic 0.14 does, every lock counts until it is removed: a stale one
//! (a run that crashed) is named as such, and `restic unlock` removes it. The one
//! exception is a lock this host's safeops wrote whose process is certainly gone (see
//! [`Record`]): a backup killed by a reboot or the OOM killer would otherwise keep every
//! later `--keep` out, and that is only a note.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aes256ctr_poly1305aes::Aes256CtrPoly1305Aes;
use rustic_core::jiff::Timestamp;
use rustic_core::repofile::MasterKey;

use super::backend::Storage;
use super::crypto::{self, cipher, seal_named};
use super::location::Repository;
use crate::cancel::Cancel;
use crate::error::{Error, Result};

/// How often restic refreshes a lock it holds, and so do we.
const REFRESH: Duration = Duration::from_secs(5 * 60);
/// A lock not refreshed for this long belongs to a process that is gone (restic's rule).
const STALE: Duration = Duration::from_secs(30 * 60);
/// How long to wait before looking again for a lock that raced ours (restic waits 200 ms).
const RACE: Duration = Duration::from_millis(200);

/// How long to wait at `location` before looking again for a lock that raced ours.
///
/// restic waits [`RACE`] everywhere, for storage whose listings show a new file only
/// after a while (some S3 servers). Where a file is listed as soon as its write
/// returns (this host's file system), looking again at once is as safe: of two runs
/// that each write their lock and then look, the one that looks last sees the other's
/// lock, whoever waited. S3 and SFTP keep the wait: an SFTP server may stand in front
/// of storage that lags, and over a network the reads done meanwhile take most of it.
fn race_wait(location: &Repository) -> Duration {
    match location {
        Repository::S3 { .. } | Repository::Sftp { .. } => RACE,
        Repository::Local(_) => Duration::ZERO,
    }
}

/// Which lock: a backup shares the repository, a prune needs it alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Others may read and add; no one may delete.
    Shared,
    /// No one else may work on the repository.
    Exclusive,
}

/// A lock file, as restic writes and reads it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct LockFile {
    time: String,
    exclusive: bool,
    hostname: String,
    #[serde(default)]
    username: String,
    pid: i64,
    /// restic leaves it out when it is 0 (root), as Go's `omitempty` does.
    #[serde(default)]
    uid: u32,
    #[serde(default)]
    gid: u32,
}

/// What this host keeps of each lock its safeops writes, in the state directory under
/// the lock's name: the lock's process, told apart beyond restic's host name and pid.
/// Only a lock recorded here is ever judged certainly stale, so another machine's
/// locks (a clone with this host's name and machine id included) and restic's never
/// are; the record is removed with the lock.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Record {
    pid: i64,
    /// `/proc/self/ns/pid` of the process, e.g. `pid:[4026531836]`: its pid means
    /// nothing in another namespace.
    pid_namespace: String,
    /// The process's start, in clock ticks since boot (`/proc/PID/stat`): a later
    /// process with the same pid has another.
    started: u64,
}

/// The start of process `pid` in clock ticks since boot, when it can be read.
fn started(pid: i64) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name, which may hold anything, in parentheses: the state is
    // the 3rd field, the start time the 22nd.
    let (_, fields) = stat.rsplit_once(')')?;
    fields.split_whitespace().nth(19)?.parse().ok()
}

fn pid_namespace() -> Option<String> {
    std::fs::read_link("/proc/self/ns/pid")
        .ok()
        .map(|link| link.to_string_lossy().into_owned())
}

impl Record {
    fn this_process() -> Option<Record> {
        let pid = i64::from(std::process::id());
        Some(Record {
            pid,
            pid_namespace: pid_namespace()?,
            started: started(pid)?,
        })
    }

    /// Whether its process certainly no longer runs: in this pid namespace, no process
    /// has its pid, or one that started at another time. A process that cannot be
    /// looked at (another user's, under `hidepid`) counts as running.
    fn process_gone(&self) -> bool {
        if pid_namespace().as_ref() != Some(&self.pid_namespace) {
            return false;
        }
        let Some(pid) = i32::try_from(self.pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        match rustix::process::test_kill_process(pid) {
            Err(rustix::io::Errno::SRCH) => true,
            _ => started(self.pid).is_some_and(|at| at != self.started),
        }
    }
}

/// The records of the locks this host's safeops holds or left (see [`Record`]).
fn records() -> std::path::PathBuf {
    crate::state::state_dir().join("repository-locks")
}

/// Records lock `name` as this process's; best effort: an unrecorded lock is only
/// never judged certainly stale.
fn record(name: &str) {
    let Some(record) = Record::this_process() else {
        return;
    };
    let dir = records();
    let written = crate::state::create_private_dir(&dir).and_then(|()| {
        std::fs::write(
            dir.join(name),
            serde_json::to_vec(&record).expect("a record serializes"),
        )
    });
    if let Err(err) = written {
        tracing::debug!("cannot record the repository lock {name}: {err}");
    }
}

fn forget_record(name: &str) {
    let _ = std::fs::remove_file(records().join(name));
}

/// Whether lock `name` (holding `lock`) is one this host's safeops wrote and whose
/// process is certainly gone.
fn left_by_a_dead_run(name: &str, lock: &LockFile) -> bool {
    let Ok(bytes) = std::fs::read(records().join(name)) else {
        return false;
    };
    serde_json::from_slice::<Record>(&bytes).is_ok_and(|record| {
        record.pid == lock.pid && lock.hostname == crate::state::hostname() && record.process_gone()
    })
}

impl LockFile {
    fn ours(kind: Kind) -> LockFile {
        LockFile {
            time: Timestamp::now().to_string(),
            exclusive: kind == Kind::Exclusive,
            hostname: crate::state::hostname(),
            username: std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_default(),
            pid: i64::from(std::process::id()),
            uid: rustix::process::getuid().as_raw(),
            gid: rustix::process::getgid().as_raw(),
        }
    }

    /// What `restic unlock` would remove: not refreshed for 30 minutes, or its process
    /// on this host is gone. Only said, never acted on: a process in another pid
    /// namespace with this host's name, or a clock running ahead, would be misjudged.
    fn looks_stale(&self) -> bool {
        let age = self
            .time
            .parse::<Timestamp>()
            .ok()
            .and_then(|t| Duration::try_from(Timestamp::now().duration_since(t)).ok());
        let old = age.is_some_and(|age| age > STALE);
        let gone = self.hostname == crate::state::hostname()
            && !std::path::Path::new(&format!("/proc/{}", self.pid)).exists();
        old || gone
    }

    fn describe(&self) -> String {
        // restic leaves the user name out when it cannot tell it.
        let user = match self.username.as_str() {
            "" => format!("uid {}", self.uid),
            name => format!("user {name}"),
        };
        format!(
            "{} lock of pid {} on {} ({user}) since {}{}",
            if self.exclusive { "an exclusive" } else { "a" },
            self.pid,
            self.hostname,
            self.time,
            if self.looks_stale() {
                " (it looks stale: `restic unlock` removes it)"
            } else {
                ""
            }
        )
    }
}

/// The lock in an encrypted lock file, or `None` when it is not one.
fn open(cipher: &Aes256CtrPoly1305Aes, sealed: &[u8]) -> Option<LockFile> {
    let plain = crypto::open(cipher, sealed)?;
    // Repository format 2 may compress it: a leading 2 and zstd.
    let json = match plain.split_first() {
        Some((2, compressed)) => zstd::decode_all(compressed).ok()?,
        _ => plain,
    };
    serde_json::from_slice(&json).ok()
}

/// A lock this process holds; refreshed in the background, removed when dropped.
#[derive(Debug)]
pub struct Held {
    stop: Option<mpsc::Sender<()>>,
    refresher: Option<std::thread::JoinHandle<()>>,
    lost: Arc<Mutex<Option<String>>>,
    fresh_at: Arc<Mutex<Instant>>,
}

impl Held {
    /// Why the lock can no longer be trusted to keep others out, if it cannot: it was
    /// removed (`restic unlock`), or could not be refreshed for so long that others
    /// take it for stale and may have pruned what this operation still needs. What is
    /// written under it must not be published, as restic gives up then too.
    pub fn lost(&self) -> Option<String> {
        let seen = self.lost.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // Also between two turns of the refresher (one stuck in retries takes long).
        let since_fresh = self
            .fresh_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed();
        seen.or_else(|| verdict(true, false, since_fresh))
    }
}

/// What the refresher learns at its turn about the lock it holds: `None` while it
/// still keeps others out. `listed`: whether the lock file is still there; `refreshed`:
/// whether writing the fresh one worked; `since_fresh`: how long ago the last one was
/// written.
fn verdict(listed: bool, refreshed: bool, since_fresh: Duration) -> Option<String> {
    if !listed {
        return Some(
            "its lock was removed from the repository meanwhile (by `restic unlock`?)".into(),
        );
    }
    // Stale to others once it is older than STALE: given up on before, with a turn
    // to spare.
    (!refreshed && since_fresh + REFRESH >= STALE).then(|| {
        format!(
            "its lock could not be refreshed for {} minutes: others may take it for stale",
            since_fresh.as_secs() / 60
        )
    })
}

impl Drop for Held {
    fn drop(&mut self) {
        // The refresher removes the lock as it ends: a thread of its own, so that the
        // blocking storage is never called from an async task.
        drop(self.stop.take());
        if let Some(refresher) = self.refresher.take() {
            let _ = refresher.join();
        }
    }
}

/// The locks of others that keep a lock of `kind` out, described.
fn conflicts(
    storage: &Storage,
    cipher: &Aes256CtrPoly1305Aes,
    kind: Kind,
    ours: Option<&str>,
) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for name in storage
        .lock_names()
        .map_err(|e| Error::preflight(e.display_log()))?
    {
        if Some(name.as_str()) == ours {
            continue;
        }
        let sealed = match storage
            .read_lock(&name)
            .map_err(|e| Error::preflight(e.display_log()))?
        {
            // Removed meanwhile.
            None => continue,
            // As for restic: an empty file is what a crash while writing a lock leaves.
            Some(sealed) if sealed.is_empty() => continue,
            Some(sealed) => sealed,
        };
        // Like restic, every lock counts until someone removes it, and one that cannot
        // be read keeps everyone out: it might be an exclusive one.
        match open(cipher, &sealed) {
            Some(lock) if left_by_a_dead_run(&name, &lock) => {
                // Two runs may both remove it: the second finds it gone.
                match remove(storage, &name) {
                    Ok(()) => {
                        crate::say!(
                            "note: removed the lock a safeops run that is gone left in the \
                             repository ({})",
                            lock.describe()
                        );
                    }
                    Err(e) => tracing::debug!("cannot remove a lock left: {}", e.display_log()),
                }
            }
            Some(lock) if lock.exclusive || kind == Kind::Exclusive => {
                found.push(lock.describe());
            }
            Some(_) => {}
            None => found.push(format!(
                "a lock file that does not open with this repository's key (locks/{name}; \
                 once nothing else uses the repository, `restic unlock --remove-all` removes \
                 it)"
            )),
        }
    }
    Ok(found)
}

/// Writes a fresh lock file of `kind`, returning its name; recorded first (see
/// [`Record`]), so that a run killed right after leaves no lock unrecorded.
fn write(storage: &Storage, cipher: &Aes256CtrPoly1305Aes, kind: Kind) -> Result<String> {
    let json = serde_json::to_vec(&LockFile::ours(kind)).expect("a lock serializes");
    let (name, sealed) = seal_named(cipher, &json)?;
    record(&name);
    storage.write_lock(&name, sealed).map_err(|e| {
        forget_record(&name);
        Error::preflight(e.display_log())
    })?;
    Ok(name)
}

/// Removes this process's lock `name`, and its record once it is gone.
fn remove(storage: &Storage, name: &str) -> rustic_core::RusticResult<()> {
    storage.remove_lock(name)?;
    forget_record(name);
    Ok(())
}

/// Locks the repository at `location` (opened with `key`) for `kind`, waiting up to
/// `wait` for the locks of others. Blocks: call it from `spawn_blocking`.
pub fn acquire(
    location: &Repository,
    key: &MasterKey,
    kind: Kind,
    wait: Option<Duration>,
    cancel: &Cancel,
) -> Result<Held> {
    acquire_reading(location, key, kind, wait, cancel, || Ok(())).map(|(held, _)| held)
}

/// [`acquire`], running `read` between writing the lock and looking for one that raced
/// it (see [`race_wait`]), and returning what it read (`None` when it failed) along
/// with the lock.
///
/// `read` must only read, and what it read may predate a prune that finished before the
/// lock was confirmed: the caller checks that it is still current before using it, and
/// reads again under the lock when it is not (see `snapshot::Prepared::current`). A
/// retry (with `wait`) runs it again.
pub fn acquire_reading<T>(
    location: &Repository,
    key: &MasterKey,
    kind: Kind,
    wait: Option<Duration>,
    cancel: &Cancel,
    mut read: impl FnMut() -> Result<T>,
) -> Result<(Held, Option<T>)> {
    let storage = Arc::new(Storage::new(location)?);
    let cipher = cipher(key);
    let started = Instant::now();
    let mut told = false;
    let (name, read, written) = loop {
        if cancel.reason().is_some() {
            return Err(Error::interrupted());
        }
        let mut found = conflicts(&storage, &cipher, kind, None)?;
        if found.is_empty() {
            // Its age counts from before it is written, as its time stamp does.
            let written = Instant::now();
            let name = write(&storage, &cipher, kind)?;
            let read = read()
                .inspect_err(|e| tracing::debug!("read while locking: {}", e.message))
                .ok();
            // Someone may have locked at the same moment: look again, as restic does.
            std::thread::sleep(race_wait(location).saturating_sub(written.elapsed()));
            found = conflicts(&storage, &cipher, kind, Some(&name)).inspect_err(|_| {
                // Not confirmed: nothing would refresh it or remove it, and it would
                // lock out every other host until `restic unlock`.
                let _ = remove(&storage, &name);
            })?;
            if found.is_empty() {
                break (name, read, written);
            }
            let _ = remove(&storage, &name);
        }
        if wait.is_none_or(|w| started.elapsed() >= w) {
            return Err(Error::preflight(format!(
                "the repository {location} is locked: {}",
                found.join("; ")
            ))
            .hint(
                "wait for it to finish, or pass --wait-lock SECONDS to wait here; a lock \
                 left by a run that crashed stays until `restic unlock` removes it",
            ));
        }
        if !told {
            crate::say!(
                "{}",
                crate::redact::text(&format!(
                    "note: waiting for the repository {location}: {}",
                    found[0]
                ))
            );
            told = true;
        }
        for _ in 0..10 {
            if cancel.reason().is_some() {
                return Err(Error::interrupted());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let (stop, stopped) = mpsc::channel::<()>();
    let lost = Arc::new(Mutex::new(None));
    let lost_seen = lost.clone();
    let fresh_at = Arc::new(Mutex::new(written));
    let refreshed_at = fresh_at.clone();
    let refresher = std::thread::spawn(move || {
        let mut name = name;
        // Ends when the sender is dropped: the lock is released.
        while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(REFRESH) {
            // A listing that fails says nothing: the write below tells.
            let listed = storage
                .lock_names()
                .map_or(true, |names| names.contains(&name));
            let writing = Instant::now();
            let refreshed = listed
                && match write(&storage, &cipher, kind) {
                    Ok(fresh) => {
                        *refreshed_at.lock().unwrap_or_else(|e| e.into_inner()) = writing;
                        let _ = remove(&storage, &name);
                        name = fresh;
                        true
                    }
                    Err(err) => {
                        tracing::warn!("cannot refresh the repository lock: {}", err.message);
                        false
                    }
                };
            let since_fresh = refreshed_at
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .elapsed();
            if let Some(why) = verdict(listed, refreshed, since_fresh) {
                tracing::warn!("{why}");
                *lost_seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
                break;
            }
        }
        if let Err(err) = remove(&storage, &name) {
            tracing::warn!("cannot remove the repository lock: {}", err.display_log());
        }
    });
    let held = Held {
        stop: Some(stop),
        refresher: Some(refresher),
        lost,
        fresh_at,
    };
    Ok((held, read))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> MasterKey {
        MasterKey::new()
    }

    #[test]
    fn a_sealed_lock_opens_with_its_key_only() {
        let key = key();
        let lock = LockFile::ours(Kind::Exclusive);
        let sealed = crypto::seal(&cipher(&key), &serde_json::to_vec(&lock).unwrap()).unwrap();
        let opened = open(&cipher(&key), &sealed).expect("opens");
        assert!(opened.exclusive);
        assert_eq!(opened.pid, i64::from(std::process::id()));
        assert!(open(&cipher(&MasterKey::new()), &sealed).is_none());
        assert!(open(&cipher(&key), b"short").is_none());
    }

    #[test]
    fn a_lock_removed_or_not_refreshed_before_it_goes_stale_is_lost() {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        assert_eq!(verdict(true, true, Duration::ZERO), None);
        assert_eq!(verdict(true, false, minutes(10)), None, "a blip");
        assert!(
            verdict(true, false, minutes(25)).is_some(),
            "stale at the next turn"
        );
        assert!(verdict(false, false, Duration::ZERO).is_some(), "unlocked");
    }

    #[test]
    fn staleness_is_told_as_restic_unlock_judges_it() {
        let mut lock = LockFile::ours(Kind::Shared);
        assert!(!lock.looks_stale(), "ours, fresh, our process alive");
        lock.time = (Timestamp::now() + Duration::from_secs(120)).to_string();
        assert!(!lock.looks_stale(), "a clock ahead is not staleness");
        lock.time = (Timestamp::now() - Duration::from_secs(31 * 60)).to_string();
        assert!(lock.looks_stale(), "not refreshed for 31 minutes");
        assert!(lock.describe().contains("restic unlock"));
        lock.username = String::new();
        lock.uid = 1000;
        assert!(
            lock.describe().contains("(uid 1000)"),
            "{}",
            lock.describe()
        );
        lock.username = "backup".into();
        assert!(
            lock.describe().contains("(user backup)"),
            "{}",
            lock.describe()
        );
        let mut gone = LockFile::ours(Kind::Shared);
        gone.pid = i64::from(i32::MAX);
        assert!(gone.looks_stale(), "its process on this host is gone");
        gone.hostname = "elsewhere".into();
        assert!(
            !gone.looks_stale(),
            "another host's process cannot be checked"
        );
    }

    /// Points this test process's state directory (the locks' records) at a new
    /// temporary directory, kept for the test's duration.
    fn own_state_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        // SAFETY: nextest runs each test in a process of its own, and this runs before
        // the test starts any thread.
        unsafe { std::env::set_var("XDG_STATE_HOME", dir.path()) };
        dir
    }

    /// The pid of a process that ran and is gone.
    fn gone_pid() -> i64 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        child.wait().unwrap();
        i64::from(child.id())
    }

    /// A record of lock `name` as if process `pid`, started at `started`, wrote it.
    fn recorded(name: &str, pid: i64, started: u64) {
        let record = Record {
            pid,
            pid_namespace: pid_namespace().unwrap(),
            started,
        };
        crate::state::create_private_dir(&records()).unwrap();
        std::fs::write(records().join(name), serde_json::to_vec(&record).unwrap()).unwrap();
    }

    #[test]
    fn only_a_lock_recorded_here_whose_process_is_gone_was_left_by_a_dead_run() {
        let _state = own_state_dir();
        let ours = LockFile::ours(Kind::Shared);
        record("running");
        assert!(!left_by_a_dead_run("running", &ours), "our process runs");
        forget_record("running");
        assert!(!records().join("running").exists());
        let me = Record::this_process().unwrap();
        let gone = gone_pid();
        let with_pid = |pid: i64| {
            let mut lock = LockFile::ours(Kind::Shared);
            lock.pid = pid;
            lock
        };
        recorded("gone", gone, 1);
        assert!(
            left_by_a_dead_run("gone", &with_pid(gone)),
            "its process is gone"
        );
        recorded("reused", me.pid, me.started + 1);
        assert!(
            left_by_a_dead_run("reused", &ours),
            "another process has its pid now"
        );
        // Not recorded here (another machine's, a clone's, restic's): never.
        assert!(!left_by_a_dead_run("unrecorded", &with_pid(gone)));
        let mut elsewhere = with_pid(gone);
        elsewhere.hostname = "elsewhere".into();
        assert!(!left_by_a_dead_run("gone", &elsewhere));
        assert!(
            !left_by_a_dead_run("gone", &with_pid(gone + 1)),
            "another pid"
        );
        let other_namespace = Record {
            pid: gone,
            pid_namespace: "pid:[1]".into(),
            started: 1,
        };
        std::fs::write(
            records().join("other-namespace"),
            serde_json::to_vec(&other_namespace).unwrap(),
        )
        .unwrap();
        assert!(!left_by_a_dead_run("other-namespace", &with_pid(gone)));
    }

    /// A new local repository in `dir` and its key (inside a runtime, for the storage).
    fn local_repository(dir: &std::path::Path) -> (Repository, MasterKey) {
        let (location, password) = super::super::repository::testing::local(dir);
        let key = super::super::repository::open(&location, &password)
            .unwrap()
            .key();
        (location, key)
    }

    #[test]
    fn exclusive_locks_taken_at_the_same_moment_on_local_storage_never_overlap() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let _state = own_state_dir();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _entered = runtime.enter();
        let dir = tempfile::tempdir().unwrap();
        let (location, key) = local_repository(dir.path());
        assert_eq!(
            race_wait(&location),
            Duration::ZERO,
            "no wait to race through"
        );
        let (_trigger, cancel) = crate::cancel::pair();
        let (holding, overlaps, held) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        let runs = 4;
        let start = std::sync::Barrier::new(runs);
        std::thread::scope(|scope| {
            for run in 0..runs {
                let (runtime, start, holding, overlaps, held) =
                    (&runtime, &start, &holding, &overlaps, &held);
                let (location, key, cancel) = (&location, &key, &cancel);
                scope.spawn(move || {
                    let _entered = runtime.enter();
                    for round in 0..20_u64 {
                        start.wait();
                        // Every other round all start at once; the others a few
                        // milliseconds apart, so that someone gets the lock.
                        if round % 2 == 1 {
                            std::thread::sleep(Duration::from_millis(run as u64 * 15));
                        }
                        if let Ok(lock) = acquire(location, key, Kind::Exclusive, None, cancel) {
                            held.fetch_add(1, Ordering::SeqCst);
                            if holding.fetch_add(1, Ordering::SeqCst) > 0 {
                                overlaps.fetch_add(1, Ordering::SeqCst);
                            }
                            std::thread::sleep(Duration::from_millis(20));
                            holding.fetch_sub(1, Ordering::SeqCst);
                            drop(lock);
                        }
                    }
                });
            }
        });
        assert_eq!(overlaps.load(Ordering::SeqCst), 0, "two held it at once");
        assert!(held.load(Ordering::SeqCst) > 0, "someone got it");
    }

    #[test]
    fn a_lock_our_run_left_behind_goes_and_restics_stays() {
        let _state = own_state_dir();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _entered = runtime.enter();
        let dir = tempfile::tempdir().unwrap();
        let (location, key) = local_repository(dir.path());
        let storage = Storage::new(&location).unwrap();
        let left = |ours: bool| {
            let mut lock = LockFile::ours(Kind::Shared);
            lock.pid = gone_pid();
            let (name, sealed) =
                seal_named(&cipher(&key), &serde_json::to_vec(&lock).unwrap()).unwrap();
            storage.write_lock(&name, sealed).unwrap();
            if ours {
                recorded(&name, lock.pid, 1);
            }
            name
        };
        let (_trigger, cancel) = crate::cancel::pair();
        let ours = left(true);
        let held = acquire(&location, &key, Kind::Exclusive, None, &cancel).unwrap();
        assert!(
            storage.read_lock(&ours).unwrap().is_none(),
            "ours is removed"
        );
        assert!(!records().join(&ours).exists(), "and its record");
        drop(held);
        assert_eq!(
            std::fs::read_dir(records()).unwrap().count(),
            0,
            "released, unrecorded"
        );
        left(false);
        let refused = acquire(&location, &key, Kind::Exclusive, None, &cancel).unwrap_err();
        assert!(
            refused.message.contains("looks stale"),
            "{}",
            refused.message
        );
    }
}
