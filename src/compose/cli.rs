//! The compose CLI: finding one (`docker compose` v2, else `docker-compose`, v1 or v2),
//! and running it against the same engine safeops talks to.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use super::project::{Generation, ProjectFiles};
use crate::engine::endpoint::Endpoint;
use crate::error::{Error, Result};

/// Where a compose run's standard output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdout {
    /// Ours: compose's output is what the verb prints.
    Ours,
    /// Our standard error: the verb's own standard output is a report scripts read.
    OnStderr,
}

/// One of our output streams, as compose's output goes to it.
#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    /// What compose writes to: the stream itself when it is a terminal (compose draws
    /// its progress there), else a pipe that [`relay`] empties into it. Written by
    /// compose itself, a pipe whose reader went away (`2>&1 | head -1`) would kill it
    /// with SIGPIPE in the middle of recreating a service.
    fn for_child(self) -> Result<Stdio> {
        use std::io::IsTerminal;
        use std::os::fd::AsFd;
        let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
        let terminal = match self {
            Stream::Stdout if stdout.is_terminal() => stdout.as_fd(),
            Stream::Stderr if stderr.is_terminal() => stderr.as_fd(),
            _ => return Ok(Stdio::piped()),
        };
        let fd = terminal
            .try_clone_to_owned()
            .map_err(|e| Error::failure(format!("cannot pass the terminal to compose: {e}")))?;
        Ok(Stdio::from(fd))
    }

    /// Writes `bytes`; a reader that went away is no reason to stop compose.
    fn write(self, bytes: &[u8]) {
        use std::io::Write;
        let _ = match self {
            Stream::Stdout => std::io::stdout().lock().write_all(bytes),
            Stream::Stderr => std::io::stderr().lock().write_all(bytes),
        };
    }
}

/// How long what compose wrote is still relayed once it exited.
const RELAY_AFTER_EXIT: Duration = Duration::from_secs(5);

/// Copies what a child writes to `pipe` (none when it writes to a terminal) into `to`
/// until it closes it.
async fn relay(pipe: Option<impl tokio::io::AsyncRead + Unpin>, to: Stream) {
    use tokio::io::AsyncReadExt;
    let Some(mut pipe) = pipe else {
        return;
    };
    let mut buffer = vec![0u8; 8192];
    while let Ok(read @ 1..) = pipe.read(&mut buffer).await {
        to.write(&buffer[..read]);
    }
}

/// A compose CLI found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeCli {
    /// The program to run (`docker` or `docker-compose`).
    pub program: PathBuf,
    /// Arguments before compose's own (`compose` for the Docker CLI plugin).
    pub prefix: Vec<String>,
    /// The version it reports, e.g. `2.40.3` or `1.29.2`.
    pub version: String,
}

impl ComposeCli {
    /// Which naming rules this CLI applies.
    pub fn generation(&self) -> Generation {
        if self.version.starts_with("1.") {
            Generation::V1
        } else {
            Generation::V2
        }
    }

    /// How users call it: `docker compose` or `docker-compose`.
    pub fn display_name(&self) -> String {
        let program = self
            .program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        std::iter::once(program)
            .chain(self.prefix.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn command(&self, endpoint: &Endpoint, config_dir: Option<&PathBuf>) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.prefix);
        for (key, value) in endpoint.child_env() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        if let Some(dir) = config_dir {
            command.env("DOCKER_CONFIG", dir);
        }
        command.stdin(Stdio::null()).kill_on_drop(true);
        command
    }

    /// The compose command with the project options for `project`, then `args`.
    fn project_command(
        &self,
        endpoint: &Endpoint,
        config_dir: Option<&PathBuf>,
        project: &ProjectFiles,
        name: Option<&str>,
        args: &[&str],
    ) -> Command {
        let mut command = self.command(endpoint, config_dir);
        for file in &project.files {
            command.arg("-f").arg(file);
        }
        command.arg("--project-directory").arg(&project.project_dir);
        for env_file in &project.env_files {
            command.arg("--env-file").arg(env_file);
        }
        for profile in &project.profiles {
            command.arg("--profile").arg(profile);
        }
        if let Some(name) = name.or(project.name_flag.as_deref()) {
            command.arg("-p").arg(name);
        }
        command.args(args);
        command
    }

    /// Runs compose for `project` with our stderr, and its standard output where
    /// `stdout` says, so the user sees exactly what compose prints. A non-zero exit is a
    /// failure naming the compose verb.
    pub async fn passthrough(
        &self,
        endpoint: &Endpoint,
        config_dir: Option<&PathBuf>,
        project: &ProjectFiles,
        name: Option<&str>,
        args: &[&str],
        stdout: Stdout,
    ) -> Result<()> {
        let mut command = self.project_command(endpoint, config_dir, project, name, args);
        let (stdout_to, stderr_to) = match stdout {
            Stdout::Ours => (Stream::Stdout, Stream::Stderr),
            Stdout::OnStderr => (Stream::Stderr, Stream::Stderr),
        };
        // A process group of its own: Ctrl-C at the terminal is ours to handle (finish
        // a switch-over, put containers back), not a signal that cuts compose short in
        // the middle of recreating a service. A verb that gives up drops the child,
        // which kills it.
        command
            .stdout(stdout_to.for_child()?)
            .stderr(stderr_to.for_child()?)
            .process_group(0);
        tracing::debug!(?command, "running compose");
        let mut child = command
            .spawn()
            .map_err(|err| Error::failure(format!("cannot run {}: {err}", self.display_name())))?;
        // On tasks of their own: when a verb gives up on compose (Ctrl-C), what compose
        // still writes is relayed, not met by a closed pipe.
        let relays = [
            tokio::spawn(relay(child.stdout.take(), stdout_to)),
            tokio::spawn(relay(child.stderr.take(), stderr_to)),
        ];
        let status = child
            .wait()
            .await
            .map_err(|err| Error::failure(format!("cannot run {}: {err}", self.display_name())))?;
        // What compose wrote last, but not what a process it left behind holding the
        // pipes might write some day.
        let _ =
            tokio::time::timeout(RELAY_AFTER_EXIT, futures_util::future::join_all(relays)).await;
        if !status.success() {
            let verb = args.iter().find(|a| !a.starts_with('-')).unwrap_or(&"");
            return Err(Error::failure(format!(
                "{} {verb} failed (exit {})",
                self.display_name(),
                status.code().unwrap_or(1)
            )));
        }
        Ok(())
    }

    /// Runs compose with the project options for `project`, then `args`, and returns
    /// its standard output. A non-zero exit becomes an input error carrying compose's
    /// own message (which names the file and line of a malformed file).
    pub async fn run_for_project(
        &self,
        endpoint: &Endpoint,
        config_dir: Option<&PathBuf>,
        project: &ProjectFiles,
        name: Option<&str>,
        args: &[&str],
    ) -> Result<Vec<u8>> {
        let mut command = self.project_command(endpoint, config_dir, project, name, args);
        tracing::debug!(?command, "running compose");
        let output = command
            .output()
            .await
            .map_err(|err| Error::failure(format!("cannot run {}: {err}", self.display_name())))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            let files: Vec<String> = project
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect();
            return Err(Error::usage(format!(
                "{} could not load the project ({}):\n{}",
                self.display_name(),
                files.join(", "),
                stderr.trim()
            ))
            .hint("fix the compose file; `docker compose config` shows the same error"));
        }
        if !stderr.trim().is_empty() {
            tracing::debug!("compose said: {}", stderr.trim());
        }
        Ok(output.stdout)
    }

    /// The resolved model as compose prints it: JSON from v2, YAML from v1.
    pub async fn config(
        &self,
        endpoint: &Endpoint,
        config_dir: Option<&PathBuf>,
        project: &ProjectFiles,
        name: Option<&str>,
    ) -> Result<serde_json::Value> {
        match self.generation() {
            Generation::V2 => {
                let out = self
                    .run_for_project(
                        endpoint,
                        config_dir,
                        project,
                        name,
                        &["config", "--format", "json"],
                    )
                    .await?;
                serde_json::from_slice(&out).map_err(|err| {
                    Error::failure(format!(
                        "unexpected output from `{} config`: {err}",
                        self.display_name()
                    ))
                })
            }
            Generation::V1 => {
                let out = self
                    .run_for_project(endpoint, config_dir, project, name, &["config"])
                    .await?;
                serde_norway::from_slice(&out).map_err(|err| {
                    Error::failure(format!(
                        "unexpected output from `{} config`: {err}",
                        self.display_name()
                    ))
                })
            }
        }
    }
}

/// Finds a compose CLI: the Docker CLI's `compose` plugin first, else `docker-compose`
/// on `PATH`. `None` when neither answers `version`.
pub async fn detect(config_dir: Option<&PathBuf>) -> Option<ComposeCli> {
    detect_for(config_dir, None).await
}

/// The compose CLI for a project whose containers were created by compose `created_by`
/// (their `com.docker.compose.version` label): the same generation when it is
/// installed, since v1 and v2 differ in what `down -v` removes; else the first found.
/// Stops probing as soon as it has what it wants (each probe runs the CLI).
pub async fn detect_for(
    config_dir: Option<&PathBuf>,
    created_by: Option<&str>,
) -> Option<ComposeCli> {
    let wanted = created_by.map(|v| {
        if v.starts_with("1.") {
            Generation::V1
        } else {
            Generation::V2
        }
    });
    let candidates = all_in_path("docker")
        .into_iter()
        .take(1)
        .map(|path| (path, vec!["compose".to_string()]))
        .chain(
            all_in_path("docker-compose")
                .into_iter()
                .map(|path| (path, Vec::new())),
        );
    let mut first = None;
    for (path, prefix) in candidates {
        let Some(cli) = probe(path, prefix, config_dir).await else {
            continue;
        };
        if wanted.is_none_or(|w| w == cli.generation()) {
            return Some(cli);
        }
        first.get_or_insert(cli);
    }
    first
}

/// Asks a compose CLI for its version; `None` when it does not answer like one.
async fn probe(
    path: PathBuf,
    prefix: Vec<String>,
    config_dir: Option<&PathBuf>,
) -> Option<ComposeCli> {
    let mut command = Command::new(&path);
    command.args(&prefix).args(["version", "--short"]);
    command
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(dir) = config_dir {
        command.env("DOCKER_CONFIG", dir);
    }
    let output = tokio::time::timeout(Duration::from_secs(10), command.output())
        .await
        .ok()?
        .ok()?;
    let version = String::from_utf8_lossy(&output.stdout)
        .trim()
        .trim_start_matches('v')
        .to_string();
    if !output.status.success() || !version.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let cli = ComposeCli {
        program: path,
        prefix,
        version,
    };
    tracing::debug!(?cli, "compose CLI found");
    Some(cli)
}

/// Every executable `program` on `PATH`, in `PATH` order (a shim early on `PATH` may
/// hide a different compose generation later on).
fn all_in_path(program: &str) -> Vec<PathBuf> {
    let Some(path) = std::env::var_os("PATH") else {
        return Vec::new();
    };
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .filter(|candidate| {
            use std::os::unix::fs::PermissionsExt;
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .collect()
}
