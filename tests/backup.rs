//! `backup`, `backups`, `verify` and `restore` against the real engine.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::fixture::*;
use common::*;

/// Everything about a tree that a restore must reproduce: per path, the type, mode,
/// owner, size, content digest, link target and (except for the root) mtime.
fn snapshot(root: &Path) -> BTreeMap<Vec<u8>, String> {
    use std::os::unix::ffi::OsStrExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .as_os_str()
            .as_bytes()
            .to_vec();
        let ft = meta.file_type();
        let detail = if ft.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
            "dir".to_string()
        } else if ft.is_symlink() {
            format!("link {:?}", std::fs::read_link(&path).unwrap())
        } else if ft.is_file() {
            let mut content = Vec::new();
            std::fs::File::open(&path)
                .unwrap()
                .read_to_end(&mut content)
                .unwrap();
            format!("file {} {:x}", meta.len(), md5_like(&content))
        } else {
            format!("special {:o}", meta.mode() & 0o170000)
        };
        let mtime = if rel.is_empty() { 0 } else { meta.mtime() };
        out.insert(
            rel,
            format!(
                "{detail} mode={:o} owner={}:{} mtime={mtime} nlink={}",
                meta.mode() & 0o7777,
                meta.uid(),
                meta.gid(),
                if ft.is_file() { meta.nlink() } else { 0 }
            ),
        );
    }
    out
}

/// A cheap content fingerprint (FNV-1a): enough to tell contents apart in a test.
fn md5_like(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// Owners, modes, symlinks (relative, absolute, dangling), hard links, an empty dir,
/// names with spaces, newlines and unicode, a sparse file and a FIFO. (No setuid file
/// with hard links: the engine's extraction clears its setuid bit (it chowns the link
/// and then fails to chmod it), which restores through the engine detect and refuse.)
const TRICKY_TREE: &str = r#"
set -e
cd /data
mkdir -p "dir with space/empty" deep/a/b/c
printf 'hello\n' > "dir with space/file"
printf 'newline' > "$(printf 'new\nline')"
printf 'ünï' > "ünïcödé ✓"
head -c 300000 /dev/urandom > deep/a/b/c/blob
head -c 1000 /dev/urandom > deep/linked
ln deep/linked hardlink
ln -s "dir with space/file" rel-link
ln -s /etc/passwd abs-link
ln -s nowhere dangling
truncate -s 20M sparse
printf 'tail' >> sparse
mkfifo fifo
chown 1234:5678 "dir with space/file"
chown -h 42:43 rel-link
chmod 4750 deep/a/b/c/blob
chmod 0600 "ünïcödé ✓"
chmod 0700 deep
touch -d '2001-02-03 04:05:06' "dir with space/file" deep/a
echo old > before-1970
touch -d '1960-01-02 03:04:05' before-1970
"#;

#[test]
fn round_trip_is_identical_direct_and_through_the_engine() {
    let mut f = Fixture::new("rt");
    f.exec(TRICKY_TREE);
    // A volume root of its own owner and mode: a new volume gets them too.
    f.exec("chmod 751 /data && chown 5:6 /data");
    let original = snapshot(&mountpoint(&f.volume));
    let root = std::fs::metadata(mountpoint(&f.volume)).unwrap();
    for access in ["direct", "api"] {
        let mut cmd = f.safeops();
        cmd.env("SAFEOPS_VOLUME_ACCESS", access).args([
            "backup",
            &f.container,
            "-t",
            "1",
            "--format",
            "json",
        ]);
        let out = json(&mut cmd);
        let backup = PathBuf::from(out["path"].as_str().unwrap());
        assert_eq!(out["volumes"][0]["access"], access, "{out}");
        assert_eq!(out["quiesced"][0], f.container.as_str(), "{out}");
        let down = out["downtime_seconds"].as_f64().unwrap();
        assert!(
            down > 0.0 && down < out["seconds"].as_f64().unwrap(),
            "{out}"
        );
        assert_eq!(f.state(), "running", "restarted after the backup");
        let check = Command::new("sha256sum")
            .args(["-c", "SHA256SUMS"])
            .current_dir(&backup)
            .output()
            .unwrap();
        assert!(check.status.success(), "sha256sum -c: {check:?}");
        let mode = std::fs::metadata(backup.join("manifest.json"))
            .unwrap()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "files readable by the owner only");
        assert_eq!(std::fs::metadata(&backup).unwrap().mode() & 0o777, 0o700);

        let copy = unique("copy");
        f.cleanup_volume(&copy);
        let (code, stdout, stderr) = run(f
            .safeops()
            .env("SAFEOPS_VOLUME_ACCESS", access)
            .args(["restore", backup.to_str().unwrap(), "--volume"])
            .arg(format!("{}:{copy}", f.volume))
            // Another volume: its setuid file and FIFO come along only when asked.
            .arg("--preserve-special"));
        assert_eq!(code, 0, "restore via {access}: {stderr}\n{stdout}");
        let restored = snapshot(&mountpoint(&copy));
        let mut expected = original.clone();
        if access == "api" {
            // The engine moves a time before 1970 to the epoch, and the restore says so.
            let old = expected.get_mut(&b"before-1970"[..]).unwrap();
            *old = old.replace("mtime=-315521755", "mtime=0");
            assert!(
                stderr.contains("1 file(s) dated before 1970 are dated 1970-01-01"),
                "{stderr}"
            );
        }
        assert_eq!(restored, expected, "restore via {access} differs");
        let copy_root = std::fs::metadata(mountpoint(&copy)).unwrap();
        assert_eq!(
            (copy_root.mode(), copy_root.uid(), copy_root.gid()),
            (root.mode(), root.uid(), root.gid()),
            "the root via {access}"
        );
        let sparse = std::fs::metadata(mountpoint(&copy).join("sparse")).unwrap();
        assert!(
            access == "api" || sparse.blocks() * 512 < sparse.len() / 2,
            "the sparse file stays sparse"
        );
    }
}

#[test]
fn user_xattrs_read_directly_come_back_through_the_engine_unchecked_and_said_so() {
    let f = Fixture::new("xattr");
    f.exec("echo tagged > /data/tagged; echo plain > /data/plain");
    let tagged = mountpoint(&f.volume).join("tagged");
    xattr::set(&tagged, "user.origin", b"kept").unwrap();
    let mut direct = f.safeops();
    direct.env("SAFEOPS_VOLUME_ACCESS", "direct");
    let out = json(direct.args(["backup", &f.container, "-t", "1", "--format", "json"]));
    let backup = out["path"].as_str().unwrap().to_string();
    f.exec("echo changed > /data/tagged");
    xattr::remove(&tagged, "user.origin").unwrap();
    // The engine writes the attribute, but its archive endpoint cannot read it back.
    let (code, stdout, stderr) = run(f.safeops().env("SAFEOPS_VOLUME_ACCESS", "api").args([
        "restore",
        &backup,
        "--confirm",
        &f.volume,
    ]));
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    assert!(
        stderr.contains("extended attributes other than security.capability")
            && stderr.contains("of 1 file(s)")
            && stderr.contains("are not checked"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&tagged).unwrap(), b"tagged\n");
    assert_eq!(
        xattr::get(&tagged, "user.origin").unwrap().as_deref(),
        Some(&b"kept"[..])
    );
}

/// A backup that holds a quarantine a recovery kept, restored through the engine into
/// the volume that still holds one of that name: refused before anything is staged
/// (the switch, which leaves the volume's quarantines in place, would fail once begun
/// and again at every recovery); with the volume's one moved away, it restores.
#[test]
fn a_quarantine_of_the_same_name_in_the_volume_is_refused_before_the_switch() {
    let f = Fixture::new("quarantine");
    let name = ".safeops-previous-7-quarantine";
    f.exec(&format!(
        "mkdir /data/{name}; echo kept > /data/{name}/f; echo data > /data/d"
    ));
    let backup = f.backup(&[]);
    f.exec("echo changed > /data/d");
    let through_engine = || {
        let mut cmd = f.safeops();
        cmd.env("SAFEOPS_VOLUME_ACCESS", "api").args([
            "restore",
            backup.to_str().unwrap(),
            "--confirm",
            &f.volume,
            "-t",
            "0",
        ]);
        cmd
    };
    let (code, _, stderr) = run(&mut through_engine());
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("holds a quarantine"), "{stderr}");
    assert_eq!(f.state(), "running");
    assert_eq!(f.read("/data/d"), "changed");
    f.exec(&format!("mv /data/{name} /tmp/"));
    let (code, _, stderr) = run(&mut through_engine());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(f.read(&format!("/data/{name}/f")), "kept");
}

/// Copies a backup directory (to damage the copy).
fn flip_byte(file: &Path) {
    let mut bytes = std::fs::read(file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(file, bytes).unwrap();
}

#[test]
fn a_flipped_byte_in_any_artifact_fails_verify_and_restore() {
    let f = Fixture::new("flip");
    f.exec("head -c 200000 /dev/urandom > /data/blob; echo text > /data/t");
    let backup = f.backup(&[]);
    let (code, stdout, _) = run(f.safeops().args(["verify", backup.to_str().unwrap()]));
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("OK"), "{stdout}");
    // What a copy by hand leaves beside the files is named, never read, and no damage.
    let copied = f.dir.path().join("copied");
    copy_dir(&backup, &copied);
    std::fs::write(copied.join(".DS_Store"), "x").unwrap();
    std::fs::create_dir(copied.join("@eaDir")).unwrap();
    std::fs::write(copied.join("@eaDir/SYNOINDEX"), "x").unwrap();
    let (code, stdout, stderr) = run(f.safeops().args(["verify", copied.to_str().unwrap()]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("2 file(s) the manifest does not list") && stderr.contains(".DS_Store"),
        "{stderr}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    let mut artifacts: Vec<String> = manifest["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap().to_string())
        .collect();
    artifacts.push("manifest.json".into());
    artifacts.push("SHA256SUMS".into());
    for (i, artifact) in artifacts.iter().enumerate() {
        let damaged = f.dir.path().join(format!("damaged-{i}"));
        copy_dir(&backup, &damaged);
        flip_byte(&damaged.join(artifact));
        let (code, _, stderr) = run(f.safeops().args(["verify", damaged.to_str().unwrap()]));
        assert_eq!(code, 4, "verify of damaged {artifact}: {stderr}");
        let named = if artifact == "SHA256SUMS" || artifact == "manifest.json" {
            stderr.contains("SHA256SUMS") || stderr.contains("manifest.json")
        } else {
            stderr.contains(artifact.as_str())
        };
        assert!(named, "verify must name {artifact}: {stderr}");
        let (code, _, stderr) = run(f.safeops().args([
            "restore",
            damaged.to_str().unwrap(),
            "--volume",
            &format!("{}:{}", f.volume, unique("never")),
        ]));
        assert_eq!(code, 4, "restore of damaged {artifact}: {stderr}");
    }
}

/// Writes a raw tar header + data, bypassing the tar crate's own path checks.
#[test]
fn hostile_archives_are_refused_and_nothing_is_written_outside() {
    let mut f = Fixture::new("hostile");
    f.exec("echo keep > /data/keep");
    let backup = f.backup(&[]);
    let outside = f.dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let outside_str = outside.to_str().unwrap().as_bytes().to_vec();
    let escape = [b"../../../../../..".as_slice(), &outside_str, b"/pwned"].concat();
    let absolute = [outside_str.as_slice(), b"/abs"].concat();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("dot-dot", {
            let mut t = Vec::new();
            raw_tar_entry(&mut t, &escape, tar::EntryType::Regular, b"", b"x");
            t
        }),
        ("absolute", {
            let mut t = Vec::new();
            raw_tar_entry(&mut t, &absolute, tar::EntryType::Regular, b"", b"x");
            t
        }),
        ("through a symlink", {
            let mut t = Vec::new();
            raw_tar_entry(&mut t, b"link", tar::EntryType::Symlink, &outside_str, b"");
            raw_tar_entry(&mut t, b"link/pwned", tar::EntryType::Regular, b"", b"x");
            t
        }),
        ("hardlink outside", {
            let mut t = Vec::new();
            raw_tar_entry(&mut t, b"h", tar::EntryType::Link, b"/etc/passwd", b"");
            t
        }),
    ];
    for (i, (what, tar)) in cases.into_iter().enumerate() {
        let hostile = f.dir.path().join(format!("hostile-{i}"));
        copy_dir(&backup, &hostile);
        plant_archive(&hostile, &f.volume, &tar);
        let (code, _, stderr) = run(f.safeops().args(["verify", hostile.to_str().unwrap()]));
        assert_eq!(code, 4, "{what}: {stderr}");
        assert!(stderr.contains("unsafe entry"), "{what}: {stderr}");
        let target = unique("hostile");
        f.cleanup_volume(&target);
        let (code, _, stderr) = run(f.safeops().args([
            "restore",
            hostile.to_str().unwrap(),
            "--volume",
            &format!("{}:{target}", f.volume),
        ]));
        assert_eq!(code, 4, "{what}: {stderr}");
        assert_eq!(
            std::fs::read_dir(&outside).unwrap().count(),
            0,
            "{what} wrote outside"
        );
    }
    assert_eq!(
        std::fs::read_to_string(mountpoint(&f.volume).join("keep")).unwrap(),
        "keep\n"
    );
}

#[test]
fn ctrl_c_restarts_the_container_and_leaves_no_half_backup() {
    let f = Fixture::new("sigint");
    f.exec(MANY_FILES);
    let child = backup_in_flight(&f, &[]);
    signal(&child, "-INT");
    assert_stopped_cleanly(&f, child);
}

#[test]
fn plugin_socket_eof_mid_backup_restarts_the_container() {
    use std::os::linux::net::SocketAddrExt;
    let f = Fixture::new("sockeof");
    f.exec(MANY_FILES);
    let name = unique("safeops-backup-sock");
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let listener = std::os::unix::net::UnixListener::bind_addr(&addr).unwrap();
    let socket = format!("@{name}");
    let child = backup_in_flight(&f, &[("DOCKER_CLI_PLUGIN_SOCKET", &socket)]);
    let (conn, _) = listener.accept().unwrap();
    drop(conn);
    assert_stopped_cleanly(&f, child);
}

/// The backup exits 130 having restarted the container and deleted its partial backup.
fn assert_stopped_cleanly(f: &Fixture, child: std::process::Child) {
    assert_interrupted_and_restarted(f, child);
    assert_eq!(f.backup_dir_entries(), Vec::<String>::new());
}

#[test]
fn after_sigkill_the_next_invocation_recovers() {
    let f = Fixture::new("sigkill");
    f.exec(MANY_FILES);
    let mut child = backup_in_flight(&f, &[]);
    signal(&child, "-KILL");
    child.wait().unwrap();
    assert_eq!(f.state(), "exited", "nobody restarted it yet");
    let leftovers = f.backup_dir_entries();
    assert!(
        leftovers.iter().all(|n| n.starts_with(".partial-")),
        "{leftovers:?}"
    );
    // A verb that needs no engine (`backups`) recovers it too.
    let (code, _, stderr) = run(f.safeops().arg("backups"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("recovered an interrupted `backup`"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("restarted {}", f.container)),
        "{stderr}"
    );
    assert_eq!(f.state(), "running");
    assert_eq!(f.backup_dir_entries(), Vec::<String>::new());
    let (_, _, stderr) = run(f.safeops().args(["status", &f.container, "--no-size"]));
    assert!(
        !stderr.contains("recovered"),
        "recovery happens once: {stderr}"
    );
}

#[test]
fn a_full_target_disk_is_refused_before_anything_is_stopped() {
    let f = Fixture::new("full");
    f.exec("head -c 41943040 /dev/urandom > /data/blob");
    let disk = common::SmallDisk::mount(f.dir.path().join("small"), "8m");
    let (code, _, stderr) = run(f.safeops().args([
        "backup",
        &f.container,
        "-t",
        "0",
        "--to",
        disk.0.to_str().unwrap(),
    ]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("not enough space"), "{stderr}");
    assert_eq!(f.state(), "running");
    assert_eq!(std::fs::read_dir(&disk.0).unwrap().count(), 0);
}

/// The disk of the backups and of the journal fills once the containers are stopped (one
/// writes 32 MiB as it shuts down, as a database flushes): the backup fails with exit 5,
/// and every container starts again although the journal can no longer be written.
#[test]
fn a_disk_that_fills_after_the_stop_still_gets_every_container_started() {
    let f = Fixture::new("fills");
    // Room for the preflight's margin (16 MiB), not for what the container writes.
    let disk = common::SmallDisk::mount(f.dir.path().join("small"), "24m");
    let flusher = format!("{}-flusher", f.container);
    let label = format!("io.safeops.test={}", f.cleanup.label);
    docker(&[
        "run",
        "-d",
        "--name",
        &flusher,
        "--label",
        &label,
        "-v",
        &format!("{}:/data", f.volume),
        IMAGE,
        "sh",
        "-c",
        "trap 'head -c 33554432 /dev/urandom > /data/flushed; exit 0' TERM; sleep 3600 & wait",
    ]);
    let (code, _, stderr) = run(f
        .safeops()
        .env("XDG_STATE_HOME", disk.0.join("state"))
        .args([
            "backup",
            &f.container,
            "-t",
            "5",
            "--to",
            disk.0.join("backups").to_str().unwrap(),
        ]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("ran out of space"), "{stderr}");
    for container in [&f.container, &flusher] {
        assert_eq!(
            docker(&["inspect", "-f", "{{.State.Status}}", container]).trim(),
            "running",
            "{container}: {stderr}"
        );
    }
}

/// Requests a restore cannot carry out whole are refused (exit 2) before anything
/// stops or changes: two volumes of the backup into one, `--images` of a backup made
/// without them.
#[test]
fn restores_that_cannot_be_carried_out_whole_are_refused_before_anything_stops() {
    let f = Fixture::new("whole");
    f.exec("echo before > /data/file");
    let backup = f.backup(&[]);
    f.exec("echo after > /data/file");
    let twice = format!("{}:{}", f.volume, f.volume);
    for extra in [
        vec!["--volume", &twice, "--volume", &twice],
        vec!["--images"],
    ] {
        let (code, _, stderr) = run(f.restoring(&backup).args(&extra));
        assert_eq!(code, 2, "{extra:?}: {stderr}");
        assert_eq!(f.state(), "running", "{extra:?}");
        assert_eq!(f.read("/data/file"), "after", "{extra:?}");
    }
}

/// A paused container keeps the volume's files open: the restore refuses (exit 5)
/// before anything stops or changes.
#[test]
fn a_restore_under_a_paused_container_is_refused() {
    let f = Fixture::new("paused");
    f.exec("echo before > /data/file");
    let backup = f.backup(&[]);
    f.exec("echo after > /data/file");
    docker(&["pause", &f.container]);
    let (code, _, stderr) = run(&mut f.restoring(&backup));
    docker(&["unpause", &f.container]);
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("paused"), "{stderr}");
    assert_eq!(f.read("/data/file"), "after");
}

/// A volume that was empty when the restore was planned (so nothing asked to overwrite
/// it) gets data from its container as that one stops: the restore refuses (exit 3)
/// rather than replace it unasked, and the container runs again.
#[test]
fn data_written_into_an_empty_volume_while_its_container_stops_is_not_replaced() {
    let mut f = Fixture::new("meanwhile");
    f.exec("echo backed-up > /data/file");
    let backup = f.backup(&[]);
    let empty = format!("{}-empty", f.container);
    f.cleanup_volume(&empty);
    let label = format!("io.safeops.test={}", f.cleanup.label);
    docker(&["volume", "create", "--label", &label, &empty]);
    let writer = format!("{}-writer", f.container);
    docker(&[
        "run",
        "-d",
        "--name",
        &writer,
        "--label",
        &label,
        "-v",
        &format!("{empty}:/data"),
        IMAGE,
        "sh",
        "-c",
        "trap 'echo late > /data/late; exit 0' TERM; sleep 3600 & wait",
    ]);
    let (code, _, stderr) = run(f.safeops().args([
        "restore",
        backup.to_str().unwrap(),
        "--volume",
        &format!("{}:{empty}", f.volume),
        "-t",
        "5",
    ]));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("was empty when the restore was planned"),
        "{stderr}"
    );
    assert_eq!(
        docker(&["exec", &writer, "cat", "/data/late"]).trim(),
        "late"
    );
}

/// The safety backup of what a restore overwrites must fit where it goes (here a 24 MiB
/// disk holding the backups): where it cannot, the restore is refused (exit 5) before
/// anything stops, not once the containers are down.
#[test]
fn a_restore_whose_safety_backup_cannot_fit_is_refused_before_anything_stops() {
    let f = Fixture::new("safetyfit");
    let disk = common::SmallDisk::mount(f.dir.path().join("small"), "24m");
    let on_disk = || {
        let mut cmd = f.safeops();
        cmd.env("SAFEOPS_BACKUP_DIR", disk.0.join("backups"));
        cmd
    };
    f.exec("echo small > /data/file");
    let backup = json(on_disk().args(["backup", &f.container, "-t", "0", "--format", "json"]));
    f.exec("head -c 10485760 /dev/urandom > /data/big");
    let started = docker(&["inspect", "-f", "{{.State.StartedAt}}", &f.container]);
    let (code, _, stderr) = run(on_disk().args([
        "restore",
        backup["path"].as_str().unwrap(),
        "--confirm",
        &f.volume,
        "-t",
        "0",
    ]));
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("the safety backup of the current content"),
        "{stderr}"
    );
    let now = docker(&["inspect", "-f", "{{.State.StartedAt}}", &f.container]);
    assert_eq!(now, started, "stopped: {stderr}");
}

/// A backup read from a read-only medium: the restore's safety backup would go there,
/// so the restore is refused (exit 5) before anything stops, saying how to put the
/// safety backup elsewhere; done that way, it restores.
#[test]
fn a_restore_from_a_read_only_medium_puts_its_safety_backup_elsewhere() {
    let f = Fixture::new("readonly");
    let disk = common::SmallDisk::mount(f.dir.path().join("medium"), "24m");
    let medium = disk.0.join("backups");
    f.exec("echo backed-up > /data/file");
    let backup = json(f.safeops().env("SAFEOPS_BACKUP_DIR", &medium).args([
        "backup",
        &f.container,
        "-t",
        "0",
        "--format",
        "json",
    ]));
    let backup = backup["path"].as_str().unwrap().to_string();
    f.exec("echo changed > /data/file");
    let remount = |how: &str| {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(&disk.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount {how}");
    };
    remount("ro");
    let started = docker(&["inspect", "-f", "{{.State.StartedAt}}", &f.container]);
    let to = medium.to_str().unwrap();
    let name = Path::new(&backup).file_name().unwrap().to_str().unwrap();
    let (code, _, stderr) = run(f.safeops().args([
        "restore",
        name,
        "--to",
        to,
        "--confirm",
        &f.volume,
        "-t",
        "0",
    ]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("SAFEOPS_BACKUP_DIR"), "{stderr}");
    let now = docker(&["inspect", "-f", "{{.State.StartedAt}}", &f.container]);
    assert_eq!(now, started, "stopped: {stderr}");
    // As the hint says: the backup by its path, the safety backup in SAFEOPS_BACKUP_DIR.
    let (code, _, stderr) = run(&mut f.restoring(Path::new(&backup)));
    remount("rw");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(f.read("/data/file"), "backed-up");
}

/// A container started on the volume while the restore waits for its confirmation is
/// stopped with the others (and started again), not left writing through the switch.
#[test]
fn a_container_started_while_the_restore_asks_is_stopped_too() {
    let f = Fixture::new("asking");
    f.exec("echo before > /data/file");
    let backup = f.backup(&[]);
    f.exec("echo after > /data/file");
    let late = format!("{}-late", f.container);
    let label = format!("io.safeops.test={}", f.cleanup.label);
    let mount = format!("{}:/data", f.volume);
    docker(&[
        "create", "--name", &late, "--label", &label, "-v", &mount, IMAGE, "sleep", "3600",
    ]);
    let command = format!("{} restore {} -t 0", bin().display(), backup.display());
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(f.dir.path())
        .env("SAFEOPS_BACKUP_DIR", f.backups())
        .env("XDG_STATE_HOME", f.dir.path().join("state"))
        .env("XDG_CONFIG_HOME", f.dir.path().join(".xdg-config"))
        .env("XDG_DATA_HOME", f.dir.path().join(".xdg-data"))
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let shown = read_until(&mut out, "to confirm");
    docker(&["start", &late]);
    let started = docker(&["inspect", "-f", "{{.State.StartedAt}}", &late]);
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, format!("{}\n", f.volume).as_bytes()).unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{shown}{rest}");
    assert_stopped_and_started_again(&late, &started, &rest);
    assert_eq!(f.read("/data/file"), "before");
}

/// A restore whose files do not fit beside the volume's content on its file system (a
/// 2 MiB tmpfs volume here) is refused before anything is stopped or written.
#[test]
fn a_restore_that_cannot_fit_is_refused_before_anything_is_stopped() {
    let mut f = Fixture::new("fitting");
    f.exec("head -c 4194304 /dev/urandom > /data/blob");
    let backup = f.backup(&[]);
    let small = format!("{}-small", f.container);
    let user = format!("{}-user", f.container);
    f.cleanup_volume(&small);
    let label = format!("io.safeops.test={}", f.cleanup.label);
    docker(&[
        "volume",
        "create",
        "--label",
        &label,
        "--opt",
        "type=tmpfs",
        "--opt",
        "device=tmpfs",
        "--opt",
        "o=size=2m",
        &small,
    ]);
    run_sleeping(&user, &label, &["-v", &format!("{small}:/data")]);
    docker(&["exec", &user, "sh", "-c", "echo kept > /data/file"]);
    let (code, _, stderr) = run(f.safeops().args([
        "restore",
        backup.to_str().unwrap(),
        "--volume",
        &format!("{}:{small}", f.volume),
        "--confirm",
        &small,
    ]));
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("not enough space for the restore in"),
        "{stderr}"
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &user]).trim(),
        "true"
    );
    assert_eq!(docker(&["exec", &user, "ls", "-A", "/data"]).trim(), "file");
}

/// A container labelled a PostgreSQL database (`io.safeops.dump=postgres`) on the
/// fixture's volume, running the fixture image (no `pg_dumpall` of its own). Its name.
fn fake_database(f: &Fixture) -> String {
    let db = unique("fakedb");
    let label = format!("io.safeops.test={}", f.cleanup.label);
    docker(&[
        "run",
        "-d",
        "--name",
        &db,
        "--label",
        &label,
        "--label",
        "io.safeops.dump=postgres",
        "-v",
        &format!("{}:/data", f.volume),
        IMAGE,
        "sleep",
        "3600",
    ]);
    db
}

/// Gives the fake database `db` a `pg_dumpall` that creates `/data/dumping` (the sign
/// that the dump began), waits `seconds`, then prints a dump.
fn dump_that_signals(db: &str, seconds: u32) {
    let script = format!(
        "printf '#!/bin/sh\\ntouch /data/dumping; sleep {seconds}; echo dump\\n' \
         > /bin/pg_dumpall && chmod +x /bin/pg_dumpall"
    );
    docker(&["exec", db, "sh", "-c", &script]);
}

/// Asserts that `container`, started at `started` (`docker inspect`'s StartedAt), was
/// stopped and started again since, and runs; `said` is what the command printed.
fn assert_stopped_and_started_again(container: &str, started: &str, said: &str) {
    let now = docker(&[
        "inspect",
        "-f",
        "{{.State.Status}} {{.State.StartedAt}}",
        container,
    ]);
    assert!(now.starts_with("running "), "{now}");
    assert_ne!(
        now.trim_start_matches("running "),
        started,
        "not stopped: {said}"
    );
}

/// A container that runs when the backup is planned and ends before the containers
/// stop (a one-off job, here ending once the database dump has begun) is neither
/// stopped nor started again afterwards.
#[test]
fn a_container_that_ended_before_the_stop_is_not_started_again() {
    require_engine();
    let f = Fixture::new("ended");
    let label = format!("io.safeops.test={}", f.cleanup.label);
    let mount = format!("{}:/data", f.volume);
    let db = fake_database(&f);
    // The dump tells the job to end, and gives it time to.
    dump_that_signals(&db, 2);
    let job = unique("job");
    docker(&[
        "run",
        "-d",
        "--name",
        &job,
        "--label",
        &label,
        "-v",
        &mount,
        IMAGE,
        "sh",
        "-c",
        "while [ ! -e /data/dumping ]; do sleep 0.1; done",
    ]);
    let started = docker(&["inspect", "-f", "{{.State.StartedAt}}", &job]);
    let (code, _, stderr) = run(f.safeops().args(["backup", &db, "--db-dump", "-t", "0"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("{job} no longer runs")),
        "{stderr}"
    );
    assert_eq!(
        docker(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.StartedAt}}",
            &job
        ]),
        format!("exited {started}"),
        "{stderr}"
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Status}}", &db]).trim(),
        "running"
    );
}

/// A container started on the volume after the backup was planned (during the
/// database dump, here) is stopped with the others, and started again.
#[test]
fn a_container_started_after_the_plan_is_stopped_too() {
    require_engine();
    let f = Fixture::new("late");
    let label = format!("io.safeops.test={}", f.cleanup.label);
    let db = fake_database(&f);
    dump_that_signals(&db, 4);
    let late = unique("late");
    docker(&[
        "create",
        "--name",
        &late,
        "--label",
        &label,
        "-v",
        &format!("{}:/data", f.volume),
        IMAGE,
        "sleep",
        "3600",
    ]);
    let backup = f
        .safeops()
        .args(["backup", &db, "--db-dump", "-t", "0"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let dumping = mountpoint(&f.volume).join("dumping");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !dumping.exists() {
        assert!(std::time::Instant::now() < deadline, "the dump never began");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    docker(&["start", &late]);
    let started = docker(&["inspect", "-f", "{{.State.StartedAt}}", &late]);
    let out = backup.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("{late} started since the backup was planned")),
        "{stderr}"
    );
    assert_stopped_and_started_again(&late, &started, &stderr);
}

#[test]
fn a_failing_database_dump_fails_the_backup() {
    require_engine();
    let f = Fixture::new("dumpfail");
    // The fixture image has no pg_dumpall: the dump command fails.
    let db = fake_database(&f);
    let (code, _, stderr) = run(f.safeops().args(["backup", &db, "--db-dump", "-t", "0"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("database dump of {db} failed")),
        "{stderr}"
    );
    assert_eq!(f.backup_dir_entries(), Vec::<String>::new());
    assert_eq!(f.state(), "running");
}

/// Backup of a compose project, `down -v` (the incident), restore: the data is back,
/// in a volume compose recognises as its own, for both compose generations.
fn project_round_trip(cli: &[&str], separator: char) {
    require_engine();
    let mut cleanup = Cleanup::new();
    let project = unique("proj");
    cleanup.projects.push(project.clone());
    let dir = tempfile::tempdir().unwrap();
    write_compose(dir.path(), "");
    compose(cli, dir.path(), &project, &["up", "-d"]);
    let container = format!("{project}{separator}db{separator}1");
    let volume = format!("{project}_data");
    docker(&["exec", &container, "sh", "-c", "echo precious > /data/file"]);
    let backups = dir.path().join("backups");
    let safeops_cmd = || {
        let mut cmd = safeops(dir.path());
        cmd.env("SAFEOPS_BACKUP_DIR", &backups)
            .env("XDG_STATE_HOME", dir.path().join("state"));
        cmd
    };
    let out = json(safeops_cmd().args(["backup", &project, "-t", "0", "--format", "json"]));
    let backup = out["path"].as_str().unwrap().to_string();
    assert_eq!(out["target_kind"], "project", "{out}");
    assert_eq!(out["quiesced"][0], container.as_str(), "{out}");
    assert_eq!(out["containers"][0], container.as_str(), "{out}");
    assert!(
        Path::new(&backup)
            .join(format!("containers/{container}.json"))
            .is_file(),
        "spec saved under the container's name"
    );
    assert!(Path::new(&backup).join("compose/compose.yaml").is_file());

    compose(cli, dir.path(), &project, &["down", "-v", "-t", "0"]);
    let (code, _, _) = run(Command::new("docker").args(["volume", "inspect", &volume]));
    assert_ne!(code, 0, "down -v removed the volume");

    let (code, stdout, stderr) = run(safeops_cmd().args(["restore", &backup]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("(created)"), "{stdout}");
    compose(cli, dir.path(), &project, &["up", "-d"]);
    let content = docker(&["exec", &container, "cat", "/data/file"]);
    assert_eq!(content, "precious\n");
}

#[test]
fn compose_v2_project_survives_down_v_through_backup_and_restore() {
    project_round_trip(&["docker", "compose"], '-');
}

#[test]
fn compose_v1_project_survives_down_v_through_backup_and_restore() {
    project_round_trip(&[COMPOSE_V1], '_');
}

#[test]
fn restore_over_data_needs_confirmation_and_saves_the_current_content() {
    let f = Fixture::new("over");
    f.exec("echo old > /data/file");
    let backup = f.backup(&[]);
    f.exec("echo new > /data/file; echo extra > /data/extra");
    let (code, _, stderr) = run(f
        .safeops()
        .args(["restore", backup.to_str().unwrap(), "-t", "0"]));
    assert_eq!(code, 3, "no terminal, no --confirm: {stderr}");
    assert!(stderr.contains(&f.volume), "names the volume: {stderr}");
    let (code, _, stderr) =
        run(f
            .safeops()
            .args(["restore", backup.to_str().unwrap(), "--confirm", "wrong"]));
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(f.state(), "running");
    assert_eq!(
        std::fs::read_to_string(mountpoint(&f.volume).join("file")).unwrap(),
        "new\n",
        "refusals change nothing"
    );
    let out = json(f.safeops().args([
        "restore",
        backup.to_str().unwrap(),
        "--confirm",
        &f.volume,
        "-t",
        "0",
        "--format",
        "json",
    ]));
    assert_eq!(out["confirmation"], "flag", "{out}");
    assert_eq!(out["started"][0], f.container.as_str(), "{out}");
    assert_eq!(f.state(), "running");
    let root = mountpoint(&f.volume);
    assert_eq!(std::fs::read_to_string(root.join("file")).unwrap(), "old\n");
    assert!(
        !root.join("extra").exists(),
        "the volume holds exactly the backup"
    );
    let names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["file"], "no staging left behind");
    // The overwritten content was saved and can itself be restored.
    let safety = PathBuf::from(out["safety_backup"].as_str().unwrap());
    let copy = unique("saved");
    let (code, _, stderr) = run(f.safeops().args([
        "restore",
        safety.to_str().unwrap(),
        "--volume",
        &format!("{}:{copy}", f.volume),
    ]));
    docker(&["volume", "inspect", &copy]);
    let saved = mountpoint(&copy);
    let restored_new = std::fs::read_to_string(saved.join("file"));
    let _ = Command::new("docker")
        .args(["volume", "rm", &copy])
        .output();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(restored_new.unwrap(), "new\n");
}

#[test]
fn backups_lists_newest_first_and_keep_prunes_old_ones() {
    let f = Fixture::new("keep");
    f.exec("echo v > /data/f");
    let first = f.backup(&[]);
    // The same target's backup from another host sharing the directory (an NFS
    // export, say): older than all, but never this host's to delete.
    // Copies of it with their manifest changed by `edit`, made `created`.
    let copy_of = |from: &Path, created: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let stamp = created.replace(['-', ':'], "");
        let copy = from.with_file_name(format!("{}-{stamp}", f.container));
        common::fixture::copy_dir(from, &copy);
        let manifest = copy.join("manifest.json");
        let mut doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
        doc["created"] = created.into();
        edit(&mut doc);
        std::fs::write(&manifest, serde_json::to_vec(&doc).unwrap()).unwrap();
        copy
    };
    let copy =
        |created: &str, edit: &dyn Fn(&mut serde_json::Value)| copy_of(&first, created, edit);
    let elsewhere = copy("2020-01-01T00:00:00Z", &|doc| {
        doc["host"] = "other-host".into()
    });
    // Another engine's (context) backup of a target of the same name, from this host.
    let other_engine = copy("2020-01-02T00:00:00Z", &|doc| {
        doc["engine"]["host"] = "tcp://staging:2376".into()
    });
    // A damaged backup, the newest: it must not take the place of a sound one.
    let damaged = copy("2099-01-01T00:00:00Z", &|_| {});
    std::fs::remove_file(damaged.join("SHA256SUMS")).unwrap();
    let second = f.backup(&["--no-quiesce"]);
    let third = f.backup(&["--keep", "2"]);
    assert!(!first.exists(), "--keep 2 deleted the oldest");
    assert!(second.exists(), "--keep 2 counts only sound backups");
    for (kept, why) in [
        (elsewhere, "another host's backup stays"),
        (other_engine, "another engine's backup stays"),
        (damaged, "a damaged backup is left to the operator"),
    ] {
        assert!(kept.exists(), "{why}");
        std::fs::remove_dir_all(&kept).unwrap();
    }
    let list = json(
        f.safeops()
            .args(["backups", &f.container, "--format", "json"]),
    );
    let paths: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [third.to_str().unwrap(), second.to_str().unwrap()]);
    // Another engine's newer backup of a volume of the same name is not this one's.
    copy_of(&third, "2099-06-01T00:00:00Z", &|doc| {
        doc["engine"]["host"] = "tcp://staging:2376".into()
    });
    let status = json(
        f.safeops()
            .args(["status", &f.container, "--no-size", "--format", "json"]),
    );
    let volume = &status["targets"][0]["volumes"][0];
    assert_eq!(volume["name"], f.volume.as_str(), "{status}");
    assert_eq!(
        volume["last_backup"], list[0]["created"],
        "status shows the newest backup"
    );
    for entry in list.as_array().unwrap() {
        assert_eq!(entry["target"], f.container.as_str());
        assert!(entry["created"].as_str().unwrap().ends_with('Z'));
        assert!(entry["size_bytes"].as_u64().unwrap() > 0);
        assert_eq!(entry["status"], "complete (verified when made)");
        assert_eq!(entry["sound"], true);
    }
}

#[test]
fn images_are_exported_validated_and_loaded_back() {
    let f = Fixture::new("img");
    let image = format!("safeops-test/exported:{}", unique("t"));
    docker(&["tag", IMAGE, &image]);
    let container = unique("imgc");
    let label = format!("io.safeops.test={}", f.cleanup.label);
    docker(&[
        "run", "-d", "--name", &container, "--label", &label, &image, "sleep", "3600",
    ]);
    let out = json(f.safeops().args([
        "backup", &container, "--images", "-t", "0", "--format", "json",
    ]));
    assert_eq!(out["images"][0], image.as_str(), "{out}");
    let backup = out["path"].as_str().unwrap().to_string();
    docker(&["rm", "-f", &container]);
    docker(&["rmi", &image]);
    let (code, stdout, stderr) = run(f.safeops().args(["restore", &backup, "--images"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&image), "{stdout}");
    docker(&["image", "inspect", &image]);
    docker(&["rmi", &image]);
}

#[test]
fn bad_input_gets_distinct_exit_codes() {
    let f = Fixture::new("bad");
    let (code, _, stderr) = run(f.safeops().args(["backup", "no-such-target-anywhere"]));
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = run(f.safeops().args(["verify", "/nonexistent/backup"]));
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) =
        run(f
            .safeops()
            .args(["backup", &f.container, "--to", "/proc/version/x"]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("/proc/version/x"), "{stderr}");
    let backup = f.backup(&[]);
    let (code, _, stderr) = run(f.safeops().args([
        "restore",
        backup.to_str().unwrap(),
        "--volume",
        "not-in-the-backup",
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&f.volume),
        "lists what the backup has: {stderr}"
    );
}

/// PostgreSQL from the host's binaries (built by scripts/setup-test-env.sh).
const POSTGRES_IMAGE: &str = "safeops-test/postgres:local";

#[test]
fn db_dump_of_a_running_postgres_is_consistent_and_verified() {
    let f = Fixture::new("pgdump");
    let db = unique("pg");
    let label = format!("io.safeops.test={}", f.cleanup.label);
    let pg_volume = format!("{db}-data");
    docker(&["volume", "create", "--label", &label, &pg_volume]);
    docker(&[
        "run",
        "-d",
        "--name",
        &db,
        "--label",
        &label,
        "-v",
        &format!("{pg_volume}:/var/lib/postgresql/data"),
        POSTGRES_IMAGE,
    ]);
    let sql = |statement: &str| {
        Command::new("docker")
            .args([
                "exec",
                &db,
                "psql",
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                statement,
            ])
            .output()
            .unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !sql("select 1").status.success() {
        assert!(
            std::time::Instant::now() < deadline,
            "postgres did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let created = sql("create table orders(id int primary key, item text); \
                       insert into orders select g, 'item ' || g from generate_series(1, 500) g;");
    assert!(created.status.success(), "{created:?}");

    let out = json(
        f.safeops()
            .args(["backup", &db, "--db-dump", "-t", "10", "--format", "json"]),
    );
    let backup = PathBuf::from(out["path"].as_str().unwrap());
    let dump_path = out["dumps"][0].as_str().expect("a dump");
    let dump = zstd::decode_all(std::fs::File::open(backup.join(dump_path)).unwrap()).unwrap();
    let dump = String::from_utf8_lossy(&dump);
    assert!(dump.contains("CREATE TABLE public.orders"), "{dump}");
    assert!(dump.contains("500\titem 500"), "all rows are in the dump");
    let (code, stdout, stderr) = run(f.safeops().args(["verify", backup.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}{stdout}");
    assert!(
        sql("select count(*) from orders").status.success(),
        "postgres runs again"
    );
}

#[test]
fn status_and_doctor_warn_when_a_volume_holds_far_less_than_at_its_last_backup() {
    let f = Fixture::new("shrunk");
    f.exec("head -c 500000 /dev/urandom > /data/records");
    f.backup(&[]);
    let doctor_mounts = || {
        let (code, stdout, stderr) = run(f.safeops().args([
            "doctor",
            &f.container,
            "--check",
            "mounts",
            "--format",
            "json",
        ]));
        let report: serde_json::Value = serde_json::from_str(&stdout).expect(&stderr);
        (code, report["checks"][0].clone())
    };
    let (code, mounts) = doctor_mounts();
    assert_eq!(
        (code, &mounts["status"]),
        (0, &serde_json::json!("pass")),
        "{mounts}"
    );
    let status = json(
        f.safeops()
            .args(["status", &f.container, "--format", "json"]),
    );
    assert_eq!(
        status["targets"][0]["volumes"][0]["warning"],
        serde_json::Value::Null
    );
    // The app "looks healthy" but its data is gone.
    f.exec("rm /data/records; echo '{}' > /data/defaults.json");
    let status = json(
        f.safeops()
            .args(["status", &f.container, "--format", "json"]),
    );
    let warning = status["targets"][0]["volumes"][0]["warning"]
        .as_str()
        .unwrap_or_default();
    assert!(warning.contains("data may be gone"), "{status}");
    let (_, table, _) = run(f.safeops().args(["status", &f.container]));
    assert!(
        table.contains(&format!("warning: volume {}", f.volume)),
        "{table}"
    );
    let (code, mounts) = doctor_mounts();
    assert_eq!(code, 1, "{mounts}");
    assert_eq!(
        mounts["findings"][0]["subject"],
        format!("volume {}", f.volume)
    );
    assert!(
        mounts["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("data may be gone"),
        "{mounts}"
    );
}

#[test]
fn keep_days_deletes_backups_older_than_that() {
    let f = Fixture::new("days");
    f.exec("echo v > /data/f");
    let old = f.backup(&["--no-quiesce"]);
    // Pretend it was made ten days ago.
    let manifest_path = old.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let ten_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(10 * 86_400);
    manifest["created"] = humantime::format_rfc3339_millis(ten_days_ago)
        .to_string()
        .into();
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let recent = f.backup(&["--no-quiesce"]);
    let newest = f.backup(&["--no-quiesce", "--keep-days", "7"]);
    assert!(!old.exists(), "older than 7 days: deleted");
    assert!(recent.exists() && newest.exists());
}

#[test]
fn a_container_joined_to_anothers_namespaces_is_restarted_after_it() {
    let f = Fixture::new("nsjoin");
    // Named to sort before the container it joins: by name alone it would start first.
    let peer = format!("a{}", f.container);
    f.run_joined(&peer, &["--pid", "--network"]);
    let (code, _, stderr) = run(f.safeops().args(["backup", &peer, "-t", "1"]));
    assert_eq!(code, 0, "{stderr}");
    for name in [&f.container, &peer] {
        assert_eq!(
            docker(&["inspect", "-f", "{{.State.Running}}", name]).trim(),
            "true",
            "{name} runs again"
        );
    }
    docker(&["rm", "-f", &peer]);
}

/// A container that crashes and waits for its restart policy (`restarting`) writes into
/// the volume again when the engine starts it: the backup stops it like a running one,
/// and starts it again after.
#[test]
fn a_container_between_two_restarts_is_quiesced_too() {
    let mut f = Fixture::new("crashloop");
    let looping = format!("{}-looping", f.container);
    f.cleanup.containers.push(looping.clone());
    let mount = format!("{}:/data", f.volume);
    docker(&[
        "run",
        "-d",
        "--name",
        &looping,
        "--restart",
        "always",
        "-v",
        &mount,
        IMAGE,
        "sh",
        "-c",
        "echo run >> /data/runs; exit 1",
    ]);
    let state = || docker(&["inspect", "-f", "{{.State.Status}}", &looping]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while state().trim() != "restarting" {
        assert!(std::time::Instant::now() < deadline, "it never crashed");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = json(
        f.safeops()
            .args(["backup", &f.container, "-t", "1", "--format", "json"]),
    );
    let quiesced = out["quiesced"].as_array().unwrap();
    assert!(quiesced.contains(&looping.as_str().into()), "{out}");
    assert_ne!(state().trim(), "exited", "left stopped");
    assert_eq!(f.state(), "running");
}

/// What `--confirm` takes depends on what the restore restores, not on which volumes
/// hold data now: a script's confirmation of a backup of two volumes keeps matching
/// when one of them happens to be empty.
#[test]
fn restoring_several_volumes_is_confirmed_with_the_target_whichever_hold_data() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let mut cleanup = Cleanup::new();
    let container = unique("pair");
    let (full, empty) = (format!("{container}-full"), format!("{container}-empty"));
    cleanup.containers.push(container.clone());
    cleanup.volumes.extend([full.clone(), empty.clone()]);
    docker(&[
        "run",
        "-d",
        "--name",
        &container,
        "-v",
        &format!("{full}:/full"),
        "-v",
        &format!("{empty}:/empty"),
        IMAGE,
        "sh",
        "-c",
        "echo kept > /full/f; echo kept > /empty/f; sleep 3600",
    ]);
    let backup = backed_up(dir.path(), &container);
    docker(&[
        "exec",
        &container,
        "sh",
        "-c",
        "rm /empty/f; echo new > /full/f",
    ]);
    let restore = |confirm: &str| {
        run(isolated(dir.path()).args(["restore", &backup, "-t", "0", "--confirm", confirm]))
    };
    let (code, _, stderr) = restore(&full);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(&format!("--confirm {container}")),
        "{stderr}"
    );
    let (code, _, stderr) = restore(&container);
    assert_eq!(code, 0, "{stderr}");
    let content = docker(&["exec", &container, "cat", "/full/f", "/empty/f"]);
    assert_eq!(content, "kept\nkept\n");
}

/// Disaster recovery on a new host whose checkout gives the project another name:
/// `-p NEW restore` puts each volume where compose looks for it in that project, as
/// its own (no "not created by Docker Compose" warning), and compose runs on the data.
#[test]
fn a_restore_for_another_project_name_gives_compose_its_volumes() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let (old, new) = (unique("oldname"), unique("newname"));
    cleanup.projects.extend([old.clone(), new.clone()]);
    cleanup
        .volumes
        .extend([format!("{old}_data"), format!("{new}_data")]);
    let dir = tempfile::tempdir().unwrap();
    write_compose(dir.path(), "");
    let v2 = &["docker", "compose"][..];
    compose(v2, dir.path(), &old, &["up", "-d"]);
    docker(&[
        "exec",
        &format!("{old}-db-1"),
        "sh",
        "-c",
        "echo precious > /data/file",
    ]);
    let backup = backed_up(dir.path(), &old);
    let restored =
        json(isolated(dir.path()).args(["-p", &new, "restore", &backup, "--format", "json"]));
    assert_eq!(
        restored["volumes"][0]["into"],
        format!("{new}_data"),
        "{restored}"
    );
    let up = Command::new("docker")
        .args(["compose", "-p", &new, "up", "-d"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&up.stderr);
    assert!(up.status.success(), "{stderr}");
    assert!(!stderr.contains("already exists"), "{stderr}");
    let content = docker(&["exec", &format!("{new}-db-1"), "cat", "/data/file"]);
    assert_eq!(content, "precious\n");
}

/// An anonymous volume restored afresh keeps its name, which no new container mounts:
/// the restore says how to use it.
#[test]
fn an_anonymous_volume_restored_afresh_says_how_to_mount_it() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let mut cleanup = Cleanup::new();
    let container = unique("anonrestore");
    cleanup.containers.push(container.clone());
    docker(&[
        "run",
        "-d",
        "--name",
        &container,
        "-v",
        "/data",
        IMAGE,
        "sh",
        "-c",
        "echo kept > /data/f; sleep 3600",
    ]);
    let volume = docker(&[
        "inspect",
        "-f",
        "{{range .Mounts}}{{.Name}}{{end}}",
        &container,
    ])
    .trim()
    .to_string();
    cleanup.volumes.push(volume.clone());
    let backup = backed_up(dir.path(), &container);
    docker(&["rm", "-f", "-v", &container]);
    let (code, _, stderr) = run(isolated(dir.path()).args(["restore", &backup]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("{volume} is an anonymous volume")),
        "{stderr}"
    );
}

/// A backup of `target` by the plugin isolated in `dir`: its directory.
fn backed_up(dir: &Path, target: &str) -> String {
    let out = json(isolated(dir).args(["backup", target, "-t", "0", "--format", "json"]));
    out["path"].as_str().unwrap().to_string()
}

/// A verb that needs no engine names what a killed operation left on another engine,
/// without trying to reach that engine, and how to let go of it if it is gone.
#[test]
fn an_operation_left_unfinished_on_another_engine_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("state/docker-safeops/journal");
    std::fs::create_dir_all(&journals).unwrap();
    let journal = journals.join("4000000-backup-1.json");
    let state = serde_json::json!({
        "pid": 4_000_000, "verb": "backup", "engine_host": "tcp://192.0.2.1:2375",
        "started": "2026-12-01T03:00:00Z", "stopped": [["abc", "db"]], "partial_dirs": []
    });
    std::fs::write(&journal, state.to_string()).unwrap();
    let (code, _, stderr) = run(isolated(dir.path()).arg("backups"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("on tcp://192.0.2.1:2375 left containers stopped")
            && stderr.contains(&format!("delete {}", journal.display())),
        "{stderr}"
    );
}
