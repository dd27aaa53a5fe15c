//! Files' content read out of a repository ahead of a restore's writer, on worker
//! threads: the writer creates and fills one file after the other, while the next ones
//! are fetched, decrypted, decompressed and hashed beside it. Each file's content
//! reaches the writer in order, with the SHA-256 of all of it, and what waits for the
//! writer is bounded (see [`AHEAD_BYTES`]): a volume is never held in memory.
//! Blocks: run it on `spawn_blocking`.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use bytes::Bytes;
use rustic_core::IndexedFullStatus;
use rustic_core::repofile::Node;
use sha2::Digest;

use super::entry::{FileRecord, Kind, PathBytes};
use super::snapshot;
use crate::cancel::Cancel;

type Repo = rustic_core::Repository<IndexedFullStatus>;

/// How much of a file is asked of the repository at once.
const PIECE: usize = 4 << 20;

/// The declared sizes of the files read ahead of the one being written add up to at
/// most this; the one being written is read whatever its size, a few pieces ahead.
const AHEAD_BYTES: u64 = 64 << 20;

/// Files read ahead of the one being written, at most (empty ones count too).
const AHEAD_FILES: usize = 256;

/// Pieces of one file waiting for the writer, at most.
const WAITING_PIECES: usize = 4;

/// Worker threads, at most: beyond this the writer is the bottleneck.
const MAX_WORKERS: usize = 4;

/// What a worker hands over of one file.
enum Piece {
    Bytes(Bytes),
    /// The SHA-256 of all the file's content: nothing follows.
    End(String),
}

type Pieces = io::Result<Piece>;

/// One file for a worker to read.
struct Job<'a> {
    path: &'a PathBytes,
    node: &'a Node,
    size: usize,
    into: SyncSender<Pieces>,
}

/// The regular files of a list of entries, read ahead in order (see the module).
pub struct ReadAhead<'a> {
    files: Vec<&'a (FileRecord, Node)>,
    /// The first of `files` not yet given to a worker.
    next: usize,
    /// The files given to workers and not yet to the writer, in order, with their
    /// declared sizes.
    given: VecDeque<(u64, Fetched)>,
    given_bytes: u64,
    jobs: Sender<Job<'a>>,
}

impl ReadAhead<'_> {
    /// The content of the next regular file of the entries, in their order.
    pub fn next_file(&mut self) -> io::Result<Fetched> {
        while let Some((record, node)) = self.files.get(self.next) {
            let fits = self.given_bytes.saturating_add(record.size) <= AHEAD_BYTES
                && self.given.len() < AHEAD_FILES;
            if !(fits || self.given.is_empty()) {
                break;
            }
            let size = usize::try_from(record.size).unwrap_or(usize::MAX);
            let waiting = (size.div_ceil(PIECE) + 1).min(WAITING_PIECES);
            let (into, pieces) = sync_channel(waiting);
            let job = Job {
                path: &record.path,
                node,
                size,
                into,
            };
            self.jobs
                .send(job)
                .map_err(|_| io::Error::other("the workers reading ahead stopped"))?;
            let fetched = Fetched {
                path: record.path.clone(),
                pieces,
                pending: Bytes::new(),
                digest: None,
            };
            self.given.push_back((record.size, fetched));
            self.given_bytes = self.given_bytes.saturating_add(record.size);
            self.next += 1;
        }
        let (size, fetched) = self
            .given
            .pop_front()
            .ok_or_else(|| io::Error::other("no regular file is left to read"))?;
        self.given_bytes -= size;
        Ok(fetched)
    }
}

/// One file's content as a worker reads it.
pub struct Fetched {
    path: PathBytes,
    pieces: Receiver<Pieces>,
    pending: Bytes,
    digest: Option<String>,
}

impl Fetched {
    /// The SHA-256 of the file's content as the repository gave it, what was not read
    /// of it included.
    pub fn digest(mut self) -> io::Result<String> {
        io::copy(&mut self, &mut io::sink())?;
        self.digest
            .ok_or_else(|| io::Error::other(format!("{}: reading it ahead stopped", self.path)))
    }
}

impl Read for Fetched {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() {
            if self.digest.is_some() {
                return Ok(0);
            }
            match self.pieces.recv() {
                Ok(Ok(Piece::Bytes(bytes))) => self.pending = bytes,
                Ok(Ok(Piece::End(digest))) => self.digest = Some(digest),
                Ok(Err(err)) => return Err(err),
                Err(_) => {
                    return Err(io::Error::other(format!(
                        "{}: reading it ahead stopped",
                        self.path
                    )));
                }
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending.split_to(n));
        Ok(n)
    }
}

/// Runs `body` with the regular files of `entries` read ahead out of `repo`; `body`
/// takes them with [`ReadAhead::next_file`], in the entries' order. The workers stop
/// when `body` returns, whatever it read.
pub fn with_read_ahead<'a, T>(
    repo: &'a Repo,
    entries: &'a [(FileRecord, Node)],
    cancel: &Cancel,
    body: impl FnOnce(&mut ReadAhead<'a>) -> io::Result<T>,
) -> io::Result<T> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_WORKERS);
    let stopped = AtomicBool::new(false);
    let (jobs, queue) = channel::<Job<'a>>();
    let queue = Mutex::new(queue);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    // Jobs are taken in the order given: a file is being read before
                    // any later one, so the writer never waits on a job not taken.
                    let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(job) = job else { return };
                    let into = job.into.clone();
                    if let Err(err) = fetch(repo, job, cancel, &stopped) {
                        let _ = into.send(Err(err));
                    }
                }
            });
        }
        let mut ahead = ReadAhead {
            files: entries
                .iter()
                .filter(|(r, _)| r.kind == Kind::File)
                .collect(),
            next: 0,
            given: VecDeque::new(),
            given_bytes: 0,
            jobs,
        };
        let result = body(&mut ahead);
        // What is still queued is not read, and a worker waiting for the writer is let go.
        stopped.store(true, Ordering::Relaxed);
        drop(ahead);
        result
    })
}

/// Reads `job`'s file and hands it over piece by piece; stops early, without error,
/// when its writer is gone or everything is `stopped`.
fn fetch(repo: &Repo, job: Job<'_>, cancel: &Cancel, stopped: &AtomicBool) -> io::Result<()> {
    let Job {
        path,
        node,
        size,
        into,
    } = job;
    let failed = |err: Box<rustic_core::RusticError>| {
        io::Error::other(format!("{path}: {}", snapshot::concise(&err.display_log())))
    };
    let file = repo.open_file(node).map_err(failed)?;
    let mut hasher = sha2::Sha256::new();
    let mut offset = 0;
    while offset < size {
        if cancel.reason().is_some() {
            return Err(crate::cancel::cancelled_io());
        }
        if stopped.load(Ordering::Relaxed) {
            return Ok(());
        }
        let bytes = repo
            .read_file_at(&file, offset, PIECE.min(size - offset))
            .map_err(failed)?;
        if bytes.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{path}: the repository holds less than its size"),
            ));
        }
        offset += bytes.len();
        hasher.update(&bytes);
        if into.send(Ok(Piece::Bytes(bytes))).is_err() {
            return Ok(());
        }
    }
    // Content beyond the recorded size would be cut off unnoticed.
    if !repo
        .read_file_at(&file, size, 1)
        .map_err(failed)?
        .is_empty()
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{path}: the repository holds more than its size"),
        ));
    }
    let _ = into.send(Ok(Piece::End(hex::encode(hasher.finalize()))));
    Ok(())
}

#[cfg(test)]
mod tests {

    use sha2::Digest;

    use super::*;
    use crate::backup::snapshot::{self, testing::published};
    use crate::storage::repository::{open, testing};

    /// A volume `v` of files of many sizes, one of them longer than two pieces, in a new
    /// repository in a temporary directory (its source under `source/volumes/v`): its
    /// entries there, and a runtime for the storage calls to block on.
    fn volume() -> (
        tokio::runtime::Runtime,
        tempfile::TempDir,
        Repo,
        Vec<(FileRecord, Node)>,
    ) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let entered = runtime.enter();
        let dir = tempfile::tempdir().unwrap();
        let (location, password) = testing::local(dir.path());
        let source = dir.path().join("source");
        let volume = source.join("volumes/v");
        std::fs::create_dir_all(volume.join("sub")).unwrap();
        let bytes = |n: usize, seed: u32| {
            (0..n as u32)
                .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 9) as u8)
                .collect::<Vec<u8>>()
        };
        std::fs::write(volume.join("big"), bytes(2 * PIECE + 12_345, 1)).unwrap();
        std::fs::write(volume.join("empty"), b"").unwrap();
        for i in 0..40 {
            std::fs::write(volume.join(format!("sub/f{i}")), bytes(i * 997, i as u32)).unwrap();
        }
        let id = published(&location, &password, &source);
        let repo = open(&location, &password).unwrap().to_indexed().unwrap();
        let found = snapshot::find(&repo, &location, &id).unwrap();
        let entries = snapshot::volume_entries(&repo, &found, &location, "v").unwrap();
        drop(entered);
        (runtime, dir, repo, entries)
    }

    #[test]
    fn every_file_comes_in_order_whole_with_its_digest() {
        let (runtime, dir, repo, entries) = volume();
        let _entered = runtime.enter();
        let volume = dir.path().join("source/volumes/v");
        let (_trigger, cancel) = crate::cancel::pair();
        let files = with_read_ahead(&repo, &entries, &cancel, |ahead| {
            let mut files = 0;
            for (record, _) in entries.iter().filter(|(r, _)| r.kind == Kind::File) {
                let mut content = ahead.next_file()?;
                let mut read = Vec::new();
                content.read_to_end(&mut read)?;
                let expected = std::fs::read(volume.join(record.path.as_path())).unwrap();
                assert!(read == expected, "{} came whole", record.path);
                let digest = hex::encode(sha2::Sha256::digest(&expected));
                assert_eq!(content.digest()?, digest, "{}", record.path);
                files += 1;
            }
            Ok(files)
        })
        .unwrap();
        assert_eq!(files, 42);
    }

    #[test]
    fn a_writer_that_stops_early_stops_the_workers_and_its_error_comes_back() {
        let (runtime, dir, repo, entries) = volume();
        let _entered = runtime.enter();
        let (_trigger, cancel) = crate::cancel::pair();
        // The big file, the first one, read in part: its worker waits for the writer.
        let stopped = with_read_ahead(&repo, &entries, &cancel, |ahead| {
            let mut first = ahead.next_file()?;
            let mut start = [0u8; 1000];
            first.read_exact(&mut start)?;
            Err::<(), _>(io::Error::other("the disk is full"))
        });
        assert_eq!(stopped.unwrap_err().to_string(), "the disk is full");
        // A digest still counts what the writer left unread.
        let digest = with_read_ahead(&repo, &entries, &cancel, |ahead| {
            ahead.next_file()?.digest()
        })
        .unwrap();
        let big = std::fs::read(dir.path().join("source/volumes/v/big")).unwrap();
        assert_eq!(digest, hex::encode(sha2::Sha256::digest(&big)));
    }

    #[test]
    fn content_that_is_not_its_recorded_size_is_invalid_data() {
        let (runtime, _dir, repo, mut entries) = volume();
        let _entered = runtime.enter();
        let (_trigger, cancel) = crate::cancel::pair();
        let big = entries
            .iter()
            .position(|(r, _)| r.kind == Kind::File)
            .unwrap();
        for (size, said) in [
            (100, "more than its size"),
            (u64::MAX >> 20, "less than its size"),
        ] {
            entries[big].0.size = size;
            let read = with_read_ahead(&repo, &entries, &cancel, |ahead| {
                ahead.next_file()?.digest()
            });
            let err = read.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
            assert!(err.to_string().contains(said), "{err}");
        }
    }

    #[test]
    fn a_cancelled_restore_stops_reading() {
        let (runtime, _dir, repo, entries) = volume();
        let _entered = runtime.enter();
        let (trigger, cancel) = crate::cancel::pair();
        trigger.trigger("test");
        let read = with_read_ahead(&repo, &entries, &cancel, |ahead| {
            ahead.next_file()?.digest()
        });
        assert!(read.is_err(), "a cancelled read gives no digest");
    }
}
