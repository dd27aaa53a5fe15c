//! The container the run-mode tests rebuild (recreate, export, adopt): everything
//! `docker run` can set, and the comparison of what it set.

use super::*;

/// The parts of `docker inspect` that `docker run` set, normalised for comparison: env
/// in order, compose's own labels and aliases (the container's name) left out, binds of
/// host paths only with the default `rw` implied.
pub fn run_settings(container: &str) -> serde_json::Value {
    let inspect: serde_json::Value =
        serde_json::from_str(&docker(&["inspect", container])).unwrap();
    let c = &inspect[0];
    let name = c["Name"].as_str().unwrap().trim_start_matches('/');
    let mut networks: Vec<(String, Vec<String>)> = c["NetworkSettings"]["Networks"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(network, ep)| {
            let id = c["Id"].as_str().unwrap();
            let mut aliases: Vec<String> = ep["Aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str())
                .filter(|a| !id.starts_with(a) && *a != name)
                .map(str::to_string)
                .collect();
            aliases.sort();
            aliases.dedup();
            let fixed = ep["IPAMConfig"]["IPv4Address"].as_str().unwrap_or_default();
            (format!("{network} {fixed}"), aliases)
        })
        .collect();
    networks.sort();
    let mut mounts: Vec<String> = c["Mounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{} {} {} rw={}",
                m["Type"], m["Name"], m["Destination"], m["RW"]
            )
        })
        .collect();
    mounts.sort();
    let mut env: Vec<&str> = c["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    env.sort();
    let labels: serde_json::Map<String, serde_json::Value> = c["Config"]["Labels"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !k.starts_with("com.docker.compose."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut binds: Vec<String> = c["HostConfig"]["Binds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b.as_str())
        .filter(|b| b.starts_with('/'))
        .map(|b| b.trim_end_matches(":rw").to_string())
        .collect();
    binds.sort();
    serde_json::json!({
        "env": env,
        "labels": labels,
        "user": c["Config"]["User"],
        "workdir": c["Config"]["WorkingDir"],
        "entrypoint": c["Config"]["Entrypoint"],
        "cmd": c["Config"]["Cmd"],
        "healthcheck": c["Config"]["Healthcheck"],
        "binds": binds,
        "tmpfs": c["HostConfig"]["Tmpfs"],
        "ports": c["HostConfig"]["PortBindings"],
        "restart": c["HostConfig"]["RestartPolicy"],
        "memory": c["HostConfig"]["Memory"],
        "cpu_quota": c["HostConfig"]["CpuQuota"],
        "caps": c["HostConfig"]["CapAdd"],
        "log": c["HostConfig"]["LogConfig"],
        "security": c["HostConfig"]["SecurityOpt"],
        "mounts": mounts,
        "networks": networks,
        "running": c["State"]["Running"],
    })
}

/// A container with a named volume, a read-only bind, a tmpfs, an anonymous volume, a
/// published port, two networks with aliases and a static IP, env with spaces and
/// `=`, labels, a restart policy, a user, a working directory, a memory limit, a
/// healthcheck, a custom entrypoint, an added capability, log and security options.
pub struct RichContainer {
    /// Its name.
    pub name: String,
    /// Its named volume.
    pub volume: String,
    /// Its anonymous volume.
    pub anonymous: String,
    /// Its two networks.
    pub networks: [String; 2],
}

impl RichContainer {
    /// Starts it; `cleanup` removes it, its volumes and (on drop) its networks.
    pub fn start(cleanup: &mut Cleanup, dir: &std::path::Path, env: &[&str]) -> RichContainer {
        let name = unique("app");
        let label = format!("io.safeops.test={}", cleanup.label);
        let (n1, n2) = (format!("{name}-front"), format!("{name}-back"));
        let subnet = format!("10.213.{}.0/24", std::process::id() % 250);
        docker(&["network", "create", "--label", &label, &n1]);
        docker(&[
            "network", "create", "--label", &label, "--subnet", &subnet, &n2,
        ]);
        let static_ip = subnet.replace(".0/24", ".42");
        let volume = format!("{name}-data");
        cleanup.volumes.push(volume.clone());
        cleanup.networks.extend([n1.clone(), n2.clone()]);
        cleanup.containers.push(name.clone());
        let config_dir = dir.join("cfg");
        std::fs::create_dir_all(&config_dir).unwrap();
        let port = (20000 + (std::process::id() % 20000)).to_string();
        let mut args: Vec<String> = [
            "run",
            "-d",
            "--name",
            &name,
            "--label",
            &label,
            "--label",
            "tier=web",
            "--network",
            &n1,
            "--network-alias",
            "web",
            "--restart",
            "unless-stopped",
            "--user",
            "1000:1000",
            "--workdir",
            "/tmp",
            "--memory",
            "64m",
            "--cpu-quota",
            "90000",
            "--health-cmd",
            "true",
            "--health-interval",
            "1s",
            "--entrypoint",
            "/bin/sh",
            "-e",
            "GREETING=hello world",
            "-e",
            "EQUATION=a=b=c",
            "--cap-add",
            "NET_ADMIN",
            "--log-opt",
            "max-size=1m",
            "--security-opt",
            "no-new-privileges",
            "--tmpfs",
            "/run:size=1m",
            "-v",
            "/scratch",
            "--mount",
            "type=volume,target=/mounted",
        ]
        .map(String::from)
        .to_vec();
        for entry in env {
            args.extend(["-e".to_string(), entry.to_string()]);
        }
        args.extend([
            "-v".into(),
            format!("{volume}:/data"),
            "-v".into(),
            format!("{}:/cfg:ro", config_dir.display()),
            "-p".into(),
            format!("{port}:80"),
            IMAGE.into(),
            "-c".into(),
            "sleep 3600".into(),
        ]);
        docker(&args.iter().map(String::as_str).collect::<Vec<_>>());
        docker(&[
            "network", "connect", "--alias", "api", "--ip", &static_ip, &n2, &name,
        ]);
        let anonymous = docker(&[
            "inspect",
            "-f",
            "{{range .Mounts}}{{if eq .Destination \"/scratch\"}}{{.Name}}{{end}}{{end}}",
            &name,
        ])
        .trim()
        .to_string();
        cleanup.volumes.push(anonymous.clone());
        let mounted = docker(&[
            "inspect",
            "-f",
            "{{range .Mounts}}{{if eq .Destination \"/mounted\"}}{{.Name}}{{end}}{{end}}",
            &name,
        ]);
        cleanup.volumes.push(mounted.trim().to_string());
        RichContainer {
            name,
            volume,
            anonymous,
            networks: [n1, n2],
        }
    }
}
