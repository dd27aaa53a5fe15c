//! A volume read through the engine's archive endpoint as a tree of a snapshot (a
//! remote engine, or a volume whose driver mounts its data only for containers). Its tar
//! stream is read entry by entry on a thread of its own, and each entry is handed to the
//! archiver with its content, held (in memory up to [`IN_MEMORY`] bytes, else in an
//! unlinked temporary file) only until the archiver has read it. The bounded channel
//! between the two and the archiver's own bounded read-ahead keep the held files few,
//! and [`SPILL_BUDGET`] keeps the bytes on disk bounded. Chunks the repository already
//! has are not stored again, so an unchanged volume adds (almost) nothing, although every
//! byte crosses the stream.
//!
//! A hard link is given its target's content once more (a regular file is asked of the
//! engine again, through a second helper: the engine answers one archive request of a
//! container at a time), so it is restored as a copy. A snapshot with a streamed volume
//! has no parent (see `snapshot::write`): a tar stream's whole-second mtimes cannot prove
//! a file unchanged, so every file is chunked again, and the nodes, the same as last
//! time, add no new trees either.
//!
//! What the engine itself leaves out of its stream (entries it cannot stat, sockets, and
//! every extended attribute but `security.capability`) is not in the snapshot either,
//! as for a plain backup read through the engine.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

use futures_util::StreamExt;
use rustic_core::repofile::Node;

use super::archive::{ArchiveError, Cancellable, Naming, read_entries};
use super::entry::{FileRecord, Kind, PathBytes};
use super::restic_node;
use crate::cancel::Cancel;
use crate::engine::volume_access::{self, Downloader, HELPER_MOUNT};

/// Files up to this size are held in memory between the stream and the archiver.
const IN_MEMORY: u64 = 1 << 20;

/// Entries read ahead of the archiver.
const AHEAD: usize = 16;

/// The bytes held on disk at once; a larger file waits until it is alone.
const SPILL_BUDGET: u64 = 1 << 30;

/// A volume the snapshot reads through the engine.
pub struct EngineTree {
    volume: String,
    downloader: Downloader,
    /// A second helper's, for hard link targets.
    fetcher: Downloader,
    /// Where contents too large for memory wait for the archiver.
    spill: PathBuf,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for EngineTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EngineTree({})", self.volume)
    }
}

/// The bytes spilled to disk and not yet read, with a way to wait for them to drop.
#[derive(Default)]
pub struct Budget {
    held: Mutex<u64>,
    freed: Condvar,
}

impl Budget {
    /// Waits until `bytes` fit (or nothing else is held), then counts them.
    fn take(&self, bytes: u64) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        while *held > 0 && *held + bytes > SPILL_BUDGET {
            held = self.freed.wait(held).unwrap_or_else(|e| e.into_inner());
        }
        *held += bytes;
    }

    fn give_back(&self, bytes: u64) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        *held = held.saturating_sub(bytes);
        self.freed.notify_all();
    }
}

/// An entry's content until the archiver reads it.
pub enum Held {
    /// Small: in memory.
    Memory(Cursor<Vec<u8>>),
    /// Large: in an unlinked file, its bytes counted in the budget until dropped.
    Spilled(File, u64, Arc<Budget>),
}

impl Read for Held {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Held::Memory(cursor) => cursor.read(buf),
            Held::Spilled(file, ..) => file.read(buf),
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Held::Spilled(_, bytes, budget) = self {
            budget.give_back(*bytes);
        }
    }
}

/// An entry of the volume: its path in the snapshot, its node, its content.
pub type StreamedEntry = (PathBuf, Node, Option<Held>);

impl EngineTree {
    /// Volume `volume`, downloaded through the `downloader` and `fetcher` of two
    /// helper containers; large contents wait in `spill`. Call it within the tokio
    /// runtime.
    pub fn new(
        volume: String,
        downloader: Downloader,
        fetcher: Downloader,
        spill: PathBuf,
    ) -> EngineTree {
        EngineTree {
            volume,
            downloader,
            fetcher,
            spill,
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// The tar stream of `path` inside the helper of `downloader`, as a blocking reader.
    /// It ends at `cancel` even while the engine sends nothing (a hung NFS mount): the
    /// request is dropped, and with it the engine's hold on the helper.
    fn open(
        &self,
        downloader: &Downloader,
        path: &str,
        cancel: &Cancel,
    ) -> impl Read + Send + use<> {
        let _inside = self.runtime.enter();
        let until = cancel.clone();
        let stream = downloader
            .download(path)
            .take_until(async move { until.cancelled().await });
        Cancellable::new(volume_access::blocking_reader(Box::pin(stream)), cancel)
    }

    /// The volume's entries in stream order (each directory before what it holds,
    /// names in byte order, as the engine walks them), at `at` in the snapshot; read on
    /// a thread of their own. Why the stream failed goes into `failures`.
    pub fn entries(
        self: &Arc<Self>,
        at: PathBuf,
        failures: Arc<Mutex<Vec<String>>>,
        cancel: Cancel,
    ) -> Streamed {
        let (sender, received) = mpsc::sync_channel(AHEAD);
        let tree = Arc::clone(self);
        let root = at.clone();
        let worker = std::thread::spawn(move || tree.read(&root, &sender, &cancel));
        Streamed {
            received: received.into_iter(),
            worker: Some(worker),
            volume: self.volume.clone(),
            at,
            last: None,
            failures,
        }
    }

    /// Reads the stream and sends each entry.
    fn read(
        &self,
        at: &Path,
        sender: &mpsc::SyncSender<StreamedEntry>,
        cancel: &Cancel,
    ) -> Result<(), String> {
        let budget = Arc::new(Budget::default());
        // Hard links to entries that are no regular file are copies of their records.
        let mut others: HashMap<PathBytes, FileRecord> = HashMap::new();
        let reader = self.open(&self.downloader, HELPER_MOUNT, cancel);
        read_entries(reader, Naming::EngineCopy, |entry| {
            let mut record = entry.record;
            let content = match record.kind {
                Kind::File => Some(self.hold(entry.content, record.size, &budget)?),
                Kind::Hardlink => {
                    let target = record.link.clone().unwrap_or_default();
                    match others.get(&target) {
                        Some(other) => {
                            record = FileRecord {
                                path: record.path,
                                ..other.clone()
                            };
                            None
                        }
                        None => {
                            let (held, size) = self.fetch(&target, &budget, cancel)?;
                            record.size = size;
                            Some(held)
                        }
                    }
                }
                Kind::Dir => None,
                _ => {
                    others.insert(record.path.clone(), record.clone());
                    None
                }
            };
            let path = match record.path.is_root() {
                true => at.to_path_buf(),
                false => at.join(OsStr::from_bytes(&record.path.0)),
            };
            let name = path.file_name().unwrap_or_default().to_os_string();
            let node = restic_node::node(&record, &name);
            sender.send((path, node, content)).map_err(|_| {
                ArchiveError::Unreadable(io::Error::other("the archiver stopped reading"))
            })
        })
        .map(|_| ())
        .map_err(|err| format!("volume {} through the engine: {err}", self.volume))
    }

    /// `content` (`size` bytes), held until the archiver reads it.
    fn hold(&self, content: &mut dyn Read, size: u64, budget: &Arc<Budget>) -> io::Result<Held> {
        if size <= IN_MEMORY {
            let mut bytes = Vec::with_capacity(size as usize);
            content.read_to_end(&mut bytes)?;
            return Ok(Held::Memory(Cursor::new(bytes)));
        }
        budget.take(size);
        let held = unnamed_file(&self.spill).and_then(|mut file| {
            io::copy(content, &mut file)?;
            file.rewind()?;
            Ok(file)
        });
        match held {
            Ok(file) => Ok(Held::Spilled(file, size, Arc::clone(budget))),
            Err(err) => {
                budget.give_back(size);
                Err(err)
            }
        }
    }

    /// The content of the regular file `target` of the volume, asked of the engine again
    /// (a hard link's), with its size.
    fn fetch(
        &self,
        target: &PathBytes,
        budget: &Arc<Budget>,
        cancel: &Cancel,
    ) -> Result<(Held, u64), ArchiveError> {
        let unreadable = |why: String| ArchiveError::Unreadable(io::Error::other(why));
        // The engine takes paths as text: a name that is not UTF-8 cannot be asked for.
        let name = std::str::from_utf8(&target.0).map_err(|_| {
            unreadable(format!(
                "the hard link target {} is not valid UTF-8, which the engine cannot be asked \
                 for; back up this volume into a plain directory",
                String::from_utf8_lossy(&target.0)
            ))
        })?;
        let reader = self.open(&self.fetcher, &format!("{HELPER_MOUNT}/{name}"), cancel);
        // The engine names the one entry after the file: no path of it is used.
        let mut archive = tar::Archive::new(reader);
        for entry in archive.entries()? {
            let mut entry = entry?;
            if entry.header().entry_type().is_file() {
                let size = entry.size();
                return Ok((self.hold(&mut entry, size, budget)?, size));
            }
        }
        Err(unreadable(format!(
            "the hard link target {name} is no longer a regular file"
        )))
    }
}

/// A file that has no name: nothing is left behind whatever happens. O_TMPFILE where
/// the file system has it, else a name removed at once.
fn unnamed_file(dir: &Path) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
    match rustix::fs::open(dir, flags, Mode::from_raw_mode(0o600)) {
        Ok(fd) => Ok(File::from(fd)),
        Err(_) => {
            let named = dir.join(format!(".spill-{}", &*rustic_core::Id::random().to_hex()));
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&named)?;
            std::fs::remove_file(&named)?;
            Ok(file)
        }
    }
}

/// The entries of a volume as its stream delivers them, checked to come in the order
/// the archiver needs: the volume's directory first, then each path after the one
/// before, all beneath the volume's place.
pub struct Streamed {
    received: mpsc::IntoIter<StreamedEntry>,
    worker: Option<std::thread::JoinHandle<Result<(), String>>>,
    volume: String,
    at: PathBuf,
    last: Option<PathBuf>,
    failures: Arc<Mutex<Vec<String>>>,
}

impl Streamed {
    fn fail(&mut self, why: String) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(why);
    }
}

impl Iterator for Streamed {
    type Item = StreamedEntry;

    fn next(&mut self) -> Option<StreamedEntry> {
        // After a failure nothing more is given.
        self.worker.as_ref()?;
        if let Some(entry) = self.received.next() {
            let in_order = match &self.last {
                None => entry.0 == self.at && entry.1.is_dir(),
                Some(last) => entry.0 > *last && entry.0.starts_with(&self.at),
            };
            if in_order {
                self.last = Some(entry.0.clone());
                return Some(entry);
            }
            // An order the snapshot's trees cannot be built from: the rest is left out
            // and the snapshot dropped.
            let why = format!(
                "volume {} through the engine: {} came out of order",
                self.volume,
                entry.0.display()
            );
            self.fail(why);
            self.worker = None;
            return None;
        }
        // The stream ended: whether it ended whole is the worker's to say.
        let failed = match self.worker.take()?.join() {
            Ok(Ok(())) if self.last.is_none() => Some(format!(
                "volume {} through the engine: the engine sent no entries",
                self.volume
            )),
            Ok(Ok(())) => None,
            Ok(Err(why)) => Some(why),
            Err(_) => Some(format!("the reader of volume {} failed", self.volume)),
        };
        if let Some(why) = failed {
            self.fail(why);
        }
        None
    }
}
