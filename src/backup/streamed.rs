//! A volume read through the engine's archive endpoint as a tree of a snapshot (a
//! remote engine, or a volume whose driver mounts its data only for containers). Its tar
//! stream is read entry by entry on a thread of its own, and each entry is handed to the
//! archiver with its content, held (in memory up to [`IN_MEMORY`] bytes, else in an
//! unlinked file of the spill directory) only until the archiver has read it: the
//! bounded channel between the two, and the archiver's own bounded read-ahead, keep what
//! is held to a few files. Chunks the repository already has are not stored again, so
//! an unchanged volume adds (almost) nothing, although every byte crosses the network.
//!
//! A hard link is given its target's content once more (asked of the engine again): it
//! is restored as a copy. Files carry the time of the backup as their ctime, so that the
//! archiver never takes a file from the parent snapshot on its size and its mtime alone
//! (a tar stream has whole seconds only): every file is read and chunked again.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use rustic_core::jiff::Timestamp;
use rustic_core::repofile::Node;

use super::archive::{ArchiveError, Cancellable, Naming, read_entries};
use super::entry::Kind;
use super::restic_node;
use crate::cancel::Cancel;
use crate::engine::volume_access::{self, Downloader, HELPER_MOUNT};

/// Files up to this size are held in memory between the stream and the archiver.
const IN_MEMORY: u64 = 1 << 20;

/// Entries read ahead of the archiver.
const AHEAD: usize = 16;

/// A volume the snapshot reads through the engine.
pub struct EngineTree {
    volume: String,
    downloader: Downloader,
    /// A second helper's, for hard link targets: the engine serves one archive request
    /// of a container at a time, and the stream holds the first helper.
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

/// An entry's content until the archiver reads it.
pub enum Held {
    /// Small: in memory.
    Memory(Cursor<Vec<u8>>),
    /// Large: in an unlinked file.
    Spilled(File),
}

impl Read for Held {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Held::Memory(cursor) => cursor.read(buf),
            Held::Spilled(file) => file.read(buf),
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
    fn open(&self, downloader: &Downloader, path: &str) -> impl Read + Send + use<> {
        let _inside = self.runtime.enter();
        volume_access::blocking_reader(Box::pin(downloader.download(path)))
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
        let worker = std::thread::spawn(move || tree.read(&at, &sender, &cancel));
        Streamed {
            received: received.into_iter(),
            worker: Some(worker),
            volume: self.volume.clone(),
            failures,
        }
    }

    /// Reads the stream and sends each entry.
    fn read(
        &self,
        at: &std::path::Path,
        sender: &mpsc::SyncSender<StreamedEntry>,
        cancel: &Cancel,
    ) -> Result<(), String> {
        let ctime = Timestamp::now();
        let reader = Cancellable::new(self.open(&self.downloader, HELPER_MOUNT), cancel);
        let spilled = AtomicU64::new(0);
        read_entries(reader, Naming::EngineCopy, |entry| {
            let mut record = entry.record;
            let content = match record.kind {
                Kind::File => Some(self.hold(entry.content, record.size, &spilled)?),
                Kind::Hardlink => {
                    let target = record.link.clone().unwrap_or_default();
                    let (held, size) = self.fetch(&target.0, &spilled, cancel)?;
                    record.size = size;
                    Some(held)
                }
                _ => None,
            };
            let path = match record.path.is_root() {
                true => at.to_path_buf(),
                false => at.join(OsStr::from_bytes(&record.path.0)),
            };
            let name = path.file_name().unwrap_or_default().to_os_string();
            let node = restic_node::node(&record, &name, Some(ctime));
            sender.send((path, node, content)).map_err(|_| {
                ArchiveError::Unreadable(io::Error::other("the archiver stopped reading"))
            })
        })
        .map(|_| ())
        .map_err(|err| format!("volume {} through the engine: {err}", self.volume))
    }

    /// `content` (`size` bytes), held until the archiver reads it.
    fn hold(&self, content: &mut dyn Read, size: u64, spilled: &AtomicU64) -> io::Result<Held> {
        if size <= IN_MEMORY {
            let mut bytes = Vec::with_capacity(size as usize);
            content.read_to_end(&mut bytes)?;
            return Ok(Held::Memory(Cursor::new(bytes)));
        }
        let name = format!(
            ".spill-{}-{}",
            std::process::id(),
            spilled.fetch_add(1, Ordering::Relaxed)
        );
        let path = self.spill.join(name);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        // Unlinked at once: nothing is left behind whatever happens next.
        std::fs::remove_file(&path)?;
        io::copy(content, &mut file)?;
        file.rewind()?;
        Ok(Held::Spilled(file))
    }

    /// The content of the regular file `target` of the volume, asked of the engine again
    /// (a hard link's), with its size.
    fn fetch(
        &self,
        target: &[u8],
        spilled: &AtomicU64,
        cancel: &Cancel,
    ) -> Result<(Held, u64), ArchiveError> {
        let path = format!("{HELPER_MOUNT}/{}", String::from_utf8_lossy(target));
        let reader = Cancellable::new(self.open(&self.fetcher, &path), cancel);
        // The engine names the one entry after the file: no path of it is used.
        let mut archive = tar::Archive::new(reader);
        for entry in archive.entries()? {
            let mut entry = entry?;
            if entry.header().entry_type().is_file() {
                let size = entry.size();
                return Ok((self.hold(&mut entry, size, spilled)?, size));
            }
        }
        Err(ArchiveError::Unreadable(io::Error::other(format!(
            "the hard link target {} is no longer a regular file",
            String::from_utf8_lossy(target)
        ))))
    }
}

/// The entries of a volume as its stream delivers them.
pub struct Streamed {
    received: mpsc::IntoIter<StreamedEntry>,
    worker: Option<std::thread::JoinHandle<Result<(), String>>>,
    volume: String,
    failures: Arc<Mutex<Vec<String>>>,
}

impl Iterator for Streamed {
    type Item = StreamedEntry;

    fn next(&mut self) -> Option<StreamedEntry> {
        if let Some(entry) = self.received.next() {
            return Some(entry);
        }
        // The stream ended: whether it ended whole is the worker's to say.
        let failed = match self.worker.take()?.join() {
            Ok(Ok(())) => None,
            Ok(Err(why)) => Some(why),
            Err(_) => Some(format!("the reader of volume {} failed", self.volume)),
        };
        if let Some(why) = failed {
            self.failures
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(why);
        }
        None
    }
}
