//! `completions SHELL`: the completion script generated from the clap definition (the
//! same scripts are checked in under `completions/`), and the names the Docker CLI's
//! completion offers for positional arguments.

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches};
use clap_complete::Shell;

use crate::backup::store;
use crate::cli::args::{Cli, CompletionShell, DockerFlags};
use crate::engine::endpoint::ConnectOptions;
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

/// The options typed before the word completed (`words`, the last one excepted) that
/// decide where names come from: `--context`, `-H`, `--config` and TLS for the engine,
/// `--to` for backups. Parsed leniently: the command is not complete yet.
fn typed_options(words: &[String]) -> (ConnectOptions, Option<PathBuf>) {
    let typed = words.split_last().map_or(&[][..], |(_, typed)| typed);
    let Ok(matches) = Cli::command().ignore_errors(true).try_get_matches_from(
        std::iter::once("docker-safeops").chain(typed.iter().map(String::as_str)),
    ) else {
        return Default::default();
    };
    let connect = DockerFlags::from_arg_matches(&matches)
        .map(|flags| flags.connect_options())
        .unwrap_or_default();
    let mut verb = &matches;
    while let Some((_, sub)) = verb.subcommand() {
        verb = sub;
    }
    let to = verb
        .try_get_many::<PathBuf>("to")
        .ok()
        .flatten()
        .and_then(|mut to| to.next().cloned());
    (connect, to)
}

/// Names a positional argument can take, for completion: backup ids from the backup
/// directory, volume and container names from the engine (quietly nothing when it
/// cannot be reached), as the options typed in `words` say where they are.
pub fn values(id: &str, words: &[String]) -> Vec<(String, String)> {
    let env = |n: &str| std::env::var(n).ok();
    let (connect, to) = typed_options(words);
    if id == "backup" {
        let listed = store::backup_root(to.as_deref(), &env).and_then(|root| store::list(&root));
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
            let endpoint = endpoint::resolve(&connect, &env).ok()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(typed: &[&str]) -> Vec<String> {
        typed.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn names_come_from_the_engine_and_directory_the_command_names() {
        let (connect, _) = typed_options(&words(&["--context", "prod", "volume", "rm", ""]));
        assert_eq!(connect.context.as_deref(), Some("prod"));
        let (connect, _) = typed_options(&words(&["-H=tcp://10.0.0.2:2375", "rm", "we"]));
        assert_eq!(connect.host, ["tcp://10.0.0.2:2375"]);
        let (_, to) = typed_options(&words(&["restore", "--to", "/mnt/backups", ""]));
        assert_eq!(to, Some(PathBuf::from("/mnt/backups")));
        // The word being completed is not an option yet.
        let (connect, _) = typed_options(&words(&["volume", "rm", "--context"]));
        assert_eq!(connect.context, None);
    }
}
