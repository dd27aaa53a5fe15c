//! restic's tree nodes and the records of a volume's entries (the plain format's
//! digest-list records), both ways: a snapshot restored is read as records, a volume
//! read through the engine's tar stream is written as nodes.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use base64::Engine as _;
use rustic_core::jiff::Timestamp;
use rustic_core::repofile::{Metadata, Node, NodeType};

use super::entry::{FileRecord, Kind, PathBytes};

/// The whole seconds of `time`, rounded down as `stat` gives them.
fn whole_seconds(time: Timestamp) -> i64 {
    time.as_second() - i64::from(time.subsec_nanosecond() < 0)
}

/// The entry in a restore of the volume tree `node` at `path`, or `None` for what a
/// volume backup does not restore (sockets). `inodes` maps the hard-linked files seen
/// so far to their first path.
pub fn record(
    path: PathBytes,
    node: &Node,
    inodes: &mut HashMap<(u64, u64), PathBytes>,
) -> Option<FileRecord> {
    let meta = &node.meta;
    let (kind, link, device) = match &node.node_type {
        NodeType::Dir => (Kind::Dir, None, None),
        NodeType::File if meta.links > 1 => match inodes.entry((meta.device_id, meta.inode)) {
            std::collections::hash_map::Entry::Occupied(first) => {
                (Kind::Hardlink, Some(first.get().clone()), None)
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(path.clone());
                (Kind::File, None, None)
            }
        },
        NodeType::File => (Kind::File, None, None),
        NodeType::Symlink { .. } => {
            let target = node.node_type.to_link().as_os_str().as_bytes().to_vec();
            (Kind::Symlink, Some(PathBytes(target)), None)
        }
        NodeType::Dev { device } => (Kind::Block, None, Some(major_minor(*device))),
        NodeType::Chardev { device } => (Kind::Char, None, Some(major_minor(*device))),
        NodeType::Fifo => (Kind::Fifo, None, None),
        NodeType::Socket => return None,
    };
    Some(FileRecord {
        path,
        kind,
        mode: meta.mode.map_or(0o700, mode_from_go),
        uid: meta.uid.unwrap_or(0).into(),
        gid: meta.gid.unwrap_or(0).into(),
        mtime: meta.mtime.map_or(0, whole_seconds),
        size: if kind == Kind::File { meta.size } else { 0 },
        sha256: None,
        link,
        device,
        xattrs: meta
            .extended_attributes
            .iter()
            .map(|x| {
                let value = x.value.as_deref().unwrap_or_default();
                (x.name.clone(), hex::encode(value))
            })
            .collect(),
    })
}

pub fn major_minor(device: u64) -> (u32, u32) {
    (rustix::fs::major(device), rustix::fs::minor(device))
}

/// restic stores Go's file modes: permissions, and setuid, setgid and sticky in bits
/// of their own.
pub fn mode_from_go(go: u32) -> u32 {
    const SETUID: u32 = 1 << 23;
    const SETGID: u32 = 1 << 22;
    const STICKY: u32 = 1 << 20;
    let mut mode = go & 0o777;
    for (go_bit, bit) in [(SETUID, 0o4000), (SETGID, 0o2000), (STICKY, 0o1000)] {
        if go & go_bit != 0 {
            mode |= bit;
        }
    }
    mode
}

/// The extended attributes of `record` as a node holds them.
fn xattrs<T: serde::de::DeserializeOwned + Default>(record: &FileRecord) -> T {
    let listed: Vec<serde_json::Value> = record
        .xattrs
        .iter()
        .map(|(name, value)| {
            let value = hex::decode(value).unwrap_or_default();
            serde_json::json!({
                "name": name,
                "value": base64::engine::general_purpose::STANDARD.encode(value),
            })
        })
        .collect();
    serde_json::from_value(serde_json::Value::Array(listed)).unwrap_or_default()
}

/// The Go file mode bits restic stores beside the permissions.
const GO_DIR: u32 = 1 << 31;
const GO_SYMLINK: u32 = 1 << 27;
const GO_DEVICE: u32 = 1 << 26;
const GO_FIFO: u32 = 1 << 25;
const GO_SETUID: u32 = 1 << 23;
const GO_SETGID: u32 = 1 << 22;
const GO_CHARDEV: u32 = 1 << 21;
const GO_STICKY: u32 = 1 << 20;

/// The Go file mode of an entry of `kind` with the unix permission bits `mode`
/// (including setuid, setgid and sticky), as restic and rustic store it.
pub fn go_mode(kind: Kind, mode: u32) -> u32 {
    let mut go = mode & 0o777;
    go |= match kind {
        Kind::Dir => GO_DIR,
        Kind::Symlink => GO_SYMLINK,
        Kind::Block => GO_DEVICE,
        Kind::Char => GO_DEVICE | GO_CHARDEV,
        Kind::Fifo => GO_FIFO,
        Kind::File | Kind::Hardlink => 0,
    };
    for (bit, go_bit) in [
        (0o4000, GO_SETUID),
        (0o2000, GO_SETGID),
        (0o1000, GO_STICKY),
    ] {
        if mode & bit != 0 {
            go |= go_bit;
        }
    }
    go
}

/// The node named `name` of `record`, an entry read from a tar stream (a hard link is
/// a regular file: its content is given again).
pub fn node(record: &FileRecord, name: &OsStr) -> Node {
    let device = record
        .device
        .map_or(0, |(major, minor)| rustix::fs::makedev(major, minor));
    let node_type = match record.kind {
        Kind::Dir => NodeType::Dir,
        Kind::File | Kind::Hardlink => NodeType::File,
        Kind::Symlink => {
            let target = record.link.as_ref().map_or(&[][..], |l| &l.0[..]);
            NodeType::from_link(std::path::Path::new(OsStr::from_bytes(target)))
        }
        Kind::Char => NodeType::Chardev { device },
        Kind::Block => NodeType::Dev { device },
        Kind::Fifo => NodeType::Fifo,
    };
    let meta = Metadata {
        mode: Some(go_mode(record.kind, record.mode)),
        mtime: Timestamp::from_second(record.mtime).ok(),
        uid: u32::try_from(record.uid).ok(),
        gid: u32::try_from(record.gid).ok(),
        size: record.size,
        ..Metadata::default()
    };
    let meta = Metadata {
        extended_attributes: xattrs(record),
        ..meta
    };
    Node::new_node(name, node_type, meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn node(node_type: NodeType, mode: u32, links: u64, inode: u64) -> Node {
        let meta = Metadata {
            mode: Some(mode),
            uid: Some(999),
            gid: Some(998),
            links,
            inode,
            device_id: 7,
            size: 5,
            ..Metadata::default()
        };
        Node::new_node(std::ffi::OsStr::new("x"), node_type, meta)
    }

    #[test]
    fn records_become_nodes_and_back() {
        let mut record = FileRecord {
            path: PathBytes(b"bin/tool".to_vec()),
            kind: Kind::File,
            mode: 0o4755,
            uid: 70,
            gid: 71,
            mtime: 1_700_000_000,
            size: 12,
            sha256: None,
            link: None,
            device: None,
            xattrs: BTreeMap::from([("user.note".to_string(), hex::encode(b"hi"))]),
        };
        let back = super::record(
            record.path.clone(),
            &super::node(&record, OsStr::new("tool")),
            &mut HashMap::new(),
        )
        .unwrap();
        assert_eq!(back, record);
        record.kind = Kind::Char;
        record.size = 0;
        record.mode = 0o620;
        record.device = Some((4, 1));
        let back = super::record(
            record.path.clone(),
            &super::node(&record, OsStr::new("tty")),
            &mut HashMap::new(),
        )
        .unwrap();
        assert_eq!(back, record);
        record.mtime = -315_521_755;
        let back = super::record(
            record.path.clone(),
            &super::node(&record, OsStr::new("tty")),
            &mut HashMap::new(),
        )
        .unwrap();
        assert_eq!(back, record, "a time before 1970");
    }

    #[test]
    fn times_round_down_to_whole_seconds_as_stat_gives_them() {
        let at = |s, ns| whole_seconds(Timestamp::new(s, ns).unwrap());
        assert_eq!(at(1_700_000_000, 750_000_000), 1_700_000_000);
        assert_eq!(at(-1, -500_000_000), -2);
        assert_eq!(at(-315_521_755, 0), -315_521_755);
    }

    #[test]
    fn go_modes_become_unix_modes() {
        assert_eq!(mode_from_go(0o755), 0o755);
        assert_eq!(mode_from_go(0o755 | 1 << 23), 0o4755);
        assert_eq!(mode_from_go(0o775 | 1 << 22 | 1 << 31), 0o2775);
        assert_eq!(mode_from_go(0o777 | 1 << 20 | 1 << 31), 0o1777);
    }

    #[test]
    fn nodes_become_records_and_hard_links_point_to_their_first_path() {
        let mut inodes = HashMap::new();
        let first = record(
            PathBytes(b"a".to_vec()),
            &node(NodeType::File, 0o640, 2, 42),
            &mut inodes,
        )
        .unwrap();
        assert_eq!(
            (first.kind, first.mode, first.uid, first.gid),
            (Kind::File, 0o640, 999, 998)
        );
        assert_eq!(first.size, 5);
        let second = record(
            PathBytes(b"b".to_vec()),
            &node(NodeType::File, 0o640, 2, 42),
            &mut inodes,
        )
        .unwrap();
        assert_eq!(second.kind, Kind::Hardlink);
        assert_eq!(second.link, Some(PathBytes(b"a".to_vec())));
        assert_eq!(second.size, 0);
        let link = record(
            PathBytes(b"l".to_vec()),
            &node(
                NodeType::from_link(std::path::Path::new("a")),
                0o777 | 1 << 27,
                1,
                3,
            ),
            &mut inodes,
        )
        .unwrap();
        assert_eq!(
            (link.kind, link.link),
            (Kind::Symlink, Some(PathBytes(b"a".to_vec())))
        );
        let device = rustix::fs::makedev(1, 3);
        let null = record(
            PathBytes(b"null".to_vec()),
            &node(NodeType::Chardev { device }, 0o666, 1, 4),
            &mut inodes,
        )
        .unwrap();
        assert_eq!((null.kind, null.device), (Kind::Char, Some((1, 3))));
        assert!(
            record(
                PathBytes(b"s".to_vec()),
                &node(NodeType::Socket, 0o777, 1, 5),
                &mut inodes
            )
            .is_none()
        );
    }
}
