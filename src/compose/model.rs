//! The part of a resolved compose model that safeops needs: services with their mounts,
//! and top-level volumes with their resolved names. Built from the output of
//! `docker compose config --format json` (v2), `docker-compose config` (v1, YAML) or the
//! built-in parser; all three are plain JSON-like trees.

use std::collections::BTreeMap;

use serde_json::Value;

/// A resolved compose project model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposeModel {
    /// The project name.
    pub name: String,
    /// Services by name.
    pub services: BTreeMap<String, Service>,
    /// Top-level volumes by their key in the file.
    pub volumes: BTreeMap<String, VolumeDecl>,
}

/// One service of the model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    /// The image reference, when the service names one.
    pub image: Option<String>,
    /// A fixed container name (`container_name:`).
    pub container_name: Option<String>,
    /// What the service mounts.
    pub mounts: Vec<Mount>,
    /// Health probes declared under the service's `x-safeops: {probes: [...]}`.
    pub probes: Vec<String>,
    /// The service's `env_file` paths, when the resolved config still names them.
    pub env_files: Vec<String>,
}

/// The kind of a service mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    /// A volume: named (with a source) or anonymous (without).
    Volume,
    /// A host path.
    Bind,
    /// A tmpfs.
    Tmpfs,
    /// Anything else compose knows (npipe, cluster, image).
    Other,
}

/// One mount of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Volume, bind, tmpfs...
    pub kind: MountKind,
    /// For a volume, the key of the top-level volume (or none: anonymous); for a bind,
    /// the host path.
    pub source: Option<String>,
    /// The path inside the container.
    pub target: String,
}

/// A top-level volume declaration, resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeDecl {
    /// The engine-side name: `name:`, the external name, or `<project>_<key>`.
    pub name: String,
    /// `external: true`: compose never creates or removes it.
    pub external: bool,
    /// The volume driver, when set.
    pub driver: Option<String>,
    /// Labels compose puts on the volume when it creates it.
    pub labels: BTreeMap<String, String>,
}

impl ComposeModel {
    /// Builds the model from a resolved config tree. `project` is the project name to
    /// use when the tree has none (compose v1 does not print it).
    pub fn from_config(config: &Value, project: &str) -> ComposeModel {
        let name = config
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .unwrap_or(project)
            .to_string();
        let volumes = entries(config.get("volumes"))
            .map(|(key, decl)| (key.clone(), volume_decl(&name, key, decl)))
            .collect();
        let services = entries(config.get("services"))
            .map(|(key, svc)| (key.clone(), service(svc)))
            .collect();
        ComposeModel {
            name,
            services,
            volumes,
        }
    }

    /// The resolved engine name of a top-level volume key, if declared.
    pub fn volume_name(&self, key: &str) -> Option<&str> {
        self.volumes.get(key).map(|v| v.name.as_str())
    }
}

fn entries(value: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    value.and_then(Value::as_object).into_iter().flatten()
}

fn string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Labels as a map, from either the mapping or the `KEY=VALUE` list form.
fn labels(value: Option<&Value>) -> BTreeMap<String, String> {
    match value {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.clone(), string(Some(v)).unwrap_or_default()))
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|item| match item.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (item.to_string(), String::new()),
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn volume_decl(project: &str, key: &str, decl: &Value) -> VolumeDecl {
    let external_field = decl.get("external");
    // v1 and old files spell an external volume's name as `external: {name: X}`.
    let external_name = external_field
        .and_then(|e| e.get("name"))
        .and_then(Value::as_str);
    let external = match external_field {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        Some(Value::Object(_)) => true,
        _ => false,
    };
    let explicit = decl
        .get("name")
        .and_then(Value::as_str)
        .or(external_name)
        .filter(|n| !n.is_empty());
    let name = match explicit {
        Some(name) => name.to_string(),
        None if external => key.to_string(),
        None => format!("{project}_{key}"),
    };
    VolumeDecl {
        name,
        external,
        driver: string(decl.get("driver")).filter(|d| !d.is_empty()),
        labels: labels(decl.get("labels")),
    }
}

fn service(svc: &Value) -> Service {
    let mounts = svc
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(mount)
        .collect();
    Service {
        image: string(svc.get("image")),
        container_name: string(svc.get("container_name")),
        mounts,
        probes: service_probes(svc),
        env_files: service_env_files(svc),
    }
}

/// A service's `x-safeops: {probes: [...]}`.
pub fn service_probes(svc: &Value) -> Vec<String> {
    svc.get("x-safeops")
        .and_then(|x| x.get("probes"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| string(Some(p)))
        .collect()
}

/// A service's `env_file`: `FILE`, `[FILE...]`, or `[{path: FILE, required: bool}...]`.
pub fn service_env_files(svc: &Value) -> Vec<String> {
    match svc.get("env_file") {
        Some(Value::String(path)) => vec![path.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| string(Some(item)).or_else(|| string(item.get("path"))))
            .collect(),
        _ => Vec::new(),
    }
}

fn mount(entry: &Value) -> Option<Mount> {
    match entry {
        Value::String(short) => Some(parse_short_mount(short)),
        Value::Object(long) => {
            let kind = match long.get("type").and_then(Value::as_str).unwrap_or("volume") {
                "volume" => MountKind::Volume,
                "bind" => MountKind::Bind,
                "tmpfs" => MountKind::Tmpfs,
                _ => MountKind::Other,
            };
            Some(Mount {
                kind,
                source: string(long.get("source")).filter(|s| !s.is_empty()),
                target: string(long.get("target"))?,
            })
        }
        _ => None,
    }
}

/// Parses compose's short mount syntax `[SOURCE:]TARGET[:MODE]`.
pub fn parse_short_mount(spec: &str) -> Mount {
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, target) = match parts.as_slice() {
        [target] => (None, *target),
        [source, target, ..] => (Some(*source), *target),
        [] => (None, ""),
    };
    let kind = match source {
        None => MountKind::Volume,
        Some(s) if s.starts_with(['/', '.', '~']) || s.contains('/') => MountKind::Bind,
        Some(_) => MountKind::Volume,
    };
    Mount {
        kind,
        source: source.map(str::to_string),
        target: target.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v2_json_and_v1_yaml_give_the_same_model() {
        let v2 = json!({
            "name": "shop",
            "services": {"web": {"image": "busybox", "volumes": [
                {"type": "volume", "source": "data", "target": "/data", "volume": {}},
                {"type": "bind", "source": "/srv/x", "target": "/x", "read_only": true},
                {"type": "volume", "target": "/anon"}
            ]}},
            "volumes": {"data": {"name": "shop_data", "labels": {"io.safeops.protect": "true"}},
                        "ext": {"name": "ext", "external": true}}
        });
        let v1 = json!({
            "services": {"web": {"image": "busybox", "volumes": [
                "data:/data:rw", "/srv/x:/x:ro", "/anon"
            ]}},
            "volumes": {"data": {"labels": ["io.safeops.protect=true"]},
                        "ext": {"external": {"name": "ext"}}}
        });
        assert_eq!(
            ComposeModel::from_config(&v2, "ignored"),
            ComposeModel::from_config(&v1, "shop")
        );
        let model = ComposeModel::from_config(&v1, "shop");
        assert_eq!(model.volume_name("data"), Some("shop_data"));
        assert!(model.volumes["ext"].external);
        let mounts = &model.services["web"].mounts;
        assert_eq!(mounts[0].kind, MountKind::Volume);
        assert_eq!(mounts[1].kind, MountKind::Bind);
        assert_eq!(
            (mounts[2].kind, mounts[2].source.as_deref()),
            (MountKind::Volume, None)
        );
    }

    #[test]
    fn explicit_and_external_names() {
        let cfg = json!({"volumes": {
            "a": {"name": "custom"},
            "b": {"external": true},
            "c": {"external": true, "name": "real_c"},
            "d": null
        }});
        let m = ComposeModel::from_config(&cfg, "p");
        assert_eq!(m.volume_name("a"), Some("custom"));
        assert_eq!(m.volume_name("b"), Some("b"));
        assert_eq!(m.volume_name("c"), Some("real_c"));
        assert_eq!(m.volume_name("d"), Some("p_d"));
    }
}
