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

    pub fn exec(&self, script: &str) {
        docker(&["exec", &self.container, "sh", "-c", script]);
    }

    pub fn backup(&self, extra: &[&str]) -> PathBuf {
        let out = json(
            self.safeops()
                .args(["backup", &self.container, "-t", "1", "--format", "json"])
                .args(extra),
        );
        PathBuf::from(out["path"].as_str().unwrap())
    }

    /// Removes `volume` with the fixture.
    pub fn cleanup_volume(&mut self, volume: &str) {
        self.cleanup.volumes.push(volume.to_string());
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

/// Copies a backup directory as it is (`cp -a`).
pub fn copy_backup(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}
