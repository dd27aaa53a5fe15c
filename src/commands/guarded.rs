//! The step every destructive verb shares once it has its plan: when protected volumes
//! would be destroyed, show what would be lost, ask for confirmation, and take a safety
//! backup of exactly those volumes; refusals are written to the audit log.

use std::path::PathBuf;

use serde_json::json;

use crate::audit;
use crate::backup::archive;
use crate::backup::create::{self, BackupOptions, Subject};
use crate::cancel::Cancel;
use crate::confirm::{self, Confirmation};
use crate::engine::Engine;
use crate::error::Result;
use crate::guard::Plan;
use crate::target::VolumeRef;

/// What a verb needs to guard its plan.
pub struct Guard<'a> {
    /// The verb as the user typed it, e.g. `down -v`.
    pub verb: &'a str,
    /// What the operator must type (project or volume name).
    pub expected: &'a str,
    /// `--confirm`.
    pub given: Option<&'a str>,
    /// The command to repeat with `--confirm`.
    pub command: String,
    /// `--no-backup`.
    pub no_backup: bool,
    /// What to back up: its `volumes` are replaced by the protected ones at risk.
    pub subject: Subject,
    /// The backup directory.
    pub backup_root: PathBuf,
    /// Seconds containers get to stop for the safety backup.
    pub stop_timeout: i32,
}

/// How the destruction was allowed.
#[derive(Debug, Default)]
pub struct Allowed {
    /// How the operator confirmed, when confirmation was needed.
    pub confirmation: Option<Confirmation>,
    /// The safety backup, when one was taken.
    pub safety_backup: Option<PathBuf>,
}

/// Confirms and backs up the protected volumes `plan` would remove; nothing to do when
/// there are none. Errors (exit 3) when the operator did not confirm.
pub async fn allow(
    engine: &Engine,
    plan: &Plan,
    guard: Guard<'_>,
    cancel: &Cancel,
) -> Result<Allowed> {
    let at_risk: Vec<String> = plan
        .protected_removals()
        .iter()
        .map(|v| v.name.clone())
        .collect();
    if at_risk.is_empty() {
        return Ok(Allowed::default());
    }
    eprint!("{}", plan.render());
    eprintln!(
        "{} would destroy protected volume(s): {}",
        guard.verb,
        at_risk.join(", ")
    );
    if guard.no_backup {
        eprintln!("--no-backup: NO safety backup will be taken; the data will be gone for good");
    }
    let confirmation = match confirm::confirm(guard.expected, guard.given, &guard.command) {
        Ok(how) => how,
        Err(err) => {
            audit::record(json!({
                "verb": guard.verb, "target": guard.expected, "plan": plan,
                "outcome": "refused", "why": err.message,
            }));
            return Err(err);
        }
    };
    let mut allowed = Allowed {
        confirmation: Some(confirmation),
        safety_backup: None,
    };
    if guard.no_backup {
        return Ok(allowed);
    }
    let mut subject = guard.subject;
    subject.volumes = at_risk
        .iter()
        .map(|v| (v.clone(), VolumeRef::default()))
        .collect();
    let options = BackupOptions {
        root: guard.backup_root,
        images: false,
        quiesce: true,
        db_dump: false,
        retention: Default::default(),
        purpose: format!("before {}", guard.verb),
        stop_timeout: guard.stop_timeout,
        level: archive::DEFAULT_LEVEL,
        progress: Default::default(),
        progress_total: Default::default(),
    };
    let outcome = create::create(engine, &subject, &options, cancel)
        .await
        .map_err(|mut err| {
            err.message = format!(
                "the safety backup failed, so nothing was destroyed: {}",
                err.message
            );
            err
        })?;
    audit::record(json!({
        "verb": "backup", "target": subject.name, "purpose": options.purpose,
        "path": outcome.path.display().to_string(), "volumes": at_risk,
    }));
    eprintln!(
        "safety backup of {}: {}\n  undo with: docker safeops restore {}",
        at_risk.join(", "),
        outcome.path.display(),
        outcome.path.display()
    );
    allowed.safety_backup = Some(outcome.path);
    Ok(allowed)
}
