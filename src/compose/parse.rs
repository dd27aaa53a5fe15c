//! The built-in compose loader, used only when no compose CLI is installed (compose
//! itself is the reference otherwise). It follows compose v2: interpolation from the
//! env files and the environment, `include`, `extends`, merging of several files,
//! profiles, and dropping volumes no active service uses. Malformed files are reported
//! with the file, line and column.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::interpolate::interpolate;
use super::model::{self, ComposeModel};
use super::project::{ProjectFiles, read_env_file};
use crate::error::{Error, Result};

/// How deep `include` and `extends` chains may go before we call them a cycle.
const MAX_DEPTH: usize = 16;

/// Variables for interpolation, as compose sees them: the env files, overridden by the
/// process environment.
pub fn interpolation_env(project: &ProjectFiles) -> Result<BTreeMap<String, String>> {
    let mut vars = BTreeMap::new();
    for file in &project.env_files {
        vars.extend(read_env_file(file)?);
    }
    vars.extend(std::env::vars());
    Ok(vars)
}

/// Loads and merges the project's files into one resolved config tree (the same shape
/// `docker compose config --format json` prints, for the parts safeops reads).
pub fn load(project: &ProjectFiles, vars: &BTreeMap<String, String>) -> Result<Value> {
    let mut loader = Loader {
        vars,
        cache: HashMap::new(),
    };
    let mut merged = Value::Object(Map::new());
    for file in &project.files {
        let doc = loader.resolved(file, 0)?;
        merge(&mut merged, doc);
    }
    // Like compose: `--profile` plus COMPOSE_PROFILES from the environment or env files.
    let mut profiles = project.profiles.clone();
    if let Some(list) = vars.get("COMPOSE_PROFILES") {
        profiles.extend(
            list.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string),
        );
    }
    apply_profiles(&mut merged, &profiles);
    drop_unused_volumes(&mut merged);
    Ok(merged)
}

/// Top-level `x-safeops: {protect: [...]}` lists from the raw files (compose v1 drops
/// extension fields from its `config` output, so they are always read here).
pub fn protect_extension(files: &[PathBuf]) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for file in files {
        let doc = read_yaml(file)?;
        let list = doc.get("x-safeops").and_then(|x| x.get("protect"));
        names.extend(
            list.and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string),
        );
    }
    Ok(names)
}

/// Fills in what compose's `config` output drops from services (v2 removes their
/// `x-*` extensions and resolves `env_file` away): each service's
/// `x-safeops.probes` and `env_file` paths, from the raw files, later files winning,
/// relative paths resolved against the project directory.
pub fn service_extras(model: &mut ComposeModel, files: &ProjectFiles) -> Result<()> {
    for file in &files.files {
        let doc = read_yaml(file)?;
        let services = doc.get("services").and_then(Value::as_object);
        for (name, raw) in services.into_iter().flatten() {
            let Some(service) = model.services.get_mut(name) else {
                continue;
            };
            let probes = model::service_probes(raw);
            if !probes.is_empty() {
                service.probes = probes;
            }
            let env_files = model::service_env_files(raw);
            if !env_files.is_empty() {
                service.env_files = env_files
                    .iter()
                    .map(|f| files.project_dir.join(f).to_string_lossy().into_owned())
                    .collect();
            }
        }
    }
    Ok(())
}

/// Parses one YAML file, naming the file, line and column on error.
pub fn read_yaml(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        Error::usage(format!(
            "cannot read compose file {}: {err}",
            path.display()
        ))
    })?;
    let malformed = |err: serde_norway::Error| {
        let at = err
            .location()
            .map(|l| format!(":{}:{}", l.line(), l.column()))
            .unwrap_or_default();
        Error::usage(format!(
            "malformed compose file {}{at}: {err}",
            path.display()
        ))
        .hint("fix the YAML at that line; `docker compose config` checks a file")
    };
    let mut yaml: serde_norway::Value = serde_norway::from_str(&text).map_err(malformed)?;
    // Compose files use YAML merge keys (`<<: *defaults`) a lot.
    yaml.apply_merge().map_err(malformed)?;
    let value: Value = serde_norway::from_value(yaml).map_err(malformed)?;
    match value {
        Value::Object(_) => Ok(value),
        Value::Null => Ok(Value::Object(Map::new())),
        _ => Err(Error::usage(format!(
            "malformed compose file {}: the top level must be a mapping",
            path.display()
        ))),
    }
}

struct Loader<'a> {
    vars: &'a BTreeMap<String, String>,
    cache: HashMap<PathBuf, Value>,
}

impl Loader<'_> {
    /// One file, interpolated, with its includes merged in and its services' `extends`
    /// resolved.
    fn resolved(&mut self, path: &Path, depth: usize) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(Error::usage(format!(
                "{}: include/extends nested deeper than {MAX_DEPTH} levels (a cycle?)",
                path.display()
            )));
        }
        // Keyed by the file itself, not by how an include spelled it (`a/../f.yaml`), so
        // that every file is loaded once however often it is reached.
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(doc) = self.cache.get(&key) {
            return Ok(doc.clone());
        }
        let mut doc = read_yaml(path)?;
        interpolate(&mut doc, self.vars)
            .map_err(|msg| Error::usage(format!("{}: {msg}", path.display())))?;
        let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        let mut base = Value::Object(Map::new());
        if let Some(includes) = doc.as_object_mut().and_then(|m| m.remove("include")) {
            // A file included again (under any spelling) would only repeat its lists,
            // and repeated at every level of an include chain that multiplies them.
            let mut seen = std::collections::HashSet::new();
            for include in include_paths(&includes) {
                let path = dir.join(include);
                if !seen.insert(std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone())) {
                    continue;
                }
                let included = self.resolved(&path, depth + 1)?;
                merge(&mut base, included);
            }
        }
        let services: Vec<String> = doc
            .get("services")
            .and_then(Value::as_object)
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default();
        for name in services {
            let extended = self.extend(path, &doc, &name, depth)?;
            doc["services"][&name] = extended;
        }
        merge(&mut base, doc);
        self.cache.insert(key, base.clone());
        Ok(base)
    }

    /// A service with its `extends` chain applied.
    fn extend(&mut self, path: &Path, doc: &Value, name: &str, depth: usize) -> Result<Value> {
        let mut service = doc["services"][name].clone();
        let Some(extends) = service.as_object_mut().and_then(|s| s.remove("extends")) else {
            return Ok(service);
        };
        let (base_file, base_name) = match &extends {
            Value::String(name) => (None, name.clone()),
            Value::Object(map) => (
                map.get("file").and_then(Value::as_str).map(str::to_string),
                map.get("service")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ),
            _ => (None, String::new()),
        };
        let missing = || {
            Error::usage(format!(
                "{}: service \"{name}\" extends unknown service \"{base_name}\"",
                path.display()
            ))
        };
        let mut base = match base_file {
            Some(file) => {
                let file = path.parent().unwrap_or(Path::new("/")).join(file);
                let other = self.resolved(&file, depth + 1)?;
                other["services"]
                    .get(&base_name)
                    .cloned()
                    .ok_or_else(missing)?
            }
            None if doc["services"].get(&base_name).is_some() => {
                if depth > MAX_DEPTH {
                    return Err(missing());
                }
                self.extend(path, doc, &base_name, depth + 1)?
            }
            None => return Err(missing()),
        };
        merge_service(&mut base, service);
        Ok(base)
    }
}

fn include_paths(includes: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    for item in includes.as_array().into_iter().flatten() {
        match item {
            Value::String(p) => paths.push(p.clone()),
            Value::Object(long) => match long.get("path") {
                Some(Value::String(p)) => paths.push(p.clone()),
                Some(Value::Array(list)) => {
                    paths.extend(list.iter().filter_map(Value::as_str).map(str::to_string))
                }
                _ => {}
            },
            _ => {}
        }
    }
    paths
}

/// Compose's merge of two files: services merge as in [`merge_service`], every other
/// mapping merges recursively, and anything else in the later file wins.
fn merge(base: &mut Value, overlay: Value) {
    let (Value::Object(base), Value::Object(overlay)) = (&mut *base, overlay) else {
        return;
    };
    for (key, value) in overlay {
        match (key.as_str(), base.get_mut(&key)) {
            ("services", Some(Value::Object(services))) => {
                for (name, service) in value.as_object().cloned().unwrap_or_default() {
                    match services.get_mut(&name) {
                        Some(existing) => merge_service(existing, service),
                        None => {
                            services.insert(name, service);
                        }
                    }
                }
            }
            (_, Some(existing)) => deep_merge(existing, value),
            (_, None) => {
                base.insert(key, value);
            }
        }
    }
}

/// Merges a service definition over another (a later file, or `extends`): `volumes`
/// merge by mount target, other mappings recursively, anything else is replaced.
fn merge_service(base: &mut Value, overlay: Value) {
    let (Value::Object(base), Value::Object(overlay)) = (&mut *base, overlay) else {
        return;
    };
    for (key, value) in overlay {
        match (key.as_str(), base.get_mut(&key), value) {
            ("volumes", Some(Value::Array(mounts)), Value::Array(more)) => {
                for item in more {
                    let target = mount_target(&item);
                    match mounts
                        .iter_mut()
                        .find(|m| target.is_some() && mount_target(m) == target)
                    {
                        Some(existing) => *existing = item,
                        None => mounts.push(item),
                    }
                }
            }
            (_, Some(existing), value) => deep_merge(existing, value),
            (key, None, value) => {
                base.insert(key.to_string(), value);
            }
        }
    }
}

fn deep_merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

fn mount_target(entry: &Value) -> Option<String> {
    match entry {
        Value::String(s) => Some(super::model::parse_short_mount(s).target),
        Value::Object(m) => m.get("target").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// Removes services whose profiles are all inactive, as compose does.
fn apply_profiles(config: &mut Value, active: &[String]) {
    if let Some(services) = config.get_mut("services").and_then(Value::as_object_mut) {
        services.retain(|_, svc| {
            let profiles: Vec<&str> = svc
                .get("profiles")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            profiles.is_empty()
                || profiles
                    .iter()
                    .any(|p| *p == "*" || active.iter().any(|a| a == p))
        });
    }
}

/// Compose v2 leaves out top-level volumes that no active service mounts.
fn drop_unused_volumes(config: &mut Value) {
    let used: Vec<String> = config
        .get("services")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|services| services.values())
        .flat_map(|svc| {
            svc.get("volumes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|m| match m {
            Value::String(s) => super::model::parse_short_mount(s).source,
            Value::Object(o) => o.get("source").and_then(Value::as_str).map(str::to_string),
            _ => None,
        })
        .collect();
    if let Some(volumes) = config.get_mut("volumes").and_then(Value::as_object_mut) {
        volumes.retain(|key, _| used.contains(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_yaml_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("compose.yaml");
        std::fs::write(&file, "services:\n  web:\n    image: [unclosed\n").unwrap();
        let err = read_yaml(&file).unwrap_err();
        assert!(err.message.contains("compose.yaml:"), "{}", err.message);
        assert!(err.message.contains("line"), "{}", err.message);
    }

    #[test]
    fn merge_replaces_volumes_by_target() {
        let mut base = serde_json::json!({"services": {"web": {"image": "a", "volumes": ["x:/data", "/cache"]}}});
        merge(
            &mut base,
            serde_json::json!({"services": {"web": {"image": "b", "volumes": ["y:/data"]}}}),
        );
        assert_eq!(base["services"]["web"]["image"], "b");
        assert_eq!(
            base["services"]["web"]["volumes"],
            serde_json::json!(["y:/data", "/cache"])
        );
    }
}
