//! The digest list a snapshot carries beside each volume's tree,
//! `volumes/<name>.files.json`: the plain format's `files.json`, every entry's record
//! with the SHA-256 of each regular file's content, so that `verify` and `restore`
//! compare what the repository hands out with what was read from the volume.
//!
//! The digests are taken as the archiver reads the files, never by reading them again:
//! a file the archiver skips as unchanged since the parent snapshot keeps the digest the
//! parent's list gives it (a parent without sound lists is no parent). The list is
//! itself an entry of the snapshot, after the volume's entries in path order: the
//! archiver hands entries to its workers in order, so when a worker opens the list every
//! entry before it has been taken by a worker, and the list waits for their digests.
//! Its size is declared when the iterator reaches it (every record is known by then,
//! and a digest is always 64 hex digits), so the tree node is right before the content
//! exists.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rustic_core::repofile::{Metadata, Node, NodeType};
use sha2::Digest;

use super::entry::{FileList, FileRecord, Fingerprint, Kind, PathBytes};
use super::restic_node::record;
use crate::cancel::Cancel;

/// The most a digest list may hold: some five million entries.
pub const MAX_DIGEST_LIST_BYTES: u64 = 1 << 30;

/// The most entries a volume's tree in a snapshot may expand to: more than a digest
/// list of [`MAX_DIGEST_LIST_BYTES`] can describe (an entry takes 64 bytes of it at the
/// least). A tree whose directories name one subtree twice over, level after level,
/// would otherwise expand without bound in memory, though every blob is checked once.
pub const MAX_TREE_ENTRIES: usize = (MAX_DIGEST_LIST_BYTES / 64) as usize;

/// What makes `list` unfit to vouch for content: regular files without a SHA-256 of 64
/// lowercase hex digits, one line each (empty: sound).
pub fn unsound(list: &FileList) -> Vec<String> {
    list.entries
        .iter()
        .filter(|e| e.kind == Kind::File)
        .filter(|e| {
            !e.sha256.as_ref().is_some_and(|d| {
                d.len() == 64 && d.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
        })
        .map(|e| format!("{}: no valid digest in the digest list", e.path))
        .collect()
}

/// Refuses volumes `names` of which one's digest list would be another's place in a
/// snapshot (`x` and `x.files.json`).
pub fn check_names<'a>(names: impl Iterator<Item = &'a str> + Clone) -> crate::error::Result<()> {
    for name in names.clone() {
        let list = format!("{name}.files.json");
        if names.clone().any(|other| other == list) {
            return Err(crate::error::Error::usage(format!(
                "volume {name}'s digest list and the volume {list} would be one path in a \
                 snapshot: back them up separately"
            )));
        }
    }
    Ok(())
}

/// Where a volume's digest list is in a snapshot.
pub fn path_of(volume: &str) -> String {
    format!("volumes/{volume}.files.json")
}

/// What became of one regular file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Not yet opened by the archiver.
    Waiting,
    /// Being read by the archiver.
    Reading,
    /// Read to its end: the digest of what was read.
    Hashed(String),
    /// Never opened: the archiver found it unchanged since the parent snapshot.
    NotOpened,
    /// Opened but not read to its end (the read failed, which fails the backup).
    Unfinished,
    /// Gone when the archiver came to open it (it was removed after the walk, possible
    /// only without quiescing): the archiver leaves it out, and so does the list.
    Vanished,
}

/// One regular file's digest, as it becomes known.
#[derive(Debug)]
struct Slot {
    state: Mutex<State>,
    changed: Condvar,
    /// The file was written while it was read (without quiescing): what was read may
    /// mix old and new content.
    written_meanwhile: AtomicBool,
}

impl Default for Slot {
    fn default() -> Slot {
        Slot {
            state: Mutex::new(State::Waiting),
            changed: Condvar::new(),
            written_meanwhile: AtomicBool::new(false),
        }
    }
}

impl Slot {
    fn set(&self, from: &[State], to: State) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if from.contains(&state) {
            *state = to;
            self.changed.notify_all();
        }
    }
}

/// The archiver's handle on a regular file's digest: it becomes the hashing reader
/// when the file is opened, and says the file was not opened when it is dropped unused.
#[derive(Debug)]
pub struct DigestSlot(Arc<Slot>);

impl DigestSlot {
    /// `reader`, hashed as the archiver reads it.
    pub fn hashing<R: Read>(self, reader: R) -> HashingRead<R> {
        self.0.set(&[State::Waiting], State::Reading);
        HashingRead {
            inner: reader,
            hasher: sha2::Sha256::new(),
            slot: self,
        }
    }
}

impl DigestSlot {
    /// What tells the list the file was written while it was read.
    pub fn change_note(&self) -> ChangeNote {
        ChangeNote(Arc::clone(&self.0))
    }

    /// Says the file was gone when the archiver came to open it.
    pub fn vanished(self) {
        self.0.set(&[State::Waiting], State::Vanished);
    }
}

impl Drop for DigestSlot {
    fn drop(&mut self) {
        self.0.set(&[State::Waiting], State::NotOpened);
        self.0.set(&[State::Reading], State::Unfinished);
    }
}

/// Tells a file's digest list that the file was written while it was read.
#[derive(Debug)]
pub struct ChangeNote(Arc<Slot>);

impl ChangeNote {
    /// Notes the file as written while it was read.
    pub fn changed(&self) {
        self.0.written_meanwhile.store(true, Ordering::Relaxed);
    }
}

/// A file's content on its way to the archiver, hashed; its digest is known once the
/// archiver read it to its end.
pub struct HashingRead<R> {
    inner: R,
    hasher: sha2::Sha256,
    slot: DigestSlot,
}

impl<R: Read> Read for HashingRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match n {
            0 if !buf.is_empty() => {
                let digest = hex::encode(std::mem::take(&mut self.hasher).finalize());
                self.slot.0.set(&[State::Reading], State::Hashed(digest));
            }
            _ => self.hasher.update(&buf[..n]),
        }
        Ok(n)
    }
}

/// One volume's digest list, filled as its entries go to the archiver.
pub struct VolumeList {
    name: String,
    /// The parent snapshot's list: the digests of the files the archiver skips.
    parent: HashMap<PathBytes, FileRecord>,
    tracked: Mutex<Tracked>,
    /// Entries gone between their directory being listed and being looked at.
    vanished_in_walk: std::sync::atomic::AtomicUsize,
}

#[derive(Default)]
struct Tracked {
    records: Vec<FileRecord>,
    /// The slot of each regular file, by its index in `records`.
    slots: Vec<(usize, Arc<Slot>)>,
    /// The slot of each other name of a hard-linked file, by its index in `records`:
    /// the archiver reads its content too, and the volume is read only once it has
    /// (its digest is the first name's).
    other_names: Vec<(usize, Arc<Slot>)>,
    inodes: HashMap<(u64, u64), PathBytes>,
    /// The size declared in the list's node.
    declared: Option<u64>,
    /// The files written while they were read, once the content is made.
    written_meanwhile: Vec<PathBytes>,
}

/// 64 hex digits, as every SHA-256 is written: stands for the digests not yet known
/// when the list's size is declared.
const PLACEHOLDER: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl VolumeList {
    /// The list of volume `name`, with the parent snapshot's list of it when there is
    /// one.
    pub fn new(name: &str, parent: Option<FileList>) -> VolumeList {
        VolumeList {
            name: name.to_string(),
            parent: parent
                .map(|list| {
                    list.entries
                        .into_iter()
                        .map(|r| (r.path.clone(), r))
                        .collect()
                })
                .unwrap_or_default(),
            tracked: Mutex::default(),
            vanished_in_walk: Default::default(),
        }
    }

    /// Notes an entry of the volume that was gone when the walk came to look at it.
    pub fn vanished_in_walk(&self) {
        self.vanished_in_walk
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The volume's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn tracked(&self) -> std::sync::MutexGuard<'_, Tracked> {
        self.tracked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds the entry `node` at `path` (relative to the volume, `.` for its root); for a
    /// regular file, or another name of a hard-linked one, returns the slot its reader
    /// fills.
    pub fn track(&self, path: PathBytes, node: &Node) -> Option<DigestSlot> {
        let mut tracked = self.tracked();
        let tracked = &mut *tracked;
        let record = record(path, node, &mut tracked.inodes)?;
        let kind = record.kind;
        tracked.records.push(record);
        let index = tracked.records.len() - 1;
        let slots = match kind {
            Kind::File => &mut tracked.slots,
            Kind::Hardlink => &mut tracked.other_names,
            _ => return None,
        };
        let slot = Arc::new(Slot::default());
        slots.push((index, Arc::clone(&slot)));
        Some(DigestSlot(slot))
    }

    /// The files written while the archiver read them (known once the list's content
    /// is made).
    pub fn written_meanwhile(&self) -> Vec<PathBytes> {
        self.tracked().written_meanwhile.clone()
    }

    /// The volume's fingerprint, from the entries seen.
    pub fn fingerprint(&self) -> Fingerprint {
        self.list(&self.tracked().records).fingerprint()
    }

    fn list(&self, records: &[FileRecord]) -> FileList {
        FileList {
            volume: self.name.clone(),
            entries: records.to_vec(),
        }
    }

    /// The list's tree node, named `name`, once every entry of the volume went by: its
    /// size is that of the content [`VolumeList::content`] gives.
    pub fn node(&self, name: &str) -> Node {
        let mut tracked = self.tracked();
        let mut placeholders = self.list(&tracked.records);
        for record in placeholders.entries.iter_mut() {
            if record.kind == Kind::File {
                record.sha256 = Some(PLACEHOLDER.to_string());
            }
        }
        let size = serde_json::to_vec(&placeholders).map_or(0, |b| b.len() as u64);
        tracked.declared = Some(size);
        let meta = Metadata {
            mode: Some(0o600),
            // Never equal to the parent's list: the archiver must not skip it.
            mtime: Some(rustic_core::jiff::Timestamp::now()),
            size,
            ..Metadata::default()
        };
        Node::new_node(std::ffi::OsStr::new(name), NodeType::File, meta)
    }

    /// The list's content: waits for the digest of every regular file (the archiver's
    /// workers hold them all, see the module), takes those of the files it skipped from
    /// the parent's list, and fails when one is missing, the list is too large or its
    /// size is not the one declared.
    pub fn content(&self, cancel: &Cancel) -> io::Result<Vec<u8>> {
        let (mut records, slots, other_names, declared) = {
            let tracked = self.tracked();
            (
                tracked.records.clone(),
                tracked.slots.clone(),
                tracked.other_names.clone(),
                tracked.declared,
            )
        };
        if declared.is_some_and(|size| size > MAX_DIGEST_LIST_BYTES) {
            return Err(io::Error::other(format!(
                "volume {} has too many entries for its digest list ({declared:?} bytes, at \
                 most {MAX_DIGEST_LIST_BYTES}): back it up to a plain directory",
                self.name
            )));
        }
        let mut vanished = vec![false; records.len()];
        let mut written_meanwhile = Vec::new();
        for (index, slot) in slots {
            let state = wait(&slot, cancel)?;
            let record = &mut records[index];
            record.sha256 = Some(match state {
                State::Hashed(digest) => {
                    if slot.written_meanwhile.load(Ordering::Relaxed) {
                        written_meanwhile.push(record.path.clone());
                    }
                    digest
                }
                State::NotOpened => self.unchanged_digest(record)?,
                State::Vanished => {
                    vanished[index] = true;
                    continue;
                }
                _ => {
                    return Err(io::Error::other(format!(
                        "{}: it was not read to its end",
                        record.path
                    )));
                }
            });
        }
        // The archiver reads the other names of a hard-linked file too (a read that
        // fails fails the snapshot by itself). One removed meanwhile is left out of the
        // snapshot: here it would be a link to nothing there.
        for (index, slot) in other_names {
            if wait(&slot, cancel)? == State::Vanished {
                return Err(io::Error::other(format!(
                    "{}: a hard link removed while the volume was read",
                    records[index].path
                )));
            }
        }
        let gone: Vec<&PathBytes> = records
            .iter()
            .zip(&vanished)
            .filter(|(_, v)| **v)
            .map(|(r, _)| &r.path)
            .collect();
        // The other names of a file that vanished would be links to nothing the list
        // holds, their content unchecked: such a volume is backed up again.
        if let Some(link) = records.iter().find(|r| {
            r.kind == Kind::Hardlink && r.link.as_ref().is_some_and(|l| gone.contains(&l))
        }) {
            return Err(io::Error::other(format!(
                "{}: a hard link to a file that vanished while it was read",
                link.path
            )));
        }
        let mut gone = vanished.iter();
        records.retain(|_| !gone.next().is_some_and(|v| *v));
        let vanished = vanished.iter().filter(|v| **v).count()
            + self
                .vanished_in_walk
                .load(std::sync::atomic::Ordering::Relaxed);
        let mut bytes = serde_json::to_vec(&self.list(&records)).map_err(io::Error::other)?;
        // A list without the files that vanished is shorter than declared: JSON's
        // whitespace makes up the difference.
        if vanished > 0
            && let Some(declared) = declared
            && (bytes.len() as u64) < declared
        {
            bytes.resize(declared as usize, b' ');
        }
        if Some(bytes.len() as u64) != declared {
            return Err(io::Error::other(format!(
                "the digest list of volume {} is {} bytes, not the {declared:?} declared",
                self.name,
                bytes.len()
            )));
        }
        if let Some(first) = written_meanwhile.first() {
            crate::say!(
                "warning: {} file(s) of volume {} changed while being read, {first} first \
                 (written meanwhile: --no-quiesce, or a writer nothing stopped); the \
                 snapshot holds what was read",
                written_meanwhile.len(),
                self.name
            );
        }
        if vanished > 0 {
            crate::say!(
                "warning: {vanished} file(s) of volume {} vanished while being read \
                 (written meanwhile: --no-quiesce, or a writer nothing stopped); the \
                 snapshot holds what was read",
                self.name
            );
        }
        let mut tracked = self.tracked();
        tracked.records = records;
        tracked.written_meanwhile = written_meanwhile;
        Ok(bytes)
    }

    /// The digest of a file the archiver skipped as unchanged: the parent's, which it
    /// has with this size and mtime (the archiver's own test is stricter).
    fn unchanged_digest(&self, record: &FileRecord) -> io::Result<String> {
        self.parent
            .get(&record.path)
            .filter(|p| {
                p.kind == Kind::File
                    && p.size == record.size
                    && super::entry::mtime_agrees(p.mtime, record.mtime)
            })
            .and_then(|p| p.sha256.clone())
            .ok_or_else(|| {
                io::Error::other(format!(
                    "{}: not read, and the parent's digest list has no digest of it",
                    record.path
                ))
            })
    }
}

/// The final state of `slot`, once the archiver is done with its file.
fn wait(slot: &Slot, cancel: &Cancel) -> io::Result<State> {
    let mut state = slot.state.lock().unwrap_or_else(|e| e.into_inner());
    while matches!(*state, State::Waiting | State::Reading) {
        if cancel.reason().is_some() {
            return Err(crate::cancel::cancelled_io());
        }
        state = slot
            .changed
            .wait_timeout(state, Duration::from_millis(100))
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    Ok(state.clone())
}

/// The digest lists of a snapshot's volumes, by the volume's place in the snapshot
/// (`volumes/<name>`).
pub type VolumeLists = BTreeMap<std::path::PathBuf, Arc<VolumeList>>;

#[cfg(test)]
mod tests {
    use super::*;

    fn file_node(name: &str, size: u64) -> Node {
        let meta = Metadata {
            size,
            mode: Some(0o644),
            ..Metadata::default()
        };
        Node::new_node(std::ffi::OsStr::new(name), NodeType::File, meta)
    }

    /// A name of a file with two, inode 7.
    fn linked_node(name: &str, size: u64) -> Node {
        let mut node = file_node(name, size);
        node.meta.links = 2;
        node.meta.inode = 7;
        node
    }

    fn read_all(slot: DigestSlot, content: &[u8]) {
        let mut reader = slot.hashing(content);
        io::copy(&mut reader, &mut io::sink()).unwrap();
    }

    #[test]
    fn the_list_holds_what_was_read_and_the_parents_digests_of_what_was_not() {
        let parent = FileList {
            volume: "data".into(),
            entries: vec![FileRecord {
                path: PathBytes(b"old".to_vec()),
                kind: Kind::File,
                mode: 0o644,
                uid: 0,
                gid: 0,
                mtime: 0,
                size: 3,
                sha256: Some("ab".repeat(32)),
                link: None,
                device: None,
                xattrs: BTreeMap::new(),
            }],
        };
        let list = VolumeList::new("data", Some(parent));
        let mut root = file_node("data", 0);
        root.node_type = NodeType::Dir;
        assert!(list.track(PathBytes::root(), &root).is_none());
        let new = list.track(PathBytes(b"new".to_vec()), &file_node("new", 5));
        let old = list.track(PathBytes(b"old".to_vec()), &file_node("old", 3));
        let node = list.node("data.files.json");
        let worker = std::thread::spawn(move || {
            read_all(new.unwrap(), b"hello");
            drop(old);
        });
        let content = list.content(&crate::cancel::pair().1).unwrap();
        worker.join().unwrap();
        assert_eq!(content.len() as u64, node.meta.size);
        let written: FileList = serde_json::from_slice(&content).unwrap();
        let digests: Vec<_> = written.entries.iter().map(|e| e.sha256.clone()).collect();
        assert_eq!(
            digests,
            vec![
                None,
                Some(hex::encode(sha2::Sha256::digest(b"hello"))),
                Some("ab".repeat(32)),
            ]
        );
        assert_eq!(list.fingerprint().file_count, 2);
    }

    #[test]
    fn the_list_waits_until_the_other_names_of_a_hard_linked_file_are_read_too() {
        let linked = |name: &str| linked_node(name, 5);
        let list = Arc::new(VolumeList::new("data", None));
        let first = list.track(PathBytes(b"a".to_vec()), &linked("a")).unwrap();
        let other = list.track(PathBytes(b"b".to_vec()), &linked("b")).unwrap();
        list.node("data.files.json");
        read_all(first, b"hello");
        let (made, listed) = std::sync::mpsc::channel();
        let waiting = Arc::clone(&list);
        std::thread::spawn(move || {
            let _ = made.send(waiting.content(&crate::cancel::pair().1));
        });
        assert!(
            listed.recv_timeout(Duration::from_millis(300)).is_err(),
            "made while the other name was unread"
        );
        read_all(other, b"hello");
        let content = listed
            .recv_timeout(Duration::from_secs(10))
            .unwrap()
            .unwrap();
        let written: FileList = serde_json::from_slice(&content).unwrap();
        assert_eq!(written.entries[1].kind, Kind::Hardlink);
        assert_eq!(written.entries[1].link, Some(PathBytes(b"a".to_vec())));

        let list = VolumeList::new("data", None);
        read_all(
            list.track(PathBytes(b"a".to_vec()), &linked("a")).unwrap(),
            b"hello",
        );
        list.track(PathBytes(b"b".to_vec()), &linked("b"))
            .unwrap()
            .vanished();
        list.node("data.files.json");
        let err = list.content(&crate::cancel::pair().1).unwrap_err();
        assert!(err.to_string().contains("hard link removed"), "{err}");
    }

    #[test]
    fn a_file_not_read_to_its_end_or_without_a_known_digest_fails_the_list() {
        let list = VolumeList::new("data", None);
        let partly = list.track(PathBytes(b"partly".to_vec()), &file_node("partly", 5));
        list.node("data.files.json");
        let mut reader = partly.unwrap().hashing(&b"hello"[..]);
        reader.read_exact(&mut [0; 2]).unwrap();
        drop(reader);
        let err = list.content(&crate::cancel::pair().1).unwrap_err();
        assert!(err.to_string().contains("not read to its end"), "{err}");

        let list = VolumeList::new("data", None);
        drop(list.track(PathBytes(b"skipped".to_vec()), &file_node("skipped", 5)));
        list.node("data.files.json");
        let err = list.content(&crate::cancel::pair().1).unwrap_err();
        assert!(err.to_string().contains("has no digest of it"), "{err}");
    }

    #[test]
    fn a_vanished_file_leaves_the_list_which_keeps_its_declared_size() {
        let list = VolumeList::new("data", None);
        let kept = list.track(PathBytes(b"kept".to_vec()), &file_node("kept", 2));
        let gone = list.track(PathBytes(b"gone".to_vec()), &file_node("gone", 3));
        let node = list.node("data.files.json");
        read_all(kept.unwrap(), b"hi");
        gone.unwrap().vanished();
        let content = list.content(&crate::cancel::pair().1).unwrap();
        assert_eq!(content.len() as u64, node.meta.size);
        let written: FileList = serde_json::from_slice(&content).unwrap();
        let paths: Vec<_> = written.entries.iter().map(|e| e.path.clone()).collect();
        assert_eq!(paths, vec![PathBytes(b"kept".to_vec())]);
        assert_eq!(list.fingerprint().file_count, 1);

        // A file with another name in the volume vanished: that name would be a link to
        // nothing the list holds.
        let list = VolumeList::new("data", None);
        let first = list.track(PathBytes(b"a".to_vec()), &linked_node("a", 2));
        let other = list.track(PathBytes(b"b".to_vec()), &linked_node("b", 2));
        drop(other.expect("the other name is read too"));
        list.node("data.files.json");
        first.unwrap().vanished();
        let err = list.content(&crate::cancel::pair().1).unwrap_err();
        assert!(err.to_string().contains("b: a hard link"), "{err}");
    }

    #[test]
    fn a_list_with_a_file_without_a_valid_digest_is_unsound() {
        let list = VolumeList::new("data", None);
        let slot = list.track(PathBytes(b"f".to_vec()), &file_node("f", 2));
        list.node("data.files.json");
        read_all(slot.unwrap(), b"hi");
        let content = list.content(&crate::cancel::pair().1).unwrap();
        let mut written: FileList = serde_json::from_slice(&content).unwrap();
        assert!(unsound(&written).is_empty());
        for bad in [None, Some("AB".repeat(32)), Some("ab".to_string())] {
            written.entries[0].sha256 = bad;
            assert_eq!(unsound(&written).len(), 1);
        }
    }
}
