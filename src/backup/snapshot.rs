//! One backup as one snapshot: the small files a backup stages (container specs, compose
//! files, database dumps, `manifest.json`) and each volume's tree under
//! `volumes/<name>/`, owners, modes, xattrs and links included, read directly from the
//! volume's directory or streamed through the engine, each followed by its digest list
//! (`volumes/<name>.files.json`, see [`digest_list`]). The target's previous snapshot is
//! the parent: files whose size, mtime and ctime did not change are not read again, and
//! only new chunks are stored.
//!
//! Files are opened beneath their tree's root without following symlinks, so an entry a
//! container swapped for a symlink is never followed out of the volume. Everything here
//! blocks: run it on `spawn_blocking`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustic_core::repofile::{Metadata, Node, NodeType, PackId};
use rustic_core::{
    BackupOptions, ErrorKind, LocalSource, LocalSourceFilterOptions, LocalSourceSaveOptions,
    ParentOptions, ReadSource, ReadSourceEntry, ReadSourceOpen, RusticError, RusticResult,
    SnapshotOptions, repofile::SnapshotFile,
};

use sha2::Digest;

use super::archive::{ExactSize, SafetyCheck, normalize};
use super::beneath;
use super::digest_list::{
    self, ChangeNote, DigestSlot, MAX_DIGEST_LIST_BYTES, VolumeList, VolumeLists,
};
use super::entry::{
    FileList, FileRecord, Fingerprint, Kind, MAX_DEPTH, PathBytes, first_differences, too_deep,
};
use super::manifest::{MANIFEST, Manifest};
use super::restic_node;
use super::reused;
use super::store::MAX_INDEX_BYTES;
use super::streamed::{EngineTree, Held};
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::storage::index;
use crate::storage::location::Repository;
use crate::storage::readback;
use crate::storage::repository::{Open, repository_error};

/// A snapshot's whole id (64 hex digits); restic takes any unique prefix.
fn full_id(id: &rustic_core::repofile::SnapshotId) -> String {
    id.to_hex().to_string()
}

/// The tag every snapshot of a target carries: `safeops-target=<name>`.
pub fn target_tag(target: &str) -> String {
    format!("safeops-target={target}")
}

/// The tag of the kind of a snapshot's target: `safeops-kind=<kind>`. Snapshots of
/// earlier versions lack it; their manifest says the kind.
pub fn kind_tag(kind: &str) -> String {
    format!("safeops-kind={kind}")
}

/// The tag of the engine whose volumes a snapshot holds: `safeops-engine=<address>`.
/// One host may back up several engines (contexts), with targets of the same names.
/// Snapshots of earlier versions lack it.
pub fn engine_tag(engine: &str) -> String {
    format!("{ENGINE_TAG}{engine}")
}

const ENGINE_TAG: &str = "safeops-engine=";

/// Which snapshots are of `target` as this host backs it up from the engine at
/// `engine`: those of another host or engine are never a parent here, nor forgotten
/// here. Those of earlier versions, which did not tag the engine, count (as a parent;
/// `--keep` reads their manifests, see [`forgettable`]).
fn made_here(target: &str, engine: &str) -> impl Fn(&SnapshotFile) -> bool {
    let (tag, host, engine) = (
        target_tag(target),
        crate::state::hostname(),
        engine.to_string(),
    );
    move |s| s.tags.contains(&tag) && s.hostname == host && of_engine(s, &engine)
}

/// Whether snapshot `s` holds volumes of the engine at `engine`: it names that engine
/// (as [`same_engine`](crate::engine::endpoint::same_engine) tells), or no engine at
/// all (made by an earlier version).
fn of_engine(s: &SnapshotFile, engine: &str) -> bool {
    s.tags
        .iter()
        .filter_map(|t| t.strip_prefix(ENGINE_TAG))
        .all(|tagged| crate::engine::endpoint::same_engine(tagged, engine))
}

/// The tag of a safety backup: made before an operation, kept whatever `--keep` says.
pub const SAFETY: &str = "safeops-safety";

/// A tree that goes into the snapshot at `at` (relative, e.g. `volumes/data`).
#[derive(Debug, Clone)]
pub struct Tree {
    /// Where it comes from.
    pub root: TreeRoot,
    /// Where it goes in the snapshot.
    pub at: PathBuf,
}

impl Tree {
    /// Whether it is a volume's (`volumes/<name>`), with a digest list beside it, rather
    /// than one of the staged small files' directories.
    fn is_volume(&self) -> bool {
        self.at.parent() == Some(Path::new("volumes"))
    }
}

/// Where a tree of a snapshot comes from.
#[derive(Debug, Clone)]
pub enum TreeRoot {
    /// A directory on this host, read directly.
    Dir(PathBuf),
    /// A volume read through the engine's archive endpoint.
    Engine(Arc<EngineTree>),
}

/// What a snapshot holds and whose it is.
#[derive(Debug, Clone)]
pub struct Request {
    /// The target's name (its tag).
    pub target: String,
    /// The target's kind, `project`, `container` or `volumes` (its tag: see [`kind_tag`]).
    pub kind: String,
    /// The address of the engine the volumes are read on (its tag: see [`engine_tag`]).
    pub engine: String,
    /// Whether it is a safety backup, made before an operation that changes or removes
    /// volumes (tagged [`SAFETY`]), rather than a backup of its own.
    pub safety: bool,
    /// The trees: the staged files at `.`, the volumes at `volumes/<name>`.
    pub trees: Vec<Tree>,
}

/// What was written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    /// The snapshot's id.
    pub id: String,
    /// Bytes added to the repository (after dedup, before compression).
    pub added_bytes: u64,
    /// Files in the snapshot.
    pub files: u64,
    /// Bytes of those files.
    pub bytes: u64,
    /// Files new or changed since the parent (read again).
    pub files_read: u64,
    /// Files unchanged since the parent (not read).
    pub files_unchanged: u64,
    /// The parent snapshot, when there was one.
    pub parent: Option<String>,
    /// Bytes of new packs read back and checked.
    pub verified_bytes: u64,
    /// The repository it is in.
    pub location: String,
    /// Each volume's files, bytes and entries (the snapshot's manifest was written
    /// before they were read).
    pub volumes: BTreeMap<String, Fingerprint>,
}

/// Opens a regular file beneath its tree's root, never through a symlink.
pub struct BeneathOpen {
    root: Arc<OwnedFd>,
    rel: PathBuf,
    /// The size its node declares.
    size: u64,
    failures: Arc<Mutex<Vec<String>>>,
    cancel: Cancel,
}

impl BeneathOpen {
    /// Opens the file, never through a symlink.
    fn open_file(&self) -> std::io::Result<std::fs::File> {
        beneath::open_regular(self.root.as_fd(), &self.rel)
    }

    /// The opened `file` as the archiver reads it; `changed` is told when the file was
    /// written while it was read.
    fn reading(self, file: std::fs::File, changed: Option<ChangeNote>) -> RecordedRead<SizedFile> {
        let opened = rustix::fs::fstat(&file)
            .ok()
            .map(|s| super::local::write_stamp(&s));
        // Written between the walk and now: the node's size is not the file's.
        if opened.is_some_and(|stamp| stamp[0] != self.size as i64)
            && let Some(note) = &changed
        {
            note.changed();
        }
        RecordedRead {
            file: SizedFile {
                exact: ExactSize::new(file, self.size),
                rel: self.rel.clone(),
                warned: false,
                opened,
                changed,
            },
            rel: self.rel,
            failures: self.failures,
            cancel: self.cancel,
        }
    }
}

/// Whether `err` says an entry was gone when the walk came to look at it.
fn vanished(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(err) = next {
        let io = err.downcast_ref::<std::io::Error>().or_else(|| {
            err.downcast_ref::<ignore::Error>()
                .and_then(ignore::Error::io_error)
        });
        if io.is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) {
            return true;
        }
        next = err.source();
    }
    false
}

/// A file read directly, as the snapshot stores it: exactly the size its node declares
/// (the archiver reads to the end, but a restore trusts the node), as a tar archive
/// holds it. One that shrank while it was read, possible only without quiescing, is
/// padded with zeros and named in a warning; one written while it was read (its size
/// or times moved) is told to its volume's digest list, which counts them.
pub struct SizedFile {
    exact: ExactSize<std::fs::File>,
    rel: PathBuf,
    warned: bool,
    /// What a write changes, as it was when the file was opened.
    opened: Option<[i64; 5]>,
    /// Told, once, at the end of the file when a write moved it.
    changed: Option<ChangeNote>,
}

impl std::io::Read for SizedFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.exact.read(buf)?;
        if self.exact.shrank() && !self.warned {
            self.warned = true;
            tracing::warn!(
                "{}: it shrank while it was read (a container wrote it meanwhile): padded \
                 with zeros to its size, as tar does",
                self.rel.display()
            );
        }
        if n == 0
            && !buf.is_empty()
            && let Some(note) = self.changed.take()
        {
            let now = rustix::fs::fstat(self.exact.get_ref())
                .ok()
                .map(|s| super::local::write_stamp(&s));
            if now.is_none() || now != self.opened || self.exact.shrank() {
                tracing::debug!("{}: written while it was read", self.rel.display());
                note.changed();
            }
        }
        Ok(n)
    }
}

/// Notes that `rel` could not be read, for the snapshot to be dropped: the archiver
/// only logs a file it cannot read and goes on without it.
fn record(failures: &Mutex<Vec<String>>, rel: &Path, err: &std::io::Error) -> Box<RusticError> {
    let why = format!("{}: {err}", rel.display());
    failures
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(why.clone());
    RusticError::new(ErrorKind::InputOutput, why)
}

/// A file being archived: a read error (an I/O error of the disk, say) is recorded like
/// a failed open, so the file is never silently missing from a snapshot. Cancellation
/// ends the reading too: the containers are not restarted while their volume is read.
pub struct RecordedRead<R = std::fs::File> {
    file: R,
    rel: PathBuf,
    failures: Arc<Mutex<Vec<String>>>,
    cancel: Cancel,
}

impl<R: std::io::Read> std::io::Read for RecordedRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cancel.reason().is_some() {
            let err = crate::cancel::cancelled_io();
            record(&self.failures, &self.rel, &err);
            return Err(err);
        }
        self.file.read(buf).inspect_err(|err| {
            if err.kind() != std::io::ErrorKind::Interrupted {
                record(&self.failures, &self.rel, err);
            }
        })
    }
}

/// How the archiver opens an entry's content, and the digest list slot a volume's
/// regular file fills as it is read.
pub struct EntryOpen {
    content: EntryContent,
    digest: Option<DigestSlot>,
}

/// Where an entry's content comes from.
pub enum EntryContent {
    /// A file beneath a directory tree's root.
    Beneath(BeneathOpen),
    /// The content a volume's stream delivered, read like a file of a directory tree.
    Held(RecordedRead<Held>),
    /// A volume's digest list, made once the volume's files were read.
    DigestList(DigestListOpen),
}

impl EntryOpen {
    fn new(content: EntryContent) -> EntryOpen {
        EntryOpen {
            content,
            digest: None,
        }
    }
}

impl ReadSourceOpen for EntryOpen {
    type Reader = Box<dyn std::io::Read + Send>;

    fn open(self) -> RusticResult<Self::Reader> {
        let reader: Self::Reader = match self.content {
            EntryContent::Beneath(beneath) => match beneath.open_file() {
                Ok(file) => {
                    let changed = self.digest.as_ref().map(DigestSlot::change_note);
                    Box::new(beneath.reading(file, changed))
                }
                Err(err) => match self.digest {
                    // A volume's file removed since the walk (by a writer nothing
                    // stopped) is left out of the snapshot and of the digest list.
                    Some(slot) if err.kind() == std::io::ErrorKind::NotFound => {
                        slot.vanished();
                        return Err(RusticError::new(
                            ErrorKind::InputOutput,
                            format!("{}: vanished", beneath.rel.display()),
                        ));
                    }
                    _ => return Err(record(&beneath.failures, &beneath.rel, &err)),
                },
            },
            EntryContent::Held(held) => Box::new(held),
            EntryContent::DigestList(list) => Box::new(list.open()?),
        };
        Ok(match self.digest {
            Some(slot) => Box::new(slot.hashing(reader)),
            None => reader,
        })
    }
}

/// What [`write`] calls once every volume of the snapshot was read.
pub type OnVolumesRead = Box<dyn Fn() + Send + Sync>;

/// Counts the volumes of a snapshot not yet read whole. A volume's digest list is made
/// only when each of its files was read to its end (or found unchanged, or gone): after
/// the last one, what remains is the archiver's own work (the last packs, the trees,
/// the index and the snapshot file), which needs nothing from the volumes.
struct VolumesLeft {
    left: std::sync::atomic::AtomicUsize,
    read: OnVolumesRead,
}

impl VolumesLeft {
    /// One more volume's digest list is made.
    fn one_read(&self) {
        if self.left.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            (self.read)();
        }
    }
}

/// Makes a volume's digest list when the archiver opens it.
pub struct DigestListOpen {
    list: Arc<VolumeList>,
    path: PathBuf,
    failures: Arc<Mutex<Vec<String>>>,
    cancel: Cancel,
    volumes_left: Arc<VolumesLeft>,
}

impl DigestListOpen {
    fn open(self) -> RusticResult<std::io::Cursor<Vec<u8>>> {
        match self.list.content(&self.cancel) {
            Ok(bytes) => {
                self.volumes_left.one_read();
                Ok(std::io::Cursor::new(bytes))
            }
            Err(err) => Err(record(&self.failures, &self.path, &err)),
        }
    }
}

/// The trees of a request in snapshot order: the directory trees' entries, walked
/// beforehand, with each volume read through the engine streamed in at its place.
struct Source {
    walked: Mutex<Option<Vec<ReadSourceEntry<EntryOpen>>>>,
    /// The volumes read through the engine, by their place in the snapshot.
    streams: Vec<(PathBuf, Arc<EngineTree>)>,
    failures: Arc<Mutex<Vec<String>>>,
    cancel: Cancel,
    /// Each volume's digest list, filled as its entries go to the archiver.
    lists: Arc<VolumeLists>,
}

type Entries = Box<dyn Iterator<Item = ReadSourceEntry<EntryOpen>> + Send>;

impl ReadSource for Source {
    type Open = EntryOpen;
    type Iter = Box<dyn Iterator<Item = RusticResult<ReadSourceEntry<EntryOpen>>> + Send>;

    fn size(&self) -> RusticResult<Option<u64>> {
        Ok(None)
    }

    fn entries(&self) -> Self::Iter {
        let mut walked = self
            .walked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_default();
        // A subtree is contiguous in path order: each stream goes between the walked
        // entries before its place and those after it.
        let mut pieces: Vec<Entries> = Vec::new();
        for (at, tree) in &self.streams {
            let after = walked.split_off(walked.partition_point(|e| e.path < *at));
            pieces.push(Box::new(std::mem::replace(&mut walked, after).into_iter()));
            let (tree, at) = (Arc::clone(tree), at.clone());
            let (failures, cancel) = (Arc::clone(&self.failures), self.cancel.clone());
            // The stream starts when the archiver reaches it.
            pieces.push(Box::new(std::iter::once(()).flat_map(move |()| {
                let (failures, cancel) = (Arc::clone(&failures), cancel.clone());
                let entries = tree.entries(at.clone(), Arc::clone(&failures), cancel.clone());
                let recorded = move |path: &PathBuf, held| {
                    EntryOpen::new(EntryContent::Held(RecordedRead {
                        file: held,
                        rel: path.clone(),
                        failures: Arc::clone(&failures),
                        cancel: cancel.clone(),
                    }))
                };
                entries.map(move |(path, node, held)| ReadSourceEntry {
                    open: held.map(|held| recorded(&path, held)),
                    path,
                    node,
                })
            })));
        }
        pieces.push(Box::new(walked.into_iter()));
        let lists = Arc::clone(&self.lists);
        Box::new(
            pieces
                .into_iter()
                .flatten()
                .map(move |entry| Ok(listed(&lists, entry))),
        )
    }
}

/// `entry` with its place in its volume's digest list: a regular file gets the slot
/// its reader fills, a digest list its node (all of its volume's entries went by).
fn listed(
    lists: &VolumeLists,
    mut entry: ReadSourceEntry<EntryOpen>,
) -> ReadSourceEntry<EntryOpen> {
    if let Some(EntryContent::DigestList(list)) = entry.open.as_ref().map(|o| &o.content) {
        entry.node = list.list.node(&entry.node.name().to_string_lossy());
        return entry;
    }
    let volume: PathBuf = entry.path.components().take(2).collect();
    let Some(list) = lists.get(&volume) else {
        return entry;
    };
    let rel = entry.path.strip_prefix(&volume).unwrap_or(Path::new(""));
    let rel = match rel.as_os_str().is_empty() {
        true => PathBytes::root(),
        false => PathBytes(rel.as_os_str().as_bytes().to_vec()),
    };
    let slot = list.track(rel, &entry.node);
    if let Some(open) = entry.open.as_mut() {
        open.digest = slot;
    }
    entry
}

/// The entries of a snapshot's directory trees in snapshot order, the trees read
/// through the engine by their place, in order, and each volume's digest list.
struct Walked {
    entries: Vec<ReadSourceEntry<EntryOpen>>,
    streams: Vec<(PathBuf, Arc<EngineTree>)>,
    lists: VolumeLists,
}

/// Walks every directory tree (metadata only: contents are read by the archiver when
/// needed) and puts the entries in snapshot order, each volume's digest list after its
/// tree. `parents` are the parent snapshot's digest lists, by the volume's place.
fn walk(
    request: &Request,
    mut parents: HashMap<PathBuf, FileList>,
    failures: &Arc<Mutex<Vec<String>>>,
    cancel: &Cancel,
    on_volumes_read: OnVolumesRead,
) -> Result<Walked> {
    let mut entries = Vec::new();
    let mut streams = Vec::new();
    let mut lists = VolumeLists::new();
    let mut marker_entries = Vec::new();
    let volumes_left = Arc::new(VolumesLeft {
        left: std::sync::atomic::AtomicUsize::new(0),
        read: on_volumes_read,
    });
    let mut add_list = |tree: &Tree| {
        let parent = parents.remove(&tree.at);
        let (list, entry) = digest_list_entry(tree, parent, failures, cancel, &volumes_left);
        lists.insert(tree.at.clone(), Arc::clone(&list));
        marker_entries.push(entry);
        list
    };
    for tree in &request.trees {
        let root = match &tree.root {
            TreeRoot::Dir(root) => root,
            TreeRoot::Engine(engine) => {
                streams.push((tree.at.clone(), Arc::clone(engine)));
                add_list(tree);
                continue;
            }
        };
        let opened = Arc::new(
            beneath::open_root(root)
                .map_err(|e| Error::failure(format!("cannot open {}: {e}", root.display())))?,
        );
        let list = tree.is_volume().then(|| add_list(tree));
        let source = LocalSource::new(
            LocalSourceSaveOptions::default(),
            &rustic_core::Excludes::default(),
            &LocalSourceFilterOptions::default(),
            &[root],
        )
        .map_err(|e| {
            Error::failure(format!(
                "cannot walk {}: {}",
                root.display(),
                e.display_log()
            ))
        })?;
        // The walker leaves out its root: a volume's own directory (owner, mode) is
        // taken here, so a restore gives it back as it was.
        let tree_root = (!tree.at.as_os_str().is_empty())
            .then(|| root_entry(root))
            .transpose()?;
        for entry in tree_root.into_iter().map(Ok).chain(source.entries()) {
            let entry = match (entry, &list) {
                (Ok(entry), _) => entry,
                // Removed since its directory was listed (a volume written while it is
                // read): not in the snapshot, as tar leaves it out.
                (Err(e), Some(list)) if vanished(&*e) => {
                    list.vanished_in_walk();
                    continue;
                }
                (Err(e), _) => {
                    return Err(Error::failure(format!(
                        "cannot walk {}: {}",
                        root.display(),
                        e.display_log()
                    )));
                }
            };
            let rel = entry
                .path
                .strip_prefix(root)
                .unwrap_or(Path::new(""))
                .to_path_buf();
            let path = tree.at.join(&rel);
            if path.as_os_str().is_empty() {
                // The staged files' root is the snapshot's root: no entry of its own.
                continue;
            }
            let mut node = entry.node;
            // As deep as the plain format's walk and every restore go.
            if list.is_some() && too_deep(rel.components().count(), node.is_dir()) {
                return Err(Error::failure(format!(
                    "{}: directories nested deeper than {MAX_DEPTH} levels, which no \
                     restore could give back",
                    path.display()
                )));
            }
            // Owners are the containers' numeric ids: this host's names for them mean
            // nothing inside a container (and would map them to other ids on restore).
            node.meta.user = None;
            node.meta.group = None;
            if rel.as_os_str().is_empty()
                && let Some(name) = tree.at.file_name()
            {
                node.name = name.to_string_lossy().into_owned();
            }
            let open = entry.open.map(|_| {
                EntryOpen::new(EntryContent::Beneath(BeneathOpen {
                    root: Arc::clone(&opened),
                    rel: rel.clone(),
                    size: node.meta.size,
                    failures: Arc::clone(failures),
                    cancel: cancel.clone(),
                }))
            });
            entries.push(ReadSourceEntry { path, node, open });
        }
    }
    // Set before the archiver opens any digest list.
    volumes_left
        .left
        .store(lists.len(), std::sync::atomic::Ordering::SeqCst);
    entries.append(&mut marker_entries);
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    streams.sort_by(|a: &(PathBuf, _), b| a.0.cmp(&b.0));
    Ok(Walked {
        entries,
        streams,
        lists,
    })
}

/// The digest list of volume tree `tree` and its entry, placed after the tree (see
/// [`digest_list`]).
fn digest_list_entry(
    tree: &Tree,
    parent: Option<FileList>,
    failures: &Arc<Mutex<Vec<String>>>,
    cancel: &Cancel,
    volumes_left: &Arc<VolumesLeft>,
) -> (Arc<VolumeList>, ReadSourceEntry<EntryOpen>) {
    let name = tree
        .at
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = PathBuf::from(digest_list::path_of(&name));
    let list = Arc::new(VolumeList::new(&name, parent));
    let node = Node::new_node(
        path.file_name().unwrap_or_default(),
        NodeType::File,
        Metadata::default(),
    );
    let open = EntryOpen::new(EntryContent::DigestList(DigestListOpen {
        list: Arc::clone(&list),
        path: path.clone(),
        failures: Arc::clone(failures),
        cancel: cancel.clone(),
        volumes_left: Arc::clone(volumes_left),
    }));
    let entry = ReadSourceEntry {
        path,
        node,
        open: Some(open),
    };
    (list, entry)
}

/// The entry of a tree's root directory itself, with its metadata.
fn root_entry(root: &Path) -> Result<ReadSourceEntry<<LocalSource as ReadSource>::Open>> {
    let cannot = |why: String| Error::failure(format!("cannot read {}: {why}", root.display()));
    let entry = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .follow_links(false)
        .max_depth(Some(0))
        .build()
        .next()
        .ok_or_else(|| cannot("it is gone".into()))?
        .map_err(|e| cannot(e.to_string()))?;
    LocalSourceSaveOptions::default()
        .map_entry(entry)
        .map_err(|e| cannot(e.to_string()))
}

/// The prefix of the tags naming a snapshot's volumes with their fingerprints:
/// `safeops-volume=NAME:FILES:BYTES:ENTRIES`, so that `status` learns each volume's last
/// backup from the snapshot list alone.
const VOLUME_TAG: &str = "safeops-volume=";

/// The tags naming each volume of a snapshot with its fingerprint.
fn volume_tags(lists: &VolumeLists) -> Vec<String> {
    lists
        .values()
        .map(|list| {
            let f = list.fingerprint();
            format!(
                "{VOLUME_TAG}{}:{}:{}:{}",
                list.name(),
                f.file_count,
                f.total_bytes,
                f.entry_count
            )
        })
        .collect()
}

/// The parent snapshot's digest list of each of `volumes` that it holds, by the volume's
/// name: the digests of the files the archiver finds unchanged. `None`
/// when the parent cannot be one: a volume of it was read through the engine (its
/// whole-second mtimes and missing ctimes prove nothing), or a volume of it has no
/// sound digest list (made by an older version, say); the snapshot is then read whole.
fn parent_lists(
    repo: &rustic_core::Repository<rustic_core::IndexedFullStatus>,
    location: &Repository,
    parent: &SnapshotFile,
    volumes: &[String],
) -> Option<HashMap<String, FileList>> {
    let unusable = |why: String| {
        tracing::info!(
            "snapshot {} is no parent, every file is read: {why}",
            full_id(&parent.id)
        );
    };
    let manifest = match read_manifest(repo, parent, location) {
        Ok(manifest) => manifest,
        Err(why) => {
            unusable(why);
            return None;
        }
    };
    if let Some(api) = manifest.volumes.iter().find(|v| v.access == "api") {
        {
            unusable(format!("volume {} was read through the engine", api.name));
            return None;
        }
    }
    let mut lists = HashMap::new();
    for name in volumes {
        let Some(info) = manifest.volumes.iter().find(|v| &v.name == name) else {
            // Not in the parent: the archiver reads all of it.
            continue;
        };
        let list = read_file(
            repo,
            parent,
            location,
            &info.file_list,
            MAX_DIGEST_LIST_BYTES,
        )
        .map_err(|e| e.message)
        .and_then(|b| serde_json::from_slice::<FileList>(&b).map_err(|e| e.to_string()));
        match list {
            Ok(list) if digest_list::unsound(&list).is_empty() => {
                lists.insert(name.clone(), list);
            }
            Ok(list) => {
                let why = digest_list::unsound(&list).join("; ");
                {
                    unusable(format!("volume {}: {why}", info.name));
                    return None;
                }
            }
            Err(why) => {
                unusable(format!("volume {}: {why}", info.name));
                return None;
            }
        }
    }
    Some(lists)
}

/// The most blobs the files of a volume's tree may name altogether (each is held with
/// its node while the volume is restored): 64 TiB of chunks of restic's average size. A
/// forged tree that repeats a subtree whose files name many blobs would otherwise hold
/// gigabytes well below [`digest_list::MAX_TREE_ENTRIES`].
const MAX_TREE_BLOBS: usize = 1 << 26;

/// Volume `volume`'s entries in `snapshot`, in restore order with their nodes, each
/// checked like an archive's (no path leaves the volume, none goes through a symlink).
pub fn volume_entries(
    repo: &rustic_core::Repository<rustic_core::IndexedFullStatus>,
    snapshot: &SnapshotFile,
    location: &Repository,
    volume: &str,
) -> Result<Vec<(FileRecord, Node)>> {
    entries_within(
        repo,
        (snapshot, location),
        volume,
        (digest_list::MAX_TREE_ENTRIES, MAX_TREE_BLOBS),
    )
}

/// [`volume_entries`], refused when the tree expands to more than `most` entries or its
/// files name more than `most_blobs` blobs.
fn entries_within(
    repo: &rustic_core::Repository<rustic_core::IndexedFullStatus>,
    (snapshot, location): (&SnapshotFile, &Repository),
    volume: &str,
    (most, most_blobs): (usize, usize),
) -> Result<Vec<(FileRecord, Node)>> {
    let unsafe_entry = |why: String| {
        Error::integrity(format!(
            "{location}#{}: volume {volume}: unsafe entry: {why}",
            full_id(&snapshot.id)
        ))
    };
    let root = node(repo, snapshot, location, &format!("volumes/{volume}"))?;
    let mut inodes = HashMap::new();
    let mut safety = SafetyCheck::default();
    let mut entries = Vec::new();
    let mut blobs = 0usize;
    let mut add = |path: PathBytes, node: Node| -> Result<()> {
        blobs += node.content.as_ref().map_or(0, Vec::len);
        if blobs > most_blobs {
            return Err(Error::integrity(format!(
                "{location}#{}: volume {volume}: its files name more than {most_blobs} \
                 blobs: a damaged or forged snapshot",
                full_id(&snapshot.id),
            )));
        }
        if let Some(record) = restic_node::record(path, &node, &mut inodes) {
            safety
                .check(&record)
                .map_err(|e| unsafe_entry(e.to_string()))?;
            entries.push((record, node));
        }
        Ok(())
    };
    add(PathBytes::root(), root.clone())?;
    let listed = repo
        .ls(&root, &rustic_core::LsOptions::default())
        .map_err(|e| repository_error(location, &e))?;
    for (count, item) in listed.enumerate() {
        if count >= most {
            return Err(Error::integrity(format!(
                "{location}#{}: volume {volume}: the tree expands to more than {most} \
                 entries, more than any digest list describes: a damaged or forged snapshot",
                full_id(&snapshot.id),
            )));
        }
        let (path, node) = item.map_err(|e| repository_error(location, &e))?;
        let raw = path.as_os_str().as_bytes();
        let path = normalize(raw)
            .filter(|p| !p.is_root())
            .ok_or_else(|| unsafe_entry(String::from_utf8_lossy(raw).into_owned()))?;
        add(path, node)?;
    }
    Ok(entries)
}

/// `list`, what volume `info` holds in `snapshot` by its tree, with the digests of the
/// volume's digest list; an error when the two disagree on any entry.
pub fn with_stored_digests(
    repo: &rustic_core::Repository<rustic_core::IndexedFullStatus>,
    snapshot: &SnapshotFile,
    location: &Repository,
    info: &crate::backup::manifest::VolumeInfo,
    list: FileList,
) -> Result<FileList> {
    let bytes = read_file(
        repo,
        snapshot,
        location,
        &info.file_list,
        MAX_DIGEST_LIST_BYTES,
    )?;
    let stored: FileList = serde_json::from_slice(&bytes).map_err(|e| {
        Error::integrity(format!(
            "{location}#{}: {}: {e}",
            full_id(&snapshot.id),
            info.file_list
        ))
    })?;
    let digests = stored
        .entries
        .iter()
        .filter_map(|e| Some((e.path.clone(), e.sha256.clone()?)))
        .collect();
    let list = list.with_digests(&digests);
    let mut differences = digest_list::unsound(&stored);
    differences.extend(stored.differences(&list));
    if !differences.is_empty() {
        return Err(Error::integrity(format!(
            "{location}#{}: volume {}: the snapshot's tree differs from its digest list:\n  {}",
            full_id(&snapshot.id),
            info.name,
            first_differences(&differences)
        )));
    }
    Ok(list)
}

/// The node at `path` in `snapshot`.
pub fn node(
    repo: &rustic_core::Repository<rustic_core::IndexedFullStatus>,
    snapshot: &SnapshotFile,
    location: &Repository,
    path: &str,
) -> Result<Node> {
    repo.node_from_snapshot_and_path(snapshot, path)
        .map_err(|e| {
            Error::integrity(format!(
                "{location}#{}: no {path} in the snapshot: {}",
                snapshot.id,
                concise(&e.display_log())
            ))
        })
}

/// Writes the content of the file `node` into `into`: refused (an integrity error) when
/// its blobs do not add up to its recorded size, which the index tells before anything
/// is read (a hostile tree may list one blob a million times under a small size), or
/// one is not in the index; the storage's failures are its own errors.
pub fn dump(
    repo: &rustic_core::Repository<rustic_core::IndexedFullStatus>,
    location: &Repository,
    node: &Node,
    into: &mut dyn std::io::Write,
) -> Result<()> {
    let mut total: u64 = 0;
    for id in node.content.iter().flatten() {
        let entry = repo
            .get_index_entry(id)
            .map_err(|e| Error::integrity(concise(&e.display_log())))?;
        total = total.saturating_add(u64::from(entry.data_length()));
    }
    if total != node.meta.size {
        return Err(Error::integrity(format!(
            "its content adds up to {total} bytes, not the {} recorded",
            node.meta.size
        )));
    }
    repo.dump(node, &mut WriteRef(into)).map_err(|e| {
        // Its exit code, in one line: rustic's whole text may carry a backtrace.
        let mut err = repository_error(location, &e);
        err.message = format!(
            "repository {location}: {}",
            crate::redact::text(&concise(&e.display_log()))
        );
        err
    })
}

/// The file at `path` in `snapshot`, refused when it is not a regular file of at most
/// `max` bytes.
pub fn read_file(
    repo: &rustic_core::Repository<rustic_core::IndexedFullStatus>,
    snapshot: &SnapshotFile,
    location: &Repository,
    path: &str,
    max: u64,
) -> Result<Vec<u8>> {
    let found = node(repo, snapshot, location, path)?;
    if !found.is_file() || found.meta.size > max {
        return Err(Error::integrity(format!(
            "{location}#{}: {path} is not a file of at most {max} bytes",
            snapshot.id
        )));
    }
    let mut bytes = Vec::new();
    dump(repo, location, &found, &mut bytes).map_err(|mut err| {
        err.message = format!("{location}#{}: {path}: {}", snapshot.id, err.message);
        err
    })?;
    Ok(bytes)
}

/// The manifest of `snapshot`, or why it cannot be read.
fn read_manifest(
    repo: &rustic_core::Repository<rustic_core::IndexedFullStatus>,
    snapshot: &SnapshotFile,
    location: &Repository,
) -> std::result::Result<Manifest, String> {
    let bytes =
        read_file(repo, snapshot, location, MANIFEST, MAX_INDEX_BYTES).map_err(|e| e.message)?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// Each volume's last backup in the repository (its time and fingerprint) by this
/// host, from the snapshots' tags.
pub fn last_by_volume(repo: &Open, engine: &str) -> Result<HashMap<String, (String, Fingerprint)>> {
    let host = crate::state::hostname();
    let mut snapshots = matching(repo, |s| {
        s.tags.contains("docker-safeops") && s.hostname == host && of_engine(s, engine)
    })?;
    snapshots.sort_by_key(|s| std::cmp::Reverse(s.time.timestamp()));
    let mut last = HashMap::new();
    for snapshot in &snapshots {
        for tag in snapshot.tags.iter() {
            let Some(value) = tag.strip_prefix(VOLUME_TAG) else {
                continue;
            };
            let mut fields = value.split(':');
            let name = fields.next().unwrap_or_default().to_string();
            let mut number = || fields.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            let fingerprint = Fingerprint {
                file_count: number(),
                total_bytes: number(),
                entry_count: number(),
            };
            last.entry(name)
                .or_insert_with(|| (snapshot.time.timestamp().to_string(), fingerprint));
        }
    }
    Ok(last)
}

/// The published snapshots of `target` made on this host from the engine at `engine`
/// (see [`made_here`]). A repository may be shared by several hosts, each with a
/// target of that name (restic's `forget` groups by host for the same reason).
fn of_target_here<S: rustic_core::Open>(
    repo: &rustic_core::Repository<S>,
    target: &str,
    engine: &str,
) -> Result<Vec<SnapshotFile>> {
    let here = made_here(target, engine);
    matching(repo, |s| here(s) && s.tags.contains("docker-safeops"))
}

/// What a backup into a repository reads there before the containers stop, so that
/// they are stopped only while the volumes are read: the index, the target's last
/// snapshot on this host and its digest lists, and the unpublished snapshots runs that
/// died left.
pub struct Prepared {
    repo: rustic_core::Repository<rustic_core::IndexedFullStatus>,
    /// The index files listed before the index was read: the new snapshot's packs are
    /// in the others, and a prune that ran meanwhile removed one of these.
    before: std::collections::BTreeSet<rustic_core::repofile::IndexId>,
    /// Whether the index files were the same once the index was read.
    steady: bool,
    /// The target's last published snapshot made on this host.
    last: Option<SnapshotFile>,
    /// Its digest list of each volume, by name; `None` when it cannot be a parent.
    parent_lists: Option<HashMap<String, FileList>>,
    /// The target's unpublished snapshots made on this host.
    abandoned: Vec<rustic_core::repofile::SnapshotId>,
}

/// Reads what a backup of `target`'s `volumes` needs from `repo` before anything stops
/// (see [`Prepared`]). Only reads.
pub fn prepare(
    repo: Open,
    location: &Repository,
    (target, engine): (&str, &str),
    volumes: &[String],
) -> Result<Prepared> {
    let (published, unpublished): (Vec<_>, Vec<_>) = matching(&repo, made_here(target, engine))?
        .into_iter()
        .partition(|s| s.tags.contains("docker-safeops"));
    let abandoned = unpublished
        .iter()
        .filter(|s| s.tags.contains(PENDING))
        .map(|s| s.id)
        .collect();
    let last = published.into_iter().max_by(|a, b| a.time.cmp(&b.time));
    let before = readback::index_ids(&repo, location)?;
    // `archive` does not update the index it works with: a fresh one per snapshot. A
    // full one: the parent's digest lists are read from it.
    let repo = repo
        .to_indexed()
        .map_err(|e| repository_error(location, &e))?;
    let steady = readback::index_ids(&repo, location)? == before;
    let parent_lists = last
        .as_ref()
        .and_then(|last| parent_lists(&repo, location, last, volumes));
    Ok(Prepared {
        repo,
        before,
        steady,
        last,
        parent_lists,
        abandoned,
    })
}

impl Prepared {
    /// Whether what was read is still current: the index files did not change while the
    /// index was read, and every one of them is still there. A prune (one that finished
    /// before the lock was confirmed) replaces index files before it deletes
    /// packs, and what was read before it may name packs it deleted.
    pub fn current(&self, location: &Repository) -> Result<bool> {
        Ok(self.steady
            && self
                .before
                .is_subset(&readback::index_ids(&self.repo, location)?))
    }

    /// Removes the unpublished snapshots of `target` that runs on this host left when
    /// they died before publishing (SIGKILL, a power cut). The caller holds the
    /// target's lock, so no run of it is under way here, and the repository's, so no
    /// prune is. What they wrote stays until a prune.
    pub fn forget_abandoned(&mut self, location: &Repository, target: &str) {
        let ids = std::mem::take(&mut self.abandoned);
        if ids.is_empty() {
            return;
        }
        match self.repo.delete_snapshots(&ids) {
            Ok(()) => crate::say!(
                "note: removed {} unpublished snapshot(s) of {target} from {location}, left \
                 by a run that died",
                ids.len()
            ),
            Err(e) => tracing::warn!(
                "cannot remove the unpublished snapshots a run that died left: {}",
                concise(&e.display_log())
            ),
        }
    }
}

/// The snapshots `filter` matches. rustic lists the snapshot files and then reads each:
/// a concurrent backup removing its unpublished snapshot in between fails the listing,
/// which is therefore tried again.
fn matching<S: rustic_core::Open>(
    repo: &rustic_core::Repository<S>,
    filter: impl Fn(&SnapshotFile) -> bool,
) -> Result<Vec<SnapshotFile>> {
    let mut attempt = 0;
    loop {
        match repo.get_matching_snapshots(&filter) {
            Ok(found) => return Ok(found),
            Err(e) if attempt < 3 => {
                attempt += 1;
                tracing::debug!("listing snapshots again: {}", concise(&e.display_log()));
            }
            Err(e) => {
                return Err(Error::failure(format!(
                    "cannot list snapshots: {}",
                    concise(&e.display_log())
                )));
            }
        }
    }
}

/// The tag of a snapshot written but not yet published. Without the `docker-safeops`
/// tag it is invisible to `backups`, `verify`, `restore` and as a parent; restic lists
/// it, and one a run that died left is removed by the target's next backup on the same
/// host (or by `restic forget --tag safeops-pending`).
const PENDING: &str = "safeops-pending";

/// The tag of a snapshot every blob of which was read back before it was published, its
/// new ones and those it reused from elsewhere (see [`reused`]); snapshots of earlier
/// versions had only their new packs read back, and vouch for nothing they reuse.
const ALL_READ_BACK: &str = "safeops-all-read-back";

/// A snapshot written, every file of it read, but not yet checked and published.
pub struct Pending {
    location: Repository,
    repo: rustic_core::Repository<rustic_core::IndexedFullStatus>,
    snapshot: SnapshotFile,
    before: std::collections::BTreeSet<rustic_core::repofile::IndexId>,
    /// The root tree of the target's last snapshot, whose blobs were read back.
    reference: Option<rustic_core::TreeId>,
    /// Its volumes' tags, known once every entry went by: given when it is published.
    volume_tags: Vec<String>,
    /// Its volumes' fingerprints, likewise.
    fingerprints: BTreeMap<String, Fingerprint>,
}

impl Pending {
    /// The repository it is in.
    pub fn location(&self) -> &Repository {
        &self.location
    }

    /// Removes the unpublished snapshot after `err`, saying so when it cannot.
    pub fn discard(self, mut err: Error) -> Error {
        if let Err(e) = self.repo.delete_snapshots(&[self.snapshot.id]) {
            err.message = format!(
                "{}\n(the unpublished snapshot {} could not be removed: {}; it is tagged \
                 {PENDING} and never used)",
                err.message,
                full_id(&self.snapshot.id),
                concise(&e.display_log())
            );
        }
        err
    }
}

/// Writes one snapshot of `request` into the repository at `location`, `prepared`
/// there, unpublished. A file that could not be read fails it, and so does `cancel`;
/// either way the snapshot is removed. `on_volumes_read` is called once every volume
/// of the request was read whole, while the snapshot is still being finished (never
/// when the request holds no volume, or one could not be read).
pub fn write(
    location: &Repository,
    prepared: Prepared,
    request: &Request,
    cancel: &Cancel,
    on_volumes_read: OnVolumesRead,
) -> Result<Pending> {
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let Prepared {
        repo,
        before,
        last,
        parent_lists,
        ..
    } = prepared;
    // The target's last snapshot, all of whose blobs were read back when it was
    // published: what the new one reuses from it needs no read-back (see `reused`).
    let reference = last
        .as_ref()
        .filter(|s| s.tags.contains(ALL_READ_BACK))
        .map(|s| s.tree);
    // A volume streamed through the engine has whole-second mtimes, which cannot prove
    // a file unchanged since the parent: such a snapshot is read whole, with no parent.
    let streamed = request
        .trees
        .iter()
        .any(|t| matches!(t.root, TreeRoot::Engine(_)));
    let (parent, parents) = match (last, parent_lists) {
        (Some(parent), Some(mut lists)) if !streamed => {
            let parents = request
                .trees
                .iter()
                .filter(|t| t.is_volume())
                .filter_map(|t| {
                    let name = t.at.file_name()?.to_string_lossy();
                    Some((t.at.clone(), lists.remove(name.as_ref())?))
                })
                .collect();
            (Some(parent), parents)
        }
        _ => (None, HashMap::new()),
    };
    let mut parent_opts = ParentOptions::default();
    match &parent {
        Some(parent) => parent_opts = parent_opts.parents(vec![full_id(&parent.id)]),
        None => parent_opts = parent_opts.force(true),
    }
    let options = BackupOptions::default().parent_opts(parent_opts);
    let mut snapshot = SnapshotOptions::default()
        .host(crate::state::hostname())
        .to_snapshot()
        .map_err(|e| repository_error(location, &e))?;
    // Added one by one: a list of tags in one string is cut at its commas.
    let tags = [
        target_tag(&request.target),
        kind_tag(&request.kind),
        engine_tag(&request.engine),
    ];
    let safety = request.safety.then(|| SAFETY.to_string());
    for tag in tags.into_iter().chain(safety).chain([PENDING.to_string()]) {
        snapshot.tags.add(tag);
    }
    let walked = walk(request, parents, &failures, cancel, on_volumes_read)?;
    let lists = Arc::new(walked.lists);
    let source = Source {
        walked: Mutex::new(Some(walked.entries)),
        streams: walked.streams,
        failures: Arc::clone(&failures),
        cancel: cancel.clone(),
        lists: Arc::clone(&lists),
    };
    let snapshot = repo
        .archive(&options, &source, snapshot, &[PathBuf::from("/")])
        .map_err(|e| repository_error(location, &e))?;
    let pending = Pending {
        location: location.clone(),
        repo,
        snapshot,
        before,
        reference,
        volume_tags: volume_tags(&lists),
        fingerprints: lists
            .values()
            .map(|l| (l.name().to_string(), l.fingerprint()))
            .collect(),
    };
    if cancel.reason().is_some() {
        return Err(pending.discard(Error::interrupted()));
    }
    let failed = failures.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if !failed.is_empty() {
        return Err(pending.discard(Error::failure(format!(
            "{} file(s) could not be read, no snapshot was kept: {}",
            failed.len(),
            failed.join("; ")
        ))));
    }
    Ok(pending)
}

/// Reads back what `pending` added (see [`readback`]) and the blobs it reuses from
/// elsewhere than the target's last snapshot (see [`reused`]): the bytes read. On any
/// failure, or `cancel`, it is removed.
pub fn read_back(pending: Pending, cancel: &Cancel) -> Result<(Pending, u64)> {
    let location = pending.location.clone();
    let written = match readback::new_packs(&pending.repo, &location, &pending.before) {
        Ok(written) => written,
        Err(err) => return Err(pending.discard(err)),
    };
    // An index that knows the blobs the snapshot added, to walk its new trees.
    let mut pending = pending;
    pending.repo = match pending.repo.drop_index().to_indexed() {
        Ok(repo) => repo,
        Err(e) => {
            let mut err = repository_error(&location, &e);
            err.message = format!(
                "{} (the unpublished snapshot stays, tagged {PENDING}: no verb lists it, \
                 and the target's next backup on this host removes it)",
                err.message
            );
            return Err(err);
        }
    };
    let written_ids: std::collections::BTreeSet<_> = written.iter().map(|p| p.id).collect();
    let checked = reused::outside_parent(
        &pending.repo,
        &location,
        pending.snapshot.tree,
        pending.reference,
        &written_ids,
        cancel,
    )
    .and_then(|reused| {
        let packs = (written.as_slice(), reused.as_slice());
        readback::check_with_parts(&location, &pending.repo.key(), packs, cancel)
    });
    match checked {
        Ok((problems, bytes)) if problems.is_empty() => Ok((pending, bytes)),
        Ok((problems, _)) => {
            let err = Error::integrity(format!(
                "what the backup wrote to {location} does not read back sound, so no snapshot \
                 was kept:\n  {}",
                readback::listed(&problems)
            ));
            let damaged: BTreeSet<PackId> = problems.iter().map(|d| d.pack).collect();
            let unindexed = index::unindex(&pending.repo, &location, &pending.before, &damaged);
            Err(pending.discard(damage_hint(err, &damaged, unindexed)))
        }
        Err(err) => Err(pending.discard(err)),
    }
}

/// `err`, about the packs `damaged`, with what became of taking the new ones out of
/// the index (`unindexed`) and what is left for the user to do.
fn damage_hint(
    err: Error,
    damaged: &BTreeSet<PackId>,
    unindexed: Result<BTreeSet<PackId>>,
) -> Error {
    let short = |packs: &BTreeSet<PackId>| {
        let short: Vec<String> = packs.iter().map(|p| p.to_hex()[..8].into()).collect();
        short.join(", ")
    };
    // restic's and rustic's `repair index` read the packs' own headers: one still in
    // data/ is indexed again, damage and all. Older snapshots may need what an older
    // pack holds: the damage is confirmed before anything is deleted.
    let files: Vec<String> = damaged
        .iter()
        .map(|p| {
            let hex = p.to_hex();
            format!("data/{}/{}", &hex[..2], &*hex)
        })
        .collect();
    let repair = format!(
        "confirm it with `restic check --read-data` (from another host if this one's \
         memory is in doubt), then delete {} from the repository, run `restic repair \
         index` (`restic rebuild-index` before restic 0.16, or `rustic repair index`) and \
         back up again; `restic repair snapshots` then drops from older snapshots what no \
         backup wrote again",
        files.join(", ")
    );
    match unindexed {
        Ok(unindexed) if unindexed == *damaged => err.hint(
            "the damaged packs were taken out of the repository's index, so no backup \
             reuses what they hold: the next one writes it again, and a prune deletes them \
             (delete them by hand before any `repair index`, which would index them again). \
             Check the storage, and this host's memory, before trusting it again",
        ),
        Ok(unindexed) => {
            let older: BTreeSet<PackId> = damaged.difference(&unindexed).copied().collect();
            err.hint(format!(
                "the packs {} are older and stay in the repository's index, and the next \
                 backups would reuse what they hold and fail alike: {repair}",
                short(&older)
            ))
        }
        Err(why) => err.hint(format!(
            "taking the damaged packs out of the index failed ({}), and the next backups \
             would reuse what they hold and fail alike: {repair}",
            why.message
        )),
    }
}

/// Publishes `pending`, read back (`verified_bytes`): the snapshot is saved again with
/// the `docker-safeops` tag and the unpublished one removed.
pub fn publish(pending: Pending, verified_bytes: u64) -> Result<Written> {
    let location = pending.location.clone();
    let mut published = pending.snapshot.clone();
    published
        .tags
        .remove_all(&[PENDING.parse().expect("a tag")]);
    published.tags.add("docker-safeops".to_string());
    published.tags.add(ALL_READ_BACK.to_string());
    for tag in &pending.volume_tags {
        published.tags.add(tag.clone());
    }
    let time = published.time.clone();
    let tags = published.tags.clone();
    let tree = published.tree;
    let listed = |repo: &rustic_core::Repository<rustic_core::IndexedFullStatus>| {
        repo.list::<rustic_core::repofile::SnapshotId>()
            .map(|ids| ids.collect::<std::collections::BTreeSet<_>>())
            .map_err(|e| repository_error(&location, &e))
    };
    let before = match listed(&pending.repo) {
        Ok(before) => before,
        Err(err) => return Err(pending.discard(err)),
    };
    if let Err(e) = pending.repo.save_snapshots(vec![published]) {
        let err = repository_error(&location, &e);
        return Err(pending.discard(err));
    }
    // Only the new snapshot files are read: others may come and go meanwhile (the
    // pending snapshots of concurrent backups).
    // Each by its whole id (a short one may be ambiguous), and one that another
    // backup's publication removed again meanwhile is not an error.
    let confirmed = listed(&pending.repo).and_then(|after| {
        after
            .difference(&before)
            .filter_map(|id| pending.repo.get_snapshots(&[full_id(id)]).ok())
            .flatten()
            // The tree the read-back vouched for, read back from the stored file.
            .find(|s| s.time == time && s.tags == tags && s.tree == tree)
            .ok_or_else(|| Error::failure("it is not among the new snapshot files"))
            // rustic read it through its cache: the stored copy itself is checked too.
            .and_then(|saved| check_named_by_content(&location, &saved.id).map(|()| saved))
    });
    let saved = match confirmed {
        Ok(saved) => saved,
        Err(mut err) => {
            // Saved is published: the pending copy goes, and the error says where it is.
            let _ = pending.repo.delete_snapshots(&[pending.snapshot.id]);
            err.message = format!(
                "the snapshot is published in {location} but could not be confirmed: {}\n\
                 (`docker safeops backups --to {location}` lists it)",
                err.message
            );
            return Err(err);
        }
    };
    if let Err(e) = pending.repo.delete_snapshots(&[pending.snapshot.id]) {
        tracing::warn!(
            "the unpublished copy {} stays in {location} ({}); `restic forget --tag {PENDING}` \
             removes it",
            full_id(&pending.snapshot.id),
            concise(&e.display_log())
        );
    }
    let summary = saved.summary.clone().unwrap_or_default();
    Ok(Written {
        id: full_id(&saved.id),
        added_bytes: summary.data_added,
        files: summary.total_files_processed,
        bytes: summary.total_bytes_processed,
        files_read: summary.files_new + summary.files_changed,
        files_unchanged: summary.files_unmodified,
        parent: saved.parent.map(|p| full_id(&p)),
        verified_bytes,
        location: location.to_string(),
        volumes: pending.fingerprints.clone(),
    })
}

/// Forgets the snapshots of `target` that `retention` does not keep, never `protect`
/// (the one just made), and prunes what only they used, reading back what the prune
/// writes before what it replaces is deleted (see [`super::prune`]). Call it holding
/// the repository's exclusive lock: the prune deletes packs, as restic's does.
/// Returns the ids forgotten.
pub fn forget(
    location: &Repository,
    repo: Open,
    (target, kind, engine): (&str, &str, &str),
    retention: super::store::Retention,
    protect: &str,
    cancel: &Cancel,
) -> Result<Vec<String>> {
    let snapshots = of_target_here(&repo, target, engine)?;
    let (repo, mut snapshots) = forgettable(location, repo, snapshots, (kind, engine))?;
    snapshots.sort_by_key(|s| std::cmp::Reverse(s.time.timestamp()));
    let now = rustic_core::jiff::Timestamp::now();
    let gone: Vec<_> = snapshots
        .iter()
        .enumerate()
        .filter(|(index, s)| {
            let age = std::time::Duration::try_from(now.duration_since(s.time.timestamp()))
                .unwrap_or_default();
            full_id(&s.id) != protect && retention.drops(*index, age)
        })
        .map(|(_, s)| s.id)
        .collect();
    if gone.is_empty() {
        return Ok(Vec::new());
    }
    repo.delete_snapshots(&gone)
        .map_err(|e| repository_error(location, &e))?;
    let key = repo.key();
    super::prune::prune(location, &repo, &|packs| {
        readback::check(location, &key, packs, cancel)
    })?;
    Ok(gone.iter().map(full_id).collect())
}

/// Of `snapshots`, those `--keep` may forget: the backups of a `kind` target of the
/// engine at `engine`, not the safety backups made before an operation (a `down -v`'s
/// undo restores one), nor another kind's of the same name (volume `db` and container
/// `db`), nor another engine's. Their tags say so; the manifest of a snapshot made
/// before those tags does, read with the index loaded only then. One whose manifest
/// cannot be read is kept.
fn forgettable(
    location: &Repository,
    repo: Open,
    snapshots: Vec<SnapshotFile>,
    (kind, engine): (&str, &str),
) -> Result<(Open, Vec<SnapshotFile>)> {
    let kind_of = kind_tag(kind);
    // Decided by its tags: one with a kind tag that is another kind's or a safety
    // backup (kept whatever its engine), or that names its engine. Only the others,
    // of versions before those tags, are judged by their manifests (for which the
    // index is loaded).
    let (tagged, untagged): (Vec<_>, Vec<_>) = snapshots.into_iter().partition(|s| {
        s.tags.iter().any(|t| t.starts_with(&kind_tag("")))
            && (s.tags.iter().any(|t| t.starts_with(ENGINE_TAG))
                || s.tags.contains(SAFETY)
                || !s.tags.contains(&kind_of))
    });
    let mut forgettable: Vec<SnapshotFile> = tagged
        .into_iter()
        .filter(|s| s.tags.contains(&kind_of) && !s.tags.contains(SAFETY))
        .collect();
    if untagged.is_empty() {
        return Ok((repo, forgettable));
    }
    let indexed = repo
        .to_indexed()
        .map_err(|e| repository_error(location, &e))?;
    for snapshot in untagged {
        match read_manifest(&indexed, &snapshot, location) {
            Ok(manifest)
                if manifest.purpose == super::manifest::BACKUP_PURPOSE
                    && manifest.target.kind == kind
                    && crate::engine::endpoint::same_engine(&manifest.engine.host, engine) =>
            {
                forgettable.push(snapshot)
            }
            Ok(_) => {}
            Err(why) => tracing::warn!(
                "keeping snapshot {}: its manifest cannot be read: {why}",
                &full_id(&snapshot.id)[..8]
            ),
        }
    }
    Ok((indexed.drop_index(), forgettable))
}

/// One snapshot as `backups` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    /// The snapshot id, which `restic` and `rustic` accept too.
    pub id: String,
    /// The target it backs up.
    pub target: String,
    /// The host it was made on.
    pub host: String,
    /// The address of the engine whose volumes it holds (empty for snapshots of
    /// earlier versions, which did not tag it).
    pub engine: String,
    /// When it was made (RFC 3339).
    pub created: String,
    /// Files in it.
    pub files: u64,
    /// Their bytes.
    pub size_bytes: u64,
    /// Bytes it added to the repository.
    pub added_bytes: u64,
    /// The snapshot it was made against.
    pub parent: Option<String>,
    /// A safety backup, made before an operation (tag `safeops-safety`; snapshots of
    /// earlier versions lack it).
    pub safety: bool,
    /// No problem is known: it was read back when made, and the last `verify` of it on
    /// this host, if any, passed.
    pub sound: bool,
    /// Its last full verification on this host: `verified TIME`, `verify failed TIME:
    /// ...`, or `complete (verified when made)` when none was run.
    pub status: String,
}

/// The safeops snapshots in `repo` (of `target` only, when given), newest first.
pub fn list(repo: &Open, location: &Repository, target: Option<&str>) -> Result<Vec<Listed>> {
    let wanted = target.map(target_tag);
    let snapshots = matching(repo, |s| {
        s.tags.contains("docker-safeops") && wanted.as_ref().is_none_or(|t| s.tags.contains(t))
    })?;
    let mut listed: Vec<(i128, Listed)> = snapshots
        .into_iter()
        .map(|s| {
            let summary = s.summary.clone().unwrap_or_default();
            let id = full_id(&s.id);
            let (sound, status) =
                crate::backup::store::verified_status(crate::backup::store::last_verification(
                    crate::backup::store::Recorded::Snapshot { location, id: &id },
                ));
            let target = s
                .tags
                .iter()
                .find_map(|t| t.strip_prefix("safeops-target="))
                .unwrap_or_default()
                .to_string();
            (
                s.time.timestamp().as_nanosecond(),
                Listed {
                    sound,
                    status,
                    id,
                    target,
                    host: s.hostname.clone(),
                    engine: s
                        .tags
                        .iter()
                        .find_map(|t| t.strip_prefix(ENGINE_TAG))
                        .unwrap_or_default()
                        .to_string(),
                    created: s.time.timestamp().to_string(),
                    files: summary.total_files_processed,
                    size_bytes: summary.total_bytes_processed,
                    added_bytes: summary.data_added,
                    parent: s.parent.map(|p| full_id(&p)),
                    safety: s.tags.contains(SAFETY),
                },
            )
        })
        .collect();
    listed.sort_by_key(|(time, _)| std::cmp::Reverse(*time));
    Ok(listed.into_iter().map(|(_, l)| l).collect())
}

/// The manifests of the safeops snapshots this host made in `repo`, with their ids,
/// newest first. A manifest that cannot be read is left out, with a warning.
pub fn manifests_here(repo: Open, location: &Repository) -> Result<Vec<(String, Manifest)>> {
    let host = crate::state::hostname();
    let mut snapshots = matching(&repo, |s| {
        s.tags.contains("docker-safeops") && s.hostname == host
    })?;
    snapshots.sort_by(|a, b| b.time.cmp(&a.time));
    let repo = repo
        .to_indexed()
        .map_err(|e| repository_error(location, &e))?;
    let mut manifests = Vec::new();
    for snapshot in snapshots {
        match read_manifest(&repo, &snapshot, location) {
            Ok(manifest) => manifests.push((full_id(&snapshot.id), manifest)),
            Err(why) => tracing::warn!(
                "{location}#{}: cannot read its manifest: {why}",
                full_id(&snapshot.id)
            ),
        }
    }
    Ok(manifests)
}

/// What `verify` found in a repository snapshot.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Verified {
    /// The snapshot's id.
    pub id: String,
    /// Artifacts of the manifest checked against their digests.
    pub artifacts: usize,
    /// Volume files checked against their digest lists.
    pub volume_files: usize,
    /// What is wrong (empty: sound).
    pub problems: Vec<String>,
}

/// Verifies snapshot `id` (or a unique prefix): every pack it needs read back and
/// checked (`check --read-data` of its trees: each pack decrypted and hashed), then its
/// manifest read and each of its artifacts compared with its digest, and each volume's
/// tree compared with its digest list, every file's content with its digest.
pub fn verify(location: &Repository, repo: Open, id: &str) -> Result<Verified> {
    let snapshot = find(&repo, location, id)?;
    // Damage found before the content is read is the snapshot's first problem.
    let damaged = |err: Error| match err.code {
        crate::error::ExitCode::Integrity => Ok(Verified {
            id: full_id(&snapshot.id),
            problems: vec![err.message],
            ..Verified::default()
        }),
        _ => Err(err),
    };
    if let Err(err) = check_named_by_content(location, &snapshot.id) {
        return damaged(err);
    }
    // The packs this snapshot needs: a damaged pack of another one is not its problem.
    let (repo, mut problems) = match check_snapshot(repo, location, &snapshot) {
        Ok(checked) => checked,
        Err(err) => return damaged(err),
    };
    let dump = |path: &str, into: &mut dyn std::io::Write| -> std::result::Result<(), String> {
        let node = repo
            .node_from_snapshot_and_path(&snapshot, path)
            .map_err(|e| format!("{path}: {}", concise(&e.display_log())))?;
        dump(&repo, location, &node, into).map_err(|err| format!("{path}: {}", err.message))
    };
    let mut verified = Verified {
        id: full_id(&snapshot.id),
        ..Verified::default()
    };
    let manifest: Option<crate::backup::manifest::Manifest> =
        match read_file(&repo, &snapshot, location, MANIFEST, MAX_INDEX_BYTES) {
            Ok(bytes) => {
                match serde_json::from_slice::<crate::backup::manifest::Manifest>(&bytes) {
                    Ok(manifest) => {
                        let layout = crate::backup::manifest::Layout::Snapshot;
                        problems.extend(
                            manifest
                                .problems(layout)
                                .into_iter()
                                .map(|p| format!("manifest.json: {p}")),
                        );
                        Some(manifest)
                    }
                    Err(e) => {
                        problems.push(format!("manifest.json is not valid: {e}"));
                        None
                    }
                }
            }
            Err(err) => {
                problems.push(format!("no readable manifest.json: {}", err.message));
                None
            }
        };
    for artifact in manifest.iter().flat_map(|m| &m.artifacts) {
        verified.artifacts += 1;
        // Streamed into the hash: a dump can be large.
        let mut hasher = sha2::Sha256::new();
        match dump(&artifact.path, &mut hasher) {
            Ok(()) => {
                let digest = hex::encode(hasher.finalize());
                if digest != artifact.sha256 {
                    problems.push(format!(
                        "{}: content differs from its digest",
                        artifact.path
                    ));
                }
            }
            Err(why) => problems.push(why),
        }
    }
    for info in manifest.iter().flat_map(|m| &m.volumes) {
        match verify_volume(&repo, &snapshot, location, info) {
            Ok((files, differ)) => {
                verified.volume_files += files;
                problems.extend(differ);
            }
            Err(err) => problems.push(err.message),
        }
    }
    verified.problems = problems;
    Ok(verified)
}

/// Compares volume `info`'s tree in `snapshot` with its digest list and the content of
/// each of its files with its digest: the files checked, and what differs.
fn verify_volume(
    repo: &rustic_core::Repository<rustic_core::IndexedFullStatus>,
    snapshot: &SnapshotFile,
    location: &Repository,
    info: &crate::backup::manifest::VolumeInfo,
) -> Result<(usize, Vec<String>)> {
    let entries = volume_entries(repo, snapshot, location, &info.name)?;
    let list = FileList {
        volume: info.name.clone(),
        entries: entries.iter().map(|(r, _)| r.clone()).collect(),
    };
    let expected = with_stored_digests(repo, snapshot, location, info, list)?;
    let mut files = 0;
    let mut differ = Vec::new();
    for (record, (_, node)) in expected.entries.iter().zip(&entries) {
        let Some(digest) = record.sha256.as_ref().filter(|_| record.kind == Kind::File) else {
            continue;
        };
        let mut hasher = sha2::Sha256::new();
        files += 1;
        match dump(repo, location, node, &mut hasher) {
            Ok(()) if hex::encode(hasher.finalize()) == *digest => {}
            Ok(()) => differ.push(format!(
                "volume {}: {}: content differs from its digest",
                info.name, record.path
            )),
            Err(err) => differ.push(format!(
                "volume {}: {}: {}",
                info.name, record.path, err.message
            )),
        }
    }
    Ok((files, differ))
}

/// Checks that the file of the snapshot `id` hashes to its name, as restic names every
/// file. rustic reads a snapshot by its name without checking that: a file written
/// under another snapshot's name (by whoever has the password, or copied from another
/// host's snapshot in a shared repository) would be taken for it, and an id would pin
/// nothing.
pub fn check_named_by_content(
    location: &Repository,
    id: &rustic_core::repofile::SnapshotId,
) -> Result<()> {
    readback::stored_as_named(location, rustic_core::FileType::Snapshot, [**id]).map_err(|err| {
        match err.code {
            crate::error::ExitCode::Integrity => Error::integrity(format!(
                "snapshot {id} in {location} is not what its name says (its file hashes \
                 otherwise): it was replaced, so nothing was changed"
            )),
            _ => err,
        }
    })
}

/// Snapshot `id` (or a unique prefix) of the published safeops snapshots in `repo`:
/// never an unpublished one, nor another tool's.
pub fn find<S: rustic_core::Open>(
    repo: &rustic_core::Repository<S>,
    location: &Repository,
    id: &str,
) -> Result<SnapshotFile> {
    find_or_none(repo, location, id)?.ok_or_else(|| {
        Error::usage(format!("no snapshot {id} in {location}"))
            .hint(format!("docker safeops backups --to {location} lists them"))
    })
}

/// Like [`find`], `None` when no snapshot id begins with `id`.
fn find_or_none<S: rustic_core::Open>(
    repo: &rustic_core::Repository<S>,
    location: &Repository,
    id: &str,
) -> Result<Option<SnapshotFile>> {
    let prefix = id.to_ascii_lowercase();
    // rustic sets a snapshot's id only after the filter saw it.
    let mut found: Vec<SnapshotFile> = matching(repo, |s| s.tags.contains("docker-safeops"))?
        .into_iter()
        .filter(|s| full_id(&s.id).starts_with(&prefix))
        .collect();
    match found.len() {
        0 | 1 => Ok(found.pop()),
        n => Err(Error::usage(format!(
            "{id} names {n} snapshots in {location}: give more of the id"
        ))
        .hint(format!("docker safeops backups --to {location} lists them"))),
    }
}

/// Which snapshot a verb means.
#[derive(Debug, Clone)]
pub enum Pick {
    /// Snapshot ID, or a unique prefix.
    Id(String),
    /// The newest snapshot of the target of this name.
    NewestOf(String),
    /// A snapshot ID, else the newest snapshot of the target of that name.
    IdOrNewestOf(String),
}

/// The snapshot `pick` means among the safeops snapshots in `repo`.
pub fn pick<S: rustic_core::Open>(
    repo: &rustic_core::Repository<S>,
    location: &Repository,
    pick: &Pick,
) -> Result<SnapshotFile> {
    match pick {
        Pick::Id(id) => find(repo, location, id),
        Pick::NewestOf(target) => {
            newest_of(repo, location, target)?.ok_or_else(|| no_snapshot_of(target, location, ""))
        }
        // A target's name first: a name such as `db` may also begin some snapshot id.
        Pick::IdOrNewestOf(what) => match newest_of(repo, location, what)? {
            Some(newest) => Ok(newest),
            None => find_or_none(repo, location, what)?.ok_or_else(|| {
                no_snapshot_of(
                    what,
                    location,
                    &format!(", nor one whose id begins with {what}"),
                )
            }),
        },
    }
}

/// The error for a target without snapshots in `location` (`and`: what else was looked
/// for).
fn no_snapshot_of(target: &str, location: &Repository, and: &str) -> Error {
    Error::usage(format!("no snapshot of {target} in {location}{and}")).hint(format!(
        "docker safeops backup {target} --to {location}, or list them: docker safeops \
         backups --to {location}"
    ))
}

/// The newest snapshot of `target` (`None`: it has none), not a safety backup: this
/// host's. On a host that
/// has none (a restore onto a new machine), that of the one host that has them; several
/// are ambiguous, as a shared repository may hold different targets of one name.
fn newest_of<S: rustic_core::Open>(
    repo: &rustic_core::Repository<S>,
    location: &Repository,
    target: &str,
) -> Result<Option<SnapshotFile>> {
    let tag = target_tag(target);
    // Not a safety backup made before a restore or a `down -v` (see `drill`).
    let all = matching(repo, |s| {
        s.tags.contains("docker-safeops") && s.tags.contains(&tag) && !s.tags.contains(SAFETY)
    })?;
    let host = crate::state::hostname();
    let hosts: std::collections::BTreeSet<&str> = all.iter().map(|s| s.hostname.as_str()).collect();
    if hosts.len() > 1 && !hosts.contains(host.as_str()) {
        return Err(super::store::several_hosts(
            target,
            &location.to_string(),
            hosts,
            &host,
        ));
    }
    let here = hosts.contains(host.as_str());
    Ok(all
        .iter()
        .filter(|s| !here || s.hostname == host)
        .max_by(|a, b| a.time.cmp(&b.time))
        .cloned())
}

/// Checks what `snapshot` needs in `repo` (`check --read-data` of its trees: every
/// pack it needs decrypted and hashed) and loads the index. Returns the indexed
/// repository and what is wrong with the snapshot, one line each. rustic's check also
/// looks at the whole repository's packs and at the local cache: what it finds there
/// that the snapshot does not need (a pack only another snapshot used lost, a cached
/// file that differs) is said in a note, not held against the snapshot: in a disaster
/// recovery, one lost pack must not make every snapshot unrestorable.
pub fn check_snapshot(
    repo: Open,
    location: &Repository,
    snapshot: &SnapshotFile,
) -> Result<(
    rustic_core::Repository<rustic_core::IndexedFullStatus>,
    Vec<String>,
)> {
    let checked = repo
        .check_with_trees(
            rustic_core::CheckOptions::default().read_data(true),
            vec![snapshot.tree],
        )
        .map_err(|e| repository_error(location, &e))?;
    let repo = repo
        .to_indexed()
        .map_err(|e| repository_error(location, &e))?;
    let mut problems = Vec::new();
    let mut elsewhere = Vec::new();
    let mut needed = None;
    for (level, err) in &checked.0 {
        let text = concise(&err.to_string());
        // Warnings (the unindexed packs of a backup under way or of one that died, say)
        // leave the data sound. rustic_core exports neither the level's type nor the
        // error's: their debug forms name the variant and hold whole ids.
        if format!("{level:?}") == "Warn" {
            tracing::warn!("check: {text}");
            continue;
        }
        let debug = format!("{err:?}");
        let variant = debug.split([' ', '{', '(']).next().unwrap_or_default();
        let about_a_pack = debug.contains("file_type: Pack");
        // A finding about the local cache (or the storage read that compares with it)
        // is the cache's when the stored copy is what its name says: the stored one is
        // what a new machine reads.
        let stored_sound = || {
            let file_type = match (about_a_pack, debug.contains("file_type: Snapshot")) {
                (true, _) => rustic_core::FileType::Pack,
                (false, true) => rustic_core::FileType::Snapshot,
                (false, false) => rustic_core::FileType::Index,
            };
            whole_ids(&debug)
                .next()
                .and_then(|id| id.parse::<rustic_core::Id>().ok())
                .is_some_and(|id| readback::stored_as_named(location, file_type, [id]).is_ok())
        };
        let not_needed = |needed: &mut Option<Option<HashSet<String>>>| {
            let needed = needed.get_or_insert_with(|| packs_of(&repo, snapshot.tree));
            match (needed, whole_ids(&debug).next()) {
                (Some(needed), Some(pack)) => !needed.contains(pack),
                _ => false,
            }
        };
        let theirs = if PACK_FINDINGS.contains(&variant)
            // The cache check reads each cached pack from the storage too.
            || (about_a_pack && variant == "ErrorReadingFile")
        {
            not_needed(&mut needed)
        } else if CACHE_FINDINGS.contains(&variant) {
            (about_a_pack && not_needed(&mut needed)) || stored_sound()
        } else {
            false
        };
        match theirs {
            true => elsewhere.push(text),
            false => problems.push(text),
        }
    }
    if !elsewhere.is_empty() {
        crate::say!(
            "note: {location} has problems that do not touch snapshot {} (`restic check` \
             lists them):\n  {}",
            &full_id(&snapshot.id)[..8],
            elsewhere.join("\n  ")
        );
    }
    Ok((repo, problems))
}

/// Check findings about the local cache or a hot repository: about the data only when
/// the stored copy is at fault.
const CACHE_FINDINGS: &[&str] = &[
    "CacheMismatch",
    "ErrorReadingCache",
    "NoColdFile",
    "NoHotFile",
    "HotFileSizeMismatch",
];

/// Check findings about one pack of the whole repository (its id the first in them),
/// whichever snapshot needs it.
const PACK_FINDINGS: &[&str] = &[
    "NoPack",
    "PackSizeMismatchIndex",
    "PackTimeNotSet",
    "NoHotPack",
    "HotPackSizeMismatchIndex",
    "HotDataPack",
    "HotPackNotReferenced",
];

/// The whole (64 hex digits) ids in `text`.
fn whole_ids(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_hexdigit())
        .filter(|word| word.len() == 64)
}

/// The packs (whole ids) the tree `root` and everything under it are in; `None` when
/// one cannot be found (then every finding counts against the snapshot).
fn packs_of(
    repo: &rustic_core::Repository<rustic_core::IndexedFullStatus>,
    root: rustic_core::TreeId,
) -> Option<HashSet<String>> {
    let mut packs = HashSet::new();
    let mut seen = HashSet::new();
    let mut trees = vec![root];
    while let Some(id) = trees.pop() {
        if !seen.insert(id) {
            continue;
        }
        packs.insert(repo.get_index_entry(&id).ok()?.pack.to_hex().to_string());
        for node in repo.get_tree(&id).ok()?.nodes {
            trees.extend(node.subtree);
            for blob in node.content.iter().flatten() {
                packs.insert(repo.get_index_entry(blob).ok()?.pack.to_hex().to_string());
            }
        }
    }
    Some(packs)
}

/// A `Write` over a `&mut dyn Write` (rustic_core's `dump` takes a sized writer).
struct WriteRef<'a>(&'a mut dyn std::io::Write);

impl std::io::Write for WriteRef<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// rustic_core's multi-line error text (message, context, backtrace) in one line: its
/// first line and its message.
pub fn concise(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default().to_string();
    let message = lines
        .skip_while(|l| *l != "Message:")
        .nth(1)
        .map(|m| format!(" {m}"))
        .unwrap_or_default();
    format!("{first}{message}")
}

/// What tests of the repository layers build on.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::{Path, PathBuf};

    use super::{Request, Tree, TreeRoot};
    use crate::storage::location::Repository;
    use crate::storage::repository::{Password, open};

    /// A published snapshot of `source` (as its root) for the volumes target `t`: its id.
    pub(crate) fn published(location: &Repository, password: &Password, source: &Path) -> String {
        published_as(location, password, source, "volumes", false)
    }

    /// [`published`], for a target of `kind`, a safety backup or not.
    /// The engine the test snapshots are of.
    pub(crate) const ENGINE: &str = "h";

    pub(crate) fn published_as(
        location: &Repository,
        password: &Password,
        source: &Path,
        kind: &str,
        safety: bool,
    ) -> String {
        let (_trigger, cancel) = crate::cancel::pair();
        let pending = written(location, password, source, kind, safety);
        let (pending, bytes) = super::read_back(pending, &cancel).unwrap();
        super::publish(pending, bytes).unwrap().id
    }

    /// A snapshot of `source` written for target `t` of `kind`, neither read back nor
    /// published.
    pub(crate) fn written(
        location: &Repository,
        password: &Password,
        source: &Path,
        kind: &str,
        safety: bool,
    ) -> super::Pending {
        let (_trigger, cancel) = crate::cancel::pair();
        let request = Request {
            target: "t".into(),
            kind: kind.into(),
            engine: ENGINE.into(),
            safety,
            trees: vec![Tree {
                root: TreeRoot::Dir(source.to_path_buf()),
                at: PathBuf::new(),
            }],
        };
        let prepared = super::prepare(
            open(location, password).unwrap(),
            location,
            ("t", ENGINE),
            &[],
        )
        .unwrap();
        super::write(location, prepared, &request, &cancel, Box::new(|| ())).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    use std::collections::BTreeSet;

    use crate::storage::repository::{Password, open, testing as repository_testing};

    /// A manifest of a backup of volumes target `t` made `purpose`, as versions before
    /// the kind and safety tags wrote it.
    fn manifest_json(purpose: &str) -> String {
        manifest_of_engine(purpose, testing::ENGINE)
    }

    fn manifest_of_engine(purpose: &str, engine: &str) -> String {
        serde_json::json!({
            "format": "docker-safeops-backup", "format_version": 1, "tool_version": "0.1.0",
            "created": "2026-01-01T00:00:00Z", "purpose": purpose,
            "engine": {"host": engine, "context": "default", "version": "20.10", "api_version": "1.41",
                       "name": null, "os": null, "arch": null},
            "host": "h", "target": {"kind": "volumes", "name": "t", "mode": "run"},
            "quiesced": [], "artifacts": [], "volumes": [], "containers": [], "images": [],
            "dumps": [], "compose_files": []
        })
        .to_string()
    }

    /// A snapshot made as versions before the kind, engine and safety tags made it:
    /// `id`'s, without them. Its id.
    fn untagged(location: &Repository, password: &Password, id: &str) -> String {
        retagged(location, password, id, None)
    }

    /// `id`'s snapshot without its kind, engine and safety tags, tagged `tag` instead
    /// when one is given. Its id.
    fn retagged(location: &Repository, password: &Password, id: &str, tag: Option<&str>) -> String {
        let repo = open(location, password).unwrap();
        let mut old = find(&repo, location, id).unwrap();
        old.tags.remove_all(&[
            kind_tag("volumes").parse().unwrap(),
            engine_tag(testing::ENGINE).parse().unwrap(),
            SAFETY.parse().unwrap(),
        ]);
        if let Some(tag) = tag {
            old.tags.add(tag.to_string());
        }
        let tree = old.tree;
        repo.save_snapshots(vec![old]).unwrap();
        repo.delete_snapshots(&[id.parse().unwrap()]).unwrap();
        let saved = matching(&repo, |s| s.tree == tree).unwrap();
        full_id(&saved[0].id)
    }

    /// A runtime for the storage calls to block on (as on `spawn_blocking`), a new
    /// local repository in a temporary directory, and an empty source directory there.
    fn scratch() -> (
        tokio::runtime::Runtime,
        tempfile::TempDir,
        Repository,
        Password,
        PathBuf,
    ) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (location, password) = {
            let _entered = runtime.enter();
            repository_testing::local(dir.path())
        };
        let source = dir.path().join("source");
        std::fs::create_dir(&source).unwrap();
        (runtime, dir, location, password, source)
    }

    /// Damage the read-back finds in what a backup wrote leaves the index with the
    /// snapshot: the next backup writes those blobs again (where it would have reused
    /// them and failed alike) and its snapshot holds the file whole.
    #[test]
    fn packs_that_do_not_read_back_leave_the_index_and_the_next_backup_writes_them_again() {
        let (runtime, dir, location, password, source) = scratch();
        let _entered = runtime.enter();
        let content: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 9) as u8)
            .collect();
        std::fs::write(source.join("file"), &content).unwrap();
        let pending = testing::written(&location, &password, &source, "volumes", false);
        let data = dir.path().join("repo/data");
        for prefix in std::fs::read_dir(&data).unwrap() {
            for pack in std::fs::read_dir(prefix.unwrap().path()).unwrap() {
                let path = pack.unwrap().path();
                let mut bytes = std::fs::read(&path).unwrap();
                bytes[20] ^= 1;
                std::fs::write(&path, bytes).unwrap();
            }
        }
        let (_trigger, cancel) = crate::cancel::pair();
        let err = read_back(pending, &cancel).map(|_| ()).unwrap_err();
        assert_eq!(
            err.code,
            crate::error::ExitCode::Integrity,
            "{}",
            err.message
        );
        let hint = err.hint.unwrap_or_default();
        assert!(
            hint.contains("taken out of the repository's index"),
            "{hint}"
        );
        let id = testing::published(&location, &password, &source);
        let repo = open(&location, &password).unwrap().to_indexed().unwrap();
        let found = find(&repo, &location, &id).unwrap();
        let read = read_file(&repo, &found, &location, "file", 1 << 20).unwrap();
        assert!(read == content, "the file reads back whole");
    }

    /// A pack only one snapshot needs is lost: that snapshot does not verify, the
    /// others still do (the lost pack is a note about the repository).
    #[test]
    fn a_lost_pack_fails_only_the_snapshots_that_need_it() {
        let (runtime, dir, location, password, source) = scratch();
        let _entered = runtime.enter();
        let packs = || -> BTreeSet<PathBuf> {
            std::fs::read_dir(dir.path().join("repo/data"))
                .unwrap()
                .flat_map(|prefix| std::fs::read_dir(prefix.unwrap().path()).unwrap())
                .map(|pack| pack.unwrap().path())
                .collect()
        };
        let made = |name: &str, created: &str| {
            for old in std::fs::read_dir(&source).unwrap() {
                std::fs::remove_file(old.unwrap().path()).unwrap();
            }
            let manifest = manifest_json("backup").replace("2026-01-01T00:00:00Z", created);
            std::fs::write(source.join(MANIFEST), manifest).unwrap();
            std::fs::write(source.join(name), name.repeat(1000)).unwrap();
            testing::published_as(&location, &password, &source, "volumes", false)
        };
        let lost = made("lost", "2026-01-01T00:00:00Z");
        let its_packs = packs();
        let kept = made("kept", "2026-01-02T00:00:00Z");
        for pack in &its_packs {
            std::fs::remove_file(pack).unwrap();
        }
        let verified = |id: &str| verify(&location, open(&location, &password).unwrap(), id);
        let problems = verified(&kept).unwrap().problems;
        assert!(problems.is_empty(), "{problems:?}");
        let problems = verified(&lost).unwrap().problems;
        assert!(
            problems.iter().any(|p| p.contains("not present")),
            "{problems:?}"
        );
    }

    /// Index files are checked as the storage holds them, not as rustic's cache does.
    #[test]
    fn a_stored_index_file_that_differs_from_its_name_is_found() {
        let (runtime, dir, location, password, source) = scratch();
        let _entered = runtime.enter();
        std::fs::write(source.join("file"), b"content").unwrap();
        testing::published_as(&location, &password, &source, "volumes", false);
        let index: Vec<PathBuf> = std::fs::read_dir(dir.path().join("repo/index"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let id = |path: &PathBuf| -> rustic_core::Id {
            path.file_name().unwrap().to_str().unwrap().parse().unwrap()
        };
        let ids = || index.iter().map(id);
        readback::stored_as_named(&location, rustic_core::FileType::Index, ids()).unwrap();
        let mut bytes = std::fs::read(&index[0]).unwrap();
        bytes[0] ^= 1;
        std::fs::write(&index[0], bytes).unwrap();
        let err =
            readback::stored_as_named(&location, rustic_core::FileType::Index, ids()).unwrap_err();
        assert_eq!(
            err.code,
            crate::error::ExitCode::Integrity,
            "{}",
            err.message
        );
    }

    #[test]
    fn the_damage_hint_says_what_left_the_index_and_names_every_pack_file_to_delete() {
        let pack = |n: u8| PackId::from(hex::encode([n; 32]).parse::<rustic_core::Id>().unwrap());
        let file = |n: u8| format!("data/{n:02x}/{}", hex::encode([n; 32]));
        let damaged: BTreeSet<PackId> = [pack(1), pack(2)].into();
        let hint = |unindexed| {
            damage_hint(Error::integrity("damaged"), &damaged, unindexed)
                .hint
                .unwrap()
        };
        let all = hint(Ok(damaged.clone()));
        assert!(all.contains("taken out of the repository's index"), "{all}");
        assert!(!all.contains("data/"), "{all}");
        // The new one too: a repair index would put it back.
        let partly = hint(Ok([pack(1)].into()));
        assert!(partly.contains("packs 02020202 are older"), "{partly}");
        assert!(
            partly.contains(&file(1)) && partly.contains(&file(2)),
            "{partly}"
        );
        let failed = hint(Err(Error::failure("the storage went away")));
        assert!(failed.contains("the storage went away"), "{failed}");
        assert!(
            failed.contains(&file(1)) && failed.contains(&file(2)),
            "{failed}"
        );
    }

    #[test]
    fn a_file_whose_blobs_do_not_add_up_to_its_size_is_refused_before_it_is_read() {
        let (runtime, _dir, location, password, source) = scratch();
        let _entered = runtime.enter();
        std::fs::write(source.join("small"), b"a small file").unwrap();
        let id = testing::published(&location, &password, &source);
        let repo = open(&location, &password).unwrap().to_indexed().unwrap();
        let found = find(&repo, &location, &id).unwrap();
        let small = node(&repo, &found, &location, "small").unwrap();
        let mut read = Vec::new();
        dump(&repo, &location, &small, &mut read).unwrap();
        assert_eq!(read, b"a small file");
        // The same blob listed a thousand times under the same small size.
        let mut hostile = small.clone();
        let blob = small.content.as_ref().unwrap()[0];
        hostile.content = Some(vec![blob; 1000]);
        let mut read = Vec::new();
        let refused = dump(&repo, &location, &hostile, &mut read).unwrap_err();
        assert_eq!(refused.code, crate::error::ExitCode::Integrity);
        let refused = refused.message;
        assert!(
            refused.contains("adds up to 12000 bytes, not the 12"),
            "{refused}"
        );
        assert!(read.is_empty(), "nothing was read");
    }

    #[test]
    fn an_engine_is_known_by_its_socket_however_the_path_is_spelled() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        std::fs::write(run.join("docker.sock"), "").unwrap();
        std::os::unix::fs::symlink(&run, dir.path().join("var-run")).unwrap();
        let at = |d: &str| format!("unix://{}/{d}/docker.sock", dir.path().display());
        let tagged = |tags: &[String]| {
            let mut snapshot = SnapshotFile::default();
            for tag in tags {
                snapshot.tags.add(tag.clone());
            }
            snapshot
        };
        let via_link = tagged(&[engine_tag(&at("var-run"))]);
        assert!(of_engine(&via_link, &at("run")));
        assert!(!of_engine(&via_link, "tcp://10.0.0.2:2375"));
        // One of an earlier version names no engine: it counts for any.
        assert!(of_engine(&tagged(&[]), "tcp://10.0.0.2:2375"));
    }

    #[test]
    fn keep_forgets_only_backups_of_the_targets_kind_never_safety_backups() {
        let (runtime, _dir, location, password, source) = scratch();
        let _entered = runtime.enter();
        let made = |purpose: &str, kind: &str| {
            std::fs::write(source.join(MANIFEST), manifest_json(purpose)).unwrap();
            testing::published_as(&location, &password, &source, kind, purpose != "backup")
        };
        let old_backup = made("backup", "volumes");
        let safety = made("before down -v", "volumes");
        let other_kind = made("backup", "container");
        let legacy_backup = made("backup", "volumes");
        let legacy_safety = made("before volume rm", "volumes");
        // Another engine's backups of a target of the same name.
        let other_engine = made("backup", "volumes");
        let other_engine = retagged(
            &location,
            &password,
            &other_engine,
            Some(&engine_tag("elsewhere")),
        );
        std::fs::write(
            source.join(MANIFEST),
            manifest_of_engine("backup", "elsewhere"),
        )
        .unwrap();
        let legacy_other_engine =
            testing::published_as(&location, &password, &source, "volumes", false);
        let newest = made("backup", "volumes");
        let legacy_backup = untagged(&location, &password, &legacy_backup);
        let legacy_safety = untagged(&location, &password, &legacy_safety);
        let legacy_other_engine = untagged(&location, &password, &legacy_other_engine);
        let (_trigger, cancel) = crate::cancel::pair();
        let keep_one = crate::backup::store::Retention {
            keep: Some(1),
            keep_days: None,
        };
        let repo = open(&location, &password).unwrap();
        let of_t = ("t", "volumes", testing::ENGINE);
        let mut gone = forget(&location, repo, of_t, keep_one, &newest, &cancel).unwrap();
        gone.sort();
        let mut expected = vec![old_backup, legacy_backup];
        expected.sort();
        assert_eq!(gone, expected);
        let repo = open(&location, &password).unwrap();
        let left: BTreeSet<String> = matching(&repo, |_| true)
            .unwrap()
            .iter()
            .map(|s| full_id(&s.id))
            .collect();
        assert_eq!(
            left,
            BTreeSet::from([
                safety,
                other_kind,
                legacy_safety,
                other_engine.clone(),
                legacy_other_engine.clone(),
                newest.clone()
            ])
        );
        // The list says whose engine each is (none for those of earlier versions).
        let engines: HashMap<String, String> = list(&repo, &location, Some("t"))
            .unwrap()
            .into_iter()
            .map(|l| (l.id, l.engine))
            .collect();
        assert_eq!(engines[&other_engine], "elsewhere");
        assert_eq!(engines[&newest], testing::ENGINE);
        assert_eq!(engines[&legacy_other_engine], "");
    }

    #[test]
    fn a_read_error_after_a_successful_open_is_recorded() {
        // Reading a process's memory at offset 0 fails with EIO: a regular file that
        // opens fine and then cannot be read, like a file on a failing disk.
        let root = PathBuf::from(format!("/proc/{}", std::process::id()));
        let failures: Arc<Mutex<Vec<String>>> = Arc::default();
        let (_trigger, cancel) = crate::cancel::pair();
        let open = BeneathOpen {
            root: Arc::new(beneath::open_root(&root).unwrap()),
            rel: PathBuf::from("mem"),
            size: 16,
            failures: Arc::clone(&failures),
            cancel,
        };
        let mut reader = EntryOpen::new(EntryContent::Beneath(open)).open().unwrap();
        assert!(reader.read(&mut [0; 16]).is_err());
        let failed = failures.lock().unwrap().clone();
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert!(failed[0].starts_with("mem: "), "{failed:?}");
    }

    #[test]
    fn cancellation_ends_the_reading() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"content").unwrap();
        let failures: Arc<Mutex<Vec<String>>> = Arc::default();
        let (trigger, cancel) = crate::cancel::pair();
        let open = BeneathOpen {
            root: Arc::new(beneath::open_root(dir.path()).unwrap()),
            rel: PathBuf::from("f"),
            size: 7,
            failures: Arc::clone(&failures),
            cancel,
        };
        let mut reader = EntryOpen::new(EntryContent::Beneath(open)).open().unwrap();
        let mut buf = [0; 3];
        assert_eq!(reader.read(&mut buf).unwrap(), 3);
        trigger.trigger("test");
        let err = reader.read(&mut buf).unwrap_err();
        assert!(crate::cancel::is_cancelled_io(&err), "{err}");
        assert_eq!(failures.lock().unwrap().len(), 1);
    }

    #[test]
    fn what_was_read_before_a_prune_replaced_index_files_is_not_current() {
        // The storage calls block on the runtime's handle, as on `spawn_blocking`.
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _entered = runtime.enter();
        let dir = tempfile::tempdir().unwrap();
        let (location, password) = crate::storage::repository::testing::local(dir.path());
        let open = || crate::storage::repository::open(&location, &password).unwrap();
        let source = dir.path().join("source");
        std::fs::create_dir(&source).unwrap();
        std::fs::write(source.join("file"), b"content").unwrap();
        let request = Request {
            target: "t".into(),
            kind: "volumes".into(),
            engine: testing::ENGINE.into(),
            safety: false,
            trees: vec![Tree {
                root: TreeRoot::Dir(source),
                at: PathBuf::new(),
            }],
        };
        let (_trigger, cancel) = crate::cancel::pair();
        let prepared = prepare(open(), &location, ("t", testing::ENGINE), &[]).unwrap();
        drop(write(&location, prepared, &request, &cancel, Box::new(|| ())).unwrap());
        let index = dir.path().join("repo/index");
        let written: Vec<_> = std::fs::read_dir(&index)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(written.len(), 1, "{written:?}");

        let prepared = prepare(open(), &location, ("t", testing::ENGINE), &[]).unwrap();
        assert!(prepared.current(&location).unwrap());
        // A concurrent backup adds an index file: what was read is still sound.
        std::fs::copy(&written[0], index.join("ab".repeat(32))).unwrap();
        assert!(prepared.current(&location).unwrap());
        // A prune replaces one: what was read may name deleted packs.
        std::fs::remove_file(&written[0]).unwrap();
        assert!(!prepared.current(&location).unwrap());
    }

    #[test]
    fn a_file_is_stored_at_the_size_its_node_declares() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"content").unwrap();
        let (_trigger, cancel) = crate::cancel::pair();
        let root = Arc::new(beneath::open_root(dir.path()).unwrap());
        let read = |size| {
            let open = BeneathOpen {
                root: Arc::clone(&root),
                rel: PathBuf::from("f"),
                size,
                failures: Arc::default(),
                cancel: cancel.clone(),
            };
            let mut bytes = Vec::new();
            EntryOpen::new(EntryContent::Beneath(open))
                .open()
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            bytes
        };
        // Grown since the walk: cut; shrunk: padded with zeros, as tar does.
        assert_eq!(read(4), b"cont");
        assert_eq!(read(9), b"content\0\0");
    }

    #[test]
    fn a_file_written_while_it_is_read_is_named_by_its_volumes_list() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["still", "appended", "grown"] {
            std::fs::write(dir.path().join(name), vec![b'x'; 100_000]).unwrap();
        }
        let (_trigger, cancel) = crate::cancel::pair();
        let root = Arc::new(beneath::open_root(dir.path()).unwrap());
        let list = VolumeList::new("data", None);
        let append = |name: &str| {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(dir.path().join(name))
                .unwrap();
            file.write_all(b"more").unwrap();
        };
        let read = |name: &str, during: &dyn Fn()| {
            let node = {
                let meta = Metadata {
                    size: 100_000,
                    mode: Some(0o644),
                    ..Metadata::default()
                };
                Node::new_node(std::ffi::OsStr::new(name), NodeType::File, meta)
            };
            let mut open = EntryOpen::new(EntryContent::Beneath(BeneathOpen {
                root: Arc::clone(&root),
                rel: PathBuf::from(name),
                size: 100_000,
                failures: Arc::default(),
                cancel: cancel.clone(),
            }));
            open.digest = list.track(PathBytes(name.as_bytes().to_vec()), &node);
            let mut reader = open.open().unwrap();
            let mut half = vec![0; 50_000];
            reader.read_exact(&mut half).unwrap();
            during();
            std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
        };
        read("still", &|| ());
        read("appended", &|| append("appended"));
        // Grown between the walk and the open: the snapshot holds a prefix of it.
        append("grown");
        read("grown", &|| ());
        list.node("data.files.json");
        list.content(&cancel).unwrap();
        assert_eq!(
            list.written_meanwhile(),
            [b"appended".as_slice(), b"grown"].map(|p| PathBytes(p.to_vec()))
        );
    }

    #[test]
    fn a_tree_that_expands_beyond_its_bounds_is_refused_before_it_is_held() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _entered = runtime.enter();
        let dir = tempfile::tempdir().unwrap();
        let (location, password) = repository_testing::local(dir.path());
        let volume = dir.path().join("source/volumes/v");
        std::fs::create_dir_all(&volume).unwrap();
        for i in 0..5 {
            std::fs::write(volume.join(format!("f{i}")), [i]).unwrap();
        }
        let id = testing::published(&location, &password, &dir.path().join("source"));
        let repo = open(&location, &password).unwrap().to_indexed().unwrap();
        let snapshot = find(&repo, &location, &id).unwrap();
        let within = |most| entries_within(&repo, (&snapshot, &location), "v", most);
        assert_eq!(within((5, 5)).unwrap().len(), 6, "the root and five files");
        let err = within((5, 4)).unwrap_err();
        assert!(err.message.contains("more than 4 blobs"), "{}", err.message);
        let err = within((4, 5)).unwrap_err();
        assert_eq!(err.code, crate::error::ExitCode::Integrity);
        assert!(
            err.message.contains("more than 4 entries"),
            "{}",
            err.message
        );
    }
}
