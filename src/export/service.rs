//! One `docker run` container as a compose service: everything `recreate` preserves,
//! minus what the image or the engine supplies by default. Named and anonymous volumes
//! and existing networks become references to external objects, secrets in the env
//! become `${VAR}` references, and what the compose format cannot say is listed.

use std::collections::BTreeMap;

use docker_compose_types as dct;
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::engine::inventory::is_anonymous_name;
use crate::engine::names::sanitized;
use crate::redact::{self, is_secret_key};
use crate::runmode::recreate::ImageDefaults;

/// The engine's default `/dev/shm` size.
const DEFAULT_SHM: i64 = 64 << 20;

/// A container, exported.
#[derive(Debug, Default)]
pub struct Exported {
    /// The container's name (also its service key and `container_name`).
    pub name: String,
    /// The typed service.
    pub service: dct::Service,
    /// Service fields the typed model has no place for (post-processing, see
    /// `document.rs`): `cpus`, `pids_limit`, ...
    pub extra: Map<String, Value>,
    /// External volumes it mounts: key in the file, engine name.
    pub volumes: BTreeMap<String, String>,
    /// External networks it joins: key in the file, engine name.
    pub networks: BTreeMap<String, String>,
    /// Secrets moved to the `.env` file: what each is (`DB_PASSWORD`, `LABEL_1`), its
    /// value. The service holds [`placeholder`]s for them, replaced by `${VARIABLE}`
    /// references when the document is assembled.
    pub secrets: Vec<(String, String)>,
    /// Other containers it links to (`--link`): their names.
    pub links: Vec<String>,
    /// What could not be expressed, for people.
    pub lossy: Vec<String>,
}

/// Marks the `i`-th secret of a container in its service until the document gives it
/// a variable (`\u{1}` never occurs in what compose files hold).
pub fn placeholder(i: usize) -> String {
    format!("\u{1}{i}\u{1}")
}

impl Exported {
    /// Moves `value` to the secrets and returns its placeholder.
    fn secret(&mut self, what: &str, value: &str) -> String {
        self.secrets.push((what.to_string(), value.to_string()));
        placeholder(self.secrets.len() - 1)
    }

    /// `args` with every argument that holds a secret, or follows a secret flag
    /// (`--password X`), moved to the secrets.
    fn secret_args(&mut self, what: &str, args: Vec<String>) -> Vec<String> {
        let mut after_flag = false;
        let mut out = Vec::with_capacity(args.len());
        for arg in args {
            let flag = arg.starts_with('-') && !arg.contains('=') && is_secret_key(&arg);
            out.push(
                if after_flag || redact::holds_secret(&arg) || inline_secret(&arg) {
                    self.secret(what, &arg)
                } else {
                    arg
                },
            );
            after_flag = flag;
        }
        out
    }
}

/// `--password=X` or `KEY=X` with a secret key, inside one argument.
fn inline_secret(arg: &str) -> bool {
    arg.split_once('=')
        .is_some_and(|(key, _)| is_secret_key(key) && !key.contains(char::is_whitespace))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// A nanosecond duration as compose writes durations (`1s`, `1500ms`).
fn duration(ns: i64) -> String {
    match ns {
        n if n % 1_000_000_000 == 0 => format!("{}s", n / 1_000_000_000),
        n if n % 1_000_000 == 0 => format!("{}ms", n / 1_000_000),
        n => format!("{n}ns"),
    }
}

/// Exports the container `spec` (an inspect document) whose image has `defaults`;
/// `image` is the reference to pin it to. An env value is a secret when its key says
/// so or it holds one (a URL password, a value remembered by [`redact`]).
pub fn export(
    spec: &Value,
    image: &str,
    defaults: &ImageDefaults,
    peers: &BTreeMap<String, (String, bool)>,
) -> Exported {
    let name = text(spec, "/Name").trim_start_matches('/').to_string();
    let id = text(spec, "/Id");
    let config = &spec["Config"];
    let host = &spec["HostConfig"];
    let mut out = Exported {
        name: name.clone(),
        ..Exported::default()
    };
    out.service.container_name = Some(name.clone());
    out.service.image = Some(image.to_string());

    // The command: the engine takes the image's CMD only when no ENTRYPOINT is given,
    // so both are written whenever either differs from the image's.
    let entrypoint = config.get("Entrypoint").filter(|v| !v.is_null());
    let cmd = config.get("Cmd").filter(|v| !v.is_null());
    let entrypoint_changed = entrypoint != defaults.entrypoint.as_ref();
    if entrypoint_changed {
        let args = out.secret_args("ENTRYPOINT", strings(entrypoint.unwrap_or(&json!([]))));
        out.service.entrypoint = Some(dct::Entrypoint::List(args));
    }
    if entrypoint_changed || cmd != defaults.cmd.as_ref() {
        let args = out.secret_args("COMMAND", strings(cmd.unwrap_or(&json!([]))));
        out.service.command = Some(dct::Command::Args(args));
    }

    // Env: what the image does not set; secrets by reference.
    let mut env = IndexMap::new();
    for entry in strings(&config["Env"]) {
        if defaults.env.contains(&entry) {
            continue;
        }
        let (k, v) = entry.split_once('=').unwrap_or((entry.as_str(), ""));
        let value = if is_secret_key(k) || redact::holds_secret(v) {
            out.secret(k, v)
        } else {
            v.to_string()
        };
        env.insert(k.to_string(), Some(dct::SingleValue::String(value)));
    }
    if !env.is_empty() {
        out.service.environment = dct::Environment::KvPair(env);
    }

    let mut labels = IndexMap::new();
    for (k, v) in config["Labels"].as_object().into_iter().flatten() {
        let Some(v) = v.as_str() else { continue };
        if k.starts_with("com.docker.compose.")
            || defaults.labels.get(k).map(String::as_str) == Some(v)
        {
            continue;
        }
        let value = if is_secret_key(k) || redact::holds_secret(v) {
            out.secret("LABEL", v)
        } else {
            v.to_string()
        };
        labels.insert(k.clone(), value);
    }
    let s = &mut out.service;
    if !labels.is_empty() {
        s.labels = dct::Labels::Map(labels);
    }
    let set = |value: &str, default: Option<&str>| {
        (!value.is_empty() && Some(value) != default).then(|| value.to_string())
    };
    s.working_dir = set(text(config, "/WorkingDir"), defaults.working_dir.as_deref());
    s.user = set(text(config, "/User"), defaults.user.as_deref());
    let hostname = text(config, "/Hostname");
    // A container in another's network namespace has that one's hostname.
    let shares_network = text(host, "/NetworkMode").starts_with("container:");
    if !hostname.is_empty() && !id.starts_with(hostname) && !shares_network {
        s.hostname = Some(hostname.to_string());
    }
    s.domainname = set(text(config, "/Domainname"), None);
    s.stop_signal = set(text(config, "/StopSignal"), defaults.stop_signal.as_deref());
    if let Some(timeout) = config["StopTimeout"].as_i64() {
        s.stop_grace_period = Some(format!("{timeout}s"));
    }
    s.tty = config["Tty"].as_bool().unwrap_or(false);
    s.stdin_open = config["OpenStdin"].as_bool().unwrap_or(false);

    healthcheck(&mut out, config, defaults);
    ports(&mut out, config, host, defaults);
    mounts(&mut out, spec);
    networks(&mut out, spec, id, peers);
    host_settings(&mut out, host, peers);
    lossy_settings(&mut out, host, spec);
    out
}

/// `container:ID` as compose says it: `service:NAME` for a container exported with
/// this one, else `container:NAME` (the id changes when that container is recreated).
fn namespace_of(mode: &str, peers: &BTreeMap<String, (String, bool)>) -> String {
    let Some(id) = mode.strip_prefix("container:") else {
        return mode.to_string();
    };
    match peers
        .iter()
        .find(|(peer_id, (name, _))| peer_id.starts_with(id) || name == id)
    {
        Some((_, (name, true))) => format!("service:{name}"),
        Some((_, (name, false))) => format!("container:{name}"),
        None => mode.to_string(),
    }
}

fn healthcheck(out: &mut Exported, config: &Value, defaults: &ImageDefaults) {
    let check = &config["Healthcheck"];
    if check.is_null() || Some(check) == defaults.healthcheck.as_ref() {
        return;
    }
    let test = out.secret_args("HEALTHCHECK", strings(&check["Test"]));
    let ns = |key: &str| check[key].as_i64().filter(|n| *n > 0).map(duration);
    out.service.healthcheck = Some(dct::Healthcheck {
        disable: test.first().is_some_and(|t| t == "NONE"),
        test: (!test.is_empty() && test[0] != "NONE")
            .then_some(dct::HealthcheckTest::Multiple(test)),
        interval: ns("Interval"),
        timeout: ns("Timeout"),
        retries: check["Retries"].as_i64().unwrap_or(0),
        start_period: ns("StartPeriod"),
        start_interval: ns("StartInterval"),
    });
}

fn ports(out: &mut Exported, config: &Value, host: &Value, defaults: &ImageDefaults) {
    let mut published = Vec::new();
    let bindings = host["PortBindings"].as_object();
    for (port, binds) in bindings.into_iter().flatten() {
        let (number, proto) = port.split_once('/').unwrap_or((port, "tcp"));
        for bind in binds.as_array().into_iter().flatten() {
            let host_ip = text(bind, "/HostIp");
            let host_port = text(bind, "/HostPort");
            let ip = match host_ip {
                "" => String::new(),
                ip if ip.contains(':') => format!("[{ip}]:"),
                ip => format!("{ip}:"),
            };
            let entry = match host_port {
                "" if ip.is_empty() => number.to_string(),
                "" => format!("{ip}:{number}"),
                hp => format!("{ip}{hp}:{number}"),
            };
            published.push(if proto == "tcp" {
                entry
            } else {
                format!("{entry}/{proto}")
            });
        }
    }
    published.sort();
    out.service.ports = dct::Ports::Short(published);
    let mut expose: Vec<String> = config["ExposedPorts"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(p, _)| p.clone())
        .filter(|p| !defaults.exposed_ports.contains(p))
        .filter(|p| bindings.is_none_or(|b| !b.contains_key(p)))
        .collect();
    expose.sort();
    out.service.expose = expose;
}

fn mounts(out: &mut Exported, spec: &Value) {
    let binds = strings(&spec["HostConfig"]["Binds"]);
    let mut volumes = Vec::new();
    for mount in spec["Mounts"].as_array().into_iter().flatten() {
        let target = text(mount, "/Destination").to_string();
        let read_only = mount["RW"].as_bool() == Some(false);
        match text(mount, "/Type") {
            "volume" => {
                let name = text(mount, "/Name");
                let key = if is_anonymous_name(name) {
                    out.lossy.push(format!(
                        "{}: volume {} at {target} is anonymous: it is kept by its name, but \
                         `docker volume prune` removes unused anonymous volumes (Docker 23 \
                         and later); copy it into a named volume to keep it for good",
                        out.name,
                        &name[..12]
                    ));
                    format!("anonymous-{}", &name[..12])
                } else {
                    sanitized(name)
                };
                out.volumes.insert(key.clone(), name.to_string());
                if text(mount, "/Driver") != "local" && !text(mount, "/Driver").is_empty() {
                    out.lossy.push(format!(
                        "{}: volume {name} uses driver {}; it is referenced as external, its \
                         options stay with the volume",
                        out.name,
                        text(mount, "/Driver")
                    ));
                }
                // `-v data:/x:nocopy`: the image's files are not copied into it.
                let nocopy = text(mount, "/Mode").split(',').any(|m| m == "nocopy");
                volumes.push(dct::Volumes::Advanced(dct::AdvancedVolumes {
                    source: Some(key),
                    target,
                    _type: "volume".into(),
                    read_only,
                    bind: None,
                    volume: nocopy.then_some(dct::Volume {
                        nocopy: Some(true),
                        subpath: None,
                    }),
                    tmpfs: None,
                }));
            }
            "bind" => {
                let source = text(mount, "/Source");
                let propagation = text(mount, "/Propagation");
                let mut options = Vec::new();
                if read_only {
                    options.push("ro");
                }
                if !matches!(propagation, "" | "rprivate") {
                    options.push(propagation);
                }
                // SELinux relabelling (`:z`, `:Z`): without it the container cannot read
                // the files on an SELinux host.
                let mode = text(mount, "/Mode");
                options.extend(mode.split(',').filter(|m| matches!(*m, "z" | "Z")));
                // Binds given with -v are created when missing; --mount binds are not.
                let from_v = binds.iter().any(|b| b.starts_with(&format!("{source}:")));
                if !from_v {
                    out.lossy.push(format!(
                        "{}: bind {source} was a --mount (not created when missing); compose \
                         creates a missing source directory",
                        out.name
                    ));
                }
                if source.contains(':') || target.contains(':') {
                    volumes.push(dct::Volumes::Advanced(dct::AdvancedVolumes {
                        source: Some(source.to_string()),
                        target,
                        _type: "bind".into(),
                        read_only,
                        bind: None,
                        volume: None,
                        tmpfs: None,
                    }));
                } else {
                    volumes.push(dct::Volumes::Simple(if options.is_empty() {
                        format!("{source}:{target}")
                    } else {
                        format!("{source}:{target}:{}", options.join(","))
                    }));
                }
            }
            "tmpfs" => {
                let options = spec["HostConfig"]["Mounts"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|m| m["Target"].as_str() == Some(target.as_str()))
                    .map(|m| &m["TmpfsOptions"]);
                let size = options
                    .and_then(|o| o["SizeBytes"].as_u64())
                    .filter(|s| *s > 0);
                if options.is_some_and(|o| o["Mode"].as_u64().is_some()) {
                    out.lossy.push(format!(
                        "{}: the mode of the tmpfs at {target} is not exported",
                        out.name
                    ));
                }
                volumes.push(dct::Volumes::Advanced(dct::AdvancedVolumes {
                    source: None,
                    target,
                    _type: "tmpfs".into(),
                    read_only: false,
                    bind: None,
                    volume: None,
                    tmpfs: size.map(|size| dct::TmpfsSettings { size }),
                }));
            }
            other => out.lossy.push(format!(
                "{}: a {other} mount at {target} is not exported",
                out.name
            )),
        }
    }
    out.service.volumes = volumes;
    let tmpfs: Vec<String> = spec["HostConfig"]["Tmpfs"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(path, options)| match options.as_str().unwrap_or("") {
            "" => path.clone(),
            opts => format!("{path}:{opts}"),
        })
        .collect();
    if !tmpfs.is_empty() {
        out.service.tmpfs = Some(dct::Tmpfs::List(tmpfs));
    }
}

fn networks(out: &mut Exported, spec: &Value, id: &str, peers: &BTreeMap<String, (String, bool)>) {
    let mode = text(spec, "/HostConfig/NetworkMode");
    if mode == "host" || mode == "none" || mode.starts_with("container:") {
        out.service.network_mode = Some(namespace_of(mode, peers));
        return;
    }
    let short_id = &id[..id.len().min(12)];
    let mut advanced = IndexMap::new();
    let endpoints = spec["NetworkSettings"]["Networks"].as_object();
    for (network, endpoint) in endpoints.into_iter().flatten() {
        if network == "bridge" {
            // The default bridge cannot be joined as a compose network.
            if endpoints.is_some_and(|e| e.len() > 1) {
                out.lossy.push(format!(
                    "{}: the default bridge cannot be combined with other networks in compose; \
                     it is left out",
                    out.name
                ));
            } else {
                out.service.network_mode = Some("bridge".into());
            }
            continue;
        }
        let aliases: Vec<String> = strings(&endpoint["Aliases"])
            .into_iter()
            .filter(|a| a != short_id && *a != out.name)
            .collect();
        let ipv4 = text(endpoint, "/IPAMConfig/IPv4Address");
        let ipv6 = text(endpoint, "/IPAMConfig/IPv6Address");
        let settings = dct::AdvancedNetworkSettings {
            ipv4_address: (!ipv4.is_empty()).then(|| ipv4.to_string()),
            ipv6_address: (!ipv6.is_empty()).then(|| ipv6.to_string()),
            aliases,
        };
        let key = sanitized(network);
        out.networks.insert(key.clone(), network.clone());
        advanced.insert(key, dct::MapOrEmpty::Map(settings));
    }
    if !advanced.is_empty() {
        out.service.networks = dct::Networks::Advanced(dct::AdvancedNetworks(advanced));
    }
    // `/other:/me/alias` on the default bridge; `other:alias` on a network of the
    // user's, where the engine keeps them with the endpoint only.
    let endpoint_links = endpoints
        .into_iter()
        .flatten()
        .flat_map(|(_, endpoint)| strings(&endpoint["Links"]));
    for link in strings(&spec["HostConfig"]["Links"])
        .into_iter()
        .chain(endpoint_links)
    {
        if let Some((other, alias)) = link.split_once(':') {
            let other = other.trim_start_matches('/').to_string();
            let alias = alias.rsplit('/').next().unwrap_or(&other).to_string();
            let entry = if alias == other {
                other.clone()
            } else {
                format!("{other}:{alias}")
            };
            if !out.service.links.contains(&entry) {
                out.service.links.push(entry);
                out.links.push(other);
            }
        }
    }
}

fn host_settings(out: &mut Exported, host: &Value, peers: &BTreeMap<String, (String, bool)>) {
    let s = &mut out.service;
    let policy = text(host, "/RestartPolicy/Name");
    if !matches!(policy, "" | "no") {
        let retries = host["RestartPolicy"]["MaximumRetryCount"]
            .as_i64()
            .unwrap_or(0);
        s.restart = Some(if policy == "on-failure" && retries > 0 {
            format!("on-failure:{retries}")
        } else {
            policy.to_string()
        });
    }
    let int = |key: &str| host[key].as_i64().unwrap_or(0);
    if int("Memory") > 0 {
        s.mem_limit = Some(int("Memory").to_string());
    }
    if int("MemoryReservation") > 0 {
        s.mem_reservation = Some(int("MemoryReservation").to_string());
    }
    if int("ShmSize") > 0 && int("ShmSize") != DEFAULT_SHM {
        s.shm_size = Some(int("ShmSize").to_string());
    }
    s.cap_add = strings(&host["CapAdd"]);
    s.cap_drop = strings(&host["CapDrop"]);
    s.security_opt = strings(&host["SecurityOpt"]);
    s.dns = strings(&host["Dns"]);
    s.dns_opt = strings(&host["DnsOptions"]);
    s.extra_hosts = strings(&host["ExtraHosts"]);
    s.privileged = host["Privileged"].as_bool().unwrap_or(false);
    s.read_only = host["ReadonlyRootfs"].as_bool().unwrap_or(false);
    s.init = host["Init"].as_bool().unwrap_or(false);
    s.group_add = strings(&host["GroupAdd"])
        .into_iter()
        .map(dct::Group::Named)
        .collect();
    s.devices = host["Devices"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            format!(
                "{}:{}:{}",
                text(d, "/PathOnHost"),
                text(d, "/PathInContainer"),
                text(d, "/CgroupPermissions")
            )
        })
        .collect();
    let sysctls: IndexMap<String, Option<dct::SingleValue>> = host["Sysctls"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let value = v.as_str().unwrap_or("").to_string();
            (k.clone(), Some(dct::SingleValue::String(value)))
        })
        .collect();
    if !sysctls.is_empty() {
        s.sysctls = dct::SysCtls::Map(sysctls);
    }
    let mut ulimits = IndexMap::new();
    for u in host["Ulimits"].as_array().into_iter().flatten() {
        let (soft, hard) = (
            u["Soft"].as_i64().unwrap_or(0),
            u["Hard"].as_i64().unwrap_or(0),
        );
        ulimits.insert(
            text(u, "/Name").to_string(),
            dct::Ulimit::SoftHard {
                soft: dct::StringOrUnsigned::Unsigned(soft),
                hard: dct::StringOrUnsigned::Unsigned(hard),
            },
        );
    }
    s.ulimits = dct::Ulimits(ulimits);
    let log_type = text(host, "/LogConfig/Type");
    let log_options: IndexMap<String, dct::SingleValue> = host["LogConfig"]["Config"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                dct::SingleValue::String(v.as_str().unwrap_or("").to_string()),
            )
        })
        .collect();
    if !(log_type.is_empty() || log_type == "json-file" && log_options.is_empty()) {
        s.logging = Some(dct::LoggingParameters {
            driver: Some(log_type.to_string()),
            options: (!log_options.is_empty()).then_some(log_options),
        });
    }
    for (field, key) in [
        ("PidMode", "pid"),
        ("UsernsMode", "userns_mode"),
        ("CgroupParent", "cgroup_parent"),
    ] {
        let value = text(host, &format!("/{field}"));
        if !value.is_empty() {
            match key {
                "pid" => s.pid = Some(namespace_of(value, peers)),
                "userns_mode" => s.userns_mode = Some(value.to_string()),
                _ => s.cgroup_parent = Some(value.to_string()),
            }
        }
    }
    // `private` is the engine's default here; `shareable` must be said, or containers
    // joining this one's IPC namespace fail.
    let ipc = text(host, "/IpcMode");
    if !matches!(ipc, "" | "private") {
        s.ipc = Some(namespace_of(ipc, peers));
    }
    let runtime = text(host, "/Runtime");
    if !matches!(runtime, "" | "runc") {
        s.runtime = Some(runtime.to_string());
    }
    extras(out, host);
}

/// Settings compose cannot express, said on stderr rather than dropped silently.
fn lossy_settings(out: &mut Exported, host: &Value, spec: &Value) {
    if host["PublishAllPorts"].as_bool() == Some(true) {
        out.lossy.push(format!(
            "{}: -P (publish every exposed port on a random host port) has no compose \
             equivalent; list the ports under ports:",
            out.name
        ));
    }
    let link_local = spec["NetworkSettings"]["Networks"]
        .as_object()
        .into_iter()
        .flatten()
        .any(|(_, ep)| {
            ep.pointer("/IPAMConfig/LinkLocalIPs")
                .and_then(Value::as_array)
                .is_some_and(|l| !l.is_empty())
        });
    if link_local {
        out.lossy
            .push(format!("{}: --link-local-ip is not exported", out.name));
    }
}

/// Settings the typed service lacks, written by post-processing as compose fields.
fn extras(out: &mut Exported, host: &Value) {
    let int = |key: &str| host[key].as_i64().unwrap_or(0);
    let mut put = |key: &str, value: Value| {
        out.extra.insert(key.to_string(), value);
    };
    if int("NanoCpus") > 0 {
        put("cpus", json!(int("NanoCpus") as f64 / 1e9));
    }
    if int("CpuShares") > 0 {
        put("cpu_shares", json!(int("CpuShares")));
    }
    for (key, field) in [
        ("CpuQuota", "cpu_quota"),
        ("CpuPeriod", "cpu_period"),
        ("CpuRealtimeRuntime", "cpu_rt_runtime"),
        ("CpuRealtimePeriod", "cpu_rt_period"),
    ] {
        if int(key) > 0 {
            put(field, json!(int(key)));
        }
    }
    if int("BlkioWeight") > 0 {
        put("blkio_config", json!({"weight": int("BlkioWeight")}));
    }
    // -1: unlimited swap, which must be said (compose would default to twice the memory).
    if int("MemorySwap") > 0 || int("MemorySwap") == -1 && int("Memory") > 0 {
        put("memswap_limit", json!(int("MemorySwap")));
    }
    if let Some(swappiness) = host["MemorySwappiness"].as_i64().filter(|s| *s >= 0) {
        put("mem_swappiness", json!(swappiness));
    }
    let rules = strings(&host["DeviceCgroupRules"]);
    if !rules.is_empty() {
        put("device_cgroup_rules", json!(rules));
    }
    let uts = text(host, "/UTSMode");
    if !uts.is_empty() {
        put("uts", json!(uts));
    }
    if int("PidsLimit") > 0 {
        put("pids_limit", json!(int("PidsLimit")));
    }
    if int("OomScoreAdj") != 0 {
        put("oom_score_adj", json!(int("OomScoreAdj")));
    }
    if host["OomKillDisable"].as_bool() == Some(true) {
        put("oom_kill_disable", json!(true));
    }
    let cpuset = text(host, "/CpusetCpus");
    if !cpuset.is_empty() {
        put("cpuset", json!(cpuset));
    }
    let search = strings(&host["DnsSearch"]);
    if !search.is_empty() {
        put("dns_search", json!(search));
    }
    let cpuset_mems = text(host, "/CpusetMems");
    if !cpuset_mems.is_empty() {
        out.lossy.push(format!(
            "{}: --cpuset-mems {cpuset_mems} has no compose equivalent",
            out.name
        ));
    }
    let per_device = [
        "BlkioWeightDevice",
        "BlkioDeviceReadBps",
        "BlkioDeviceWriteBps",
        "BlkioDeviceReadIOps",
        "BlkioDeviceWriteIOps",
    ];
    if per_device
        .iter()
        .any(|key| host[key].as_array().is_some_and(|d| !d.is_empty()))
    {
        out.lossy.push(format!(
            "{}: per-device block I/O limits are not exported; add blkio_config by hand",
            out.name
        ));
    }
    if host["DeviceRequests"]
        .as_array()
        .is_some_and(|d| !d.is_empty())
    {
        out.lossy.push(format!(
            "{}: device requests (--gpus) are not exported; add deploy.resources.reservations.devices by hand",
            out.name
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_relabelling_and_nocopy_are_exported_and_what_is_not_is_said() {
        let spec = json!({
            "Name": "/job", "Id": "0123456789abcdef",
            "Config": {"Image": "busybox"},
            "HostConfig": {"NetworkMode": "default", "CpuQuota": 50000, "CpuPeriod": 100000,
                "BlkioWeight": 300, "CpusetMems": "0",
                "BlkioDeviceReadBps": [{"Path": "/dev/sda", "Rate": 1024}],
                "Binds": ["/srv/x:/x:Z", "cache:/cache:nocopy"]},
            "Mounts": [
                {"Type": "bind", "Source": "/srv/x", "Destination": "/x", "Mode": "Z",
                    "RW": true},
                {"Type": "volume", "Name": "cache", "Destination": "/cache", "Mode": "nocopy",
                    "RW": true, "Driver": "local"}]
        });
        let out = export(
            &spec,
            "busybox",
            &ImageDefaults::default(),
            &BTreeMap::new(),
        );
        assert_eq!(out.extra["cpu_quota"], json!(50000));
        assert_eq!(out.extra["cpu_period"], json!(100000));
        assert_eq!(out.extra["blkio_config"], json!({"weight": 300}));
        let s = serde_json::to_value(&out.service).unwrap();
        let volumes = s["volumes"].to_string();
        assert!(volumes.contains("/srv/x:/x:Z"), "{volumes}");
        assert!(volumes.contains("\"nocopy\":true"), "{volumes}");
        let lossy = out.lossy.join("\n");
        assert!(lossy.contains("--cpuset-mems"), "{lossy}");
        assert!(lossy.contains("per-device block I/O"), "{lossy}");
    }

    #[test]
    fn a_run_container_becomes_a_service() {
        let spec = json!({
            "Name": "/web", "Id": "0123456789abcdef",
            "Config": {"Image": "busybox", "Env": ["PATH=/bin", "GREETING=hello world", "A=x=$y",
                "DB_PASSWORD=s3cret"], "Cmd": ["sleep", "1"], "Labels": {"tier": "web",
                "com.docker.compose.project": "x"}, "Hostname": "0123456789ab",
                "ExposedPorts": {"80/tcp": {}, "9000/tcp": {}}},
            "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
                "RestartPolicy": {"Name": "unless-stopped"}, "Memory": 67108864,
                "NanoCpus": 500000000, "NetworkMode": "front",
                "Links": ["/db:/web/database"], "ShmSize": DEFAULT_SHM},
            "Mounts": [{"Type": "volume", "Name": "data", "Destination": "/data", "RW": true,
                "Driver": "local"}],
            "NetworkSettings": {"Networks": {"front": {"Aliases": ["web", "0123456789ab", "api"],
                "IPAMConfig": {"IPv4Address": "10.1.2.3"}, "Links": ["cache:kv", "db:database"]}}}
        });
        let defaults = ImageDefaults {
            env: vec!["PATH=/bin".into()],
            cmd: Some(json!(["sh"])),
            ..ImageDefaults::default()
        };
        let out = export(&spec, "busybox@sha256:abc", &defaults, &BTreeMap::new());
        let s = serde_json::to_value(&out.service).unwrap();
        assert_eq!(
            s["environment"],
            json!({"GREETING": "hello world", "A": "x=$y", "DB_PASSWORD": placeholder(0)})
        );
        assert_eq!(
            out.secrets,
            [("DB_PASSWORD".to_string(), "s3cret".to_string())]
        );
        assert_eq!(s["labels"], json!({"tier": "web"}));
        assert_eq!(s["command"], json!(["sleep", "1"]));
        assert!(s.get("entrypoint").is_none() && s.get("hostname").is_none());
        assert_eq!(s["ports"], json!(["8080:80"]));
        assert_eq!(s["expose"], json!(["9000/tcp"]));
        assert_eq!(s["restart"], "unless-stopped");
        assert_eq!(
            s["networks"]["front"],
            json!({"ipv4_address": "10.1.2.3", "aliases": ["api"]})
        );
        // From the default bridge's record and the network's, once each.
        assert_eq!(s["links"], json!(["db:database", "cache:kv"]));
        assert_eq!(out.links, ["db", "cache"]);
        assert_eq!(
            out.volumes,
            BTreeMap::from([("data".into(), "data".into())])
        );
        assert_eq!(out.extra["cpus"], json!(0.5));
        assert!(s.get("shm_size").is_none());
    }
}
