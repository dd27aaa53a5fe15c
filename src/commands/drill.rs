//! `drill [TARGET|BACKUP]`: a restore drill of a backup (see `drill`), its checks as
//! lines or `--format json`, recorded in the audit log and with the backup; exit 1
//! when it failed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;

use crate::backup::metrics::{Operation, Run};
use crate::backup::restore::Source;
use crate::backup::snapshot::Pick;
use crate::backup::snapshot_source::SnapshotSource;
use crate::backup::store::{self, DrillRecord};
use crate::cancel::Cancel;
use crate::cli::args::{DrillArgs, Format};
use crate::drill::{self, DrillReport};
use crate::error::{Error, ExitCode, Result};
use crate::guard::audit;
use crate::storage::location::Location;
use crate::storage::repository;
use crate::target::Discovery;
use crate::ui::style::Style;
use crate::ui::table::printable;

/// Runs `drill`.
pub async fn run(discovery: &Discovery<'_>, args: &DrillArgs, cancel: &Cancel) -> Result<()> {
    let from = backup_to_drill(discovery, args, cancel).await?;
    let scratch = drill::scratch_dir();
    crate::state::create_private_dir(&scratch)
        .map_err(|e| Error::failure(format!("cannot create {}: {e}", scratch.display())))?;
    crate::say!("drilling {}", from.describe());
    let started = std::time::Instant::now();
    let outcome = drill::run(discovery.engine, &from, &scratch, args.keep_running, cancel).await;
    super::record_metrics(
        args.metrics.metrics_file.as_deref(),
        &Run {
            operation: Operation::Drill,
            target: match &outcome {
                Ok(report) => report.target.clone(),
                Err(_) => from.manifest().map(|m| m.target.name).unwrap_or_default(),
            },
            success: outcome.as_ref().is_ok_and(|r| r.outcome == "passed"),
            seconds: started.elapsed().as_secs_f64(),
            bytes: None,
            files: None,
            rto_seconds: outcome.as_ref().ok().and_then(|r| r.rto_seconds),
        },
    );
    let audit_outcome = match &outcome {
        Ok(report) if report.outcome == "passed" => "ok".to_string(),
        Ok(_) => "failed: the drill failed".to_string(),
        Err(_) => audit::outcome_of(&outcome),
    };
    let report = match outcome {
        Ok(report) => report,
        // A drill that could not run to its end is in the audit log too.
        Err(err) => {
            let target = from.manifest().map(|m| m.target.name).unwrap_or_default();
            let backup = from.describe();
            audit::record("drill", &target, audit_outcome, json!({"backup": backup}));
            return Err(err);
        }
    };
    audit::record(
        "drill",
        &report.target,
        audit_outcome,
        json!({"backup": report.backup, "rto_seconds": report.rto_seconds}),
    );
    // A snapshot is never written after it is published: its drills are in the audit
    // log only.
    if let Source::Plain(dir) = &from {
        store::record_drill(
            dir,
            &DrillRecord {
                time: crate::state::now(),
                outcome: report.outcome.to_string(),
                rto_seconds: report.rto_seconds,
            },
        );
    }
    let text = match args.format {
        // Check messages hold containers' last log lines: masked as on the terminal.
        Format::Json => {
            let mut value = serde_json::to_value(&report).expect("report serializes");
            crate::redact::json(&mut value);
            format!("{value:#}\n")
        }
        Format::Table => render(&report, Style::stdout()),
    };
    super::print(&text)?;
    if report.outcome != "passed" {
        return Err(Error::reported(ExitCode::Failure));
    }
    Ok(())
}

/// The backup named, else the newest sound backup of the target named (or of the
/// project here); in a repository, the snapshot named, else the target's newest
/// (opened under a shared lock and checked).
async fn backup_to_drill(
    discovery: &Discovery<'_>,
    args: &DrillArgs,
    cancel: &Cancel,
) -> Result<Source> {
    let env = |n: &str| std::env::var(n).ok();
    let to = args.location.to.as_deref();
    // A bare name is a target's unless it is a backup: `drill shop` in /srv, where
    // /srv/shop is the project's directory, drills the project.
    if let Some(what) = &args.what
        && let Ok(dir) = store::resolve(Path::new(what), to, &env)
        && (what.contains('/') || dir.join(crate::backup::manifest::MANIFEST).is_file())
    {
        return Ok(Source::Plain(dir));
    }
    let root = store::backup_root(to, &env)?;
    let target = || async {
        Ok::<_, Error>(
            super::single_target(discovery, None, "drill")
                .await?
                .name()
                .to_string(),
        )
    };
    // `drill shop-db-1` means the project shop, as `backup shop-db-1` does; a name no
    // target here answers to (an id, a target of another host) is taken as it is.
    let named = async |what: &str| match discovery.targets(Some(what)).await {
        Ok(targets) if targets.len() == 1 => targets[0].name().to_string(),
        _ => what.to_string(),
    };
    if let Ok(Location::Repository(location)) = Location::parse(&root.to_string_lossy()) {
        let which = match &args.what {
            Some(what) => Pick::IdOrNewestOf(named(what).await),
            None => Pick::NewestOf(target().await?),
        };
        let password = repository::password(args.repository.password_file.as_deref(), false)?;
        let (wait, cancel) = (args.lock.wait(), cancel.clone());
        let opened = repository::blocking(move || {
            SnapshotSource::open(&location, &password, &which, wait, &cancel)
        })
        .await?;
        return Ok(Source::Snapshot(Arc::new(opened)));
    }
    let target = match &args.what {
        Some(name) => named(name).await,
        None => target().await?,
    };
    // This host's newest, else (a drill on another machine) the newest of the one other
    // host that has them: of several, which is meant cannot be told. Not a safety
    // backup made before a restore or a `down -v`: it may hold part of the target, and
    // no containers to start.
    let sound: Vec<_> = store::list(&root)?
        .into_iter()
        .filter(|b| b.target == target && b.sound)
        .filter(|b| b.purpose == crate::backup::manifest::BACKUP_PURPOSE)
        .collect();
    let host = crate::state::hostname();
    let hosts: std::collections::BTreeSet<&str> = sound.iter().map(|b| b.host.as_str()).collect();
    if hosts.len() > 1 && !hosts.contains(host.as_str()) {
        let location = root.display().to_string();
        return Err(store::several_hosts(&target, &location, hosts, &host));
    }
    sound
        .iter()
        .find(|b| b.host == host)
        .or(sound.first())
        .map(|b| Source::Plain(PathBuf::from(&b.path)))
        .ok_or_else(|| {
            Error::usage(format!(
                "no sound backup of {target} in {} (nor a backup by that name)",
                root.display()
            ))
            .hint(format!(
                "docker safeops backup {target} --to {0}, or list them: docker safeops \
                 backups --to {0}",
                root.display()
            ))
        })
}

fn render(report: &DrillReport, style: Style) -> String {
    let mut out = String::new();
    for check in &report.checks {
        let mark = match (check.status, style.unicode) {
            ("pass", true) => style.green("✓"),
            ("pass", false) => style.green("+"),
            ("fail", true) => style.red("✗"),
            ("fail", false) => style.red("x"),
            _ => style.dim("-"),
        };
        out.push_str(&format!(
            "[{mark}] {}: {}\n",
            printable(&check.name),
            printable(&crate::redact::text(&check.message))
        ));
    }
    out.push('\n');
    out.push_str(&match (report.outcome, report.rto_seconds) {
        ("passed", Some(rto)) => style.green(&format!(
            "Drill of {} passed: services healthy {rto:.1} s after the restore began (RTO).",
            report.backup
        )),
        _ => style.red(&format!("Drill of {} failed.", report.backup)),
    });
    out.push('\n');
    if let Some(kept) = &report.kept {
        out.push_str(&format!(
            "Left running: {}.\nRemove them with: docker rm -f CONTAINERS; docker volume rm VOLUMES; \
             docker network rm NETWORK (later drills leave them alone)\n",
            kept.join(", ")
        ));
    }
    out
}
