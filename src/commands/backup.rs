//! `backup [TARGET]`: a verified backup of a project or container, with a summary.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use serde::Serialize;
use serde_json::json;

use crate::backup::create::{self, BackupOptions, BackupOutcome, Subject};
use crate::backup::into_repository::RepositoryTarget;
use crate::backup::metrics::{Operation, Run};
use crate::backup::store;
use crate::cancel::Cancel;
use crate::cli::args::{BackupArgs, Format};
use crate::engine::inventory;
use crate::error::{Error, Result};
use crate::guard::audit;
use crate::storage::location::Location;
use crate::storage::repository;
use crate::target::Discovery;
use crate::ui::progress::Progress;
use crate::ui::table::{human_bytes, render_or_none};

/// The JSON summary of a backup.
#[derive(Debug, Serialize)]
struct Summary<'a> {
    path: String,
    target: &'a str,
    target_kind: &'a str,
    created: &'a str,
    size_bytes: u64,
    seconds: f64,
    downtime_seconds: Option<f64>,
    volumes: &'a [crate::backup::manifest::VolumeInfo],
    containers: Vec<&'a str>,
    quiesced: &'a [String],
    images: Vec<&'a str>,
    dumps: Vec<&'a str>,
    compose_files: Vec<&'a str>,
    pruned: Vec<String>,
    notes: &'a [String],
    /// A backup into repositories: the snapshot in the first one.
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot: Option<&'a crate::backup::snapshot::Written>,
    /// And in each of them, in `--to` order.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    snapshots: &'a [crate::backup::snapshot::Written],
}

/// Where the backup goes: a plain backup directory, repositories, or both (3-2-1: one
/// run, the same quiesced content in each).
fn location(args: &BackupArgs) -> Result<(Option<std::path::PathBuf>, Vec<RepositoryTarget>)> {
    let env = |n: &str| std::env::var(n).ok();
    let roots = match args.to.as_slice() {
        [] => vec![store::backup_root(None, &env)?],
        given => given.to_vec(),
    };
    let mut plain = None;
    let mut repositories = Vec::new();
    for root in &roots {
        match Location::parse(&root.to_string_lossy()) {
            Ok(Location::Plain(dir)) => {
                if let Some(first) = plain.replace(dir.clone()) {
                    return Err(Error::usage(format!(
                        "one plain backup directory per run: {} and {} are both directories",
                        first.display(),
                        dir.display()
                    ))
                    .hint("copy the backup to the second directory, or make one of them a repository (repo:/PATH)"));
                }
            }
            Ok(Location::Repository(location)) => repositories.push(location),
            Err(bad) => return Err(Error::usage(bad.to_string())),
        }
    }
    // A repository's level is in its config, for every client: a backup cannot change it.
    if args.compression_level.is_some() && !repositories.is_empty() {
        const CREATED_WITH: &str = "a repository compresses at the level it was created with \
                                    (`docker safeops backups init --compression-level LEVEL`)";
        match plain {
            None => {
                return Err(Error::usage(
                    "--compression-level sets the level of a plain backup, and this backup \
                     goes only into repositories",
                )
                .hint(CREATED_WITH));
            }
            Some(_) => {
                crate::say!("note: --compression-level is the plain backup's; {CREATED_WITH}")
            }
        }
    }
    let targets = match repositories.is_empty() {
        true => Vec::new(),
        false => {
            let password = repository::password(args.repository.password_file.as_deref(), false)?;
            repositories
                .into_iter()
                .map(|location| RepositoryTarget {
                    location,
                    password: password.clone(),
                })
                .collect()
        }
    };
    Ok((plain, targets))
}

/// Runs `backup`.
pub async fn run(discovery: &Discovery<'_>, args: &BackupArgs, cancel: &Cancel) -> Result<()> {
    let started = std::time::Instant::now();
    let (subject, options) = match planned(discovery, args).await {
        Ok(planned) => planned,
        Err(err) => {
            record_not_started(args, &err, started.elapsed().as_secs_f64());
            return Err(err);
        }
    };
    backed_up(discovery, args, (&subject, &options), started, cancel).await
}

/// Records a backup that could not start (the engine unreachable, its target gone, its
/// location or password file wrong) after `seconds`: a scheduled one must leave a trace
/// that `schedule ls`, `doctor` and alerts on the metrics see.
pub fn record_not_started(args: &BackupArgs, err: &Error, seconds: f64) {
    let Some(name) = &args.target else {
        return;
    };
    let failed: Result<()> = Err(Error::failure(err.message.clone()));
    audit::record("backup", name, audit::outcome_of(&failed), json!({}));
    super::record_metrics(
        args.metrics.metrics_file.as_deref(),
        &Run {
            operation: Operation::Backup,
            target: name.clone(),
            success: false,
            seconds,
            bytes: None,
            files: None,
            rto_seconds: None,
        },
    );
}

/// What `backup` backs up, and how.
async fn planned(discovery: &Discovery<'_>, args: &BackupArgs) -> Result<(Subject, BackupOptions)> {
    let target = super::single_target(discovery, args.target.as_deref(), "back up").await?;
    let volumes = inventory::volumes(discovery.engine).await?;
    let subject = Subject::of_target(&target, &volumes);
    let (root, repositories) = location(args)?;
    let options = BackupOptions {
        root,
        repositories,
        images: args.images,
        quiesce: !args.no_quiesce,
        db_dump: args.db_dump,
        retention: store::Retention {
            keep: args.keep.map(|k| k as usize),
            keep_days: args.keep_days,
        },
        purpose: crate::backup::manifest::BACKUP_PURPOSE.into(),
        stop_timeout: args.stop.timeout,
        level: args
            .compression_level
            .unwrap_or(crate::backup::archive::DEFAULT_LEVEL),
        progress: Arc::new(AtomicU64::new(0)),
        progress_total: Arc::new(AtomicU64::new(0)),
        lock_wait: args.lock.wait(),
        leave_stopped: false,
    };
    Ok((subject, options))
}

/// Backs `subject` up with `options` and reports it.
async fn backed_up(
    discovery: &Discovery<'_>,
    args: &BackupArgs,
    (subject, options): (&Subject, &BackupOptions),
    started: std::time::Instant,
    cancel: &Cancel,
) -> Result<()> {
    let outcome = {
        let _bar = Progress::bytes(
            &format!("backing up {}", subject.name),
            options.progress.clone(),
            options.progress_total.clone(),
        );
        create::create(discovery.engine, subject, options, cancel).await
    };
    let totals = outcome.as_ref().ok().map(|o| {
        o.manifest.volumes.iter().fold((0, 0), |(b, f), v| {
            (b + v.fingerprint.total_bytes, f + v.fingerprint.file_count)
        })
    });
    super::record_metrics(
        args.metrics.metrics_file.as_deref(),
        &Run {
            operation: Operation::Backup,
            target: subject.name.clone(),
            success: outcome.is_ok(),
            seconds: started.elapsed().as_secs_f64(),
            bytes: totals.map(|t| t.0),
            files: totals.map(|t| t.1),
            rto_seconds: None,
        },
    );
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(err) => {
            let failed: Result<()> = Err(err);
            audit::record(
                "backup",
                &subject.name,
                audit::outcome_of(&failed),
                json!({"seconds": started.elapsed().as_secs_f64()}),
            );
            return failed;
        }
    };
    let mut details = json!({
        "seconds": outcome.seconds,
        "path": outcome.path.display().to_string(),
        "volumes": outcome.manifest.volumes.iter().map(|v| (&v.name, v.fingerprint)).collect::<Vec<_>>(),
    });
    if let Some(why) = cancel.reason() {
        // Complete, but the run ends with exit 130 (see `interrupted_after`).
        details["interrupted"] = why.into();
    }
    audit::record("backup", &subject.name, "ok".into(), details);
    print_summary(&outcome, args.format)?;
    let retention = match args.keep.is_some() || args.keep_days.is_some() {
        true => {
            "; --keep/--keep-days may not have run to the end: they run again with the next \
             backup"
        }
        false => "",
    };
    super::interrupted_after(
        cancel,
        &format!("the backup was complete in {}", outcome.path.display()),
        &format!("the backup above is complete and verified{retention}"),
    )
}

fn print_summary(outcome: &BackupOutcome, format: Format) -> Result<()> {
    let m = &outcome.manifest;
    if format == Format::Table {
        for note in &outcome.notes {
            crate::say!("note: {note}");
        }
    }
    let text = match format {
        Format::Json => {
            let summary = Summary {
                path: outcome.path.display().to_string(),
                target: &m.target.name,
                target_kind: &m.target.kind,
                created: &m.created,
                size_bytes: m.size_bytes(),
                seconds: outcome.seconds,
                downtime_seconds: outcome.downtime_seconds,
                volumes: &m.volumes,
                containers: m.containers.iter().map(|c| c.name.as_str()).collect(),
                quiesced: &m.quiesced,
                images: m.images.iter().map(|i| i.reference.as_str()).collect(),
                dumps: m.dumps.iter().map(|d| d.path.as_str()).collect(),
                compose_files: m
                    .compose_files
                    .iter()
                    .map(|f| f.original.as_str())
                    .collect(),
                pruned: outcome
                    .pruned
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect(),
                notes: &outcome.notes,
                snapshot: outcome.snapshots.first(),
                snapshots: &outcome.snapshots,
            };
            // Volume driver options hold credentials (a CIFS volume's password).
            let mut summary = serde_json::to_value(&summary).expect("summary serializes");
            crate::redact::json(&mut summary);
            serde_json::to_string_pretty(&summary).expect("summary serializes") + "\n"
        }
        Format::Table => {
            let mut out = String::new();
            if outcome.plain {
                out.push_str(&plain_summary(outcome));
            }
            for snap in &outcome.snapshots {
                out.push_str(&format!(
                    "snapshot {} of {} {} written and verified in {:.1}s{}: {} files, {}; {} \
                     read, {} unchanged since the last snapshot, {} added to the repository \
                     and read back\n  {}#{}\n",
                    &snap.id[..snap.id.len().min(8)],
                    m.target.kind,
                    m.target.name,
                    outcome.seconds,
                    downtime(outcome),
                    snap.files,
                    human_bytes(snap.bytes),
                    snap.files_read,
                    snap.files_unchanged,
                    human_bytes(snap.added_bytes),
                    snap.location,
                    snap.id
                ));
            }
            out
        }
    };
    super::print(&text)
}

/// ` (containers down 0.3s)`, or nothing when none was stopped and restarted.
fn downtime(outcome: &BackupOutcome) -> String {
    outcome
        .downtime_seconds
        .map(|s| format!(" (containers down {s:.1}s)"))
        .unwrap_or_default()
}

/// The table summary of a plain backup.
fn plain_summary(outcome: &BackupOutcome) -> String {
    let m = &outcome.manifest;
    let mut out = format!(
        "backup of {} {} complete and verified in {:.1}s{}: {}\n  {}\n",
        m.target.kind,
        m.target.name,
        outcome.seconds,
        downtime(outcome),
        human_bytes(m.size_bytes()),
        outcome.path.display()
    );
    let rows: Vec<Vec<String>> = m
        .volumes
        .iter()
        .map(|v| {
            let archive = m.artifact(&v.archive).map_or(0, |a| a.size);
            vec![
                v.name.clone(),
                v.fingerprint.file_count.to_string(),
                human_bytes(v.fingerprint.total_bytes),
                human_bytes(archive),
                v.access.clone(),
            ]
        })
        .collect();
    out.push_str(&render_or_none(
        "volumes",
        &["VOLUME", "FILES", "CONTENT", "ARCHIVE", "READ"],
        &rows,
    ));
    let mut line = |label: &str, items: Vec<String>| {
        if !items.is_empty() {
            out.push_str(&format!("  {label}: {}\n", items.join(", ")));
        }
    };
    line("quiesced (stopped, then restarted)", m.quiesced.clone());
    line(
        "container specs",
        m.containers.iter().map(|c| c.name.clone()).collect(),
    );
    line(
        "compose files",
        m.compose_files.iter().map(|f| f.original.clone()).collect(),
    );
    line(
        "images",
        m.images.iter().map(|i| i.reference.clone()).collect(),
    );
    line(
        "database dumps",
        m.dumps.iter().map(|d| d.path.clone()).collect(),
    );
    line(
        "deleted by --keep",
        outcome
            .pruned
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
    );
    out
}
