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

use super::service::{Exported, placeholder};
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
pub fn assemble(project: Option<&str>, exported: Vec<Exported>) -> Result<Document> {
    let names: BTreeSet<String> = exported.iter().map(|e| e.name.clone()).collect();
    // Env mentions suggest an order; one that would close a cycle (two containers
    // naming each other) is no order at all and is left out.
    let hosts = host_names(&exported);
    let mentions: BTreeMap<String, Vec<String>> = exported
        .iter()
        .map(|e| (e.name.clone(), mentioned_peers(e, &hosts)))
        .collect();
    let mut lossy = Vec::new();
    let mut compose = dct::Compose {
        name: project.map(str::to_string),
        ..dct::Compose::default()
    };
    let mut volumes = BTreeMap::new();
    let mut networks = BTreeMap::new();
    let mut services = IndexMap::new();
    let links_of: BTreeMap<String, Vec<String>> = exported
        .iter()
        .map(|e| (e.name.clone(), e.links.clone()))
        .collect();
    let mut extras = Vec::new();
    let mut secrets_of = Vec::new();
    for mut e in exported {
        let mut after: Vec<String> = e
            .links
            .iter()
            .filter(|l| names.contains(*l))
            .cloned()
            .collect();
        // A link to a container not exported with it would be a dependency on a
        // service the file does not have (compose refuses the file): an external
        // link, which compose resolves by container name when the project starts.
        let (internal, external): (Vec<String>, Vec<String>) = std::mem::take(&mut e.service.links)
            .into_iter()
            .partition(|link| names.contains(link.split(':').next().unwrap_or(link)));
        e.service.links = internal;
        if !external.is_empty() {
            for link in &external {
                lossy.push(format!(
                    "{}: links to {}, which is not exported with it: an external link, \
                     which needs that container to exist when the project starts",
                    e.name,
                    link.split(':').next().unwrap_or(link)
                ));
            }
            e.extra.insert("external_links".into(), external.into());
        }
        after.extend(
            mentions[&e.name]
                .iter()
                .filter(|peer| {
                    let back = mentions[*peer].contains(&e.name)
                        || exported_links(&e.name, peer, &links_of);
                    !back
                })
                .cloned(),
        );
        after.sort();
        after.dedup();
        if !after.is_empty() {
            e.service.depends_on = dct::DependsOnOptions::Simple(after);
        }
        for (kind, from, into) in [
            ("volume", e.volumes, &mut volumes),
            ("network", e.networks, &mut networks),
        ] {
            for (key, name) in from {
                if let Some(other) = into.get(&key).filter(|other| **other != name) {
                    return Err(Error::usage(format!(
                        "the {kind}s {other} and {name} would share the key {key} in the \
                         compose file"
                    ))
                    .hint("rename one of them (names this long or this alike cannot both be exported)"));
                }
                into.insert(key, name);
            }
        }
        lossy.extend(e.lossy);
        extras.push((e.name.clone(), e.extra));
        secrets_of.push((e.name.clone(), e.secrets));
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
    // Post-processing: the fields the typed service lacks, then the secrets'
    // variables and `$` escaping over each whole service.
    for (name, extra) in extras {
        if let Some(Value::Object(service)) = tree.pointer_mut(&format!("/services/{name}")) {
            service.extend(extra);
        }
    }
    let mut secrets = Vec::new();
    for (name, list) in &secrets_of {
        if let Some(service) = tree.pointer_mut(&format!("/services/{name}")) {
            resolve_secrets(service, name, list, &mut secrets);
        }
    }
    let body = serde_norway::to_string(&tree)
        .map_err(|e| Error::failure(format!("cannot write the compose file: {e}")))?;
    let yaml = format!(
        "# Written by `docker safeops export` from the containers {}.\n\
         # Every volume and network is external: no compose command deletes them.\n{body}",
        names.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    let dotenv = (!secrets.is_empty()).then(|| dotenv(&secrets));
    Ok(Document {
        yaml,
        dotenv,
        services: names.into_iter().collect(),
        volumes: volumes.into_values().collect(),
        networks: networks.into_values().collect(),
        lossy,
    })
}

/// A variable name for the `.env` file: `SAFEOPS_<CONTAINER>_<WHAT>`, uppercase,
/// letters, digits and `_` only (so that no shell variable of the operator's takes
/// its place by accident, and compose accepts it).
fn variable(container: &str, what: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("SAFEOPS_{}_{}", clean(container), clean(what))
}

/// Gives every secret a variable of its own (distinct also when two names clean up
/// the same) and puts `${VARIABLE}` where its placeholder is; escapes every other `$`
/// of the service as `$$`, so that compose interpolates nothing else.
fn resolve_secrets(
    service: &mut Value,
    container: &str,
    secrets: &[(String, String)],
    taken: &mut Vec<(String, String)>,
) {
    let mut names = Vec::new();
    for (what, value) in secrets {
        let base = variable(container, what);
        let mut name = base.clone();
        let mut n = 1;
        while taken.iter().any(|(v, _)| *v == name) {
            n += 1;
            name = format!("{base}_{n}");
        }
        taken.push((name.clone(), value.clone()));
        names.push(name);
    }
    escape_strings(service, &names);
}

fn escape_strings(value: &mut Value, names: &[String]) {
    match value {
        Value::String(s) => {
            let mut out = s.replace('$', "$$");
            for (i, name) in names.iter().enumerate() {
                out = out.replace(&placeholder(i), &reference(name));
            }
            *s = out;
        }
        Value::Array(items) => items.iter_mut().for_each(|v| escape_strings(v, names)),
        Value::Object(map) => map.values_mut().for_each(|v| escape_strings(v, names)),
        _ => {}
    }
}

/// A reference to the secret variable `name`, which compose refuses to run without
/// (`${NAME?...}`): compose run from another directory than the `.env` file's would
/// otherwise give the container an empty password, which some applications take for
/// "no database configured" and start afresh.
fn reference(name: &str) -> String {
    format!("${{{name}?{ENV_MISSING}}}")
}

/// What compose says when a secret variable is not set.
const ENV_MISSING: &str =
    "set in the .env file beside the compose file: run compose in its directory";

/// Whether `peer` links to `container` (so `container` cannot wait for `peer`).
fn exported_links(container: &str, peer: &str, links_of: &BTreeMap<String, Vec<String>>) -> bool {
    links_of
        .get(peer)
        .is_some_and(|l| l.iter().any(|x| x == container))
}

/// The names the exported containers answer to on their networks, each with its
/// container: container names, and network aliases that only one of them has.
fn host_names(exported: &[Exported]) -> BTreeMap<String, String> {
    let mut hosts: BTreeMap<String, Option<String>> = BTreeMap::new();
    for e in exported {
        let aliases = match &e.service.networks {
            dct::Networks::Advanced(networks) => networks
                .0
                .values()
                .filter_map(|n| match n {
                    dct::MapOrEmpty::Map(settings) => Some(settings.aliases.clone()),
                    dct::MapOrEmpty::Empty => None,
                })
                .flatten()
                .collect(),
            dct::Networks::Simple(_) => Vec::new(),
        };
        for alias in aliases {
            let entry = hosts.entry(alias).or_insert_with(|| Some(e.name.clone()));
            if entry.as_deref() != Some(e.name.as_str()) {
                *entry = None;
            }
        }
    }
    let mut unambiguous: BTreeMap<String, String> = hosts
        .into_iter()
        .filter_map(|(alias, owner)| Some((alias, owner?)))
        .collect();
    for e in exported {
        unambiguous.insert(e.name.clone(), e.name.clone());
    }
    unambiguous
}

/// Exported containers whose env names `e`'s peers as a host, by container name or
/// alias (`DB_HOST=db`, `postgres://db:5432/x`): compose starts those first.
fn mentioned_peers(e: &Exported, hosts: &BTreeMap<String, String>) -> Vec<String> {
    let dct::Environment::KvPair(env) = &e.service.environment else {
        return Vec::new();
    };
    let mut peers: Vec<String> = env
        .values()
        .flatten()
        .map(|v| v.to_string())
        .flat_map(|value| {
            value
                .split(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
                .filter_map(|token| hosts.get(token).cloned())
                .collect::<Vec<_>>()
        })
        .filter(|peer| *peer != e.name)
        .collect();
    peers.sort();
    peers.dedup();
    peers
}

/// The `.env` file: double-quoted values with compose's escapes (`\\`, `\"`, `\$`,
/// `\n`), which hold any value exactly.
fn dotenv(secrets: &[(String, String)]) -> String {
    let mut out = String::from(
        "# Secrets of the exported containers, referenced by the compose file. Keep it 0600.\n",
    );
    for (variable, value) in secrets {
        let escaped = value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('$', "\\$")
            .replace('\n', "\\n");
        out.push_str(&format!("{variable}=\"{escaped}\"\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn env_mentions_of_names_and_unambiguous_aliases_order_the_services() {
        let with = |name: &str, aliases: &[&str], env: &[(&str, &str)]| {
            let mut e = Exported {
                name: name.into(),
                ..Exported::default()
            };
            let settings = dct::AdvancedNetworkSettings {
                aliases: aliases.iter().map(|a| a.to_string()).collect(),
                ..dct::AdvancedNetworkSettings::default()
            };
            e.service.networks =
                dct::Networks::Advanced(dct::AdvancedNetworks(IndexMap::from([(
                    "net".to_string(),
                    dct::MapOrEmpty::Map(settings),
                )])));
            e.service.environment = dct::Environment::KvPair(
                env.iter()
                    .map(|(k, v)| (k.to_string(), Some(dct::SingleValue::String(v.to_string()))))
                    .collect(),
            );
            e
        };
        let all = vec![
            with("pg-1", &["database", "shared"], &[]),
            with("cache-1", &["shared"], &[]),
            with(
                "web-1",
                &[],
                &[("DB", "postgres://database:5432/x"), ("C", "shared:6379")],
            ),
        ];
        let hosts = host_names(&all);
        assert_eq!(
            mentioned_peers(&all[2], &hosts),
            ["pg-1"],
            "an ambiguous alias says nothing"
        );
    }

    #[test]
    fn secrets_become_variables_and_every_other_dollar_is_escaped() {
        let mut service = json!({
            "command": ["sh", "-c", "echo $HOME", placeholder(0)],
            "environment": {"A": "x=$y", "PW": placeholder(1)},
        });
        let mut taken = vec![("SAFEOPS_Q_X_PW".to_string(), "other".to_string())];
        let secrets = [
            ("COMMAND".to_string(), "--k".to_string()),
            ("PW".to_string(), "v".to_string()),
        ];
        resolve_secrets(&mut service, "q.x", &secrets, &mut taken);
        assert_eq!(
            service,
            json!({
                "command": ["sh", "-c", "echo $$HOME", reference("SAFEOPS_Q_X_COMMAND")],
                "environment": {"A": "x=$$y", "PW": reference("SAFEOPS_Q_X_PW_2")},
            })
        );
        assert_eq!(
            dotenv(&[("V".into(), "p$w\\'d\\\"q\nx".into())])
                .lines()
                .nth(1),
            Some("V=\"p\\$w\\\\'d\\\\\\\"q\\nx\"")
        );
    }
}
