//! `adopt`: standalone containers replaced by the containers of a compose project made
//! from them, in the safe order of `recreate`: the old ones renamed aside and stopped,
//! compose creates and starts the new ones (same names, same volumes, all external),
//! each must run, be healthy and stay up; then the old ones are removed. On any
//! failure or Ctrl-C, compose's containers are removed (never a volume) and the old
//! ones get their names back and are started again.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Document;
use crate::backup::journal;
use crate::backup::lock::Key;
use crate::cancel::Cancel;
use crate::compose::Stdout;
use crate::compose::cli::ComposeCli;
use crate::compose::project::{Generation, ProjectFiles};
use crate::engine::Engine;
use crate::error::{Error, Result, engine_message};
use crate::runmode::recreate::{self, Aside};
use crate::runmode::restart_check::{self, Patience};

/// Where the project's files go.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The project directory.
    pub dir: PathBuf,
    /// Its compose file.
    pub compose_file: PathBuf,
    /// Its `.env` file (secrets), when the document has one.
    pub env_file: Option<PathBuf>,
}

impl Layout {
    /// The files of a project in `dir`.
    pub fn new(dir: &Path, document: &Document) -> Layout {
        Layout {
            dir: dir.to_path_buf(),
            compose_file: dir.join("compose.yaml"),
            env_file: document.dotenv.as_ref().map(|_| dir.join(".env")),
        }
    }

    /// Writes the compose file (0644) and the `.env` file (0600); never over existing
    /// ones, which may be an operator's.
    pub fn write(&self, document: &Document) -> Result<()> {
        for file in std::iter::once(&self.compose_file).chain(&self.env_file) {
            if file.exists() {
                return Err(Error::usage(format!("{} exists already", file.display()))
                    .hint("choose another directory with --dir, or move the file away"));
            }
        }
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| Error::failure(format!("cannot create {}: {e}", self.dir.display())))?;
        if let (Some(path), Some(text)) = (&self.env_file, &document.dotenv) {
            crate::state::write_private(path, text.as_bytes())
                .map_err(|e| Error::failure(format!("cannot write {}: {e}", path.display())))?;
        }
        std::fs::write(&self.compose_file, &document.yaml).map_err(|e| {
            Error::failure(format!("cannot write {}: {e}", self.compose_file.display()))
        })
    }

    /// The project's files, as the compose CLI takes them.
    pub fn project_files(&self, project: &str) -> ProjectFiles {
        ProjectFiles {
            files: vec![self.compose_file.clone()],
            project_dir: self.dir.clone(),
            env_files: self.env_file.iter().cloned().collect(),
            profiles: Vec::new(),
            name_flag: Some(project.to_string()),
        }
    }
}

/// The compose CLI and how to reach the engine with it.
pub struct Compose<'a> {
    /// The CLI.
    pub cli: &'a ComposeCli,
    /// The Docker CLI's config directory (`--config`).
    pub config_dir: Option<&'a PathBuf>,
}

impl Compose<'_> {
    /// Runs compose for the project with `args`, its output on ours; a non-zero exit
    /// is a failure naming the verb.
    async fn run(&self, engine: &Engine, files: &ProjectFiles, args: &[&str]) -> Result<()> {
        self.cli
            .passthrough(
                &engine.endpoint,
                self.config_dir,
                files,
                None,
                args,
                Stdout::Ours,
            )
            .await
    }
}

/// How long things may take.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Seconds each old container gets to stop.
    pub stop_timeout: i32,
    /// What each new one must do.
    pub patience: Patience,
}

/// Checks the written project with `compose config`, which resolves everything
/// `up` would.
pub async fn validate(engine: &Engine, compose: &Compose<'_>, files: &ProjectFiles) -> Result<()> {
    compose
        .cli
        .run_for_project(
            &engine.endpoint,
            compose.config_dir,
            files,
            None,
            &["config", "--quiet"],
        )
        .await
        .map(drop)
}

/// Replaces the containers `specs` by the project in `files`. Steps that the engine or
/// compose carry out are never cut short by Ctrl-C (a half-done rename or a compose
/// killed while creating would leave containers no one knows about): the interruption
/// is noticed between steps, and everything is put back.
pub async fn replace(
    engine: &Engine,
    compose: &Compose<'_>,
    files: &ProjectFiles,
    specs: &[Value],
    timing: Timing,
    cancel: &Cancel,
) -> Result<()> {
    let project = files.name_flag.clone().unwrap_or_default();
    let mut keys = vec![Key::Target(project.clone())];
    keys.extend(specs.iter().filter_map(|s| {
        let name = s["Name"].as_str()?.trim_start_matches('/');
        Some(Key::Target(name.to_string()))
    }));
    // Their volumes as a backup locks them: the containers are stopped and replaced.
    keys.extend(
        specs
            .iter()
            .flat_map(crate::engine::inventory::volumes_in_spec)
            .map(|volume| Key::Volume(volume.to_string())),
    );
    let _locks = journal::lock_settled(engine, &keys, "adopt", None, cancel).await?;
    let mut aside: Vec<Aside> = Vec::new();
    match steps(engine, compose, files, specs, timing, cancel, &mut aside).await {
        Ok(()) => {
            // The project runs: an old container that will not go is said, not a
            // failure (exit 1 would say the old containers are back).
            for old in &aside {
                if let Err(err) = recreate::remove_aside(engine, old).await {
                    crate::say!("warning: {}; remove it by hand", err.message);
                }
            }
            Ok(())
        }
        Err(mut err) => {
            for line in roll_back(engine, &project, &aside).await {
                err.message.push('\n');
                err.message.push_str(&line);
            }
            Err(err)
        }
    }
}

fn interrupted(cancel: &Cancel) -> Result<()> {
    match cancel.reason() {
        Some(why) => {
            tracing::info!("{why}");
            Err(Error::interrupted())
        }
        None => Ok(()),
    }
}

async fn steps(
    engine: &Engine,
    compose: &Compose<'_>,
    files: &ProjectFiles,
    specs: &[Value],
    timing: Timing,
    cancel: &Cancel,
    aside: &mut Vec<Aside>,
) -> Result<()> {
    for spec in specs {
        interrupted(cancel)?;
        crate::runmode::specs::save(spec)?;
        let id = spec["Id"].as_str().unwrap_or_default();
        let name = spec["Name"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches('/');
        // As it is now, under the locks: the inspect the file was made from may predate
        // a backup that had it stopped.
        let running = engine
            .docker
            .inspect_container(id, None)
            .await
            .map_err(|e| Error::failure(format!("cannot inspect {name}: {}", engine_message(&e))))?
            .state
            .and_then(|state| state.running)
            .unwrap_or(false);
        aside.push(recreate::rename_aside(engine, id, name, running).await?);
    }
    for old in aside.iter() {
        interrupted(cancel)?;
        recreate::stop_aside(engine, old, timing.stop_timeout).await?;
    }
    interrupted(cancel)?;
    // What was stopped stays stopped, and is never started on the way (a one-shot job
    // would run again, a port another container holds would fail the whole adopt):
    // with one of them, the containers are created and only the others started.
    let running: Vec<&str> = aside
        .iter()
        .filter(|old| old.was_running)
        .map(|old| old.name.as_str())
        .collect();
    let all_running = running.len() == aside.len();
    let up = |how: &'static str| {
        let mut up = vec!["up", "--no-build", how];
        if compose.cli.generation() == Generation::V2 {
            up.extend(["--pull", "never"]);
        }
        up
    };
    compose
        .run(
            engine,
            files,
            &up(if all_running {
                "--detach"
            } else {
                "--no-start"
            }),
        )
        .await?;
    if !all_running && !running.is_empty() {
        interrupted(cancel)?;
        // Not `start`: compose v2 starts the services' dependencies with them.
        let mut start = up("--detach");
        start.push("--no-deps");
        start.extend(running);
        compose.run(engine, files, &start).await?;
    }
    interrupted(cancel)?;
    for old in aside.iter().filter(|old| old.was_running) {
        let checked = restart_check::check(engine, &old.name, &old.name, timing.patience);
        cancel
            .unless_cancelled(&format!("checking {}", old.name), checked)
            .await?;
    }
    Ok(())
}

/// Removes the containers this adopt had compose create (by name and project, never
/// another's, never a volume), then gives the old ones their names back.
async fn roll_back(engine: &Engine, project: &str, aside: &[Aside]) -> Vec<String> {
    let mut lines = Vec::new();
    for old in aside {
        let created = engine.docker.inspect_container(&old.name, None).await;
        let ours = created.as_ref().ok().is_some_and(|c| {
            c.id.as_deref() != Some(old.id.as_str())
                && c.config
                    .as_ref()
                    .and_then(|c| c.labels.as_ref())
                    .and_then(|l| l.get(crate::engine::inventory::LABEL_PROJECT))
                    .is_some_and(|p| p == project)
        });
        if ours {
            let options = bollard::query_parameters::RemoveContainerOptionsBuilder::default()
                .force(true)
                .v(false)
                .build();
            if let Err(e) = engine
                .docker
                .remove_container(&old.name, Some(options))
                .await
            {
                lines.push(format!("cannot remove the new {}: {e}", old.name));
            }
        }
        lines.push(
            recreate::put_back(engine, old)
                .await
                .unwrap_or_else(|why| why),
        );
    }
    lines
}
