//! `firewall`: the host's forward-hook chains that are not Docker's and that drop or
//! reject the Docker bridges' traffic (seed 000 §2: a leftover `inet firewalld` table
//! turned every container-to-container connection into "No route to host"). Reads the
//! whole nftables ruleset (`nft -j list ruleset`, all families) and the iptables
//! FORWARD chain (`iptables -S FORWARD`, either backend).

use std::time::Duration;

use serde_json::Value;

use super::{CheckId, CheckResult, Facts, Finding};

/// How long `nft` or `iptables` may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// The tables iptables-nft keeps in nftables; the iptables reading covers them.
const IPTABLES_TABLES: &[&str] = &["filter", "nat", "mangle", "raw", "security"];

/// Docker's jump targets in the iptables FORWARD chain.
const DOCKER_CHAINS: &[&str] = &[
    "DOCKER-USER",
    "DOCKER-FORWARD",
    "DOCKER-ISOLATION-STAGE-1",
    "DOCKER",
];

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
    let (nft, iptables) = tokio::join!(
        output("nft", &["-j", "list", "ruleset"]),
        output("iptables", &["-S", "FORWARD"])
    );
    let mut findings = Vec::new();
    let mut looked = Vec::new();
    match nft {
        Some(Ok(text)) => match serde_json::from_str::<Value>(&text) {
            Ok(ruleset) => {
                let chains = forward_chains(&ruleset);
                looked.push(format!("nftables: {} foreign forward chains", chains.len()));
                findings.extend(judge_nft(&chains, firewalld_running()));
            }
            Err(err) => findings.push(Finding::warn(
                "nftables",
                format!("cannot read `nft -j list ruleset`: {err}"),
            )),
        },
        Some(Err(err)) => findings.push(Finding::warn("nftables", err)),
        None => looked.push("nft not installed".into()),
    }
    match iptables {
        Some(Ok(text)) => {
            let policy = text
                .lines()
                .find_map(|l| l.strip_prefix("-P FORWARD "))
                .unwrap_or("?")
                .trim()
                .to_string();
            looked.push(format!("iptables FORWARD policy {policy}"));
            findings.extend(judge_iptables(&text, backend.starts_with("iptables")));
        }
        Some(Err(err)) => findings.push(Finding::warn("iptables", err)),
        None => looked.push("iptables not installed".into()),
    }
    if looked.iter().all(|l| l.ends_with("not installed")) && findings.is_empty() {
        return CheckResult::skipped(CheckId::Firewall, "neither nft nor iptables is installed");
    }
    looked.push(format!("engine firewall backend {backend}"));
    CheckResult::ran(CheckId::Firewall, looked.join("; "), findings)
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

/// A forward-hook base chain of a table that is neither Docker's nor iptables'.
#[derive(Debug)]
pub struct Chain {
    family: String,
    table: String,
    name: String,
    policy: String,
    rules: Vec<Vec<Value>>,
}

/// The forward-hook chains of the ruleset that Docker does not own.
pub fn forward_chains(ruleset: &Value) -> Vec<Chain> {
    let items = ruleset
        .get("nftables")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    let mut chains: Vec<Chain> = items
        .iter()
        .filter_map(|item| item.get("chain"))
        .filter(|c| c.get("hook").and_then(Value::as_str) == Some("forward"))
        .map(|c| Chain {
            family: text(c, "family"),
            table: text(c, "table"),
            name: text(c, "name"),
            policy: c
                .get("policy")
                .and_then(Value::as_str)
                .unwrap_or("accept")
                .to_string(),
            rules: Vec::new(),
        })
        .filter(|c| {
            let iptables = matches!(c.family.as_str(), "ip" | "ip6")
                && IPTABLES_TABLES.contains(&c.table.as_str());
            !iptables && !c.table.starts_with("docker")
        })
        .collect();
    for rule in items.iter().filter_map(|item| item.get("rule")) {
        let (family, table, chain) = (
            text(rule, "family"),
            text(rule, "table"),
            text(rule, "chain"),
        );
        if let Some(c) = chains
            .iter_mut()
            .find(|c| c.family == family && c.table == table && c.name == chain)
        {
            let expr = rule.get("expr").and_then(Value::as_array).cloned();
            c.rules.push(expr.unwrap_or_default());
        }
    }
    chains
}

/// True for an interface name (or nft wildcard) of a Docker bridge.
fn docker_interface(name: &str) -> bool {
    name == "docker0" || name.starts_with("br-") || name == "br*"
}

/// The interface names a rule matches on (`iifname`/`oifname`, single or sets).
fn interfaces(expr: &[Value]) -> Vec<String> {
    let mut names = Vec::new();
    for e in expr {
        let Some(m) = e.get("match") else { continue };
        let key = m.pointer("/left/meta/key").and_then(Value::as_str);
        if !matches!(key, Some("iifname" | "oifname"))
            || m.get("op").and_then(Value::as_str) == Some("!=")
        {
            continue;
        }
        match m.get("right") {
            Some(Value::String(s)) => names.push(s.clone()),
            Some(right) => names.extend(
                right
                    .get("set")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string),
            ),
            None => {}
        }
    }
    names
}

/// The rule's verdict: `accept`, `drop`, `reject`, or none (jumps and counters).
fn verdict(expr: &[Value]) -> Option<&'static str> {
    expr.iter().find_map(|e| {
        ["accept", "drop", "reject"]
            .into_iter()
            .find(|v| e.get(*v).is_some())
    })
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

/// Findings about the foreign forward chains: a rule that drops or rejects a Docker
/// bridge's traffic, a catch-all drop/reject, or a drop policy, each reached before any
/// rule accepts the bridges' traffic.
pub fn judge_nft(chains: &[Chain], firewalld_running: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    for chain in chains {
        let subject = format!("chain {} {} {}", chain.family, chain.table, chain.name);
        let mut problem = None;
        let mut accepted = false;
        for expr in &chain.rules {
            let ifaces = interfaces(expr);
            let docker = ifaces.iter().any(|i| docker_interface(i));
            let matches_anything = expr.iter().any(|e| e.get("match").is_some());
            match verdict(expr) {
                Some("accept") if docker => {
                    accepted = true;
                    break;
                }
                Some(v @ ("drop" | "reject")) if docker => {
                    problem = Some(format!("a rule {v}s traffic of {}", ifaces.join(", ")));
                    break;
                }
                Some(v @ ("drop" | "reject")) if !matches_anything => {
                    problem = Some(format!(
                        "a catch-all rule {v}s all forwarded traffic not accepted before it, \
                         the Docker bridges' included"
                    ));
                    break;
                }
                _ => {}
            }
        }
        if problem.is_none() && !accepted && chain.policy == "drop" {
            problem = Some(
                "its policy is drop and no rule in it accepts the Docker bridges (docker0, br-*)"
                    .to_string(),
            );
        }
        let Some(problem) = problem else { continue };
        let firewalld = chain.table == "firewalld";
        let message = format!(
            "forward-hook chain of {}table {} {} (policy {}): {problem}; containers on \
             different bridges, and published ports, get \"No route to host\" or time out",
            if firewalld { "firewalld's " } else { "" },
            chain.family,
            chain.table,
            chain.policy
        );
        let remedy = if firewalld && !firewalld_running {
            format!(
                "firewalld is not running: this table is a leftover. Remove it with \
                 `nft delete table {} {}` (and `systemctl disable --now firewalld` if it is \
                 installed)",
                chain.family, chain.table
            )
        } else if firewalld {
            "put the bridges in firewalld's docker zone: `firewall-cmd --permanent \
             --zone=docker --add-interface=docker0` (and each br-*), `firewall-cmd --reload`, \
             then restart the engine"
                .to_string()
        } else {
            format!(
                "accept the bridges' traffic at the top of that chain: `nft insert rule {} {} {} \
                 iifname {{ \"docker0\", \"br-*\" }} accept` and `... oifname {{ \"docker0\", \
                 \"br-*\" }} ct state established,related accept`, and persist it in your \
                 nftables configuration",
                chain.family, chain.table, chain.name
            )
        };
        findings.push(Finding::fail(subject, message).remedy(remedy));
    }
    findings
}

/// Findings about the iptables FORWARD chain (`iptables -S FORWARD`): rules before
/// Docker's that drop or reject, and a DROP policy without Docker's rules (flushed by a
/// firewall reload). `docker_manages` is false when the engine uses another backend.
pub fn judge_iptables(rules: &str, docker_manages: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut docker_seen = false;
    let mut policy_drop = false;
    for line in rules.lines().map(str::trim) {
        if let Some(policy) = line.strip_prefix("-P FORWARD ") {
            policy_drop = policy.trim() == "DROP";
            continue;
        }
        let Some(rule) = line.strip_prefix("-A FORWARD ") else {
            continue;
        };
        let words: Vec<&str> = rule.split_whitespace().collect();
        let target = words
            .iter()
            .position(|w| *w == "-j")
            .and_then(|i| words.get(i + 1))
            .copied()
            .unwrap_or("");
        if DOCKER_CHAINS.contains(&target) {
            docker_seen = true;
            continue;
        }
        if docker_seen || !matches!(target, "DROP" | "REJECT") {
            continue;
        }
        let interface = words
            .windows(2)
            .find(|w| matches!(w[0], "-i" | "-o") && (w[1] == "docker0" || w[1].starts_with("br-")))
            .map(|w| w[1]);
        let catch_all = !words
            .iter()
            .any(|w| matches!(*w, "-i" | "-o" | "-s" | "-d" | "-m" | "-p"));
        if interface.is_some() || catch_all {
            findings.push(
                Finding::fail(
                    "iptables FORWARD",
                    format!(
                        "`-A FORWARD {rule}` comes before Docker's rules and {} {}",
                        if target == "DROP" { "drops" } else { "rejects" },
                        interface.map_or("all forwarded traffic".to_string(), |i| format!(
                            "the traffic of {i}"
                        ))
                    ),
                )
                .remedy(format!(
                    "delete it (`iptables -D FORWARD {rule}`) or put exceptions for the Docker \
                     bridges in the DOCKER-USER chain instead"
                )),
            );
        }
    }
    if docker_manages && policy_drop && !docker_seen {
        findings.push(
            Finding::fail(
                "iptables FORWARD",
                "the policy is DROP and Docker's rules are missing (a firewall reload or \
                 `iptables -F` flushed them): every container connection across a bridge is \
                 dropped",
            )
            .remedy("restart the engine so that it puts its rules back: systemctl restart docker"),
        );
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ruleset(policy: &str, rules: Vec<Value>) -> Value {
        let mut items = vec![
            json!({"table": {"family": "inet", "name": "firewalld"}}),
            json!({"chain": {"family": "inet", "table": "firewalld", "name": "filter_FORWARD",
                "type": "filter", "hook": "forward", "prio": 10, "policy": policy}}),
            json!({"chain": {"family": "ip", "table": "filter", "name": "FORWARD",
                "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}}),
        ];
        items.extend(rules.into_iter().map(|expr| {
            json!({"rule": {"family": "inet", "table": "firewalld", "chain": "filter_FORWARD",
                "expr": expr}})
        }));
        json!({ "nftables": items })
    }

    #[test]
    fn firewalld_leftovers() {
        let drop_policy = forward_chains(&ruleset("drop", vec![]));
        assert_eq!(
            drop_policy.len(),
            1,
            "the iptables table is not judged here"
        );
        let found = judge_nft(&drop_policy, false);
        assert!(found[0].message.contains("policy drop"), "{found:?}");
        assert!(
            found[0]
                .remedy
                .as_ref()
                .unwrap()
                .contains("nft delete table inet firewalld")
        );

        let reject_all = ruleset(
            "accept",
            vec![
                json!([{"match": {"op": "in", "left": {"ct": {"key": "state"}},
                    "right": ["established", "related"]}}, {"accept": null}]),
                json!([{"reject": {"type": "icmpx", "expr": "admin-prohibited"}}]),
            ],
        );
        let found = judge_nft(&forward_chains(&reject_all), false);
        assert!(found[0].message.contains("catch-all"), "{found:?}");

        let docker_ok = ruleset(
            "drop",
            vec![
                json!([{"match": {"op": "==", "left": {"meta": {"key": "iifname"}},
                "right": {"set": ["docker0", "br-*"]}}}, {"accept": null}]),
            ],
        );
        assert!(judge_nft(&forward_chains(&docker_ok), false).is_empty());
    }

    #[test]
    fn iptables_forward() {
        let docker = "-P FORWARD DROP\n-A FORWARD -j DOCKER-USER\n-A FORWARD -j DOCKER-FORWARD\n";
        assert!(judge_iptables(docker, true).is_empty());
        assert!(judge_iptables("-P FORWARD ACCEPT\n", true).is_empty());
        let flushed = judge_iptables("-P FORWARD DROP\n", true);
        assert!(flushed[0].message.contains("Docker's rules are missing"));
        assert!(judge_iptables("-P FORWARD DROP\n", false).is_empty());
        let reject = "-P FORWARD ACCEPT\n-A FORWARD -j REJECT --reject-with icmp-host-prohibited\n\
                      -A FORWARD -j DOCKER-USER\n";
        assert!(
            judge_iptables(reject, true)[0]
                .message
                .contains("rejects all")
        );
    }
}
