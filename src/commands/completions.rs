//! `completions SHELL`: the completion script generated from the clap definition (the
//! same scripts are checked in under `completions/`), and the names the Docker CLI's
//! completion offers for positional arguments.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::backup::store;
use crate::cli::args::{Cli, CompletionShell};
use crate::engine::{self, endpoint, inventory};

/// The completion script for `shell`.
pub fn script(shell: CompletionShell) -> Vec<u8> {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "docker-safeops", &mut out);
    out
}

/// Names a positional argument can take, for completion: backup ids from the backup
/// directory, volume and container names from the engine (quietly nothing when it
/// cannot be reached).
pub fn values(id: &str) -> Vec<(String, String)> {
    let env = |n: &str| std::env::var(n).ok();
    if id == "backup" {
        let listed = store::backup_root(None, &env).and_then(|root| store::list(&root));
        return listed
            .unwrap_or_default()
            .into_iter()
            .map(|b| (b.id, format!("{} {}", b.target_kind, b.target)))
            .collect();
    }
    let wants_volumes = matches!(id, "volumes" | "volume");
    if !wants_volumes && !matches!(id, "container" | "containers" | "names" | "target") {
        return Vec::new();
    }
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    runtime
        .block_on(async {
            let endpoint = endpoint::resolve(&Default::default(), &env).ok()?;
            let engine = engine::connect(&endpoint).await.ok()?;
            let names: Vec<(String, String)> = if wants_volumes {
                inventory::volumes(&engine)
                    .await
                    .ok()?
                    .into_values()
                    .map(|v| (v.name, v.driver))
                    .collect()
            } else {
                inventory::containers(&engine)
                    .await
                    .ok()?
                    .into_iter()
                    .map(|c| (c.name, c.image))
                    .collect()
            };
            Some(names)
        })
        .unwrap_or_default()
}
