//! Restic-format repositories on the local disk, a real S3 server and a real SFTP server
//! (`rclone serve`, on loopback), checked by Debian's `restic` itself.

mod common;

use std::path::Path;
use std::process::Command;

use common::run;
use common::storage::{self, ACCESS_KEY, SECRET_KEY};

const PASSWORD: &str = "correct horse battery staple";

/// The plugin with the repository password in a file, the S3 credentials and the SFTP
/// key in its environment.
fn safeops(dir: &Path, sftp_key: Option<&Path>) -> Command {
    let password = dir.join("password");
    std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
    let mut cmd = common::safeops(dir);
    cmd.env("SAFEOPS_REPOSITORY_PASSWORD_FILE", &password)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_STATE_HOME", dir.join("state"));
    if let Some(key) = sftp_key {
        cmd.env("SAFEOPS_SFTP_KEY", key)
            .env("SAFEOPS_SFTP_KNOWN_HOSTS", "accept");
    }
    cmd
}

/// `restic check` of the repository, as restic sees it.
fn restic(repository: &str, extra: &[&str], args: &[&str]) -> (i32, String) {
    let out = Command::new("restic")
        .args(extra)
        .args(["-r", repository, "--no-cache"])
        .args(args)
        .env("RESTIC_PASSWORD", PASSWORD)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .output()
        .expect("these tests need restic (Debian): run scripts/test.sh");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn init_creates_repositories_restic_reads_locally_on_s3_and_over_sftp() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = storage::s3(dir.path());
    let (sftp, key) = storage::sftp(dir.path());
    let local = format!("repo:{}", dir.path().join("local-repo").display());
    let s3_url = format!("s3:http://127.0.0.1:{}/bucket/safeops", s3.port);
    let sftp_url = format!("sftp://safeops@127.0.0.1:{}/repo", sftp.port);
    let sftp_command = format!(
        "sftp.command=ssh -i {} -p {} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null safeops@127.0.0.1 -s sftp",
        key.display(),
        sftp.port
    );
    let cases: [(&str, String, Vec<&str>); 3] = [
        (
            &local,
            dir.path().join("local-repo").display().to_string(),
            vec![],
        ),
        (&s3_url, s3_url.clone(), vec![]),
        (
            &sftp_url,
            "sftp:safeops@127.0.0.1:/repo".to_string(),
            vec!["-o", &sftp_command],
        ),
    ];
    for (url, restic_url, extra) in &cases {
        let (code, stdout, stderr) =
            run(safeops(dir.path(), Some(&key)).args(["backups", "init", url]));
        assert_eq!(code, 0, "init {url}: {stderr}");
        assert!(stdout.contains("created repository"), "{stdout}");
        assert!(stderr.contains("without the password"), "{stderr}");
        assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD));
        let (code, said) = restic(restic_url, extra, &["check"]);
        assert_eq!(code, 0, "restic check {restic_url}: {said}");
        // A second init is refused, and the repository stays readable.
        let (code, _, stderr) = run(safeops(dir.path(), Some(&key)).args(["backups", "init", url]));
        assert_eq!(code, 2, "second init of {url}: {stderr}");
        assert!(stderr.contains("already holds a repository"), "{stderr}");
    }
}

#[test]
fn wrong_credentials_and_bad_locations_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = storage::s3(dir.path());
    let url = format!("s3:http://127.0.0.1:{}/bucket/denied", s3.port);
    let (code, _, stderr) = run(safeops(dir.path(), None)
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .args(["backups", "init", &url]));
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("access denied") && stderr.contains("403"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("not-the-secret"),
        "the secret is never printed: {stderr}"
    );
    assert!(!s3.root.join("bucket/denied").exists());

    let plain = dir.path().join("plain");
    let (code, _, stderr) =
        run(safeops(dir.path(), None).args(["backups", "init", plain.to_str().unwrap()]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("needs no init"), "{stderr}");
    for bad in ["s3:ftp://x/y", "sftp:nohost", "repo:"] {
        let (code, _, stderr) = run(safeops(dir.path(), None).args(["backups", "init", bad]));
        assert_eq!(code, 2, "{bad}: {stderr}");
    }
    // No password anywhere, no terminal: told how to give one.
    let mut cmd = common::safeops(dir.path());
    let repo = format!("repo:{}", dir.path().join("r").display());
    let (code, _, stderr) = run(cmd
        .env_remove("SAFEOPS_REPOSITORY_PASSWORD_FILE")
        .args(["backups", "init", &repo]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--password-file"), "{stderr}");
}
