//! `export` and `adopt` against the real engine and compose v2: the exported file brings
//! the same container back, `down -v` cannot delete its data, and `adopt` switches
//! linked containers to compose mode, or puts them back when the new ones fail.

mod common;

use std::path::Path;
use std::process::Command;

use common::runspec::{RichContainer, run_settings};
use common::*;

/// The plugin with its saved specs and audit log inside `dir`.
fn with_state(dir: &Path) -> Command {
    let mut cmd = safeops(dir);
    cmd.env("XDG_STATE_HOME", dir.join("state"));
    cmd
}

/// `adopt CONTAINER... -p PROJECT --dir STACK ...` with the state in `dir`.
fn adopt(dir: &Path, names: &[&str], project: &str, extra: &[&str]) -> (i32, String, String) {
    let stack = dir.join("stack");
    let mut cmd = with_state(dir);
    cmd.arg("adopt")
        .args(names)
        .args(["-p", project, "--dir", stack.to_str().unwrap()])
        .args(extra);
    run(&mut cmd)
}

fn volume_exists(name: &str) -> bool {
    Command::new("docker")
        .args(["volume", "inspect", name])
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn an_exported_file_brings_the_same_container_back_and_down_v_keeps_its_volumes() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let secret = "p@ss$word with 'quotes";
    let rich = RichContainer::start(
        &mut cleanup,
        dir.path(),
        &[
            "DB_PASSWORD=s3cr3t-$HOME-value",
            &format!("API_TOKEN={secret}"),
        ],
    );
    docker(&[
        "exec",
        "-u",
        "0",
        &rich.name,
        "sh",
        "-c",
        "echo kept > /data/file",
    ]);
    let before = run_settings(&rich.name);
    let out = dir.path().join("exported");
    std::fs::create_dir(&out).unwrap();
    let file = out.join("compose.yaml");
    let (code, stdout, stderr) = run(with_state(dir.path()).args([
        "export",
        &rich.name,
        "-p",
        "ignored-name",
        "-o",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["services"][0], rich.name);
    let yaml = std::fs::read_to_string(&file).unwrap();
    let prefix = format!("${{SAFEOPS_{}_", rich.name.to_uppercase());
    for needle in [
        "external: true",
        &format!("{prefix}DB_PASSWORD?"),
        &format!("{prefix}API_TOKEN?"),
        "ipv4_address",
    ] {
        assert!(yaml.contains(needle), "{needle} missing:\n{yaml}");
    }
    assert!(!yaml.contains("s3cr3t") && !yaml.contains(secret), "{yaml}");
    let env = out.join(".env");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&env).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Run from elsewhere, without its .env, compose refuses the file rather than give
    // the container empty secrets.
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(Command::new("docker").args([
        "compose",
        "-f",
        file.to_str().unwrap(),
        "--project-directory",
        elsewhere.path().to_str().unwrap(),
        "config",
        "-q",
    ]));
    assert_ne!(code, 0, "compose ran without the secrets");
    assert!(stderr.contains("set in the .env file"), "{stderr}");

    // The same container, from the file, under another project name.
    docker(&["rm", "-f", &rich.name]);
    let project = unique("exported");
    cleanup.projects.push(project.clone());
    compose(&["docker", "compose"], &out, &project, &["up", "-d"]);
    assert_eq!(run_settings(&rich.name), before, "compose up of\n{yaml}");
    let kept = docker(&["exec", &rich.name, "cat", "/data/file"]);
    assert_eq!(kept.trim(), "kept");

    // `down -v` of that project cannot delete what it did not create.
    compose(&["docker", "compose"], &out, &project, &["down", "-v"]);
    assert!(
        volume_exists(&rich.volume),
        "the named volume survives down -v"
    );
    assert!(volume_exists(&rich.anonymous), "so does the anonymous one");
}

/// Two linked `docker run` containers: `db` with data in a volume, `app` linked to it.
fn linked_pair(
    cleanup: &mut Cleanup,
    db_setup: impl FnOnce(&str, &str),
) -> (String, String, String) {
    let db = unique("adb");
    let app = format!("{db}-app");
    let volume = format!("{db}-data");
    let label = format!("io.safeops.test={}", cleanup.label);
    cleanup.volumes.push(volume.clone());
    cleanup.containers.extend([db.clone(), app.clone()]);
    db_setup(&db, &label);
    docker(&[
        "run",
        "-d",
        "--name",
        &app,
        "--label",
        &label,
        "--link",
        &format!("{db}:database"),
        "-e",
        &format!("DB_HOST={db}"),
        IMAGE,
        "sleep",
        "3600",
    ]);
    (db, app, volume)
}

#[test]
fn adopt_turns_linked_containers_into_a_compose_project_with_the_same_data() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let (db, app, volume) = linked_pair(&mut cleanup, |db, label| {
        docker(&[
            "run",
            "-d",
            "--name",
            db,
            "--label",
            label,
            "-v",
            &format!("{db}-data:/data"),
            IMAGE,
            "sleep",
            "3600",
        ]);
        docker(&[
            "exec",
            db,
            "sh",
            "-c",
            "head -c 100000 /dev/urandom > /data/blob",
        ]);
    });
    let before = docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{volume}:/v"),
        IMAGE,
        "cat",
        "/v/blob",
    ]);
    let project = unique("adopted");
    cleanup.projects.push(project.clone());
    let project_dir = dir.path().join("stack");

    // A dry run changes nothing.
    let (code, plan, stderr) = adopt(dir.path(), &[&db, &app], &project, &["--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        plan.contains("depends_on"),
        "app depends on db (its link):\n{plan}"
    );
    assert!(!project_dir.exists());

    let (code, _, stderr) = adopt(dir.path(), &[&db, &app], &project, &["-t", "1"]);
    assert_eq!(code, 0, "{stderr}");
    for name in [&db, &app] {
        let labels = docker(&["inspect", "-f", "{{json .Config.Labels}}", name]);
        assert!(
            labels.contains(&format!("\"com.docker.compose.project\":\"{project}\"")),
            "{labels}"
        );
        assert_eq!(
            docker(&["inspect", "-f", "{{.State.Running}}", name]).trim(),
            "true"
        );
    }
    let after = docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{volume}:/v"),
        IMAGE,
        "cat",
        "/v/blob",
    ]);
    assert!(before == after, "the volume holds the same bytes");
    let leftovers = docker(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}}",
        "--filter",
        &format!("name={db}"),
    ]);
    assert!(!leftovers.contains("safeops-old"), "{leftovers}");

    let status = json(safeops(&project_dir).args(["status", "--format", "json"]));
    assert_eq!(status["targets"][0]["name"], project.as_str(), "{status}");
    assert_eq!(status["targets"][0]["mode"], "compose", "{status}");
}

#[test]
fn a_failing_adopt_leaves_the_original_containers_running() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    // The db runs only with a file that its own writable layer holds: a container made
    // from the same spec (compose's) exits at once.
    let marker = dir.path().join("ok");
    std::fs::write(&marker, "").unwrap();
    let (db, app, _) = linked_pair(&mut cleanup, |db, label| {
        docker(&[
            "create",
            "--name",
            db,
            "--label",
            label,
            "-v",
            &format!("{db}-data:/data"),
            IMAGE,
            "sh",
            "-c",
            "[ -e /ok ] || exit 3; exec sleep 3600",
        ]);
        docker(&["cp", marker.to_str().unwrap(), &format!("{db}:/ok")]);
        docker(&["start", db]);
    });
    let ids: Vec<String> = [&db, &app]
        .iter()
        .map(|n| docker(&["inspect", "-f", "{{.Id}}", n]))
        .collect();
    let project = unique("adoptfail");
    cleanup.projects.push(project.clone());
    let (code, _, stderr) = adopt(dir.path(), &[&db, &app], &project, &["-t", "1"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("put back and restarted"), "{stderr}");
    for (name, id) in [&db, &app].iter().zip(&ids) {
        assert_eq!(
            &docker(&["inspect", "-f", "{{.Id}}", name]),
            id,
            "the same container"
        );
        assert_eq!(
            docker(&["inspect", "-f", "{{.State.Running}}", name]).trim(),
            "true"
        );
    }
    let compose_left = docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ]);
    assert!(
        compose_left.trim().is_empty(),
        "compose's containers are gone"
    );
}

#[test]
fn export_keeps_every_secret_out_of_the_file_and_refuses_what_it_would_lose() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let label = format!("io.safeops.test={}", cleanup.label);
    let name = unique("exsec");
    cleanup.containers.push(name.clone());
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        &label,
        "--label",
        "traefik.http.middlewares.a.basicauth.users=admin:LabelSecret1",
        "--health-cmd",
        "wget -q http://u:HealthSecret2@localhost/ || true",
        "-e",
        "my.api-key=KeySecret3",
        IMAGE,
        "sh",
        "-c",
        "echo $HOME; sleep 600",
        "--password",
        "CmdSecret4",
    ]);
    let out = dir.path().join("compose.yaml");
    let (code, _, stderr) =
        run(with_state(dir.path()).args(["export", &name, "-o", out.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    let yaml = std::fs::read_to_string(&out).unwrap();
    for secret in ["LabelSecret1", "HealthSecret2", "KeySecret3", "CmdSecret4"] {
        assert!(!yaml.contains(secret), "{secret} in the file:\n{yaml}");
        assert!(!stderr.contains(secret), "{secret} on stderr: {stderr}");
    }
    assert!(
        yaml.contains("echo $$HOME"),
        "a $ of the command stays a $:\n{yaml}"
    );
    // compose reads the file and the .env back to the very values.
    let (code, config, e) = run(Command::new("docker")
        .args([
            "compose",
            "-f",
            out.to_str().unwrap(),
            "config",
            "--format",
            "json",
        ])
        .current_dir(dir.path()));
    assert_eq!(code, 0, "{e}");
    for secret in ["LabelSecret1", "HealthSecret2", "KeySecret3", "CmdSecret4"] {
        assert!(config.contains(secret), "{secret} not resolved: {config}");
    }
    assert!(config.contains("echo $$HOME"), "{config}");

    // An existing file is never overwritten.
    let (code, _, stderr) =
        run(with_state(dir.path()).args(["export", &name, "-o", out.to_str().unwrap()]));
    assert_eq!(code, 2, "{stderr}");

    // A --rm container would be deleted by the engine when adopt stops it.
    let doomed = unique("exrm");
    cleanup.containers.push(doomed.clone());
    docker(&[
        "run", "-d", "--rm", "--name", &doomed, "--label", &label, IMAGE, "sleep", "600",
    ]);
    let (code, _, stderr) =
        run(with_state(dir.path()).args(["adopt", &doomed, "-p", &unique("rmp")]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--rm"), "{stderr}");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &doomed]).trim(),
        "true"
    );
}

/// A stopped container is adopted stopped and never started on the way: a one-shot
/// job (here one that counts its runs in its volume) would run again. Also when a
/// running one depends on it (its env names it), which compose v2's `start` would
/// start with it.
#[test]
fn adopt_never_starts_a_stopped_container() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let job = unique("ajob");
    let (app, volume) = (format!("{job}-app"), format!("{job}-data"));
    let label = format!("io.safeops.test={}", cleanup.label);
    cleanup.volumes.push(volume.clone());
    cleanup.containers.extend([job.clone(), app.clone()]);
    let mount = format!("{volume}:/data");
    let counts = "echo ran >> /data/runs";
    docker(&[
        "run", "--name", &job, "--label", &label, "-v", &mount, IMAGE, "sh", "-c", counts,
    ]);
    docker(&[
        "run",
        "-d",
        "--name",
        &app,
        "--label",
        &label,
        "-e",
        &format!("JOB_HOST={job}"),
        IMAGE,
        "sleep",
        "3600",
    ]);
    let project = unique("adoptjob");
    cleanup.projects.push(project.clone());
    let (code, _, stderr) = adopt(dir.path(), &[&job, &app], &project, &["-t", "1"]);
    assert_eq!(code, 0, "{stderr}");
    let state = |name: &str| docker(&["inspect", "-f", "{{.State.Status}}", name]);
    assert_eq!(state(&job).trim(), "created", "adopted, not started");
    assert_eq!(state(&app).trim(), "running");
    let runs = docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{volume}:/v"),
        IMAGE,
        "cat",
        "/v/runs",
    ]);
    assert_eq!(runs, "ran\n", "the job ran once, before the adopt");
}

/// The app of a linked pair adopted alone: its link to the database left outside
/// becomes an external link (a plain link would make compose refuse the file), and the
/// new container reaches the database by its alias.
#[test]
fn a_link_to_a_container_left_outside_is_an_external_link() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let (db, app, _) = linked_pair(&mut cleanup, |db, label| {
        docker(&[
            "run", "-d", "--name", db, "--label", label, IMAGE, "sleep", "3600",
        ]);
    });
    let project = unique("adoptapp");
    cleanup.projects.push(project.clone());
    let stack = dir.path().join("stack");
    let (code, _, stderr) = adopt(dir.path(), &[&app], &project, &["-t", "1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("an external link"), "{stderr}");
    let file = std::fs::read_to_string(stack.join("compose.yaml")).unwrap();
    assert!(file.contains("external_links"), "{file}");
    let hosts = docker(&["exec", &app, "cat", "/etc/hosts"]);
    assert!(hosts.contains("database"), "{hosts}");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &db]).trim(),
        "true"
    );
}

/// A container that joins another's network namespace would be cut off when that one
/// is adopted without it: the adopt is refused before anything changes.
#[test]
fn adopt_refuses_to_leave_behind_a_container_in_its_namespace() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let vpn = unique("avpn");
    let client = format!("{vpn}-client");
    let label = format!("io.safeops.test={}", cleanup.label);
    cleanup.containers.extend([vpn.clone(), client.clone()]);
    run_sleeping(&vpn, &label, &[]);
    run_sleeping(&client, &label, &["--network", &format!("container:{vpn}")]);
    let id = docker(&["inspect", "-f", "{{.Id}}", &vpn]);
    let project = unique("adoptvpn");
    cleanup.projects.push(project.clone());
    let stack = dir.path().join("stack");
    let (code, _, stderr) = adopt(dir.path(), &[&vpn], &project, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("{client} joins a namespace of {vpn}")),
        "{stderr}"
    );
    assert_eq!(docker(&["inspect", "-f", "{{.Id}}", &vpn]), id);
    assert!(!stack.exists(), "nothing written");
}
