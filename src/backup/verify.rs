//! `verify`: recompute every checksum and read every artifact fully (tar structure,
//! zstd frames, image archive manifests, digest lists), refusing entries that would be
//! unsafe to extract. Reports every bad file by name.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use serde::{Deserialize, Serialize};

use super::archive::{ArchiveError, Cancellable, Content, HashingReader, Naming, list_entries};
use super::entry::FileList;
use super::manifest::{self, ArtifactKind, Manifest};
use super::{beneath, store};
use crate::cancel::{self, Cancel};
use crate::error::{Error, Result};
use std::sync::mpsc;

/// One thing wrong with a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file it is about, relative to the backup directory.
    pub path: String,
    /// What is wrong.
    pub what: String,
}

/// The outcome of a verification.
#[derive(Debug, Default, Serialize)]
pub struct VerifyReport {
    /// The backup directory.
    pub backup: String,
    /// Artifacts checked.
    pub artifacts: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Files inside volume archives checked against their digest lists.
    pub volume_files: u64,
    /// Everything wrong; empty when the backup is sound.
    pub problems: Vec<Problem>,
    /// Files the manifest does not list, which nothing reads (what a copy of the
    /// backup left: `.DS_Store`, a NAS's `@eaDir/`, an rsync partial file).
    pub unlisted: Vec<String>,
    /// Entries with powers beyond their volume (device nodes, FIFOs, setuid/setgid,
    /// file capabilities): a restore into another volume leaves them out unless asked.
    pub special: Vec<SpecialEntry>,
    /// The manifest, when it could be read.
    #[serde(skip)]
    pub manifest: Option<Manifest>,
    /// The backup's identity (see [`super::made_here::plain`]) from the very bytes of
    /// `manifest.json` and `SHA256SUMS` verified, when both could be read.
    #[serde(skip)]
    pub identity: Option<String>,
}

/// One entry with special powers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpecialEntry {
    /// The volume.
    pub volume: String,
    /// The path in it (escaped for the terminal).
    pub path: String,
    /// What makes it special.
    pub what: Vec<String>,
}

impl VerifyReport {
    fn problem(&mut self, path: &str, what: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_string(),
            what: what.into(),
        });
    }

    /// Turns a failed verification into an exit-4 error naming every bad file.
    pub fn into_result(self) -> Result<VerifyReport> {
        if self.problems.is_empty() {
            return Ok(self);
        }
        let lines: Vec<String> = self
            .problems
            .iter()
            .map(|p| format!("  {}: {}", p.path, p.what))
            .collect();
        Err(Error::integrity(format!(
            "backup {} failed verification:\n{}",
            self.backup,
            lines.join("\n")
        ))
        .hint("nothing was restored; use another backup (`docker safeops backups`)"))
    }
}

/// How deeply to check volume archives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Re-hash every file inside every archive against the digest list.
    Full,
    /// For a backup this process just wrote and hashed: check every artifact's
    /// checksum on disk, decode every archive (zstd verifies its frame checksum over
    /// the content) and compare every entry's metadata, without hashing file contents
    /// a second time.
    JustWritten,
}

/// Verifies the backup in `dir`. Errors only for cancellation or when `dir` is not a
/// backup at all; everything else is a [`Problem`] in the report.
pub fn verify(
    dir: &Path,
    depth: Depth,
    cancel: &Cancel,
    progress: Option<Arc<AtomicU64>>,
) -> Result<VerifyReport> {
    let mut report = VerifyReport {
        backup: dir.display().to_string(),
        ..VerifyReport::default()
    };
    if !dir.join(manifest::MANIFEST).exists() {
        return Err(Error::usage(format!(
            "{} is not a backup (no manifest.json)",
            dir.display()
        ))
        .hint("list backups with `docker safeops backups`"));
    }
    let _reading = store::reading(dir)?;
    let read = store::read_index(dir, manifest::MANIFEST)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            let manifest = serde_json::from_slice::<Manifest>(&bytes).map_err(|e| e.to_string())?;
            Ok((bytes, manifest))
        });
    let (manifest_bytes, manifest) = match read {
        Ok(read) => read,
        Err(err) => {
            report.problem(manifest::MANIFEST, format!("unreadable: {err}"));
            return Ok(report);
        }
    };
    for problem in manifest.problems(manifest::Layout::Plain) {
        report.problem(manifest::MANIFEST, problem);
    }
    let sums = match store::read_index(dir, manifest::SHA256SUMS) {
        Ok(bytes) => {
            report.identity = Some(super::made_here::plain(&manifest_bytes, &bytes));
            manifest::parse_sha256sums(&String::from_utf8_lossy(&bytes)).unwrap_or_else(|err| {
                report.problem(manifest::SHA256SUMS, err);
                BTreeMap::new()
            })
        }
        Err(err) => {
            report.problem(manifest::SHA256SUMS, format!("unreadable: {err}"));
            BTreeMap::new()
        }
    };
    for (path, sum) in &sums {
        match manifest.artifact(path) {
            None => report.problem(
                manifest::SHA256SUMS,
                format!("lists {path}, the manifest does not"),
            ),
            Some(artifact) if artifact.sha256 != *sum => report.problem(
                path,
                "SHA256SUMS and manifest.json disagree on its checksum",
            ),
            Some(_) => {}
        }
    }
    let listed: HashSet<&str> = manifest.artifacts.iter().map(|a| a.path.as_str()).collect();
    let (files, strangers) = files_under(dir);
    for (path, what) in strangers {
        report.problem(
            &path,
            format!("{what}: a backup holds only files and directories"),
        );
    }
    for extra in files {
        if !listed.contains(extra.as_str())
            && extra != manifest::MANIFEST
            && extra != manifest::SHA256SUMS
        {
            report.unlisted.push(extra);
        }
    }
    // In a backup this process just wrote, an unlisted file is something else writing
    // into it; in one copied by hand, the copy's leftovers, which nothing reads.
    if depth == Depth::JustWritten {
        for extra in std::mem::take(&mut report.unlisted) {
            report.problem(&extra, "not listed in the manifest");
        }
    } else if !report.unlisted.is_empty() {
        let shown: Vec<_> = report
            .unlisted
            .iter()
            .take(5)
            .map(|p| crate::ui::table::printable(p))
            .collect();
        crate::say!(
            "note: {}: {} file(s) the manifest does not list are left alone (nothing reads \
             them): {}{}",
            dir.display(),
            report.unlisted.len(),
            shown.join(", "),
            if report.unlisted.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        );
    }
    // Digest lists first: each volume archive is checked against its list.
    let mut lists: BTreeMap<String, FileList> = BTreeMap::new();
    let mut artifacts = manifest.artifacts.clone();
    artifacts.sort_by_key(|a| a.kind != ArtifactKind::FileList);
    for artifact in &artifacts {
        if cancel.reason().is_some() {
            return Err(Error::interrupted());
        }
        if !manifest::is_safe_relative(&artifact.path) {
            continue;
        }
        if !sums.is_empty() && !sums.contains_key(&artifact.path) {
            report.problem(&artifact.path, "missing from SHA256SUMS");
        }
        let file = match store::open_artifact(dir, &artifact.path) {
            Ok(file) => file,
            Err(err) => {
                report.problem(&artifact.path, format!("cannot open: {err}"));
                continue;
            }
        };
        let mut hashing = PipedFile::new(file, cancel, progress.clone());
        let outcome = check_structure(
            &manifest,
            artifact.kind,
            &artifact.path,
            depth,
            &mut hashing,
            &mut lists,
        );
        // Whatever the structure check left unread still counts for the checksum.
        let drained = io::copy(&mut hashing, &mut io::sink());
        report.artifacts += 1;
        let (sha256, size) = hashing.finish();
        report.bytes += size;
        match outcome {
            Err(StructureError::Io(err))
            | Err(StructureError::Archive(ArchiveError::Unreadable(err)))
                if cancel::is_cancelled_io(&err) =>
            {
                return Err(Error::interrupted());
            }
            Err(err) => report.problem(&artifact.path, err.to_string()),
            Ok(files) => report.volume_files += files,
        }
        if let Err(err) = drained {
            report.problem(&artifact.path, format!("read error: {err}"));
        } else if sha256 != artifact.sha256 {
            report.problem(
                &artifact.path,
                "checksum mismatch (the file was changed or damaged)",
            );
        } else if size != artifact.size {
            report.problem(
                &artifact.path,
                format!("size {size}, manifest says {}", artifact.size),
            );
        }
    }
    for list in lists.values() {
        for (entry, what) in list.special_entries() {
            report.special.push(SpecialEntry {
                volume: list.volume.clone(),
                path: entry.path.to_string(),
                what: what.iter().map(|w| w.to_string()).collect(),
            });
        }
    }
    report.manifest = Some(manifest);
    if depth == Depth::Full {
        let first = report
            .problems
            .first()
            .map(|p| format!("{}: {}", p.path, p.what));
        store::record_verification(store::Recorded::Plain(dir), first);
    }
    Ok(report)
}

/// A file read and hashed on its own thread, so that hashing the bytes on disk and
/// decoding them overlap.
struct PipedFile {
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
    worker: std::thread::JoinHandle<(String, u64)>,
}

const PIPE_CHUNK: usize = 1 << 20;

impl PipedFile {
    fn new(file: File, cancel: &Cancel, progress: Option<Arc<AtomicU64>>) -> PipedFile {
        let (tx, chunks) = mpsc::sync_channel(4);
        let cancel = cancel.clone();
        let worker = std::thread::spawn(move || {
            let mut hashing = HashingReader::new(Cancellable::new(file, &cancel), progress);
            loop {
                let mut chunk = vec![0u8; PIPE_CHUNK];
                let result = read_full(&mut hashing, &mut chunk).map(|n| {
                    chunk.truncate(n);
                    chunk
                });
                let done = matches!(&result, Ok(c) if c.is_empty()) || result.is_err();
                if tx.send(result).is_err() || done {
                    break;
                }
            }
            hashing.finish()
        });
        PipedFile {
            chunks,
            chunk: Vec::new(),
            pos: 0,
            worker,
        }
    }

    /// The SHA-256 and size of what was read (all of it, once the reader drained it).
    fn finish(self) -> (String, u64) {
        drop(self.chunks);
        self.worker.join().unwrap_or_default()
    }
}

fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

impl Read for PipedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.chunk.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(err)) => return Err(err),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Paths of all regular files under `dir`, relative to it, and of everything else that
/// is not a directory (symlinks, FIFOs, devices: what it is). Directories are opened
/// through file descriptors and never through a symlink, so a symlink loop or a link
/// to a host directory is one entry, not a walk out of the backup.
fn files_under(dir: &Path) -> (Vec<String>, Vec<(String, &'static str)>) {
    use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};
    let mut found = Vec::new();
    let mut strangers = Vec::new();
    let Ok(root) = beneath::open_root(dir) else {
        return (found, strangers);
    };
    let mut stack = vec![(root, String::new())];
    while let Some((fd, prefix)) = stack.pop() {
        let Ok(mut entries) = Dir::read_from(&fd) else {
            strangers.push((prefix, "an unreadable directory"));
            continue;
        };
        while let Some(Ok(entry)) = entries.read() {
            // Escaped: these names are whatever the backup directory holds.
            let name = entry
                .file_name()
                .to_string_lossy()
                .escape_debug()
                .to_string();
            if name == "." || name == ".." {
                continue;
            }
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let file_type = match entry.file_type() {
                FileType::Unknown => {
                    rustix::fs::statat(&fd, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW)
                        .map_or(FileType::Unknown, |st| FileType::from_raw_mode(st.st_mode))
                }
                known => known,
            };
            match file_type {
                FileType::RegularFile => found.push(rel),
                FileType::Directory => {
                    let flags =
                        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                    match rustix::fs::openat(&fd, entry.file_name(), flags, Mode::empty()) {
                        Ok(child) => stack.push((child, rel)),
                        Err(_) => strangers.push((rel, "an unreadable directory")),
                    }
                }
                FileType::Symlink => strangers.push((rel, "a symlink")),
                _ => strangers.push((rel, "a special file")),
            }
        }
    }
    (found, strangers)
}

#[derive(Debug, thiserror::Error)]
enum StructureError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Archive(#[from] ArchiveError),
    #[error("{0}")]
    Invalid(String),
}

/// Reads one artifact through `reader` according to its kind. Returns how many volume
/// files it checked.
fn check_structure(
    manifest: &Manifest,
    kind: ArtifactKind,
    path: &str,
    depth: Depth,
    reader: &mut dyn Read,
    lists: &mut BTreeMap<String, FileList>,
) -> std::result::Result<u64, StructureError> {
    let invalid = |what: String| StructureError::Invalid(what);
    match kind {
        ArtifactKind::FileList => {
            // No more than the manifest declares: a forged list cannot exhaust memory
            // beyond that (a longer file fails the size check afterwards).
            let declared = manifest.artifact(path).map_or(0, |a| a.size);
            let bounded = io::Read::take(&mut *reader, declared);
            let list: FileList = serde_json::from_reader(BufReader::new(bounded))
                .map_err(|e| invalid(format!("not a valid digest list: {e}")))?;
            lists.insert(path.to_string(), list);
            Ok(0)
        }
        ArtifactKind::VolumeArchive => {
            let volume = manifest
                .volumes
                .iter()
                .find(|v| v.archive == path)
                .ok_or_else(|| invalid("no volume in the manifest uses this archive".into()))?;
            let decoder = zstd::stream::read::Decoder::new(reader)
                .map_err(|e| invalid(format!("not a zstd stream: {e}")))?;
            let content = match depth {
                Depth::Full => Content::Hash,
                Depth::JustWritten => Content::Skip,
            };
            let (mut actual, mut rest) =
                list_entries(decoder, Naming::Volume, &volume.name, content)?;
            io::copy(&mut rest, &mut io::sink())
                .map_err(|e| invalid(format!("damaged zstd stream: {e}")))?;
            let expected = lists.get(&volume.file_list).ok_or_else(|| {
                invalid(format!(
                    "its digest list {} is unreadable",
                    volume.file_list
                ))
            })?;
            if content == Content::Skip {
                // The digests were computed from the same bytes moments ago.
                for (found, listed) in actual.entries.iter_mut().zip(&expected.entries) {
                    if found.path == listed.path {
                        found.sha256.clone_from(&listed.sha256);
                    }
                }
            }
            let differences = expected.differences(&actual);
            if let Some(first) = differences.first() {
                return Err(invalid(format!(
                    "content differs from its digest list ({} entries, first: {first})",
                    differences.len()
                )));
            }
            if actual.fingerprint() != volume.fingerprint {
                return Err(invalid(
                    "file count or size differs from the manifest".into(),
                ));
            }
            Ok(actual.fingerprint().file_count)
        }
        ArtifactKind::ContainerSpec => {
            let spec: serde_json::Value = serde_json::from_reader(BufReader::new(reader))
                .map_err(|e| invalid(format!("not a valid inspect document: {e}")))?;
            if !spec.is_object() || spec.get("Config").is_none() {
                return Err(invalid("not a container inspect document".into()));
            }
            Ok(0)
        }
        ArtifactKind::ImageArchive => {
            check_image_archive(manifest, reader)?;
            Ok(0)
        }
        ArtifactKind::Dump => {
            let mut decoder = zstd::stream::read::Decoder::new(reader)
                .map_err(|e| invalid(format!("not a zstd stream: {e}")))?;
            let bytes = io::copy(&mut decoder, &mut io::sink())
                .map_err(|e| invalid(format!("damaged zstd stream: {e}")))?;
            if bytes == 0 {
                return Err(invalid("empty dump".into()));
            }
            Ok(0)
        }
        ArtifactKind::ComposeFile => Ok(0),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SavedImage {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

/// Checks a `docker save` archive: readable tar, a non-empty `manifest.json` whose
/// configs and layers are all present, listing every image the backup recorded.
fn check_image_archive(
    manifest: &Manifest,
    reader: &mut dyn Read,
) -> std::result::Result<(), StructureError> {
    let invalid = |what: String| StructureError::Invalid(what);
    let mut archive = tar::Archive::new(reader);
    let mut names = BTreeSet::new();
    let mut saved: Option<Vec<SavedImage>> = None;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = String::from_utf8_lossy(&entry.path_bytes())
            .trim_start_matches("./")
            .to_string();
        if name == "manifest.json" {
            let mut text = Vec::new();
            entry.read_to_end(&mut text)?;
            saved = Some(
                serde_json::from_slice(&text)
                    .map_err(|e| invalid(format!("its manifest.json is not valid: {e}")))?,
            );
        } else {
            io::copy(&mut entry, &mut io::sink())?;
        }
        names.insert(name.trim_end_matches('/').to_string());
    }
    let saved =
        saved.ok_or_else(|| invalid("no manifest.json inside: not an image archive".into()))?;
    if saved.is_empty() {
        return Err(invalid("its manifest.json lists no images".into()));
    }
    for image in &saved {
        for part in std::iter::once(&image.config).chain(&image.layers) {
            if !names.contains(part.as_str()) {
                return Err(invalid(format!(
                    "{part} is listed in its manifest.json but missing"
                )));
            }
        }
    }
    for wanted in &manifest.images {
        let id_hex = wanted.id.trim_start_matches("sha256:");
        let found = saved.iter().any(|s| {
            s.repo_tags.iter().flatten().any(|t| *t == wanted.reference)
                || s.config.contains(id_hex)
        });
        if !found {
            return Err(invalid(format!(
                "image {} is not in the archive",
                wanted.reference
            )));
        }
    }
    Ok(())
}
