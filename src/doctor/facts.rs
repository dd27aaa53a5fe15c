//! What the checks look at, read from the engine once and concurrently: the engine's
//! info, every target's containers as inspected, volumes, and the `die` events of the
//! last hour.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use futures_util::{StreamExt, future::join_all};
use serde_json::Value;

use super::backups::Backups;
use crate::compose::model::ComposeModel;
use crate::engine::Engine;
use crate::engine::inventory::{self, Volume};
use crate::error::Result;
use crate::guard::protect::Policy;
use crate::target::Target;

/// The window of `die` events the restart rate is counted over.
pub const RATE_WINDOW: Duration = Duration::from_secs(3600);

/// How many inspect requests are in flight at once: enough to hide the engine's
/// latency, few enough not to queue behind each other on a busy daemon.
const INSPECT_CONCURRENCY: usize = 16;

/// Everything the checks look at.
pub struct Facts {
    /// The engine.
    pub engine: Engine,
    /// `GET /info`, untyped (fields such as `FirewallBackend` are newer than our API).
    pub info: Value,
    /// The engine runs on this host (a unix socket): host paths, namespaces and the
    /// firewall the checks can see are the engine's.
    pub local: bool,
    /// This process runs as root (entering namespaces, reading the firewall).
    pub root: bool,
    /// The targets examined.
    pub subjects: Vec<Subject>,
    /// Whether they are every target on the engine (no name, no project here): what
    /// belongs to none of them (a scheduled job of a target gone) is examined too.
    pub everything: bool,
    /// Every volume on the engine, by name.
    pub volumes: HashMap<String, Volume>,
    /// `die` events per container id over the last [`RATE_WINDOW`].
    pub dies: HashMap<String, u32>,
    /// The policy file.
    pub policy: Policy,
    /// Where backups go, and what is there.
    pub backups: Backups,
}

impl Facts {
    /// Why checks of the host's network cannot judge the engine's when it is rootless
    /// (`name=rootless` in its security options): its bridges, its containers'
    /// addresses and its port forwarding live in a network namespace of its own, which
    /// the host's firewall never sees and from which the host cannot be reached.
    pub fn rootless(&self) -> Option<String> {
        is_rootless(&self.info).then(|| {
            "the engine is rootless: its containers' network is in a namespace of its own, \
             which this check does not enter"
                .to_string()
        })
    }

    /// The skip result of a check that needs this host to be the engine's and root
    /// rights, saying which is missing; `None` when both are there.
    pub fn needs_local_root(
        &self,
        id: super::CheckId,
        remote_reason: &str,
        root_action: &str,
    ) -> Option<super::CheckResult> {
        if !self.local {
            return Some(super::CheckResult::skipped(
                id,
                format!("the engine is on another host: {remote_reason}"),
            ));
        }
        if let Some(why) = self.rootless() {
            return Some(super::CheckResult::skipped(id, why));
        }
        (!self.root).then(|| {
            super::CheckResult::skipped(id, format!("{root_action} needs root (run it with sudo)"))
        })
    }
}

/// Whether the engine whose `GET /info` is `info` runs rootless.
fn is_rootless(info: &Value) -> bool {
    info["SecurityOptions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|option| option.split(',').any(|part| part == "name=rootless"))
}

/// One target and its containers.
pub struct Subject {
    /// Project or container name.
    pub name: String,
    /// `project` or `container`.
    pub kind: &'static str,
    /// The compose model, when the project's files could be loaded.
    pub model: Option<ComposeModel>,
    /// The resolved compose configuration (secrets in it: redact before showing).
    pub config: Option<Value>,
    /// Its containers, inspected.
    pub containers: Vec<Inspected>,
}

/// A container's inspect document with accessors for what the checks read.
#[derive(Debug, Clone)]
pub struct Inspected {
    /// Name, without the leading `/`.
    pub name: String,
    /// Full id.
    pub id: String,
    /// `GET /containers/{id}/json`.
    pub doc: Value,
}

impl Inspected {
    fn str_at(&self, pointer: &str) -> Option<&str> {
        self.doc.pointer(pointer).and_then(Value::as_str)
    }

    /// `running`, `exited`, `restarting`, `created`, ...
    pub fn state(&self) -> &str {
        self.str_at("/State/Status").unwrap_or("unknown")
    }

    /// The exit code of its last run.
    pub fn exit_code(&self) -> i64 {
        self.doc
            .pointer("/State/ExitCode")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    /// When its last run started and ended (`None` for the zero time).
    pub fn run_times(&self) -> (Option<SystemTime>, Option<SystemTime>) {
        let time = |p: &str| {
            self.str_at(p)
                .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
                .filter(|t| *t > SystemTime::UNIX_EPOCH)
        };
        (time("/State/StartedAt"), time("/State/FinishedAt"))
    }

    /// `healthy`, `unhealthy`, `starting`; `None` without a healthcheck.
    pub fn health(&self) -> Option<&str> {
        self.str_at("/State/Health/Status")
    }

    /// The restart policy's name (`no`, `always`, `unless-stopped`, `on-failure`).
    pub fn restart_policy(&self) -> &str {
        self.str_at("/HostConfig/RestartPolicy/Name")
            .filter(|n| !n.is_empty())
            .unwrap_or("no")
    }

    /// The main process's pid on the host, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.doc
            .pointer("/State/Pid")
            .and_then(Value::as_u64)
            .filter(|pid| *pid > 0)
            .and_then(|pid| u32::try_from(pid).ok())
    }

    /// Its `KEY=value` environment.
    pub fn env(&self) -> Vec<&str> {
        self.doc
            .pointer("/Config/Env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    }

    /// Entrypoint then command.
    pub fn command(&self) -> Vec<String> {
        ["/Config/Entrypoint", "/Config/Cmd"]
            .iter()
            .filter_map(|p| self.doc.pointer(p).and_then(Value::as_array))
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    /// Its labels.
    pub fn labels(&self) -> Vec<(&str, &str)> {
        self.doc
            .pointer("/Config/Labels")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
            .collect()
    }

    /// A label's value.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.doc
            .pointer("/Config/Labels")
            .and_then(|l| l.get(key))
            .and_then(Value::as_str)
    }

    /// Its compose service, when compose made it.
    pub fn service(&self) -> Option<&str> {
        self.label(inventory::LABEL_SERVICE)
    }

    /// The networks it is attached to, with its address on each (empty while stopped).
    pub fn networks(&self) -> Vec<(&str, &str)> {
        self.doc
            .pointer("/NetworkSettings/Networks")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, ep)| {
                let ip = ep.get("IPAddress").and_then(Value::as_str).unwrap_or("");
                (name.as_str(), ip)
            })
            .collect()
    }

    /// The TCP ports its image or `--expose` declares (`8080/tcp`; compose writes a
    /// bare `8080`, which is TCP too).
    pub fn exposed_tcp_ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self
            .doc
            .pointer("/Config/ExposedPorts")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(spec, _)| match spec.split_once('/') {
                Some((ports, "tcp")) | Some((ports, "")) => Some(ports),
                Some(_) => None,
                None => Some(spec.as_str()),
            })
            .flat_map(|ports| {
                // A single port, or a range `8000-8010`.
                let (low, high) = ports.split_once('-').unwrap_or((ports, ports));
                match (low.parse::<u16>(), high.parse::<u16>()) {
                    (Ok(low), Ok(high)) if low <= high => (low..=high).collect(),
                    _ => Vec::new(),
                }
            })
            .collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }

    /// Its mounts as the engine lists them.
    pub fn mounts(&self) -> Vec<&Value> {
        self.doc
            .pointer("/Mounts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect()
    }

    /// Its memory limit in bytes (0: none).
    pub fn memory_limit(&self) -> i64 {
        self.doc
            .pointer("/HostConfig/Memory")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    /// Whether the kernel's OOM killer ended its last run.
    pub fn oom_killed(&self) -> bool {
        self.doc
            .pointer("/State/OOMKilled")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

/// Reads the facts for `targets` (`everything`: see [`Facts::everything`]).
pub async fn gather(
    engine: Engine,
    (targets, everything): (Vec<Target>, bool),
    policy: Policy,
    backups: Option<super::backups::Where>,
) -> Result<Facts> {
    let info = engine.get_raw_json("/info");
    let volumes = inventory::volumes(&engine);
    let dies = die_counts(&engine);
    let inspected = inspect_all(&engine, &targets);
    let backups = Backups::read(backups, &engine.endpoint.host);
    let (info, volumes, dies, mut inspected, backups) =
        tokio::join!(info, volumes, dies, inspected, backups);
    let (info, volumes) = (info?, volumes?);
    let subjects = targets
        .into_iter()
        .map(|target| {
            let containers = target
                .containers()
                .iter()
                .filter_map(|c| inspected.remove(&c.id))
                .collect();
            let (model, config) = match &target {
                Target::Project(p) => (p.model.clone(), p.config.clone()),
                Target::Container(_) => (None, None),
            };
            Subject {
                name: target.name().to_string(),
                kind: target.kind(),
                model,
                config,
                containers,
            }
        })
        .collect();
    let local = engine.endpoint.host.starts_with("unix://");
    Ok(Facts {
        engine,
        info,
        local,
        root: rustix::process::geteuid().is_root(),
        subjects,
        everything,
        volumes,
        dies,
        policy,
        backups,
    })
}

/// Every target's containers, inspected with bounded concurrency; their secrets are
/// remembered for redaction before anything about them is printed.
async fn inspect_all(engine: &Engine, targets: &[Target]) -> HashMap<String, Inspected> {
    let ids: Vec<(String, String)> = targets
        .iter()
        .flat_map(|t| t.containers())
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(INSPECT_CONCURRENCY) {
        let docs = join_all(chunk.iter().map(|(id, _)| async move {
            engine.get_raw_json(&format!("/containers/{id}/json")).await
        }))
        .await;
        for ((id, name), doc) in chunk.iter().zip(docs) {
            match doc {
                Ok(doc) => {
                    let inspected = Inspected {
                        name: name.clone(),
                        id: id.clone(),
                        doc,
                    };
                    crate::redact::remember_env(inspected.env());
                    out.insert(id.clone(), inspected);
                }
                // Removed between the listing and the inspect: nothing to check.
                Err(err) => tracing::debug!("cannot inspect {name}: {err}"),
            }
        }
    }
    out
}

/// `die` events per container over the last hour, from the engine's event log.
async fn die_counts(engine: &Engine) -> HashMap<String, u32> {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let options = bollard::query_parameters::EventsOptions {
        since: Some((now - RATE_WINDOW.as_secs()).to_string()),
        until: Some(now.to_string()),
        filters: Some(HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            ("event".to_string(), vec!["die".to_string()]),
        ])),
    };
    let mut counts = HashMap::new();
    let mut events = engine.docker.events(Some(options));
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => {
                if let Some(id) = event.actor.and_then(|a| a.id) {
                    *counts.entry(id).or_insert(0) += 1;
                }
            }
            Err(err) => {
                tracing::warn!("cannot read the engine's events: {err}");
                break;
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rootless_engine_is_told_by_its_security_options() {
        let info = |options: Value| serde_json::json!({ "SecurityOptions": options });
        assert!(is_rootless(&info(serde_json::json!([
            "name=seccomp,profile=default",
            "name=rootless"
        ]))));
        assert!(!is_rootless(&info(serde_json::json!([
            "name=seccomp,profile=default"
        ]))));
        assert!(!is_rootless(&serde_json::json!({})));
    }
}
