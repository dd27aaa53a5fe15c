//! `doctor`: checks that find what broke production hosts (R-DOC-1..5): containers that
//! die or never come up, missing mounts and emptied volumes, container-to-container
//! connectivity and the host firewall rules that break it, backup age against the RPO,
//! user-declared probes, and containers of one environment pointing at another.
//!
//! [`facts`] reads the engine once; each check is a function of those facts (plus what
//! it must probe for real), and all of them run concurrently. A check that cannot run
//! here says `skip` and why: a skipped check is never reported as a pass.

pub mod backup_age;
pub mod backups;
pub mod bundle;
pub mod containers;
pub mod engine;
pub mod env_guard;
pub mod facts;
pub mod firewall;
pub mod mounts;
pub mod netns;
pub mod network;
pub mod probes;

use serde::Serialize;

pub use facts::Facts;

/// The checks, by their stable id (`--check ID`, `--list-checks`, the JSON `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// The engine: reachable, its version, its own warnings, free space for its data.
    Engine,
    /// Containers that are down, exited soon after start, restart in a loop, are
    /// unhealthy or were killed for memory.
    Containers,
    /// Bind sources missing on the host, volumes gone, volumes emptied since their
    /// last backup.
    Mounts,
    /// Container-to-container TCP connections on each network, tested for real.
    Network,
    /// Host firewall chains (nftables, iptables) that drop the Docker bridges' traffic.
    Firewall,
    /// Age of each target's newest verified backup against the RPO; space for the next.
    BackupAge,
    /// HTTP/TCP probes declared by labels or the compose file.
    Probes,
    /// Containers whose settings name another environment's hosts.
    EnvGuard,
}

impl CheckId {
    /// Every check, in report order.
    pub const ALL: [CheckId; 8] = [
        CheckId::Engine,
        CheckId::Containers,
        CheckId::Mounts,
        CheckId::Network,
        CheckId::Firewall,
        CheckId::BackupAge,
        CheckId::Probes,
        CheckId::EnvGuard,
    ];

    /// The id as the command line and the JSON report spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Engine => "engine",
            CheckId::Containers => "containers",
            CheckId::Mounts => "mounts",
            CheckId::Network => "network",
            CheckId::Firewall => "firewall",
            CheckId::BackupAge => "backup-age",
            CheckId::Probes => "probes",
            CheckId::EnvGuard => "env-guard",
        }
    }

    /// A title for people.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::Engine => "Docker engine",
            CheckId::Containers => "Containers",
            CheckId::Mounts => "Mounts and volumes",
            CheckId::Network => "Container-to-container network",
            CheckId::Firewall => "Host firewall",
            CheckId::BackupAge => "Backup age",
            CheckId::Probes => "Probes",
            CheckId::EnvGuard => "Environment guard",
        }
    }

    /// What the check looks at, for `--list-checks`.
    pub fn description(self) -> &'static str {
        match self {
            CheckId::Engine => {
                "engine reachable, version and API, the engine's own warnings, free space for its data"
            }
            CheckId::Containers => {
                "not running when they should, exited soon after start, restarting (die events \
                 in the last hour), unhealthy, OOM-killed; with their last log lines"
            }
            CheckId::Mounts => {
                "bind sources missing on the host, volumes gone, volumes far emptier than at \
                 their last backup"
            }
            CheckId::Network => {
                "TCP connect from one container to another's exposed ports on each shared network"
            }
            CheckId::Firewall => {
                "nftables forward chains and the iptables FORWARD chain that drop or reject the \
                 Docker bridges' traffic (firewalld leftovers included)"
            }
            CheckId::BackupAge => {
                "newest verified backup of each target against [backup] max_age; free space at \
                 the backup location"
            }
            CheckId::Probes => {
                "HTTP/TCP probes from io.safeops.probe labels or x-safeops.probes in the compose file"
            }
            CheckId::EnvGuard => {
                "containers whose env, command, labels or env files name another environment's \
                 markers ([environments.NAME] in the policy file)"
            }
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Looked, found nothing wrong.
    Pass,
    /// Skipped: could not run here; the summary says why.
    Skip,
    /// Found something to look at.
    Warn,
    /// Found something broken.
    Fail,
}

/// One thing a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What it is about: `container web`, `volume shop_data`, `chain inet firewalld ...`.
    pub subject: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// Evidence: the last log lines, the last health-check output.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// How bad: `warn` or `fail`.
    pub severity: Status,
}

impl Finding {
    /// A finding that fails its check.
    pub fn fail(subject: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            subject: subject.into(),
            message: message.into(),
            remedy: None,
            details: Vec::new(),
            severity: Status::Fail,
        }
    }

    /// A finding that only warns.
    pub fn warn(subject: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            severity: Status::Warn,
            ..Finding::fail(subject, message)
        }
    }

    /// With a remedy.
    pub fn remedy(mut self, remedy: impl Into<String>) -> Finding {
        self.remedy = Some(remedy.into());
        self
    }

    /// With evidence lines.
    pub fn details(mut self, details: Vec<String>) -> Finding {
        self.details = details;
        self
    }
}

/// The result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// Its id.
    pub id: CheckId,
    /// Its outcome: the worst of its findings, else pass (or skip).
    pub status: Status,
    /// One line: what was looked at, or why it was skipped.
    pub summary: String,
    /// What it found.
    pub findings: Vec<Finding>,
}

impl CheckResult {
    /// A check that ran: its status is the worst of its findings.
    pub fn ran(id: CheckId, summary: impl Into<String>, findings: Vec<Finding>) -> CheckResult {
        let status = findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Status::Pass);
        CheckResult {
            id,
            status,
            summary: summary.into(),
            findings,
        }
    }

    /// A check that could not run here, and why.
    pub fn skipped(id: CheckId, why: impl Into<String>) -> CheckResult {
        CheckResult {
            id,
            status: Status::Skip,
            summary: why.into(),
            findings: Vec::new(),
        }
    }
}

/// How many checks ended how.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    /// Passed.
    pub pass: usize,
    /// Warned.
    pub warn: usize,
    /// Failed.
    pub fail: usize,
    /// Skipped.
    pub skip: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// One result per check run, in [`CheckId::ALL`] order.
    pub checks: Vec<CheckResult>,
    /// Totals.
    pub counts: Counts,
}

impl Report {
    /// The report of these results.
    pub fn new(mut checks: Vec<CheckResult>) -> Report {
        checks.sort_by_key(|c| c.id);
        let mut counts = Counts::default();
        for check in &checks {
            match check.status {
                Status::Pass => counts.pass += 1,
                Status::Warn => counts.warn += 1,
                Status::Fail => counts.fail += 1,
                Status::Skip => counts.skip += 1,
            }
        }
        Report { checks, counts }
    }
}

/// Whether the `selected` checks (all when empty) look at the backups: reading a
/// repository's snapshots derives its key, and may ask for its password.
pub fn reads_backups(selected: &[CheckId]) -> bool {
    selected.is_empty()
        || selected
            .iter()
            .any(|id| matches!(id, CheckId::Mounts | CheckId::BackupAge))
}

/// Runs the `selected` checks (all when empty) concurrently on the facts.
pub async fn run(facts: &Facts, selected: &[CheckId]) -> Report {
    let wanted = |id: CheckId| selected.is_empty() || selected.contains(&id);
    let mut runs: Vec<std::pin::Pin<Box<dyn Future<Output = CheckResult> + Send + '_>>> =
        Vec::new();
    for id in CheckId::ALL.into_iter().filter(|id| wanted(*id)) {
        runs.push(match id {
            CheckId::Engine => Box::pin(engine::check(facts)),
            CheckId::Containers => Box::pin(containers::check(facts)),
            CheckId::Mounts => Box::pin(mounts::check(facts)),
            CheckId::Network => Box::pin(network::check(facts)),
            CheckId::Firewall => Box::pin(firewall::check(facts)),
            CheckId::BackupAge => Box::pin(backup_age::check(facts)),
            CheckId::Probes => Box::pin(probes::check(facts)),
            CheckId::EnvGuard => Box::pin(env_guard::check(facts)),
        });
    }
    Report::new(futures_util::future::join_all(runs).await)
}

/// The report when the engine cannot be reached: the engine check fails with the
/// reason (also when it was not selected: nothing else could run), every other
/// selected check is skipped (they all need it).
pub fn unreachable(error: &crate::error::Error, selected: &[CheckId]) -> Report {
    let checks = CheckId::ALL
        .into_iter()
        .filter(|id| selected.is_empty() || selected.contains(id) || *id == CheckId::Engine)
        .map(|id| match id {
            CheckId::Engine => {
                let mut finding = Finding::fail("engine", error.message.clone());
                finding.remedy = error.hint.clone().or_else(|| {
                    Some(
                        "start the engine (systemctl start docker), or pick another with \
                         --context/-H/DOCKER_HOST"
                            .into(),
                    )
                });
                CheckResult::ran(id, "unreachable", vec![finding])
            }
            _ => CheckResult::skipped(id, "the engine is unreachable"),
        })
        .collect();
    Report::new(checks)
}
