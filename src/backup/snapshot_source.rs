//! A repository snapshot as the source of a restore: opened under a shared lock,
//! checked before anything is changed (every pack it needs read back, decrypted and
//! authenticated), its manifest, each volume's entries as the records a plain backup's
//! digest list holds, and the files' content streamed out of the repository.
//!
//! Each volume's tree is compared with the digest list the snapshot carries for it
//! (`volumes/<name>.files.json`, see [`super::digest_list`]); the digests of what the
//! repository hands out are taken while it is written into the staging directory and
//! compared with that list, and the staged files are then read back and compared with
//! them, so a restore from a repository checks every file as one from a plain backup
//! does. Every snapshot has its digest lists: the manifest is checked for them before
//! anything is read.
//! Everything here blocks: run it on `spawn_blocking`.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read};
use std::time::Duration;

use rustic_core::IndexedFullStatus;
use rustic_core::repofile::{Node, SnapshotFile};
use sha2::Digest;

use super::entry::{FileList, FileRecord, Kind, PathBytes};
use super::manifest::{self, Manifest};
use super::read_ahead;
use super::snapshot;
use super::store::MAX_INDEX_BYTES;
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::storage::location::Repository;
use crate::storage::lock::{self, Held};
use crate::storage::repository::{self, Password};

/// The small file at `path` in `snapshot` (the manifest, a container spec), bounded
/// like a plain backup's index files.
fn read_small(
    repo: &rustic_core::Repository<IndexedFullStatus>,
    snapshot: &SnapshotFile,
    location: &Repository,
    path: &str,
) -> Result<Vec<u8>> {
    snapshot::read_file(repo, snapshot, location, path, MAX_INDEX_BYTES)
}

/// A writer that hashes what goes through it.
struct HashingWrite<'a> {
    into: &'a mut dyn io::Write,
    hasher: sha2::Sha256,
}

impl io::Write for HashingWrite<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.into.write(buf)?;
        self.hasher.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.into.flush()
    }
}

/// An open, checked snapshot.
pub struct SnapshotSource {
    location: Repository,
    repo: rustic_core::Repository<IndexedFullStatus>,
    snapshot: SnapshotFile,
    manifest: Manifest,
    /// Each volume's entries as `file_list` walked them, for `extract` not to walk
    /// the tree again.
    walked: std::sync::Mutex<HashMap<String, Vec<(FileRecord, Node)>>>,
    _lock: Held,
}

impl std::fmt::Debug for SnapshotSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Where a restore writes an entry and its content.
pub type Sink<'a> = dyn FnMut(&FileRecord, &mut dyn Read) -> io::Result<()> + 'a;

impl SnapshotSource {
    /// Opens the snapshot `which` picks in the repository at `location` under a shared
    /// lock, and checks it: every pack its trees and files are in is read back and
    /// authenticated. A snapshot that does not check is an integrity error (exit 4).
    pub fn open(
        location: &Repository,
        password: &Password,
        which: &snapshot::Pick,
        wait: Option<Duration>,
        cancel: &Cancel,
    ) -> Result<SnapshotSource> {
        let (repo, held) =
            repository::open_locked(location, password, lock::Kind::Shared, wait, cancel)?;
        let snapshot = snapshot::pick(&repo, location, which)?;
        snapshot::check_named_by_content(location, &snapshot.id)?;
        crate::ui::progress::phase(&format!(
            "checking snapshot {} in {location}: every pack it needs read back",
            &snapshot.id.to_hex()[..8]
        ));
        let (repo, problems) = snapshot::check_snapshot(repo, location, &snapshot)?;
        if !problems.is_empty() {
            return Err(Error::integrity(format!(
                "snapshot {} in {location} did not verify, so nothing was changed:\n  {}",
                snapshot.id,
                problems.join("\n  ")
            )));
        }
        let bytes = read_small(&repo, &snapshot, location, manifest::MANIFEST)?;
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            Error::integrity(format!("{location}#{}: manifest.json: {e}", snapshot.id))
        })?;
        // Nothing a manifest names is used before it is known to be one safeops wrote:
        // names go into engine requests, lock files and messages.
        let problems = manifest.problems(manifest::Layout::Snapshot);
        if !problems.is_empty() {
            return Err(Error::integrity(format!(
                "{location}#{}: manifest.json is not one safeops writes, so nothing was \
                 changed:\n  {}",
                snapshot.id,
                problems.join("\n  ")
            )));
        }
        Ok(SnapshotSource {
            location: location.clone(),
            repo,
            snapshot,
            manifest,
            walked: std::sync::Mutex::default(),
            _lock: held,
        })
    }

    /// The snapshot's full id.
    pub fn id(&self) -> String {
        self.snapshot.id.to_hex().to_string()
    }

    /// `REPOSITORY#ID`, as restores and audits name it.
    pub fn describe(&self) -> String {
        format!("{}#{}", self.location, &*self.snapshot.id.to_hex())
    }

    /// How `restore` names it: `ID --to LOCATION`.
    pub fn argument(&self) -> String {
        format!("{} --to {}", &self.snapshot.id.to_hex()[..8], self.location)
    }

    /// The snapshot's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Writes the file at `path` into `into`, returning the SHA-256 of what the
    /// repository gave.
    pub fn copy_file(&self, path: &str, into: &mut dyn io::Write) -> Result<String> {
        let found = snapshot::node(&self.repo, &self.snapshot, &self.location, path)?;
        let mut hashing = HashingWrite {
            into,
            hasher: sha2::Sha256::new(),
        };
        snapshot::dump(&self.repo, &self.location, &found, &mut hashing).map_err(|mut err| {
            err.message = format!("{}: {path}: {}", self.describe(), err.message);
            err
        })?;
        Ok(hex::encode(hashing.hasher.finalize()))
    }

    /// The small file at `path` (a container spec, say).
    pub fn read_small(&self, path: &str) -> Result<Vec<u8>> {
        read_small(&self.repo, &self.snapshot, &self.location, path)
    }

    fn entries(&self, volume: &str) -> Result<Vec<(FileRecord, Node)>> {
        snapshot::volume_entries(&self.repo, &self.snapshot, &self.location, volume)
    }

    /// What volume `volume` holds in the snapshot, with the digests of its digest list
    /// (see the module).
    pub fn file_list(&self, volume: &str) -> Result<FileList> {
        let entries = self.entries(volume)?;
        let list = FileList {
            volume: volume.to_string(),
            entries: entries.iter().map(|(r, _)| r.clone()).collect(),
        };
        let info = self.manifest.volumes.iter().find(|v| v.name == volume);
        let list = match info {
            Some(info) => snapshot::with_stored_digests(
                &self.repo,
                &self.snapshot,
                &self.location,
                info,
                list,
            )?,
            None => list,
        };
        self.walked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(volume.to_string(), entries);
        Ok(list)
    }

    /// Hands every entry of volume `volume` and its content to `sink`, in order, and
    /// returns the digest of each regular file's content as the repository gave it.
    pub fn extract(
        &self,
        volume: &str,
        sink: &mut Sink<'_>,
        cancel: &Cancel,
    ) -> io::Result<BTreeMap<PathBytes, String>> {
        let walked = self
            .walked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(volume);
        let entries = match walked {
            Some(entries) => entries,
            None => self
                .entries(volume)
                .map_err(|e| io::Error::other(e.message))?,
        };
        read_ahead::with_read_ahead(&self.repo, &entries, cancel, |ahead| {
            let mut digests = BTreeMap::new();
            for (record, _) in &entries {
                if cancel.reason().is_some() {
                    return Err(crate::cancel::cancelled_io());
                }
                if record.kind != Kind::File {
                    sink(record, &mut io::empty())?;
                    continue;
                }
                let mut content = ahead.next_file()?;
                sink(record, &mut content)?;
                digests.insert(record.path.clone(), content.digest()?);
            }
            Ok(digests)
        })
    }
}
