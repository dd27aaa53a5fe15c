//! Volume protection (docs/cli.md "Protection"): which volumes a destructive verb may
//! not delete without a typed confirmation, and which rule says so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The volume label that protects (`true`) or marks disposable (`false`).
pub const LABEL_PROTECT: &str = "io.safeops.protect";

/// Which rule decided a volume's protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The volume's `io.safeops.protect` label.
    Label,
    /// `x-safeops: {protect: [...]}` in the compose file.
    ComposeFile,
    /// The local policy file.
    Policy,
    /// Declared by the project but created by someone else: `down -v` would delete it.
    Foreign,
    /// The default rule: a named volume that holds data.
    Default,
}

/// A volume's protection and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Protection {
    /// True when a destructive verb needs a typed confirmation to delete it.
    pub protected: bool,
    /// The rule that decided, when one did.
    pub rule: Option<Rule>,
    /// A short explanation for people.
    pub reason: String,
}

/// One entry of the policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyEntry {
    /// Protected (`protect`), or disposable (`unprotect`).
    pub protect: bool,
    /// Why, as the operator wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The engine a disposable entry was set on (`unprotect` records it): it holds
    /// there only, for a volume of the same name on another engine (staging's and
    /// production's `shop_db`) is another volume. Without one (written by hand, or by
    /// an earlier version) an entry holds on every engine; a protecting one always does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
}

/// Backup settings of the policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSettings {
    /// `[backup] to = "DIR"`: the backup location when `--to` and `SAFEOPS_BACKUP_DIR`
    /// say nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<PathBuf>,
    /// `[backup] max_age = "24h"`: the recovery point objective; `doctor` fails a
    /// target whose newest verified backup is older.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<String>,
    /// `[backup] max_drill_age = "7d"`: `doctor` fails a target whose newest passed
    /// restore drill is older.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_drill_age: Option<String>,
    /// `[backup.targets.NAME]`: per-target settings that override the ones above.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub targets: BTreeMap<String, TargetBackupSettings>,
}

/// `[backup.targets.NAME]` of the policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetBackupSettings {
    /// This target's recovery point objective, e.g. `"5m"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<String>,
    /// This target's longest time without a passed drill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_drill_age: Option<String>,
}

impl BackupSettings {
    /// The recovery point objective of `target`: its own, else the default one.
    /// A value that is not a duration is an error naming it.
    pub fn max_age(&self, target: &str) -> Result<Option<std::time::Duration>> {
        let own = self.targets.get(target).and_then(|t| t.max_age.as_deref());
        duration("max_age", own.or(self.max_age.as_deref()))
    }

    /// The longest time `target` may go without a passed restore drill: its own, else
    /// the default one.
    pub fn max_drill_age(&self, target: &str) -> Result<Option<std::time::Duration>> {
        let own = self
            .targets
            .get(target)
            .and_then(|t| t.max_drill_age.as_deref());
        duration("max_drill_age", own.or(self.max_drill_age.as_deref()))
    }
}

/// The duration `key = text` of the policy file, when set.
fn duration(key: &str, text: Option<&str>) -> Result<Option<std::time::Duration>> {
    text.map(|text| {
        humantime::parse_duration(text).map_err(|err| {
            Error::usage(format!(
                "policy file: {key} = {text:?} is not a duration: {err}"
            ))
            .hint("write it like \"24h\", \"30m\" or \"7days\"")
        })
    })
    .transpose()
}

/// `[environments.NAME]` of the policy file: which engines belong to an environment,
/// and strings (hosts, addresses, URLs) that only that environment's containers may
/// mention.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// Context names, host URLs, engine names or IDs of the environment's engines.
    #[serde(default)]
    pub engines: Vec<String>,
    /// Strings that identify the environment: addresses, host names, URLs.
    #[serde(default)]
    pub markers: Vec<String>,
}

/// The local policy file: protection entries (written by `protect` / `unprotect`) and
/// backup settings (written by hand).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// `[backup]`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub backup: BackupSettings,
    /// Entries by volume name.
    #[serde(default)]
    pub volumes: BTreeMap<String, PolicyEntry>,
    /// `[metrics]`.
    #[serde(default, skip_serializing_if = "is_default_metrics")]
    pub metrics: MetricsSettings,
    /// `[environments.NAME]`: environments by name (`doctor`'s env-guard check).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environments: BTreeMap<String, Environment>,
}

/// `[metrics]` of the policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsSettings {
    /// `file = "PATH"`: the Prometheus textfile written after every backup, restore
    /// and drill, when `--metrics-file` says nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
}

fn is_default_metrics(settings: &MetricsSettings) -> bool {
    *settings == MetricsSettings::default()
}

fn is_default(settings: &BackupSettings) -> bool {
    *settings == BackupSettings::default()
}

impl Policy {
    /// The default location: `$XDG_CONFIG_HOME/docker-safeops/policy.toml`.
    pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
        crate::state::xdg_dir(env, "XDG_CONFIG_HOME", ".config").join("policy.toml")
    }

    /// Reads the policy file; a missing file is an empty policy.
    pub fn load(path: &Path) -> Result<Policy> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|err| {
                Error::usage(format!("malformed policy file {}: {err}", path.display()))
                    .hint("fix the file, or remove it and run `docker safeops protect` again")
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Policy::default()),
            Err(err) => Err(Error::failure(format!(
                "cannot read the policy file {}: {err}",
                path.display()
            ))),
        }
    }
}

impl Policy {
    /// The policy file at `path` as it holds on the engine at `engine`: without the
    /// disposable entries set on another engine.
    pub fn load_for(path: &Path, engine: &str) -> Result<Policy> {
        let mut policy = Policy::load(path)?;
        policy.volumes.retain(|_, entry| {
            entry.protect
                || entry
                    .engine
                    .as_deref()
                    .is_none_or(|on| crate::engine::endpoint::same_engine(on, engine))
        });
        Ok(policy)
    }

    /// Writes the policy file (atomically, owner-only).
    pub fn save(&self, path: &Path) -> Result<()> {
        let failed = |err: std::io::Error| {
            Error::failure(format!(
                "cannot write the policy file {}: {err}",
                path.display()
            ))
        };
        let text = toml::to_string_pretty(self).map_err(|e| Error::failure(e.to_string()))?;
        crate::state::write_private(path, text.as_bytes()).map_err(failed)
    }
}

/// What is known about a volume when deciding its protection.
#[derive(Debug, Clone, Default)]
pub struct VolumeFacts<'a> {
    /// Engine name.
    pub name: &'a str,
    /// The key it is declared under in the target's compose model.
    pub declared_as: Option<&'a str>,
    /// Declared `external: true`.
    pub external: bool,
    /// The volume exists on the engine.
    pub exists: bool,
    /// The volume's labels on the engine.
    pub labels: Option<&'a BTreeMap<String, String>>,
    /// Its size in bytes, when the engine reported one.
    pub size_bytes: Option<u64>,
    /// The compose project of the target being looked at.
    pub project: Option<&'a str>,
    /// The names listed in the compose file's `x-safeops.protect`.
    pub compose_protect: &'a [String],
    /// The engine labels its anonymous volumes (see
    /// [`crate::engine::inventory::is_anonymous`]).
    pub labels_anonymous: bool,
}

/// Decides a volume's protection; the first rule that protects wins, in the order of
/// docs/cli.md.
pub fn evaluate(facts: &VolumeFacts, policy: &Policy) -> Protection {
    let protected = |rule, reason: String| Protection {
        protected: true,
        rule: Some(rule),
        reason,
    };
    let unprotected = |rule, reason: &str| Protection {
        protected: false,
        rule,
        reason: reason.to_string(),
    };
    let label = facts
        .labels
        .and_then(|l| l.get(LABEL_PROTECT))
        .map(String::as_str);
    if label == Some("true") {
        return protected(Rule::Label, format!("label {LABEL_PROTECT}=true"));
    }
    let in_compose = facts
        .compose_protect
        .iter()
        .any(|n| n == facts.name || Some(n.as_str()) == facts.declared_as);
    if in_compose {
        return protected(
            Rule::ComposeFile,
            "x-safeops.protect in the compose file".into(),
        );
    }
    let entry = policy.volumes.get(facts.name);
    if let Some(PolicyEntry {
        protect: true,
        reason,
        ..
    }) = entry
    {
        let why = reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        return protected(Rule::Policy, format!("policy file{why}"));
    }
    if !facts.exists {
        return unprotected(None, "does not exist");
    }
    let creator = facts
        .labels
        .and_then(|l| l.get(crate::engine::inventory::LABEL_PROJECT))
        .map(String::as_str);
    if let (Some(_), Some(project), false) = (facts.declared_as, facts.project, facts.external)
        && creator != Some(project)
    {
        let by = creator.map_or("outside compose".to_string(), |c| format!("by project {c}"));
        return protected(
            Rule::Foreign,
            format!("declared here but created {by}: down -v would delete it"),
        );
    }
    if label == Some("false") {
        return unprotected(
            Some(Rule::Label),
            "marked disposable (io.safeops.protect=false)",
        );
    }
    if entry.is_some() {
        return unprotected(Some(Rule::Policy), "marked disposable in the policy file");
    }
    if crate::engine::inventory::is_anonymous(facts.name, facts.labels, facts.labels_anonymous)
        && facts.declared_as.is_none()
    {
        return unprotected(None, "anonymous volume");
    }
    match facts.size_bytes {
        Some(0) => unprotected(None, "empty"),
        Some(_) => protected(Rule::Default, "named volume holding data".into()),
        None => protected(
            Rule::Default,
            "named volume; size unknown, assumed to hold data".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rules_in_order() {
        let policy = Policy::default();
        let mine = labels(&[(crate::engine::inventory::LABEL_PROJECT, "shop")]);
        let base = VolumeFacts {
            name: "shop_data",
            declared_as: Some("data"),
            exists: true,
            labels: Some(&mine),
            size_bytes: Some(10),
            project: Some("shop"),
            ..Default::default()
        };
        assert_eq!(evaluate(&base, &policy).rule, Some(Rule::Default));
        let empty = VolumeFacts {
            size_bytes: Some(0),
            ..base.clone()
        };
        assert!(!evaluate(&empty, &policy).protected);

        let disposable = labels(&[
            (crate::engine::inventory::LABEL_PROJECT, "shop"),
            (LABEL_PROTECT, "false"),
        ]);
        let d = VolumeFacts {
            labels: Some(&disposable),
            ..base.clone()
        };
        assert!(!evaluate(&d, &policy).protected);

        let foreign = labels(&[]);
        let f = VolumeFacts {
            labels: Some(&foreign),
            size_bytes: Some(0),
            ..base.clone()
        };
        let p = evaluate(&f, &policy);
        assert_eq!((p.protected, p.rule), (true, Some(Rule::Foreign)));

        let listed = vec!["data".to_string()];
        let c = VolumeFacts {
            compose_protect: &listed,
            size_bytes: Some(0),
            ..base.clone()
        };
        assert_eq!(evaluate(&c, &policy).rule, Some(Rule::ComposeFile));

        let mut by_policy = Policy::default();
        by_policy.volumes.insert(
            "shop_data".into(),
            PolicyEntry {
                protect: true,
                reason: Some("prod db".into()),
                engine: None,
            },
        );
        let p = evaluate(&empty, &by_policy);
        assert_eq!(
            (p.rule, p.reason.as_str()),
            (Some(Rule::Policy), "policy file: prod db")
        );

        let anon = "a".repeat(64);
        let a = VolumeFacts {
            name: &anon,
            declared_as: None,
            ..base.clone()
        };
        assert!(!evaluate(&a, &policy).protected);
        // An engine that labels anonymous volumes counts an unlabelled hex name as named.
        let labelling = VolumeFacts {
            labels_anonymous: true,
            ..a.clone()
        };
        assert!(evaluate(&labelling, &policy).protected);
    }

    /// `unprotect` on staging leaves production's volume of the same name protected;
    /// a protecting entry, or one without an engine, holds everywhere.
    #[test]
    fn a_disposable_entry_holds_on_its_own_engine_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.toml");
        std::fs::write(
            &path,
            "[volumes.shop_db]\nprotect = false\nengine = \"tcp://staging:2376\"\n\
             [volumes.shop_cache]\nprotect = false\n\
             [volumes.shop_files]\nprotect = true\nengine = \"tcp://staging:2376\"\n",
        )
        .unwrap();
        let names = |engine: &str| -> Vec<String> {
            let policy = Policy::load_for(&path, engine).unwrap();
            policy.volumes.into_keys().collect()
        };
        assert_eq!(
            names("tcp://staging:2376"),
            ["shop_cache", "shop_db", "shop_files"]
        );
        assert_eq!(names("tcp://prod:2376"), ["shop_cache", "shop_files"]);
    }

    #[test]
    fn policy_file_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.toml");
        assert_eq!(Policy::load(&path).unwrap(), Policy::default());
        std::fs::write(
            &path,
            "[volumes.\"shop_db\"]\nprotect = true\nreason = \"prod\"\n",
        )
        .unwrap();
        let policy = Policy::load(&path).unwrap();
        assert!(policy.volumes["shop_db"].protect);
        std::fs::write(&path, "volumes = 3").unwrap();
        assert!(Policy::load(&path).is_err());
    }
}
