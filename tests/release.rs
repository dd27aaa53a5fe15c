//! `release` between two real engines: the main one (the source, context `default`) and
//! the tests' own second dockerd in a network namespace (the target, reached through the
//! TLS context `safeops-b`).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::second::{self, CONTEXT, CleanupBoth, commit_image, copy_image_to_b, docker_b};
use common::{IMAGE, docker, json, run, unique};
use serde_json::Value;

/// The plugin against the second engine, with its state in `dir`.
fn release(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = common::safeops(dir);
    cmd.env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .args(["--context", CONTEXT, "release"])
        .args(args);
    cmd
}

fn image_id(inspect: &str) -> String {
    inspect.trim().to_string()
}

fn inspect_b(container: &str, format: &str) -> String {
    docker_b(&["inspect", container, "--format", format])
}

/// A host port for the second engine, distinct per test process.
fn port() -> String {
    (20000 + std::process::id() % 20000).to_string()
}

#[test]
fn only_the_missing_layer_travels_and_the_container_keeps_its_settings() {
    second::require();
    let dir = tempfile::tempdir().unwrap();
    let name = unique("relapp");
    let image = format!("safeops-test/{name}:2");
    let volume = format!("{name}-data");
    let mut clean = CleanupBoth::default();
    clean.containers.push(name.clone());
    clean.images.push(image.clone());
    clean.volumes.push(volume.clone());

    copy_image_to_b(IMAGE);
    commit_image(IMAGE, &image, "echo v2 > /version", &[]);
    let base_id = image_id(&docker(&["image", "inspect", IMAGE, "--format", "{{.Id}}"]));
    let new_id = image_id(&docker(&[
        "image", "inspect", &image, "--format", "{{.Id}}",
    ]));
    let port = port();
    docker_b(&[
        "run",
        "-d",
        "--name",
        &name,
        "-e",
        "KEEP=yes",
        "-p",
        &format!("{port}:80"),
        "--restart",
        "unless-stopped",
        "-v",
        &format!("{volume}:/data"),
        IMAGE,
        "sleep",
        "3600",
    ]);
    docker_b(&["exec", &name, "sh", "-c", "echo precious > /data/f"]);
    docker(&["run", "-d", "--name", &name, &image, "sleep", "3600"]);

    // The plan: one of two layers to send, nothing changed.
    let plan = json(&mut release(
        dir.path(),
        &[&name, "--from", "default", "--dry-run", "--format", "json"],
    ));
    assert_eq!(plan["image_id"], new_id.as_str(), "{plan}");
    assert_eq!(
        (
            plan["layers_total"].as_u64(),
            plan["layers_missing"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(
        plan["containers"][0]["from_image"],
        base_id.as_str(),
        "{plan}"
    );
    assert_eq!(plan["containers"][0]["outcome"], "planned", "{plan}");
    assert_eq!(
        inspect_b(&name, "{{.Image}}"),
        base_id,
        "a dry run changed the container"
    );
    assert!(
        docker_b(&["image", "ls", "-q", "--no-trunc"])
            .lines()
            .all(|l| l != new_id)
    );

    // The release: the base layer stays home.
    let full_archive = Command::new("sh")
        .arg("-c")
        .arg(format!("docker save {image} | wc -c"))
        .output()
        .unwrap();
    let full: u64 = String::from_utf8_lossy(&full_archive.stdout)
        .trim()
        .parse()
        .unwrap();
    let report = json(&mut release(
        dir.path(),
        &[&name, "--from", "default", "--format", "json", "-t", "1"],
    ));
    assert_eq!(report["image"], image.as_str(), "{report}");
    assert_eq!(report["layers_total"], 2, "{report}");
    assert_eq!(report["layers_sent"], 1, "{report}");
    let sent = report["bytes_sent"].as_u64().unwrap();
    assert!(
        sent > 0 && sent < 64 * 1024,
        "sent {sent} bytes of a {full}-byte archive: {report}"
    );
    assert!(
        full > 1_000_000,
        "the full archive ({full} bytes) holds the base layer"
    );
    assert_eq!(report["containers"][0]["outcome"], "released", "{report}");
    assert_eq!(report["containers"][0]["from_image"], base_id.as_str());

    // B runs A's very image, with everything the container had.
    assert_eq!(
        docker_b(&["image", "inspect", &image, "--format", "{{.Id}}"]),
        new_id
    );
    assert_eq!(inspect_b(&name, "{{.Image}}"), new_id);
    assert_eq!(inspect_b(&name, "{{.State.Status}}"), "running");
    assert!(inspect_b(&name, "{{json .Config.Env}}").contains("KEEP=yes"));
    assert_eq!(
        inspect_b(&name, "{{.HostConfig.RestartPolicy.Name}}"),
        "unless-stopped"
    );
    assert_eq!(
        inspect_b(
            &name,
            "{{(index (index .HostConfig.PortBindings \"80/tcp\") 0).HostPort}}"
        ),
        port
    );
    assert_eq!(
        docker_b(&["exec", &name, "cat", "/data/f", "/version"]),
        "precious\nv2"
    );

    // Again: nothing to send, nothing to switch.
    let again = json(&mut release(
        dir.path(),
        &[&name, "--from", "default", "--format", "json"],
    ));
    assert_eq!(
        (again["bytes_sent"].as_u64(), again["layers_sent"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(again["containers"][0]["outcome"], "unchanged", "{again}");
}

#[test]
fn a_broken_image_is_rolled_back_with_its_logs() {
    second::require();
    let dir = tempfile::tempdir().unwrap();
    let name = unique("relbad");
    let image = format!("safeops-test/{name}:broken");
    let mut clean = CleanupBoth::default();
    clean.containers.push(name.clone());
    clean.images.push(image.clone());

    copy_image_to_b(IMAGE);
    commit_image(
        IMAGE,
        &image,
        "echo v3 > /version",
        &[
            "ENTRYPOINT [\"sh\", \"-c\", \"echo broken build $0 postgres://app:S3cretPw@db/app; exit 3\"]",
        ],
    );
    let base_id = image_id(&docker(&["image", "inspect", IMAGE, "--format", "{{.Id}}"]));
    docker_b(&[
        "run",
        "-d",
        "--name",
        &name,
        "--restart",
        "on-failure",
        IMAGE,
        "sleep",
        "3600",
    ]);
    let before = inspect_b(&name, "{{.Id}}");
    // The source's container with that image only has to exist.
    docker(&["create", "--name", &name, &image]);

    let started = Instant::now();
    let (code, stdout, stderr) = run(&mut release(
        dir.path(),
        &[&name, "--from", "default", "--format", "json", "-t", "1"],
    ));
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["containers"][0]["outcome"], "rolled-back",
        "{report}"
    );
    assert!(
        stderr.contains("broken build"),
        "the failed container's logs: {stderr}"
    );
    assert!(stderr.contains("put back"), "{stderr}");
    // The report (mailed by cron, kept by CI) masks what the logs hold.
    assert!(
        report["containers"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("broken build")),
        "{report}"
    );
    assert!(!stdout.contains("S3cretPw"), "{stdout}");
    assert!(!stderr.contains("S3cretPw"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(60));
    // The name the rejected image came with does not stay on it: a later recreate or
    // `docker run` must not pick it up.
    let tag = Command::new("docker")
        .args(["-H", second::SOCKET, "image", "inspect", &image])
        .output()
        .unwrap();
    assert!(
        !tag.status.success(),
        "{image} still names the rejected image on B"
    );
    // The old container runs again on the previous image.
    assert_eq!(inspect_b(&name, "{{.Id}}"), before);
    assert_eq!(inspect_b(&name, "{{.Image}}"), base_id);
    assert_eq!(inspect_b(&name, "{{.State.Status}}"), "running");
    assert_eq!(
        docker_b(&["ps", "-aq", "--filter", &format!("name={name}")])
            .lines()
            .count(),
        1
    );
    // Kept broken (--no-rollback), then released again: already on the image, but not
    // serving, which is no success.
    let reports: Vec<Value> = [&["--no-rollback"][..], &[]]
        .into_iter()
        .map(|extra| {
            let (code, stdout, stderr) = run(release(
                dir.path(),
                &[&name, "--from", "default", "--format", "json", "-t", "1"],
            )
            .args(extra));
            assert_eq!(code, 1, "{stderr}{stdout}");
            let report: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(report["containers"][0]["outcome"], "failed", "{report}");
            report
        })
        .collect();
    assert!(
        reports[1]["containers"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("already runs the released image, but:")),
        "{}",
        reports[1]
    );
}

/// A stopped container (a one-off job that ran) is released on the new image and left
/// stopped, and a release run again finds it unchanged.
#[test]
fn a_stopped_container_is_released_stopped_and_found_unchanged_again() {
    second::require();
    let dir = tempfile::tempdir().unwrap();
    let name = unique("reljob");
    let image = format!("safeops-test/{name}:v2");
    let mut clean = CleanupBoth::default();
    clean.containers.push(name.clone());
    clean.images.push(image.clone());
    copy_image_to_b(IMAGE);
    commit_image(IMAGE, &image, "echo v2 > /version", &[]);
    docker_b(&["run", "--name", &name, IMAGE, "true"]);
    docker(&["create", "--name", &name, &image]);
    let outcomes: Vec<Value> = (0..2)
        .map(|_| {
            let (code, stdout, stderr) = run(&mut release(
                dir.path(),
                &[&name, "--from", "default", "--format", "json", "-t", "1"],
            ));
            assert_eq!(code, 0, "{stderr}{stdout}");
            let report: Value = serde_json::from_str(&stdout).unwrap();
            report["containers"][0]["outcome"].clone()
        })
        .collect();
    assert_eq!(outcomes, ["released", "unchanged"]);
    assert_eq!(inspect_b(&name, "{{.State.Status}}"), "created");
}

/// A container that cannot be replaced (others join its network) refuses the release
/// before anything travels or any other NAME is switched over: exit 2, nothing changed.
#[test]
fn a_container_others_join_refuses_the_release_before_anything_changes() {
    second::require();
    let dir = tempfile::tempdir().unwrap();
    let (name, other, joiner) = (unique("reljoin"), unique("relfree"), unique("reljoiner"));
    let image = format!("safeops-test/{name}:v2");
    let mut clean = CleanupBoth::default();
    clean
        .containers
        .extend([name.clone(), other.clone(), joiner.clone()]);
    clean.images.push(image.clone());
    copy_image_to_b(IMAGE);
    commit_image(IMAGE, &image, "echo v2 > /version", &[]);
    for container in [&name, &other] {
        docker_b(&["run", "-d", "--name", container, IMAGE, "sleep", "3600"]);
        // The source's containers with that image only have to exist.
        docker(&["create", "--name", container, &image]);
    }
    let network = format!("container:{name}");
    docker_b(&[
        "run",
        "-d",
        "--name",
        &joiner,
        "--network",
        &network,
        IMAGE,
        "sleep",
        "3600",
    ]);
    let before = [inspect_b(&name, "{{.Id}}"), inspect_b(&other, "{{.Id}}")];
    let (code, _, stderr) = run(&mut release(
        dir.path(),
        &[&other, &name, "--from", "default", "-t", "1"],
    ));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(&joiner), "{stderr}");
    assert_eq!(
        [inspect_b(&name, "{{.Id}}"), inspect_b(&other, "{{.Id}}")],
        before,
        "neither was switched over"
    );
    let sent = Command::new("docker")
        .args(["-H", second::SOCKET, "image", "inspect", &image])
        .output()
        .unwrap();
    assert!(!sent.status.success(), "{image} was sent");
}

/// The old container gone when its replacement has passed the gate (a `docker container
/// prune` from cron): the release stands, with a warning, instead of a "rollback" that
/// left the new container running and moved its tag back.
#[test]
fn an_old_container_gone_before_its_removal_does_not_undo_the_release() {
    second::require();
    let dir = tempfile::tempdir().unwrap();
    let name = unique("relgone");
    let image = format!("safeops-test/{name}:2");
    let mut clean = CleanupBoth::default();
    clean.containers.push(name.clone());
    clean.images.push(image.clone());

    copy_image_to_b(IMAGE);
    commit_image(IMAGE, &image, "echo v2 > /version", &[]);
    let new_id = image_id(&docker(&[
        "image", "inspect", &image, "--format", "{{.Id}}",
    ]));
    docker_b(&["run", "-d", "--name", &name, IMAGE, "sleep", "3600"]);
    docker(&["create", "--name", &name, &image]);
    let child = release(
        dir.path(),
        &[
            &name,
            "--from",
            "default",
            "--format",
            "json",
            "-t",
            "1",
            "--stable-for",
            "4s",
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let aside = format!("{name}-safeops-old-{}", child.id());
    let deadline = Instant::now() + Duration::from_secs(60);
    // Between the rename and the create there is no container of that name.
    let image_of = || {
        let out = Command::new("docker")
            .args([
                "-H",
                second::SOCKET,
                "inspect",
                &name,
                "--format",
                "{{.Image}}",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    while image_of() != new_id {
        assert!(Instant::now() < deadline, "the new container never came");
        std::thread::sleep(Duration::from_millis(50));
    }
    docker_b(&["rm", "-f", &aside]);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["containers"][0]["outcome"], "released", "{report}");
    assert!(stderr.contains("could not be removed"), "{stderr}");
    assert_eq!(inspect_b(&name, "{{.State.Status}}"), "running");
    assert_eq!(
        image_id(&docker_b(&[
            "image", "inspect", &image, "--format", "{{.Id}}"
        ])),
        new_id,
        "the tag stays on the released image"
    );
}

#[test]
fn a_compose_service_is_released_through_compose() {
    second::require();
    let dir = tempfile::tempdir().unwrap();
    let name = unique("relcompose");
    let project = name.clone();
    let reference = format!("safeops-test/{name}:app");
    let source_image = format!("safeops-test/{name}-src:2");
    let mut clean = CleanupBoth::default();
    clean.projects.push(project.clone());
    clean.images.push(reference.clone());
    clean.images.push(source_image.clone());

    copy_image_to_b(IMAGE);
    docker_b(&["tag", IMAGE, &reference]);
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!("services:\n  web:\n    image: {reference}\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 1s\n"),
    )
    .unwrap();
    // The service, and an exited one-off of `compose run` (which keeps its image and is
    // neither released nor judged).
    for args in [
        &["up", "-d"][..],
        &["run", "--name", &format!("{project}-once"), "web", "true"],
    ] {
        let compose = Command::new("docker")
            .args(["compose", "-p", &project])
            .args(args)
            .current_dir(dir.path())
            .env("DOCKER_HOST", second::SOCKET)
            .output()
            .unwrap();
        assert!(
            compose.status.success(),
            "{}",
            String::from_utf8_lossy(&compose.stderr)
        );
    }
    let container = format!("{project}-web-1");
    commit_image(IMAGE, &source_image, "echo v2 > /version", &[]);
    let new_id = image_id(&docker(&[
        "image",
        "inspect",
        &source_image,
        "--format",
        "{{.Id}}",
    ]));

    // Without -p the project would be the directory's name, which runs no `web`.
    let (code, _, stderr) = run(&mut release(
        dir.path(),
        &["web", "--from", "default", "--image", &source_image],
    ));
    assert_eq!(
        code, 2,
        "a service that runs nothing is not released into: {stderr}"
    );
    assert!(stderr.contains("-p"), "{stderr}");
    // Without --image the source must run the same project's service.
    let project_release = |extra: &[&str]| {
        let mut cmd = common::safeops(dir.path());
        cmd.env("XDG_STATE_HOME", dir.path().join("state"))
            .args(["--context", CONTEXT, "-p", &project, "release", "web"])
            .args(["--from", "default"])
            .args(extra);
        cmd
    };
    let (code, _, stderr) = run(&mut project_release(&[]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--image"), "{stderr}");
    let mut cmd = project_release(&[
        "--image",
        &source_image,
        "--format",
        "json",
        "--stable-for",
        "2s",
    ]);
    let report = json(&mut cmd);
    assert_eq!(
        report["containers"].as_array().unwrap().len(),
        1,
        "{report}"
    );
    assert_eq!(report["containers"][0]["outcome"], "released", "{report}");
    assert_eq!(
        report["containers"][0]["name"],
        container.as_str(),
        "{report}"
    );
    // Compose made the new container: the reference its file names now is A's image,
    // and compose's own image label says so.
    assert_eq!(
        docker_b(&["image", "inspect", &reference, "--format", "{{.Id}}"]),
        new_id
    );
    assert_eq!(inspect_b(&container, "{{.Image}}"), new_id);
    assert_eq!(
        inspect_b(
            &container,
            "{{index .Config.Labels \"com.docker.compose.service\"}}"
        ),
        "web"
    );
    let ps = Command::new("docker")
        .args(["compose", "-p", &project, "ps", "-q", "web"])
        .current_dir(dir.path())
        .env("DOCKER_HOST", second::SOCKET)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ps.stdout).trim(),
        inspect_b(&container, "{{.Id}}"),
        "compose sees the released container as its own"
    );
    assert_eq!(docker_b(&["exec", &container, "cat", "/version"]), "v2");

    // A broken image is rolled back through compose, and the name goes back where it
    // pointed: here an image pulled and not deployed yet.
    let broken = format!("safeops-test/{name}-src:broken");
    clean.images.push(broken.clone());
    commit_image(
        IMAGE,
        &broken,
        "echo v3 > /version",
        &["ENTRYPOINT [\"sh\", \"-c\", \"exit 3\"]"],
    );
    docker_b(&["tag", IMAGE, &reference]);
    let pulled = docker_b(&["image", "inspect", IMAGE, "--format", "{{.Id}}"]);
    let mut cmd = project_release(&["--image", &broken, "--format", "json", "-t", "1"]);
    let (code, stdout, stderr) = run(&mut cmd);
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["containers"][0]["outcome"], "rolled-back",
        "{report}"
    );
    assert_eq!(inspect_b(&container, "{{.Image}}"), new_id);
    assert_eq!(
        docker_b(&["image", "inspect", &reference, "--format", "{{.Id}}"]),
        pulled
    );
    // A service its operator stopped is released stopped: compose creates its new
    // container and does not start it.
    docker_b(&["stop", "-t", "0", &container]);
    let stopped_image = format!("safeops-test/{name}-src:4");
    clean.images.push(stopped_image.clone());
    commit_image(IMAGE, &stopped_image, "echo v4 > /version", &[]);
    let report = json(&mut project_release(&[
        "--image",
        &stopped_image,
        "--format",
        "json",
    ]));
    assert_eq!(report["containers"][0]["outcome"], "released", "{report}");
    assert_eq!(inspect_b(&container, "{{.State.Status}}"), "created");
    assert_eq!(
        inspect_b(&container, "{{.Image}}"),
        docker_b(&["image", "inspect", &reference, "--format", "{{.Id}}"])
    );
    // Its compose file gone, the service's container is released in run mode: said.
    std::fs::remove_file(dir.path().join("compose.yaml")).unwrap();
    let (code, _, stderr) = run(&mut release(
        dir.path(),
        &[
            &container,
            "--from",
            "default",
            "--image",
            &source_image,
            "--dry-run",
        ],
    ));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("is released outside compose"), "{stderr}");
}

#[test]
fn an_unreachable_source_fails_within_seconds_with_exit_5() {
    second::require();
    let dir = tempfile::tempdir().unwrap();
    for from in [
        "tcp://127.0.0.1:1",
        "tcp://10.255.255.1:2375",
        "no-such-context",
    ] {
        let started = Instant::now();
        let (code, _, stderr) = run(&mut release(dir.path(), &["anything", "--from", from]));
        let expected = if from.contains("://") { 5 } else { 2 };
        assert_eq!(code, expected, "--from {from}: {stderr}");
        assert!(stderr.contains("--from"), "{stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "--from {from} took {:?}",
            started.elapsed()
        );
    }
}
