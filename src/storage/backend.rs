//! A restic-format repository's storage through Apache OpenDAL: the local file system,
//! S3 and SFTP behind rustic_core's backend traits, in restic's layout (`config`,
//! `keys/`, `snapshots/`, `index/`, `locks/`, `data/XX/`), with OpenDAL's retry layer
//! for a network that drops a request and its timeout layer for a server that stops
//! answering.
//!
//! rustic_core is synchronous: every call here blocks its thread and runs the storage
//! future on the tokio runtime whose handle was current when the backend was made.
//! Call it from `spawn_blocking`, never from an async task.

use std::time::Duration;

use bytes::Bytes;
use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{ErrorKind as DalErrorKind, Operator, blocking};
use rustic_core::{
    BytesList, ErrorKind, FileType, Id, ReadBackend, RusticError, RusticResult, WriteBackend,
};

use super::location::Repository;

/// A repository's storage.
#[derive(Debug)]
pub struct Storage {
    op: blocking::Operator,
    location: String,
    /// File systems need the layout's directories; object stores have none.
    has_directories: bool,
    /// The repository's directory when it is on this host's file system, whose
    /// directories are flushed after a rename (OpenDAL flushes the file only).
    local_root: Option<std::path::PathBuf>,
}

/// What went wrong with the storage, in terms an operator can act on.
fn storage_error(what: String, err: opendal::Error) -> Box<RusticError> {
    let hint = match err.kind() {
        DalErrorKind::PermissionDenied => {
            " (access denied: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the bucket \
             policy, or the SSH user's rights)"
        }
        DalErrorKind::NotFound => " (not found)",
        DalErrorKind::RateLimited => " (the server is throttling requests)",
        _ if err.to_string().contains("No space left") => {
            " (the repository's storage is full: free space there, or thin the repository \
             with `restic forget --keep-last N --prune`)"
        }
        _ => "",
    };
    RusticError::new(ErrorKind::Backend, format!("{what}{hint}: {}", short(&err)))
}

/// An OpenDAL error in one line: its kind, its message, the HTTP status and the root
/// cause (`Connection refused`, say), without the request's headers and the backtrace.
fn short(err: &opendal::Error) -> String {
    let text = err.to_string();
    let status = text
        .split_once("status: ")
        .and_then(|(_, rest)| rest.split([',', ' ']).next())
        .map(|code| format!(", HTTP {code}"))
        .unwrap_or_default();
    let cause = std::iter::successors(std::error::Error::source(err), |e| e.source())
        .last()
        .map(|root| format!(" ({root})"))
        .unwrap_or_default();
    format!("{}{status}: {}{cause}", err.kind(), err.message())
}

/// How long one request to a remote repository may take before it is given up and tried
/// again: restic's `--stuck-request-timeout` default. A server that stops answering (a
/// connection black-holed, a frozen process) would otherwise hold the backup, and the
/// containers it stopped, until the kernel drops the connection, a quarter of an hour
/// later. A pack's upload is one request: 5 minutes carry 100 MB at 330 kB/s.
const STUCK_REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// The variable that sets another [`STUCK_REQUEST_TIMEOUT`] (`90s`, `10m`): for a slower
/// link, or a test.
const STUCK_REQUEST_TIMEOUT_VAR: &str = "SAFEOPS_STUCK_REQUEST_TIMEOUT";

fn stuck_request_timeout() -> crate::error::Result<Duration> {
    match std::env::var(STUCK_REQUEST_TIMEOUT_VAR) {
        Err(_) => Ok(STUCK_REQUEST_TIMEOUT),
        Ok(text) => humantime::parse_duration(&text)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                crate::error::Error::usage(format!(
                    "{STUCK_REQUEST_TIMEOUT_VAR}={text} is not a duration: give one such as 90s or 10m"
                ))
            }),
    }
}

impl Storage {
    /// Connects to `repository`. Needs a current tokio runtime (the handle is kept).
    pub fn new(repository: &Repository) -> crate::error::Result<Storage> {
        let timeout = stuck_request_timeout()?;
        Storage::connect(repository, timeout).map_err(|e| {
            crate::error::Error::usage(format!("cannot use the repository {repository}: {e}"))
        })
    }

    fn connect(repository: &Repository, timeout: Duration) -> Result<Storage, opendal::Error> {
        // OpenDAL's HTTP transport and services are registered once per process.
        static INSTALLED: std::sync::Once = std::sync::Once::new();
        INSTALLED.call_once(opendal::install_default);
        let op = match repository {
            Repository::Local(path) => {
                let builder = opendal::services::Fs::default().root(&path.to_string_lossy());
                Operator::new(builder)?
            }
            Repository::S3 {
                endpoint,
                bucket,
                prefix,
            } => {
                let env = |name: &str| std::env::var(name).ok();
                let region = match region_in_env(&env) {
                    Some(region) => region,
                    None => bucket_region(endpoint, bucket, timeout),
                };
                let builder = opendal::services::S3::default()
                    .endpoint(endpoint)
                    .bucket(bucket)
                    .root(&format!("/{prefix}"))
                    .region(&region);
                Operator::new(builder)?
            }
            Repository::Sftp {
                user,
                host,
                port,
                path,
            } => {
                let host = match host.contains(':') {
                    true => format!("[{host}]"),
                    false => host.clone(),
                };
                let endpoint = match port {
                    Some(port) => format!("ssh://{host}:{port}"),
                    None => format!("ssh://{host}"),
                };
                let mut builder = opendal::services::Sftp::default()
                    .endpoint(&endpoint)
                    .root(path);
                if let Some(user) = user {
                    builder = builder.user(user);
                }
                if let Ok(key) = std::env::var("SAFEOPS_SFTP_KEY") {
                    builder = builder.key(&key);
                }
                if let Ok(strategy) = std::env::var("SAFEOPS_SFTP_KNOWN_HOSTS") {
                    builder = builder.known_hosts_strategy(&strategy);
                }
                Operator::new(builder)?
            }
        };
        // A network blip is retried; a dead server fails within about 15 s per request
        // and a stuck one within five times the timeout, since the containers may be
        // stopped meanwhile. A local file system has no
        // blips: its errors (a full disk) are said at once.
        if let Repository::Local(root) = repository {
            return Ok(Storage {
                op: blocking::Operator::new(op)?,
                location: repository.to_string(),
                has_directories: true,
                local_root: Some(root.clone()),
            });
        }
        let retry = RetryLayer::new()
            .with_max_times(4)
            .with_min_delay(std::time::Duration::from_secs(1))
            .with_max_delay(std::time::Duration::from_secs(8))
            .with_jitter()
            .with_notify(|event: opendal::layers::RetryEvent<'_>| {
                tracing::warn!(
                    "retrying {:?} (attempt {}) in {:.1}s: {}",
                    event.op,
                    event.attempt,
                    event.retry_after.as_secs_f64(),
                    short(event.err)
                );
            });
        // Each attempt has its deadline: the timeout goes under the retry.
        let timeout = TimeoutLayer::new()
            .with_timeout(timeout)
            .with_io_timeout(timeout);
        Ok(Storage {
            op: blocking::Operator::new(op.layer(timeout).layer(retry))?,
            location: repository.to_string(),
            has_directories: !matches!(repository, Repository::S3 { .. }),
            local_root: None,
        })
    }

    /// The names of the files in `locks/` (restic's locks; rustic_core has no type for
    /// them).
    pub fn lock_names(&self) -> RusticResult<Vec<String>> {
        match self.op.list("locks/") {
            Ok(entries) => Ok(entries
                .into_iter()
                // restic writes a lock under a temporary name and renames it: only
                // names that are IDs are locks, as for `restic unlock`.
                .filter(|e| !e.metadata().is_dir() && e.name().parse::<Id>().is_ok())
                .map(|e| e.name().to_string())
                .collect()),
            Err(err) if err.kind() == DalErrorKind::NotFound => Ok(Vec::new()),
            Err(err) => Err(storage_error(
                format!("cannot list {}/locks/", self.location),
                err,
            )),
        }
    }

    /// The content of lock file `name`; none when it is gone (removed since listed).
    pub fn read_lock(&self, name: &str) -> RusticResult<Option<Bytes>> {
        let path = format!("locks/{name}");
        match self.op.read(&path) {
            Ok(buffer) => Ok(Some(buffer.to_bytes())),
            Err(err) if err.kind() == DalErrorKind::NotFound => Ok(None),
            Err(err) => Err(storage_error(
                format!("cannot read {}/{path}", self.location),
                err,
            )),
        }
    }

    /// Writes `path` whole or not at all. On a file system and over SFTP it is written
    /// under a temporary name and renamed into place, as restic does: a file cut short
    /// under its final name (a full disk, a dropped connection, a kill) would break every
    /// later open of the repository. An S3 PUT is atomic already.
    fn write_whole(&self, path: &str, content: opendal::Buffer) -> RusticResult<()> {
        let cannot = |err| storage_error(format!("cannot write {}/{path}", self.location), err);
        if !self.has_directories {
            return self.op.write(path, content).map(|_| ()).map_err(cannot);
        }
        // Not an ID, so no reader takes it for a file of the repository.
        let temporary = format!("{path}-tmp-{}", &Id::random().to_hex()[..16]);
        let size = content.len() as u64;
        if let Err(err) = self.op.write(&temporary, content) {
            let _ = self.op.delete(&temporary);
            return Err(cannot(err));
        }
        match self.op.rename(&temporary, path) {
            // A lock needs no flush: a power loss ends its holder too.
            Ok(()) if path.starts_with("locks/") => Ok(()),
            Ok(()) => self.flush_directories(path),
            Err(err) => {
                let _ = self.op.delete(&temporary);
                // A rename retried after its answer was lost finds its work done.
                match self.op.stat(path) {
                    Ok(meta) if meta.content_length() == size => Ok(()),
                    _ => Err(cannot(err)),
                }
            }
        }
    }

    /// Flushes to disk the directories of a local repository that lead to `path`, so
    /// that a file renamed into place (and a `data/XX/` made for it) outlives a power
    /// loss: a snapshot must never survive one while a pack it needs does not.
    fn flush_directories(&self, path: &str) -> RusticResult<()> {
        let Some(root) = &self.local_root else {
            return Ok(());
        };
        // `config` and the layout's directories are names in the root itself.
        let mut dir = std::path::Path::new(path).parent();
        while let Some(relative) = dir {
            crate::state::sync_dir(&root.join(relative)).map_err(|err| {
                RusticError::new(
                    ErrorKind::Backend,
                    format!(
                        "cannot flush {}/{} to disk: {err}",
                        self.location,
                        relative.display()
                    ),
                )
            })?;
            dir = relative.parent();
        }
        Ok(())
    }

    /// Writes lock file `name`.
    pub fn write_lock(&self, name: &str, content: Vec<u8>) -> RusticResult<()> {
        self.write_whole(&format!("locks/{name}"), content.into())
    }

    /// Removes lock file `name`.
    pub fn remove_lock(&self, name: &str) -> RusticResult<()> {
        let path = format!("locks/{name}");
        self.op
            .delete(&path)
            .map_err(|err| storage_error(format!("cannot remove {}/{path}", self.location), err))
    }

    /// The bytes `offset..offset + length` of a file, or its path and why not.
    fn read_range(
        &self,
        tpe: FileType,
        id: &Id,
        offset: u32,
        length: u32,
    ) -> Result<Bytes, (String, opendal::Error)> {
        let path = Self::path(tpe, id);
        let range = u64::from(offset)..u64::from(offset) + u64::from(length);
        let options = opendal::options::ReadOptions {
            range: range.into(),
            ..Default::default()
        };
        match self.op.read_options(&path, options) {
            Ok(buffer) => Ok(buffer.to_bytes()),
            Err(err) => Err((path, err)),
        }
    }

    /// The bytes `offset..offset + length` of pack `id`; `None` when the storage has no
    /// such pack or it ends before the range, which is damage to the repository rather
    /// than a failure to reach it.
    pub fn read_pack_range(
        &self,
        id: &Id,
        offset: u32,
        length: u32,
    ) -> RusticResult<Option<Bytes>> {
        match self.read_range(FileType::Pack, id, offset, length) {
            Ok(bytes) => Ok(Some(bytes)),
            // Gone, or cut short below the range asked: damage either way.
            Err((_, err))
                if matches!(
                    err.kind(),
                    DalErrorKind::NotFound | DalErrorKind::RangeNotSatisfied
                ) =>
            {
                Ok(None)
            }
            Err((path, err)) => Err(storage_error(
                format!("cannot read {}/{path}", self.location),
                err,
            )),
        }
    }

    /// The size of pack `id` as stored; `None` when the storage has no such pack.
    pub fn stored_pack_size(&self, id: &Id) -> RusticResult<Option<u64>> {
        let path = Self::path(FileType::Pack, id);
        match self.op.stat(&path) {
            Ok(meta) => Ok(Some(meta.content_length())),
            Err(err) if err.kind() == DalErrorKind::NotFound => Ok(None),
            Err(err) => Err(storage_error(
                format!("cannot read {}/{path}", self.location),
                err,
            )),
        }
    }

    fn path(tpe: FileType, id: &Id) -> String {
        let hex = id.to_hex();
        match tpe {
            FileType::Config => "config".to_string(),
            FileType::Pack => format!("data/{}/{}", &hex[..2], &*hex),
            other => format!("{}/{}", other.dirname(), &*hex),
        }
    }
}

impl ReadBackend for Storage {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn list_with_size(&self, tpe: FileType) -> RusticResult<Vec<(Id, u32)>> {
        if tpe == FileType::Config {
            return match self.op.stat("config") {
                Ok(meta) => Ok(vec![(Id::default(), meta.content_length() as u32)]),
                Err(err) if err.kind() == DalErrorKind::NotFound => Ok(Vec::new()),
                Err(err) => Err(storage_error(
                    format!("cannot read {}/config", self.location),
                    err,
                )),
            };
        }
        let dir = format!("{}/", tpe.dirname());
        let options = opendal::options::ListOptions {
            recursive: true,
            ..Default::default()
        };
        let entries = match self.op.list_options(&dir, options) {
            Ok(entries) => entries,
            Err(err) if err.kind() == DalErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => {
                return Err(storage_error(
                    format!("cannot list {}/{dir}", self.location),
                    err,
                ));
            }
        };
        let mut found = Vec::new();
        for entry in entries {
            if entry.metadata().is_dir() {
                continue;
            }
            let Ok(id) = entry.name().parse::<Id>() else {
                continue;
            };
            let size = match entry.metadata().content_length() {
                // Listings without sizes (SFTP, some S3 servers) are completed one by one;
                // a file removed meanwhile (a concurrent prune) is not listed.
                0 => match self.op.stat(entry.path()) {
                    Ok(meta) => meta.content_length(),
                    Err(err) if err.kind() == DalErrorKind::NotFound => continue,
                    Err(err) => {
                        return Err(storage_error(
                            format!("cannot read the size of {}/{}", self.location, entry.path()),
                            err,
                        ));
                    }
                },
                n => n,
            };
            found.push((id, size as u32));
        }
        Ok(found)
    }

    fn read_full(&self, tpe: FileType, id: &Id) -> RusticResult<Bytes> {
        let path = Self::path(tpe, id);
        self.op
            .read(&path)
            .map(|buffer| buffer.to_bytes())
            .map_err(|err| storage_error(format!("cannot read {}/{path}", self.location), err))
    }

    fn read_partial(
        &self,
        tpe: FileType,
        id: &Id,
        _cacheable: bool,
        offset: u32,
        length: u32,
    ) -> RusticResult<Bytes> {
        self.read_range(tpe, id, offset, length)
            .map_err(|(path, err)| {
                storage_error(format!("cannot read {}/{path}", self.location), err)
            })
    }

    fn warmup_path(&self, tpe: FileType, id: &Id) -> String {
        Self::path(tpe, id)
    }
}

impl WriteBackend for Storage {
    fn create(&self) -> RusticResult<()> {
        if !self.has_directories {
            return Ok(());
        }
        for dir in ["keys/", "snapshots/", "index/", "locks/", "data/"] {
            self.op.create_dir(dir).map_err(|err| {
                storage_error(format!("cannot create {}/{dir}", self.location), err)
            })?;
        }
        self.flush_directories("config")
    }

    fn write_bytes(
        &self,
        tpe: FileType,
        id: &Id,
        _cacheable: bool,
        content: BytesList,
    ) -> RusticResult<()> {
        let buffer: opendal::Buffer = content.into_vec().into_iter().collect();
        self.write_whole(&Self::path(tpe, id), buffer)
    }

    fn remove(&self, tpe: FileType, id: &Id, _cacheable: bool) -> RusticResult<()> {
        let path = Self::path(tpe, id);
        self.op
            .delete(&path)
            .map_err(|err| storage_error(format!("cannot remove {}/{path}", self.location), err))
    }
}

/// The S3 region the AWS tools' variables name: `AWS_REGION` first, as they read it.
fn region_in_env(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .filter_map(env)
        .find(|region| !region.is_empty())
}

/// The region `bucket` at `endpoint` is in, as its server says (as restic asks it), else
/// `us-east-1`, which servers other than AWS take whatever their own. Asked once per
/// process: an operation opens its storage several times. Needs a tokio runtime it
/// can block on (see the module's note).
fn bucket_region(endpoint: &str, bucket: &str, timeout: Duration) -> String {
    type Asked = std::sync::Mutex<std::collections::HashMap<(String, String), String>>;
    static ASKED: std::sync::LazyLock<Asked> = std::sync::LazyLock::new(Default::default);
    let key = (endpoint.to_string(), bucket.to_string());
    if let Some(region) = ASKED.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return region.clone();
    }
    // OpenDAL answers us-east-1 for AWS's global endpoint without asking, whatever the
    // bucket's region: the same address with its port is asked.
    let ask = match endpoint.trim_end_matches('/') {
        "https://s3.amazonaws.com" => "https://s3.amazonaws.com:443",
        other => other,
    };
    let asked = tokio::runtime::Handle::try_current()
        .ok()
        .and_then(|runtime| {
            runtime.block_on(async {
                let detect = opendal::services::S3::detect_region(ask, bucket);
                tokio::time::timeout(timeout, detect).await.ok().flatten()
            })
        });
    match asked {
        Some(region) => {
            let mut known = ASKED.lock().unwrap_or_else(|e| e.into_inner());
            known.insert(key, region.clone());
            region
        }
        None => "us-east-1".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_is_read_as_the_aws_tools_read_it() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let both = env(&[
            ("AWS_DEFAULT_REGION", "us-west-2"),
            ("AWS_REGION", "eu-west-1"),
        ]);
        assert_eq!(region_in_env(&both).as_deref(), Some("eu-west-1"));
        let default_only = env(&[("AWS_DEFAULT_REGION", "us-west-2"), ("AWS_REGION", "")]);
        assert_eq!(region_in_env(&default_only).as_deref(), Some("us-west-2"));
        assert_eq!(region_in_env(&env(&[])), None);
    }

    #[test]
    fn a_lock_still_under_its_temporary_name_is_no_lock() {
        let dir = tempfile::tempdir().unwrap();
        let locks = dir.path().join("locks");
        std::fs::create_dir(&locks).unwrap();
        let id = "0f".repeat(32);
        std::fs::write(locks.join(&id), b"sealed").unwrap();
        std::fs::write(locks.join(format!("{id}-tmp-1234")), b"half").unwrap();
        // The blocking operator runs on a tokio runtime of the caller's.
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _inside = runtime.enter();
        let storage = Storage::new(&Repository::Local(dir.path().to_path_buf())).unwrap();
        assert_eq!(storage.lock_names().unwrap(), vec![id.clone()]);
        assert_eq!(&storage.read_lock(&id).unwrap().unwrap()[..], b"sealed");
        assert!(storage.read_lock(&"1f".repeat(32)).unwrap().is_none());
    }

    #[test]
    fn a_file_is_renamed_into_place_whole() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _inside = runtime.enter();
        let storage = Storage::new(&Repository::Local(dir.path().to_path_buf())).unwrap();
        let id = "2e".repeat(32);
        storage.write_lock(&id, b"sealed".to_vec()).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path().join("locks"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec![id.clone()], "no temporary file left");
        assert_eq!(
            std::fs::read(dir.path().join("locks").join(id)).unwrap(),
            b"sealed"
        );
    }
}
