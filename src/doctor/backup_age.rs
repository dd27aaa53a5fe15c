//! `backup-age`: the age of each target's newest verified backup against its recovery
//! point objective (`[backup] max_age`, `[backup.targets.NAME] max_age` in the policy
//! file; seed 003's RPO tiers), and room at the backup location for one more.

use std::time::{Duration, SystemTime};

use super::containers::ago_text;
use super::facts::Subject;
use super::{CheckId, CheckResult, Facts, Finding};
use crate::backup::store::BackupSummary;
use crate::engine::inventory::is_anonymous_name;
use crate::ui::table::human_bytes;

/// Runs the check.
pub async fn check(facts: &Facts) -> CheckResult {
    let root = facts.backups.describe();
    let backups = match facts.backups.summaries(&facts.engine.endpoint.host) {
        Ok(backups) => backups,
        Err(err) => {
            let remedy = err.hint.unwrap_or_else(|| {
                "make the backup location readable, or point --to / SAFEOPS_BACKUP_DIR at it".into()
            });
            return CheckResult::ran(
                CheckId::BackupAge,
                format!("backups in {root}"),
                vec![Finding::fail("backups", err.message).remedy(remedy)],
            );
        }
    };
    let now = SystemTime::now();
    let mut findings = Vec::new();
    let mut ages = Vec::new();
    for subject in &facts.subjects {
        // A safety backup holds only the volumes an operation put at risk (those a
        // restore replaced, say): it does not reset the target's RPO.
        let newest = backups.iter().find(|b| {
            b.target == subject.name
                && b.sound
                && b.purpose == crate::backup::manifest::BACKUP_PURPOSE
        });
        if newest.is_none() && !holds_data(subject) {
            continue;
        }
        let max_age = match facts.policy.backup.max_age(&subject.name) {
            Ok(max_age) => max_age,
            Err(err) => {
                findings.push(Finding::fail("policy file", err.message));
                continue;
            }
        };
        match judge(&subject.name, &root, newest, max_age, now) {
            Ok(age) => ages.push(age),
            Err(finding) => findings.push(finding),
        }
        match facts.policy.backup.max_drill_age(&subject.name) {
            Ok(Some(max)) => {
                let drilled = newest_passed_drill(&backups, &subject.name);
                findings.extend(judge_drill(&subject.name, &root, drilled, max, now));
            }
            Ok(None) => {}
            Err(err) => findings.push(Finding::fail("policy file", err.message)),
        }
    }
    // The room left in a repository's storage is not known here.
    if let (Some(dir), Some(last)) = (facts.backups.plain_root(), backups.iter().find(|b| b.sound))
    {
        findings.extend(space(dir, last));
    }
    findings.extend(failed_schedules(facts));
    if ages.is_empty() && findings.is_empty() {
        return CheckResult::skipped(
            CheckId::BackupAge,
            format!("nothing to judge: no target mounts a named volume or has a backup in {root}"),
        );
    }
    let summary = if ages.is_empty() {
        format!("backups in {root}")
    } else {
        format!("newest backups: {} (in {root})", ages.join(", "))
    };
    CheckResult::ran(CheckId::BackupAge, summary, findings)
}

/// Whether the target mounts a named volume: something a backup would hold.
fn holds_data(subject: &Subject) -> bool {
    subject.containers.iter().any(|c| {
        c.mounts().iter().any(|m| {
            m.get("Type").and_then(|t| t.as_str()) == Some("volume")
                && m.get("Name")
                    .and_then(|n| n.as_str())
                    .is_some_and(|n| !is_anonymous_name(n))
        })
    })
}

/// `Ok("NAME 3 min ago")`, or the finding when the newest backup is missing or older
/// than the RPO; its remedy backs up into `to`, the location judged.
fn judge(
    target: &str,
    to: &str,
    newest: Option<&BackupSummary>,
    max_age: Option<Duration>,
    now: SystemTime,
) -> Result<String, Finding> {
    let subject = format!("target {target}");
    let remedy = format!("docker safeops backup {target} --to {to}");
    let rpo = |d: Duration| humantime::format_duration(d).to_string();
    let Some(backup) = newest else {
        let finding = match max_age {
            Some(max) => Finding::fail(
                &subject,
                format!("has no verified backup (its RPO is {})", rpo(max)),
            ),
            None => Finding::warn(&subject, "holds volumes but has no verified backup"),
        };
        return Err(finding.remedy(remedy));
    };
    let created = humantime::parse_rfc3339_weak(&backup.created).unwrap_or(SystemTime::UNIX_EPOCH);
    let age = now.duration_since(created).unwrap_or_default();
    match max_age {
        Some(max) if age > max => Err(Finding::fail(
            &subject,
            format!(
                "newest verified backup {} is {} old, older than its RPO of {}",
                backup.id,
                ago_text(age),
                rpo(max)
            ),
        )
        .remedy(format!(
            "{remedy}, and schedule it (cron or a systemd timer) within the RPO"
        ))),
        Some(max) => Ok(format!("{target} {} ago (RPO {})", ago_text(age), rpo(max))),
        None => Ok(format!("{target} {} ago", ago_text(age))),
    }
}

/// Scheduled targets examined whose last backup failed (the audit log's newest backup
/// entry); when every target is, those whose target is gone too: a job that cannot run
/// is the worst kind.
fn failed_schedules(facts: &Facts) -> Vec<Finding> {
    let env = |n: &str| std::env::var(n).ok();
    crate::schedule::list(&crate::schedule::Backend::of_host(&env))
        .into_iter()
        .filter(|job| facts.everything || facts.subjects.iter().any(|s| s.name == job.target))
        .filter_map(|job| {
            let entry = crate::guard::audit::last("backup", &job.target)?;
            let outcome = entry.event["outcome"].as_str().unwrap_or("");
            outcome.starts_with("failed").then(|| {
                Finding::fail(
                    format!("schedule {}", job.id),
                    format!(
                        "the last backup of {} ({}) failed: {}",
                        job.target,
                        entry.time,
                        outcome.trim_start_matches("failed: ")
                    ),
                )
                .remedy(format!(
                    "run it by hand to see why: {}",
                    job.shell_command()
                ))
            })
        })
        .collect()
}

/// When the newest passed drill of any backup of `target` ended.
fn newest_passed_drill(backups: &[BackupSummary], target: &str) -> Option<SystemTime> {
    backups
        .iter()
        .filter(|b| b.target == target && b.purpose == crate::backup::manifest::BACKUP_PURPOSE)
        .filter_map(|b| b.last_drill.as_ref())
        .filter(|d| d.outcome == "passed")
        .filter_map(|d| humantime::parse_rfc3339_weak(&d.time).ok())
        .max()
}

/// The finding when `target`'s newest passed drill (of a backup in `to`) is missing or
/// older than `max`.
fn judge_drill(
    target: &str,
    to: &str,
    drilled: Option<SystemTime>,
    max: Duration,
    now: SystemTime,
) -> Option<Finding> {
    let rule = humantime::format_duration(max);
    let message = match drilled {
        None => format!("no passed restore drill (max_drill_age {rule})"),
        Some(at) => {
            let age = now.duration_since(at).unwrap_or_default();
            if age <= max {
                return None;
            }
            format!(
                "newest passed restore drill is {} old, older than max_drill_age {rule}",
                ago_text(age)
            )
        }
    };
    Some(
        Finding::fail(format!("target {target}"), message)
            .remedy(format!("docker safeops drill {target} --to {to}")),
    )
}

/// Room at the backup location for another backup as big as the last one.
fn space(root: &std::path::Path, last: &BackupSummary) -> Option<Finding> {
    let (free, _) = crate::state::free_space(root).ok()?;
    let need = last.size_bytes;
    let message = format!(
        "{} free at {}, the last backup ({}) took {}",
        human_bytes(free),
        root.display(),
        last.id,
        human_bytes(need)
    );
    let remedy = "free space there, keep fewer backups (--keep N), or move them: --to DIR";
    if free < need {
        Some(Finding::fail("backup location", message).remedy(remedy))
    } else if free < need.saturating_mul(2) {
        Some(Finding::warn("backup location", message).remedy(remedy))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    fn backup(created: &str) -> BackupSummary {
        BackupSummary {
            id: "shop-x".into(),
            path: String::new(),
            target: "shop".into(),
            host: "here".into(),
            engine: String::new(),
            target_kind: "project".into(),
            created: created.into(),
            purpose: "backup".into(),
            size_bytes: 1,
            volumes: Vec::new(),
            containers: Vec::new(),
            images: Vec::new(),
            dumps: Vec::new(),
            sound: true,
            status: String::new(),
            last_drill: None,
        }
    }

    #[test]
    fn rpo() {
        let now = humantime::parse_rfc3339("2026-01-01T12:00:00Z").unwrap();
        let hour = Some(Duration::from_secs(3600));
        let fresh = backup("2026-01-01T11:30:00Z");
        assert!(judge("shop", "/b", Some(&fresh), hour, now).is_ok());
        let stale = backup("2026-01-01T10:00:00Z");
        let found = judge("shop", "/b", Some(&stale), hour, now).unwrap_err();
        assert_eq!(found.severity, Status::Fail);
        assert_eq!(
            found.remedy.as_deref(),
            Some(
                "docker safeops backup shop --to /b, and schedule it (cron or a systemd timer) within the RPO"
            )
        );
        assert!(
            found.message.contains("older than its RPO of 1h"),
            "{}",
            found.message
        );
        assert_eq!(
            judge("shop", "/b", None, hour, now).unwrap_err().severity,
            Status::Fail
        );
        assert_eq!(
            judge("shop", "/b", None, None, now).unwrap_err().severity,
            Status::Warn
        );
        assert!(judge("shop", "/b", Some(&stale), None, now).is_ok());
        let minute = Duration::from_secs(60);
        assert!(judge_drill("shop", "/b", None, minute, now).is_some());
        assert!(
            judge_drill(
                "shop",
                "/b",
                Some(now - Duration::from_secs(30)),
                minute,
                now
            )
            .is_none()
        );
        assert!(
            judge_drill(
                "shop",
                "/b",
                Some(now - Duration::from_secs(90)),
                minute,
                now
            )
            .is_some()
        );
    }
}
