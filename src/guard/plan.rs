//! Plans of destructive verbs: what they would destroy, with protection, size, users and
//! last backup per volume (docs/cli.md, the dry-run plan). `down -v` follows compose:
//! every non-external volume of the resolved model (by name, even one the project did
//! not create) and the anonymous volumes of the removed containers; external volumes
//! are kept.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::engine::inventory::{self, Container, Volume};
use crate::error::{Error, Result};
use crate::guard::protect::{self, Policy, VolumeFacts};
use crate::target::{Mode, Target};

/// What the verb would do to a volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Delete it.
    Remove,
    /// Leave it.
    Keep,
}

/// One volume of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedVolume {
    /// Engine name.
    pub name: String,
    /// What the real command would do to it.
    pub action: Action,
    /// Protected (destroying it needs confirmation).
    pub protected: bool,
    /// Size, when the engine reported it.
    pub size_bytes: Option<u64>,
    /// Why it is (not) protected, or why it is kept.
    pub reason: String,
    /// Containers that mount it.
    pub used_by: Vec<String>,
    /// When it was last backed up.
    pub last_backup: Option<String>,
}

/// A destructive verb's plan (the `--dry-run --format json` document).
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// `compose` or `run`.
    pub mode: Mode,
    /// The project, for project verbs.
    pub project: Option<String>,
    /// Containers it removes.
    pub containers: Vec<String>,
    /// Every volume the target uses or declares.
    pub volumes: Vec<PlannedVolume>,
}

impl Plan {
    /// The volumes it removes, or whose containers it removes: another operation on
    /// them (a backup that stopped those containers to start them again) must not run
    /// meanwhile.
    pub fn volumes_touched(&self) -> Vec<&str> {
        self.volumes
            .iter()
            .filter(|v| {
                v.action == Action::Remove || v.used_by.iter().any(|c| self.containers.contains(c))
            })
            .map(|v| v.name.as_str())
            .collect()
    }

    /// The protected volumes it would remove.
    pub fn protected_removals(&self) -> Vec<&PlannedVolume> {
        self.volumes
            .iter()
            .filter(|v| v.action == Action::Remove && v.protected)
            .collect()
    }

    /// The plan for people: what goes, what stays, and why.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(project) = &self.project {
            out.push_str(&format!("project {project} ({:?} mode)\n", self.mode).to_lowercase());
        }
        if !self.containers.is_empty() {
            out.push_str(&format!(
                "  containers removed: {}\n",
                self.containers.join(", ")
            ));
        }
        let rows: Vec<Vec<String>> = self
            .volumes
            .iter()
            .map(|v| {
                vec![
                    v.name.clone(),
                    match v.action {
                        Action::Remove => "REMOVE".into(),
                        Action::Keep => "keep".into(),
                    },
                    if v.protected {
                        "yes".into()
                    } else {
                        "no".into()
                    },
                    v.size_bytes
                        .map_or("?".into(), crate::ui::table::human_bytes),
                    if v.used_by.is_empty() {
                        "-".into()
                    } else {
                        v.used_by.join(", ")
                    },
                    v.last_backup.clone().unwrap_or_else(|| "never".into()),
                    v.reason.clone(),
                ]
            })
            .collect();
        if !rows.is_empty() {
            out.push_str(&crate::ui::table::render(
                "  ",
                &[
                    "VOLUME",
                    "ACTION",
                    "PROTECTED",
                    "SIZE",
                    "USED BY",
                    "LAST BACKUP",
                    "WHY",
                ],
                &rows,
            ));
        }
        out
    }
}

/// What `down` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct DownRequest {
    /// `-v`: remove volumes.
    pub volumes: bool,
    /// `--remove-orphans`.
    pub remove_orphans: bool,
    /// Only these services.
    pub services: Vec<String>,
}

/// Facts about the engine a plan needs.
pub struct PlanFacts<'a> {
    /// Every container.
    pub containers: &'a [Container],
    /// Every volume.
    pub volumes: &'a HashMap<String, Volume>,
    /// Volume sizes, when known.
    pub sizes: Option<&'a HashMap<String, u64>>,
    /// The protection policy.
    pub policy: &'a Policy,
    /// Last backup per volume.
    pub last_backups: &'a HashMap<String, String>,
    /// The engine labels its anonymous volumes (`com.docker.volume.anonymous`, API 1.42,
    /// Docker 23): only those are anonymous to `volume prune`, as to the engine.
    pub labels_anonymous: bool,
}

/// The plan of `down` for `target`.
pub fn down(target: &Target, request: &DownRequest, facts: &PlanFacts<'_>) -> Result<Plan> {
    let Target::Project(project) = target else {
        return Err(Error::usage(format!(
            "{} is a standalone container, not a compose project",
            target.name()
        ))
        .hint("use `docker safeops rm CONTAINER` for containers started with docker run"));
    };
    let services: Option<BTreeSet<&str>> = project
        .model
        .as_ref()
        .map(|m| m.services.keys().map(String::as_str).collect());
    // Compose enables a service named on its command line whatever its profiles, and
    // takes its volumes: a plan without them would keep what compose then removes.
    if let Some(services) = &services {
        let unknown: Vec<&str> = request
            .services
            .iter()
            .map(String::as_str)
            .filter(|s| !services.contains(s))
            .collect();
        if !unknown.is_empty() {
            return Err(Error::usage(format!(
                "service {} is not in project {} as loaded (its profiles are not enabled, \
                 or the name is wrong): compose would enable it and act on volumes this \
                 plan cannot see",
                unknown.join(", "),
                project.name
            ))
            .hint(
                "enable its profile (`docker safeops --profile NAME down ...`); \
                   `docker compose config --services` lists the services",
            ));
        }
    }
    let removed: Vec<&Container> = project
        .containers
        .iter()
        .filter(|c| {
            let service = c.service().unwrap_or_default();
            let in_model = services.as_ref().is_none_or(|s| s.contains(service));
            let selected =
                request.services.is_empty() || request.services.iter().any(|s| s == service);
            selected && (in_model || request.remove_orphans)
        })
        .collect();
    let removed_names: BTreeSet<&str> = removed.iter().map(|c| c.name.as_str()).collect();
    let whole_project = request.services.is_empty();
    // `compose down -v SERVICE` removes the volumes of the services it selects, which
    // it works out with their dependencies: every declared volume may go. Without
    // compose, safeops removes those its removed containers mount.
    let services_take_all = project.mode == Mode::Compose;
    let mut volumes = Vec::new();
    for (name, reference) in target.volume_refs(facts.volumes) {
        let volume = facts.volumes.get(&name);
        let anonymous = inventory::is_anonymous_name(&name) && reference.declared_as.is_none();
        let used_by: Vec<String> = facts
            .containers
            .iter()
            .filter(|c| c.volume_mounts.iter().any(|(v, _)| *v == name))
            .map(|c| c.name.clone())
            .collect();
        let only_removed_users = used_by.iter().all(|u| removed_names.contains(u.as_str()));
        let removed_with_services =
            services_take_all || used_by.iter().any(|u| removed_names.contains(u.as_str()));
        let declared = match &project.model {
            Some(_) => reference.declared_as.is_some(),
            // Without a model (run mode), compose's own label says it created it.
            None => volume
                .is_some_and(|v| v.labels.get(inventory::LABEL_PROJECT) == Some(&project.name)),
        };
        let (action, keep_reason) = if !request.volumes {
            (Action::Keep, Some("down without -v keeps volumes"))
        } else if reference.external {
            (Action::Keep, Some("external: compose never removes it"))
        } else if (anonymous && only_removed_users && !used_by.is_empty())
            || (declared && (whole_project || removed_with_services) && volume.is_some())
        {
            (Action::Remove, None)
        } else if volume.is_none() {
            (Action::Keep, Some("does not exist"))
        } else {
            (Action::Keep, Some("not declared by the project"))
        };
        let size_bytes = facts.sizes.and_then(|s| s.get(&name).copied());
        let protection = protect::evaluate(
            &VolumeFacts {
                name: &name,
                declared_as: reference.declared_as.as_deref(),
                external: reference.external,
                exists: volume.is_some(),
                labels: volume.map(|v| &v.labels),
                size_bytes,
                project: Some(&project.name),
                compose_protect: &project.compose_protect,
                labels_anonymous: facts.labels_anonymous,
            },
            facts.policy,
        );
        let reason = match (action, keep_reason) {
            (Action::Keep, Some(why)) => format!("{why}; {}", protection.reason),
            _ => protection.reason.clone(),
        };
        volumes.push(PlannedVolume {
            last_backup: facts.last_backups.get(&name).cloned(),
            name,
            action,
            protected: protection.protected,
            size_bytes,
            reason,
            used_by,
        });
    }
    Ok(Plan {
        mode: project.mode,
        project: Some(project.name.clone()),
        containers: removed.iter().map(|c| c.name.clone()).collect(),
        volumes,
    })
}

/// A volume outside any project's model, planned for `action`.
fn planned(volume: &Volume, action: Action, facts: &PlanFacts<'_>) -> PlannedVolume {
    let name = &volume.name;
    let size_bytes = facts.sizes.and_then(|s| s.get(name).copied());
    let protection = protect::evaluate(
        &VolumeFacts {
            name,
            exists: true,
            labels: Some(&volume.labels),
            size_bytes,
            project: volume
                .labels
                .get(inventory::LABEL_PROJECT)
                .map(String::as_str),
            labels_anonymous: facts.labels_anonymous,
            ..VolumeFacts::default()
        },
        facts.policy,
    );
    PlannedVolume {
        name: name.clone(),
        action,
        protected: protection.protected,
        size_bytes,
        reason: protection.reason,
        used_by: facts
            .containers
            .iter()
            .filter(|c| c.volume_mounts.iter().any(|(v, _)| v == name))
            .map(|c| c.name.clone())
            .collect(),
        last_backup: facts.last_backups.get(name).cloned(),
    }
}

fn run_plan(containers: Vec<String>, volumes: Vec<PlannedVolume>) -> Plan {
    Plan {
        mode: Mode::Run,
        project: None,
        containers,
        volumes,
    }
}

/// The plan of `volume rm NAME...`. Unknown volumes are an input error.
pub fn volume_rm(names: &[String], facts: &PlanFacts<'_>) -> Result<Plan> {
    let mut volumes = Vec::new();
    for name in names {
        let volume = facts.volumes.get(name).ok_or_else(|| {
            Error::usage(format!("no such volume: {name}"))
                .hint("list volumes with `docker volume ls`")
        })?;
        // The engine refuses to remove a volume any container, even a stopped one,
        // mounts: found now, before a confirmation and a safety backup that stops them.
        let users: Vec<&str> = facts
            .containers
            .iter()
            .filter(|c| c.volume_mounts.iter().any(|(v, _)| v == name))
            .map(|c| c.name.as_str())
            .collect();
        if !users.is_empty() {
            return Err(Error::failure(format!(
                "volume {name} is in use by {}: the engine would refuse to remove it; \
                 nothing was done",
                users.join(", ")
            ))
            .hint("remove those containers first (`docker safeops rm CONTAINER`)"));
        }
        volumes.push(planned(volume, Action::Remove, facts));
    }
    Ok(run_plan(Vec::new(), volumes))
}

/// The plan of `volume prune`: every volume no container uses; named ones only with
/// `all` (the Docker CLI's behaviour since 23.0, whatever the engine's API version).
/// An engine that labels anonymous volumes prunes those alone, not an older one with a
/// hex name, which it keeps: so does the plan.
pub fn volume_prune(all: bool, facts: &PlanFacts<'_>) -> Plan {
    let mut unused: Vec<&Volume> = facts
        .volumes
        .values()
        .filter(|v| {
            !facts
                .containers
                .iter()
                .any(|c| c.volume_mounts.iter().any(|(m, _)| *m == v.name))
        })
        .filter(|v| {
            all || inventory::is_anonymous(&v.name, Some(&v.labels), facts.labels_anonymous)
        })
        .collect();
    unused.sort_by(|a, b| a.name.cmp(&b.name));
    run_plan(
        Vec::new(),
        unused
            .into_iter()
            .map(|v| planned(v, Action::Remove, facts))
            .collect(),
    )
}

/// The plan of `rm [-v] CONTAINER...`: the containers, and with `-v` their anonymous
/// volumes that no other container uses (named volumes are never removed by `rm`).
pub fn rm(names: &[String], remove_volumes: bool, facts: &PlanFacts<'_>) -> Result<Plan> {
    let mut removed = Vec::new();
    for name in names {
        let container = inventory::find_container(facts.containers, name)
            .ok_or_else(|| Error::usage(format!("no such container: {name}")))?;
        removed.push(container);
    }
    let removed_names: BTreeSet<&str> = removed.iter().map(|c| c.name.as_str()).collect();
    let mut volumes = Vec::new();
    let mut seen = BTreeSet::new();
    for container in &removed {
        for (name, _) in &container.volume_mounts {
            let Some(volume) = facts.volumes.get(name) else {
                continue;
            };
            if !seen.insert(name.clone()) {
                continue;
            }
            let only_these = facts
                .containers
                .iter()
                .filter(|c| c.volume_mounts.iter().any(|(v, _)| v == name))
                .all(|c| removed_names.contains(c.name.as_str()));
            let action = if remove_volumes && inventory::is_anonymous_name(name) && only_these {
                Action::Remove
            } else {
                Action::Keep
            };
            volumes.push(planned(volume, action, facts));
        }
    }
    Ok(run_plan(
        removed.iter().map(|c| c.name.clone()).collect(),
        volumes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On an engine that labels anonymous volumes, a hex-named volume without the label
    /// (made before the upgrade to Docker 23) is kept by `volume prune`, as the engine
    /// keeps it; on an older engine the name is all there is.
    #[test]
    fn volume_prune_takes_the_volumes_the_engine_counts_anonymous() {
        let hex = "a".repeat(64);
        let labelled = "b".repeat(64);
        let volume = |name: &str, labels: &[&str]| Volume {
            name: name.to_string(),
            driver: "local".into(),
            labels: labels
                .iter()
                .map(|l| (l.to_string(), String::new()))
                .collect(),
        };
        let volumes: HashMap<String, Volume> = [
            volume(&hex, &[]),
            volume(&labelled, &[inventory::LABEL_ANONYMOUS]),
            volume("named", &[]),
        ]
        .into_iter()
        .map(|v| (v.name.clone(), v))
        .collect();
        let (policy, last_backups) = (Policy::default(), HashMap::new());
        let pruned = |labels_anonymous: bool| -> Vec<String> {
            let facts = PlanFacts {
                containers: &[],
                volumes: &volumes,
                sizes: None,
                policy: &policy,
                last_backups: &last_backups,
                labels_anonymous,
            };
            volume_prune(false, &facts)
                .volumes
                .into_iter()
                .map(|v| v.name)
                .collect()
        };
        assert_eq!(pruned(true), std::slice::from_ref(&labelled));
        assert_eq!(pruned(false), [hex, labelled]);
    }
}
