//! `restore BACKUP`: verified restore of volumes (and images), with confirmation and a
//! safety backup before anything that holds data is overwritten.

use crate::backup::metrics::{Operation, Run};
use std::path::PathBuf;
use std::sync::Arc;

use crate::backup::restore::{self, RestoreRequest, Source};
use crate::backup::snapshot::Pick;
use crate::backup::snapshot_source::SnapshotSource;
use crate::backup::store;
use crate::cancel::Cancel;
use crate::cli::args::{Format, RestoreArgs};
use crate::engine::Engine;
use crate::error::Result;
use crate::storage::location::Location;
use crate::storage::repository;
use crate::ui::table::{human_bytes, render};

/// The backup `restore` reads: a plain backup, or a snapshot of the repository `--to`
/// names (opened under a shared lock and checked before anything is touched), and
/// where the safety backup goes.
async fn source(args: &RestoreArgs, cancel: &Cancel) -> Result<(Source, PathBuf)> {
    let env = |n: &str| std::env::var(n).ok();
    let root = store::backup_root(args.location.to.as_deref(), &env)?;
    let location = match Location::parse(&root.to_string_lossy()) {
        Ok(Location::Repository(location)) if !store::names_a_path(&args.backup) => location,
        _ => {
            let dir = store::resolve(&args.backup, args.location.to.as_deref(), &env)?;
            return Ok((Source::Plain(dir), safety_root(root, &env)?));
        }
    };
    let password = repository::password(args.repository.password_file.as_deref(), false)?;
    let id = Pick::Id(args.backup.to_string_lossy().into_owned());
    let (wait, cancel) = (args.lock.wait(), cancel.clone());
    let opened = repository::blocking(move || {
        SnapshotSource::open(&location, &password, &id, wait, &cancel)
    })
    .await?;
    Ok((Source::Snapshot(Arc::new(opened)), safety_root(root, &env)?))
}

/// The content a restore replaces is saved as a plain backup: in `root` when it is a
/// plain directory, else where plain backups go without `--to`, else in the default
/// directory when that is a repository too.
fn safety_root(root: PathBuf, env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf> {
    let plain = |root: &PathBuf| match Location::parse(&root.to_string_lossy()) {
        Ok(Location::Plain(dir)) => Some(dir),
        _ => None,
    };
    Ok(match plain(&root) {
        Some(dir) => dir,
        None => plain(&store::backup_root(None, env)?).unwrap_or_else(|| store::default_root(env)),
    })
}

/// Runs `restore`; `project` is `-p NAME`, the compose project restored for.
pub async fn run(
    engine: &Engine,
    args: &RestoreArgs,
    project: Option<&str>,
    cancel: &Cancel,
) -> Result<()> {
    if let Some(project) = project {
        crate::engine::names::checked(project, "the project name")?;
    }
    let (from, safety_root) = source(args, cancel).await?;
    let request = RestoreRequest {
        from,
        selections: args.volumes.clone(),
        project: project.map(str::to_string),
        confirm: args.confirm.clone(),
        start: !args.no_start,
        trusted_volume_options: args.trust_volume_options.clone(),
        preserve_special: args.preserve_special,
        lock_wait: args.lock.wait(),
        images: args.images,
        stop_timeout: args.stop.timeout,
        safety_root,
        scratch: false,
    };
    let started = std::time::Instant::now();
    let outcome = restore::restore(engine, &request, cancel).await;
    let restored = outcome.as_ref().ok().map(|o| &o.volumes);
    super::record_metrics(
        args.metrics.metrics_file.as_deref(),
        &Run {
            operation: Operation::Restore,
            target: match &request.from {
                Source::Plain(dir) => store::read_manifest(dir).map(|m| m.target.name).ok(),
                Source::Snapshot(source) => Some(source.manifest().target.name.clone()),
            }
            .unwrap_or_else(|| request.from.describe()),
            success: outcome.is_ok(),
            seconds: started.elapsed().as_secs_f64(),
            bytes: restored.map(|v| v.iter().map(|v| v.total_bytes).sum()),
            files: restored.map(|v| v.iter().map(|v| v.file_count).sum()),
            rto_seconds: None,
        },
    );
    let mut details = serde_json::json!({
        "volumes": outcome.as_ref().ok().map(|o| &o.volumes),
        "confirmation": outcome.as_ref().ok().and_then(|o| o.confirmation),
        "safety_backup": outcome.as_ref().ok().and_then(|o| o.safety_backup.clone()),
    });
    if let (Ok(_), Some(why)) = (&outcome, cancel.reason()) {
        // Complete, but the run ends with exit 130 (see `interrupted_after`).
        details["interrupted"] = why.into();
    }
    crate::guard::audit::record(
        "restore",
        &crate::redact::text(&request.from.describe()),
        crate::guard::audit::outcome_of(&outcome),
        details,
    );
    // The repository's lock is released by a request to the storage: off the runtime.
    let _ = tokio::task::spawn_blocking(move || drop(request)).await;
    let outcome = outcome?;
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&outcome).expect("outcome serializes") + "\n",
        Format::Table => {
            let mut out = format!("restored from {}\n", outcome.backup);
            let rows: Vec<Vec<String>> = outcome
                .volumes
                .iter()
                .map(|v| {
                    vec![
                        v.from.clone(),
                        if v.created {
                            format!("{} (created)", v.into)
                        } else {
                            v.into.clone()
                        },
                        v.file_count.to_string(),
                        human_bytes(v.total_bytes),
                        "every file checked".to_string(),
                    ]
                })
                .collect();
            out.push_str(&render(
                "  ",
                &["FROM", "INTO", "FILES", "CONTENT", "CHECK"],
                &rows,
            ));
            if let Some(safety) = &outcome.safety_backup {
                out.push_str(&format!(
                    "  previous content saved in {safety}\n  undo with: docker safeops restore {safety}\n"
                ));
            }
            if !outcome.started.is_empty() {
                out.push_str(&format!(
                    "  started again: {}\n",
                    outcome.started.join(", ")
                ));
            } else if !outcome.stopped.is_empty() {
                out.push_str(&format!(
                    "  left stopped (--no-start): {}\n",
                    outcome.stopped.join(", ")
                ));
            }
            if !outcome.images_loaded.is_empty() {
                out.push_str(&format!(
                    "  images loaded: {}\n",
                    outcome.images_loaded.join(", ")
                ));
            }
            out
        }
    };
    super::print(&text)?;
    super::interrupted_after(
        cancel,
        "the restore was complete",
        "the restore above is complete, every file checked",
    )
}
