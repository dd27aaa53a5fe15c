//! The Docker CLI plugin protocol, against the real Docker CLI and engine.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::*;

#[test]
fn metadata_matches_the_checked_in_file() {
    let (code, stdout, _) =
        run(std::process::Command::new(bin()).arg("docker-cli-plugin-metadata"));
    assert_eq!(code, 0);
    let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let file = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin-metadata/metadata.json"),
    )
    .unwrap();
    let checked_in: serde_json::Value = serde_json::from_str(&file).unwrap();
    assert_eq!(printed, checked_in);
    assert_eq!(printed["SchemaVersion"], "0.1.0");
    assert_eq!(printed["Version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn completion_scripts_are_not_stale() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, stdout, _) = run(std::process::Command::new(bin()).args(["completions", shell]));
        assert_eq!(code, 0);
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("completions/docker-safeops.{shell}"));
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            stdout == checked_in,
            "{} is stale: regenerate it with `docker-safeops completions {shell} > {}`",
            path.display(),
            path.display()
        );
    }
}

#[test]
fn cobra_completion_protocol() {
    let (code, stdout, _) =
        run(std::process::Command::new(bin()).args(["__complete", "safeops", "stat"]));
    assert_eq!(code, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("status\t"), "{stdout}");
    assert_eq!(lines.last(), Some(&":4"));
    let (_, stdout, _) = run(std::process::Command::new(bin()).args([
        "__completeNoDesc",
        "safeops",
        "status",
        "--format",
        "j",
    ]));
    assert_eq!(stdout, "json\n:4\n");
}

#[test]
fn bad_usage_exits_2_and_help_exits_0() {
    let (code, _, stderr) = run(std::process::Command::new(bin()).args(["frobnicate"]));
    assert_eq!(code, 2, "{stderr}");
    let (code, stdout, _) = run(std::process::Command::new(bin()).args(["help", "safeops"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("status"), "{stdout}");
    let (code, stdout, _) =
        run(std::process::Command::new(bin()).args(["help", "safeops", "status"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("--format"), "{stdout}");
}

#[test]
fn runs_under_the_real_docker_cli() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let config = docker_config_with_plugin(dir.path());
    let docker = || {
        let mut c = std::process::Command::new("docker");
        c.env("DOCKER_CONFIG", &config)
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .current_dir(dir.path());
        c
    };
    let (code, stdout, stderr) = run(docker().arg("--help"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("safeops") || l.contains("safeops*")),
        "docker --help does not list safeops:\n{stdout}"
    );

    let (code, stdout, stderr) = run(docker().args(["help", "safeops"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("status"), "{stdout}");

    // A context created by the real CLI, used through `docker --context X safeops`.
    let ctx = unique("ctx");
    run(docker().args([
        "context",
        "create",
        &ctx,
        "--docker",
        "host=unix:///var/run/docker.sock",
    ]));
    let report = json(docker().args([
        "--context",
        &ctx,
        "safeops",
        "status",
        "--format",
        "json",
        "--no-size",
    ]));
    assert_eq!(report["engine"]["context"], ctx.as_str());

    // Global flags before the plugin name, as the CLI passes them on.
    let report = json(docker().args([
        "-H",
        "unix:///var/run/docker.sock",
        "--log-level",
        "error",
        "safeops",
        "status",
        "--format",
        "json",
        "--no-size",
    ]));
    assert_eq!(report["engine"]["host"], "unix:///var/run/docker.sock");

    // Completion through the CLI's own __complete.
    let (_, stdout, _) = run(docker().args(["__complete", "safeops", "sta"]));
    assert!(stdout.contains("status"), "{stdout}");
}

#[test]
fn plugin_socket_eof_cancels() {
    // The CLI's plugin socket is an abstract unix socket; closing it means "stop".
    let name = unique("safeops-test-sock");
    let addr = {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap()
    };
    let listener = UnixListener::bind_addr(&addr).unwrap();
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    // `status` against a silent engine would wait for it; EOF must end it promptly.
    let silent = dir.path().join("silent.sock");
    let _silent = UnixListener::bind(&silent).unwrap();
    let child = safeops(dir.path())
        .env("DOCKER_CLI_PLUGIN_SOCKET", format!("@{name}"))
        .args(["-H", &format!("unix://{}", silent.display()), "status"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (conn, _) = listener.accept().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    drop(conn);
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed().as_secs() < 3, "did not stop on EOF");
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A unix-socket proxy in front of the real engine that records request lines.
fn recording_proxy(dir: &Path) -> (std::path::PathBuf, Arc<Mutex<Vec<String>>>) {
    let path = dir.join("proxy.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { break };
            let log = log.clone();
            std::thread::spawn(move || {
                let upstream = UnixStream::connect("/var/run/docker.sock").unwrap();
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut up_writer = upstream.try_clone().unwrap();
                let mut up_reader = upstream;
                let mut down_writer = client;
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut up_reader, &mut down_writer);
                    let _ = down_writer.shutdown(std::net::Shutdown::Write);
                });
                // Forward line by line, recording request lines ("GET /path HTTP/1.1").
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    if line.contains(" HTTP/1.1") {
                        log.lock().unwrap().push(line.trim().to_string());
                    }
                    if up_writer.write_all(line.as_bytes()).is_err() {
                        break;
                    }
                    line.clear();
                }
            });
        }
    });
    (path, seen)
}

#[test]
fn every_request_is_pinned_to_the_engine_api_version() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let (proxy, seen) = recording_proxy(dir.path());
    let api = docker(&["version", "--format", "{{.Server.APIVersion}}"])
        .trim()
        .to_string();
    let (code, _, stderr) = run(safeops(dir.path()).args([
        "-H",
        &format!("unix://{}", proxy.display()),
        "status",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|l| l.contains("/containers/json")),
        "{seen:?}"
    );
    assert!(seen.iter().any(|l| l.contains("/system/df")), "{seen:?}");
    // The one unversioned request is the probe that learns the engine's version.
    assert_eq!(seen[0], "GET /version HTTP/1.1");
    for line in &seen[1..] {
        let path = line.split(' ').nth(1).unwrap();
        assert!(
            path.starts_with(&format!("/v{api}/")),
            "request not pinned to API {api}: {line} (all: {seen:?})"
        );
    }
}

/// A reader of stdout that went away (`| head -1`) ends the command quietly: exit 1,
/// nothing on stderr, since nobody is left to read it.
#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(bin())
        .args(["completions", "bash"])
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
