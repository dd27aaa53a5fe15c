//! Locating a compose project the way compose does: `-f` files, `COMPOSE_FILE`, or the
//! default file names searched from the working directory upwards (with their override
//! file); the project directory, env files and the project name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Default compose file names, in compose v2's order of preference.
const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// Override files loaded automatically next to a default file.
const OVERRIDE_FILES: [&str; 4] = [
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// Compose's project options (`-f`, `-p`, `--project-directory`, `--env-file`,
/// `--profile`) as given on the command line; the CLI layer fills it.
#[derive(Debug, Clone, Default)]
pub struct ProjectOptions {
    /// `-f`, in order.
    pub files: Vec<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--project-directory`.
    pub project_directory: Option<PathBuf>,
    /// `--env-file`, in order.
    pub env_files: Vec<PathBuf>,
    /// `--profile`.
    pub profiles: Vec<String>,
    /// Compose's other global options (`--ansi`, `--progress`, `--parallel`, ...) as
    /// given: passed to the compose CLI before the verb.
    pub compose_globals: Vec<String>,
}

impl ProjectOptions {
    /// True when any project option was given on the command line.
    pub fn any(&self) -> bool {
        !self.files.is_empty()
            || self.project_name.is_some()
            || self.project_directory.is_some()
            || !self.env_files.is_empty()
            || !self.profiles.is_empty()
    }
}

/// Everything needed to load a project's model from its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFiles {
    /// The compose files, absolute, in merge order.
    pub files: Vec<PathBuf>,
    /// The project directory (relative paths in the files resolve against it).
    pub project_dir: PathBuf,
    /// Env files used for interpolation (`--env-file`, else `.env` when present).
    pub env_files: Vec<PathBuf>,
    /// Profiles to enable.
    pub profiles: Vec<String>,
    /// `-p`, when given.
    pub name_flag: Option<String>,
}

fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

/// Finds the project's files from the flags, `COMPOSE_FILE` or the working directory.
/// `Ok(None)` when there is no compose file to be found (the project may still be
/// known by name through its containers' labels).
pub fn locate(
    flags: &ProjectOptions,
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ProjectFiles>> {
    let start = flags
        .project_directory
        .as_deref()
        .map(|dir| absolute(cwd, dir))
        .unwrap_or_else(|| cwd.to_path_buf());
    // Like compose, COMPOSE_FILE may come from the env file of the directory it starts
    // in (`--env-file`, else `.env`); the environment's wins.
    let start_env_files: Vec<PathBuf> = match flags.env_files.is_empty() {
        true => vec![start.join(".env")],
        false => flags.env_files.iter().map(|f| absolute(cwd, f)).collect(),
    };
    let mut from_env_files = BTreeMap::new();
    if flags.files.is_empty() && env("COMPOSE_FILE").is_none_or(|v| v.is_empty()) {
        for file in start_env_files.iter().filter(|f| f.is_file()) {
            from_env_files.extend(read_env_file(file)?);
        }
    }
    let setting = |name: &str| env(name).or_else(|| from_env_files.get(name).cloned());
    let files: Vec<PathBuf> = if !flags.files.is_empty() {
        flags.files.iter().map(|f| absolute(cwd, f)).collect()
    } else if let Some(list) = setting("COMPOSE_FILE").filter(|v| !v.is_empty()) {
        let separator = setting("COMPOSE_PATH_SEPARATOR").unwrap_or_else(|| ":".to_string());
        list.split(separator.as_str())
            .filter(|f| !f.is_empty())
            .map(|f| absolute(&start, Path::new(f)))
            .collect()
    } else {
        match search_upwards(&start) {
            Some(files) => files,
            None => return Ok(None),
        }
    };
    for file in &files {
        if !file.is_file() {
            return Err(
                Error::usage(format!("compose file {} not found", file.display()))
                    .hint("check -f/--file, COMPOSE_FILE or the working directory"),
            );
        }
    }
    let project_dir = match &flags.project_directory {
        Some(dir) => absolute(cwd, dir),
        None => files[0].parent().map(Path::to_path_buf).unwrap_or(start),
    };
    let env_files = if flags.env_files.is_empty() {
        let dotenv = project_dir.join(".env");
        if dotenv.is_file() {
            vec![dotenv]
        } else {
            Vec::new()
        }
    } else {
        flags.env_files.iter().map(|f| absolute(cwd, f)).collect()
    };
    Ok(Some(ProjectFiles {
        files,
        project_dir,
        env_files,
        profiles: flags.profiles.clone(),
        name_flag: flags.project_name.clone(),
    }))
}

fn search_upwards(start: &Path) -> Option<Vec<PathBuf>> {
    for dir in start.ancestors() {
        if let Some(main) = DEFAULT_FILES
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
        {
            let mut files = vec![main];
            files.extend(
                OVERRIDE_FILES
                    .iter()
                    .map(|n| dir.join(n))
                    .find(|p| p.is_file()),
            );
            return Some(files);
        }
    }
    None
}

/// Reads a compose env file (`KEY=VALUE`, `export`, quotes, comments). Values may use
/// variables defined earlier in the file or in the environment, except in single
/// quotes, as with compose.
pub fn read_env_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| Error::usage(format!("cannot read env file {}: {err}", path.display())))?;
    let mut vars = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let raw = raw.trim();
        let value = if let Some(literal) = raw.strip_prefix('\'').and_then(|v| v.split('\'').next())
        {
            literal.to_string()
        } else {
            let mut scope: BTreeMap<String, String> = std::env::vars().collect();
            scope.extend(vars.clone());
            super::interpolate::interpolate_str(&unquote(raw), &scope)
                .map_err(|msg| Error::usage(format!("env file {}: {key}: {msg}", path.display())))?
        };
        vars.insert(key.trim().to_string(), value);
    }
    Ok(vars)
}

fn unquote(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.split('"').next()) {
        return inner.to_string();
    }
    // An unquoted value ends at ` #` (an inline comment).
    match value.find(" #") {
        Some(at) => value[..at].trim_end().to_string(),
        None => value.to_string(),
    }
}

/// Which compose generation's rules apply to names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// docker-compose 1.x: containers `proj_svc_1`.
    V1,
    /// compose v2: containers `proj-svc-1`.
    V2,
}

/// Normalises a project name as compose does: lowercase, only `[a-z0-9_-]`; v2 also
/// requires a letter or digit first.
pub fn normalize_project_name(name: &str, generation: Generation) -> String {
    let kept: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    match generation {
        Generation::V1 => kept,
        Generation::V2 => kept.trim_start_matches(['_', '-']).to_string(),
    }
}

/// The project name compose would use, for a compose CLI that does not print it (v1)
/// or when there is no compose CLI: `-p`, `COMPOSE_PROJECT_NAME` (environment, then
/// env file), the top-level `name:` (v2 only), the project directory's name.
pub fn project_name(
    project: &ProjectFiles,
    top_level_name: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    dotenv: &BTreeMap<String, String>,
    generation: Generation,
) -> String {
    let from_dir = project
        .project_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let chosen = project
        .name_flag
        .clone()
        .or_else(|| env("COMPOSE_PROJECT_NAME").filter(|v| !v.is_empty()))
        .or_else(|| {
            dotenv
                .get("COMPOSE_PROJECT_NAME")
                .cloned()
                .filter(|v| !v.is_empty())
        })
        .or_else(|| match generation {
            Generation::V2 => top_level_name.map(str::to_string),
            Generation::V1 => None,
        })
        .unwrap_or(from_dir);
    normalize_project_name(&chosen, generation)
}

/// The name compose gives the `number`th container of `service`.
pub fn container_name(project: &str, service: &str, number: u32, generation: Generation) -> String {
    match generation {
        Generation::V1 => format!("{project}_{service}_{number}"),
        Generation::V2 => format!("{project}-{service}-{number}"),
    }
}

/// Recognises a container name made by either compose generation for `project` and
/// returns the service and the container number.
pub fn parse_container_name<'a>(
    name: &'a str,
    project: &str,
) -> Option<(&'a str, u32, Generation)> {
    let name = name.strip_prefix('/').unwrap_or(name);
    let rest = name.strip_prefix(project)?;
    for (separator, generation) in [('-', Generation::V2), ('_', Generation::V1)] {
        let Some(rest) = rest.strip_prefix(separator) else {
            continue;
        };
        if let Some((service, number)) = rest.rsplit_once(separator)
            && let Ok(number) = number.parse()
            && !service.is_empty()
        {
            return Some((service, number, generation));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_compose() {
        assert_eq!(
            normalize_project_name("My.Shop_2", Generation::V1),
            "myshop_2"
        );
        assert_eq!(normalize_project_name("_My Shop", Generation::V2), "myshop");
        assert_eq!(
            container_name("shop", "web", 1, Generation::V1),
            "shop_web_1"
        );
        assert_eq!(
            container_name("shop", "web", 1, Generation::V2),
            "shop-web-1"
        );
        assert_eq!(
            parse_container_name("/shop-my_svc-2", "shop"),
            Some(("my_svc", 2, Generation::V2))
        );
        assert_eq!(
            parse_container_name("shop_my-svc_1", "shop"),
            Some(("my-svc", 1, Generation::V1))
        );
        assert_eq!(parse_container_name("shopping-web-1", "shop"), None);
        assert_eq!(parse_container_name("shop-web", "shop"), None);
    }

    #[test]
    fn locate_searches_upwards_and_loads_the_override() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("My Project");
        std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
        std::fs::write(root.join("compose.yaml"), "services: {}\n").unwrap();
        std::fs::write(root.join("compose.override.yaml"), "services: {}\n").unwrap();
        std::fs::write(
            root.join(".env"),
            "COMPOSE_PROJECT_NAME='from env'\nA=1 # c\nB=${A}-x\nC='${A}'\n",
        )
        .unwrap();
        let none = |_: &str| None;
        let found = locate(&ProjectOptions::default(), &root.join("sub/deeper"), &none)
            .unwrap()
            .unwrap();
        assert_eq!(found.files.len(), 2);
        assert_eq!(found.project_dir, root);
        let dotenv = read_env_file(&found.env_files[0]).unwrap();
        assert_eq!(dotenv["A"], "1");
        assert_eq!(dotenv["B"], "1-x");
        assert_eq!(dotenv["C"], "${A}");
        assert_eq!(
            project_name(&found, Some("top"), &none, &dotenv, Generation::V2),
            "fromenv"
        );
        let no_env = BTreeMap::new();
        assert_eq!(
            project_name(&found, Some("top"), &none, &no_env, Generation::V2),
            "top"
        );
        assert_eq!(
            project_name(&found, Some("top"), &none, &no_env, Generation::V1),
            "myproject"
        );
        assert!(
            locate(&ProjectOptions::default(), dir.path(), &none)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn compose_file_may_come_from_the_env_file_where_compose_starts() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app");
        std::fs::create_dir(&app).unwrap();
        // The upward search would find the parent's file: not compose's choice.
        std::fs::write(dir.path().join("docker-compose.yml"), "services: {}\n").unwrap();
        for name in ["base.yml", "prod.yml", "other.yml"] {
            std::fs::write(app.join(name), "services: {}\n").unwrap();
        }
        std::fs::write(app.join(".env"), "COMPOSE_FILE=base.yml:prod.yml\n").unwrap();
        let none = |_: &str| None;
        let found = locate(&ProjectOptions::default(), &app, &none)
            .unwrap()
            .unwrap();
        assert_eq!(found.files, [app.join("base.yml"), app.join("prod.yml")]);
        // The environment's COMPOSE_FILE wins over the env file's.
        let other = |name: &str| (name == "COMPOSE_FILE").then(|| "other.yml".to_string());
        let found = locate(&ProjectOptions::default(), &app, &other)
            .unwrap()
            .unwrap();
        assert_eq!(found.files, [app.join("other.yml")]);
    }
}
