//! Opening and creating restic-format repositories: the password (never on the command
//! line, never printed), the storage, and errors an operator can act on (wrong
//! password, access denied, missing bucket, unreachable server).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustic_core::repofile::MasterKey;
use rustic_core::{
    ConfigOptions, Credentials, KeyOptions, OpenStatus, Repository as RusticRepository,
    RepositoryBackends, RepositoryOptions, RusticError,
};

use super::backend::Storage;
use super::location::Repository;
use crate::error::{Error, ExitCode, Result};

/// The environment variable naming the repository password file.
pub const PASSWORD_FILE_ENV: &str = "SAFEOPS_REPOSITORY_PASSWORD_FILE";

/// A repository password. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password {
    text: String,
    /// The password file's first line as written, as earlier versions read it, when
    /// that differs (a byte-order mark, spaces around it, more lines): the password
    /// of the repositories they made with that file.
    as_read_before: Option<String>,
}

impl Password {
    fn typed(text: String) -> Password {
        Password {
            text,
            as_read_before: None,
        }
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// An open repository.
pub type Open = RusticRepository<OpenStatus>;

/// The password in `--password-file`, else in `$SAFEOPS_REPOSITORY_PASSWORD_FILE`; `None`
/// when neither is given.
pub fn given_password(flag: Option<&Path>) -> Result<Option<Password>> {
    let file = flag
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(PASSWORD_FILE_ENV).map(PathBuf::from));
    let Some(file) = file else {
        return Ok(None);
    };
    let bytes = std::fs::read(&file).map_err(|e| {
        Error::usage(format!(
            "cannot read the password file {}: {e}",
            file.display()
        ))
    })?;
    let password = password_in(&bytes).ok_or_else(|| {
        Error::usage(format!(
            "the password file {} is not text (UTF-8 or UTF-16 with its byte-order mark)",
            file.display()
        ))
    })?;
    if password.is_empty() {
        return Err(Error::usage(format!(
            "the password file {} is empty",
            file.display()
        )));
    }
    let as_read_before = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| text.lines().next())
        .filter(|line| !line.is_empty() && *line != password)
        .map(str::to_string);
    Ok(Some(Password {
        text: password,
        as_read_before,
    }))
}

/// The password a password file's `bytes` hold, read as restic reads it (so that
/// `restic --password-file` opens what safeops made): the whole text, a byte-order
/// mark and the white space around it left out; UTF-16 (Windows' editors) as text.
fn password_in(bytes: &[u8]) -> Option<String> {
    let utf16 = |bytes: &[u8], unit: fn([u8; 2]) -> u16| {
        if !bytes.len().is_multiple_of(2) {
            return None;
        }
        let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .ok()
    };
    let text = match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes)?,
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes)?,
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec()).ok()?,
        _ => String::from_utf8(bytes.to_vec()).ok()?,
    };
    Some(text.trim().to_string())
}

/// Reads the password: `--password-file`, else `$SAFEOPS_REPOSITORY_PASSWORD_FILE`, else
/// a prompt on the terminal (asked twice when `new`).
pub fn password(flag: Option<&Path>, new: bool) -> Result<Password> {
    if let Some(password) = given_password(flag)? {
        return Ok(password);
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(
            Error::usage("a repository needs its password").hint(format!(
                "give --password-file FILE or set {PASSWORD_FILE_ENV}"
            )),
        );
    }
    let mut prompt = dialoguer::Password::new().with_prompt("repository password");
    if new {
        prompt = prompt.with_confirmation("repeat it", "the two passwords differ");
    }
    prompt
        .interact()
        .map(Password::typed)
        .map_err(|e| Error::failure(format!("cannot read the password: {e}")))
}

/// What to check when the repository's storage cannot be reached or refuses.
const UNREACHABLE_HINT: &str = "check the address, the credentials (AWS_*, ~/.aws/credentials, \
     SSH keys) and that the server is up";

/// An error of rustic_core or of the storage as one for the user: a wrong password or
/// an unreachable or refusing server is a preflight failure (exit 5).
pub fn repository_error(location: &Repository, err: &RusticError) -> Error {
    if err.is_incorrect_password() {
        return Error::preflight(format!("wrong password for the repository {location}"))
            .hint("check --password-file / SAFEOPS_REPOSITORY_PASSWORD_FILE");
    }
    let text = err.display_log();
    let text = text.strip_prefix("Error: ").unwrap_or(&text).to_string();
    let unreachable = [
        "access denied",
        "Permission",
        "connection",
        "dns",
        "NotFound",
        "timed out",
    ]
    .iter()
    .any(|needle| text.contains(needle));
    let message = format!("repository {location}: {}", crate::redact::text(&text));
    if unreachable {
        Error::preflight(message).hint(UNREACHABLE_HINT)
    } else {
        Error::failure(message)
    }
}

fn rustic(location: &Repository, cached: bool) -> Result<RusticRepository<()>> {
    let storage = Storage::new(location)?;
    let backends = RepositoryBackends::new(Arc::new(storage), None);
    // The repository's index and snapshot cache (encrypted, as in the repository).
    let cache = crate::state::xdg_dir(&|n| std::env::var(n).ok(), "XDG_CACHE_HOME", ".cache")
        .join("repositories");
    let options = match cached {
        true => RepositoryOptions::default().cache_dir(cache),
        false => RepositoryOptions::default().no_cache(true),
    };
    RusticRepository::new(&options, &backends).map_err(|e| repository_error(location, &e))
}

/// How long a read that only informs (`status`, `doctor`, a guard's plan) waits for a
/// repository: an address that drops packets is retried for many minutes.
pub const INFORMING_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// [`blocking`], given up after [`INFORMING_PATIENCE`] with an error (exit 5); the work
/// is abandoned, not stopped, so it must open the repository with [`open_uncached`]:
/// cut short at the process's end, a cache write would leave a truncated file.
pub async fn blocking_informing<T: Send + 'static>(
    location: &Repository,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::time::timeout(INFORMING_PATIENCE, blocking(work))
        .await
        .unwrap_or_else(|_| {
            Err(Error::preflight(format!(
                "{location} did not answer within {}s",
                INFORMING_PATIENCE.as_secs()
            ))
            .hint("check that the storage is reachable from this host"))
        })
}

/// Runs `work` on repository storage, which blocks, on a blocking thread.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::failure(format!("the repository worker failed: {e}")))?
}

/// Opens the repository at `location`. Blocks: call it from `spawn_blocking`.
pub fn open(location: &Repository, password: &Password) -> Result<Open> {
    open_cached(location, password, true)
}

/// Opens the repository with `password`, or with the password file as read before
/// (see [`Password`]), saying so: restic reads that file otherwise.
fn open_cached(location: &Repository, password: &Password, cached: bool) -> Result<Open> {
    refuse_missing(location)?;
    let opening =
        |text: &str| Ok::<_, Error>(rustic(location, cached)?.open(&Credentials::password(text)));
    match (opening(&password.text)?, &password.as_read_before) {
        (Err(e), Some(before)) if e.is_incorrect_password() => {
            let opened = opened(location, opening(before)?)?;
            crate::say!(
                "warning: {location} opens with the password file's first line as written \
                 (spaces or a byte-order mark kept), as safeops read it before; restic reads \
                 the file trimmed and cannot open it so: add that password trimmed as a key \
                 (restic key add) and write it so in the file"
            );
            Ok(opened)
        }
        (result, _) => opened(location, result),
    }
}

/// [`open`], without rustic's local cache (for reads that may be abandoned, see
/// [`blocking_informing`]).
pub fn open_uncached(location: &Repository, password: &Password) -> Result<Open> {
    open_cached(location, password, false)
}

/// Opens the repository at `location` again with the `key` an opening with the password
/// gave, without deriving it anew. Blocks: call it from `spawn_blocking`.
pub fn open_with_key(location: &Repository, key: MasterKey) -> Result<Open> {
    refuse_missing(location)?;
    opened(
        location,
        rustic(location, true)?.open(&Credentials::Masterkey(key)),
    )
}

/// A repository that cannot be opened is a preflight failure (exit 5) whatever the
/// storage said: nothing was done yet, and the server is unreachable, refuses the
/// credentials or holds no repository.
/// Refuses a local repository whose directory is not there before the storage is
/// opened, which would create it: `backups --to repo:/mnt/nas/repo` with the NAS not
/// mounted must not make an empty directory on the local disk.
fn refuse_missing(location: &Repository) -> Result<()> {
    match location {
        // Only when it is known not to be there: one that cannot be looked at (a
        // directory not ours) is for the storage to refuse, with its own words.
        Repository::Local(path) if path.try_exists().is_ok_and(|there| !there) => {
            Err(Error::usage(format!(
            "no repository at {location}: {} does not exist",
            path.display()
        ))
        .hint(format!(
            "is its disk mounted? A new one is made with `docker safeops backups init {location}`"
        )))
        }
        _ => Ok(()),
    }
}

fn opened(location: &Repository, result: rustic_core::RusticResult<Open>) -> Result<Open> {
    result.map_err(|e| match e.is_incorrect_password() {
        true => repository_error(location, &e),
        false if e.display_log().contains("No repository config file found") => {
            Error::usage(format!("no repository at {location}")).hint(format!(
                "create one with `docker safeops backups init {location}`"
            ))
        }
        false => {
            let mut err = repository_error(location, &e);
            if err.code != ExitCode::Preflight {
                err = Error::preflight(err.message).hint(UNREACHABLE_HINT);
            }
            err
        }
    })
}

/// Creates a repository at `location`, compressing at zstd level `compression` (zstd's
/// own default, 3, when `None`: close to restic's `auto`). Blocks: call it from
/// `spawn_blocking`.
///
/// rustic's extra verification (every blob decrypted and decompressed once more in
/// memory before it is uploaded) is off in the repositories created here: every pack
/// safeops writes, a backup's and a prune's, is read back from the storage before it
/// counts, and so are a backup's index files and snapshot file, which checks the same
/// and what the storage kept besides. The check cost
/// a sixth of a first backup's time. It is a setting of the repository: rustic run by
/// hand on it skips the check too, until `rustic config --set-extra-verify true`.
pub fn init(location: &Repository, password: &Password, compression: Option<i32>) -> Result<Open> {
    let mut config = ConfigOptions::default().set_extra_verify(false);
    if let Some(level) = compression {
        config = config.set_compression(level);
    }
    rustic(location, true)?
        .init(
            &Credentials::password(&password.text),
            &KeyOptions::default(),
            &config,
        )
        .map_err(|e| {
            let text = e.display_log();
            if text.contains("already") || text.contains("exists") {
                Error::usage(format!("{location} already holds a repository"))
            } else {
                repository_error(location, &e)
            }
        })
}

/// Opens the repository at `location` and locks it for `kind`, waiting up to `wait` for
/// the locks of others (restic's included). Blocks: call it from `spawn_blocking`.
pub fn open_locked(
    location: &Repository,
    password: &Password,
    kind: super::lock::Kind,
    wait: Option<std::time::Duration>,
    cancel: &crate::cancel::Cancel,
) -> Result<(Open, super::lock::Held)> {
    open_locked_reading(location, password, kind, wait, cancel, |_| Ok(()))
        .map(|(repo, held, _)| (repo, held))
}

/// [`open_locked`], running `read` with the repository's key between writing the lock
/// and confirming it (see [`super::lock::acquire_reading`] for what `read` may do), and returning
/// what it read, `None` when it failed.
pub fn open_locked_reading<T>(
    location: &Repository,
    password: &Password,
    kind: super::lock::Kind,
    wait: Option<std::time::Duration>,
    cancel: &crate::cancel::Cancel,
    mut read: impl FnMut(&MasterKey) -> Result<T>,
) -> Result<(Open, super::lock::Held, Option<T>)> {
    let repo = open(location, password)?;
    // Opening may take long (a slow server): no lock is written after Ctrl-C.
    if cancel.reason().is_some() {
        return Err(crate::error::Error::interrupted());
    }
    let key = repo.key();
    let (held, read) =
        super::lock::acquire_reading(location, &key, kind, wait, cancel, || read(&key))?;
    Ok((repo, held, read))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_password_file_is_read_as_restic_reads_it() {
        let read = |bytes: &[u8]| super::password_in(bytes);
        assert_eq!(read(b"secret\n").as_deref(), Some("secret"));
        assert_eq!(read(b"  secret \r\n\n").as_deref(), Some("secret"));
        assert_eq!(read(b"\xEF\xBB\xBFsecret\r\n").as_deref(), Some("secret"));
        assert_eq!(
            read(b"two words\nsecond line\n").as_deref(),
            Some("two words\nsecond line")
        );
        let utf16le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("s\u{e9}cret\r\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(read(&utf16le).as_deref(), Some("s\u{e9}cret"));
        assert_eq!(read(b"\xFF\xFEs"), None, "an odd byte out");
        assert_eq!(read(b"\xC3\x28"), None, "not UTF-8");
    }

    #[test]
    fn a_repository_made_with_the_file_read_as_before_still_opens() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _entered = runtime.enter();
        let dir = tempfile::tempdir().unwrap();
        let location = crate::storage::location::Repository::Local(dir.path().join("repo"));
        super::init(&location, &super::Password::typed("  secret ".into()), None).unwrap();
        let file = dir.path().join("password");
        std::fs::write(&file, "  secret \n").unwrap();
        let password = super::given_password(Some(&file)).unwrap().unwrap();
        assert!(super::open(&location, &password).is_ok());
        std::fs::write(&file, "other\n").unwrap();
        let wrong = super::given_password(Some(&file)).unwrap().unwrap();
        let err = super::open(&location, &wrong).unwrap_err();
        assert!(err.message.contains("wrong password"), "{}", err.message);
    }

    #[test]
    fn a_repository_created_here_leaves_the_verification_to_the_read_back() {
        // The storage calls block on a runtime, as on `spawn_blocking`.
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _entered = runtime.enter();
        let dir = tempfile::tempdir().unwrap();
        let (location, password) = super::testing::local(dir.path());
        let repo = super::open(&location, &password).unwrap();
        assert!(!repo.config().extra_verify());
        assert_eq!(
            repo.config().zstd().unwrap(),
            Some(0),
            "zstd's own default level"
        );
    }

    #[test]
    fn a_repository_created_with_a_level_compresses_at_it() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _entered = runtime.enter();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("password"), "test\n").unwrap();
        let password = super::given_password(Some(&dir.path().join("password")))
            .unwrap()
            .unwrap();
        let location = crate::storage::location::Repository::Local(dir.path().join("repo"));
        super::init(&location, &password, Some(19)).unwrap();
        let repo = super::open(&location, &password).unwrap();
        assert_eq!(repo.config().zstd().unwrap(), Some(19));
    }
}

/// A local repository for unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use super::{Password, given_password, init};
    use crate::storage::location::{Location, Repository};

    /// A new local repository in `dir`, with its location and password.
    pub(crate) fn local(dir: &Path) -> (Repository, Password) {
        let password_file = dir.join("password");
        std::fs::write(&password_file, "test\n").unwrap();
        let password = given_password(Some(&password_file)).unwrap().unwrap();
        let text = format!("repo:{}", dir.join("repo").display());
        let Location::Repository(location) = Location::parse(&text).unwrap() else {
            panic!("{text} is a repository");
        };
        init(&location, &password, None).unwrap();
        (location, password)
    }
}
