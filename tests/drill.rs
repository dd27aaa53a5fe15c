//! Restore drills against the real engine: a PostgreSQL compose project's backup comes
//! up on scratch volumes in isolation and dumps, production is not touched, nothing is
//! left behind; a backup with corrupted volume content fails its drill; an interrupted
//! drill is cleaned up by the next one.

mod common;

use std::time::{Duration, Instant};

use common::fixture::*;
use common::*;

const POSTGRES_IMAGE: &str = "safeops-test/postgres:local";

/// What drills of `backup` (a backup directory) created that is still there.
/// What a drill of the plain backup `backup` left behind.
fn leftovers_of(backup: &std::path::Path) -> String {
    drill_leftovers(&backup.file_name().unwrap().to_string_lossy())
}

/// The plugin with its backups and state inside `dir`.
fn in_dir(dir: &std::path::Path) -> std::process::Command {
    let mut cmd = safeops(dir);
    cmd.env("SAFEOPS_BACKUP_DIR", dir.join("backups"))
        .env("XDG_STATE_HOME", dir.join("state"));
    cmd
}

fn started_at(container: &str) -> String {
    docker(&["inspect", "-f", "{{.State.StartedAt}}", container])
}

#[test]
fn a_postgres_project_is_drilled_in_isolation_and_nothing_is_left_behind() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let project = unique("pgdrill");
    cleanup.projects.push(project.clone());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!(
            r#"services:
  db:
    image: {IMAGE}
    command: ["sleep", "3600"]
    volumes: ["data:/data"]
  pg:
    image: {POSTGRES_IMAGE}
    volumes: ["pgdata:/var/lib/postgresql/data"]
    ports: ["5432"]
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "postgres"]
      interval: 1s
      retries: 30
volumes:
  data: {{}}
  pgdata: {{}}
"#
        ),
    )
    .unwrap();
    compose(&["docker", "compose"], dir.path(), &project, &["up", "-d"]);
    let pg = format!("{project}-pg-1");
    let deadline = Instant::now() + Duration::from_secs(90);
    while docker(&["inspect", "-f", "{{.State.Health.Status}}", &pg]).trim() != "healthy" {
        assert!(Instant::now() < deadline, "postgres did not become healthy");
        std::thread::sleep(Duration::from_millis(300));
    }
    docker(&[
        "exec",
        &pg,
        "psql",
        "-U",
        "postgres",
        "-c",
        "create table orders(id int); insert into orders values (1), (2);",
    ]);
    let backups = dir.path().join("backups");
    let state = dir.path().join("state");
    let safeops_here = || {
        let mut cmd = safeops(dir.path());
        cmd.args(["-p", &project])
            .env("SAFEOPS_BACKUP_DIR", &backups)
            .env("XDG_STATE_HOME", &state);
        cmd
    };
    let (code, _, stderr) = run(safeops_here().args(["backup", "-t", "10"]));
    assert_eq!(code, 0, "{stderr}");
    let before = [started_at(&pg), started_at(&format!("{project}-db-1"))];

    let (code, stdout, stderr) = run(safeops_here().args(["drill", "--format", "json"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["outcome"], "passed", "{report:#}");
    assert!(report["rto_seconds"].as_f64().unwrap() > 0.0, "{report:#}");
    let checks = report["checks"].as_array().unwrap();
    let dump = checks
        .iter()
        .find(|c| c["name"] == "db-dump pg" || c["name"] == format!("db-dump {pg}"))
        .unwrap_or_else(|| panic!("no dump check: {report:#}"));
    assert_eq!(dump["status"], "pass", "{dump}");
    assert!(
        checks
            .iter()
            .any(|c| c["name"] == "restore" && c["status"] == "pass")
    );

    let drilled = std::path::Path::new(report["backup"].as_str().unwrap());
    assert_eq!(
        leftovers_of(drilled).trim(),
        "",
        "the drill removed what it created"
    );
    let after = [started_at(&pg), started_at(&format!("{project}-db-1"))];
    assert_eq!(
        before, after,
        "production was neither stopped nor restarted"
    );
    let listed = json(safeops_here().args(["backups", "--format", "json"]));
    assert_eq!(listed[0]["last_drill"]["outcome"], "passed", "{listed:#}");
    let log = std::fs::read_to_string(state.join("docker-safeops/audit.log")).unwrap_or_default();
    assert!(log.contains("\"verb\":\"drill\""), "{log}");
}

/// In a directory shared by hosts, a target with no backup from this host and backups
/// from several others is ambiguous: the drill asks for the backup's ID.
#[test]
fn a_target_only_several_other_hosts_backed_up_is_no_guess() {
    let f = Fixture::new("drillhosts");
    f.exec("echo v > /data/f");
    let ours = f.backup(&[]);
    let as_host = |host: &str| {
        let copy = ours.with_file_name(format!("{}-{host}", f.container));
        copy_dir(&ours, &copy);
        let manifest = copy.join("manifest.json");
        let mut doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
        doc["host"] = host.into();
        std::fs::write(&manifest, serde_json::to_vec(&doc).unwrap()).unwrap();
        copy
    };
    let (_a, b) = (as_host("host-a"), as_host("host-b"));
    std::fs::remove_dir_all(&ours).unwrap();
    // A directory of the target's name where the drill runs (a project's) is no backup.
    std::fs::create_dir(f.dir.path().join(&f.container)).unwrap();
    let (code, _, stderr) = run(f.safeops().args(["drill", &f.container]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("several hosts (host-a, host-b)"),
        "{stderr}"
    );
    // One other host's backups are taken (a drill on a new machine).
    std::fs::remove_dir_all(&b).unwrap();
    let (_, _, stderr) = run(f.safeops().args(["drill", &f.container]));
    assert!(!stderr.contains("several hosts"), "{stderr}");
}

#[test]
fn a_backup_with_corrupted_volume_content_fails_its_drill() {
    let f = Fixture::new("drillbad");
    f.exec("echo precious > /data/file");
    let backup = f.backup(&[]);
    // Other bytes under the same name, every checksum of the backup recomputed: only
    // the per-file digests can tell.
    let mut tar = Vec::new();
    raw_tar_entry(
        &mut tar,
        b"file",
        tar::EntryType::Regular,
        b"",
        b"garbage\n",
    );
    plant_archive(&backup, &f.volume, &tar);
    let (code, stdout, stderr) =
        run(f
            .safeops()
            .args(["drill", backup.to_str().unwrap(), "--format", "json"]));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["outcome"], "failed");
    assert_eq!(report["rto_seconds"], serde_json::Value::Null);
    assert_eq!(leftovers_of(&backup).trim(), "");
}

#[test]
fn an_interrupted_drill_is_cleaned_up_by_the_next_one() {
    let f = Fixture::new("drillkill");
    f.exec("echo data > /data/file");
    let backup = f.backup(&[]);
    // A drill killed once its copy of the container exists (SIGKILL: no cleanup of
    // its own).
    let mut drill = f
        .safeops()
        .args(["drill", backup.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let started = docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!(
                "label=io.safeops.drill.backup={}",
                backup.file_name().unwrap().to_string_lossy()
            ),
        ]);
        if !started.trim().is_empty() {
            break;
        }
        assert!(drill.try_wait().unwrap().is_none(), "the drill ended first");
        assert!(
            Instant::now() < deadline,
            "the drill never created its container"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&drill, "-KILL");
    drill.wait().unwrap();
    assert!(
        !leftovers_of(&backup).trim().is_empty(),
        "the killed drill left its objects"
    );

    let (code, _, stderr) = run(f.safeops().args(["drill", backup.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("removed what an interrupted drill left"),
        "{stderr}"
    );
    assert_eq!(leftovers_of(&backup).trim(), "");
}

/// Ctrl-C while the drill restores its copy: exit 130, and nothing is left behind, not
/// even for the next command (the restore inside settles its journal before the drill
/// removes what it made).
#[test]
fn ctrl_c_while_a_drill_restores_leaves_nothing_behind() {
    let f = Fixture::new("drillint");
    f.exec("dd if=/dev/urandom of=/data/big bs=1M count=200 2>/dev/null");
    let backup = f.backup(&[]);
    let name = backup.file_name().unwrap().to_string_lossy().to_string();
    let mut drill = f
        .safeops()
        .args(["drill", backup.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let filter = format!("label=io.safeops.drill.backup={name}");
    let deadline = Instant::now() + Duration::from_secs(60);
    // Until the restore writes into the scratch volume.
    loop {
        let volume = docker(&["volume", "ls", "-q", "--filter", &filter]);
        let writing = volume.lines().next().is_some_and(|v| {
            std::fs::read_dir(fixture::mountpoint(v.trim())).is_ok_and(|mut d| d.next().is_some())
        });
        if writing {
            break;
        }
        assert!(drill.try_wait().unwrap().is_none(), "the drill ended first");
        assert!(Instant::now() < deadline, "the drill never restored");
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(&drill, "-INT");
    let out = drill.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert_eq!(leftovers_of(&backup).trim(), "", "{stderr}");
    let journals = f.dir.path().join("state/docker-safeops/journal");
    let left: Vec<_> = std::fs::read_dir(&journals)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name())
                .filter(|n| n.to_string_lossy().ends_with(".json"))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "journals left to the next command: {left:?}"
    );
}

/// A failed drill shows its copy's last log lines: masked in `--format json` (mailed by
/// cron) as on the terminal.
#[test]
fn a_failed_drills_json_masks_the_secrets_its_logs_hold() {
    let mut f = Fixture::new("drillsecret");
    let app = format!("{}-app", f.container);
    f.cleanup.containers.push(app.clone());
    // Runs once; a copy of it, on a restored volume that says so, fails.
    docker(&[
        "run",
        "-d",
        "--name",
        &app,
        "-v",
        &format!("{}:/data", f.volume),
        IMAGE,
        "sh",
        "-c",
        "echo DATABASE_URL=postgres://app:hunter2secret@db/app; \
         if [ -e /data/seen ]; then exit 3; fi; touch /data/seen; sleep 3600",
    ]);
    let backup = json(
        f.safeops()
            .args(["backup", &app, "--no-quiesce", "--format", "json"]),
    );
    let path = backup["path"].as_str().unwrap();
    let (code, stdout, stderr) = run(f.safeops().args(["drill", path, "--format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["outcome"], "failed", "{report:#}");
    assert!(stdout.contains("exit"), "the logs are shown: {stdout}");
    assert!(!stdout.contains("hunter2secret"), "{stdout}");
}

#[test]
fn doctor_and_the_metrics_file_follow_backups_and_drills() {
    let f = Fixture::new("drillrpo");
    f.exec("echo data > /data/file");
    let config = f.dir.path().join(".xdg-config/docker-safeops");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("policy.toml"),
        format!("[backup.targets.{}]\nmax_drill_age = \"1m\"\n", f.container),
    )
    .unwrap();
    let metrics = f.dir.path().join("textfile/safeops.prom");
    std::fs::create_dir_all(metrics.parent().unwrap()).unwrap();
    let metrics_flag = ["--metrics-file", metrics.to_str().unwrap()];
    let backup = f.backup(&metrics_flag);
    let doctor = || {
        let (code, stdout, _) = run(f.safeops().args([
            "doctor",
            &f.container,
            "--check",
            "backup-age",
            "--format",
            "json",
        ]));
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        (code, report["checks"][0].clone())
    };
    let (code, age) = doctor();
    assert_eq!(code, 1, "{age:#}");
    assert!(
        age["findings"]
            .to_string()
            .contains("no passed restore drill"),
        "{age:#}"
    );
    let (code, _, stderr) = run(f
        .safeops()
        .args(["drill", backup.to_str().unwrap()])
        .args(metrics_flag));
    assert_eq!(code, 0, "{stderr}");
    let (code, age) = doctor();
    assert_eq!(code, 0, "{age:#}");

    let (code, out, err) = run(std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&metrics).unwrap()));
    assert_eq!(code, 0, "promtool: {out}{err}");
    let text = std::fs::read_to_string(&metrics).unwrap();
    let target = format!("{{target=\"{}\"}}", f.container);
    for series in [
        "docker_safeops_backup_last_success",
        "docker_safeops_backup_last_files",
        "docker_safeops_drill_last_rto_seconds",
        "docker_safeops_drill_failures_total",
    ] {
        assert!(
            text.contains(&format!("{series}{target} ")),
            "{series}:\n{text}"
        );
    }
    assert!(
        text.contains(&format!("docker_safeops_backup_last_files{target} 1\n")),
        "{text}"
    );
    // A backup (a scheduled one) that cannot reach its engine is a failure too: in the
    // metrics and the audit log, which doctor reads.
    let (code, _, stderr) = run(f
        .safeops()
        .args(["-H", "tcp://127.0.0.1:1", "backup", &f.container])
        .args(metrics_flag));
    assert_eq!(code, 5, "{stderr}");
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        text.contains(&format!("docker_safeops_backup_failures_total{target} 1\n")),
        "{text}"
    );
    let (_, log, _) = run(f.safeops().arg("log"));
    assert!(
        log.lines()
            .last()
            .is_some_and(|l| l.contains(&format!("backup {}: failed", f.container))),
        "{log}"
    );
    // Another schedule's file in the same collector directory holds its own target's
    // series only: the collector refuses a series two files hold.
    let other = f.dir.path().join("textfile/other.prom");
    let unreachable = |target: &str, file: &std::path::Path| {
        run(f
            .safeops()
            .args([
                "-H",
                "tcp://127.0.0.1:1",
                "backup",
                target,
                "--metrics-file",
            ])
            .arg(file))
    };
    assert_eq!(unreachable("elsewhere", &other).0, 5);
    assert_eq!(unreachable(&f.container, &metrics).0, 5);
    let (ours, theirs) = (
        std::fs::read_to_string(&metrics).unwrap(),
        std::fs::read_to_string(&other).unwrap(),
    );
    assert!(!ours.contains("elsewhere"), "{ours}");
    assert!(
        theirs.contains("elsewhere") && !theirs.contains(&target),
        "{theirs}"
    );
}

/// A safety backup made before a restore or a `down -v` (newer, and holding part of
/// the target and no containers) is not what `drill TARGET` drills, nor does its drill
/// count for the target's.
#[test]
fn drill_of_a_target_takes_its_newest_backup_not_a_safety_backup() {
    let f = Fixture::new("drillsafety");
    f.exec("echo v > /data/f");
    let ours = f.backup(&[]);
    let safety = ours.with_file_name(format!("{}-safety", f.container));
    copy_dir(&ours, &safety);
    let manifest = safety.join("manifest.json");
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    doc["purpose"] = "before restore of something".into();
    doc["created"] = "2099-01-01T00:00:00Z".into();
    std::fs::write(&manifest, serde_json::to_vec(&doc).unwrap()).unwrap();
    let (code, stdout, stderr) = run(f
        .safeops()
        .args(["drill", &f.container, "--format", "json"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["backup"].as_str(),
        ours.file_name().and_then(|n| n.to_str()),
        "drilled the backup, not the safety backup: {report:#}"
    );
}

/// The image a backed-up container ran, pruned since: the drill runs what its reference
/// names now, and says so; with neither on the engine it fails saying how to get it.
#[test]
fn a_drill_whose_image_was_pruned_runs_its_reference_or_says_what_is_missing() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let name = unique("drillimg");
    let image = format!("safeops-test/{name}:v1");
    common::second::commit_image(IMAGE, &image, "echo 1 > /version", &[]);
    let ran = docker(&["image", "inspect", "-f", "{{.Id}}", &image]);
    cleanup
        .images
        .extend([ran.trim().to_string(), image.clone()]);
    cleanup.containers.push(name.clone());
    let volume = format!("{name}-data");
    cleanup.volumes.push(volume.clone());
    let label = format!("io.safeops.test={}", cleanup.label);
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        &label,
        "-v",
        &format!("{volume}:/data"),
        &image,
        "sleep",
        "3600",
    ]);
    let here = || in_dir(dir.path());
    let (code, _, stderr) = run(here().args(["backup", &name, "-t", "0"]));
    assert_eq!(code, 0, "{stderr}");
    // A new build under the same tag; the container and the image it ran are gone.
    common::second::commit_image(IMAGE, &image, "echo 2 > /version", &[]);
    let built = docker(&["image", "inspect", "-f", "{{.Id}}", &image]);
    cleanup.images.push(built.trim().to_string());
    docker(&["rm", "-f", &name]);
    docker(&["rmi", ran.trim()]);
    let (code, stdout, stderr) = run(here().args(["drill", &name, "--format", "json"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let said = report["checks"].as_array().unwrap().iter().any(|c| {
        c["message"]
            .as_str()
            .is_some_and(|m| m.contains("no longer on this engine"))
    });
    assert!(said, "{report:#}");
    docker(&["rmi", &image]);
    let (code, stdout, stderr) = run(here().args(["drill", &name]));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains(&format!("docker pull {image}")),
        "{stdout}\n{stderr}"
    );
}

/// `drill SERVICE-CONTAINER` drills its project's backup, as `backup` names it.
#[test]
fn drill_of_a_projects_container_drills_the_project() {
    let (_cleanup, project, dir) = started_v2_project("drillname", "");
    let here = || in_dir(dir.path());
    let container = format!("{project}-db-1");
    let (code, _, stderr) = run(here().args(["backup", &container, "-t", "0"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run(here().args(["drill", &container, "--format", "json"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["target"], project.as_str(), "{report:#}");
}

/// The newest backup in `f`'s backup directory.
fn newest_backup(f: &Fixture) -> std::path::PathBuf {
    let backups = json(f.safeops().args(["backups", "--format", "json"]));
    std::path::PathBuf::from(backups[0]["path"].as_str().unwrap())
}

/// `drill BACKUP --format json ...` in `f`'s state: exit code and report.
fn drill_json(f: &Fixture, backup: &std::path::Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let (code, stdout, stderr) = run(f
        .safeops()
        .args(["drill", backup.to_str().unwrap(), "--format", "json"])
        .args(extra));
    let report =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (code, report)
}

#[test]
fn drill_copies_share_nothing_with_production_and_one_shots_are_judged_by_their_exit() {
    let f = Fixture::new("drilliso");
    let label = format!("io.safeops.test={}", f.cleanup.label);
    let peer = format!("{}-peer", f.container);
    let shot = format!("{}-shot", f.container);
    let crash = format!("{}-crash", f.container);
    // A container in production's pid and ipc namespaces, with a device.
    docker(&[
        "run",
        "-d",
        "--name",
        &peer,
        "--label",
        &label,
        "--pid",
        &format!("container:{}", f.container),
        "--device",
        "/dev/zero:/dev/xprod",
        "--label",
        "traefik.http.routers.shop.rule=Host(`shop.example`)",
        "-v",
        &format!("{}:/data", f.volume),
        IMAGE,
        "sleep",
        "600",
    ]);
    let (code, _, stderr) = run(f.safeops().args(["backup", &peer, "--no-quiesce"]));
    assert_eq!(code, 0, "{stderr}");
    let backup = newest_backup(&f);
    let (code, report) = drill_json(&f, &backup, &["--keep-running"]);
    assert_eq!(code, 0, "{report:#}");
    let copies = docker(&[
        "ps",
        "-q",
        "--filter",
        &format!(
            "label=io.safeops.drill.backup={}",
            backup.file_name().unwrap().to_string_lossy()
        ),
    ]);
    let copy = copies.split_whitespace().next().expect("the copy runs");
    // The copy is no target of the operator's: status does not list it (doctor would
    // want a backup of it).
    let copy_name = docker(&["inspect", "-f", "{{.Name}}", copy]);
    let status = json(f.safeops().args(["status", "--format", "json"]));
    assert!(
        !status
            .to_string()
            .contains(copy_name.trim().trim_start_matches('/')),
        "{status:#}"
    );
    // Kept on purpose: a drill run with another state directory (another user, a
    // cron job's) leaves it alone.
    let elsewhere = f.dir.path().join("other-state");
    let (code, _, stderr) = run(f
        .safeops()
        .env("XDG_STATE_HOME", &elsewhere)
        .args(["drill", backup.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    docker(&["inspect", "-f", "{{.State.Running}}", copy]);
    let host = docker(&[
        "inspect",
        "-f",
        "{{.HostConfig.PidMode}}|{{json .HostConfig.Devices}}|{{.HostConfig.NetworkMode}}",
        copy,
    ]);
    assert!(
        host.starts_with("||") || host.starts_with("|[]|") || host.starts_with("|null|"),
        "{host}"
    );
    assert!(
        report["checks"].to_string().contains("PidMode"),
        "{report:#}"
    );
    // A reverse proxy that finds containers by their labels never sees the copy.
    let labels = docker(&["inspect", "-f", "{{json .Config.Labels}}", copy]);
    assert!(!labels.contains("traefik"), "{labels}");
    // safeops' own labels (probes, dump kind) stay for the drill's checks.
    assert!(labels.contains("io.safeops.test"), "{labels}");
    assert!(
        report["checks"].to_string().contains("1 label(s) of"),
        "{report:#}"
    );
    for kind in ["rm -f", "volume rm", "network rm"] {
        let what = match kind {
            "rm -f" => "ps",
            "volume rm" => "volume",
            _ => "network",
        };
        let mut args = vec![what];
        if what == "ps" {
            args.push("-a");
        } else {
            args.push("ls");
        }
        let filter = format!(
            "label=io.safeops.drill.backup={}",
            backup.file_name().unwrap().to_string_lossy()
        );
        args.extend(["-q", "--filter", &filter]);
        for id in docker(&args).split_whitespace() {
            let mut remove: Vec<&str> = kind.split(' ').collect();
            remove.push(id);
            docker(&remove);
        }
    }

    // A one-shot container (exited 0 when backed up) passes by running to completion.
    docker(&[
        "run",
        "--name",
        &shot,
        "--label",
        &label,
        "-v",
        &format!("{}:/data", f.volume),
        IMAGE,
        "sh",
        "-c",
        "echo migrated > /data/m",
    ]);
    let (code, _, stderr) = run(f.safeops().args(["backup", &shot]));
    assert_eq!(code, 0, "{stderr}");
    let newest = newest_backup(&f);
    let (code, report) = drill_json(&f, &newest, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(
        report["checks"].to_string().contains("ran to completion"),
        "{report:#}"
    );

    // A service that dies three seconds after its start did not recover.
    docker(&[
        "run",
        "-d",
        "--name",
        &crash,
        "--label",
        &label,
        "-v",
        &format!("{}:/data", f.volume),
        IMAGE,
        "sh",
        "-c",
        "sleep 3; exit 1",
    ]);
    let (code, _, stderr) = run(f.safeops().args(["backup", &crash, "--no-quiesce"]));
    assert_eq!(code, 0, "{stderr}");
    let newest = newest_backup(&f);
    let (code, report) = drill_json(&f, &newest, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["outcome"], "failed");
}

/// Through the Engine API, and for a service whose image has no shell (distroless):
/// the scratch copies are written in place, with nothing to switch.
#[test]
fn a_drill_through_the_engine_api_restores_without_a_helper_image() {
    let mut f = Fixture::new("drillapi");
    f.exec("echo data > /data/file");
    let image = format!("safeops-test/{}:nosh", f.container);
    f.cleanup.images.push(image.clone());
    let context = f.dir.path().join("nosh");
    std::fs::create_dir(&context).unwrap();
    std::fs::write(
        context.join("Dockerfile"),
        format!("FROM scratch\nCOPY --from={IMAGE} /bin/busybox /bin/sleep\n"),
    )
    .unwrap();
    let built = std::process::Command::new("docker")
        .args(["build", "-q", "-t", &image])
        .arg(&context)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let service = format!("{}-nosh", f.container);
    let label = format!("io.safeops.test={}", f.cleanup.label);
    let mount = format!("{}:/data", f.volume);
    docker(&[
        "run",
        "-d",
        "--name",
        &service,
        "--label",
        &label,
        "-v",
        &mount,
        &image,
        "/bin/sleep",
        "3600",
    ]);
    let (code, stdout, stderr) = run(f
        .safeops()
        .args(["backup", &service, "-t", "0", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let backup: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let backup = std::path::PathBuf::from(backup["path"].as_str().unwrap());
    let (code, stdout, stderr) = run(f
        .safeops()
        .env("SAFEOPS_VOLUME_ACCESS", "api")
        .env_remove("SAFEOPS_HELPER_IMAGE")
        .args(["drill", backup.to_str().unwrap(), "--format", "json"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["outcome"], "passed", "{report:#}");
    assert_eq!(leftovers_of(&backup).trim(), "");
}

/// A service stopped for a cold backup runs on in the drill: it is judged as a service,
/// by its health, not passed for being still up when a one-shot job would have ended.
#[test]
fn a_service_backed_up_stopped_is_judged_by_its_health() {
    let f = Fixture::new("drillcold");
    let label = format!("io.safeops.test={}", f.cleanup.label);
    let cold = format!("{}-cold", f.container);
    let health = [
        "--health-cmd",
        "test -f /data/ready",
        "--health-interval",
        "1s",
        "--health-timeout",
        "1s",
        "--health-retries",
        "1",
    ];
    let mount = format!("{}:/data", f.volume);
    let mut options = health.to_vec();
    options.extend(["-v", &mount]);
    run_sleeping(&cold, &label, &options);
    docker(&["stop", "-t", "0", &cold]);
    let (code, _, stderr) = run(f.safeops().args(["backup", &cold]));
    assert_eq!(code, 0, "{stderr}");
    let (code, report) = drill_json(&f, &newest_backup(&f), &[]);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        report["checks"].to_string().contains("unhealthy"),
        "{report:#}"
    );
}
