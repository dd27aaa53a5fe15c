//! `adopt`: standalone containers replaced by the containers of a compose project made
//! from them, in the safe order of `recreate`: the old ones renamed aside and stopped,
//! compose creates and starts the new ones (same names, same volumes, all external),
//! each must run, be healthy and stay up; then the old ones are removed. On any
//! failure or Ctrl-C, compose's containers are removed (never a volume) and the old
//! ones get their names back and are started again.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Document;
use crate::cancel::Cancel;
use crate::compose::cli::ComposeCli;
use crate::compose::project::{Generation, ProjectFiles};
use crate::engine::Engine;
use crate::error::{Error, Result};
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
        let code = self
            .cli
            .passthrough(&engine.endpoint, self.config_dir, files, None, args)
            .await?;
        if code != 0 {
            return Err(Error::failure(format!(
                "{} {} failed (exit {code})",
                self.cli.display_name(),
                args[0]
            )));
        }
        Ok(())
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

/// Replaces the containers `specs` by the project in `files`.
pub async fn replace(
    engine: &Engine,
    compose: &Compose<'_>,
    files: &ProjectFiles,
    specs: &[Value],
    timing: Timing,
    cancel: &Cancel,
) -> Result<()> {
    let mut aside: Vec<Aside> = Vec::new();
    let work = async {
        for spec in specs {
            crate::runmode::specs::save(spec)?;
            let id = spec["Id"].as_str().unwrap_or_default();
            let name = spec["Name"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches('/');
            let running = spec["State"]["Running"].as_bool().unwrap_or(false);
            aside.push(recreate::rename_aside(engine, id, name, running).await?);
        }
        for old in &aside {
            recreate::stop_aside(engine, old, timing.stop_timeout).await?;
        }
        let mut up = vec!["up", "--detach", "--no-build"];
        if compose.cli.generation() == Generation::V2 {
            up.extend(["--pull", "never"]);
        }
        compose.run(engine, files, &up).await?;
        for old in &aside {
            restart_check::check(engine, &old.name, &old.name, timing.patience).await?;
        }
        Ok::<(), Error>(())
    };
    let outcome = tokio::select! {
        outcome = work => outcome,
        why = cancel.cancelled() => {
            tracing::info!("{why}");
            Err(Error::interrupted())
        }
    };
    match outcome {
        Ok(()) => {
            for old in &aside {
                recreate::remove_aside(engine, old).await?;
            }
            Ok(())
        }
        Err(mut err) => {
            let down = compose
                .run(engine, files, &["down", "--remove-orphans"])
                .await;
            if let Err(down) = down {
                err.message.push_str(&format!(
                    "\nremoving the project's containers failed: {down}"
                ));
            }
            for old in &aside {
                err.message.push('\n');
                err.message.push_str(&recreate::put_back(engine, old).await);
            }
            Err(err)
        }
    }
}
