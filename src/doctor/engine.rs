//! `engine`: the engine answers (it did, or there would be no facts), its version, the
//! warnings it reports about its own host, and free space where it keeps its data.

use std::path::Path;

use serde_json::Value;

use super::{CheckId, CheckResult, Facts, Finding};
use crate::ui::table::human_bytes;

/// Below this share of free space in the engine's data root, the check fails: image
/// pulls, container logs and volume writes start failing soon after.
const FAIL_FREE_RATIO: f64 = 0.05;
/// Below this share it warns.
const WARN_FREE_RATIO: f64 = 0.15;

/// Runs the check.
pub async fn check(facts: &Facts) -> CheckResult {
    let info = &facts.info;
    let mut findings: Vec<Finding> = info
        .get("Warnings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(engine_warning)
        .collect();
    let root = info
        .get("DockerRootDir")
        .and_then(Value::as_str)
        .unwrap_or("/var/lib/docker");
    let space = if facts.local {
        match crate::state::free_space(Path::new(root)) {
            Ok((free, total)) => {
                findings.extend(space_finding(root, free, total));
                format!("; {} free in {root}", human_bytes(free))
            }
            Err(err) => {
                findings.push(Finding::warn(
                    format!("data root {root}"),
                    format!("cannot read its free space: {err}"),
                ));
                String::new()
            }
        }
    } else {
        "; free space not checked (the engine is on another host)".to_string()
    };
    let firewall = info
        .pointer("/FirewallBackend/Driver")
        .and_then(Value::as_str)
        .map(|driver| format!("; firewall backend {driver}"))
        .unwrap_or_default();
    let summary = format!(
        "Docker {} (API {}) at {} (context {}){space}{firewall}",
        facts.engine.version,
        facts.engine.api_version,
        facts.engine.endpoint.host,
        facts.engine.endpoint.context
    );
    CheckResult::ran(CheckId::Engine, summary, findings)
}

/// A warning of `docker info`, with its remedy; those that break container networking
/// fail the check.
fn engine_warning(text: &str) -> Finding {
    let lower = text.to_ascii_lowercase();
    if lower.contains("ipv4 forwarding is disabled") {
        Finding::fail("engine", text).remedy(
            "containers cannot reach other hosts: sysctl -w net.ipv4.ip_forward=1 and set it \
             in /etc/sysctl.d/ to keep it",
        )
    } else if lower.contains("bridge-nf-call") {
        Finding::warn("engine", text).remedy(
            "modprobe br_netfilter && sysctl -w net.bridge.bridge-nf-call-iptables=1 \
             net.bridge.bridge-nf-call-ip6tables=1 (and persist in /etc/sysctl.d/)",
        )
    } else if lower.contains("swap limit") || lower.contains("cpu cfs") || lower.contains("limit") {
        Finding::warn("engine", text)
            .remedy("container limits of this kind are not enforced on this kernel")
    } else {
        Finding::warn("engine", text)
    }
}

fn space_finding(root: &str, free: u64, total: u64) -> Option<Finding> {
    if total == 0 {
        return None;
    }
    let ratio = free as f64 / total as f64;
    let message = format!(
        "{} free of {} ({:.0}%)",
        human_bytes(free),
        human_bytes(total),
        ratio * 100.0
    );
    let remedy = "remove what is unused: docker system df, then docker image prune / \
                  docker builder prune (volumes only after a backup)";
    if ratio < FAIL_FREE_RATIO {
        Some(Finding::fail(format!("data root {root}"), message).remedy(remedy))
    } else if ratio < WARN_FREE_RATIO {
        Some(Finding::warn(format!("data root {root}"), message).remedy(remedy))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    #[test]
    fn warnings_and_space() {
        assert_eq!(
            engine_warning("WARNING: IPv4 forwarding is disabled").severity,
            Status::Fail
        );
        assert_eq!(
            engine_warning("WARNING: No swap limit support").severity,
            Status::Warn
        );
        assert!(space_finding("/x", 50, 100).is_none());
        assert_eq!(space_finding("/x", 10, 100).unwrap().severity, Status::Warn);
        assert_eq!(space_finding("/x", 1, 100).unwrap().severity, Status::Fail);
    }
}
