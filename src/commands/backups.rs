//! `backups [TARGET]`: the backups in the backup directory, newest first;
//! `backups init LOCATION`: a new restic-format repository.

use crate::backup::{snapshot, store};
use crate::cli::args::{BackupsArgs, BackupsInitArgs, Format};
use crate::error::{Error, Result};
use crate::storage::location::{Location, Repository};
use crate::storage::repository;
use crate::ui::table::{human_bytes, render};

/// Runs `backups`.
pub async fn run(args: &BackupsArgs) -> Result<()> {
    let root = store::backup_root(args.location.to.as_deref(), &|n| std::env::var(n).ok())?;
    if let Location::Repository(location) =
        Location::parse(&root.to_string_lossy()).map_err(|bad| Error::usage(bad.to_string()))?
    {
        return list_snapshots(args, location).await;
    }
    let backups: Vec<store::BackupSummary> = store::list(&root)?
        .into_iter()
        .filter(|b| {
            args.target
                .as_ref()
                .is_none_or(|t| b.target == *t || b.volumes.contains(t))
        })
        .collect();
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&backups).expect("list serializes") + "\n",
        Format::Table if backups.is_empty() => format!("no backups in {}\n", root.display()),
        Format::Table => {
            let rows: Vec<Vec<String>> = backups
                .iter()
                .map(|b| {
                    let mut contents = vec![format!("{} volume(s)", b.volumes.len())];
                    if !b.images.is_empty() {
                        contents.push(format!("{} image(s)", b.images.len()));
                    }
                    if !b.dumps.is_empty() {
                        contents.push(format!("{} dump(s)", b.dumps.len()));
                    }
                    vec![
                        b.id.clone(),
                        format!("{} {}", b.target_kind, b.target),
                        b.created.clone(),
                        human_bytes(b.size_bytes),
                        contents.join(", "),
                        if b.purpose == crate::backup::manifest::BACKUP_PURPOSE {
                            b.status.clone()
                        } else {
                            format!("{} ({})", b.status, b.purpose)
                        },
                        b.last_drill
                            .as_ref()
                            .map_or("-".to_string(), |d| match d.rto_seconds {
                                Some(rto) => format!("{} {} (RTO {rto:.1} s)", d.outcome, d.time),
                                None => format!("{} {}", d.outcome, d.time),
                            }),
                    ]
                })
                .collect();
            let headers = [
                "ID",
                "TARGET",
                "CREATED",
                "SIZE",
                "CONTENTS",
                "STATUS",
                "LAST DRILL",
            ];
            let hosts: Vec<&str> = backups.iter().map(|b| b.host.as_str()).collect();
            let (headers, rows) = with_hosts(&headers, rows, &hosts);
            format!("backups in {}\n", root.display()) + &render("", &headers, &rows)
        }
    };
    super::print(&text)
}

/// Runs `backups init`.
pub async fn init(args: &BackupsInitArgs) -> Result<()> {
    let repository = match Location::parse(&args.location) {
        Ok(Location::Repository(repository)) => repository,
        Ok(Location::Plain(dir)) => {
            return Err(Error::usage(format!(
                "{} is a plain backup directory, which needs no init",
                dir.display()
            ))
            .hint(
                "a repository is repo:/PATH, s3:https://HOST/BUCKET/PREFIX or sftp:USER@HOST:/PATH",
            ));
        }
        Err(bad) => return Err(Error::usage(bad.to_string())),
    };
    let password = repository::password(args.repository.password_file.as_deref(), true)?;
    let location = repository.clone();
    let compression = args.compression_level;
    let opened =
        repository::blocking(move || repository::init(&location, &password, compression)).await?;
    super::print(&format!(
        "created repository {repository} (id {})\n",
        opened.config().id
    ))?;
    crate::say!(
        "keep its password safe and apart from it: without the password nobody, safeops \
         included, can read the backups in it, and there is no way to recover it"
    );
    Ok(())
}

/// `backups --to REPOSITORY`: the safeops snapshots in it.
async fn list_snapshots(args: &BackupsArgs, location: Repository) -> Result<()> {
    let password = repository::password(args.repository.password_file.as_deref(), false)?;
    let target = args.target.clone();
    let shown = location.clone();
    let listed = repository::blocking(move || {
        let repo = repository::open(&location, &password)?;
        snapshot::list(&repo, &location, target.as_deref())
    })
    .await?;
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&listed).expect("list serializes") + "\n",
        Format::Table if listed.is_empty() => format!("no backups in {shown}\n"),
        Format::Table => {
            let rows: Vec<Vec<String>> = listed
                .iter()
                .map(|s| {
                    vec![
                        s.id[..s.id.len().min(8)].to_string(),
                        s.target.clone(),
                        s.created.clone(),
                        s.files.to_string(),
                        human_bytes(s.size_bytes),
                        human_bytes(s.added_bytes),
                        match s.safety {
                            true => format!("{} (safety)", s.status),
                            false => s.status.clone(),
                        },
                    ]
                })
                .collect();
            let headers = [
                "ID", "TARGET", "CREATED", "FILES", "SIZE", "ADDED", "STATUS",
            ];
            let hosts: Vec<&str> = listed.iter().map(|s| s.host.as_str()).collect();
            let (headers, rows) = with_hosts(&headers, rows, &hosts);
            format!("snapshots in {shown}\n") + &render("", &headers, &rows)
        }
    };
    super::print(&text)
}

/// The table with a HOST column after TARGET when its rows (whose hosts are `hosts`)
/// come from more than one host: a directory or repository shared by several.
fn with_hosts(
    headers: &[&'static str],
    mut rows: Vec<Vec<String>>,
    hosts: &[&str],
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut headers = headers.to_vec();
    let distinct: std::collections::BTreeSet<&&str> = hosts.iter().collect();
    if distinct.len() > 1 {
        headers.insert(2, "HOST");
        for (row, host) in rows.iter_mut().zip(hosts) {
            row.insert(2, host.to_string());
        }
    }
    (headers, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_column_appears_only_for_several_hosts() {
        let rows = || vec![vec!["a".into(), "t".into()], vec!["b".into(), "t".into()]];
        let (headers, same) = with_hosts(&["ID", "TARGET"], rows(), &["h", "h"]);
        assert_eq!((headers, same), (vec!["ID", "TARGET"], rows()));
        let (headers, mixed) = with_hosts(&["ID", "TARGET"], rows(), &["h", "k"]);
        assert_eq!(headers, ["ID", "TARGET", "HOST"]);
        assert_eq!(mixed[1], ["b", "t", "k"]);
    }
}
