//! One module per verb; each is a thin layer over the layers below (`engine`, `compose`,
//! `guard`, `runmode`, `backup`): it reads its arguments, calls them, and prints.

pub mod adopt;
pub mod backup;
pub mod backups;
pub mod completions;
pub mod doctor;
pub mod down;
pub mod drill;
pub mod export;
pub mod guarded;
pub mod images;
pub mod lifecycle;
pub mod log;
pub mod protect;
pub mod recreate;
pub mod release;
pub mod restore;
pub mod schedule;
pub mod shell_init;
pub mod status;
pub mod verify;
pub mod volume;

use std::io::Write;

use crate::error::{Error, Result};
use crate::target::{Discovery, Target};

/// Each volume's last backup in `root` by this host from the engine at `engine` (its
/// time and fingerprint): the plain backups of a directory, or the snapshots of a
/// repository, opened with the password `password` gives.
pub async fn last_backups(
    root: &std::path::Path,
    engine: &str,
    password: impl FnOnce() -> Result<crate::storage::repository::Password>,
) -> Result<std::collections::HashMap<String, (String, crate::backup::entry::Fingerprint)>> {
    use crate::storage::location::Location;
    use crate::storage::repository;
    let Ok(Location::Repository(location)) = Location::parse(&root.to_string_lossy()) else {
        return crate::backup::store::last_fingerprints(root, engine);
    };
    let password = password()?;
    let shown = location.clone();
    let engine = engine.to_string();
    repository::blocking_informing(&shown, move || {
        let repo = repository::open_uncached(&location, &password)?;
        crate::backup::snapshot::last_by_volume(&repo, &engine)
    })
    .await
}

/// [`last_backups`], or none when they cannot be read (a repository without its
/// password, unreachable): a note says that LAST BACKUP leaves out what `root` holds,
/// and why is returned too.
pub async fn last_backups_or_note(
    root: &std::path::Path,
    engine: &str,
    password: impl FnOnce() -> Result<crate::storage::repository::Password>,
) -> (
    std::collections::HashMap<String, (String, crate::backup::entry::Fingerprint)>,
    Option<String>,
) {
    use crate::storage::location::Location;
    match last_backups(root, engine, password).await {
        Ok(last) => (last, None),
        Err(err) => {
            // The location as parsed: what it was given as may carry more.
            let shown = match Location::parse(&root.to_string_lossy()) {
                Ok(Location::Repository(location)) => location.to_string(),
                _ => root.display().to_string(),
            };
            let why = format!(
                "the backups in {shown} were not read: {}{}",
                err.message,
                err.hint.map(|h| format!(" ({h})")).unwrap_or_default()
            );
            crate::say!("note: LAST BACKUP below leaves them out: {why}");
            (Default::default(), Some(why))
        }
    }
}

/// The one target a verb acts on: the one named, else the project of the compose
/// options or working directory. Says on stderr when it runs in run mode.
pub async fn single_target(
    discovery: &Discovery<'_>,
    name: Option<&str>,
    action: &str,
) -> Result<Target> {
    let mut targets = discovery.targets(name).await?;
    if targets.len() != 1 {
        let names: Vec<&str> = targets.iter().map(Target::name).collect();
        return Err(Error::usage(format!(
            "which target should I {action}? name one of: {}",
            if names.is_empty() {
                "(none on this engine)".to_string()
            } else {
                names.join(", ")
            }
        ))
        .hint("give a project or container name, or run in the project's directory"));
    }
    let target = targets.remove(0);
    if let Target::Project(p) = &target
        && let Some(reason) = &p.mode_reason
    {
        crate::say!("note: running in run mode: {reason}");
    }
    Ok(target)
}

/// Records a run in the metrics file (`--metrics-file`, else the policy's `[metrics]
/// file`), when there is one; a failure to write it is a warning, never the run's.
pub fn record_metrics(flag: Option<&std::path::Path>, run: &crate::backup::metrics::Run) {
    let env = |n: &str| std::env::var(n).ok();
    let path = match flag {
        Some(path) => Some(path.to_path_buf()),
        None => {
            crate::guard::protect::Policy::load(&crate::guard::protect::Policy::default_path(&env))
                .ok()
                .and_then(|p| p.metrics.file)
        }
    };
    if let Some(path) = path
        && let Err(err) = crate::backup::metrics::record(&path, run)
    {
        crate::say!(
            "warning: cannot write the metrics file {}: {err}",
            path.display()
        );
    }
}

/// After a verb's work is complete and reported: Ctrl-C that came too late to stop it
/// (it cannot stop a publication or a switch half-way) still ends the run as
/// interrupted, saying what is complete and what may not have run, so that a script
/// does not go on as if it had not been asked to stop.
pub fn interrupted_after(
    cancel: &crate::cancel::Cancel,
    complete: &str,
    skipped: &str,
) -> Result<()> {
    match cancel.reason() {
        Some(why) => Err(Error {
            message: format!("{why} after {complete}"),
            ..Error::interrupted()
        }
        .hint(skipped.to_string())),
        None => Ok(()),
    }
}

/// Writes a verb's report to stdout and flushes it.
pub fn print(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(Error::writing_stdout)
}
