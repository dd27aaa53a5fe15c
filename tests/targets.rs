//! Targets, modes and `status` against the real engine and the real compose CLIs.

mod common;

use std::path::Path;

use common::*;

fn target<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no target {name} in {report}"))
}

fn volume<'a>(target: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    target["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no volume {name} in {target}"))
}

#[test]
fn compose_v2_project_in_compose_mode() {
    let (_cleanup, project, dir) = started_v2_project("v2p", "x-safeops:\n  protect: [data]\n");
    docker(&[
        "exec",
        &format!("{project}-db-1"),
        "sh",
        "-c",
        "echo payload > /data/file",
    ]);

    let report = json(safeops(dir.path()).args(["-p", &project, "status", "--format", "json"]));
    let t = target(&report, &project);
    assert_eq!(t["mode"], "compose", "{t}");
    assert!(
        t["compose_cli"]
            .as_str()
            .unwrap()
            .starts_with("docker compose 2."),
        "{t}"
    );
    assert_eq!(t["containers"][0]["name"], format!("{project}-db-1"));
    assert_eq!(t["containers"][0]["service"], "db");
    assert_eq!(t["containers"][0]["state"], "running");
    assert_eq!(t["containers"][0]["restart_count"], 0);
    let v = volume(t, &format!("{project}_data"));
    assert_eq!(v["declared_as"], "data");
    assert_eq!(v["protected"], true);
    assert_eq!(v["protection_rule"], "compose-file");
    assert!(v["size_bytes"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["used_by"][0], format!("{project}-db-1"));
    assert_eq!(v["last_backup"], serde_json::Value::Null);

    // The table, from the project directory with no flags (compose's own discovery).
    std::fs::write(
        dir.path().join(".env"),
        format!("COMPOSE_PROJECT_NAME={project}\n"),
    )
    .unwrap();
    let (code, stdout, stderr) = run(safeops(dir.path()).arg("status"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("PROJECT {project}")), "{stdout}");
    assert!(
        stdout.contains(&format!("{project}-db-1")) && stdout.contains(&format!("{project}_data")),
        "{stdout}"
    );
    assert!(
        stdout.contains("VOLUME") && stdout.contains("PROTECTED"),
        "{stdout}"
    );
}

#[test]
fn compose_v1_project_and_naming() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let project = unique("v1p");
    cleanup.projects.push(project.clone());
    let dir = tempfile::tempdir().unwrap();
    write_compose(dir.path(), "");
    compose(&[COMPOSE_V1], dir.path(), &project, &["up", "-d"]);
    docker(&[
        "exec",
        &format!("{project}_db_1"),
        "sh",
        "-c",
        "echo x > /data/f",
    ]);
    // Only compose v1 on PATH.
    let path = path_with(dir.path(), &[("docker-compose", Path::new(COMPOSE_V1))]);
    let report = json(
        safeops(dir.path())
            .env("PATH", &path)
            .args(["-p", &project, "status", "--format", "json"]),
    );
    let t = target(&report, &project);
    assert_eq!(t["mode"], "compose", "{t}");
    assert!(
        t["compose_cli"]
            .as_str()
            .unwrap()
            .starts_with("docker-compose 1."),
        "{t}"
    );
    assert_eq!(t["containers"][0]["name"], format!("{project}_db_1"));
    assert_eq!(volume(t, &format!("{project}_data"))["protected"], true);
}

#[test]
fn run_mode_without_a_compose_cli() {
    let (_cleanup, project, dir) = started_v2_project("nocli", "");
    let path = path_with(dir.path(), &[]);
    let mut cmd = safeops(dir.path());
    cmd.env("PATH", &path)
        .args(["-p", &project, "status", "--format", "json"]);
    let (code, stdout, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("note: running in run mode: no compose CLI"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let t = target(&report, &project);
    assert_eq!(t["mode"], "run");
    // The built-in loader still resolves the declared volume.
    assert_eq!(volume(t, &format!("{project}_data"))["declared_as"], "data");
    assert_eq!(t["containers"][0]["name"], format!("{project}-db-1"));
}

#[test]
fn run_mode_when_the_compose_files_are_gone() {
    let (_cleanup, project, dir) = started_v2_project("gone", "");
    std::fs::remove_file(dir.path().join("compose.yaml")).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    // By name: through its containers' labels.
    let (code, stdout, stderr) =
        run(safeops(elsewhere.path()).args(["status", &project, "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("its compose files are gone"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let t = target(&report, &project);
    assert_eq!(t["mode"], "run");
    // The volume is still found, by compose's volume label and by its mount.
    assert_eq!(
        volume(t, &format!("{project}_data"))["used_by"][0],
        format!("{project}-db-1")
    );
    // -p works the same when no compose file is around.
    let report =
        json(safeops(elsewhere.path()).args(["-p", &project, "status", "--format", "json"]));
    assert_eq!(target(&report, &project)["mode"], "run");
}

#[test]
fn run_mode_for_containers_started_with_docker_run() {
    require_engine();
    let cleanup = Cleanup::new();
    let project = unique("norun");
    let dir = tempfile::tempdir().unwrap();
    write_compose(dir.path(), "");
    let label = format!("io.safeops.test={}", cleanup.label);
    // Production style: the same names compose would use, but no compose labels (v1 naming).
    let name = format!("{project}_db_1");
    docker(&[
        "volume",
        "create",
        "--label",
        &label,
        &format!("{project}_data"),
    ]);
    docker(&[
        "run",
        "-d",
        "--label",
        &label,
        "--name",
        &name,
        "-v",
        &format!("{project}_data:/data"),
        IMAGE,
        "sleep",
        "3600",
    ]);
    let (code, stdout, stderr) =
        run(safeops(dir.path()).args(["-p", &project, "status", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("started without compose"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let t = target(&report, &project);
    assert_eq!(t["mode"], "run");
    assert_eq!(t["containers"][0]["name"], name);
    // The declared volume was not created by this project: foreign, so protected.
    let v = volume(t, &format!("{project}_data"));
    assert_eq!(
        (v["protected"].as_bool(), v["protection_rule"].as_str()),
        (Some(true), Some("foreign"))
    );

    // A standalone container is a target of its own, by name.
    let report = json(
        safeops(tempfile::tempdir().unwrap().path()).args(["status", &name, "--format", "json"]),
    );
    let t = target(&report, &name);
    assert_eq!(
        (t["kind"].as_str(), t["mode"].as_str()),
        (Some("container"), Some("run"))
    );
}

#[test]
fn unknown_targets_list_what_exists() {
    require_engine();
    let cleanup = Cleanup::new();
    let name = unique("known");
    docker(&[
        "run",
        "-d",
        "--label",
        &format!("io.safeops.test={}", cleanup.label),
        "--name",
        &name,
        IMAGE,
        "sleep",
        "3600",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(safeops(dir.path()).args(["status", "no-such-target"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no-such-target") && stderr.contains(&name),
        "{stderr}"
    );
}

#[test]
fn malformed_compose_files_name_file_and_line() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: x\n   bad: [\n",
    )
    .unwrap();
    // With compose v2, v1 and without any compose CLI (built-in loader).
    let none = path_with(dir.path(), &[]);
    let v1_dir = tempfile::tempdir().unwrap();
    let v1 = path_with(v1_dir.path(), &[("docker-compose", Path::new(COMPOSE_V1))]);
    let inherited = std::env::var("PATH").unwrap();
    for path in [&inherited, &v1, &none] {
        let (code, _, stderr) = run(safeops(dir.path()).env("PATH", path).arg("status"));
        assert_eq!(code, 2, "PATH={path}: {stderr}");
        assert!(stderr.contains("compose.yaml"), "PATH={path}: {stderr}");
        assert!(
            stderr.contains("line 4") || stderr.contains(":4:"),
            "PATH={path}: {stderr}"
        );
    }
}
