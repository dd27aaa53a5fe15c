//! The way back from `docker run` to compose (seed 000 §1): `export` writes a compose
//! file for standalone containers that keeps everything `recreate` preserves, with
//! every volume and network external so that no compose command can delete data it did
//! not create; `adopt` then replaces the containers by that project's, in the safe
//! order of `recreate`.

pub mod adopt;
pub mod document;
pub mod service;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::engine::Engine;
use crate::engine::inventory::LABEL_PROJECT;
use crate::error::{Error, Result};
use crate::runmode::recreate::image_defaults;

pub use document::Document;

/// The containers `names`, inspected: each must exist and not belong to a compose
/// project already.
pub async fn inspect(engine: &Engine, names: &[String]) -> Result<Vec<Value>> {
    let mut specs = Vec::new();
    for name in names {
        crate::engine::names::checked(name, "the container name")?;
        let spec = engine
            .get_raw_json(&format!("/containers/{name}/json"))
            .await
            .map_err(|err| {
                Error::usage(format!("no container {name}: {}", err.message))
                    .hint("name standalone containers as `docker ps -a` lists them")
            })?;
        if let Some(project) = spec
            .pointer("/Config/Labels")
            .and_then(|l| l.get(LABEL_PROJECT))
        {
            return Err(Error::usage(format!(
                "{name} already belongs to the compose project {}",
                project.as_str().unwrap_or("?")
            ))
            .hint("export and adopt take containers started with `docker run`"));
        }
        if spec
            .pointer("/HostConfig/AutoRemove")
            .and_then(Value::as_bool)
            == Some(true)
        {
            return Err(Error::usage(format!(
                "{name} was started with --rm: the engine deletes it, and its anonymous \
                 volumes, as soon as it stops"
            ))
            .hint("export it (export never stops it), then recreate it from the file yourself"));
        }
        if specs.iter().any(|s: &Value| s["Id"] == spec["Id"]) {
            continue;
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// The image reference a container is pinned to: a digest of the image it runs when
/// one is known, else a tag that names that image now, else its id.
async fn pinned_image(engine: &Engine, spec: &Value) -> String {
    let id = spec["Image"].as_str().unwrap_or_default();
    let configured = spec
        .pointer("/Config/Image")
        .and_then(Value::as_str)
        .unwrap_or(id);
    let Ok(image) = engine.docker.inspect_image(id).await else {
        return id.to_string();
    };
    if let Some(digest) = image.repo_digests.as_ref().and_then(|d| d.first()) {
        return digest.clone();
    }
    let tags = image.repo_tags.unwrap_or_default();
    if tags.iter().any(|t| t == configured) {
        return configured.to_string();
    }
    tags.into_iter().next().unwrap_or_else(|| id.to_string())
}

/// Exports the containers (inspect documents) as one compose document.
pub async fn export(engine: &Engine, specs: &[Value], project: Option<&str>) -> Result<Document> {
    // Secrets of one container's env are secrets wherever else they appear.
    for spec in specs {
        let env = spec.pointer("/Config/Env").and_then(Value::as_array);
        crate::redact::remember_env(env.into_iter().flatten().filter_map(Value::as_str));
    }
    // Every container by id, with whether it is exported here: what a
    // `container:ID` namespace becomes.
    let chosen: Vec<&str> = specs.iter().filter_map(|s| s["Id"].as_str()).collect();
    let peers: BTreeMap<String, (String, bool)> = crate::engine::inventory::containers(engine)
        .await?
        .into_iter()
        .map(|c| {
            let exported = chosen.contains(&c.id.as_str());
            (c.id, (c.name, exported))
        })
        .collect();
    let mut exported = Vec::new();
    for spec in specs {
        let image = pinned_image(engine, spec).await;
        let defaults = image_defaults(engine, spec["Image"].as_str().unwrap_or_default()).await;
        exported.push(service::export(spec, &image, &defaults, &peers));
    }
    document::assemble(project, exported)
}
