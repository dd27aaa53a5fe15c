//! Run-mode recreation against the real engine: everything `docker run` set survives a
//! recreate on another image and a bootstrap from the saved spec; a recreate whose new
//! container fails leaves the old one running under its name.

mod common;

use std::process::Command;

use common::runspec::{RichContainer, run_settings};
use common::*;

/// The plugin with its saved specs and audit log inside `dir`.
fn with_state(dir: &std::path::Path) -> Command {
    let mut cmd = safeops(dir);
    cmd.env("XDG_STATE_HOME", dir.join("state"));
    cmd
}

#[test]
fn recreate_on_another_image_and_bootstrap_keep_everything_docker_run_set() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let rich = RichContainer::start(&mut cleanup, dir.path(), &[]);
    let name = rich.name.clone();
    let other = format!("safeops-test/other:{name}");
    docker(&["tag", IMAGE, &other]);
    let before = run_settings(&name);
    let safeops_cmd = || with_state(dir.path());

    let (code, stdout, stderr) =
        run(safeops_cmd().args(["recreate", &name, "--image", &other, "-t", "0"]));
    assert_eq!(code, 0, "{stderr}{stdout}");
    assert_eq!(run_settings(&name), before, "recreated on {other}");
    let image = docker(&["inspect", "-f", "{{.Config.Image}}", &name]);
    assert_eq!(image.trim(), other);

    docker(&["rm", "-f", &name]);
    let (code, _, stderr) = run(safeops_cmd().args(["recreate", &name]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("bootstrapping it from"), "{stderr}");
    assert_eq!(
        run_settings(&name),
        before,
        "bootstrapped from the saved spec"
    );

    // A new container that cannot start leaves the old one running under its name.
    let broken = format!("safeops-test/broken:{name}");
    let empty = tempfile::tempdir().unwrap();
    let mut import = Command::new("sh");
    import.arg("-c").arg(format!(
        "tar -C {} -c . | docker import - {broken}",
        empty.path().display()
    ));
    assert!(run(&mut import).0 == 0);
    let old_id = docker(&["inspect", "-f", "{{.Id}}", &name]);
    let (code, _, stderr) =
        run(safeops_cmd().args(["recreate", &name, "--image", &broken, "-t", "0"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("put back"), "{stderr}");
    assert_eq!(
        docker(&["inspect", "-f", "{{.Id}}", &name]),
        old_id,
        "same container"
    );
    assert_eq!(run_settings(&name)["running"], true);

    for image in [&other, &broken] {
        let _ = Command::new("docker").args(["rmi", image]).output();
    }
}

#[test]
fn rollback_returns_to_the_previous_image_and_prune_keeps_rollback_points() {
    require_engine();
    let cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let repo = format!("safeops-test/{}", unique("rel"));
    let label = format!("io.safeops.test={}", cleanup.label);
    // Five releases with distinct image ids, oldest first.
    let base = unique("base");
    docker(&["create", "--name", &base, "--label", &label, IMAGE, "true"]);
    for n in 1..=5 {
        docker(&[
            "commit",
            "--change",
            &format!("LABEL release={n}"),
            &base,
            &format!("{repo}:{n}"),
        ]);
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let name = unique("svc");
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        &label,
        &format!("{repo}:1"),
        "sleep",
        "3600",
    ]);
    let safeops_cmd = || with_state(dir.path());
    // A short prefix of its id is no name for it (the engine would take it for any
    // container whose id begins so).
    let id = docker(&["inspect", "-f", "{{.Id}}", &name]);
    let (code, _, stderr) = run(safeops_cmd().args(["rollback", &id[..4], "-t", "0"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no container"), "{stderr}");
    let (code, _, stderr) = run(safeops_cmd().args([
        "recreate",
        &name,
        "--image",
        &format!("{repo}:2"),
        "-t",
        "0",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run(safeops_cmd().args(["rollback", &name, "-t", "0"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("{repo}:1")), "{stdout}");
    let image = docker(&["inspect", "-f", "{{.Config.Image}}", &name]);
    assert_eq!(image.trim(), format!("{repo}:1"));
    let status = json(safeops_cmd().args(["status", &name, "--no-size", "--format", "json"]));
    assert_eq!(
        status["targets"][0]["containers"][0]["rollback_points"][0],
        format!("{repo}:2"),
        "{status}"
    );

    let plan = json(safeops_cmd().args([
        "images",
        "prune",
        "--keep",
        "2",
        "--dry-run",
        "--format",
        "json",
    ]));
    let action = |n: u32| {
        let reference = format!("{repo}:{n}");
        plan.as_array()
            .unwrap()
            .iter()
            .find(|d| d["reference"] == reference.as_str())
            .map(|d| d["action"].as_str().unwrap().to_string())
    };
    assert_eq!(action(1).as_deref(), Some("keep"), "in use: {plan}");
    assert_eq!(action(2).as_deref(), Some("keep"), "rollback point");
    assert_eq!(action(3).as_deref(), Some("remove"), "old and unused");
    assert_eq!(action(4).as_deref(), Some("keep"), "newest two");
    assert_eq!(action(5).as_deref(), Some("keep"), "newest two");

    // Rolling back to an image that is gone is refused clearly.
    docker(&["rm", "-f", &name]);
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        &label,
        &format!("{repo}:4"),
        "sleep",
        "3600",
    ]);
    docker(&["rmi", &format!("{repo}:3")]);
    let (code, _, stderr) =
        run(safeops_cmd().args(["rollback", &name, "--to", &format!("{repo}:3")]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("no longer on the engine"), "{stderr}");
    docker(&["rm", "-f", &name, &base]);
    for n in [1, 2, 4, 5] {
        let _ = Command::new("docker")
            .args(["rmi", &format!("{repo}:{n}")])
            .output();
    }
}

#[test]
fn a_container_started_with_rm_is_not_recreated() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let name = unique("rmd");
    cleanup.containers.push(name.clone());
    let label = format!("io.safeops.test={}", cleanup.label);
    docker(&[
        "run", "-d", "--rm", "--name", &name, "--label", &label, "-v", "/data", IMAGE, "sleep",
        "600",
    ]);
    let (code, _, stderr) = run(with_state(dir.path()).args(["recreate", &name, "-t", "0"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--rm"), "{stderr}");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &name]).trim(),
        "true"
    );
}

/// `recreate NAME` after a new build under the same tag: the new image, with its own
/// defaults (`ENV`), not the old image's carried over as if the operator had set them.
#[test]
fn recreate_after_a_new_build_under_the_tag_takes_the_new_images_defaults() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let name = unique("moved");
    let tag = format!("safeops-test/{name}:latest");
    common::second::commit_image(IMAGE, &tag, "true", &["ENV APP_VERSION=1"]);
    cleanup
        .images
        .push(docker(&["image", "inspect", "-f", "{{.Id}}", &tag]));
    cleanup.containers.push(name.clone());
    let label = format!("io.safeops.test={}", cleanup.label);
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        &label,
        "-e",
        "MINE=kept",
        &tag,
        "sleep",
        "600",
    ]);
    common::second::commit_image(IMAGE, &tag, "true", &["ENV APP_VERSION=2"]);
    let built = docker(&["image", "inspect", "-f", "{{.Id}}", &tag]);
    cleanup.images.push(built.clone());
    let (code, stdout, stderr) = run(with_state(dir.path()).args(["recreate", &name, "-t", "0"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&tag), "says the image it runs: {stdout}");
    assert_eq!(docker(&["inspect", "-f", "{{.Image}}", &name]), built);
    let env = docker(&["inspect", "-f", "{{json .Config.Env}}", &name]);
    assert!(env.contains("APP_VERSION=2"), "{env}");
    assert!(!env.contains("APP_VERSION=1"), "{env}");
    assert!(env.contains("MINE=kept"), "{env}");
}

/// A stopped container (a one-off job that ran) is recreated on the new image and left
/// stopped: started, the job would run again.
#[test]
fn a_stopped_container_is_recreated_and_not_started() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let name = unique("job");
    cleanup.containers.push(name.clone());
    let other = format!("safeops-test/other:{name}");
    docker(&["tag", IMAGE, &other]);
    let label = format!("io.safeops.test={}", cleanup.label);
    let volume = format!("{name}-data");
    cleanup.volumes.push(volume.clone());
    let mount = format!("{volume}:/data");
    docker(&[
        "run",
        "--name",
        &name,
        "--label",
        &label,
        "-v",
        &mount,
        IMAGE,
        "sh",
        "-c",
        "echo ran >> /data/runs",
    ]);
    let (code, stdout, stderr) = run(
        with_state(dir.path()).args(["recreate", &name, "--image", &other, "--format", "json"])
    );
    let _ = docker(&["rmi", &other]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["running"], false, "{report}");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Status}}", &name]).trim(),
        "created",
        "{stderr}"
    );
    assert_eq!(
        docker(&["run", "--rm", "-v", &mount, IMAGE, "cat", "/data/runs"]).trim(),
        "ran",
        "the job did not run again"
    );
}

/// Ctrl-C while the old container stops (it takes its own stop timeout): the old one
/// gets its name back and runs again, and no new one was started. It used to be left
/// stopped under the name it had been renamed to.
#[test]
fn an_interrupted_recreate_puts_the_old_container_back() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let name = unique("intr");
    cleanup.containers.push(name.clone());
    let label = format!("io.safeops.test={}", cleanup.label);
    // `sleep` as PID 1 ignores SIGTERM: the stop takes the whole 4 s.
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        &label,
        "--stop-timeout",
        "4",
        IMAGE,
        "sleep",
        "600",
    ]);
    let id = docker(&["inspect", "-f", "{{.Id}}", &name]);
    let child = with_state(dir.path())
        .args(["recreate", &name])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let aside = format!("name={name}-safeops-old-");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while docker(&["ps", "-aq", "--filter", &aside]).trim().is_empty() {
        assert!(std::time::Instant::now() < deadline, "never renamed aside");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    fixture::signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert_eq!(docker(&["inspect", "-f", "{{.Id}}", &name]), id, "{stderr}");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &name]).trim(),
        "true",
        "{stderr}"
    );
    let with_label = format!("label={label}");
    assert_eq!(
        docker(&["ps", "-aq", "--filter", &with_label])
            .lines()
            .count(),
        1,
        "no new container left: {stderr}"
    );
}

/// A container others join (`--network container:NAME`) is not replaced: its namespace
/// would go with the old container and leave them cut off, unable to start again.
#[test]
fn a_container_whose_network_another_joins_is_not_replaced() {
    require_engine();
    let cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let label = format!("io.safeops.test={}", cleanup.label);
    let (name, sidecar) = (unique("joined"), unique("sidecar"));
    run_sleeping(&name, &label, &[]);
    run_sleeping(
        &sidecar,
        &label,
        &["--network", &format!("container:{name}")],
    );
    let old_id = docker(&["inspect", "-f", "{{.Id}}", &name]);
    let (code, _, stderr) = run(with_state(dir.path()).args(["recreate", &name, "-t", "0"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("while {sidecar} join its namespaces")),
        "{stderr}"
    );
    assert_eq!(docker(&["inspect", "-f", "{{.Id}}", &name]), old_id);
    for container in [&name, &sidecar] {
        assert_eq!(
            docker(&["inspect", "-f", "{{.State.Running}}", container]).trim(),
            "true"
        );
    }
    // A stopped one (a debugging container left behind) does not hold it back: a
    // warning says it cannot start again.
    docker(&["stop", "-t", "0", &sidecar]);
    let (code, _, stderr) = run(with_state(dir.path()).args(["recreate", &name, "-t", "0"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("(stopped) joins a namespace"), "{stderr}");
}
