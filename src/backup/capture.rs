//! Capturing one volume into `volumes/<name>.tar.zst` and its digest list
//! `volumes/<name>.files.json`, directly from the mountpoint or through the engine.

use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::archive::{ArchiveWriter, Cancellable, HashingWriter, Naming, read_entries};
use super::local;
use super::manifest::{Artifact, ArtifactKind, VolumeInfo};
use super::store::PartialBackup;
use crate::cancel::{self, Cancel};
use crate::engine::Engine;
use crate::engine::volume_access::{self, Access, HELPER_MOUNT, Helper};
use crate::error::{Error, Result};

/// Output buffer between the compressor and the file.
const WRITE_BUFFER: usize = 1 << 20;

/// The artifacts and manifest entry of one captured volume.
pub struct CapturedVolume {
    /// Its manifest entry.
    pub info: VolumeInfo,
    /// The archive and digest list artifacts.
    pub artifacts: Vec<Artifact>,
}

/// Captures `volume` into `partial`. `external` is recorded in the manifest.
pub async fn capture_volume(
    engine: &Engine,
    volume: &bollard::models::Volume,
    external: bool,
    partial: &PartialBackup,
    level: i32,
    cancel: &Cancel,
    progress: Arc<AtomicU64>,
) -> Result<CapturedVolume> {
    let name = volume.name.clone();
    let archive_path = format!("volumes/{name}.tar.zst");
    let list_path = format!("volumes/{name}.files.json");
    let access = volume_access::choose(engine, volume, false)?;
    crate::ui::progress::phase(&format!("reading volume {name} ({})", access.label()));
    let file = partial
        .create_file(&archive_path)
        .map_err(|e| write_error(partial, e))?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    let output = BufWriter::with_capacity(WRITE_BUFFER, file);
    let writer = ArchiveWriter::new(&name, output, level, threads, Some(progress))
        .map_err(|e| Error::failure(format!("cannot start compressing volume {name}: {e}")))?;
    let cancel_worker = cancel.clone();
    let written = match &access {
        Access::Direct(mountpoint) => {
            let mountpoint = mountpoint.clone();
            tokio::task::spawn_blocking(move || {
                let mut writer = writer;
                let changed = local::walk(&mountpoint, &cancel_worker, &mut |entry, content| {
                    writer.append(entry, content)
                })?;
                let mut written = writer.finish()?;
                // A file that shrank is found by both.
                written.changed_while_read.extend(changed);
                written.changed_while_read.sort();
                written.changed_while_read.dedup();
                Ok(written)
            })
            .await
            .map_err(|e| Error::failure(format!("capture worker failed: {e}")))?
        }
        Access::Api => {
            let helper = Helper::create(engine, &name, true).await?;
            let reader = volume_access::blocking_reader(Box::pin(helper.download(HELPER_MOUNT)));
            let outcome = tokio::task::spawn_blocking(move || {
                let mut writer = writer;
                let reader = Cancellable::new(reader, &cancel_worker);
                read_entries(reader, Naming::EngineCopy, |entry| {
                    writer.append(entry.record, Some(entry.content))?;
                    Ok(())
                })
                .map_err(|e| match e {
                    super::archive::ArchiveError::Unreadable(io) => io,
                    other => std::io::Error::other(other.to_string()),
                })?;
                writer.finish()
            })
            .await;
            helper.remove().await;
            outcome.map_err(|e| Error::failure(format!("capture worker failed: {e}")))?
        }
    };
    let written = written.map_err(|err| {
        if cancel::is_cancelled_io(&err) {
            Error::interrupted()
        } else if is_disk_full(&err) {
            disk_full(partial)
        } else {
            Error::failure(format!("cannot capture volume {name}: {err}"))
        }
    })?;
    let file = written
        .output
        .into_inner()
        .map_err(|e| write_error(partial, e.into_error()))?;
    drop(file);
    if !written.changed_while_read.is_empty() {
        crate::say!(
            "warning: {} file(s) of volume {name} changed or vanished while being read \
             (--no-quiesce); the backup holds what was read",
            written.changed_while_read.len()
        );
    }
    let list_artifact = write_json(partial, &list_path, ArtifactKind::FileList, &written.list)?;
    let fingerprint = written.list.fingerprint();
    Ok(CapturedVolume {
        info: VolumeInfo {
            name: name.clone(),
            driver: volume.driver.clone(),
            driver_opts: volume.options.clone().into_iter().collect(),
            labels: volume.labels.clone().into_iter().collect(),
            external,
            archive: archive_path.clone(),
            file_list: list_path,
            fingerprint,
            access: access.label().to_string(),
            created_at: volume.created_at.clone(),
            changed_while_read: written.changed_while_read,
        },
        artifacts: vec![
            Artifact {
                path: archive_path,
                kind: ArtifactKind::VolumeArchive,
                size: written.size,
                sha256: written.sha256,
            },
            list_artifact,
        ],
    })
}

/// Writes the artifact `path` with `fill`, hashing and counting what it writes.
fn write_artifact(
    partial: &PartialBackup,
    path: &str,
    kind: ArtifactKind,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<Artifact> {
    let file = partial
        .create_file(path)
        .map_err(|e| write_error(partial, e))?;
    let mut hashing = HashingWriter::new(BufWriter::new(file));
    fill(&mut hashing).map_err(|e| write_error(partial, e))?;
    let (writer, sha256, size) = hashing.finish();
    writer
        .into_inner()
        .map_err(|e| write_error(partial, e.into_error()))?;
    Ok(Artifact {
        path: path.to_string(),
        kind,
        size,
        sha256,
    })
}

/// Writes `value` as the JSON artifact `path`.
pub fn write_json(
    partial: &PartialBackup,
    path: &str,
    kind: ArtifactKind,
    value: &impl serde::Serialize,
) -> Result<Artifact> {
    write_artifact(partial, path, kind, |out| {
        serde_json::to_writer_pretty(out, value).map_err(std::io::Error::from)
    })
}

/// Writes raw `bytes` as the artifact `path`.
pub fn write_bytes(
    partial: &PartialBackup,
    path: &str,
    kind: ArtifactKind,
    bytes: &[u8],
) -> Result<Artifact> {
    write_artifact(partial, path, kind, |out| out.write_all(bytes))
}

/// ENOSPC or EDQUOT.
pub fn is_disk_full(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) || err.to_string().contains("No space left")
}

fn disk_full(partial: &PartialBackup) -> Error {
    let root = partial.dir.parent().unwrap_or(&partial.dir);
    Error::preflight(format!(
        "the backup directory {} ran out of space; the incomplete backup was deleted",
        root.display()
    ))
    .hint("free space there or choose another directory with --to DIR")
}

/// A write error in the backup directory, for the user.
pub fn write_error(partial: &PartialBackup, err: std::io::Error) -> Error {
    if is_disk_full(&err) {
        return disk_full(partial);
    }
    Error::failure(format!(
        "cannot write the backup in {}: {err}",
        partial.dir.display()
    ))
}
