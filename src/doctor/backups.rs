//! The backups the checks judge, where backups go: the plain backups of a directory, or
//! the snapshots of a restic-format repository, read once (opening a repository derives
//! its key, which takes a noticeable fraction of a second).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::backup::entry::Fingerprint;
use crate::backup::snapshot;
use crate::backup::store::{self, BackupSummary, DrillRecord};
use crate::error::Result;
use crate::guard::audit;
use crate::storage::location::{Location, Repository};
use crate::storage::repository;

/// Where backups go, as the command line, the environment and the policy file say.
pub struct Where {
    /// The directory or the repository.
    pub root: PathBuf,
    /// `--password-file`, for a repository.
    pub password_file: Option<PathBuf>,
}

/// Where backups go, and what a repository there holds.
pub enum Backups {
    /// Not looked at: no selected check judges backups.
    Unread,
    /// A directory of plain backups.
    Plain(PathBuf),
    /// A repository, with its snapshots or why they could not be read.
    Repository(Repository, Result<SnapshotBackups>),
}

/// What a repository holds, as the checks judge it.
pub struct SnapshotBackups {
    /// Its snapshots, newest first, as backups.
    summaries: Vec<BackupSummary>,
    /// Each volume's last backup in it.
    last_by_volume: HashMap<String, (String, Fingerprint)>,
}

impl Backups {
    /// Reads what the backup location holds: a repository is opened (with the password
    /// of `--password-file`, `SAFEOPS_REPOSITORY_PASSWORD_FILE`, or a prompt) and
    /// its snapshots listed. `None`: nothing is read.
    pub async fn read(at: Option<Where>) -> Backups {
        let Some(at) = at else {
            return Backups::Unread;
        };
        let Ok(Location::Repository(location)) = Location::parse(&at.root.to_string_lossy()) else {
            return Backups::Plain(at.root);
        };
        let read = read_repository(location.clone(), at.password_file.as_deref()).await;
        Backups::Repository(location, read)
    }

    /// The location, as the user gave it.
    pub fn describe(&self) -> String {
        match self {
            Backups::Unread => "(not read)".into(),
            Backups::Plain(root) => root.display().to_string(),
            Backups::Repository(location, _) => location.to_string(),
        }
    }

    /// The directory of plain backups, if that is where backups go.
    pub fn plain_root(&self) -> Option<&Path> {
        match self {
            Backups::Plain(root) => Some(root),
            Backups::Unread | Backups::Repository(..) => None,
        }
    }

    /// Every backup, newest first.
    pub fn summaries(&self) -> Result<Vec<BackupSummary>> {
        match self {
            Backups::Unread => Ok(Vec::new()),
            Backups::Plain(root) => store::list(root),
            Backups::Repository(_, Ok(read)) => Ok(read.summaries.clone()),
            Backups::Repository(_, Err(err)) => Err(err.clone()),
        }
    }

    /// Each volume's last backup (its time and fingerprint).
    pub fn last_fingerprints(&self) -> HashMap<String, (String, Fingerprint)> {
        match self {
            Backups::Plain(root) => store::last_fingerprints(root),
            Backups::Repository(_, Ok(read)) => read.last_by_volume.clone(),
            Backups::Unread | Backups::Repository(_, Err(_)) => HashMap::new(),
        }
    }
}

async fn read_repository(
    location: Repository,
    password_file: Option<&Path>,
) -> Result<SnapshotBackups> {
    let password = repository::password(password_file, false)?;
    let shown = location.clone();
    let (listed, last_by_volume) = repository::blocking(move || {
        let repo = repository::open(&location, &password)?;
        Ok((
            snapshot::list(&repo, None)?,
            snapshot::last_by_volume(&repo)?,
        ))
    })
    .await
    .map_err(|mut err| {
        err.message = format!("cannot read the snapshots in {shown}: {}", err.message);
        err
    })?;
    let drills = snapshot_drills();
    let summaries = listed
        .into_iter()
        .map(|s| {
            let path = format!("{shown}#{}", s.id);
            BackupSummary {
                last_drill: drills.get(&path).cloned(),
                id: s.id,
                path,
                target: s.target,
                target_kind: String::new(),
                created: s.created,
                purpose: "backup".into(),
                size_bytes: s.size_bytes,
                volumes: Vec::new(),
                containers: Vec::new(),
                images: Vec::new(),
                dumps: Vec::new(),
                // Published only once what it added was read back and checked.
                sound: true,
                status: "complete (verified when made)".into(),
            }
        })
        .collect();
    Ok(SnapshotBackups {
        summaries,
        last_by_volume,
    })
}

/// The last drill of each snapshot (`LOCATION#ID`), from the audit log: a published
/// snapshot is never written again, so drills are recorded there only.
fn snapshot_drills() -> HashMap<String, DrillRecord> {
    let mut drills = HashMap::new();
    let Ok(entries) = audit::read(&audit::default_path()) else {
        return drills;
    };
    for entry in entries.into_iter().filter_map(|(_, e)| e.ok()) {
        let event = &entry.event;
        let Some(backup) = event["backup"]
            .as_str()
            .filter(|_| event["verb"] == "drill")
        else {
            continue;
        };
        let outcome = match event["outcome"].as_str() {
            Some("ok") => "passed",
            _ => "failed",
        };
        drills.insert(
            backup.to_string(),
            DrillRecord {
                time: entry.time.clone(),
                outcome: outcome.into(),
                rto_seconds: event["rto_seconds"].as_f64(),
            },
        );
    }
    drills
}
