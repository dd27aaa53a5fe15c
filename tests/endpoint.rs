//! Endpoint sources against the real engine, and unreachable engines (exit 5, fast).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

/// Writes a context into a Docker config directory's context store.
fn write_context(config: &Path, name: &str, host: &str) {
    let id = docker_safeops::engine::endpoint::context_dir_name(name);
    let dir = config.join("contexts/meta").join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let meta = serde_json::json!({"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}}});
    std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
}

fn engine_host(report: &serde_json::Value) -> (&str, &str) {
    (
        report["engine"]["host"].as_str().unwrap(),
        report["engine"]["context"].as_str().unwrap(),
    )
}

#[test]
fn each_endpoint_source_reaches_the_engine() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("cfg");
    write_context(&config, "real", "unix:///var/run/docker.sock");
    write_context(
        &config,
        "dead",
        &format!("unix://{}/nothing.sock", dir.path().display()),
    );
    let status = || {
        let mut c = safeops(dir.path());
        c.args(["status", "--format", "json", "--no-size"])
            .env("DOCKER_CONFIG", &config);
        c
    };
    // DOCKER_HOST
    let r = json(status().env("DOCKER_HOST", "unix:///var/run/docker.sock"));
    assert_eq!(engine_host(&r), ("unix:///var/run/docker.sock", "default"));
    // DOCKER_CONTEXT
    let r = json(status().env("DOCKER_CONTEXT", "real"));
    assert_eq!(engine_host(&r).1, "real");
    // currentContext in config.json
    std::fs::write(config.join("config.json"), r#"{"currentContext": "real"}"#).unwrap();
    let r = json(&mut status());
    assert_eq!(engine_host(&r).1, "real");
    // --context beats DOCKER_CONTEXT; -H beats everything but a conflict
    let r = json(
        status()
            .env("DOCKER_CONTEXT", "dead")
            .args(["--context", "real"]),
    );
    assert_eq!(engine_host(&r).1, "real");
    // --config points at another config directory
    let r = json(
        status()
            .env_remove("DOCKER_CONFIG")
            .args(["--config", config.to_str().unwrap()]),
    );
    assert_eq!(engine_host(&r).1, "real");
    let (code, _, stderr) = run(status().args(["--context", "real", "-H", "unix:///x"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot specify both"), "{stderr}");
    // A context that points nowhere: exit 5 naming the context and where it came from.
    let (code, _, stderr) = run(status().env("DOCKER_CONTEXT", "dead"));
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("context \"dead\"") && stderr.contains("DOCKER_CONTEXT"),
        "{stderr}"
    );
    let (code, _, stderr) = run(status().args(["--context", "missing"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("docker context ls"), "{stderr}");
}

#[test]
fn missing_socket_is_a_fast_preflight_error() {
    let dir = tempfile::tempdir().unwrap();
    let host = format!("unix://{}/no-such.sock", dir.path().display());
    let started = Instant::now();
    let (code, _, stderr) = run(safeops(dir.path()).args(["-H", &host, "status"]));
    assert_eq!(code, 5, "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        stderr.contains(&host) && stderr.contains("-H/--host"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
}

#[test]
fn silent_tcp_engine_times_out_within_seconds() {
    // A listener that accepts connections but never answers: the worst case.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (code, _, stderr) = run(safeops(dir.path())
        .env("DOCKER_HOST", format!("tcp://127.0.0.1:{port}"))
        .arg("status"));
    let took = started.elapsed();
    drop(listener);
    assert_eq!(code, 5, "{stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(
        stderr.contains("DOCKER_HOST") && stderr.contains("no answer"),
        "{stderr}"
    );
}

#[test]
fn refused_tcp_and_bad_host_values() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, _, stderr) =
        run(safeops(dir.path()).args(["-H", &format!("tcp://127.0.0.1:{port}"), "status"]));
    assert_eq!(code, 5, "{stderr}");
    let (code, _, stderr) = run(safeops(dir.path())
        .env("DOCKER_HOST", "http://example")
        .arg("status"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("DOCKER_HOST"), "{stderr}");
}
