//! The model of one volume entry as a backup records it, and the per-file digest list
//! that lets a restore be checked file by file.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A directory (the volume root is the directory `.`).
    Dir,
    /// A regular file.
    File,
    /// A symbolic link; `link` is its target, stored verbatim.
    Symlink,
    /// A hard link to an earlier file of the same archive; `link` is that file's path.
    Hardlink,
    /// A named pipe.
    Fifo,
    /// A character device.
    Char,
    /// A block device.
    Block,
}

/// A path as raw bytes: file names on Linux need not be UTF-8. Serialized as a string
/// when it is valid UTF-8, else as `{"hex": "..."}`, so the digest list stays readable.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PathBytes(pub Vec<u8>);

impl PathBytes {
    /// The volume root.
    pub fn root() -> Self {
        PathBytes(b".".to_vec())
    }

    /// True for the volume root.
    pub fn is_root(&self) -> bool {
        self.0 == b"."
    }

    /// The path as an OS path (relative to the volume root).
    pub fn as_path(&self) -> &std::path::Path {
        use std::os::unix::ffi::OsStrExt;
        std::path::Path::new(std::ffi::OsStr::from_bytes(&self.0))
    }
}

impl fmt::Debug for PathBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl fmt::Display for PathBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Escaped so that a hostile name cannot forge lines in our reports.
        write!(f, "{}", String::from_utf8_lossy(&self.0).escape_debug())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum PathRepr {
    Text(String),
    Bytes { hex: String },
}

impl Serialize for PathBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => PathRepr::Text(text.to_string()),
            Err(_) => PathRepr::Bytes {
                hex: hex::encode(&self.0),
            },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for PathBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match PathRepr::deserialize(d)? {
            PathRepr::Text(text) => Ok(PathBytes(text.into_bytes())),
            PathRepr::Bytes { hex } => hex::decode(hex)
                .map(PathBytes)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Directories nested this deep are refused, in backups and in restores alike: walking
/// or removing a tree holds a descriptor open per level.
pub const MAX_DEPTH: usize = 512;

/// Whether an entry `depth` names below a volume's root (`a/b`: 2), a directory or not,
/// lies deeper than a walk goes: a directory at [`MAX_DEPTH`], or anything below it.
pub fn too_deep(depth: usize, is_dir: bool) -> bool {
    depth > MAX_DEPTH || (depth == MAX_DEPTH && is_dir)
}

/// One entry of a volume: everything a restore must reproduce, and the content digest
/// of regular files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Path relative to the volume root; `.` is the root itself.
    pub path: PathBytes,
    /// What it is.
    pub kind: Kind,
    /// Permission bits, including setuid/setgid/sticky.
    pub mode: u32,
    /// Numeric owner.
    pub uid: u64,
    /// Numeric group.
    pub gid: u64,
    /// Modification time, whole seconds since the epoch (negative before 1970).
    pub mtime: i64,
    /// Content length of regular files; 0 otherwise.
    #[serde(default)]
    pub size: u64,
    /// SHA-256 of the content of regular files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Symlink target, or the path a hard link points to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<PathBytes>,
    /// Device numbers (major, minor) of character and block devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<(u32, u32)>,
    /// Extended attributes, name to hex value, where the file system has them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub xattrs: BTreeMap<String, String>,
}

/// The extended attribute holding a file's capabilities (`setcap`): the one the
/// engine's archive endpoint also reads back.
pub const CAPABILITY_XATTR: &str = "security.capability";

impl FileRecord {
    /// What gives this entry powers beyond its volume once a container mounts it: a
    /// device node, a FIFO, setuid or setgid bits, file capabilities. Empty for a plain
    /// entry.
    pub fn special(&self) -> Vec<&'static str> {
        let mut what = Vec::new();
        match self.kind {
            Kind::Char | Kind::Block => what.push("device node"),
            Kind::Fifo => what.push("FIFO"),
            _ => {}
        }
        if self.mode & 0o4000 != 0 {
            what.push("setuid");
        }
        if self.mode & 0o2000 != 0 {
            what.push("setgid");
        }
        if self.xattrs.contains_key(CAPABILITY_XATTR) {
            what.push("file capabilities");
        }
        what
    }

    /// The entry as restored where its special powers were never seen: device nodes
    /// and FIFOs are left out (`None`), setuid and setgid bits and file capabilities
    /// are dropped.
    pub fn without_special(&self) -> Option<FileRecord> {
        if matches!(self.kind, Kind::Char | Kind::Block | Kind::Fifo) {
            return None;
        }
        let mut plain = self.clone();
        plain.mode &= !0o6000;
        plain.xattrs.remove(CAPABILITY_XATTR);
        Some(plain)
    }
}

/// The digest list of one volume: its entries in archive order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileList {
    /// The volume the list describes.
    pub volume: String,
    /// Every entry, in archive order.
    pub entries: Vec<FileRecord>,
}

/// Whether a digest list's `listed` mtime agrees with `found`: lists written before
/// times before 1970 were kept recorded them as 0, while a snapshot's tree holds them.
pub fn mtime_agrees(listed: i64, found: i64) -> bool {
    listed == found || (listed == 0 && found < 0)
}

/// A file capability (hex) as the engine's archive endpoint reads it back: one of
/// revision 3 (with the root uid of a user namespace) as revision 2, without that uid
/// (moby's `ReadSecurityXattrToTarHeader`).
fn capability_as_the_engine_reads_it(hex_value: &str) -> String {
    // struct vfs_ns_cap_data: a little-endian magic whose top byte is the revision,
    // then the capability sets (20 bytes in all), then the root uid (revision 3).
    const REVISION: usize = 3;
    const V2_LEN: usize = 20;
    match hex::decode(hex_value) {
        Ok(mut bytes) if bytes.len() > V2_LEN && bytes[REVISION] == 3 => {
            bytes[REVISION] = 2;
            bytes.truncate(V2_LEN);
            hex::encode(bytes)
        }
        _ => hex_value.to_string(),
    }
}

/// What a restore through the engine could not keep or check, in numbers of entries
/// (see [`FileList::as_the_engine_restores_it`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EngineGaps {
    /// Entries with extended attributes (or a capability's root uid) written but not
    /// read back.
    pub unread_xattrs: usize,
    /// Entries dated before 1970 that came back dated 1970-01-01.
    pub dated_epoch: usize,
}

/// A volume's content fingerprint: how many files and bytes it holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Regular files (hard links to an earlier file not counted).
    pub file_count: u64,
    /// Total bytes of regular files.
    pub total_bytes: u64,
    /// All entries: files, directories, links, special files.
    pub entry_count: u64,
}

/// The beginning of the names a restore gives its own directories at a volume's root
/// (its staging, the old content moved aside, what recovery keeps): content there is
/// never one of them.
pub const RESERVED_PREFIX: &[u8] = b".safeops-";

/// The end of a reserved name that recovery leaves for the operator to look at: content
/// like any other to a later restore.
pub const QUARANTINE_SUFFIX: &[u8] = b"-quarantine";

impl FileList {
    /// An entry at the root whose name a restore keeps for its own directories (see
    /// [`RESERVED_PREFIX`]): restored, it would make every later restore into the volume
    /// stop as before an unfinished one.
    pub fn reserved_entry(&self) -> Option<&PathBytes> {
        self.reserved_at_root()
            .find(|path| !path.0.ends_with(QUARANTINE_SUFFIX))
    }

    /// The entries at the root named as a quarantine recovery keeps: content to a
    /// restore, which the volume may hold under the same name.
    pub fn quarantines(&self) -> Vec<&str> {
        self.reserved_at_root()
            .filter(|path| path.0.ends_with(QUARANTINE_SUFFIX))
            .filter_map(|path| std::str::from_utf8(&path.0).ok())
            .collect()
    }

    /// The entries at the root with a [`RESERVED_PREFIX`] name.
    fn reserved_at_root(&self) -> impl Iterator<Item = &PathBytes> {
        self.entries
            .iter()
            .map(|e| &e.path)
            .filter(|path| !path.0.contains(&b'/') && path.0.starts_with(RESERVED_PREFIX))
    }

    /// Entries with special powers (see [`FileRecord::special`]), with what they are.
    pub fn special_entries(&self) -> Vec<(&FileRecord, Vec<&'static str>)> {
        self.entries
            .iter()
            .map(|e| (e, e.special()))
            .filter(|(_, what)| !what.is_empty())
            .collect()
    }

    /// The list as restored without special powers (see
    /// [`FileRecord::without_special`]).
    pub fn without_special(&self) -> FileList {
        FileList {
            volume: self.volume.clone(),
            entries: self
                .entries
                .iter()
                .filter_map(FileRecord::without_special)
                .collect(),
        }
    }

    /// This list as a restore of it through the engine can be checked against `actual`,
    /// what the engine's archive endpoint read back, and what that check leaves out.
    ///
    /// The engine sets the extended attributes of an uploaded archive (leaving out, and
    /// only logging, those it may not set, as a rootless engine `trusted.*`) but reads
    /// back only [`CAPABILITY_XATTR`] (moby's `ReadSecurityXattrToTarHeader`); and it
    /// moves a time before 1970 to the epoch (moby's `Chtimes`; symlinks too since
    /// moby/go-archive).
    pub fn as_the_engine_restores_it(&self, actual: &FileList) -> (FileList, EngineGaps) {
        let at_epoch: std::collections::HashSet<&PathBytes> = actual
            .entries
            .iter()
            .filter(|e| e.mtime == 0)
            .map(|e| &e.path)
            .collect();
        let mut gaps = EngineGaps::default();
        let entries = self
            .entries
            .iter()
            .map(|entry| {
                let mut shown = entry.clone();
                shown.xattrs.retain(|name, _| name == CAPABILITY_XATTR);
                if let Some(capability) = shown.xattrs.get_mut(CAPABILITY_XATTR) {
                    *capability = capability_as_the_engine_reads_it(capability);
                }
                if shown.xattrs != entry.xattrs {
                    gaps.unread_xattrs += 1;
                }
                if entry.mtime < 0 && at_epoch.contains(&entry.path) {
                    shown.mtime = 0;
                    gaps.dated_epoch += 1;
                }
                shown
            })
            .collect();
        let list = FileList {
            volume: self.volume.clone(),
            entries,
        };
        (list, gaps)
    }

    /// One line summing up the special entries, e.g. `2 device node, 1 setuid`; `None`
    /// when there are none.
    pub fn special_summary(&self) -> Option<String> {
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for (_, what) in self.special_entries() {
            for w in what {
                *counts.entry(w).or_default() += 1;
            }
        }
        (!counts.is_empty()).then(|| {
            counts
                .iter()
                .map(|(what, n)| format!("{n} {what}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
    }

    /// The fingerprint of the list.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut fp = Fingerprint {
            entry_count: self.entries.len() as u64,
            ..Fingerprint::default()
        };
        for entry in self.entries.iter().filter(|e| e.kind == Kind::File) {
            fp.file_count += 1;
            fp.total_bytes += entry.size;
        }
        fp
    }

    /// The list with the content digests of its regular files set from `digests`.
    pub fn with_digests(&self, digests: &BTreeMap<PathBytes, String>) -> FileList {
        let mut list = self.clone();
        for entry in &mut list.entries {
            if entry.kind == Kind::File {
                entry.sha256 = digests.get(&entry.path).cloned();
            }
        }
        list
    }

    /// The list with the digests of the content a repository handed out; the files
    /// whose content differs from the digest this list already has are the error.
    pub fn with_handed_out(
        &self,
        handed_out: &BTreeMap<PathBytes, String>,
    ) -> Result<FileList, Vec<String>> {
        let differ: Vec<String> = self
            .entries
            .iter()
            .filter(|e| e.kind == Kind::File)
            .filter_map(|e| {
                let known = e.sha256.as_ref()?;
                (handed_out.get(&e.path) != Some(known)).then(|| {
                    format!(
                        "{}: the content the repository gave differs from the digest list",
                        e.path
                    )
                })
            })
            .collect();
        match differ.is_empty() {
            true => Ok(self.with_digests(handed_out)),
            false => Err(differ),
        }
    }

    fn by_path(&self) -> BTreeMap<&PathBytes, &FileRecord> {
        self.entries.iter().map(|e| (&e.path, e)).collect()
    }

    /// Every difference between `self` (expected) and `actual`, described for people;
    /// empty when they match. Entries are compared by path, whatever their order.
    pub fn differences(&self, actual: &FileList) -> Vec<String> {
        let expected_by_path = self.by_path();
        let actual_by_path = actual.by_path();
        let mut problems = Vec::new();
        for expected in &self.entries {
            match actual_by_path.get(&expected.path) {
                None => problems.push(format!("{}: missing", expected.path)),
                Some(found) => {
                    let mut fields = record_differences(expected, found);
                    // Either name of a hard-linked file may hold the content in either
                    // list: each is compared by the content its own list gives it.
                    match (
                        content(&expected_by_path, expected),
                        content(&actual_by_path, found),
                    ) {
                        (Some(listed), Some(read)) => {
                            if listed.0 != read.0 {
                                fields.push("size");
                            }
                            if listed.1 != read.1 {
                                fields.push("content");
                            }
                        }
                        (None, _) if expected.kind == Kind::Hardlink => {
                            fields.push("hard link target")
                        }
                        (_, None) if found.kind == Kind::Hardlink => {
                            fields.push("hard link target")
                        }
                        _ => {}
                    }
                    if !fields.is_empty() {
                        problems.push(format!("{}: {}", expected.path, fields.join(", ")));
                    }
                }
            }
        }
        let expected_paths: std::collections::BTreeSet<&PathBytes> =
            self.entries.iter().map(|e| &e.path).collect();
        for extra in actual
            .entries
            .iter()
            .filter(|e| !expected_paths.contains(&e.path))
        {
            problems.push(format!("{}: not in the backup", extra.path));
        }
        problems
    }
}

/// The size and digest of `record`'s content: its own for a file, its target's in the
/// same list for a hard link (`None` when that is no file of the list), `None` for the
/// rest.
fn content<'a>(
    by_path: &BTreeMap<&PathBytes, &'a FileRecord>,
    record: &'a FileRecord,
) -> Option<(u64, Option<&'a String>)> {
    let file = match record.kind {
        Kind::File => record,
        Kind::Hardlink => by_path
            .get(record.link.as_ref()?)
            .copied()
            .filter(|target| target.kind == Kind::File)?,
        _ => return None,
    };
    Some((file.size, file.sha256.as_ref()))
}

/// The first 20 of `differences`, one per indented line, for an error message.
pub fn first_differences(differences: &[String]) -> String {
    differences
        .iter()
        .take(20)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n  ")
}

fn record_differences(expected: &FileRecord, found: &FileRecord) -> Vec<&'static str> {
    let mut fields = Vec::new();
    // A hard link and the file it points to are the same inode: which path was seen
    // first depends on directory order, so both count as the same kind of thing.
    let kind_matches = expected.kind == found.kind
        || matches!(
            (expected.kind, found.kind),
            (Kind::File, Kind::Hardlink) | (Kind::Hardlink, Kind::File)
        );
    if !kind_matches {
        fields.push("type");
    }
    if expected.mode != found.mode {
        fields.push("mode");
    }
    if (expected.uid, expected.gid) != (found.uid, found.gid) {
        fields.push("owner");
    }
    let has_own_mtime = ![Kind::Dir, Kind::Hardlink].contains(&expected.kind);
    if has_own_mtime && found.kind != Kind::Hardlink && !mtime_agrees(expected.mtime, found.mtime) {
        fields.push("mtime");
    }
    if expected.kind == Kind::Symlink && expected.link != found.link {
        fields.push("link target");
    }
    if expected.device != found.device {
        fields.push("device");
    }
    // The SELinux label is the host policy's, given to every file a process writes:
    // one restored from a host without SELinux, or with other categories, has its own.
    let own = |xattrs: &BTreeMap<String, String>| {
        xattrs
            .iter()
            .filter(|(name, _)| name.as_str() != SELINUX_LABEL)
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    if own(&expected.xattrs) != own(&found.xattrs) {
        fields.push("xattrs");
    }
    fields
}

/// The extended attribute holding a file's SELinux label.
const SELINUX_LABEL: &str = "security.selinux";

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, sha: &str) -> FileRecord {
        FileRecord {
            path: PathBytes(path.as_bytes().to_vec()),
            kind: Kind::File,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 1,
            size: 3,
            sha256: Some(sha.into()),
            link: None,
            device: None,
            xattrs: BTreeMap::new(),
        }
    }

    #[test]
    fn the_selinux_label_a_host_gives_is_no_difference_other_xattrs_are() {
        let expected = file("f", "x");
        let mut labelled = expected.clone();
        labelled.xattrs.insert(
            SELINUX_LABEL.into(),
            hex::encode("system_u:object_r:container_file_t:s0:c1,c2"),
        );
        assert!(record_differences(&expected, &labelled).is_empty());
        let mut other = labelled.clone();
        other.xattrs.insert("user.origin".into(), hex::encode("x"));
        assert_eq!(record_differences(&expected, &other), vec!["xattrs"]);
    }

    #[test]
    fn a_restores_own_name_at_the_root_is_found_deeper_down_or_quarantined_it_is_content() {
        let list = |paths: &[&str]| FileList {
            volume: "v".into(),
            entries: paths.iter().map(|p| file(p, "x")).collect(),
        };
        let found = list(&["a", ".safeops-restore-12", "b"]);
        assert_eq!(
            found.reserved_entry().unwrap().to_string(),
            ".safeops-restore-12"
        );
        assert!(
            list(&[
                "a",
                "d/.safeops-previous-3",
                ".safeops-previous-3-quarantine"
            ])
            .reserved_entry()
            .is_none()
        );
    }

    #[test]
    fn the_engine_reads_a_namespaced_capability_as_revision_2() {
        // cap_net_bind_service, effective, revision 3, root uid 100000.
        let mut v3 = vec![0x01, 0, 0, 0x03, 0, 0x04, 0, 0];
        v3.extend_from_slice(&[0; 12]);
        v3.extend_from_slice(&100_000_u32.to_le_bytes());
        let mut v2 = v3[..20].to_vec();
        v2[3] = 0x02;
        assert_eq!(
            capability_as_the_engine_reads_it(&hex::encode(&v3)),
            hex::encode(&v2)
        );
        assert_eq!(
            capability_as_the_engine_reads_it(&hex::encode(&v2)),
            hex::encode(&v2)
        );
    }

    #[test]
    fn lists_from_before_times_before_1970_were_kept_agree_with_their_trees() {
        assert!(mtime_agrees(-315_521_755, -315_521_755));
        assert!(mtime_agrees(0, -315_521_755), "an older list recorded 0");
        assert!(!mtime_agrees(-315_521_755, 0));
        assert!(!mtime_agrees(0, 1));
        assert!(!mtime_agrees(5, 6));
    }

    #[test]
    fn special_entries_are_named_and_can_be_stripped() {
        let mut setuid = file("bin/su", "1");
        setuid.mode = 0o4755;
        let mut capable = file("bin/ping", "2");
        capable.xattrs.insert(CAPABILITY_XATTR.into(), "01".into());
        let mut device = file("dev/sda", "3");
        device.kind = Kind::Block;
        let plain = file("etc/motd", "4");
        let list = FileList {
            volume: "v".into(),
            entries: vec![setuid, capable, device, plain.clone()],
        };
        assert_eq!(list.special_entries().len(), 3);
        assert_eq!(
            list.special_summary().unwrap(),
            "1 device node, 1 file capabilities, 1 setuid"
        );
        let stripped = list.without_special();
        assert_eq!(stripped.entries.len(), 3);
        assert!(stripped.special_entries().is_empty());
        assert_eq!(stripped.entries[0].mode, 0o755);
        assert_eq!(stripped.entries[2], plain);
    }

    #[test]
    fn paths_round_trip_as_text_or_hex() {
        let text = PathBytes(b"a b\n\xc3\xa9".to_vec());
        let json = serde_json::to_string(&text).unwrap();
        assert_eq!(json, "\"a b\\né\"");
        assert_eq!(serde_json::from_str::<PathBytes>(&json).unwrap(), text);
        let raw = PathBytes(b"bad\xff".to_vec());
        let json = serde_json::to_string(&raw).unwrap();
        assert_eq!(json, "{\"hex\":\"626164ff\"}");
        assert_eq!(serde_json::from_str::<PathBytes>(&json).unwrap(), raw);
    }

    #[test]
    fn differences_name_path_and_field() {
        let expected = FileList {
            volume: "v".into(),
            entries: vec![file("a", "1"), file("b", "2")],
        };
        let mut changed = file("a", "9");
        changed.mode = 0o600;
        let actual = FileList {
            volume: "v".into(),
            entries: vec![changed, file("c", "3")],
        };
        assert_eq!(
            expected.differences(&actual),
            vec!["a: mode, content", "b: missing", "c: not in the backup"]
        );
        assert!(expected.differences(&expected.clone()).is_empty());
        assert_eq!(
            expected.fingerprint(),
            Fingerprint {
                file_count: 2,
                total_bytes: 6,
                entry_count: 2
            }
        );
    }

    #[test]
    fn hard_links_are_compared_by_the_content_their_own_list_gives_them() {
        let link = |path: &str, to: &str| FileRecord {
            kind: Kind::Hardlink,
            link: Some(PathBytes(to.as_bytes().to_vec())),
            size: 0,
            sha256: None,
            ..file(path, "")
        };
        let list = |entries| FileList {
            volume: "v".into(),
            entries,
        };
        // Listed: z holds Y and a links to it. Read: a holds X and z links to it.
        let listed = list(vec![file("z", "Y"), link("a", "z")]);
        let swapped = list(vec![file("a", "X"), link("z", "a")]);
        assert_eq!(
            listed.differences(&swapped),
            vec!["z: content", "a: content"]
        );
        // The same content under the other name is the same file.
        assert!(
            listed
                .differences(&list(vec![file("a", "Y"), link("z", "a")]))
                .is_empty()
        );
        assert_eq!(
            listed.differences(&list(vec![file("z", "Y"), link("a", "gone")])),
            vec!["a: hard link target"]
        );
    }

    #[test]
    fn content_handed_out_must_match_the_digests_the_list_has() {
        let list = FileList {
            volume: "v".into(),
            entries: vec![file("a", "aa"), file("b", "bb")],
        };
        let handed_out: BTreeMap<PathBytes, String> = [
            (PathBytes(b"a".to_vec()), "aa".to_string()),
            (PathBytes(b"b".to_vec()), "cc".to_string()),
        ]
        .into();
        let differ = list.with_handed_out(&handed_out).unwrap_err();
        assert_eq!(differ.len(), 1);
        assert!(differ[0].starts_with("b: "), "{differ:?}");
        let mut without = list.clone();
        without.entries.iter_mut().for_each(|e| e.sha256 = None);
        let taken = without.with_handed_out(&handed_out).unwrap();
        assert_eq!(taken.entries[1].sha256.as_deref(), Some("cc"));
    }
}
