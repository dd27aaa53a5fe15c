//! `volume rm`, `volume prune` and `rm [-v]`: Docker's removals, guarded. They print
//! what they removed like the Docker CLI and report the engine's errors on stderr.

use bollard::query_parameters::{RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder};
use serde_json::json;

use crate::backup::create::Subject;
use crate::cancel::Cancel;
use crate::cli::args::{Format, GuardFlags, RmArgs, VolumePruneArgs, VolumeRmArgs};
use crate::engine::Engine;
use crate::error::{Error, Result, engine_message};
use crate::guard::plan::Plan;
use crate::guard::{self, audit};
use crate::target::Mode;

/// Prints the plan for `--dry-run`; `None` when the verb should go on.
fn dry_run(plan: &Plan, flags: &GuardFlags) -> Option<Result<()>> {
    flags
        .dry_run
        .then(|| super::guarded::print_plan(plan, flags.format))
}

/// A guarded removal: what the verb removes and how it was asked.
struct Removal<'a> {
    /// The verb, for messages and the audit log.
    verb: &'a str,
    /// Its plan.
    plan: &'a Plan,
    /// Its guard flags.
    flags: &'a GuardFlags,
    /// Where its safety backup goes (see [`super::guarded::Facts`]).
    backup_root: &'a std::path::Path,
    /// The command to repeat with `--confirm`.
    command: String,
    /// What `remove` is called with, in order.
    names: &'a [String],
    /// `remove` removes containers (`rm`), not only volumes.
    removes_containers: bool,
}

/// Confirms and backs up what the plan would destroy, runs `remove` for each name, and
/// records it all in the audit log.
async fn guarded_removal(
    engine: &Engine,
    removal: Removal<'_>,
    cancel: &Cancel,
    remove: impl AsyncFnMut(&str) -> std::result::Result<(), bollard::errors::Error>,
) -> Result<Removed> {
    let Removal {
        verb,
        plan,
        flags,
        backup_root,
        command,
        names,
        removes_containers,
    } = removal;
    let protected: Vec<&str> = plan
        .protected_removals()
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    let expected = protected.join(",");
    let mut allowed = super::guarded::allow(
        engine,
        plan,
        super::guarded::Guard {
            verb,
            expected: &expected,
            given: flags.confirm.as_deref(),
            command,
            no_backup: flags.no_backup,
            subject: Subject {
                kind: "volumes".into(),
                name: protected
                    .first()
                    .map_or_else(String::new, |n| n.to_string()),
                mode: Mode::Run,
                containers: Vec::new(),
                volumes: Default::default(),
                files: None,
            },
            backup_root: backup_root.to_path_buf(),
            password_file: flags.repository.password_file.clone(),
            stop_timeout: 10,
            lock_wait: flags.lock.wait(),
            removes_containers,
        },
        cancel,
    )
    .await?;
    let mut remove = remove;
    let mut removed = Vec::new();
    let mut failed = Vec::new();
    for name in names {
        match remove(name).await {
            Ok(()) => removed.push(name.clone()),
            Err(err) => {
                crate::say!("Error response from daemon: {}", engine_message(&err));
                failed.push(name.clone());
            }
        }
    }
    let settled = allowed.finish(engine).await;
    let outcome = if failed.is_empty() {
        "ok".to_string()
    } else {
        format!("failed: {}", failed.join(", "))
    };
    audit::record(
        verb,
        &names.join(","),
        outcome,
        json!({
            "plan": plan,
            "confirmation": allowed.confirmation,
            "no_backup": flags.no_backup,
            "safety_backup": allowed.safety_backup.as_ref().map(|p| p.display().to_string()),
        }),
    );
    settled?;
    Ok(Removed { removed, failed })
}

/// What a guarded removal removed, and what the engine refused to remove.
struct Removed {
    removed: Vec<String>,
    failed: Vec<String>,
}

impl Removed {
    /// The verb's end: a failure when any removal failed (what was removed is said on
    /// stdout before, for scripts too).
    fn result(&self) -> Result<()> {
        match self.failed.is_empty() {
            true => Ok(()),
            false => Err(Error::failure(format!(
                "could not remove {}",
                self.failed.join(", ")
            ))),
        }
    }
}

/// Runs `volume rm`.
pub async fn rm(engine: &Engine, args: &VolumeRmArgs, cancel: &Cancel) -> Result<()> {
    let facts = super::guarded::Facts::read(engine, true, &args.guard).await?;
    let plan = guard::plan::volume_rm(&args.volumes, &facts.plan_facts())?;
    if let Some(done) = dry_run(&plan, &args.guard) {
        return done;
    }
    let force = args.force;
    let removal = Removal {
        verb: "volume rm",
        plan: &plan,
        flags: &args.guard,
        backup_root: &facts.backup_root,
        command: format!("docker safeops volume rm {}", args.volumes.join(" ")),
        names: &args.volumes,
        removes_containers: false,
    };
    let removed = guarded_removal(engine, removal, cancel, async |name: &str| {
        let options = RemoveVolumeOptionsBuilder::default().force(force).build();
        engine.docker.remove_volume(name, Some(options)).await
    })
    .await?;
    print_removed(removed, args.guard.format)
}

/// What was removed, on stdout (also when another removal failed): one name per line
/// as Docker prints them, or with `--format json` as `volume prune` reports it
/// (`{"deleted": [...]}`); then the verb's end.
fn print_removed(removed: Removed, format: Format) -> Result<()> {
    let names = &removed.removed;
    match format {
        Format::Json => {
            let report = serde_json::json!({ "deleted": names });
            super::print(&(serde_json::to_string_pretty(&report).expect("json") + "\n"))?;
        }
        Format::Table => {
            super::print(&names.iter().map(|n| format!("{n}\n")).collect::<String>())?;
        }
    }
    removed.result()
}

/// Runs `volume prune`.
pub async fn prune(engine: &Engine, args: &VolumePruneArgs, cancel: &Cancel) -> Result<()> {
    let facts = super::guarded::Facts::read(engine, true, &args.guard).await?;
    let plan = guard::plan::volume_prune(args.all, &facts.plan_facts());
    if let Some(done) = dry_run(&plan, &args.guard) {
        return done;
    }
    if !args.force {
        crate::say!(
            "WARNING! This will remove {} local volumes not used by at least one container.",
            if args.all { "all" } else { "anonymous" }
        );
        let question = "Are you sure you want to continue?";
        if !crate::ui::confirm::yes_or_no(question, cancel).await? {
            return Ok(());
        }
    }
    let names: Vec<String> = plan.volumes.iter().map(|v| v.name.clone()).collect();
    let removal = Removal {
        verb: "volume prune",
        plan: &plan,
        flags: &args.guard,
        backup_root: &facts.backup_root,
        command: format!(
            "docker safeops volume prune{}{}",
            if args.all { " --all" } else { "" },
            if args.force { " -f" } else { "" }
        ),
        names: &names,
        removes_containers: false,
    };
    let removed = guarded_removal(engine, removal, cancel, async |name: &str| {
        let options = None::<bollard::query_parameters::RemoveVolumeOptions>;
        engine.docker.remove_volume(name, options).await
    })
    .await?;
    let reclaimed: u64 = plan
        .volumes
        .iter()
        .filter(|v| removed.removed.contains(&v.name))
        .filter_map(|v| v.size_bytes)
        .sum();
    if args.guard.format == Format::Json {
        let report = serde_json::json!({"deleted": removed.removed, "reclaimed_bytes": reclaimed});
        super::print(&(serde_json::to_string_pretty(&report).expect("json") + "\n"))?;
        return removed.result();
    }
    let mut out = String::new();
    if !removed.removed.is_empty() {
        out.push_str("Deleted Volumes:\n");
        for name in &removed.removed {
            out.push_str(&format!("{name}\n"));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "Total reclaimed space: {}\n",
        crate::ui::table::human_bytes(reclaimed)
    ));
    super::print(&out)?;
    removed.result()
}

/// Runs `rm [-v] CONTAINER...`.
pub async fn rm_containers(engine: &Engine, args: &RmArgs, cancel: &Cancel) -> Result<()> {
    let facts = super::guarded::Facts::read(engine, args.volumes, &args.guard).await?;
    let plan = guard::plan::rm(&args.containers, args.volumes, &facts.plan_facts())?;
    if let Some(done) = dry_run(&plan, &args.guard) {
        return done;
    }
    super::down::save_specs(
        engine,
        facts
            .containers
            .iter()
            .filter(|c| plan.containers.contains(&c.name)),
    )
    .await;
    let (force, volumes) = (args.force, args.volumes);
    let removal = Removal {
        verb: if volumes { "rm -v" } else { "rm" },
        plan: &plan,
        flags: &args.guard,
        backup_root: &facts.backup_root,
        command: format!(
            "docker safeops rm {}-v {}",
            if force { "-f " } else { "" },
            args.containers.join(" ")
        ),
        names: &args.containers,
        // Without -f Docker refuses a running container: left stopped, it would go.
        removes_containers: force,
    };
    // The engine resolves names and id prefixes itself; the plan checked they exist.
    let removed = guarded_removal(engine, removal, cancel, async |name: &str| {
        let options = RemoveContainerOptionsBuilder::default()
            .force(force)
            .v(volumes)
            .build();
        engine.docker.remove_container(name, Some(options)).await
    })
    .await?;
    print_removed(removed, args.guard.format)
}
