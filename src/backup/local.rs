//! Volumes read and written directly on this host's file system (the volume's
//! mountpoint, when the engine is local and we may read or write it): the walk that
//! feeds an archive, the extraction of an archive into a fresh directory, and the
//! switch of a staged restore into place.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::archive::hash_reader;
use super::entry::{FileList, FileRecord, Kind, PathBytes};
use crate::cancel::Cancel;

/// Called for every entry of a walk, with the content of regular files.
pub type Visit<'a> = dyn FnMut(FileRecord, Option<&mut dyn Read>) -> io::Result<()> + 'a;

/// Walks `root` depth-first in byte order of names, without following symlinks, and
/// hands every entry (the root first, as `.`) to `visit`. A file that is linked more
/// than once appears as a file the first time and as hard links afterwards.
pub fn walk(root: &Path, cancel: &Cancel, visit: &mut Visit<'_>) -> io::Result<()> {
    let mut seen_inodes: HashMap<(u64, u64), PathBytes> = HashMap::new();
    walk_dir(
        root,
        &PathBytes::root(),
        cancel,
        &mut seen_inodes,
        visit,
        true,
    )
}

fn walk_dir(
    path: &Path,
    rel: &PathBytes,
    cancel: &Cancel,
    seen_inodes: &mut HashMap<(u64, u64), PathBytes>,
    visit: &mut Visit<'_>,
    is_root: bool,
) -> io::Result<()> {
    if cancel.reason().is_some() {
        return Err(crate::cancel::cancelled_io());
    }
    let meta = fs::symlink_metadata(path)?;
    let file_type = meta.file_type();
    let mut record = FileRecord {
        path: rel.clone(),
        kind: Kind::Dir,
        mode: meta.mode() & 0o7777,
        uid: meta.uid().into(),
        gid: meta.gid().into(),
        mtime: meta.mtime().max(0) as u64,
        size: 0,
        sha256: None,
        link: None,
        device: None,
        xattrs: read_xattrs(path),
    };
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_dir() {
        visit(record, None)?;
        let mut names: Vec<_> = fs::read_dir(path)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for name in names {
            let child_rel = if is_root {
                PathBytes(name.as_bytes().to_vec())
            } else {
                let mut bytes = rel.0.clone();
                bytes.push(b'/');
                bytes.extend_from_slice(name.as_bytes());
                PathBytes(bytes)
            };
            walk_dir(
                &path.join(&name),
                &child_rel,
                cancel,
                seen_inodes,
                visit,
                false,
            )?;
        }
        return Ok(());
    }
    if file_type.is_file() {
        if meta.nlink() > 1 {
            if let Some(first) = seen_inodes.get(&(meta.dev(), meta.ino())) {
                record.kind = Kind::Hardlink;
                record.link = Some(first.clone());
                return visit(record, None);
            }
            seen_inodes.insert((meta.dev(), meta.ino()), rel.clone());
        }
        record.kind = Kind::File;
        record.size = meta.len();
        let mut file = File::open(path)?;
        return visit(record, Some(&mut file));
    }
    if file_type.is_symlink() {
        record.kind = Kind::Symlink;
        record.link = Some(PathBytes(
            fs::read_link(path)?.as_os_str().as_bytes().to_vec(),
        ));
    } else if file_type.is_fifo() {
        record.kind = Kind::Fifo;
    } else if file_type.is_char_device() || file_type.is_block_device() {
        record.kind = if file_type.is_char_device() {
            Kind::Char
        } else {
            Kind::Block
        };
        let dev = meta.rdev();
        record.device = Some((rustix::fs::major(dev), rustix::fs::minor(dev)));
    } else {
        // Sockets only exist while their server runs; tar cannot hold them either.
        tracing::warn!("skipping socket {rel}");
        return Ok(());
    }
    visit(record, None)
}

fn read_xattrs(path: &Path) -> BTreeMap<String, String> {
    let mut xattrs = BTreeMap::new();
    let Ok(names) = xattr::list(path) else {
        return xattrs;
    };
    for name in names {
        let Some(name_text) = name.to_str() else {
            continue;
        };
        if let Ok(Some(value)) = xattr::get(path, &name) {
            xattrs.insert(name_text.to_string(), hex::encode(value));
        }
    }
    xattrs
}

/// The digest list of a directory as it is on disk now.
pub fn list_dir(root: &Path, volume: &str, cancel: &Cancel) -> io::Result<FileList> {
    let mut list = FileList {
        volume: volume.to_string(),
        entries: Vec::new(),
    };
    walk(root, cancel, &mut |mut record, content| {
        if let Some(content) = content {
            record.sha256 = Some(hash_reader(content)?);
        }
        list.entries.push(record);
        Ok(())
    })?;
    Ok(list)
}

/// Writes archive entries into `root`, a fresh empty directory. The entries must have
/// passed [`super::archive::SafetyCheck`] (the reader does that): no entry goes through
/// a symlink, so nothing is written outside `root`. Directory times and modes are
/// applied at the end, so that writing their children does not change them.
pub struct Extractor {
    root: PathBuf,
    directories: Vec<FileRecord>,
}

/// Zero runs at least this long are left as holes, so sparse files stay sparse.
const HOLE_BLOCK: usize = 64 * 1024;

impl Extractor {
    /// Extracts into `root`, which must exist and be empty.
    pub fn new(root: &Path) -> Self {
        Extractor {
            root: root.to_path_buf(),
            directories: Vec::new(),
        }
    }

    fn target(&self, path: &PathBytes) -> PathBuf {
        if path.is_root() {
            self.root.clone()
        } else {
            self.root.join(path.as_path())
        }
    }

    /// Writes one entry.
    pub fn write(&mut self, record: &FileRecord, content: &mut dyn Read) -> io::Result<()> {
        let target = self.target(&record.path);
        match record.kind {
            Kind::Dir => {
                if !record.path.is_root() {
                    fs::DirBuilder::new().mode(0o700).create(&target)?;
                }
                self.directories.push(record.clone());
                return Ok(());
            }
            Kind::File => {
                let mut file = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
                    .open(&target)?;
                copy_sparse(content, &mut file, record.size)?;
            }
            Kind::Symlink => {
                let link = record.link.clone().unwrap_or_default();
                std::os::unix::fs::symlink(link.as_path(), &target)?;
            }
            Kind::Hardlink => {
                let link = record.link.clone().unwrap_or_default();
                fs::hard_link(self.target(&link), &target)?;
                return Ok(());
            }
            Kind::Fifo | Kind::Char | Kind::Block => {
                let file_type = match record.kind {
                    Kind::Fifo => rustix::fs::FileType::Fifo,
                    Kind::Char => rustix::fs::FileType::CharacterDevice,
                    _ => rustix::fs::FileType::BlockDevice,
                };
                let (major, minor) = record.device.unwrap_or((0, 0));
                rustix::fs::mknodat(
                    rustix::fs::CWD,
                    &target,
                    file_type,
                    rustix::fs::Mode::from_raw_mode(0o600),
                    rustix::fs::makedev(major, minor),
                )?;
            }
        }
        apply_metadata(&target, record)
    }

    /// Applies directory metadata, deepest first, and flushes the file system once
    /// (one `syncfs` instead of an fsync per file). Call after the last entry.
    pub fn finish(self) -> io::Result<()> {
        for record in self.directories.iter().rev() {
            apply_metadata(&self.target(&record.path), record)?;
        }
        rustix::fs::syncfs(File::open(&self.root)?)?;
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

fn apply_metadata(target: &Path, record: &FileRecord) -> io::Result<()> {
    std::os::unix::fs::lchown(target, Some(record.uid as u32), Some(record.gid as u32))?;
    for (name, value) in &record.xattrs {
        let value = hex::decode(value).unwrap_or_default();
        if let Err(err) = xattr::set(target, name, &value) {
            tracing::warn!("cannot set xattr {name} on {}: {err}", record.path);
        }
    }
    if record.kind != Kind::Symlink {
        // After chown: changing the owner clears setuid/setgid bits.
        fs::set_permissions(target, fs::Permissions::from_mode(record.mode))?;
    }
    // The no-follow variant never opens the file (opening a FIFO would block).
    let mtime = filetime::FileTime::from_unix_time(record.mtime as i64, 0);
    filetime::set_symlink_file_times(target, mtime, mtime)
}

/// Replaces the content of the volume directory `volume_root` with the staged tree
/// `staging` (a direct child of it), by renames: the old entries move aside into
/// `aside` (another child), the staged ones move up, and the root takes the staged
/// root's metadata. On failure, every rename done so far is undone, so the volume is
/// as it was. The caller deletes `aside` once it is sure.
pub fn switch_into_place(
    volume_root: &Path,
    staging: &Path,
    aside: &Path,
    root_record: &FileRecord,
) -> io::Result<()> {
    fs::DirBuilder::new().mode(0o700).create(aside)?;
    let skip = [staging.file_name(), aside.file_name()];
    let mut moved_aside = Vec::new();
    let mut moved_up = Vec::new();
    let result = (|| -> io::Result<()> {
        for entry in fs::read_dir(volume_root)? {
            let name = entry?.file_name();
            if skip.contains(&Some(name.as_os_str())) {
                continue;
            }
            fs::rename(volume_root.join(&name), aside.join(&name))?;
            moved_aside.push(name);
        }
        for entry in fs::read_dir(staging)? {
            let name = entry?.file_name();
            fs::rename(staging.join(&name), volume_root.join(&name))?;
            moved_up.push(name);
        }
        fs::remove_dir(staging)?;
        apply_metadata(volume_root, root_record)
    })();
    if let Err(err) = result {
        for name in moved_up.iter().rev() {
            let _ = fs::rename(volume_root.join(name), staging.join(name));
        }
        for name in moved_aside.iter().rev() {
            let _ = fs::rename(aside.join(name), volume_root.join(name));
        }
        let _ = fs::remove_dir(aside);
        return Err(err);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let mut extractor = Extractor::new(&dst);
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
        switch_into_place(root, &staging, &aside, &root_record).unwrap();
        assert_eq!(fs::read(root.join("new")).unwrap(), b"new");
        assert_eq!(fs::read(aside.join("old")).unwrap(), b"old");
        assert!(!staging.exists());
        assert_eq!(fs::metadata(root).unwrap().mode() & 0o7777, 0o750);
    }
}
