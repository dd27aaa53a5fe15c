//! Saved container specs: the inspect document of every container safeops touches
//! destructively (down, rm, recreate) or backs up, kept as a history per container name
//! in `$XDG_STATE_HOME/docker-safeops/specs/<name>/`, so that a container that no longer
//! exists can be recreated, and its previous images are known (rollback points).

use std::fs;
use std::path::{Path, PathBuf};

use crate::engine::Engine;
use crate::error::{Error, Result};

/// The specs directory.
pub fn specs_dir() -> PathBuf {
    crate::state::state_dir().join("specs")
}

fn container_dir(name: &str) -> PathBuf {
    specs_dir().join(name.trim_start_matches('/').replace('/', "_"))
}

/// Saves `spec` (an inspect document) in the history of its container. Returns the file.
pub fn save(spec: &serde_json::Value) -> Result<PathBuf> {
    let name = spec["Name"]
        .as_str()
        .unwrap_or("unnamed")
        .trim_start_matches('/');
    let dir = container_dir(name);
    let failed = |err: std::io::Error| {
        Error::failure(format!(
            "cannot save the spec of {name} in {}: {err}",
            dir.display()
        ))
    };
    let stamp: String = crate::state::now()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let path = dir.join(format!("{stamp}.json"));
    crate::state::write_private(
        &path,
        &serde_json::to_vec_pretty(spec).expect("spec serializes"),
    )
    .map_err(failed)?;
    Ok(path)
}

/// Inspects the container `id` and saves its spec; returns the spec.
pub async fn save_current(engine: &Engine, id: &str) -> Result<serde_json::Value> {
    let inspect = engine.docker.inspect_container(id, None).await?;
    let spec = serde_json::to_value(inspect).expect("inspect serializes");
    save(&spec)?;
    Ok(spec)
}

/// The saved specs of container `name`, oldest first.
pub fn history(name: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(container_dir(name))
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
}

/// What in a container spec reaches beyond the container's own storage into the host:
/// bind mounts, volumes with driver options, privileged mode, added capabilities,
/// devices, the host's namespaces, security options. Empty for a self-contained spec.
pub fn host_reach(spec: &serde_json::Value) -> Vec<String> {
    let host = &spec["HostConfig"];
    let mut found = Vec::new();
    let strings = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect()
    };
    for bind in strings(&host["Binds"]) {
        if bind.starts_with('/') {
            found.push(format!("bind mount {bind}"));
        }
    }
    for mount in host["Mounts"].as_array().into_iter().flatten() {
        if mount["Type"] == "bind" {
            found.push(format!(
                "bind mount {} -> {}",
                mount["Source"], mount["Target"]
            ));
        }
        if !mount["VolumeOptions"]["DriverConfig"].is_null() {
            found.push(format!("volume {} with driver options", mount["Source"]));
        }
    }
    if host["Privileged"] == true {
        found.push("privileged".into());
    }
    for (key, what) in [
        ("CapAdd", "added capability"),
        ("SecurityOpt", "security option"),
    ] {
        for value in strings(&host[key]) {
            found.push(format!("{what} {value}"));
        }
    }
    for device in host["Devices"].as_array().into_iter().flatten() {
        found.push(format!("device {}", device["PathOnHost"]));
    }
    for key in [
        "PidMode",
        "NetworkMode",
        "IpcMode",
        "UTSMode",
        "UsernsMode",
        "CgroupnsMode",
    ] {
        if host[key] == "host" {
            found.push(format!("{key}=host"));
        }
    }
    found
        .into_iter()
        .map(|f| f.escape_debug().to_string())
        .collect()
}

/// The largest spec read from a file or a backup: inspect documents are a few KiB.
const MAX_SPEC_BYTES: u64 = 16 << 20;

/// Parses a spec from `reader` (at most [`MAX_SPEC_BYTES`]); `what` names it in errors.
pub fn parse(reader: impl std::io::Read, what: &str) -> Result<serde_json::Value> {
    use std::io::Read;
    let mut bytes = Vec::new();
    reader
        .take(MAX_SPEC_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::failure(format!("cannot read the spec {what}: {e}")))?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(Error::integrity(format!(
            "the spec {what} is larger than {MAX_SPEC_BYTES} bytes"
        )));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::failure(format!("the spec {what} is not valid: {e}")))
}

/// Reads one saved spec.
pub fn read(path: &Path) -> Result<serde_json::Value> {
    let file = fs::File::open(path).map_err(|e| {
        Error::failure(format!(
            "cannot read the saved spec {}: {e}",
            path.display()
        ))
    })?;
    parse(file, &path.display().to_string())
}

/// The images container `name` ran before, newest first, other than `current_id`: its
/// rollback points, as (reference it was run with, image id).
pub fn rollback_points(name: &str, current_id: &str) -> Vec<(String, String)> {
    let mut points: Vec<(String, String)> = Vec::new();
    for path in history(name).iter().rev() {
        let Ok(spec) = read(path) else { continue };
        let (Some(id), Some(reference)) =
            (spec["Image"].as_str(), spec["Config"]["Image"].as_str())
        else {
            continue;
        };
        if id != current_id && !points.iter().any(|(_, known)| known == id) {
            points.push((reference.to_string(), id.to_string()));
        }
    }
    points
}

/// Every image id any saved spec ran: what image clean-ups must keep.
pub fn all_rollback_points() -> std::collections::BTreeSet<String> {
    let mut ids = std::collections::BTreeSet::new();
    let Ok(containers) = fs::read_dir(specs_dir()) else {
        return ids;
    };
    for container in containers.flatten() {
        let Ok(files) = fs::read_dir(container.path()) else {
            continue;
        };
        for file in files.flatten() {
            if let Ok(spec) = read(&file.path())
                && let Some(id) = spec["Image"].as_str()
            {
                ids.insert(id.to_string());
            }
        }
    }
    ids
}
