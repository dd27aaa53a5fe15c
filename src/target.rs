//! Targets and modes (docs/cli.md "Targets"): a compose project (from its files, or by
//! name through its containers' labels) or a standalone container; compose mode when
//! labels, readable config files and a compose CLI are all there, run mode otherwise,
//! with the reason.

use std::path::{Path, PathBuf};

use crate::compose::project::ProjectOptions;
use crate::compose::{self, ComposeCli, ComposeModel, Generation, ProjectFiles};
use crate::engine::Engine;
use crate::engine::inventory::{self, Container};
use crate::error::{Error, Result};

/// How a verb acts on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Through the real compose CLI.
    Compose,
    /// Through the Engine API alone.
    Run,
}

/// A compose project.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project name.
    pub name: String,
    /// Compose or run mode.
    pub mode: Mode,
    /// Why run mode, when it is.
    pub mode_reason: Option<String>,
    /// The compose CLI, when one is installed.
    pub cli: Option<ComposeCli>,
    /// Its files, when they are known and readable.
    pub files: Option<ProjectFiles>,
    /// The resolved model, when the files could be loaded.
    pub model: Option<ComposeModel>,
    /// The resolved configuration tree the model was built from (secrets interpolated:
    /// redact before showing it).
    pub config: Option<serde_json::Value>,
    /// Volume names or keys listed under `x-safeops.protect`.
    pub compose_protect: Vec<String>,
    /// Its containers: by label, plus containers named like its services that were
    /// started without compose.
    pub containers: Vec<Container>,
}

/// What a verb acts on.
#[derive(Debug, Clone)]
pub enum Target {
    /// A compose project.
    Project(Box<Project>),
    /// A container started with `docker run` (no compose labels).
    Container(Container),
}

/// A volume a target uses or declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeRef {
    /// Its key in the compose file, when declared.
    pub declared_as: Option<String>,
    /// Declared `external: true`.
    pub external: bool,
}

impl Target {
    /// The target's name: project or container name.
    pub fn name(&self) -> &str {
        match self {
            Target::Project(p) => &p.name,
            Target::Container(c) => &c.name,
        }
    }

    /// `project` or `container`.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Project(_) => "project",
            Target::Container(_) => "container",
        }
    }

    /// Its containers.
    pub fn containers(&self) -> &[Container] {
        match self {
            Target::Project(p) => &p.containers,
            Target::Container(c) => std::slice::from_ref(c),
        }
    }

    /// Every volume the target declares (compose model), owns (project label) or
    /// mounts, by engine name.
    pub fn volume_refs(
        &self,
        volumes: &std::collections::HashMap<String, inventory::Volume>,
    ) -> std::collections::BTreeMap<String, VolumeRef> {
        let mut refs = std::collections::BTreeMap::new();
        if let Target::Project(p) = self {
            if let Some(model) = &p.model {
                for (key, decl) in &model.volumes {
                    refs.insert(
                        decl.name.clone(),
                        VolumeRef {
                            declared_as: Some(key.clone()),
                            external: decl.external,
                        },
                    );
                }
            }
            for volume in volumes.values() {
                if volume.labels.get(inventory::LABEL_PROJECT) == Some(&p.name) {
                    refs.entry(volume.name.clone()).or_default();
                }
            }
        }
        for container in self.containers() {
            for (volume, _) in &container.volume_mounts {
                refs.entry(volume.clone()).or_default();
            }
        }
        refs
    }
}

/// Everything target discovery needs besides the engine.
pub struct Discovery<'a> {
    /// The connected engine.
    pub engine: &'a Engine,
    /// Compose's project options from the command line.
    pub project: ProjectOptions,
    /// The working directory.
    pub cwd: PathBuf,
    /// `--config`, passed on to a Docker CLI we run.
    pub docker_config: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Discovery<'_> {
    /// Runs `project`'s compose CLI with the global compose options, then `argv`; its
    /// standard output goes where `stdout` says. A non-zero exit is a failure.
    pub async fn compose(
        &self,
        project: &Project,
        argv: &[impl AsRef<str>],
        stdout: compose::Stdout,
    ) -> Result<()> {
        let (Some(cli), Some(files)) = (&project.cli, &project.files) else {
            return Err(Error::failure(format!(
                "project {} has no compose CLI or files here to run compose with",
                project.name
            )));
        };
        let args: Vec<&str> = self
            .project
            .compose_globals
            .iter()
            .map(String::as_str)
            .chain(argv.iter().map(AsRef::as_ref))
            .collect();
        cli.passthrough(
            &self.engine.endpoint,
            self.docker_config.as_ref(),
            files,
            Some(&project.name),
            &args,
            stdout,
        )
        .await
    }

    /// Whether [`targets`](Self::targets)`(name)` means every target on the engine: no
    /// name, no project option, no compose file here.
    pub fn means_everything(&self, name: Option<&str>) -> Result<bool> {
        Ok(name.is_none()
            && self.project.project_name.is_none()
            && compose::project::locate(&self.project, &self.cwd, &env)?.is_none())
    }

    /// The targets a verb acts on: the one named, else the project of the compose
    /// options or working directory, else every project and standalone container.
    pub async fn targets(&self, name: Option<&str>) -> Result<Vec<Target>> {
        let containers = inventory::containers(self.engine).await?;
        let located = compose::project::locate(&self.project, &self.cwd, &env)?;
        if let Some(name) = name {
            return self.named(name, located, containers).await.map(|t| vec![t]);
        }
        if let Some(files) = located {
            return Ok(vec![Target::Project(Box::new(
                self.from_files(files, &containers).await?,
            ))]);
        }
        if let Some(project) = &self.project.project_name {
            return self.named(project, None, containers).await.map(|t| vec![t]);
        }
        let mut targets = Vec::new();
        let mut projects: Vec<&str> = containers.iter().filter_map(Container::project).collect();
        projects.sort_unstable();
        projects.dedup();
        for project in projects {
            targets.push(Target::Project(Box::new(
                self.from_labels(project, &containers).await,
            )));
        }
        targets.extend(
            containers
                .iter()
                .filter(|c| c.project().is_none() && !c.made_by_safeops())
                .cloned()
                .map(Target::Container),
        );
        Ok(targets)
    }

    async fn named(
        &self,
        name: &str,
        located: Option<ProjectFiles>,
        containers: Vec<Container>,
    ) -> Result<Target> {
        if let Some(files) = located {
            let project = self.from_files(files, &containers).await?;
            if project.name == name {
                return Ok(Target::Project(Box::new(project)));
            }
        }
        if containers.iter().any(|c| c.project() == Some(name)) {
            return Ok(Target::Project(Box::new(
                self.from_labels(name, &containers).await,
            )));
        }
        if let Some(container) = inventory::find_container(&containers, name) {
            return Ok(match container.project() {
                Some(project) => {
                    Target::Project(Box::new(self.from_labels(project, &containers).await))
                }
                None => Target::Container(container.clone()),
            });
        }
        Err(unknown_target(name, &containers))
    }

    /// A project whose files we have: load its model, find its containers, pick a mode.
    pub async fn from_files(
        &self,
        files: ProjectFiles,
        containers: &[Container],
    ) -> Result<Project> {
        // Drive the project with the compose generation that created it, when both are
        // installed: v1 and v2 disagree on what `down -v` removes.
        let created_by = [Generation::V1, Generation::V2]
            .into_iter()
            .filter_map(|generation| self.fallback_name(&files, generation).ok())
            .find_map(|name| {
                containers
                    .iter()
                    .find(|c| c.project() == Some(name.as_str()))
                    .and_then(|c| c.labels.get(inventory::LABEL_COMPOSE_VERSION).cloned())
            });
        let cli =
            compose::cli::detect_for(self.docker_config.as_ref(), created_by.as_deref()).await;
        let compose_protect = compose::parse::protect_extension(&files.files)?;
        let (mut model, config) = match &cli {
            Some(cli) => {
                let config = cli
                    .config(
                        &self.engine.endpoint,
                        self.docker_config.as_ref(),
                        &files,
                        None,
                    )
                    .await?;
                let name = self.fallback_name(&files, cli.generation())?;
                (ComposeModel::from_config(&config, &name), config)
            }
            None => {
                let vars = compose::parse::interpolation_env(&files)?;
                let config = compose::parse::load(&files, &vars)?;
                let top = config
                    .get("name")
                    .and_then(|n| n.as_str())
                    .map(str::to_string);
                let dotenv = env_files_vars(&files)?;
                let name = compose::project::project_name(
                    &files,
                    top.as_deref(),
                    &env,
                    &dotenv,
                    Generation::V2,
                );
                let mut model = ComposeModel::from_config(&config, &name);
                model.name = name;
                (model, config)
            }
        };
        compose::parse::service_extras(&mut model, &files)?;
        let name = model.name.clone();
        let mut mine: Vec<Container> = containers
            .iter()
            .filter(|c| c.project() == Some(&name))
            .cloned()
            .collect();
        let unlabelled: Vec<Container> = containers
            .iter()
            .filter(|c| c.project().is_none() && belongs_by_name(c, &model))
            .cloned()
            .collect();
        let (mode, reason) = if cli.is_none() {
            (Mode::Run, Some(no_cli_reason()))
        } else if !unlabelled.is_empty() {
            let names: Vec<&str> = unlabelled.iter().map(|c| c.name.as_str()).collect();
            (
                Mode::Run,
                Some(format!(
                    "containers {} were started without compose (no com.docker.compose labels)",
                    names.join(", ")
                )),
            )
        } else {
            (Mode::Compose, None)
        };
        mine.extend(unlabelled);
        mine.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Project {
            name,
            mode,
            mode_reason: reason,
            cli,
            files: Some(files),
            model: Some(model),
            config: Some(config),
            compose_protect,
            containers: mine,
        })
    }

    /// The project name for a CLI that does not print it (v1).
    fn fallback_name(&self, files: &ProjectFiles, generation: Generation) -> Result<String> {
        let dotenv = env_files_vars(files)?;
        Ok(compose::project::project_name(
            files, None, &env, &dotenv, generation,
        ))
    }

    /// A project known only by name: its files come from its containers' labels. Never
    /// fails: anything missing is a reason for run mode.
    pub async fn from_labels(&self, name: &str, containers: &[Container]) -> Project {
        let mine: Vec<Container> = containers
            .iter()
            .filter(|c| c.project() == Some(name))
            .cloned()
            .collect();
        let label =
            |key: &str| -> Option<String> { mine.iter().find_map(|c| c.labels.get(key)).cloned() };
        let split = |v: Option<String>| -> Vec<PathBuf> {
            v.unwrap_or_default()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect()
        };
        let config_files = split(label(inventory::LABEL_CONFIG_FILES));
        let working_dir = label(inventory::LABEL_WORKING_DIR).map(PathBuf::from);
        let env_files = split(label(inventory::LABEL_ENV_FILES));
        let created_by = label(inventory::LABEL_COMPOSE_VERSION);
        let cli =
            compose::cli::detect_for(self.docker_config.as_ref(), created_by.as_deref()).await;
        let mut project = Project {
            name: name.to_string(),
            mode: Mode::Run,
            mode_reason: None,
            cli: cli.clone(),
            files: None,
            model: None,
            config: None,
            compose_protect: Vec::new(),
            containers: mine,
        };
        let missing: Vec<String> = config_files
            .iter()
            .filter(|f| !is_readable(f))
            .map(|f| f.display().to_string())
            .collect();
        if config_files.is_empty() {
            project.mode_reason = Some("its containers do not record their compose files".into());
            return project;
        }
        if !missing.is_empty() {
            project.mode_reason = Some(format!(
                "its compose files are gone: {}",
                missing.join(", ")
            ));
            return project;
        }
        let files = ProjectFiles {
            project_dir: working_dir.unwrap_or_else(|| {
                config_files[0]
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default()
            }),
            files: config_files,
            env_files: env_files.into_iter().filter(|f| is_readable(f)).collect(),
            profiles: Vec::new(),
            name_flag: Some(name.to_string()),
        };
        project.compose_protect =
            compose::parse::protect_extension(&files.files).unwrap_or_default();
        let Some(cli) = cli else {
            project.mode_reason = Some(no_cli_reason());
            project.files = Some(files);
            return project;
        };
        match cli
            .config(
                &self.engine.endpoint,
                self.docker_config.as_ref(),
                &files,
                Some(name),
            )
            .await
        {
            Ok(config) => {
                let mut model = ComposeModel::from_config(&config, name);
                if let Err(err) = compose::parse::service_extras(&mut model, &files) {
                    tracing::warn!("{err}");
                }
                project.model = Some(model);
                project.config = Some(config);
                project.mode = Mode::Compose;
            }
            Err(err) => {
                project.mode_reason =
                    Some(format!("compose cannot load its files: {}", err.message));
            }
        }
        project.files = Some(files);
        project
    }
}

fn no_cli_reason() -> String {
    "no compose CLI found (neither `docker compose` nor `docker-compose`)".to_string()
}

fn is_readable(path: &Path) -> bool {
    std::fs::File::open(path).is_ok()
}

fn env_files_vars(files: &ProjectFiles) -> Result<std::collections::BTreeMap<String, String>> {
    let mut vars = std::collections::BTreeMap::new();
    for file in &files.env_files {
        vars.extend(compose::project::read_env_file(file)?);
    }
    Ok(vars)
}

/// True when an unlabelled container carries a name compose would give one of the
/// model's services: `container_name`, `proj-svc-N` (v2) or `proj_svc_N` (v1).
fn belongs_by_name(container: &Container, model: &ComposeModel) -> bool {
    model.services.iter().any(|(service, svc)| {
        svc.container_name.as_deref() == Some(container.name.as_str())
            || compose::project::parse_container_name(&container.name, &model.name)
                .is_some_and(|(s, _, _)| s == service)
    })
}

fn unknown_target(name: &str, containers: &[Container]) -> Error {
    let mut projects: Vec<&str> = containers.iter().filter_map(Container::project).collect();
    projects.sort_unstable();
    projects.dedup();
    let standalone: Vec<&str> = containers
        .iter()
        .filter(|c| c.project().is_none())
        .map(|c| c.name.as_str())
        .collect();
    let list = |items: &[&str]| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    Error::usage(format!(
        "no compose project or container named \"{name}\"\n  projects: {}\n  containers: {}",
        list(&projects),
        list(&standalone)
    ))
    .hint("name one of those, or run in the project's directory (or pass -f/--file)")
}
