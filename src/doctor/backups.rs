//! The backups the checks judge, where backups go: the plain backups of a directory, or
//! the snapshots of a restic-format repository, read once (opening a repository derives
//! its key, which takes a noticeable fraction of a second).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::backup::entry::Fingerprint;
use crate::backup::snapshot;
use crate::backup::store::{self, BackupSummary, DrillRecord};
use crate::error::{Error, Result};
use crate::guard::audit;
use crate::storage::location::{Location, Repository};
use crate::storage::repository::{self, Password};

/// Where backups go, as the command line, the environment and the policy file say,
/// with a repository's password (asked for before any check runs: a prompt must not
/// stall the engine requests, nor Ctrl-C).
pub struct Where {
    root: PathBuf,
    location: Result<Location>,
    password: Option<Result<Password>>,
}

impl Where {
    /// The backup location `root`; for a repository, its password from
    /// `password_file`, `SAFEOPS_REPOSITORY_PASSWORD_FILE` or a prompt on a terminal.
    pub fn resolve(root: PathBuf, password_file: Option<&Path>) -> Where {
        let location = Location::parse(&root.to_string_lossy())
            .map_err(|bad| Error::usage(format!("the backup location {}: {bad}", root.display())));
        let password = matches!(location, Ok(Location::Repository(_)))
            .then(|| repository::password(password_file, false));
        Where {
            root,
            location,
            password,
        }
    }
}

/// Where backups go, and what a repository there holds.
pub enum Backups {
    /// Not looked at: no selected check judges backups.
    Unread,
    /// A directory of plain backups.
    Plain(PathBuf),
    /// A repository, with its snapshots or why they could not be read.
    Repository(Repository, Result<SnapshotBackups>),
    /// A location that is no valid one, and why.
    Invalid(PathBuf, Error),
}

/// What a repository holds, as the checks judge it.
pub struct SnapshotBackups {
    /// Its snapshots, newest first, as backups.
    summaries: Vec<BackupSummary>,
    /// Each volume's last backup in it.
    last_by_volume: HashMap<String, (String, Fingerprint)>,
}

impl Backups {
    /// Reads what the backup location holds (a repository's snapshots are listed);
    /// `None`: nothing is read.
    pub async fn read(at: Option<Where>, engine: &str) -> Backups {
        let Some(at) = at else {
            return Backups::Unread;
        };
        match (at.location, at.password) {
            (Err(err), _) => Backups::Invalid(at.root, err),
            (Ok(Location::Repository(location)), Some(password)) => {
                let read = match password {
                    Ok(password) => read_repository(location.clone(), password, engine).await,
                    Err(err) => Err(err),
                };
                Backups::Repository(location, read)
            }
            (Ok(_), _) => Backups::Plain(at.root),
        }
    }

    /// The location, as the user gave it.
    pub fn describe(&self) -> String {
        match self {
            Backups::Unread => "(not read)".into(),
            Backups::Plain(root) | Backups::Invalid(root, _) => root.display().to_string(),
            Backups::Repository(location, _) => location.to_string(),
        }
    }

    /// The directory of plain backups, if that is where backups go.
    pub fn plain_root(&self) -> Option<&Path> {
        match self {
            Backups::Plain(root) => Some(root),
            Backups::Unread | Backups::Repository(..) | Backups::Invalid(..) => None,
        }
    }

    /// Every backup made on this host from the engine at `engine` (and snapshots of
    /// earlier versions, which did not tag their engine), newest first.
    pub fn summaries(&self, engine: &str) -> Result<Vec<BackupSummary>> {
        match self {
            Backups::Unread => Ok(Vec::new()),
            // Another host's or engine's target of the same name is not this one's.
            Backups::Plain(root) => {
                let host = crate::state::hostname();
                Ok(store::list(root)?
                    .into_iter()
                    .filter(|b| {
                        b.host == host && crate::engine::endpoint::same_engine(&b.engine, engine)
                    })
                    .collect())
            }
            Backups::Repository(_, Ok(read)) => Ok(read
                .summaries
                .iter()
                .filter(|s| {
                    s.engine.is_empty() || crate::engine::endpoint::same_engine(&s.engine, engine)
                })
                .cloned()
                .collect()),
            Backups::Repository(_, Err(err)) | Backups::Invalid(_, err) => Err(err.clone()),
        }
    }

    /// Each volume's last backup from the engine at `engine` (its time and fingerprint;
    /// a repository's were read for the engine given to [`Backups::read`]).
    pub fn last_fingerprints(
        &self,
        engine: &str,
    ) -> Result<HashMap<String, (String, Fingerprint)>> {
        match self {
            Backups::Unread => Ok(HashMap::new()),
            Backups::Plain(root) => store::last_fingerprints(root, engine),
            Backups::Repository(_, Ok(read)) => Ok(read.last_by_volume.clone()),
            Backups::Repository(_, Err(err)) | Backups::Invalid(_, err) => Err(err.clone()),
        }
    }
}

async fn read_repository(
    location: Repository,
    password: Password,
    engine: &str,
) -> Result<SnapshotBackups> {
    let shown = location.clone();
    let engine = engine.to_string();
    let (listed, last_by_volume) = repository::blocking_informing(&shown, move || {
        let repo = repository::open_uncached(&location, &password)?;
        Ok((
            snapshot::list(&repo, &location, None)?,
            snapshot::last_by_volume(&repo, &engine)?,
        ))
    })
    .await
    .map_err(|mut err| {
        err.message = format!("cannot read the snapshots in {shown}: {}", err.message);
        err
    })?;
    let drills = snapshot_drills();
    // Another host's target of the same name is not this one's backup.
    let host = crate::state::hostname();
    let summaries = listed
        .into_iter()
        .filter(|s| s.host == host)
        .map(|s| {
            let path = format!("{shown}#{}", s.id);
            BackupSummary {
                last_drill: drills.get(&s.id).cloned(),
                id: s.id,
                path,
                target: s.target,
                host: s.host,
                engine: s.engine,
                target_kind: String::new(),
                created: s.created,
                purpose: match s.safety {
                    true => "safety".into(),
                    false => crate::backup::manifest::BACKUP_PURPOSE.into(),
                },
                size_bytes: s.size_bytes,
                volumes: Vec::new(),
                containers: Vec::new(),
                images: Vec::new(),
                dumps: Vec::new(),
                sound: s.sound,
                status: s.status,
            }
        })
        .collect();
    Ok(SnapshotBackups {
        summaries,
        last_by_volume,
    })
}

/// The drill of each snapshot (by its id) that counts, from the audit log: a published
/// snapshot is never written again, so drills are recorded there only. The newest
/// passed one counts, else the newest.
fn snapshot_drills() -> HashMap<String, DrillRecord> {
    let mut drills: HashMap<String, DrillRecord> = HashMap::new();
    let Ok(entries) = audit::read(&audit::default_path()) else {
        return drills;
    };
    for entry in entries.into_iter().filter_map(|(_, e)| e.ok()) {
        let event = &entry.event;
        if event["verb"] != "drill" {
            continue;
        }
        // `LOCATION#ID`: the id alone, however the location was spelled.
        let Some((_, id)) = event["backup"].as_str().and_then(|b| b.rsplit_once('#')) else {
            continue;
        };
        let drill = DrillRecord {
            time: entry.time.clone(),
            outcome: match event["outcome"].as_str() {
                Some("ok") => "passed".into(),
                _ => "failed".into(),
            },
            rto_seconds: event["rto_seconds"].as_f64(),
        };
        let passed_before = drills.get(id).is_some_and(|d| d.outcome == "passed");
        if drill.outcome == "passed" || !passed_before {
            drills.insert(id.to_string(), drill);
        }
    }
    drills
}
