//! `protect VOLUME... [--reason]` and `unprotect VOLUME... [--default]`: entries in the
//! local policy file, which `status` and every guarded verb read.

use serde_json::json;

use crate::cli::args::{ProtectArgs, UnprotectArgs};
use crate::engine::Engine;
use crate::engine::inventory;
use crate::error::{Error, Result};
use crate::guard::audit;
use crate::guard::protect::{Policy, PolicyEntry};

/// Refuses names that are no volume on the engine (a typo would protect nothing).
async fn check_exist(engine: &Engine, volumes: &[String]) -> Result<()> {
    let existing = inventory::volumes(engine).await?;
    let missing: Vec<&str> = volumes
        .iter()
        .filter(|v| !existing.contains_key(v.as_str()))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "no volume {} on this engine",
        missing.join(", ")
    ))
    .hint("check the name with `docker volume ls`, or pass --allow-missing for a volume that does not exist yet"))
}

/// Sets (or, with `None`, removes) the policy entry of every volume.
fn change(volumes: &[String], entry: Option<PolicyEntry>) -> Result<()> {
    let path = Policy::default_path(&|n| std::env::var(n).ok());
    let mut policy = Policy::load(&path)?;
    for volume in volumes {
        match &entry {
            Some(entry) => policy.volumes.insert(volume.clone(), entry.clone()),
            None => policy.volumes.remove(volume),
        };
    }
    policy.save(&path)?;
    let (verb, done) = match &entry {
        Some(e) if e.protect => ("protect", "protected"),
        Some(_) => ("unprotect", "marked disposable"),
        None => ("unprotect --default", "back to the default rules"),
    };
    audit::record(
        verb,
        &volumes.join(","),
        "ok".into(),
        json!({"reason": entry.and_then(|e| e.reason)}),
    );
    super::print(&format!(
        "{done}: {} (policy file {})\n",
        volumes.join(", "),
        path.display()
    ))
}

/// Runs `protect`.
pub async fn protect(engine: &Engine, args: &ProtectArgs) -> Result<()> {
    if !args.allow_missing {
        check_exist(engine, &args.volumes).await?;
    }
    change(
        &args.volumes,
        Some(PolicyEntry {
            protect: true,
            reason: args.reason.clone(),
            engine: None,
        }),
    )
}

/// Runs `unprotect`.
pub async fn unprotect(engine: &Engine, args: &UnprotectArgs) -> Result<()> {
    if !args.allow_missing && !args.to_default {
        check_exist(engine, &args.volumes).await?;
    }
    let entry = (!args.to_default).then(|| PolicyEntry {
        protect: false,
        reason: None,
        engine: Some(engine.endpoint.host.clone()),
    });
    change(&args.volumes, entry)
}
