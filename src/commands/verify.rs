//! `verify BACKUP`: every checksum, every archive read fully; exit 4 naming each bad
//! file.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::backup::{snapshot, store, verify};
use crate::cancel::Cancel;
use crate::cli::args::{Format, VerifyArgs};
use crate::error::{Error, Result};
use crate::storage::location::{Location, Repository};
use crate::storage::lock::Kind;
use crate::storage::repository;
use crate::ui::progress::Progress;
use crate::ui::table::{human_bytes, printable};

/// `verify ID --to REPOSITORY`: the repository read back, the snapshot's artifacts
/// checked against the manifest; exit 4 naming each problem.
async fn verify_snapshot(args: &VerifyArgs, location: Repository, cancel: &Cancel) -> Result<()> {
    let password = repository::password(args.repository.password_file.as_deref(), false)?;
    let id = args.backup.to_string_lossy().into_owned();
    let shown = location.clone();
    let started = std::time::Instant::now();
    crate::ui::progress::phase(&format!(
        "reading back every pack of snapshot {id} in {shown}"
    ));
    let cancel = cancel.clone();
    let verified = repository::blocking(move || {
        // Shared: a restic prune deleting packs meanwhile would look like corruption.
        let (repo, _lock) =
            repository::open_locked(&location, &password, Kind::Shared, None, &cancel)?;
        snapshot::verify(&location, repo, &id)
    })
    .await?;
    store::record_verification(
        store::Recorded::Snapshot {
            location: &shown,
            id: &verified.id,
        },
        verified.problems.first().cloned(),
    );
    let seconds = started.elapsed().as_secs_f64();
    let text = match args.format {
        Format::Json => {
            let mut json = serde_json::to_value(&verified).expect("report serializes");
            json["ok"] = verified.problems.is_empty().into();
            json["seconds"] = seconds.into();
            serde_json::to_string_pretty(&json).expect("json") + "\n"
        }
        Format::Table if verified.problems.is_empty() => format!(
            "{shown} snapshot {}: OK — every pack it needs read back and checked, {} artifacts and {} \
             volume files checked against their digests in {seconds:.1}s\n",
            &verified.id[..8.min(verified.id.len())],
            verified.artifacts,
            verified.volume_files
        ),
        Format::Table => String::new(),
    };
    super::print(&text)?;
    if verified.problems.is_empty() {
        return Ok(());
    }
    Err(Error::integrity(format!(
        "snapshot {} in {shown} did not verify:\n  {}",
        verified.id,
        verified.problems.join("\n  ")
    )))
}

/// Runs `verify`.
pub async fn run(args: &VerifyArgs, cancel: &Cancel) -> Result<()> {
    let root = store::backup_root(args.location.to.as_deref(), &|n| std::env::var(n).ok())?;
    if let Ok(Location::Repository(location)) = Location::parse(&root.to_string_lossy())
        && !store::names_a_path(&args.backup)
    {
        return verify_snapshot(args, location, cancel).await;
    }
    let dir = store::resolve(&args.backup, args.location.to.as_deref(), &|n| {
        std::env::var(n).ok()
    })?;
    let done = Arc::new(AtomicU64::new(0));
    let total = Arc::new(AtomicU64::new(
        store::read_manifest(&dir).map_or(0, |m| m.size_bytes()),
    ));
    let started = std::time::Instant::now();
    let report = {
        let _bar = Progress::bytes("verifying", done.clone(), total);
        let cancel = cancel.clone();
        let worker_dir = dir.clone();
        tokio::task::spawn_blocking(move || {
            verify::verify(&worker_dir, verify::Depth::Full, &cancel, Some(done))
        })
        .await
        .map_err(|e| Error::failure(format!("verification worker failed: {e}")))??
    };
    let seconds = started.elapsed().as_secs_f64();
    if args.format == Format::Json {
        let mut json = serde_json::to_value(&report).expect("report serializes");
        json["ok"] = report.problems.is_empty().into();
        json["seconds"] = seconds.into();
        super::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json).expect("json")
        ))?;
    } else {
        let mut out = String::new();
        if report.problems.is_empty() {
            let rate = report.bytes as f64 / seconds.max(1e-6);
            out.push_str(&format!(
                "{}: OK — {} artifacts, {} read at {}/s, {} volume files checked against their digests\n",
                dir.display(),
                report.artifacts,
                human_bytes(report.bytes),
                human_bytes(rate as u64),
                report.volume_files
            ));
        }
        if !report.special.is_empty() {
            out.push_str(&format!(
                "{} special entries (restored only into their own volume from a backup this host \
                 made, else with --preserve-special):\n",
                report.special.len()
            ));
            for entry in &report.special {
                out.push_str(&format!(
                    "  {}: {} ({})\n",
                    printable(&entry.volume),
                    entry.path,
                    entry.what.join(", ")
                ));
            }
        }
        super::print(&out)?;
    }
    report.into_result().map(|_| ())
}
