//! Locks per volume and per target, so that two operations never work on one volume at
//! once: a backup taken while a restore switches files would hold half of each, and two
//! restores would interleave. Backup, restore, `down -v` and `volume rm` take them.
//!
//! They are `flock` locks on files in `/run/lock/docker-safeops`, a directory root
//! creates 0755 (so root's shells and cron jobs, whatever their state directory, share
//! them), or in the caller's state directory when that one is not root's own (another
//! user, or a directory someone else planted: `/run/lock` is world-writable). Lock
//! files are opened without following symlinks and must be ours. The kernel drops them when the process dies,
//! SIGKILL included, so a crash never leaves a stale lock. A lock file names its holder
//! (pid, verb, start time) for the message the next operation shows. Locks are
//! re-entrant within one process: a restore's safety backup takes the restore's own
//! volumes again.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::cancel::Cancel;
use crate::engine::inventory::Container;
use crate::error::{Error, Result};

/// Keys this process holds now.
static HELD: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// What a lock protects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// A volume, by name.
    Volume(String),
    /// A backup target (project or container), by name.
    Target(String),
}

impl Key {
    /// The volume's name, for a volume.
    pub fn volume(&self) -> Option<&str> {
        match self {
            Key::Volume(name) => Some(name),
            Key::Target(_) => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Key::Volume(name) => format!("volume {name}"),
            Key::Target(name) => format!("target {name}"),
        }
    }

    /// The lock file's name: the key, and the engine it belongs to (two engines may
    /// have volumes of the same name; two spellings of one socket are one engine).
    fn file_name(&self, engine_host: &str) -> String {
        let engine = crate::engine::endpoint::engine_identity(engine_host);
        let engine = hex::encode(&Sha256::digest(engine.as_bytes())[..6]);
        let (kind, name) = match self {
            Key::Volume(name) => ("volume", name),
            Key::Target(name) => ("target", name),
        };
        // Names are Docker names (checked before they get here), but a lock must never
        // be a way out of its directory: anything else is hashed.
        let name = if crate::engine::names::is_valid(name) {
            name.clone()
        } else {
            hex::encode(Sha256::digest(name.as_bytes()))
        };
        format!("{kind}-{name}-{engine}.lock")
    }
}

/// Locks held until dropped.
#[derive(Debug)]
pub struct Held {
    files: Vec<(String, File)>,
}

impl Drop for Held {
    fn drop(&mut self) {
        // Unwinding from a panic: the process starts again what it stopped and puts
        // back what it half-switched before it exits (`journal::recover_own`); until
        // then, no other command may take what it was working on.
        if std::thread::panicking() {
            std::mem::forget(std::mem::take(&mut self.files));
            return;
        }
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = held.as_mut() {
            for (id, _) in &self.files {
                held.remove(id);
            }
        }
    }
}

/// The directory of lock files: the shared one when we are root and it is root's own
/// real directory that nobody else may write, else our state directory.
fn lock_dir() -> PathBuf {
    let shared = PathBuf::from("/run/lock/docker-safeops");
    let root = rustix::process::geteuid().is_root();
    if root {
        let _ = std::fs::DirBuilder::new().mode(0o755).create(&shared);
    }
    let trusted = rustix::fs::lstat(&shared).is_ok_and(|st| {
        rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory
            && st.st_uid == 0
            && st.st_mode & 0o022 == 0
    });
    if root && trusted {
        shared
    } else {
        crate::state::state_dir().join("locks")
    }
}

/// Why a volume that is not an operation's own is locked with it, by volume.
pub type Reasons = BTreeMap<Key, String>;

/// The other volumes of the running containers that mount one of `keys`' volumes, with
/// why each is locked too. An operation on a volume stops the containers that mount
/// it; one of those that mounts another volume as well must not be started again (or
/// stopped) under an operation on that other volume, nor that volume's files switched
/// while it runs on them.
pub fn through_containers(keys: &[Key], containers: &[Container], verb: &str) -> Reasons {
    let own: BTreeSet<&str> = keys.iter().filter_map(Key::volume).collect();
    let sharing = containers.iter().filter(|c| {
        c.runs()
            && c.volume_mounts
                .iter()
                .any(|(v, _)| own.contains(v.as_str()))
    });
    mounted_by(sharing, verb)
        .into_iter()
        .filter(|(key, _)| !keys.contains(key))
        .collect()
}

/// The keys of the volumes `containers` mount, each once, in order.
pub fn volumes_of<'a>(containers: impl IntoIterator<Item = &'a Container>) -> Vec<Key> {
    containers
        .into_iter()
        .flat_map(|c| c.volume_mounts.iter().map(|(v, _)| Key::Volume(v.clone())))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The volumes `containers` mount, each with the first of them that mounts it, which
/// the `verb` stops.
fn mounted_by<'a>(containers: impl IntoIterator<Item = &'a Container>, verb: &str) -> Reasons {
    let mut reasons = Reasons::new();
    for container in containers {
        for (volume, _) in &container.volume_mounts {
            reasons
                .entry(Key::Volume(volume.clone()))
                .or_insert_with(|| {
                    format!("mounted by {}, which the {verb} stops", container.name)
                });
        }
    }
    reasons
}

/// Takes the locks on the volumes `containers` mount, which `verb` stops, for the
/// engine at `engine_host`, without waiting: they come after the operation's own locks,
/// out of the one order locks are taken in, and waiting could wait for an operation
/// that waits for this one. A busy one fails with exit 5 saying why it is needed.
pub async fn acquire_stopped(
    engine_host: &str,
    containers: &[Container],
    verb: &str,
    cancel: &Cancel,
) -> Result<Held> {
    let also = mounted_by(containers, verb);
    acquire_explained(engine_host, &[], &also, verb, None, cancel).await
}

/// Takes the locks on `keys` for `verb` on the engine at `engine_host`. When one is
/// held by another process: waits up to `wait` (polling, Ctrl-C ends the wait), else
/// fails with exit 5 naming the holder.
pub async fn acquire(
    engine_host: &str,
    keys: &[Key],
    verb: &str,
    wait: Option<Duration>,
    cancel: &Cancel,
) -> Result<Held> {
    acquire_explained(engine_host, keys, &Reasons::new(), verb, wait, cancel).await
}

/// [`acquire`], for `keys` and the volumes `also` names, whose busy message says why
/// the operation needs them.
pub async fn acquire_explained(
    engine_host: &str,
    keys: &[Key],
    also: &Reasons,
    verb: &str,
    wait: Option<Duration>,
    cancel: &Cancel,
) -> Result<Held> {
    let dir = lock_dir();
    crate::state::create_private_dir(&dir).map_err(|err| {
        Error::preflight(format!(
            "cannot create the lock directory {}: {err}",
            dir.display()
        ))
    })?;
    let mut keys = keys.to_vec();
    keys.extend(also.keys().cloned());
    // One order for everyone: two operations never wait on each other's locks.
    keys.sort();
    keys.dedup();
    let mut held = Held { files: Vec::new() };
    let started = Instant::now();
    let mut told = false;
    for key in &keys {
        let id = format!("{}/{}", dir.display(), key.file_name(engine_host));
        {
            let mut this_process = HELD.lock().unwrap_or_else(|e| e.into_inner());
            if this_process.get_or_insert_with(HashSet::new).contains(&id) {
                continue;
            }
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&id)
            .map_err(|err| Error::preflight(format!("cannot open the lock {id}: {err}")))?;
        let stat = rustix::fs::fstat(&file)
            .map_err(|err| Error::preflight(format!("cannot check the lock {id}: {err}")))?;
        if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::RegularFile
            || stat.st_uid != rustix::process::geteuid().as_raw()
        {
            return Err(Error::preflight(format!(
                "the lock {id} is not a file of ours: refusing to use it"
            ))
            .hint("remove it; only safeops itself creates lock files"));
        }
        let what = match also.get(key) {
            Some(why) => format!("{} ({why})", key.describe()),
            None => key.describe(),
        };
        loop {
            match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => break,
                Err(rustix::io::Errno::WOULDBLOCK) => {}
                Err(err) => {
                    return Err(Error::preflight(format!("cannot lock {id}: {err}")));
                }
            }
            let holder = holder(&mut file).await;
            let Some(wait) = wait.filter(|w| started.elapsed() < *w) else {
                return Err(Error::preflight(format!("{what} is busy: {holder}"))
                    .hint("wait for it to finish, or pass --wait-lock SECONDS to wait here"));
            };
            if !told {
                crate::say!(
                    "note: waiting up to {}s for {what} ({holder})",
                    wait.as_secs()
                );
                told = true;
            }
            tokio::select! {
                why = cancel.cancelled() => {
                    tracing::info!("{why} while waiting for a lock");
                    return Err(Error::interrupted());
                }
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
        // Why a volume not its own is locked is said to whoever waits for it.
        let why = also
            .get(key)
            .map(|why| format!("; {why}"))
            .unwrap_or_default();
        let stamp = format!(
            "pid {} ({verb}{why}) since {}\n",
            std::process::id(),
            crate::state::now()
        );
        let _ = file.set_len(0).and_then(|_| {
            file.rewind()?;
            file.write_all(stamp.as_bytes())
        });
        HELD.lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(HashSet::new)
            .insert(id.clone());
        held.files.push((id, file));
    }
    Ok(held)
}

/// Who holds the lock `file`, as its holder wrote it (right after taking it: an empty
/// file is read again for a moment).
async fn holder(file: &mut File) -> String {
    let mut text = String::new();
    for _ in 0..20 {
        text.clear();
        let _ = file.rewind().and_then(|_| file.read_to_string(&mut text));
        if !text.trim().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let text = text.trim();
    if text.is_empty() {
        "another safeops operation holds it".to_string()
    } else {
        format!("held by {}", crate::ui::table::printable(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_files_stay_in_their_directory_and_differ_per_engine() {
        let plain = Key::Volume("db".into()).file_name("unix:///var/run/docker.sock");
        assert!(plain.starts_with("volume-db-") && plain.ends_with(".lock"));
        assert_ne!(
            plain,
            Key::Volume("db".into()).file_name("tcp://other:2376")
        );
        let hostile = Key::Target("../../etc/x".into()).file_name("h");
        assert!(!hostile.contains('/') && !hostile.contains(".."));
    }

    #[test]
    fn two_spellings_of_one_socket_share_a_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("run")).unwrap();
        std::fs::write(dir.path().join("run/docker.sock"), "").unwrap();
        std::os::unix::fs::symlink(dir.path().join("run"), dir.path().join("var-run")).unwrap();
        let at = |p: &str| format!("unix://{}", dir.path().join(p).display());
        let key = Key::Volume("db".into());
        assert_eq!(
            key.file_name(&at("run/docker.sock")),
            key.file_name(&at("var-run/docker.sock"))
        );
    }

    fn container(name: &str, state: &str, volumes: &[&str]) -> Container {
        Container {
            id: name.into(),
            name: name.into(),
            image: "image".into(),
            state: state.into(),
            status: String::new(),
            labels: Default::default(),
            volume_mounts: volumes
                .iter()
                .map(|v| (v.to_string(), "/d".into()))
                .collect(),
        }
    }

    #[test]
    fn the_other_volumes_of_the_running_containers_that_share_one_are_locked_too() {
        let containers = [
            container("app", "running", &["v1"]),
            container("shared", "running", &["v1", "v2"]),
            container("elsewhere", "running", &["v2", "v3"]),
            container("stopped", "exited", &["v1", "v4"]),
        ];
        let keys = [Key::Volume("v1".into()), Key::Target("app".into())];
        let also = through_containers(&keys, &containers, "backup");
        assert_eq!(
            also.into_iter().collect::<Vec<_>>(),
            [(
                Key::Volume("v2".into()),
                "mounted by shared, which the backup stops".to_string()
            )]
        );
        let both = [Key::Volume("v1".into()), Key::Volume("v2".into())];
        assert!(through_containers(&both, &containers[..2], "restore").is_empty());
    }

    #[tokio::test]
    async fn a_lock_is_exclusive_across_processes_and_reentrant_within_one() {
        let (_trigger, cancel) = crate::cancel::pair();
        let host = format!("test://{}", std::process::id());
        let key = Key::Volume(format!("locktest{}", std::process::id()));
        let first = acquire(&host, std::slice::from_ref(&key), "test", None, &cancel)
            .await
            .unwrap();
        // Re-entrant here: nothing new is taken.
        let again = acquire(&host, std::slice::from_ref(&key), "test", None, &cancel)
            .await
            .unwrap();
        assert!(again.files.is_empty());
        // Another open file description (as another process has) is refused.
        let path = lock_dir().join(key.file_name(&host));
        let other = File::open(&path).unwrap();
        assert!(
            rustix::fs::flock(&other, rustix::fs::FlockOperation::NonBlockingLockExclusive)
                .is_err()
        );
        drop(first);
        rustix::fs::flock(&other, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn a_lock_a_panic_unwinds_stays_taken_until_the_process_exits() {
        let (_trigger, cancel) = crate::cancel::pair();
        let host = format!("test-panic://{}", std::process::id());
        let key = Key::Volume(format!("panictest{}", std::process::id()));
        let held = acquire(&host, std::slice::from_ref(&key), "test", None, &cancel)
            .await
            .unwrap();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _held = held;
            panic!("a bug while the lock is held");
        }));
        assert!(unwound.is_err());
        let path = lock_dir().join(key.file_name(&host));
        let other = File::open(&path).unwrap();
        assert_eq!(
            rustix::fs::flock(&other, rustix::fs::FlockOperation::NonBlockingLockExclusive),
            Err(rustix::io::Errno::WOULDBLOCK),
            "another process could take the lock while this one recovers"
        );
        let _ = std::fs::remove_file(path);
    }
}
