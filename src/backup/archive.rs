//! Volume archives: a tar stream (owners, modes, mtimes, links, special files, xattrs)
//! compressed with multi-threaded zstd, hashed while it is written, and the reader that
//! walks such a stream back, refusing entries that are unsafe to extract.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use tar::{EntryType, Header};

use super::entry::{FileList, FileRecord, Kind, PathBytes, too_deep};

/// The default zstd level. Level 1: a backup usually runs while services are stopped,
/// so speed matters most; on the benchmark volume it is also no larger than gzip -6.
pub const DEFAULT_LEVEL: i32 = 1;

/// A writer that hashes and counts what passes through it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    /// The inner writer, the SHA-256 (hex) and the number of bytes written.
    pub fn finish(self) -> (W, String, u64) {
        (
            self.inner,
            hex::encode(self.hasher.finalize()),
            self.written,
        )
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes and counts what is read through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
    progress: Option<Arc<AtomicU64>>,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`; `progress`, when given, is advanced by every byte read.
    pub fn new(inner: R, progress: Option<Arc<AtomicU64>>) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            read: 0,
            progress,
        }
    }

    /// The SHA-256 (hex) and the number of bytes read so far.
    pub fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.read)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        if let Some(progress) = &self.progress {
            progress.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// A reader that fails with [`crate::cancel::cancelled_io`] once cancellation was requested, so that
/// long reads in worker threads stop promptly.
pub struct Cancellable<R> {
    inner: R,
    cancel: crate::cancel::Cancel,
}

impl<R> Cancellable<R> {
    /// Wraps `inner`.
    pub fn new(inner: R, cancel: &crate::cancel::Cancel) -> Self {
        Cancellable {
            inner,
            cancel: cancel.clone(),
        }
    }
}

impl<R: Read> Read for Cancellable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.reason().is_some() {
            return Err(crate::cancel::cancelled_io());
        }
        self.inner.read(buf)
    }
}

/// Exactly `size` bytes from `inner`: a file that shrank while it was read (only
/// possible without quiescing) is padded with zeros, so the archive stays well formed.
pub struct ExactSize<R> {
    inner: R,
    remaining: u64,
    short: bool,
}

impl<R> ExactSize<R> {
    /// The first `size` bytes of `inner`, padded with zeros if it has fewer.
    pub fn new(inner: R, size: u64) -> ExactSize<R> {
        ExactSize {
            inner,
            remaining: size,
            short: false,
        }
    }

    /// True once `inner` ended before the size: the rest is zeros.
    pub fn shrank(&self) -> bool {
        self.short
    }

    /// What it reads from.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: Read> Read for ExactSize<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let want = buf.len().min(self.remaining as usize);
        let n = if self.short {
            0
        } else {
            self.inner.read(&mut buf[..want])?
        };
        let n = if n == 0 {
            self.short = true;
            buf[..want].fill(0);
            want
        } else {
            n
        };
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Writes entries as a plain tar stream, optionally under a name prefix (restores
/// through the engine stage the tree in a subdirectory of the volume).
pub struct TarEmitter<W: Write> {
    builder: tar::Builder<W>,
    prefix: Option<PathBytes>,
    progress: Option<Arc<AtomicU64>>,
}

/// The outcome of writing one file's content.
pub struct Emitted {
    /// SHA-256 of the content written (hex), for regular files.
    pub sha256: Option<String>,
    /// The source had fewer bytes than its size said (padded with zeros).
    pub short: bool,
}

impl<W: Write> TarEmitter<W> {
    /// A tar stream on `output`; every name is put under `prefix` when given.
    pub fn new(output: W, prefix: Option<PathBytes>, progress: Option<Arc<AtomicU64>>) -> Self {
        let mut builder = tar::Builder::new(output);
        builder.follow_symlinks(false);
        TarEmitter {
            builder,
            prefix,
            progress,
        }
    }

    fn name(&self, path: &PathBytes) -> std::path::PathBuf {
        match &self.prefix {
            None => tar_name(path),
            Some(prefix) if path.is_root() => prefix.as_path().to_path_buf(),
            Some(prefix) => prefix.as_path().join(path.as_path()),
        }
    }

    /// Appends one entry; `content` must be given for regular files.
    pub fn append(
        &mut self,
        record: &FileRecord,
        content: Option<&mut dyn Read>,
    ) -> io::Result<Emitted> {
        let mut header = Header::new_gnu();
        header.set_mode(record.mode);
        header.set_uid(record.uid);
        header.set_gid(record.gid);
        // A header holds no time before 1970: a PAX record does, as GNU tar writes it.
        header.set_mtime(u64::try_from(record.mtime).unwrap_or(0));
        header.set_size(0);
        let mut extensions: Vec<(String, Vec<u8>)> = record
            .xattrs
            .iter()
            .map(|(name, value)| {
                (
                    format!("SCHILY.xattr.{name}"),
                    hex::decode(value).unwrap_or_default(),
                )
            })
            .collect();
        if record.mtime < 0 {
            extensions.push(("mtime".into(), record.mtime.to_string().into_bytes()));
        }
        if !extensions.is_empty() {
            self.builder.append_pax_extensions(
                extensions.iter().map(|(k, v)| (k.as_str(), v.as_slice())),
            )?;
        }
        let name = self.name(&record.path);
        let mut emitted = Emitted {
            sha256: None,
            short: false,
        };
        match record.kind {
            Kind::File => {
                header.set_entry_type(EntryType::Regular);
                header.set_size(record.size);
                let content = content.ok_or_else(|| io::Error::other("file without content"))?;
                let mut exact = ExactSize::new(content, record.size);
                let mut reader = HashingReader::new(&mut exact, self.progress.clone());
                self.builder.append_data(&mut header, &name, &mut reader)?;
                emitted.sha256 = Some(reader.finish().0);
                emitted.short = exact.short;
            }
            Kind::Dir => {
                header.set_entry_type(EntryType::Directory);
                self.builder.append_data(&mut header, &name, io::empty())?;
            }
            Kind::Symlink | Kind::Hardlink => {
                let target = record
                    .link
                    .clone()
                    .ok_or_else(|| io::Error::other("link without target"))?;
                let target = if record.kind == Kind::Hardlink {
                    header.set_entry_type(EntryType::Link);
                    self.name(&target)
                } else {
                    header.set_entry_type(EntryType::Symlink);
                    target.as_path().to_path_buf()
                };
                self.builder.append_link(&mut header, &name, target)?;
            }
            Kind::Fifo | Kind::Char | Kind::Block => {
                header.set_entry_type(match record.kind {
                    Kind::Fifo => EntryType::Fifo,
                    Kind::Char => EntryType::Char,
                    _ => EntryType::Block,
                });
                let (major, minor) = record.device.unwrap_or((0, 0));
                header.set_device_major(major)?;
                header.set_device_minor(minor)?;
                self.builder.append_data(&mut header, &name, io::empty())?;
            }
        }
        Ok(emitted)
    }

    /// Writes the end-of-archive marker and returns the output.
    pub fn finish(self) -> io::Result<W> {
        self.builder.into_inner()
    }
}

/// Writes a volume archive (`.tar.zst`) and its digest list.
pub struct ArchiveWriter<W: Write> {
    tar: TarEmitter<zstd::stream::write::Encoder<'static, HashingWriter<W>>>,
    list: FileList,
    changed_while_read: Vec<PathBytes>,
}

/// What writing an archive produced.
pub struct WrittenArchive<W> {
    /// The output, flushed.
    pub output: W,
    /// SHA-256 of the compressed archive (hex).
    pub sha256: String,
    /// Size of the compressed archive.
    pub size: u64,
    /// The digest list.
    pub list: FileList,
    /// Files whose size changed while they were read (possible without quiescing).
    pub changed_while_read: Vec<PathBytes>,
}

impl<W: Write> ArchiveWriter<W> {
    /// Starts an archive for `volume` on `output`, compressing at zstd `level` on
    /// `threads` workers.
    pub fn new(
        volume: &str,
        output: W,
        level: i32,
        threads: u32,
        progress: Option<Arc<AtomicU64>>,
    ) -> io::Result<Self> {
        let mut encoder = zstd::stream::write::Encoder::new(HashingWriter::new(output), level)?;
        if threads > 1 {
            encoder.multithread(threads)?;
        }
        encoder.include_checksum(true)?;
        Ok(ArchiveWriter {
            tar: TarEmitter::new(encoder, None, progress),
            list: FileList {
                volume: volume.to_string(),
                entries: Vec::new(),
            },
            changed_while_read: Vec::new(),
        })
    }

    /// Appends one entry (its digest is filled in here); `content` must be given for
    /// regular files.
    pub fn append(
        &mut self,
        mut record: FileRecord,
        content: Option<&mut dyn Read>,
    ) -> io::Result<()> {
        let emitted = self.tar.append(&record, content)?;
        if emitted.short {
            self.changed_while_read.push(record.path.clone());
        }
        record.sha256 = emitted.sha256;
        self.list.entries.push(record);
        Ok(())
    }

    /// Ends the tar stream and the zstd frame, and flushes.
    pub fn finish(self) -> io::Result<WrittenArchive<W>> {
        let encoder = self.tar.finish()?;
        let hashing = encoder.finish()?;
        let (mut output, sha256, size) = hashing.finish();
        output.flush()?;
        Ok(WrittenArchive {
            output,
            sha256,
            size,
            list: self.list,
            changed_while_read: self.changed_while_read,
        })
    }
}

/// The tar member name for a relative path: `./` for the root.
fn tar_name(path: &PathBytes) -> std::path::PathBuf {
    if path.is_root() {
        std::path::PathBuf::from("./")
    } else {
        path.as_path().to_path_buf()
    }
}

/// An entry read back from a tar stream, with its content reader.
pub struct ReadEntry<'a> {
    /// Its record as the archive states it (no digest yet).
    pub record: FileRecord,
    /// The content (empty for everything but regular files).
    pub content: &'a mut dyn Read,
}

/// Why an archive cannot be read or must not be extracted.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The stream is not a readable tar (or zstd) stream.
    #[error("unreadable archive: {0}")]
    Unreadable(#[from] io::Error),
    /// An entry would escape the target or is of a kind we do not restore.
    #[error("unsafe entry {path}: {why}")]
    Unsafe {
        /// The entry's path as the archive states it.
        path: PathBytes,
        /// Why it is refused.
        why: &'static str,
    },
}

/// How the entry names of a tar stream map to volume paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// Our own archives: `./` is the root, other names are relative to it.
    Volume,
    /// The engine's archive endpoint: the first component is the directory asked for.
    EngineCopy,
}

/// The largest GNU long name or link and PAX extension accepted: real ones are a few
/// KiB at most.
const MAX_EXTENSION: u64 = 1 << 20;

/// Follows a tar stream block by block and fails it at a header whose extension data
/// (GNU long name or link, PAX record) is larger than [`MAX_EXTENSION`], before the
/// tar crate reads that data whole into memory: a 30 KB compressed archive could
/// otherwise ask for gigabytes. GNU sparse entries, which safeops never writes and whose
/// extra header blocks this does not follow, are refused. An entry's size is the one
/// the tar crate takes: a PAX `size` record before it overrides its header's (the
/// engine's Go writer puts sizes of 8 GiB and more there), or a hostile archive could
/// hide a header from this guard inside what it takes for entry data.
struct HeaderGuard<R> {
    inner: R,
    /// Bytes of entry data still to pass before the next header block.
    data_left: u64,
    /// The header block being collected.
    header: [u8; 512],
    filled: usize,
    /// The PAX records being passed (at most [`MAX_EXTENSION`] bytes) and how many
    /// bytes of them are still to come.
    pax: Option<(Vec<u8>, u64)>,
    /// The size PAX records gave the next entry that is not an extension header.
    next_size: Option<u64>,
}

impl<R> HeaderGuard<R> {
    fn new(inner: R) -> Self {
        HeaderGuard {
            inner,
            data_left: 0,
            header: [0; 512],
            filled: 0,
            pax: None,
            next_size: None,
        }
    }

    fn observe(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            if self.data_left > 0 {
                let passed = self.data_left.min(data.len() as u64);
                if let Some((records, to_come)) = &mut self.pax {
                    let take = passed.min(*to_come);
                    records.extend_from_slice(&data[..take as usize]);
                    *to_come -= take;
                }
                self.data_left -= passed;
                data = &data[passed as usize..];
                if self.data_left == 0
                    && let Some((records, _)) = self.pax.take()
                {
                    self.next_size = pax_size(&records);
                }
                continue;
            }
            let take = (512 - self.filled).min(data.len());
            self.header[self.filled..self.filled + take].copy_from_slice(&data[..take]);
            self.filled += take;
            data = &data[take..];
            if self.filled == 512 {
                self.filled = 0;
                self.data_left = self.check_header()?;
            }
        }
        Ok(())
    }

    /// Checks the collected header; returns how many bytes of data (in whole blocks)
    /// follow it.
    fn check_header(&mut self) -> io::Result<u64> {
        if self.header.iter().all(|b| *b == 0) {
            return Ok(0);
        }
        let size = header_size(&self.header[124..136]).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "tar header with an unreadable size",
            )
        })?;
        let refuse = |why: String| Err(io::Error::new(io::ErrorKind::InvalidData, why));
        let size = match self.header[156] {
            b'L' | b'K' | b'x' | b'g' if size > MAX_EXTENSION => {
                return refuse(format!(
                    "tar extension header of {size} bytes (at most {MAX_EXTENSION} accepted)"
                ));
            }
            b'x' => {
                self.next_size = None;
                self.pax = (size > 0).then(|| (Vec::with_capacity(size as usize), size));
                size
            }
            b'L' | b'K' | b'g' => size,
            b'S' => return refuse("GNU sparse tar entries are not accepted".into()),
            _ => self.next_size.take().unwrap_or(size),
        };
        size.checked_next_multiple_of(512)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "tar entry size overflows"))
    }
}

/// The `size` record of PAX `records`, as the tar crate reads it: the first, and none
/// when a record before it or its value does not parse.
pub fn pax_size(records: &[u8]) -> Option<u64> {
    for record in tar::PaxExtensions::new(records) {
        let record = record.ok()?;
        if record.key() == Ok("size") {
            return record.value().ok()?.parse().ok();
        }
    }
    None
}

impl<R: Read> Read for HeaderGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.observe(&buf[..n])?;
        Ok(n)
    }
}

/// A tar header's size field: octal digits, or base-256 when the high bit is set.
fn header_size(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        let mut value: u64 = u64::from(field[0] & 0x7f);
        for byte in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(*byte))?;
        }
        return Some(value);
    }
    let text = std::str::from_utf8(field).ok()?;
    let digits = text.trim_matches(|c: char| c == ' ' || c == '\0');
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
}

/// Reads every entry of the tar stream `reader`, checking each for safety (see
/// [`SafetyCheck`]), and hands it to `visit`. Returns the reader, positioned after the
/// tar's end marker, so the caller can drain and check what follows.
pub fn read_entries<R: Read>(
    reader: R,
    naming: Naming,
    mut visit: impl FnMut(ReadEntry<'_>) -> Result<(), ArchiveError>,
) -> Result<R, ArchiveError> {
    let mut archive = tar::Archive::new(HeaderGuard::new(reader));
    let mut safety = SafetyCheck::default();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw_path = PathBytes(entry.path_bytes().into_owned());
        let path = match naming {
            Naming::Volume => normalize(&raw_path.0),
            Naming::EngineCopy => strip_first(&raw_path.0),
        }
        .ok_or(ArchiveError::Unsafe {
            path: raw_path.clone(),
            why: "absolute path or `..` component",
        })?;
        let header = entry.header();
        let kind = match header.entry_type() {
            EntryType::Regular | EntryType::Continuous => Kind::File,
            EntryType::Directory => Kind::Dir,
            EntryType::Symlink => Kind::Symlink,
            EntryType::Link => Kind::Hardlink,
            EntryType::Fifo => Kind::Fifo,
            EntryType::Char => Kind::Char,
            EntryType::Block => Kind::Block,
            _ => {
                return Err(ArchiveError::Unsafe {
                    path: raw_path,
                    why: "unsupported entry type",
                });
            }
        };
        let device = match kind {
            Kind::Char | Kind::Block => Some((
                header.device_major()?.unwrap_or(0),
                header.device_minor()?.unwrap_or(0),
            )),
            _ => None,
        };
        let link = match kind {
            Kind::Symlink => entry.link_name_bytes().map(|l| PathBytes(l.into_owned())),
            Kind::Hardlink => {
                let target = entry.link_name_bytes().map(|l| l.into_owned());
                let target = target.and_then(|t| match naming {
                    Naming::Volume => normalize(&t),
                    Naming::EngineCopy => strip_first(&t),
                });
                Some(target.ok_or(ArchiveError::Unsafe {
                    path: raw_path.clone(),
                    why: "hard link to an absolute path or through `..`",
                })?)
            }
            _ => None,
        };
        let mut record = FileRecord {
            path,
            kind,
            mode: header.mode()? & 0o7777,
            uid: header.uid()?,
            gid: header.gid()?,
            mtime: 0,
            size: if kind == Kind::File { entry.size() } else { 0 },
            sha256: None,
            link,
            device,
            xattrs: BTreeMap::new(),
        };
        let malformed_time = || ArchiveError::Unsafe {
            path: raw_path.clone(),
            why: "a malformed modification time",
        };
        // A PAX record holds a time no header can (before 1970, say) and wins.
        let mut pax_mtime = None;
        if let Some(extensions) = entry.pax_extensions()? {
            for extension in extensions {
                let extension = extension?;
                match extension.key() {
                    Ok("mtime") => {
                        let seconds = extension.value().ok().and_then(pax_seconds);
                        pax_mtime = Some(seconds.ok_or_else(malformed_time)?);
                    }
                    Ok(key) => {
                        if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                            record
                                .xattrs
                                .insert(name.to_string(), hex::encode(extension.value_bytes()));
                        }
                    }
                    Err(_) => {}
                }
            }
        }
        record.mtime = pax_mtime
            .or_else(|| header_seconds(entry.header()))
            .ok_or_else(malformed_time)?;
        safety.check(&record)?;
        visit(ReadEntry {
            record,
            content: &mut entry,
        })?;
    }
    Ok(archive.into_inner().inner)
}

/// The whole seconds of a PAX time record, rounded down as `stat` gives them (`-1.5`
/// is 2 seconds before the epoch).
fn pax_seconds(value: &str) -> Option<i64> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let seconds: i64 = whole.parse().ok()?;
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let below = whole.starts_with('-') && fraction.bytes().any(|b| b != b'0');
    seconds.checked_sub(i64::from(below))
}

/// A header's mtime: octal, or base-256 as GNU tar writes large and negative values
/// (a leading 0x80 or 0xff, then a two's-complement number); `None` beyond an i64.
fn header_seconds(header: &tar::Header) -> Option<i64> {
    let field = &header.as_old().mtime;
    match field[0] {
        0xff => {
            // Negative: every byte above the last eight is sign extension.
            let (high, low) = field[1..].split_at(field.len() - 9);
            let value = i64::from_be_bytes(low.try_into().ok()?);
            (high.iter().all(|b| *b == 0xff) && value < 0).then_some(value)
        }
        _ => i64::try_from(header.mtime().ok()?).ok(),
    }
}

/// How much of each file [`list_entries`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Hash every file's content.
    Hash,
    /// Read the content but do not hash it: the stream's own checksum (zstd's frame
    /// checksum) already vouches for it.
    Skip,
}

/// Reads a tar stream and returns its digest list.
pub fn list_entries<R: Read>(
    reader: R,
    naming: Naming,
    volume: &str,
    content: Content,
) -> Result<(FileList, R), ArchiveError> {
    let mut list = FileList {
        volume: volume.to_string(),
        entries: Vec::new(),
    };
    let rest = read_entries(reader, naming, |entry| {
        let mut record = entry.record;
        if record.kind == Kind::File {
            match content {
                Content::Hash => record.sha256 = Some(hash_reader(entry.content)?),
                Content::Skip => {
                    io::copy(entry.content, &mut io::sink())?;
                }
            }
        }
        list.entries.push(record);
        Ok(())
    })?;
    Ok((list, rest))
}

/// SHA-256 (hex) of everything `reader` yields.
pub fn hash_reader(reader: &mut dyn Read) -> io::Result<String> {
    let mut hashing = HashingReader::new(reader, None);
    io::copy(&mut hashing, &mut io::sink())?;
    Ok(hashing.finish().0)
}

/// Normalizes an archive member name to a volume path: strips `./` and trailing `/`;
/// `None` for absolute paths, `..` components and NUL bytes.
pub fn normalize(name: &[u8]) -> Option<PathBytes> {
    if name.starts_with(b"/") || name.contains(&0) {
        return None;
    }
    let mut parts = Vec::new();
    for part in name.split(|b| *b == b'/') {
        match part {
            b"" | b"." => continue,
            b".." => return None,
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Some(PathBytes::root());
    }
    Some(PathBytes(parts.join(&b'/')))
}

/// Like [`normalize`], after dropping the first component (the directory the engine
/// was asked to copy).
fn strip_first(name: &[u8]) -> Option<PathBytes> {
    let normalized = normalize(name)?;
    if normalized.is_root() {
        return None;
    }
    Some(match normalized.0.iter().position(|b| *b == b'/') {
        None => PathBytes::root(),
        Some(slash) => PathBytes(normalized.0[slash + 1..].to_vec()),
    })
}

/// Tracks what an archive has declared so far and refuses entries that would write
/// outside the extraction root: paths through a symlink of the same archive, hard
/// links to anything but an earlier regular file, duplicate paths (a later entry could
/// swap a directory for a symlink), and non-directory roots. Entries no extraction can
/// write are refused too, before anything stops: one whose directory is not an earlier
/// directory of the archive (a file's child, a directory never declared), and a
/// symlink without a target.
#[derive(Debug, Default)]
pub struct SafetyCheck {
    kinds: HashMap<PathBytes, Kind>,
    symlinks: HashSet<Vec<u8>>,
}

impl SafetyCheck {
    /// Checks one (normalized) entry and remembers it.
    pub fn check(&mut self, record: &FileRecord) -> Result<(), ArchiveError> {
        let unsafe_entry = |why| ArchiveError::Unsafe {
            path: record.path.clone(),
            why,
        };
        if record.path.is_root() && record.kind != Kind::Dir {
            return Err(unsafe_entry("the root must be a directory"));
        }
        if self.kinds.contains_key(&record.path) {
            return Err(unsafe_entry("duplicate path"));
        }
        let depth = match record.path.is_root() {
            true => 0,
            false => record.path.0.iter().filter(|b| **b == b'/').count() + 1,
        };
        if too_deep(depth, record.kind == Kind::Dir) {
            return Err(unsafe_entry("directories nested too deep"));
        }
        if self.through_symlink(&record.path.0) {
            return Err(unsafe_entry("path goes through a symlink of the archive"));
        }
        if !record.path.is_root() {
            let parent = match record.path.0.iter().rposition(|b| *b == b'/') {
                Some(end) => PathBytes(record.path.0[..end].to_vec()),
                None => PathBytes::root(),
            };
            if self.kinds.get(&parent) != Some(&Kind::Dir) {
                return Err(unsafe_entry(
                    "its directory is not an earlier directory of the archive",
                ));
            }
        }
        if record.kind == Kind::Symlink
            && record
                .link
                .as_ref()
                .is_none_or(|target| target.0.is_empty() || target.0.contains(&0))
        {
            return Err(unsafe_entry("symlink without a target"));
        }
        if record.kind == Kind::Hardlink {
            let target = record
                .link
                .as_ref()
                .ok_or(unsafe_entry("hard link without target"))?;
            if self.through_symlink(&target.0) || self.kinds.get(target) != Some(&Kind::File) {
                return Err(unsafe_entry(
                    "hard link to something other than an earlier file of the archive",
                ));
            }
        }
        if record.kind == Kind::Symlink {
            self.symlinks.insert(record.path.0.clone());
        }
        self.kinds.insert(record.path.clone(), record.kind);
        Ok(())
    }

    fn through_symlink(&self, path: &[u8]) -> bool {
        path.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'/')
            .any(|(i, _)| self.symlinks.contains(&path[..i]))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn long_names_pass_and_huge_extension_headers_are_refused_before_reading_them() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut root = tar::Header::new_gnu();
        root.set_size(0);
        root.set_mode(0o755);
        root.set_uid(0);
        root.set_gid(0);
        root.set_mtime(0);
        root.set_entry_type(tar::EntryType::Directory);
        builder.append_data(&mut root, "./", &[][..]).unwrap();
        let long = format!("./{}", "n".repeat(300));
        let mut header = tar::Header::new_gnu();
        header.set_size(1);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, &long, &b"x"[..]).unwrap();
        let archive = builder.into_inner().unwrap();
        let mut names = Vec::new();
        read_entries(&archive[..], Naming::Volume, |entry| {
            names.push(entry.record.path.clone());
            Ok(())
        })
        .unwrap();
        assert_eq!(names.len(), 2);

        // A GNU long-name header claiming 4 GiB: refused at the header.
        let mut bomb = tar::Header::new_gnu();
        bomb.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
        bomb.set_entry_type(tar::EntryType::GNULongName);
        bomb.set_size(4 << 30);
        bomb.set_cksum();
        let mut stream = bomb.as_bytes().to_vec();
        stream.extend_from_slice(&[b'a'; 4096]);
        let err = read_entries(&stream[..], Naming::Volume, |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("extension header"), "{err}");
    }

    /// A PAX `size` record sets the entry's size for the guard as for the tar crate: a
    /// real one (the engine writes files of 8 GiB and more so) reads, and one that
    /// would hide a 4 GiB long-name header in what the header calls file data is
    /// refused at that header.
    #[test]
    fn pax_sizes_are_followed_by_the_extension_guard() {
        let header = |kind: tar::EntryType, name: &[u8], size: u64| {
            let mut header = tar::Header::new_ustar();
            header.as_ustar_mut().unwrap().name[..name.len()].copy_from_slice(name);
            header.set_entry_type(kind);
            header.set_mode(0o644);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            header.set_size(size);
            header.set_cksum();
            header.as_bytes().to_vec()
        };
        let padded = |mut data: Vec<u8>| {
            data.resize(data.len().next_multiple_of(512), 0);
            data
        };
        let record = |size: u64| {
            let body = format!(" size={size}\n");
            format!("{}{body}", body.len() + 2).into_bytes()
        };
        // A file of 5 bytes whose header says 0, its size in a PAX record.
        let mut real = header(tar::EntryType::Directory, b"./", 0);
        real.extend(header(
            tar::EntryType::XHeader,
            b"pax",
            record(5).len() as u64,
        ));
        real.extend(padded(record(5)));
        real.extend(header(tar::EntryType::Regular, b"./file", 0));
        real.extend(padded(b"hello".to_vec()));
        real.extend([0; 1024]);
        let mut sizes = Vec::new();
        read_entries(&real[..], Naming::Volume, |entry| {
            sizes.push(entry.record.size);
            Ok(())
        })
        .unwrap();
        assert_eq!(sizes, [0, 5]);

        let mut bomb = header(tar::EntryType::Directory, b"./", 0);
        bomb.extend(header(
            tar::EntryType::XHeader,
            b"pax",
            record(0).len() as u64,
        ));
        bomb.extend(padded(record(0)));
        bomb.extend(header(tar::EntryType::Regular, b"./file", 4 << 30));
        bomb.extend(header(
            tar::EntryType::GNULongName,
            b"././@LongLink",
            4 << 30,
        ));
        bomb.extend([b'a'; 4096]);
        let err = read_entries(&bomb[..], Naming::Volume, |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("extension header"), "{err}");
    }

    use super::*;
    use crate::backup::entry::MAX_DEPTH;

    fn record(path: &str, kind: Kind, link: Option<&str>) -> FileRecord {
        FileRecord {
            path: PathBytes(path.as_bytes().to_vec()),
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
            size: 0,
            sha256: None,
            link: link.map(|l| PathBytes(l.as_bytes().to_vec())),
            device: None,
            xattrs: BTreeMap::new(),
        }
    }

    #[test]
    fn names_normalize_or_are_refused() {
        assert_eq!(normalize(b"./a/b/").unwrap().0, b"a/b");
        assert_eq!(normalize(b"./").unwrap(), PathBytes::root());
        assert!(normalize(b"/etc/passwd").is_none());
        assert!(normalize(b"a/../../x").is_none());
        assert!(normalize(b"a\0b").is_none());
        assert_eq!(strip_first(b"vol/").unwrap(), PathBytes::root());
        assert_eq!(strip_first(b"vol/a b/c").unwrap().0, b"a b/c");
        assert!(strip_first(b"../x").is_none());
    }

    #[test]
    fn safety_refuses_escapes() {
        let mut check = SafetyCheck::default();
        check.check(&record(".", Kind::Dir, None)).unwrap();
        check.check(&record("f", Kind::File, None)).unwrap();
        check
            .check(&record("link", Kind::Symlink, Some("/etc")))
            .unwrap();
        check.check(&record("d", Kind::Dir, None)).unwrap();
        check
            .check(&record("h", Kind::Hardlink, Some("f")))
            .unwrap();
        for (bad, kind, link) in [
            ("link/passwd", Kind::File, None),
            ("link/x/y", Kind::Dir, None),
            ("f", Kind::Symlink, Some("/")),
            ("h2", Kind::Hardlink, Some("link")),
            ("h3", Kind::Hardlink, Some("d")),
            ("h4", Kind::Hardlink, Some("missing")),
            ("h5", Kind::Hardlink, Some("link/shadow")),
            ("f/child", Kind::File, None),
            ("undeclared/child", Kind::File, None),
            ("empty-link", Kind::Symlink, Some("")),
            ("no-link", Kind::Symlink, None),
        ] {
            assert!(
                check.check(&record(bad, kind, link)).is_err(),
                "{bad} must be refused"
            );
        }
        let mut check = SafetyCheck::default();
        assert!(check.check(&record(".", Kind::Symlink, Some("/"))).is_err());
    }

    #[test]
    fn safety_refuses_directories_deeper_than_a_walk_goes() {
        let mut check = SafetyCheck::default();
        check.check(&record(".", Kind::Dir, None)).unwrap();
        let mut path = String::from("d");
        check.check(&record(&path, Kind::Dir, None)).unwrap();
        for _ in 1..MAX_DEPTH - 1 {
            path.push_str("/d");
            check.check(&record(&path, Kind::Dir, None)).unwrap();
        }
        // The deepest directory a walk enters holds files, not directories.
        check
            .check(&record(&format!("{path}/f"), Kind::File, None))
            .unwrap();
        let too_deep = check.check(&record(&format!("{path}/d"), Kind::Dir, None));
        assert!(too_deep.unwrap_err().to_string().contains("too deep"));
        assert!(
            check
                .check(&record(&format!("{path}/d/f"), Kind::File, None))
                .is_err()
        );
    }

    #[test]
    fn times_before_1970_survive_the_archive() {
        let mut stream = Vec::new();
        let mut emitter = TarEmitter::new(&mut stream, None, None);
        let mut records = Vec::new();
        let times = [
            (".", 0),
            ("old", -315_521_755),
            ("epoch", 0),
            ("new", 1_700_000_000),
        ];
        for (name, mtime) in times {
            let mut entry = record(name, Kind::Dir, None);
            entry.mtime = mtime;
            emitter.append(&entry, None).unwrap();
            records.push(entry);
        }
        emitter.finish().unwrap();
        let mut read = Vec::new();
        read_entries(&stream[..], Naming::Volume, |entry| {
            read.push(entry.record.clone());
            Ok(())
        })
        .unwrap();
        assert_eq!(read, records);
    }

    #[test]
    fn pax_times_round_down_to_whole_seconds() {
        assert_eq!(pax_seconds("1700000000"), Some(1_700_000_000));
        assert_eq!(pax_seconds("1700000000.75"), Some(1_700_000_000));
        assert_eq!(pax_seconds("-315521755"), Some(-315_521_755));
        assert_eq!(pax_seconds("-1.5"), Some(-2));
        assert_eq!(pax_seconds("-0.5"), Some(-1));
        assert_eq!(pax_seconds("-2.000"), Some(-2));
        assert_eq!(pax_seconds("x"), None);
        assert_eq!(pax_seconds("1.2e3"), None);
        assert_eq!(pax_seconds("-9223372036854775808.5"), None, "no overflow");
    }

    #[test]
    fn gnu_base_256_times_before_1970_are_read() {
        let mut header = Header::new_gnu();
        let field = &mut header.as_old_mut().mtime;
        field.fill(0xff);
        field[4..].copy_from_slice(&(-315_521_755_i64).to_be_bytes());
        assert_eq!(header_seconds(&header), Some(-315_521_755));
        // More than an i64 can hold.
        header.as_old_mut().mtime[2] = 0x7f;
        assert_eq!(header_seconds(&header), None);
        header.set_mtime(1_700_000_000);
        assert_eq!(header_seconds(&header), Some(1_700_000_000));
    }

    #[test]
    fn a_malformed_pax_time_refuses_the_archive() {
        let mut stream = Vec::new();
        let mut builder = tar::Builder::new(&mut stream);
        builder
            .append_pax_extensions([("mtime", &b"1e3"[..])])
            .unwrap();
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Directory);
        header.set_mode(0o755);
        header.set_size(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        builder.append_data(&mut header, "d", io::empty()).unwrap();
        builder.finish().unwrap();
        drop(builder);
        let err = read_entries(&stream[..], Naming::Volume, |_| Ok(())).unwrap_err();
        assert!(
            err.to_string().contains("malformed modification time"),
            "{err}"
        );
    }
}
