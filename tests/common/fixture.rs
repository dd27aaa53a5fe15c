//! A standalone container mounting a fresh volume at /data: the target of backup,
//! restore and attack tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

/// A standalone container (the backup target) mounting a fresh volume at /data.
pub struct Fixture {
    pub cleanup: Cleanup,
    pub dir: tempfile::TempDir,
    pub container: String,
    pub volume: String,
}

impl Fixture {
    pub fn new(prefix: &str) -> Fixture {
        require_engine();
        let mut cleanup = Cleanup::new();
        let container = unique(prefix);
        let volume = format!("{container}-data");
        cleanup.volumes.push(volume.clone());
        let label = format!("io.safeops.test={}", cleanup.label);
        docker(&["volume", "create", "--label", &label, &volume]);
        docker(&[
            "run",
            "-d",
            "--name",
            &container,
            "--label",
            &label,
            "-v",
            &format!("{volume}:/data"),
            IMAGE,
            "sleep",
            "3600",
        ]);
        Fixture {
            cleanup,
            dir: tempfile::tempdir().unwrap(),
            container,
            volume,
        }
    }

    pub fn backups(&self) -> PathBuf {
        self.dir.path().join("backups")
    }

    /// The plugin, with the backup directory and journal inside the test directory.
    pub fn safeops(&self) -> Command {
        let mut cmd = safeops(self.dir.path());
        cmd.env("SAFEOPS_BACKUP_DIR", self.backups())
            .env("XDG_STATE_HOME", self.dir.path().join("state"));
        cmd
    }

    /// The plugin restoring `backup` over the fixture's volume, confirmed, with 1 s for
    /// the container to stop.
    pub fn restoring(&self, backup: &Path) -> Command {
        let mut cmd = self.safeops();
        cmd.args([
            "restore",
            backup.to_str().unwrap(),
            "--confirm",
            &self.volume,
        ])
        .args(["-t", "1"]);
        cmd
    }

    pub fn exec(&self, script: &str) {
        docker(&["exec", &self.container, "sh", "-c", script]);
    }

    /// The content of file `path` in the fixture's container, trimmed.
    pub fn read(&self, path: &str) -> String {
        docker(&["exec", &self.container, "cat", path])
            .trim()
            .to_string()
    }

    pub fn backup(&self, extra: &[&str]) -> PathBuf {
        let out = json(
            self.safeops()
                .args(["backup", &self.container, "-t", "1", "--format", "json"])
                .args(extra),
        );
        PathBuf::from(out["path"].as_str().unwrap())
    }

    /// Names in the backup directory, hidden ones (partial backups) included.
    pub fn backup_dir_entries(&self) -> Vec<String> {
        match std::fs::read_dir(self.backups()) {
            Ok(entries) => entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Removes `volume` with the fixture.
    pub fn cleanup_volume(&mut self, volume: &str) {
        self.cleanup.volumes.push(volume.to_string());
    }

    /// Runs `name`, a container of the test with the fixture's volume that joins the
    /// fixture's container in each of `namespaces` (`pid`, `network`).
    pub fn run_joined(&self, name: &str, namespaces: &[&str]) {
        let label = format!("io.safeops.test={}", self.cleanup.label);
        let volume = format!("{}:/data", self.volume);
        let joined = format!("container:{}", self.container);
        let mut args = vec!["run", "-d", "--name", name, "--label", &label];
        for namespace in namespaces {
            args.extend([*namespace, joined.as_str()]);
        }
        args.extend(["-v", &volume, IMAGE, "sleep", "3600"]);
        docker(&args);
    }

    /// The container's state (`running`, `exited`, ...).
    pub fn state(&self) -> String {
        docker(&["inspect", "-f", "{{.State.Status}}", &self.container])
            .trim()
            .to_string()
    }
}

/// Where the engine keeps `volume`'s data on this host.
pub fn mountpoint(volume: &str) -> PathBuf {
    PathBuf::from(docker(&["volume", "inspect", "-f", "{{.Mountpoint}}", volume]).trim())
}

/// Copies a directory as it is, owners and modes kept (`cp -a`).
pub fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Enough files that capturing takes a few seconds, so a test can interrupt it.
pub const MANY_FILES: &str = "mkdir -p /data/many && cd /data/many && seq 1 20000 | xargs touch && head -c 52428800 /dev/urandom > /data/blob";

/// Starts a backup and returns once it has stopped the container (capture under way).
pub fn backup_in_flight(f: &Fixture, env: &[(&str, &str)]) -> std::process::Child {
    let mut backup = f.safeops();
    backup
        .envs(env.iter().copied())
        .args(["backup", &f.container, "-t", "0"]);
    in_flight(f, backup)
}

/// Starts `backup` (of `f`'s container) and returns once it has stopped the container.
pub fn in_flight(f: &Fixture, mut backup: Command) -> std::process::Child {
    let mut child = backup
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while f.state() != "exited" {
        assert!(
            child.try_wait().unwrap().is_none(),
            "backup ended before it stopped the container"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the backup never stopped the container"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child
}

/// The interrupted backup `child` exits 130 having restarted `f`'s container.
pub fn assert_interrupted_and_restarted(f: &Fixture, child: std::process::Child) {
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains(&format!("restarted {}", f.container)),
        "{stderr}"
    );
    assert_eq!(f.state(), "running");
}

/// Sends `sig` (`-INT`, `-KILL`, ...) to `child`.
pub fn signal(child: &std::process::Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Replaces the volume archive of `backup` with `tar` and recomputes every checksum,
/// as an attacker with write access to the backup would.
pub fn plant_archive(backup: &Path, volume: &str, tar: &[u8]) {
    use sha2::Digest;
    let mut tar = tar.to_vec();
    tar.extend_from_slice(&[0u8; 1024]);
    let compressed = zstd::encode_all(&tar[..], 3).unwrap();
    let rel = format!("volumes/{volume}.tar.zst");
    std::fs::write(backup.join(&rel), &compressed).unwrap();
    let sum = hex::encode(sha2::Sha256::digest(&compressed));
    let path = backup.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for artifact in manifest["artifacts"].as_array_mut().unwrap() {
        if artifact["path"] == rel.as_str() {
            artifact["sha256"] = sum.clone().into();
            artifact["size"] = compressed.len().into();
        }
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    let sums: String = manifest["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{}  {}\n",
                a["sha256"].as_str().unwrap(),
                a["path"].as_str().unwrap()
            )
        })
        .collect();
    std::fs::write(backup.join("SHA256SUMS"), sums).unwrap();
}
