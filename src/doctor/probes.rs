//! `probes`: HTTP and TCP probes the operator declares for a container, run against it
//! for real. Declared by labels (`io.safeops.probe=http://:8080/health`, several as
//! `io.safeops.probe.NAME=...`) or in the compose file under the service's
//! `x-safeops: {probes: [...]}`.
//!
//! Syntax: `http://[HOST]:PORT[/PATH] [status=200|200-399] [timeout=5s]` or
//! `tcp://[HOST]:PORT [timeout=5s]`. Without a host the probe goes to the container's
//! own address. As root the probe runs inside the container's network namespace (what
//! its peers see); otherwise from this host to the container's address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use futures_util::future::join_all;

use super::facts::{Inspected, Subject};
use super::netns;
use super::{CheckId, CheckResult, Facts, Finding};
use crate::compose::model::ComposeModel;

/// The label that declares a probe; `LABEL.NAME` declares more.
pub const LABEL: &str = "io.safeops.probe";
/// How long a probe may take unless it says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a probe does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `GET path`, expecting a status in the range.
    Http {
        /// The request path.
        path: String,
        /// Accepted status codes, inclusive.
        status: (u16, u16),
    },
    /// A TCP handshake.
    Tcp,
}

/// A parsed probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// As declared.
    pub spec: String,
    /// HTTP or TCP.
    pub kind: Kind,
    /// The host, when one is given (else the container's address).
    pub host: Option<String>,
    /// The port.
    pub port: u16,
    /// How long it may take.
    pub timeout: Duration,
}

/// Parses a probe declaration.
pub fn parse(spec: &str) -> Result<Probe, String> {
    let mut words = spec.split_whitespace();
    let url = words.next().ok_or("an empty probe")?;
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url}: expected http://[HOST]:PORT/PATH or tcp://[HOST]:PORT"))?;
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    if authority.contains('@') {
        return Err("a probe URL takes no credentials (user:password@)".into());
    }
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or_else(|| format!("{url}: the port is missing"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("{url}: {port:?} is not a port"))?;
    let host = host.trim_matches(['[', ']']);
    let mut status = (200, 399);
    let mut timeout = DEFAULT_TIMEOUT;
    for word in words {
        match word.split_once('=') {
            Some(("status", value)) => {
                let (low, high) = value.split_once('-').unwrap_or((value, value));
                status = low
                    .parse::<u16>()
                    .ok()
                    .zip(high.parse::<u16>().ok())
                    .filter(|(low, high)| low <= high)
                    .ok_or_else(|| format!("{word}: expected status=CODE or status=LOW-HIGH"))?;
            }
            Some(("timeout", value)) => {
                timeout = humantime::parse_duration(value).map_err(|e| format!("{word}: {e}"))?;
            }
            _ => return Err(format!("{word}: unknown option (status=..., timeout=...)")),
        }
    }
    let kind = match scheme {
        "http" => Kind::Http {
            path: path.to_string(),
            status,
        },
        "tcp" => Kind::Tcp,
        other => return Err(format!("{url}: unsupported scheme {other} (http or tcp)")),
    };
    Ok(Probe {
        spec: spec.to_string(),
        kind,
        host: (!host.is_empty()).then(|| host.to_string()),
        port,
        timeout,
    })
}

/// The probes declared for a container: its labels, then its compose service's.
pub fn declared(container: &Inspected, model: Option<&ComposeModel>) -> Vec<String> {
    let mut specs: Vec<String> = container
        .labels()
        .into_iter()
        .filter(|(key, _)| {
            *key == LABEL || key.strip_prefix(LABEL).is_some_and(|r| r.starts_with('.'))
        })
        .map(|(_, value)| value.to_string())
        .collect();
    specs.sort();
    if let (Some(model), Some(service)) = (model, container.service())
        && let Some(svc) = model.services.get(service)
    {
        specs.extend(
            svc.probes
                .iter()
                .filter(|p| !specs.contains(p))
                .cloned()
                .collect::<Vec<_>>(),
        );
    }
    specs
}

/// Container names and network aliases of the examined containers, with their
/// addresses: what a probe's host name means on the containers' networks (the host's
/// resolver does not know them).
pub fn peer_addresses(facts: &Facts) -> HashMap<String, IpAddr> {
    let mut names = HashMap::new();
    for c in facts.subjects.iter().flat_map(|s| &s.containers) {
        let endpoints = c
            .doc
            .pointer("/NetworkSettings/Networks")
            .and_then(|n| n.as_object());
        for endpoint in endpoints.into_iter().flatten().map(|(_, e)| e) {
            let Some(ip) = endpoint["IPAddress"]
                .as_str()
                .and_then(|ip| ip.parse().ok())
            else {
                continue;
            };
            names.insert(c.name.clone(), ip);
            for alias in endpoint["Aliases"].as_array().into_iter().flatten() {
                if let Some(alias) = alias.as_str() {
                    names.insert(alias.to_string(), ip);
                }
            }
        }
    }
    names
}

/// A probe's host: an address, a peer's name, else the host's resolver (bounded by the
/// probe's timeout).
async fn resolve(
    host: &str,
    port: u16,
    peers: &HashMap<String, IpAddr>,
    timeout: Duration,
) -> Result<SocketAddr, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    if let Some(ip) = peers.get(host) {
        return Ok(SocketAddr::new(*ip, port));
    }
    let name = host.to_string();
    let lookup = tokio::task::spawn_blocking(move || (name.as_str(), port).to_socket_addrs());
    match tokio::time::timeout(timeout, lookup).await {
        Ok(Ok(Ok(mut addrs))) => addrs.next().ok_or_else(|| format!("{host} has no address")),
        Ok(Ok(Err(e))) => Err(format!("cannot resolve {host}: {e}")),
        Ok(Err(e)) => Err(format!("cannot resolve {host}: {e}")),
        Err(_) => Err(format!("resolving {host} took longer than {timeout:?}")),
    }
}

/// Runs one probe against a running container: a line saying what answered, or why
/// it failed. `peers` maps the examined containers' names and aliases to addresses.
pub async fn run(
    probe: &Probe,
    container: &Inspected,
    in_namespace: bool,
    peers: &HashMap<String, IpAddr>,
) -> Result<String, String> {
    let ip: Option<IpAddr> = container
        .networks()
        .iter()
        .find_map(|(_, ip)| ip.parse().ok());
    let addr = match &probe.host {
        Some(host) => resolve(host, probe.port, peers, probe.timeout).await?,
        None if in_namespace => {
            SocketAddr::new(ip.unwrap_or(IpAddr::from([127, 0, 0, 1])), probe.port)
        }
        None => SocketAddr::new(
            ip.ok_or("the container has no address on a network this host can reach")?,
            probe.port,
        ),
    };
    let host = probe.host.clone().unwrap_or_else(|| addr.ip().to_string());
    let (kind, timeout) = (probe.kind.clone(), probe.timeout);
    let work = move || match kind {
        Kind::Tcp => netns::connect(addr, timeout).map(|_| None),
        Kind::Http { path, .. } => netns::http_status(addr, &host, &path, timeout).map(Some),
    };
    let outcome = match (in_namespace, container.pid()) {
        (true, Some(pid)) => netns::run_in(pid, work).await,
        _ => tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|r| r),
    };
    match (outcome, &probe.kind) {
        (Err(err), _) => Err(format!("{addr}: {}", netns::explain(&err))),
        (Ok(Some(code)), Kind::Http { status, .. }) if code < status.0 || code > status.1 => {
            let expected = if status.0 == status.1 {
                status.0.to_string()
            } else {
                format!("{}-{}", status.0, status.1)
            };
            Err(format!("{addr}: HTTP {code}, expected {expected}"))
        }
        (Ok(Some(code)), _) => Ok(format!("{addr}: HTTP {code}")),
        (Ok(None), _) => Ok(format!("{addr}: connected")),
    }
}

/// Runs the check.
pub async fn check(facts: &Facts) -> CheckResult {
    if !facts.local {
        return CheckResult::skipped(
            CheckId::Probes,
            "the engine is on another host: its containers' addresses are not reachable from here",
        );
    }
    let mut findings = Vec::new();
    let mut runs = Vec::new();
    for subject in &facts.subjects {
        for container in &subject.containers {
            for spec in declared(container, subject.model.as_ref()) {
                match parse(&spec) {
                    Ok(probe) => runs.push((subject, container, probe)),
                    Err(err) => findings.push(
                        Finding::fail(
                            format!("container {}", container.name),
                            format!("malformed probe: {err}"),
                        )
                        .remedy("fix the io.safeops.probe label or x-safeops.probes entry"),
                    ),
                }
            }
        }
    }
    if runs.is_empty() && findings.is_empty() {
        return CheckResult::skipped(
            CheckId::Probes,
            "no probes declared (label io.safeops.probe=http://:PORT/PATH, or x-safeops.probes \
             in the compose service)",
        );
    }
    if let Some(why) = facts.rootless() {
        return CheckResult::skipped(CheckId::Probes, why);
    }
    let peers = peer_addresses(facts);
    let peers = &peers;
    let outcomes = join_all(runs.iter().map(|(_, container, probe)| async move {
        if container.state() != "running" {
            return Err(format!("not running ({})", container.state()));
        }
        run(probe, container, facts.root, peers).await
    }))
    .await;
    let passed = outcomes.iter().filter(|o| o.is_ok()).count();
    for ((subject, container, probe), outcome) in runs.iter().zip(outcomes) {
        if let Err(err) = outcome {
            findings.push(failed(subject, container, probe, err));
        }
    }
    CheckResult::ran(
        CheckId::Probes,
        format!("{passed} of {} probes answered as expected", runs.len()),
        findings,
    )
}

fn failed(subject: &Subject, container: &Inspected, probe: &Probe, err: String) -> Finding {
    Finding::fail(
        format!("container {}", container.name),
        crate::redact::text(&format!("probe {} failed: {err}", probe.spec)),
    )
    .remedy(format!(
        "docker logs {} shows what the service says; `docker safeops doctor {}` again once fixed",
        container.name, subject.name
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_syntax() {
        let p = parse("http://:8080/health status=200 timeout=2s").unwrap();
        assert_eq!(
            (p.host, p.port, p.timeout, p.kind),
            (
                None,
                8080,
                Duration::from_secs(2),
                Kind::Http {
                    path: "/health".into(),
                    status: (200, 200)
                }
            )
        );
        let p = parse("tcp://127.0.0.1:5432").unwrap();
        assert_eq!((p.host.as_deref(), p.kind), (Some("127.0.0.1"), Kind::Tcp));
        assert!(parse("http://:80/ status=2xx").is_err());
        assert!(parse("ftp://:21").is_err());
        assert!(parse("http://host").is_err());
        assert!(parse("http://:80/ status=500-100").is_err());
        let err = parse("http://admin:pw@127.0.0.1:81/").unwrap_err();
        assert!(!err.contains("pw"), "{err}");
    }
}
