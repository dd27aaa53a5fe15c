//! Shared harness for integration tests against the real engine: the fixture image
//! (built locally from busybox, no registry), unique names, cleanup on drop, and
//! running the binary.
#![allow(dead_code)]

pub mod fixture;
pub mod runspec;
pub mod second;
pub mod storage;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The locally built fixture image every test container runs.
pub const IMAGE: &str = "safeops-test/busybox:latest";

/// The compose v1 CLI from Debian.
pub const COMPOSE_V1: &str = "/usr/bin/docker-compose";

/// The plugin binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_docker-safeops"))
}

/// Fails the test (never skips) when the engine is not there.
pub fn require_engine() {
    let out = Command::new("docker")
        .args(["version", "--format", "{{.Server.APIVersion}}"])
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "these tests need a running Docker engine (run scripts/test.sh to set one up): {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("these tests need the docker CLI and a running engine: {e}"),
    }
    ensure_image();
}

/// Fails when the fixture image is missing: `scripts/setup-test-env.sh` builds it.
pub fn ensure_image() {
    let present = Command::new("docker")
        .args(["image", "inspect", IMAGE])
        .output()
        .unwrap();
    assert!(
        present.status.success(),
        "the fixture image {IMAGE} is missing: run scripts/test.sh (or scripts/setup-test-env.sh)"
    );
}

/// Starts container `name` of the test image, labelled `label`, with the further
/// `docker run` options `options`, sleeping for an hour.
pub fn run_sleeping(name: &str, label: &str, options: &[&str]) {
    let mut args = vec!["run", "-d", "--name", name, "--label", label];
    args.extend_from_slice(options);
    args.extend_from_slice(&[IMAGE, "sleep", "3600"]);
    docker(&args);
}

/// A name unique to this test process and call, valid as a compose project name.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{}x{n}", std::process::id())
}

/// Runs `docker` with arguments, asserting success, and returns stdout.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Removes everything a test created, also when it panics: containers and volumes
/// carrying its label, and compose projects by name.
pub struct Cleanup {
    /// Value of the `io.safeops.test` label on what the test created.
    pub label: String,
    /// Compose projects to take down (containers, networks and volumes).
    pub projects: Vec<String>,
    /// Extra containers and volumes by name.
    pub containers: Vec<String>,
    /// Volumes by name.
    pub volumes: Vec<String>,
    /// Networks by name (removed after the containers).
    pub networks: Vec<String>,
    /// Images by name or id (removed after the containers).
    pub images: Vec<String>,
}

impl Cleanup {
    /// A cleanup for a test, with a unique label.
    pub fn new() -> Cleanup {
        Cleanup {
            label: unique("t"),
            projects: Vec::new(),
            containers: Vec::new(),
            volumes: Vec::new(),
            networks: Vec::new(),
            images: Vec::new(),
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let sh = |script: String| {
            let _ = Command::new("sh").arg("-c").arg(script).output();
        };
        for project in &self.projects {
            sh(format!(
                "docker ps -aq --filter label=com.docker.compose.project={project} | xargs -r docker rm -fv; \
                 docker volume ls -q --filter label=com.docker.compose.project={project} | xargs -r docker volume rm -f; \
                 docker network ls -q --filter label=com.docker.compose.project={project} | xargs -r docker network rm"
            ));
        }
        sh(format!(
            "docker ps -aq --filter label=io.safeops.test={0} | xargs -r docker rm -fv; \
             docker volume ls -q --filter label=io.safeops.test={0} | xargs -r docker volume rm -f",
            self.label
        ));
        for c in &self.containers {
            sh(format!("docker rm -fv {c}"));
        }
        for v in &self.volumes {
            sh(format!("docker volume rm -f {v}"));
        }
        for n in &self.networks {
            sh(format!("docker network rm {n}"));
        }
        for image in &self.images {
            sh(format!("docker rmi -f {image}"));
        }
    }
}

/// A command running the plugin binary with a clean, controlled environment.
pub fn safeops(dir: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.current_dir(dir);
    cmd.env_remove("DOCKER_HOST").env_remove("DOCKER_CONTEXT");
    cmd.env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME");
    cmd.env("XDG_CONFIG_HOME", dir.join(".xdg-config"));
    // The default backup directory too: never the operator's own.
    cmd.env("XDG_DATA_HOME", dir.join(".xdg-data"));
    cmd
}

/// A `PATH` containing only the given programs (by absolute path), so a test can pick
/// the compose CLI safeops finds: none, v1 only, or the Docker CLI with the v2 plugin.
pub fn path_with(dir: &Path, programs: &[(&str, &Path)]) -> String {
    let bin = dir.join("path-bin");
    std::fs::create_dir_all(&bin).unwrap();
    for (name, target) in programs {
        let link = bin.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(target, link).unwrap();
    }
    bin.display().to_string()
}

/// Which program is `name` on the current PATH.
pub fn which(name: &str) -> PathBuf {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{name} is not installed");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Runs a command and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Runs `commands` all at once and asserts that each succeeds.
pub fn all_succeed(commands: impl IntoIterator<Item = Command>) {
    let children: Vec<_> = commands
        .into_iter()
        .map(|mut cmd| {
            cmd.stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Parses the JSON a command printed, with its stderr in the failure message.
pub fn json(cmd: &mut Command) -> serde_json::Value {
    let (code, stdout, stderr) = run(cmd);
    assert_eq!(code, 0, "command failed: {stderr}\n{stdout}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {stdout}"))
}

/// The plugin with its backups, journal, audit log and policy inside `dir`, no terminal.
pub fn isolated(dir: &Path) -> Command {
    let mut cmd = safeops(dir);
    cmd.env("SAFEOPS_BACKUP_DIR", dir.join("backups"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .stdin(std::process::Stdio::null());
    cmd
}

/// Writes a compose file for a one-service project whose service mounts `data`.
pub fn write_compose(dir: &Path, extra: &str) -> PathBuf {
    let file = dir.join("compose.yaml");
    std::fs::write(
        &file,
        format!(
            "services:\n  db:\n    image: {IMAGE}\n    command: [\"sleep\", \"3600\"]\n    volumes: [\"data:/data\"]\nvolumes:\n  data: {{}}\n{extra}"
        ),
    )
    .unwrap();
    file
}

/// Runs a compose CLI (`["docker", "compose"]` or `[COMPOSE_V1]`) for `project` in
/// `dir`, asserting success.
pub fn compose(cli: &[&str], dir: &Path, project: &str, args: &[&str]) {
    let mut cmd = Command::new(cli[0]);
    cmd.args(&cli[1..])
        .args(["-p", project])
        .args(args)
        .current_dir(dir);
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "{cli:?} {args:?}: {stderr}");
}

/// The containers, volumes and networks a drill of `backup` (its name as the drill
/// labels it) left, one id per line.
pub fn drill_leftovers(backup: &str) -> String {
    let filter = format!("label=io.safeops.drill.backup={backup}");
    ["ps", "volume", "network"]
        .iter()
        .map(|kind| {
            let mut args = vec![*kind];
            if *kind == "ps" {
                args.push("-a");
            } else {
                args.push("ls");
            }
            args.extend(["-q", "--filter", &filter]);
            docker(&args)
        })
        .collect()
}

/// A small tmpfs (mounted at `.0`), unmounted on drop.
pub struct SmallDisk(pub PathBuf);

impl SmallDisk {
    /// Mounts a tmpfs of `size` (`8m`) at `at`, created if missing.
    pub fn mount(at: PathBuf, size: &str) -> SmallDisk {
        std::fs::create_dir_all(&at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .status()
            .unwrap();
        assert!(status.success(), "mounting a tmpfs needs root");
        SmallDisk(at)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The engine's clock now, for [`container_events`].
pub fn engine_time() -> String {
    docker(&["system", "info", "-f", "{{.SystemTime}}"])
        .trim()
        .to_string()
}

/// The `event`s (`stop`, `start`...) of `container` between two [`engine_time`]s, one
/// line each.
pub fn container_events(container: &str, event: &str, since: &str, until: &str) -> String {
    docker(&[
        "events",
        "--since",
        since,
        "--until",
        until,
        "--filter",
        &format!("event={event}"),
        "--filter",
        &format!("container={container}"),
        "--format",
        "{{.Status}}",
    ])
}

/// A Docker config directory with the plugin installed, as `~/.docker` would be, and the
/// compose v2 plugin beside it when the user's config has one.
pub fn docker_config_with_plugin(dir: &Path) -> PathBuf {
    let config = dir.join("docker-config");
    let plugins = config.join("cli-plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::os::unix::fs::symlink(bin(), plugins.join("docker-safeops")).unwrap();
    let home = PathBuf::from(std::env::var("HOME").unwrap_or_default());
    let compose = home.join(".docker/cli-plugins/docker-compose");
    if compose.exists() {
        std::os::unix::fs::symlink(compose, plugins.join("docker-compose")).unwrap();
    }
    config
}

/// Builds `tests/race/<name>.c` into a static binary in `dir` (it runs inside the
/// busybox fixture containers) and returns its path.
pub fn compile_static(name: &str, dir: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/race/{name}.c"));
    let binary = dir.join(name);
    let (code, _, stderr) = run(Command::new("cc")
        .args(["-static", "-O2", "-o"])
        .arg(&binary)
        .arg(&source));
    assert_eq!(
        code, 0,
        "cannot build {name} (scripts/setup-test-env.sh installs gcc and libc6-dev): {stderr}"
    );
    binary
}

/// Appends a tar entry built by hand (old-style header, any name and link bytes, even
/// ones the `tar` crate refuses to write), as a hostile archive would hold it.
pub fn raw_tar_entry(
    out: &mut Vec<u8>,
    name: &[u8],
    kind: tar::EntryType,
    link: &[u8],
    data: &[u8],
) {
    let mut header = tar::Header::new_old();
    header.as_old_mut().name[..name.len()].copy_from_slice(name);
    header.as_old_mut().linkname[..link.len()].copy_from_slice(link);
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_size(data.len() as u64);
    header.set_cksum();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// A compose project started with compose v2 from a fresh directory; taken down on drop.
pub fn started_v2_project(prefix: &str, extra: &str) -> (Cleanup, String, tempfile::TempDir) {
    require_engine();
    let mut cleanup = Cleanup::new();
    let project = unique(prefix);
    cleanup.projects.push(project.clone());
    let dir = tempfile::tempdir().unwrap();
    write_compose(dir.path(), extra);
    compose(&["docker", "compose"], dir.path(), &project, &["up", "-d"]);
    (cleanup, project, dir)
}

/// What `out` gives up to and including the first `marker` (a prompt on a terminal).
pub fn read_until(out: &mut impl std::io::Read, marker: &str) -> String {
    let mut shown = String::new();
    while !shown.contains(marker) {
        let mut byte = [0u8; 1];
        assert_eq!(out.read(&mut byte).unwrap(), 1, "no {marker:?}: {shown}");
        shown.push(byte[0] as char);
    }
    shown
}
