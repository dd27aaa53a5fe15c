//! `containers`: containers that are down when they should run, exited soon after
//! their start, restart in a loop (counted from the engine's `die` events over the
//! last hour, not the lifetime RestartCount), are unhealthy or were OOM-killed; each
//! with its last log lines.

use std::time::{Duration, SystemTime};

use futures_util::future::join_all;

use super::facts::{Inspected, Subject};
use super::{CheckId, CheckResult, Facts, Finding, Status};
use crate::redact;

/// A non-zero exit within this long after the start is a container that never came up.
pub const EARLY_EXIT: Duration = Duration::from_secs(30);
/// More `die` events than this in the last hour: a warning (Netdata's threshold).
const RATE_WARN: u32 = 3;
/// More than this: a failure.
const RATE_FAIL: u32 = 10;
/// Log lines shown under a finding.
const LOG_LINES: usize = 5;

/// Runs the check.
pub async fn check(facts: &Facts) -> CheckResult {
    let mut findings = Vec::new();
    let mut count = 0;
    for subject in &facts.subjects {
        findings.extend(missing_services(subject));
        for container in &subject.containers {
            count += 1;
            let dies = facts.dies.get(&container.id).copied().unwrap_or(0);
            findings.extend(judge(container, dies, SystemTime::now()));
        }
    }
    let findings = with_logs(facts, findings).await;
    let running = facts
        .subjects
        .iter()
        .flat_map(|s| &s.containers)
        .filter(|c| c.state() == "running")
        .count();
    CheckResult::ran(
        CheckId::Containers,
        format!("{count} containers, {running} running"),
        findings,
    )
}

/// The findings about one container.
pub fn judge(c: &Inspected, dies: u32, now: SystemTime) -> Vec<Finding> {
    let subject = format!("container {}", c.name);
    let mut out = Vec::new();
    let code = c.exit_code();
    let (started, finished) = c.run_times();
    let ran_for = match (started, finished) {
        (Some(s), Some(f)) => f.duration_since(s).ok(),
        _ => None,
    };
    let policy = c.restart_policy();
    match c.state() {
        "running" => {}
        "restarting" => out.push(
            Finding::fail(
                &subject,
                format!("restarting: it died {dies} times in the last hour (exit code {code})"),
            )
            .remedy(format!(
                "read its logs (docker logs {}) and fix the cause; `docker update \
                 --restart=no` stops the loop while you do",
                c.name
            )),
        ),
        "created" => out.push(
            Finding::warn(&subject, "created but never started")
                .remedy(format!("docker start {}", c.name)),
        ),
        "paused" => {
            out.push(Finding::warn(&subject, "paused").remedy(format!("docker unpause {}", c.name)))
        }
        _ if c.oom_killed() => out.push(
            Finding::fail(
                &subject,
                "killed by the kernel for running out of memory (OOMKilled)",
            )
            .remedy(
                "raise its memory limit (--memory / deploy.resources.limits.memory) or \
                         find what grows",
            ),
        ),
        _ if code != 0 => {
            let early = ran_for.filter(|d| *d < EARLY_EXIT);
            let mut message = match early {
                Some(d) => format!(
                    "exited with code {code} {:.1} s after its start: it never came up",
                    d.as_secs_f64()
                ),
                None => format!(
                    "exited with code {code}{}",
                    finished
                        .and_then(|f| now.duration_since(f).ok())
                        .map(|ago| format!(" {} ago", ago_text(ago)))
                        .unwrap_or_default()
                ),
            };
            let severity = match code {
                137 if c.memory_limit() > 0 => {
                    message.push_str(
                        " (SIGKILL with a memory limit set: possibly out of memory, \
                         though the engine did not record an OOM kill)",
                    );
                    Status::Warn
                }
                137 | 143 if early.is_none() => {
                    message.push_str(" (killed by a signal: stopped by hand?)");
                    Status::Warn
                }
                _ => Status::Fail,
            };
            let mut finding = Finding::fail(&subject, message).remedy(format!(
                "read its logs (docker logs {}), fix the cause, then start it again",
                c.name
            ));
            finding.severity = severity;
            out.push(finding);
        }
        state if matches!(policy, "always" | "unless-stopped") => out.push(
            Finding::warn(
                &subject,
                format!(
                    "{state} (exit 0) although its restart policy is {policy}: stopped by hand?"
                ),
            )
            .remedy(format!("docker start {}", c.name)),
        ),
        _ => {}
    }
    if c.state() == "running" {
        if dies > RATE_WARN {
            let message = format!(
                "restarted {dies} times in the last hour (more than {} is a restart loop)",
                RATE_WARN
            );
            let finding = if dies > RATE_FAIL {
                Finding::fail(&subject, message)
            } else {
                Finding::warn(&subject, message)
            };
            out.push(finding.remedy(format!("read its logs: docker logs {}", c.name)));
        }
        if c.health() == Some("unhealthy") {
            let last = c
                .doc
                .pointer("/State/Health/Log")
                .and_then(|l| l.as_array())
                .and_then(|l| l.last());
            let output = last
                .and_then(|l| l.get("Output"))
                .and_then(|o| o.as_str())
                .unwrap_or("")
                .trim();
            let code = last
                .and_then(|l| l.get("ExitCode"))
                .and_then(|o| o.as_i64())
                .unwrap_or(-1);
            let mut details = vec![format!("last health check: exit {code}")];
            details.extend(
                output
                    .lines()
                    .take(LOG_LINES)
                    .map(|l| redact::text(l).into_owned()),
            );
            out.push(
                Finding::fail(&subject, "unhealthy: its healthcheck fails")
                    .remedy(format!(
                        "docker inspect --format '{{{{json .State.Health}}}}' {} shows every \
                         recent check",
                        c.name
                    ))
                    .details(details),
            );
        }
    }
    out
}

/// Services of a deployed compose project that have no container at all.
fn missing_services(subject: &Subject) -> Vec<Finding> {
    let Some(model) = &subject.model else {
        return Vec::new();
    };
    if subject.containers.is_empty() {
        return Vec::new();
    }
    model
        .services
        .keys()
        .filter(|service| {
            !subject
                .containers
                .iter()
                .any(|c| c.service() == Some(service.as_str()))
        })
        .map(|service| {
            Finding::warn(
                format!("service {}/{service}", subject.name),
                "declared in the compose file but has no container",
            )
            .remedy(format!(
                "docker compose -p {} up -d {service} (or remove it from the file)",
                subject.name
            ))
        })
        .collect()
}

/// Adds the last log lines of the container each finding names.
async fn with_logs(facts: &Facts, findings: Vec<Finding>) -> Vec<Finding> {
    let containers: Vec<&Inspected> = facts.subjects.iter().flat_map(|s| &s.containers).collect();
    join_all(findings.into_iter().map(|mut finding| {
        let container = finding
            .subject
            .strip_prefix("container ")
            .and_then(|name| containers.iter().find(|c| c.name == name));
        async move {
            if let Some(c) = container {
                match crate::engine::logs::tail(&facts.engine, &c.id, LOG_LINES).await {
                    Ok(lines) if !lines.is_empty() => {
                        finding.details.push("last log lines:".into());
                        finding
                            .details
                            .extend(lines.iter().map(|l| redact::text(l).into_owned()));
                    }
                    Ok(_) => {}
                    Err(err) => finding.details.push(format!("cannot read its logs: {err}")),
                }
            }
            finding
        }
    }))
    .await
}

/// `3 min`, `2 h`, `5 days`.
pub fn ago_text(ago: Duration) -> String {
    let secs = ago.as_secs();
    match secs {
        0..120 => format!("{secs} s"),
        120..7200 => format!("{} min", secs / 60),
        7200..172_800 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn container(state: serde_json::Value) -> Inspected {
        Inspected {
            name: "web".into(),
            id: "id".into(),
            doc: json!({"State": state, "HostConfig": {"RestartPolicy": {"Name": "no"}}}),
        }
    }

    #[test]
    fn early_exit_restart_rate_and_health() {
        let now = SystemTime::now();
        let early = container(json!({"Status": "exited", "ExitCode": 1,
            "StartedAt": "2026-01-01T00:00:00.5Z", "FinishedAt": "2026-01-01T00:00:01.5Z"}));
        let found = judge(&early, 0, now);
        assert_eq!(found[0].severity, Status::Fail);
        assert!(
            found[0].message.contains("1.0 s after its start"),
            "{found:?}"
        );

        let fine = container(json!({"Status": "exited", "ExitCode": 0}));
        assert!(judge(&fine, 0, now).is_empty());

        let looping = container(json!({"Status": "running"}));
        assert!(judge(&looping, 3, now).is_empty());
        assert_eq!(judge(&looping, 4, now)[0].severity, Status::Warn);
        assert_eq!(judge(&looping, 11, now)[0].severity, Status::Fail);

        let sick = container(
            json!({"Status": "running", "Health": {"Status": "unhealthy",
            "Log": [{"ExitCode": 1, "Output": "curl: (7) refused"}]}}),
        );
        let found = judge(&sick, 0, now);
        assert!(found[0].details.iter().any(|d| d.contains("refused")));

        let oom = container(json!({"Status": "exited", "ExitCode": 137, "OOMKilled": true}));
        assert!(judge(&oom, 0, now)[0].message.contains("OOMKilled"));
    }
}
