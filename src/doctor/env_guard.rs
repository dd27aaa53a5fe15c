//! `env-guard` (R-DOC-3, seed 000 §7: a test environment configured with the production
//! URL): the policy file names environments, the engines that belong to each and their
//! markers (hosts, addresses, URLs); a container on this engine whose env, command,
//! labels or compose env files contain a marker of *another* environment fails.

use std::collections::BTreeMap;

use super::facts::{Inspected, Subject};
use super::{CheckId, CheckResult, Facts, Finding};
use crate::guard::protect::Environment;

/// Runs the check.
pub async fn check(facts: &Facts) -> CheckResult {
    let environments = &facts.policy.environments;
    if environments.is_empty() {
        return CheckResult::skipped(
            CheckId::EnvGuard,
            "no environments in the policy file ([environments.NAME] engines = [...], \
             markers = [...])",
        );
    }
    let endpoint = &facts.engine.endpoint;
    let info = |key: &str| facts.info.get(key).and_then(|v| v.as_str()).unwrap_or("");
    let identities = [
        endpoint.context.as_str(),
        endpoint.host.as_str(),
        info("Name"),
        info("ID"),
    ];
    let Some((current, _)) = environments.iter().find(|(_, env)| {
        env.engines
            .iter()
            .any(|e| identities.iter().any(|id| !id.is_empty() && e == id))
    }) else {
        return CheckResult::skipped(
            CheckId::EnvGuard,
            format!(
                "this engine (context {}, host {}, name {}) belongs to no environment of the \
                 policy file: add it to one's engines",
                endpoint.context,
                endpoint.host,
                info("Name")
            ),
        );
    };
    let foreign = foreign_markers(environments, current);
    let mut findings = Vec::new();
    for subject in &facts.subjects {
        for container in &subject.containers {
            findings.extend(judge(subject, container, &foreign, current));
        }
    }
    CheckResult::ran(
        CheckId::EnvGuard,
        format!(
            "this engine is in environment {current}; {} markers of {} other environments looked for",
            foreign.len(),
            environments.len() - 1
        ),
        findings,
    )
}

/// The markers of every environment but `current` (and not also `current`'s own),
/// with the environment they belong to.
fn foreign_markers<'a>(
    environments: &'a BTreeMap<String, Environment>,
    current: &str,
) -> Vec<(&'a str, &'a str)> {
    let own = &environments[current].markers;
    environments
        .iter()
        .filter(|(name, _)| name.as_str() != current)
        .flat_map(|(name, env)| env.markers.iter().map(move |m| (name.as_str(), m.as_str())))
        .filter(|(_, marker)| !marker.is_empty() && !own.iter().any(|o| o == marker))
        .collect()
}

/// Whether `text` mentions `marker` as a whole token: `10.0.0.5` is in
/// `http://10.0.0.5:80` but not in `10.0.0.50`.
fn mentions(text: &str, marker: &str) -> bool {
    let (text, marker) = (text.to_ascii_lowercase(), marker.to_ascii_lowercase());
    text.match_indices(&marker).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + marker.len()..].chars().next();
        let part_of_name = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        let continues = after == Some('.')
            && text[at + marker.len() + 1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        !part_of_name(before) && !part_of_name(after) && !continues
    })
}

/// Where a container names a foreign marker: the place (never the value, which may be a
/// secret) and the marker.
fn judge(
    subject: &Subject,
    container: &Inspected,
    foreign: &[(&str, &str)],
    current: &str,
) -> Vec<Finding> {
    let mut places: Vec<(String, &str)> = Vec::new();
    for entry in container.env() {
        let (key, value) = entry.split_once('=').unwrap_or((entry, ""));
        places.push((format!("env {key}"), value));
    }
    let command = container.command();
    for (i, arg) in command.iter().enumerate() {
        places.push((format!("command argument {}", i + 1), arg));
    }
    for (key, value) in container.labels() {
        places.push((format!("label {key}"), value));
    }
    let mut env_file_lines = Vec::new();
    if let (Some(model), Some(service)) = (&subject.model, container.service()) {
        for file in model
            .services
            .get(service)
            .map(|s| s.env_files.as_slice())
            .unwrap_or_default()
        {
            if let Ok(text) = std::fs::read_to_string(file) {
                for line in text.lines() {
                    let key = line.split('=').next().unwrap_or("").trim().to_string();
                    env_file_lines.push((format!("env file {file}: {key}"), line.to_string()));
                }
            }
        }
    }
    let env_file_places = env_file_lines.iter().map(|(p, l)| (p.clone(), l.as_str()));
    let mut findings = Vec::new();
    for (place, value) in places.into_iter().chain(env_file_places) {
        for (environment, marker) in foreign {
            if mentions(value, marker) {
                findings.push(
                    Finding::fail(
                        format!("container {}", container.name),
                        format!(
                            "{place} names {marker}, a marker of environment {environment}; \
                             this engine is in {current}"
                        ),
                    )
                    .remedy(format!(
                        "point it at {current}'s services and recreate the container; another \
                         environment's configuration must not run here"
                    )),
                );
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_match_whole_tokens() {
        assert!(mentions("DB_HOST=172.30.30.57", "172.30.30.57"));
        assert!(mentions("https://PROD.example.com/api", "prod.example.com"));
        assert!(!mentions("172.30.30.570", "172.30.30.57"));
        assert!(!mentions("172.30.30.57.1", "172.30.30.57"));
        assert!(!mentions("preprod.example.com", "prod.example.com"));
        assert!(mentions("prod.example.com.", "prod.example.com"));
    }

    #[test]
    fn markers_of_other_environments_only() {
        let env = |markers: &[&str]| Environment {
            engines: Vec::new(),
            markers: markers.iter().map(|m| m.to_string()).collect(),
        };
        let all = BTreeMap::from([
            ("prod".to_string(), env(&["10.0.0.5", "shared.example.com"])),
            ("test".to_string(), env(&["10.0.1.5", "shared.example.com"])),
        ]);
        assert_eq!(foreign_markers(&all, "test"), [("prod", "10.0.0.5")]);
    }
}
