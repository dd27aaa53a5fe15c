//! Volumes read and written directly on this host's file system (the volume's
//! mountpoint, when the engine is local and we may read or write it): the walk that
//! feeds an archive, the extraction of an archive into a fresh directory, and the
//! switch of a staged restore into place.
//!
//! A volume's content is written by its containers, which may race us: every entry is
//! reached through file descriptors of the directories above it (see
//! [`super::beneath`]), opened without following symlinks, and read, changed or moved
//! through a descriptor of what was opened, never through its path again. What a
//! container swaps in while we walk is taken for what it is when it is opened (a
//! symlink stays a symlink) and is never followed out of the volume.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, Timespec, Timestamps};
use serde::{Deserialize, Serialize};
use xattr::FileExt;

use super::archive::hash_reader;
use super::beneath;
use super::entry::{FileList, FileRecord, Kind, PathBytes};
use super::entry::{MAX_DEPTH, QUARANTINE_SUFFIX, RESERVED_PREFIX};
use crate::cancel::Cancel;

/// Called for every entry of a walk, with the content of regular files.
pub type Visit<'a> = dyn FnMut(FileRecord, Option<&mut dyn Read>) -> io::Result<()> + 'a;

/// A directory being walked: its descriptor, its path and the names still to visit.
struct Frame {
    dir: OwnedFd,
    rel: PathBytes,
    names: std::vec::IntoIter<OsString>,
}

/// `/proc/self/fd/<fd>/<name>`: `name` in the directory `fd` holds open. Path calls
/// that do not follow their last component (`lchown`, `lsetxattr`, `llistxattr`) reach
/// exactly that entry of that directory, whatever happens to the directory's path.
fn at(dir: BorrowedFd<'_>, name: &OsStr) -> PathBuf {
    let mut path = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
    if !name.is_empty() {
        path.push(name);
    }
    path
}

/// The names in `dir`, in byte order, without `.` and `..`.
fn sorted_names(dir: BorrowedFd<'_>) -> io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    let mut entries = Dir::read_from(dir)?;
    while let Some(entry) = entries.read() {
        let name = entry?.file_name().to_bytes().to_vec();
        if name != b"." && name != b".." {
            names.push(OsString::from(OsStr::from_bytes(&name)));
        }
    }
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(names)
}

fn open_dir_at(parent: BorrowedFd<'_>, name: &OsStr) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(parent, name, flags, Mode::empty())?)
}

/// Walks `root` depth-first in byte order of names, without following symlinks, and
/// hands every entry (the root first, as `.`) to `visit`. A file that is linked more
/// than once appears as a file the first time and as hard links afterwards. Entries
/// that vanish between listing and opening (a busy volume) are skipped, and returned
/// with the files whose size, modification or change time moved while they were read
/// (what was read of them is not what they hold: only without quiescing).
pub fn walk(root: &Path, cancel: &Cancel, visit: &mut Visit<'_>) -> io::Result<Vec<PathBytes>> {
    walk_fd(beneath::open_root(root)?, cancel, visit)
}

/// [`walk`] of the directory `root` holds open.
pub fn walk_fd(
    root: OwnedFd,
    cancel: &Cancel,
    visit: &mut Visit<'_>,
) -> io::Result<Vec<PathBytes>> {
    let mut seen_inodes: HashMap<(u64, u64), PathBytes> = HashMap::new();
    let mut changed = Vec::new();
    let root_file = File::from(root);
    let stat = rustix::fs::fstat(&root_file)?;
    visit(
        record_of(&stat, PathBytes::root(), read_xattrs_fd(&root_file)),
        None,
    )?;
    let mut stack = vec![Frame {
        names: sorted_names(root_file.as_fd())?.into_iter(),
        dir: root_file.into(),
        rel: PathBytes::root(),
    }];
    while let Some(frame) = stack.last_mut() {
        if cancel.reason().is_some() {
            return Err(crate::cancel::cancelled_io());
        }
        let Some(name) = frame.names.next() else {
            stack.pop();
            continue;
        };
        let rel = if frame.rel.is_root() {
            PathBytes(name.as_bytes().to_vec())
        } else {
            let mut bytes = frame.rel.0.clone();
            bytes.push(b'/');
            bytes.extend_from_slice(name.as_bytes());
            PathBytes(bytes)
        };
        // O_PATH: a handle on whatever is there now, without opening it for I/O (a
        // device or FIFO must not be opened), and a symlink stays a symlink.
        let entry = match rustix::fs::openat(
            &frame.dir,
            &name,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) => {
                changed.push(rel);
                continue;
            }
            Err(err) => return Err(err.into()),
        };
        let stat = rustix::fs::fstat(&entry)?;
        let file_type = FileType::from_raw_mode(stat.st_mode);
        match file_type {
            FileType::Directory => {
                if stack.len() >= MAX_DEPTH {
                    return Err(io::Error::other(format!(
                        "{rel}: directories nested deeper than {MAX_DEPTH} levels"
                    )));
                }
                let dir = File::from(open_dir_at(entry.as_fd(), OsStr::new("."))?);
                visit(record_of(&stat, rel.clone(), read_xattrs_fd(&dir)), None)?;
                stack.push(Frame {
                    names: sorted_names(dir.as_fd())?.into_iter(),
                    dir: dir.into(),
                    rel,
                });
            }
            FileType::RegularFile => {
                let xattrs = xattrs_at(&stack, &name);
                let mut record = record_of(&stat, rel.clone(), xattrs);
                let key = (stat.st_dev, stat.st_ino);
                if stat.st_nlink > 1 {
                    if let Some(first) = seen_inodes.get(&key) {
                        record.kind = Kind::Hardlink;
                        record.size = 0;
                        record.link = Some(first.clone());
                        visit(record, None)?;
                        continue;
                    }
                    seen_inodes.insert(key, rel);
                }
                // Reopened through the handle: the very inode that was checked.
                let mut file = File::open(at(entry.as_fd(), OsStr::new("")))?;
                let path = record.path.clone();
                visit(record, Some(&mut file))?;
                if write_stamp(&rustix::fs::fstat(&file)?) != write_stamp(&stat) {
                    changed.push(path);
                }
            }
            FileType::Symlink => {
                let link = rustix::fs::readlinkat(&entry, "", Vec::new())?;
                let mut record = record_of(&stat, rel, xattrs_at(&stack, &name));
                record.link = Some(PathBytes(link.into_bytes()));
                visit(record, None)?;
            }
            FileType::Fifo | FileType::CharacterDevice | FileType::BlockDevice => {
                let record = record_of(&stat, rel, xattrs_at(&stack, &name));
                visit(record, None)?;
            }
            _ => {
                // Sockets only exist while their server runs; tar cannot hold them either.
                tracing::warn!("skipping socket {rel}");
            }
        }
    }
    Ok(changed)
}

/// What a write to a file changes (size, modification and change times): compared
/// before and after the file is read, it tells a file written meanwhile.
pub(super) fn write_stamp(stat: &rustix::fs::Stat) -> [i64; 5] {
    [
        stat.st_size,
        stat.st_mtime,
        stat.st_mtime_nsec as i64,
        stat.st_ctime,
        stat.st_ctime_nsec as i64,
    ]
}

/// The record of an entry from its `fstat`.
fn record_of(
    stat: &rustix::fs::Stat,
    path: PathBytes,
    xattrs: BTreeMap<String, String>,
) -> FileRecord {
    let file_type = FileType::from_raw_mode(stat.st_mode);
    let kind = match file_type {
        FileType::Directory => Kind::Dir,
        FileType::Symlink => Kind::Symlink,
        FileType::Fifo => Kind::Fifo,
        FileType::CharacterDevice => Kind::Char,
        FileType::BlockDevice => Kind::Block,
        _ => Kind::File,
    };
    let device = matches!(kind, Kind::Char | Kind::Block).then(|| {
        (
            rustix::fs::major(stat.st_rdev),
            rustix::fs::minor(stat.st_rdev),
        )
    });
    FileRecord {
        path,
        kind,
        mode: stat.st_mode & 0o7777,
        uid: stat.st_uid.into(),
        gid: stat.st_gid.into(),
        mtime: stat.st_mtime,
        size: if kind == Kind::File {
            stat.st_size as u64
        } else {
            0
        },
        sha256: None,
        link: None,
        device,
        xattrs,
    }
}

/// Extended attributes as the digest list keeps them (name to hex value), from their
/// `names` and a `get` for one of them; attributes that vanish meanwhile are left out.
fn hex_xattrs(
    names: io::Result<impl Iterator<Item = OsString>>,
    get: impl Fn(&OsStr) -> io::Result<Option<Vec<u8>>>,
) -> BTreeMap<String, String> {
    let mut xattrs = BTreeMap::new();
    for name in names.into_iter().flatten() {
        if let (Some(text), Ok(Some(value))) = (name.to_str(), get(&name)) {
            xattrs.insert(text.to_string(), hex::encode(value));
        }
    }
    xattrs
}

fn read_xattrs_fd(file: &File) -> BTreeMap<String, String> {
    hex_xattrs(file.list_xattr(), |name| file.get_xattr(name))
}

/// Extended attributes of `name` in the innermost directory of `stack`, read without
/// following it (`llistxattr`): for entries that are not opened for I/O.
fn xattrs_at(stack: &[Frame], name: &OsStr) -> BTreeMap<String, String> {
    let Some(frame) = stack.last() else {
        return BTreeMap::new();
    };
    let path = at(frame.dir.as_fd(), name);
    hex_xattrs(xattr::list(&path), |name| xattr::get(&path, name))
}

/// The digest list of a directory as it is on disk now.
pub fn list_dir(root: &Path, volume: &str, cancel: &Cancel) -> io::Result<FileList> {
    list_fd(beneath::open_root(root)?, volume, cancel)
}

/// [`list_dir`] of the directory `root` holds open.
pub fn list_fd(root: OwnedFd, volume: &str, cancel: &Cancel) -> io::Result<FileList> {
    let mut list = FileList {
        volume: volume.to_string(),
        entries: Vec::new(),
    };
    walk_fd(root, cancel, &mut |mut record, content| {
        if let Some(content) = content {
            record.sha256 = Some(hash_reader(content)?);
        }
        list.entries.push(record);
        Ok(())
    })?;
    Ok(list)
}

/// Writes archive entries into a fresh empty directory it holds open. The entries must
/// have passed [`super::archive::SafetyCheck`] (the reader does that); on top of that,
/// every entry is created relative to a descriptor of its parent opened beneath the
/// root without following symlinks, and its metadata is applied through a descriptor
/// of what was created, so a writer racing in the directory cannot redirect anything
/// outside it. Directory times and modes are applied at the end, so that writing their
/// children does not change them.
pub struct Extractor {
    root: OwnedFd,
    directories: Vec<FileRecord>,
}

/// Zero runs at least this long are left as holes, so sparse files stay sparse.
const HOLE_BLOCK: usize = 64 * 1024;

/// `path` split into its parent (relative, possibly empty) and its last name.
fn split(path: &PathBytes) -> (&Path, &OsStr) {
    let path = path.as_path();
    (
        path.parent().unwrap_or(Path::new("")),
        path.file_name().unwrap_or_default(),
    )
}

impl Extractor {
    /// Extracts into the directory `root` holds open, which must be empty.
    pub fn new(root: OwnedFd) -> Self {
        Extractor {
            root,
            directories: Vec::new(),
        }
    }

    /// A descriptor of the directory `rel` beneath the root (the root for `""`).
    fn dir(&self, rel: &Path) -> io::Result<OwnedFd> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY;
        if rel.as_os_str().is_empty() {
            return Ok(rustix::fs::openat(
                &self.root,
                ".",
                flags | OFlags::CLOEXEC,
                Mode::empty(),
            )?);
        }
        beneath::open(self.root.as_fd(), rel, flags, Mode::empty())
    }

    /// Writes one entry.
    pub fn write(&mut self, record: &FileRecord, content: &mut dyn Read) -> io::Result<()> {
        if record.path.is_root() {
            self.directories.push(record.clone());
            return Ok(());
        }
        let (parent_rel, name) = split(&record.path);
        let parent = self.dir(parent_rel)?;
        match record.kind {
            Kind::Dir => {
                rustix::fs::mkdirat(&parent, name, Mode::from_raw_mode(0o700))?;
                self.directories.push(record.clone());
            }
            Kind::File => {
                let fd = rustix::fs::openat(
                    &parent,
                    name,
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )?;
                let mut file = File::from(fd);
                copy_sparse(content, &mut file, record.size)?;
                apply_metadata_fd(&file, record)?;
            }
            Kind::Symlink => {
                let link = record.link.clone().unwrap_or_default();
                rustix::fs::symlinkat(link.as_path(), &parent, name)?;
                apply_metadata_at(parent.as_fd(), name, record)?;
            }
            Kind::Hardlink => {
                let link = record.link.clone().unwrap_or_default();
                let (old_parent_rel, old_name) = split(&link);
                let old_parent = self.dir(old_parent_rel)?;
                rustix::fs::linkat(&old_parent, old_name, &parent, name, AtFlags::empty())?;
            }
            Kind::Fifo | Kind::Char | Kind::Block => {
                let file_type = match record.kind {
                    Kind::Fifo => FileType::Fifo,
                    Kind::Char => FileType::CharacterDevice,
                    _ => FileType::BlockDevice,
                };
                let (major, minor) = record.device.unwrap_or((0, 0));
                rustix::fs::mknodat(
                    &parent,
                    name,
                    file_type,
                    Mode::from_raw_mode(0o600),
                    rustix::fs::makedev(major, minor),
                )?;
                apply_metadata_at(parent.as_fd(), name, record)?;
            }
        }
        Ok(())
    }

    /// Applies directory metadata, deepest first. Call after the last entry; flushing
    /// to disk is the caller's (one `syncfs` instead of an fsync per file).
    pub fn finish(self) -> io::Result<()> {
        for record in self.directories.iter().rev() {
            let rel = if record.path.is_root() {
                Path::new("")
            } else {
                record.path.as_path()
            };
            apply_metadata_fd(&File::from(self.dir(rel)?), record)?;
        }
        Ok(())
    }
}

fn copy_sparse(content: &mut dyn Read, file: &mut File, size: u64) -> io::Result<()> {
    let mut buf = vec![0u8; HOLE_BLOCK];
    let mut written = 0u64;
    loop {
        let mut filled = 0;
        while filled < buf.len() {
            let n = content.read(&mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        if filled == HOLE_BLOCK && buf.iter().all(|b| *b == 0) {
            file.seek(SeekFrom::Current(HOLE_BLOCK as i64))?;
        } else {
            file.write_all(&buf[..filled])?;
        }
        written += filled as u64;
    }
    if written != size {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "file content shorter than its header says",
        ));
    }
    file.set_len(size)
}

fn timestamps(record: &FileRecord) -> Timestamps {
    let time = Timespec {
        tv_sec: record.mtime,
        tv_nsec: 0,
    };
    Timestamps {
        last_access: time,
        last_modification: time,
    }
}

fn ids(record: &FileRecord) -> (Option<rustix::fs::Uid>, Option<rustix::fs::Gid>) {
    (
        Some(rustix::fs::Uid::from_raw(record.uid as u32)),
        Some(rustix::fs::Gid::from_raw(record.gid as u32)),
    )
}

/// Owner, xattrs, mode and times of a file or directory, through its descriptor.
fn apply_metadata_fd(file: &File, record: &FileRecord) -> io::Result<()> {
    let (uid, gid) = ids(record);
    rustix::fs::fchown(file, uid, gid)?;
    for (name, value) in &record.xattrs {
        let value = hex::decode(value).unwrap_or_default();
        if let Err(err) = file.set_xattr(name, &value) {
            tracing::warn!("cannot set xattr {name} on {}: {err}", record.path);
        }
    }
    // After chown: changing the owner clears setuid/setgid bits.
    rustix::fs::fchmod(file, Mode::from_raw_mode(record.mode))?;
    rustix::fs::futimens(file, &timestamps(record))?;
    Ok(())
}

/// Owner, xattrs, mode and times of the symlink or special file `name` in `parent`,
/// never following it.
fn apply_metadata_at(parent: BorrowedFd<'_>, name: &OsStr, record: &FileRecord) -> io::Result<()> {
    let (uid, gid) = ids(record);
    rustix::fs::chownat(parent, name, uid, gid, AtFlags::SYMLINK_NOFOLLOW)?;
    for (xname, value) in &record.xattrs {
        let value = hex::decode(value).unwrap_or_default();
        if let Err(err) = xattr::set(at(parent, name), xname, &value) {
            tracing::warn!("cannot set xattr {xname} on {}: {err}", record.path);
        }
    }
    if record.kind != Kind::Symlink {
        // chmod has no no-follow form: pin the inode, check it is what was made, and
        // change it through its handle.
        let handle = rustix::fs::openat(
            parent,
            name,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let found = FileType::from_raw_mode(rustix::fs::fstat(&handle)?.st_mode);
        if matches!(
            found,
            FileType::Symlink | FileType::Directory | FileType::RegularFile
        ) {
            return Err(io::Error::other(format!(
                "{} was replaced while restoring",
                record.path
            )));
        }
        rustix::fs::chmodat(
            rustix::fs::CWD,
            at(handle.as_fd(), OsStr::new("")),
            Mode::from_raw_mode(record.mode),
            AtFlags::empty(),
        )?;
    }
    rustix::fs::utimensat(parent, name, &timestamps(record), AtFlags::SYMLINK_NOFOLLOW)?;
    Ok(())
}

/// Creates the directory `name` (0700) in `volume_root` and returns it opened: the
/// staging directory of a restore, reached from then on through the descriptor.
pub fn create_dir_in(volume_root: &Path, name: &OsStr) -> io::Result<OwnedFd> {
    let volume = beneath::open_root(volume_root)?;
    rustix::fs::mkdirat(&volume, name, Mode::from_raw_mode(0o700))?;
    open_dir_at(volume.as_fd(), name)
}

/// Where a restore's switch of a staged tree into place is. The journal records it
/// before each phase begins, so that recovery after a crash knows which way is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SwitchPhase {
    /// Old entries are moving into the aside directory: recovery puts them back.
    MovingAside,
    /// Every old entry is aside and staged ones are moving up: recovery finishes that.
    MovingUp,
    /// A failed switch is being undone: the new entries at the root are moving back
    /// into staging (recovery goes on with that).
    UndoingUp,
    /// A failed switch is being undone: the old entries are moving back from aside
    /// (recovery goes on with that).
    PuttingBack,
}

/// Makes a switch's phase durable before the phase begins.
pub type Record<'a> = dyn FnMut(&Switch) -> io::Result<()> + 'a;

/// A restore's switch: the content of the volume directory `volume_root` is replaced by
/// the staged tree in its child `staging`, by renames: the old entries move into the
/// child `aside`, then the staged ones move up, and the root takes the staged root's
/// metadata. Every rename is relative to descriptors of the three directories, so a
/// writer racing in the volume cannot turn one into a move across the host. Each phase
/// is idempotent: run again after a crash, it does what is left.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Switch {
    /// The volume (empty in the journals of versions that did not record it).
    #[serde(default)]
    pub volume: String,
    /// The volume's directory on the host.
    pub volume_root: PathBuf,
    /// The staging directory's name in it.
    pub staging: String,
    /// The aside directory's name in it.
    pub aside: String,
    /// The metadata the root takes.
    pub root: FileRecord,
    /// The root's metadata before the switch, which undoing it puts back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_root: Option<FileRecord>,
    /// How far it got.
    pub phase: SwitchPhase,
}

/// Why a switch failed, and whether the volume was put back as it was.
#[derive(Debug)]
pub struct SwitchError {
    /// What went wrong.
    pub error: io::Error,
    /// The old content is back in place.
    pub undone: bool,
}

/// A test hook of debug builds (the tests'): `SAFEOPS_FAILPOINT_SWITCH=N` kills the
/// process with SIGKILL after N renames of a switch, so tests can stop a restore at an
/// exact point of it.
fn failpoint(renames: &mut u64) {
    let limit = std::env::var("SAFEOPS_FAILPOINT_SWITCH")
        .ok()
        .filter(|_| cfg!(debug_assertions))
        .and_then(|v| v.parse::<u64>().ok());
    if limit == Some(*renames) {
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
    }
    *renames += 1;
}

impl Switch {
    /// A directory of ours at the volume root, not content: this switch's staging and
    /// aside, and any `.safeops-*` an earlier crash left for its recovery.
    fn is_ours(&self, name: &OsStr) -> bool {
        name == self.staging.as_str()
            || name == self.aside.as_str()
            || name.as_bytes().starts_with(RESERVED_PREFIX)
    }

    fn open(&self) -> io::Result<File> {
        Ok(File::from(beneath::open_root(&self.volume_root)?))
    }

    /// Moves every entry of the root but `staging` and `aside` into `aside`.
    fn move_aside(&self, volume: &File, renames: &mut u64) -> io::Result<()> {
        match rustix::fs::mkdirat(volume, self.aside.as_str(), Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(err) => return Err(err.into()),
        }
        let aside = open_dir_at(volume.as_fd(), OsStr::new(&self.aside))?;
        for name in sorted_names(volume.as_fd())? {
            if name == self.staging.as_str() || name == self.aside.as_str() {
                continue;
            }
            if self.is_ours(&name) && !name.as_bytes().ends_with(QUARANTINE_SUFFIX) {
                // Another restore's switch that recovery could not settle: switching
                // over it would mix its content into this one.
                return Err(io::Error::other(format!(
                    "the volume holds {}, left by an unfinished restore: run any safeops \
                     command to recover it first",
                    name.to_string_lossy()
                )));
            }
            if self.is_ours(&name) {
                continue;
            }
            failpoint(renames);
            rustix::fs::renameat(volume, &name, &aside, &name)?;
        }
        rustix::fs::fsync(&aside)?;
        rustix::fs::fsync(volume)?;
        Ok(())
    }

    /// Moves every staged entry up, removes `staging` and gives the root its metadata.
    fn move_up(&self, volume: &File, renames: &mut u64) -> io::Result<()> {
        match open_dir_at(volume.as_fd(), OsStr::new(&self.staging)) {
            Ok(staging) => {
                for name in sorted_names(staging.as_fd())? {
                    failpoint(renames);
                    rustix::fs::renameat(&staging, &name, volume, &name)?;
                }
                rustix::fs::unlinkat(volume, self.staging.as_str(), AtFlags::REMOVEDIR)?;
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        apply_metadata_fd(volume, &self.root)?;
        rustix::fs::fsync(volume)?;
        Ok(())
    }

    /// Puts the old content back, recording each phase: after [`SwitchPhase::MovingUp`]
    /// the new entries at the root go back into `staging` first; then every entry of
    /// `aside` returns to the root, and `staging` (with what it holds) and `aside` are
    /// removed.
    fn roll_back(&mut self, volume: &File, record: &mut Record<'_>) -> io::Result<()> {
        if matches!(self.phase, SwitchPhase::MovingUp | SwitchPhase::UndoingUp) {
            self.phase = SwitchPhase::UndoingUp;
            record(self)?;
            match rustix::fs::mkdirat(volume, self.staging.as_str(), Mode::from_raw_mode(0o700)) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(err) => return Err(err.into()),
            }
            let staging = open_dir_at(volume.as_fd(), OsStr::new(&self.staging))?;
            for name in sorted_names(volume.as_fd())? {
                if !self.is_ours(&name) {
                    rustix::fs::renameat(volume, &name, &staging, &name)?;
                }
            }
            rustix::fs::fsync(&staging)?;
            rustix::fs::fsync(volume)?;
        }
        self.phase = SwitchPhase::PuttingBack;
        record(self)?;
        match open_dir_at(volume.as_fd(), OsStr::new(&self.aside)) {
            Ok(aside) => {
                for name in sorted_names(aside.as_fd())? {
                    match rustix::fs::renameat(&aside, &name, volume, &name) {
                        // Something a writer the restore did not stop made meanwhile
                        // stands in the way: it goes into quarantine, the old entry back.
                        Err(rustix::io::Errno::EXIST | rustix::io::Errno::NOTEMPTY) => {
                            let quarantine = format!("{}-quarantine", self.aside);
                            match rustix::fs::mkdirat(
                                volume,
                                quarantine.as_str(),
                                Mode::from_raw_mode(0o700),
                            ) {
                                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                                Err(err) => return Err(err.into()),
                            }
                            let quarantine = open_dir_at(volume.as_fd(), OsStr::new(&quarantine))?;
                            rustix::fs::renameat(volume, &name, &quarantine, &name)?;
                            rustix::fs::renameat(&aside, &name, volume, &name)?;
                        }
                        other => other?,
                    }
                }
                rustix::fs::unlinkat(volume, self.aside.as_str(), AtFlags::REMOVEDIR)?;
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        // std's remove_dir_all never follows a symlink out of the tree.
        match std::fs::remove_dir_all(self.volume_root.join(&self.staging)) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        if let Some(previous) = &self.previous_root {
            apply_metadata_fd(volume, previous)?;
        }
        rustix::fs::fsync(volume)?;
        Ok(())
    }

    /// Runs the switch. `record` is called with the switch before each phase and must
    /// make it durable (the journal). On failure the volume is put back as it was, and
    /// the error says whether that worked (`undone`); when it did not, the switch must
    /// stay in the journal for recovery to finish. The caller deletes `aside` (the old
    /// content) once the switch is recorded done.
    pub fn run(&mut self, record: &mut Record<'_>) -> Result<(), SwitchError> {
        let failed = |error: io::Error| SwitchError {
            error,
            undone: true,
        };
        let volume = self.open().map_err(failed)?;
        let mut renames = 0;
        let stat = rustix::fs::fstat(&volume).map_err(|e| failed(e.into()))?;
        self.previous_root = Some(record_of(&stat, PathBytes::root(), read_xattrs_fd(&volume)));
        self.phase = SwitchPhase::MovingAside;
        record(self).map_err(failed)?;
        let moved = self.move_aside(&volume, &mut renames).and_then(|()| {
            self.phase = SwitchPhase::MovingUp;
            record(self)?;
            self.move_up(&volume, &mut renames)
        });
        if let Err(error) = moved {
            if let Err(undo) = self.roll_back(&volume, record) {
                return Err(SwitchError {
                    error: io::Error::other(format!(
                        "{error}; putting the old content back failed too: {undo}"
                    )),
                    undone: false,
                });
            }
            return Err(failed(error));
        }
        Ok(())
    }

    /// After a crash: a switch that had not moved everything aside, or was being undone,
    /// is undone (the old content is back); one that had moved everything aside is
    /// finished (the new content is in place). Phases are recorded as in [`Switch::run`],
    /// so a crash during recovery is recovered too. Says which.
    pub fn recover(&mut self, record: &mut Record<'_>) -> io::Result<&'static str> {
        let volume = match self.open() {
            Ok(volume) => volume,
            // The volume itself was removed since: nothing is left to switch.
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok("its volume is gone"),
            Err(err) => return Err(err),
        };
        match self.phase {
            SwitchPhase::MovingAside | SwitchPhase::UndoingUp | SwitchPhase::PuttingBack => {
                self.roll_back(&volume, record)?;
                Ok("put its previous content back")
            }
            SwitchPhase::MovingUp => {
                if let Err(err) = self.move_up(&volume, &mut 0) {
                    // What cannot be finished is undone: the old content is all aside.
                    self.roll_back(&volume, record).map_err(|undo| {
                        io::Error::other(format!(
                            "{err}; putting the old content back failed too: {undo}"
                        ))
                    })?;
                    return Ok("could not finish the switch, so put its previous content back");
                }
                // The new content is in place: the old one, aside, goes.
                match std::fs::remove_dir_all(self.volume_root.join(&self.aside)) {
                    Ok(()) => {}
                    Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                    Err(err) => return Err(err),
                }
                Ok("finished switching the restored content into place")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    use crate::backup::archive::{ArchiveWriter, Content, Naming, list_entries};
    use crate::cancel;

    fn build_tree(root: &Path) {
        fs::create_dir_all(root.join("dir with space/empty")).unwrap();
        fs::write(root.join("dir with space/a\nnewline"), b"hello").unwrap();
        fs::write(root.join("ünïcödé"), vec![7u8; 200_000]).unwrap();
        fs::hard_link(root.join("ünïcödé"), root.join("hard")).unwrap();
        std::os::unix::fs::symlink("../../etc/passwd", root.join("dangling")).unwrap();
        let sparse = File::create(root.join("sparse")).unwrap();
        sparse.set_len(10 << 20).unwrap();
        fs::set_permissions(root.join("ünïcödé"), fs::Permissions::from_mode(0o4750)).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("fifo"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o640),
            0,
        )
        .unwrap();
    }

    /// A file written while it is read (a container that was not stopped) is
    /// returned: what was read of it may be torn. One left alone is not.
    #[test]
    fn files_that_change_while_read_are_returned() {
        let (_trigger, cancel) = cancel::pair();
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("appended"), b"first\n").unwrap();
        fs::write(tmp.path().join("still"), b"same\n").unwrap();
        let changed = walk(tmp.path(), &cancel, &mut |record, content| {
            if let Some(content) = content {
                io::copy(content, &mut io::sink())?;
                if record.path.0 == b"appended" {
                    let mut file = fs::OpenOptions::new()
                        .append(true)
                        .open(tmp.path().join("appended"))?;
                    io::Write::write_all(&mut file, b"second\n")?;
                }
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(changed, [PathBytes(b"appended".to_vec())]);
    }

    #[test]
    fn walk_archive_extract_round_trip() {
        let (_trigger, cancel) = cancel::pair();
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir(&src).unwrap();
        build_tree(&src);
        let expected = list_dir(&src, "v", &cancel).unwrap();

        let mut writer = ArchiveWriter::new("v", Vec::new(), 3, 2, None).unwrap();
        walk(&src, &cancel, &mut |entry, content| {
            writer.append(entry, content)
        })
        .unwrap();
        let written = writer.finish().unwrap();
        assert!(expected.differences(&written.list).is_empty());
        assert_eq!(written.list.fingerprint().file_count, 3);

        let decoder = zstd::stream::read::Decoder::new(&written.output[..]).unwrap();
        let (listed, _) = list_entries(decoder, Naming::Volume, "v", Content::Hash).unwrap();
        assert_eq!(listed, written.list);

        let dst = tmp.path().join("dst");
        fs::create_dir(&dst).unwrap();
        let mut extractor = Extractor::new(beneath::open_root(&dst).unwrap());
        let decoder = zstd::stream::read::Decoder::new(&written.output[..]).unwrap();
        crate::backup::archive::read_entries(decoder, Naming::Volume, |entry| {
            extractor.write(&entry.record, entry.content)?;
            Ok(())
        })
        .unwrap();
        extractor.finish().unwrap();
        let restored = list_dir(&dst, "v", &cancel).unwrap();
        assert_eq!(expected.differences(&restored), Vec::<String>::new());
        let sparse = fs::metadata(dst.join("sparse")).unwrap();
        assert!(
            sparse.blocks() * 512 < sparse.len(),
            "sparse file stays sparse"
        );
    }

    #[test]
    fn switch_moves_staged_tree_into_place_and_keeps_old_aside() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::write(root.join("old"), b"old").unwrap();
        let staging = root.join(".staging");
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("new"), b"new").unwrap();
        let aside = root.join(".aside");
        let mut root_record = FileRecord {
            path: PathBytes::root(),
            kind: Kind::Dir,
            mode: 0o750,
            uid: 0,
            gid: 0,
            mtime: 1_000_000,
            size: 0,
            sha256: None,
            link: None,
            device: None,
            xattrs: BTreeMap::new(),
        };
        root_record.uid = fs::metadata(root).unwrap().uid().into();
        root_record.gid = fs::metadata(root).unwrap().gid().into();
        let mut switch = Switch {
            volume: "data".into(),
            volume_root: root.to_path_buf(),
            staging: ".staging".into(),
            aside: ".aside".into(),
            root: root_record,
            phase: SwitchPhase::MovingAside,
            previous_root: None,
        };
        let mut phases = Vec::new();
        switch
            .run(&mut |s: &Switch| {
                phases.push(s.phase);
                Ok(())
            })
            .unwrap();
        assert_eq!(phases, [SwitchPhase::MovingAside, SwitchPhase::MovingUp]);
        assert_eq!(fs::read(root.join("new")).unwrap(), b"new");
        assert_eq!(fs::read(aside.join("old")).unwrap(), b"old");
        assert!(!staging.exists());
        assert_eq!(fs::metadata(root).unwrap().mode() & 0o7777, 0o750);
    }

    #[test]
    fn recovery_goes_on_undoing_a_switch_from_where_it_stopped() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let meta = fs::metadata(root).unwrap();
        let record = FileRecord {
            path: PathBytes::root(),
            kind: Kind::Dir,
            mode: 0o755,
            uid: meta.uid().into(),
            gid: meta.gid().into(),
            mtime: 1,
            size: 0,
            sha256: None,
            link: None,
            device: None,
            xattrs: BTreeMap::new(),
        };
        for phase in [SwitchPhase::UndoingUp, SwitchPhase::PuttingBack] {
            for name in fs::read_dir(root).unwrap() {
                let path = name.unwrap().path();
                let _ = fs::remove_dir_all(&path).or_else(|_| fs::remove_file(&path));
            }
            // Killed part way: one old entry back (PuttingBack) or one new entry still at
            // the root (UndoingUp); the rest aside or staged.
            fs::create_dir_all(root.join(".safeops-previous-1")).unwrap();
            fs::create_dir_all(root.join(".safeops-restore-1")).unwrap();
            fs::write(root.join(".safeops-previous-1/o2"), b"old").unwrap();
            fs::write(root.join(".safeops-restore-1/n2"), b"new").unwrap();
            match phase {
                SwitchPhase::PuttingBack => fs::write(root.join("o1"), b"old").unwrap(),
                _ => {
                    fs::write(root.join(".safeops-previous-1/o1"), b"old").unwrap();
                    fs::write(root.join("n1"), b"new").unwrap();
                }
            }
            let mut switch = Switch {
                volume: "data".into(),
                volume_root: root.to_path_buf(),
                staging: ".safeops-restore-1".into(),
                aside: ".safeops-previous-1".into(),
                root: record.clone(),
                phase,
                previous_root: Some(FileRecord {
                    mode: 0o711,
                    ..record.clone()
                }),
            };
            let mut phases = Vec::new();
            switch
                .recover(&mut |s: &Switch| {
                    phases.push(s.phase);
                    Ok(())
                })
                .unwrap();
            let mut names: Vec<String> = fs::read_dir(root)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            assert_eq!(names, ["o1", "o2"], "{phase:?}");
            assert_eq!(
                fs::metadata(root).unwrap().mode() & 0o7777,
                0o711,
                "root as it was"
            );
            assert_eq!(phases.last(), Some(&SwitchPhase::PuttingBack));
        }
    }
}
