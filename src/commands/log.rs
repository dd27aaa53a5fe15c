//! `log [--verify]`: the audit log, and the check of its hash chain.

use std::path::Path;

use crate::backup::{snapshot, store};
use crate::cli::args::{Format, LogArgs};
use crate::error::{Error, Result};
use crate::guard::audit::{self, Anchor};
use crate::storage::location::Location;
use crate::storage::repository;
use crate::ui::table::printable;

/// The heads of the log recorded elsewhere: the state file beside it, and the
/// manifests of this host's backups in `backup_root`, a directory or a repository.
async fn anchors(log: &Path, backup_root: &Path, args: &LogArgs) -> Result<Vec<Anchor>> {
    let mut anchors = Vec::new();
    if let Some(head) = audit::read_head(log)? {
        anchors.push(Anchor {
            source: audit::head_path(log).display().to_string(),
            head,
        });
    }
    let host = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    if let Ok(Location::Repository(location)) = Location::parse(&backup_root.to_string_lossy()) {
        let password = repository::password(args.repository.password_file.as_deref(), false)?;
        let at = location.clone();
        let manifests = repository::blocking(move || {
            snapshot::manifests_here(repository::open(&at, &password)?, &at)
        })
        .await?;
        for (id, manifest) in manifests {
            if let (Some(head), true) = (manifest.audit_head, manifest.host == host) {
                anchors.push(Anchor {
                    source: format!("snapshot {} in {location}", &id[..8]),
                    head,
                });
            }
        }
        return Ok(anchors);
    }
    for backup in store::list(backup_root)? {
        let Ok(manifest) = store::read_manifest(Path::new(&backup.path)) else {
            continue;
        };
        if let (Some(head), true) = (manifest.audit_head, manifest.host == host) {
            anchors.push(Anchor {
                source: format!("backup {}", backup.path),
                head,
            });
        }
    }
    Ok(anchors)
}

/// Exit 4 when the chain of `entries` is broken: the log was edited.
fn chain_intact(
    log: &Path,
    entries: &[(usize, std::result::Result<audit::Entry, String>)],
) -> Result<()> {
    match audit::verify_chain(entries) {
        Some((line, why)) => Err(Error::integrity(format!(
            "{}: line {line}: {why}",
            log.display()
        ))
        .hint("the log was edited after it was written; entries before this line are intact")),
        None => Ok(()),
    }
}

async fn verify(
    log: &Path,
    entries: &[(usize, std::result::Result<audit::Entry, String>)],
    anchors: Vec<Anchor>,
    args: &LogArgs,
) -> Result<()> {
    chain_intact(log, entries)?;
    let problems = audit::verify_anchors(entries, &anchors);
    if let Some(first) = problems.first() {
        return Err(Error::integrity(format!(
            "{}: {first}{}",
            log.display(),
            match problems.len() {
                1 => String::new(),
                n => format!(" (and {} more anchors disagree)", n - 1),
            }
        ))
        .hint(
            "entries the anchors name are gone or were rewritten; compare with a copy of the log",
        ));
    }
    // Lines that are no entry break no link (see `audit::verify_chain`), but are said.
    let torn: Vec<String> = entries
        .iter()
        .filter(|(_, entry)| entry.is_err())
        .map(|(line, _)| line.to_string())
        .collect();
    if !torn.is_empty() {
        crate::say!(
            "note: line(s) {} of {} are no entry (a write cut short by a full disk or a \
             crash, or an edit): nothing after them is missing from the chain",
            torn.join(", "),
            log.display()
        );
    }
    let count = entries.len() - torn.len();
    super::print(&match args.format {
        Format::Json => {
            let report = serde_json::json!({
                "log": log,
                "entries": count,
                "chain_intact": true,
                "anchors": anchors.len(),
                "torn_lines": torn.len(),
            });
            serde_json::to_string_pretty(&report).expect("report serializes") + "\n"
        }
        Format::Table => format!(
            "{}: {count} entries, chain intact, checked against {} anchors\n",
            log.display(),
            anchors.len()
        ),
    })
}

/// Runs `log`.
pub async fn run(args: &LogArgs) -> Result<()> {
    let path = audit::default_path();
    if args.verify {
        let root = store::backup_root(args.location.to.as_deref(), &|n| std::env::var(n).ok())?;
        // An edited chain is found without the anchors (a repository may want its
        // password). Then the anchors, and the log read again after them: every entry
        // one names was written before it, whatever is appended meanwhile.
        chain_intact(&path, &audit::read(&path)?)?;
        let anchors = anchors(&path, &root, args).await?;
        return verify(&path, &audit::read(&path)?, anchors, args).await;
    }
    let entries = audit::read(&path)?;
    let skip = args.tail.map_or(0, |n| entries.len().saturating_sub(n));
    let shown: Vec<audit::Entry> = entries
        .into_iter()
        .skip(skip)
        .filter_map(|(_, e)| e.ok())
        .collect();
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&shown).expect("entries serialize") + "\n",
        Format::Table => shown
            .iter()
            .map(|e| {
                let text = |key: &str| e.event[key].as_str().map(str::to_string);
                let verb = text("verb").unwrap_or_else(|| "?".into());
                // Entries written before every entry named its target used `project`.
                let target = text("target")
                    .or_else(|| text("project"))
                    .unwrap_or_default();
                let outcome = text("outcome").unwrap_or_else(|| "ok".into());
                let line = format!(
                    "{:>4}  {}  {}  {verb} {target}: {outcome}",
                    e.seq, e.time, e.actor
                );
                format!("{}\n", printable(&line))
            })
            .collect(),
    };
    super::print(&text)
}
