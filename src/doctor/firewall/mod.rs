//! `firewall`: the host's forward-hook chains that drop or reject the Docker bridges'
//! traffic (seed 000 §2: a leftover `inet firewalld` table turned every connection to
//! and from containers into "No route to host"). A forwarded packet must pass every
//! forward base chain, so each is judged alone: typical packets of containers (a new
//! connection going out of `docker0` or a `br-*` bridge, a new connection to a
//! published port coming in) are followed through its rules, jumps, gotos and verdict
//! maps. The nftables ruleset comes from `nft -j list ruleset` (all families), the
//! iptables chains from `iptables -S` (either backend). A rule whose matches cannot be
//! evaluated here makes a drop after it a warning, not a failure.

pub mod iptables;
pub mod nft;

use std::time::Duration;

use serde_json::Value;

use super::{CheckId, CheckResult, Facts, Finding, Status};

/// How long `nft` or `iptables` may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// A packet followed through the chains: a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Input interface.
    pub iif: &'a str,
    /// Output interface.
    pub oif: &'a str,
    /// Destination-NATed (to a published port).
    pub dnat: bool,
    /// What it stands for, for people.
    pub what: &'a str,
}

/// A stand-in for the host's uplink interface.
const UPLINK: &str = "eth0";
/// A stand-in for a user-defined network's bridge.
const USER_BRIDGE: &str = "br-0123456789ab";

/// The packets followed through foreign chains.
pub const PACKETS: [Packet<'static>; 4] = [
    Packet {
        iif: "docker0",
        oif: UPLINK,
        dnat: false,
        what: "connections from containers on docker0",
    },
    Packet {
        iif: USER_BRIDGE,
        oif: UPLINK,
        dnat: false,
        what: "connections from containers on user-defined networks (br-*)",
    },
    Packet {
        iif: UPLINK,
        oif: "docker0",
        dnat: true,
        what: "connections to ports published on docker0",
    },
    Packet {
        iif: UPLINK,
        oif: USER_BRIDGE,
        dnat: true,
        what: "connections to ports published on user-defined networks",
    },
];

/// Whether a match holds: yes, no, or cannot tell (a match this check does not
/// evaluate: addresses, protocols, marks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    /// Holds.
    Yes,
    /// Does not hold.
    No,
    /// Cannot tell.
    Maybe,
}

impl Tri {
    /// Both hold.
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Maybe, _) | (_, Tri::Maybe) => Tri::Maybe,
            _ => Tri::Yes,
        }
    }

    /// From a boolean.
    pub fn from(holds: bool) -> Tri {
        if holds { Tri::Yes } else { Tri::No }
    }
}

/// Where a packet ends in a chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Outcome {
    /// Accepted.
    Accept,
    /// Dropped or rejected; by what.
    Drop(String),
    /// Fell off the end or returned: the caller goes on (a base chain's policy).
    #[default]
    Continue,
}

/// An outcome, and whether a rule that could not be evaluated came before it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    /// Where the packet ends.
    pub outcome: Outcome,
    /// A rule with matches this check cannot evaluate, and that might have accepted
    /// the packet or sent it elsewhere, was passed on the way.
    pub uncertain: bool,
    /// The first drop or reject passed on the way whose matches this check cannot
    /// evaluate (firewalld's `ip6 daddr {...} reject`): the packet goes on past it
    /// either way, so it makes no later verdict uncertain, but it may drop.
    pub may_drop: Option<String>,
}

impl Verdict {
    /// Notes what a rule whose matches may or may not hold does (see the fields).
    pub fn passed_maybe(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Drop(by) => {
                self.may_drop.get_or_insert(by);
            }
            _ => self.uncertain = true,
        }
    }

    /// Takes in what a chain jumped to passed on the way.
    pub fn passed_chain(&mut self, sub: &Verdict) {
        self.uncertain |= sub.uncertain;
        if self.may_drop.is_none() {
            self.may_drop.clone_from(&sub.may_drop);
        }
    }

    /// The verdict once the base chain's policy decided what fell off its end
    /// (`policy_drop`, by what): a packet that is not dropped for sure but passed a
    /// drop it cannot evaluate may be dropped there.
    pub fn ended(mut self, policy_drop: Option<&str>) -> Verdict {
        if let (Outcome::Continue, Some(by)) = (&self.outcome, policy_drop) {
            self.outcome = Outcome::Drop(by.to_string());
        }
        if let (Outcome::Accept | Outcome::Continue, Some(by)) = (&self.outcome, &self.may_drop) {
            self.outcome = Outcome::Drop(format!("{by}, if its matches hold"));
            self.uncertain = true;
        }
        self
    }
}

/// True when interface `name` matches `pattern` (nft's `br-*`, iptables' `br-+`).
pub fn interface_matches(pattern: &str, name: &str) -> bool {
    match pattern
        .strip_suffix('*')
        .or_else(|| pattern.strip_suffix('+'))
    {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// Runs the check.
pub async fn check(facts: &Facts) -> CheckResult {
    if let Some(skipped) = facts.needs_local_root(
        CheckId::Firewall,
        "this host's firewall is not the one its bridges cross",
        "reading the firewall rules",
    ) {
        return skipped;
    }
    let backend = facts
        .info
        .pointer("/FirewallBackend/Driver")
        .and_then(Value::as_str)
        .unwrap_or("iptables")
        .to_string();
    let reading = settled(read, REREAD_AFTER).await;
    let Reading {
        mut looked,
        findings,
    } = reading;
    if looked.iter().all(|l| l.ends_with("not installed")) && findings.is_empty() {
        return CheckResult::skipped(CheckId::Firewall, "neither nft nor iptables is installed");
    }
    looked.push(format!("engine firewall backend {backend}"));
    CheckResult::ran(CheckId::Firewall, looked.join("; "), findings)
}

/// How many times the rules are read at most.
const READS: usize = 3;
/// How long after a read with findings the rules are read again.
const REREAD_AFTER: Duration = Duration::from_secs(1);

/// Reads the rules with `read` until what it finds is settled. Docker adds and removes
/// a network's rules one by one, so a read between two of them sees a bridge dropped
/// for a moment; what is wrong stays wrong. A read that finds nothing ends it, and so
/// do two reads in a row that agree; after [`READS`] reads, the last one counts.
async fn settled<F, R>(mut read: F, pause: Duration) -> Reading
where
    F: FnMut() -> R,
    R: std::future::Future<Output = Reading>,
{
    let mut reading = read().await;
    for _ in 1..READS {
        if reading.findings.is_empty() {
            break;
        }
        tokio::time::sleep(pause).await;
        let again = read().await;
        let agreed = again.findings == reading.findings;
        reading = again;
        if agreed {
            break;
        }
    }
    reading
}

/// One read of the host's rules: what was looked at, and what was found.
struct Reading {
    looked: Vec<String>,
    findings: Vec<Finding>,
}

/// Reads the nftables ruleset and the iptables filter table(s) and judges them.
async fn read() -> Reading {
    // Only where the legacy filter table exists: listing it would load the kernel's
    // legacy modules, and doctor changes nothing.
    let legacy_filter = std::fs::read_to_string("/proc/net/ip_tables_names")
        .is_ok_and(|names| names.lines().any(|name| name == "filter"));
    let legacy = async {
        match legacy_filter {
            true => output("iptables-legacy", &["-S"]).await,
            false => None,
        }
    };
    let (nft, iptables, version, legacy) = tokio::join!(
        output("nft", &["-j", "list", "ruleset"]),
        output("iptables", &["-S"]),
        output("iptables", &["-V"]),
        legacy
    );
    let mut findings = Vec::new();
    let mut looked = Vec::new();
    match nft {
        Some(Ok(text)) => match serde_json::from_str::<Value>(&text) {
            Ok(ruleset) => {
                let ruleset = nft::Ruleset::parse(&ruleset);
                let chains = ruleset.foreign_forward_chains();
                looked.push(format!("nftables: {} foreign forward chains", chains.len()));
                findings.extend(nft::judge(&ruleset, &chains, firewalld_running()));
            }
            Err(err) => findings.push(Finding::warn(
                "nftables",
                format!("cannot read `nft -j list ruleset`: {err}"),
            )),
        },
        Some(Err(err)) => findings.push(Finding::warn("nftables", err)),
        None => looked.push("nft not installed".into()),
    }
    let mut docker_table = None;
    match iptables {
        Some(Ok(text)) => {
            let table = iptables::Table::parse(&text);
            looked.push(format!(
                "iptables FORWARD policy {}",
                table.policy("FORWARD").unwrap_or("?")
            ));
            findings.extend(iptables::judge(&table, &table, "iptables"));
            docker_table = Some(table);
        }
        Some(Err(err)) => findings.push(Finding::warn("iptables", err)),
        None => looked.push("iptables not installed".into()),
    }
    // With iptables on nftables, rules of the legacy backend (a tool that still uses
    // it, a switch of backends) filter the same packets, unseen by `iptables -S`; the
    // bridges to test are those Docker's own rules name.
    let on_nftables = matches!(&version, Some(Ok(v)) if v.contains("nf_tables"));
    if let (true, Some(Ok(text))) = (on_nftables, &legacy) {
        let table = iptables::Table::parse(text);
        if let Some(policy) = table.policy("FORWARD") {
            looked.push(format!("iptables-legacy FORWARD policy {policy}"));
            let docker_rules = docker_table.as_ref().unwrap_or(&table);
            findings.extend(iptables::judge(&table, docker_rules, "iptables-legacy"));
        }
    }
    Reading { looked, findings }
}

/// The finding for a chain that drops some of the packets: a failure when it
/// certainly does, a warning when rules it could not evaluate came first.
pub fn finding(
    subject: String,
    dropped: &[(Packet<'_>, Verdict)],
    context: &str,
    remedy: String,
) -> Option<Finding> {
    if dropped.is_empty() {
        return None;
    }
    let certain = dropped.iter().any(|(_, v)| !v.uncertain);
    let what: Vec<String> = dropped
        .iter()
        .map(|(packet, verdict)| match &verdict.outcome {
            Outcome::Drop(by) => format!("{} ({by})", packet.what),
            _ => packet.what.to_string(),
        })
        .collect();
    let message = format!(
        "{context} drops {}{}; containers then get \"No route to host\" or time out",
        what.join("; "),
        if certain {
            ""
        } else {
            " — unless rules that safeops cannot evaluate decide otherwise"
        }
    );
    let mut finding = Finding::fail(subject, message).remedy(remedy);
    if !certain {
        finding.severity = Status::Warn;
    }
    Some(finding)
}

/// The program's stdout; `None` when it is not installed.
async fn output(program: &str, args: &[&str]) -> Option<Result<String, String>> {
    let run = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(COMMAND_TIMEOUT, run).await {
        Err(_) => Some(Err(format!(
            "`{program}` did not answer within {COMMAND_TIMEOUT:?}"
        ))),
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::NotFound => None,
        Ok(Err(err)) => Some(Err(format!("cannot run `{program}`: {err}"))),
        Ok(Ok(out)) if !out.status.success() => Some(Err(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
        Ok(Ok(out)) => Some(Ok(String::from_utf8_lossy(&out.stdout).into_owned())),
    }
}

/// Whether a process named firewalld runs on this host.
fn firewalld_running() -> bool {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            std::fs::read_to_string(entry.path().join("comm"))
                .is_ok_and(|c| c.trim() == "firewalld")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`settled`] makes of successive reads finding `found` (one finding per
    /// letter), and how many reads it took.
    async fn settle(found: &[&str]) -> (Vec<String>, usize) {
        let reads = std::cell::Cell::new(0);
        let reading = settled(
            || {
                let n = reads.get();
                reads.set(n + 1);
                let findings = found[n]
                    .chars()
                    .map(|c| Finding::fail("iptables FORWARD", c.to_string()))
                    .collect();
                async move {
                    Reading {
                        looked: Vec::new(),
                        findings,
                    }
                }
            },
            Duration::ZERO,
        )
        .await;
        let messages = reading.findings.into_iter().map(|f| f.message).collect();
        (messages, reads.get())
    }

    #[tokio::test]
    async fn a_drop_is_reported_once_two_reads_agree() {
        // Nothing found: one read.
        assert_eq!(settle(&[""]).await, (vec![], 1));
        // A bridge caught between two of Docker's rules, gone on the next read.
        assert_eq!(settle(&["t", ""]).await, (vec![], 2));
        // A lasting drop, alone or read once together with a passing one.
        assert_eq!(settle(&["r", "r"]).await, (vec!["r".to_string()], 2));
        assert_eq!(settle(&["rt", "r", "r"]).await, (vec!["r".to_string()], 3));
        // Reads that never agree: the last one counts.
        assert_eq!(settle(&["a", "b", "c"]).await, (vec!["c".to_string()], 3));
    }
}
