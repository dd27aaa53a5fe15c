//! Where backups live and how one comes into being: built under a hidden temporary
//! name, every file fsynced, `manifest.json` and `SHA256SUMS` last, then renamed to its
//! final name, so a failed or interrupted backup never looks like a backup. Files are
//! 0600 and directories 0700. Also listing and retention.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use std::os::fd::AsFd;

use sha2::Digest;

use super::beneath;
use super::manifest::{self, Manifest};
use crate::error::{Error, Result};
use crate::state::sync_dir;

/// Prefix of backups under construction; listing ignores them, recovery deletes them.
pub const PARTIAL_PREFIX: &str = ".partial-";

/// The backup directory: `--to`, else `SAFEOPS_BACKUP_DIR`, else the policy file's
/// `[backup] to`, else `$XDG_DATA_HOME/docker-safeops/backups` (`~/.local/share/...`).
pub fn backup_root(to: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf> {
    let root = configured_root(to, env)?;
    // A location that does not parse (credentials written in it, an unknown scheme)
    // is refused here, for every verb, rather than taken for a directory's name.
    crate::storage::location::Location::parse(&root.to_string_lossy())
        .map_err(|bad| Error::usage(bad.to_string()))?;
    Ok(root)
}

/// The backup location configured, as [`backup_root`] finds it, whether it parses or
/// not: for `doctor`, which reports one that does not.
pub fn configured_root(to: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf> {
    Ok(
        match (to, env("SAFEOPS_BACKUP_DIR").filter(|d| !d.is_empty())) {
            (Some(to), _) => to.to_path_buf(),
            (None, Some(dir)) => PathBuf::from(dir),
            (None, None) => {
                let policy = crate::guard::protect::Policy::load(
                    &crate::guard::protect::Policy::default_path(env),
                )?;
                policy.backup.to.unwrap_or_else(|| default_root(env))
            }
        },
    )
}

/// Where plain backups go when nothing says otherwise: `$XDG_DATA_HOME`'s (or
/// `~/.local/share`'s) `docker-safeops/backups`.
pub fn default_root(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    crate::state::xdg_dir(env, "XDG_DATA_HOME", ".local/share").join("backups")
}

fn create_dir_private(path: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
}

/// Fsyncs every file and directory under `dir` (files first), so the whole backup is
/// on disk. Writers do not fsync one by one: this runs once, while verification reads.
pub fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            sync_tree(&entry.path())?;
        } else {
            File::open(entry.path())?.sync_all()?;
        }
    }
    sync_dir(dir)
}

/// A backup under construction.
#[derive(Debug)]
pub struct PartialBackup {
    /// The hidden directory it is built in.
    pub dir: PathBuf,
    /// The name it gets when complete.
    pub final_dir: PathBuf,
}

/// Checks, before anything stops, that a backup can be written into `root` (created
/// 0700 if missing): a read-only medium, a directory of another user.
pub fn check_writable(root: &Path) -> io::Result<()> {
    create_dir_private(root)?;
    rustix::fs::access(root, rustix::fs::Access::WRITE_OK)?;
    Ok(())
}

impl PartialBackup {
    /// Starts a backup of `target` in `root` (created 0700 if missing).
    pub fn create(root: &Path, target: &str, created: SystemTime) -> Result<PartialBackup> {
        // A project name comes from a label anyone can set: it must not lead out of root.
        let target = crate::engine::names::checked(target, "the target name")?;
        create_dir_private(root).map_err(|err| {
            Error::preflight(format!(
                "cannot create the backup directory {}: {err}",
                root.display()
            ))
            .hint("choose another directory with --to DIR or SAFEOPS_BACKUP_DIR")
        })?;
        let stamp: String = humantime::format_rfc3339_seconds(created)
            .to_string()
            .chars()
            .filter(|c| !matches!(c, '-' | ':'))
            .collect();
        let mut name = format!("{target}-{stamp}");
        let mut n = 2;
        while root.join(&name).exists() {
            name = format!("{target}-{stamp}-{n}");
            n += 1;
        }
        let dir = root.join(format!("{PARTIAL_PREFIX}{name}-{}", std::process::id()));
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|err| {
                Error::preflight(format!("cannot write to {}: {err}", root.display()))
                    .hint("choose another directory with --to DIR or SAFEOPS_BACKUP_DIR")
            })?;
        Ok(PartialBackup {
            dir,
            final_dir: root.join(name),
        })
    }

    /// Creates the artifact file `rel` (and its directory), readable by the owner only.
    pub fn create_file(&self, rel: &str) -> io::Result<File> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            create_dir_private(parent)?;
        }
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
    }

    /// Writes `bytes` as the file `rel` (made durable by [`sync_tree`] before publishing).
    pub fn write_file(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        self.create_file(rel)?.write_all(bytes)
    }

    /// Writes the manifest and then `SHA256SUMS`: the backup is now self-describing
    /// and can be verified, but still has its temporary name.
    pub fn seal(&self, manifest: &Manifest) -> io::Result<()> {
        let (json, sums) = sealed(manifest)?;
        self.write_file(manifest::MANIFEST, &json)?;
        self.write_file(manifest::SHA256SUMS, sums.as_bytes())
    }

    /// Renames the sealed, synced ([`sync_tree`]) and verified backup to its final
    /// name. Returns the final path.
    /// Never replaces an existing backup: a name taken meanwhile (another host writing
    /// to the same directory) gets the next free `-N` suffix.
    pub fn publish(&self) -> io::Result<PathBuf> {
        let mut final_dir = self.final_dir.clone();
        let mut n = 1;
        loop {
            n += 1;
            match rename_noreplace(&self.dir, &final_dir) {
                Ok(()) => break,
                Err(rustix::io::Errno::EXIST) if n > 1000 => {
                    return Err(io::Error::other(format!(
                        "{} and 999 suffixed names are all taken",
                        self.final_dir.display()
                    )));
                }
                Err(rustix::io::Errno::EXIST) => {
                    let mut name = self
                        .final_dir
                        .file_name()
                        .unwrap_or_default()
                        .to_os_string();
                    name.push(format!("-{n}"));
                    final_dir = self.final_dir.with_file_name(name);
                }
                Err(err) => return Err(err.into()),
            }
        }
        if let Some(root) = final_dir.parent() {
            sync_dir(root)?;
        }
        Ok(final_dir)
    }

    /// Deletes the partial backup (nothing when it was published).
    pub fn discard(&self) {
        remove_tree(&self.dir);
    }
}

/// Deletes a directory tree, retrying briefly: a worker thread that has not yet
/// noticed a cancellation may still be creating a file in it. True once it is gone.
pub fn remove_tree(path: &Path) -> bool {
    for _ in 0..20 {
        match fs::remove_dir_all(path) {
            Ok(()) => return true,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return true,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    tracing::warn!("could not delete {}", path.display());
    false
}

/// Renames `from` to `to` unless `to` exists. File systems without
/// `RENAME_NOREPLACE` (NFS, some FUSE) get the same guarantee by reserving `to` as an
/// empty directory first (`mkdir` fails on an existing name), which `rename` replaces.
fn rename_noreplace(from: &Path, to: &Path) -> std::result::Result<(), rustix::io::Errno> {
    use rustix::fs::{CWD, RenameFlags};
    match rustix::fs::renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::NOTSUP) => {
            rustix::fs::mkdir(to, rustix::fs::Mode::from_raw_mode(0o700))?;
            rustix::fs::rename(from, to).map_err(|err| {
                let _ = rustix::fs::rmdir(to);
                // Not "the name is taken": this file system will not rename onto the
                // reserved name, and trying the next one would fail the same way.
                match err {
                    rustix::io::Errno::EXIST | rustix::io::Errno::NOTEMPTY => {
                        rustix::io::Errno::NOTSUP
                    }
                    other => other,
                }
            })
        }
        other => other,
    }
}

/// Whether a backup given on the command line is a path (a plain backup's directory,
/// wherever backups go now), not an id: the undo command a safety backup prints names
/// its directory, also when `--to` or the default location is a repository.
pub fn names_a_path(arg: &Path) -> bool {
    arg.components().count() > 1 || arg.is_dir()
}

/// A backup given on the command line: a directory, or the id (directory name) of one
/// in the backup directory (`to` as [`backup_root`] takes it).
pub fn resolve(
    arg: &Path,
    to: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PathBuf> {
    if arg.is_dir() {
        return Ok(arg.to_path_buf());
    }
    let root = backup_root(to, env)?;
    let named = root.join(arg);
    if arg.components().count() == 1 && named.is_dir() {
        return Ok(named);
    }
    Err(Error::usage(format!(
        "no backup {} (not a directory, nor a backup in {})",
        arg.display(),
        root.display()
    ))
    .hint(format!(
        "list them with `docker safeops backups --to {}`",
        root.display()
    )))
}

/// What [`PartialBackup::seal`] writes for `manifest`: `manifest.json` and `SHA256SUMS`.
fn sealed(manifest: &Manifest) -> io::Result<(Vec<u8>, String)> {
    let json = serde_json::to_vec_pretty(manifest).map_err(io::Error::other)?;
    Ok((json, manifest.sha256sums()))
}

/// The identity (see [`super::made_here::plain`]) of the backup sealed with `manifest`,
/// from the bytes sealing wrote, not from the directory someone may since have changed.
pub fn sealed_identity(manifest: &Manifest) -> io::Result<String> {
    let (json, sums) = sealed(manifest)?;
    Ok(super::made_here::plain(&json, sums.as_bytes()))
}

/// The largest `manifest.json` or `SHA256SUMS` read: far above what thousands of
/// volumes need, small enough that a forged one cannot exhaust memory.
pub const MAX_INDEX_BYTES: u64 = 64 << 20;

/// Opens the regular file `rel` of the backup in `dir`, never through a symlink and
/// never outside `dir` (see [`super::beneath`]).
pub fn open_artifact(dir: &Path, rel: &str) -> io::Result<File> {
    let root = beneath::open_root(dir)?;
    beneath::open_regular(root.as_fd(), Path::new(rel))
        .map_err(|err| io::Error::new(err.kind(), format!("{rel}: {err}")))
}

/// Reads the index file `rel` (`manifest.json`, `SHA256SUMS`) of the backup in `dir`,
/// bounded by [`MAX_INDEX_BYTES`].
pub fn read_index(dir: &Path, rel: &str) -> io::Result<Vec<u8>> {
    let root = beneath::open_root(dir)?;
    beneath::read_bounded(root.as_fd(), Path::new(rel), MAX_INDEX_BYTES)
}

/// Reads a backup's manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let text = read_index(dir, manifest::MANIFEST).map_err(|err| {
        Error::usage(format!(
            "{} is not a backup: cannot read {}: {err}",
            dir.display(),
            manifest::MANIFEST
        ))
        .hint("list backups with `docker safeops backups`")
    })?;
    serde_json::from_slice(&text).map_err(|err| {
        Error::integrity(format!(
            "{}: manifest.json is not valid: {err}",
            dir.display()
        ))
    })
}

/// The outcome of the last full verification of a backup, kept in the state directory
/// (the backup itself is never written after it is published).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Verification {
    /// When.
    pub time: String,
    /// The first problem found; none when the backup is sound.
    pub problem: Option<String>,
}

/// What a record in the state directory is about.
#[derive(Debug, Clone, Copy)]
pub enum Recorded<'a> {
    /// The plain backup in this directory.
    Plain(&'a Path),
    /// A snapshot (its full id) in the repository at `location`: a copy of the
    /// repository elsewhere has the same ids and its own damage.
    Snapshot {
        /// The repository.
        location: &'a crate::storage::location::Repository,
        /// The snapshot's full id.
        id: &'a str,
    },
}

/// Where a record of `kind` about `about` is kept: `$XDG_STATE_HOME/docker-safeops/
/// KIND/<hash of its path or id>.json`.
fn record_path(about: Recorded<'_>, kind: &str) -> PathBuf {
    let key = match about {
        Recorded::Plain(dir) => {
            let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
            sha2::Sha256::digest(dir.as_os_str().as_encoded_bytes())
        }
        Recorded::Snapshot { location, id } => {
            sha2::Sha256::digest(format!("snapshot {location}#{id}"))
        }
    };
    crate::state::state_dir()
        .join(kind)
        .join(format!("{}.json", hex::encode(key)))
}

/// The outcome of the last restore drill of a backup.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DrillRecord {
    /// When it ended.
    pub time: String,
    /// `passed` or `failed`.
    pub outcome: String,
    /// Seconds from its start until the restored services were healthy.
    pub rto_seconds: Option<f64>,
}

/// Records the outcome of a drill of the backup in `dir`.
pub fn record_drill(dir: &Path, record: &DrillRecord) {
    let json = serde_json::to_vec(record).expect("record serializes");
    if let Err(err) =
        crate::state::write_private(&record_path(Recorded::Plain(dir), "drilled"), &json)
    {
        tracing::warn!("cannot record the drill of {}: {err}", dir.display());
    }
}

/// The last drill of the backup in `dir`, if any was recorded.
pub fn last_drill(dir: &Path) -> Option<DrillRecord> {
    serde_json::from_slice(&fs::read(record_path(Recorded::Plain(dir), "drilled")).ok()?).ok()
}

/// Records the outcome of a full verification of `about`: its first problem, if any.
pub fn record_verification(about: Recorded<'_>, problem: Option<String>) {
    let record = Verification {
        time: crate::state::now(),
        problem,
    };
    let json = serde_json::to_vec(&record).expect("record serializes");
    if let Err(err) = crate::state::write_private(&record_path(about, "verified"), &json) {
        tracing::warn!("cannot record the verification of {about:?}: {err}");
    }
}

/// The last full verification of `about`, if any was recorded.
pub fn last_verification(about: Recorded<'_>) -> Option<Verification> {
    serde_json::from_slice(&fs::read(record_path(about, "verified")).ok()?).ok()
}

/// Whether a complete backup is sound (no problem known), and its status as `backups`
/// shows it, from its last full verification.
pub fn verified_status(last: Option<Verification>) -> (bool, String) {
    match last {
        None => (true, "complete (verified when made)".to_string()),
        Some(Verification {
            time,
            problem: None,
        }) => (true, format!("verified {time}")),
        Some(Verification {
            time,
            problem: Some(problem),
        }) => (
            false,
            format!(
                "verify failed {time}: {}",
                crate::ui::table::printable(&problem)
            ),
        ),
    }
}

/// A backup as `backups` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct BackupSummary {
    /// Its id: the directory's name, which `verify`, `restore` (and `--to`) accept.
    pub id: String,
    /// Its directory.
    pub path: String,
    /// What it is of.
    pub target: String,
    /// The host it was made on (empty when its manifest cannot be read).
    pub host: String,
    /// The address of the engine whose volumes it holds (empty when its manifest
    /// cannot be read).
    pub engine: String,
    /// `project`, `container` or `volumes`.
    pub target_kind: String,
    /// When it was made (RFC 3339).
    pub created: String,
    /// Why it was made.
    pub purpose: String,
    /// Total size of its artifacts.
    pub size_bytes: u64,
    /// Volumes it holds.
    pub volumes: Vec<String>,
    /// Container specs it holds.
    pub containers: Vec<String>,
    /// Images it holds.
    pub images: Vec<String>,
    /// Database dumps it holds (container names).
    pub dumps: Vec<String>,
    /// No problem is known: every file is there and the last verification passed.
    pub sound: bool,
    /// `damaged: ...` when files are missing or of the wrong size; else the last full
    /// verification: `verified TIME`, `verify failed TIME: ...`, or `complete (verified
    /// when made)` when none was run since.
    pub status: String,
    /// Its last restore drill, when one was run.
    pub last_drill: Option<DrillRecord>,
}

/// Every backup in `root`, newest first. A missing directory holds no backups.
pub fn list(root: &Path) -> Result<Vec<BackupSummary>> {
    let entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => {
            return Err(Error::failure(format!(
                "cannot read the backup directory {}: {err}",
                root.display()
            )));
        }
    };
    let mut backups = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        // The entry itself, not what a symlink points at: a backup is a directory.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if name.to_string_lossy().starts_with('.') || !is_dir {
            continue;
        }
        let dir = entry.path();
        if !dir.join(manifest::MANIFEST).exists() {
            continue;
        }
        backups.push(summarize(&dir));
    }
    backups.sort_by(|a, b| b.created.cmp(&a.created).then(b.path.cmp(&a.path)));
    Ok(backups)
}

fn summarize(dir: &Path) -> BackupSummary {
    let path = dir.display().to_string();
    let id = dir
        .file_name()
        .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
    match read_manifest(dir) {
        Err(err) => BackupSummary {
            id,
            path,
            target: "?".into(),
            host: String::new(),
            engine: String::new(),
            target_kind: "?".into(),
            created: String::new(),
            purpose: String::new(),
            size_bytes: 0,
            volumes: Vec::new(),
            containers: Vec::new(),
            images: Vec::new(),
            dumps: Vec::new(),
            sound: false,
            status: format!("damaged: {}", err.message),
            last_drill: None,
        },
        Ok(manifest) => {
            let missing: Vec<&str> = manifest
                .artifacts
                .iter()
                .filter(|a| fs::metadata(dir.join(&a.path)).map(|m| m.len()).ok() != Some(a.size))
                .map(|a| a.path.as_str())
                .collect();
            let (sound, status) = if !dir.join(manifest::SHA256SUMS).exists() {
                (false, "damaged: SHA256SUMS missing".to_string())
            } else if let Some(first) = missing.first() {
                (
                    false,
                    format!("damaged: {first} missing or of the wrong size"),
                )
            } else {
                verified_status(last_verification(Recorded::Plain(dir)))
            };
            BackupSummary {
                id,
                path,
                target: manifest.target.name.clone(),
                host: manifest.host.clone(),
                engine: manifest.engine.host.clone(),
                target_kind: manifest.target.kind.clone(),
                created: manifest.created.clone(),
                purpose: manifest.purpose.clone(),
                size_bytes: manifest.size_bytes(),
                volumes: manifest.volumes.iter().map(|v| v.name.clone()).collect(),
                containers: manifest.containers.iter().map(|c| c.name.clone()).collect(),
                images: manifest
                    .images
                    .iter()
                    .map(|i| i.reference.clone())
                    .collect(),
                dumps: manifest.dumps.iter().map(|d| d.container.clone()).collect(),
                sound,
                status,
                last_drill: last_drill(dir),
            }
        }
    }
}

/// For every volume of the engine at `engine` with a complete backup in `root` made on
/// this host: when its newest one was made and what it held then (file count and
/// bytes). An error when `root` cannot be read.
pub fn last_fingerprints(
    root: &Path,
    engine: &str,
) -> Result<std::collections::HashMap<String, (String, super::entry::Fingerprint)>> {
    let mut last = std::collections::HashMap::new();
    let host = crate::state::hostname();
    for backup in list(root)? {
        // A directory shared by hosts, or by the engines of one, holds their volumes of
        // the same name too.
        if !backup.sound
            || backup.host != host
            || !crate::engine::endpoint::same_engine(&backup.engine, engine)
        {
            continue;
        }
        let Ok(manifest) = read_manifest(Path::new(&backup.path)) else {
            continue;
        };
        for volume in manifest.volumes {
            last.entry(volume.name)
                .or_insert_with(|| (backup.created.clone(), volume.fingerprint));
        }
    }
    Ok(last)
}

/// Below this share of its last backup's bytes, a volume is reported as shrunk.
const SHRINK_RATIO: f64 = 0.5;
/// Volumes whose last backup held less than this are too small to judge.
pub const SHRINK_FLOOR: u64 = 64 << 10;

/// The "looks healthy but the data is gone" warning (R-GUARD-5) for a volume that now
/// holds `size` bytes, when that is far less than at its `last` backup.
pub fn shrink_warning(
    size: Option<u64>,
    last: Option<&(String, super::entry::Fingerprint)>,
) -> Option<String> {
    let (size, (created, fingerprint)) = (size?, last?);
    let before = fingerprint.total_bytes;
    if before < SHRINK_FLOOR || (size as f64) >= before as f64 * SHRINK_RATIO {
        return None;
    }
    Some(format!(
        "holds {} now, less than half of the {} ({} files) at its last backup {created}: \
         data may be gone; compare with `docker safeops backups` and restore if needed",
        crate::ui::table::human_bytes(size),
        crate::ui::table::human_bytes(before),
        fingerprint.file_count
    ))
}

/// How many backups of a target to keep.
#[derive(Debug, Clone, Copy, Default)]
pub struct Retention {
    /// Keep at most the newest N.
    pub keep: Option<usize>,
    /// Delete those older than this many days.
    pub keep_days: Option<u32>,
}

impl Retention {
    /// Whether the backup at `index` among its target's (0: the newest), made `age`
    /// ago, goes.
    pub fn drops(&self, index: usize, age: std::time::Duration) -> bool {
        let beyond_count = self.keep.is_some_and(|keep| index >= keep);
        let too_old = self
            .keep_days
            .is_some_and(|days| age > std::time::Duration::from_secs(u64::from(days) * 86_400));
        beyond_count || too_old
    }
}

/// The error for a target whose backups at `location` come from `hosts`, several and
/// none of them this one (`here`): which is meant cannot be told, as a location shared
/// by hosts may hold different targets of one name.
pub fn several_hosts<'a>(
    target: &str,
    location: &str,
    hosts: impl IntoIterator<Item = &'a str>,
    here: &str,
) -> Error {
    let hosts: Vec<_> = hosts
        .into_iter()
        .map(|h| crate::ui::table::printable(h).into_owned())
        .collect();
    Error::usage(format!(
        "the backups of {target} in {location} come from several hosts ({}), none from \
         this one ({here})",
        hosts.join(", ")
    ))
    .hint(format!(
        "name the one meant by its ID: docker safeops backups --to {location} --format json \
         lists each with its host"
    ))
}

/// A plain backup held for reading (a verify, a restore, a drill): `--keep` leaves it
/// while it is held, and one that `--keep` is deleting is not read. A shared lock on
/// its directory, let go on drop.
pub struct Reading {
    _lock: File,
}

/// Holds the backup `dir` for reading (see [`Reading`]).
pub fn reading(dir: &Path) -> Result<Reading> {
    let file = File::open(dir)
        .map_err(|err| Error::usage(format!("cannot open {}: {err}", dir.display())))?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockShared) {
        Ok(()) => Ok(Reading { _lock: file }),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(Error::usage(format!(
            "{} is being deleted (an older backup --keep thins)",
            dir.display()
        ))
        .hint("docker safeops backups lists the backups there are")),
        Err(err) => Err(Error::failure(format!(
            "cannot lock {}: {err}",
            dir.display()
        ))),
    }
}

/// Deletes the sound backups of `target` (same kind) made on this host from the
/// engine at `engine` in `root` that `retention` does not keep, never `protect` (the
/// one just made). A directory shared by hosts, or by the engines (contexts) one host
/// backs up, keeps the others' backups of a target of the same name. A backup with a
/// known problem (damaged, failed its last verification) neither counts as one kept
/// nor is deleted: good ones are not rotated out by bad ones, and the bad one stays
/// for the operator to look at. Returns the deleted paths.
pub fn apply_retention(
    root: &Path,
    (target_kind, target, engine): (&str, &str, &str),
    retention: Retention,
    protect: &Path,
) -> Result<Vec<PathBuf>> {
    let mut deleted = Vec::new();
    let host = crate::state::hostname();
    let same_target = list(root)?.into_iter().filter(|b| {
        b.target == target
            && b.target_kind == target_kind
            && b.purpose == super::manifest::BACKUP_PURPOSE
            && b.host == host
            && crate::engine::endpoint::same_engine(&b.engine, engine)
            && b.sound
    });
    for (index, old) in same_target.enumerate() {
        let path = PathBuf::from(&old.path);
        let age = humantime::parse_rfc3339(&old.created)
            .ok()
            .and_then(|created| SystemTime::now().duration_since(created).ok())
            .unwrap_or_default();
        if path == protect || !retention.drops(index, age) {
            continue;
        }
        // Not while a restore or a verify reads it (see `Reading`): the next run
        // deletes it. Held until it is gone.
        let held = match File::open(&path) {
            Ok(held) => held,
            // Thinned by a backup of the target that ran at the same time.
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(cannot_delete(&path, err)),
        };
        if rustix::fs::flock(&held, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
            tracing::info!("keeping {} for now: it is being read", path.display());
            continue;
        }
        match fs::remove_dir_all(&path) {
            Ok(()) => deleted.push(path),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(cannot_delete(&path, err)),
        }
    }
    Ok(deleted)
}

fn cannot_delete(path: &Path, err: io::Error) -> Error {
    Error::failure(format!(
        "cannot delete old backup {}: {err}",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backup being read is not deleted (retention's lock fails), and one being
    /// deleted is not read.
    #[test]
    fn a_backup_is_either_read_or_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let exclusive = |file: &File| {
            rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
        };
        let read = reading(dir.path()).unwrap();
        assert!(exclusive(&File::open(dir.path()).unwrap()).is_err());
        drop(read);
        let deleting = File::open(dir.path()).unwrap();
        exclusive(&deleting).unwrap();
        let err = reading(dir.path()).err().unwrap();
        assert!(err.message.contains("being deleted"), "{}", err.message);
    }

    #[test]
    fn backup_root_follows_flag_env_policy_then_xdg() {
        let config = tempfile::tempdir().unwrap();
        let config_home = config.path().display().to_string();
        let env = |pairs: Vec<(&'static str, String)>| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.clone())
            }
        };
        let root = |to: Option<&str>, pairs: Vec<(&'static str, String)>| {
            backup_root(to.map(Path::new), &env(pairs)).unwrap()
        };
        let base = vec![
            ("XDG_CONFIG_HOME", config_home.clone()),
            ("HOME", "/h".to_string()),
        ];
        let with = |extra: (&'static str, &str)| {
            let mut pairs = base.clone();
            pairs.push((extra.0, extra.1.to_string()));
            pairs
        };
        assert_eq!(
            root(Some("/x"), with(("SAFEOPS_BACKUP_DIR", "/y"))),
            PathBuf::from("/x")
        );
        assert_eq!(
            root(None, with(("SAFEOPS_BACKUP_DIR", "/y"))),
            PathBuf::from("/y")
        );
        assert_eq!(
            root(None, with(("XDG_DATA_HOME", "/d"))),
            PathBuf::from("/d/docker-safeops/backups")
        );
        assert_eq!(
            root(None, base.clone()),
            PathBuf::from("/h/.local/share/docker-safeops/backups")
        );
        let policy = config.path().join("docker-safeops/policy.toml");
        std::fs::create_dir_all(policy.parent().unwrap()).unwrap();
        std::fs::write(&policy, "[backup]\nto = \"/p\"\n").unwrap();
        assert_eq!(root(None, base.clone()), PathBuf::from("/p"));
        assert_eq!(
            root(None, with(("SAFEOPS_BACKUP_DIR", "/y"))),
            PathBuf::from("/y")
        );
    }

    #[test]
    fn partial_backup_is_hidden_until_committed() {
        let tmp = tempfile::tempdir().unwrap();
        let partial = PartialBackup::create(tmp.path(), "shop", SystemTime::UNIX_EPOCH).unwrap();
        assert!(
            partial
                .dir
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with('.')
        );
        assert_eq!(
            partial.final_dir.file_name().unwrap(),
            "shop-19700101T000000Z"
        );
        partial.write_file("containers/c.json", b"{}").unwrap();
        assert!(list(tmp.path()).unwrap().is_empty());
        partial.discard();
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    }
}
