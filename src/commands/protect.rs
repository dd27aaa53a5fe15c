//! `protect VOLUME... [--reason]` and `unprotect VOLUME...`: entries in the local
//! policy file, which `status` and every guarded verb read.

use serde_json::json;

use crate::cli::args::{ProtectArgs, UnprotectArgs};
use crate::error::Result;
use crate::guard::audit;
use crate::guard::protect::{Policy, PolicyEntry};

fn change(volumes: &[String], entry: PolicyEntry) -> Result<()> {
    let path = Policy::default_path(&|n| std::env::var(n).ok());
    let mut policy = Policy::load(&path)?;
    for volume in volumes {
        policy.volumes.insert(volume.clone(), entry.clone());
    }
    policy.save(&path)?;
    let verb = if entry.protect {
        "protect"
    } else {
        "unprotect"
    };
    audit::record(json!({"verb": verb, "volumes": volumes, "reason": entry.reason}));
    super::print(&format!(
        "{} {} (policy file {})\n",
        if entry.protect {
            "protected"
        } else {
            "marked disposable"
        },
        volumes.join(", "),
        path.display()
    ))
}

/// Runs `protect`.
pub fn protect(args: &ProtectArgs) -> Result<()> {
    change(
        &args.volumes,
        PolicyEntry {
            protect: true,
            reason: args.reason.clone(),
        },
    )
}

/// Runs `unprotect`.
pub fn unprotect(args: &UnprotectArgs) -> Result<()> {
    change(
        &args.volumes,
        PolicyEntry {
            protect: false,
            reason: None,
        },
    )
}
