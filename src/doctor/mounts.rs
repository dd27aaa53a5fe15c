//! `mounts`: bind sources that are gone from the host, volumes a container or the
//! compose file expects that no longer exist, and volumes that hold far less than at
//! their last backup (R-GUARD-5: the service looks healthy, the data is gone).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::{CheckId, CheckResult, Facts, Finding};
use crate::backup::store;
use crate::engine::inventory;

/// Runs the check.
pub async fn check(facts: &Facts) -> CheckResult {
    let mut findings = Vec::new();
    let mut used: BTreeSet<&str> = BTreeSet::new();
    let mut binds = 0;
    for subject in &facts.subjects {
        for c in &subject.containers {
            for mount in c.mounts() {
                let field = |key: &str| mount.get(key).and_then(Value::as_str).unwrap_or("");
                match field("Type") {
                    "bind" => {
                        binds += 1;
                        let source = field("Source");
                        let exists = Path::new(source).try_exists();
                        if let (true, Err(err)) = (facts.local, &exists) {
                            // A directory of 0700 under another user (certificates,
                            // /root): not known to be missing.
                            findings.push(
                                Finding::warn(
                                    format!("container {}", c.name),
                                    format!(
                                        "bind source {source} (mounted at {}) cannot be \
                                         checked: {err}",
                                        field("Destination")
                                    ),
                                )
                                .remedy("run doctor as root to check it"),
                            );
                        }
                        if facts.local && matches!(exists, Ok(false)) {
                            findings.push(
                                Finding::fail(
                                    format!("container {}", c.name),
                                    format!(
                                        "bind source {source} (mounted at {}) is missing on the host",
                                        field("Destination")
                                    ),
                                )
                                .remedy(format!(
                                    "restore {source} (from a backup or the deployment), then \
                                     restart the container; started now, it would see an empty \
                                     directory"
                                )),
                            );
                        }
                    }
                    "volume" => {
                        let name = field("Name");
                        used.insert(name);
                        if !facts.volumes.contains_key(name) {
                            findings.push(
                                Finding::fail(
                                    format!("container {}", c.name),
                                    format!(
                                        "volume {name} (mounted at {}) is gone",
                                        field("Destination")
                                    ),
                                )
                                .remedy("restore it: docker safeops restore BACKUP --volume NAME"),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(model) = &subject.model {
            for decl in model.volumes.values().filter(|d| d.external) {
                if !facts.volumes.contains_key(&decl.name) {
                    findings.push(
                        Finding::fail(
                            format!("project {}", subject.name),
                            format!(
                                "external volume {} is declared but does not exist: `up` will fail",
                                decl.name
                            ),
                        )
                        .remedy(format!(
                            "restore it from a backup, or create it: docker volume create {}",
                            decl.name
                        )),
                    );
                }
            }
        }
    }
    findings.extend(shrunk(facts, &used).await);
    let binds_note = if facts.local || binds == 0 {
        String::new()
    } else {
        format!("; {binds} bind sources not checked (the engine is on another host)")
    };
    CheckResult::ran(
        CheckId::Mounts,
        format!("{} volumes in use{binds_note}", used.len()),
        findings,
    )
}

/// Volumes in use that now hold far less than at their last backup. Sizes come from
/// `docker system df`, which is slow on big hosts: it is only asked when some volume in
/// use has a last backup big enough to judge.
async fn shrunk(facts: &Facts, used: &BTreeSet<&str>) -> Vec<Finding> {
    let last = match facts.backups.last_fingerprints(&facts.engine.endpoint.host) {
        Ok(last) => last,
        Err(err) => {
            return vec![
                Finding::warn(
                    "backups",
                    format!(
                        "volumes not compared with their last backup: {}",
                        err.message
                    ),
                )
                .remedy(
                    err.hint
                        .unwrap_or_else(|| "check the backup location".into()),
                ),
            ];
        }
    };
    let judged: Vec<&str> = used
        .iter()
        .copied()
        .filter(|v| {
            last.get(*v)
                .is_some_and(|(_, f)| f.total_bytes >= store::SHRINK_FLOOR)
        })
        .collect();
    if judged.is_empty() {
        return Vec::new();
    }
    let sizes = match inventory::volume_sizes(&facts.engine).await {
        Ok(sizes) => sizes,
        Err(err) => {
            return vec![Finding::warn(
                "volumes",
                format!("cannot compare with their last backups: volume sizes unavailable: {err}"),
            )];
        }
    };
    judged
        .into_iter()
        .filter_map(|volume| {
            let warning = store::shrink_warning(sizes.get(volume).copied(), last.get(volume))?;
            Some(Finding::fail(format!("volume {volume}"), warning))
        })
        .collect()
}
