//! `doctor` against the real engine and compose v2: broken and healthy projects, real
//! container-to-container connections, a firewalld-like chain in a network namespace
//! of the test's own, backup age against an RPO, and redaction of secrets everywhere.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::fixture::Fixture;
use common::*;
use serde_json::Value;

const SECRET: &str = "Sup3r-Secret-Value-42";
/// A secret given on a command line, after a flag.
const ARG_SECRET: &str = "Arg-Secret-Value-77";

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report}"))
}

fn findings_about<'a>(check: &'a Value, subject: &str) -> Vec<&'a Value> {
    check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["subject"] == subject)
        .collect()
}

/// `doctor --format json` with its exit code and stderr.
fn doctor_json(cmd: &mut Command) -> (i32, Value, String) {
    let (code, stdout, stderr) = run(cmd.args(["--format", "json"]));
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, report, stderr)
}

fn write_policy(dir: &Path, text: &str) {
    let config = dir.join(".xdg-config/docker-safeops");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("policy.toml"), text).unwrap();
}

/// Polls `doctor` until `ready` holds for its report (containers need a moment to
/// crash, loop and turn unhealthy); the last report.
fn doctor_until(dir: &Path, args: &[&str], ready: impl Fn(&Value) -> bool) -> (i32, Value, String) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let outcome = doctor_json(safeops(dir).args(args));
        if ready(&outcome.1) || Instant::now() > deadline {
            return outcome;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn a_broken_project_gets_each_finding_from_the_right_check() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let project = unique("docbad");
    cleanup.projects.push(project.clone());
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("site")).unwrap();
    std::fs::write(
        dir.path().join("cache.env"),
        "CACHE_HOST=prod.example.com\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!(
            r#"services:
  early:
    image: {IMAGE}
    command: ["sh", "-c", "sleep 1; echo giving up; exit 3"]
  looping:
    image: {IMAGE}
    command: ["sh", "-c", "echo crash; exit 1"]
    restart: always
  sick:
    image: {IMAGE}
    command: ["sleep", "3600"]
    healthcheck:
      test: ["CMD-SHELL", "echo database unreachable; exit 1"]
      interval: 1s
      retries: 1
  fine:
    image: {IMAGE}
    command: ["sleep", "3600"]
    volumes: ["./site:/site"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
  leaky:
    image: {IMAGE}
    command: ["sh", "-c", "echo connecting with $$DB_PASSWORD; sleep 3600", "--password", "{ARG_SECRET}"]
    environment:
      DB_PASSWORD: "{SECRET}"
      UPSTREAM_URL: "https://prod.example.com/api"
  filed:
    image: {IMAGE}
    command: ["sleep", "3600"]
    env_file: [cache.env]
"#
        ),
    )
    .unwrap();
    write_policy(
        dir.path(),
        r#"
[environments.test]
engines = ["default"]
markers = ["test.example.com"]

[environments.prod]
engines = ["tcp://prod-engine.example.com:2376"]
markers = ["prod.example.com"]
"#,
    );
    compose(&["docker", "compose"], dir.path(), &project, &["up", "-d"]);
    // The bind source of `fine` disappears from the host after the start.
    std::fs::remove_dir(dir.path().join("site")).unwrap();

    let c = |service: &str| format!("container {project}-{service}-1");
    let (code, report, stderr) = doctor_until(dir.path(), &["doctor", &project], |r| {
        let containers = check(r, "containers");
        ["early", "looping", "sick"]
            .iter()
            .all(|s| !findings_about(containers, &c(s)).is_empty())
    });
    assert_eq!(code, 1, "{report:#}\n{stderr}");

    let containers = check(&report, "containers");
    assert_eq!(containers["status"], "fail", "{containers:#}");
    let early = findings_about(containers, &c("early"));
    assert!(
        early[0]["message"]
            .as_str()
            .unwrap()
            .contains("exited with code 3"),
        "{early:?}"
    );
    assert!(
        early[0]["message"]
            .as_str()
            .unwrap()
            .contains("after its start"),
        "{early:?}"
    );
    assert!(
        early[0]["details"].to_string().contains("giving up"),
        "the last log lines: {early:?}"
    );
    let looping = findings_about(containers, &c("looping"))[0]["message"].to_string();
    assert!(
        looping.contains("restart") && looping.contains("in the last hour"),
        "{looping}"
    );
    let sick = findings_about(containers, &c("sick"));
    assert!(sick[0]["message"].to_string().contains("unhealthy"));
    assert!(
        sick[0]["details"]
            .to_string()
            .contains("database unreachable"),
        "the last health-check output: {sick:?}"
    );
    assert!(findings_about(containers, &c("fine")).is_empty());
    assert!(findings_about(containers, &c("leaky")).is_empty());

    let mounts = check(&report, "mounts");
    assert_eq!(mounts["status"], "fail");
    assert!(
        findings_about(mounts, &c("fine"))[0]["message"]
            .to_string()
            .contains("is missing on the host"),
        "{mounts:#}"
    );

    let guard = check(&report, "env-guard");
    assert_eq!(guard["status"], "fail", "{guard:#}");
    let leak = findings_about(guard, &c("leaky"));
    assert_eq!(leak.len(), 1, "{guard:#}");
    let message = leak[0]["message"].as_str().unwrap();
    assert!(
        message.contains("env UPSTREAM_URL") && message.contains("environment prod"),
        "{message}"
    );
    let filed = findings_about(guard, &c("filed"));
    assert!(
        filed.iter().any(|f| f["message"]
            .as_str()
            .unwrap()
            .contains("cache.env: CACHE_HOST names prod.example.com")),
        "the compose env file is read too: {guard:#}"
    );

    // The ids are the ones --list-checks names.
    let (_, listed, _) = doctor_json(safeops(dir.path()).args(["doctor", "--list-checks"]));
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&report["checks"]), ids(&listed));
    let failed = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .count();
    assert_eq!(report["counts"]["fail"], failed as u64);

    // The table: ASCII marks off a terminal, findings with remedies, a closing count.
    let (code, table, _) = run(safeops(dir.path()).args(["doctor", &project]));
    assert_eq!(code, 1);
    assert!(table.contains("[x] Containers:"), "{table}");
    assert!(table.contains("fix: "), "{table}");
    assert!(table.contains("Doctor found issues:"), "{table}");

    // The secret is nowhere: table, JSON, debug logs, status, the report bundle.
    let bundle = dir.path().join("report.tar.gz");
    let (_, out, err) = run(safeops(dir.path()).args([
        "-D",
        "doctor",
        &project,
        "--report",
        bundle.to_str().unwrap(),
    ]));
    let (_, status_out, status_err) = run(safeops(dir.path()).args(["-D", "status", &project]));
    for text in [
        &out,
        &err,
        &table,
        &report.to_string(),
        &stderr,
        &status_out,
        &status_err,
    ] {
        assert!(!text.contains(SECRET), "the secret leaked: {text}");
    }
    assert!(err.contains("diagnosis bundle written"), "{err}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&bundle).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    let (code, listing, e) = run(Command::new("tar").arg("tvzf").arg(&bundle));
    assert_eq!(code, 0, "{e}");
    assert!(
        listing.lines().all(|l| l.starts_with("-rw-------")),
        "{listing}"
    );
    for wanted in [
        "safeops-doctor/doctor.json",
        "safeops-doctor/engine/info.json",
        "safeops-doctor/containers.txt",
        &format!("safeops-doctor/inspect/{project}-leaky-1.json"),
        &format!("safeops-doctor/logs/{project}-leaky-1.log"),
        &format!("safeops-doctor/compose/{project}.json"),
    ] {
        assert!(listing.contains(wanted), "{wanted} missing: {listing}");
    }
    let (code, _, e) = run(Command::new("tar")
        .arg("xzf")
        .arg(&bundle)
        .arg("-C")
        .arg(&unpacked));
    assert_eq!(code, 0, "{e}");
    for secret in [SECRET, ARG_SECRET] {
        let (code, found, _) = run(Command::new("grep").args(["-rl", secret]).arg(&unpacked));
        assert_eq!(code, 1, "{secret} is in the bundle: {found}");
    }
    // A report path in a directory that does not exist is an input error.
    let (code, _, err) = run(safeops(dir.path()).args([
        "doctor",
        &project,
        "--check",
        "engine",
        "--report",
        "/nonexistent-dir/r.tar.gz",
    ]));
    assert_eq!(code, 2, "{err}");
    let log = std::fs::read_to_string(
        unpacked.join(format!("safeops-doctor/logs/{project}-leaky-1.log")),
    )
    .unwrap();
    assert!(log.contains("connecting with ***"), "{log}");
}

#[test]
fn a_healthy_project_passes_and_strict_fails_on_warnings() {
    let (_cleanup, project, dir) = started_v2_project("docok", "");
    let doctor = |args: &[&str]| {
        let mut cmd = safeops(dir.path());
        cmd.env("SAFEOPS_BACKUP_DIR", dir.path().join("backups"))
            .args(["-p", &project, "doctor"])
            .args(args);
        cmd
    };
    let (code, report, stderr) = doctor_json(&mut doctor(&[]));
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(check(&report, "containers")["status"], "pass");
    assert_eq!(check(&report, "mounts")["status"], "pass");
    assert_eq!(check(&report, "env-guard")["status"], "skip");
    // A project with a volume and no backup: a warning, which --strict turns into exit 1.
    let age = check(&report, "backup-age");
    assert_eq!(age["status"], "warn", "{age:#}");
    assert_eq!(
        age["findings"][0]["subject"],
        format!("target {project}"),
        "{age:#}"
    );
    let (code, _, _) = run(&mut doctor(&["--strict"]));
    assert_eq!(code, 1);
    let (code, table, _) = run(&mut doctor(&["--check", "containers"]));
    assert_eq!(code, 0, "{table}");
    assert!(
        table.starts_with("[+] Containers: 1 containers, 1 running"),
        "{table}"
    );
    assert_eq!(
        table.lines().filter(|l| l.starts_with('[')).count(),
        1,
        "{table}"
    );
}

#[test]
fn container_to_container_connections_and_probes_are_tested_for_real() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let compose_file = |ports: &str, probes: &str| {
        format!(
            r#"services:
  server:
    image: {IMAGE}
    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && httpd -f -p 8080 -h /www"]
    expose: ["{ports}"]
    labels:
{probes}
    x-safeops:
      probes: ["tcp://:{ports}"]
  client:
    image: {IMAGE}
    command: ["sleep", "3600"]
"#
        )
    };
    let up = |name: &str, text: String| {
        let project = unique(name);
        let pdir = dir.path().join(&project);
        std::fs::create_dir(&pdir).unwrap();
        std::fs::write(pdir.join("compose.yaml"), text).unwrap();
        compose(&["docker", "compose"], &pdir, &project, &["up", "-d"]);
        project
    };
    let open = up(
        "docnet",
        compose_file(
            "8080",
            "      io.safeops.probe: \"http://:8080/index.html status=200 timeout=3s\"",
        ),
    );
    cleanup.projects.push(open.clone());
    let closed = up(
        "docshut",
        compose_file(
            "8081",
            "      io.safeops.probe.db: \"tcp://:9999 timeout=2s\"",
        ),
    );
    cleanup.projects.push(closed.clone());
    std::thread::sleep(Duration::from_millis(500));

    let (code, report, stderr) = doctor_until(
        dir.path(),
        &["doctor", &open, "--check", "network", "--check", "probes"],
        |r| check(r, "probes")["status"] == "pass",
    );
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    let network = check(&report, "network");
    assert_eq!(network["status"], "pass", "{network:#}");
    assert!(
        network["summary"]
            .as_str()
            .unwrap()
            .starts_with("1 connections tested on 1 networks, 0 failed"),
        "{network:#}"
    );
    assert_eq!(
        check(&report, "probes")["summary"],
        "2 of 2 probes answered as expected",
        "the label's and the compose file's"
    );

    let (code, report, _) = doctor_json(
        safeops(dir.path()).args(["doctor", &closed, "--check", "network", "--check", "probes"]),
    );
    assert_eq!(code, 1, "{report:#}");
    let network = check(&report, "network");
    // The path works and nothing listens: to look at, not a broken network.
    assert_eq!(network["status"], "warn", "{network:#}");
    let message = network["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "{closed}-client-1 cannot connect to {closed}-server-1"
        )) && message.contains(":8081")
            && message.contains("connection refused"),
        "{network:#}"
    );
    let probes = check(&report, "probes");
    assert_eq!(probes["status"], "fail");
    let messages = probes["findings"].to_string();
    assert!(
        messages.contains("tcp://:9999") && messages.contains("tcp://:8081"),
        "both the label's and the compose file's probe fail: {probes:#}"
    );
}

/// A network namespace of the test's own, deleted on drop.
struct Netns(String);

impl Netns {
    fn new() -> Netns {
        let name = unique("safeops-fw");
        let (code, _, err) = run(Command::new("ip").args(["netns", "add", &name]));
        assert_eq!(code, 0, "ip netns add: {err}");
        Netns(name)
    }

    fn exec(&self, argv: &[&str]) {
        let (code, _, err) = run(Command::new("ip")
            .args(["netns", "exec", &self.0])
            .args(argv));
        assert_eq!(code, 0, "{argv:?}: {err}");
    }

    /// `doctor --check firewall` inside the namespace: nft and iptables see its
    /// ruleset, the engine stays reachable through its unix socket.
    fn doctor(&self, dir: &Path) -> (i32, Value, String) {
        let cmd = safeops(dir);
        let program = cmd.get_program().to_owned();
        let mut inside = Command::new("nsenter");
        inside
            .arg(format!("--net=/run/netns/{}", self.0))
            .arg(program)
            .args(["doctor", "--check", "firewall"])
            .current_dir(dir);
        for (key, value) in cmd.get_envs() {
            match value {
                Some(value) => inside.env(key, value),
                None => inside.env_remove(key),
            };
        }
        doctor_json(&mut inside)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.0])
            .output();
    }
}

#[test]
fn the_firewall_check_finds_a_leftover_firewalld_chain() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let ns = Netns::new();
    let (code, report, stderr) = ns.doctor(dir.path());
    assert_eq!(code, 0, "a clean namespace passes: {report:#}\n{stderr}");
    assert_eq!(check(&report, "firewall")["status"], "pass");

    ns.exec(&["nft", "add", "table", "inet", "firewalld"]);
    ns.exec(&[
        "nft",
        "add chain inet firewalld filter_FORWARD { type filter hook forward priority filter + 10; policy drop; }",
    ]);
    let (code, report, _) = ns.doctor(dir.path());
    assert_eq!(code, 1, "{report:#}");
    let firewall = check(&report, "firewall");
    assert_eq!(firewall["status"], "fail");
    let finding = &firewall["findings"][0];
    assert_eq!(finding["subject"], "chain inet firewalld filter_FORWARD");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("filter_FORWARD of firewalld's table inet firewalld (policy drop)"),
        "{finding:#}"
    );
    assert!(
        finding["remedy"]
            .as_str()
            .unwrap()
            .contains("nft delete table inet firewalld"),
        "{finding:#}"
    );

    // Accepting what leaves the bridges is not enough: published ports still die.
    ns.exec(&[
        "nft",
        "insert rule inet firewalld filter_FORWARD iifname { \"docker0\", \"br-*\" } accept",
    ]);
    let (code, report, _) = ns.doctor(dir.path());
    assert_eq!(code, 1, "{report:#}");
    let message = check(&report, "firewall")["findings"][0]["message"].to_string();
    assert!(
        message.contains("connections to ports published on docker0")
            && !message.contains("connections from containers on docker0"),
        "{message}"
    );
    // With destination-NATed connections accepted too (firewalld's own way), it passes.
    ns.exec(&[
        "nft",
        "insert rule inet firewalld filter_FORWARD ct status dnat accept",
    ]);
    let (code, report, _) = ns.doctor(dir.path());
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn backup_age_fails_against_the_rpo_and_passes_after_a_backup() {
    let f = Fixture::new("docage");
    write_policy(
        f.dir.path(),
        &format!(
            "[backup]\nmax_age = \"30d\"\n\n[backup.targets.{}]\nmax_age = \"1m\"\n",
            f.container
        ),
    );
    let args = ["doctor", f.container.as_str(), "--check", "backup-age"];
    let (code, report, _) = doctor_json(f.safeops().args(args));
    assert_eq!(code, 1, "{report:#}");
    let age = check(&report, "backup-age");
    assert!(
        age["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("has no verified backup (its RPO is 1m)"),
        "{age:#}"
    );
    f.backup(&[]);
    let (code, report, _) = doctor_json(f.safeops().args(args));
    assert_eq!(code, 0, "{report:#}");
    let summary = check(&report, "backup-age")["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(summary.contains("(RPO 1m)"), "{summary}");

    write_policy(f.dir.path(), "[backup]\nmax_age = \"soon\"\n");
    let (code, report, _) = doctor_json(f.safeops().args(args));
    assert_eq!(code, 1);
    assert!(
        report.to_string().contains("is not a duration"),
        "{report:#}"
    );
}

#[test]
fn a_backup_location_that_is_no_location_fails_backup_age() {
    let f = Fixture::new("docbadloc");
    let args = ["doctor", f.container.as_str(), "--check", "backup-age"];
    let (code, report, _) = doctor_json(
        f.safeops()
            .env("SAFEOPS_BACKUP_DIR", "sftp:backuphost")
            .args(args),
    );
    assert_eq!(code, 1, "{report:#}");
    let age = check(&report, "backup-age");
    assert_eq!(age["status"], "fail", "{age:#}");
    assert!(
        age["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("sftp:backuphost"),
        "{age:#}"
    );
}

#[test]
fn an_unreachable_engine_fails_the_engine_check_and_skips_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report, _) =
        doctor_json(safeops(dir.path()).args(["-H", "unix:///nonexistent/docker.sock", "doctor"]));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(check(&report, "engine")["status"], "fail");
    assert_eq!(report["counts"]["skip"], 7, "{report:#}");
}
