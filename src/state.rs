//! safeops' own files on this host: where they live (the XDG base directories), how
//! times are written in them, and how they are written: private (0600 in 0700
//! directories, since specs and journals hold container env with its secrets) and
//! durably. Cross-cutting: every layer that keeps state uses it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// `$<var>/docker-safeops`, else `$HOME/<fallback>/docker-safeops`, as the XDG base
/// directory specification says (an empty variable counts as unset).
pub fn xdg_dir(env: &dyn Fn(&str) -> Option<String>, var: &str, fallback: &str) -> PathBuf {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    set(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(set("HOME").unwrap_or_else(|| "/".into())).join(fallback))
        .join("docker-safeops")
}

/// `$XDG_STATE_HOME/docker-safeops` (`~/.local/state/docker-safeops`): the journal,
/// the audit log and the saved specs.
pub fn state_dir() -> PathBuf {
    xdg_dir(
        &|name| std::env::var(name).ok(),
        "XDG_STATE_HOME",
        ".local/state",
    )
}

/// This host's name (`uname -n`): what backups, snapshots and repository locks record
/// as theirs.
pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// RFC 3339 (UTC, milliseconds) for `time`: sorts in time order.
pub fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

/// [`timestamp`] of now.
pub fn now() -> String {
    timestamp(SystemTime::now())
}

/// Creates `dir` and its missing parents, owner-only (0700).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Writes `bytes` to `path` owner-only (0600, in a 0700 directory), atomically and
/// durably: a temporary file, fsynced, renamed over `path`, the directory fsynced. A
/// reader sees the old content or the new one, never a torn or world-readable file.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    write_atomic(path, bytes, 0o600)
}

/// Writes `bytes` to `path` with `mode` (set, not left to the umask), atomically and
/// durably: a temporary file of this process, fsynced, renamed over `path`, the
/// directory fsynced. A failed write leaves no temporary file behind.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    // A stale temporary file would keep its old mode through a truncating open.
    match fs::remove_file(&tmp) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
        _ => {}
    }
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .and_then(|mut file| {
            file.set_permissions(fs::Permissions::from_mode(mode))?;
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(err) = written {
        let _ = fs::remove_file(&tmp);
        return Err(err);
    }
    sync_dir(dir)
}

/// Fsyncs a directory, so that the names in it survive a crash.
pub fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Space kept free besides what an operation writes.
const SPACE_MARGIN: u64 = 16 << 20;

/// The free space an operation that writes `bytes` wants: the bytes, a tenth more for
/// what a file system spends on them (blocks, directories), and a margin.
pub fn with_margin(bytes: u64) -> u64 {
    bytes + bytes / 10 + SPACE_MARGIN
}

/// Free and total bytes of the file system holding `path` (or, when it does not exist
/// yet, its nearest existing ancestor): what an unprivileged writer may still use.
pub fn free_space(path: &Path) -> io::Result<(u64, u64)> {
    let existing = path
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or_else(|| Path::new("/"));
    let stat = rustix::fs::statvfs(existing)?;
    Ok((stat.f_bavail * stat.f_frsize, stat.f_blocks * stat.f_frsize))
}

/// Raises the soft limit on open files to the hard one, as Go programs (the Docker CLI)
/// do: an operation holds a lock file open per volume, and a prune may remove
/// hundreds at once.
pub fn raise_open_files_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        if let Err(err) = setrlimit(Resource::Nofile, limit) {
            tracing::debug!("cannot raise the open files limit: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_owner_only_and_replace_the_old_content() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("deep/er/file.json");
        write_private(&path, b"one").unwrap();
        write_private(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn xdg_dir_prefers_the_variable_and_ignores_it_when_empty() {
        let env = |set: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                set.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let both = env(&[("XDG_STATE_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(
            xdg_dir(&both, "XDG_STATE_HOME", ".local/state"),
            PathBuf::from("/x/docker-safeops")
        );
        let empty = env(&[("XDG_STATE_HOME", ""), ("HOME", "/h")]);
        assert_eq!(
            xdg_dir(&empty, "XDG_STATE_HOME", ".local/state"),
            PathBuf::from("/h/.local/state/docker-safeops")
        );
    }
}
