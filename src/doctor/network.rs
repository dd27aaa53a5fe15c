//! `network`: on each network the examined containers share, a real TCP connection
//! from one container to another's exposed ports, made from inside the first one's
//! network namespace (see [`super::netns`]). An ICMP-free test: what it proves is what
//! the application needs, a TCP handshake across the bridge and the host's chains.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures_util::{StreamExt, stream};

use super::facts::Inspected;
use super::netns;
use super::{CheckId, CheckResult, Facts, Finding};

/// How long one connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Ports tried per container and network: enough to find a dead service, bounded
/// for a container that exposes a range of thousands.
const PORTS_PER_CONTAINER: usize = 8;
/// Connections in flight at once (each on a thread of its own).
const CONCURRENCY: usize = 32;

/// One connection to try.
struct Attempt<'a> {
    network: &'a str,
    from: &'a Inspected,
    to: &'a Inspected,
    addr: SocketAddr,
}

/// Runs the check.
pub async fn check(facts: &Facts) -> CheckResult {
    if let Some(skipped) = facts.needs_local_root(
        CheckId::Network,
        "its containers' network namespaces are not here",
        "entering the containers' network namespaces",
    ) {
        return skipped;
    }
    let attempts = plan(facts);
    if attempts.is_empty() {
        return CheckResult::skipped(
            CheckId::Network,
            "nothing to test: no two running containers share a network on which one exposes \
             a TCP port",
        );
    }
    let networks: std::collections::BTreeSet<&str> = attempts.iter().map(|a| a.network).collect();
    let targets: Vec<(u32, SocketAddr)> = attempts
        .iter()
        .map(|a| (a.from.pid().unwrap_or(0), a.addr))
        .collect();
    let results: Vec<std::io::Result<()>> = stream::iter(targets.into_iter().map(|(pid, addr)| {
        netns::run_in(pid, move || netns::connect(addr, CONNECT_TIMEOUT).map(drop))
    }))
    .buffered(CONCURRENCY)
    .collect()
    .await;
    let findings: Vec<Finding> = attempts
        .iter()
        .zip(&results)
        .filter_map(|(a, result)| {
            let err = result.as_ref().err()?;
            let refused = err.kind() == std::io::ErrorKind::ConnectionRefused;
            let remedy = if refused {
                format!(
                    "make {} listen on port {} on all its interfaces (0.0.0.0), not only on \
                     127.0.0.1; or stop exposing a port it does not serve",
                    a.to.name,
                    a.addr.port()
                )
            } else {
                "look at the firewall check: a host chain that is not Docker's drops or rejects \
                 the bridge's traffic"
                    .to_string()
            };
            // Refused: the path works and the container answered, but nothing listens
            // there. Images expose ports they serve only when configured so (TLS
            // ports): a warning, not a broken network; unless the port is published on
            // the host, which says it is meant to be served (an app listening on
            // 127.0.0.1 only is an outage for its peers).
            let published = a
                .to
                .doc
                .pointer("/HostConfig/PortBindings")
                .and_then(serde_json::Value::as_object)
                .is_some_and(|bindings| bindings.contains_key(&format!("{}/tcp", a.addr.port())));
            let finding = match refused && !published {
                true => Finding::warn,
                false => Finding::fail,
            };
            Some(
                finding(
                    format!("network {}", a.network),
                    format!(
                        "{} cannot connect to {} at {}: {}",
                        a.from.name,
                        a.to.name,
                        a.addr,
                        netns::explain(err)
                    ),
                )
                .remedy(remedy),
            )
        })
        .collect();
    CheckResult::ran(
        CheckId::Network,
        format!(
            "{} connections tested on {} networks, {} failed",
            attempts.len(),
            networks.len(),
            findings.len()
        ),
        findings,
    )
}

/// For each network, each running container's exposed TCP ports, tried from another
/// running container on that network.
fn plan(facts: &Facts) -> Vec<Attempt<'_>> {
    let mut members: BTreeMap<&str, Vec<(&Inspected, IpAddr)>> = BTreeMap::new();
    for c in facts.subjects.iter().flat_map(|s| &s.containers) {
        if c.state() != "running" || c.pid().is_none() {
            continue;
        }
        for (network, ip) in c.networks() {
            if let Ok(ip) = ip.parse::<IpAddr>() {
                members.entry(network).or_default().push((c, ip));
            }
        }
    }
    let mut attempts = Vec::new();
    for (network, on) in &members {
        for (to, ip) in on {
            let Some((from, _)) = on.iter().find(|(c, _)| c.id != to.id) else {
                continue;
            };
            for port in to.exposed_tcp_ports().into_iter().take(PORTS_PER_CONTAINER) {
                attempts.push(Attempt {
                    network,
                    from,
                    to,
                    addr: SocketAddr::new(*ip, port),
                });
            }
        }
    }
    attempts
}
