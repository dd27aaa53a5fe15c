//! Opening paths beneath a directory without following symlinks, race-free.
//!
//! A volume's content belongs to its containers, and a backup directory may have been
//! written by someone else: both are untrusted trees. Every path inside them is opened
//! relative to a directory file descriptor with `openat2(RESOLVE_BENEATH |
//! RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)`, so a symlink (or a `..`) anywhere on
//! the way fails the open instead of leading out of the tree, and what is opened is
//! what gets read or written: nothing is re-resolved by path after a check. Kernels
//! without `openat2` (before 5.6) get the same guarantee component by component with
//! `O_NOFOLLOW`.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path};

use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};

/// Opens `rel` beneath `dir` with `flags` (plus `O_CLOEXEC` and `O_NOFOLLOW`), never
/// following a symlink or leaving `dir`. `mode` applies when `flags` create a file.
pub fn open(dir: BorrowedFd<'_>, rel: &Path, flags: OFlags, mode: Mode) -> io::Result<OwnedFd> {
    let flags = flags | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
    match rustix::fs::openat2(dir, rel, flags, mode, resolve) {
        Err(rustix::io::Errno::NOSYS) => open_by_components(dir, rel, flags, mode),
        // A path longer than PATH_MAX (a deep tree a container made) is fine one
        // component at a time.
        Err(rustix::io::Errno::NAMETOOLONG) => open_by_components(dir, rel, flags, mode),
        // EAGAIN: the kernel saw a concurrent rename in the tree; the open is safe to
        // repeat, and the fallback needs no retry.
        Err(rustix::io::Errno::AGAIN) => open_by_components(dir, rel, flags, mode),
        Err(err) => Err(err.into()),
        Ok(fd) => Ok(fd),
    }
}

fn open_by_components(
    dir: BorrowedFd<'_>,
    rel: &Path,
    flags: OFlags,
    mode: Mode,
) -> io::Result<OwnedFd> {
    let names: Vec<&std::ffi::OsStr> = rel
        .components()
        .map(|c| match c {
            Component::Normal(name) => Ok(name),
            Component::CurDir => Ok(std::ffi::OsStr::new(".")),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} leaves the directory", rel.display()),
            )),
        })
        .collect::<io::Result<_>>()?;
    let Some((last, parents)) = names.split_last() else {
        return rustix::fs::openat(dir, ".", flags, mode).map_err(Into::into);
    };
    let mut current: Option<OwnedFd> = None;
    for name in parents {
        let at = current.as_ref().map_or(dir, AsFd::as_fd);
        let next = rustix::fs::openat(
            at,
            *name,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        current = Some(next);
    }
    let at = current.as_ref().map_or(dir, AsFd::as_fd);
    rustix::fs::openat(at, *last, flags | OFlags::NOFOLLOW, mode).map_err(Into::into)
}

/// Opens the directory `dir` itself (following what the operator named) for use as
/// the root of [`open`].
pub fn open_root(dir: &Path) -> io::Result<OwnedFd> {
    rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(Into::into)
}

/// Opens the regular file `rel` beneath `dir` for reading. Anything else (a symlink, a
/// FIFO that would block, a device) is an error, found without opening it for I/O.
pub fn open_regular(dir: BorrowedFd<'_>, rel: &Path) -> io::Result<File> {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is then refused below.
    let fd = open(dir, rel, OFlags::RDONLY | OFlags::NONBLOCK, Mode::empty())?;
    let stat = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is not a regular file", rel.display()),
        ));
    }
    rustix::fs::fcntl_setfl(&fd, OFlags::empty())?;
    Ok(File::from(fd))
}

/// Reads the regular file `rel` beneath `dir`, refusing one larger than `limit` bytes.
pub fn read_bounded(dir: BorrowedFd<'_>, rel: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(dir, rel)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is larger than {limit} bytes", rel.display()),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn symlinks_and_dot_dot_never_lead_out() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "host").unwrap();
        let tree = root.path().join("tree");
        std::fs::create_dir_all(tree.join("sub")).unwrap();
        std::fs::write(tree.join("sub/file"), "ok").unwrap();
        std::os::unix::fs::symlink(outside.path(), tree.join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), tree.join("filelink")).unwrap();
        std::os::unix::fs::symlink(".", tree.join("loop")).unwrap();
        let fd = open_root(&tree).unwrap();
        let dir = fd.as_fd();
        assert_eq!(read_bounded(dir, Path::new("sub/file"), 10).unwrap(), b"ok");
        assert!(read_bounded(dir, Path::new("sub/file"), 1).is_err());
        for bad in [
            "link/secret",
            "filelink",
            "../tree/sub/file",
            "loop/sub/file",
            "sub",
        ] {
            assert!(open_regular(dir, Path::new(bad)).is_err(), "{bad}");
        }
        for fallback in ["link/secret", "filelink", "../x", "loop/sub/file"] {
            let fd = open_by_components(dir, Path::new(fallback), OFlags::RDONLY, Mode::empty());
            assert!(fd.is_err(), "{fallback}");
        }
        let fd = open_by_components(dir, Path::new("sub/file"), OFlags::RDONLY, Mode::empty());
        assert!(fd.is_ok());
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let root = tempfile::tempdir().unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.path().join("fifo"),
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let fd = open_root(root.path()).unwrap();
        assert!(open_regular(fd.as_fd(), Path::new("fifo")).is_err());
    }
}
