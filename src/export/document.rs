//! The compose document `export` writes, and its `.env` file.
//!
//! The document is built with `docker-compose-types`' typed model, so that what we
//! write has compose's shape by construction. We write with it but do not read with it:
//! it rejects some valid files (`platform`, measured on sentry's resolved config), which
//! is why the loader keeps its own model (`compose::model`). The fields the typed
//! service has no place for (`cpus`, `pids_limit`, `cpu_shares`, ...) are added by one
//! documented post-processing step on the serialized tree ([`assemble`]), never dropped.

use std::collections::{BTreeMap, BTreeSet};

use docker_compose_types as dct;
use indexmap::IndexMap;
use serde_json::Value;

use super::service::Exported;
use crate::error::{Error, Result};

/// A compose file and what goes with it.
#[derive(Debug)]
pub struct Document {
    /// The compose file (YAML).
    pub yaml: String,
    /// The `.env` file with the secrets the file references, if any.
    pub dotenv: Option<String>,
    /// Services by container name.
    pub services: Vec<String>,
    /// External volumes: engine names.
    pub volumes: Vec<String>,
    /// External networks: engine names.
    pub networks: Vec<String>,
    /// What could not be expressed.
    pub lossy: Vec<String>,
}

/// Builds the document from exported containers.
pub fn assemble(project: Option<&str>, mut exported: Vec<Exported>) -> Result<Document> {
    let names: BTreeSet<String> = exported.iter().map(|e| e.name.clone()).collect();
    let mut lossy = Vec::new();
    let secrets = secret_variables(&mut exported);
    let mut compose = dct::Compose {
        name: project.map(str::to_string),
        ..dct::Compose::default()
    };
    let mut volumes = BTreeMap::new();
    let mut networks = BTreeMap::new();
    let mut services = IndexMap::new();
    let mut extras = Vec::new();
    for mut e in exported {
        let mut after: Vec<String> = e
            .links
            .iter()
            .filter(|l| names.contains(*l))
            .cloned()
            .collect();
        for link in &e.links {
            if !names.contains(link) {
                lossy.push(format!(
                    "{}: links to {link}, which is not exported with it",
                    e.name
                ));
            }
        }
        after.extend(mentioned_peers(&e, &names));
        after.sort();
        after.dedup();
        if !after.is_empty() {
            e.service.depends_on = dct::DependsOnOptions::Simple(after);
        }
        volumes.extend(e.volumes);
        networks.extend(e.networks);
        lossy.extend(e.lossy);
        extras.push((e.name.clone(), e.extra));
        services.insert(e.name.clone(), Some(e.service));
    }
    compose.services = dct::Services(services);
    compose.volumes = dct::TopLevelVolumes(
        volumes
            .iter()
            .map(|(key, name)| {
                let volume = dct::ComposeVolume {
                    driver: None,
                    driver_opts: IndexMap::new(),
                    external: Some(dct::ExternalVolume::Bool(true)),
                    labels: dct::Labels::default(),
                    name: Some(name.clone()),
                };
                (key.clone(), dct::MapOrEmpty::Map(volume))
            })
            .collect(),
    );
    compose.networks = dct::ComposeNetworks(
        networks
            .iter()
            .map(|(key, name)| {
                let network = dct::NetworkSettings {
                    external: Some(dct::ComposeNetwork::Bool(true)),
                    name: Some(name.clone()),
                    ..dct::NetworkSettings::default()
                };
                (key.clone(), dct::MapOrEmpty::Map(network))
            })
            .collect(),
    );
    let mut tree = serde_json::to_value(&compose)
        .map_err(|e| Error::failure(format!("cannot serialize the compose file: {e}")))?;
    // Post-processing: the fields the typed service lacks.
    for (name, extra) in extras {
        if let Some(Value::Object(service)) = tree.pointer_mut(&format!("/services/{name}")) {
            service.extend(extra);
        }
    }
    let body = serde_norway::to_string(&tree)
        .map_err(|e| Error::failure(format!("cannot write the compose file: {e}")))?;
    let yaml = format!(
        "# Written by `docker safeops export` from the containers {}.\n\
         # Every volume and network is external: no compose command deletes them.\n{body}",
        names.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    let dotenv = (!secrets.is_empty()).then(|| dotenv(&secrets, &mut lossy));
    Ok(Document {
        yaml,
        dotenv,
        services: names.into_iter().collect(),
        volumes: volumes.into_values().collect(),
        networks: networks.into_values().collect(),
        lossy,
    })
}

/// Gives every secret a variable of its own in the `.env` file: its env key, or
/// `<CONTAINER>_<KEY>` when two containers hold different values under one key.
fn secret_variables(exported: &mut [Exported]) -> Vec<(String, String)> {
    let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in exported.iter() {
        for (key, value) in &e.secrets {
            values.entry(key.clone()).or_default().insert(value.clone());
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for e in exported.iter_mut() {
        for (key, value) in &e.secrets {
            let variable = if values[key].len() > 1 {
                let prefix: String = e
                    .name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_uppercase()
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let variable = format!("{prefix}_{key}");
                if let dct::Environment::KvPair(env) = &mut e.service.environment {
                    env.insert(
                        key.clone(),
                        Some(dct::SingleValue::String(format!("${{{variable}}}"))),
                    );
                }
                variable
            } else {
                key.clone()
            };
            if !out.iter().any(|(v, _)| *v == variable) {
                out.push((variable, value.clone()));
            }
        }
    }
    out
}

/// Exported containers whose env names `e`'s peers by container name as a host
/// (`DB_HOST=db`, `postgres://db:5432/x`): compose starts those first.
fn mentioned_peers(e: &Exported, names: &BTreeSet<String>) -> Vec<String> {
    let dct::Environment::KvPair(env) = &e.service.environment else {
        return Vec::new();
    };
    let values: Vec<String> = env.values().flatten().map(|v| v.to_string()).collect();
    names
        .iter()
        .filter(|peer| **peer != e.name)
        .filter(|peer| {
            values.iter().any(|value| {
                value
                    .split(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
                    .any(|token| token == peer.as_str())
            })
        })
        .cloned()
        .collect()
}

/// The `.env` file: single-quoted values, which compose reads literally (no `$`
/// expansion) but for `\'`, an escaped quote.
fn dotenv(secrets: &[(String, String)], lossy: &mut Vec<String>) -> String {
    let mut out = String::from(
        "# Secrets of the exported containers, referenced by the compose file. Keep it 0600.\n",
    );
    for (variable, value) in secrets {
        // A backslash before a quote or at the end would read as an escape.
        if value.contains("\\'") || value.ends_with('\\') || value.contains('\n') {
            lossy.push(format!(
                "{variable}: its value has a backslash before a quote, at its end, or a \
                 newline, which .env cannot hold exactly; check it in .env"
            ));
        }
        out.push_str(&format!("{variable}='{}'\n", value.replace('\'', "\\'")));
    }
    out
}
